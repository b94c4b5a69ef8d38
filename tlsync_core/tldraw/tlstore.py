"""What a tldraw store needs beyond its record types (``TLStore.ts``).

:func:`create_integrity_checker` is the schema's integrity checker: it makes a store usable by
an editor (a document, a pointer, at least one page, the instance on an existing page, a page
state and a camera per page, page states that only point at existing shapes).
:func:`on_validation_failure` is tldraw's validation-failure hook, which re-raises the error.
Store props may be ``{"defaultName": <name of a new document>}``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any, Final

from tlsync_core.store.jsvalue import UNDEFINED, to_string
from tlsync_core.store.records import Record
from tlsync_core.store.schema import ValidationFailure
from tlsync_core.store.store import Store
from tlsync_core.tldraw.ids import TLDOCUMENT_ID, TLINSTANCE_ID, TLPOINTER_ID
from tlsync_core.tldraw.records import (
    CameraRecordType,
    DocumentRecordType,
    InstancePageStateRecordType,
    PageRecordType,
    PointerRecordType,
)

__all__ = ["create_integrity_checker", "on_validation_failure", "redact_record_for_error_reporting"]

# a page state's fields that name one shape, cleared when that shape is gone (in this order)
_PAGE_STATE_SHAPE_FIELDS: Final = ("croppingShapeId", "focusedGroupId", "hoveredShapeId")
# a page state's fields that list shapes, filtered to the existing ones (in this order)
_PAGE_STATE_SHAPE_LISTS: Final = ("selectedShapeIds", "hintingShapeIds", "erasingShapeIds")


def redact_record_for_error_reporting(record: Any) -> None:
    """Hide an asset's ``src`` (in place) before a record goes into an error report.

    Raises TypeError where tldraw's does: for a null record, or asset props that are not an
    object.
    """
    if record is None:
        raise TypeError("Cannot read properties of null (reading 'typeName')")
    if not isinstance(record, dict) or record.get("typeName") != "asset":
        return
    if "src" in record:
        record["src"] = "<redacted>"
    props = record.get("props", UNDEFINED)
    if not isinstance(props, dict | list):
        raise TypeError(f"Cannot use 'in' operator to search for 'src' in {to_string(props)}")
    if isinstance(props, dict) and "src" in props:
        props["src"] = "<redacted>"


def on_validation_failure(failure: ValidationFailure) -> Record:
    """tldraw's hook: re-raise the validation error.

    Like tldraw, it first redacts a copy of the record for the error report, which itself fails
    (with a TypeError) for records that are not objects or assets without object props.
    """
    if failure.record_before is not None:
        redact_record_for_error_reporting(copy.deepcopy(failure.record_before))
    redact_record_for_error_reporting(copy.deepcopy(failure.record))
    raise failure.error


def _default_name(store: Store) -> str:
    props = store.props
    name = props.get("defaultName", "") if isinstance(props, Mapping) else ""
    return name if isinstance(name, str) else to_string(name)


def create_integrity_checker(store: Store) -> Callable[[], None]:
    """The function that makes ``store`` usable, creating and fixing records as tldraw does."""
    page_ids = store.query.ids("page")
    page_states = store.query.records("instance_page_state")

    def first_page_id(ids: frozenset[str]) -> str:
        pages = [page for page in map(store.get, ids) if page is not None]
        return str(min(pages, key=lambda page: str(page["index"]))["id"])

    def fix_one_thing() -> bool:
        """Fix the first problem found; True if there may be more."""
        if not store.has(TLDOCUMENT_ID):
            store.put([DocumentRecordType.create(id=TLDOCUMENT_ID, name=_default_name(store))])
            return True
        if not store.has(TLPOINTER_ID):
            store.put([PointerRecordType.create(id=TLPOINTER_ID)])
            return True
        ids = page_ids.get()
        if not ids:
            store.put([PageRecordType.create(id="page:page", name="Page 1", index="a1", meta={})])
            return True
        instance = store.get(TLINSTANCE_ID)
        if instance is None:
            instance_type = store.schema.get_type("instance")
            store.put([instance_type.create(id=TLINSTANCE_ID, currentPageId=first_page_id(ids))])
            return True
        if instance["currentPageId"] not in ids:
            store.put([{**instance, "currentPageId": first_page_id(ids)}])
            return True
        add_missing_page_states_and_cameras(ids)
        return fix_page_states(ids)

    def add_missing_page_states_and_cameras(ids: frozenset[str]) -> None:
        # tldraw walks the page ids in its query's (insertion) order; the records do not depend
        # on it, only the order of the puts
        missing_states = [
            state_id
            for state_id in (InstancePageStateRecordType.create_id(i) for i in ids)
            if store.get(state_id) is None
        ]
        missing_cameras = [
            camera_id
            for camera_id in (CameraRecordType.create_id(i) for i in ids)
            if not store.has(camera_id)
        ]
        if missing_states:
            store.put(
                [
                    InstancePageStateRecordType.create(
                        id=state_id, pageId=InstancePageStateRecordType.parse_id(state_id)
                    )
                    for state_id in missing_states
                ]
            )
        if missing_cameras:
            store.put([CameraRecordType.create(id=camera_id) for camera_id in missing_cameras])

    def fix_page_states(ids: frozenset[str]) -> bool:
        for state in page_states.get():
            if state["pageId"] not in ids:
                store.remove([state["id"]])
                continue
            for field in _PAGE_STATE_SHAPE_FIELDS:
                shape_id = state[field]
                if shape_id and not store.has(shape_id):
                    store.put([{**state, field: None}])
                    return True
            for field in _PAGE_STATE_SHAPE_LISTS:
                kept = [shape_id for shape_id in state[field] if store.has(shape_id)]
                if len(kept) != len(state[field]):
                    store.put([{**state, field: kept}])
                    return True
        return False

    def ensure_store_is_usable() -> None:
        while fix_one_thing():
            pass

    return ensure_store_is_usable

"""Record ids of the tldraw schema: makers, tests and validators.

``create_shape_id("a")`` is ``"shape:a"`` and ``create_shape_id()`` a random one
(``records/TLShape.ts``); likewise for bindings, pages and assets. ``shape_id_validator`` and
``parent_id_validator`` are ``shapes/TLBaseShape.ts``'s.
"""

from __future__ import annotations

from typing import Any, Final

from tlsync_core.store.records import unique_id
from tlsync_core.store.validators import T
from tlsync_core.tldraw.misc import Error, id_validator

__all__ = [
    "TLDOCUMENT_ID",
    "TLINSTANCE_ID",
    "TLPOINTER_ID",
    "asset_id_validator",
    "binding_id_validator",
    "create_binding_id",
    "create_shape_id",
    "is_binding",
    "is_binding_id",
    "is_shape",
    "is_shape_id",
    "page_id_validator",
    "parent_id_validator",
    "shape_id_validator",
]

TLDOCUMENT_ID: Final = "document:document"
TLINSTANCE_ID: Final = "instance:instance"
TLPOINTER_ID: Final = "pointer:pointer"

shape_id_validator: Final = id_validator("shape")
binding_id_validator: Final = id_validator("binding")
page_id_validator: Final = id_validator("page")
asset_id_validator: Final = id_validator("asset")


def _check_parent_id(parent_id: str) -> str:
    if not parent_id.startswith(("page:", "shape:")):
        raise Error('Parent ID must start with "page:" or "shape:"')
    return parent_id


parent_id_validator: Final = T.string.refine(_check_parent_id)
"""A page or shape id."""


def create_shape_id(id: str | None = None) -> str:
    """``"shape:<id>"``, with a random id when none is given."""
    return f"shape:{unique_id() if id is None else id}"


def create_binding_id(id: str | None = None) -> str:
    """``"binding:<id>"``, with a random id when none is given."""
    return f"binding:{unique_id() if id is None else id}"


def is_shape_id(id: str | None) -> bool:
    return id is not None and id.startswith("shape:")


def is_binding_id(id: str | None) -> bool:
    return id is not None and id.startswith("binding:")


def is_shape(record: Any) -> bool:
    return isinstance(record, dict) and record.get("typeName") == "shape"


def is_binding(record: Any) -> bool:
    return isinstance(record, dict) and record.get("typeName") == "binding"

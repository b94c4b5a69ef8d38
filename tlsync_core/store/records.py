"""Records, their ids, scopes and types.

A record is a plain JSON object (a ``dict``) with an ``id`` of the form ``"<typeName>:<suffix>"``
and a ``typeName``.  Once a record is in a store it is never mutated: every change makes a new
dict, which is what makes diffs, snapshots and the wire cheap and exact.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, Protocol

from tlsync_core.store import randomness
from tlsync_core.store.jsvalue import UNDEFINED, to_string

Record = dict[str, Any]
RecordScope = Literal["document", "session", "presence"]
RECORD_SCOPES: tuple[RecordScope, ...] = ("document", "session", "presence")

_ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"


def unique_id(size: int = 21) -> str:
    """A random URL-safe id (the same shape as tldraw's ``uniqueId``), from the OS's generator
    unless a test seeded it (:func:`tlsync_core.testing.deterministic_ids`)."""
    return "".join(randomness.source().choices(_ID_ALPHABET, k=size))


class StoreValidator(Protocol):
    """What a record type needs of a validator (``tlsync_core.store.validators`` provides it)."""

    def validate(self, value: object) -> Any: ...

    def validate_using_known_good_version(self, known_good: Any, new_value: object) -> Any: ...


class _AcceptAnything:
    def validate(self, value: object) -> Any:
        return value

    def validate_using_known_good_version(self, known_good: Any, new_value: object) -> Any:
        return known_good if known_good == new_value else new_value


class RecordType:
    """One type of record: its name, scope, validator, defaults and id helpers.

    ``subtype_key`` names the field that selects a subtype (tldraw shapes use ``"type"``); the
    subtype's props are validated by the validator and migrated by props migration sequences.
    ``ephemeral_keys`` are fields that ``Store.apply_diff(ignore_ephemeral_keys=True)`` leaves
    alone.
    """

    def __init__(
        self,
        type_name: str,
        *,
        scope: RecordScope = "document",
        validator: StoreValidator | None = None,
        default_properties: Callable[[], Mapping[str, Any]] | None = None,
        subtype_key: str | None = None,
        ephemeral_keys: Iterable[str] = (),
    ) -> None:
        if not type_name or ":" in type_name:
            raise ValueError(f"invalid record type name {type_name!r}: must be non-empty, no ':'")
        if scope not in RECORD_SCOPES:
            raise ValueError(f"invalid scope {scope!r} for {type_name}: expected {RECORD_SCOPES}")
        self.type_name = type_name
        self.scope: RecordScope = scope
        self.validator: StoreValidator = validator if validator is not None else _AcceptAnything()
        self._default_properties = default_properties
        self.subtype_key = subtype_key
        self.ephemeral_keys = frozenset(ephemeral_keys)

    def __repr__(self) -> str:
        return f"RecordType({self.type_name!r}, scope={self.scope!r})"

    def default_properties(self) -> dict[str, Any]:
        """A fresh copy of the defaults ``create`` starts from."""
        return {} if self._default_properties is None else dict(self._default_properties())

    def with_default_properties(self, defaults: Callable[[], Mapping[str, Any]]) -> RecordType:
        """The same type with other defaults."""
        return RecordType(
            self.type_name,
            scope=self.scope,
            validator=self.validator,
            default_properties=defaults,
            subtype_key=self.subtype_key,
            ephemeral_keys=self.ephemeral_keys,
        )

    def create(self, **fields: Any) -> Record:
        """A new, validated record: the defaults, a new id (unless given), then ``fields``."""
        record = self.default_properties()
        record["id"] = fields.pop("id", None) or self.create_id()
        record.update(fields)
        record["typeName"] = self.type_name
        if not self.is_id(record["id"]):
            raise ValueError(f"id {record['id']!r} is not a valid {self.type_name} id")
        return self.validate(record)

    def clone(self, record: Record) -> Record:
        """A deep copy of ``record`` with a new id."""
        result = copy.deepcopy(record)
        result["id"] = self.create_id()
        return result

    def create_id(self, custom_unique_part: str | None = None) -> str:
        suffix = unique_id() if custom_unique_part is None else custom_unique_part
        return f"{self.type_name}:{suffix}"

    def is_id(self, value: object) -> bool:
        """Whether ``value`` is an id of this type (``"<typeName>:..."``)."""
        return isinstance(value, str) and value.startswith(self.type_name + ":")

    def parse_id(self, record_id: str) -> str:
        """The part of the id after ``"<typeName>:"``."""
        if not self.is_id(record_id):
            raise ValueError(f'ID "{record_id}" is not a valid ID for type "{self.type_name}"')
        return record_id[len(self.type_name) + 1 :]

    def is_instance(self, record: object) -> bool:
        return isinstance(record, dict) and record.get("typeName") == self.type_name

    def subtype(self, record: Mapping[str, Any]) -> Any:
        """The record's subtype (e.g. a shape's ``type``), or None without a subtype key."""
        return None if self.subtype_key is None else record.get(self.subtype_key)

    def validate(self, record: object, record_before: Record | None = None) -> Record:
        """The validated record; the known-good ``record_before`` itself if nothing changed."""
        if record_before is not None:
            result = self.validator.validate_using_known_good_version(record_before, record)
        else:
            result = self.validator.validate(record)
        if not isinstance(result, dict):
            raise TypeError(f"the validator of {self.type_name} returned {type(result).__name__}")
        return result


def validate_by_type_name(
    types: Mapping[str, RecordType], record: object, record_before: Record | None
) -> Record:
    """``record`` validated by the type of ``types`` that its ``typeName`` names (the known-good
    ``record_before`` itself if nothing changed); raises ValueError if there is no such type.

    (Compiled, so that a store's write stays in compiled code up to the validators.)
    """
    type_name = record.get("typeName", UNDEFINED) if isinstance(record, dict) else UNDEFINED
    record_type = types.get(type_name) if isinstance(type_name, str) else None
    if record_type is None:
        # worded as JavaScript would: "undefined", "true", "[object Object]"
        raise ValueError(f"Missing definition for record type {to_string(type_name)}")
    return record_type.validate(record, record_before)


def type_name_of_id(record_id: str) -> str:
    """The type part of a record id (``"shape:abc"`` → ``"shape"``)."""
    type_name, sep, _ = record_id.partition(":")
    if not sep or not type_name:
        raise ValueError(f"{record_id!r} is not a record id (expected '<typeName>:<suffix>')")
    return type_name

"""Naming a schema: ``"tldraw"``, ``"demo"`` or ``"module:function"`` wherever a schema is asked.

The entry points that take a schema (``connect``, ``connect_sync``, ``TLSyncServer``,
``create_asgi_app``, ``tlsync serve --schema``) accept a :class:`~tlsync_core.store.StoreSchema`
or one of these names and resolve it with :func:`resolve_schema`.  The store and the room take
a :class:`StoreSchema` only: they sit below the tldraw package and must not import it.
"""

from __future__ import annotations

import importlib
from typing import TypeAlias

from tlsync_core.demo_schema import create_demo_schema
from tlsync_core.store import StoreSchema

__all__ = ["SchemaLike", "describe_schema_difference", "resolve_schema"]

SchemaLike: TypeAlias = StoreSchema | str
"""A schema, or its name (see :func:`resolve_schema`)."""


def resolve_schema(schema: SchemaLike | None) -> StoreSchema:
    """The schema ``schema`` names.

    ``None`` or ``"tldraw"``: tldraw's (:func:`~tlsync_core.tldraw.create_tldraw_schema`);
    ``"demo"``: the small built-in schema; ``"package.module:function"``: what that function
    returns (a module attribute that is a schema works too).  Raises ``ValueError`` naming the
    accepted forms for anything else, and ``TypeError`` when the target is not a schema.
    """
    if isinstance(schema, StoreSchema):
        return schema
    if schema is None or schema == "tldraw":
        from tlsync_core.tldraw import create_tldraw_schema  # noqa: PLC0415 - large, on demand

        return create_tldraw_schema()
    if schema == "demo":
        return create_demo_schema()
    if not isinstance(schema, str):
        raise TypeError(
            f"schema must be a StoreSchema or a name ('tldraw', 'demo', 'module:function'),"
            f" not {type(schema).__name__}"
        )
    module_name, colon, attribute = schema.partition(":")
    if not colon or not module_name or not attribute:
        raise ValueError(
            f"unknown schema {schema!r}: use 'tldraw', 'demo', 'package.module:function' or a"
            " StoreSchema"
        )
    try:
        target = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"schema {schema!r}: {error}") from None
    resolved = target() if callable(target) else target
    if not isinstance(resolved, StoreSchema):
        raise TypeError(f"schema {schema!r} gave a {type(resolved).__name__}, not a StoreSchema")
    return resolved


def describe_schema_difference(ours: object, theirs: object) -> str:
    """What differs between two serialized schemas (V2: ``{"sequences": {id: version}}``),
    in words: the migration sequences only one side has, and who is newer where both have one.
    Empty when they have the same sequences at the same versions."""
    our_sequences = _sequences(ours)
    their_sequences = _sequences(theirs)
    parts: list[str] = []
    only_theirs = sorted(their_sequences.keys() - our_sequences.keys())
    only_ours = sorted(our_sequences.keys() - their_sequences.keys())
    if only_theirs:
        parts.append(f"only the server has {_listing(only_theirs)}")
    if only_ours:
        parts.append(f"only this client has {_listing(only_ours)}")
    for sequence_id in sorted(our_sequences.keys() & their_sequences.keys()):
        mine, other = our_sequences[sequence_id], their_sequences[sequence_id]
        if mine != other:
            newer = "the server" if other > mine else "this client"
            parts.append(f"{sequence_id}: server v{other}, client v{mine} ({newer} is newer)")
    return "; ".join(parts)


def _sequences(serialized: object) -> dict[str, int]:
    if not isinstance(serialized, dict):
        return {}
    sequences = serialized.get("sequences")
    if isinstance(sequences, dict):
        return {str(k): v for k, v in sequences.items() if isinstance(v, int)}
    # V1 schemas name record versions per type
    record_versions = serialized.get("recordVersions")
    if isinstance(record_versions, dict):
        return {
            str(k): v["version"]
            for k, v in record_versions.items()
            if isinstance(v, dict) and isinstance(v.get("version"), int)
        }
    return {}


def _listing(names: list[str], most: int = 6) -> str:
    shown = ", ".join(names[:most])
    return f"{shown} and {len(names) - most} more" if len(names) > most else shown

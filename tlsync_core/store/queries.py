"""Reactive queries over a store: the ids or records of a type, optionally filtered.

Each query is a computed that keeps its answer up to date incrementally: it asks the store's
``history`` atom for the diffs since it last ran and only re-examines the records they touch,
falling back to a full scan when the history does not reach back far enough.  An unchanged answer
is returned as the very same object, so effects downstream of a query do not re-run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from tlsync_core.signals import Computed, computed, is_capturing
from tlsync_core.signals.history import RESET_VALUE

if TYPE_CHECKING:
    from tlsync_core.store.store import Store

Record = dict[str, Any]
Where = Callable[[Record], bool] | Mapping[str, Any] | None


def _matcher(where: Where) -> Callable[[Record], bool]:
    if where is None:
        return lambda _record: True
    if callable(where):
        return where
    expected = dict(where)
    return lambda record: all(record.get(k) == v for k, v in expected.items())


def _cache_key(type_name: str, where: Where) -> tuple[Any, ...] | None:
    if where is None:
        return (type_name,)
    if callable(where):
        return None
    try:
        return (type_name, tuple(sorted(where.items())))
    except TypeError:  # unhashable or unorderable values: no caching
        return None


class StoreQueries:
    """Query factories of one store; queries with the same arguments are shared."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._ids_cache: dict[tuple[Any, ...], Computed[frozenset[str], Any]] = {}

    def ids(self, type_name: str, where: Where = None) -> Computed[frozenset[str], Any]:
        """A computed of the ids of the records of ``type_name`` that match ``where``.

        ``where`` is a predicate over records or a mapping of field → expected value.
        """
        key = _cache_key(type_name, where)
        if key is not None and key in self._ids_cache:
            return self._ids_cache[key]
        query = self._make_ids(type_name, _matcher(where))
        if key is not None:
            self._ids_cache[key] = query
        return query

    def _make_ids(
        self, type_name: str, matches: Callable[[Record], bool]
    ) -> Computed[frozenset[str], Any]:
        store = self._store

        def full_scan() -> frozenset[str]:
            return frozenset(
                r["id"] for r in store._iter_records() if r["typeName"] == type_name and matches(r)
            )

        def derive(previous: Any, last_epoch: int) -> frozenset[str]:
            if not isinstance(previous, frozenset):
                store.history.get()
                return full_scan()
            diffs = store.history.get_diff_since(last_epoch)
            if diffs is RESET_VALUE:
                return full_scan()
            current = set(previous)
            for diff in diffs:
                for rid, record in diff.added.items():
                    if record["typeName"] == type_name and matches(record):
                        current.add(rid)
                for rid, (_, to) in diff.updated.items():
                    if to["typeName"] == type_name:
                        if matches(to):
                            current.add(rid)
                        else:
                            current.discard(rid)
                for rid in diff.removed:
                    current.discard(rid)
            return previous if current == previous else frozenset(current)

        return computed(f"query.ids({type_name})", derive)

    def records(self, type_name: str, where: Where = None) -> Computed[list[Record], Any]:
        """A computed of the matching records themselves (sorted by id)."""
        ids = self.ids(type_name, where)
        store = self._store

        def derive(_previous: Any, _epoch: int) -> list[Record]:
            found = (store.get(rid) for rid in sorted(ids.get()))
            return [r for r in found if r is not None]

        return computed(f"query.records({type_name})", derive, is_equal=_same_records)

    def record(self, type_name: str, where: Where = None) -> Computed[Record | None, Any]:
        """A computed of one matching record (the one with the smallest id), or None."""
        ids = self.ids(type_name, where)
        store = self._store

        def derive(_previous: Any, _epoch: int) -> Record | None:
            found = ids.get()
            return store.get(min(found)) if found else None

        return computed(f"query.record({type_name})", derive)

    def exec(self, type_name: str, where: Where = None) -> list[Record]:
        """The matching records now, without creating a reactive query (inside a computed or
        a reaction, a dependency on any change of the store)."""
        if is_capturing():
            self._store.history.get()
        matches = _matcher(where)
        return sorted(
            (r for r in self._store._iter_records() if r["typeName"] == type_name and matches(r)),
            key=lambda r: str(r["id"]),
        )


def _same_records(a: list[Record], b: list[Record]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))

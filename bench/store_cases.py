"""The Store benchmark workload on ``tlsync_core.store.Store``: one trial, its checks, and memory.

``bench/node/store.mjs`` runs the same workload, with the same records, sizes and checks, on
``@tldraw/store``; keep the two files in step.

A trial starts from a fresh store and times, in this order (each time is of the whole operation,
for all ``n`` records):

``putAll``            ``store.put(records)``: n new records in one call;
``putEach``           ``store.put([record])`` once per record (each record's ``x`` + 1);
``updateEach``        ``store.update(id, fn)`` once per record (``fn`` makes a copy with ``y`` + 1);
``putEachListen``     ``putEach`` again with one ``listen`` listener attached;
``updateEachListen``  ``updateEach`` again with that listener attached;
``removeAll``         ``store.remove(ids)``: every record in one call (listener detached again).

The updated records for the ``put`` loops are made before the clock starts; ``update``'s ``fn``
runs inside the timed loop (that is the operation). The listener only counts its calls and keeps
the last entry. Our Store flushes history to listeners synchronously when each operation's
transaction ends (its default, no ``flush_scheduler``), so the listener is called once per
operation; the checks prove it (n calls per loop, each entry is that one record's update).

The record type has no validator, so the store's mechanics are measured, not validation. (Without
a validator our ``RecordType`` still compares an updated record with the one it replaces, and
treats an equal one as a no-op; ``@tldraw/store`` with ``validate: r => r`` does not compare.)

Every step is checked (record counts, three sample records, listener calls and the last entry);
a failed check raises :class:`StoreCaseFailed`, without ``assert`` so it also runs under ``-O``.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable

from tlsync_core.store import HistoryEntry, Record, RecordType, Store, StoreSchema

PUT_ALL = "putAll"
PUT_EACH = "putEach"
UPDATE_EACH = "updateEach"
PUT_EACH_LISTEN = "putEachListen"
UPDATE_EACH_LISTEN = "updateEachListen"
REMOVE_ALL = "removeAll"
#: the timed operations, in the order a trial runs them (the names are shared with store.mjs)
OPS: tuple[str, ...] = (
    PUT_ALL,
    PUT_EACH,
    UPDATE_EACH,
    PUT_EACH_LISTEN,
    UPDATE_EACH_LISTEN,
    REMOVE_ALL,
)

#: what the memory measurement reports, in bytes per record
MEMORY_TOTAL = "total"
MEMORY_STORE = "store"
MEMORY_RECORDS = "records"
MEMORY_KINDS: tuple[str, ...] = (MEMORY_TOTAL, MEMORY_STORE, MEMORY_RECORDS)

Collect = Callable[[], object]


class StoreCaseFailed(AssertionError):
    """The store held the wrong records, or a listener saw the wrong changes."""


def make_schema() -> StoreSchema:
    """One document-scoped record type, ``item``, with no validator."""
    return StoreSchema.create([RecordType("item", scope="document")])


def make_record(i: int) -> Record:
    """The i-th benchmark record (a new dict each call, with its own ``props``)."""
    return {
        "id": f"item:{i}",
        "typeName": "item",
        "x": i,
        "y": i,
        "props": {"w": 100, "h": 50, "color": "black"},
    }


def make_records(n: int) -> list[Record]:
    return [make_record(i) for i in range(n)]


def _expect(what: str, actual: object, expected: object) -> None:
    if actual != expected:
        raise StoreCaseFailed(f"{what}: expected {expected!r}, got {actual!r}")


def check_store(store: Store, n: int, dx: int, dy: int, step: str) -> None:
    """The store holds n records, and records 0, n // 2 and n - 1 have moved by (dx, dy)."""
    _expect(f"{step}: record count", len(store), n)
    for i in sorted({0, n // 2, n - 1}):
        want = make_record(i)
        want["x"] += dx
        want["y"] += dy
        _expect(f"{step}: record item:{i}", store.get(f"item:{i}"), want)


def _check_entry(step: str, entry: HistoryEntry | None, record: Record) -> None:
    """A listener's entry is ``record``'s update alone, made by the user."""
    if entry is None:
        raise StoreCaseFailed(f"{step}: the listener got no entry")
    changes = entry.changes
    _expect(f"{step}: entry source", entry.source, "user")
    _expect(f"{step}: entry added/removed", (changes.added, changes.removed), ({}, {}))
    _expect(f"{step}: entry updated ids", list(changes.updated), [record["id"]])
    _expect(f"{step}: entry's new record", changes.updated[record["id"]][1], record)


def _bump_y(record: Record) -> Record:
    return {**record, "y": record["y"] + 1}


def _moved_x(store: Store, ids: list[str]) -> list[Record]:
    """Copies of the current records with ``x`` + 1 (made before the clock starts)."""
    result: list[Record] = []
    for record_id in ids:
        record = store.unsafe_get_without_capture(record_id)
        if record is None:
            raise StoreCaseFailed(f"{record_id} is missing")
        result.append({**record, "x": record["x"] + 1})
    return result


def run_trial(
    records: list[Record],
    schema: StoreSchema | None = None,
    *,
    collect: Collect = gc.collect,
) -> dict[str, float]:
    """One trial on a fresh store: the milliseconds of every operation in :data:`OPS`.

    ``records`` are the new records (``make_records(n)``); they are not changed. ``collect`` runs
    before each timed operation (a full garbage collection by default).
    """
    n = len(records)
    ids = [r["id"] for r in records]
    store = Store(schema=schema if schema is not None else make_schema())
    clock = time.perf_counter
    ms: dict[str, float] = {}

    collect()
    start = clock()
    store.put(records)
    ms[PUT_ALL] = (clock() - start) * 1000
    check_store(store, n, 0, 0, PUT_ALL)

    put = store.put
    moved = _moved_x(store, ids)
    collect()
    start = clock()
    for record in moved:
        put([record])
    ms[PUT_EACH] = (clock() - start) * 1000
    check_store(store, n, 1, 0, PUT_EACH)

    update = store.update
    bump_y = _bump_y
    collect()
    start = clock()
    for record_id in ids:
        update(record_id, bump_y)
    ms[UPDATE_EACH] = (clock() - start) * 1000
    check_store(store, n, 1, 1, UPDATE_EACH)

    calls = 0
    last: HistoryEntry | None = None

    def on_change(entry: HistoryEntry) -> None:
        nonlocal calls, last
        calls += 1
        last = entry

    unlisten = store.listen(on_change)
    moved = _moved_x(store, ids)
    collect()
    start = clock()
    for record in moved:
        put([record])
    ms[PUT_EACH_LISTEN] = (clock() - start) * 1000
    check_store(store, n, 2, 1, PUT_EACH_LISTEN)
    _expect(f"{PUT_EACH_LISTEN}: listener calls", calls, n)
    _check_entry(PUT_EACH_LISTEN, last, moved[-1])

    collect()
    start = clock()
    for record_id in ids:
        update(record_id, bump_y)
    ms[UPDATE_EACH_LISTEN] = (clock() - start) * 1000
    check_store(store, n, 2, 2, UPDATE_EACH_LISTEN)
    _expect(f"{UPDATE_EACH_LISTEN}: listener calls", calls, 2 * n)
    _check_entry(UPDATE_EACH_LISTEN, last, store.get(ids[-1]) or {})
    unlisten()

    collect()
    start = clock()
    store.remove(ids)
    ms[REMOVE_ALL] = (clock() - start) * 1000
    _expect(f"{REMOVE_ALL}: record count", len(store), 0)
    _expect(f"{REMOVE_ALL}: listener calls after unlisten", calls, 2 * n)
    store.dispose()
    return ms


def measure_memory(n: int) -> dict[str, float]:
    """Bytes per record of n records in a store, by ``tracemalloc`` (after ``gc.collect()``).

    ``total``: the records and the store holding them, less the empty store; ``store``: what
    putting the (already allocated) records into the store added; ``records``: the records alone
    (their dicts, ids and ``props``, plus the list holding them).
    """
    was_tracing = tracemalloc.is_tracing()
    if was_tracing:
        raise RuntimeError("tracemalloc is already tracing; cannot measure a clean delta")
    gc.collect()
    tracemalloc.start()
    try:
        schema = make_schema()
        store = Store(schema=schema)
        gc.collect()
        base = tracemalloc.get_traced_memory()[0]
        records = make_records(n)
        gc.collect()
        with_records = tracemalloc.get_traced_memory()[0]
        store.put(records)
        gc.collect()
        with_store = tracemalloc.get_traced_memory()[0]
        del records
        gc.collect()
        final = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    check_store(store, n, 0, 0, "memory")
    store.dispose()
    return {
        MEMORY_TOTAL: (final - base) / n,
        MEMORY_STORE: (with_store - with_records) / n,
        MEMORY_RECORDS: (with_records - base) / n,
    }

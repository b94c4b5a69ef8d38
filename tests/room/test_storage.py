"""The room's document lane: clocks, tombstones, changes since a clock, snapshots, pruning."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from tlsync_core.room.storage import (
    MAX_TOMBSTONES,
    TOMBSTONE_PRUNE_BUFFER_SIZE,
    RoomStorage,
)

Record = dict[str, Any]


def page(suffix: str, name: str = "p") -> Record:
    return {"id": f"page:{suffix}", "typeName": "page", "name": name}


def write(storage: RoomStorage, puts: Sequence[Record] = (), deletes: Sequence[str] = ()) -> None:
    txn = storage.transaction()
    for record in puts:
        txn.put(record)
    for record_id in deletes:
        txn.delete(record_id)
    txn.commit()


@pytest.mark.spec("SS1")
def test_the_clock_advances_once_per_writing_transaction() -> None:
    """All writes of one transaction share one new clock; a transaction writing nothing has none."""
    storage = RoomStorage()
    write(storage, [page("a"), page("b")], [])
    assert storage.clock == 1
    assert {d.last_changed_clock for d in storage.documents.values()} == {1}
    write(storage, [], ["page:missing"])
    assert storage.clock == 1
    assert storage.tombstones == {}
    write(storage, [page("c")], ["page:a"])
    assert storage.clock == 2
    assert storage.tombstones == {"page:a": 2}
    write(storage, [page("a", "again")], [])
    assert storage.clock == 3
    assert "page:a" not in storage.tombstones


@pytest.mark.spec("SS2")
def test_rollback_leaves_nothing_behind() -> None:
    """A rolled-back transaction restores documents, tombstones and the clock."""
    storage = RoomStorage()
    write(storage, [page("a"), page("b")], [])
    before = storage.get_snapshot()
    txn = storage.transaction()
    txn.put(page("a", "changed"))
    txn.put(page("new"))
    txn.delete("page:b")
    txn.rollback()
    assert storage.get_snapshot() == before
    write(storage, [page("z")], [])
    assert storage.clock == 2


@pytest.mark.spec("SS3")
def test_forward_diff_reports_puts_changes_and_deletes() -> None:
    """A commit reports new records as puts, changed ones as (before, after), deletes by id."""
    storage = RoomStorage()
    write(storage, [page("a", "x"), page("b")], [])
    txn = storage.transaction()
    txn.put(page("a", "y"))
    txn.put(page("a", "z"))
    txn.put(page("new"))
    txn.delete("page:b")
    changes = txn.commit()
    assert changes.puts == {"page:a": (page("a", "x"), page("a", "z")), "page:new": page("new")}
    assert changes.deletes == ["page:b"]


@pytest.mark.spec("SS4")
@pytest.mark.parametrize(
    ("since", "wipe_all", "puts", "deletes"),
    [
        (3, False, [], []),  # L == C: nothing
        (9, True, ["page:a", "page:c"], []),  # L > C: everything
        (-1, True, ["page:a", "page:c"], []),  # L < T: everything, no removes
        (1, False, ["page:a", "page:c"], ["page:b"]),  # T <= L < C: changes since L
        (2, False, ["page:a"], []),
    ],
)
def test_changes_since_follow_the_hydration_table(
    since: int, wipe_all: bool, puts: list[str], deletes: list[str]
) -> None:
    """changes_since(L) gives nothing, everything, or the records and tombstones after L."""
    storage = RoomStorage()
    write(storage, [page("b"), page("c")], [])  # clock 1
    write(storage, [page("c", "c2")], ["page:b"])  # clock 2
    write(storage, [page("a")], [])  # clock 3
    changes = storage.changes_since(since)
    assert changes.wipe_all is wipe_all
    assert sorted(r["id"] for r in changes.puts) == puts
    assert changes.deletes == deletes


@pytest.mark.spec("SS5")
def test_snapshots_round_trip_and_load_both_formats() -> None:
    """A snapshot reloads to the same state; seed (clock) and store snapshots load too."""
    storage = RoomStorage(schema={"schemaVersion": 2, "sequences": {}})
    write(storage, [page("a"), page("b")], [])
    write(storage, [], ["page:b"])
    snapshot = storage.get_snapshot()
    assert snapshot["documentClock"] == 2 and snapshot["clock"] == 2
    again = RoomStorage.from_snapshot(snapshot)
    assert again.get_snapshot() == snapshot
    seed = RoomStorage.from_snapshot(
        {"clock": 7, "documents": [{"state": page("a"), "lastChangedClock": 3}]}
    )
    assert seed.clock == 7
    assert seed.tombstone_history_starts_at_clock == 7
    store = RoomStorage.from_snapshot({"store": {"page:a": page("a")}, "schema": None})
    assert store.clock == 0 and store.get("page:a") == page("a")


@pytest.mark.spec("SS5")
def test_loading_clamps_the_clock_and_history() -> None:
    """The clock is raised to the newest change; history is lowered to the clock; no history,
    no tombstones."""
    loaded = RoomStorage.from_snapshot(
        {
            "documentClock": 2,
            "tombstoneHistoryStartsAtClock": 50,
            "documents": [{"state": page("a"), "lastChangedClock": 4}],
            "tombstones": {"page:gone": 6},
        }
    )
    assert loaded.clock == 6
    assert loaded.tombstone_history_starts_at_clock == 6
    assert loaded.tombstones == {}
    kept = RoomStorage.from_snapshot(
        {
            "documentClock": 9,
            "tombstoneHistoryStartsAtClock": 1,
            "documents": [],
            "tombstones": {"page:gone": 6},
        }
    )
    assert kept.tombstones == {"page:gone": 6}


@pytest.mark.spec("SS5")
@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"documents": {}},
        {"documents": [1]},
        {"documents": [{"state": {"typeName": "page"}, "lastChangedClock": 0}]},
        {"documents": [{"state": page("a"), "lastChangedClock": "0"}]},
        {"documents": [], "tombstones": {"page:a": True}},
        {"documents": [], "documentClock": 1.5},
        {"documents": [], "schema": "v2"},
    ],
)
def test_malformed_snapshots_are_refused(bad: dict[str, Any]) -> None:
    """A malformed snapshot raises a ValueError saying what is wrong."""
    with pytest.raises(ValueError, match=r"\S"):
        RoomStorage.from_snapshot(bad)


@pytest.mark.spec("SS6")
def test_pruning_keeps_whole_clocks_and_moves_the_history_start() -> None:
    """Beyond MAX_TOMBSTONES the oldest are dropped, never splitting a clock value."""
    storage = RoomStorage()
    ids = [f"page:{i}" for i in range(MAX_TOMBSTONES + 10)]
    write(storage, [page(i.split(":")[1]) for i in ids], [])
    # delete in pairs so that every clock value holds two tombstones
    for index in range(0, len(ids), 2):
        write(storage, [], ids[index : index + 2])
    assert storage.prune_tombstones()
    remaining = sorted(storage.tombstones.values())
    expected_cut = TOMBSTONE_PRUNE_BUFFER_SIZE + 10
    assert len(storage.tombstones) in (len(ids) - expected_cut, len(ids) - expected_cut - 1)
    assert storage.tombstone_history_starts_at_clock == remaining[0]
    dropped_clocks = {storage.tombstone_history_starts_at_clock - 1}
    assert not dropped_clocks & set(remaining)
    assert not storage.prune_tombstones()
    since = storage.changes_since(storage.tombstone_history_starts_at_clock - 1)
    assert since.wipe_all

"""``gc_paused``: the collector is off inside, back on after, and nothing stays frozen."""

from __future__ import annotations

import gc

import pytest

from tlsync_core.gc_pause import gc_paused


def test_pause_disables_and_restores_the_collector() -> None:
    """Inside the block the GC is off; afterwards it is on again, with no object frozen."""
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        survivors = [[i] for i in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    assert all(gc.is_tracked(s) for s in survivors)


def test_no_collection_right_after_the_pause() -> None:
    """What the bulk work allocated is aged without a scan: the first allocations after the
    pause do not set off a collection of everything the pause left in the youngest generation."""
    collections: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(note)
    try:
        with gc_paused():
            survivors = [[i] for i in range(10_000)]
        more = [[i] for i in range(100)]
    finally:
        gc.callbacks.remove(note)
    assert collections == []
    assert len(survivors) + len(more) == 10_100


def test_objects_frozen_by_the_process_stay_frozen() -> None:
    """A process that froze objects itself keeps them frozen (no unfreeze behind its back)."""
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with gc_paused():
            pass
        assert gc.get_freeze_count() == frozen
        assert gc.isenabled()
    finally:
        gc.unfreeze()


def test_a_paused_collector_stays_paused() -> None:
    """With the GC already off, the block changes nothing and leaves it off."""
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_comes_back_after_an_exception() -> None:
    """An exception in the block still re-enables the collector."""
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0

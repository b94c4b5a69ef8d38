"""The ReactiveX bridges: consistent emissions out, atoms fed in, nothing left behind."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
import reactivex
from reactivex import operators as ops
from reactivex.scheduler import HistoricalScheduler
from reactivex.scheduler.eventloop import AsyncIOScheduler
from reactivex.subject import Subject

from tlsync_core.signals import (
    atom,
    computed,
    from_observable,
    react,
    to_observable,
    transact,
)


def diamond() -> tuple[Any, Any]:
    a = atom("a", 1)
    b = computed("b", lambda _p, _e: a.get() + 1)
    c = computed("c", lambda _p, _e: a.get() * 2)
    d = computed("d", lambda _p, _e: b.get() + c.get())
    return a, d


@pytest.mark.spec("P3")
def test_diamond_emits_one_consistent_value_per_change() -> None:
    """Unlike combine_latest, the bridge never emits a mix of old and new branch values."""
    a, d = diamond()
    out: list[int] = []
    subscription = to_observable(d).subscribe(out.append)
    a.set(10)
    a.set(30)
    subscription.dispose()
    assert out == [4, 31, 91]


@pytest.mark.spec("T3")
def test_no_intermediate_values_from_inside_a_transaction() -> None:
    """Changes inside one transaction reach subscribers as one emission of the final value."""
    a, d = diamond()
    out: list[int] = []
    subscription = to_observable(d).subscribe(out.append)
    transact(lambda: (a.set(2), a.set(3), a.set(4)))
    subscription.dispose()
    assert out == [4, 13]


def test_dispose_stops_the_effect_and_detaches() -> None:
    """Disposing the subscription removes the effect: no emissions, no listeners left."""
    a, d = diamond()
    out: list[int] = []
    subscription = to_observable(d).subscribe(out.append)
    assert d.is_actively_listening
    subscription.dispose()
    a.set(5)
    assert out == [4]
    assert a.children == ()
    assert not d.is_actively_listening


def test_scheduler_defers_and_coalesces_bursts() -> None:
    """With a scheduler, a burst of changes yields one emission of the latest value."""
    scheduler = HistoricalScheduler()
    a = atom("a", 0)
    out: list[int] = []
    subscription = to_observable(a, scheduler=scheduler).subscribe(out.append)
    assert out == []
    scheduler.advance_by(1)
    assert out == [0]
    for value in (1, 2, 3):
        a.set(value)
    assert out == [0]
    scheduler.advance_by(1)
    assert out == [0, 3]
    subscription.dispose()
    a.set(4)
    scheduler.advance_by(1)
    assert out == [0, 3]


def test_an_erroring_signal_ends_the_stream_with_on_error() -> None:
    """An exception in the signal reaches on_error once and the subscription stops listening."""
    a = atom("a", 1)

    def derive(_p: object, _e: int) -> int:
        if a.get() < 0:
            raise ValueError("negative")
        return a.get()

    c = computed("c", derive)
    values: list[int] = []
    errors: list[Exception] = []
    to_observable(c).subscribe(values.append, errors.append)
    a.set(-1)
    a.set(2)
    assert values == [1]
    assert [str(e) for e in errors] == ["negative"]
    assert not c.is_actively_listening


def test_an_observer_that_raises_does_not_break_the_writer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """on_next raising is logged; set() returns normally and later values still flow."""
    a = atom("a", 0)
    out: list[int] = []

    def on_next(value: int) -> None:
        if value == 1:
            raise RuntimeError("observer bug")
        out.append(value)

    subscription = to_observable(a).subscribe(on_next)
    with caplog.at_level(logging.ERROR, logger="tlsync_core.signals"):
        a.set(1)
    a.set(2)
    subscription.dispose()
    assert out == [0, 2]
    assert "observer bug" in caplog.text


def test_from_observable_feeds_computeds_and_effects() -> None:
    """An atom fed by a Subject drives computeds and effects; dispose() stops the feed."""
    subject: Subject[int] = Subject()
    fed = from_observable(subject, 0, name="fed")
    tens = computed("tens", lambda _p, _e: fed.get() * 10)
    seen: list[int] = []
    stop = react("watch", lambda _e: seen.append(tens.get()))
    subject.on_next(4)
    subject.on_next(5)
    fed.dispose()
    subject.on_next(6)
    stop()
    assert seen == [0, 40, 50]
    assert fed.get() == 5


def test_from_observable_records_errors_and_completion() -> None:
    """A failing or completing stream leaves the last value and says what happened."""
    with from_observable(reactivex.of(1, 2, 3), 0) as done:
        assert done.get() == 3
        assert done.completed
    with from_observable(reactivex.throw(ValueError("down")), 7) as failed:
        assert failed.get() == 7
        assert isinstance(failed.error, ValueError)


async def test_round_trip_through_the_asyncio_loop() -> None:
    """On an AsyncIOScheduler, emissions arrive on the loop, batched per loop turn."""
    loop = asyncio.get_running_loop()
    a = atom("a", 0)
    out: list[int] = []

    def double(value: int) -> int:
        return value * 2

    subscription = (
        to_observable(a, scheduler=AsyncIOScheduler(loop))
        .pipe(ops.map(double))
        .subscribe(out.append)
    )
    await asyncio.sleep(0)
    a.set(1)
    a.set(2)
    for _ in range(3):
        await asyncio.sleep(0)
    subscription.dispose()
    assert out == [0, 4]

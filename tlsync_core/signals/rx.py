"""ReactiveX bridges: signals as observables, and observables as atoms.

Rx is the edge and stream layer, never the core graph: ``combine_latest`` diamonds glitch, the
graph does not.  ``to_observable`` wraps one effect per subscription, so each emission is a
consistent, committed value (never an intermediate value inside a transaction);
``from_observable`` feeds an atom from a stream.  Disposing either stops it: no effect, no
subscription is left behind.
"""

from __future__ import annotations

import logging
from typing import Any, Generic, TypeVar

import reactivex
from reactivex import abc
from reactivex.disposable import Disposable

from tlsync_core.signals.core import Atom, EffectScheduler, Signal, atom

T = TypeVar("T")

logger = logging.getLogger("tlsync_core.signals")

_NOTHING: Any = object()


def to_observable(
    signal: Signal[T, Any], *, scheduler: abc.SchedulerBase | None = None
) -> reactivex.Observable[T]:
    """An observable of ``signal``'s value: the current one on subscribe, then each change.

    Consecutive identical values are emitted once.  With a ``scheduler`` (or one passed to
    ``subscribe``), emissions are deferred to it and coalesced: a burst of changes before the
    scheduled action runs produces one emission of the latest value.  An exception raised by the
    signal ends the stream with ``on_error``.  An exception raised by an observer's ``on_next``
    is logged and does not reach the code that changed the signal.
    """

    def subscribe(
        observer: abc.ObserverBase[T], subscribe_scheduler: abc.SchedulerBase | None = None
    ) -> abc.DisposableBase:
        target = scheduler or subscribe_scheduler
        last: list[Any] = [_NOTHING]
        pending = [False]

        def emit(_last_reacted_epoch: int) -> None:
            try:
                value = signal.get()
            except Exception as error:
                effect.detach()
                observer.on_error(error)
                return
            if value is last[0]:
                return
            last[0] = value
            try:
                observer.on_next(value)
            except Exception:
                logger.exception("an observer of %s raised in on_next", signal.name)

        def defer(execute: Any) -> None:
            if pending[0]:
                return
            pending[0] = True

            def action(_scheduler: abc.SchedulerBase, _state: Any = None) -> None:
                pending[0] = False
                execute()

            assert target is not None
            target.schedule(action)

        effect = EffectScheduler(
            f"to_observable({signal.name})",
            emit,
            schedule_effect=None if target is None else defer,
        )
        effect.attach()
        effect.schedule_effect()
        return Disposable(effect.detach)

    return reactivex.create(subscribe)


class ObservedAtom(Generic[T]):
    """An atom fed by an observable, as returned by :func:`from_observable`.

    Read it like a signal (``get()`` records the dependency); ``dispose()`` (or leaving a
    ``with`` block) unsubscribes.  ``error`` holds the stream's error if it failed, ``completed``
    tells whether it completed; the atom keeps the last value either way.
    """

    def __init__(self, observable: reactivex.Observable[T], initial: T, name: str) -> None:
        self.atom: Atom[T, Any] = atom(name, initial)
        self.error: Exception | None = None
        self.completed = False
        self._subscription = observable.subscribe(
            on_next=self._on_next, on_error=self._on_error, on_completed=self._on_completed
        )

    @property
    def name(self) -> str:
        return self.atom.name

    def get(self) -> T:
        return self.atom.get()

    def dispose(self) -> None:
        self._subscription.dispose()

    def __enter__(self) -> ObservedAtom[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.dispose()

    def _on_next(self, value: T) -> None:
        self.atom.set(value)

    def _on_error(self, error: Exception) -> None:
        self.error = error
        logger.warning("the stream feeding %s failed: %r", self.atom.name, error)

    def _on_completed(self) -> None:
        self.completed = True


def from_observable(
    observable: reactivex.Observable[T], initial: T, *, name: str = "from_observable"
) -> ObservedAtom[T]:
    """An atom holding ``initial`` and then each value ``observable`` emits.

    Emissions must arrive on the graph's thread; marshal others with ``observe_on`` (e.g.
    ``AsyncIOThreadSafeScheduler``), or the write raises ``CrossThreadError``.
    """
    return ObservedAtom(observable, initial, name)

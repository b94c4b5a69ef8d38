"""Small graph pieces that many signals tests build the same way.

Each helper does what the tests used to spell out inline, call for call, so that a test keeps
only the steps and assertions that make up what it proves. (The module has a
distinct name because the test folders have no ``__init__.py``: pytest and mypy import it by its
bare name.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from tlsync_core.signals import Computed, EffectScheduler, Reactor, atom, computed, react, reactor

T = TypeVar("T")
R = TypeVar("R")


def react_recording(read: Callable[[], T], name: str = "r") -> tuple[Callable[[], None], list[T]]:
    """``react()`` an effect that appends ``read()`` to the returned list on every run.

    Returns the stop function and the list (which already holds the first run's value).
    """
    seen: list[T] = []
    stop = react(name, lambda _epoch: seen.append(read()))
    return stop, seen


def reactor_recording(read: Callable[[], T], name: str = "r") -> tuple[Reactor[None], list[T]]:
    """A reactor, not started yet, whose effect appends ``read()`` to the returned list."""
    seen: list[T] = []
    return reactor(name, lambda _epoch: seen.append(read())), seen


def attach_and_run(scheduler: EffectScheduler[R]) -> EffectScheduler[R]:
    """Attach ``scheduler`` to its parents and run its effect once now; returns it."""
    scheduler.attach()
    scheduler.execute()
    return scheduler


def scheduler_recording(
    read: Callable[[], T], name: str = "s"
) -> tuple[EffectScheduler[None], list[T]]:
    """An attached EffectScheduler that has run once; each run appends ``read()`` to the list."""
    seen: list[T] = []
    scheduler = attach_and_run(EffectScheduler(name, lambda _epoch: seen.append(read())))
    return scheduler, seen


def change_while_detached(scheduler: EffectScheduler[Any], change: Callable[[], object]) -> None:
    """Detach ``scheduler``, call ``change()``, re-attach it and let it decide whether to re-run.

    ``maybe_schedule_effect`` runs the effect only if a parent changed meanwhile (rule E9).
    """
    scheduler.detach()
    change()
    scheduler.attach()
    scheduler.maybe_schedule_effect()


def run_in_reaction(action: Callable[[], object], name: str = "outer") -> Callable[[], None]:
    """Call ``action()`` from inside an effect's reaction rather than at the top level.

    Starts an effect that does nothing until a fresh ``trigger`` atom becomes 1, then sets the
    trigger, so ``action`` runs during the reaction phase of that set. Returns the effect's stop
    function. ``action`` runs again whenever the effect re-runs for a signal it read.
    """
    trigger = atom("trigger", 0)

    def effect(_epoch: int) -> None:
        if trigger.get() == 1:
            action()

    stop = react(name, effect)
    trigger.set(1)
    return stop


def counting_computed(name: str, derive: Callable[[], T]) -> tuple[Computed[T, Any], list[int]]:
    """A computed of ``derive()`` that appends 1 to the returned list each time it derives."""
    calls: list[int] = []

    def counted(_prev: object, _epoch: int) -> T:
        calls.append(1)
        return derive()

    return computed(name, counted), calls

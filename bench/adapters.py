"""Adapters from the benchmark protocol (:class:`bench.signals_cases.Framework`) to the libraries.

* :class:`TlsyncAdapter`: our ``tlsync_core.signals`` (``atom`` / ``computed`` / ``react`` /
  ``transact``). It is imported lazily, so the harness still runs while it does not exist.
* :class:`ReaktivAdapter`: ``reaktiv`` 0.24.2 (``Signal`` / ``Computed`` / ``Effect`` / ``batch``).
  reaktiv holds effects weakly, so the adapter keeps every ``Effect``; and it calls an effect
  function that has any positional parameter with its ``on_cleanup`` registrar, so every effect
  function is wrapped in a zero-argument closure.

Both adapters hand the cases the library's own bound getters and setters (see
:class:`bench.signals_cases.Cell`), so reads and writes cost no extra adapter frame.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import partial
from typing import Any, ParamSpec, TypeVar

from bench.runner import dist_version
from bench.signals_cases import Cell, Derived

T = TypeVar("T")
P = ParamSpec("P")

TLSYNC_MODULE = "tlsync_core.signals"
REAKTIV_VERSION = "0.24.2"


class TlsyncAdapter:
    """``tlsync_core.signals`` behind the benchmark protocol."""

    name = "tlsync"

    def __init__(self) -> None:
        module: Any = importlib.import_module(TLSYNC_MODULE)
        self._atom: Callable[[str, Any], Any] = module.atom
        self._computed: Callable[[str, Callable[[Any, int], Any]], Any] = module.computed
        self._react: Callable[[str, Callable[[int], object]], Callable[[], object]] = module.react
        self._transact: Callable[[Callable[..., object]], object] = module.transact
        self._stops: list[Callable[[], object]] = []
        self.version = dist_version("tlsync")

    def signal(self, value: T) -> Cell[T]:
        atom = self._atom("signal", value)
        return Cell(atom.get, atom.set)

    def computed(self, fn: Callable[[], T]) -> Derived[T]:
        def derive(_prev: object, _last_computed_epoch: int) -> T:
            return fn()

        return Derived(self._computed("computed", derive).get)

    def effect(self, fn: Callable[[], object]) -> None:
        def run(_last_reacted_epoch: int) -> None:
            fn()

        self._stops.append(self._react("effect", run))

    def batch(self, fn: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> None:
        if args or kwargs:
            self._transact(partial(fn, *args, **kwargs))
        else:
            self._transact(fn)

    def cleanup(self) -> None:
        stops, self._stops = self._stops, []
        for stop in stops:
            stop()


class ReaktivAdapter:
    """``reaktiv`` behind the benchmark protocol (thread-safety locks left at their default)."""

    name = "reaktiv"

    def __init__(self) -> None:
        reaktiv: Any = importlib.import_module("reaktiv")
        self._signal: Any = reaktiv.Signal
        self._computed_cls: Any = reaktiv.Computed
        self._effect_cls: Any = reaktiv.Effect
        self._batch: Any = reaktiv.batch
        self._effects: list[Any] = []
        self.version = dist_version("reaktiv")

    def signal(self, value: T) -> Cell[T]:
        sig = self._signal(value)
        return Cell(sig.get, sig.set)

    def computed(self, fn: Callable[[], T]) -> Derived[T]:
        return Derived(self._computed_cls(fn).get)

    def effect(self, fn: Callable[[], object]) -> None:
        def run() -> None:
            fn()

        self._effects.append(self._effect_cls(run))

    def batch(self, fn: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> None:
        with self._batch():
            fn(*args, **kwargs)

    def cleanup(self) -> None:
        effects, self._effects = self._effects, []
        for effect in effects:
            effect.dispose()


def tlsync_unavailable_reason() -> str | None:
    """``None`` if ``tlsync_core.signals`` imports and has the API the adapter needs."""
    try:
        module = importlib.import_module(TLSYNC_MODULE)
    except Exception as exc:
        return f"{TLSYNC_MODULE} is not importable ({type(exc).__name__}: {exc})"
    missing = [n for n in ("atom", "computed", "react", "transact") if not hasattr(module, n)]
    if missing:
        return f"{TLSYNC_MODULE} lacks {', '.join(missing)}"
    return None


def reaktiv_unavailable_reason() -> str | None:
    """``None`` if ``reaktiv`` imports."""
    try:
        importlib.import_module("reaktiv")
    except Exception as exc:
        return f"reaktiv is not importable ({type(exc).__name__}: {exc})"
    return None

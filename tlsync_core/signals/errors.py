"""The errors the reactive graph raises (kept apart so the graph module can be compiled)."""

from __future__ import annotations

from typing import Any


class SignalsError(RuntimeError):
    """Base class of the errors the reactive graph raises on misuse."""


class CycleError(SignalsError):
    """A computed was read while it was deriving: its value depends on itself."""


class ReactionDepthError(SignalsError):
    """Effects kept re-triggering each other: ``Reaction update depth limit exceeded``."""


class _DeepPull(BaseException):
    """Unwinds too deep a chain of first derivations to the outermost read (core._settle)."""

    def __init__(self, node: Any) -> None:
        super().__init__(getattr(node, "name", "?"))
        self.node = node


class TransactionOverlapError(SignalsError):
    """A transaction ended while a transaction nested in it was still open."""


class CrossThreadError(SignalsError):
    """The graph was written from a thread that does not own it (see :func:`bind_thread`)."""

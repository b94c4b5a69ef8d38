"""History buffers: a ring of ``(from_epoch, to_epoch, diff)`` entries per signal.

A signal created with ``history_length=N`` remembers the diffs of its last ``N`` changes, so a
consumer that last looked at epoch ``E`` can ask for "what changed since E" and apply it
incrementally instead of recomputing from scratch. When the history cannot answer (it was never
kept, was cleared, or does not reach back far enough) the answer is :data:`RESET_VALUE`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Final, Generic, Literal, TypeAlias, TypeVar

D = TypeVar("D")


class _Reset(enum.Enum):
    RESET_VALUE = "RESET_VALUE"

    def __repr__(self) -> str:
        return "RESET_VALUE"


RESET_VALUE: Final = _Reset.RESET_VALUE
"""Returned by ``get_diff_since`` when no diff chain is available: recompute from scratch."""

ResetValue: TypeAlias = Literal[_Reset.RESET_VALUE]

EMPTY_DIFFS: Final[tuple[()]] = ()
"""The shared answer of ``get_diff_since`` when nothing changed since the given epoch."""


class HistoryBuffer(Generic[D]):
    """A fixed-capacity ring of ``(from_epoch, to_epoch, diff)`` entries (rules HB1–HB3).

    Pushing :data:`RESET_VALUE` clears the ring: a gap in the chain must never be papered over.
    """

    __slots__ = ("_buffer", "_capacity", "_index")

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"history capacity must be at least 1, got {capacity}")
        self._capacity = capacity
        self._buffer: list[tuple[int, int, D] | None] = [None] * capacity
        self._index = 0

    @property
    def capacity(self) -> int:
        return self._capacity

    def push_entry(self, from_epoch: int, to_epoch: int, diff: D | ResetValue) -> None:
        """Record that the value changed between the two epochs by ``diff``."""
        if diff is RESET_VALUE:
            self.clear()
            return
        self._buffer[self._index] = (from_epoch, to_epoch, diff)
        self._index = (self._index + 1) % self._capacity

    def clear(self) -> None:
        self._index = 0
        self._buffer = [None] * self._capacity

    def get_changes_since(self, since_epoch: int) -> Sequence[D] | ResetValue:
        """The diffs, oldest first, that lead from the value at ``since_epoch`` to the newest."""
        buffer, capacity, index = self._buffer, self._capacity, self._index
        for i in range(capacity):
            offset = (index - 1 - i) % capacity
            entry = buffer[offset]
            if entry is None:
                return RESET_VALUE
            from_epoch, to_epoch, _ = entry
            if i == 0 and since_epoch >= to_epoch:
                return EMPTY_DIFFS
            if from_epoch <= since_epoch < to_epoch:
                result: list[D] = []
                for j in range(i + 1):
                    found = buffer[(offset + j) % capacity]
                    assert found is not None
                    result.append(found[2])
                return result
        return RESET_VALUE

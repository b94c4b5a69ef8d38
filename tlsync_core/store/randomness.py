"""Where ids and index keys get their randomness: the OS's, or a seeded generator for replays.

:func:`~tlsync_core.store.records.unique_id` (record, session and request ids) and the jitter of
fractional index keys draw from :func:`source`.  By default that is the operating system's
generator; :func:`seeded` swaps in ``random.Random(seed)`` for a block, so a test or a
simulation that makes the same calls makes the same ids and keys (the public switch is
:func:`tlsync_core.testing.deterministic_ids`).  The switch is process-wide: it is meant for
tests, not for production code.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["seeded", "source"]

_SYSTEM = random.SystemRandom()
_current: random.Random = _SYSTEM


def source() -> random.Random:
    """The generator ids and index jitter draw from now."""
    return _current


@contextmanager
def seeded(seed: int | str) -> Iterator[random.Random]:
    """Draw ids and index jitter from ``random.Random(seed)`` inside the block (nested blocks
    restore the outer generator on exit); yields that generator."""
    global _current
    previous = _current
    _current = random.Random(seed)
    try:
        yield _current
    finally:
        _current = previous

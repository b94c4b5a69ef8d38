"""One memory budget for the whole server, and who is cut off when it runs out.

Theory of operation
===================

Per-session caps (frame size, outbox) bound each client, but not their sum: two hundred
sessions that stop reading may each hold a full outbox, and one frame of ``[{},{},…]``
becomes objects 30 to 40 times its size while it is parsed.  A :class:`MemoryBudget` counts
the bytes the server holds for clients, charged to whoever they are held for (a
:class:`BudgetHolder`):

* a session's outbox, each message from the moment it is queued until the transport took it
  (the message being written counts twice: the text and its encoded frame);
* a chunked message being assembled, and a message while it is parsed, at
  :data:`~tlsync_core.endpoint.PARSE_COST_PER_BYTE` times its size (an estimate from the
  size alone: the parse must be refused before it starts);
* an HTTP snapshot being sent, twice (the body and the response written), until its
  connection closed.

:meth:`MemoryBudget.reserve` charges bytes if they fit.  When they do not, the largest holder
that can be cut off is cut off (:meth:`BudgetHolder.evict`: a session is closed with 1013, try
again later, and its outbox dropped; an HTTP response is aborted) and the budget tried again.
What a cut-off holder cannot drop at once (the frame its transport is still writing) stays
charged until its connection is gone, so the count stays an upper bound of what is held;
when the asking holder would itself be the largest, nothing is charged and the caller refuses
(the session that queued a message is the one cut off; a frame is refused before it is parsed,
closing its session with 1009; a snapshot is answered 503).  A parse is held only for a moment:
its session is compared by what it holds besides, so sessions that hold more (readers that
stopped reading) are cut off before a working session's message is refused.  Anything larger
than the whole budget is always refused.
"""

from __future__ import annotations

from typing import Protocol

#: The default budget: what a server may hold for its clients, all rooms together.
DEFAULT_MEMORY_BUDGET = 1024 * 1024 * 1024


class BudgetHolder(Protocol):
    """Something bytes are charged to, that can be cut off."""

    def evict(self) -> None:
        """Cut off this holder and release everything charged to it."""


class MemoryBudget:
    """Bytes charged to holders, under one limit (see the module docstring)."""

    def __init__(self, limit: int = DEFAULT_MEMORY_BUDGET) -> None:
        if limit <= 0:
            raise ValueError(f"a memory budget must be positive, got {limit}")
        self.limit = limit
        self.used = 0
        self.evictions = 0
        self._charges: dict[BudgetHolder, int] = {}
        self._evicted: set[BudgetHolder] = set()  # cut off, still letting go (still counted)

    def charged(self, holder: BudgetHolder) -> int:
        return self._charges.get(holder, 0)

    def reserve(self, holder: BudgetHolder, size: int, *, transient: bool = False) -> bool:
        """Charge ``size`` bytes to ``holder`` if they fit, cutting off larger holders first;
        False (nothing charged) when ``holder`` would be the largest of all.

        ``transient``: the bytes are held only for a moment (a parse), so ``holder`` is
        compared by what it holds already, without them; they must still fit the budget alone.
        """
        if size > self.limit:
            return False
        while self.used + size > self.limit:
            mine = self._charges.get(holder, 0) + (0 if transient else size)
            candidates = (
                item
                for item in self._charges.items()
                if item[0] is not holder and item[0] not in self._evicted
            )
            largest = max(candidates, key=lambda item: item[1], default=None)
            if largest is None or largest[1] <= mine:
                return False
            victim = largest[0]
            self.evictions += 1
            self._evicted.add(victim)
            victim.evict()
        if size:
            self._charges[holder] = self._charges.get(holder, 0) + size
            self.used += size
        return True

    def release(self, holder: BudgetHolder, size: int) -> None:
        """Give back ``size`` of the bytes charged to ``holder``."""
        held = self._charges.get(holder, 0)
        size = min(size, held)
        if size == held:
            self._charges.pop(holder, None)
        else:
            self._charges[holder] = held - size
        self.used -= size

    def release_all(self, holder: BudgetHolder) -> None:
        """Give back everything charged to ``holder`` (it is gone)."""
        self.used -= self._charges.pop(holder, 0)
        self._evicted.discard(holder)

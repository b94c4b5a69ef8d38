"""The simulator as a hypothesis ``RuleBasedStateMachine``, so that a failure shrinks to a short
program of edits, deliveries, clock moves, disconnects, reconnects and server restarts.

Every random choice the world makes by itself (which channel delivers next, duplicates,
stalls, latency, the disk's latency) comes from generators seeded by the fixed configuration,
so a program replays exactly; hypothesis draws everything else.  The teardown runs the same
end checks as the seeded campaign (:meth:`Simulator.finish`).
"""

from __future__ import annotations

import random
from typing import Final

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from .simulator import EDIT_KINDS, SimConfig, SimResult, Simulator

MACHINE_CONFIG: Final = SimConfig(
    seed=0,
    clients=3,
    versions=(2, 0, 2),
    dialects=(8, 8, 3),
    commit_delay_ms=(0.0, 60.0),
)
"""Three clients: one on the latest schema, one on version 0 (served down-migrated records),
one in the v3 dialect (no string appends)."""

_clients = st.integers(0, MACHINE_CONFIG.clients - 1)


class SimMachine(RuleBasedStateMachine):
    """Clients edit, the network delivers, time passes, connections and the server fail; at
    the end every client converges with the room and the history checks out."""

    def __init__(self) -> None:
        super().__init__()
        self.sim = Simulator(MACHINE_CONFIG)
        self.sim.settle(200.0)  # every client connected: the interesting part starts at once
        self.result: SimResult | None = None

    @rule(client=_clients, kind=st.sampled_from(EDIT_KINDS), choice=st.integers(0, 2**16))
    def edit(self, client: int, kind: str, choice: int) -> None:
        self.sim.edit(client, kind, random.Random(choice))

    @rule(count=st.integers(1, 12))
    def deliver(self, count: int) -> None:
        self.sim.deliver(count)

    @rule(ms=st.sampled_from((0.0, 5.0, 17.0, 34.0, 100.0, 1_000.0)))
    def advance(self, ms: float) -> None:
        self.sim.advance(ms)

    @rule(ms=st.sampled_from((20.0, 50.0, 200.0)))
    def settle(self, ms: float) -> None:
        self.sim.settle(ms)

    @rule(client=_clients)
    def disconnect(self, client: int) -> None:
        self.sim.disconnect(client)

    @rule(client=_clients)
    def reconnect(self, client: int) -> None:
        self.sim.reconnect(client)

    @precondition(lambda self: self.sim.stats["fault_crash"] + self.sim.stats["restarts"] < 4)
    @rule(crash=st.booleans())
    def restart_server(self, crash: bool) -> None:
        self.sim.stats["restarts"] += 1
        self.sim.restart_server(crash=crash)

    def teardown(self) -> None:
        try:
            self.result = self.sim.finish()
        finally:
            self.sim.close()
        assert self.result.ok, self.result.describe()

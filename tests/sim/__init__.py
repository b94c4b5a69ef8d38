"""A deterministic simulator of many sync clients and one room over a faulty network, with a
Jepsen-style checker of the edit history (issue 8).

* :mod:`.schema`: the simulated documents (tldraw-shaped records) at three schema versions;
* :mod:`.tldraw_flavor`: the same on tldraw's full schema, edited through its helpers;
* :mod:`.history`: what clients wrote and what the room durably committed, and the checker;
* :mod:`.simulator`: the world (clients, room, persistence, network, faults, edits);
* :mod:`.machine`: the same simulator as a hypothesis ``RuleBasedStateMachine``;
* :mod:`.campaign` (``python -m tests.sim``): the long seeded campaign and its summary;
* ``test_sim.py`` (the CI campaign, the checker's own tests), ``test_regressions.py`` (bugs
  found, by seed).
"""

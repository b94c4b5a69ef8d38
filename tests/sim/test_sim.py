"""The simulator's CI campaign, its checker's own tests, and the hypothesis state machine.

Rule ids (see the final report of issue 8):

* SIM1: under disconnects, reconnects, duplicates, stalls, latency and server restarts, every
  client converges with the room byte for byte (in its own schema), presence included.
* SIM2: no acknowledged write is lost, no phantom value appears, no client pushes values it
  only received, and the durable commit log folds to the room's final state.
* SIM3: the campaign is not vacuous: documents grow, writes are acknowledged, every fault kind
  is injected, older-schema and v3-dialect clients take part.
* SIM4: the checker finds what it is meant to find (lost writes, phantoms, repeated tokens,
  durability gaps), also end to end through a storage that loses a commit.
* SIM5: a hypothesis state machine drives the same simulator; failures shrink.
* SIM6: a seed reproduces its run exactly.
* SIM7: ``python -m tests.sim`` runs a campaign and prints its summary.
* SIM8: tldraw's editor helpers accept every state multiplayer editing reaches (a shape whose
  parent another client deleted): ``test_regressions.py``, a strict xfail for now.
* SIM9: with messages dropped on live connections, clients notice what they missed and resync
  (CR10-CR12), and SIM1 and SIM2 hold.
"""

from __future__ import annotations

import functools
import io
import random
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from .campaign import main
from .history import Edit, History
from .machine import SimMachine
from .schema import LATEST_VERSION, create_sim_schema, default_records
from .simulator import (
    DEFAULT_FAULTS,
    SimConfig,
    SimResult,
    Simulator,
    js_canonical,
    run_simulation,
)

CI_SEEDS = range(200)
"""200 seeds x 100 steps x 2-4 clients (the issue asks for at least 50)."""
LONG_SEEDS = range(1000, 1010)
"""A few longer runs: 300 steps x 5 clients."""
TLDRAW_SEEDS = range(2000, 2010)
"""tldraw's own schema, edited through its helpers: 100 steps x 3 clients."""
STORAGE_SEEDS = range(4000, 4060)
"""100 steps x 2-4 clients with storage outages (SIM10)."""
DROP_SEEDS = range(3000, 3100)
"""100 steps x 2-4 clients with 5% of the messages dropped on live connections (before CR10-CR12
5 of these 100 seeds diverged; ``python -m tests.sim --drop 0.02`` runs longer campaigns)."""


@functools.cache
def _ci_result(seed: int) -> SimResult:
    return run_simulation(SimConfig(seed=seed, steps=100, clients=2 + seed % 3))


@pytest.mark.spec("SIM1")
@pytest.mark.spec("SIM2")
@pytest.mark.parametrize("seed", CI_SEEDS)
def test_seeded_simulation(seed: int) -> None:
    """100 random steps with 2-4 clients: every client converges with the room byte for byte,
    and the history has no lost write, phantom, foreign write or durability gap."""
    result = _ci_result(seed)
    assert result.ok, result.describe()
    assert result.check.acknowledged > 0
    assert result.stats["final_shapes"] > 0


@pytest.mark.spec("SIM1")
@pytest.mark.spec("SIM2")
@pytest.mark.parametrize("seed", LONG_SEEDS)
def test_long_simulation(seed: int) -> None:
    """300 random steps with 5 clients: the same checks on bigger documents."""
    result = run_simulation(SimConfig(seed=seed, steps=300, clients=5))
    assert result.ok, result.describe()
    assert result.check.acknowledged > 500


@pytest.mark.spec("SIM1")
@pytest.mark.spec("SIM2")
@pytest.mark.parametrize("seed", TLDRAW_SEEDS)
def test_tldraw_schema_simulation(seed: int) -> None:
    """The same world on tldraw's full schema (``create_tldraw_schema``), edited through the
    ``tlsync_core.tldraw.helpers`` as tldraw's editor would, with version-0 clients served
    down-migrated records: convergence and a clean history."""
    result = run_simulation(SimConfig(seed=seed, steps=100, clients=3, schema="tldraw"))
    assert result.ok, result.describe()
    assert result.check.acknowledged > 0
    assert result.stats["final_shapes"] > 0


@functools.cache
def _drop_result(seed: int) -> SimResult:
    faults = attrs.evolve(DEFAULT_FAULTS, drop=0.05)
    return run_simulation(SimConfig(seed=seed, steps=100, clients=2 + seed % 3, faults=faults))


@pytest.mark.spec("SIM9", "CR9")
@pytest.mark.parametrize("seed", DROP_SEEDS)
def test_simulation_with_dropped_messages(seed: int) -> None:
    """With 5% of the messages lost on live connections (on top of the usual faults), every
    client still converges with the room byte for byte, and no write is lost or made up."""
    result = _drop_result(seed)
    assert result.ok, result.describe()
    assert not result.check.lost and not result.check.phantoms


@pytest.mark.spec("SIM9", "SIM3")
def test_the_drop_campaign_is_not_vacuous() -> None:
    """Across the drop seeds many messages were lost, and clients noticed missed changes by
    their clocks and resynced (CR10)."""
    dropped = sum(_drop_result(seed).stats["fault_drop"] for seed in DROP_SEEDS)
    noticed = sum(
        count
        for seed in DROP_SEEDS
        for message, count in _drop_result(seed).log.items()
        if message.startswith("WARNING tlsync_client: missed a change")
    )
    assert dropped > 200
    assert noticed > 10


@functools.cache
def _storage_result(seed: int) -> SimResult:
    return run_simulation(
        SimConfig(seed=seed, steps=100, clients=2 + seed % 3, p_storage_outage=0.1, p_restart=0.05)
    )


@pytest.mark.spec("SIM10", "STO2")
@pytest.mark.parametrize("seed", STORAGE_SEEDS)
def test_simulation_with_storage_outages(seed: int) -> None:
    """Storage fails now and then for up to 4 s (commits fail and are retried with backoff)
    on top of the usual faults, and the server restarts during outages too: every client
    converges with the room, and no acknowledged write is lost or made up."""
    result = _storage_result(seed)
    assert result.ok, result.describe()
    assert not result.check.lost and not result.check.phantoms


@pytest.mark.spec("SIM10", "SIM3")
def test_the_storage_campaign_is_not_vacuous() -> None:
    """Across the storage seeds outages happened, commits failed and were retried, the server
    restarted during outages (losing only what was never acknowledged), and most writes were
    still acknowledged in the end."""
    total: dict[str, int] = {}
    for seed in STORAGE_SEEDS:
        for key, value in _storage_result(seed).stats.items():
            total[key] = total.get(key, 0) + value
    assert total["fault_storage_outage"] > 20
    assert total["failed_commits"] > 50
    assert total["restart_during_outage"] > 0
    assert total["acknowledged"] > 0.5 * total["writes"]


@pytest.mark.spec("SIM3")
def test_the_ci_campaign_is_not_vacuous() -> None:
    """Across the CI seeds every kind of fault was injected and mattered: connections cut with
    messages in flight, crashes that lost staged commits, graceful restarts, duplicates,
    stalls; clients on older schemas and in the v3 dialect took part; rooms pruned
    tombstones; most writes were acknowledged; the documents hold every record type."""
    total: dict[str, int] = {}
    for seed in CI_SEEDS:
        for key, value in _ci_result(seed).stats.items():
            total[key] = total.get(key, 0) + value
    for key in (
        "fault_disconnect",
        "lost_in_flight",
        "fault_crash",
        "commits_lost_in_crash",
        "fault_graceful_restart",
        "fault_duplicate",
        "fault_hold",
        "old_schema_clients",
        "v3_dialect_clients",
        "small_tombstone_rooms",
        "hydration_wipe_all",
        "server_edits",
        "final_bindings",
        "final_pages",
        "edit_append_text",
        "edit_reparent",
        "edit_create_arrow",
        "edit_presence",
    ):
        assert total.get(key, 0) > 0, key
    assert total["acknowledged"] > 0.8 * total["writes"]
    assert total["messages_delivered"] > 10_000


# -- the checker itself --------------------------------------------------------------------------


def _shape(shape_id: str, **values: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": shape_id,
        "typeName": "shape",
        "type": "text",
        "parentId": "page:page",
        "index": "a1",
        "x": 0.5,
        "y": 0.5,
        "rotation": 0,
        "isLocked": False,
        "opacity": 1,
        "props": {"text": "t1", "w": 1.5, "color": "red"},
        "meta": {},
    }
    record.update(values)
    return record


class _Log:
    """A tiny hand-written history: edits and durable commits."""

    def __init__(self) -> None:
        self.history = History(default_records(), default_records())
        self.edits = 0

    def edit(self, client: int, *writes: tuple[str, tuple[str, ...], Any], **kw: Any) -> None:
        self.edits += 1
        self.history.record_edit(Edit(self.edits, client, "test", 0.0, list(writes), **kw))

    def commit(self, session: str, puts: list[Any], deletes: list[str] | None = None) -> None:
        from tlsync_core.room.storage import ForwardDiff  # noqa: PLC0415

        diff = ForwardDiff()
        for put in puts:
            record = put[1] if isinstance(put, tuple) else put
            diff.puts[record["id"]] = put
        diff.deletes = list(deletes or [])
        self.history.record_commit(session, len(self.history.pending) + 1, diff)
        self.history.make_durable()

    def check(self, final: dict[str, Any]) -> Any:
        documents = {r["id"]: r for r in default_records()}
        documents.update(final)
        return self.history.check(documents, {"s0": 0, "s1": 1})


def _created(log: _Log, client: int, record: dict[str, Any]) -> None:
    log.edit(
        client,
        *[(record["id"], ("x",), record["x"]), (record["id"], ("y",), record["y"])],
        *[(record["id"], (k,), record[k]) for k in ("type", "parentId", "index", "rotation")],
        *[(record["id"], (k,), record[k]) for k in ("isLocked", "opacity")],
        *[(record["id"], ("props", k), record["props"][k]) for k in ("w", "color")],
        creates=[record["id"]],
        prefixes=[(record["id"], record["props"]["text"])],
    )


@pytest.mark.spec("SIM4")
def test_checker_finds_a_lost_write() -> None:
    """A write the room durably committed, missing at the end with no later commit touching
    the field, is a lost write; the durable log no longer folds to the final state."""
    log = _Log()
    a = _shape("shape:a")
    _created(log, 0, a)
    log.edit(1, ("shape:a", ("x",), 7.5))
    log.commit("s0", [a])
    log.commit("s1", [(a, {**a, "x": 7.5})])
    result = log.check({"shape:a": a})
    assert [x.kind for x in result.lost] == ["lost"]
    assert "x=7.5" in result.lost[0].detail
    assert result.durability


@pytest.mark.spec("SIM4")
def test_checker_accepts_overwrites_and_deletes() -> None:
    """A write overwritten by a later durable commit, or whose record a later commit deleted,
    is not lost."""
    log = _Log()
    a = _shape("shape:a")
    _created(log, 0, a)
    log.edit(1, ("shape:a", ("x",), 7.5))
    log.edit(0, ("shape:a", ("x",), 8.5))
    log.commit("s0", [a])
    log.commit("s1", [(a, {**a, "x": 7.5})])
    log.commit("s0", [({**a, "x": 7.5}, {**a, "x": 8.5})])
    result = log.check({"shape:a": {**a, "x": 8.5}})
    assert not result.anomalies and result.acknowledged > 0
    log.commit("s1", [], ["shape:a"])
    assert not log.check({}).anomalies


@pytest.mark.spec("SIM4")
def test_checker_finds_phantoms() -> None:
    """A value nobody wrote to that field, a record nobody created, a token never appended or
    appended twice: phantoms."""
    log = _Log()
    a = _shape("shape:a")
    _created(log, 0, a)
    log.edit(0, tokens=[("shape:a", "|2")])
    log.commit("s0", [a])
    log.commit("s0", [(a, {**a, "x": 99.5})])
    assert any("x=99.5" in p.detail for p in log.check({"shape:a": {**a, "x": 99.5}}).phantoms)
    ghost = _shape("shape:ghost")
    log.commit("s1", [ghost])
    assert any("record shape:ghost" in p.detail for p in log.check({}).phantoms)
    log = _Log()
    _created(log, 0, a)
    log.edit(0, tokens=[("shape:a", "|2")])
    twice = {**a, "props": {**a["props"], "text": "t1|2|2"}}
    stranger = {**a, "props": {**a["props"], "text": "t1|3"}}
    log.commit("s0", [a])
    log.commit("s0", [(a, twice)])
    assert any("repeats a token" in p.detail for p in log.check({"shape:a": twice}).phantoms)
    assert any("'|3' never written" in p.detail for p in log.check({"shape:a": stranger}).phantoms)


@pytest.mark.spec("SIM4")
def test_checker_finds_a_lost_token_and_a_foreign_write() -> None:
    """An acknowledged text token missing at the end (no later commit removed it) is lost; a
    session committing another client's value is a foreign write."""
    log = _Log()
    a = _shape("shape:a")
    _created(log, 0, a)
    log.edit(1, tokens=[("shape:a", "|2")])
    log.commit("s0", [a])
    appended = {**a, "props": {**a["props"], "text": "t1|2"}}
    log.commit("s1", [(a, appended)])
    result = log.check({"shape:a": a})
    assert any("token '|2'" in x.detail for x in result.lost)
    log.commit("s0", [(appended, {**appended, "x": 4.5})])
    log.edit(1, ("shape:a", ("x",), 4.5))
    assert any("written by client(s) [1]" in x.detail for x in log.check({}).foreign)


@pytest.mark.spec("SIM4")
def test_checker_catches_a_storage_that_loses_a_commit() -> None:
    """End to end: a storage that silently loses one acknowledged commit, then a server
    restart, is reported (lost writes, a durability gap)."""
    sim = Simulator(SimConfig(seed=3, clients=2, sabotage="lose_commit", p_restart=0.0))
    with sim:
        for index in range(6):
            sim.edit(index % 2, "create_shape", random.Random(index))
            sim.settle(200.0)
        sim.restart_server(crash=False)
        result = sim.finish()
    assert not result.ok
    assert result.check.lost and result.check.durability


# -- schema versions, determinism, the machine, the command line --------------------------------


@pytest.mark.spec("SIM1")
def test_older_schema_clients_are_served_down_migrated_records() -> None:
    """Clients on versions 0 and 1 edit geo shapes with the room (version 2): their label/text
    appends reach the room's ``props.text``, and each client holds the room's records
    migrated down to its own schema, byte for byte."""
    config = SimConfig(seed=5, clients=3, versions=(2, 0, 1), dialects=(8, 8, 8))
    with Simulator(config) as sim:
        sim.settle(200.0)
        for step in range(30):
            rng = random.Random(step)
            sim.edit(step % 3, "create_shape" if step < 6 else "append_text", rng)
            sim.settle(50.0)
        result = sim.finish()
        assert result.ok, result.describe()
        old = sim.clients[1].store.serialize()
        room = {rid: d.state for rid, d in sim.room.storage.documents.items()}
    geo = [r for r in room.values() if r["typeName"] == "shape" and r["type"] == "geo"]
    assert geo and all("text" in r["props"] and "growY" in r["props"] for r in geo)
    assert all("label" in old[r["id"]]["props"] for r in geo)
    assert create_sim_schema(0).serialize() != create_sim_schema(LATEST_VERSION).serialize()


@pytest.mark.spec("SIM6")
def test_a_seed_reproduces_its_run() -> None:
    """Running a seed twice gives the same statistics and the same final room, byte for
    byte."""
    runs = []
    for _ in range(2):
        with Simulator(SimConfig(seed=11, steps=60, clients=3)) as sim:
            result = sim.run()
            room = {rid: d.state for rid, d in sim.room.storage.documents.items()}
            runs.append((dict(result.stats), js_canonical(room)))
    assert runs[0] == runs[1]


@pytest.mark.spec("SIM5")
def test_state_machine() -> None:
    """Hypothesis drives the simulator rule by rule (edits, deliveries, clock moves,
    disconnects, reconnects, restarts); the end checks hold for every program it tries."""
    run_state_machine_as_test(
        SimMachine,
        settings=settings(
            max_examples=150,
            stateful_step_count=50,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


@pytest.mark.spec("SIM7")
def test_command_line_campaign_prints_a_summary() -> None:
    """``python -m tests.sim`` runs seeds and prints the summary: seeds, steps, messages,
    faults by kind, edits acknowledged, lost = 0, phantom = 0."""
    out = io.StringIO()
    status = main(
        ["--seeds", "3", "--steps", "30", "--clients", "2", "--jobs", "1", "--quiet"], out
    )
    text = out.getvalue()
    assert status == 0, text
    for expected in (
        "3 seeds x 30 steps x 2 clients",
        "steps: 90",
        "messages: sent",
        "faults injected: disconnect",
        "acknowledged",
        "lost = 0, phantom = 0",
    ):
        assert expected in text, text

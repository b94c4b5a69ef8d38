"""Differential room tests: our TLSyncRoom against @tldraw/sync-core 5.4.2's, event by event.

The same sequence of events (sessions opening, connecting and reconnecting, pushes, presence,
pings, closes, time passing) runs on our room (tldraw's schema, a fake clock) and on a real
``TLSyncRoom`` in node (tests/node/ops/room.mjs), from the same snapshot. Compared: every message
each socket received (data batches flattened, presence ids renamed in order of appearance), how
each socket was closed, the sessions and presence records left, and the final snapshot
(documents with their clocks, tombstones, clock, history start, schema). See
room_diff_harness.py for the event model and the normalisation, room_diff_gen.py for what the
sequences contain, and vectors/regressions.json for every past divergence (:func:`regressions`
says its format).

In CI: ``CI_SEEDS`` seeded sequences of ``CI_LENGTH`` events (``BATCH`` per node round trip), a
fresh random seed per run (``FRESH_SEQUENCES`` sequences from it; the failure message names the
seed; ``ROOM_DIFF_SEED=<seed>`` replays it), the regressions, and the deliberate differences,
each pinned so that a change on either side shows.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import pytest
from node_peer import NodePeer
from room_diff_gen import (
    CURRENT_SCHEMA,
    OLD_GEO_SCHEMA,
    generate,
    initial_snapshot,
    snapshot_kind,
    stored_geo,
)
from room_diff_harness import (
    SCHEMA,
    START,
    Event,
    Result,
    describe_failure,
    differences,
    minimize,
    normalise,
    run_node,
    run_python,
)

from tlsync_core.room.room import TLSyncRoom
from tlsync_core.testing import FakeClock

CI_SEEDS = range(600)
CI_LENGTH = 80
BATCH = 50
FRESH_SEQUENCES = 150
FRESH_LENGTH = 80

Snapshot = dict[str, Any]

VECTORS = Path(__file__).parent / "vectors" / "regressions.json"


class Regression(TypedDict):
    """One past divergence: what was wrong, where it was fixed, and the events that show it."""

    name: str
    why: str
    fixed_in: str
    snapshot: str
    events: list[dict[str, Any]]


class RegressionVectors(TypedDict):
    """The contents of ``vectors/regressions.json``."""

    seeds: list[tuple[int, int]]
    regressions: list[Regression]


def regressions() -> RegressionVectors:
    """Every divergence the differential tests found, from ``vectors/regressions.json``.

    Each regression was found by a random sequence and cut down with
    ``room_diff_harness.minimize`` to the events that still showed it (with the bug put back).
    ``"$schema"`` and ``"$old_geo_schema"`` in a connect message stand for tldraw's current
    schema and ``room_diff_gen.OLD_GEO_SCHEMA``; ``snapshot`` names the room's initial snapshot
    (``room_diff_gen.SNAPSHOT_KINDS``); ``fixed_in`` says which side was wrong: ``room``
    (tlsync_core/room) or ``harness`` (how the test drives tldraw). A new failure goes at the
    end: the failing test prints the minimized events as JSON, ready to paste. ``seeds`` keeps
    ``[seed, length]`` pairs of the *current* generator that once failed (seeds of an earlier
    generator are meaningless once it changed, hence the event lists).
    """
    vectors: RegressionVectors = json.loads(VECTORS.read_text(encoding="utf-8"))
    return vectors


REGRESSIONS = regressions()


@pytest.fixture(scope="module")
def default_snapshot(node_peer: NodePeer) -> Snapshot:
    """tldraw's DEFAULT_INITIAL_SNAPSHOT (documents, clocks, schema), as node has it."""
    snapshot: Snapshot = node_peer.call("roomDefaultSnapshot")
    return snapshot


def _resolve(value: Any) -> Any:
    """Events with ``"$schema"`` / ``"$old_geo_schema"`` replaced by those schemas."""
    if value == "$schema":
        return CURRENT_SCHEMA
    if value == "$old_geo_schema":
        return OLD_GEO_SCHEMA
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v) for k, v in value.items()}
    return value


def _compact(events: Sequence[Event]) -> list[Any]:
    """Events with the schemas replaced by their ``$`` names (for vectors/regressions.json)."""

    def compact(value: Any) -> Any:
        if value == CURRENT_SCHEMA:
            return "$schema"
        if value == OLD_GEO_SCHEMA:
            return "$old_geo_schema"
        if isinstance(value, list):
            return [compact(v) for v in value]
        if isinstance(value, dict):
            return {k: compact(v) for k, v in value.items()}
        return value

    return [compact(event) for event in events]


def _check_seeds(
    peer: NodePeer, seeds: Sequence[int], length: int, default: Snapshot, label: str
) -> None:
    """Run the sequences of ``seeds`` on both rooms; fail with the first divergence, its
    events minimized, and every failing seed."""
    cases = []
    for seed in seeds:
        snapshot = initial_snapshot(snapshot_kind(seed), default)
        cases.append((seed, generate(seed, length, snapshot), snapshot))
    theirs = run_node(peer, [(events, snapshot) for _, events, snapshot in cases])
    failing: list[tuple[int, list[Event], Snapshot, Result, Result, list[str]]] = []
    for (seed, events, snapshot), their in zip(cases, theirs, strict=True):
        ours = run_python(events, snapshot)
        found = differences(ours, their, events)
        if found:
            failing.append((seed, events, snapshot, ours, their, found))
    if not failing:
        return
    seed, events, snapshot, ours, their, found = failing[0]

    def fails(candidate: Sequence[Event]) -> bool:
        (result,) = run_node(peer, [(candidate, snapshot)])
        return bool(differences(run_python(candidate, snapshot), result, candidate))

    smaller = minimize(events, fails)
    pytest.fail(
        f"{label}: {len(failing)} of {len(seeds)} sequences diverge "
        f"(seeds {[f[0] for f in failing]}, length {length}).\n"
        + describe_failure(
            f"seed {seed} ({snapshot_kind(seed)} snapshot)", events, ours, their, found
        )
        + f"\n  minimized ({len(smaller)} events; for vectors/regressions.json, snapshot "
        f"{snapshot_kind(seed)!r}):\n    {json.dumps(_compact(smaller))}",
        pytrace=False,
    )


@pytest.mark.spec("RD1")
@pytest.mark.parametrize("batch", range(len(CI_SEEDS) // BATCH))
def test_seeded_sequences_agree(
    node_peer: NodePeer, default_snapshot: Snapshot, batch: int
) -> None:
    """A fixed set of seeded sequences (seeds batch*BATCH onwards) gives the same messages,
    closes, sessions, presence and snapshot on both rooms."""
    seeds = CI_SEEDS[batch * BATCH : (batch + 1) * BATCH]
    _check_seeds(node_peer, seeds, CI_LENGTH, default_snapshot, f"seeds {seeds[0]}-{seeds[-1]}")


@pytest.mark.spec("RD2")
def test_fresh_random_sequences_agree(node_peer: NodePeer, default_snapshot: Snapshot) -> None:
    """Sequences from a new random seed each run agree too (``ROOM_DIFF_SEED`` replays one)."""
    first = int(os.environ.get("ROOM_DIFF_SEED") or secrets.randbelow(2**31))
    print(f"room_diff fresh seed: {first} (replay: ROOM_DIFF_SEED={first})")
    seeds = range(first, first + FRESH_SEQUENCES)
    _check_seeds(
        node_peer,
        seeds,
        FRESH_LENGTH,
        default_snapshot,
        f"fresh seed {first} (replay with ROOM_DIFF_SEED={first})",
    )


@pytest.mark.spec("RD3")
@pytest.mark.parametrize(
    "case", REGRESSIONS["regressions"], ids=[r["name"] for r in REGRESSIONS["regressions"]]
)
def test_regressions(node_peer: NodePeer, default_snapshot: Snapshot, case: Regression) -> None:
    """Every divergence found so far, as its minimized event list, now agrees."""
    snapshot = initial_snapshot(case["snapshot"], default_snapshot)
    events = _resolve(case["events"])
    (theirs,) = run_node(node_peer, [(events, snapshot)])
    ours = run_python(events, snapshot)
    found = differences(ours, theirs, events)
    assert not found, describe_failure(case["name"], events, ours, theirs, found)
    if case["name"] == "stale_debounce_timer":
        assert theirs["staleTimers"] >= 1  # the case must reach the quirk it is about


@pytest.mark.spec("RD3")
def test_regression_seeds(node_peer: NodePeer, default_snapshot: Snapshot) -> None:
    """Seeds that once failed with the current generator agree."""
    for seed, length in REGRESSIONS["seeds"]:
        _check_seeds(node_peer, [seed], length, default_snapshot, f"regression seed {seed}")


@pytest.mark.spec("RD1")
def test_step_by_step_ops_give_the_batch_result(
    node_peer: NodePeer, default_snapshot: Snapshot
) -> None:
    """room.mjs's single-step ops (create, events, flush, result, dispose) give what one
    roomRun gives for the same sequence, and both agree with ours."""
    snapshot = initial_snapshot("rich", default_snapshot)
    events = generate(7, 60, snapshot)
    room = node_peer.call("roomCreate", snapshot=snapshot, start=START)["room"]
    for event in events[:10]:
        node_peer.call("roomEvent", room=room, event=event)
    node_peer.call("roomEvents", room=room, events=events[10:])
    node_peer.call("roomFlush", room=room)
    stepped: Result = node_peer.call("roomResult", room=room)
    node_peer.call("roomDispose", room=room)
    (batched,) = run_node(node_peer, [(events, snapshot)])
    assert not differences(stepped, batched, events)
    assert not differences(run_python(events, snapshot), stepped, events)


@pytest.mark.spec("RD5")
def test_a_new_room_starts_as_tldraws_default_room(default_snapshot: Snapshot) -> None:
    """Without a snapshot our room holds what tldraw's DEFAULT_INITIAL_SNAPSHOT holds: the
    same documents at clock 0, clock 0, history from 0, the same schema."""
    room = TLSyncRoom(SCHEMA, None, now=FakeClock(0.0))
    ours = normalise(
        {"sockets": [], "presenceIds": [], "sessions": {}, "presence": {}, **_snap(room)}
    )
    theirs = normalise(
        {
            "sockets": [],
            "presenceIds": [],
            "sessions": {},
            "presence": {},
            "snapshot": {**default_snapshot, "tombstones": {}},
        }
    )
    assert ours["snapshot"] == theirs["snapshot"]


def _snap(room: TLSyncRoom) -> dict[str, Any]:
    return {"snapshot": dict(room.get_snapshot())}


@pytest.mark.spec("RD6")
@pytest.mark.parametrize(
    "tombstone_clocks",
    [
        pytest.param(lambda i: 1 + i // 3, id="spread"),
        pytest.param(lambda i: 7, id="one-clock"),
        pytest.param(lambda i: 1 + (i % 400), id="shuffled"),
    ],
)
def test_tombstone_pruning_agrees(
    node_peer: NodePeer,
    default_snapshot: Snapshot,
    tombstone_clocks: Callable[[int], int],
) -> None:
    """A delete that takes the room past 5000 tombstones prunes the same ones (never splitting a
    clock) and moves the history start the same way, so reconnects see the same hydration.
    (tldraw prunes up to 1 s after the delete, a throttled call; room.mjs runs it at the next
    advance, and the reconnects come after one.)"""
    tombstones = {f"shape:t{i}": tombstone_clocks(i) for i in range(5000)}
    clock = max(tombstones.values()) + 1
    snapshot: Snapshot = {
        "documentClock": clock,
        "tombstoneHistoryStartsAtClock": 0,
        "documents": [
            *default_snapshot["documents"],
            {"state": _page("page:k"), "lastChangedClock": clock},
        ],
        "tombstones": tombstones,
        "schema": CURRENT_SCHEMA,
    }
    events: list[Event] = [
        *_connect("a", -1),
        _push("a", 0, {"page:k": ["remove"]}),
        {"t": "advance", "ms": 1000},
        *_connect("b", 0),
        *_connect("c", clock // 2),
        *_connect("d", clock - 1),
    ]
    (theirs,) = run_node(node_peer, [(events, snapshot)])
    ours = run_python(events, snapshot)
    assert len(ours["snapshot"]["tombstones"]) < 5000
    found = differences(ours, theirs, events)
    assert not found, describe_failure("tombstone pruning", events, ours, theirs, found)


# ----------------------------------------------------------------------------------------------
# deliberate differences, pinned


def _page(page_id: str, name: str = "P") -> dict[str, Any]:
    return {"id": page_id, "typeName": "page", "name": name, "index": "a2", "meta": {}}


def _connect(session: str, clock: Any, **fields: Any) -> list[Event]:
    message: dict[str, Any] = {
        "type": "connect",
        "connectRequestId": f"{session}-r",
        "protocolVersion": 8,
        "lastServerClock": clock,
        "schema": CURRENT_SCHEMA,
        **fields,
    }
    return [{"t": "open", "s": session}, {"t": "msg", "s": session, "m": message}]


def _push(session: str, clock: int, diff: Any = None, presence: Any = None) -> Event:
    message: dict[str, Any] = {"type": "push", "clientClock": clock}
    if diff is not None:
        message["diff"] = diff
    if presence is not None:
        message["presence"] = presence
    return {"t": "msg", "s": session, "m": message}


def _closed(result: Result, socket: int = 0) -> Any:
    return result["sockets"][socket]["closed"]


def _messages(result: Result, socket: int = 0) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = result["sockets"][socket]["messages"]
    return messages


@dataclass(frozen=True)
class Deliberate:
    """A difference we keep on purpose: the events that show it and what each room does."""

    name: str
    why: str
    events: list[Event]
    ours: Callable[[Result], bool]
    theirs: Callable[[Result], bool]
    snapshot: Callable[[Snapshot], Snapshot] = lambda default: default
    #: the comparison normalises it away (room_diff_harness), so the rooms "agree"
    normalised: bool = False


def _rejected(reason: str) -> Callable[[Result], bool]:
    return lambda r: _closed(r) == {"code": 4099, "reason": reason}


def _connected(r: Result) -> bool:
    return bool(_messages(r)) and _messages(r)[0]["type"] == "connect" and _closed(r) is None


def _first_push_result(r: Result) -> Any:
    return next(m for m in _messages(r) if m["type"] == "push_result")["action"]


def _with_camera(default: Snapshot) -> Snapshot:
    camera = {"id": "camera:c", "typeName": "camera", "x": 0, "y": 0, "z": 1, "meta": {}}
    return {
        **default,
        "documents": [*default["documents"], {"state": camera, "lastChangedClock": 0}],
    }


_RICH_TEXT_PAST_THE_END = {
    "props": [
        "patch",
        {"richText": ["patch", {"content": ["patch", {"3": ["put", {"type": "paragraph"}]}]}]},
    ]
}

DELIBERATE = [
    Deliberate(
        "protocol_3",
        "SPEC HS2: we speak the v3 dialect (protocol 3) too; 5.4.2 refuses it",
        _connect("a", -1, protocolVersion=3),
        ours=lambda r: _messages(r)[0]["protocolVersion"] == 3 and _closed(r) is None,
        theirs=_rejected("CLIENT_TOO_OLD"),
    ),
    Deliberate(
        "protocol_as_string",
        "versions.py: a protocolVersion that is not a number is refused; 5.4.2 lets '8' through "
        "by accident of JavaScript comparison",
        _connect("a", -1, protocolVersion="8"),
        ours=_rejected("CLIENT_TOO_OLD"),
        theirs=_connected,
    ),
    Deliberate(
        "put_under_another_id",
        "SPEC RP2: a put whose record id is not its key is INVALID_RECORD; 5.4.2 fails an "
        "assertion in its storage, which TLSocketRoom turns into UNKNOWN_ERROR",
        [*_connect("a", -1), _push("a", 0, {"page:q": ["put", _page("page:r")]})],
        ours=_rejected("INVALID_RECORD"),
        theirs=_rejected("UNKNOWN_ERROR"),
    ),
    Deliberate(
        "patch_changing_the_id",
        "a patch may not change a record's id (INVALID_RECORD); 5.4.2: the same assertion",
        [*_connect("a", -1), _push("a", 0, {"page:page": ["patch", {"id": ["put", "page:x"]}]})],
        ours=_rejected("INVALID_RECORD"),
        theirs=_rejected("UNKNOWN_ERROR"),
    ),
    Deliberate(
        "string_appends_while_a_legacy_session_is_connected",
        "SPEC SES5: while a session that cannot take string appends (protocol 7) is connected, "
        "nobody is sent any; 5.4.2 re-diffs broadcasts without the legacy flag",
        [
            *_connect("v7", -1, protocolVersion=7),
            *_connect("v8", -1),
            _push("v7", 0, {"page:page": ["patch", {"name": ["append", "!", 6]}]}),
        ],
        ours=lambda r: (
            _messages(r, 1)[1]["diff"] == {"page:page": ["patch", {"name": ["put", "Page 1!"]}]}
        ),
        theirs=lambda r: (
            _messages(r, 1)[1]["diff"] == {"page:page": ["patch", {"name": ["append", "!", 6]}]}
        ),
        normalised=True,
    ),
    Deliberate(
        "non_document_records_in_a_snapshot",
        "SPEC RC3: loading keeps only document records, always; 5.4.2 drops the others only "
        "when a migration runs (a camera record in a current-schema snapshot stays)",
        _connect("a", -1),
        ours=lambda r: (
            "camera:c" not in r["snapshot"]["documents"]
            and r["snapshot"]["tombstones"] == {"camera:c": 1}
        ),
        theirs=lambda r: "camera:c" in r["snapshot"]["documents"],
        snapshot=_with_camera,
    ),
    Deliberate(
        "connect_without_last_server_clock",
        "a connect without lastServerClock is answered as a fresh client (-1: wipe_all with "
        "every document); 5.4.2 compares undefined and answers wipe_presence with no documents",
        [
            {"t": "open", "s": "a"},
            {
                "t": "msg",
                "s": "a",
                "m": {
                    "type": "connect",
                    "connectRequestId": "r",
                    "protocolVersion": 8,
                    "schema": CURRENT_SCHEMA,
                },
            },
        ],
        ours=lambda r: (
            _messages(r)[0]["hydrationType"] == "wipe_all" and bool(_messages(r)[0]["diff"])
        ),
        theirs=lambda r: (
            _messages(r)[0]["hydrationType"] == "wipe_presence" and not _messages(r)[0]["diff"]
        ),
    ),
    Deliberate(
        "non_numeric_last_server_clock",
        "a lastServerClock that is not a number ends the session (UNKNOWN_ERROR); 5.4.2 lets "
        "JavaScript coerce it (null is 0, '5' is 5)",
        _connect("a", None),
        ours=_rejected("UNKNOWN_ERROR"),
        theirs=_connected,
    ),
    Deliberate(
        "unknown_presence_op",
        "a presence op other than put or patch is INVALID_RECORD; 5.4.2 ignores it and commits",
        [*_connect("a", -1), _push("a", 0, presence=["remove"])],
        ours=_rejected("INVALID_RECORD"),
        theirs=lambda r: _first_push_result(r) == "commit",
    ),
    Deliberate(
        "unknown_record_op",
        "a record op other than put, patch or remove is INVALID_RECORD; 5.4.2 skips it (discard)",
        [*_connect("a", -1), _push("a", 0, {"page:page": ["frob", {}]})],
        ours=_rejected("INVALID_RECORD"),
        theirs=lambda r: _first_push_result(r) == "discard",
    ),
    Deliberate(
        "patch_past_the_end_of_an_array",
        "protocol.diff: a patch that sets an index past an array's end is refused (JavaScript "
        "leaves holes, which JSON sends as null) and the push is INVALID_RECORD; 5.4.2 stores "
        "the holes where its validator lets them through (rich text content)",
        [
            *_connect("a", -1),
            _push("a", 0, {"shape:x": ["put", stored_geo("shape:x", 0)["state"]]}),
            _push("a", 1, {"shape:x": ["patch", _RICH_TEXT_PAST_THE_END]}),
        ],
        ours=_rejected("INVALID_RECORD"),
        theirs=lambda r: (
            r["snapshot"]["documents"]["shape:x"]["state"]["props"]["richText"]["content"][1:3]
            == [None, None]
        ),
    ),
]


@pytest.mark.spec("RD4")
@pytest.mark.parametrize("case", DELIBERATE, ids=[d.name for d in DELIBERATE])
def test_deliberate_differences(
    node_peer: NodePeer, default_snapshot: Snapshot, case: Deliberate
) -> None:
    """Each deliberate difference shows exactly as described: ours does one thing, 5.4.2 the
    other (so the list stays true when either side changes)."""
    snapshot = case.snapshot(default_snapshot)
    (theirs,) = run_node(node_peer, [(case.events, snapshot)])
    ours = run_python(case.events, snapshot)
    found = differences(ours, theirs, case.events)
    if case.normalised:
        assert not found, f"{case.name}: not covered by the normalisation: {found}"
    else:
        assert found, f"{case.name}: the rooms now agree"
    assert case.ours(normalise(ours)), f"{case.name} (ours): {normalise(ours)['sockets']}"
    assert case.theirs(normalise(theirs)), f"{case.name} (tldraw): {normalise(theirs)['sockets']}"

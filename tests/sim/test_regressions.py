"""Bugs the simulator found, each as a named seed and as a minimal test.

Two were in ``tlsync_core/room/room.py``, in how a room with ``durable=False`` (DUR1: a host
that persists asynchronously, as ``tlsync_core.server`` does) holds messages until
``mark_durable``; both are fixed.  The seeds are replayed with the configuration that found
them (the simulator as of issue 8); the room-level tests pin the behaviour independently of
the simulator's trajectories.

One was in ``tlsync_core/tldraw/helpers`` (a dangling parent after a concurrent delete).
"""

from __future__ import annotations

from typing import Any

import pytest

from tlsync_core.room.room import TLSyncRoom
from tlsync_core.testing import FakeClock, RecordingSocket

from .schema import create_sim_schema
from .simulator import SimConfig, run_simulation

SCHEMA = create_sim_schema()


def _page(suffix: str) -> dict[str, Any]:
    return {
        "id": f"page:{suffix}",
        "typeName": "page",
        "name": f"Page #{suffix}",
        "index": "a2",
        "meta": {},
    }


def _connect(room: TLSyncRoom, session_id: str, last_clock: int = -1) -> RecordingSocket:
    socket = RecordingSocket()
    room.handle_new_session(session_id, socket)
    room.handle_message(
        session_id,
        {
            "type": "connect",
            "connectRequestId": f"request-{session_id}-{last_clock}",
            "protocolVersion": 8,
            "lastServerClock": last_clock,
            "schema": SCHEMA.serialize(),
        },
    )
    return socket


def _push(room: TLSyncRoom, session_id: str, clock: int, diff: dict[str, Any]) -> None:
    room.handle_message(session_id, {"type": "push", "clientClock": clock, "diff": diff})


@pytest.mark.spec("DUR1")
def test_seed_7_held_patch_is_not_replayed_to_a_reconnected_session() -> None:
    """Seed 7 (100 steps, 3 clients, disk latency up to 250 ms): a patch held for a session's
    connection reached the session's *next* connection after its connect answer, resurrecting
    a record the room had deleted meanwhile (client 0 diverged)."""
    result = run_simulation(SimConfig(seed=7, steps=100, clients=3, commit_delay_ms=(0.0, 250.0)))
    assert result.ok, result.describe()


@pytest.mark.spec("DUR1")
def test_held_messages_belong_to_their_connection() -> None:
    """A message held for durability is for the connection it was sent on: if the session
    reconnects (same session id, new socket) before ``mark_durable``, the new connection gets
    only its connect answer, which already says everything, never the stale patch.

    Before the fix the room looked the session up by id at release, so the new connection
    got ``put page:x`` (clock 1) after a connect answer that said ``page:x`` was removed
    (clock 2): the client resurrected a deleted record and never converged."""
    clock = FakeClock(1000.0)
    room = TLSyncRoom(SCHEMA, now=clock, durable=False)
    first = _connect(room, "a")
    _connect(room, "b")
    room.mark_durable(room.clock)
    first.take()
    _push(room, "b", 0, {"page:x": ["put", _page("x")]})  # clock 1, held for a
    room.handle_close("a")  # a's connection drops
    _push(room, "b", 1, {"page:x": ["remove"]})  # clock 2
    second = _connect(room, "a", last_clock=0)  # a reconnects, same session id
    room.mark_durable(room.clock)
    clock.advance(100)
    room.tick()
    received = second.take()
    assert [m["type"] for m in received] == ["connect"]
    assert received[0]["diff"] == {"page:x": ["remove"]}
    assert received[0]["serverClock"] == 2


@pytest.mark.spec("DUR1")
def test_seed_0_connect_answer_does_not_show_undurable_changes() -> None:
    """Seed 0 (100 steps, 3 clients, disk latency up to 250 ms): a client connected while a
    commit was staged but not on disk and learned its clock; the server crashed, restarted
    from storage one clock behind, and the next commit reused that clock, so the client,
    reconnecting with that ``lastServerClock``, was told nothing changed and missed it."""
    result = run_simulation(SimConfig(seed=0, steps=100, clients=3, commit_delay_ms=(0.0, 250.0)))
    assert result.ok, result.describe()


@pytest.mark.spec("DUR1")
def test_connect_answer_waits_until_the_changes_it_shows_are_durable() -> None:
    """With ``durable=False``, a connect answer that shows changes not yet on disk is held
    like any data message, and goes out (before anything held after it) once
    ``mark_durable`` covers them; so no client ever learns a clock a crash could reuse."""
    clock = FakeClock(1000.0)
    room = TLSyncRoom(SCHEMA, now=clock, durable=False)
    _connect(room, "b")
    room.mark_durable(room.clock)
    _push(room, "b", 0, {"page:x": ["put", _page("x")]})  # clock 1, not on disk
    late = _connect(room, "c")
    assert late.take() == []
    _push(room, "b", 1, {"page:y": ["put", _page("y")]})  # clock 2, held for c after it
    room.mark_durable(1)
    answer = late.take()
    assert [m["type"] for m in answer] == ["connect"]
    assert answer[0]["serverClock"] == 1 and "page:x" in answer[0]["diff"]
    room.mark_durable(2)
    clock.advance(100)
    room.tick()
    patches = late.take()
    assert [(m["type"], m["serverClock"]) for m in patches] == [("patch", 2)]
    # a durable room answers at once, as before
    eager = TLSyncRoom(SCHEMA, now=clock)
    assert [m["type"] for m in _connect(eager, "d").take()] == ["connect"]


@pytest.mark.spec("SIM8")
def test_helpers_delete_a_bound_shape_whose_parent_another_client_deleted() -> None:
    """Found by the tldraw-schema campaign: client 1 puts a shape in a frame and binds an
    arrow to it while client 2 deletes the frame (with the children it knew of), so the shape
    is left with a dangling ``parentId``, a state multiplayer editing reaches.  Deleting that
    shape with ``helpers.delete`` should work (the arrow end becomes a free point, as in
    tldraw); it raises ``LookupError: no shape 'shape:...' in the store`` instead, and the
    edit is refused."""
    helpers = pytest.importorskip("tlsync_core.tldraw.helpers")
    tldraw = pytest.importorskip("tlsync_core.tldraw")
    from tlsync_core.store import Store  # noqa: PLC0415

    store = Store(schema=tldraw.create_tldraw_schema())
    store.ensure_store_is_usable()
    frame = helpers.create_frame(store, x=0, y=0, w=100, h=100)
    inside = helpers.create_geo(store, x=10, y=10, w=10, h=10, parent=frame["id"])
    other = helpers.create_geo(store, x=300, y=10, w=10, h=10)
    helpers.create_arrow(store, start=inside["id"], end=other["id"])
    store.merge_remote_changes(lambda: store.remove([frame["id"]]))
    helpers.delete(store, [inside["id"]])
    assert store.get(inside["id"]) is None

"""TLSyncClient against a scripted server: lifecycle (CL), pushes (CP) and receiving (CR)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from client_harness import (
    DOCUMENT,
    PAGE,
    Harness,
    commit,
    discard,
    patch,
    presence,
    rebase_with,
    shape,
)

from tlsync_client.sync_client import (
    HEALTH_CHECK_INTERVAL,
    MAX_FALSE_ALARMS,
    PING_INTERVAL,
    TRANSITIONS,
    ClientState,
    PendingPush,
    TLSyncClient,
)
from tlsync_core.store import HistoryEntry, RecordsDiff, Store
from tlsync_core.testing import FakeClock, ScriptedClientSocket

# --------------------------------------------------------------------------------------------
# lifecycle


@pytest.mark.spec("CL1")
def test_connect_is_sent_at_construction_when_the_socket_is_online() -> None:
    """A client on an online socket asks to connect at once, and an offline one waits for the
    socket to come online."""
    online = Harness()
    assert [m["type"] for m in online.socket.take()] == ["connect"]
    offline = Harness(status="offline")
    assert offline.socket.sent == []
    offline.socket.go_online()
    assert [m["type"] for m in offline.socket.take()] == ["connect"]


@pytest.mark.spec("CL2")
def test_connect_request_carries_schema_version_clock_and_a_fresh_id() -> None:
    """The connect request has a fresh connectRequestId per attempt, the store's schema,
    protocol 8 and lastServerClock -1 before any contact."""
    h = Harness()
    first = h.connect_request()
    assert first["protocolVersion"] == 8
    assert first["lastServerClock"] == -1
    assert first["schema"] == h.store.schema.serialize()
    h.socket.go_offline()
    h.socket.go_online()
    second = h.connect_request()
    assert second["connectRequestId"] != first["connectRequestId"]


@pytest.mark.spec("CL3")
def test_on_load_fires_once_after_the_first_message_of_any_type() -> None:
    """on_load runs after the first server message, whatever it is, and only once."""
    h = Harness()
    h.connect_request()
    h.socket.deliver({"type": "pong"})
    assert h.loads == [h.client]
    h.answer_connect(request={"protocolVersion": 8, "connectRequestId": "stale"})
    assert h.loads == [h.client]


@pytest.mark.spec("CL4")
def test_a_stale_connect_answer_is_ignored() -> None:
    """A connect answer whose request id is not the latest one changes nothing."""
    h = Harness()
    first = h.connect_request()
    h.socket.go_offline()
    h.socket.go_online()
    h.answer_connect(request=first, diff={"shape:x": ["put", shape("shape:x")]})
    assert not h.client.is_connected_to_room
    assert "shape:x" not in h.store
    h.answer_connect()
    assert h.client.is_connected_to_room
    assert set(h.documents()) == {DOCUMENT["id"], PAGE["id"]}


@pytest.mark.spec("CL6")
def test_wipe_all_replaces_every_document_record() -> None:
    """A wipe_all answer removes document records the server did not send and applies its
    diff; session-less stale records vanish."""
    h = Harness()
    h.answer_connect(diff={"shape:old": ["put", shape("shape:old")], **_base()})
    h.socket.go_offline()
    h.socket.go_online()
    h.answer_connect(diff={"shape:new": ["put", shape("shape:new")], **_base()}, server_clock=9)
    assert set(h.documents()) == {DOCUMENT["id"], PAGE["id"], "shape:new"}
    assert h.client.last_server_clock == 9


@pytest.mark.spec("CL5", "CP3")
def test_wipe_presence_keeps_confirmed_documents_and_repushes_offline_edits() -> None:
    """After a wipe_presence reconnect the confirmed records stay, the server's diff applies
    on top, and every edit made offline is pushed as one request."""
    h = Harness()
    h.answer_connect(diff={"shape:a": ["put", shape("shape:a")], **_base()})
    h.socket.go_offline()
    h.store.put([shape("shape:b", x=1)])
    h.store.update("shape:a", lambda r: {**r, "x": 5})
    assert h.socket.sent == [] and h.socket.dropped == 0
    h.socket.go_online()
    h.answer_connect(
        hydration="wipe_presence",
        diff={"shape:c": ["put", shape("shape:c")]},
        server_clock=4,
    )
    assert set(h.documents()) == {DOCUMENT["id"], PAGE["id"], "shape:a", "shape:b", "shape:c"}
    assert h.store.get("shape:a")["x"] == 5  # type: ignore[index]
    (push,) = h.pushes()
    assert push["diff"] == {
        "shape:b": ["put", shape("shape:b", x=1)],
        "shape:a": ["patch", {"x": ["put", 5]}],
    }


@pytest.mark.spec("CL6", "CP3")
def test_offline_edits_survive_a_wipe_all_and_are_pushed() -> None:
    """Offline creations are re-applied after a wipe_all; patches to records the server no
    longer has are dropped."""
    h = Harness()
    h.answer_connect(diff={"shape:a": ["put", shape("shape:a")], **_base()})
    h.socket.go_offline()
    h.store.put([shape("shape:new", x=3)])
    h.store.update("shape:a", lambda r: {**r, "x": 5})
    h.socket.go_online()
    h.answer_connect(server_clock=7)  # the room no longer has shape:a
    assert set(h.documents()) == {DOCUMENT["id"], PAGE["id"], "shape:new"}
    (push,) = h.pushes()
    assert push["diff"] == {"shape:new": ["put", shape("shape:new", x=3)]}


@pytest.mark.spec("CL7")
def test_on_after_connect_reports_readonly_and_presence_is_pushed_after_connect() -> None:
    """on_after_connect receives the session's read-only flag; the presence is pushed in full
    right after the connect."""
    h = Harness(with_presence=True)
    assert h.presence is not None
    h.presence.set(presence("bot"))
    h.answer_connect(is_readonly=True)
    assert [c.is_readonly for c in h.connects] == [True]
    assert h.client.is_readonly
    (push,) = h.pushes()
    assert push["presence"] == ["put", presence("bot")]


@pytest.mark.spec("CL8")
def test_going_offline_removes_presence_records_and_drops_pending_pushes() -> None:
    """Offline: peers' presence records vanish, in-flight pushes are forgotten, and their
    changes are pushed again (once) after the reconnect."""
    h = Harness()
    h.answer_connect(
        diff={
            "instance_presence:peer": ["put", presence("peer", "instance_presence:peer")],
            **_base(),
        }
    )
    assert h.store.has("instance_presence:peer")
    h.store.put([shape("shape:a")])
    assert len(h.pushes()) == 1
    h.socket.go_offline()
    assert not h.store.has("instance_presence:peer")
    assert h.client.pending_push_requests == []
    assert h.store.has("shape:a")
    h.socket.go_online()
    h.answer_connect(hydration="wipe_presence", diff={}, server_clock=1)
    (push,) = h.pushes()
    assert push["clientClock"] == 1
    assert push["diff"] == {"shape:a": ["put", shape("shape:a")]}


@pytest.mark.spec("CL8")
def test_an_error_status_reports_the_reason_and_closes_the_client() -> None:
    """A 4099 close (status error) calls on_sync_error with its reason and closes the client
    for good: its listeners are gone."""
    h = Harness()
    h.answer_connect()
    h.socket.fail("FORBIDDEN")
    assert h.sync_errors == ["FORBIDDEN"]
    assert h.client.state is ClientState.ERROR
    assert h.client.status.get() is ClientState.ERROR
    assert h.socket.listener_count == 0
    h.store.put([shape("shape:after")])
    assert h.socket.take() == []


@pytest.mark.spec("CL8")
def test_rapid_status_flips_ending_in_error_are_handled() -> None:
    """offline, online, error in a row: one connect attempt, then a single sync error."""
    h = Harness(status="offline")
    h.socket.go_online()
    h.socket.go_offline()
    h.socket.go_online()
    h.socket.fail("NOT_FOUND")
    assert h.sync_errors == ["NOT_FOUND"]
    assert h.client.is_closed


@pytest.mark.spec("CL9")
def test_pings_every_five_seconds_while_connected() -> None:
    """A ping goes out every 5 s while connected, and none before the connect."""
    h = Harness()
    request = h.connect_request()
    h.clock.advance(PING_INTERVAL)
    assert h.socket.take() == []
    h.answer_connect(request=request)
    h.clock.advance(PING_INTERVAL * 2)
    assert [m["type"] for m in h.socket.take()] == ["ping", "ping"]


@pytest.mark.spec("CL9", "CL14")
def test_a_half_open_socket_is_reset() -> None:
    """Pings with no answer for 10 s and a silent server make the client reset the
    connection (restart the socket)."""
    h = Harness()
    h.answer_connect()
    h.clock.advance(HEALTH_CHECK_INTERVAL * 2)
    assert h.socket.restarts == 1
    assert not h.client.is_connected_to_room


@pytest.mark.spec("CL15")
def test_an_unanswered_connect_request_is_retried() -> None:
    """If no answer to a connect request arrives within 10 s (checked every 10 s), the client
    restarts the socket and asks again with a fresh request id."""
    h = Harness(reconnect_on_restart=True)
    first = h.connect_request()
    h.clock.advance(HEALTH_CHECK_INTERVAL)
    assert h.socket.restarts == 1
    second = h.connect_request()
    assert second["connectRequestId"] != first["connectRequestId"]
    h.answer_connect(request=second)
    assert h.client.is_connected_to_room


@pytest.mark.spec("CL10", "CL14")
def test_pongs_keep_the_connection_alive() -> None:
    """A pong to every ping (even in the same millisecond) keeps the connection up (the
    server also answers the probe a quiet connection sends, CR12)."""
    h = Harness()
    h.answer_connect()
    for _ in range(10):
        h.clock.advance(PING_INTERVAL)
        h.socket.deliver({"type": "pong"})
        for push in h.pushes():
            h.data(commit(push["clientClock"], 1))
    assert h.socket.restarts == 0
    assert h.client.is_connected_to_room


@pytest.mark.spec("CL9")
def test_rare_timer_wakeups_do_not_reset_a_healthy_connection() -> None:
    """When timers fire late (a sleeping host), a server that talked recently is not
    considered dead."""
    h = Harness()
    h.answer_connect()
    h.clock.advance(HEALTH_CHECK_INTERVAL - 1)
    h.socket.deliver({"type": "pong"})
    h.clock.advance(HEALTH_CHECK_INTERVAL)
    assert h.socket.restarts == 0


@pytest.mark.spec("CL11")
def test_did_cancel_closes_the_client_on_the_next_event() -> None:
    """When did_cancel says so, the next event closes the client instead of handling it."""
    cancelled = False
    socket = ScriptedClientSocket()
    client = TLSyncClient(
        store=Store(schema=Harness().store.schema),
        socket=socket,
        instance_id="instance:x",
        timers=FakeClock(),
        fps=None,
        did_cancel=lambda: cancelled,
    )
    cancelled = True
    socket.deliver({"type": "pong"})
    assert client.state is ClientState.CLOSED


@pytest.mark.spec("CL16")
def test_a_move_outside_the_transition_table_raises() -> None:
    """The client moves only along TRANSITIONS: it cannot jump from OFFLINE to CONNECTED
    without a connect answer, and once closed it never moves again."""
    client = TLSyncClient(
        store=Store(schema=Harness().store.schema),
        socket=ScriptedClientSocket("offline"),
        instance_id="instance:x",
        timers=FakeClock(),
        fps=None,
    )
    assert TRANSITIONS[ClientState.ERROR] == TRANSITIONS[ClientState.CLOSED] == frozenset()
    with pytest.raises(RuntimeError, match=r"no transition from ClientState\.OFFLINE to"):
        client._enter(ClientState.CONNECTED)
    client.close()
    with pytest.raises(RuntimeError, match=r"no transition from ClientState\.CLOSED"):
        client._enter(ClientState.OFFLINE)


@pytest.mark.spec("CL12")
def test_close_disposes_listeners_and_timers() -> None:
    """close() unsubscribes from the socket and the store and cancels every timer."""
    h = Harness()
    h.answer_connect()
    h.client.close()
    assert h.socket.listener_count == 0
    assert h.clock.pending_timers == 0
    h.store.put([shape("shape:a")])
    h.clock.advance(PING_INTERVAL)
    assert h.socket.take() == []


@pytest.mark.spec("CL13")
def test_incompatibility_error_is_only_logged_in_the_modern_dialect(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A v8 client logs an incompatibility_error and carries on."""
    h = Harness()
    h.answer_connect()
    with caplog.at_level(logging.ERROR, "tlsync_client"):
        h.socket.deliver({"type": "incompatibility_error", "reason": "clientTooOld"})
    assert "clientTooOld" in caplog.text
    assert h.client.is_connected_to_room and h.sync_errors == []


# --------------------------------------------------------------------------------------------
# pushing


@pytest.mark.spec("CP1")
def test_only_user_document_changes_are_pushed() -> None:
    """User changes to documents are pushed; remote changes and presence records are not."""
    h = Harness()
    h.answer_connect()
    h.store.merge_remote_changes(lambda: h.store.put([shape("shape:remote")]))
    h.store.put([presence("me")])
    assert h.pushes() == []
    h.store.put([shape("shape:mine")])
    (push,) = h.pushes()
    assert push["diff"] == {"shape:mine": ["put", shape("shape:mine")]}


@pytest.mark.spec("CP4")
def test_client_clock_goes_up_by_one_per_push() -> None:
    """Each push has the next clientClock, starting at 0."""
    h = Harness()
    h.answer_connect()
    for i in range(3):
        h.store.put([shape(f"shape:{i}")])
    assert [p["clientClock"] for p in h.pushes()] == [0, 1, 2]


@pytest.mark.spec("CP2")
def test_changes_between_two_sends_coalesce_into_one_push() -> None:
    """Within one send window five puts become one push; a create then updates become one put
    of the final state; a create then delete sends nothing."""
    h = Harness(fps=30)
    h.answer_connect()
    h.clock.advance(100)
    h.socket.take()
    for i in range(5):
        h.store.put([shape(f"shape:{i}")])
    h.store.put([shape("shape:t")])
    h.store.update("shape:t", lambda r: {**r, "x": 1})
    h.store.update("shape:t", lambda r: {**r, "x": 2})
    h.store.put([shape("shape:gone")])
    h.store.remove(["shape:gone"])
    assert h.pushes() == []  # never synchronously
    h.clock.advance(0)
    (push,) = h.pushes()
    assert set(push["diff"]) == {f"shape:{i}" for i in range(5)} | {"shape:t"}
    assert push["diff"]["shape:t"] == ["put", shape("shape:t", x=2)]
    h.store.put([shape("shape:z")])
    h.store.remove(["shape:z"])
    h.clock.advance(100)
    assert h.pushes() == []
    assert h.client.is_synced.get() is False  # shape pushes are still in flight


@pytest.mark.spec("CP2")
def test_unsent_changes_are_folded_when_sent_never_into_the_stores_entries() -> None:
    """The client keeps the store's change objects until the send and folds them only then,
    into a new diff: every change a listener was handed still holds what it held, and the
    push carries the final state."""
    h = Harness(fps=30)
    h.answer_connect()
    h.clock.advance(100)
    h.socket.take()
    handed: list[tuple[RecordsDiff, RecordsDiff]] = []  # (the object, a copy made at once)

    def keep(entry: HistoryEntry) -> None:
        c = entry.changes
        handed.append((c, RecordsDiff(dict(c.added), dict(c.updated), dict(c.removed))))

    stop = h.store.listen(keep, source="user")
    h.store.put([shape("shape:t")])
    h.store.update("shape:t", lambda r: {**r, "x": 1})
    h.store.update("shape:t", lambda r: {**r, "x": 2})
    h.clock.advance(0)
    (push,) = h.pushes()
    assert push["diff"] == {"shape:t": ["put", shape("shape:t", x=2)]}
    assert len(handed) == 3
    assert all(changes == copy for changes, copy in handed)
    stop()


@pytest.mark.spec("CP2")
def test_sends_are_throttled_to_the_frame_budget() -> None:
    """Two sends are at least one frame budget (29.7 ms at 30 fps) apart."""
    h = Harness(fps=30)
    h.answer_connect()
    h.clock.advance(0)
    h.socket.take()
    h.store.put([shape("shape:1")])
    h.clock.advance(0)
    assert len(h.pushes()) == 1
    h.store.put([shape("shape:2")])
    h.clock.advance(29)
    assert h.pushes() == []
    h.clock.advance(1)
    assert len(h.pushes()) == 1


@pytest.mark.spec("CP2")
def test_a_rebase_does_not_hold_back_the_next_send() -> None:
    """Sends and rebases are throttled apart: a local change made just after a rebase (others'
    changes keep arriving) goes out at once, and a patch just after a send is applied at once;
    two rebases stay a frame budget apart."""
    h = Harness(fps=30)
    h.answer_connect()
    h.clock.advance(100)
    h.socket.take()
    h.data(patch(2, {"shape:r": ["put", shape("shape:r")]}))
    h.clock.advance(0)
    assert "shape:r" in h.documents()  # rebased
    h.store.put([shape("shape:mine")])
    h.clock.advance(0)
    (push,) = h.pushes()  # not a frame budget after the rebase
    assert set(push["diff"]) == {"shape:mine"}
    h.data(patch(3, {"shape:r": ["patch", {"x": ["put", 5]}]}))
    h.clock.advance(29)
    assert h.documents()["shape:r"]["x"] == 0  # the rebase before was 29 ms ago
    h.clock.advance(1)
    assert h.documents()["shape:r"]["x"] == 5


@pytest.mark.spec("CP2", "CP5")
def test_presence_and_documents_ride_in_one_push() -> None:
    """A document change and a presence change in the same window are one push."""
    h = Harness(fps=30, with_presence=True)
    assert h.presence is not None
    h.answer_connect()
    h.clock.advance(100)
    h.socket.take()
    h.store.put([shape("shape:a")])
    h.presence.set(presence("bot"))
    h.clock.advance(100)
    (push,) = h.pushes()
    assert set(push) == {"type", "clientClock", "diff", "presence"}


@pytest.mark.spec("CP5")
def test_presence_is_put_then_patched_and_unchanged_presence_sends_nothing() -> None:
    """The first presence push is a put, later ones patches; setting an equal record sends
    nothing; after a reconnect the presence is put in full again."""
    h = Harness(with_presence=True)
    assert h.presence is not None
    h.answer_connect()
    h.presence.set(presence("bot"))
    h.presence.set(presence("bot", cursor={"x": 1, "y": 2}))
    h.presence.set(presence("bot", cursor={"x": 1, "y": 2}))
    pushes = h.pushes()
    assert [p["presence"][0] for p in pushes] == ["put", "patch"]
    assert pushes[1]["presence"][1] == {"cursor": ["put", {"x": 1, "y": 2}]}
    h.socket.go_offline()
    h.socket.go_online()
    h.answer_connect()
    (push,) = h.pushes()
    assert push["presence"] == ["put", presence("bot", cursor={"x": 1, "y": 2})]


@pytest.mark.spec("CP6")
def test_solo_mode_pushes_documents_but_not_presence_changes() -> None:
    """In solo mode presence is pushed once per connect only, documents as usual, and the
    throttle drops to 1 fps."""
    h = Harness(with_presence=True, presence_mode="solo", fps=30)
    assert h.presence is not None and h.mode is not None
    h.presence.set(presence("bot"))
    h.answer_connect()
    h.clock.advance(0)
    assert [p.get("presence", [None])[0] for p in h.pushes()] == ["put"]
    h.presence.set(presence("bot", userName="renamed"))
    h.store.put([shape("shape:a")])
    h.clock.advance(899)
    assert h.pushes() == []
    h.clock.advance(1)
    (push,) = h.pushes()
    assert "presence" not in push and "shape:a" in push["diff"]
    h.mode.set("full")
    h.clock.advance(1000)
    (push,) = h.pushes()
    assert push["presence"] == ["patch", {"userName": ["put", "renamed"]}]


# --------------------------------------------------------------------------------------------
# receiving


@pytest.mark.spec("CR1")
def test_data_before_connect_is_dropped_and_legacy_patches_are_applied() -> None:
    """Patches that arrive before the connect answer are dropped; a top-level patch after it
    is applied like one inside a data message."""
    h = Harness()
    request = h.connect_request()
    h.socket.deliver(patch(1, {"shape:early": ["put", shape("shape:early")]}))
    h.answer_connect(request=request)
    assert "shape:early" not in h.store
    h.socket.deliver(patch(2, {"shape:late": ["put", shape("shape:late")]}))
    assert "shape:late" in h.store
    assert h.client.last_server_clock == 2


@pytest.mark.spec("CR2")
def test_a_server_patch_keeps_local_speculative_edits_and_pushes_nothing() -> None:
    """Remote changes to other records apply under pending local edits, which stay; the
    rebase itself sends no push."""
    h = Harness()
    h.answer_connect(diff={"shape:a": ["put", shape("shape:a")], **_base()})
    h.store.update("shape:a", lambda r: {**r, "x": 10})
    assert len(h.pushes()) == 1
    h.data(patch(2, {"shape:a": ["patch", {"y": ["put", 7]}]}))
    assert h.store.get("shape:a") == shape("shape:a", x=10, y=7)
    assert h.pushes() == []


@pytest.mark.spec("CR3")
def test_commit_confirms_without_changing_the_store() -> None:
    """A commit keeps the local change, empties the speculative diff and marks it synced."""
    h = Harness()
    h.answer_connect()
    h.store.put([shape("shape:a", x=1)])
    h.pushes()
    assert h.client.is_synced.get() is False
    before = h.documents()
    h.data(commit(0, 2))
    assert h.documents() == before
    assert h.client.pending_push_requests == []
    assert h.client.is_synced.get() is True
    assert h.client.last_server_clock == 2


@pytest.mark.spec("CR3")
def test_discard_reverts_the_local_change() -> None:
    """A discarded push is undone in the local store."""
    h = Harness()
    h.answer_connect(diff={"shape:a": ["put", shape("shape:a")], **_base()})
    h.store.put([shape("shape:a", x=99), shape("shape:b")])
    assert len(h.pushes()) == 1
    h.data(discard(0, 1))
    assert h.store.get("shape:a") == shape("shape:a")
    assert "shape:b" not in h.store
    assert h.pushes() == []


@pytest.mark.spec("CR3")
def test_discarded_pushes_are_counted() -> None:
    """Each discarded push of document changes counts once in discarded_pushes; a committed
    one does not."""
    h = Harness()
    h.answer_connect()
    h.store.put([shape("shape:a")])
    h.store.put([shape("shape:b")])
    h.pushes()
    h.data(discard(0, 1), commit(1, 2))
    assert h.client.discarded_pushes == 1
    assert "shape:a" not in h.store and "shape:b" in h.store


@pytest.mark.spec("CR3")
def test_rebase_with_diff_applies_the_servers_version() -> None:
    """rebaseWithDiff replaces the local change by the server's version of it."""
    h = Harness()
    h.answer_connect(diff={"shape:a": ["put", shape("shape:a")], **_base()})
    h.store.update("shape:a", lambda r: {**r, "x": 99})
    h.pushes()
    h.data(rebase_with(0, 2, {"shape:a": ["patch", {"x": ["put", 50], "y": ["put", 1]}]}))
    assert h.store.get("shape:a") == shape("shape:a", x=50, y=1)
    assert h.client.is_synced.get() is True


@pytest.mark.spec("CR4")
@pytest.mark.parametrize("clock", [None, 5])
def test_a_push_result_that_matches_no_push_resets_the_connection(clock: int | None) -> None:
    """A push_result with no push in flight, or for the wrong clientClock, resets the
    connection; the store keeps the local edits for the next connect."""
    h = Harness()
    h.answer_connect()
    if clock is not None:
        h.store.put([shape("shape:a")])
    h.data(commit(clock if clock is not None else 0, 3))
    assert not h.client.is_connected_to_room
    assert h.socket.restarts == 1
    if clock is not None:
        assert "shape:a" in h.store
        assert "shape:a" in h.client.speculative_changes.added


@pytest.mark.spec("CR5", "CL2")
def test_last_server_clock_is_the_last_events_and_is_sent_on_reconnect() -> None:
    """lastServerClock follows the last buffered event and is announced on reconnect."""
    h = Harness()
    h.answer_connect(server_clock=3)
    h.data(patch(4, {}), patch(5, {}))
    h.socket.go_offline()
    h.socket.go_online()
    assert h.connect_request()["lastServerClock"] == 5


@pytest.mark.spec("CR6")
def test_applying_network_diffs_skips_no_ops_and_missing_records() -> None:
    """An equal put notifies no one; patches and removes of missing records are skipped."""
    h = Harness()
    h.answer_connect(diff={"shape:a": ["put", shape("shape:a")], **_base()})
    seen: list[Any] = []
    h.store.listen(lambda entry: seen.append(entry.changes), source="remote")
    h.data(
        patch(
            2,
            {
                "shape:a": ["put", shape("shape:a")],
                "shape:missing": ["patch", {"x": ["put", 1]}],
                "shape:gone": ["remove"],
            },
        )
    )
    assert seen == []
    h.data(patch(3, {"shape:a": ["remove"]}), patch(4, {"shape:a": ["put", shape("shape:a")]}))
    assert h.store.get("shape:a") == shape("shape:a")


@pytest.mark.spec("CR6")
def test_updates_to_server_records_are_sent_as_patches() -> None:
    """A local update of a record the server sent is pushed as a patch, not a put."""
    h = Harness()
    h.answer_connect(diff={"shape:a": ["put", shape("shape:a")], **_base()})
    h.store.update("shape:a", lambda r: {**r, "x": 3})
    (push,) = h.pushes()
    assert push["diff"] == {"shape:a": ["patch", {"x": ["put", 3]}]}


@pytest.mark.spec("CR7")
def test_custom_messages_reach_the_handler() -> None:
    """A custom message's data is passed to on_custom_message_received."""
    h = Harness()
    h.answer_connect()
    h.socket.deliver({"type": "custom", "data": {"hello": [1, 2]}})
    assert h.custom == [{"hello": [1, 2]}]


# --------------------------------------------------------------------------------------------
# missed messages


def _other_presence(clock: int) -> dict[str, Any]:
    """A patch with another session's presence only (the room's clock stays)."""
    other = presence("them", "instance_presence:them")
    return patch(clock, {other["id"]: ["put", other]})


@pytest.mark.spec("CR10")
@pytest.mark.parametrize(
    "event",
    [
        patch(3, {"shape:b": ["put", shape("shape:b")]}),
        _other_presence(2),
        discard(0, 2),
    ],
    ids=["change-skips-a-clock", "presence-past-the-clock", "discard-past-the-clock"],
)
def test_an_event_past_the_clock_resyncs_from_the_last_change_received(
    event: dict[str, Any],
) -> None:
    """After a change at clock 2, a change at 4, or presence or a discard (of a presence push)
    at 3, shows that the change at 3 was missed: the events are applied, then the client
    reconnects asking for everything after 2 (not after the clock it skipped to)."""
    h = Harness(reconnect_on_restart=True, with_presence=True)
    assert h.presence is not None
    h.answer_connect(diff={"shape:a": ["put", shape("shape:a")], **_base()})
    h.presence.set(presence("me"))
    assert len(h.pushes()) == 1
    h.data(patch(2, {"shape:a": ["patch", {"x": ["put", 2]}]}))
    assert h.socket.restarts == 0
    h.data({**event, "serverClock": event["serverClock"] + 1})
    assert h.socket.restarts == 1
    assert h.store.get("shape:a")["x"] == 2  # type: ignore[index]
    assert h.connect_request()["lastServerClock"] == 2


@pytest.mark.spec("CR10")
def test_consecutive_clocks_never_resync() -> None:
    """The clocks our room sends on one connection cause no resync: a change (a patch, a
    commit, an empty patch: a change invisible in an older schema) at the next clock;
    presence, a presence-only push's commit, a discard and a duplicate at the current one."""
    h = Harness(with_presence=True)
    assert h.presence is not None
    h.answer_connect(diff={"shape:a": ["put", shape("shape:a")], **_base()}, server_clock=5)
    h.store.put([shape("shape:b")])  # push 0: commits at 6
    h.presence.set(presence("me"))  # push 1: presence only, stays at 6
    h.store.put([shape("shape:a", x=9)])  # push 2: discarded at 6
    assert [p["clientClock"] for p in h.pushes()] == [0, 1, 2]
    change = patch(7, {"shape:a": ["patch", {"y": ["put", 1]}]})
    h.data(commit(0, 6), _other_presence(6), commit(1, 6), discard(2, 6), change, change)
    h.data(_other_presence(7), patch(8, {}))
    assert h.socket.restarts == 0
    assert h.client.is_connected_to_room and h.client.last_server_clock == 8


def _quiet(h: Harness, ms: float) -> None:
    """Let ``ms`` pass with the server answering every ping (and nothing else)."""
    for _ in range(int(ms // PING_INTERVAL)):
        h.clock.advance(PING_INTERVAL)
        h.socket.deliver({"type": "pong"})


@pytest.mark.spec("CR11")
def test_a_push_unanswered_at_two_health_checks_resets_and_is_pushed_again() -> None:
    """A push whose result never comes (the push or its result was lost) resets the connection
    at the second health check that finds it in flight, although pongs keep coming; its change
    is pushed again after the reconnect."""
    h = Harness(reconnect_on_restart=True)
    h.answer_connect()
    h.store.put([shape("shape:a")])
    assert len(h.pushes()) == 1
    _quiet(h, HEALTH_CHECK_INTERVAL * 2 - PING_INTERVAL)
    assert h.socket.restarts == 0
    _quiet(h, PING_INTERVAL)
    assert h.socket.restarts == 1
    h.answer_connect(hydration="wipe_presence", diff={})
    (push,) = h.pushes()
    assert push["diff"] == {"shape:a": ["put", shape("shape:a")]}


@pytest.mark.spec("CR12")
def test_a_quiet_connection_probes_once_and_a_later_clock_resyncs() -> None:
    """Ten seconds without a patch or push result, the health check sends one empty push; its
    result at the current clock changes nothing, and no other probe follows while the room
    stays quiet; is_synced stays true throughout (the probe carries no local change).  After
    the next change, a probe answered past its clock (the change after it was lost) resyncs
    from that change."""
    h = Harness(reconnect_on_restart=True)
    h.answer_connect(server_clock=1)
    assert h.client.is_synced.get() is True
    _quiet(h, HEALTH_CHECK_INTERVAL)
    (probe,) = h.pushes()
    assert set(probe) == {"type", "clientClock"}
    assert h.client.is_synced.get() is True  # the probe carries no local change: no flicker
    h.data(commit(probe["clientClock"], 1))
    assert h.client.is_synced.get() is True
    _quiet(h, HEALTH_CHECK_INTERVAL * 3)
    assert h.pushes() == [] and h.socket.restarts == 0
    h.data(patch(2, {"shape:a": ["put", shape("shape:a")]}))
    _quiet(h, HEALTH_CHECK_INTERVAL * 2)
    (probe,) = h.pushes()
    h.data(commit(probe["clientClock"], 3))
    assert h.socket.restarts == 1
    assert h.connect_request()["lastServerClock"] == 2


@pytest.mark.spec("CR12")
def test_the_v3_dialect_sends_no_probe() -> None:
    """A v3 push must carry a diff or presence, so a quiet v3 connection sends no
    probe."""
    h = Harness(dialect=3)
    h.answer_connect()
    _quiet(h, HEALTH_CHECK_INTERVAL * 3)
    assert h.pushes() == []


def _skip_a_clock(h: Harness, clock: int, record_id: str, *, missed: str | None = None) -> int:
    """The server sends a change two clocks on; the client resyncs and is answered with that
    change (and ``missed``, a record it never got).  Returns the new clock."""
    record = shape(record_id)
    h.data(patch(clock + 2, {record_id: ["put", record]}))
    request = h.connect_request()
    assert request["lastServerClock"] == clock
    diff: dict[str, Any] = {record_id: ["put", record]}
    if missed is not None:
        diff[missed] = ["put", shape(missed)]
    h.answer_connect(request=request, hydration="wipe_presence", diff=diff, server_clock=clock + 2)
    return clock + 2


@pytest.mark.spec("CR13")
def test_resyncs_that_find_nothing_missed_stop_the_clock_checks() -> None:
    """A server whose clocks skip: each skip resyncs, and each answer holds only what the
    client already has; after three such resyncs in a row the client stops checking clocks
    and keeps its connection."""
    h = Harness(reconnect_on_restart=True)
    h.answer_connect(server_clock=1)
    clock = 1
    for n in range(MAX_FALSE_ALARMS):
        assert h.client.checks_clocks
        clock = _skip_a_clock(h, clock, f"shape:{n}")
        assert h.socket.restarts == n + 1
    assert not h.client.checks_clocks
    h.data(patch(clock + 2, {"shape:late": ["put", shape("shape:late")]}))
    assert h.socket.restarts == MAX_FALSE_ALARMS
    assert h.client.is_connected_to_room and "shape:late" in h.store


@pytest.mark.spec("CR13")
def test_a_resync_that_brings_a_missed_change_restarts_the_count() -> None:
    """A resync whose answer holds a record the client lacked was no false alarm: the count
    starts over, so the checks go on."""
    h = Harness(reconnect_on_restart=True)
    h.answer_connect(server_clock=1)
    clock = 1
    for n in range(MAX_FALSE_ALARMS - 1):
        clock = _skip_a_clock(h, clock, f"shape:{n}")
    clock = _skip_a_clock(h, clock, "shape:real", missed="shape:missed")
    assert "shape:missed" in h.store
    for n in range(MAX_FALSE_ALARMS - 1):
        clock = _skip_a_clock(h, clock, f"shape:again{n}")
    assert h.client.checks_clocks
    assert h.socket.restarts == 2 * MAX_FALSE_ALARMS - 1


# --------------------------------------------------------------------------------------------
# staggered rebases (after 5.4.2's TLSyncClientRebase tests)


@pytest.mark.spec("CR8")
def test_a_commit_for_an_early_push_while_later_ones_pend_changes_nothing() -> None:
    """Three pushes in flight; committing them one by one never changes the document, and the
    speculative diff is always relative to the committed state."""
    h = Harness()
    h.answer_connect(diff={"shape:a": ["put", shape("shape:a")], **_base()})
    for x in (1, 2, 3):
        h.store.put([shape("shape:a", x=x)])
    assert [p["clientClock"] for p in h.pushes()] == [0, 1, 2]
    for clock in range(3):
        h.data(commit(clock, 2 + clock))
        assert h.store.get("shape:a") == shape("shape:a", x=3)
        expected_pending = 2 - clock
        assert len(h.client.pending_push_requests) == expected_pending
        if expected_pending:
            updated = h.client.speculative_changes.updated["shape:a"]
            assert updated[0]["x"] == clock + 1  # the committed state
    assert h.client.speculative_changes.updated == {}


@pytest.mark.spec("CR8")
def test_string_appends_converge_across_staggered_commits() -> None:
    """Text typed in three pushes (string appends on the wire) ends equal on both sides."""
    h = Harness()
    h.answer_connect(diff={"shape:t": ["put", shape("shape:t", props={"text": "a"})], **_base()})
    for text in ("ab", "abc", "abcd"):
        h.store.put([shape("shape:t", props={"text": text})])
    pushes = h.pushes()
    assert pushes[1]["diff"]["shape:t"] == [
        "patch",
        {"props": ["patch", {"text": ["append", "c", 2]}]},
    ]
    h.data(commit(0, 2), patch(3, {"shape:x": ["put", shape("shape:x")]}))
    h.data(commit(1, 4))
    h.data(commit(2, 5))
    assert h.store.get("shape:t") == shape("shape:t", props={"text": "abcd"})
    assert h.client.is_synced.get() is True


# --------------------------------------------------------------------------------------------
# dialects


@pytest.mark.spec("CD1")
def test_the_v3_dialect_sends_instance_id_and_splits_pushes() -> None:
    """In dialect 3: connect carries instanceId and no request id; a document change and a
    presence change go as two pushes; strings are put, never appended."""
    h = Harness(dialect=3, with_presence=True, fps=30)
    assert h.presence is not None
    request = h.connect_request()
    assert request["protocolVersion"] == 3 and request["instanceId"] == "instance:test"
    assert "connectRequestId" not in request
    h.answer_connect(
        request=request, diff={"shape:t": ["put", shape("shape:t", props={"text": "a"})], **_base()}
    )
    h.clock.advance(100)
    h.socket.take()
    h.store.update("shape:t", lambda r: {**r, "props": {"text": "ab"}})
    h.presence.set(presence("bot"))
    h.clock.advance(100)
    pushes = h.pushes()
    assert [(p["clientClock"], set(p) - {"type", "clientClock"}) for p in pushes] == [
        (0, {"diff"}),
        (1, {"presence"}),
    ]
    assert pushes[0]["diff"] == {
        "shape:t": ["patch", {"props": ["patch", {"text": ["put", "ab"]}]}]
    }
    h.socket.deliver(commit(0, 2))
    h.socket.deliver(commit(1, 2))  # presence only: the clock stays
    h.clock.advance(100)
    assert h.client.is_synced.get() is True


@pytest.mark.spec("CD2")
def test_server_too_old_before_the_first_handshake_falls_back_to_the_v3_dialect() -> None:
    """A 4099 SERVER_TOO_OLD close before any handshake makes the client retry in dialect 3
    instead of failing."""
    h = Harness(reconnect_on_restart=True)
    h.connect_request()
    h.socket.fail("SERVER_TOO_OLD")
    assert h.sync_errors == []
    request = h.connect_request()
    assert request["protocolVersion"] == 3
    h.answer_connect(request=request)
    assert h.client.is_connected_to_room


@pytest.mark.spec("CD2")
def test_a_seed_server_saying_server_too_old_makes_the_client_fall_back() -> None:
    """An incompatibility_error serverTooOld (a v3 server) also triggers the fallback."""
    h = Harness(reconnect_on_restart=True)
    h.connect_request()
    h.socket.deliver({"type": "incompatibility_error", "reason": "serverTooOld"})
    assert h.connect_request()["protocolVersion"] == 3


@pytest.mark.spec("CD3")
def test_after_a_fallback_the_first_reason_is_reported() -> None:
    """If protocol 3 is refused too (the schema was the problem), on_sync_error gets
    the original SERVER_TOO_OLD, not the second CLIENT_TOO_OLD."""
    h = Harness(reconnect_on_restart=True)
    h.connect_request()
    h.socket.fail("SERVER_TOO_OLD")
    h.connect_request()
    h.socket.deliver({"type": "incompatibility_error", "reason": "clientTooOld"})
    assert h.sync_errors == ["serverTooOld"]
    assert h.client.is_closed


@pytest.mark.spec("CD4")
def test_seed_error_message_first_is_a_load_error_and_later_restarts() -> None:
    """In dialect 3 an error as the first message calls on_load_error (not on_load); later
    an error restarts the connection."""
    h = Harness(dialect=3)
    request = h.connect_request()
    h.socket.deliver({"type": "error", "error": {}})
    assert len(h.load_errors) == 1 and h.loads == []
    h.answer_connect(request=request)
    assert h.client.is_connected_to_room
    h.socket.deliver({"type": "error", "error": {}})
    assert h.socket.restarts == 1


def _base() -> dict[str, Any]:
    return {DOCUMENT["id"]: ["put", DOCUMENT], PAGE["id"]: ["put", PAGE]}


def test_a_pending_push_is_a_value() -> None:
    """PendingPush compares and hashes by its fields and reprs them, as the attrs class did."""
    push = PendingPush(3, {"shape:a": ["patch", {"x": ["put", 1]}]}, None)
    assert push == PendingPush(3, {"shape:a": ["patch", {"x": ["put", 1]}]}, None)
    assert push != PendingPush(4, {"shape:a": ["patch", {"x": ["put", 1]}]}, None)
    assert push != (3, push.diff, None)
    assert hash(PendingPush(1, None, None)) == hash(PendingPush(1, None, None))
    assert repr(PendingPush(2, None, None)) == (
        "PendingPush(client_clock=2, diff=None, presence=None)"
    )

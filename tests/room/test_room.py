"""TLSyncRoom: handshake, pushes, broadcast, presence, batching, dialects and lifecycle."""

from __future__ import annotations

from typing import Any

import pytest

from tlsync_core.room.room import TLSyncRoom
from tlsync_core.room.session import (
    DATA_MESSAGE_DEBOUNCE_INTERVAL,
    SESSION_IDLE_TIMEOUT,
    SESSION_REMOVAL_WAIT_TIME,
    SESSION_START_WAIT_TIME,
    SessionState,
)
from tlsync_core.store import (
    Migration,
    RecordType,
    StoreSchema,
    T,
    create_record_migration_sequence,
)
from tlsync_core.testing import FakeClock, RecordingSocket

Record = dict[str, Any]

PAGE = RecordType(
    "page",
    validator=T.model(
        "page",
        T.object({"id": T.string, "typeName": T.literal("page"), "name": T.string}),
    ),
)
PRESENCE = RecordType(
    "presence",
    scope="presence",
    validator=T.model(
        "presence",
        T.object(
            {
                "id": T.string,
                "typeName": T.literal("presence"),
                "name": T.string,
                "x": T.number,
            }
        ),
    ),
)
SCHEMA = StoreSchema.create([PAGE, PRESENCE])


def page(suffix: str, name: str = "p") -> Record:
    return {"id": f"page:{suffix}", "typeName": "page", "name": name}


def connect_message(
    *, protocol: Any = 8, last_clock: int = -1, schema: Any = None, request_id: str = "r"
) -> dict[str, Any]:
    """A v8 connect request (schema: ours unless given)."""
    return {
        "type": "connect",
        "connectRequestId": request_id,
        "protocolVersion": protocol,
        "lastServerClock": last_clock,
        "schema": SCHEMA.serialize() if schema is None else schema,
    }


class Harness:
    """A room on a fake clock, and helpers to connect recording sockets to it."""

    def __init__(self, schema: StoreSchema = SCHEMA, snapshot: Any = None) -> None:
        self.clock = FakeClock(1000.0)
        self.room = TLSyncRoom(schema, snapshot, now=self.clock)
        self.sockets: dict[str, RecordingSocket] = {}

    def open(self, session_id: str, **kwargs: Any) -> RecordingSocket:
        socket = RecordingSocket()
        self.sockets[session_id] = socket
        self.room.handle_new_session(session_id, socket, **kwargs)
        return socket

    def connect(
        self,
        session_id: str,
        *,
        last_clock: int = -1,
        protocol: int = 8,
        schema: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        socket = self.open(session_id, **kwargs)
        message = connect_message(
            protocol=protocol, last_clock=last_clock, schema=schema, request_id=f"req-{session_id}"
        )
        if protocol == 3:
            del message["connectRequestId"]
            message["instanceId"] = f"instance:{session_id}"
        self.room.handle_message(session_id, message)
        received = socket.take()
        return received[0] if received else {}

    def push(self, session_id: str, clock: int, diff: Any = None, presence: Any = None) -> None:
        message: dict[str, Any] = {"type": "push", "clientClock": clock}
        if diff is not None:
            message["diff"] = diff
        if presence is not None:
            message["presence"] = presence
        self.room.handle_message(session_id, message)

    def flush(self) -> None:
        self.clock.advance(DATA_MESSAGE_DEBOUNCE_INTERVAL + 1)
        self.room.tick()

    def take(self, session_id: str) -> list[dict[str, Any]]:
        self.flush()
        return self.sockets[session_id].take()


def result_of(messages: list[dict[str, Any]]) -> Any:
    (result,) = [m for m in messages if m["type"] == "push_result"]
    return result["action"]


@pytest.mark.spec("HS4", "HS6")
def test_a_fresh_client_gets_everything() -> None:
    """A client with lastServerClock -1 gets wipe_all with every document, in the v8 shape."""
    h = Harness(
        snapshot={
            "documents": [{"state": page("a"), "lastChangedClock": 1}],
            "documentClock": 1,
            "tombstoneHistoryStartsAtClock": 0,
            "schema": SCHEMA.serialize(),
        }
    )
    connect = h.connect("s1")
    assert connect["type"] == "connect"
    assert connect["connectRequestId"] == "req-s1"
    assert connect["hydrationType"] == "wipe_all"
    assert connect["protocolVersion"] == 8
    assert connect["serverClock"] == 1
    assert connect["diff"] == {"page:a": ["put", page("a")]}
    assert connect["isReadonly"] is False
    assert connect["objectAccess"] == "write"
    assert h.room.sessions["s1"].state is SessionState.CONNECTED


@pytest.mark.spec("RP3", "RP7", "RP8")
def test_put_commits_and_broadcasts() -> None:
    """A put of a new record is stored, committed to the pusher, broadcast to the others."""
    h = Harness()
    h.connect("a")
    h.connect("b")
    h.push("a", 0, {"page:x": ["put", page("x", "X")]})
    assert result_of(h.take("a")) == "commit"
    patches = h.take("b")
    assert patches == [
        {"type": "patch", "diff": {"page:x": ["put", page("x", "X")]}, "serverClock": 1}
    ]
    assert h.room.storage.get("page:x") == page("x", "X")
    assert h.room.clock == 1


@pytest.mark.spec("RP3", "RP7")
def test_put_over_existing_record_becomes_a_patch_and_rebase() -> None:
    """A put over a stored record broadcasts only the difference; the pusher is rebased."""
    h = Harness()
    h.connect("a")
    h.connect("b")
    h.push("a", 0, {"page:x": ["put", page("x", "X")]})
    h.take("a"), h.take("b")
    h.push("a", 1, {"page:x": ["put", page("x", "Y")]})
    assert result_of(h.take("a")) == {
        "rebaseWithDiff": {"page:x": ["patch", {"name": ["put", "Y"]}]}
    }
    assert h.take("b")[0]["diff"] == {"page:x": ["patch", {"name": ["put", "Y"]}]}
    h.push("a", 2, {"page:x": ["put", page("x", "Y")]})
    assert result_of(h.take("a")) == "discard"
    assert h.take("b") == []


@pytest.mark.spec("RP4", "RP6", "RP7")
def test_patches_and_removes() -> None:
    """Patches apply, missing ids are discarded, removes tombstone and broadcast."""
    h = Harness()
    h.connect("a")
    h.connect("b")
    h.push("a", 0, {"page:x": ["put", page("x", "ab")]})
    h.take("a"), h.take("b")
    h.push("a", 1, {"page:x": ["patch", {"name": ["append", "c", 2]}]})
    assert result_of(h.take("a")) == "commit"
    assert h.take("b")[0]["diff"] == {"page:x": ["patch", {"name": ["append", "c", 2]}]}
    h.push("a", 2, {"page:missing": ["patch", {"name": ["put", "z"]}]})
    assert result_of(h.take("a")) == "discard"
    h.push("a", 3, {"page:x": ["remove"], "page:missing": ["remove"]})
    assert result_of(h.take("a")) == {"rebaseWithDiff": {"page:x": ["remove"]}}
    assert h.room.storage.tombstones == {"page:x": h.room.clock}
    assert h.take("b")[0]["diff"] == {"page:x": ["remove"]}


@pytest.mark.spec("RP2", "RP12")
def test_an_invalid_push_rolls_back_and_rejects_only_that_session() -> None:
    """An invalid record anywhere in a push undoes the whole push and closes only its sender."""
    h = Harness()
    a = h.open("a")
    h.room.handle_message(
        "a",
        connect_message(),
    )
    h.connect("b")
    a.take()
    h.push(
        "a", 0, {"page:ok": ["put", page("ok")], "page:bad": ["put", {**page("bad"), "name": 3}]}
    )
    assert a.close_code == 4099 and a.close_reason == "INVALID_RECORD"
    assert "a" not in h.room.sessions
    assert h.room.storage.get("page:ok") is None
    assert h.room.clock == 0
    assert h.take("b") == []
    assert h.room.sessions["b"].state is SessionState.CONNECTED


@pytest.mark.spec("RP2")
def test_unknown_types_and_mismatched_ids_are_invalid_records() -> None:
    """Puts of unknown types, presence types or ids that differ from the key are refused."""
    for diff in (
        {"ghost:x": ["put", {"id": "ghost:x", "typeName": "ghost"}]},
        {"presence:x": ["put", {"id": "presence:x", "typeName": "presence", "name": "n", "x": 1}]},
        {"page:x": ["put", page("y")]},
    ):
        h = Harness()
        h.connect("a")
        h.push("a", 0, diff)
        assert h.sockets["a"].close_reason == "INVALID_RECORD"


@pytest.mark.spec("RP1", "RP11")
def test_pushes_and_pings_before_connect_are_ignored() -> None:
    """Before the handshake a push is dropped and a ping gets no pong; after, ping → pong."""
    h = Harness()
    socket = h.open("a")
    h.push("a", 0, {"page:x": ["put", page("x")]})
    h.room.handle_message("a", {"type": "ping"})
    assert socket.take() == []
    assert h.room.storage.get("page:x") is None
    h.room.handle_message(
        "a",
        connect_message(),
    )
    socket.take()
    h.room.handle_message("a", {"type": "ping"})
    assert socket.take() == [{"type": "pong"}]


@pytest.mark.spec("RP9", "RP10")
def test_presence_uses_server_ids_and_survives_readonly() -> None:
    """Presence is stored under the server's id, broadcast, never in documents, even if readonly."""
    h = Harness()
    h.connect("a", is_readonly=True)
    h.connect("b")
    presence = {"id": "presence:mine", "typeName": "presence", "name": "Ann", "x": 1}
    h.push("a", 0, {"page:x": ["put", page("x")]}, presence=["put", presence])
    assert result_of(h.take("a")) == "discard"
    (patch,) = h.take("b")
    server_id = h.room.sessions["a"].presence_id
    assert server_id is not None and server_id != "presence:mine"
    assert patch["diff"] == {server_id: ["put", {**presence, "id": server_id}]}
    assert h.room.storage.get("page:x") is None
    assert h.room.clock == 0
    h.push("a", 1, presence=["patch", {"x": ["put", 5]}])
    assert result_of(h.take("a")) == "commit"
    assert h.take("b")[0]["diff"] == {server_id: ["patch", {"x": ["put", 5]}]}
    late = h.connect("c")
    assert late["diff"][server_id][1]["x"] == 5


@pytest.mark.spec("HS4", "HS5")
def test_reconnect_gets_the_changes_since_its_clock() -> None:
    """A client reconnecting at clock L gets the records and removals after L, and others'
    presence but not its own."""
    h = Harness()
    h.connect("a")
    h.push("a", 0, {"page:x": ["put", page("x")], "page:y": ["put", page("y")]})
    h.push("a", 1, {"page:z": ["put", page("z")]})
    h.push(
        "a",
        2,
        {"page:x": ["remove"]},
        presence=["put", {"id": "presence:q", "typeName": "presence", "name": "a", "x": 0}],
    )
    reconnect = h.connect("b", last_clock=1)
    assert reconnect["hydrationType"] == "wipe_presence"
    a_presence = h.room.sessions["a"].presence_id
    assert set(reconnect["diff"]) == {"page:z", "page:x", a_presence}
    assert reconnect["diff"]["page:x"] == ["remove"]
    again = h.connect("c", last_clock=h.room.clock)
    assert set(again["diff"]) == {a_presence}
    future = h.connect("d", last_clock=99)
    assert future["hydrationType"] == "wipe_all"


@pytest.mark.spec("HS2", "SES4")
@pytest.mark.parametrize(
    ("protocol", "close_code", "reason", "legacy_message"),
    [
        (4, 4099, "CLIENT_TOO_OLD", None),
        (9, 4099, "SERVER_TOO_OLD", None),
        (None, 4099, "CLIENT_TOO_OLD", None),
    ],
)
def test_unsupported_protocols_are_refused(
    protocol: Any, close_code: int, reason: str, legacy_message: Any
) -> None:
    """Protocol versions outside 3 and 5–8 are closed with 4099 and the right reason."""
    h = Harness()
    socket = h.open("a")
    h.room.handle_message(
        "a",
        connect_message(protocol=protocol),
    )
    assert socket.close_code == close_code
    assert socket.close_reason == reason
    assert socket.take() == []


@pytest.mark.spec("SES4")
def test_legacy_sessions_get_incompatibility_errors() -> None:
    """Protocol 3, 5 and 6 sessions are told by message and closed without a code."""
    for protocol in (3, 5, 6):
        h = Harness()
        h.connect("a", protocol=protocol)
        h.push("a", 0, {"ghost:x": ["put", {"id": "ghost:x", "typeName": "ghost"}]})
        messages = h.sockets["a"].take()
        assert messages == [{"type": "incompatibility_error", "reason": "invalidRecord"}]
        assert h.sockets["a"].close_code is None and not h.sockets["a"].is_open


@pytest.mark.spec("HS6")
def test_v3_dialect_sessions() -> None:
    """A protocol-3 session gets the v3 connect shape and unbatched top-level messages."""
    h = Harness()
    connect = h.connect("old", protocol=3)
    assert "connectRequestId" not in connect and "isReadonly" not in connect
    assert connect["protocolVersion"] == 3
    h.connect("new")
    h.push("old", 0, {"page:x": ["put", page("x")]})
    h.push("old", 1, {"page:y": ["put", page("y")]})
    old = h.sockets["old"].messages
    assert [m["type"] for m in old] == ["push_result", "push_result"]
    h.sockets["old"].take()
    h.push("new", 0, {"page:z": ["put", page("z")]})
    assert h.sockets["old"].messages[0]["type"] == "patch"


@pytest.mark.spec("SRV11", "RB1")
def test_a_tick_can_flush_a_few_batches_at_a_time() -> None:
    """``tick(max_flushes=2)`` sends two due batches, in session order, and leaves the rest due
    for the next tick; the pruning (here of sessions silent for too long) waits until no batch
    is due, so it never goes out before a batch that was due first."""
    h = Harness()
    for sid in ("a", "b", "c", "d"):
        h.connect(sid)
    for n in range(2):  # the first opens every session's batch, the second waits in them
        h.push("a", n, {f"page:{n}": ["put", page(str(n))]})
    for sid in "abcd":
        h.sockets[sid].take()
    h.clock.advance(SESSION_IDLE_TIMEOUT + 1)  # every session is silent for too long too
    h.room.tick(max_flushes=2)
    assert [len(h.sockets[sid].take()) for sid in "abcd"] == [1, 1, 0, 0]
    assert all(h.room.sessions[sid].state is SessionState.CONNECTED for sid in "abcd")
    next_deadline = h.room.next_deadline()
    assert next_deadline is not None and next_deadline <= h.clock()
    h.room.tick(max_flushes=2)
    assert [len(h.sockets[sid].take()) for sid in "abcd"] == [0, 0, 1, 1]
    assert all(h.room.sessions[sid].state is SessionState.AWAITING_REMOVAL for sid in "abcd")


@pytest.mark.spec("RB1", "RB2")
def test_data_messages_are_batched() -> None:
    """The first data message goes at once; the rest wait for the debounce; pong does not."""
    h = Harness()
    h.connect("a")
    h.connect("b")
    for n in range(3):
        h.push("a", n, {f"page:{n}": ["put", page(str(n))]})
    b = h.sockets["b"]
    assert [m["type"] for m in b.messages] == ["data"]
    assert len(b.messages[0]["data"]) == 1
    h.room.handle_message("b", {"type": "ping"})
    assert b.messages[-1] == {"type": "pong"}
    h.flush()
    assert len(b.messages[-1]["data"]) == 2


@pytest.mark.spec("SES1", "SES2", "SES3")
def test_session_lifecycle_and_timeouts() -> None:
    """Idle sessions are cancelled, then removed after the grace period, presence and all."""
    h = Harness()
    h.connect("a")
    h.connect("b")
    h.push("a", 0, presence=["put", {"id": "x", "typeName": "presence", "name": "a", "x": 0}])
    presence_id = h.room.sessions["a"].presence_id
    h.take("b")
    waiting = h.open("late")
    h.clock.advance(SESSION_START_WAIT_TIME + 1)
    h.room.handle_message("b", {"type": "ping"})
    h.room.tick()
    assert "late" not in h.room.sessions and not waiting.is_open
    h.clock.advance(SESSION_IDLE_TIMEOUT - SESSION_START_WAIT_TIME + 100)
    h.room.handle_message("b", {"type": "ping"})
    h.room.tick()
    assert h.room.sessions["a"].state is SessionState.AWAITING_REMOVAL
    assert presence_id in h.room.presence
    h.clock.advance(SESSION_REMOVAL_WAIT_TIME + 1)
    h.room.handle_message("b", {"type": "ping"})
    h.room.tick()
    assert "a" not in h.room.sessions
    assert presence_id not in h.room.presence
    assert {presence_id: ["remove"]} in [m.get("diff") for m in h.take("b")]


@pytest.mark.spec("HS1")
def test_a_reconnect_keeps_the_presence_id() -> None:
    """Re-registering a session id during the grace period keeps its presence id."""
    h = Harness()
    h.connect("a")
    first = h.room.sessions["a"].presence_id
    h.room.handle_close("a")
    h.connect("a")
    assert h.room.sessions["a"].presence_id == first


@pytest.mark.spec("HS3")
def test_schema_compatibility_on_connect() -> None:
    """Clients on a newer schema are SERVER_TOO_OLD; on a non-down-migratable older one,
    CLIENT_TOO_OLD; on a migratable older one they get down-migrated records."""

    def rename(record: Record) -> None:
        record["name"] = record.pop("title")

    def back(record: Record) -> None:
        record["title"] = record.pop("name")

    down_ok = create_record_migration_sequence(
        "com.example.page",
        "page",
        [Migration(id="com.example.page/1", scope="record", up=rename, down=back)],
    )
    schema = StoreSchema.create([PAGE, PRESENCE], migrations=[down_ok])
    snapshot = {
        "documents": [{"state": page("a", "A"), "lastChangedClock": 1}],
        "documentClock": 1,
        "tombstoneHistoryStartsAtClock": 0,
        "schema": schema.serialize(),
    }
    h = Harness(schema, snapshot)
    newer = {"schemaVersion": 2, "sequences": {"com.example.page": 2}}
    h.connect("new", schema=newer)
    assert h.sockets["new"].close_reason == "SERVER_TOO_OLD"
    older = {"schemaVersion": 2, "sequences": {"com.example.page": 0}}
    connect = h.connect("old", schema=older)
    assert connect["diff"]["page:a"] == ["put", {"id": "page:a", "typeName": "page", "title": "A"}]
    h.connect("current", schema=schema.serialize())
    h.push("old", 0, {"page:b": ["put", {"id": "page:b", "typeName": "page", "title": "B"}]})
    assert h.room.storage.get("page:b") == page("b", "B")
    assert h.take("current")[0]["diff"] == {"page:b": ["put", page("b", "B")]}
    h.push("current", 0, {"page:a": ["patch", {"name": ["put", "A2"]}]})
    assert h.take("old")[-1]["diff"] == {"page:a": ["patch", {"title": ["append", "2", 1]}]}

    up_only = create_record_migration_sequence(
        "com.example.page", "page", [Migration(id="com.example.page/1", scope="record", up=rename)]
    )
    strict = Harness(StoreSchema.create([PAGE, PRESENCE], migrations=[up_only]))
    strict.connect("old", schema=older)
    assert strict.sockets["old"].close_reason == "CLIENT_TOO_OLD"


@pytest.mark.spec("RC3")
def test_snapshot_load_migrates_and_drops_non_document_records() -> None:
    """A snapshot is migrated on load and loses records that are not document-scoped."""
    snapshot = {
        "documents": [
            {"state": page("a"), "lastChangedClock": 3},
            {
                "state": {"id": "presence:x", "typeName": "presence", "name": "n", "x": 0},
                "lastChangedClock": 2,
            },
        ],
        "clock": 3,
        "schema": SCHEMA.serialize(),
    }
    h = Harness(snapshot=snapshot)
    assert set(h.room.storage.documents) == {"page:a"}
    assert h.room.get_snapshot()["schema"] == SCHEMA.serialize()


@pytest.mark.spec("RC4")
def test_server_side_edits_reach_every_session() -> None:
    """update_store writes in one transaction and every connected session gets the patch."""
    h = Harness()
    h.connect("a")
    h.connect("b")

    def edit(store: Any) -> None:
        store.put(page("srv", "server"))
        store.delete("page:nothing")

    h.room.update_store(edit)
    for sid in ("a", "b"):
        assert h.take(sid) == [
            {
                "type": "patch",
                "diff": {"page:srv": ["put", page("srv", "server")]},
                "serverClock": 1,
            }
        ]
    with pytest.raises(Exception, match="Expected string"):
        h.room.update_store(lambda store: store.put({**page("bad"), "name": 1}))
    assert h.room.storage.get("page:bad") is None


@pytest.mark.spec("DUR1")
def test_non_durable_rooms_hold_acknowledgements_until_marked_durable() -> None:
    """With durable=False, push results and patches wait for mark_durable(clock)."""
    clock = FakeClock()
    commits: list[int] = []
    room = TLSyncRoom(
        SCHEMA, now=clock, durable=False, on_commit=lambda changes, c: commits.append(c)
    )
    a, b = RecordingSocket(), RecordingSocket()
    for sid, sock in (("a", a), ("b", b)):
        room.handle_new_session(sid, sock)
        room.handle_message(
            sid,
            connect_message(request_id=sid),
        )
        sock.take()
    room.handle_message(
        "a", {"type": "push", "clientClock": 0, "diff": {"page:x": ["put", page("x")]}}
    )
    assert commits == [1]
    assert a.take() == [] and b.take() == []
    room.mark_durable(1)
    assert a.take()[0]["action"] == "commit"
    assert b.take()[0]["diff"] == {"page:x": ["put", page("x")]}


def held_room() -> tuple[TLSyncRoom, FakeClock, RecordingSocket, RecordingSocket]:
    """A ``durable=False`` room on a fake clock with sessions a and b connected, all durable."""
    clock = FakeClock(1000.0)
    room = TLSyncRoom(SCHEMA, now=clock, durable=False)
    a, b = RecordingSocket(), RecordingSocket()
    for sid, sock in (("a", a), ("b", b)):
        room.handle_new_session(sid, sock)
        room.handle_message(sid, connect_message(request_id=sid))
    room.mark_durable(room.clock)
    a.take()
    b.take()
    return room, clock, a, b


def push_page(room: TLSyncRoom, session_id: str, client_clock: int, suffix: str) -> None:
    room.handle_message(
        session_id,
        {
            "type": "push",
            "clientClock": client_clock,
            "diff": {"page:" + suffix: ["put", page(suffix)]},
        },
    )


def patched(socket: RecordingSocket) -> list[list[str]]:
    """The records each ``data`` frame sent since the last call patched, frame by frame."""
    frames, socket.messages = socket.messages, []
    assert all(frame["type"] == "data" for frame in frames)
    return [[next(iter(m["diff"])) for m in frame["data"]] for frame in frames]


@pytest.mark.spec("DUR2", "RB1")
def test_a_held_message_opens_its_batch_when_it_is_made() -> None:
    """The batch that a held message opens is due 16 ms after the message was made, not after
    it became durable; the message itself goes out as soon as it is durable."""
    room, clock, a, _ = held_room()
    push_page(room, "b", 0, "x")  # made at 1000: opens a's batch, due at 1016
    clock.advance(5)
    room.mark_durable(room.clock)  # durable at 1005
    assert patched(a) == [["page:x"]]
    assert room.next_deadline() == 1000 + DATA_MESSAGE_DEBOUNCE_INTERVAL
    push_page(room, "b", 1, "y")  # joins the open batch
    room.mark_durable(room.clock)
    clock.advance(10)  # 1015
    room.tick()
    assert a.take() == []
    clock.advance(1)  # 1016
    room.tick()
    assert patched(a) == [["page:y"]]


@pytest.mark.spec("DUR2")
def test_a_held_message_keeps_its_place_after_what_waited_before_it() -> None:
    """A message made for an open batch but durable only after that batch went out waits for
    the next batch: when the message that opened the next batch is released, both go out in
    the order they were made."""
    room, clock, a, _ = held_room()
    push_page(room, "b", 0, "x")  # opens a's batch at 1000
    room.mark_durable(room.clock)
    a.take()
    clock.advance(2)
    push_page(room, "b", 1, "y")  # joins the batch due at 1016; durable only later
    clock.advance(14)
    room.tick()  # 1016: the batch goes out without y, which is not durable
    assert a.take() == []
    push_page(room, "b", 2, "z")  # made at 1016: opens the next batch
    room.mark_durable(room.clock)  # y and z durable together
    assert patched(a) == [["page:y", "page:z"]]
    assert room.next_deadline() == 1016 + DATA_MESSAGE_DEBOUNCE_INTERVAL


@pytest.mark.spec("DUR2")
def test_a_held_message_whose_batch_went_out_follows_alone() -> None:
    """When storage is slower than the batch, the batch goes out empty at its deadline, and
    its messages follow one by one as they become durable, in order, opening no batch: the
    next message made opens its own and goes out when durable."""
    room, clock, a, b = held_room()
    push_page(room, "b", 0, "x")  # opens a's batch at 1000
    clock.advance(4)
    push_page(room, "b", 1, "y")  # joins it
    clock.advance(20)
    room.tick()  # 1024: due, nothing durable to send
    assert a.take() == []
    room.mark_durable(room.clock)
    assert patched(a) == [["page:x"], ["page:y"]]
    assert [m["action"] for m in b.take()] == ["commit", "commit"]
    push_page(room, "b", 2, "z")  # made at 1024: opens a new batch
    room.mark_durable(room.clock)
    assert patched(a) == [["page:z"]]
    assert room.next_deadline() == 1024 + DATA_MESSAGE_DEBOUNCE_INTERVAL

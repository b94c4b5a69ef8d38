"""Every kind of bad input, against the real server over real websockets (issue 8).

One table (:data:`CASES`), one test run per row.  Each row starts a real :class:`TLSyncServer`
on a free port with a SQLite file, connects a bystander (``alice``: she has a presence record
and has drawn ``shape:seed``), then lets an offender do one bad thing and asserts what the
offender gets: the exact close code and reason, the ``push_result`` action, or silence where
tldraw stays silent.  After every row, whatever the row, :func:`test_bad_input` checks:

* the room's snapshot is byte-identical to the one before the row (``orjson`` with sorted keys),
  except for the records a row may legitimately change, which it names;
* what is on disk (a second SQLite connection, committed data only) is what the room holds;
* alice is still connected, her presence record is untouched, and she received nothing about
  documents the row did not change;
* a second bystander (``bob``) joins afterwards, hydrates exactly the room's documents, and he and
  alice still see each other's pushes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from raw_messages import connect_request
from waiting import until
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tlsync_core.demo_schema import SHAPE, create_demo_schema
from tlsync_core.protocol.chunking import split_message
from tlsync_core.protocol.codec import loads_frame, serialize_message
from tlsync_core.room.room import TLSyncRoom
from tlsync_core.room.session import SessionState
from tlsync_core.server import (
    AuthDecision,
    AuthRequest,
    ServerLimits,
    SQLitePersistence,
    TLSyncServer,
)

SCHEMA = create_demo_schema()
SERIALIZED_SCHEMA = SCHEMA.serialize()
ROOM = "bad"
LIMITS = ServerLimits(
    max_sessions_per_room=8,
    max_frame_bytes=64 * 1024,
    max_message_bytes=256 * 1024,
    max_chunks=16,
    messages_per_second=50.0,
    message_burst=100.0,
)
UNKNOWN_ERROR = (4099, "UNKNOWN_ERROR")
INVALID_RECORD = (4099, "INVALID_RECORD")
CLIENT_TOO_OLD = (4099, "CLIENT_TOO_OLD")
SERVER_TOO_OLD = (4099, "SERVER_TOO_OLD")
SILENCE_S = 0.3

Message = dict[str, Any]


def shape(suffix: str, **fields: Any) -> dict[str, Any]:
    return SHAPE.create(id=f"shape:{suffix}", **fields)


def presence(**fields: Any) -> dict[str, Any]:
    return {
        "id": "instance_presence:mine",
        "typeName": "instance_presence",
        "userName": "someone",
        "color": "#ff0000",
        "cursor": None,
        **fields,
    }


def connect_message(**fields: Any) -> Message:
    return {**connect_request(SERIALIZED_SCHEMA), **fields}


class Peer:
    """A raw client over a real websocket: sends anything, reads everything.

    Frames are read as ``JSON.parse`` reads them (lone surrogate escapes included).  Events of
    ``data`` batches are unwrapped; what is not awaited explicitly collects in :attr:`seen`.
    """

    def __init__(self, ws: ClientConnection, session_id: str) -> None:
        self.ws = ws
        self.session_id = session_id
        self.clock = 0
        self.pending: list[Message] = []
        self.seen: list[Message] = []
        self.hello: Message = {}

    async def send(self, message: Message) -> None:
        await self.ws.send(serialize_message(message))

    async def recv(self, timeout: float = 5.0) -> Message:
        frame = await asyncio.wait_for(self.ws.recv(), timeout)
        message: Message = loads_frame(frame)
        return message

    async def next_event(self, timeout: float = 5.0) -> Message:
        while not self.pending:
            message = await self.recv(timeout)
            self.pending.extend(message["data"] if message.get("type") == "data" else [message])
        return self.pending.pop(0)

    async def push(
        self, diff: Message | None = None, presence_op: list[Any] | None = None
    ) -> Message:
        """Push; return its ``push_result`` (other events go to :attr:`seen`)."""
        clock = self.clock
        self.clock += 1
        message: Message = {"type": "push", "clientClock": clock}
        if diff is not None:
            message["diff"] = diff
        if presence_op is not None:
            message["presence"] = presence_op
        await self.send(message)
        return await self.result(clock)

    async def result(self, clock: int) -> Message:
        while True:
            event = await self.next_event()
            if event.get("type") == "push_result" and event.get("clientClock") == clock:
                return event
            self.seen.append(event)

    async def patch_with(self, record_id: str) -> Message:
        """Wait for a ``patch`` event that touches ``record_id``."""
        while True:
            event = await self.next_event()
            self.seen.append(event)
            if event.get("type") == "patch" and record_id in event["diff"]:
                return event

    async def drain(self, seconds: float = 0.05) -> list[Message]:
        """Everything received within ``seconds`` (also kept in :attr:`seen`)."""
        with contextlib.suppress(TimeoutError):
            while True:
                self.seen.append(await self.next_event(seconds))
        return self.seen

    async def silent(self, seconds: float = SILENCE_S) -> None:
        """Assert that nothing arrives for ``seconds`` and that the socket stays open."""
        with pytest.raises(TimeoutError):
            event = await self.next_event(seconds)
            raise AssertionError(f"expected silence, got {event!r}")
        assert self.ws.close_code is None

    async def closed(self, timeout: float = 5.0) -> tuple[int | None, str | None]:
        """Wait until the server closes the socket (reading what comes first into
        :attr:`seen`); its close code and reason."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    self.seen.append(loads_frame(await self.ws.recv()))
        except ConnectionClosed:
            pass
        return self.ws.close_code, self.ws.close_reason

    async def send_quietly(self, frame: str | bytes, *, text: bool | None = None) -> None:
        """Send a frame; the server may already have closed the socket."""
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(frame, text=text)


def authorize(request: AuthRequest) -> AuthDecision:
    """``role=viewer`` is read-only, ``role=nobody`` refused, anyone else may write."""
    role = request.query.get("role")
    if role == "nobody":
        return AuthDecision.refuse()
    return AuthDecision.allow(readonly=role == "viewer")


@dataclass
class Ctx:
    """What a row works with: the server, the bystander and a way to open more sockets."""

    server: TLSyncServer
    db: Path
    alice: Peer = field(init=False)
    peers: list[Peer] = field(default_factory=list)
    count: int = 0

    @property
    def url(self) -> str:
        return f"{self.server.url}/connect/{ROOM}"

    @property
    def room(self) -> TLSyncRoom:
        return self.server.rooms[ROOM].room

    def presence_id(self, peer: Peer) -> str:
        presence_id = self.room.sessions[peer.session_id].presence_id
        assert presence_id is not None
        return presence_id

    async def raw(self, query: str = "", session_id: str | None = None) -> Peer:
        """An open websocket that has not sent its connect request."""
        self.count += 1
        session_id = session_id or f"offender-{self.count}"
        ws = await connect(f"{self.url}?sessionId={session_id}{query}", max_size=None)
        peer = Peer(ws, session_id)
        self.peers.append(peer)
        return peer

    async def join(self, query: str = "", session_id: str | None = None, **fields: Any) -> Peer:
        """A session that completed the v8 handshake."""
        peer = await self.raw(query, session_id)
        await peer.send(connect_message(**fields))
        peer.hello = await peer.recv()
        assert peer.hello["type"] == "connect", peer.hello
        return peer

    async def close(self) -> None:
        for peer in self.peers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(peer.ws.close(), 5)


def left(room: TLSyncRoom, session_id: str) -> bool:
    """Whether the room has seen the session's socket close (it no longer counts as live)."""
    session = room.sessions.get(session_id)
    return session is None or session.state is SessionState.AWAITING_REMOVAL


def snapshot_bytes(room: TLSyncRoom) -> bytes:
    """The room's snapshot as bytes, keys sorted (lone surrogates written escaped)."""
    snapshot = room.get_snapshot()
    try:
        return orjson.dumps(snapshot, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return json.dumps(snapshot, sort_keys=True).encode()


def documents(snapshot: Message) -> dict[str, Message]:
    return {d["state"]["id"]: d for d in snapshot["documents"]}


# --------------------------------------------------------------------------------------------
# the rows: each acts as the offender and asserts what the offender gets


async def send_text_then_closed(ctx: Ctx, text: str, expected: tuple[int, str]) -> None:
    offender = await ctx.join()
    await offender.send_quietly(text)
    assert await offender.closed() == expected


def closes_with(text: str, expected: tuple[int, str]) -> Callable[[Ctx], Awaitable[None]]:
    """A row: a connected session sends ``text`` and is closed with ``expected``."""

    async def row(ctx: Ctx) -> None:
        await send_text_then_closed(ctx, text, expected)

    return row


def push_closes_with(
    expected: tuple[int, str], diff: Any = None, presence_op: Any = None, **extra: Any
) -> Callable[[Ctx], Awaitable[None]]:
    """A row: a connected session pushes (``diff`` and/or ``presence``, raw JSON values) and is
    closed with ``expected``."""

    async def row(ctx: Ctx) -> None:
        message: Message = {"type": "push", "clientClock": 0, **extra}
        if diff is not None:
            message["diff"] = diff
        if presence_op is not None:
            message["presence"] = presence_op
        await send_text_then_closed(ctx, serialize_message(message), expected)

    return row


def push_answers(
    action: Any, diff: Any = None, presence_op: Any = None, query: str = ""
) -> Callable[[Ctx], Awaitable[None]]:
    """A row: a connected session pushes and gets ``push_result`` ``action``; it stays open."""

    async def row(ctx: Ctx) -> None:
        offender = await ctx.join(query)
        result = await offender.push(diff, presence_op)
        assert result["action"] == action
        assert ctx.room.sessions[offender.session_id].state is SessionState.CONNECTED

    return row


def chunks_close_with(
    frames: list[str] | list[bytes], code: int, reason_start: str
) -> Callable[[Ctx], Awaitable[None]]:
    """A row: a connected session sends these chunk frames; the server cancels the session
    with ``code`` (never 4099: the client may retry) and a reason that says why."""

    async def row(ctx: Ctx) -> None:
        offender = await ctx.join()
        for frame in frames:
            await offender.send_quietly(frame)
        closed_code, reason = await offender.closed()
        assert closed_code == code
        assert reason is not None and reason.startswith(reason_start), reason
        if code != 4099:
            # cancelled, not rejected: the session waits for a reconnect (its grace period)
            session = ctx.room.sessions[offender.session_id]
            assert session.state is SessionState.AWAITING_REMOVAL

    return row


def connect_closes_with(
    expected: tuple[int, str], **fields: Any
) -> Callable[[Ctx], Awaitable[None]]:
    """A row: a connect request with these fields (``...``: the field left out) is refused
    with ``expected`` before any session exists."""

    async def row(ctx: Ctx) -> None:
        offender = await ctx.raw()
        message = connect_message(**fields)
        for key in [k for k, v in fields.items() if v is ...]:
            del message[key]
        await offender.send(message)
        assert await offender.closed() == expected
        assert offender.session_id not in ctx.room.sessions

    return row


async def binary_json_is_read(ctx: Ctx) -> None:
    """A binary frame in UTF-8 (byte-order mark included) is read like text, as in 5.4.2."""
    offender = await ctx.join()
    await offender.ws.send(b'\xef\xbb\xbf{"type":"ping"}')
    assert await offender.next_event() == {"type": "pong"}


async def text_frame_not_utf8(ctx: Ctx) -> None:
    """A text frame that is not UTF-8 is refused by the websocket layer itself (1007)."""
    offender = await ctx.join()
    await offender.send_quietly(b'{"type":"ping","x":"\xff"}', text=True)
    code, reason = await offender.closed()
    assert code == 1007 and reason == "invalid start byte at position 20"


async def oversized_frame(ctx: Ctx) -> None:
    """A frame over ``max_frame_bytes`` is refused before it is read whole (1009)."""
    offender = await ctx.join()
    record = shape("big", props={"text": "x" * (LIMITS.max_frame_bytes + 1)})
    await offender.send_quietly(
        serialize_message(
            {"type": "push", "clientClock": 0, "diff": {"shape:big": ["put", record]}}
        )
    )
    code, _reason = await offender.closed()
    assert code == 1009


async def chunked_push_works(ctx: Ctx) -> None:
    """The control row: a valid message split in chunks (each under the frame cap) commits."""
    offender = await ctx.join()
    record = shape("chunked", props={"text": "y" * 100_000})
    text = serialize_message(
        {"type": "push", "clientClock": 0, "diff": {"shape:chunked": ["put", record]}}
    )
    frames = split_message(text, 60_000)
    assert len(frames) == 2
    for frame in frames:
        await offender.ws.send(frame)
    assert (await offender.result(0))["action"] == "commit"
    assert ctx.room.storage.get("shape:chunked") == record


async def push_before_connect(ctx: Ctx) -> None:
    """A push before the handshake is ignored, silently (RP1, as 5.4.2); the session may still
    connect, and the early push never counts."""
    offender = await ctx.raw()
    early = {"type": "push", "clientClock": 0, "diff": {"shape:early": ["put", shape("early")]}}
    await offender.send(early)
    await offender.silent()
    await offender.send(connect_message())
    assert (await offender.next_event())["type"] == "connect"
    await offender.silent()
    assert ctx.room.storage.get("shape:early") is None


async def ping_before_connect(ctx: Ctx) -> None:
    """A ping before the handshake gets no pong (as 5.4.2); the session may still connect."""
    offender = await ctx.raw()
    await offender.send({"type": "ping"})
    await offender.silent()
    await offender.send(connect_message())
    assert (await offender.next_event())["type"] == "connect"
    await offender.send({"type": "ping"})
    assert await offender.next_event() == {"type": "pong"}


async def clocks_out_of_order(ctx: Ctx) -> None:
    """``clientClock`` is the client's business: out of order, each result echoes its own."""
    offender = await ctx.join()
    for clock in (7, 3, 3):
        await offender.send(
            {"type": "push", "clientClock": clock, "diff": {"shape:none": ["remove"]}}
        )
        result = await offender.result(clock)
        assert result["action"] == "discard"


async def last_server_clock_from_the_future(ctx: Ctx) -> None:
    """A ``lastServerClock`` the room never reached (a server that lost data) gets everything
    (``wipe_all``), never an error (SS4)."""
    offender = await ctx.join(lastServerClock=10**9)
    assert offender.hello["hydrationType"] == "wipe_all"
    assert {k for k in offender.hello["diff"] if not k.startswith("instance_presence:")} == set(
        ctx.room.storage.documents
    )


async def legacy_client_with_a_bad_schema(ctx: Ctx) -> None:
    """A protocol 6 client whose connect fails its checks is refused the legacy way, as 5.4.2
    refuses it: an ``incompatibility_error`` (here ``serverTooOld``), then a close without
    4099."""
    offender = await ctx.raw()
    await offender.send(connect_message(protocolVersion=6, schema={"schemaVersion": 3}))
    code, _reason = await offender.closed()
    assert offender.seen == [{"type": "incompatibility_error", "reason": "serverTooOld"}]
    assert code == 1000


async def lone_surrogate_value(ctx: Ctx) -> None:
    """A string with a lone surrogate (JavaScript strings may hold one) is data like any other:
    stored, sent escaped as ``JSON.stringify`` escapes it, and persisted as it is."""
    offender = await ctx.join()
    text = (
        '{"type":"push","clientClock":0,"diff":{"shape:lone":["put",'
        + serialize_message(shape("lone", props={"name": "a\ud800b"}))
        + "]}}"
    )
    assert "\\ud800" in text
    await offender.ws.send(text)
    assert (await offender.result(0))["action"] == "commit"
    assert ctx.room.storage.get("shape:lone")["props"]["name"] == "a\ud800b"  # type: ignore[index]
    patch = await ctx.alice.patch_with("shape:lone")
    assert patch["diff"]["shape:lone"][1]["props"]["name"] == "a\ud800b"


async def proto_keys_in_props(ctx: Ctx) -> None:
    """``__proto__`` and ``constructor`` inside free-form props are ordinary keys (DF11): stored
    and sent back as they came, polluting nothing."""
    offender = await ctx.join()
    props = {"__proto__": {"polluted": True}, "constructor": {"prototype": {"polluted": True}}}
    result = await offender.push({"shape:proto": ["put", shape("proto", props=props)]})
    assert result["action"] == "commit"
    assert ctx.room.storage.get("shape:proto")["props"] == props  # type: ignore[index]
    patch = await ctx.alice.patch_with("shape:proto")
    assert patch["diff"]["shape:proto"][1]["props"] == props
    for record_id, document in ctx.room.storage.documents.items():
        if record_id != "shape:proto":
            assert b"polluted" not in orjson.dumps(document.state)


async def proto_patch_in_props(ctx: Ctx) -> None:
    """A patch that puts ``__proto__`` into props is an ordinary change of an ordinary key."""
    offender = await ctx.join()
    diff = {"shape:seed": ["patch", {"props": ["patch", {"__proto__": ["put", {"a": 1}]}]}]}
    assert (await offender.push(diff))["action"] == "commit"
    assert ctx.room.storage.get("shape:seed")["props"] == {"__proto__": {"a": 1}}  # type: ignore[index]
    await ctx.alice.patch_with("shape:seed")


async def readonly_presence_still_works(ctx: Ctx) -> None:
    """A read-only session may still show its presence (RP9), under its own id."""
    viewer = await ctx.join("&role=viewer")
    assert viewer.hello["isReadonly"] is True
    result = await viewer.push(presence_op=["put", presence(userName="viewer")])
    assert result["action"] == "commit"
    mine = ctx.presence_id(viewer)
    assert ctx.room.presence[mine]["userName"] == "viewer"
    await ctx.alice.patch_with(mine)


async def readonly_cannot_be_lifted_by_the_query(ctx: Ctx) -> None:
    """``?readonly=0`` does not give a read-only session its rights back; ``?readonly=1`` takes
    a writer's away (the query can only take rights away)."""
    viewer = await ctx.join("&role=viewer&readonly=0")
    assert viewer.hello["isReadonly"] is True
    assert (await viewer.push({"shape:v": ["put", shape("v")]}))["action"] == "discard"
    writer = await ctx.join("&readonly=1")
    assert writer.hello["isReadonly"] is True
    assert (await writer.push({"shape:w": ["put", shape("w")]}))["action"] == "discard"


async def presence_forged_with_alices_id(ctx: Ctx) -> None:
    """A presence put that names alice's presence id (and another type) lands under the
    forger's own, server-assigned id and type (RP10); alice's record is untouched."""
    forger = await ctx.join()
    alice_id = ctx.presence_id(ctx.alice)
    record = presence(id=alice_id, userName="not alice")
    assert (await forger.push(presence_op=["put", record]))["action"] == "commit"
    mine = ctx.presence_id(forger)
    assert mine != alice_id
    assert ctx.room.presence[mine]["userName"] == "not alice"
    assert ctx.room.presence[mine]["id"] == mine
    patch = await ctx.alice.patch_with(mine)
    assert alice_id not in patch["diff"]


async def presence_forged_as_a_document(ctx: Ctx) -> None:
    """A presence put that claims to be a shape is stored as the forger's presence record."""
    forger = await ctx.join()
    record = {**presence(), "id": "shape:seed", "typeName": "shape"}
    assert (await forger.push(presence_op=["put", record]))["action"] == "commit"
    mine = ctx.presence_id(forger)
    assert ctx.room.presence[mine]["typeName"] == "instance_presence"
    await ctx.alice.patch_with(mine)


def presence_diff_op(op: list[Any]) -> Callable[[Ctx], Awaitable[None]]:
    """A row: a document diff that patches or removes alice's presence record is skipped
    (presence is not a document: nothing there to patch or remove)."""

    async def row(ctx: Ctx) -> None:
        offender = await ctx.join()
        alice_id = ctx.presence_id(ctx.alice)
        assert (await offender.push({alice_id: op}))["action"] == "discard"

    return row


async def presence_put_in_diff(ctx: Ctx) -> None:
    """A document diff that puts a presence record (alice's id) is INVALID_RECORD (RP2)."""
    offender = await ctx.join()
    alice_id = ctx.presence_id(ctx.alice)
    await offender.send(
        {"type": "push", "clientClock": 0, "diff": {alice_id: ["put", presence(id=alice_id)]}}
    )
    assert await offender.closed() == INVALID_RECORD


async def flood_of_pings(ctx: Ctx) -> None:
    """A session that sends faster than ``messages_per_second`` (beyond the burst) is closed
    with RATE_LIMITED."""
    offender = await ctx.join()
    frame = '{"type":"ping"}'
    for _ in range(int(LIMITS.message_burst) * 3):
        await offender.send_quietly(frame)
    assert await offender.closed() == (4099, "RATE_LIMITED")


async def flood_of_pushes(ctx: Ctx) -> None:
    """The same for pushes: RATE_LIMITED, and what was pushed before the limit stays valid."""
    offender = await ctx.join()
    for clock in range(int(LIMITS.message_burst) * 3):
        message = {"type": "push", "clientClock": clock, "diff": {"shape:none": ["remove"]}}
        await offender.send_quietly(serialize_message(message))
    assert await offender.closed() == (4099, "RATE_LIMITED")


async def room_full(ctx: Ctx) -> None:
    """Beyond ``max_sessions_per_room`` live sessions the room refuses with ROOM_FULL; sessions
    that left no longer count."""
    fillers = [await ctx.join() for _ in range(LIMITS.max_sessions_per_room - 1)]
    refused = await ctx.raw()
    assert await refused.closed() == (4099, "ROOM_FULL")
    for filler in fillers:
        await filler.ws.close()
    await until(lambda: all(left(ctx.room, filler.session_id) for filler in fillers))
    await ctx.join()  # admitted: the room is full no more


async def refused_by_the_auth_hook(ctx: Ctx) -> None:
    """A connection the auth hook refuses is closed with 4099 and its reason, before any
    session exists (SRV3)."""
    refused = await ctx.raw("&role=nobody")
    assert await refused.closed() == (4099, "FORBIDDEN")
    assert refused.session_id not in ctx.room.sessions


async def pushes_rolled_back_as_a_whole(ctx: Ctx) -> None:
    """One invalid record rejects the whole push: the valid ones in it are not stored (RP12)."""
    offender = await ctx.join()
    diff = {
        "shape:good": ["put", shape("good")],
        "shape:seed": ["patch", {"x": ["put", 99]}],
        "shape:bad": ["put", {**shape("bad"), "x": "far"}],
    }
    await offender.send({"type": "push", "clientClock": 0, "diff": diff})
    assert await offender.closed() == INVALID_RECORD
    assert ctx.room.storage.get("shape:good") is None


def nested(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


@dataclass(frozen=True)
class Row:
    """One row of the table: what the offender does (and asserts), and the documents it may
    legitimately change (the rest of the snapshot must stay byte-identical)."""

    act: Callable[[Ctx], Awaitable[None]]
    changes: frozenset[str] = frozenset()


def row(
    name: str,
    act: Callable[[Ctx], Awaitable[None]],
    *spec: str,
    changes: tuple[str, ...] = (),
) -> Any:
    return pytest.param(
        Row(act, frozenset(changes)), id=name, marks=pytest.mark.spec("SRV4", *spec)
    )


SEED_PUT = ["put", shape("seed")]
PAGE_RECORD = {"id": "page:p", "typeName": "page", "name": "P", "index": "a2", "meta": {}}
CASES = [
    # not JSON, not an object, not a message ------------------------------------------------
    row("malformed-json", closes_with("{not json", UNKNOWN_ERROR), "BAD1", "PR7"),
    row("truncated-json", closes_with('{"type":"push","clientClock":0,', UNKNOWN_ERROR), "BAD1"),
    row("json-nan-literal", closes_with('{"type":"ping","x":NaN}', UNKNOWN_ERROR), "BAD1", "PR7"),
    row("json-array", chunks_close_with(["[1,2,3]"], 1002, "invalid chunk"), "BAD1", "CH4"),
    row("json-null", chunks_close_with(["null"], 1002, "invalid chunk"), "BAD1", "CH4"),
    row("no-type", closes_with('{"clientClock":0}', UNKNOWN_ERROR), "BAD1", "PR8"),
    row("type-not-a-string", closes_with('{"type":7}', UNKNOWN_ERROR), "BAD1", "PR8"),
    row("unknown-type", closes_with('{"type":"subscribe"}', UNKNOWN_ERROR), "BAD1", "PR8"),
    row("server-only-type", closes_with('{"type":"data","data":[]}', UNKNOWN_ERROR), "BAD1"),
    row("push-without-clock", closes_with('{"type":"push","diff":{}}', UNKNOWN_ERROR), "BAD1"),
    row("diff-not-an-object", push_closes_with(UNKNOWN_ERROR, diff=[]), "BAD1", "PR8"),
    row("op-missing-its-record", push_closes_with(UNKNOWN_ERROR, diff={"shape:a": ["put"]}), "PR8"),
    row("op-extra-item", push_closes_with(UNKNOWN_ERROR, diff={"shape:a": ["remove", 1]}), "PR10"),
    row("op-unknown", push_closes_with(UNKNOWN_ERROR, diff={"shape:a": ["upsert", {}]}), "PR8"),
    row(
        "value-op-unknown",
        push_closes_with(UNKNOWN_ERROR, diff={"shape:seed": ["patch", {"x": ["set", 1]}]}),
        "PR8",
    ),
    row(
        "append-negative-offset",
        push_closes_with(UNKNOWN_ERROR, diff={"shape:seed": ["patch", {"x": ["append", [], -1]}]}),
        "PR8",
    ),
    row(
        "nested-too-deep",
        push_closes_with(UNKNOWN_ERROR, diff={"shape:d": ["put", shape("d", meta=nested(200))]}),
        "BAD1",
        "PR11",
    ),
    # frames ---------------------------------------------------------------------------------
    row("binary-json", binary_json_is_read, "BAD2", "PR7"),
    row("binary-garbage", chunks_close_with([b"\x00\x01\x02"], 1002, "invalid chunk"), "BAD2"),
    row(
        "binary-not-utf8",
        chunks_close_with([b'{"type":"ping","x":"\xff"}'], 1002, "binary frame is not UTF-8"),
        "BAD2",
    ),
    row("text-not-utf8", text_frame_not_utf8, "BAD2"),
    row("oversized-frame", oversized_frame, "BAD2"),
    # chunk sequences --------------------------------------------------------------------------
    row("chunked-push-control", chunked_push_works, "CH4", changes=("shape:chunked",)),
    row(
        "chunks-too-many",
        chunks_close_with(["100_{"], 1002, "chunked message of 101 chunks (limit 16)"),
        "BAD3",
        "CH5",
    ),
    row(
        "chunks-out-of-order",
        chunks_close_with(["2_{", "0_}"], 1002, "chunks received in wrong order"),
        "BAD3",
        "CH4",
    ),
    row(
        "chunks-interrupted",
        chunks_close_with(["1_{", '{"type":"ping"}'], 1002, "unexpected non-chunk message"),
        "BAD3",
        "CH4",
    ),
    row(
        "chunks-too-large",
        chunks_close_with(
            [f"{n}_" + "z" * 60_000 for n in range(5, -1, -1)], 1002, "chunked message too large"
        ),
        "BAD3",
        "CH5",
    ),
    row(
        "chunk-counter-too-long",
        chunks_close_with(["1234567890_{"], 1002, "invalid chunk: counter"),
        "BAD3",
        "CH5",
    ),
    row(
        "chunks-assemble-to-garbage",
        chunks_close_with(["1_{not", "0_ json}"], 4099, "UNKNOWN_ERROR"),
        "BAD3",
    ),
    # before the handshake ---------------------------------------------------------------------
    row("push-before-connect", push_before_connect, "RP1"),
    row("ping-before-connect", ping_before_connect, "RP11"),
    # clocks and versions ----------------------------------------------------------------------
    row("client-clock-negative", push_closes_with(UNKNOWN_ERROR, clientClock=-1), "BAD4"),
    row("client-clock-float", push_closes_with(UNKNOWN_ERROR, clientClock=1.5), "BAD4"),
    row("client-clock-string", push_closes_with(UNKNOWN_ERROR, clientClock="0"), "BAD4"),
    row("client-clock-bool", push_closes_with(UNKNOWN_ERROR, clientClock=True), "BAD4"),
    row("client-clock-2**53", push_closes_with(UNKNOWN_ERROR, clientClock=2**53), "BAD4"),
    row("client-clocks-out-of-order", clocks_out_of_order, "BAD4"),
    row("server-clock-below-minus-1", connect_closes_with(UNKNOWN_ERROR, lastServerClock=-2)),
    row("server-clock-float", connect_closes_with(UNKNOWN_ERROR, lastServerClock=0.5), "BAD4"),
    row("server-clock-missing", connect_closes_with(UNKNOWN_ERROR, lastServerClock=...)),
    row("server-clock-from-the-future", last_server_clock_from_the_future, "BAD4", "SS4"),
    row("protocol-too-old", connect_closes_with(CLIENT_TOO_OLD, protocolVersion=4), "HS2"),
    row("protocol-too-new", connect_closes_with(SERVER_TOO_OLD, protocolVersion=9), "HS2"),
    row("protocol-a-string", connect_closes_with(CLIENT_TOO_OLD, protocolVersion="8"), "HS2"),
    row("schema-missing", connect_closes_with(CLIENT_TOO_OLD, schema=...), "HS3"),
    row(
        "schema-version-3",
        connect_closes_with(SERVER_TOO_OLD, schema={"schemaVersion": 3, "sequences": {}}),
        "HS3",
        "PR7",
    ),
    row(
        "schema-garbage",
        connect_closes_with(CLIENT_TOO_OLD, schema={"schemaVersion": 2, "sequences": {"a": -1}}),
        "HS3",
    ),
    row("legacy-client-bad-schema", legacy_client_with_a_bad_schema, "HS2", "SES4"),
    # records --------------------------------------------------------------------------------
    row(
        "invalid-field",
        push_closes_with(INVALID_RECORD, diff={"shape:x": ["put", {**shape("x"), "x": "far"}]}),
        "RP2",
    ),
    row(
        "missing-field",
        push_closes_with(
            INVALID_RECORD,
            diff={"shape:x": ["put", {k: v for k, v in shape("x").items() if k != "x"}]},
        ),
        "RP2",
    ),
    row(
        "extra-field",
        push_closes_with(INVALID_RECORD, diff={"shape:x": ["put", {**shape("x"), "evil": 1}]}),
        "RP2",
    ),
    row(
        "invalid-patch",
        push_closes_with(INVALID_RECORD, diff={"shape:seed": ["patch", {"x": ["put", "far"]}]}),
        "RP2",
    ),
    row(
        "non-finite-number",
        closes_with(
            '{"type":"push","clientClock":0,"diff":{"shape:seed":["patch",{"x":["put",1e400]}]}}',
            INVALID_RECORD,
        ),
        "RP2",
    ),
    row("whole-push-rolled-back", pushes_rolled_back_as_a_whole, "RP12"),
    row(
        "unknown-record-type",
        push_closes_with(
            INVALID_RECORD, diff={"widget:a": ["put", {"id": "widget:a", "typeName": "widget"}]}
        ),
        "RP2",
    ),
    row("presence-in-document-diff", presence_put_in_diff, "RP2", "SEC2"),
    row(
        "type-name-not-a-string",
        push_closes_with(INVALID_RECORD, diff={"shape:x": ["put", {**shape("x"), "typeName": 1}]}),
        "PR8",
    ),
    row(
        "id-not-its-key",
        push_closes_with(INVALID_RECORD, diff={"shape:x": ["put", shape("y")]}),
        "PR8",
    ),
    row(
        "id-of-another-type",
        push_closes_with(
            INVALID_RECORD, diff={"shape:p": ["put", {**PAGE_RECORD, "id": "shape:p"}]}
        ),
        "RP2",
        "BAD5",
    ),
    row(
        "patch-changes-the-id",
        push_closes_with(
            INVALID_RECORD, diff={"shape:seed": ["patch", {"id": ["put", "shape:v"]}]}
        ),
        "BAD5",
    ),
    row(
        "patch-changes-the-type",
        push_closes_with(
            INVALID_RECORD,
            diff={"page:page": ["patch", {"typeName": ["put", "document"], "index": ["delete"]}]},
        ),
        "BAD5",
    ),
    row(
        "put-over-another-type",
        push_answers("discard", diff={"shape:seed": ["put", {**PAGE_RECORD, "id": "shape:seed"}]}),
        "BAD5",
    ),
    row(
        "lone-surrogate-in-id",
        closes_with(
            '{"type":"push","clientClock":0,"diff":{"shape:\\ud800":["put",'
            + serialize_message({**shape("s"), "id": "shape:\ud800"})
            + "]}}",
            INVALID_RECORD,
        ),
        "BAD5",
    ),
    row("lone-surrogate-in-a-value", lone_surrogate_value, "BAD5", "DUR1", changes=("shape:lone",)),
    # prototype pollution ----------------------------------------------------------------------
    row(
        "proto-key-in-a-record",
        closes_with(
            '{"type":"push","clientClock":0,"diff":{"shape:x":["put",'
            + serialize_message(shape("x"))[:-1]
            + ',"__proto__":{"polluted":true}}]}}',
            INVALID_RECORD,
        ),
        "BAD6",
    ),
    row(
        "constructor-key-in-a-record",
        push_closes_with(
            INVALID_RECORD, diff={"shape:x": ["put", {**shape("x"), "constructor": {}}]}
        ),
        "BAD6",
    ),
    row(
        "proto-patch-of-a-record",
        push_closes_with(
            INVALID_RECORD, diff={"shape:seed": ["patch", {"__proto__": ["put", {"x": 1}]}]}
        ),
        "BAD6",
    ),
    row(
        "constructor-patch-of-a-record",
        push_closes_with(
            INVALID_RECORD, diff={"shape:seed": ["patch", {"constructor": ["put", 1]}]}
        ),
        "BAD6",
    ),
    row("proto-keys-in-props", proto_keys_in_props, "BAD6", "DF11", changes=("shape:proto",)),
    row("proto-patch-in-props", proto_patch_in_props, "BAD6", "DF11", changes=("shape:seed",)),
    row("proto-as-a-record-id", push_answers("discard", diff={"__proto__": ["remove"]}), "BAD6"),
    row(
        "constructor-as-a-record-id",
        push_answers("discard", diff={"constructor": ["patch", {"x": ["put", 1]}]}),
        "BAD6",
    ),
    row(
        "proto-key-in-presence",
        closes_with(
            '{"type":"push","clientClock":0,"presence":["put",'
            + serialize_message(presence())[:-1]
            + ',"__proto__":{"polluted":true}}]}',
            INVALID_RECORD,
        ),
        "BAD6",
    ),
    # read-only sessions -----------------------------------------------------------------------
    row(
        "readonly-put",
        push_answers("discard", diff={"shape:r": ["put", shape("r")]}, query="&role=viewer"),
        "RP9",
        "SEC3",
    ),
    row(
        "readonly-patch",
        push_answers(
            "discard", diff={"shape:seed": ["patch", {"x": ["put", 5]}]}, query="&role=viewer"
        ),
        "RP9",
        "SEC3",
    ),
    row(
        "readonly-remove",
        push_answers("discard", diff={"shape:seed": ["remove"]}, query="&role=viewer"),
        "RP9",
        "SEC3",
    ),
    row("readonly-presence", readonly_presence_still_works, "RP9", "SEC3"),
    row("readonly-query-parameter", readonly_cannot_be_lifted_by_the_query, "SRV3", "SEC3"),
    # presence ---------------------------------------------------------------------------------
    row("presence-forged-id", presence_forged_with_alices_id, "RP10", "SEC1"),
    row("presence-forged-type", presence_forged_as_a_document, "RP10", "SEC1"),
    row("presence-patch-via-diff", presence_diff_op(["patch", {"userName": ["put", "x"]}]), "SEC1"),
    row("presence-remove-via-diff", presence_diff_op(["remove"]), "SEC1"),
    row("presence-remove-op", push_closes_with(UNKNOWN_ERROR, presence_op=["remove"]), "SEC1"),
    row(
        "presence-invalid",
        push_closes_with(INVALID_RECORD, presence_op=["put", presence(cursor="here")]),
        "RP2",
    ),
    # limits ---------------------------------------------------------------------------------
    row("flood-of-pings", flood_of_pings, "SEC4"),
    row("flood-of-pushes", flood_of_pushes, "SEC4"),
    row("room-full", room_full, "SEC4"),
    row("refused-by-auth", refused_by_the_auth_hook, "SRV3", "SEC5"),
]


@pytest.fixture
async def ctx(tmp_path: Path) -> AsyncIterator[Ctx]:
    db = tmp_path / "rooms.sqlite"
    async with TLSyncServer(
        schema=SCHEMA,
        persistence=SQLitePersistence(db),
        port=0,
        authorize=authorize,
        limits=LIMITS,
    ) as server:
        context = Ctx(server, db)
        try:
            context.alice = await context.join(session_id="alice")
            alice = context.alice
            assert (await alice.push({"shape:seed": SEED_PUT}))["action"] == "commit"
            result = await alice.push(presence_op=["put", presence(userName="alice")])
            assert result["action"] == "commit"
            yield context
        finally:
            await context.close()


@pytest.mark.parametrize("case", CASES)
async def test_bad_input(ctx: Ctx, case: Row) -> None:
    """The offender gets exactly the outcome its row asserts; nothing else changes: the room's
    snapshot is byte-identical (but for the records the row may change), the disk holds what
    the room holds, alice is untouched, and bob, who joins afterwards, syncs with her."""
    room = ctx.room
    alice = ctx.alice
    alice_presence_id = ctx.presence_id(alice)
    alice_presence = room.presence[alice_presence_id]
    before = snapshot_bytes(room)

    await case.act(ctx)

    # the room: unchanged, but for what the row may change
    after = snapshot_bytes(room)
    if not case.changes:
        assert after == before
    else:
        old, new = documents(json.loads(before)), documents(json.loads(after))
        assert set(new) - set(old) <= case.changes
        for record_id, document in old.items():
            if record_id not in case.changes:
                assert new[record_id] == document, record_id
    # alice: still here, her presence untouched, told nothing about other documents
    assert room.sessions["alice"].state is SessionState.CONNECTED
    assert room.presence[alice_presence_id] is alice_presence
    for event in await alice.drain():
        assert event["type"] == "patch", event
        for record_id in event["diff"]:
            assert record_id in case.changes or record_id.startswith("instance_presence:")
            assert record_id != alice_presence_id
    # bob joins afterwards, hydrates exactly the room, and syncs with alice both ways
    bob = await ctx.join(session_id="bob")
    hydrated = {k: v[1] for k, v in bob.hello["diff"].items() if k.startswith(("shape:", "page:"))}
    assert hydrated == {
        k: d.state for k, d in room.storage.documents.items() if k.startswith(("shape:", "page:"))
    }
    assert (await alice.push({"shape:after": ["put", shape("after")]}))["action"] == "commit"
    await bob.patch_with("shape:after")
    assert (await bob.push({"shape:after": ["patch", {"x": ["put", 1]}]}))["action"] == "commit"
    assert (await alice.patch_with("shape:after"))["diff"]["shape:after"][1] == {"x": ["put", 1]}
    # the disk (a second connection: committed data only) holds what the room holds
    on_disk = SQLitePersistence(ctx.db)
    try:
        stored = on_disk.load(ROOM)
    finally:
        on_disk.close()
    assert stored is not None
    assert documents(dict(stored)) == documents(dict(room.get_snapshot()))
    assert stored["documentClock"] == room.clock


# --------------------------------------------------------------------------------------------
# beyond the table: what a client cannot do to other sessions (SECURITY.md)


@pytest.mark.spec("SRV1", "SEC6")
async def test_a_newer_connection_takes_a_session_over(ctx: Ctx) -> None:
    """A second connection with alice's ``sessionId`` takes her session over (a reconnect):
    her older socket is closed (1000, not 4099: a real client reconnects), and a frame it still
    sends is never handled as the newer connection's (no result reaches the newcomer, nothing
    is stored)."""
    alice = ctx.alice
    newcomer = await ctx.raw(session_id="alice")
    with contextlib.suppress(ConnectionClosed):
        await alice.send(
            {"type": "push", "clientClock": 9, "diff": {"shape:late": ["put", shape("late")]}}
        )
    assert await alice.closed() == (1000, "replaced by a newer connection with the same sessionId")
    await newcomer.send(connect_message())
    assert (await newcomer.next_event())["type"] == "connect"
    await newcomer.silent()
    assert ctx.room.storage.get("shape:late") is None
    current = ctx.server.rooms[ROOM].endpoint.connections["alice"]
    assert ctx.room.sessions["alice"].socket is current.socket
    assert (await newcomer.push({"shape:new": ["put", shape("new")]}))["action"] == "commit"


@pytest.mark.spec("SEC6")
async def test_session_ids_never_reach_other_clients(ctx: Ctx) -> None:
    """Other clients see a session by its server-assigned presence id only: its ``sessionId``
    (which would let them take it over) is in no frame they receive, nor in the snapshot."""
    secret = "secret-session-id-of-carol"
    carol = await ctx.join(session_id=secret)
    frames: list[str | bytes] = []
    ws = await connect(f"{ctx.url}?sessionId=dave", max_size=None)
    try:
        await ws.send(serialize_message(connect_message()))
        frames.append(await ws.recv())
        await carol.push(presence_op=["put", presence(userName="carol")])
        await carol.push({"shape:carol": ["put", shape("carol")]})
        with contextlib.suppress(TimeoutError):
            while True:
                frames.append(await asyncio.wait_for(ws.recv(), 0.2))
    finally:
        await ws.close()
    assert len(frames) >= 3  # the connect answer, carol's presence, carol's shape
    assert all(secret not in (f if isinstance(f, str) else f.decode()) for f in frames)
    assert secret.encode() not in snapshot_bytes(ctx.room)


@pytest.mark.spec("RP2", "SEC2")
async def test_session_scope_records_are_refused(tmp_path: Path) -> None:
    """A record type of session scope (local to each client, like tldraw's camera) is never
    accepted from a client: INVALID_RECORD, nothing stored."""
    from tlsync_core.demo_schema import DOCUMENT, PAGE, PRESENCE  # noqa: PLC0415
    from tlsync_core.store import RecordType, StoreSchema  # noqa: PLC0415

    camera = RecordType("camera", scope="session")
    schema = StoreSchema.create([DOCUMENT, PAGE, SHAPE, PRESENCE, camera])
    async with TLSyncServer(
        schema=schema, persistence=SQLitePersistence(tmp_path / "s.db"), port=0
    ) as server:
        ws = await connect(f"{server.url}/connect/{ROOM}", max_size=None)
        peer = Peer(ws, "peer")
        await peer.send(connect_message(schema=schema.serialize()))
        assert (await peer.recv())["type"] == "connect"
        record = {"id": "camera:1", "typeName": "camera", "x": 0}
        await peer.send({"type": "push", "clientClock": 0, "diff": {"camera:1": ["put", record]}})
        assert await peer.closed() == INVALID_RECORD
        assert server.rooms[ROOM].room.storage.get("camera:1") is None


@pytest.mark.spec("SRV3", "SEC5")
async def test_a_failing_auth_hook_refuses(tmp_path: Path) -> None:
    """An auth hook that raises refuses the connection (4099 UNKNOWN_ERROR, no room created)
    and the snapshot request (403): the server fails closed."""

    def broken(request: AuthRequest) -> AuthDecision:
        raise RuntimeError("the token service is down")

    async with TLSyncServer(schema=SCHEMA, authorize=broken, port=0) as server:
        ws = await connect(f"{server.url}/connect/{ROOM}")
        peer = Peer(ws, "x")
        assert await peer.closed() == UNKNOWN_ERROR
        assert ROOM not in server.rooms
        status = await asyncio.to_thread(
            _http_status, f"http://127.0.0.1:{server.port}/rooms/{ROOM}/snapshot"
        )
        assert status == 403


def _http_status(url: str) -> int:
    import urllib.error  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415

    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.mark.spec("SEC7", "PR6")
async def test_non_finite_numbers_in_free_form_json_are_written_as_null(ctx: Ctx) -> None:
    """A number beyond a double (``1e400``, Infinity) in free-form JSON props is accepted, as
    tldraw accepts it; like ``JSON.stringify``, the wire and the disk write it as ``null`` (a
    restarted room holds ``null``).  Typed fields refuse it (row ``non-finite-number``)."""
    offender = await ctx.join()
    text = (
        '{"type":"push","clientClock":0,"diff":{"shape:seed":["patch",'
        '{"props":["patch",{"w":["put",1e400]}]}]}}'
    )
    await offender.ws.send(text)
    assert (await offender.result(0))["action"] == "commit"
    assert ctx.room.storage.get("shape:seed")["props"]["w"] == float("inf")  # type: ignore[index]
    patch = await ctx.alice.patch_with("shape:seed")
    assert patch["diff"]["shape:seed"] == ["patch", {"props": ["patch", {"w": ["put", None]}]}]
    on_disk = SQLitePersistence(ctx.db)
    try:
        stored = on_disk.load(ROOM)
    finally:
        on_disk.close()
    assert stored is not None
    assert documents(dict(stored))["shape:seed"]["state"]["props"] == {"w": None}

"""The bot API never hangs and fails fast with the cause: no-op writes, unreachable rooms,
refusals, schema mismatches, schema names, replayable ids and ready tldraw rooms."""

from __future__ import annotations

import asyncio
import copy
import logging
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tlsync_client import TLSyncClient
from tlsync_client.connection import (
    DEFAULT_SYNC_TIMEOUT,
    RoomUnreachableError,
    SyncError,
    connect,
)
from tlsync_core.demo_schema import SHAPE, create_demo_schema
from tlsync_core.room.room import TLSyncRoom
from tlsync_core.schemas import describe_schema_difference, resolve_schema
from tlsync_core.server import AuthDecision, AuthRequest, SQLitePersistence, TLSyncServer
from tlsync_core.store import Store, unique_id
from tlsync_core.store.index_keys import get_index_above
from tlsync_core.testing import (
    FakeClock,
    LoopbackNetwork,
    deterministic_ids,
    tldraw_room,
    tldraw_store,
)
from tlsync_core.tldraw import create_geo, create_note, create_tldraw_schema, move

FAST: dict[str, Any] = {"min_delay_ms": 20.0, "max_delay_ms": 100.0}


@pytest.fixture
async def tldraw_server(tmp_path: Path) -> AsyncIterator[TLSyncServer]:
    async with TLSyncServer(
        schema="tldraw", persistence=SQLitePersistence(tmp_path / "rooms.sqlite"), port=0
    ) as running:
        yield running


@pytest.fixture
async def demo_server(tmp_path: Path) -> AsyncIterator[TLSyncServer]:
    async with TLSyncServer(
        schema="demo", persistence=SQLitePersistence(tmp_path / "demo.sqlite"), port=0
    ) as running:
        yield running


@pytest.fixture
def free_port() -> Iterator[int]:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    yield port


# -- wait_for_sync -------------------------------------------------------------------------------


@pytest.mark.spec("CA8")
async def test_writes_that_change_nothing_leave_nothing_to_wait_for(
    tldraw_server: TLSyncServer,
) -> None:
    """A put of a deep copy of a stored record and a move to where a shape already is are
    acknowledged at once: wait_for_sync returns (it used to wait forever)."""
    async with connect(f"{tldraw_server.url}/connect/noop") as bot:
        note = create_note(bot.store, x=10, y=20, text="once")
        await bot.wait_for_sync(timeout=5)
        assert bot.store.get(note["id"]) == note
        bot.store.put([copy.deepcopy(note)])
        assert await bot.wait_for_sync(timeout=2) == 0
        move(bot.store, note["id"], 10, 20)
        assert await bot.wait_for_sync(timeout=2) == 0
        # a real change after the no-ops still goes through
        move(bot.store, note["id"], 30, 20)
        await bot.wait_for_sync(timeout=5)
        stored = {d["state"]["id"]: d["state"] for d in _documents(tldraw_server, "noop")}
        assert stored[note["id"]]["x"] == 30
        assert bot.is_synced.get() is True


@pytest.mark.spec("CA8")
async def test_wait_for_sync_has_a_default_timeout_and_says_what_is_pending(
    tldraw_server: TLSyncServer,
) -> None:
    """wait_for_sync waits DEFAULT_SYNC_TIMEOUT seconds by default, and its TimeoutError names
    the room and what is still unacknowledged (here: an edit made while the server is away)."""
    assert 0 < DEFAULT_SYNC_TIMEOUT < float("inf")
    bot = await connect(f"{tldraw_server.url}/connect/pending", **FAST)
    try:
        await tldraw_server.close()
        await bot.wait_for(lambda _store: bot.status.get().value != "connected", timeout=5)
        create_geo(bot.store, x=1, y=1)
        started = time.monotonic()
        with pytest.raises(TimeoutError, match=r"/connect/pending: after 0.3 s, local changes"):
            await bot.wait_for_sync(timeout=0.3)
        assert time.monotonic() - started < 2
    finally:
        await bot.close()


# -- connect fails fast ----------------------------------------------------------------------------


@pytest.mark.spec("CA9")
async def test_an_http_error_on_the_upgrade_fails_at_once_with_the_status(
    tldraw_server: TLSyncServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A URL the server answers with HTTP 404 (a wrong path) raises RoomUnreachableError within
    3 s (not after load_timeout), naming the URL and the status; no log line claims that it is
    retrying."""
    caplog.set_level(logging.DEBUG, logger="tlsync_client")
    url = f"{tldraw_server.url}/no-such-path/room"
    started = time.monotonic()
    with pytest.raises(RoomUnreachableError) as caught:
        await connect(url, load_timeout=30)
    assert time.monotonic() - started < 3
    assert "HTTP 404" in str(caught.value)
    assert "/no-such-path/room" in str(caught.value)
    assert caught.value.__cause__ is None
    assert not [r for r in caplog.records if "retrying" in r.getMessage()]


@pytest.mark.spec("CA9")
async def test_an_unresolvable_host_fails_at_once() -> None:
    """A host name that does not resolve raises RoomUnreachableError within 3 s, naming it."""
    started = time.monotonic()
    with pytest.raises(RoomUnreachableError, match=r"no-such-host\.invalid.*does not resolve"):
        await connect("ws://no-such-host.invalid/connect/x", load_timeout=30)
    assert time.monotonic() - started < 3


@pytest.mark.spec("CA9")
@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/connect/x", "127.0.0.1:5858/connect/x", "localhost/connect/x"]
)
async def test_a_url_that_is_no_room_url_is_refused_before_any_attempt(url: str) -> None:
    """A URL whose scheme is not ws/wss/http/https raises ValueError at once, with an example."""
    with pytest.raises(ValueError, match=r"not a room URL.*ws://127\.0\.0\.1:5858/connect"):
        await connect(url)


@pytest.mark.spec("CA9")
async def test_an_unknown_keyword_is_refused_before_any_attempt(free_port: int) -> None:
    """A keyword that is neither connect()'s, the socket's nor websockets' connect()'s (here the
    natural guess ``timeout=``) raises TypeError when connect() is called, naming it and the
    time limits that exist; nothing is tried (a listening socket sees no connection)."""
    listener = socket.create_server(("127.0.0.1", free_port))
    listener.setblocking(False)
    try:
        with pytest.raises(TypeError, match=r"'timeout'.*load_timeout=.*open_timeout="):
            connect(f"ws://127.0.0.1:{free_port}/connect/x", timeout=3, load_timeout=1)
        with pytest.raises(TypeError, match=r"'retries', 'timout'"):
            connect(f"ws://127.0.0.1:{free_port}/connect/x", timout=3, retries=2)
        await asyncio.sleep(0.05)
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()


@pytest.mark.spec("CA9")
async def test_websockets_own_options_pass_through(tldraw_server: TLSyncServer) -> None:
    """What websockets' connect() and the event loop take (``compression``, ``proxy``,
    ``user_agent_header``, ``family``) is handed on: the room loads with them."""
    async with connect(
        f"{tldraw_server.url}/connect/options",
        compression=None,
        proxy=None,
        user_agent_header="tlsync-test",
        family=socket.AF_INET,
        **FAST,
    ) as bot:
        create_geo(bot.store, x=0, y=0)
        await bot.wait_for_sync(timeout=5)


@pytest.mark.spec("CA9")
async def test_a_refused_connection_is_retried_then_times_out_naming_the_cause(
    free_port: int,
) -> None:
    """Connection refused may pass (a server starting): it is retried until load_timeout, then
    a TimeoutError names the URL and the last error, with no CancelledError chained."""
    url = f"ws://127.0.0.1:{free_port}/connect/later"
    started = time.monotonic()
    with pytest.raises(TimeoutError) as caught:
        await connect(url, load_timeout=1.0, **FAST)
    elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 3
    message = str(caught.value)
    assert f"127.0.0.1:{free_port}/connect/later" in message
    assert "did not load within 1 s" in message and "connection refused" in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.spec("CA9")
async def test_a_server_that_comes_up_during_the_wait_is_joined(
    tmp_path: Path, free_port: int
) -> None:
    """What may pass does pass: a connect started before the server listens loads once it
    does, within load_timeout."""
    joining = asyncio.ensure_future(
        connect(f"ws://127.0.0.1:{free_port}/connect/late", load_timeout=10, **FAST)
    )
    await asyncio.sleep(0.3)
    assert not joining.done()
    async with TLSyncServer(
        persistence=SQLitePersistence(tmp_path / "late.sqlite"), port=free_port
    ):
        room = await joining
        try:
            assert room.store.has("page:page")
        finally:
            await room.close()


@pytest.mark.spec("CA4", "CA9")
async def test_a_refusal_names_the_url_the_reason_and_what_to_do(tmp_path: Path) -> None:
    """A 4099 refusal (FORBIDDEN from the auth hook) raises SyncError at once, naming the URL
    without its query (tokens live there), the reason and what to check."""

    def refuse(_request: AuthRequest) -> AuthDecision:
        return AuthDecision.refuse()

    async with TLSyncServer(
        persistence=SQLitePersistence(tmp_path / "auth.sqlite"), port=0, authorize=refuse
    ) as server:
        started = time.monotonic()
        with pytest.raises(SyncError) as caught:
            await connect(f"{server.url}/connect/secret?token=hunter2")
        assert time.monotonic() - started < 3
    message = str(caught.value)
    assert caught.value.reason == "FORBIDDEN"
    assert f"{server.url}/connect/secret" in message and "hunter2" not in message
    assert "authorization" in message


# -- schema mismatches and schema names ------------------------------------------------------------


@pytest.mark.spec("CA10")
async def test_a_demo_client_in_a_tldraw_room_is_told_which_schema_to_use(
    tldraw_server: TLSyncServer,
) -> None:
    """A client on the demo schema joining a tldraw room gets a SyncError that says it has the
    demo schema and should connect with schema='tldraw'."""
    with pytest.raises(SyncError) as caught:
        await connect(f"{tldraw_server.url}/connect/mixed", schema="demo")
    message = str(caught.value)
    assert caught.value.reason == "CLIENT_TOO_OLD"
    assert "this client: schema='demo'" in message and "schema='tldraw'" in message


@pytest.mark.spec("CA10")
async def test_a_tldraw_client_on_a_demo_server_fails_at_once_saying_what_differs(
    demo_server: TLSyncServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A tldraw client whose store cannot take a demo room's records stops at the first connect
    answer (no retries, no tracebacks) with a SyncError naming the invalid field, both schemas
    and the migration sequences only one side has."""
    caplog.set_level(logging.WARNING, logger="tlsync_client")
    started = time.monotonic()
    with pytest.raises(SyncError) as caught:
        await connect(f"{demo_server.url}/connect/mixed", schema="tldraw")
    assert time.monotonic() - started < 3
    message = str(caught.value)
    assert "do not fit this client's schema (At document.gridSize: Expected number" in message
    assert "(server: schema='demo'; this client: schema='tldraw')" in message
    assert "only this client has com.tldraw" in message
    assert "Connect with the server's schema" in message
    assert not [r for r in caplog.records if r.exc_info], "no tracebacks"


@pytest.mark.spec("CA11")
async def test_schema_names_are_accepted_where_a_schema_is(demo_server: TLSyncServer) -> None:
    """connect(schema='demo') and TLSyncServer(schema='demo') resolve the name to the same
    schema as create_demo_schema(); an unknown name is a ValueError listing the forms; the store
    and the room, which cannot name schemas, raise a TypeError saying how to resolve one."""
    assert demo_server.schema.serialize() == create_demo_schema().serialize()
    async with connect(f"{demo_server.url}/connect/named", schema="demo") as bot:
        assert bot.store.schema.serialize() == create_demo_schema().serialize()
        bot.store.put([SHAPE.create(id="shape:n")])
        await bot.wait_for_sync(timeout=5)
    assert resolve_schema("tldraw").serialize() == create_tldraw_schema().serialize()
    assert resolve_schema("tlsync_core.demo_schema:create_demo_schema").types.keys() == (
        create_demo_schema().types.keys()
    )
    with pytest.raises(ValueError, match=r"'tldraw', 'demo', 'package\.module:function'"):
        resolve_schema("tldarw")
    with pytest.raises(ValueError, match="No module named"):
        resolve_schema("no_such_module:schema")
    with pytest.raises(TypeError, match=r"resolve_schema\('tldraw'\)"):
        Store(schema="tldraw")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"resolve_schema\('demo'\)"):
        TLSyncRoom("demo", now=time.monotonic)  # type: ignore[arg-type]


@pytest.mark.spec("CA10")
def test_schema_differences_are_described_in_words() -> None:
    """describe_schema_difference names sequences only one side has and who is newer."""
    ours = {"schemaVersion": 2, "sequences": {"a": 1, "b": 3, "c": 1}}
    theirs = {"schemaVersion": 2, "sequences": {"a": 1, "b": 4, "d": 2}}
    text = describe_schema_difference(ours, theirs)
    assert text == (
        "only the server has d; only this client has c; b: server v4, client v3 (the server is"
        " newer)"
    )
    assert describe_schema_difference(ours, ours) == ""


# -- replayable tests ------------------------------------------------------------------------------


@pytest.mark.spec("TT22")
def test_deterministic_ids_replay_helper_made_ids_and_index_keys() -> None:
    """Inside deterministic_ids(seed), ids and jittered index keys repeat from run to run;
    outside, they are random again, and nesting restores the outer generator."""

    def run() -> list[str]:
        store = tldraw_store()
        shapes = [create_geo(store, x=n, y=n, text=f"box {n}") for n in range(5)]
        return [unique_id(), get_index_above("a1")] + [f"{s['id']} {s['index']}" for s in shapes]

    with deterministic_ids(42):
        first = run()
    with deterministic_ids(42):
        second = run()
        with deterministic_ids(1):
            inner = unique_id()
        after_inner = unique_id()
    assert first == second
    with deterministic_ids(42):
        run()
        assert unique_id() == after_inner  # seed 1's draw took nothing from seed 42
    assert inner != after_inner
    assert run() != first


@pytest.mark.spec("TT23")
def test_a_ready_tldraw_room_takes_helper_edits_from_synced_clients() -> None:
    """tldraw_room() holds a document and a page, so the helpers work in a client synced to it
    on the loopback network at once; the room gets the shape."""
    clock = FakeClock()
    room = tldraw_room(clock)
    ids = {d["state"]["id"] for d in room.get_snapshot()["documents"]}
    assert {"document:document", "page:page"} <= ids
    network = LoopbackNetwork(room, clock, seed=3)
    client = TLSyncClient(
        store=Store(schema=room.schema),
        socket=network.connect_socket(),
        instance_id="instance:bot",
        timers=clock,
    )
    network.run_until_quiet()
    box = create_geo(client.store, x=5, y=5, text="ready")
    network.run_until_quiet()
    stored = {d["state"]["id"] for d in room.get_snapshot()["documents"]}
    assert box["id"] in stored
    client.close()


def _documents(server: TLSyncServer, room_id: str) -> list[Any]:
    return list(server.rooms[room_id].room.get_snapshot()["documents"])

"""ClientWebSocketAdapter and LoopTimers over real loopback websockets (CW*, LT*).

The servers are real ``websockets`` servers on port 0 whose behaviour each test drives through
:class:`Loopback`, plus one real :class:`TLSyncServer`.  Backoff delays are injected small so
that the whole file runs in a few seconds; waits are on events, on a fake clock where a test
shows that nothing is scheduled, or bounded polls for an end state.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any, Generic, TypeVar

import orjson
import pytest
from waiting import until
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from tlsync_client.loop_timers import LoopTimers
from tlsync_client.websocket import (
    ACTIVE_MAX_DELAY_MS,
    ACTIVE_MIN_DELAY_MS,
    ClientWebSocketAdapter,
    ConnectionState,
    ReconnectBackoff,
    check_socket_options,
)
from tlsync_core.client_socket import SocketStatusEvent, TLPersistentClientSocket
from tlsync_core.demo_schema import create_demo_schema
from tlsync_core.protocol.chunking import ChunkAssembler
from tlsync_core.protocol.codec import serialize_message
from tlsync_core.server import TLSyncServer
from tlsync_core.testing import FakeClock

T = TypeVar("T")

ONLINE = SocketStatusEvent("online")
OFFLINE = SocketStatusEvent("offline")

#: Small delays, no jitter: the adapter settings of most tests.
FAST: dict[str, Any] = {
    "min_delay_ms": 20,
    "max_delay_ms": 80,
    "jitter": 0,
    "open_timeout": 3,
    "close_timeout": 1,
}


# ------------------------------------------------------------------------------------------
# helpers


class Recorder(Generic[T]):
    """A listener that keeps what it is called with and lets a test await the next call."""

    def __init__(self) -> None:
        self.items: list[T] = []
        self.times: list[float] = []  # loop time of each call
        self._queue: asyncio.Queue[T] = asyncio.Queue()

    def __call__(self, item: T) -> None:
        self.items.append(item)
        self.times.append(asyncio.get_running_loop().time())
        self._queue.put_nowait(item)

    async def next(self, timeout: float = 5.0) -> T:
        return await asyncio.wait_for(self._queue.get(), timeout)


class UriLog:
    """A ``get_uri`` that numbers its calls (``?n=1``, ``?n=2``, ...) and timestamps them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.times: list[float] = []
        self._called: asyncio.Queue[int] = asyncio.Queue()

    def __call__(self) -> str:
        self.times.append(asyncio.get_running_loop().time())
        self._called.put_nowait(len(self.times))
        return f"{self.base}?n={len(self.times)}"

    async def wait_calls(self, count: int, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.times) < count:
                await self._called.get()


def client_tasks(baseline: set[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
    """The tasks started since ``baseline``, but for the loopback server's connection handlers."""
    return {
        task
        for task in asyncio.all_tasks() - baseline
        if "protocol_handler" not in getattr(task.get_coro(), "__qualname__", "")
    }


class Loopback:
    """A websockets server on 127.0.0.1:<free port> whose connections a test drives.

    ``refuse``: how many of the next handshakes get HTTP 503; ``gates[i]``: handshake number
    ``i`` (1-based) waits for that event.  Accepted connections stay open until either side
    closes them; the test gets them from :meth:`next_connection`.  ``handshakes[i - 1]`` is the
    server task of handshake ``i``: it ends when the server is done with that connection.
    """

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.handshakes: list[asyncio.Task[Any]] = []
        self.connections: list[ServerConnection] = []
        self.refuse = 0
        self.gates: dict[int, asyncio.Event] = {}
        self._arrivals: asyncio.Queue[ServerConnection] = asyncio.Queue()
        self.url = ""

    async def _process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        self.paths.append(request.path)
        task = asyncio.current_task()
        assert task is not None
        self.handshakes.append(task)
        gate = self.gates.get(len(self.paths))
        if gate is not None:
            await gate.wait()
        if self.refuse > 0:
            self.refuse -= 1
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "busy\n")
        return None

    async def _handler(self, ws: ServerConnection) -> None:
        self.connections.append(ws)
        self._arrivals.put_nowait(ws)
        await ws.wait_closed()

    async def next_connection(self, timeout: float = 5.0) -> ServerConnection:
        return await asyncio.wait_for(self._arrivals.get(), timeout)

    @contextmanager
    def _released(self) -> Iterator[None]:
        try:
            yield
        finally:
            for gate in self.gates.values():
                gate.set()

    async def run(self) -> AsyncIterator[Loopback]:
        async with serve(
            self._handler,
            "127.0.0.1",
            0,
            process_request=self._process_request,
            max_size=None,
            compression=None,
            ping_interval=None,  # no server keepalive task: see client_tasks()
        ) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            self.url = f"ws://127.0.0.1:{port}/connect/test"
            with self._released():
                yield self


@pytest.fixture
async def loopback() -> AsyncIterator[Loopback]:
    async for running in Loopback().run():
        yield running


@pytest.fixture
async def make_adapter(
    loopback: Loopback,
) -> AsyncIterator[Callable[..., ClientWebSocketAdapter]]:
    """Builds adapters (with :data:`FAST` settings) and closes them before the server."""
    made: list[ClientWebSocketAdapter] = []

    def make(get_uri: Any, **options: Any) -> ClientWebSocketAdapter:
        adapter = ClientWebSocketAdapter(get_uri, **{**FAST, **options})
        made.append(adapter)
        return adapter

    yield make
    for adapter in made:
        await asyncio.wait_for(adapter.aclose(), 10)


async def online(adapter: ClientWebSocketAdapter, statuses: Recorder[SocketStatusEvent]) -> None:
    """Wait for the next status event and check that it is ``online``."""
    assert await statuses.next() == ONLINE
    assert adapter.connection_status == "online"
    assert adapter.state is ConnectionState.OPEN


def watch(adapter: ClientWebSocketAdapter) -> tuple[Recorder[SocketStatusEvent], Recorder[Any]]:
    statuses: Recorder[SocketStatusEvent] = Recorder()
    messages: Recorder[dict[str, Any]] = Recorder()
    adapter.on_status_change(statuses)
    adapter.on_receive_message(messages)
    return statuses, messages


def frame(message: dict[str, Any]) -> str:
    return orjson.dumps(message).decode()


PONG = {"type": "pong"}


def patch(clock: int, text: str = "hi") -> dict[str, Any]:
    record = {"id": "shape:a", "typeName": "shape", "text": text}
    return {"type": "patch", "diff": {"shape:a": ["put", record]}, "serverClock": clock}


# ------------------------------------------------------------------------------------------
# LoopTimers


@pytest.mark.spec("LT1")
async def test_loop_timers_clock_and_call_later() -> None:
    """``now()`` is the loop clock in ms; callbacks run later in deadline order, never
    synchronously (a negative delay counts as 0), and a cancelled one never runs."""
    loop = asyncio.get_running_loop()
    timers = LoopTimers()
    assert timers.loop is loop
    before = loop.time() * 1000
    now = timers.now()
    assert before <= now <= loop.time() * 1000
    ran: list[str] = []
    done = asyncio.Event()

    def last() -> None:
        ran.append("30")
        done.set()

    timers.call_later(30, last)
    timers.call_later(10, lambda: ran.append("10"))
    timers.call_later(-5, lambda: ran.append("-5"))
    cancelled = timers.call_later(0, lambda: ran.append("cancelled"))
    cancelled.cancel()
    cancelled.cancel()  # idempotent
    assert ran == []
    await asyncio.wait_for(done.wait(), 5)
    assert ran == ["-5", "10", "30"]
    assert timers.now() - now >= 30 - 1


@pytest.mark.spec("LT2")
async def test_loop_timers_log_a_raising_callback(caplog: pytest.LogCaptureFixture) -> None:
    """A callback that raises is logged with its traceback on ``tlsync_client`` and the loop
    goes on running later callbacks."""
    timers = LoopTimers(asyncio.get_running_loop())
    done = asyncio.Event()

    def boom() -> None:
        raise ZeroDivisionError("boom")

    with caplog.at_level(logging.ERROR, logger="tlsync_client"):
        timers.call_later(0, boom)
        timers.call_later(1, done.set)
        await asyncio.wait_for(done.wait(), 5)
    (record,) = [r for r in caplog.records if r.name == "tlsync_client"]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and isinstance(record.exc_info[1], ZeroDivisionError)


@pytest.mark.spec("LT1")
def test_loop_timers_need_a_loop() -> None:
    """Without a loop argument, LoopTimers needs a running loop; with one, it uses that."""
    with pytest.raises(RuntimeError):
        LoopTimers()
    loop = asyncio.new_event_loop()
    try:
        assert LoopTimers(loop).now() == pytest.approx(loop.time() * 1000, abs=50)
    finally:
        loop.close()


# ------------------------------------------------------------------------------------------
# status


@pytest.mark.spec("CW1")
async def test_online_when_the_socket_opens(
    loopback: Loopback, make_adapter: Callable[..., ClientWebSocketAdapter]
) -> None:
    """The adapter starts offline, attempts at once (well before the minimum delay) and
    reports a single ``online`` event when the socket opens; it is a TLPersistentClientSocket."""
    uris = UriLog(loopback.url)
    created = asyncio.get_running_loop().time()
    adapter = make_adapter(uris, min_delay_ms=ACTIVE_MIN_DELAY_MS, max_delay_ms=ACTIVE_MAX_DELAY_MS)
    socket: TLPersistentClientSocket = adapter
    assert socket.connection_status == "offline"
    assert adapter.state is ConnectionState.CONNECTING
    statuses, _ = watch(adapter)
    await online(adapter, statuses)
    assert uris.times[0] - created < ACTIVE_MIN_DELAY_MS / 1000 / 2
    assert len(loopback.connections) == 1 and loopback.paths == ["/connect/test?n=1"]
    assert statuses.items == [ONLINE]


@pytest.mark.spec("CW2")
async def test_close_4099_reports_error_and_stays_down(
    loopback: Loopback, make_adapter: Callable[..., ClientWebSocketAdapter]
) -> None:
    """A 4099 close gives ``error`` with the close reason (``UNKNOWN_ERROR`` when empty); the
    adapter then does not reconnect by itself, and ``restart()`` reconnects it."""
    clock = FakeClock()
    uris = UriLog(loopback.url)
    adapter = make_adapter(uris, timers=clock)
    statuses, _ = watch(adapter)
    await online(adapter, statuses)
    await (await loopback.next_connection()).close(4099, "FORBIDDEN")
    assert await statuses.next() == SocketStatusEvent("error", "FORBIDDEN")
    assert str(adapter.connection_status) == "error"
    assert adapter.state is ConnectionState.ERROR
    # no reconnect is scheduled: no timer is pending, and an hour later there is still one attempt
    assert clock.pending_timers == 0
    clock.advance(3_600_000)
    assert len(uris.times) == 1 and adapter.attempts_started == 1

    adapter.restart()
    assert statuses.items[-1] == OFFLINE and adapter.connection_status == "offline"
    assert await statuses.next() == OFFLINE
    await online(adapter, statuses)
    assert len(uris.times) == 2
    await (await loopback.next_connection()).close(4099, "")
    assert await statuses.next() == SocketStatusEvent("error", "UNKNOWN_ERROR")
    assert statuses.items == [
        ONLINE,
        SocketStatusEvent("error", "FORBIDDEN"),
        OFFLINE,
        ONLINE,
        SocketStatusEvent("error", "UNKNOWN_ERROR"),
    ]


@pytest.mark.spec("CW3")
async def test_other_closes_go_offline_and_reconnect(
    loopback: Loopback, make_adapter: Callable[..., ClientWebSocketAdapter]
) -> None:
    """Any close code but 4099 (normal, going away, server error, a custom code, and a dropped
    TCP connection without a close frame) reports ``offline`` and reconnects by itself."""
    uris = UriLog(loopback.url)
    adapter = make_adapter(uris)
    statuses, _ = watch(adapter)
    await online(adapter, statuses)
    for code in (1000, 1001, 1011, 4000, None):
        server_side = await loopback.next_connection()
        if code is None:
            server_side.transport.abort()
        else:
            await server_side.close(code, "bye")
        assert await statuses.next() == OFFLINE
        assert adapter.connection_status == "offline"
        await online(adapter, statuses)
    assert statuses.items == [ONLINE] + [OFFLINE, ONLINE] * 5
    assert len(uris.times) == 6


@pytest.mark.spec("CW1")
async def test_failed_attempts_while_offline_report_nothing(
    loopback: Loopback,
    make_adapter: Callable[..., ClientWebSocketAdapter],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Refused handshakes while already offline change nothing: no status event until the
    socket opens; the failure streak is logged once as a warning, not once per attempt."""
    loopback.refuse = 3
    uris = UriLog(loopback.url)
    with caplog.at_level(logging.WARNING, logger="tlsync_client"):
        adapter = make_adapter(uris)
        statuses, _ = watch(adapter)
        await online(adapter, statuses)
    assert statuses.items == [ONLINE]
    assert len(uris.times) == 4
    warnings = [r.getMessage() for r in caplog.records if r.name == "tlsync_client"]
    assert len(warnings) == 1 and "could not open a websocket" in warnings[0]
    assert "?n=" not in warnings[0]  # the query (where tokens live) is not logged


@pytest.mark.spec("CW2")
async def test_an_error_while_offline_is_not_reported(
    loopback: Loopback, make_adapter: Callable[..., ClientWebSocketAdapter]
) -> None:
    """An ``error`` that comes while the status is ``offline`` is suppressed, and a status equal
    to the current one is not reported.  (Over websockets a 4099 close can only reach an open,
    hence online, socket, so this drives the adapter's status rule directly.)"""
    loopback.gates[1] = asyncio.Event()  # stay offline: the handshake hangs
    adapter = make_adapter(loopback.url)
    statuses, _ = watch(adapter)
    adapter._set_status("error", "FORBIDDEN")
    adapter._set_status("offline")
    assert statuses.items == [] and adapter.connection_status == "offline"
    adapter._set_status("online")
    adapter._set_status("error", "FORBIDDEN")
    assert statuses.items == [ONLINE, SocketStatusEvent("error", "FORBIDDEN")]


# ------------------------------------------------------------------------------------------
# backoff


@pytest.mark.spec("CW4")
def test_backoff_spacing_follows_5_4_2() -> None:
    """Without jitter the attempt starts after a drop are 500, 750, 1125, 1687.5, 2000, 2000 ms
    apart; an open resets the delay; ``reset()`` counts the minimum from the last start."""
    backoff = ReconnectBackoff(jitter=0)
    assert (backoff.min_delay_ms, backoff.max_delay_ms) == (500, 2000)
    assert backoff.delay_left(0) == 0  # the first attempt: at once
    backoff.attempt_started(0)
    backoff.opened()
    now = 10_000.0
    backoff.dropped(now)
    spacings = []
    for _ in range(6):
        wait = backoff.delay_left(now)
        spacings.append(wait)
        now += wait
        assert backoff.delay_left(now) == 0
        backoff.attempt_started(now)
    assert spacings == [500, 750, 1125, 1687.5, 2000, 2000]
    backoff.opened()
    backoff.dropped(now + 5)
    assert backoff.delay_left(now + 5) == 500
    backoff.attempt_started(now + 505)
    backoff.reset()
    assert backoff.delay_left(now + 705) == 300


@pytest.mark.spec("CW4")
def test_backoff_jitter_is_bounded_and_seeded() -> None:
    """With jitter j every wait lies within ±j of the nominal one, the waits differ, and the
    same seed gives the same waits."""

    def waits(seed: int) -> list[float]:
        backoff = ReconnectBackoff(jitter=0.1, rng=random.Random(seed))
        found = []
        now = 0.0
        for _ in range(200):
            backoff.attempt_started(now)
            found.append(backoff.delay_left(now))
            now += 10_000
        return found

    first = waits(1)
    assert all(0.9 * ACTIVE_MAX_DELAY_MS <= w <= 1.1 * ACTIVE_MAX_DELAY_MS for w in first[5:])
    assert 0.9 * 750 <= first[0] <= 1.1 * 750
    assert len(set(first)) > 150
    assert waits(1) == first and waits(2) != first
    with pytest.raises(ValueError):
        ReconnectBackoff(jitter=1)
    with pytest.raises(ValueError):
        ReconnectBackoff(min_delay_ms=10, max_delay_ms=5)


@pytest.mark.spec("CA9")
async def test_an_unknown_keyword_is_refused_before_the_first_attempt(
    loopback: Loopback,
) -> None:
    """A keyword that neither the adapter nor websockets' connect() takes raises TypeError
    naming it, before any attempt (nothing reaches the server); a proxy's ``proxy_`` options
    and the event loop's own pass."""
    uris = UriLog(loopback.url)
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) 'open_timout'"):
        ClientWebSocketAdapter(uris, open_timout=1)
    await asyncio.sleep(0.05)
    assert uris.times == []
    check_socket_options({"proxy_ssl": None, "local_addr": None, "ssl_handshake_timeout": 1})


@pytest.mark.spec("CW4")
async def test_attempts_are_spaced_by_the_backoff(
    loopback: Loopback, make_adapter: Callable[..., ClientWebSocketAdapter]
) -> None:
    """Over the network, failing attempts start 60, 90, 135, 160 ms apart (min 40, max 160,
    exponent 1.5); after an open, a drop waits only the minimum delay again."""
    loopback.refuse = 4
    uris = UriLog(loopback.url)
    adapter = make_adapter(uris, min_delay_ms=40, max_delay_ms=160)
    statuses, _ = watch(adapter)
    await online(adapter, statuses)
    spacings = [(b - a) * 1000 for a, b in zip(uris.times, uris.times[1:], strict=False)]
    for spacing, nominal in zip(spacings, [60, 90, 135, 160], strict=True):
        # (get_uri runs when the attempt's task first runs: a few ms after the attempt starts)
        assert nominal - 10 <= spacing <= nominal + 150, spacings
    await (await loopback.next_connection()).close(1001)
    assert await statuses.next() == OFFLINE
    dropped = statuses.times[-1]  # the listener runs right as the drop is handled
    await online(adapter, statuses)
    assert 40 - 5 <= (uris.times[-1] - dropped) * 1000 <= 40 + 100


# ------------------------------------------------------------------------------------------
# get_uri


@pytest.mark.spec("CW5")
@pytest.mark.parametrize("kind", ["sync", "async", "str"])
async def test_get_uri_is_called_per_attempt_and_http_rewritten(
    kind: str, loopback: Loopback, make_adapter: Callable[..., ClientWebSocketAdapter]
) -> None:
    """``get_uri`` (a plain function or a coroutine function) is called again for every attempt,
    so each handshake carries a fresh token; ``http://`` becomes ``ws://``."""
    http = loopback.url.replace("ws://", "HTTP://")
    tokens: list[str] = []

    def fresh() -> str:
        tokens.append(f"t{len(tokens) + 1}")
        return f"{http}?token={tokens[-1]}"

    async def fresh_async() -> str:
        await asyncio.sleep(0)
        return fresh()

    source: Any = {"sync": fresh, "async": fresh_async, "str": f"{http}?token=t"}[kind]
    adapter = make_adapter(source)
    statuses, _ = watch(adapter)
    await online(adapter, statuses)
    await (await loopback.next_connection()).close(1000)
    assert await statuses.next() == OFFLINE
    await online(adapter, statuses)
    if kind == "str":
        assert loopback.paths == ["/connect/test?token=t"] * 2
    else:
        assert loopback.paths == ["/connect/test?token=t1", "/connect/test?token=t2"]


@pytest.mark.spec("CW5")
async def test_a_failing_get_uri_is_a_failed_attempt(
    loopback: Loopback, make_adapter: Callable[..., ClientWebSocketAdapter]
) -> None:
    """When ``get_uri`` raises, that attempt fails and the next one (with the backoff) calls it
    again."""
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("auth service down")
        return loopback.url

    adapter = make_adapter(flaky)
    statuses, _ = watch(adapter)
    await online(adapter, statuses)
    assert len(calls) == 3 and len(loopback.paths) == 1


# ------------------------------------------------------------------------------------------
# sending and receiving


@pytest.mark.spec("CW6")
async def test_large_messages_are_chunked_and_frames_keep_their_order(
    loopback: Loopback, make_adapter: Callable[..., ClientWebSocketAdapter]
) -> None:
    """A message of ``max_message_size`` UTF-16 units or more goes out as ``<n>_`` chunks that
    a ChunkAssembler joins back into its exact serialization; smaller ones go as one frame;
    the frames of several messages arrive in the order they were sent."""
    adapter = make_adapter(loopback.url, max_message_size=64)
    statuses, _ = watch(adapter)
    await online(adapter, statuses)
    server_side = await loopback.next_connection()
    big = {"type": "push", "clientClock": 1, "diff": {"shape:a": ["put", {"t": "é😀" * 60}]}}
    small = {"type": "ping"}
    for message in (small, big, small, big):
        adapter.send_message(message)
    assembler = ChunkAssembler()
    texts: list[str] = []
    frames: list[str] = []
    while len(texts) < 4:
        data = await asyncio.wait_for(server_side.recv(), 5)
        assert isinstance(data, str)
        frames.append(data)
        text = assembler.handle_frame(data)
        if text is not None:
            texts.append(text)
    assert texts == [serialize_message(m) for m in (small, big, small, big)]
    chunks = [f for f in frames if not f.startswith("{")]
    assert len(frames) > 4 and all(re.match(r"[0-9]+_", f) for f in chunks)
    assert all(len(f.encode("utf-16-le")) // 2 <= 64 for f in chunks)


@pytest.mark.spec("CW7")
async def test_receives_a_message_over_one_mebibyte(
    loopback: Loopback, make_adapter: Callable[..., ClientWebSocketAdapter]
) -> None:
    """A 3 MiB server message (above websockets' 1 MiB default) arrives whole and parsed, and
    messages are delivered in order after the ``online`` event."""
    adapter = make_adapter(loopback.url)
    statuses, messages = watch(adapter)
    await online(adapter, statuses)
    server_side = await loopback.next_connection()
    huge = patch(7, "x" * (3 * 1024 * 1024))
    await server_side.send(frame(huge))
    await server_side.send(frame(PONG))
    assert await messages.next() == huge
    assert await messages.next() == PONG
    assert adapter.connection_status == "online" and len(loopback.connections) == 1


@pytest.mark.spec("CW8")
@pytest.mark.parametrize("bad", ["not json", '{"type": "nope"}', "[1, 2]"])
async def test_an_invalid_frame_restarts_the_connection(
    bad: str,
    loopback: Loopback,
    make_adapter: Callable[..., ClientWebSocketAdapter],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A frame that is not JSON, or not a server message, is logged as a warning, never reaches
    the listeners, and restarts the connection: ``offline``, the old socket closed by the
    client, a new attempt, ``online``."""
    uris = UriLog(loopback.url)
    adapter = make_adapter(uris)
    statuses, messages = watch(adapter)
    await online(adapter, statuses)
    first = await loopback.next_connection()
    with caplog.at_level(logging.WARNING, logger="tlsync_client"):
        await first.send(bad)
        assert await statuses.next() == OFFLINE
    assert any("invalid message" in r.getMessage() for r in caplog.records)
    await asyncio.wait_for(first.wait_closed(), 5)
    assert first.close_code == 1000  # the client closed it
    await online(adapter, statuses)
    second = await loopback.next_connection()
    await second.send(frame(PONG))
    assert await messages.next() == PONG
    assert messages.items == [PONG] and len(uris.times) == 2


@pytest.mark.spec("CW9")
async def test_restart_orphans_the_old_socket(
    loopback: Loopback, make_adapter: Callable[..., ClientWebSocketAdapter]
) -> None:
    """``restart()`` reports ``offline`` at once and closes the socket; a message the old
    socket had already received is never delivered, and neither is its close."""
    adapter = make_adapter(loopback.url)
    statuses, messages = watch(adapter)
    await online(adapter, statuses)
    old = await loopback.next_connection()

    def restart_on_first(message: dict[str, Any]) -> None:
        if message["serverClock"] == 1:
            adapter.restart()
            assert adapter.connection_status == "offline"

    adapter.on_receive_message(restart_on_first)
    await old.send(frame(patch(1)))
    await old.send(frame(patch(2)))  # buffered in the old socket: must be ignored
    assert await statuses.next() == OFFLINE
    await asyncio.wait_for(old.wait_closed(), 5)
    await online(adapter, statuses)
    new = await loopback.next_connection()
    await new.send(frame(patch(3)))
    assert await messages.next() == patch(1)
    assert await messages.next() == patch(3)
    assert messages.items == [patch(1), patch(3)]
    assert statuses.items == [ONLINE, OFFLINE, ONLINE]


@pytest.mark.spec("CW9")
async def test_restart_while_connecting_abandons_the_attempt(
    loopback: Loopback, make_adapter: Callable[..., ClientWebSocketAdapter]
) -> None:
    """``restart()`` during a handshake abandons it: that socket never becomes ``online``, the
    next attempt does, and exactly one ``online`` event is reported."""
    loopback.gates[1] = asyncio.Event()
    uris = UriLog(loopback.url)
    adapter = make_adapter(uris)
    statuses, _ = watch(adapter)
    await until(lambda: len(loopback.paths) == 1)
    assert adapter.state is ConnectionState.CONNECTING
    adapter.restart()
    assert statuses.items == []  # offline already: no event
    await online(adapter, statuses)
    loopback.gates[1].set()
    await asyncio.wait([loopback.handshakes[0]])  # the server is done with the abandoned one
    assert statuses.items == [ONLINE] and adapter.attempts_started == 2
    assert len(loopback.connections) == 1


@pytest.mark.spec("CW14")
async def test_maybe_reconnected_resets_the_backoff(
    loopback: Loopback, make_adapter: Callable[..., ClientWebSocketAdapter]
) -> None:
    """While waiting a long backoff, ``maybe_reconnected()`` retries right away (the minimum
    delay since the last start has passed); while connecting, it abandons an attempt older than
    ``attempt_timeout_ms`` and starts a new one."""
    loopback.refuse = 1
    clock = FakeClock()
    uris = UriLog(loopback.url)
    adapter = make_adapter(
        uris, timers=clock, min_delay_ms=20, max_delay_ms=60_000, delay_exponent=1000
    )
    statuses, _ = watch(adapter)
    await until(lambda: adapter.state is ConnectionState.DELAY)
    assert clock.next_timer_at() == 20_000  # 20 s to wait
    clock.advance(20)  # the 20 ms minimum since the last start passes
    adapter.maybe_reconnected()
    assert adapter.attempts_started == 2 and clock.pending_timers == 0
    await online(adapter, statuses)
    assert len(uris.times) == 2

    loopback.gates[3] = asyncio.Event()
    connecting = make_adapter(uris, timers=clock, attempt_timeout_ms=300)
    connecting_statuses, _ = watch(connecting)
    await until(lambda: len(loopback.paths) == 3)
    connecting.maybe_reconnected()  # too early: only rechecks when 300 ms are up
    assert connecting.attempts_started == 1 and clock.next_timer_at() == 20 + 300
    clock.advance(299)
    assert connecting.attempts_started == 1
    clock.advance(1)
    assert connecting.attempts_started == 2
    await online(connecting, connecting_statuses)
    assert len(uris.times) == 4


# ------------------------------------------------------------------------------------------
# closing


@pytest.mark.spec("CW10")
@pytest.mark.parametrize("when", ["open", "connecting", "delay", "error", "sync-close-first"])
async def test_close_leaves_no_task_and_no_socket(
    when: str, loopback: Loopback, make_adapter: Callable[..., ClientWebSocketAdapter]
) -> None:
    """Whatever the state, ``aclose()`` closes the socket (code 1000 at the server), leaves no
    task behind, and is idempotent, as is ``close()``; an online adapter reports ``offline``."""
    baseline = asyncio.all_tasks()
    if when == "connecting":
        loopback.gates[1] = asyncio.Event()
    if when == "delay":
        loopback.refuse = 1
    adapter = make_adapter(loopback.url, min_delay_ms=5000, max_delay_ms=5000)
    statuses, _ = watch(adapter)
    server_side: ServerConnection | None = None
    if when in ("open", "error", "sync-close-first"):
        await online(adapter, statuses)
        server_side = await loopback.next_connection()
        adapter.send_message({"type": "ping"})  # a live writer
        assert await asyncio.wait_for(server_side.recv(), 5) == '{"type":"ping"}'
    if when == "error":
        assert server_side is not None
        await server_side.close(4099, "NOT_FOUND")
        assert await statuses.next() == SocketStatusEvent("error", "NOT_FOUND")
    elif when == "connecting":
        await until(lambda: len(loopback.paths) == 1)
    elif when == "delay":
        await until(lambda: adapter.state is ConnectionState.DELAY)
    if when in ("open", "connecting", "sync-close-first"):
        assert client_tasks(baseline)  # the adapter has tasks running (or shutting down)
    if when == "sync-close-first":
        adapter.close()
        adapter.close()
    await asyncio.wait_for(adapter.aclose(), 5)
    await asyncio.wait_for(adapter.aclose(), 5)
    adapter.close()
    assert client_tasks(baseline) == set()
    assert adapter.state is ConnectionState.CLOSED
    if when in ("open", "sync-close-first"):
        assert server_side is not None
        await asyncio.wait_for(server_side.wait_closed(), 5)
        assert server_side.close_code == 1000
        assert statuses.items == [ONLINE, OFFLINE]
        assert adapter.connection_status == "offline"
    if when == "error":
        assert adapter.connection_status == "error"


@pytest.mark.spec("CW10")
async def test_async_with_closes(loopback: Loopback) -> None:
    """``async with`` gives the adapter and closes it fully on the way out."""
    baseline = asyncio.all_tasks()
    async with ClientWebSocketAdapter(loopback.url, **FAST) as adapter:
        statuses, _ = watch(adapter)
        await online(adapter, statuses)
    assert adapter.state is ConnectionState.CLOSED
    assert asyncio.all_tasks() == baseline


@pytest.mark.spec("CW11")
async def test_send_rules(
    loopback: Loopback,
    make_adapter: Callable[..., ClientWebSocketAdapter],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Sending while a socket is connecting drops the message with a warning; with no socket
    (waiting to retry) it is dropped silently; after ``close()`` send and restart raise."""
    loopback.gates[1] = asyncio.Event()
    loopback.refuse = 1
    adapter = make_adapter(loopback.url, min_delay_ms=5000, max_delay_ms=5000)
    await until(lambda: len(loopback.paths) == 1)
    with caplog.at_level(logging.DEBUG, logger="tlsync_client"):
        adapter.send_message({"type": "ping"})
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "dropping a 'ping' message" in caplog.records[0].getMessage()
    caplog.clear()
    loopback.gates[1].set()  # the handshake is refused: wait 5 s for the next one
    await until(lambda: adapter.state is ConnectionState.DELAY)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="tlsync_client"):
        adapter.send_message({"type": "ping"})
    assert caplog.records == []
    adapter.close()
    with pytest.raises(RuntimeError):
        adapter.send_message({"type": "ping"})
    with pytest.raises(RuntimeError):
        adapter.restart()
    assert loopback.connections == []


# ------------------------------------------------------------------------------------------
# listeners and observables


@pytest.mark.spec("CW12")
async def test_unsubscribe_and_raising_listeners(
    loopback: Loopback,
    make_adapter: Callable[..., ClientWebSocketAdapter],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unsubscribed listener hears nothing more (unsubscribing twice is harmless); a listener
    that raises is logged and the others still get the message."""
    adapter = make_adapter(loopback.url)
    statuses, messages = watch(adapter)
    dropped: Recorder[dict[str, Any]] = Recorder()
    dropped_status: Recorder[SocketStatusEvent] = Recorder()
    stop = adapter.on_receive_message(dropped)
    stop_status = adapter.on_status_change(dropped_status)

    def broken(_message: dict[str, Any]) -> None:
        raise RuntimeError("listener bug")

    adapter.on_receive_message(broken)
    await online(adapter, statuses)
    server_side = await loopback.next_connection()
    await server_side.send(frame(patch(1)))
    assert await messages.next() == patch(1)
    stop()
    stop()
    stop_status()
    with caplog.at_level(logging.ERROR, logger="tlsync_client"):
        await server_side.send(frame(patch(2)))
        assert await messages.next() == patch(2)
    assert len([r for r in caplog.records if "listener raised" in r.getMessage()]) == 2
    await server_side.close(1000)
    assert await statuses.next() == OFFLINE
    assert dropped.items == [patch(1)] and dropped_status.items == [ONLINE]


@pytest.mark.spec("CW13")
async def test_rx_observables(
    loopback: Loopback, make_adapter: Callable[..., ClientWebSocketAdapter]
) -> None:
    """``messages`` and ``status_changes`` are Rx observables: they emit what the listeners get,
    stop after dispose, and complete when the adapter closes (at once if already closed)."""
    adapter = make_adapter(loopback.url)
    got: list[Any] = []
    completed: list[str] = []
    opened = asyncio.Event()

    def on_status(event: SocketStatusEvent) -> None:
        got.append(event)
        opened.set()

    adapter.status_changes.subscribe(on_status, on_completed=lambda: completed.append("status"))
    sub = adapter.messages.subscribe(got.append, on_completed=lambda: completed.append("x"))
    kept: Recorder[dict[str, Any]] = Recorder()
    adapter.messages.subscribe(kept, on_completed=lambda: completed.append("messages"))
    await asyncio.wait_for(opened.wait(), 5)
    server_side = await loopback.next_connection()
    await server_side.send(frame(patch(1)))
    assert await kept.next() == patch(1)
    sub.dispose()
    await server_side.send(frame(patch(2)))
    assert await kept.next() == patch(2)
    assert got == [ONLINE, patch(1)]
    await asyncio.wait_for(adapter.aclose(), 5)
    assert got == [ONLINE, patch(1), OFFLINE]
    assert sorted(completed) == ["messages", "status"]
    late: list[str] = []
    adapter.messages.subscribe(on_completed=lambda: late.append("done"))
    assert late == ["done"]


def test_construction_needs_a_running_loop() -> None:
    """The adapter starts connecting in its constructor, so it refuses to exist without a
    running event loop."""
    with pytest.raises(RuntimeError):
        ClientWebSocketAdapter("ws://127.0.0.1:1/connect/x")


# ------------------------------------------------------------------------------------------
# against the real server


@pytest.mark.spec("CW15")
async def test_connects_to_tlsync_server() -> None:
    """Against the real TLSyncServer: the adapter (given an http:// URL) goes online, sends a v8
    connect request, and the server's ``connect`` answer (wipe_all hydration of the new room)
    reaches the message listener parsed."""
    schema = create_demo_schema()
    async with TLSyncServer(schema=schema, port=0) as server:
        url = server.url.replace("ws://", "http://") + "/connect/room-1"
        async with ClientWebSocketAdapter(url, **FAST) as adapter:
            statuses, messages = watch(adapter)
            adapter.on_status_change(
                lambda event: (
                    adapter.send_message(
                        {
                            "type": "connect",
                            "connectRequestId": "req-1",
                            "protocolVersion": 8,
                            "lastServerClock": -1,
                            "schema": schema.serialize(),
                        }
                    )
                    if event.status == "online"
                    else None
                )
            )
            await online(adapter, statuses)
            answer = await messages.next()
            assert answer["type"] == "connect"
            assert answer["connectRequestId"] == "req-1"
            assert answer["protocolVersion"] == 8
            assert answer["hydrationType"] == "wipe_all"
            assert {"document:document", "page:page"} <= set(answer["diff"])
            adapter.send_message({"type": "ping"})
            assert (await messages.next())["type"] == "pong"

""":class:`ClientWebSocketAdapter`: a self-reconnecting websocket to a sync room (SPEC.md CW*).

It implements :class:`~tlsync_core.client_socket.TLPersistentClientSocket` on the ``websockets``
asyncio client: a sync client sees a status (``"online"``, ``"offline"``, ``"error"``), parsed
server messages, and ``send_message`` / ``restart``; reconnecting is the adapter's business.

Theory of operation
===================

States are data.  The adapter is always in exactly one :class:`ConnectionState`:

* ``INITIAL`` – being constructed; the constructor leaves it at once by starting an attempt.
* ``CONNECTING`` – an attempt is running: it calls ``get_uri`` (again on every attempt, so
  auth tokens stay fresh) and opens the websocket handshake.
* ``OPEN`` – the socket is open; the status is ``"online"``.
* ``DELAY`` – no socket; a timer starts the next attempt when the backoff allows.
* ``ERROR`` – the server closed with code 4099 (``TLSyncErrorCloseEventCode``); the status is
  ``"error"`` and the adapter waits: only :meth:`~ClientWebSocketAdapter.restart` leaves it.
* ``CLOSED`` – :meth:`~ClientWebSocketAdapter.close` was called; final.

Each attempt is one task that owns its socket from handshake to close: it reads frames, hands
them to the listeners, and on its way out always closes the socket (so no socket leaks).  A
second task per open socket writes the outbox, so that the synchronous ``send_message`` keeps
the order of the frames.  ``restart()`` and ``close()`` *orphan* the current attempt: it is
cancelled (or, when they are called from one of its own callbacks, it stops after that
callback), and nothing it sees afterwards reaches a listener.

Status rules (SPEC.md CW1–CW3).  ``"online"`` when a socket opens; ``"offline"`` when the handshake
fails, when an open socket closes with any code but 4099, and on ``restart()``; ``"error"``
with ``reason`` = the close reason (``"UNKNOWN_ERROR"`` when empty) on a 4099 close.  Listeners
hear only real changes, and an ``"error"`` while already ``"offline"`` is not reported.  Unlike
5.4.2 (whose reconnect manager keeps trying after 4099), the adapter does not reconnect after
an error: 4099 means "stop", and the sync client decides whether to ``restart()``.

Listeners and bad input.  Listeners run synchronously on the loop, in subscription order; one
that raises is logged (``"tlsync_client"`` logger) and the others still run; one unsubscribed
during a dispatch is skipped.  A frame that is not a server message (not JSON, or failing
:func:`~tlsync_core.protocol.codec.parse_server_message`) is logged as a warning and restarts
the connection.  The first failed attempt of a streak is logged as a warning (URI without its
query, where tokens live), the following ones at debug level.

Failed attempts.  Every failed attempt is reported to the ``on_attempt_failed`` listeners
with its exception (and kept as :attr:`~ClientWebSocketAdapter.last_error`), then retried as
the backoff says, unless a listener closed the adapter.  :func:`is_permanent_connect_error`
tells the failures that retrying cannot fix (an HTTP status other than 101 on the upgrade,
except 408, 425, 429, 502, 503 and 504; a URI that is not ``ws(s)://``; a host name that does
not resolve; a TLS certificate refused) from those that may pass (refused, reset, timed out):
the adapter itself retries both, and a caller that is still waiting for its first connection
(``connect()``) gives up at once on the permanent ones.

Reconnect backoff (SPEC.md CW4, 5.4.2's constants for a visible page;
:class:`ReconnectBackoff`).  The
first attempt starts at once.  Each attempt start grows the intended delay to
``min(max_delay, max(min_delay, delay) × 1.5)`` and the next attempt may start that long after
this one started; a successful open resets the delay to ``min_delay``, and losing an open
socket waits ``min_delay`` from the loss.  With the defaults the attempt starts after a drop
are spaced 500, 750, 1125, 1687.5, 2000, 2000, … ms.  **Jitter (ours):** every spacing is
multiplied by a factor drawn uniformly from ``[1 − jitter, 1 + jitter]`` (default ±10 %, from
the ``rng`` given, so tests can seed it), so that many clients dropped by one server restart do
not come back in lock step.  :meth:`~ClientWebSocketAdapter.maybe_reconnected` is the hook
for "the network is probably back" hints (the browser's ``online`` event): it abandons an
attempt that has been connecting for longer than ``attempt_timeout_ms`` (1000) and otherwise
resets the backoff and retries, at most ``min_delay`` after the last attempt started.  The
adapter never calls it by itself (there are no browser hints in Python); what bounds a stuck
handshake without hints is ``open_timeout`` (10 s by default), after which the attempt fails.

Transport choices.  Frames of any size are received (``max_size=None`` by default: a large
room hydrates in one ``connect`` message, far above websockets' 1 MiB default).  Outgoing
messages of ``max_message_size`` UTF-16 units or more are chunked (SPEC.md CH1).  websockets' own
keepalive stays on (ping every 20 s, 20 s timeout): it notices a dead TCP connection even when
nobody sends, independently of the sync client's protocol pings; pass ``ping_interval=None``
to turn it off.  Closing waits at most ``close_timeout`` (2 s) for the server's close frame.

Everything runs on the event loop that was running at construction; the adapter is not
thread-safe.  ``close()`` is synchronous and schedules the shutdown; ``await aclose()`` (or
``async with``) also waits until every task the adapter started has finished.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import inspect
import logging
import random
import socket
import ssl
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from types import TracebackType
from typing import Any, Final, TypeAlias, TypeVar, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import reactivex
from reactivex import abc
from reactivex.disposable import Disposable
from websockets.asyncio.client import ClientConnection, connect
from websockets.datastructures import HeadersLike
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidMessage,
    InvalidStatus,
    InvalidURI,
)

from tlsync_client.loop_timers import LoopTimers
from tlsync_core.client_socket import (
    Listeners,
    SocketStatusEvent,
    TLPersistentClientSocketStatus,
)
from tlsync_core.protocol.chunking import MAX_SAFE_MESSAGE_SIZE, split_message
from tlsync_core.protocol.close_codes import TLSyncErrorCloseEventCode, close_reason_or_default
from tlsync_core.protocol.codec import parse_server_message, serialize_message
from tlsync_core.timers import TimerHandle, Timers

__all__ = [
    "ACTIVE_MAX_DELAY_MS",
    "ACTIVE_MIN_DELAY_MS",
    "ATTEMPT_TIMEOUT_MS",
    "DEFAULT_JITTER",
    "DELAY_EXPONENT",
    "ClientWebSocketAdapter",
    "ConnectionState",
    "ReconnectBackoff",
    "UriSource",
    "describe_connect_error",
    "is_permanent_connect_error",
    "redacted_uri",
]

logger = logging.getLogger("tlsync_client")

#: Shortest wait between attempt starts (ms; 5.4.2's ``ACTIVE_MIN_DELAY``).
ACTIVE_MIN_DELAY_MS: Final = 500.0
#: Longest wait between attempt starts (ms; 5.4.2's ``ACTIVE_MAX_DELAY``).
ACTIVE_MAX_DELAY_MS: Final = 2000.0
#: Growth of the wait per attempt (5.4.2's ``DELAY_EXPONENT``).
DELAY_EXPONENT: Final = 1.5
#: How long ``maybe_reconnected()`` lets an attempt connect before abandoning it (ms).
ATTEMPT_TIMEOUT_MS: Final = 1000.0
#: Relative jitter of each backoff wait (ours; 5.4.2 has none).
DEFAULT_JITTER: Final = 0.1

#: Where to connect: a URI, or a function (sync or async) called before every attempt.
UriSource: TypeAlias = str | Callable[[], str | Awaitable[str]]

#: HTTP statuses on the upgrade that may pass by themselves (a proxy, an overloaded server).
RETRYABLE_HTTP_STATUSES: Final = frozenset({408, 425, 429, 502, 503, 504})

_T = TypeVar("_T")
# A timer that fires this close to its deadline counts as on time (asyncio may run early).
_TIMER_SLACK_MS: Final = 1.0


class ConnectionState(enum.Enum):
    """Where the adapter is in its life (see the module docstring)."""

    INITIAL = "initial"
    CONNECTING = "connecting"
    OPEN = "open"
    DELAY = "delay"
    ERROR = "error"
    CLOSED = "closed"


class ReconnectBackoff:
    """When the next connection attempt may start: 5.4.2's reconnect manager, without timers.

    Times are milliseconds of any clock.  ``rng`` draws the jitter (see the module docstring);
    ``jitter=0`` gives the exact 5.4.2 spacing.
    """

    __slots__ = (
        "exponent",
        "intended_delay_ms",
        "jitter",
        "last_attempt_start",
        "max_delay_ms",
        "min_delay_ms",
        "next_attempt_at",
        "rng",
    )

    def __init__(
        self,
        *,
        min_delay_ms: float = ACTIVE_MIN_DELAY_MS,
        max_delay_ms: float = ACTIVE_MAX_DELAY_MS,
        exponent: float = DELAY_EXPONENT,
        jitter: float = DEFAULT_JITTER,
        rng: random.Random | None = None,
    ) -> None:
        if not 0 <= min_delay_ms <= max_delay_ms:
            raise ValueError(
                f"need 0 <= min_delay_ms <= max_delay_ms, got {min_delay_ms}, {max_delay_ms}"
            )
        if exponent < 1:
            raise ValueError(f"exponent must be at least 1, got {exponent}")
        if not 0 <= jitter < 1:
            raise ValueError(f"jitter must be in [0, 1), got {jitter}")
        self.min_delay_ms = min_delay_ms
        self.max_delay_ms = max_delay_ms
        self.exponent = exponent
        self.jitter = jitter
        self.rng = rng if rng is not None else random.Random()
        #: The nominal spacing that the next attempt start will use (before growing).
        self.intended_delay_ms = min_delay_ms
        self.last_attempt_start: float | None = None
        #: The earliest start of the next attempt; ``None``: at once.
        self.next_attempt_at: float | None = None

    def _jittered(self, delay_ms: float) -> float:
        if not self.jitter:
            return delay_ms
        return delay_ms * (1.0 + self.rng.uniform(-self.jitter, self.jitter))

    def attempt_started(self, now: float) -> None:
        """An attempt starts at ``now``: grow the delay; the next may start that much later."""
        self.intended_delay_ms = min(
            self.max_delay_ms, max(self.min_delay_ms, self.intended_delay_ms) * self.exponent
        )
        self.last_attempt_start = now
        self.next_attempt_at = now + self._jittered(self.intended_delay_ms)

    def opened(self) -> None:
        """An attempt succeeded: back to the shortest delay."""
        self.intended_delay_ms = self.min_delay_ms

    def dropped(self, now: float) -> None:
        """An open connection was lost at ``now``: the next attempt waits ``min_delay``."""
        self.intended_delay_ms = self.min_delay_ms
        self.next_attempt_at = now + self._jittered(self.min_delay_ms)

    def reset(self) -> None:
        """Retry soon: the shortest delay, counted from the last attempt start."""
        self.intended_delay_ms = self.min_delay_ms
        if self.last_attempt_start is not None:
            self.next_attempt_at = self.last_attempt_start + self._jittered(self.min_delay_ms)

    def delay_left(self, now: float) -> float:
        """Milliseconds until the next attempt may start (0: now)."""
        return 0.0 if self.next_attempt_at is None else max(0.0, self.next_attempt_at - now)


class _Attempt:
    """One connection attempt and, once open, its socket (owned by ``task``)."""

    __slots__ = ("number", "orphaned", "outbox", "started_at", "task", "wake", "writer", "ws")

    def __init__(self, number: int, started_at: float) -> None:
        self.number = number
        self.started_at = started_at
        self.task: asyncio.Task[None] | None = None
        self.ws: ClientConnection | None = None
        self.writer: asyncio.Task[None] | None = None
        self.outbox: deque[str] = deque()
        self.wake = asyncio.Event()
        #: Set by ``restart()``/``close()``: nothing this attempt sees is reported any more.
        self.orphaned = False


@functools.cache
def _socket_option_names() -> frozenset[str]:
    """The keywords a :class:`ClientWebSocketAdapter` takes: its own, websockets' ``connect()``'s,
    and the event loop's that ``connect()`` hands on (``create_connection``, or
    ``create_unix_connection`` with ``unix=True``)."""
    names: set[str] = {"unix"}
    for function in (
        ClientWebSocketAdapter.__init__,
        connect.__init__,
        asyncio.BaseEventLoop.create_connection,
        asyncio.BaseEventLoop.create_unix_connection,
    ):
        names.update(inspect.signature(function).parameters)
    return frozenset(
        names - {"self", "get_uri", "uri", "kwargs", "connect_options", "protocol_factory"}
    )


def check_socket_options(options: Mapping[str, Any]) -> None:
    """Raise ``TypeError`` naming every keyword in ``options`` that neither the socket nor
    websockets' ``connect()`` takes (those starting with ``proxy_`` go to an HTTP proxy)."""
    known = _socket_option_names()
    unknown = sorted(
        name for name in options if name not in known and not name.startswith("proxy_")
    )
    if unknown:
        raise TypeError(
            f"unexpected keyword argument(s) {', '.join(map(repr, unknown))}: neither an option "
            "of the room connection nor of websockets' connect() (time limits: load_timeout= "
            "for the room to load, open_timeout= for one connection attempt)"
        )


class ClientWebSocketAdapter:
    """A websocket to a sync room that reconnects by itself (``TLPersistentClientSocket``).

    Construct it inside a running event loop (else ``RuntimeError``); the first attempt starts
    at once.  ``get_uri``: a ``ws(s)://`` or ``http(s)://`` URI, or a function returning one
    (or an awaitable of one), called before every attempt.

    Keyword arguments: ``timers`` (default: a :class:`LoopTimers` of the running loop);
    ``additional_headers``, ``open_timeout``, ``close_timeout``, ``ping_interval``,
    ``ping_timeout`` (seconds) as in ``websockets.asyncio.client.connect``;
    ``max_message_size`` (UTF-16 units from which an outgoing message is chunked, SPEC.md CH1);
    ``max_receive_size`` (bytes of one incoming message; ``None``: no limit);
    ``min_delay_ms``, ``max_delay_ms``, ``delay_exponent``, ``jitter``, ``rng`` (the backoff,
    see :class:`ReconnectBackoff`); ``attempt_timeout_ms`` (see :meth:`maybe_reconnected`).
    Any other keyword goes to ``connect()`` as is (``ssl``, ``proxy``, ``compression``, ...);
    one that it would refuse raises ``TypeError`` here (:func:`check_socket_options`).
    """

    def __init__(
        self,
        get_uri: UriSource,
        *,
        timers: Timers | None = None,
        additional_headers: HeadersLike | None = None,
        open_timeout: float | None = 10.0,
        close_timeout: float | None = 2.0,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        max_message_size: int = MAX_SAFE_MESSAGE_SIZE,
        max_receive_size: int | None = None,
        min_delay_ms: float = ACTIVE_MIN_DELAY_MS,
        max_delay_ms: float = ACTIVE_MAX_DELAY_MS,
        delay_exponent: float = DELAY_EXPONENT,
        attempt_timeout_ms: float = ATTEMPT_TIMEOUT_MS,
        jitter: float = DEFAULT_JITTER,
        rng: random.Random | None = None,
        **connect_options: Any,
    ) -> None:
        if max_message_size < 1:
            raise ValueError(f"max_message_size must be at least 1, got {max_message_size}")
        check_socket_options(connect_options)
        self._loop = asyncio.get_running_loop()
        self._get_uri = get_uri
        self._timers: Timers = timers if timers is not None else LoopTimers(self._loop)
        self._backoff = ReconnectBackoff(
            min_delay_ms=min_delay_ms,
            max_delay_ms=max_delay_ms,
            exponent=delay_exponent,
            jitter=jitter,
            rng=rng,
        )
        self._attempt_timeout_ms = attempt_timeout_ms
        self._max_message_size = max_message_size
        self._parse_limit = sys.maxsize if max_receive_size is None else max_receive_size
        self._connect_options: dict[str, Any] = {
            "additional_headers": additional_headers,
            "open_timeout": open_timeout,
            "close_timeout": close_timeout,
            "ping_interval": ping_interval,
            "ping_timeout": ping_timeout,
            "max_size": max_receive_size,
            **connect_options,
        }
        self._state = ConnectionState.INITIAL
        self._status: TLPersistentClientSocketStatus = "offline"
        self._message_listeners: Listeners[Callable[[dict[str, Any]], None]] = Listeners()
        self._status_listeners: Listeners[Callable[[SocketStatusEvent], None]] = Listeners()
        self._close_listeners: Listeners[Callable[[], None]] = Listeners()
        self._failure_listeners: Listeners[Callable[[Exception], None]] = Listeners()
        self._last_error: Exception | None = None
        self._attempt: _Attempt | None = None
        self._attempts_started = 0
        self._timer: TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._shutdown: asyncio.Task[None] | None = None
        self._failed_in_a_row = 0
        self._start_attempt()

    # --------------------------------------------------------------------------------------
    # public interface

    @property
    def connection_status(self) -> TLPersistentClientSocketStatus:
        """``"online"``, ``"offline"`` or ``"error"`` (see the module docstring)."""
        return self._status

    @property
    def state(self) -> ConnectionState:
        """The internal state (finer than :attr:`connection_status`)."""
        return self._state

    @property
    def attempts_started(self) -> int:
        """How many connection attempts have started so far."""
        return self._attempts_started

    @property
    def last_error(self) -> Exception | None:
        """Why the last attempt failed (None until one fails; kept after later successes)."""
        return self._last_error

    def send_message(self, message: Mapping[str, Any]) -> None:
        """Send one client message if online (chunked when large, frames in order).

        While an attempt is connecting the message is dropped with a warning; with no socket at
        all (waiting to retry, or after an error) it is dropped silently.  Raises
        ``RuntimeError`` after :meth:`close`, and ``TypeError`` for a message JSON cannot hold.
        """
        if self._state is ConnectionState.CLOSED:
            raise RuntimeError("send_message() on a closed ClientWebSocketAdapter")
        attempt = self._attempt
        if attempt is None:
            return
        if self._state is not ConnectionState.OPEN or attempt.ws is None:
            logger.warning(
                "dropping a %r message: the websocket is %s",
                message.get("type"),
                self._state.value,
            )
            return
        attempt.outbox.extend(split_message(serialize_message(message), self._max_message_size))
        attempt.wake.set()

    def on_receive_message(self, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        """Call ``callback(message)`` for every server message; returns the unsubscriber."""
        return self._message_listeners.add(callback)

    def on_status_change(self, callback: Callable[[SocketStatusEvent], None]) -> Callable[[], None]:
        """Call ``callback(event)`` on every change of status; returns the unsubscriber."""
        return self._status_listeners.add(callback)

    def on_attempt_failed(self, callback: Callable[[Exception], None]) -> Callable[[], None]:
        """Call ``callback(error)`` each time an attempt fails to open; returns the
        unsubscriber (see :func:`is_permanent_connect_error`)."""
        return self._failure_listeners.add(callback)

    @property
    def messages(self) -> reactivex.Observable[dict[str, Any]]:
        """The server messages as an observable; it completes when the adapter closes."""
        return self._observable(self.on_receive_message)

    @property
    def status_changes(self) -> reactivex.Observable[SocketStatusEvent]:
        """The status changes as an observable; it completes when the adapter closes."""
        return self._observable(self.on_status_change)

    async def dial(self, query: Mapping[str, str]) -> ClientConnection:
        """Open one more websocket to this adapter's room, with the same headers and options,
        its URI's query parameters overridden by ``query`` (e.g. another ``sessionId``): what a
        relay needs to let another client join through this one's credentials.  The caller
        owns (and closes) it; it never reconnects.  Raises what ``connect()`` raises."""
        if self._state is ConnectionState.CLOSED:
            raise RuntimeError("dial() on a closed ClientWebSocketAdapter")
        parts = urlsplit(await self._resolve_uri())
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        params.update(query)
        uri = urlunsplit(parts._replace(query=urlencode(params)))
        return await connect(uri, **self._connect_options)

    def restart(self) -> None:
        """Drop the current connection (its later events are ignored), report ``"offline"`` and
        connect again — at once, or ``min_delay`` after the last attempt started if that is
        later.  Also the way out of ``"error"``.  Raises ``RuntimeError`` after :meth:`close`."""
        if self._state is ConnectionState.CLOSED:
            raise RuntimeError("restart() on a closed ClientWebSocketAdapter")
        self._orphan_current()
        self._backoff.reset()
        self._schedule_next()
        self._set_status("offline")

    def maybe_reconnected(self) -> None:
        """A hint that the network may be back (5.4.2's ``maybeReconnected``, SPEC.md CW14).

        Open, errored or closed: nothing.  Connecting for less than ``attempt_timeout_ms``:
        check again when that time is up; for longer: abandon the attempt and retry.  Waiting:
        reset the backoff and retry (at most ``min_delay`` after the last attempt start).
        """
        state = self._state
        if state in (ConnectionState.OPEN, ConnectionState.ERROR, ConnectionState.CLOSED):
            return
        self._cancel_timer()
        attempt = self._attempt
        if state is ConnectionState.CONNECTING and attempt is not None:
            elapsed = self._timers.now() - attempt.started_at
            if elapsed < self._attempt_timeout_ms:
                self._timer = self._timers.call_later(
                    self._attempt_timeout_ms - elapsed, self.maybe_reconnected
                )
                return
            logger.info("abandoning a connection attempt after %.0f ms", elapsed)
            self._orphan_current()
        self._backoff.reset()
        self._schedule_next()

    def close(self) -> None:
        """Stop for good: no more reconnecting; close the socket; report ``"offline"`` if
        online; complete the observables and forget every listener.  Idempotent; the shutdown
        runs in the background (await :meth:`aclose` to wait for it)."""
        if self._state is ConnectionState.CLOSED:
            return
        self._orphan_current()
        self._state = ConnectionState.CLOSED
        self._shutdown = self._loop.create_task(self._drain_tasks(), name="tlsync-ws-shutdown")
        if self._status == "online":
            self._set_status("offline")
        for complete in self._close_listeners:
            try:
                complete()
            except Exception:
                logger.exception("a ClientWebSocketAdapter observer raised on completion")
        self._message_listeners.clear()
        self._status_listeners.clear()
        self._close_listeners.clear()
        self._failure_listeners.clear()

    async def aclose(self) -> None:
        """:meth:`close`, then wait until every task the adapter started has finished."""
        self.close()
        assert self._shutdown is not None
        await asyncio.shield(self._shutdown)

    async def __aenter__(self) -> ClientWebSocketAdapter:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<ClientWebSocketAdapter {self._state.value} status={self._status}>"

    # --------------------------------------------------------------------------------------
    # listeners

    def _observable(
        self, register: Callable[[Callable[[_T], None]], Callable[[], None]]
    ) -> reactivex.Observable[_T]:
        def subscribe(
            observer: abc.ObserverBase[_T], _scheduler: abc.SchedulerBase | None = None
        ) -> abc.DisposableBase:
            if self._state is ConnectionState.CLOSED:
                observer.on_completed()
                return Disposable()
            stop_values = register(observer.on_next)
            stop_completion = self._close_listeners.add(observer.on_completed)

            def dispose() -> None:
                stop_values()
                stop_completion()

            return Disposable(dispose)

        return reactivex.create(subscribe)

    @staticmethod
    def _notify(listeners: Listeners[Callable[[_T], None]], value: _T) -> None:
        """Call each listener that is still subscribed when its turn comes; log what raises."""
        for callback in listeners:
            try:
                callback(value)
            except Exception:
                logger.exception("a ClientWebSocketAdapter listener raised")

    def _set_status(
        self, status: TLPersistentClientSocketStatus, reason: str | None = None
    ) -> None:
        if status == self._status or (status == "error" and self._status == "offline"):
            return
        self._status = status
        event = SocketStatusEvent(status, reason if status == "error" else None)
        self._notify(self._status_listeners, event)

    # --------------------------------------------------------------------------------------
    # the state machine

    def _spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = self._loop.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            logger.error(
                "task %s of a ClientWebSocketAdapter failed", task.get_name(), exc_info=error
            )

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _start_attempt(self) -> None:
        self._cancel_timer()
        now = self._timers.now()
        self._backoff.attempt_started(now)
        self._attempts_started += 1
        attempt = _Attempt(self._attempts_started, now)
        self._attempt = attempt
        self._state = ConnectionState.CONNECTING
        attempt.task = self._spawn(self._run_attempt(attempt), f"tlsync-ws-{attempt.number}")

    def _schedule_next(self) -> None:
        """Leave a socketless state: attempt now, or wait (``DELAY``) as the backoff says."""
        delay = self._backoff.delay_left(self._timers.now())
        if delay <= _TIMER_SLACK_MS:
            self._start_attempt()
            return
        self._cancel_timer()
        self._state = ConnectionState.DELAY
        self._timer = self._timers.call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self._state is ConnectionState.DELAY:
            self._schedule_next()

    def _orphan_current(self) -> None:
        """Disown the current attempt: cancel it (unless it is the caller), ignore its events."""
        self._cancel_timer()
        attempt, self._attempt = self._attempt, None
        if attempt is None:
            return
        attempt.orphaned = True
        if attempt.task is not None and attempt.task is not asyncio.current_task():
            attempt.task.cancel()

    async def _resolve_uri(self) -> str:
        source = self._get_uri
        uri: object = source() if callable(source) else source
        if inspect.isawaitable(uri):
            uri = await uri
        if not isinstance(uri, str):
            raise TypeError(f"get_uri must give a str, got {type(uri).__name__}")
        lowered = uri[:8].lower()
        if lowered.startswith("https://"):
            return "wss://" + uri[8:]
        if lowered.startswith("http://"):
            return "ws://" + uri[7:]
        return uri

    async def _run_attempt(self, attempt: _Attempt) -> None:
        """The life of one attempt: resolve, connect, read until closed, always close."""
        uri = "?"
        try:
            try:
                uri = await self._resolve_uri()
                ws = await connect(uri, **self._connect_options)
            except Exception as error:
                if not attempt.orphaned:
                    self._attempt_failed(uri, error)
                return
            attempt.ws = ws
            if attempt.orphaned:
                return
            self._opened(attempt, ws)
            if attempt.orphaned:
                return
            try:
                async for frame in ws:
                    self._receive(frame)
                    if attempt.orphaned:
                        return
            except ConnectionClosed:
                pass
            if not attempt.orphaned:
                self._closed(ws.close_code, ws.close_reason)
        finally:
            await self._dispose(attempt)

    async def _dispose(self, attempt: _Attempt) -> None:
        try:
            if attempt.ws is not None:
                await attempt.ws.close()
        finally:
            writer = attempt.writer
            if writer is not None and not writer.done():
                writer.cancel()
                await asyncio.wait([writer])

    async def _write(self, attempt: _Attempt, ws: ClientConnection) -> None:
        """Send the outbox of ``attempt`` in order, until its socket closes."""
        outbox = attempt.outbox
        while True:
            while outbox:
                try:
                    await ws.send(outbox.popleft())
                except ConnectionClosed:
                    outbox.clear()
                    return
            attempt.wake.clear()
            await attempt.wake.wait()

    def _opened(self, attempt: _Attempt, ws: ClientConnection) -> None:
        self._state = ConnectionState.OPEN
        self._backoff.opened()
        self._failed_in_a_row = 0
        attempt.writer = self._spawn(self._write(attempt, ws), f"tlsync-ws-{attempt.number}-write")
        self._set_status("online")

    def _attempt_failed(self, uri: str, error: Exception) -> None:
        self._failed_in_a_row += 1
        self._last_error = error
        self._attempt = None
        self._notify(self._failure_listeners, error)
        if self._state is ConnectionState.CLOSED:
            return  # a listener gave up on this failure (connect() on one that will not pass)
        level = logging.WARNING if self._failed_in_a_row == 1 else logging.DEBUG
        logger.log(
            level,
            "could not open a websocket to %s (%s); retrying",
            redacted_uri(uri),
            describe_connect_error(error),
        )
        self._schedule_next()
        self._set_status("offline")

    def _closed(self, code: int | None, reason: str | None) -> None:
        self._attempt = None
        if code == TLSyncErrorCloseEventCode:
            self._state = ConnectionState.ERROR
            self._set_status("error", close_reason_or_default(reason))
            return
        logger.info("the websocket closed (code %s, reason %r); reconnecting", code, reason)
        self._backoff.dropped(self._timers.now())
        self._schedule_next()
        self._set_status("offline")

    def _receive(self, frame: str | bytes) -> None:
        try:
            message = cast(dict[str, Any], parse_server_message(frame, max_size=self._parse_limit))
        except Exception as error:
            logger.warning("the server sent an invalid message (%s); restarting", error)
            self.restart()
            return
        self._notify(self._message_listeners, message)

    async def _drain_tasks(self) -> None:
        while self._tasks:
            await asyncio.wait(list(self._tasks))


def redacted_uri(uri: str) -> str:
    """``uri`` without its query and fragment (where auth tokens usually are)."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "<invalid URI>"
    return f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.scheme else uri


def is_permanent_connect_error(error: BaseException) -> bool:
    """True for a failed attempt that retrying cannot fix (see the module docstring)."""
    if isinstance(error, InvalidStatus):
        return error.response.status_code not in RETRYABLE_HTTP_STATUSES
    if isinstance(error, socket.gaierror):
        return error.errno != socket.EAI_AGAIN
    if isinstance(error, ssl.SSLCertVerificationError):
        return True
    return isinstance(error, InvalidURI | TypeError | ValueError) or (
        isinstance(error, InvalidHandshake) and not isinstance(error, InvalidMessage)
    )


def describe_connect_error(error: BaseException) -> str:
    """A one-line cause of a failed attempt: ``HTTP 404 (Not Found)``, ``host not found``..."""
    if isinstance(error, InvalidStatus):
        response = error.response
        return f"HTTP {response.status_code} ({response.reason_phrase}) on the websocket upgrade"
    if isinstance(error, socket.gaierror):
        return f"the host name does not resolve ({error.strerror or error})"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused (is the server running on that port?)"
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__

"""TLSyncClient: the client side of a sync room, as a pure state machine (SPEC.md §6).

Theory of operation
===================

The client keeps a local :class:`~tlsync_core.store.Store` in step with a room.  It never touches
the network or an event loop: it talks to a :class:`TLPersistentClientSocket` (which reconnects by
itself and reports a status) and reads time and schedules work through injected
:class:`~tlsync_core.timers.Timers`.  Every entry point (a socket message, a status change, a
local store change, a timer) runs to completion, then publishes the client's state to signals.

States are data (:class:`ClientState`), and so are the moves between them (:data:`TRANSITIONS`,
checked on every move)::

    OFFLINE --socket online--> CONNECTING --connect answer--> CONNECTED
       ^                            |                             |
       +------ socket offline, reset (ping overdue, protocol violation) ----+
    any --4099 close / fatal incompatibility--> ERROR (closed for good);  any --close()--> CLOSED

The store is always "what the server confirmed, plus our speculative changes on top".
``speculative_changes`` is the squashed diff of every local change the server has not
confirmed; reversing it gives back the last known server state.  Local changes come from a
store listener (source ``user``, scope ``document``: remote changes and session/presence records
are never pushed) and are squashed into ``speculative_changes`` always, and, while connected,
kept as unsent changes that a throttled send folds into one ``push`` (so a burst of edits is one
push).  Offline edits stay in ``speculative_changes`` only; on reconnect they are re-applied on
top of the hydrated room and pushed as one request.

Server events (``patch``, ``push_result``) are buffered and applied by a throttled *rebase*, in
one remote merge: undo the speculative diff, apply the events in order (a commit applies the
request's own diff, a discard drops it, ``rebaseWithDiff`` applies the server's version), then
re-apply the requests still in flight and the unsent diff, capturing the result as the new
speculative diff.  Nothing applied in a rebase is pushed again.  A push result that does not
match the front of the queue is a protocol violation: the connection is reset and the next
connect converges.

Sends and rebases are throttled (30 fps in a collaboration, 1 fps solo), each on its own: a send
runs at most once per frame budget after the last send, a rebase once per frame budget after the
last rebase, and neither synchronously inside the call that queued it.  (tldraw 5.4.2 runs both
on one scheduler, so an edit made just after a rebase waits up to a frame budget: a bot whose
room keeps sending it presence pushed its updates ~20 ms later than its creates.)  With
``fps=None`` they run synchronously instead (for tests and benchmarks).

Health: while connected a ``ping`` goes out every 5 s; every 10 s a health check resets the
connection if the server has been silent for 10 s and a ping is overdue.  A close with code
4099 (the socket's ``"error"`` status) is final: ``on_sync_error(reason)`` runs and the client
closes, except that a modern client told ``SERVER_TOO_OLD`` before its first handshake retries
once in protocol 3 (SPEC.md PR1), so the same client joins our server, v3 servers and real
tldraw servers.

Missed messages: the transport is assumed reliable, but a client still notices when it was not
(a proxy that loses a frame, the simulator's ``drop``).  The room's clock moves once per
document change, and every change reaches every connected session once (as a ``patch``, or as
the ``push_result`` of its own push), so a document change must carry the clock after the last
one received, and anything else (presence, a discard, a push without document changes) that
clock itself.  An event past that shows a missed change: after the rebase that applies it, the
client resyncs (resets and reconnects with the clock of the last change it received in order,
so the room sends everything after it).  A push still unanswered at two health checks in a row
resets the connection too (its changes are pushed again after the reconnect).  A lost last
change in a quiet room shows only with a later message, so a connection that has heard nothing
for 10 s sends one empty push (a *probe*; dialect 8 only) whose result carries the room's clock.
A resync that brings nothing new was a false alarm; after three in a row the client concludes
that the server's clocks skip and stops checking them.

Dialects: 8 (``@tldraw/sync-core`` 5.4.2) by default, or 3 (SPEC.md PR1).  In 3 a connect
carries ``instanceId`` and no request id, a push carries a diff or a presence op (never both), diffs
carry no string appends, ``error`` messages restart the socket (``on_load_error`` when first),
and ``incompatibility_error`` is fatal.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Literal, TypeAlias, final

import attrs

from tlsync_client.errors import describe_schema, describe_serialized_schema
from tlsync_core.client_socket import SocketStatusEvent, TLPersistentClientSocket
from tlsync_core.gc_pause import BULK_RECORDS, gc_paused
from tlsync_core.protocol.close_codes import (
    TLIncompatibilityReason,
    TLSyncErrorCloseEventReason,
)
from tlsync_core.protocol.dialects import DIALECT_RULES, DialectRules
from tlsync_core.protocol.diff import NetworkDiff, apply_object_diff, diff_record, get_network_diff
from tlsync_core.protocol.versions import (
    CURRENT_PROTOCOL_VERSION,
    Dialect,
    fallback_protocol_version,
)
from tlsync_core.schemas import describe_schema_difference
from tlsync_core.signals import Atom, Signal, atom, react, transact
from tlsync_core.store import HistoryEntry, Record, RecordsDiff, Store, unique_id
from tlsync_core.store.diff import (
    is_records_diff_empty,
    reverse_records_diff,
    squash_records_diffs,
    squash_records_diffs_mutable,
)
from tlsync_core.store.jsvalue import js_equal
from tlsync_core.store.validation_errors import ValidationError
from tlsync_core.store.validator_core import mypyc_attr
from tlsync_core.timers import TimerHandle, Timers

__all__ = [
    "HEALTH_CHECK_INTERVAL",
    "MAX_FALSE_ALARMS",
    "PING_INTERVAL",
    "PONG_TIMEOUT",
    "PROBE_AFTER",
    "ClientState",
    "ConnectInfo",
    "PendingPush",
    "PresenceMode",
    "SyncProtocolViolation",
    "TLSyncClient",
]

logger = logging.getLogger("tlsync_client")

PING_INTERVAL = 5_000.0
"""ms between two pings while connected."""
HEALTH_CHECK_INTERVAL = 10_000.0
"""ms between two health checks."""
PONG_TIMEOUT = 10_000.0
"""ms of server silence (with a ping overdue) after which the connection is reset."""
CONNECT_TIMEOUT = 10_000.0
"""ms without an answer to a connect request after which the client retries (checked by the
health check, so the retry comes 10-20 s after the request)."""
PROBE_AFTER = 10_000.0
"""ms without a ``patch`` or ``push_result`` after which a connection sends one empty push, whose
result shows whether a change was missed (checked by the health check: 10-20 s)."""
MAX_FALSE_ALARMS = 3
"""Resyncs in a row that bring nothing new after which the client stops checking clocks."""
MAX_FAILED_HYDRATIONS = 3
"""Consecutive connect answers that fail to apply before the client gives up (UNKNOWN_ERROR)."""
COLLABORATIVE_FPS = 30.0
SOLO_FPS = 1.0

PresenceMode: TypeAlias = Literal["solo", "full"]


class ClientState(enum.Enum):
    """Where the client is in its life (see the module docstring)."""

    OFFLINE = "offline"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    ERROR = "error"
    CLOSED = "closed"


# (module constants for the hot paths: reading an Enum member off its class costs ~0.5 µs)
_CONNECTED: Final = ClientState.CONNECTED
_FINAL_STATES: Final = (ClientState.CLOSED, ClientState.ERROR)

#: Every state the client may move to from each state (the diagram in the module docstring).
#: A connect request may be sent again while one is unanswered (CL15), and a reset may find
#: the client already offline; ERROR and CLOSED are final.
TRANSITIONS: Mapping[ClientState, frozenset[ClientState]] = {
    ClientState.OFFLINE: frozenset(
        {ClientState.OFFLINE, ClientState.CONNECTING, ClientState.ERROR, ClientState.CLOSED}
    ),
    ClientState.CONNECTING: frozenset(
        {
            ClientState.OFFLINE,
            ClientState.CONNECTING,
            ClientState.CONNECTED,
            ClientState.ERROR,
            ClientState.CLOSED,
        }
    ),
    ClientState.CONNECTED: frozenset(
        {ClientState.OFFLINE, ClientState.CONNECTING, ClientState.ERROR, ClientState.CLOSED}
    ),
    ClientState.ERROR: frozenset(),
    ClientState.CLOSED: frozenset(),
}


class SyncProtocolViolation(Exception):
    """The server sent something that contradicts the client's state (e.g. an unexpected
    ``push_result``); the client resets its connection."""


@attrs.frozen
class ConnectInfo:
    """What a connect answer says about this session (passed to ``on_after_connect``)."""

    is_readonly: bool
    object_access: Literal["read", "write"]
    hydration_type: str
    server_clock: int


@final
@mypyc_attr(acyclic=True)
class PendingPush:
    """A push that was sent and awaits its ``push_result``; equal by its fields, which are
    ``Final`` (compiled, writing one raises ``AttributeError``).  A plain class, not attrs, so
    that compiled it is built natively on every push, and untracked by the cyclic GC (its
    fields are wire values, which never refer back to it)."""

    __slots__ = ("client_clock", "diff", "presence")

    def __init__(
        self, client_clock: int, diff: NetworkDiff | None, presence: list[Any] | None
    ) -> None:
        self.client_clock: Final = client_clock
        self.diff: Final = diff
        self.presence: Final = presence

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PendingPush):
            return NotImplemented
        return (self.client_clock, self.diff, self.presence) == (
            other.client_clock,
            other.diff,
            other.presence,
        )

    def __hash__(self) -> int:
        return hash((self.client_clock, self.diff, self.presence))

    def __repr__(self) -> str:
        return (
            f"PendingPush(client_clock={self.client_clock!r}, diff={self.diff!r},"
            f" presence={self.presence!r})"
        )


class _Throttle:
    """Runs ``fn`` when asked, at most once per frame budget, never synchronously (tldraw's
    ``fpsThrottle``); asks while it is due are one run.  ``fps=None`` runs it at once instead.
    A call returns whether ``fn`` ran."""

    def __init__(self, timers: Timers, fps: float | None, fn: Callable[[], None]) -> None:
        self._timers = timers
        self.fps = fps
        self._fn = fn
        self._timer: TimerHandle | None = None
        self._last_run = -float("inf")

    def __call__(self) -> bool:
        if self.fps is None:
            self._fn()
            return True
        if self._timer is None:
            budget = (1000.0 // self.fps) * 0.9
            delay = max(0.0, self._last_run + budget - self._timers.now())
            self._timer = self._timers.call_later(delay, self._run)
        return False

    def _run(self) -> None:
        self._timer = None
        self._last_run = self._timers.now()
        self._fn()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


class TLSyncClient:
    """Keeps ``store`` in sync with a room through ``socket`` (see the module docstring).

    ``presence`` is a signal of this client's presence record (or None); it is pushed after
    every connect and, while ``presence_mode`` is ``"full"`` (the default), on every change.
    ``timers`` gives the time and runs the throttle and the health checks.
    """

    def __init__(
        self,
        *,
        store: Store,
        socket: TLPersistentClientSocket,
        instance_id: str,
        timers: Timers,
        on_load: Callable[[TLSyncClient], None] | None = None,
        on_load_error: Callable[[Exception], None] | None = None,
        on_sync_error: Callable[[str], None] | None = None,
        on_after_connect: Callable[[TLSyncClient, ConnectInfo], None] | None = None,
        on_custom_message_received: Callable[[Any], None] | None = None,
        presence: Signal[Record | None, Any] | None = None,
        presence_mode: Signal[PresenceMode, Any] | None = None,
        dialect: Dialect = CURRENT_PROTOCOL_VERSION,
        fps: float | None = COLLABORATIVE_FPS,
        did_cancel: Callable[[], bool] | None = None,
    ) -> None:
        if dialect not in DIALECT_RULES:
            raise ValueError(f"dialect must be 3 or 8, not {dialect!r}")
        if len(store.scoped_types["presence"]) > 1:
            raise ValueError("a synced store may have at most one presence record type")
        self.store = store
        self.socket = socket
        self.instance_id = instance_id
        self.on_load = on_load
        self.on_load_error = on_load_error
        self.on_sync_error = on_sync_error
        self.on_after_connect = on_after_connect
        self.on_custom_message_received = on_custom_message_received
        self.presence_state: Signal[Record | None, Any] = presence or atom("presence", None)
        self.presence_mode: Signal[PresenceMode, Any] = presence_mode or atom(
            "presence_mode", "full"
        )
        self.dialect: Dialect = dialect
        self.did_cancel = did_cancel
        self._timers = timers

        self.state = ClientState.OFFLINE
        self.last_server_clock = -1
        self.client_clock = 0
        self.speculative_changes = RecordsDiff()
        self.pending_push_requests: list[PendingPush] = []
        self.incoming_diff_buffer: list[dict[str, Any]] = []
        self.last_pushed_presence_state: Record | None = None
        self.latest_connect_request_id: str | None = None
        self.last_server_interaction_timestamp = timers.now()
        self.first_unanswered_ping_at: float | None = None
        self.sync_error: str | None = None
        #: what went wrong in words, when the client knows more than ``sync_error``'s reason
        self.sync_error_detail: str | None = None
        #: pushes of document changes the server refused (``discard``): their changes were undone
        self.discarded_pushes = 0
        self.is_readonly = False
        #: local changes since the last send, folded when sent (most sends carry one change)
        self._unsent_changes: list[RecordsDiff] = []
        self._unsent_presence: Record | None = None
        self._has_unsent_presence = False
        self._did_load = False
        self._handshake_completed = False
        self._fallback_reason: str | None = None
        self._failed_hydrations = 0
        self._connect_sent_at = 0.0

        # missed messages (see the module docstring)
        #: False once the client concluded that the server's clocks skip
        self.checks_clocks = True
        self._doc_clock: int | None = None  # last change received (None: last_server_clock)
        self._resync_from: int | None = None  # a change was missed after this clock
        self._resyncing = False  # a resync awaits its connect answer
        self._false_alarms = 0
        self._awaited_push: int | None = None  # front push's clientClock at the last check
        self._last_event_at = timers.now()
        self._probe_due = True
        self._probe: int | None = None  # the probe's clientClock

        #: the client's state as a signal (published after each event)
        self.status: Atom[ClientState, Any] = atom("TLSyncClient.status", self.state)
        #: True while connected with every local change acknowledged (published after each event)
        self.is_synced: Atom[bool, Any] = atom("TLSyncClient.is_synced", False)

        # (the throttle_rate reaction below sets the rate from the presence mode at once)
        self._send_soon = _Throttle(timers, fps, self._send_unsent_changes)
        self._rebase_soon = _Throttle(timers, fps, self._rebase)
        self._timer_handles: dict[str, TimerHandle] = {}
        self._disposers: list[Callable[[], None]] = [
            store.listen(self._on_local_change, source="user", scope="document"),
            socket.on_receive_message(self._on_message),
            socket.on_status_change(self._on_status),
            react("TLSyncClient.push_presence", self._push_presence_reactively),
            react("TLSyncClient.throttle_rate", self._follow_presence_mode),
        ]
        self._every(PING_INTERVAL, "ping", self._send_ping)
        self._every(HEALTH_CHECK_INTERVAL, "health", self._check_health)
        if socket.connection_status == "online":
            self._send_connect_request()
        self._publish()

    # -- public state ----------------------------------------------------------------------------

    @property
    def rules(self) -> DialectRules:
        """What the client's dialect does (SPEC.md PR13); changes with :attr:`dialect`."""
        return DIALECT_RULES[self.dialect]

    @property
    def is_connected_to_room(self) -> bool:
        """True between a successful connect answer and the next reset."""
        return self.state is _CONNECTED

    @property
    def is_closed(self) -> bool:
        return self.state in _FINAL_STATES

    def close(self) -> None:
        """Stop syncing for good: dispose listeners and timers (the socket stays open)."""
        self._close(ClientState.CLOSED)

    # -- entry points ----------------------------------------------------------------------------

    def _on_status(self, event: SocketStatusEvent) -> None:
        if self.is_closed:
            return
        if self._cancelled():
            return
        if event.status == "online":
            if self.state is not ClientState.CONNECTED:
                self._send_connect_request()
        elif event.status == "offline":
            self._reset_connection()
        else:
            self._on_socket_error(event.reason or "UNKNOWN_ERROR")
        self._publish()

    def _on_message(self, message: dict[str, Any]) -> None:
        if self.is_closed or self._cancelled():
            return
        self.last_server_interaction_timestamp = self._timers.now()
        kind = message.get("type")
        first = not self._did_load
        self._did_load = True
        if kind == "connect":
            news = self._resyncing and self._brings_news(message)
            self._did_reconnect(message)
            if self.is_connected_to_room:
                self._on_connected(news)
        elif kind in ("patch", "push_result"):
            self._buffer([message])
        elif kind == "data":
            self._buffer(message["data"])
        elif kind == "incompatibility_error":
            self._on_incompatibility(message["reason"])
        elif kind == "error":
            self._on_server_error(message, first)
            first = False
        elif kind == "custom" and self.on_custom_message_received is not None:
            self.on_custom_message_received(message.get("data"))
        if first and self.on_load is not None and not self.is_closed:
            self.on_load(self)
        self._publish()

    def _on_local_change(self, entry: HistoryEntry) -> None:
        if self.is_closed:
            return
        if not self._push(entry.changes):
            self._publish()  # (a push sent at once has published the state as its last step)

    # -- connect -----------------------------------------------------------------------------------

    def _send_connect_request(self) -> None:
        rules = self.rules
        message: dict[str, Any] = {"type": "connect"}
        if rules.connect_request_ids:
            self.latest_connect_request_id = unique_id()
            message["connectRequestId"] = self.latest_connect_request_id
        message["lastServerClock"] = self.last_server_clock
        message["protocolVersion"] = rules.protocol_version
        message["schema"] = self.store.schema.serialize()
        if not rules.connect_request_ids:
            message["instanceId"] = self.instance_id
        self._enter(ClientState.CONNECTING)
        self._connect_sent_at = self._timers.now()
        self._send(message)

    def _did_reconnect(self, event: dict[str, Any]) -> None:
        if not self._accept_connect_answer(event):
            return
        if self.state is ClientState.CONNECTED or self.pending_push_requests:
            logger.error("connect answer while connected or with pushes in flight: resetting")
            self._reset_connection(hard=True)
            return
        self._handshake_completed = True
        self._fallback_reason = None
        info = ConnectInfo(
            is_readonly=bool(event.get("isReadonly", False)),
            object_access=event.get("objectAccess", "write"),
            hydration_type=event["hydrationType"],
            server_clock=event["serverClock"],
        )
        self.is_readonly = info.is_readonly
        offline = self.speculative_changes
        try:
            with gc_paused(len(event.get("diff", ())) + len(self.store) >= BULK_RECORDS):
                transact(lambda: self._hydrate(event, info, offline))
        except ValidationError as error:
            self.speculative_changes = offline
            server_schema = event.get("schema")
            difference = describe_schema_difference(self.store.schema.serialize(), server_schema)
            if difference:
                # the room's records do not fit our schema: no retry can fix that (CA10)
                server = describe_serialized_schema(server_schema) or "another schema"
                self.sync_error_detail = (
                    f"the room's records do not fit this client's schema ({error}); the"
                    f" server's schema differs (server: {server}; this client:"
                    f" {describe_schema(self.store.schema)}): {difference}. Connect with the"
                    " server's schema"
                )
                self._fail(TLSyncErrorCloseEventReason.UNKNOWN_ERROR)
                return
            logger.warning("the connect answer does not validate (%s): resetting", error)
            self._hydration_failed()
            return
        except Exception:
            # the store rolled back to before the answer: keep the local edits for the retry
            logger.exception("applying the connect answer failed: resetting the connection")
            self.speculative_changes = offline
            self._hydration_failed()
            return
        self._failed_hydrations = 0
        self.last_server_clock = info.server_clock

    def _accept_connect_answer(self, event: dict[str, Any]) -> bool:
        """Whether a connect answer answers the request in flight: by its request id, or (in a
        dialect without ids) by the client still connecting.  Accepting it clears the id."""
        if not self.rules.connect_request_ids:
            if self.state is not ClientState.CONNECTING:
                logger.debug("ignoring a connect answer that no request awaits")
                return False
            return True
        if event.get("connectRequestId") != self.latest_connect_request_id:
            logger.debug("ignoring a stale connect answer")
            return False
        self.latest_connect_request_id = None
        return True

    def _hydrate(self, event: dict[str, Any], info: ConnectInfo, offline: RecordsDiff) -> None:
        """Apply a connect answer (inside one transaction): merge it as a remote change, then
        tell ``on_after_connect`` and push the presence.  ``offline`` are the local changes the
        server has not acknowledged."""
        self.speculative_changes = RecordsDiff()
        self.store.merge_remote_changes(lambda: self._merge_connect_answer(event, info, offline))
        if self.on_after_connect is not None:
            self.on_after_connect(self, info)
        presence = self.presence_state.get()
        if presence is not None:
            self._push_presence(presence)

    def _merge_connect_answer(
        self, event: dict[str, Any], info: ConnectInfo, offline: RecordsDiff
    ) -> None:
        """The store becomes the server's state with the ``offline`` changes on top: undo them
        (unless everything is wiped anyway), remove the presence records (and, for
        ``wipe_all``, the documents), apply the answer's diff, re-apply the changes and push
        their document part."""
        wipe_all = info.hydration_type == "wipe_all"
        if not wipe_all:
            self._undo(offline)
        wiped = self.store.scoped_types["presence"]
        if wipe_all:
            wiped = wiped | self.store.scoped_types["document"]
        wipe: NetworkDiff = {
            r["id"]: ["remove"] for r in self.store.all_records() if r["typeName"] in wiped
        }
        self._apply_network_diff({**wipe, **event.get("diff", {})})
        self._enter(ClientState.CONNECTED)
        offline_edits = self._network_diff(offline)
        if offline_edits is None:
            return
        changes = self.store.extracting_changes(lambda: self._apply_network_diff(offline_edits))
        document = self.store.filter_changes_by_scope(changes, "document")
        if document is not None:
            self._push(document)

    def _hydration_failed(self) -> None:
        """A connect answer failed to apply: reset, and give up after a few failures in a row."""
        self._reset_connection()
        self._failed_hydrations += 1
        if self._failed_hydrations >= MAX_FAILED_HYDRATIONS:
            self._fail(TLSyncErrorCloseEventReason.UNKNOWN_ERROR)

    # -- pushing -----------------------------------------------------------------------------------

    def _push(self, change: RecordsDiff) -> bool:
        """Fold a local change into the speculative diff, keep it unsent and ask for a send;
        returns whether the send ran at once (then it published the state)."""
        # the speculative diff belongs to the client, so it is folded in place (O(change))
        squash_records_diffs_mutable(self.speculative_changes, [change])
        if not self.is_connected_to_room:
            return False
        self._unsent_changes.append(change)
        return self._send_soon()

    def _push_presence_reactively(self, _last_epoch: int) -> None:
        presence = self.presence_state.get()
        if self.presence_mode.get() == "full" and presence is not None:
            self._push_presence(presence)
            self._publish()

    def _follow_presence_mode(self, _last_epoch: int) -> None:
        mode = self.presence_mode.get()
        for throttle in (self._send_soon, self._rebase_soon):
            if throttle.fps is not None:
                throttle.fps = SOLO_FPS if mode == "solo" else COLLABORATIVE_FPS

    def _push_presence(self, presence: Record) -> None:
        self.store.flush_history()
        if not self.is_connected_to_room:
            return
        self._unsent_presence = presence
        self._has_unsent_presence = True
        self._send_soon()

    def _send_unsent_changes(self) -> None:
        if not self.is_connected_to_room:
            return
        unsent = self._unsent_diff()
        diff = self._network_diff(unsent) if unsent is not None else None
        presence_op = self._presence_op() if self._has_unsent_presence else None
        if diff is None and presence_op is None:
            # nothing left to say (a create then delete, a write of equal values): forget it,
            # and with nothing in flight the speculative diff is a no-op too (CP7)
            self._unsent_changes.clear()
            self._unsent_presence = None
            self._has_unsent_presence = False
            if (
                self._only_probes_in_flight()
                and self._network_diff(self.speculative_changes) is None
            ):
                self.speculative_changes = RecordsDiff()
            self._publish()
            return
        if not self.rules.split_pushes:
            self._send_push(diff, presence_op)
        else:
            if diff is not None:
                self._send_push(diff, None)
            if presence_op is not None:
                self._send_push(None, presence_op)
        if self._has_unsent_presence:
            self.last_pushed_presence_state = self._unsent_presence
        self._unsent_changes.clear()
        self._unsent_presence = None
        self._has_unsent_presence = False
        self._publish()

    def _unsent_diff(self) -> RecordsDiff | None:
        """The local changes since the last send, folded (None if there were none)."""
        changes = self._unsent_changes
        if not changes:
            return None
        return changes[0] if len(changes) == 1 else squash_records_diffs(changes)

    def _presence_op(self) -> list[Any] | None:
        presence = self._unsent_presence
        if presence is None:
            return None
        if self.last_pushed_presence_state is None:
            return ["put", presence]
        patch = diff_record(
            self.last_pushed_presence_state, presence, not self.rules.string_appends
        )
        return None if patch is None else ["patch", patch]

    def _send_push(self, diff: NetworkDiff | None, presence: list[Any] | None) -> None:
        message: dict[str, Any] = {"type": "push", "clientClock": self.client_clock}
        if diff is not None:
            message["diff"] = diff
        if presence is not None:
            message["presence"] = presence
        self.pending_push_requests.append(PendingPush(self.client_clock, diff, presence))
        self.client_clock += 1
        self._send(message)

    def _network_diff(self, diff: RecordsDiff) -> NetworkDiff | None:
        return get_network_diff(diff, not self.rules.string_appends)

    # -- receiving ---------------------------------------------------------------------------------

    def _buffer(self, events: list[dict[str, Any]]) -> None:
        if not self.is_connected_to_room:
            return
        for event in events:
            self._check_clock(event)
        self.incoming_diff_buffer.extend(events)
        self._rebase_soon()

    def _check_clock(self, event: dict[str, Any]) -> None:
        """Note a missed change (CR10): a document change must carry the clock after the last
        one received, any other event that clock itself."""
        clock = event.get("serverClock")
        if not isinstance(clock, int):
            return
        self._last_event_at = self._timers.now()
        if event["type"] == "patch" or event.get("clientClock") != self._probe:
            self._probe_due = True
        known = self.last_server_clock if self._doc_clock is None else self._doc_clock
        changes_document = self._changes_document(event)
        expected = known + 1 if changes_document else known
        if clock > expected and self.checks_clocks and self._resync_from is None:
            logger.warning(
                "missed a change (clock %d after %d): resyncing after this rebase", clock, known
            )
            self._resync_from = known
        self._doc_clock = max(known, clock) if changes_document else known

    def _changes_document(self, event: dict[str, Any]) -> bool:
        """Whether the room's clock moved for ``event``: a patch unless it holds presence only
        (records are told apart by their id's type prefix), a push result unless the push
        changed no document (a discard, a presence-only push, a probe)."""
        if event["type"] == "patch":
            diff = event["diff"]
            return not diff or not all(self._is_presence(record_id) for record_id in diff)
        action = event.get("action")
        if action == "discard":
            return False
        if action != "commit":
            return True  # rebaseWithDiff
        push = self._pending_push(event.get("clientClock"))
        return push is not None and push.diff is not None

    def _pending_push(self, clock: object) -> PendingPush | None:
        """The push in flight with client clock ``clock``.  Their clocks normally run on by one
        from the front, so it is looked up by position first (a scan for every result made
        acknowledging n pushes in flight O(n^2): 1,000 results took 29 ms of CPU, now 15)."""
        pending = self.pending_push_requests
        if pending and type(clock) is int:
            at = clock - pending[0].client_clock
            if 0 <= at < len(pending) and pending[at].client_clock == clock:
                return pending[at]
        return next((p for p in pending if p.client_clock == clock), None)

    def _is_presence(self, record_id: str) -> bool:
        return record_id.split(":", 1)[0] in self.store.scoped_types["presence"]

    def _rebase(self) -> None:
        self.store.flush_history()
        if not self.incoming_diff_buffer or not self.is_connected_to_room:
            return
        events, self.incoming_diff_buffer = self.incoming_diff_buffer, []
        size = sum(len(e.get("diff") or ()) for e in events) + _size(self.speculative_changes)
        try:
            with gc_paused(size >= BULK_RECORDS):
                discarded = self.store.merge_remote_changes(
                    lambda: self._apply_server_events(events)
                )
            self.discarded_pushes += discarded
            for event in events[::-1]:  # (not reversed(): mypyc fails on it here)
                if "serverClock" in event:
                    self.last_server_clock = event["serverClock"]
                    break
            if self._resync_from is not None:
                self._resync(self._resync_from)
        except SyncProtocolViolation as violation:
            # e.g. a duplicated push_result: the store rolled back, a reconnect converges
            logger.warning("%s: resetting the connection", violation)
            self._reset_connection()
        except Exception:
            logger.exception("applying server events failed: resetting the connection")
            self.store.ensure_store_is_usable()
            self._reset_connection()
        self._publish()

    def _apply_server_events(self, events: list[dict[str, Any]]) -> int:
        """Apply a batch of server events (see :meth:`_rebase`); returns how many pushes with
        document changes the server discarded."""
        self._undo(self.speculative_changes)
        confirmed: list[Mapping[str, list[Any]]] = []
        discarded = 0
        for event in events:
            if event["type"] == "patch":
                confirmed.append(event["diff"])
                continue
            pending = self.pending_push_requests
            if not pending:
                raise SyncProtocolViolation("push_result but no pending push")
            front = pending[0]
            if front.client_clock != event["clientClock"]:
                raise SyncProtocolViolation(
                    f"push_result for clientClock {event['clientClock']} but the push at the"
                    f" front of the queue has clientClock {front.client_clock}"
                )
            action = event["action"]
            pending.pop(0)
            if action == "commit":
                if front.diff is not None:
                    confirmed.append(front.diff)
            elif action == "discard":
                if front.diff is not None:
                    discarded += 1
            else:
                confirmed.append(action["rebaseWithDiff"])
        self._apply_network_diffs(confirmed)
        try:
            self.speculative_changes = self.store.extracting_changes(self._reapply_pending)
        except Exception:
            logger.exception("re-applying local changes failed: dropping them and resetting")
            self.speculative_changes = RecordsDiff()
            self._reset_connection()
        return discarded

    def _reapply_pending(self) -> None:
        diffs = [r.diff for r in self.pending_push_requests if r.diff is not None]
        unsent = self._unsent_diff()
        if unsent is not None:
            network = self._network_diff(unsent)
            if network is not None:
                diffs.append(network)
        self._apply_network_diffs(diffs)

    def _undo(self, changes: RecordsDiff) -> None:
        """Revert ``changes`` with side effects off (back to the last known server state)."""
        if not is_records_diff_empty(changes):
            # every record of a reversed local diff was in the store, so it was validated
            self.store.apply_diff(
                reverse_records_diff(changes), run_callbacks=False, validate=False
            )

    def _apply_network_diff(self, diff: Mapping[str, list[Any]]) -> None:
        self._apply_network_diffs([diff])

    def _apply_network_diffs(self, diffs: Sequence[Mapping[str, list[Any]]]) -> None:
        """Apply network diffs in order, as one store operation.

        Puts equal to the current record, and patches and removes of missing records, are
        skipped.  The ops are folded over the store's records first, so a record touched by
        many diffs is written (and validated) once, in its final state.
        """
        store = self.store
        final: dict[str, Record | None] = {}
        for diff in diffs:
            for record_id, op in diff.items():
                existing = (
                    final[record_id]
                    if record_id in final
                    else store.unsafe_get_without_capture(record_id)
                )
                kind = op[0]
                if kind == "put":
                    if existing is None or not js_equal(existing, op[1]):
                        final[record_id] = op[1]
                elif kind == "patch":
                    if existing is not None:
                        final[record_id] = apply_object_diff(existing, op[1])
                elif existing is not None:
                    final[record_id] = None
        changes = RecordsDiff()
        for record_id, record in final.items():
            original = store.unsafe_get_without_capture(record_id)
            if record is None:
                if original is not None:
                    changes.removed[record_id] = original
            elif original is None:
                changes.added[record_id] = record
            elif record is not original:
                changes.updated[record_id] = (original, record)
        if not is_records_diff_empty(changes):
            store.apply_diff(changes)

    def _resync(self, clock: int) -> None:
        """Reconnect asking for every change after ``clock``, the last one received in order."""
        self.last_server_clock = clock
        self._resyncing = True
        self._reset_connection()

    def _brings_news(self, answer: dict[str, Any]) -> bool:
        """Whether a connect answer changes any document record the server had confirmed."""
        if answer.get("hydrationType") == "wipe_all":
            return True
        for record_id, op in answer.get("diff", {}).items():
            if self._is_presence(record_id):
                continue
            confirmed = self._confirmed(record_id)
            if op[0] == "put":
                if confirmed is None or not js_equal(confirmed, op[1]):
                    return True
            elif confirmed is not None:  # a patch or remove of a record the client has
                return True
        return False

    def _confirmed(self, record_id: str) -> Record | None:
        """A record as the server last confirmed it (the store without the speculative diff)."""
        speculative = self.speculative_changes
        if record_id in speculative.added:
            return None
        if record_id in speculative.updated:
            return speculative.updated[record_id][0]
        if record_id in speculative.removed:
            return speculative.removed[record_id]
        return self.store.unsafe_get_without_capture(record_id)

    def _on_connected(self, news: bool) -> None:
        """A connect answer was applied (``news``: it changed a confirmed document record).  The
        quiet spell before a probe starts now.  A resync that brought nothing new was a false
        alarm; after MAX_FALSE_ALARMS in a row (a server whose clocks skip) the client stops
        checking clocks (CR13)."""
        self._last_event_at = self._timers.now()
        if not self._resyncing:
            return
        self._resyncing = False
        self._false_alarms = 0 if news else self._false_alarms + 1
        if self._false_alarms >= MAX_FALSE_ALARMS:
            logger.warning(
                "%d resyncs in a row found nothing missed: this server's clocks skip, no longer"
                " checking them",
                MAX_FALSE_ALARMS,
            )
            self.checks_clocks = False

    # -- errors and resets -------------------------------------------------------------------------

    def _on_socket_error(self, reason: str) -> None:
        retry = fallback_protocol_version(
            self.rules.protocol_version,
            reason,
            handshake_completed=self._handshake_completed,
        )
        if retry is not None:
            self._fall_back(reason)
            return
        loaded = self._did_load
        self._fail(self._fallback_reason or reason)
        if self.rules.load_errors_reported and not loaded and self.on_load_error:
            self.on_load_error(ConnectionError(f"socket error before load: {reason}"))

    def _on_incompatibility(self, reason: str) -> None:
        if not self.rules.incompatibility_is_final:
            retry = fallback_protocol_version(
                self.rules.protocol_version,
                reason,
                handshake_completed=self._handshake_completed,
            )
            if retry is not None:
                self._fall_back(reason)
            else:
                logger.error("incompatibility_error from the server: %s", reason)
            return
        if reason == TLIncompatibilityReason.ClientTooOld and self._fallback_reason is not None:
            reason = TLIncompatibilityReason.ServerTooOld
        self._fail(reason)

    def _fall_back(self, reason: str) -> None:
        """Retry the handshake in protocol 3 (the server does not speak 8)."""
        logger.info("server refused protocol 8 (%s): retrying in protocol 3", reason)
        self._fallback_reason = reason
        self.dialect = 3
        self._reset_connection()
        self.socket.restart()

    def _on_server_error(self, message: dict[str, Any], first: bool) -> None:
        error = RuntimeError(f"server error: {message.get('error')!r}")
        if first and self.on_load_error is not None:
            self.on_load_error(error)
            return
        logger.error("%s: restarting the connection", error)
        self._reset_connection()

    def _fail(self, reason: str) -> None:
        self.sync_error = reason
        self._reset_connection()
        if self.on_sync_error is not None:
            self.on_sync_error(reason)
        self._close(ClientState.ERROR)

    def _reset_connection(self, hard: bool = False) -> None:
        presence_types = self.store.scoped_types["presence"]
        if presence_types:
            presence_ids = [
                r["id"] for r in self.store.all_records() if r["typeName"] in presence_types
            ]
            if presence_ids:
                self.store.merge_remote_changes(lambda: self.store.remove(presence_ids))
        self.last_pushed_presence_state = None
        self._enter(ClientState.OFFLINE)
        self.first_unanswered_ping_at = None
        self.latest_connect_request_id = None
        self.pending_push_requests = []
        self.incoming_diff_buffer = []
        self._unsent_changes = []
        self._unsent_presence = None
        self._has_unsent_presence = False
        if hard:
            self.last_server_clock = 0
        self._doc_clock = None
        self._resync_from = None
        self._last_event_at = self._timers.now()
        self._probe_due = True
        self._probe = None
        if self.socket.connection_status == "online":
            self.socket.restart()

    # -- health ------------------------------------------------------------------------------------

    def _every(self, interval: float, name: str, fn: Callable[[], None]) -> None:
        def tick() -> None:
            self._timer_handles[name] = self._timers.call_later(interval, tick)
            if not self.is_closed:
                fn()
                self._publish()

        self._timer_handles[name] = self._timers.call_later(interval, tick)

    def _send_ping(self) -> None:
        if not self.is_connected_to_room:
            return
        marker = self.first_unanswered_ping_at
        if marker is None or self.last_server_interaction_timestamp >= marker:
            self.first_unanswered_ping_at = self._timers.now()
        self._send({"type": "ping"})

    def _check_health(self) -> None:
        now = self._timers.now()
        if (
            self.state is ClientState.CONNECTING
            and now - self._connect_sent_at >= CONNECT_TIMEOUT
            and self.socket.connection_status == "online"
        ):
            # the request or its answer was lost (a proxy, a stalled server): try again
            logger.warning(
                "no answer to the connect request for %.0f ms: retrying", CONNECT_TIMEOUT
            )
            self._reset_connection()
            return
        if not self.is_connected_to_room:
            return
        silent = now - self.last_server_interaction_timestamp >= PONG_TIMEOUT
        marker = self.first_unanswered_ping_at
        overdue = (
            marker is not None
            and self.last_server_interaction_timestamp < marker
            and now - marker >= PONG_TIMEOUT
        )
        if silent and overdue:
            logger.warning("the server has been silent for %.0f ms: resetting", PONG_TIMEOUT)
            self._reset_connection()
            return
        pending = self.pending_push_requests
        front = pending[0].client_clock if pending else None
        if front is not None and front == self._awaited_push:
            # the push or its result was lost (CR11): its changes are pushed again after the
            # reconnect
            logger.warning("push %d unanswered at two health checks: resetting", front)
            self._reset_connection()
            return
        self._awaited_push = front
        if (
            self._probe_due
            and self.checks_clocks
            and not pending
            and self.rules.probes
            and now - self._last_event_at >= PROBE_AFTER
        ):
            # a quiet connection: a change lost last shows only in a later clock (CR12)
            self._probe_due = False
            self._probe = self.client_clock
            self._send_push(None, None)

    # -- plumbing ----------------------------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> None:
        try:
            self.socket.send_message(message)
        except Exception:
            logger.exception("sending a %s message failed: resetting", message["type"])
            self._reset_connection()

    def _cancelled(self) -> bool:
        if self.did_cancel is not None and self.did_cancel():
            self.close()
            return True
        return False

    def _enter(self, state: ClientState) -> None:
        """Move to ``state``; a move that :data:`TRANSITIONS` does not allow is a bug here."""
        if state not in TRANSITIONS[self.state]:
            raise RuntimeError(f"TLSyncClient: no transition from {self.state} to {state}")
        self.state = state

    def _close(self, state: ClientState) -> None:
        if self.is_closed:
            return
        self._enter(state)
        self._send_soon.cancel()
        self._rebase_soon.cancel()
        for handle in self._timer_handles.values():
            handle.cancel()
        self._timer_handles.clear()
        disposers, self._disposers = self._disposers, []
        for dispose in disposers:
            dispose()
        self._publish()

    def _only_probes_in_flight(self) -> bool:
        """No push in flight carries a local change (only a probe, or nothing, awaits a result)."""
        return all(push.client_clock == self._probe for push in self.pending_push_requests)

    def _publish(self) -> None:
        """Mirror the state into the public signals (after each event, outside the store's
        transactions, so a rollback can never make them disagree with the fields)."""
        probe = self._probe  # a probe carries no local change: it never makes the client unsynced
        # (the cheapest tests first: while local changes are in flight, the speculative diff
        # settles it before the scans of the pushes and of the buffer)
        synced = (
            self.state is _CONNECTED
            and not self._unsent_changes
            and not self._has_unsent_presence
            and is_records_diff_empty(self.speculative_changes)
            and self._only_probes_in_flight()
            and all(
                event.get("type") == "push_result" and event.get("clientClock") == probe
                for event in self.incoming_diff_buffer
            )
        )
        self.status.set(self.state)
        self.is_synced.set(synced)


def _size(diff: RecordsDiff) -> int:
    return len(diff.added) + len(diff.updated) + len(diff.removed)

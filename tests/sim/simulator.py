"""The simulated world: K clients, one room, its storage, a faulty network, and users.

Theory of operation
===================

Everything runs on one :class:`~tlsync_core.testing.FakeClock` and one
:class:`~tlsync_core.testing.LoopbackNetwork` (per-link FIFO queues, random interleaving across
links, drops, duplicates, stalls, latency), so a run is a pure function of its configuration and
of the sequence of calls (record ids the libraries draw at random come from a seeded source while
a simulator is open).

The server is modelled as :mod:`tlsync_core.server.host` runs a room: ``durable=False``, each
commit staged into a persistence by ``on_commit``, and a *group commit* a little later (a clock
timer, ``commit_delay_ms``: the disk's latency) that makes everything staged durable and then
calls ``room.mark_durable``, which releases the acknowledgements and patches the room held back.
A *crash* loses what is staged but not yet committed, and the room restarts from storage
(:meth:`LoopbackNetwork.replace_room`); a *graceful* restart commits first.

Each client has its own :class:`~tlsync_core.store.Store` and
:class:`~tlsync_client.sync_client.TLSyncClient` (30 fps throttle, dialect 8 or the v3
dialect) and a schema version: older clients are served down-migrated records.  Half the
rooms keep only a dozen tombstones, so pruning and ``wipe_all`` reconnects happen; the server
sometimes edits by itself (``update_store``).  Random drops on live connections are off by
default (TCP never drops); with ``drop``, clients notice what they missed by the clocks and
resync (SPEC CR10-CR12).

The seeded driver (:meth:`Simulator.random_step`) does, per step: for each client, a disconnect
(p = 1/6 if connected) or a reconnect (p = 1/2 if offline); maybe a server restart; maybe an
edit per client; a few random network deliveries; then time moves on.  :meth:`Simulator.finish`
stops the faults, reconnects everyone, runs until the network is quiet and checks:
convergence (every client's document equals the room's byte for byte, in its schema; presence
too), client health, and the history (:mod:`.history`).
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final
from unittest import mock

import attrs

from tlsync_client.sync_client import ClientState, ConnectInfo, TLSyncClient
from tlsync_core.protocol.codec import serialize_message
from tlsync_core.room import storage as storage_module
from tlsync_core.room.room import TLSyncRoom
from tlsync_core.room.storage import ForwardDiff, RoomSnapshot
from tlsync_core.server.persistence import MemoryPersistence
from tlsync_core.signals import Atom, atom, transact
from tlsync_core.store import Err, Record, Store, StoreSchema
from tlsync_core.testing import (
    FakeClock,
    FaultPlan,
    LoopbackNetwork,
    MemoryClientSocket,
    deterministic_ids,
)
from tlsync_core.timers import TimerHandle

from .history import Anomaly, CheckResult, Edit, History, canon, fields_of, split_text
from .schema import (
    COLORS,
    DEFAULT_PAGE_ID,
    DOCUMENT_ID,
    GEOS,
    LATEST_VERSION,
    TEXT_PATH,
    TYPE_DEFAULTS,
    create_sim_schema,
    default_records,
    geo_text_key,
)

ROOM_ID: Final = "sim-room"
STORAGE_RETRY_MS: Final = (50.0, 2000.0)
"""The storage thread's retry backoff: first delay, longest delay."""

DEFAULT_FAULTS: Final = FaultPlan(
    drop=0.0, duplicate=0.02, hold=0.03, hold_ms=80.0, max_latency_ms=25.0
)

EDIT_WEIGHTS: Final[dict[str, float]] = {
    "create_shape": 10,
    "move": 18,
    "resize": 8,
    "append_text": 14,
    "restyle": 4,
    "delete_shape": 5,
    "reparent": 6,
    "create_arrow": 6,
    "rebind": 4,
    "unbind": 2,
    "create_page": 3,
    "rename_page": 2,
    "delete_page": 2,
    "edit_meta": 3,
    "presence": 10,
}
EDIT_KINDS: Final = tuple(EDIT_WEIGHTS)

TOKEN_DECORATIONS: Final = ("", "", "é", "😀", "漢字", "a😀b")


@attrs.frozen
class SimConfig:
    """One simulation.  ``versions``/``dialects``: per client (None: drawn from the seed)."""

    seed: int = 0
    steps: int = 100
    clients: int = 3
    p_disconnect: float = 1 / 6
    p_reconnect: float = 1 / 2
    p_restart: float = 0.02
    p_crash: float = 0.5
    """Of the restarts, the share that are crashes (the rest commit first)."""
    p_edit: float = 0.45
    max_deliveries: int = 8
    max_advance_ms: float = 40.0
    commit_delay_ms: tuple[float, float] = (0.0, 250.0)
    p_server_edit: float = 0.02
    """Per step: the server edits a shape itself (``room.update_store``)."""
    p_small_tombstones: float = 0.5
    """Per simulation: the room keeps only ``small_tombstone_limit`` tombstones (pruning, and
    ``wipe_all`` for clients whose clock is older than the tombstone history)."""
    small_tombstone_limit: int = 12
    faults: FaultPlan = DEFAULT_FAULTS
    p_old_schema: float = 0.35
    p_v3_dialect: float = 0.15
    versions: tuple[int, ...] | None = None
    dialects: tuple[int, ...] | None = None
    p_storage_outage: float = 0.0
    """Per group commit: the storage starts failing (a full disk, a lock held elsewhere) for
    ``storage_outage_ms``; commits fail and are retried with backoff, as the server's storage
    thread retries them, and the room holds everything meanwhile (SIM10)."""
    storage_outage_ms: tuple[float, float] = (100.0, 4000.0)
    sabotage: str | None = None
    """``"lose_commit"``: the storage silently loses one staged commit (checker self-test)."""
    trace: bool = False
    """Keep the network's event log (``Simulator.network.log``)."""
    schema: str = "sim"
    """``"sim"`` (:mod:`.schema`) or ``"tldraw"`` (tldraw's own schema, :mod:`.tldraw_flavor`)."""


@attrs.define
class SimResult:
    """The outcome of a simulation."""

    config: SimConfig
    stats: Counter[str]
    check: CheckResult
    failures: list[Anomaly]
    """Convergence and client-health failures."""
    log: Counter[str]
    """Warnings and errors the libraries logged, by message."""

    @property
    def anomalies(self) -> list[Anomaly]:
        return [*self.failures, *self.check.anomalies]

    @property
    def ok(self) -> bool:
        return not self.anomalies

    def describe(self, limit: int = 12) -> str:
        lines = [f"seed {self.config.seed}: {len(self.anomalies)} anomalies"]
        lines += [f"  {a}" for a in self.anomalies[:limit]]
        if len(self.anomalies) > limit:
            lines.append(f"  ... {len(self.anomalies) - limit} more")
        return "\n".join(lines)


Change = tuple[str, list[Record], list[str]]
"""An edit as records to put and ids to remove."""
Action = tuple[str, Callable[[], object]]
"""An edit as a function that writes to the client's store (its diff is what it wrote)."""
EditMaker = Callable[["Simulator", "SimClient", random.Random, int], Change | Action | None]


@attrs.frozen
class Flavor:
    """A kind of document: its schema versions, its edits, how its texts grow."""

    name: str
    latest: int
    schema_for: Callable[[int], StoreSchema]
    edits: Mapping[str, EditMaker]
    weights: Mapping[str, float]
    text_paths: frozenset[tuple[str, ...]]
    type_defaults: Mapping[tuple[str, tuple[str, ...]], tuple[Any, ...]]


class _LogCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage().split(":")[0][:80]
        if record.exc_info and record.exc_info[0] is not None:
            text += f" [{record.exc_info[0].__name__}]"
        self.counts[f"{record.levelname} {record.name}: {text}"] += 1


class SimPersistence:
    """Storage with a write-ahead stage: what is staged is lost by a crash until committed."""

    def __init__(self, *, sabotage: str | None = None) -> None:
        self.disk = MemoryPersistence()
        self.staged: list[tuple[ForwardDiff, int, int, dict[str, Any] | None]] = []
        self._sabotage = sabotage

    def save(self, snapshot: RoomSnapshot) -> None:
        self.disk.save(ROOM_ID, snapshot)

    def load(self) -> RoomSnapshot | None:
        return self.disk.load(ROOM_ID)

    def stage(
        self, changes: ForwardDiff, clock: int, history: int, schema: dict[str, Any] | None
    ) -> None:
        self.staged.append((changes, clock, history, schema))

    def commit(self) -> None:
        for changes, clock, history, schema in self.staged:
            if self._sabotage == "lose_commit" and changes.puts:
                self._sabotage = None  # the disk "forgets" this one write, once
                continue
            self.disk.stage(
                ROOM_ID,
                changes,
                clock=clock,
                tombstone_history_starts_at_clock=history,
                schema=schema,
            )
        self.staged.clear()

    def crash(self) -> int:
        lost = len(self.staged)
        self.staged.clear()
        return lost


class SimRoom(TLSyncRoom):
    """A room that tells the simulator which session's message a commit comes from."""

    current_session: str | None = None

    def handle_message(self, session_id: str, message: dict[str, Any]) -> None:
        self.current_session = session_id
        try:
            super().handle_message(session_id, message)
        finally:
            self.current_session = None


@attrs.define(eq=False)
class SimClient:
    index: int
    version: int
    dialect: int
    schema: StoreSchema
    store: Store
    socket: MemoryClientSocket
    client: TLSyncClient
    presence: Atom[Record | None, Any]


def js_canonical(records: Mapping[str, Any]) -> str:
    """``JSON.stringify`` of the records with every object's keys sorted: equal bytes mean
    equal documents."""
    return serialize_message({"records": _sorted(records)})


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


class Simulator:
    """The world of one simulation; see the module docstring.  Use as a context manager (or
    call :meth:`close`): while open, library ids come from a seeded source."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self._server_rng = random.Random(config.seed * 7919 + 1)
        self._exit = contextlib.ExitStack()
        self._exit.enter_context(deterministic_ids(config.seed))  # ids and index keys
        self._log = _LogCounter()
        for name in ("tlsync_client", "tlsync_core"):
            logger = logging.getLogger(name)
            logger.addHandler(self._log)
            self._exit.callback(logger.removeHandler, self._log)
        self.stats: Counter[str] = Counter()
        self.clock = FakeClock()
        self.flavor = _flavor(config.schema)
        self.schema = self.flavor.schema_for(self.flavor.latest)
        self.persistence = SimPersistence(sabotage=config.sabotage)
        self._commit_timer: TimerHandle | None = None
        self._storage_down_until = 0.0
        self._commit_retry_ms = STORAGE_RETRY_MS[0]
        self._edit_id = 0
        self.faults_enabled = True
        room = self._new_room(None)
        self.persistence.save(room.get_snapshot())
        initial = [d.state for d in room.storage.documents.values()]
        self.history = History(initial, default_records() if config.schema == "sim" else initial)
        self.network = LoopbackNetwork(
            room, self.clock, seed=config.seed, faults=config.faults, trace=config.trace
        )
        latest = self.flavor.latest
        versions = config.versions or tuple(
            latest
            if i == 0 or self.rng.random() >= config.p_old_schema
            else self.rng.choice(range(latest))
            for i in range(config.clients)
        )
        dialects = config.dialects or tuple(
            3 if i > 0 and self.rng.random() < config.p_v3_dialect else 8
            for i in range(config.clients)
        )
        self.clients = [
            self._new_client(i, versions[i], dialects[i]) for i in range(config.clients)
        ]
        if self.rng.random() < config.p_small_tombstones:
            limit = config.small_tombstone_limit
            self._exit.enter_context(mock.patch.object(storage_module, "MAX_TOMBSTONES", limit))
            self._exit.enter_context(
                mock.patch.object(storage_module, "TOMBSTONE_PRUNE_BUFFER_SIZE", limit // 3)
            )
            self.stats["small_tombstone_rooms"] += 1

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for c in getattr(self, "clients", []):
            c.client.close()
        self._exit.close()

    # -- construction ----------------------------------------------------------------------------

    @property
    def room(self) -> SimRoom:
        room = self.network.room
        assert isinstance(room, SimRoom)
        return room

    def _new_room(self, snapshot: RoomSnapshot | None) -> SimRoom:
        room: SimRoom

        def on_commit(changes: ForwardDiff, clock: int) -> None:
            storage = room.storage
            self.persistence.stage(
                changes, clock, storage.tombstone_history_starts_at_clock, storage.schema
            )
            self.history.record_commit(room.current_session, clock, changes)
            self.stats["commits"] += 1
            if self._commit_timer is None:
                delay = self._server_rng.uniform(*self.config.commit_delay_ms)
                self._commit_timer = self.clock.call_later(delay, self._group_commit)

        room = SimRoom(self.schema, snapshot, now=self.clock, durable=False, on_commit=on_commit)
        return room

    def _new_client(self, index: int, version: int, dialect: int) -> SimClient:
        schema = self.flavor.schema_for(version)
        store = Store(schema=schema)
        socket = self.network.connect_socket(f"session-{index}")
        presence: Atom[Record | None, Any] = atom(f"presence-{index}", None)
        client = TLSyncClient(
            store=store,
            socket=socket,
            instance_id=f"instance:{index}",
            timers=self.clock,
            presence=presence,
            dialect=3 if dialect == 3 else 8,
            on_after_connect=self._on_after_connect,
        )
        return SimClient(index, version, dialect, schema, store, socket, client, presence)

    def _on_after_connect(self, _client: TLSyncClient, info: ConnectInfo) -> None:
        self.stats[f"hydration_{info.hydration_type}"] += 1

    # -- the server --------------------------------------------------------------------------------

    def _group_commit(self) -> None:
        self._commit_timer = None
        now = self.clock.now()
        outage = self.config.p_storage_outage
        if self.faults_enabled and outage and self._server_rng.random() < outage:
            if self._storage_down_until <= now:
                self.stats["fault_storage_outage"] += 1
            self._storage_down_until = now + self._server_rng.uniform(
                *self.config.storage_outage_ms
            )
        if self._storage_down_until > now and self.faults_enabled:
            # the commit fails: nothing becomes durable; retry the same writes later
            self.stats["failed_commits"] += 1
            self._commit_timer = self.clock.call_later(self._commit_retry_ms, self._group_commit)
            self._commit_retry_ms = min(2 * self._commit_retry_ms, STORAGE_RETRY_MS[1])
            return
        self._commit_retry_ms = STORAGE_RETRY_MS[0]
        self.persistence.commit()
        self.history.make_durable()
        self.stats["group_commits"] += 1
        room = self.room
        room.mark_durable(room.clock)

    def restart_server(self, *, crash: bool) -> None:
        """Restart the server: a crash loses what is staged; a graceful stop commits first."""
        if self._commit_timer is not None:
            self._commit_timer.cancel()
            self._commit_timer = None
        if self._storage_down_until > self.clock.now():
            self.stats["restart_during_outage"] += 1
        if crash or self._storage_down_until > self.clock.now():
            # (a graceful stop while storage fails cannot commit either: the server logs what
            # it drops, none of it acknowledged)
            self.persistence.crash()
            self.stats["commits_lost_in_crash"] += self.history.discard_pending()
            self.stats["fault_crash"] += 1
        else:
            self.persistence.commit()
            self.history.make_durable()
            self.stats["fault_graceful_restart"] += 1
        room = self._new_room(self.persistence.load())
        self.network.replace_room(room)

    # -- faults and time ---------------------------------------------------------------------------

    def disconnect(self, index: int) -> bool:
        if self.network.disconnect(self.clients[index].socket):
            self.stats["fault_disconnect"] += 1
            return True
        return False

    def reconnect(self, index: int) -> bool:
        socket = self.clients[index].socket
        if socket.is_closed or socket.connection_status != "offline" or socket.reconnecting:
            return False
        self.network.reconnect(socket)
        self.stats["reconnect"] += 1
        return True

    def deliver(self, count: int) -> int:
        delivered = 0
        for _ in range(count):
            if not self.network.step():
                break
            delivered += 1
        return delivered

    def advance(self, ms: float) -> None:
        self.clock.advance(ms)
        self.network.run_due()

    def settle(self, ms: float) -> None:
        """Run the world for ``ms``: deliver everything deliverable (random interleaving and
        the fault plan still apply), run the timers, tick the room."""
        self.network.run_for(ms)

    def random_step(self) -> None:
        """One step of the seeded driver (see the module docstring)."""
        rng, config = self.rng, self.config
        self.stats["steps"] += 1
        for index, c in enumerate(self.clients):
            if c.socket.room_socket is not None:
                if rng.random() < config.p_disconnect:
                    self.disconnect(index)
            elif rng.random() < config.p_reconnect:
                self.reconnect(index)
        if rng.random() < config.p_restart:
            self.restart_server(crash=rng.random() < config.p_crash)
        if rng.random() < config.p_server_edit:
            self.server_edit(rng)
        for index in range(len(self.clients)):
            if rng.random() < config.p_edit:
                weights = self.flavor.weights
                kind = rng.choices(list(weights), weights=list(weights.values()))[0]
                self.edit(index, kind, rng)
        self.deliver(rng.randint(0, config.max_deliveries))
        self.advance(rng.uniform(0.0, config.max_advance_ms))

    # -- edits -------------------------------------------------------------------------------------

    def edit(self, index: int, kind: str, rng: random.Random) -> Edit | None:
        """Make one edit of ``kind`` on client ``index`` (a fallback kind when impossible)."""
        c = self.clients[index]
        self._edit_id += 1
        edits = self.flavor.edits
        change = edits[kind](self, c, rng, self._edit_id) if kind in edits else None
        if change is None:
            change = edits["create_shape"](self, c, rng, self._edit_id)
        if change is None:
            change = edits["create_page"](self, c, rng, self._edit_id)
        assert change is not None
        if change[0] == "presence":
            self.stats["edit_presence"] += 1
            return None
        if len(change) == 2:
            return self._apply_action(c, change[0], change[1])
        return self._apply(c, change[0], change[1], change[2])

    def _apply_action(self, c: SimClient, kind: str, fn: Callable[[], object]) -> Edit | None:
        edit = Edit(self._edit_id, c.index, kind, self.clock.now())
        try:
            diff = c.store.extracting_changes(fn)
        except Exception as error:  # an editor helper refused (its store operation rolled back)
            self._log.counts[f"REFUSED {kind}: {type(error).__name__}"] += 1
            self.stats["edits_refused"] += 1
            return None
        documents = c.store.scoped_types["document"]
        for record in diff.added.values():
            if record["typeName"] in documents:
                self._record_put(c.version, edit, None, record)
        for before, after in diff.updated.values():
            if after["typeName"] in documents:
                self._record_put(c.version, edit, before, after)
        edit.deletes = [i for i, r in diff.removed.items() if r["typeName"] in documents]
        self.history.record_edit(edit)
        self.stats["edits"] += 1
        self.stats[f"edit_{kind}"] += 1
        return edit

    def server_edit(self, rng: random.Random) -> Edit | None:
        """The server moves a shape itself (``room.update_store``), as a bot on the server
        would; recorded as an edit of client -1."""
        shapes = sorted(
            (
                d.state
                for d in self.room.storage.documents.values()
                if d.state["typeName"] == "shape"
            ),
            key=lambda r: r["id"],
        )
        if not shapes:
            return None
        self._edit_id += 1
        eid = self._edit_id
        shape = _pick(rng, shapes)
        moved = {**shape, "x": self.next_edit_value(eid, 1), "y": self.next_edit_value(eid, 2)}
        edit = Edit(eid, -1, "server_move", self.clock.now())
        self._record_put(self.flavor.latest, edit, shape, moved)
        self.history.record_edit(edit)
        self.room.update_store(lambda store: store.put(moved))
        self.stats["server_edits"] += 1
        return edit

    def _apply(self, c: SimClient, kind: str, puts: list[Record], removes: list[str]) -> Edit:
        store = c.store
        edit = Edit(self._edit_id, c.index, kind, self.clock.now())
        for record in puts:
            before = store.unsafe_get_without_capture(record["id"])
            self._record_put(c.version, edit, before, record)
        edit.deletes = [i for i in removes if store.unsafe_get_without_capture(i) is not None]

        def run() -> None:
            if puts:
                store.put(puts)
            if removes:
                store.remove(removes)

        transact(run)
        self.history.record_edit(edit)
        self.stats["edits"] += 1
        self.stats[f"edit_{kind}"] += 1
        return edit

    def _to_latest(self, version: int, record: Record) -> Record:
        if version == self.flavor.latest:
            return record
        serialized = self.flavor.schema_for(version).serialize()
        result = self.schema.migrate_persisted_record(record, serialized, "up")
        assert not isinstance(result, Err), result
        return result.value

    def _record_put(self, version: int, edit: Edit, before: Record | None, after: Record) -> None:
        record_id = after["id"]
        old = fields_of(self._to_latest(version, before)) if before is not None else {}
        new = fields_of(self._to_latest(version, after))
        if before is None:
            edit.creates.append(record_id)
        for path, value in new.items():
            if path in old and canon(old[path]) == canon(value):
                continue
            if path in self.flavor.text_paths:
                if path not in old:
                    edit.prefixes.append((record_id, value))
                else:
                    previous = old[path]
                    assert value.startswith(previous), (previous, value)
                    head, tokens = split_text(value[len(previous) :])
                    assert head == "", value
                    edit.tokens.extend((record_id, t) for t in tokens)
                continue
            edit.writes.append((record_id, path, value))

    def next_edit_value(self, eid: int, k: int) -> float:
        """The ``k``-th (1..7) unique number of edit ``eid``: never integral."""
        assert 1 <= k <= 7
        return eid + k / 8

    # -- the end -----------------------------------------------------------------------------------

    def run(self) -> SimResult:
        """The seeded campaign: ``steps`` random steps, then :meth:`finish`."""
        for _ in range(self.config.steps):
            self.random_step()
        return self.finish()

    def finish(self) -> SimResult:
        """Stop the faults, reconnect everyone, run until quiet, then check everything."""
        self.faults_enabled = False
        self.network.faults = FaultPlan()
        self._storage_down_until = 0.0
        if self._commit_timer is not None:  # the storage heals: its retry commits now
            self._commit_timer.cancel()
            self._group_commit()
        for c in self.clients:
            if not c.socket.is_closed:
                self.network.reconnect(c.socket)
        for _ in range(6):
            self.network.run_until_quiet(quiet_ms=1_000.0, max_ms=120_000.0)
            if all(c.client.is_synced.get() or c.client.is_closed for c in self.clients):
                break
        failures = self._check_convergence()
        session_clients = {c.socket.session_id: c.index for c in self.clients}
        final = {rid: d.state for rid, d in self.room.storage.documents.items()}
        whole_text = [c.socket.session_id for c in self.clients if c.dialect == 3]
        check = self.history.check(
            final,
            session_clients,
            whole_text,
            text_paths=self.flavor.text_paths,
            type_defaults=self.flavor.type_defaults,
        )
        self._collect_stats(final, check)
        return SimResult(self.config, self.stats, check, failures, self._log.counts)

    def _check_convergence(self) -> list[Anomaly]:
        failures: list[Anomaly] = []
        room = self.room
        documents = {rid: d.state for rid, d in room.storage.documents.items()}
        by_version: dict[int, str] = {}
        for c in self.clients:
            name = f"client {c.index} (v{c.version}, dialect {c.dialect})"
            client = c.client
            if client.state is not ClientState.CONNECTED:
                failures.append(
                    Anomaly("client", f"{name} is {client.state.value} ({client.sync_error})")
                )
                continue
            if not client.is_synced.get():
                failures.append(
                    Anomaly(
                        "client",
                        f"{name} not synced: {len(client.pending_push_requests)} pushes in flight",
                    )
                )
            if c.version not in by_version:
                by_version[c.version] = js_canonical(self._documents_for(c, documents))
            mine = c.store.serialize("document")
            if js_canonical(mine) != by_version[c.version]:
                expected = self._documents_for(c, documents)
                differing = sorted(
                    rid
                    for rid in expected.keys() | mine.keys()
                    if rid not in expected
                    or rid not in mine
                    or js_canonical({rid: expected[rid]}) != js_canonical({rid: mine[rid]})
                )
                details = "; ".join(
                    f"{rid}: room {expected.get(rid)!r} client {mine.get(rid)!r}"
                    for rid in differing[:3]
                )
                failures.append(
                    Anomaly(
                        "divergence",
                        f"{name}: {len(differing)} records differ from the room: {details}",
                    )
                )
            expected_presence = {
                session.presence_id: room.presence[session.presence_id]
                for sid, session in room.sessions.items()
                if sid != c.socket.session_id
                and session.presence_id is not None
                and session.presence_id in room.presence
            }
            presence = c.store.serialize("presence")
            if js_canonical(presence) != js_canonical(expected_presence):
                failures.append(
                    Anomaly(
                        "presence",
                        f"{name}: has {sorted(presence)}, room has {sorted(expected_presence)}",
                    )
                )
        return failures

    def _documents_for(self, c: SimClient, documents: Mapping[str, Record]) -> dict[str, Record]:
        if c.version == self.flavor.latest:
            return dict(documents)
        serialized = c.schema.serialize()
        result: dict[str, Record] = {}
        for rid, record in documents.items():
            migrated = self.schema.migrate_persisted_record(record, serialized, "down")
            assert not isinstance(migrated, Err), migrated
            result[rid] = migrated.value
        return result

    def _collect_stats(self, final: Mapping[str, Record], check: CheckResult) -> None:
        stats = self.stats
        net = self.network.stats
        stats["messages_sent"] += net.sent
        stats["messages_delivered"] += net.delivered
        stats["fault_drop"] += net.dropped
        stats["fault_duplicate"] += net.duplicated
        stats["fault_hold"] += net.held
        stats["lost_in_flight"] += net.discarded_in_flight
        stats["connects"] += net.connects
        stats["writes"] += check.writes
        stats["acknowledged"] += check.acknowledged
        stats["unacknowledged"] += check.unacknowledged
        stats["lost"] += len(check.lost)
        stats["phantom"] += len(check.phantoms)
        stats["foreign"] += len(check.foreign)
        stats["durability"] += len(check.durability)
        stats["final_records"] += len(final)
        stats["final_shapes"] += sum(1 for r in final.values() if r["typeName"] == "shape")
        stats["final_bindings"] += sum(1 for r in final.values() if r["typeName"] == "binding")
        stats["final_pages"] += sum(1 for r in final.values() if r["typeName"] == "page")
        stats["old_schema_clients"] += sum(
            1 for c in self.clients if c.version < self.flavor.latest
        )
        stats["v3_dialect_clients"] += sum(1 for c in self.clients if c.dialect == 3)

    @property
    def faults_injected(self) -> int:
        s, net = self.stats, self.network.stats
        return (
            s["fault_disconnect"]
            + s["fault_crash"]
            + s["fault_graceful_restart"]
            + net.dropped
            + net.duplicated
            + net.held
        )


def run_simulation(config: SimConfig) -> SimResult:
    """Run one seeded simulation to the end and check it."""
    with Simulator(config) as sim:
        return sim.run()


# -- the edits -----------------------------------------------------------------------------------


def _of_type(store: Store, type_name: str) -> list[Record]:
    return sorted(
        (r for r in store.all_records() if r["typeName"] == type_name), key=lambda r: r["id"]
    )


def _pick(rng: random.Random, items: Sequence[Record]) -> Record:
    """A record, half the time one of the first three (hot records: conflicting edits)."""
    if len(items) > 3 and rng.random() < 0.5:
        return items[rng.randrange(3)]
    return items[rng.randrange(len(items))]


def _page_of(store: Store, shape: Record) -> str | None:
    seen: set[str] = set()
    parent = shape["parentId"]
    while parent.startswith("shape:"):
        if parent in seen:
            return None
        seen.add(parent)
        record = store.unsafe_get_without_capture(parent)
        if record is None:
            return None
        parent = record["parentId"]
    return parent if store.unsafe_get_without_capture(parent) is not None else None


def _with_descendants(store: Store, ids: set[str]) -> list[str]:
    """``ids`` plus every shape below them and every binding touching any of them."""
    result = set(ids)
    shapes = _of_type(store, "shape")
    grew = True
    while grew:
        grew = False
        for s in shapes:
            if s["id"] not in result and s["parentId"] in result:
                result.add(s["id"])
                grew = True
    for b in _of_type(store, "binding"):
        if b["fromId"] in result or b["toId"] in result:
            result.add(b["id"])
    return sorted(result)


def _text_key(c: SimClient, shape: Record) -> str | None:
    kind = shape["type"]
    if kind == "geo":
        return geo_text_key(c.version)
    return "text" if kind in ("text", "arrow") else None


def _new_shape(
    sim: Simulator, c: SimClient, rng: random.Random, eid: int, *, kind: str, parent: str
) -> Record:
    u = sim.next_edit_value
    text = f"t{eid:06d}" if rng.random() < 0.5 else ""
    props: dict[str, Any]
    if kind == "geo":
        props = {
            "w": u(eid, 3),
            "h": u(eid, 4),
            "geo": rng.choice(GEOS),
            "color": rng.choice(COLORS),
            geo_text_key(c.version): text,
        }
        if c.version >= 2:
            props["growY"] = 0
    elif kind == "text":
        props = {"text": text, "w": u(eid, 3), "color": rng.choice(COLORS)}
    elif kind == "arrow":
        props = {
            "start": {"x": u(eid, 3), "y": u(eid, 4)},
            "end": {"x": u(eid, 5), "y": u(eid, 6)},
            "color": rng.choice(COLORS),
            "text": text,
            "bend": u(eid, 7),
        }
    else:
        props = {"w": u(eid, 3), "h": u(eid, 4), "name": f"Frame #{eid:06d}"}
    return {
        "id": f"shape:s{eid:06d}",
        "typeName": "shape",
        "type": kind,
        "parentId": parent,
        "index": f"a{eid:06d}",
        "x": u(eid, 1),
        "y": u(eid, 2),
        "rotation": 0,
        "isLocked": False,
        "opacity": 1,
        "props": props,
        "meta": {},
    }


def _create_shape(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Change | None:
    pages = _of_type(c.store, "page")
    if not pages:
        return None
    page = _pick(rng, pages)["id"]
    kind = rng.choice(("geo", "geo", "text", "frame"))
    parent = page
    if kind != "frame":
        frames = [
            s for s in _of_type(c.store, "shape") if s["type"] == "frame" and s["parentId"] == page
        ]
        if frames and rng.random() < 0.4:
            parent = rng.choice(frames)["id"]
    return "create_shape", [_new_shape(sim, c, rng, eid, kind=kind, parent=parent)], []


def _shape_edit(
    c: SimClient, rng: random.Random, where: Callable[[Record], bool] = lambda s: True
) -> Record | None:
    shapes = [s for s in _of_type(c.store, "shape") if where(s)]
    return _pick(rng, shapes) if shapes else None


def _move(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Change | None:
    shape = _shape_edit(c, rng)
    if shape is None:
        return None
    u = sim.next_edit_value
    return "move", [{**shape, "x": u(eid, 1), "y": u(eid, 2)}], []


def _resize(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Change | None:
    shape = _shape_edit(c, rng)
    if shape is None:
        return None
    u = sim.next_edit_value
    props = dict(shape["props"])
    if shape["type"] == "arrow":
        props["end"] = {"x": u(eid, 3), "y": u(eid, 4)}
    else:
        props["w"] = u(eid, 3)
        if "h" in props:
            props["h"] = u(eid, 4)
        if "growY" in props and rng.random() < 0.5:
            props["growY"] = u(eid, 5)
    return "resize", [{**shape, "props": props}], []


def _append_text(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Change | None:
    shape = _shape_edit(c, rng, lambda s: s["type"] != "frame")
    if shape is None:
        return None
    key = _text_key(c, shape)
    assert key is not None
    token = f"|{eid}{rng.choice(TOKEN_DECORATIONS)}"
    props = {**shape["props"], key: shape["props"][key] + token}
    return "append_text", [{**shape, "props": props}], []


def _restyle(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Change | None:
    shape = _shape_edit(c, rng, lambda s: "color" in s["props"])
    if shape is None:
        return None
    props = {**shape["props"], "color": rng.choice(COLORS)}
    if shape["type"] == "geo" and rng.random() < 0.5:
        props["geo"] = rng.choice(GEOS)
    return "restyle", [{**shape, "props": props}], []


def _delete_shape(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Change | None:
    shape = _shape_edit(c, rng)
    if shape is None:
        return None
    return "delete_shape", [], _with_descendants(c.store, {shape["id"]})


def _reparent(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Change | None:
    shape = _shape_edit(c, rng, lambda s: s["type"] != "frame")
    if shape is None:
        return None
    page = _page_of(c.store, shape)
    if page is None:
        return None
    targets = [page] + [
        s["id"]
        for s in _of_type(c.store, "shape")
        if s["type"] == "frame" and s["parentId"] == page
    ]
    targets = [t for t in targets if t != shape["parentId"]]
    if not targets:
        return None
    u = sim.next_edit_value
    parent = rng.choice(targets)
    return "reparent", [{**shape, "parentId": parent, "x": u(eid, 1), "y": u(eid, 2)}], []


def _binding(sim: Simulator, eid: int, k: int, *, arrow: str, target: str, terminal: str) -> Record:
    u = sim.next_edit_value
    return {
        "id": f"binding:b{eid:06d}_{k}",
        "typeName": "binding",
        "type": "arrow",
        "fromId": arrow,
        "toId": target,
        "props": {
            "terminal": terminal,
            "normalizedAnchor": {"x": u(eid, 2 * k + 1), "y": u(eid, 2 * k + 2)},
            "isExact": False,
            "isPrecise": k == 1,
        },
        "meta": {},
    }


def _create_arrow(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Change | None:
    pages = _of_type(c.store, "page")
    if not pages:
        return None
    page = _pick(rng, pages)["id"]
    arrow = _new_shape(sim, c, rng, eid, kind="arrow", parent=page)
    targets = [
        s
        for s in _of_type(c.store, "shape")
        if s["type"] != "arrow" and _page_of(c.store, s) == page
    ]
    records = [arrow]
    if targets:
        for k, terminal in enumerate(("start", "end")):
            if rng.random() < 0.75:
                target = _pick(rng, targets)["id"]
                records.append(
                    _binding(sim, eid, k, arrow=arrow["id"], target=target, terminal=terminal)
                )
    return "create_arrow", records, []


def _rebind(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Change | None:
    bindings = _of_type(c.store, "binding")
    targets = [s["id"] for s in _of_type(c.store, "shape") if s["type"] != "arrow"]
    if not bindings or not targets:
        return None
    binding = _pick(rng, bindings)
    u = sim.next_edit_value
    props = {**binding["props"], "normalizedAnchor": {"x": u(eid, 1), "y": u(eid, 2)}}
    return "rebind", [{**binding, "toId": rng.choice(targets), "props": props}], []


def _unbind(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Change | None:
    bindings = _of_type(c.store, "binding")
    if not bindings:
        return None
    return "unbind", [], [_pick(rng, bindings)["id"]]


def _create_page(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Change | None:
    page = {
        "id": f"page:p{eid:06d}",
        "typeName": "page",
        "name": f"Page #{eid:06d}",
        "index": f"a{eid:06d}",
        "meta": {},
    }
    return "create_page", [page], []


def _rename_page(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Change | None:
    pages = _of_type(c.store, "page")
    if not pages:
        return None
    return "rename_page", [{**_pick(rng, pages), "name": f"Page #{eid:06d}"}], []


def _delete_page(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Change | None:
    pages = _of_type(c.store, "page")
    if len(pages) < 2:
        return None  # as tldraw, never delete the last page
    page = _pick(rng, pages)["id"]
    on_page = {s["id"] for s in _of_type(c.store, "shape") if _page_of(c.store, s) == page}
    return "delete_page", [], [page, *_with_descendants(c.store, on_page)]


def _edit_meta(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Change | None:
    u = sim.next_edit_value
    if rng.random() < 0.25:
        document = c.store.unsafe_get_without_capture(DOCUMENT_ID)
        if document is None:
            return None
        return "edit_meta", [{**document, "name": f"Doc #{eid:06d}"}], []
    candidates = _of_type(c.store, "shape") + _of_type(c.store, "page")
    if not candidates:
        return None
    record = _pick(rng, candidates)
    meta = {**record["meta"], f"k{rng.randrange(3)}": u(eid, 1)}
    return "edit_meta", [{**record, "meta": meta}], []


def _presence(sim: Simulator, c: SimClient, rng: random.Random, eid: int) -> Change | None:
    u = sim.next_edit_value
    pages = _of_type(c.store, "page")
    shapes = _of_type(c.store, "shape")
    selected = sorted({_pick(rng, shapes)["id"] for _ in range(rng.randrange(3))} if shapes else [])
    c.presence.set(
        {
            "id": f"instance_presence:{c.index}",
            "typeName": "instance_presence",
            "userName": f"user {c.index}",
            "color": COLORS[c.index % len(COLORS)],
            "cursor": {"x": u(eid, 1), "y": u(eid, 2)},
            "currentPageId": _pick(rng, pages)["id"] if pages else DEFAULT_PAGE_ID,
            "selectedShapeIds": selected,
        }
    )
    return "presence", [], []


_EDITS: Final[dict[str, EditMaker]] = {
    "create_shape": _create_shape,
    "move": _move,
    "resize": _resize,
    "append_text": _append_text,
    "restyle": _restyle,
    "delete_shape": _delete_shape,
    "reparent": _reparent,
    "create_arrow": _create_arrow,
    "rebind": _rebind,
    "unbind": _unbind,
    "create_page": _create_page,
    "rename_page": _rename_page,
    "delete_page": _delete_page,
    "edit_meta": _edit_meta,
    "presence": _presence,
}
assert set(_EDITS) == set(EDIT_WEIGHTS)

SIM_FLAVOR: Final = Flavor(
    name="sim",
    latest=LATEST_VERSION,
    schema_for=create_sim_schema,
    edits=_EDITS,
    weights=EDIT_WEIGHTS,
    text_paths=frozenset({TEXT_PATH}),
    type_defaults=TYPE_DEFAULTS,
)


def _flavor(name: str) -> Flavor:
    if name == "sim":
        return SIM_FLAVOR
    if name == "tldraw":
        from .tldraw_flavor import TLDRAW_FLAVOR  # noqa: PLC0415 - only when asked for

        return TLDRAW_FLAVOR
    raise ValueError(f"unknown document flavor {name!r}")

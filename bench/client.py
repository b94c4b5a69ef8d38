"""Client benchmark: tlsync's ``TLSyncClient`` (CPython) vs @tldraw/sync-core's (Node), one run.

Run from the repository root with the venv active::

    python -m bench.client               # full run (3 rounds), plain-text table
    python -m bench.client --quick       # smoke run (1 round, fewer trials)
    python -m bench.client --markdown --rounds 3 --json bench/results/client.json

Both clients run in-process on an in-memory socket (no network) that is online from the start:
the client sends its ``connect`` request at construction, and the benchmark answers it. The
cases (``bench/node/client.mjs`` runs the same ones on the same message texts):

* ``hydrate``: the ``connect`` answer of a room of ``shapes`` shapes (``wipe_all``: a document,
  a page and the shapes, as puts), from its JSON text to the client's store holding every record
  with ``on_load`` called. The parse is timed: ``parse_server_message`` here, ``JSON.parse`` in
  Node. Each trial uses a fresh store and client.
* ``rebase_one_push``: on the hydrated client, ``pending`` shapes are moved in one store
  transaction, which sends one push that stays unacknowledged. Then a ``data`` message with a
  ``patch`` of ``remote`` shapes (x and y) arrives: timed from its text to the rebase being
  applied (undo the speculative changes, apply the patch, re-apply the pending push).
* ``rebase_many_pushes``: the same, with the ``pending`` shapes moved one transaction each, so
  ``pending`` pushes of one record are in flight.
* ``edit_to_push``: ``edits`` single-record ``store.update`` calls (x + 1), each its own
  transaction followed by the flush that sends its push; the sample is µs per change.

Throttling: the Python client runs with ``fps=None`` (sends and rebases run synchronously); the
Node side flushes ``client.fpsScheduler`` where the Python client would have run them (see
client.mjs). Both stores flush their history to listeners at the end of each transaction.
Untimed between trials: checks of the store and of the sent pushes, and a ``push_result``
commit for every pending push, so every trial starts with nothing in flight.

Method. Each round runs every case on both implementations (the order is reversed on odd
rounds), Node in a fresh ``node bench/node/client.mjs`` process with ``NODE_ENV=production``.
Each side first runs untimed warm-up trials (more in Node, for its JIT). Python runs
``gc.collect()`` before each timed operation; Node forces no GC. Reported: the median over all
trials of all rounds and ``tlsync ÷ node`` with its target (hydrate and the rebases within 2x of
Node). The exit status is 1 if any check failed.

The schema is tlsync's demo schema (:mod:`tlsync_core.demo_schema`) and its Node mirror
in client.mjs, not tldraw's full schema (which tlsync does not have yet).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Final, TypeVar, cast

from bench.records import geo_props
from bench.runner import (
    NODE_DIR,
    NodeInfo,
    Outcome,
    Results,
    Sides,
    Step,
    cpython,
    failed,
    finish,
    fmt_ms,
    fmt_ratio,
    measured,
    new_results,
    not_run,
    prepare_sides,
    preset,
    print_header,
    production_env,
    render_table,
    run_node_json,
    run_rounds,
    runner_parser,
    timed,
)
from tlsync_client.sync_client import TLSyncClient
from tlsync_core.client_socket import SocketStatusEvent, TLPersistentClientSocketStatus
from tlsync_core.demo_schema import create_demo_schema
from tlsync_core.protocol.codec import parse_server_message, serialize_message
from tlsync_core.store import Record, Store, StoreSchema
from tlsync_core.timers import TimerHandle

NODE_SCRIPT = NODE_DIR / "client.mjs"
NODE_PACKAGE = "@tldraw/sync-core"

TLSYNC = "tlsync"
NODE = "node"
IMPLS: tuple[str, ...] = (TLSYNC, NODE)
IMPL_LABELS = {TLSYNC: "tlsync", NODE: "@tldraw/sync-core"}

HYDRATE = "hydrate"
REBASE_ONE = "rebase_one_push"
REBASE_MANY = "rebase_many_pushes"
EDIT = "edit_to_push"
CASES: tuple[str, ...] = (HYDRATE, REBASE_ONE, REBASE_MANY, EDIT)
REBASES: tuple[str, ...] = (REBASE_ONE, REBASE_MANY)
#: the largest tlsync ÷ node ratio that meets the issue's target (None: report only)
TARGETS: dict[str, float | None] = {HYDRATE: 2.0, REBASE_ONE: 2.0, REBASE_MANY: 2.0, EDIT: None}

#: the connectRequestId in the connect text; each trial replaces it with its client's (untimed)
PLACEHOLDER = "@@connect-request-id@@"
DIALECT: Final = 8

_C = TypeVar("_C")


@dataclass(frozen=True)
class Settings:
    """What to measure, how long and how often (trials and warm-ups per case)."""

    rounds: int
    shapes: int
    pending: int
    remote: int
    edits: int
    trials: Mapping[str, int]
    py_warmup: Mapping[str, int]
    node_warmup: Mapping[str, int]
    node_timeout_s: float


FULL = Settings(
    rounds=3,
    shapes=10_000,
    pending=1_000,
    remote=100,
    edits=1_000,
    trials={HYDRATE: 5, REBASE_ONE: 10, REBASE_MANY: 5, EDIT: 5},
    py_warmup={HYDRATE: 1, REBASE_ONE: 2, REBASE_MANY: 1, EDIT: 1},
    node_warmup={HYDRATE: 5, REBASE_ONE: 10, REBASE_MANY: 5, EDIT: 5},
    node_timeout_s=600,
)
QUICK = Settings(
    rounds=1,
    shapes=10_000,
    pending=1_000,
    remote=100,
    edits=1_000,
    trials={HYDRATE: 2, REBASE_ONE: 3, REBASE_MANY: 2, EDIT: 2},
    py_warmup={HYDRATE: 0, REBASE_ONE: 1, REBASE_MANY: 0, EDIT: 0},
    node_warmup={HYDRATE: 2, REBASE_ONE: 3, REBASE_MANY: 2, EDIT: 2},
    node_timeout_s=120,
)


class ClientCaseFailed(Exception):
    """A client's store or sent messages are not what the case expects."""


# --------------------------------------------------------------------------------------------
# the records and the messages (both sides use these texts)
# --------------------------------------------------------------------------------------------

#: the demo schema's geo shape has no flipX / flipY
GEO_PROPS: Record = {k: v for k, v in geo_props().items() if k not in ("flipX", "flipY")}


def shape_id(i: int) -> str:
    return f"shape:{i}"


def make_shape(i: int) -> Record:
    """Shape ``i`` of the room: a geo shape on a grid, valid in the demo schema."""
    return {
        "id": shape_id(i),
        "typeName": "shape",
        "type": "geo",
        "parentId": "page:page",
        "index": f"a{i}",
        "x": 120.5 * (i % 100) + 0.25,
        "y": 97.75 * (i // 100) + 0.125,
        "rotation": 0,
        "props": GEO_PROPS,
        "meta": {},
    }


def make_connect_message(shapes: int, schema: StoreSchema) -> dict[str, Any]:
    """The v8 ``connect`` answer (``wipe_all``) of a room of a document, a page and shapes."""
    diff: dict[str, Any] = {
        "document:document": [
            "put",
            {"id": "document:document", "typeName": "document", "name": "", "meta": {}},
        ],
        "page:page": [
            "put",
            {"id": "page:page", "typeName": "page", "name": "Page 1", "index": "a1", "meta": {}},
        ],
    }
    for i in range(shapes):
        diff[shape_id(i)] = ["put", make_shape(i)]
    return {
        "type": "connect",
        "connectRequestId": PLACEHOLDER,
        "hydrationType": "wipe_all",
        "protocolVersion": 8,
        "schema": schema.serialize(),
        "serverClock": shapes + 1,
        "diff": diff,
        "isReadonly": False,
        "objectAccess": "write",
    }


def local_x(run: int, i: int) -> float:
    """The x that rebase run ``run`` gives pending shape ``i`` locally (client.mjs: localX)."""
    return run * 100_000 + i + 0.25


def make_patch_message(run: int, shapes: int, remote: int) -> dict[str, Any]:
    """Rebase run ``run``'s ``data`` message: a patch moving ``remote`` shapes spread evenly
    over the room (the first ones among the pending shapes)."""
    stride = max(1, shapes // remote)
    diff = {
        shape_id(k * stride): [
            "patch",
            {
                "x": ["put", run * 100_000 + 50_000 + k + 0.5],
                "y": ["put", run * 100_000 + 70_000 + k + 0.75],
            },
        ]
        for k in range(remote)
    }
    return {"type": "data", "data": [{"type": "patch", "diff": diff, "serverClock": shapes + run}]}


def rebase_texts(settings: Settings, warmup: Mapping[str, int]) -> dict[str, list[str]]:
    """The patch texts of every rebase run: runs are numbered from 1 across both variants."""
    texts: dict[str, list[str]] = {}
    run = 1
    for variant in REBASES:
        count = warmup[variant] + settings.trials[variant]
        texts[variant] = [
            serialize_message(make_patch_message(r, settings.shapes, settings.remote))
            for r in range(run, run + count)
        ]
        run += count
    return texts


def node_input(settings: Settings, connect_text: str) -> dict[str, Any]:
    """What ``client.mjs --input`` reads."""
    return {
        "shapes": settings.shapes,
        "pending": settings.pending,
        "edits": settings.edits,
        "trials": dict(settings.trials),
        "warmup": dict(settings.node_warmup),
        "connect": connect_text,
        "placeholder": PLACEHOLDER,
        "rebase": rebase_texts(settings, settings.node_warmup),
    }


# --------------------------------------------------------------------------------------------
# the in-memory socket, the timers and one client
# --------------------------------------------------------------------------------------------


class MemorySocket:
    """A ``TLPersistentClientSocket`` that is online from the start and records what is sent;
    :meth:`deliver` hands a server message to the client."""

    def __init__(self) -> None:
        self.connection_status: TLPersistentClientSocketStatus = "online"
        self.sent: list[Mapping[str, Any]] = []
        self.restarts = 0
        self._receivers: list[Callable[[dict[str, Any]], None]] = []
        self._status_listeners: list[Callable[[SocketStatusEvent], None]] = []

    def send_message(self, message: Mapping[str, Any]) -> None:
        self.sent.append(message)

    def on_receive_message(self, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        return _subscribe(self._receivers, callback)

    def on_status_change(self, callback: Callable[[SocketStatusEvent], None]) -> Callable[[], None]:
        return _subscribe(self._status_listeners, callback)

    def restart(self) -> None:
        self.restarts += 1

    def deliver(self, message: dict[str, Any]) -> None:
        for callback in list(self._receivers):
            callback(message)


def _subscribe(callbacks: list[_C], callback: _C) -> Callable[[], None]:
    callbacks.append(callback)

    def unsubscribe() -> None:
        if callback in callbacks:
            callbacks.remove(callback)

    return unsubscribe


class _Handle:
    def cancel(self) -> None:
        pass


class IdleTimers:
    """``Timers`` whose callbacks never run: the benchmark never lets time pass (pings and
    health checks stay scheduled; with ``fps=None`` the client schedules nothing else)."""

    def now(self) -> float:
        return time.monotonic() * 1000

    def call_later(self, delay_ms: float, callback: Callable[[], None]) -> TimerHandle:
        return _Handle()


@dataclass
class BenchClient:
    """One client on its store and socket, with what its callbacks saw."""

    store: Store
    socket: MemorySocket
    client: TLSyncClient
    loaded: list[TLSyncClient]
    sync_errors: list[str]

    @property
    def connect_request_id(self) -> str:
        return str(self.socket.sent[0]["connectRequestId"])

    def close(self) -> None:
        self.client.close()
        self.store.dispose()


def new_client(schema: StoreSchema) -> BenchClient:
    """A fresh store and client; the client has sent its connect request and nothing else."""
    store = Store(schema=schema)
    socket = MemorySocket()
    loaded: list[TLSyncClient] = []
    errors: list[str] = []
    client = TLSyncClient(
        store=store,
        socket=socket,
        instance_id="instance:bench",
        on_load=loaded.append,
        on_sync_error=errors.append,
        timers=IdleTimers(),
        fps=None,
    )
    if len(socket.sent) != 1 or socket.sent[0].get("type") != "connect":
        raise ClientCaseFailed(f"expected one connect request, got {socket.sent!r}")
    return BenchClient(store, socket, client, loaded, errors)


def parse(text: str) -> dict[str, Any]:
    """A server message as the client receives it (parsed and checked)."""
    return cast(dict[str, Any], parse_server_message(text, dialect=DIALECT))


def receive(socket: MemorySocket, text: str) -> None:
    """What the timed part of a case does with a message: parse its text and deliver it."""
    socket.deliver(parse(text))


# --------------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------------


def expect_equal(what: str, actual: object, expected: object) -> None:
    if actual != expected:
        raise ClientCaseFailed(f"{what}: expected {expected!r}, got {actual!r}")


def check_healthy(bench: BenchClient, step: str) -> None:
    expect_equal(f"{step}: sync errors", bench.sync_errors, [])
    expect_equal(f"{step}: socket restarts", bench.socket.restarts, 0)
    expect_equal(f"{step}: connected", bench.client.is_connected_to_room, True)


def check_hydrated(bench: BenchClient, connect: Mapping[str, Any], step: str) -> None:
    """Connected, loaded once, and the store holds exactly the records of the answer."""
    check_healthy(bench, step)
    expect_equal(f"{step}: on_load calls", len(bench.loaded), 1)
    ids = list(connect["diff"])
    expect_equal(f"{step}: record count", len(bench.store.all_records()), len(ids))
    for record_id in (ids[0], ids[1], ids[len(ids) >> 1], ids[-1]):
        expect_equal(
            f"{step}: {record_id}", bench.store.get(record_id), connect["diff"][record_id][1]
        )


def check_rebased(bench: BenchClient, patch_text: str, run: int, pending: int, step: str) -> None:
    """Remote y everywhere the patch went, remote x unless the shape has a pending local x."""
    check_healthy(bench, step)
    event = parse(patch_text)["data"][0]
    expect_equal(f"{step}: last_server_clock", bench.client.last_server_clock, event["serverClock"])
    for record_id, (_, patch) in event["diff"].items():
        record = bench.store.get(record_id)
        assert record is not None, record_id
        i = int(record_id.removeprefix("shape:"))
        x = local_x(run, i) if i < pending else patch["x"][1]
        expect_equal(f"{step}: {record_id} x, y", (record["x"], record["y"]), (x, patch["y"][1]))
    for i in range(pending):
        record = bench.store.get(shape_id(i))
        expect_equal(f"{step}: {shape_id(i)} x", record and record["x"], local_x(run, i))


def acknowledge_all(bench: BenchClient, step: str) -> None:
    """Commit every pending push (untimed): one ``data`` message of ``push_result`` events."""
    client = bench.client
    data = [
        {
            "type": "push_result",
            "clientClock": request.client_clock,
            "serverClock": client.last_server_clock + k + 1,
            "action": "commit",
        }
        for k, request in enumerate(client.pending_push_requests)
    ]
    if not data:
        return
    bench.socket.deliver({"type": "data", "data": data})
    check_healthy(bench, step)
    expect_equal(f"{step}: pending pushes after the acks", len(client.pending_push_requests), 0)


# --------------------------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------------------------


def _clock_ms(fn: Callable[[], object], collect: Callable[[], object]) -> float:
    collect()
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def hydrate_once(
    schema: StoreSchema, connect_text: str, collect: Callable[[], object] = gc.collect
) -> tuple[BenchClient, float]:
    """A fresh client, and the ms from the connect answer's text to its store being hydrated."""
    bench = new_client(schema)
    text = connect_text.replace(PLACEHOLDER, bench.connect_request_id)
    return bench, _clock_ms(partial(receive, bench.socket, text), collect)


def run_hydrate(
    schema: StoreSchema, connect_text: str, runs: int, collect: Callable[[], object]
) -> tuple[list[float], BenchClient]:
    """``runs`` (at least 1) hydrations, each checked; the last client stays open."""
    connect = json.loads(connect_text)
    bench, ms = hydrate_once(schema, connect_text, collect)
    check_hydrated(bench, connect, HYDRATE)
    samples = [ms]
    for _ in range(runs - 1):
        bench.close()
        bench, ms = hydrate_once(schema, connect_text, collect)
        check_hydrated(bench, connect, HYDRATE)
        samples.append(ms)
    return samples, bench


def run_rebase(
    bench: BenchClient,
    variant: str,
    texts: Sequence[str],
    first_run: int,
    pending: int,
    *,
    collect: Callable[[], object],
) -> list[float]:
    """One rebase per text, each with ``pending`` shapes moved locally and not acknowledged."""
    store, socket, client = bench.store, bench.socket, bench.client
    samples: list[float] = []
    for k, text in enumerate(texts):
        run = first_run + k
        sent_before = len(socket.sent)
        moved = []
        for i in range(pending):
            record = store.get(shape_id(i))
            assert record is not None
            moved.append({**record, "x": local_x(run, i)})
        if variant == REBASE_ONE:
            store.put(moved)
        else:
            for record in moved:
                store.put([record])
        pushes = min(pending, 1) if variant == REBASE_ONE else pending
        expect_equal(f"{variant}: pushes sent", len(socket.sent) - sent_before, pushes)
        expect_equal(f"{variant}: pending pushes", len(client.pending_push_requests), pushes)
        samples.append(_clock_ms(partial(receive, socket, text), collect))
        check_rebased(bench, text, run, pending, variant)
        acknowledge_all(bench, variant)
    return samples


def _bump_x(record: Record) -> Record:
    return {**record, "x": record["x"] + 1}


def run_edits(
    bench: BenchClient, edits: int, shapes: int, runs: int, collect: Callable[[], object]
) -> list[float]:
    """``runs`` loops of ``edits`` updates, each sending its push: µs per change."""
    store, socket, client = bench.store, bench.socket, bench.client
    samples: list[float] = []
    for _ in range(runs):
        ids = [shape_id(k % shapes) for k in range(edits)]
        sent_before = len(socket.sent)
        clock_before = client.client_clock

        def loop(ids: list[str] = ids) -> None:
            update = store.update
            for record_id in ids:
                update(record_id, _bump_x)

        samples.append(_clock_ms(loop, collect) * 1000 / edits)
        pushes = socket.sent[sent_before:]
        expect_equal(f"{EDIT}: pushes sent", len(pushes), edits)
        expect_equal(
            f"{EDIT}: push clocks",
            [p["clientClock"] for p in pushes],
            list(range(clock_before, clock_before + edits)),
        )
        last = store.get(ids[-1])
        assert last is not None
        expect_equal(
            f"{EDIT}: last push",
            pushes[-1],
            {
                "type": "push",
                "clientClock": clock_before + edits - 1,
                "diff": {ids[-1]: ["patch", {"x": ["put", last["x"]]}]},
            },
        )
        check_healthy(bench, EDIT)
        acknowledge_all(bench, EDIT)
    return samples


def measure_python(
    settings: Settings, collect: Callable[[], object] = gc.collect
) -> dict[str, list[float]]:
    """One round of every case on tlsync's client (warm-ups dropped): the samples per case."""
    schema = create_demo_schema()
    connect_text = serialize_message(make_connect_message(settings.shapes, schema))
    warmup = settings.py_warmup
    hydrations, bench = run_hydrate(
        schema, connect_text, warmup[HYDRATE] + settings.trials[HYDRATE], collect
    )
    samples = {HYDRATE: hydrations[warmup[HYDRATE] :]}
    try:
        texts = rebase_texts(settings, warmup)
        run = 1
        for variant in REBASES:
            got = run_rebase(bench, variant, texts[variant], run, settings.pending, collect=collect)
            samples[variant] = got[warmup[variant] :]
            run += len(texts[variant])
        runs = warmup[EDIT] + settings.trials[EDIT]
        got = run_edits(bench, settings.edits, settings.shapes, runs, collect)
        samples[EDIT] = got[warmup[EDIT] :]
    finally:
        bench.close()
    return samples


def _run_python(settings: Settings) -> dict[str, Outcome]:
    return measured(CASES, lambda: measure_python(settings))


# --------------------------------------------------------------------------------------------
# the Node side
# --------------------------------------------------------------------------------------------


def write_node_input(settings: Settings, directory: Path) -> Path:
    """The messages and counts for ``client.mjs`` (the same texts the Python side parses)."""
    schema = create_demo_schema()
    connect_text = serialize_message(make_connect_message(settings.shapes, schema))
    path = directory / "client-input.json"
    path.write_text(json.dumps(node_input(settings, connect_text)), encoding="utf-8")
    return path


def run_node(settings: Settings, input_path: Path, info: NodeInfo) -> dict[str, Outcome]:
    """One round of every case in a fresh Node process."""
    if info.unavailable is not None:
        return not_run(CASES, info.unavailable)
    report, error = run_node_json(
        NODE_SCRIPT, ["--input", str(input_path)], settings.node_timeout_s, env=production_env()
    )
    if report is None:
        return failed(CASES, error)
    info.library_version = str(report.get("version", "?"))
    if report.get("error"):
        return failed(CASES, str(report["error"]))
    samples: dict[str, list[float]] = report["samples"]
    return {case: Outcome(samples=[float(v) for v in samples[case]]) for case in CASES}


# --------------------------------------------------------------------------------------------
# the run and the table
# --------------------------------------------------------------------------------------------


def run_all(settings: Settings, sides: Sides) -> Results:
    """Every round runs all cases on each implementation, alternating which goes first."""
    results, active = new_results(CASES, IMPLS, sides)
    with tempfile.TemporaryDirectory(prefix="tlsync-client-bench-") as tmp:
        input_path = write_node_input(settings, Path(tmp)) if NODE in active else None

        def measure(impl: str) -> dict[str, Outcome]:
            if impl == NODE:
                assert input_path is not None
                return run_node(settings, input_path, sides.node)
            return _run_python(settings)

        steps = [Step("", CASES, measure)]
        run_rounds(results, active, settings.rounds, steps, IMPL_LABELS)
    return results


HEADERS = ("case", "size", "unit", "tlsync", "@tldraw/sync-core", "tlsync ÷ node")


def case_rows(settings: Settings) -> dict[str, tuple[str, str, str]]:
    """Each case's label, size and unit."""
    moved = f"{settings.pending:,} pending, {settings.remote:,} remote"
    return {
        HYDRATE: ("hydrate (connect text → on_load)", f"{settings.shapes:,} shapes", "ms"),
        REBASE_ONE: ("rebase, 1 push pending", moved, "ms"),
        REBASE_MANY: (f"rebase, {settings.pending:,} pushes pending", moved, "ms"),
        EDIT: ("edit-to-push", f"{settings.edits:,} edits", "µs/change"),
    }


def table_rows(results: Results, settings: Settings) -> list[tuple[str, ...]]:
    labels = case_rows(settings)
    rows: list[tuple[str, ...]] = []
    for case in CASES:
        ours, node = results[case][TLSYNC], results[case][NODE]
        ratio = fmt_ratio(ours.median, node.median, TARGETS[case])
        rows.append((*labels[case], fmt_ms(ours), fmt_ms(node), ratio))
    return rows


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------


def _count(value: str) -> int:
    try:
        number = int(value.replace("_", ""))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from exc
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value!r}")
    return number


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = runner_parser(
        "python -m bench.client",
        "Client benchmark: tlsync's TLSyncClient vs @tldraw/sync-core's (Node).",
        IMPLS,
        rounds_type=_count,
    )
    parser.add_argument("--trials", type=_count, help="override the timed trials of every case")
    parser.add_argument("--shapes", type=_count, help="shapes in the room (default 10000)")
    parser.add_argument("--pending", type=_count, help="pending local records (default 1000)")
    parser.add_argument("--remote", type=_count, help="records in the remote patch (default 100)")
    parser.add_argument("--edits", type=_count, help="edits per edit-to-push trial (default 1000)")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> tuple[Settings, str]:
    """The preset (full or quick) with the command line's overrides, and the mode."""
    settings, mode = preset(
        args,
        FULL,
        QUICK,
        rounds=args.rounds,
        shapes=args.shapes,
        pending=args.pending,
        remote=args.remote,
        edits=args.edits,
        trials=None if args.trials is None else dict.fromkeys(CASES, args.trials),
    )
    if max(settings.pending, settings.remote) > settings.shapes:
        raise SystemExit("--pending and --remote must not exceed --shapes")
    return settings, mode


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings, mode = settings_from(args)
    sides = prepare_sides(args.impls, NODE, NODE_PACKAGE)
    results, elapsed = timed(lambda: run_all(settings, sides))

    versions = [cpython()]
    if sides.runs(NODE):
        versions.append(sides.node.describe("@tldraw/sync-core"))
    print_header(
        f"client benchmark ({mode}: {settings.rounds} round(s)) on {os.cpu_count()} CPU(s), "
        f"{elapsed:.0f} s",
        "; ".join(versions),
        "medians over all trials; ratios are tlsync ÷ @tldraw/sync-core (above 1: we are "
        "slower) with their target: ✓ met, ✗ missed",
    )
    print(render_table(HEADERS, table_rows(results, settings), args.markdown))
    payload = {"mode": mode, "settings": dataclasses.asdict(settings), "versions": versions}
    return finish(results, IMPL_LABELS, args, payload)


if __name__ == "__main__":
    sys.exit(main())

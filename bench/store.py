"""Store benchmark: tlsync's ``Store`` (CPython) vs ``@tldraw/store`` (Node), in one run.

Run from the repository root with the venv active::

    python -m bench.store                # full run (2 rounds), plain-text tables
    python -m bench.store --quick        # smoke run (1 round, N = 1,000 and 10,000)
    python -m bench.store --markdown --sizes 10000 --memory-size 10000

The workload is :mod:`bench.store_cases` (Python) and ``bench/node/store.mjs`` (Node): on a
fresh store, put N new records in one call; put each record once (one ``put`` call per record,
so the per-operation overhead shows); ``update(id, fn)`` each record once; the same two loops
with one ``listen`` listener attached, flushed once per operation on both sides; remove all N in
one call. Every step checks the record count, sample records and the listener's calls, so every
timing is of a correct run.

Method. For each size, each implementation runs untimed warm-up trials (Python: ``py-warmup-runs``
of ``warmup-size`` records, Node: ``node-warmup-runs`` of them so the JIT settles; then
``warmup-trials`` of N records on both), then ``trials`` timed trials, each on a fresh store.
Python runs ``gc.collect()`` before each timed operation; Node forces no GC (a forced V8 GC made
@tldraw/store 2-5x slower, see store.mjs). Each round runs every size on both implementations,
one size at a time (the order of the implementations is reversed on odd rounds), then the memory
measurement; the Node side is a fresh ``node bench/node/store.mjs --json`` process per size and
round, with ``NODE_ENV=production``. Reported: the median ms per operation over all trials of all
rounds, µs per record, and ``tlsync ÷ tldraw``. The listen overhead is the difference of the
medians with and without the listener.

Memory (N = the largest size unless ``--memory-size``): bytes per record, Python by
``tracemalloc`` and Node by ``process.memoryUsage().heapUsed`` (``node --expose-gc``, after full
GCs). The exit status is 1 if any check failed.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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
    fmt_number,
    fmt_times,
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
    tlsync_version,
)
from bench.store_cases import (
    MEMORY_KINDS,
    MEMORY_RECORDS,
    MEMORY_STORE,
    MEMORY_TOTAL,
    OPS,
    PUT_ALL,
    PUT_EACH,
    PUT_EACH_LISTEN,
    REMOVE_ALL,
    UPDATE_EACH,
    UPDATE_EACH_LISTEN,
    make_records,
    make_schema,
    measure_memory,
    run_trial,
)

NODE_SCRIPT = NODE_DIR / "store.mjs"
NODE_PACKAGE = "@tldraw/store"

TLSYNC = "tlsync"
TLDRAW = "tldraw"
IMPLS: tuple[str, ...] = (TLSYNC, TLDRAW)
IMPL_LABELS = {TLSYNC: "tlsync", TLDRAW: "@tldraw/store"}

OP_LABELS = {
    PUT_ALL: "put N new records (one call)",
    PUT_EACH: "put each record (one call per record)",
    UPDATE_EACH: "update(id, fn) each record",
    PUT_EACH_LISTEN: "put each record, 1 listener",
    UPDATE_EACH_LISTEN: "update(id, fn) each record, 1 listener",
    REMOVE_ALL: "remove N records (one call)",
}
#: (label, with listener, without listener)
LISTEN_OVERHEADS = (
    ("listen overhead: put each", PUT_EACH_LISTEN, PUT_EACH),
    ("listen overhead: update each", UPDATE_EACH_LISTEN, UPDATE_EACH),
)
MEMORY_LABELS = {
    MEMORY_TOTAL: "records + store",
    MEMORY_STORE: "store only (what put added)",
    MEMORY_RECORDS: "the records alone",
}
MEMORY = "memory"


@dataclass(frozen=True)
class Settings:
    """What to measure, how long and how often."""

    rounds: int
    trials: int
    sizes: tuple[int, ...]
    memory_size: int  # 0: no memory measurement
    warmup_trials: int
    warmup_size: int
    py_warmup_runs: int
    node_warmup_runs: int
    node_timeout_s: float


FULL = Settings(
    rounds=2,
    trials=5,
    sizes=(10_000, 100_000),
    memory_size=100_000,
    warmup_trials=1,
    warmup_size=1_000,
    py_warmup_runs=2,
    node_warmup_runs=30,
    node_timeout_s=900,
)
QUICK = Settings(
    rounds=1,
    trials=2,
    sizes=(1_000, 10_000),
    memory_size=10_000,
    warmup_trials=0,
    warmup_size=1_000,
    py_warmup_runs=1,
    node_warmup_runs=10,
    node_timeout_s=120,
)


def case_key(op: str, size: int) -> str:
    """The results key of one operation at one size (also what notes print)."""
    return f"{op} N={size}"


def memory_key(kind: str) -> str:
    return f"{MEMORY} {kind}"


# --------------------------------------------------------------------------------------------
# Python measurement
# --------------------------------------------------------------------------------------------


def measure_python(size: int, settings: Settings) -> dict[str, list[float]]:
    """Warm up, then ``settings.trials`` trials of ``size`` records: ms per operation."""
    schema = make_schema()
    for _ in range(settings.py_warmup_runs):
        run_trial(make_records(settings.warmup_size), schema)
    records = make_records(size)
    for _ in range(settings.warmup_trials):
        run_trial(records, schema)
    samples: dict[str, list[float]] = {op: [] for op in OPS}
    for _ in range(settings.trials):
        for op, ms in run_trial(records, schema).items():
            samples[op].append(ms)
    return samples


def _run_python(size: int, settings: Settings) -> dict[str, Outcome]:
    return measured(OPS, lambda: measure_python(size, settings))


def _run_python_memory(size: int) -> dict[str, Outcome]:
    def measure() -> dict[str, list[float]]:
        return {kind: [value] for kind, value in measure_memory(size).items()}

    return measured(MEMORY_KINDS, measure)


# --------------------------------------------------------------------------------------------
# Node measurement
# --------------------------------------------------------------------------------------------


def _node_report(
    args: list[str], settings: Settings, info: NodeInfo, node_options: Sequence[str] = ()
) -> tuple[dict[str, Any] | None, str | None]:
    report, error = run_node_json(
        NODE_SCRIPT,
        args,
        settings.node_timeout_s,
        node_options=node_options,
        env=production_env(),
    )
    if report is None:
        return None, error
    info.library_version = str(report.get("version", "?"))
    results: list[dict[str, Any]] = report["results"]
    if len(results) != 1:
        return None, f"node reported {len(results)} results, expected 1"
    result = results[0]
    if result["kind"] == "error":
        return None, str(result["error"])
    if result.get("frozen"):
        return None, "records were frozen by devFreeze (NODE_ENV is development or test)"
    return result, None


def run_node(size: int, settings: Settings, info: NodeInfo) -> dict[str, Outcome]:
    """Time one size in a fresh Node process; the samples of every operation (or the error)."""
    if info.unavailable is not None:
        return not_run(OPS, info.unavailable)
    result, error = _node_report(
        [
            "--size",
            str(size),
            "--trials",
            str(settings.trials),
            "--warmup-trials",
            str(settings.warmup_trials),
            "--warmup-runs",
            str(settings.node_warmup_runs),
            "--warmup-size",
            str(settings.warmup_size),
        ],
        settings,
        info,
    )
    if result is None:
        return failed(OPS, error)
    return {op: Outcome(samples=[float(v) for v in result["ms"][op]]) for op in OPS}


def run_node_memory(size: int, settings: Settings, info: NodeInfo) -> dict[str, Outcome]:
    """Bytes per record from a fresh ``node --expose-gc`` process."""
    if info.unavailable is not None:
        return not_run(MEMORY_KINDS, info.unavailable)
    result, error = _node_report(["--memory", str(size)], settings, info, ["--expose-gc"])
    if result is None:
        return failed(MEMORY_KINDS, error)
    per_record: dict[str, float] = result["bytesPerRecord"]
    return {kind: Outcome(samples=[float(per_record[kind])]) for kind in MEMORY_KINDS}


# --------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------


def run_all(settings: Settings, sides: Sides) -> Results:
    """Every round runs each size on every implementation (interleaved), then the memory one."""
    keys = [case_key(op, size) for op in OPS for size in settings.sizes]
    if settings.memory_size > 0:
        keys += [memory_key(kind) for kind in MEMORY_KINDS]
    results, active = new_results(keys, IMPLS, sides)

    def time_step(size: int) -> Step:
        def measure(impl: str) -> dict[str, Outcome]:
            if impl == TLDRAW:
                parts = run_node(size, settings, sides.node)
            else:
                parts = _run_python(size, settings)
            return {case_key(op, size): part for op, part in parts.items()}

        return Step(f"N={size:<8} ", [case_key(op, size) for op in OPS], measure)

    def measure_memory_step(impl: str) -> dict[str, Outcome]:
        if impl == TLDRAW:
            parts = run_node_memory(settings.memory_size, settings, sides.node)
        else:
            parts = _run_python_memory(settings.memory_size)
        return {memory_key(kind): part for kind, part in parts.items()}

    steps = [time_step(size) for size in settings.sizes]
    if settings.memory_size > 0:
        memory_keys = [memory_key(kind) for kind in MEMORY_KINDS]
        steps.append(Step("memory   ", memory_keys, measure_memory_step))
    run_rounds(results, active, settings.rounds, steps, IMPL_LABELS)
    return results


# --------------------------------------------------------------------------------------------
# the tables
# --------------------------------------------------------------------------------------------

TIME_HEADERS = (
    "operation",
    "N",
    "tlsync ms",
    "@tldraw/store ms",
    "tlsync µs/record",
    "@tldraw/store µs/record",
    "tlsync ÷ tldraw",
)
MEMORY_HEADERS = (
    "memory",
    "N",
    "tlsync bytes/record",
    "@tldraw/store bytes/record",
    "tlsync ÷ tldraw",
)


def _per_record(value: float | None, size: int) -> str:
    return "n/a" if value is None else fmt_number(value * 1000 / size)


def _fmt_signed(value: float | None) -> str:
    if value is None:
        return "n/a"
    return ("-" if value < 0 else "") + fmt_number(abs(value))


def time_rows(results: Results, sizes: Sequence[int]) -> list[tuple[str, ...]]:
    """One row per operation and size, then the listen overheads."""
    rows: list[tuple[str, ...]] = []
    for op in OPS:
        for size in sizes:
            ours, node = (results[case_key(op, size)][impl] for impl in IMPLS)
            rows.append(
                (
                    OP_LABELS[op],
                    f"{size:,}",
                    fmt_ms(ours),
                    fmt_ms(node),
                    _per_record(ours.median, size),
                    _per_record(node.median, size),
                    fmt_times(ours.median, node.median),
                )
            )
    for label, with_listener, without in LISTEN_OVERHEADS:
        for size in sizes:
            overhead: dict[str, float | None] = {}
            for impl in IMPLS:
                a = results[case_key(with_listener, size)][impl].median
                b = results[case_key(without, size)][impl].median
                overhead[impl] = None if a is None or b is None else a - b
            ours_ms, node_ms = overhead[TLSYNC], overhead[TLDRAW]
            rows.append(
                (
                    label,
                    f"{size:,}",
                    _fmt_signed(ours_ms),
                    _fmt_signed(node_ms),
                    "n/a" if ours_ms is None else _fmt_signed(ours_ms * 1000 / size),
                    "n/a" if node_ms is None else _fmt_signed(node_ms * 1000 / size),
                    fmt_times(ours_ms, node_ms),
                )
            )
    return rows


def _fmt_bytes(cell: Outcome) -> str:
    return fmt_ms(cell, lambda value: f"{value:.0f}")


def memory_rows(results: Results, size: int) -> list[tuple[str, ...]]:
    """One row per kind of memory: the median bytes per record and the ratio."""
    rows: list[tuple[str, ...]] = []
    for kind in MEMORY_KINDS:
        ours, node = (results[memory_key(kind)][impl] for impl in IMPLS)
        rows.append(
            (
                MEMORY_LABELS[kind],
                f"{size:,}",
                _fmt_bytes(ours),
                _fmt_bytes(node),
                fmt_times(ours.median, node.median),
            )
        )
    return rows


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------


def _sizes(value: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(v.replace("_", "")) for v in value.split(",") if v.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"sizes are integers: {value!r}") from exc
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"sizes are at least 1: {value!r}")
    return sizes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = runner_parser(
        "python -m bench.store", "Store benchmark: tlsync's Store vs @tldraw/store (Node).", IMPLS
    )
    parser.add_argument(
        "--sizes", type=_sizes, help="comma-separated record counts (default 10000,100000)"
    )
    parser.add_argument(
        "--memory-size",
        type=int,
        help="record count of the memory measurement (default: the largest size; 0: skip it)",
    )
    parser.add_argument("--trials", type=int, help="override the trials per round")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> tuple[Settings, str]:
    """The preset (full or quick) with the command line's overrides, and the mode."""
    # --rounds 0 and --trials 0 (as if not given) keep the preset's
    rounds, trials = args.rounds or None, args.trials or None
    settings, mode = preset(args, FULL, QUICK, rounds=rounds, trials=trials, sizes=args.sizes)
    memory_size = args.memory_size if args.memory_size is not None else max(settings.sizes)
    if memory_size < 0:
        raise SystemExit("--memory-size must be at least 0")
    return dataclasses.replace(settings, memory_size=memory_size), mode


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings, mode = settings_from(args)
    sides = prepare_sides(args.impls, TLDRAW, NODE_PACKAGE)
    results, elapsed = timed(lambda: run_all(settings, sides))

    versions = [cpython()]
    if sides.runs(TLSYNC):
        versions.append(f"tlsync {tlsync_version()}")
    if sides.runs(TLDRAW):
        versions.append(sides.node.describe("@tldraw/store"))
    print_header(
        f"store benchmark ({mode}: {settings.rounds} round(s) x {settings.trials} trials per size, "
        f"each on a fresh store) on {os.cpu_count()} CPU(s), {elapsed:.0f} s",
        "; ".join(versions),
        "median ms per operation over all records; µs/record = ms × 1000 ÷ N; "
        "ratios are tlsync ÷ @tldraw/store (above 1: we are slower)",
    )
    print(render_table(TIME_HEADERS, time_rows(results, settings.sizes), args.markdown))
    if settings.memory_size > 0:
        print()
        print_header(
            "memory per record (tlsync: tracemalloc; @tldraw/store: heapUsed after GC); "
            "above 1: we use more"
        )
        rows = memory_rows(results, settings.memory_size)
        print(render_table(MEMORY_HEADERS, rows, args.markdown))
    payload = {"mode": mode, "settings": dataclasses.asdict(settings), "versions": versions}
    return finish(results, IMPL_LABELS, args, payload)


if __name__ == "__main__":
    sys.exit(main())

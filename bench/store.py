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
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.runner import (
    NODE_DIR,
    TIMES,
    NodeInfo,
    Outcome,
    Results,
    Skip,
    clear_progress,
    csv_arg,
    fmt_ms,
    fmt_number,
    json_results,
    merge,
    notes,
    prepare_node,
    progress,
    render_table,
    run_node_json,
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
    tlsync_version,
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
    try:
        samples = measure_python(size, settings)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        return {op: Outcome(error=error) for op in OPS}
    return {op: Outcome(samples=samples[op]) for op in OPS}


def _run_python_memory(size: int) -> dict[str, Outcome]:
    try:
        per_record = measure_memory(size)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        return {kind: Outcome(error=error) for kind in MEMORY_KINDS}
    return {kind: Outcome(samples=[per_record[kind]]) for kind in MEMORY_KINDS}


# --------------------------------------------------------------------------------------------
# Node measurement
# --------------------------------------------------------------------------------------------


def _node_env() -> dict[str, str]:
    """The caller's environment with NODE_ENV=production (no devFreeze, no test-mode timing)."""
    return {**os.environ, "NODE_ENV": "production"}


def _node_report(
    args: list[str], settings: Settings, info: NodeInfo, node_options: Sequence[str] = ()
) -> tuple[dict[str, Any] | None, str | None]:
    report, error = run_node_json(
        [str(NODE_SCRIPT), "--json", *args],
        settings.node_timeout_s,
        node_options=node_options,
        env=_node_env(),
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
        return {op: Outcome(skip=Skip("n/a", info.unavailable)) for op in OPS}
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
        return {op: Outcome(error=error) for op in OPS}
    return {op: Outcome(samples=[float(v) for v in result["ms"][op]]) for op in OPS}


def run_node_memory(size: int, settings: Settings, info: NodeInfo) -> dict[str, Outcome]:
    """Bytes per record from a fresh ``node --expose-gc`` process."""
    if info.unavailable is not None:
        return {kind: Outcome(skip=Skip("n/a", info.unavailable)) for kind in MEMORY_KINDS}
    result, error = _node_report(["--memory", str(size)], settings, info, ["--expose-gc"])
    if result is None:
        return {kind: Outcome(error=error) for kind in MEMORY_KINDS}
    per_record: dict[str, float] = result["bytesPerRecord"]
    return {kind: Outcome(samples=[float(per_record[kind])]) for kind in MEMORY_KINDS}


# --------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------


def run_all(
    impls: Sequence[str],
    settings: Settings,
    *,
    unavailable: dict[str, str],
    node_info: NodeInfo,
    progress: Callable[[str], None],
) -> Results:
    """Every round runs each size on every implementation (interleaved), then the memory one."""
    keys = [case_key(op, size) for op in OPS for size in settings.sizes]
    if settings.memory_size > 0:
        keys += [memory_key(kind) for kind in MEMORY_KINDS]
    results: Results = {key: {impl: Outcome() for impl in IMPLS} for key in keys}
    for impl in IMPLS:
        if impl not in impls:
            for key in keys:
                results[key][impl].skip = Skip("—", "not selected (--impls)")
        elif impl in unavailable:
            for key in keys:
                results[key][impl].skip = Skip("n/a", unavailable[impl])
    active = [impl for impl in IMPLS if impl in impls and impl not in unavailable]
    for round_no in range(settings.rounds):
        order = active if round_no % 2 == 0 else list(reversed(active))
        for size in settings.sizes:
            for impl in order:
                if any(results[case_key(op, size)][impl].error is not None for op in OPS):
                    continue
                progress(f"round {round_no + 1}/{settings.rounds}  N={size:<8} {IMPL_LABELS[impl]}")
                if impl == TLDRAW:
                    parts = run_node(size, settings, node_info)
                else:
                    parts = _run_python(size, settings)
                for op, part in parts.items():
                    merge(results[case_key(op, size)][impl], part)
        if settings.memory_size > 0:
            for impl in order:
                if any(results[memory_key(k)][impl].error is not None for k in MEMORY_KINDS):
                    continue
                progress(f"round {round_no + 1}/{settings.rounds}  memory   {IMPL_LABELS[impl]}")
                if impl == TLDRAW:
                    parts = run_node_memory(settings.memory_size, settings, node_info)
                else:
                    parts = _run_python_memory(settings.memory_size)
                for kind, part in parts.items():
                    merge(results[memory_key(kind)][impl], part)
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


def _ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs is None or theirs <= 0 or ours < 0:
        return "n/a"
    return f"{ours / theirs:.1f}{TIMES}"


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
                    _ratio(ours.median, node.median),
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
                    _ratio(ours_ms, node_ms),
                )
            )
    return rows


def _fmt_bytes(cell: Outcome) -> str:
    if cell.error is not None:
        return "FAILED"
    if cell.skip is not None:
        return cell.skip.label
    return "n/a" if cell.median is None else f"{cell.median:.0f}"


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
                _ratio(ours.median, node.median),
            )
        )
    return rows


def _json_payload(results: Results, settings: Settings, mode: str, versions: list[str]) -> str:
    payload = {
        "mode": mode,
        "settings": dataclasses.asdict(settings),
        "versions": versions,
        "results": json_results(results),
    }
    return json.dumps(payload, indent=2) + "\n"


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


def _impls(value: str) -> list[str]:
    return csv_arg(value, IMPLS, "implementation")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.store",
        description="Store benchmark: tlsync's Store vs @tldraw/store (Node).",
    )
    parser.add_argument("--quick", action="store_true", help="1 short round (smoke test)")
    parser.add_argument(
        "--sizes", type=_sizes, help="comma-separated record counts (default 10000,100000)"
    )
    parser.add_argument(
        "--memory-size",
        type=int,
        help="record count of the memory measurement (default: the largest size; 0: skip it)",
    )
    parser.add_argument(
        "--impls",
        type=_impls,
        default=list(IMPLS),
        help="comma-separated implementations (default: all): " + ",".join(IMPLS),
    )
    parser.add_argument("--markdown", action="store_true", help="print markdown tables")
    parser.add_argument("--rounds", type=int, help="override the number of rounds")
    parser.add_argument("--trials", type=int, help="override the trials per round")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write raw results here")
    return parser.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    """The preset (full or quick) with the command line's overrides."""
    settings = QUICK if args.quick else FULL
    sizes: tuple[int, ...] = args.sizes or settings.sizes
    memory_size = args.memory_size if args.memory_size is not None else max(sizes)
    if memory_size < 0:
        raise SystemExit("--memory-size must be at least 0")
    return dataclasses.replace(
        settings,
        rounds=args.rounds or settings.rounds,
        trials=args.trials or settings.trials,
        sizes=sizes,
        memory_size=memory_size,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = settings_from(args)
    unavailable: dict[str, str] = {}
    node_info = NodeInfo()
    if TLDRAW in args.impls:
        node_info = prepare_node(NODE_PACKAGE)
        if node_info.unavailable is not None:
            unavailable[TLDRAW] = node_info.unavailable

    started = time.perf_counter()
    results = run_all(
        args.impls,
        settings,
        unavailable=unavailable,
        node_info=node_info,
        progress=progress,
    )
    clear_progress()
    elapsed = time.perf_counter() - started

    versions = [f"CPython {platform.python_version()}"]
    if TLSYNC in args.impls:
        versions.append(f"tlsync {tlsync_version()}")
    if TLDRAW not in unavailable and TLDRAW in args.impls:
        versions.append(
            f"@tldraw/store {node_info.library_version} on node {node_info.node_version}"
        )
    mode = "quick" if args.quick else "full"
    print(
        f"store benchmark ({mode}: {settings.rounds} round(s) x {settings.trials} trials per size, "
        f"each on a fresh store) on {os.cpu_count()} CPU(s), {elapsed:.0f} s"
    )
    print("; ".join(versions))
    print(
        "median ms per operation over all records; µs/record = ms × 1000 ÷ N; "
        "ratios are tlsync ÷ @tldraw/store (above 1: we are slower)"
    )
    print()
    print(render_table(TIME_HEADERS, time_rows(results, settings.sizes), args.markdown))
    if settings.memory_size > 0:
        print()
        print(
            "memory per record (tlsync: tracemalloc; @tldraw/store: heapUsed after GC); "
            "above 1: we use more"
        )
        print()
        rows = memory_rows(results, settings.memory_size)
        print(render_table(MEMORY_HEADERS, rows, args.markdown))
    extra = notes(results, IMPL_LABELS)
    if extra:
        print()
        for line in extra:
            print(("- " if args.markdown else "") + line)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(_json_payload(results, settings, mode, versions))
    failed = any(cell.error is not None for cells in results.values() for cell in cells.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Signals benchmark: tlsync vs reaktiv (CPython) vs @tldraw/state (Node), in one run.

Run from the repository root with the venv active::

    python -m bench.signals              # full run (2 rounds), plain-text table
    python -m bench.signals --quick      # smoke run (1 round, short trials)
    python -m bench.signals --markdown --cases diamond,cellx1000

Method (signals.md §3.2). Kairo cases: build the graph once, warm up (Python: >= 2 ``iter()``
calls and ``warmup-ms``; Node: >= 20 calls and ``warmup-ms``), choose a fixed number of ``iter()``
calls per trial so that one trial takes about ``trial-ms``, then time ``trials`` trials. cellx: a
fresh, untimed build per run; the reads, the batched update and the reads again are timed.
Python runs ``gc.collect()`` before each timed trial or cellx update; Node forces no GC (a forced
V8 GC promotes the graph and slows the steady state; see signals.mjs). Reported: the median ms per
``iter()`` (cellx: per update) pooled over all rounds. Each round runs
every case on every implementation, one case at a time (the order of the implementations is
reversed on odd rounds), so machine noise hits all of them alike. The Node side runs as a
subprocess per case and round (``node bench/node/signals.mjs --json``); ``npm ci`` is run first if
``bench/node/node_modules`` is missing.

Every case checks its values and effect counts, so every timing is of a correct run. reaktiv
0.24.2 cannot finish cellx (its dirty-marking is exponential on path-rich graphs, signals.md
§2.1), so cellx is not run on it. Everything runs in the calling thread at the default recursion
limit (a library that needs deep recursion for cellx is reported as FAILED, as a user would see
it). The exit status is 1 if any case failed its checks.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.adapters import (
    ReaktivAdapter,
    TlsyncAdapter,
    reaktiv_unavailable_reason,
    tlsync_unavailable_reason,
)
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
    json_results,
    merge,
    prepare_node,
    progress,
    render_table,
    run_node_json,
)
from bench.runner import notes as runner_notes
from bench.signals_cases import (
    ALL_CASE_NAMES,
    CELLX_CASES,
    KAIRO_CASES,
    CellxCase,
    Framework,
    KairoCase,
    cellx_build,
)

NODE_SCRIPT = NODE_DIR / "signals.mjs"
NODE_PACKAGE = "@tldraw/state"

TLSYNC = "tlsync"
REAKTIV = "reaktiv"
TLDRAW = "tldraw"
IMPLS: tuple[str, ...] = (TLSYNC, REAKTIV, TLDRAW)
IMPL_LABELS = {TLSYNC: "tlsync", REAKTIV: "reaktiv", TLDRAW: "@tldraw/state"}

#: the ratio targets: (reaktiv ÷ tlsync at least, tlsync ÷ tldraw at most)
KAIRO_TARGETS = (5.0, 6.0)
CELLX_TARGET = 4.0


@dataclass(frozen=True)
class Settings:
    """How long and how often to measure."""

    rounds: int
    trials: int
    trial_ms: float
    py_warmup_ms: float
    node_warmup_ms: float
    cellx_runs: int
    node_cellx_runs: int
    py_cellx_warmup: int
    node_cellx_warmup: int
    node_timeout_s: float


FULL = Settings(
    rounds=2,
    trials=7,
    trial_ms=100,
    py_warmup_ms=60,
    node_warmup_ms=200,
    cellx_runs=7,
    node_cellx_runs=15,
    py_cellx_warmup=1,
    node_cellx_warmup=5,
    node_timeout_s=600,
)
QUICK = Settings(
    rounds=1,
    trials=3,
    trial_ms=25,
    py_warmup_ms=10,
    node_warmup_ms=150,
    cellx_runs=3,
    node_cellx_runs=3,
    py_cellx_warmup=0,
    node_cellx_warmup=3,
    node_timeout_s=120,
)


# --------------------------------------------------------------------------------------------
# Python measurement
# --------------------------------------------------------------------------------------------


def _python_adapter(impl: str) -> Framework:
    if impl == TLSYNC:
        return TlsyncAdapter()
    return ReaktivAdapter()


def measure_python_kairo(impl: str, case: KairoCase, settings: Settings) -> list[float]:
    """Build ``case`` once on ``impl``, warm up, time ``settings.trials`` trials (ms/iter each)."""
    fw = _python_adapter(impl)
    try:
        iterate = case.build(fw)
        calls = 0
        warmup_s = settings.py_warmup_ms / 1000
        t0 = time.perf_counter()
        while calls < 2 or time.perf_counter() - t0 < warmup_s:
            iterate()
            calls += 1
        per_iter = (time.perf_counter() - t0) / calls
        n = max(1, min(100_000, round(settings.trial_ms / 1000 / per_iter)))
        ms_per_iter: list[float] = []
        for _ in range(settings.trials):
            gc.collect()
            start = time.perf_counter()
            for _ in range(n):
                iterate()
            ms_per_iter.append((time.perf_counter() - start) * 1000 / n)
        return ms_per_iter
    finally:
        fw.cleanup()


def measure_python_cellx(impl: str, case: CellxCase, settings: Settings) -> list[float]:
    """A fresh cellx graph per run; time reads + update + reads (ms per update)."""
    if impl == REAKTIV:
        raise Skip(
            "did not finish",
            "reaktiv 0.24.2 re-notifies per path (exponential on cellx); not run",
        )
    timings: list[float] = []
    for run in range(settings.py_cellx_warmup + settings.cellx_runs):
        fw = _python_adapter(impl)
        try:
            graph = cellx_build(fw, case.layers)
            gc.collect()
            start = time.perf_counter()
            before, after = graph.run()
            elapsed = (time.perf_counter() - start) * 1000
            graph.check(before, after)
            if run >= settings.py_cellx_warmup:
                timings.append(elapsed)
        finally:
            fw.cleanup()
    return timings


# --------------------------------------------------------------------------------------------
# Node measurement
# --------------------------------------------------------------------------------------------


def run_node(case_name: str, settings: Settings, info: NodeInfo) -> Outcome:
    """Run one case in a fresh Node process; return its samples (or its error)."""
    cell = Outcome()
    if info.unavailable is not None:
        cell.skip = Skip("n/a", info.unavailable)
        return cell
    report, error = run_node_json(
        [
            str(NODE_SCRIPT),
            "--json",
            "--cases",
            case_name,
            "--trials",
            str(settings.trials),
            "--trial-ms",
            str(settings.trial_ms),
            "--warmup-ms",
            str(settings.node_warmup_ms),
            "--cellx-runs",
            str(settings.node_cellx_runs),
            "--cellx-warmup",
            str(settings.node_cellx_warmup),
        ],
        settings.node_timeout_s,
    )
    if report is None:
        cell.error = error
        return cell
    info.library_version = str(report.get("version", "?"))
    result: dict[str, Any] = report["results"][case_name]
    if result["kind"] == "error":
        cell.error = str(result["error"])
    elif result["kind"] == "kairo":
        cell.samples = [float(v) for v in result["msPerIter"]]
    else:
        cell.samples = [float(v) for v in result["ms"]]
    return cell


# --------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------


def _run_python(impl: str, case_name: str, settings: Settings) -> Outcome:
    cell = Outcome()
    try:
        kairo = next((c for c in KAIRO_CASES if c.name == case_name), None)
        if kairo is not None:
            cell.samples = measure_python_kairo(impl, kairo, settings)
        else:
            cellx = next(c for c in CELLX_CASES if c.name == case_name)
            cell.samples = measure_python_cellx(impl, cellx, settings)
    except Skip as skip:
        cell.skip = skip
    except Exception as exc:
        cell.error = f"{type(exc).__name__}: {exc}"
    return cell


def run_all(
    cases: Sequence[str],
    impls: Sequence[str],
    settings: Settings,
    *,
    unavailable: dict[str, str],
    node_info: NodeInfo,
    progress: Callable[[str], None],
) -> Results:
    """Every round runs each case on every implementation (interleaved)."""
    results: Results = {case: {impl: Outcome() for impl in IMPLS} for case in cases}
    for impl in IMPLS:
        if impl not in impls:
            for case in cases:
                results[case][impl].skip = Skip("—", "not selected (--impls)")
        elif impl in unavailable:
            for case in cases:
                results[case][impl].skip = Skip("n/a", unavailable[impl])
    active = [impl for impl in IMPLS if impl in impls and impl not in unavailable]
    for round_no in range(settings.rounds):
        order = active if round_no % 2 == 0 else list(reversed(active))
        for case in cases:
            for impl in order:
                if results[case][impl].skip is not None or results[case][impl].error is not None:
                    continue
                progress(f"round {round_no + 1}/{settings.rounds}  {case:<22} {IMPL_LABELS[impl]}")
                if impl == TLDRAW:
                    part = run_node(case, settings, node_info)
                else:
                    part = _run_python(impl, case, settings)
                merge(results[case][impl], part)
    return results


# --------------------------------------------------------------------------------------------
# the table
# --------------------------------------------------------------------------------------------


def _ratio(num: Outcome, den: Outcome, target: float | None, at_least: bool) -> str:
    a, b = num.median, den.median
    if a is None or b is None or b == 0:
        return "n/a"
    ratio = a / b
    text = f"{ratio:.1f}{TIMES}"
    if target is None:
        return f"{text} (report only)"
    ok = ratio >= target if at_least else ratio <= target
    sign = "≥" if at_least else "≤"
    return f"{text} {'✓' if ok else '✗'} ({sign}{target:g})"


HEADERS = (
    "case",
    "tlsync ms",
    "reaktiv ms",
    "@tldraw/state ms",
    "reaktiv ÷ tlsync",
    "tlsync ÷ tldraw",
)


def table_rows(results: Results) -> list[tuple[str, ...]]:
    """One row per case: the medians and the two ratios with their targets."""
    rows: list[tuple[str, ...]] = []
    kairo_targets = {c.name: c.has_targets for c in KAIRO_CASES}
    for case, cells in results.items():
        ours, theirs, node = cells[TLSYNC], cells[REAKTIV], cells[TLDRAW]
        if case in kairo_targets:
            label = case
            has_targets = kairo_targets[case]
            vs_reaktiv = _ratio(theirs, ours, KAIRO_TARGETS[0] if has_targets else None, True)
            vs_tldraw = _ratio(ours, node, KAIRO_TARGETS[1] if has_targets else None, False)
        else:
            label = f"{case} (per update)"
            vs_reaktiv = "n/a" if theirs.skip is not None else _ratio(theirs, ours, None, True)
            vs_tldraw = _ratio(ours, node, CELLX_TARGET, False)
        rows.append((label, fmt_ms(ours), fmt_ms(theirs), fmt_ms(node), vs_reaktiv, vs_tldraw))
    return rows


def notes(results: Results) -> list[str]:
    """Failures, skips and the round-to-round spread, one line each."""
    return runner_notes(results, IMPL_LABELS)


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.signals",
        description="Signals benchmark: tlsync vs reaktiv vs @tldraw/state (Node).",
    )
    parser.add_argument("--quick", action="store_true", help="1 short round (smoke test)")
    parser.add_argument(
        "--cases",
        type=lambda v: csv_arg(v, ALL_CASE_NAMES, "case"),
        default=list(ALL_CASE_NAMES),
        help="comma-separated cases (default: all): " + ",".join(ALL_CASE_NAMES),
    )
    parser.add_argument(
        "--impls",
        type=lambda v: csv_arg(v, IMPLS, "implementation"),
        default=list(IMPLS),
        help="comma-separated implementations (default: all): " + ",".join(IMPLS),
    )
    parser.add_argument("--markdown", action="store_true", help="print a markdown table")
    parser.add_argument("--rounds", type=int, help="override the number of rounds")
    parser.add_argument("--trials", type=int, help="override the trials per round")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write raw results here")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = QUICK if args.quick else FULL
    if args.rounds is not None or args.trials is not None:
        settings = dataclasses.replace(
            settings,
            rounds=args.rounds or settings.rounds,
            trials=args.trials or settings.trials,
        )
    order = [c for c in ALL_CASE_NAMES if c in args.cases]
    unavailable: dict[str, str] = {}
    if TLSYNC in args.impls and (reason := tlsync_unavailable_reason()) is not None:
        unavailable[TLSYNC] = reason
    if REAKTIV in args.impls and (reason := reaktiv_unavailable_reason()) is not None:
        unavailable[REAKTIV] = reason
    node_info = NodeInfo()
    if TLDRAW in args.impls:
        node_info = prepare_node(NODE_PACKAGE)
        if node_info.unavailable is not None:
            unavailable[TLDRAW] = node_info.unavailable

    started = time.perf_counter()
    results = run_all(
        order,
        args.impls,
        settings,
        unavailable=unavailable,
        node_info=node_info,
        progress=progress,
    )
    clear_progress()
    elapsed = time.perf_counter() - started

    versions = [f"CPython {platform.python_version()}"]
    if TLSYNC not in unavailable and TLSYNC in args.impls:
        versions.append(f"tlsync {TlsyncAdapter().version}")
    if REAKTIV not in unavailable and REAKTIV in args.impls:
        versions.append(f"reaktiv {ReaktivAdapter().version}")
    if TLDRAW not in unavailable and TLDRAW in args.impls:
        versions.append(
            f"@tldraw/state {node_info.library_version} on node {node_info.node_version}"
        )
    mode = "quick" if args.quick else "full"
    print(
        f"signals benchmark ({mode}: {settings.rounds} round(s) x {settings.trials} trials of "
        f"~{settings.trial_ms:g} ms; cellx: {settings.cellx_runs} fresh builds per round, "
        f"Node {settings.node_cellx_runs}) on {os.cpu_count()} CPU(s), {elapsed:.0f} s"
    )
    print("; ".join(versions))
    print("median ms per iter() (cellx: ms per update); ratios show their target, ✓ met, ✗ missed")
    print()
    print(render_table(HEADERS, table_rows(results), args.markdown))
    extra = notes(results)
    if extra:
        print()
        for line in extra:
            print(("- " if args.markdown else "") + line)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "mode": mode,
            "settings": dataclasses.asdict(settings),
            "versions": versions,
            "results": json_results(results),
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    failed = any(cell.error is not None for cells in results.values() for cell in cells.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

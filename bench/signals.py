"""Signals benchmark: tlsync vs reaktiv (CPython) vs @tldraw/state (Node), in one run.

Run from the repository root with the venv active::

    python -m bench.signals              # full run (2 rounds), plain-text table
    python -m bench.signals --quick      # smoke run (1 round, short trials)
    python -m bench.signals --markdown --cases diamond,cellx1000

Method. Kairo cases: build the graph once, warm up (Python: >= 2 ``iter()``
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
0.24.2 cannot finish cellx (its dirty-marking is exponential on path-rich graphs),
so cellx is not run on it. Everything runs in the calling thread at the default recursion
limit (a library that needs deep recursion for cellx is reported as FAILED, as a user would see
it). The exit status is 1 if any case failed its checks.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.adapters import (
    ReaktivAdapter,
    TlsyncAdapter,
    reaktiv_unavailable_reason,
    tlsync_unavailable_reason,
)
from bench.runner import (
    NODE_DIR,
    NodeInfo,
    Outcome,
    Results,
    Sides,
    Skip,
    Step,
    add_csv_option,
    cpython,
    finish,
    fmt_ms,
    fmt_ratio,
    measured,
    new_results,
    prepare_sides,
    preset,
    print_header,
    render_table,
    run_node_json,
    run_rounds,
    runner_parser,
    timed,
)
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
        NODE_SCRIPT,
        [
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


def measure_python(impl: str, case_name: str, settings: Settings) -> list[float]:
    """The samples of one case on a Python implementation (kairo or cellx)."""
    kairo = next((c for c in KAIRO_CASES if c.name == case_name), None)
    if kairo is not None:
        return measure_python_kairo(impl, kairo, settings)
    cellx = next(c for c in CELLX_CASES if c.name == case_name)
    return measure_python_cellx(impl, cellx, settings)


def run_all(cases: Sequence[str], settings: Settings, sides: Sides) -> Results:
    """Every round runs each case on every implementation (interleaved)."""
    results, active = new_results(cases, IMPLS, sides)

    def step(case: str) -> Step:
        def measure(impl: str) -> dict[str, Outcome]:
            if impl == TLDRAW:
                return {case: run_node(case, settings, sides.node)}
            return measured([case], lambda: {case: measure_python(impl, case, settings)})

        return Step(f"{case:<22} ", [case], measure)

    steps = [step(case) for case in cases]
    run_rounds(results, active, settings.rounds, steps, IMPL_LABELS)
    return results


# --------------------------------------------------------------------------------------------
# the table
# --------------------------------------------------------------------------------------------


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
            reaktiv_target = KAIRO_TARGETS[0] if has_targets else None
            tldraw_target = KAIRO_TARGETS[1] if has_targets else None
            vs_reaktiv = fmt_ratio(theirs.median, ours.median, reaktiv_target, at_least=True)
            vs_tldraw = fmt_ratio(ours.median, node.median, tldraw_target)
        else:
            label = f"{case} (per update)"
            vs_reaktiv = (
                "n/a" if theirs.skip is not None else fmt_ratio(theirs.median, ours.median, None)
            )
            vs_tldraw = fmt_ratio(ours.median, node.median, CELLX_TARGET)
        rows.append((label, fmt_ms(ours), fmt_ms(theirs), fmt_ms(node), vs_reaktiv, vs_tldraw))
    return rows


# --------------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = runner_parser(
        "python -m bench.signals",
        "Signals benchmark: tlsync vs reaktiv vs @tldraw/state (Node).",
        IMPLS,
    )
    add_csv_option(parser, "--cases", ALL_CASE_NAMES, "case")
    parser.add_argument("--trials", type=int, help="override the trials per round")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # 0 (as if not given) keeps the preset's rounds and trials
    settings, mode = preset(
        args, FULL, QUICK, rounds=args.rounds or None, trials=args.trials or None
    )
    order = [c for c in ALL_CASE_NAMES if c in args.cases]
    unavailable: dict[str, str] = {}
    if TLSYNC in args.impls and (reason := tlsync_unavailable_reason()) is not None:
        unavailable[TLSYNC] = reason
    if REAKTIV in args.impls and (reason := reaktiv_unavailable_reason()) is not None:
        unavailable[REAKTIV] = reason
    sides = prepare_sides(args.impls, TLDRAW, NODE_PACKAGE, unavailable)
    results, elapsed = timed(lambda: run_all(order, settings, sides))

    versions = [cpython()]
    if sides.runs(TLSYNC):
        versions.append(f"tlsync {TlsyncAdapter().version}")
    if sides.runs(REAKTIV):
        versions.append(f"reaktiv {ReaktivAdapter().version}")
    if sides.runs(TLDRAW):
        versions.append(sides.node.describe("@tldraw/state"))
    print_header(
        f"signals benchmark ({mode}: {settings.rounds} round(s) x {settings.trials} trials of "
        f"~{settings.trial_ms:g} ms; cellx: {settings.cellx_runs} fresh builds per round, "
        f"Node {settings.node_cellx_runs}) on {os.cpu_count()} CPU(s), {elapsed:.0f} s",
        "; ".join(versions),
        "median ms per iter() (cellx: ms per update); ratios show their target, ✓ met, ✗ missed",
    )
    print(render_table(HEADERS, table_rows(results), args.markdown))
    payload = {"mode": mode, "settings": dataclasses.asdict(settings), "versions": versions}
    return finish(results, IMPL_LABELS, args, payload)


if __name__ == "__main__":
    sys.exit(main())

"""What the benchmark runners share: outcomes, rounds, the Node side, tables, notes and arguments.

``bench.signals``, ``bench.store``, ``bench.protocol_diff``, ``bench.protocol_codec`` and
``bench.client`` all measure Python in-process and Node in a subprocess
(``node bench/node/<name>.mjs --json``), round after round, and print a table of medians and
ratios. This module holds the parts that do not depend on what is measured. (The server
benchmarks, ``bench.fanout`` and ``bench.load``, share their server processes and sessions
through :mod:`bench.processes`, and the output helpers here.)
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

NODE_DIR = Path(__file__).resolve().parent / "node"
TIMES = "\u00d7"  # the multiplication sign, written as an escape for ruff's RUF001

_T = TypeVar("_T")
_S = TypeVar("_S", bound="DataclassInstance")


class Skip(Exception):
    """An implementation does not run a case (the label is what the table shows)."""

    def __init__(self, label: str, reason: str) -> None:
        super().__init__(reason)
        self.label = label
        self.reason = reason


@dataclass
class Outcome:
    """What one implementation produced for one case, over all rounds (one table cell)."""

    samples: list[float] = field(default_factory=list)
    round_medians: list[float] = field(default_factory=list)
    error: str | None = None
    skip: Skip | None = None

    @property
    def median(self) -> float | None:
        if self.error is not None or self.skip is not None or not self.samples:
            return None
        return statistics.median(self.samples)


#: case -> implementation -> outcome
Results = dict[str, dict[str, Outcome]]


def merge(into: Outcome, part: Outcome) -> None:
    """Add one round's outcome to the pooled one (its samples and its round median)."""
    if part.skip is not None:
        into.skip = part.skip
    if part.error is not None and into.error is None:
        into.error = part.error
    if part.samples:
        into.samples.extend(part.samples)
        into.round_medians.append(statistics.median(part.samples))


def sample(timers: Mapping[str, Callable[[], float]], samples: int) -> dict[str, list[float]]:
    """``samples`` samples of each timer (one timed operation each, the operations taking turns),
    after ``gc.collect()`` each time."""
    out: dict[str, list[float]] = {op: [] for op in timers}
    for _ in range(samples):
        for op, timer in timers.items():
            gc.collect()
            out[op].append(timer())
    return out


def failed(keys: Iterable[str], error: str | None) -> dict[str, Outcome]:
    """The same error in the cell of every key."""
    return {key: Outcome(error=error) for key in keys}


def not_run(keys: Iterable[str], reason: str) -> dict[str, Outcome]:
    """Every key's cell skipped (``n/a``) for ``reason``."""
    skip = Skip("n/a", reason)
    return {key: Outcome(skip=skip) for key in keys}


def measured(
    keys: Iterable[str], measure: Callable[[], Mapping[str, list[float]]]
) -> dict[str, Outcome]:
    """Each key's samples from ``measure()``; if it raises, its skip or error in every cell."""
    try:
        samples = measure()
    except Skip as skip:
        return {key: Outcome(skip=skip) for key in keys}
    except Exception as exc:
        return failed(keys, f"{type(exc).__name__}: {exc}")
    return {key: Outcome(samples=samples[key]) for key in keys}


# --------------------------------------------------------------------------------------------
# the rounds
# --------------------------------------------------------------------------------------------


def new_results(
    keys: Sequence[str], impls: Sequence[str], sides: Sides
) -> tuple[Results, list[str]]:
    """An empty cell per key and implementation, skipped where the implementation is not
    selected (``—``) or not available (``n/a``); and the implementations that run, in order."""
    results: Results = {key: {impl: Outcome() for impl in impls} for key in keys}
    for impl in impls:
        if impl not in sides.selected:
            skip = Skip("—", "not selected (--impls)")
        elif impl in sides.unavailable:
            skip = Skip("n/a", sides.unavailable[impl])
        else:
            continue
        for key in keys:
            results[key][impl].skip = skip
    return results, [impl for impl in impls if sides.runs(impl)]


@dataclass(frozen=True)
class Step:
    """One measurement of a round: what the progress line names, the result keys it fills, and
    how (implementation -> key -> that round's outcome)."""

    what: str
    keys: Sequence[str]
    measure: Callable[[str], Mapping[str, Outcome]]


def run_rounds(
    results: Results,
    active: Sequence[str],
    rounds: int,
    steps: Sequence[Step],
    labels: Mapping[str, str],
) -> None:
    """Every round runs every step on every active implementation, one step at a time (the
    order of the implementations reversed on odd rounds, so machine noise hits them alike), and
    pools the outcomes. Where every cell of a step has failed or been skipped, it is not run
    again."""
    for round_no in range(rounds):
        order = active if round_no % 2 == 0 else list(reversed(active))
        for step in steps:
            for impl in order:
                cells = [results[key][impl] for key in step.keys]
                if all(cell.error is not None or cell.skip is not None for cell in cells):
                    continue
                progress(f"round {round_no + 1}/{rounds}  {step.what}{labels[impl]}")
                for key, part in step.measure(impl).items():
                    merge(results[key][impl], part)


def case_op_key(case: str, op: str) -> str:
    """The results key of one operation of one case."""
    return f"{case} {op}"


def run_case_rounds(
    measures: Mapping[str, Callable[[], Mapping[str, Mapping[str, Outcome]]]],
    cases: Sequence[str],
    ops: Sequence[str],
    *,
    sides: Sides,
    rounds: int,
    labels: Mapping[str, str],
) -> Results:
    """Results keyed :func:`case_op_key`: every round, each implementation (the keys of
    ``measures``, in order) measures every case at once (case -> op -> outcome), the order of
    the implementations reversed on odd rounds."""
    keys = [case_op_key(case, op) for case in cases for op in ops]
    results, active = new_results(keys, list(measures), sides)

    def measure_keys(impl: str) -> dict[str, Outcome]:
        return {
            case_op_key(case, op): part
            for case, parts in measures[impl]().items()
            for op, part in parts.items()
        }

    run_rounds(results, active, rounds, [Step("", keys, measure_keys)], labels)
    return results


def timed(run: Callable[[], _T]) -> tuple[_T, float]:
    """``run()``'s value and the seconds it took (the progress line erased afterwards)."""
    started = time.perf_counter()
    try:
        value = run()
    finally:
        clear_progress()
    return value, time.perf_counter() - started


# --------------------------------------------------------------------------------------------
# versions and the Node side
# --------------------------------------------------------------------------------------------


def dist_version(dist: str) -> str:
    """The installed version of the distribution ``dist`` (``?`` when it is not installed)."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


def tlsync_version() -> str:
    """The installed tlsync's version (``?`` when it is not installed)."""
    return dist_version("tlsync")


def cpython() -> str:
    """``CPython 3.x.y``: the first of the versions a table is printed with."""
    return f"CPython {platform.python_version()}"


@dataclass
class NodeInfo:
    """The Node side: either ready (with versions) or unavailable (with a reason)."""

    unavailable: str | None = None
    node_version: str = "?"
    library_version: str = "?"

    def describe(self, library: str) -> str:
        """``<library> <version> on node <version>``, as the versions line shows it."""
        return f"{library} {self.library_version} on node {self.node_version}"


def prepare_node(package: str | None) -> NodeInfo:
    """Find node, and run ``npm ci`` in bench/node if ``node_modules/<package>`` is missing
    (no ``package``: node alone is enough)."""
    node = shutil.which("node")
    if node is None:
        return NodeInfo(unavailable="node is not on PATH")
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if package is not None and not (NODE_DIR / "node_modules" / package).is_dir():
        npm = shutil.which("npm")
        if npm is None:
            return NodeInfo(unavailable="bench/node/node_modules is missing and npm is not on PATH")
        print("bench/node/node_modules is missing: running npm ci ...", file=sys.stderr)
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            return NodeInfo(unavailable="npm ci failed: " + " | ".join(tail))
    return NodeInfo(node_version=version)


@dataclass
class Sides:
    """The implementations of a run: those selected (``--impls``), those of them that cannot
    run (and why), and the Node side."""

    selected: Sequence[str]
    unavailable: dict[str, str]
    node: NodeInfo

    def runs(self, impl: str) -> bool:
        """Whether ``impl`` is selected and available."""
        return impl in self.selected and impl not in self.unavailable


def prepare_sides(
    selected: Sequence[str],
    node_impl: str,
    package: str | None,
    unavailable: dict[str, str] | None = None,
) -> Sides:
    """The sides of a run, the Node implementation ``node_impl`` prepared if it is selected
    (:func:`prepare_node`); ``unavailable`` holds what is already known not to run."""
    unavailable = {} if unavailable is None else unavailable
    node = NodeInfo()
    if node_impl in selected:
        node = prepare_node(package)
        if node.unavailable is not None:
            unavailable[node_impl] = node.unavailable
    return Sides(selected, unavailable, node)


def production_env() -> dict[str, str]:
    """The caller's environment with ``NODE_ENV=production`` (no devFreeze, no test timing)."""
    return {**os.environ, "NODE_ENV": "production"}


def run_node_process(
    args: Sequence[str], *, timeout_s: float = 120, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``node args`` in bench/node, its output captured (``subprocess.TimeoutExpired`` after
    ``timeout_s``)."""
    return subprocess.run(
        [shutil.which("node") or "node", *args],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout_s,
        env=None if env is None else dict(env),
    )


def run_node_json(
    script: Path,
    args: Sequence[str],
    timeout_s: float,
    *,
    node_options: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any] | None, str | None]:
    """Run ``node [node_options] script --json args`` in bench/node; its last stdout line is a
    JSON report.

    Returns ``(report, None)``, or ``(None, error)`` if node timed out or printed no report.
    """
    try:
        done = run_node_process(
            [*node_options, str(script), "--json", *args], timeout_s=timeout_s, env=env
        )
    except subprocess.TimeoutExpired:
        return None, f"node timed out after {timeout_s:.0f} s"
    try:
        report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        return None, f"node exited {done.returncode}: {tail}"
    return report, None


def run_node_input(
    script: Path,
    payload: Mapping[str, Any],
    timeout_s: float,
    *,
    env: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any] | None, str | None]:
    """:func:`run_node_json` with ``--input``: a temporary JSON file holding ``payload``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cases.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        return run_node_json(script, ["--input", str(path)], timeout_s, env=env)


# --------------------------------------------------------------------------------------------
# tables and notes
# --------------------------------------------------------------------------------------------


def fmt_number(value: float) -> str:
    """4 significant digits for values under 1000 (``0.701``, ``13.33``, ``537.2``)."""
    if value >= 100:
        return f"{value:.1f}"
    if value >= 10:
        return f"{value:.2f}"
    return f"{value:.3f}"


def fmt_ms(cell: Outcome, number: Callable[[float], str] = fmt_number) -> str:
    """A cell's median with 4 significant digits (or as ``number`` writes it), or why there is
    none."""
    if cell.error is not None:
        return "FAILED"
    if cell.skip is not None:
        return cell.skip.label
    value = cell.median
    if value is None:
        return "n/a"
    return number(value)


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    if ours is None or theirs is None or theirs <= 0 or ours < 0:
        return None
    return ours / theirs


def fmt_times(ours: float | None, theirs: float | None, digits: int = 1) -> str:
    """``ours ÷ theirs`` to ``digits`` decimals (``1.3×``), ``n/a`` without two valid values."""
    ratio = _ratio(ours, theirs)
    return "n/a" if ratio is None else f"{ratio:.{digits}f}{TIMES}"


def fmt_ratio(
    ours: float | None,
    theirs: float | None,
    target: float | None,
    *,
    at_least: bool = False,
    digits: int = 1,
) -> str:
    """``ours ÷ theirs`` with its target: ``✓ (≤2)`` met, ``✗ (≤2)`` missed.

    ``target`` is the largest ratio that meets it (with ``at_least``, the smallest: ``≥``);
    ``None`` means "report only".
    """
    ratio = _ratio(ours, theirs)
    if ratio is None:
        return "n/a"
    text = f"{ratio:.{digits}f}{TIMES}"
    if target is None:
        return f"{text} (report only)"
    met = ratio >= target if at_least else ratio <= target
    return f"{text} {'✓' if met else '✗'} ({'≥' if at_least else '≤'}{target:g})"


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool) -> str:
    """A markdown table, or an aligned plain-text one (first column left, the rest right)."""
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|---|" + "---:|" * (len(headers) - 1)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        parts = [row[0].ljust(widths[0])]
        parts += [cell.rjust(widths[i]) for i, cell in enumerate(row) if i > 0]
        return "  ".join(parts)

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def print_header(*lines: str) -> None:
    """The lines above a table, then a blank line."""
    for line in lines:
        print(line)
    print()


def notes(results: Results, labels: Mapping[str, str]) -> list[str]:
    """Failures, skips and the round-to-round spread, one line each."""
    out: list[str] = []
    reasons: dict[str, str] = {}
    for case, cells in results.items():
        for impl, cell in cells.items():
            if cell.error is not None:
                out.append(f"FAILED {labels[impl]} {case}: {cell.error}")
            elif cell.skip is not None:
                reasons.setdefault(f"{labels[impl]}: {cell.skip.reason}", case)
    out += [f"not run: {reason}" for reason in reasons]
    worst: tuple[float, str] | None = None
    for case, cells in results.items():
        for impl, cell in cells.items():
            if len(cell.round_medians) > 1:
                lo, hi = min(cell.round_medians), max(cell.round_medians)
                spread = (hi - lo) / lo * 100 if lo > 0 else 0.0
                if worst is None or spread > worst[0]:
                    worst = (spread, f"{case} on {labels[impl]}")
    if worst is not None:
        out.append(f"round medians agreed within {worst[0]:.0f}% (worst: {worst[1]})")
    return out


def print_notes(lines: Sequence[str], markdown: bool) -> None:
    """The lines under a table (a markdown list with ``markdown``), after a blank line."""
    if lines:
        print()
        for line in lines:
            print(("- " if markdown else "") + line)


def json_results(results: Results) -> dict[str, Any]:
    """The raw samples of every cell (for ``--json``)."""
    return {
        case: {
            impl: {
                "median_ms": cell.median,
                "samples_ms": cell.samples,
                "round_medians_ms": cell.round_medians,
                "error": cell.error,
                "skipped": None if cell.skip is None else cell.skip.reason,
            }
            for impl, cell in cells.items()
        }
        for case, cells in results.items()
    }


def write_json(path: Path | None, payload: Mapping[str, Any]) -> None:
    """Write ``payload`` to ``path`` (``--json``; nothing without one)."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, indent=2) + "\n")


def finish(
    results: Results,
    labels: Mapping[str, str],
    args: argparse.Namespace,
    payload: Mapping[str, Any],
) -> int:
    """Print the notes under the table (``args.markdown``), write ``args.json`` (``payload`` and
    the raw results), and return the exit status: 1 if any cell failed."""
    print_notes(notes(results, labels), args.markdown)
    write_json(args.json, {**payload, "results": json_results(results)})
    failures = any(cell.error is not None for cells in results.values() for cell in cells.values())
    return 1 if failures else 0


# --------------------------------------------------------------------------------------------
# command line and progress
# --------------------------------------------------------------------------------------------


def csv_arg(value: str, allowed: Sequence[str], what: str) -> list[str]:
    """A comma-separated list of names from ``allowed`` (for argparse ``type=``)."""
    items = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in items if v not in allowed]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown {what}: {', '.join(unknown)} (choose from {', '.join(allowed)})"
        )
    return items


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """``--markdown`` and ``--json PATH``, which every benchmark has."""
    parser.add_argument("--markdown", action="store_true", help="print markdown tables")
    parser.add_argument(
        "--json", type=Path, metavar="PATH", help="also write the results to this JSON file"
    )


def add_csv_option(
    parser: argparse.ArgumentParser, flag: str, allowed: Sequence[str], what: str
) -> None:
    """``flag``: a comma-separated list of ``what`` names from ``allowed`` (default: all)."""
    parser.add_argument(
        flag,
        type=lambda v: csv_arg(v, allowed, what),
        default=list(allowed),
        help=f"comma-separated {what}s (default: all): " + ",".join(allowed),
    )


def runner_parser(
    prog: str,
    description: str,
    impls: Sequence[str],
    *,
    quick_help: str = "1 short round (smoke test)",
    rounds_type: Callable[[str], int] = int,
) -> argparse.ArgumentParser:
    """A parser with the options of every Python-vs-Node runner: ``--quick``, ``--impls``,
    ``--rounds``, ``--markdown`` and ``--json``."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    add_csv_option(parser, "--impls", impls, "implementation")
    parser.add_argument("--rounds", type=rounds_type, help="override the number of rounds")
    add_output_options(parser)
    return parser


def preset(args: argparse.Namespace, full: _S, quick: _S, **overrides: object) -> tuple[_S, str]:
    """The settings ``--quick`` chose, with those of ``overrides`` that are not None; and the
    mode (``quick`` or ``full``)."""
    settings = quick if args.quick else full
    given = {name: value for name, value in overrides.items() if value is not None}
    if given:
        settings = dataclasses.replace(settings, **given)
    return settings, "quick" if args.quick else "full"


def progress(message: str) -> None:
    """Show ``message`` on one self-overwriting stderr line (only on a terminal)."""
    if sys.stderr.isatty():
        print(f"\r\033[K{message}", end="", file=sys.stderr, flush=True)


def clear_progress() -> None:
    """Erase the progress line."""
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr, flush=True)

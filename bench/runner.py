"""What the benchmark runners share: outcomes, the Node side, tables, notes and arguments.

``bench.signals`` and ``bench.store`` both measure Python in-process and Node in a subprocess
(``node bench/node/<name>.mjs --json``), round after round, and print a table of medians and
ratios. This module holds the parts that do not depend on what is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).resolve().parent / "node"
TIMES = "\u00d7"  # the multiplication sign, written as an escape for ruff's RUF001


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


# --------------------------------------------------------------------------------------------
# the Node side
# --------------------------------------------------------------------------------------------


@dataclass
class NodeInfo:
    """The Node side: either ready (with versions) or unavailable (with a reason)."""

    unavailable: str | None = None
    node_version: str = "?"
    library_version: str = "?"


def prepare_node(package: str) -> NodeInfo:
    """Find node, and run ``npm ci`` in bench/node if ``node_modules/<package>`` is missing."""
    node = shutil.which("node")
    if node is None:
        return NodeInfo(unavailable="node is not on PATH")
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if not (NODE_DIR / "node_modules" / package).is_dir():
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


def production_env() -> dict[str, str]:
    """The caller's environment with ``NODE_ENV=production`` (no devFreeze, no test timing)."""
    return {**os.environ, "NODE_ENV": "production"}


def run_node_json(
    args: Sequence[str],
    timeout_s: float,
    *,
    node_options: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> tuple[dict[str, Any] | None, str | None]:
    """Run ``node [node_options] args`` in bench/node; its last stdout line is a JSON report.

    Returns ``(report, None)``, or ``(None, error)`` if node timed out or printed no report.
    """
    node = shutil.which("node") or "node"
    try:
        done = subprocess.run(
            [node, *node_options, *args],
            cwd=NODE_DIR,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout_s,
            env=None if env is None else dict(env),
        )
    except subprocess.TimeoutExpired:
        return None, f"node timed out after {timeout_s:.0f} s"
    try:
        report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        return None, f"node exited {done.returncode}: {tail}"
    return report, None


# --------------------------------------------------------------------------------------------
# tables and notes
# --------------------------------------------------------------------------------------------


def fmt_ms(cell: Outcome) -> str:
    """A cell's median with 4 significant digits, or why there is none."""
    if cell.error is not None:
        return "FAILED"
    if cell.skip is not None:
        return cell.skip.label
    value = cell.median
    if value is None:
        return "n/a"
    return fmt_number(value)


def fmt_number(value: float) -> str:
    """4 significant digits for values under 1000 (``0.701``, ``13.33``, ``537.2``)."""
    if value >= 100:
        return f"{value:.1f}"
    if value >= 10:
        return f"{value:.2f}"
    return f"{value:.3f}"


def fmt_ratio(ours: float | None, theirs: float | None, target: float | None) -> str:
    """``ours ÷ theirs`` to one decimal, with its target: ``✓ (≤2)`` met, ``✗ (≤2)`` missed.

    ``target`` is the largest ratio that meets it; ``None`` means "report only".
    """
    if ours is None or theirs is None or theirs <= 0 or ours < 0:
        return "n/a"
    ratio = ours / theirs
    text = f"{ratio:.1f}{TIMES}"
    if target is None:
        return f"{text} (report only)"
    return f"{text} {'✓' if ratio <= target else '✗'} (≤{target:g})"


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


def progress(message: str) -> None:
    """Show ``message`` on one self-overwriting stderr line (only on a terminal)."""
    if sys.stderr.isatty():
        print(f"\r\033[K{message}", end="", file=sys.stderr, flush=True)


def clear_progress() -> None:
    """Erase the progress line."""
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr, flush=True)

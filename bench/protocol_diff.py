"""Diff benchmark: tlsync's diff_record / apply_object_diff vs @tldraw/sync-core's, one run.

Run from the repository root with the venv active::

    python -m bench.protocol_diff              # full run (3 interleaved rounds), plain text
    python -m bench.protocol_diff --quick      # smoke run (1 round, fewer calls)
    python -m bench.protocol_diff --markdown --impls tlsync,tldraw

The cases are the record updates a sync peer diffs most, on tldraw 5.4.2 shapes:

* ``geo``: a geo shape moved and resized (``x``, ``y``, ``props.w``, ``props.h`` put);
* ``text``: a frame renamed by typing one more character (``props.name``: a string append);
* ``draw``: a draw shape gaining a point while the pen moves (5.4.2 keeps a segment's points
  in a base64 ``path`` string that grows by 8 characters a point: an append three levels
  down, after comparing the 200-point path);
* ``points``: the same with the points as an array of ``{x, y, z}`` (the older draw format):
  an array append after a deep comparison of the 200 shared points.

Each case is timed as two operations, ``diff_record(prev, next)`` and
``apply_object_diff(prev, diff)``, on the same inputs on both sides: Python writes the cases to
a file that ``bench/node/diff.mjs`` reads. ``next`` shares every unchanged value with ``prev``
(as a store update does), on both sides. Before timing, both sides check their diff against
the expected JSON text and that applying it gives ``next``; the runner also checks that node's
diff is byte-identical to ours. A sample is the mean of ``inner`` calls; the table shows the
median over all samples of all rounds, and tlsync ÷ tldraw. The exit status is 1 if a check
failed.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.records import geo_props, shape_record
from bench.runner import (
    NODE_DIR,
    NodeInfo,
    Outcome,
    Results,
    Sides,
    case_op_key,
    cpython,
    failed,
    finish,
    fmt_ms,
    fmt_times,
    measured,
    not_run,
    prepare_sides,
    preset,
    print_header,
    production_env,
    render_table,
    run_case_rounds,
    run_node_input,
    runner_parser,
    sample,
    timed,
    tlsync_version,
)
from tlsync_core.protocol.diff import ObjectDiff, apply_object_diff, diff_record
from tlsync_core.store.jsvalue import js_equal, json_stringify

NODE_SCRIPT = NODE_DIR / "diff.mjs"
NODE_PACKAGE = "@tldraw/sync-core"
TLSYNC = "tlsync"
TLDRAW = "tldraw"
IMPLS: tuple[str, ...] = (TLSYNC, TLDRAW)
IMPL_LABELS = {TLSYNC: "tlsync", TLDRAW: "@tldraw/sync-core"}

GEO = "geo"
TEXT = "text"
DRAW = "draw"
POINTS = "points"
CASES: tuple[str, ...] = (GEO, TEXT, DRAW, POINTS)
CASE_LABELS = {
    GEO: "geo shape moved and resized",
    TEXT: "frame renamed (string append)",
    DRAW: "draw shape +1 point (path append)",
    POINTS: "draw, points array +1 of 200",
}
OPS = ("diff", "apply")
OP_LABELS = {"diff": "diff_record", "apply": "apply_object_diff"}

Record = dict[str, Any]

# ---------------------------------------------------------------------------------------------
# the records (tldraw 5.4.2 shapes, every prop present)
# ---------------------------------------------------------------------------------------------

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _base(shape_type: str, props: Record) -> Record:
    shape_id = f"shape:{shape_type}Kx3vQ9mWb2LpT7nR"
    return shape_record(shape_id, shape_type, props, x=412.5078125, y=187.26953125, index="a1V")


def geo_shape() -> Record:
    return _base("geo", geo_props(160.5, 90.25))


def frame_shape(name: str) -> Record:
    return _base("frame", {"w": 800, "h": 450, "name": name, "color": "black"})


def draw_path(points: int) -> str:
    """A deterministic stand-in for 5.4.2's delta-encoded path: 16 base64 characters for the
    first point, then 8 per point."""
    chars = [_B64[(i * 37 + 11) % 64] for i in range(16 + 8 * (points - 1))]
    return "".join(chars)


def draw_shape(segment: Record) -> Record:
    return _base(
        "draw",
        {
            "color": "black",
            "fill": "none",
            "dash": "draw",
            "size": "m",
            "segments": [segment],
            "isComplete": False,
            "isClosed": False,
            "isPen": False,
            "scale": 1,
            "scaleX": 1,
            "scaleY": 1,
        },
    )


def point(i: int) -> Record:
    return {"x": 0.25 * i + 3.5, "y": 0.125 * i * i % 97 + 1.75, "z": 0.5}


def _update(record: Record, top: Record, props: Record) -> Record:
    """``record`` with ``top`` and ``props`` changed, sharing everything else (as a store
    update written ``{**shape, "x": ..., "props": {**shape["props"], ...}}`` does)."""
    return {**record, **top, "props": {**record["props"], **props}}


def make_case(case: str) -> tuple[Record, Record]:
    """``(prev, next)`` of one case; ``next`` shares every unchanged value with ``prev``."""
    if case == GEO:
        prev = geo_shape()
        return prev, _update(prev, {"x": 432.5078125, "y": 201.0}, {"w": 176.75, "h": 101.5})
    if case == TEXT:
        prev = frame_shape("Sprint planning — week 4")
        return prev, _update(prev, {}, {"name": prev["props"]["name"] + "8"})
    if case == DRAW:
        prev = draw_shape({"type": "free", "path": draw_path(200)})
        segment = {**prev["props"]["segments"][0], "path": draw_path(201)}
        return prev, _update(prev, {}, {"segments": [segment]})
    if case == POINTS:
        prev = draw_shape({"type": "free", "points": [point(i) for i in range(200)]})
        old = prev["props"]["segments"][0]
        segment = {**old, "points": [*old["points"], point(200)]}
        return prev, _update(prev, {}, {"segments": [segment]})
    raise ValueError(f"unknown case {case!r}")


def share(prev: Any, nxt: Any) -> Any:
    """``nxt`` with every part equal to the same part of ``prev`` replaced by that part (what
    both sides do to the JSON they read, so that inputs share like a store update's)."""
    if js_equal(prev, nxt):
        return prev
    if isinstance(prev, dict) and isinstance(nxt, dict):
        return {k: share(prev[k], v) if k in prev else v for k, v in nxt.items()}
    if isinstance(prev, list) and isinstance(nxt, list):
        return [share(prev[i], v) if i < len(prev) else v for i, v in enumerate(nxt)]
    return nxt


class DiffCheckFailed(Exception):
    """A diff is not the expected one, does not rebuild ``next``, or differs from node's."""


EXPECTED: dict[str, str] = {
    GEO: '{"x":["put",432.5078125],"y":["put",201],'
    '"props":["patch",{"w":["put",176.75],"h":["put",101.5]}]}',
    TEXT: '{"props":["patch",{"name":["append","8",24]}]}',
    DRAW: '{"props":["patch",{"segments":["patch",{"0":["patch",{"path":["append",'
    f'"{draw_path(201)[-8:]}",1608]}}]}}]}}]}}',
    POINTS: '{"props":["patch",{"segments":["patch",{"0":["patch",{"points":["append",'
    f"[{json_stringify(point(200))}],200]}}]}}]}}]}}",
}


def check_case(case: str) -> str:
    """Diff the case, check the ops and the round trip; the diff's JSON text."""
    prev, nxt = make_case(case)
    diff = diff_record(prev, nxt)
    text = json_stringify(diff)
    if text != EXPECTED[case]:
        raise DiffCheckFailed(f"{case}: diff_record gave {text}, expected {EXPECTED[case]}")
    if diff is None or not js_equal(apply_object_diff(prev, diff), nxt):
        raise DiffCheckFailed(f"{case}: apply_object_diff(prev, diff) is not next")
    return text


# ---------------------------------------------------------------------------------------------
# settings and measurement
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """How long and how often to measure."""

    rounds: int
    samples: int
    inner: int  # calls per sample
    warmup: int  # untimed calls of each op before the samples
    node_timeout_s: float


FULL = Settings(rounds=3, samples=7, inner=20_000, warmup=20_000, node_timeout_s=600)
QUICK = Settings(rounds=1, samples=3, inner=1_000, warmup=1_000, node_timeout_s=120)


def _time_us(fn: Callable[[], object], inner: int) -> float:
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - start) * 1e6 / inner


def measure_python(case: str, settings: Settings) -> dict[str, list[float]]:
    """µs per call of diff_record and apply_object_diff, ``samples`` times each."""
    check_case(case)
    prev, nxt = make_case(case)
    made = diff_record(prev, nxt)
    if made is None:
        raise DiffCheckFailed(f"{case}: no diff")
    diff: ObjectDiff = made

    def run_diff() -> object:
        return diff_record(prev, nxt)

    def run_apply() -> object:
        return apply_object_diff(prev, diff)

    for _ in range(settings.warmup):
        run_diff()
        run_apply()
    timers = {
        "diff": lambda: _time_us(run_diff, settings.inner),
        "apply": lambda: _time_us(run_apply, settings.inner),
    }
    return sample(timers, settings.samples)


def run_python(case: str, settings: Settings) -> dict[str, Outcome]:
    return measured(OPS, lambda: measure_python(case, settings))


def node_cases(settings: Settings) -> list[dict[str, Any]]:
    """What ``diff.mjs`` reads: each case's records, expected diff text and counts."""
    out = []
    for case in CASES:
        prev, nxt = make_case(case)
        out.append(
            {
                "name": case,
                "prev": prev,
                "next": nxt,
                "expected": EXPECTED[case],
                "inner": settings.inner,
                "samples": settings.samples,
                "warmup": settings.warmup,
            }
        )
    return out


def run_node(settings: Settings, info: NodeInfo) -> dict[str, dict[str, Outcome]]:
    """One node process times every case; per case, the samples of each op (or the error)."""
    if info.unavailable is not None:
        return {case: not_run(OPS, info.unavailable) for case in CASES}
    report, error = run_node_input(
        NODE_SCRIPT,
        {"cases": node_cases(settings)},
        settings.node_timeout_s,
        env=production_env(),
    )
    if report is None:
        return {case: failed(OPS, error) for case in CASES}
    info.node_version = str(report.get("node", "?"))
    info.library_version = str(report.get("version", "?"))
    out: dict[str, dict[str, Outcome]] = {}
    for result in report["results"]:
        case = result["name"]
        if result.get("error"):
            out[case] = failed(OPS, str(result["error"]))
            continue
        out[case] = {op: Outcome(samples=[float(v) for v in result[op]]) for op in OPS}
    return out


def run_all(settings: Settings, sides: Sides) -> Results:
    """Every round measures every case on tlsync and all cases in one node process, the order
    of the two reversed on odd rounds."""
    measures = {
        TLSYNC: lambda: {case: run_python(case, settings) for case in CASES},
        TLDRAW: lambda: run_node(settings, sides.node),
    }
    return run_case_rounds(
        measures, CASES, OPS, sides=sides, rounds=settings.rounds, labels=IMPL_LABELS
    )


# ---------------------------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------------------------

HEADERS = ("case", "operation", "tlsync µs", "@tldraw/sync-core µs", "tlsync ÷ tldraw")


def rows(results: Results) -> list[list[str]]:
    out: list[list[str]] = []
    for case in CASES:
        for op in OPS:
            ours, theirs = (results[case_op_key(case, op)][impl] for impl in IMPLS)
            ratio = fmt_times(ours.median, theirs.median)
            out.append([CASE_LABELS[case], OP_LABELS[op], fmt_ms(ours), fmt_ms(theirs), ratio])
    return out


# ---------------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    args = runner_parser(
        "python -m bench.protocol_diff",
        "tlsync's diff_record / apply_object_diff vs @tldraw/sync-core 5.4.2's.",
        IMPLS,
        quick_help="smoke run: 1 round, fewer calls",
    ).parse_args(argv)
    settings, mode = preset(args, FULL, QUICK, rounds=args.rounds)
    sides = prepare_sides(args.impls, TLDRAW, NODE_PACKAGE)
    results, elapsed = timed(lambda: run_all(settings, sides))
    versions = [cpython(), f"tlsync {tlsync_version()}"]
    if sides.runs(TLDRAW):
        versions.append(f"node {sides.node.node_version}")
        versions.append(f"@tldraw/sync-core {sides.node.library_version}")
    print_header(
        f"diff benchmark ({mode}: {settings.rounds} round(s) x {settings.samples} samples of "
        f"{settings.inner:,} calls) on {os.cpu_count()} CPU(s), {elapsed:.0f} s",
        "; ".join(versions),
        "median µs per call; both sides diffed the same records into the same bytes",
    )
    print(render_table(HEADERS, rows(results), args.markdown))
    return finish(results, IMPL_LABELS, args, {"mode": mode, "versions": versions})


if __name__ == "__main__":
    sys.exit(main())

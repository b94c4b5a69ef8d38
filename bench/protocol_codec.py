"""Codec benchmark: tlsync's serialize_message / parse_server_message vs node's JSON, one run.

Run from the repository root with the venv active::

    python -m bench.protocol_codec             # full run (3 interleaved rounds), plain text
    python -m bench.protocol_codec --quick     # smoke run (1 round, fewer calls)
    python -m bench.protocol_codec --markdown --impls tlsync,node

The messages are the two a sync server sends most, built as a tlsync room builds them:

* ``patch``: a v8 ``data`` message carrying the patch of a moved geo shape (two ``put`` ops on
  ``x`` and ``y``), the message every other client receives while a shape is dragged;
* ``connect``: the v8 answer to ``connect`` that hydrates a room of 1,000 geo shapes (plus the
  document and the page), with tldraw 5.4.2's schema.

tlsync serializes each message with :func:`~tlsync_core.protocol.serialize_message` and parses
the text with :func:`~tlsync_core.protocol.parse_server_message` (JSON parsing *and* the
structural checks). Node (``bench/node/codec.mjs``) parses our text into the message, checks
that ``JSON.stringify`` gives back exactly the same bytes, then times ``JSON.stringify`` of the
message and ``JSON.parse`` of the text (no checks: that is what tldraw does). Every sample is the
mean of ``inner`` calls; the table shows medians over all samples of all rounds, and the ratio of
the sums (serialize + parse). Target: the patch message within 1.5x of node. The exit status is
1 if a check failed (the parse did not give the message back, or the bytes differ from node's).
"""

from __future__ import annotations

import json
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
    fmt_ratio,
    measured,
    not_run,
    prepare_sides,
    preset,
    print_header,
    render_table,
    run_case_rounds,
    run_node_input,
    runner_parser,
    sample,
    timed,
    tlsync_version,
)
from tlsync_core.protocol import make_connect_event, parse_server_message, serialize_message
from tlsync_core.tldraw.generated import SCHEMA_SEQUENCES

NODE_SCRIPT = NODE_DIR / "codec.mjs"
TLSYNC = "tlsync"
NODE = "node"
IMPLS: tuple[str, ...] = (TLSYNC, NODE)
IMPL_LABELS = {TLSYNC: "tlsync", NODE: "node JSON"}

PATCH = "patch"
CONNECT = "connect"
CASES: tuple[str, ...] = (PATCH, CONNECT)
CASE_LABELS = {
    PATCH: "data: patch of a moved geo shape",
    CONNECT: "connect: hydrate 1,000 geo shapes",
}
OPS = ("serialize", "parse")
#: tlsync ÷ node (serialize + parse) must stay at or below this, per case (None: report only)
TARGETS: dict[str, float | None] = {PATCH: 1.5, CONNECT: None}

#: createTLSchema().serialize() of @tldraw/tlschema 5.4.2
TLDRAW_SCHEMA: dict[str, Any] = {"schemaVersion": 2, "sequences": dict(SCHEMA_SEQUENCES)}

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"


def shape_id(i: int) -> str:
    """A deterministic 21-character nanoid-like shape id."""
    chars = []
    n = i * 2654435761 + 12345
    for _ in range(21):
        chars.append(_ALPHABET[n % 64])
        n = n // 64 + i * 7 + 1
    return "shape:" + "".join(chars)


def geo_shape(i: int) -> dict[str, Any]:
    """A valid 5.4.2 geo shape (every prop present), positioned on a grid."""
    x, y = 120.5 * (i % 40) + 0.25, 97.75 * (i // 40) + 0.125
    return shape_record(shape_id(i), "geo", geo_props(), x=x, y=y, index=f"a{i:04d}")


def make_patch_message() -> dict[str, Any]:
    """The ``data`` message a room broadcasts when a shape moves."""
    return {
        "type": "data",
        "data": [
            {
                "type": "patch",
                "diff": {
                    shape_id(7): ["patch", {"x": ["put", 412.5078125], "y": ["put", 187.26953125]}]
                },
                "serverClock": 1043,
            }
        ],
    }


def make_connect_message(shapes: int = 1000) -> dict[str, Any]:
    """The ``connect`` answer that hydrates a room of ``shapes`` geo shapes."""
    diff: dict[str, Any] = {
        "document:document": [
            "put",
            {
                "gridSize": 10,
                "name": "",
                "meta": {},
                "id": "document:document",
                "typeName": "document",
            },
        ],
        "page:page": [
            "put",
            {"meta": {}, "id": "page:page", "name": "Page 1", "index": "a1", "typeName": "page"},
        ],
    }
    for i in range(shapes):
        shape = geo_shape(i)
        diff[shape["id"]] = ["put", shape]
    return dict(
        make_connect_event(
            connect_request_id="B3EwKPNqCtYgOiBVJDF0K",
            hydration_type="wipe_all",
            protocol_version=8,
            schema=TLDRAW_SCHEMA,  # type: ignore[arg-type]
            server_clock=shapes + 1,
            diff=diff,
            is_readonly=False,
        )
    )


MESSAGES: dict[str, Callable[[], dict[str, Any]]] = {
    PATCH: make_patch_message,
    CONNECT: make_connect_message,
}


@dataclass(frozen=True)
class Settings:
    """How long and how often to measure."""

    rounds: int
    samples: int
    inner: dict[str, int]  # calls per sample
    warmup: dict[str, int]  # untimed calls before the samples
    node_timeout_s: float


FULL = Settings(
    rounds=3,
    samples=7,
    inner={PATCH: 20_000, CONNECT: 5},
    warmup={PATCH: 20_000, CONNECT: 5},
    node_timeout_s=600,
)
QUICK = Settings(
    rounds=1,
    samples=3,
    inner={PATCH: 2_000, CONNECT: 1},
    warmup={PATCH: 2_000, CONNECT: 1},
    node_timeout_s=120,
)


class CodecCheckFailed(Exception):
    """A message did not survive serialize + parse, or its bytes differ from node's."""


# --------------------------------------------------------------------------------------------
# measurement


def _serialize_us(message: dict[str, Any], inner: int) -> float:
    serialize = serialize_message
    start = time.perf_counter()
    for _ in range(inner):
        serialize(message)
    return (time.perf_counter() - start) * 1e6 / inner


def _parse_us(text: str, inner: int) -> float:
    parse = parse_server_message
    start = time.perf_counter()
    for _ in range(inner):
        parse(text)
    return (time.perf_counter() - start) * 1e6 / inner


def check_case(message: dict[str, Any]) -> str:
    """Serialize ``message``; check the text parses back to it. Returns the text."""
    text = serialize_message(message)
    parsed = parse_server_message(text)
    if json.loads(text) != message or parsed != message:
        raise CodecCheckFailed("parse(serialize(message)) is not the message")
    return text


def measure_python(case: str, settings: Settings) -> dict[str, list[float]]:
    """µs per call of serialize_message and parse_server_message, ``samples`` times each."""
    message = MESSAGES[case]()
    text = check_case(message)
    inner = settings.inner[case]
    for _ in range(settings.warmup[case]):
        serialize_message(message)
        parse_server_message(text)
    timers = {
        "serialize": lambda: _serialize_us(message, inner),
        "parse": lambda: _parse_us(text, inner),
    }
    return sample(timers, settings.samples)


def run_python(case: str, settings: Settings) -> dict[str, Outcome]:
    return measured(OPS, lambda: measure_python(case, settings))


def run_node(settings: Settings, info: NodeInfo) -> dict[str, dict[str, Outcome]]:
    """One node process times every case; per case, the samples of each op (or the error)."""
    if info.unavailable is not None:
        return {case: not_run(OPS, info.unavailable) for case in CASES}
    cases = [
        {
            "name": case,
            "text": serialize_message(MESSAGES[case]()),
            "inner": settings.inner[case],
            "samples": settings.samples,
            "warmup": settings.warmup[case],
        }
        for case in CASES
    ]
    report, error = run_node_input(NODE_SCRIPT, {"cases": cases}, settings.node_timeout_s)
    if report is None:
        return {case: failed(OPS, error) for case in CASES}
    info.node_version = str(report.get("node", "?"))
    out: dict[str, dict[str, Outcome]] = {}
    for result in report["results"]:
        case = result["name"]
        if not result["identical"]:
            failure = "JSON.stringify of the parsed message differs from serialize_message"
            out[case] = failed(OPS, failure)
            continue
        out[case] = {
            "serialize": Outcome(samples=[float(v) for v in result["stringify"]]),
            "parse": Outcome(samples=[float(v) for v in result["parse"]]),
        }
    return out


def run_all(settings: Settings, sides: Sides) -> Results:
    """Every round measures every case on tlsync and all cases in one node process, the order
    of the two reversed on odd rounds."""
    measures = {
        TLSYNC: lambda: {case: run_python(case, settings) for case in CASES},
        NODE: lambda: run_node(settings, sides.node),
    }
    return run_case_rounds(
        measures, CASES, OPS, sides=sides, rounds=settings.rounds, labels=IMPL_LABELS
    )


# --------------------------------------------------------------------------------------------
# the table


HEADERS = (
    "message",
    "bytes",
    "tlsync serialize µs",
    "node stringify µs",
    "tlsync parse µs",
    "node parse µs",
    "tlsync ÷ node (both)",
)


def rows(results: Results) -> list[list[str]]:
    out: list[list[str]] = []
    for case in CASES:
        size = len(serialize_message(MESSAGES[case]()).encode())
        row = [CASE_LABELS[case], f"{size:,}"]
        for op in OPS:  # serialize (tlsync, node), then parse (tlsync, node)
            for impl in IMPLS:
                row.append(fmt_ms(results[case_op_key(case, op)][impl]))
        totals: dict[str, float | None] = {}
        for impl in IMPLS:
            parts = [results[case_op_key(case, op)][impl].median for op in OPS]
            totals[impl] = None if None in parts else sum(p or 0.0 for p in parts)
        row.append(fmt_ratio(totals[TLSYNC], totals[NODE], TARGETS[case], digits=2))
        out.append(row)
    return out


# --------------------------------------------------------------------------------------------
# command line


def main(argv: Sequence[str] | None = None) -> int:
    args = runner_parser(
        "python -m bench.protocol_codec",
        "tlsync's message codec vs node's JSON.stringify / JSON.parse.",
        IMPLS,
        quick_help="smoke run: 1 round, fewer calls",
    ).parse_args(argv)
    settings, mode = preset(args, FULL, QUICK, rounds=args.rounds)
    sides = prepare_sides(args.impls, NODE, None)  # codec.mjs needs node only, no package
    results, elapsed = timed(lambda: run_all(settings, sides))
    versions = [cpython(), f"tlsync {tlsync_version()}"]
    if sides.runs(NODE):
        versions.append(f"node {sides.node.node_version}")
    print_header(
        f"codec benchmark ({mode}: {settings.rounds} round(s) x {settings.samples} samples) "
        f"on {os.cpu_count()} CPU(s), {elapsed:.0f} s",
        "; ".join(versions),
        "median µs per call; tlsync parse = JSON parsing + structural checks; the ratio is "
        "(serialize + parse) tlsync ÷ node",
    )
    print(render_table(HEADERS, rows(results), args.markdown))
    return finish(results, IMPL_LABELS, args, {"mode": mode, "versions": versions})


if __name__ == "__main__":
    sys.exit(main())

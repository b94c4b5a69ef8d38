"""Differential tests: tlsync_core.protocol.diff against @tldraw/sync-core 5.4.2 under node.

Hypothesis draws records and edits of them (diff_strategies.py), arbitrary diffs, and store
diffs; ``tests/node/ops/diff.mjs`` runs tldraw's ``diffRecord``, ``applyObjectDiff`` and
``getNetworkDiff`` on the same JSON, many cases per round trip.

What must agree. Both sides see the same parsed JSON (the Python side runs on a JSON copy of
each case). Node answers with ``JSON.stringify`` of its result; the Python result is written
with ``jsvalue.json_stringify``, which is ``JSON.stringify`` for Python values, and the two texts
must be identical. That compares the ops, their values and number formatting, and also the key
order: JavaScript writes integer-like keys first and the others in insertion order, and the
Python diff must insert keys in the order tldraw does (prev's keys, then next's new ones). Key
order has no meaning on the wire (each op of a diff reads the original object and writes its own
key; only odd array keys such as "1" and "01" can name one index, and apply_object_diff visits
those in JavaScript's order whatever order the dict has), so the Python codec may serialize in
plain insertion order; the check is there so that any divergence in the algorithm shows, not
only in the result. ``applyObjectDiff`` must also agree on whether the input itself came back.

Every case that ever failed, here or in the property tests of test_diff.py, is kept in
``vectors/diff_regressions.json`` with node's answer and where it came from;
:func:`test_regression_vectors_python` replays them on Python alone, and
:func:`test_regression_vectors_node` checks that node still gives the recorded answers. A
failing case here prints its vector, ready to be added there.

The derandomized tests run the same cases on every run (1,500 record diffs, 1,200 applies, 600
store diffs of up to four records); the ``fresh`` ones draw 200 new cases each per run. NaN and
the infinities cannot travel through JSON; test_diff.py covers them in Python.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from diff_strategies import (
    CONTAINERS,
    VALUES,
    append_cases,
    array_key_cases,
    edited,
    kind_swaps,
    null_moves,
    object_diffs,
    record_pairs,
    records,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from node_peer import NodePeer

from tlsync_core.protocol.diff import apply_object_diff, diff_record, get_network_diff
from tlsync_core.store import RecordsDiff
from tlsync_core.store.jsvalue import json_stringify

VECTORS = Path(__file__).parent / "vectors" / "diff_regressions.json"

#: cases per example (one round trip to node each)
BATCH = 10
_HEALTH = [
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.large_base_example,
    HealthCheck.filter_too_much,  # a batch that outgrows Hypothesis's buffer is drawn again
]


def derandomized(examples: int) -> settings:
    """The same ``examples`` batches on every run."""
    return settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=_HEALTH,
    )


#: new batches on every run
FRESH = settings(max_examples=20, deadline=None, database=None, suppress_health_check=_HEALTH)

Case = dict[str, Any]
Result = dict[str, Any]


def json_copy(value: Any) -> Any:
    """What node parses from the request: the same JSON, read back."""
    return json.loads(json.dumps(value, allow_nan=False))


def _report(fn: Callable[[], Any]) -> Result:
    try:
        return {"json": json_stringify(fn())}
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}


def python_diff_record(case: Case) -> Result:
    case = json_copy(case)
    return _report(lambda: diff_record(case["prev"], case["next"], case["legacyAppendMode"]))


class _Holes(Exception):
    """Python refused to write past the end of an array, where JavaScript leaves holes."""


def python_apply_object_diff(case: Case) -> Result:
    case = json_copy(case)
    target = case["object"]
    try:
        result = apply_object_diff(target, case["diff"])
    except ValueError as error:
        if "holes" in str(error):
            raise _Holes from error
        return {"error": f"{type(error).__name__}: {error}"}
    except Exception as error:
        return {"error": f"{type(error).__name__}: {error}"}
    return {"json": json_stringify(result), "same": result is target}


def python_get_network_diff(case: Case) -> Result:
    case = json_copy(case)
    diff = RecordsDiff(
        added=case["added"],
        updated={rid: (pair[0], pair[1]) for rid, pair in case["updated"].items()},
        removed=case["removed"],
    )
    return _report(lambda: get_network_diff(diff))


PYTHON: dict[str, Callable[[Case], Result]] = {
    "diffRecord": python_diff_record,
    "applyObjectDiff": python_apply_object_diff,
    "getNetworkDiff": python_get_network_diff,
}


def _node_cases(op: str, cases: list[Case]) -> list[Case]:
    return [{"diff": case} for case in cases] if op == "getNetworkDiff" else cases


def check_against_node(node_peer: NodePeer, op: str, cases: list[Case]) -> int:
    """Run ``cases`` of ``op`` on both sides; assert identical answers. Returns how many cases
    were compared (a Python refusal to leave holes in an array is not compared)."""
    node_results = node_peer.call(f"{op}Many", cases=_node_cases(op, cases))
    compared = 0
    for case, node in zip(cases, node_results, strict=True):
        try:
            python = PYTHON[op](case)
        except _Holes:
            assert "json" in node, node
            continue
        if python != node:
            vector = json.dumps({"op": op, "payload": case, "expected": node})
            pytest.fail(
                f"{op} differs from tldraw\n python: {python}\n node:   {node}\n vector: {vector}"
            )
        compared += 1
    return compared


# ---------------------------------------------------------------------------------------------
# strategies for whole cases
# ---------------------------------------------------------------------------------------------


@st.composite
def diff_record_cases(draw: st.DrawFn) -> Case:
    legacy = draw(st.booleans())
    if draw(st.integers(0, 9)) == 9:  # any two arrays or objects, not records
        prev = draw(CONTAINERS)
        nxt = draw(edited(prev))
        if not isinstance(nxt, dict | list):
            nxt = draw(CONTAINERS)
        return {"prev": prev, "next": nxt, "legacyAppendMode": legacy}
    special = draw(st.integers(0, 19))
    if special >= 17:  # an array that became an object, or back
        prev, nxt = draw(kind_swaps())
        return {"prev": prev, "next": nxt, "legacyAppendMode": legacy}
    if special == 16:  # a null that moved to another key
        prev, nxt = draw(null_moves())
        return {"prev": prev, "next": nxt, "legacyAppendMode": legacy}
    prev, nxt = draw(record_pairs())
    return {"prev": prev, "next": nxt, "legacyAppendMode": legacy}


@st.composite
def apply_cases(draw: st.DrawFn) -> Case:
    kind = draw(st.integers(0, 8))
    if kind == 6:  # one append op, aimed right or wrong
        current, op = draw(append_cases())
        return {"object": {"k": current}, "diff": {"k": op}}
    if kind == 7:  # an array under keys it reads and writes differently
        array, diff = draw(array_key_cases())
        return {"object": array, "diff": diff}
    if kind == 8:  # the diff of an array that became an object, or back
        prev, nxt = draw(kind_swaps())
        return {"object": prev, "diff": diff_record(prev, nxt) or {}}
    prev, nxt = draw(record_pairs())
    if kind <= 1:  # a diff applied to the record it was made from
        return {"object": prev, "diff": diff_record(prev, nxt) or {}}
    if kind == 2:  # ... to a record that has changed since (a stale base)
        return {"object": draw(edited(prev)), "diff": diff_record(prev, nxt) or {}}
    target = draw(st.one_of(st.just(prev), VALUES)) if kind < 5 else draw(VALUES)
    return {"object": target, "diff": draw(object_diffs(target))}


IDS = ["shape:a", "shape:b", "page:p", "instance:i", "0", "1"]


@st.composite
def records_diff_cases(draw: st.DrawFn) -> Case:
    case: Case = {"added": {}, "updated": {}, "removed": {}}
    for record_id in draw(st.lists(st.sampled_from(IDS), unique=True, max_size=4)):
        table = draw(st.sampled_from(["added", "updated", "updated", "removed"]))
        if table == "updated":
            case["updated"][record_id] = list(draw(record_pairs(with_id=record_id)))
        else:
            case[table][record_id] = draw(records(with_id=record_id))
    if draw(st.integers(0, 9)) == 0 and case["added"]:  # the same id in two tables
        record_id = next(iter(case["added"]))
        case["removed"][record_id] = case["added"][record_id]
    return case


def _batches(cases: st.SearchStrategy[Case]) -> st.SearchStrategy[list[Case]]:
    return st.lists(cases, min_size=BATCH, max_size=BATCH)


# ---------------------------------------------------------------------------------------------
# the tests
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("DF2", "DF3", "DF4", "DF5", "DF6", "DF7")
@derandomized(150)
@given(cases=_batches(diff_record_cases()))
def test_diff_record_agrees_with_tldraw(node_peer: NodePeer, cases: list[Case]) -> None:
    """diff_record gives tldraw's exact ops for records and edits of them, in both modes."""
    check_against_node(node_peer, "diffRecord", cases)


@pytest.mark.spec("DF2", "DF3", "DF4", "DF5", "DF6", "DF7")
@FRESH
@given(cases=_batches(diff_record_cases()))
def test_diff_record_agrees_with_tldraw_fresh(node_peer: NodePeer, cases: list[Case]) -> None:
    """The same on cases drawn afresh on every run."""
    check_against_node(node_peer, "diffRecord", cases)


@pytest.mark.spec("DF8", "DF9")
@derandomized(120)
@given(cases=_batches(apply_cases()))
def test_apply_object_diff_agrees_with_tldraw(node_peer: NodePeer, cases: list[Case]) -> None:
    """apply_object_diff gives tldraw's result, and returns its input exactly when tldraw does:
    for diffs made by diff_record, for the same diffs on a changed base, and for arbitrary
    ops (misaimed appends, patches of primitives, odd array keys)."""
    check_against_node(node_peer, "applyObjectDiff", cases)


@pytest.mark.spec("DF8", "DF9")
@FRESH
@given(cases=_batches(apply_cases()))
def test_apply_object_diff_agrees_with_tldraw_fresh(node_peer: NodePeer, cases: list[Case]) -> None:
    """The same on cases drawn afresh on every run."""
    check_against_node(node_peer, "applyObjectDiff", cases)


@pytest.mark.spec("DF10")
@derandomized(60)
@given(cases=_batches(records_diff_cases()))
def test_get_network_diff_agrees_with_tldraw(node_peer: NodePeer, cases: list[Case]) -> None:
    """get_network_diff gives tldraw's network diff (or null) for store diffs."""
    check_against_node(node_peer, "getNetworkDiff", cases)


@pytest.mark.spec("DF10")
@FRESH
@given(cases=_batches(records_diff_cases()))
def test_get_network_diff_agrees_with_tldraw_fresh(node_peer: NodePeer, cases: list[Case]) -> None:
    """The same on cases drawn afresh on every run."""
    check_against_node(node_peer, "getNetworkDiff", cases)


# ---------------------------------------------------------------------------------------------
# regression vectors
# ---------------------------------------------------------------------------------------------


def _vectors() -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads(VECTORS.read_text(encoding="utf-8"))
    return vectors


def test_regression_vectors_python() -> None:
    """Every case that once differed from tldraw now gives tldraw's recorded answer."""
    for vector in _vectors():
        assert PYTHON[vector["op"]](vector["payload"]) == vector["expected"], vector


def test_regression_vectors_node(node_peer: NodePeer) -> None:
    """The recorded answers are still what tldraw gives (the vectors are not stale)."""
    vectors = _vectors()
    for op in PYTHON:
        mine = [v for v in vectors if v["op"] == op]
        if mine:
            results = node_peer.call(
                f"{op}Many", cases=_node_cases(op, [v["payload"] for v in mine])
            )
            for vector, result in zip(mine, results, strict=True):
                assert result == vector["expected"], vector

"""Smoke tests for the diff benchmark (bench/protocol_diff.py, bench/node/diff.mjs).

No timing is asserted: these prove that the cases, their checks and both sides of the runner
work, so that every number the benchmark reports comes from a correct run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench_harness import needs_node, run_main

from bench import protocol_diff as runner
from bench.runner import production_env, run_node_process
from tlsync_core.protocol.diff import diff_record


@pytest.mark.parametrize("case", runner.CASES)
def test_cases_give_the_expected_diff(case: str) -> None:
    """Each case diffs into its expected ops, which rebuild the new record."""
    assert runner.check_case(case) == runner.EXPECTED[case]


@pytest.mark.parametrize("case", runner.CASES)
def test_next_shares_what_did_not_change(case: str) -> None:
    """``next`` shares its unchanged values with ``prev``, as a store update does."""
    prev, nxt = runner.make_case(case)
    assert nxt["meta"] is prev["meta"] and nxt["index"] is prev["index"]
    assert runner.share(prev, nxt)["meta"] is prev["meta"]


def test_check_catches_a_wrong_diff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check bites: a diff that is not the expected one fails the case."""
    monkeypatch.setitem(runner.EXPECTED, runner.GEO, '{"x":["put",0]}')
    with pytest.raises(runner.DiffCheckFailed):
        runner.check_case(runner.GEO)
    assert diff_record(*runner.make_case(runner.GEO)) is not None


def test_runner_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m bench.protocol_diff --quick`` runs end to end on tlsync alone."""
    argv = ["--quick", "--impls", "tlsync", "--markdown", "--rounds", "1"]
    out = run_main(runner.main, argv, capsys)
    assert "| geo shape moved and resized | diff_record |" in out
    assert "| draw, points array +1 of 200 | apply_object_diff |" in out


@needs_node("@tldraw/sync-core")
def test_node_side_diffs_into_the_same_bytes(tmp_path: Path) -> None:
    """``bench/node/diff.mjs`` gets the expected diff for every case and times both ops."""
    settings = runner.Settings(rounds=1, samples=2, inner=2, warmup=1, node_timeout_s=120)
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"cases": runner.node_cases(settings)}), encoding="utf-8")
    done = run_node_process(["diff.mjs", "--json", "--input", str(path)], env=production_env())
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["version"] == "5.4.2"
    results = report["results"]
    assert [r["name"] for r in results] == list(runner.CASES)
    for result in results:
        assert "error" not in result, result
        assert len(result["diff"]) == len(result["apply"]) == 2

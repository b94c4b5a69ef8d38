"""Smoke tests for the Store benchmark (bench/store.py, bench/store_cases.py, bench/node/store.mjs).

No timing is asserted: these prove that the workload, its checks and the runner work at tiny
sizes, so that every number the benchmark reports comes from a correct run.
"""

from __future__ import annotations

import json

import pytest
from bench_harness import needs_node, run_main

from bench import store as runner
from bench.runner import production_env, run_node_process
from bench.store_cases import (
    MEMORY_KINDS,
    OPS,
    StoreCaseFailed,
    make_records,
    measure_memory,
    run_trial,
)
from tlsync_core.store import Record, RecordType, StoreSchema


@pytest.mark.parametrize("n", [1, 2, 25])
def test_trial_passes_its_checks(n: int) -> None:
    """A trial of n records runs every operation, passes every check and times each one."""
    records = make_records(n)
    ms = run_trial(records, collect=lambda: None)
    assert list(ms) == list(OPS)
    assert all(value >= 0 for value in ms.values())
    assert records == make_records(n), "the trial must not change the records it is given"


class _ShiftX:
    """A deliberately wrong validator: every record it accepts has moved 1000 to the right."""

    def validate(self, value: object) -> Record:
        assert isinstance(value, dict)
        return {**value, "x": value["x"] + 1000}

    def validate_using_known_good_version(self, known_good: Record, new_value: object) -> Record:
        return self.validate(new_value)


def test_checks_catch_a_wrong_record() -> None:
    """The record checks bite: a store whose records come out changed fails the first step."""
    schema = StoreSchema.create([RecordType("item", validator=_ShiftX())])
    with pytest.raises(StoreCaseFailed, match=r"putAll: record item:0"):
        run_trial(make_records(10), schema, collect=lambda: None)


def test_memory_measurement_gives_bytes_per_record() -> None:
    """The tracemalloc measurement reports positive bytes per record for every kind."""
    per_record = measure_memory(200)
    assert set(per_record) == set(MEMORY_KINDS)
    assert all(value > 0 for value in per_record.values()), per_record


def test_runner_prints_both_tables(capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m bench.store`` runs end to end on tlsync alone (tiny N, no Node)."""
    argv = ["--quick", "--impls", "tlsync", "--sizes", "30", "--memory-size", "30", "--markdown"]
    out = run_main(runner.main, argv, capsys)
    assert "| put N new records (one call) | 30 |" in out
    assert "| listen overhead: update each | 30 |" in out
    assert "| records + store | 30 |" in out


@needs_node("@tldraw/store")
def test_node_side_passes_its_checks() -> None:
    """``bench/node/store.mjs`` runs a tiny trial and a memory measurement, every check passing."""
    for args in (
        ["--size", "20", "--trials", "1", "--warmup-runs", "1", "--warmup-size", "5"],
        ["--memory", "50"],
    ):
        command = ["--expose-gc", "store.mjs", "--json", *args]
        done = run_node_process(command, timeout_s=60, env=production_env())
        assert done.returncode == 0, done.stderr
        (result,) = json.loads(done.stdout)["results"]
        assert result["kind"] in ("time", "memory"), result
        if result["kind"] == "time":
            assert sorted(result["ms"]) == sorted(OPS)
            assert result["frozen"] is False

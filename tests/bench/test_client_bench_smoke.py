"""Smoke tests for the client benchmark (bench/client.py, bench/node/client.mjs).

No timing is asserted. These prove, at tiny sizes, that both sides run every case through
their real sync client and that the checks behind each number hold: the hydrated store holds
exactly the records of the connect answer, a rebase leaves the remote values and the pending
local ones in place, every edit sends its own push, and the checks fail when the client did
not do its job (so a timing can only come from a correct run).
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import pytest
from bench_harness import needs_node, run_main

from bench import client as runner
from bench.runner import production_env, run_node_process
from tlsync_core.demo_schema import create_demo_schema
from tlsync_core.protocol.codec import serialize_message

TINY = dataclasses.replace(
    runner.QUICK,
    shapes=30,
    pending=6,
    remote=5,
    edits=4,
    trials=dict.fromkeys(runner.CASES, 2),
    py_warmup=dict.fromkeys(runner.CASES, 1),
    node_warmup=dict.fromkeys(runner.CASES, 1),
)


def _connect_text(shapes: int) -> str:
    return serialize_message(runner.make_connect_message(shapes, create_demo_schema()))


def test_hydration_fills_the_store() -> None:
    """After the timed delivery, the client is connected, loaded once, and its store holds the
    document, the page and every shape, equal to the records of the connect answer."""
    bench, ms = runner.hydrate_once(create_demo_schema(), _connect_text(30), collect=lambda: None)
    try:
        assert ms >= 0
        assert bench.client.is_connected_to_room
        assert bench.loaded == [bench.client]
        assert len(bench.store) == 32
        assert bench.store.get("shape:17") == runner.make_shape(17)
        assert bench.store.get("page:page") is not None
    finally:
        bench.close()


def test_every_case_passes_its_checks() -> None:
    """One round of every case on tlsync's client: the checks pass and every case has as many
    samples as timed trials (warm-ups dropped)."""
    samples = runner.measure_python(TINY, collect=lambda: None)
    assert list(samples) == list(runner.CASES)
    for case in runner.CASES:
        assert len(samples[case]) == TINY.trials[case], case
        assert all(value >= 0 for value in samples[case]), case


def test_check_catches_a_client_that_did_not_hydrate() -> None:
    """The hydration check bites: an answer to another connect request is ignored by the
    client, so its store stays empty and the check fails."""
    schema = create_demo_schema()
    bench = runner.new_client(schema)
    try:
        text = _connect_text(10).replace(runner.PLACEHOLDER, "some-other-request")
        runner.receive(bench.socket, text)
        with pytest.raises(runner.ClientCaseFailed, match="connected"):
            runner.check_hydrated(bench, json.loads(text), "hydrate")
    finally:
        bench.close()


def test_check_catches_a_rebase_that_lost_the_local_changes() -> None:
    """The rebase check bites: if the pending local x is not re-applied on top of the remote
    patch (here: a patch delivered with no local edits at all), the check fails."""
    schema = create_demo_schema()
    bench, _ = runner.hydrate_once(schema, _connect_text(30), collect=lambda: None)
    try:
        text = serialize_message(runner.make_patch_message(1, shapes=30, remote=5))
        runner.receive(bench.socket, text)
        with pytest.raises(runner.ClientCaseFailed, match=r"shape:0 x"):
            runner.check_rebased(bench, text, run=1, pending=6, step="rebase")
    finally:
        bench.close()


def test_runner_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m bench.client`` runs end to end on tlsync alone (tiny sizes, no Node)."""
    sizes = ["--shapes", "20", "--pending", "5", "--remote", "4", "--edits", "3"]
    out = run_main(runner.main, ["--quick", "--impls", "tlsync", *sizes, "--markdown"], capsys)
    assert "| hydrate (connect text → on_load) | 20 shapes | ms |" in out
    assert "| rebase, 5 pushes pending | 5 pending, 4 remote | ms |" in out
    assert "| edit-to-push | 3 edits | µs/change |" in out


@needs_node("@tldraw/sync-core")
def test_node_side_passes_its_checks(tmp_path: Path) -> None:
    """``bench/node/client.mjs`` runs every case on @tldraw/sync-core's TLSyncClient with the
    same message texts, every check passing, and reports the timed trials of each; its checks
    bite too: a connect answer the client ignores (wrong request id) fails the run."""
    input_path = runner.write_node_input(TINY, tmp_path)
    done = _run_node(input_path)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["error"] is None
    assert report["nodeEnv"] == "production"
    for case in runner.CASES:
        assert len(report["samples"][case]) == TINY.trials[case], case
        assert all(value >= 0 for value in report["samples"][case]), case

    broken = json.loads(input_path.read_text(encoding="utf-8"))
    broken["placeholder"] = "not-in-the-text"
    input_path.write_text(json.dumps(broken), encoding="utf-8")
    done = _run_node(input_path)
    assert done.returncode == 1
    assert "hydrate: connected" in json.loads(done.stdout)["error"]


def _run_node(input_path: Path) -> subprocess.CompletedProcess[str]:
    return run_node_process(
        ["client.mjs", "--json", "--input", str(input_path)], env=production_env()
    )

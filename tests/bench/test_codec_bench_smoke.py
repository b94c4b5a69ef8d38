"""Smoke tests for the codec benchmark (bench/protocol_codec.py, bench/node/codec.mjs).

No timing is asserted: these prove that the messages, their checks and both sides of the
runner work, so that every number the benchmark reports comes from a correct run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench_harness import needs_node, run_main

from bench import protocol_codec as runner
from bench.runner import run_node_process
from tlsync_core.protocol import parse_server_message, serialize_message, validate_server_message


@pytest.mark.parametrize("case", runner.CASES)
def test_messages_are_valid_and_round_trip(case: str) -> None:
    """Each benchmark message is a valid v8 server message that survives serialize + parse."""
    message = runner.MESSAGES[case]()
    validated: object = validate_server_message(message, dialect=8)
    assert validated is message
    text = runner.check_case(message)
    assert parse_server_message(text) == message


def test_connect_message_hydrates_a_thousand_shapes() -> None:
    """The connect case carries the document, the page and 1,000 distinct geo shapes."""
    message = runner.make_connect_message()
    diff = message["diff"]
    shapes = [op[1] for op in diff.values() if op[1]["typeName"] == "shape"]
    assert len(shapes) == 1000 and len(diff) == 1002
    assert {shape["type"] for shape in shapes} == {"geo"}


def test_check_catches_a_message_that_does_not_survive() -> None:
    """The check bites: NaN is written as null, so the message does not come back."""
    with pytest.raises(runner.CodecCheckFailed):
        runner.check_case({"type": "custom", "data": float("nan")})


def test_runner_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m bench.protocol_codec --quick`` runs end to end on tlsync alone."""
    out = run_main(runner.main, ["--quick", "--impls", "tlsync", "--markdown"], capsys)
    assert "| data: patch of a moved geo shape | 160 |" in out
    assert "| connect: hydrate 1,000 geo shapes |" in out


@needs_node()
def test_node_side_times_the_same_bytes(tmp_path: Path) -> None:
    """``bench/node/codec.mjs`` re-serializes our text to the same bytes and times both ops."""
    cases = [
        {
            "name": case,
            "text": serialize_message(runner.MESSAGES[case]()),
            "inner": 2,
            "samples": 2,
            "warmup": 1,
        }
        for case in runner.CASES
    ]
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"cases": cases}), encoding="utf-8")
    done = run_node_process(["codec.mjs", "--json", "--input", str(path)])
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)["results"]
    assert [r["name"] for r in results] == list(runner.CASES)
    for result in results:
        assert result["identical"] is True
        assert len(result["stringify"]) == len(result["parse"]) == 2

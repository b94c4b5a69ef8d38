"""Smoke tests for the arrival benchmark (bench/arrival.py).

No timing is asserted: these prove, at a tiny size, that the bot's every create and update
reaches the editor session (so every delay the benchmark reports is of a change that arrived),
and that the runner prints its table.
"""

from __future__ import annotations

import pytest
from bench_harness import run_main

from bench import arrival


async def test_every_create_and_update_arrives() -> None:
    """Two steps on ``tlsync serve``: two creates and two updates arrive, with delays >= 0."""
    result = await arrival.run_rounds(rounds=1, steps=2, gap_ms=10)
    assert len(result.creates) == 2 and len(result.updates) == 2
    assert min(result.creates + result.updates) >= 0


def test_runner_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m bench.arrival --quick`` runs end to end and prints both rows."""
    out = run_main(arrival.main, ["--quick", "--steps", "2", "--markdown"], capsys)
    assert "| create | 2 |" in out and "| update | 2 |" in out
    assert "updates ÷ creates" in out

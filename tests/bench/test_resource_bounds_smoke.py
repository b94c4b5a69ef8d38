"""Smoke test for the resource-bounds benchmark (bench/resource_bounds.py): it runs end to end.

No figure is asserted: this proves that the attacks and faults it measures run against a real
server and that the server survives them (each attack ends with a push that is acknowledged).
"""

from __future__ import annotations

import pytest
from bench_harness import run_main

from bench import resource_bounds


@pytest.mark.spec("LIM1", "LIM2", "STO3")
def test_the_resource_bounds_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """A ping flood and a message too large for a 256 MiB budget against ``tlsync serve``,
    and a full disk that heals in process: each reports its figures."""
    out = run_main(
        resource_bounds.main, ["--only", "ping,frame,disk", "--memory-budget", "256"], capsys
    )
    assert "ping: offered" in out
    assert "frame: 16 MiB [{},...] frame: closed 1009" in out
    assert "disk: disk full, then grown: acknowledged and healthy in" in out

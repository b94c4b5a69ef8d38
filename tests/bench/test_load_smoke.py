"""Smoke tests for the load benchmark (bench/load.py): tiny numbers, correctness only.

No figure is asserted beyond being measured: these prove that the server starts, that every
session connects and stays (its pings answered), that every probe reaches every other session
of its room exactly once, and that the runner prints its table.
"""

from __future__ import annotations

import pytest
from bench_harness import run_main

from bench import load
from bench.load import LoadClient, LoadRoom, LoadSettings, Probe


@pytest.mark.spec("SRV1", "RP11")
async def test_a_tiny_load_run_is_complete() -> None:
    """12 sessions in 3 rooms, held 1.5 s with fast pings and probes: nothing lost."""
    settings = LoadSettings(
        sessions=12, rooms=3, hold_s=1.5, ping_interval_s=0.3, probe_interval_s=0.1
    )
    result = await load.run_load(settings)
    assert result.errors == []
    assert result.probes >= 6
    assert result.deliveries == result.probes * 3  # 4 sessions a room: 3 receivers a probe
    assert 0 < result.p50_ms <= result.p99_ms <= result.max_ms
    assert result.pings > 0 and result.pongs >= result.pings - 12
    assert result.rss_empty_kib > 0 and result.rss_max_kib >= result.rss_connected_kib > 0
    assert result.server_cpu >= 0 and result.connect_s > 0


def test_probes_count_each_receipt_once() -> None:
    """A probe is complete when every other session got it; a duplicate is an error."""
    errors: list[str] = []
    room = LoadRoom("r", errors)
    client = LoadClient.__new__(LoadClient)
    client.index = 1
    room.probes[1] = Probe(sent=10.0, expected=2)
    room.arrived(client, ["patch", {"x": ["put", 1], "y": ["put", 1]}], 12.0)
    assert not room.probes[1].complete
    room.arrived(client, ["patch", {"x": ["put", 1], "y": ["put", 1]}], 15.0)
    assert room.probes[1].complete and room.probes[1].last == 15.0
    room.arrived(client, ["patch", {"x": ["put", 1], "y": ["put", 1]}], 16.0)
    room.arrived(client, ["patch", {"x": ["put", 9], "y": ["put", 9]}], 16.0)
    assert errors == ["r: probe 1 delivered more than once", "r: session 1 got unknown probe 9"]


def test_the_runner_prints_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m bench.load`` runs end to end (tiny numbers) and prints a markdown row."""
    argv = ["--sessions", "6", "--rooms", "2", "--hold", "0.6", "--markdown"]
    intervals = ["--ping-interval", "0.2", "--probe-interval", "0.1"]
    assert "| 6 | 2 | 1 |" in run_main(load.main, [*argv, *intervals], capsys)

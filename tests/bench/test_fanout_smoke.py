"""Smoke tests for the fan-out benchmark (bench/fanout.py, bench/processes.py,
bench/fanout_server.py and bench/node/fanout-server.mjs).

No timing is asserted: these prove, at tiny sizes, that the servers start, that the load
generator's checks pass (every move reaches every other client exactly once and in order) and
bite, and that the runner prints its tables, so every number the benchmark reports comes from a
correct run.
"""

from __future__ import annotations

from typing import cast

import pytest
from bench_harness import needs_node, run_main
from websockets.asyncio.client import ClientConnection

from bench import fanout, processes
from bench.fanout import FanoutClient, FanoutResult
from bench.processes import DEMO, NODE, TLDRAW, TLSYNC, TLSYNC_MEMORY
from bench.runner import prepare_node
from tlsync_core.schemas import resolve_schema


def assert_complete(result: FanoutResult, clients: int, moves: int) -> None:
    """Every push committed, and every client got every other client's every move."""
    assert result.error is None, result.error
    assert result.pushes == clients * moves
    assert result.deliveries == clients * (clients - 1) * moves
    assert result.pushes_per_s > 0 and result.deliveries_per_s > 0
    assert 0 < result.p50_ms <= result.p99_ms <= result.max_ms


async def test_fanout_on_tlsync_serve_with_sqlite() -> None:
    """``tlsync serve`` on a SQLite file, tldraw's schema (full geo shapes, validated): 3
    clients, 4 moves each, after a warm-up run."""
    result = await fanout.run_one_fanout(TLSYNC, 3, 4, warmup=True)
    assert_complete(result, 3, 4)
    assert result.server_cpu >= 0


async def test_fanout_on_the_demo_schema() -> None:
    """``--schema demo``: the same complete fan-out on the small demo schema."""
    result = await fanout.run_one_fanout(TLSYNC, 3, 3, warmup=False, schema=DEMO)
    assert_complete(result, 3, 3)


def test_tldraw_shape_is_a_valid_tldraw_record() -> None:
    """The shape the generator creates on the tldraw schema passes tldraw's validators, and
    every session announces tldraw's serialized schema."""
    schema = resolve_schema("tldraw")
    shape = processes.geo_shape("shape:c0", TLDRAW)
    schema.types["shape"].validate(shape, None)
    assert processes.client_schema(TLDRAW) == schema.serialize()


async def test_fanout_with_two_generator_processes() -> None:
    """The clients split between two generator processes see the same complete fan-out."""
    result = await fanout.run_one_fanout(TLSYNC_MEMORY, 4, 3, warmup=False, processes=2)
    assert_complete(result, 4, 3)


async def test_idle_memory_measurement() -> None:
    """Idle sessions join their rooms, and the server's RSS is read before and after."""
    server = await processes.start_server(TLSYNC_MEMORY)
    try:
        result = await fanout.measure_idle(server, sessions=12, rooms=3, settle_s=0.1)
    finally:
        await server.stop()
    assert result.error is None
    assert result.rss_before_kib > 0 and result.rss_after_kib > 0


@needs_node(processes.NODE_PACKAGE)
async def test_fanout_on_node_tlsocketroom() -> None:
    """The node peer server (TLSocketRoom) takes the same messages on both schemas (on tldraw's
    it validates them with createTLSchema()): a complete fan-out each time."""
    assert prepare_node(processes.NODE_PACKAGE).unavailable is None
    result = await fanout.run_one_fanout(NODE, 3, 4, warmup=False)
    assert_complete(result, 3, 4)
    demo = await fanout.run_one_fanout(NODE, 3, 2, warmup=False, schema=DEMO)
    assert_complete(demo, 3, 2)
    server = await processes.start_server(NODE, schema=TLDRAW)
    try:
        idle = await fanout.measure_idle(server, sessions=6, rooms=2, settle_s=0.1)
    finally:
        await server.stop()
    assert idle.error is None and idle.rss_before_kib > 0


def test_client_checks_catch_a_lost_or_reordered_move() -> None:
    """A receiver records latencies of moves in order, and flags a skipped move."""
    client = FanoutClient(0, cast(ClientConnection, None), clients=2)
    client.expected_moves = 3
    client._delivery("shape:c1", ["patch", {"x": ["put", 100.0], "y": ["put", 1]}], 105.0)
    client._delivery("shape:c1", ["patch", {"x": ["put", 110.0], "y": ["put", 2]}], 112.5)
    assert list(client.latencies) == [5.0, 2.5] and client.errors == []
    client._delivery("shape:c1", ["patch", {"x": ["put", 120.0], "y": ["put", 4]}], 121.0)
    assert client.errors == ["client 0: shape:c1 move 4 after 2"]
    assert client.all_moves.is_set()


def test_percentile_is_nearest_rank() -> None:
    """p50 and p99 are nearest-rank percentiles of the sorted latencies."""
    values = [float(v) for v in range(1, 101)]
    assert processes.percentile(values, 0.50) == 50.0
    assert processes.percentile(values, 0.99) == 99.0
    assert processes.percentile([7.0], 0.99) == 7.0


def test_runner_prints_both_tables(capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m bench.fanout`` runs end to end on our server (tiny N, no node)."""
    sizes = ["--sizes", "3", "--moves", "3", "--sessions", "6", "--rooms", "2"]
    argv = ["--quick", "--servers", "tlsync-memory", *sizes, "--markdown"]
    out = run_main(fanout.main, argv, capsys)
    assert "tldraw schema" in out
    assert "| tlsync (memory) | 3 | 3 |" in out
    assert "| tlsync (memory) | 6 | 2 |" in out

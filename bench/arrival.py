"""Arrival benchmark: how soon a bot's creates and its updates reach another client.

Run from the repository root with the venv active::

    python -m bench.arrival                  # 40 shapes, 3 rounds
    python -m bench.arrival --quick          # smoke run: 4 shapes, 1 round
    python -m bench.arrival --markdown --json bench/results/arrival.json

A fresh ``tlsync serve`` (SQLite, tldraw's schema; :func:`bench.processes.start_server`) hosts one
room. Two clients join it:

* the *bot*: our :class:`~tlsync_client.connection.RoomConnection` (``tlsync_client.connect``,
  tldraw's schema, the default 30 fps throttle), as a bot or a script drives it;
* the *editor*: a raw protocol-8 session (:class:`bench.processes.Session`) that stands for a
  person in the tldraw editor moving the mouse: it pushes its presence (a cursor move) 30 times a
  second, so the bot keeps receiving patches and rebasing, and it timestamps every frame it
  receives.

Then the bot, once per step, creates a geo shape (``create_geo``), waits ``--gap`` ms (40: a bit
more than a frame budget, as an animation or a script's next step would), moves that shape
(``move``) and waits ``--gap`` ms again. Each store call is timestamped; its arrival is when the
editor receives the ``put`` (a create) or the ``patch`` (an update) of that shape. Reported per
kind: p50, p90 and max of the arrival delay over every step of every round; and ``updates ÷
creates`` of the p50s. Every create and every update must arrive, or the run fails.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection

from bench.processes import (
    PHASE_TIMEOUT_S,
    TLDRAW,
    TLSYNC,
    BenchError,
    Session,
    now_ms,
    open_session,
    percentile,
    start_server,
)
from bench.runner import (
    TIMES,
    add_output_options,
    cpython,
    print_header,
    print_notes,
    render_table,
    write_json,
)
from tlsync_client.connection import RoomConnection, connect
from tlsync_core.tldraw import create_geo, create_tldraw_schema, move, presence_record

CREATE = "create"
UPDATE = "update"
#: the editor's presence pushes per second (tldraw's collaborative throttle)
EDITOR_FPS = 30


class Editor(Session):
    """The raw session standing for a person in the editor: pushes cursor moves, timestamps
    the bot's shapes as they arrive."""

    def __init__(self, ws: ClientConnection) -> None:
        super().__init__(ws, "editor", [])
        self.expected: dict[tuple[str, str], float] = {}  # (kind, shape id) -> store call time
        self.delays: dict[str, list[float]] = {CREATE: [], UPDATE: []}
        self.arrived = asyncio.Event()

    def on_event(self, event: dict[str, Any], received: float) -> None:
        if event.get("type") != "patch":
            return  # (push results of the presence pushes, pongs)
        for record_id, op in event["diff"].items():
            kind = CREATE if op[0] == "put" else UPDATE
            sent = self.expected.pop((kind, record_id), None)
            if sent is not None:
                self.delays[kind].append(received - sent)
                if not self.expected:
                    self.arrived.set()

    def expect(self, kind: str, shape_id: str, sent: float) -> None:
        self.expected[(kind, shape_id)] = sent
        self.arrived.clear()

    async def move_cursor(self) -> None:
        """Push a presence (a put, then cursor patches) ``EDITOR_FPS`` times a second."""
        record = presence_record(
            create_tldraw_schema(), user_id="editor", name="editor", id="instance_presence:ed"
        )
        await self.send({"type": "push", "clientClock": self.clock, "presence": ["put", record]})
        self.clock += 1
        step = 0
        while True:
            await asyncio.sleep(1 / EDITOR_FPS)
            step += 1
            cursor = {"x": float(step % 500), "y": 10.0, "type": "default", "rotation": 0}
            op = ["patch", {"cursor": ["put", cursor]}]
            await self.send({"type": "push", "clientClock": self.clock, "presence": op})
            self.clock += 1


@dataclass
class ArrivalResult:
    """The arrival delays (ms) of one or more runs."""

    creates: list[float] = field(default_factory=list)
    updates: list[float] = field(default_factory=list)


async def run_arrival(url: str, steps: int, gap_ms: float) -> ArrivalResult:
    """One room at ``url``: the editor moves its cursor while the bot creates and moves
    ``steps`` shapes; returns every arrival delay."""
    editor = Editor(await open_session(url, "editor", "editor", TLDRAW))
    editor.start()
    cursor = asyncio.get_running_loop().create_task(editor.move_cursor())
    editor.tasks.append(cursor)
    bot: RoomConnection = await connect(url, schema="tldraw")
    try:
        await asyncio.sleep(0.3)  # the editor's presence is flowing
        for step in range(steps):
            sent = now_ms()
            shape_id = create_geo(bot.store, x=20.0 * step, y=0, w=80, h=60)["id"]
            editor.expect(CREATE, shape_id, sent)
            await asyncio.sleep(gap_ms / 1000)
            editor.expect(UPDATE, shape_id, now_ms())
            move(bot.store, shape_id, 20.0 * step, 100)
            await asyncio.sleep(gap_ms / 1000)
        try:
            await asyncio.wait_for(editor.arrived.wait(), PHASE_TIMEOUT_S)
        except TimeoutError:
            raise BenchError(f"never arrived: {sorted(editor.expected)}") from None
        if editor.errors:
            raise BenchError(editor.errors[0])
    finally:
        await bot.close()
        await editor.close()
    return ArrivalResult(editor.delays[CREATE], editor.delays[UPDATE])


async def run_rounds(rounds: int, steps: int, gap_ms: float) -> ArrivalResult:
    """``rounds`` runs, each on a fresh server; their delays together."""
    total = ArrivalResult()
    for index in range(rounds):
        print(f"round {index + 1}/{rounds}: {steps} steps ...", file=sys.stderr, flush=True)
        server = await start_server(TLSYNC, schema=TLDRAW)
        try:
            result = await run_arrival(server.url(f"arrival-{index}"), steps, gap_ms)
        finally:
            await server.stop()
        total.creates += result.creates
        total.updates += result.updates
    return total


HEADERS = ["change", "arrivals", "p50 ms", "p90 ms", "max ms"]


def rows(result: ArrivalResult) -> list[list[str]]:
    table = []
    for name, delays in (("create", result.creates), ("update", result.updates)):
        ordered = sorted(delays)
        table.append(
            [
                name,
                str(len(ordered)),
                f"{percentile(ordered, 0.5):.1f}",
                f"{percentile(ordered, 0.9):.1f}",
                f"{ordered[-1]:.1f}" if ordered else "",
            ]
        )
    return table


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.arrival", description=__doc__)
    parser.add_argument("--steps", type=int, help="shapes created and moved per round (40)")
    parser.add_argument("--rounds", type=int, help="rounds, each on a fresh server (3)")
    parser.add_argument("--gap", type=float, default=40.0, help="ms between the bot's calls")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 4 steps, 1 round")
    add_output_options(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    steps = args.steps or (4 if args.quick else 40)
    rounds = args.rounds or (1 if args.quick else 3)
    started = time.perf_counter()
    result = asyncio.run(run_rounds(rounds, steps, args.gap))
    print_header(
        f"arrival benchmark: {rounds} round(s) of {steps} steps, {args.gap:g} ms apart, "
        f"{time.perf_counter() - started:.0f} s; {cpython()}; tlsync serve (SQLite, tldraw)",
        "delay from the bot's store call until the editor session receives the change, while "
        f"the editor pushes its cursor {EDITOR_FPS} times a second",
    )
    print(render_table(HEADERS, rows(result), args.markdown))
    creates = percentile(sorted(result.creates), 0.5)
    updates = percentile(sorted(result.updates), 0.5)
    ratio = updates / creates if creates > 0 else float("inf")
    mark = "✓" if ratio <= 1.1 else "✗"
    print_notes(
        [f"updates ÷ creates (p50): {ratio:.2f}{TIMES} {mark} (target: no slower, ≤ 1.1)"],
        args.markdown,
    )
    write_json(args.json, asdict(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The demo bot of ``tlsync serve --demo ROOM``: a real client that keeps drawing in a room.

It joins over the websocket like any tldraw client, draws a small diagram (boxes joined by
bound arrows, a note), then moves one box at a time, and shows its cursor as a collaborator,
so the editor page at ``/rooms/<room>``, its SVG live view at ``/rooms/<room>/view`` or any
tldraw app always has something happening.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Callable
from typing import Any

from tlsync_client.connection import RoomConnection, connect
from tlsync_core.signals import Atom, atom
from tlsync_core.store import Record
from tlsync_core.tldraw import (
    create_arrow,
    create_geo,
    create_note,
    create_tldraw_schema,
    move,
    presence_record,
)

__all__ = ["run_demo_bot"]

_COLORS = ("blue", "green", "orange", "red", "violet", "light-blue")
_GEOS = ("rectangle", "ellipse", "diamond", "hexagon", "star", "cloud")


def _draw_diagram(room: RoomConnection) -> list[str]:
    """Boxes on a circle, each bound by an arrow to the next; returns the boxes' ids (the
    boxes of an earlier run when the room has them, so restarts do not pile up diagrams)."""
    store = room.store
    earlier = sorted(
        (r for r in store.query.exec("shape") if "demoBot" in r["meta"]),
        key=lambda r: r["meta"]["demoBot"],
    )
    if earlier:
        return [r["id"] for r in earlier]
    boxes = []
    for n, (color, geo) in enumerate(zip(_COLORS, _GEOS, strict=True)):
        angle = 2 * math.pi * n / len(_COLORS)
        box = create_geo(
            store,
            x=400 + 260 * math.cos(angle),
            y=300 + 200 * math.sin(angle),
            w=140,
            h=90,
            geo=geo,
            color=color,
            fill="semi",
            text=f"bot {n + 1}",
            meta={"demoBot": n},
        )
        boxes.append(box["id"])
    for start, end in zip(boxes, boxes[1:] + boxes[:1], strict=True):
        create_arrow(store, start=start, end=end)
    create_note(store, x=330, y=250, text="drawn by tlsync's demo bot", color="yellow")
    return boxes


async def run_demo_bot(
    url: str, *, interval: float = 1.0, report: Callable[[str], None] = print
) -> None:
    """Join the room at ``url`` and draw until cancelled (closes the connection on the way
    out).  ``report`` receives one line per step."""
    rng = random.Random()
    presence: Atom[Record | None, Any] = atom("demo.presence", None)
    async with connect(url, schema=create_tldraw_schema(), presence=presence) as room:
        boxes = _draw_diagram(room)
        await room.wait_for_sync(timeout=30)
        step = 0
        while True:
            step += 1
            box_id = boxes[step % len(boxes)]
            x, y = rng.randint(100, 800), rng.randint(80, 520)
            if room.store.has(box_id):
                move(room.store, box_id, x, y)
            presence.set(
                presence_record(
                    room.store,
                    user_id="tlsync-demo-bot",
                    name="tlsync demo bot",
                    color="#4465e9",
                    cursor=(x + 70, y + 45),
                )
            )
            report(
                f"demo bot: moved {box_id} to ({x}, {y});"
                f" {len(room.store.query.exec('shape'))} shapes in the room"
            )
            await asyncio.sleep(interval)

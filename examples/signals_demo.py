"""A small live demo of tlsync's reactive layer: a room-like document changing over time.

Run with ``scripts/run``.  Atoms hold shapes, computeds derive a summary, an effect prints each
committed change, a transaction batches edits and a rollback undoes them.
"""

from __future__ import annotations

import operator
import random
import time
from typing import Any

from tlsync_core.signals import atom, computed, react, to_observable, transact, transaction


def main(steps: int = 12, delay: float = 0.3) -> None:
    rng = random.Random(7)
    shapes = atom("shapes", {f"shape:{i}": {"x": 0, "color": "black"} for i in range(3)})
    by_color = computed(
        "by_color",
        lambda _prev, _epoch: {
            color: sum(1 for s in shapes.get().values() if s["color"] == color)
            for color in sorted({s["color"] for s in shapes.get().values()})
        },
        is_equal=operator.eq,  # an equal summary is no change: the effect stays quiet
    )
    stop = react("print", lambda _epoch: print(f"  effect: shapes by colour {by_color.get()}"))
    counts: list[Any] = []
    subscription = to_observable(by_color).subscribe(counts.append)

    def edit(shape_id: str, **changes: Any) -> None:
        shapes.update(lambda current: {**current, shape_id: {**current[shape_id], **changes}})

    for step in range(steps):
        shape_id = f"shape:{rng.randrange(3)}"
        color = rng.choice(["red", "blue", "green", "black"])
        if step % 4 == 3:
            print(f"step {step}: a transaction recolours everything, then rolls back")
            transaction(
                lambda rollback: ([edit(s, color="violet") for s in shapes.get()], rollback())
            )
        elif step % 4 == 2:
            print(f"step {step}: a batch moves and recolours {shape_id} (one effect run)")
            x = rng.randint(0, 500)
            transact(lambda s=shape_id, x=x, c=color: (edit(s, x=x), edit(s, color=c)))
        else:
            print(f"step {step}: recolour {shape_id} to {color}")
            edit(shape_id, color=color)
        time.sleep(delay)
    subscription.dispose()
    stop()
    print(f"the Rx stream saw {len(counts)} distinct summaries; done.")


if __name__ == "__main__":
    main()

"""A small live demo of tlsync's reactive layer: a room-like document changing over time.

Run with ``scripts/run``.  Atoms hold shapes, computeds derive a summary, an effect prints each
committed change, a transaction batches edits and a rollback undoes them.
"""

from __future__ import annotations

import operator
import random
import time
from collections.abc import Callable

from tlsync_core.signals import atom, computed, react, to_observable, transact, transaction

Shape = dict[str, str | int]


def main(steps: int = 12, delay: float = 0.3) -> None:
    rng = random.Random(7)
    shapes = atom("shapes", {f"shape:{i}": Shape(x=0, color="black") for i in range(3)})

    def count_by_color(_prev: object, _epoch: int) -> dict[str, int]:
        counts: dict[str, int] = {}
        for shape in shapes.get().values():
            color = str(shape["color"])
            counts[color] = counts.get(color, 0) + 1
        return dict(sorted(counts.items()))

    # an equal summary is no change: the effect stays quiet
    by_color = computed("by_color", count_by_color, is_equal=operator.eq)
    stop = react("print", lambda _epoch: print(f"  effect: shapes by colour {by_color.get()}"))
    summaries: list[dict[str, int]] = []
    subscription = to_observable(by_color).subscribe(summaries.append)

    def edit(shape_id: str, **changes: str | int) -> None:
        shapes.update(lambda current: {**current, shape_id: {**current[shape_id], **changes}})

    def recolour_all_then_roll_back(rollback: Callable[[], None]) -> None:
        for shape_id in shapes.get():
            edit(shape_id, color="violet")
        rollback()

    for step in range(steps):
        shape_id = f"shape:{rng.randrange(3)}"
        color = rng.choice(["red", "blue", "green", "black"])
        if step % 4 == 3:
            print(f"step {step}: a transaction recolours everything, then rolls back")
            transaction(recolour_all_then_roll_back)
        elif step % 4 == 2:
            print(f"step {step}: a batch moves and recolours {shape_id} (one effect run)")
            x = rng.randint(0, 500)

            def move_and_recolour(shape_id: str = shape_id, x: int = x, color: str = color) -> None:
                edit(shape_id, x=x)
                edit(shape_id, color=color)

            transact(move_and_recolour)
        else:
            print(f"step {step}: recolour {shape_id} to {color}")
            edit(shape_id, color=color)
        time.sleep(delay)
    subscription.dispose()
    stop()
    print(f"the Rx stream saw {len(summaries)} distinct summaries; done.")


if __name__ == "__main__":
    main()

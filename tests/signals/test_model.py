"""Random graphs of atoms, computeds and effects against a recompute-everything model.

The model evaluates every node from the raw atom values, from scratch, every time.  The graph
under test must agree with it after every operation: every active effect has seen the model's
value of what it reads (nothing stale), no effect ever ran while observing a value that the
model would not produce from the committed atoms (no glitch), every effect ran at most once per
commit, and a rolled-back transaction restores every atom it touched.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tlsync_core.signals import (
    Atom,
    Computed,
    Reactor,
    atom,
    computed,
    reactor,
    transact,
    transaction,
)

ERROR = "ERROR"  # the model's value of a node whose derivation raises


class Boom(Exception):
    """Raised by 'checked' nodes, to exercise error caching and recovery."""


@dataclass
class NodeSpec:
    kind: str  # "sum", "branch", "floor", "checked"
    inputs: list[int]  # indexes into the node list (atoms first)


@dataclass
class Graph:
    atoms: list[Atom[int, Any]]
    specs: list[NodeSpec]
    nodes: list[Atom[int, Any] | Computed[Any, Any]] = field(default_factory=list)
    derive_counts: list[int] = field(default_factory=list)

    def model(self) -> list[Any]:
        """Every node's value computed from scratch from the atoms' current values."""
        values: list[Any] = [a.unsafe_get_without_capture() for a in self.atoms]
        for spec in self.specs:
            values.append(evaluate(spec, values.__getitem__))
        return values


def evaluate(spec: NodeSpec, read: Callable[[int], Any]) -> Any:
    """One node's value given a reader of its inputs; the same code serves graph and model."""
    if spec.kind == "sum":
        vals = [read(i) for i in spec.inputs]
        return ERROR if ERROR in vals else sum(vals)
    if spec.kind == "branch":
        cond = read(spec.inputs[0])
        if cond == ERROR:
            return ERROR
        return read(spec.inputs[1] if cond % 2 else spec.inputs[2])
    if spec.kind == "floor":
        v = read(spec.inputs[0])
        return ERROR if v == ERROR else v // 3
    v = read(spec.inputs[0])  # "checked"
    return ERROR if v == ERROR or v % 5 == 0 else v + 1


def build(rng: random.Random, n_atoms: int, n_computeds: int) -> Graph:
    graph = Graph(atoms=[atom(f"a{i}", rng.randint(0, 9)) for i in range(n_atoms)], specs=[])
    graph.nodes.extend(graph.atoms)
    for index in range(n_computeds):
        available = n_atoms + index
        kind = rng.choice(["sum", "sum", "branch", "floor", "checked"])
        arity = {"sum": rng.randint(1, 3), "branch": 3, "floor": 1, "checked": 1}[kind]
        spec = NodeSpec(kind, [rng.randrange(available) for _ in range(arity)])
        graph.specs.append(spec)
        graph.derive_counts.append(0)
        graph.nodes.append(make_computed(graph, index, spec))
    return graph


def make_computed(graph: Graph, index: int, spec: NodeSpec) -> Computed[Any, Any]:
    def read(i: int) -> Any:
        try:
            return graph.nodes[i].get()
        except Boom:
            return ERROR

    def derive(_prev: object, _epoch: int) -> Any:
        graph.derive_counts[index] += 1
        value = evaluate(spec, read)
        if spec.kind == "checked" and value == ERROR:
            raise Boom(f"c{index}")
        return value

    return computed(f"c{index}", derive)


@dataclass
class Watcher:
    """An effect reading a few nodes; checks consistency at the moment it runs."""

    graph: Graph
    reads: list[int]
    deferred: bool
    queue: list[Callable[[], None]]
    seen: list[Any] | None = None
    runs: int = 0
    glitches: list[str] = field(default_factory=list)
    reactor: Reactor[None] | None = None

    def start(self) -> None:
        if self.reactor is None:
            schedule = self.queue.append if self.deferred else None
            self.reactor = reactor(f"w{id(self)}", self.run, schedule_effect=schedule)
        self.reactor.start()

    def run(self, _last: int) -> None:
        self.runs += 1
        seen = []
        for i in self.reads:
            try:
                seen.append(self.graph.nodes[i].get())
            except Boom:
                seen.append(ERROR)
        model = self.graph.model()
        expected = [model[i] for i in self.reads]
        if seen != expected:
            self.glitches.append(f"saw {seen}, model {expected}")
        self.seen = seen


def check(graph: Graph, watchers: list[Watcher]) -> None:
    model = graph.model()
    for w in watchers:
        assert not w.glitches, w.glitches
        listening = w.reactor is not None and w.reactor.scheduler.is_actively_listening
        if listening and not w.deferred:
            assert w.seen == [model[i] for i in w.reads]
    # plain reads agree with the model too
    for i, node in enumerate(graph.nodes):
        try:
            value = node.get()
        except Boom:
            value = ERROR
        assert value == model[i], f"node {i}"


def flush(queue: list[Callable[[], None]]) -> None:
    """Run the deferred effects queued so far."""
    pending = queue[:]
    queue.clear()
    for run in pending:
        run()


def run_scenario(seed: int, steps: int) -> None:
    rng = random.Random(seed)
    graph = build(rng, rng.randint(1, 6), rng.randint(1, 14))
    queue: list[Callable[[], None]] = []
    watchers = [
        Watcher(
            graph,
            rng.sample(range(len(graph.nodes)), rng.randint(1, min(3, len(graph.nodes)))),
            deferred=rng.random() < 0.3,
            queue=queue,
        )
        for _ in range(rng.randint(1, 6))
    ]
    for w in watchers:
        w.start()
    flush(queue)
    for _ in range(steps):
        op = rng.random()
        before = [w.runs for w in watchers]
        if op < 0.4:
            a = rng.choice(graph.atoms)
            a.set(rng.randint(0, 12))
            assert all(w.runs - b <= 1 for w, b in zip(watchers, before, strict=True))
        elif op < 0.6:
            count = rng.randint(2, 8)
            writes = [(rng.choice(graph.atoms), rng.randint(0, 12)) for _ in range(count)]

            def batch(writes: list[tuple[Atom[int, Any], int]] = writes) -> None:
                for target, value in writes:
                    target.set(value)

            transact(batch)
            assert all(w.runs - b <= 1 for w, b in zip(watchers, before, strict=True))
        elif op < 0.72:
            snapshot = [a.unsafe_get_without_capture() for a in graph.atoms]
            roll = rng.random() < 0.6

            def body(rollback: Callable[[], None], roll: bool = roll) -> None:
                for _ in range(rng.randint(1, 6)):
                    rng.choice(graph.atoms).set(rng.randint(0, 12))
                    # reads inside the transaction see the in-transaction values (T2)
                    i = rng.randrange(len(graph.nodes))
                    try:
                        value = graph.nodes[i].get()
                    except Boom:
                        value = ERROR
                    assert value == graph.model()[i]
                if roll:
                    rollback()

            transaction(body)
            if roll:
                assert [a.unsafe_get_without_capture() for a in graph.atoms] == snapshot
        elif op < 0.8:
            w = rng.choice(watchers)
            assert w.reactor is not None
            if w.reactor.scheduler.is_actively_listening:
                w.reactor.stop()
            else:
                w.start()
        elif op < 0.9:
            flush(queue)
            model = graph.model()
            for w in watchers:
                listening = w.reactor is not None and w.reactor.scheduler.is_actively_listening
                if w.deferred and listening and w.seen is not None:
                    assert w.seen == [model[i] for i in w.reads]
        else:
            with contextlib.suppress(Boom):
                graph.nodes[rng.randrange(len(graph.nodes))].get()
        check(graph, watchers)
    for w in watchers:
        if w.reactor is not None:
            w.reactor.stop()


@pytest.mark.spec("P3")
@pytest.mark.parametrize("seed", range(25))
def test_random_graphs_agree_with_the_model(seed: int) -> None:
    """Seeded random graphs, 300 random operations each, never disagree with the model."""
    run_scenario(seed, 300)


@pytest.mark.spec("P3")
@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), steps=st.integers(1, 120))
def test_hypothesis_graphs_agree_with_the_model(seed: int, steps: int) -> None:
    """Hypothesis-chosen seeds and lengths: the same oracle, shrinking to a minimal case."""
    run_scenario(seed, steps)


@pytest.mark.spec("T6")
@settings(max_examples=80, deadline=None)
@given(
    initial=st.lists(st.integers(-5, 5), min_size=1, max_size=6),
    writes=st.lists(st.tuples(st.integers(0, 5), st.integers(-5, 5), st.booleans()), max_size=20),
)
def test_rollback_restores_every_atom(
    initial: list[int], writes: list[tuple[int, int, bool]]
) -> None:
    """Nested transactions with rollbacks at random depths restore exactly the atoms' values."""
    atoms = [atom(f"r{i}", v) for i, v in enumerate(initial)]

    def values() -> list[int]:
        return [a.unsafe_get_without_capture() for a in atoms]

    def nest(remaining: list[tuple[int, int, bool]]) -> None:
        if not remaining:
            return
        (index, value, roll), rest = remaining[0], remaining[1:]

        def body(rollback: Callable[[], None]) -> None:
            atoms[index % len(atoms)].set(value)
            nest(rest)
            if roll:
                rollback()

        before = values()
        transaction(body)
        if roll:
            assert values() == before

    def outer(rollback: Callable[[], None]) -> None:
        nest(writes)
        rollback()

    start = values()
    transaction(outer)
    assert values() == start

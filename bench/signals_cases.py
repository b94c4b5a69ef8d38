"""The signals benchmark cases, written once against a small adapter protocol.

The cases follow the public js-reactivity-benchmark (``milomg/js-reactivity-benchmark``: the
"kairo" cases, molBench and cellx); each case below says what it builds.
``bench/node/signals.mjs`` implements the same cases, with the same sizes and checks, for
``@tldraw/state``; keep the two files in step.

Every case checks its values *and* its effect-run counts (where the benchmark fixes them), so a
timing is only ever reported for a correct run. A failed check raises :class:`CaseFailed`; checks
do not use ``assert`` so that they also run under ``python -O``.

A kairo case is a *builder*: ``build(fw, **sizes)`` creates the graph once through the adapter
``fw`` and returns ``iterate()``, one benchmark iteration. cellx is different: every run needs a
fresh graph, so :func:`cellx_build` returns a :class:`CellxRun` whose ``run()`` does the timed part.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, ParamSpec, Protocol, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
P = ParamSpec("P")

Iterate = Callable[[], None]


class CaseFailed(AssertionError):
    """A benchmark case computed a wrong value or ran effects a wrong number of times."""


class Readable(Protocol[T_co]):
    """Anything the cases can read: a :class:`Cell` or a :class:`Derived`."""

    @property
    def read(self) -> Callable[[], T_co]: ...


class Cell(Generic[T]):
    """A writable signal as the cases see it.

    ``read`` and ``write`` are the library's own bound methods (``atom.get``, ``atom.set`` ...),
    stored as attributes, so calling them adds no Python frame of adapter overhead.
    """

    __slots__ = ("read", "write")

    def __init__(self, read: Callable[[], T], write: Callable[[T], object]) -> None:
        self.read = read
        self.write = write


class Derived(Generic[T]):
    """A computed signal as the cases see it (``read`` is the library's bound getter)."""

    __slots__ = ("read",)

    def __init__(self, read: Callable[[], T]) -> None:
        self.read = read


class Framework(Protocol):
    """The adapter protocol (the js-reactivity-benchmark framework interface, in Python)."""

    name: str

    def signal(self, value: T) -> Cell[T]:
        """A writable signal holding ``value``."""
        ...

    def computed(self, fn: Callable[[], T]) -> Derived[T]:
        """A lazy, cached derivation of ``fn`` (a zero-argument function)."""
        ...

    def effect(self, fn: Callable[[], object]) -> None:
        """Run ``fn`` now and whenever what it read changes. The adapter keeps it alive."""
        ...

    def batch(self, fn: Callable[P, object], *args: P.args, **kwargs: P.kwargs) -> None:
        """Call ``fn(*args, **kwargs)`` as one batch: effects run once, after it returns."""
        ...

    def cleanup(self) -> None:
        """Stop every effect created through this adapter and drop the references to them."""
        ...


class _Count:
    """A mutable counter shared between an effect closure and the iteration."""

    __slots__ = ("n",)

    def __init__(self) -> None:
        self.n = 0


def _expect(what: str, actual: object, expected: object) -> None:
    if actual != expected:
        raise CaseFailed(f"{what}: expected {expected!r}, got {actual!r}")


def _plus(source: Readable[int], k: int) -> Callable[[], int]:
    read = source.read

    def derive() -> int:
        return read() + k

    return derive


def _counting_reader(source: Readable[object], counter: _Count) -> Callable[[], None]:
    read = source.read

    def watch() -> None:
        read()
        counter.n += 1

    return watch


def _counted_effect(fw: Framework, source: Readable[object], runs: _Count | None = None) -> _Count:
    """One effect that reads ``source`` and counts its runs in ``runs`` (a new counter by default).

    Returns the counter.
    """
    counter = _Count() if runs is None else runs
    fw.effect(_counting_reader(source, counter))
    return counter


def _sum_of(reads: Sequence[Callable[[], int]]) -> Callable[[], int]:
    """A derivation that calls each of ``reads`` in turn and adds up the results."""

    def add_up() -> int:
        total = 0
        for read in reads:
            total += read()
        return total

    return add_up


def _head_writes(
    fw: Framework,
    head: Cell[int],
    watched: Readable[int],
    expected: Sequence[int],
    runs: _Count,
    *,
    case: str,
    value: str,
    effect_runs: int,
) -> Iterate:
    """The iteration of the cases that drive one ``head`` signal.

    Write 1 to ``head``, then write 0, 1, ... ``len(expected) - 1`` to it, one batch each; after
    write ``i``, ``watched`` must read ``expected[i]``. The effect runs counted by ``runs`` since
    the first write must total ``effect_runs``. The checks are named "<case> <value>" and
    "<case> effect runs".
    """
    value_label = f"{case} {value}"
    runs_label = f"{case} effect runs"
    batch = fw.batch
    write = head.write
    read = watched.read
    writes = len(expected)

    def iterate() -> None:
        batch(write, 1)
        runs.n = 0
        for i in range(writes):
            batch(write, i)
            _expect(value_label, read(), expected[i])
        _expect(runs_label, runs.n, effect_runs)

    return iterate


def _busy() -> int:
    a = 0
    for _ in range(100):
        a += 1
    return a


# --------------------------------------------------------------------------------------------
# kairo cases
# --------------------------------------------------------------------------------------------


def deep_propagation(fw: Framework, *, length: int = 50, writes: int = 50) -> Iterate:
    """head -> a chain of ``length`` computeds (each ``prev + 1``) -> one effect on the end."""
    head = fw.signal(0)
    current: Readable[int] = head
    for _ in range(length):
        current = fw.computed(_plus(current, 1))
    runs = _counted_effect(fw, current)
    want = [length + i for i in range(writes)]
    return _head_writes(
        fw, head, current, want, runs, case="deepPropagation", value="end", effect_runs=writes
    )


def broad_propagation(fw: Framework, *, width: int = 50, writes: int = 50) -> Iterate:
    """head -> ``width`` branches of (c1 = head + i -> c2 = c1 + 1 -> effect on c2)."""
    head = fw.signal(0)
    runs = _Count()
    last: Readable[int] = head
    for i in range(width):
        c1 = fw.computed(_plus(head, i))
        c2 = fw.computed(_plus(c1, 1))
        _counted_effect(fw, c2, runs)
        last = c2
    want = [i + width for i in range(writes)]
    return _head_writes(
        fw,
        head,
        last,
        want,
        runs,
        case="broadPropagation",
        value="last",
        effect_runs=writes * width,
    )


def diamond(fw: Framework, *, width: int = 5, writes: int = 500) -> Iterate:
    """head -> ``width`` computeds (head + 1) -> one sum computed -> one effect."""
    head = fw.signal(0)
    branches = [fw.computed(_plus(head, 1)) for _ in range(width)]
    total = fw.computed(_sum_of([b.read for b in branches]))
    runs = _counted_effect(fw, total)
    want = [(i + 1) * width for i in range(writes)]
    return _head_writes(
        fw, head, total, want, runs, case="diamond", value="sum", effect_runs=writes
    )


def triangle(fw: Framework, *, width: int = 10, writes: int = 100) -> Iterate:
    """A chain head -> c1 ... c(width-1) (each + 1); a sum computed reads every chain node."""
    head = fw.signal(0)
    chain: list[Readable[int]] = [head]
    for _ in range(width - 1):
        chain.append(fw.computed(_plus(chain[-1], 1)))
    total = fw.computed(_sum_of([node.read for node in chain]))
    runs = _counted_effect(fw, total)
    offset = width * (width - 1) // 2
    want = [width * i + offset for i in range(writes)]
    return _head_writes(
        fw, head, total, want, runs, case="triangle", value="sum", effect_runs=writes
    )


def mux(fw: Framework, *, size: int = 100, changes: int = 10) -> Iterate:
    """``size`` signals -> one dict computed -> ``size`` pickers -> ``size`` (+1) -> effects.

    Besides the values, the effect runs are counted: only the effect whose value changed may run,
    so each iteration runs exactly ``2 * (changes - 1)`` effects (``heads[0]`` never changes).
    """
    heads = [fw.signal(0) for _ in range(size)]
    head_reads = [h.read for h in heads]

    def index() -> dict[int, int]:
        return {i: read() for i, read in enumerate(head_reads)}

    muxed = fw.computed(index)

    def picker(i: int) -> Callable[[], int]:
        read = muxed.read

        def pick() -> int:
            return read()[i]

        return pick

    split = [fw.computed(_plus(fw.computed(picker(i)), 1)) for i in range(size)]
    runs = _Count()
    for node in split:
        _counted_effect(fw, node, runs)

    def iterate() -> None:
        runs.n = 0
        for i in range(changes):
            fw.batch(heads[i].write, i)
            _expect("mux split", split[i].read(), i + 1)
        for i in range(changes):
            fw.batch(heads[i].write, i * 2)
            _expect("mux split", split[i].read(), i * 2 + 1)
        _expect("mux effect runs", runs.n, 2 * (changes - 1))

    return iterate


def repeated_observers(fw: Framework, *, size: int = 30, writes: int = 100) -> Iterate:
    """One computed reads head ``size`` times (a sum) -> one effect."""
    head = fw.signal(0)
    current = fw.computed(_sum_of([head.read] * size))
    runs = _counted_effect(fw, current)
    want = [size * i for i in range(writes)]
    return _head_writes(
        fw, head, current, want, runs, case="repeatedObservers", value="value", effect_runs=writes
    )


def unstable(fw: Framework, *, reads: int = 20, writes: int = 100) -> Iterate:
    """``current`` reads head ``reads`` times and then double (odd head) or inverse (even head).

    Its dependencies flip on every write.
    """
    head = fw.signal(0)
    read_head = head.read
    double = fw.computed(lambda: read_head() * 2)
    inverse = fw.computed(lambda: -read_head())
    read_double = double.read
    read_inverse = inverse.read

    def pick() -> int:
        total = 0
        for _ in range(reads):
            total += read_double() if read_head() % 2 else read_inverse()
        return total

    current = fw.computed(pick)
    runs = _counted_effect(fw, current)
    want = [reads * (2 * i if i % 2 else -i) for i in range(writes)]
    return _head_writes(
        fw, head, current, want, runs, case="unstable", value="value", effect_runs=writes
    )


def avoidable_propagation(fw: Framework, *, writes: int = 1000) -> Iterate:
    """head -> c1 -> c2 (always 0) -> c3 (busy) -> c4 -> c5 -> effect (busy).

    c2 cuts the propagation off: after the build, c3 and the effect must never run again.
    """
    head = fw.signal(0)
    c1 = fw.computed(head.read)
    read_c1 = c1.read

    def zero() -> int:
        read_c1()
        return 0

    c2 = fw.computed(zero)
    read_c2 = c2.read
    c3_runs = _Count()

    def heavy() -> int:
        c3_runs.n += 1
        _busy()
        return read_c2() + 1

    c3 = fw.computed(heavy)
    c4 = fw.computed(_plus(c3, 2))
    c5 = fw.computed(_plus(c4, 3))
    read_c5 = c5.read
    effect_runs = _Count()

    def watch() -> None:
        read_c5()
        effect_runs.n += 1
        _busy()

    fw.effect(watch)

    def iterate() -> None:
        c3_runs.n = 0
        effect_runs.n = 0
        fw.batch(head.write, 1)
        _expect("avoidablePropagation c5", c5.read(), 6)
        for i in range(writes):
            fw.batch(head.write, i)
            _expect("avoidablePropagation c5", c5.read(), 6)
        _expect("avoidablePropagation c3 runs", c3_runs.n, 0)
        _expect("avoidablePropagation effect runs", effect_runs.n, 0)

    return iterate


def fib(n: int) -> int:
    """Naive Fibonacci: the deliberate CPU load of molBench."""
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def hard(n: int) -> int:
    """molBench's expensive function: ``n + fib(16)``."""
    return n + fib(16)


def mol_bench(fw: Framework) -> Iterate:
    """The $mol benchmark: a small graph of expensive computeds and three effects.

    The spec checks nothing here (D is a new list each time, so how much re-runs depends on the
    library's equality); the harness still checks the one deterministic value, G == 994 after
    each iteration (A even, B = 2).
    """
    a = fw.signal(0)
    b = fw.signal(0)
    read_a = a.read
    read_b = b.read
    c = fw.computed(lambda: read_a() % 2 + read_b() % 2)
    d = fw.computed(lambda: [{"x": i + read_a() % 2 - read_b() % 2} for i in range(5)])
    read_c = c.read
    read_d = d.read
    e = fw.computed(lambda: hard(read_c() + read_a() + read_d()[0]["x"]))
    f = fw.computed(lambda: hard(read_d()[2]["x"] or read_b()))
    read_e = e.read
    read_f = f.read
    g = fw.computed(lambda: read_c() + (read_c() or read_e() % 2) + read_d()[4]["x"] + read_f())
    read_g = g.read
    sink: list[int] = []

    def effect_h() -> None:
        sink.append(hard(read_g()))

    def effect_g() -> None:
        sink.append(read_g())

    def effect_j() -> None:
        sink.append(hard(read_f()))

    fw.effect(effect_h)
    fw.effect(effect_g)
    fw.effect(effect_j)
    step = _Count()

    def first(i: int) -> None:
        b.write(1)
        a.write(1 + i * 2)

    def second(i: int) -> None:
        a.write(2 + i * 2)
        b.write(2)

    def iterate() -> None:
        step.n += 1
        i = step.n
        sink.clear()
        fw.batch(first, i)
        fw.batch(second, i)
        _expect("molBench G", read_g(), 994)

    return iterate


@dataclass(frozen=True)
class KairoCase:
    """A kairo-style case: ``build(fw, **sizes)`` returns one benchmark iteration."""

    name: str
    build: Callable[..., Iterate]
    #: small sizes for the smoke test (the defaults of ``build`` are the benchmark's sizes)
    smoke_sizes: dict[str, int] = field(default_factory=dict)
    #: the ratio targets apply to this case (molBench is report-only)
    has_targets: bool = True


KAIRO_CASES: tuple[KairoCase, ...] = (
    KairoCase("deepPropagation", deep_propagation, {"length": 10, "writes": 10}),
    KairoCase("broadPropagation", broad_propagation, {"width": 10, "writes": 10}),
    KairoCase("diamond", diamond, {"width": 5, "writes": 20}),
    KairoCase("triangle", triangle, {"width": 10, "writes": 20}),
    KairoCase("mux", mux, {"size": 20, "changes": 10}),
    KairoCase("repeatedObservers", repeated_observers, {"size": 30, "writes": 20}),
    KairoCase("unstable", unstable, {"reads": 20, "writes": 20}),
    KairoCase("avoidablePropagation", avoidable_propagation, {"writes": 50}),
    KairoCase("molBench", mol_bench, {}, has_targets=False),
)


# --------------------------------------------------------------------------------------------
# cellx
# --------------------------------------------------------------------------------------------


def cellx_expected(layers: int) -> tuple[list[int], list[int]]:
    """The end values of the cellx graph before and after the update, computed with plain ints.

    For 1000 and 2500 layers this gives ``[-3, -6, -2, 2]`` and ``[-2, -4, 2, 3]`` (the values
    repeat every 12 layers and negate after 6).
    """

    def propagate(p1: int, p2: int, p3: int, p4: int) -> list[int]:
        for _ in range(layers):
            p1, p2, p3, p4 = p2, p1 - p3, p2 + p4, p3
        return [p1, p2, p3, p4]

    return propagate(1, 2, 3, 4), propagate(4, 3, 2, 1)


CELLX_1000 = ([-3, -6, -2, 2], [-2, -4, 2, 3])
CELLX_2500 = ([-3, -6, -2, 2], [-2, -4, 2, 3])


class CellxRun:
    """One freshly built cellx graph. :meth:`run` is the timed part (reads, update, reads)."""

    def __init__(self, fw: Framework, layers: int) -> None:
        self.layers = layers
        self._fw = fw
        sources = [fw.signal(v) for v in (1, 2, 3, 4)]
        self._sources = sources
        layer: Sequence[Readable[int]] = sources
        for _ in range(layers):
            layer = self._next_layer(layer)
        self._end_reads = [node.read for node in layer]
        self._expected = cellx_expected(layers)

    def _next_layer(self, prev: Sequence[Readable[int]]) -> list[Readable[int]]:
        fw = self._fw
        r1, r2, r3, r4 = (node.read for node in prev)
        nodes: list[Readable[int]] = [
            fw.computed(r2),
            fw.computed(lambda: r1() - r3()),
            fw.computed(lambda: r2() + r4()),
            fw.computed(r3),
        ]
        for node in nodes:
            fw.effect(node.read)
        return nodes

    def _write_sources(self) -> None:
        s1, s2, s3, s4 = self._sources
        s1.write(4)
        s2.write(3)
        s3.write(2)
        s4.write(1)

    def run(self) -> tuple[list[int], list[int]]:
        """Read the 4 end values, batch-write the sources (4, 3, 2, 1), read them again."""
        before = [read() for read in self._end_reads]
        self._fw.batch(self._write_sources)
        after = [read() for read in self._end_reads]
        return before, after

    def check(self, before: list[int], after: list[int]) -> None:
        """Raise :class:`CaseFailed` unless ``run()``'s result matches the expected values."""
        want_before, want_after = self._expected
        _expect(f"cellx{self.layers} before", before, want_before)
        _expect(f"cellx{self.layers} after", after, want_after)


def cellx_build(fw: Framework, layers: int) -> CellxRun:
    """Build a fresh cellx graph of ``layers`` layers (4 computeds + 4 effects per layer)."""
    return CellxRun(fw, layers)


@dataclass(frozen=True)
class CellxCase:
    """A cellx case: a fresh graph per run; the update plus the reads are timed."""

    name: str
    layers: int
    smoke_layers: int


CELLX_CASES: tuple[CellxCase, ...] = (
    CellxCase("cellx1000", 1000, 28),
    CellxCase("cellx2500", 2500, 40),
)

ALL_CASE_NAMES: tuple[str, ...] = tuple(c.name for c in KAIRO_CASES) + tuple(
    c.name for c in CELLX_CASES
)


def run_cellx_once(fw: Framework, layers: int) -> None:
    """Build, run and check one cellx graph (no timing): used by the smoke test."""
    graph = cellx_build(fw, layers)
    before, after = graph.run()
    graph.check(before, after)


__all__: list[str] = [
    "ALL_CASE_NAMES",
    "CELLX_1000",
    "CELLX_2500",
    "CELLX_CASES",
    "KAIRO_CASES",
    "CaseFailed",
    "Cell",
    "CellxCase",
    "CellxRun",
    "Derived",
    "Framework",
    "Iterate",
    "KairoCase",
    "Readable",
    "cellx_build",
    "cellx_expected",
    "run_cellx_once",
]

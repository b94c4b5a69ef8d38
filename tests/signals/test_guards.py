"""Type guards, parent-change checks, attach/detach and default equality (SPEC.md §1, rules G1,
EQ1–EQ2, CAP7, E9).

@tldraw/state tests its internal helpers (haveParentsChanged, attach, detach, equals) directly;
these tests check the same behaviour through the public API.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from signals_helpers import change_while_detached, scheduler_recording

from tlsync_core.signals import (
    Atom,
    Computed,
    EffectScheduler,
    Signal,
    atom,
    computed,
    default_is_equal,
    is_atom,
    is_computed,
    is_signal,
    react,
    reactor,
)

a_signal = atom("a", 1)
c_signal = computed("c", lambda _prev, _epoch: a_signal.get() * 2)

NON_SIGNALS: list[object] = [
    None,
    0,
    1,
    float("nan"),
    "hello",
    {},
    [],
    (),
    lambda: None,
    object(),
    Atom,
    Computed,
    EffectScheduler("s", lambda _e: None),
    reactor("r", lambda _e: None),
]


# ---------------------------------------------------------------------------------------------
# type guards (G1)
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("G1")
@pytest.mark.parametrize(
    ("guard", "for_atom", "for_computed"),
    [(is_atom, True, False), (is_computed, False, True), (is_signal, True, True)],
    ids=["is_atom", "is_computed", "is_signal"],
)
def test_type_guard_is_true_exactly_for_its_kinds(
    guard: Callable[[object], bool], for_atom: bool, for_computed: bool
) -> None:
    """is_atom is True exactly for atoms, is_computed for computeds, is_signal for both (which are
    Signal instances); each is False for every non-signal."""
    assert guard(a_signal) is for_atom
    assert guard(c_signal) is for_computed
    assert isinstance(a_signal, Signal)
    assert isinstance(c_signal, Signal)
    for value in NON_SIGNALS:
        assert guard(value) is False, value


# ---------------------------------------------------------------------------------------------
# "have the parents changed?" through the public API (helpers: haveParentsChanged)
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("E9")
def test_no_parents_means_nothing_changed() -> None:
    """A scheduler that read nothing sees no parent change after unrelated ticks:
    maybe_schedule_effect does not run it."""
    scheduler, runs = scheduler_recording(lambda: 1)
    assert list(scheduler.parents) == []

    atom("unrelated", 0).set(1)
    scheduler.maybe_schedule_effect()
    assert runs == [1]
    scheduler.detach()


@pytest.mark.spec("E9")
def test_a_changed_parent_is_detected() -> None:
    """A change of the single parent while detached is detected by attach +
    maybe_schedule_effect."""
    parent = atom("parent", 1)
    scheduler, runs = scheduler_recording(parent.get)
    change_while_detached(scheduler, lambda: parent.set(2))
    assert runs == [1, 2]
    scheduler.detach()


@pytest.mark.spec("E9")
def test_any_changed_parent_among_several_is_detected() -> None:
    """A change of only the last of several parents is detected."""
    p1 = atom("p1", 1)
    p2 = atom("p2", 2)
    p3 = atom("p3", 3)
    scheduler, runs = scheduler_recording(lambda: (p1.get(), p2.get(), p3.get()))
    change_while_detached(scheduler, lambda: p3.set(4))
    assert runs == [(1, 2, 3), (1, 2, 4)]
    scheduler.detach()


@pytest.mark.spec("E9", "C5")
def test_a_computed_parent_that_recomputed_to_an_equal_value_is_not_a_change() -> None:
    """A computed parent that re-derives to an equal value while detached does not count as
    changed."""
    a = atom("a", 2)
    parity = computed("parity", lambda _prev, _epoch: a.get() % 2)
    scheduler, runs = scheduler_recording(parity.get)
    change_while_detached(scheduler, lambda: a.set(4))
    assert runs == [0]

    change_while_detached(scheduler, lambda: a.set(5))
    assert runs == [0, 1]
    scheduler.detach()


# ---------------------------------------------------------------------------------------------
# attach / detach and children (CAP7)
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("CAP7")
def test_attach_and_detach_maintain_children() -> None:
    """attach adds the scheduler to each parent's children once; detach removes it; both are
    idempotent."""
    parent = atom("parent", 1)
    other = atom("other", 1)
    scheduler = EffectScheduler("s", lambda _e: parent.get() + other.get())
    scheduler.execute()  # records the parents without listening
    assert list(parent.children) == []
    assert scheduler.is_actively_listening is False

    scheduler.attach()
    assert list(parent.children) == [scheduler]
    assert list(other.children) == [scheduler]
    assert scheduler.is_actively_listening is True

    scheduler.attach()
    assert list(parent.children) == [scheduler]

    scheduler.detach()
    assert list(parent.children) == []
    assert list(other.children) == []
    assert scheduler.is_actively_listening is False

    scheduler.detach()
    assert list(parent.children) == []


@pytest.mark.spec("CAP7")
def test_attach_through_a_computed_attaches_upstream() -> None:
    """Attaching to a computed parent attaches the computed to its own parents; detaching undoes
    it."""
    a = atom("a", 1)
    c = computed("c", lambda _prev, _epoch: a.get() + 1)
    scheduler = EffectScheduler("s", lambda _e: c.get())
    scheduler.execute()
    assert list(a.children) == []

    scheduler.attach()
    assert list(c.children) == [scheduler]
    assert list(a.children) == [c]

    scheduler.detach()
    assert list(c.children) == []
    assert list(a.children) == []


@pytest.mark.spec("CAP7")
def test_children_is_empty_unless_something_listens() -> None:
    """A signal's children are empty until a reactor listens, and empty again after it stops."""
    base = atom("base", 1)
    assert list(base.children) == []
    assert base.is_actively_listening is False

    r = reactor("r", lambda _e: base.get())
    assert list(base.children) == []

    r.start()
    assert list(base.children) == [r.scheduler]
    assert base.is_actively_listening is True

    r.stop()
    assert list(base.children) == []
    assert base.is_actively_listening is False


@pytest.mark.spec("CAP7")
def test_children_of_a_signal_read_by_two_effects() -> None:
    """Two effects reading one atom are both its children until each stops."""
    base = atom("base", 1)
    stop1 = react("one", lambda _e: base.get())
    stop2 = react("two", lambda _e: base.get())
    assert len(base.children) == 2
    assert {child.name for child in base.children} == {"one", "two"}
    stop1()
    assert [child.name for child in base.children] == ["two"]
    stop2()
    assert list(base.children) == []


# ---------------------------------------------------------------------------------------------
# default equality (EQ1, EQ2; ours: Python value types)
# ---------------------------------------------------------------------------------------------


class WithEquals:
    def __init__(self, ident: int) -> None:
        self.ident = ident

    def equals(self, other: object) -> bool:
        return getattr(other, "ident", None) == self.ident


class WithoutEquals:
    def __init__(self, ident: int) -> None:
        self.ident = ident


@pytest.mark.spec("EQ1")
def test_default_equality_identity_and_nan() -> None:
    """Identical objects, equal ints, and NaN with NaN are equal by default."""
    obj = {"a": 1}
    assert default_is_equal(obj, obj) is True
    assert default_is_equal(1, 1) is True
    assert default_is_equal(float("nan"), float("nan")) is True
    nan = float("nan")
    assert default_is_equal(nan, nan) is True


@pytest.mark.spec("EQ1")
def test_default_equality_different_values() -> None:
    """Different numbers, and distinct dicts or lists with equal contents, are not equal by
    default."""
    assert default_is_equal(1, 2) is False
    assert default_is_equal({"id": 1}, {"id": 1}) is False
    assert default_is_equal([1], [1]) is False
    assert default_is_equal(float("nan"), 1.0) is False
    assert default_is_equal(None, 0) is False
    assert default_is_equal(WithoutEquals(1), WithoutEquals(1)) is False


@pytest.mark.spec("EQ1")
def test_default_equality_python_value_types() -> None:
    """Immutable scalars and tuples of the same type compare by value; int and float by value; True
    is not 1."""
    assert default_is_equal("hello", "".join(["hel", "lo"])) is True
    assert default_is_equal(b"ab", bytes([97, 98])) is True
    assert default_is_equal((1, "x"), (1, "x")) is True
    assert default_is_equal((1, 2), (1, 3)) is False
    assert default_is_equal(10**30, 10**30 + 0) is True
    assert default_is_equal(1, 1.0) is True
    assert default_is_equal(1.0, 1) is True
    assert default_is_equal(0.0, -0.0) is True
    assert default_is_equal(1.5, 1) is False
    assert default_is_equal(True, 1) is False
    assert default_is_equal(1, True) is False
    assert default_is_equal(False, 0) is False
    assert default_is_equal(True, True) is True
    assert default_is_equal(1, "1") is False
    assert default_is_equal((1, 2), [1, 2]) is False
    assert default_is_equal(Decimal("1.0"), Decimal("1.0")) is False  # not a listed value type


@pytest.mark.spec("EQ1", "EQ2")
def test_default_equality_consults_only_the_old_values_equals() -> None:
    """The old value's equals() decides; a new value's equals() is never consulted."""
    assert default_is_equal(WithEquals(1), WithoutEquals(1)) is True
    assert default_is_equal(WithEquals(1), WithEquals(1)) is True
    assert default_is_equal(WithEquals(1), WithEquals(2)) is False
    assert default_is_equal(WithoutEquals(1), WithEquals(1)) is False
    assert default_is_equal({"id": 1}, WithEquals(1)) is False


@pytest.mark.spec("EQ1")
def test_atoms_use_default_equality_for_python_value_types() -> None:
    """An int atom set to an equal float, or a bool atom set to 1, behave per the default
    equality."""
    one: float = 1
    n = atom("n", one)
    flag = atom("flag", True)
    t = atom("t", (1, 2))
    seen: list[object] = []

    def effect(_epoch: int) -> None:
        seen.append((n.get(), flag.get(), t.get()))

    stop = react("r", effect)
    n.set(1.0)
    t.set((1, 2))
    assert len(seen) == 1
    assert type(n.get()) is int

    flag.set(1)  # type: ignore[arg-type]
    assert len(seen) == 2
    assert flag.get() == 1
    assert type(flag.get()) is int
    stop()

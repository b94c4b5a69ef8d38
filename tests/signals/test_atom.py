"""Atoms, the global epoch clock and equality (SPEC.md §1, rules EP1–EP6, EQ1–EQ4, A1–A6).

EP6 (an aborted transaction ticks the epoch) lives in test_transactions.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from tlsync_core.signals import (
    EMPTY_DIFFS,
    atom,
    computed,
    get_global_epoch,
    react,
)


class Box:
    """A value type with an ``equals`` method, like a JS class implementing ``equals``."""

    def __init__(self, value: int) -> None:
        self.value = value

    def equals(self, other: object) -> bool:
        return isinstance(other, Box) and other.value == self.value


class Plain:
    """A value type without an ``equals`` method."""

    def __init__(self, value: int) -> None:
        self.value = value


class AlwaysEqual:
    """A value whose ``equals`` claims equality with anything."""

    def __init__(self, value: int) -> None:
        self.value = value

    def equals(self, other: object) -> bool:
        return True


# ---------------------------------------------------------------------------------------------
# the epoch clock (EP)
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("EP1")
def test_epoch_is_shared_by_all_atoms() -> None:
    """Setting two different atoms advances the one global epoch by exactly one each time."""
    start = get_global_epoch()
    a = atom("a", 1)
    b = atom("b", 1)

    a.set(2)
    assert get_global_epoch() == start + 1

    b.set(2)
    assert get_global_epoch() == start + 2


@pytest.mark.spec("EP2")
def test_creating_signals_does_not_advance_the_epoch() -> None:
    """Creating an atom or a computed (and reading them) leaves the global epoch unchanged."""
    start = get_global_epoch()
    a = atom("a", 3)
    c = computed("c", lambda _prev, _epoch: a.get() + 1)
    assert get_global_epoch() == start
    assert c.get() == 4
    assert get_global_epoch() == start


@pytest.mark.spec("EP3")
def test_setting_a_new_value_advances_the_epoch_by_one() -> None:
    """Setting an atom to a new value advances the global epoch by exactly 1."""
    start = get_global_epoch()
    a = atom("a", 3)
    a.set(4)
    assert get_global_epoch() == start + 1


@pytest.mark.spec("EP4")
def test_setting_an_equal_value_does_not_advance_the_epoch() -> None:
    """Setting an atom to an equal value leaves the global epoch unchanged."""
    a = atom("a", 3)
    start = get_global_epoch()
    a.set(3)
    assert get_global_epoch() == start


@pytest.mark.spec("EP5")
def test_last_changed_epoch_records_the_last_real_change() -> None:
    """An atom's last_changed_epoch is the epoch of its last real change; other atoms do not move
    it."""
    start = get_global_epoch()
    a = atom("a", 1)
    assert a.last_changed_epoch == start

    a.set(2)
    changed = get_global_epoch()
    assert changed == start + 1
    assert a.last_changed_epoch == changed

    b = atom("b", 1)
    b.set(2)
    assert get_global_epoch() == changed + 1
    assert a.last_changed_epoch == changed

    a.set(2)  # equal: not a change
    assert a.last_changed_epoch == changed


# ---------------------------------------------------------------------------------------------
# equality (EQ)
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("EQ1")
def test_same_object_and_nan_are_equal_by_default() -> None:
    """Re-setting the same object, or NaN over NaN, does not advance the epoch."""
    value = {"hello": True}
    a = atom("a", value)
    start = get_global_epoch()

    a.set(value)
    assert get_global_epoch() == start
    assert a.get() is value

    n = atom("n", float("nan"))
    original_nan = n.get()
    n.set(float("nan"))
    assert get_global_epoch() == start
    assert n.get() is original_nan


@pytest.mark.spec("EQ1")
def test_default_equality_consults_the_old_values_equals_method() -> None:
    """If the old value's equals() says the new value is equal the old object is kept; otherwise
    replaced."""
    original = Box(1)
    a = atom("a", original)
    start = get_global_epoch()

    a.set(Box(1))
    assert a.get() is original
    assert get_global_epoch() == start

    different = Box(2)
    a.set(different)
    assert a.get() is different
    assert get_global_epoch() == start + 1


@pytest.mark.spec("EQ2")
def test_default_equality_ignores_the_new_values_equals_method() -> None:
    """A new value whose own equals() returns True still replaces an old value without equals()."""
    old: object = Plain(1)
    new: object = AlwaysEqual(1)
    a = atom("a", old)
    start = get_global_epoch()

    a.set(new)

    assert a.get() is new
    assert get_global_epoch() == start + 1


@pytest.mark.spec("EQ3")
def test_custom_is_equal_replaces_default_equality() -> None:
    """Without is_equal a structurally equal dict replaces the old one; a custom is_equal keeps the
    original."""
    foo = {"hello": True}
    bar = {"hello": True}

    a = atom("a", foo)
    a.set(bar)
    assert a.get() is bar

    b = atom("b", foo, is_equal=lambda old, new: old["hello"] == new["hello"])
    start = get_global_epoch()
    b.set(bar)
    assert b.get() is foo
    assert get_global_epoch() == start


@pytest.mark.spec("EQ3")
def test_custom_is_equal_is_called_with_old_then_new() -> None:
    """A custom is_equal is called exactly once per set, as is_equal(old, new)."""
    calls: list[tuple[int, int]] = []

    def is_equal(old: int, new: int) -> bool:
        calls.append((old, new))
        return False

    a = atom("a", 1, is_equal=is_equal)
    a.set(2)
    a.set(3)
    assert calls == [(1, 2), (2, 3)]


@pytest.mark.spec("EQ3")
def test_custom_is_equal_replaces_the_default_even_for_the_same_object() -> None:
    """An is_equal that never reports equality makes re-setting the very same (mutated) object a
    change."""
    items: list[int] = [1]
    a = atom("a", items, is_equal=lambda _old, _new: False)
    seen: list[list[int]] = []
    stop = react("r", lambda _e: seen.append(list(a.get())))
    start = get_global_epoch()

    items.append(2)
    a.set(items)

    assert get_global_epoch() == start + 1
    assert a.last_changed_epoch == start + 1
    assert seen == [[1], [1, 2]]
    stop()


@pytest.mark.spec("EQ4")
def test_setting_an_equal_value_is_a_complete_no_op() -> None:
    """An equal set (custom is_equal, with history and an effect) changes nothing at all."""
    initial = {"x": 1}
    diffs_computed: list[object] = []

    def compute_diff(prev: Any, nxt: Any, _last: int, _now: int) -> str:
        diffs_computed.append((prev, nxt))
        return "diff"

    a = atom(
        "a",
        initial,
        is_equal=lambda old, new: old["x"] == new["x"],
        history_length=5,
        compute_diff=compute_diff,
    )
    runs: list[int] = []
    stop = react("r", lambda _e: runs.append(a.get()["x"]))
    assert runs == [1]

    start = get_global_epoch()
    last_changed = a.last_changed_epoch

    returned = a.set({"x": 1})

    assert returned is initial
    assert get_global_epoch() == start
    assert a.last_changed_epoch == last_changed
    assert a.get() is initial
    assert a.get_diff_since(start) is EMPTY_DIFFS
    assert diffs_computed == []
    assert runs == [1]
    stop()


# ---------------------------------------------------------------------------------------------
# atoms (A)
# ---------------------------------------------------------------------------------------------


@pytest.mark.spec("A1")
def test_atom_holds_its_initial_value() -> None:
    """get() returns the initial value, and the atom keeps the name it was given."""
    a = atom("answer", 1)
    assert a.get() == 1
    assert a.name == "answer"


@pytest.mark.spec("A2")
def test_set_changes_the_value() -> None:
    """set() replaces the value that get() returns."""
    a = atom("a", 1)
    a.set(2)
    assert a.get() == 2


@pytest.mark.spec("A3")
def test_set_returns_the_value_after_the_call() -> None:
    """set() returns the new value on a change and the kept old object on an equal set."""
    a = atom("a", 1)
    assert a.set(2) == 2
    assert a.set(2) == 2

    old = Box(7)
    b = atom("b", old)
    assert b.set(Box(7)) is old

    f = atom("f", 1.0)
    start = get_global_epoch()
    kept = f.set(1)  # 1 == 1.0: equal, the float is kept
    assert kept == 1.0
    assert type(kept) is float
    assert get_global_epoch() == start


@pytest.mark.spec("A4")
def test_update_applies_fn_to_the_current_value() -> None:
    """update(fn) sets the atom to fn(current), ticking the epoch once and returning the new
    value."""
    start = get_global_epoch()
    a = atom("a", 1)
    seen: list[int] = []

    def inc(value: int) -> int:
        seen.append(value)
        return value + 1

    assert a.update(inc) == 2
    assert a.get() == 2
    assert seen == [1]
    assert get_global_epoch() == start + 1


@pytest.mark.spec("A4", "EP4")
def test_update_to_an_equal_value_is_a_no_op() -> None:
    """update(fn) returning an equal value neither ticks the epoch nor replaces the value."""
    a = atom("a", 5)
    start = get_global_epoch()
    assert a.update(lambda v: v) == 5
    assert get_global_epoch() == start


@pytest.mark.spec("A5")
def test_unsafe_get_without_capture_does_not_subscribe() -> None:
    """Reading an atom with unsafe_get_without_capture inside an effect does not make it a
    parent."""
    a = atom("a", 1)
    runs: list[int] = []
    stop = react("r", lambda _e: runs.append(a.unsafe_get_without_capture()))
    assert runs == [1]

    a.set(2)

    assert runs == [1]
    assert list(a.children) == []
    stop()


@pytest.mark.spec("A6")
def test_atoms_are_independent() -> None:
    """Changing one atom leaves another atom's value and last_changed_epoch alone."""
    a = atom("a", 1)
    b = atom("b", 10)
    b_epoch = b.last_changed_epoch

    a.set(2)

    assert b.get() == 10
    assert b.last_changed_epoch == b_epoch
    assert b.last_changed_epoch < a.last_changed_epoch

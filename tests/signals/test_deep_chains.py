"""Long chains of computeds never hit Python's recursion limit (pull and push are iterative)."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from tlsync_core.signals import Atom, Computed, Signal, atom, computed, react, transact


def successor(name: str, prev: Signal[int, Any]) -> Computed[int, Any]:
    """A computed one more than ``prev``."""

    def derive(_prev: object, _epoch: int) -> int:
        return prev.get() + 1

    return computed(name, derive)


def chain(length: int) -> tuple[Atom[int, Any], Signal[int, Any]]:
    head = atom("head", 0)
    node: Signal[int, Any] = head
    for i in range(length):
        node = successor(f"c{i}", node)
    return head, node


@pytest.mark.spec("C1")
def test_first_read_of_a_chain_far_deeper_than_the_recursion_limit() -> None:
    """Reading the end of a never-derived chain of 10x the recursion limit derives it all."""
    length = sys.getrecursionlimit() * 10
    head, end = chain(length)
    assert end.get() == length
    head.set(5)
    assert end.get() == length + 5


@pytest.mark.spec("P2")
def test_effect_over_a_deep_chain_sees_each_change() -> None:
    """An effect at the end of a 5,000-computed chain runs once per change with the new value."""
    head, end = chain(5000)
    seen: list[int] = []
    stop = react("end", lambda _e: seen.append(end.get()))
    for value in (1, 2, 3):
        head.set(value)
    transact(lambda: (head.set(10), head.set(20)))
    stop()
    assert seen == [5000, 5001, 5002, 5003, 5020]
    assert head.children == ()


@pytest.mark.spec("CAP7")
def test_attach_and_detach_a_deep_chain() -> None:
    """Starting and stopping an effect on a deep chain attaches and detaches every link."""
    head, end = chain(3000)
    stop = react("end", lambda _e: end.get())
    assert len(head.children) == 1
    assert end.is_actively_listening
    stop()
    assert not head.children
    assert not end.is_actively_listening


@pytest.mark.spec("CE1")
def test_an_error_deep_in_a_chain_reaches_the_reader_and_recovers() -> None:
    """An exception 3,000 links up propagates to the reader, is cached, and clears on change."""
    head = atom("head", 0)
    calls = [0]

    def fragile(_p: object, _e: int) -> int:
        calls[0] += 1
        if head.get() < 0:
            raise ValueError("negative")
        return head.get()

    node: Signal[int, Any] = computed("fragile", fragile)
    for i in range(3000):
        node = successor(f"c{i}", node)
    head.set(-1)
    with pytest.raises(ValueError, match="negative"):
        node.get()
    with pytest.raises(ValueError, match="negative"):
        node.get()
    assert calls[0] == 1
    head.set(2)
    assert node.get() == 3002

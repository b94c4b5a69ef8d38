"""The graph is single-threaded: writes from a foreign thread fail loudly and change nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from tlsync_core.signals import (
    CrossThreadError,
    atom,
    bind_thread,
    react,
    transact,
)


def in_thread(fn: Callable[[], object]) -> BaseException | None:
    """Run ``fn`` in a new thread and return what it raised, if anything."""
    raised: list[BaseException] = []

    def body() -> None:
        try:
            fn()
        except BaseException as error:
            raised.append(error)

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    return raised[0] if raised else None


@pytest.fixture(autouse=True)
def owned_by_this_thread() -> Iterator[None]:
    bind_thread()
    yield
    bind_thread()


def test_write_from_another_thread_raises_and_changes_nothing() -> None:
    """A set() from a foreign thread raises CrossThreadError; value, epoch, effects intact."""
    a = atom("a", 1)
    seen: list[int] = []
    stop = react("watch", lambda _e: seen.append(a.get()))
    epoch = a.last_changed_epoch
    error = in_thread(lambda: a.set(2))
    assert isinstance(error, CrossThreadError)
    assert "marshal" in str(error)
    assert a.get() == 1
    assert a.last_changed_epoch == epoch
    assert seen == [1]
    a.set(3)
    assert seen == [1, 3]
    stop()


def test_transactions_from_another_thread_are_refused() -> None:
    """A transaction opened from a foreign thread is refused before it runs its body."""
    ran: list[bool] = []
    error = in_thread(lambda: transact(lambda: ran.append(True)))
    assert isinstance(error, CrossThreadError)
    assert ran == []


def test_reads_and_equal_writes_from_another_thread_are_allowed() -> None:
    """Reading, or setting an equal value (a no-op), never needs the owning thread."""
    a = atom("a", 1)
    assert in_thread(lambda: (a.get(), a.set(1))) is None


def test_bind_thread_hands_the_graph_over() -> None:
    """After bind_thread(ident) another thread may write, and the original one may not."""
    a = atom("a", 1)
    seen: list[int] = []
    stop = react("watch", lambda _e: seen.append(a.get()))
    handed: list[int] = []

    def worker() -> None:
        bind_thread()
        handed.append(threading.get_ident())
        a.set(2)

    assert in_thread(worker) is None
    assert seen == [1, 2]
    with pytest.raises(CrossThreadError):
        a.set(3)
    bind_thread()
    a.set(4)
    assert seen == [1, 2, 4]
    stop()

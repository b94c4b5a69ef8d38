"""Debugging aids: names and why_am_i_running (SPEC.md §1, rules D1–D3).

Deliberate difference from @tldraw/state: why_am_i_running() returns the explanation of the
*current* run at once (and logs it at INFO on ``tlsync_core.signals``) instead of arranging for
the next run to print it.
"""

from __future__ import annotations

import logging

import pytest

from tlsync_core.signals import (
    SignalsError,
    atom,
    computed,
    react,
    reactor,
    unsafe_without_capture,
    why_am_i_running,
)

LOGGER = "tlsync_core.signals"


@pytest.mark.spec("D1")
def test_names_are_for_debugging_only() -> None:
    """Signals with the same (or an empty) name are independent; the name is only reported."""
    a1 = atom("same", 1)
    a2 = atom("same", 2)
    empty = atom("", 3)
    c = computed("same", lambda _prev, _epoch: a1.get() + a2.get())
    assert (a1.name, a2.name, empty.name, c.name) == ("same", "same", "", "same")

    seen: list[int] = []
    stop = react("same", lambda _e: seen.append(c.get()))
    a2.set(20)
    empty.set(30)
    assert seen == [3, 21]
    assert a1.get() == 1
    stop()


@pytest.mark.spec("D2")
def test_why_am_i_running_outside_a_context_raises() -> None:
    """why_am_i_running() outside any computed or effect raises SignalsError."""
    with pytest.raises(SignalsError, match="outside of a reactive context"):
        why_am_i_running()


@pytest.mark.spec("D2")
def test_why_am_i_running_inside_without_capture_raises() -> None:
    """Inside unsafe_without_capture there is no reactive context either, so it raises."""
    errors: list[str] = []

    def effect(_epoch: int) -> None:
        try:
            unsafe_without_capture(why_am_i_running)
        except SignalsError as error:
            errors.append(type(error).__name__)

    stop = react("r", effect)
    assert errors == ["SignalsError"]
    stop()


@pytest.mark.spec("D3")
def test_effect_explains_which_atom_changed(caplog: pytest.LogCaptureFixture) -> None:
    """An effect re-run by an atom change explains "Effect(greeting) is executing because: ↳
    Atom(name) changed"."""
    name = atom("name", "Bob")
    reasons: list[str] = []

    def greeting(_epoch: int) -> None:
        reasons.append(why_am_i_running())
        name.get()

    with caplog.at_level(logging.INFO, logger=LOGGER):
        stop = react("greeting", greeting)
        caplog.clear()
        name.set("Alice")

    assert reasons[1] == "Effect(greeting) is executing because:\n ↳ Atom(name) changed"
    messages = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert messages == [reasons[1]]
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == LOGGER)
    stop()


@pytest.mark.spec("D3")
def test_first_run_of_an_effect_was_executed_manually() -> None:
    """An effect's first run has no changed parents, so it reports that it was executed manually."""
    reasons: list[str] = []
    stop = react("first", lambda _e: reasons.append(why_am_i_running()))
    assert reasons == ["Effect(first) was executed manually."]
    stop()


@pytest.mark.spec("D3")
def test_computed_explains_the_tree_through_computeds(caplog: pytest.LogCaptureFixture) -> None:
    """A recomputing computed explains the chain "Computed(double) changed" then "Atom(a)
    changed"."""
    a = atom("a", 1)
    double = computed("double", lambda _prev, _epoch: a.get() * 2)
    reasons: list[str] = []

    def quadruple_fn(_prev: object, _epoch: int) -> int:
        reasons.append(why_am_i_running())
        return double.get() * 2

    quadruple = computed("quadruple", quadruple_fn)
    stop = react("r", lambda _e: quadruple.get())
    assert len(reasons) == 1

    with caplog.at_level(logging.INFO, logger=LOGGER):
        a.set(2)

    assert quadruple.get() == 8
    assert len(reasons) == 2
    assert reasons[1] == (
        "Computed(quadruple) is recomputing because:\n"
        " ↳ Computed(double) changed\n"
        "   ↳ Atom(a) changed"
    )
    assert [r.getMessage() for r in caplog.records if r.name == LOGGER] == [reasons[1]]
    stop()


@pytest.mark.spec("D3")
def test_effect_explains_only_the_parents_that_changed() -> None:
    """Only the changed parents are listed, in parent order, and a computed parent lists its changed
    atoms."""
    a = atom("a", 1)
    b = atom("b", 1)
    unchanged = atom("unchanged", 1)
    total = computed("total", lambda _prev, _epoch: a.get() + b.get())
    reasons: list[str] = []

    def effect(_epoch: int) -> None:
        reasons.append(why_am_i_running())
        unchanged.get()
        total.get()
        b.get()

    stop = react("watch", effect)
    b.set(2)
    assert reasons[-1] == (
        "Effect(watch) is executing because:\n"
        " ↳ Computed(total) changed\n"
        "   ↳ Atom(b) changed\n"
        " ↳ Atom(b) changed"
    )
    stop()


@pytest.mark.spec("D3")
def test_forced_start_was_executed_manually(caplog: pytest.LogCaptureFixture) -> None:
    """A forced start with no changed parent explains "Effect(manual) was executed manually."."""
    a = atom("a", 1)
    reasons: list[str] = []

    def effect(_epoch: int) -> None:
        reasons.append(why_am_i_running())
        a.get()

    r = reactor("manual", effect)
    r.start()
    r.stop()

    with caplog.at_level(logging.INFO, logger=LOGGER):
        r.start(force=True)

    assert reasons == ["Effect(manual) was executed manually."] * 2
    assert [rec.getMessage() for rec in caplog.records if rec.name == LOGGER] == [
        "Effect(manual) was executed manually."
    ]
    r.stop()


@pytest.mark.spec("D3")
def test_explanation_omits_unchanged_ancestors_older_than_the_computed() -> None:
    """An atom that last changed before its computed was derived is not reported as changed."""
    old = atom("old", 1)
    atom("unrelated", 0).set(1)  # `old` is now older than anything derived below
    fresh = atom("fresh", 1)
    total = computed("total", lambda _prev, _epoch: old.get() + fresh.get())
    reasons: list[str] = []

    def effect(_epoch: int) -> None:
        reasons.append(why_am_i_running())
        total.get()

    stop = react("watch", effect)
    fresh.set(2)
    assert reasons[-1] == (
        "Effect(watch) is executing because:\n ↳ Computed(total) changed\n   ↳ Atom(fresh) changed"
    )
    stop()

"""The reactive graph: atoms, computeds, effect schedulers, capture and transactions.

Theory of operation
===================

This is a port of the *semantics* of signia / ``@tldraw/state`` (rule IDs such as EP3, C2, T7
refer to ``SPEC.md`` §1), written for CPython speed.

Epochs.  One global integer clock, ``_G.epoch``, starts at 0 and advances by exactly one whenever
an atom's value really changes (after the equality check) and once when a transaction aborts.
Every signal remembers ``last_changed_epoch``; every child (a computed or an effect scheduler)
remembers, for each parent it read, the parent's ``last_changed_epoch`` at the time of reading
(``parent_epochs``).  "Did anything I depend on change?" is then a comparison of integers.

Capture.  While a computed derives or an effect runs, every ``get()`` appends the signal to the
running child's new parent list (once per run, in first-read order).  The capture frame is four
fields of the graph state (``cap_child``, ``cap_parents``, ``cap_epochs``, ``cap_id``), saved and
restored around each run, so that ``get()`` needs no frame object.
Deduplication uses a per-signal stamp: the id of the last capture frame that recorded it.  Frame
ids only grow, so a stamp older than the running frame means "not recorded yet", equal means
"already recorded", and younger (a nested frame stamped it) falls back to a list scan.

Liveness.  A parent's ``children`` holds only children that are *actively listening*: attached
effect schedulers, and computeds that have listening children of their own.  Attaching and
detaching propagate up the graph (iteratively, so chains of any depth are safe).  A computed read
without any effect downstream attaches nothing: it costs nothing on writes and can be collected.

Push, then pull.  When atoms change outside a transaction, ``_flush`` walks ``children`` from the
changed atoms (each node at most once per epoch; ``last_traversed_epoch`` marks it) and only
*collects* effect schedulers.  Each collected effect then *pulls*: ``_parents_changed`` brings its
parents up to date in order, re-deriving stale computeds deepest-first, and stops at the first
parent whose epoch differs from the one recorded.  Nothing ever observes a half-propagated graph,
and each effect runs at most once per flush: this is what makes diamonds glitch-free.  The pull is
an explicit stack machine rather than recursion, so a chain of thousands of computeds is refreshed
without approaching Python's recursion limit.

Computeds are lazy and cached: ``get()`` re-derives only when the computed was never computed, or
was not checked at this epoch and some parent changed (a listening computed that no change has
traversed since its last check skips even that).  A re-derivation that yields an equal value keeps
the old object and epoch, so downstream sees no change (early cut-off).  An exception raised by a
derivation is cached like a value and re-raised to readers until a parent changes.  Reading a
computed while it is deriving raises :class:`CycleError`.

Effects.  ``EffectScheduler`` runs an effect under capture.  ``maybe_schedule_effect`` runs it (or
hands it to the pluggable ``schedule_effect`` hook, e.g. to defer it to an event loop) only when a
parent really changed.  Effects may write atoms: while effects run (the *reaction phase*) such
writes are traversed at once and the affected effects run in a further pass; more than
``MAX_REACTION_PASSES`` passes means an effect loop and raises :class:`ReactionDepthError`.

Transactions.  ``transaction(fn)`` opens a (possibly nested) transaction; ``transact(fn)`` joins
the current one or opens one.  Writes are visible at once (no isolation) but effects wait for the
outermost commit.  Each transaction records the first pre-transaction value of every atom it
writes; a rollback (requested, or because ``fn`` raised) ticks the epoch, restores those values,
clears the restored atoms' history and then commits, so effects see only the restored state.
Committing an inner transaction folds its record into the parent's, so an outer rollback also
undoes committed inner transactions.

Threads.  The graph is process-global and single-threaded: every write (``set``, transactions,
effect runs) must happen on the graph's thread, which is the first thread that writes, or the one
named by :func:`bind_thread`.  A write from another thread raises :class:`CrossThreadError` instead
of corrupting state silently.  Marshal work to the owning thread (e.g. with
``loop.call_soon_threadsafe``) instead.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable, Sequence
from math import isnan
from typing import Any, Final, Generic, Literal, TypeAlias, TypeVar, cast, final

from tlsync_core.signals.errors import (
    CrossThreadError,
    CycleError,
    ReactionDepthError,
    SignalsError,
    TransactionOverlapError,
    _DeepPull,
)
from tlsync_core.signals.history import (
    EMPTY_DIFFS,
    RESET_VALUE,
    HistoryBuffer,
    ResetValue,
)

T = TypeVar("T")
D = TypeVar("D")
R = TypeVar("R")

logger = logging.getLogger("tlsync_core.signals")

GLOBAL_START_EPOCH: Final = -1
"""The epoch that means "never": the argument of a computed's or effect's first run."""

MAX_REACTION_PASSES: Final = 1000
"""How many times effects may re-trigger each other (or themselves) before it is called a loop."""


class _Uninitialized(enum.Enum):
    UNINITIALIZED = "UNINITIALIZED"

    def __repr__(self) -> str:
        return "UNINITIALIZED"


UNINITIALIZED: Final = _Uninitialized.UNINITIALIZED
"""The ``previous_value`` a derivation receives on its first run and after an error."""

Uninitialized: TypeAlias = Literal[_Uninitialized.UNINITIALIZED]


class _NoDiff(enum.Enum):
    NO_DIFF = "NO_DIFF"


_NO_DIFF: Final = _NoDiff.NO_DIFF
_NoDiffType: TypeAlias = Literal[_NoDiff.NO_DIFF]


def is_uninitialized(value: object) -> bool:
    """Whether a derivation's ``previous_value`` means "there is no previous value"."""
    return value is UNINITIALIZED


@final
class WithDiff(Generic[T, D]):
    """Returned by a derivation to supply the history diff of its new value (rule H8)."""

    __slots__ = ("diff", "value")

    def __init__(self, value: T, diff: D) -> None:
        self.value = value
        self.diff = diff

    def __repr__(self) -> str:
        return f"WithDiff({self.value!r}, {self.diff!r})"


def with_diff(value: T, diff: D) -> WithDiff[T, D]:
    """Return ``value`` from a derivation together with the diff from the previous value."""
    return WithDiff(value, diff)


IsEqual: TypeAlias = Callable[[Any, Any], bool]
ComputeDiff: TypeAlias = Callable[[T, T, int, int], "D | ResetValue"]

# --------------------------------------------------------------------------------------------
# Global state lives in one `_Graph` instance, `_G` (defined below the classes it refers to);
# as a final attribute of a native class it compiles to plain struct access.
# --------------------------------------------------------------------------------------------

_MAX_DEPTH: Final = 64
_get_ident: Final = threading.get_ident


def get_global_epoch() -> int:
    """The current value of the global epoch."""
    return _G.epoch


def is_capturing() -> bool:
    """Whether a computed or effect is running and recording what it reads."""
    return _G.cap_parents is not None


def is_in_transaction() -> bool:
    return _G.txn is not None


def bind_thread(thread_id: int | None = None) -> None:
    """Make ``thread_id`` (default: the calling thread) the only thread allowed to write.

    ``bind_thread`` itself may be called from any thread; use it when handing the graph to, for
    example, an event loop running in a background thread.  Passing ``0`` unbinds the graph so
    that the next writing thread takes it.
    """
    if thread_id == 0:
        _G.owner = None
    else:
        _G.owner = _get_ident() if thread_id is None else thread_id


def _check_thread() -> None:
    me = _get_ident()
    if _G.owner is None:
        _G.owner = me
    elif _G.owner != me:
        raise CrossThreadError(
            f"the signals graph belongs to thread {_G.owner} but thread {me} tried to write to it; "
            "marshal the write to the owning thread (asyncio: loop.call_soon_threadsafe; a "
            "connect_sync() room: write through room.store or room.call(), which run there) "
            "or hand the graph over with bind_thread()"
        )


# --------------------------------------------------------------------------------------------
# Equality
# --------------------------------------------------------------------------------------------

_VALUE_TYPES: Final = frozenset({int, float, str, bytes, bool, complex, tuple, frozenset})
_NUMBER_TYPES: Final = frozenset({int, float})
_EQUALS_METHODS: dict[type, Callable[[Any, Any], Any] | None] = {}


def default_is_equal(old: object, new: object) -> bool:
    """The default equality of atoms and computeds (rules EQ1–EQ2).

    Identity first; then value equality for immutable scalars and tuples of the same type (and
    between ``int`` and ``float``; ``True`` is not ``1``; NaN equals NaN); then an ``equals``
    method on the *old* value.  Mutable containers (dicts, lists) are compared by identity, as in
    JavaScript: code that wants structural equality passes ``is_equal``.
    """
    if old is new:
        return True
    t = type(old)
    if t is type(new):
        if t in _VALUE_TYPES:
            return bool(old == new) or (t is float and isnan(old) and isnan(new))  # type: ignore[arg-type]
    elif t in _NUMBER_TYPES and type(new) in _NUMBER_TYPES:
        return bool(old == new)
    try:
        method = _EQUALS_METHODS[t]
    except KeyError:
        found = getattr(t, "equals", None)
        method = _EQUALS_METHODS[t] = found if callable(found) else None
    return method is not None and bool(method(old, new))


# --------------------------------------------------------------------------------------------
# Signals
# --------------------------------------------------------------------------------------------


_NO_PARENTS: Final[list[Signal[Any, Any]]] = []
_NO_EPOCHS: Final[list[int]] = []


class _Node:
    """The base of every node in the graph: signals and effect schedulers.

    The child-side fields (``parents``, ``parent_epochs``, ``last_traversed_epoch``) live here so
    that the graph walks deal with one concrete layout; atoms never have parents.
    """

    __slots__ = ("__weakref__", "_is_effect", "_lte", "_parent_epochs", "_parents", "_scan", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        self._lte = GLOBAL_START_EPOCH
        self._scan = 0  # where _validate resumes scanning this node's parents
        self._parents: list[Signal[Any, Any]] = _NO_PARENTS
        self._parent_epochs: list[int] = _NO_EPOCHS
        self._is_effect = False

    @property
    def parents(self) -> tuple[Signal[Any, Any], ...]:
        """The signals read by the last run, in first-read order."""
        return tuple(self._parents)

    @property
    def parent_epochs(self) -> tuple[int, ...]:
        """Each parent's ``last_changed_epoch`` when the last run read it."""
        return tuple(self._parent_epochs)

    @property
    def last_traversed_epoch(self) -> int:
        return self._lte

    @property
    def is_actively_listening(self) -> bool:
        raise NotImplementedError


class Signal(_Node, Generic[T, D]):
    """A readable reactive value: an :class:`Atom` or a :class:`Computed`."""

    __slots__ = ("_cap", "_children", "_history", "_is_equal", "_lce")

    def __init__(self, name: str, is_equal: IsEqual | None, history_length: int | None) -> None:
        super().__init__(name)
        self._lce = GLOBAL_START_EPOCH
        self._children: dict[_Node, None] = {}
        self._is_equal = is_equal
        self._history: HistoryBuffer[D] | None = (
            HistoryBuffer(history_length) if history_length else None
        )
        self._cap = -1

    @property
    def is_actively_listening(self) -> bool:
        return bool(self._children)

    def get(self) -> T:
        """The current value; inside a computed or effect, also records the dependency."""
        raise NotImplementedError

    def unsafe_get_without_capture(self, ignore_errors: bool = False) -> T:
        """The current value, without recording a dependency."""
        raise NotImplementedError

    def get_diff_since(self, epoch: int) -> Sequence[D] | ResetValue:
        """The diffs since ``epoch`` (oldest first), ``()`` if unchanged, or RESET_VALUE."""
        raise NotImplementedError

    @property
    def last_changed_epoch(self) -> int:
        return self._lce

    @property
    def children(self) -> tuple[_Node, ...]:
        """The children actively listening to this signal (for debugging and tests)."""
        return tuple(self._children)

    def _diff_since(self, epoch: int) -> Sequence[D] | ResetValue:
        if epoch >= self._lce:
            return EMPTY_DIFFS
        history = self._history
        return RESET_VALUE if history is None else history.get_changes_since(epoch)


def _capture(signal: Signal[Any, Any], parents: list[Signal[Any, Any]]) -> None:
    """Record ``signal`` as a parent of the running child (once per run)."""
    stamp = signal._cap
    frame = _G.cap_id
    if stamp != frame and (stamp < frame or signal not in parents):
        signal._cap = frame
        parents.append(signal)
        _G.cap_epochs.append(signal._lce)


class Atom(Signal[T, D]):
    """A writable reactive value (rules A1–A6, EQ1–EQ4, H1–H2, H4)."""

    __slots__ = ("_compute_diff", "_value")

    def __init__(
        self,
        name: str,
        initial: T,
        *,
        is_equal: IsEqual | None = None,
        history_length: int | None = None,
        compute_diff: ComputeDiff[T, D] | None = None,
    ) -> None:
        super().__init__(name, is_equal, history_length)
        self._value = initial
        self._lce = _G.epoch
        self._compute_diff = compute_diff

    def __repr__(self) -> str:
        return f"Atom({self.name!r}, {self._value!r})"

    def get(self) -> T:
        parents = _G.cap_parents
        if parents is not None:
            stamp = self._cap
            if stamp != _G.cap_id and (stamp < _G.cap_id or self not in parents):
                self._cap = _G.cap_id
                parents.append(self)
                _G.cap_epochs.append(self._lce)
        return self._value

    def unsafe_get_without_capture(self, ignore_errors: bool = False) -> T:
        return self._value

    def get_diff_since(self, epoch: int) -> Sequence[D] | ResetValue:
        parents = _G.cap_parents
        if parents is not None:
            _capture(self, parents)
        return self._diff_since(epoch)

    def set(self, value: T, diff: D | _NoDiffType = _NO_DIFF) -> T:
        """Set the value; returns the value held afterwards (the old one if ``value`` is equal).

        ``diff`` (which may be ``None``) is recorded in the history instead of calling
        ``compute_diff``.  Effects run before ``set`` returns unless a transaction is open.
        """
        old = self._value
        eq = self._is_equal
        if eq is None:
            if old is value or default_is_equal(old, value):
                return old
        elif eq(old, value):
            return old
        if _G.owner != _get_ident():
            _check_thread()
        history = self._history
        if history is not None:
            if diff is not _NO_DIFF:
                entry: D | ResetValue = diff
            elif self._compute_diff is not None:
                entry = self._compute_diff(old, value, self._lce, _G.epoch + 1)
            else:
                entry = RESET_VALUE
            _G.epoch += 1
            history.push_entry(self._lce, _G.epoch, entry)
        else:
            _G.epoch += 1
        self._lce = _G.epoch
        self._value = value
        txn = _G.txn
        if txn is not None:
            initial = txn.initial
            if self not in initial:
                initial[self] = old
        elif self._children:
            if _G.reacting:
                _traverse(self._children, _G.cleanup)
            else:
                _flush_from(self._children)
        return value

    def update(self, fn: Callable[[T], T]) -> T:
        """``set(fn(current))``."""
        return self.set(fn(self._value))


# --------------------------------------------------------------------------------------------
# Children: computeds and effect schedulers
# --------------------------------------------------------------------------------------------


def _end_capture(
    child: _Node,
    parents: list[Signal[Any, Any]],
    epochs: list[int],
) -> None:
    """Install the parents captured by a run and (re)wire liveness if they changed."""
    child._parent_epochs = epochs
    if parents != child._parents:
        _rewire(child, parents)


def _rewire(child: _Node, parents: list[Signal[Any, Any]]) -> None:
    """Replace ``child``'s parents; a listening child moves its subscriptions accordingly."""
    old = child._parents
    child._parents = parents
    if child.is_actively_listening:
        kept = set(parents)
        for parent in old:
            if parent not in kept:
                _detach(parent, child)
        for parent in parents:
            _attach(parent, child)


def _attach(parent: Signal[Any, Any], child: _Node) -> None:
    """Make ``child`` a listener of ``parent``, attaching newly live computeds upwards."""
    children = parent._children
    if child in children:
        return
    children[child] = None
    if type(parent) is not Computed or len(children) != 1:
        return
    stack: list[Computed[Any, Any]] = [parent]
    while stack:
        node = stack.pop()
        for grand in node._parents:
            grand_children = grand._children
            if node not in grand_children:
                grand_children[node] = None
                if type(grand) is Computed and len(grand_children) == 1:
                    stack.append(grand)


def _detach(parent: Signal[Any, Any], child: _Node) -> None:
    """Remove ``child`` from ``parent``'s listeners, detaching computeds left without any."""
    children = parent._children
    if child not in children:
        return
    del children[child]
    if children or type(parent) is not Computed:
        return
    stack: list[Computed[Any, Any]] = [parent]
    while stack:
        node = stack.pop()
        for grand in node._parents:
            grand_children = grand._children
            if node in grand_children:
                del grand_children[node]
                if not grand_children and type(grand) is Computed:
                    stack.append(grand)


def _settle(node: Computed[Any, Any]) -> None:
    """Derive ``node`` from depth zero, trampolining very deep first derivations.

    A derivation that reads a computed never derived before recurses into it.  Past
    ``_MAX_DEPTH`` nested derivations the innermost read raises :class:`_DeepPull`, which unwinds
    to the outermost read without changing any state (interrupted runs keep their old parents
    and epochs).  The outermost read then settles the deep computed here and retries.
    """
    pending: list[Computed[Any, Any]] = [node]
    while pending:
        try:
            pending[-1]._refresh(True)
            pending.pop()
        except _DeepPull as deep:
            pending.append(deep.node)


def _parents_changed(child: _Node) -> bool:
    """Whether any parent of ``child`` changed since ``child`` last read it.

    Brings stale computed parents up to date first, in parent order, stopping at the first
    changed parent (later parents may no longer be needed).
    """
    if _G.depth:
        return _validate(child)
    while True:
        try:
            return _validate(child)
        except _DeepPull as deep:
            _settle(deep.node)


def _validate(child: _Node) -> bool:
    """The pull machine behind :func:`_parents_changed`.

    Written as an explicit stack machine so that validating a long chain of computeds never
    recurses.  Derivation errors met on the
    way are cached in the computeds that raised them, never thrown from here (rule CE5).
    """
    parents = child._parents
    epochs = child._parent_epochs
    n = len(parents)
    i = 0
    stack: list[_Node] | None = None
    try:
        while True:
            changed = False
            while i < n:
                p = parents[i]
                if type(p) is Computed and p._lce_checked != _G.epoch:
                    if p._children and _G.txn is None and p._lte <= p._lce_checked:
                        p._lce_checked = _G.epoch
                    elif p._busy:
                        changed = True  # a cycle: let the re-derivation report it
                        break
                    else:
                        if stack is None:
                            stack = []
                        child._scan = i
                        stack.append(child)
                        p._busy = True
                        child, parents, epochs = p, p._parents, p._parent_epochs
                        n = len(parents)
                        i = 0
                        continue
                if p._lce != epochs[i]:
                    changed = True
                    break
                i += 1
            if not stack:
                return changed
            # `child` is a stale computed parent of the node below it on the stack
            computed = cast(Computed[Any, Any], child)
            computed._busy = False
            if changed:
                computed._rerun()
            else:
                computed._lce_checked = _G.epoch
            child = stack.pop()
            parents, epochs = child._parents, child._parent_epochs
            n = len(parents)
            i = min(child._scan, n)  # (a cycle may have re-derived it meanwhile)
    except BaseException:
        for waiting in stack or ():
            if type(waiting) is Computed:
                waiting._busy = False
        if type(child) is Computed:
            child._busy = False
        raise


def _traverse(children: dict[_Node, None], reactors: dict[EffectScheduler[Any], None]) -> None:
    """Collect into ``reactors`` the effects reachable from ``children`` (once per epoch).

    A depth-first walk in ``children`` order.  It follows single-child links in a loop and
    keeps only branching points on an explicit stack, so depth is unlimited and chains are cheap.
    """
    epoch = _G.epoch
    stack: list[_Node] = []
    for top in children:
        child = top
        while True:
            if child._lte != epoch:
                child._lte = epoch
                if child._is_effect:
                    reactors[cast(EffectScheduler[Any], child)] = None
                else:
                    below = cast(Signal[Any, Any], child)._children
                    count = len(below)
                    if count == 1:
                        for only in below:
                            child = only
                        continue
                    if count > 1:
                        ordered = list(below)
                        for k in range(count - 1, 0, -1):
                            stack.append(ordered[k])
                        child = ordered[0]
                        continue
            if not stack:
                break
            child = stack.pop()


def _flush_from(children: dict[_Node, None]) -> None:
    """Run the effects reachable from ``children`` (outside any transaction)."""
    reactors: dict[EffectScheduler[Any], None] = {}
    _traverse(children, reactors)
    if reactors:
        _run_reactors(reactors)


def _flush_atoms(atoms: dict[Atom[Any, Any], Any]) -> None:
    """Propagate the changes of a committed transaction."""
    if _G.reacting:
        for atom in atoms:
            if atom._children:
                _traverse(atom._children, _G.cleanup)
        return
    reactors: dict[EffectScheduler[Any], None] = {}
    for atom in atoms:
        if atom._children:
            _traverse(atom._children, reactors)
    if reactors:
        _run_reactors(reactors)


def _run_reactors(reactors: dict[EffectScheduler[Any], None]) -> None:
    """The reaction phase: run effects, then those their writes affected, until settled."""
    outer = _G.txn
    _G.txn = None
    _G.reacting = True
    try:
        for reactor in reactors:
            reactor.maybe_schedule_effect()
        passes = 0
        while _G.cleanup:
            passes += 1
            if passes > MAX_REACTION_PASSES:
                raise ReactionDepthError("Reaction update depth limit exceeded")
            pending = _G.cleanup
            _G.cleanup = {}
            for reactor in pending:
                reactor.maybe_schedule_effect()
    finally:
        _G.cleanup = {}
        _G.reacting = False
        _G.txn = outer


# --------------------------------------------------------------------------------------------
# Computed
# --------------------------------------------------------------------------------------------


@final
class Computed(Signal[T, D]):
    """A lazily derived, cached value (rules C1–C10, CE1–CE5, H3, H5, H8)."""

    __slots__ = (
        "_busy",
        "_compute_diff",
        "_derive",
        "_error",
        "_lce_checked",
        "_state",
    )

    def __init__(
        self,
        name: str,
        derive: Callable[[Any, int], T | WithDiff[T, D]],
        *,
        is_equal: IsEqual | None = None,
        history_length: int | None = None,
        compute_diff: ComputeDiff[T, D] | None = None,
    ) -> None:
        super().__init__(name, is_equal, history_length)
        self._derive = derive
        self._state: Any = UNINITIALIZED
        self._error: BaseException | None = None
        self._lce_checked = GLOBAL_START_EPOCH
        self._parents = []
        self._parent_epochs = []
        self._compute_diff = compute_diff
        self._busy = False

    def __repr__(self) -> str:
        return f"Computed({self.name!r})"

    @property
    def last_checked_epoch(self) -> int:
        return self._lce_checked

    def get(self) -> T:
        parents = _G.cap_parents
        if self._lce_checked != _G.epoch or self._error is not None:
            try:
                return self._refresh(False) if _G.depth else self._pull(False)
            finally:
                if parents is not None:
                    _capture(self, parents)
        if parents is not None:
            stamp = self._cap
            if stamp != _G.cap_id and (stamp < _G.cap_id or self not in parents):
                self._cap = _G.cap_id
                parents.append(self)
                _G.cap_epochs.append(self._lce)
        state: T = self._state
        return state

    def _pull(self, ignore_errors: bool) -> T:
        """``_refresh`` from outside any derivation (deep first derivations: see _settle)."""
        while True:
            try:
                return self._refresh(ignore_errors)
            except _DeepPull as deep:
                _settle(deep.node)

    def unsafe_get_without_capture(self, ignore_errors: bool = False) -> T:
        return self._refresh(ignore_errors) if _G.depth else self._pull(ignore_errors)

    def get_diff_since(self, epoch: int) -> Sequence[D] | ResetValue:
        if _G.depth:
            self._refresh(True)
        else:
            self._pull(True)
        parents = _G.cap_parents
        if parents is not None:
            _capture(self, parents)
        return self._diff_since(epoch)

    def _refresh(self, ignore_errors: bool) -> T:
        """Bring the cached state up to date; re-raise a cached error unless told not to."""
        if self._lce == GLOBAL_START_EPOCH:
            self._rerun()
        elif self._lce_checked != _G.epoch:
            if self._children and _G.txn is None and self._lte <= self._lce_checked:
                self._lce_checked = _G.epoch
            elif self._busy or _parents_changed(self):
                self._rerun()
            else:
                self._lce_checked = _G.epoch
        error = self._error
        if error is not None and not ignore_errors:
            raise error
        state: T = self._state
        return state

    def _enter_error(self, error: Exception) -> None:
        """Cache ``error`` as the computed's state (rules CE1-CE4)."""
        if self._error is None:
            self._state = UNINITIALIZED
            self._lce = _G.epoch
        self._lce_checked = _G.epoch
        if self._history is not None:
            self._history.clear()
        self._error = error

    def _rerun(self) -> None:
        if self._busy:
            raise CycleError(f"Computed({self.name}) was read while deriving: a cycle")
        if _G.depth >= _MAX_DEPTH:
            raise _DeepPull(self)
        self._busy = True
        saved_child, saved_parents, saved_epochs, saved_id = (
            _G.cap_child,
            _G.cap_parents,
            _G.cap_epochs,
            _G.cap_id,
        )
        parents: list[Signal[Any, Any]] = []
        epochs: list[int] = []
        _G.next_cap_id += 1
        _G.cap_child, _G.cap_parents, _G.cap_epochs = self, parents, epochs
        _G.cap_id = _G.next_cap_id
        _G.depth += 1
        previous = self._state
        interrupted = False
        try:
            result = self._derive(previous, self._lce_checked)
        except _DeepPull:
            # interrupted: keep the old parents and epochs so that nothing looks up to date
            interrupted = True
            raise
        except Exception as error:
            self._enter_error(error)
            return
        finally:
            _G.depth -= 1
            _G.cap_child, _G.cap_parents, _G.cap_epochs, _G.cap_id = (
                saved_child,
                saved_parents,
                saved_epochs,
                saved_id,
            )
            self._busy = False
            if not interrupted:
                _end_capture(self, parents, epochs)
        if type(result) is WithDiff:
            value = result.value
            diff: Any = result.diff
        else:
            value = result
            diff = _NO_DIFF
        if previous is UNINITIALIZED:
            self._lce = _G.epoch
            self._state = value
        elif not (
            value is previous or default_is_equal(previous, value)
            if self._is_equal is None
            else self._is_equal(previous, value)
        ):
            history = self._history
            if history is not None:
                if diff is _NO_DIFF:
                    compute = self._compute_diff
                    diff = (
                        RESET_VALUE
                        if compute is None
                        else compute(previous, value, self._lce_checked, _G.epoch)
                    )
                history.push_entry(self._lce, _G.epoch, diff)
            self._lce = _G.epoch
            self._state = value
        self._error = None
        self._lce_checked = _G.epoch


# --------------------------------------------------------------------------------------------
# Effects
# --------------------------------------------------------------------------------------------


@final
class EffectScheduler(_Node, Generic[R]):
    """Runs an effect when the signals it read change (rules E1–E9, P1–P8).

    ``run_effect(last_reacted_epoch)`` is called under capture; the argument is the epoch of the
    previous run (``GLOBAL_START_EPOCH`` the first time), so the effect can ask its parents for
    ``get_diff_since(last_reacted_epoch)``.  ``schedule_effect``, if given, receives a callable
    that runs the effect; call it whenever convenient (it does nothing if the scheduler has been
    detached meanwhile).  Use it to defer effects to an event loop or a frame tick.
    """

    __slots__ = (
        "_listening",
        "_lre",
        "_rerun_requested",
        "_run_effect",
        "_running",
        "_schedule",
        "schedule_count",
    )

    def __init__(
        self,
        name: str,
        run_effect: Callable[[int], R],
        *,
        schedule_effect: Callable[[Callable[[], None]], object] | None = None,
    ) -> None:
        super().__init__(name)
        self._is_effect = True
        self._run_effect = run_effect
        self._schedule = schedule_effect
        self._parents = []
        self._parent_epochs = []
        self._listening = False
        self._lre = GLOBAL_START_EPOCH
        self._running = False
        self._rerun_requested = False
        self.schedule_count = 0
        """How many times the effect was scheduled (run, or handed to ``schedule_effect``)."""

    def __repr__(self) -> str:
        return f"EffectScheduler({self.name!r})"

    @property
    def is_actively_listening(self) -> bool:
        return self._listening

    @property
    def last_reacted_epoch(self) -> int:
        return self._lre

    def attach(self) -> None:
        """Start listening to the parents of the last run (does not run the effect)."""
        if _G.owner != _get_ident():
            _check_thread()
        self._listening = True
        for parent in self._parents:
            parent.unsafe_get_without_capture(True)
            _attach(parent, self)

    def detach(self) -> None:
        """Stop listening; the parents are kept so a later ``attach`` can tell what changed."""
        self._listening = False
        for parent in self._parents:
            _detach(parent, self)

    def maybe_schedule_effect(self) -> None:
        """Schedule the effect if it is listening and a parent really changed."""
        if not self._listening or self._lre == _G.epoch:
            return
        if (self._lre != GLOBAL_START_EPOCH or self._parents) and not _parents_changed(self):
            self._lre = _G.epoch
            return
        self.schedule_effect()

    def schedule_effect(self) -> None:
        """Run the effect now, or hand it to the ``schedule_effect`` hook."""
        self.schedule_count += 1
        if self._schedule is None:
            self.execute()
        else:
            self._schedule(self._maybe_execute)

    def _maybe_execute(self) -> None:
        # deferred runs come from whatever called the hook: check that it is the graph's thread
        if _G.owner != _get_ident():
            _check_thread()
        if self._listening:
            self.execute()

    def execute(self) -> R | None:
        """Run the effect now, under capture, and return its result.

        A run started outside the reaction phase that changes one of its own parents is run
        again after it finishes, not re-entered (rule P8); so is a run re-scheduled while it was
        running.  Returns None when called re-entrantly (the run is then deferred).
        """
        if self._running:
            self._rerun_requested = True
            return None
        outside_reaction = not _G.reacting
        passes = 0
        while True:
            self._rerun_requested = False
            scheduled_before = self.schedule_count
            result = self._run_once()
            if not outside_reaction or not self._listening:
                return result
            requested = self._rerun_requested
            if not requested and self.schedule_count != scheduled_before:
                return result  # the schedule_effect hook has queued the next run
            if not _parents_changed(self):
                return result
            if not requested:
                self.schedule_count += 1
            passes += 1
            if passes > MAX_REACTION_PASSES:
                raise ReactionDepthError("Reaction update depth limit exceeded")

    def _run_once(self) -> R:
        saved = (_G.cap_child, _G.cap_parents, _G.cap_epochs, _G.cap_id)
        parents: list[Signal[Any, Any]] = []
        epochs: list[int] = []
        _G.next_cap_id += 1
        _G.cap_child, _G.cap_parents, _G.cap_epochs = self, parents, epochs
        _G.cap_id = _G.next_cap_id
        self._running = True
        try:
            epoch = _G.epoch
            result = self._run_effect(self._lre)
            self._lre = epoch
            return result
        finally:
            self._running = False
            _G.cap_child, _G.cap_parents, _G.cap_epochs, _G.cap_id = saved
            _end_capture(self, parents, epochs)


class Reactor(Generic[R]):
    """An effect that can be started and stopped: the result of :func:`reactor`."""

    __slots__ = ("scheduler",)

    def __init__(self, scheduler: EffectScheduler[R]) -> None:
        self.scheduler = scheduler

    def start(self, *, force: bool = False) -> None:
        """Listen again; run now if ``force``, or if it never ran or a parent changed."""
        self.scheduler.attach()
        if force:
            self.scheduler.schedule_effect()
        else:
            self.scheduler.maybe_schedule_effect()

    def stop(self) -> None:
        self.scheduler.detach()


def react(
    name: str,
    fn: Callable[[int], object],
    *,
    schedule_effect: Callable[[Callable[[], None]], object] | None = None,
) -> Callable[[], None]:
    """Run ``fn`` now and whenever what it read changes; returns a function that stops it."""
    scheduler = EffectScheduler(name, fn, schedule_effect=schedule_effect)
    scheduler.attach()
    scheduler.schedule_effect()
    return scheduler.detach


def reactor(
    name: str,
    fn: Callable[[int], R],
    *,
    schedule_effect: Callable[[Callable[[], None]], object] | None = None,
) -> Reactor[R]:
    """An effect that runs only once started (``start()``), until ``stop()``."""
    return Reactor(EffectScheduler(name, fn, schedule_effect=schedule_effect))


# --------------------------------------------------------------------------------------------
# Transactions
# --------------------------------------------------------------------------------------------


class _Transaction:
    __slots__ = ("done", "initial", "parent", "rollback_requested")

    def __init__(self, parent: _Transaction | None) -> None:
        self.parent = parent
        self.initial: dict[Atom[Any, Any], Any] = {}
        self.rollback_requested = False
        self.done = False

    def request_rollback(self) -> None:
        self.rollback_requested = True


def _commit(txn: _Transaction) -> None:
    parent = txn.parent
    if parent is None:
        _G.txn = None
        if txn.initial:
            _flush_atoms(txn.initial)
    elif not parent.initial:
        parent.initial = txn.initial
    else:
        merged = parent.initial
        for atom, value in txn.initial.items():
            if atom not in merged:
                merged[atom] = value


def _abort(txn: _Transaction) -> None:
    _G.epoch += 1
    for atom, value in txn.initial.items():
        atom.set(value)
        if atom._history is not None:
            atom._history.clear()
    _commit(txn)


def _current_transaction() -> _Transaction | None:
    # a call, not an attribute read: after `_G.txn = txn` the type checker (and so mypyc)
    # would otherwise assume the attribute still holds `txn` after running user code
    return _G.txn


def _run_transaction(fn: Callable[..., T], txn: _Transaction, pass_rollback: bool) -> T:
    if _G.owner != _get_ident():
        _check_thread()
    _G.txn = txn
    try:
        try:
            result: T = fn(txn.request_rollback) if pass_rollback else fn()
        except BaseException:
            _G.txn = txn
            _abort(txn)
            raise
        if _current_transaction() is not txn:
            raise TransactionOverlapError("Transaction boundaries overlap")
        if txn.rollback_requested:
            _abort(txn)
        else:
            _commit(txn)
        return result
    finally:
        txn.done = True
        parent = txn.parent
        while parent is not None and parent.done:  # only after overlapping boundaries
            parent = parent.parent
        _G.txn = parent


def transaction(fn: Callable[[Callable[[], None]], T]) -> T:
    """Run ``fn(rollback)`` in a new (possibly nested) transaction and return its result.

    Effects are deferred until the outermost transaction ends.  Calling ``rollback()``, or an
    exception escaping ``fn`` (re-raised), restores every atom the transaction wrote, including
    writes of committed nested transactions (rules T1–T10).
    """
    return _run_transaction(fn, _Transaction(_G.txn), True)


def transact(fn: Callable[[], T]) -> T:
    """Run ``fn`` in the current transaction, or in a new one if none is open (a batch)."""
    if _G.txn is not None:
        return fn()
    return _run_transaction(fn, _Transaction(None), False)


# --------------------------------------------------------------------------------------------
# Capture helpers and debugging
# --------------------------------------------------------------------------------------------


def unsafe_without_capture(fn: Callable[[], T]) -> T:
    """Call ``fn`` without recording what it reads as dependencies of the running child."""
    saved_child, saved_parents = _G.cap_child, _G.cap_parents
    _G.cap_child, _G.cap_parents = None, None
    try:
        return fn()
    finally:
        _G.cap_child, _G.cap_parents = saved_child, saved_parents


def why_am_i_running() -> str:
    """Explain which parents changed to make the running computed or effect run (rule D3).

    Returns the explanation (also logged at INFO on ``tlsync_core.signals``), e.g.::

        Effect(greeting) is executing because:
         ↳ Computed(full_name) changed
           ↳ Atom(first_name) changed

    Raises :class:`SignalsError` outside a computed or effect (rule D2).
    """
    child = _G.cap_child
    if child is None:
        raise SignalsError("why_am_i_running() called outside of a reactive context")
    lines: list[str] = []
    _explain(child._parents, child._parent_epochs, 1, lines)
    kind = "Effect" if child._is_effect else "Computed"
    if not lines:
        text = f"{kind}({child.name}) was executed manually."
    else:
        verb = "is executing" if child._is_effect else "is recomputing"
        text = "\n".join([f"{kind}({child.name}) {verb} because:", *lines])
    logger.info("%s", text)
    return text


def _explain(
    parents: Sequence[Signal[Any, Any]],
    seen: Sequence[int] | int,
    indent: int,
    lines: list[str],
) -> None:
    """Add a line per parent that changed: since its recorded epoch (a sequence, one per
    parent), or, under a computed, after the epoch the child last saw that computed (an int).
    """
    for index, parent in enumerate(parents):
        changed = parent._lce > seen if isinstance(seen, int) else parent._lce != seen[index]
        if not changed:
            continue
        pad = " " * indent + "↳ "
        if type(parent) is Computed:
            lines.append(f"{pad}Computed({parent.name}) changed")
            since = seen if isinstance(seen, int) else seen[index]
            _explain(parent._parents, since, indent + 2, lines)
        else:
            lines.append(f"{pad}Atom({parent.name}) changed")


class _Graph:
    """The mutable state of the one process-wide graph (see the theory of operation)."""

    __slots__ = (
        "cap_child",
        "cap_epochs",
        "cap_id",
        "cap_parents",
        "cleanup",
        "depth",
        "epoch",
        "next_cap_id",
        "owner",
        "reacting",
        "txn",
    )

    def __init__(self) -> None:
        self.epoch = 0
        # the capture frame of the running computed or effect (None when nothing captures)
        self.cap_child: _Node | None = None
        self.cap_parents: list[Signal[Any, Any]] | None = None
        self.cap_epochs: list[int] = _NO_EPOCHS  # only appended to while cap_parents is set
        self.cap_id = 0
        self.next_cap_id = 0
        # how many derivations run inside each other (see _settle)
        self.depth = 0
        # transactions and the reaction phase
        self.txn: _Transaction | None = None
        self.reacting = False
        self.cleanup: dict[EffectScheduler[Any], None] = {}
        # the thread that owns the graph (None: the next thread that writes takes it)
        self.owner: int | None = None


_G: Final = _Graph()


# --------------------------------------------------------------------------------------------
# Factories and guards
# --------------------------------------------------------------------------------------------


def atom(
    name: str,
    initial: T,
    *,
    is_equal: IsEqual | None = None,
    history_length: int | None = None,
    compute_diff: ComputeDiff[T, Any] | None = None,
) -> Atom[T, Any]:
    """A new atom holding ``initial``.  ``compute_diff`` is ignored without ``history_length``."""
    return Atom(
        name, initial, is_equal=is_equal, history_length=history_length, compute_diff=compute_diff
    )


def computed(
    name: str,
    fn: Callable[[Any, int], T | WithDiff[T, Any]],
    *,
    is_equal: IsEqual | None = None,
    history_length: int | None = None,
    compute_diff: ComputeDiff[T, Any] | None = None,
) -> Computed[T, Any]:
    """A computed deriving ``fn(previous_value, last_computed_epoch)`` lazily.

    ``previous_value`` is :data:`UNINITIALIZED` on the first run and after an error.
    """
    return Computed(
        name, fn, is_equal=is_equal, history_length=history_length, compute_diff=compute_diff
    )


def is_atom(value: object) -> bool:
    return isinstance(value, Atom)


def is_computed(value: object) -> bool:
    return type(value) is Computed


def is_signal(value: object) -> bool:
    return isinstance(value, Signal)

"""RecordsDiff: what a change did to a store, and how changes combine (SPEC.md §2).

A diff maps record ids to records in three tables: ``added`` (id → record), ``updated``
(id → ``(from, to)``) and ``removed`` (id → the record as it was).  Records are never mutated, so
a diff can hold them by reference; the tables themselves are copied by every function here except
:func:`squash_records_diffs_mutable`, whose purpose is to fold into a target in place.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Record = dict[str, Any]


class RecordsDiff:
    """``added``, ``updated`` and ``removed``, each keyed by record id."""

    __slots__ = ("added", "removed", "updated")

    def __init__(
        self,
        added: dict[str, Record] | None = None,
        updated: dict[str, tuple[Record, Record]] | None = None,
        removed: dict[str, Record] | None = None,
    ) -> None:
        self.added: dict[str, Record] = {} if added is None else added
        self.updated: dict[str, tuple[Record, Record]] = {} if updated is None else updated
        self.removed: dict[str, Record] = {} if removed is None else removed

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RecordsDiff):
            return NotImplemented
        return (
            self.added == other.added
            and self.updated == other.updated
            and self.removed == other.removed
        )

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return (
            f"RecordsDiff(added={self.added!r}, updated={self.updated!r}, removed={self.removed!r})"
        )

    def copy(self) -> RecordsDiff:
        """A diff with copies of the three tables (the records are shared)."""
        return RecordsDiff(dict(self.added), dict(self.updated), dict(self.removed))

    def to_json(self) -> dict[str, Any]:
        """The JSON shape tldraw uses: ``updated`` values are ``[from, to]`` pairs."""
        return {
            "added": self.added,
            "updated": {k: [v[0], v[1]] for k, v in self.updated.items()},
            "removed": self.removed,
        }


def is_records_diff_empty(diff: RecordsDiff) -> bool:
    return not diff.added and not diff.updated and not diff.removed


def reverse_records_diff(diff: RecordsDiff) -> RecordsDiff:
    """The diff that undoes ``diff``: added and removed swap, each update runs backwards."""
    return RecordsDiff(
        added=dict(diff.removed),
        updated={rid: (to, frm) for rid, (frm, to) in diff.updated.items()},
        removed=dict(diff.added),
    )


def squash_records_diffs(diffs: Iterable[RecordsDiff]) -> RecordsDiff:
    """One diff with the combined effect of ``diffs`` applied in order (a new object)."""
    result = RecordsDiff()
    squash_records_diffs_mutable(result, diffs)
    return result


def squash_records_diffs_mutable(target: RecordsDiff, diffs: Iterable[RecordsDiff]) -> None:
    """Fold ``diffs``, in order, into ``target``.

    Within each diff, additions are folded first, then updates, then removals:

    - added X: if the target removed X, the removal turns into an update from the removed record
      (or disappears if it is the very same object); otherwise X is added.
    - updated X: an addition absorbs it (the added record becomes the new one); an existing
      update keeps its ``from`` and takes the new ``to``; otherwise it is recorded.  Any removal
      of X in the target is dropped.
    - removed X: an addition of X cancels out; an update of X becomes a removal of its original
      ``from``; otherwise X is removed.
    """
    added, updated, removed = target.added, target.updated, target.removed
    for diff in diffs:
        for rid, record in diff.added.items():
            if rid in removed:
                original = removed.pop(rid)
                if original is not record:
                    updated[rid] = (original, record)
            else:
                added[rid] = record
        # (each pair is typed Any so that compiled code keeps the tuple object, which is
        # shared rather than rebuilt: one object fewer per change for the cyclic GC)
        pairs: dict[str, Any] = diff.updated
        for rid, pair in pairs.items():
            if removed:
                removed.pop(rid, None)
            if rid in added:
                added[rid] = pair[1]
                updated.pop(rid, None)
            elif rid in updated:
                updated[rid] = (updated[rid][0], pair[1])
            else:
                updated[rid] = pair
        for rid, record in diff.removed.items():
            if rid in added:
                del added[rid]
            elif rid in updated:
                removed[rid] = updated.pop(rid)[0]
            else:
                removed[rid] = record

"""The edit history of a simulation and its Jepsen-style checker.

Recording
=========

*Client side* (:meth:`History.record_edit`): every edit a simulated user makes on a client's
local store, as the fields it wrote, translated to the room's (latest) schema.  Values are
unique per edit (numbers are ``edit id + k/8``, never integral; names and ids carry the edit
id), so a value names its writer.  Texts only grow, by appending a unique token
``"|<edit id><decoration>"`` (decorations include astral characters, so UTF-16 offsets are
exercised); a text is its creation value followed by tokens.

*Room side* (:meth:`History.record_commit`): every transaction the room commits, from its
``on_commit`` hook, with the session whose message caused it.  Commits are *pending* until
the simulated persistence makes them durable (:meth:`History.make_durable`, when the host
calls ``mark_durable``); a server crash discards the pending ones
(:meth:`History.discard_pending`): they were never acknowledged, and the room that restarts
from storage never had them.

Definitions
===========

A *field* is ``(record id, path)``: a top-level key other than ``id``/``typeName``, or one key
inside ``props`` or ``meta``.  The *durable log* is the list of durable commits, in commit
order.  A commit *sets* a field when the record is new in it, or the field's value differs from
the value before the commit; it *clears* it when the key disappears; deleting the record clears
every field.

* A client write ``(R, f, v)`` is **acknowledged** at the first durable commit that sets
  ``(R, f)`` to ``v``.  A text token ``t`` appended to ``R`` is acknowledged at the first
  durable commit after which ``R``'s text contains ``t`` and before which it did not.
* **Lost write**: an acknowledged write whose value is not in the final room state (a token:
  not in the final text) although no later durable commit set or cleared that field or
  deleted the record (a token: removed it from the text).
* **Phantom**: a durable commit (or the final state) holding a value nobody wrote: a record id
  no edit created (nor an integrity checker), a field value no edit wrote to that field (nor a
  migration default nor an integrity default), or a text whose creation part or tokens were
  never written to that record, or that holds a token twice.
* **Foreign write** (diagnostic, expected 0): a commit caused by session S setting a field to
  a value that S's own client never wrote (defaults excepted): a client pushing data it only
  received.
* **Durability**: folding the durable log over the initial documents gives the final room
  state exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from typing import Any, TypeAlias

import attrs
import orjson

from tlsync_core.room.storage import ForwardDiff

from .schema import TEXT_PATH, TYPE_DEFAULTS

Record: TypeAlias = dict[str, Any]
Path: TypeAlias = tuple[str, ...]
Field: TypeAlias = tuple[str, Path]

TOKEN_MARK = "|"


def canon(value: Any) -> bytes:
    """A value's identity for the checker: JSON with sorted keys, numbers as JavaScript sees
    them (``86.0`` is ``86``: a float a client wrote arrives at the room as an integer)."""
    return orjson.dumps(_js_numbers(value), option=orjson.OPT_SORT_KEYS)


def _js_numbers(value: Any) -> Any:
    kind = type(value)
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is dict:
        return {k: _js_numbers(v) for k, v in value.items()}
    if kind is list:
        return [_js_numbers(v) for v in value]
    return value


def fields_of(record: Mapping[str, Any]) -> dict[Path, Any]:
    """A record as fields: top-level keys, and ``props``/``meta`` one level down."""
    out: dict[Path, Any] = {}
    for key, value in record.items():
        if key in ("id", "typeName"):
            continue
        if key in ("props", "meta") and isinstance(value, dict):
            for inner, item in value.items():
                out[(key, inner)] = item
        else:
            out[(key,)] = value
    return out


def split_text(text: str) -> tuple[str, list[str]]:
    """A text's creation part and its appended tokens."""
    parts = text.split(TOKEN_MARK)
    return parts[0], [TOKEN_MARK + p for p in parts[1:]]


@attrs.define
class Edit:
    """One user edit on one client, in the room's schema."""

    id: int
    client: int
    kind: str
    time: float
    writes: list[tuple[str, Path, Any]] = attrs.Factory(list)
    prefixes: list[tuple[str, str]] = attrs.Factory(list)
    """(record id, creation text) of records created with a text."""
    tokens: list[tuple[str, str]] = attrs.Factory(list)
    """(record id, token) appended to a text."""
    creates: list[str] = attrs.Factory(list)
    deletes: list[str] = attrs.Factory(list)


@attrs.define
class Commit:
    """One committed room transaction."""

    seq: int
    session: str | None
    clock: int
    puts: list[tuple[str, Record | None, Record]]
    deletes: list[str]


@attrs.define
class Anomaly:
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


@attrs.define
class CheckResult:
    """What the checker found."""

    acknowledged: int = 0
    """Client writes (field values and text tokens) acknowledged by a durable commit."""
    unacknowledged: int = 0
    writes: int = 0
    lost: list[Anomaly] = attrs.Factory(list)
    phantoms: list[Anomaly] = attrs.Factory(list)
    foreign: list[Anomaly] = attrs.Factory(list)
    durability: list[Anomaly] = attrs.Factory(list)

    @property
    def anomalies(self) -> list[Anomaly]:
        return [*self.lost, *self.phantoms, *self.foreign, *self.durability]


class History:
    """Client edits and room commits of one simulation; see the module docstring."""

    def __init__(self, initial_documents: Iterable[Record], defaults: Iterable[Record]) -> None:
        self.initial: dict[str, Record] = {r["id"]: r for r in initial_documents}
        self.edits: list[Edit] = []
        self.pending: list[Commit] = []
        self.durable: list[Commit] = []
        self.discarded = 0
        self._seq = 0
        # what may legitimately appear without an edit
        self._default_values: dict[Field, set[bytes]] = defaultdict(set)
        self._default_ids: set[str] = set()
        for record in [*defaults, *self.initial.values()]:
            self._default_ids.add(record["id"])
            for path, value in fields_of(record).items():
                self._default_values[(record["id"], path)].add(canon(value))

    # -- recording -------------------------------------------------------------------------------

    def record_edit(self, edit: Edit) -> None:
        self.edits.append(edit)

    def record_commit(self, session: str | None, clock: int, changes: ForwardDiff) -> None:
        puts: list[tuple[str, Record | None, Record]] = []
        for record_id, put in changes.puts.items():
            if isinstance(put, tuple):
                puts.append((record_id, put[0], put[1]))
            else:
                puts.append((record_id, None, put))
        self._seq += 1
        self.pending.append(Commit(self._seq, session, clock, puts, list(changes.deletes)))

    def make_durable(self) -> None:
        self.durable.extend(self.pending)
        self.pending.clear()

    def discard_pending(self) -> int:
        count = len(self.pending)
        self.discarded += count
        self.pending.clear()
        return count

    # -- checking --------------------------------------------------------------------------------

    def check(
        self,
        final: Mapping[str, Record],
        session_clients: Mapping[str, int],
        whole_text_sessions: Collection[str] = (),
        *,
        text_paths: Collection[Path] = (TEXT_PATH,),
        type_defaults: Mapping[tuple[str, Path], tuple[Any, ...]] = TYPE_DEFAULTS,
    ) -> CheckResult:
        """Check the durable log and the final room documents (see the module docstring).

        ``session_clients`` maps each room session id to its client's index;
        ``whole_text_sessions`` are the sessions that send texts whole, never as appends (the
        v3 dialect): their texts may carry tokens they received.
        """
        result = CheckResult()
        # every value each client wrote, per field; tokens and creation texts per record
        written: dict[Field, dict[bytes, set[int]]] = defaultdict(lambda: defaultdict(set))
        tokens: dict[str, dict[str, int]] = defaultdict(dict)
        prefixes: dict[str, set[str]] = defaultdict(set)
        created: set[str] = set(self._default_ids)
        for edit in self.edits:
            created.update(edit.creates)
            for record_id, path, value in edit.writes:
                written[(record_id, path)][canon(value)].add(edit.client)
            for record_id, token in edit.tokens:
                tokens[record_id][token] = edit.client
            for record_id, text in edit.prefixes:
                prefixes[record_id].add(text)

        acked: dict[tuple[Field, bytes], int] = {}
        acked_tokens: dict[tuple[str, str], int] = {}
        last_change: dict[Field, int] = {}
        last_delete: dict[str, int] = {}
        token_removed: dict[tuple[str, str], int] = {}

        def allowed(record: Record, path: Path, value: Any) -> bool:
            key = canon(value)
            field = (record["id"], path)
            if key in written.get(field, {}) or key in self._default_values.get(field, ()):
                return True
            return any(key == canon(v) for v in type_defaults.get((record["typeName"], path), ()))

        def check_text(record_id: str, text: Any, where: str) -> list[str]:
            if not isinstance(text, str):
                result.phantoms.append(Anomaly("phantom", f"{where}: {record_id} text {text!r}"))
                return []
            prefix, parts = split_text(text)
            if prefix not in prefixes.get(record_id, ()) and not any(
                (record_id, p) in self._default_values for p in text_paths
            ):
                result.phantoms.append(
                    Anomaly("phantom", f"{where}: {record_id} text starts {prefix!r}")
                )
            known = tokens.get(record_id, {})
            for token in parts:
                if token not in known:
                    result.phantoms.append(
                        Anomaly("phantom", f"{where}: {record_id} token {token!r} never written")
                    )
            if len(set(parts)) != len(parts):
                result.phantoms.append(
                    Anomaly("phantom", f"{where}: {record_id} text repeats a token: {text!r}")
                )
            return parts

        documents = dict(self.initial)
        for commit in self.durable:
            where = f"commit {commit.seq} (clock {commit.clock}, {commit.session})"
            writer = session_clients.get(commit.session or "")
            for record_id, before, after in commit.puts:
                if before is None and record_id not in created:
                    result.phantoms.append(Anomaly("phantom", f"{where}: record {record_id}"))
                old = fields_of(before) if before is not None else {}
                new = fields_of(after)
                for path, value in new.items():
                    if path in old and canon(old[path]) == canon(value):
                        continue
                    field = (record_id, path)
                    last_change[field] = commit.seq
                    if path in text_paths:
                        parts = check_text(record_id, value, where)
                        previous = old.get(path, "")
                        _, old_parts = split_text(previous if isinstance(previous, str) else "")
                        appended = (
                            commit.session not in whole_text_sessions
                            and path in old
                            and isinstance(previous, str)
                            and isinstance(value, str)
                            and value.startswith(previous)
                        )
                        for token in set(parts) - set(old_parts):
                            acked_tokens.setdefault((record_id, token), commit.seq)
                            author = tokens.get(record_id, {}).get(token)
                            # an append carries the pusher's own tokens only; a whole text (a
                            # new record, or a v3-dialect client's put) may carry tokens the
                            # pusher received
                            if appended and author is not None and writer not in (None, author):
                                result.foreign.append(
                                    Anomaly("foreign", f"{where}: {record_id} token {token!r}")
                                )
                        for token in set(old_parts) - set(parts):
                            token_removed[(record_id, token)] = commit.seq
                        continue
                    key = canon(value)
                    if not allowed(after, path, value):
                        result.phantoms.append(
                            Anomaly("phantom", f"{where}: {record_id} {'.'.join(path)}={value!r}")
                        )
                    acked.setdefault((field, key), commit.seq)
                    authors = written.get(field, {}).get(key)
                    if (
                        authors
                        and writer is not None
                        and writer not in authors
                        and key not in self._default_values.get(field, ())
                        and not any(
                            key == canon(v)
                            for v in type_defaults.get((after["typeName"], path), ())
                        )
                    ):
                        result.foreign.append(
                            Anomaly(
                                "foreign",
                                f"{where}: {record_id} {'.'.join(path)}={value!r} written by"
                                f" client(s) {sorted(authors)}",
                            )
                        )
                for path in old.keys() - new.keys():
                    last_change[(record_id, path)] = commit.seq
                documents[record_id] = after
            for record_id in commit.deletes:
                last_delete[record_id] = commit.seq
                documents.pop(record_id, None)

        # durability: the durable log folds to the final state
        if canon(documents) != canon(dict(final)):
            for record_id in sorted(documents.keys() | final.keys()):
                a, b = documents.get(record_id), final.get(record_id)
                if a is None or b is None or canon(a) != canon(b):
                    result.durability.append(
                        Anomaly(
                            "durability",
                            f"{record_id}: durable log gives {a!r}, final room has {b!r}",
                        )
                    )

        # phantoms in the final state (the log covers it, but the final state is what counts)
        for record_id, record in final.items():
            if record_id not in created:
                result.phantoms.append(Anomaly("phantom", f"final: record {record_id}"))
            for path, value in fields_of(record).items():
                if path in text_paths:
                    check_text(record_id, value, "final")
                elif not allowed(record, path, value):
                    result.phantoms.append(
                        Anomaly("phantom", f"final: {record_id} {'.'.join(path)}={value!r}")
                    )

        # lost writes
        for edit in self.edits:
            for record_id, path, value in edit.writes:
                if path in text_paths:
                    continue  # texts are checked by token
                result.writes += 1
                field = (record_id, path)
                key = canon(value)
                seq = acked.get((field, key))
                if seq is None:
                    result.unacknowledged += 1
                    continue
                result.acknowledged += 1
                present = final.get(record_id)
                current = None if present is None else fields_of(present).get(path)
                if present is not None and path in fields_of(present) and canon(current) == key:
                    continue
                if last_change.get(field, 0) > seq or last_delete.get(record_id, 0) > seq:
                    continue
                result.lost.append(
                    Anomaly(
                        "lost",
                        f"edit {edit.id} (client {edit.client}, {edit.kind}): {record_id}"
                        f" {'.'.join(path)}={value!r} acknowledged at commit {seq},"
                        f" final {current!r}",
                    )
                )
            text_path = next(iter(text_paths), TEXT_PATH)  # tokens: one text per record
            for record_id, token in edit.tokens:
                result.writes += 1
                seq = acked_tokens.get((record_id, token))
                if seq is None:
                    result.unacknowledged += 1
                    continue
                result.acknowledged += 1
                present = final.get(record_id)
                final_text = None if present is None else fields_of(present).get(text_path)
                if isinstance(final_text, str) and token in split_text(final_text)[1]:
                    continue
                if (
                    token_removed.get((record_id, token), 0) > seq
                    or last_delete.get(record_id, 0) > seq
                    or (present is not None and text_path not in fields_of(present))
                ):
                    continue
                result.lost.append(
                    Anomaly(
                        "lost",
                        f"edit {edit.id} (client {edit.client}): token {token!r} of {record_id}"
                        f" acknowledged at commit {seq}, final text {final_text!r}",
                    )
                )
        return result

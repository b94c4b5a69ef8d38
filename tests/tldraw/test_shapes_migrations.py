"""The default shapes' props migrations against tldraw 5.4.2's (TLSH3–TLSH7, TLSH9).

tlschema's own migration tests (tests/tldraw/shapes_migration_cases.py) are run against the
expected values, and every case also runs in node through tldraw's schema; then whole shape
records are migrated up from each older version and down to each older version on both sides.
"""

from __future__ import annotations

import copy
import functools
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from node_peer import NodePeer
from shapes_data import (
    LEGACY_PROPS,
    SHAPE_TYPES,
    canonical,
    canonical_line_props,
    current_records,
    shape_record,
)
from shapes_migration_cases import CASES, JITTERED, RANDOM_IDS, Case
from tldraw_peer import (
    MIGRATOR_FAILED,
    Direction,
    Outcome,
    node_migrate,
    node_run_migrations,
    node_validate,
    py_migrate,
    py_run_migration,
    py_validate,
)

from tlsync_core.store.index_keys import get_indices, is_valid_index_key
from tlsync_core.store.migrations import Migration, MigrationSequence
from tlsync_core.store.schema import StoreSchema
from tlsync_core.tldraw import create_tldraw_schema
from tlsync_core.tldraw.props import process_props_migrations
from tlsync_core.tldraw.shapes import DEFAULT_SHAPE_PROPS, arrow, line


@pytest.fixture(scope="module")
def schema() -> StoreSchema:
    return create_tldraw_schema()


@pytest.fixture(scope="module")
def sequences() -> dict[str, MigrationSequence]:
    return {s.sequence_id: s for s in process_props_migrations("shape", DEFAULT_SHAPE_PROPS)}


@pytest.fixture(scope="module")
def current_schema(node_peer: NodePeer) -> dict[str, Any]:
    serialized: dict[str, Any] = node_peer.call("tldrawSerializeSchema")
    return serialized


@pytest.fixture
def tldraw_test_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """tlschema's test conditions: unjittered index keys, binding ids nanoid_1, nanoid_2..."""
    monkeypatch.setattr(line, "get_indices", functools.partial(get_indices, jitter=False))
    counter = itertools.count(1)
    monkeypatch.setattr(arrow, "create_binding_id", lambda: f"binding:nanoid_{next(counter)}")


def _sequence_id(shape_type: str) -> str:
    return f"com.tldraw.shape.{shape_type}"


@pytest.mark.spec("TLSH3")
def test_sequences_are_tldraws(
    node_peer: NodePeer, sequences: dict[str, MigrationSequence]
) -> None:
    """Each shape's sequence is com.tldraw.shape.<type> with tldraw's migration ids, in order,
    and tldraw's retroactive flag: arrows' sequence only is not retroactive; group's is empty."""
    info = node_peer.call("tldrawInfo")["sequences"]
    for shape_type in SHAPE_TYPES:
        ours = sequences[_sequence_id(shape_type)]
        theirs = info[_sequence_id(shape_type)]
        assert [m.id for m in ours.migrations] == theirs["ids"], shape_type
        assert ours.retroactive == theirs["retroactive"], shape_type
    assert [s.retroactive for s in sequences.values()].count(False) == 1
    assert sequences[_sequence_id("group")].migrations == ()


@pytest.mark.spec("TLSH3")
def test_arrow_extract_bindings_is_a_storage_migration(
    sequences: dict[str, MigrationSequence],
) -> None:
    """Arrow migration 4 (ExtractBindings) works on the whole storage and has no down; every
    other shape migration is record-scoped and touches only shapes of its type."""
    for sequence in sequences.values():
        for migration in sequence.migrations:
            if migration.id == arrow.arrow_shape_versions["ExtractBindings"]:
                assert (migration.scope, migration.down) == ("storage", None)
                continue
            assert migration.scope == "record"
            assert migration.filter is not None
            shape_type = sequence.sequence_id.rsplit(".", 1)[1]
            other = "geo" if shape_type != "geo" else "text"
            assert migration.filter({"typeName": "shape", "type": shape_type, "props": {}})
            assert not migration.filter({"typeName": "shape", "type": other, "props": {}})
            assert not migration.filter({"typeName": "binding", "type": shape_type})


def _all_migrations(sequences: dict[str, MigrationSequence]) -> Iterator[Migration]:
    for shape_type in SHAPE_TYPES:
        yield from sequences[_sequence_id(shape_type)].migrations


@pytest.mark.spec("TLSH5")
def test_downs_exist_where_tldraws_do(
    node_peer: NodePeer, sequences: dict[str, MigrationSequence]
) -> None:
    """A migration has a down exactly when tldraw's has a function there: retired downs and
    the rich-text migrations (which force old clients to update) have none."""
    migrations = list(_all_migrations(sequences))
    answers = node_peer.call(
        "tldrawRunMigrations",
        cases=[{"id": m.id, "direction": "down", "value": {"props": {}}} for m in migrations],
    )
    theirs = {
        m.id: "has no down" not in str(a.get("error", ""))
        for m, a in zip(migrations, answers, strict=True)
    }
    ours = {m.id: m.down is not None for m in migrations}
    assert ours == theirs
    assert sum(ours.values()) < len(ours)  # some are retired


def _expect(case: Case, outcome: Outcome) -> None:
    assert outcome[0] == "ok", outcome
    if case.check is not None:
        case.check(outcome[1])
    else:
        assert outcome[1] == case.after


@pytest.mark.spec("TLSH4", "TLSH5", "TLSH7", "TLSH9")
@pytest.mark.usefixtures("tldraw_test_mode")
@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_tlschema_migration_cases(schema: StoreSchema, case: Case) -> None:
    """tlschema's migrations.test.ts case: the migration run up (or down) on the value, as
    getTestMigration runs it, gives tldraw's expected value (under tldraw's test conditions:
    unjittered index keys, predictable binding ids)."""
    before = copy.deepcopy(case.before)
    _expect(case, py_run_migration(schema, case.migration, case.direction, case.before))
    assert case.before == before  # the input is not touched


def _comparable(case: Case, outcome: Outcome) -> Outcome:
    if outcome[0] != "ok":
        return outcome
    value = outcome[1]
    if (case.migration, case.direction) in JITTERED:
        value = {**value, "props": canonical_line_props(value["props"])}
    if (case.migration, case.direction) in RANDOM_IDS:
        value = canonical(value)
    return ("ok", value)


@pytest.mark.spec("TLSH4", "TLSH5", "TLSH7")
def test_tlschema_migration_cases_match_node(node_peer: NodePeer, schema: StoreSchema) -> None:
    """Every tlschema case also runs in node through tldraw's own migration: the results are
    the same (jittered index keys and random binding ids compared by position)."""
    theirs = node_run_migrations(node_peer, [(c.migration, c.direction, c.before) for c in CASES])
    for case, their in zip(CASES, theirs, strict=True):
        ours = py_run_migration(schema, case.migration, case.direction, case.before)
        assert _comparable(case, ours) == _comparable(case, their), case.label


# runs of single migrators on odd values: JavaScript's quirks (undefined, truthiness, 'in')
_ODD_RUNS: tuple[tuple[str, Direction, Any], ...] = (
    (
        arrow.arrow_shape_versions["AddIsPrecise"],
        "down",
        {
            "props": {
                "start": {"type": "binding", "normalizedAnchor": {"x": 1, "y": 1}, "isPrecise": {}},
                "end": {"type": "point"},
            }
        },
    ),
    (arrow.arrow_shape_versions["AddIsPrecise"], "up", {"props": {"start": {"type": "point"}}}),
    (
        arrow.arrow_shape_versions["AddIsPrecise"],
        "up",
        {"props": {"start": {"type": "binding"}, "end": {}}},
    ),
    (arrow.arrow_shape_versions["AddRichTextAttrs"], "down", {"props": {"richText": "text"}}),
    (arrow.arrow_shape_versions["AddRichTextAttrs"], "down", {"props": {"richText": ""}}),
    (arrow.arrow_shape_versions["AddRichTextAttrs"], "down", {"props": {"richText": [1]}}),
    (arrow.arrow_shape_versions["AddRichText"], "up", {"props": {}}),
    (arrow.arrow_shape_versions["AddRichText"], "up", {"props": {"text": 5}}),
    (arrow.arrow_shape_versions["AddRichText"], "up", {"props": {"text": "\n\n"}}),
    (
        arrow.arrow_shape_versions["ExtractBindings"],
        "up",
        {
            "shape:a": {
                "id": "shape:a",
                "typeName": "shape",
                "type": "arrow",
                "props": {
                    "start": {"type": "binding", "boundShapeId": "shape:b"},
                    "end": {"type": "point", "x": 1, "y": 2},
                },
            },
            "shape:b": {
                "id": "shape:b",
                "typeName": "shape",
                "type": "geo",
                "props": {"start": {"type": "binding"}},
            },
            "page:p": {"id": "page:p", "typeName": "page"},
        },
    ),
    ("com.tldraw.shape.text/2", "up", {"props": {}}),
    ("com.tldraw.shape.text/2", "down", {"props": {"textAlign": None}}),
    ("com.tldraw.shape.note/12", "up", {"props": {"fontSizeAdjustment": False}}),
    ("com.tldraw.shape.note/12", "up", {"props": {"fontSizeAdjustment": -0.0}}),
    ("com.tldraw.shape.note/13", "up", {"props": {}}),
    ("com.tldraw.shape.note/3", "up", {"props": {"align": ["start"]}}),
    ("com.tldraw.shape.geo/8", "up", {"props": {"url": "http://ok.com"}}),
    ("com.tldraw.shape.geo/8", "up", {"props": {}}),
    ("com.tldraw.shape.bookmark/1", "up", {"props": {"assetId": None}}),
    ("com.tldraw.shape.draw/1", "up", {"props": {"segments": [{"points": []}]}}),
    (
        "com.tldraw.shape.draw/1",
        "up",
        {"props": {"segments": [{"points": [{"x": 0, "y": 0, "z": 0}]}]}},
    ),
    (
        "com.tldraw.shape.draw/1",
        "up",
        {"props": {"segments": [{"points": [{"z": 0.7}, {"z": 0}]}]}},
    ),
    ("com.tldraw.shape.draw/1", "up", {"props": {"segments": []}}),
    ("com.tldraw.shape.draw/1", "up", {"props": {"segments": [{"points": "AAAA"}]}}),
    ("com.tldraw.shape.draw/1", "up", {"props": {"segments": "abc"}}),
    (
        "com.tldraw.shape.draw/3",
        "up",
        {"props": {"segments": [{"type": "free", "path": ""}], "scaleX": None, "scaleY": 0}},
    ),
    ("com.tldraw.shape.draw/3", "up", {"props": {"segments": "none"}}),
    (
        "com.tldraw.shape.draw/5",
        "down",
        {"props": {"segments": [{"type": "free", "path": "", "dim": 2}]}},
    ),
    (
        "com.tldraw.shape.draw/5",
        "down",
        {"props": {"segments": [{"type": "free", "path": "AAAAAAAAAAAAAAAA", "dim": "2"}]}},
    ),
    ("com.tldraw.shape.line/1", "up", {"props": {"handles": {"a": {"x": 1}, "b": {}}}}),
    (
        "com.tldraw.shape.line/2",
        "up",
        {"props": {"handles": {"a": {"index": "a3", "x": 1}, "b": {"index": "a2", "y": 2}}}},
    ),
    ("com.tldraw.shape.line/2", "down", {"props": {"handles": {"a2": {"x": 1, "y": 1}}}}),
    (
        "com.tldraw.shape.line/2",
        "down",
        {"props": {"handles": {"a2": {"x": 1, "y": 1, "index": "a0"}, "a1": {"x": 2}}}},
    ),
    (
        "com.tldraw.shape.line/3",
        "up",
        {"props": {"handles": {"b1": {"x": 1, "y": 1}, "a1": {"x": 0, "y": 0}}}},
    ),
    ("com.tldraw.shape.line/4", "down", {"props": {"points": {}}}),
    ("com.tldraw.shape.embed/1", "up", {"props": {}}),
    ("com.tldraw.shape.embed/1", "up", {"props": {"url": 12}}),
    ("com.tldraw.shape.embed/1", "up", {"props": {"url": ["https://codepen.io/a/embed/b"]}}),
    ("com.tldraw.shape.embed/1", "up", {"props": {"url": ["https://tldraw.com/r/x"]}}),
)


@pytest.mark.spec("TLSH4", "TLSH5", "TLSH7")
def test_odd_values_migrate_like_tldraw(node_peer: NodePeer, schema: StoreSchema) -> None:
    """Migrators given odd values (missing props, non-strings, falsy objects, -0, nulls,
    unsorted or partial handles, non-string embed urls) give tldraw's result, or fail where
    tldraw's throws."""
    theirs = node_run_migrations(node_peer, list(_ODD_RUNS))
    for (migration_id, direction, value), their in zip(_ODD_RUNS, theirs, strict=True):
        ours = py_run_migration(schema, migration_id, direction, value)
        assert canonical(ours[1]) == canonical(their[1]) and ours[0] == their[0], (
            migration_id,
            direction,
            value,
        )
    assert ("error", MIGRATOR_FAILED) in theirs


def _from_schema(current: dict[str, Any], shape_type: str, version: int) -> dict[str, Any]:
    return {**current, "sequences": {**current["sequences"], _sequence_id(shape_type): version}}


def _stepped_up(
    schema: StoreSchema, sequence: MigrationSequence, record: dict[str, Any], start: int, end: int
) -> dict[str, Any] | None:
    """``record`` at version ``start`` brought to ``end`` one migration at a time (None when a
    step fails or is a storage migration)."""
    for migration in sequence.migrations[start:end]:
        if migration.scope != "record":
            return None
        outcome = py_run_migration(schema, migration.id, "up", {**record})
        if outcome[0] != "ok":
            return None
        record = outcome[1]
    return record


def _up_cases(
    schema: StoreSchema, sequences: dict[str, MigrationSequence]
) -> Iterator[tuple[str, int, dict[str, Any]]]:
    for shape_type, legacy in LEGACY_PROPS.items():
        sequence = sequences[_sequence_id(shape_type)]
        for start, props in legacy:
            record = shape_record(shape_type, props)
            for version in range(start, sequence.version + 1):
                at_version = _stepped_up(schema, sequence, record, start, version)
                if at_version is not None:
                    yield shape_type, version, at_version


@pytest.mark.spec("TLSH6")
def test_records_migrate_up_like_tldraw(
    node_peer: NodePeer,
    schema: StoreSchema,
    sequences: dict[str, MigrationSequence],
    current_schema: dict[str, Any],
) -> None:
    """Old records of every shape (as persisted at each version of its sequence) migrate up to
    the current version with tldraw's result or tldraw's failure reason (arrows from before
    ExtractBindings: target-version-too-new); the migrated records then validate (or not)
    as they do in tldraw, and most do."""
    cases = list(_up_cases(schema, sequences))
    runs: list[tuple[Any, Any, Direction]] = [
        (r, _from_schema(current_schema, t, v), "up") for t, v, r in cases
    ]
    theirs = node_migrate(node_peer, runs)
    migrated = []
    for (shape_type, version, record), their in zip(cases, theirs, strict=True):
        ours = py_migrate(schema, record, _from_schema(current_schema, shape_type, version), "up")
        assert (ours[0], canonical(ours[1])) == (their[0], canonical(their[1])), (
            shape_type,
            version,
        )
        if ours[0] == "ok":
            migrated.append(ours[1])
    assert ("error", "target-version-too-new") in theirs
    validated = [py_validate(schema, record) for record in migrated]
    assert validated == node_validate(node_peer, [(record, None) for record in migrated])
    assert sum(outcome[0] == "ok" for outcome in validated) > len(cases) // 2


@pytest.mark.spec("TLSH5", "TLSH6")
def test_records_migrate_down_like_tldraw(
    node_peer: NodePeer,
    schema: StoreSchema,
    sequences: dict[str, MigrationSequence],
    current_schema: dict[str, Any],
) -> None:
    """Current records of every shape migrate down to each older version of its sequence with
    tldraw's result, or fail as tldraw does: target-version-too-old across a retired or
    missing down (rich text, ExtractBindings)."""
    cases = [
        (shape_type, version, record)
        for shape_type in SHAPE_TYPES
        for record in current_records(shape_type)
        for version in range(sequences[_sequence_id(shape_type)].version)
    ]
    runs: list[tuple[Any, Any, Direction]] = [
        (r, _from_schema(current_schema, t, v), "down") for t, v, r in cases
    ]
    theirs = node_migrate(node_peer, runs)
    for (shape_type, version, record), their in zip(cases, theirs, strict=True):
        ours = py_migrate(schema, record, _from_schema(current_schema, shape_type, version), "down")
        assert (ours[0], canonical(ours[1])) == (their[0], canonical(their[1])), (
            shape_type,
            version,
        )
    reasons = {outcome[1] for outcome in theirs if outcome[0] == "error"}
    assert reasons == {"target-version-too-old"}
    assert any(outcome[0] == "ok" for outcome in theirs)


@pytest.mark.spec("TLSH9")
def test_line_index_keys_are_jittered_like_tldraw(schema: StoreSchema) -> None:
    """Outside tldraw's tests, getIndices jitters: the points of an old line get keys that
    start at a1, increase with the points' order, are valid index keys, and serve as the
    points' ids and indexes; the next run draws other keys."""
    points = [{"x": i, "y": -i} for i in range(6)]
    migration = line.line_shape_versions["PointIndexIds"]
    runs = [
        py_run_migration(schema, migration, "up", {"props": {"points": points}}) for _ in range(2)
    ]
    keys = []
    for outcome in runs:
        assert outcome[0] == "ok"
        table = outcome[1]["props"]["points"]
        ordered = sorted(table)
        assert ordered[0] == "a1"
        assert all(is_valid_index_key(key) for key in ordered)
        assert [table[k]["x"] for k in ordered] == [p["x"] for p in points]
        assert all(table[k]["id"] == table[k]["index"] == k for k in ordered)
        keys.append(ordered)
    assert keys[0] != keys[1]

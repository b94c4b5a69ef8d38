"""Migrations: authoring, global order, schema formats, selection, and applying them (MG1–MG23).

Written from the behaviours that ``@tldraw/store`` 5.4.2 checks in ``migrate.test.ts``,
``StoreSchema.test.ts`` and ``test/testSchema.v*.ts`` (their schema object is emulated here with
the pure functions), plus property tests.  Expected orders marked "tldraw" were observed by
running 5.4.2 under node.
"""

from __future__ import annotations

import copy
import graphlib
import random
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tlsync_core.store.migrations import (
    DictRecordStorage,
    Err,
    Migration,
    MigrationDirection,
    MigrationFailureReason,
    MigrationSequence,
    Ok,
    RecordStorage,
    SchemaFormatError,
    SerializedSchemaV1,
    SerializedSchemaV2,
    StandaloneDependsOn,
    UnknownRecord,
    create_migration_ids,
    create_migration_sequence,
    create_record_migration_sequence,
    get_migrations_since,
    migrate_record,
    migrate_storage,
    parse_migration_id,
    serialize_earliest_version,
    serialize_sequences,
    sort_migrations,
    upgrade_schema,
    validate_migrations,
)

# --------------------------------------------------------------------------------------------
# Helpers


def noop(migration_id: str, *depends_on: str) -> Migration:
    """A record migration that changes nothing."""
    return Migration(migration_id, "record", lambda record: None, depends_on=depends_on)


def ids(migrations: list[Migration]) -> list[str]:
    return [m.id for m in migrations]


def sort_ids(*migrations: Migration) -> list[str]:
    return ids(sort_migrations(migrations))


def counter_sequence(
    sequence_id: str,
    versions: int,
    *,
    retroactive: bool,
    filter: Callable[[UnknownRecord], bool] | None = None,
) -> MigrationSequence:
    """Each step counts itself in ``record["versions"][sequence_id]`` going up, and back down."""

    def up(record: UnknownRecord) -> None:
        record["versions"][sequence_id] = record["versions"].get(sequence_id, 0) + 1

    def down(record: UnknownRecord) -> None:
        record["versions"][sequence_id] -= 1

    return MigrationSequence(
        sequence_id,
        retroactive,
        tuple(
            Migration(f"{sequence_id}/{n}", "record", up, down, filter=filter)
            for n in range(1, versions + 1)
        ),
    )


def registry(*sequences: MigrationSequence) -> dict[str, MigrationSequence]:
    return {s.sequence_id: s for s in sequences}


def v2(**sequences: int) -> SerializedSchemaV2:
    return {"schemaVersion": 2, "sequences": dict(sequences)}


def make_record(schema: SerializedSchemaV2, **extra: Any) -> UnknownRecord:
    """A record whose ``versions`` say how far each counter sequence has gone."""
    return {"id": "test:1", "typeName": "test", "versions": dict(schema["sequences"]), **extra}


def migrate_persisted(
    record: UnknownRecord,
    sequences: dict[str, MigrationSequence],
    persisted: object,
    direction: str = "up",
) -> Ok[UnknownRecord] | Err[MigrationFailureReason]:
    """tldraw's ``migratePersistedRecord``: select, then apply (a selection error is a failure)."""
    selected = get_migrations_since(sequences, persisted)
    if not selected.ok:
        return Err(MigrationFailureReason.MigrationError)
    assert direction in ("up", "down")
    return migrate_record(record, selected.value, "up" if direction == "up" else "down")


def ok_value(result: Ok[Any] | Err[Any]) -> Any:
    assert result.ok, result
    return result.value


# --------------------------------------------------------------------------------------------
# Authoring (MG1–MG5)


@pytest.mark.spec("MG1")
@pytest.mark.parametrize(
    ("migration_id", "expected"),
    [
        ("com.myapp.book/5", ("com.myapp.book", 5)),
        ("test/1", ("test", 1)),
        ("com.example.app/42", ("com.example.app", 42)),
        ("seq/0", ("seq", 0)),
        (
            "com.tldraw.instance_page_state/123456789012",
            ("com.tldraw.instance_page_state", 123456789012),
        ),
    ],
)
def test_parse_migration_id_splits_sequence_and_version(
    migration_id: str, expected: tuple[str, int]
) -> None:
    """A migration id splits into its sequence id and its number."""
    assert parse_migration_id(migration_id) == expected


@pytest.mark.spec("MG1")
@pytest.mark.parametrize(
    "bad", ["foo", "foo/", "/1", "foo/01", "foo/-1", "foo/1.0", "foo/bar/1", "foo/1\n", "foo/١", ""]
)
def test_parse_migration_id_rejects_malformed_ids(bad: str) -> None:
    """Ids without a sequence, with a non-decimal or zero-padded number, or with two slashes are
    rejected with a ValueError that quotes them."""
    with pytest.raises(ValueError, match=r"^Invalid migration id: '") as info:
        parse_migration_id(bad)
    assert str(info.value) == f"Invalid migration id: '{bad}'"


@pytest.mark.spec("MG1")
def test_parse_migration_id_rejects_non_strings() -> None:
    """A non-string id (which a caller outside the type checker might pass) is a ValueError."""
    with pytest.raises(ValueError, match="Invalid migration id: 5"):
        parse_migration_id(5)  # type: ignore[arg-type]


@pytest.mark.spec("MG2", "MG5")
def test_create_migration_sequence_returns_validated_sequence() -> None:
    """create_migration_sequence returns the sequence with its id, flag and migrations."""
    sequence = create_migration_sequence("test", [noop("test/1")], retroactive=False)
    assert sequence.sequence_id == "test"
    assert sequence.retroactive is False
    assert ids(list(sequence.migrations)) == ["test/1"]


@pytest.mark.spec("MG5")
def test_sequences_are_retroactive_by_default() -> None:
    """Without the flag, a sequence (built either way) is retroactive."""
    assert create_migration_sequence("test", [noop("test/1")]).retroactive is True
    assert MigrationSequence("test").retroactive is True
    assert create_record_migration_sequence("t", "t", []).retroactive is True


@pytest.mark.spec("MG2")
def test_create_migration_sequence_validates() -> None:
    """A bad sequence id or a sequence not starting at /1 is refused at creation."""
    with pytest.raises(ValueError):
        create_migration_sequence("test/invalid", [])
    with pytest.raises(ValueError):
        create_migration_sequence("test", [noop("test/2")])


@pytest.mark.spec("MG2")
def test_well_formed_sequences_with_mixed_scopes_are_accepted() -> None:
    """Consecutive ids from /1 pass validation whatever their scopes; an empty sequence too."""
    sequence = MigrationSequence(
        "test",
        True,
        (noop("test/1"), noop("test/2"), Migration("test/3", "store", lambda store: store)),
    )
    validate_migrations(sequence)
    validate_migrations(MigrationSequence("empty"))


@pytest.mark.spec("MG2")
@pytest.mark.parametrize(
    ("sequence_id", "migration_ids", "message"),
    [
        ("foo/bar", [], "sequenceId cannot contain a '/', got foo/bar"),
        ("", [], "sequenceId must be a non-empty string"),
        (
            "foo",
            ["foo.1"],
            "Every migration in sequence 'foo' must have an id starting with 'foo/'. "
            "Got invalid id: 'foo.1'",
        ),
        ("foo", ["foo/one"], "Invalid migration id: 'foo/one'"),
        (
            "foo",
            ["foo/1", "foo.2"],
            "Every migration in sequence 'foo' must have an id starting with 'foo/'. "
            "Got invalid id: 'foo.2'",
        ),
        ("foo", ["foo/1", "foo/two"], "Invalid migration id: 'foo/two'"),
        ("foo", ["foo/2"], "Expected the first migrationId to be 'foo/1' but got 'foo/2'"),
        (
            "foo",
            ["foo/1", "foo/2", "foo/4"],
            "Migration id numbers must increase in increments of 1, expected foo/3 but got 'foo/4'",
        ),
        (
            "foo",
            ["foo/1", "foo/1"],
            "Migration id numbers must increase in increments of 1, expected foo/2 but got 'foo/1'",
        ),
        ("foo", ["foo/bar/1"], "Invalid migration id: 'foo/bar/1'"),
        ("foo", ["bar/1"], "must have an id starting with 'foo/'"),
        ("foo", ["foobar/1"], "must have an id starting with 'foo/'"),
    ],
)
def test_invalid_sequences_raise_clear_errors(
    sequence_id: str, migration_ids: list[str], message: str
) -> None:
    """Each kind of malformed sequence is refused with a message naming the offending id."""
    with pytest.raises(ValueError) as info:
        MigrationSequence(sequence_id, False, tuple(noop(i) for i in migration_ids))
    assert message in str(info.value)


@pytest.mark.spec("MG2")
def test_validate_migrations_checks_objects_built_around_the_constructor() -> None:
    """validate_migrations re-checks a sequence even if its constructor's check was bypassed."""
    sequence = MigrationSequence("foo", False, (noop("foo/1"),))
    object.__setattr__(sequence, "migrations", (noop("foo/2"),))
    with pytest.raises(ValueError, match="Expected the first migrationId to be 'foo/1'"):
        validate_migrations(sequence)


@pytest.mark.spec("MG2")
def test_sequence_holds_only_migrations() -> None:
    """A standalone depends-on entry cannot go straight into a MigrationSequence."""
    with pytest.raises(TypeError, match="create_migration_sequence"):
        MigrationSequence("foo", True, (StandaloneDependsOn(["bar/1"]), noop("foo/1")))  # type: ignore[arg-type]


@pytest.mark.spec("MG3")
def test_standalone_depends_on_attaches_to_the_next_migration() -> None:
    """A standalone depends-on entry becomes the following migration's dependency."""
    result = create_migration_sequence(
        "foo", [StandaloneDependsOn(["bar/1"]), noop("foo/1")], retroactive=False
    )
    assert len(result.migrations) == 1
    assert result.migrations[0].depends_on == ("bar/1",)


@pytest.mark.spec("MG3")
def test_standalone_depends_on_is_prepended_to_own_depends_on() -> None:
    """Squashed ids come before the migration's own, and consecutive entries keep their order."""
    sequence = create_migration_sequence(
        "test",
        [
            StandaloneDependsOn(["other/1", "another/2"]),
            StandaloneDependsOn(["third/1"]),
            noop("test/1", "existing/1"),
        ],
    )
    assert sequence.migrations[0].depends_on == ("other/1", "another/2", "third/1", "existing/1")


@pytest.mark.spec("MG3")
def test_standalone_depends_on_between_migrations_goes_to_the_later_one() -> None:
    """An entry between two migrations attaches to the second, never the first."""
    result = create_migration_sequence(
        "foo", [noop("foo/1"), StandaloneDependsOn(["bar/1"]), noop("foo/2")], retroactive=False
    )
    assert [m.depends_on for m in result.migrations] == [(), ("bar/1",)]


@pytest.mark.spec("MG3")
def test_trailing_standalone_depends_on_is_dropped() -> None:
    """With no migration after it, a standalone entry vanishes."""
    assert create_migration_sequence("foo", [StandaloneDependsOn(["bar/1"])]).migrations == ()
    trailing = create_migration_sequence("foo", [noop("foo/1"), StandaloneDependsOn(["bar/1"])])
    assert [m.depends_on for m in trailing.migrations] == [()]


@pytest.mark.spec("MG3", "MG8")
def test_standalone_depends_on_takes_part_in_dependency_checks() -> None:
    """A squashed dependency on a missing migration is caught like a declared one."""
    sequence = create_migration_sequence(
        "foo", [StandaloneDependsOn(["bar/1"]), noop("foo/1")], retroactive=False
    )
    with pytest.raises(
        ValueError, match=r"^Migration 'foo/1' depends on missing migration 'bar/1'$"
    ):
        sort_migrations(sequence.migrations)


@pytest.mark.spec("MG4")
def test_create_migration_ids_formats_ids() -> None:
    """Each named version becomes '<sequence>/<version>'."""
    assert create_migration_ids(
        "com.myapp.book", {"addGenre": 1, "addPublisher": 2, "removeOldField": 3}
    ) == {
        "addGenre": "com.myapp.book/1",
        "addPublisher": "com.myapp.book/2",
        "removeOldField": "com.myapp.book/3",
    }


@pytest.mark.spec("MG4")
def test_record_migration_sequence_filters_by_record_type() -> None:
    """Migrations of a record sequence are record-scoped and only accept that typeName."""
    sequence = create_record_migration_sequence(
        "com.myapp.book",
        "book",
        [Migration("com.myapp.book/1", "record", lambda r: {**r, "newField": "value"})],
    )
    assert sequence.sequence_id == "com.myapp.book"
    (migration,) = sequence.migrations
    assert migration.scope == "record"
    assert migration.filter is not None
    assert migration.filter({"id": "book-1", "typeName": "book"}) is True
    assert migration.filter({"id": "user-1", "typeName": "user"}) is False
    assert migration.filter({"id": "odd-1"}) is False


@pytest.mark.spec("MG4")
def test_record_migration_sequence_composes_filters_in_order() -> None:
    """typeName is checked first, then the migration's own filter, then the sequence filter;
    all must accept, and later checks are skipped once one refuses."""
    calls: list[str] = []

    def own(record: UnknownRecord) -> bool:
        calls.append("own")
        return bool(record.get("ok_own", True))

    def extra(record: UnknownRecord) -> bool:
        calls.append("extra")
        return record.get("shapeType") == "rectangle"

    sequence = create_record_migration_sequence(
        "com.myapp.shape",
        "shape",
        [Migration("com.myapp.shape/1", "record", lambda r: r, filter=own)],
        filter=extra,
    )
    accepts = sequence.migrations[0].filter
    assert accepts is not None
    assert accepts({"typeName": "shape", "shapeType": "rectangle"}) is True
    assert calls == ["own", "extra"]
    calls.clear()
    assert accepts({"typeName": "shape", "shapeType": "circle"}) is False
    assert accepts({"typeName": "user", "shapeType": "rectangle"}) is False
    assert calls == ["own", "extra"]
    calls.clear()
    assert accepts({"typeName": "shape", "shapeType": "rectangle", "ok_own": False}) is False
    assert calls == ["own"]


@pytest.mark.spec("MG4")
def test_record_migration_sequence_refuses_other_scopes() -> None:
    """A store- or storage-scoped migration in a record sequence is an error, not silently
    re-scoped."""
    with pytest.raises(ValueError, match="record-scope migrations only"):
        create_record_migration_sequence("s", "t", [Migration("s/1", "store", lambda s: None)])


@pytest.mark.spec("MG5")
def test_migration_shape_is_checked() -> None:
    """A migration has a known scope; storage migrations have no down; only record migrations
    filter; depends_on is a collection of ids (a bare string is refused)."""
    with pytest.raises(ValueError, match="scope"):
        Migration("a/1", "document", lambda r: None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="storage-scope migration has no down"):
        Migration("a/1", "storage", lambda s: None, lambda s: None)
    with pytest.raises(ValueError, match="only record-scope migrations take a filter"):
        Migration("a/1", "store", lambda s: None, filter=lambda r: True)
    with pytest.raises(TypeError, match="depends_on"):
        Migration("a/1", "record", lambda r: None, depends_on="b/1")
    assert Migration("a/1", "record", lambda r: None, depends_on=["b/1"]).depends_on == ("b/1",)


# --------------------------------------------------------------------------------------------
# Global order (MG6–MG8)


@pytest.mark.spec("MG6")
def test_sort_orders_a_sequence_by_version() -> None:
    """Within a sequence, migrations run by number whatever the input order."""
    assert sort_ids(noop("foo/2"), noop("foo/1")) == ["foo/1", "foo/2"]
    assert sort_ids(noop("foo/1"), noop("foo/2")) == ["foo/1", "foo/2"]
    assert sort_migrations([]) == []


@pytest.mark.spec("MG6")
def test_sort_orders_each_of_several_sequences() -> None:
    """Each sequence keeps its own numeric order when several are mixed."""
    result = sort_ids(noop("foo/2"), noop("bar/2"), noop("foo/1"), noop("bar/1"))
    assert [i for i in result if i.startswith("foo/")] == ["foo/1", "foo/2"]
    assert [i for i in result if i.startswith("bar/")] == ["bar/1", "bar/2"]


@pytest.mark.spec("MG6")
def test_sort_puts_migrations_after_explicit_dependencies() -> None:
    """A dependency pulls its whole sequence prefix ahead of the dependent."""
    assert sort_ids(noop("foo/2"), noop("bar/2"), noop("foo/1"), noop("bar/1", "foo/2")) == [
        "foo/1",
        "foo/2",
        "bar/1",
        "bar/2",
    ]
    assert sort_ids(noop("foo/2"), noop("bar/2"), noop("foo/1", "bar/2"), noop("bar/1")) == [
        "bar/1",
        "bar/2",
        "foo/1",
        "foo/2",
    ]


@pytest.mark.spec("MG6")
def test_sort_follows_chains_across_sequences() -> None:
    """A chain a ← b ← c and d depending on a and c sorts as a, b, c, d (the same objects)."""
    a1 = noop("a/1")
    b1 = noop("b/1", "a/1")
    c1 = noop("c/1", "b/1")
    d1 = noop("d/1", "a/1", "c/1")
    result = sort_migrations([d1, c1, b1, a1])
    assert [id(m) for m in result] == [id(a1), id(b1), id(c1), id(d1)]


@pytest.mark.spec("MG6")
def test_sort_satisfies_sequence_and_cross_sequence_constraints() -> None:
    """Both kinds of edge hold at once in a plugin/lib/app arrangement."""
    order = sort_ids(
        noop("plugin/1", "app/2", "lib/1"),
        noop("lib/2"),
        noop("lib/1", "app/1"),
        noop("app/2"),
        noop("app/1"),
    )
    pos = order.index
    assert pos("app/1") < pos("app/2") < pos("plugin/1")
    assert pos("lib/1") < pos("lib/2")
    assert pos("app/1") < pos("lib/1") < pos("plugin/1")


@pytest.mark.spec("MG6")
def test_redundant_dependencies_count_once() -> None:
    """Depending on one's own predecessor, or listing a dependency twice, is not a cycle."""
    assert sort_ids(noop("foo/2", "foo/1"), noop("foo/1")) == ["foo/1", "foo/2"]
    assert sort_ids(noop("bar/1", "foo/1", "foo/1"), noop("foo/1")) == ["foo/1", "bar/1"]


@pytest.mark.spec("MG7")
def test_sort_schedules_dependents_right_after_their_dependency() -> None:
    """Once a depended-on migration ran, what unblocks its dependent runs next (tldraw)."""
    assert sort_ids(
        noop("foo/2"), noop("bar/3", "foo/1"), noop("foo/1"), noop("bar/1"), noop("bar/2")
    ) == ["foo/1", "bar/1", "bar/2", "bar/3", "foo/2"]


@pytest.mark.spec("MG7")
def test_sort_keeps_several_dependents_close() -> None:
    """Two sequences depending on foo/1 both run before foo/2 (tldraw)."""
    assert sort_ids(
        noop("foo/2"),
        noop("bar/2", "foo/1"),
        noop("foo/1"),
        noop("bar/1"),
        noop("baz/1", "foo/1"),
    ) == ["foo/1", "bar/1", "bar/2", "baz/1", "foo/2"]


@pytest.mark.spec("MG7")
def test_sort_keeps_dependency_chains_consecutive() -> None:
    """foo/1 → bar/1 → baz/1 run back to back before foo/2 (tldraw)."""
    assert sort_ids(
        noop("foo/2"), noop("bar/1", "foo/1"), noop("foo/1"), noop("baz/1", "bar/1")
    ) == ["foo/1", "bar/1", "baz/1", "foo/2"]


@pytest.mark.spec("MG7")
def test_sort_prefers_what_others_explicitly_depend_on() -> None:
    """An explicit dependent outweighs alphabetical order: z/1 (needed by q/1) runs before a/1,
    although both unblock one migration each (tldraw)."""
    assert sort_ids(noop("a/1"), noop("a/2"), noop("q/1", "z/1"), noop("z/1")) == [
        "z/1",
        "a/1",
        "a/2",
        "q/1",
    ]


@pytest.mark.spec("MG7")
def test_sort_ties_break_by_js_locale_compare() -> None:
    """Equal-urgency ties follow JS localeCompare, not code points: digits before letters,
    '_' before '.' before '/', and case only decides between otherwise equal ids (tldraw)."""
    assert sort_ids(noop("a/1"), noop("A/1"), noop("a.b/1"), noop("a_b/1"), noop("1/1")) == [
        "1/1",
        "a_b/1",
        "a.b/1",
        "a/1",
        "A/1",
    ]
    assert sort_ids(noop("com.tldraw.instance/1"), noop("com.tldraw.instance_page_state/1")) == [
        "com.tldraw.instance_page_state/1",
        "com.tldraw.instance/1",
    ]
    assert sort_ids(noop("B/1"), noop("a/1"), noop("b/1")) == ["a/1", "b/1", "B/1"]


# The default tldraw 5.4.2 schema (SPEC.md MG*) and the order its StoreSchema computed for
# it under node, as runs of (sequence, first, last).  Its only cross-sequence dependency is
# binding.arrow/1 on shape.arrow/4.
TLDRAW_SCHEMA = {
    "com.tldraw.store": 5, "com.tldraw.asset": 1, "com.tldraw.camera": 1,
    "com.tldraw.document": 2, "com.tldraw.instance": 26, "com.tldraw.instance_page_state": 5,
    "com.tldraw.page": 1, "com.tldraw.instance_presence": 6, "com.tldraw.pointer": 1,
    "com.tldraw.shape": 4, "com.tldraw.user": 1, "com.tldraw.asset.image": 6,
    "com.tldraw.asset.video": 5, "com.tldraw.asset.bookmark": 2, "com.tldraw.shape.arrow": 8,
    "com.tldraw.shape.bookmark": 2, "com.tldraw.shape.draw": 5, "com.tldraw.shape.embed": 4,
    "com.tldraw.shape.frame": 1, "com.tldraw.shape.geo": 12, "com.tldraw.shape.group": 0,
    "com.tldraw.shape.highlight": 4, "com.tldraw.shape.image": 5, "com.tldraw.shape.line": 5,
    "com.tldraw.shape.note": 13, "com.tldraw.shape.text": 4, "com.tldraw.shape.video": 4,
    "com.tldraw.binding.arrow": 1,
}  # fmt: skip
TLDRAW_ORDER = [
    ("asset.bookmark", 1, 1), ("asset.image", 1, 5), ("asset.video", 1, 4), ("document", 1, 1),
    ("instance_page_state", 1, 4), ("instance_presence", 1, 5), ("instance", 1, 25),
    ("shape.arrow", 1, 7), ("shape.bookmark", 1, 1), ("shape.draw", 1, 4), ("shape.embed", 1, 3),
    ("shape.geo", 1, 11), ("shape.highlight", 1, 3), ("shape.image", 1, 4), ("shape.line", 1, 4),
    ("shape.note", 1, 12), ("shape.text", 1, 3), ("shape.video", 1, 3), ("shape", 1, 3),
    ("store", 1, 4), ("asset.bookmark", 2, 2), ("asset.image", 6, 6), ("asset.video", 5, 5),
    ("asset", 1, 1), ("binding.arrow", 1, 1), ("camera", 1, 1), ("document", 2, 2),
    ("instance_page_state", 5, 5), ("instance_presence", 6, 6), ("instance", 26, 26),
    ("page", 1, 1), ("pointer", 1, 1), ("shape.arrow", 8, 8), ("shape.bookmark", 2, 2),
    ("shape.draw", 5, 5), ("shape.embed", 4, 4), ("shape.frame", 1, 1), ("shape.geo", 12, 12),
    ("shape.highlight", 4, 4), ("shape.image", 5, 5), ("shape.line", 5, 5),
    ("shape.note", 13, 13), ("shape.text", 4, 4), ("shape.video", 4, 4), ("shape", 4, 4),
    ("store", 5, 5), ("user", 1, 1),
]  # fmt: skip


def tldraw_like_sequences() -> list[MigrationSequence]:
    """No-op sequences with the ids and dependency of tldraw's default schema."""
    return [
        MigrationSequence(
            sequence_id,
            sequence_id != "com.tldraw.store",
            tuple(
                noop(
                    f"{sequence_id}/{n}",
                    *(
                        ["com.tldraw.shape.arrow/4"]
                        if sequence_id == "com.tldraw.binding.arrow"
                        else []
                    ),
                )
                for n in range(1, version + 1)
            ),
        )
        for sequence_id, version in TLDRAW_SCHEMA.items()
    ]


@pytest.mark.spec("MG6", "MG7", "MG11")
def test_sort_reproduces_tldraws_order_for_its_default_schema() -> None:
    """The 134 migrations of tldraw's default schema sort exactly as tldraw 5.4.2 sorts them
    (a code-point tie-break would misplace 37 of them), and they serialize to tldraw's schema."""
    sequences = tldraw_like_sequences()
    expected = [
        f"com.tldraw.{name}/{n}"
        for name, first, last in TLDRAW_ORDER
        for n in range(first, last + 1)
    ]
    result = sort_ids(*(m for s in sequences for m in s.migrations))
    assert len(result) == 134
    assert result == expected
    assert serialize_sequences(sequences) == {"schemaVersion": 2, "sequences": TLDRAW_SCHEMA}


@pytest.mark.spec("MG8")
@pytest.mark.parametrize(
    ("migrations", "first"),
    [
        ([noop("foo/1", "foo/1")], "foo/1"),
        ([noop("foo/1", "foo/2"), noop("foo/2")], "foo/1"),
        ([noop("foo/1", "bar/1"), noop("bar/1", "foo/1")], "foo/1"),
        ([noop("bar/1", "foo/1"), noop("foo/1", "bar/1")], "bar/1"),
        ([noop("ok/1"), noop("x/1", "y/1"), noop("y/1", "x/1")], "x/1"),
    ],
)
def test_sort_reports_cycles(migrations: list[Migration], first: str) -> None:
    """A cycle raises, naming the first migration of the input that could not be placed."""
    with pytest.raises(ValueError, match=f"^Circular dependency in migrations: {first}$"):
        sort_migrations(migrations)


@pytest.mark.spec("MG8")
def test_sort_reports_missing_dependencies_unless_ignored() -> None:
    """A dependency outside the input is an error by default, skipped with ignore_missing."""
    migrations = [noop("foo/1", "bar/1"), noop("foo/2")]
    with pytest.raises(
        ValueError, match=r"^Migration 'foo/1' depends on missing migration 'bar/1'$"
    ):
        sort_migrations(migrations)
    assert ids(sort_migrations(migrations, ignore_missing=True)) == ["foo/1", "foo/2"]


@pytest.mark.spec("MG8")
def test_sort_reports_cycles_before_missing_dependencies() -> None:
    """When both are wrong, the cycle is what gets reported."""
    with pytest.raises(ValueError, match="Circular dependency"):
        sort_migrations([noop("a/1", "b/1", "zzz/9"), noop("b/1", "a/1")])


@pytest.mark.spec("MG8")
def test_sort_rejects_duplicate_ids() -> None:
    """Two migrations with one id are refused."""
    with pytest.raises(ValueError, match="Duplicate migration id 'a/1'"):
        sort_migrations([noop("a/1"), noop("a/1")])


# Random dependency graphs: sequences named with collation-sensitive characters, each migration
# depending on any of the migrations placed before it in a random global order.


@st.composite
def migration_dags(draw: st.DrawFn, *, acyclic: bool = True) -> list[Migration]:
    names = draw(
        st.lists(
            st.text(alphabet="ab_.-B1", min_size=1, max_size=3), min_size=1, max_size=5, unique=True
        )
    )
    lengths = [draw(st.integers(1, 4)) for _ in names]
    slots = [name for name, length in zip(names, lengths, strict=True) for _ in range(length)]
    slots = draw(st.permutations(slots))
    seen: dict[str, int] = {}
    order: list[str] = []
    for name in slots:
        seen[name] = seen.get(name, 0) + 1
        order.append(f"{name}/{seen[name]}")
    migrations: list[Migration] = []
    for position, migration_id in enumerate(order):
        pool = order[:position] if acyclic else order
        deps = draw(st.lists(st.sampled_from(pool), max_size=3)) if pool else []
        migrations.append(noop(migration_id, *deps))
    return draw(st.permutations(migrations))


def graph_of(migrations: list[Migration]) -> dict[str, set[str]]:
    """Each id → the ids that must run before it (predecessor in sequence and depends_on)."""
    present = {m.id for m in migrations}
    graph: dict[str, set[str]] = {}
    for m in migrations:
        sequence_id, n = parse_migration_id(m.id)
        before = {d for d in m.depends_on if d in present}
        if f"{sequence_id}/{n - 1}" in present:
            before.add(f"{sequence_id}/{n - 1}")
        graph[m.id] = before
    return graph


@pytest.mark.spec("MG6", "MG7")
@settings(max_examples=300)
@given(migration_dags(), st.randoms(use_true_random=False))
def test_sort_respects_every_dependency_of_random_dags(
    migrations: list[Migration], rnd: random.Random
) -> None:
    """For any acyclic graph the result is a permutation of the input in which every migration
    follows its predecessor and its dependencies, and the input order does not matter."""
    result = sort_migrations(migrations)
    assert sorted(ids(result)) == sorted(ids(migrations))
    position = {m.id: i for i, m in enumerate(result)}
    for migration_id, before in graph_of(migrations).items():
        for dep in before:
            assert position[dep] < position[migration_id]
    shuffled = list(migrations)
    rnd.shuffle(shuffled)
    assert ids(sort_migrations(shuffled)) == ids(result)


@pytest.mark.spec("MG8")
@settings(max_examples=300)
@given(migration_dags(acyclic=False))
def test_sort_raises_exactly_for_cyclic_graphs(migrations: list[Migration]) -> None:
    """sort_migrations fails with the cycle error exactly when the graph has a cycle."""
    try:
        graphlib.TopologicalSorter(graph_of(migrations)).prepare()
    except graphlib.CycleError:
        with pytest.raises(ValueError, match=r"^Circular dependency in migrations: "):
            sort_migrations(migrations)
    else:
        sort_migrations(migrations)


# --------------------------------------------------------------------------------------------
# Schema formats (MG9–MG11)

V1_EXAMPLE: SerializedSchemaV1 = {
    "schemaVersion": 1,
    "storeVersion": 4,
    "recordVersions": {
        "asset": {
            "version": 1,
            "subTypeKey": "type",
            "subTypeVersions": {"image": 2, "video": 2, "bookmark": 0},
        },
        "camera": {"version": 1},
        "shape": {"version": 3, "subTypeKey": "type", "subTypeVersions": {"group": 0, "text": 1}},
    },
}


@pytest.mark.spec("MG9")
def test_upgrade_schema_converts_v1() -> None:
    """V1 becomes V2: the store version, each type, then each of its subtypes, in that order."""
    result = upgrade_schema(V1_EXAMPLE)
    assert result == {
        "schemaVersion": 2,
        "sequences": {
            "com.tldraw.store": 4,
            "com.tldraw.asset": 1,
            "com.tldraw.asset.image": 2,
            "com.tldraw.asset.video": 2,
            "com.tldraw.asset.bookmark": 0,
            "com.tldraw.camera": 1,
            "com.tldraw.shape": 3,
            "com.tldraw.shape.group": 0,
            "com.tldraw.shape.text": 1,
        },
    }
    assert list(result["sequences"])[:3] == [
        "com.tldraw.store",
        "com.tldraw.asset",
        "com.tldraw.asset.image",
    ]


@pytest.mark.spec("MG9")
def test_upgrade_schema_uses_subtypes_only_with_a_subtype_key() -> None:
    """subTypeVersions count only when the entry has a subTypeKey (whatever its value)."""
    schema = {
        "schemaVersion": 1,
        "storeVersion": 0,
        "recordVersions": {
            "a": {"version": 1, "subTypeVersions": {"x": 1}},
            "b": {"version": 2, "subTypeKey": None, "subTypeVersions": {"y": 3}},
        },
    }
    assert upgrade_schema(schema)["sequences"] == {
        "com.tldraw.store": 0,
        "com.tldraw.a": 1,
        "com.tldraw.b": 2,
        "com.tldraw.b.y": 3,
    }


@pytest.mark.spec("MG9")
def test_upgrade_schema_passes_v2_through() -> None:
    """A V2 schema comes back as the very same object."""
    schema: SerializedSchemaV2 = {"schemaVersion": 2, "sequences": {"foo": 1}}
    assert upgrade_schema(schema) is schema
    extra = {"schemaVersion": 2, "sequences": {}, "comment": "ignored"}
    assert upgrade_schema(extra) is extra


@pytest.mark.spec("MG10")
@pytest.mark.parametrize("version", [3, 0, -1, None, True, False, 2.0, 1.5, "2", [2]])
def test_upgrade_schema_rejects_other_schema_versions(version: object) -> None:
    """Any schemaVersion but the integers 1 and 2 (booleans and floats included) is refused."""
    with pytest.raises(SchemaFormatError, match=r"^Bad schema version$"):
        upgrade_schema({"schemaVersion": version, "sequences": {}})
    with pytest.raises(SchemaFormatError, match=r"^Bad schema version$"):
        upgrade_schema({"sequences": {}})


@pytest.mark.spec("MG10")
@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (None, "expected an object, not null"),
        ([], "expected an object, not list"),
        ("{}", "expected an object, not str"),
        ({"schemaVersion": 2}, "sequences must be an object"),
        ({"schemaVersion": 2, "sequences": []}, "sequences must be an object"),
        ({"schemaVersion": 2, "sequences": {"a": -1}}, "must be a non-negative integer"),
        ({"schemaVersion": 2, "sequences": {"a": "1"}}, "must be a non-negative integer"),
        ({"schemaVersion": 2, "sequences": {"a": True}}, "must be a non-negative integer"),
        ({"schemaVersion": 2, "sequences": {"a": 1.0}}, "must be a non-negative integer"),
        ({"schemaVersion": 2, "sequences": {"a": None}}, "must be a non-negative integer"),
        ({"schemaVersion": 2, "sequences": {1: 1}}, "non-string key"),
        ({"schemaVersion": 1, "recordVersions": {}}, "storeVersion"),
        ({"schemaVersion": 1, "storeVersion": 1}, "recordVersions must be an object"),
        (
            {"schemaVersion": 1, "storeVersion": 1, "recordVersions": {"a": 1}},
            "recordVersions['a']",
        ),
        (
            {"schemaVersion": 1, "storeVersion": 1, "recordVersions": {"a": {}}},
            "recordVersions['a'].version",
        ),
        (
            {
                "schemaVersion": 1,
                "storeVersion": 1,
                "recordVersions": {"a": {"version": 1, "subTypeKey": "t"}},
            },
            "subTypeVersions must be an object",
        ),
        (
            {
                "schemaVersion": 1,
                "storeVersion": 1,
                "recordVersions": {
                    "a": {"version": 1, "subTypeKey": "t", "subTypeVersions": {"x": "2"}}
                },
            },
            "subTypeVersions['x']",
        ),
    ],
)
def test_upgrade_schema_rejects_malformed_input(schema: object, message: str) -> None:
    """Structurally wrong schemas raise SchemaFormatError naming the bad part."""
    with pytest.raises(SchemaFormatError) as info:
        upgrade_schema(schema)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def json_strategy(*, allow_nan: bool) -> st.SearchStrategy[Any]:
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-3, 30)
        | st.floats(allow_nan=allow_nan)
        | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
        ),
        max_leaves=12,
    )


json_values = json_strategy(allow_nan=True)
json_data = json_strategy(allow_nan=False)
versions_or_junk = st.integers(-2, 5) | json_values
schema_like = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"schemaVersion": st.sampled_from([1, 2, 0, 3, True, 2.0, "2", None])},
        optional={
            "sequences": st.dictionaries(st.text(max_size=4), versions_or_junk, max_size=4)
            | json_values,
            "storeVersion": versions_or_junk,
            "recordVersions": st.dictionaries(
                st.text(max_size=4),
                st.fixed_dictionaries(
                    {"version": versions_or_junk},
                    optional={
                        "subTypeKey": json_values,
                        "subTypeVersions": st.dictionaries(
                            st.text(max_size=4), versions_or_junk, max_size=3
                        )
                        | json_values,
                    },
                )
                | json_values,
                max_size=3,
            )
            | json_values,
        },
    ),
)


@pytest.mark.spec("MG10")
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(schema_like)
def test_upgrade_schema_only_ever_raises_schema_format_error(schema: object) -> None:
    """On arbitrary JSON, upgrade_schema either returns a well-formed V2 schema or raises
    SchemaFormatError; get_migrations_since never raises."""
    try:
        result = upgrade_schema(schema)
    except SchemaFormatError:
        pass
    else:
        assert result["schemaVersion"] == 2
        for key, version in result["sequences"].items():
            assert isinstance(key, str)
            assert type(version) is int and version >= 0
    sequences = registry(counter_sequence("com.tldraw.a", 2, retroactive=True))
    outcome = get_migrations_since(sequences, schema)
    assert isinstance(outcome, Ok | Err)


@pytest.mark.spec("MG11")
def test_serialize_uses_last_migration_numbers() -> None:
    """Each sequence maps to the number of its last migration, in the order given; a mapping
    of sequences works like an iterable of them."""
    book = create_migration_sequence(
        "com.tldraw.book", [noop("com.tldraw.book/1"), noop("com.tldraw.book/2")]
    )
    author = create_migration_sequence("com.tldraw.author", [noop("com.tldraw.author/1")])
    expected = {"schemaVersion": 2, "sequences": {"com.tldraw.book": 2, "com.tldraw.author": 1}}
    assert serialize_sequences([book, author]) == expected
    assert serialize_sequences(registry(book, author)) == expected
    assert list(serialize_sequences([author, book])["sequences"]) == [
        "com.tldraw.author",
        "com.tldraw.book",
    ]
    assert book.version == 2


@pytest.mark.spec("MG11")
def test_serialize_empty_sequences_and_no_sequences() -> None:
    """An empty sequence serializes as version 0; no sequences give an empty map."""
    assert serialize_sequences([MigrationSequence("com.tldraw.book")]) == v2(
        **{"com.tldraw.book": 0}
    )
    assert serialize_sequences([]) == {"schemaVersion": 2, "sequences": {}}


@pytest.mark.spec("MG11")
def test_serialize_earliest_version_is_all_zeros() -> None:
    """The earliest version names every sequence with version 0."""
    sequences = [
        counter_sequence("com.tldraw.shape", 2, retroactive=True),
        MigrationSequence("com.tldraw.empty"),
        counter_sequence("com.tldraw.user", 2, retroactive=True),
    ]
    assert serialize_earliest_version(sequences) == v2(
        **{"com.tldraw.shape": 0, "com.tldraw.empty": 0, "com.tldraw.user": 0}
    )
    assert serialize_earliest_version(registry(*sequences)) == serialize_earliest_version(sequences)


# --------------------------------------------------------------------------------------------
# Selection (MG12–MG13)


def selected(sequences: dict[str, MigrationSequence], persisted: object) -> list[str]:
    result = get_migrations_since(sequences, persisted)
    assert result.ok, result
    return ids(result.value)


def only(prefix: str, migration_ids: list[str]) -> list[str]:
    return [i for i in migration_ids if i.startswith(prefix + "/")]


@pytest.mark.spec("MG13")
def test_selects_migrations_after_the_persisted_version() -> None:
    """Each shared sequence contributes what comes after their version."""
    seqs = registry(
        counter_sequence("foo", 2, retroactive=True), counter_sequence("bar", 3, retroactive=False)
    )
    result = selected(seqs, v2(foo=1, bar=1))
    assert only("foo", result) == ["foo/2"]
    assert only("bar", result) == ["bar/2", "bar/3"]


@pytest.mark.spec("MG13")
def test_persisted_version_zero_selects_whole_sequence() -> None:
    """Version 0 means "before any migration", retroactive or not."""
    seqs = registry(
        counter_sequence("foo", 2, retroactive=True), counter_sequence("bar", 3, retroactive=False)
    )
    result = selected(seqs, v2(foo=0, bar=0))
    assert only("foo", result) == ["foo/1", "foo/2"]
    assert only("bar", result) == ["bar/1", "bar/2", "bar/3"]


@pytest.mark.spec("MG13")
def test_up_to_date_sequences_select_nothing() -> None:
    """Sequences at our version, or empty on both sides, contribute nothing."""
    seqs = registry(
        counter_sequence("foo", 2, retroactive=True), counter_sequence("bar", 3, retroactive=False)
    )
    assert selected(seqs, v2(foo=2, bar=3)) == []
    empty = registry(MigrationSequence("foo", True), MigrationSequence("bar", False))
    assert selected(empty, v2(foo=0, bar=0)) == []
    assert selected({}, v2(foo=3)) == []


@pytest.mark.spec("MG12")
def test_sequences_only_they_have_are_ignored() -> None:
    """A sequence unknown to us is neither an error nor a source of migrations."""
    seqs = registry(counter_sequence("foo", 2, retroactive=True))
    assert selected(seqs, v2(foo=2, someoneElses=1)) == []


@pytest.mark.spec("MG12")
def test_missing_sequences_apply_in_full_only_when_retroactive() -> None:
    """A sequence they lack applies completely if retroactive, not at all otherwise."""
    foo = counter_sequence("foo", 2, retroactive=True)
    bar = counter_sequence("bar", 3, retroactive=False)
    result = selected(registry(foo, bar), v2())
    assert only("foo", result) == ["foo/1", "foo/2"]
    assert only("bar", result) == []
    both = registry(foo, counter_sequence("bar", 3, retroactive=True))
    assert only("bar", selected(both, v2())) == ["bar/1", "bar/2", "bar/3"]
    neither = registry(
        counter_sequence("foo", 2, retroactive=False), counter_sequence("bar", 3, retroactive=False)
    )
    assert selected(neither, v2()) == []


@pytest.mark.spec("MG13")
def test_unknown_persisted_version_is_incompatible() -> None:
    """A version we do not have (they are newer) is the error "Incompatible schema?"."""
    seqs = registry(counter_sequence("foo", 2, retroactive=True))
    assert get_migrations_since(seqs, v2(foo=999)) == Err("Incompatible schema?")
    assert get_migrations_since(registry(MigrationSequence("foo")), v2(foo=1)) == Err(
        "Incompatible schema?"
    )


@pytest.mark.spec("MG13")
def test_unreadable_persisted_schema_is_an_error_result() -> None:
    """A schema that cannot be read gives an error result carrying the format message."""
    seqs = registry(counter_sequence("foo", 2, retroactive=True))
    result = get_migrations_since(seqs, {"schemaVersion": 3})
    assert isinstance(result, Err)
    assert result.error == "Bad schema version"
    assert isinstance(result.cause, SchemaFormatError)
    assert not get_migrations_since(seqs, "not a schema").ok


@pytest.mark.spec("MG9", "MG13")
def test_v1_persisted_schemas_are_upgraded_before_selection() -> None:
    """A V1 schema's record versions select like the matching V2 sequences."""
    seqs = registry(counter_sequence("com.tldraw.user", 2, retroactive=False))
    v1 = {"schemaVersion": 1, "storeVersion": 1, "recordVersions": {"user": {"version": 1}}}
    assert selected(seqs, v1) == ["com.tldraw.user/2"]


@pytest.mark.spec("MG13")
def test_selection_keeps_the_order_of_the_whole_schema() -> None:
    """The selection is the full schema's order filtered, which can differ from sorting the
    selection alone: here d/1 runs before b/1 because a/1 (already applied) needed d/1 (tldraw)."""
    seqs = registry(
        MigrationSequence("b", True, (noop("b/1"),)),
        MigrationSequence("d", True, (noop("d/1"),)),
        MigrationSequence("a", True, (noop("a/1", "d/1"),)),
    )
    assert selected(seqs, v2(a=1, b=0, d=0)) == ["d/1", "b/1"]
    assert sort_ids(noop("b/1"), noop("d/1")) == ["b/1", "d/1"]


@pytest.mark.spec("MG13")
def test_selection_uses_a_given_precomputed_order() -> None:
    """A caller that cached the global order passes it in and gets that order back."""
    seqs = registry(
        counter_sequence("foo", 1, retroactive=True), counter_sequence("bar", 1, retroactive=True)
    )
    custom = [seqs["foo"].migrations[0], seqs["bar"].migrations[0]]
    result = get_migrations_since(seqs, v2(), sorted_migrations=custom)
    assert ids(ok_value(result)) == ["foo/1", "bar/1"]
    assert selected(seqs, v2()) == ["bar/1", "foo/1"]


@pytest.mark.spec("MG8", "MG13")
def test_selection_rejects_badly_registered_schemas() -> None:
    """Our own definitions must be sound: a sequence under the wrong key, or a dependency on a
    migration the schema lacks, raises ValueError (a programming error, not a result)."""
    with pytest.raises(ValueError, match="registered under"):
        get_migrations_since({"other": MigrationSequence("foo")}, v2())
    broken = registry(MigrationSequence("foo", True, (noop("foo/1", "bar/1"),)))
    with pytest.raises(ValueError, match="depends on missing migration 'bar/1'"):
        get_migrations_since(broken, v2())


# --------------------------------------------------------------------------------------------
# One record (MG14–MG17)


@pytest.mark.spec("MG16")
def test_migrating_a_record_leaves_the_input_untouched() -> None:
    """Every needed migration runs on a copy; the input record is unchanged."""
    seqs = registry(
        counter_sequence("foo", 2, retroactive=False), counter_sequence("bar", 3, retroactive=False)
    )
    persisted = v2(foo=0, bar=0)
    record = make_record(persisted)
    result = migrate_persisted(record, seqs, persisted)
    assert record["versions"] == {"foo": 0, "bar": 0}
    assert ok_value(result)["versions"] == {"foo": 2, "bar": 3}


@pytest.mark.spec("MG12", "MG16")
def test_migrating_a_record_applies_retroactive_sequences_it_lacks() -> None:
    """Against an empty persisted schema only the retroactive sequence runs."""
    seqs = registry(
        counter_sequence("foo", 2, retroactive=True), counter_sequence("bar", 3, retroactive=False)
    )
    result = migrate_persisted(make_record(v2()), seqs, v2())
    assert ok_value(result)["versions"] == {"foo": 2}


@pytest.mark.spec("MG14")
def test_no_migrations_returns_the_same_object() -> None:
    """With nothing to apply, both directions return the very record passed in."""
    seqs = registry(
        counter_sequence("foo", 2, retroactive=False), counter_sequence("bar", 3, retroactive=False)
    )
    persisted = v2(foo=2, bar=3)
    record = make_record(persisted)
    assert ok_value(migrate_persisted(record, seqs, persisted)) is record
    assert ok_value(migrate_persisted(record, seqs, persisted, "down")) is record
    assert ok_value(migrate_record(record, [], "down")) is record


def replace_migration(
    sequence: MigrationSequence, index: int, migration: Migration
) -> MigrationSequence:
    migrations = list(sequence.migrations)
    migrations[index] = migration
    return attrs.evolve(sequence, migrations=tuple(migrations))


@pytest.mark.spec("MG16")
def test_migrators_may_mutate_or_return_a_new_record() -> None:
    """A step that returns a fresh record mixes with steps that mutate in place, both ways."""

    def up(record: UnknownRecord) -> UnknownRecord:
        return {**record, "versions": {**record["versions"], "foo": 2}}

    def down(record: UnknownRecord) -> UnknownRecord:
        return {**record, "versions": {**record["versions"], "foo": 1}}

    foo = replace_migration(
        counter_sequence("foo", 3, retroactive=False), 1, Migration("foo/2", "record", up, down)
    )
    seqs = registry(foo)
    v0 = v2(foo=0)
    assert ok_value(migrate_persisted(make_record(v0), seqs, v0))["versions"] == {"foo": 3}
    current = make_record(serialize_sequences(seqs))
    assert ok_value(migrate_persisted(current, seqs, v0, "down"))["versions"] == {"foo": 0}


@pytest.mark.spec("MG16")
def test_returned_records_are_copied() -> None:
    """A record returned by a migrator is copied, so the migrator's own reference to it cannot
    change the result afterwards."""
    kept: list[UnknownRecord] = []

    def up(record: UnknownRecord) -> UnknownRecord:
        fresh = {**record, "nested": {"n": 1}}
        kept.append(fresh)
        return fresh

    result = ok_value(
        migrate_record({"id": "x:1", "typeName": "x"}, [Migration("s/1", "record", up)])
    )
    kept[0]["nested"]["n"] = 99
    assert result["nested"] == {"n": 1}


@pytest.mark.spec("MG16")
def test_filters_skip_records_they_refuse() -> None:
    """A filtered sequence leaves records it refuses alone while others still apply."""
    seqs = registry(
        counter_sequence("foo", 2, retroactive=False, filter=lambda r: r.get("foo") is True),
        counter_sequence("bar", 3, retroactive=False),
    )
    persisted = v2(foo=0, bar=0)
    record = make_record(persisted)
    assert ok_value(migrate_persisted(record, seqs, persisted))["versions"] == {"foo": 0, "bar": 3}
    chosen = {**record, "foo": True}
    assert ok_value(migrate_persisted(chosen, seqs, persisted))["versions"] == {"foo": 2, "bar": 3}


@pytest.mark.spec("MG16")
def test_filters_see_the_record_as_migrated_so_far() -> None:
    """Each filter is asked about the record after the earlier steps ran."""
    retype = Migration("a/1", "record", lambda r: {**r, "typeName": "new"})
    mark = Migration(
        "a/2", "record", lambda r: r.update(marked=True), filter=lambda r: r["typeName"] == "new"
    )
    result = ok_value(migrate_record({"id": "x:1", "typeName": "old"}, [retype, mark]))
    assert result == {"id": "x:1", "typeName": "new", "marked": True}


@pytest.mark.spec("MG15")
def test_non_record_migrations_cannot_migrate_one_record() -> None:
    """A store-scope step on the path fails the record: too new going up, too old going down
    (a whole snapshot can still be migrated)."""
    foo = replace_migration(
        counter_sequence("foo", 3, retroactive=False),
        1,
        Migration("foo/2", "store", lambda s: None, lambda s: None),
    )
    seqs = registry(foo)
    v0 = v2(foo=0)
    assert migrate_persisted(make_record(v0), seqs, v0) == Err(
        MigrationFailureReason.TargetVersionTooNew
    )
    current = make_record(serialize_sequences(seqs))
    assert migrate_persisted(current, seqs, v0, "down") == Err(
        MigrationFailureReason.TargetVersionTooOld
    )
    snapshot = {"test:1": make_record(v0)}
    migrate_storage(snapshot, ok_value(get_migrations_since(seqs, v0)))
    assert snapshot["test:1"]["versions"] == {"foo": 2}
    storage_step = Migration("s/1", "storage", lambda s: None)
    assert migrate_record({"id": "x"}, [storage_step]) == Err(
        MigrationFailureReason.TargetVersionTooNew
    )


@pytest.mark.spec("MG15")
def test_going_down_needs_every_down() -> None:
    """One migration without a down makes the downgrade fail, while going up still works."""
    foo = counter_sequence("foo", 3, retroactive=False)
    foo = replace_migration(foo, 1, attrs.evolve(foo.migrations[1], down=None))
    seqs = registry(foo)
    v0 = v2(foo=0)
    assert migrate_persisted(make_record(v0), seqs, v0).ok
    current = make_record(serialize_sequences(seqs))
    assert migrate_persisted(current, seqs, v0, "down") == Err(
        MigrationFailureReason.TargetVersionTooOld
    )


@pytest.mark.spec("MG15", "MG16")
def test_going_down_runs_downs_in_reverse() -> None:
    """Downs run last-first and restore the old shape, leaving the input alone."""
    log: list[str] = []

    def step(name: str) -> Migration:
        return Migration(name, "record", lambda r: None, lambda r: log.append(name))

    seqs = registry(
        MigrationSequence("foo", False, (step("foo/1"), step("foo/2"))),
        MigrationSequence("bar", False, (step("bar/1"), step("bar/2"), step("bar/3"))),
    )
    chosen = ok_value(get_migrations_since(seqs, v2(foo=0, bar=0)))
    assert migrate_record({"id": "r"}, chosen, "down").ok
    assert log == list(reversed(ids(chosen)))

    counters = registry(
        counter_sequence("foo", 2, retroactive=False), counter_sequence("bar", 3, retroactive=False)
    )
    record = make_record(serialize_sequences(counters))
    result = migrate_persisted(record, counters, v2(foo=0, bar=0), "down")
    assert record["versions"] == {"foo": 2, "bar": 3}
    assert ok_value(result)["versions"] == {"foo": 0, "bar": 0}


@pytest.mark.spec("MG12", "MG15")
def test_going_down_skips_non_retroactive_sequences_they_lack() -> None:
    """Downgrading to a schema that lacks both sequences undoes only the retroactive one."""
    seqs = registry(
        counter_sequence("foo", 2, retroactive=True), counter_sequence("bar", 3, retroactive=False)
    )
    record = make_record(serialize_sequences(seqs))
    result = migrate_persisted(record, seqs, v2(), "down")
    assert ok_value(result)["versions"] == {"foo": 0, "bar": 3}


@pytest.mark.spec("MG17")
@pytest.mark.parametrize("where", ["up", "down", "filter"])
def test_exceptions_become_migration_errors(where: str) -> None:
    """An exception from an up, a down or a filter is a migration-error result holding it."""
    boom = RuntimeError("boom")

    def fail(record: UnknownRecord) -> bool:
        raise boom

    migration = Migration(
        "foo/1",
        "record",
        fail if where == "up" else (lambda r: None),
        fail if where == "down" else (lambda r: None),
        filter=fail if where == "filter" else None,
    )
    direction: MigrationDirection = "down" if where == "down" else "up"
    result = migrate_record({"id": "t:1"}, [migration], direction)
    assert result == Err(MigrationFailureReason.MigrationError)
    assert isinstance(result, Err) and result.cause is boom


@pytest.mark.spec("MG17")
def test_selection_errors_are_migration_errors_for_a_record() -> None:
    """(As a schema built on these functions does.) An incompatible persisted schema fails the
    record with migration-error."""
    seqs = registry(counter_sequence("foo", 2, retroactive=True))
    assert migrate_persisted({"id": "t"}, seqs, v2(foo=7)) == Err(
        MigrationFailureReason.MigrationError
    )


def test_migrate_record_rejects_unknown_directions() -> None:
    """Only 'up' and 'down' are directions."""
    with pytest.raises(ValueError, match="direction"):
        migrate_record({}, [noop("a/1")], "sideways")  # type: ignore[arg-type]


@pytest.mark.spec("MG23")
def test_failure_reasons_are_tldraws_strings() -> None:
    """The reasons compare and print as tldraw's wire strings."""
    assert {r.name: r.value for r in MigrationFailureReason} == {
        "IncompatibleSubtype": "incompatible-subtype",
        "UnknownType": "unknown-type",
        "TargetVersionTooNew": "target-version-too-new",
        "TargetVersionTooOld": "target-version-too-old",
        "MigrationError": "migration-error",
        "UnrecognizedSubtype": "unrecognized-subtype",
    }
    assert MigrationFailureReason("migration-error") is MigrationFailureReason.MigrationError
    assert isinstance(MigrationFailureReason.MigrationError, str)
    assert str(MigrationFailureReason.TargetVersionTooOld) == "target-version-too-old"


# Round trips: sequences of invertible steps (add a field, bump a counter, wrap the payload in a
# list), each either mutating or returning a new record, some filtered by type.


def invertible_step(
    kind: str, key: str, value: Any, mutate: bool
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    def apply(
        record: UnknownRecord, change: Callable[[UnknownRecord], None]
    ) -> UnknownRecord | None:
        if mutate:
            change(record)
            return None
        fresh = copy.deepcopy(record)
        change(fresh)
        return fresh

    if kind == "add":
        return (
            lambda r: apply(r, lambda x: x.__setitem__(key, copy.deepcopy(value))),
            lambda r: apply(r, lambda x: x.__delitem__(key)),
        )
    if kind == "bump":
        return (
            lambda r: apply(r, lambda x: x.__setitem__("counter", x["counter"] + value)),
            lambda r: apply(r, lambda x: x.__setitem__("counter", x["counter"] - value)),
        )
    return (
        lambda r: apply(r, lambda x: x.__setitem__("payload", [x["payload"]])),
        lambda r: apply(r, lambda x: x.__setitem__("payload", x["payload"][0])),
    )


@st.composite
def invertible_sequences(draw: st.DrawFn) -> list[MigrationSequence]:
    dag = draw(migration_dags())
    by_sequence: dict[str, list[Migration]] = {}
    for migration in sorted(dag, key=lambda m: parse_migration_id(m.id)[1]):
        sequence_id = parse_migration_id(migration.id)[0]
        kind = draw(st.sampled_from(["add", "bump", "wrap"]))
        value = draw(json_data) if kind == "add" else draw(st.integers(-5, 5))
        up, down = invertible_step(kind, f"field {migration.id}", value, draw(st.booleans()))
        only_things = draw(st.booleans())
        by_sequence.setdefault(sequence_id, []).append(
            attrs.evolve(
                migration,
                up=up,
                down=down,
                filter=(lambda r: r["typeName"] == "thing") if only_things else None,
            )
        )
    return [
        MigrationSequence(name, draw(st.booleans()), tuple(migrations))
        for name, migrations in by_sequence.items()
    ]


@pytest.mark.spec("MG15", "MG16")
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    invertible_sequences(),
    st.sampled_from(["thing", "other"]),
    json_data,
    st.data(),
)
def test_up_then_down_restores_the_record(
    sequences: list[MigrationSequence], type_name: str, payload: Any, data: st.DataObject
) -> None:
    """For sequences whose downs invert their ups, migrating up from any persisted schema and
    back down restores the record exactly, and neither call modifies its input."""
    seqs = registry(*sequences)
    persisted = v2(
        **{
            s.sequence_id: data.draw(st.integers(0, s.version))
            for s in sequences
            if data.draw(st.booleans())
        }
    )
    chosen = ok_value(get_migrations_since(seqs, persisted))
    record = {"id": "r:1", "typeName": type_name, "counter": 0, "payload": payload}
    saved = copy.deepcopy(record)
    up = ok_value(migrate_record(record, chosen, "up"))
    assert record == saved
    up_saved = copy.deepcopy(up)
    down = ok_value(migrate_record(up, chosen, "down"))
    assert up == up_saved
    assert down == saved


# --------------------------------------------------------------------------------------------
# Storage (MG18–MG22)


class RecordingStorage(DictRecordStorage):
    """A dict storage that logs writes and can refuse writes while entries() is being iterated,
    like a database cursor."""

    def __init__(self, records: dict[str, UnknownRecord], *, strict: bool = False) -> None:
        super().__init__(records)
        self.set_calls: list[str] = []
        self.delete_calls: list[str] = []
        self.strict = strict
        self.open_iterators = 0

    def set(self, record_id: str, record: UnknownRecord) -> None:
        self._check()
        self.set_calls.append(record_id)
        super().set(record_id, record)

    def delete(self, record_id: str) -> None:
        self._check()
        self.delete_calls.append(record_id)
        super().delete(record_id)

    def entries(self) -> Iterator[tuple[str, UnknownRecord]]:
        self.open_iterators += 1
        try:
            yield from list(self.records.items())
        finally:
            self.open_iterators -= 1

    def _check(self) -> None:
        if self.strict and self.open_iterators:
            raise RuntimeError("This database connection is busy executing a query")


def doc(record_id: str, **fields: Any) -> UnknownRecord:
    return {"id": record_id, "typeName": "test", **fields}


@pytest.mark.spec("MG19")
def test_storage_writes_back_only_changed_records() -> None:
    """Only records a migration really changed are written; the stored originals are not
    mutated."""
    mark = Migration(
        "foo/1",
        "record",
        lambda r: r.update(changed=True),
        filter=lambda r: r.get("shouldChange") is True,
    )
    changing = doc("test:a", shouldChange=True)
    staying = doc("test:b")
    storage = RecordingStorage({"test:a": changing, "test:b": staying})
    migrate_storage(storage, [mark])
    assert storage.set_calls == ["test:a"]
    assert storage.records["test:a"]["changed"] is True
    assert "changed" not in changing
    assert storage.records["test:b"] is staying


@pytest.mark.spec("MG19")
def test_storage_compares_with_json_deep_equality() -> None:
    """A migrator returning an equal copy (keys reordered, 1 for 1.0) writes nothing; True for
    1, or None for a missing key, is a change."""

    def reorder(r: UnknownRecord) -> UnknownRecord:
        return {
            k: (1 if v == 1.0 and type(v) is float else v) for k, v in reversed(list(r.items()))
        }

    storage = RecordingStorage({"test:a": doc("test:a", n=1.0, tags=["x"], nested={"a": None})})
    migrate_storage(storage, [Migration("a/1", "record", reorder)])
    assert storage.set_calls == []
    migrate_storage(storage, [Migration("a/2", "record", lambda r: r.update(n=True))])
    migrate_storage(storage, [Migration("a/3", "record", lambda r: r.update(extra=None))])
    assert storage.set_calls == ["test:a", "test:a"]


@pytest.mark.spec("MG19")
def test_storage_filters_see_the_stored_record_and_writes_wait_for_iteration() -> None:
    """The filter gets the stored record itself; writes happen after iterating, so a storage
    that refuses writes during iteration works."""
    seen: list[UnknownRecord] = []

    def accept(record: UnknownRecord) -> bool:
        seen.append(record)
        return True

    a, b = doc("test:a", v=1), doc("test:b", v=2)
    storage = RecordingStorage({"test:a": a, "test:b": b}, strict=True)
    migrate_storage(
        storage, [Migration("x/1", "record", lambda r: r.update(v=r["v"] + 10), filter=accept)]
    )
    assert seen[0] is a and seen[1] is b
    assert [r["v"] for r in storage.records.values()] == [11, 12]


@pytest.mark.spec("MG18")
def test_storage_without_migrations_is_left_alone() -> None:
    """No migrations: no writes and no cleanup, even of non-document records."""
    storage = RecordingStorage({"s:1": {"id": "s:1", "typeName": "session"}})
    migrate_storage(storage, [], is_document_type=lambda t: t == "test")
    assert storage.set_calls == storage.delete_calls == []
    assert list(storage.records) == ["s:1"]


@pytest.mark.spec("MG22")
def test_storage_cleanup_drops_non_document_records_after_iterating() -> None:
    """After migrating, records of non-document types go, deleted after the scan."""
    storage = RecordingStorage(
        {"test:1": doc("test:1"), "sess:1": {"id": "sess:1", "typeName": "sess"}}, strict=True
    )
    migrate_storage(storage, [noop("foo/1")], is_document_type=lambda t: t == "test")
    assert list(storage.records) == ["test:1"]


@pytest.mark.spec("MG22")
def test_storage_cleanup_needs_a_type_name() -> None:
    """A record without a string typeName cannot be classified and raises."""
    with pytest.raises(ValueError, match="typeName"):
        migrate_storage({"x": {"id": "x"}}, [noop("foo/1")], is_document_type=lambda t: True)


@pytest.mark.spec("MG21")
def test_storage_migrations_receive_the_storage() -> None:
    """A storage-scope migrator gets the storage object and may read and write through it; a
    plain dict is wrapped in a DictRecordStorage over that same dict."""
    received: list[RecordStorage] = []

    def touch(storage: RecordStorage) -> None:
        received.append(storage)
        for record_id, record in list(storage.entries()):
            storage.set(record_id, {**record, "touched": True})

    storage = RecordingStorage({"test:1": doc("test:1")})
    migrate_storage(storage, [Migration("foo/1", "storage", touch)])
    assert received[0] is storage
    assert storage.records["test:1"]["touched"] is True

    plain = {"test:1": doc("test:1")}
    migrate_storage(plain, [Migration("foo/1", "storage", touch)])
    assert isinstance(received[1], DictRecordStorage) and received[1].records is plain
    assert plain["test:1"]["touched"] is True


@pytest.mark.spec("MG20")
def test_store_migrations_add_change_and_delete_records() -> None:
    """A store-scope migrator's new map decides: vanished ids are deleted, changed and new
    records written, unchanged ones left."""
    new_record = doc("test:new", name="new")

    def rebuild(store: dict[str, UnknownRecord]) -> dict[str, UnknownRecord]:
        result: dict[str, UnknownRecord] = {}
        for record_id, record in store.items():
            if record["name"] == "a":
                continue
            result[record_id] = {**record, "renamed": True} if record["name"] == "b" else record
        result[new_record["id"]] = new_record
        return result

    storage = RecordingStorage(
        {
            "test:a": doc("test:a", name="a"),
            "test:b": doc("test:b", name="b"),
            "test:c": doc("test:c", name="c"),
        }
    )
    migrate_storage(storage, [Migration("foo/1", "store", rebuild)])
    assert set(storage.records) == {"test:b", "test:c", "test:new"}
    assert storage.records["test:b"]["renamed"] is True
    assert storage.set_calls == ["test:b", "test:new"]
    assert storage.delete_calls == ["test:a"]


@pytest.mark.spec("MG20")
def test_store_migrations_may_mutate_in_place_and_null_out_records() -> None:
    """Mutating the given map works like returning it; a record set to None is deleted."""

    def mutate(store: dict[str, Any]) -> None:
        store["test:a"]["x"] = 1
        store["test:b"] = None

    records = {"test:a": doc("test:a"), "test:b": doc("test:b")}
    original_a = records["test:a"]
    migrate_storage(records, [Migration("foo/1", "store", mutate)])
    assert records == {"test:a": doc("test:a", x=1)}
    assert "x" not in original_a


@pytest.mark.spec("MG22")
def test_storage_migration_errors_propagate() -> None:
    """An exception from a migrator reaches the caller (who reports migration-error)."""

    def boom(record: UnknownRecord) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        migrate_storage({"test:1": doc("test:1")}, [Migration("foo/1", "record", boom)])


def tldraw_test_schema_v1() -> dict[str, MigrationSequence]:
    """The sequences of tldraw's store test schema v1: users gain a locale and a phone number,
    shapes a rotation and a parent, rectangles an opacity, ovals a border style, and a store
    migration removes the 'org' records."""

    def field_step(
        migration_id: str,
        type_name: str,
        set_field: Callable[[UnknownRecord], None],
        unset: Callable[[UnknownRecord], None],
        shape_type: str | None = None,
    ) -> Migration:
        def accepts(record: UnknownRecord) -> bool:
            return record["typeName"] == type_name and (
                shape_type is None or record.get("type") == shape_type
            )

        return Migration(migration_id, "record", set_field, unset, filter=accepts)

    def remove_orgs(store: dict[str, UnknownRecord]) -> dict[str, UnknownRecord]:
        return {k: r for k, r in store.items() if r["typeName"] != "org"}

    return registry(
        create_migration_sequence(
            "com.tldraw.store", [Migration("com.tldraw.store/1", "store", remove_orgs, lambda s: s)]
        ),
        create_migration_sequence(
            "com.tldraw.shape",
            [
                field_step(
                    "com.tldraw.shape/1",
                    "shape",
                    lambda r: r.update(rotation=0),
                    lambda r: r.pop("rotation"),
                ),
                field_step(
                    "com.tldraw.shape/2",
                    "shape",
                    lambda r: r.update(parentId=None),
                    lambda r: r.pop("parentId"),
                ),
            ],
        ),
        create_migration_sequence(
            "com.tldraw.shape.rectangle",
            [
                field_step(
                    "com.tldraw.shape.rectangle/1",
                    "shape",
                    lambda r: r["props"].update(opacity=1),
                    lambda r: r["props"].pop("opacity"),
                    "rectangle",
                )
            ],
        ),
        create_migration_sequence(
            "com.tldraw.shape.oval",
            [
                field_step(
                    "com.tldraw.shape.oval/1",
                    "shape",
                    lambda r: r["props"].update(borderStyle="solid"),
                    lambda r: r["props"].pop("borderStyle"),
                    "oval",
                )
            ],
        ),
        create_migration_sequence(
            "com.tldraw.user",
            [
                field_step(
                    "com.tldraw.user/1",
                    "user",
                    lambda r: r.update(locale="en"),
                    lambda r: r.pop("locale"),
                ),
                field_step(
                    "com.tldraw.user/2",
                    "user",
                    lambda r: r.update(phoneNumber=None),
                    lambda r: r.pop("phoneNumber"),
                ),
            ],
        ),
    )


@pytest.mark.spec("MG11", "MG12", "MG19", "MG20")
def test_whole_snapshot_migrates_from_an_empty_schema() -> None:
    """tldraw's v0 → v1 snapshot: users and shapes gain their fields, the org record is removed,
    and the schema serializes with each sequence's last number."""
    seqs = tldraw_test_schema_v1()
    assert serialize_sequences(seqs)["sequences"] == {
        "com.tldraw.store": 1,
        "com.tldraw.shape": 2,
        "com.tldraw.shape.rectangle": 1,
        "com.tldraw.shape.oval": 1,
        "com.tldraw.user": 2,
    }
    snapshot: dict[str, UnknownRecord] = {
        "user-1": {"id": "user-1", "typeName": "user", "name": "name"},
        "shape-1": {
            "id": "shape-1",
            "typeName": "shape",
            "x": 0,
            "y": 0,
            "type": "rectangle",
            "props": {"width": 100, "height": 100},
        },
        "org-1": {"id": "org-1", "typeName": "org", "name": "tldraw"},
    }
    working = dict(snapshot)
    migrate_storage(working, ok_value(get_migrations_since(seqs, v2())))
    assert working == {
        "shape-1": {
            "id": "shape-1",
            "typeName": "shape",
            "x": 0,
            "y": 0,
            "type": "rectangle",
            "parentId": None,
            "rotation": 0,
            "props": {"width": 100, "height": 100, "opacity": 1},
        },
        "user-1": {
            "id": "user-1",
            "typeName": "user",
            "name": "name",
            "locale": "en",
            "phoneNumber": None,
        },
    }
    assert snapshot["shape-1"]["props"] == {"width": 100, "height": 100}


@pytest.mark.spec("MG19")
@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(invertible_sequences(), st.lists(st.sampled_from(["thing", "other"]), max_size=4), json_data)
def test_storage_agrees_with_per_record_migration(
    sequences: list[MigrationSequence], types: list[str], payload: Any
) -> None:
    """With record-scope migrations only, migrating a storage gives each record exactly what
    migrate_record gives it, and writes only the records that changed."""
    chosen = ok_value(get_migrations_since(registry(*sequences), v2()))
    records = {
        f"r:{i}": {"id": f"r:{i}", "typeName": t, "counter": 0, "payload": payload}
        for i, t in enumerate(types)
    }
    expected = {k: ok_value(migrate_record(r, chosen)) for k, r in records.items()}
    storage = RecordingStorage(copy.deepcopy(records), strict=True)
    migrate_storage(storage, chosen)
    assert storage.records == expected

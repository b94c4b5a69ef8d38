"""The Store: writes, no-ops, atomicity, history, listeners, side effects and reactivity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tlsync_core.signals import atom, computed, react, transact, transaction
from tlsync_core.store import (
    HistoryEntry,
    RecordNotFoundError,
    RecordsDiff,
    RecordType,
    Store,
    StoreOperationError,
    StoreSchema,
    T,
    ValidationError,
)

Record = dict[str, Any]

Item = RecordType("item", scope="document", default_properties=lambda: {"value": 0})
Cursor = RecordType("cursor", scope="presence", default_properties=lambda: {"x": 0})
Camera = RecordType("camera", scope="session", default_properties=lambda: {"z": 1})


def make_store(**kwargs: Any) -> Store:
    return Store(schema=StoreSchema.create([Item, Cursor, Camera], **kwargs))


def item(suffix: str, value: int = 0) -> Record:
    return Item.create(id=f"item:{suffix}", value=value)


def record_entries(store: Store, **filters: Any) -> tuple[list[HistoryEntry], Callable[[], None]]:
    entries: list[HistoryEntry] = []
    return entries, store.listen(entries.append, **filters)


@pytest.mark.spec("ST1")
def test_put_get_update_remove() -> None:
    """Records go in, come out as the same objects, are replaced by update and removed."""
    store = make_store()
    a = item("a", 1)
    store.put([a])
    assert store.get("item:a") is a
    assert store.has("item:a")
    store.update("item:a", lambda r: {**r, "value": 2})
    assert store.get("item:a") == {**a, "value": 2}
    store.remove(["item:a", "item:missing"])
    assert store.get("item:a") is None
    assert not store.has("item:a")
    assert len(store) == 0


@pytest.mark.spec("ST2")
def test_an_equal_put_is_a_no_op() -> None:
    """Putting a record equal to the stored one changes nothing and reports nothing."""
    store = make_store()
    a = item("a", 1)
    store.put([a])
    entries, stop = record_entries(store)
    epoch = store.history.last_changed_epoch
    store.put([dict(a)])
    assert store.get("item:a") is a
    assert store.history.last_changed_epoch == epoch
    assert entries == []
    stop()


@pytest.mark.spec("ST3")
def test_bad_records_are_refused_with_clear_errors() -> None:
    """Non-dicts, missing ids, ids of another type and unknown types are refused."""
    store = make_store()
    with pytest.raises(TypeError, match="a record is a dict"):
        store.put(["item:a"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="needs string 'id' and 'typeName'"):
        store.put([{"typeName": "item"}])
    with pytest.raises(ValueError, match="does not match its typeName"):
        store.put([{"id": "cursor:a", "typeName": "item", "value": 1}])
    with pytest.raises(Exception, match="Missing definition for record type ghost"):
        store.put([{"id": "ghost:a", "typeName": "ghost"}])
    with pytest.raises(RecordNotFoundError):
        store.update("item:nope", lambda r: r)
    assert len(store) == 0


@pytest.mark.parametrize(
    ("record_id", "type_name", "error"),
    [
        ("item:a:b", "item", None),
        ("items:a", "item", "does not match its typeName"),
        ("item:a", "items", "does not match its typeName"),
        ("it:em:a", "it:em", "does not match its typeName"),
        ("item:a", "", "does not match its typeName"),
        (":a", "", "is not a record id"),
        ("item", "item", "is not a record id"),
    ],
)
def test_ids_are_checked_against_their_type_name(
    record_id: str, type_name: str, error: str | None
) -> None:
    """An id is "<typeName>:<suffix>" with its record's typeName before the first colon."""
    store = make_store()
    record = {"id": record_id, "typeName": type_name, "value": 1}
    if error is None:
        store.put([record])
        assert record_id in store
    else:
        with pytest.raises(ValueError, match=error):
            store.put([record])


@pytest.mark.spec("ST4")
def test_a_failed_operation_changes_nothing() -> None:
    """An exception inside an atomic operation restores every record and reports nothing."""
    store = make_store()
    store.put([item("a", 1)])
    entries, stop = record_entries(store)

    def broken() -> None:
        store.put([item("b", 2)])
        store.update("item:a", lambda r: {**r, "value": 5})
        store.remove(["item:a"])
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        store.atomic(broken)
    assert store.get("item:a") == item("a", 1)
    assert store.get("item:b") is None
    assert entries == []
    store.put([item("c", 3)])
    assert [sorted(e.changes.added) for e in entries] == [["item:c"]]
    stop()


@pytest.mark.spec("ST4")
def test_a_rolled_back_enclosing_transaction_restores_the_store() -> None:
    """A signals transaction that rolls back undoes store writes made inside it."""
    store = make_store()
    store.put([item("a", 1)])
    entries, stop = record_entries(store)

    def body(rollback: Callable[[], None]) -> None:
        store.put([item("b", 2), item("a", 9)])
        store.remove(["item:a"])
        rollback()

    transaction(body)
    assert store.serialize() == {"item:a": item("a", 1)}
    assert entries == []
    stop()


@pytest.mark.spec("ST5")
def test_listeners_get_one_batch_per_transaction() -> None:
    """Several writes in one transaction reach a listener as one squashed batch, after it."""
    store = make_store()
    entries, stop = record_entries(store)
    seen_during: list[int] = []

    def body() -> None:
        store.put([item("a", 1)])
        store.update("item:a", lambda r: {**r, "value": 2})
        store.put([item("b", 1)])
        store.remove(["item:b"])
        seen_during.append(len(entries))

    transact(body)
    assert seen_during == [0]
    assert len(entries) == 1
    assert entries[0].source == "user"
    assert entries[0].changes == RecordsDiff(added={"item:a": item("a", 2)})
    stop()


@pytest.mark.spec("ST6")
def test_source_and_scope_filters() -> None:
    """Listeners see only the sources and scopes they asked for."""
    store = make_store()
    remote, stop_remote = record_entries(store, source="remote")
    user_docs, stop_docs = record_entries(store, source="user", scope="document")
    presence, stop_presence = record_entries(store, scope="presence")
    store.merge_remote_changes(lambda: store.put([item("r", 1)]))
    store.put([item("u", 1), Cursor.create(id="cursor:me", x=3)])
    store.put([Camera.create(id="camera:c")])
    assert [sorted(e.changes.added) for e in remote] == [["item:r"]]
    assert [sorted(e.changes.added) for e in user_docs] == [["item:u"]]
    assert [sorted(e.changes.added) for e in presence] == [["cursor:me"]]
    assert all(e.source == "remote" for e in remote)
    for stop in (stop_remote, stop_docs, stop_presence):
        stop()


@pytest.mark.spec("ST6")
def test_a_scoped_listener_with_every_change_in_scope_gets_the_entry_itself() -> None:
    """When every change is in its scope, a scoped listener gets the very entry an unscoped
    one gets (no copy); with changes out of scope it gets a new entry of the in-scope part."""
    store = make_store()
    everything, stop_all = record_entries(store)
    documents, stop_docs = record_entries(store, scope="document")
    store.put([item("u", 1)])
    store.put([item("v", 1), Cursor.create(id="cursor:me", x=3)])
    assert documents[0] is everything[0]
    assert documents[1] is not everything[1]
    assert documents[1].changes == RecordsDiff(added={"item:v": item("v", 1)})
    assert documents[1].source == everything[1].source == "user"
    stop_all()
    stop_docs()


@pytest.mark.spec("ST6")
def test_merge_remote_changes_inside_an_atomic_operation_is_refused() -> None:
    """Remote merges cannot be nested inside a local atomic operation."""
    store = make_store()
    with pytest.raises(StoreOperationError, match="Cannot merge remote changes"):
        store.atomic(lambda: store.merge_remote_changes(lambda: None))


@pytest.mark.spec("ST7")
def test_extracting_changes_and_apply_diff_round_trip() -> None:
    """The changes extracted from one store, applied to another, make it equal."""
    source, target = make_store(), make_store()
    source.put([item("a", 1), item("b", 2)])
    target.put([item("a", 1), item("b", 2)])

    def edit() -> None:
        source.update("item:a", lambda r: {**r, "value": 7})
        source.remove(["item:b"])
        source.put([item("c", 3)])

    diff = source.extracting_changes(edit)
    assert sorted(diff.added) == ["item:c"]
    assert sorted(diff.updated) == ["item:a"]
    assert sorted(diff.removed) == ["item:b"]
    target.apply_diff(diff)
    assert target.serialize() == source.serialize()


@pytest.mark.spec("ST8")
def test_side_effects_run_in_order_and_may_veto_deletes() -> None:
    """Before handlers rewrite records, after handlers see results, a delete can be vetoed."""
    store = make_store()
    log: list[str] = []
    store.side_effects.register_before_create_handler(
        "item", lambda r, src: {**r, "value": r["value"] * 10}
    )
    store.side_effects.register_after_create_handler(
        "item", lambda r, src: log.append(f"created {r['id']} {r['value']} {src}")
    )
    store.side_effects.register_after_change_handler(
        "item", lambda a, b, src: log.append(f"changed {a['value']}->{b['value']}")
    )
    store.side_effects.register_before_delete_handler("item", lambda r, src: r["id"] != "item:keep")
    store.side_effects.register_after_delete_handler(
        "item", lambda r, src: log.append(f"deleted {r['id']}")
    )
    store.put([item("a", 1), item("keep", 1)])
    store.update("item:a", lambda r: {**r, "value": 3})
    store.remove(["item:a", "item:keep"])
    assert log == [
        "created item:a 10 user",
        "created item:keep 10 user",
        "changed 10->3",
        "deleted item:a",
    ]
    assert store.has("item:keep")


@pytest.mark.spec("ST8")
def test_after_handlers_may_write_and_runaway_loops_stop() -> None:
    """Writes from after handlers join the operation; an endless cascade raises and rolls back."""
    store = make_store()

    def mirror(record: Record, _src: str) -> None:
        if record["id"] == "item:a":
            store.put([item("mirror", record["value"])])

    store.side_effects.register_after_create_handler("item", mirror)
    entries, stop = record_entries(store)
    store.put([item("a", 4)])
    assert store.get("item:mirror") == item("mirror", 4)
    assert len(entries) == 1 and sorted(entries[0].changes.added) == ["item:a", "item:mirror"]
    stop()

    def bump(_before: Record, after: Record, _src: str) -> None:
        store.put([{**after, "value": after["value"] + 1}])

    store.side_effects.register_after_change_handler("item", bump)
    with pytest.raises(StoreOperationError, match="Maximum store update depth"):
        store.update("item:a", lambda r: {**r, "value": 100})
    assert store.get("item:a") == item("a", 4)


def test_after_change_handlers_see_only_real_changes() -> None:
    """An operation that changes a record and changes it back reaches no after-change handler,
    and ``has_after_change_handlers`` follows registration, type and ``enabled``."""
    store = make_store()
    side_effects = store.side_effects
    store.put([item("a", 1)])
    assert not side_effects.has_after_change_handlers("item")
    seen: list[tuple[int, int]] = []
    stop = side_effects.register_after_change_handler(
        "item", lambda a, b, _src: seen.append((a["value"], b["value"]))
    )
    assert side_effects.has_after_change_handlers("item")
    assert not side_effects.has_after_change_handlers("other")

    def there_and_back() -> None:
        store.update("item:a", lambda r: {**r, "value": 2})
        store.update("item:a", lambda r: {**r, "value": 1})

    store.atomic(there_and_back)
    assert seen == []
    store.update("item:a", lambda r: {**r, "value": 5})
    assert seen == [(1, 5)]
    side_effects.enabled = False
    assert not side_effects.has_after_change_handlers("item")
    side_effects.enabled = True
    stop()
    assert not side_effects.has_after_change_handlers("item")


@pytest.mark.spec("ST9")
def test_a_computed_of_one_record_ignores_others() -> None:
    """A computed reading one record re-derives when it changes, not when others do."""
    store = make_store()
    store.put([item("a", 1), item("b", 1)])
    runs: list[int] = []

    def value_of_a(_prev: object, _epoch: int) -> int:
        record = store.get("item:a")
        runs.append(1)
        return -1 if record is None else int(record["value"])

    value = computed("a", value_of_a)
    seen: list[int] = []
    stop = react("watch", lambda _e: seen.append(value.get()))
    store.update("item:b", lambda r: {**r, "value": 2})
    store.put([item("c", 1)])
    store.update("item:a", lambda r: {**r, "value": 5})
    store.remove(["item:a"])
    store.put([item("a", 8)])
    stop()
    assert seen == [1, 5, -1, 8]
    assert len(runs) == 4


@pytest.mark.spec("ST9")
def test_reading_a_missing_record_reacts_to_its_creation() -> None:
    """A computed that found a record missing re-derives once it is created."""
    store = make_store()
    present = computed("present", lambda _p, _e: store.get("item:z") is not None)
    seen: list[bool] = []
    stop = react("watch", lambda _e: seen.append(present.get()))
    store.put([item("z")])
    stop()
    assert seen == [False, True]


@pytest.mark.spec("ST10")
def test_queries_update_incrementally_and_keep_identity() -> None:
    """Query results follow adds, edits and removals, and stay the same object when unchanged."""
    store = make_store()
    store.put([item("a", 1), item("b", 2)])
    odd = store.query.ids("item", lambda r: r["value"] % 2 == 1)
    everything = store.query.ids("item")
    assert odd.get() == {"item:a"}
    seen: list[frozenset[str]] = []
    stop = react("watch", lambda _e: seen.append(odd.get()))
    store.put([item("c", 3)])
    store.update("item:b", lambda r: {**r, "value": 5})
    store.update("item:a", lambda r: {**r, "value": 4})
    first = everything.get()
    store.put([Cursor.create(id="cursor:x")])
    assert everything.get() is first
    store.remove(["item:c"])
    stop()
    assert seen == [
        {"item:a"},
        {"item:a", "item:c"},
        {"item:a", "item:b", "item:c"},
        {"item:b", "item:c"},
        {"item:b"},
    ]
    assert [r["id"] for r in store.query.records("item", {"value": 4}).get()] == ["item:a"]
    assert store.query.exec("item", {"value": 5}) == [item("b", 5)]
    assert store.query.ids("item") is everything


@pytest.mark.spec("ST11")
def test_serialize_snapshot_and_load() -> None:
    """serialize keeps one scope; a snapshot loads into another store, replacing its records."""
    store = make_store()
    store.put([item("a", 1), Cursor.create(id="cursor:c"), Camera.create(id="camera:k")])
    assert sorted(store.serialize()) == ["item:a"]
    assert sorted(store.serialize("presence")) == ["cursor:c"]
    assert sorted(store.serialize("all")) == ["camera:k", "cursor:c", "item:a"]
    snapshot = store.get_snapshot()
    other = make_store()
    other.put([item("old")])
    other.load_snapshot(snapshot)
    assert other.serialize("all") == {"item:a": item("a", 1)}
    assert store.scoped_types["session"] == frozenset({"camera"})


@pytest.mark.spec("ST12")
def test_integrity_checker_runs_after_remote_merges() -> None:
    """ensure_store_is_usable runs the schema's checker, outside the remote marking."""
    calls: list[int] = []

    def checker_for(store: Store) -> Callable[[], None]:
        def check() -> None:
            calls.append(1)
            if not store.has("item:root"):
                store.put([item("root")])

        return check

    store = make_store(create_integrity_checker=checker_for)
    entries, stop = record_entries(store)
    store.merge_remote_changes(lambda: store.put([item("r")]))
    assert calls == [1]
    assert [(e.source, sorted(e.changes.added)) for e in entries] == [
        ("remote", ["item:r"]),
        ("user", ["item:root"]),
    ]
    stop()


@pytest.mark.spec("ST5")
def test_deferred_flush_and_observable() -> None:
    """With a flush scheduler, listeners hear of changes when it runs; changes() is Rx."""
    queue: list[Callable[[], None]] = []
    store = Store(schema=StoreSchema.create([Item]), flush_scheduler=queue.append)
    seen: list[HistoryEntry] = []
    subscription = store.changes(source="user").subscribe(seen.append)
    store.put([item("a")])
    store.put([item("b")])
    assert seen == []
    while queue:
        queue.pop(0)()
    assert len(seen) == 1
    assert sorted(seen[0].changes.added) == ["item:a", "item:b"]
    subscription.dispose()
    store.put([item("c")])
    while queue:
        queue.pop(0)()
    assert len(seen) == 1


@pytest.mark.spec("ST1")
def test_history_atom_answers_what_changed_since() -> None:
    """diff_since(epoch) gives the squashed changes since that epoch."""
    store = make_store()
    start = store.history.last_changed_epoch
    store.put([item("a", 1)])
    store.update("item:a", lambda r: {**r, "value": 2})
    diff = store.diff_since(start)
    assert diff == RecordsDiff(added={"item:a": item("a", 2)})
    counter = atom("unrelated", 0)
    counter.set(1)
    assert store.diff_since(store.history.last_changed_epoch) == RecordsDiff()


@pytest.mark.spec("ST3", "SC6")
def test_invalid_fields_are_refused_naming_the_path() -> None:
    """A record failing its validator is refused with tldraw's message naming the field."""
    shape_validator = T.model(
        "shape",
        T.union(
            "type",
            {
                "geo": T.object(
                    {
                        "id": T.string,
                        "typeName": T.literal("shape"),
                        "type": T.literal("geo"),
                        "props": T.object({"w": T.number}),
                    }
                )
            },
        ),
    )
    store = Store(schema=StoreSchema.create([RecordType("shape", validator=shape_validator)]))
    good = {"id": "shape:a", "typeName": "shape", "type": "geo", "props": {"w": 10}}
    store.put([good])
    with pytest.raises(ValidationError) as raised:
        store.put([{**good, "props": {"w": "wide"}}])
    assert str(raised.value) == "At shape(type = geo).props.w: Expected number, got a string"
    assert store.get("shape:a") is good
    store.put([{**good, "props": {"w": 10}}])
    assert store.get("shape:a") is good

"""Hypothesis strategies for wire messages of both dialects, and a strict JSON comparison.

Every message drawn here is valid: the parsers must accept it and give it back unchanged.
Values inside records and put ops are arbitrary JSON, with the numbers and strings that make
JavaScript's JSON differ from Python's (integral floats, -0.0, exponents, long integers,
integer-like keys, non-ASCII, emoji, U+2028).
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

from tlsync_core.store.jsvalue import to_js_number

__all__ = [
    "client_messages",
    "js_json_values",
    "json_equal",
    "record_ids",
    "server_messages",
    "tricky_floats",
    "tricky_text",
]

MAX_SAFE = 2**53 - 1

tricky_floats = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [0.0, -0.0, 1.0, -3.0, 1e15, 1e16, 1e20, 1e21, 1.5e21, 1e-6, 1e-7, 1.5e-6, 5e-324, 0.1]
    ),
    st.integers(-(2**60), 2**60).map(float),
)
tricky_text = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=st.sampled_from('aé😀\u2028\u2029\x00\n"\\/\x7f𝄞中'), max_size=12),
)
keys = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["0", "1", "10", "007", "4294967294", "4294967295", "-1", "x", "__proto__"]),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-MAX_SAFE, MAX_SAFE),
    tricky_floats,
    tricky_text,
)


def js_json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """JSON values (dicts with string keys, lists, scalars)."""
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)
        ),
        max_leaves=max_leaves,
    )


type_names = st.sampled_from(["shape", "page", "document", "instance_presence", "binding"])
record_ids = st.builds(lambda t, s: f"{t}:{s}", type_names, st.text(min_size=1, max_size=8))


@st.composite
def records(draw: st.DrawFn, record_id: str | None = None) -> dict[str, Any]:
    rid = draw(record_ids) if record_id is None else record_id
    fields = draw(st.dictionaries(keys, js_json_values(6), max_size=4))
    record = {k: v for k, v in fields.items() if k not in ("id", "typeName")}
    return {"id": rid, "typeName": rid.split(":", 1)[0], **record}


def value_ops(string_append: bool, depth: int = 2) -> st.SearchStrategy[list[Any]]:
    appended = st.lists(js_json_values(4), max_size=3)
    if string_append:
        appended = st.one_of(appended, tricky_text)
    options = [
        st.builds(lambda v: ["put", v], js_json_values(6)),
        st.just(["delete"]),
        st.builds(lambda v, o: ["append", v, o], appended, st.integers(0, MAX_SAFE)),
    ]
    if depth > 0:
        options.append(st.builds(lambda d: ["patch", d], object_diffs(string_append, depth - 1)))
    return st.one_of(options)


def object_diffs(string_append: bool, depth: int = 2) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(keys, value_ops(string_append, depth), max_size=3)


@st.composite
def network_diffs(draw: st.DrawFn, string_append: bool) -> dict[str, Any]:
    ids = draw(st.lists(record_ids, max_size=3, unique=True))
    diff: dict[str, Any] = {}
    for rid in ids:
        kind = draw(st.sampled_from(["put", "patch", "remove"]))
        if kind == "put":
            diff[rid] = ["put", draw(records(rid))]
        elif kind == "patch":
            diff[rid] = ["patch", draw(object_diffs(string_append))]
        else:
            diff[rid] = ["remove"]
    return diff


def presence_ops(string_append: bool) -> st.SearchStrategy[list[Any]]:
    return st.one_of(
        st.builds(lambda r: ["put", r], records()),
        st.builds(lambda d: ["patch", d], object_diffs(string_append)),
    )


sequence_names = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz._"), min_size=1, max_size=12
)
schemas_v2 = st.builds(
    lambda seqs: {"schemaVersion": 2, "sequences": seqs},
    st.dictionaries(sequence_names, st.integers(0, 20), max_size=4),
)
schemas_v1 = st.builds(
    lambda store, recs: {"schemaVersion": 1, "storeVersion": store, "recordVersions": recs},
    st.integers(0, 5),
    st.dictionaries(
        sequence_names,
        st.one_of(
            st.builds(lambda v: {"version": v}, st.integers(0, 5)),
            st.builds(
                lambda v, subs: {"version": v, "subTypeKey": "type", "subTypeVersions": subs},
                st.integers(0, 5),
                st.dictionaries(sequence_names, st.integers(0, 5), max_size=2),
            ),
        ),
        max_size=3,
    ),
)
schemas = st.one_of(schemas_v2, schemas_v1)
clocks = st.integers(0, MAX_SAFE)
ids = st.text(max_size=21)


def client_messages(dialect: int) -> st.SearchStrategy[dict[str, Any]]:
    """Valid client → server messages of ``dialect`` (3 or 8)."""
    ping = st.just({"type": "ping"})
    if dialect == 3:
        connect = st.builds(
            lambda clock, schema, iid: {
                "type": "connect",
                "lastServerClock": clock,
                "protocolVersion": 3,
                "schema": schema,
                "instanceId": iid,
            },
            st.integers(-1, MAX_SAFE),
            schemas,
            ids,
        )
        push = st.one_of(
            st.builds(
                lambda c, d: {"type": "push", "clientClock": c, "diff": d},
                clocks,
                network_diffs(False),
            ),
            st.builds(
                lambda c, p: {"type": "push", "clientClock": c, "presence": p},
                clocks,
                presence_ops(False),
            ),
        )
        return st.one_of(connect, push, ping)
    connect = st.builds(
        lambda rid, clock, version, schema: {
            "type": "connect",
            "connectRequestId": rid,
            "lastServerClock": clock,
            "protocolVersion": version,
            "schema": schema,
        },
        ids,
        st.integers(-1, MAX_SAFE),
        st.sampled_from([5, 6, 7, 8]),
        schemas,
    )

    @st.composite
    def pushes(draw: st.DrawFn) -> dict[str, Any]:
        message: dict[str, Any] = {"type": "push", "clientClock": draw(clocks)}
        if draw(st.booleans()):
            message["diff"] = draw(network_diffs(True))
        if draw(st.booleans()):
            message["presence"] = draw(presence_ops(True))
        return message

    return st.one_of(connect, pushes(), ping)


incompatibility_reasons = st.sampled_from(
    [
        "clientTooOld",
        "serverTooOld",
        "invalidRecord",
        "invalidOperation",
        "roomNotFound",
        "forbidden",
    ]
)


def server_messages(dialect: int) -> st.SearchStrategy[dict[str, Any]]:
    """Valid server → client messages of ``dialect`` (3 or 8)."""
    append = dialect == 8
    patch = st.builds(
        lambda d, c: {"type": "patch", "diff": d, "serverClock": c}, network_diffs(append), clocks
    )
    action = st.one_of(
        st.sampled_from(["commit", "discard"]),
        st.builds(lambda d: {"rebaseWithDiff": d}, network_diffs(append)),
    )
    push_result = st.builds(
        lambda c, s, a: {"type": "push_result", "clientClock": c, "serverClock": s, "action": a},
        clocks,
        clocks,
        action,
    )
    pong = st.just({"type": "pong"})
    incompatibility = st.builds(
        lambda r: {"type": "incompatibility_error", "reason": r}, incompatibility_reasons
    )
    hydration = st.sampled_from(["wipe_all", "wipe_presence"])
    if dialect == 3:
        connect = st.builds(
            lambda h, schema, d, c: {
                "type": "connect",
                "hydrationType": h,
                "protocolVersion": 3,
                "schema": schema,
                "diff": d,
                "serverClock": c,
            },
            hydration,
            schemas,
            network_diffs(False),
            clocks,
        )
        error = st.one_of(
            st.just({"type": "error"}),
            st.builds(lambda e: {"type": "error", "error": e}, js_json_values()),
        )
        return st.one_of(connect, patch, push_result, pong, error, incompatibility)

    @st.composite
    def connects(draw: st.DrawFn) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "connect",
            "connectRequestId": draw(ids),
            "hydrationType": draw(hydration),
            "protocolVersion": 8,
            "schema": draw(schemas),
            "serverClock": draw(clocks),
            "diff": draw(network_diffs(True)),
            "isReadonly": draw(st.booleans()),
        }
        access = draw(st.sampled_from([None, "read", "write"]))
        if access is not None:
            message["objectAccess"] = access
        return message

    data = st.builds(
        lambda events: {"type": "data", "data": events},
        st.lists(st.one_of(patch, push_result), max_size=3),
    )
    custom = st.one_of(
        st.just({"type": "custom"}),
        st.builds(lambda d: {"type": "custom", "data": d}, js_json_values()),
    )
    return st.one_of(connects(), data, custom, patch, push_result, pong, incompatibility)


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values as JavaScript sees them: numbers as doubles (``1 == 1.0``,
    ``0 == -0.0``, integers past 2**53 rounded), but a boolean is never a number; dicts ignore
    key order."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        x, y = to_js_number(a), to_js_number(b)
        return x == y or (math.isnan(x) and math.isnan(y))
    if isinstance(a, dict):
        return (
            isinstance(b, dict) and a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
        )
    if isinstance(a, list):
        return (
            isinstance(b, list)
            and len(a) == len(b)
            and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
        )
    return type(a) is type(b) and a == b

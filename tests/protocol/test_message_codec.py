"""Messages, their serialization and their parsers (PR5–PR12).

Golden frames are one JSON example of every message of both dialects (SPEC.md PR5, PR9),
with real records; the property tests draw messages of every kind and dialect from
``protocol_strategies``.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from protocol_strategies import client_messages, js_json_values, json_equal, server_messages

from tlsync_core.protocol import (
    DEFAULT_MAX_MESSAGE_SIZE,
    MAX_NESTING_DEPTH,
    ProtocolError,
    UnsupportedProtocolVersionError,
    loads_frame,
    make_connect_event,
    make_data_event,
    make_patch_event,
    make_push_result,
    parse_client_message,
    parse_server_message,
    serialize_message,
    validate_client_message,
    validate_server_message,
)

PAGE = {"meta": {}, "id": "page:x", "name": "XYZ", "index": "a2", "typeName": "page"}
PRESENCE: dict[str, Any] = {
    "id": "instance_presence:A",
    "typeName": "instance_presence",
    "userId": "user:a",
    "userName": "Alice",
    "currentPageId": "page:page",
    "color": "#FF0000",
    "camera": None,
    "cursor": None,
    "screenBounds": None,
    "selectedShapeIds": [],
    "brush": None,
    "scribbles": [],
    "chatMessage": "",
    "followingUserId": None,
    "lastActivityTimestamp": None,
    "meta": {},
}
V1_SCHEMA = {
    "schemaVersion": 1,
    "storeVersion": 2,
    "recordVersions": {
        "page": {"version": 1},
        "shape": {"version": 3, "subTypeKey": "type", "subTypeVersions": {"geo": 1}},
    },
}
V2_SCHEMA = {"schemaVersion": 2, "sequences": {"com.tldraw.store": 5, "com.tldraw.page": 1}}

# client -> server, (dialect, frame): every message of both dialects (PR5, PR9)
CLIENT_GOLDEN: list[tuple[int, str]] = [
    (
        8,
        '{"type":"connect","connectRequestId":"B3EwKPNqCtYgOiBVJDF0K",'
        '"schema":{"schemaVersion":2,"sequences":{"com.tldraw.store":5,"com.tldraw.page":1,"...":0}},'
        '"protocolVersion":8,"lastServerClock":-1}',
    ),
    (8, json.dumps({"type": "push", "clientClock": 0, "diff": {"page:x": ["put", PAGE]}})),
    (8, json.dumps({"type": "push", "clientClock": 1, "presence": ["put", PRESENCE]})),
    (8, '{"type":"push","clientClock":2,"presence":["patch",{"userName":["append","!",5]}]}'),
    (
        8,
        '{"type":"push","clientClock":3,"diff":{"page:x":["patch",{"name":["append","W",3]}]},'
        '"presence":["patch",{"cursor":["put",{"x":1,"y":2,"rotation":0,"type":"default"}]}]}',
    ),
    (8, '{"type":"ping"}'),
    (
        3,
        json.dumps(
            {
                "type": "connect",
                "lastServerClock": 0,
                "protocolVersion": 3,
                "schema": V1_SCHEMA,
                "instanceId": "instance:3Kq0",
            }
        ),
    ),
    (3, '{"type":"push","clientClock":0,"diff":{"shape:a":["patch",{"x":["put",120]}]}}'),
    (3, json.dumps({"type": "push", "clientClock": 1, "presence": ["put", PRESENCE]})),
    (
        3,
        '{"type":"push","clientClock":2,"presence":["patch",{"cursor":["put",'
        '{"x":1,"y":2,"type":"default","rotation":0}]}]}',
    ),
    (3, '{"type":"push","clientClock":3,"diff":{"shape:gone":["remove"]}}'),
    (
        3,
        json.dumps(
            {
                "type": "push",
                "clientClock": 4,
                "diff": {"shape:a": ["put", {"id": "shape:a", "typeName": "shape", "x": 100}]},
            }
        ),
    ),
    (3, '{"type":"ping"}'),
]

DOC = {"gridSize": 10, "name": "", "meta": {}, "id": "document:document", "typeName": "document"}
PAGE1 = {"meta": {}, "id": "page:page", "name": "Page 1", "index": "a1", "typeName": "page"}
# server -> client, (dialect, frame): every message of both dialects (PR5, PR9)
SERVER_GOLDEN: list[tuple[int, str]] = [
    (
        8,
        json.dumps(
            {
                "type": "connect",
                "connectRequestId": "req-a",
                "hydrationType": "wipe_all",
                "protocolVersion": 8,
                "schema": {"schemaVersion": 2, "sequences": {"...": 0}},
                "serverClock": 0,
                "diff": {"document:document": ["put", DOC], "page:page": ["put", PAGE1]},
                "isReadonly": False,
                "objectAccess": "write",
            }
        ),
    ),
    (
        8,
        json.dumps(
            {
                "type": "connect",
                "connectRequestId": "req-c",
                "hydrationType": "wipe_presence",
                "protocolVersion": 8,
                "schema": {"schemaVersion": 2, "sequences": {"...": 0}},
                "serverClock": 5,
                "diff": {
                    "instance_presence:eZPkcNexjophVOqqo3fIb": [
                        "put",
                        {**PRESENCE, "id": "instance_presence:eZPkcNexjophVOqqo3fIb"},
                    ],
                    "page:p2": ["remove"],
                },
                "isReadonly": False,
                "objectAccess": "write",
            }
        ),
    ),
    (
        8,
        '{"type":"data","data":[{"type":"push_result","clientClock":0,"serverClock":1,'
        '"action":"commit"}]}',
    ),
    (
        8,
        '{"type":"data","data":[{"type":"patch","diff":{"page:p2":["patch",{"name":'
        '["append"," page",6]}]},"serverClock":2}]}',
    ),
    (
        8,
        '{"type":"data","data":[{"type":"patch","diff":{"page:page":["patch",{"name":["put","N1"]}]},'
        '"serverClock":9},{"type":"patch","diff":{"page:page":["patch",{"name":["put","N2"]}]},'
        '"serverClock":10}]}',
    ),
    (
        8,
        '{"type":"patch","diff":{"instance_presence:_D7tFB5esUYOEFr59n7qG":["remove"]},'
        '"serverClock":11}',
    ),
    (8, '{"type":"push_result","clientClock":3,"serverClock":3,"action":"discard"}'),
    (
        8,
        '{"type":"push_result","clientClock":2,"serverClock":3,"action":{"rebaseWithDiff":'
        '{"page:p2":["patch",{"name":["put","Renamed"]}]}}}',
    ),
    (8, '{"type":"pong"}'),
    (8, '{"type":"custom","data":{"hello":"world"}}'),
    (8, '{"type":"incompatibility_error","reason":"invalidRecord"}'),
    (
        3,
        json.dumps(
            {
                "type": "connect",
                "hydrationType": "wipe_all",
                "protocolVersion": 3,
                "schema": V1_SCHEMA,
                "diff": {"document:document": ["put", DOC]},
                "serverClock": 7,
            }
        ),
    ),
    (3, '{"type":"push_result","clientClock":0,"serverClock":8,"action":"commit"}'),
    (3, '{"type":"push_result","clientClock":3,"serverClock":11,"action":"discard"}'),
    (
        3,
        '{"type":"push_result","clientClock":4,"serverClock":12,"action":{"rebaseWithDiff":'
        '{"shape:a":["patch",{"x":["put",100],"y":["put",5]}]}}}',
    ),
    (3, '{"type":"patch","diff":{"shape:b":["patch",{"x":["put",120]}]},"serverClock":13}'),
    (3, '{"type":"pong"}'),
    (3, '{"type":"error","error":{}}'),
    (3, '{"type":"incompatibility_error","reason":"clientTooOld"}'),
]


# --------------------------------------------------------------------------------------------
# golden frames


@pytest.mark.spec("PR5", "PR7")
@pytest.mark.parametrize(("dialect", "frame"), CLIENT_GOLDEN)
def test_golden_client_frames_parse(dialect: int, frame: str) -> None:
    """Every golden client frame parses in its dialect, in "either" mode, and as
    UTF-8 bytes, to exactly what JSON says, and serializes back to the same value."""
    expected = json.loads(frame)
    for mode in (dialect, None):
        assert parse_client_message(frame, dialect=mode) == expected  # type: ignore[arg-type]
    assert parse_client_message(frame.encode()) == expected
    assert json.loads(serialize_message(expected)) == expected


@pytest.mark.spec("PR5", "PR7")
@pytest.mark.parametrize(("dialect", "frame"), SERVER_GOLDEN)
def test_golden_server_frames_parse(dialect: int, frame: str) -> None:
    """Every golden server frame parses in its dialect and in "either" mode."""
    expected = json.loads(frame)
    for mode in (dialect, None):
        assert parse_server_message(frame, dialect=mode) == expected  # type: ignore[arg-type]
    assert parse_server_message(frame.encode()) == expected


@pytest.mark.spec("PR9")
@pytest.mark.parametrize(
    ("frame", "dialect", "problem"),
    [
        ('{"type":"data","data":[]}', 3, "unknown server message type 'data' in the v3"),
        ('{"type":"custom","data":1}', 3, "unknown server message type 'custom' in the v3"),
        ('{"type":"error"}', 8, "unknown server message type 'error' in the v8"),
        (
            '{"type":"patch","diff":{"a:b":["patch",{"n":["append","x",0]}]},"serverClock":1}',
            3,
            "v3 appends no strings",
        ),
        (
            '{"type":"connect","hydrationType":"wipe_all","protocolVersion":8,"schema":'
            '{"schemaVersion":2,"sequences":{}},"diff":{},"serverClock":0}',
            None,
            "connect.connectRequestId: missing field",
        ),
    ],
)
def test_dialect_rules_on_server_messages(frame: str, dialect: int | None, problem: str) -> None:
    """Each dialect has only its own messages and ops; an answer to connect with a version
    other than 3 must carry the v8 fields."""
    with pytest.raises(ProtocolError, match=problem.replace("(", r"\(")):
        parse_server_message(frame, dialect=dialect)  # type: ignore[arg-type]


@pytest.mark.spec("PR9")
def test_v3_push_carries_exactly_one_of_diff_and_presence() -> None:
    """v3 pushes are diff xor presence; v8 accepts both, either or none."""
    both = {"type": "push", "clientClock": 0, "diff": {}, "presence": ["patch", {}]}
    neither = {"type": "push", "clientClock": 0}
    for message in (both, neither):
        with pytest.raises(ProtocolError, match="exactly one of diff and presence"):
            validate_client_message(message, dialect=3)
        assert validate_client_message(message, dialect=8) is message
        assert validate_client_message(message) is message


@pytest.mark.spec("PR2", "PR9")
def test_connect_request_versions() -> None:
    """A connect picks its dialect by version; versions we do not speak raise
    UnsupportedProtocolVersionError with 5.4.2's close reason; a session in one dialect does
    not accept a connect in the other."""
    v8 = {
        "type": "connect",
        "connectRequestId": "r",
        "lastServerClock": -1,
        "protocolVersion": 8,
        "schema": V2_SCHEMA,
    }
    v3 = {
        "type": "connect",
        "instanceId": "i",
        "lastServerClock": 0,
        "protocolVersion": 3,
        "schema": V1_SCHEMA,
    }
    assert validate_client_message(v8) is v8
    assert validate_client_message(v3) is v3
    with pytest.raises(UnsupportedProtocolVersionError) as info:
        validate_client_message(v3, dialect=8)
    assert info.value.close_reason == "CLIENT_TOO_OLD"
    assert info.value.negotiation.rejection == "CLIENT_TOO_OLD"
    with pytest.raises(UnsupportedProtocolVersionError) as info:
        validate_client_message(v8, dialect=3)
    assert info.value.close_reason == "SERVER_TOO_OLD"
    for version, reason in ((4, "CLIENT_TOO_OLD"), (9, "SERVER_TOO_OLD"), (None, "CLIENT_TOO_OLD")):
        with pytest.raises(UnsupportedProtocolVersionError) as info:
            validate_client_message({**v8, "protocolVersion": version})
        assert info.value.close_reason == reason
        assert info.value.path == "connect.protocolVersion"
    with pytest.raises(ProtocolError, match=r"connect\.instanceId: missing field"):
        validate_client_message({**v8, "protocolVersion": 3})
    for version in (5, 6, 7):
        assert validate_client_message({**v8, "protocolVersion": version})
    with pytest.raises(ProtocolError, match="expected an integer") as not_int:
        validate_client_message({**v8, "protocolVersion": 8.0})
    assert not_int.value.close_reason == "CLIENT_TOO_OLD"


# --------------------------------------------------------------------------------------------
# errors: what is refused, and how it is reported


REFUSED: list[tuple[object, str, str]] = [
    # (message, path, problem fragment)
    ([], "message", "a message is a JSON object, got array"),
    ({"clientClock": 1}, "message.type", "expected a message type"),
    ({"type": "pull"}, "message", "unknown client message type 'pull'"),
    ({"type": "push"}, "push.clientClock", "missing field"),
    ({"type": "push", "clientClock": -1}, "push.clientClock", "from 0 to 2**53-1"),
    ({"type": "push", "clientClock": 2**53}, "push.clientClock", "from 0 to 2**53-1"),
    ({"type": "push", "clientClock": False}, "push.clientClock", "got boolean false"),
    ({"type": "push", "clientClock": 1.5}, "push.clientClock", "got number 1.5"),
    ({"type": "push", "clientClock": 0, "diff": None}, "push.diff", "got null"),
    ({"type": "push", "clientClock": 0, "diff": []}, "push.diff", "network diff"),
    (
        {"type": "push", "clientClock": 0, "diff": {"shape:a": "remove"}},
        'push.diff["shape:a"]',
        "record op",
    ),
    (
        {"type": "push", "clientClock": 0, "diff": {"shape:a": []}},
        'push.diff["shape:a"]',
        "non-empty array",
    ),
    (
        {"type": "push", "clientClock": 0, "diff": {"shape:a": ["remove", 1]}},
        'push.diff["shape:a"]',
        '["remove"]',
    ),
    (
        {"type": "push", "clientClock": 0, "diff": {"shape:a": ["delete"]}},
        'push.diff["shape:a"][0]',
        '"put", "patch" or "remove"',
    ),
    (
        {"type": "push", "clientClock": 0, "diff": {"shape:a": ["put", []]}},
        'push.diff["shape:a"][1]',
        "expected a record",
    ),
    (
        {"type": "push", "clientClock": 0, "diff": {"shape:a": ["put", {"id": "shape:a"}]}},
        'push.diff["shape:a"][1].typeName',
        "expected a string, got null",
    ),
    (
        {"type": "push", "clientClock": 0, "diff": {"shape:a": ["patch", {"x": ["put"]}]}},
        'push.diff["shape:a"][1].x',
        '["put", value]',
    ),
    (
        {"type": "push", "clientClock": 0, "diff": {"shape:a": ["patch", {"x": ["put", 1, 2]}]}},
        'push.diff["shape:a"][1].x',
        '["put", value]',
    ),
    (
        {"type": "push", "clientClock": 0, "diff": {"s:a": ["patch", {"x": ["append", [1], -1]}]}},
        'push.diff["s:a"][1].x[2]',
        "integer offset",
    ),
    (
        {"type": "push", "clientClock": 0, "diff": {"s:a": ["patch", {"x": ["append", 1, 0]}]}},
        'push.diff["s:a"][1].x[1]',
        "an array or a string",
    ),
    (
        {"type": "push", "clientClock": 0, "diff": {"s:a": ["patch", {"x": ["delete", 0]}]}},
        'push.diff["s:a"][1].x',
        '["delete"]',
    ),
    (
        {
            "type": "push",
            "clientClock": 0,
            "diff": {"s:a": ["patch", {"p": ["patch", {"q w": ["patch", {"1": ["move"]}]}]}]},
        },
        'push.diff["s:a"][1].p[1]["q w"][1]["1"][0]',
        '"put", "patch", "delete" or "append"',
    ),
    (
        {"type": "push", "clientClock": 0, "presence": ["remove"]},
        "push.presence",
        "presence op",
    ),
    (
        {"type": "push", "clientClock": 0, "presence": ["remove", {}]},
        "push.presence[0]",
        "presence is never removed",
    ),
    (
        {"type": "push", "clientClock": 0, "presence": ["put", None]},
        "push.presence[1]",
        "expected a record",
    ),
    (
        {
            "type": "push",
            "clientClock": 0,
            "diff": {"a:b": ["put", {"id": "a:b", "typeName": "a", "x": {1}}]},
        },
        'push.diff["a:b"][1]',
        "non-JSON set",
    ),
]


@pytest.mark.spec("PR7", "PR8")
@pytest.mark.parametrize(("message", "path", "problem"), REFUSED)
def test_refused_client_messages_name_the_problem_and_its_path(
    message: object, path: str, problem: str
) -> None:
    """Each malformed message raises ProtocolError whose path and text say what and where."""
    with pytest.raises(ProtocolError) as info:
        validate_client_message(message)
    assert info.value.path == path
    assert problem in info.value.problem
    assert str(info.value) == f"{path}: {info.value.problem}"


@pytest.mark.spec("PR8")
def test_record_problems_close_with_invalid_record() -> None:
    """A put whose record is missing its type or has another id asks for INVALID_RECORD; other
    problems for UNKNOWN_ERROR; a bad schema for CLIENT_TOO_OLD."""
    put = {
        "type": "push",
        "clientClock": 0,
        "diff": {"a:b": ["put", {"id": "a:c", "typeName": "a"}]},
    }
    with pytest.raises(ProtocolError) as info:
        validate_client_message(put)
    assert info.value.close_reason == "INVALID_RECORD"
    assert info.value.path == 'push.diff["a:b"][1].id'
    with pytest.raises(ProtocolError) as info:
        validate_client_message({"type": "push", "clientClock": "0"})
    assert info.value.close_reason == "UNKNOWN_ERROR"
    connect = {
        "type": "connect",
        "connectRequestId": "r",
        "lastServerClock": -2,
        "protocolVersion": 8,
        "schema": V2_SCHEMA,
    }
    with pytest.raises(ProtocolError, match="lastServerClock: expected an integer from -1"):
        validate_client_message(connect)
    for schema in (None, {"schemaVersion": 2}, {"schemaVersion": 2, "sequences": {"a": -1}}):
        with pytest.raises(ProtocolError) as info:
            validate_client_message({**connect, "lastServerClock": 0, "schema": schema})
        assert info.value.close_reason == "CLIENT_TOO_OLD"
        assert info.value.path == "connect.schema"


@pytest.mark.spec("PR8")
@pytest.mark.parametrize(
    ("message", "path"),
    [
        ({"type": "connect"}, "connect.protocolVersion"),
        ({"type": "patch", "diff": {}}, "patch.serverClock"),
        ({"type": "patch", "diff": {}, "serverClock": -1}, "patch.serverClock"),
        ({"type": "push_result", "clientClock": 0, "serverClock": 0}, "push_result.action"),
        (
            {"type": "push_result", "clientClock": 0, "serverClock": 0, "action": "rebase"},
            "push_result.action",
        ),
        (
            {"type": "push_result", "clientClock": 0, "serverClock": 0, "action": {}},
            "push_result.action.rebaseWithDiff",
        ),
        ({"type": "data"}, "data.data"),
        ({"type": "data", "data": [{"type": "pong"}]}, "data.data[0].type"),
        ({"type": "data", "data": [{"type": "patch", "diff": {}}]}, "data.data[0].serverClock"),
        ({"type": "incompatibility_error", "reason": "tooOld"}, "incompatibility_error.reason"),
        ({"type": "incompatibility_error"}, "incompatibility_error.reason"),
        (
            {"type": "connect", "protocolVersion": 8, "connectRequestId": "r"},
            "connect.hydrationType",
        ),
        ({"type": "hello"}, "message"),
    ],
)
def test_refused_server_messages(message: object, path: str) -> None:
    """Malformed server messages are refused with the path of the first problem."""
    with pytest.raises(ProtocolError) as info:
        validate_server_message(message)
    assert info.value.path == path


@pytest.mark.spec("PR8")
def test_connect_event_fields() -> None:
    """The v8 answer needs a boolean isReadonly; objectAccess is optional, "read" or "write"."""
    event = make_connect_event(
        connect_request_id="r",
        hydration_type="wipe_all",
        protocol_version=8,
        schema={"schemaVersion": 2, "sequences": {}},
        server_clock=0,
        diff={},
        is_readonly=False,
    )
    assert list(event) == [
        "type",
        "connectRequestId",
        "hydrationType",
        "protocolVersion",
        "schema",
        "serverClock",
        "diff",
        "isReadonly",
        "objectAccess",
    ]
    assert validate_server_message(event) is event
    del event["objectAccess"]
    assert validate_server_message(event) is event
    for key, value in (("isReadonly", 0), ("objectAccess", "admin"), ("hydrationType", ["x"])):
        with pytest.raises(ProtocolError, match=key):
            validate_server_message({**event, key: value})


@pytest.mark.spec("PR10")
def test_unknown_fields_are_kept_where_tldraw_ignores_them() -> None:
    """Unknown keys on messages, on the rebase action and inside records pass and stay."""
    push = {
        "type": "push",
        "clientClock": 0,
        "extra": {"a": 1},
        "diff": {"a:b": ["put", {"id": "a:b", "typeName": "a", "whatever": [1]}]},
    }
    assert validate_client_message(push) is push
    result = {
        "type": "push_result",
        "clientClock": 0,
        "serverClock": 0,
        "action": {"rebaseWithDiff": {}, "note": 1},
        "x": None,
    }
    assert validate_server_message(result) is result
    assert json.loads(serialize_message(result)) == result


@pytest.mark.spec("PR11")
def test_nesting_depth_is_capped() -> None:
    """Values nested deeper than max_depth containers (the message counts as 1) are refused
    with a clear error wherever they are; exactly at the limit they pass."""

    def nested(levels: int) -> Any:
        value: Any = 0
        for _ in range(levels):
            value = [value]
        return value

    # custom (1) > data: the value may open max_depth - 1 containers
    ok = {"type": "custom", "data": nested(MAX_NESTING_DEPTH - 1)}
    assert validate_server_message(ok) is ok
    with pytest.raises(ProtocolError, match="nested too deeply") as info:
        validate_server_message({"type": "custom", "data": nested(MAX_NESTING_DEPTH)})
    assert info.value.path == "custom.data"
    # push (1) > diff (2) > op (3) > record (4) > x
    record = {"id": "a:b", "typeName": "a", "x": nested(MAX_NESTING_DEPTH - 4)}
    push = {"type": "push", "clientClock": 0, "diff": {"a:b": ["put", record]}}
    assert validate_client_message(push) is push
    record["x"] = nested(MAX_NESTING_DEPTH - 3)
    with pytest.raises(ProtocolError, match="nested too deeply"):
        validate_client_message(push)
    with pytest.raises(ProtocolError, match="nested too deeply"):
        validate_client_message(push, max_depth=10)
    # nested patches count too
    diff: Any = {}
    for _ in range(MAX_NESTING_DEPTH):
        diff = {"k": ["patch", diff]}
    with pytest.raises(ProtocolError, match="nested too deeply"):
        validate_client_message(
            {"type": "push", "clientClock": 0, "diff": {"a:b": ["patch", diff]}}
        )
    # beyond what orjson parses: still a ProtocolError
    deep = '{"type":"custom","data":' + "[" * 5000 + "]" * 5000 + "}"
    with pytest.raises(ProtocolError, match="nested too deeply"):
        parse_server_message(deep)


def _verdict(parse: Any, *args: Any, **kwargs: Any) -> object:
    """What ``parse`` makes of its input: the message, or the refusal's problem, path and close
    reason."""
    try:
        return parse(*args, **kwargs)
    except ProtocolError as error:
        return (type(error), error.problem, error.path, error.close_reason)


def _connect_answer_text(levels: int) -> str:
    """A v8 connect answer putting a page whose ``x`` nests ``levels`` containers, objects and
    arrays in turn: connect (1) > diff (2) > op (3) > record (4) > x. (Built as text: the
    serializer and ``==`` recurse, and recursion stops short of 1,000 levels.)"""
    page = {**PAGE, "x": "@x@"}
    answer = make_connect_event(
        connect_request_id="r",
        hydration_type="wipe_all",
        protocol_version=8,
        schema={"schemaVersion": 2, "sequences": {}},
        server_clock=1,
        diff={"page:x": ["put", page]},
        is_readonly=False,
    )
    opening = "".join("[" if level % 2 else '{"k":' for level in range(levels))
    closing = "".join("]" if level % 2 else "}" for level in reversed(range(levels)))
    return serialize_message(answer).replace('"@x@"', opening + "0" + closing)


def _x_levels(message: Any) -> int:
    """How many containers the page's ``x`` nests (see _connect_answer_text)."""
    value = message["diff"]["page:x"][1]["x"]
    levels = 0
    while isinstance(value, dict | list):
        value = value["k"] if isinstance(value, dict) else value[0]
        levels += 1
    return levels


@pytest.mark.spec("PR11")
@pytest.mark.parametrize("max_depth", [5, 10, MAX_NESTING_DEPTH, 1000, 1023, 1024, 1025])
def test_parsed_records_are_not_walked_but_too_deep_ones_are_still_refused(max_depth: int) -> None:
    """A server message that orjson parses within ``max_depth`` skips the walk of its records
    (``parsed_json``); at the limit, one level deeper and far deeper, text and binary,
    parse_server_message gives what the full check of the same JSON gives: the message, or a
    "nested too deeply" refusal with the same path (for a limit above orjson's own, 1024, the
    full check runs)."""
    for levels in (max_depth - 5, max_depth - 4, max_depth - 3, max_depth + 20):
        text = _connect_answer_text(max(levels, 0))
        full = _verdict(
            lambda frame: validate_server_message(loads_frame(frame), max_depth=max_depth), text
        )
        for frame in (text, text.encode()):
            fast = _verdict(parse_server_message, frame, max_depth=max_depth)
            if levels + 4 <= min(max_depth, 1024):  # (orjson parses at most 1024 levels)
                assert _x_levels(fast) == _x_levels(full) == max(levels, 0)
            else:
                assert isinstance(full, tuple)
                assert "nested too deeply" in full[1]
                assert fast == full


@pytest.mark.spec("PR7")
def test_text_that_is_json_only_inside_the_added_arrays_is_refused() -> None:
    """The arrays wrapped around a text to bound its depth never make a non-JSON text parse:
    two values side by side (``{...}],[{...}``) are still invalid JSON."""
    frame = '{"type":"pong"}],[{"type":"pong"}'
    for data in (frame, frame.encode()):
        with pytest.raises(ProtocolError, match="invalid JSON"):
            parse_server_message(data)


@pytest.mark.spec("PR11")
def test_message_size_is_capped() -> None:
    """Frames over max_size (characters of text, bytes of binary) are refused unparsed."""
    frame = '{"type":"custom","data":"' + "x" * 100 + '"}'
    assert parse_server_message(frame, max_size=len(frame))
    with pytest.raises(ProtocolError, match="too large"):
        parse_server_message(frame, max_size=len(frame) - 1)
    with pytest.raises(ProtocolError, match="too large"):
        parse_server_message(frame.encode(), max_size=len(frame) - 1)
    assert DEFAULT_MAX_MESSAGE_SIZE == 64 * 1024 * 1024


@pytest.mark.spec("PR7")
@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\xff{}", "not UTF-8"),
        (b'{"type":"pong","x":"\xc3"}', "not UTF-8"),
        ("", "invalid JSON"),
        ("{", "invalid JSON"),
        ('{"type":"pong"} x', "invalid JSON"),
        ('{"type":NaN}', "invalid JSON"),
        ('{"type":"pong","n":Infinity}', "invalid JSON"),
        ("\ufeff{}", "invalid JSON"),
        ("null", "a message is a JSON object"),
        ('"pong"', "a message is a JSON object"),
        (12, "a frame is text"),
    ],
)
def test_frames_that_are_not_json_objects(data: Any, problem: str) -> None:
    """Bytes that are not UTF-8, text that is not JSON (as JSON.parse defines it) and JSON that
    is not an object are ProtocolErrors, never another exception."""
    for parse in (parse_client_message, parse_server_message):
        with pytest.raises(ProtocolError, match=problem):
            parse(data)


@pytest.mark.spec("PR7")
def test_json_parse_edge_cases_are_read_as_javascript_reads_them() -> None:
    """Binary frames may start with a BOM (skipped, as TextDecoder does); lone surrogate
    escapes, numbers beyond a double and duplicate keys are accepted like JSON.parse does."""
    assert parse_server_message(b"\xef\xbb\xbf" + b'{"type":"pong"}') == {"type": "pong"}
    assert parse_server_message(memoryview(b'{"type":"pong"}')) == {"type": "pong"}
    assert parse_server_message(bytearray(b'{"type":"pong"}')) == {"type": "pong"}
    assert loads_frame('{"s":"\\ud800x"}') == {"s": "\ud800x"}
    assert loads_frame('{"n":1e400,"m":-1e400}') == {"n": float("inf"), "m": float("-inf")}
    assert loads_frame('{"n":' + "9" * 400 + "}") == {"n": float("inf")}
    assert loads_frame('{"a":1,"a":2}') == {"a": 2}
    assert (
        serialize_message(loads_frame('{"s":"\\ud800x","n":1e400}')) == '{"s":"\\ud800x","n":null}'
    )


# --------------------------------------------------------------------------------------------
# serialization


@pytest.mark.spec("PR6")
@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"a": 1.0, "b": -0.0, "c": 2.5}, '{"a":1,"b":0,"c":2.5}'),
        (
            {"a": [1e15, 1e16, 1e20, 1e21, 1.5e21]},
            '{"a":[1000000000000000,10000000000000000,100000000000000000000,1e+21,1.5e+21]}',
        ),
        ({"a": [1e-6, 1e-7, 1.5e-6, 5e-324]}, '{"a":[0.000001,1e-7,0.0000015,5e-324]}'),
        (
            {"a": [2**53, 2**53 + 1, 2**70, -(2**64)]},
            '{"a":[9007199254740992,9007199254740992,1.1805916207174113e+21,-18446744073709552000]}',
        ),
        ({"a": [float("nan"), float("inf"), float("-inf")]}, '{"a":[null,null,null]}'),
        (
            {"b": 1, "2": 2, "a": 3, "1": 4, "01": 5, "4294967295": 6, "4294967294": 7},
            '{"1":4,"2":2,"4294967294":7,"b":1,"a":3,"01":5,"4294967295":6}',
        ),
        ({"s": "é😀\u2028\u2029\x7f/"}, '{"s":"é😀\u2028\u2029\x7f/"}'),
        ({"s": '\x00\x1f\b\t\n\f\r"\\'}, '{"s":"\\u0000\\u001f\\b\\t\\n\\f\\r\\"\\\\"}'),
        ({"s": "\ud800", "t": "\udfff\ud83d"}, '{"s":"\\ud800","t":"\\udfff\\ud83d"}'),
        ({"s": "\ud83d\ude00"}, '{"s":"😀"}'),
        ({"\ud800k": 1}, '{"\\ud800k":1}'),
        ({"t": (1, 2)}, '{"t":[1,2]}'),
        ({"type": "pong"}, '{"type":"pong"}'),
    ],
)
def test_serialization_matches_javascript(value: dict[str, Any], text: str) -> None:
    """serialize_message writes what JSON.stringify writes (these expectations were checked
    with node; the differential test checks the rest)."""
    assert serialize_message(value) == text


@pytest.mark.spec("PR6")
def test_serialization_refuses_non_json() -> None:
    """Non-string keys and values JSON cannot hold are a TypeError."""
    for value in ({1: 2}, {"a": {1, 2}}, {"a": object()}, {"a": {"b": {(1,): 2}}}):
        with pytest.raises(TypeError, match="cannot serialize"):
            serialize_message(value)  # type: ignore[arg-type]


@pytest.mark.spec("PR5", "PR6")
def test_constructors_write_tldraw_key_order() -> None:
    """make_* build messages whose text is byte for byte 5.4.2's (the golden server frames)."""
    assert serialize_message(make_push_result(3, 3, "discard")) == (
        '{"type":"push_result","clientClock":3,"serverClock":3,"action":"discard"}'
    )
    patch = make_patch_event({"page:p2": ["patch", {"name": ["append", " page", 6]}]}, 2)
    assert serialize_message(make_data_event([patch])) == (
        '{"type":"data","data":[{"type":"patch","diff":{"page:p2":["patch",{"name":'
        '["append"," page",6]}]},"serverClock":2}]}'
    )


# --------------------------------------------------------------------------------------------
# properties


@pytest.mark.spec("PR12")
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([3, 8]).flatmap(lambda d: st.tuples(st.just(d), client_messages(d))))
def test_client_messages_round_trip(case: tuple[int, dict[str, Any]]) -> None:
    """parse(serialize(m)) equals m for every client message, in its dialect and in either."""
    dialect, message = case
    text = serialize_message(message)
    for mode in (dialect, None):
        assert json_equal(parse_client_message(text, dialect=mode), message)  # type: ignore[arg-type]
    assert validate_client_message(message, dialect=dialect) is message  # type: ignore[arg-type]


@pytest.mark.spec("PR12")
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([3, 8]).flatmap(lambda d: st.tuples(st.just(d), server_messages(d))))
def test_server_messages_round_trip(case: tuple[int, dict[str, Any]]) -> None:
    """parse(serialize(m)) equals m for every server message, in its dialect and in either."""
    dialect, message = case
    text = serialize_message(message)
    for mode in (dialect, None):
        assert json_equal(parse_server_message(text, dialect=mode), message)  # type: ignore[arg-type]
    assert validate_server_message(message, dialect=dialect) is message  # type: ignore[arg-type]


def _parse_either(data: Any) -> None:
    for parse in (parse_client_message, parse_server_message):
        for dialect in (None, 3, 8):
            with contextlib.suppress(ProtocolError):
                parse(data, dialect=dialect)


@pytest.mark.spec("PR7")
@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_protocol_errors(data: bytes) -> None:
    """Any bytes: a message or a ProtocolError, nothing else."""
    _parse_either(data)


@pytest.mark.spec("PR7")
@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from('{}[]":,0123456789.eE+-tfnrul \\x"'), max_size=60))
def test_json_like_text_raises_only_protocol_errors(text: str) -> None:
    """Text made of JSON's own characters: a message or a ProtocolError."""
    _parse_either(text)


@pytest.mark.spec("PR7")
@settings(max_examples=300)
@given(
    st.one_of(
        js_json_values(20),
        st.dictionaries(
            st.sampled_from(["type", "diff", "presence", "clientClock", "data", "action"]),
            js_json_values(8),
        ).map(lambda d: {**d, "type": d.get("type", "push")}),
    )
)
def test_arbitrary_json_raises_only_protocol_errors(value: Any) -> None:
    """Any JSON value, and objects with message-like keys: a message or a ProtocolError."""
    _parse_either(orjson.dumps(value))


@st.composite
def mutated(draw: st.DrawFn, messages: st.SearchStrategy[dict[str, Any]]) -> Any:
    """A valid message with one container along a random path dropped, retyped or renamed."""
    message = loads_frame(serialize_message(draw(messages)))
    node: Any = message
    for _ in range(draw(st.integers(0, 6))):
        children = list(node.values()) if isinstance(node, dict) else node
        children = [c for c in children if isinstance(c, dict | list) and c]
        if not children:
            break
        node = draw(st.sampled_from(children))
    keys = list(node) if isinstance(node, dict) else list(range(len(node)))
    if not keys:
        return message
    key = draw(st.sampled_from(keys))
    action = draw(st.sampled_from(["drop", "retype", "rename"]))
    if action == "drop":
        del node[key]
    elif action == "retype":
        node[key] = draw(
            st.one_of(js_json_values(3), st.sampled_from([None, True, 1.5, "x", [], {}]))
        )
    elif isinstance(node, dict):
        node[draw(st.text(max_size=4))] = node.pop(key)
    else:
        node.insert(0, node.pop(key))
    return message


@pytest.mark.spec("PR7")
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        mutated(st.sampled_from([3, 8]).flatmap(client_messages)),
        mutated(st.sampled_from([3, 8]).flatmap(server_messages)),
    )
)
def test_mutated_frames_raise_only_protocol_errors(message: Any) -> None:
    """A valid frame with a field dropped, retyped or renamed: a message or a ProtocolError;
    when accepted, it serializes and parses back to itself."""
    text = orjson.dumps(message)
    _parse_either(text)
    for parse in (parse_client_message, parse_server_message):
        try:
            parsed = parse(text)
        except ProtocolError:
            continue
        assert json_equal(parse(serialize_message(parsed)), parsed)


@pytest.mark.spec("PR7")
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.sampled_from([3, 8]).flatmap(server_messages),
        mutated(st.sampled_from([3, 8]).flatmap(server_messages)),
    ),
    st.sampled_from([None, 3, 8]),
    st.integers(1, 12),
)
def test_parsed_server_messages_get_the_full_checks_verdict(
    message: Any, dialect: Any, max_depth: int
) -> None:
    """For any server message, valid or mutated, and any depth limit, parse_server_message
    (records not walked when orjson parsed the text within the limit) gives exactly what the
    full check of the parsed JSON gives: the same message, or the same problem and path."""
    text = orjson.dumps(message)
    full = _verdict(
        validate_server_message, loads_frame(text), dialect=dialect, max_depth=max_depth
    )
    fast = _verdict(parse_server_message, text, dialect=dialect, max_depth=max_depth)
    assert fast == full


@pytest.mark.spec("PR9")
def test_unknown_dialect_is_a_programming_error() -> None:
    """A dialect other than 3, 8 or None is refused with ValueError (it is not wire input)."""
    for validate in (validate_client_message, validate_server_message):
        with pytest.raises(ValueError, match="dialect must be"):
            validate({"type": "ping"}, dialect=5)  # type: ignore[arg-type]

"""Structural checks of parsed messages: after them, a room or client can trust the types.

:func:`validate_client_message` and :func:`validate_server_message` take a value that JSON
parsed to (or a message built in memory) and return the *same object*, typed, or raise
:class:`~tlsync_core.protocol.errors.ProtocolError` naming the first problem and its path. They
never copy or convert anything.

What is checked (SPEC.md PR7–PR11):

* the message is an object whose ``type`` is a message of the dialect (``dialect=None``: of
  either dialect; a connect request picks its dialect by its ``protocolVersion``, which must be
  an integer the server speaks, see :func:`~tlsync_core.protocol.versions.
  negotiate_protocol_version`);
* every field the dialect defines is present with the right JSON type; clocks are integers
  (booleans and floats refused) between their minimum (-1 for ``lastServerClock``, else 0) and
  2⁵³ − 1; ids are strings; ``hydrationType``, ``objectAccess``, ``action`` and the
  incompatibility ``reason`` are among their known values; the schema is a readable V1 or V2
  serialized schema;
* v3 pushes carry exactly one of ``diff`` and ``presence``; v8 pushes any of them; an optional
  field is absent, never ``null``;
* a NetworkDiff maps ids to record ops with their exact arity: ``["put", record]`` whose
  ``record`` is an object with string ``id`` (equal to its key) and ``typeName``,
  ``["patch", ObjectDiff]``, ``["remove"]``; a presence op is ``["put", object]`` (the server
  overwrites ``id`` and ``typeName``) or ``["patch", ObjectDiff]``;
* an ObjectDiff maps keys to value ops: ``["put", value]``, ``["delete"]``,
  ``["append", values, offset]`` (``values`` a list, or in v8 a string; ``offset`` an integer
  from 0 to 2⁵³ − 1), ``["patch", ObjectDiff]``;
* every value is JSON (objects with string keys, lists, strings, numbers, booleans, null) and
  nothing nests deeper than ``max_depth`` containers, counting the message itself.

What is tolerated, as tldraw tolerates it: unknown keys on message objects and on the
``rebaseWithDiff`` action object (kept in place, never read), unknown fields inside records and
presence records (the room's record validators judge those), and any JSON in ``custom.data``,
``error.error`` and put values. Not tolerated, although 5.4.2 would not notice: extra elements in
op lists, ``null`` for an absent optional field, a put whose record id differs from its key.
"""

from __future__ import annotations

from typing import Any, Final, NoReturn

from tlsync_core.protocol.close_codes import (
    TLIncompatibilityReason,
    TLSyncErrorCloseEventReason,
)
from tlsync_core.protocol.errors import (
    ProtocolError,
    UnsupportedProtocolVersionError,
    format_path,
)
from tlsync_core.protocol.messages import ClientMessage, ServerMessage
from tlsync_core.protocol.versions import DIALECTS, Dialect, negotiate_protocol_version
from tlsync_core.store.migrations import SchemaFormatError, upgrade_schema

__all__ = [
    "MAX_NESTING_DEPTH",
    "MAX_SAFE_INTEGER",
    "validate_client_message",
    "validate_server_message",
]

#: ``Number.MAX_SAFE_INTEGER``: the largest clock or offset accepted.
MAX_SAFE_INTEGER: Final = 2**53 - 1
#: Default cap on nested containers in a message (the message object counts as 1).
MAX_NESTING_DEPTH: Final = 128

_UNKNOWN: Final = TLSyncErrorCloseEventReason.UNKNOWN_ERROR
_INVALID_RECORD: Final = TLSyncErrorCloseEventReason.INVALID_RECORD
_CLIENT_TOO_OLD: Final = TLSyncErrorCloseEventReason.CLIENT_TOO_OLD
_SERVER_TOO_OLD: Final = TLSyncErrorCloseEventReason.SERVER_TOO_OLD
#: The newest serialized schema format (``schemaVersion``) we read.
_SCHEMA_VERSION: Final = 2
_HYDRATION_TYPES: Final = frozenset({"wipe_all", "wipe_presence"})
_OBJECT_ACCESS: Final = frozenset({"read", "write"})
_INCOMPATIBILITY_REASONS: Final = frozenset(r.value for r in TLIncompatibilityReason)
_NONE_TYPE: Final = type(None)
_ABSENT: Final = object()
_TOO_DEEP: Final = "nested too deeply (more containers than the nesting depth limit)"


class _Invalid(Exception):
    """Internal: a problem found at some depth; each level adds its key while it unwinds."""

    def __init__(self, problem: str, close_reason: str = _UNKNOWN) -> None:
        super().__init__(problem)
        self.problem = problem
        self.close_reason = close_reason
        self.parts: list[object] = []  # innermost first


def _describe(value: object) -> str:
    """What a JSON value is, for messages: ``number 1.5``, ``string "abc"``, ``object``..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    if isinstance(value, (int, float)):
        return f"number {value!r}"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return "string " + repr(text)
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return f"non-JSON {type(value).__name__}"


def _fail(problem: str, value: object = None, *, got: bool = True) -> NoReturn:
    raise _Invalid(f"{problem}, got {_describe(value)}" if got else problem)


def _raise_at(error: _Invalid, root: str, more: tuple[object, ...] = ()) -> NoReturn:
    parts: list[object] = [root, *more, *reversed(error.parts)]
    path = format_path(parts)
    raise ProtocolError(error.problem, path, close_reason=error.close_reason) from None


# --------------------------------------------------------------------------------------------
# JSON values and depth


def _is_scalar(t: type) -> bool:
    """Whether ``t`` is the type of a JSON scalar (pointer compares when compiled, which is
    cheaper than a set lookup: this runs for every value of every record in a message)."""
    return t is str or t is float or t is int or t is bool or t is _NONE_TYPE


def _check_json(value: object, budget: int) -> None:
    """``value`` is JSON and opens at most ``budget`` nested containers (itself included)."""
    t = type(value)
    if t is dict or t is list:
        _check_container(value, budget)
    elif not _is_scalar(t):
        _fail("expected a JSON value", value)


def _check_container(root: object, budget: int) -> None:
    """``root`` (a dict or list) holds only JSON and nests at most ``budget`` containers.

    An explicit stack, not recursion; a plain loop over the items, which for records (small
    containers) is faster than scanning their types with ``map`` in C.
    """
    stack: list[tuple[Any, int]] = [(root, budget)]
    push = stack.append
    pop = stack.pop
    while stack:
        container, left = pop()
        if left <= 0:
            raise _Invalid(_TOO_DEEP)
        if type(container) is dict:
            for key, item in container.items():
                t = type(item)
                if t is dict or t is list:
                    push((item, left - 1))
                elif not _is_scalar(t):
                    _fail(f"expected a JSON value at key {key!r}", item)
                if type(key) is not str:
                    _fail("expected string keys", key)
        else:
            for item in container:
                t = type(item)
                if t is dict or t is list:
                    push((item, left - 1))
                elif not _is_scalar(t):
                    _fail("expected a JSON value in an array", item)


def _check_clock(value: object, minimum: int = 0) -> None:
    if type(value) is not int or not minimum <= value <= MAX_SAFE_INTEGER:
        _fail(f"expected an integer from {minimum} to 2**53-1", value)


def _check_string(value: object) -> None:
    if type(value) is not str:
        _fail("expected a string", value)


# --------------------------------------------------------------------------------------------
# diffs


def _check_object_diff(diff: object, string_append: bool, budget: int) -> None:
    """An ObjectDiff at a level where ``budget`` containers may still open (``diff`` included)."""
    if type(diff) is not dict:
        _fail("expected an object diff (an object)", diff)
    if budget <= 0:
        raise _Invalid(_TOO_DEEP)
    for key, op in diff.items():
        # fast path: ["put", <scalar>], by far the most common op
        if (
            type(op) is list
            and len(op) == 2
            and op[0] == "put"
            and _is_scalar(type(op[1]))
            and type(key) is str
        ):
            continue
        try:
            _check_value_op(op, string_append, budget - 1)
        except _Invalid as error:
            error.parts.append(key)
            raise
        if type(key) is not str:
            _fail("expected string keys", key)


def _check_value_op(op: object, string_append: bool, budget: int) -> None:
    if type(op) is not list or not op:
        _fail("expected a value op (a non-empty array)", op)
    if budget <= 0:
        raise _Invalid(_TOO_DEEP)
    kind = op[0]
    n = len(op)
    if kind == "put":
        if n != 2:
            _fail('a put value op is ["put", value]', got=False)
        value = op[1]
        t = type(value)
        if t is dict or t is list:
            try:
                _check_container(value, budget - 1)
            except _Invalid as error:
                error.parts.append(1)
                raise
        elif not _is_scalar(t):
            _invalid_at(1, "expected a JSON value", value)
    elif kind == "patch":
        if n != 2:
            _fail('a patch value op is ["patch", {...}]', got=False)
        try:
            _check_object_diff(op[1], string_append, budget - 1)
        except _Invalid as error:
            error.parts.append(1)
            raise
    elif kind == "delete":
        if n != 1:
            _fail('a delete value op is ["delete"]', got=False)
    elif kind == "append":
        if n != 3:
            _fail('an append value op is ["append", values, offset]', got=False)
        values = op[1]
        t = type(values)
        if t is list:
            try:
                _check_container(values, budget - 1)
            except _Invalid as error:
                error.parts.append(1)
                raise
        elif t is not str or not string_append:
            what = "an array or a string" if string_append else "an array (v3 appends no strings)"
            _invalid_at(1, f"expected {what}", values)
        offset = op[2]
        if type(offset) is not int or not 0 <= offset <= MAX_SAFE_INTEGER:
            _invalid_at(2, "expected an integer offset from 0 to 2**53-1", offset)
    else:
        _invalid_at(0, 'expected "put", "patch", "delete" or "append"', kind)


def _invalid_at(index: int, problem: str, value: object) -> NoReturn:
    error = _Invalid(f"{problem}, got {_describe(value)}")
    error.parts.append(index)
    raise error


def _check_network_diff(
    diff: object, string_append: bool, budget: int, walk_records: bool = True
) -> None:
    """A NetworkDiff whose object opens the ``budget``-th-from-last level; with
    ``walk_records=False`` the records of puts are known to be JSON within the depth limit, so
    only their ``id`` and ``typeName`` are checked (see ``validate_server_message``)."""
    if type(diff) is not dict:
        _fail("expected a network diff (an object)", diff)
    if budget <= 0:
        raise _Invalid(_TOO_DEEP)
    for key, op in diff.items():
        # fast path: a record patch whose ops all put scalars (a shape moved, a text typed),
        # checked inline; anything else goes through the full checks below
        if (
            type(op) is list
            and len(op) == 2
            and op[0] == "patch"
            and type(ops := op[1]) is dict
            and type(key) is str
            and budget > 3
        ):
            for name, value_op in ops.items():
                if not (
                    type(value_op) is list
                    and len(value_op) == 2
                    and value_op[0] == "put"
                    and _is_scalar(type(value_op[1]))
                    and type(name) is str
                ):
                    break
            else:
                continue
        try:
            _check_record_op(key, op, string_append, budget - 1, walk_records)
        except _Invalid as error:
            error.parts.append(key)
            raise


def _check_record_op(
    key: object, op: object, string_append: bool, budget: int, walk_record: bool
) -> None:
    if type(key) is not str:
        _fail("expected string record ids", key)
    if type(op) is not list or not op:
        _fail("expected a record op (a non-empty array)", op)
    if budget <= 0:
        raise _Invalid(_TOO_DEEP)
    kind = op[0]
    n = len(op)
    if kind == "put":
        if n != 2:
            _fail('a put record op is ["put", record]', got=False)
        record = op[1]
        try:
            if type(record) is not dict:
                raise _Invalid(f"expected a record (an object), got {_describe(record)}")
            record_id = record.get("id")
            if record_id != key or type(record_id) is not str:
                error = _Invalid(
                    f"expected the record id {key!r}, got {_describe(record_id)}", _INVALID_RECORD
                )
                error.parts.append("id")
                raise error
            if type(record.get("typeName")) is not str:
                error = _Invalid(
                    f"expected a string, got {_describe(record.get('typeName'))}", _INVALID_RECORD
                )
                error.parts.append("typeName")
                raise error
            if walk_record:
                _check_container(record, budget - 1)
        except _Invalid as error:
            error.parts.append(1)
            raise
    elif kind == "patch":
        if n != 2:
            _fail('a patch record op is ["patch", {...}]', got=False)
        try:
            _check_object_diff(op[1], string_append, budget - 1)
        except _Invalid as error:
            error.parts.append(1)
            raise
    elif kind == "remove":
        if n != 1:
            _fail('a remove record op is ["remove"]', got=False)
    else:
        _invalid_at(0, 'expected "put", "patch" or "remove"', kind)


def _check_presence(op: object, string_append: bool, budget: int) -> None:
    if type(op) is not list or len(op) != 2:
        _fail('expected a presence op (["put", record] or ["patch", {...}])', op)
    if budget <= 0:
        raise _Invalid(_TOO_DEEP)
    kind = op[0]
    if kind not in ("put", "patch"):
        _invalid_at(0, 'expected "put" or "patch" (presence is never removed)', kind)
    try:
        if kind == "put":
            if type(op[1]) is not dict:
                raise _Invalid(f"expected a record (an object), got {_describe(op[1])}")
            _check_container(op[1], budget - 1)
        else:
            _check_object_diff(op[1], string_append, budget - 1)
    except _Invalid as error:
        error.parts.append(1)
        raise


def _check_schema(schema: object, budget: int) -> None:
    if schema is None:
        raise _Invalid("missing schema", _CLIENT_TOO_OLD)
    try:
        upgrade_schema(schema)
    except SchemaFormatError as error:
        raise _Invalid(str(error), _schema_mismatch_reason(schema)) from None
    _check_container(schema, budget)


def _schema_mismatch_reason(schema: object) -> str:
    """Why a schema we cannot read is refused, as 5.4.2's ``getVersionMismatchReason`` says:
    a ``schemaVersion`` above ours (2; compared as JavaScript compares numbers) is a newer
    client (``SERVER_TOO_OLD``), anything else an older or broken one (``CLIENT_TOO_OLD``)."""
    if type(schema) is dict:
        version = schema.get("schemaVersion")
        if (type(version) is int or type(version) is float) and version > _SCHEMA_VERSION:
            return _SERVER_TOO_OLD
    return _CLIENT_TOO_OLD


# --------------------------------------------------------------------------------------------
# messages


def _field(message: dict[str, Any], key: str) -> Any:
    """``message[key]``, or an error naming the missing field."""
    try:
        return message[key]
    except KeyError:
        error = _Invalid("missing field")
        error.parts.append(key)
        raise error from None


def _at(key: str, check: Any, *args: Any) -> None:
    try:
        check(*args)
    except _Invalid as error:
        error.parts.append(key)
        raise


def _message_root(message: object) -> tuple[dict[str, Any], str]:
    if type(message) is not dict:
        raise ProtocolError(f"a message is a JSON object, got {_describe(message)}", "message")
    kind = message.get("type")
    if type(kind) is not str:
        problem = f"expected a message type (a string), got {_describe(kind)}"
        raise ProtocolError(problem, "message.type")
    return message, kind


def validate_client_message(
    message: object,
    *,
    dialect: Dialect | None = None,
    max_depth: int = MAX_NESTING_DEPTH,
) -> ClientMessage:
    """Check a message a client sent; return it, typed (the same object).

    ``dialect`` is the session's dialect once its connect request was accepted (3 or 8), or
    ``None`` to accept either. A ``connect`` is checked against the dialect its
    ``protocolVersion`` selects; an integer version that the dialect(s) do not include raises
    :class:`~tlsync_core.protocol.errors.UnsupportedProtocolVersionError`, whose
    ``close_reason`` is ``CLIENT_TOO_OLD`` or ``SERVER_TOO_OLD`` as 5.4.2 would decide.
    """
    if dialect is not None and dialect not in _NOT_IN_DIALECT:
        raise ValueError(f"dialect must be 3, 8 or None, not {dialect!r}")
    if type(message) is dict and type(kind := message.get("type")) is str:
        msg = message
    else:
        msg, kind = _message_root(message)  # raises
    try:
        if kind == "push":
            clock = msg.get("clientClock", _ABSENT)
            if type(clock) is not int or not 0 <= clock <= MAX_SAFE_INTEGER:
                if clock is _ABSENT:
                    _missing("clientClock")
                _at("clientClock", _check_clock, clock)
            string_append = dialect != 3
            diff = msg.get("diff", _ABSENT)
            presence = msg.get("presence", _ABSENT)
            if dialect == 3 and (diff is _ABSENT) == (presence is _ABSENT):
                raise _Invalid("a v3 push carries exactly one of diff and presence")
            if diff is not _ABSENT:
                try:
                    _check_network_diff(diff, string_append, max_depth - 1)
                except _Invalid as error:
                    error.parts.append("diff")
                    raise
            if presence is not _ABSENT:
                _at("presence", _check_presence, presence, string_append, max_depth - 1)
        elif kind == "ping":
            pass
        elif kind == "connect":
            _check_connect_request(msg, dialect, max_depth)
        else:
            raise _Invalid(f"unknown client message type {kind!r}")
    except _Invalid as error:
        _raise_at(error, kind if kind in ("push", "ping", "connect") else "message")
    return msg  # type: ignore[return-value]


def _check_connect_request(msg: dict[str, Any], dialect: Dialect | None, max_depth: int) -> None:
    version = msg.get("protocolVersion")
    negotiation = negotiate_protocol_version(
        version, dialects=DIALECTS if dialect is None else {dialect}
    )
    if not negotiation.accepted:
        raise UnsupportedProtocolVersionError(negotiation)
    if type(version) is not int:
        error = _Invalid(f"expected an integer, got {_describe(version)}", _CLIENT_TOO_OLD)
        error.parts.append("protocolVersion")
        raise error
    if negotiation.dialect == 3:
        _at("instanceId", _check_string, _field(msg, "instanceId"))
    else:
        _at("connectRequestId", _check_string, _field(msg, "connectRequestId"))
    _at("lastServerClock", _check_clock, _field(msg, "lastServerClock"), -1)
    _at("schema", _check_schema, msg.get("schema"), max_depth - 1)


def validate_server_message(
    message: object,
    *,
    dialect: Dialect | None = None,
    max_depth: int = MAX_NESTING_DEPTH,
    parsed_json: bool = False,
) -> ServerMessage:
    """Check a message a server sent; return it, typed (the same object).

    ``dialect`` is the one the client announced (3 or 8), or ``None`` to accept either. With
    ``None``, a ``connect`` answer whose ``protocolVersion`` is 3 is read as v3, any other as v8.
    v8 accepts ``patch`` and ``push_result`` both inside ``data`` and at top level, as the
    5.4.2 client does.

    ``parsed_json=True`` is the caller's promise that ``message`` is a JSON parser's output
    nesting at most ``max_depth`` containers (what
    :func:`~tlsync_core.protocol.codec.parse_server_message` knows of a text orjson parsed
    within that depth). Then the records that puts carry, which make up most of a connect
    answer, are not walked value by value: only their ``id`` and ``typeName`` are checked. The
    verdict is the same as without the promise when the promise holds.
    """
    if type(message) is dict and type(kind := message.get("type")) is str:
        msg = message
    else:
        msg, kind = _message_root(message)  # raises
    check = _SERVER_CHECKS.get(kind)
    if dialect is not None and dialect not in _NOT_IN_DIALECT:
        raise ValueError(f"dialect must be 3, 8 or None, not {dialect!r}")
    try:
        if check is None or (dialect is not None and kind in _NOT_IN_DIALECT[dialect]):
            where = "" if check is None else f" in the v{dialect} dialect"
            raise _Invalid(f"unknown server message type {kind!r}{where}")
        check(msg, dialect, dialect != 3, max_depth, not parsed_json)
    except _Invalid as error:
        _raise_at(error, kind if check is not None else "message")
    return msg  # type: ignore[return-value]


def _check_patch(
    msg: dict[str, Any], dialect: Dialect | None, sa: bool, depth: int, walk: bool
) -> None:
    diff = msg.get("diff", _ABSENT)
    if diff is _ABSENT:
        _missing("diff")
    try:
        _check_network_diff(diff, sa, depth - 1, walk)
    except _Invalid as error:
        error.parts.append("diff")
        raise
    clock = msg.get("serverClock", _ABSENT)
    if type(clock) is not int or not 0 <= clock <= MAX_SAFE_INTEGER:
        if clock is _ABSENT:
            _missing("serverClock")
        _at("serverClock", _check_clock, clock)


def _missing(key: str) -> NoReturn:
    error = _Invalid("missing field")
    error.parts.append(key)
    raise error


def _check_push_result(
    msg: dict[str, Any], dialect: Dialect | None, sa: bool, depth: int, walk: bool
) -> None:
    _at("clientClock", _check_clock, _field(msg, "clientClock"))
    _at("serverClock", _check_clock, _field(msg, "serverClock"))
    action = _field(msg, "action")
    if action in ("commit", "discard"):
        return
    try:
        if type(action) is not dict:
            _fail('expected "commit", "discard" or {"rebaseWithDiff": {...}}', action)
        if depth <= 2:
            raise _Invalid(_TOO_DEEP)
        rebase = _field(action, "rebaseWithDiff")
        _at("rebaseWithDiff", _check_network_diff, rebase, sa, depth - 2, walk)
    except _Invalid as error:
        error.parts.append("action")
        raise


def _check_data(
    msg: dict[str, Any], dialect: Dialect | None, sa: bool, depth: int, walk: bool
) -> None:
    events = msg.get("data", _ABSENT)
    if type(events) is not list or depth <= 2:
        if events is _ABSENT:
            _missing("data")
        error = _Invalid(
            _TOO_DEEP
            if type(events) is list
            else f"expected an array of data events, got {_describe(events)}"
        )
        error.parts.append("data")
        raise error
    events_depth = depth - 2
    for index, event in enumerate(events):
        try:
            kind = event.get("type") if type(event) is dict else _ABSENT
            if kind == "patch":
                # _check_patch inline for the common case (the hot path of every broadcast)
                diff = event.get("diff")
                clock = event.get("serverClock")
                if (
                    type(diff) is dict
                    and type(clock) is int
                    and 0 <= clock <= MAX_SAFE_INTEGER
                    and events_depth > 1
                ):
                    try:
                        _check_network_diff(diff, sa, events_depth - 1, walk)
                    except _Invalid as inner:
                        inner.parts.append("diff")
                        raise
                else:
                    _check_patch(event, dialect, sa, events_depth, walk)
            elif kind == "push_result":
                _check_push_result(event, dialect, sa, events_depth, walk)
            elif kind is _ABSENT:
                _fail("expected a data event (an object)", event)
            else:
                problem = _Invalid(f'expected "patch" or "push_result", got {_describe(kind)}')
                problem.parts.append("type")
                raise problem
        except _Invalid as error:
            error.parts.append(index)
            error.parts.append("data")
            raise


def _check_connect_event(
    msg: dict[str, Any], dialect: Dialect | None, sa: bool, depth: int, walk: bool
) -> None:
    version = _field(msg, "protocolVersion")
    _at("protocolVersion", _check_clock, version)
    v3 = dialect == 3 or (dialect is None and version == 3)
    if not v3:
        _at("connectRequestId", _check_string, _field(msg, "connectRequestId"))
    hydration = _field(msg, "hydrationType")
    if type(hydration) is not str or hydration not in _HYDRATION_TYPES:
        error = _Invalid(f'expected "wipe_all" or "wipe_presence", got {_describe(hydration)}')
        error.parts.append("hydrationType")
        raise error
    _at("schema", _check_schema, _field(msg, "schema"), depth - 1)
    _at("serverClock", _check_clock, _field(msg, "serverClock"))
    _at("diff", _check_network_diff, _field(msg, "diff"), sa and not v3, depth - 1, walk)
    if not v3:
        readonly = _field(msg, "isReadonly")
        if type(readonly) is not bool:
            error = _Invalid(f"expected a boolean, got {_describe(readonly)}")
            error.parts.append("isReadonly")
            raise error
        if "objectAccess" in msg:
            access = msg["objectAccess"]
            if type(access) is not str or access not in _OBJECT_ACCESS:
                error = _Invalid(f'expected "read" or "write", got {_describe(access)}')
                error.parts.append("objectAccess")
                raise error


def _check_custom(
    msg: dict[str, Any], dialect: Dialect | None, sa: bool, depth: int, walk: bool
) -> None:
    if "data" in msg:
        _at("data", _check_json, msg["data"], depth - 1)


def _check_error(
    msg: dict[str, Any], dialect: Dialect | None, sa: bool, depth: int, walk: bool
) -> None:
    if "error" in msg:
        _at("error", _check_json, msg["error"], depth - 1)


def _check_incompatibility(
    msg: dict[str, Any], dialect: Dialect | None, sa: bool, depth: int, walk: bool
) -> None:
    reason = _field(msg, "reason")
    if type(reason) is not str or reason not in _INCOMPATIBILITY_REASONS:
        known = ", ".join(sorted(_INCOMPATIBILITY_REASONS))
        error = _Invalid(f"expected one of {known}, got {_describe(reason)}")
        error.parts.append("reason")
        raise error


def _check_nothing(
    msg: dict[str, Any], dialect: Dialect | None, sa: bool, depth: int, walk: bool
) -> None:
    return None


_SERVER_CHECKS: Final[dict[str, Any]] = {
    "connect": _check_connect_event,
    "patch": _check_patch,
    "push_result": _check_push_result,
    "data": _check_data,
    "custom": _check_custom,
    "pong": _check_nothing,
    "error": _check_error,
    "incompatibility_error": _check_incompatibility,
}
_NOT_IN_DIALECT: Final = {3: frozenset({"data", "custom"}), 8: frozenset({"error"})}

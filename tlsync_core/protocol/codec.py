"""Messages to JSON text and back: :func:`serialize_message`, :func:`parse_client_message` and
:func:`parse_server_message`.

**Writing.** :func:`serialize_message` gives exactly the text that ``JSON.stringify`` gives for
the same object in JavaScript (compact; non-ASCII characters as themselves; lone surrogates as
``\\udxxx``; numbers as JavaScript prints them: ``1`` for ``1.0``, ``0`` for ``-0.0``,
``100000000000000000000`` for ``1e20``, ``1e-7``, rounding past 2⁵³; ``NaN``/``Infinity`` as
``null``; integer-like keys first, in ascending order, like a JavaScript object's own keys).
orjson writes it; the few messages that orjson would write differently are recognised by a
quick scan of its output (``_needs_exact``) and redone exactly. No cache: the same object is
rarely serialized twice (a broadcast serializes once per outgoing message object), and a cache
keyed by object identity would return stale text for a mutated dict.

**Reading.** The parsers take a text frame (``str``) or a binary frame (``bytes``-like, UTF-8,
a leading byte-order mark skipped as ``TextDecoder`` does), parse it the way ``JSON.parse``
would (orjson, and for the inputs orjson refuses but JavaScript accepts, lone surrogate escapes
and numbers beyond the double range, Python's ``json``), then check its structure
(:mod:`~tlsync_core.protocol.validation`). A server message is parsed wrapped in as many arrays
as let orjson's own depth limit (1024) refuse it when it nests deeper than ``max_depth``; what
parses so is JSON within that depth, so the records it carries are not walked again (a
10,000-shape connect answer: ~12 ms less). Whatever is wrong — not UTF-8, not JSON, too big, too
deep, not a message — raises :class:`~tlsync_core.protocol.errors.ProtocolError` and nothing
else. Unlike ``TextDecoder``, invalid UTF-8 is refused rather than replaced by U+FFFD.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, Final, NoReturn

import orjson

from tlsync_core.gc_pause import LARGE_MESSAGE, gc_paused
from tlsync_core.protocol.errors import ProtocolError
from tlsync_core.protocol.messages import ClientMessage, ServerMessage
from tlsync_core.protocol.validation import (
    MAX_NESTING_DEPTH,
    validate_client_message,
    validate_server_message,
)
from tlsync_core.protocol.versions import Dialect
from tlsync_core.store.jsvalue import is_array_index, json_quote, number_to_string, to_js_number

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "MAX_SERVER_MESSAGE_DEPTH",
    "loads_frame",
    "parse_client_message",
    "parse_server_message",
    "serialize_message",
]

#: Default limit on a frame (or an assembled chunked message): characters of a ``str``, bytes
#: of a ``bytes``. A 1,000-shape room hydrates in about 0.5 MB.
DEFAULT_MAX_MESSAGE_SIZE: Final = 64 * 1024 * 1024

#: How deeply a server message may nest (containers, counting the message itself) for
#: :func:`parse_server_message`.  tldraw's client reads whatever ``JSON.parse`` reads; ours
#: goes as deep as orjson parses (1024) with a margin.  A room (ours: the client limit
#: ``MAX_NESTING_DEPTH``, 128) sends a record at most 3 levels deeper than a push carries it
#: (``data`` → ``patch`` → ``diff`` → op), so whatever it accepts from one client every client
#: can read back.
MAX_SERVER_MESSAGE_DEPTH: Final = 1000

_BOM: Final = b"\xef\xbb\xbf"
_NOT_WITHIN: Final = object()


def _orjson_max_depth() -> int | None:
    """How many nested containers orjson parses: 1024 since orjson 3.9.15, which refuses
    deeper text ("depth limit exceeded"); ``None`` if this orjson does not stop exactly there."""

    def parses(depth: int) -> bool:
        try:
            orjson.loads("[" * depth + "]" * depth)
        except orjson.JSONDecodeError:
            return False
        return True

    return 1024 if parses(1024) and not parses(1025) else None


#: orjson's nesting limit (probed once): what lets :func:`parse_server_message` know that a
#: parsed message nests within its ``max_depth`` without walking it.
_ORJSON_MAX_DEPTH: Final = _orjson_max_depth()

# Which outputs of orjson JavaScript would write differently (see _needs_exact).
_INTEGRAL_FLOAT: Final = re.compile(rb"\.0[,\]}]")
_SKELETON: Final = bytes(
    ord("0")
    if chr(c).isdigit() and c < 128
    else ord(":")
    if chr(c) in ":,[]{}+-"
    else ord("e")
    if chr(c) in "eE"
    else c
    if chr(c) in '."'
    else ord("x")
    for c in range(256)
)


# --------------------------------------------------------------------------------------------
# writing


def serialize_message(message: Mapping[str, Any]) -> str:
    """The JSON text of ``message``, byte for byte what ``JSON.stringify`` writes for it.

    Raises ``TypeError`` for a value JSON cannot hold (a non-string key, a set, an object).
    """
    try:
        out = orjson.dumps(message)
    except TypeError:
        return _serialize_exact(message)
    # _needs_exact(out), its first checks inline (this is the hot path of every send)
    if _INTEGRAL_FLOAT.search(out) is None:
        skeleton = out.translate(_SKELETON).decode()
        if ':"0' not in skeleton and ":0000000000000000" not in skeleton and "0e:0" not in skeleton:
            return out.decode()
    if _needs_exact(out):
        return _serialize_exact(message)
    return out.decode()


def _needs_exact(out: bytes) -> bool:
    """Whether orjson's ``out`` may differ from ``JSON.stringify``'s text for the same value.

    In orjson's compact output a number follows ``:``, ``,`` or ``[`` (or ``-``). It differs
    from JavaScript's when it is an integral float (``1.0``: ``.0`` before ``,``, ``]`` or
    ``}``), when it has an exponent (orjson writes ``1e+16`` and ``1e-6`` where JavaScript
    still writes digits), or when it is an integer of 16 or more digits (JavaScript prints at
    most 17 significant digits). An integer-like key (``"0"``, ``"12"``) may have to move to the
    front. These are found as substrings of a skeleton of the text (digits as ``0``,
    punctuation as ``:``, letters but ``e`` as ``x``); they may also hit inside strings, which
    costs the exact path, never correctness.
    """
    if _INTEGRAL_FLOAT.search(out) is not None:
        return True
    skeleton = out.translate(_SKELETON).decode()
    if ':"0' in skeleton or ":0000000000000000" in skeleton:
        return True
    at = skeleton.find("0e:0")
    while at >= 0:  # an exponent, unless this is inside a string such as an id "a1e-5"
        start = at
        while start > 0 and skeleton[start - 1] in "0.":
            start -= 1
        if start > 0 and skeleton[start - 1] == ":":
            return True
        at = skeleton.find("0e:0", at + 4)
    return False


def _serialize_exact(message: Mapping[str, Any]) -> str:
    return orjson.dumps(_js_view(message, 0)).decode()


_MAX_WRITE_DEPTH: Final = 10_000


def _js_view(value: Any, depth: int) -> Any:
    """A copy of ``value`` that orjson writes as ``JSON.stringify`` would write ``value``."""
    t = type(value)
    if t is str:
        return value if value.isascii() else _js_string(value)
    if t is bool or value is None:
        return value
    if t is int:
        return value if -(2**53) <= value <= 2**53 else orjson.Fragment(_js_number(value))
    if t is float:
        return orjson.Fragment(_js_number(value))
    if depth > _MAX_WRITE_DEPTH:
        raise TypeError("cannot serialize: nested too deeply")
    if isinstance(value, Mapping):
        keys = list(value)
        for key in keys:
            if type(key) is not str and not isinstance(key, str):
                raise TypeError(f"cannot serialize a non-string key {key!r}")
        if any(is_array_index(k) for k in keys):
            indexes = sorted((k for k in keys if is_array_index(k)), key=int)
            keys = indexes + [k for k in keys if not is_array_index(k)]
        out: dict[str, Any] = {}
        for key in keys:
            plain = str.__str__(key)
            if not plain.isascii() and not _encodable(plain):
                return orjson.Fragment(_pure_json(value))
            out[plain] = _js_view(value[key], depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [_js_view(item, depth + 1) for item in value]
    if isinstance(value, str):
        return _js_view(str.__str__(value), depth)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return _js_view(int(value), depth)
    if isinstance(value, float):
        return _js_view(float(value), depth)
    if isinstance(value, orjson.Fragment):
        return value
    raise TypeError(f"cannot serialize a {type(value).__name__} as JSON")


def _js_number(value: int | float) -> str:
    x = to_js_number(value)
    return number_to_string(x) if math.isfinite(x) else "null"


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _js_string(text: str) -> Any:
    if _encodable(text):
        return text
    # surrogates: join well-formed pairs, escape lone ones as JSON.stringify does
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return orjson.Fragment(json_quote(joined).encode("utf-8", "surrogatepass"))


def _pure_json(value: Any) -> bytes:
    """The rare case orjson cannot write at all: a key with a lone surrogate."""
    if isinstance(value, Mapping):
        members = []
        keys = list(value)
        indexes = sorted((k for k in keys if is_array_index(k)), key=int)
        for key in indexes + [k for k in keys if not is_array_index(k)]:
            name = key.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
            members.append(json_quote(name).encode("utf-8") + b":" + _pure_json(value[key]))
        return b"{" + b",".join(members) + b"}"
    if isinstance(value, list | tuple):
        return b"[" + b",".join(_pure_json(item) for item in value) + b"]"
    return orjson.dumps(_js_view(value, 0))


# --------------------------------------------------------------------------------------------
# reading


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _parse_int(text: str) -> int | float:
    # JavaScript numbers are doubles; very long integers are read as such (no digit limit)
    return int(text) if len(text) <= 18 else float(text)


def _what(value: object) -> str:
    return type(value).__name__


def loads_frame(data: str | bytes | bytearray | memoryview, *, max_size: int | None = None) -> Any:
    """Parse one frame's JSON as ``JSON.parse`` would, or raise :class:`ProtocolError`.

    ``max_size`` (default :data:`DEFAULT_MAX_MESSAGE_SIZE`; ``None`` means the default) limits
    the frame: characters for ``str``, bytes otherwise.
    """
    limit = DEFAULT_MAX_MESSAGE_SIZE if max_size is None else max_size
    if isinstance(data, str):
        if len(data) > limit:
            raise ProtocolError(f"message too large: {len(data)} characters (limit {limit})")
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as error:
            return _loads_fallback(data, error)
    if isinstance(data, bytearray | memoryview):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise ProtocolError(f"a frame is text (str) or binary (bytes), got {_what(data)}")
    if len(data) > limit:
        raise ProtocolError(f"message too large: {len(data)} bytes (limit {limit})")
    if data.startswith(_BOM):
        data = data[3:]
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise ProtocolError(
                f"binary frame is not UTF-8 ({bad.reason} at byte {bad.start})"
            ) from None
        return _loads_fallback(text, error)


def _loads_fallback(text: str, error: orjson.JSONDecodeError) -> Any:
    if "recursion" in str(error):
        raise ProtocolError("invalid JSON: nested too deeply") from None
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int)
    except RecursionError:
        raise ProtocolError("invalid JSON: nested too deeply") from None
    except ValueError:
        raise ProtocolError(f"invalid JSON: {error}") from None


def parse_client_message(
    data: str | bytes | bytearray | memoryview,
    *,
    dialect: Dialect | None = None,
    max_size: int | None = None,
    max_depth: int = MAX_NESTING_DEPTH,
) -> ClientMessage:
    """Parse and check a message a client sent (after chunk assembly).

    ``dialect``: the session's (3 or 8) once connected, ``None`` to accept either; see
    :func:`~tlsync_core.protocol.validation.validate_client_message` for what is accepted and
    which unknown fields are tolerated. Raises :class:`ProtocolError` (or its subclass
    :class:`~tlsync_core.protocol.errors.UnsupportedProtocolVersionError` for a connect request
    in a version we do not speak).
    """
    value, _ = _load(data, DEFAULT_MAX_MESSAGE_SIZE if max_size is None else max_size)
    return validate_client_message(value, dialect=dialect, max_depth=max_depth)


def parse_server_message(
    data: str | bytes | bytearray | memoryview,
    *,
    dialect: Dialect | None = None,
    max_size: int | None = None,
    max_depth: int = MAX_SERVER_MESSAGE_DEPTH,
) -> ServerMessage:
    """Parse and check a message a server sent.

    ``dialect``: the one the client announced (3 or 8), ``None`` to accept either; see
    :func:`~tlsync_core.protocol.validation.validate_server_message`. Raises
    :class:`ProtocolError`.
    """
    limit = DEFAULT_MAX_MESSAGE_SIZE if max_size is None else max_size
    value, within_depth = _load(data, limit, max_depth)
    return validate_server_message(
        value, dialect=dialect, max_depth=max_depth, parsed_json=within_depth
    )


def _load(
    data: str | bytes | bytearray | memoryview, limit: int, max_depth: int | None = None
) -> tuple[Any, bool]:
    """The frame's JSON value, and whether it is known to nest at most ``max_depth`` containers
    (see :func:`_loads_within`; never known for ``None``). Large frames are parsed with the GC
    paused (gc_pause)."""
    if isinstance(data, str | bytes | bytearray | memoryview) and len(data) >= LARGE_MESSAGE:
        with gc_paused():
            return _load_now(data, limit, max_depth)
    return _load_now(data, limit, max_depth)


def _load_now(
    data: str | bytes | bytearray | memoryview, limit: int, max_depth: int | None
) -> tuple[Any, bool]:
    if max_depth is not None:
        value = _loads_within(data, limit, max_depth)
        if value is not _NOT_WITHIN:
            return value, True
    if type(data) is str and len(data) <= limit:
        try:
            return orjson.loads(data), False  # the common case, inline
        except orjson.JSONDecodeError:
            pass
    return loads_frame(data, max_size=limit), False


def _loads_within(data: str | bytes | bytearray | memoryview, limit: int, max_depth: int) -> Any:
    """``data`` (text or bytes within ``limit``) parsed by orjson inside ``pad`` extra arrays,
    so that orjson's own depth limit refuses a value nesting more than ``max_depth``
    containers; :data:`_NOT_WITHIN` if orjson refuses it (too deep, not JSON, JSON only to
    Python's parser, a BOM) or orjson's limit is unknown: the exact path then decides."""
    pad = -1 if _ORJSON_MAX_DEPTH is None else _ORJSON_MAX_DEPTH - max_depth
    if pad < 0 or not isinstance(data, str | bytes) or len(data) > limit:
        return _NOT_WITHIN
    try:
        if isinstance(data, str):
            value = orjson.loads("[" * pad + data + "]" * pad)
        else:
            value = orjson.loads(b"[" * pad + data + b"]" * pad)
    except orjson.JSONDecodeError:
        return _NOT_WITHIN
    for _ in range(pad):
        # each added array holds exactly one value, or data was not one JSON text (``1],[2``)
        if type(value) is not list or len(value) != 1:
            return _NOT_WITHIN
        value = value[0]
    return value

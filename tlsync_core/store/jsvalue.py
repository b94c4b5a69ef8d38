"""The JavaScript view of Python JSON values, for code that must behave exactly like tldraw's.

tldraw's store code runs on JavaScript values; tlsync runs on the Python values that the same
JSON parses to. This module says, in one place, how each Python value is seen from JavaScript,
and implements the few JavaScript operations whose results leak into behaviour or error text:
``typeof``, ``Object.is``, ``===``, ``String(v)``, ``JSON.stringify(v)``, number formatting and
own-property enumeration order; JavaScript truthiness and ``Number(string)``; and lodash
``isEqual`` (:func:`js_equal`), which tldraw uses wherever it compares values. mypyc compiles
this module at install time (setup.py), for the diffs' sake: keep it plain, typed Python,
and test types with ``isinstance(v, (int, float))``: compiled, ``int | float`` builds a union
object on every call (about 60 ns; issue 19).

The mapping:

========================  ===================================================================
Python                    JavaScript
========================  ===================================================================
``None``                  ``null``
:data:`UNDEFINED`         ``undefined`` (in a dict: the key is absent)
``bool``                  boolean (never a number: ``True`` is not ``1``)
``int``, ``float``        number; an ``int`` too large for a double is ``±Infinity``, as
                          ``JSON.parse`` would make it
``str``                   string; its ``length`` counts UTF-16 code units
``list``                  array: own keys ``"0"``…``"n-1"`` and ``"length"``
``dict`` (``str`` keys)   plain object; own keys enumerate integer-like keys first, ascending,
                          then the others in insertion order
anything else             a foreign value: ``typeof`` is ``"object"``, but it is neither an
                          array nor an object, so structural validators reject it
========================  ===================================================================
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable
from typing import Any, Final, Literal

__all__ = [
    "CANNOT_CONVERT_TO_PRIMITIVE",
    "UNDEFINED",
    "Undefined",
    "get_own",
    "has_own",
    "is_array_index",
    "is_number",
    "js_equal",
    "js_truthy",
    "json_quote",
    "json_stringify",
    "number_to_string",
    "own_keys",
    "same_value",
    "same_value_zero",
    "strict_equals",
    "string_to_number",
    "to_js_number",
    "to_string",
    "type_to_string",
    "typeof",
    "utf16_length",
]


class Undefined(enum.Enum):
    """The type of :data:`UNDEFINED` (an enum so that ``x is UNDEFINED`` narrows types)."""

    UNDEFINED = "undefined"

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Final = Undefined.UNDEFINED
"""JavaScript's ``undefined``: what a validator sees for an absent key."""

CANNOT_CONVERT_TO_PRIMITIVE: Final = "Cannot convert object to primitive value"
"""The message of the ``TypeError`` JavaScript throws when ``String(v)`` finds no primitive."""

_MAX_ARRAY_INDEX: Final = 2**32 - 2
# ints at least this large (in magnitude) may not fit a double; smaller ones always do
_SAFE_INT_BOUND: Final = 2**1023


def is_number(value: object) -> bool:
    """Whether ``value`` is a JavaScript number: an ``int`` or ``float``, never a ``bool``."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def to_js_number(value: int | float) -> float:
    """The double JavaScript holds for ``value``: a too-large ``int`` becomes ``±inf``."""
    if isinstance(value, float):
        return value
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def typeof(value: object) -> str:
    """JavaScript's ``typeof``: ``"undefined"``, ``"boolean"``, ``"number"``, ``"string"`` or
    ``"object"`` (``null``, arrays, objects and foreign values)."""
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def type_to_string(value: object) -> str:
    """How tldraw names a value's type in messages: ``null``, ``an array``, ``a number``,
    ``an object``, ``undefined``… A foreign value is named by its Python type (``a tuple``)."""
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


def _number_parts(value: int | float) -> float | None:
    """``value`` as a double if it is a JavaScript number, else ``None``."""
    if isinstance(value, bool):
        return None
    return to_js_number(value)


def same_value(a: object, b: object) -> bool:
    """JavaScript's ``Object.is``: primitives by value (``NaN`` is ``NaN``, ``0`` is not ``-0``,
    ``1`` is ``1.0``, ``True`` is not ``1``); arrays, objects and foreign values by identity."""
    if a is b:
        return True
    if isinstance(a, str):
        return isinstance(b, str) and a == b
    if is_number(a) and is_number(b):
        x = to_js_number(a)  # type: ignore[arg-type]
        y = to_js_number(b)  # type: ignore[arg-type]
        if x == y:
            return x != 0 or math.copysign(1.0, x) == math.copysign(1.0, y)
        return math.isnan(x) and math.isnan(y)
    if isinstance(a, bool) or a is None or a is UNDEFINED:
        return False  # identical singletons were caught by ``is``
    return False


def same_value_zero(a: object, b: object) -> bool:
    """JavaScript's SameValueZero (``Set.has``, ``includes``): ``Object.is`` but ``0`` is ``-0``."""
    if is_number(a) and is_number(b):
        x = to_js_number(a)  # type: ignore[arg-type]
        y = to_js_number(b)  # type: ignore[arg-type]
        return x == y or (math.isnan(x) and math.isnan(y))
    return same_value(a, b)


def strict_equals(a: object, b: object) -> bool:
    """JavaScript's ``===``: SameValueZero except that ``NaN`` equals nothing."""
    if is_number(a) and is_number(b):
        return to_js_number(a) == to_js_number(b)  # type: ignore[arg-type]
    return same_value(a, b)


def number_to_string(value: int | float) -> str:
    """JavaScript's ``String(n)`` for a number: the shortest round-trip digits, ``1e+21`` and
    ``1e-7`` style exponents past the ECMAScript thresholds, ``-0`` printed as ``0``."""
    x = to_js_number(value)
    if math.isnan(x):
        return "NaN"
    if x == math.inf:
        return "Infinity"
    if x == -math.inf:
        return "-Infinity"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    mantissa, _, exponent = repr(abs(x)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + (int(exponent) if exponent else 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k = len(digits)
    if k <= point <= 21:
        text = digits + "0" * (point - k)
    elif 0 < point <= 21:
        text = digits[:point] + "." + digits[point:]
    elif -6 < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        e = point - 1
        text = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-")
        text += str(abs(e))
    return sign + text


def to_string(value: object) -> str:
    """JavaScript's ``String(v)`` (template-literal interpolation): arrays join their items
    with ``,`` (``null``/``undefined`` items as empty), objects are ``[object Object]``.

    Raises ``TypeError(CANNOT_CONVERT_TO_PRIMITIVE)`` where JavaScript throws: for an object
    with an own ``toString`` key, whose value (JSON has no functions) cannot be called."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number_to_string(value)
    if isinstance(value, list):
        return ",".join(
            "" if item is None or item is UNDEFINED else to_string(item) for item in value
        )
    if isinstance(value, dict) and "toString" in value:
        # an own, non-callable toString (JSON has no functions): ToPrimitive finds nothing
        raise TypeError(CANNOT_CONVERT_TO_PRIMITIVE)
    return "[object Object]"


_JSON_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def json_quote(text: str) -> str:
    """``JSON.stringify`` of a string: ``\\uXXXX`` (lower-case hex) for control characters and
    lone surrogates, every other character as itself."""
    out: list[str] = ['"']
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        code = ord(ch)
        if ch in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[ch])
        elif code < 0x20:
            out.append(f"\\u{code:04x}")
        elif 0xD800 <= code <= 0xDFFF:
            nxt = ord(text[i + 1]) if i + 1 < n else 0
            if code <= 0xDBFF and 0xDC00 <= nxt <= 0xDFFF:  # a pair written as two code points
                out.append(ch + text[i + 1])
                i += 1
            else:
                out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
        i += 1
    out.append('"')
    return "".join(out)


def json_stringify(value: object) -> str | None:
    """``JSON.stringify(value)``; ``None`` where JavaScript returns ``undefined`` (for
    ``undefined`` itself). Non-finite numbers become ``null``, ``undefined`` object members are
    left out and ``undefined`` array items become ``null``; keys keep JavaScript's order."""
    if value is UNDEFINED:
        return None
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        x = to_js_number(value)
        return number_to_string(x) if math.isfinite(x) else "null"
    if isinstance(value, str):
        return json_quote(value)
    if isinstance(value, list):
        return "[" + ",".join(json_stringify(item) or "null" for item in value) + "]"
    if isinstance(value, dict):
        members = []
        for key in own_keys(value):
            item = json_stringify(value[key])
            if item is not None:
                members.append(json_quote(str(key)) + ":" + item)
        return "{" + ",".join(members) + "}"
    return "{}"


def utf16_length(text: str) -> int:
    """JavaScript's ``text.length``: UTF-16 code units (a character past U+FFFF counts twice)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def is_array_index(key: object) -> bool:
    """Whether ``key`` is an array index in JavaScript's sense: the canonical decimal string
    of an integer from 0 to 2³²−2 (such keys enumerate first, in numeric order)."""
    if not isinstance(key, str) or not key or not key.isascii() or not key.isdigit():
        return False
    if len(key) > 1 and key[0] == "0":
        return False
    return int(key) <= _MAX_ARRAY_INDEX


def own_keys(value: dict[object, object] | dict[str, object] | object) -> Iterable[object]:
    """The own enumerable keys of an array or object, in ``for…in`` / ``Object.keys`` order.

    For a list: ``"0"``, ``"1"``… (as strings). For a dict: array-index keys in ascending
    numeric order, then the other keys in insertion order. Anything else has none.
    """
    if isinstance(value, dict):
        keys = list(value)
        indexes = [k for k in keys if is_array_index(k)]
        if not indexes:
            return keys
        indexes.sort(key=lambda k: int(str(k)))
        return indexes + [k for k in keys if not is_array_index(k)]
    if isinstance(value, list):
        return [str(i) for i in range(len(value))]
    return ()


def _list_slot(value: list[object], key: object) -> int | Literal[-1]:
    if is_array_index(key):
        index = int(str(key))
        if index < len(value):
            return index
    return -1


def has_own(value: object, key: object) -> bool:
    """``Object.prototype.hasOwnProperty.call(value, key)`` for an array or object (a list
    also owns ``"length"``); ``False`` for anything else."""
    if isinstance(value, dict):
        return key in value
    if isinstance(value, list):
        return key == "length" or _list_slot(value, key) >= 0
    return False


def get_own(value: object, key: object) -> object:
    """tldraw's ``getOwnProperty(value, key)``: the own property, or :data:`UNDEFINED`."""
    if isinstance(value, dict):
        return value.get(key, UNDEFINED)
    if isinstance(value, list):
        if key == "length":
            return len(value)
        slot = _list_slot(value, key)
        return value[slot] if slot >= 0 else UNDEFINED
    return UNDEFINED


# ---------------------------------------------------------------------------------------------
# truthiness, Number(string) and lodash isEqual
# ---------------------------------------------------------------------------------------------

_isnan: Final = math.isnan


def js_truthy(value: object) -> bool:
    """JavaScript truthiness: ``null``, ``undefined``, ``false``, ``0``, ``-0``, ``NaN`` and
    ``""`` are falsy; everything else is truthy, **including** ``{}`` and ``[]`` (unlike
    Python's ``bool``)."""
    if value is None or value is False or value is UNDEFINED:
        return False
    kind = type(value)
    if kind is str:
        return value != ""
    if kind is int:
        return value != 0
    if kind is float:
        return value != 0.0 and not _isnan(value)  # type: ignore[arg-type]  # NaN is falsy
    if kind is dict or kind is list or kind is bool:
        return True
    if isinstance(value, str):
        return len(value) > 0
    if isinstance(value, (int, float)):
        return value != 0 and not _isnan(value)
    return True


# JavaScript's WhiteSpace and LineTerminator code points (what Number() trims)
_JS_WHITESPACE: Final = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_DECIMAL_LITERAL: Final = re.compile(
    r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)", re.ASCII
)
_PREFIXED_LITERAL: Final = re.compile(r"0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)", re.ASCII)
_RADIX: Final = {"x": 16, "o": 8, "b": 2}


def string_to_number(text: str) -> float:
    """JavaScript's ``Number(text)`` for a string: surrounding whitespace is ignored, ``""`` is
    ``0``, decimal literals (``"1e3"``, ``".5"``, ``"-Infinity"``) and ``0x``/``0o``/``0b``
    literals are read, anything else is ``NaN``."""
    stripped = text.strip(_JS_WHITESPACE)
    if not stripped:
        return 0.0
    if _DECIMAL_LITERAL.fullmatch(stripped):
        if stripped.endswith("Infinity"):
            return -math.inf if stripped[0] == "-" else math.inf
        return float(stripped)
    if _PREFIXED_LITERAL.fullmatch(stripped):
        return to_js_number(int(stripped[2:], _RADIX[stripped[1].lower()]))
    return math.nan


# magnitudes past which two different ints can be the same double
_EXACT_INT_BOUND: Final = 2**53


def _numbers_equal(a: int | float, b: int | float) -> bool:
    x = to_js_number(a)
    y = to_js_number(b)
    return x == y or (_isnan(x) and _isnan(y))


class _Absent:
    """A dict lookup's default that no JSON value can be."""


_ABSENT: Final = _Absent()


def js_equal(a: object, b: object) -> bool:
    """lodash ``isEqual`` (tldraw's deep equality) on the JavaScript view of ``a`` and ``b``.

    Structural: dicts by their keys and values (key order ignored, a missing key is not a key
    holding ``None``), lists item by item. Numbers by value: ``1`` equals ``1.0``, ``0``
    equals ``-0.0``, ``NaN`` equals ``NaN``, and two ints too large for a double are equal when
    JavaScript would round them to the same one. ``True`` is not ``1``; a list is never equal to
    a dict; :data:`UNDEFINED` equals only itself. Other Python values compare with ``==``.
    """
    if a is b:
        return True
    kind = type(a)
    if kind is type(b):
        if kind is str:
            return a == b
        if kind is float:
            return a == b or (_isnan(a) and _isnan(b))  # type: ignore[arg-type]
        if kind is dict:
            return _dicts_equal(a, b)  # type: ignore[arg-type]
        if kind is list:
            return _lists_equal(a, b)  # type: ignore[arg-type]
        if kind is int:
            if a == b:
                return True
            bound = _EXACT_INT_BOUND
            return (
                not -bound <= a <= bound  # type: ignore[operator]
                or not -bound <= b <= bound  # type: ignore[operator]
            ) and _numbers_equal(a, b)  # type: ignore[arg-type]
        if kind is bool or a is None:
            return False  # distinct singletons
    return _mixed_equal(a, b)


def _dicts_equal(a: dict[Any, Any], b: dict[Any, Any]) -> bool:
    if len(a) != len(b):
        return False
    get = b.get
    for key, x in a.items():
        y = get(key, _ABSENT)
        if x is y:
            continue
        kind = type(x)
        if kind is str:
            if type(y) is not str or x != y:
                return False
        elif kind is float and type(y) is float:
            if x != y and not (_isnan(x) and _isnan(y)):
                return False
        elif y is _ABSENT or not js_equal(x, y):
            return False
    return True


def _lists_equal(a: list[Any], b: list[Any]) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x is y:
            continue
        kind = type(x)
        if kind is str:
            if type(y) is not str or x != y:
                return False
        elif kind is float and type(y) is float:
            if x != y and not (_isnan(x) and _isnan(y)):
                return False
        elif not js_equal(x, y):
            return False
    return True


def _mixed_equal(a: object, b: object) -> bool:
    """:func:`js_equal` for values of different Python types, or of unusual ones."""
    if a is None or b is None or a is UNDEFINED or b is UNDEFINED:
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return False  # two bools of the same type were handled by the caller
    if isinstance(a, str):
        return isinstance(b, str) and str.__eq__(a, b)
    if isinstance(a, (int, float)):
        return isinstance(b, (int, float)) and _numbers_equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and _dicts_equal(a, b)
    if isinstance(a, list):
        return isinstance(b, list) and _lists_equal(a, b)
    if isinstance(b, (str, int, float, dict, list)):
        return False
    return bool(a == b)

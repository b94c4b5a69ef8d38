"""Fractional index keys (tldraw's ``IndexKey``): the ordering strings of shapes and pages.

An index key is an integer part followed by an optional fraction part, in base 62 (digits
``0-9A-Za-z``). The first character encodes the integer part's length: ``a``…``z`` give 2…27
characters, ``Z``…``A`` give 2…27 characters for negative integers. tldraw 5.4.2
(``validateIndexKey`` in ``@tldraw/utils``) checks only three things, and so do we:

* the first character is an ASCII letter and the key is at least as long (in UTF-16 code
  units) as the integer part it announces;
* the key is not ``A`` followed by 26 zeros (the reserved smallest integer);
* a key with a fraction part does not end in ``0``.

It does not check that the other characters are base-62 digits (``a!`` is accepted).
"""

from __future__ import annotations

import itertools
import random
from typing import Final

from . import randomness
from .jsvalue import utf16_length

__all__ = [
    "ZERO_INDEX_KEY",
    "get_index_above",
    "get_index_below",
    "get_index_between",
    "get_indices",
    "get_indices_between",
    "is_valid_index_key",
    "validate_index_key",
]

ZERO_INDEX_KEY: Final = "a0"
"""The index key of the first item."""

_SMALLEST_INTEGER: Final = "A" + "0" * 26


def is_valid_index_key(key: str) -> bool:
    """Whether tldraw 5.4.2 accepts ``key`` as an index key (see the module docstring)."""
    if not key or key == _SMALLEST_INTEGER:
        return False
    head = key[0]
    if "a" <= head <= "z":
        integer_length = ord(head) - ord("a") + 2
    elif "A" <= head <= "Z":
        integer_length = ord("Z") - ord(head) + 2
    else:
        return False
    length = utf16_length(key)
    if integer_length > length:
        return False
    return not (length > integer_length and key[-1] == "0")


def validate_index_key(key: str) -> str:
    """Return ``key`` if it is a valid index key, else raise ``ValueError('invalid index: …')``
    (the message of tldraw's ``validateIndexKey``)."""
    if not is_valid_index_key(key):
        raise ValueError(f"invalid index: {key}")
    return key


# --------------------------------------------------------------------------------------------
# Generating keys (tldraw's ``getIndexBetween`` & co.): the fractional-indexing algorithm of
# ``@tldraw/utils`` 5.4.2.  Keys between two neighbours are spread evenly; with jitter (the
# default, as in tldraw outside its tests) each key then takes 16 random bisections inside its
# slot, so clients inserting at the same place at once rarely produce the same key.

_DIGITS: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_JITTER_BITS: Final = 16


def _integer_part(key: str) -> str:
    head = key[0]
    if "a" <= head <= "z":
        length = ord(head) - ord("a") + 2
    elif "A" <= head <= "Z":
        length = ord("Z") - ord(head) + 2
    else:
        raise ValueError(f"invalid order key head: {head}")
    if length > len(key):
        raise ValueError(f"invalid order key: {key}")
    return key[:length]


def _midpoint(a: str, b: str | None) -> str:
    """A fraction strictly between ``a`` ("" = 0) and ``b`` (None = 1)."""
    if b is not None and a >= b:
        raise ValueError(f"{a} >= {b}")
    if a.endswith("0") or (b and b.endswith("0")):
        raise ValueError("trailing zero")
    if b:
        n = 0
        while n < len(b) and (a[n] if n < len(a) else "0") == b[n]:
            n += 1
        if n > 0:
            return b[:n] + _midpoint(a[n:], b[n:])
    digit_a = _DIGITS.index(a[0]) if a else 0
    digit_b = _DIGITS.index(b[0]) if b is not None else len(_DIGITS)
    if digit_b - digit_a > 1:
        return _DIGITS[_js_round((digit_a + digit_b) / 2)]
    if b and len(b) > 1:
        return b[:1]
    return _DIGITS[digit_a] + _midpoint(a[1:], None)


def _js_round(x: float) -> int:
    """``Math.round``: halves go up."""
    return int(x + 0.5) if x >= 0 else -int(-x + 0.5)


def _step_integer(x: str, step: int) -> str | None:
    """The integer part after (``step=1``) or before (``step=-1``) ``x``; None at the end."""
    head, digits = x[0], list(x[1:])
    wrap = "0" if step == 1 else "z"
    carry = True
    for i in range(len(digits) - 1, -1, -1):
        d = _DIGITS.index(digits[i]) + step
        if 0 <= d < len(_DIGITS):
            digits[i] = _DIGITS[d]
            carry = False
            break
        digits[i] = wrap
    if not carry:
        return head + "".join(digits)
    if step == 1:
        if head == "Z":
            return "a0"
        if head == "z":
            return None
        new_head = chr(ord(head) + 1)
        grows = new_head > "a"
    else:
        if head == "a":
            return "Zz"
        if head == "A":
            return None
        new_head = chr(ord(head) - 1)
        grows = new_head < "Z"
    if grows:
        digits.append(wrap)
    else:
        digits.pop()
    return new_head + "".join(digits)


def _key_between(a: str | None, b: str | None) -> str:
    if a is not None and b is not None and a >= b:
        raise ValueError(f"{a} >= {b}")
    if a is None:
        if b is None:
            return "a0"
        ib = _integer_part(b)
        if ib == _SMALLEST_INTEGER:
            return ib + _midpoint("", b[len(ib) :])
        if ib < b:
            return ib
        below = _step_integer(ib, -1)
        if below is None:
            raise ValueError("cannot decrement any more")
        return below
    ia = _integer_part(a)
    fa = a[len(ia) :]
    if b is None:
        above = _step_integer(ia, 1)
        return ia + _midpoint(fa, None) if above is None else above
    ib = _integer_part(b)
    if ia == ib:
        return ia + _midpoint(fa, b[len(ib) :])
    above = _step_integer(ia, 1)
    if above is None:
        raise ValueError("cannot increment any more")
    return above if above < b else ia + _midpoint(fa, None)


def _keys_between(a: str | None, b: str | None, n: int) -> list[str]:
    if n == 0:
        return []
    if n == 1:
        return [_key_between(a, b)]
    if b is None or a is None:
        keys = [_key_between(a, b)]
        for _ in range(n - 1):
            keys.append(_key_between(keys[-1], b) if b is None else _key_between(a, keys[-1]))
        return keys if b is None else keys[::-1]
    mid = n // 2
    c = _key_between(a, b)
    return [*_keys_between(a, c, mid), c, *_keys_between(c, b, n - mid - 1)]


def _jittered(low: str | None, high: str | None, rng: random.Random) -> str:
    mid = _key_between(low, high)
    for _ in range(_JITTER_BITS):
        if rng.random() < 0.5:
            low = mid
        else:
            high = mid
        mid = _key_between(low, high)
    return mid


def get_indices_between(
    below: str | None, above: str | None, n: int, *, jitter: bool | random.Random = True
) -> list[str]:
    """``n`` index keys, in order, strictly between ``below`` and ``above`` (None: no bound).

    ``jitter``: True (tldraw's default) spreads each key randomly inside its slot (from the
    OS's generator, or a test's seed: :func:`tlsync_core.testing.deterministic_ids`); a
    ``random.Random`` does the same reproducibly; False gives tldraw's deterministic keys (its
    test mode).  Raises ``ValueError`` for invalid bounds or ``below >= above``.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if n == 0:
        return []
    for bound in (below, above):
        if bound is not None and not is_valid_index_key(bound):
            raise ValueError(f"invalid order key: {bound}")
    if jitter is False:
        return _keys_between(below, above, n)
    rng = randomness.source() if jitter is True else jitter
    slots = _keys_between(below, above, n + 1)
    return [_jittered(low, high, rng) for low, high in itertools.pairwise(slots)]


def get_index_between(
    below: str | None, above: str | None, *, jitter: bool | random.Random = True
) -> str:
    """One index key strictly between ``below`` and ``above`` (see :func:`get_indices_between`)."""
    return get_indices_between(below, above, 1, jitter=jitter)[0]


def get_index_above(below: str | None = None, *, jitter: bool | random.Random = True) -> str:
    """An index key above ``below`` (None: the first key)."""
    return get_indices_between(below, None, 1, jitter=jitter)[0]


def get_index_below(above: str | None = None, *, jitter: bool | random.Random = True) -> str:
    """An index key below ``above``."""
    return get_indices_between(None, above, 1, jitter=jitter)[0]


def get_indices(n: int, start: str = "a1", *, jitter: bool | random.Random = True) -> list[str]:
    """``start`` followed by ``n`` keys above it (tldraw's ``getIndices``)."""
    return [start, *get_indices_between(start, None, n, jitter=jitter)]

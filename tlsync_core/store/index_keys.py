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

from typing import Final

from .jsvalue import utf16_length

__all__ = ["ZERO_INDEX_KEY", "is_valid_index_key", "validate_index_key"]

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

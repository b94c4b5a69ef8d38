"""The error validators raise, with tldraw's message format.

A :class:`ValidationError` carries the raw message and the path to the offending value. Its
text (``str(error)``, ``error.message``) is exactly what ``@tldraw/validate`` 5.4.2 puts in
``error.message``, for example ``At shape(type = geo).props.w: Expected number, got a string``:

* integer path items print as ``.0``; string items as ``.key``;
* an item starting with ``(`` (a union discriminator ``(type = geo)`` or a named check
  ``(check foo)``) is glued to the previous item, and two in a row merge into
  ``(type = geo, check foo)``;
* the first ``id = …,`` and the first ``id = …`` inside such parentheses are removed (tldraw keeps
  record ids out of messages so that they group well in error trackers);
* a leading dot is dropped, and an empty path, or one that formats to nothing, gives no ``At``;
* continuation lines of a multi-line message are indented by two spaces.

The root name, such as ``shape``, is the first path item: ``model(name, …)`` adds it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

__all__ = ["PathItem", "ValidationError", "format_path"]

PathItem = str | int
"""One step of a path: an object key or an array index."""

_ID_BEFORE_COMMA: Final = re.compile(r"id = [^,]+, ")
_ID_BEFORE_PAREN: Final = re.compile(r"id = [^)]+")


def format_path(path: Sequence[PathItem]) -> str | None:
    """The path as tldraw prints it after ``At``; ``None`` for an empty path."""
    if not path:
        return None
    formatted = ""
    for item in path:
        if isinstance(item, int):
            formatted += f".{item}"
        elif item.startswith("("):
            if formatted.endswith(")"):
                formatted = f"{formatted[:-1]}, {item[1:]}"
            else:
                formatted += item
        else:
            formatted += f".{item}"
    formatted = _ID_BEFORE_COMMA.sub("", formatted, count=1)
    formatted = _ID_BEFORE_PAREN.sub("", formatted, count=1)
    return formatted[1:] if formatted.startswith(".") else formatted


class ValidationError(Exception):
    """A value failed validation.

    ``raw_message`` is the message without location; ``path`` leads from the validated root to
    the offending value (``str`` keys, ``int`` array indexes, and ``"(key = variant)"`` /
    ``"(check name)"`` markers). ``str(error)`` and :attr:`message` give tldraw's text.
    Errors are immutable: a container that catches one raises a new one with a longer path.
    """

    __slots__ = ("_message", "path", "raw_message")

    def __init__(self, raw_message: str, path: Sequence[PathItem] = ()) -> None:
        super().__init__(raw_message)
        self.raw_message: str = raw_message
        self.path: tuple[PathItem, ...] = tuple(path)
        self._message: str | None = None

    @property
    def message(self) -> str:
        """The full message, as ``error.message`` in tldraw."""
        if self._message is None:
            formatted = format_path(self.path)
            indented = self.raw_message.replace("\n", "\n  ")
            self._message = f"At {formatted}: {indented}" if formatted else indented
        return self._message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"ValidationError({self.raw_message!r}, {self.path!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.raw_message, self.path))

    def prefixed(self, item: PathItem) -> ValidationError:
        """A new error for the same failure, one level further out (``item`` first)."""
        return ValidationError(self.raw_message, (item, *self.path))

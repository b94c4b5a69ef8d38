"""What the helper modules share: one store operation per call, prop names, rich text."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from tlsync_core.store.store import Store
from tlsync_core.tldraw.misc import to_rich_text

__all__ = ["TextLike", "camel_case", "named_props", "one_operation", "rich_text"]

_R = TypeVar("_R")

TextLike = str | Mapping[str, Any]
"""Plain text (one paragraph per line) or a TipTap rich text document."""


def one_operation(store: Store, fn: Callable[[], _R]) -> _R:
    """Run ``fn`` as one atomic store operation: one transaction, so one diff (one push of a
    sync client); all or nothing when ``fn`` raises."""
    return store.atomic(fn)


def camel_case(name: str) -> str:
    """``vertical_align`` -> ``verticalAlign`` (tldraw's prop names)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def rich_text(text: TextLike) -> dict[str, Any]:
    """A rich text prop: plain text through ``to_rich_text``, a document as it is."""
    return to_rich_text(text) if isinstance(text, str) else dict(text)


def named_props(**values: Any) -> dict[str, Any]:
    """Keyword arguments as tldraw props: camelCase names, None left out, ``text`` as
    ``richText``."""
    props = {camel_case(k): v for k, v in values.items() if v is not None and k != "text"}
    if values.get("text") is not None:
        props["richText"] = rich_text(values["text"])
    return props

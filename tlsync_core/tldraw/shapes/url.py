"""``new URL(text)`` as tldraw's embed migration uses it: components, ``searchParams`` and the
``pathname`` setter, with node's own parser (Ada, through ``ada-url``).

The binding differs from JavaScript's ``URL`` in two places this module smooths over: setting
the pathname of a URL with an opaque path (``mailto:x``) is silently ignored in JavaScript but
raises in the binding; and ``searchParams``, which node does not take from Ada (below).
"""

from __future__ import annotations

import contextlib
import re
from typing import Final

import ada_url

from tlsync_core.store.jsvalue import to_string
from tlsync_core.store.url_parsing import usv_string

__all__ = ["JsUrl", "JsUrlSearchParams", "safe_parse_url"]

_PERCENT_BYTE: Final = re.compile(rb"%([0-9A-Fa-f]{2})")
_FORM_KEEP: Final = frozenset(b"*-._0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


class JsUrlSearchParams:
    """``url.searchParams``: the query as name/value pairs; changes rewrite the URL's query.

    Node implements ``URLSearchParams`` in JavaScript, not with Ada, so the
    ``application/x-www-form-urlencoded`` parsing and serializing is done here as the standard
    says (Ada's own serializer leaves ``\\`` unescaped where node writes ``%5C``).
    """

    __slots__ = ("_pairs", "_url")

    def __init__(self, url: ada_url.URL) -> None:
        self._url = url
        self._pairs: list[tuple[str, str]] = []
        for item in str(url.search).removeprefix("?").split("&"):
            if item:
                name, _, value = item.partition("=")
                self._pairs.append((_form_decode(name), _form_decode(value)))

    def _write_back(self) -> None:
        self._url.search = "&".join(f"{_form_encode(n)}={_form_encode(v)}" for n, v in self._pairs)

    def get(self, name: str) -> str | None:
        """The first value of ``name``, or None."""
        return next((v for n, v in self._pairs if n == name), None)

    def has(self, name: str) -> bool:
        """Whether ``name`` is present."""
        return any(n == name for n, _ in self._pairs)

    def keys(self) -> list[str]:
        """The names, in order (repeated names repeat)."""
        return [n for n, _ in self._pairs]

    def delete(self, name: str) -> None:
        """Remove every pair named ``name``."""
        self._pairs = [(n, v) for n, v in self._pairs if n != name]
        self._write_back()

    def set(self, name: str, value: str) -> None:
        """Give ``name`` the single value ``value`` (in place of its first pair, or appended)."""
        out: list[tuple[str, str]] = []
        placed = False
        for n, v in self._pairs:
            if n != name:
                out.append((n, v))
            elif not placed:
                out.append((n, value))
                placed = True
        if not placed:
            out.append((name, value))
        self._pairs = out
        self._write_back()


def _form_decode(text: str) -> str:
    raw = _PERCENT_BYTE.sub(lambda m: bytes([int(m.group(1), 16)]), text.replace("+", " ").encode())
    return raw.decode("utf-8", "replace")


def _form_encode(text: str) -> str:
    out: list[str] = []
    for byte in usv_string(text).encode("utf-8"):
        if byte == 0x20:
            out.append("+")
        elif byte in _FORM_KEEP:
            out.append(chr(byte))
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


class JsUrl:
    """A parsed URL with JavaScript's ``URL`` accessors."""

    __slots__ = ("_search_params", "_url")

    def __init__(self, url: ada_url.URL) -> None:
        self._url = url
        self._search_params: JsUrlSearchParams | None = None

    @classmethod
    def parse(cls, text: str) -> JsUrl:
        """``new URL(text)``; raises ``ValueError("Invalid URL")`` where JavaScript throws."""
        try:
            return cls(ada_url.URL(usv_string(text)))
        except ValueError:
            raise ValueError("Invalid URL") from None

    @property
    def protocol(self) -> str:
        return str(self._url.protocol)

    @property
    def hostname(self) -> str:
        return str(self._url.hostname)

    @property
    def host(self) -> str:
        return str(self._url.host)

    @property
    def pathname(self) -> str:
        return str(self._url.pathname)

    @pathname.setter
    def pathname(self, value: object) -> None:
        # an opaque path (``mailto:x``) raises in the binding; JavaScript ignores the assignment
        with contextlib.suppress(ValueError):
            self._url.pathname = usv_string(to_string(value))

    @property
    def search(self) -> str:
        return str(self._url.search)

    @property
    def hash(self) -> str:
        return str(self._url.hash)

    @property
    def origin(self) -> str:
        return str(self._url.origin)

    @property
    def search_params(self) -> JsUrlSearchParams:
        if self._search_params is None:
            self._search_params = JsUrlSearchParams(self._url)
        return self._search_params

    @property
    def href(self) -> str:
        return str(self._url.href)


def safe_parse_url(url: object) -> JsUrl | None:
    """tldraw's ``safeParseUrl``: ``new URL(String(url))``, or None where that throws."""
    try:
        return JsUrl.parse(to_string(url))
    except (ValueError, TypeError):
        return None

"""``new URL(text)`` as tldraw's embed migration uses it: components, ``searchParams`` and the
``pathname`` setter, after the WHATWG URL Standard as node 20 implements it.

Whether a text parses at all is decided by :func:`tlsync_core.store.url_parsing.parse_url_protocol`
(the project's model of node's parser); this module then splits an accepted text into the parts
the standard's basic URL parser produces and serializes them back (``href``, ``origin``,
``host``, ``pathname``, ``search``, ``hash``). Hosts are lower-cased, Punycode-converted
(with :mod:`tlsync_core.store.url_parsing`'s approximation of UTS #46 for non-ASCII hosts) and
IPv4/IPv6 addresses normalized; paths lose their ``.``/``..`` segments; every component is
percent-encoded with its own set. ``file:`` URLs keep their host and path but the Windows
drive-letter quirks of the standard are not modelled.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from tlsync_core.store.jsvalue import to_string
from tlsync_core.store.url_parsing import (
    _domain_to_ascii,  # the shared UTS #46 approximation
    _ends_in_number,
    _ipv4_number,
    parse_url_protocol,
)

__all__ = ["JsUrl", "JsUrlSearchParams", "safe_parse_url"]

_SPECIAL_PORTS: Final[dict[str, int | None]] = {
    "ftp": 21,
    "file": None,
    "http": 80,
    "https": 443,
    "ws": 80,
    "wss": 443,
}
_C0_OR_SPACE: Final = "".join(chr(c) for c in range(0x21))
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_PERCENT_BYTE: Final = re.compile(rb"%([0-9A-Fa-f]{2})")
_SINGLE_DOTS: Final = frozenset({".", "%2e"})
_DOUBLE_DOTS: Final = frozenset({"..", ".%2e", "%2e.", "%2e%2e"})


def _c0_control(code: int) -> bool:
    return code < 0x20 or code > 0x7E


def _in_set(extra: str, base: Callable[[int], bool]) -> Callable[[int], bool]:
    codes = frozenset(ord(c) for c in extra)
    return lambda code: base(code) or code in codes


_FRAGMENT_SET: Final = _in_set(' "<>`', _c0_control)
_QUERY_SET: Final = _in_set(' "#<>', _c0_control)
_SPECIAL_QUERY_SET: Final = _in_set("'", _QUERY_SET)
_PATH_SET: Final = _in_set("?`{}", _QUERY_SET)  # node 20 leaves ^ as it is
_USERINFO_SET: Final = _in_set("/:;=@[\\]^|", _PATH_SET)
_FORM_KEEP: Final = frozenset(b"*-._0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def _percent_encode(text: str, encode: Callable[[int], bool]) -> str:
    out: list[str] = []
    for char in text:
        if encode(ord(char)):
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8"))
        else:
            out.append(char)
    return "".join(out)


def _percent_decode(text: str) -> bytes:
    return _PERCENT_BYTE.sub(lambda m: bytes([int(m.group(1), 16)]), text.encode("utf-8"))


def _first_of(text: str, stops: str) -> int:
    for index, char in enumerate(text):
        if char in stops:
            return index
    return len(text)


def _serialize_ipv4(domain: str) -> str:
    parts = domain.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    numbers = [_ipv4_number(part) or 0 for part in parts]
    address = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        address += number * 256 ** (3 - index)
    return ".".join(str((address >> shift) & 0xFF) for shift in (24, 16, 8, 0))


def _parse_ipv6(text: str) -> list[int]:
    """The pieces of an IPv6 address the URL parser already accepted."""
    head, _, tail = text.partition("::") if "::" in text else (text, "", "")
    compressed = "::" in text

    def pieces(part: str) -> list[int]:
        result: list[int] = []
        for chunk in part.split(":") if part else []:
            if "." in chunk:
                octets = [int(o) for o in chunk.split(".")]
                result += [octets[0] << 8 | octets[1], octets[2] << 8 | octets[3]]
            else:
                result.append(int(chunk, 16))
        return result

    first, last = pieces(head), pieces(tail)
    if not compressed:
        return first
    return first + [0] * (8 - len(first) - len(last)) + last


def _serialize_ipv6(pieces: list[int]) -> str:
    best_start, best_length = -1, 1
    index = 0
    while index < 8:
        if pieces[index] == 0:
            end = index
            while end < 8 and pieces[end] == 0:
                end += 1
            if end - index > best_length:
                best_start, best_length = index, end - index
            index = end
        else:
            index += 1
    out = ""
    index = 0
    while index < 8:
        if index == best_start:
            out += "::" if index == 0 else ":"
            index += best_length
            continue
        out += f"{pieces[index]:x}"
        if index != 7:
            out += ":"
        index += 1
    return out


def _parse_host(text: str, *, special: bool) -> str:
    """The serialized host of an accepted URL."""
    if text.startswith("["):
        return "[" + _serialize_ipv6(_parse_ipv6(text[1:-1])) + "]"
    if not special:
        return _percent_encode(text, _c0_control)
    domain = _domain_to_ascii(_percent_decode(text).decode("utf-8", "replace"))
    if domain is None:  # not reached for texts parse_url_protocol accepted
        raise ValueError(f"Invalid URL host: {text}")
    return _serialize_ipv4(domain) if _ends_in_number(domain) else domain


class JsUrlSearchParams:
    """``url.searchParams``: the query as name/value pairs; changes rewrite the URL's query."""

    __slots__ = ("_pairs", "_url")

    def __init__(self, url: JsUrl) -> None:
        self._url = url
        self._pairs: list[tuple[str, str]] = []
        for item in (url.query or "").split("&"):
            if not item:
                continue
            name, _, value = item.partition("=")
            self._pairs.append((self._decode(name), self._decode(value)))

    @staticmethod
    def _decode(text: str) -> str:
        return _percent_decode(text.replace("+", " ")).decode("utf-8", "replace")

    @staticmethod
    def _encode(text: str) -> str:
        out: list[str] = []
        for byte in _SURROGATE.sub("\ufffd", text).encode("utf-8"):
            if byte == 0x20:
                out.append("+")
            elif byte in _FORM_KEEP:
                out.append(chr(byte))
            else:
                out.append(f"%{byte:02X}")
        return "".join(out)

    def _update(self) -> None:
        serialized = "&".join(f"{self._encode(n)}={self._encode(v)}" for n, v in self._pairs)
        self._url.query = serialized or None

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
        self._update()

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
        self._update()


class JsUrl:
    """A parsed URL (the standard's URL record) with JavaScript's ``URL`` accessors."""

    __slots__ = (
        "_search_params",
        "fragment",
        "host_name",
        "password",
        "path",
        "port",
        "query",
        "scheme",
        "username",
    )

    def __init__(self, scheme: str) -> None:
        self.scheme = scheme
        self.username = ""
        self.password = ""
        self.host_name: str | None = None
        self.port: int | None = None
        self.path: list[str] | str = []
        self.query: str | None = None
        self.fragment: str | None = None
        self._search_params: JsUrlSearchParams | None = None

    @property
    def special(self) -> bool:
        return self.scheme in _SPECIAL_PORTS

    @classmethod
    def parse(cls, text: str) -> JsUrl:
        """``new URL(text)``; raises ``ValueError("Invalid URL")`` where JavaScript throws."""
        if parse_url_protocol(text) is None:
            raise ValueError("Invalid URL")
        text = _SURROGATE.sub("\ufffd", text).strip(_C0_OR_SPACE)
        text = text.replace("\t", "").replace("\n", "").replace("\r", "")
        colon = text.index(":")
        url = cls(text[:colon].lower())
        rest = text[colon + 1 :]
        slashes = "/\\" if url.special else "/"
        rest, url.fragment = _split_off(rest, "#")
        if url.scheme == "file":
            rest = url._parse_file(rest)
        elif url.special:
            rest = url._parse_authority(rest.lstrip("/\\"))
        elif rest.startswith("//"):
            rest = url._parse_authority(rest[2:])
        elif not rest.startswith("/"):
            opaque, url.query = _split_off(rest, "?")
            url.path = _percent_encode(opaque, _c0_control)
            url._encode_query_and_fragment()
            return url
        path, url.query = _split_off(rest, "?")
        if path and path[0] in slashes:
            url._parse_path(path[1:])
        elif url.special:
            url._parse_path(path)
        url._encode_query_and_fragment()
        return url

    def _encode_query_and_fragment(self) -> None:
        if self.query is not None:
            encode = _SPECIAL_QUERY_SET if self.special else _QUERY_SET
            self.query = _percent_encode(self.query, encode)
        if self.fragment is not None:
            self.fragment = _percent_encode(self.fragment, _FRAGMENT_SET)

    def _parse_file(self, rest: str) -> str:
        self.host_name = ""
        if rest[:1] in ("/", "\\") and rest[1:2] in ("/", "\\"):
            body = rest[2:]
            end = _first_of(body, "/\\?#")
            host = body[:end]
            if len(host) == 2 and host[0].isascii() and host[0].isalpha() and host[1] in ":|":
                return "/" + body
            parsed = _parse_host(host, special=True) if host else ""
            self.host_name = "" if parsed == "localhost" else parsed
            return body[end:]
        return rest

    def _parse_authority(self, rest: str) -> str:
        end = _first_of(rest, "/?\\" if self.special else "/?")
        authority, rest = rest[:end], rest[end:]
        if "@" in authority:
            userinfo, authority = authority.rsplit("@", 1)
            username, _, password = userinfo.partition(":")
            self.username = _percent_encode(username, _USERINFO_SET)
            self.password = _percent_encode(password, _USERINFO_SET)
        host, port = authority, ""
        inside_brackets = False
        for index, char in enumerate(authority):
            if char == ":" and not inside_brackets:
                host, port = authority[:index], authority[index + 1 :]
                break
            if char == "[":
                inside_brackets = True
            elif char == "]":
                inside_brackets = False
        self.host_name = _parse_host(host, special=self.special)
        if port:
            number = int(port)
            self.port = None if _SPECIAL_PORTS.get(self.scheme, -1) == number else number
        return rest

    def _parse_path(self, text: str) -> None:
        """The path state from its first segment on (the leading slash already consumed)."""
        assert isinstance(self.path, list)
        segments = re.split(r"[/\\]", text) if self.special else text.split("/")
        for index, raw in enumerate(segments):
            last = index == len(segments) - 1
            segment = _percent_encode(raw, _PATH_SET)
            lowered = segment.lower()
            if lowered in _DOUBLE_DOTS:
                if self.path:
                    self.path.pop()
                if last:
                    self.path.append("")
            elif lowered in _SINGLE_DOTS:
                if last:
                    self.path.append("")
            else:
                self.path.append(segment)

    # -- JavaScript's accessors ---------------------------------------------------------------

    @property
    def protocol(self) -> str:
        return self.scheme + ":"

    @property
    def hostname(self) -> str:
        return self.host_name or ""

    @property
    def host(self) -> str:
        if self.host_name is None:
            return ""
        return self.host_name if self.port is None else f"{self.host_name}:{self.port}"

    @property
    def pathname(self) -> str:
        if isinstance(self.path, str):
            return self.path
        return "".join("/" + segment for segment in self.path)

    @pathname.setter
    def pathname(self, value: object) -> None:
        if isinstance(self.path, str):
            return
        text = to_string(value).replace("\t", "").replace("\n", "").replace("\r", "")
        text = _SURROGATE.sub("\ufffd", text)
        self.path = []
        slashes = "/\\" if self.special else "/"
        if text[:1] and text[0] in slashes:
            self._parse_path(text[1:])
        elif self.special or text:
            self._parse_path(text)
        elif self.host_name is None:
            self.path.append("")

    @property
    def search(self) -> str:
        return "?" + self.query if self.query else ""

    @property
    def hash(self) -> str:
        return "#" + self.fragment if self.fragment else ""

    @property
    def origin(self) -> str:
        if not self.special or self.scheme == "file":
            return "null"
        return f"{self.scheme}://{self.host}"

    @property
    def search_params(self) -> JsUrlSearchParams:
        if self._search_params is None:
            self._search_params = JsUrlSearchParams(self)
        return self._search_params

    @property
    def href(self) -> str:
        out = self.protocol
        if self.host_name is not None:
            out += "//"
            if self.username or self.password:
                out += self.username + (":" + self.password if self.password else "") + "@"
            out += self.host
        elif isinstance(self.path, list) and len(self.path) > 1 and self.path[0] == "":
            out += "/."
        out += self.pathname
        if self.query is not None:
            out += "?" + self.query
        if self.fragment is not None:
            out += "#" + self.fragment
        return out


def _split_off(text: str, mark: str) -> tuple[str, str | None]:
    before, found, after = text.partition(mark)
    return before, after if found else None


def safe_parse_url(url: object) -> JsUrl | None:
    """tldraw's ``safeParseUrl``: ``new URL(String(url))``, or None where that throws."""
    try:
        return JsUrl.parse(to_string(url))
    except (ValueError, TypeError):
        return None

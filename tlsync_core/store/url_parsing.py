"""Whether ``new URL(text)`` succeeds in JavaScript, and the protocol it gives.

tldraw's URL validators (``linkUrl``, ``srcUrl``, ``httpUrl``) accept a string when the WHATWG
URL parser accepts it and its protocol is allowed. This module follows the WHATWG URL
Standard's basic URL parser as far as success or failure and the scheme are concerned; it never
builds the URL. It is exact for ASCII hosts (host and port rules, IPv4 with hex and octal parts,
IPv6), ``xn--`` labels included as far as Punycode goes. For hosts with non-ASCII characters
the standard runs UTS #46 (node uses the Ada library's tables); the standard library has no
UTS #46 table, so we approximate it with NFKC case folding and the IDNA 2003 prohibition tables; the
bidi and joiner rules follow what node 20 (Ada 2.9) does. Rare characters (symbols, code points
whose UTS #46 status differs from that approximation, U+200C in a joining context, code points
new in recent Unicode versions) can be judged differently.
"""

from __future__ import annotations

import re
import stringprep
import unicodedata
from typing import Final

__all__ = ["parse_url_protocol"]

_C0_OR_SPACE: Final = "".join(chr(c) for c in range(0x21))
_ASCII_ALPHA: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_SCHEME_CHARS: Final = _ASCII_ALPHA | frozenset("0123456789+-.")
_SPECIAL_SCHEMES: Final = frozenset({"ftp", "http", "https", "ws", "wss", "file"})
_FORBIDDEN_HOST: Final = frozenset("\x00\t\n\r #/:<>?@[\\]^|")
_FORBIDDEN_DOMAIN: Final = _FORBIDDEN_HOST | frozenset(chr(c) for c in range(0x20)) | {"%", "\x7f"}
_HEX: Final = frozenset("0123456789abcdefABCDEF")
_DIGITS: Final = frozenset("0123456789")
_LABEL_DOTS: Final = re.compile("[\u3002\uff0e\uff61]")
_JOINERS: Final = frozenset("\u200c\u200d")
_DEVIATIONS: Final = frozenset("\u00df\u03c2")
_DOTS: Final = frozenset(".\u3002\uff0e\uff61")
# letters UTS #46 disallows although their general category is a letter: the Hangul and
# Khmer fillers
_DISALLOWED_LETTERS: Final = frozenset("\u115f\u1160\u17b4\u17b5\u3164\uffa0")
_VIRAMA: Final = 9  # the canonical combining class of viramas
_DISALLOWED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp", "Zs"})
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_PERCENT_BYTE: Final = re.compile(rb"%([0-9A-Fa-f]{2})")


def parse_url_protocol(text: str, *, relative_to_http: bool = False) -> str | None:
    """The protocol (lower-case scheme and ``:``) of ``new URL(text)``, or ``None`` if it throws.

    With ``relative_to_http``, parse as ``new URL(text, 'http://example.com')`` instead; this
    is only meant for the strings tldraw retries that way, those starting with ``/`` or ``./``.
    """
    text = _SURROGATE.sub("\ufffd", text)  # the parser sees a USVString
    text = text.strip(_C0_OR_SPACE).replace("\t", "").replace("\n", "").replace("\r", "")
    if relative_to_http:
        if not text or text[0] not in "/\\":
            return "http:"  # a path relative to the base: never fails
        if len(text) > 1 and text[1] in "/\\":
            return "http:" if _authority_ok(text.lstrip("/\\"), special=True) else None
        return "http:"
    if not text or text[0] not in _ASCII_ALPHA:
        return None
    end = 1
    while end < len(text) and text[end] in _SCHEME_CHARS:
        end += 1
    if end >= len(text) or text[end] != ":":
        return None
    scheme = text[:end].lower()
    rest = text[end + 1 :]
    if scheme == "file":
        ok = _file_ok(rest)
    elif scheme in _SPECIAL_SCHEMES:
        ok = _authority_ok(rest.lstrip("/\\"), special=True)
    elif rest.startswith("//"):
        ok = _authority_ok(rest[2:], special=False)
    else:
        ok = True  # an opaque path never fails
    return scheme + ":" if ok else None


def _file_ok(rest: str) -> bool:
    if rest[:1] not in ("/", "\\") or rest[1:2] not in ("/", "\\"):
        return True
    body = rest[2:]
    host = body[: _first_of(body, "/\\?#")]
    if host == "" or (len(host) == 2 and host[0] in _ASCII_ALPHA and host[1] in ":|"):
        return True
    return _host_ok(host, special=True)


def _first_of(text: str, stops: str) -> int:
    for index, char in enumerate(text):
        if char in stops:
            return index
    return len(text)


def _authority_ok(rest: str, *, special: bool) -> bool:
    """The authority state, then the host and port states, up to the path."""
    authority = rest[: _first_of(rest, "/?#\\" if special else "/?#")]
    host_and_port = authority
    if "@" in authority:
        host_and_port = authority.rsplit("@", 1)[1]
        if host_and_port == "":
            return False
    inside_brackets = False
    port: str | None = None
    host = host_and_port
    for index, char in enumerate(host_and_port):
        if char == ":" and not inside_brackets:
            host, port = host_and_port[:index], host_and_port[index + 1 :]
            break
        if char == "[":
            inside_brackets = True
        elif char == "]":
            inside_brackets = False
    if host == "" and (port is not None or special):
        return False
    if not _host_ok(host, special=special):
        return False
    return not port or (all(char in _DIGITS for char in port) and int(port) <= 65535)


def _host_ok(host: str, *, special: bool) -> bool:
    if host.startswith("["):
        return host.endswith("]") and len(host) >= 2 and _ipv6_ok(host[1:-1])
    if not special:
        return not any(char in _FORBIDDEN_HOST for char in host)
    decoded = _PERCENT_BYTE.sub(
        lambda m: bytes([int(m.group(1), 16)]), host.encode("utf-8")
    ).decode("utf-8", "replace")
    domain = _domain_to_ascii(decoded)
    if domain is None:
        return False
    if _ends_in_number(domain):
        return _ipv4_ok(domain)
    return True


def _domain_to_ascii(domain: str) -> str | None:
    mapped = domain.lower() if domain.isascii() else _LABEL_DOTS.sub(".", _map(domain))
    converted: list[str] = []
    for label in mapped.split("."):
        if label.startswith("xn--"):
            if not label.isascii() or not _punycode_label_ok(label[4:]):
                return None
            converted.append(label)
        elif label.isascii():
            converted.append(label)
        else:
            if not _label_ok(label):
                return None
            try:
                converted.append("xn--" + label.encode("punycode").decode("ascii"))
            except UnicodeError:
                return None
    result = ".".join(converted)
    if result == "" or any(char in _FORBIDDEN_DOMAIN for char in result):
        return None
    return result


def _map(text: str) -> str:
    """UTS #46 mapping, approximated: drop what IDNA maps to nothing (keeping the joiners,
    which UTS #46 keeps), then NFKC case folding, except for the deviation characters ``ß``
    and ``ς`` that non-transitional processing keeps. A character whose compatibility form
    holds a full stop (``⒈``, ``‥``) is disallowed: it maps to U+FFFD, which no label accepts."""
    kept = []
    for char in text:
        if char in _JOINERS or char in _DEVIATIONS:
            kept.append(char)
        elif stringprep.in_table_b1(char):
            continue
        elif char not in _DOTS and "." in unicodedata.normalize("NFKC", char):
            kept.append("\ufffd")
        else:
            kept.append(unicodedata.normalize("NFKC", char).casefold())
    return unicodedata.normalize("NFKC", "".join(kept))


def _punycode_label_ok(encoded: str) -> bool:
    """An ``xn--`` label: its Punycode decodes to a non-empty label that mapping and NFC leave
    unchanged and that is valid."""
    if encoded == "":
        return False
    try:
        decoded = encoded.encode("ascii").decode("punycode")
    except (UnicodeError, ValueError, IndexError):
        return False
    if decoded == "" or _map(decoded) != decoded:
        return False
    return _label_ok(decoded)


def _label_ok(label: str) -> bool:
    """UTS #46 label validity, approximated with the standard library's Unicode data:
    normalized, no leading combining mark, no code point IDNA prohibits, joiners only after a
    virama, and the bidi rule as node applies it."""
    if unicodedata.normalize("NFC", label) != label:
        return False
    if unicodedata.category(label[0]).startswith("M"):
        return False
    for char in label:
        if char not in _JOINERS and (
            unicodedata.category(char) in _DISALLOWED_CATEGORIES
            or char in _DISALLOWED_LETTERS
            or _prohibited(char)
        ):
            return False
    for index, char in enumerate(label):
        if char in _JOINERS:
            # the first joiner decides: after a virama the label is valid (Ada stops
            # checking there); the joining-type context of U+200C is not modelled
            return index > 0 and unicodedata.combining(label[index - 1]) == _VIRAMA
    return _bidi_ok(label)


_RTL_CLASSES: Final = frozenset({"R", "AL", "AN"})
_LTR_ALLOWED: Final = frozenset({"L", "EN", "ES", "CS", "ET", "ON", "BN", "NSM"})
_RTL_ALLOWED: Final = frozenset({"R", "AL", "AN", "EN", "ES", "CS", "ET", "ON", "BN", "NSM"})
_RTL_ENDS: Final = frozenset({"R", "AL", "AN", "EN"})


def _bidi_ok(label: str) -> bool:
    """The bidi rule (RFC 5893 §2) as node 20's URL parser (Ada 2.9) applies it, label by
    label: only to labels with a right-to-left or Arabic digit character; a label starting
    with an L character is checked as left-to-right except for its last character; any other
    is checked as right-to-left, whatever its first character."""
    classes = [unicodedata.bidirectional(char) for char in label]
    last = len(classes) - 1
    while last >= 0 and classes[last] == "NSM":
        last -= 1
    if last < 0:
        return False
    if not _RTL_CLASSES.intersection(classes):
        return True
    if classes[0] == "L":
        return all(c in _LTR_ALLOWED for c in classes[:last])
    if "EN" in classes[: last + 1] and "AN" in classes[: last + 1]:
        return False
    return all(c in _RTL_ALLOWED for c in classes[: last + 1]) and classes[last] in _RTL_ENDS


def _prohibited(char: str) -> bool:
    return any(
        check(char)
        for check in (
            stringprep.in_table_c12,
            stringprep.in_table_c22,
            stringprep.in_table_c3,
            stringprep.in_table_c4,
            stringprep.in_table_c5,
            stringprep.in_table_c6,
            stringprep.in_table_c7,
            stringprep.in_table_c8,
            stringprep.in_table_c9,
        )
    )


def _ipv4_number(part: str) -> int | None:
    """The WHATWG IPv4 number parser: decimal, ``0x`` hex or ``0`` octal; ``None`` = failure."""
    if part == "":
        return None
    radix = 10
    if len(part) >= 2 and part[:2] in ("0x", "0X"):
        part, radix = part[2:], 16
    elif len(part) >= 2 and part[0] == "0":
        part, radix = part[1:], 8
    if part == "":
        return 0
    allowed = _HEX if radix == 16 else frozenset("01234567") if radix == 8 else _DIGITS
    if any(char not in allowed for char in part):
        return None
    return int(part, radix)


def _ends_in_number(domain: str) -> bool:
    parts = domain.split(".")
    if parts[-1] == "":
        if len(parts) == 1:
            return False
        parts.pop()
    last = parts[-1]
    if last and all(char in _DIGITS for char in last):
        return True
    return _ipv4_number(last) is not None


def _ipv4_ok(domain: str) -> bool:
    parts = domain.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        return False
    numbers: list[int] = []
    for part in parts:
        value = _ipv4_number(part)
        if value is None:
            return False
        numbers.append(value)
    if any(number > 255 for number in numbers[:-1]):
        return False
    limit: int = 256 ** (5 - len(numbers))
    return numbers[-1] < limit


def _ipv6_ok(text: str) -> bool:
    """The WHATWG IPv6 parser, reduced to success or failure."""
    n = len(text)
    pointer = 0
    piece_index = 0
    compress: int | None = None

    def char(at: int) -> str:
        return text[at] if at < n else ""

    if char(0) == ":":
        if char(1) != ":":
            return False
        pointer = 2
        piece_index = 1
        compress = 1
    while pointer < n:
        if piece_index == 8:
            return False
        if char(pointer) == ":":
            if compress is not None:
                return False
            pointer += 1
            piece_index += 1
            compress = piece_index
            continue
        length = 0
        while length < 4 and char(pointer) in _HEX and char(pointer) != "":
            pointer += 1
            length += 1
        if char(pointer) == ".":
            if length == 0:
                return False
            pointer -= length
            if piece_index > 6:
                return False
            numbers_seen = 0
            while pointer < n:
                if numbers_seen > 0:
                    if char(pointer) == "." and numbers_seen < 4:
                        pointer += 1
                    else:
                        return False
                if char(pointer) not in _DIGITS or char(pointer) == "":
                    return False
                piece: int | None = None
                while char(pointer) in _DIGITS and char(pointer) != "":
                    digit = int(char(pointer))
                    if piece is None:
                        piece = digit
                    elif piece == 0:
                        return False
                    else:
                        piece = piece * 10 + digit
                    if piece > 255:
                        return False
                    pointer += 1
                numbers_seen += 1
                if numbers_seen in (2, 4):
                    piece_index += 1
            if numbers_seen != 4:
                return False
            break
        if char(pointer) == ":":
            pointer += 1
            if pointer >= n:
                return False
        elif pointer < n:
            return False
        piece_index += 1
    return compress is not None or piece_index == 8

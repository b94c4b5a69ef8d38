"""Whether ``new URL(text)`` succeeds in JavaScript, and the protocol it gives.

tldraw's URL validators (``linkUrl``, ``srcUrl``, ``httpUrl``) accept a string when the WHATWG
URL parser accepts it and its protocol is allowed. Node parses URLs with the Ada library; so do
we, through its Python binding (``ada-url``), so the verdicts are node's own, non-ASCII hosts
(UTS #46) included.
"""

from __future__ import annotations

import re
from typing import Final

import ada_url

__all__ = ["parse_url_protocol", "usv_string"]

_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_RELATIVE_BASE: Final = "http://example.com"


def usv_string(text: str) -> str:
    """``text`` as the URL parser sees it: a lone surrogate becomes U+FFFD, as in WebIDL."""
    return _SURROGATE.sub("\ufffd", text)


def parse_url_protocol(text: str, *, relative_to_http: bool = False) -> str | None:
    """The protocol (lower-case scheme and ``:``) of ``new URL(text)``, or ``None`` if it throws.

    With ``relative_to_http``, parse as ``new URL(text, 'http://example.com')`` instead; this
    is only meant for the strings tldraw retries that way, those starting with ``/`` or ``./``.
    """
    try:
        if relative_to_http:
            return str(ada_url.URL(usv_string(text), _RELATIVE_BASE).protocol)
        return str(ada_url.URL(usv_string(text)).protocol)
    except ValueError:
        return None

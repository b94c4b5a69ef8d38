"""The embed shape (``shapes/TLEmbedShape.ts``): an iframe of another site.

Its first migration (``GenOriginalUrlInEmbed``) turned the stored embed URL of old documents
back into the URL a user would share, using the embed definitions that tlschema keeps for that
purpose: :data:`EMBED_DEFINITIONS` is their port (host names and ``fromEmbedUrl``; tldraw's
``canEditWhileLocked`` flags play no part in the migration and are left out). As in tldraw, a
definition applies when the URL's host, with its first ``www.`` removed, is one of its
host names exactly (so the wildcard names like ``google.*`` only match that literal host), and
the last applicable definition wins.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, Final

import attrs

from tlsync_core.store.jsvalue import UNDEFINED, to_string
from tlsync_core.store.validators import T, Validator
from tlsync_core.tldraw.props import (
    PropsMigration,
    PropsMigrations,
    create_shape_props_migration_ids,
    create_shape_props_migration_sequence,
)
from tlsync_core.tldraw.shapes.common import Props, remove_props
from tlsync_core.tldraw.shapes.url import JsUrl, safe_parse_url

__all__ = [
    "EMBED_DEFINITIONS",
    "EmbedDefinition",
    "embed_shape_migrations",
    "embed_shape_props",
    "embed_shape_versions",
]

_log = logging.getLogger(__name__)

embed_shape_props: Final[dict[str, Validator[Any]]] = {
    "w": T.non_zero_number,
    "h": T.non_zero_number,
    "url": T.string,
}
"""The validators of an embed shape's props, in tldraw's order."""


@attrs.frozen
class EmbedDefinition:
    """A site whose embed URLs the migration knows how to turn back into shared URLs.

    ``from_embed_url(url)`` returns the original URL, or :data:`UNDEFINED` when ``url`` is not
    one of the site's embed URLs; it may raise (as its JavaScript original throws for a
    non-string ``url``), which the migration ignores.
    """

    hostnames: tuple[str, ...]
    from_embed_url: Callable[[object], object]


def _search(pattern: str, text: str) -> re.Match[str] | None:
    """``text.match(/pattern/)`` (JavaScript's ``$`` is Python's ``\\Z``)."""
    return re.search(pattern, text)


def _string(url: object) -> str:
    """``url`` for string methods: JavaScript throws on anything but a string."""
    if not isinstance(url, str):
        raise TypeError("url.match is not a function")
    return url


def _clear_query(url: JsUrl) -> None:
    names = url.search_params.keys()  # a snapshot, as Array.from(keys()) is
    for name in names:
        url.search_params.delete(name)


def _tldraw(url: object) -> object:
    # only multiplayer rooms
    parsed = safe_parse_url(url)
    if parsed and _search(r"(^/r/[^/]+/?\Z)", parsed.pathname):
        return url
    return UNDEFINED


def _figma(url: object) -> object:
    parsed = safe_parse_url(url)
    if parsed and _search(r"^/embed/?\Z", parsed.pathname):
        out_url = parsed.search_params.get("url")
        if out_url:
            return out_url
    return UNDEFINED


def _google_maps(url: object) -> object:
    parsed = safe_parse_url(url)
    if not parsed:
        return UNDEFINED
    params = parsed.search_params
    if (
        _search(r"^/maps/embed/v1/view/?\Z", parsed.pathname)
        and params.has("center")
        and params.get("zoom")
    ):
        zoom = params.get("zoom")
        lat, lon, *_ = [*(params.get("center") or "").split(","), "undefined"]
        return f"https://www.google.com/maps/@{lat},{lon},{zoom}z"
    return UNDEFINED


def _path_match(pattern: str, template: str) -> Callable[[object], object]:
    """A definition whose original URL is ``template`` filled with the path's groups."""

    def from_embed_url(url: object) -> object:
        parsed = safe_parse_url(url)
        match = _search(pattern, parsed.pathname) if parsed else None
        return template.format(*match.groups()) if match else UNDEFINED

    return from_embed_url


def _text_match(pattern: str, template: str) -> Callable[[object], object]:
    """A definition matching the URL text itself (unescaped dots and all)."""

    def from_embed_url(url: object) -> object:
        match = _search(pattern, _string(url))
        return template.format(*match.groups()) if match else UNDEFINED

    return from_embed_url


def _youtube(url: object) -> object:
    parsed = safe_parse_url(url)
    if not parsed:
        return UNDEFINED
    if re.sub(r"^www.", "", parsed.hostname, count=1) == "youtube.com":
        match = _search(r"^/embed/([^/]+)/?", parsed.pathname)
        if match:
            return f"https://www.youtube.com/watch?v={match.group(1)}"
    return UNDEFINED


def _google_calendar(url: object) -> object:
    parsed = safe_parse_url(url)
    source = parsed.search_params.get("src") if parsed else None
    if parsed and _search(r"/calendar/embed", parsed.pathname) and source:
        parsed.pathname = "/calendar/u/0"
        _clear_query(parsed)
        parsed.search_params.set("cid", source)
        return parsed.href
    return UNDEFINED


def _google_slides(url: object) -> object:
    parsed = safe_parse_url(url)
    if (
        parsed
        and _search(r"^/presentation", parsed.pathname)
        and _search(r"/embed/?\Z", parsed.pathname)
    ):
        parsed.pathname = re.sub(r"/embed\Z", "/pub", parsed.pathname, count=1)
        _clear_query(parsed)
        return parsed.href
    return UNDEFINED


def _gist(url: object) -> object:
    parsed = safe_parse_url(url)
    if parsed and _search(r"/([^/]+)/([^/]+)", parsed.pathname):
        if not _string(url).split("/")[-1]:
            return UNDEFINED
        return url
    return UNDEFINED


def _replit(url: object) -> object:
    parsed = safe_parse_url(url)
    if (
        parsed
        and _search(r"/@([^/]+)/([^/]+)", parsed.pathname)
        and parsed.search_params.has("embed")
    ):
        parsed.search_params.delete("embed")
        return parsed.href
    return UNDEFINED


def _felt(url: object) -> object:
    parsed = safe_parse_url(url)
    if parsed and _search(r"^/embed/map/", parsed.pathname):
        parsed.pathname = re.sub(r"^/embed", "", parsed.pathname, count=1)
        return parsed.href
    return UNDEFINED


def _spotify(url: object) -> object:
    parsed = safe_parse_url(url)
    if parsed and _search(r"^/embed/(artist|album)/", parsed.pathname):
        return parsed.origin + re.sub(r"^/embed", "", parsed.pathname, count=1)
    return UNDEFINED


def _vimeo(url: object) -> object:
    parsed = safe_parse_url(url)
    if parsed and parsed.hostname == "player.vimeo.com":
        match = _search(r"^/video/([^/]+)/?\Z", parsed.pathname)
        if match:
            return "https://vimeo.com/" + match.group(1)
    return UNDEFINED


def _observable(url: object) -> object:
    parsed = safe_parse_url(url)
    if parsed and _search(r"^/embed/@([^/]+)/([^/]+)/?\Z", parsed.pathname):
        return f"{parsed.origin}{parsed.pathname.replace('/embed', '', 1)}#cell-*"
    if parsed and _search(r"^/embed/([^/]+)/?\Z", parsed.pathname):
        return f"{parsed.origin}{parsed.pathname.replace('/embed', '/d', 1)}#cell-*"
    return UNDEFINED


def _desmos(url: object) -> object:
    parsed = safe_parse_url(url)
    if (
        parsed
        and parsed.hostname == "www.desmos.com"
        and _search(r"^/calculator/([^/]+)/?\Z", parsed.pathname)
        and parsed.search == "?embed"
        and parsed.hash == ""
    ):
        return _string(url).replace("?embed", "", 1)
    return UNDEFINED


EMBED_DEFINITIONS: Final[tuple[EmbedDefinition, ...]] = tuple(
    EmbedDefinition(hostnames, from_embed_url)
    for hostnames, from_embed_url in (
        (("beta.tldraw.com", "tldraw.com", "localhost:3000"), _tldraw),
        (("figma.com",), _figma),
        (("google.*",), _google_maps),
        (("val.town",), _path_match(r"/embed/(.+)/?", "https://www.val.town/v/{}")),
        (("codesandbox.io",), _path_match(r"/embed/([^/]+)/?", "https://codesandbox.io/s/{}")),
        (
            ("codepen.io",),
            _text_match(
                r"https://codepen.io/([^/]+)/embed/([^/]+)", "https://codepen.io/{}/pen/{}"
            ),
        ),
        (
            ("scratch.mit.edu",),
            _text_match(
                r"https://scratch.mit.edu/projects/embed/([^/]+)",
                "https://scratch.mit.edu/projects/{}",
            ),
        ),
        (("*.youtube.com", "youtube.com", "youtu.be"), _youtube),
        (("calendar.google.*",), _google_calendar),
        (("docs.google.*",), _google_slides),
        (("gist.github.com",), _gist),
        (("replit.com",), _replit),
        (("felt.com",), _felt),
        (("open.spotify.com",), _spotify),
        (("vimeo.com", "player.vimeo.com"), _vimeo),
        (("observablehq.com",), _observable),
        (("desmos.com",), _desmos),
    )
)
"""The embed definitions of tlschema's migration, in tldraw's order."""

embed_shape_versions: Final = create_shape_props_migration_ids(
    "embed",
    {
        "GenOriginalUrlInEmbed": 1,
        "RemoveDoesResize": 2,
        "RemoveTmpOldUrl": 3,
        "RemovePermissionOverrides": 4,
    },
)
"""Migration name -> ``com.tldraw.shape.embed/<n>``."""


def _gen_original_url(props: Props) -> None:
    """Keep the embed URL in ``tmpOldUrl`` and put the original URL (or ``""``) in ``url``."""
    try:
        url = props.get("url", UNDEFINED)
        host = JsUrl.parse(to_string(url)).host.replace("www.", "", 1)
        original: object = UNDEFINED
        for definition in EMBED_DEFINITIONS:
            if host in definition.hostnames:
                try:
                    original = definition.from_embed_url(url)
                except Exception:
                    _log.warning("embed definition failed on %r", url, exc_info=True)
        props["tmpOldUrl"] = url  # a URL that parsed: never undefined
        props["url"] = "" if original is UNDEFINED or original is None else original
    except Exception:
        props["url"] = ""
        props["tmpOldUrl"] = props["url"]


_V = embed_shape_versions

embed_shape_migrations: Final[PropsMigrations] = create_shape_props_migration_sequence(
    [
        PropsMigration(_V["GenOriginalUrlInEmbed"], _gen_original_url, "retired"),
        remove_props(_V["RemoveDoesResize"], "doesResize"),
        remove_props(_V["RemoveTmpOldUrl"], "tmpOldUrl"),
        remove_props(_V["RemovePermissionOverrides"], "overridePermissions"),
    ]
)
"""The embed shape's props migrations (sequence ``com.tldraw.shape.embed``, retroactive)."""

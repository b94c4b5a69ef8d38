"""The embed shape's first migration against tldraw's (TLSH8): embed URLs back to the URLs
users share, through tlschema's embed definitions and node's URL parser.

Each URL is run through ``com.tldraw.shape.embed/1`` (GenOriginalUrlInEmbed) on both sides;
the cases visit every definition, its near misses, and the URL parser's normalizations (host
case, default ports, dot segments, percent-encoding, query re-serialization).
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from node_peer import NodePeer
from tldraw_peer import Direction, node_run_migrations, py_run_migration

from tlsync_core.store.schema import StoreSchema
from tlsync_core.tldraw import create_tldraw_schema
from tlsync_core.tldraw.shapes.embed import EMBED_DEFINITIONS, embed_shape_versions
from tlsync_core.tldraw.shapes.url import JsUrl, safe_parse_url

GEN_ORIGINAL_URL = embed_shape_versions["GenOriginalUrlInEmbed"]

URLS: tuple[Any, ...] = (
    # tldraw rooms
    "https://www.tldraw.com/r/abc",
    "https://tldraw.com/r/abc/",
    "https://beta.tldraw.com/r/abc?x=1#y",
    "http://localhost:3000/r/room",
    "https://tldraw.com/s/abc",
    "https://tldraw.com/r/a/b",
    "https://TLDRAW.com/r/X",
    "https://tldraw.com:443/r/x",
    "https://tldraw.com:8443/r/x",
    "https://u:p@tldraw.com/r/x",
    "https://www.www.tldraw.com/r/x",
    "https://tldraw.com/r/../r/x",
    "https://tldraw.com/r/%2e%2e",
    "  https://tldraw.com/r/x\t",
    "foo://tldraw.com/r/abc",
    # figma
    "https://www.figma.com/embed?embed_host=share&url=https%3A%2F%2Fwww.figma.com%2Ffile%2Fabc",
    "https://figma.com/embed/?url=",
    "https://figma.com/embed?url=a+b%20c",
    "https://figma.com/file/abc",
    # google maps (tldraw's host names are literal: google.*)
    "https://google.*/maps/embed/v1/view?center=51.5,-0.1&zoom=12",
    "https://google.*/maps/embed/v1/view?center=51.5&zoom=3",
    "https://google.*/maps/embed/v1/view?center=1,2&zoom=",
    "https://www.google.com/maps/embed/v1/view?center=1,2&zoom=3",
    # val.town, codesandbox, codepen, scratch
    "https://www.val.town/embed/steveruizok/mathFact",
    "https://val.town/embed/a/b/",
    "https://codesandbox.io/embed/new?x=1",
    "https://codesandbox.io/s/new",
    "https://codepen.io/Rplus/embed/PWZYRM",
    "https://codepen.io/Rplus/embed/",
    "http://codepen.io/Rplus/embed/PWZYRM",
    "https://scratch.mit.edu/projects/embed/12345",
    "https://scratch.mit.edu/projects/12345",
    # youtube
    "https://www.youtube.com/embed/abc?start=3",
    "https://youtube.com/embed/abc/",
    "https://youtu.be/embed/abc",
    "https://m.youtube.com/embed/abc",
    "https://www.youtube.com/watch?v=abc",
    # google calendar and slides
    "https://calendar.google.*/calendar/embed?src=a%40b.com&ctz=Europe%2FLondon#week",
    "https://calendar.google.*/calendar/embed?ctz=x",
    "https://calendar.google.*/calendar/embed?src=%E2%9C%93%20x",
    "https://docs.google.*/presentation/d/abc/embed?start=false&loop=false",
    "https://docs.google.*/presentation/d/abc/embed/",
    "https://docs.google.*/document/d/abc/embed",
    # gist, replit, felt, spotify
    "https://gist.github.com/user/abc",
    "https://gist.github.com/user/abc/",
    "https://gist.github.com/user",
    "https://replit.com/@user/repl?embed=true&q=a+b%20c&x&y=%C3%A9",
    "https://replit.com/@user/repl?embed",
    "https://replit.com/@user/repl?x=1",
    "https://felt.com/embed/map/Abc-123?loc=1,2#x",
    "https://FELT.com/embed/map/a b/../c?x=y z#frag ment",
    "https://felt.com/map/Abc",
    "https://open.spotify.com/embed/album/xyz?utm=1",
    "https://open.spotify.com/embed/artist/xyz",
    "https://open.spotify.com/embed/track/xyz",
    # vimeo, observable, desmos
    "https://player.vimeo.com/video/123/",
    "https://player.vimeo.com/video/123/x",
    "https://vimeo.com/video/123",
    "https://observablehq.com/embed/@user/notebook?cell=*",
    "https://observablehq.com/embed/abc123/",
    "https://observablehq.com/embed/a/b",
    "https://www.desmos.com/calculator/abc?embed",
    "https://www.desmos.com/calculator/abc?embed#x",
    "https://desmos.com/calculator/abc?embed",
    "https://www.desmos.com/calculator/abc?embed=1",
    # not URLs, and not strings
    "https://example.com",
    "not a url",
    "",
    "https://",
    "https://exa mple.com/r/x",
    "https://[::1]/r/x",
    "https://0x7f.1/r/x",
    "https://münchen.de/r/x",
    12,
    None,
    ["https://codepen.io/a/embed/b"],
    ["https://tldraw.com/r/x"],
)


@pytest.fixture(scope="module")
def schema() -> StoreSchema:
    return create_tldraw_schema()


@pytest.mark.spec("TLSH8")
def test_embed_urls_migrate_like_tldraw(node_peer: NodePeer, schema: StoreSchema) -> None:
    """GenOriginalUrlInEmbed gives tldraw's ``url`` and ``tmpOldUrl`` for every case: each
    embed definition's URLs and near misses, odd hosts, ports, paths and queries, texts that
    are not URLs and values that are not strings."""
    runs: list[tuple[str, Direction, Any]] = [
        (GEN_ORIGINAL_URL, "up", {"props": {"url": url, "w": 1}}) for url in URLS
    ]
    theirs = node_run_migrations(node_peer, runs)
    for (migration_id, direction, value), their in zip(runs, theirs, strict=True):
        assert py_run_migration(schema, migration_id, direction, value) == their, value
    recovered = [t[1]["props"]["url"] for t in theirs if t[0] == "ok" and t[1]["props"]["url"]]
    assert len(recovered) > len(URLS) // 3


_PALETTE = "aZ09-._~!$&'()*+,;=:@/?#[]%20%zz% \\\"<>^`{|}\u00e9\u4e2d\U0001f600\x7f"
_HOSTS = ("felt.com", "FELT.com", "www.felt.com", "felt.com:443", "u:p w@felt.com", "felt.com.")


def _generated_urls(count: int) -> list[str]:
    """Felt map URLs (whose original is the re-serialized URL) and replit URLs (whose query is
    re-serialized) with random paths, queries and fragments drawn from a palette of the
    characters URL parsing treats specially."""
    rng = random.Random(7)

    def text(length: int) -> str:
        return "".join(rng.choice(_PALETTE) for _ in range(length))

    urls = []
    for i in range(count):
        rest = f"{text(rng.randrange(8))}?{text(rng.randrange(10))}#{text(rng.randrange(5))}"
        if i % 2:
            urls.append(f"https://{rng.choice(_HOSTS)}/embed/map/{rest}")
        else:
            query = "&".join(text(rng.randrange(6)) for _ in range(rng.randrange(4)))
            urls.append(f"https://replit.com/@u/r?{query}&embed&{query}")
    return urls


@pytest.mark.spec("TLSH8")
def test_generated_embed_urls_migrate_like_tldraw(node_peer: NodePeer, schema: StoreSchema) -> None:
    """URLs with random paths, queries and fragments (spaces, quotes, brackets, percent signs,
    backslashes, non-ASCII, astral characters) come out of the felt and replit definitions,
    which re-serialize the parsed URL, exactly as node's URL class writes them."""
    runs: list[tuple[str, Direction, Any]] = [
        (GEN_ORIGINAL_URL, "up", {"props": {"url": url}}) for url in _generated_urls(400)
    ]
    theirs = node_run_migrations(node_peer, runs)
    for (migration_id, direction, value), their in zip(runs, theirs, strict=True):
        assert py_run_migration(schema, migration_id, direction, value) == their, value
    assert sum(bool(t[1]["props"]["url"]) for t in theirs if t[0] == "ok") > 200


@pytest.mark.spec("TLSH8")
def test_missing_embed_url_falls_back_to_empty() -> None:
    """Without a url (or with one that does not parse) the migration empties ``url`` and
    ``tmpOldUrl``, as tldraw's catch branch does."""
    schema = create_tldraw_schema()
    assert py_run_migration(schema, GEN_ORIGINAL_URL, "up", {"props": {}}) == (
        "ok",
        {"props": {"url": "", "tmpOldUrl": ""}},
    )


@pytest.mark.spec("TLSH8")
def test_embed_definitions_are_tldraws_hosts() -> None:
    """The 17 definitions of tlschema's migration, with its host names in its order."""
    assert [d.hostnames[0] for d in EMBED_DEFINITIONS] == [
        "beta.tldraw.com",
        "figma.com",
        "google.*",
        "val.town",
        "codesandbox.io",
        "codepen.io",
        "scratch.mit.edu",
        "*.youtube.com",
        "calendar.google.*",
        "docs.google.*",
        "gist.github.com",
        "replit.com",
        "felt.com",
        "open.spotify.com",
        "vimeo.com",
        "observablehq.com",
        "desmos.com",
    ]


# text -> (href, host, pathname, search, hash, origin) as node 20's new URL gives them
_URL_COMPONENTS: dict[str, tuple[str, ...]] = {
    "HTTPS://User:P w@Ex.COM:443/a/./b/../c d?q=a b'#f g": (
        "https://User:P%20w@ex.com/a/c%20d?q=a%20b%27#f%20g",
        "ex.com",
        "/a/c%20d",
        "?q=a%20b%27",
        "#f%20g",
        "https://ex.com",
    ),
    "http://a.com": ("http://a.com/", "a.com", "/", "", "", "http://a.com"),
    "http://a.com:8080?": ("http://a.com:8080/?", "a.com:8080", "/", "", "", "http://a.com:8080"),
    "https://0x7f.1/x": ("https://127.0.0.1/x", "127.0.0.1", "/x", "", "", "https://127.0.0.1"),
    "http://[0:0::1]/": ("http://[::1]/", "[::1]", "/", "", "", "http://[::1]"),
    "foo://Host/a?b#c": ("foo://Host/a?b#c", "Host", "/a", "?b", "#c", "null"),
    "mailto:a@b.c": ("mailto:a@b.c", "", "a@b.c", "", "", "null"),
    "https://a.com/a^b|{c}": (
        "https://a.com/a^b|%7Bc%7D",
        "a.com",
        "/a^b|%7Bc%7D",
        "",
        "",
        "https://a.com",
    ),
}


@pytest.mark.spec("TLSH8")
@pytest.mark.parametrize(("text", "expected"), list(_URL_COMPONENTS.items()))
def test_url_components(text: str, expected: tuple[str, ...]) -> None:
    """JsUrl splits and serializes a URL as node's ``new URL`` does (values taken from node
    20): lower-cased hosts, default ports dropped, dot segments resolved, components
    percent-encoded with their own sets, IPv4 and IPv6 hosts normalized, opaque paths kept."""
    url = JsUrl.parse(text)
    assert (url.href, url.host, url.pathname, url.search, url.hash, url.origin) == expected


@pytest.mark.spec("TLSH8")
def test_url_search_params_and_pathname_setter() -> None:
    """searchParams reads form-encoded pairs and writes them back form-encoded (an empty query
    disappears); the pathname setter re-parses the path, encoding '?' and '#'."""
    url = JsUrl.parse("https://a.com/p?x=1&y=a+b%20c&x=2&z#h")
    params = url.search_params
    assert (params.get("x"), params.get("y"), params.get("z"), params.get("w")) == (
        "1",
        "a b c",
        "",
        None,
    )
    assert params.keys() == ["x", "y", "x", "z"]
    params.delete("x")
    assert url.href == "https://a.com/p?y=a+b+c&z=#h"
    params.set("cid", "a@b/é")
    assert url.search == "?y=a+b+c&z=&cid=a%40b%2F%C3%A9"
    names = params.keys()
    for name in names:
        params.delete(name)
    assert url.href == "https://a.com/p#h"
    url.pathname = "/c d/../e?#"
    assert url.href == "https://a.com/e%3F%23#h"
    assert safe_parse_url("nope") is None
    assert safe_parse_url({"toString": 1}) is None

"""The editor page: tldraw's own ``<Tldraw>`` editor, synced with a room, as the server hands
it out.

The page's code lives in the npm project ``editor/`` at the repository root; ``scripts/
build-editor`` bundles it into ``static/editor/`` of this package (git-ignored; in the wheel
when it was built before packaging): ``editor.js``, ``tldraw.css`` and ``assets/`` (tldraw's
fonts, icons, translations and embed icons). This module writes the page of a room around
the bundle (:func:`editor_page`), says how to build it when it is missing
(:func:`missing_bundle_page`), and reads the bundle's files for the server's
``/static/editor/`` route (:func:`bundle_file`), refusing any path that is not plainly one of
them.

The page's URLs are relative (``../static/editor/``, ``../connect/<room-id>``), so the page
works under whatever prefix the server is mounted.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Final
from urllib.parse import quote

import attrs

__all__ = [
    "BUNDLE_DIR",
    "BundleFile",
    "EditorBundleMissing",
    "bundle_file",
    "bundle_text",
    "bundle_version",
    "editor_page",
    "missing_bundle_page",
]

BUNDLE_DIR: Path = Path(__file__).resolve().parent / "static" / "editor"
"""Where ``scripts/build-editor`` puts the bundle."""

_STAMP_PREFIX: Final = ".tlsync-built-"
_SEGMENT: Final = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
CONTENT_TYPES: Final = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
}
"""The kinds of file the bundle holds, by suffix; the route serves no other."""


@attrs.frozen
class BundleFile:
    """A file of the bundle: its bytes, content type and entity tag (the build's)."""

    body: bytes
    content_type: str
    etag: str


def bundle_version(directory: Path | None = None) -> str | None:
    """The built bundle's version (the hash its build stamp is named after; it changes with
    the sources), or None when there is no complete bundle in ``directory`` (default
    :data:`BUNDLE_DIR`)."""
    directory = BUNDLE_DIR if directory is None else directory
    if not (directory / "editor.js").is_file():
        return None
    for stamp in directory.glob(f"{_STAMP_PREFIX}*"):
        return stamp.name.removeprefix(_STAMP_PREFIX)
    return None


def bundle_file(relative: str, directory: Path | None = None) -> BundleFile | None:
    """The bundle's file at ``relative`` (a decoded path under ``/static/editor/``), or None
    when there is no such file or the path is not one the bundle can hold: every segment made
    of letters, digits, ``_``, ``.`` and ``-`` without a leading dot (no ``..``, no hidden
    files), a known suffix, and the file inside ``directory`` (default :data:`BUNDLE_DIR`) once
    symlinks are resolved."""
    directory = BUNDLE_DIR if directory is None else directory
    version = bundle_version(directory)
    segments = relative.split("/")
    if version is None or not all(_SEGMENT.match(segment) for segment in segments):
        return None
    content_type = CONTENT_TYPES.get(Path(segments[-1]).suffix)
    if content_type is None:
        return None
    root = directory.resolve()
    path = root.joinpath(*segments).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return BundleFile(path.read_bytes(), content_type, f'"{version}"')


class EditorBundleMissing(FileNotFoundError):
    """The editor bundle (or one of its files) was not built."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"tldraw's editor bundle has no {name} ({BUNDLE_DIR} is not built): run"
            " scripts/build-editor in a tlsync checkout (it needs node and npm), or install a"
            " tlsync wheel built with it"
        )


def bundle_text(name: str) -> str:
    """The text of the bundle's file ``name`` (``widget.js``, ``tldraw.css``...).  Raises
    :class:`EditorBundleMissing` when it was not built."""
    found = bundle_file(name)
    if found is None:
        raise EditorBundleMissing(name)
    return found.body.decode("utf-8")


def _script_json(value: object) -> str:
    """``value`` as JSON that cannot end the script element it is written into."""
    text = json.dumps(value)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def editor_page(room_id: str, *, readonly: bool, license_key: str | None) -> bytes:
    """The editor page of ``room_id`` (read-only when ``readonly``; tldraw's license key when
    given): the bundle's stylesheet and module, and the page's settings as JSON."""
    config = _script_json({"roomId": room_id, "readonly": readonly, "licenseKey": license_key})
    title = html.escape(f"{room_id} · tlsync")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="../static/editor/tldraw.css">
<style>
html, body {{ margin: 0; height: 100%; }}
#tldraw-root {{ position: fixed; inset: 0; }}
</style>
</head>
<body data-editor="loading">
<div id="tldraw-root"></div>
<script type="application/json" id="tlsync-editor-config">{config}</script>
<script type="module" src="../static/editor/editor.js"></script>
</body>
</html>
""".encode()


def missing_bundle_page(room_id: str) -> bytes:
    """What the editor route answers when the bundle was not built: how to build it, and a
    link to the room's SVG live view, which needs no bundle."""
    view = html.escape(f"./{quote(room_id, safe='')}/view")
    title = html.escape(f"{room_id} · tlsync")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="icon" href="data:,">
<style>body {{ font-family: system-ui, sans-serif; max-width: 40em; margin: 3em auto; }}</style>
</head>
<body data-editor="missing">
<h1>The tldraw editor page is not built</h1>
<p>This server has no bundle of the editor page (tldraw's editor synced with this room).
It is built from the <code>editor/</code> npm project of a tlsync checkout, with node and npm
installed:</p>
<pre>scripts/build-editor</pre>
<p>(<code>scripts/run</code> and <code>scripts/test</code> build it too.) It lands in
<code>tlsync_core/views/static/editor/</code>; then reload this page (the server need not
restart).</p>
<p>Meanwhile, the room's read-only <a id="live-view" href="{view}">SVG live view</a> needs no
bundle.</p>
</body>
</html>
""".encode()

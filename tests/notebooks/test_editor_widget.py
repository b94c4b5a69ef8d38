"""EditorWidget (tlsync_client.editor_widget) in a kernel without a browser: it wires the
page's comm messages to its relay, closes its links when it closes, and refuses what is not a
room connection without leaving a half-made widget behind."""

from __future__ import annotations

import gc
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import comm
import pytest
from editor_page_harness import built_bundle
from test_widget import RecordingComm
from waiting import until

from tlsync_client.connection import RoomConnection, connect
from tlsync_client.editor_widget import EditorWidget
from tlsync_core.server import SQLitePersistence, TLSyncServer
from tlsync_core.views.editor_bundle import EditorBundleMissing

WAIT = 10.0


@pytest.fixture(autouse=True)
def recording_comms(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(comm, "create_comm", RecordingComm)
    yield


@pytest.fixture
async def room(tmp_path: Path) -> AsyncIterator[RoomConnection]:
    built_bundle()
    async with (
        TLSyncServer(persistence=SQLitePersistence(tmp_path / "rooms.sqlite"), port=0) as server,
        connect(f"ws://127.0.0.1:{server.port}/connect/widget") as bot,
    ):
        yield bot


def sent(widget: EditorWidget) -> list[dict[str, Any]]:
    assert isinstance(widget.comm, RecordingComm)
    return widget.comm.custom()


@pytest.mark.spec("JW2")
async def test_the_widget_relays_and_closes_its_links(room: RoomConnection) -> None:
    """The page's ``open`` through the comm opens a link; closing the widget from another
    thread closes it; the front end is the bundle's ``widget.js`` with tldraw's stylesheet."""
    widget = EditorWidget(room, height="300px")
    assert widget._esm.startswith(("//", "var", "import")) and "tlsync" in widget._esm
    assert ".tl-container" in widget._css
    assert isinstance(widget.comm, RecordingComm)
    widget.comm.from_view({"type": "open", "link": 1, "sessionId": "s", "storeId": "t"})
    await until(lambda: {"type": "opened", "link": 1} in sent(widget), WAIT)

    closer = threading.Thread(target=widget.close)
    closer.start()
    closer.join()
    await until(lambda: widget._relay is not None and not widget._relay.links, WAIT)
    await widget.aclose()  # (idempotent)


@pytest.mark.spec("JW2")
async def test_what_is_not_a_room_is_refused_cleanly(
    room: RoomConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store or a URL instead of a room connection is a TypeError saying what to pass, and
    the half-made widget goes away silently (no error from its finaliser); a missing bundle is
    EditorBundleMissing naming scripts/build-editor."""
    for wrong in ("ws://127.0.0.1:1/connect/x", room.store):
        with pytest.raises(TypeError, match="needs a RoomConnection"):
            EditorWidget(wrong)  # type: ignore[arg-type]
        gc.collect()
    monkeypatch.setattr("tlsync_core.views.editor_bundle.BUNDLE_DIR", Path("/nonexistent"))
    with pytest.raises(EditorBundleMissing, match="scripts/build-editor"):
        EditorWidget(room)
    gc.collect()

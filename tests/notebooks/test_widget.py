"""LiveView (tlsync_core.views.widget) without a browser: the comm messages it sends, and its
front-end glue run in node against a fake model."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import comm
import pytest
from comm import DummyComm

from tlsync_client.pytest_plugin import ConnectFactory
from tlsync_core.demo_schema import PRESENCE, SHAPE, create_demo_schema
from tlsync_core.store import Store
from tlsync_core.tldraw import create_geo
from tlsync_core.views.files import liveview_module, static_file
from tlsync_core.views.widget import LiveView


class RecordingComm(DummyComm):
    """A comm that keeps what the widget publishes (instead of sending it to a front end)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.published: list[tuple[str, Any]] = []
        super().__init__(*args, **kwargs)

    def publish_msg(
        self,
        msg_type: str,
        data: Any = None,
        metadata: Any = None,
        buffers: Any = None,
        **keys: Any,
    ) -> None:
        self.published.append((msg_type, data))

    def custom(self) -> list[dict[str, Any]]:
        """The custom messages sent so far (what the view's ``msg:custom`` handler gets)."""
        return [
            data["content"]
            for msg_type, data in self.published
            if msg_type == "comm_msg" and data.get("method") == "custom"
        ]

    def from_view(self, content: dict[str, Any]) -> None:
        """A custom message from the view, through the comm machinery."""
        self.handle_msg(
            {"content": {"data": {"method": "custom", "content": content}}, "buffers": []}
        )


@pytest.fixture(autouse=True)
def recording_comms(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(comm, "create_comm", RecordingComm)
    yield


def messages(view: LiveView) -> list[dict[str, Any]]:
    assert isinstance(view.comm, RecordingComm)
    return view.comm.custom()


def opened_state(view: LiveView) -> dict[str, Any]:
    assert isinstance(view.comm, RecordingComm)
    ((msg_type, data), *_rest) = view.comm.published
    assert msg_type == "comm_open"
    state: dict[str, Any] = data["state"]
    return state


@pytest.mark.spec("LV1")
def test_the_records_go_out_once_when_the_view_is_made() -> None:
    """A new LiveView opens its comm with the ES module as ``_esm`` and sends the store's
    records once, as one ``records`` message (seq 0)."""
    store = Store(schema=create_demo_schema())
    store.put([SHAPE.create(id="shape:a", x=1), SHAPE.create(id="shape:b", x=2)])
    view = LiveView(store)
    assert opened_state(view)["_esm"] == LiveView._esm  # (liveview_esm() at import)
    assert LiveView._esm == liveview_module()
    (first,) = messages(view)
    assert first == {"type": "records", "seq": 0, "records": view.records()}
    assert set(first["records"]) == {"shape:a", "shape:b"}
    view.close()


@pytest.mark.spec("LV2")
def test_each_batch_of_changes_is_one_network_diff() -> None:
    """Every transaction on the store becomes one ``diff`` message, numbered after the
    records, holding the protocol's NetworkDiff (``put`` for added records, ``patch`` with
    the changed fields, ``remove``); a transaction that changes nothing sends nothing."""
    store = Store(schema=create_demo_schema())
    store.put([SHAPE.create(id="shape:a", x=1)])
    view = LiveView(store)
    store.put([SHAPE.create(id="shape:b")])
    b_record = store.get("shape:b")
    store.put([SHAPE.create(id="shape:b")])  # the same record again: no change

    def edit() -> None:
        store.update("shape:a", lambda r: {**r, "x": 10})
        store.remove(["shape:b"])
        store.put([SHAPE.create(id="shape:c")])

    store.atomic(edit)
    _records, added, edited = messages(view)
    assert added == {"type": "diff", "seq": 1, "diff": {"shape:b": ["put", b_record]}}
    assert edited == {
        "type": "diff",
        "seq": 2,
        "diff": {
            "shape:c": ["put", store.get("shape:c")],
            "shape:a": ["patch", {"x": ["put", 10]}],
            "shape:b": ["remove"],
        },
    }
    json.dumps(edited)  # what goes over the comm is plain JSON
    view.close()


@pytest.mark.spec("LV3")
def test_a_view_that_opens_gets_the_records_again() -> None:
    """A ``ready`` message from a (re)opened view makes the kernel send the current records
    again; later diffs continue the numbering."""
    store = Store(schema=create_demo_schema())
    view = LiveView(store)
    store.put([SHAPE.create(id="shape:a")])
    assert isinstance(view.comm, RecordingComm)
    view.comm.from_view({"type": "ready"})
    view.comm.from_view({"type": "something else"})  # ignored
    store.put([SHAPE.create(id="shape:b")])
    kinds = [(m["type"], m["seq"]) for m in messages(view)]
    assert kinds == [("records", 0), ("diff", 1), ("records", 2), ("diff", 3)]
    assert set(messages(view)[2]["records"]) == set(view.records()) - {"shape:b"}
    view.close()


@pytest.mark.spec("LV4")
def test_scope_filters_and_close_stops_following() -> None:
    """With ``scope="document"`` presence records are left out of records and diffs; after
    ``close()`` (idempotent) store changes send nothing."""
    store = Store(schema=create_demo_schema())
    store.put([PRESENCE.create(id="instance_presence:p"), SHAPE.create(id="shape:a")])
    view = LiveView(store, scope="document", height="300px")
    assert "instance_presence:p" not in messages(view)[0]["records"]
    assert opened_state(view)["height"] == "300px"
    store.put([PRESENCE.create(id="instance_presence:q")])
    assert len(messages(view)) == 1
    recorder = view.comm
    assert isinstance(recorder, RecordingComm)
    view.close()
    view.close()
    store.put([SHAPE.create(id="shape:late")])
    assert len(recorder.custom()) == 1 and view.comm is None


@pytest.mark.spec("LV5")
async def test_a_live_room_drives_the_view(tlsync_connect: ConnectFactory) -> None:
    """LiveView(room) on a connected bot sends a diff when another client's edit arrives."""
    bot = await tlsync_connect("view")
    other = await tlsync_connect("view")
    view = LiveView(bot)
    remote = create_geo(other.store, x=3, y=3)["id"]
    await other.wait_for_sync(timeout=5)
    await bot.wait_for(lambda s: s.has(remote), timeout=5)
    diffs = [m["diff"] for m in messages(view) if m["type"] == "diff"]
    assert ["put", bot.store.get(remote)] in [d.get(remote) for d in diffs]
    view.close()


@pytest.mark.spec("LV6")
def test_the_es_module_is_liveview_js() -> None:
    """The widget's ES module is the live view's own module, byte for byte what the server
    serves at ``/static/liveview.js``: one drawing code and one diff code for pages and
    widgets, whose single default export is the widget."""
    esm = liveview_module()
    assert esm.encode() == static_file("liveview.js")
    assert esm.count("\nexport default ") == 1
    assert "export function render" in esm and "export function applyDiff" in esm


@pytest.mark.spec("LV7")
def test_without_anywidget_the_import_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Importing tlsync_core.views.widget without anywidget fails with an ImportError that names
    the ``tlsync[notebook]`` extra."""
    monkeypatch.setitem(sys.modules, "anywidget", None)
    monkeypatch.delitem(sys.modules, "tlsync_core.views.widget")
    with pytest.raises(ImportError, match=r"tlsync\[notebook\]"):
        importlib.import_module("tlsync_core.views.widget")


_NODE_DRIVER = """
import { pathToFileURL } from "node:url";
const element = () => ({ style: {}, className: "", textContent: "", innerHTML: "",
  children: [], firstElementChild: null, appendChild(child) { this.children.push(child); } });
globalThis.document = { createElement: element };
const widget = (await import(pathToFileURL(process.argv[2]).href)).default;
const handlers = {};
const sent = [];
const model = {
  get: (key) => (key === "height" ? "300px" : undefined),
  on: (event, fn) => { handlers[event] = fn; },
  off: (event) => { delete handlers[event]; },
  send: (message) => sent.push(message),
};
const el = element();
const cleanup = widget.render({ model, el });
const view = el.children[0];
const steps = [];
for (const message of JSON.parse(process.argv[3])) {
  handlers["msg:custom"](message);
  steps.push({ shown: view.innerHTML + view.textContent, sent: sent.length });
}
cleanup();
console.log(JSON.stringify({ steps, sent, height: view.style.height,
  handlers: Object.keys(handlers) }));
"""


def _geo(shape_id: str, x: float) -> dict[str, Any]:
    return {
        "id": shape_id,
        "typeName": "shape",
        "type": "geo",
        "parentId": "page:page",
        "index": "a1",
        "x": x,
        "y": 0,
        "rotation": 0,
        "props": {"geo": "rectangle", "w": 100, "h": 50, "color": "blue"},
    }


@pytest.mark.spec("LV8")
@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_the_glue_applies_records_and_diffs_in_order(tmp_path: Path) -> None:
    """In node, with a fake model and element, the widget's ES module: the view asks for the
    records, ignores diffs until they come, then applies put, patch and remove in order and
    redraws; on a gap in the numbering it asks for the records again instead of applying; its
    cleanup removes its handlers."""
    module = tmp_path / "widget.mjs"
    module.write_text(liveview_module(), encoding="utf-8")
    driver = tmp_path / "driver.mjs"
    driver.write_text(_NODE_DRIVER, encoding="utf-8")
    page = {"id": "page:page", "typeName": "page", "name": "Page 1", "index": "a1", "meta": {}}
    a, b = _geo("shape:a", 0), _geo("shape:b", 200)
    script = [
        {"type": "diff", "seq": 0, "diff": {"shape:b": ["put", b]}},  # before the records
        {"type": "records", "seq": 1, "records": {"page:page": page, "shape:a": a}},
        {"type": "diff", "seq": 2, "diff": {"shape:b": ["put", b]}},
        {"type": "diff", "seq": 3, "diff": {"shape:a": ["patch", {"x": ["put", 400]}]}},
        {"type": "diff", "seq": 4, "diff": {"shape:b": ["remove"]}},
        {"type": "diff", "seq": 6, "diff": {"shape:b": ["put", b]}},  # a gap
    ]
    result = subprocess.run(
        ["node", str(driver), str(module), json.dumps(script)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    outcome = json.loads(result.stdout)
    shown = [step["shown"] for step in outcome["steps"]]
    assert shown[0] == ""
    assert "shape:a" in shown[1] and "shape:b" not in shown[1]
    assert "shape:a" in shown[2] and "shape:b" in shown[2]
    assert shown[3] != shown[2] and "400" in shown[3]  # moved
    assert "shape:a" in shown[4] and "shape:b" not in shown[4]
    assert shown[5] == shown[4]  # not applied
    assert outcome["sent"] == [{"type": "ready"}, {"type": "ready"}]
    assert outcome["height"] == "300px"
    assert outcome["handlers"] == []

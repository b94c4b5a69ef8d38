"""A client under test with the test playing the server (a ScriptedClientSocket)."""

from __future__ import annotations

from typing import Any

from tlsync_client.sync_client import ConnectInfo, PresenceMode, TLSyncClient
from tlsync_core.demo_schema import create_demo_schema
from tlsync_core.protocol.versions import Dialect
from tlsync_core.signals import Atom, atom
from tlsync_core.store import Record, Store
from tlsync_core.testing import FakeClock, ScriptedClientSocket

SCHEMA = create_demo_schema()
DOCUMENT: Record = {"id": "document:document", "typeName": "document", "name": "", "meta": {}}
PAGE: Record = {
    "id": "page:page",
    "typeName": "page",
    "name": "Page 1",
    "index": "a1",
    "meta": {},
}


def shape(shape_id: str, **values: Any) -> Record:
    """A valid shape record of the demo schema."""
    record: Record = {
        "id": shape_id,
        "typeName": "shape",
        "type": "geo",
        "parentId": "page:page",
        "index": "a1",
        "x": 0,
        "y": 0,
        "rotation": 0,
        "props": {},
        "meta": {},
    }
    record.update(values)
    return record


def presence(name: str, presence_id: str = "instance_presence:me", **values: Any) -> Record:
    record: Record = {
        "id": presence_id,
        "typeName": "instance_presence",
        "userName": name,
        "color": "#ff0000",
        "cursor": None,
    }
    record.update(values)
    return record


class Harness:
    """One client, its store, a fake clock and the socket the test answers through."""

    def __init__(
        self,
        *,
        status: Any = "online",
        fps: float | None = None,
        dialect: Dialect = 8,
        with_presence: bool = False,
        presence_mode: PresenceMode | None = None,
        reconnect_on_restart: bool = False,
    ) -> None:
        self.clock = FakeClock()
        self.store = Store(schema=SCHEMA)
        self.socket = ScriptedClientSocket(status, reconnect_on_restart=reconnect_on_restart)
        self.loads: list[TLSyncClient] = []
        self.load_errors: list[Exception] = []
        self.sync_errors: list[str] = []
        self.connects: list[ConnectInfo] = []
        self.custom: list[Any] = []
        self.presence: Atom[Record | None, Any] | None = (
            atom("presence", None) if with_presence else None
        )
        self.mode: Atom[PresenceMode, Any] | None = (
            atom("mode", presence_mode) if presence_mode is not None else None
        )
        self.client = TLSyncClient(
            store=self.store,
            socket=self.socket,
            instance_id="instance:test",
            timers=self.clock,
            on_load=self.loads.append,
            on_load_error=self.load_errors.append,
            on_sync_error=self.sync_errors.append,
            on_after_connect=lambda _client, info: self.connects.append(info),
            on_custom_message_received=self.custom.append,
            presence=self.presence,
            presence_mode=self.mode,
            dialect=dialect,
            fps=fps,
        )

    def connect_request(self) -> dict[str, Any]:
        """The last connect message the client sent (everything sent is consumed)."""
        connects = [m for m in self.socket.take() if m["type"] == "connect"]
        assert connects, "the client sent no connect request"
        return connects[-1]

    def answer_connect(
        self,
        *,
        diff: dict[str, Any] | None = None,
        hydration: str = "wipe_all",
        server_clock: int = 1,
        request: dict[str, Any] | None = None,
        is_readonly: bool = False,
    ) -> None:
        """Answer the client's pending connect request (the room's connect message)."""
        request = request or self.connect_request()
        if diff is None:
            diff = {DOCUMENT["id"]: ["put", DOCUMENT], PAGE["id"]: ["put", PAGE]}
        message: dict[str, Any] = {"type": "connect"}
        if request["protocolVersion"] != 3:
            message["connectRequestId"] = request["connectRequestId"]
        message.update(
            hydrationType=hydration,
            protocolVersion=request["protocolVersion"],
            schema=SCHEMA.serialize(),
            serverClock=server_clock,
            diff=diff,
        )
        if request["protocolVersion"] != 3:
            message.update(isReadonly=is_readonly, objectAccess="write")
        self.socket.deliver(message)

    def data(self, *events: dict[str, Any]) -> None:
        self.socket.deliver({"type": "data", "data": list(events)})

    def pushes(self) -> list[dict[str, Any]]:
        """The push messages sent since the last take (other messages are dropped)."""
        return [m for m in self.socket.take() if m["type"] == "push"]

    def documents(self) -> dict[str, Record]:
        return self.store.serialize("document")


def commit(client_clock: int, server_clock: int) -> dict[str, Any]:
    return {
        "type": "push_result",
        "clientClock": client_clock,
        "serverClock": server_clock,
        "action": "commit",
    }


def discard(client_clock: int, server_clock: int) -> dict[str, Any]:
    return {**commit(client_clock, server_clock), "action": "discard"}


def rebase_with(client_clock: int, server_clock: int, diff: dict[str, Any]) -> dict[str, Any]:
    return {**commit(client_clock, server_clock), "action": {"rebaseWithDiff": diff}}


def patch(server_clock: int, diff: dict[str, Any]) -> dict[str, Any]:
    return {"type": "patch", "diff": diff, "serverClock": server_clock}

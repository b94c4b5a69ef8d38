"""Random event sequences for the differential room tests (one seed, one sequence).

The generator plays several clients against our room while it writes the sequence: it runs each
event on a :class:`~room_diff_harness.PyRoomHost` at once, reads what the room holds and what
each client was sent (its last ``serverClock``), and picks the next event from that, so pushes
are mostly meaningful (updates of records that exist, diffs made by ``diff_record``) with a
share of stale, conflicting, invalid and odd ones. The room only guides the choice: the finished
list is self-contained, and both rooms replay it from scratch.

What a sequence contains: sessions that connect (fresh, protocol 5–8, some with an older geo
schema, some read-only, some refused: bad version, no schema, a schema from the future) and
reconnect under the same id (with their last server clock, -1, an older clock, or one from the
future); document pushes (creates, updates as patches or full puts, deletes, puts equal to the
record, deletes and patches of missing records, string appends with a wrong offset, stale
puts, invalid records, unknown types, presence records in the document diff, puts that change
a record's type); the same record patched by two sessions at one instant; presence puts and
patches (and a patch before any put, an invalid presence); pings; pushes from sessions that
have not connected; client closes and silent drops; and time passing in small steps (data
batches) and large ones (idle timeouts, grace periods, start timeouts).
"""

from __future__ import annotations

import copy
import random
from typing import Any

from room_diff_harness import SCHEMA, Event, PyRoomHost, flatten

from tlsync_core.protocol.diff import diff_record
from tlsync_core.room.session import SessionState
from tlsync_core.store import Err
from tlsync_core.tldraw import to_rich_text
from tlsync_core.tldraw.generated import STYLES

Record = dict[str, Any]

CURRENT_SCHEMA: dict[str, Any] = dict(SCHEMA.serialize())
#: A client one geo version behind (no flipX/flipY): pushes migrate up, broadcasts down.
OLD_GEO_SCHEMA: dict[str, Any] = {
    **CURRENT_SCHEMA,
    "sequences": {**CURRENT_SCHEMA["sequences"], "com.tldraw.shape.geo": 11},
}
#: A client further behind: geo 10 (no rich text attrs), presence 5, shape 3, store 4.
OLDER_SCHEMA: dict[str, Any] = {
    **CURRENT_SCHEMA,
    "sequences": {
        **CURRENT_SCHEMA["sequences"],
        "com.tldraw.shape.geo": 10,
        "com.tldraw.instance_presence": 5,
        "com.tldraw.shape": 3,
        "com.tldraw.store": 4,
    },
}
#: A client we cannot serve (page/1 has no down migration): CLIENT_TOO_OLD.
UNSERVABLE_SCHEMA: dict[str, Any] = {
    **CURRENT_SCHEMA,
    "sequences": {**CURRENT_SCHEMA["sequences"], "com.tldraw.page": 0},
}
#: A client from the future: SERVER_TOO_OLD.
FUTURE_SCHEMA: dict[str, Any] = {
    **CURRENT_SCHEMA,
    "sequences": {**CURRENT_SCHEMA["sequences"], "com.tldraw.shape.geo": 99},
}
#: A client with a sequence we do not have (accepted by 5.4.2: nothing to migrate).
EXTRA_SEQUENCE_SCHEMA: dict[str, Any] = {
    **CURRENT_SCHEMA,
    "sequences": {**CURRENT_SCHEMA["sequences"], "com.example.extra": 3},
}

WORDS = ["alpha", "beta", "gamma", "delta", "ünï", "😀", "x", ""]
#: Valid index keys. None ends in "0" (but "a0"): com.tldraw.store/5 (FixIndexKeys) replaces such
#: an ending with random digits when it migrates a record up from an older client.
INDEXES = ["a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "aA", "a1V", "b11", "Zz"]


def _style(name: str) -> list[Any]:
    values: list[Any] = STYLES[f"tldraw:{name}"]["values"]
    return values


def _weighted(rng: random.Random, table: list[tuple[float, str]]) -> str:
    total = sum(weight for weight, _ in table)
    pick = rng.uniform(0, total)
    for weight, name in table:
        pick -= weight
        if pick <= 0 and weight > 0:
            return name
    return next(name for weight, name in reversed(table) if weight > 0)


class Client:
    """What the generator remembers about a session id (across its sockets)."""

    def __init__(self, session_id: str, protocol: Any, schema: Any, readonly: bool) -> None:
        self.id = session_id
        self.protocol = protocol
        self.schema = schema
        self.readonly = readonly
        self.client_clock = 0
        self.last_server_clock = -1
        self.presence: Record | None = None
        self.requests = 0


class SequenceGenerator:
    """Builds one sequence; see the module docstring."""

    def __init__(self, seed: int, snapshot: dict[str, Any]) -> None:
        self.rng = random.Random(seed)
        self.host = PyRoomHost(snapshot)
        self.events: list[Event] = []
        self.clients: dict[str, Client] = {}
        self.scanned: list[int] = []
        self.history: list[dict[str, Record]] = []  # the documents after earlier events
        self.counter = 0

    # -- running -------------------------------------------------------------------------------

    def emit(self, event: Event) -> None:
        self.events.append(event)
        self.host.apply(event)
        self._scan()

    def _scan(self) -> None:
        """Remember the newest serverClock each session was sent."""
        while len(self.scanned) < len(self.host.sockets):
            self.scanned.append(0)
        for index, socket in enumerate(self.host.sockets):
            frames = socket.frames[self.scanned[index] :]
            self.scanned[index] = len(socket.frames)
            client = self.clients.get(socket.session)
            if client is None:
                continue
            for message in flatten(frames):
                if isinstance(message.get("serverClock"), int):
                    client.last_server_clock = message["serverClock"]

    def documents(self) -> dict[str, Record]:
        return {rid: d.state for rid, d in self.host.room.storage.documents.items()}

    def connected(self) -> list[str]:
        return [
            sid
            for sid, session in self.host.room.sessions.items()
            if session.state is SessionState.CONNECTED and session.socket.is_open
        ]

    def fresh_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def generate(self, length: int) -> list[Event]:
        while len(self.events) < length:
            self.history.append(dict(self.documents()))  # records are never changed in place
            self.step()
        return self.events

    def step(self) -> None:
        rng = self.rng
        connected = self.connected()
        live = [sid for sid in self.host.room.sessions]
        action = _weighted(
            rng,
            [
                (4.0 if len(live) < 2 else 1.5 if len(live) < 4 else 0.3, "new_session"),
                (1.2 if self.clients else 0, "reconnect"),
                (0.15 if connected else 0, "connect_again"),
                (7.0 if connected else 0, "push_documents"),
                (1.2 if len(connected) >= 2 else 0, "conflict"),
                (3.0 if connected else 0, "presence"),
                (1.5 if connected else 0, "ping"),
                (0.3 if live else 0, "push_unconnected"),
                (0.7 if live else 0, "close"),
                (0.3 if live else 0, "drop"),
                (0.1 if len(self.host.sockets) > 1 else 0, "close_stale"),
                (4.0, "advance"),
                (0.12 if connected else 0, "odd_message"),
            ],
        )
        getattr(self, f"do_{action}")()

    # -- sessions ------------------------------------------------------------------------------

    def connect_message(self, client: Client, last_clock: Any) -> dict[str, Any]:
        client.requests += 1
        message: dict[str, Any] = {
            "type": "connect",
            "connectRequestId": f"{client.id}-r{client.requests}",
            "lastServerClock": last_clock,
        }
        if client.protocol is not None:
            message["protocolVersion"] = client.protocol
        if client.schema is not None:
            message["schema"] = client.schema
        return message

    def do_new_session(self) -> None:
        rng = self.rng
        protocol = _weighted(
            rng,
            [(85, "8"), (8, "7"), (2, "6"), (1.5, "5"), (1, "9"), (1, "4"), (0.5, "none")],
        )
        schema_name = _weighted(
            rng,
            [
                *((80, "current"), (8, "old"), (5, "older"), (1, "unservable")),
                *((1.5, "future"), (1.5, "extra"), (1, "none")),
            ],
        )
        schema = {
            "current": CURRENT_SCHEMA,
            "old": OLD_GEO_SCHEMA,
            "older": OLDER_SCHEMA,
            "unservable": UNSERVABLE_SCHEMA,
            "future": FUTURE_SCHEMA,
            "extra": EXTRA_SEQUENCE_SCHEMA,
            "none": None,
        }[schema_name]
        client = Client(
            self.fresh_id("s"),
            None if protocol == "none" else int(protocol),
            copy.deepcopy(schema),
            readonly=rng.random() < 0.1,
        )
        self.clients[client.id] = client
        self.emit({"t": "open", "s": client.id, "readonly": client.readonly})
        if rng.random() < 0.9:
            self.emit({"t": "msg", "s": client.id, "m": self.connect_message(client, -1)})

    def do_reconnect(self) -> None:
        rng = self.rng
        client = self.clients[rng.choice(sorted(self.clients))]
        socket = self.host.latest.get(client.id)
        if socket is not None and socket.is_open and rng.random() < 0.6:
            self.emit({"t": "close", "s": client.id})
        clock = self.host.room.clock
        choice = _weighted(rng, [(6, "last"), (1.5, "fresh"), (1.5, "older"), (1, "future")])
        last_clock = {
            "last": client.last_server_clock,
            "fresh": -1,
            "older": rng.randint(0, max(clock, 0)),
            "future": clock + rng.randint(1, 5),
        }[choice]
        client.presence = None
        self.emit({"t": "open", "s": client.id, "readonly": client.readonly})
        if rng.random() < 0.95:
            self.emit({"t": "msg", "s": client.id, "m": self.connect_message(client, last_clock)})

    def do_connect_again(self) -> None:
        client = self.clients[self.rng.choice(self.connected())]
        client.presence = None
        message = self.connect_message(client, client.last_server_clock)
        self.emit({"t": "msg", "s": client.id, "m": message})

    def do_close(self) -> None:
        self.emit({"t": "close", "s": self.rng.choice(sorted(self.host.room.sessions))})

    def do_drop(self) -> None:
        self.emit({"t": "drop", "s": self.rng.choice(sorted(self.host.room.sessions))})

    def do_close_stale(self) -> None:
        """A socket that was replaced by a reconnect reports its close (5.4.2 cancels the
        session under that id, whichever socket it has now)."""
        index = self.rng.randrange(len(self.host.sockets))
        socket = self.host.sockets[index]
        self.emit({"t": "close", "s": socket.session, "sock": index})

    def do_advance(self) -> None:
        rng = self.rng
        ms = float(
            rng.choice(
                # the timeouts' boundaries too: 5000/10000/20000 ms after the last activity are
                # not yet past them, one ms more is
                [
                    *(1, 5, 10, 16, 17, 17, 20, 33, 50, 300, 999, 1000, 2500),
                    *(5000, 5001, 5101, 10000, 10001, 20000, 20001),
                ]
            )
        )
        if rng.random() < 0.1:
            ms = round(rng.uniform(0, 40), 3)
        self.emit({"t": "advance", "ms": ms})

    def do_ping(self) -> None:
        self.emit({"t": "msg", "s": self.rng.choice(self.connected()), "m": {"type": "ping"}})

    def do_push_unconnected(self) -> None:
        """A message from a session that is not connected (awaiting connect or removal)."""
        candidates = [
            sid
            for sid, s in self.host.room.sessions.items()
            if s.state is not SessionState.CONNECTED
        ] or sorted(self.host.room.sessions)
        sid = self.rng.choice(candidates)
        client = self.clients[sid]
        if self.rng.random() < 0.5:
            message: dict[str, Any] = {"type": "ping"}
        else:
            message = self.push_message(client, self.document_ops(client))
        self.emit({"t": "msg", "s": sid, "m": message})

    def do_odd_message(self) -> None:
        sid = self.rng.choice(self.connected())
        message = self.rng.choice(
            [{"type": "nonsense"}, {"type": "push", "clientClock": 0, "diff": {}}]
        )
        self.emit({"t": "msg", "s": sid, "m": message})

    # -- pushes --------------------------------------------------------------------------------

    def push_message(
        self, client: Client, diff: dict[str, Any] | None, presence: Any = None
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"type": "push", "clientClock": client.client_clock}
        client.client_clock += 1
        if diff is not None:
            message["diff"] = diff
        if presence is not None:
            message["presence"] = presence
        return message

    def do_push_documents(self) -> None:
        client = self.clients[self.rng.choice(self.connected())]
        diff = self.document_ops(client)
        presence = self.presence_op(client) if self.rng.random() < 0.15 else None
        self.emit({"t": "msg", "s": client.id, "m": self.push_message(client, diff, presence)})

    def do_presence(self) -> None:
        client = self.clients[self.rng.choice(self.connected())]
        self.emit(
            {
                "t": "msg",
                "s": client.id,
                "m": self.push_message(client, None, self.presence_op(client)),
            }
        )

    def do_conflict(self) -> None:
        """Two sessions change the same record from the same base at one instant."""
        rng = self.rng
        first, second = rng.sample(self.connected(), 2)
        documents = self.documents()
        if not documents:
            self.do_push_documents()
            return
        target = documents[rng.choice(sorted(documents))]
        ops: list[tuple[Client, dict[str, Any]]] = []
        for sid in (first, second):
            client = self.clients[sid]
            base = self.to_client(client, target)
            kind = _weighted(rng, [(5, "patch"), (2, "put"), (1, "remove")])
            if kind == "remove":
                ops.append((client, {target["id"]: ["remove"]}))
                continue
            changed = self.to_client(client, self.mutate(target))
            if kind == "put":
                ops.append((client, {target["id"]: ["put", changed]}))
            else:
                patch = diff_record(base, changed)
                ops.append((client, {target["id"]: ["patch", patch or {}]}))
        for client, diff in ops:
            self.emit({"t": "msg", "s": client.id, "m": self.push_message(client, diff)})

    def to_client(self, client: Client, record: Record) -> Record:
        """``record`` as ``client`` sees it (migrated down to its schema)."""
        if client.schema is None or client.schema == CURRENT_SCHEMA:
            return copy.deepcopy(record)
        result = SCHEMA.migrate_persisted_record(copy.deepcopy(record), client.schema, "down")
        if isinstance(result, Err):
            return copy.deepcopy(record)
        return result.value

    def document_ops(self, client: Client) -> dict[str, Any]:
        rng = self.rng
        documents = self.documents()
        ids = sorted(documents)
        diff: dict[str, Any] = {}
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
            kind = _weighted(
                rng,
                [
                    (3, "create_shape"),
                    (1, "create_page"),
                    (5, "patch"),
                    (1.5, "put_changed"),
                    (0.5, "put_same"),
                    (0.8, "put_stale"),
                    (1.5, "remove"),
                    (0.4, "remove_missing"),
                    (0.4, "patch_missing"),
                    (0.3, "bad_append"),
                    (0.15, "invalid_create"),
                    (0.15, "invalid_patch"),
                    (0.1, "unknown_type"),
                    (0.05, "presence_in_diff"),
                    (0.15, "type_change"),
                    (0.3, "recreate"),
                ],
            )
            if kind == "create_shape":
                record = self.new_shape(documents)
                diff[record["id"]] = ["put", self.to_client(client, record)]
            elif kind == "create_page":
                record = self.new_page()
                diff[record["id"]] = ["put", record]
            elif kind in ("patch", "put_changed", "put_same", "invalid_patch") and ids:
                target = documents[rng.choice(ids)]
                if kind == "put_same":
                    diff[target["id"]] = ["put", self.to_client(client, target)]
                    continue
                changed = self.mutate(target)
                if kind == "invalid_patch":
                    changed = self.invalidate(changed)
                base, after = self.to_client(client, target), self.to_client(client, changed)
                if kind == "put_changed":
                    diff[target["id"]] = ["put", after]
                else:
                    diff[target["id"]] = ["patch", diff_record(base, after) or {}]
            elif kind == "put_stale" and len(self.history) > 2:
                old = self.history[rng.randrange(len(self.history) - 1)]
                if old:
                    record = old[rng.choice(sorted(old))]
                    diff[record["id"]] = ["put", self.to_client(client, record)]
            elif kind == "remove" and ids:
                diff[rng.choice(ids)] = ["remove"]
            elif kind == "remove_missing":
                diff[f"shape:missing{rng.randint(0, 3)}"] = ["remove"]
            elif kind == "patch_missing":
                diff[f"shape:missing{rng.randint(0, 3)}"] = ["patch", {"x": ["put", 1]}]
            elif kind == "bad_append":
                pages = [rid for rid in ids if rid.startswith("page:")]
                if pages:
                    diff[rng.choice(pages)] = ["patch", {"name": ["append", "zz", 999]}]
            elif kind == "invalid_create":
                record = self.invalidate(self.new_shape(documents))
                diff[record["id"]] = ["put", self.to_client(client, record)]
            elif kind == "unknown_type":
                diff["widget:w1"] = ["put", {"id": "widget:w1", "typeName": "widget"}]
            elif kind == "presence_in_diff":
                presence = self.new_presence()
                diff[presence["id"]] = ["put", presence]
            elif kind == "type_change":
                shapes = [rid for rid in ids if rid.startswith("shape:")]
                if shapes:
                    record = {**self.new_page(), "id": rng.choice(shapes)}
                    diff[record["id"]] = ["put", record]
            elif kind == "recreate":
                tombstones = sorted(self.host.room.storage.tombstones)
                shapes = [t for t in tombstones if t.startswith("shape:")]
                if shapes:
                    record = {**self.new_shape(documents), "id": rng.choice(shapes)}
                    diff[record["id"]] = ["put", self.to_client(client, record)]
        return diff

    def presence_op(self, client: Client) -> list[Any]:
        rng = self.rng
        kind = _weighted(rng, [(3, "put"), (6, "patch"), (0.15, "invalid"), (0.3, "blind_patch")])
        if kind == "blind_patch" or (kind == "patch" and client.presence is None):
            if client.presence is None:
                return ["patch", {"userName": ["put", "blind"]}]
            kind = "put"
        if kind == "invalid":
            return ["put", {**self.new_presence(), "cursor": {"x": "left"}}]
        if kind == "put" or client.presence is None:
            record = self.new_presence()
            client.presence = record
            return ["put", self.to_client(client, record)]
        changed = copy.deepcopy(client.presence)
        self.mutate_presence(changed)
        patch = diff_record(
            self.to_client(client, client.presence), self.to_client(client, changed)
        )
        client.presence = changed
        return ["patch", patch or {}]

    # -- records -------------------------------------------------------------------------------

    def new_shape(self, documents: dict[str, Record]) -> Record:
        rng = self.rng
        pages = [rid for rid in documents if rid.startswith("page:")] or ["page:page"]
        return {
            "id": self.fresh_id("shape:g"),
            "typeName": "shape",
            "type": "geo",
            "parentId": rng.choice(sorted(pages)),
            "index": rng.choice(INDEXES),
            "x": rng.choice([0, 10, -5.5, 123.25]),
            "y": rng.choice([0, 20, 7.75]),
            "rotation": 0,
            "isLocked": False,
            "opacity": 1,
            "meta": {},
            "props": {
                "geo": rng.choice(_style("geo")),
                "dash": rng.choice(_style("dash")),
                "url": "",
                "w": rng.choice([1, 100, 37.5]),
                "h": rng.choice([1, 80, 12.5]),
                "growY": 0,
                "scale": 1,
                "flipX": False,
                "flipY": False,
                "labelColor": "black",
                "color": rng.choice(_style("color")),
                "fill": rng.choice(_style("fill")),
                "size": rng.choice(_style("size")),
                "font": rng.choice(_style("font")),
                "align": rng.choice(_style("horizontalAlign")),
                "verticalAlign": rng.choice(_style("verticalAlign")),
                "richText": to_rich_text(rng.choice(WORDS)),
            },
        }

    def new_page(self) -> Record:
        return {
            "id": self.fresh_id("page:p"),
            "typeName": "page",
            "name": self.rng.choice(WORDS),
            "index": self.rng.choice(INDEXES),
            "meta": {},
        }

    def new_presence(self) -> Record:
        rng = self.rng
        record: Record = SCHEMA.types["instance_presence"].create(
            id="instance_presence:client-chosen",
            userId=f"user:{rng.choice(['a', 'b', 'c'])}",
            userName=rng.choice(WORDS),
            currentPageId="page:page",
        )
        self.mutate_presence(record)
        return record

    def mutate_presence(self, record: Record) -> None:
        rng = self.rng
        for _ in range(rng.randint(1, 3)):
            field = rng.choice(["cursor", "chatMessage", "selectedShapeIds", "camera", "color"])
            if field == "cursor":
                record["cursor"] = {
                    "x": rng.randint(-50, 50),
                    "y": rng.choice([0, 1.5, 99]),
                    "type": "default",
                    "rotation": 0,
                }
            elif field == "chatMessage":
                record["chatMessage"] = (
                    record["chatMessage"] + rng.choice(WORDS)
                    if rng.random() < 0.7
                    else rng.choice(WORDS)
                )
            elif field == "selectedShapeIds":
                shapes = sorted(rid for rid in self.documents() if rid.startswith("shape:"))
                record["selectedShapeIds"] = rng.sample(shapes, min(len(shapes), rng.randint(0, 2)))
            elif field == "camera":
                record["camera"] = {"x": rng.randint(0, 9), "y": 0, "z": rng.choice([1, 0.5])}
            else:
                record["color"] = rng.choice(["#FF0000", "#00FF00", "#123456"])

    def mutate(self, record: Record) -> Record:
        """A valid change of ``record`` (one to three fields)."""
        rng = self.rng
        changed = copy.deepcopy(record)
        type_name = record["typeName"]
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.2:
                changed["meta"] = self.mutate_meta(changed.get("meta", {}))
            elif type_name == "shape" and record.get("type") == "geo":
                self.mutate_geo(changed)
            elif type_name in ("page", "document"):
                if type_name == "document" and rng.random() < 0.4:
                    changed["gridSize"] = rng.choice([5, 10, 20, 12.5])
                elif rng.random() < 0.6:
                    changed["name"] = changed["name"] + rng.choice(WORDS)  # a string append
                else:
                    changed["name"] = rng.choice(WORDS)
                if type_name == "page" and rng.random() < 0.2:
                    changed["index"] = rng.choice(INDEXES)
        return changed

    def mutate_geo(self, shape: Record) -> None:
        rng = self.rng
        props = shape["props"]
        field = rng.choice(
            ["x", "y", "rotation", "opacity", "isLocked", "w", "h", "color", "geo", "text", "flip"]
        )
        if field in ("x", "y"):
            shape[field] = rng.choice([0, 1, -3, 42.5, 1e6, 0.1])
        elif field == "rotation":
            shape["rotation"] = rng.choice([0, 1.5707963267948966, 3.14])
        elif field == "opacity":
            shape["opacity"] = rng.choice([0, 0.25, 0.5, 1])
        elif field == "isLocked":
            shape["isLocked"] = not shape["isLocked"]
        elif field in ("w", "h"):
            props[field] = rng.choice([1, 10, 99.5, 300])
        elif field == "color":
            props["color"] = rng.choice(_style("color"))
        elif field == "geo":
            props["geo"] = rng.choice(_style("geo"))
        elif field == "text":
            props["richText"] = to_rich_text(" ".join(rng.sample(WORDS, rng.randint(1, 3))))
        else:
            props["flipX"] = not props.get("flipX", False)

    def mutate_meta(self, meta: Any) -> dict[str, Any]:
        rng = self.rng
        result = copy.deepcopy(meta) if isinstance(meta, dict) else {}
        key = rng.choice(["tags", "n", "nested", "note"])
        if key == "tags":
            tags = list(result.get("tags", []))
            choice = rng.random()
            if choice < 0.4 or not tags:
                tags.append(rng.choice(WORDS))
            elif choice < 0.7:
                tags[rng.randrange(len(tags))] = rng.choice(WORDS)
            else:
                tags.pop()
            result["tags"] = tags
        elif key == "n":
            result["n"] = rng.choice([0, 1, 2.5, None, True])
        elif key == "nested":
            nested = dict(result.get("nested", {}))
            nested[rng.choice(["a", "b"])] = rng.choice([[1, 2], {"z": 1}, "s", None])
            result["nested"] = nested
        elif "note" in result and rng.random() < 0.5:
            del result["note"]
        else:
            result["note"] = rng.choice(WORDS)
        return result

    def invalidate(self, record: Record) -> Record:
        rng = self.rng
        broken = copy.deepcopy(record)
        how = rng.choice(["color", "opacity", "parent", "extra"])
        if broken["typeName"] != "shape":
            broken["name" if "name" in broken else "meta"] = 12
        elif how == "color":
            broken["props"]["color"] = "puce"
        elif how == "opacity":
            broken["opacity"] = "opaque"
        elif how == "parent":
            broken["parentId"] = "nowhere"
        else:
            broken["props"]["sparkle"] = True
        return broken


# ----------------------------------------------------------------------------------------------
# initial snapshots

#: The rooms' starting points: tldraw's default room; one with history (shapes, pages,
#: tombstones, a tombstone history that starts after 0); one written under an older geo schema
#: (loading migrates it and moves the clock); one whose clocks need clamping (the clock is
#: raised to the newest change, the history start lowered to the clock, so the tombstones go).
SNAPSHOT_KINDS: tuple[str, ...] = ("default", "rich", "old_schema", "clamped")


def stored_geo(shape_id: str, clock: int, **fields: Any) -> dict[str, Any]:
    """A stored geo shape (current schema) for a snapshot."""
    record: Record = {
        "id": shape_id,
        "typeName": "shape",
        "type": "geo",
        "parentId": "page:page",
        "index": "a1",
        "x": 0,
        "y": 0,
        "rotation": 0,
        "isLocked": False,
        "opacity": 1,
        "meta": {},
        "props": {
            "geo": "rectangle",
            "dash": "draw",
            "url": "",
            "w": 100,
            "h": 80,
            "growY": 0,
            "scale": 1,
            "flipX": False,
            "flipY": False,
            "labelColor": "black",
            "color": "black",
            "fill": "none",
            "size": "m",
            "font": "draw",
            "align": "middle",
            "verticalAlign": "middle",
            "richText": to_rich_text("stored"),
        },
    }
    record.update(fields)
    return {"state": record, "lastChangedClock": clock}


def initial_snapshot(kind: str, default: dict[str, Any]) -> dict[str, Any]:
    """The snapshot of ``kind`` (see SNAPSHOT_KINDS); ``default`` is tldraw's default room."""
    if kind == "default":
        return copy.deepcopy(default)
    document, page = (copy.deepcopy(d["state"]) for d in default["documents"])
    rich_documents = [
        {"state": document, "lastChangedClock": 3},
        {"state": {**page, "name": "Main"}, "lastChangedClock": 7},
        {
            "state": {
                "id": "page:p2",
                "typeName": "page",
                "name": "Two",
                "index": "a2",
                "meta": {},
            },
            "lastChangedClock": 12,
        },
        stored_geo("shape:s1", 2),
        stored_geo("shape:s2", 9, x=40, meta={"tags": ["a", "b"]}),
        stored_geo("shape:s3", 15, parentId="page:p2", index="a2"),
        stored_geo("shape:s4", 20, y=-7.5),
    ]
    if kind == "rich":
        return {
            "documentClock": 20,
            "tombstoneHistoryStartsAtClock": 5,
            "documents": rich_documents,
            "tombstones": {"shape:t1": 6, "shape:t2": 11, "page:t3": 16, "shape:t4": 16},
            "schema": copy.deepcopy(CURRENT_SCHEMA),
        }
    if kind == "old_schema":
        documents = copy.deepcopy(rich_documents)
        for entry in documents:
            props = entry["state"].get("props")
            if props is not None:
                del props["flipX"], props["flipY"]
        return {
            "documentClock": 20,
            "tombstoneHistoryStartsAtClock": 2,
            "documents": documents,
            "tombstones": {"shape:t1": 6, "shape:t2": 11},
            "schema": copy.deepcopy(OLD_GEO_SCHEMA),
        }
    if kind == "clamped":
        return {
            "documentClock": 3,
            "tombstoneHistoryStartsAtClock": 50,
            "documents": rich_documents[:5],
            "tombstones": {"shape:t1": 6, "shape:t2": 11},
            "schema": copy.deepcopy(CURRENT_SCHEMA),
        }
    raise ValueError(f"unknown snapshot kind {kind!r}")


def snapshot_kind(seed: int) -> str:
    """The initial snapshot a seed's sequence starts from (the default one half the time)."""
    return SNAPSHOT_KINDS[0] if seed % 2 == 0 else SNAPSHOT_KINDS[1 + (seed // 2) % 3]


def generate(seed: int, length: int, snapshot: dict[str, Any]) -> list[Event]:
    """The sequence of ``length`` events (roughly) for ``seed``, from ``snapshot``."""
    return SequenceGenerator(seed, snapshot).generate(length)

"""Run one sequence of room events against our TLSyncRoom and tldraw's, and compare.

Events are JSON objects with a type ``t`` (``s`` is a session id); both rooms interpret them the
same way (tests/node/ops/room.mjs has the node side):

* ``{"t": "open", "s": id, "readonly": bool}``: a new socket, ``handle_new_session``;
* ``{"t": "msg", "s": id, "m": message}``: ``handle_message`` (tldraw: a non-sync exception
  rejects the session with ``UNKNOWN_ERROR``, as TLSocketRoom does);
* ``{"t": "close", "s": id, "sock": n?}``: the client closes its socket (the session's latest,
  or socket number ``n``), then ``handle_close``;
* ``{"t": "drop", "s": id, "sock": n?}``: the socket stops being open; the room is not told;
* ``{"t": "advance", "ms": ms}``: time moves on; the data batches that are due go out, then the
  room prunes its sessions once (ours: ``tick()``; tldraw: its debounce timers that are due,
  then ``pruneSessions`` once).

Time only moves in ``advance`` and the rooms prune only there: the host decides when (as our
server does, at :meth:`TLSyncRoom.next_deadline`); tldraw's own schedule (a 2 s interval and a
prune after every message, throttled to 1 s) is the host's, not the room's.

A run's result (both sides give the same JSON shape): every socket in order of opening with
the frames it received, how the server closed it and whether the client did; the presence id
each ``open`` gave its session; the sessions and presence records left; the snapshot. The
comparison normalises what legitimately differs (random presence ids, batch boundaries, our
snapshot's extra ``clock`` key: :func:`normalise`; string appends while a legacy session is
connected, a deliberate difference: :func:`messages_equal`) and reports the first difference of
each socket, then of the end state.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from node_peer import NodePeer

from tlsync_core.room.room import TLSyncRoom
from tlsync_core.store.jsvalue import utf16_length
from tlsync_core.testing import FakeClock
from tlsync_core.tldraw import create_tldraw_schema

Event = dict[str, Any]
Result = dict[str, Any]

SCHEMA = create_tldraw_schema()
#: The rooms' clock at the start of every run (ms; an arbitrary date, as Date.now would give).
START = 1_700_000_000_000.0


class DiffSocket:
    """A room socket that records frames (as JSON round trips) and closes, like room.mjs's."""

    def __init__(self, session: str) -> None:
        self.session = session
        self.is_open = True
        self.frames: list[dict[str, Any]] = []
        self.closed: dict[str, Any] | None = None
        self.closed_by_client = False

    def send_message(self, message: Mapping[str, Any]) -> None:
        if self.is_open:
            self.frames.append(json.loads(json.dumps(message)))

    def close(self, code: int | None = None, reason: str | None = None) -> None:
        if self.is_open:
            self.is_open = False
            self.closed = {"code": code, "reason": reason}


class _ErrorLog(logging.Handler):
    """Collects the room's logged exceptions (tldraw's side reports its own)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.errors.append(record.getMessage())


@contextmanager
def _quiet_room_logs() -> Iterator[_ErrorLog]:
    """Keep the room's warnings out of pytest's output, but collect its errors."""
    logger = logging.getLogger("tlsync_core.room")
    handler = _ErrorLog()
    propagate, level = logger.propagate, logger.level
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.ERROR)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
        logger.setLevel(level)


class PyRoomHost:
    """Our room on a fake clock, driven by events (the Python twin of room.mjs's Host)."""

    def __init__(self, snapshot: Mapping[str, Any], start: float = START) -> None:
        self.clock = FakeClock(start)
        self.room = TLSyncRoom(SCHEMA, copy.deepcopy(dict(snapshot)), now=self.clock)
        self.sockets: list[DiffSocket] = []
        self.latest: dict[str, DiffSocket] = {}
        self.presence_ids: list[str | None] = []
        self.errors: list[str] = []

    def _socket(self, event: Event) -> DiffSocket | None:
        if event.get("sock") is not None:
            index = event["sock"]
            return self.sockets[index] if 0 <= index < len(self.sockets) else None
        return self.latest.get(event["s"])

    def apply(self, event: Event) -> None:
        kind = event["t"]
        if kind == "open":
            socket = DiffSocket(event["s"])
            self.sockets.append(socket)
            self.latest[event["s"]] = socket
            session = self.room.handle_new_session(
                event["s"], socket, is_readonly=bool(event.get("readonly", False))
            )
            self.presence_ids.append(session.presence_id)
        elif kind == "msg":
            with _quiet_room_logs() as log:
                self.room.handle_message(event["s"], copy.deepcopy(event["m"]))
            self.errors.extend(f"{event['s']}: {error}" for error in log.errors)
        elif kind in ("close", "drop"):
            target = self._socket(event)
            if target is not None and target.is_open:
                target.is_open = False
                target.closed_by_client = True
            if kind == "close":
                self.room.handle_close(event["s"])
        elif kind == "advance":
            self.clock.advance(event["ms"])
            with _quiet_room_logs():
                self.room.tick()
        else:
            raise ValueError(f"unknown room event {kind!r}")

    def run(self, events: Sequence[Event]) -> None:
        for event in events:
            self.apply(event)

    def flush(self) -> None:
        """Send every batch still waiting (tldraw: ``_flushDataMessages`` per session).

        Not to closed sockets: tldraw's flush writes to them (a closed socket drops it) and
        leaves the session for the next prune, where ours would cancel it at once; both would
        cancel it at the same prune had the run gone on.
        """
        for session in list(self.room.sessions.values()):
            if session.outstanding and session.socket.is_open:
                self.room._flush(session)

    def result(self) -> Result:
        snapshot: dict[str, Any] = dict(self.room.get_snapshot())
        result: Result = json.loads(
            json.dumps(
                {
                    "sockets": [
                        {
                            "session": s.session,
                            "frames": s.frames,
                            "closed": s.closed,
                            "closedByClient": s.closed_by_client,
                        }
                        for s in self.sockets
                    ],
                    "presenceIds": self.presence_ids,
                    "sessions": {
                        sid: {"state": s.state.value, "presenceId": s.presence_id}
                        for sid, s in self.room.sessions.items()
                    },
                    "presence": self.room.presence,
                    "snapshot": snapshot,
                    "errors": self.errors,
                }
            )
        )
        return result


def run_python(events: Sequence[Event], snapshot: Mapping[str, Any]) -> Result:
    """The result of ``events`` on our room."""
    host = PyRoomHost(snapshot)
    host.run(events)
    host.flush()
    return host.result()


def run_node(
    peer: NodePeer, runs: Sequence[tuple[Sequence[Event], Mapping[str, Any]]]
) -> list[Result]:
    """The results of several ``(events, snapshot)`` runs on tldraw's room, in one round trip."""
    results: list[Result] = peer.call(
        "roomRun",
        runs=[
            {"snapshot": snapshot, "start": START, "events": list(events)}
            for events, snapshot in runs
        ],
    )
    return results


# ----------------------------------------------------------------------------------------------
# normalisation and comparison


def _replace_strings(value: Any, mapping: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return mapping.get(value, value)
    if isinstance(value, list):
        return [_replace_strings(v, mapping) for v in value]
    if isinstance(value, dict):
        return {mapping.get(k, k): _replace_strings(v, mapping) for k, v in value.items()}
    return value


def _canonical_numbers(value: Any) -> Any:
    """Integral floats as ints (JSON has one number type: node writes 1 where we may write 1.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_canonical_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _canonical_numbers(v) for k, v in value.items()}
    return value


def flatten(frames: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A socket's messages with ``data`` batches unwrapped: the boundaries of batches depend
    only on timing, which the comparison does not hold the rooms to."""
    messages: list[dict[str, Any]] = []
    for frame in frames:
        if frame.get("type") == "data":
            messages.extend(frame["data"])
        else:
            messages.append(dict(frame))
    return messages


def normalise(result: Result) -> Result:
    """What must be equal between the two rooms' results.

    * Presence ids are random (a nanoid in tldraw): each is replaced by ``P<n>``, n being the
      order in which ``open`` events handed it out, so reuse on reconnect still shows.
    * Data batches are flattened (:func:`flatten`).
    * Snapshot documents are keyed by id (storage order is not part of the format); our
      snapshot's extra ``clock`` key (protocol 3's name of ``documentClock``, kept for
      its readers: a deliberate addition) is dropped.
    * ``errors`` (exceptions logged by the room) are diagnostics, not compared.
    """
    mapping: dict[str, str] = {}
    for presence_id in result["presenceIds"]:
        if presence_id is not None and presence_id not in mapping:
            mapping[presence_id] = f"instance_presence:P{len(mapping)}"
    snapshot = dict(result["snapshot"])
    snapshot.pop("clock", None)
    snapshot["documents"] = {d["state"]["id"]: d for d in snapshot["documents"]}
    normal = {
        "sockets": [
            {
                "session": s["session"],
                "messages": flatten(s["frames"]),
                "closed": s["closed"],
                "closedByClient": s["closedByClient"],
            }
            for s in result["sockets"]
        ],
        "presenceIds": result["presenceIds"],
        "sessions": result["sessions"],
        "presence": result["presence"],
        "snapshot": snapshot,
    }
    replaced: Result = _canonical_numbers(_replace_strings(normal, mapping))
    return replaced


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


LEGACY_APPEND_PROTOCOLS = frozenset({5, 6, 7})


def has_legacy_append_session(events: Sequence[Event]) -> bool:
    """Whether some session of the run asked to connect with a protocol that cannot take
    string appends (5, 6, 7)."""
    return any(
        event["t"] == "msg"
        and isinstance(event["m"], dict)
        and event["m"].get("type") == "connect"
        and event["m"].get("protocolVersion") in LEGACY_APPEND_PROTOCOLS
        for event in events
    )


def _append_as_put(ours: Any, theirs: Any) -> bool:
    """Whether ``ours`` equals ``theirs`` once string appends in ``theirs`` may stand for our
    puts of the whole string.

    DELIBERATE DIFFERENCE (SPEC SES5): while a session that cannot take string
    appends (protocol 5-7) is connected, we send no string appends to anyone, as newer tldraw
    does; 5.4.2 re-diffs broadcasts (and migrated diffs) without the legacy flag, and diffs a
    put over an existing record without it (which reaches the pusher as its rebase), so
    sessions still get ``["append", text, offset]`` where we send ``["put", whole]``. They are
    the same change when the whole string is ``offset`` UTF-16 units followed by ``text`` (the
    prefix is the record's value, which both rooms agree on: the snapshots are compared).
    """
    if (
        isinstance(ours, list)
        and isinstance(theirs, list)
        and len(ours) == 2
        and len(theirs) == 3
        and ours[0] == "put"
        and theirs[0] == "append"
        and isinstance(ours[1], str)
        and isinstance(theirs[1], str)
        and isinstance(theirs[2], int)
    ):
        whole, text, offset = ours[1], theirs[1], theirs[2]
        return whole.endswith(text) and utf16_length(whole) == offset + utf16_length(text)
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return ours.keys() == theirs.keys() and all(
            _append_as_put(ours[k], theirs[k]) for k in ours
        )
    if isinstance(ours, list) and isinstance(theirs, list):
        return len(ours) == len(theirs) and all(
            _append_as_put(a, b) for a, b in zip(ours, theirs, strict=True)
        )
    return _text(ours) == _text(theirs)


def messages_equal(ours: Any, theirs: Any, *, legacy_appends: bool) -> bool:
    """Whether two (normalised) messages agree; with ``legacy_appends``, a ``patch`` or a
    ``push_result`` may differ by :func:`_append_as_put`."""
    if _text(ours) == _text(theirs):
        return True
    return (
        legacy_appends
        and isinstance(ours, dict)
        and ours.get("type") in ("patch", "push_result")
        and _append_as_put(ours, theirs)
    )


def _short(value: Any, limit: int = 600) -> str:
    text = _text(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _socket_differences(
    index: int, ours: Mapping[str, Any], theirs: Mapping[str, Any], *, legacy_appends: bool
) -> list[str]:
    where = f"socket {index} (session {ours['session']})"
    found: list[str] = []
    ma, mb = ours["messages"], theirs["messages"]
    for position, (x, y) in enumerate(zip(ma, mb, strict=False)):
        if not messages_equal(x, y, legacy_appends=legacy_appends):
            found.append(
                f"{where}, message {position}:\n    ours:   {_short(x)}\n    tldraw: {_short(y)}"
            )
            break
    else:
        if len(ma) != len(mb):
            shorter = min(len(ma), len(mb))
            found.append(
                f"{where}: ours sent {len(ma)} messages, tldraw {len(mb)}; the first extra: "
                f"{_short((ma if len(ma) > len(mb) else mb)[shorter])} "
                f"({'ours' if len(ma) > len(mb) else 'tldraw'})"
            )
    for key in ("closed", "closedByClient"):
        if _text(ours[key]) != _text(theirs[key]):
            found.append(f"{where} {key}: ours {ours[key]}, tldraw {theirs[key]}")
    return found


def differences(ours: Result, theirs: Result, events: Sequence[Event]) -> list[str]:
    """The differences between two raw results of ``events`` (empty if they agree), most
    telling first."""
    a, b = normalise(ours), normalise(theirs)
    legacy_appends = has_legacy_append_session(events)
    found: list[str] = []
    if len(a["sockets"]) != len(b["sockets"]):
        found.append(f"socket count: ours {len(a['sockets'])}, tldraw {len(b['sockets'])}")
    for index, (sa, sb) in enumerate(zip(a["sockets"], b["sockets"], strict=False)):
        found.extend(_socket_differences(index, sa, sb, legacy_appends=legacy_appends))
    for key in ("presenceIds", "sessions", "presence"):
        if _text(a[key]) != _text(b[key]):
            found.append(f"{key}:\n    ours:   {_short(a[key])}\n    tldraw: {_short(b[key])}")
    sa, sb = a["snapshot"], b["snapshot"]
    for key in sorted(set(sa) | set(sb)):
        if key == "documents":
            continue
        if _text(sa.get(key)) != _text(sb.get(key)):
            found.append(
                f"snapshot {key}: ours {_short(sa.get(key))}, tldraw {_short(sb.get(key))}"
            )
    da, db = sa.get("documents", {}), sb.get("documents", {})
    for record_id in sorted(set(da) | set(db)):
        if _text(da.get(record_id)) != _text(db.get(record_id)):
            found.append(
                f"snapshot document {record_id}:\n    ours:   {_short(da.get(record_id))}\n"
                f"    tldraw: {_short(db.get(record_id))}"
            )
    return found


def describe_failure(
    label: str, events: Sequence[Event], ours: Result, theirs: Result, found: Sequence[str]
) -> str:
    """A failure report: what differs, the events, and what each room logged."""
    lines = [f"{label}: the rooms disagree ({len(found)} difference(s))"]
    lines.extend(f"  - {item}" for item in found[:8])
    lines.append(f"  events ({len(events)}):")
    lines.extend(f"    {index}: {_short(event, 300)}" for index, event in enumerate(events))
    if ours["errors"] or theirs["errors"]:
        lines.append(f"  errors logged: ours {ours['errors']}, tldraw {theirs['errors']}")
    return "\n".join(lines)


def minimize(events: Sequence[Event], fails: Callable[[Sequence[Event]], bool]) -> list[Event]:
    """A shorter list of events that still ``fails``: drops chunks of events, halving the chunk
    size down to single events, while the failure stays (for vectors/regressions.json)."""
    current = list(events)
    chunk = max(1, len(current) // 2)
    while True:
        start = 0
        while start < len(current):
            candidate = current[:start] + current[start + chunk :]
            if candidate and fails(candidate):
                current = candidate
            else:
                start += chunk
        if chunk == 1:
            return current
        chunk = max(1, chunk // 2)

"""The room and the sync client are pure state machines: no event loop, no network."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE_PACKAGES = [
    ROOT / "tlsync_core" / "room",
    ROOT / "tlsync_core" / "protocol",
    ROOT / "tlsync_core" / "store",
    ROOT / "tlsync_core" / "signals",
]
PURE_MODULES = [
    ROOT / "tlsync_client" / "sync_client.py",
    ROOT / "tlsync_core" / "timers.py",
    ROOT / "tlsync_core" / "client_socket.py",
    ROOT / "tlsync_core" / "endpoint.py",
    ROOT / "tlsync_core" / "testing" / "clock.py",
    ROOT / "tlsync_core" / "testing" / "network.py",
    ROOT / "tlsync_core" / "testing" / "scripted_socket.py",
]
FORBIDDEN = {"asyncio", "websockets", "socket", "threading", "time"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.spec("PURE1")
@pytest.mark.parametrize(
    "path",
    [p for package in PURE_PACKAGES for p in sorted(package.glob("*.py"))] + PURE_MODULES,
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_state_machines_import_no_event_loop_or_network(path: Path) -> None:
    """Room, session endpoint, client state machine, protocol, store, signals and the fake
    network import neither asyncio, websockets, sockets, threads nor the clock (time is
    injected); the signals graph's thread check is the one allowed exception."""
    allowed = {"threading"} if path.name == "core.py" and path.parent.name == "signals" else set()
    assert imported_modules(path) & (FORBIDDEN - allowed) == set()

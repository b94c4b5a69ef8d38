"""The node peer: the real @tldraw packages, driven from Python for differential tests.

``tests/node/driver.mjs`` is a long-running node process that answers one JSON line per
request line (its header describes the protocol and the op table). :func:`start_node_peer`
installs ``tests/node``'s packages when needed (``scripts/npm-ensure tests/node``: ``npm ci``
unless ``node_modules`` matches ``package-lock.json``) and starts it; the session-scoped
``node_peer`` fixture (registered in ``tests/conftest.py``) shares one process across the run.

Without node on the machine the fixture skips the test, except under CI (``CI`` set), where a
missing peer is an error.
"""

from __future__ import annotations

import itertools
import json
import os
import select
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from tlsync_core.store.jsvalue import UNDEFINED

NODE_DIR = Path(__file__).resolve().parent / "node"
DEFAULT_TIMEOUT = 60.0


class NodePeerError(RuntimeError):
    """The node peer failed: an op raised, the process died, or it did not answer in time."""


class NodePeer:
    """One running ``driver.mjs``. ``call(op, **payload)`` returns the op's result."""

    def __init__(self, process: subprocess.Popen[str], stderr: IO[str]) -> None:
        self._process = process
        self._stderr = stderr
        self._ids = itertools.count(1)

    def call(self, op: str, /, **payload: Any) -> Any:
        """Run ``op`` with ``payload`` (JSON values; a value of ``UNDEFINED`` leaves its key
        out, which node reads as ``undefined``) and return its result.

        Raises :class:`NodePeerError` if the op threw or the peer is gone or silent.
        """
        request_id = next(self._ids)
        request = {"id": request_id, "op": op}
        request.update({key: value for key, value in payload.items() if value is not UNDEFINED})
        line = json.dumps(request, allow_nan=False)
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(line + "\n")
            stdin.flush()
        except BrokenPipeError as err:
            raise NodePeerError(f"node peer is gone: {self._stderr_tail()}") from err
        ready, _, _ = select.select([stdout], [], [], DEFAULT_TIMEOUT)
        if not ready:
            raise NodePeerError(f"node peer did not answer {op} within {DEFAULT_TIMEOUT} s")
        answer = stdout.readline()
        if not answer:
            raise NodePeerError(f"node peer exited: {self._stderr_tail()}")
        response = json.loads(answer)
        if response.get("id") != request_id:
            raise NodePeerError(f"node peer answered out of turn: {answer[:200]}")
        if "error" in response:
            error = response["error"]
            raise NodePeerError(f"{op} failed in node: {error.get('name')}: {error.get('message')}")
        return response["result"]

    def _stderr_tail(self) -> str:
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read()[-2000:]

    def close(self) -> None:
        """Stop the process (closing its stdin ends it)."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._stderr.close()


def ensure_node_modules() -> None:
    """Install ``tests/node``'s packages if ``node_modules`` is missing or stale."""
    result = subprocess.run(
        [str(NODE_DIR.parents[1] / "scripts" / "npm-ensure"), str(NODE_DIR)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise NodePeerError(f"npm ci in tests/node failed:\n{result.stderr[-4000:]}")


def start_node_peer() -> NodePeer:
    """Install the packages if needed and start ``driver.mjs``."""
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        raise NodePeerError("node and npm are needed for the differential tests")
    ensure_node_modules()
    stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115 (closed by NodePeer)
    process = subprocess.Popen(
        [node, str(NODE_DIR / "driver.mjs")],
        cwd=NODE_DIR,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        encoding="utf-8",
        bufsize=1,
        env={key: value for key, value in os.environ.items() if key != "NODE_ENV"},
    )
    peer = NodePeer(process, stderr)
    try:
        answer = peer.call("ping")
    except Exception:
        peer.close()
        raise
    assert answer["pong"] is True
    return peer


@pytest.fixture(scope="session")
def node_peer() -> Iterator[NodePeer]:
    """The node peer, started once per test session (skips without node, except under CI)."""
    if (shutil.which("node") is None or shutil.which("npm") is None) and not os.environ.get("CI"):
        pytest.skip("node and npm are not installed: differential tests skipped")
    peer = start_node_peer()
    try:
        yield peer
    finally:
        peer.close()

"""Headless Chromium for the tests, driven by ``tests/browser/drive.mjs`` (playwright-core).

The browser is the machine's Chromium (``/usr/bin/chromium``, or ``TLSYNC_CHROMIUM``): nothing
is downloaded. :func:`require_browser` skips a test without it (or without node and npm),
except under CI (``CI`` set), where that is an error: CI installs it with
``apt-get install -y chromium``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import IO, Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
BROWSER_DIR = ROOT / "tests" / "browser"
WAIT = 10_000  # ms: how long a page may take to show a change


def require_browser(what: str) -> str:
    """The Chromium executable; skips ``what`` (fails it under CI) when Chromium, node or npm
    is missing."""
    executable = chromium_path()
    missing = []
    if executable is None:
        missing.append("chromium (apt-get install -y chromium)")
    if shutil.which("node") is None or shutil.which("npm") is None:
        missing.append("node and npm")
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{what} needs {', '.join(missing)}")
        pytest.skip(f"{', '.join(missing)} not installed: {what} skipped")
    assert executable is not None
    return executable


def npm_ensure(directory: Path) -> None:
    """``scripts/npm-ensure`` for a directory of node packages; BrowserError on failure."""
    installed = subprocess.run(
        [str(ROOT / "scripts" / "npm-ensure"), str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    if installed.returncode != 0:
        raise BrowserError(f"npm ci in {directory} failed:\n{installed.stderr[-4000:]}")


def chromium_path() -> str | None:
    path = os.environ.get("TLSYNC_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if os.path.exists(path) else None


class BrowserError(RuntimeError):
    """The browser driver failed: an op raised, or the process died or went silent."""


class Browser:
    """``tests/browser/drive.mjs`` running Chromium; ``call(op, **payload)`` runs one op."""

    def __init__(self, process: asyncio.subprocess.Process, stderr: IO[str]) -> None:
        self._process = process
        self._stderr = stderr
        self._ids = itertools.count(1)

    @classmethod
    async def start(cls, executable: str, log: Path) -> Browser:
        node = shutil.which("node")
        assert node is not None
        npm_ensure(BROWSER_DIR)
        stderr = log.open("w+", encoding="utf-8")
        process = await asyncio.create_subprocess_exec(
            node,
            str(BROWSER_DIR / "drive.mjs"),
            cwd=BROWSER_DIR,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )
        browser = cls(process, stderr)
        try:
            await browser.call("launch", executablePath=executable)
        except BaseException:
            await browser.close()
            raise
        return browser

    async def call(self, op: str, /, reply_within: float = 60, **payload: Any) -> Any:
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        request_id = next(self._ids)
        stdin.write((json.dumps({"id": request_id, "op": op, **payload}) + "\n").encode())
        await stdin.drain()
        line = await asyncio.wait_for(stdout.readline(), reply_within)
        if not line:
            raise BrowserError(f"the browser driver exited: {self.log_tail()}")
        answer = json.loads(line)
        assert answer["id"] == request_id
        if "error" in answer:
            raise BrowserError(f"{op}: {answer['error']['message']}")
        return answer["result"]

    async def wait_for(self, expression: str, timeout_ms: int = WAIT) -> Any:
        """Wait until the page expression is truthy (at most ``timeout_ms``); its value."""
        return await self.call(
            "waitFor",
            reply_within=timeout_ms / 1000 + 30,
            expression=expression,
            timeout=timeout_ms,
        )

    def log_tail(self) -> str:
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read()[-3000:]

    async def close(self) -> None:
        """Close the browser and end the driver (closing its stdin ends it)."""
        process = self._process
        try:
            if process.returncode is None and process.stdin is not None:
                process.stdin.close()
                await process.stdin.wait_closed()
            if process.stdout is not None:
                await asyncio.wait_for(process.stdout.read(), 30)
            await asyncio.wait_for(process.wait(), 30)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            if process.returncode is None:
                process.kill()
                await process.wait()
        finally:
            self._stderr.close()

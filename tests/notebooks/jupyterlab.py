"""A real JupyterLab for the browser tests: started on loopback with a notebook, no token, no
user configuration, nothing fetched from the internet (no news, no update checks).

:func:`jupyterlab` starts ``python -m jupyterlab`` in a temporary root holding the notebook
and yields its URL once ``/api/status`` answers; the kernel is this interpreter's (with this
checkout on ``PYTHONPATH``).  The page exposes ``window.jupyterapp``
(``expose_app_in_browser``), through which :func:`run_cell` runs a cell.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from chromium_driver import Browser

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0


def notebook(cells: list[str]) -> str:
    """An nbformat 4 notebook of code cells (JSON)."""
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
            },
            "cells": [
                {
                    "cell_type": "code",
                    "id": f"cell-{index}",
                    "metadata": {},
                    "execution_count": None,
                    "outputs": [],
                    "source": source,
                }
                for index, source in enumerate(cells)
            ],
        }
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@asynccontextmanager
async def jupyterlab(root: Path, log: Path) -> AsyncIterator[str]:
    """JupyterLab serving ``root``; its base URL (``http://127.0.0.1:PORT``)."""
    port = _free_port()
    home = root / ".jupyter-home"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "IPYTHONDIR": str(home / "ipython"),
    }
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--LabApp.extension_manager=readonly",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--port-retries=0",
        f"--ServerApp.root_dir={root}",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        async with asyncio.timeout(START_TIMEOUT):
            while not await asyncio.to_thread(_answers, f"{url}/api/status"):
                if process.poll() is not None:
                    raise RuntimeError(f"JupyterLab exited: {log.read_text()[-3000:]}")
                await asyncio.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, 20)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)


async def open_notebook(browser: Browser, url: str, name: str) -> None:
    """Open ``name`` in JupyterLab and wait until its kernel is idle."""
    await browser.call("open", url=f"{url}/lab/tree/{name}", width=1400, height=1000)
    await browser.wait_for(
        "(() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " return !!(w && w.sessionContext && w.sessionContext.session"
        " && w.sessionContext.session.kernel"
        " && w.sessionContext.session.kernel.status === 'idle') })()",
        timeout_ms=60_000,
    )


async def run_cell(browser: Browser, index: int) -> None:
    """Start running the open notebook's cell ``index`` (returns without waiting for it)."""
    await browser.call(
        "evaluate",
        expression=(
            "(() => { const notebook = window.jupyterapp.shell.currentWidget;"
            f" notebook.content.activeCellIndex = {index};"
            " window.jupyterapp.commands.execute('notebook:run-cell'); return true })()"
        ),
    )


def cell_output(index: int) -> str:
    """A page expression: the text of cell ``index``'s output area."""
    return (
        "(() => { const notebook = window.jupyterapp.shell.currentWidget;"
        f" const cell = notebook.content.widgets[{index}];"
        " return cell.node.querySelector('.jp-OutputArea').innerText })()"
    )

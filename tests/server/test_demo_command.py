"""``tlsync serve --demo ROOM``: the command composes the server with the client demo bot."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tlsync_core.server.cli import main as server_main


@pytest.mark.spec("LAY2")
def test_the_tlsync_command_runs_the_demo_bot(tmp_path: Path) -> None:
    """``python -m tlsync_client serve --demo ROOM`` serves, and its bot joins ROOM over the
    websocket and draws there; SIGTERM stops both cleanly."""
    command = [sys.executable, "-m", "tlsync_client", "serve", "--port", "0", "--demo", "board"]
    command += ["--demo-interval", "0.01", "--db", str(tmp_path / "demo.sqlite")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    try:
        lines = [process.stdout.readline() for _ in range(6)]
        assert re.match(r"tlsync server on ws://\S+/connect/<room-id>", lines[0]), lines
        assert any(re.search(r"tldraw editor: http://\S+/rooms/board\b", li) for li in lines)
        assert any(line.endswith("/rooms/board/view\n") for line in lines), lines
        moved = process.stdout.readline()
        assert re.match(r"demo bot: moved shape:\S+ to \(\d+, \d+\); 13 shapes in the room", moved)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=15)
        finally:
            process.kill()
            process.stdout.close()
    assert code == 0


@pytest.mark.spec("LAY2")
def test_the_server_command_line_alone_refuses_demo(capsys: pytest.CaptureFixture[str]) -> None:
    """Without a demo bot passed in, ``--demo`` is a usage error naming the command to run."""
    with pytest.raises(SystemExit) as exited:
        server_main(["serve", "--demo", "board"])
    assert exited.value.code == 2
    assert "python -m tlsync_client" in capsys.readouterr().err


@pytest.mark.spec("SRV4")
def test_a_sqlite_file_that_cannot_be_opened_ends_the_command_with_the_reason(
    tmp_path: Path,
) -> None:
    """``--db`` in a directory that does not exist: the command says which file it could not
    open and why, with no traceback, and exits non-zero."""
    missing = tmp_path / "no-such-dir" / "rooms.sqlite"
    failed = subprocess.run(
        [sys.executable, "-m", "tlsync_core", "serve", "--port", "0", "--db", str(missing)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert failed.returncode != 0
    assert f"tlsync serve --db: cannot open the SQLite database {missing}" in failed.stderr
    assert "Traceback" not in failed.stderr

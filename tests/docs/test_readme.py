"""Every ``python`` block of README.md runs as written.

Conventions (README.md says them too):

* the blocks of one ``## `` section run in order, in one namespace, in a temporary working
  directory; a block with top-level ``await`` runs on the section's event loop (one
  ``asyncio.Runner`` per section, as in a notebook), any other block runs as a script (it may
  call ``asyncio.run`` itself);
* ``<!-- needs: server -->`` on the line before a block: the section gets a real
  ``tlsync serve`` (tldraw's schema, SQLite in the temporary directory), and the URL of a room
  of it in the environment variable ``TLSYNC_ROOM``; the server must stop cleanly afterwards;
* ``<!-- runs: pytest -->``: the block is a test module, run by pytest in a subprocess with the
  tlsync plugin and the README's own ``[tool.pytest.ini_options]`` block as its configuration;
  it must pass with every warning an error (the documented setup warns about nothing);
* a section that needs a server runs twice against the same server, as a user runs an example
  twice: the second run must not hang or fail on what the first left in the room.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import inspect
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
DIRECTIVE = re.compile(r"^<!--\s*(needs|runs):\s*([\w-]+)\s*-->$")
KNOWN_DIRECTIVES = {("needs", "server"), ("runs", "pytest")}
SCHEMA = "tlsync_core.tldraw:create_tldraw_schema"


@attrs.frozen
class Snippet:
    section: str
    line: int
    code: str
    directives: frozenset[tuple[str, str]]


def read_snippets(text: str) -> list[Snippet]:
    """The ``python`` blocks of a markdown text, with their section and directives."""
    snippets: list[Snippet] = []
    section = "(top)"
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("## "):
            section = line[3:].strip()
        if line.strip() == "```python":
            directives: set[tuple[str, str]] = set()
            before = index - 1
            while before >= 0 and (match := DIRECTIVE.match(lines[before].strip())):
                directives.add((match.group(1), match.group(2)))
                before -= 1
            end = lines.index("```", index + 1)
            code = "\n".join(lines[index + 1 : end]) + "\n"
            snippets.append(Snippet(section, index + 2, code, frozenset(directives)))
            index = end
        index += 1
    return snippets


SNIPPETS = read_snippets(README.read_text(encoding="utf-8"))
SECTIONS = list(dict.fromkeys(snippet.section for snippet in SNIPPETS))


@pytest.mark.spec("DOC1")
def test_every_python_block_is_found_and_every_directive_is_known() -> None:
    """Every fenced block tagged as Python (however spelled) is one the test runs; every
    directive is one of the known ones; the sections this README promises are there."""
    text = README.read_text(encoding="utf-8")
    fences = [line for line in text.splitlines() if re.match(r"^```\s*py", line)]
    assert len(fences) == len(SNIPPETS)
    assert all(d in KNOWN_DIRECTIVES for s in SNIPPETS for d in s.directives)
    comments = re.findall(r"^<!--\s*(?:needs|runs)\b.*?-->\s*$", text, flags=re.M)
    assert len(comments) == sum(len(s.directives) for s in SNIPPETS)  # none stray
    for section in (
        "A bot in a tldraw room",
        "In a notebook",
        "Testing collaboration logic",
        "Inside FastAPI or Starlette (ASGI)",
        "Embedding the server",
    ):
        assert section in SECTIONS
    assert text.index("scripts/run     #") < text.index("```python")  # the commands come first


@contextlib.contextmanager
def tlsync_serve(tmp_path: Path) -> Iterator[str]:
    """``tlsync serve`` on a free port (tldraw's schema); yields a room URL."""
    command = [
        sys.executable,
        "-m",
        "tlsync",
        "serve",
        "--port",
        "0",
        "--db",
        str(tmp_path / "readme.sqlite"),
        "--schema",
        SCHEMA,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    try:
        first = process.stdout.readline()
        match = re.search(r"(ws://\S+)/connect/<room-id>", first)
        assert match, f"tlsync serve said {first!r}"
        yield f"{match.group(1)}/connect/readme"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=15)
        finally:
            process.kill()
            process.stdout.close()
        assert code == 0, f"tlsync serve exited with {code}"


def pytest_configuration(text: str) -> str:
    """The README's ``toml`` block holding ``[tool.pytest.ini_options]``."""
    blocks = re.findall(r"^```toml\n(.*?)^```$", text, flags=re.M | re.S)
    found = [block for block in blocks if "[tool.pytest.ini_options]" in block]
    assert len(found) == 1, "the README shows one pytest configuration"
    return str(found[0])


def run_pytest_module(snippet: Snippet, tmp_path: Path) -> None:
    module = tmp_path / f"test_readme_line_{snippet.line}.py"
    module.write_text(snippet.code, encoding="utf-8")
    configuration = pytest_configuration(README.read_text(encoding="utf-8"))
    (tmp_path / "pyproject.toml").write_text(configuration, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "--color=no",
            "-p",
            "no:cacheprovider",
            "-W",
            "error",
            str(module),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout


def run_section(snippets: list[Snippet], tmp_path: Path) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    with asyncio.Runner() as runner:
        for snippet in snippets:
            if ("runs", "pytest") in snippet.directives:
                run_pytest_module(snippet, tmp_path)
                continue
            code = compile(
                snippet.code,
                f"README.md:{snippet.line}",
                "exec",
                flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
            )
            if code.co_flags & inspect.CO_COROUTINE:
                runner.run(eval(code, namespace))
            else:
                exec(code, namespace)
    return namespace


@pytest.mark.spec("DOC1", "DOC2", "DOC3")
@pytest.mark.parametrize("section", SECTIONS)
def test_readme_section_runs(
    section: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The section's python blocks run in order without error (against a real ``tlsync
    serve`` when a block needs one; test modules pass under pytest) and leave nothing
    running."""
    snippets = [snippet for snippet in SNIPPETS if snippet.section == section]
    monkeypatch.chdir(tmp_path)
    needs_server = any(("needs", "server") in s.directives for s in snippets)
    if needs_server:
        with tlsync_serve(tmp_path) as room_url:
            monkeypatch.setenv("TLSYNC_ROOM", room_url)
            run_section(snippets, tmp_path)
            run_section(snippets, tmp_path)  # again: what the first run left must not matter
    else:
        run_section(snippets, tmp_path)
    assert "Traceback" not in capsys.readouterr().err

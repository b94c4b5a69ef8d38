"""The modules ``setup.py`` compiles with mypyc run compiled, from their current sources; and the
same sources pass their suites as pure Python (``TLSYNC_PURE_PYTHON=1``, no C compiler)."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PURE = os.environ.get("TLSYNC_PURE_PYTHON") == "1"
#: the suites that exercise the compiled modules most, run again on plain Python
PURE_SUITES = [
    "tests/signals",
    "tests/store/test_store.py",
    "tests/store/test_records_diff.py",
    "tests/client/test_sync_client.py",
]


def compiled_modules() -> list[str]:
    """The module names of ``setup.py``'s ``COMPILED`` list."""
    setup = (ROOT / "setup.py").read_text()
    listed = re.search(r"COMPILED = \[(.*?)\]", setup, re.S)
    assert listed is not None, "setup.py has no COMPILED list"
    paths = re.findall(r'"(tlsync_[\w/]+)\.py"', listed.group(1))
    assert paths, "setup.py's COMPILED list is empty"
    return [path.replace("/", ".") for path in paths]


def test_compiled_modules_are_in_use_and_current() -> None:
    """Every module of the list is loaded from its compiled extension (or from its source when
    asked for pure Python), and no extension is older than its source: a stale one would
    shadow an edit."""
    for name in compiled_modules():
        path = Path(importlib.import_module(name).__file__ or "")
        if PURE:
            assert path.suffix == ".py", path
            continue
        assert path.suffix == ".so", f"{name} is not compiled: {path}"
        source = path.with_name(name.rsplit(".", 1)[-1] + ".py")
        assert path.stat().st_mtime >= source.stat().st_mtime, (
            f"{path.name} is older than {source.name}: run scripts/test to rebuild"
        )


def test_pure_python_fallback_passes_the_suites(tmp_path: Path) -> None:
    """Without the compiled modules, the suites of the signals graph, the store, its diffs and
    the client's state machine pass on plain Python, this test's first check included."""
    if PURE:
        return  # this is the nested run itself
    for package in ("tlsync_core", "tlsync_client"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.so"))
    for suite in ("signals", "store", "client", "layers"):
        shutil.copytree(ROOT / "tests" / suite, tmp_path / "tests" / suite)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copy(ROOT / "setup.py", tmp_path / "setup.py")
    env = {**os.environ, "TLSYNC_PURE_PYTHON": "1", "PYTHONPATH": str(tmp_path)}
    suites = [*PURE_SUITES, "tests/layers/test_compiled.py"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *suites],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout

"""The signals graph runs compiled by mypyc, from current sources, and also as pure Python."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tlsync_core.signals import core, history

ROOT = Path(__file__).resolve().parents[2]
PURE = os.environ.get("TLSYNC_PURE_PYTHON") == "1"


def test_graph_build_matches_the_environment() -> None:
    """Compiled modules are in use (or pure ones when asked) and are newer than their sources."""
    for module in (core, history):
        path = Path(module.__file__ or "")
        if PURE:
            assert path.suffix == ".py", path
            continue
        assert path.suffix == ".so", f"{module.__name__} is not compiled: {path}"
        source = path.with_name(module.__name__.rsplit(".", 1)[-1] + ".py")
        assert path.stat().st_mtime >= source.stat().st_mtime, (
            f"{path.name} is older than {source.name}: run scripts/test to rebuild"
        )


def test_pure_python_fallback_passes_the_signals_suite(tmp_path: Path) -> None:
    """Without the compiled modules (no C compiler), the same suite passes on plain Python."""
    if PURE:
        return  # this is the nested run itself
    shutil.copytree(
        ROOT / "tlsync_core", tmp_path / "tlsync_core", ignore=shutil.ignore_patterns("*.so")
    )
    shutil.copytree(ROOT / "tests" / "signals", tmp_path / "tests" / "signals")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    env = {**os.environ, "TLSYNC_PURE_PYTHON": "1", "PYTHONPATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/signals"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout

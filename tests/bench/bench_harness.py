"""What the benchmark smoke tests share: the Node skip condition and running a benchmark end to
end (scripts of bench/node run with :func:`bench.runner.run_node_process`)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence

import pytest

from bench.runner import NODE_DIR


def needs_node(package: str | None = None) -> pytest.MarkDecorator:
    """Skip unless node is installed (and ``bench/node/node_modules/<package>``, if given).
    On CI nothing is skipped: a missing node fails there."""
    missing = shutil.which("node") is None
    reason = "node is not installed"
    if package is not None:
        missing = missing or not (NODE_DIR / "node_modules" / package).is_dir()
        reason = "node or bench/node/node_modules (scripts/npm-ensure bench/node) is missing"
    return pytest.mark.skipif(not os.environ.get("CI") and missing, reason=reason)


def run_main(
    main: Callable[[Sequence[str]], int], argv: Sequence[str], capsys: pytest.CaptureFixture[str]
) -> str:
    """Run a benchmark's ``main`` end to end: it succeeds and reports no failure. Its stdout."""
    status = main(argv)
    out = capsys.readouterr().out
    assert status == 0, out
    assert "FAILED" not in out
    return out

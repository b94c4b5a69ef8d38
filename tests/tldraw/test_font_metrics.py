"""The font tables are tldraw's (ED10): regenerating them from tldraw's font files gives the
committed ``generated_fonts.py``."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import shutil
from pathlib import Path
from types import ModuleType

import pytest
from chromium_driver import npm_ensure

from tlsync_core.tldraw import generated_fonts

ROOT = Path(__file__).resolve().parents[2]


def _needs(what: str) -> None:
    """Skip (fail under CI) without ``what``."""
    if os.environ.get("CI"):
        pytest.fail(f"the font tables test needs {what}")
    pytest.skip(f"{what} not available: font tables test skipped")


def _generator() -> ModuleType:
    """scripts/gen-font-metrics as a module (it has no .py suffix)."""
    path = ROOT / "scripts" / "gen-font-metrics"
    loader = importlib.machinery.SourceFileLoader("gen_font_metrics", str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.mark.spec("ED10")
def test_font_tables_are_generated_from_tldraws_fonts() -> None:
    """generated_fonts.py is exactly what scripts/gen-font-metrics writes for the fonts of the
    installed @tldraw/assets (run the script after a tldraw update)."""
    if importlib.util.find_spec("fontTools") is None or importlib.util.find_spec("brotli") is None:
        _needs("fontTools with woff2 support (pip install 'fonttools[woff]')")
    if shutil.which("npm") is None:
        _needs("npm (for tldraw's font files)")
    npm_ensure(ROOT / "tests" / "editor")
    text = _generator().render()
    assert text == Path(generated_fonts.__file__).read_text(encoding="utf-8")

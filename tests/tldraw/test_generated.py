"""The generated data is tldraw's (TLS12): regenerating it from node gives the committed file."""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from node_peer import NodePeer

from tlsync_core.tldraw import generated

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    """scripts/gen-tldraw-data as a module (it has no .py suffix)."""
    path = ROOT / "scripts" / "gen-tldraw-data"
    loader = importlib.machinery.SourceFileLoader("gen_tldraw_data", str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.mark.spec("TLS12")
def test_generated_file_is_up_to_date(node_peer: NodePeer) -> None:
    """generated.py is exactly what scripts/gen-tldraw-data writes for the installed tldraw
    (run the script after a tldraw update, then port what the import-time checks flag)."""
    text = _generator().render(node_peer.call("tldrawInfo"))
    assert text == Path(generated.__file__).read_text(encoding="utf-8")

"""The server package's shape (SRV9): small modules, no private names across them, one
documented public API."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tlsync_core.server

SERVER = Path(tlsync_core.server.__file__).resolve().parent
MODULES = sorted(SERVER.glob("*.py"))


@pytest.mark.spec("SRV9")
@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_each_server_module_is_short_and_imports_no_private_name(path: Path) -> None:
    """No server module is over 600 lines, and none imports a ``_private`` name of another
    module of the project."""
    source = path.read_text(encoding="utf-8")
    assert len(source.splitlines()) <= 600
    private = [
        f"{node.module}.{alias.name}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tlsync_")
        for alias in node.names
        if alias.name.startswith("_")
    ]
    assert private == []


@pytest.mark.spec("SRV9")
def test_every_public_server_name_is_exported_and_documented() -> None:
    """Each name of ``tlsync_core.server.__all__`` is there and the package docstring says what
    it is for."""
    doc = tlsync_core.server.__doc__ or ""
    for name in tlsync_core.server.__all__:
        assert hasattr(tlsync_core.server, name)
        assert f":class:`{name}`" in doc, name

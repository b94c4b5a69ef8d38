"""The packages form layers (LAY1): each imports only the layers below it.

Read from the source (every ``import``, lazy ones inside functions included), so a cycle cannot
hide behind an import done on demand.  A unit is a subpackage or top-level module of
``tlsync_core`` (``tlsync_core.store``, ``tlsync_core.timers``), or the ``tlsync_client``
package (with the ``tlsync`` command, its ``cli`` module).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("tlsync_core", "tlsync_client")

#: The layer of every unit: a unit may import only units of a lower layer (and itself).
LAYERS: dict[str, int] = {
    "tlsync_core": 0,  # the package's own __init__ (a docstring)
    "tlsync_core.signals": 0,
    "tlsync_core.gc_pause": 0,
    "tlsync_core.timers": 0,
    "tlsync_core.client_socket": 0,
    "tlsync_core.store": 1,
    "tlsync_core.protocol": 2,
    "tlsync_core.demo_schema": 2,  # the small built-in schema (``--schema demo``)
    "tlsync_core.tldraw": 2,
    "tlsync_core.room": 3,
    "tlsync_core.views": 3,  # pictures, live page, widget: above the store and tldraw
    "tlsync_core.schemas": 4,
    "tlsync_core.endpoint": 4,  # frames to room calls: below every host (server, test network)
    "tlsync_core.server": 5,
    "tlsync_core.testing": 5,
    "tlsync_core.__main__": 6,  # ``python -m tlsync_core serve``: the server's command line
    "tlsync_client": 10,
}

#: Imports against the layers, each with the reason it is still there.
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {}


def unit_of(module: str) -> str:
    """The unit a dotted module name belongs to."""
    parts = module.split(".")
    if parts[0] == "tlsync_core" and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_between_units() -> set[tuple[str, str, str]]:
    """``(importing unit, imported unit, file)`` for every import from one unit into another."""
    found: set[tuple[str, str, str]] = set()
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = module_name(path)
            source = unit_of(module)
            package_parts = module.split(".")[: None if path.name == "__init__.py" else -1]
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom):
                    base = package_parts[: len(package_parts) - node.level + 1]
                    names = [
                        ".".join([*base, node.module or ""]) if node.level else node.module or ""
                    ]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                else:
                    continue
                for name in names:
                    if name.split(".")[0] in PACKAGES and unit_of(name) != source:
                        found.add((source, unit_of(name), str(path.relative_to(ROOT))))
    return found


def violations(imports: set[tuple[str, str, str]]) -> list[str]:
    """The imports that go sideways or up, but for the known exceptions."""
    wrong = []
    for source, target, path in sorted(imports):
        if source not in LAYERS or target not in LAYERS:
            wrong.append(f"{path}: {source} -> {target}: a unit without a layer")
        elif LAYERS[target] >= LAYERS[source] and (source, target) not in KNOWN_EXCEPTIONS:
            wrong.append(f"{path}: {source} (layer {LAYERS[source]}) imports {target}")
    return wrong


@pytest.mark.spec("LAY1")
def test_every_import_goes_down_the_layers() -> None:
    """No unit imports its own layer or one above: the store never imports the tldraw package
    or the views, tlsync_core never imports tlsync_client."""
    imports = imports_between_units()
    # the scan sees imports: the tlsync command composes the server and the client
    assert ("tlsync_client", "tlsync_core.server", "tlsync_client/cli.py") in imports
    assert violations(imports) == []
    used = {(source, target) for source, target, _ in imports}
    assert set(KNOWN_EXCEPTIONS) <= used, "an exception that no longer happens: remove it"


@pytest.mark.spec("LAY1")
def test_the_check_reports_imports_against_the_layers() -> None:
    """An import upwards, sideways or into a unit without a layer is reported."""
    imports = {
        ("tlsync_core.store", "tlsync_core.tldraw", "tlsync_core/store/store.py"),
        ("tlsync_core.server", "tlsync_client", "tlsync_core/server/cli.py"),
        ("tlsync_core.server", "tlsync_core.testing", "tlsync_core/server/x.py"),
        ("tlsync_core.new", "tlsync_core.store", "tlsync_core/new.py"),
        ("tlsync_core.room", "tlsync_core.store", "tlsync_core/room/room.py"),
    }
    assert violations(imports) == [
        "tlsync_core/new.py: tlsync_core.new -> tlsync_core.store: a unit without a layer",
        "tlsync_core/server/cli.py: tlsync_core.server (layer 5) imports tlsync_client",
        "tlsync_core/server/x.py: tlsync_core.server (layer 5) imports tlsync_core.testing",
        "tlsync_core/store/store.py: tlsync_core.store (layer 1) imports tlsync_core.tldraw",
    ]


@pytest.mark.spec("CA13")
def test_the_pytest_plugin_is_opt_in() -> None:
    """The distribution registers no pytest plugin and needs neither pytest nor pytest-asyncio;
    the ``pytest`` extra brings both, and ``dev`` has what the tests need."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "pytest11" not in project.get("entry-points", {})

    def names(requirements: list[str]) -> set[str]:
        return {r.split(">")[0].split("=")[0].split("[")[0].strip() for r in requirements}

    assert names(project["dependencies"]) & {"pytest", "pytest-asyncio"} == set()
    extras = project["optional-dependencies"]
    assert {"pytest", "pytest-asyncio"} <= names(extras["pytest"]) <= names(extras["dev"])


@pytest.mark.spec("CA13", "LAY1")
def test_importing_the_libraries_loads_no_test_tool() -> None:
    """Importing every public package of both libraries (and the client's modules) loads
    neither pytest nor pytest-asyncio."""
    code = (
        "import sys, tlsync_core.server, tlsync_core.testing, tlsync_core.tldraw,"
        " tlsync_client, tlsync_client.sync_api, tlsync_core.views.widget\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pytest', 'pytest_asyncio',"
        " '_pytest')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "[]"

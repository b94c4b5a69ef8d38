"""The notebooks in notebooks/: each runs top to bottom in a fresh IPython kernel (nbclient),
and is stored without outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))

SVG_PICTURES = {"01-bot-draws.ipynb": 2, "02-reactive-room.ipynb": 1, "04-draw-together.ipynb": 1}
"""How many SVG pictures of the room a notebook shows at least."""


def read_notebook(path: Path) -> Any:
    return nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]


@pytest.mark.spec("NB1")
def test_the_notebooks_are_there() -> None:
    """The four documented notebooks exist (so the parametrized tests cannot pass empty)."""
    names = [path.name for path in NOTEBOOKS]
    assert names == [
        "01-bot-draws.ipynb",
        "02-reactive-room.ipynb",
        "03-test-agent.ipynb",
        "04-draw-together.ipynb",
    ]


@pytest.mark.spec("NB1")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_top_to_bottom(path: Path, tmp_path: Path) -> None:
    """Every cell runs without error in a fresh kernel (working directory: a temporary one);
    the notebooks that draw show their SVG pictures; the kernel is shut down afterwards."""
    notebook = read_notebook(path)
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError (with the traceback) if a cell fails
    assert client.kc is None  # (the kernel client was cleaned up, the kernel shut down)
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    assert not [output for output in outputs if output.get("output_type") == "error"]
    pictures = [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert len(pictures) >= SVG_PICTURES.get(path.name, 0)


@pytest.mark.spec("NB2")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_is_stored_without_outputs(path: Path) -> None:
    """The stored notebooks are valid nbformat 4 with no outputs and no execution counts (so
    the repository holds only what a person wrote)."""
    notebook = read_notebook(path)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: cell {cell.get('id')} has outputs"
            assert cell.execution_count is None, f"{path.name}: cell {cell.get('id')}"

"""Tests of the documentation: the API page and the example notebook."""

import re
from pathlib import Path

import pytest

import sklstm
import sklstm.datasets

ROOT = Path(__file__).resolve().parents[1]
API_PAGE = ROOT / "docs" / "api.md"
NOTEBOOK = ROOT / "examples" / "forecasting_and_anomalies.ipynb"


def _api_page_names():
    """Qualified names listed in the autosummary tables of docs/api.md."""
    names = []
    module = None
    in_table = False
    for line in API_PAGE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        match = re.match(r"\.\. currentmodule:: (\S+)$", stripped)
        if match:
            module = match.group(1)
            in_table = False
        elif stripped.startswith(".. autosummary::"):
            in_table = True
        elif in_table and stripped.startswith("```"):
            in_table = False
        elif in_table and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", stripped):
            names.append(f"{module}.{stripped}")
    return names


def _public_names():
    """Every public name: the package root, datasets and plotting."""
    names = [f"sklstm.{name}" for name in sklstm.__all__ if name != "__version__"]
    names += [f"sklstm.datasets.{name}" for name in sklstm.datasets.__all__]
    plotting = pytest.importorskip("sklstm.plotting")
    names += [f"sklstm.plotting.{name}" for name in plotting.__all__]
    return names


def test_api_page_lists_every_public_name():
    """docs/api.md lists each public name once, and nothing that is not public."""
    listed = _api_page_names()
    public = _public_names()
    assert sorted(set(public) - set(listed)) == []
    assert sorted(set(listed) - set(public)) == []
    assert len(listed) == len(set(listed))


def _python_blocks(path):
    """The ```python code blocks of a Markdown file."""
    text = path.read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_index_quickstart_matches_readme():
    """The quickstart on the home page is the README's, which is tested."""
    readme = _python_blocks(ROOT / "README.md")
    index = _python_blocks(ROOT / "docs" / "index.md")
    assert index and readme
    assert index[0] == readme[0]


def test_notebook_is_committed_without_outputs():
    """The example notebook is stored with its outputs cleared."""
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code_cells
    assert all(cell.outputs == [] for cell in code_cells)
    assert all(cell.execution_count is None for cell in code_cells)


@pytest.mark.slow
def test_notebook_runs_without_errors(tmp_path, monkeypatch):
    """Every cell of the example notebook executes without an error."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    # the kernel inherits the environment: one thread and no display
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=300,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    outputs = [out for cell in nb.cells for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out.output_type == "error"]
    images = [out for out in outputs if "image/png" in out.get("data", {})]
    assert len(images) == 3

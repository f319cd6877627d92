"""Run every example script and the README quickstart, so neither can drift."""

import ast
import re
import runpy
import sys
from pathlib import Path

import pytest
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

import sklstm

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES_DIR = ROOT / "examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.py"))


@pytest.fixture
def figures(monkeypatch, tmp_path):
    """Agg backend; ``plt.show`` renders every open figure to a PNG and closes it.

    Yields the list of the PNG files written.
    """
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rendered = []
    out = tmp_path / "figures"
    out.mkdir()

    def show(*args, **kwargs):
        for number in plt.get_fignums():
            path = out / f"figure_{len(rendered)}.png"
            plt.figure(number).savefig(path)
            rendered.append(path)
        plt.close("all")

    monkeypatch.setattr(plt, "show", show)
    yield rendered
    plt.close("all")


# Every script trains for longer than a unit test (1 to 8 s each on a
# 2-core machine), so all are marked slow; they still run in CI.
@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path, figures, tmp_path, monkeypatch, capsys):
    """The script runs top to bottom, prints scores, draws, and writes no files."""
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    monkeypatch.setattr(sys, "argv", [str(path)])
    runpy.run_path(str(path), run_name="__main__")
    out = capsys.readouterr().out
    assert re.search(r"\d\.\d", out), "the example should print its scores"
    assert figures, "the example should draw its plots when matplotlib is present"
    assert all(png.stat().st_size > 0 for png in figures)
    assert list(workdir.iterdir()) == []


@pytest.mark.slow
def test_example_runs_without_matplotlib(tmp_path, monkeypatch, capsys):
    """matplotlib is optional: an example still runs and prints its scores."""
    path = EXAMPLES_DIR / "multistep_forecasting.py"
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    monkeypatch.delitem(sys.modules, "sklstm.plotting", raising=False)
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(path), run_name="__main__")
    assert "all horizons" in capsys.readouterr().out


def _optional_imports(tree):
    """Imports of matplotlib or sklstm.plotting, and whether a try guards each."""
    guarded = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            for statement in node.body:
                guarded.update(id(n) for n in ast.walk(statement))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        if any(
            n.split(".")[0] == "matplotlib" or n == "sklstm.plotting" for n in names
        ):
            found.append((node.lineno, id(node) in guarded))
    return found


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_imports_matplotlib_inside_try(path):
    """matplotlib is optional: scripts import it (and sklstm.plotting) in a try."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    unguarded = [line for line, guarded in _optional_imports(tree) if not guarded]
    assert unguarded == [], f"unguarded matplotlib imports on lines {unguarded}"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_has_a_gallery_docstring(path):
    """A title, a line of '=' as long as it, a blank line, then some prose."""
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring, "the example must start with a module docstring"
    lines = docstring.splitlines()
    assert len(lines) >= 4
    title, underline, blank = lines[0], lines[1], lines[2]
    assert title.strip() and title == title.strip()
    assert underline == "=" * len(title)
    assert blank == ""
    prose = " ".join(lines[3:])
    assert prose.count(". ") + prose.endswith(".") >= 2, "write a few sentences"


def test_examples_readme_lists_every_script():
    """examples/README.md has a line for each script."""
    readme = (EXAMPLES_DIR / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in EXAMPLES if f"`{p.name}`" not in readme]
    assert missing == []


def _readme_quickstart():
    """The first ```python block of README.md."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^```python\n(.*?)^```", readme, flags=re.S | re.M)
    assert match, "README.md has no ```python block"
    return match.group(1)


@pytest.mark.slow
def test_readme_quickstart_runs(tmp_path, monkeypatch, capsys):
    """The quickstart of README.md runs as written and prints its score."""
    monkeypatch.chdir(tmp_path)
    code = compile(_readme_quickstart(), str(ROOT / "README.md"), "exec")
    exec(code, {"__name__": "__main__"})
    assert re.search(r"\d\.\d", capsys.readouterr().out)


def _public_estimators():
    classes = [getattr(sklstm, name) for name in sklstm.__all__]
    return [c for c in classes if isinstance(c, type) and issubclass(c, BaseEstimator)]


@pytest.mark.parametrize("cls", _public_estimators(), ids=lambda c: c.__name__)
def test_estimator_renders_as_html_in_notebooks(cls):
    """Every public estimator has scikit-learn's HTML view, alone and in a Pipeline."""
    html = cls()._repr_html_()
    assert cls.__name__ in html
    pipeline_html = Pipeline([("step", cls())])._repr_html_()
    assert cls.__name__ in pipeline_html

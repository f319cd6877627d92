"""Tests of the ``sklstm demo`` command."""

import io
import subprocess
import sys

import pytest

from sklstm import LSTMClassifier, LSTMRegressor
from sklstm._cli import demo, main


@pytest.mark.slow
def test_cli_demo_beats_naive_baselines(tmp_path):
    """The demo prints both scores, beats both baselines and saves the plot."""
    out = io.StringIO()
    result = demo(output=str(tmp_path / "demo.png"), random_state=0, stream=out)
    text = out.getvalue()
    assert "LSTMRegressor    MAPE" in text and "seasonal naive   MAPE" in text
    assert "majority class   accuracy" in text
    assert "Fitting the forecaster on airline" in text and "done in" in text
    assert result["airline"]["mape"] < result["airline"]["naive_mape"]
    assert result["italy"]["accuracy"] > result["italy"]["majority_accuracy"] + 0.3
    assert (tmp_path / "demo.png").stat().st_size > 10_000


def test_cli_requires_a_command(capsys):
    """Without a sub-command the parser exits with usage help."""
    with pytest.raises(SystemExit):
        main([])
    assert "demo" in capsys.readouterr().err


def test_cli_module_entry_point_help():
    """``python -m sklstm demo --help`` describes the demo."""
    done = subprocess.run(
        [sys.executable, "-m", "sklstm", "demo", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--output" in done.stdout


def test_cli_demo_prints_a_line_per_step(tmp_path, monkeypatch):
    """Each step is announced before it runs and timed when it ends."""
    for cls in (LSTMRegressor, LSTMClassifier):
        quick = dict(cls.__init__.__kwdefaults__, max_epochs=1, hidden_size=4)
        monkeypatch.setattr(cls.__init__, "__kwdefaults__", quick)
    out = io.StringIO()
    demo(output=str(tmp_path / "demo.png"), random_state=0, stream=out)
    lines = out.getvalue().splitlines()
    steps = [i for i, line in enumerate(lines) if line.endswith("...")]
    assert [lines[i].split(" ")[0] for i in steps] == [
        "Fitting", "Forecasting", "Fitting", "Scoring", "Saving"
    ]
    assert "(96 windows of 12 months, 1 epoch)" in lines[steps[0]]
    assert "(67 sequences of 24 steps, 1 epoch)" in lines[steps[2]]
    for i in steps:
        assert lines[i + 1].startswith("  done in ") and lines[i + 1].endswith(" s")
    assert lines[0].startswith("sklstm demo")
    assert any("LSTMClassifier   accuracy" in line for line in lines)
def test_cli_demo_plot_puts_each_score_in_the_legend():
    """The demo's plot names each model with its MAPE in the legend."""
    plt = pytest.importorskip("matplotlib.pyplot")
    import numpy as np

    from sklstm._cli import _demo_figure
    from sklstm.datasets import load_airline

    series = load_airline()
    airline = {
        "series": series,
        "forecast": np.ones(36),
        "naive": np.ones(36),
        "mape": 0.0612,
        "naive_mape": 0.1321,
    }
    fig = _demo_figure(airline, plt)
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    plt.close(fig)
    assert texts == [
        "observed",
        "LSTMRegressor forecast (MAPE 0.061)",
        "seasonal naive (MAPE 0.132)",
    ]

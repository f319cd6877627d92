"""Tests of the ``sklstm demo`` command."""

import io
import subprocess
import sys

import pytest

from sklstm._cli import demo, main


@pytest.mark.slow
def test_cli_demo_beats_naive_baselines(tmp_path):
    """The demo prints both scores, beats both baselines and saves the plot."""
    out = io.StringIO()
    result = demo(output=str(tmp_path / "demo.png"), random_state=0, stream=out)
    text = out.getvalue()
    assert "LSTMRegressor    MAPE" in text and "seasonal naive   MAPE" in text
    assert "majority class   accuracy" in text
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

"""Tests of AnomalyStream."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from sklstm import AnomalyStream, LSTMAnomalyDetector

WINDOW = 8
PARAMS = {"hidden_size": 4, "max_epochs": 3, "batch_size": 32, "lr": 0.01, "random_state": 0}


def _series(n=160, n_features=1):
    rng = np.random.RandomState(0)
    t = np.arange(n)[:, None] + 3 * np.arange(n_features)[None, :]
    return np.sin(2 * np.pi * t / 16) + 0.05 * rng.randn(n, n_features)


def _windows(series):
    """Full windows of a series, the i-th ending at row i + WINDOW - 1."""
    view = np.lib.stride_tricks.sliding_window_view(series, WINDOW, axis=0)
    return np.ascontiguousarray(view.transpose(0, 2, 1))


@pytest.fixture(scope="module")
def fitted():
    series = _series()
    return LSTMAnomalyDetector(**PARAMS).fit(_windows(series[:100])), series


def test_stream_scores_match_the_batch_scores(fitted):
    """Without refits, each point gets the decision of the window ending at it."""
    det, series = fitted
    stream = AnomalyStream(det)
    values = np.array([stream.update(x) for x in series[100:]])
    assert np.isnan(values[: WINDOW - 1]).all()
    expected = det.decision_function(_windows(series[100:]))
    np.testing.assert_allclose(values[WINDOW - 1 :], expected, rtol=1e-10)
    assert stream.n_seen_ == 60 and stream.n_refits_ == 0
    assert stream.window_length_ == WINDOW
    assert stream.detector_ is not det


def test_stream_refit_schedule(fitted, monkeypatch):
    """A warm-start refit every refit_every points on the last refit_rows windows."""
    det, series = fitted
    seen = []
    original = LSTMAnomalyDetector.fit

    def spy(self, X, y=None, sample_weight=None):
        seen.append((np.array(X), self.warm_start, self.max_epochs))
        return original(self, X, y, sample_weight=sample_weight)

    monkeypatch.setattr(LSTMAnomalyDetector, "fit", spy)
    n_iter = det.n_iter_
    stream = AnomalyStream(det, refit_every=20, refit_rows=15, refit_epochs=2)
    values = [stream.update(x) for x in series[100:]]
    assert len(values) == 60
    # the first refit waits for 15 full windows (22 points), then every 20
    assert stream.n_refits_ == len(seen) == 2
    for (X, warm, epochs), end in zip(seen, [122, 142]):
        # the refit after point end - 1: the windows of the last 15 points
        np.testing.assert_array_equal(X, _windows(series[end - 15 - WINDOW + 1 : end]))
        assert warm and epochs == 2
    assert stream.detector_.n_iter_ == n_iter + 2 * 2
    assert det.n_iter_ == n_iter  # the detector passed in is not refitted
    # refit_rows defaults to three times refit_every
    stream = AnomalyStream(det, refit_every=5, refit_epochs=1)
    for x in series[100:130]:
        stream.update(x)
    assert len(seen[-1][0]) == 15


def test_stream_smoothing_is_an_ewma_of_the_distance(fitted):
    det, series = fitted
    stream = AnomalyStream(det, smoothing=3)
    values = np.array([stream.update(x) for x in series[100:]])[WINDOW - 1 :]
    distance = -det.score_samples(_windows(series[100:]))
    level = pd.Series(distance).ewm(halflife=3, adjust=False).mean().to_numpy()
    np.testing.assert_allclose(values, -level - det.offset_, rtol=1e-10)


def test_stream_multivariate():
    series = _series(n=60, n_features=2)
    det = LSTMAnomalyDetector(**PARAMS).fit(_windows(series[:40]))
    stream = AnomalyStream(det, refit_every=10, refit_rows=5)
    values = np.array([stream.update(x) for x in series[40:]])
    expected = det.decision_function(_windows(series[40:]))
    # the first refit comes after point 12 (5 full windows); those before match
    np.testing.assert_allclose(values[WINDOW - 1 : 12], expected[:5], rtol=1e-10)
    assert stream.n_refits_ == 1
    with pytest.raises(ValueError, match="2 feature"):
        stream.update(1.0)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"refit_every": 0}, "refit_every"),
        ({"refit_every": 2.5}, "refit_every"),
        ({"refit_rows": 1}, "refit_rows"),
        ({"refit_epochs": None}, "refit_epochs"),
        ({"smoothing": -1}, "smoothing"),
        ({"smoothing": float("nan")}, "smoothing"),
    ],
)
def test_stream_bad_parameters(fitted, params, match):
    det, _ = fitted
    with pytest.raises(ValueError, match=match):
        AnomalyStream(det, **params).update(0.0)


def test_stream_needs_a_fitted_detector():
    with pytest.raises(NotFittedError):
        AnomalyStream(LSTMAnomalyDetector()).update(0.0)

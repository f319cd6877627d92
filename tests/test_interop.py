"""LSTMRegressor inside other libraries: skforecast and MAPIE (optional).

Each test skips when its library is not installed (``pip install
sklstm[interop]`` installs both).
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklstm import LSTMRegressor, make_windows

TINY = {
    "hidden_size": 4,
    "max_epochs": 3,
    "batch_size": 16,
    "bidirectional": False,
    "conv_channels": None,
    "random_state": 0,
}


def _series(n=80):
    t = np.arange(n, dtype=float)
    return pd.Series(np.sin(t / 3.0) + 0.01 * t, name="y")


# --- skforecast ------------------------------------------------------------


def _fitted_estimator(forecaster):
    # skforecast renamed ``regressor`` to ``estimator`` (0.17)
    found = getattr(forecaster, "estimator", None)
    return found if found is not None else forecaster.regressor


def test_skforecast_recursive_fits_and_predicts():
    """ForecasterRecursive passes lag matrices (newest lag first, views with
    negative strides); fit and predict work on them."""
    recursive = pytest.importorskip("skforecast.recursive")
    y = _series()
    forecaster = recursive.ForecasterRecursive(LSTMRegressor(**TINY), lags=6)
    forecaster.fit(y=y)
    pred = forecaster.predict(steps=5)
    assert len(pred) == 5
    assert np.isfinite(np.asarray(pred)).all()
    assert _fitted_estimator(forecaster).n_features_in_ == 6


def test_skforecast_lags_reversed_into_time_order():
    """skforecast orders lags newest first (lag_1 is the first column); a
    column flip in front of the network gives it the window in time order,
    so that window_norm="last" centres each window on its newest value."""
    recursive = pytest.importorskip("skforecast.recursive")
    y = _series()
    pipe = make_pipeline(
        FunctionTransformer(np.fliplr, validate=True),
        LSTMRegressor(**TINY, window_norm="last"),
    )
    forecaster = recursive.ForecasterRecursive(pipe, lags=6)
    forecaster.fit(y=y)
    X_train, _ = forecaster.create_train_X_y(y=y)
    assert X_train.columns[0] == "lag_1"
    in_time_order = _fitted_estimator(forecaster)[:-1].transform(X_train.to_numpy())
    np.testing.assert_array_equal(in_time_order[:, -1], X_train["lag_1"].to_numpy())
    np.testing.assert_array_equal(in_time_order[:, 0], X_train["lag_6"].to_numpy())
    # the per-window level carries over: a series shifted by 100 gives
    # forecasts shifted by 100, without refitting
    window = y.iloc[-6:]
    base = np.asarray(forecaster.predict(steps=3, last_window=window))
    shifted = np.asarray(forecaster.predict(steps=3, last_window=window + 100.0))
    np.testing.assert_allclose(shifted - base, 100.0, rtol=1e-4)


# --- MAPIE -----------------------------------------------------------------


@pytest.fixture(scope="module")
def windows():
    rng = np.random.RandomState(0)
    s = np.sin(np.arange(400) / 4.0) + 0.2 * rng.randn(400)
    return make_windows(s, window_length=8)


def test_mapie_split_conformal_with_a_fitted_regressor(windows):
    """SplitConformalRegressor calibrates a fitted LSTMRegressor on 3-D windows."""
    regression = pytest.importorskip("mapie.regression")
    X, y = windows
    reg = LSTMRegressor(**{**TINY, "hidden_size": 8, "max_epochs": 10}).fit(X[:200], y[:200])
    mapie = regression.SplitConformalRegressor(reg, confidence_level=0.9, prefit=True)
    mapie.conformalize(X[200:300], y[200:300])
    y_pred, bounds = mapie.predict_interval(X[300:])
    assert y_pred.shape == (len(X) - 300,)
    assert bounds.shape == (len(X) - 300, 2, 1)
    np.testing.assert_allclose(y_pred, reg.predict(X[300:]), rtol=1e-6)
    covered = (y[300:] >= bounds[:, 0, 0]) & (y[300:] <= bounds[:, 1, 0])
    # 92 test windows: the nominal 0.9, within sampling error
    assert 0.75 <= covered.mean() <= 1.0


def test_mapie_split_conformal_fits_a_clone(windows):
    """With prefit=False MAPIE clones and fits the regressor itself."""
    regression = pytest.importorskip("mapie.regression")
    X, y = windows
    mapie = regression.SplitConformalRegressor(
        LSTMRegressor(**TINY), confidence_level=[0.5, 0.9], prefit=False
    )
    mapie.fit(X[:200], y[:200]).conformalize(X[200:300], y[200:300])
    _, bounds = mapie.predict_interval(X[300:])
    assert bounds.shape == (len(X) - 300, 2, 2)
    widths = bounds[:, 1, :] - bounds[:, 0, :]
    assert (widths[:, 1] >= widths[:, 0]).all()

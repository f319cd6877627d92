"""Tests of LSTMForecaster and backtest."""

import inspect
import math
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklstm import LSTMForecaster, LSTMRegressor, backtest
from sklstm._forecaster import _conformal_quantile, _fill_gaps

TINY = {"hidden_size": 4, "max_epochs": 2, "batch_size": 16, "bidirectional": False, "conv_channels": None}


def tiny(**params):
    return LSTMForecaster(LSTMRegressor(**TINY), window_length=4, random_state=0, **params)


def monthly(n=48, start="2000-01"):
    index = pd.date_range(start, periods=n, freq="MS")
    t = np.arange(n, dtype=float)
    return pd.Series(10 + 0.1 * t + np.sin(2 * np.pi * t / 12), index=index, name="sales")


def future_frame(y, steps, **columns):
    index = pd.date_range(y.index[-1], periods=steps + 1, freq=y.index.freq)[1:]
    return pd.DataFrame(columns, index=index)


@pytest.fixture(scope="module")
def fitted():
    """One fitted forecaster without covariates (read-only)."""
    y = monthly()
    return tiny(calibration="holdout").fit(None, y), y


# --- the estimator contract ---------------------------------------------


def test_predict_returns_series_on_future_index(fitted):
    """predict(X_future) gives one forecast per row, on the future timestamps."""
    f, y = fitted
    X_future = future_frame(y, 5)
    pred = f.predict(X_future)
    assert isinstance(pred, pd.Series)
    assert pred.index.equals(X_future.index)
    assert pred.name == "sales"
    assert np.isfinite(pred).all()


def test_forecast_matches_predict_without_covariates(fitted):
    """forecast(steps) equals predict on an empty frame, with an inferred freq."""
    f, y = fitted
    by_steps = f.forecast(5)
    np.testing.assert_allclose(by_steps, f.predict(future_frame(y, 5)))
    assert by_steps.index[0] == pd.Timestamp("2004-01-01")
    assert by_steps.index.freqstr == "MS"


def test_x_none_and_zero_columns_give_the_same_model():
    """X=None and a frame with no columns are the same fit."""
    y = monthly()
    a = tiny().fit(None, y).forecast(3)
    b = tiny().fit(pd.DataFrame(index=y.index), y).forecast(3)
    np.testing.assert_allclose(a, b)


def test_arrays_give_arrays():
    """Without an index the forecasts are a plain array."""
    y = monthly().to_numpy()
    f = tiny().fit(None, y)
    pred = f.predict(np.zeros((3, 0)))
    assert isinstance(pred, np.ndarray) and pred.shape == (3,)
    np.testing.assert_allclose(pred, f.forecast(3))


def test_predict_with_a_number_points_to_forecast(fitted):
    f, _ = fitted
    with pytest.raises(TypeError, match=re.escape("forecast(steps)")):
        f.predict(3)


def test_rows_that_do_not_follow_the_history_are_refused(fitted):
    """With a DatetimeIndex, X_future must start right after the history."""
    f, y = fitted
    with pytest.raises(ValueError, match="directly follow the history.*update"):
        f.predict(pd.DataFrame(index=y.index[-5:]))
    later = future_frame(y, 10).iloc[3:]
    with pytest.raises(ValueError, match="expected the first row at 2004-01-01"):
        f.predict(later)


def test_too_short_series():
    with pytest.raises(ValueError, match="too short for window_length=4.*lower window_length"):
        tiny().fit(None, np.arange(4.0))


def test_nan_in_y_points_to_impute():
    y = monthly()
    y.iloc[10] = np.nan
    with pytest.raises(ValueError, match="missing value.*impute='linear'"):
        tiny().fit(None, y)


def test_impute_fills_gaps_end_to_end():
    """A series with gaps forecasts once impute is set."""
    y = monthly()
    y.iloc[[3, 10, 11]] = np.nan
    f = tiny(impute="linear").fit(None, y)
    assert np.isfinite(f.forecast(4)).all()
    assert not np.isnan(f._y).any()


def test_fill_gaps_expected_values():
    values = np.array([np.nan, 1.0, np.nan, 3.0, np.nan])
    np.testing.assert_allclose(_fill_gaps(values, "linear"), [1, 1, 2, 3, 3])
    np.testing.assert_allclose(_fill_gaps(values, "ffill"), [1, 1, 1, 3, 3])


def test_multi_output_chains_beyond_horizon():
    """multi_output trains a horizon-wide net and chains it for longer forecasts."""
    y = monthly()
    f = tiny(strategy="multi_output", horizon=3).fit(None, y)
    assert f.regressor_.n_outputs_ == 3
    pred = f.forecast(7)
    assert pred.shape == (7,)
    np.testing.assert_allclose(pred[:3], f.forecast(3))


def test_regressor_is_cloned_and_settings_passed():
    """The given regressor is left unfitted; random_state and window_norm reach the clone."""
    net = LSTMRegressor(**TINY)
    f = LSTMForecaster(net, window_length=4, random_state=3, window_norm="mean").fit(
        None, monthly()
    )
    assert not hasattr(net, "net_")
    assert f.regressor_.random_state == 3
    assert f.regressor_.window_norm == "mean"
    assert net.random_state is None


def test_default_regressor_is_lstm_regressor():
    f = LSTMForecaster(window_length=4)
    assert f.regressor is None
    assert LSTMForecaster().get_params()["window_norm"] == "last"


def test_pickle_round_trip(fitted):
    import pickle

    f, _ = fitted
    again = pickle.loads(pickle.dumps(f))
    np.testing.assert_allclose(again.forecast(3), f.forecast(3))


def test_same_seed_same_forecast():
    y = monthly()
    np.testing.assert_array_equal(tiny().fit(None, y).forecast(3), tiny().fit(None, y).forecast(3))


# --- covariates ---------------------------------------------------------


def covariate_data(n=48):
    y = monthly(n)
    X = pd.DataFrame(
        {
            "promo": (np.arange(n) % 5 == 0).astype(float),
            "temperature": np.cos(np.arange(n) / 4.0),
        },
        index=y.index,
    )
    return X, y


def test_future_covariate_missing_in_x_future():
    X, y = covariate_data()
    f = tiny(past_covariates=["temperature"]).fit(X, y)
    with pytest.raises(ValueError, match=re.escape("lacks the future-known covariate(s) ['promo']")):
        f.predict(future_frame(y, 3))
    # the past-only covariate need not be given
    pred = f.predict(future_frame(y, 3, promo=[1.0, 0.0, 0.0]))
    assert pred.shape == (3,)


def test_future_covariates_change_the_forecast():
    """Each step reads its own future-known covariate values."""
    X, y = covariate_data()
    f = tiny().fit(X, y)
    a = f.predict(future_frame(y, 3, promo=[0.0, 0.0, 0.0], temperature=[0.0] * 3))
    b = f.predict(future_frame(y, 3, promo=[5.0, 5.0, 5.0], temperature=[0.0] * 3))
    assert not np.allclose(a, b)
    with pytest.raises(ValueError, match="future-known covariates: pass"):
        f.forecast(3)


def test_unknown_covariate_name():
    X, y = covariate_data()
    with pytest.raises(ValueError, match="'price' is not a column of X"):
        tiny(future_covariates=["price"]).fit(X, y)


def test_pipeline_preprocesses_covariates():
    X, y = covariate_data()
    pipe = Pipeline([("scale", StandardScaler()), ("forecast", tiny())]).fit(X, y)
    pred = pipe.predict(future_frame(y, 4, promo=[0.0] * 4, temperature=[1.0] * 4))
    assert pred.shape == (4,)


# --- scikit-learn tools ---------------------------------------------------


def test_cross_val_score_with_time_series_split():
    """Each test fold is forecast from the end of its training rows."""
    y = monthly(60)
    X = pd.DataFrame(index=y.index)
    scores = cross_val_score(tiny(), X, y, cv=TimeSeriesSplit(3), scoring="neg_mean_absolute_error")
    assert scores.shape == (3,) and np.isfinite(scores).all()


def test_grid_search_over_regressor_parameters():
    y = monthly(60)
    X = pd.DataFrame(index=y.index)
    search = GridSearchCV(
        tiny(), {"regressor__hidden_size": [2, 4]}, cv=TimeSeriesSplit(2)
    ).fit(X, y)
    assert search.best_params_["regressor__hidden_size"] in (2, 4)
    assert search.best_estimator_.regressor_.hidden_size == search.best_params_["regressor__hidden_size"]


def test_clone_keeps_parameters():
    f = tiny(strategy="multi_output", horizon=2)
    c = clone(f)
    assert c.get_params()["horizon"] == 2
    assert c.get_params()["regressor__hidden_size"] == 4


def test_transformed_target_regressor():
    """A log target works with pandas_output=False (TTR reshapes arrays)."""
    y = monthly()
    X = pd.DataFrame(index=y.index)
    ttr = TransformedTargetRegressor(
        regressor=tiny(pandas_output=False), func=np.log, inverse_func=np.exp
    ).fit(X, y)
    pred = ttr.predict(future_frame(y, 3))
    assert pred.shape == (3,) and (pred > 0).all()


# --- intervals, update, backtest ----------------------------------------


def test_conformal_quantile_finite_sample_correction():
    residuals = np.arange(1.0, 10.0)  # n = 9
    # ceil(10 * 0.8) = 8: the 8th smallest
    assert _conformal_quantile(residuals, 0.8) == 8.0
    # ceil(10 * 0.95) = 10 > 9: no finite quantile
    assert _conformal_quantile(residuals, 0.95) == math.inf


def test_predict_interval(fitted):
    f, y = fitted
    frame = f.predict_interval(future_frame(y, 4), coverage=0.8)
    assert list(frame.columns) == ["prediction", "lower", "upper"]
    assert (frame["lower"] <= frame["prediction"]).all()
    assert (frame["prediction"] <= frame["upper"]).all()
    np.testing.assert_allclose(frame["prediction"], f.forecast(4))
    wide = f.forecast_interval(4, coverage=0.9)
    assert (wide["upper"] - wide["lower"] >= frame["upper"] - frame["lower"] - 1e-12).all()
    assert len(f.residuals_) == math.ceil(0.25 * len(y))


def test_interval_needs_calibration():
    f = tiny().fit(None, monthly())
    with pytest.raises(ValueError, match="calibration='holdout'"):
        f.forecast_interval(3)


def test_update_moves_the_origin():
    """update extends the history without refitting; forecasts start after it."""
    y = monthly(48)
    f = tiny().fit(None, y.iloc[:40])
    weights = f.regressor_.module_.head.weight.detach().clone()
    f.update(None, y.iloc[40:])
    assert f.n_history_ == 48
    assert f.forecast(2).index[0] == pd.Timestamp("2004-01-01")
    assert (f.regressor_.module_.head.weight == weights).all()
    with pytest.raises(ValueError, match="directly follow the history"):
        f.update(None, y.iloc[40:])


def test_backtest_long_frame():
    y = monthly(48)
    frame = backtest(tiny(calibration="holdout"), y, steps=3, n_origins=2, coverage=0.9)
    assert list(frame.columns) == ["origin", "timestamp", "step", "y", "prediction", "lower", "upper"]
    assert len(frame) == 6
    assert frame["origin"].iloc[0] == pd.Timestamp("2003-06-01")
    assert frame["timestamp"].iloc[-1] == pd.Timestamp("2003-12-01")
    np.testing.assert_allclose(frame["y"], y.iloc[-6:])
    no_refit = backtest(tiny(), y, steps=3, n_origins=2, refit=False)
    assert list(no_refit.columns) == ["origin", "timestamp", "step", "y", "prediction"]


# --- documentation and common checks -------------------------------------


def test_parameters_documented():
    doc = LSTMForecaster.__doc__
    section = re.search(r"Parameters\n    -+\n(.*?)\n    Attributes", doc, re.DOTALL).group(1)
    documented = set(re.findall(r"^    (\w+) :", section, re.MULTILINE))
    assert documented == set(inspect.signature(LSTMForecaster).parameters)


_TIMESTAMPS = (
    "rows are timestamps: predict forecasts the rows that follow the history, "
    "so each prediction depends on the rows before it and on their order"
)
EXPECTED_FAILED_CHECKS = {
    "check_methods_sample_order_invariance": _TIMESTAMPS,
    "check_methods_subset_invariance": _TIMESTAMPS,
    "check_estimators_empty_data_messages": (
        "X holds the covariates, and a series without covariates (zero columns) "
        "is valid: the check wants an error for it"
    ),
}


@parametrize_with_checks(
    [tiny()], expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS
)
def test_sklearn_common_checks(estimator, check):
    check(estimator)

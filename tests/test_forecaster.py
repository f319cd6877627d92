"""Tests of LSTMForecaster and backtest."""

import inspect
import math
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin, clone
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


# --- many series, one global model (series_id) ---------------------------


class _LastValue(RegressorMixin, BaseEstimator):
    """Records the training windows; predicts each window's last value."""

    def fit(self, X, y):
        self.X_, self.y_ = np.asarray(X), np.asarray(y)
        return self

    def predict(self, X):
        return np.asarray(X)[:, -1, 0]


def panel(lengths=(30, 24, 36), start="2000-01", spacing=1000.0):
    """A long-form panel of three series, rows sorted by time then series.

    Series k holds values in [spacing k, spacing k + 100), so that with the
    default spacing a value says which series it came from; "size" is a
    static feature per series.
    """
    frames = []
    for k, n in enumerate(lengths):
        index = pd.date_range(start, periods=n, freq="MS")
        t = np.arange(n, dtype=float)
        frames.append(
            pd.DataFrame(
                {
                    "store": "abc"[k],
                    "size": float(k + 1),
                    "promo": (t % 4 == 0).astype(float),
                    "y": spacing * k + 10 + t + np.sin(t),
                },
                index=index,
            )
        )
    long = pd.concat(frames).sort_index(kind="stable")
    return long.drop(columns="y"), long["y"]


def panel_future(X, steps):
    """Rows after each series' history, interleaved as in the history."""
    frames = []
    for store, part in X.groupby("store", sort=False):
        index = pd.date_range(part.index[-1], periods=steps + 1, freq="MS")[1:]
        frames.append(
            pd.DataFrame(
                {"store": store, "size": part["size"].iloc[0], "promo": 0.0}, index=index
            )
        )
    return pd.concat(frames).sort_index(kind="stable")


def test_panel_windows_never_cross_series():
    """Each training window and its target come from one series only."""
    X, y = panel()
    f = LSTMForecaster(_LastValue(), window_length=5, window_norm=None, series_id="store")
    f.fit(X, y)
    windows, targets = f.regressor_.X_, f.regressor_.y_
    # one window per row after the first window_length rows of each series
    assert len(windows) == (30 - 5) + (24 - 5) + (36 - 5)
    # features: y (in units of its series' scale), then the covariates
    # (size, promo); no id column
    assert windows.shape[2] == 3
    # the static feature "size" (k + 1) says which series a window came from
    k = windows[:, 0, 1].astype(int) - 1
    assert (windows[:, :, 1] == (k + 1)[:, None]).all()
    scale = f.series_scales_[k]
    series_of_window = (windows[:, :, 0] * scale[:, None] + 1e-3) // 1000
    assert (series_of_window == k[:, None]).all()
    np.testing.assert_array_equal((targets * scale + 1e-3) // 1000, k)
    np.testing.assert_array_equal(f.series_ids_, ["a", "b", "c"])
    assert f.n_features_in_ == 2


def test_panel_predict_forecasts_each_series_rows():
    """predict gives one forecast per row of X_future, from that row's series."""
    X, y = panel()
    f = LSTMForecaster(_LastValue(), window_length=5, window_norm=None, series_id="store")
    f.fit(X, y)
    X_future = panel_future(X, 4)
    pred = f.predict(X_future)
    assert isinstance(pred, pd.Series) and pred.index.equals(X_future.index)
    last = y.groupby(X["store"]).last()
    # the naive regressor's recursive forecast is each series' last value
    np.testing.assert_allclose(
        pred.to_numpy(), last[X_future["store"]].to_numpy(), rtol=1e-6
    )
    # some series only, fewer rows for one, grouped by series (each
    # series' rows stay in time order)
    by_store = X_future.groupby("store")
    some = pd.concat([by_store.get_group("c"), by_store.get_group("a").iloc[:2]])
    np.testing.assert_allclose(
        f.predict(some).to_numpy(), last[some["store"]].to_numpy(), rtol=1e-6
    )


def test_panel_lstm_global_model_fits_predicts_and_intervals():
    """One LSTM over the panel; per-series forecasts near each level; intervals."""
    X, y = panel(spacing=20.0)
    f = tiny(series_id="store", calibration="holdout", calibration_size=6)
    f.fit(X, y)
    X_future = panel_future(X, 3)
    pred = f.predict(X_future)
    assert np.isfinite(pred).all()
    last = y.groupby(X["store"]).last()[X_future["store"]].to_numpy()
    # window_norm="last" keeps each series at its own level
    assert (np.abs(pred.to_numpy() - last) < 10).all()
    intervals = f.predict_interval(X_future, coverage=0.8)
    assert list(intervals.columns) == ["prediction", "lower", "upper"]
    np.testing.assert_allclose(intervals["prediction"], pred)
    assert (intervals["lower"] <= intervals["upper"]).all()
    # residuals pooled over the three series: six origins each at step 1
    assert len(f.residuals_[0]) == 3 * 6
    assert f.score(X_future, pd.Series(last, index=X_future.index)) <= 1.0


def scaled_panel(factor=1.0):
    """Two short series whose scales differ by a factor of 10**4 (and ``factor``)."""
    t = np.arange(20, dtype=float)
    big = 5e4 + 2e3 * t + 1e3 * np.sin(t)
    small = 3.0 + 0.1 * t + 0.2 * np.cos(t / 2)
    X = pd.DataFrame({"store": ["a"] * 20 + ["b"] * 20})
    return X, np.concatenate([big, small * factor])


def test_panel_series_scales_are_the_mean_absolute_change():
    X, y = scaled_panel()
    f = LSTMForecaster(_LastValue(), window_length=4, window_norm=None, series_id="store")
    f.fit(X, y)
    expected = [np.mean(np.abs(np.diff(y[:20]))), np.mean(np.abs(np.diff(y[20:])))]
    np.testing.assert_allclose(f.series_scales_, expected)
    # the network sees each series in its own units: comparable magnitudes
    windows = f.regressor_.X_[:, :, 0]
    assert windows[:16].max() / windows[16:].max() < 20
    # update keeps the scales fitted in fit
    f.update(pd.DataFrame({"store": ["b"]}), np.array([1e6]))
    np.testing.assert_allclose(f.series_scales_, expected)
    # a constant series and a series of zeros fall back (no division by 0)
    flat = clone(f)
    flat.fit(X, np.concatenate([np.full(20, -4.0), np.zeros(20)]))
    np.testing.assert_allclose(flat.series_scales_, [4.0, 1.0])
    assert LSTMForecaster().fit(None, np.arange(30.0)).series_scales_ is None


def test_panel_forecast_invariant_to_the_scale_of_one_series():
    """Multiplying one series by a constant multiplies its forecasts only."""
    X, y = scaled_panel()
    factor = 2.0**10  # exact in floating point
    future = pd.DataFrame({"store": ["a"] * 3 + ["b"] * 3})
    kwargs = {"series_id": "store", "calibration": "holdout", "calibration_size": 4}
    base = tiny(**kwargs).fit(X, y)
    scaled = tiny(**kwargs).fit(*scaled_panel(factor))
    pred, pred_scaled = base.predict(future), scaled.predict(future)
    np.testing.assert_allclose(pred_scaled[:3], pred[:3], rtol=1e-6)
    np.testing.assert_allclose(pred_scaled[3:], pred[3:] * factor, rtol=1e-6)
    # intervals scale with their series too: residuals are pooled in units
    # of each series' scale, so the small series gets narrow intervals
    width = base.predict_interval(future).eval("upper - lower").to_numpy()
    width_scaled = scaled.predict_interval(future).eval("upper - lower").to_numpy()
    np.testing.assert_allclose(width_scaled[3:], width[3:] * factor, rtol=1e-6)
    np.testing.assert_allclose(
        width[:3] / base.series_scales_[0], width[3:] / base.series_scales_[1]
    )


def test_panel_update_extends_each_series():
    """update appends rows to their own series; the next forecast starts after them."""
    X, y = panel()
    f = LSTMForecaster(_LastValue(), window_length=5, window_norm=None, series_id="store")
    f.fit(X.iloc[:-6], y.iloc[:-6])
    f.update(X.iloc[-6:], y.iloc[-6:])
    X_future = panel_future(X, 2)
    pred = f.predict(X_future)
    expected = y.groupby(X["store"]).last()[X_future["store"]]
    np.testing.assert_allclose(pred.to_numpy(), expected.to_numpy(), rtol=1e-6)


def test_panel_pickle_and_clone():
    import pickle

    X, y = panel()
    f = tiny(series_id="store").fit(X, y)
    X_future = panel_future(X, 2)
    again = pickle.loads(pickle.dumps(f))
    np.testing.assert_allclose(again.predict(X_future), f.predict(X_future))
    assert clone(f).get_params()["series_id"] == "store"


def test_panel_errors():
    """Missing id column, unknown series, misaligned rows, forecast(steps)."""
    X, y = panel()
    f = LSTMForecaster(_LastValue(), window_length=5, window_norm=None, series_id="store")
    with pytest.raises(ValueError, match="no such column"):
        f.fit(X.drop(columns="store"), y)
    with pytest.raises(ValueError, match="not a covariate"):
        clone(f).set_params(past_covariates=["store"]).fit(X, y)
    short = X["store"] != "b"
    with pytest.raises(ValueError, match=r"series 'b' of y has 3 rows"):
        f.fit(pd.concat([X[short], X[~short].iloc[:3]]), pd.concat([y[short], y[~short].iloc[:3]]))
    f.fit(X, y)
    X_future = panel_future(X, 2)
    unknown = X_future.assign(store="z")
    with pytest.raises(ValueError, match=r"series \['z'\] that were not seen"):
        f.predict(unknown)
    late = X_future.copy()
    late.index = late.index + pd.DateOffset(months=1)
    with pytest.raises(ValueError, match="follow the history of series"):
        f.predict(late)
    with pytest.raises(ValueError, match="lacks the future-known"):
        f.predict(X_future.drop(columns="promo"))
    with pytest.raises(ValueError, match="fitted on a panel"):
        f.forecast(3)


def test_panel_time_series_split_cuts_on_shared_timestamps():
    """Every split cuts all series at the same date; cross_val_score runs."""
    from sklstm import PanelTimeSeriesSplit

    X, y = panel(lengths=(30, 30, 30))
    cv = PanelTimeSeriesSplit(n_splits=3, test_size=4)
    splits = list(cv.split(X))
    assert len(splits) == cv.get_n_splits() == 3
    for train, test in splits:
        assert X.index[train].max() < X.index[test].min()
        # every series has 4 test rows, right after its training rows
        assert (X["store"].iloc[test].value_counts() == 4).all()
        assert set(X["store"].iloc[train]) == {"a", "b", "c"}
    assert len(splits[-1][1]) == 12 and splits[-1][1].max() == len(X) - 1
    f = LSTMForecaster(_LastValue(), window_length=5, window_norm=None, series_id="store")
    scores = cross_val_score(f, X, y, cv=cv)
    assert scores.shape == (3,) and np.isfinite(scores).all()
    with pytest.raises(TypeError, match="index of a DataFrame"):
        next(cv.split(X.to_numpy()))


# --- ensembles (n_estimators) ---------------------------------------------


def test_ensemble_forecast_is_the_mean_of_its_members():
    y = np.sin(np.arange(50) / 3.0) + 0.05 * np.arange(50)
    f = tiny(n_estimators=3).fit(None, y)
    members = f.regressor_.estimators_
    assert len(members) == 3
    assert len({m.random_state for m in members}) == 3
    window = y[-4:].astype(np.float32)[None, :, None]
    mean = np.mean([m.predict(window) for m in members], axis=0)
    np.testing.assert_allclose(f.forecast(1), mean, rtol=1e-6)
    again = tiny(n_estimators=3).fit(None, y)
    np.testing.assert_array_equal(again.forecast(5), f.forecast(5))
    single = tiny().fit(None, y)
    assert not np.allclose(single.forecast(5), f.forecast(5))


def test_n_estimators_is_validated():
    with pytest.raises(ValueError, match="n_estimators"):
        tiny(n_estimators=0).fit(None, np.arange(20.0))

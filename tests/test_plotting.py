"""Tests for sklstm.plotting: what each plot draws, and its error messages."""

import importlib
import re
import sys
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline

from sklstm import (
    LSTMClassifier,
    LSTMForecaster,
    LSTMRegressor,
    SlidingWindowTransformer,
    backtest,
)
from sklstm.plotting import (
    plot_anomalies,
    plot_backtest,
    plot_forecast,
    plot_gate_activations,
    plot_interval,
    plot_training_history,
)

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

# one direction and no convolution, so that units and steps are easy to count
TINY = dict(
    hidden_size=4,
    max_epochs=3,
    batch_size=16,
    bidirectional=False,
    conv_channels=None,
    random_state=0,
)


@pytest.fixture(autouse=True)
def _close_figures():
    """Close every figure a test opened."""
    yield
    plt.close("all")


def _render(ax, tmp_path):
    """Draw the figure of ``ax`` into a PNG file and check it was written."""
    path = tmp_path / "plot.png"
    ax.figure.savefig(path)
    assert path.stat().st_size > 0


def _legend_texts(ax):
    return [text.get_text() for text in ax.get_legend().get_texts()]


# Fitted once per module, because fitting is the slow part; tests must not
# refit or modify these models.
@pytest.fixture(scope="module")
def sequences():
    """30 univariate sequences of 8 steps and a target."""
    rng = np.random.RandomState(0)
    X = rng.randn(30, 8, 1)
    return X, X[:, -1, 0] + X[:, 0, 0]


@pytest.fixture(scope="module")
def early_stopped(sequences):
    """A regressor fitted with early stopping (so with a validation curve)."""
    X, y = sequences
    reg = LSTMRegressor(
        early_stopping=True, validation_fraction=0.3, n_iter_no_change=2, **TINY
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 3 epochs only
        return reg.fit(X, y)


@pytest.fixture(scope="module")
def bidirectional(sequences):
    """A two-layer bidirectional regressor."""
    X, y = sequences
    return LSTMRegressor(**{**TINY, "num_layers": 2, "bidirectional": True}).fit(X, y)


class _History(BaseEstimator):
    """An estimator whose training history is written by hand."""

    def fit(self, X=None, y=None):
        self.loss_curve_ = [4.0, 3.0, 2.0, 1.5, 1.2]
        self.validation_loss_curve_ = [3.0, 2.5, 2.6, 2.8, 3.0]
        self.best_epoch_ = 2
        return self


# --- plot_forecast -----------------------------------------------------


def test_plot_forecast_draws_training_actual_and_forecast(tmp_path):
    """The three lines hold the given values at consecutive positions."""
    train, true, pred = (
        np.arange(5.0),
        np.array([5.0, 6.0, 7.0]),
        np.array([5.5, 6.5, 6.0]),
    )
    ax = plot_forecast(true, pred, y_train=train)
    _render(ax, tmp_path)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == [
        "training data",
        "actual",
        "forecast",
    ]
    np.testing.assert_array_equal(lines[0].get_xdata(), np.arange(5))
    np.testing.assert_array_equal(lines[0].get_ydata(), train)
    np.testing.assert_array_equal(lines[1].get_xdata(), [5, 6, 7])
    np.testing.assert_array_equal(lines[1].get_ydata(), true)
    np.testing.assert_array_equal(lines[2].get_xdata(), [5, 6, 7])
    np.testing.assert_array_equal(lines[2].get_ydata(), pred)
    assert _legend_texts(ax) == ["training data", "actual", "forecast"]
    assert ax.get_xlabel() == "time step"
    assert ax.get_ylabel() == "value"


def test_plot_forecast_without_training_part(tmp_path):
    """Without y_train, only the actual values and the forecast are drawn."""
    ax = plot_forecast([1.0, 2.0], [1.5, 2.5])
    _render(ax, tmp_path)
    assert [line.get_label() for line in ax.get_lines()] == ["actual", "forecast"]
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [0, 1])


def test_plot_forecast_keeps_pandas_index_and_names(tmp_path):
    """A pandas Series keeps its dates on the x axis and its name as label."""
    dates = pd.date_range("2000-01-01", periods=6, freq="MS", name="month")
    series = pd.Series(np.arange(6.0), index=dates, name="passengers")
    ax = plot_forecast(series[4:], np.array([4.5, 5.5]), y_train=series[:4])
    _render(ax, tmp_path)
    train_line, actual_line, _ = ax.get_lines()
    np.testing.assert_array_equal(
        np.asarray(actual_line.get_xdata(), dtype="datetime64[ns]"),
        dates[4:].to_numpy(),
    )
    assert len(train_line.get_xdata()) == 4
    assert ax.get_xlabel() == "month"
    assert ax.get_ylabel() == "passengers"


def test_plot_forecast_index_sets_the_x_values(tmp_path):
    """index gives the x values of the training part and the forecast period."""
    index = np.arange(10, 15)
    ax = plot_forecast([3.0, 4.0], [3.0, 4.5], y_train=[0.0, 1.0, 2.0], index=index)
    _render(ax, tmp_path)
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [10, 11, 12])
    np.testing.assert_array_equal(ax.get_lines()[2].get_xdata(), [13, 14])


def test_plot_forecast_labels_a_date_axis(tmp_path):
    """Dates without an index name give a "date" axis with date ticks."""
    import matplotlib.dates as mdates

    dates = pd.date_range("2024-01-01", periods=30, freq="D")
    y = pd.Series(np.arange(30.0), index=dates)
    ax = plot_forecast(y[20:], y[20:] + 1, y_train=y[:20])
    _render(ax, tmp_path)
    assert ax.get_xlabel() == "date"
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
    ax = plot_forecast(np.ones(3), np.ones(3), index=dates[:3])
    assert ax.get_xlabel() == "date"
    named = y.rename_axis("day")
    assert plot_forecast(named[20:], named[20:]).get_xlabel() == "day"
    assert plot_forecast(np.ones(3), np.ones(3)).get_xlabel() == "time step"


def test_plot_forecast_draws_on_the_given_axes():
    """With ax given, the plot is drawn there and that Axes is returned."""
    fig, ax = plt.subplots()
    assert plot_forecast([1.0], [1.0], ax=ax) is ax
    assert len(fig.axes) == 1


def test_plot_forecast_rejects_lengths_that_differ():
    """y_true and y_pred of different lengths get a clear ValueError."""
    msg = (
        "y_true and y_pred must have the same length (one forecast per actual "
        "value), got 3 and 2."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        plot_forecast([1.0, 2.0, 3.0], [1.0, 2.0])


def test_plot_forecast_rejects_an_index_of_the_wrong_length():
    """index must cover the training part and the forecast period."""
    msg = (
        "index must have one entry per plotted value, len(y_train) + "
        "len(y_true) = 3 + 2 = 5, got 4 entries."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        plot_forecast([1.0, 2.0], [1.0, 2.0], y_train=[0.0] * 3, index=range(4))


def test_plot_forecast_rejects_a_2d_forecast():
    """A forecast with several columns is refused, naming its shape."""
    msg = "y_pred must be 1D (n_timesteps,), got an array of shape (2, 2)."
    with pytest.raises(ValueError, match=re.escape(msg)):
        plot_forecast([1.0, 2.0], [[1.0, 2.0], [3.0, 4.0]])


# --- plot_interval -----------------------------------------------------


def _interval_frame(center, half_width, index=None):
    center = np.asarray(center, dtype=float)
    return pd.DataFrame(
        {
            "prediction": center,
            "lower": center - half_width,
            "upper": center + half_width,
        },
        index=index,
    )


def test_plot_interval_draws_history_forecast_and_one_band(tmp_path):
    """One frame: history, forecast and a band at the positions after the history."""
    frame = _interval_frame([5.0, 6.0, 7.0], 1.0)
    ax = plot_interval(frame, y_train=np.arange(5.0))
    _render(ax, tmp_path)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["training data", "forecast"]
    np.testing.assert_array_equal(lines[0].get_xdata(), np.arange(5))
    np.testing.assert_array_equal(lines[1].get_xdata(), [5, 6, 7])
    np.testing.assert_array_equal(lines[1].get_ydata(), [5.0, 6.0, 7.0])
    assert len(ax.collections) == 1
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == 4.0 and band[:, 1].max() == 8.0
    assert _legend_texts(ax) == ["training data", "forecast", "interval"]
    assert ax.get_xlabel() == "time step"


def test_plot_interval_fan_draws_the_widest_band_first_on_a_date_axis(tmp_path):
    """A dict of coverages: one band each, widest at the back, dates on the x axis."""
    import matplotlib.dates as mdates

    future = pd.date_range("2001-01-01", periods=4, freq="MS")
    history = pd.Series(
        np.arange(12.0),
        index=pd.date_range("2000-01-01", periods=12, freq="MS"),
        name="passengers",
    )
    fan = {
        c: _interval_frame(np.full(4, 12.0), 10 * c, future) for c in (0.5, 0.95, 0.8)
    }
    ax = plot_interval(fan, y_train=history, y_true=np.full(4, 13.0))
    _render(ax, tmp_path)
    assert [line.get_label() for line in ax.get_lines()] == [
        "training data",
        "actual",
        "forecast",
    ]
    assert [c.get_label() for c in ax.collections] == [
        "95 % interval",
        "80 % interval",
        "50 % interval",
    ]
    heights = [np.ptp(c.get_paths()[0].vertices[:, 1]) for c in ax.collections]
    np.testing.assert_allclose(heights, [19.0, 16.0, 10.0])
    np.testing.assert_array_equal(
        np.asarray(ax.get_lines()[2].get_xdata(), dtype="datetime64[ns]"),
        future.to_numpy(),
    )
    assert ax.get_xlabel() == "date"
    assert ax.get_ylabel() == "passengers"
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)


def test_plot_interval_labels_bands_by_their_keys():
    """String keys are taken as the legend labels."""
    frame = _interval_frame([1.0, 2.0], 0.5)
    ax = plot_interval({"conformal": frame})
    assert _legend_texts(ax) == ["forecast", "conformal"]
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [0, 1])


def test_plot_interval_from_a_forecaster():
    """forecast_interval's frame of a forecaster fitted on dates is drawn on dates."""
    y = pd.Series(
        np.sin(np.arange(40) / 3.0),
        index=pd.date_range("2000-01", periods=40, freq="MS"),
    )
    net = LSTMRegressor(**TINY)
    forecaster = LSTMForecaster(net, window_length=5, calibration="holdout")
    forecaster.fit(None, y)
    fan = {c: forecaster.forecast_interval(3, coverage=c) for c in (0.5, 0.8)}
    ax = plot_interval(fan, y_train=y)
    assert len(ax.collections) == 2
    x = np.asarray(ax.get_lines()[1].get_xdata(), dtype="datetime64[ns]")
    np.testing.assert_array_equal(
        x, pd.date_range("2003-05", periods=3, freq="MS").to_numpy()
    )


@pytest.mark.parametrize(
    ("intervals", "error", "message"),
    [
        (
            np.zeros((3, 3)),
            TypeError,
            "intervals must be a pandas DataFrame, as returned",
        ),
        (
            pd.DataFrame({"prediction": [1.0], "lower": [0.0]}),
            ValueError,
            "intervals lacks the column(s) ['upper']",
        ),
        ({}, ValueError, "intervals is an empty dict"),
        (
            {0.5: _interval_frame([1.0, 2.0], 1.0), 0.9: _interval_frame([1.0], 1.0)},
            ValueError,
            (
                "The frames of a fan must forecast the same rows: intervals[0.9] "
                "has 1 rows"
            ),
        ),
        (
            _interval_frame([1.0, 2.0], np.array([1.0, np.inf])),
            ValueError,
            "The interval has infinite or missing bounds at 1 step(s)",
        ),
    ],
    ids=["not-a-frame", "missing-column", "empty-dict", "fan-rows", "infinite"],
)
def test_plot_interval_rejects_bad_intervals(intervals, error, message):
    """Each bad input gets an error that names the problem."""
    with pytest.raises(error, match=re.escape(message)):
        plot_interval(intervals)


def test_plot_interval_rejects_y_true_of_another_length():
    """y_true needs one value per forecast step."""
    msg = "y_true must hold one actual value per forecast step (2), got 3."
    with pytest.raises(ValueError, match=re.escape(msg)):
        plot_interval(_interval_frame([1.0, 2.0], 1.0), y_true=[1.0, 2.0, 3.0])


def test_plot_interval_refuses_positions_next_to_dates():
    """A history without dates cannot share the axis of intervals on dates."""
    future = pd.date_range("2001-01-01", periods=2, freq="MS")
    msg = "intervals is on dates but y_train is not, so they cannot share the x axis"
    with pytest.raises(ValueError, match=re.escape(msg)):
        plot_interval(_interval_frame([1.0, 2.0], 1.0, future), y_train=np.ones(5))


# --- plot_backtest -----------------------------------------------------


def _backtest_frame(origins, steps, dates=True, intervals=True):
    """A long frame in the layout of backtest(), written by hand."""
    n = max(origins) + steps + 1
    labels = pd.date_range("2000-01-01", periods=n, freq="D") if dates else np.arange(n)
    rows = []
    for origin in origins:
        for k in range(1, steps + 1):
            rows.append(
                {
                    "origin": labels[origin],
                    "timestamp": labels[origin + k],
                    "step": k,
                    "y": float(origin + k),
                    "prediction": float(origin + k) + 0.5,
                }
            )
    frame = pd.DataFrame(rows)
    if intervals:
        frame["lower"] = frame["prediction"] - frame["step"]
        frame["upper"] = frame["prediction"] + frame["step"]
    return frame, labels


def test_plot_backtest_draws_paths_origins_and_bands_on_dates(tmp_path):
    """One path, one origin line and one band per origin; dates on the x axis."""
    import matplotlib.dates as mdates

    frame, labels = _backtest_frame([9, 12, 15], steps=3)
    ax = plot_backtest(frame)
    _render(ax, tmp_path)
    lines = ax.get_lines()
    assert len(lines) == 1 + 3 + 3
    actual = lines[0]
    np.testing.assert_array_equal(actual.get_ydata(), np.arange(10.0, 19.0))
    for path, origin in zip(lines[1:4], (9, 12, 15)):
        np.testing.assert_array_equal(
            np.asarray(path.get_xdata(), dtype="datetime64[ns]"),
            labels[origin + 1 : origin + 4].to_numpy(),
        )
    assert len(ax.collections) == 3
    assert _legend_texts(ax) == ["actual", "forecast (3 origins)", "origin", "interval"]
    assert ax.get_xlabel() == "date"
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)


def test_plot_backtest_draws_the_whole_series_when_given(tmp_path):
    """y draws the history before the first origin too, on its index."""
    frame, _ = _backtest_frame([4, 6], steps=2, dates=False, intervals=False)
    series = np.arange(9.0)
    ax = plot_backtest(frame, y=series)
    _render(ax, tmp_path)
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), np.arange(9))
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), series)
    assert len(ax.collections) == 0
    assert _legend_texts(ax) == ["actual", "forecast (2 origins)", "origin"]
    assert ax.get_xlabel() == "time step"
    named = pd.Series(series, index=pd.RangeIndex(9, name="row"), name="load")
    ax = plot_backtest(frame, y=named)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("row", "load")


def test_plot_backtest_of_backtest_output():
    """backtest's own frame, with intervals, is drawn path by path."""
    y = np.sin(np.arange(50) / 3.0)
    forecaster = LSTMForecaster(
        LSTMRegressor(**TINY), window_length=5, calibration="holdout"
    )
    results = backtest(forecaster, y, steps=4, n_origins=2, refit=False, coverage=0.8)
    ax = plot_backtest(results, y=y)
    assert len(ax.get_lines()) == 1 + 2 + 2
    np.testing.assert_array_equal(ax.get_lines()[1].get_xdata(), [42, 43, 44, 45])
    np.testing.assert_allclose(
        ax.get_lines()[2].get_ydata(), results["prediction"].to_numpy()[4:]
    )
    assert len(ax.collections) == 2


@pytest.mark.parametrize(
    ("drop", "message"),
    [
        (["prediction"], "results lacks the column(s) ['prediction']"),
        (["upper"], "results holds only one of the columns 'lower' and 'upper'"),
    ],
)
def test_plot_backtest_rejects_incomplete_results(drop, message):
    """A frame missing a column of backtest's layout gets a clear ValueError."""
    frame, _ = _backtest_frame([3], steps=2)
    with pytest.raises(ValueError, match=re.escape(message)):
        plot_backtest(frame.drop(columns=drop))


def test_plot_backtest_refuses_an_array_next_to_dates():
    """The whole series y must be on the dates of dated results."""
    frame, labels = _backtest_frame([3], steps=2)
    msg = "results is on dates but y is not"
    with pytest.raises(ValueError, match=re.escape(msg)):
        plot_backtest(frame, y=np.ones(len(labels)))
    ax = plot_backtest(frame, y=pd.Series(np.ones(len(labels)), index=labels))
    assert len(ax.get_lines()[0].get_xdata()) == len(labels)


def test_plot_backtest_rejects_a_non_frame():
    """results must be backtest's DataFrame."""
    with pytest.raises(TypeError, match="results must be a pandas DataFrame"):
        plot_backtest(np.zeros((4, 5)))


# --- plot_anomalies ----------------------------------------------------


def test_plot_anomalies_marks_the_predicted_anomalies(tmp_path):
    """Each step predicted -1 gets a marker on the series, nothing else."""
    series = np.sin(np.arange(40) / 3.0)
    scores = -np.abs(np.cos(np.arange(40)))
    labels = np.ones(40, dtype=int)
    labels[[3, 17, 30]] = -1
    ax = plot_anomalies(series, scores, labels, threshold=-0.9)
    _render(ax, tmp_path)
    series_line, markers = ax.get_lines()
    np.testing.assert_array_equal(series_line.get_ydata(), series)
    np.testing.assert_array_equal(markers.get_xdata(), [3, 17, 30])
    np.testing.assert_array_equal(markers.get_ydata(), series[[3, 17, 30]])
    assert markers.get_linestyle() == "None"
    assert markers.get_marker() == "o"
    score_line, threshold_line = ax.right_ax.get_lines()
    np.testing.assert_array_equal(score_line.get_ydata(), scores)
    np.testing.assert_array_equal(threshold_line.get_ydata(), [-0.9, -0.9])
    assert _legend_texts(ax) == [
        "series",
        "anomalies (3)",
        "anomaly score",
        "threshold",
    ]
    assert ax.get_xlabel() == "time step"
    assert ax.right_ax.get_ylabel() == "anomaly score (lower: more abnormal)"


def test_plot_anomalies_legend_sits_above_the_data(tmp_path):
    """The legend is drawn above the Axes, so it hides none of the series."""
    dates = pd.date_range("2024-01-01", periods=40, freq="h")
    series = pd.Series(np.sin(np.arange(40) / 3.0), index=dates)
    scores = -np.abs(series.to_numpy())
    ax = plot_anomalies(series, scores, threshold=-0.9)
    fig = ax.figure
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    axes_box = ax.get_window_extent()
    assert legend.y0 >= axes_box.y1 - 1
    assert ax.get_xlabel() == "date"
    _render(ax, tmp_path)


def test_plot_anomalies_shades_the_labelled_windows(tmp_path):
    """Labelled windows are shaded spans on a date axis, counted in the legend."""
    dates = pd.date_range("2024-01-01", periods=48, freq="h")
    series = pd.Series(np.sin(np.arange(48) / 3.0), index=dates)
    windows = [(dates[5], dates[9]), ("2024-01-02 06:00", "2024-01-02 10:00")]
    ax = plot_anomalies(
        series, -np.abs(series.to_numpy()), threshold=-0.9, windows=windows
    )
    _render(ax, tmp_path)
    spans = [p for p in ax.right_ax.patches if p.get_label() != "_nolegend_"]
    assert len(ax.right_ax.patches) == 2
    import matplotlib.dates as mdates

    left = min(p.get_x() for p in ax.right_ax.patches)
    assert mdates.num2date(left).replace(tzinfo=None) == dates[5].to_pydatetime()
    assert _legend_texts(ax)[-1] == "labelled windows (2)"
    assert spans


def test_plot_anomalies_rejects_windows_that_are_not_pairs():
    with pytest.raises(
        ValueError, match=r"windows must be a list of \(start, end\) pairs"
    ):
        plot_anomalies(np.arange(5.0), np.zeros(5), windows=[3])


def test_plot_anomalies_flags_scores_below_the_threshold_without_labels(tmp_path):
    """Without labels, the steps scoring below the threshold are marked."""
    scores = np.array([0.5, -0.2, 0.1, -1.0, 0.3])
    ax = plot_anomalies(np.arange(5.0), scores, threshold=0.0)
    _render(ax, tmp_path)
    np.testing.assert_array_equal(ax.get_lines()[-1].get_xdata(), [1, 3])


def test_plot_anomalies_without_labels_or_threshold_marks_nothing(tmp_path):
    """With neither labels nor threshold, only the series and scores are drawn."""
    ax = plot_anomalies(np.arange(5.0), np.zeros(5))
    _render(ax, tmp_path)
    assert len(ax.get_lines()) == 1
    assert len(ax.right_ax.get_lines()) == 1
    assert _legend_texts(ax) == ["series", "anomaly score"]


def test_plot_anomalies_draws_each_column_of_a_dataframe(tmp_path):
    """A DataFrame gives one named line per column and markers on each."""
    dates = pd.date_range("2020-01-01", periods=6, freq="h", name="time")
    frame = pd.DataFrame(
        {"temp": np.arange(6.0), "load": np.arange(6.0) * 2}, index=dates
    )
    labels = np.array([1, 1, -1, 1, 1, -1])
    ax = plot_anomalies(frame, np.zeros(6), labels)
    _render(ax, tmp_path)
    temp, load, markers = ax.get_lines()
    assert (temp.get_label(), load.get_label()) == ("temp", "load")
    assert markers.get_label() == "anomalies (2)"
    np.testing.assert_array_equal(markers.get_ydata(), [2.0, 4.0, 5.0, 10.0])
    assert ax.get_xlabel() == "time"


def test_plot_anomalies_names_a_single_column_after_the_column(tmp_path):
    """A one-column DataFrame or a named Series gives its name to the line."""
    frame = pd.DataFrame({"temperature": np.arange(4.0)})
    ax = plot_anomalies(frame, np.zeros(4))
    assert ax.get_lines()[0].get_label() == "temperature"
    assert ax.get_ylabel() == "temperature"
    ax = plot_anomalies(pd.Series(np.arange(4.0), name="load"), np.zeros(4))
    assert ax.get_lines()[0].get_label() == "load"


@pytest.mark.parametrize(
    "kwargs, msg",
    [
        (
            dict(scores=np.zeros(4)),
            "scores must hold one score per time step of the series: the series "
            "has 5 time steps, scores has 4.",
        ),
        (
            dict(scores=np.zeros(5), labels=np.array([1, 0, 1, -1, 1])),
            "labels must hold -1 (anomaly) and +1 (normal), as returned by "
            "predict; got also [0].",
        ),
        (
            dict(scores=np.zeros(5), labels=np.ones(3)),
            "labels must hold one label per time step of the series (5), got an "
            "array of shape (3,).",
        ),
    ],
)
def test_plot_anomalies_rejects_inconsistent_input(kwargs, msg):
    """Scores and labels must match the series, labels must be +1/-1."""
    with pytest.raises(ValueError, match=re.escape(msg)):
        plot_anomalies(np.arange(5.0), **kwargs)


def test_plot_anomalies_rejects_a_threshold_that_is_not_a_number():
    """A threshold given as a string is a TypeError."""
    msg = "threshold must be a number or None, got '0'."
    with pytest.raises(TypeError, match=re.escape(msg)):
        plot_anomalies(np.arange(3.0), np.zeros(3), threshold="0")


# --- plot_training_history ---------------------------------------------


def test_plot_training_history_marks_the_best_epoch(tmp_path):
    """Both curves are drawn per epoch and the kept epoch gets a vertical line."""
    history = _History().fit()
    ax = plot_training_history(history)
    _render(ax, tmp_path)
    train, valid, best = ax.get_lines()
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(train.get_ydata(), history.loss_curve_)
    np.testing.assert_array_equal(valid.get_ydata(), history.validation_loss_curve_)
    np.testing.assert_array_equal(best.get_xdata(), [2, 2])
    assert _legend_texts(ax) == ["training loss", "validation loss", "best epoch (2)"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("epoch", "loss")


def test_plot_training_history_reads_a_fitted_estimator(early_stopped, tmp_path):
    """The curves are the estimator's loss_curve_ and validation_loss_curve_."""
    ax = plot_training_history(early_stopped)
    _render(ax, tmp_path)
    train, valid, best = ax.get_lines()
    np.testing.assert_allclose(train.get_ydata(), early_stopped.loss_curve_)
    np.testing.assert_allclose(valid.get_ydata(), early_stopped.validation_loss_curve_)
    assert best.get_xdata()[0] == early_stopped.best_epoch_


def test_plot_training_history_without_validation(sequences, tmp_path):
    """Without early stopping there is one curve, and the last epoch is kept."""
    X, y = sequences
    pipe = Pipeline([("lstm", LSTMRegressor(**TINY))]).fit(X, y)
    ax = plot_training_history(pipe)
    _render(ax, tmp_path)
    train, best = ax.get_lines()
    assert len(train.get_xdata()) == 3
    np.testing.assert_array_equal(best.get_xdata(), [3, 3])
    assert _legend_texts(ax) == ["training loss", "best epoch (3)"]


def test_plot_training_history_rejects_an_unfitted_estimator():
    """An unfitted estimator raises scikit-learn's NotFittedError."""
    with pytest.raises(
        NotFittedError, match="This LSTMRegressor instance is not fitted"
    ):
        plot_training_history(LSTMRegressor())


def test_plot_training_history_rejects_an_estimator_without_history():
    """An estimator without loss_curve_ gets a ValueError naming it."""
    reg = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
    msg = (
        "plot_training_history needs an estimator with a loss_curve_ attribute, "
        "such as a fitted sklstm estimator; LinearRegression has none."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        plot_training_history(reg)


# --- plot_gate_activations ---------------------------------------------


def test_plot_gate_activations_draws_one_heat_map_per_gate(
    early_stopped, sequences, tmp_path
):
    """Each panel shows that gate of the chosen sequence, units by time steps."""
    X, _ = sequences
    axes = plot_gate_activations(early_stopped, X, sample=2)
    _render(axes[0], tmp_path)
    expected = early_stopped.gate_activations(X)
    assert axes.shape == (4,)
    assert [ax.get_title() for ax in axes] == [
        "input gate",
        "forget gate",
        "output gate",
        "cell state",
    ]
    for ax, gate in zip(
        axes, ["input_gate", "forget_gate", "output_gate", "cell_state"]
    ):
        image = ax.images[0]
        assert image.get_array().shape == (4, 8)
        np.testing.assert_allclose(image.get_array(), expected[gate][2].T, rtol=1e-5)
    assert axes[0].images[0].get_clim() == (0.0, 1.0)
    low, high = axes[3].images[0].get_clim()
    assert -low == high > 0
    assert axes[-1].get_xlabel() == "time step"
    # one colour bar per panel
    assert len(axes[0].figure.axes) == 8


def test_plot_gate_activations_selects_units_and_gates(
    early_stopped, sequences, tmp_path
):
    """units picks the rows and gates the panels."""
    X, _ = sequences
    axes = plot_gate_activations(
        early_stopped, X, sample=-1, units=[3, 1], gates=("hidden_state",)
    )
    _render(axes[0], tmp_path)
    hidden = early_stopped.gate_activations(X)["hidden_state"][-1]
    assert [ax.get_title() for ax in axes] == ["hidden state"]
    np.testing.assert_allclose(
        axes[0].images[0].get_array(), hidden[:, [3, 1]].T, rtol=1e-5
    )
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["3", "1"]


def test_plot_gate_activations_stops_at_the_end_of_a_short_sequence(tmp_path):
    """A sequence shorter than the others is drawn over its own steps only."""
    rng = np.random.RandomState(0)
    X = [rng.randn(n, 2) for n in (9, 5, 7, 9, 6, 8)]
    clf = LSTMClassifier(**TINY).fit(X, ["a", "b"] * 3)
    axes = plot_gate_activations(clf, X, sample=1)
    _render(axes[0], tmp_path)
    assert axes[0].images[0].get_array().shape == (4, 5)


def test_plot_gate_activations_covers_both_directions(bidirectional, sequences):
    """direction="both" draws twice hidden_size units; layer picks the layer."""
    X, _ = sequences
    axes = plot_gate_activations(bidirectional, X, layer=0, direction="both")
    expected = bidirectional.gate_activations(X, layer=0)["forget_gate"][0].T
    assert axes[1].images[0].get_array().shape == (8, 8)
    np.testing.assert_allclose(axes[1].images[0].get_array(), expected, rtol=1e-5)
    ticks = [t.get_text() for t in axes[0].get_yticklabels()]
    assert ticks == ["f0", "f1", "f2", "f3", "b0", "b1", "b2", "b3"]


def test_plot_gate_activations_shows_one_direction_by_default(bidirectional, sequences):
    """A bidirectional model: the forward units by default, backward on request."""
    X, _ = sequences
    acts = bidirectional.gate_activations(X, layer=0)["input_gate"][0]
    axes = plot_gate_activations(bidirectional, X, layer=0)
    np.testing.assert_allclose(axes[0].images[0].get_array(), acts[:, :4].T, rtol=1e-5)
    assert axes[0].get_ylabel() == "forward unit"
    assert "forward direction:\nall 4 units" in axes[0].figure.get_suptitle()
    back = plot_gate_activations(bidirectional, X, layer=0, direction="backward")
    np.testing.assert_allclose(back[0].images[0].get_array(), acts[:, 4:].T, rtol=1e-5)
    assert back[0].get_ylabel() == "backward unit"


def test_plot_gate_activations_default_model_picks_a_few_labelled_units(tmp_path):
    """A default model (64 units, bidirectional, convolution) shows 8 named rows."""
    rng = np.random.RandomState(0)
    X = rng.randn(12, 20, 1)
    reg = LSTMRegressor(max_epochs=1, conv_pool_size=2, random_state=0)
    reg.fit(X, X[:, -1, 0])
    axes = plot_gate_activations(reg, X, sample=1)
    _render(axes[0], tmp_path)
    image = axes[0].images[0].get_array()
    assert image.shape == (8, 10)
    cell = reg.gate_activations(X)["cell_state"][1, :, :64]
    top = np.sort(np.argsort(-cell.std(axis=0), kind="stable")[:8])
    assert [t.get_text() for t in axes[0].get_yticklabels()] == [str(u) for u in top]
    title = axes[0].figure.get_suptitle()
    assert "forward direction" in title and "8 of 64 units" in title
    assert "pools 2 time steps" in axes[-1].get_xlabel()
    with pytest.raises(ValueError, match="needs a bidirectional model"):
        plot_gate_activations(
            LSTMRegressor(**TINY).fit(X, X[:, -1, 0]), X, direction="backward"
        )
    with pytest.raises(ValueError, match="direction must be"):
        plot_gate_activations(reg, X, direction="up")


def test_plot_gate_activations_reads_a_pipeline(tmp_path):
    """For a Pipeline, X goes through the steps before the LSTM first."""
    series = np.sin(np.arange(40) / 3.0).reshape(-1, 1)
    pipe = Pipeline(
        [
            ("windows", SlidingWindowTransformer(window_length=6)),
            ("lstm", LSTMRegressor(**TINY)),
        ]
    ).fit(series[:-1], series[1:, 0])
    axes = plot_gate_activations(pipe, series, sample=20)
    _render(axes[0], tmp_path)
    windows = pipe[0].transform(series)
    expected = pipe[-1].gate_activations(windows)["input_gate"][20].T
    np.testing.assert_allclose(axes[0].images[0].get_array(), expected, rtol=1e-5)


def test_plot_gate_activations_draws_on_the_given_axes(early_stopped, sequences):
    """With axes given, the panels are drawn there and returned."""
    X, _ = sequences
    fig, given = plt.subplots(2, 2)
    axes = plot_gate_activations(early_stopped, X, axes=given)
    assert list(axes) == list(given.ravel())


def test_plot_gate_activations_rejects_an_unfitted_estimator(sequences):
    """An unfitted estimator raises scikit-learn's NotFittedError."""
    X, _ = sequences
    with pytest.raises(
        NotFittedError, match="This LSTMRegressor instance is not fitted"
    ):
        plot_gate_activations(LSTMRegressor(), X)


def test_plot_gate_activations_rejects_a_gru(sequences):
    """A GRU has no LSTM gates; the estimator's message explains it."""
    X, y = sequences
    gru = LSTMRegressor(cell="gru", **TINY).fit(X, y)
    with pytest.raises(
        ValueError, match=re.escape("gate_activations needs cell='lstm'")
    ):
        plot_gate_activations(gru, X)


@pytest.mark.parametrize(
    "kwargs, msg",
    [
        (
            dict(sample=30),
            "sample must be an integer in [-30, 29] to pick one of the 30 "
            "sequences of X, got 30.",
        ),
        (
            dict(units=[0, 4]),
            "units must be a non-empty list of unit indices in [0, 3] (4 units "
            "in direction='forward'), got [0, 4].",
        ),
        (
            dict(gates=("input_gate", "reset_gate")),
            "gates must be a non-empty selection of ['input_gate', 'forget_gate', "
            "'cell_candidate', 'output_gate', 'cell_state', 'hidden_state'], got "
            "['input_gate', 'reset_gate'].",
        ),
        (
            dict(axes=[None, None]),
            "axes must hold one Axes per gate (4: ['input_gate', 'forget_gate', "
            "'output_gate', 'cell_state']), got 2.",
        ),
    ],
)
def test_plot_gate_activations_rejects_bad_arguments(
    early_stopped, sequences, kwargs, msg
):
    """Out-of-range sample or units, unknown gates, wrong number of axes."""
    X, _ = sequences
    with pytest.raises(ValueError, match=re.escape(msg)):
        plot_gate_activations(early_stopped, X, **kwargs)


def test_plot_gate_activations_rejects_an_estimator_without_gates():
    """An estimator that is not from sklstm gets a ValueError naming it."""
    reg = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
    msg = (
        "plot_gate_activations needs an sklstm estimator, whose gate_activations "
        "method it reads; got LinearRegression."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        plot_gate_activations(reg, [[0.0]])


# --- optional dependency -----------------------------------------------


def test_plotting_import_without_matplotlib_names_the_extra(monkeypatch):
    """Importing sklstm.plotting without matplotlib says how to install it."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.delitem(sys.modules, "sklstm.plotting")
    with pytest.raises(ImportError, match=re.escape('pip install ".[plots]"')):
        importlib.import_module("sklstm.plotting")

"""Plots for forecasts, intervals, backtests, anomalies, training histories, gates.

Every function draws on matplotlib Axes that it is given, or on a new
figure, and returns the Axes it drew on, so that the figure can be styled
further or saved. matplotlib is an optional
dependency: install the ``plots`` extra from a checkout,
``pip install ".[plots]"``.
"""

from numbers import Integral, Real

import numpy as np
import pandas as pd

try:
    import matplotlib  # noqa: F401
except ImportError as exc:
    raise ImportError(
        "sklstm.plotting needs matplotlib, which is not installed. Install it "
        'with the plots extra, from a checkout: pip install ".[plots]" (or '
        "pip install matplotlib)."
    ) from exc

from ._validation import check_array, check_is_fitted

__all__ = [
    "plot_anomalies",
    "plot_backtest",
    "plot_forecast",
    "plot_gate_activations",
    "plot_interval",
    "plot_training_history",
]

# the panels drawn by default by plot_gate_activations
_DEFAULT_GATES = ("input_gate", "forget_gate", "output_gate", "cell_state")
# per gate: panel title, colour map, and colour range (None: symmetric
# around 0 and fitted to the data, for the unbounded cell state)
_GATE_STYLE = {
    "input_gate": ("input gate", "viridis", (0.0, 1.0)),
    "forget_gate": ("forget gate", "viridis", (0.0, 1.0)),
    "cell_candidate": ("cell candidate", "RdBu_r", (-1.0, 1.0)),
    "output_gate": ("output gate", "viridis", (0.0, 1.0)),
    "cell_state": ("cell state", "RdBu_r", None),
    "hidden_state": ("hidden state", "RdBu_r", (-1.0, 1.0)),
}


def _new_axes(ax):
    """``ax``, or the Axes of a new pyplot figure when ``ax`` is None."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def _values(name, values, *, allow_2d=False):
    """A float array of ``values``, 1D (or 2D when allowed); NaN kept."""
    arr = check_array(
        values,
        ensure_2d=False,
        dtype="numeric",
        ensure_all_finite="allow-nan",
        input_name=name,
    )
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1 and not (allow_2d and arr.ndim == 2):
        expected = (
            "1D (n_timesteps,) or 2D (n_timesteps, n_features)"
            if allow_2d
            else "1D (n_timesteps,)"
        )
        raise ValueError(
            f"{name} must be {expected}, got an array of shape {arr.shape}."
        )
    return arr.astype(float, copy=False)


def _index_of(values):
    """The index of a pandas Series or DataFrame as an array, or None."""
    if isinstance(values, (pd.Series, pd.DataFrame)):
        return np.asarray(values.index)
    return None


def _index_name(*values):
    """The name of the first named pandas index among ``values``."""
    for v in values:
        if isinstance(v, (pd.Series, pd.DataFrame)) and v.index.name is not None:
            return str(v.index.name)
    return None


def _is_datetime(x):
    """Whether the x values ``x`` are dates (datetime64 or Timestamps)."""
    if x is None or len(x) == 0:
        return False
    try:
        return pd.api.types.is_datetime64_any_dtype(pd.Index(x))
    except (TypeError, ValueError):
        return False


def _label_time_axis(ax, x, *named):
    """Name the x axis after a pandas index, else "date" or "time step".

    Dates also get matplotlib's concise date ticks.
    """
    dates = _is_datetime(x)
    ax.set_xlabel(_index_name(*named) or ("date" if dates else "time step"))
    if dates:
        import matplotlib.dates as mdates

        locator = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _series_name(values):
    """The name of a pandas Series, or None."""
    if isinstance(values, pd.Series) and values.name is not None:
        return str(values.name)
    return None


def _final_step(estimator):
    """The last step of a Pipeline (and the steps before it), or ``estimator``."""
    if hasattr(estimator, "steps") and hasattr(estimator, "__getitem__"):
        return estimator[-1], estimator[:-1]
    return estimator, None


def plot_forecast(y_true, y_pred, *, y_train=None, index=None, ax=None):
    """Plot a forecast against the actual values, after the training part.

    Draws the training part of the series (if given), then the actual
    values of the forecast period and the forecast over them, so that a
    forecast can be judged against the history it continues.

    Parameters
    ----------
    y_true : array-like of shape (n_test,)
        The actual values of the forecast period (a pandas Series keeps its
        index on the x axis and its name on the y axis).
    y_pred : array-like of shape (n_test,)
        The forecast of the same period, one value per value of ``y_true``.
    y_train : array-like of shape (n_train,), default=None
        The series before the forecast period, drawn first. None draws the
        forecast period alone.
    index : array-like of shape (n_train + n_test,), default=None
        The x values (time stamps or positions) of the training part followed
        by the forecast period. None takes the pandas indexes of ``y_train``
        and ``y_true`` where they have one, and positions ``0, 1, ...``
        (counted from the start of ``y_train``) otherwise.
    ax : matplotlib Axes, default=None
        Axes to draw on. None creates a new figure.

    Returns
    -------
    ax : matplotlib Axes
        The Axes drawn on; its lines are, in order, the training part (when
        given), the actual values and the forecast, labelled ``"training
        data"``, ``"actual"`` and ``"forecast"`` in the legend. The x axis
        is labelled with the name of the pandas index, else "date" when the
        x values are dates (with concise date ticks), else "time step".

    See Also
    --------
    sklstm.make_windows : Windows and future targets for forecasting.
    sklstm.LSTMRegressor : Forecasts the values after each window.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from sklstm.plotting import plot_forecast
    >>> series = np.sin(np.arange(60) / 4)
    >>> ax = plot_forecast(series[48:], series[48:] + 0.1, y_train=series[:48])
    >>> [line.get_label() for line in ax.get_lines()]
    ['training data', 'actual', 'forecast']
    >>> ax.get_lines()[2].get_xdata()[:3]
    array([48, 49, 50])
    >>> plt.close("all")
    """
    true = _values("y_true", y_true)
    pred = _values("y_pred", y_pred)
    if true.shape[0] != pred.shape[0]:
        raise ValueError(
            f"y_true and y_pred must have the same length (one forecast per "
            f"actual value), got {true.shape[0]} and {pred.shape[0]}."
        )
    train = None if y_train is None else _values("y_train", y_train)
    n_train = 0 if train is None else train.shape[0]
    n_total = n_train + true.shape[0]
    if index is not None:
        x = np.asarray(index)
        if x.ndim != 1 or x.shape[0] != n_total:
            raise ValueError(
                f"index must have one entry per plotted value, len(y_train) + "
                f"len(y_true) = {n_train} + {true.shape[0]} = {n_total}, got "
                f"{x.shape[0] if x.ndim else 0} entries."
            )
        x_train, x_test = x[:n_train], x[n_train:]
    else:
        x_test = _index_of(y_true)
        if x_test is None:
            x_test = np.arange(n_train, n_total)
        x_train = None if train is None else _index_of(y_train)
        if x_train is None:
            x_train = np.arange(n_train)

    ax = _new_axes(ax)
    if train is not None:
        ax.plot(x_train, train, color="0.55", label="training data")
    ax.plot(x_test, true, color="black", label="actual")
    ax.plot(x_test, pred, color="tab:blue", linestyle="--", label="forecast")
    _label_time_axis(ax, x_test, y_true, y_train)
    ax.set_ylabel(_series_name(y_true) or "value")
    ax.legend()
    return ax


_INTERVAL_COLUMNS = ("prediction", "lower", "upper")


def _check_frame(name, frame, columns, source):
    """Refuse a non-DataFrame or one that lacks ``columns``."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"{name} must be a pandas DataFrame, as returned by {source}, got "
            f"{type(frame).__name__}."
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{name} lacks the column(s) {missing}; it needs {list(columns)}, as "
            f"returned by {source} (its columns are {list(frame.columns)})."
        )
    if len(frame) == 0:
        raise ValueError(f"{name} has no rows: there is nothing to plot.")


def _band_label(key):
    """The legend entry of an interval: ``"90 % interval"`` for a coverage."""
    if isinstance(key, Real) and not isinstance(key, bool):
        return f"{100 * float(key):g} % interval"
    return str(key)


def _check_finite_bounds(label, lower, upper):
    bad = ~(np.isfinite(lower) & np.isfinite(upper))
    if bad.any():
        raise ValueError(
            f"The {label} has infinite or missing bounds at {int(bad.sum())} "
            f"step(s): the forecaster has too few calibration residuals for this "
            f"coverage. Lower the coverage, or fit with a larger calibration_size."
        )


def _check_same_axis(name, x, other, x_other):
    """Refuse to draw positions and dates on one x axis."""
    if _is_datetime(x) != _is_datetime(x_other):
        dated, plain = (other, name) if _is_datetime(x_other) else (name, other)
        raise ValueError(
            f"{dated} is on dates but {plain} is not, so they cannot share the x "
            f"axis: pass {plain} as a pandas object on the same dates (for "
            f"example a Series with a DatetimeIndex)."
        )


def plot_interval(intervals, *, y_train=None, y_true=None, ax=None):
    """Plot a forecast with its prediction intervals, as a fan.

    Draws the history (if given), the actual values of the forecast period
    (if known), the forecast, and each interval as a shaded band. With
    several coverages the bands are drawn in the same colour, widest first,
    so that their overlaps darken towards the forecast: a fan chart.

    Parameters
    ----------
    intervals : DataFrame or dict of {float or str: DataFrame}
        The output of :meth:`LSTMForecaster.predict_interval
        <sklstm.LSTMForecaster.predict_interval>` (or
        :meth:`~sklstm.LSTMForecaster.forecast_interval`), with columns
        ``prediction``, ``lower`` and ``upper``; or several of them, keyed
        by their coverage (the legend then reads ``"90 % interval"``) or by
        a label of your own, for a fan. The forecast is drawn from the
        first one.
    y_train : array-like of shape (n_train,), default=None
        The history before the forecast, drawn first. None draws the
        forecast period alone.
    y_true : array-like of shape (n_steps,), default=None
        The actual values of the forecast period, when known. None draws
        no actual values.
    ax : matplotlib Axes, default=None
        Axes to draw on. None creates a new figure.

    Returns
    -------
    ax : matplotlib Axes
        The Axes drawn on. Its lines are, in order, the history (when
        given, ``"training data"``), the actual values (when given,
        ``"actual"``) and the forecast (``"forecast"``); its collections
        are the bands, one per interval, widest first. The x values of the
        forecast are the index of ``intervals`` (the future timestamps of
        a forecaster fitted on a DatetimeIndex); a default
        :class:`~pandas.RangeIndex` is read as positions that follow
        ``y_train``. The x axis is labelled with the name of a pandas
        index, else "date" for dates (with concise date ticks), else "time
        step".

    Raises
    ------
    ValueError
        If a frame lacks a column, the frames of a fan do not share their
        rows, or a bound is infinite (too few calibration residuals for
        the coverage asked).

    See Also
    --------
    plot_forecast : A forecast against the actual values, without intervals.
    plot_backtest : Forecasts and intervals from several origins.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklstm.plotting import plot_interval
    >>> history = pd.Series(
    ...     np.arange(24.0), index=pd.date_range("2000-01", periods=24, freq="MS")
    ... )
    >>> future = pd.date_range("2002-01", periods=6, freq="MS")
    >>> fan = {
    ...     c: pd.DataFrame(
    ...         {"prediction": 24.0, "lower": 24.0 - 4 * c, "upper": 24.0 + 4 * c},
    ...         index=future,
    ...     )
    ...     for c in (0.5, 0.9)
    ... }
    >>> ax = plot_interval(fan, y_train=history)
    >>> [line.get_label() for line in ax.get_lines()]
    ['training data', 'forecast']
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['training data', 'forecast', '90 % interval', '50 % interval']
    >>> ax.get_xlabel()
    'date'
    >>> plt.close("all")
    """
    source = "LSTMForecaster.predict_interval"
    if isinstance(intervals, dict):
        if not intervals:
            raise ValueError("intervals is an empty dict: there is nothing to plot.")
        bands = list(intervals.items())
    else:
        bands = [("interval", intervals)]
    for key, frame in bands:
        name = "intervals" if len(bands) == 1 else f"intervals[{key!r}]"
        _check_frame(name, frame, _INTERVAL_COLUMNS, source)
    first = bands[0][1]
    for key, frame in bands[1:]:
        if len(frame) != len(first) or not frame.index.equals(first.index):
            raise ValueError(
                f"The frames of a fan must forecast the same rows: "
                f"intervals[{key!r}] has {len(frame)} rows on another index than "
                f"intervals[{bands[0][0]!r}] ({len(first)} rows)."
            )
    n_steps = len(first)
    train = None if y_train is None else _values("y_train", y_train)
    n_train = 0 if train is None else train.shape[0]
    true = None if y_true is None else _values("y_true", y_true)
    if true is not None and true.shape[0] != n_steps:
        raise ValueError(
            f"y_true must hold one actual value per forecast step ({n_steps}), "
            f"got {true.shape[0]}."
        )
    if isinstance(first.index, pd.RangeIndex):
        x = np.arange(n_train, n_train + n_steps)
    else:
        x = np.asarray(first.index)
    x_train = None if train is None else _index_of(y_train)
    if train is not None and x_train is None:
        x_train = np.arange(n_train)
    if train is not None:
        _check_same_axis("y_train", x_train, "intervals", x)

    drawn = []
    for key, frame in bands:
        lower = frame["lower"].to_numpy(dtype=float)
        upper = frame["upper"].to_numpy(dtype=float)
        _check_finite_bounds(_band_label(key), lower, upper)
        drawn.append((float(np.mean(upper - lower)), _band_label(key), lower, upper))
    drawn.sort(key=lambda band: -band[0])  # widest first, at the back

    ax = _new_axes(ax)
    if train is not None:
        ax.plot(x_train, train, color="0.55", label="training data")
    if true is not None:
        ax.plot(x, true, color="black", label="actual")
    ax.plot(
        x,
        first["prediction"].to_numpy(dtype=float),
        color="tab:blue",
        linestyle="--",
        label="forecast",
    )
    alpha = 0.45 if len(drawn) == 1 else 0.25
    for _, label, lower, upper in drawn:
        ax.fill_between(
            x, lower, upper, color="tab:blue", alpha=alpha, linewidth=0, label=label
        )
    _label_time_axis(ax, x, first, y_train)
    ax.set_ylabel(_series_name(y_train) or _series_name(y_true) or "value")
    ax.legend(loc="upper left")
    return ax


def plot_backtest(results, *, y=None, ax=None):
    """Plot rolling-origin forecasts against the actual values.

    Draws the actual values, the forecast path from each origin, a dotted
    vertical line at each origin, and the intervals of each path when the
    results hold them: the output of :func:`sklstm.backtest` at a glance.

    Parameters
    ----------
    results : DataFrame
        The long frame of :func:`sklstm.backtest`: one row per forecast,
        with columns ``origin``, ``timestamp``, ``y`` and ``prediction``,
        and ``lower`` and ``upper`` when it was run with ``coverage``.
    y : array-like of shape (n_timesteps,), default=None
        The whole series, drawn as the actual values, its history before
        the first origin included (a pandas Series on the timestamps of
        ``results``; an array is drawn at positions ``0, 1, ...``, the
        positions ``backtest`` uses for an array). None draws the actual
        values of the forecast rows only, the ``y`` column.
    ax : matplotlib Axes, default=None
        Axes to draw on. None creates a new figure.

    Returns
    -------
    ax : matplotlib Axes
        The Axes drawn on. Its lines are the actual values (``"actual"``),
        then one forecast path per origin, in the order of ``results``
        (the first labelled ``"forecast (<n> origins)"``), then one
        vertical line per origin (the first labelled ``"origin"``). With
        ``lower`` and ``upper``, its collections hold one band per origin
        (the first labelled ``"interval"``); the others have labels that
        start with an underscore, which the legend leaves out. The x axis
        is labelled with the name of the index of ``y``, else "date" for
        datetime timestamps (with concise date ticks), else "time step".

    Raises
    ------
    ValueError
        If ``results`` lacks a column, or holds only one of ``lower`` and
        ``upper``.

    See Also
    --------
    sklstm.backtest : The rolling-origin forecasts drawn here.
    plot_interval : One forecast with its intervals.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from sklstm import LSTMForecaster, LSTMRegressor, backtest
    >>> from sklstm.plotting import plot_backtest
    >>> y = np.sin(np.arange(60) / 3.0)
    >>> net = LSTMRegressor(hidden_size=4, conv_channels=None, max_epochs=2)
    >>> f = LSTMForecaster(net, window_length=6, calibration="holdout", random_state=0)
    >>> results = backtest(f, y, steps=5, n_origins=2, refit=False, coverage=0.8)
    >>> ax = plot_backtest(results, y=y)
    >>> len(ax.get_lines()), len(ax.collections)  # actual, 2 paths, 2 origins
    (5, 2)
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['actual', 'forecast (2 origins)', 'origin', 'interval']
    >>> plt.close("all")
    """
    _check_frame(
        "results", results, ("origin", "timestamp", "y", "prediction"), "backtest"
    )
    has_lower, has_upper = "lower" in results.columns, "upper" in results.columns
    if has_lower != has_upper:
        raise ValueError(
            "results holds only one of the columns 'lower' and 'upper'; an "
            "interval needs both (backtest(..., coverage=...) writes both)."
        )
    origins = pd.unique(results["origin"])
    if y is not None:
        actual = _values("y", y)
        x_actual = _index_of(y)
        if x_actual is None:
            x_actual = np.arange(actual.shape[0])
    else:
        by_time = results.drop_duplicates("timestamp").sort_values("timestamp")
        actual = by_time["y"].to_numpy(dtype=float)
        x_actual = by_time["timestamp"].to_numpy()

    _check_same_axis("y", x_actual, "results", results["timestamp"].to_numpy())

    ax = _new_axes(ax)
    ax.plot(x_actual, actual, color="black", label="actual")
    paths = [results[results["origin"] == origin] for origin in origins]
    for i, (origin, path) in enumerate(zip(origins, paths)):
        ax.plot(
            path["timestamp"].to_numpy(),
            path["prediction"].to_numpy(dtype=float),
            color="tab:blue",
            linestyle="--",
            label=f"forecast ({len(origins)} origins)" if i == 0 else f"_from {origin}",
        )
    for i, origin in enumerate(origins):
        ax.axvline(
            origin,
            color="0.5",
            linestyle=":",
            linewidth=1.0,
            label="origin" if i == 0 else "_origin",
        )
    if has_lower:
        for i, path in enumerate(paths):
            lower = path["lower"].to_numpy(dtype=float)
            upper = path["upper"].to_numpy(dtype=float)
            _check_finite_bounds("interval", lower, upper)
            ax.fill_between(
                path["timestamp"].to_numpy(),
                lower,
                upper,
                color="tab:blue",
                alpha=0.25,
                linewidth=0,
                label="interval" if i == 0 else "_interval",
            )
    _label_time_axis(ax, results["timestamp"].to_numpy(), y)
    ax.set_ylabel(_series_name(y) or "value")
    ax.legend(loc="upper left")
    return ax


def plot_anomalies(
    series, scores, labels=None, *, threshold=None, windows=None, ax=None
):
    """Plot a series, its anomaly scores and the points flagged as anomalies.

    The series is drawn on ``ax`` with a marker on every flagged time step;
    the scores are drawn behind it on a twin Axes with its own y axis on
    the right, with the threshold as a horizontal line. Scores follow
    scikit-learn's convention: lower means more abnormal.

    Parameters
    ----------
    series : array-like of shape (n_timesteps,) or (n_timesteps, n_features)
        The series, rows in time order (a pandas Series or DataFrame keeps
        its index on the x axis and its names in the legend).
    scores : array-like of shape (n_timesteps,)
        One anomaly score per time step, for example the detector's
        ``decision_function`` or ``score_samples``. NaN leaves a gap.
    labels : array-like of shape (n_timesteps,), default=None
        The detector's ``predict`` output: ``-1`` for an anomaly, ``+1`` for
        a normal time step. The anomalies are marked on the series. None
        flags the time steps whose score is below ``threshold`` instead
        (and none when ``threshold`` is None too).
    threshold : float, default=None
        Score below which a time step is abnormal, drawn on the score axis:
        ``0`` for ``decision_function`` scores, the detector's ``offset_``
        for ``score_samples``. None draws no threshold.
    windows : list of (start, end) pairs, default=None
        Labelled anomaly windows (ground truth, for example NAB's label
        windows), shaded behind the series. ``start`` and ``end`` are
        positions on the x axis: index values (timestamps for a
        ``DatetimeIndex``) or row numbers for an array. None shades nothing.
    ax : matplotlib Axes, default=None
        Axes to draw the series on. None creates a new figure.

    Returns
    -------
    ax : matplotlib Axes
        The Axes of the series: its lines are the series (one per feature)
        and then, when anomalies are flagged, one line of markers holding
        the flagged points. The twin Axes of the scores is ``ax.right_ax``
        (the attribute name pandas uses for its secondary y axis). The
        legend, on ``ax``, covers both; it sits in one row above the
        Axes, where it hides no data (set a title with ``ax.set_title(...,
        pad=20)`` to clear it). The x axis is labelled with the name of the
        series' index, else "date" for dates, else "time step".

    See Also
    --------
    sklstm.LSTMAnomalyDetector : Scores each time step of a series.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from sklstm.plotting import plot_anomalies
    >>> series = np.sin(np.arange(50) / 3)
    >>> series[[20, 35]] += 3
    >>> scores = -np.abs(series - np.sin(np.arange(50) / 3))
    >>> labels = np.where(scores < -1, -1, 1)
    >>> ax = plot_anomalies(series, scores, labels, threshold=-1)
    >>> ax.get_lines()[-1].get_xdata()
    array([20, 35])
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['series', 'anomalies (2)', 'anomaly score', 'threshold']
    >>> ax = plot_anomalies(series, scores, labels, threshold=-1, windows=[(18, 22)])
    >>> ax.get_legend().get_texts()[-1].get_text()
    'labelled windows (1)'
    >>> plt.close("all")
    """
    values = _values("series", series, allow_2d=True)
    n = values.shape[0]
    score = _values("scores", scores)
    if score.shape[0] != n:
        raise ValueError(
            f"scores must hold one score per time step of the series: the "
            f"series has {n} time steps, scores has {score.shape[0]}."
        )
    if threshold is not None and not isinstance(threshold, Real):
        raise TypeError(f"threshold must be a number or None, got {threshold!r}.")
    if labels is not None:
        label_arr = np.asarray(labels)
        if label_arr.ndim != 1 or label_arr.shape[0] != n:
            raise ValueError(
                f"labels must hold one label per time step of the series "
                f"({n}), got an array of shape {label_arr.shape}."
            )
        unexpected = np.setdiff1d(np.unique(label_arr), [-1, 1])
        if unexpected.size:
            raise ValueError(
                "labels must hold -1 (anomaly) and +1 (normal), as returned by "
                f"predict; got also {unexpected.tolist()}."
            )
        flagged = label_arr == -1
    elif threshold is not None:
        flagged = score < threshold
    else:
        flagged = None

    if windows is not None:
        windows = list(windows)
        for i, window in enumerate(windows):
            if not isinstance(window, (tuple, list)) or len(window) != 2:
                raise ValueError(
                    f"windows must be a list of (start, end) pairs; item {i} is "
                    f"{window!r}."
                )

    x = _index_of(series)
    if x is None:
        x = np.arange(n)
    if isinstance(series, pd.DataFrame):
        names = [str(c) for c in series.columns]
    elif values.ndim == 1:
        names = [_series_name(series) or "series"]
    else:
        names = [f"feature {j}" for j in range(values.shape[1])]
    values = values.reshape(n, -1)

    ax = _new_axes(ax)
    right = ax.twinx()
    # the series and its markers are drawn above the scores
    ax.set_zorder(right.get_zorder() + 1)
    ax.patch.set_visible(False)
    for j, name in enumerate(names):
        ax.plot(x, values[:, j], linewidth=1.0, label=name)
    if flagged is not None:
        rows = np.flatnonzero(flagged)
        ax.plot(
            np.repeat(x[rows], values.shape[1]),
            values[rows].ravel(),
            linestyle="none",
            marker="o",
            markersize=5,
            color="tab:red",
            label=f"anomalies ({rows.size})",
        )
    right.plot(
        x, score, color="tab:orange", linewidth=0.8, alpha=0.7, label="anomaly score"
    )
    if threshold is not None:
        right.axhline(
            threshold, color="tab:red", linestyle="--", linewidth=1.0, label="threshold"
        )
    for i, (start, end) in enumerate(windows or ()):
        if isinstance(x, pd.DatetimeIndex):
            start, end = pd.Timestamp(start), pd.Timestamp(end)
        right.axvspan(
            start,
            end,
            color="tab:green",
            alpha=0.15,
            linewidth=0,
            label=f"labelled windows ({len(windows)})" if i == 0 else None,
        )
    _label_time_axis(ax, x, series)
    ax.set_ylabel(names[0] if len(names) == 1 else "value")
    right.set_ylabel("anomaly score (lower: more abnormal)")
    handles, texts = ax.get_legend_handles_labels()
    more_handles, more_texts = right.get_legend_handles_labels()
    # above the axes, in one row, so that it never hides the data
    ax.legend(
        handles + more_handles,
        texts + more_texts,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.01, 1.0, 0.1),
        ncols=len(texts + more_texts),
        mode="expand",
        borderaxespad=0.0,
        frameon=False,
    )
    ax.right_ax = right
    return ax


def plot_training_history(estimator, *, ax=None):
    """Plot the training and validation loss per epoch, and the best epoch.

    Parameters
    ----------
    estimator : fitted sklstm estimator or Pipeline
        An estimator with ``loss_curve_`` (and, with early stopping,
        ``validation_loss_curve_`` and ``best_epoch_``); for a Pipeline, its
        last step.
    ax : matplotlib Axes, default=None
        Axes to draw on. None creates a new figure.

    Returns
    -------
    ax : matplotlib Axes
        The Axes drawn on: a line ``"training loss"``, a line
        ``"validation loss"`` when the estimator held out validation data,
        and a vertical dashed line at ``best_epoch_``, the epoch whose
        weights were kept. Epochs are counted from 1.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from sklstm import LSTMRegressor
    >>> from sklstm.plotting import plot_training_history
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(40, 6, 1)
    >>> reg = LSTMRegressor(hidden_size=4, max_epochs=3, early_stopping=True,
    ...                     validation_fraction=0.25, n_iter_no_change=5,
    ...                     random_state=0)
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # max_epochs is kept tiny here
    ...     reg = reg.fit(X, X[:, -1, 0])
    >>> ax = plot_training_history(reg)
    >>> [line.get_label() for line in ax.get_lines()[:2]]
    ['training loss', 'validation loss']
    >>> ax.get_lines()[2].get_xdata()[0] == reg.best_epoch_
    True
    >>> plt.close("all")
    """
    model, _ = _final_step(estimator)
    check_is_fitted(estimator)
    loss = getattr(model, "loss_curve_", None)
    if loss is None:
        raise ValueError(
            f"plot_training_history needs an estimator with a loss_curve_ "
            f"attribute, such as a fitted sklstm estimator; "
            f"{type(model).__name__} has none."
        )
    epochs = np.arange(1, len(loss) + 1)
    valid = getattr(model, "validation_loss_curve_", None)
    best = getattr(model, "best_epoch_", None)

    ax = _new_axes(ax)
    ax.plot(epochs, loss, color="tab:blue", label="training loss")
    if valid is not None:
        ax.plot(epochs, valid, color="tab:orange", label="validation loss")
    if best is not None:
        ax.axvline(best, color="0.4", linestyle="--", label=f"best epoch ({best})")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    return ax


def _one_sequence(X, sample):
    """A collection holding sequence ``sample`` of ``X`` alone."""
    if hasattr(X, "iloc"):
        return X.iloc[[sample]]
    if isinstance(X, (list, tuple)):
        return [X[sample]]
    arr = np.asarray(X)
    return arr[sample : sample + 1]


def plot_gate_activations(
    estimator,
    X,
    *,
    sample=0,
    layer=-1,
    direction="forward",
    units=None,
    max_units=8,
    gates=_DEFAULT_GATES,
    axes=None,
):
    """Plot the gate activations of an LSTM over one sequence, as heat maps.

    Runs one sequence of ``X`` through the fitted LSTM and draws, for each
    gate, a heat map of its activation per unit (rows) and time step
    (columns): where the input gate opens, the network writes to its cell
    state; where the forget gate falls below 1, it erases it; the output
    gate decides what the cell state shows to the next layer. Gates are in
    [0, 1]; states are drawn with a diverging colour map centred on 0.

    A default model (``hidden_size=64``, bidirectional) has 128 units per
    layer, too many stripes to read: by default one direction is drawn
    (the forward one), and of its units at most ``max_units``, those whose
    cell state moves most over the sequence. Each row is labelled with its
    unit number, and the figure title says which direction, which units
    and which layer are shown. With a convolution in front, the recurrent
    layers see pooled steps (``conv_pool_size``), which the time axis says.

    Parameters
    ----------
    estimator : fitted sklstm estimator or Pipeline
        A model fitted with ``cell="lstm"``; for a Pipeline, ``X`` goes
        through the steps before the last one first.
    X : array-like of shape (n_samples, n_timesteps) or \
            (n_samples, n_timesteps, n_features), or list of sequences
        Sequences, in the same form as for ``predict``.
    sample : int, default=0
        Which sequence of ``X`` to plot.
    layer : int, default=-1
        Which recurrent layer to read (``-1``: the top one).
    direction : {"forward", "backward", "both"}, default="forward"
        For a bidirectional model, which direction's units to draw;
        ``"both"`` draws forward units first, then backward ones (rows
        labelled ``f<i>`` and ``b<i>``). A one-direction model has only
        ``"forward"`` (``"both"`` means the same).
    units : array-like of int, default=None
        Which units (rows) of that direction to draw, numbered from 0 (up to
        ``2 * hidden_size - 1`` for ``"both"``). None draws all of them if
        there are at most ``max_units``, else the ``max_units`` whose cell
        state has the largest standard deviation over the sequence, in
        increasing order.
    max_units : int, default=8
        Most units drawn when ``units`` is None.
    gates : tuple of str, default=("input_gate", "forget_gate", \
            "output_gate", "cell_state")
        The panels to draw, top to bottom, among ``"input_gate"``,
        ``"forget_gate"``, ``"cell_candidate"``, ``"output_gate"``,
        ``"cell_state"`` and ``"hidden_state"``.
    axes : array-like of matplotlib Axes, default=None
        One Axes per gate. None creates a new figure with one panel per gate,
        sharing the time axis.

    Returns
    -------
    axes : ndarray of matplotlib Axes of shape (n_gates,)
        One Axes per gate, each holding one image of shape
        ``(n_units, n_steps)`` (``axes[i].images[0].get_array()``) and a
        colour bar; ``n_steps`` is the number of recurrent steps of the
        plotted sequence. The y tick labels name the units drawn; when this
        function creates the figure, its title (``fig.get_suptitle()``)
        says what is shown.

    See Also
    --------
    sklstm.LSTMRegressor.gate_activations : The activations as arrays.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from sklstm import LSTMRegressor
    >>> from sklstm.plotting import plot_gate_activations
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(20, 10, 1)
    >>> reg = LSTMRegressor(hidden_size=4, bidirectional=False, max_epochs=2,
    ...                     random_state=0)
    >>> axes = plot_gate_activations(reg.fit(X, X[:, 0, 0]), X, sample=3)
    >>> [ax.get_title() for ax in axes]
    ['input gate', 'forget gate', 'output gate', 'cell state']
    >>> axes[0].images[0].get_array().shape
    (4, 10)
    >>> plt.close("all")
    """
    check_is_fitted(estimator)
    model, head = _final_step(estimator)
    if not hasattr(model, "gate_activations"):
        raise ValueError(
            f"plot_gate_activations needs an sklstm estimator, whose "
            f"gate_activations method it reads; got {type(model).__name__}."
        )
    gates = (gates,) if isinstance(gates, str) else tuple(gates)
    unknown = [g for g in gates if g not in _GATE_STYLE]
    if unknown or not gates:
        raise ValueError(
            f"gates must be a non-empty selection of {list(_GATE_STYLE)}, got "
            f"{list(gates)}."
        )
    if head is not None:
        X = head.transform(X)
    n_samples = len(X)
    if not isinstance(sample, Integral) or not -n_samples <= sample < n_samples:
        raise ValueError(
            f"sample must be an integer in [{-n_samples}, {n_samples - 1}] to "
            f"pick one of the {n_samples} sequences of X, got {sample!r}."
        )
    sample = int(sample) % n_samples
    if direction not in ("forward", "backward", "both"):
        raise ValueError(
            f"direction must be 'forward', 'backward' or 'both', got {direction!r}."
        )
    if not isinstance(max_units, Integral) or max_units < 1:
        raise ValueError(f"max_units must be a positive integer, got {max_units!r}.")
    two_way = bool(getattr(model, "bidirectional", False))
    if direction == "backward" and not two_way:
        raise ValueError(
            "direction='backward' needs a bidirectional model; this one reads "
            "each sequence forward only (use direction='forward')."
        )
    acts = model.gate_activations(_one_sequence(X, sample), layer=layer)
    # steps past the end of a padded sequence are zero in every gate, and a
    # sigmoid gate is never exactly zero on a real step
    active = np.flatnonzero(np.any(acts["input_gate"][0] != 0, axis=1))
    n_steps = active[-1] + 1 if active.size else acts["input_gate"].shape[1]
    n_total = acts["input_gate"].shape[2]
    hidden = n_total // 2 if two_way else n_total
    # the columns of this direction in the (forward, backward) concatenation
    offset = hidden if direction == "backward" else 0
    n_units = n_total if (direction == "both" and two_way) else hidden
    if units is None:
        spread = acts["cell_state"][0, :n_steps, offset : offset + n_units].std(axis=0)
        rows = np.sort(np.argsort(-spread, kind="stable")[:max_units])
        chosen = (
            f"all {n_units} units"
            if rows.size == n_units
            else f"{rows.size} of {n_units} units, those whose cell state moves most"
        )
    else:
        rows = np.asarray(units)
        if (
            rows.ndim != 1
            or rows.size == 0
            or rows.dtype.kind not in "iu"
            or rows.min() < 0
            or rows.max() >= n_units
        ):
            raise ValueError(
                f"units must be a non-empty list of unit indices in [0, "
                f"{n_units - 1}] ({n_units} units in direction={direction!r}), "
                f"got {units!r}."
            )
        chosen = f"{rows.size} chosen of {n_units} units"
    columns = offset + rows
    if direction == "both" and two_way:
        names = [f"{'f' if c < hidden else 'b'}{c % hidden}" for c in columns]
        unit_label = "unit (f: forward, b: backward)"
        seen_as = "both directions"
    else:
        names = [str(r) for r in rows]
        unit_label = f"{direction} unit" if two_way else "unit"
        seen_as = f"{direction} direction" if two_way else "one direction"
    n_layers = getattr(model, "num_layers", 1)
    encoder = getattr(getattr(model, "module_", None), "encoder", None)
    pool = getattr(encoder, "conv_pool", 1)

    created = axes is None
    if axes is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(
            len(gates),
            1,
            sharex=True,
            squeeze=False,
            figsize=(6.4, 1.2 + max(1.6, 0.5 + 0.16 * rows.size) * len(gates)),
            layout="constrained",
        )
    axes = np.asarray(axes, dtype=object).ravel()
    if axes.shape[0] != len(gates):
        raise ValueError(
            f"axes must hold one Axes per gate ({len(gates)}: {list(gates)}), "
            f"got {axes.shape[0]}."
        )
    for ax, gate in zip(axes, gates):
        title, cmap, limits = _GATE_STYLE[gate]
        image = acts[gate][0, :n_steps][:, columns].T
        if limits is None:
            bound = max(float(np.abs(image).max()), 1e-6)
            limits = (-bound, bound)
        im = ax.imshow(
            image,
            aspect="auto",
            origin="lower",
            interpolation="nearest",
            cmap=cmap,
            vmin=limits[0],
            vmax=limits[1],
        )
        ax.figure.colorbar(im, ax=ax)
        ax.set_title(title)
        ax.set_ylabel(unit_label)
        if rows.size <= 16:
            ax.set_yticks(np.arange(rows.size), names)
    from matplotlib.ticker import MaxNLocator

    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[-1].set_xlabel(
        "time step"
        if pool <= 1
        else f"recurrent step (after the convolution, each pools {pool} time steps)"
    )
    if created:
        axes[0].figure.suptitle(
            f"LSTM layer {layer % n_layers + 1} of {n_layers}, sequence {sample}, "
            f"{seen_as}:\n{chosen}",
            fontsize="medium",
        )
    return axes

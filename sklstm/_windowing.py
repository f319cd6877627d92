"""Cutting a long series into windows."""

from numbers import Integral, Real

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin

from ._output import _SequenceOutputMixin
from ._validation import (
    Interval,
    StrOptions,
    check_array,
    check_is_fitted,
    validate_data,
    validate_params,
)

__all__ = ["SlidingWindowTransformer", "make_windows"]


@validate_params(
    {
        "series": ["array-like"],
        "window_length": [Interval(Integral, 1, None, closed="left")],
        "horizon": [Interval(Integral, 1, None, closed="left")],
        "stride": [Interval(Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def make_windows(series, window_length, horizon=1, stride=1):
    """Cut a series into input windows and the values that follow each.

    Window ``i`` covers rows ``i * stride`` to ``i * stride + window_length - 1``
    of the series; its target holds the next ``horizon`` rows. Use it to
    build a training set for forecasting outside a pipeline; inside a
    pipeline, use :class:`SlidingWindowTransformer`, which keeps one row per
    time step.

    Parameters
    ----------
    series : array-like of shape (n_timesteps,) or (n_timesteps, n_features)
        The series, rows in time order.
    window_length : int
        Number of time steps in each input window.
    horizon : int, default=1
        Number of future time steps in each target.
    stride : int, default=1
        Step between the starts of consecutive windows.

    Returns
    -------
    X_windows : ndarray of shape (n_windows, window_length, n_features)
        The input windows (a contiguous copy); ``n_features`` is 1 for a 1D
        series. ``n_windows = (n_timesteps - window_length - horizon) // stride
        + 1``.
    y_future : ndarray
        The values after each window: of shape ``(n_windows,)`` for a 1D series
        and ``horizon=1``, ``(n_windows, horizon)`` for a 1D series and a
        longer horizon, and ``(n_windows, horizon, n_features)`` for a 2D
        series.

    See Also
    --------
    SlidingWindowTransformer : One window per row, for use in a Pipeline.
    LSTMRegressor : Fits ``(X_windows, y_future)``, one output per column.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import make_windows
    >>> X, y = make_windows(np.arange(6.0), window_length=3)
    >>> X[:, :, 0]
    array([[0., 1., 2.],
           [1., 2., 3.],
           [2., 3., 4.]])
    >>> y
    array([3., 4., 5.])
    >>> make_windows(np.arange(20.0).reshape(10, 2), 4, horizon=2)[1].shape
    (5, 2, 2)
    """
    ndim = np.ndim(series)
    if ndim not in (1, 2):
        raise ValueError(
            f"Expected a 1D series (n_timesteps,) or 2D series (n_timesteps, "
            f"n_features), got {ndim}D array instead."
        )
    univariate = ndim == 1
    arr = check_array(
        series,
        ensure_2d=False,
        dtype="numeric",
        input_name="series",
        ensure_min_samples=1,
        ensure_all_finite=False,
    )
    if np.isnan(arr).any():
        raise ValueError(
            f"The series contains {int(np.isnan(arr).sum())} missing value(s) "
            f"(NaN). Fill the gaps first, for example with pandas' "
            f"interpolate() on the series, or cut the windows with "
            f"SlidingWindowTransformer (which keeps NaN) and fill them with "
            f"SequenceImputer; LSTMForecaster(impute='linear') does it for you."
        )
    if not np.isfinite(arr).all():
        raise ValueError("The series contains infinite values.")
    if univariate:
        arr = arr[:, None]
    n_timesteps = arr.shape[0]
    if n_timesteps < window_length + horizon:
        raise ValueError(
            f"The series has n_timesteps={n_timesteps}, too short for one window "
            f"of window_length={window_length} followed by horizon={horizon} "
            f"values; it needs at least {window_length + horizon} time steps."
        )
    # (n_timesteps - L + 1, F, L): every window of length L + horizon
    span = sliding_window_view(arr, window_length + horizon, axis=0)[::stride]
    span = span.transpose(0, 2, 1)
    X_windows = np.ascontiguousarray(span[:, :window_length])
    y_future = np.ascontiguousarray(span[:, window_length:])
    if univariate:
        y_future = y_future[:, :, 0]
        if horizon == 1:
            y_future = y_future[:, 0]
    return X_windows, y_future


class SlidingWindowTransformer(
    _SequenceOutputMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None
):
    """One window per row of a series, so the row count never changes.

    Row ``t`` of the output is the window of ``window_length`` rows that ends
    at row ``t`` of the input. The first ``window_length - 1`` rows have less
    history than a window: their windows are padded at the start, by
    repeating the first row (``fill="edge"``) or with a constant. Because
    rows are kept, a target ``y`` aligned with the series stays aligned, so
    the transformer can sit in a :class:`~sklearn.pipeline.Pipeline` in front
    of an sklstm estimator and be cross-validated with
    :class:`~sklearn.model_selection.TimeSeriesSplit`.

    The output is a read-only strided view of the (padded) input, so its
    memory is O(n_timesteps), not O(n_timesteps x window_length); the
    estimators cut their mini-batches from it without copying it whole.
    Being 3-D, it stays an ndarray under ``set_output(transform="pandas")``
    (or the global ``transform_output="pandas"``), which a DataFrame cannot
    hold; ``get_feature_names_out`` names its last axis, the input's columns.

    Parameters
    ----------
    window_length : int, default=10
        Number of time steps in each window.
    fill : "edge" or float, default="edge"
        How the windows of the first ``window_length - 1`` rows are padded
        at the start: ``"edge"`` repeats the first row, a number is used as
        a constant.

    Attributes
    ----------
    n_features_in_ : int
        Number of features (columns) of the series seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a DataFrame seen during fit. Only set when the
        columns are strings.

    See Also
    --------
    make_windows : Windows and future targets, outside a pipeline.
    LSTMRegressor : Forecasting on the windows.
    LSTMAnomalyDetector : Scores each time step from its window.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import SlidingWindowTransformer
    >>> series = np.arange(5.0).reshape(-1, 1)
    >>> windows = SlidingWindowTransformer(window_length=3).fit_transform(series)
    >>> windows.shape
    (5, 3, 1)
    >>> windows[:, :, 0]
    array([[0., 0., 0.],
           [0., 0., 1.],
           [0., 1., 2.],
           [1., 2., 3.],
           [2., 3., 4.]])
    """

    _parameter_constraints = {
        "window_length": [Interval(Integral, 1, None, closed="left")],
        "fill": [StrOptions({"edge"}), Real],
    }

    def __init__(self, *, window_length=10, fill="edge"):
        self.window_length = window_length
        self.fill = fill

    def fit(self, X, y=None):
        """Record the number of features of the series.

        Parameters
        ----------
        X : array-like of shape (n_timesteps, n_features)
            The series, rows in time order.
        y : None
            Ignored.

        Returns
        -------
        self : SlidingWindowTransformer
            The fitted transformer.
        """
        self._validate_params()
        validate_data(self, X, dtype=(np.float64, np.float32), ensure_all_finite=False)
        return self

    def transform(self, X):
        """Return the window ending at each row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_timesteps, n_features)
            The series, rows in time order.

        Returns
        -------
        windows : ndarray of shape (n_timesteps, window_length, n_features)
            Read-only view; ``windows[t]`` holds rows ``t - window_length + 1``
            to ``t`` of ``X``, padded at the start for the first rows.
        """
        check_is_fitted(self)
        X = validate_data(
            self,
            X,
            reset=False,
            dtype=(np.float64, np.float32),
            ensure_all_finite=False,
        )
        # always 3-D: an ndarray whatever set_output asks for (see _output.py)
        n_pad = self.window_length - 1
        if self.fill == "edge":
            pad = np.repeat(X[:1], n_pad, axis=0)
        else:
            pad = np.full((n_pad, X.shape[1]), self.fill, dtype=X.dtype)
        padded = np.concatenate([pad, X], axis=0)
        windows = sliding_window_view(padded, self.window_length, axis=0)
        return windows.transpose(0, 2, 1)

    def get_feature_names_out(self, input_features=None):
        """Names of the features on the last axis of the windows.

        The windows keep the input's columns on their last axis, so these
        are the input's names.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Names of the input columns; None uses ``feature_names_in_`` if
            set, else ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per feature (the last axis of the output).
        """
        check_is_fitted(self)
        return OneToOneFeatureMixin.get_feature_names_out(self, input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

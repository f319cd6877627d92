"""Forecasting a series with an LSTM: rows are timestamps."""

import math
from numbers import Integral, Real

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.model_selection import TimeSeriesSplit
from sklearn.utils import check_random_state
from sklearn.utils.validation import column_or_1d
from sklearn.utils.validation import validate_data as _sklearn_validate_data

from ._regressor import LSTMRegressor
from ._validation import (
    HasMethods,
    Interval,
    StrOptions,
    check_is_fitted,
    validate_params,
)

__all__ = ["LSTMForecaster", "PanelTimeSeriesSplit", "backtest"]


class LSTMForecaster(RegressorMixin, BaseEstimator):
    """Forecast a series with an LSTM, in a scikit-learn estimator.

    Rows are timestamps. ``fit(X, y)`` takes the target series ``y`` in
    time order and a frame ``X`` of covariates on the same rows (it may
    have no columns, or be None); ``predict(X_future)`` returns one forecast
    for each row of ``X_future``, the rows that directly follow the history
    seen in ``fit``. So :func:`~sklearn.model_selection.cross_val_score`
    with :class:`~sklearn.model_selection.TimeSeriesSplit` is a refit
    backtest, and :func:`~sklearn.base.clone`,
    :class:`~sklearn.model_selection.GridSearchCV` (for example over
    ``regressor__hidden_size``), :class:`~sklearn.pipeline.Pipeline` (to
    preprocess covariates) and
    :class:`~sklearn.compose.TransformedTargetRegressor` work unchanged.
    Without covariates, :meth:`forecast` takes a number of steps instead.

    Inside, the series is cut into windows of ``window_length`` rows and an
    :class:`LSTMRegressor` learns the next value (``strategy="recursive"``,
    its forecasts fed back as inputs) or the next ``horizon`` values at once
    (``strategy="multi_output"``, chained beyond ``horizon``). Each window
    is normalised by its own last value (``window_norm``), so that levels
    and trends beyond the training range carry over.

    Parameters
    ----------
    regressor : LSTMRegressor or None, default=None
        The network to train, cloned in ``fit``; None means
        ``LSTMRegressor()`` with its defaults.
    window_length : int, default=24
        Rows of history each forecast reads.
    strategy : {"recursive", "multi_output"}, default="recursive"
        ``"recursive"``: one network output, the next step, fed back as the
        newest input for the step after. ``"multi_output"``: the network
        predicts ``horizon`` steps at once; longer forecasts chain those
        blocks.
    horizon : int, default=12
        Steps predicted by one pass of the network with
        ``strategy="multi_output"``; ignored by ``"recursive"``.
    window_norm : {"last", "mean"} or None, default="last"
        Per-window normalisation, set as the ``window_norm`` of the cloned
        regressor (it replaces the regressor's own): each window is
        centred on its last value (or its mean) and forecasts are changes
        from it. None uses the regressor's global standardisation only,
        whose forecasts stay within the training range.
    future_covariates : list of str or int, or None, default=None
        Columns of ``X`` known in advance (calendar, planned prices,
        promotions): each forecast reads their values at the forecast
        steps, so ``X_future`` must hold them. None means every column of
        ``X`` not listed in ``past_covariates``.
    past_covariates : list of str or int, or None, default=None
        Columns of ``X`` only known up to the forecast origin (observed
        drivers). Forecasts read them up to the origin; beyond it, in
        recursive forecasts, their last observed value is carried forward.
        ``X_future`` need not hold them.
    impute : {"linear", "ffill"} or None, default=None
        How missing values (NaN) in ``y`` and in the covariates of the
        history are filled before windows are cut: ``"linear"``
        interpolation along time, or the last observed value carried
        forward (values before the first observation take the first one).
        None raises a ValueError on missing values.
    calibration : {"holdout", "refit"} or None, default=None
        Split-conformal calibration for :meth:`predict_interval`. The
        network is first trained on the history without its last
        ``calibration_size`` rows; forecasts from every origin in those rows
        give the absolute residuals of each forecast step. ``"holdout"``
        keeps that network (the held-out rows still serve as inputs);
        ``"refit"`` trains it again on the whole history (two fits). None
        does no calibration: :meth:`predict_interval` is not available.
    calibration_size : int or float, default=0.25
        Rows held out for calibration: a number of rows, or a share of the
        history.
    pandas_output : bool, default=True
        If True and the history has a :class:`pandas.DatetimeIndex`,
        predictions are a :class:`pandas.Series` on the future timestamps.
        Set False inside
        :class:`~sklearn.compose.TransformedTargetRegressor`, which
        reshapes the predictions as an array.
    n_estimators : int, default=1
        Number of networks trained on the same windows, each a clone of
        ``regressor`` with its own ``random_state`` (drawn from
        ``random_state``); the forecasts are their mean, fed back as one
        value. More networks cut the variance between seeds, and each costs
        one more fit.
    random_state : int, RandomState instance or None, default=None
        When not None, set as the ``random_state`` of the cloned regressor
        (it replaces the regressor's own; with ``n_estimators > 1`` it
        seeds the draw of each network's); None keeps the regressor's.
    series_id : str, int or None, default=None
        Name of a column of ``X`` that says which series each row belongs
        to: ``X`` and ``y`` then hold a panel of several series in long
        form (the rows of each series in time order; series may be
        interleaved), one network is trained on the windows of every
        series (no window crosses from one series into another), and
        ``X_future`` holds the same column, saying which series each row
        to forecast continues. Per-series static features are plain
        covariate columns, constant within a series. The id column is not
        a covariate (``n_features_in_`` does not count it). Each series is
        divided by its own scale (``series_scales_``: the mean absolute
        change between consecutive rows of its history in ``fit``) before
        windows are cut, and forecasts are multiplied back, so that series
        whose levels differ by orders of magnitude weigh alike in training
        and a series' forecasts do not change when it is multiplied by a
        constant. The scales are fitted once and kept by :meth:`update`.
        None: ``y`` is one series.

    Attributes
    ----------
    regressor_ : LSTMRegressor
        The fitted network; with ``n_estimators > 1``, an average of
        the fitted networks, listed in its ``estimators_``.
    estimators_ : list of LSTMRegressor
        The ``n_estimators`` fitted networks (``regressor_`` is the first
        when there is one).
    n_features_in_ : int
        Number of covariate columns of ``X`` seen in ``fit`` (0 without
        covariates).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a DataFrame ``X``. Only set when they are strings.
    n_history_ : int
        Number of rows of history: those seen in ``fit`` and :meth:`update`.
    residuals_ : list of ndarray or None
        With ``calibration`` set, the absolute calibration residuals of
        each forecast step (``residuals_[k]`` for step ``k + 1``), pooled
        over the series of a panel (there in units of each series' scale,
        ``series_scales_``; the intervals of a series are widened by it).
    series_ids_ : ndarray or None
        With ``series_id``, the ids of the series seen in ``fit``, in order
        of first appearance; None otherwise.
    series_scales_ : ndarray or None
        With ``series_id``, the scale of each series of ``series_ids_``
        (the mean absolute change between its consecutive rows in ``fit``;
        the mean absolute value where the series is constant, 1 where that
        is 0 too); None otherwise.

    See Also
    --------
    LSTMRegressor : The network trained on the windows.
    backtest : Rolling-origin forecasts in a long DataFrame.

    Notes
    -----
    The rows passed to :meth:`predict`, :meth:`predict_interval` and
    :meth:`score` must directly follow the history: with a
    :class:`~pandas.DatetimeIndex` this is checked (a ValueError otherwise);
    with arrays it cannot be. To forecast from a later origin, first
    :meth:`update` the history with the rows in between.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMForecaster, LSTMRegressor
    >>> y = np.sin(np.arange(60) / 3.0)
    >>> net = LSTMRegressor(hidden_size=8, conv_channels=None, max_epochs=3)
    >>> f = LSTMForecaster(regressor=net, window_length=6, random_state=0)
    >>> f.fit(None, y).forecast(4).shape
    (4,)
    """

    # fitted state without a trailing underscore (the history and how to
    # continue it), which save_model stores and load_model may set
    _private_fitted = (
        "_name",
        "_step",
        "_panel",
        "_columns",
        "_y",
        "_past",
        "_fut",
        "_index",
        "_freq",
    )

    _parameter_constraints = {
        "regressor": [HasMethods(["fit", "predict"]), None],
        "window_length": [Interval(Integral, 1, None, closed="left")],
        "strategy": [StrOptions({"recursive", "multi_output"})],
        "horizon": [Interval(Integral, 1, None, closed="left")],
        "window_norm": [StrOptions({"last", "mean"}), None],
        "future_covariates": [list, tuple, None],
        "past_covariates": [list, tuple, None],
        "impute": [StrOptions({"linear", "ffill"}), None],
        "calibration": [StrOptions({"holdout", "refit"}), None],
        "calibration_size": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="neither"),
        ],
        "pandas_output": ["boolean"],
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "series_id": [str, Integral, None],
    }

    def __init__(
        self,
        regressor=None,
        *,
        window_length=24,
        strategy="recursive",
        horizon=12,
        window_norm="last",
        future_covariates=None,
        past_covariates=None,
        impute=None,
        calibration=None,
        calibration_size=0.25,
        pandas_output=True,
        n_estimators=1,
        random_state=None,
        series_id=None,
    ):
        self.regressor = regressor
        self.window_length = window_length
        self.strategy = strategy
        self.horizon = horizon
        self.window_norm = window_norm
        self.future_covariates = future_covariates
        self.past_covariates = past_covariates
        self.impute = impute
        self.calibration = calibration
        self.calibration_size = calibration_size
        self.pandas_output = pandas_output
        self.n_estimators = n_estimators
        self.random_state = random_state
        self.series_id = series_id

    # --- fitting ---------------------------------------------------------

    def fit(self, X, y):
        """Fit the network to the series ``y`` and its covariates ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_timesteps, n_covariates), or None
            Covariates on the rows of ``y`` (zero columns allowed); None for
            none. A DataFrame's index (a DatetimeIndex) dates the rows.
        y : Series or array-like of shape (n_timesteps,)
            The target series, rows in time order.

        Returns
        -------
        self : LSTMForecaster
            The fitted forecaster.
        """
        self._validate_params()
        self._name = getattr(y, "name", None)
        self._step = self.horizon if self.strategy == "multi_output" else 1
        if self.series_id is not None:
            return self._fit_panel(X, y)
        self._panel = None
        self.series_ids_ = None
        self.series_scales_ = None
        y, index = self._check_y(y)
        n = len(y)
        values = self._check_X_fit(X, n)
        index = _index_of(X) if _index_of(X) is not None else index
        past, fut = self._split_covariates(values)
        y = self._fill(y, "y")
        past = self._fill(past, "X")
        fut = self._fill(fut, "X")
        self._check_length(n, "y")
        self._y, self._past, self._fut = y, past, fut
        self._index = index
        self._freq = _infer_freq(index)
        self.n_history_ = n
        self.residuals_ = None
        if self.calibration is None:
            self.estimators_ = self._fit_regressor([(y, past, fut)])
            return self
        self.estimators_, self.residuals_ = self._fit_calibrated(
            [(y, past, fut)], ["y"]
        )
        return self

    def _fit_calibrated(self, parts, names):
        """The fitted networks and each step's pooled residuals, for ``calibration``.

        ``parts`` holds ``(y, past, fut)`` of each series, ``names`` how the
        errors call them. The last ``calibration_size`` rows of each series
        are held out of the first fit and forecast from each origin in them.
        """
        heads, cuts = [], []
        for (y, past, fut), name in zip(parts, names):
            n_train = len(y) - self._calibration_rows(len(y))
            self._check_length(
                n_train,
                f"{name} without its calibration rows",
                hint="lower calibration_size",
            )
            heads.append((y[:n_train], past[:n_train], fut[:n_train]))
            cuts.append(n_train)
        members = self._fit_regressor(heads)
        reg = _mean_of(members)
        pooled = []
        for (y, past, fut), n_train in zip(parts, cuts):
            n = len(y)
            n_cal = n - n_train
            origins = np.arange(n_train - 1, n - 1)
            preds = self._roll(reg, y, past, fut, origins, n_cal)
            for k in range(n_cal):
                rows = origins + k + 1
                ok = rows < n
                if k == len(pooled):
                    pooled.append([])
                pooled[k].append(np.abs(y[rows[ok]] - preds[ok, k]))
        residuals = [np.concatenate(step) for step in pooled]
        if self.calibration == "refit":
            members = self._fit_regressor(parts)
        return members, residuals

    def _fit_panel(self, X, y):
        """``fit`` with ``series_id``: one network over the windows of every series."""
        frame, ids = self._split_ids(X)
        y, _ = self._check_y(y)
        values = self._check_X_fit(frame, len(y))
        past, fut = self._split_covariates(values)
        index = _index_of(X)
        self._panel = {}
        for sid, rows in _group_rows(ids).items():
            name = f"series {sid!r}"
            state = {
                "y": self._fill(y[rows], f"y of {name}"),
                "past": self._fill(past[rows], f"X of {name}"),
                "fut": self._fill(fut[rows], f"X of {name}"),
                "index": index[rows] if isinstance(index, pd.DatetimeIndex) else None,
            }
            state["freq"] = _infer_freq(state["index"])
            self._check_length(len(rows), f"{name} of y")
            state["scale"] = _series_scale(state["y"])
            self._panel[sid] = state
        self.series_ids_ = _id_array(list(self._panel))
        self.series_scales_ = np.array([s["scale"] for s in self._panel.values()])
        self._y, self._past, self._fut = y, past, fut
        self._index, self._freq = None, None
        self.n_history_ = len(y)
        self.residuals_ = None
        # each series in units of its own scale: the network and the pooled
        # calibration residuals see every series alike
        parts = [
            (s["y"] / s["scale"], s["past"], s["fut"]) for s in self._panel.values()
        ]
        if self.calibration is None:
            self.estimators_ = self._fit_regressor(parts)
        else:
            names = [f"series {sid!r} of y" for sid in self._panel]
            self.estimators_, self.residuals_ = self._fit_calibrated(parts, names)
        return self

    def update(self, X_new, y_new):
        """Append rows to the history, without training the network again.

        Later forecasts start after the new rows. The calibration residuals
        are kept.

        Parameters
        ----------
        X_new : DataFrame or array-like of shape (n_new, n_covariates), or None
            Covariates of the new rows, in the layout of ``fit``.
        y_new : Series or array-like of shape (n_new,)
            Observed values of the new rows, directly following the history.

        Returns
        -------
        self : LSTMForecaster
            The forecaster, with the longer history.
        """
        check_is_fitted(self)
        if self._panel is not None:
            return self._update_panel(X_new, y_new)
        y_new, index = self._check_y(y_new)
        values = self._check_X_fit(X_new, len(y_new), reset=False)
        new_index = _index_of(X_new) if _index_of(X_new) is not None else index
        self._check_follows(new_index)
        past, fut = self._split_covariates(values)
        y_all = self._fill(np.concatenate([self._y, y_new]), "y")
        self._past = self._fill(np.concatenate([self._past, past]), "X")
        self._fut = self._fill(np.concatenate([self._fut, fut]), "X")
        self._y = y_all
        self.n_history_ = len(y_all)
        if isinstance(self._index, pd.DatetimeIndex) and isinstance(
            new_index, pd.DatetimeIndex
        ):
            self._index = self._index.append(new_index)
        elif self._index is not None:
            self._index = None if new_index is None else self._index.append(new_index)
        return self

    # --- forecasting -----------------------------------------------------

    def predict(self, X_future):
        """Forecast the rows that follow the history.

        Parameters
        ----------
        X_future : DataFrame or array-like of shape (n_steps, n_covariates)
            One row per step to forecast, directly following the history,
            holding the future-known covariates (with no covariates: a frame
            with no columns, on the future timestamps).

        Returns
        -------
        y_pred : Series or ndarray of shape (n_steps,)
            The forecasts: a Series on the future timestamps when the
            history has a DatetimeIndex (and ``pandas_output=True``).
        """
        if getattr(self, "_panel", None) is not None:
            pred, _, _ = self._predict_panel(X_future)
            index = _index_of(X_future)
            if self.pandas_output and isinstance(index, pd.DatetimeIndex):
                return pd.Series(pred, index=index, name=getattr(self, "_name", None))
            return pred
        steps, fut, index = self._check_future(X_future)
        pred = self._forecast_values(fut, steps)
        return self._wrap(pred, index)

    def forecast(self, steps):
        """Forecast ``steps`` rows after the history, without covariates.

        Parameters
        ----------
        steps : int
            Number of steps to forecast.

        Returns
        -------
        y_pred : Series or ndarray of shape (steps,)
            As for :meth:`predict`.
        """
        steps = self._check_steps(steps)
        pred = self._forecast_values(self._fut[:0], steps)
        return self._wrap(pred, None)

    def predict_interval(self, X_future, coverage=0.9):
        """Forecasts with split-conformal prediction intervals.

        The half-width for step ``k`` is the
        ``ceil((n_k + 1) * coverage) / n_k`` empirical quantile of the
        ``n_k`` calibration residuals of that step (the finite-sample
        correction); steps beyond the calibrated ones use the last
        calibrated step's residuals. Needs ``calibration`` set.

        Parameters
        ----------
        X_future : DataFrame or array-like of shape (n_steps, n_covariates)
            As for :meth:`predict`.
        coverage : float, default=0.9
            Nominal probability that an interval holds the true value.

        Returns
        -------
        intervals : DataFrame of shape (n_steps, 3)
            Columns ``prediction``, ``lower`` and ``upper``, on the future
            timestamps when the history has a DatetimeIndex.
        """
        if getattr(self, "_panel", None) is not None:
            pred, step, scale = self._predict_panel(X_future)
            widths = self._widths(step, coverage) * scale
            frame = pd.DataFrame(
                {"prediction": pred, "lower": pred - widths, "upper": pred + widths}
            )
            if isinstance(X_future, pd.DataFrame):
                frame.index = X_future.index
            return frame
        steps, fut, index = self._check_future(X_future)
        return self._interval_frame(self._forecast_values(fut, steps), index, coverage)

    def forecast_interval(self, steps, coverage=0.9):
        """:meth:`predict_interval` for ``steps`` rows, without covariates.

        Parameters
        ----------
        steps : int
            Number of steps to forecast.
        coverage : float, default=0.9
            Nominal probability that an interval holds the true value.

        Returns
        -------
        intervals : DataFrame of shape (steps, 3)
            As for :meth:`predict_interval`.
        """
        steps = self._check_steps(steps)
        pred = self._forecast_values(self._fut[:0], steps)
        return self._interval_frame(pred, None, coverage)

    @property
    def regressor_(self):
        """The fitted network, or the mean of the fitted networks."""
        # only the networks are stored (save_model writes each one); their
        # average is a view of them
        if "estimators_" not in self.__dict__:
            raise AttributeError("regressor_")
        return _mean_of(self.estimators_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        tags.non_deterministic = False
        return tags

    # --- internals -------------------------------------------------------

    def _fit_regressor(self, parts):
        """``n_estimators`` clones of the regressor, fitted on every part's windows."""
        reg = LSTMRegressor() if self.regressor is None else clone(self.regressor)
        params = reg.get_params(deep=False)
        if "window_norm" in params:
            reg.set_params(window_norm=self.window_norm)
        elif self.window_norm is not None:
            raise ValueError(
                f"window_norm={self.window_norm!r} needs a regressor with a "
                f"window_norm parameter (LSTMRegressor); got "
                f"{type(reg).__name__}. Pass window_norm=None."
            )
        pairs = [self._windows(*part) for part in parts]
        X_windows = np.concatenate([w for w, _ in pairs])
        targets = np.concatenate([t for _, t in pairs])
        if self.n_estimators == 1:
            if self.random_state is not None and "random_state" in params:
                reg.set_params(random_state=self.random_state)
            return [reg.fit(X_windows, targets)]
        seed = self.random_state
        if seed is None:
            seed = params.get("random_state")
        seeds = check_random_state(seed).randint(
            np.iinfo(np.int32).max, size=self.n_estimators
        )
        members = []
        for member_seed in seeds:
            member = clone(reg)
            if "random_state" in params:
                member.set_params(random_state=int(member_seed))
            members.append(member.fit(X_windows, targets))
        return members

    def _windows(self, y, past, fut):
        """Training windows and targets of one series (never beyond its rows)."""
        L, h = self.window_length, self._step
        data = self._features(y, past, fut)[: len(y) - h]
        X_windows = sliding_window_view(data, L, axis=0).transpose(0, 2, 1)
        targets = sliding_window_view(y[L:], h)[: len(X_windows)]
        X_windows = np.ascontiguousarray(X_windows, dtype=np.float32)
        targets = np.ascontiguousarray(targets[:, 0] if h == 1 else targets)
        return X_windows, targets

    def _features(self, y, past, fut):
        """Rows ``[y_s, past_s, fut_{s+h}]``: future covariates lead by h."""
        h = self._step
        n = len(y)
        lead = _edge_pad(fut, n + h)[h : n + h]
        return np.column_stack([y, past, lead])

    def _roll(self, reg, y, past, fut, origins, steps):
        """Forecasts of ``steps`` rows from each origin (row of the last value).

        ``y`` and ``past`` are known up to each origin; ``fut`` holds the
        future covariates, known at the forecast rows too (padded by its
        last row where shorter). Returns an array of shape
        ``(len(origins), steps)``.
        """
        L, h = self.window_length, self._step
        origins = np.asarray(origins)
        m = len(origins)
        n_chunks = -(-steps // h)
        rows = origins[:, None] - L + 1 + np.arange(L)  # (m, L)
        y_buf = y[rows]
        past_buf = past[rows]
        fut_all = _edge_pad(fut, int(origins.max()) + n_chunks * h + h + 1)
        preds = np.empty((m, n_chunks * h))
        for c in range(n_chunks):
            lead = fut_all[rows + c * h + h]  # (m, L, q)
            window = np.concatenate([y_buf[..., None], past_buf, lead], axis=2)
            out = np.asarray(reg.predict(window.astype(np.float32)), dtype=float)
            out = out.reshape(m, h)
            preds[:, c * h : (c + 1) * h] = out
            y_buf = np.concatenate([y_buf, out], axis=1)[:, -L:]
            carried = np.repeat(past_buf[:, -1:], h, axis=1)
            past_buf = np.concatenate([past_buf, carried], axis=1)[:, -L:]
        return preds[:, :steps]

    def _forecast_values(self, fut_future, steps):
        n = len(self._y)
        fut = np.concatenate([self._fut, fut_future]) if len(fut_future) else self._fut
        return self._roll(
            self.regressor_, self._y, self._past, fut, np.array([n - 1]), steps
        )[0]

    def _interval_frame(self, pred, index, coverage):
        widths = self._widths(np.arange(len(pred)), coverage)
        frame = pd.DataFrame(
            {"prediction": pred, "lower": pred - widths, "upper": pred + widths}
        )
        future = self._future_index(index, len(pred))
        if future is not None:
            frame.index = future
        return frame

    def _widths(self, step, coverage):
        """Conformal half-widths for forecast steps ``step`` (0 for the first)."""
        if self.residuals_ is None:
            raise ValueError(
                "Prediction intervals need calibration residuals: fit with "
                "calibration='holdout' (one fit) or calibration='refit'."
            )
        if not 0 < coverage < 1:
            raise ValueError(f"coverage must be in (0, 1), got {coverage!r}.")
        last = len(self.residuals_) - 1
        per_step = np.array(
            [_conformal_quantile(r, coverage) for r in self.residuals_]
        )
        return per_step[np.minimum(np.asarray(step, dtype=int), last)]

    # --- panels (series_id) ------------------------------------------------

    def _split_ids(self, X):
        """``X`` without its id column, and the ids of its rows."""
        col = self.series_id
        if not isinstance(X, pd.DataFrame) or col not in X.columns:
            where = (
                f"its columns are {list(X.columns)}"
                if isinstance(X, pd.DataFrame)
                else f"got {type(X).__name__}"
            )
            raise ValueError(
                f"series_id={col!r} names the column of X that says which "
                f"series each row belongs to, but X has no such column "
                f"({where}). Pass a DataFrame that holds it."
            )
        ids = X[col].to_numpy()
        if pd.isna(ids).any():
            raise ValueError(f"The series_id column {col!r} contains missing values.")
        for option in ("past_covariates", "future_covariates"):
            if col in (getattr(self, option) or []):
                raise ValueError(
                    f"{option} lists the series_id column {col!r}; the id is not a "
                    f"covariate (add per-series static features as columns of "
                    f"their own)."
                )
        return X.drop(columns=[col]), ids

    def _series_rows(self, ids, what):
        """Rows of each known series among ``ids``; unknown ids raise."""
        groups = _group_rows(ids)
        unknown = [sid for sid in groups if sid not in self._panel]
        if unknown:
            raise ValueError(
                f"{what} holds series {unknown[:5]} that were not seen in fit; "
                f"the fitted series are {list(self._panel)[:10]}."
            )
        return groups

    def _predict_panel(self, X_future):
        """Forecasts for each row of ``X_future``, its step and its series' scale."""
        check_is_fitted(self)
        if X_future is None or isinstance(X_future, Integral):
            raise TypeError(
                "predict takes X_future, a DataFrame with the series_id column "
                f"{self.series_id!r}: one row per step to forecast of each series."
            )
        frame, ids = self._split_ids(X_future)
        if len(frame) == 0:
            raise ValueError("X_future has no rows: there is nothing to forecast.")
        _, fut_pos = self._roles()
        names = [self._columns[i] for i in fut_pos] if self._columns else []
        _check_future_columns(names, frame.columns)
        fut_all = frame[names].to_numpy(dtype=float) if names else np.zeros((len(frame), 0))
        if np.isnan(fut_all).any():
            raise ValueError(
                "X_future contains NaN in the future-known covariates; fill "
                "them (their values drive the forecasts)."
            )
        index = _index_of(X_future)
        groups = self._series_rows(ids, "X_future")
        h = self._step
        longest = max(len(rows) for rows in groups.values())
        pad = -(-longest // h) * h + h + 1
        ys, pasts, futs, origins = [], [], [], []
        offset = 0
        for sid, rows in groups.items():
            state = self._panel[sid]
            if isinstance(index, pd.DatetimeIndex):
                self._check_follows(
                    index[rows], state["index"], state["freq"], f" of series {sid!r}"
                )
            n = len(state["y"])
            # one block per series: its history, then its future rows (the
            # known covariates; y and past are never read beyond the origin)
            ys.append(np.concatenate([state["y"] / state["scale"], np.zeros(pad)]))
            pasts.append(
                np.concatenate([state["past"], np.zeros((pad, state["past"].shape[1]))])
            )
            futs.append(_edge_pad(np.concatenate([state["fut"], fut_all[rows]]), n + pad))
            origins.append(offset + n - 1)
            offset += n + pad
        preds = self._roll(
            self.regressor_,
            np.concatenate(ys),
            np.concatenate(pasts),
            np.concatenate(futs),
            np.array(origins),
            longest,
        )
        out = np.empty(len(frame))
        step = np.empty(len(frame), dtype=int)
        scale = np.empty(len(frame))
        for j, (sid, rows) in enumerate(groups.items()):
            scale[rows] = self._panel[sid]["scale"]
            out[rows] = preds[j, : len(rows)] * scale[rows]
            step[rows] = np.arange(len(rows))
        return out, step, scale

    def _update_panel(self, X_new, y_new):
        frame, ids = self._split_ids(X_new)
        y_new, _ = self._check_y(y_new)
        values = self._check_X_fit(frame, len(y_new), reset=False)
        past, fut = self._split_covariates(values)
        index = _index_of(X_new)
        groups = self._series_rows(ids, "X_new")
        for sid, rows in groups.items():
            state = self._panel[sid]
            new_index = index[rows] if isinstance(index, pd.DatetimeIndex) else None
            if new_index is not None:
                self._check_follows(
                    new_index, state["index"], state["freq"], f" of series {sid!r}"
                )
            name = f"series {sid!r}"
            state["y"] = self._fill(np.concatenate([state["y"], y_new[rows]]), f"y of {name}")
            state["past"] = self._fill(
                np.concatenate([state["past"], past[rows]]), f"X of {name}"
            )
            state["fut"] = self._fill(
                np.concatenate([state["fut"], fut[rows]]), f"X of {name}"
            )
            if state["index"] is not None:
                state["index"] = (
                    None if new_index is None else state["index"].append(new_index)
                )
        self.n_history_ += len(y_new)
        return self

    def _wrap(self, pred, index):
        future = self._future_index(index, len(pred))
        if future is None or not self.pandas_output:
            return pred
        return pd.Series(pred, index=future, name=getattr(self, "_name", None))

    def _future_index(self, index, steps):
        if not isinstance(self._index, pd.DatetimeIndex):
            return None
        if isinstance(index, pd.DatetimeIndex):
            return index
        if self._freq is None:
            return None
        return pd.date_range(
            self._index[-1], periods=steps + 1, freq=self._freq
        )[1:]

    def _check_y(self, y):
        if y is None:
            raise ValueError(
                "LSTMForecaster requires y to be passed, but the target y is None."
            )
        index = y.index if isinstance(y, pd.Series) else None
        arr = np.asarray(y)
        if arr.ndim > 2 or (arr.ndim == 2 and arr.shape[1] != 1):
            raise ValueError(
                f"y must be one series of shape (n_timesteps,), got shape "
                f"{arr.shape}; forecast several series with one forecaster each."
            )
        try:
            arr = column_or_1d(arr, warn=True).astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"y must be a numeric series: {exc}") from None
        if np.isinf(arr).any():
            raise ValueError("y contains infinite values.")
        return arr, index

    def _check_X_fit(self, X, n, reset=True):
        """Covariates of the history as a float array of shape (n, n_covariates)."""
        if X is None:
            if reset:
                self.n_features_in_ = 0
                self._columns = None
                if hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
            elif self.n_features_in_:
                raise ValueError(
                    f"X is None, but the forecaster was fitted with "
                    f"{self.n_features_in_} covariates."
                )
            return np.zeros((n, 0))
        if isinstance(X, pd.Series):
            X = X.to_frame()
        frame = isinstance(X, pd.DataFrame)
        if frame and X.shape[1] == 0:
            # scikit-learn's validation refuses frames without columns
            if reset:
                self.n_features_in_ = 0
                if hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
            values = np.zeros((len(X), 0))
        else:
            values = _sklearn_validate_data(
                self,
                X,
                reset=reset,
                dtype=np.float64,
                ensure_all_finite="allow-nan",
                ensure_min_features=0,
            )
        if reset:
            self._columns = list(X.columns) if frame else None
        elif values.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {values.shape[1]} features, but LSTMForecaster is "
                f"expecting {self.n_features_in_} features as input."
            )
        if len(values) != n:
            raise ValueError(
                f"X has {len(values)} rows but y has {n}: X holds the covariates "
                f"of the rows of y."
            )
        return values

    def _roles(self):
        """Positions of the past and future covariates among the columns."""
        n_cols = self.n_features_in_
        names = self._columns if self._columns is not None else list(range(n_cols))

        def position(c):
            if c in names:
                return names.index(c)
            raise ValueError(
                f"Covariate {c!r} is not a column of X; its columns are "
                f"{list(names)}."
            )

        past = [position(c) for c in (self.past_covariates or [])]
        if self.future_covariates is None:
            fut = [i for i in range(n_cols) if i not in past]
        else:
            fut = [position(c) for c in self.future_covariates]
        both = set(past) & set(fut)
        if both:
            raise ValueError(
                f"Columns {[names[i] for i in both]} are listed both as past and "
                f"future covariates."
            )
        return past, fut

    def _split_covariates(self, values):
        past_pos, fut_pos = self._roles()
        return values[:, past_pos], values[:, fut_pos]

    def _check_future(self, X_future):
        check_is_fitted(self)
        if X_future is None or isinstance(X_future, Integral):
            raise TypeError(
                "predict takes X_future, one row per step to forecast (a frame "
                "with the future-known covariates; with none, a frame with no "
                "columns on the future index). For a number of steps, use "
                "forecast(steps)."
            )
        _, fut_pos = self._roles()
        index = _index_of(X_future)
        if isinstance(X_future, pd.DataFrame) and self._columns is not None:
            names = [self._columns[i] for i in fut_pos]
            _check_future_columns(names, X_future.columns)
            fut = X_future[names].to_numpy(dtype=float)
        elif isinstance(X_future, pd.DataFrame) and X_future.shape[1] == 0:
            if self.n_features_in_:
                raise ValueError(
                    f"X has 0 features, but LSTMForecaster is expecting "
                    f"{self.n_features_in_} features as input (X_future holds "
                    f"the covariates of the rows to forecast)."
                )
            fut = np.zeros((len(X_future), 0))
        else:
            arr = _sklearn_validate_data(
                self,
                X_future,
                reset=False,
                dtype=np.float64,
                ensure_all_finite="allow-nan",
                ensure_min_features=0,
            )
            fut = arr[:, fut_pos]
        if len(fut) == 0:
            raise ValueError("X_future has no rows: there is nothing to forecast.")
        if np.isnan(fut).any():
            raise ValueError(
                "X_future contains NaN in the future-known covariates; fill "
                "them (their values drive the forecasts)."
            )
        self._check_follows(index)
        return len(fut), fut, index

    def _check_follows(self, index, history=None, freq=None, what=""):
        """With a DatetimeIndex, the new rows must start right after the history."""
        if history is None:
            history, freq = self._index, self._freq
        if not (
            isinstance(history, pd.DatetimeIndex)
            and isinstance(index, pd.DatetimeIndex)
            and len(index)
        ):
            return
        last = history[-1]
        expected = last + pd.tseries.frequencies.to_offset(freq) if freq else None
        first = index[0]
        if (expected is not None and first != expected) or first <= last:
            raise ValueError(
                f"The rows to forecast must directly follow the history{what}, which "
                f"ends at {last}: expected the first row at "
                f"{expected if expected is not None else 'a later time'}, got "
                f"{first}. To forecast from a later origin, first call "
                f"update(X_new, y_new) with the rows in between (or fit on "
                f"them)."
            )

    def _check_steps(self, steps):
        check_is_fitted(self)
        if getattr(self, "_panel", None) is not None:
            raise ValueError(
                "This forecaster was fitted on a panel (series_id is set): pass "
                "predict(X_future) a DataFrame with the series_id column, one "
                "row per step of each series to forecast."
            )
        if not isinstance(steps, Integral) or steps < 1:
            raise ValueError(f"steps must be a positive integer, got {steps!r}.")
        _, fut_pos = self._roles()
        if fut_pos:
            raise ValueError(
                "The forecaster has future-known covariates: pass their future "
                "values to predict(X_future) instead of forecast(steps)."
            )
        return int(steps)

    def _check_length(self, n, what, hint="lower window_length"):
        need = self.window_length + self._step
        if n < need:
            raise ValueError(
                f"{what} has {n} rows (n_samples = {n}), too short for window_length="
                f"{self.window_length} followed by {self._step} target row(s): "
                f"it needs at least {need} rows; {hint}."
            )

    def _calibration_rows(self, n):
        size = self.calibration_size
        n_cal = size if isinstance(size, Integral) else int(math.ceil(size * n))
        return max(1, min(n_cal, n - 1))

    def _fill(self, values, what):
        if not np.isnan(values).any():
            return values
        if self.impute is None:
            n_missing = int(np.isnan(values).sum())
            raise ValueError(
                f"{what} contains {n_missing} missing value(s) (NaN). Pass "
                f"impute='linear' (or 'ffill') to fill the gaps of the history "
                f"inside the forecaster, or fill them first (for example with "
                f"pandas' interpolate, or SequenceImputer on windows)."
            )
        return _fill_gaps(values, self.impute)


def _series_scale(y):
    """A series' scale for a panel: its mean absolute change between rows.

    Falls back to the mean absolute value for a constant series, and to 1
    for a series of zeros.
    """
    for scale in (np.mean(np.abs(np.diff(y))), np.mean(np.abs(y))):
        if np.isfinite(scale) and scale > 0:
            return float(scale)
    return 1.0


def _mean_of(members):
    """The one fitted network, or the average of several."""
    return members[0] if len(members) == 1 else _MeanRegressor(members)


class _MeanRegressor:
    """The mean prediction of several fitted regressors (``estimators_``)."""

    def __init__(self, estimators):
        self.estimators_ = estimators

    def predict(self, X):
        total = np.asarray(self.estimators_[0].predict(X), dtype=float)
        for estimator in self.estimators_[1:]:
            total = total + np.asarray(estimator.predict(X), dtype=float)
        return total / len(self.estimators_)

    def __getattr__(self, name):
        # fitted attributes shared by the members (n_outputs_, window_norm...)
        if name.startswith("__") or name == "estimators_":
            raise AttributeError(name)
        return getattr(self.estimators_[0], name)


def _check_future_columns(names, columns):
    """Refuse an ``X_future`` whose columns lack a future-known covariate."""
    missing = [c for c in names if c not in columns]
    if missing:
        raise ValueError(
            f"X_future lacks the future-known covariate(s) {missing}: each "
            "forecast step reads their values, so X_future must hold them."
        )


def _group_rows(ids):
    """Row positions of each id, ids in order of first appearance, rows in order."""
    codes, uniques = pd.factorize(pd.Series(ids, dtype=object if len(ids) == 0 else None))
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(uniques)))[:-1]
    groups = np.split(order, bounds)
    return {_plain(u): rows for u, rows in zip(uniques, groups)}


def _plain(value):
    """A NumPy scalar id as the Python scalar (a clean dict key and repr)."""
    return value.item() if isinstance(value, np.generic) else value


def _id_array(ids):
    arr = np.empty(len(ids), dtype=object)
    arr[:] = ids
    return arr


def _index_of(obj):
    return obj.index if isinstance(obj, (pd.DataFrame, pd.Series)) else None


def _infer_freq(index):
    if not isinstance(index, pd.DatetimeIndex):
        return None
    if index.freq is not None:
        return index.freq
    if len(index) >= 3:
        return pd.infer_freq(index)
    return None


def _edge_pad(values, length):
    """``values`` extended to ``length`` rows by repeating its last row."""
    if len(values) >= length:
        return values
    if values.shape[1] == 0 or len(values) == 0:
        return np.zeros((length, values.shape[1]))
    extra = np.repeat(values[-1:], length - len(values), axis=0)
    return np.concatenate([values, extra])


def _fill_gaps(values, method):
    """Fill NaN along the first axis of a 1D or 2D array, column by column."""
    out = np.array(values, dtype=float)
    columns = out[:, None] if out.ndim == 1 else out
    steps = np.arange(len(out))
    for j in range(columns.shape[1]):
        col = columns[:, j]
        seen = ~np.isnan(col)
        if not seen.any():
            raise ValueError(
                "A column of the history has no observed value, so its gaps "
                "cannot be filled."
            )
        if method == "linear":
            col[~seen] = np.interp(steps[~seen], steps[seen], col[seen])
        else:
            last = np.where(seen, steps, 0)
            np.maximum.accumulate(last, out=last)
            first = np.argmax(seen)
            filled = col[last]
            filled[:first] = col[first]
            col[:] = filled
    return out


def _conformal_quantile(residuals, coverage):
    """The ``ceil((n + 1) * coverage)``-th smallest residual (inf when n is small)."""
    n = len(residuals)
    rank = math.ceil((n + 1) * coverage)
    if n == 0 or rank > n:
        return np.inf
    return float(np.sort(residuals)[rank - 1])


@validate_params(
    {
        "forecaster": [HasMethods(["fit", "predict"])],
        "y": ["array-like"],
        "X": ["array-like", None],
        "steps": [Interval(Integral, 1, None, closed="left")],
        "n_origins": [Interval(Integral, 1, None, closed="left")],
        "refit": ["boolean"],
        "coverage": [Interval(Real, 0, 1, closed="neither"), None],
    },
    prefer_skip_nested_validation=True,
)
def backtest(forecaster, y, X=None, *, steps, n_origins=3, refit=True, coverage=None):
    """Rolling-origin forecasts of a series, in a long DataFrame.

    The last ``n_origins * steps`` rows are cut into ``n_origins``
    consecutive blocks of ``steps`` rows; each block is forecast from the
    row before it (its origin). With ``refit=True`` a clone of
    ``forecaster`` is fitted on all rows up to each origin; with
    ``refit=False`` one clone is fitted up to the first origin and
    :meth:`LSTMForecaster.update` extends its history to the later ones.

    Parameters
    ----------
    forecaster : LSTMForecaster
        The forecaster to evaluate (not modified).
    y : Series or array-like of shape (n_timesteps,)
        The target series.
    X : DataFrame or array-like of shape (n_timesteps, n_covariates), or None
        Covariates on the rows of ``y``.
    steps : int
        Rows forecast from each origin.
    n_origins : int, default=3
        Number of origins.
    refit : bool, default=True
        Fit again at each origin, or fit once and update the history.
    coverage : float or None, default=None
        If set, also the split-conformal interval of this coverage
        (``forecaster`` needs ``calibration`` set).

    Returns
    -------
    results : DataFrame
        One row per forecast: ``origin`` (the timestamp or position of the
        last row seen), ``timestamp``, ``step`` (1 to ``steps``), ``y``,
        ``prediction``, and ``lower`` and ``upper`` when ``coverage`` is set.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMForecaster, LSTMRegressor, backtest
    >>> y = np.sin(np.arange(60) / 3.0)
    >>> net = LSTMRegressor(hidden_size=4, conv_channels=None, max_epochs=2)
    >>> f = LSTMForecaster(net, window_length=6, random_state=0)
    >>> backtest(f, y, steps=5, n_origins=2).shape
    (10, 5)
    """
    labels = y.index if isinstance(y, pd.Series) else None
    if labels is None and isinstance(X, pd.DataFrame):
        labels = X.index
    n = len(y)
    if n_origins * steps >= n:
        raise ValueError(
            f"n_origins * steps = {n_origins * steps} leaves no history in a "
            f"series of {n} rows."
        )
    labels = np.arange(n) if labels is None else labels

    def rows(obj, start, stop):
        if obj is None:
            return None
        if isinstance(obj, (pd.DataFrame, pd.Series)):
            return obj.iloc[start:stop]
        return np.asarray(obj)[start:stop]

    frames = []
    fitted = None
    for j in range(n_origins):
        cut = n - (n_origins - j) * steps
        if refit or fitted is None:
            fitted = clone(forecaster).fit(rows(X, 0, cut), rows(y, 0, cut))
        else:
            prev = n - (n_origins - j + 1) * steps
            fitted.update(rows(X, prev, cut), rows(y, prev, cut))
        X_future = rows(X, cut, cut + steps)
        if X_future is None:
            X_future = pd.DataFrame(index=labels[cut : cut + steps])
            if not isinstance(labels, pd.DatetimeIndex):
                X_future = np.zeros((steps, 0))
        frame = {
            "origin": [labels[cut - 1]] * steps,
            "timestamp": list(labels[cut : cut + steps]),
            "step": np.arange(1, steps + 1),
            "y": np.asarray(rows(y, cut, cut + steps), dtype=float),
        }
        if coverage is None:
            frame["prediction"] = np.asarray(fitted.predict(X_future), dtype=float)
        else:
            intervals = fitted.predict_interval(X_future, coverage=coverage)
            for name in ("prediction", "lower", "upper"):
                frame[name] = intervals[name].to_numpy()
        frames.append(pd.DataFrame(frame))
    return pd.concat(frames, ignore_index=True)


class PanelTimeSeriesSplit:
    """Time-ordered splits of a long panel, cut on timestamps shared by every series.

    :class:`~sklearn.model_selection.TimeSeriesSplit` cuts rows by
    position, which in a panel of interleaved series (rows of several
    series per timestamp) gives each series a different cut, or none. This
    splitter applies ``TimeSeriesSplit`` to the sorted distinct timestamps
    instead: every split trains on all rows up to a date and tests on the
    rows of the dates after it, for all series at once. With
    ``LSTMForecaster(series_id=...)``,
    ``cross_val_score(forecaster, X, y, cv=PanelTimeSeriesSplit(3))`` is
    then a refit backtest of the panel.

    Parameters
    ----------
    n_splits : int, default=5
        Number of splits.
    test_size : int or None, default=None
        Timestamps in each test block (None: as ``TimeSeriesSplit`` chooses).
    gap : int, default=0
        Timestamps left out between each training and test block.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklstm import PanelTimeSeriesSplit
    >>> index = pd.date_range("2000-01", periods=4, freq="MS").repeat(2)
    >>> X = pd.DataFrame({"store": ["a", "b"] * 4}, index=index)
    >>> for train, test in PanelTimeSeriesSplit(n_splits=2).split(X):
    ...     print(train, test)
    [0 1 2 3] [4 5]
    [0 1 2 3 4 5] [6 7]
    """

    def __init__(self, n_splits=5, *, test_size=None, gap=0):
        self.n_splits = n_splits
        self.test_size = test_size
        self.gap = gap

    def get_n_splits(self, X=None, y=None, groups=None):
        """The number of splits, ``n_splits``."""
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """Row positions ``(train, test)`` of each split.

        Parameters
        ----------
        X : DataFrame or Series
            The panel, whose index holds the timestamp of each row.
        y, groups : ignored
            Present for the scikit-learn splitter interface.

        Yields
        ------
        train, test : ndarray of int
            Positions of the training rows (all timestamps up to the cut)
            and of the test rows (the timestamps of the next block).
        """
        if not isinstance(X, (pd.DataFrame, pd.Series)):
            raise TypeError(
                "PanelTimeSeriesSplit reads the timestamps of the rows from the "
                f"index of a DataFrame or Series X, got {type(X).__name__}."
            )
        stamps = np.asarray(X.index)
        distinct = np.unique(stamps)
        position = np.searchsorted(distinct, stamps)
        inner = TimeSeriesSplit(
            n_splits=self.n_splits, test_size=self.test_size, gap=self.gap
        )
        for train, test in inner.split(distinct):
            yield (
                np.flatnonzero(position <= train[-1]),
                np.flatnonzero((position >= test[0]) & (position <= test[-1])),
            )

    def __repr__(self):
        return (
            f"PanelTimeSeriesSplit(n_splits={self.n_splits}, "
            f"test_size={self.test_size}, gap={self.gap})"
        )

"""Scaling and gap filling for sequence collections."""

import numpy as np
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin

from ._output import _SequenceOutputMixin
from ._validation import (
    StrOptions,
    _as_2d_sequence,
    _is_ragged,
    check_array,
    check_is_fitted,
    validate_data,
)

__all__ = ["SequenceImputer", "SequenceScaler"]


def _as_collection(estimator, X, *, reset, allow_nan):
    """Sequences of ``X`` as a list of 2D float arrays, plus how to rebuild X.

    Returns ``(sequences, rebuild)`` where ``rebuild(list)`` gives back the
    input's form: a 2D or 3D array, or a list for variable-length input.
    """
    if _is_ragged(X):
        seqs = []
        for i, seq in enumerate(X):
            arr = check_array(
                seq,
                ensure_2d=False,
                dtype=(np.float64, np.float32),
                ensure_all_finite="allow-nan" if allow_nan else True,
                input_name=f"sequence {i} of X",
            )
            seqs.append(_as_2d_sequence(arr, i))
        widths = {s.shape[1] for s in seqs}
        if len(widths) > 1:
            raise ValueError(
                "All sequences must have the same number of features per time "
                f"step, got {sorted(widths)}."
            )
        width = widths.pop()
        one_d = [np.ndim(seq) == 1 for seq in X]
        if reset:
            estimator._ragged_fit = True
            for attr in ("n_features_in_", "feature_names_in_"):
                if hasattr(estimator, attr):
                    delattr(estimator, attr)

        def rebuild(out):
            return [o[:, 0] if flat else o for o, flat in zip(out, one_d)]

    else:
        data = validate_data(
            estimator,
            X,
            reset=reset,
            allow_nd=True,
            dtype=(np.float64, np.float32),
            ensure_all_finite="allow-nan" if allow_nan else True,
        )
        if data.ndim not in (2, 3):
            raise ValueError(
                "Expected 2D input (n_samples, n_timesteps) or 3D input "
                f"(n_samples, n_timesteps, n_features), got {data.ndim}D array "
                "instead."
            )
        two_d = data.ndim == 2
        if two_d:
            data = data[:, :, None]
        width = data.shape[2]
        seqs = list(data)

        def rebuild(out):
            stacked = np.stack(out) if out else data.copy()
            return stacked[:, :, 0] if two_d else stacked

    if reset:
        estimator.input_size_ = width
    elif width != estimator.input_size_:
        raise ValueError(
            f"X has {width} features per time step, but {type(estimator).__name__}"
            f" is expecting {estimator.input_size_} features per time step as input."
        )
    return seqs, rebuild


class _SameShapeOutputMixin(_SequenceOutputMixin, OneToOneFeatureMixin):
    """Output of the input's form and names, for the scaler and the imputer."""

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: the input's time steps.

        The output has the input's form, so its second axis (the time steps,
        the columns of a 2-D ``X``) keeps the input's names.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Names of the input columns; None uses ``feature_names_in_`` if
            set, else ``x0, x1, ...``.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per time step.
        """
        check_is_fitted(self)
        if not hasattr(self, "n_features_in_"):
            raise ValueError(
                f"{type(self).__name__} was fitted on variable-length sequences, "
                "whose time steps have no names; fit it on a 2-D or 3-D array "
                "to get feature names."
            )
        return super().get_feature_names_out(input_features)


def _nan_moments(steps):
    """Per-column mean and standard deviation ignoring NaN, without overflow.

    Columns whose moments overflow (values near the float64 limit) are
    computed again after dividing them by their largest magnitude.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        mean = np.nanmean(steps, axis=0)
        std = np.nanstd(steps, axis=0)
    observed = ~np.isnan(steps).all(axis=0)
    bad = observed & ~(np.isfinite(mean) & np.isfinite(std))
    if bad.any():
        peak = np.nanmax(np.abs(steps[:, bad]), axis=0)
        scaled = steps[:, bad] / peak
        mean[bad] = np.nanmean(scaled, axis=0) * peak
        std[bad] = np.nanstd(scaled, axis=0) * peak
    return mean, std


class SequenceScaler(
    _SameShapeOutputMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None
):
    """Standardise each feature over all time steps of a sequence collection.

    Each feature is centred and scaled with its mean and standard deviation
    over every time step of every training sequence (unlike
    :class:`~sklearn.preprocessing.StandardScaler` on a 2D table, which would
    treat each time step as a separate feature). Works on 3D arrays, 2D
    arrays (univariate sequences) and lists of variable-length sequences,
    and returns the same form. NaN values are ignored when fitting and kept
    as NaN, so the scaler can run before :class:`SequenceImputer`.

    The sklstm estimators already standardise their inputs inside
    (``scale_inputs=True``); use this transformer when another step needs
    scaled sequences, or to inspect the scaled data.

    Parameters
    ----------
    with_mean : bool, default=True
        If True, subtract each feature's mean.
    with_std : bool, default=True
        If True, divide by each feature's standard deviation (features with
        zero variance are left unscaled).

    Attributes
    ----------
    mean_ : ndarray of shape (`input_size_`,)
        Mean of each feature over all time steps.
    scale_ : ndarray of shape (`input_size_`,)
        Standard deviation of each feature (1 where it is zero).
    input_size_ : int
        Number of features per time step.
    n_features_in_ : int
        Number of time steps per sequence (the second axis, as
        scikit-learn's validation counts it). Not set for variable-length
        input.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a DataFrame ``X``. Only set when they are strings.

    See Also
    --------
    SequenceImputer : Fill gaps inside sequences.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import SequenceScaler
    >>> X = np.array([[[1.0, 10.0], [3.0, 30.0]], [[5.0, 50.0], [7.0, 70.0]]])
    >>> scaler = SequenceScaler().fit(X)
    >>> scaler.mean_
    array([ 4., 40.])
    >>> scaler.transform(X).shape
    (2, 2, 2)
    """

    _parameter_constraints = {"with_mean": ["boolean"], "with_std": ["boolean"]}

    def __init__(self, *, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X, y=None):
        """Compute each feature's mean and standard deviation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_features), or list of arrays
            Sequence collection.
        y : None
            Ignored.

        Returns
        -------
        self : SequenceScaler
            The fitted scaler.
        """
        self._validate_params()
        seqs, _ = _as_collection(self, X, reset=True, allow_nan=True)
        steps = np.concatenate(seqs, axis=0).astype(np.float64)
        mean, std = _nan_moments(steps)
        self.mean_ = mean if self.with_mean else None
        if self.with_std:
            scale = std
            scale[~(scale > 1e-12 * np.maximum(1.0, np.abs(mean)))] = 1.0
            self.scale_ = scale
        else:
            self.scale_ = None
        if self.mean_ is not None:
            self.mean_ = np.nan_to_num(self.mean_)
        return self

    def transform(self, X):
        """Standardise ``X`` with the fitted statistics.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_features), or list of arrays
            Sequence collection.

        Returns
        -------
        X_scaled : ndarray, DataFrame or list of ndarray
            ``X`` standardised, in the same form and dtype. A 2-D output is
            a DataFrame under ``set_output(transform="pandas")``; 3-D and
            variable-length output stay as they are.
        """
        check_is_fitted(self)
        seqs, rebuild = _as_collection(self, X, reset=False, allow_nan=True)
        out = rebuild([self._apply(s, forward=True) for s in seqs])
        return self._wrap_output(out, X)

    def inverse_transform(self, X):
        """Undo the scaling.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_features), or list of arrays
            Scaled sequence collection.

        Returns
        -------
        X_original : ndarray or list of ndarray
            ``X`` in the original units, in the same form.
        """
        check_is_fitted(self)
        seqs, rebuild = _as_collection(self, X, reset=False, allow_nan=True)
        return rebuild([self._apply(s, forward=False) for s in seqs])

    def _apply(self, seq, forward):
        """Scale (or unscale) one sequence, keeping its dtype."""
        mean = 0.0 if self.mean_ is None else self.mean_
        scale = 1.0 if self.scale_ is None else self.scale_
        with np.errstate(over="ignore", invalid="ignore"):
            out = (seq - mean) / scale if forward else seq * scale + mean
            if forward and not np.isfinite(out[np.isfinite(seq)]).all():
                # values near the float64 limit: divide before subtracting
                out = seq / scale - mean / scale
        return out.astype(seq.dtype, copy=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class SequenceImputer(
    _SameShapeOutputMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None
):
    """Fill missing values (NaN) inside sequences, along time.

    Gaps are filled within each sequence and feature from the neighbouring
    time steps: linear interpolation between the observed values, or the
    last observed value carried forward. Values before the first
    observation take the first observed value. A feature with no observed
    value in a sequence is filled with that feature's mean over the
    training data (``statistics_``). Works on 3D arrays, 2D arrays
    (univariate sequences) and lists of variable-length sequences, and
    returns the same form. In a pipeline after
    :class:`SlidingWindowTransformer`, it fills the gaps of each window.

    Parameters
    ----------
    method : {"linear", "ffill"}, default="linear"
        ``"linear"`` interpolates linearly between the nearest observed
        steps; ``"ffill"`` carries the last observed value forward.

    Attributes
    ----------
    statistics_ : ndarray of shape (`input_size_`,)
        Mean of each feature over all observed training time steps, used for
        features that a sequence never observes.
    input_size_ : int
        Number of features per time step.
    n_features_in_ : int
        Number of time steps per sequence (the second axis, as
        scikit-learn's validation counts it). Not set for variable-length
        input.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a DataFrame ``X``. Only set when they are strings.

    See Also
    --------
    SequenceScaler : Standardise features of a sequence collection.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import SequenceImputer
    >>> X = np.array([[1.0, np.nan, 3.0, np.nan]])
    >>> SequenceImputer().fit_transform(X)
    array([[1., 2., 3., 3.]])
    >>> SequenceImputer(method="ffill").fit_transform(X)
    array([[1., 1., 3., 3.]])
    """

    _parameter_constraints = {"method": [StrOptions({"linear", "ffill"})]}

    def __init__(self, *, method="linear"):
        self.method = method

    def fit(self, X, y=None):
        """Learn each feature's mean, for sequences that never observe it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_features), or list of arrays
            Sequence collection, with NaN where values are missing.
        y : None
            Ignored.

        Returns
        -------
        self : SequenceImputer
            The fitted imputer.
        """
        self._validate_params()
        seqs, _ = _as_collection(self, X, reset=True, allow_nan=True)
        steps = np.concatenate(seqs, axis=0).astype(np.float64)
        observed = ~np.isnan(steps)
        counts = observed.sum(axis=0)
        with np.errstate(over="ignore", invalid="ignore"):
            sums = np.where(observed, steps, 0.0).sum(axis=0)
            self.statistics_ = np.divide(
                sums, counts, out=np.zeros_like(sums), where=counts > 0
            )
        overflow = (counts > 0) & ~np.isfinite(self.statistics_)
        if overflow.any():
            self.statistics_[overflow] = _nan_moments(steps[:, overflow])[0]
        return self

    def transform(self, X):
        """Fill the gaps of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_features), or list of arrays
            Sequence collection, with NaN where values are missing.

        Returns
        -------
        X_filled : ndarray, DataFrame or list of ndarray
            ``X`` without NaN, in the same form and dtype. A 2-D output is a
            DataFrame under ``set_output(transform="pandas")``; 3-D and
            variable-length output stay as they are.
        """
        check_is_fitted(self)
        seqs, rebuild = _as_collection(self, X, reset=False, allow_nan=True)
        return self._wrap_output(rebuild([self._fill(s) for s in seqs]), X)

    def _fill(self, seq):
        """Fill one sequence of shape (n_timesteps, n_features)."""
        out = np.array(seq, copy=True)
        steps = np.arange(out.shape[0])
        for j in range(out.shape[1]):
            col = out[:, j]
            missing = np.isnan(col)
            if not missing.any():
                continue
            seen = np.flatnonzero(~missing)
            if seen.size == 0:
                col[:] = self.statistics_[j]
            elif self.method == "linear":
                with np.errstate(over="ignore", invalid="ignore"):
                    filled = np.interp(steps[missing], seen, col[seen])
                if not np.isfinite(filled).all():
                    # values near the float64 limit: interpolate scaled values
                    peak = np.abs(col[seen]).max()
                    filled = np.interp(steps[missing], seen, col[seen] / peak) * peak
                col[missing] = filled
            else:
                last = np.maximum.accumulate(np.where(missing, -1, steps))
                last[last < 0] = seen[0]
                col[:] = col[last]
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

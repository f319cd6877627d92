"""Input validation for sequence collections.

This is the only module that imports scikit-learn's private helpers; the rest
of sklstm imports them from here, so a change in scikit-learn touches one file.
"""

import contextlib
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import _fit_context  # noqa: F401  (re-exported)
from sklearn.utils._chunking import get_chunk_n_rows  # noqa: F401  (re-exported)
from sklearn.utils._param_validation import (  # noqa: F401  (re-exported)
    HasMethods,
    Interval,
    StrOptions,
    validate_params,
)
from sklearn.utils import validation as _sklearn_validation
from sklearn.utils.validation import (  # noqa: F401  (re-exported)
    _assert_all_finite,
    _check_sample_weight,
    _check_feature_names,
    _check_n_features,
    check_is_fitted,
    check_random_state,
)

__all__ = [
    "HasMethods",
    "Integral",
    "Interval",
    "Real",
    "StrOptions",
    "check_is_fitted",
    "check_random_state",
    "check_sequences",
    "validate_data",
]


class _StrictInterval(Interval):
    """An ``Interval`` that refuses bools (``True`` is an ``Integral`` in Python)."""

    def is_satisfied_by(self, val):
        if isinstance(val, (bool, np.bool_)):
            return False
        return super().is_satisfied_by(val)

    def __str__(self):
        return super().__str__() + " (not a bool)"


def _int_interval(left, right, closed="both"):
    """Integers in ``[left, right]`` (``None``: unbounded), bools refused."""
    return _StrictInterval(Integral, left, right, closed=_closed(left, right, closed))


def _real_interval(left, right, closed="both"):
    """Real numbers in the interval (``None``: unbounded), bools refused."""
    return _StrictInterval(Real, left, right, closed=_closed(left, right, closed))


def _closed(left, right, closed):
    # an unbounded side is open
    if left is None and closed in ("left", "both"):
        closed = "neither" if closed == "left" else "right"
    if right is None and closed in ("right", "both"):
        closed = "neither" if closed == "right" else "left"
    return closed


def _from_torch(X):
    """A torch tensor as a NumPy array (on the CPU, detached); anything else as is."""
    if isinstance(X, torch.Tensor):
        return X.detach().cpu().numpy()
    return X


def _reject_datetime_columns(X, input_name):
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(X, "columns"):
        return
    dates = [
        str(column)
        for column, dtype in zip(X.columns, dtypes)
        if str(dtype).startswith(("datetime", "timedelta", "period"))
    ]
    if dates:
        raise TypeError(
            f"{input_name} has date or time columns {dates}; the networks need "
            "numbers. Drop them, or turn them into numeric features (for example "
            "the day of the week or the month) first."
        )


def _reject_frame_without_columns(X, input_name):
    # scikit-learn's check_array fails on these with "at least one array or
    # dtype is required", which does not say what is wrong
    columns = getattr(X, "columns", None)
    if columns is not None and hasattr(X, "dtypes") and len(columns) == 0:
        raise ValueError(
            f"{input_name} is a DataFrame with no columns (shape {X.shape}); at "
            "least one column is required."
        )


def check_array(array, *args, **kwargs):
    """scikit-learn's ``check_array``, with a clear error for column-less frames."""
    _reject_frame_without_columns(array, kwargs.get("input_name") or "array")
    return _sklearn_validation.check_array(array, *args, **kwargs)


def validate_data(estimator, *args, **kwargs):
    """scikit-learn's ``validate_data``, with a clear error for column-less frames."""
    _reject_frame_without_columns(args[0] if args else kwargs.get("X"), "X")
    return _sklearn_validation.validate_data(estimator, *args, **kwargs)


class _Sequences:
    """A validated sequence collection.

    ``data`` is an ndarray of shape ``(n_samples, n_timesteps, n_features)``
    (float32 or float64; possibly a read-only strided view, which is never
    copied whole) and ``lengths`` is ``None`` for equal-length sequences or an
    int64 array of the valid length of each (zero-padded) sequence.
    """

    def __init__(self, data, lengths=None):
        self.data = data
        self.lengths = lengths

    def __len__(self):
        return self.data.shape[0]


def _name(estimator):
    return type(estimator).__name__


# Largest magnitude accepted in X and a numeric y: the networks compute in
# float32, and half its range keeps standardisation (x - mean) / scale from
# overflowing.
_MAX_MAGNITUDE = float(np.finfo(np.float32).max) / 2


def _check_magnitude(values, what, name):
    """Reject float values whose magnitude would overflow float32 training."""
    if values.dtype.kind != "f" or values.size == 0:
        return
    peak = max(-float(values.min()), float(values.max()))
    if peak > _MAX_MAGNITUDE:
        raise ValueError(
            f"{what} holds values as large as {peak:.3g} in magnitude, but {name} "
            f"computes in float32 and accepts magnitudes up to "
            f"{_MAX_MAGNITUDE:.3g}. Rescale {what}, for example divide it by a "
            "constant."
        )


def _distinct_values(data):
    """Parts of ``data`` that hold each of its values at least once.

    Windows that overlap in memory (a view whose first two strides are
    equal, as ``SlidingWindowTransformer`` returns) hold the value at
    ``(i, t)`` also at ``(i + t, 0)`` or ``(n - 1, i + t - n + 1)``, so the
    first step of every window and the last window cover them all: a check
    of those is O(n_samples), not O(n_samples x n_timesteps).
    """
    if data.ndim >= 2 and data.shape[1] > 1 and data.strides[0] == data.strides[1]:
        return data[:, 0], data[-1, 1:]
    return (data,)


def _as_2d_sequence(arr, i):
    """Sequence ``i`` of a list as ``(n_timesteps, n_features)``; 1D gets one feature."""
    if arr.ndim == 1:
        return arr[:, None]
    if arr.ndim != 2:
        raise ValueError(
            f"Expected each sequence of a list to be 1D (n_timesteps,) or 2D "
            f"(n_timesteps, n_features), got a {arr.ndim}D sequence at "
            f"position {i} instead."
        )
    return arr


def _is_ragged(X):
    """True when ``X`` is a list or tuple of sequences of different lengths."""
    if not isinstance(X, (list, tuple)) or len(X) == 0:
        return False
    lengths = set()
    for seq in X:
        if not hasattr(seq, "__len__") or isinstance(seq, (str, bytes)):
            return False
        lengths.add(len(seq))
    return len(lengths) > 1


def _check_ragged(estimator, X, *, reset, tokens):
    """Validate a list of variable-length sequences and pad it with zeros."""
    name = _name(estimator)
    arrays = []
    for i, seq in enumerate(X):
        try:
            arr = np.asarray(seq)
        except ValueError as exc:
            raise ValueError(
                f"Sequence {i} of X could not be read as an array: {exc}"
            ) from None
        if arr.dtype.kind not in "biuf":
            raise TypeError(
                f"Sequence {i} of X has dtype {arr.dtype}; {name} expects "
                "numeric values. Encode categories or text as numbers first."
            )
        arr = _as_2d_sequence(arr, i)
        if arr.shape[0] == 0:
            raise ValueError(
                f"Sequence {i} of X is empty; every sequence needs at least one "
                "time step."
            )
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise ValueError(
                f"Sequence {i} of X contains NaN or infinity. Fill gaps first, "
                "for example with sklstm.SequenceImputer."
            )
        if tokens and arr.dtype.kind not in "iu":
            raise TypeError(
                "With vocab_size set, X must hold integer token ids, got "
                f"dtype {arr.dtype} in sequence {i}."
            )
        _check_magnitude(arr, f"sequence {i} of X", name)
        arrays.append(arr)
    widths = {a.shape[1] for a in arrays}
    if len(widths) > 1:
        raise ValueError(
            "All sequences must have the same number of features per time step, "
            f"got {sorted(widths)}."
        )
    if widths == {0}:
        raise ValueError(
            f"X has 0 features per time step; {name} needs at least one feature."
        )
    lengths = np.array([a.shape[0] for a in arrays], dtype=np.int64)
    width = arrays[0].shape[1]
    dtype = np.int64 if tokens else np.result_type(np.float32, *arrays)
    data = np.zeros((len(arrays), lengths.max(), width), dtype=dtype)
    for row, arr in zip(data, arrays):
        row[: len(arr)] = arr
    if reset:
        # variable-length sequences have no fixed number of time steps
        for attr in ("n_features_in_", "feature_names_in_"):
            if hasattr(estimator, attr):
                delattr(estimator, attr)
    return _Sequences(data, lengths)


def _plain_float_array(X):
    """Whether ``X`` is a non-empty float32/float64 ndarray of 2 or 3 dimensions."""
    return (
        type(X) is np.ndarray
        and X.dtype in (np.float32, np.float64)
        and X.ndim in (2, 3)
        and X.size > 0
    )


def _passes_quick_check(estimator, X, max_steps):
    """Whether a small array needs no further validation before ``predict``.

    True when ``X`` is a C-contiguous plain float array of at most
    ``max_steps`` steps in all, shaped as the fitted estimator expects (not
    fitted on a DataFrame), whose values are all finite and within the
    magnitude ``check_sequences`` accepts. One sum of squares decides the
    values: it is finite only when every value is, and then bounds every
    magnitude (in float32 it overflows before the magnitude limit, so some
    valid values are not accepted here). False means: validate ``X`` with
    ``check_sequences``, which accepts or rejects it and words the error.
    """
    fitted = vars(estimator)
    if (
        not _plain_float_array(X)
        or not X.flags.c_contiguous
        or X.shape[0] * X.shape[1] > max_steps
        or "feature_names_in_" in fitted
        or X.shape[1] != fitted.get("n_features_in_")
        or (X.shape[2] if X.ndim == 3 else 1) != fitted.get("input_size_")
    ):
        return False
    flat = X.reshape(-1)
    with np.errstate(all="ignore"):
        squares = flat @ flat
    # NaN fails the comparison and inf exceeds the bound
    return float(squares) <= _MAX_MAGNITUDE**2


@contextlib.contextmanager
def _time_steps_named():
    """Add to scikit-learn's "X has n features" error that these are time steps."""
    try:
        yield
    except ValueError as exc:
        message = str(exc)
        if "features, but" not in message:
            raise
        raise ValueError(
            f"{message} For sequences, these 'features' are the time steps (axis "
            "1 of X): pass sequences of the length seen in fit, or a list of "
            "sequences to a model fitted on variable-length input."
        ) from None


def check_sequences(estimator, X, *, reset, tokens=False):
    """Validate a sequence collection and return it as a :class:`_Sequences`.

    Accepts a 2D array-like ``(n_samples, n_timesteps)`` (univariate), a 3D
    array-like ``(n_samples, n_timesteps, n_features)``, a DataFrame (2D), or
    a list of variable-length sequences (each 1D or 2D). With ``reset=True``
    it records ``n_features_in_`` (time steps, for equal-length input),
    ``feature_names_in_`` and ``input_size_`` on ``estimator``; otherwise it
    checks ``X`` against them. ``tokens=True`` expects integer token ids
    (2D, or a list of 1D sequences).
    """
    name = _name(estimator)
    X = _from_torch(X)
    if isinstance(X, (list, tuple)):
        X = [_from_torch(seq) for seq in X]
    _reject_datetime_columns(X, "X")
    if _is_ragged(X):
        seqs = _check_ragged(estimator, X, reset=reset, tokens=tokens)
    else:
        ndim = getattr(X, "ndim", None)
        if ndim is None and not hasattr(X, "__array__"):
            try:
                ndim = np.asarray(X).ndim
            except ValueError:
                ndim = None
        if ndim is not None and ndim not in (2, 3) and ndim != 1:
            raise ValueError(
                "Expected 2D input (n_samples, n_timesteps) or 3D input "
                f"(n_samples, n_timesteps, n_features), got {ndim}D array instead."
            )
        if getattr(X, "dtype", None) is not None and X.dtype.kind in "OSU":
            kinds = {type(v) for v in np.asarray(X).ravel()[:50]}
            if any(issubclass(k, (str, bytes)) for k in kinds):
                raise TypeError(
                    f"{name} expects numeric sequences, got an array of dtype "
                    f"{X.dtype} holding strings. Encode categories or text as "
                    "numbers first (token ids for text, with vocab_size set)."
                )
        fast = _plain_float_array(X) and not tokens
        if fast and not reset and not hasattr(estimator, "feature_names_in_"):
            # what validate_data checks on a float ndarray after fit, without
            # its dataframe detection (most of the cost of predicting one window)
            with _time_steps_named():
                _check_n_features(estimator, X, reset=False)
            data = X
        else:
            with _time_steps_named():
                data = validate_data(
                    estimator,
                    X,
                    reset=reset,
                    allow_nd=True,
                    dtype=None if tokens else (np.float32, np.float64),
                    ensure_min_features=1,
                    ensure_min_samples=1,
                    ensure_all_finite=not fast,
                )
        if fast:
            for part in _distinct_values(data):
                with np.errstate(over="ignore"):
                    finite = np.isfinite(part.sum())
                if not finite:
                    # sklearn's check finds which value and words the error
                    _assert_all_finite(part, input_name="X", estimator_name=name)
        if data.ndim == 2:
            data = data[:, :, None]
        if data.shape[1] == 0:
            raise ValueError(
                f"X has sequences of 0 time steps (shape {data.shape}); every "
                "sequence needs at least one time step."
            )
        if data.shape[2] == 0:
            raise ValueError(
                f"X has 0 features per time step (shape {data.shape}); {name} "
                "needs at least one feature."
            )
        if not tokens:
            for part in _distinct_values(data):
                _check_magnitude(part, "X", name)
        seqs = _Sequences(data, None)
        if tokens:
            # token ids: trailing zeros are padding
            nonzero = seqs.data[:, :, 0] != 0
            last = np.where(
                nonzero.any(axis=1),
                nonzero.shape[1] - np.argmax(nonzero[:, ::-1], axis=1),
                1,
            )
            if (last < nonzero.shape[1]).any():
                seqs.lengths = last.astype(np.int64)
    if tokens:
        if seqs.data.shape[2] != 1:
            raise ValueError(
                "With vocab_size set, X must hold token ids as a 2D array "
                f"(n_samples, n_timesteps) or a list of 1D sequences; got "
                f"{seqs.data.shape[2]} features per time step."
            )
        if seqs.data.dtype.kind not in "iu":
            raise TypeError(
                "With vocab_size set, X must hold integer token ids, got "
                f"dtype {seqs.data.dtype}."
            )
        low, high = seqs.data.min(), seqs.data.max()
        vocab = estimator.vocab_size
        if vocab == "auto":  # the fitted size; during fit, the data's
            vocab = high + 1 if reset else estimator.vocab_size_
        if low < 0 or high >= vocab:
            raise ValueError(
                f"Token ids must lie in [0, vocab_size - 1] = [0, {vocab - 1}], "
                f"got values in [{low}, {high}]. Raise vocab_size or re-encode "
                "the tokens (0 is the padding id)."
            )
    width = seqs.data.shape[2]
    if reset:
        estimator.input_size_ = width
    elif width != estimator.input_size_:
        raise ValueError(
            f"X has {width} features per time step, but {name} is expecting "
            f"{estimator.input_size_} features per time step as input."
        )
    return seqs


def check_target(estimator, y, n_samples, *, numeric):
    """Validate ``y`` against the number of sequences; NaN/inf rejected."""
    name = _name(estimator)
    if y is None:
        raise ValueError(
            f"{name} requires y to be passed, but the target y is None."
        )
    y = _from_torch(y)
    # an array's own shape; an object array only for lists (ragged y), as
    # one float object per value would take several times y's memory
    y_shape = y.shape if hasattr(y, "shape") else np.shape(np.asarray(y, dtype=object))
    if len(y_shape) > 2:
        raise ValueError(
            f"y must be 1D (n_samples,) or 2D (n_samples, n_outputs), got "
            f"{len(y_shape)}D y of shape {y_shape}."
        )
    y = check_array(
        y,
        ensure_2d=False,
        dtype="numeric" if numeric else None,
        ensure_all_finite=numeric or np.asarray(y).dtype.kind == "f",
        input_name="y",
    )
    if y.shape[0] != n_samples:
        raise ValueError(
            f"X and y have different numbers of samples: X has {n_samples} "
            f"sequences, y has {y.shape[0]} values. Pass one target per sequence."
        )
    if numeric:
        _check_magnitude(y, "y", name)
    return y


def check_weights(sample_weight, n_samples):
    """Validated per-sequence weights as float64, or None for equal weights.

    Equal weights (all ones, or any constant) weigh every sequence alike,
    which the loss does without weights: None keeps that path exact.
    """
    if sample_weight is None:
        return None
    sample_weight = _from_torch(sample_weight)
    weight = _check_sample_weight(
        sample_weight, np.empty((n_samples, 0)), dtype=np.float64, ensure_non_negative=True
    )
    if (weight == weight[0]).all():
        return None
    return weight

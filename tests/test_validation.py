"""Tests of check_sequences and check_target."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator

from sklstm import LSTMRegressor
from sklstm._validation import _passes_quick_check, check_sequences, check_target


class _Holder(BaseEstimator):
    """A bare estimator to record validation attributes on."""

    vocab_size = None


def test_check_sequences_2d_becomes_univariate_3d():
    """(n, t) becomes (n, t, 1); n_features_in_ counts time steps."""
    est = _Holder()
    seqs = check_sequences(est, np.zeros((4, 6)), reset=True)
    assert seqs.data.shape == (4, 6, 1) and seqs.lengths is None
    assert est.n_features_in_ == 6 and est.input_size_ == 1


def test_check_sequences_keeps_float64_and_casts_ints():
    """float64 and float32 are kept (no copy), integers become float32."""
    est = _Holder()
    X = np.zeros((2, 3, 2))
    assert check_sequences(est, X, reset=True).data is X
    assert check_sequences(est, np.zeros((2, 3), dtype=int), reset=True).data.dtype == np.float32


def test_check_sequences_does_not_copy_strided_views():
    """A read-only strided window view passes through without a copy."""
    series = np.arange(200.0).reshape(100, 2)
    view = np.lib.stride_tricks.sliding_window_view(series, 10, axis=0).transpose(0, 2, 1)
    seqs = check_sequences(_Holder(), view, reset=True)
    assert np.shares_memory(seqs.data, series)


def test_check_sequences_ragged_list_is_padded_with_lengths():
    """Variable-length sequences are zero-padded and their lengths kept."""
    est = _Holder()
    seqs = check_sequences(est, [np.ones(3), np.ones(5)], reset=True)
    assert seqs.data.shape == (2, 5, 1)
    np.testing.assert_array_equal(seqs.lengths, [3, 5])
    np.testing.assert_array_equal(seqs.data[0, :, 0], [1, 1, 1, 0, 0])


def test_check_sequences_equal_length_list_is_an_array():
    """A list of equal-length sequences is the same as the stacked array."""
    seqs = check_sequences(_Holder(), [np.ones((3, 2)), np.zeros((3, 2))], reset=True)
    assert seqs.data.shape == (2, 3, 2) and seqs.lengths is None


def test_check_sequences_dataframe_feature_names():
    """DataFrame columns are recorded and checked at predict time."""
    est = _Holder()
    df = pd.DataFrame(np.zeros((3, 2)), columns=["a", "b"])
    check_sequences(est, df, reset=True)
    assert list(est.feature_names_in_) == ["a", "b"]
    with pytest.warns(UserWarning, match="feature names"):
        check_sequences(est, np.zeros((3, 2)), reset=False)


@pytest.mark.parametrize(
    "X, error, message",
    [
        (np.zeros((2, 2, 2, 2)), ValueError, "Expected 2D input (n_samples, n_timesteps) or 3D input (n_samples, n_timesteps, n_features), got 4D array instead."),
        (np.zeros(3), ValueError, "Expected 2D array, got 1D array instead"),
        (np.array([[1.0, np.inf]]), ValueError, "Input X contains infinity"),
        (np.zeros((0, 3)), ValueError, "minimum of 1 is required"),
        (np.array([["x", "y"]], dtype=object), TypeError, "holding strings"),
        ([np.ones(2), np.ones((3, 2, 2))], ValueError, "got a 3D sequence at position 1"),
        ([np.ones(2), np.array(["a", "b", "c"])], TypeError, "Sequence 1 of X has dtype <U1"),
    ],
)
def test_check_sequences_error_messages(X, error, message):
    """Every rejection names the problem."""
    with pytest.raises(error, match=re.escape(message)):
        check_sequences(_Holder(), X, reset=True)


def test_check_target_errors():
    """y of the wrong length or with NaN is rejected with a clear message."""
    est = _Holder()
    with pytest.raises(ValueError, match=re.escape("X has 3 sequences, y has 2 values")):
        check_target(est, [1.0, 2.0], 3, numeric=True)
    with pytest.raises(ValueError, match="Input y contains NaN"):
        check_target(est, [1.0, np.nan], 2, numeric=True)
    with pytest.raises(ValueError, match=re.escape("requires y to be passed")):
        check_target(est, None, 2, numeric=True)


def test_passes_quick_check_accepts_only_plain_fitting_arrays():
    """The quick check passes plain float arrays of the fitted shape, nothing else."""
    rng = np.random.RandomState(0)
    X = rng.randn(10, 6, 2)
    reg = LSTMRegressor(hidden_size=2, max_epochs=1, conv_channels=None).fit(X, X[:, 0, 0])
    assert _passes_quick_check(reg, X[:1], max_steps=100)
    assert _passes_quick_check(reg, X[:1].astype(np.float32), max_steps=100)
    assert not _passes_quick_check(reg, list(X[:1]), max_steps=100)
    assert not _passes_quick_check(reg, X[:, ::-1], max_steps=100)  # a view
    assert not _passes_quick_check(reg, X[:3], max_steps=12)  # too many steps
    assert not _passes_quick_check(reg, X[:1, :5], max_steps=100)  # fewer steps
    assert not _passes_quick_check(reg, np.zeros((1, 6, 3)), max_steps=100)
    assert not _passes_quick_check(LSTMRegressor(), X[:1], max_steps=100)  # unfitted
    for value in (np.nan, np.inf, 1e200):
        bad = X[:1].copy()
        bad[0, 2, 1] = value
        assert not _passes_quick_check(reg, bad, max_steps=100)

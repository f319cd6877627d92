"""Tests of make_windows and SlidingWindowTransformer (hand-written arrays)."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from sklstm import SlidingWindowTransformer, make_windows


def test_make_windows_univariate_expected_arrays():
    """A 1D series gives (n, L, 1) windows and a 1D target."""
    X, y = make_windows(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), window_length=2)
    expected = np.array([[[1.0], [2.0]], [[2.0], [3.0]], [[3.0], [4.0]]])
    np.testing.assert_array_equal(X, expected)
    np.testing.assert_array_equal(y, [3.0, 4.0, 5.0])


def test_make_windows_horizon_and_stride():
    """horizon > 1 gives a 2D target; stride skips window starts."""
    X, y = make_windows(np.arange(10.0), window_length=3, horizon=2, stride=3)
    np.testing.assert_array_equal(X[:, :, 0], [[0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(y, [[3, 4], [6, 7]])


def test_make_windows_multivariate():
    """A 2D series keeps its feature axis in X and y."""
    series = np.array([[0, 10], [1, 11], [2, 12], [3, 13]], dtype=float)
    X, y = make_windows(series, window_length=2)
    np.testing.assert_array_equal(X[0], [[0, 10], [1, 11]])
    np.testing.assert_array_equal(y, [[[2, 12]], [[3, 13]]])
    assert X.flags.c_contiguous


def test_make_windows_dataframe_input():
    """A DataFrame series gives the same windows as its values."""
    df = pd.DataFrame({"a": np.arange(6.0), "b": np.arange(6.0) * 2})
    X, y = make_windows(df, 3)
    np.testing.assert_array_equal(X, make_windows(df.to_numpy(), 3)[0])


def test_make_windows_errors():
    """Too-short series, bad dimensions and bad parameters are explained."""
    with pytest.raises(ValueError, match=re.escape("too short for one window of window_length=5 followed by horizon=2")):
        make_windows(np.arange(6.0), window_length=5, horizon=2)
    with pytest.raises(ValueError, match=re.escape("got 3D array instead")):
        make_windows(np.zeros((4, 2, 2)), 2)
    with pytest.raises(InvalidParameterError, match="window_length"):
        make_windows(np.arange(6.0), window_length=0)
    with pytest.raises(ValueError, match="NaN.*SequenceImputer"):
        make_windows(np.array([1.0, np.nan, 3.0, 4.0]), 2)


def test_sliding_window_expected_arrays():
    """Row t holds the window ending at t, edge-padded at the start."""
    series = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]])
    out = SlidingWindowTransformer(window_length=2).fit_transform(series)
    expected = np.array(
        [[[1, 10], [1, 10]], [[1, 10], [2, 20]], [[2, 20], [3, 30]]], dtype=float
    )
    np.testing.assert_array_equal(out, expected)


def test_sliding_window_constant_fill():
    """A numeric fill pads with that constant."""
    out = SlidingWindowTransformer(window_length=3, fill=0.0).fit_transform(
        np.array([[5.0], [6.0]])
    )
    np.testing.assert_array_equal(out[:, :, 0], [[0, 0, 5], [0, 5, 6]])


def test_sliding_window_window_longer_than_series():
    """A window longer than the series still gives one row per time step."""
    out = SlidingWindowTransformer(window_length=4).fit_transform(np.array([[1.0], [2.0]]))
    np.testing.assert_array_equal(out[:, :, 0], [[1, 1, 1, 1], [1, 1, 1, 2]])


def test_sliding_window_is_a_view():
    """The output shares memory with one padded copy of the series: O(n)."""
    series = np.random.RandomState(0).randn(1000, 3)
    out = SlidingWindowTransformer(window_length=50).fit_transform(series)
    assert out.shape == (1000, 50, 3)
    assert not out.flags.writeable
    root = out
    while root.base is not None:
        root = root.base
    assert np.shares_memory(out, root)
    assert root.nbytes == (1000 + 49) * 3 * 8


def test_sliding_window_keeps_dtype_and_names():
    """float32 stays float32; DataFrame columns are recorded."""
    df = pd.DataFrame({"load": np.arange(5, dtype=np.float32)})
    tr = SlidingWindowTransformer(window_length=2).fit(df)
    assert list(tr.feature_names_in_) == ["load"]
    assert tr.transform(df).dtype == np.float32


def test_sliding_window_feature_mismatch():
    """A different number of columns at transform time is rejected."""
    tr = SlidingWindowTransformer(window_length=2).fit(np.zeros((5, 2)))
    with pytest.raises(ValueError, match=re.escape("X has 3 features, but SlidingWindowTransformer is expecting 2")):
        tr.transform(np.zeros((5, 3)))

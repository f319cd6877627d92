"""Tests of the training data: datasets, batches, statistics, device moves.

Most use the windows of ``SlidingWindowTransformer``, a read-only strided
view of a series, which must never be materialised: not for statistics,
not for a row subset, not on the way to a GPU.
"""

import numpy as np
import pytest
import torch

from sklstm import SlidingWindowTransformer
from sklstm._data import (
    _BatchIterator,
    _copy_span,
    _feature_stats,
    _SequenceDataset,
    _take,
    _take_rows,
    _to_device_once,
)
from sklstm._validation import _Sequences


def _windows(n_rows=40, n_features=2, window=6, dtype=np.float64, seed=0):
    series = np.random.RandomState(seed).randn(n_rows, n_features).astype(dtype)
    return series, SlidingWindowTransformer(window_length=window).fit_transform(series)


@pytest.mark.parametrize("n_rows, window", [(1, 4), (3, 5), (40, 6), (200, 1)])
def test_window_view_feature_stats_match_copy(n_rows, window):
    """Statistics computed on the view equal those of the materialised windows."""
    _, windows = _windows(n_rows=n_rows, window=window)
    for data in (windows, windows[::-1], windows.astype(np.float32)):
        mean, scale = _feature_stats(_Sequences(data))
        copy_mean, copy_scale = _feature_stats(_Sequences(np.ascontiguousarray(data)))
        np.testing.assert_allclose(mean, copy_mean, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(scale, copy_scale, rtol=1e-5)


def test_window_view_row_subsets_are_not_copied():
    """The early-stopping tail is a view; scattered rows index into the data."""
    _, windows = _windows()
    seqs = _Sequences(windows)
    tail = _take(seqs, np.arange(30, 40))
    assert np.shares_memory(tail.data, windows) and len(tail) == 10
    rows = np.array([3, 11, 29])
    subset = _take(seqs, rows)
    assert subset.data is windows and len(subset) == 3
    Xb, yb = _SequenceDataset(subset, np.arange(3.0)).batch(torch.tensor([2, 0]))
    np.testing.assert_array_equal(Xb.numpy(), windows[[29, 3]].astype(np.float32))
    np.testing.assert_array_equal(yb.numpy(), [2.0, 0.0])


def test_window_view_copied_to_a_device_as_its_series():
    """Moving windows to a device copies the series they view, not the windows."""
    _, windows = _windows()
    X = _SequenceDataset(_Sequences(windows)).X
    moved = _copy_span(X, "cpu", torch.float32)
    assert moved.dtype == torch.float32 and moved.stride() == X.stride()
    # the (edge-padded) series: one row per window plus the window's length
    n_windows, window, n_features = windows.shape
    assert moved.untyped_storage().nbytes() == (n_windows + window - 1) * n_features * 4
    assert moved.data_ptr() != X.data_ptr()
    np.testing.assert_array_equal(moved.numpy(), windows.astype(np.float32))
    tail = _SequenceDataset(_take(_Sequences(windows), np.arange(30, 40))).X
    np.testing.assert_array_equal(
        _copy_span(tail, "cpu", torch.float32).numpy(), windows[30:40].astype(np.float32)
    )


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_window_view_training_data_moves_to_gpu_once():
    """On a GPU the windows move once, as their series, and batches are cut there."""
    _, windows = _windows()
    rows = np.array([3, 11, 29])
    dataset = _SequenceDataset(_take(_Sequences(windows), rows), np.arange(3.0))
    assert _to_device_once(dataset, "cuda")
    assert dataset.X.is_cuda and dataset.y.is_cuda
    assert dataset.X.untyped_storage().nbytes() < windows.size * 4
    Xb, yb = dataset.batch(torch.tensor([2, 0], dtype=torch.int32))
    assert Xb.is_cuda
    np.testing.assert_array_equal(Xb.cpu().numpy(), windows[[29, 3]].astype(np.float32))
    np.testing.assert_array_equal(yb.cpu().numpy(), [2.0, 0.0])


def test_dataset_standardises_targets_per_batch():
    """y_shift and y_scale give the batches what a standardised copy would hold."""
    rng = np.random.RandomState(0)
    y = rng.randn(30, 2) * [5.0, 0.01] + [1e6, -3.0]
    shift, scale = y.mean(axis=0), y.std(axis=0)
    X = rng.randn(30, 4, 1)
    dataset = _SequenceDataset(_Sequences(X), y, shift, scale)
    expected = ((y - shift) / scale).astype(np.float32)
    batches = list(_BatchIterator(dataset, batch_size=8, shuffle=True))
    assert all(yb.dtype == torch.float32 for _, yb in batches)
    got = np.concatenate([yb.numpy() for _, yb in batches])
    np.testing.assert_allclose(np.sort(got, axis=0), np.sort(expected, axis=0), rtol=1e-6)
    _, yb = dataset.batch(slice(0, 5))
    np.testing.assert_allclose(yb.numpy(), expected[:5], rtol=1e-6)


def test_take_rows_is_a_view_for_a_run_of_rows():
    """The tail split of y is a view; scattered rows are a copy, as indexing gives."""
    y = np.arange(20.0)
    tail = _take_rows(y, np.arange(15, 20))
    assert np.shares_memory(tail, y)
    np.testing.assert_array_equal(tail, y[15:])
    scattered = _take_rows(y, np.array([3, 1, 7]))
    np.testing.assert_array_equal(scattered, [3.0, 1.0, 7.0])


def test_shuffled_batches_cover_every_row_once():
    """One epoch's shuffled batches hold each row exactly once."""
    X = np.arange(50, dtype=np.float32).reshape(50, 1, 1)
    dataset = _SequenceDataset(_Sequences(X), np.arange(50.0))
    rows = np.concatenate(
        [Xb[:, 0, 0].numpy() for Xb, _ in _BatchIterator(dataset, 16, shuffle=True)]
    )
    assert sorted(rows.tolist()) == list(range(50))


def test_to_device_once_leaves_cpu_data_alone():
    """On the CPU nothing is copied: batches are cut from the caller's data."""
    _, windows = _windows()
    dataset = _SequenceDataset(_Sequences(windows))
    before = dataset.X
    assert not _to_device_once(dataset, "cpu")
    assert dataset.X is before

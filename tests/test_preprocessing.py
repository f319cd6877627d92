"""Tests of SequenceScaler and SequenceImputer."""

import re

import numpy as np
import pytest

from sklstm import SequenceImputer, SequenceScaler


def test_scaler_standardises_each_feature_over_time():
    """Each feature has mean 0 and std 1 over all steps of all sequences."""
    X = np.random.RandomState(0).randn(10, 7, 3) * [1, 10, 100] + [0, 5, -50]
    Xt = SequenceScaler().fit_transform(X)
    np.testing.assert_allclose(Xt.reshape(-1, 3).mean(axis=0), 0, atol=1e-10)
    np.testing.assert_allclose(Xt.reshape(-1, 3).std(axis=0), 1, atol=1e-10)


def test_scaler_variable_length_and_inverse():
    """Lists are scaled per feature over all their steps and round-trip."""
    seqs = [np.array([[1.0], [3.0]]), np.array([[5.0], [7.0], [9.0]])]
    scaler = SequenceScaler().fit(seqs)
    np.testing.assert_allclose(scaler.mean_, [5.0])
    out = scaler.transform(seqs)
    assert [len(s) for s in out] == [2, 3]
    back = scaler.inverse_transform(out)
    for a, b in zip(back, seqs):
        np.testing.assert_allclose(a, b)


def test_scaler_keeps_1d_sequences_1d():
    """A list of 1D sequences comes back as 1D sequences."""
    out = SequenceScaler().fit_transform([np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])])
    assert [s.ndim for s in out] == [1, 1]


def test_scaler_feature_mismatch():
    """A different number of features per step is rejected."""
    scaler = SequenceScaler().fit(np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match=re.escape("X has 1 features per time step, but SequenceScaler is expecting 2")):
        scaler.transform([np.zeros((3, 1)), np.zeros((2, 1))])


def test_imputer_linear_and_ffill_expected():
    """Linear interpolation and carry-forward fill the gaps as written."""
    X = np.array([[np.nan, 2.0, np.nan, 4.0, np.nan]])
    np.testing.assert_array_equal(SequenceImputer().fit_transform(X), [[2, 2, 3, 4, 4]])
    np.testing.assert_array_equal(
        SequenceImputer(method="ffill").fit_transform(X), [[2, 2, 2, 4, 4]]
    )


def test_imputer_all_missing_feature_uses_training_mean():
    """A sequence that never observes a feature gets that feature's mean."""
    X = np.array([[[1.0, np.nan], [3.0, np.nan]], [[5.0, 10.0], [7.0, 20.0]]])
    out = SequenceImputer().fit_transform(X)
    np.testing.assert_array_equal(out[0, :, 1], [15.0, 15.0])
    assert not np.isnan(out).any()


def test_imputer_variable_length():
    """Each sequence of a list is filled on its own."""
    seqs = [np.array([1.0, np.nan, 3.0]), np.array([np.nan, 8.0])]
    out = SequenceImputer().fit_transform(seqs)
    np.testing.assert_array_equal(out[0], [1, 2, 3])
    np.testing.assert_array_equal(out[1], [8, 8])


def test_imputer_does_not_modify_input():
    """The input array is left untouched."""
    X = np.array([[1.0, np.nan, 3.0]])
    SequenceImputer().fit_transform(X)
    assert np.isnan(X[0, 1])


def test_preprocessing_rejects_4d():
    """Only 2D, 3D or list input is accepted."""
    with pytest.raises(ValueError, match=re.escape("got 4D array instead")):
        SequenceImputer().fit(np.zeros((2, 2, 2, 2)))

"""Tests of LSTMAnomalyDetector."""

import pickle
import re

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

from sklstm import LSTMAnomalyDetector, SlidingWindowTransformer

# Small enough to train in well under a second, large enough to learn a sine.
PARAMS = dict(hidden_size=8, max_epochs=30, batch_size=32, lr=0.01, random_state=0)
WINDOW = 10
N_TRAIN = 200
SPIKE = 220


def _sine(n=240, n_features=1, seed=0):
    """A noisy sine wave (one column per feature, phase-shifted)."""
    rng = np.random.RandomState(seed)
    t = np.arange(n)[:, None] + 5 * np.arange(n_features)[None, :]
    return np.sin(2 * np.pi * t / 20) + 0.05 * rng.randn(n, n_features)


def _windows(series):
    """One window per row, ending at that row."""
    return SlidingWindowTransformer(window_length=WINDOW).fit_transform(series)


@pytest.fixture(scope="module")
def series():
    """A clean sine and the same sine with a spike at row SPIKE."""
    clean = _sine()
    dirty = clean.copy()
    dirty[SPIKE] += 3.0
    return clean, dirty


@pytest.fixture(scope="module", params=["forecast", "reconstruction"])
def fitted(request, series):
    """A detector fitted on the clean head of the series (do not refit it)."""
    clean, _ = series
    det = LSTMAnomalyDetector(method=request.param, **PARAMS)
    return det.fit(_windows(clean[:N_TRAIN]))


def test_anomaly_detector_api_and_signs(fitted, series):
    """predict is -1/+1, decision_function is score_samples minus offset_."""
    _, dirty = series
    X = _windows(dirty)
    scores = fitted.score_samples(X)
    decision = fitted.decision_function(X)
    labels = fitted.predict(X)
    assert scores.shape == decision.shape == labels.shape == (len(dirty),)
    assert scores.dtype == np.float64
    assert labels.dtype.kind == "i"
    assert set(np.unique(labels)) <= {-1, 1}
    np.testing.assert_allclose(decision, scores - fitted.offset_)
    np.testing.assert_array_equal(labels, np.where(decision < 0, -1, 1))
    # higher is more normal: scores are minus a distance
    assert (scores <= 0).all()


def test_anomaly_detector_learns_and_ranks_the_spike_lowest(fitted, series):
    """Training loss falls, and the spike gets the lowest score of the series."""
    _, dirty = series
    assert fitted.loss_curve_[0] > 2 * fitted.loss_curve_[-1]
    scores = fitted.score_samples(_windows(dirty))
    if fitted.method == "forecast":
        # the window ending at the spike forecasts it from a normal past
        assert np.argmin(scores) == SPIKE
    else:
        # every window that holds the spike reconstructs it badly
        assert SPIKE <= np.argmin(scores) < SPIKE + WINDOW


def test_anomaly_detector_auto_flags_few_clean_and_the_spike(fitted, series):
    """contamination="auto" flags almost nothing on clean data, and the spike."""
    clean, dirty = series
    # rows after the first WINDOW - 1, whose windows are padded at the start
    assert np.mean(fitted.predict(_windows(clean))[WINDOW - 1 :] == -1) <= 0.02
    labels = fitted.predict(_windows(dirty))
    if fitted.method == "forecast":
        assert labels[SPIKE] == -1
    else:
        assert (labels[SPIKE : SPIKE + WINDOW] == -1).any()
    # elsewhere (the windows that hold the spike and the padded ones aside)
    # the flags stay rare
    elsewhere = np.r_[labels[WINDOW - 1 : SPIKE], labels[SPIKE + WINDOW :]]
    assert np.mean(elsewhere == -1) <= 0.02


@pytest.mark.parametrize("contamination", [0.05, 0.2])
def test_anomaly_detector_contamination_sets_training_share(series, contamination):
    """A float contamination flags that share of the training sequences."""
    clean, _ = series
    X = _windows(clean[:N_TRAIN])
    det = LSTMAnomalyDetector(contamination=contamination, **PARAMS).fit(X)
    share = np.mean(det.predict(X) == -1)
    assert share == pytest.approx(contamination, abs=1 / len(X))
    expected = np.percentile(det.score_samples(X), 100 * contamination)
    assert det.offset_ == pytest.approx(expected)


def test_anomaly_detector_multivariate_scale_invariant():
    """Multiplying one feature by 1000 does not change the flags or scores."""
    series = _sine(n_features=2)
    series[SPIKE, 1] += 3.0
    X = _windows(series)
    scaled = X * np.array([1000.0, 1.0])
    det = LSTMAnomalyDetector(**PARAMS).fit(X[:N_TRAIN])
    det_scaled = LSTMAnomalyDetector(**PARAMS).fit(scaled[:N_TRAIN])
    np.testing.assert_array_equal(det.predict(X), det_scaled.predict(scaled))
    np.testing.assert_allclose(
        det.score_samples(X), det_scaled.score_samples(scaled), rtol=1e-3, atol=1e-3
    )
    assert det.predict(X)[SPIKE] == -1
    assert det.error_covariance_.shape == (2, 2)


def test_anomaly_detector_pipeline_scores_every_row(series):
    """After SlidingWindowTransformer, each row of a series gets one score."""
    clean, dirty = series
    pipe = make_pipeline(
        SlidingWindowTransformer(window_length=WINDOW), LSTMAnomalyDetector(**PARAMS)
    )
    pipe.fit(clean[:N_TRAIN])
    assert pipe.score_samples(dirty).shape == (len(dirty),)
    assert pipe.decision_function(dirty).shape == (len(dirty),)
    labels = pipe.predict(dirty)
    assert labels.shape == (len(dirty),)
    assert labels[SPIKE] == -1


def test_anomaly_detector_random_state_reproducible(series):
    """The same seed gives the same scores, another seed different ones."""
    clean, _ = series
    X = _windows(clean[:100])
    params = {**PARAMS, "max_epochs": 3}
    a = LSTMAnomalyDetector(**params).fit(X).score_samples(X)
    b = LSTMAnomalyDetector(**params).fit(X).score_samples(X)
    c = LSTMAnomalyDetector(**{**params, "random_state": 1}).fit(X).score_samples(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_anomaly_detector_pickle_round_trip(fitted, series):
    """A pickled and unpickled detector gives identical scores and labels."""
    _, dirty = series
    X = _windows(dirty)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.score_samples(X), fitted.score_samples(X))
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))
    assert restored.offset_ == fitted.offset_


def test_anomaly_detector_holds_out_the_tail(series):
    """The error mean is fitted on the last holdout_fraction of the sequences."""
    clean, _ = series
    X = _windows(clean[:100])
    det = LSTMAnomalyDetector(holdout_fraction=0.3, **{**PARAMS, "max_epochs": 3})
    det.fit(X)
    with torch.no_grad():
        tail = det.module_(torch.as_tensor(X[70:], dtype=torch.float32)).numpy()
        head = det.module_(torch.as_tensor(X[:70], dtype=torch.float32)).numpy()
    np.testing.assert_allclose(det.error_mean_, tail.mean(axis=0), atol=1e-5)
    assert not np.allclose(det.error_mean_, head.mean(axis=0), atol=1e-5)


# four epochs may end before the stopping rule fires; that warning is expected
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_anomaly_detector_early_stopping_uses_remaining_tail(series):
    """Early stopping validates on the tail of the sequences left for training."""
    clean, _ = series
    X = _windows(clean[:N_TRAIN])
    det = LSTMAnomalyDetector(
        early_stopping=True, n_iter_no_change=2, **{**PARAMS, "max_epochs": 4}
    ).fit(X)
    assert len(det.validation_loss_curve_) == det.n_iter_
    assert 1 <= det.best_epoch_ <= det.n_iter_


@pytest.mark.parametrize("method", ["forecast", "reconstruction"])
@pytest.mark.parametrize("n_timesteps", [1, 2])
def test_anomaly_detector_very_short_sequences(method, n_timesteps):
    """Sequences of one or two steps work (one step: forecast from no past)."""
    X = np.random.RandomState(0).randn(20, n_timesteps)
    det = LSTMAnomalyDetector(method=method, **{**PARAMS, "max_epochs": 2}).fit(X)
    assert det.score_samples(X).shape == (20,)


@pytest.mark.parametrize("method", ["forecast", "reconstruction"])
def test_anomaly_detector_variable_length_sequences(method, monkeypatch):
    """A list of sequences of different lengths gets one score each."""
    rng = np.random.RandomState(0)
    X = [rng.randn(n, 2) for n in rng.randint(3, 9, size=20)]
    det = LSTMAnomalyDetector(method=method, **{**PARAMS, "max_epochs": 2}).fit(X)
    scores = det.score_samples(X)
    assert scores.shape == (20,)
    # a sequence's score does not depend on the padding of its batch ...
    np.testing.assert_allclose(det.score_samples(X[:1]), scores[:1])
    # ... nor on prediction batches cut to different lengths
    monkeypatch.setattr(det, "_chunk_rows", lambda n_timesteps: 3)
    np.testing.assert_allclose(det.score_samples(X), scores)


def test_anomaly_detector_docstring_states_the_sign():
    """The docstring warns that aeon-style libraries use the opposite sign."""
    doc = " ".join(LSTMAnomalyDetector.__doc__.split())
    assert "aeon and similar libraries use the opposite sign" in doc


def test_anomaly_detector_too_few_sequences():
    """One sequence leaves nothing to train on once the tail is held out."""
    msg = (
        "LSTMAnomalyDetector trains on the first sequences and holds out the "
        "last holdout_fraction=0.2 to fit the error distribution, which leaves "
        "no sequence to train on with n_samples=1. Pass at least 2 sequences or "
        "a smaller holdout_fraction."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        LSTMAnomalyDetector(**PARAMS).fit(np.zeros((1, 5)))


def test_anomaly_detector_bad_input_errors(fitted):
    """Wrong dimensions, features and parameters raise clear errors."""
    X = np.zeros((4, 10, 1))
    msg = (
        "Expected 2D input (n_samples, n_timesteps) or 3D input (n_samples, "
        "n_timesteps, n_features), got 4D array instead."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        fitted.score_samples(X[..., None])
    msg = (
        "X has 2 features per time step, but LSTMAnomalyDetector is expecting "
        "1 features per time step as input."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        fitted.predict(np.zeros((4, 10, 2)))
    with pytest.raises(ValueError, match="contamination"):
        LSTMAnomalyDetector(contamination=0.7).fit(X)
    with pytest.raises(ValueError, match="method"):
        LSTMAnomalyDetector(method="autoencoder").fit(X)
    with pytest.raises(ValueError, match="NaN"):
        fitted.score_samples(np.full((4, 10, 1), np.nan))
    with pytest.raises(NotFittedError):
        LSTMAnomalyDetector().score_samples(X)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_anomaly_detector_cuda_scores_the_spike(series):
    """On a GPU the detector trains, scores in float32 and still finds the spike."""
    clean, dirty = series
    det = LSTMAnomalyDetector(device="cuda", **PARAMS).fit(_windows(clean[:N_TRAIN]))
    assert next(det.module_.parameters()).is_cuda
    scores = det.score_samples(_windows(dirty))
    assert scores.shape == (len(dirty),)
    assert np.argmin(scores) == SPIKE


def test_anomaly_detector_scoring_copy_cached_and_refreshed(series):
    """The float64 scoring network is copied once per state of the network."""
    from sklstm._anomaly import _scoring_copy

    clean, dirty = series
    X = _windows(clean[:N_TRAIN])
    det = LSTMAnomalyDetector(method="reconstruction", **{**PARAMS, "max_epochs": 3})
    det.fit(X)
    attributes = set(vars(det))
    before = det.score_samples(_windows(dirty))
    assert _scoring_copy(det.module_) is _scoring_copy(det.module_)
    # the cache is not an attribute: pickling and save_model see no change
    assert set(vars(det)) == attributes
    # a warm-start refit changes the network in place: a new copy scores
    first = _scoring_copy(det.module_)
    det.set_params(warm_start=True, max_epochs=2).fit(_windows(dirty[:N_TRAIN]))
    assert _scoring_copy(det.module_) is not first
    after = det.score_samples(_windows(dirty))
    assert not np.allclose(before, after)
    fresh = pickle.loads(pickle.dumps(det))
    np.testing.assert_array_equal(after, fresh.score_samples(_windows(dirty)))
    # weights loaded in place are seen too
    state = {k: v.clone() for k, v in fresh.module_.state_dict().items()}
    with torch.no_grad():
        for p in det.module_.parameters():
            p.mul_(0.5)
    assert not np.allclose(after, det.score_samples(_windows(dirty)))
    det.module_.load_state_dict(state)
    np.testing.assert_array_equal(after, det.score_samples(_windows(dirty)))


@pytest.mark.parametrize("method", ["forecast", "reconstruction"])
def test_anomaly_detector_newest_window_short_path_matches(method, series):
    """One or a few windows (the streaming case) score as in a long batch."""
    clean, dirty = series
    det = LSTMAnomalyDetector(method=method, **{**PARAMS, "max_epochs": 2})
    det.fit(_windows(clean[:N_TRAIN]))
    X = np.ascontiguousarray(_windows(dirty))
    full = det.score_samples(np.asfortranarray(X))  # the general path
    for rows in [slice(SPIKE, SPIKE + 1), slice(len(X) - 5, len(X))]:
        part = np.ascontiguousarray(X[rows])
        np.testing.assert_allclose(det.score_samples(part), full[rows], rtol=1e-12)
        np.testing.assert_allclose(
            det.decision_function(part), full[rows] - det.offset_, rtol=1e-12
        )
        # the same numbers through the general path (not C-contiguous)
        np.testing.assert_allclose(
            det.score_samples(np.asfortranarray(part)), full[rows], rtol=1e-12
        )
    # 2D univariate input and float32 take the short path too
    newest = np.ascontiguousarray(X[-1:, :, 0])
    np.testing.assert_allclose(det.score_samples(newest), full[-1:], rtol=1e-12)
    np.testing.assert_allclose(
        det.score_samples(newest.astype(np.float32)), full[-1:], rtol=1e-12
    )
    # bad input still gets the general path's errors
    with pytest.raises(ValueError):
        det.score_samples(np.full((1, WINDOW, 1), np.nan))
    with pytest.raises(ValueError):
        det.score_samples(np.zeros((1, WINDOW + 1, 1)))

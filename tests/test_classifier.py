"""Tests of LSTMClassifier."""

import pickle
import re

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError

from sklstm import LSTMClassifier

from conftest import FAST


@pytest.fixture(scope="module")
def fitted():
    """One fitted classifier shared by the read-only tests (do not refit it)."""
    rng = np.random.RandomState(0)
    X = rng.randn(60, 8, 1)
    y = np.where(X[:, :, 0].mean(axis=1) > 0, "pos", "neg")
    return LSTMClassifier(**FAST).fit(X, y), X, y


def test_classifier_learns(classification_data):
    """The loss falls and training accuracy is high on a learnable task."""
    X, y = classification_data
    clf = LSTMClassifier(hidden_size=16, max_epochs=40, lr=0.01, random_state=0)
    clf.fit(X, y)
    assert clf.loss_curve_[0] > 2 * clf.loss_curve_[-1]
    assert clf.score(X, y) > 0.75


def test_classifier_string_labels_round_trip(fitted):
    """classes_ holds the labels; predict returns labels from classes_."""
    clf, X, y = fitted
    np.testing.assert_array_equal(clf.classes_, ["neg", "pos"])
    assert set(clf.predict(X)) <= set(clf.classes_)


def test_classifier_predict_proba_rows_sum_to_one(fitted):
    """Probabilities are in [0, 1], sum to 1, and agree with predict."""
    clf, X, _ = fitted
    proba = clf.predict_proba(X)
    assert proba.shape == (60, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))


def test_classifier_multiclass(rng):
    """Three classes of integer labels are learnt and returned as given."""
    X = rng.randn(90, 6, 2)
    y = np.digitize(X[:, :, 0].mean(axis=1), [-0.2, 0.2]) * 10
    clf = LSTMClassifier(hidden_size=16, max_epochs=30, lr=0.01, random_state=0)
    clf.fit(X, y)
    np.testing.assert_array_equal(clf.classes_, [0, 10, 20])
    assert clf.predict_proba(X).shape == (90, 3)
    assert clf.score(X, y) > 0.6


def test_classifier_class_weight_balanced(rng):
    """class_weight='balanced' raises the probability given to a rare class."""
    X = rng.randn(120, 6, 1)
    y = np.where(X[:, :, 0].mean(axis=1) > 0.45, "rare", "common")
    params = {**FAST, "max_epochs": 5, "lr": 0.01}
    plain = LSTMClassifier(**params).fit(X, y)
    balanced = LSTMClassifier(class_weight="balanced", **params).fit(X, y)
    rare = list(plain.classes_).index("rare")
    assert balanced.predict_proba(X)[:, rare].mean() > plain.predict_proba(X)[:, rare].mean() + 0.1
    weighted = LSTMClassifier(class_weight={"rare": 5.0, "common": 1.0}, **params)
    assert weighted.fit(X, y).predict(X).shape == (120,)


def test_classifier_token_ids(rng):
    """With vocab_size, integer token ids (0 = padding) are embedded."""
    n = 80
    X = rng.randint(1, 20, size=(n, 9))
    y = np.where(X[:, 0] > 10, "high", "low")
    lengths = rng.randint(3, 10, size=n)
    for row, length in zip(X, lengths):
        row[length:] = 0
    clf = LSTMClassifier(
        vocab_size=20, embedding_dim=8, hidden_size=16, max_epochs=30, lr=0.01,
        random_state=0,
    ).fit(X, y)
    assert clf.score(X, y) > 0.75
    ragged = [row[:length] for row, length in zip(X, lengths)]
    np.testing.assert_allclose(clf.predict_proba(ragged), clf.predict_proba(X), atol=1e-6)
    assert clf.module_.encoder.embedding.num_embeddings == 20


def test_classifier_token_id_errors():
    """Token ids outside the vocabulary or as floats are rejected."""
    clf = LSTMClassifier(vocab_size=5, **FAST)
    with pytest.raises(ValueError, match=re.escape("Token ids must lie in [0, vocab_size - 1] = [0, 4]")):
        clf.fit(np.array([[1, 7], [2, 3]]), [0, 1])
    with pytest.raises(TypeError, match=re.escape("must hold integer token ids")):
        clf.fit(np.array([[1.5, 2.0], [2.0, 3.0]]), [0, 1])
    with pytest.raises(ValueError, match=re.escape("must hold token ids as a 2D array")):
        clf.fit(np.ones((2, 3, 2), dtype=int), [0, 1])


def test_classifier_variable_length(rng):
    """Lists of variable-length multivariate sequences train and predict."""
    seqs = [rng.randn(n, 3) + (n > 8) for n in rng.randint(4, 14, size=50)]
    y = np.array(["long" if len(s) > 8 else "short" for s in seqs])
    clf = LSTMClassifier(**FAST).fit(seqs, y)
    assert clf.predict(seqs).shape == (50,)


# five epochs are too few for the stopping rule to fire; the split is the point
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_classifier_early_stopping_validates_every_class(rng):
    """The tail validation split is taken per class, so sorted labels work."""
    X = rng.randn(40, 5, 1)
    y = np.array(["a"] * 20 + ["b"] * 20)
    clf = LSTMClassifier(early_stopping=True, validation_fraction=0.2, **FAST)
    train, valid = clf._validation_split(40, groups=(y == "b").astype(int))
    assert set(y[valid]) == {"a", "b"}
    np.testing.assert_array_equal(valid, [16, 17, 18, 19, 36, 37, 38, 39])
    clf.fit(X, y)
    assert len(clf.validation_loss_curve_) == clf.n_iter_


def test_classifier_pickle_round_trip(fitted):
    """Unpickled models give identical probabilities."""
    clf, X, _ = fitted
    clone = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(clone.predict_proba(X), clf.predict_proba(X))


def test_classifier_random_state_reproducible(classification_data):
    """The same random_state gives equal probabilities; another differs."""
    X, y = classification_data
    a = LSTMClassifier(**FAST).fit(X, y).predict_proba(X)
    b = LSTMClassifier(**FAST).fit(X, y).predict_proba(X)
    c = LSTMClassifier(**{**FAST, "random_state": 3}).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_classifier_errors(classification_data):
    """One class, unknown label types, 2D labels and unfitted use are rejected."""
    X, y = classification_data
    with pytest.raises(ValueError, match=re.escape("needs at least 2 classes in y, got 1 class")):
        LSTMClassifier(**FAST).fit(X, np.zeros(60))
    with pytest.raises(ValueError, match="Unknown label type"):
        LSTMClassifier(**FAST).fit(X, np.linspace(0, 1, 60))
    with pytest.raises(ValueError, match=re.escape("takes one label per sequence")):
        LSTMClassifier(**FAST).fit(X, np.zeros((60, 2)))
    with pytest.raises(NotFittedError):
        LSTMClassifier().predict_proba(X)


def test_classifier_warm_start_rejects_new_classes(classification_data):
    """warm_start continues training only on the classes seen first."""
    X, y = classification_data
    clf = LSTMClassifier(warm_start=True, **FAST).fit(X, y)
    clf.fit(X, y)
    assert clf.n_iter_ == 2 * FAST["max_epochs"]
    y_new = y.copy()
    y_new[0] = "new"
    with pytest.raises(ValueError, match=re.escape("labels ['new'] not seen in the first fit")):
        clf.fit(X, y_new)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_classifier_cuda_variable_length_and_tokens(rng):
    """Packed sequences and token embeddings train and predict on the GPU."""
    X = [rng.randn(n, 1) + (i % 2) for i, n in enumerate(rng.randint(4, 15, size=60))]
    y = np.array(["even", "odd"] * 30)
    clf = LSTMClassifier(device="cuda", **{**FAST, "max_epochs": 20, "lr": 0.01})
    clf.fit(X, y)
    assert next(clf.module_.parameters()).is_cuda
    assert clf.score(X, y) > 0.75
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    tokens = rng.randint(1, 20, size=(40, 6))
    labels = tokens[:, 0] % 2
    tok = LSTMClassifier(device="cuda", vocab_size=20, embedding_dim=4, **FAST)
    assert tok.fit(tokens, labels).predict(tokens).shape == (40,)


# --- the LSTM-FCN branch ----------------------------------------------------

_FCN = dict(FAST, fcn_channels=(4, 8, 4), max_epochs=2)


def test_classifier_fcn_branch_fits_and_predicts(classification_data):
    """fcn_channels adds the branch; predictions keep their shapes."""
    X, y = classification_data
    clf = LSTMClassifier(**_FCN).fit(X, y)
    assert clf.module_.encoder.fcn is not None
    assert clf.predict_proba(X[:3]).shape == (3, 2)
    lengths = np.random.RandomState(1).randint(3, 9, len(X))
    ragged = [x[:n] for x, n in zip(X, lengths)]
    proba = clf.fit(ragged, y).predict_proba(ragged[:4])
    np.testing.assert_allclose(proba[1], clf.predict_proba([ragged[1]])[0], rtol=1e-5)


def test_classifier_fcn_warm_start_refuses_a_change(classification_data):
    """The branch fixes the network's shape: a warm fit refuses a change."""
    X, y = classification_data
    clf = LSTMClassifier(**dict(_FCN, max_epochs=1), warm_start=True).fit(X, y)
    clf.set_params(fcn_channels=(4, 8, 6))
    with pytest.raises(ValueError, match="fcn_channels"):
        clf.fit(X, y)
    clf.set_params(fcn_channels=(4, 8, 4), fcn_kernel_sizes=(3, 3, 3))
    with pytest.raises(ValueError, match="fcn_kernel_sizes"):
        clf.fit(X, y)
    clf.set_params(fcn_channels=None, fcn_kernel_sizes=(8, 5, 3))
    with pytest.raises(ValueError, match="fcn_channels"):
        clf.fit(X, y)


def test_classifier_fcn_save_load_round_trip(classification_data, tmp_path):
    """save_model / load_model rebuild the branch and its batch-norm statistics."""
    from sklstm import load_model, save_model

    X, y = classification_data
    clf = LSTMClassifier(**_FCN).fit(X, y)
    save_model(clf, tmp_path / "fcn.sklstm")
    loaded = load_model(tmp_path / "fcn.sklstm")
    assert loaded.fcn_channels == (4, 8, 4)
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), rtol=1e-6)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(fcn_channels=(4, 0)), "fcn_channels"),
        (dict(fcn_channels=4), "fcn_channels"),
        (dict(fcn_channels=(True, 4)), "fcn_channels"),
        (dict(fcn_kernel_sizes=()), "fcn_kernel_sizes"),
        (dict(fcn_channels=(4, 4)), "one kernel size per block"),
    ],
)
def test_classifier_fcn_bad_parameters(classification_data, params, match):
    """Bad branch parameters raise before training, naming the parameter."""
    X, y = classification_data
    with pytest.raises((ValueError, TypeError), match=match):
        LSTMClassifier(**dict(FAST, **params)).fit(X, y)


def test_fcn_branch_reaches_the_regressor_and_anomaly_detector(regression_data):
    """The same parameters build the branch in the other estimators."""
    from sklstm import LSTMAnomalyDetector, LSTMRegressor

    X, y = regression_data
    reg = LSTMRegressor(**_FCN).fit(X, y)
    assert reg.module_.encoder.output_size == 8 + 4
    for method in ("forecast", "reconstruction"):
        det = LSTMAnomalyDetector(method=method, **_FCN).fit(X)
        assert det.module_.encoder.fcn is not None
        assert np.isfinite(det.score_samples(X[:5])).all()

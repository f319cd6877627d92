"""Tests of export_onnx: onnxruntime gives what predict / predict_proba give."""

import json

import numpy as np
import pytest

from sklstm import LSTMAnomalyDetector, LSTMClassifier, LSTMRegressor, export_onnx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

FAST = {"hidden_size": 4, "conv_channels": 3, "max_epochs": 2, "random_state": 0}


def _session(path):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _metadata(path):
    return {p.key: p.value for p in onnx.load(str(path)).metadata_props}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"bidirectional": False, "cell": "gru", "conv_channels": None},
        {"num_layers": 2, "layer_norm": True, "conv_pool_size": 2},
    ],
    ids=["default", "gru", "stacked"],
)
def test_onnx_regressor_matches_predict(tmp_path, params):
    """Raw windows in, predictions in y's units out, as predict."""
    rng = np.random.RandomState(0)
    X = rng.randn(24, 8, 2) * 5 + 3
    y = 100 + 10 * X[:, -1, 0]
    reg = LSTMRegressor(**{**FAST, **params}).fit(X, y)
    path = export_onnx(reg, tmp_path / "reg.onnx")
    (pred,) = _session(path).run(None, {"X": X.astype(np.float32)})
    assert pred.shape == (24,)
    np.testing.assert_allclose(pred, reg.predict(X), rtol=1e-4, atol=1e-3)
    meta = _metadata(path)
    assert meta["estimator"] == "LSTMRegressor"
    assert (meta["window_length"], meta["n_features"]) == ("8", "2")
    assert meta["sklstm_version"]


def test_onnx_regressor_multi_output_and_2d_input(tmp_path):
    """Several outputs keep their columns; a 2-D fit means one feature."""
    rng = np.random.RandomState(1)
    X = rng.randn(20, 6)
    y = np.c_[X.sum(axis=1), 1000 * X[:, 0]]
    reg = LSTMRegressor(**FAST).fit(X, y)
    (pred,) = _session(export_onnx(reg, tmp_path / "m.onnx")).run(
        None, {"X": X[:, :, None].astype(np.float32)}
    )
    np.testing.assert_allclose(pred, reg.predict(X), rtol=1e-4, atol=1e-2)


def test_onnx_classifier_matches_predict_proba(tmp_path):
    """Probabilities and the label index match; classes are in the metadata."""
    rng = np.random.RandomState(0)
    X = rng.randn(30, 7, 3)
    y = np.array(["low", "mid", "high"])[np.arange(30) % 3]
    clf = LSTMClassifier(**FAST).fit(X, y)
    path = export_onnx(clf, tmp_path / "clf.onnx")
    label, proba = _session(path).run(None, {"X": X.astype(np.float32)})
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=1e-4, atol=1e-5)
    classes = json.loads(_metadata(path)["classes"])
    assert classes == list(clf.classes_)
    np.testing.assert_array_equal(np.array(classes)[label], clf.predict(X))


@pytest.mark.parametrize("method", ["forecast", "reconstruction"])
def test_onnx_anomaly_detector_matches_its_scores(tmp_path, method):
    """score_samples, decision_function and predict, from the graph."""
    rng = np.random.RandomState(0)
    X = np.sin(np.arange(40 * 9).reshape(40, 9, 1) / 3.0) + 0.1 * rng.randn(40, 9, 1)
    X[:3] += 3 * rng.randn(3, 9, 1)
    det = LSTMAnomalyDetector(method=method, contamination=0.1, **FAST).fit(X)
    path = export_onnx(det, tmp_path / "det.onnx")
    scores, decision, label = _session(path).run(None, {"X": X.astype(np.float32)})
    np.testing.assert_allclose(scores, det.score_samples(X), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(decision, det.decision_function(X), atol=1e-4)
    clear = np.abs(det.decision_function(X)) > 1e-4
    np.testing.assert_array_equal(label[clear], det.predict(X)[clear])
    assert float(_metadata(path)["offset"]) == pytest.approx(det.offset_)


def test_onnx_feature_names_in_metadata(tmp_path):
    """DataFrame column names are written to the metadata."""
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.randn(20, 4), columns=["t0", "t1", "t2", "t3"])
    reg = LSTMRegressor(**FAST).fit(X, X["t3"])
    meta = _metadata(export_onnx(reg, tmp_path / "r.onnx"))
    assert json.loads(meta["feature_names"]) == ["t0", "t1", "t2", "t3"]


def test_onnx_refuses_what_it_cannot_export(tmp_path):
    """Other objects and unfitted estimators give clear errors."""
    with pytest.raises(TypeError, match="exports a fitted LSTMRegressor"):
        export_onnx(object(), tmp_path / "c.onnx")
    with pytest.raises(Exception, match="not fitted"):
        export_onnx(LSTMRegressor(), tmp_path / "d.onnx")


def test_onnx_refuses_quantile_models(tmp_path):
    """A model fitted with quantiles predicts several values per target."""
    rng = np.random.RandomState(0)
    reg = LSTMRegressor(**FAST, quantiles=[0.1, 0.9]).fit(
        rng.randn(12, 8), rng.randn(12)
    )
    with pytest.raises(ValueError, match="quantiles"):
        export_onnx(reg, tmp_path / "q.onnx")


def _ragged(rng, n_features=2, n_samples=18):
    """Sequences of 1 to 11 steps, every length class of a pooled batch."""
    lengths = np.r_[1, 2, 11, rng.randint(1, 12, size=n_samples - 3)]
    return [rng.randn(n, n_features) * 3 + 1 for n in lengths]


def _padded(seqs, extra=2, fill=7.0):
    """``X`` padded with ``fill`` past each sequence, beyond the longest one too."""
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    X = np.full((len(seqs), lengths.max() + extra, seqs[0].shape[1]), fill)
    for row, seq in zip(X, seqs):
        row[: len(seq)] = seq
    return {"X": X.astype(np.float32), "lengths": lengths}


VARIABLE = pytest.mark.parametrize(
    "params",
    [
        {},
        {"bidirectional": False, "cell": "gru", "conv_channels": None},
        {"num_layers": 2, "layer_norm": True, "conv_pool_size": 2},
        pytest.param(
            {
                "cell": "gru",
                "num_layers": 2,
                "conv_pool_size": 3,
                "conv_kernel_size": 4,
            },
            # torch's own note on "same" padding of an even kernel
            marks=pytest.mark.filterwarnings("ignore:Using padding='same'"),
        ),
        {"fcn_channels": (3, 2), "fcn_kernel_sizes": (3, 2), "conv_pool_size": 2},
    ],
    ids=["default", "gru", "stacked-norm-pool", "gru-stacked-pool3", "fcn"],
)


@VARIABLE
def test_onnx_variable_length_regressor_matches_predict(tmp_path, params):
    """Padded X and lengths in, predict on the list of sequences out."""
    rng = np.random.RandomState(0)
    seqs = _ragged(rng)
    y = np.array([100 + 10 * s[-1, 0] for s in seqs])
    reg = LSTMRegressor(**{**FAST, **params}).fit(seqs, y)
    path = export_onnx(reg, tmp_path / "reg.onnx")
    inputs = _padded(seqs)
    (pred,) = _session(path).run(None, inputs)
    assert pred.shape == (len(seqs),)
    np.testing.assert_allclose(pred, reg.predict(seqs), rtol=1e-4, atol=1e-3)
    meta = _metadata(path)
    assert meta["window_length"] == "variable"
    assert json.loads(meta["input_names"]) == ["X", "lengths"]
    assert (meta["n_features"], meta["input_name"]) == ("2", "X")
    # sequences of one length, padded to exactly that length, as a 3-D array
    X = rng.randn(5, 4, 2)
    full = {"X": X.astype(np.float32), "lengths": np.full(5, 4, dtype=np.int64)}
    (pred,) = _session(path).run(None, full)
    np.testing.assert_allclose(pred, reg.predict(X), rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize(
    "params",
    [
        {"window_norm": "last"},
        {"window_norm": "mean"},
        {"window_norm": "last", "highway_window": 3},
    ],
    ids=["last", "mean", "highway"],
)
def test_onnx_variable_length_window_norm(tmp_path, params):
    """The reference value (and the highway) read each window's own last steps."""
    rng = np.random.RandomState(1)
    seqs = _ragged(rng, n_features=1)
    y = np.array([s[-1, 0] + 50 for s in seqs])
    reg = LSTMRegressor(**{**FAST, **params}).fit(seqs, y)
    (pred,) = _session(export_onnx(reg, tmp_path / "r.onnx")).run(None, _padded(seqs))
    np.testing.assert_allclose(pred, reg.predict(seqs), rtol=1e-4, atol=1e-3)


@VARIABLE
def test_onnx_variable_length_classifier_matches_predict_proba(tmp_path, params):
    """Probabilities and labels of sequences of different lengths."""
    rng = np.random.RandomState(2)
    seqs = _ragged(rng, n_features=3)
    y = np.array(["a", "b", "c"])[np.arange(len(seqs)) % 3]
    clf = LSTMClassifier(**{**FAST, **params}).fit(seqs, y)
    path = export_onnx(clf, tmp_path / "clf.onnx")
    label, proba = _session(path).run(None, _padded(seqs))
    np.testing.assert_allclose(proba, clf.predict_proba(seqs), rtol=1e-4, atol=1e-5)
    classes = np.array(json.loads(_metadata(path)["classes"]))
    np.testing.assert_array_equal(classes[label], clf.predict(seqs))


@pytest.mark.parametrize("method", ["forecast", "reconstruction"])
@pytest.mark.parametrize(
    "params",
    [
        {},
        {
            "cell": "gru",
            "num_layers": 2,
            "fcn_channels": (3,),
            "fcn_kernel_sizes": (3,),
        },
    ],
    ids=["default", "gru-fcn"],
)
def test_onnx_variable_length_anomaly_detector(tmp_path, method, params):
    """Scores of sequences of different lengths (the mean over valid steps)."""
    rng = np.random.RandomState(3)
    seqs = [
        np.sin(np.arange(n)[:, None] / 2.0) + 0.1 * rng.randn(n, 1)
        for n in np.r_[1, 2, 11, rng.randint(2, 12, size=21)]
    ]
    det = LSTMAnomalyDetector(method=method, **{**FAST, **params}).fit(seqs)
    path = export_onnx(det, tmp_path / "det.onnx")
    scores, decision, label = _session(path).run(None, _padded(seqs))
    np.testing.assert_allclose(scores, det.score_samples(seqs), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(decision, det.decision_function(seqs), atol=1e-4)
    clear = np.abs(det.decision_function(seqs)) > 1e-4
    np.testing.assert_array_equal(label[clear], det.predict(seqs)[clear])


@pytest.mark.parametrize("params", [{}, {"conv_pool_size": 2}], ids=["conv", "pool"])
def test_onnx_token_classifier(tmp_path, params):
    """Token ids (int64, padded with 0) and lengths in, predict_proba out."""
    rng = np.random.RandomState(4)
    seqs = [rng.randint(1, 9, size=n) for n in np.r_[1, 9, rng.randint(1, 10, size=16)]]
    clf = LSTMClassifier(vocab_size="auto", **{**FAST, **params})
    clf.fit(seqs, np.arange(len(seqs)) % 2)
    path = export_onnx(clf, tmp_path / "tok.onnx")
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    X = np.zeros((len(seqs), lengths.max() + 1), dtype=np.int64)
    for row, seq in zip(X, seqs):
        row[: len(seq)] = seq
    session = _session(path)
    assert session.get_inputs()[0].type == "tensor(int64)"
    label, proba = session.run(None, {"X": X, "lengths": lengths})
    np.testing.assert_allclose(proba, clf.predict_proba(seqs), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(clf.classes_[label], clf.predict(seqs))
    meta = _metadata(path)
    assert meta["vocab_size"] == str(clf.vocab_size_)
    assert json.loads(meta["input_names"]) == ["X", "lengths"]


def test_onnx_fixed_length_graph_takes_windows_only(tmp_path):
    """A model of fixed-length windows keeps its single input and metadata."""
    rng = np.random.RandomState(0)
    reg = LSTMRegressor(**FAST).fit(rng.randn(12, 5, 1), rng.randn(12))
    path = export_onnx(reg, tmp_path / "f.onnx")
    assert [i.name for i in _session(path).get_inputs()] == ["X"]
    meta = _metadata(path)
    assert "input_names" not in meta and meta["window_length"] == "5"

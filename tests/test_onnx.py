"""Tests of export_onnx: onnxruntime gives what predict / predict_proba give."""

import json

import numpy as np
import pytest

from sklstm import LSTMAnomalyDetector, LSTMClassifier, LSTMRegressor, export_onnx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

FAST = dict(hidden_size=4, conv_channels=3, max_epochs=2, random_state=0)


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
    """Variable-length, token and anomaly models give clear errors."""
    rng = np.random.RandomState(0)
    ragged = [rng.randn(n, 1) for n in (4, 6, 5, 7)] * 3
    reg = LSTMRegressor(**FAST).fit(ragged, rng.randn(12))
    with pytest.raises(ValueError, match="variable-length"):
        export_onnx(reg, tmp_path / "a.onnx")
    tokens = rng.randint(1, 9, size=(12, 5))
    clf = LSTMClassifier(vocab_size=10, **FAST).fit(tokens, [0, 1] * 6)
    with pytest.raises(ValueError, match="token ids"):
        export_onnx(clf, tmp_path / "b.onnx")
    with pytest.raises(TypeError, match="exports a fitted LSTMRegressor"):
        export_onnx(object(), tmp_path / "c.onnx")
    with pytest.raises(Exception, match="not fitted"):
        export_onnx(LSTMRegressor(), tmp_path / "d.onnx")


def test_onnx_refuses_quantile_models(tmp_path):
    """A model fitted with quantiles predicts several values per target."""
    rng = np.random.RandomState(0)
    reg = LSTMRegressor(**FAST, quantiles=[0.1, 0.9]).fit(rng.randn(12, 8), rng.randn(12))
    with pytest.raises(ValueError, match="quantiles"):
        export_onnx(reg, tmp_path / "q.onnx")

"""Tests of pickling, save_model/load_model, checkpoints and resume_fit."""

import io
import json
import os
import pickle
import re
import subprocess
import sys
import textwrap
import time
import warnings
import zipfile

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from sklstm import (
    LSTMClassifier,
    LSTMRegressor,
    SequenceImputer,
    SequenceScaler,
    SlidingWindowTransformer,
    load_model,
    resume_fit,
    save_model,
)
from sklstm._persistence import CHECKPOINT_NAME, TRUSTED_ESTIMATORS

SMALL = dict(hidden_size=4, max_epochs=3, batch_size=16, random_state=0)


@pytest.fixture(scope="module")
def data():
    """Sequences with a numeric and a text target."""
    rng = np.random.RandomState(0)
    X = rng.randn(40, 6, 2)
    y = X[:, -1, 0] + 0.5 * X[:, 0, 1]
    return X, y, np.where(y > 0, "up", "down")


@pytest.fixture(scope="module")
def fitted(data):
    """Fitted estimators covering the saved attribute types (do not refit them)."""
    X, y, labels = data
    rng = np.random.RandomState(1)
    tokens = rng.randint(1, 6, (40, 6))
    tokens[::3, 4:] = 0
    with warnings.catch_warnings():
        # three epochs are too few for early stopping to decide
        warnings.simplefilter("ignore")
        return {
            "regressor": (LSTMRegressor(**SMALL).fit(X, np.c_[y, 2 * y]), X),
            "classifier": (
                LSTMClassifier(class_weight="balanced", **SMALL).fit(X, labels),
                X,
            ),
            "early_stopping": (
                LSTMClassifier(early_stopping=True, **SMALL).fit(X, labels == "up"),
                X,
            ),
            "tokens": (
                LSTMClassifier(vocab_size=6, embedding_dim=3, **SMALL).fit(
                    tokens, labels
                ),
                tokens,
            ),
            "ragged": (
                LSTMRegressor(**SMALL).fit([X[i, : 2 + i % 4] for i in range(40)], y),
                [X[i, : 1 + i % 6] for i in range(40)],
            ),
            "cnn_gru": (
                LSTMRegressor(
                    conv_channels=3, cell="gru", bidirectional=True, **SMALL
                ).fit(X, y),
                X,
            ),
            "scaler": (SequenceScaler().fit(X), X),
            "imputer": (SequenceImputer(method="ffill").fit(X), X),
            "window": (SlidingWindowTransformer(window_length=3).fit(X[0]), X[0]),
        }


def _outputs(estimator, X):
    if isinstance(estimator, LSTMClassifier):
        return estimator.predict_proba(X), estimator.predict(X)
    if hasattr(estimator, "predict"):
        return (estimator.predict(X),)
    return (np.asarray(estimator.transform(X)),)


def _same_attributes(a, b):
    skip = {"net_", "module_"}
    assert set(vars(a)) == set(vars(b))
    for key, value in vars(a).items():
        if key in skip:
            continue
        other = getattr(b, key)
        if isinstance(value, np.ndarray):
            assert value.dtype == other.dtype and value.shape == other.shape, key
            np.testing.assert_array_equal(value, other)
        else:
            assert type(value) is type(other) and value == other, key


# --- pickle ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["regressor", "classifier", "early_stopping", "tokens"]
)
def test_pickle_round_trip_predicts_the_same(fitted, name):
    """Pickled and unpickled estimators predict exactly as the original."""
    estimator, X = fitted[name]
    clone = pickle.loads(pickle.dumps(estimator))
    for got, expected in zip(_outputs(clone, X), _outputs(estimator, X)):
        np.testing.assert_array_equal(got, expected)


def test_pickle_after_checkpointed_fit(data, tmp_path):
    """A model fitted with checkpoint_dir pickles (the checkpoint hook is dropped)."""
    X, y, _ = data
    reg = LSTMRegressor(checkpoint_dir=tmp_path, **SMALL).fit(X, y)
    clone = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(clone.predict(X), reg.predict(X))


# --- save_model / load_model ------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "regressor",
        "classifier",
        "early_stopping",
        "tokens",
        "ragged",
        "cnn_gru",
        "scaler",
        "imputer",
        "window",
    ],
)
def test_save_load_round_trip(fitted, name, tmp_path):
    """load_model(save_model(est)) predicts the same and has the same attributes."""
    estimator, X = fitted[name]
    path = tmp_path / "model.sklstm"
    save_model(estimator, path)
    loaded = load_model(path)
    assert type(loaded) is type(estimator)
    assert loaded.get_params() == estimator.get_params()
    _same_attributes(estimator, loaded)
    for got, expected in zip(_outputs(loaded, X), _outputs(estimator, X)):
        np.testing.assert_array_equal(got, expected)


def test_save_load_unfitted_estimator(tmp_path):
    """An unfitted estimator round-trips its parameters and stays unfitted."""
    from sklearn.exceptions import NotFittedError

    est = LSTMClassifier(
        hidden_size=3, class_weight={"a": 2.0, "b": 1.0}, lr_schedule="cosine"
    )
    save_model(est, tmp_path / "m.sklstm")
    loaded = load_model(tmp_path / "m.sklstm")
    assert loaded.get_params() == est.get_params()
    with pytest.raises(NotFittedError):
        loaded.predict(np.zeros((2, 3)))


def test_save_file_is_json_and_a_state_dict(fitted, tmp_path):
    """The archive holds sklstm.json (parameters, attributes) and weights.pt."""
    estimator, _ = fitted["classifier"]
    save_model(estimator, tmp_path / "m.sklstm")
    with zipfile.ZipFile(tmp_path / "m.sklstm") as zf:
        assert sorted(zf.namelist()) == ["sklstm.json", "weights.pt"]
        meta = json.loads(zf.read("sklstm.json"))
        weights = torch.load(io.BytesIO(zf.read("weights.pt")), weights_only=True)
    assert meta["estimator"] == "LSTMClassifier"
    assert meta["params"]["class_weight"] == "balanced"
    assert meta["attributes"]["classes_"]["__ndarray__"] == ["down", "up"]
    assert set(weights) == {"attributes", "module", "criterion"}
    assert "optimizer" not in weights


def test_loaded_model_continues_with_warm_start(fitted, data, tmp_path):
    """A loaded model trains on with warm_start=True: n_iter_ and loss_curve_ grow."""
    estimator, X = fitted["regressor"]
    _, y, _ = data
    save_model(estimator, tmp_path / "m.sklstm")
    loaded = load_model(tmp_path / "m.sklstm").set_params(warm_start=True, max_epochs=2)
    loaded.fit(X, np.c_[y, 2 * y])
    assert loaded.n_iter_ == estimator.n_iter_ + 2
    assert loaded.loss_curve_[: estimator.n_iter_] == estimator.loss_curve_


def test_load_model_keeps_global_rng(fitted, tmp_path):
    """Rebuilding the network on load does not advance the caller's torch RNG."""
    estimator, _ = fitted["classifier"]
    save_model(estimator, tmp_path / "m.sklstm")
    state = torch.get_rng_state()
    load_model(tmp_path / "m.sklstm")
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize(
    "params, name",
    [
        (dict(callbacks=[Callback()]), "callbacks"),
        (dict(random_state=np.random.RandomState(0)), "random_state"),
    ],
)
def test_save_refuses_parameters_that_need_pickle(data, params, name, tmp_path):
    """Parameters holding objects cannot be saved without pickle: a clear TypeError."""
    est = LSTMRegressor(**{**SMALL, **params})
    with pytest.raises(TypeError, match=re.escape(f"Parameter {name}=")):
        save_model(est, tmp_path / "m.sklstm")
    assert not (tmp_path / "m.sklstm").exists()


def test_save_refuses_other_estimators(tmp_path):
    """Only sklstm's own classes are saved (and so loaded), not subclasses or others."""
    from sklearn.linear_model import Ridge

    class MyRegressor(LSTMRegressor):
        pass

    for est in (Ridge(), MyRegressor()):
        with pytest.raises(
            TypeError, match="save_model stores the estimators of sklstm"
        ):
            save_model(est, tmp_path / "m.sklstm")


# --- loading never runs code from the file ----------------------------------------


class _Payload:
    """Unpickling this object runs code: it creates the marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').close()",))


def _rewrite(path, *, meta=None, weights_bytes=None):
    """Replace members of the archive at ``path``."""
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    if meta is not None:
        members["sklstm.json"] = json.dumps(meta).encode()
    if weights_bytes is not None:
        members["weights.pt"] = weights_bytes
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in members.items():
            zf.writestr(name, content)


def _meta(path):
    with zipfile.ZipFile(path) as zf:
        return json.loads(zf.read("sklstm.json"))


@pytest.fixture
def saved(fitted, tmp_path):
    """A saved regressor, and where a payload would leave its marker."""
    path = tmp_path / "model.sklstm"
    save_model(fitted["regressor"][0], path)
    return path, tmp_path / "payload-ran"


def test_payload_control_plain_pickle_would_run_it(saved):
    """Control: the payload does create its marker when unpickled the unsafe way."""
    _, marker = saved
    pickle.loads(pickle.dumps(_Payload(marker)))
    assert marker.exists()


@pytest.mark.parametrize("how", ["raw_pickle", "torch_save"])
def test_load_refuses_pickle_payload_in_weights(saved, how):
    """A code-running pickle put where the weights belong is refused and never run."""
    path, marker = saved
    if how == "raw_pickle":
        payload = pickle.dumps(_Payload(marker), protocol=2)
    else:
        buffer = io.BytesIO()
        torch.save({"module": _Payload(marker)}, buffer)
        payload = buffer.getvalue()
    _rewrite(path, weights_bytes=payload)
    with pytest.raises(ValueError, match="its weights are not a plain tensor file"):
        load_model(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda m: m.update(estimator="subprocess.Popen"),
            "which is not one of sklstm's estimators",
        ),
        (
            lambda m: m.update(estimator="Ridge"),
            "which is not one of sklstm's estimators",
        ),
        (
            lambda m: m["params"].update(callbacks={"__callable__": "os.system"}),
            "unexpected JSON object with keys ['__callable__']",
        ),
        (
            lambda m: m["params"].update(lr_schedule="os.system"),
            "The 'lr_schedule' parameter of LSTMRegressor must be",
        ),
        (
            lambda m: m["params"].update(command="rm -rf /"),
            "it sets parameters ['command']",
        ),
        (lambda m: m["attributes"].update(predict=1), "an attribute named 'predict'"),
        (
            lambda m: m["attributes"].update(__class__="x"),
            "an attribute named '__class__'",
        ),
        (
            lambda m: m["attributes"].update(
                x_={"__ndarray__": [1], "dtype": "|V8", "shape": [1]}
            ),
            "dtype '|V8' is not a numeric, boolean or text dtype",
        ),
        (
            lambda m: m["attributes"].update(
                x_={"__ndarray__": [{"__dict__": []}], "dtype": "|O", "shape": [1]}
            ),
            "an array holding values other than text or numbers",
        ),
        (
            lambda m: m["net"].update(criterion="os.system"),
            "the loss 'os.system' is not one of",
        ),
        (lambda m: m.update(format="pickle"), "no format marker"),
    ],
)
def test_load_refuses_tampered_json(saved, edit, message):
    """Class names outside the allow-list, callables and odd values are refused."""
    path, marker = saved
    meta = _meta(path)
    edit(meta)
    _rewrite(path, meta=meta)
    with pytest.raises(ValueError, match=re.escape(message)):
        load_model(path)
    assert not marker.exists()


def test_load_refuses_weights_of_another_architecture(saved):
    """Weights that do not fit the network the parameters describe are refused."""
    path, _ = saved
    meta = _meta(path)
    meta["params"]["hidden_size"] = 5
    _rewrite(path, meta=meta)
    with pytest.raises(
        ValueError, match=re.escape("its weights do not fit the network")
    ):
        load_model(path)


def test_load_refuses_files_that_are_not_archives(tmp_path):
    """A file that is not an sklstm archive gives a ValueError naming it."""
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(
        ValueError, match=re.escape(f"Cannot load {str(path)!r}: it is not an")
    ):
        load_model(path)


def test_trusted_estimators_are_the_public_classes():
    """The allow-list names exactly sklstm's public estimator classes."""
    import sklstm

    from sklearn.base import BaseEstimator

    # estimators only (PanelTimeSeriesSplit is a public class, a splitter)
    public = {
        n
        for n in sklstm.__all__
        if isinstance(getattr(sklstm, n), type) and issubclass(getattr(sklstm, n), BaseEstimator)
    }
    assert set(TRUSTED_ESTIMATORS) == public


# --- forecasters: a regressor inside, and the history with its time index ---------


def _forecaster_cases():
    import pandas as pd

    from sklstm import LSTMForecaster

    net = LSTMRegressor(hidden_size=4, max_epochs=2, conv_channels=None)
    t = np.arange(48)
    index = pd.date_range("2001-01-01", periods=48, freq="MS", name="month")
    future = pd.date_range("2005-01-01", periods=5, freq="MS", name="month")
    y = pd.Series(10 + t / 5 + np.sin(t / 2), index=index, name="sales")
    X = pd.DataFrame({"month": index.month.astype(float)}, index=index)
    ids = np.repeat(["north", "south"], 30)
    panel = pd.DataFrame({"store": ids, "size": np.repeat([1.0, 3.0], 30)})
    y_panel = np.r_[np.sin(np.arange(30) / 3), 50 + 5 * np.cos(np.arange(30) / 3)]
    return {
        "dated_calibrated": (
            LSTMForecaster(
                regressor=net, window_length=6, calibration="holdout", random_state=0
            ),
            (X, y),
            pd.DataFrame({"month": future.month.astype(float)}, index=future),
        ),
        "array": (
            LSTMForecaster(regressor=net, window_length=6, random_state=1),
            (None, y.to_numpy()),
            None,
        ),
        "ensemble": (
            LSTMForecaster(
                regressor=net, window_length=6, n_estimators=2, random_state=3
            ),
            (None, y.to_numpy()),
            None,
        ),
        "panel": (
            LSTMForecaster(
                regressor=net, window_length=6, series_id="store", random_state=2
            ),
            (panel, y_panel),
            pd.DataFrame({"store": ["south", "north", "south"], "size": [3.0, 1.0, 3.0]}),
        ),
    }


@pytest.mark.parametrize("case", ["dated_calibrated", "array", "ensemble", "panel"])
def test_forecaster_save_load_round_trip(case, tmp_path):
    """A saved forecaster forecasts as the original: regressor, history and index."""
    import pandas as pd

    forecaster, (X, y), X_future = _forecaster_cases()[case]
    forecaster.fit(X, y)
    path = tmp_path / "forecaster.sklstm"
    save_model(forecaster, path)
    loaded = load_model(path)
    assert all(type(net) is LSTMRegressor for net in loaded.estimators_)
    assert len(loaded.estimators_) == forecaster.n_estimators
    assert loaded.get_params()["regressor__hidden_size"] == 4
    if X_future is None:
        np.testing.assert_array_equal(loaded.forecast(4), forecaster.forecast(4))
    else:
        expected = forecaster.predict(X_future)
        got = loaded.predict(X_future)
        if isinstance(expected, pd.Series):
            pd.testing.assert_series_equal(got, expected)
        else:
            np.testing.assert_array_equal(got, expected)
    if forecaster.calibration is not None:
        pd.testing.assert_frame_equal(
            loaded.predict_interval(X_future), forecaster.predict_interval(X_future)
        )
    # the history goes on: update then forecast, in both the same way
    if case == "dated_calibrated":
        rows = X_future.iloc[:2]
        y_new = pd.Series([20.0, 21.0], index=rows.index)
        later = X_future.iloc[2:]
        pd.testing.assert_series_equal(
            loaded.update(rows, y_new).predict(later),
            forecaster.update(rows, y_new).predict(later),
        )


def test_unfitted_forecaster_round_trip(tmp_path):
    """Parameters, the nested regressor's included, come back as they were."""
    from sklstm import LSTMForecaster

    forecaster = LSTMForecaster(
        regressor=LSTMRegressor(hidden_size=5, cell="gru"), window_length=7
    )
    save_model(forecaster, tmp_path / "f.sklstm")
    loaded = load_model(tmp_path / "f.sklstm")
    assert loaded.get_params().keys() == forecaster.get_params().keys()
    assert loaded.regressor.get_params() == forecaster.regressor.get_params()
    assert loaded.window_length == 7


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda m: m["params"].update(regressor={"__estimator__": 5}),
            "a reference to a nested estimator that is not in the file",
        ),
        (
            lambda m: m["estimators"][0].update(estimator="Ridge"),
            "which is not one of sklstm's estimators",
        ),
        (
            lambda m: m["estimators"].append(m["estimators"][0]),
            "do not pair descriptions with weights",
        ),
        (
            lambda m: m["attributes"].update(
                _freq={"__offset__": ["MS"]}
            ),
            "a pandas frequency that is not text",
        ),
        (
            lambda m: m["attributes"]["_index"].update(unit="years"),
            "a time index of unknown unit 'years'",
        ),
    ],
)
def test_load_refuses_tampered_forecaster(edit, message, tmp_path):
    """Nested estimators pass the same allow-list; index and frequency are checked."""
    forecaster, (X, y), _ = _forecaster_cases()["dated_calibrated"]
    path = tmp_path / "f.sklstm"
    save_model(forecaster.fit(X, y), path)
    meta = _meta(path)
    edit(meta)
    _rewrite(path, meta=meta)
    with pytest.raises(ValueError, match=re.escape(message)):
        load_model(path)


# --- device -----------------------------------------------------------------------


@pytest.mark.skipif(
    torch.cuda.is_available(), reason="tests the fallback without a GPU"
)
def test_model_saved_on_gpu_loads_on_cpu(saved, fitted):
    """A model saved with device='cuda' loads on a machine without GPU, on the CPU."""
    path, _ = saved
    meta = _meta(path)
    meta["params"]["device"] = "cuda"
    _rewrite(path, meta=meta)
    msg = (
        "The LSTMRegressor was saved with device='cuda', but torch sees no CUDA GPU "
        "here; it is loaded on the CPU with device='cpu'."
    )
    with pytest.warns(UserWarning, match=re.escape(msg)):
        loaded = load_model(path)
    estimator, X = fitted["regressor"]
    assert loaded.device == "cpu"
    np.testing.assert_array_equal(loaded.predict(X), estimator.predict(X))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_model_fitted_on_gpu_loads_on_cpu(data, tmp_path):
    """A model trained on the GPU loads with device='cpu' and predicts the same."""
    X, y, _ = data
    reg = LSTMRegressor(device="cuda", **SMALL).fit(X, y)
    save_model(reg, tmp_path / "gpu.sklstm")
    loaded = load_model(tmp_path / "gpu.sklstm", device="cpu")
    assert next(loaded.module_.parameters()).device.type == "cpu"
    # torch lets cuDNN multiply in TF32 on recent GPUs (by default), the CPU
    # in float32: the two agree to about 1e-3, not to float32 rounding
    np.testing.assert_allclose(loaded.predict(X), reg.predict(X), rtol=1e-3, atol=2e-3)


# --- checkpoints and resume ---------------------------------------------------------


def test_checkpoint_nothing_written_by_default(data, tmp_path, monkeypatch):
    """Without checkpoint_dir, fit writes no file anywhere it could be found."""
    X, y, _ = data
    monkeypatch.chdir(tmp_path)
    LSTMRegressor(**SMALL).fit(X, y)
    assert list(tmp_path.iterdir()) == []


class _ReadCheckpoint(Callback):
    """Loads the checkpoint at the end of each epoch and records its n_iter_."""

    def __init__(self, directory):
        self.directory = directory

    def on_train_begin(self, net, **kwargs):
        self.seen_ = []

    def on_epoch_end(self, net, **kwargs):
        loaded = load_model(self.directory)
        self.seen_.append(
            (loaded.n_iter_, bool(loaded.net_.optimizer_.state_dict()["state"]))
        )


def test_checkpoint_written_after_every_epoch(data, tmp_path):
    """After each epoch the checkpoint holds that epoch; at the end, the final model."""
    X, y, _ = data
    reg = LSTMRegressor(
        checkpoint_dir=tmp_path,
        callbacks=[("read", _ReadCheckpoint(tmp_path))],
        **SMALL,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the callback parameter cannot be stored
        reg.fit(X, y)
    seen = dict(reg.net_.callbacks_)["read"].seen_
    assert seen == [(1, True), (2, True), (3, True)]
    assert os.listdir(tmp_path) == [CHECKPOINT_NAME]
    final = load_model(tmp_path)
    np.testing.assert_array_equal(final.predict(X), reg.predict(X))
    assert final.loss_curve_ == reg.loss_curve_
    # a finished fit: resuming returns it as it is
    assert resume_fit(tmp_path, X, y).n_iter_ == 3


class _InterruptAt(Callback):
    """Raises KeyboardInterrupt (as Ctrl-C) at the end of epoch ``epoch``."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def test_resume_after_interrupt_matches_uninterrupted_fit(data, tmp_path):
    """Ctrl-C at epoch 2 of 5, then resume_fit: the same model as a 5-epoch fit."""
    X, _, labels = data
    params = dict(SMALL, max_epochs=5, dropout=0.3)
    with pytest.warns(UserWarning, match="interrupted by user"):
        LSTMClassifier(
            checkpoint_dir=tmp_path, callbacks=[_InterruptAt(2)], **params
        ).fit(X, labels)
    assert load_model(tmp_path).n_iter_ == 2
    with pytest.warns(UserWarning, match=re.escape("parameters ['callbacks']")):
        resumed = resume_fit(tmp_path, X, labels)
    full = LSTMClassifier(**params).fit(X, labels)
    assert resumed.n_iter_ == 5 and resumed.loss_curve_ == full.loss_curve_
    np.testing.assert_array_equal(resumed.predict_proba(X), full.predict_proba(X))
    assert load_model(tmp_path).n_iter_ == 5


def test_resume_fit_refuses_a_saved_model(fitted, data, tmp_path):
    """resume_fit needs a checkpoint, not a file from save_model."""
    estimator, X = fitted["regressor"]
    save_model(estimator, tmp_path / "m.sklstm")
    msg = "it holds a saved model, not a checkpoint written during fit"
    with pytest.raises(ValueError, match=re.escape(msg)):
        resume_fit(tmp_path / "m.sklstm", X, data[1])


_TRAIN_SCRIPT = textwrap.dedent("""
    import pathlib, sys, time
    import numpy as np
    import torch
    from skorch.callbacks import Callback
    from sklstm import LSTMRegressor

    torch.set_num_threads(1)

    class SlowAfter(Callback):
        # after epoch 3 is done (and checkpointed), signal and wait to be killed
        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == 3:
                pathlib.Path(sys.argv[2]).write_text("epoch 3 done")
                time.sleep(300)

    rng = np.random.RandomState(0)
    X = rng.randn(40, 6, 2)
    y = X[:, -1, 0] + 0.5 * X[:, 0, 1]
    LSTMRegressor(
        hidden_size=4, max_epochs=7, batch_size=16, dropout=0.2, random_state=0,
        checkpoint_dir=sys.argv[1], callbacks=[SlowAfter()],
    ).fit(X, y)
    """)


def test_resume_after_the_training_process_is_killed(tmp_path):
    """A fit killed after epoch 3 of 7 resumes in a new process and finishes all 7."""
    script = tmp_path / "train.py"
    script.write_text(_TRAIN_SCRIPT)
    checkpoints, marker = tmp_path / "checkpoints", tmp_path / "marker"
    process = subprocess.Popen(
        [sys.executable, str(script), str(checkpoints), str(marker)]
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert process.poll() is None, "the training process ended early"
            assert time.monotonic() < deadline, "the training process hung"
            time.sleep(0.05)
    finally:
        process.kill()
        process.wait()
    rng = np.random.RandomState(0)
    X = rng.randn(40, 6, 2)
    y = X[:, -1, 0] + 0.5 * X[:, 0, 1]
    interrupted = load_model(checkpoints)
    assert interrupted.n_iter_ == 3
    with pytest.warns(UserWarning, match=re.escape("parameters ['callbacks']")):
        resumed = resume_fit(checkpoints, X, y)
    assert resumed.n_iter_ == 7
    assert resumed.loss_curve_[:3] == interrupted.loss_curve_
    full = LSTMRegressor(
        hidden_size=4, max_epochs=7, batch_size=16, dropout=0.2, random_state=0
    ).fit(X, y)
    assert resumed.loss_curve_ == full.loss_curve_
    np.testing.assert_array_equal(resumed.predict(X), full.predict(X))


# --- skops ------------------------------------------------------------------------


def test_skops_round_trip_trusts_only_the_estimator_class(fitted, tmp_path):
    """skops sees no torch type and no pickled bytes: one class to trust."""
    sio = pytest.importorskip("skops.io")
    reg, X = fitted["regressor"]
    path = tmp_path / "model.skops"
    sio.dump(reg, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted == ["sklstm._regressor.LSTMRegressor"]
    loaded = sio.load(path, trusted=untrusted)
    np.testing.assert_allclose(loaded.predict(X), reg.predict(X))

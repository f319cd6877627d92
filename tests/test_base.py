"""The fit template, warm starts, randomness and inference loop of the base class.

Each test here pins down a defect found in an adversarial pass over the
estimators' core (wrong results without an error, lost work, cryptic
errors); the test names say which.
"""

import copy
import pickle
import shutil
import threading
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from skorch.callbacks import Callback

from sklstm import (
    LSTMAnomalyDetector,
    LSTMClassifier,
    LSTMRegressor,
    load_model,
    resume_fit,
)
from sklstm._format import CHECKPOINT_NAME

TINY = dict(hidden_size=4, conv_channels=None, max_epochs=2, batch_size=8, random_state=0)


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    X = rng.randn(24, 5, 2)
    return X, X[:, -1, 0] + 0.5 * X[:, 0, 1]


class _InterruptAt(Callback):
    """Raises KeyboardInterrupt (as Ctrl-C does) at the end of an epoch."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


# --- warm starts ---------------------------------------------------------------


@pytest.mark.parametrize(
    "change", [{"hidden_size": 8}, {"cell": "gru"}, {"bidirectional": False}]
)
def test_warm_start_refuses_a_change_of_the_network_shape(data, change):
    X, y = data
    reg = LSTMRegressor(**TINY, warm_start=True).fit(X, y)
    reg.set_params(**change)
    name = next(iter(change))
    with pytest.raises(ValueError, match=f"warm_start=True .* {name} from"):
        reg.fit(X, y)


def test_warm_start_carries_new_training_settings_to_the_net(data):
    X, y = data
    reg = LSTMRegressor(**TINY, warm_start=True, lr=0.01).fit(X, y)
    reg.set_params(lr=0.001, batch_size=4, weight_decay=0.1, clip_grad_norm=0.5)
    reg.fit(X, y)
    group = reg.net_.optimizer_.param_groups[0]
    assert group["lr"] == 0.001
    assert group["weight_decay"] == 0.1
    assert reg.net_.batch_size == 4
    assert "clip_grad_norm" in dict(reg.net_.callbacks_)
    reg.set_params(optimizer="sgd")
    reg.fit(X, y)
    assert isinstance(reg.net_.optimizer_, torch.optim.SGD)
    assert reg.n_iter_ == 6


def test_warm_start_with_early_stopping_turned_off(data):
    X, y = data
    reg = LSTMRegressor(**TINY, warm_start=True, early_stopping=True).fit(X, y)
    reg.set_params(early_stopping=False)
    reg.fit(X, y)  # used to raise KeyError
    assert reg.validation_loss_curve_ is None
    assert reg.n_iter_ == 4


def test_saved_model_loads_after_a_refused_warm_change(data, tmp_path):
    X, y = data
    reg = LSTMRegressor(**TINY, warm_start=True).fit(X, y)
    reg.set_params(hidden_size=8)
    with pytest.raises(ValueError):
        reg.fit(X, y)
    reg.set_params(hidden_size=4)
    from sklstm import save_model

    save_model(reg, tmp_path / "m.sklstm")
    np.testing.assert_allclose(load_model(tmp_path / "m.sklstm").predict(X), reg.predict(X))


# --- randomness ------------------------------------------------------------------


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_fits_in_threads_match_fits_in_sequence(data, dropout):
    X, y = data
    params = {**TINY, "dropout": dropout, "num_layers": 2, "max_epochs": 3}
    sequential = [LSTMRegressor(**params).fit(X, y).predict(X) for _ in range(3)]
    results = [None] * 3

    def work(i):
        results[i] = LSTMRegressor(**params).fit(X, y).predict(X)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, expected in zip(results, sequential):
        np.testing.assert_array_equal(got, expected)


def test_fit_leaves_the_callers_torch_rng_alone(data):
    X, y = data
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    LSTMRegressor(**{**TINY, "dropout": 0.2, "num_layers": 2}).fit(X, y).predict(X)
    np.testing.assert_array_equal(torch.rand(3), expected)


def test_dropout_seeded_by_random_state(data):
    X, y = data
    params = {**TINY, "dropout": 0.5, "max_epochs": 3}
    a = LSTMRegressor(**params).fit(X, y).predict(X)
    torch.manual_seed(999)  # the global RNG plays no part
    b = LSTMRegressor(**params).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)
    c = LSTMRegressor(**{**params, "random_state": 1}).fit(X, y).predict(X)
    assert not np.array_equal(a, c)


# --- lost work -------------------------------------------------------------------


def test_anomaly_checkpoint_not_finished_after_ctrl_c(tmp_path):
    X = np.random.RandomState(0).randn(30, 6, 1)
    params = {**TINY, "max_epochs": 4, "checkpoint_dir": str(tmp_path)}
    with pytest.warns(UserWarning, match="interrupted"):
        det = LSTMAnomalyDetector(**params, callbacks=[_InterruptAt(2)]).fit(X)
    assert det.n_iter_ == 2
    resumed = resume_fit(tmp_path, X, params={"callbacks": None})
    assert resumed.n_iter_ == 4
    full = LSTMAnomalyDetector(**params).fit(X)
    np.testing.assert_allclose(resumed.score_samples(X), full.score_samples(X), rtol=1e-5)


class _CopyCheckpoint(Callback):
    """Copies the checkpoint of the last epoch away, as if killed right after it."""

    def __init__(self, source, target, epoch):
        self.source, self.target, self.epoch = source, target, epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            shutil.copy(self.source / CHECKPOINT_NAME, self.target / CHECKPOINT_NAME)


def test_anomaly_resumed_after_its_last_epoch_has_error_statistics(tmp_path):
    X = np.random.RandomState(0).randn(30, 6, 1)
    run, killed = tmp_path / "run", tmp_path / "killed"
    run.mkdir()
    killed.mkdir()
    copier = _CopyCheckpoint(run, killed, epoch=2)
    det = LSTMAnomalyDetector(**TINY, checkpoint_dir=str(run), callbacks=[copier]).fit(X)
    resumed = resume_fit(killed, X, params={"callbacks": None})
    assert resumed.n_iter_ == 2
    np.testing.assert_allclose(resumed.offset_, det.offset_, rtol=1e-6)
    np.testing.assert_allclose(resumed.score_samples(X), det.score_samples(X), rtol=1e-6)


def test_classifier_early_stopping_with_a_tiny_class():
    rng = np.random.RandomState(0)
    X = rng.randn(8, 5)
    y = np.array(["a", "b"] * 4)
    with pytest.raises(ValueError, match="leaves no validation or no training sequence of any class"):
        LSTMClassifier(**TINY, early_stopping=True, validation_fraction=0.2).fit(X, y)


def test_unscaled_huge_targets_refused(data):
    X, _ = data
    with pytest.raises(ValueError, match="scale_target=False"):
        LSTMRegressor(**TINY, scale_target=False).fit(X, np.full(len(X), 1e20))


# --- clear errors -------------------------------------------------------------------


def test_negative_strides_accepted_in_fit_and_predict(data):
    X, y = data
    reversed_X = X[::-1]
    reg = LSTMRegressor(**TINY).fit(reversed_X, y[::-1])
    expected = reg.predict(np.ascontiguousarray(X[:, ::-1]))
    np.testing.assert_allclose(reg.predict(X[:, ::-1]), expected, rtol=1e-6)
    lagged = X[:, :, 0][:, ::-1]  # as skforecast passes lags
    LSTMRegressor(**TINY).fit(lagged, y).predict(lagged)


def test_torch_tensors_accepted(data):
    X, y = data
    reg = LSTMRegressor(**TINY).fit(torch.from_numpy(X), torch.from_numpy(y))
    np.testing.assert_allclose(reg.predict(torch.from_numpy(X)), reg.predict(X))


@pytest.mark.parametrize(
    "param",
    [
        {"hidden_size": True},
        {"max_epochs": True},
        {"hidden_size": 10**9},
        {"num_layers": 10**6},
        {"max_epochs": 10**12},
        {"conv_channels": 10**9},
        {"lr": True},
    ],
)
def test_bools_and_absurd_sizes_refused(data, param):
    X, y = data
    with pytest.raises(ValueError, match=next(iter(param))):
        LSTMRegressor(**{**TINY, **param}).fit(X, y)


def test_conv_pool_size_beyond_the_sequence_refused(data):
    X, y = data
    with pytest.raises(ValueError, match="conv_pool_size=1000000000"):
        LSTMRegressor(**{**TINY, "conv_channels": 4, "conv_pool_size": 10**9}).fit(X, y)


def test_callbacks_that_are_not_callbacks_refused(data):
    X, y = data
    with pytest.raises(TypeError, match=r"callbacks\[0\] must be a skorch Callback"):
        LSTMRegressor(**TINY, callbacks=[42]).fit(X, y)


def test_schedule_class_needing_arguments_refused(data):
    X, y = data
    with pytest.raises(ValueError, match="lr_schedule=StepLR needs arguments"):
        LSTMRegressor(**TINY, lr_schedule=torch.optim.lr_scheduler.StepLR).fit(X, y)


def test_invalid_checkpoint_dir_refused_before_training(data, tmp_path):
    X, y = data
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    epochs = []

    class Count(Callback):
        def on_epoch_end(self, net, **kwargs):
            epochs.append(1)

    with pytest.raises(ValueError, match="checkpoint_dir=.* cannot be created"):
        LSTMRegressor(**TINY, checkpoint_dir=str(blocker / "sub"), callbacks=[Count()]).fit(
            X, y
        )
    assert epochs == []


def test_datetime_column_refused():
    frame = pd.DataFrame(
        {"when": pd.date_range("2020", periods=12, freq="D"), "value": np.arange(12.0)}
    )
    with pytest.raises(TypeError, match=r"date or time columns \['when'\]"):
        LSTMRegressor(**TINY).fit(frame, np.arange(12.0))


def test_none_among_string_labels_refused():
    X = np.random.RandomState(0).randn(10, 4)
    y = np.array(["a", "b", None, "a", "b", "a", "b", "a", "b", "a"], dtype=object)
    with pytest.raises(ValueError, match="y holds None at 1 positions"):
        LSTMClassifier(**TINY).fit(X, y)


def test_anomaly_detector_refuses_too_many_features_before_training():
    X = np.zeros((4, 3, 2049), dtype=np.float32)
    with pytest.raises(ValueError, match="2049 features per time step"):
        LSTMAnomalyDetector(**TINY).fit(X)


def test_time_step_mismatch_names_time_steps(data):
    X, y = data
    reg = LSTMRegressor(**TINY).fit(X, y)
    with pytest.raises(ValueError, match="X has 4 features, but .* these 'features' are the time steps"):
        reg.predict(X[:, :4])


# --- inference ------------------------------------------------------------------


def test_gate_activations_in_chunks_match_one_batch(data, monkeypatch):
    X, y = data
    reg = LSTMRegressor(**TINY).fit(X, y)
    whole = reg.gate_activations(X)
    monkeypatch.setattr(reg, "_chunk_rows", lambda n_timesteps: 5)
    chunked = reg.gate_activations(X)
    for key in whole:
        np.testing.assert_allclose(chunked[key], whole[key], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(reg.predict(X), LSTMRegressor(**TINY).fit(X, y).predict(X))


def test_progress_bar_counts_every_epoch_after_early_stopping(data, capsys):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = LSTMRegressor(
            **{**TINY, "max_epochs": 40, "n_iter_no_change": 2, "tol": 10.0},
            early_stopping=True,
            verbose=1,
        ).fit(X, y)
    bar = dict(reg.net_.callbacks_)["progress"].bar_
    assert reg.n_iter_ < 40
    assert bar.total == bar.n == reg.n_iter_


# --- pickling --------------------------------------------------------------------


def test_pickle_and_deepcopy_never_load_pickled_tensors(data, monkeypatch):
    X, y = data
    reg = LSTMRegressor(**TINY).fit(X, y)
    calls = []
    real_load = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get("weights_only"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    restored = pickle.loads(pickle.dumps(reg))
    copied = copy.deepcopy(reg)
    assert calls == []
    np.testing.assert_array_equal(restored.predict(X), reg.predict(X))
    np.testing.assert_array_equal(copied.predict(X), reg.predict(X))


# --- sample weights ----------------------------------------------------------------


def test_sample_weight_moves_the_fit_towards_the_heavy_sequences():
    rng = np.random.RandomState(0)
    X = rng.randn(40, 4, 1)
    y = np.r_[np.zeros(20), np.full(20, 10.0)]
    weight = np.r_[np.ones(20), np.full(20, 1e-4)]
    params = {**TINY, "max_epochs": 30, "lr": 0.02}
    plain = LSTMRegressor(**params).fit(X, y).predict(X).mean()
    weighted = LSTMRegressor(**params).fit(X, y, sample_weight=weight).predict(X).mean()
    assert abs(weighted) < 0.5 * abs(plain - 0.0)


def test_equal_sample_weights_are_exactly_no_weights(data):
    X, y = data
    expected = LSTMRegressor(**TINY).fit(X, y).predict(X)
    got = LSTMRegressor(**TINY).fit(X, y, sample_weight=np.full(len(X), 3.0)).predict(X)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    "weight, message",
    [
        (-np.ones(24), "Negative values in data passed to `sample_weight`"),
        (np.zeros(24), "must contain at least one non-zero number"),
        (np.ones(5), r"sample_weight.shape == \(5,\), expected \(24,\)"),
    ],
)
def test_bad_sample_weight_refused(data, weight, message):
    X, y = data
    with pytest.raises(ValueError, match=message):
        LSTMRegressor(**TINY).fit(X, y, sample_weight=weight)


def test_sample_weight_with_class_weight_and_early_stopping():
    rng = np.random.RandomState(0)
    X = rng.randn(40, 5)
    y = np.where(X.mean(axis=1) > 0, "up", "down")
    weight = rng.uniform(0.5, 2.0, size=40)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = LSTMClassifier(**TINY, class_weight="balanced", early_stopping=True).fit(
            X, y, sample_weight=weight
        )
    assert np.isfinite(clf.validation_loss_curve_).all()
    det = LSTMAnomalyDetector(**TINY).fit(X[:, :, None], sample_weight=weight)
    assert np.isfinite(det.score_samples(X[:, :, None])).all()


def test_sample_weight_routed_through_a_search(data):
    from sklearn import config_context
    from sklearn.model_selection import GridSearchCV

    X, y = data
    weight = np.linspace(0.5, 1.5, len(X))
    with config_context(enable_metadata_routing=True):
        reg = LSTMRegressor(**TINY).set_fit_request(sample_weight=True)
        reg.set_score_request(sample_weight=False)
        search = GridSearchCV(reg, {"hidden_size": [3, 4]}, cv=2)
        search.fit(X, y, sample_weight=weight)
    assert search.best_params_["hidden_size"] in (3, 4)


def test_a_network_too_large_to_train_is_refused_before_allocation(data):
    X, y = data
    with pytest.raises(ValueError, match="describe a network of .* weights"):
        LSTMRegressor(**{**TINY, "hidden_size": 2**16, "num_layers": 4}).fit(X, y)

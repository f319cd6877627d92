"""Tests of LSTMRegressor."""

import pickle
import re

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit, cross_val_score
from sklearn.pipeline import Pipeline

from sklstm import LSTMRegressor, SlidingWindowTransformer

from conftest import FAST


@pytest.fixture(scope="module")
def fitted():
    """One fitted regressor shared by the read-only tests (do not refit it)."""
    rng = np.random.RandomState(0)
    X = rng.randn(60, 8, 2)
    y = 3.0 * X[:, -1, 0] - X[:, -2, 1]
    return LSTMRegressor(**FAST).fit(X, y), X, y


def test_regressor_learns(regression_data):
    """The training loss falls well below its first value on a learnable task."""
    X, y = regression_data
    reg = LSTMRegressor(hidden_size=16, max_epochs=40, lr=0.01, random_state=0)
    reg.fit(X, y)
    assert reg.loss_curve_[0] > 4 * reg.loss_curve_[-1]
    assert reg.score(X, y) > 0.8


def test_regressor_real_scale_targets(regression_data):
    """Targets in the thousands are learnt as well as standardised ones."""
    X, y = regression_data
    params = dict(hidden_size=16, max_epochs=30, lr=0.01, random_state=0)
    small = LSTMRegressor(**params).fit(X, y).score(X, y)
    large = LSTMRegressor(**params).fit(X * 50 + 300, y * 1000 + 5000)
    assert large.score(X * 50 + 300, y * 1000 + 5000) == pytest.approx(small, abs=0.02)


def test_regressor_scaling_can_be_turned_off(regression_data):
    """With scaling off, the module sees raw inputs and raw targets."""
    X, y = regression_data
    reg = LSTMRegressor(scale_inputs=False, scale_target=False, **FAST).fit(X, y)
    enc = reg.module_.encoder
    assert torch.equal(enc.x_mean, torch.zeros(2))
    assert torch.equal(enc.x_scale, torch.ones(2))
    raw = reg.module_(torch.as_tensor(X[:4], dtype=torch.float32)).detach()
    np.testing.assert_allclose(reg.predict(X[:4]), raw.numpy().ravel(), rtol=1e-5)


def test_regressor_1d_and_2d_y_keep_dimensions(regression_data):
    """1D y predicts 1D, 2D y (multi-output) predicts 2D."""
    X, y = regression_data
    assert LSTMRegressor(**FAST).fit(X, y).predict(X).shape == (60,)
    Y = np.column_stack([y, -y, 2 * y])
    reg = LSTMRegressor(**FAST).fit(X, Y)
    assert reg.predict(X).shape == (60, 3)
    assert reg.n_outputs_ == 3
    assert LSTMRegressor(**FAST).fit(X, y[:, None]).predict(X).shape == (60, 1)


def test_regressor_2d_x_equals_3d_univariate(rng):
    """2D X behaves exactly as the equivalent (n, t, 1) 3D X."""
    X = rng.randn(40, 6)
    y = X.sum(axis=1)
    p2 = LSTMRegressor(**FAST).fit(X, y).predict(X)
    p3 = LSTMRegressor(**FAST).fit(X[:, :, None], y).predict(X[:, :, None])
    np.testing.assert_array_equal(p2, p3)


def test_regressor_dataframe_keeps_feature_names(rng):
    """A DataFrame's columns become feature_names_in_."""
    df = pd.DataFrame(rng.randn(30, 5), columns=[f"t{i}" for i in range(5)])
    reg = LSTMRegressor(**FAST).fit(df, df.sum(axis=1))
    assert list(reg.feature_names_in_) == list(df.columns)
    assert reg.predict(df).shape == (30,)


def test_regressor_variable_length_sequences_are_packed(rng):
    """Ragged lists train; padding does not change a sequence's prediction."""
    seqs = [rng.randn(n, 2) for n in rng.randint(3, 12, size=40)]
    y = np.array([s[:, 0].sum() for s in seqs])
    reg = LSTMRegressor(**FAST).fit(seqs, y)
    assert not hasattr(reg, "n_features_in_")
    full = reg.predict(seqs)
    # predicted alone (no padding at all) or among longer sequences: the same
    alone = np.array([reg.predict([s, s[:1]])[0] for s in seqs[:5]])
    np.testing.assert_allclose(full[:5], alone, rtol=1e-5, atol=1e-6)


def test_regressor_random_state_reproducible(regression_data):
    """The same random_state gives equal predictions, another one differs."""
    X, y = regression_data
    a = LSTMRegressor(**FAST).fit(X, y).predict(X)
    b = LSTMRegressor(**FAST).fit(X, y).predict(X)
    c = LSTMRegressor(**{**FAST, "random_state": 1}).fit(X, y).predict(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_regressor_fit_leaves_global_rng_alone(regression_data):
    """Fitting neither reads nor advances the caller's torch RNG."""
    X, y = regression_data
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    LSTMRegressor(**FAST).fit(X, y)
    np.testing.assert_array_equal(torch.rand(3), expected)


def test_regressor_pickle_round_trip(fitted):
    """Unpickled models predict exactly as the original."""
    reg, X, _ = fitted
    clone = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(clone.predict(X), reg.predict(X))


def test_regressor_fitted_attributes(fitted):
    """History and shape attributes are set after fit."""
    reg, X, _ = fitted
    assert reg.n_iter_ == FAST["max_epochs"] == len(reg.loss_curve_)
    assert reg.validation_loss_curve_ is None
    assert reg.best_epoch_ == reg.n_iter_
    assert reg.input_size_ == 2 and reg.n_features_in_ == 8
    assert reg.module_ is reg.net_.module_


def test_regressor_early_stopping_uses_tail(regression_data):
    """Early stopping holds out the last sequences and restores the best epoch."""
    X, y = regression_data
    reg = LSTMRegressor(
        hidden_size=8,
        max_epochs=200,
        lr=0.05,
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=3,
        random_state=0,
    ).fit(X, y)
    assert reg.n_iter_ < 200
    assert len(reg.validation_loss_curve_) == reg.n_iter_
    best = int(np.argmin(reg.validation_loss_curve_)) + 1
    assert reg.best_epoch_ == best
    # the validation loss of the kept weights is the minimum of the curve
    tail = slice(45, 60)
    pred = reg.predict(X[tail])
    target = (y[tail] - reg._target_mean[0]) / reg._target_scale[0]
    scaled = (pred - reg._target_mean[0]) / reg._target_scale[0]
    mse = float(np.mean((scaled - target) ** 2))
    assert mse == pytest.approx(min(reg.validation_loss_curve_), rel=1e-3)


def test_regressor_early_stopping_warns_when_out_of_epochs(regression_data):
    """Running out of epochs while still improving raises ConvergenceWarning."""
    X, y = regression_data
    reg = LSTMRegressor(early_stopping=True, validation_fraction=0.2, **FAST)
    with pytest.warns(ConvergenceWarning, match="Increase max_epochs"):
        reg.fit(X, y)


@pytest.mark.parametrize(
    "params",
    [
        dict(cell="gru"),
        dict(bidirectional=True),
        dict(num_layers=2, dropout=0.2),
        dict(layer_norm=True),
        dict(conv_channels=4, conv_kernel_size=3),
        dict(optimizer="sgd", lr_schedule="step"),
        dict(optimizer="adamw", weight_decay=0.01, lr_schedule="cosine"),
        dict(optimizer="rmsprop", lr_schedule="onecycle"),
        dict(lr_schedule="plateau", clip_grad_norm=1.0),
        dict(lr_schedule=torch.optim.lr_scheduler.ConstantLR),
        dict(precision="bfloat16"),
    ],
)
def test_regressor_architecture_options(regression_data, params):
    """Every architecture and training option trains and predicts finite values."""
    X, y = regression_data
    reg = LSTMRegressor(**{**FAST, **params}).fit(X, y)
    assert np.isfinite(reg.predict(X)).all()


def test_regressor_callbacks_are_copied(regression_data):
    """User callbacks run on a copy; the parameter object is not modified."""
    from skorch.callbacks import EpochScoring

    X, y = regression_data
    cb = EpochScoring("neg_mean_squared_error", on_train=True, name="mse")
    reg = LSTMRegressor(callbacks=[cb], **FAST).fit(X, y)
    assert "mse" in reg.net_.history[-1]
    assert not hasattr(cb, "best_score_")


def test_regressor_verbose_shows_progress(regression_data, capsys):
    """verbose=1 prints a progress bar with the loss; verbose=0 prints nothing."""
    X, y = regression_data
    LSTMRegressor(**FAST).fit(X, y)
    quiet = capsys.readouterr()
    assert quiet.out == "" and quiet.err == ""
    LSTMRegressor(verbose=1, **FAST).fit(X, y)
    err = capsys.readouterr().err
    assert "epoch" in err and "train_loss" in err


def test_regressor_in_pipeline_with_time_series_split(rng):
    """Windowing + regressor works under GridSearchCV and cross_val_score."""
    t = np.arange(300)
    series = np.sin(t / 6.0)[:, None] + 0.05 * rng.randn(300, 1)
    y = np.roll(series[:, 0], -1)[:-1]
    series = series[:-1]
    pipe = Pipeline(
        [("windows", SlidingWindowTransformer(window_length=8)), ("lstm", LSTMRegressor(**FAST))]
    )
    scores = cross_val_score(pipe, series, y, cv=TimeSeriesSplit(n_splits=2))
    assert scores.shape == (2,)
    search = GridSearchCV(
        pipe, {"lstm__hidden_size": [4, 8]}, cv=TimeSeriesSplit(n_splits=2)
    ).fit(series, y)
    assert search.best_params_["lstm__hidden_size"] in (4, 8)


def test_regressor_gate_activations(fitted):
    """Gate activations have one value per sequence, step and unit, in range."""
    reg, X, _ = fitted
    gates = reg.gate_activations(X[:3])
    assert set(gates) == {
        "input_gate",
        "forget_gate",
        "cell_candidate",
        "output_gate",
        "cell_state",
        "hidden_state",
    }
    for name, value in gates.items():
        assert value.shape == (3, 8, FAST["hidden_size"])
    for name in ("input_gate", "forget_gate", "output_gate"):
        assert gates[name].min() >= 0 and gates[name].max() <= 1


def test_regressor_gate_activations_match_torch_lstm(rng):
    """Recomputed hidden states equal nn.LSTM's output, for every layer."""
    X = rng.randn(20, 7, 3)
    y = X[:, -1, 0]
    reg = LSTMRegressor(**{**FAST, "num_layers": 2, "bidirectional": True}).fit(X, y)
    enc = reg.module_.encoder
    with torch.no_grad():
        out, _ = enc.rnn(enc.embed(torch.as_tensor(X, dtype=torch.float32))[0])
    gates = reg.gate_activations(X, layer=-1)
    np.testing.assert_allclose(gates["hidden_state"], out.numpy(), atol=1e-5)


def test_regressor_gate_activations_errors(fitted, regression_data):
    """Gates need an LSTM cell and a valid layer."""
    reg, X, y = fitted
    with pytest.raises(ValueError, match=re.escape("layer must be an integer in [-1, 0]")):
        reg.gate_activations(X, layer=1)
    gru = LSTMRegressor(cell="gru", **FAST).fit(X, y)
    with pytest.raises(ValueError, match=re.escape("gate_activations needs cell='lstm'")):
        gru.gate_activations(X)


def test_regressor_unfitted_raises():
    """Using an unfitted model raises NotFittedError."""
    with pytest.raises(NotFittedError):
        LSTMRegressor().predict(np.zeros((2, 3)))
    with pytest.raises(NotFittedError):
        LSTMRegressor().gate_activations(np.zeros((2, 3)))


@pytest.mark.parametrize(
    "X, y, error, message",
    [
        (np.full((5, 4), np.nan), np.ones(5), ValueError, "Input X contains NaN"),
        (np.full((5, 4), np.inf), np.ones(5), ValueError, "Input X contains infinity"),
        (np.zeros((5, 4, 1, 1)), np.ones(5), ValueError, "got 4D array instead"),
        (np.zeros((0, 4)), np.ones(0), ValueError, "minimum of 1 is required"),
        (np.zeros((5, 4)), np.ones(4), ValueError, "X has 5 sequences, y has 4 values"),
        (np.zeros((5, 4)), np.array([1, 2, np.nan, 4, 5]), ValueError, "Input y contains NaN"),
        (np.array([["a", "b"], ["c", "d"]]), np.ones(2), TypeError, "expects numeric sequences"),
        (np.zeros((5, 4)), np.ones((5, 2, 2)), ValueError, "y must be 1D (n_samples,) or 2D"),
        (np.zeros(5), np.ones(5), ValueError, "Reshape your data"),
    ],
)
def test_regressor_bad_input_messages(X, y, error, message):
    """Bad X or y raises an error that names the problem."""
    with pytest.raises(error, match=re.escape(message)):
        LSTMRegressor(**FAST).fit(X, y)


def test_regressor_predict_shape_mismatch_messages(fitted):
    """A different number of steps or features at predict time is rejected."""
    reg, X, _ = fitted
    with pytest.raises(
        ValueError,
        match=re.escape(
            "X has 3 features per time step, but LSTMRegressor is expecting "
            "2 features per time step as input."
        ),
    ):
        reg.predict(np.zeros((2, 8, 3)))
    with pytest.raises(
        ValueError,
        match=re.escape("X has 5 features, but LSTMRegressor is expecting 8 features"),
    ):
        reg.predict(np.zeros((2, 5, 2)))


def test_regressor_small_array_predict_matches_general_path(fitted):
    """Small contiguous arrays take a shorter path that gives the same predictions.

    A list of arrays, a strided view and a float32 copy go through the general
    validation; the contiguous float64 array and each single window take the
    short path. All must agree.
    """
    reg, X, _ = fitted
    X = X[:6]
    general = reg.predict(list(X))
    np.testing.assert_allclose(reg.predict(np.ascontiguousarray(X)), general, rtol=1e-6)
    np.testing.assert_allclose(reg.predict(X.astype(np.float32)), general, rtol=1e-6)
    strided = np.repeat(X, 2, axis=0)[::2]
    assert not strided.flags.c_contiguous
    np.testing.assert_allclose(reg.predict(strided), general, rtol=1e-6)
    singles = np.concatenate([reg.predict(X[i : i + 1]) for i in range(len(X))])
    np.testing.assert_allclose(singles, general, rtol=1e-5)


@pytest.mark.parametrize(
    "value, message",
    [(np.nan, "Input X contains NaN"), (np.inf, "Input X contains infinity"),
     (-np.inf, "Input X contains infinity"), (1e39, "values as large as 1e+39")],
)
def test_regressor_single_window_bad_values_rejected(fitted, value, message):
    """One bad value in a single window is found and named, as in a large batch."""
    reg, X, _ = fitted
    window = X[:1].copy()
    window[0, 3, 1] = value
    with pytest.raises(ValueError, match=re.escape(message)):
        reg.predict(window)


def test_regressor_single_window_large_values_accepted(fitted):
    """Values too large for the short path's check but valid still predict."""
    reg, X, _ = fitted
    window = X[:1].copy()
    window[0, 3, 1] = 1e25  # its square overflows float32, the value does not
    pred = reg.predict(window.astype(np.float32))
    assert pred.shape == (1,) and np.isfinite(pred).all()


def test_regressor_predict_after_dataframe_fit_warns_on_arrays(rng):
    """Fitted on a DataFrame, predicting a small array still warns about names."""
    X = pd.DataFrame(rng.randn(30, 6), columns=[f"t{i}" for i in range(6)])
    reg = LSTMRegressor(**FAST).fit(X, rng.randn(30))
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        reg.predict(X.to_numpy()[:1])


def test_regressor_ragged_bad_input_messages():
    """Variable-length input is checked sequence by sequence."""
    reg = LSTMRegressor(**FAST)
    with pytest.raises(ValueError, match=re.escape("Sequence 1 of X contains NaN")):
        reg.fit([np.ones((3, 1)), np.array([[1.0], [np.nan]])], [1.0, 2.0])
    with pytest.raises(ValueError, match=re.escape("Sequence 0 of X is empty")):
        reg.fit([np.ones((0, 1)), np.ones((2, 1))], [1.0, 2.0])
    with pytest.raises(ValueError, match=re.escape("same number of features")):
        reg.fit([np.ones((3, 1)), np.ones((2, 2))], [1.0, 2.0])


def test_regressor_parameter_checks(regression_data):
    """Invalid parameters and impossible combinations are rejected in fit."""
    X, y = regression_data
    with pytest.raises(ValueError, match="'cell' parameter of LSTMRegressor"):
        LSTMRegressor(cell="rnn").fit(X, y)
    with pytest.raises(ValueError, match=re.escape("leaves no validation or no training")):
        LSTMRegressor(early_stopping=True, validation_fraction=0.01).fit(X[:10], y[:10])
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match=re.escape("device='cuda' was requested")):
            LSTMRegressor(device="cuda").fit(X, y)


def test_regressor_device_auto_uses_cpu_without_gpu(regression_data):
    """device='auto' trains on the CPU when no GPU is present."""
    X, y = regression_data
    reg = LSTMRegressor(device="auto", **FAST).fit(X, y)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert next(reg.module_.parameters()).device.type == expected


def test_regressor_warm_start_continues(regression_data):
    """warm_start=True continues from the current weights and extends history."""
    X, y = regression_data
    reg = LSTMRegressor(warm_start=True, **FAST).fit(X, y)
    first = list(reg.loss_curve_)
    reg.fit(X, y)
    assert reg.n_iter_ == 2 * FAST["max_epochs"]
    assert reg.loss_curve_[: len(first)] == first
    assert reg.loss_curve_[-1] < first[0]


def test_regressor_conv_pool_auto(rng):
    """conv_pool_size='auto' pools long sequences down to at most 64 steps."""
    X = rng.randn(20, 150, 1)
    y = X[:, -10:, 0].mean(axis=1)
    reg = LSTMRegressor(**{**FAST, "conv_channels": 4}).fit(X, y)
    assert reg.module_.encoder.conv_pool == 3
    gates = reg.gate_activations(X[:2])
    assert gates["hidden_state"].shape == (2, 50, FAST["hidden_size"])
    short = LSTMRegressor(**{**FAST, "conv_channels": 4}).fit(X[:, :64], y)
    assert short.module_.encoder.conv_pool == 1
    fixed = LSTMRegressor(**{**FAST, "conv_channels": 4, "conv_pool_size": 2}).fit(X, y)
    assert fixed.module_.encoder.conv_pool == 2


def test_regressor_batch_size_auto(regression_data):
    """batch_size='auto' gives small training sets small batches."""
    X, y = regression_data
    reg = LSTMRegressor(**{**FAST, "batch_size": "auto"}).fit(X, y)
    assert reg.net_.batch_size == 8
    big = np.repeat(X, 10, axis=0)
    reg = LSTMRegressor(**{**FAST, "batch_size": "auto", "max_epochs": 1})
    assert reg.fit(big, np.repeat(y, 10)).net_.batch_size == 32


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_regressor_target_statistics_in_chunks(monkeypatch, dtype):
    """Chunked target statistics equal NumPy's whole-array ones, y unchanged."""
    from sklstm import _regressor

    monkeypatch.setattr(_regressor, "_TARGET_CHUNK", 7)
    rng = np.random.RandomState(0)
    y = (rng.randn(50, 2) * [3.0, 1000.0] + [1e4, -5.0]).astype(dtype)
    before = y.copy()
    mean, scale = _regressor._target_stats(y)
    np.testing.assert_allclose(mean, y.astype(np.float64).mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(scale, y.astype(np.float64).std(axis=0), rtol=1e-10)
    np.testing.assert_array_equal(y, before)


_NEEDS_GPU = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@_NEEDS_GPU
@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_regressor_cuda_matches_cpu(regression_data, precision):
    """Trained on the GPU (cuDNN), the defaults learn as on the CPU.

    Same seed, same initial weights and batch order: the two fits differ
    only by floating-point rounding, so their predictions stay close. The
    fitted model predicts single windows as it predicts them in a batch.
    """
    X, y = regression_data
    params = dict(hidden_size=16, max_epochs=20, lr=0.01, random_state=0)
    gpu = LSTMRegressor(device="cuda", precision=precision, **params).fit(X, y)
    cpu = LSTMRegressor(device="cpu", **params).fit(X, y)
    assert next(gpu.module_.parameters()).is_cuda
    assert gpu.score(X, y) > 0.8
    tolerance = 0.05 if precision == "float32" else 0.25
    np.testing.assert_allclose(
        gpu.predict(X), cpu.predict(X), atol=tolerance * y.std()
    )
    single = np.concatenate([gpu.predict(X[i : i + 1]) for i in range(5)])
    np.testing.assert_allclose(single, gpu.predict(X)[:5], rtol=1e-4, atol=1e-4)
    gates = gpu.gate_activations(X[:3])
    assert gates["cell_state"].shape == (3, X.shape[1], 32)


@_NEEDS_GPU
def test_regressor_cuda_variable_length_and_early_stopping(rng):
    """Packed sequences and the validation split run on the GPU."""
    X = [rng.randn(n, 2) for n in rng.randint(3, 12, size=40)]
    y = np.array([s[:, 0].sum() for s in X])
    reg = LSTMRegressor(
        device="cuda", early_stopping=True, n_iter_no_change=3, **FAST
    ).fit(X, y)
    alone = reg.predict([X[0]])
    np.testing.assert_allclose(alone, reg.predict(X)[:1], rtol=1e-4, atol=1e-4)
    assert reg.validation_loss_curve_ is not None


@pytest.mark.parametrize("window_norm", ["last", "mean"])
def test_window_norm_follows_the_level(window_norm):
    """With window_norm, shifting every input by c shifts the predictions by c."""
    rng = np.random.RandomState(0)
    X = np.cumsum(rng.randn(40, 6, 1), axis=1)
    y = X[:, -1, 0] + 0.5
    reg = LSTMRegressor(**FAST, window_norm=window_norm).fit(X, y)
    shifted = reg.predict(X + 100.0)
    np.testing.assert_allclose(shifted - reg.predict(X), 100.0, rtol=1e-4)


def test_window_norm_survives_save_and_load(tmp_path):
    """The per-window normalisation and its target statistics are saved."""
    from sklstm import load_model, save_model

    X = np.cumsum(np.random.RandomState(0).randn(30, 5, 1), axis=1)
    reg = LSTMRegressor(**FAST, window_norm="last").fit(X, X[:, -1, 0])
    save_model(reg, tmp_path / "model.sklstm")
    again = load_model(tmp_path / "model.sklstm")
    np.testing.assert_allclose(again.predict(X + 50.0), reg.predict(X + 50.0))


# --- quantiles (pinball loss) --------------------------------------------

QUANTILE = {**FAST, "max_epochs": 30, "lr": 1e-2}


@pytest.fixture(scope="module")
def quantile_fitted():
    """A quantile regressor on a noisy toy problem (read-only)."""
    rng = np.random.RandomState(0)
    X = rng.randn(600, 6)
    y = X[:, -1] + 0.5 * rng.randn(600)
    reg = LSTMRegressor(**QUANTILE, quantiles=[0.9, 0.1, 0.5]).fit(X[:400], y[:400])
    return reg, X[400:], y[400:]


def test_pinball_loss_by_hand():
    """The pinball loss is max(tau r, (tau - 1) r), averaged over every element."""
    from sklstm._modules import _PinballLoss

    loss = _PinballLoss([0.1, 0.9])
    # two targets, two levels each (target-major), one sample
    pred = torch.tensor([[0.0, 1.0, 2.0, 2.0]])
    target = torch.tensor([[0.5, 1.0]])
    # target 0.5: r = 0.5 at 0.1 -> 0.05, r = -0.5 at 0.9 -> 0.05
    # target 1.0: r = -1 at 0.1 -> 0.9, r = -1 at 0.9 -> 0.1
    assert loss(pred, target).item() == pytest.approx((0.05 + 0.05 + 0.9 + 0.1) / 4)
    loss.reduction = "none"
    assert loss(pred, target).shape == (1, 2, 2)


def test_quantiles_cover_roughly_their_level(quantile_fitted):
    """About 10 % of held-out targets fall below q0.1 and 90 % below q0.9."""
    reg, X, y = quantile_fitted
    q = reg.predict_quantiles(X)
    assert q.shape == (len(X), 3)
    np.testing.assert_array_equal(reg.quantiles_, [0.1, 0.5, 0.9])
    assert 0.03 <= (y < q[:, 0]).mean() <= 0.2
    assert 0.8 <= (y < q[:, 2]).mean() <= 0.97
    assert (np.diff(q, axis=1) >= 0).all()
    np.testing.assert_allclose(reg.predict(X), q[:, 1])


def test_quantiles_2d_targets_and_median_choice(rng):
    """A 2D y keeps its outputs; predict returns the level closest to 0.5."""
    X = rng.randn(40, 5)
    Y = np.column_stack([X[:, -1], 100 + 10 * X[:, -2]])
    reg = LSTMRegressor(**FAST, quantiles=[0.2, 0.45, 0.8]).fit(X, Y)
    q = reg.predict_quantiles(X[:4])
    assert q.shape == (4, 2, 3)
    assert (np.diff(q, axis=2) >= 0).all()
    np.testing.assert_allclose(reg.predict(X[:4]), q[:, :, 1])
    # sample weights go through the pinball loss with reduction="none"
    LSTMRegressor(**FAST, quantiles=[0.5]).fit(X, Y, sample_weight=np.ones(40))


def test_quantiles_sorted_even_when_the_network_crosses(quantile_fitted):
    """predict_quantiles sorts the raw outputs across the levels."""
    reg, X, _ = quantile_fitted
    raw = reg._predict_outputs(X, dtype=np.float64)
    expected = np.sort(raw * reg._target_scale + reg._target_mean, axis=1)
    np.testing.assert_allclose(reg.predict_quantiles(X), expected)


def test_quantiles_save_load_and_pickle(quantile_fitted, tmp_path):
    """The pinball loss and its levels survive save_model/load_model and pickle."""
    from sklstm import load_model, save_model
    from sklstm._modules import _PinballLoss

    reg, X, _ = quantile_fitted
    save_model(reg, tmp_path / "q.sklstm")
    for again in (load_model(tmp_path / "q.sklstm"), pickle.loads(pickle.dumps(reg))):
        np.testing.assert_allclose(again.predict_quantiles(X), reg.predict_quantiles(X))
        np.testing.assert_array_equal(again.quantiles_, reg.quantiles_)
        assert isinstance(again.net_.criterion_, _PinballLoss)
        np.testing.assert_allclose(again.net_.criterion_.quantiles, reg.quantiles_)


def test_quantiles_warm_start_refuses_new_levels(rng):
    """The levels fix the network's output size: a warm fit refuses a change."""
    X, y = rng.randn(30, 5), rng.randn(30)
    reg = LSTMRegressor(**FAST, quantiles=[0.1, 0.9], warm_start=True).fit(X, y)
    reg.set_params(quantiles=[0.5])
    with pytest.raises(ValueError, match="quantiles"):
        reg.fit(X, y)


@pytest.mark.parametrize(
    "quantiles, message",
    [([], "non-empty"), ([0.0, 0.5], "strictly between"), ([0.5, 1.2], "strictly between"),
     ([0.5, 0.5], "twice"), ([["a"]], "non-empty")],
)
def test_quantiles_bad_values(rng, quantiles, message):
    X, y = rng.randn(20, 4), rng.randn(20)
    with pytest.raises(ValueError, match=message):
        LSTMRegressor(**FAST, quantiles=quantiles).fit(X, y)


def test_predict_quantiles_needs_quantiles(fitted):
    reg, X, _ = fitted
    with pytest.raises(ValueError, match="set quantiles"):
        reg.predict_quantiles(X)


def test_window_norm_keeps_covariate_values(rng):
    """Only the first feature is centred: a constant covariate still reaches
    the network (centred too, it would be zero in every window)."""
    X = np.concatenate(
        [np.cumsum(rng.randn(40, 6, 1), axis=1), np.repeat(rng.rand(40, 1, 1), 6, axis=1)],
        axis=2,
    )
    reg = LSTMRegressor(**FAST, window_norm="last").fit(X, X[:, -1, 0] + X[:, 0, 1])
    low, high = X.copy(), X.copy()
    low[:, :, 1], high[:, :, 1] = 0.0, 1.0
    assert not np.allclose(reg.predict(low), reg.predict(high))
    # the level of the first feature still carries over exactly
    shifted = X.copy()
    shifted[:, :, 0] += 100.0
    np.testing.assert_allclose(reg.predict(shifted) - reg.predict(X), 100.0, rtol=1e-4)


# --- highway (linear autoregressive skip path) ----------------------------


def test_untrained_highway_with_window_norm_last_is_the_naive_forecast():
    """The highway and the head start at zero: the output is the last value."""
    rng = np.random.RandomState(0)
    X = np.cumsum(rng.randn(30, 6), axis=1) * 5.0 + 40.0
    y = X[:, -1] + rng.randn(30)
    frozen = {**FAST, "lr": 1e-12, "max_epochs": 1, "window_norm": "last"}
    reg = LSTMRegressor(**frozen, highway_window=3).fit(X, y)
    np.testing.assert_allclose(reg.predict(X), X[:, -1], atol=1e-3)
    without = LSTMRegressor(**frozen).fit(X, y)
    assert np.abs(without.predict(X) - X[:, -1]).max() > 1e-2


def test_highway_learns_a_linear_dependence_and_reads_variable_lengths():
    rng = np.random.RandomState(0)
    X = rng.randn(64, 6)
    y = 2.0 * X[:, -2]
    reg = LSTMRegressor(**{**FAST, "max_epochs": 15, "lr": 1e-2}, highway_window=2)
    reg.fit(X, y)
    assert reg.module_.highway.weight.abs().sum().item() > 0
    # a sequence shorter than the window: missing steps count as zero
    short = reg.predict([X[0, :1], X[1]])
    assert np.isfinite(short).all()
    np.testing.assert_allclose(short[1], reg.predict(X[1:2])[0], rtol=1e-5)


def test_highway_window_is_validated():
    with pytest.raises(ValueError, match="highway_window"):
        LSTMRegressor(highway_window=0).fit(np.zeros((4, 3)), np.zeros(4))

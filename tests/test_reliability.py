"""Reliability: bad input, divergence, interruption, warm starts, determinism.

The property-based tests at the top throw generated bad input (shapes,
dtypes, NaN/inf, empty and ragged collections, object arrays, mismatched
``y``, extreme values) at every public ``fit``/``predict``/``transform`` and
require that each call either works, with finite outputs, or raises a
``ValueError``/``TypeError`` (``NotFittedError`` is a ``ValueError``) with a
message. Anything else (an ``IndexError``, a ``RuntimeError`` from torch, a
NaN prediction) fails the test with the shrunk input that caused it.
"""

import random
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from joblib import Parallel, delayed
from skorch.callbacks import Callback

import sklstm
from sklstm import (
    LSTMClassifier,
    LSTMRegressor,
    SequenceImputer,
    SequenceScaler,
    SlidingWindowTransformer,
    load_model,
    make_windows,
    save_model,
)
from sklstm._base import _PREDICT_STEPS

try:
    from sklstm import LSTMAnomalyDetector
except ImportError:  # pragma: no cover - the detector is part of the package
    LSTMAnomalyDetector = None

# Tiny models: the property tests fit hundreds of them.
TINY = dict(hidden_size=2, max_epochs=1, batch_size=4, random_state=0)

# Reproducible in CI (derandomize), no example database written to disk, and
# no deadline: the first fit in a process is much slower than the others.
FUZZ = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

# --- generated bad input ------------------------------------------------------

SPECIAL = [
    np.nan,
    np.inf,
    -np.inf,
    0.0,
    -0.0,
    1e308,
    -1e308,
    3.4e38,
    -3.4e38,
    1e38,
    1e20,
    1e-308,
    5e-324,
    65504.0,
]
DTYPES = [
    "float64",
    "float32",
    "float16",
    "int64",
    "int8",
    "uint8",
    "bool",
    "complex128",
    "object",
    "<U3",
    "datetime64[s]",
]
values = st.one_of(
    st.floats(-10, 10),
    st.sampled_from(SPECIAL),
    st.floats(allow_nan=True, allow_infinity=True),
)


def _cast(arr, dtype, draw):
    """``arr`` (float64) as ``dtype``; object arrays may hold text or None."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if dtype == "object":
            out = arr.astype(object)
            if out.size and draw(st.booleans()):
                out.flat[0] = draw(st.sampled_from(["a", None, 1, b"x"]))
            return out
        if dtype == "datetime64[s]":
            return np.nan_to_num(arr, posinf=0, neginf=0).astype("int64").astype(dtype)
        return arr.astype(dtype)


@st.composite
def arrays(draw, shape=None):
    """An array of any small shape (or ``shape``) and any dtype."""
    if shape is None:
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
    arr = draw(hnp.arrays(np.float64, shape, elements=values))
    dtype = draw(st.sampled_from(DTYPES)) if draw(st.booleans()) else "float64"
    return _cast(arr, dtype, draw)


@st.composite
def collections(draw):
    """Anything a user might pass as X, valid or not."""
    kind = draw(st.integers(0, 8))
    if kind == 0:
        return draw(arrays())
    if kind == 7:  # views with negative strides (reversed time or rows)
        arr = draw(arrays((draw(st.integers(1, 6)), draw(st.integers(1, 5)), 1)))
        return arr[::-1] if draw(st.booleans()) else arr[:, ::-1]
    if kind == 8:  # torch tensors
        arr = draw(arrays((draw(st.integers(1, 6)), draw(st.integers(1, 5)))))
        try:
            return torch.from_numpy(np.ascontiguousarray(arr))
        except TypeError:  # a dtype torch has no tensor for
            return arr
    if kind == 1:  # plausible 3D collections, often valid
        shape = (
            draw(st.integers(1, 6)),
            draw(st.integers(1, 5)),
            draw(st.integers(1, 2)),
        )
        return draw(arrays(shape))
    if kind == 2:  # lists of sequences, usually ragged
        n = draw(st.integers(0, 4))
        width = draw(st.integers(0, 2))
        return [
            draw(arrays((draw(st.integers(0, 5)),) + ((width,) if width else ())))
            for _ in range(n)
        ]
    if kind == 3:  # nested Python lists
        return draw(st.lists(st.lists(values, max_size=4), max_size=4))
    if kind == 4:
        return draw(arrays((draw(st.integers(0, 5)), draw(st.integers(0, 5)))))
    if kind == 5:
        table = draw(arrays((draw(st.integers(0, 5)), draw(st.integers(0, 4)))))
        return pd.DataFrame(np.atleast_2d(table))
    return draw(
        st.sampled_from([None, 3.0, "abc", {}, [], [[]], [[1, 2], [3]], (1, 2)])
    )


# finite values over the whole accepted range, to probe numerical robustness
wide_values = st.one_of(
    st.floats(-10, 10), st.floats(-1.7e38, 1.7e38), st.sampled_from([0.0, 1e-30, 1e30])
)


@st.composite
def plausible_collections(draw):
    """Well-formed collections (3D or ragged) of finite values of any magnitude."""
    n = draw(st.integers(1, 8))
    width = draw(st.integers(1, 2))
    dtype = draw(st.sampled_from(["float64", "float32", "int64"]))
    if draw(st.booleans()):
        steps = draw(st.integers(1, 5))
        arr = draw(hnp.arrays(np.float64, (n, steps, width), elements=wide_values))
        return _cast(arr, dtype, draw)
    return [
        _cast(
            draw(
                hnp.arrays(
                    np.float64, (draw(st.integers(1, 5)), width), elements=wide_values
                )
            ),
            dtype,
            draw,
        )
        for _ in range(n)
    ]


@st.composite
def token_collections(draw):
    """Token ids in [0, 6): 2D arrays (0 pads) or ragged lists (6 is out of range)."""
    n = draw(st.integers(1, 8))
    ids = st.integers(0, 5)
    if draw(st.booleans()):
        return draw(hnp.arrays(np.int64, (n, draw(st.integers(1, 5))), elements=ids))
    return [
        draw(hnp.arrays(np.int64, draw(st.integers(1, 5)), elements=ids))
        for _ in range(n)
    ]


@st.composite
def plausible_targets(draw, n, kind):
    """Well-formed targets: numbers of any magnitude, or a few labels."""
    if kind == "labels":
        labels = draw(st.sampled_from([[0, 1, 2], ["a", "b"], [True, False]]))
        return np.array(draw(st.lists(st.sampled_from(labels), min_size=n, max_size=n)))
    shape = (n,) if draw(st.booleans()) else (n, draw(st.integers(1, 2)))
    return draw(hnp.arrays(np.float64, shape, elements=wide_values))


def _n_rows(X):
    try:
        return len(X)
    except TypeError:
        return 3


@st.composite
def targets(draw, n):
    """A y for n sequences: right, wrong length, non-finite, text, 2D, ..."""
    kind = draw(st.integers(0, 7))
    if kind == 0:
        return draw(hnp.arrays(np.float64, n, elements=st.floats(-100, 100)))
    if kind == 1:
        return draw(arrays((max(0, n + draw(st.sampled_from([-1, 1]))),)))
    if kind == 2:
        return draw(arrays((n,)))
    if kind == 3:
        return np.array(["a", "b"] * n)[:n]
    if kind == 4:
        return draw(arrays((n, draw(st.integers(0, 2)))))
    if kind == 5:
        return draw(arrays((n, 1, 2)))
    if kind == 6:
        return np.zeros(n)  # one class
    return draw(st.sampled_from([None, "x", 3.0]))


def _works_or_says_why(call):
    """``call()``'s result, or None if it raised ValueError/TypeError with a message."""
    try:
        # warnings (for example the divergence warning on absurd data) are
        # allowed; the fuzz judges results and exceptions only
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = call()
    except (ValueError, TypeError) as exc:
        assert str(exc).strip(), f"{type(exc).__name__} raised without a message"
        event(f"raised {type(exc).__name__}: {str(exc)[:50]}")
        return None
    event("worked")
    return out


def _assert_finite(out):
    assert np.isfinite(np.asarray(out, dtype=np.float64)).all(), "non-finite output"


def _fit_and_predict(estimator, X, y):
    def call():
        is_detector = LSTMAnomalyDetector is not None and isinstance(
            estimator, LSTMAnomalyDetector
        )
        est = estimator.fit(X) if is_detector else estimator.fit(X, y)
        if isinstance(est, LSTMClassifier):
            proba = est.predict_proba(X)
            np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
            assert set(est.predict(X)) <= set(est.classes_)
            return proba
        if is_detector:
            labels = est.predict(X)
            assert set(np.unique(labels)) <= {-1, 1}
            return est.score_samples(X)
        return est.predict(X)

    out = _works_or_says_why(call)
    if out is not None:
        _assert_finite(out)


def _estimator(name):
    if name == "regressor":
        return LSTMRegressor(**TINY)
    if name == "classifier":
        return LSTMClassifier(**TINY)
    if name == "token_classifier":
        return LSTMClassifier(vocab_size=5, embedding_dim=2, **TINY)
    return LSTMAnomalyDetector(**TINY)


FIT_TARGETS = ["regressor", "classifier", "token_classifier"]
if LSTMAnomalyDetector is not None:
    FIT_TARGETS.append("anomaly_detector")
# (LSTMAnomalyDetector joins the lists above and below when it is importable.)


@pytest.mark.parametrize("name", FIT_TARGETS)
@settings(max_examples=150, **FUZZ)
@given(data=st.data())
def test_bad_input_fit_works_or_raises_clearly(name, data):
    """fit, then predict, on generated input: finite output or a clear error."""
    good = (
        token_collections() if name == "token_classifier" else plausible_collections()
    )
    X = data.draw(st.one_of(good, collections()), label="X")
    y = None
    if name != "anomaly_detector":
        n = _n_rows(X)
        kind = "numbers" if name == "regressor" else "labels"
        y = data.draw(st.one_of(plausible_targets(n, kind), targets(n)), label="y")
    _fit_and_predict(_estimator(name), X, y)


@pytest.fixture(scope="module")
def fitted_models():
    """Fitted models for the predict-time fuzz (do not refit them)."""
    rng = np.random.RandomState(0)
    X = rng.randn(12, 4, 2)
    y = rng.randn(12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        models = {
            "regressor": LSTMRegressor(**TINY).fit(X, y),
            "classifier": LSTMClassifier(**TINY).fit(X, y > 0),
            "ragged_regressor": LSTMRegressor(**TINY).fit(
                [X[i, : 2 + i % 3] for i in range(12)], y
            ),
            "token_classifier": LSTMClassifier(
                vocab_size=5, embedding_dim=2, **TINY
            ).fit(rng.randint(0, 5, (12, 4)), y > 0),
        }
        if LSTMAnomalyDetector is not None:
            models["anomaly_detector"] = LSTMAnomalyDetector(**TINY).fit(X)
    return models


@st.composite
def matching_collections(draw, name):
    """Input shaped as the fitted models expect, with any values."""
    n = draw(st.integers(1, 6))
    if name == "token_classifier":
        return draw(hnp.arrays(np.int64, (n, 4), elements=st.integers(-1, 6)))
    elements = st.one_of(wide_values, values)
    if name == "ragged_regressor":
        return [
            draw(
                hnp.arrays(np.float64, (draw(st.integers(1, 6)), 2), elements=elements)
            )
            for _ in range(n)
        ]
    return draw(hnp.arrays(np.float64, (n, 4, 2), elements=elements))


@settings(max_examples=300, **FUZZ)
@given(data=st.data())
def test_bad_input_fitted_predict_works_or_raises_clearly(fitted_models, data):
    """predict/predict_proba/score_samples of fitted models on generated input."""
    name = data.draw(st.sampled_from(sorted(fitted_models)), label="model")
    model = fitted_models[name]
    X = data.draw(st.one_of(matching_collections(name), collections()), label="X")
    methods = ["predict"]
    if isinstance(model, LSTMClassifier):
        methods.append("predict_proba")
    if hasattr(model, "score_samples"):
        methods += ["score_samples", "decision_function"]
    for method in methods:
        out = _works_or_says_why(lambda: getattr(model, method)(X))
        if out is None:
            continue
        if isinstance(model, LSTMClassifier) and method == "predict":
            assert set(out) <= set(model.classes_)
        else:
            _assert_finite(out)


@pytest.mark.parametrize(
    "name",
    ["regressor", "classifier"] + (["anomaly_detector"] if LSTMAnomalyDetector else []),
)
def test_bad_input_unfitted_estimator_raises_not_fitted(name, regression_data):
    """Prediction methods of an unfitted estimator raise NotFittedError."""
    from sklearn.exceptions import NotFittedError

    X, _ = regression_data
    with pytest.raises(NotFittedError, match="is not fitted yet"):
        _estimator(name).predict(X)


def _transform_calls(X, draw):
    window = draw(st.integers(1, 4))
    method = draw(st.sampled_from(["linear", "ffill"]))
    fitted_2d = SlidingWindowTransformer(window_length=3).fit(np.zeros((5, 2)))
    fitted_3d = np.random.RandomState(0).randn(4, 3, 2)
    scaler = SequenceScaler().fit(fitted_3d)
    imputer = SequenceImputer().fit(fitted_3d)
    return [
        (
            "window_fit_transform",
            lambda: SlidingWindowTransformer(window_length=window).fit_transform(X),
        ),
        ("window_transform", lambda: fitted_2d.transform(X)),
        ("scaler_fit_transform", lambda: SequenceScaler().fit_transform(X)),
        ("scaler_transform", lambda: scaler.transform(X)),
        ("scaler_inverse_transform", lambda: scaler.inverse_transform(X)),
        (
            "imputer_fit_transform",
            lambda: SequenceImputer(method=method).fit_transform(X),
        ),
        ("imputer_transform", lambda: imputer.transform(X)),
    ]


def _finite_input(X):
    try:
        arrs = X if isinstance(X, list) else [X]
        return all(np.isfinite(np.asarray(a, dtype=np.float64)).all() for a in arrs)
    except (TypeError, ValueError):
        return False


@settings(max_examples=300, **FUZZ)
@given(data=st.data())
def test_bad_input_transformers_work_or_raise_clearly(data):
    """Transformers on generated input: finite output (imputer, scaled finite input)."""
    X = data.draw(collections(), label="X")
    for name, call in _transform_calls(X, data.draw):
        out = _works_or_says_why(call)
        if out is None:
            continue
        parts = out if isinstance(out, list) else [out]
        arrays_out = [np.asarray(p, dtype=np.float64) for p in parts]
        if name.startswith("imputer"):
            # it accepts finite values and NaN gaps, and fills every gap
            assert all(np.isfinite(a).all() for a in arrays_out), name
        # (with statistics from other data, a value near the float64 limit
        # may scale to beyond it: only fit_transform is bounded)
        if name == "scaler_fit_transform" and _finite_input(X):
            assert all(np.isfinite(a).all() for a in arrays_out), name


@st.composite
def series(draw):
    """A 1D or 2D series with any values, or anything else."""
    if draw(st.booleans()):
        return draw(collections())
    shape = draw(
        st.sampled_from(
            [
                (draw(st.integers(0, 12)),),
                (draw(st.integers(0, 12)), draw(st.integers(0, 3))),
            ]
        )
    )
    return draw(hnp.arrays(np.float64, shape, elements=st.one_of(wide_values, values)))


good_int = st.integers(1, 4)


@st.composite
def mostly(draw, good, bad):
    """``good`` five times in six: the series itself should often be what is tested."""
    return draw(bad) if draw(st.integers(0, 5)) == 5 else draw(good)


@settings(max_examples=300, **FUZZ)
@given(
    series=series(),
    window_length=mostly(
        good_int, st.one_of(st.integers(-2, 0), st.sampled_from([2.5, True, None, "3"]))
    ),
    horizon=mostly(
        good_int, st.one_of(st.integers(-1, 0), st.sampled_from([1.0, None]))
    ),
    stride=mostly(
        good_int, st.one_of(st.integers(-1, 0), st.sampled_from([0.5, None]))
    ),
)
def test_bad_input_make_windows_works_or_raises_clearly(
    series, window_length, horizon, stride
):
    """make_windows on generated series and arguments: right shapes or a clear error."""
    out = _works_or_says_why(
        lambda: make_windows(series, window_length, horizon, stride)
    )
    if out is not None:
        X_windows, y_future = out
        assert X_windows.ndim == 3 and X_windows.shape[1] == window_length
        assert y_future.shape[0] == X_windows.shape[0]


# --- divergence ---------------------------------------------------------------


class _PoisonWeightsAfter(Callback):
    """Sets one weight to NaN after ``batch`` training batches."""

    def __init__(self, batch):
        self.batch = batch

    def on_train_begin(self, net, **kwargs):
        self.seen_ = 0

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.seen_ += 1
            if self.seen_ == self.batch:
                with torch.no_grad():
                    next(net.module_.parameters()).view(-1)[0] = float("nan")


def test_divergence_restores_last_good_epoch(regression_data):
    """A NaN weight in epoch 3 stops training with the weights of epoch 2, and warns."""
    X, y = regression_data
    params = dict(hidden_size=4, max_epochs=6, batch_size=20, random_state=0)
    # 3 batches per epoch: the NaN set after batch 7 makes batch 8 (epoch 3) NaN
    msg = (
        "LSTMRegressor training diverged in epoch 3: the training loss of a batch "
        "was nan. Training stopped and the weights from the end of epoch 2 were "
        "kept (n_iter_=2). Lower the learning rate (lr=0.001) or clip the "
        "gradients (clip_grad_norm=None; for example 1.0)."
    )
    with pytest.warns(UserWarning, match=re.escape(msg)):
        reg = LSTMRegressor(callbacks=[_PoisonWeightsAfter(7)], **params).fit(X, y)
    assert reg.n_iter_ == 2 and np.isfinite(reg.loss_curve_).all()
    two_epochs = LSTMRegressor(**{**params, "max_epochs": 2}).fit(X, y)
    np.testing.assert_array_equal(reg.predict(X), two_epochs.predict(X))
    assert reg.loss_curve_ == two_epochs.loss_curve_


def test_divergence_in_first_epoch_keeps_initial_weights(classification_data):
    """Divergence before any finished epoch keeps the finite initial weights."""
    X, y = classification_data
    with pytest.warns(UserWarning, match=re.escape("the initial, untrained weights")):
        clf = LSTMClassifier(
            hidden_size=4,
            max_epochs=3,
            random_state=0,
            callbacks=[_PoisonWeightsAfter(1)],
        ).fit(X, y)
    assert clf.n_iter_ == 0 and clf.loss_curve_ == []
    assert np.isfinite(clf.predict_proba(X)).all()


def test_divergence_from_a_huge_learning_rate_is_caught(regression_data):
    """Plain SGD with lr=1000 blows up; fit stops with finite weights and says why."""
    X, y = regression_data
    with pytest.warns(
        UserWarning, match=re.escape("Lower the learning rate (lr=1000.0)")
    ):
        reg = LSTMRegressor(
            hidden_size=4, max_epochs=30, lr=1000.0, optimizer="sgd", random_state=0
        ).fit(X, 100 * y)
    assert reg.n_iter_ < 30
    assert all(bool(torch.isfinite(p).all()) for p in reg.module_.parameters())
    assert np.isfinite(reg.predict(X)).all()


def test_divergence_clip_grad_norm_prevents_it(regression_data):
    """The fix named in the warning works: clipping keeps the same run finite."""
    X, y = regression_data
    params = dict(
        hidden_size=4, max_epochs=5, lr=100.0, optimizer="sgd", random_state=0
    )
    with pytest.warns(UserWarning, match="training diverged"):
        LSTMRegressor(**params).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = LSTMRegressor(clip_grad_norm=1.0, **params).fit(X, y)
    assert reg.n_iter_ == 5


def test_divergence_nan_prediction_is_never_silent(regression_data):
    """Weights corrupted after fit make predict raise instead of returning NaN."""
    X, y = regression_data
    reg = LSTMRegressor(hidden_size=4, max_epochs=1, random_state=0).fit(X, y)
    with torch.no_grad():
        reg.module_.head.bias.fill_(float("nan"))
    msg = (
        "LSTMRegressor produced NaN or infinite outputs for 60 of 60 sequences. "
        "Their values may lie far outside the range of the training data; check "
        "or rescale them, or refit."
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        reg.predict(X)


# --- interruption -------------------------------------------------------------


class _InterruptAt(Callback):
    """Raises KeyboardInterrupt (as Ctrl-C does) at the end of epoch ``epoch``,
    or after ``batch`` training batches of it."""

    def __init__(self, epoch, batch=None):
        self.epoch = epoch
        self.batch = batch

    def on_batch_end(self, net, training=False, **kwargs):
        batches = [b for b in net.history[-1, "batches"] if "train_loss" in b]
        if training and len(net.history) == self.epoch and len(batches) == self.batch:
            raise KeyboardInterrupt

    def on_epoch_end(self, net, **kwargs):
        if self.batch is None and len(net.history) == self.epoch:
            raise KeyboardInterrupt


def test_interrupt_keeps_weights_trained_so_far(regression_data):
    """Ctrl-C after epoch 2 leaves a model equal to a 2-epoch fit, with a warning."""
    X, y = regression_data
    params = dict(hidden_size=4, max_epochs=5, random_state=0)
    msg = (
        "Training interrupted by user (KeyboardInterrupt) in epoch 2: LSTMRegressor "
        "keeps the weights trained so far (n_iter_=2 complete epochs). Fit again "
        "with warm_start=True to continue training."
    )
    with pytest.warns(UserWarning, match=re.escape(msg)):
        reg = LSTMRegressor(callbacks=[_InterruptAt(2)], **params).fit(X, y)
    assert reg.n_iter_ == 2 and len(reg.loss_curve_) == 2
    two_epochs = LSTMRegressor(**{**params, "max_epochs": 2}).fit(X, y)
    np.testing.assert_array_equal(reg.predict(X), two_epochs.predict(X))


def test_interrupt_mid_epoch_drops_the_unfinished_epoch(classification_data):
    """Ctrl-C inside epoch 3 keeps the weights so far; history holds finished epochs."""
    X, y = classification_data
    with pytest.warns(
        UserWarning,
        match=re.escape("interrupted by user (KeyboardInterrupt) in epoch 3"),
    ):
        clf = LSTMClassifier(
            hidden_size=4,
            max_epochs=5,
            batch_size=16,
            random_state=0,
            callbacks=[_InterruptAt(3, batch=2)],
        ).fit(X, y)
    assert clf.n_iter_ == 2 and len(clf.net_.history) == 2
    assert np.isfinite(clf.predict_proba(X)).all()


def test_interrupt_then_warm_start_continues(regression_data):
    """After an interruption, warm_start=True extends n_iter_ and loss_curve_."""
    X, y = regression_data
    with pytest.warns(UserWarning, match="interrupted by user"):
        reg = LSTMRegressor(
            hidden_size=4, max_epochs=4, random_state=0, callbacks=[_InterruptAt(1)]
        ).fit(X, y)
    first = list(reg.loss_curve_)
    reg.set_params(warm_start=True, callbacks=None, max_epochs=2)
    reg.fit(X, y)
    assert reg.n_iter_ == 3 and reg.loss_curve_[:1] == first


def test_interrupt_early_stopping_is_not_reported_as_interruption(regression_data):
    """Early stopping ends the loop the same way, but is not a user interruption."""
    X, y = regression_data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = LSTMRegressor(
            hidden_size=4,
            max_epochs=200,
            lr=0.05,
            early_stopping=True,
            n_iter_no_change=2,
            tol=10.0,
            random_state=0,
        ).fit(X, y)
    assert reg.n_iter_ == 3


# --- warm start ---------------------------------------------------------------


def test_warm_start_extends_history_not_restarts(regression_data):
    """Each warm fit adds max_epochs epochs; the earlier curve is kept as it was."""
    X, y = regression_data
    reg = LSTMRegressor(hidden_size=4, max_epochs=2, random_state=0).fit(X, y)
    first = list(reg.loss_curve_)
    reg.set_params(warm_start=True, max_epochs=3).fit(X, y)
    assert reg.n_iter_ == 5 and len(reg.loss_curve_) == 5
    assert reg.loss_curve_[:2] == first
    assert reg.best_epoch_ == 5
    reg.set_params(warm_start=False, max_epochs=2).fit(X, y)
    assert reg.n_iter_ == 2 and reg.loss_curve_ == first


# --- determinism and isolation ------------------------------------------------


def _fit_predict_in_worker(X, y):
    reg = LSTMRegressor(hidden_size=8, max_epochs=3, dropout=0.2, random_state=0)
    return reg.fit(X, y).predict(X)


def test_determinism_across_processes(regression_data):
    """The same random_state gives identical predictions in loky worker processes."""
    X, y = regression_data
    here = _fit_predict_in_worker(X, y)
    there = Parallel(n_jobs=2, backend="loky")(
        delayed(_fit_predict_in_worker)(X, y) for _ in range(2)
    )
    for predictions in there:
        np.testing.assert_array_equal(predictions, here)


# two epochs with early stopping warn that the budget ran out; that is expected here
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_isolation_fit_leaves_global_state_alone(regression_data, tmp_path):
    """fit, predict, save and load leave RNGs, threads, grad mode and dtype alone."""
    X, y = regression_data
    torch.manual_seed(7)
    np.random.seed(7)
    random.seed(7)
    torch_state = torch.get_rng_state()
    np_state = np.random.get_state()
    py_state = random.getstate()
    threads = torch.get_num_threads()
    for est, target in [(LSTMRegressor(**TINY), y), (LSTMClassifier(**TINY), y > 0)]:
        est.set_params(dropout=0.5, early_stopping=True, max_epochs=2)
        est.fit(X, target).predict(X)
        save_model(est, tmp_path / "model.sklstm")
        load_model(tmp_path / "model.sklstm").predict(X)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], np_state[1])
    assert random.getstate() == py_state
    assert torch.get_num_threads() == threads
    assert torch.is_grad_enabled()
    assert torch.get_default_dtype() == torch.float32


# --- long and large input -----------------------------------------------------


def _record_batches(model):
    shapes = []
    handle = model.module_.register_forward_pre_hook(
        lambda module, args, kwargs: shapes.append(
            tuple((args or (kwargs["X"],))[0].shape)
        ),
        with_kwargs=True,
    )
    return shapes, handle


def test_long_sequence_predicts_in_bounded_batches(rng):
    """One 50,000-step sequence and 50,000 short ones predict, batch by batch."""
    train = [rng.randn(10 + i % 7, 1) for i in range(30)]
    reg = LSTMRegressor(hidden_size=4, max_epochs=1, random_state=0).fit(
        train, rng.randn(30)
    )
    shapes, handle = _record_batches(reg)
    try:
        long = reg.predict(rng.randn(1, 50_000, 1))
        many = reg.predict(rng.randn(50_000, 40, 1).astype(np.float32))
    finally:
        handle.remove()
    assert long.shape == (1,) and many.shape == (50_000,)
    assert np.isfinite(long).all() and np.isfinite(many).all()
    assert shapes[0] == (1, 50_000, 1)
    steps = [n * t for n, t, _ in shapes[1:]]
    assert sum(n for n, _, _ in shapes[1:]) == 50_000
    assert len(steps) > 1 and max(steps) <= _PREDICT_STEPS


def test_long_sequence_batching_does_not_change_predictions(rng):
    """Predicting rows one at a time or all together gives the same values."""
    X = rng.randn(40, 12, 2)
    reg = LSTMRegressor(**{**TINY, "hidden_size": 4}).fit(X, rng.randn(40))
    together = reg.predict(X)
    alone = np.concatenate([reg.predict(X[i : i + 1]) for i in range(len(X))])
    np.testing.assert_allclose(alone, together, rtol=1e-5, atol=1e-6)


def test_public_names_include_persistence():
    """save_model, load_model and resume_fit are public."""
    for name in ("save_model", "load_model", "resume_fit"):
        assert name in sklstm.__all__ and callable(getattr(sklstm, name))

"""Saving and loading estimators without pickle; resuming from checkpoints.

A saved model is one zip archive with two members:

``sklstm.json``
    A format marker, the estimator's class name (one of
    :data:`TRUSTED_ESTIMATORS`), its parameters, its fitted attributes other
    than the torch objects, and the training history. Plain JSON: arrays
    are written as ``{"__ndarray__": [...], "dtype": "<f8", "shape": [...]}``
    with a numeric, boolean or text dtype.
``weights.pt``
    ``torch.save`` of a dict of state dicts: the network, the loss and, in
    checkpoints, the optimizer and the random-number generator. It is read
    with ``torch.load(..., weights_only=True)``, which rebuilds only
    tensors and plain containers.

Loading therefore never runs code from the file: the class comes from an
allow-list, the network is rebuilt by that class from the saved
parameters, and the weights are copied into it.
"""

import os
import re
import warnings

import torch

from . import _format
from ._anomaly import LSTMAnomalyDetector
from ._base import _BaseLSTMEstimator
from ._classifier import LSTMClassifier
from ._forecaster import LSTMForecaster
from ._format import CHECKPOINT_NAME, TRUSTED_CRITERIA  # noqa: F401  (re-exported)
from ._preprocessing import SequenceImputer, SequenceScaler
from ._regressor import LSTMRegressor
from ._text import TextTokenizer
from ._windowing import SlidingWindowTransformer

__all__ = ["load_model", "resume_fit", "save_model"]

_CLASSES = (
    LSTMRegressor,
    LSTMClassifier,
    LSTMAnomalyDetector,
    LSTMForecaster,
    SequenceScaler,
    SequenceImputer,
    SlidingWindowTransformer,
    TextTokenizer,
)
#: Classes that ``load_model`` rebuilds; any other name in a file is refused.
TRUSTED_ESTIMATORS = tuple(cls.__name__ for cls in _CLASSES)
# public fitted attributes: a letter first, letters, digits and underscores,
# a trailing underscore (scikit-learn's convention for what fit sets)
_PUBLIC_FITTED = re.compile(r"[A-Za-z][A-Za-z0-9_]*_")


def _trusted_classes():
    return {cls.__name__: cls for cls in _CLASSES}


def _check_savable(estimator):
    name = type(estimator).__name__
    if _trusted_classes().get(name) is not type(estimator):
        raise TypeError(
            "save_model stores the estimators of sklstm "
            f"({', '.join(TRUSTED_ESTIMATORS)}), "
            f"got {type(estimator).__module__}.{type(estimator).__qualname__}. Use "
            "pickle or joblib for other objects, and load those only from trusted "
            "sources."
        )


def save_model(estimator, path):
    """Save an sklstm estimator to one file, in a form that loads without pickle.

    The file is a zip archive holding the parameters and fitted attributes
    as JSON and the network weights as a PyTorch state dict. Unlike a
    pickle, it can be shared: :func:`load_model` never runs code from it.
    The optimizer state is not stored (checkpoints written during ``fit``
    with ``checkpoint_dir`` store it).

    Parameters
    ----------
    estimator : estimator instance
        One of sklstm's estimators or transformers, fitted or not. Its
        parameters must be plain values: ``random_state`` an int or None,
        ``lr_schedule`` a name or None and ``callbacks`` None. An
        :class:`LSTMForecaster` is stored with its regressors and its
        history (time index included) in the same file.
    path : str or path-like
        File to write; it is replaced if it exists.

    Returns
    -------
    None

    See Also
    --------
    load_model : Load a model saved by this function.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklstm import LSTMRegressor, load_model, save_model
    >>> X = np.random.RandomState(0).randn(20, 5, 1)
    >>> reg = LSTMRegressor(hidden_size=4, max_epochs=2, random_state=0)
    >>> reg = reg.fit(X, X[:, -1, 0])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     save_model(reg, os.path.join(tmp, "model.sklstm"))
    ...     loaded = load_model(os.path.join(tmp, "model.sklstm"))
    >>> loaded.predict(X[:3]).shape
    (3,)
    """
    _check_savable(estimator)
    meta, weights = _format.describe(estimator)
    _format.write_archive(os.fspath(path), meta, weights)


# --- reading ------------------------------------------------------------------


def _allowed_attribute(cls, key, params):
    """Whether a model file may set the attribute ``key`` on a ``cls``."""
    if key in getattr(cls, "_private_fitted", ()):
        return True
    return (
        isinstance(key, str)
        and _PUBLIC_FITTED.fullmatch(key) is not None
        and key not in params
        and key not in ("net_", "module_")
        and not hasattr(cls, key)
    )


def _history(rows):
    if not isinstance(rows, list) or not all(
        isinstance(row, dict) and "train_loss" in row for row in rows
    ):
        raise ValueError("its history rows are not per-epoch records")
    history = [{k: _format._decode(v, {}) for k, v in row.items()} for row in rows]
    for row in history:
        loss = row["train_loss"]
        if not isinstance(loss, (int, float)) or isinstance(loss, bool):
            raise ValueError("its history holds a training loss that is not a number")
    return history


def _nested(meta, weights, device):
    """The estimators held by a forecaster's file, each rebuilt on its own."""
    raw = meta.get("estimators", [])
    states = weights.get("estimators", [])
    if not (
        isinstance(raw, list)
        and isinstance(states, list)
        and len(raw) == len(states)
        and all(
            isinstance(m, dict) and isinstance(w, dict) for m, w in zip(raw, states)
        )
    ):
        raise ValueError("its nested estimators do not pair descriptions with weights")
    return [_rebuild(inner, state, device) for inner, state in zip(raw, states)]


def _rebuild(meta, weights, device, overrides=None):
    """A new estimator from checked metadata and weights."""
    name = meta.get("estimator")
    classes = _trusted_classes()
    if not isinstance(name, str) or name not in classes:
        raise ValueError(
            f"it names the class {name!r}, which is not one of sklstm's estimators "
            f"({', '.join(classes)})"
        )
    cls = classes[name]
    tensors = weights.get("attributes", {})
    if not isinstance(tensors, dict) or not all(
        isinstance(v, torch.Tensor) for v in tensors.values()
    ):
        raise ValueError("its tensor attributes are not tensors")
    raw_params = meta.get("params")
    raw_attributes = meta.get("attributes")
    if not isinstance(raw_params, dict) or not isinstance(raw_attributes, dict):
        raise ValueError("its parameters or attributes are not JSON objects")
    estimators = _nested(meta, weights, device)
    params = {
        key: _format._decode(value, {}, estimators) for key, value in raw_params.items()
    }
    if device is not None:
        params["device"] = device
    params.update(overrides or {})
    known = cls().get_params(deep=False)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValueError(f"it sets parameters {unknown} that {name} does not have")
    estimator = cls(**params)
    try:
        estimator._validate_params()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"its parameters are not valid ({_format._first_line(exc)})") from None
    for key, value in raw_attributes.items():
        if not _allowed_attribute(cls, key, known):
            raise ValueError(
                f"it sets an attribute named {key!r}, which {name} does not have"
            )
        setattr(estimator, key, _format._decode(value, tensors, estimators))
    net = meta.get("net")
    if net is None:
        return estimator
    if not isinstance(estimator, _BaseLSTMEstimator) or not isinstance(net, dict):
        raise ValueError("its net entry is not a JSON object with a history")
    for attr in ("input_size_",):
        if not isinstance(getattr(estimator, attr, None), int):
            raise ValueError(f"it has a network but no integer {attr}")
    estimator._restore_net(
        criterion=net.get("criterion"),
        criterion_state=weights.get("criterion", {}),
        module_state=weights.get("module"),
        optimizer_state=weights.get("optimizer"),
        history=_history(net.get("history")),
    )
    return estimator


# what a malformed or hostile file can make the rebuilding raise: all of it
# becomes one ValueError naming the file
_MALFORMED = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    RuntimeError,
    OverflowError,
    RecursionError,
    NotImplementedError,
    MemoryError,
)


def _load(path, device, overrides=None):
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, CHECKPOINT_NAME)
    try:
        meta, weights = _format.read_archive(path)
        if overrides is not None:
            # resuming: keep writing checkpoints where they are now
            overrides = {"checkpoint_dir": os.path.dirname(path) or ".", **overrides}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=FutureWarning)
            estimator = _rebuild(meta, weights, device, overrides)
    except _MALFORMED as exc:
        raise ValueError(f"Cannot load {path!r}: {_format._first_line(exc)}.") from None
    return estimator, meta, weights


def load_model(path, *, device=None):
    """Load an estimator saved by :func:`save_model`, or a training checkpoint.

    Nothing in the file is executed: the estimator's class must be one of
    sklstm's own (``TRUSTED_ESTIMATORS``), parameters and attributes are
    read from JSON, and the weights with ``torch.load(weights_only=True)``
    onto the CPU, then copied into a network that the class builds from the
    saved parameters. A file that does not fit this form raises a
    ``ValueError`` and loads nothing.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save_model`, or a ``checkpoint_dir`` (or
        the ``checkpoint.sklstm`` file in it) written during ``fit``.
    device : {"cpu", "cuda", "auto"} or None, default=None
        Where to place the loaded network; sets the ``device`` parameter.
        None keeps the saved one, except that a model saved with
        ``device="cuda"`` loads on the CPU (with a warning) when no GPU is
        available.

    Returns
    -------
    estimator : estimator instance
        The estimator, fitted if it was saved fitted; ``predict`` works and
        ``warm_start=True`` continues training.

    See Also
    --------
    save_model : Save an estimator in this format.
    resume_fit : Finish a fit from its checkpoint.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklstm import LSTMClassifier, load_model, save_model
    >>> X = np.random.RandomState(0).randn(20, 5, 1)
    >>> y = np.where(X[:, :, 0].mean(axis=1) > 0, "up", "down")
    >>> clf = LSTMClassifier(hidden_size=4, max_epochs=2, random_state=0).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     save_model(clf, os.path.join(tmp, "clf.sklstm"))
    ...     loaded = load_model(os.path.join(tmp, "clf.sklstm"))
    >>> loaded.classes_
    array(['down', 'up'], dtype='<U4')
    >>> bool((loaded.predict(X) == clf.predict(X)).all())
    True
    """
    return _load(path, device)[0]


def resume_fit(path, X, y=None, *, sample_weight=None, params=None):
    """Finish a fit that was interrupted, from the checkpoint it wrote.

    An estimator fitted with ``checkpoint_dir`` set writes its training
    state there after every epoch. If that fit stops early (the process is
    killed, or Ctrl-C), this function loads the last checkpoint and trains
    the remaining epochs on the same data, continuing the history
    (``n_iter_``, ``loss_curve_``) and writing checkpoints as before. On
    the CPU the random-number generator is restored too, so the resumed
    epochs shuffle and drop out as the uninterrupted fit would have.

    Parameters
    ----------
    path : str or path-like
        The ``checkpoint_dir`` of the interrupted fit (or the
        ``checkpoint.sklstm`` file in it).
    X : array-like of shape (n_samples, n_timesteps) or \
            (n_samples, n_timesteps, n_features), or list of arrays
        The training sequences of the interrupted fit.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
        Its targets (None for :class:`LSTMAnomalyDetector`).
    sample_weight : array-like of shape (n_samples,), default=None
        The sequence weights of the interrupted fit, if it had any.
    params : dict or None, default=None
        Parameters to set before training resumes. A checkpoint stores only
        plain parameter values: ``callbacks``, a scheduler object in
        ``lr_schedule`` or a ``RandomState`` are stored as None (with a
        warning here), and can be passed again through ``params``.

    Returns
    -------
    estimator : estimator instance
        The fitted estimator. If the checkpoint is of a finished fit, it is
        returned as loaded, without training.

    See Also
    --------
    load_model : Load a checkpoint without training further.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklstm import LSTMRegressor, resume_fit
    >>> X = np.random.RandomState(0).randn(20, 5, 1)
    >>> y = X[:, -1, 0]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     reg = LSTMRegressor(hidden_size=4, max_epochs=2, random_state=0,
    ...                         checkpoint_dir=tmp).fit(X, y)
    ...     resumed = resume_fit(tmp, X, y)
    >>> resumed.n_iter_
    2
    """
    estimator, meta, weights = _load(path, None, overrides=dict(params or {}))
    training = meta.get("training")
    if not isinstance(training, dict) or not hasattr(estimator, "net_"):
        raise ValueError(
            f"Cannot resume from {os.fspath(path)!r}: it holds a saved model, not "
            "a checkpoint written during fit with checkpoint_dir set. Use "
            "load_model, then fit with warm_start=True to train further."
        )
    target = training.get("target_epochs")
    if not isinstance(target, int) or not isinstance(training.get("finished"), bool):
        raise ValueError(f"Cannot resume from {os.fspath(path)!r}: bad training entry.")
    if training["finished"]:
        return estimator
    # 0 when killed after the last epoch: what follows the training (the
    # anomaly detector's error model) is still fitted
    remaining = max(target - estimator.n_iter_, 0)
    unsaved = [
        key for key in training.get("unsaved_params", ()) if key not in (params or {})
    ]
    if unsaved:
        warnings.warn(
            f"The checkpoint could not store the parameters {unsaved} (they are "
            "not plain values), so they are None in the resumed fit; pass them "
            "to resume_fit as params={...} to set them.",
            UserWarning,
            stacklevel=2,
        )
    rng_state = weights.get("rng_state")
    if not isinstance(rng_state, torch.Tensor) or rng_state.dtype != torch.uint8:
        rng_state = None
    generators = weights.get("generators")
    if not (
        isinstance(generators, list)
        and len(generators) == 2
        and all(isinstance(g, torch.Tensor) and g.dtype == torch.uint8 for g in generators)
    ):
        generators = None
    estimator._validate_params()
    estimator._fit(
        X,
        y,
        sample_weight=sample_weight,
        resume={"epochs": remaining, "generators": generators, "rng_state": rng_state},
    )
    return estimator

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

import io
import json
import math
import os
import pickle
import re
import warnings
import zipfile

import numpy as np
import torch

__all__ = ["load_model", "resume_fit", "save_model"]

_FORMAT = "sklstm-model"
_FORMAT_VERSION = 1
_JSON_NAME = "sklstm.json"
_WEIGHTS_NAME = "weights.pt"
CHECKPOINT_NAME = "checkpoint.sklstm"

#: Classes that ``load_model`` rebuilds; any other name in a file is refused.
TRUSTED_ESTIMATORS = (
    "LSTMRegressor",
    "LSTMClassifier",
    "LSTMAnomalyDetector",
    "SequenceScaler",
    "SequenceImputer",
    "SlidingWindowTransformer",
    "TextTokenizer",  # ecosystem: the text transformer
)
#: Training losses that a saved net may name (``torch.nn`` and sklstm's own).
TRUSTED_CRITERIA = (
    "MSELoss",
    "L1Loss",
    "HuberLoss",
    "SmoothL1Loss",
    "CrossEntropyLoss",
    "NLLLoss",
    "BCEWithLogitsLoss",
    "_MeanSquare",
)
# dtype kinds an array may have in the JSON: bool, int, uint, float, text
_ARRAY_KINDS = "biufU"
# names of fitted attributes: letters, digits and underscores, no dunders
_ATTRIBUTE_NAME = re.compile(r"_?[A-Za-z][A-Za-z0-9_]*")
# the torch objects of a fitted estimator, rebuilt from the weights
_TORCH_ATTRIBUTES = ("net_", "module_")


def _trusted_classes():
    import sklstm

    return {
        name: getattr(sklstm, name)
        for name in TRUSTED_ESTIMATORS
        if hasattr(sklstm, name)
    }


def _trusted_criterion(name):
    from . import _modules

    cls = None
    if isinstance(name, str) and name in TRUSTED_CRITERIA:
        cls = getattr(torch.nn, name, None) or getattr(_modules, name, None)
    if cls is None:
        raise ValueError(f"the loss {name!r} is not one of {list(TRUSTED_CRITERIA)}")
    return cls


# --- JSON encoding of parameters and attributes ----------------------------


class _Unstorable(TypeError):
    """A value that has no JSON form here."""


def _encode(value):
    """``value`` as JSON-ready data; raises ``_Unstorable`` for other types."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, np.ndarray):
        return _encode_array(value)
    if isinstance(value, np.generic):
        if value.dtype.kind not in _ARRAY_KINDS:
            raise _Unstorable(f"a NumPy scalar of dtype {value.dtype}")
        return {"__scalar__": _encode(value.item()), "dtype": value.dtype.str}
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[_encode(k), _encode(v)] for k, v in value.items()]}
    raise _Unstorable(f"a {type(value).__module__}.{type(value).__qualname__} object")


def _encode_array(arr):
    kind = arr.dtype.kind
    if kind == "O":
        items = [v.item() if isinstance(v, np.generic) else v for v in arr.ravel()]
        if not all(v is None or isinstance(v, (bool, int, float, str)) for v in items):
            raise _Unstorable(
                "an object array holding values other than text or numbers"
            )
    elif kind in _ARRAY_KINDS:
        items = arr.ravel().tolist()
    else:
        raise _Unstorable(f"an array of dtype {arr.dtype}")
    return {
        "__ndarray__": [_encode(v) for v in items],
        "dtype": arr.dtype.str,
        "shape": list(arr.shape),
    }


def _decode(obj, tensors):
    """Inverse of ``_encode``; anything it did not write is refused."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        return [_decode(v, tensors) for v in obj]
    if not isinstance(obj, dict):
        raise ValueError(f"unexpected JSON value of type {type(obj).__name__}")
    keys = set(obj)
    if keys == {"__float__"} and obj["__float__"] in ("nan", "inf", "-inf"):
        return float(obj["__float__"])
    if keys == {"__tuple__"} and isinstance(obj["__tuple__"], list):
        return tuple(_decode(v, tensors) for v in obj["__tuple__"])
    if keys == {"__dict__"} and isinstance(obj["__dict__"], list):
        out = {}
        for pair in obj["__dict__"]:
            if not isinstance(pair, list) or len(pair) != 2:
                raise ValueError("a dict entry is not a [key, value] pair")
            key = _decode(pair[0], tensors)
            if not isinstance(key, (str, int, float, bool, type(None), tuple)):
                raise ValueError(f"a dict key of type {type(key).__name__}")
            out[key] = _decode(pair[1], tensors)
        return out
    if keys == {"__scalar__", "dtype"}:
        dtype = _dtype(obj["dtype"])
        value = _decode(obj["__scalar__"], tensors)
        if not isinstance(value, (bool, int, float, str)):
            raise ValueError("a NumPy scalar holding a non-scalar value")
        return dtype.type(value)
    if keys == {"__ndarray__", "dtype", "shape"}:
        return _decode_array(obj, tensors)
    if keys == {"__tensor__"} and obj["__tensor__"] in tensors:
        return tensors[obj["__tensor__"]]
    raise ValueError(f"unexpected JSON object with keys {sorted(map(str, keys))}")


def _dtype(spec):
    if not isinstance(spec, str):
        raise ValueError("a dtype that is not a string")
    try:
        dtype = np.dtype(spec)
    except TypeError:
        raise ValueError(f"unknown dtype {spec!r}") from None
    if dtype.kind not in _ARRAY_KINDS and dtype != np.dtype(object):
        raise ValueError(f"dtype {spec!r} is not a numeric, boolean or text dtype")
    return dtype


def _decode_array(obj, tensors):
    dtype = _dtype(obj["dtype"])
    shape = obj["shape"]
    if not isinstance(shape, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape
    ):
        raise ValueError("an array shape that is not a list of sizes")
    values = obj["__ndarray__"]
    if not isinstance(values, list) or len(values) != math.prod(shape):
        raise ValueError("an array whose values do not match its shape")
    items = [_decode(v, tensors) for v in values]
    if not all(v is None or isinstance(v, (bool, int, float, str)) for v in items):
        raise ValueError("an array holding values other than text or numbers")
    if dtype == np.dtype(object):
        arr = np.empty(len(items), dtype=object)
        arr[:] = items
        return arr.reshape(shape)
    return np.array(items, dtype=dtype).reshape(shape)


# --- writing ------------------------------------------------------------------


def _cpu(state):
    """A (nested) state dict with every tensor moved to the CPU."""
    if isinstance(state, torch.Tensor):
        return state.detach().cpu()
    if isinstance(state, dict):
        return {k: _cpu(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(_cpu(v) for v in state)
    return state


def _history_rows(history):
    """The per-epoch history without per-batch rows or values JSON cannot hold."""
    rows = []
    for row in history:
        kept = {}
        for key, value in row.items():
            if key == "batches":
                continue
            try:
                kept[key] = _encode(value)
            except _Unstorable:
                continue
        rows.append(kept)
    return rows


def _archive(
    estimator, *, net=None, optimizer=False, rng_state=False, training=None, strict=True
):
    """The JSON metadata and the weights dict describing ``estimator``.

    With ``strict=False`` (checkpoints), parameters that are not plain
    values are stored as None and listed in ``training["unsaved_params"]``
    instead of raising.
    """
    from . import __version__
    from ._base import _BaseLSTMEstimator

    name = type(estimator).__name__
    if _trusted_classes().get(name) is not type(estimator):
        raise TypeError(
            "save_model stores the estimators of sklstm "
            f"({', '.join(TRUSTED_ESTIMATORS)}), "
            f"got {type(estimator).__module__}.{type(estimator).__qualname__}. Use "
            "pickle or joblib for other objects, and load those only from trusted "
            "sources."
        )
    params = estimator.get_params(deep=False)
    meta = {
        "format": _FORMAT,
        "format_version": _FORMAT_VERSION,
        "sklstm_version": __version__,
        "estimator": name,
        "params": {},
        "attributes": {},
        "net": None,
        "training": training,
    }
    for key, value in params.items():
        try:
            meta["params"][key] = _encode(value)
        except _Unstorable as exc:
            if not strict:
                meta["params"][key] = None
                training["unsaved_params"].append(key)
                continue
            raise TypeError(
                f"Parameter {key}={value!r} of {name} is {exc}, which save_model "
                "cannot store without pickle. Set it to a plain value (an int or "
                "None for random_state, a name for lr_schedule, None for "
                "callbacks) before saving, or use pickle for files you trust."
            ) from None
    tensors = {}
    for key, value in vars(estimator).items():
        if key in params or key in _TORCH_ATTRIBUTES or key == "_resume":
            continue
        if isinstance(value, torch.Tensor):
            tensors[key] = value.detach().cpu()
            meta["attributes"][key] = {"__tensor__": key}
            continue
        try:
            meta["attributes"][key] = _encode(value)
        except _Unstorable as exc:
            raise TypeError(
                f"Fitted attribute {key} of {name} is {exc}, which save_model "
                "cannot store without pickle."
            ) from None
    weights = {"attributes": tensors}
    if net is None and hasattr(estimator, "net_"):
        net = estimator.net_
    if net is not None:
        if type(estimator)._build_module is _BaseLSTMEstimator._build_module:
            raise TypeError(
                f"{name} cannot rebuild its network without pickle yet "
                "(_build_module is missing); use pickle for now."
            )
        criterion = type(net.criterion_).__name__
        if criterion not in TRUSTED_CRITERIA:
            raise TypeError(
                f"The training loss {criterion} is not one save_model can rebuild "
                f"({', '.join(TRUSTED_CRITERIA)}); use pickle instead."
            )
        meta["net"] = {"criterion": criterion, "history": _history_rows(net.history)}
        weights["module"] = _cpu(net.module_.state_dict())
        weights["criterion"] = _cpu(net.criterion_.state_dict())
        if optimizer:
            weights["optimizer"] = _cpu(net.optimizer_.state_dict())
        if rng_state:
            weights["rng_state"] = torch.get_rng_state()
    return meta, weights


def _write(path, meta, weights):
    """Write the archive to ``path`` atomically (a temporary file, then rename)."""
    buffer = io.BytesIO()
    torch.save(weights, buffer)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with zipfile.ZipFile(tmp, "w") as zf:
            zf.writestr(
                _JSON_NAME,
                json.dumps(meta, allow_nan=False),
                compress_type=zipfile.ZIP_DEFLATED,
            )
            zf.writestr(
                _WEIGHTS_NAME, buffer.getvalue(), compress_type=zipfile.ZIP_STORED
            )
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _write_checkpoint(estimator, net, *, target_epochs, finished=False, rng_state=True):
    """Write the training state of ``net`` to ``estimator.checkpoint_dir``."""
    directory = os.fspath(estimator.checkpoint_dir)
    os.makedirs(directory, exist_ok=True)
    meta, weights = _archive(
        estimator,
        net=net,
        optimizer=True,
        rng_state=rng_state,
        training={
            "target_epochs": int(target_epochs),
            "finished": bool(finished),
            "unsaved_params": [],
        },
        strict=False,
    )
    _write(os.path.join(directory, CHECKPOINT_NAME), meta, weights)


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
        ``lr_schedule`` a name or None and ``callbacks`` None.
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
    meta, weights = _archive(estimator)
    _write(os.fspath(path), meta, weights)


# --- reading ------------------------------------------------------------------


def _read(path):
    """The metadata and weights of the archive at ``path``, read safely."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if _JSON_NAME not in names:
                raise ValueError(f"it has no {_JSON_NAME}")
            meta = json.loads(zf.read(_JSON_NAME).decode("utf-8"))
            raw = zf.read(_WEIGHTS_NAME) if _WEIGHTS_NAME in names else None
    except (
        zipfile.BadZipFile,
        UnicodeDecodeError,
        json.JSONDecodeError,
        RecursionError,
    ) as exc:
        raise ValueError(f"it is not an sklstm archive ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        raise ValueError("it is not an sklstm archive (no format marker)")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > _FORMAT_VERSION:
        raise ValueError(
            f"it was written in format version {version!r}; this sklstm reads "
            f"versions up to {_FORMAT_VERSION}. Upgrade sklstm."
        )
    weights = {}
    if raw is not None:
        try:
            weights = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
        except (
            pickle.UnpicklingError,
            RuntimeError,
            EOFError,
            ValueError,
            TypeError,
            AttributeError,
        ) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            raise ValueError(
                f"its weights are not a plain tensor file and were not loaded "
                f"({type(exc).__name__}: {first})"
            ) from None
        if not isinstance(weights, dict):
            raise ValueError("its weights are not a dict of state dicts")
    return meta, weights


def _check_state(state, what):
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise ValueError(f"the {what} weights are not a dict of tensors")
    return state


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
    params = {key: _decode(value, {}) for key, value in raw_params.items()}
    if device is not None:
        params["device"] = device
    params.update(overrides or {})
    known = cls().get_params(deep=False)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValueError(f"it sets parameters {unknown} that {name} does not have")
    estimator = cls(**params)
    estimator._validate_params()
    for key, value in raw_attributes.items():
        if (
            not _ATTRIBUTE_NAME.fullmatch(key)
            or key.startswith("__")
            or key in known
            or key in _TORCH_ATTRIBUTES
            or hasattr(cls, key)
        ):
            raise ValueError(
                f"it sets an attribute named {key!r}, which is not allowed"
            )
        setattr(estimator, key, _decode(value, tensors))
    net = meta.get("net")
    if net is None:
        return estimator
    if not isinstance(net, dict) or not isinstance(net.get("history"), list):
        raise ValueError("its net entry is not a JSON object with a history")
    criterion_cls = _trusted_criterion(net.get("criterion"))
    criterion_state = _check_state(weights.get("criterion", {}), "loss")
    extra = {k: v for k, v in criterion_state.items() if k in ("weight", "pos_weight")}
    criterion = criterion_cls(**extra)
    criterion.load_state_dict(criterion_state)
    module_state = _check_state(weights.get("module"), "network")
    optimizer_state = weights.get("optimizer")
    if optimizer_state is not None and not isinstance(optimizer_state, dict):
        raise ValueError("its optimizer state is not a dict")
    if not all(isinstance(row, dict) and "train_loss" in row for row in net["history"]):
        raise ValueError("its history rows are not per-epoch records")
    history = [{k: _decode(v, {}) for k, v in row.items()} for row in net["history"]]
    if estimator.device == "cuda" and not torch.cuda.is_available():
        warnings.warn(
            f"The {name} was saved with device='cuda', but torch sees no CUDA GPU "
            "here; it is loaded on the CPU with device='cpu'.",
            UserWarning,
            stacklevel=3,
        )
        estimator.device = "cpu"
    try:
        estimator._restore_net(
            criterion=criterion,
            module_state=module_state,
            optimizer_state=optimizer_state,
            history=history,
        )
    except (RuntimeError, KeyError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ValueError(
            f"its weights do not fit the network that its parameters describe "
            f"({type(exc).__name__}: {first})"
        ) from None
    return estimator


def _load(path, device, overrides=None):
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, CHECKPOINT_NAME)
    try:
        meta, weights = _read(path)
        if overrides is not None:
            # resuming: keep writing checkpoints where they are now
            overrides = {"checkpoint_dir": os.path.dirname(path) or ".", **overrides}
        estimator = _rebuild(meta, weights, device, overrides)
    except ValueError as exc:
        raise ValueError(f"Cannot load {path!r}: {exc}.") from None
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


def resume_fit(path, X, y=None, *, params=None):
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
    remaining = target - estimator.n_iter_
    if training["finished"] or remaining <= 0:
        return estimator
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
    # read by the estimator's fit: continue the net for the remaining epochs
    estimator._resume = {"epochs": remaining, "rng_state": rng_state}
    try:
        if y is None:
            estimator.fit(X)
        else:
            estimator.fit(X, y)
    finally:
        estimator.__dict__.pop("_resume", None)
    return estimator

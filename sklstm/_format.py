"""The sklstm model file: a zip archive of JSON and plain tensors.

A leaf module (it imports no other part of sklstm but the torch modules'
losses), shared by ``save_model``/``load_model``, the checkpoints written
during ``fit`` and pickling, which all describe an estimator the same way:

``sklstm.json``
    A format marker, the estimator's class name, its parameters, its fitted
    attributes other than the torch objects, and the training history.
    Plain JSON: arrays are written as ``{"__ndarray__": [...], "dtype":
    "<f8", "shape": [...]}`` with a numeric, boolean or text dtype. A
    forecaster's regressors are described in the list ``estimators`` (their
    weights in the list of that name of ``weights.pt``) and referred to by
    position, ``{"__estimator__": 0}``.
``weights.pt``
    ``torch.save`` of a dict of state dicts: the network, the loss and, in
    checkpoints, the optimizer and the random-number generators. It is read
    with ``torch.load(..., weights_only=True)``, which rebuilds only tensors
    and plain containers.

Reading is bounded: only regular files are opened, only the two members
are read, each at most its size limit (counted while decompressing, since
a zip header can lie), and every way a file can be malformed ends in one
``ValueError``.
"""

import io
import json
import math
import os
import stat
import zipfile

import numpy as np
import torch

from . import _modules
from ._version import __version__

FORMAT = "sklstm-model"
FORMAT_VERSION = 1
JSON_NAME = "sklstm.json"
WEIGHTS_NAME = "weights.pt"
CHECKPOINT_NAME = "checkpoint.sklstm"
# largest members read: far above any real model, far below what would
# exhaust a laptop's memory (a 2,048-feature anomaly detector's JSON is
# about 90 MB, its weights a few MB)
MAX_JSON_BYTES = 512 * 2**20
MAX_WEIGHTS_BYTES = 4 * 2**30
# deepest nesting accepted in the JSON (parameters and attributes nest a few
# levels; a deeper file is crafted to exhaust the parser)
_MAX_DEPTH = 32

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
    "_PinballLoss",
)
# dtype kinds an array may have in the JSON: bool, int, uint, float, text
_ARRAY_KINDS = "biufU"


class _Unstorable(TypeError):
    """A value that has no JSON form here."""


def _encode(value, nested=None):
    """``value`` as JSON-ready data; raises ``_Unstorable`` for other types.

    With a list ``nested``, an sklstm estimator found in ``value`` (a
    forecaster's regressor) is appended to it once and written as a
    reference to its position; the caller describes it on its own.
    """
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
        return {"__tuple__": [_encode(v, nested) for v in value]}
    if isinstance(value, list):
        return [_encode(v, nested) for v in value]
    if isinstance(value, dict):
        return {
            "__dict__": [[_encode(k), _encode(v, nested)] for k, v in value.items()]
        }
    if nested is not None and _is_sklstm_estimator(value):
        for position, seen in enumerate(nested):
            if seen is value:
                return {"__estimator__": position}
        nested.append(value)
        return {"__estimator__": len(nested) - 1}
    pandas = _pandas_encoding(value)
    if pandas is not None:
        return pandas
    raise _Unstorable(f"a {type(value).__module__}.{type(value).__qualname__} object")


def _is_sklstm_estimator(value):
    module = type(value).__module__
    return (module == "sklstm" or module.startswith("sklstm.")) and hasattr(
        value, "get_params"
    )


def _pandas_encoding(value):
    """The JSON form of a pandas index, time stamp or frequency; None for others."""
    module = type(value).__module__
    if not module.startswith("pandas"):
        return None
    import pandas as pd

    if isinstance(value, pd.DatetimeIndex):
        return {
            "__datetimeindex__": _encode_array(value.asi8),
            "unit": value.unit,
            "tz": None if value.tz is None else str(value.tz),
            "freq": None if value.freq is None else value.freqstr,
            "name": _encode(value.name),
        }
    if isinstance(value, pd.RangeIndex):
        return {
            "__rangeindex__": [value.start, value.stop, value.step],
            "name": _encode(value.name),
        }
    if type(value) is pd.Index and value.dtype.kind in _ARRAY_KINDS + "O":
        return {
            "__index__": _encode_array(np.asarray(value)),
            "name": _encode(value.name),
        }
    if isinstance(value, pd.Timestamp):
        return {
            "__timestamp__": value.as_unit("ns").value,
            "tz": None if value.tz is None else str(value.tz),
        }
    if isinstance(value, pd.DateOffset):
        return {"__offset__": value.freqstr}
    return None


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


def _decode(obj, tensors, estimators=()):
    """Inverse of ``_encode``; anything it did not write is refused.

    ``estimators`` are the nested estimators, already rebuilt, that the
    ``{"__estimator__": position}`` references point to.
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        return [_decode(v, tensors, estimators) for v in obj]
    if not isinstance(obj, dict):
        raise ValueError(f"unexpected JSON value of type {type(obj).__name__}")
    keys = set(obj)
    if keys == {"__float__"} and obj["__float__"] in ("nan", "inf", "-inf"):
        return float(obj["__float__"])
    if keys == {"__tuple__"} and isinstance(obj["__tuple__"], list):
        return tuple(_decode(v, tensors, estimators) for v in obj["__tuple__"])
    if keys == {"__dict__"} and isinstance(obj["__dict__"], list):
        out = {}
        for pair in obj["__dict__"]:
            if not isinstance(pair, list) or len(pair) != 2:
                raise ValueError("a dict entry is not a [key, value] pair")
            key = _decode(pair[0], tensors)
            if not isinstance(key, (str, int, float, bool, type(None), tuple)):
                raise ValueError(f"a dict key of type {type(key).__name__}")
            out[key] = _decode(pair[1], tensors, estimators)
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
    if keys == {"__estimator__"}:
        position = obj["__estimator__"]
        if not (
            isinstance(position, int)
            and not isinstance(position, bool)
            and 0 <= position < len(estimators)
        ):
            raise ValueError(
                "a reference to a nested estimator that is not in the file"
            )
        return estimators[position]
    pandas = _pandas_decoding(obj, keys)
    if pandas is not None:
        return pandas
    raise ValueError(f"unexpected JSON object with keys {sorted(map(str, keys))}")


def _pandas_decoding(obj, keys):
    """Inverse of ``_pandas_encoding``; None when ``obj`` is not of that form."""
    forms = {
        frozenset({"__datetimeindex__", "unit", "tz", "freq", "name"}),
        frozenset({"__rangeindex__", "name"}),
        frozenset({"__index__", "name"}),
        frozenset({"__timestamp__", "tz"}),
        frozenset({"__offset__"}),
    }
    if frozenset(keys) not in forms:
        return None
    import pandas as pd

    def text_or_none(value, what):
        if value is not None and not isinstance(value, str):
            raise ValueError(f"a pandas {what} that is not text")
        return value

    if "__offset__" in keys:
        from pandas.tseries.frequencies import to_offset

        return to_offset(text_or_none(obj["__offset__"], "frequency"))
    if "__timestamp__" in keys:
        value = obj["__timestamp__"]
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError("a time stamp that is not an integer")
        stamp = pd.Timestamp(value, unit="ns")
        tz = text_or_none(obj["tz"], "time zone")
        return stamp if tz is None else stamp.tz_localize("UTC").tz_convert(tz)
    name = _decode(obj["name"], {})
    if not (name is None or isinstance(name, (str, int, float, bool))):
        raise ValueError("an index name that is not a plain value")
    if "__rangeindex__" in keys:
        bounds = obj["__rangeindex__"]
        if not (
            isinstance(bounds, list)
            and len(bounds) == 3
            and all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
        ):
            raise ValueError("a range index that is not three integers")
        return pd.RangeIndex(*bounds, name=name)
    if "__index__" in keys:
        return pd.Index(_decode_array(obj["__index__"], {}), name=name)
    values = _decode_array(obj["__datetimeindex__"], {})
    if values.dtype.kind != "i" or values.ndim != 1:
        raise ValueError("a time index whose values are not integers")
    unit = obj["unit"]
    if unit not in ("s", "ms", "us", "ns"):
        raise ValueError(f"a time index of unknown unit {unit!r}")
    tz = text_or_none(obj["tz"], "time zone")
    freq = text_or_none(obj["freq"], "frequency")
    index = pd.DatetimeIndex(values.astype(f"datetime64[{unit}]"), name=name)
    if tz is not None:
        index = index.tz_localize("UTC").tz_convert(tz)
    if freq is not None:
        index = pd.DatetimeIndex(index, freq=freq)
    return index


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


# --- the torch side of a fitted net ------------------------------------------


def cpu_state(state):
    """A (nested) state dict with every tensor moved to the CPU."""
    if isinstance(state, torch.Tensor):
        return state.detach().cpu()
    if isinstance(state, dict):
        return {k: cpu_state(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(cpu_state(v) for v in state)
    return state


def to_numpy(state):
    """A (nested) state with every tensor as a NumPy array (pickles without torch)."""
    if isinstance(state, torch.Tensor):
        return state.detach().cpu().numpy()
    if isinstance(state, dict):
        return {k: to_numpy(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(to_numpy(v) for v in state)
    return state


def to_torch(state):
    """Inverse of ``to_numpy``: every NumPy array of ``state`` as a tensor."""
    if isinstance(state, np.ndarray):
        return torch.from_numpy(np.array(state))
    if isinstance(state, dict):
        return {k: to_torch(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(to_torch(v) for v in state)
    return state


def history_rows(history, *, batches=False):
    """The per-epoch history as plain values (per-batch rows only if asked)."""
    rows = []
    for row in history:
        kept = {}
        for key, value in row.items():
            if key == "batches" and not batches:
                continue
            try:
                kept[key] = _decode(_encode(value), {})
            except (_Unstorable, ValueError):
                continue
        rows.append(kept)
    return rows


def net_state(net, *, optimizer=True, batches=False):
    """What rebuilds a fitted skorch net: loss, weights, optimizer, history.

    Only tensors, plain containers and plain values: it pickles and loads
    without running code, and ``estimator._restore_net(**state)`` turns it
    back into a net.
    """
    name = type(net.criterion_).__name__
    if name not in TRUSTED_CRITERIA:
        raise TypeError(
            f"The training loss {name} is not one sklstm can rebuild "
            f"({', '.join(TRUSTED_CRITERIA)})."
        )
    return {
        "criterion": name,
        "criterion_state": cpu_state(net.criterion_.state_dict()),
        "module_state": cpu_state(net.module_.state_dict()),
        "optimizer_state": cpu_state(net.optimizer_.state_dict()) if optimizer else None,
        "history": history_rows(net.history, batches=batches),
    }


def criterion_from_state(name, state):
    """The loss named ``name`` (one of ``TRUSTED_CRITERIA``) with its state."""
    cls = None
    if isinstance(name, str) and name in TRUSTED_CRITERIA:
        cls = getattr(torch.nn, name, None) or getattr(_modules, name, None)
    if cls is None:
        raise ValueError(f"the loss {name!r} is not one of {list(TRUSTED_CRITERIA)}")
    state = check_tensor_dict(state, "loss")
    extra = {k: v for k, v in state.items() if k in ("weight", "pos_weight", "quantiles")}
    criterion = cls(**extra)
    criterion.load_state_dict(state)
    return criterion


def check_tensor_dict(state, what):
    """``state`` if it is a dict of str to tensors, else a ValueError."""
    if not isinstance(state, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise ValueError(f"the {what} weights are not a dict of tensors")
    return state


# --- the archive ---------------------------------------------------------------


def describe(estimator, *, net=None, optimizer=False, training=None, strict=True,
             extra_weights=None):
    """The JSON metadata and the weights dict describing ``estimator``.

    With ``strict=False`` (checkpoints), parameters that are not plain
    values are stored as None and listed in ``training["unsaved_params"]``
    instead of raising.
    """
    name = type(estimator).__name__
    params = estimator.get_params(deep=False)
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "sklstm_version": __version__,
        "estimator": name,
        "params": {},
        "attributes": {},
        "net": None,
        "training": training,
    }
    nested = []
    for key, value in params.items():
        try:
            meta["params"][key] = _encode(value, nested)
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
        if key in params or key in ("net_", "module_"):
            continue
        if isinstance(value, torch.Tensor):
            tensors[key] = value.detach().cpu()
            meta["attributes"][key] = {"__tensor__": key}
            continue
        try:
            meta["attributes"][key] = _encode(value, nested)
        except _Unstorable as exc:
            raise TypeError(
                f"Fitted attribute {key} of {name} is {exc}, which save_model "
                "cannot store without pickle."
            ) from None
    weights = {"attributes": tensors}
    if net is None:
        net = vars(estimator).get("net_")
    if net is not None:
        state = net_state(net, optimizer=optimizer)
        meta["net"] = {"criterion": state["criterion"], "history": [
            {k: _encode(v) for k, v in row.items()} for row in state["history"]
        ]}
        weights["module"] = state["module_state"]
        weights["criterion"] = state["criterion_state"]
        if optimizer:
            weights["optimizer"] = state["optimizer_state"]
    if nested:
        # a forecaster's regressors: each described on its own, in the order
        # of the references written above (describing one may not add more)
        described = [describe(inner) for inner in nested]
        meta["estimators"] = [inner_meta for inner_meta, _ in described]
        weights["estimators"] = [inner_weights for _, inner_weights in described]
    weights.update(extra_weights or {})
    return meta, weights


def write_archive(path, meta, weights):
    """Write the archive to ``path`` atomically (a temporary file, then rename)."""
    buffer = io.BytesIO()
    torch.save(weights, buffer)
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with zipfile.ZipFile(tmp, "w") as zf:
            zf.writestr(
                JSON_NAME,
                json.dumps(meta, allow_nan=False),
                compress_type=zipfile.ZIP_DEFLATED,
            )
            zf.writestr(WEIGHTS_NAME, buffer.getvalue(), compress_type=zipfile.ZIP_STORED)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _read_member(zf, name, limit):
    """The bytes of member ``name``, refusing more than ``limit`` of them."""
    info = zf.getinfo(name)
    if info.flag_bits & 0x1:
        raise ValueError(f"its member {name} is encrypted")
    if info.file_size > limit:
        raise ValueError(
            f"its member {name} is {info.file_size} bytes, more than the "
            f"{limit} bytes sklstm reads"
        )
    with zf.open(info) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise ValueError(
            f"its member {name} expands to more than the {limit} bytes sklstm reads"
        )
    return data


def _depth(obj, limit):
    """Nesting depth of parsed JSON, stopping past ``limit`` (no recursion)."""
    stack = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return depth
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return 1


def read_archive(path):
    """The metadata and weights of the archive at ``path``, read within bounds.

    Raises ``ValueError`` for anything that is not a well-formed archive,
    whatever the reason; ``FileNotFoundError`` for a missing path.
    """
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise ValueError("it is not a regular file")
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if JSON_NAME not in names:
                raise ValueError(f"it has no {JSON_NAME}")
            unknown = sorted(names - {JSON_NAME, WEIGHTS_NAME})
            if unknown:
                raise ValueError(f"it holds members {unknown} besides the model")
            text = _read_member(zf, JSON_NAME, MAX_JSON_BYTES).decode("utf-8")
            raw = (
                _read_member(zf, WEIGHTS_NAME, MAX_WEIGHTS_BYTES)
                if WEIGHTS_NAME in names
                else None
            )
    except ValueError:
        raise
    except Exception as exc:  # zipfile, zlib and OS errors of a malformed file
        raise ValueError(f"it is not an sklstm archive ({_first_line(exc)})") from None
    try:
        meta = json.loads(text)
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise ValueError(f"its JSON is malformed ({_first_line(exc)})") from None
    if _depth(meta, _MAX_DEPTH) > _MAX_DEPTH:
        raise ValueError(f"its JSON nests deeper than {_MAX_DEPTH} levels")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError("it is not an sklstm archive (no format marker)")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT_VERSION:
        raise ValueError(
            f"it was written in format version {version!r}; this sklstm reads "
            f"versions up to {FORMAT_VERSION}. Upgrade sklstm."
        )
    weights = {}
    if raw is not None:
        try:
            weights = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - any failure is a bad file here
            raise ValueError(
                f"its weights are not a plain tensor file and were not loaded "
                f"({type(exc).__name__}: {_first_line(exc)})"
            ) from None
        if not isinstance(weights, dict):
            raise ValueError("its weights are not a dict of state dicts")
    return meta, weights


def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

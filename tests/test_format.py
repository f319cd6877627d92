"""The model file format: bounded reading, allow-listed attributes, fuzzing.

Loading a file must never run code, never allocate far beyond the file's
own size, and turn every malformed file into one ``ValueError`` that names
the file.
"""

import copy
import io
import json
import os
import pickle
import re
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sklstm import LSTMAnomalyDetector, LSTMRegressor, load_model, save_model
from sklstm import _format

TINY = dict(hidden_size=4, conv_channels=None, max_epochs=1, batch_size=8, random_state=0)


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory):
    X = np.random.RandomState(0).randn(16, 4, 1)
    path = tmp_path_factory.mktemp("model") / "m.sklstm"
    save_model(LSTMRegressor(**TINY).fit(X, X[:, -1, 0]), path)
    return path.read_bytes()


def _members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _archive(path, members, *, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return path


def _with_meta(model_bytes, tmp_path, edit):
    members = _members(model_bytes)
    meta = json.loads(members[_format.JSON_NAME])
    edit(meta)
    members[_format.JSON_NAME] = json.dumps(meta).encode()
    return _archive(tmp_path / "edited.sklstm", members)


class _Payload:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').close()",))


def test_pickled_net_in_a_private_attribute_is_refused(model_bytes, tmp_path):
    """A pickle hidden as a uint8 array in a private attribute never loads."""
    marker = tmp_path / "ran"
    buffer = io.BytesIO()
    torch.save(_Payload(marker), buffer)
    blob = list(buffer.getvalue())

    def edit(meta):
        meta["attributes"]["_saved_net"] = {
            "__ndarray__": blob,
            "dtype": "|u1",
            "shape": [len(blob)],
        }

    path = _with_meta(model_bytes, tmp_path, edit)
    with pytest.raises(ValueError, match="an attribute named '_saved_net'"):
        load_model(path)
    assert not marker.exists()


def test_loaded_model_copies_and_pickles_without_torch_load(model_bytes, tmp_path, monkeypatch):
    path = tmp_path / "m.sklstm"
    path.write_bytes(model_bytes)
    model = load_model(path)
    calls = []
    monkeypatch.setattr(torch, "load", lambda *a, **k: calls.append(k))
    copy.deepcopy(model)
    pickle.loads(pickle.dumps(model))
    assert calls == []


@pytest.mark.parametrize("name", ["_resume", "_fit_generator", "n_iter"])
def test_attributes_outside_the_allow_list_are_refused(model_bytes, tmp_path, name):
    path = _with_meta(model_bytes, tmp_path, lambda m: m["attributes"].update({name: 1}))
    with pytest.raises(ValueError, match=re.escape(f"an attribute named {name!r}")):
        load_model(path)


def test_json_that_expands_beyond_the_limit_is_refused(model_bytes, tmp_path, monkeypatch):
    """The limit counts decompressed bytes, whatever the zip header claims."""
    monkeypatch.setattr(_format, "MAX_JSON_BYTES", 10_000)
    members = _members(model_bytes)
    meta = json.loads(members[_format.JSON_NAME])
    meta["padding_"] = " " * 1_000_000  # compresses to about a kilobyte
    members[_format.JSON_NAME] = json.dumps(meta).encode()
    path = _archive(tmp_path / "bomb.sklstm", members, compression=zipfile.ZIP_DEFLATED)
    assert os.path.getsize(path) < 20_000
    with pytest.raises(ValueError, match="more than the 10000 bytes"):
        load_model(path)


def test_a_huge_network_described_by_a_small_file_allocates_nothing(model_bytes, tmp_path):
    """Parameters of a multi-gigabyte network fail on the shapes, before allocation."""
    path = _with_meta(
        model_bytes,
        tmp_path,
        lambda m: m["params"].update(hidden_size=60000, num_layers=200),
    )
    assert os.path.getsize(path) < 100_000
    with pytest.raises(ValueError, match="its weights do not fit the network"):
        load_model(path)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs a device file")
def test_a_device_file_is_refused():
    with pytest.raises(ValueError, match="not a regular file"):
        load_model("/dev/zero")


def test_an_encrypted_member_is_refused(model_bytes, tmp_path):
    data = bytearray(model_bytes)
    # set the "encrypted" flag bit in every local and central header
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset] |= 0x1
            start += 4
    path = tmp_path / "encrypted.sklstm"
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="Cannot load"):
        load_model(path)


@pytest.mark.parametrize(
    "json_text",
    [
        "[" * 100_000 + "]" * 100_000,  # RecursionError in the parser
        '{"format": "sklstm-model", "format_version": 1e999}',
        '{"format": "sklstm-model", "format_version": 1, "estimator": "LSTMRegressor",'
        ' "params": {"hidden_size": 1' + "0" * 5000 + "}}",
        '{"format": "sklstm-model", "format_version": true}',
    ],
)
def test_malformed_json_is_one_value_error(model_bytes, tmp_path, json_text):
    members = _members(model_bytes)
    members[_format.JSON_NAME] = json_text.encode()
    path = _archive(tmp_path / "bad.sklstm", members)
    with pytest.raises(ValueError, match=re.escape(f"Cannot load {str(path)!r}")):
        load_model(path)


def test_extra_members_are_refused(model_bytes, tmp_path):
    members = _members(model_bytes)
    members["extra.bin"] = b"\x00" * 10
    path = _archive(tmp_path / "extra.sklstm", members)
    with pytest.raises(ValueError, match="besides the model"):
        load_model(path)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_fuzzed_model_files_load_or_raise_value_error(model_bytes, tmp_path, data):
    """Random byte edits of a valid file: it loads, or one ValueError names it."""
    raw = bytearray(model_bytes)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        del raw[data.draw(st.integers(0, len(raw) - 1)) :]
    path = tmp_path / "fuzzed.sklstm"
    path.write_bytes(bytes(raw))
    try:
        load_model(path)
    except ValueError as exc:
        assert str(path) in str(exc)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    section=st.sampled_from(["params", "attributes", "net", "training"]),
    key=st.sampled_from(
        ["hidden_size", "input_size_", "n_outputs_", "_target_mean", "history", "x"]
    ),
    value=_JSON_VALUES,
)
def test_fuzzed_metadata_loads_or_raises_value_error(model_bytes, tmp_path, section, key, value):
    """Arbitrary JSON values in any field: a model or one ValueError, nothing else."""

    def edit(meta):
        if isinstance(meta.get(section), dict):
            meta[section][key] = value
        else:
            meta[section] = {key: value}

    path = _with_meta(model_bytes, tmp_path, edit)
    try:
        load_model(path)
    except ValueError as exc:
        assert str(path) in str(exc)


def test_resumed_anomaly_checkpoint_keeps_its_error_model_private(tmp_path):
    """The detector's private fitted attributes are on the allow-list, others are not."""
    X = np.random.RandomState(0).randn(20, 4, 1)
    det = LSTMAnomalyDetector(**TINY).fit(X)
    save_model(det, tmp_path / "d.sklstm")
    loaded = load_model(tmp_path / "d.sklstm")
    np.testing.assert_allclose(loaded.score_samples(X), det.score_samples(X))


def _pandas_values():
    import pandas as pd

    return {
        "monthly": pd.date_range("2020-01-01", periods=4, freq="MS", name="month"),
        "hourly_tz": pd.date_range("2020-03-29", periods=5, freq="h", tz="Europe/Paris"),
        "irregular": pd.DatetimeIndex(["2020-01-01", "2020-01-03", "2020-01-04"]),
        "range": pd.RangeIndex(3, 30, 3, name="row"),
        "labels": pd.Index(["a", "b", "c"]),
        "numbers": pd.Index([1.5, 2.5]),
        "stamp": pd.Timestamp("2021-06-01 12:30", tz="UTC"),
        "offset": pd.tseries.frequencies.to_offset("W-SUN"),
    }


@pytest.mark.parametrize("name", list(_pandas_values()))
def test_pandas_time_values_survive_json(name):
    """Indexes, time stamps and frequencies come back equal, dtype and freq too."""
    import pandas as pd

    value = _pandas_values()[name]
    decoded = _format._decode(json.loads(json.dumps(_format._encode(value))), {})
    if isinstance(value, pd.Index):
        pd.testing.assert_index_equal(decoded, value, exact=True)
        assert getattr(decoded, "freq", None) == getattr(value, "freq", None)
    else:
        assert decoded == value and type(decoded) is type(value)


def test_nested_estimators_are_references_without_a_list_to_hold_them():
    """An estimator is stored only where the caller collects nested ones."""
    reg = LSTMRegressor(hidden_size=3)
    with pytest.raises(_format._Unstorable, match="LSTMRegressor"):
        _format._encode({"inner": reg})
    nested = []
    encoded = _format._encode([reg, {"again": reg}], nested)
    assert nested == [reg]
    assert encoded == [{"__estimator__": 0}, {"__dict__": [["again", {"__estimator__": 0}]]}]
    assert _format._decode(encoded, {}, ["rebuilt"]) == ["rebuilt", {"again": "rebuilt"}]

"""Tests for the data sets shipped in sklstm.datasets."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.utils import Bunch

import sklstm.datasets as datasets
from sklstm.datasets import (
    load_airline,
    load_italy_power_demand,
    load_japanese_vowels,
    load_nab_machine_temperature,
)


def test_datasets_public_names():
    """The subpackage exports exactly the four loaders."""
    assert sorted(datasets.__all__) == [
        "load_airline",
        "load_italy_power_demand",
        "load_japanese_vowels",
        "load_nab_machine_temperature",
    ]
    for name in datasets.__all__:
        assert callable(getattr(datasets, name))


# --------------------------------------------------------------------------
# load_airline
# --------------------------------------------------------------------------


def test_load_airline_series_shape_and_index():
    """The default return is a named int64 Series with a monthly index."""
    y = load_airline()
    assert isinstance(y, pd.Series)
    assert y.shape == (144,)
    assert y.name == "passengers"
    assert y.dtype == np.int64
    assert isinstance(y.index, pd.DatetimeIndex)
    assert y.index.name == "month"
    assert y.index.freqstr == "MS"
    assert y.index[0] == pd.Timestamp("1949-01-01")
    assert y.index[-1] == pd.Timestamp("1960-12-01")
    assert y.index.is_monotonic_increasing and y.index.is_unique


def test_load_airline_known_values():
    """Values match Box and Jenkins' Series G (first, last, sum, extremes)."""
    y = load_airline()
    assert y.iloc[:5].tolist() == [112, 118, 132, 129, 121]
    assert y.iloc[-1] == 432
    year_1960 = [417, 391, 419, 461, 472, 535, 622, 606, 508, 461, 390, 432]
    assert y.loc["1960"].tolist() == year_1960
    assert int(y.sum()) == 40363
    assert int(y.min()) == 104 and int(y.max()) == 622
    assert y.idxmax() == pd.Timestamp("1960-07-01")


def test_load_airline_as_frame_false_returns_array():
    """as_frame=False returns the same values as a 1-D int64 array."""
    values = load_airline(as_frame=False)
    assert isinstance(values, np.ndarray)
    assert values.shape == (144,)
    assert values.dtype == np.int64
    np.testing.assert_array_equal(values, load_airline().to_numpy())


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_load_airline_bad_as_frame_message(bad):
    """A non-boolean as_frame raises ValueError naming value and choices."""
    msg = f"as_frame must be True or False; got {bad!r}."
    with pytest.raises(ValueError, match=re.escape(msg)):
        load_airline(as_frame=bad)


def test_load_airline_rejects_positional_arguments():
    """Options are keyword-only."""
    with pytest.raises(TypeError):
        load_airline(True)


# --------------------------------------------------------------------------
# load_italy_power_demand
# --------------------------------------------------------------------------


def test_load_italy_power_demand_return_X_y_shapes_and_dtypes():
    """split=None with return_X_y gives train and test arrays of fixed shape."""
    X_train, y_train, X_test, y_test = load_italy_power_demand(return_X_y=True)
    assert X_train.shape == (67, 24) and X_test.shape == (1029, 24)
    assert y_train.shape == (67,) and y_test.shape == (1029,)
    assert X_train.dtype == np.float64 and X_test.dtype == np.float64
    assert y_train.dtype.kind == "U" and y_test.dtype.kind == "U"
    assert np.isfinite(X_train).all() and np.isfinite(X_test).all()


def test_load_italy_power_demand_labels_and_class_counts():
    """Labels are the strings "1" and "2" with the archive's class counts."""
    _, y_train, _, y_test = load_italy_power_demand(return_X_y=True)
    labels, counts = np.unique(y_train, return_counts=True)
    assert labels.tolist() == ["1", "2"] and counts.tolist() == [34, 33]
    labels, counts = np.unique(y_test, return_counts=True)
    assert labels.tolist() == ["1", "2"] and counts.tolist() == [513, 516]


def test_load_italy_power_demand_known_values():
    """The first training day matches the source file."""
    X_train, y_train, _, _ = load_italy_power_demand(return_X_y=True)
    assert y_train[0] == "1"
    assert X_train[0, 0] == pytest.approx(-0.71051757)
    assert X_train[0, 23] == pytest.approx(-0.26923494)
    # every day is z-normalised
    np.testing.assert_allclose(X_train.mean(axis=1), 0.0, atol=1e-6)


def test_load_italy_power_demand_single_split_matches_both():
    """split="train"/"test" return the same data as split=None."""
    X_train, y_train, X_test, y_test = load_italy_power_demand(return_X_y=True)
    X, y = load_italy_power_demand(split="train", return_X_y=True)
    np.testing.assert_array_equal(X, X_train)
    np.testing.assert_array_equal(y, y_train)
    X, y = load_italy_power_demand(split="test", return_X_y=True)
    np.testing.assert_array_equal(X, X_test)
    np.testing.assert_array_equal(y, y_test)


def test_load_italy_power_demand_bunch_keys():
    """The Bunch holds data/target for one split, *_train/*_test for None."""
    bunch = load_italy_power_demand(split="test")
    assert isinstance(bunch, Bunch)
    assert bunch.data.shape == (1029, 24) and bunch.target.shape == (1029,)
    assert bunch.split == "test"
    assert bunch.target_names.tolist() == ["1", "2"]
    assert bunch.feature_names == [f"t{h:02d}" for h in range(24)]
    assert "ItalyPowerDemand" in bunch.DESCR

    both = load_italy_power_demand()
    assert both.split is None
    assert {"data_train", "target_train", "data_test", "target_test"} <= set(both)
    assert "data" not in both and "target" not in both
    assert both.data_train.shape == (67, 24)


def test_load_italy_power_demand_as_frame():
    """as_frame=True gives a float DataFrame and a string label Series."""
    X, y = load_italy_power_demand(split="train", return_X_y=True, as_frame=True)
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)
    assert X.shape == (67, 24)
    assert list(X.columns) == [f"t{h:02d}" for h in range(24)]
    assert (X.dtypes == np.float64).all()
    assert y.name == "label"
    assert sorted(set(y)) == ["1", "2"]
    X_arr, _ = load_italy_power_demand(split="train", return_X_y=True)
    np.testing.assert_array_equal(X.to_numpy(), X_arr)


@pytest.mark.parametrize("bad", ["valid", "TRAIN", "all", 0])
def test_load_italy_power_demand_bad_split_message(bad):
    """An unknown split raises ValueError naming value and choices."""
    msg = f"split must be 'train', 'test' or None; got {bad!r}."
    with pytest.raises(ValueError, match=re.escape(msg)):
        load_italy_power_demand(split=bad)


@pytest.mark.parametrize("name", ["return_X_y", "as_frame"])
def test_load_italy_power_demand_bad_flag_message(name):
    """A non-boolean flag raises ValueError naming the flag and value."""
    msg = f"{name} must be True or False; got 'no'."
    with pytest.raises(ValueError, match=re.escape(msg)):
        load_italy_power_demand(**{name: "no"})


# --------------------------------------------------------------------------
# load_japanese_vowels
# --------------------------------------------------------------------------


def test_load_japanese_vowels_return_X_y_shapes_and_dtypes():
    """X is a list of float64 (n_frames, 12) arrays; y string labels."""
    X_train, y_train, X_test, y_test = load_japanese_vowels(return_X_y=True)
    assert isinstance(X_train, list) and isinstance(X_test, list)
    assert len(X_train) == 270 and len(X_test) == 370
    assert y_train.shape == (270,) and y_test.shape == (370,)
    assert y_train.dtype.kind == "U" and y_test.dtype.kind == "U"
    for x in X_train + X_test:
        assert isinstance(x, np.ndarray)
        assert x.ndim == 2 and x.shape[1] == 12
        assert x.dtype == np.float64
        assert np.isfinite(x).all()


def test_load_japanese_vowels_variable_lengths():
    """Sequences vary in length from 7 to 29 frames, as in the source."""
    X_train, _, X_test, _ = load_japanese_vowels(return_X_y=True)
    train_lengths = [len(x) for x in X_train]
    test_lengths = [len(x) for x in X_test]
    assert min(train_lengths) == 7 and max(train_lengths) == 26
    assert min(test_lengths) == 7 and max(test_lengths) == 29
    assert len(set(train_lengths + test_lengths)) > 10
    # total frame counts of the UCI files ae.train and ae.test
    assert sum(train_lengths) == 4274 and sum(test_lengths) == 5687
    assert train_lengths[0] == 20


def test_load_japanese_vowels_labels_and_class_counts():
    """Nine speakers "1".."9": 30 each in train, the UCI counts in test."""
    _, y_train, _, y_test = load_japanese_vowels(return_X_y=True)
    labels, counts = np.unique(y_train, return_counts=True)
    assert labels.tolist() == [str(k) for k in range(1, 10)]
    assert counts.tolist() == [30] * 9
    labels, counts = np.unique(y_test, return_counts=True)
    assert labels.tolist() == [str(k) for k in range(1, 10)]
    assert counts.tolist() == [31, 35, 88, 44, 29, 24, 40, 50, 29]


def test_load_japanese_vowels_known_values():
    """The first frames of the first train and test utterances match UCI."""
    X_train, _, X_test, _ = load_japanese_vowels(return_X_y=True)
    first_frame = [1.860936, -0.207383, 0.261557, -0.214562, -0.171253, -0.118167]
    first_frame += [-0.277557, 0.025668, 0.126701, -0.306756, -0.213076, 0.088728]
    np.testing.assert_array_equal(X_train[0][0], first_frame)
    assert X_train[0][1, 0] == pytest.approx(1.891651)
    assert X_test[0][0, 0] == pytest.approx(1.635533)


def test_load_japanese_vowels_single_split_matches_both():
    """split="train"/"test" return the same sequences as split=None."""
    X_train, y_train, X_test, y_test = load_japanese_vowels(return_X_y=True)
    for split, X_all, y_all in [("train", X_train, y_train), ("test", X_test, y_test)]:
        X, y = load_japanese_vowels(split=split, return_X_y=True)
        assert len(X) == len(X_all)
        for a, b in zip(X, X_all):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(y, y_all)


def test_load_japanese_vowels_bunch_keys():
    """The Bunch holds data/target, names and a description."""
    bunch = load_japanese_vowels(split="train")
    assert isinstance(bunch, Bunch)
    assert len(bunch.data) == 270 and bunch.target.shape == (270,)
    assert bunch.split == "train"
    assert bunch.target_names.tolist() == [str(k) for k in range(1, 10)]
    assert bunch.feature_names == [f"lpcc{k:02d}" for k in range(1, 13)]
    assert "Japanese Vowels" in bunch.DESCR
    both = load_japanese_vowels()
    assert len(both.data_train) == 270 and len(both.data_test) == 370
    assert both.target_test.shape == (370,)


@pytest.mark.parametrize("bad", ["validation", "Test", 1.0])
def test_load_japanese_vowels_bad_split_message(bad):
    """An unknown split raises ValueError naming value and choices."""
    msg = f"split must be 'train', 'test' or None; got {bad!r}."
    with pytest.raises(ValueError, match=re.escape(msg)):
        load_japanese_vowels(split=bad)


def test_load_japanese_vowels_bad_return_X_y_message():
    """A non-boolean return_X_y raises ValueError naming the value."""
    msg = "return_X_y must be True or False; got 'true'."
    with pytest.raises(ValueError, match=re.escape(msg)):
        load_japanese_vowels(return_X_y="true")


def test_load_japanese_vowels_has_no_as_frame():
    """as_frame is not offered for variable-length sequences."""
    with pytest.raises(TypeError):
        load_japanese_vowels(as_frame=True)


# --------------------------------------------------------------------------
# load_nab_machine_temperature
# --------------------------------------------------------------------------


def test_load_nab_machine_temperature_frame_shape_and_dtypes():
    """The data is a float DataFrame 'value' indexed by timestamp."""
    nab = load_nab_machine_temperature()
    assert isinstance(nab, Bunch)
    data = nab.data
    assert isinstance(data, pd.DataFrame)
    assert data.shape == (22695, 1)
    assert list(data.columns) == ["value"]
    assert data["value"].dtype == np.float64
    assert isinstance(data.index, pd.DatetimeIndex)
    assert data.index.name == "timestamp"
    assert data.index[0] == pd.Timestamp("2013-12-02 21:15:00")
    assert data.index[-1] == pd.Timestamp("2014-02-19 15:25:00")
    assert "Numenta" in nab.DESCR


def test_load_nab_machine_temperature_known_values():
    """First, last and extreme readings match the NAB file."""
    value = load_nab_machine_temperature().data["value"]
    assert value.iloc[0] == pytest.approx(73.96732207)
    assert value.iloc[1] == pytest.approx(74.935882)
    assert value.iloc[-1] == pytest.approx(96.9038609)
    assert value.min() == pytest.approx(2.084721, abs=1e-6)
    assert value.max() == pytest.approx(108.510543, abs=1e-6)


def test_load_nab_machine_temperature_keeps_repeated_hour():
    """The source's repeated hour on 2014-01-07 02:xx is kept as is."""
    index = load_nab_machine_temperature().data.index
    duplicated = index[index.duplicated()]
    assert len(duplicated) == 12
    assert (duplicated.floor("h") == pd.Timestamp("2014-01-07 02:00")).all()
    steps = np.diff(index.to_numpy()).astype("timedelta64[m]").astype(int)
    assert (steps == 5).sum() == len(index) - 2
    assert (steps == -55).sum() == 1


def test_load_nab_machine_temperature_windows():
    """Four ordered (start, end) windows, each inside the series."""
    nab = load_nab_machine_temperature()
    index = nab.data.index
    assert len(nab.windows) == 4
    assert nab.windows[0] == (
        pd.Timestamp("2013-12-10 06:25:00"),
        pd.Timestamp("2013-12-12 05:35:00"),
    )
    assert nab.windows[-1] == (
        pd.Timestamp("2014-02-07 14:55:00"),
        pd.Timestamp("2014-02-09 14:05:00"),
    )
    previous_end = None
    for start, end in nab.windows:
        assert isinstance(start, pd.Timestamp) and isinstance(end, pd.Timestamp)
        assert index.min() <= start < end <= index.max()
        assert start in index and end in index
        if previous_end is not None:
            assert previous_end < start
        previous_end = end


def test_load_nab_machine_temperature_anomalies_inside_windows():
    """Each labelled anomaly lies in its own window and in the series."""
    nab = load_nab_machine_temperature()
    assert len(nab.anomalies) == 4
    assert nab.anomalies[-1] == pd.Timestamp("2014-02-08 14:30:00")
    for timestamp, (start, end) in zip(nab.anomalies, nab.windows):
        assert start <= timestamp <= end
        assert timestamp in nab.data.index


def test_load_nab_machine_temperature_takes_no_arguments():
    """The loader has no options."""
    with pytest.raises(TypeError):
        load_nab_machine_temperature(as_frame=True)

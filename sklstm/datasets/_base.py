"""Loaders for the small real data sets shipped with :mod:`sklstm`.

Every loader reads its files from the package data folder
``sklstm/datasets/data`` through :mod:`importlib.resources`, so the data sets
work offline and from a zipped install.  The source and licence of each file
are listed in ``data/LICENSES.md``.
"""

import gzip
import io
import json
from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

__all__ = [
    "load_airline",
    "load_italy_power_demand",
    "load_japanese_vowels",
    "load_nab_machine_temperature",
]

# The package that holds the ``data`` folder.  Spelled out rather than taken
# from ``__package__`` so that the files are found however this module was
# imported (for instance by a test runner that imports it under another name).
_DATA_PACKAGE = "sklstm.datasets"

_SPLITS = ("train", "test")

_NAB_FILE_KEY = "realKnownCause/machine_temperature_system_failure.csv"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _read_bytes(file_name):
    """Return the (decompressed) bytes of one file of the data folder."""
    resource = resources.files(_DATA_PACKAGE) / "data" / file_name
    raw = resource.read_bytes()
    if file_name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return raw


def _read_csv(file_name, **kwargs):
    """Read one CSV file of the data folder into a DataFrame."""
    return pd.read_csv(io.BytesIO(_read_bytes(file_name)), **kwargs)


def _check_bool(name, value):
    """Raise ValueError unless ``value`` is a boolean."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {value!r}.")


def _check_split(split):
    """Raise ValueError unless ``split`` is 'train', 'test' or None."""
    if split is None or (isinstance(split, str) and split in _SPLITS):
        return
    raise ValueError(f"split must be 'train', 'test' or None; got {split!r}.")


def _splits_to_return(split, loaded, return_X_y, extra):
    """Assemble the return value of a loader that has train and test splits.

    ``loaded`` maps each split name to its ``(X, y)`` pair; ``extra`` holds
    the Bunch entries that do not depend on the split.
    """
    if split is not None:
        X, y = loaded[split]
        if return_X_y:
            return X, y
        return Bunch(data=X, target=y, split=split, **extra)
    (X_train, y_train), (X_test, y_test) = loaded["train"], loaded["test"]
    if return_X_y:
        return X_train, y_train, X_test, y_test
    return Bunch(
        data_train=X_train,
        target_train=y_train,
        data_test=X_test,
        target_test=y_test,
        split=None,
        **extra,
    )


# --------------------------------------------------------------------------
# airline passengers
# --------------------------------------------------------------------------


def load_airline(*, as_frame=True):
    """Load the monthly international airline passenger totals, 1949-1960.

    A univariate forecasting series of 144 monthly totals of international
    airline passengers, in thousands, from January 1949 to December 1960.
    It is Series G of Box and Jenkins, with a trend and a multiplicative
    yearly seasonality.

    ==================   ==========================
    Observations                                144
    Frequency                  monthly (month start)
    Span                       1949-01 to 1960-12
    Values                  integers, 104 to 622
    ==================   ==========================

    Parameters
    ----------
    as_frame : bool, default=True
        If True, return a :class:`pandas.Series` named ``"passengers"``
        with a monthly :class:`pandas.DatetimeIndex` named ``"month"``
        (one timestamp on the first day of each month, ``freq="MS"``).
        If False, return the values alone as a NumPy array.

    Returns
    -------
    y : pandas.Series of shape (144,) or ndarray of shape (144,)
        The passenger totals (thousands), dtype ``int64``, in time order.

    Raises
    ------
    ValueError
        If ``as_frame`` is not a boolean.

    Notes
    -----
    **Source and licence.** The 144 totals are published in Box and Jenkins
    (1976), Series G, who took them from Brown (1963).  The values in the
    shipped file ``data/airline.csv`` were taken from the file
    ``aeon/datasets/data/Airline/Airline.csv`` of the ``aeon`` 1.6.0 wheel on
    PyPI (a package released under the BSD 3-Clause License) and checked
    against the published table.  The original publications attach no
    licence to these numbers: they are published statistical facts, and the
    series is redistributed freely by many software packages.

    References
    ----------
    .. [1] Box, G. E. P. and Jenkins, G. M. (1976). *Time Series Analysis:
       Forecasting and Control*, revised edition. Holden-Day, San Francisco.
       Series G.
    .. [2] Brown, R. G. (1963). *Smoothing, Forecasting and Prediction of
       Discrete Time Series*. Prentice-Hall, Englewood Cliffs, NJ.

    Examples
    --------
    >>> from sklstm.datasets import load_airline
    >>> y = load_airline()
    >>> y.shape
    (144,)
    >>> print(y.name, y.index[0].date(), y.index[-1].date())
    passengers 1949-01-01 1960-12-01
    >>> load_airline(as_frame=False).shape
    (144,)
    """
    _check_bool("as_frame", as_frame)
    frame = _read_csv("airline.csv", dtype={"month": str, "passengers": "int64"})
    values = frame["passengers"].to_numpy(dtype=np.int64)
    if not as_frame:
        return values
    index = pd.DatetimeIndex(
        pd.to_datetime(frame["month"], format="%Y-%m"), freq="MS", name="month"
    )
    return pd.Series(values, index=index, name="passengers")


# --------------------------------------------------------------------------
# ItalyPowerDemand
# --------------------------------------------------------------------------

_ITALY_FEATURES = [f"t{hour:02d}" for hour in range(24)]

_ITALY_DESCR = """\
ItalyPowerDemand (UCR Time Series Classification Archive)
--------------------------------------------------------
Each sample is one day of Italian electrical power demand: 24 hourly values,
z-normalised per day.  Class "1" marks days from October to March, class "2"
days from April to September.  Train 67 days, test 1029 days (split as in the
archive).  Source and licence: see load_italy_power_demand's docstring and
data/LICENSES.md.
"""


def _load_italy_split(split, as_frame):
    frame = _read_csv(
        f"italy_power_demand_{split}.csv.gz",
        dtype={"label": str, **{name: "float64" for name in _ITALY_FEATURES}},
    )
    if as_frame:
        X = frame[_ITALY_FEATURES].reset_index(drop=True)
        y = frame["label"].rename("label").reset_index(drop=True)
        return X, y
    X = frame[_ITALY_FEATURES].to_numpy(dtype=np.float64)
    y = np.asarray(frame["label"].to_numpy(), dtype=str)
    return X, y


def load_italy_power_demand(*, split=None, return_X_y=False, as_frame=False):
    """Load the ItalyPowerDemand time series classification data set.

    A binary classification task on short, equal-length univariate series:
    each sample is one day of Italian electrical power demand sampled every
    hour (24 values, z-normalised per day), and the class tells the season.

    =================   ===============================
    Classes                                 2 ("1", "2")
    Samples                     67 train, 1029 test
    Series length                                    24
    Values                  real, z-normalised per row
    =================   ===============================

    Parameters
    ----------
    split : {"train", "test"} or None, default=None
        Which part of the archive's fixed train/test split to load.  With
        None, both parts are returned (see Returns).
    return_X_y : bool, default=False
        If True, return arrays instead of a :class:`~sklearn.utils.Bunch`:
        ``(X, y)`` for one split, ``(X_train, y_train, X_test, y_test)`` for
        ``split=None``.
    as_frame : bool, default=False
        If True, ``X`` is a :class:`pandas.DataFrame` with columns
        ``"t00"`` ... ``"t23"`` and ``y`` a :class:`pandas.Series` named
        ``"label"``, instead of NumPy arrays.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Returned when ``return_X_y`` is False.  For ``split="train"`` or
        ``"test"`` it holds

        data : ndarray of shape (n_samples, 24) or DataFrame
            The series, dtype ``float64``; ``n_samples`` is 67 for the train
            split and 1029 for the test split.
        target : ndarray of shape (n_samples,) or Series
            The class labels as strings, ``"1"`` (October to March) or
            ``"2"`` (April to September).
        split : str
            The split that was loaded.

        For ``split=None`` the keys ``data_train``, ``target_train``,
        ``data_test`` and ``target_test`` replace ``data`` and ``target``,
        and ``split`` is None.  Every Bunch also holds

        target_names : ndarray of shape (2,)
            The class labels, ``["1", "2"]``.
        feature_names : list of str
            The names of the 24 time steps, ``"t00"`` ... ``"t23"``.
        DESCR : str
            A short description of the data set.

    (X, y) or (X_train, y_train, X_test, y_test) : tuple
        Returned when ``return_X_y`` is True; the arrays (or pandas objects)
        described above.

    Raises
    ------
    ValueError
        If ``split`` is not "train", "test" or None, or if ``return_X_y`` or
        ``as_frame`` is not a boolean.

    Notes
    -----
    **Source and licence.** ItalyPowerDemand was derived from twelve monthly
    electrical power demand series from Italy and first used by Keogh et al.
    (2006); it is part of the UCR Time Series Classification Archive [2]_.
    The shipped files ``data/italy_power_demand_train.csv.gz`` and
    ``data/italy_power_demand_test.csv.gz`` were converted, values unchanged,
    from ``aeon/datasets/data/ItalyPowerDemand/ItalyPowerDemand_TRAIN.ts``
    and ``..._TEST.ts`` of the ``aeon`` 1.6.0 wheel on PyPI (a package
    released under the BSD 3-Clause License).  The UCR archive states no
    formal licence: it makes the data freely available for research and
    asks users to cite the archive [2]_.

    References
    ----------
    .. [1] Keogh, E., Wei, L., Xi, X., Lonardi, S., Shieh, J. and Sirowy, S.
       (2006). Intelligent Icons: Integrating Lite-Weight Data Mining and
       Visualization into GUI Operating Systems. *Proceedings of the Sixth
       IEEE International Conference on Data Mining (ICDM)*, 912-916.
    .. [2] Dau, H. A., Bagnall, A., Kamgar, K., Yeh, C.-C. M., Zhu, Y.,
       Gharghabi, S., Ratanamahatana, C. A. and Keogh, E. (2019). The UCR
       Time Series Archive. *IEEE/CAA Journal of Automatica Sinica*, 6(6),
       1293-1305.

    Examples
    --------
    >>> from sklstm.datasets import load_italy_power_demand
    >>> X_train, y_train, X_test, y_test = load_italy_power_demand(
    ...     return_X_y=True)
    >>> X_train.shape, y_train.shape, X_test.shape, y_test.shape
    ((67, 24), (67,), (1029, 24), (1029,))
    >>> load_italy_power_demand(split="train").target_names.tolist()
    ['1', '2']
    """
    _check_split(split)
    _check_bool("return_X_y", return_X_y)
    _check_bool("as_frame", as_frame)
    wanted = _SPLITS if split is None else (split,)
    loaded = {name: _load_italy_split(name, as_frame) for name in wanted}
    extra = dict(
        target_names=np.array(["1", "2"]),
        feature_names=list(_ITALY_FEATURES),
        DESCR=_ITALY_DESCR,
    )
    return _splits_to_return(split, loaded, return_X_y, extra)


# --------------------------------------------------------------------------
# JapaneseVowels
# --------------------------------------------------------------------------

_VOWELS_FEATURES = [f"lpcc{k:02d}" for k in range(1, 13)]

_VOWELS_DESCR = """\
Japanese Vowels (UCI Machine Learning Repository)
-------------------------------------------------
Nine male speakers uttered the Japanese vowels /ae/.  Each utterance is a
series of 7 to 29 frames of 12 LPC cepstrum coefficients; the task is to
recognise the speaker ("1" ... "9").  Train 270 utterances (30 per speaker),
test 370 (24 to 88 per speaker), split as in the source.  Licence: CC BY 4.0;
see load_japanese_vowels's docstring and data/LICENSES.md.
"""


def _load_vowels_split(split):
    frame = _read_csv(
        f"japanese_vowels_{split}.csv.gz",
        dtype={
            "case": "int64",
            "label": str,
            "frame": "int64",
            **{name: "float64" for name in _VOWELS_FEATURES},
        },
    )
    # Rows are stored grouped by utterance ("case") and in frame order.
    cases = frame["case"].to_numpy()
    _, starts = np.unique(cases, return_index=True)
    starts = np.sort(starts)
    values = frame[_VOWELS_FEATURES].to_numpy(dtype=np.float64)
    X = [np.ascontiguousarray(part) for part in np.split(values, starts[1:])]
    y = np.asarray(frame["label"].to_numpy()[starts], dtype=str)
    return X, y


def load_japanese_vowels(*, split=None, return_X_y=False):
    """Load the Japanese Vowels speaker recognition data set.

    A multivariate, variable-length sequence classification task: nine male
    speakers uttered the two Japanese vowels /ae/ in succession, and each
    utterance was turned into a series of frames of 12 LPC cepstrum
    coefficients.  The task is to tell the speaker from the utterance.

    ==================  ===================================
    Classes                               9 ("1" ... "9")
    Samples                          270 train, 370 test
    Sequence length             7 to 29 frames (varies)
    Features per frame        12 LPC cepstrum coefficients
    ==================  ===================================

    Parameters
    ----------
    split : {"train", "test"} or None, default=None
        Which part of the source's fixed train/test split to load.  With
        None, both parts are returned (see Returns).
    return_X_y : bool, default=False
        If True, return ``(X, y)`` for one split, or
        ``(X_train, y_train, X_test, y_test)`` for ``split=None``, instead of
        a :class:`~sklearn.utils.Bunch`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Returned when ``return_X_y`` is False.  For ``split="train"`` or
        ``"test"`` it holds

        data : list of ndarray, each of shape (n_frames_i, 12)
            One ``float64`` array per utterance; ``n_frames_i`` varies from
            7 to 29.  The list has 270 items for the train split and 370
            for the test split.
        target : ndarray of shape (n_samples,)
            The speaker of each utterance as a string, ``"1"`` ... ``"9"``.
        split : str
            The split that was loaded.

        For ``split=None`` the keys ``data_train``, ``target_train``,
        ``data_test`` and ``target_test`` replace ``data`` and ``target``,
        and ``split`` is None.  Every Bunch also holds

        target_names : ndarray of shape (9,)
            The speaker labels, ``["1", ..., "9"]``.
        feature_names : list of str
            The names of the 12 coefficients, ``"lpcc01"`` ... ``"lpcc12"``.
        DESCR : str
            A short description of the data set.

    (X, y) or (X_train, y_train, X_test, y_test) : tuple
        Returned when ``return_X_y`` is True; the lists and arrays described
        above.

    Raises
    ------
    ValueError
        If ``split`` is not "train", "test" or None, or if ``return_X_y`` is
        not a boolean.

    Notes
    -----
    There is no ``as_frame`` option: the sequences have different lengths,
    so they do not form one rectangular table.

    The train split has 30 utterances per speaker; the test split, recorded
    on other occasions, has 31, 35, 88, 44, 29, 24, 40, 50 and 29 utterances
    for speakers 1 to 9.

    **Source and licence.** Donated to the UCI Machine Learning Repository
    by M. Kudo, J. Toyama and M. Shimbo [1]_, [2]_, and licensed there under
    the Creative Commons Attribution 4.0 International licence (CC BY 4.0).
    The shipped files ``data/japanese_vowels_train.csv.gz`` and
    ``data/japanese_vowels_test.csv.gz`` were converted, values unchanged,
    from ``aeon/datasets/data/JapaneseVowels/JapaneseVowels_TRAIN.ts`` and
    ``..._TEST.ts`` (the variable-length version) of the ``aeon`` 1.6.0
    wheel on PyPI.  Changes made: the layout was changed to one CSV row per
    frame (columns ``case``, ``label``, ``frame``, ``lpcc01`` ...
    ``lpcc12``) and the files were gzip-compressed.

    References
    ----------
    .. [1] Kudo, M., Toyama, J. and Shimbo, M. (1999). Multidimensional
       Curve Classification Using Passing-Through Regions. *Pattern
       Recognition Letters*, 20(11-13), 1103-1111.
    .. [2] Kudo, M., Toyama, J. and Shimbo, M. (2000). Japanese Vowels
       (data set). UCI Machine Learning Repository.
       https://doi.org/10.24432/C5NS47

    Examples
    --------
    >>> from sklstm.datasets import load_japanese_vowels
    >>> X_train, y_train, X_test, y_test = load_japanese_vowels(
    ...     return_X_y=True)
    >>> len(X_train), len(X_test)
    (270, 370)
    >>> X_train[0].shape
    (20, 12)
    >>> min(len(x) for x in X_train + X_test), max(len(x) for x in X_test)
    (7, 29)
    """
    _check_split(split)
    _check_bool("return_X_y", return_X_y)
    wanted = _SPLITS if split is None else (split,)
    loaded = {name: _load_vowels_split(name) for name in wanted}
    extra = dict(
        target_names=np.array([str(k) for k in range(1, 10)]),
        feature_names=list(_VOWELS_FEATURES),
        DESCR=_VOWELS_DESCR,
    )
    return _splits_to_return(split, loaded, return_X_y, extra)


# --------------------------------------------------------------------------
# NAB machine temperature
# --------------------------------------------------------------------------

_NAB_DESCR = """\
NAB machine_temperature_system_failure (Numenta Anomaly Benchmark)
------------------------------------------------------------------
Temperature sensor readings of an internal component of a large industrial
machine, every 5 minutes from 2013-12-02 21:15 to 2014-02-19 15:25 (22695
readings).  Four known anomalies; the first is a planned shutdown, the last a
catastrophic failure.  Labels: four anomaly windows and the four labelled
anomaly timestamps of the benchmark.  Licence: MIT; see
load_nab_machine_temperature's docstring and data/LICENSES.md.
"""


def load_nab_machine_temperature():
    """Load the NAB machine temperature series with its anomaly labels.

    A univariate anomaly detection series from the Numenta Anomaly Benchmark
    (NAB), file ``realKnownCause/machine_temperature_system_failure.csv``:
    readings of a temperature sensor on an internal component of a large
    industrial machine, every 5 minutes, with four anomalies of known cause
    (the first a planned shutdown, the last a catastrophic failure).

    =================   ====================================
    Readings                                          22695
    Sampling                             every 5 minutes
    Span                 2013-12-02 21:15 to 2014-02-19 15:25
    Anomaly windows                                       4
    =================   ====================================

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        data : pandas.DataFrame of shape (22695, 1)
            Column ``"value"`` (``float64``), indexed by a
            :class:`pandas.DatetimeIndex` named ``"timestamp"``, in the row
            order of the source file.
        windows : list of tuple of pandas.Timestamp
            The four anomaly windows ``(start, end)`` of the benchmark
            (both ends inclusive), in time order.
        anomalies : list of pandas.Timestamp
            The four labelled anomaly timestamps, one inside each window.
        DESCR : str
            A short description of the data set.

    Notes
    -----
    The timestamps are kept exactly as in the source file, which repeats
    the hour 2014-01-07 02:00 to 02:55: twelve timestamps occur twice, so the
    index is neither unique nor monotonic at that point.  Handle it (for
    instance by dropping or averaging duplicates) if a strictly increasing
    index is needed.

    **Source and licence.** The shipped file
    ``data/nab_machine_temperature_system_failure.csv.gz`` is the NAB file
    ``data/realKnownCause/machine_temperature_system_failure.csv``, byte for
    byte, gzip-compressed.  The file
    ``data/nab_machine_temperature_system_failure_labels.json`` holds this
    file's entries of the NAB files ``labels/combined_windows.json`` and
    ``labels/combined_labels.json``.  NAB is released under the MIT License,
    Copyright 2014-2024 Numenta Inc.; the full licence text is in
    ``data/LICENSES.md``.

    References
    ----------
    .. [1] Lavin, A. and Ahmad, S. (2015). Evaluating Real-Time Anomaly
       Detection Algorithms -- the Numenta Anomaly Benchmark. *14th IEEE
       International Conference on Machine Learning and Applications
       (ICMLA)*, 38-44.
    .. [2] Ahmad, S., Lavin, A., Purdy, S. and Agha, Z. (2017). Unsupervised
       Real-Time Anomaly Detection for Streaming Data. *Neurocomputing*,
       262, 134-147.

    Examples
    --------
    >>> from sklstm.datasets import load_nab_machine_temperature
    >>> nab = load_nab_machine_temperature()
    >>> nab.data.shape
    (22695, 1)
    >>> len(nab.windows), len(nab.anomalies)
    (4, 4)
    >>> start, end = nab.windows[0]
    >>> print(start, end)
    2013-12-10 06:25:00 2013-12-12 05:35:00
    """
    frame = _read_csv(
        "nab_machine_temperature_system_failure.csv.gz",
        dtype={"timestamp": str, "value": "float64"},
    )
    index = pd.DatetimeIndex(
        pd.to_datetime(frame["timestamp"], format="%Y-%m-%d %H:%M:%S"),
        name="timestamp",
    )
    data = pd.DataFrame({"value": frame["value"].to_numpy()}, index=index)

    labels = json.loads(
        _read_bytes("nab_machine_temperature_system_failure_labels.json")
    )
    windows = [
        (pd.Timestamp(start), pd.Timestamp(end))
        for start, end in labels["combined_windows"][_NAB_FILE_KEY]
    ]
    anomalies = [pd.Timestamp(ts) for ts in labels["combined_labels"][_NAB_FILE_KEY]]
    return Bunch(data=data, windows=windows, anomalies=anomalies, DESCR=_NAB_DESCR)

"""Quality of the default estimators on real public data, next to published numbers.

``LSTMClassifier`` and ``LSTMRegressor`` are fitted with their defaults (only
``random_state`` is passed) and scored on:

* three UCR time series classification sets, on their default train/test
  split: ItalyPowerDemand (shipped with sklstm), ArrowHead and OSULeaf
  (shipped inside the aeon wheel); the metric is test accuracy, next to
  1-NN DTW with a full warping window and LSTM-FCN;
* the airline passenger series: fit on the first 108 months (1949-01 to
  1957-12), then forecast the 36 months 1958-01 to 1960-12 from that origin,
  recursively (each one-step forecast is fed back as the newest input); the
  model is a one-step ``LSTMRegressor`` on ``make_windows(train,
  window_length=12)``; the metric is MAPE, next to seasonal naive and
  Holt-Winters on the same split.

Every score is the mean and standard deviation over several seeds, with the
mean wall time of one ``fit``. The published numbers are read from the
reference folder (``tsc_reference_accuracies.csv`` and
``forecasting_reference.csv``); where it is missing the script prints the
published values it knows, with their sources.

Environment. ArrowHead and OSULeaf are loaded with aeon, which sklstm does not
depend on: install it next to sklstm in an environment of its own, for
example::

    python -m venv benchenv
    benchenv/bin/pip install -e . aeon
    benchenv/bin/python benchmarks/quality.py

aeon ships both data sets in its wheel, so the run needs no network. Without
aeon, ``--datasets ItalyPowerDemand airline`` runs the rest.

Usage::

    python benchmarks/quality.py
    python benchmarks/quality.py --seeds 3 --airline-seeds 5
    python benchmarks/quality.py --reference path/to/reference --datasets ArrowHead
    python benchmarks/quality.py --params '{"max_epochs": 200}'

``--params`` passes the same extra parameters to both estimators, to try a
candidate default before changing it; the table then says so.
"""

import argparse
import csv
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from _common import print_markdown

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE = Path("..") / "shared" / "reference"

UCR_SETS = ("ItalyPowerDemand", "ArrowHead", "OSULeaf")
ALL_SETS = UCR_SETS + ("airline",)

# rows of the reference files that the table quotes
DTW_METHOD = "1NN-DTW full window (w=100%)"
LSTM_FCN_METHOD = "LSTM-FCN"
SEASONAL_NAIVE_PREFIX = "seasonal naive ("
HOLT_WINTERS_PREFIX = "Holt-Winters additive trend+additive season"

# Published values, used when the reference folder is missing.
# 1-NN DTW (full window), default split: UCR Time Series Archive 2018,
# DataSummary.csv (Dau et al., "The UCR Time Series Archive", 2019).
# LSTM-FCN: Karim et al., "LSTM Fully Convolutional Networks for Time Series
# Classification", IEEE Access 2018, results table of the authors' repository
# (titu1994/LSTM-FCN, Results/train_loss_old_datasets.csv).
FALLBACK_UCR = {
    "ItalyPowerDemand": {"dtw": 0.9504, "lstm_fcn": 0.9621},
    "ArrowHead": {"dtw": 0.7029, "lstm_fcn": 0.89714},
    "OSULeaf": {"dtw": 0.5909, "lstm_fcn": 0.98347},
}
FALLBACK_UCR_SOURCE = (
    "1-NN DTW: UCR Archive 2018 DataSummary.csv; "
    "LSTM-FCN: Karim et al. 2018, titu1994/LSTM-FCN results table"
)
# Airline, train 1949-01..1957-12, test 1958-01..1960-12: sktime's forecasting
# tutorial (examples/01_forecasting.ipynb): NaiveForecaster(strategy="last",
# sp=12) MAPE 0.13189; ExponentialSmoothing(trend="add", seasonal="additive",
# sp=12) MAPE 0.05114.
FALLBACK_AIRLINE = {"seasonal_naive": 0.13189, "holt_winters": 0.05114}
FALLBACK_AIRLINE_SOURCE = "sktime examples/01_forecasting.ipynb"

N_TRAIN_MONTHS = 108
HORIZON = 36
WINDOW = 12


# --- published numbers ----------------------------------------------------


def read_references(folder, shown=None):
    """Published numbers from ``folder``, or the built-in ones if it is missing.

    ``shown`` is how the folder is named in the note (default: ``folder``).

    Returns ``(ucr, airline, note)``: ``ucr[name]`` holds ``dtw`` and
    ``lstm_fcn`` accuracies, ``airline`` holds ``seasonal_naive`` and
    ``holt_winters`` MAPEs, and ``note`` says where they came from.
    """
    shown = folder if shown is None else shown
    tsc = folder / "tsc_reference_accuracies.csv"
    forecasting = folder / "forecasting_reference.csv"
    if not (tsc.is_file() and forecasting.is_file()):
        note = (
            f"reference folder {shown} not found (or incomplete): using the "
            f"published numbers built into this script ({FALLBACK_UCR_SOURCE}; "
            f"airline: {FALLBACK_AIRLINE_SOURCE})"
        )
        return FALLBACK_UCR, FALLBACK_AIRLINE, note

    ucr = {name: {} for name in UCR_SETS}
    with tsc.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["dataset"] not in ucr:
                continue
            if row["method"] == DTW_METHOD:
                ucr[row["dataset"]]["dtw"] = float(row["accuracy"])
            elif row["method"] == LSTM_FCN_METHOD:
                ucr[row["dataset"]]["lstm_fcn"] = float(row["accuracy"])
    airline = {}
    with forecasting.open(newline="", encoding="utf-8") as f:
        protocol = ""
        for row in csv.DictReader(f):
            # a protocol of "same" repeats the one of the row above
            if row["protocol"] != "same":
                protocol = row["protocol"]
            if row["series"] != "airline" or "(108)" not in protocol:
                continue
            if row["method"].startswith(SEASONAL_NAIVE_PREFIX):
                airline["seasonal_naive"] = float(row["MAPE"])
            elif row["method"].startswith(HOLT_WINTERS_PREFIX):
                airline["holt_winters"] = float(row["MAPE"])
    # fill anything the files lack from the built-in values
    for name, values in FALLBACK_UCR.items():
        for key, value in values.items():
            ucr[name].setdefault(key, value)
    for key, value in FALLBACK_AIRLINE.items():
        airline.setdefault(key, value)
    return ucr, airline, f"published numbers read from {shown}"


# --- data -------------------------------------------------------------------


def load_ucr(name):
    """``(X_train, y_train, X_test, y_test)`` of a UCR set, default split.

    ``X`` is laid out ``(n_samples, n_timesteps, 1)``.
    """
    if name == "ItalyPowerDemand":
        from sklstm.datasets import load_italy_power_demand

        X_train, y_train = load_italy_power_demand(split="train", return_X_y=True)
        X_test, y_test = load_italy_power_demand(split="test", return_X_y=True)
        return X_train[..., None], y_train, X_test[..., None], y_test
    from aeon.datasets import load_classification

    X_train, y_train = load_classification(name, split="train")
    X_test, y_test = load_classification(name, split="test")
    # aeon lays collections out (n_cases, n_channels, n_timepoints)
    return (
        np.ascontiguousarray(X_train.transpose(0, 2, 1)),
        np.asarray(y_train),
        np.ascontiguousarray(X_test.transpose(0, 2, 1)),
        np.asarray(y_test),
    )


def check_aeon(datasets):
    """Exit with instructions if a requested data set needs aeon and it is missing."""
    needs = [name for name in datasets if name in ("ArrowHead", "OSULeaf")]
    if not needs:
        return
    try:
        import aeon  # noqa: F401
    except ImportError:
        raise SystemExit(
            f"{' and '.join(needs)} are loaded with aeon, which is not installed "
            "in this environment. Install it next to sklstm in a separate "
            "environment (pip install aeon; see the top of this script), or "
            "run without them: --datasets ItalyPowerDemand airline"
        ) from None


# --- runs -------------------------------------------------------------------


def run_ucr(name, seeds, params):
    """Test accuracies and fit times of ``LSTMClassifier`` over ``seeds``."""
    from sklstm import LSTMClassifier

    X_train, y_train, X_test, y_test = load_ucr(name)
    scores, times = [], []
    for seed in seeds:
        clf = LSTMClassifier(random_state=seed, **params)
        start = time.perf_counter()
        clf.fit(X_train, y_train)
        times.append(time.perf_counter() - start)
        scores.append(float(clf.score(X_test, y_test)))
        print(f"  {name} seed {seed}: accuracy {scores[-1]:.4f}, fit {times[-1]:.1f} s",
              flush=True)
    return scores, times


def forecast_recursive(model, history, horizon, window):
    """``horizon`` one-step forecasts, each fed back as the newest input."""
    values = list(history[-window:])
    forecast = []
    for _ in range(horizon):
        x = np.asarray(values[-window:], dtype=np.float64).reshape(1, window, 1)
        step = float(np.ravel(model.predict(x))[0])
        forecast.append(step)
        values.append(step)
    return np.asarray(forecast)


def mape(y_true, y_pred):
    """Mean absolute percentage error as a fraction (sktime's definition)."""
    return float(np.mean(np.abs(y_true - y_pred) / np.abs(y_true)))


def run_airline(seeds, params):
    """MAPEs and fit times of the recursive ``LSTMRegressor`` forecast."""
    from sklstm import LSTMRegressor, make_windows
    from sklstm.datasets import load_airline

    series = np.asarray(load_airline(), dtype=np.float64).ravel()
    train, test = series[:N_TRAIN_MONTHS], series[N_TRAIN_MONTHS:]
    assert len(test) == HORIZON
    X, y = make_windows(train, window_length=WINDOW)
    scores, times = [], []
    for seed in seeds:
        reg = LSTMRegressor(random_state=seed, **params)
        start = time.perf_counter()
        reg.fit(X, y)
        times.append(time.perf_counter() - start)
        scores.append(mape(test, forecast_recursive(reg, train, HORIZON, WINDOW)))
        print(f"  airline seed {seed}: MAPE {scores[-1]:.4f}, fit {times[-1]:.1f} s",
              flush=True)
    return scores, times


# --- report -----------------------------------------------------------------


def verdict(score, published, name, higher_is_better=True):
    """``"beats name"``, ``"does not beat name"`` or ``"matches name"``.

    A score equal to the published one at three decimals (the precision of
    the table) matches it.
    """
    if round(score, 3) == round(published, 3):
        return f"matches {name}"
    better = score > published if higher_is_better else score < published
    return f"{'beats' if better else 'does not beat'} {name}"


def mean_std(values):
    """Mean and population standard deviation."""
    return statistics.fmean(values), statistics.pstdev(values)




def measured_defaults(params):
    """The training-relevant parameter values the run actually used."""
    from sklstm import LSTMClassifier

    keys = (
        "hidden_size", "num_layers", "cell", "bidirectional", "dropout",
        "conv_channels", "conv_kernel_size", "max_epochs", "batch_size", "lr",
        "optimizer", "weight_decay", "early_stopping", "lr_schedule",
        "scale_inputs",
    )
    values = LSTMClassifier(**params).get_params()
    return ", ".join(f"{k}={values[k]!r}" for k in keys if k in values)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--reference", type=Path, default=None,
        help="folder of the published reference numbers "
             "(default: ../shared/reference relative to the repository root)",
    )
    parser.add_argument(
        "--datasets", nargs="+", choices=ALL_SETS, default=list(ALL_SETS)
    )
    parser.add_argument("--seeds", type=int, default=3, help="seeds per UCR set")
    parser.add_argument(
        "--airline-seeds", type=int, default=5, help="seeds for airline"
    )
    parser.add_argument(
        "--params", type=json.loads, default={},
        help="JSON dict of extra parameters for both estimators (default: none, "
             "i.e. the defaults)",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    args = parser.parse_args(argv)

    check_aeon(args.datasets)
    torch.set_num_threads(args.threads)
    if args.reference is None:
        reference = ROOT / DEFAULT_REFERENCE
        shown = f"{DEFAULT_REFERENCE.as_posix()} (relative to the repository root)"
    else:
        reference = shown = args.reference
    ucr_ref, airline_ref, note = read_references(reference, shown)

    import sklstm

    print(f"# sklstm {sklstm.__version__}, torch {torch.__version__}, "
          f"{platform.machine()}, threads={torch.get_num_threads()}")
    print(f"# {note}")
    label = "defaults" if not args.params else f"defaults + {args.params}"
    print(f"# estimator parameters: {label}: {measured_defaults(args.params)}")

    rows, verdicts = [], []
    for name in args.datasets:
        if name == "airline":
            seeds = list(range(args.airline_seeds))
            scores, times = run_airline(seeds, args.params)
            m, s = mean_std(scores)
            naive, hw = airline_ref["seasonal_naive"], airline_ref["holt_winters"]
            rows.append([
                "airline (108 train, 36 ahead)", "MAPE (lower is better)",
                f"{m:.3f} ± {s:.3f} (n={len(seeds)})",
                f"{statistics.fmean(times):.1f} s", "-", "-",
                f"{naive:.3f}", f"{hw:.3f}",
            ])
            verdicts.append(
                f"airline: {verdict(m, naive, 'seasonal naive', False)}, "
                f"{verdict(m, hw, 'Holt-Winters', False)}"
            )
        else:
            seeds = list(range(args.seeds))
            scores, times = run_ucr(name, seeds, args.params)
            m, s = mean_std(scores)
            dtw, fcn = ucr_ref[name]["dtw"], ucr_ref[name]["lstm_fcn"]
            rows.append([
                name, "accuracy", f"{m:.3f} ± {s:.3f} (n={len(seeds)})",
                f"{statistics.fmean(times):.1f} s", f"{dtw:.3f}", f"{fcn:.3f}",
                "-", "-",
            ])
            verdicts.append(
                f"{name}: {verdict(m, dtw, '1-NN DTW')}, {verdict(m, fcn, 'LSTM-FCN')}"
            )

    print()
    print_markdown(
        ["data set", "metric", "sklstm (mean ± std)", "fit time", "1-NN DTW",
         "LSTM-FCN", "seasonal naive", "Holt-Winters"],
        rows,
    )
    print()
    print("Summary: " + "; ".join(verdicts) + ".")


if __name__ == "__main__":
    main()

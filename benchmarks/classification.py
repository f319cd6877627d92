"""Classification and series regression on the data sets bundled in aeon and pyts.

Compares, on each set's default train/test split:

* ``LSTMClassifier`` / ``LSTMRegressor`` with their defaults (``default``);
* the LSTM-FCN configuration (``fcn``): the branch
  ``fcn_channels=(128, 256, 128)`` with kernel sizes (8, 5, 3) next to a
  small one-direction LSTM (``hidden_size=8, bidirectional=False,
  conv_channels=None``), other parameters at their defaults;
* MiniRocket (aeon, 10,000 features, ridge) and 1-NN DTW with a full
  window (aeon), fitted in the same run;
* LSTM-FCN's published accuracy (Karim et al., IEEE Access 2018; the
  authors' table, ``lstmfcn_ucr85_train_loss_selection.csv`` in the
  reference folder), where it is published.

Classification is scored by test accuracy, regression by test RMSE (with
the RMSE of predicting the training mean beside it). The sklstm models and
MiniRocket run once per seed; 1-NN DTW is deterministic and runs once.
Each fit runs with one torch (and numba) thread.

GunPoint, BasicMotions, JapaneseVowels and PickupGestureWiimoteZ are left
out on purpose: they are kept aside for an independent check of the
defaults.

Every result is appended to a JSON-lines file as soon as it is measured
(``--out``), so a run cut short keeps what it finished; ``--report`` prints
the table from one or more such files without fitting anything.

Environment: aeon and pyts, which sklstm does not depend on::

    pip install aeon pyts
    python benchmarks/classification.py --seeds 0 1 2 --out results.jsonl
    python benchmarks/classification.py --methods fcn --seeds 0 --out fcn.jsonl
    python benchmarks/classification.py --report results.jsonl fcn.jsonl

Both wheels ship these data sets, so the run needs no network.
"""

import argparse
import csv
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np
import torch

from _common import print_markdown

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE = ROOT / ".." / "shared" / "reference"

#: name -> (task, source); ordered from cheap to expensive
DATASETS = {
    "UnitTest": ("classification", "aeon"),
    "ItalyPowerDemand": ("classification", "aeon"),
    "CardanoSentiment": ("regression", "aeon"),
    "Coffee": ("classification", "pyts"),
    "ArrowHead": ("classification", "aeon"),
    "Covid3Month_disc": ("classification", "aeon"),
    "Covid3Month": ("regression", "aeon"),
    "OSULeaf": ("classification", "aeon"),
    "ACSF1": ("classification", "aeon"),
    "PigCVP": ("classification", "pyts"),
}
HELD_OUT = {"GunPoint", "BasicMotions", "JapaneseVowels", "PickupGestureWiimoteZ"}
assert not HELD_OUT & set(DATASETS)

# the LSTM-FCN configuration: the three blocks of Karim et al. next to a
# small one-direction LSTM (8 cells) reading the scaled input directly
FCN = {
    "fcn_channels": (128, 256, 128),
    "fcn_kernel_sizes": (8, 5, 3),
    "hidden_size": 8,
    "bidirectional": False,
    "conv_channels": None,
}
METHODS = ("default", "fcn", "minirocket", "dtw")
# name of each set in the LSTM-FCN table
LSTM_FCN_NAMES = {"PigCVP": "PigCVP"}


def load(name):
    """``(X_train, y_train, X_test, y_test)``, ``X`` laid out (n, steps, features)."""
    task, source = DATASETS[name]
    if source == "pyts":
        from pyts.datasets import load_coffee, load_pig_central_venous_pressure

        loader = {"Coffee": load_coffee, "PigCVP": load_pig_central_venous_pressure}
        d = loader[name]()
        return (
            np.asarray(d.data_train, dtype=np.float64)[..., None],
            np.asarray(d.target_train),
            np.asarray(d.data_test, dtype=np.float64)[..., None],
            np.asarray(d.target_test),
        )
    from aeon.datasets import load_classification, load_regression

    loader = load_classification if task == "classification" else load_regression
    X_train, y_train = loader(name, split="train")
    X_test, y_test = loader(name, split="test")
    return (
        np.ascontiguousarray(np.transpose(X_train, (0, 2, 1))),
        np.asarray(y_train),
        np.ascontiguousarray(np.transpose(X_test, (0, 2, 1))),
        np.asarray(y_test),
    )


def make_model(method, task, seed):
    if method in ("default", "fcn"):
        from sklstm import LSTMClassifier, LSTMRegressor

        cls = LSTMClassifier if task == "classification" else LSTMRegressor
        return cls(random_state=seed, n_jobs=1, **(FCN if method == "fcn" else {}))
    if method == "minirocket":
        if task == "classification":
            from aeon.classification.convolution_based import MiniRocketClassifier

            return MiniRocketClassifier(random_state=seed, n_jobs=1)
        from aeon.regression.convolution_based import MiniRocketRegressor

        return MiniRocketRegressor(random_state=seed, n_jobs=1)
    if task == "classification":
        from aeon.classification.distance_based import KNeighborsTimeSeriesClassifier

        return KNeighborsTimeSeriesClassifier(n_neighbors=1, distance="dtw", n_jobs=1)
    from aeon.regression.distance_based import KNeighborsTimeSeriesRegressor

    return KNeighborsTimeSeriesRegressor(n_neighbors=1, distance="dtw", n_jobs=1)


def score(task, y_true, y_pred):
    if task == "classification":
        return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))
    diff = np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)
    return float(np.sqrt(np.mean(diff**2)))


def warm_up(methods):
    """Compile aeon's numba kernels once, so that no fit time includes it."""
    X_train, y_train, X_test, _ = load("UnitTest")
    for method in methods:
        if method in ("minirocket", "dtw"):
            for task in ("classification", "regression"):
                y = (
                    y_train
                    if task == "classification"
                    else np.arange(len(y_train), dtype=float)
                )
                model = make_model(method, task, 0).fit(X_train.transpose(0, 2, 1), y)
                model.predict(X_test.transpose(0, 2, 1))


def run(datasets, methods, seeds, out):
    torch.set_num_threads(1)
    warm_up(methods)
    for seed in seeds:
        for name in datasets:
            task = DATASETS[name][0]
            X_train, y_train, X_test, y_test = load(name)
            for method in methods:
                if method == "dtw" and seed != seeds[0]:
                    continue  # deterministic
                model = make_model(method, task, seed)
                # aeon takes (n, channels, steps)
                aeon = method in ("minirocket", "dtw")
                Xa, Xb = (
                    (X_train.transpose(0, 2, 1), X_test.transpose(0, 2, 1))
                    if aeon
                    else (X_train, X_test)
                )
                ya = y_train.astype(float) if task == "regression" else y_train
                start = time.perf_counter()
                model.fit(Xa, ya)
                fit_s = time.perf_counter() - start
                start = time.perf_counter()
                y_pred = model.predict(Xb)
                predict_s = time.perf_counter() - start
                value = score(task, y_test, y_pred)
                row = {
                    "dataset": name,
                    "task": task,
                    "method": method,
                    "seed": int(seed),
                    "score": value,
                    "fit_s": fit_s,
                    "predict_s": predict_s,
                }
                if method in ("default", "fcn"):
                    row["n_iter"] = int(model.n_iter_)
                print(json.dumps(row), flush=True)
                with open(out, "a", encoding="utf-8") as f:
                    f.write(json.dumps(row) + "\n")


# --- report -----------------------------------------------------------------


def published_lstm_fcn(folder):
    path = Path(folder) / "lstmfcn_ucr85_train_loss_selection.csv"
    values = {}
    if path.is_file():
        with path.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                values[row["Dataset"]] = float(row["LSTM-FCN"])
    return values


def mean_std(values):
    return statistics.fmean(values), (
        statistics.pstdev(values) if len(values) > 1 else 0.0
    )


def report(files, reference):
    rows = []
    for path in files:
        if not Path(path).is_file():
            print(f"(no results yet in {path})")
            continue
        with open(path, encoding="utf-8") as f:
            rows += [json.loads(line) for line in f if line.strip()]
    # a rerun of the same (set, method, seed) replaces the earlier result
    rows = list({(r["dataset"], r["method"], r["seed"]): r for r in rows}.values())
    published = published_lstm_fcn(reference)
    cell = {}
    for r in rows:
        cell.setdefault((r["dataset"], r["method"]), []).append(r)
    names = [n for n in DATASETS if any(k[0] == n for k in cell)]
    # variants measured with --fcn-params and renamed in the file come last
    shown = list(METHODS) + sorted({r["method"] for r in rows} - set(METHODS))
    header = ["data set", "metric"]
    for m in shown:
        header += [m, "fit s"]
    header += ["LSTM-FCN (published)"]
    lines = []
    means = {}
    for name in names:
        task = DATASETS[name][0]
        line = [name, "accuracy" if task == "classification" else "RMSE"]
        for m in shown:
            got = cell.get((name, m), [])
            if not got:
                line += ["-", "-"]
                continue
            mu, sd = mean_std([r["score"] for r in got])
            means[name, m] = mu
            line += [
                f"{mu:.3f} ± {sd:.3f} ({len(got)})"
                if len(got) > 1
                else f"{mu:.3f} (1)",
                f"{statistics.fmean(r['fit_s'] + (r['predict_s'] if m == 'dtw' else 0) for r in got):.1f}",
            ]
        pub = published.get(LSTM_FCN_NAMES.get(name, name))
        line.append(
            f"{pub:.3f}" if pub is not None and task == "classification" else "-"
        )
        if pub is not None:
            means[name, "lstm_fcn"] = pub
        lines.append(line)
    print_markdown(header, lines)
    print()
    # win counts: each sklstm variant against each other method, on the sets
    # where both were measured (ties count half)
    for ours in ("default", "fcn"):
        parts = []
        for other in [m for m in METHODS if m != ours] + ["lstm_fcn"]:
            wins = ties = n = 0
            for name in names:
                if (name, ours) not in means or (name, other) not in means:
                    continue
                if other == "lstm_fcn" and DATASETS[name][0] != "classification":
                    continue
                a, b = means[name, ours], means[name, other]
                if DATASETS[name][0] == "regression":
                    a, b = -a, -b
                n += 1
                if round(a, 3) == round(b, 3):
                    ties += 1
                elif a > b:
                    wins += 1
            if n:
                parts.append(f"vs {other}: {wins} wins, {ties} ties of {n}")
        print(f"- {ours}: " + "; ".join(parts))
    common = [
        n
        for n in names
        if DATASETS[n][0] == "classification" and all((n, m) in means for m in METHODS)
    ]
    if common:
        print(
            f"- mean accuracy over the {len(common)} classification sets every "
            "method finished ("
            + ", ".join(common)
            + "): "
            + "; ".join(
                f"{m} {statistics.fmean(means[n, m] for n in common):.3f}"
                for m in METHODS
            )
        )




def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS)
    )
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--out", default="classification_results.jsonl")
    parser.add_argument(
        "--report",
        nargs="+",
        default=None,
        metavar="JSONL",
        help="print the table from these result files and exit",
    )
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument(
        "--fcn-params",
        default=None,
        metavar="JSON",
        help="extra parameters of the fcn variant, to try a candidate",
    )
    args = parser.parse_args(argv)
    if args.fcn_params:
        FCN.update(json.loads(args.fcn_params))
        print(f"fcn variant: {FCN}", flush=True)
    if args.report:
        report(args.report, args.reference)
        return
    run(args.datasets, args.methods, args.seeds, args.out)


if __name__ == "__main__":
    main()

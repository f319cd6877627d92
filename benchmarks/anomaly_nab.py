"""LSTMAnomalyDetector on the NAB realKnownCause series, with NAB's scoring.

Runs the detector on the seven series of the Numenta Anomaly Benchmark's
``realKnownCause`` folder and scores its detections with NAB's standard
profile (``_nab_scoring.py``: our implementation of the rules of Lavin &
Ahmad, 2015). Every series is cut into one window per row
(``SlidingWindowTransformer``) and the detector is fitted on the windows of
the first 15 % of the rows, NAB's probationary fraction. (NAB's scorer caps
the unscored probationary period at 750 rows, so on the longer files some
scored rows lie in that training data; ``--strict-probation`` fits on the
capped period instead, so that no scored row is ever trained on.) Then:

* ``static``: the fitted detector scores every row.
* ``online``: the series is scored in chunks of 5 % of its rows, in time
  order; after each chunk the detector is fitted again (``warm_start=True``,
  5 epochs) on the most recent 15 % of the rows seen so far, which also
  refits the error distribution and the threshold. After the first 15 %,
  each row is scored by a model fitted on earlier rows only, as NAB's
  streaming detectors are.

A row is flagged when its score falls below the detector's own threshold
(``contamination="auto"``) and the previous row's did not (an upward crossing
of the distance), and at most one flag is raised per ``--suppress-hours``
(24 h by default): NAB counts only the first detection in each window as a
true positive and every detection outside the windows as a false positive.
No label is used by the detector, its threshold or the post-processing.

The same windows (flattened) go through an ``IsolationForest`` baseline with
its own ``contamination="auto"`` threshold and the same post-processing. The
published NAB detectors, re-scored on the same seven files, are read from
``nab_realKnownCause_subset_scores.csv``.

Usage::

    python benchmarks/anomaly_nab.py                       # NAB at ../shared/data/nab
    python benchmarks/anomaly_nab.py path/to/NAB --seed 1
    python benchmarks/anomaly_nab.py --methods reconstruction --modes online
    python benchmarks/anomaly_nab.py --strict-probation
"""

import argparse
import csv
import os
import time

import numpy as np
import pandas as pd
import torch
from sklearn.ensemble import IsolationForest

from _nab_scoring import (
    load_nab_file,
    load_profile,
    nab_score,
    normalised_score,
    probationary_length,
)

from sklstm import LSTMAnomalyDetector, SlidingWindowTransformer

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = [
    "realKnownCause/ambient_temperature_system_failure.csv",
    "realKnownCause/cpu_utilization_asg_misconfiguration.csv",
    "realKnownCause/ec2_request_latency_system_failure.csv",
    "realKnownCause/machine_temperature_system_failure.csv",
    "realKnownCause/nyc_taxi.csv",
    "realKnownCause/rogue_agent_key_hold.csv",
    "realKnownCause/rogue_agent_key_updown.csv",
]
PUBLISHED = ["ARTime", "numenta", "randomCutForest", "windowedGaussian"]
TRAIN_FRACTION = 0.15  # NAB's probationary fraction
STEP_FRACTION = 0.05  # online: rows scored between two refits
REFIT_EPOCHS = 5  # online: epochs of each warm-start refit


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "nab_dir",
        nargs="?",
        default=os.path.join(REPO, "..", "shared", "data", "nab"),
        help="NAB folder holding realKnownCause/ and labels/",
    )
    parser.add_argument(
        "--reference",
        default=os.path.join(
            REPO, "..", "shared", "reference", "nab_realKnownCause_subset_scores.csv"
        ),
        help="CSV of published detectors re-scored on the seven files",
    )
    parser.add_argument("--methods", nargs="+", default=["forecast", "reconstruction"])
    parser.add_argument("--modes", nargs="+", default=["static", "online"])
    parser.add_argument("--window", type=int, default=32, help="window length (rows)")
    parser.add_argument("--suppress-hours", type=float, default=24.0)
    parser.add_argument(
        "--strict-probation",
        action="store_true",
        help="fit on NAB's probationary period as its scorer counts it, "
        "min(15 %% of the rows, 750), so that no scored row is ever trained on",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    return parser.parse_args()


def detector(method, seed):
    """The LSTM detector, with settings fixed before looking at any score."""
    return LSTMAnomalyDetector(
        method=method,
        hidden_size=32,
        max_epochs=30,
        batch_size=64,
        lr=3e-3,
        random_state=seed,
    )


def run_lstm(windows, n_train, span, method, mode, seed):
    """Scores and thresholds for every row, and the total fit time."""
    n = len(windows)
    det = detector(method, seed)
    start = time.perf_counter()
    det.fit(windows[:n_train])
    fit_time = time.perf_counter() - start
    scores = np.empty(n)
    offsets = np.empty(n)
    if mode == "static":
        scores[:] = det.score_samples(windows)
        offsets[:] = det.offset_
        return scores, offsets, fit_time
    scores[:n_train] = det.score_samples(windows[:n_train])
    offsets[:n_train] = det.offset_
    det.set_params(warm_start=True, max_epochs=REFIT_EPOCHS)
    step = int(STEP_FRACTION * n)
    for a in range(n_train, n, step):
        b = min(n, a + step)
        scores[a:b] = det.score_samples(windows[a:b])
        offsets[a:b] = det.offset_
        if b < n:
            start = time.perf_counter()
            det.fit(windows[max(0, b - span) : b])
            fit_time += time.perf_counter() - start
    return scores, offsets, fit_time


def run_iforest(windows, n_train, span, mode, seed):
    """The same protocol with an IsolationForest on the flattened windows."""
    flat = windows.reshape(len(windows), -1)
    n = len(flat)

    def fit(rows):
        return IsolationForest(random_state=seed).fit(rows)

    start = time.perf_counter()
    forest = fit(flat[:n_train])
    fit_time = time.perf_counter() - start
    scores = np.empty(n)
    offsets = np.empty(n)
    if mode == "static":
        return forest.score_samples(flat), np.full(n, forest.offset_), fit_time
    scores[:n_train] = forest.score_samples(flat[:n_train])
    offsets[:n_train] = forest.offset_
    step = int(STEP_FRACTION * n)
    for a in range(n_train, n, step):
        b = min(n, a + step)
        scores[a:b] = forest.score_samples(flat[a:b])
        offsets[a:b] = forest.offset_
        if b < n:
            start = time.perf_counter()
            forest = fit(flat[max(0, b - span) : b])
            fit_time += time.perf_counter() - start
    return scores, offsets, fit_time


def detections(scores, offsets, suppress_rows):
    """Flag upward crossings of the threshold, at most one per suppress_rows."""
    below = scores < offsets
    crossing = below & ~np.r_[False, below[:-1]]
    flags = np.zeros(len(scores), dtype=bool)
    last = -suppress_rows
    for i in np.flatnonzero(crossing):
        if i - last >= suppress_rows:
            flags[i] = True
            last = i
    return flags


def suppress_rows(timestamps, hours):
    step = pd.Series(timestamps).diff().median()
    return max(1, int(pd.Timedelta(hours=hours) / step))


def read_reference(path):
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return {row["detector"]: float(row["standard"]) for row in csv.DictReader(f)}


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    costs = load_profile(args.nab_dir, "standard")
    data = {rel: load_nab_file(args.nab_dir, rel) for rel in FILES}
    print(
        f"# NAB realKnownCause, {len(FILES)} files, standard profile {costs}; "
        f"window={args.window}, seed={args.seed}, suppress={args.suppress_hours:g} h, "
        f"fit on {'NAB probation' if args.strict_probation else 'first 15 %'}, "
        f"torch threads={torch.get_num_threads()}"
    )

    # sanity check of the scorer: a perfect detector scores 100, the null one 0
    perfect, null = [], []
    for rel, (frame, windows) in data.items():
        stamps = frame["timestamp"]
        first = np.zeros(len(frame), dtype=bool)
        for a, _ in windows:
            first[np.flatnonzero(stamps == a)[0]] = True
        perfect.append(nab_score(stamps, first, windows, costs))
        null.append(nab_score(stamps, np.zeros(len(frame), dtype=bool), windows, costs))
    print(
        f"# scorer check: perfect detector {normalised_score(perfect):.1f}, "
        f"null detector {normalised_score(null):.1f}"
    )

    configs = [
        ("LSTMAnomalyDetector", method, mode)
        for method in args.methods
        for mode in args.modes
    ]
    configs += [("IsolationForest", None, mode) for mode in args.modes]
    results = {}
    for name, method, mode in configs:
        per_file, total_fit = {}, 0.0
        for rel, (frame, windows) in data.items():
            values = frame[["value"]].to_numpy(dtype=np.float64)
            windower = SlidingWindowTransformer(window_length=args.window)
            win = windower.fit_transform(values)
            span = int(TRAIN_FRACTION * len(values))
            n_train = span
            if args.strict_probation:
                n_train = probationary_length(len(values))
            if name == "IsolationForest":
                scores, offsets, fit_time = run_iforest(
                    win, n_train, span, mode, args.seed
                )
            else:
                scores, offsets, fit_time = run_lstm(
                    win, n_train, span, method, mode, args.seed
                )
            per_file[rel] = (scores, offsets)
            total_fit += fit_time
        label = f"{name} ({method}, {mode})" if method else f"{name} ({mode})"
        results[label] = (per_file, total_fit)
        print(f"# done: {label}, fit {total_fit:.1f} s", flush=True)

    def evaluate(per_file, hours):
        out = []
        for rel, (frame, windows) in data.items():
            scores, offsets = per_file[rel]
            rows = suppress_rows(frame["timestamp"], hours)
            flags = detections(scores, offsets, rows)
            out.append(nab_score(frame["timestamp"], flags, windows, costs))
        return out

    print()
    print(f"{'detector':48s} {'NAB std':>8s} {'TP':>4s} {'FP':>4s} {'FN':>4s}", end="")
    print(f" {'fit s':>7s}")
    rows = []
    for label, (per_file, fit_time) in results.items():
        out = evaluate(per_file, args.suppress_hours)
        tp, fp, fn = (sum(r[k] for r in out) for k in ("tp", "fp", "fn"))
        rows.append((normalised_score(out), label, tp, fp, fn, f"{fit_time:7.1f}"))
    reference = read_reference(args.reference)
    for name in PUBLISHED:
        if name in reference:
            label = f"{name} (published, re-scored)"
            rows.append((reference[name], label, "", "", "", ""))
    for score, label, tp, fp, fn, fit in sorted(rows, key=lambda r: -r[0]):
        print(f"{label:48s} {score:8.1f} {tp!s:>4s} {fp!s:>4s} {fn!s:>4s} {fit:>7s}")

    print()
    print("NAB standard score by suppression period (hours):")
    hours = [12.0, 24.0, 48.0]
    print(f"{'detector':48s} " + " ".join(f"{h:>6g}" for h in hours))
    for label, (per_file, _) in results.items():
        line = " ".join(
            f"{normalised_score(evaluate(per_file, h)):6.1f}" for h in hours
        )
        print(f"{label:48s} {line}")

    print()
    print(
        "Raw NAB score per file (standard profile; null = -windows, "
        "perfect = +windows):"
    )
    labels = list(results)
    print(f"{'file':40s} " + " ".join(f"{i:>6d}" for i in range(len(labels))))
    per_label = {lab: evaluate(results[lab][0], args.suppress_hours) for lab in labels}
    for k, rel in enumerate(FILES):
        name = rel.split("/")[1].replace(".csv", "")[:40]
        cells = " ".join(f"{per_label[lab][k]['score']:6.2f}" for lab in labels)
        print(f"{name:40s} {cells}")
    for i, lab in enumerate(labels):
        print(f"  {i}: {lab}")


if __name__ == "__main__":
    main()

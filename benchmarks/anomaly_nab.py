"""LSTMAnomalyDetector on NAB series (realKnownCause by default), with NAB's scoring.

Runs the detector on the series of the Numenta Anomaly Benchmark's
``realKnownCause`` folder (or of the folders given by ``--categories``,
``all`` for the 58 series of the corpus) and scores its detections with
NAB's three profiles, standard, reward_low_FP_rate and reward_low_FN_rate
(``_nab_scoring.py``: our implementation of the rules of Lavin & Ahmad,
2015; the weights are checked against NAB's ``labels/profiles.json``),
each normalised over the files run. With several categories it also
reports the realKnownCause files (where the configuration was chosen) and
the others apart, and false positives per series for each category; on the
full corpus it prints NAB's published full-corpus scores beside ours. Every
series is cut into one window per row
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
published NAB detectors, re-scored on the seven realKnownCause files, are
read from ``nab_realKnownCause_subset_scores.csv``, and their full-corpus
scores from ``nab_final_results_full_corpus.json``.

``--smoothing h`` compares a causal EWMA of the distance (half-life ``h``
rows) with the threshold instead of the distance; a table compares the
half-lives 0, 2, 4, 8 and 16. ``--save-scores FILE`` keeps every row's score
and threshold, and ``--from-scores FILE`` evaluates them again without
refitting.

Usage::

    python benchmarks/anomaly_nab.py                       # NAB at ../shared/data/nab
    python benchmarks/anomaly_nab.py path/to/NAB --seed 1
    python benchmarks/anomaly_nab.py --methods reconstruction --modes online
    python benchmarks/anomaly_nab.py --strict-probation
    python benchmarks/anomaly_nab.py --categories all --methods reconstruction \
        --modes online static --save-scores full.pkl
    python benchmarks/anomaly_nab.py --categories all --from-scores full.pkl --smoothing 8
"""

import argparse
import csv
import json
import os
import pickle
import time

import numpy as np
import pandas as pd
import torch
from _nab_scoring import (
    load_nab_file,
    load_profile,
    nab_score,
    normalised_score,
    probationary_length,
)
from sklearn.ensemble import IsolationForest

from sklstm import LSTMAnomalyDetector, SlidingWindowTransformer

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CATEGORIES = [
    "artificialNoAnomaly",
    "artificialWithAnomaly",
    "realAWSCloudwatch",
    "realAdExchange",
    "realKnownCause",
    "realTraffic",
    "realTweets",
]
# NAB's three application profiles (labels/profiles.json of the NAB repository;
# Lavin & Ahmad, 2015, Section "Scoring": the standard profile, one that
# doubles the false-positive weight and one that doubles the false-negative
# weight). The weights are read from profiles.json and checked against these.
PROFILES = {
    "standard": {"tpWeight": 1.0, "fpWeight": 0.11, "fnWeight": 1.0},
    "reward_low_FP_rate": {"tpWeight": 1.0, "fpWeight": 0.22, "fnWeight": 1.0},
    "reward_low_FN_rate": {"tpWeight": 1.0, "fpWeight": 0.11, "fnWeight": 2.0},
}
PROFILE_SHORT = {"standard": "std", "reward_low_FP_rate": "lowFP", "reward_low_FN_rate": "lowFN"}
PUBLISHED = ["ARTime", "numenta", "randomCutForest", "windowedGaussian"]
# half-lives (rows) of the distance smoothing compared in the report
SMOOTHING = [0, 2, 4, 8, 16]
TRAIN_FRACTION = 0.15  # NAB's probationary fraction
STEP_FRACTION = 0.05  # online: rows scored between two refits
REFIT_EPOCHS = 5  # online: epochs of each warm-start refit


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "nab_dir",
        nargs="?",
        default=os.path.join(REPO, "..", "shared", "data", "nab"),
        help="NAB folder holding the category folders and labels/",
    )
    parser.add_argument(
        "--categories",
        nargs="+",
        default=["realKnownCause"],
        help="NAB category folders to run, or 'all' for the whole corpus "
        f"({', '.join(CATEGORIES)})",
    )
    parser.add_argument(
        "--reference",
        default=os.path.join(
            REPO, "..", "shared", "reference", "nab_realKnownCause_subset_scores.csv"
        ),
        help="CSV of published detectors re-scored on the seven files",
    )
    parser.add_argument(
        "--full-reference",
        default=os.path.join(
            REPO, "..", "shared", "reference", "nab_final_results_full_corpus.json"
        ),
        help="JSON of the published full-corpus scores (NAB's final_results.json)",
    )
    parser.add_argument("--methods", nargs="*", default=["forecast", "reconstruction"])
    parser.add_argument("--modes", nargs="+", default=["static", "online"])
    parser.add_argument(
        "--no-iforest", action="store_true", help="skip the IsolationForest baseline"
    )
    parser.add_argument("--window", type=int, default=32, help="window length (rows)")
    parser.add_argument("--suppress-hours", type=float, default=24.0)
    parser.add_argument(
        "--smoothing",
        type=float,
        default=0.0,
        help="half-life in rows of a causal EWMA of the distance before it is "
        "compared with the threshold (0: none, the default)",
    )
    parser.add_argument(
        "--strict-probation",
        action="store_true",
        help="fit on NAB's probationary period as its scorer counts it, "
        "min(15 %% of the rows, 750), so that no scored row is ever trained on",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--save-scores",
        metavar="FILE",
        help="write every row's score and threshold to FILE (a pickle, "
        "updated after each series) for --from-scores",
    )
    parser.add_argument(
        "--from-scores",
        metavar="FILE",
        nargs="+",
        help="skip the fits: evaluate the scores saved by --save-scores "
        "(several files: their configurations together)",
    )
    return parser.parse_args()


def select_files(nab_dir, categories):
    """Relative paths of the NAB series of the given categories, sorted."""
    if categories == ["all"]:
        categories = CATEGORIES
    unknown = sorted(set(categories) - set(CATEGORIES))
    if unknown:
        raise SystemExit(f"unknown NAB categories {unknown}; known: {CATEGORIES}")
    with open(os.path.join(nab_dir, "labels", "combined_windows.json")) as f:
        labelled = json.load(f)
    return sorted(rel for rel in labelled if rel.split("/")[0] in categories)


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


def smoothed(scores, halflife):
    """Causal EWMA of the distance (minus the score), as a score again.

    ``halflife`` in rows; 0 leaves the scores as they are. Each row's value
    depends on that row and the rows before it only, so it can be computed
    as the points arrive.
    """
    if not halflife:
        return scores
    distance = pd.Series(-np.asarray(scores, dtype=np.float64))
    return -distance.ewm(halflife=halflife, adjust=False).mean().to_numpy()


def detections(scores, offsets, suppress_rows, halflife=0):
    """Flag upward crossings of the threshold, at most one per suppress_rows.

    With ``halflife`` the distance is first smoothed (``smoothed``) and the
    smoothed distance is compared with the same threshold: a lone high row
    then raises no alarm, a sustained rise still does.
    """
    below = smoothed(scores, halflife) < offsets
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


def read_full_reference(path):
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def read_subset_reference(path):
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return {
            row["detector"]: {p: float(row[p]) for p in PROFILES}
            for row in csv.DictReader(f)
        }


def configurations(args):
    configs = [
        ("LSTMAnomalyDetector", method, mode)
        for method in args.methods
        for mode in args.modes
    ]
    if not args.no_iforest:
        configs += [("IsolationForest", None, mode) for mode in args.modes]
    return configs


def label_of(name, method, mode):
    return f"{name} ({method}, {mode})" if method else f"{name} ({mode})"


def run_all(args, data):
    """Scores and thresholds of every configuration on every series."""
    results = {}
    if args.save_scores and os.path.exists(args.save_scores):
        with open(args.save_scores, "rb") as f:
            results = pickle.load(f)["results"]  # resume an interrupted run
    for name, method, mode in configurations(args):
        label = label_of(name, method, mode)
        entry = results.setdefault(label, {"scores": {}, "fit": {}})
        for rel, (frame, _) in data.items():
            if rel in entry["scores"]:
                continue
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
            entry["scores"][rel] = (scores, offsets)
            entry["fit"][rel] = fit_time
            if args.save_scores:
                with open(args.save_scores + ".tmp", "wb") as f:
                    pickle.dump({"args": vars(args), "results": results}, f)
                os.replace(args.save_scores + ".tmp", args.save_scores)
            print(f"# {label}: {rel} fit {fit_time:.1f} s", flush=True)
        total = sum(entry["fit"][rel] for rel in data)
        print(f"# done: {label}, fit {total:.1f} s", flush=True)
    return results


def evaluate(data, scores, costs, hours, rels, halflife=0):
    """NAB results (one dict per series) of the thresholded scores."""
    out = []
    for rel in rels:
        frame, windows = data[rel]
        score, offset = scores[rel]
        rows = suppress_rows(frame["timestamp"], hours)
        flags = detections(score, offset, rows, halflife)
        out.append(nab_score(frame["timestamp"], flags, windows, costs))
    return out


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    files = select_files(args.nab_dir, args.categories)
    categories = sorted({rel.split("/")[0] for rel in files})
    for profile, weights in PROFILES.items():
        published = load_profile(args.nab_dir, profile)
        assert all(published[k] == v for k, v in weights.items()), profile
    data = {rel: load_nab_file(args.nab_dir, rel) for rel in files}
    n_windows = sum(len(w) for _, w in data.values())
    print(
        f"# NAB {', '.join(categories)}: {len(files)} files, "
        f"{sum(len(f) for f, _ in data.values())} rows, {n_windows} windows; "
        f"window={args.window}, seed={args.seed}, suppress={args.suppress_hours:g} h, "
        f"fit on {'NAB probation' if args.strict_probation else 'first 15 %'}, "
        f"torch threads={torch.get_num_threads()}"
    )

    # sanity check of the scorer: a perfect detector scores 100, the null one 0
    for profile, costs in PROFILES.items():
        perfect, null = [], []
        for frame, windows in data.values():
            stamps = frame["timestamp"]
            first = np.zeros(len(frame), dtype=bool)
            for a, _ in windows:
                first[np.flatnonzero(stamps == a)[0]] = True
            perfect.append(nab_score(stamps, first, windows, costs))
            none = np.zeros(len(frame), dtype=bool)
            null.append(nab_score(stamps, none, windows, costs))
        print(
            f"# scorer check ({profile}): perfect detector "
            f"{normalised_score(perfect):.1f}, null detector {normalised_score(null):.1f}"
        )

    if args.from_scores:
        results = {}
        for path in args.from_scores:
            with open(path, "rb") as f:
                results.update(pickle.load(f)["results"])
        results = {
            label: entry
            for label, entry in results.items()
            if all(rel in entry["scores"] for rel in files)
        }
    else:
        results = run_all(args, data)
    labels = list(results)
    hours = args.suppress_hours
    halflife = args.smoothing
    if halflife:
        print(f"# distances smoothed: EWMA with a half-life of {halflife:g} rows")

    def score_of(label, profile, rels):
        costs = PROFILES[profile]
        out = evaluate(data, results[label]["scores"], costs, hours, rels, halflife)
        return normalised_score(out)

    def counts(label, rels):
        out = evaluate(
            data, results[label]["scores"], PROFILES["standard"], hours, rels, halflife
        )
        return tuple(sum(r[k] for r in out) for k in ("tp", "fp", "fn"))

    # 1. the selection, three profiles, with the published scores
    print()
    head = " ".join(f"{PROFILE_SHORT[p]:>6s}" for p in PROFILES)
    print(f"{'detector':48s} {head} {'TP':>4s} {'FP':>5s} {'FN':>4s} {'fit s':>8s}")
    rows = []
    for label in labels:
        cells = [score_of(label, p, files) for p in PROFILES]
        tp, fp, fn = counts(label, files)
        fit = sum(results[label]["fit"][rel] for rel in files)
        rows.append((cells, label, f"{tp}", f"{fp}", f"{fn}", f"{fit:8.1f}"))
    if categories == CATEGORIES:
        for name, scores in read_full_reference(args.full_reference).items():
            cells = [scores[p] for p in PROFILES]
            rows.append((cells, f"{name} (published, full corpus)", "", "", "", ""))
    elif categories == ["realKnownCause"]:
        for name, scores in read_subset_reference(args.reference).items():
            cells = [scores[p] for p in PROFILES]
            rows.append((cells, f"{name} (published, re-scored)", "", "", "", ""))
    for cells, label, tp, fp, fn, fit in sorted(rows, key=lambda r: -r[0][0]):
        line = " ".join(f"{c:6.1f}" for c in cells)
        print(f"{label:48s} {line} {tp:>4s} {fp:>5s} {fn:>4s} {fit:>8s}")

    # 2. tuned-on and not-tuned-on series apart
    tuned = [rel for rel in files if rel.startswith("realKnownCause/")]
    other = [rel for rel in files if not rel.startswith("realKnownCause/")]
    if tuned and other:
        print()
        print(
            f"NAB score on the {len(tuned)} realKnownCause series (where the "
            f"configuration was chosen), the {len(other)} others, and all {len(files)}:"
        )
        parts = [("rKC", tuned), ("other", other), ("all", files)]
        head = " ".join(
            f"{part + ' ' + PROFILE_SHORT[p]:>11s}" for part, _ in parts for p in PROFILES
        )
        print(f"{'detector':48s} {head}")
        for label in labels:
            line = " ".join(
                f"{score_of(label, p, rels):11.1f}" for _, rels in parts for p in PROFILES
            )
            print(f"{label:48s} {line}")

    # 3. per category: false positives per series, windows found
    print()
    print("Per category: false positives per series (FP/s) and windows found (TP/windows):")
    print(f"{'detector':48s} " + " ".join(f"{c[:14]:>14s}" for c in categories))
    for label in labels:
        cells = []
        for cat in categories:
            rels = [rel for rel in files if rel.startswith(cat + "/")]
            tp, fp, fn = counts(label, rels)
            cells.append(f"{fp / len(rels):5.1f} {tp:3d}/{tp + fn:<3d}")
        print(f"{label:48s} " + " ".join(f"{c:>14s}" for c in cells))
    print(f"{'(series)':48s} " + " ".join(
        f"{sum(rel.startswith(c + '/') for rel in files):>14d}" for c in categories
    ))

    # 4. sensitivity to the suppression period
    print()
    print("NAB standard score by suppression period (hours):")
    periods = [12.0, 24.0, 48.0]
    print(f"{'detector':48s} " + " ".join(f"{h:>6g}" for h in periods))
    for label in labels:
        line = " ".join(
            f"{normalised_score(evaluate(data, results[label]['scores'], PROFILES['standard'], h, files, halflife)):6.1f}"
            for h in periods
        )
        print(f"{label:48s} {line}")

    # 5. sensitivity to the smoothing of the distance (the half-life is to be
    # chosen on realKnownCause only, then reported unchanged elsewhere)
    print()
    print(
        "NAB standard score (and false positives) by EWMA half-life of the "
        "distance, in rows (0: none):"
    )
    parts = [("rKC", tuned), ("other", other)] if tuned and other else []
    parts.append(("all", files))
    head = " ".join(f"{part + ' ' + f'{h:g}':>12s}" for part, _ in parts for h in SMOOTHING)
    print(f"{'detector':48s} {head}")
    for label in labels:
        cells = []
        for _, rels in parts:
            for h in SMOOTHING:
                out = evaluate(data, results[label]["scores"], PROFILES["standard"], hours, rels, h)
                fp = sum(r["fp"] for r in out)
                cells.append(f"{normalised_score(out):6.1f} {fp:5d}")
        print(f"{label:48s} " + " ".join(f"{c:>12s}" for c in cells))

    # 6. per file
    print()
    print(
        "Raw NAB score per file (standard profile; null = -windows, "
        "perfect = +windows):"
    )
    print(f"{'file':48s} " + " ".join(f"{i:>6d}" for i in range(len(labels))))
    per_label = {
        lab: evaluate(
            data, results[lab]["scores"], PROFILES["standard"], hours, files, halflife
        )
        for lab in labels
    }
    for k, rel in enumerate(files):
        cells = " ".join(f"{per_label[lab][k]['score']:6.2f}" for lab in labels)
        print(f"{rel.replace('.csv', '')[:48]:48s} {cells}")
    for i, lab in enumerate(labels):
        print(f"  {i}: {lab}")


if __name__ == "__main__":
    main()

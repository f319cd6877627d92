"""LSTMAnomalyDetector on aeon's bundled Daphnet series: false alarms only.

aeon bundles one excerpt of the Daphnet freezing-of-gait recordings
(Roggen, Plotnik and Hausdorff, UCI 2013), ``Daphnet_S06R02E0``: 7,040 rows
of nine acceleration channels (ankle, thigh and trunk sensors) from one
patient walking. Its label column ``is_anomaly`` is 0 on every row: the
excerpt holds no freeze-of-gait episode (aeon's own loader says so and
deprecates it for that reason). So no detection rate can be measured on it;
what it measures is how often a detector raises an alarm on normal data it
was not tuned on.

The protocol is that of ``anomaly_nab.py``, unchanged from what was chosen
on NAB's realKnownCause files: one window of 32 rows per row
(``SlidingWindowTransformer``, all nine channels), the reconstruction
detector with hidden size 32, 30 epochs, batch 64, lr 3e-3 and
``contamination="auto"``, fitted on the first 15 % of the rows; ``static``
scores every row with that fit, ``online`` refits every 5 % of the rows on
the most recent 15 % (warm start, 5 epochs). An alarm is an upward
crossing of the detector's own threshold; NAB's rule of one alarm per 24 h
has no meaning for a two-minute recording, so alarms are counted with no
suppression, and also with the distance smoothed (half-life 8 rows, the
value chosen on realKnownCause). Reported: rows after the training part
whose score is below the threshold (the per-row false-alarm rate), the
alarms (upward crossings) among them, and the same for an IsolationForest
on the flattened windows with its own ``contamination="auto"``.

Needs aeon (``pip install aeon``), which bundles the series. Usage::

    python benchmarks/anomaly_daphnet.py
    python benchmarks/anomaly_daphnet.py --seeds 0 1 2
"""

import os
import statistics
import time
import warnings

import numpy as np
import pandas as pd
from _common import base_parser, print_table, setup
from anomaly_nab import (
    STEP_FRACTION,
    TRAIN_FRACTION,
    run_iforest,
    run_lstm,
    smoothed,
)

from sklstm import SlidingWindowTransformer

WINDOW = 32
HALFLIFE = 8  # the smoothing half-life chosen on NAB's realKnownCause files


def load_daphnet():
    """The nine channels (float64) and the labels of the bundled excerpt."""
    import aeon

    path = os.path.join(
        os.path.dirname(aeon.__file__),
        "datasets",
        "data",
        "Daphnet_S06R02E0",
        "S06R02E0.csv",
    )
    frame = pd.read_csv(path)
    labels = frame.pop("is_anomaly").to_numpy()
    frame = frame.drop(columns="timestamp")
    return frame.to_numpy(dtype=np.float64), labels


def false_alarms(scores, offsets, n_train, halflife=0):
    """Share of scored rows below the threshold, and upward crossings."""
    below = smoothed(scores, halflife) < offsets
    crossing = below & ~np.r_[False, below[:-1]]
    return below[n_train:].mean(), int(crossing[n_train:].sum())


def main():
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    setup(args)
    values, labels = load_daphnet()
    print(
        f"# Daphnet_S06R02E0: {len(values)} rows, {values.shape[1]} channels, "
        f"{int(labels.sum())} labelled anomalous rows"
    )
    windows = SlidingWindowTransformer(window_length=WINDOW).fit_transform(values)
    span = int(TRAIN_FRACTION * len(windows))
    print(
        f"# fitted on the first {span} rows; online refits every "
        f"{int(STEP_FRACTION * len(windows))} rows; {len(windows) - span} rows scored"
    )
    rows = []
    for name in ("LSTMAnomalyDetector", "IsolationForest"):
        for mode in ("static", "online"):
            per_seed = {0: [], HALFLIFE: []}
            fit_times = []
            for seed in args.seeds:
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    if name == "IsolationForest":
                        scores, offsets, fit_time = run_iforest(
                            windows, span, span, mode, seed
                        )
                    else:
                        scores, offsets, fit_time = run_lstm(
                            windows, span, span, "reconstruction", mode, seed
                        )
                fit_times.append(fit_time)
                for halflife in per_seed:
                    per_seed[halflife].append(
                        false_alarms(scores, offsets, span, halflife)
                    )
                print(
                    f"# {name} {mode} seed {seed}: "
                    f"{time.perf_counter() - start:.1f} s",
                    flush=True,
                )
            for halflife, results in per_seed.items():
                rates = [rate for rate, _ in results]
                alarms = [count for _, count in results]
                rows.append(
                    [
                        name,
                        mode,
                        halflife,
                        f"{100 * statistics.mean(rates):.2f}",
                        f"{statistics.mean(alarms):.1f}",
                        " ".join(str(a) for a in alarms),
                        f"{statistics.mean(fit_times):.1f}",
                    ]
                )
    print_table(
        [
            "detector",
            "mode",
            "half-life",
            "% rows flagged",
            "alarms (mean)",
            "alarms per seed",
            "fit s",
        ],
        rows,
    )


if __name__ == "__main__":
    main()

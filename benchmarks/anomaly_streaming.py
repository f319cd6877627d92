"""Latency of scoring one new point with LSTMAnomalyDetector, as in streaming.

A streaming detector keeps the last ``window_length`` points of the series
and, when a point arrives, scores the window that ends at it: one call of
``score_samples`` (or ``decision_function`` / ``predict``) on one window.
This script fits the detector once on a synthetic series (the settings of
``anomaly_nab.py``: hidden size 32, window 32, batch 64, lr 3e-3) and
measures, for each method and each torch thread count (1, and torch's
default on this machine):

* ``score_samples``, ``decision_function`` and ``predict`` on the newest
  window (one call per point), and ``score_samples`` on the 8 newest;
* the same one-window call when the float64 scoring copy of the network is
  made again on every call (the behaviour before it was cached);
* the whole per-point step of a streaming loop: append the point to a
  ``collections.deque``, build the window, score it; and the same step
  through ``AnomalyStream.update`` (without refits);
* one warm-start refit (5 epochs on the most recent 1,500 rows), the
  periodic refit of the online protocol, and its cost per point when it
  runs every 500 points.

Each figure is the median over ``--calls`` calls (the variants interleaved,
so that a slow spell hits all of them alike), in microseconds of wall time.

Usage::

    python benchmarks/anomaly_streaming.py
    python benchmarks/anomaly_streaming.py --calls 2000 --threads 1
"""

import argparse
import collections
import copy
import statistics
import time

import numpy as np
import torch

import sklstm._anomaly as anomaly_module
from sklstm import AnomalyStream, LSTMAnomalyDetector, SlidingWindowTransformer

WINDOW = 32
REFIT_ROWS = 1500
REFIT_EVERY = 500
REFIT_EPOCHS = 5


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=None,
        help="torch thread counts to measure (default: 1 and torch's default)",
    )
    parser.add_argument("--refits", type=int, default=3, help="refits timed")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def series(n, seed):
    rng = np.random.RandomState(seed)
    t = np.arange(n)
    return (np.sin(2 * np.pi * t / 50) + 0.1 * rng.randn(n))[:, None]


def uncached_scores(det, window):
    """score_samples with the float64 copy made again (the old behaviour)."""
    anomaly_module._forget_scoring_copy(det.module_)
    return det.score_samples(window)


def timed(fn, *args):
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def latencies(det, data, windows, calls):
    """Median wall time (microseconds) of each one-point scoring variant."""
    buffer = collections.deque(data[: WINDOW - 1, 0], maxlen=WINDOW)

    def stream_step(value):
        buffer.append(value)
        window = np.asarray(buffer, dtype=np.float64).reshape(1, WINDOW, 1)
        return det.score_samples(window)[0]

    stream = AnomalyStream(det)  # no refits: the scoring step alone
    for value in data[: WINDOW - 1, 0]:
        stream.update(value)

    variants = {
        "score": lambda i: det.score_samples(windows[i : i + 1]),
        "decision": lambda i: det.decision_function(windows[i : i + 1]),
        "predict": lambda i: det.predict(windows[i : i + 1]),
        "eight": lambda i: det.score_samples(np.ascontiguousarray(windows[i - 7 : i + 1])),
        "nocache": lambda i: uncached_scores(det, windows[i : i + 1]),
        "stream": lambda i: stream_step(data[i, 0]),
        "helper": lambda i: stream.update(data[i, 0]),
    }
    times = {k: [] for k in variants}
    for fn in variants.values():  # warm up
        fn(2000)
    for call in range(calls):
        i = 2000 + call % 2000
        for k, fn in variants.items():
            times[k].append(timed(fn, i))
    return {k: 1e6 * statistics.median(v) for k, v in times.items()}


def main():
    args = parse_args()
    default_threads = torch.get_num_threads()
    thread_counts = args.threads or sorted({1, default_threads})
    data = series(4000, args.seed)
    windows = SlidingWindowTransformer(window_length=WINDOW).fit_transform(data)
    print(
        f"# torch {torch.__version__}, default threads {default_threads}; "
        f"window {WINDOW}, 1 feature, median of {args.calls} calls, microseconds"
    )
    print(
        f"{'method':15s} {'threads':>7s} {'score_samples':>13s} "
        f"{'decision_fn':>11s} {'predict':>8s} {'8 windows':>9s} "
        f"{'no cache':>9s} {'stream step':>11s} {'update':>7s} {'refit ms':>9s} "
        f"{'refit/pt':>9s}"
    )
    for method in ["reconstruction", "forecast"]:
        det = LSTMAnomalyDetector(
            method=method,
            hidden_size=32,
            max_epochs=3,
            batch_size=64,
            lr=3e-3,
            random_state=args.seed,
        ).fit(windows[:2000])
        for threads in thread_counts:
            torch.set_num_threads(threads)
            us = latencies(det, data, windows, args.calls)
            # the periodic warm-start refit on the most recent rows
            refit = copy.deepcopy(det).set_params(
                warm_start=True, max_epochs=REFIT_EPOCHS
            )
            refit_s = statistics.median(
                timed(refit.fit, windows[b - REFIT_ROWS : b])
                for b in range(2000, 2000 + args.refits * REFIT_EVERY, REFIT_EVERY)
            )
            print(
                f"{method:15s} {threads:7d} {us['score']:13.0f} {us['decision']:11.0f} "
                f"{us['predict']:8.0f} {us['eight']:9.0f} {us['nocache']:9.0f} "
                f"{us['stream']:11.0f} {us['helper']:7.0f} {1e3 * refit_s:9.0f} "
                f"{1e6 * refit_s / REFIT_EVERY:9.0f}",
                flush=True,
            )
    print(
        f"# refit: warm start, {REFIT_EPOCHS} epochs on the last {REFIT_ROWS} "
        f"rows, every {REFIT_EVERY} points (refit/pt: its cost spread over them)"
    )


if __name__ == "__main__":
    main()

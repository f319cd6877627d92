"""Memory: peak RSS of windowing, one training epoch and predict on a long series.

A 5,000,000-row univariate series goes through ``SlidingWindowTransformer``
(window 100), then ``LSTMRegressor.fit`` (hidden 16, one epoch) with the next
value as target, then ``predict`` on every window. Materialised, the windows
would take ``rows x window x itemsize`` bytes (4 GB in float64); sklstm keeps
them as a read-only strided view of the series and copies out one mini-batch
at a time, so the peak should stay a few times the size of the series.

The work runs in a fresh subprocess, so that nothing else inflates the
numbers; it reports the peak resident set size (``ru_maxrss``) after each
stage, relative to the process after ``import sklstm`` (torch's own
libraries are a few hundred MB and do not grow with the data).

``--max-batches`` bounds the training batches of the epoch (a callback
stops it), for a quick check; by default the epoch runs in full.

Usage::

    python benchmarks/memory.py                      # the full epoch (minutes)
    python benchmarks/memory.py --rows 1000000 --max-batches 200
"""

import json
import os
import resource
import subprocess
import sys
import time
import warnings

from _common import PLAIN_LSTM, base_parser, print_table

MB = 2**20


def peak_bytes():
    """Peak resident set size of this process so far, in bytes (Linux: KiB)."""
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def child(args):
    import numpy as np
    import torch
    from skorch.callbacks import Callback

    import sklstm
    from sklstm import LSTMRegressor, SlidingWindowTransformer

    torch.set_num_threads(args.threads)

    class StopAfter(Callback):
        def __init__(self, limit):
            self.limit = limit

        def on_train_begin(self, net, **kwargs):
            self.count_ = 0

        def on_batch_end(self, net, training=False, **kwargs):
            self.count_ += training
            if self.limit and self.count_ >= self.limit:
                raise KeyboardInterrupt

    stages = {"import sklstm": (peak_bytes(), 0.0)}
    start = time.perf_counter()

    def mark(name):
        stages[name] = (peak_bytes(), time.perf_counter() - start)

    rng = np.random.RandomState(args.seed)
    series = np.cumsum(rng.randn(args.rows, 1), axis=0).astype(args.dtype)
    series /= series.std()
    mark("series")
    windows = SlidingWindowTransformer(window_length=args.window).fit_transform(
        series
    )
    X, y = windows[:-1], series[1:, 0]
    assert np.shares_memory(X, windows) and not X.flags.writeable
    mark("SlidingWindowTransformer")
    est = LSTMRegressor(
        **PLAIN_LSTM,
        hidden_size=args.hidden,
        batch_size=args.batch_size,
        max_epochs=1,
        callbacks=[StopAfter(args.max_batches)],
        random_state=args.seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the early stop warns
        est.fit(X, y)
    batches = dict(est.net_.callbacks_)["user_0"].count_
    mark("fit")
    pred = est.predict(X)
    assert pred.shape == (args.rows - 1,)
    mark("predict")
    model_bytes = sum(p.numel() * p.element_size() for p in est.module_.parameters())
    print(
        json.dumps(
            {
                "stages": stages,
                "series_bytes": series.nbytes,
                "window_bytes": X.shape[0] * X.shape[1] * X.shape[2] * X.itemsize,
                "batch_bytes": args.batch_size * args.window * 4,
                "model_bytes": model_bytes,
                "batches": batches,
                "batches_per_epoch": -(-X.shape[0] // args.batch_size),
                "torch": torch.__version__,
                "sklstm": sklstm.__version__,
            }
        )
    )


def main():
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--dtype", default="float64")
    parser.add_argument("--max-batches", type=int, default=0, help="0: full epoch")
    parser.add_argument("--child", action="store_true", help=argparse_hidden())
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    command = [sys.executable, os.path.abspath(__file__), "--child"] + sys.argv[1:]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    stages = report["stages"]
    base = stages["import sklstm"][0]
    series = report["series_bytes"]
    rows = []
    for name, (peak, seconds) in stages.items():
        rows.append(
            [name, f"{peak / MB:,.0f}", f"{(peak - base) / MB:,.0f}",
             f"{(peak - base) / series:.2f}", f"{seconds:.0f}"]
        )
    print(
        f"# {args.rows:,} rows x window {args.window}, {args.dtype}, hidden "
        f"{args.hidden}, batch {args.batch_size}, torch {report['torch']}; "
        f"trained {report['batches']}/{report['batches_per_epoch']} batches"
    )
    print(
        f"# series {series / MB:,.0f} MB; the windows materialised would be "
        f"{report['window_bytes'] / MB:,.0f} MB; model "
        f"{report['model_bytes'] / 1024:.1f} KB; one float32 batch "
        f"{report['batch_bytes'] / MB:.2f} MB"
    )
    print_table(
        ["after", "peak RSS MB", "above import MB", "x series", "elapsed s"], rows
    )
    growth = stages["predict"][0] - base
    print(
        f"summary: peak {growth / MB:,.0f} MB above the imports = "
        f"{growth / series:.2f}x the series "
        f"({growth / report['window_bytes']:.1%} of the materialised windows)"
    )


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()

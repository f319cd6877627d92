"""Memory: peak RSS of windowing, one training epoch and predict on a long series.

A 5,000,000-row univariate series goes through ``SlidingWindowTransformer``
(window 100; ``--windows view`` uses a plain strided view of the series
instead, which needs no padded copy), then ``LSTMRegressor.fit`` (hidden 16, one epoch) with the next
value as target, then ``predict`` on every window. Materialised, the windows
would take ``rows x window x itemsize`` bytes (4 GB in float64); sklstm keeps
them as a read-only strided view of the series and copies out one mini-batch
at a time, so the peak should stay a few times the size of the series.

The work runs in a fresh subprocess, so that nothing else inflates the
numbers; it reports the peak resident set size (``ru_maxrss``) after each
stage, relative to the process after ``import sklstm`` (torch's own
libraries are a few hundred MB and do not grow with the data).

"One batch" is measured, not guessed: a second subprocess trains the same
network (an ``nn.LSTM`` and a linear head, Adam) with a hand-written loop on
one random batch of the same shape for 20 steps, then predicts it, and its
peak above the imports is what torch itself needs for a training step of
that batch (activations kept for the backward pass, oneDNN's workspace,
the allocator's caches). The target is a peak under twice the series plus
the model plus that.

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
    # a random walk built in place: the benchmark's own temporaries must
    # not set the peak
    series = rng.randn(args.rows, 1).astype(args.dtype, copy=False)
    np.cumsum(series, axis=0, out=series)
    series /= np.sqrt(args.rows)  # about unit scale, without std's temporary
    mark("series")
    if args.windows == "transformer":
        windows = SlidingWindowTransformer(window_length=args.window).fit_transform(
            series
        )
        X, y = windows[:-1], series[1:, 0]
        assert np.shares_memory(X, windows) and not X.flags.writeable
        n_predict = args.rows - 1
    else:
        # a plain strided view of the series itself: no padded copy
        view = np.lib.stride_tricks.sliding_window_view(series[:-1], args.window, axis=0)
        X, y = view.transpose(0, 2, 1), series[args.window :, 0]
        assert np.shares_memory(X, series)
        n_predict = len(X)
    mark("windows")
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
    assert pred.shape == (n_predict,)
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


def child_loop(args):
    """Peak RSS of a hand-written loop on one batch: torch's own working memory."""
    import numpy as np
    import torch

    import sklstm  # noqa: F401  (the same imports as the other child)

    torch.set_num_threads(args.threads)
    base = peak_bytes()
    torch.manual_seed(args.seed)
    lstm = torch.nn.LSTM(1, args.hidden, batch_first=True)
    head = torch.nn.Linear(args.hidden, 1)
    optimizer = torch.optim.Adam([*lstm.parameters(), *head.parameters()])
    X = torch.from_numpy(
        np.random.RandomState(args.seed).randn(args.batch_size, args.window, 1)
    ).float()
    y = X[:, -1].clone()
    for _ in range(20):
        optimizer.zero_grad()
        out, _ = lstm(X)
        loss = torch.nn.functional.mse_loss(head(out[:, -1]), y)
        loss.backward()
        optimizer.step()
    with torch.inference_mode():
        head(lstm(X)[0][:, -1])
    print(json.dumps({"loop_bytes": peak_bytes() - base}))


def run_child(flag):
    command = [sys.executable, os.path.abspath(__file__), flag] + sys.argv[1:]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--dtype", default="float64")
    parser.add_argument("--max-batches", type=int, default=0, help="0: full epoch")
    parser.add_argument(
        "--windows", choices=["transformer", "view"], default="transformer",
        help="SlidingWindowTransformer (one window per row, an edge-padded copy "
        "of the series) or a plain strided view of the series (no copy)",
    )
    parser.add_argument("--child", action="store_true", help=argparse_hidden())
    parser.add_argument("--child-loop", action="store_true", help=argparse_hidden())
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    if args.child_loop:
        child_loop(args)
        return

    loop_bytes = run_child("--child-loop")["loop_bytes"]
    report = run_child("--child")
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
        f"# {args.rows:,} rows x window {args.window} ({args.windows}), "
        f"{args.dtype}, hidden "
        f"{args.hidden}, batch {args.batch_size}, torch {report['torch']}; "
        f"trained {report['batches']}/{report['batches_per_epoch']} batches"
    )
    print(
        f"# series {series / MB:,.0f} MB; the windows materialised would be "
        f"{report['window_bytes'] / MB:,.0f} MB; model "
        f"{report['model_bytes'] / 1024:.1f} KB; one float32 batch "
        f"{report['batch_bytes'] / MB:.2f} MB; a hand-written loop training "
        f"and predicting one batch peaks {loop_bytes / MB:,.0f} MB above the imports"
    )
    print_table(
        ["after", "peak RSS MB", "above import MB", "x series", "elapsed s"], rows
    )
    growth = stages["predict"][0] - base
    budget = 2 * series + report["model_bytes"] + loop_bytes
    print(
        f"summary: peak {growth / MB:,.0f} MB above the imports = "
        f"{growth / series:.2f}x the series "
        f"({growth / report['window_bytes']:.1%} of the materialised windows); "
        f"target 2 x series + model + one batch = {budget / MB:,.0f} MB: "
        f"{'met' if growth <= budget else 'MISSED'} ({growth / budget:.2f} of it)"
    )


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()

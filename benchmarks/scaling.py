"""Scaling: time per epoch against the number of windows and their length.

A univariate float32 series goes through ``SlidingWindowTransformer`` (a
read-only strided view: the windows are never copied whole) into
``LSTMRegressor.fit`` for one epoch, with the next value as target. Two
sweeps: the number of windows (10^4 .. 10^6, window 50) and the window
length (25 .. 400, 10^4 windows). Linear growth shows as a constant time
per window in the first sweep and a constant time per window-step in the
second; the second sweep also times the hand-written loop of
``train_speed.py`` (on the same windows, copied; fused Adam, no input
scaling) per window-step, as what the hardware gives for that length. A
fixed part per window (gathering the batch, the output head, the optimizer
step) weighs more on short windows.

An epoch with more than ``--max-batches`` mini-batches is cut short by a
callback after that many batches, and its time is extrapolated as
``setup + (time of the measured batches) / measured * batches per epoch``,
where ``setup`` is everything ``fit`` does before its first batch; the
``batches`` column says which rows were measured in full. Times are
process CPU times (one torch thread).

Usage::

    python benchmarks/scaling.py
    python benchmarks/scaling.py --max-batches 300 --hidden 64
"""

import time
import warnings

import numpy as np
from skorch.callbacks import Callback

from _common import PLAIN_LSTM, base_parser, print_table, setup


class _BatchClock(Callback):
    """Records CPU time at the first batch and after each; stops after ``limit``."""

    def __init__(self, limit):
        self.limit = limit

    def on_train_begin(self, net, **kwargs):
        self.first_ = None
        self.last_ = None
        self.count_ = 0

    def on_batch_begin(self, net, training=False, **kwargs):
        if training and self.first_ is None:
            self.first_ = time.process_time()

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            self.count_ += 1
            self.last_ = time.process_time()
            if self.count_ >= self.limit:
                raise KeyboardInterrupt  # skorch stops the loop, keeps the net


def epoch_time(n_windows, window, args):
    """(estimated CPU s per epoch, batches measured, batches per epoch)."""
    from sklstm import LSTMRegressor, SlidingWindowTransformer

    rng = np.random.RandomState(args.seed)
    series = np.cumsum(rng.randn(n_windows + 1, 1), axis=0).astype(np.float32)
    series /= series.std()
    windows = SlidingWindowTransformer(window_length=window).fit_transform(series)
    X, y = windows[:-1], series[1:, 0]
    clock = _BatchClock(args.max_batches)
    est = LSTMRegressor(
        **PLAIN_LSTM,
        hidden_size=args.hidden, batch_size=args.batch_size, max_epochs=1,
        callbacks=[clock], random_state=args.seed,
    )
    start = time.process_time()
    with warnings.catch_warnings():
        # the interruption after --max-batches warns that training stopped
        warnings.simplefilter("ignore", UserWarning)
        est.fit(X, y)
    end = time.process_time()
    # the callback list is copied by fit: read the fitted copy
    clock = dict(est.net_.callbacks_)["user_0"]
    n_batches = -(-n_windows // args.batch_size)
    setup_s = clock.first_ - start
    if clock.count_ >= n_batches:
        return end - start, clock.count_, n_batches
    per_batch = (clock.last_ - clock.first_) / max(clock.count_ - 1, 1)
    return setup_s + per_batch * n_batches, clock.count_, n_batches


def main():
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-batches", type=int, default=2000)
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000]
    )
    parser.add_argument(
        "--windows", type=int, nargs="+", default=[25, 50, 100, 200, 400]
    )
    args = parser.parse_args()
    setup(args)
    epoch_time(2_000, 50, args)  # warm-up

    rows = []
    per_window, per_step = [], []
    for n in args.sizes:
        seconds, measured, total = epoch_time(n, 50, args)
        per_window.append(seconds / n)
        rows.append(["windows", n, 50, f"{seconds:.2f}", f"{seconds / n * 1e6:.1f}",
                     f"{seconds / (n * 50) * 1e6:.3f}", "", f"{measured}/{total}"])
    n = 10_000
    for window in args.windows:
        seconds, measured, total = epoch_time(n, window, args)
        per_step.append(seconds / (n * window))
        loop_s = loop_time(n, window, args)
        rows.append(["length", n, window, f"{seconds:.2f}",
                     f"{seconds / n * 1e6:.1f}",
                     f"{seconds / (n * window) * 1e6:.3f}",
                     f"{loop_s / (n * window) * 1e6:.3f}", f"{measured}/{total}"])
    print(f"# hidden {args.hidden}, batch {args.batch_size}, one epoch")
    print_table(
        ["sweep", "windows", "length", "cpu s/epoch", "us/window",
         "us/window-step", "loop us/window-step", "batches"],
        rows,
    )
    print(
        f"summary: {min(per_window) * 1e6:.0f}..{max(per_window) * 1e6:.0f} us per "
        f"window over {min(args.sizes):,}..{max(args.sizes):,} windows "
        f"({max(per_window) / min(per_window):.2f}x spread); "
        f"{min(per_step) * 1e6:.2f}..{max(per_step) * 1e6:.2f} us per window-step "
        f"over lengths {min(args.windows)}..{max(args.windows)} "
        f"({max(per_step) / min(per_step):.2f}x spread)"
    )


def loop_time(n_windows, window, args):
    """CPU s of one epoch of the hand-written loop on the copied windows."""
    import torch

    from _common import build_module, hand_loop
    from sklstm._base import _FUSED_ADAM

    rng = np.random.RandomState(args.seed)
    series = np.cumsum(rng.randn(n_windows + 1, 1), axis=0).astype(np.float32)
    series /= series.std()
    # the same windows as SlidingWindowTransformer's (first row repeated)
    padded = np.concatenate([np.full(window - 1, series[0, 0]), series[:, 0]])
    view = np.lib.stride_tricks.sliding_window_view(padded, window)[:-1]
    X = torch.from_numpy(np.ascontiguousarray(view, dtype=np.float32)[:, :, None])
    y = torch.from_numpy(series[1:, 0].copy())
    module = build_module(1, args.hidden, seed=args.seed)
    start = time.process_time()
    hand_loop(module, X, y, epochs=1, batch_size=args.batch_size, seed=args.seed,
              fused=True if _FUSED_ADAM else None)
    return time.process_time() - start


if __name__ == "__main__":
    main()

"""Memory and reliability figures: leaks, long and large inputs, checkpoints.

Each section runs in a fresh Python process, so that its peak resident
memory (RSS) is its own:

* ``leak``: ``--fits`` fits (and predictions) of the same ``LSTMRegressor``
  in one process; RSS after each fit, once the garbage collector has run.
  A leak shows as steady growth after the first few fits (which warm up
  allocator pools and torch's caches).
* ``long``: ``predict`` on one sequence of ``--steps`` time steps.
* ``wide``: ``predict`` on ``--sequences`` sequences of 50 steps.
* ``checkpoint``: the cost of ``checkpoint_dir`` (time per epoch with and
  without, the better of two runs each; the file size; the time to load
  it), and whether a fit interrupted at half time and finished by
  ``resume_fit`` equals the uninterrupted fit.

For ``long`` and ``wide`` the figure is the peak RSS during ``predict``
minus the RSS before it (the input and the model already loaded), read
from ``/proc/self/status`` after resetting the peak through
``/proc/self/clear_refs`` (Linux). Elsewhere the peak since the process
started is printed instead.

Usage::

    python benchmarks/memory_reliability.py
    python benchmarks/memory_reliability.py --sections long wide --steps 1000000
"""

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

from _common import base_parser, print_table, setup

SECTIONS = ("leak", "long", "wide", "checkpoint")


def _status():
    """Current and peak RSS in MiB, or None off Linux."""
    try:
        with open("/proc/self/status") as f:
            fields = dict(line.split(":", 1) for line in f)
    except OSError:
        return None
    return tuple(int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))


def _reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_since_start():
    import resource

    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def _fit_variable_length(hidden, seed):
    """A regressor fitted on sequences of different lengths, so any length predicts."""
    from sklstm import LSTMRegressor

    rng = np.random.RandomState(seed)
    X = [rng.randn(20 + i % 7, 1).astype(np.float32) for i in range(64)]
    return LSTMRegressor(hidden_size=hidden, max_epochs=1, random_state=seed).fit(
        X, rng.randn(64)
    )


def _predict_peak(model, X):
    gc.collect()
    before = _status()
    exact = _reset_peak() and before is not None
    start = time.perf_counter()
    y = model.predict(X)
    seconds = time.perf_counter() - start
    if exact:
        extra = _status()[1] - before[0]
        how = "peak during predict - RSS before"
    else:
        extra = _peak_since_start()
        how = "peak RSS since process start"
    return dict(
        input_mib=X.nbytes / 2**20,
        extra_mib=extra,
        how=how,
        seconds=seconds,
        output=list(y.shape),
        finite=bool(np.isfinite(y).all()),
    )


def run_leak(args):
    from sklstm import LSTMRegressor

    rng = np.random.RandomState(args.seed)
    X = rng.randn(256, 20, 3).astype(np.float32)
    y = X[:, -1, 0] + X[:, 0, 1]
    rss = []
    for i in range(args.fits):
        reg = LSTMRegressor(hidden_size=32, max_epochs=3, random_state=i).fit(X, y)
        reg.predict(X)
        del reg
        gc.collect()
        status = _status()
        rss.append(status[0] if status else _peak_since_start())
    return dict(rss=rss)


def run_long(args):
    model = _fit_variable_length(args.hidden, args.seed)
    X = np.random.RandomState(args.seed).randn(1, args.steps, 1).astype(np.float32)
    return _predict_peak(model, X)


def run_wide(args):
    model = _fit_variable_length(args.hidden, args.seed)
    X = np.random.RandomState(args.seed).randn(args.sequences, 50, 1).astype(np.float32)
    return _predict_peak(model, X)


def run_checkpoint(args):
    from skorch.callbacks import Callback

    from sklstm import LSTMRegressor, load_model, resume_fit

    class InterruptAt(Callback):
        def __init__(self, epoch):
            self.epoch = epoch

        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == self.epoch:
                raise KeyboardInterrupt

    rng = np.random.RandomState(args.seed)
    X = rng.randn(512, 30, 4).astype(np.float32)
    y = X[:, -1, 0] - X[:, 0, 1]
    params = dict(hidden_size=args.hidden, max_epochs=20, dropout=0.2, random_state=0)
    out = {}
    LSTMRegressor(**{**params, "max_epochs": 1}).fit(X, y)  # warm-up
    with tempfile.TemporaryDirectory() as tmp:
        for label, extra in [("off", {}), ("on", {"checkpoint_dir": tmp})] * 2:
            start = time.perf_counter()
            reg = LSTMRegressor(**params, **extra).fit(X, y)
            per_epoch = (time.perf_counter() - start) / reg.n_iter_
            key = f"seconds_per_epoch_{label}"
            out[key] = min(out.get(key, np.inf), per_epoch)
        path = os.path.join(tmp, "checkpoint.sklstm")
        out["checkpoint_kib"] = os.path.getsize(path) / 1024
        start = time.perf_counter()
        load_model(tmp)
        out["load_seconds"] = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the interruption and the callback
            LSTMRegressor(
                checkpoint_dir=tmp, callbacks=[InterruptAt(10)], **params
            ).fit(X, y)
            resumed = resume_fit(tmp, X, y)
        out["resumed_epochs"] = resumed.n_iter_
        out["resumed_equals_uninterrupted"] = bool(
            resumed.loss_curve_ == reg.loss_curve_
            and np.array_equal(resumed.predict(X), reg.predict(X))
        )
    return out


def child(section, args):
    setup(args)
    result = globals()[f"run_{section}"](args)
    print("RESULT " + json.dumps(result))


def main():
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument(
        "--sections", nargs="+", default=list(SECTIONS), choices=SECTIONS
    )
    parser.add_argument("--fits", type=int, default=30)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--sequences", type=int, default=100_000)
    parser.add_argument("--hidden", type=int, default=64, help="hidden_size")
    parser.add_argument("--child", choices=SECTIONS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args)
        return
    setup(args)
    argv = list(sys.argv[1:])
    results = {}
    for section in args.sections:
        proc = subprocess.run(
            [sys.executable, __file__, *argv, "--child", section],
            capture_output=True,
            text=True,
            check=True,
        )
        line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
        results[section] = json.loads(line[len("RESULT ") :])
    report(results, args)


def report(results, args):
    if "leak" in results:
        rss = results["leak"]["rss"]
        marks = [i for i in (1, 5, 10, 20, 30, len(rss)) if i <= len(rss)]
        print(
            f"\n## {len(rss)} fits (LSTMRegressor, hidden_size=32, 256x20x3, 3 epochs)"
        )
        print_table(
            ["after fit", "RSS MiB"],
            [[i, f"{rss[i - 1]:.1f}"] for i in sorted(set(marks))],
        )
        if len(rss) >= 10:
            slope = np.polyfit(np.arange(5, len(rss)), rss[5:], 1)[0]
            print(
                f"growth from fit 5 to {len(rss)}: {rss[-1] - rss[4]:+.1f} MiB "
                f"(slope {slope * 1024:+.0f} KiB per fit)"
            )
    rows = []
    for section, what in (
        ("long", f"1 x {args.steps:,} steps"),
        ("wide", f"{args.sequences:,} x 50 steps"),
    ):
        if section in results:
            r = results[section]
            rows.append(
                [
                    what,
                    f"{r['input_mib']:.1f}",
                    f"{r['extra_mib']:.1f}",
                    f"{r['seconds']:.2f}",
                    r["finite"],
                ]
            )
    if rows:
        how = results.get("long", results.get("wide"))["how"]
        print(f"\n## predict memory (hidden_size={args.hidden}; extra = {how})")
        print_table(["input", "input MiB", "extra MiB", "seconds", "finite"], rows)
    if "checkpoint" in results:
        r = results["checkpoint"]
        print(f"\n## checkpoints (hidden_size={args.hidden}, 512x30x4, 20 epochs)")
        print_table(
            [
                "s/epoch off",
                "s/epoch on",
                "file KiB",
                "load s",
                "resumed epochs",
                "resume == uninterrupted",
            ],
            [
                [
                    f"{r['seconds_per_epoch_off']:.3f}",
                    f"{r['seconds_per_epoch_on']:.3f}",
                    f"{r['checkpoint_kib']:.0f}",
                    f"{r['load_seconds']:.3f}",
                    r["resumed_epochs"],
                    r["resumed_equals_uninterrupted"],
                ]
            ],
        )


if __name__ == "__main__":
    main()

"""Threads: fit and predict with the caller's thread count and sklstm's policy.

The models a new user runs first, with their default parameters except
``max_epochs``: the airline forecaster of the README quickstart and of
``sklstm demo`` (96 windows of 12 months), the demo's and the quality
benchmark's ItalyPowerDemand classifier (67 sequences of 24 steps, scored
on 1,029), and a classifier of long sequences like the longer UCR sets of
the quality benchmark (60 random-walk sequences of 1,460 steps). Each runs
with

- the caller's count set to 1, to 2 and left at torch's default, with
  sklstm's thread policy (``n_jobs=None``, the default);
- ``n_jobs=2`` (the behaviour before the policy: torch's default count
  on a two-core machine, which every fit used unless the program set it);

on the machine as it is ("idle": no process started by this script) and
with a competing CPU-bound process (a plain busy loop in another process,
started by this script). Repeats interleave the variants and both
conditions; the table shows medians of the per-epoch time (skorch's
``dur`` of each epoch, median over the epochs of a fit), of the fit's wall
time and of the predict time.

Then a short profile of where the time goes with 2 threads: torch's
profiler (time inside torch operators against the wall time, the rest
being Python), oneDNN's verbose log in a subprocess (primitive creation
and execution times), and the subnormal flushing of torch's pool threads
switched off. ``--demo`` also times the whole ``sklstm demo`` with the
caller's default count and with 1 thread.

Usage::

    python benchmarks/threads.py                 # 10-15 minutes on 2 busy cores
    python benchmarks/threads.py --quick         # 2 repeats, no profile
    python benchmarks/threads.py --demo          # also the whole demo
"""

import argparse
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

from _common import print_table

# torch's own default, before anything here sets it
DEFAULT_THREADS = torch.get_num_threads()


def busy_loop(stop):
    """A plain CPU-bound loop, until ``stop`` is set."""
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


class Load:
    """A competing CPU-bound process for the duration of a ``with`` block."""

    def __init__(self, on):
        self.on = on

    def __enter__(self):
        if self.on:
            self.stop = multiprocessing.Event()
            self.proc = multiprocessing.Process(target=busy_loop, args=(self.stop,))
            self.proc.start()
            time.sleep(0.2)
        return self

    def __exit__(self, *exc):
        if self.on:
            self.stop.set()
            self.proc.join(timeout=10)
            if self.proc.is_alive():  # pragma: no cover
                self.proc.terminate()
        return False


# --- workloads -------------------------------------------------------------


def airline():
    from sklstm import make_windows
    from sklstm.datasets import load_airline

    series = load_airline().to_numpy(dtype=float)
    X, y = make_windows(series[:108], window_length=12)
    return X, y, series[:108]


def italy():
    from sklstm.datasets import load_italy_power_demand

    return load_italy_power_demand(return_X_y=True)


def long_sequences():
    rng = np.random.RandomState(0)
    X = np.cumsum(rng.randn(60, 1460), axis=1).astype(np.float32) / 30
    X += np.sin(np.arange(1460) / (20 + 10 * (np.arange(60) % 2))[:, None])
    y = np.arange(60) % 2
    return X, y


def run_airline(data, n_jobs, epochs):
    """Fit the quickstart forecaster, then 36 one-window recursive predictions."""
    from sklstm import LSTMRegressor

    X, y, train = data
    start = time.perf_counter()
    model = LSTMRegressor(random_state=0, max_epochs=epochs, n_jobs=n_jobs).fit(X, y)
    fit_s = time.perf_counter() - start
    history = list(train)
    start = time.perf_counter()
    for _ in range(36):
        window = np.asarray(history[-12:]).reshape(1, 12, 1)
        history.append(model.predict(window)[0])
    return model, fit_s, time.perf_counter() - start


def run_italy(data, n_jobs, epochs):
    from sklstm import LSTMClassifier

    X_train, y_train, X_test, _ = data
    start = time.perf_counter()
    model = LSTMClassifier(random_state=0, max_epochs=epochs, n_jobs=n_jobs)
    model.fit(X_train, y_train)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    model.predict(X_test)
    return model, fit_s, time.perf_counter() - start


def run_long(data, n_jobs, epochs):
    from sklstm import LSTMClassifier

    X, y = data
    start = time.perf_counter()
    model = LSTMClassifier(random_state=0, max_epochs=epochs, n_jobs=n_jobs).fit(X, y)
    fit_s = time.perf_counter() - start
    start = time.perf_counter()
    model.predict(X)
    return model, fit_s, time.perf_counter() - start


WORKLOADS = {
    "airline (quickstart, demo)": (airline, run_airline, 5, "36 x 1 window"),
    "ItalyPowerDemand (demo, quality)": (italy, run_italy, 3, "1,029 sequences"),
    "1,460-step sequences": (long_sequences, run_long, 2, "60 sequences"),
}


def variants():
    """(label, caller's thread count, n_jobs)."""
    out = [("caller 1, policy", 1, None), ("caller 2, policy", 2, None)]
    if DEFAULT_THREADS not in (1, 2):
        out.append((f"caller default ({DEFAULT_THREADS}), policy", DEFAULT_THREADS, None))
    else:
        out[DEFAULT_THREADS - 1] = (
            out[DEFAULT_THREADS - 1][0] + " (torch default)",
            DEFAULT_THREADS,
            None,
        )
    out.append(("n_jobs=2 (as before)", 2, 2))
    return out


def epoch_ms(model):
    durations = [row["dur"] for row in model.net_.history]
    return 1000 * statistics.median(durations)


def measure(repeats, only=None):
    data = {name: spec[0]() for name, spec in WORKLOADS.items()}
    results = {}
    for r in range(repeats):
        for loaded in (False, True):
            with Load(loaded):
                for name, (_, run, epochs, _) in WORKLOADS.items():
                    if only and name not in only:
                        continue
                    for label, caller, n_jobs in variants():
                        torch.set_num_threads(caller)
                        model, fit_s, pred_s = run(data[name], n_jobs, epochs)
                        key = (loaded, name, label)
                        results.setdefault(key, []).append(
                            (epoch_ms(model), fit_s, pred_s)
                        )
                        torch.set_num_threads(DEFAULT_THREADS)
        print(f"# repeat {r + 1}/{repeats} done, load average {os.getloadavg()[0]:.1f}",
              flush=True)
    return results


def print_results(results):
    header = ["load", "model", "threads", "ms/epoch", "vs caller 1", "fit s", "predict ms"]
    rows = []
    for (loaded, name, label), runs in results.items():
        base = results[(loaded, name, variants()[0][0])]
        ratio = statistics.median(a[0] / b[0] for a, b in zip(runs, base))
        rows.append([
            "busy loop" if loaded else "idle",
            name,
            label,
            f"{statistics.median(r[0] for r in runs):.1f}",
            f"{ratio:.2f}",
            f"{statistics.median(r[1] for r in runs):.2f}",
            f"{1000 * statistics.median(r[2] for r in runs):.1f}",
        ])
    print_table(header, rows)




# --- profile ---------------------------------------------------------------


def profile_ops(n_jobs, loaded, epochs=3):
    """Time inside torch operators and the top operators, for an Italy fit."""
    from torch.profiler import ProfilerActivity, profile

    data = italy()
    torch.set_num_threads(2)
    with Load(loaded):
        run_italy(data, n_jobs, 1)  # warm-up
        start = time.perf_counter()
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            run_italy(data, n_jobs, epochs)
        wall = time.perf_counter() - start
    events = prof.key_averages()
    total_self = sum(e.self_cpu_time_total for e in events) / 1e6
    top = sorted(events, key=lambda e: e.self_cpu_time_total, reverse=True)[:3]
    torch.set_num_threads(DEFAULT_THREADS)
    return wall, total_self, [(e.key, e.self_cpu_time_total / 1e6) for e in top]


ONEDNN_CHILD = """
import sys, time, torch
from sklstm import LSTMClassifier
from sklstm.datasets import load_italy_power_demand
torch.set_num_threads(2)
X, y, _, _ = load_italy_power_demand(return_X_y=True)
start = time.perf_counter()
LSTMClassifier(random_state=0, max_epochs=3, n_jobs=int(sys.argv[1])).fit(X, y)
print("WALL", time.perf_counter() - start, file=sys.stderr)
"""


def profile_onednn(n_jobs, loaded):
    """Primitive creations and execution time from oneDNN's verbose log."""
    env = dict(os.environ, ONEDNN_VERBOSE="2")
    with Load(loaded):
        done = subprocess.run(
            [sys.executable, "-c", ONEDNN_CHILD, str(n_jobs)],
            capture_output=True, text=True, env=env, check=True,
        )
    created = n_created = executed = n_exec = 0.0
    for line in done.stdout.splitlines():
        parts = line.split(",")
        if len(parts) < 4 or parts[2] != "primitive":
            continue
        try:
            ms = float(parts[-1])
        except ValueError:
            continue
        if parts[3] == "create:cache_miss":
            created += ms
            n_created += 1
        elif parts[3] == "exec":
            executed += ms
            n_exec += 1
    wall = float(done.stderr.rsplit("WALL", 1)[1].split()[0])
    return wall, int(n_created), created / 1000, int(n_exec), executed / 1000


def profile_subnormals(repeats=7):
    """An elementwise product on subnormal floats with 2 threads, ms per call.

    Flushing off; on the calling thread only (what sklstm did before the
    policy); on the calling thread and torch's pool threads (what the
    policy does with more than one thread). The product of a recurrent
    layer on vanishing gradients meets the same values.
    """
    from sklstm import _threads

    torch.set_num_threads(2)
    x = torch.full((4_000_000,), 1e-39)
    (x * 0.5).sum()  # the pool exists
    times = {}
    for _ in range(repeats):
        for label in ("no flushing", "calling thread only", "calling and pool threads"):
            torch.set_flush_denormal(label != "no flushing")
            pool = label == "calling and pool threads" and _threads._flush_pool(2, True)
            start = time.perf_counter()
            for _ in range(10):
                x * 0.5
            times.setdefault(label, []).append(100 * (time.perf_counter() - start))
            if pool:
                _threads._flush_pool(2, False)
            torch.set_flush_denormal(False)
    torch.set_num_threads(DEFAULT_THREADS)
    return {k: statistics.median(v) for k, v in times.items()}


def profile(loaded_too=True):
    print("\n## Profile: ItalyPowerDemand fit, 3 epochs, caller 2 threads\n")
    rows = []
    for loaded in (False, True) if loaded_too else (False,):
        for n_jobs in (1, 2):
            wall, in_ops, top = profile_ops(n_jobs, loaded)
            rows.append([
                "busy loop" if loaded else "idle", f"n_jobs={n_jobs}",
                f"{wall:.2f}", f"{in_ops:.2f}", f"{wall - in_ops:.2f}",
                "; ".join(f"{k} {t:.2f}" for k, t in top),
            ])
    print_table(["load", "threads", "wall s", "in torch ops s", "outside s",
                 "top operators (self s)"], rows)
    print("\n## oneDNN verbose (ONEDNN_VERBOSE=2), same fit in a subprocess\n")
    rows = []
    for loaded in (False, True) if loaded_too else (False,):
        for n_jobs in (1, 2):
            wall, n_created, created, n_exec, executed = profile_onednn(n_jobs, loaded)
            rows.append([
                "busy loop" if loaded else "idle", f"n_jobs={n_jobs}", f"{wall:.2f}",
                n_created, f"{created:.3f}", n_exec, f"{executed:.2f}",
            ])
    print_table(["load", "threads", "wall s", "primitives created (cache misses)",
                 "creation s",
                 "executions", "execution s"], rows)
    print("\n## Subnormals: x * 0.5 on 4,000,000 subnormal floats, 2 threads, no busy loop\n")
    rows = [[k, f"{v:.1f}"] for k, v in profile_subnormals().items()]
    print_table(["flushing on", "ms per product"], rows)


def demo_times(repeats=2):
    """The whole ``sklstm demo``, caller's default count against 1 thread."""
    import io

    from sklstm._cli import demo

    rows = []
    # imports, data loading and oneDNN's first primitives, paid once
    torch.set_num_threads(1)
    run_italy(italy(), None, 1)
    for loaded in (False, True):
        with Load(loaded):
            for r in range(repeats):
                order = (DEFAULT_THREADS, 1) if r % 2 == 0 else (1, DEFAULT_THREADS)
                for caller in order:
                    torch.set_num_threads(caller)
                    start = time.perf_counter()
                    demo(output=os.devnull, stream=io.StringIO())
                    rows.append(["busy loop" if loaded else "idle", caller,
                                 f"{time.perf_counter() - start:.1f}"])
    torch.set_num_threads(DEFAULT_THREADS)
    print("\n## The whole demo (100 epochs each model, defaults)\n")
    print_table(["load", "caller threads", "wall s"], rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="2 repeats, no profile")
    parser.add_argument("--demo", action="store_true", help="also time the whole demo")
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else args.repeats
    print(
        f"# torch {torch.__version__}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, torch default threads={DEFAULT_THREADS}, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    start = time.perf_counter()
    results = measure(repeats)
    print(f"\n## Fit and predict, medians of {repeats} interleaved repeats\n")
    print_results(results)
    if args.demo:
        demo_times()
    if not (args.quick or args.no_profile):
        profile()
    print(f"\n# {time.perf_counter() - start:.0f} s in all, load average "
          f"{os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()

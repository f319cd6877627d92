"""Precision: what ``precision="bfloat16"`` costs in accuracy on shipped data.

bfloat16 autocast runs the LSTM's matrix products in bfloat16 (8 bits of
mantissa instead of 24) and keeps the weights, the optimizer and the loss in
float32; ``benchmarks/train_speed.py --bf16`` measures its speed. This script
trains the same models in both precisions, with several seeds, on:

* the airline passengers (``sklstm.datasets.load_airline``): one-step
  forecasts of the last 24 months from 12-month windows of the log series
  minus a log-linear trend fitted on the training months; the score is the
  mean absolute error in passengers;
* ItalyPowerDemand (``load_italy_power_demand``): the shipped train/test
  split (67 / 1,029 days of 24 hourly values); the score is test accuracy.

The table shows the mean and standard deviation over seeds and the CPU
time of the fits.

Usage::

    python benchmarks/precision.py
    python benchmarks/precision.py --seeds 0 1 2 3 4 5 6 7 8 9
"""

import time
import warnings

import numpy as np

from _common import PLAIN_LSTM, base_parser, print_table, setup


def airline(precision, seed):
    from sklstm import LSTMRegressor, make_windows
    from sklstm.datasets import load_airline

    values = load_airline().to_numpy(dtype=float)
    n_test, window = 24, 12
    months = np.arange(len(values))
    log_values = np.log(values)
    trend = np.polyval(
        np.polyfit(months[:-n_test], log_values[:-n_test], deg=1), months
    )
    deviation = log_values - trend
    X, y = make_windows(deviation, window_length=window)
    target_month = np.arange(window, len(values))
    train = target_month < len(values) - n_test
    est = LSTMRegressor(
        **PLAIN_LSTM,
        hidden_size=32, max_epochs=300, lr=0.01, batch_size=16,
        precision=precision, random_state=seed,
    ).fit(X[train], y[train])
    pred = np.exp(est.predict(X[~train]) + trend[target_month[~train]])
    return float(np.mean(np.abs(pred - values[target_month[~train]])))


def italy(precision, seed):
    from sklstm import LSTMClassifier
    from sklstm.datasets import load_italy_power_demand

    X_train, y_train = load_italy_power_demand(split="train", return_X_y=True)
    X_test, y_test = load_italy_power_demand(split="test", return_X_y=True)
    est = LSTMClassifier(
        **PLAIN_LSTM,
        hidden_size=32, max_epochs=150, lr=0.01, batch_size=16,
        precision=precision, random_state=seed,
    ).fit(X_train, y_train)
    return float(est.score(X_test, y_test))


def main():
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    setup(args)
    tasks = {
        "airline MAE (passengers)": airline,
        "ItalyPowerDemand accuracy": italy,
    }
    rows, summary = [], []
    for task, run in tasks.items():
        means = {}
        for precision in ("float32", "bfloat16"):
            scores, start = [], time.process_time()
            for seed in args.seeds:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    scores.append(run(precision, seed))
            seconds = time.process_time() - start
            means[precision] = np.mean(scores)
            rows.append(
                [task, precision, f"{np.mean(scores):.3f}", f"{np.std(scores):.3f}",
                 f"{min(scores):.3f}", f"{max(scores):.3f}",
                 f"{seconds / len(args.seeds):.1f}"]
            )
        summary.append(
            f"{task}: {means['float32']:.3f} (float32) vs "
            f"{means['bfloat16']:.3f} (bfloat16)"
        )
    print(f"# seeds {args.seeds}")
    print_table(
        ["task", "precision", "mean", "std", "min", "max", "cpu s/fit"], rows
    )
    print("summary (mean over seeds): " + "; ".join(summary))


if __name__ == "__main__":
    main()

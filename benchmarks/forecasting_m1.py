"""One global LSTMForecaster on the 181 yearly series of the M1 competition.

The M1 yearly set as the Monash forecasting archive distributes it (its
``.tsf`` file ships inside aeon, read here with aeon's loader, no download):
181 yearly series of 15 to 58 values. As in the archive, the forecast
horizon is 6 and the test rows are the last 6 values of each series; every
model is trained on the rest.

Models:

* ``LSTMForecaster(series_id="series", window_length=8, random_state=seed)``,
  otherwise defaults: one network over the windows of all 181 series. The
  default ``window_length=24`` is longer than 152 of the training series,
  which the forecaster refuses (a series needs ``window_length + 1`` rows);
  8 is the longest window every series allows (the shortest training series
  has 9 rows). ``--no-series-scale`` trains without the per-series scaling
  of panels (every series divided by 1), to measure what it brings;
* per-series baselines (statsmodels, one model per series): naive (last
  value), drift (the line through the first and last value), SES, Holt
  (additive trend), Theta and ARIMA(1,1,1) with drift... see ``BASELINES``;
* Ridge on the last 8 values, one model pooled over all series (each series
  divided by the same per-series scale as the forecaster's), fed back
  recursively.

Metric: MASE as in the Monash archive, the mean absolute error of the 6
forecasts over the in-sample mean absolute error of the one-step naive
forecast on the training rows (m=1 for yearly data), then the mean over the
181 series. The LSTM's figure is the mean and standard deviation over seeds.

Needs aeon and statsmodels (``pip install aeon statsmodels``). Usage::

    python benchmarks/forecasting_m1.py
    python benchmarks/forecasting_m1.py --seeds 1 --no-baselines
    python benchmarks/forecasting_m1.py --no-series-scale
"""

import statistics
import time
import warnings

import numpy as np
import pandas as pd
from _common import base_parser, print_markdown, setup

HORIZON = 6
WINDOW = 8


def load_m1_yearly():
    """name -> values of each series (aeon's bundled copy of the Monash file)."""
    from aeon.datasets import load_forecasting

    frame, meta = load_forecasting("m1_yearly_dataset", return_metadata=True)
    assert meta["forecast_horizon"] == HORIZON, meta
    return {
        str(name): np.asarray(values, dtype=float)
        for name, values in zip(frame["series_name"], frame["series_value"])
    }


def naive_scale(train):
    """The in-sample MAE of the one-step naive forecast (the MASE denominator)."""
    return float(np.mean(np.abs(np.diff(train))))


def naive(train, steps):
    return np.repeat(train[-1], steps)


def drift(train, steps):
    slope = (train[-1] - train[0]) / (len(train) - 1)
    return train[-1] + slope * np.arange(1, steps + 1)


def ses(train, steps):
    from statsmodels.tsa.holtwinters import SimpleExpSmoothing

    return (
        SimpleExpSmoothing(train, initialization_method="estimated")
        .fit()
        .forecast(steps)
    )


def holt(train, steps):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    model = ExponentialSmoothing(train, trend="add", initialization_method="estimated")
    return model.fit().forecast(steps)


def theta(train, steps):
    from statsmodels.tsa.forecasting.theta import ThetaModel

    return np.asarray(
        ThetaModel(train, period=1, deseasonalize=False).fit().forecast(steps)
    )


def arima(train, steps):
    from statsmodels.tsa.arima.model import ARIMA

    return ARIMA(train, order=(1, 1, 1), trend="t").fit().forecast(steps)


BASELINES = {
    "naive": naive,
    "drift": drift,
    "SES": ses,
    "Holt": holt,
    "Theta": theta,
    "ARIMA(1,1,1)+drift": arima,
}


def ridge_pooled(trains, steps):
    """One Ridge over the scaled lag windows of every series, recursive."""
    from numpy.lib.stride_tricks import sliding_window_view
    from sklearn.linear_model import Ridge

    scales = [naive_scale(t) or 1.0 for t in trains]
    Xs, ys = [], []
    for train, s in zip(trains, scales):
        z = train / s
        Xs.append(sliding_window_view(z[:-1], WINDOW))
        ys.append(z[WINDOW:])
    model = Ridge().fit(np.concatenate(Xs), np.concatenate(ys))
    out = []
    for train, s in zip(trains, scales):
        history = list(train[-WINDOW:] / s)
        pred = []
        for _ in range(steps):
            value = float(model.predict(np.array(history[-WINDOW:])[None])[0])
            pred.append(value)
            history.append(value)
        out.append(np.array(pred) * s)
    return out


def mean_mase(tests, preds, scales):
    return float(
        np.mean([np.mean(np.abs(t - p)) / s for t, p, s in zip(tests, preds, scales)])
    )


def main():
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument(
        "--no-series-scale",
        action="store_true",
        help="train the LSTM without the per-series scaling of panels",
    )
    args = parser.parse_args()
    setup(args)
    import sklstm._forecaster as forecaster_module
    from sklstm import LSTMForecaster

    if args.no_series_scale:
        forecaster_module._series_scale = lambda y: 1.0
        print("# per-series scaling switched off (every series divided by 1)")
    data = load_m1_yearly()
    names = list(data)
    trains = [data[k][:-HORIZON] for k in names]
    tests = [data[k][-HORIZON:] for k in names]
    scales = [naive_scale(t) for t in trains]
    lengths = np.array([len(t) for t in trains])
    print(
        f"# {len(names)} series, training rows {lengths.min()}..{lengths.max()} "
        f"(median {int(np.median(lengths))}), horizon {HORIZON}"
    )
    rows = []
    if not args.no_baselines:
        for label, fn in BASELINES.items():
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                preds = [np.asarray(fn(t, HORIZON), dtype=float) for t in trains]
            took = time.perf_counter() - start
            rows.append(
                [
                    label,
                    "per series",
                    f"{mean_mase(tests, preds, scales):.3f}",
                    f"{took:.1f}",
                ]
            )
            print(f"# {label}: {rows[-1][2]} ({took:.1f} s)", flush=True)
        start = time.perf_counter()
        preds = ridge_pooled(trains, HORIZON)
        took = time.perf_counter() - start
        rows.append(
            [
                f"Ridge on {WINDOW} lags",
                "global",
                f"{mean_mase(tests, preds, scales):.3f}",
                f"{took:.1f}",
            ]
        )
        print(f"# ridge: {rows[-1][2]} ({took:.1f} s)", flush=True)

    # the panel in long form: one row per value, the id in column "series"
    X = pd.DataFrame({"series": np.repeat(names, lengths)})
    y = np.concatenate(trains)
    X_future = pd.DataFrame({"series": np.repeat(names, HORIZON)})
    results, times = [], []
    for seed in range(args.seeds):
        f = LSTMForecaster(series_id="series", window_length=WINDOW, random_state=seed)
        start = time.perf_counter()
        f.fit(X, y)
        times.append(time.perf_counter() - start)
        pred = np.asarray(f.predict(X_future)).reshape(len(names), HORIZON)
        results.append(mean_mase(tests, list(pred), scales))
        print(
            f"# LSTM seed {seed}: MASE {results[-1]:.3f}, fit {times[-1]:.0f} s",
            flush=True,
        )
    spread = statistics.stdev(results) if len(results) > 1 else 0.0
    label = "LSTMForecaster" + (" (no series scale)" if args.no_series_scale else "")
    rows.append(
        [
            label,
            "global",
            f"{statistics.mean(results):.3f} ± {spread:.3f}",
            f"{statistics.mean(times):.0f}",
        ]
    )
    print()
    print_markdown(["model", "fitted", "mean MASE", "fit s (all series)"], rows)


if __name__ == "__main__":
    main()

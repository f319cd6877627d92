"""LSTMForecaster with its defaults on real series, next to one-second baselines.

Nine real series that ship inside PyPI packages (statsmodels' datasets and
sklstm's own airline series) are each forecast from several rolling origins:
the last ``n_origins * H`` rows are cut into consecutive blocks of ``H``
rows, each forecast from the row before it, every model refitted on all
rows up to the origin (``sklstm.backtest`` with ``refit=True``).

Models, all on the same training rows:

* ``LSTMForecaster(random_state=seed)``, defaults only (``--params`` passes
  extra forecaster parameters, to try a candidate default);
* seasonal naive (the value one season earlier; plain naive for annual data);
* Holt-Winters: statsmodels ``ExponentialSmoothing``, additive trend and, for
  seasonal data, additive seasonality;
* Ridge and HistGradientBoostingRegressor on the same lags as the
  forecaster (``window_length`` rows), one-step models fed back recursively;
* ARIMA: statsmodels ``SARIMAX`` with the fixed orders (1,1,1) and, for
  seasonal data, (0,1,1) seasonal: the airline model.

Metrics per series, averaged over origins: MASE (mean absolute error over the
in-sample MAE of the seasonal naive forecast on the training rows of that
origin) and MAPE (``mean(|y - y_hat| / |y|)`` over the rows where y != 0). The
LSTM's figures are the mean and standard deviation over seeds. With
``--interval-seeds k`` the first ``k`` seeds also fit
``LSTMForecaster(calibration="holdout")`` and report the share of test
points inside the 90 % split-conformal interval.

Needs statsmodels (``pip install statsmodels``). Usage::

    python benchmarks/forecasting.py
    python benchmarks/forecasting.py --seeds 1 --series co2 nile
    python benchmarks/forecasting.py --params '{"window_norm": null}'
    python benchmarks/forecasting.py --regressor-params '{"weight_decay": 0.01}'
"""

import json
import statistics
import time
import warnings

import numpy as np
import pandas as pd
from _common import base_parser, setup

MAX_ROWS = 300  # longer series keep their last MAX_ROWS rows


def load_series():
    """name -> (series, season length, forecast horizon)."""
    import statsmodels.api as sm

    from sklstm.datasets import load_airline

    out = {}
    airline = load_airline().astype(float)
    out["airline"] = (airline, 12, 12)
    co2 = sm.datasets.co2.load_pandas().data["co2"]
    co2 = co2.resample("MS").mean().interpolate()
    out["co2"] = (co2, 12, 12)
    elnino = sm.datasets.elnino.load_pandas().data.set_index("YEAR")
    values = elnino.to_numpy(dtype=float).ravel()
    start = f"{int(elnino.index[0])}-01"
    out["elnino"] = (
        pd.Series(values, index=pd.date_range(start, periods=len(values), freq="MS")),
        12,
        12,
    )
    macro = sm.datasets.macrodata.load_pandas().data
    quarters = pd.date_range("1959-01", periods=len(macro), freq="QS")
    for column in ("realgdp", "cpi", "unemp", "realinv"):
        out[column] = (pd.Series(macro[column].to_numpy(float), index=quarters), 4, 8)
    sun = sm.datasets.sunspots.load_pandas().data
    out["sunspots"] = (
        pd.Series(
            sun["SUNACTIVITY"].to_numpy(float),
            index=pd.date_range("1700", periods=len(sun), freq="YS"),
        ),
        1,
        10,
    )
    nile = sm.datasets.nile.load_pandas().data
    out["nile"] = (
        pd.Series(
            nile["volume"].to_numpy(float),
            index=pd.date_range("1871", periods=len(nile), freq="YS"),
        ),
        1,
        5,
    )
    return {k: (s.iloc[-MAX_ROWS:].rename(k), m, h) for k, (s, m, h) in out.items()}


def seasonal_naive(train, m, steps):
    last = train[-m:]
    return np.array([last[k % m] for k in range(steps)])


def holt_winters(train, m, steps):
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    seasonal = "add" if m > 1 else None
    model = ExponentialSmoothing(
        train, trend="add", seasonal=seasonal, seasonal_periods=m if m > 1 else None
    ).fit()
    return model.forecast(steps)


def arima(train, m, steps):
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    seasonal = (0, 1, 1, m) if m > 1 else (0, 0, 0, 0)
    model = SARIMAX(train, order=(1, 1, 1), seasonal_order=seasonal)
    return model.fit(disp=False).forecast(steps)


def lag_model(make):
    def forecast(train, m, steps, lags):
        from numpy.lib.stride_tricks import sliding_window_view

        X = sliding_window_view(train[:-1], lags)
        y = train[lags:]
        model = make().fit(X, y)
        history = list(train[-lags:])
        out = []
        for _ in range(steps):
            value = float(model.predict(np.array(history[-lags:])[None])[0])
            out.append(value)
            history.append(value)
        return np.array(out)

    return forecast


def mase_scale(train, m):
    return np.mean(np.abs(train[m:] - train[:-m]))


def mape(y, pred):
    ok = y != 0
    return float(np.mean(np.abs(y[ok] - pred[ok]) / np.abs(y[ok])))


def main():
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--seed-list", type=int, nargs="*", default=None,
        help="run these seeds instead of range(--seeds)",
    )
    parser.add_argument("--interval-seeds", type=int, default=1)
    parser.add_argument("--origins", type=int, default=3)
    parser.add_argument("--series", nargs="*", default=None)
    parser.add_argument("--params", default="{}", help="JSON forecaster params")
    parser.add_argument(
        "--regressor-params",
        default="{}",
        help="JSON LSTMRegressor params (the forecaster's regressor)",
    )
    parser.add_argument("--no-baselines", action="store_true")
    args = parser.parse_args()
    setup(args)
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import Ridge

    from sklstm import LSTMForecaster, LSTMRegressor, backtest

    params = json.loads(args.params)
    if params:
        print(f"# forecaster params: {params}")
    regressor_params = json.loads(args.regressor_params)
    if regressor_params:
        print(f"# regressor params: {regressor_params}")
        params["regressor"] = LSTMRegressor(**regressor_params)
    data = load_series()
    names = args.series or list(data)
    window = LSTMForecaster(**params).window_length
    baselines = {
        "snaive": lambda tr, m, s: seasonal_naive(tr, m, s),
        "holt_winters": holt_winters,
        "ridge": lambda tr, m, s: lag_model(Ridge)(tr, m, s, window),
        "hgb": lambda tr, m, s: lag_model(
            lambda: HistGradientBoostingRegressor(random_state=0)
        )(tr, m, s, window),
        "arima": arima,
    }
    if args.no_baselines:
        baselines = {"snaive": baselines["snaive"]}
    rows = []
    coverage_hits = []
    total_start = time.perf_counter()
    for name in names:
        series, m, H = data[name]
        n = len(series)
        cuts = [n - (args.origins - j) * H for j in range(args.origins)]
        scales = [mase_scale(series.to_numpy()[:c], m) for c in cuts]
        y_all = series.to_numpy()
        result = {"series": name, "n": n, "m": m, "H": H}
        # baselines
        for label, fn in baselines.items():
            mases, mapes, times = [], [], []
            for cut, scale in zip(cuts, scales):
                train, test = y_all[:cut], y_all[cut : cut + H]
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    pred = np.asarray(fn(train, m, H), dtype=float)
                times.append(time.perf_counter() - start)
                mases.append(np.mean(np.abs(test - pred)) / scale)
                mapes.append(mape(test, pred))
            result[label] = (np.mean(mases), np.mean(mapes), np.mean(times))
        # the forecaster
        seed_mase, seed_mape, fit_times = [], [], []
        seeds = args.seed_list if args.seed_list is not None else range(args.seeds)
        for rank, seed in enumerate(seeds):
            forecaster = LSTMForecaster(random_state=seed, **params)
            start = time.perf_counter()
            frame = backtest(forecaster, series, steps=H, n_origins=args.origins)
            fit_times.append((time.perf_counter() - start) / args.origins)
            mases, mapes = [], []
            for j, scale in enumerate(scales):
                part = frame.iloc[j * H : (j + 1) * H]
                y, pred = part["y"].to_numpy(), part["prediction"].to_numpy()
                mases.append(np.mean(np.abs(y - pred)) / scale)
                mapes.append(mape(y, pred))
            seed_mase.append(np.mean(mases))
            seed_mape.append(np.mean(mapes))
            if rank < args.interval_seeds:
                calibrated = LSTMForecaster(
                    random_state=seed, calibration="holdout", **params
                )
                frame = backtest(
                    calibrated, series, steps=H, n_origins=args.origins, coverage=0.9
                )
                inside = (frame["y"] >= frame["lower"]) & (frame["y"] <= frame["upper"])
                result.setdefault("coverage", []).append(float(inside.mean()))
                coverage_hits.extend(inside.tolist())
        result["lstm"] = (
            statistics.mean(seed_mase),
            statistics.pstdev(seed_mase) if len(seed_mase) > 1 else 0.0,
            statistics.mean(seed_mape),
            statistics.mean(fit_times),
        )
        rows.append(result)
        per_seed = " ".join(f"{v:.4f}" for v in seed_mase)
        print(
            f"# {name} seeds {list(seeds)} MASE {per_seed} MAPE "
            + " ".join(f"{v:.4f}" for v in seed_mape)
            + f" fit {statistics.mean(fit_times):.1f} s coverage {result.get('coverage')}",
            flush=True,
        )
        print(f"# {name} done ({time.perf_counter() - total_start:.0f} s)", flush=True)

    labels = list(baselines)
    print()
    header = ["series", "n", "H", "LSTM MASE", "LSTM MAPE"] + [
        f"{label} MASE" for label in labels
    ] + ["LSTM fit s", "90% cov"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    wins = {label: 0 for label in labels}
    wins_best = 0
    spread_ok = 0
    for r in rows:
        mean, std, mape_mean, fit = r["lstm"]
        cov = r.get("coverage")
        cells = [
            r["series"],
            str(r["n"]),
            str(r["H"]),
            f"{mean:.3f} ± {std:.3f}",
            f"{mape_mean:.4f}",
        ]
        cells += [f"{r[label][0]:.3f}" for label in labels]
        cells += [f"{fit:.1f}", f"{np.mean(cov):.2f}" if cov else "-"]
        print("| " + " | ".join(cells) + " |")
        for label in labels:
            wins[label] += mean < r[label][0]
        others = [r[label][0] for label in labels if label != "snaive"]
        wins_best += bool(others) and mean < min(others)
        spread_ok += std < 0.1 * mean
    print()
    print("| baseline | MAPE per series | mean fit s |")
    print("|---|---|---|")
    for label in labels:
        mapes = " ".join(f"{r[label][1]:.4f}" for r in rows)
        fits = np.mean([r[label][2] for r in rows])
        print(f"| {label} | {mapes} | {fits:.2f} |")
    print()
    summary = ", ".join(f"{label} {wins[label]}/{len(rows)}" for label in labels)
    print(f"LSTM beats: {summary}; best other baseline {wins_best}/{len(rows)}")
    print(f"seed std < 10% of mean MASE: {spread_ok}/{len(rows)}")
    if coverage_hits:
        print(
            f"90% interval coverage: {np.mean(coverage_hits):.3f} "
            f"over {len(coverage_hits)} test points"
        )
    mean_mase = np.mean([r["lstm"][0] for r in rows])
    print(f"mean LSTM MASE {mean_mase:.3f}; total {time.perf_counter() - total_start:.0f} s")


if __name__ == "__main__":
    main()

"""The ``sklstm`` command: ``sklstm demo`` runs the main job on shipped data."""

import argparse
import sys
import time

import numpy as np

__all__ = ["main"]


def _step(stream, text):
    """Print where the demo is; returns the start time of the step."""
    print(text, file=stream, flush=True)
    return time.perf_counter()


def _done(stream, start):
    print(f"  done in {time.perf_counter() - start:.1f} s", file=stream, flush=True)


def _epochs(model):
    n = model.max_epochs
    return f"{n} epoch" if n == 1 else f"{n} epochs"


def _progress_bar(stream):
    """verbose for the fits: a progress bar when the output is a terminal."""
    isatty = getattr(stream, "isatty", None)
    return int(bool(isatty and isatty()))


def _forecast_airline(random_state, stream=None):
    """Fit on 1949-1957, forecast 1958-1960 recursively; MAPE vs seasonal naive."""
    from . import LSTMRegressor, make_windows
    from .datasets import load_airline

    series = load_airline()
    values = series.to_numpy(dtype=float)
    train, test = values[:108], values[108:]
    window = 12
    X, y = make_windows(train, window_length=window)
    model = LSTMRegressor(random_state=random_state, verbose=_progress_bar(stream))
    start = time.perf_counter()
    step = _step(
        stream,
        f"Fitting the forecaster on airline 1949-1957 ({len(X)} windows of "
        f"{window} months, {_epochs(model)})...",
    )
    model.fit(X, y)
    _done(stream, step)
    step = _step(stream, f"Forecasting {len(test)} months, one at a time...")
    history = list(train)
    for _ in range(len(test)):
        recent = np.asarray(history[-window:]).reshape(1, window, 1)
        history.append(model.predict(recent)[0])
    _done(stream, step)
    elapsed = time.perf_counter() - start
    forecast = np.asarray(history[len(train) :])
    naive = np.tile(train[-12:], 3)

    def mape(pred):
        return float(np.mean(np.abs(pred - test) / np.abs(test)))

    return {
        "series": series,
        "forecast": forecast,
        "naive": naive,
        "mape": mape(forecast),
        "naive_mape": mape(naive),
        "seconds": elapsed,
    }


def _classify_italy(random_state, stream=None):
    """Fit on the ItalyPowerDemand train split; accuracy vs the majority class."""
    from . import LSTMClassifier
    from .datasets import load_italy_power_demand

    X_train, y_train, X_test, y_test = load_italy_power_demand(return_X_y=True)
    model = LSTMClassifier(random_state=random_state, verbose=_progress_bar(stream))
    start = time.perf_counter()
    step = _step(
        stream,
        f"Fitting the classifier on ItalyPowerDemand ({len(X_train)} sequences "
        f"of {X_train.shape[1]} steps, {_epochs(model)})...",
    )
    model.fit(X_train, y_train)
    _done(stream, step)
    step = _step(stream, f"Scoring it on {len(X_test):,} test sequences...")
    accuracy = model.score(X_test, y_test)
    _done(stream, step)
    elapsed = time.perf_counter() - start
    labels, counts = np.unique(y_train, return_counts=True)
    majority = labels[np.argmax(counts)]
    return {
        "accuracy": float(accuracy),
        "majority_accuracy": float(np.mean(y_test == majority)),
        "seconds": elapsed,
    }


def _save_plot(airline, path):
    """Forecast plot; returns False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig = _demo_figure(airline, plt)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def _demo_figure(airline, plt):
    """The demo's forecast figure, each model's score in the legend."""
    series = airline["series"]
    index = series.index
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(index, series.to_numpy(), color="0.3", label="observed")
    ax.plot(
        index[108:],
        airline["forecast"],
        label=f"LSTMRegressor forecast (MAPE {airline['mape']:.3f})",
    )
    ax.plot(
        index[108:],
        airline["naive"],
        linestyle="--",
        label=f"seasonal naive (MAPE {airline['naive_mape']:.3f})",
    )
    ax.axvline(index[108], color="0.6", linestyle=":")
    ax.set_xlabel("month")
    ax.set_ylabel("passengers (thousands)")
    ax.set_title("Airline passengers: 36-month forecast from January 1958")
    ax.legend()
    fig.tight_layout()
    return fig


def demo(output="sklstm_demo.png", random_state=0, stream=None):
    """Train a forecaster and a classifier on shipped data and print scores."""
    stream = sys.stdout if stream is None else stream
    print(
        f"sklstm demo (default parameters, random_state={random_state})\n",
        file=stream,
        flush=True,
    )
    airline = _forecast_airline(random_state, stream)
    italy = _classify_italy(random_state, stream)
    step = _step(stream, "Saving the forecast plot...")
    saved = _save_plot(airline, output)
    _done(stream, step)
    lines = [
        "",
        "Forecasting: airline passengers, train 1949-1957, forecast 36 months",
        f"  LSTMRegressor    MAPE {airline['mape']:.3f}  ({airline['seconds']:.1f} s)",
        f"  seasonal naive   MAPE {airline['naive_mape']:.3f}",
        "",
        "Classification: ItalyPowerDemand, train 67 / test 1029 sequences",
        f"  LSTMClassifier   accuracy {italy['accuracy']:.3f}"
        f"  ({italy['seconds']:.1f} s)",
        f"  majority class   accuracy {italy['majority_accuracy']:.3f}",
        "",
    ]
    if saved:
        lines.append(f"Forecast plot saved to {output}")
    else:
        lines.append(
            "Plot skipped: matplotlib is missing (from a checkout: "
            "pip install '.[plots]')."
        )
    print("\n".join(lines), file=stream)
    return {"airline": airline, "italy": italy}


def main(argv=None):
    """Entry point of the ``sklstm`` command."""
    parser = argparse.ArgumentParser(
        prog="sklstm", description="scikit-learn compatible LSTM estimators."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "demo",
        help="train a forecaster and a classifier on shipped data, print "
        "their scores next to naive baselines and save a plot",
    )
    run.add_argument(
        "--output", default="sklstm_demo.png", help="where to save the plot (PNG)"
    )
    run.add_argument("--random-state", type=int, default=0, help="seed")
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(output=args.output, random_state=args.random_state)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The ``sklstm`` command: ``sklstm demo`` runs the main job on shipped data."""

import argparse
import sys
import time

import numpy as np

__all__ = ["main"]


def _forecast_airline(random_state):
    """Fit on 1949-1957, forecast 1958-1960 recursively; MAPE vs seasonal naive."""
    from . import LSTMRegressor, make_windows
    from .datasets import load_airline

    series = load_airline()
    values = series.to_numpy(dtype=float)
    train, test = values[:108], values[108:]
    window = 12
    X, y = make_windows(train, window_length=window)
    start = time.perf_counter()
    model = LSTMRegressor(random_state=random_state).fit(X, y)
    history = list(train)
    for _ in range(len(test)):
        recent = np.asarray(history[-window:]).reshape(1, window, 1)
        history.append(model.predict(recent)[0])
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


def _classify_italy(random_state):
    """Fit on the ItalyPowerDemand train split; accuracy vs the majority class."""
    from . import LSTMClassifier
    from .datasets import load_italy_power_demand

    X_train, y_train, X_test, y_test = load_italy_power_demand(return_X_y=True)
    start = time.perf_counter()
    model = LSTMClassifier(random_state=random_state).fit(X_train, y_train)
    accuracy = model.score(X_test, y_test)
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
    airline = _forecast_airline(random_state)
    italy = _classify_italy(random_state)
    lines = [
        "sklstm demo (default parameters, random_state=%d)" % random_state,
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
    if _save_plot(airline, output):
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

"""
Forecasts with prediction intervals, and a rolling backtest
===========================================================

:class:`sklstm.LSTMForecaster` turns an :class:`sklstm.LSTMRegressor` into a
forecaster whose rows are timestamps: ``fit(X, y)`` on the history,
``forecast(steps)`` (or ``predict(X_future)`` with covariates) for the rows
that follow. With ``calibration="holdout"`` the network is trained on the
history without its last quarter, forecasts from every origin in that
quarter give the errors of each forecast step, and
:meth:`~sklstm.LSTMForecaster.forecast_interval` turns them into
split-conformal intervals. :func:`sklstm.backtest` then checks how often
such intervals hold the actual values, from several origins.
"""

from sklstm import LSTMForecaster, backtest
from sklstm.datasets import load_airline

# %%
# A year ahead, with a 90 % interval
# ----------------------------------
y = load_airline().astype(float)
train, test = y[:-12], y[-12:]
forecaster = LSTMForecaster(calibration="holdout", random_state=0)
forecaster.fit(None, train)
fan = forecaster.forecast_interval(12, coverage=0.9)
inside = ((test >= fan["lower"]) & (test <= fan["upper"])).mean()
mape = (abs(fan["prediction"] - test) / test).mean()
print(f"MAPE {mape:.3f}; 90 % interval holds {inside:.2f} of the 12 months")
print(fan.head(3).round(1))

# %%
# Rolling-origin backtest without refitting
# -----------------------------------------
# ``refit=False`` fits once, before the first origin, and moves the origin
# with :meth:`~sklstm.LSTMForecaster.update`: a cheap check of the
# intervals on the three years that follow 1957.
results = backtest(forecaster, y, steps=12, n_origins=3, refit=False, coverage=0.9)
results["ape"] = abs(results["prediction"] - results["y"]) / results["y"]
results["inside"] = (results["y"] >= results["lower"]) & (results["y"] <= results["upper"])
by_origin = results.groupby("origin")[["ape", "inside"]].mean()
print(by_origin.round(3))

# %%
# Plot: the fan of the one-year forecast
# --------------------------------------
try:
    import matplotlib.pyplot as plt
except ImportError:  # matplotlib is optional
    plt = None

if plt is not None:
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(train.index[-48:], train[-48:], color="0.3", label="history")
    ax.plot(test.index, test, color="black", label="actual")
    ax.plot(fan.index, fan["prediction"], color="C0", label="forecast")
    ax.fill_between(
        fan.index, fan["lower"], fan["upper"], color="C0", alpha=0.25, label="90 % interval"
    )
    ax.set_ylabel("passengers (thousands)")
    ax.legend(loc="upper left")
    ax.set_title("Split-conformal interval around the LSTM forecast")
    plt.show()

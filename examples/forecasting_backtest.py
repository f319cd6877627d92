"""
Backtesting a forecaster from several origins
=============================================

One train/test split says how a forecaster did on one year; a backtest
asks the same question from several origins. :func:`sklstm.backtest` cuts
the last ``n_origins * steps`` rows of a series into blocks, forecasts each
block from the row before it, and returns one row per forecast in a long
DataFrame (origin, timestamp, step, actual value, forecast, and the
interval bounds with ``coverage``). With ``refit=False`` the forecaster is
fitted once, before the first origin, and moved from origin to origin with
:meth:`~sklstm.LSTMForecaster.update`, without training again.
:func:`sklstm.plotting.plot_backtest` draws every forecast path against the
series.
"""

from sklstm import LSTMForecaster, LSTMRegressor, backtest
from sklstm.datasets import load_airline

# %%
# Four yearly origins, with 90 % intervals
# ----------------------------------------
y = load_airline().astype(float)
net = LSTMRegressor(
    hidden_size=16, bidirectional=False, conv_channels=None, max_epochs=60, lr=1e-2
)
# a year of history per window: the first fit sees only the 96 months
# before 1957, a quarter of them held out for calibration
forecaster = LSTMForecaster(
    net, window_length=12, calibration="holdout", random_state=0
)
results = backtest(forecaster, y, steps=12, n_origins=4, refit=False, coverage=0.9)
print(results.head(3).round({"y": 1, "prediction": 1, "lower": 1, "upper": 1}))

# %%
# Scores per origin, against the same month one year earlier
# ----------------------------------------------------------
# The seasonal naive forecast repeats the last observed year: the score to
# beat for a monthly series with a strong yearly pattern.
results["naive"] = y.shift(12).loc[results["timestamp"]].to_numpy()
results["ape"] = abs(results["prediction"] - results["y"]) / results["y"]
results["ape_naive"] = abs(results["naive"] - results["y"]) / results["y"]
results["inside"] = results["y"].between(results["lower"], results["upper"])
by_origin = results.groupby("origin")[["ape", "ape_naive", "inside"]].mean()
print(by_origin.round(3))
mape, mape_naive = results["ape"].mean(), results["ape_naive"].mean()
print(f"MAPE {mape:.3f} (seasonal naive {mape_naive:.3f})")
print(
    f"90 % intervals hold {results['inside'].mean():.2f} "
    f"of the {len(results)} forecasts"
)

# %%
# Coverage by step ahead
# ----------------------
# The calibration gives each step its own width; a backtest shows whether
# the far steps hold their coverage as well as the near ones.
by_step = results.groupby("step")[["inside"]].mean()
by_step["mean width"] = (
    (results["upper"] - results["lower"]).groupby(results["step"]).mean()
)
print(by_step.T.round(2).to_string())

# %%
# Plot: every forecast path against the series
# --------------------------------------------
try:
    import matplotlib.pyplot as plt

    from sklstm.plotting import plot_backtest
except ImportError:  # matplotlib is optional
    plt = None

if plt is not None:
    ax = plot_backtest(results, y=y[-72:])
    ax.set_ylabel("passengers (thousands)")
    ax.set_title("Rolling-origin backtest: one year ahead from four origins")
    plt.show()

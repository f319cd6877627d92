"""
Forecasts with prediction intervals, as a fan
=============================================

:class:`sklstm.LSTMForecaster` turns an :class:`sklstm.LSTMRegressor` into a
forecaster whose rows are timestamps: ``fit(X, y)`` on the history,
``forecast(steps)`` (or ``predict(X_future)`` with covariates) for the rows
that follow. With ``calibration="holdout"`` the network is trained on the
history without its last quarter, forecasts from every origin in that
quarter give the errors of each forecast step, and
:meth:`~sklstm.LSTMForecaster.forecast_interval` turns them into
split-conformal intervals, wider for the steps further ahead.
:func:`sklstm.plotting.plot_interval` draws several coverages at once as a
fan chart. The example ``forecasting_backtest.py`` checks such intervals
from several origins.
"""

from sklstm import LSTMForecaster, LSTMRegressor
from sklstm.datasets import load_airline

# %%
# A year ahead, with a 90 % interval
# ----------------------------------
y = load_airline().astype(float)
train, test = y[:-12], y[-12:]
net = LSTMRegressor(
    hidden_size=16, bidirectional=False, conv_channels=None, max_epochs=60, lr=1e-2
)
forecaster = LSTMForecaster(net, calibration="holdout", random_state=0)
forecaster.fit(None, train)
interval = forecaster.forecast_interval(12, coverage=0.9)
inside = ((test >= interval["lower"]) & (test <= interval["upper"])).mean()
mape = (abs(interval["prediction"] - test) / test).mean()
print(f"MAPE {mape:.3f}; 90 % interval holds {inside:.2f} of the 12 months")
print(interval.head(3).round(1))

# %%
# A fan: several coverages from the same residuals
# ------------------------------------------------
# The calibration residuals are computed once, in ``fit``; each coverage
# only takes another quantile of them, so a fan costs no extra training.
coverages = (0.5, 0.8, 0.95)
fan = {c: forecaster.forecast_interval(12, coverage=c) for c in coverages}
for c, frame in fan.items():
    held = ((test >= frame["lower"]) & (test <= frame["upper"])).mean()
    width = (frame["upper"] - frame["lower"]).mean()
    print(
        f"{100 * c:g} % interval: mean width {width:5.1f}, "
        f"holds {held:.2f} of the months"
    )

# %%
# Plot: the fan of the one-year forecast
# --------------------------------------
try:
    import matplotlib.pyplot as plt

    from sklstm.plotting import plot_interval
except ImportError:  # matplotlib is optional
    plt = None

if plt is not None:
    ax = plot_interval(fan, y_train=train[-48:], y_true=test)
    ax.set_ylabel("passengers (thousands)")
    ax.set_title("Split-conformal intervals around the LSTM forecast")
    plt.show()

"""
Forecasting with covariates: known in advance, or only observed
===============================================================

Covariates are columns of ``X`` on the rows of the series. Some are known
for the days to forecast (the calendar, the promotions already planned):
:class:`sklstm.LSTMForecaster` lists them in ``future_covariates`` and each
forecast reads their values on the forecast days, so ``X_future`` must hold
them. Others are only observed up to today (the weather measured so far):
``past_covariates`` lists them, forecasts read them up to the origin, and
``X_future`` need not hold them. This example simulates the daily sales of
a shop that depend on the weekday, on planned promotions and on
yesterday's temperature, and forecasts four weeks with and without the
covariates.
"""

import numpy as np
import pandas as pd

from sklstm import LSTMForecaster, LSTMRegressor

# %%
# A year of simulated daily sales
# -------------------------------
# Sales rise at the weekend, on promotion days (about one day in ten,
# planned ahead) and with the temperature of the day before.
rng = np.random.RandomState(0)
days = pd.date_range("2023-01-01", periods=365, freq="D", name="day")
season = 12 - 8 * np.cos(2 * np.pi * np.arange(len(days)) / 365.25)
temperature = season + np.cumsum(rng.normal(0, 0.6, len(days))) * 0.3
promotion = (rng.rand(len(days)) < 0.1).astype(float)
weekend = (days.dayofweek >= 5).astype(float)
yesterday = np.concatenate([[temperature[0]], temperature[:-1]])
sales = (
    100 + 20 * weekend + 35 * promotion + 2.0 * yesterday + rng.normal(0, 4, len(days))
)
y = pd.Series(sales, index=days, name="sales")
X = pd.DataFrame(
    {
        "temperature": temperature,  # observed, not known ahead: past only
        "promotion": promotion,  # planned: known ahead
        "weekday_sin": np.sin(2 * np.pi * days.dayofweek / 7),  # calendar
        "weekday_cos": np.cos(2 * np.pi * days.dayofweek / 7),
    },
    index=days,
)
steps = 28
X_train, X_test, y_train, y_test = X[:-steps], X[-steps:], y[:-steps], y[-steps:]

# %%
# One forecaster with both kinds of covariates, one without
# ---------------------------------------------------------
# ``future_covariates`` could be left out here: by default every column not
# in ``past_covariates`` is known in advance.
net = LSTMRegressor(
    hidden_size=16, bidirectional=False, conv_channels=None, max_epochs=20, lr=1e-2
)
with_covariates = LSTMForecaster(
    net,
    window_length=14,
    past_covariates=["temperature"],
    future_covariates=["promotion", "weekday_sin", "weekday_cos"],
    random_state=0,
).fit(X_train, y_train)
alone = LSTMForecaster(net, window_length=14, random_state=0).fit(None, y_train)

# X_future holds the known columns only: the temperature of the coming
# days is not known yet, and not needed
X_future = X_test[["promotion", "weekday_sin", "weekday_cos"]]
pred = with_covariates.predict(X_future)
# without the calendar, the network has to read the weekday from the last
# 14 days of sales, which these few epochs do not teach it
pred_alone = alone.forecast(steps)
seasonal_naive = y_train[-7:].to_numpy()[np.arange(steps) % 7]


def mae(forecast):
    return np.mean(np.abs(np.asarray(forecast) - y_test.to_numpy()))


print(f"MAE over {steps} days, with covariates   : {mae(pred):.2f}")
print(f"MAE over {steps} days, sales alone       : {mae(pred_alone):.2f}")
print(f"MAE over {steps} days, same day last week: {mae(seasonal_naive):.2f}")

# %%
# A known covariate missing from X_future
# ---------------------------------------
# Each forecast step reads the planned promotions, so a frame without them
# is refused with an error that names the column.
try:
    with_covariates.predict(X_future.drop(columns="promotion"))
except ValueError as error:
    print(f"ValueError: {error}")

# %%
# Plot
# ----
try:
    import matplotlib.pyplot as plt

    from sklstm.plotting import plot_forecast
except ImportError:  # matplotlib is optional
    plt = None

if plt is not None:
    ax = plot_forecast(y_test, pred, y_train=y_train[-42:])
    ax.plot(
        pred_alone.index,
        pred_alone,
        color="tab:orange",
        linestyle=":",
        label="forecast, sales alone",
    )
    promo_days = X_test.index[X_test["promotion"] == 1]
    ax.plot(promo_days, y_test[promo_days], "v", color="tab:red", label="promotion")
    ax.legend(loc="upper left")
    ax.set_title("Four weeks ahead, with planned promotions and the calendar")
    plt.show()

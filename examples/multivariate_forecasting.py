"""
Forecasting from several input series
=====================================

A forecast often depends on more than the past of the series itself. This
example simulates a heated room, hour by hour: the room temperature drifts
towards the outdoor temperature and rises while a heater runs, and the
heater switches on and off at random times. :func:`sklstm.make_windows`
cuts the three series (room, outdoor, heater) into windows of shape
``(n_windows, 12, 3)``, and :class:`sklstm.LSTMRegressor` forecasts the
room temperature of the next hour. The same model given the room
temperature alone cannot know when the heater runs, and does worse, as
does repeating the last value.
"""

import numpy as np
import pandas as pd

from sklstm import LSTMRegressor, make_windows

# %%
# A simulated room
# ----------------
# First-order dynamics: each hour the room loses 10 % of its difference to
# the outdoor temperature and gains 1.5 degrees while the heater runs.
rng = np.random.RandomState(0)
n_hours = 720  # 30 days
hours = np.arange(n_hours)
weather = np.zeros(n_hours)  # slow day-to-day changes of the weather
for t in range(1, n_hours):
    weather[t] = 0.98 * weather[t - 1] + rng.normal(0, 0.4)
outdoor = 5 + 5 * np.sin(2 * np.pi * (hours - 9) / 24) + weather
heater = np.zeros(n_hours)
for t in range(1, n_hours):  # on/off periods lasting about 5 hours
    heater[t] = 1 - heater[t - 1] if rng.rand() < 0.2 else heater[t - 1]
room = np.empty(n_hours)
room[0] = 15.0
for t in range(n_hours - 1):
    room[t + 1] = (
        room[t] + 0.1 * (outdoor[t] - room[t]) + 1.5 * heater[t] + rng.normal(0, 0.2)
    )
data = pd.DataFrame({"room": room, "outdoor": outdoor, "heater": heater})
print(data.describe().loc[["mean", "min", "max"]].round(1))

# %%
# Windows of the three series
# ---------------------------
# For a table of several columns, ``y`` holds the next row of every column,
# of shape ``(n_windows, horizon, n_features)``; the room temperature is
# column 0.
window_length = 12
X, y_next = make_windows(data.to_numpy(), window_length=window_length)
y = y_next[:, 0, 0]
split = int(0.8 * len(X))  # the last 20 % of the hours for testing
X_train, X_test, y_train, y_test = X[:split], X[split:], y[:split], y[split:]
print(f"X {X.shape}, y {y.shape}")

# %%
# All three inputs, against the room temperature alone
# ----------------------------------------------------
params = dict(hidden_size=16, max_epochs=20, lr=1e-2, random_state=0)
multi = LSTMRegressor(**params).fit(X_train, y_train)
single = LSTMRegressor(**params).fit(X_train[:, :, :1], y_train)


def mae(pred):
    return np.mean(np.abs(pred - y_test))


print(f"test MAE, room + outdoor + heater: {mae(multi.predict(X_test)):.3f} degrees")
print(f"test MAE, room temperature alone : {mae(single.predict(X_test[:, :, :1])):.3f}")
print(f"test MAE, last value             : {mae(X_test[:, -1, 0]):.3f}")
print(f"R^2 of the multivariate model: {multi.score(X_test, y_test):.3f}")

# %%
# Plot
# ----
try:
    import matplotlib.pyplot as plt

    from sklstm.plotting import plot_forecast
except ImportError:  # matplotlib is optional
    plt = None

if plt is not None:
    shown = slice(0, 96)  # the first four test days
    index = np.arange(window_length + split - 48, window_length + split + 96)
    ax = plot_forecast(
        y_test[shown],
        multi.predict(X_test[shown]),
        y_train=y_train[-48:],
        index=index,
    )
    ax.set_xlabel("hour")
    ax.set_ylabel("room temperature")
    ax.set_title("Next-hour forecasts from three input series")
    plt.show()

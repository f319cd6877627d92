"""
Forecasting a whole year at once
================================

:func:`sklstm.make_windows` with ``horizon=12`` pairs each window of past
months with the twelve months that follow it, and
:class:`sklstm.LSTMRegressor` fits that two-dimensional target directly:
one network, twelve outputs, one per month ahead (a *direct* multi-step
forecast, where the recursive alternative feeds one-step forecasts back in
and compounds their errors). The example trains on the airline series up to
1958, forecasts every twelve-month stretch of the last two years that
starts from a known window, and reports the error at each horizon next to
the naive forecast "same month last year".
"""

import numpy as np

from sklstm import LSTMRegressor, make_windows
from sklstm.datasets import load_airline

# %%
# Windows and twelve-month targets
# --------------------------------
# The series grows year after year, beyond anything in the training years,
# and an LSTM's bounded activations do not extrapolate that. Each window is
# therefore expressed relative to its own last month, on the log scale:
# inputs and targets become log ratios to that month, which keep the same
# range whatever the level of the series.
series = load_airline()
values = series.to_numpy(dtype=float)
n_test, window_length, horizon = 24, 24, 12
log_values = np.log(values)

X_train, y_train = make_windows(
    log_values[:-n_test], window_length=window_length, horizon=horizon
)
# test windows: every origin in the last two years with a full year after it
X_test, _ = make_windows(
    log_values[-n_test - window_length :], window_length=window_length, horizon=horizon
)
last_train, last_test = X_train[:, -1, :], X_test[:, -1, :]
X_train, y_train = X_train - last_train[:, None], y_train - last_train
X_test = X_test - last_test[:, None]
print(f"train: X {X_train.shape}, y {y_train.shape}")
print(f"test : X {X_test.shape}")

# %%
# One network, twelve outputs
# ---------------------------
reg = LSTMRegressor(
    hidden_size=32, max_epochs=60, lr=1e-2, batch_size=16, random_state=0
)
reg.fit(X_train, y_train)
y_pred = reg.predict(X_test)
print(f"predictions: {y_pred.shape}")

# %%
# Error by horizon
# ----------------
# Back on the passenger scale: the first test window ends right where the
# training data ends, and each later one a month later.
first = len(values) - n_test
rows = first + np.arange(len(X_test))[:, None] + np.arange(horizon)[None, :]
forecast = np.exp(y_pred + last_test)
actual = values[rows]
naive = values[rows - 12]  # the same month one year earlier
ape = np.abs(forecast - actual) / actual
naive_ape = np.abs(naive - actual) / actual
print("months ahead   LSTM MAPE   same month last year MAPE")
for h in (0, 2, 5, 11):
    print(f"{h + 1:>12}   {ape[:, h].mean():9.3f}   {naive_ape[:, h].mean():9.3f}")
print(f"all horizons   {ape.mean():9.3f}   {naive_ape.mean():9.3f}")

# %%
# Plot
# ----
# The year forecast from the first test window.
try:
    import matplotlib.pyplot as plt

    from sklstm.plotting import plot_forecast
except ImportError:  # matplotlib is optional
    plt = None

if plt is not None:
    ax = plot_forecast(
        series.iloc[first : first + horizon],
        forecast[0],
        y_train=series.iloc[:first],
    )
    ax.set_title("Twelve months forecast at once")
    plt.show()

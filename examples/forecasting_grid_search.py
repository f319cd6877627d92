"""
Tuning the window length and the model together
===============================================

With :class:`sklstm.SlidingWindowTransformer` as the first step of a
:class:`~sklearn.pipeline.Pipeline`, the window length becomes a
hyper-parameter like any other: the transformer turns the series into one
window per row, so the rows of ``X`` and ``y`` stay aligned, and
:class:`~sklearn.model_selection.GridSearchCV` can tune
``windows__window_length`` and ``lstm__hidden_size`` in one search. The
folds come from :class:`~sklearn.model_selection.TimeSeriesSplit`, which
always validates on months after the training months. Plain ``KFold`` would
not do: neighbouring windows share all but one value, so a shuffled split
validates on windows whose near copies, and even whose targets, were in the
training folds. The tuned pipeline then forecasts each month of the last
two years from the months before it (one step ahead).
"""

import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline

from sklstm import LSTMRegressor, SlidingWindowTransformer
from sklstm.datasets import load_airline

# %%
# A table with one row per month
# ------------------------------
# The model learns the deviation of the log series from a log-linear trend
# fitted on the training years (an LSTM's bounded activations do not
# extrapolate a growing trend). Row ``t`` of ``X`` is month ``t``; its target
# is the deviation of month ``t + 1``.
series = load_airline()
n_test = 24
log_values = np.log(series.to_numpy(dtype=float))
months = np.arange(len(series))
trend = np.polyval(np.polyfit(months[:-n_test], log_values[:-n_test], deg=1), months)
deviation = log_values - trend
X = deviation[:-1].reshape(-1, 1)
y = deviation[1:]
n_train_rows = len(series) - n_test - 1  # rows whose target is a training month
X_train, y_train = X[:n_train_rows], y[:n_train_rows]
print(f"training rows: {X_train.shape[0]}, test rows: {X.shape[0] - n_train_rows}")

# %%
# Searching window length and hidden size
# ---------------------------------------
# Inside each validation fold, the first ``window_length - 1`` rows have no
# earlier rows of the fold to look back on, so their windows are padded with
# the fold's first value; this costs long windows a little in the search.
pipe = Pipeline(
    [
        ("windows", SlidingWindowTransformer()),
        ("lstm", LSTMRegressor(max_epochs=40, lr=1e-2, random_state=0)),
    ]
)
param_grid = {"windows__window_length": [6, 12], "lstm__hidden_size": [8, 16]}
search = GridSearchCV(
    pipe,
    param_grid,
    cv=TimeSeriesSplit(n_splits=3),
    scoring="neg_mean_absolute_error",
)
search.fit(X_train, y_train)
results = pd.DataFrame(search.cv_results_)[
    ["param_windows__window_length", "param_lstm__hidden_size", "mean_test_score"]
]
print(results.sort_values("mean_test_score", ascending=False).to_string(index=False))
print("best parameters:", search.best_params_)

# %%
# One-step-ahead forecasts of the test years
# ------------------------------------------
# Predicting on the whole table gives one forecast per row, each from the
# window of actual months that ends there; the last 24 rows forecast the
# test months.
deviation_pred = search.predict(X)[n_train_rows:]
forecast = np.exp(deviation_pred + trend[-n_test:])
actual = series.to_numpy(dtype=float)[-n_test:]
previous_month = series.to_numpy(dtype=float)[-n_test - 1 : -1]
same_month_last_year = series.to_numpy(dtype=float)[-n_test - 12 : -12]


def mape(pred):
    return np.mean(np.abs(pred - actual) / actual)


print(f"test MAPE, tuned LSTM pipeline : {mape(forecast):.3f}")
print(f"test MAPE, previous month      : {mape(previous_month):.3f}")
print(f"test MAPE, same month last year: {mape(same_month_last_year):.3f}")

# %%
# Plot
# ----
try:
    import matplotlib.pyplot as plt

    from sklstm.plotting import plot_forecast
except ImportError:  # matplotlib is optional
    plt = None

if plt is not None:
    ax = plot_forecast(series.iloc[-n_test:], forecast, y_train=series.iloc[:-n_test])
    ax.set_title("One-step-ahead forecasts of the tuned pipeline")
    plt.show()

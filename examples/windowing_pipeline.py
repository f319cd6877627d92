"""
Windowing a series for a scikit-learn pipeline
==============================================

The recommended workflow for forecasting with sklstm: cut the series into
windows and the value that follows each with :func:`sklstm.make_windows`,
put the preprocessing and the model into one
:class:`~sklearn.pipeline.Pipeline`, and tune it with
:class:`~sklearn.model_selection.GridSearchCV` over a
:class:`~sklearn.model_selection.TimeSeriesSplit`.

Consecutive windows overlap: with a window of 12 months, two neighbouring
windows share 11 values, and the target of one is the last input value of
the next. Shuffled ``KFold`` puts such neighbours on both sides of the
split, so the model is validated on near copies of its training windows;
unshuffled ``KFold`` trains on windows that come *after* the validation
windows, so the model has seen the future it is asked to forecast. Either
way the score rewards recalling data rather than forecasting it, and looks
better than the model will do. ``TimeSeriesSplit`` always validates on windows
that come after every training window, as a forecast would: the inputs of
the first validation windows overlap the last training months, which is
fine, since those months are known when the forecast is made.
"""

import numpy as np
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline

from sklstm import LSTMRegressor, SequenceScaler, make_windows
from sklstm.datasets import load_airline

# %%
# Windows from the training years
# -------------------------------
# The last two years are kept for the final test. The series grows every
# year, and an LSTM, whose activations are bounded, does not extrapolate a
# trend well: the model learns the deviations from a log-linear trend
# fitted on the training years, and the trend is added back at the end.
series = load_airline()
values = series.to_numpy(dtype=float)
n_test, window_length = 24, 12
train, test = values[:-n_test], values[-n_test:]
months = np.arange(len(values))
trend = np.polyval(np.polyfit(months[:-n_test], np.log(train), deg=1), months)
deviation = np.log(train) - trend[:-n_test]
X, y = make_windows(deviation, window_length=window_length)
print(f"windows: X {X.shape}, y {y.shape}")

# %%
# One pipeline: scaler and model
# ------------------------------
# The scaler sits inside the pipeline so that, in every split, it learns its
# mean and scale from the training windows alone. (LSTMRegressor scales its
# inputs by itself too; the step is here to show the pattern.)
pipe = Pipeline(
    [
        ("scale", SequenceScaler()),
        (
            "lstm",
            LSTMRegressor(
                hidden_size=16,
                max_epochs=40,
                lr=1e-2,
                scale_inputs=False,
                random_state=0,
            ),
        ),
    ]
)

# %%
# Tuning with GridSearchCV over TimeSeriesSplit
# ---------------------------------------------
# Each candidate is trained on the earlier windows of a split and scored on
# the windows that follow them.
search = GridSearchCV(
    pipe,
    {"lstm__hidden_size": [8, 16]},
    cv=TimeSeriesSplit(n_splits=3),
    scoring="neg_mean_absolute_error",
)
search.fit(X, y)
print("best parameters:", search.best_params_)

# %%
# Forecasting the two held-out years
# ----------------------------------
# The refitted best pipeline forecasts one month at a time, feeding each
# forecast back as the newest input (a recursive forecast).
history = list(deviation)
for _ in range(n_test):
    window = np.array(history[-window_length:]).reshape(1, window_length, 1)
    history.append(search.predict(window)[0])
forecast = np.exp(np.array(history[len(train) :]) + trend[-n_test:])
seasonal_naive = train[-12:][np.arange(n_test) % 12]
mape = np.mean(np.abs(forecast - test) / test)
naive_mape = np.mean(np.abs(seasonal_naive - test) / test)
print(f"test MAPE, LSTM pipeline: {mape:.3f}")
print(f"test MAPE, same month of the last training year: {naive_mape:.3f}")

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
    ax.set_title("Airline passengers: recursive LSTM forecast")
    plt.show()

"""
Many series, one global model
=============================

A retailer forecasts the sales of each of its shops. Rather than one
network per shop, ``LSTMForecaster(series_id="shop")`` trains one network
on the windows of every shop (no window crosses from one shop into
another), from a long table: one row per shop and day, the ``shop`` column
saying which series each row belongs to. Per-shop features (here whether a
shop sits in a leisure area, busier at the weekend, or in an office area,
busier on weekdays) are plain covariate columns, constant within a shop.
:class:`sklstm.PanelTimeSeriesSplit` cuts such a table on dates shared by
every shop, so that ``cross_validate`` is a refit backtest of the whole panel.
"""

import numpy as np
import pandas as pd
from sklearn.model_selection import cross_validate

from sklstm import LSTMForecaster, LSTMRegressor, PanelTimeSeriesSplit

# %%
# Six shops, in one long table
# ----------------------------
rng = np.random.RandomState(0)
days = pd.date_range("2024-01-01", periods=210, freq="D", name="day")
weekday = days.dayofweek.to_numpy()
frames = []
for shop in range(6):
    leisure = shop % 2  # leisure shops peak at the weekend, office ones midweek
    # a level that wanders from week to week, and a weekly pattern
    level = rng.uniform(60, 200) * np.exp(np.cumsum(rng.normal(0, 0.02, len(days))))
    if leisure:
        pattern = np.where(weekday >= 5, 0.5, 0.0)
    else:
        pattern = np.where(weekday >= 5, -0.5, 0.1)
    sales = level * (1 + pattern) * (1 + rng.normal(0, 0.03, len(days)))
    frames.append(
        pd.DataFrame(
            {
                "shop": f"shop {shop}",
                "leisure": float(leisure),
                "weekday_sin": np.sin(2 * np.pi * weekday / 7),
                "weekday_cos": np.cos(2 * np.pi * weekday / 7),
                "sales": sales,
            },
            index=days,
        )
    )
# rows sorted by day: the shops are interleaved, which the forecaster allows
panel = pd.concat(frames).sort_index(kind="stable")
X, y = panel.drop(columns="sales"), panel["sales"]
print(panel.head(3).round(2))

# %%
# A refit backtest of the panel
# -----------------------------
# Each split trains on all shops up to a date and scores (R^2) the next
# two weeks of every shop; ``cross_validate`` also keeps the forecasters.
net = LSTMRegressor(
    hidden_size=16,
    bidirectional=False,
    conv_channels=None,
    max_epochs=30,
    lr=2e-2,
    batch_size=64,
)
forecaster = LSTMForecaster(net, window_length=14, series_id="shop", random_state=0)
cv = PanelTimeSeriesSplit(n_splits=2, test_size=14)
results = cross_validate(forecaster, X, y, cv=cv, return_estimator=True)
print(f"R^2 of the two-week forecasts, per split: {np.round(results['test_score'], 3)}")

# %%
# The last two weeks of every shop
# --------------------------------
# The forecaster of the last split was trained up to two weeks before the
# end. ``X_future`` holds one row per shop and day to forecast, with the
# ``shop`` column and the known covariates.
forecaster = results["estimator"][-1]
train = X.index < days[-14]
X_future, y_future = X[~train], y[~train]
pred = forecaster.predict(X_future)
# the baseline: the same weekday two weeks before, known at the origin
naive = y.groupby(X["shop"]).shift(14)[~train]
errors = pd.DataFrame(
    {
        "shop": X_future["shop"],
        "global LSTM": (pred - y_future).abs(),
        "same day 2 weeks before": (naive - y_future).abs(),
    }
)
print(errors.groupby("shop").mean().round(2))
mae = errors.drop(columns="shop").mean()
print(
    f"MAE over all shops: {mae.iloc[0]:.2f} (same day 2 weeks before {mae.iloc[1]:.2f})"
)

# %%
# Plot: four of the shops
# -----------------------
try:
    import matplotlib.pyplot as plt

    from sklstm.plotting import plot_forecast
except ImportError:  # matplotlib is optional
    plt = None

if plt is not None:
    fig, axes = plt.subplots(2, 2, figsize=(10, 6), sharex=True, layout="constrained")
    for i, (ax, shop) in enumerate(
        zip(axes.ravel(), ["shop 0", "shop 1", "shop 2", "shop 3"])
    ):
        rows = X_future["shop"] == shop
        history = y[train][X["shop"][train] == shop]
        plot_forecast(y_future[rows], pred[rows], y_train=history[-28:], ax=ax)
        kind = "leisure" if X_future.loc[rows, "leisure"].iloc[0] else "office"
        ax.set_title(f"{shop} ({kind})")
        if i > 0:  # one legend is enough
            ax.get_legend().remove()
        if i < 2:
            ax.set_xlabel("")
    fig.suptitle("One network, six shops: two weeks ahead")
    plt.show()

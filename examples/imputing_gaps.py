"""
Sequences with gaps
===================

Real recordings have holes: a meter that did not report, a sensor that
dropped out for an hour. sklstm's estimators refuse NaN rather than guess,
and :class:`sklstm.SequenceImputer` fills the gaps inside each sequence
from its own neighbouring time steps, by linear interpolation or by carrying
the last value forward. Put in a :class:`~sklearn.pipeline.Pipeline` before
the classifier, the choice between the two becomes a grid-search
parameter. The example removes a fifth of the hourly values of the
ItalyPowerDemand days, plus a four-hour outage per day, and classifies the
days (October to March against April to September) from what is left.
"""

import numpy as np
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from sklstm import LSTMClassifier, SequenceImputer
from sklstm.datasets import load_italy_power_demand

# %%
# Punching holes in the data
# --------------------------
X_train, y_train, X_test, y_test = load_italy_power_demand(return_X_y=True)
rng = np.random.RandomState(0)


def with_gaps(X):
    """A copy of X with 20 % of the values and one 4-hour block per day missing."""
    X = X.copy()
    X[rng.rand(*X.shape) < 0.2] = np.nan
    for row, start in zip(X, rng.randint(0, X.shape[1] - 4, size=len(X))):
        row[start : start + 4] = np.nan
    return X


X_train_gaps, X_test_gaps = with_gaps(X_train), with_gaps(X_test)
print(f"missing values: {np.isnan(X_train_gaps).mean():.0%} of the training data")

params = dict(hidden_size=16, max_epochs=30, lr=1e-2, batch_size=16, random_state=0)
try:
    LSTMClassifier(**params).fit(X_train_gaps, y_train)
except ValueError as error:
    print("without an imputer:", str(error).splitlines()[0])

# %%
# Imputer and classifier in one pipeline
# --------------------------------------
pipe = Pipeline([("imputer", SequenceImputer()), ("lstm", LSTMClassifier(**params))])
search = GridSearchCV(pipe, {"imputer__method": ["linear", "ffill"]}, cv=3)
search.fit(X_train_gaps, y_train)
for method, score in zip(
    search.cv_results_["param_imputer__method"], search.cv_results_["mean_test_score"]
):
    print(f"cross-validated accuracy with method={method!r}: {score:.3f}")
print(
    f"test accuracy, gaps filled ({search.best_params_['imputer__method']}): "
    f"{search.score(X_test_gaps, y_test):.3f}"
)

complete = LSTMClassifier(**params).fit(X_train, y_train)
print(
    f"test accuracy, complete data for comparison: {complete.score(X_test, y_test):.3f}"
)

# %%
# Plot
# ----
# One day with its gaps, and both ways of filling them.
try:
    import matplotlib.pyplot as plt
except ImportError:  # matplotlib is optional
    plt = None

if plt is not None:
    day = X_test_gaps[:1]
    hours = np.arange(day.shape[1])
    fig, ax = plt.subplots()
    ax.plot(hours, X_test[0], color="0.7", linewidth=3, label="complete")
    for method, style in [("linear", "-"), ("ffill", "--")]:
        filled = SequenceImputer(method=method).fit(X_train_gaps).transform(day)
        ax.plot(hours, filled[0], linestyle=style, label=f"filled ({method})")
    ax.plot(hours, day[0], "o", color="black", label="observed")
    ax.set_xlabel("hour")
    ax.set_ylabel("power demand (standardised)")
    ax.legend()
    plt.show()

"""
LSTM, GRU and bidirectional layers in one grid search
=====================================================

The recurrent cell is a parameter like any other: ``cell`` picks an LSTM or
a GRU, and ``bidirectional`` adds a second layer that reads each sequence
backwards. One :class:`~sklearn.model_selection.GridSearchCV` therefore
compares the four combinations. The task is chosen so that the direction
matters: each sequence is 25 steps of noise, and its class is the sign of
the sum of its *first* three steps. A forward layer must carry that
information through 22 steps of noise to its final state; the backward
layer of a bidirectional model reads those steps last. The sequences are
independent of each other, so the usual stratified K-fold split is the
right cross-validation here (unlike the windows of one series).
"""

import numpy as np
import pandas as pd
from sklearn.model_selection import GridSearchCV

from sklstm import LSTMClassifier

# %%
# Sequences whose class is decided at the start
# ---------------------------------------------
rng = np.random.RandomState(0)
X = rng.randn(360, 25)
y = np.where(X[:, :3].sum(axis=1) > 0, "up", "down")
X_train, X_test, y_train, y_test = X[:200], X[200:], y[:200], y[200:]

# %%
# Four models, one search
# -----------------------
search = GridSearchCV(
    LSTMClassifier(hidden_size=16, max_epochs=12, lr=1e-2, random_state=0),
    {"cell": ["lstm", "gru"], "bidirectional": [False, True]},
    cv=3,
)
search.fit(X_train, y_train)
results = pd.DataFrame(search.cv_results_)
table = results[
    ["param_cell", "param_bidirectional", "mean_test_score", "std_test_score"]
]
print(table.round(3).to_string(index=False))
print("best parameters:", search.best_params_)
print(f"test accuracy of the best model: {search.score(X_test, y_test):.3f}")

# %%
# Plot
# ----
try:
    import matplotlib.pyplot as plt
except ImportError:  # matplotlib is optional
    plt = None

if plt is not None:
    names = [
        f"{cell.upper()}{' bidir.' if bidir else ''}"
        for cell, bidir in zip(results["param_cell"], results["param_bidirectional"])
    ]
    fig, ax = plt.subplots()
    ax.bar(
        names,
        results["mean_test_score"],
        yerr=results["std_test_score"],
        color="tab:blue",
    )
    ax.axhline(0.5, color="0.4", linestyle="--", label="chance")
    ax.set_ylabel("cross-validated accuracy")
    ax.set_ylim(0, 1)
    ax.legend()
    ax.set_title("Reading the start of a sequence")
    plt.show()

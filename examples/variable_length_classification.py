"""
Classifying sequences of different lengths
==========================================

The Japanese Vowels data set holds 640 utterances of the vowels /ae/ by
nine speakers, each a sequence of 7 to 29 frames of 12 cepstrum
coefficients. :class:`sklstm.LSTMClassifier` takes them as they are, a
plain Python list of arrays of shape ``(n_frames_i, 12)``: inside, the
sequences are padded and packed, so that the network reads every frame of
every utterance and no padding. Early stopping holds out the last 20 % of
each speaker's training utterances and keeps the weights of the best
epoch, which the training history plot marks. A logistic regression on the
mean and spread of each coefficient gives a baseline that ignores the order
of the frames.
"""

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklstm import LSTMClassifier
from sklstm.datasets import load_japanese_vowels

# %%
# A list of arrays
# ----------------
X_train, y_train, X_test, y_test = load_japanese_vowels(return_X_y=True)
lengths = [len(x) for x in X_train]
print(f"{len(X_train)} training and {len(X_test)} test utterances")
print(f"frames per utterance: {min(lengths)} to {max(lengths)}")
print(f"features per frame: {X_train[0].shape[1]}")
print("speakers:", np.unique(y_train))

# %%
# The LSTM classifier
# -------------------
clf = LSTMClassifier(
    hidden_size=32,
    max_epochs=60,
    lr=1e-2,
    early_stopping=True,
    validation_fraction=0.2,
    n_iter_no_change=10,
    random_state=0,
)
clf.fit(X_train, y_train)
print(f"epochs run: {clf.n_iter_}, weights kept from epoch {clf.best_epoch_}")
print(f"test accuracy, LSTM: {clf.score(X_test, y_test):.3f}")


# %%
# A baseline without the order of the frames
# ------------------------------------------
def summary(sequences):
    """Mean and standard deviation of each coefficient over the frames."""
    return np.array([np.r_[s.mean(axis=0), s.std(axis=0)] for s in sequences])


baseline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
baseline.fit(summary(X_train), y_train)
print(
    f"test accuracy, logistic regression on summaries: "
    f"{baseline.score(summary(X_test), y_test):.3f}"
)

# %%
# Plots
# -----
try:
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    from sklstm.plotting import plot_training_history
except ImportError:  # matplotlib is optional
    plt = None

if plt is not None:
    fig, (ax_history, ax_confusion) = plt.subplots(
        1, 2, figsize=(10, 4), layout="constrained"
    )
    plot_training_history(clf, ax=ax_history)
    ax_history.set_title("Training history")
    ConfusionMatrixDisplay.from_predictions(
        y_test, clf.predict(X_test), ax=ax_confusion, colorbar=False
    )
    ax_confusion.set_title("Test utterances by speaker")
    plt.show()

"""
Which library wrote this docstring?
===================================

A text pipeline from raw strings, on a real corpus that every sklstm
installation has offline: the docstrings of the installed numpy, pandas,
torch and scikit-learn, each labelled by its library. The library names
(and tell-tale words like "DataFrame" or "Tensor") are masked, so the
classifiers must recognise each library's style and vocabulary.
:class:`sklstm.TextTokenizer` turns each docstring into a sequence of token
ids with a vocabulary fitted on the training texts, and
``LSTMClassifier(vocab_size="auto")`` takes the vocabulary size from it, in
one pipeline. TF-IDF features with a logistic regression, the classic
baseline for text classification, run on the same split. Expect the
baseline to win on this corpus, where single words give the library away;
the LSTM pipeline earns its keep where word order matters (see the text
classification example). The exact scores depend on the installed
versions of the four libraries.
"""

import inspect
import re
import time

import numpy as np
import pandas as pd
import sklearn.cluster
import sklearn.decomposition
import sklearn.ensemble
import sklearn.linear_model
import sklearn.metrics
import sklearn.model_selection
import sklearn.preprocessing
import torch
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sklstm import LSTMClassifier, TextTokenizer

# %%
# The corpus: docstrings labelled by library
# ------------------------------------------
# Public members of a few modules (and classes) of each library, one
# docstring each, at most 200 per library.
SOURCES = {
    "numpy": [np, np.linalg, np.random, np.fft, np.ma, np.ndarray],
    "pandas": [pd, pd.DataFrame, pd.Series, pd.Index, pd.api.types],
    "torch": [torch, torch.nn, torch.nn.functional, torch.linalg, torch.Tensor],
    "sklearn": [
        sklearn.cluster,
        sklearn.decomposition,
        sklearn.ensemble,
        sklearn.linear_model,
        sklearn.metrics,
        sklearn.model_selection,
        sklearn.preprocessing,
    ],
}
MASK = re.compile(
    r"(?i)\b(numpy|np|pandas|pd|torch|sklearn|scikit|learn|dataframe|series"
    r"|tensors?|ndarray)\b"
)
rng = np.random.RandomState(0)
texts, labels, seen = [], [], set()
for library, owners in SOURCES.items():
    docs = []
    for owner in owners:
        for name, member in inspect.getmembers(owner):
            doc = None if name.startswith("_") else inspect.getdoc(member)
            if doc and len(doc.split()) >= 10 and doc not in seen:
                seen.add(doc)
                docs.append(MASK.sub(" ", doc))
    docs = [docs[i] for i in rng.permutation(len(docs))[:200]]
    texts += docs
    labels += [library] * len(docs)
labels = np.array(labels)
print(f"{len(texts)} docstrings:", dict(zip(*np.unique(labels, return_counts=True))))
texts_train, texts_test, y_train, y_test = train_test_split(
    texts, labels, test_size=0.3, random_state=0, stratify=labels
)

# %%
# TextTokenizer and LSTMClassifier in one pipeline
# ------------------------------------------------
# The first 48 tokens of each docstring, words seen at least twice; the
# classifier reads the vocabulary size from the token ids (``vocab_size_``).
start = time.perf_counter()
lstm = make_pipeline(
    TextTokenizer(max_length=48, min_frequency=2),
    LSTMClassifier(
        vocab_size="auto",
        hidden_size=32,
        conv_channels=None,
        max_epochs=12,
        lr=3e-3,
        random_state=0,
    ),
)
lstm.fit(texts_train, y_train)
lstm_accuracy = lstm.score(texts_test, y_test)
lstm_seconds = time.perf_counter() - start
tokenizer, classifier = lstm[0], lstm[-1]
print(
    f"vocabulary: {tokenizer.vocab_size_} ids (0 padding, 1 unknown); "
    f"classifier vocab_size_={classifier.vocab_size_}"
)
print(f"test accuracy, TextTokenizer + LSTM: {lstm_accuracy:.3f} ({lstm_seconds:.0f}s)")

# %%
# TF-IDF and a logistic regression
# --------------------------------
start = time.perf_counter()
tfidf = make_pipeline(TfidfVectorizer(min_df=2), LogisticRegression(max_iter=1000))
tfidf.fit(texts_train, y_train)
tfidf_accuracy = tfidf.score(texts_test, y_test)
tfidf_seconds = time.perf_counter() - start
print(
    f"test accuracy, TF-IDF + LogisticRegression: {tfidf_accuracy:.3f} "
    f"({tfidf_seconds:.1f} s)"
)

# %%
# Plot
# ----
try:
    import matplotlib.pyplot as plt

    from sklstm.plotting import plot_training_history
except ImportError:  # matplotlib is optional
    plt = None

if plt is not None:
    ax = plot_training_history(classifier)
    ax.set_title(
        f"LSTM on docstrings: test accuracy {lstm_accuracy:.2f} "
        f"(TF-IDF + LR {tfidf_accuracy:.2f})"
    )
    plt.show()

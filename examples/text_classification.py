"""
Text classification from token ids
==================================

With ``vocab_size`` set, :class:`sklstm.LSTMClassifier` reads integer token
ids, embeds them (``embedding_dim``) and classifies the sequence: the set-up
for text. This example builds a small review corpus in which word order
matters: a review has one or two clauses, joined by "but", and its
sentiment is that of the *last* clause, turned around by "not". The
sentences are split into words, each word gets an id from 1 up, and the
rows are padded with the id 0 at the end, which the classifier treats as
padding. A bag-of-words logistic regression, even with word pairs, cannot
tell which clause comes last; the LSTM can.
"""

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression

from sklstm import LSTMClassifier

# %%
# A corpus where order matters
# ----------------------------
rng = np.random.RandomState(0)
SUBJECTS = ["the film", "the plot", "the acting", "the music", "the ending", "the cast"]
POSITIVE = ["good", "great", "wonderful", "moving", "clever", "fun"]
NEGATIVE = ["bad", "dull", "awful", "boring", "weak", "silly"]
ADVERBS = ["", "", "really", "very", "quite"]
OPENERS = ["", "", "", "honestly", "i think", "overall"]


def clause():
    """One clause and its sentiment (True for positive)."""
    positive = rng.rand() < 0.5
    negated = rng.rand() < 0.3
    words = [
        SUBJECTS[rng.randint(len(SUBJECTS))],
        "was",
        "not" if negated else "",
        ADVERBS[rng.randint(len(ADVERBS))],
        (POSITIVE if positive else NEGATIVE)[rng.randint(6)],
    ]
    return " ".join(w for w in words if w), positive != negated


def review():
    """A review of one or two clauses; its label is the last clause's."""
    text, positive = clause()
    if rng.rand() < 0.6:
        second, positive = clause()
        text = f"{text} but {second}"
    opener = OPENERS[rng.randint(len(OPENERS))]
    return f"{opener} {text}".strip(), "positive" if positive else "negative"


texts, labels = zip(*(review() for _ in range(1400)))
labels = np.array(labels)
for text, label in zip(texts[:3], labels[:3]):
    print(f"{label:>8}: {text}")

# %%
# Token ids, with 0 as padding
# ----------------------------
tokens = [text.split() for text in texts]
vocabulary = {
    word: i + 1 for i, word in enumerate(sorted({w for t in tokens for w in t}))
}
max_length = max(len(t) for t in tokens)
ids = np.zeros((len(tokens), max_length), dtype=np.int64)
for row, words in zip(ids, tokens):
    row[: len(words)] = [vocabulary[w] for w in words]
print(f"vocabulary: {len(vocabulary)} words; ids {ids.shape}")

n_train = 1000
ids_train, ids_test = ids[:n_train], ids[n_train:]
y_train, y_test = labels[:n_train], labels[n_train:]

# %%
# The LSTM on token ids
# ---------------------
clf = LSTMClassifier(
    vocab_size=len(vocabulary) + 1,  # the ids, plus the padding id 0
    embedding_dim=16,
    hidden_size=32,
    max_epochs=10,
    lr=1e-2,
    random_state=0,
)
clf.fit(ids_train, y_train)
print(f"test accuracy, LSTM on token ids: {clf.score(ids_test, y_test):.3f}")

# %%
# A bag-of-words baseline
# -----------------------
# Counts of words and of word pairs, then a logistic regression.
vectorizer = CountVectorizer(ngram_range=(1, 2))
bow_train = vectorizer.fit_transform(texts[:n_train])
baseline = LogisticRegression(max_iter=2000).fit(bow_train, y_train)
bow_accuracy = baseline.score(vectorizer.transform(texts[n_train:]), y_test)
print(f"test accuracy, bag of words and pairs: {bow_accuracy:.3f}")

# %%
# Plot
# ----
try:
    import matplotlib.pyplot as plt

    from sklstm.plotting import plot_training_history
except ImportError:  # matplotlib is optional
    plt = None

if plt is not None:
    ax = plot_training_history(clf)
    ax.set_title("Training loss of the text classifier")
    plt.show()

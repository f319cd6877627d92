"""Tests of TextTokenizer and of text pipelines with vocab_size="auto"."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklstm import LSTMClassifier, TextTokenizer

TEXTS = ["the cat sat", "the dog sat down", "a cat", "Dogs and cats"]
FAST = dict(hidden_size=4, conv_channels=None, embedding_dim=4, random_state=0)


def test_text_vocabulary_by_frequency_then_alphabet():
    """Ids from 2 up by decreasing count, ties alphabetical; 0 and 1 reserved."""
    tok = TextTokenizer().fit(TEXTS)
    assert tok.vocabulary_ == {
        "cat": 2, "sat": 3, "the": 4, "a": 5, "and": 6, "cats": 7, "dog": 8,
        "dogs": 9, "down": 10,
    }  # fmt: skip
    assert tok.vocab_size_ == 11
    assert 0 not in tok.vocabulary_.values() and 1 not in tok.vocabulary_.values()


def test_text_transform_keeps_lengths_and_maps_unknown_to_1():
    """Each text keeps its length; unseen tokens get the out-of-vocabulary id."""
    tok = TextTokenizer().fit(TEXTS)
    out = tok.transform(["the bird sat", "cat"])
    assert isinstance(out, list)
    np.testing.assert_array_equal(out[0], [4, 1, 3])
    np.testing.assert_array_equal(out[1], [2])
    assert out[0].dtype == np.int64


def test_text_empty_text_is_one_padding_id():
    """A text without tokens gives [0], so that every sequence has a step."""
    tok = TextTokenizer().fit(TEXTS)
    np.testing.assert_array_equal(tok.transform(["", "!!"])[1], [0])


def test_text_min_frequency_and_max_vocabulary():
    """Rare tokens and those beyond max_vocabulary become id 1."""
    tok = TextTokenizer(min_frequency=2).fit(TEXTS)
    assert tok.vocabulary_ == {"cat": 2, "sat": 3, "the": 4}
    tok = TextTokenizer(max_vocabulary=2).fit(TEXTS)
    assert tok.vocabulary_ == {"cat": 2, "sat": 3}
    assert tok.vocab_size_ == 4
    np.testing.assert_array_equal(tok.transform(["the cat"])[0], [1, 2])


def test_text_lowercase_pattern_tokenizer_and_max_length():
    """lowercase, token_pattern, a tokenizer callable and max_length apply."""
    assert "Dogs" in TextTokenizer(lowercase=False).fit(TEXTS).vocabulary_
    chars = TextTokenizer(token_pattern=r"\w").fit(["abc", "ab"])
    assert chars.vocabulary_ == {"a": 2, "b": 3, "c": 4}
    split = TextTokenizer(tokenizer=str.split).fit(["x-y z", "z"])
    assert split.vocabulary_ == {"z": 2, "x-y": 3}
    short = TextTokenizer(max_length=2).fit(TEXTS)
    assert [len(s) for s in short.transform(TEXTS)] == [2, 2, 2, 2]


def test_text_accepts_series_and_arrays():
    """A pandas Series or a 1-D array of str works like a list."""
    tok = TextTokenizer().fit(pd.Series(TEXTS))
    out = tok.transform(np.array(TEXTS))
    assert [len(s) for s in out] == [3, 4, 2, 3]


@pytest.mark.parametrize(
    "X, error, match",
    [
        ("one text", TypeError, "wrap one text in a list"),
        (["ok", 3], TypeError, "Text 1 of X is a int"),
        (np.array([["a", "b"]]), ValueError, "must be 1-D"),
        ([], ValueError, "holds no texts"),
    ],
)
def test_text_bad_input_is_a_clear_error(X, error, match):
    """Wrong input names the problem and the fix."""
    with pytest.raises(error, match=match):
        TextTokenizer().fit(X)


def test_text_bad_tokenizer_and_pattern():
    """A tokenizer returning a str, or an invalid regex, is a clear error."""
    with pytest.raises(TypeError, match="must return a list of str"):
        TextTokenizer(tokenizer=lambda t: t).fit(["ab"])
    with pytest.raises(ValueError, match="not a valid regular expression"):
        TextTokenizer(token_pattern="(").fit(["ab"])


def test_text_pickles_and_set_output_keeps_the_list():
    """It pickles; set_output("pandas") leaves the list of sequences."""
    tok = TextTokenizer().set_output(transform="pandas").fit(TEXTS)
    again = pickle.loads(pickle.dumps(tok))
    assert isinstance(again.transform(TEXTS), list)
    assert list(tok.get_feature_names_out()) == ["token_id"]


def _corpus(n=40):
    """Short texts whose label is which of two word sets they use."""
    rng = np.random.RandomState(0)
    words = {"pos": ["good", "great", "fine"], "neg": ["bad", "awful", "poor"]}
    labels = np.array(["pos", "neg"] * (n // 2))
    texts = [
        " ".join(rng.choice(words[label] + ["the", "film"], size=rng.randint(2, 7)))
        for label in labels
    ]
    return texts, labels


def test_text_classifier_vocab_size_auto():
    """vocab_size="auto" sets vocab_size_ to the largest id + 1 and predicts."""
    texts, labels = _corpus()
    tok = TextTokenizer().fit(texts)
    seqs = tok.transform(texts)
    clf = LSTMClassifier(vocab_size="auto", max_epochs=2, **FAST).fit(seqs, labels)
    assert clf.vocab_size_ == max(int(s.max()) for s in seqs) + 1 == tok.vocab_size_
    assert clf.predict(seqs).shape == (40,)
    with pytest.raises(ValueError, match="Token ids must lie in"):
        clf.predict([np.array([clf.vocab_size_, 2])])
    fixed = LSTMClassifier(vocab_size=50, max_epochs=1, **FAST).fit(seqs, labels)
    assert fixed.vocab_size_ == 50
    numeric = LSTMClassifier(max_epochs=1, **FAST).fit(np.ones((4, 3)), [0, 1] * 2)
    assert numeric.vocab_size_ is None


def test_text_pipeline_learns_and_grid_searches_both_steps():
    """A pipeline trains on strings; GridSearchCV tunes both steps."""
    texts, labels = _corpus(60)
    clf = LSTMClassifier(vocab_size="auto", max_epochs=15, lr=0.03, **FAST)
    pipe = make_pipeline(TextTokenizer(), clf)
    assert pipe.fit(texts, labels).score(texts, labels) > 0.8
    search = GridSearchCV(
        pipe,
        {"texttokenizer__max_vocabulary": [2, None], "lstmclassifier__max_epochs": [1]},
        cv=2,
    ).fit(texts, labels)
    assert search.best_params_["lstmclassifier__max_epochs"] == 1
    assert len(search.cv_results_["params"]) == 2


def test_text_save_model_round_trip(tmp_path):
    """save_model / load_model keep the vocabulary."""
    from sklstm import load_model, save_model

    tok = TextTokenizer(max_vocabulary=3).fit(TEXTS)
    save_model(tok, tmp_path / "tok.sklstm")
    again = load_model(tmp_path / "tok.sklstm")
    assert again.vocabulary_ == tok.vocabulary_
    np.testing.assert_array_equal(again.transform(TEXTS)[1], tok.transform(TEXTS)[1])

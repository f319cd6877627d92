"""From raw texts to token-id sequences."""

import re
from collections import Counter
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ._output import _SequenceOutputMixin
from ._validation import Interval, check_is_fitted

__all__ = ["TextTokenizer"]

PAD_ID = 0
OOV_ID = 1


def _check_texts(X):
    """``X`` as a list of str, or a TypeError that says what was wrong."""
    if isinstance(X, (str, bytes)):
        raise TypeError(
            "X must be a list (or array, or Series) of texts, got a single "
            f"{type(X).__name__}; wrap one text in a list: [text]."
        )
    if getattr(X, "ndim", 1) != 1:
        raise ValueError(
            f"X must be 1-D, one text per sample, got an array of shape {X.shape}."
        )
    try:
        texts = list(X)
    except TypeError:
        raise TypeError(
            f"X must be a list (or array, or Series) of texts, got "
            f"{type(X).__name__}."
        ) from None
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(
                f"Text {i} of X is a {type(text).__name__}, not a str; convert "
                "the texts to strings first (missing texts to '')."
            )
    return texts


class TextTokenizer(
    _SequenceOutputMixin, TransformerMixin, BaseEstimator, auto_wrap_output_keys=None
):
    """Turn texts into sequences of token ids, with a fitted vocabulary.

    Each text is split into tokens (words, by default), and each token is
    replaced by its id in a vocabulary fitted on the training texts: the
    most frequent tokens get the smallest ids, from 2 up. Id 0 is kept for
    padding and id 1 for tokens outside the vocabulary (rarer than
    ``min_frequency``, beyond ``max_vocabulary``, or unseen in fit). The
    output keeps each text's length: a list of 1-D integer arrays, which
    :class:`LSTMClassifier` with ``vocab_size="auto"`` reads directly, so
    that ``make_pipeline(TextTokenizer(), LSTMClassifier(vocab_size="auto"))``
    trains on a list of strings and grid-searches both steps.

    Parameters
    ----------
    lowercase : bool, default=True
        If True, lower-case the texts before splitting them.
    token_pattern : str, default=r"(?u)\\b\\w+\\b"
        Regular expression whose matches are the tokens (as with
        :func:`re.findall`). Ignored when ``tokenizer`` is set.
    tokenizer : callable or None, default=None
        A function from one text (already lower-cased if ``lowercase``) to
        a list of tokens (str), replacing ``token_pattern``. It must be
        picklable (a module-level function) for the transformer to pickle.
    max_vocabulary : int or None, default=None
        Keep at most this many of the most frequent tokens (ids 2 to
        ``max_vocabulary + 1``); None keeps all that pass ``min_frequency``.
    min_frequency : int, default=1
        Keep only tokens seen at least this many times in the training
        texts.
    max_length : int or None, default=None
        If set, keep only the first ``max_length`` tokens of each text.
        None keeps every token.

    Attributes
    ----------
    vocabulary_ : dict of str to int
        The id of each token of the vocabulary (ids from 2 up, by
        decreasing training frequency, ties in alphabetical order).
    vocab_size_ : int
        Number of ids in use: ``len(vocabulary_) + 2`` (padding and
        out-of-vocabulary included), the ``vocab_size`` a downstream
        embedding needs.

    See Also
    --------
    LSTMClassifier : With ``vocab_size="auto"``, classifies the sequences.
    sklearn.feature_extraction.text.CountVectorizer : Bag of words, with the
        same ``lowercase`` and ``token_pattern``.

    Notes
    -----
    The output is a list of sequences, never a DataFrame, whatever
    ``set_output`` asks for. A text without any token gives the sequence
    ``[0]`` (one padding id), since a sequence needs at least one step.

    Examples
    --------
    >>> from sklstm import TextTokenizer
    >>> texts = ["the cat sat", "the dog sat down", "a cat"]
    >>> tok = TextTokenizer().fit(texts)
    >>> tok.vocabulary_
    {'cat': 2, 'sat': 3, 'the': 4, 'a': 5, 'dog': 6, 'down': 7}
    >>> tok.vocab_size_
    8
    >>> tok.transform(["The cat ran"])
    [array([4, 2, 1])]
    """

    _parameter_constraints = {
        "lowercase": ["boolean"],
        "token_pattern": [str],
        "tokenizer": [callable, None],
        "max_vocabulary": [Interval(Integral, 1, None, closed="left"), None],
        "min_frequency": [Interval(Integral, 1, None, closed="left")],
        "max_length": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        lowercase=True,
        token_pattern=r"(?u)\b\w+\b",
        tokenizer=None,
        max_vocabulary=None,
        min_frequency=1,
        max_length=None,
    ):
        self.lowercase = lowercase
        self.token_pattern = token_pattern
        self.tokenizer = tokenizer
        self.max_vocabulary = max_vocabulary
        self.min_frequency = min_frequency
        self.max_length = max_length

    def _split(self):
        """The function from one text to its list of tokens."""
        if self.tokenizer is not None:
            split = self.tokenizer
        else:
            try:
                pattern = re.compile(self.token_pattern)
            except re.error as exc:
                raise ValueError(
                    f"token_pattern {self.token_pattern!r} is not a valid "
                    f"regular expression: {exc}."
                ) from None
            split = pattern.findall
        if self.lowercase:
            return lambda text: split(text.lower())
        return split

    def _tokens(self, texts, split):
        """The token lists of ``texts``, each cut to ``max_length``."""
        out = []
        for i, text in enumerate(texts):
            tokens = split(text)
            if isinstance(tokens, str) or not all(isinstance(t, str) for t in tokens):
                raise TypeError(
                    f"The tokenizer must return a list of str; for text {i} it "
                    f"returned {type(tokens).__name__} {tokens!r:.60}."
                )
            out.append(list(tokens)[: self.max_length])
        return out

    def fit(self, X, y=None):
        """Build the vocabulary from the training texts.

        Parameters
        ----------
        X : list, array or Series of str, of shape (n_samples,)
            Training texts.
        y : None
            Ignored.

        Returns
        -------
        self : TextTokenizer
            The fitted tokenizer.
        """
        self._validate_params()
        texts = _check_texts(X)
        if not texts:
            raise ValueError("X holds no texts; fit needs at least one.")
        counts = Counter()
        for tokens in self._tokens(texts, self._split()):
            counts.update(tokens)
        kept = [(tok, n) for tok, n in counts.items() if n >= self.min_frequency]
        kept.sort(key=lambda pair: (-pair[1], pair[0]))
        kept = kept[: self.max_vocabulary]
        self.vocabulary_ = {tok: i + 2 for i, (tok, _) in enumerate(kept)}
        self.vocab_size_ = len(self.vocabulary_) + 2
        return self

    def transform(self, X):
        """Replace each text by the ids of its tokens.

        Parameters
        ----------
        X : list, array or Series of str, of shape (n_samples,)
            Texts.

        Returns
        -------
        sequences : list of ndarray of shape (n_tokens_i,), dtype int64
            One array of token ids per text, of that text's length (at most
            ``max_length``): ids from ``vocabulary_``, 1 for a token outside
            it, and ``[0]`` for a text without tokens.
        """
        check_is_fitted(self)
        texts = _check_texts(X)
        vocab = self.vocabulary_
        out = []
        for tokens in self._tokens(texts, self._split()):
            ids = [vocab.get(tok, OOV_ID) for tok in tokens] or [PAD_ID]
            out.append(np.asarray(ids, dtype=np.int64))
        return out

    def get_feature_names_out(self, input_features=None):
        """Name of the one feature of each time step of the output.

        Parameters
        ----------
        input_features : None
            Ignored (texts have no columns).

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``["token_id"]``.
        """
        check_is_fitted(self)
        return np.asarray(["token_id"], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []
        return tags

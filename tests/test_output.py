"""Tests of set_output: a DataFrame for 2-D output, 3-D and lists unchanged."""

import numpy as np
import pandas as pd
import pytest
from sklearn import config_context
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import (
    check_global_output_transform_pandas,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
)

from sklstm import (
    LSTMClassifier,
    LSTMRegressor,
    SequenceImputer,
    SequenceScaler,
    SlidingWindowTransformer,
)

FAST = dict(hidden_size=4, conv_channels=None, max_epochs=1, random_state=0)
TWO_D = [SequenceScaler(), SequenceImputer()]


@pytest.mark.parametrize("transformer", TWO_D, ids=lambda t: type(t).__name__)
@pytest.mark.parametrize(
    "check",
    [
        check_set_output_transform,
        check_set_output_transform_pandas,
        check_global_output_transform_pandas,
        check_transformer_get_feature_names_out,
        check_transformer_get_feature_names_out_pandas,
    ],
    ids=lambda c: c.__name__,
)
@pytest.mark.filterwarnings("ignore:X (has|does not have valid) feature names")
def test_output_sklearn_set_output_checks(transformer, check):
    """scikit-learn's set_output and feature-name checks pass (2-D output)."""
    check(type(transformer).__name__, transformer)


@pytest.mark.parametrize("transformer", TWO_D, ids=lambda t: type(t).__name__)
def test_output_2d_is_dataframe_with_names_and_index(transformer):
    """2-D input gives a DataFrame with the input's columns and index."""
    df = pd.DataFrame(
        np.arange(12.0).reshape(3, 4),
        columns=["t0", "t1", "t2", "t3"],
        index=["a", "b", "c"],
    )
    out = clone(transformer).set_output(transform="pandas").fit_transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["t0", "t1", "t2", "t3"]
    assert list(out.index) == ["a", "b", "c"]


@pytest.mark.parametrize("transformer", TWO_D, ids=lambda t: type(t).__name__)
def test_output_3d_and_ragged_stay_as_they_are(transformer):
    """3-D arrays and lists of sequences are returned unchanged in form."""
    X = np.arange(24.0).reshape(2, 4, 3)
    est = clone(transformer).set_output(transform="pandas")
    assert isinstance(est.fit_transform(X), np.ndarray)
    assert est.transform(X).shape == (2, 4, 3)
    ragged = [np.arange(3.0), np.arange(5.0)]
    out = est.fit_transform(ragged)
    assert isinstance(out, list) and [len(o) for o in out] == [3, 5]
    with pytest.raises(ValueError, match="variable-length"):
        est.get_feature_names_out()


def test_output_sliding_window_stays_3d_and_names_last_axis():
    """The windows stay an ndarray; their feature names are the input's columns."""
    df = pd.DataFrame({"load": np.arange(6.0), "temp": np.arange(6.0) * 2})
    swt = SlidingWindowTransformer(window_length=3).set_output(transform="pandas")
    out = swt.fit_transform(df)
    assert isinstance(out, np.ndarray) and out.shape == (6, 3, 2)
    assert list(swt.get_feature_names_out()) == ["load", "temp"]
    with config_context(transform_output="pandas"):
        windows = SlidingWindowTransformer(window_length=3).fit_transform(df)
    assert isinstance(windows, np.ndarray)


def test_output_set_output_rejects_unknown_container():
    """An unknown container name is a clear ValueError."""
    with pytest.raises(ValueError, match="transform must be one of"):
        SequenceScaler().set_output(transform="arrow")


def test_output_clone_keeps_set_output():
    """clone keeps the output setting, as for scikit-learn's transformers."""
    est = clone(SequenceScaler().set_output(transform="pandas"))
    assert isinstance(est.fit_transform(np.ones((3, 2))), pd.DataFrame)


def test_output_pipeline_set_output_pandas_fits_and_predicts():
    """Pipeline.set_output(transform="pandas") does not raise, and the pipeline fits."""
    rng = np.random.RandomState(0)
    df = pd.DataFrame({"x": rng.randn(30), "y": rng.randn(30)})
    pipe = make_pipeline(
        SlidingWindowTransformer(window_length=4), LSTMRegressor(**FAST)
    ).set_output(transform="pandas")
    pipe.fit(df, df["y"].to_numpy())
    assert pipe.predict(df).shape == (30,)

    X = rng.randn(20, 6)
    y = np.repeat([0, 1], 10)
    with config_context(transform_output="pandas"):
        clf = make_pipeline(SequenceImputer(), SequenceScaler(), LSTMClassifier(**FAST))
        clf.fit(X, y)
        assert clf.predict(X).shape == (20,)

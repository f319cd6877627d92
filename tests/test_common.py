"""scikit-learn's own estimator checks, docstrings and public names."""

import inspect
import re

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklstm
from sklstm import (
    LSTMClassifier,
    LSTMRegressor,
    SequenceImputer,
    SequenceScaler,
    SlidingWindowTransformer,
)

# Enough epochs for the checks that ask a classifier or regressor to beat a
# trivial score on scikit-learn's small blob and regression data sets.
CHECK_PARAMS = dict(hidden_size=8, max_epochs=30, batch_size=16, lr=0.01, random_state=0)

ESTIMATORS = [
    LSTMRegressor(**CHECK_PARAMS),
    LSTMClassifier(**CHECK_PARAMS),
    SlidingWindowTransformer(window_length=3),
    SequenceScaler(),
    SequenceImputer(),
]

_WINDOW_ROWS = (
    "each output row is the window that ends at that row of the series, so it "
    "depends on the rows before it: reordering or subsetting the rows of a "
    "series changes its windows by design"
)
EXPECTED_FAILED_CHECKS = {
    "SlidingWindowTransformer": {
        "check_methods_sample_order_invariance": _WINDOW_ROWS,
        "check_methods_subset_invariance": _WINDOW_ROWS,
    },
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_common_sklearn_compatible(estimator, check):
    """Every public estimator passes scikit-learn's common checks."""
    check(estimator)

"""scikit-learn compatible LSTM estimators for sequences and time series."""

from ._classifier import LSTMClassifier
from ._preprocessing import SequenceImputer, SequenceScaler
from ._regressor import LSTMRegressor
from ._windowing import SlidingWindowTransformer, make_windows

__version__ = "0.1.0"

__all__ = [
    "LSTMClassifier",
    "LSTMRegressor",
    "SequenceImputer",
    "SequenceScaler",
    "SlidingWindowTransformer",
    "__version__",
    "make_windows",
]

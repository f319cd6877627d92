"""scikit-learn compatible LSTM estimators for sequences and time series."""

from ._anomaly import LSTMAnomalyDetector
from ._classifier import LSTMClassifier
from ._onnx import export_onnx
from ._persistence import load_model, resume_fit, save_model
from ._preprocessing import SequenceImputer, SequenceScaler
from ._regressor import LSTMRegressor
from ._text import TextTokenizer
from ._windowing import SlidingWindowTransformer, make_windows

__version__ = "0.1.0"

__all__ = [
    "LSTMAnomalyDetector",
    "LSTMClassifier",
    "LSTMRegressor",
    "SequenceImputer",
    "SequenceScaler",
    "SlidingWindowTransformer",
    "TextTokenizer",
    "__version__",
    "export_onnx",
    "load_model",
    "make_windows",
    "resume_fit",
    "save_model",
]

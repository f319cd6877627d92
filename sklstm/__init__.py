"""scikit-learn compatible LSTM estimators for sequences and time series."""

from ._anomaly import LSTMAnomalyDetector
from ._classifier import LSTMClassifier
from ._forecaster import LSTMForecaster, PanelTimeSeriesSplit, backtest
from ._onnx import export_onnx
from ._persistence import load_model, resume_fit, save_model
from ._preprocessing import SequenceImputer, SequenceScaler
from ._regressor import LSTMRegressor
from ._streaming import AnomalyStream
from ._text import TextTokenizer
from ._windowing import SlidingWindowTransformer, make_windows

from ._version import __version__

__all__ = [
    "AnomalyStream",
    "LSTMAnomalyDetector",
    "LSTMClassifier",
    "LSTMForecaster",
    "LSTMRegressor",
    "PanelTimeSeriesSplit",
    "SequenceImputer",
    "SequenceScaler",
    "SlidingWindowTransformer",
    "TextTokenizer",
    "__version__",
    "backtest",
    "export_onnx",
    "load_model",
    "make_windows",
    "resume_fit",
    "save_model",
]

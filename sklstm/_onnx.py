"""Export of fitted estimators to ONNX, for serving without Python objects."""

import copy
import io
import json
import os
import warnings

import numpy as np
import torch
from torch import nn

from ._validation import check_is_fitted

__all__ = ["export_onnx"]

_OPSET = 17


class _PaddedEncoder(nn.Module):
    """What a ``_SequenceEncoder`` computes for padded sequences, unpacked.

    The encoder packs variable-length batches (``pack_padded_sequence``),
    which the TorchScript-based ONNX exporter does not export faithfully
    (it fails on a single recurrent layer and gives wrong states with
    pooling). This module computes the same ``(output, last)`` with ops
    that trace: each direction of each layer runs as its own one-layer
    recurrent net over the padded batch; the forward direction's summary is
    its output at the last valid step (a step never sees the padding after
    it), and the backward direction reads every sequence reversed within
    its own length (an index gather that leaves the padding at the end), so
    that its summary is again the output at the last valid step. Padded
    steps then never reach a valid one, as with packing.

    Args:
        encoder: the fitted ``_SequenceEncoder`` (in eval mode); its
            scaling, convolution, FCN branch and layer norm are reused.
    """

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder
        rnn = encoder.rnn
        directions = ("", "_reverse") if rnn.bidirectional else ("",)
        self.rnns = nn.ModuleList()
        for layer in range(rnn.num_layers):
            for suffix in directions:
                weight = getattr(rnn, f"weight_ih_l{layer}{suffix}")
                one = type(rnn)(weight.shape[1], rnn.hidden_size, batch_first=True)
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    value = getattr(rnn, f"{name}_l{layer}{suffix}")
                    getattr(one, f"{name}_l0").data.copy_(value.data)
                self.rnns.append(one.eval())
        self.n_directions = len(directions)

    @property
    def x_mean(self):
        return self.encoder.x_mean

    @property
    def x_scale(self):
        return self.encoder.x_scale

    def forward(self, X, lengths):
        encoder = self.encoder
        lengths = lengths.to(torch.int64)
        scaled = encoder._scale(X, lengths)
        pooled = None if encoder.fcn is None else encoder.fcn(scaled, lengths)
        Z, lengths = encoder._convolve(scaled, lengths)
        steps = torch.arange(Z.shape[1], device=Z.device)[None, :]
        valid = steps < lengths[:, None]
        # position of each step in its sequence read backwards (padding stays)
        reverse = torch.where(valid, lengths[:, None] - 1 - steps, steps)
        last_step = (lengths - 1)[:, None, None]
        finals = []
        for layer in range(len(self.rnns) // self.n_directions):
            outputs, finals = [], []
            for direction in range(self.n_directions):
                rnn = self.rnns[layer * self.n_directions + direction]
                inputs = Z if direction == 0 else _gather_steps(Z, reverse)
                out, _ = rnn(inputs)
                index = last_step.expand(-1, 1, out.shape[2])
                finals.append(torch.gather(out, 1, index)[:, 0])
                outputs.append(out if direction == 0 else _gather_steps(out, reverse))
            Z = torch.cat(outputs, dim=2) if len(outputs) > 1 else outputs[0]
        out = Z * valid[..., None].to(Z.dtype)
        last = torch.cat(finals, dim=1) if len(finals) > 1 else finals[0]
        return encoder._finish(out, last, pooled)


def _gather_steps(Z, index):
    """``Z[n, index[n, t]]`` for every sequence ``n`` and step ``t``."""
    return torch.gather(Z, 1, index[..., None].expand(-1, -1, Z.shape[2]))


class _RegressorGraph(nn.Module):
    """Raw windows in, predictions in the units of ``y`` out."""

    def __init__(self, net, mean, scale, flat):
        super().__init__()
        self.net = net
        self.register_buffer("y_mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("y_scale", torch.as_tensor(scale, dtype=torch.float32))
        self.flat = flat

    def forward(self, X, lengths=None):
        y = _run(self.net, X, lengths) * self.y_scale + self.y_mean
        return y[:, 0] if self.flat else y


class _ClassifierGraph(nn.Module):
    """Raw windows in, class index and class probabilities out."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, X, lengths=None):
        proba = torch.softmax(_run(self.net, X, lengths), dim=1)
        return torch.argmax(proba, dim=1), proba


class _AnomalyGraph(nn.Module):
    """Raw windows in, score_samples, decision_function and labels out."""

    def __init__(self, net, error_mean, precision_matrix, offset):
        super().__init__()
        self.net = net
        self.register_buffer("error_mean", torch.as_tensor(error_mean).float())
        self.register_buffer("precision", torch.as_tensor(precision_matrix).float())
        self.register_buffer("offset", torch.as_tensor(float(offset)))

    def forward(self, X, lengths=None):
        errors = _run(self.net, X, lengths) - self.error_mean
        squared = ((errors @ self.precision) * errors).sum(dim=-1)
        if squared.dim() == 2 and lengths is None:  # one error per step: their mean
            squared = squared.mean(dim=1)
        elif squared.dim() == 2:  # the mean over the valid steps
            steps = torch.arange(squared.shape[1], device=squared.device)
            valid = (steps[None, :] < lengths[:, None]).to(squared.dtype)
            squared = (torch.clamp(squared, min=0.0) * valid).sum(dim=1)
            squared = squared / lengths.to(squared.dtype)
        scores = -torch.sqrt(torch.clamp(squared, min=0.0))
        decision = scores - self.offset
        labels = torch.where(
            decision < 0, torch.full_like(decision, -1), torch.ones_like(decision)
        ).to(torch.int64)
        return scores, decision, labels


def _run(net, X, lengths):
    """``net`` on ``X``, with ``lengths`` when the graph takes them."""
    return net(X) if lengths is None else net(X, lengths)


def _require_onnx():
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(
            "export_onnx needs the onnx package: from a checkout, "
            'pip install ".[onnx]" (or pip install onnx onnxruntime).'
        ) from exc
    return onnx


def _graph_of(estimator):
    """The export module, its output names and estimator-specific metadata."""
    from ._anomaly import LSTMAnomalyDetector
    from ._classifier import LSTMClassifier
    from ._regressor import LSTMRegressor

    if not isinstance(estimator, (LSTMRegressor, LSTMClassifier, LSTMAnomalyDetector)):
        raise TypeError(
            "export_onnx exports a fitted LSTMRegressor, LSTMClassifier or "
            f"LSTMAnomalyDetector, got {type(estimator).__name__}."
        )
    check_is_fitted(estimator)
    name = type(estimator).__name__
    if getattr(estimator, "quantiles_", None) is not None:
        raise ValueError(
            f"This {name} predicts quantiles (quantiles is set); export_onnx "
            "exports models of one prediction per target only."
        )
    net = copy.deepcopy(estimator.module_).to("cpu").float().eval()
    net.precision = "float32"  # no autocast in the graph
    if _takes_lengths(estimator):
        net.encoder = _PaddedEncoder(net.encoder)
    if isinstance(estimator, LSTMRegressor):
        graph = _RegressorGraph(
            net,
            np.asarray(estimator._target_mean, dtype=np.float32).reshape(-1),
            np.asarray(estimator._target_scale, dtype=np.float32).reshape(-1),
            flat=estimator._y_ndim == 1,
        )
        return graph, ["predictions"], {}
    if isinstance(estimator, LSTMAnomalyDetector):
        graph = _AnomalyGraph(
            net, estimator.error_mean_, estimator._error_precision, estimator.offset_
        )
        return (
            graph,
            ["score_samples", "decision_function", "label"],
            {"offset": repr(float(estimator.offset_))},
        )
    classes = [c.item() if hasattr(c, "item") else c for c in estimator.classes_]
    return (
        _ClassifierGraph(net),
        ["label", "probabilities"],
        {"classes": json.dumps(classes)},
    )


def _takes_lengths(estimator):
    """Whether the graph of ``estimator`` takes ``lengths`` next to ``X``.

    Models fitted on variable-length sequences and token-id models (whose
    predict finds the padding of each sequence) do; fixed-length numeric
    models do not.
    """
    tokens = getattr(estimator, "vocab_size", None) is not None
    return tokens or not hasattr(estimator, "n_features_in_")


def export_onnx(estimator, path):
    """Write a fitted estimator as an ONNX model that takes raw windows.

    The graph holds everything ``predict`` does after validation: the input
    standardisation (``scale_inputs``), the network, and for a regressor
    the undoing of the target scaling, for a classifier the softmax and the
    index of the most probable class, for an anomaly detector the error
    distance, the score and the label. It runs with onnxruntime (or any ONNX
    runtime) without sklstm or torch.

    Inputs and outputs of the graph:

    - ``X``, for a model fitted on an array (fixed-length windows): float32
      of shape ``(n_samples, window_length, n_features)``, raw (unscaled)
      windows; the batch size is free, the window length and the number of
      features are those of ``fit`` (a 2-D ``X`` in ``fit`` means
      ``n_features=1``). This graph has no other input.
    - ``X`` and ``lengths``, for a model fitted on a list of sequences of
      different lengths: ``X`` is float32 of shape ``(n_samples,
      max_length, n_features)``, the sequences padded at the end to a
      common length (any ``max_length``, any finite padding value: padded
      steps are never read), and ``lengths`` is int64 of shape
      ``(n_samples,)``, the number of valid steps of each sequence, each in
      ``[1, max_length]``. Sequences of one length may be given as they are,
      with every length equal to ``max_length``.
    - for a classifier of token ids (``vocab_size`` set): ``X`` is int64 of
      shape ``(n_samples, max_length)``, ids in ``[0, vocab_size_)`` padded
      at the end, and ``lengths`` as above (for a 2-D array of ids padded
      with 0, as ``predict`` reads it: the position after the last non-zero
      id, at least 1).
    - regressor: ``predictions``, float32, ``(n_samples,)`` or
      ``(n_samples, n_outputs)`` as ``predict``.
    - classifier: ``label``, int64 ``(n_samples,)``, the index of the
      predicted class in ``classes_``, and ``probabilities``, float32
      ``(n_samples, n_classes)``, as ``predict_proba``.
    - anomaly detector: ``score_samples``, ``decision_function`` (float32,
      ``(n_samples,)``) and ``label`` (int64, -1 for an anomaly, +1 for a
      normal window), as the methods of those names; the metadata also
      holds ``offset``. sklstm scores in float64, the graph in float32, so
      a window whose decision is within about 1e-5 of 0 may get the other
      label.

    The model's metadata (``metadata_props``) holds ``estimator``,
    ``sklstm_version``, ``window_length`` (the number of steps, or
    ``"variable"`` for a graph that takes ``lengths``), ``n_features``,
    ``feature_names`` (JSON list, or empty), ``input_name`` (``"X"``),
    ``output_names`` (JSON) and, for a classifier, ``classes`` (JSON list
    of the labels, in the order of the ``label`` index and the probability
    columns). A graph that takes ``lengths`` also has ``input_names``
    (JSON, ``["X", "lengths"]``), and one of token ids ``vocab_size``.

    A model that predicts quantiles (``quantiles`` set) is not exported
    (ValueError). The graph computes in float32, also for a model trained
    with ``precision="bfloat16"``. Its recurrent layers run without
    packing: each direction of each layer is one ONNX recurrent node over
    the padded batch, the backward one reading every sequence reversed
    within its own length, which gives the states that packing gives.

    Parameters
    ----------
    estimator : LSTMRegressor, LSTMClassifier or LSTMAnomalyDetector
        A fitted estimator.
    path : str or path-like
        Where to write the ``.onnx`` file.

    Returns
    -------
    path : str
        The path written.

    See Also
    --------
    save_model : Store an estimator to load it back in Python.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMRegressor, export_onnx
    >>> X = np.random.RandomState(0).randn(20, 6, 1)
    >>> reg = LSTMRegressor(hidden_size=4, max_epochs=1, random_state=0)
    >>> reg = reg.fit(X, X[:, -1, 0])
    >>> import tempfile, os
    >>> path = export_onnx(reg, os.path.join(tempfile.mkdtemp(), "reg.onnx"))
    >>> path.endswith("reg.onnx")
    True

    A model of sequences of different lengths takes them padded, with
    their lengths:

    >>> rng = np.random.RandomState(0)
    >>> seqs = [rng.randn(n, 1) for n in (3, 5, 4, 6)]
    >>> reg = LSTMRegressor(hidden_size=4, max_epochs=1, random_state=0)
    >>> reg = reg.fit(seqs, [s[-1, 0] for s in seqs])
    >>> path = export_onnx(reg, os.path.join(tempfile.mkdtemp(), "var.onnx"))
    >>> import onnxruntime as ort
    >>> X = np.zeros((4, 6, 1), dtype=np.float32)
    >>> for row, seq in zip(X, seqs):
    ...     row[: len(seq)] = seq
    >>> lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    >>> session = ort.InferenceSession(path)
    >>> (pred,) = session.run(None, {"X": X, "lengths": lengths})
    >>> np.allclose(pred, reg.predict(seqs), atol=1e-4)
    True
    """
    onnx = _require_onnx()
    from . import __version__

    graph, outputs, extra = _graph_of(estimator)
    width = int(estimator.input_size_)
    tokens = getattr(estimator, "vocab_size", None) is not None
    if _takes_lengths(estimator):
        # two sequences of different lengths, so that no length is traced
        # as a constant
        steps = 5
        if tokens:
            example = (torch.ones(2, steps, dtype=torch.int64),)
        else:
            example = (torch.zeros(2, steps, width),)
        example += (torch.tensor([steps, steps - 2], dtype=torch.int64),)
        inputs = ["X", "lengths"]
        axes = {"X": {0: "n_samples", 1: "max_length"}, "lengths": {0: "n_samples"}}
        window = "variable"
    else:
        window = str(int(estimator.n_features_in_))
        example = (torch.zeros(2, int(window), width),)
        inputs = ["X"]
        axes = {"X": {0: "n_samples"}}
    axes.update({name: {0: "n_samples"} for name in outputs})
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # the TorchScript-based exporter, which needs no extra package, warns
        # that it is deprecated and about batch_first LSTMs: both are harmless
        warnings.simplefilter("ignore")
        torch.onnx.export(
            graph,
            example,
            buffer,
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=axes,
            opset_version=_OPSET,
            dynamo=False,
        )
    model = onnx.load_from_string(buffer.getvalue())
    names = getattr(estimator, "feature_names_in_", None)
    meta = {
        "estimator": type(estimator).__name__,
        "sklstm_version": __version__,
        "window_length": window,
        "n_features": str(width),
        "feature_names": json.dumps([] if names is None else [str(n) for n in names]),
        "input_name": "X",
        "output_names": json.dumps(outputs),
        **extra,
    }
    if len(inputs) > 1:
        meta["input_names"] = json.dumps(inputs)
    if tokens:
        vocab = getattr(estimator, "vocab_size_", estimator.vocab_size)
        meta["vocab_size"] = str(int(vocab))
    onnx.helper.set_model_props(model, meta)
    path = os.fspath(path)
    onnx.save(model, path)
    return path

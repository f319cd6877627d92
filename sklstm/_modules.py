"""Torch modules behind the sklstm estimators (private).

The estimators build these networks in ``fit``; users reach them as
``estimator.module_`` but never construct them directly.
"""

import contextlib

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from ._fcn import DEFAULT_FCN_KERNEL_SIZES, _FCNBranch

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


class _SeededDropout(nn.Dropout):
    """``nn.Dropout`` that draws its mask from ``generator`` when one is set.

    ``nn.Dropout`` draws from the global torch RNG, which every thread of
    the process shares; a fit sets a generator of its own for the duration
    of training (``_seed_dropout``), so that its masks depend on its
    ``random_state`` only. Without a generator it is ``nn.Dropout``.
    """

    generator = None

    def forward(self, X):
        if not self.training or self.p == 0 or self.generator is None:
            return super().forward(X)
        keep = 1.0 - self.p
        if keep == 0:
            return torch.zeros_like(X)
        mask = torch.empty_like(X).bernoulli_(keep, generator=self.generator)
        return X * mask / keep


@contextlib.contextmanager
def _seed_dropout(module, generator):
    """Every ``_SeededDropout`` of ``module`` draws from ``generator`` meanwhile."""
    layers = [m for m in module.modules() if isinstance(m, _SeededDropout)]
    for layer in layers:
        layer.generator = generator
    try:
        yield
    finally:
        for layer in layers:
            layer.generator = None


class _SequenceEncoder(nn.Module):
    """Embedding or scaling, optional convolution, then a recurrent stack.

    With ``fcn_channels`` set, a fully convolutional branch (LSTM-FCN)
    reads the scaled (or embedded) input in parallel with the recurrent
    stack, and its masked global average pool is concatenated to ``last``.

    Args:
        input_size: features per time step (ignored when ``vocab_size`` is set).
        hidden_size: units per recurrent layer.
        num_layers: stacked recurrent layers.
        cell: ``"lstm"`` or ``"gru"``.
        bidirectional: run each layer in both directions.
        dropout: dropout between recurrent layers (only when
            ``num_layers > 1``, so that torch does not warn).
        layer_norm: apply ``nn.LayerNorm`` to the recurrent output.
        conv_channels: output channels of a 1-D convolution applied before the
            recurrent layers, or ``None`` for no convolution.
        conv_kernel_size: kernel size of that convolution ("same" padding).
        conv_pool: max-pooling factor in time after the convolution (1: no
            pooling); a sequence of length ``l`` leaves ``ceil(l / conv_pool)``
            steps for the recurrent layers.
        vocab_size: when set, inputs are integer token ids (padding id 0)
            embedded with ``nn.Embedding(vocab_size, embedding_dim)``.
        embedding_dim: size of the token embedding.
        fcn_channels: output channels of each block of the fully
            convolutional branch (Conv1d, batch norm, ReLU), e.g.
            ``(128, 256, 128)``, or ``None`` for no branch.
        fcn_kernel_sizes: kernel size of each of those blocks.

    Inputs: X, lengths
        * **X**: tensor of shape :math:`(N, L, H_{in})` (float features) or
          :math:`(N, L)` (token ids when ``vocab_size`` is set).
        * **lengths**: optional tensor of shape :math:`(N,)` with the number of
          valid steps of each sequence; steps past it are padding and never
          reach the recurrent layers (they are packed away).

    Outputs: output, last
        * **output**: tensor of shape :math:`(N, L, D * H_{out})`, the top
          layer's output at every step (zero at padded steps).
        * **last**: tensor of shape :math:`(N, D * H_{out} + C_{fcn})`, the
          summary of each sequence: the forward direction's state at its last
          valid step, concatenated with the backward direction's state at its
          first step, then (with ``fcn_channels``) the branch's pooled output
          of :math:`C_{fcn}` = ``fcn_channels[-1]`` values (else 0).

    where :math:`N` is the batch size, :math:`L` the padded length,
    :math:`H_{in}` the input size, :math:`H_{out}` the hidden size and
    :math:`D` is 2 when bidirectional, else 1.

    .. note::
        For a bidirectional layer, ``output[:, -1]`` is *not* the summary of
        the backward direction (that direction has seen only the last step
        there); ``last`` takes each direction's final state from ``h_n``.
    """

    def __init__(
        self,
        input_size,
        hidden_size,
        num_layers=1,
        cell="lstm",
        bidirectional=False,
        dropout=0.0,
        layer_norm=False,
        conv_channels=None,
        conv_kernel_size=5,
        conv_pool=1,
        vocab_size=None,
        embedding_dim=32,
        fcn_channels=None,
        fcn_kernel_sizes=DEFAULT_FCN_KERNEL_SIZES,
    ):
        super().__init__()
        self.conv_pool = int(conv_pool) if conv_channels is not None else 1
        self.cell = cell
        self.bidirectional = bidirectional
        self.register_buffer("x_mean", torch.zeros(input_size))
        self.register_buffer("x_scale", torch.ones(input_size))
        if vocab_size is not None:
            self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
            rnn_input = embedding_dim
        else:
            self.embedding = None
            rnn_input = input_size
        self.fcn = (
            None
            if fcn_channels is None
            else _FCNBranch(rnn_input, fcn_channels, fcn_kernel_sizes)
        )
        if conv_channels is not None:
            self.conv = nn.Conv1d(
                rnn_input, conv_channels, conv_kernel_size, padding="same"
            )
            rnn_input = conv_channels
        else:
            self.conv = None
        self.rnn = _CELLS[cell](
            rnn_input,
            hidden_size,
            num_layers=num_layers,
            batch_first=True,
            bidirectional=bidirectional,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        rnn_size = hidden_size * (2 if bidirectional else 1)
        self.norm = nn.LayerNorm(rnn_size) if layer_norm else None
        self.output_size = rnn_size + (0 if self.fcn is None else self.fcn.output_size)

    def embed(self, X, lengths=None):
        """Input of the recurrent stack and its lengths.

        Scales (or embeds) ``X``, then applies the convolution and pooling.
        Returns ``(Z, lengths)``: ``Z`` of shape ``(N, L', C)`` with ``L'`` the
        pooled length, and the valid lengths after pooling (or None).
        """
        return self._convolve(self._scale(X, lengths), lengths)

    def _scale(self, X, lengths=None):
        """Scaled (or embedded) ``X``, zero at padded steps."""
        if self.embedding is not None:
            if X.dim() == 3:
                X = X[..., 0]
            Z = self.embedding(X.long())
        else:
            Z = (X.float() - self.x_mean) / self.x_scale
        if lengths is not None:
            steps = torch.arange(Z.shape[1], device=Z.device)
            mask = steps[None, :] < lengths.to(Z.device)[:, None]
            Z = Z * mask[..., None]
        return Z

    def _convolve(self, Z, lengths=None):
        """The optional convolution and pooling in front of the recurrent stack."""
        if self.conv is not None:
            if lengths is not None:
                steps = torch.arange(Z.shape[1], device=Z.device)
                mask = steps[None, :] < lengths.to(Z.device)[:, None]
            Z = torch.relu(self.conv(Z.transpose(1, 2)))
            if lengths is not None:
                # after ReLU every value is >= 0, so zeroed padding never wins
                # the max-pool over a window that also holds valid steps
                Z = Z * mask[:, None, :]
            if self.conv_pool > 1:
                Z = nn.functional.max_pool1d(
                    Z, self.conv_pool, self.conv_pool, ceil_mode=True
                )
                if lengths is not None:
                    # rounded up, written as a floor division of positive
                    # numbers so that the ONNX export traces it exactly
                    lengths = torch.div(
                        lengths + (self.conv_pool - 1),
                        self.conv_pool,
                        rounding_mode="floor",
                    )
            Z = Z.transpose(1, 2)
        return Z, lengths

    def forward(self, X, lengths=None):
        scaled = self._scale(X, lengths)
        pooled = None if self.fcn is None else self.fcn(scaled, lengths)
        Z, lengths = self._convolve(scaled, lengths)
        total = Z.shape[1]
        if lengths is not None:
            packed = pack_padded_sequence(
                Z, lengths.cpu(), batch_first=True, enforce_sorted=False
            )
            out, state = self.rnn(packed)
            out, _ = nn.utils.rnn.pad_packed_sequence(
                out, batch_first=True, total_length=total
            )
        else:
            out, state = self.rnn(Z)
        h_n = state[0] if self.cell == "lstm" else state
        if self.bidirectional:
            last = torch.cat([h_n[-2], h_n[-1]], dim=1)
        else:
            last = h_n[-1]
        return self._finish(out, last, pooled)

    def _finish(self, out, last, pooled):
        """Layer norm of the outputs and final state; the FCN features appended."""
        if self.norm is not None:
            out = self.norm(out)
            last = self.norm(last)
        if pooled is not None:
            last = torch.cat([last, pooled.to(last.dtype)], dim=1)
        return out, last


class _ManyToOneNet(nn.Module):
    """Recurrent encoder followed by dropout and a linear head.

    Inputs: X, lengths
        * **X**: tensor of shape :math:`(N, L, H_{in})` or :math:`(N, L)`
          (token ids).
        * **lengths**: optional tensor of shape :math:`(N,)`.

    Outputs: out
        * **out**: tensor of shape :math:`(N, H_{target})`: regression
          outputs (in standardised units) or class logits.

    ``precision="bfloat16"`` runs the forward pass under
    ``torch.autocast`` with bfloat16; the output is returned as float32.

    ``window_norm`` (``"last"`` or ``"mean"``, regression only) normalises
    each window on its own: the window's last valid step (or its mean over
    the valid steps) of the first feature is subtracted from every step of
    that feature before the encoder (the other features, covariates, are
    left as they are), and that reference value, standardised
    with ``target_mean`` and ``target_scale`` (one value per output), is
    added back to every output. The network then learns changes relative
    to the window, so levels and trends beyond the training range carry
    over (NLinear, Zeng et al., AAAI 2023; RevIN, Kim et al., ICLR 2022).

    ``highway_window`` (an int, regression only) adds a linear map of the
    last ``highway_window`` valid steps of the first feature, as the
    encoder reads it (scaled, after ``window_norm``), to the output
    (LSTNet's highway, Lai et al., SIGIR 2018). That map and the head
    start at zero, so the untrained network outputs the reference value
    of ``window_norm`` (with ``"last"``: the naive forecast).
    """

    def __init__(
        self,
        output_size,
        dropout=0.0,
        precision="float32",
        window_norm=None,
        highway_window=None,
        target_mean=None,
        target_scale=None,
        **encoder,
    ):
        super().__init__()
        self.encoder = _SequenceEncoder(dropout=dropout, **encoder)
        self.dropout = _SeededDropout(dropout)
        self.head = nn.Linear(self.encoder.output_size, output_size)
        self.precision = precision
        self.window_norm = window_norm
        self.highway_window = highway_window
        self.highway = None
        if highway_window is not None:
            self.highway = nn.Linear(int(highway_window), output_size)
            for layer in (self.highway, self.head):
                nn.init.zeros_(layer.weight)
                nn.init.zeros_(layer.bias)
        if window_norm is not None:
            _register_target_stats(
                self,
                torch.zeros(output_size) if target_mean is None else target_mean,
                torch.ones(output_size) if target_scale is None else target_scale,
            )

    def forward(self, X, lengths=None):
        ref = None
        if self.window_norm is not None:
            # only the first feature (the series itself) is centred: the
            # others (covariates: calendar, prices, static features) keep
            # their values, which the global standardisation scales
            X = X.float()
            first, ref = _normalise_windows(X[..., :1], lengths, self.window_norm)
            # the encoder subtracts x_mean: adding it keeps only the window's
            # own centring, divided by the global feature scale
            X = torch.cat([first + self.encoder.x_mean[:1], X[..., 1:]], dim=-1)
        with _autocast(X, self.precision):
            _, last = self.encoder(X, lengths)
            out = self.head(self.dropout(last))
        out = out.float()
        if self.highway is not None:
            encoder = self.encoder
            scaled = (X[..., 0].float() - encoder.x_mean[0]) / encoder.x_scale[0]
            out = out + self.highway(_last_steps(scaled, lengths, self.highway_window))
        if ref is not None:
            out = out + (ref[:, :1] - self.target_mean) / self.target_scale
        return out


def _last_steps(Z, lengths, p):
    """The last ``p`` valid steps of each row of ``Z`` (N, L), zero before its start."""
    N, L = Z.shape
    ends = (
        torch.full((N,), L, dtype=torch.long, device=Z.device)
        if lengths is None
        else lengths.to(Z.device).long()
    )
    steps = ends[:, None] - p + torch.arange(p, device=Z.device)[None, :]
    inside = steps >= 0
    picked = torch.gather(Z, 1, steps.clamp(min=0))
    return picked * inside


def _normalise_windows(X, lengths, how):
    """``X`` minus each window's reference value, and that reference.

    The reference, of shape ``(N, H_in)``, is the last valid step
    (``how="last"``) or the mean over the valid steps (``how="mean"``).
    """
    N, L, _ = X.shape
    if lengths is None:
        ref = X[:, -1] if how == "last" else X.mean(dim=1)
    else:
        lengths = lengths.to(X.device)
        if how == "last":
            ref = X[torch.arange(N, device=X.device), lengths - 1]
        else:
            valid = torch.arange(L, device=X.device)[None, :] < lengths[:, None]
            ref = (X * valid[..., None]).sum(dim=1) / lengths[:, None].to(X.dtype)
    return X - ref[:, None, :], ref


def _autocast(X, precision):
    """Autocast context for ``precision`` on the device of ``X``."""
    return torch.autocast(
        device_type=X.device.type,
        dtype=torch.bfloat16,
        enabled=precision == "bfloat16",
    )


def _lstm_gates(encoder, X, lengths=None, layer=-1):
    """Gate activations of one LSTM layer of ``encoder``, step by step.

    Recomputes the recurrence from the layer weights so that the gates,
    which ``nn.LSTM`` keeps internal, can be returned. Returns a dict of
    tensors of shape ``(N, L, D * H_out)``: ``input_gate``, ``forget_gate``,
    ``cell_candidate``, ``output_gate``, ``cell_state``, ``hidden_state``.
    Steps past a sequence's length are zero.
    """
    rnn = encoder.rnn
    n_layers = rnn.num_layers
    layer = layer % n_layers
    Z, lengths = encoder.embed(X, lengths)
    Z = Z.float()
    N, L, _ = Z.shape
    if lengths is None:
        lengths = torch.full((N,), L, dtype=torch.long)
    lengths = lengths.to(Z.device)
    valid = torch.arange(L, device=Z.device)[None, :] < lengths[:, None]
    names = (
        "input_gate",
        "forget_gate",
        "cell_candidate",
        "output_gate",
        "cell_state",
        "hidden_state",
    )
    for k in range(layer + 1):
        per_direction = []
        for suffix in ("", "_reverse")[: 2 if rnn.bidirectional else 1]:
            w_ih = getattr(rnn, f"weight_ih_l{k}{suffix}")
            w_hh = getattr(rnn, f"weight_hh_l{k}{suffix}")
            b = getattr(rnn, f"bias_ih_l{k}{suffix}") + getattr(
                rnn, f"bias_hh_l{k}{suffix}"
            )
            H = w_hh.shape[1]
            h = Z.new_zeros(N, H)
            c = Z.new_zeros(N, H)
            record = {name: Z.new_zeros(N, L, H) for name in names}
            steps = range(L - 1, -1, -1) if suffix else range(L)
            for t in steps:
                gates = Z[:, t] @ w_ih.T + h @ w_hh.T + b
                i, f, g, o = gates.chunk(4, dim=1)
                i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)
                g = torch.tanh(g)
                c_new = f * c + i * g
                h_new = o * torch.tanh(c_new)
                m = valid[:, t : t + 1]
                c = torch.where(m, c_new, c)
                h = torch.where(m, h_new, h)
                for name, value in zip(names, (i, f, g, o, c_new, h_new)):
                    record[name][:, t] = value * m
            per_direction.append(record)
        merged = {
            name: torch.cat([r[name] for r in per_direction], dim=2) for name in names
        }
        Z = merged["hidden_state"]
    return merged


class _ForecastErrorNet(nn.Module):
    """Forecast the last step of each window from the steps before it.

    The encoder reads the window shifted right by one step (a start token,
    the training mean, takes the place of the first step), so the summary
    it returns at the last step has seen every step except the one to
    forecast. A linear head maps that summary to a forecast of the last
    step, and the module returns the forecast error in standardised units.

    Args:
        target_mean: per-feature mean used to standardise the forecast target.
        target_scale: per-feature standard deviation used likewise.
        dropout: dropout between recurrent layers and before the head.
        precision: ``"float32"`` or ``"bfloat16"`` (autocast).
        **encoder: arguments of :class:`_SequenceEncoder`.

    Inputs: X, lengths
        * **X**: tensor of shape :math:`(N, L, H_{in})`.
        * **lengths**: optional tensor of shape :math:`(N,)`; the step to
          forecast is then the last valid step of each sequence.

    Outputs: error
        * **error**: tensor of shape :math:`(N, H_{in})`, forecast minus
          actual value of the last step, standardised per feature.

    .. note::
        With ``bidirectional=True`` the backward direction reads the shifted
        window too, so the target step never reaches the encoder in either
        direction.

    The module computes in the dtype of its weights and buffers, so a
    ``.double()`` copy scores in float64.
    """

    def __init__(
        self, target_mean, target_scale, dropout=0.0, precision="float32", **encoder
    ):
        super().__init__()
        self.encoder = _SequenceEncoder(dropout=dropout, **encoder)
        self.dropout = _SeededDropout(dropout)
        self.head = nn.Linear(self.encoder.output_size, encoder["input_size"])
        _register_target_stats(self, target_mean, target_scale)
        self.precision = precision

    def forward(self, X, lengths=None):
        X = X.to(self.target_mean.dtype)
        N, L, F = X.shape
        if lengths is None:
            last = X[:, -1]
        else:
            last = X[torch.arange(N, device=X.device), lengths.to(X.device) - 1]
        start = self.encoder.x_mean.expand(N, 1, F)
        past = torch.cat([start, X[:, : L - 1]], dim=1)
        with _autocast(X, self.precision):
            _, summary = self.encoder(past, lengths)
            forecast = self.head(self.dropout(summary))
        target = (last - self.target_mean) / self.target_scale
        return forecast.to(target.dtype) - target


class _ReconstructionErrorNet(nn.Module):
    """LSTM encoder-decoder that reconstructs each window.

    The encoder summarises the window in one vector; the decoder, a
    recurrent stack of the same cell type, reads that vector at every step
    and a linear head maps its outputs back to the features. The module
    returns the reconstruction error in standardised units.

    Args:
        target_mean: per-feature mean used to standardise the target.
        target_scale: per-feature standard deviation used likewise.
        dropout: dropout between recurrent layers and before the head.
        precision: ``"float32"`` or ``"bfloat16"`` (autocast).
        **encoder: arguments of :class:`_SequenceEncoder`.

    Inputs: X, lengths
        * **X**: tensor of shape :math:`(N, L, H_{in})`.
        * **lengths**: optional tensor of shape :math:`(N,)`.

    Outputs: error
        * **error**: tensor of shape :math:`(N, L, H_{in})`, reconstruction
          minus input, standardised per feature; zero at padded steps.

    The decoder does not feed its own outputs back, so training and scoring
    run the same computation. The module computes in the dtype of its
    weights and buffers, so a ``.double()`` copy scores in float64.
    """

    def __init__(
        self, target_mean, target_scale, dropout=0.0, precision="float32", **encoder
    ):
        super().__init__()
        self.encoder = _SequenceEncoder(dropout=dropout, **encoder)
        num_layers = encoder.get("num_layers", 1)
        self.decoder = _CELLS[encoder.get("cell", "lstm")](
            self.encoder.output_size,
            encoder["hidden_size"],
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.dropout = _SeededDropout(dropout)
        self.head = nn.Linear(encoder["hidden_size"], encoder["input_size"])
        _register_target_stats(self, target_mean, target_scale)
        self.precision = precision

    def forward(self, X, lengths=None):
        X = X.to(self.target_mean.dtype)
        N, L, _ = X.shape
        with _autocast(X, self.precision):
            _, summary = self.encoder(X, lengths)
            out, _ = self.decoder(summary[:, None, :].expand(N, L, -1))
            recon = self.head(self.dropout(out))
        error = recon.to(X.dtype) - (X - self.target_mean) / self.target_scale
        if lengths is not None:
            steps = torch.arange(L, device=X.device)
            error = error * (steps[None, :] < lengths.to(X.device)[:, None])[..., None]
        return error


class _MeanSquare(nn.Module):
    """Training criterion for modules that return their own errors.

    Inputs: error, target
        * **error**: tensor of any shape, the module output.
        * **target**: ignored (the estimators pass an empty placeholder).

    Outputs: loss
        * **loss**: scalar tensor, the mean of ``error ** 2``.
    """

    def forward(self, error, target=None):
        return error.pow(2).mean()


def _register_target_stats(module, target_mean, target_scale):
    """Store the per-feature standardisation of the target as buffers."""
    for name, value in (("target_mean", target_mean), ("target_scale", target_scale)):
        module.register_buffer(name, torch.as_tensor(value, dtype=torch.float32))


class _PinballLoss(nn.Module):
    """Pinball (quantile) loss of a network with one output per target and quantile.

    For a residual ``r = y - q_hat`` at quantile level ``tau`` the loss is
    ``max(tau * r, (tau - 1) * r)``: its minimiser is the ``tau``-quantile
    of ``y`` (Koenker and Bassett, 1978). The levels are a buffer, so that
    a saved net rebuilds the loss from its state.

    Args:
        quantiles: levels in (0, 1), a sequence or a 1-D tensor.
        reduction: ``"mean"`` (over every element) or ``"none"``.

    Inputs: pred, target
        * **pred**: tensor of shape :math:`(N, H_{target} \\cdot Q)`, the
          quantiles of each target next to each other (target-major).
        * **target**: tensor of shape :math:`(N, H_{target})`.

    Outputs: loss
        * **loss**: scalar tensor, or with ``reduction="none"`` a tensor of
          shape :math:`(N, H_{target}, Q)`.
    """

    def __init__(self, quantiles, reduction="mean"):
        super().__init__()
        self.register_buffer(
            "quantiles", torch.as_tensor(quantiles, dtype=torch.float32).reshape(-1)
        )
        self.reduction = reduction

    def forward(self, pred, target):
        n_q = len(self.quantiles)
        pred = pred.float().reshape(len(pred), -1, n_q)
        residual = target.to(pred.dtype).reshape(len(pred), -1, 1) - pred
        tau = self.quantiles.to(pred.device)
        loss = torch.maximum(tau * residual, (tau - 1) * residual)
        return loss if self.reduction == "none" else loss.mean()

"""LSTM regressor."""

from numbers import Integral

import numpy as np
import torch
from sklearn.base import RegressorMixin

from ._base import _BaseLSTMEstimator, _FitData
from ._modules import _ManyToOneNet, _PinballLoss
from ._validation import (
    Interval,
    StrOptions,
    _fit_context,
    check_is_fitted,
    check_target,
)

__all__ = ["LSTMRegressor"]

# rows per chunk when computing the target's statistics: the float64
# temporaries stay this size however long y is
_TARGET_CHUNK = 65536
# largest |y| trained unscaled: its square must stay far inside float32
_MAX_UNSCALED = 1e15


def _target_stats(y2d):
    """Mean and standard deviation of each column, in float64, y never copied whole."""
    mean = y2d.mean(axis=0, dtype=np.float64)
    squares = np.zeros(y2d.shape[1])
    for start in range(0, len(y2d), _TARGET_CHUNK):
        deviation = y2d[start : start + _TARGET_CHUNK] - mean
        squares += np.einsum("ij,ij->j", deviation, deviation)
    return mean, np.sqrt(squares / len(y2d))


class LSTMRegressor(RegressorMixin, _BaseLSTMEstimator):
    """Regression on sequences with a many-to-one LSTM (or GRU).

    The recurrent network reads each sequence and a linear head maps its
    final state to one or several targets: the next value(s) of a series,
    or any number describing a sequence. ``X`` is laid out as
    ``(n_samples, n_timesteps, n_features)`` (time second, features last);
    a 2D ``X`` holds univariate sequences, and a list of arrays holds
    sequences of different lengths, which are padded and packed, never
    truncated. Inputs and targets are standardised inside, so real-scale
    data (targets in the hundreds or thousands) needs no preprocessing.

    Parameters
    ----------
    hidden_size : int, default=64
        Number of units in each recurrent layer.
    num_layers : int, default=1
        Number of stacked recurrent layers.
    cell : {"lstm", "gru"}, default="lstm"
        Recurrent cell type.
    bidirectional : bool, default=True
        If True, each recurrent layer reads the sequence in both directions.
    dropout : float, default=0.0
        Dropout probability between recurrent layers (only when
        ``num_layers > 1``) and before the output layer.
    layer_norm : bool, default=False
        If True, apply layer normalisation to the recurrent outputs.
    conv_channels : int or None, default=64
        Output channels of a 1-D convolution (with ReLU) applied to the
        inputs before the recurrent layers (a CNN-LSTM), useful for long or
        noisy sequences. None means no convolution.
    conv_kernel_size : int, default=7
        Kernel size of that convolution ("same" padding).
    conv_pool_size : int or "auto", default="auto"
        Max-pooling factor in time after the convolution: the recurrent
        layers see ``ceil(n_timesteps / conv_pool_size)`` steps. ``"auto"``
        pools just enough that they see at most 64 steps (no pooling for
        sequences of up to 64 steps); 1 turns pooling off. Ignored without a
        convolution.
    fcn_channels : tuple of int or None, default=None
        Output channels of the blocks of a fully convolutional branch
        (LSTM-FCN, Karim et al., IEEE Access 2018), for example
        ``(128, 256, 128)``: each block is a 1-D convolution ("same"
        padding), batch normalisation and ReLU over the scaled input, and
        the last block's output is averaged over the valid time steps of
        each sequence (padding is never read, so variable-length input
        stays exact). That average is concatenated with the recurrent
        summary before the output layer. The branch reads the input directly, in parallel
        with ``conv_channels`` and the recurrent layers. None means no
        branch.
    fcn_kernel_sizes : tuple of int, default=(8, 5, 3)
        Kernel size of each block of that branch, one per entry of
        ``fcn_channels``. Ignored without the branch.
    max_epochs : int, default=100
        Maximum number of passes over the training data.
    batch_size : int or "auto", default="auto"
        Number of sequences per mini-batch. ``"auto"`` uses
        ``min(32, max(8, n_samples // 8))``, so that small training sets
        still get several optimizer steps per epoch.
    lr : float, default=1e-3
        Learning rate of the optimizer.
    optimizer : {"adam", "adamw", "sgd", "rmsprop"}, default="adam"
        Optimizer (``"sgd"`` uses momentum 0.9).
    weight_decay : float, default=0.0
        L2 penalty (decoupled for ``"adamw"``).
    clip_grad_norm : float or None, default=None
        If set, clip the gradient norm to this value at each step.
    early_stopping : bool, default=False
        If True, hold out the last ``validation_fraction`` of the sequences
        (the tail, not a shuffled sample, since windows of a series overlap),
        stop when the validation loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs and restore the best weights.
    validation_fraction : float, default=0.1
        Share of the training data held out when ``early_stopping=True``.
    n_iter_no_change : int, default=10
        Epochs without improvement before early stopping.
    tol : float, default=1e-4
        Minimum improvement of the validation loss that counts.
    lr_schedule : {"cosine", "step", "plateau", "onecycle"}, \
            skorch LRScheduler, torch scheduler class or None, default=None
        Learning-rate schedule: a name, a configured
        ``skorch.callbacks.LRScheduler``, or a ``torch.optim.lr_scheduler``
        class that needs no arguments beyond the optimizer.
    scale_inputs : bool, default=True
        If True, standardise each input feature with its mean and standard
        deviation over all training time steps (inside the network, so
        ``module_`` takes raw inputs).
    scale_target : bool, default=True
        If True, standardise each target column for training; predictions
        are returned in the original units.
    window_norm : {"last", "mean"} or None, default=None
        Per-window normalisation inside the network. ``"last"`` subtracts
        each window's last value of the first feature (``"mean"``: its mean
        over time) from every step of that feature, and adds it back to
        every output; the other features (covariates) keep their values,
        so that calendar, price or static features still say what they
        are: the network learns the change from the window's
        level, so forecasts follow levels and trends beyond the training
        range (NLinear, Zeng et al., 2023; RevIN, Kim et al., 2022). Meant
        for targets in the units of the first feature (the next values of
        a series). None uses the global standardisation only.
    highway_window : int or None, default=None
        If set, a linear autoregressive path over the last
        ``highway_window`` steps of the first feature (in the scaled units
        the network reads, after ``window_norm``) is added to the network's
        output (the "highway" of LSTNet, Lai et al., SIGIR 2018), so that
        the linear part of the dynamics needs no recurrent unit. Its
        weights start at zero, and so do those of the output layer: with
        ``window_norm="last"`` the untrained model forecasts the window's
        last value (the naive forecast). Steps before the start of a
        shorter sequence count as zero. None means no such path.
    quantiles : list of float or None, default=None
        Quantile levels in (0, 1), for example ``[0.1, 0.5, 0.9]``. When
        set, the network outputs one value per target and level, trained
        with the pinball (quantile) loss instead of the squared error;
        :meth:`predict` returns the quantile closest to 0.5 (the median
        when 0.5 is listed) and :meth:`predict_quantiles` all of them.
        None trains the mean with the squared error.
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks (instances or ``(name, callback)`` pairs);
        they are copied, never modified.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to train and predict; ``"auto"`` picks a CUDA GPU when one is
        available.
    precision : {"float32", "bfloat16"}, default="float32"
        ``"bfloat16"`` runs the network under bfloat16 autocast (mixed
        precision), faster on hardware with bfloat16 units.
    warm_start : bool, default=False
        If True, a further ``fit`` continues from the current weights (and
        optimizer state) for ``max_epochs`` more epochs; ``n_iter_`` and
        ``loss_curve_`` are extended, not restarted.
    checkpoint_dir : str, path-like or None, default=None
        If set, a directory where the training state (weights, optimizer
        state, history) is written after every epoch, as one file
        ``checkpoint.sklstm`` that :func:`sklstm.load_model` reads, so an
        interrupted fit can be finished with :func:`sklstm.resume_fit`.
        None (the default) writes nothing.
    n_jobs : int or None, default=None
        Number of threads torch computes with during ``fit`` and
        ``predict`` (and the other methods that run the network). None lets
        sklstm choose from the work: one thread per ``2**24`` multiply-adds
        per time step of a batch, at most the caller's
        ``torch.get_num_threads()`` and half the CPUs, which is one thread
        for most models. A positive int uses that many threads, -1 one per
        CPU, -2 one fewer, and so on. The caller's thread count is restored
        after each call. See the "Threads" section of the performance notes.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout and batch shuffling. Pass an int
        for reproducible results across multiple function calls on CPU. See
        :term:`Glossary <random_state>`.
    verbose : int, default=0
        0 is silent; 1 shows a progress bar with the loss per epoch.

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The fitted skorch net that trained the model; ``net_.history`` holds
        the per-epoch history.
    module_ : torch.nn.Module
        The trained network.
    n_features_in_ : int
        Number of time steps per sequence seen during fit (the second axis of
        ``X``, as scikit-learn's validation counts it). Not set when fitted on
        variable-length sequences.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a DataFrame ``X``. Only set when ``X`` has string
        column names.
    input_size_ : int
        Number of features per time step (1 for 2D ``X``).
    n_outputs_ : int
        Number of targets.
    n_iter_ : int
        Number of epochs run.
    loss_curve_ : list of float
        Training loss (mean squared error on the standardised targets when
        ``scale_target=True``; with ``quantiles``, the pinball loss averaged
        over the levels) at the end of each epoch.
    validation_loss_curve_ : list of float or None
        Validation loss per epoch, or None without early stopping.
    best_epoch_ : int
        The epoch (1-based) whose weights were kept.
    quantiles_ : ndarray of shape (n_quantiles,) or None
        The quantile levels, in increasing order (the last axis of
        :meth:`predict_quantiles`); None without ``quantiles``.

    See Also
    --------
    LSTMClassifier : Classification of sequences.
    LSTMAnomalyDetector : Unsupervised anomaly detection on time series.
    SlidingWindowTransformer : One window per row of a series, for pipelines.
    make_windows : Cut a series into windows and future targets.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(32, 10, 2)
    >>> y = X[:, -1, 0] + X[:, -2, 1]
    >>> reg = LSTMRegressor(hidden_size=8, max_epochs=2, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    """

    _architecture_params = _BaseLSTMEstimator._architecture_params + (
        "scale_target",
        "window_norm",
        "highway_window",
        "quantiles",
    )
    _private_fitted = _BaseLSTMEstimator._private_fitted + (
        "_y_ndim",
        "_target_mean",
        "_target_scale",
    )

    _parameter_constraints = {
        **_BaseLSTMEstimator._parameter_constraints,
        "scale_target": ["boolean"],
        "window_norm": [StrOptions({"last", "mean"}), None],
        "highway_window": [Interval(Integral, 1, None, closed="left"), None],
        "quantiles": [list, tuple, np.ndarray, None],
    }

    def __init__(
        self,
        *,
        hidden_size=64,
        num_layers=1,
        cell="lstm",
        bidirectional=True,
        dropout=0.0,
        layer_norm=False,
        conv_channels=64,
        conv_kernel_size=7,
        conv_pool_size="auto",
        fcn_channels=None,
        fcn_kernel_sizes=(8, 5, 3),
        max_epochs=100,
        batch_size="auto",
        lr=1e-3,
        optimizer="adam",
        weight_decay=0.0,
        clip_grad_norm=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        lr_schedule=None,
        scale_inputs=True,
        scale_target=True,
        window_norm=None,
        highway_window=None,
        quantiles=None,
        callbacks=None,
        device="cpu",
        precision="float32",
        warm_start=False,
        checkpoint_dir=None,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.cell = cell
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.layer_norm = layer_norm
        self.conv_channels = conv_channels
        self.conv_kernel_size = conv_kernel_size
        self.conv_pool_size = conv_pool_size
        self.fcn_channels = fcn_channels
        self.fcn_kernel_sizes = fcn_kernel_sizes
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.clip_grad_norm = clip_grad_norm
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.lr_schedule = lr_schedule
        self.scale_inputs = scale_inputs
        self.scale_target = scale_target
        self.window_norm = window_norm
        self.highway_window = highway_window
        self.quantiles = quantiles
        self.callbacks = callbacks
        self.device = device
        self.precision = precision
        self.warm_start = warm_start
        self.checkpoint_dir = checkpoint_dir
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to sequences ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_features), or list of arrays
            Training sequences, time on the second axis and features on the
            last; a list holds sequences of different lengths, each of shape
            ``(len_i,)`` or ``(len_i, n_features)``.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets, one row per sequence.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence in the training loss (and in the
            validation loss of early stopping); None weighs them equally.

        Returns
        -------
        self : LSTMRegressor
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight)

    def _fit_data(self, seqs, y, warm, sample_weight):
        levels = _check_quantiles(self.quantiles)
        y = check_target(self, y, len(seqs), numeric=True)
        y2d = y.reshape(len(y), -1)
        if not warm:
            if not self.scale_target and y2d.size:
                peak = float(np.abs(y2d).max())
                if peak > _MAX_UNSCALED:
                    raise ValueError(
                        f"y holds values as large as {peak:.3g} in magnitude with "
                        "scale_target=False; the squared errors overflow the "
                        "float32 loss. Set scale_target=True (the default), or "
                        "rescale y."
                    )
            self._y_ndim = y.ndim
            self.n_outputs_ = y2d.shape[1]
            self.quantiles_ = levels
            if self.scale_target:
                self._target_mean, scale = _target_stats(y2d)
                scale[scale < 1e-12 * np.maximum(1.0, np.abs(self._target_mean))] = 1.0
                self._target_scale = scale
            else:
                self._target_mean = np.zeros(y2d.shape[1])
                self._target_scale = np.ones(y2d.shape[1])
        elif y2d.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2d.shape[1]} outputs, but {type(self).__name__} was "
                f"fitted with {self.n_outputs_}; warm_start needs the same targets."
            )
        # standardised batch by batch: no float copy of a long y is made
        # (and no work at all for float32 targets that are not scaled)
        identity = (
            y2d.dtype == np.float32
            and not self._target_mean.any()
            and (self._target_scale == 1.0).all()
        )
        return _FitData(
            seqs,
            y2d,
            criterion=torch.nn.MSELoss if levels is None else _PinballLoss(levels),
            y_standard=None if identity else (self._target_mean, self._target_scale),
            sample_weight=sample_weight,
        )

    def predict(self, X):
        """Predict targets for sequences ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_features), or list of arrays
            Sequences in the layout used for ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions, with as many dimensions as the ``y`` seen in fit.
        """
        if getattr(self, "quantiles_", None) is not None:
            levels = self.quantiles_
            middle = int(np.argmin(np.abs(levels - 0.5)))
            y_pred = self._quantile_outputs(X)[:, :, middle]
        else:
            # undone in place: no temporary of the predictions' size
            y_pred = self._predict_outputs(X, dtype=np.float64)
            y_pred *= self._target_scale
            y_pred += self._target_mean
        return y_pred.ravel() if self._y_ndim == 1 else y_pred

    def predict_quantiles(self, X):
        """Predict the quantiles of the targets for sequences ``X``.

        Needs a model fitted with ``quantiles``. The values of each target
        are sorted across the levels (a rearrangement, Chernozhukov et al.,
        2010), so that quantiles never cross.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_features), or list of arrays
            Sequences in the layout used for ``fit``.

        Returns
        -------
        y_quantiles : ndarray of shape (n_samples, n_quantiles) or \
                (n_samples, n_outputs, n_quantiles)
            The predicted quantiles, in the units of ``y``, along the levels
            of ``quantiles_`` (increasing); a 2D ``y`` in fit keeps its
            outputs on the middle axis.

        Examples
        --------
        >>> import numpy as np
        >>> from sklstm import LSTMRegressor
        >>> rng = np.random.RandomState(0)
        >>> X = rng.randn(32, 10)
        >>> y = X[:, -1] + 0.3 * rng.randn(32)
        >>> reg = LSTMRegressor(hidden_size=8, max_epochs=2, quantiles=[0.1, 0.5, 0.9],
        ...                     random_state=0).fit(X, y)
        >>> reg.predict_quantiles(X[:3]).shape
        (3, 3)
        """
        check_is_fitted(self)
        if getattr(self, "quantiles_", None) is None:
            raise ValueError(
                "predict_quantiles needs a model trained with the pinball loss: "
                "set quantiles (for example quantiles=[0.1, 0.5, 0.9]) and fit "
                "again."
            )
        out = self._quantile_outputs(X)
        return out[:, 0, :] if self._y_ndim == 1 else out

    def _quantile_outputs(self, X):
        """Unscaled, sorted quantiles of shape (n_samples, n_outputs, n_quantiles)."""
        out = self._predict_outputs(X, dtype=np.float64)
        out = out.reshape(len(out), self.n_outputs_, len(self.quantiles_))
        out *= self._target_scale[:, None]
        out += self._target_mean[:, None]
        out.sort(axis=2)
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _build_module(self):
        """The untrained network for the fitted input size and outputs."""
        # window_norm needs the target statistics to add the reference back
        # with quantiles: one output per target and level, target-major
        n_levels = 1 if getattr(self, "quantiles_", None) is None else len(self.quantiles_)
        return _ManyToOneNet(
            self.n_outputs_ * n_levels,
            dropout=self.dropout,
            precision=self.precision,
            window_norm=self.window_norm,
            highway_window=self.highway_window,
            target_mean=np.repeat(self._target_mean, n_levels),
            target_scale=np.repeat(self._target_scale, n_levels),
            **self._encoder_params(self.input_size_),
        )


def _check_quantiles(quantiles):
    """The levels of ``quantiles`` as an increasing float array, or None."""
    if quantiles is None:
        return None
    try:
        levels = np.asarray(quantiles, dtype=np.float64)
    except (TypeError, ValueError):
        levels = None
    if levels is None or levels.ndim != 1 or levels.size == 0:
        raise ValueError(
            f"quantiles must be a non-empty list of floats in (0, 1), for "
            f"example [0.1, 0.5, 0.9]; got {quantiles!r}."
        )
    if not ((levels > 0) & (levels < 1)).all():
        raise ValueError(
            f"quantiles must lie strictly between 0 and 1; got {quantiles!r}."
        )
    levels = np.sort(levels)
    if (np.diff(levels) == 0).any():
        raise ValueError(f"quantiles holds a level twice: {quantiles!r}.")
    return levels

"""LSTM anomaly detector."""

import copy
import math
import threading
import weakref

import numpy as np
import torch
from scipy.linalg import pinvh
from sklearn.base import OutlierMixin
from sklearn.covariance import ledoit_wolf

from ._base import _BaseLSTMEstimator, _FitData
from ._data import _feature_stats, _take
from ._modules import _ForecastErrorNet, _MeanSquare, _ReconstructionErrorNet
from ._validation import (
    StrOptions,
    _fit_context,
    _real_interval,
    check_is_fitted,
    check_sequences,
)

__all__ = ["LSTMAnomalyDetector"]

# Tukey (1977): a value beyond Q3 + 3 * IQR is "far out".
_FENCE = 3.0
# "auto" never flags more than this share of the held-out sequences
_MAX_HOLDOUT_SHARE = 0.01
# ridge added to the error covariance, relative to its mean variance
_RIDGE = 1e-6
# most features whose error covariance is modelled (a 2,048 x 2,048 matrix
# is 32 MiB; 1e5 features would need 75 GiB)
_MAX_FEATURES = 2048

# The float64 copy of each fitted network that scores on CPU, keyed by the
# network itself, so that it is made once per fit rather than on every call
# (copying the network costs more than scoring a window with it). It lives
# outside the estimator: it is never pickled or saved, and it goes with the
# network it was copied from. Every fit (warm starts and resume_fit included)
# drops the entry of its network before training and again after it, and a
# new or unpickled estimator has a new network. Each entry also records the
# version counters of the network's parameters and buffers, so that weights
# changed in place by hand (``load_state_dict``, ``copy_``) are copied again.
# (Fused optimizer steps do not increase those counters, so the fit drops the
# entry explicitly.)
_SCORING_COPIES = weakref.WeakKeyDictionary()
_SCORING_COPIES_LOCK = threading.Lock()


class LSTMAnomalyDetector(OutlierMixin, _BaseLSTMEstimator):
    """Unsupervised anomaly detection on sequences with an LSTM (or GRU).

    The network learns what normal windows of a series look like and scores
    each window by how badly it is predicted. With ``method="forecast"`` it
    predicts the last step of each window from the steps before it, so the
    score says how surprising the last step is given its past; with
    ``method="reconstruction"`` an encoder-decoder reconstructs the whole
    window. The errors of all features are combined with the Mahalanobis
    distance under a mean and covariance fitted on held-out windows, so
    features of different scale or correlated features do not dominate.

    ``X`` is laid out as ``(n_samples, n_timesteps, n_features)``; a 2D ``X``
    holds univariate sequences. To score every time step of one long series,
    put a :class:`SlidingWindowTransformer` in front in a
    :class:`~sklearn.pipeline.Pipeline`: each row then gets the score of
    the window ending at it.

    The API and sign follow scikit-learn's outlier detectors (as
    :class:`~sklearn.ensemble.IsolationForest`): **higher** ``score_samples``
    means **more normal** (it is minus the distance), ``decision_function``
    is negative for anomalies and ``predict`` returns -1 for anomalies and
    +1 for normal samples. aeon and similar libraries use the opposite
    sign: there a higher anomaly score means more abnormal.

    Parameters
    ----------
    method : {"forecast", "reconstruction"}, default="forecast"
        ``"forecast"``: a many-to-one network predicts the last step of each
        window from the steps before it (a window of one step is predicted
        from no history, that is by the training mean); the error of that
        step is the window's error. ``"reconstruction"``: an encoder
        compresses the window into one vector and a recurrent decoder
        reconstructs every step from it (Malhotra et al., 2016); the squared
        distances of the steps are averaged over the window.
    contamination : "auto" or float, default="auto"
        How the threshold ``offset_`` is set. A float in (0, 0.5] is the
        share of training sequences to flag: ``offset_`` is that quantile of
        ``score_samples`` on the training data. ``"auto"`` needs no guess of
        the share: a sequence is flagged when its distance lies beyond
        Tukey's "far out" fence of the held-out distances, ``Q3 + 3 * (Q3 -
        Q1)`` with Q1 and Q3 their quartiles (Tukey, 1977), and also beyond
        their 99th percentile, so that at most 1 % of the held-out normal
        sequences would be flagged even when their distances are heavy-tailed
        or mostly tied. Clean data then gets few or no flags, and data with
        anomalies gets flags on them. The rule assumes the held-out tail is
        mostly normal: anomalies in more than 1 % of it raise the threshold.
    holdout_fraction : float, default=0.2
        Share of the training sequences, taken from the end (not shuffled,
        since windows of a series overlap), that the network never trains
        on. Their errors fit the mean and covariance of the error
        distribution and the ``"auto"`` threshold, as the separate normal
        validation set of Malhotra et al. (2015). At least one sequence is
        held out and at least one is trained on.
    hidden_size : int, default=64
        Number of units in each recurrent layer.
    num_layers : int, default=1
        Number of stacked recurrent layers.
    cell : {"lstm", "gru"}, default="lstm"
        Recurrent cell type.
    bidirectional : bool, default=False
        If True, each recurrent layer of the encoder reads the sequence in
        both directions.
    dropout : float, default=0.0
        Dropout probability between recurrent layers (only when
        ``num_layers > 1``) and before the output layer.
    layer_norm : bool, default=False
        If True, apply layer normalisation to the recurrent outputs.
    conv_channels : int or None, default=None
        Output channels of a 1-D convolution (with ReLU) applied to the
        inputs before the recurrent layers (a CNN-LSTM), useful for long or
        noisy sequences. None means no convolution.
    conv_kernel_size : int, default=5
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
        summary. With ``method="forecast"`` the branch reads the same
        shifted window as the recurrent layers (never the step to forecast); with
        ``method="reconstruction"`` the average joins the summary that the
        decoder reads at every step, which widens the bottleneck by
        ``fcn_channels[-1]`` values but holds no order in time. The branch reads the input directly, in parallel
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
        If True, hold out the last ``validation_fraction`` of the training
        sequences that remain after ``holdout_fraction`` (the tail, not a
        shuffled sample), stop when the validation loss has not improved by
        ``tol`` for ``n_iter_no_change`` epochs and restore the best weights.
    validation_fraction : float, default=0.1
        Share of the remaining training data held out when
        ``early_stopping=True``.
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
        ``module_`` takes raw inputs). The forecast or reconstruction
        targets are always standardised that way, so errors are in units
        of each feature's standard deviation.
    callbacks : list of skorch callbacks or None, default=None
        Extra skorch callbacks (instances or ``(name, callback)`` pairs);
        they are copied, never modified.
    device : {"cpu", "cuda", "auto"}, default="cpu"
        Where to train and predict; ``"auto"`` picks a CUDA GPU when one is
        available. Results are reproducible on CPU only (cuDNN recurrent
        kernels are not deterministic).
    precision : {"float32", "bfloat16"}, default="float32"
        ``"bfloat16"`` runs the network under bfloat16 autocast (mixed
        precision), faster on hardware with bfloat16 units.
    warm_start : bool, default=False
        If True, a further ``fit`` continues from the current weights (and
        optimizer state) for ``max_epochs`` more epochs; ``n_iter_`` and
        ``loss_curve_`` are extended, not restarted. The error distribution
        and the threshold are fitted again on the new data's held-out tail.
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
        The trained network. It maps raw windows to their standardised
        errors: shape ``(n_samples, n_features)`` for ``"forecast"`` and
        ``(n_samples, n_timesteps, n_features)`` for ``"reconstruction"``.
    n_features_in_ : int
        Number of time steps per sequence seen during fit (the second axis of
        ``X``, as scikit-learn's validation counts it). Not set when fitted on
        variable-length sequences.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a DataFrame ``X``. Only set when ``X`` has string
        column names.
    input_size_ : int
        Number of features per time step (1 for 2D ``X``).
    n_iter_ : int
        Number of epochs run.
    loss_curve_ : list of float
        Training loss (mean squared standardised error) at the end of each
        epoch.
    validation_loss_curve_ : list of float or None
        Validation loss per epoch, or None without early stopping.
    best_epoch_ : int
        The epoch (1-based) whose weights were kept.
    error_mean_ : ndarray of shape (`input_size_`,)
        Mean of the standardised error vectors on the held-out sequences.
    error_covariance_ : ndarray of shape (`input_size_`, `input_size_`)
        Their covariance (Ledoit-Wolf shrinkage plus a tiny ridge), which
        defines the Mahalanobis distance.
    offset_ : float
        Threshold on ``score_samples``: ``decision_function(X) =
        score_samples(X) - offset_``, and samples below it are anomalies.

    See Also
    --------
    LSTMRegressor : Regression and forecasting on sequences.
    LSTMClassifier : Classification of sequences.
    SlidingWindowTransformer : One window per row of a series, for pipelines.
    sklearn.ensemble.IsolationForest : The outlier-detector API followed here.

    Notes
    -----
    Errors are computed in standardised units (each feature divided by its
    training standard deviation) and combined with the Mahalanobis distance
    ``sqrt((e - error_mean_)^T inv(error_covariance_) (e - error_mean_))``,
    which does not change when a feature is rescaled and counts correlated
    errors once (Malhotra et al., 2015). ``score_samples`` is minus that
    distance. The mean and covariance come from the last
    ``holdout_fraction`` of the training sequences, which the network never
    trains on, so they describe errors on unseen normal data rather than
    the smaller errors on training data.

    References
    ----------
    .. [1] Malhotra, P., Vig, L., Shroff, G. and Agarwal, P. (2015). Long
       Short Term Memory Networks for Anomaly Detection in Time Series.
       *ESANN 2015*, 89-94.
    .. [2] Malhotra, P., Ramakrishnan, A., Anand, G., Vig, L., Agarwal, P. and
       Shroff, G. (2016). LSTM-based Encoder-Decoder for Multi-sensor Anomaly
       Detection. *ICML 2016 Anomaly Detection Workshop*, arXiv:1607.00148.
    .. [3] Tukey, J. W. (1977). *Exploratory Data Analysis*.
       Addison-Wesley, Chapter 2 (fences and "far out" values).
    .. [4] Ledoit, O. and Wolf, M. (2004). A well-conditioned estimator for
       large-dimensional covariance matrices. *Journal of Multivariate
       Analysis*, 88(2), 365-411.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMAnomalyDetector
    >>> rng = np.random.RandomState(0)
    >>> X = np.sin(np.linspace(0, 3, 10) + rng.rand(40, 1))
    >>> det = LSTMAnomalyDetector(hidden_size=8, max_epochs=2, random_state=0)
    >>> det.fit(X).predict(X[:3]).shape
    (3,)
    >>> det.score_samples(X[:3]).shape
    (3,)
    """

    _architecture_params = _BaseLSTMEstimator._architecture_params + ("method",)
    _private_fitted = _BaseLSTMEstimator._private_fitted + ("_error_precision",)

    _parameter_constraints = {
        **_BaseLSTMEstimator._parameter_constraints,
        "method": [StrOptions({"forecast", "reconstruction"})],
        "contamination": [StrOptions({"auto"}), _real_interval(0, 0.5, closed="right")],
        "holdout_fraction": [_real_interval(0, 1, closed="neither")],
    }

    def __init__(
        self,
        *,
        method="forecast",
        contamination="auto",
        holdout_fraction=0.2,
        hidden_size=64,
        num_layers=1,
        cell="lstm",
        bidirectional=False,
        dropout=0.0,
        layer_norm=False,
        conv_channels=None,
        conv_kernel_size=5,
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
        callbacks=None,
        device="cpu",
        precision="float32",
        warm_start=False,
        checkpoint_dir=None,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.method = method
        self.contamination = contamination
        self.holdout_fraction = holdout_fraction
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
        self.callbacks = callbacks
        self.device = device
        self.precision = precision
        self.warm_start = warm_start
        self.checkpoint_dir = checkpoint_dir
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Fit the network on normal sequences and set the threshold.

        The last ``holdout_fraction`` of the sequences is held out: the
        network trains on the rest, and the errors on the held-out part fit
        the error distribution and the ``"auto"`` threshold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_features), or list of arrays
            Training sequences (mostly normal), time on the second axis and
            features on the last, in time order when they are windows of one
            series; a list holds sequences of different lengths, each of
            shape ``(len_i,)`` or ``(len_i, n_features)``.
        y : None
            Ignored; present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence in the training loss; None weighs them
            equally. The error model and threshold, fitted on the held-out
            sequences, are not weighted.

        Returns
        -------
        self : LSTMAnomalyDetector
            The fitted estimator.
        """
        return self._fit(X, None, sample_weight=sample_weight)

    def _holdout_split(self, seqs):
        n_samples = len(seqs)
        n_train = n_samples - math.ceil(self.holdout_fraction * n_samples)
        if n_train < 1:
            raise ValueError(
                f"{type(self).__name__} trains on the first sequences and holds "
                f"out the last holdout_fraction={self.holdout_fraction!r} to fit "
                f"the error distribution, which leaves no sequence to train on "
                f"with n_samples={n_samples}. Pass at least 2 sequences or a "
                "smaller holdout_fraction."
            )
        index = np.arange(n_samples)
        return _take(seqs, index[:n_train]), _take(seqs, index[n_train:])

    def _fit_data(self, seqs, y, warm, sample_weight):
        if self.input_size_ > _MAX_FEATURES:
            raise ValueError(
                f"X has {self.input_size_} features per time step; "
                f"{type(self).__name__} models the covariance of the errors of "
                f"all features, which it does for at most {_MAX_FEATURES}. Reduce "
                "the features first (for example with PCA over the features), or "
                "fit one detector per group of features."
            )
        train, _ = self._holdout_split(seqs)
        _forget_scoring_copy(vars(self).get("module_"))
        init_module = None
        if not warm:
            target_mean, target_scale = _feature_stats(train)

            def init_module(module):
                module.target_mean.copy_(torch.from_numpy(target_mean))
                module.target_scale.copy_(torch.from_numpy(target_scale))

        return _FitData(
            train,
            np.zeros((len(train), 0), dtype=np.float32),
            criterion=_MeanSquare,
            init_module=init_module,
            sample_weight=None if sample_weight is None else sample_weight[: len(train)],
        )

    def _after_training(self, seqs):
        """Fit the error distribution and the threshold on the held-out part."""
        _, holdout = self._holdout_split(seqs)
        _forget_scoring_copy(self.module_)
        steps = self._step_errors(holdout)
        if steps.shape[0] >= 2:
            covariance = ledoit_wolf(steps)[0]
        else:
            covariance = np.zeros((steps.shape[1], steps.shape[1]))
        ridge = _RIDGE * np.trace(covariance) / covariance.shape[0] + 1e-12
        self.error_mean_ = steps.mean(axis=0)
        self.error_covariance_ = covariance + ridge * np.eye(covariance.shape[0])
        self._error_precision = pinvh(self.error_covariance_)

        if self.contamination == "auto":
            self.offset_ = -_auto_threshold(self._distances(holdout))
        else:
            scores = -self._distances(seqs)
            self.offset_ = float(np.percentile(scores, 100.0 * self.contamination))

    def score_samples(self, X):
        """Normality score of each sequence: minus its error distance.

        The lower the score, the more abnormal the sequence. (aeon and
        similar libraries return the opposite: a score that grows with
        abnormality.)

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_features), or list of arrays
            Sequences in the layout used for ``fit``.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Minus the Mahalanobis distance of each sequence's forecast or
            reconstruction error.
        """
        distance = self._small_distances(X)
        if distance is None:
            check_is_fitted(self)
            seqs = check_sequences(self, X, reset=False)
            distance = self._distances(seqs)
        return -distance

    def decision_function(self, X):
        """Shifted score: negative for anomalies, positive for normal samples.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_features), or list of arrays
            Sequences in the layout used for ``fit``.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            ``score_samples(X) - offset_``.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """Label each sequence: -1 for an anomaly, +1 for a normal sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_features), or list of arrays
            Sequences in the layout used for ``fit``.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            -1 where ``decision_function(X) < 0``, +1 elsewhere.
        """
        decision = self.decision_function(X)
        return np.where(decision < 0, -1, 1)

    # --- private helpers -------------------------------------------------

    def _build_module(self):
        """The untrained network for the fitted input size and ``method``."""
        net_class = (
            _ForecastErrorNet if self.method == "forecast" else _ReconstructionErrorNet
        )
        return net_class(
            np.zeros(self.input_size_, dtype=np.float32),
            np.ones(self.input_size_, dtype=np.float32),
            dropout=self.dropout,
            precision=self.precision,
            **self._encoder_params(self.input_size_),
        )

    def _errors(self, seqs):
        """Standardised errors of the network, as float64, batch by batch.

        On CPU (with ``precision="float32"``) a float64 copy of the network
        computes them, so that a sample's score does not depend on the other
        samples in its batch (float32 kernels round differently for
        different batch sizes).
        """
        module = self.module_
        device = next(module.parameters()).device
        if device.type == "cpu" and self.precision == "float32":
            module = _scoring_copy(module)
        return self._map_batches(seqs, self._module_call(module), dtype=np.float64)

    def _step_errors(self, seqs):
        """Error vectors, one per forecast step or reconstructed valid step."""
        errors = self._errors(seqs)
        if errors.ndim == 2:
            return errors
        lengths = _lengths(seqs)
        if lengths is None:
            return errors.reshape(-1, errors.shape[2])
        valid = np.arange(errors.shape[1])[None, :] < lengths[:, None]
        return errors[valid]

    def _small_distances(self, X):
        """Distances of a few windows by the short path, or None.

        Streaming code scores one new window per arriving point, where the
        general path's validation and batching cost more than the network.
        A small C-contiguous float array of the fitted shape, with finite
        values, of a detector that scores on CPU in float32 precision, goes
        straight to the cached float64 copy of the network; anything else
        returns None and takes the general path, which validates it and
        words any error. Both paths give the same numbers.
        """
        fitted = vars(self)
        if (
            "module_" not in fitted
            or "_error_precision" not in fitted
            or self.precision != "float32"
            or next(self.module_.parameters()).device.type != "cpu"
        ):
            return None
        errors = self._predict_small(
            X, np.float64, module=_scoring_copy(self.module_)
        )
        if errors is None:
            return None
        return self._distance_of_errors(errors, None)

    def _distances(self, seqs):
        """Mahalanobis distance of each sequence's error."""
        return self._distance_of_errors(self._errors(seqs), seqs)

    def _distance_of_errors(self, errors, seqs):
        """Distance of each sequence from its errors (``seqs``: their lengths)."""
        errors = errors - self.error_mean_
        squared = np.einsum(
            "...i,ij,...j->...", errors, self._error_precision, errors
        )
        squared = np.maximum(squared, 0.0)
        if squared.ndim == 2:
            lengths = None if seqs is None else _lengths(seqs)
            if lengths is None:
                squared = squared.mean(axis=1)
            else:
                valid = np.arange(squared.shape[1])[None, :] < lengths[:, None]
                squared = (squared * valid).sum(axis=1) / lengths
        return np.sqrt(squared)


def _versions(tensors):
    """Version counter and storage of each tensor.

    The counter grows with every in-place change; the storage changes when
    a tensor's ``.data`` is replaced (``module.to``).
    """
    return [(t._version, t.data_ptr()) for t in tensors]


def _forget_scoring_copy(module):
    """Drop the scoring copy of ``module`` (its weights are about to change)."""
    if module is not None:
        with _SCORING_COPIES_LOCK:
            _SCORING_COPIES.pop(module, None)


def _scoring_copy(module):
    """The float64 copy of ``module`` (in eval mode), made once per state."""
    with _SCORING_COPIES_LOCK:
        cached = _SCORING_COPIES.get(module)
    if cached is not None and _versions(cached[0]) == cached[1]:
        return cached[2]
    # the tensors are listed once per copy (listing them walks the module
    # tree, which costs a fifth of scoring one window)
    tensors = list(module.parameters()) + list(module.buffers())
    versions = _versions(tensors)
    double = copy.deepcopy(module).double().eval()
    for tensor in double.parameters():
        tensor.requires_grad_(False)
    with _SCORING_COPIES_LOCK:
        _SCORING_COPIES[module] = (tensors, versions, double)
    return double


def _lengths(seqs):
    """Valid length of each sequence of a collection (None: all full)."""
    rows = getattr(seqs, "rows", None)
    if seqs.lengths is None or rows is None:
        return seqs.lengths
    return seqs.lengths[rows]


def _auto_threshold(distance):
    """The ``"auto"`` threshold on the distances of held-out sequences."""
    q1, q3, top = np.percentile(distance, [25, 75, 100 * (1 - _MAX_HOLDOUT_SHARE)])
    return float(max(q3 + _FENCE * (q3 - q1), top))

"""LSTM classifier."""

import numpy as np
import torch
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from ._base import _MAX_UNITS, _BaseLSTMEstimator, _FitData
from ._modules import _ManyToOneNet
from ._validation import (
    StrOptions,
    _fit_context,
    _int_interval,
    check_is_fitted,
    check_target,
)

# largest vocabulary accepted (the embedding table is vocab_size x embedding_dim)
_MAX_VOCABULARY = 2**26

__all__ = ["LSTMClassifier"]


class LSTMClassifier(ClassifierMixin, _BaseLSTMEstimator):
    """Classification of sequences with a many-to-one LSTM (or GRU).

    The recurrent network reads each sequence and a linear head maps its
    final state to class scores, trained with cross-entropy. Labels may be
    of any type (strings included). ``X`` is laid out as
    ``(n_samples, n_timesteps, n_features)``; a 2D ``X`` holds univariate
    sequences, and a list of arrays holds sequences of different lengths,
    which are padded and packed, never truncated. With ``vocab_size`` set,
    ``X`` holds integer token ids (padding id 0) and an embedding layer comes
    first, for text classification.

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
        branch. The LSTM-FCN configuration, ``fcn_channels=(128, 256,
        128), hidden_size=8, bidirectional=False, conv_channels=None``,
        is far more accurate than the defaults on some long series and
        less on some short ones, at several times the fit time: see the
        quality notes (``docs/quality.md``).
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
        of each class (the tail, in the order given, not a shuffled sample),
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
        ``module_`` takes raw inputs). Ignored when ``vocab_size`` is set.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss: a dict ``{label: weight}``,
        ``"balanced"`` (inversely proportional to class frequencies, as in
        scikit-learn), or None for equal weights.
    vocab_size : int, "auto" or None, default=None
        If set, ``X`` holds integer token ids in ``[0, vocab_size)``, with 0
        as the padding id (trailing zeros of a row are padding), and an
        embedding layer comes first. ``"auto"`` takes the size from the
        training data (largest token id + 1), for example after a
        :class:`TextTokenizer` in a pipeline. None means numeric features.
    embedding_dim : int, default=32
        Size of the token embedding (used when ``vocab_size`` is set).
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
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted.
    n_features_in_ : int
        Number of time steps per sequence seen during fit (the second axis of
        ``X``, as scikit-learn's validation counts it). Not set when fitted on
        variable-length sequences.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of a DataFrame ``X``. Only set when ``X`` has string
        column names.
    input_size_ : int
        Number of features per time step (1 for 2D ``X`` and for token ids).
    vocab_size_ : int or None
        Size of the embedding's vocabulary: ``vocab_size``, or with
        ``vocab_size="auto"`` the largest training token id + 1. None for
        numeric features.
    n_iter_ : int
        Number of epochs run.
    loss_curve_ : list of float
        Training cross-entropy at the end of each epoch.
    validation_loss_curve_ : list of float or None
        Validation loss per epoch, or None without early stopping.
    best_epoch_ : int
        The epoch (1-based) whose weights were kept.

    See Also
    --------
    LSTMRegressor : Regression and forecasting on sequences.
    LSTMAnomalyDetector : Unsupervised anomaly detection on time series.
    SequenceScaler : Standardise features of a sequence collection.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(40, 12, 1)
    >>> y = np.where(X[:, :, 0].mean(axis=1) > 0, "up", "down")
    >>> clf = LSTMClassifier(hidden_size=8, max_epochs=2, random_state=0).fit(X, y)
    >>> clf.classes_
    array(['down', 'up'], dtype='<U4')
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _architecture_params = _BaseLSTMEstimator._architecture_params + (
        "vocab_size",
        "embedding_dim",
    )

    _parameter_constraints = {
        **_BaseLSTMEstimator._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "vocab_size": [_int_interval(2, _MAX_VOCABULARY), StrOptions({"auto"}), None],
        "embedding_dim": [_int_interval(1, _MAX_UNITS)],
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
        class_weight=None,
        vocab_size=None,
        embedding_dim=32,
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
        self.class_weight = class_weight
        self.vocab_size = vocab_size
        self.embedding_dim = embedding_dim
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
        """Fit the network to sequences ``X`` and class labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_features), or list of arrays
            Training sequences, time on the second axis and features on the
            last; a list holds sequences of different lengths, each of shape
            ``(len_i,)`` or ``(len_i, n_features)``. With ``vocab_size`` set:
            integer token ids, 2D (padded with 0) or a list of 1D sequences.
        y : array-like of shape (n_samples,)
            Class labels, of any type.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sequence in the training loss (and in the
            validation loss of early stopping); None weighs them equally.

        Returns
        -------
        self : LSTMClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight)

    def _fit_data(self, seqs, y, warm, sample_weight):
        if not warm:
            # vocab_size="auto" reads the size from the data
            self.vocab_size_ = self.vocab_size
            if self.vocab_size == "auto":
                self.vocab_size_ = max(2, int(seqs.data.max()) + 1)
        y = check_target(self, y, len(seqs), numeric=False)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        elif y.ndim != 1:
            raise ValueError(
                f"{type(self).__name__} takes one label per sequence: y must "
                f"be 1D (n_samples,), got shape {y.shape}."
            )
        if y.dtype == object:
            missing = [i for i, v in enumerate(y) if v is None]
            if missing:
                raise ValueError(
                    f"y holds None at {len(missing)} positions (first: "
                    f"{missing[:5]}); every sequence needs a label. Drop those "
                    "sequences, or give the missing ones a label of their own."
                )
        check_classification_targets(y)
        if warm:
            unknown = np.setdiff1d(y, self.classes_)
            if unknown.size:
                raise ValueError(
                    f"y holds labels {unknown.tolist()} not seen in the first fit; "
                    "warm_start needs the same classes."
                )
            codes = np.searchsorted(self.classes_, y)
        else:
            encoder = LabelEncoder().fit(y)
            self.classes_ = encoder.classes_
            codes = encoder.transform(y)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes in y, got "
                f"{n_classes} class."
            )
        weight = None
        if self.class_weight is not None:
            weight = torch.as_tensor(
                compute_class_weight(self.class_weight, classes=self.classes_, y=y),
                dtype=torch.float32,
            )
        return _FitData(
            seqs,
            codes.astype(np.int64),
            criterion=torch.nn.CrossEntropyLoss(weight=weight),
            groups=codes,
            sample_weight=sample_weight,
        )

    def predict_proba(self, X):
        """Class probabilities of sequences ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_features), or list of arrays
            Sequences in the layout used for ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class (columns in the order of ``classes_``);
            rows sum to 1.
        """
        out = self._predict_outputs(X, tokens=self.vocab_size is not None)
        logits = torch.from_numpy(out).double()
        return torch.softmax(logits, dim=1).numpy()

    def predict(self, X):
        """Predict the class of each sequence of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_features), or list of arrays
            Sequences in the layout used for ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels, taken from ``classes_``.
        """
        check_is_fitted(self)
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        if self.vocab_size is not None:
            tags.input_tags.categorical = True
        return tags

    def _build_module(self):
        """The untrained network for the fitted input size and classes."""
        params = self._encoder_params(self.input_size_)
        if self.vocab_size is not None:
            # the fitted size, which "auto" takes from the data (models
            # saved before vocab_size_ existed have the int parameter)
            vocab = getattr(self, "vocab_size_", self.vocab_size)
            params.update(vocab_size=vocab, embedding_dim=self.embedding_dim)
        return _ManyToOneNet(
            len(self.classes_), dropout=self.dropout, precision=self.precision, **params
        )

"""Shared machinery of the sklstm estimators: parameters, seeding, training.

Each estimator is a plain scikit-learn estimator. Its ``fit`` is one
template, :meth:`_BaseLSTMEstimator._fit`, with hooks that each estimator
fills in (as ``BaseMultilayerPerceptron._fit`` serves ``MLPClassifier`` and
``MLPRegressor``):

``_fit_data(seqs, y, warm)``
    the training sequences, targets, loss and module set-up of a fit;
``_build_module()``
    the untrained torch module for the fitted shapes;
``_after_training(seqs)``
    what is fitted after the network (the anomaly detector's error model).

The template builds a skorch ``NeuralNet`` around the module and keeps it as
``net_``; skorch runs the training loop with the callbacks of
``_callbacks.py`` over the datasets and batches of ``_data.py``. Inference
goes through one chunked loop, :meth:`_BaseLSTMEstimator._map_batches`.
A fitted estimator pickles as its parameters, fitted attributes and the
plain state of its net (``_format.net_state``), and is rebuilt from them by
:meth:`_BaseLSTMEstimator._restore_net`, the same path as ``load_model``.
"""

import contextlib
import copy
import inspect
import math
import os
import threading
import warnings
from numbers import Integral

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import gen_batches
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, GradientNormClipping, LRScheduler
from skorch.helper import predefined_split
from skorch.history import History

from . import _format
from ._callbacks import (
    _EpochCheckpoint,
    _EpochProgressBar,
    _named_callback,
    _silent,
    _TrainingGuard,
)
from ._data import (
    _as_tensor,
    _BatchIterator,
    _feature_stats,
    _flush_denormal,
    _SequenceDataset,
    _take,
    _take_rows,
    _to_device,
    _to_device_once,
)
from ._fcn import FCN_ARCHITECTURE_PARAMS, FCN_CONSTRAINTS
from ._modules import _lstm_gates, _MeanSquare, _seed_dropout
from ._threads import N_JOBS_CONSTRAINT, _thread_policy
from ._validation import (
    StrOptions,
    _int_interval,
    _passes_quick_check,
    get_chunk_n_rows,
    _real_interval,
    check_is_fitted,
    check_random_state,
    check_sequences,
    check_weights,
)

_OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}
_SCHEDULES = ("cosine", "step", "plateau", "onecycle")

# time steps per prediction batch (batch size x sequence length), bounding
# the memory of inference on long sequences
_PREDICT_STEPS = 2**20
# at most this many sequences take the short path of _predict_small (one
# module call, far inside any working-memory budget)
_SMALL_ROWS = 256
# fused Adam/AdamW runs on CPU (and CUDA) from torch 2.4 on
_FUSED_ADAM = tuple(int(v) for v in torch.__version__.split(".")[:2]) >= (2, 4)
# largest sizes accepted: beyond them a value can only be a typo, and would
# reach the allocator or run for hours before anything failed
_MAX_UNITS = 2**16
_MAX_LAYERS = 256
_MAX_EPOCHS = 10**7
_MAX_BATCH = 2**31 - 1
# most weights in one network (4 GiB in float32)
_MAX_PARAMETERS = 2**30

# The global torch RNG is process-wide. The fits draw their shuffling and
# dropout from generators of their own; only what torch offers no generator
# for (the initial weights, the dropout inside a multi-layer nn.LSTM/GRU)
# draws from a forked, seeded global RNG, one fit at a time.
_GLOBAL_RNG_LOCK = threading.RLock()


@contextlib.contextmanager
def _seeded_global_rng(seed, device="cpu", state=None):
    """The global torch RNG seeded with ``seed`` (or set to ``state``), then restored.

    Held under a process-wide lock, so that fits in several threads do not
    interleave their draws, and the caller's RNG is as it was afterwards.
    """
    devices = [torch.cuda.current_device()] if device == "cuda" else []
    with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        if state is not None:
            torch.set_rng_state(state)
        yield


def _resolve_batch_size(batch_size, n_samples):
    """``batch_size="auto"``: ``min(32, max(8, n_samples // 8))``.

    Small training sets get small batches, hence enough optimizer steps per
    epoch; larger ones the usual 32.
    """
    if batch_size == "auto":
        return min(32, max(8, n_samples // 8))
    return batch_size


# the recurrent layers see at most this many steps when conv_pool_size="auto"
_AUTO_POOL_STEPS = 64


def _resolve_conv_pool(estimator, n_timesteps):
    """Max-pooling factor after the convolution (1 without a convolution)."""
    if estimator.conv_channels is None:
        return 1
    if estimator.conv_pool_size == "auto":
        return max(1, -(-n_timesteps // _AUTO_POOL_STEPS))
    return estimator.conv_pool_size


def _resolve_device(device):
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            "device='cuda' was requested but no CUDA GPU is available to torch. "
            "Use device='cpu', or device='auto' to pick a GPU only when present."
        )
    return device


class _FitData:
    """What an estimator's ``_fit_data`` hands to the fit template.

    ``seqs`` and ``y`` are the training sequences and targets (2D), ``criterion``
    the loss (a class or an instance), ``groups`` the labels that the
    early-stopping split stratifies on, ``y_standard`` a pair ``(shift,
    scale)`` that standardises ``y`` batch by batch, and ``init_module`` a
    callable that finishes a newly built module (target statistics).
    """

    def __init__(
        self,
        seqs,
        y,
        criterion,
        groups=None,
        y_standard=None,
        init_module=None,
        sample_weight=None,
    ):
        self.seqs = seqs
        self.y = y
        self.criterion = criterion
        self.groups = groups
        self.y_standard = y_standard
        self.init_module = init_module
        self.sample_weight = sample_weight


class _SequenceNet(NeuralNet):
    """skorch's ``NeuralNet``, with the loss weighted per sequence when asked.

    A batch whose targets come as ``{"y": ..., "weight": ...}`` (a dataset
    given ``sample_weight``) gets the weighted mean of the per-sequence
    losses, ``sum(w_i l_i) / sum(w_i c_i)``, where ``c_i`` is the class
    weight of a weighted cross-entropy (1 otherwise); other batches the
    criterion's own mean.
    """

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if not isinstance(y_true, dict):
            return super().get_loss(y_pred, y_true, X=X, training=training)
        weight = y_true["weight"].to(y_pred.device)
        target = y_true["y"].to(y_pred.device)
        criterion = self.criterion_
        if isinstance(criterion, _MeanSquare):
            per_sequence = y_pred.reshape(len(y_pred), -1).pow(2).mean(dim=1)
        else:
            reduction = criterion.reduction
            criterion.reduction = "none"
            try:
                losses = criterion(y_pred, target)
            finally:
                criterion.reduction = reduction
            per_sequence = losses.reshape(len(y_pred), -1).mean(dim=1)
        norm = weight
        class_weight = getattr(criterion, "weight", None)
        if class_weight is not None:
            norm = weight * class_weight[target]
        return (per_sequence * weight).sum() / norm.sum().clamp_min(1e-12)


class _BaseLSTMEstimator(BaseEstimator):
    """Parameters, seeding, training and inference shared by all estimators."""

    _parameter_constraints = {
        "hidden_size": [_int_interval(1, _MAX_UNITS)],
        "num_layers": [_int_interval(1, _MAX_LAYERS)],
        "cell": [StrOptions({"lstm", "gru"})],
        "bidirectional": ["boolean"],
        "dropout": [_real_interval(0, 1, closed="left")],
        "layer_norm": ["boolean"],
        "conv_channels": [_int_interval(1, _MAX_UNITS), None],
        "conv_kernel_size": [_int_interval(1, _MAX_UNITS)],
        "conv_pool_size": [_int_interval(1, None), StrOptions({"auto"})],
        **FCN_CONSTRAINTS,  # LSTM-FCN branch (sklstm/_fcn.py)
        "max_epochs": [_int_interval(1, _MAX_EPOCHS)],
        "batch_size": [_int_interval(1, _MAX_BATCH), StrOptions({"auto"})],
        "lr": [_real_interval(0, None, closed="neither")],
        "optimizer": [StrOptions(set(_OPTIMIZERS))],
        "weight_decay": [_real_interval(0, None, closed="left")],
        "clip_grad_norm": [_real_interval(0, None, closed="neither"), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [_real_interval(0, 1, closed="neither")],
        "n_iter_no_change": [_int_interval(1, _MAX_EPOCHS)],
        "tol": [_real_interval(0, None, closed="left")],
        "lr_schedule": [StrOptions(set(_SCHEDULES)), LRScheduler, type, None],
        "scale_inputs": ["boolean"],
        "callbacks": [list, tuple, None],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "precision": [StrOptions({"float32", "bfloat16"})],
        "warm_start": ["boolean"],
        "checkpoint_dir": [str, os.PathLike, None],
        "n_jobs": N_JOBS_CONSTRAINT,
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    #: Parameters that fix the shape of the network: a warm fit refuses
    #: a change to them (the estimators add their own).
    _architecture_params = (
        "hidden_size",
        "num_layers",
        "cell",
        "bidirectional",
        "layer_norm",
        "conv_channels",
        "conv_kernel_size",
        "conv_pool_size",
        *FCN_ARCHITECTURE_PARAMS,  # LSTM-FCN branch (sklstm/_fcn.py)
        "scale_inputs",
        "device",
    )
    #: Private fitted attributes (besides the public ``name_`` ones) that a
    #: model file may set; ``load_model`` refuses any other private name.
    _private_fitted = ("_fit_batch_size", "_conv_pool", "_net_params")

    # --- the fit template --------------------------------------------------

    def _fit(self, X, y, *, sample_weight=None, resume=None):
        """Validate, train and set the fitted attributes; returns ``self``.

        ``resume`` (from ``sklstm.resume_fit``) continues the fitted net for
        ``resume["epochs"]`` more epochs from the generator states it holds.
        """
        warm = resume is not None or (self.warm_start and "net_" in vars(self))
        if warm:
            self._check_warm_start()
        seqs = check_sequences(self, X, reset=not warm, tokens=self._uses_tokens())
        sample_weight = check_weights(sample_weight, len(seqs))
        data = self._fit_data(seqs, y, warm, sample_weight)
        self._check_fit_params(data)
        completed = self._train(data, warm=warm, resume=resume)
        self._after_training(seqs)
        if completed:
            # after an interruption, the checkpoint of the last finished
            # epoch stays: resume_fit continues from it
            self._write_checkpoint(self.net_, target_epochs=self.n_iter_, finished=True)
        return self

    def _fit_data(self, seqs, y, warm, sample_weight):  # pragma: no cover - every estimator defines it
        raise NotImplementedError

    def _after_training(self, seqs):
        """Fit what comes after the network (nothing by default)."""

    def _uses_tokens(self):
        return getattr(self, "vocab_size", None) is not None

    def _architecture(self):
        return {name: getattr(self, name) for name in self._architecture_params}

    def _check_warm_start(self):
        """Refuse a warm fit after a change of the network's shape."""
        built = vars(self).get("_net_params") or {}
        changed = [
            (name, built[name], value)
            for name, value in self._architecture().items()
            if name in built and built[name] != value
        ]
        if changed:
            what = ", ".join(f"{n} from {old!r} to {new!r}" for n, old, new in changed)
            raise ValueError(
                f"warm_start=True continues training the fitted network of "
                f"{type(self).__name__}, but {what} since it was built, and the "
                "trained network cannot take that change. Set them back, or set "
                "warm_start=False to train a new network."
            )

    def _check_fit_params(self, data):
        """Checks that involve several parameters or the data."""
        n_samples = len(data.seqs)
        if self.early_stopping:
            train, valid = self._validation_split(n_samples, data.groups)
            if len(valid) < 1 or len(train) < 1:
                per_class = "" if data.groups is None else " of any class"
                raise ValueError(
                    f"early_stopping=True with validation_fraction="
                    f"{self.validation_fraction!r} leaves no validation or no "
                    f"training sequence{per_class} out of n_samples={n_samples}. "
                    "Pass more data, a larger validation_fraction, or "
                    "early_stopping=False."
                )
        for i, cb in enumerate(self.callbacks or ()):
            named = isinstance(cb, tuple) and len(cb) == 2 and isinstance(cb[0], str)
            if not isinstance(cb[1] if named else cb, Callback):
                raise TypeError(
                    f"callbacks[{i}] must be a skorch Callback or a (name, Callback) "
                    f"pair, got {cb!r}."
                )
        schedule = self.lr_schedule
        if isinstance(schedule, type):
            try:
                inspect.signature(schedule).bind(None)
            except TypeError:
                raise ValueError(
                    f"lr_schedule={schedule.__name__} needs arguments beyond the "
                    "optimizer. Pass skorch.callbacks.LRScheduler(policy="
                    f"{schedule.__name__}, ...) with them instead."
                ) from None
            except ValueError:  # pragma: no cover - no signature to read
                pass
        if self.conv_channels is not None and self.conv_pool_size != "auto":
            n_timesteps = data.seqs.data.shape[1]
            if self.conv_pool_size > n_timesteps:
                raise ValueError(
                    f"conv_pool_size={self.conv_pool_size!r} is larger than the "
                    f"{n_timesteps} time steps of X. Use a pooling factor of at "
                    "most the sequence length, or 'auto'."
                )
        if self.checkpoint_dir is not None:
            directory = os.fspath(self.checkpoint_dir)
            try:
                os.makedirs(directory, exist_ok=True)
            except OSError as exc:
                raise ValueError(
                    f"checkpoint_dir={directory!r} cannot be created ({exc}). Pass "
                    "a directory that can be written, or None."
                ) from None
            if not os.access(directory, os.W_OK):
                raise ValueError(
                    f"checkpoint_dir={directory!r} cannot be written to. Pass a "
                    "directory that can be written, or None."
                )

    def _check_network_size(self):
        """Refuse a network too large to train, before any memory is allocated.

        The module is built on torch's ``meta`` device, which allocates
        nothing, and its parameters counted.
        """
        with torch.device("meta"):
            probe = self._build_module()
        n_params = sum(p.numel() for p in probe.parameters())
        if n_params > _MAX_PARAMETERS:
            raise ValueError(
                f"These parameters describe a network of {n_params:,} weights "
                f"({4 * n_params / 2**30:.0f} GiB in float32, about four times "
                f"that while training), more than the {_MAX_PARAMETERS:,} sklstm "
                "trains. Lower hidden_size, num_layers, conv_channels or "
                "embedding_dim (or vocab_size)."
            )

    def _validation_split(self, n_samples, groups=None):
        """Indices (train, valid): the tail of the data, per group if given."""
        index = np.arange(n_samples)
        if groups is None:
            n_valid = int(np.floor(self.validation_fraction * n_samples))
            return index[: n_samples - n_valid], index[n_samples - n_valid :]
        valid = []
        for g in np.unique(groups):
            members = index[groups == g]
            n_valid = int(np.floor(self.validation_fraction * len(members)))
            valid.append(members[len(members) - n_valid :])
        valid = np.sort(np.concatenate(valid))
        return np.setdiff1d(index, valid), valid

    def _seed(self):
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def _encoder_params(self, input_size):
        return dict(
            input_size=input_size,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            cell=self.cell,
            bidirectional=self.bidirectional,
            layer_norm=self.layer_norm,
            conv_channels=self.conv_channels,
            conv_kernel_size=self.conv_kernel_size,
            conv_pool=getattr(self, "_conv_pool", 1),
            # LSTM-FCN branch (sklstm/_fcn.py)
            fcn_channels=self.fcn_channels,
            fcn_kernel_sizes=self.fcn_kernel_sizes,
        )

    def _train(self, data, *, warm, resume):
        """Train the net on ``data``; True unless training was interrupted."""
        seqs, y = data.seqs, data.y
        y_shift, y_scale = (None, None) if data.y_standard is None else data.y_standard
        device = _resolve_device(self.device)
        if self.precision == "bfloat16" and device == "cpu":
            if not torch.backends.mkldnn.is_available():  # pragma: no cover
                warnings.warn(
                    "precision='bfloat16' on a CPU without oneDNN runs slowly; "
                    "use precision='float32'.",
                    UserWarning,
                    stacklevel=4,
                )
        weight = data.sample_weight
        if self.early_stopping:
            train_idx, valid_idx = self._validation_split(len(seqs), data.groups)
            train_set, valid_set = (
                _SequenceDataset(
                    _take(seqs, idx),
                    _take_rows(y, idx),
                    y_shift,
                    y_scale,
                    weight=None if weight is None else weight[idx],
                )
                for idx in (train_idx, valid_idx)
            )
            train_split = predefined_split(valid_set)
        else:
            train_set = _SequenceDataset(seqs, y, y_shift, y_scale, weight=weight)
            valid_set = None
            train_split = None
        for dataset in (train_set, valid_set):
            if dataset is not None:
                _to_device_once(dataset, device)

        self._fit_batch_size = _resolve_batch_size(self.batch_size, len(train_set))
        n_batches = -(-len(train_set) // self._fit_batch_size)
        epochs = self.max_epochs if resume is None else resume["epochs"]
        seed = self._seed()
        if warm:
            net = self.net_
            self._update_net(net, data.criterion, train_split, n_batches, epochs)
        else:
            self._conv_pool = _resolve_conv_pool(self, seqs.data.shape[1])
            self._net_params = self._architecture()
            self._check_network_size()
            with _seeded_global_rng(seed, device):
                module = self._build_module()
            if self.scale_inputs and not self._uses_tokens():
                x_mean, x_scale = _feature_stats(seqs)
                module.encoder.x_mean.copy_(torch.from_numpy(x_mean))
                module.encoder.x_scale.copy_(torch.from_numpy(x_scale))
            if data.init_module is not None:
                data.init_module(module)
            net = self._make_net(module, data.criterion, train_split, n_batches, device)
            net.initialize()
        self.net_ = net
        self.module_ = net.module_
        guard = _named_callback(net, "training_guard")
        if epochs == 0:
            # resumed after the last epoch had finished: nothing to train
            self._set_history()
            return True

        # shuffling and dropout draw from generators of this fit alone
        shuffle = torch.Generator().manual_seed(seed)
        dropout = torch.Generator(device=device).manual_seed(seed + 1)
        if resume is not None and resume.get("generators") is not None:
            shuffle.set_state(resume["generators"][0])
            dropout.set_state(resume["generators"][1])
        train_set.generator = shuffle
        target_epochs = len(net.history) + epochs
        if self.checkpoint_dir is not None:

            def write(net):
                self._write_checkpoint(
                    net, target_epochs=target_epochs, generators=(shuffle, dropout)
                )

            _named_callback(net, "checkpoint").write = write
        global_rng = (
            _seeded_global_rng(
                seed + 2, device, None if resume is None else resume.get("rng_state")
            )
            if self.num_layers > 1 and self.dropout > 0
            else contextlib.nullcontext()
        )
        with (
            global_rng,
            _seed_dropout(net.module_, dropout),
            _thread_policy(self, self._fit_batch_size),
        ):
            net.partial_fit(train_set, None)

        # epochs whose weights were discarded or that did not finish
        last_epoch = len(net.history)
        del net.history[guard.good_epochs_ :]
        self._set_history()
        early_stopped = any(
            isinstance(cb, EarlyStopping) and getattr(cb, "misses_", 0) >= cb.patience
            for _, cb in net.callbacks_
        )
        interrupted = (
            guard.diverged_ is None and guard.epochs_done_ < epochs and not early_stopped
        )
        name = type(self).__name__
        if guard.diverged_ is not None:
            epoch, what = guard.diverged_
            kept = (
                f"the weights from the end of epoch {self.n_iter_} were kept "
                f"(n_iter_={self.n_iter_})"
                if self.n_iter_
                else "the initial, untrained weights were kept (n_iter_=0)"
            )
            warnings.warn(
                f"{name} training diverged in epoch {epoch}: {what}. Training "
                f"stopped and {kept}. Lower the learning rate (lr={self.lr!r}) or "
                f"clip the gradients (clip_grad_norm={self.clip_grad_norm!r}; for "
                "example 1.0).",
                UserWarning,
                stacklevel=4,
            )
        elif interrupted:
            warnings.warn(
                f"Training interrupted by user (KeyboardInterrupt) in epoch "
                f"{last_epoch}: {name} keeps the weights trained so far "
                f"(n_iter_={self.n_iter_} complete epochs). Fit again with "
                "warm_start=True to continue training.",
                UserWarning,
                stacklevel=4,
            )
        return not interrupted

    def _callbacks(self, n_batches):
        # the guard comes first: later callbacks only see finite epochs; the
        # progress bar next, so that it counts the epoch early stopping ends
        callbacks = [("training_guard", _TrainingGuard())]
        if self.verbose:
            callbacks.append(("progress", _EpochProgressBar()))
        if self.early_stopping:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_loss",
                        patience=self.n_iter_no_change,
                        threshold=self.tol,
                        threshold_mode="abs",
                        load_best=True,
                        sink=_silent,
                    ),
                )
            )
        if self.clip_grad_norm is not None:
            callbacks.append(
                ("clip_grad_norm", GradientNormClipping(self.clip_grad_norm))
            )
        schedule = self._lr_scheduler(n_batches)
        if schedule is not None:
            callbacks.append(("lr_schedule", schedule))
        if self.checkpoint_dir is not None:
            callbacks.append(("checkpoint", _EpochCheckpoint()))
        for i, cb in enumerate(self.callbacks or ()):
            cb = copy.deepcopy(cb)
            callbacks.append(cb if isinstance(cb, tuple) else (f"user_{i}", cb))
        return callbacks

    def _lr_scheduler(self, n_batches):
        schedule = self.lr_schedule
        monitor = "valid_loss" if self.early_stopping else "train_loss"
        sched = torch.optim.lr_scheduler
        if schedule is None:
            return None
        if isinstance(schedule, LRScheduler):
            return copy.deepcopy(schedule)
        if isinstance(schedule, type):
            return LRScheduler(policy=schedule)
        if schedule == "cosine":
            return LRScheduler(policy=sched.CosineAnnealingLR, T_max=self.max_epochs)
        if schedule == "step":
            return LRScheduler(
                policy=sched.StepLR, step_size=max(1, self.max_epochs // 3), gamma=0.1
            )
        if schedule == "plateau":
            return LRScheduler(
                policy=sched.ReduceLROnPlateau,
                monitor=monitor,
                patience=max(1, self.n_iter_no_change // 2),
                factor=0.5,
            )
        return LRScheduler(
            policy=sched.OneCycleLR,
            max_lr=self.lr,
            total_steps=self.max_epochs * n_batches,
            step_every="batch",
        )

    def _optimizer_params(self):
        params = {"optimizer__weight_decay": self.weight_decay}
        if self.optimizer == "sgd":
            params["optimizer__momentum"] = 0.9
        if self.optimizer in ("adam", "adamw") and _FUSED_ADAM:
            # one kernel per step instead of several per parameter tensor:
            # the same update, a few per cent of an epoch saved on small nets
            params["optimizer__fused"] = True
        return params

    def _make_net(self, module, criterion, train_split, n_batches, device):
        """The skorch net that trains ``module`` (not yet initialised)."""
        return _SequenceNet(
            module=module,
            criterion=criterion,
            optimizer=_OPTIMIZERS[self.optimizer],
            lr=self.lr,
            max_epochs=self.max_epochs,
            batch_size=self._fit_batch_size,
            iterator_train=_BatchIterator,
            iterator_train__shuffle=True,
            iterator_valid=_BatchIterator,
            train_split=train_split,
            callbacks=self._callbacks(n_batches),
            device=device,
            verbose=0,
            **self._optimizer_params(),
        )

    def _update_net(self, net, criterion, train_split, n_batches, epochs):
        """Carry every training setting of a warm fit over to the fitted net.

        skorch's ``set_params`` updates the optimizer's learning rate and
        other hyper-parameters in place; a different optimizer starts from a
        fresh state. Dropout and precision are set on the module itself.
        """
        optimizer = _OPTIMIZERS[self.optimizer]
        net.set_params(
            max_epochs=epochs, batch_size=self._fit_batch_size, train_split=train_split
        )
        # (skorch's set_params(callbacks=...) initialises the old list)
        net.callbacks = self._callbacks(n_batches)
        net.initialize_callbacks()
        if net.optimizer is not optimizer:
            net.optimizer = optimizer
            net.lr = self.lr
            for key in [k for k in vars(net) if k.startswith("optimizer__")]:
                delattr(net, key)
            for key, value in self._optimizer_params().items():
                setattr(net, key, value)
            net.initialize_optimizer()
        else:
            net.set_params(lr=self.lr, optimizer__weight_decay=self.weight_decay)
        if not isinstance(criterion, type) or not isinstance(net.criterion_, criterion):
            net.criterion = criterion
            net.initialize_criterion()
        for sub in net.module_.modules():
            if isinstance(sub, torch.nn.Dropout):
                sub.p = self.dropout
            elif isinstance(sub, torch.nn.RNNBase) and sub.num_layers > 1:
                sub.dropout = self.dropout
            if hasattr(sub, "precision"):
                sub.precision = self.precision

    def _write_checkpoint(self, net, *, target_epochs, finished=False, generators=None):
        """Write the training state of ``net`` to ``checkpoint_dir``, if set."""
        if self.checkpoint_dir is None:
            return
        extra = {}
        if generators is not None:
            extra["generators"] = [g.get_state() for g in generators]
            if self.num_layers > 1 and self.dropout > 0:
                extra["rng_state"] = torch.get_rng_state()
        meta, weights = _format.describe(
            self,
            net=net,
            optimizer=True,
            training={
                "target_epochs": int(target_epochs),
                "finished": bool(finished),
                "unsaved_params": [],
            },
            strict=False,
            extra_weights=extra,
        )
        directory = os.fspath(self.checkpoint_dir)
        os.makedirs(directory, exist_ok=True)
        _format.write_archive(
            os.path.join(directory, _format.CHECKPOINT_NAME), meta, weights
        )

    def _build_module(self):  # pragma: no cover - every estimator defines it
        raise NotImplementedError

    # --- rebuilding a fitted net (pickle, load_model, checkpoints) -----------

    def _restore_net(self, *, criterion, criterion_state, module_state, optimizer_state, history):
        """Rebuild ``net_`` and ``module_`` from plain state, without training.

        The network's shape is read off a module built on the ``meta``
        device (no memory), and compared with the weights before anything
        is allocated, so that parameters describing a huge network fail
        here and not in the allocator.
        """
        module_state = _format.check_tensor_dict(module_state, "network")
        if self.device == "cuda" and not torch.cuda.is_available():
            warnings.warn(
                f"The {type(self).__name__} was saved with device='cuda', but torch "
                "sees no CUDA GPU here; it is loaded on the CPU with device='cpu'.",
                UserWarning,
                stacklevel=4,
            )
            self.device = "cpu"
        device = _resolve_device(self.device)
        with torch.device("meta"):
            probe = self._build_module()
        expected = {k: tuple(v.shape) for k, v in probe.state_dict().items()}
        found = {k: tuple(v.shape) for k, v in module_state.items()}
        if expected != found:
            missing = sorted(set(expected) - set(found))
            wrong = sorted(k for k in expected if k in found and expected[k] != found[k])
            raise ValueError(
                "its weights do not fit the network that its parameters describe "
                f"(missing {missing[:3]}, other shapes for {wrong[:3]}, "
                f"unexpected {sorted(set(found) - set(expected))[:3]})"
            )
        with _seeded_global_rng(0):
            # building the module draws random initial weights: keep the
            # caller's random state as it was
            module = self._build_module()
        module.load_state_dict(module_state)
        criterion = _format.criterion_from_state(criterion, criterion_state)
        last = history[-1] if history else {}
        n_batches = int(last.get("train_batch_count", 1))
        self._fit_batch_size = getattr(
            self, "_fit_batch_size", _resolve_batch_size(self.batch_size, 1)
        )
        net = self._make_net(module, criterion, None, n_batches, device)
        net.initialize()
        if optimizer_state is not None:
            if not isinstance(optimizer_state, dict):
                raise ValueError("its optimizer state is not a dict")
            net.optimizer_.load_state_dict(optimizer_state)
        net.history = History(history)
        self.net_ = net
        self.module_ = net.module_
        vars(self).setdefault("_net_params", self._architecture())
        self._set_history(warn=False)

    def _set_history(self, warn=True):
        history = self.net_.history
        self.n_iter_ = len(history)
        self.loss_curve_ = [float(row["train_loss"]) for row in history]
        if self.early_stopping:
            self.validation_loss_curve_ = [
                float(row.get("valid_loss", math.nan)) for row in history
            ]
            best = [i for i, row in enumerate(history) if row.get("valid_loss_best")]
            self.best_epoch_ = best[-1] + 1 if best else self.n_iter_
            if warn and self.n_iter_ >= self.max_epochs and not self.warm_start:
                stopped = self.n_iter_ - self.best_epoch_ >= self.n_iter_no_change
                if not stopped:
                    warnings.warn(
                        f"{type(self).__name__} ran max_epochs={self.max_epochs} "
                        "epochs and the validation loss was still improving. "
                        "Increase max_epochs to let early stopping decide.",
                        ConvergenceWarning,
                        stacklevel=5,
                    )
        else:
            self.validation_loss_curve_ = None
            self.best_epoch_ = self.n_iter_

    # --- inference -------------------------------------------------------

    def _chunk_rows(self, n_timesteps):
        """Sequences per inference batch, from scikit-learn's working memory.

        A sequence's working memory is about the activations of every layer
        at every step (the LSTM's four gates, the states, the convolution);
        at most ``max(batch_size, 1024)`` sequences and ``_PREDICT_STEPS``
        steps go in one batch.
        """
        width = self.input_size_ + (self.conv_channels or 0)
        width += 2 * sum(self.fcn_channels or ())  # LSTM-FCN branch: conv + norm
        width += 8 * self.hidden_size * (2 if self.bidirectional else 1)
        train = self.batch_size if self.batch_size != "auto" else 32
        cap = max(1, min(max(train, 1024), _PREDICT_STEPS // n_timesteps))
        return get_chunk_n_rows(row_bytes=4 * n_timesteps * width, max_n_rows=cap)

    def _map_batches(self, seqs, compute, *, dtype=np.float32):
        """``compute(Xb)`` over ``seqs`` in chunks, outputs stacked as ``dtype``.

        The one inference loop of sklstm: ``predict``, the anomaly scores
        and ``gate_activations`` all go through it. ``compute`` returns a
        tensor or a dict of tensors for a batch (on any device); 2-D
        outputs are written into one array as they come (no list of
        batches), 3-D ones (per time step) are padded with zeros to the
        longest batch, since a batch of shorter sequences is cut to its
        longest one.
        """
        dataset = _SequenceDataset(seqs)
        chunk = self._chunk_rows(seqs.data.shape[1])
        device = self.net_.device
        out = {}
        parts = {}
        n = len(dataset)
        policy = _thread_policy(self, min(n, chunk))
        with torch.inference_mode(), policy, _flush_denormal():
            for rows in gen_batches(n, chunk):
                Xb, _ = dataset.batch(rows)
                if device != "cpu":
                    Xb = _to_device(Xb, device)
                result = compute(Xb)
                for key, part in (result.items() if isinstance(result, dict) else [(None, result)]):
                    if part.dtype not in (torch.float32, torch.float64) or part.device.type != "cpu":
                        part = part.float().cpu()
                    part = part.numpy()
                    if part.ndim == 3:
                        parts.setdefault(key, []).append(part.astype(dtype, copy=False))
                        continue
                    if key not in out:
                        if len(part) == n:
                            out[key] = part.astype(dtype, copy=False)
                            continue
                        out[key] = np.empty((n,) + part.shape[1:], dtype)
                    # copied out at once: keeping every batch's output alive
                    # until the end fragments the heap
                    out[key][rows] = part
        for key, pieces in parts.items():
            steps = max(p.shape[1] for p in pieces)
            out[key] = np.concatenate(
                [np.pad(p, ((0, 0), (0, steps - p.shape[1]), (0, 0))) for p in pieces]
            )
        return out if not (len(out) == 1 and None in out) else out[None]

    def _module_call(self, module=None):
        """A function running ``module`` (default: the fitted one) in eval mode."""
        module = self.module_ if module is None else module
        if module.training:
            # like skorch's predict, inference leaves the module in eval mode
            # (training switches it back)
            module.eval()

        def call(Xb):
            return module(**Xb) if isinstance(Xb, dict) else module(Xb)

        return call

    def _predict_outputs(self, X, tokens=False, dtype=np.float32):
        """Validated module outputs for the sequences ``X``, as NumPy ``dtype``."""
        out = None if tokens else self._predict_small(X, dtype)
        if out is None:
            check_is_fitted(self)
            seqs = check_sequences(self, X, reset=False, tokens=tokens)
            out = self._map_batches(seqs, self._module_call(), dtype=dtype)
        return self._checked_outputs(out)

    def _predict_small(self, X, dtype=np.float32, module=None):
        """Outputs for a small contiguous float array, or None to go the long way.

        Serving code predicts one window at a time, where the network itself
        runs in a few hundred microseconds: the general path's validation,
        although only tens of microseconds of Python, then slows the network
        call that follows it by as much again. This path makes the same
        checks with less code (``_passes_quick_check``) and runs the module
        once; anything they do not accept returns None, and the general path
        validates it and words the error. ``module`` (default: the fitted
        one) may be a float64 copy, which then gets float64 inputs (rounded
        to float32 first, as training saw them).
        """
        if "module_" not in self.__dict__ or not _passes_quick_check(
            self, X, _PREDICT_STEPS
        ):
            return None
        if len(X) > _SMALL_ROWS:
            return None
        Xt = _as_tensor(X)
        if X.dtype != np.float32:
            Xt = Xt.float()
        if X.ndim == 2:
            Xt = Xt[:, :, None]
        device = self.net_.device
        module = self.module_ if module is None else module
        if next(module.parameters()).dtype == torch.float64:
            Xt = Xt.double()
        if module.training:
            module.eval()
        with torch.inference_mode(), _thread_policy(self, len(X)), _flush_denormal():
            part = module(Xt if device == "cpu" else Xt.to(device))
            if part.dtype not in (torch.float32, torch.float64) or part.device.type != "cpu":
                part = part.float().cpu()
            return part.numpy().astype(dtype, copy=False)

    def _checked_outputs(self, out):
        """``out``, after checking that the network gave finite values."""
        if np.isfinite(out).all():
            return out
        finite = np.isfinite(out.reshape(len(out), -1)).all(axis=1)
        raise ValueError(
            f"{type(self).__name__} produced NaN or infinite outputs for "
            f"{int((~finite).sum())} of {len(out)} sequences. Their values may "
            "lie far outside the range of the training data; check or rescale "
            "them, or refit."
        )

    def gate_activations(self, X, layer=-1):
        """Gate activations and states of one LSTM layer, step by step.

        Recomputes the recurrence of the trained LSTM so that its gates can
        be inspected or plotted (see ``sklstm.plotting``). The sequences are
        processed in batches, as by ``predict``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps) or \
                (n_samples, n_timesteps, n_features), or list of sequences
            Sequences, in the same form as for ``predict``.
        layer : int, default=-1
            Which recurrent layer to read (``-1``: the top one).

        Returns
        -------
        gates : dict of str to ndarray of shape (n_samples, n_timesteps, n_units)
            Keys ``"input_gate"``, ``"forget_gate"``, ``"cell_candidate"``,
            ``"output_gate"``, ``"cell_state"`` and ``"hidden_state"``;
            ``n_units`` is ``hidden_size`` (twice that when
            ``bidirectional=True``, forward units first). Steps past the end
            of a shorter sequence are zero.
        """
        check_is_fitted(self)
        if self.cell != "lstm":
            raise ValueError(
                f"gate_activations needs cell='lstm', but this model was fitted "
                f"with cell={self.cell!r}; a GRU has different gates."
            )
        if (
            not isinstance(layer, Integral)
            or isinstance(layer, bool)
            or not -self.num_layers <= layer < self.num_layers
        ):
            raise ValueError(
                f"layer must be an integer in [{-self.num_layers}, "
                f"{self.num_layers - 1}] for num_layers={self.num_layers}, "
                f"got {layer!r}."
            )
        seqs = check_sequences(self, X, reset=False, tokens=self._uses_tokens())
        encoder = self._encoder()
        if encoder.training:
            encoder.eval()

        def gates(Xb):
            if isinstance(Xb, dict):
                return _lstm_gates(encoder, Xb["X"], Xb["lengths"], layer=layer)
            return _lstm_gates(encoder, Xb, layer=layer)

        return self._map_batches(seqs, gates)

    def _encoder(self):
        return self.module_.encoder

    # --- pickling --------------------------------------------------------

    def __getstate__(self):
        state = dict(super().__getstate__())
        net = state.pop("net_", None)
        state.pop("module_", None)
        if net is not None:
            # plain state only (tensors on the CPU, numbers, strings): the net
            # is rebuilt from it on load, the same way load_model does, so
            # unpickling never calls torch.load on bytes of unknown content
            # (NumPy arrays, not tensors: pickling a tensor goes through
            # torch.load of raw bytes when unpickled)
            state["_net_state"] = _format.to_numpy(_format.net_state(net, batches=True))
        return state

    def __setstate__(self, state):
        state = dict(state)
        net_state = state.pop("_net_state", None)
        super().__setstate__(state)
        if net_state is not None:
            net_state = dict(net_state)
            for key in ("criterion_state", "module_state", "optimizer_state"):
                net_state[key] = _format.to_torch(net_state[key])
            self._restore_net(**net_state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = self.device != "cpu"
        return tags


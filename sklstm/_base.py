"""Shared machinery of the sklstm estimators: parameters, seeding, training.

Each estimator is a plain scikit-learn estimator. In ``fit`` it builds a
skorch ``NeuralNet`` around a module from ``_modules.py`` and keeps it as
``net_``; skorch runs the training loop, with the callbacks of
``_callbacks.py``, over the datasets and batches of ``_data.py``.
"""

import copy
import io
import math
import os
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, GradientNormClipping, LRScheduler
from skorch.helper import predefined_split

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
from ._modules import _lstm_gates
from ._threads import N_JOBS_CONSTRAINT, _thread_policy  # thread policy
from ._validation import (
    Interval,
    StrOptions,
    _passes_quick_check,
    check_is_fitted,
    check_random_state,
    check_sequences,
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
# fused Adam/AdamW runs on CPU (and CUDA) from torch 2.4 on
_FUSED_ADAM = tuple(int(v) for v in torch.__version__.split(".")[:2]) >= (2, 4)


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


class _BaseLSTMEstimator(BaseEstimator):
    """Parameters, seeding and the training loop shared by all estimators."""

    _parameter_constraints = {
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "cell": [StrOptions({"lstm", "gru"})],
        "bidirectional": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "layer_norm": ["boolean"],
        "conv_channels": [Interval(Integral, 1, None, closed="left"), None],
        "conv_kernel_size": [Interval(Integral, 1, None, closed="left")],
        "conv_pool_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "optimizer": [StrOptions(set(_OPTIMIZERS))],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "clip_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "lr_schedule": [StrOptions(set(_SCHEDULES)), LRScheduler, type, None],
        "scale_inputs": ["boolean"],
        "callbacks": [list, tuple, None],
        "device": [StrOptions({"cpu", "cuda", "auto"})],
        "precision": [StrOptions({"float32", "bfloat16"})],
        "warm_start": ["boolean"],
        "checkpoint_dir": [str, os.PathLike, None],
        "n_jobs": N_JOBS_CONSTRAINT,  # thread policy
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # --- fitting ---------------------------------------------------------

    def _check_fit_params(self, n_samples):
        """Checks that involve several parameters or the data."""
        if self.early_stopping:
            n_valid = int(np.floor(self.validation_fraction * n_samples))
            if n_valid < 1 or n_samples - n_valid < 1:
                raise ValueError(
                    f"early_stopping=True with validation_fraction="
                    f"{self.validation_fraction!r} leaves no validation or no "
                    f"training sequence out of n_samples={n_samples}. Pass more "
                    "data, a larger validation_fraction, or early_stopping=False."
                )
        if self.cell != "lstm" and self.cell not in ("gru",):  # pragma: no cover
            raise ValueError(f"Unknown cell {self.cell!r}.")

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
        )

    def _callbacks(self, n_batches):
        # the guard comes first: later callbacks only see finite epochs
        callbacks = [("training_guard", _TrainingGuard())]
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
        callbacks.append(("checkpoint", _EpochCheckpoint()))
        for i, cb in enumerate(self.callbacks or ()):
            cb = copy.deepcopy(cb)
            callbacks.append(cb if isinstance(cb, tuple) else (f"user_{i}", cb))
        if self.verbose:
            callbacks.append(("progress", _EpochProgressBar()))
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

    def _fit_net(self, seqs, y, *, criterion, module, groups=None, y_standard=None):
        """Train ``module`` on ``(seqs, y)`` and set the history attributes.

        ``module`` is a callable building the torch module (called inside
        the seeded RNG so that weight initialisation is reproducible).
        ``y_standard``, a pair ``(shift, scale)``, standardises ``y`` batch
        by batch (see ``_SequenceDataset``).
        """
        y_shift, y_scale = (None, None) if y_standard is None else y_standard
        n_samples = len(seqs)
        self._check_fit_params(n_samples)
        device = _resolve_device(self.device)
        if self.precision == "bfloat16" and device == "cpu":
            if not torch.backends.mkldnn.is_available():  # pragma: no cover
                warnings.warn(
                    "precision='bfloat16' on a CPU without oneDNN runs slowly; "
                    "use precision='float32'.",
                    UserWarning,
                    stacklevel=3,
                )
        if self.scale_inputs and getattr(self, "vocab_size", None) is None:
            x_mean, x_scale = _feature_stats(seqs)
        else:
            x_mean, x_scale = None, None

        if self.early_stopping:
            train_idx, valid_idx = self._validation_split(n_samples, groups)
            train_set = _SequenceDataset(
                _take(seqs, train_idx), _take_rows(y, train_idx), y_shift, y_scale
            )
            valid_set = _SequenceDataset(
                _take(seqs, valid_idx), _take_rows(y, valid_idx), y_shift, y_scale
            )
            train_split = predefined_split(valid_set)
        else:
            train_set = _SequenceDataset(seqs, y, y_shift, y_scale)
            valid_set = None
            train_split = None
        for dataset in (train_set, valid_set):
            if dataset is not None:
                _to_device_once(dataset, device)

        warm = self._warm_fit()
        self._fit_batch_size = _resolve_batch_size(self.batch_size, len(train_set))
        if not warm:
            self._conv_pool = _resolve_conv_pool(self, seqs.data.shape[1])
        n_batches = -(-len(train_set) // self._fit_batch_size)
        # set by sklstm.resume_fit: the epochs left and the RNG state to resume
        resume = self.__dict__.pop("_resume", None)
        epochs = self.max_epochs if resume is None else resume["epochs"]
        seed = self._seed()
        devices = [torch.cuda.current_device()] if device == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            if resume is not None and resume.get("rng_state") is not None:
                torch.set_rng_state(resume["rng_state"])
            if warm:
                net = self.net_
                net.set_params(max_epochs=epochs, train_split=train_split)
            else:
                mod = module()
                if x_mean is not None:
                    mod.encoder.x_mean.copy_(torch.from_numpy(x_mean))
                    mod.encoder.x_scale.copy_(torch.from_numpy(x_scale))
                net = self._make_net(mod, criterion, train_split, n_batches, device)
                net.initialize()
            epochs_before = len(net.history)
            target_epochs = epochs_before + epochs
            if getattr(self, "checkpoint_dir", None) is not None:
                from ._persistence import _write_checkpoint

                def save(net):
                    _write_checkpoint(self, net, target_epochs=target_epochs)

                _named_callback(net, "checkpoint").save_ = save
            with _thread_policy(self, self._fit_batch_size):  # thread policy
                net.partial_fit(train_set, None)
        self.net_ = net
        self.module_ = net.module_
        guard = _named_callback(net, "training_guard")
        # epochs whose weights were discarded or that did not finish
        last_epoch = len(net.history)
        del net.history[guard.good_epochs_ :]
        self._set_history()
        early_stopped = any(
            isinstance(cb, EarlyStopping) and getattr(cb, "misses_", 0) >= cb.patience
            for _, cb in net.callbacks_
        )
        interrupted = (
            guard.diverged_ is None
            and guard.epochs_done_ < epochs
            and not early_stopped
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
                stacklevel=3,
            )
        elif interrupted:
            warnings.warn(
                f"Training interrupted by user (KeyboardInterrupt) in epoch "
                f"{last_epoch}: {name} keeps the weights trained so far "
                f"(n_iter_={self.n_iter_} complete epochs). Fit again with "
                "warm_start=True to continue training.",
                UserWarning,
                stacklevel=3,
            )
        if not interrupted:
            # after an interruption, the checkpoint of the last finished
            # epoch stays: resume_fit continues from it
            self._checkpoint_finished()
        return self

    def _warm_fit(self):
        """Whether this fit continues the current net (warm start or resume)."""
        resuming = "_resume" in self.__dict__
        return (self.warm_start or resuming) and hasattr(self, "net_")

    def _checkpoint_finished(self):
        """Write the final checkpoint, if ``checkpoint_dir`` is set.

        ``_fit_net`` calls it after training; an estimator that sets more
        fitted attributes after ``_fit_net`` calls it again at the end of
        ``fit``, so that the checkpoint holds them too.
        """
        if getattr(self, "checkpoint_dir", None) is None:
            return
        from ._persistence import _write_checkpoint

        _write_checkpoint(
            self, self.net_, target_epochs=self.n_iter_, finished=True, rng_state=False
        )

    def _make_net(self, module, criterion, train_split, n_batches, device):
        """The skorch net that trains ``module`` (not yet initialised)."""
        optimizer_kwargs = {"optimizer__weight_decay": self.weight_decay}
        if self.optimizer == "sgd":
            optimizer_kwargs["optimizer__momentum"] = 0.9
        if self.optimizer in ("adam", "adamw") and _FUSED_ADAM:
            # one kernel per step instead of several per parameter tensor:
            # the same update, a few per cent of an epoch saved on small nets
            optimizer_kwargs["optimizer__fused"] = True
        return NeuralNet(
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
            **optimizer_kwargs,
        )

    def _build_module(self):
        """The untrained network for the fitted shapes (used to load a model)."""
        raise NotImplementedError(
            f"{type(self).__name__} does not define _build_module, so a saved "
            "model cannot be rebuilt without pickle."
        )

    def _restore_net(self, *, criterion, module_state, optimizer_state, history):
        """Rebuild ``net_`` and ``module_`` from saved state, without training."""
        from skorch.history import History

        device = _resolve_device(self.device)
        last = history[-1] if history else {}
        n_batches = int(last.get("train_batch_count", 1))
        with torch.random.fork_rng(devices=[]):
            # building the module draws random initial weights: keep the
            # caller's random state as it was
            module = self._build_module()
        net = self._make_net(module, criterion, None, n_batches, device)
        net.initialize()
        net.module_.load_state_dict(module_state)
        if optimizer_state is not None:
            net.optimizer_.load_state_dict(optimizer_state)
        net.history = History(history)
        self.net_ = net
        self.module_ = net.module_
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
                        stacklevel=3,
                    )
        else:
            self.validation_loss_curve_ = None
            self.best_epoch_ = self.n_iter_

    # --- inference -------------------------------------------------------

    def _predict_batch_size(self, n_timesteps):
        train = self.batch_size if self.batch_size != "auto" else 32
        return max(1, min(max(train, 1024), _PREDICT_STEPS // n_timesteps))

    def _predict_outputs(self, X, tokens=False, dtype=np.float32):
        """Validated module outputs for the sequences ``X``, as NumPy ``dtype``.

        The outputs are written batch by batch into one array of ``dtype``,
        so asking for float64 costs no float32 copy of them all.
        """
        out = None if tokens else self._predict_small(X, dtype)
        if out is None:
            check_is_fitted(self)
            seqs = check_sequences(self, X, reset=False, tokens=tokens)
            out = self._raw_predict(seqs, dtype)
        return out

    def _predict_small(self, X, dtype=np.float32):
        """Outputs for a small contiguous float array, or None to go the long way.

        Serving code predicts one window at a time, where the network itself
        runs in a few hundred microseconds: the general path's validation,
        although only tens of microseconds of Python, then slows the network
        call that follows it by as much again (the interpreter's work evicts
        what the CPU had cached of the kernels). This path makes the same
        checks with less code (``_passes_quick_check``); anything they do not
        accept returns None, and the general path validates it and words the
        error.
        """
        if "module_" not in self.__dict__ or not _passes_quick_check(
            self, X, _PREDICT_STEPS
        ):
            return None
        Xt = _as_tensor(X)
        if X.dtype != np.float32:
            Xt = Xt.float()
        if X.ndim == 2:
            Xt = Xt[:, :, None]
        return self._checked_outputs(self._module_outputs([Xt], len(X), dtype))

    def _raw_predict(self, seqs, dtype=np.float32):
        """Module outputs for every sequence, computed batch by batch."""
        dataset = _SequenceDataset(seqs)
        batch_size = self._predict_batch_size(seqs.data.shape[1])
        batches = (
            dataset.batch(slice(start, start + batch_size))[0]
            for start in range(0, len(dataset), batch_size)
        )
        return self._checked_outputs(self._module_outputs(batches, len(dataset), dtype))

    def _module_outputs(self, batches, n_samples, dtype):
        """Run the module in inference mode over ``batches``, outputs stacked."""
        module = self.module_
        # the device skorch moved the module to (and keeps up to date when
        # a GPU-trained model is loaded on a CPU-only machine)
        device = self.net_.device
        if module.training:
            # like skorch's predict, inference leaves the module in eval mode
            # (training switches it back), so that a call does not pay twice
            # for walking the submodules
            module.eval()
        out = None
        start = 0
        n_rows = min(n_samples, self._predict_batch_size(1))  # thread policy
        with torch.inference_mode(), _thread_policy(self, n_rows), _flush_denormal():  # thread policy
            for Xb in batches:
                if device != "cpu":
                    Xb = _to_device(Xb, device)
                part = module(**Xb) if isinstance(Xb, dict) else module(Xb)
                if part.dtype != torch.float32 or part.device.type != "cpu":
                    part = part.float().cpu()
                part = part.numpy()
                if out is None and len(part) == n_samples:
                    return part.astype(dtype, copy=False)
                if out is None:
                    out = np.empty((n_samples,) + part.shape[1:], dtype)
                # copied out at once: keeping every batch's output tensor
                # alive until the end fragments the heap, and the resident
                # memory then grows with the number of batches
                out[start : start + len(part)] = part
                start += len(part)
        return out

    def _checked_outputs(self, out):
        """``out``, after checking that the network gave finite values."""
        if np.isfinite(out).all():
            return out
        finite = np.isfinite(out.reshape(len(out), -1)).all(axis=1)
        if not finite.all():
            raise ValueError(
                f"{type(self).__name__} produced NaN or infinite outputs for "
                f"{int((~finite).sum())} of {len(out)} sequences. Their values may "
                "lie far outside the range of the training data; check or rescale "
                "them, or refit."
            )
        return out

    def gate_activations(self, X, layer=-1):
        """Gate activations and states of one LSTM layer, step by step.

        Recomputes the recurrence of the trained LSTM so that its gates can
        be inspected or plotted (see ``sklstm.plotting``).

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
        if not isinstance(layer, Integral) or not -self.num_layers <= layer < self.num_layers:
            raise ValueError(
                f"layer must be an integer in [{-self.num_layers}, "
                f"{self.num_layers - 1}] for num_layers={self.num_layers}, "
                f"got {layer!r}."
            )
        seqs = check_sequences(
            self, X, reset=False, tokens=getattr(self, "vocab_size", None) is not None
        )
        encoder = self._encoder()
        device = next(encoder.parameters()).device
        dataset = _SequenceDataset(seqs)
        with torch.inference_mode(), _thread_policy(self, len(dataset)):  # thread policy
            Xb, _ = dataset.batch(slice(None))
            if isinstance(Xb, dict):
                gates = _lstm_gates(
                    encoder, Xb["X"].to(device), Xb["lengths"], layer=layer
                )
            else:
                gates = _lstm_gates(encoder, Xb.to(device), layer=layer)
        return {k: v.cpu().numpy() for k, v in gates.items()}

    def _encoder(self):
        return self.module_.encoder

    # --- pickling --------------------------------------------------------

    def __getstate__(self):
        state = dict(super().__getstate__())
        net = state.pop("net_", None)
        if net is not None:
            # pickle stores a CUDA tensor as CUDA storage, which cannot be
            # loaded where no GPU is present; torch.save lets __setstate__
            # map it to the CPU there. module_ is net_.module_, re-linked
            # on load rather than stored twice.
            buffer = io.BytesIO()
            torch.save(net, buffer)
            state["_saved_net"] = buffer.getvalue()
            if state.get("module_") is net.module_:
                del state["module_"]
        return state

    def __setstate__(self, state):
        saved = state.pop("_saved_net", None)
        if saved is not None:
            # a model trained on a GPU comes back on the GPU when one is
            # present, else on the CPU (skorch warns that it moved it)
            map_location = None if torch.cuda.is_available() else "cpu"
            net = torch.load(
                io.BytesIO(saved), map_location=map_location, weights_only=False
            )
            state["net_"] = net
            state.setdefault("module_", net.module_)
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = self.device != "cpu"
        return tags

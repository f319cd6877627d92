"""Shared machinery of the sklstm estimators: parameters, seeding, training.

Each estimator is a plain scikit-learn estimator. In ``fit`` it builds a
skorch ``NeuralNet`` around a module from ``_modules.py`` and keeps it as
``net_``; skorch runs the training loop and its callbacks.
"""

import copy
import warnings
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from skorch import NeuralNet
from skorch.callbacks import (
    Callback,
    EarlyStopping,
    GradientNormClipping,
    LRScheduler,
)
from skorch.helper import predefined_split

from ._modules import _lstm_gates
from ._validation import (
    HasMethods,
    Interval,
    StrOptions,
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

# rows per chunk when scanning a (possibly strided) input for statistics
_STAT_CHUNK = 4096
# time steps per prediction batch (batch size x sequence length), bounding
# the memory of inference on long sequences
_PREDICT_STEPS = 2**20


class _SequenceDataset(torch.utils.data.Dataset):
    """Tensors of a validated collection; batches are cut by index.

    ``X`` may be a strided view (one window per row of a series): a batch is
    copied out of it only when it is cut, so the windows are never
    materialised together.
    """

    def __init__(self, seqs, y=None):
        with warnings.catch_warnings():
            # read-only views are fine: the data is only ever read
            warnings.simplefilter("ignore", UserWarning)
            self.X = torch.from_numpy(seqs.data)
        self.lengths = None if seqs.lengths is None else torch.from_numpy(seqs.lengths)
        self.y = None if y is None else torch.as_tensor(y)

    def __len__(self):
        return self.X.shape[0]

    def __getitem__(self, index):
        return self.batch(torch.as_tensor([index]))

    def batch(self, index):
        """The batch at ``index``: a slice or a 1-D tensor of positions."""
        Xb = self.X[index]
        Xb = Xb.float() if Xb.is_floating_point() else Xb.long()
        yb = None if self.y is None else self.y[index]
        if self.lengths is None:
            return Xb, yb
        lengths = self.lengths[index]
        Xb = Xb[:, : int(lengths.max())]
        return {"X": Xb, "lengths": lengths}, yb


class _BatchIterator:
    """Mini-batches of a ``_SequenceDataset``, shuffled with torch's RNG."""

    def __init__(self, dataset, batch_size, shuffle=False):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self):
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            order = torch.randperm(n)
            for start in range(0, n, self.batch_size):
                yield self.dataset.batch(order[start : start + self.batch_size])
        else:
            for start in range(0, n, self.batch_size):
                yield self.dataset.batch(slice(start, start + self.batch_size))


class _EpochProgressBar(Callback):
    """One progress bar over the epochs, showing the losses (``verbose=1``)."""

    def on_train_begin(self, net, **kwargs):
        from tqdm.auto import tqdm

        self.bar_ = tqdm(total=net.max_epochs, unit="epoch", leave=True)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        losses = {k: row[k] for k in ("train_loss", "valid_loss") if k in row}
        self.bar_.set_postfix({k: f"{v:.4g}" for k, v in losses.items()})
        self.bar_.update(1)

    def on_train_end(self, net, **kwargs):
        self.bar_.close()


def _feature_stats(seqs):
    """Per-feature mean and standard deviation over all valid time steps."""
    data, lengths = seqs.data, seqs.lengths
    width = data.shape[2]
    total = np.zeros(width)
    total_sq = np.zeros(width)
    count = 0
    for start in range(0, data.shape[0], _STAT_CHUNK):
        chunk = np.asarray(data[start : start + _STAT_CHUNK], dtype=np.float64)
        if lengths is not None:
            steps = np.arange(chunk.shape[1])
            mask = steps[None, :] < lengths[start : start + _STAT_CHUNK, None]
            chunk = chunk[mask]
        else:
            chunk = chunk.reshape(-1, width)
        total += chunk.sum(axis=0)
        total_sq += np.square(chunk).sum(axis=0)
        count += chunk.shape[0]
    mean = total / count
    var = np.maximum(total_sq / count - mean**2, 0.0)
    scale = np.sqrt(var)
    scale[scale < 1e-8 * np.maximum(1.0, np.abs(mean))] = 1.0
    return mean.astype(np.float32), scale.astype(np.float32)


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
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
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
        )

    def _callbacks(self, n_batches):
        callbacks = []
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
                        sink=lambda *args: None,
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

    def _fit_net(self, seqs, y, *, criterion, module, groups=None):
        """Train ``module`` on ``(seqs, y)`` and set the history attributes.

        ``module`` is a callable building the torch module (called inside
        the seeded RNG so that weight initialisation is reproducible).
        """
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
            train_set = _SequenceDataset(_take(seqs, train_idx), y[train_idx])
            valid_set = _SequenceDataset(_take(seqs, valid_idx), y[valid_idx])
            train_split = predefined_split(valid_set)
        else:
            train_set = _SequenceDataset(seqs, y)
            train_split = None

        n_batches = -(-len(train_set) // self.batch_size)
        warm = self.warm_start and hasattr(self, "net_")
        seed = self._seed()
        devices = [torch.cuda.current_device()] if device == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            if warm:
                net = self.net_
                net.set_params(max_epochs=self.max_epochs, train_split=train_split)
                net.partial_fit(train_set, None)
            else:
                mod = module()
                if x_mean is not None:
                    mod.encoder.x_mean.copy_(torch.from_numpy(x_mean))
                    mod.encoder.x_scale.copy_(torch.from_numpy(x_scale))
                optimizer_kwargs = {"optimizer__weight_decay": self.weight_decay}
                if self.optimizer == "sgd":
                    optimizer_kwargs["optimizer__momentum"] = 0.9
                net = NeuralNet(
                    module=mod,
                    criterion=criterion,
                    optimizer=_OPTIMIZERS[self.optimizer],
                    lr=self.lr,
                    max_epochs=self.max_epochs,
                    batch_size=self.batch_size,
                    iterator_train=_BatchIterator,
                    iterator_train__shuffle=True,
                    iterator_valid=_BatchIterator,
                    train_split=train_split,
                    callbacks=self._callbacks(n_batches),
                    device=device,
                    verbose=0,
                    **optimizer_kwargs,
                )
                net.fit(train_set, None)
        self.net_ = net
        self.module_ = net.module_
        self._set_history()
        return self

    def _set_history(self):
        history = self.net_.history
        self.n_iter_ = len(history)
        self.loss_curve_ = [float(v) for v in history[:, "train_loss"]]
        if self.early_stopping:
            self.validation_loss_curve_ = [float(v) for v in history[:, "valid_loss"]]
            best = [i for i, flag in enumerate(history[:, "valid_loss_best"]) if flag]
            self.best_epoch_ = best[-1] + 1 if best else self.n_iter_
            if self.n_iter_ >= self.max_epochs and not self.warm_start:
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
        return max(1, min(max(self.batch_size, 1024), _PREDICT_STEPS // n_timesteps))

    def _raw_predict(self, seqs):
        """Module outputs for every sequence, computed batch by batch."""
        dataset = _SequenceDataset(seqs)
        iterator = _BatchIterator(
            dataset, self._predict_batch_size(seqs.data.shape[1])
        )
        module = self.module_
        device = next(module.parameters()).device
        was_training = module.training
        module.eval()
        outputs = []
        try:
            with torch.inference_mode():
                for Xb, _ in iterator:
                    Xb = _to_device(Xb, device)
                    out = module(**Xb) if isinstance(Xb, dict) else module(Xb)
                    outputs.append(out.float().cpu())
        finally:
            module.train(was_training)
        return torch.cat(outputs).numpy()

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
        with torch.inference_mode():
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = self.device != "cpu"
        return tags


def _take(seqs, index):
    """Rows ``index`` of a validated collection."""
    from ._validation import _Sequences

    lengths = None if seqs.lengths is None else seqs.lengths[index]
    return _Sequences(seqs.data[index], lengths)


def _to_device(Xb, device):
    if isinstance(Xb, dict):
        return {k: v.to(device) for k, v in Xb.items()}
    return Xb.to(device)

"""The skorch callbacks sklstm adds to every training run."""

import copy
import math

import torch
from skorch.callbacks import Callback, Checkpoint


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
        # early stopping ends before max_epochs: the bar shows what ran
        self.bar_.total = self.bar_.n
        self.bar_.refresh()
        self.bar_.close()


class _TrainingGuard(Callback):
    """Stops training on a NaN or infinite loss and keeps the last good state.

    After each training batch it checks the batch loss; after each epoch,
    the epoch losses and the parameters. It keeps a copy of the module and
    optimizer state from the end of the last finite epoch (or from the
    start of training); on a non-finite value it restores that copy and
    stops training (skorch ends its loop on ``KeyboardInterrupt``). It also
    counts the epochs finished, so that the estimator can tell a complete
    fit from an interrupted one.
    """

    def on_train_begin(self, net, **kwargs):
        self.diverged_ = None
        self.epochs_done_ = 0
        self.good_epochs_ = len(net.history)
        self._keep(net)

    def on_batch_end(self, net, training=False, **kwargs):
        if training:
            loss = net.history[-1, "batches", -1, "train_loss"]
            if not math.isfinite(loss):
                self._diverge(net, f"the training loss of a batch was {loss}")

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        for key in ("train_loss", "valid_loss"):
            value = row.get(key)
            if value is not None and not math.isfinite(value):
                self._diverge(net, f"the epoch's {key} was {value}")
        for name, param in net.module_.named_parameters():
            if not bool(torch.isfinite(param).all()):
                self._diverge(net, f"the weights {name!r} were no longer finite")
        self.epochs_done_ += 1
        self.good_epochs_ = len(net.history)
        self._keep(net)

    def on_train_end(self, net, **kwargs):
        self.good_state_ = None

    def _keep(self, net):
        self.good_state_ = (
            copy.deepcopy(net.module_.state_dict()),
            copy.deepcopy(net.optimizer_.state_dict()),
        )

    def _diverge(self, net, what):
        self.diverged_ = (len(net.history), what)
        module_state, optimizer_state = self.good_state_
        net.module_.load_state_dict(module_state)
        net.optimizer_.load_state_dict(optimizer_state)
        raise KeyboardInterrupt

    def __getstate__(self):
        state = self.__dict__.copy()
        state["good_state_"] = None
        return state


class _EpochCheckpoint(Checkpoint):
    """Writes the training state after every finished epoch.

    skorch's ``Checkpoint`` with ``monitor=None`` (every epoch) and no files
    of its own: ``save_model`` calls ``write(net)``, which the estimator
    sets for the fit at hand (sklstm writes one archive, not skorch's
    separate parameter files).
    """

    def __init__(self):
        super().__init__(
            monitor=None,
            f_params=None,
            f_optimizer=None,
            f_criterion=None,
            f_history=None,
            event_name=None,
        )
        self.write = None

    def save_model(self, net):
        if self.write is not None:
            self.write(net)

    def on_train_end(self, net, **kwargs):
        self.write = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["write"] = None
        return state


def _silent(*args, **kwargs):
    """A skorch ``sink`` that prints nothing (a function, so nets pickle)."""


def _named_callback(net, name):
    return dict(net.callbacks_)[name]

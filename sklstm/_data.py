"""Tensors of validated sequences: datasets, batches and where they live.

The estimators train on a ``_SequenceDataset`` cut into mini-batches by a
``_BatchIterator``; both keep the caller's data as it is (a strided window
view is never materialised) and copy out one batch at a time. This module
also holds the one-pass input statistics, the row subsets of the
early-stopping split, the move of training data to a GPU and the
subnormal-flushing context that training and prediction run in.
"""

import warnings

import numpy as np
import torch

from ._validation import _Sequences

# rows per chunk when scanning a (possibly strided) input for statistics
_STAT_CHUNK = 4096
# largest share of a GPU's free memory that training data may take when it
# is copied there whole (see _to_device_once)
_DEVICE_DATA_SHARE = 0.25
# a subnormal float32: multiplied by one, it is zero when flushing is on
_SUBNORMAL = np.float32(1e-39)
_ONE = np.float32(1.0)


class _SequenceDataset(torch.utils.data.Dataset):
    """Tensors of a validated collection; batches are cut by index.

    ``X`` may be a strided view (one window per row of a series): a batch is
    copied out of it only when it is cut, so the windows are never
    materialised together. A row subset made by ``_take`` keeps the whole
    data and an index array of its rows, so that it is not copied either.

    ``y_shift`` and ``y_scale`` standardise the targets batch by batch,
    ``(y - y_shift) / y_scale`` in float64 then float32, so that no
    standardised copy of a long ``y`` is kept beside it.
    """

    generator = None

    def __init__(self, seqs, y=None, y_shift=None, y_scale=None, weight=None):
        self.X = _as_tensor(seqs.data)
        self.lengths = None if seqs.lengths is None else torch.from_numpy(seqs.lengths)
        rows = getattr(seqs, "rows", None)
        self.rows = None if rows is None else torch.from_numpy(rows)
        self.y = None if y is None else _as_tensor(np.asarray(y))
        self.y_shift = None if y_shift is None else torch.as_tensor(y_shift)
        self.y_scale = None if y_scale is None else torch.as_tensor(y_scale)
        # per-sequence weights of the loss: batches then carry them with y
        self.weight = None if weight is None else torch.as_tensor(weight, dtype=torch.float32)

    def __len__(self):
        return self.X.shape[0] if self.rows is None else self.rows.shape[0]

    def __getitem__(self, index):
        return self.batch(torch.as_tensor([index]))

    def batch(self, index):
        """The batch at ``index``: a slice or a 1-D tensor of positions."""
        rows = index if self.rows is None else self.rows[index]
        index_there, rows_there = index, rows
        if self.X.device.type != "cpu" and torch.is_tensor(index):
            # the positions go where the data is (see _to_device_once),
            # once when they are the rows themselves
            index_there = index.to(self.X.device)
            rows_there = index_there if self.rows is None else rows.to(self.X.device)
        Xb = self.X[rows_there]
        Xb = Xb.float() if Xb.is_floating_point() else Xb.long()
        yb = None
        if self.y is not None:
            yb = self.y[index_there]
            if self.y_shift is not None:
                yb = ((yb - self.y_shift) / self.y_scale).float()
            if self.weight is not None:
                yb = {"y": yb, "weight": self.weight[index_there]}
        if self.lengths is None:
            return Xb, yb
        lengths = self.lengths[rows]
        Xb = Xb[:, : int(lengths.max())]
        return {"X": Xb, "lengths": lengths}, yb


def _to_device_once(dataset, device):
    """Copy a dataset's tensors to a GPU once, when they fit; True if done.

    Batches are then cut on the GPU instead of being gathered on the CPU
    and copied over one by one. ``X`` moves as the memory it spans, and is
    viewed there with its own strides: a strided view of a series (one
    window per row) takes the series' size on the GPU too, never that of
    the windows. Float data become float32 on the way. Nothing moves when
    the data would take more than ``_DEVICE_DATA_SHARE`` of the GPU's free
    memory; the batches are then copied when they are cut.
    """
    if torch.device(device).type != "cuda":
        return False
    X = dataset.X
    float_data = X.is_floating_point()
    needed = _span(X) * (4 if float_data else X.element_size())
    if dataset.y is not None:
        needed += dataset.y.numel() * dataset.y.element_size()
    free, _ = torch.cuda.mem_get_info(torch.device(device))
    if X.numel() == 0 or needed > _DEVICE_DATA_SHARE * free:
        return False
    dataset.X = _copy_span(X, device, torch.float32 if float_data else X.dtype)
    for name in ("y", "y_shift", "y_scale", "weight"):
        if getattr(dataset, name) is not None:
            setattr(dataset, name, getattr(dataset, name).to(device))
    return True


def _copy_span(X, device, dtype):
    """``X`` on ``device`` as ``dtype``, copying only the memory it spans.

    The copy keeps ``X``'s strides, so overlapping rows (windows of one
    series) still overlap: the copy is the size of the series they view.
    """
    memory = torch.as_strided(X, (_span(X),), (1,)).to(device, dtype=dtype, copy=True)
    return torch.as_strided(memory, X.shape, X.stride())


def _span(X):
    """Number of elements from ``X``'s first element to its last, in memory."""
    return 1 + sum((n - 1) * step for n, step in zip(X.shape, X.stride()))


def _as_tensor(data):
    """``torch.from_numpy`` without the warning about read-only views.

    The data is only ever read, so a read-only strided view (the output of
    ``SlidingWindowTransformer``) is shared, not copied. torch takes no
    negative strides (``X[::-1]``, the lag matrices of some forecasting
    libraries): such an array is copied first.
    """
    if any(step < 0 for step in data.strides):
        data = np.ascontiguousarray(data)
    if data.flags.writeable:
        return torch.from_numpy(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return torch.from_numpy(data)


class _BatchIterator:
    """Mini-batches of a ``_SequenceDataset``, shuffled with its own generator.

    The generator is ``dataset.generator``, which the fit sets; shuffling
    thus never draws from the global torch RNG (None falls back to it).
    """

    def __init__(self, dataset, batch_size, shuffle=False):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self):
        return -(-len(self.dataset) // self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        # the steps between two batches (forward, backward, optimizer) run
        # on this thread while the generator is suspended, so they too see
        # subnormal floats flushed to zero
        with _flush_denormal():
            if self.shuffle:
                # int32 positions take half the memory of int64 ones: on a
                # long series the order is one of the few arrays of its length
                order = torch.randperm(
                    n,
                    dtype=torch.int32 if n < 2**31 else torch.int64,
                    generator=getattr(self.dataset, "generator", None),
                )
                for start in range(0, n, self.batch_size):
                    yield self.dataset.batch(order[start : start + self.batch_size])
            else:
                for start in range(0, n, self.batch_size):
                    yield self.dataset.batch(slice(start, start + self.batch_size))


class _flush_denormal:
    """Flush subnormal floats to zero on this thread, then restore the mode.

    Gradients that vanish through many time steps pass through subnormal
    values, which x86 CPUs compute tens of times slower than normal ones:
    without this, training on windows of a few hundred steps ran 3-5 times
    slower. Values below 1.2e-38 become zero, nothing else changes. The
    caller's mode is probed (a subnormal times one is zero when flushing
    is on) and restored. A plain class rather than a generator-based
    context manager: it is entered once per ``predict`` call, where every
    microsecond shows on a single window.
    """

    def __enter__(self):
        was_on = _SUBNORMAL * _ONE == 0.0
        self._switched = not was_on and torch.set_flush_denormal(True)
        return self

    def __exit__(self, *exc_info):
        if self._switched:
            torch.set_flush_denormal(False)
        return False


def _feature_stats(seqs):
    """Per-feature mean and standard deviation over all valid time steps.

    One pass in chunks, summing in float64 without a float64 copy of the
    data. Windows that overlap in memory (a view whose row stride equals
    its time stride, as ``SlidingWindowTransformer`` returns) are summed
    over the series they view, each value weighted by the number of windows
    holding it: O(n_timesteps) work instead of O(n_timesteps x window).
    """
    data, lengths = seqs.data, seqs.lengths
    n, n_steps, width = data.shape
    total = np.zeros(width)
    total_sq = np.zeros(width)
    if lengths is None and n_steps > 1 and data.strides[0] == data.strides[1]:
        # value k of the viewed series sits at (i, t) for every i + t = k:
        # in n_steps windows, fewer for the first and last n_steps - 1 values
        first, last = data[:, 0], data[-1, 1:]  # values 0..n-1 and n..
        for part in (first, last):
            total += n_steps * part.sum(axis=0, dtype=np.float64)
            total_sq += n_steps * np.einsum("ij,ij->j", part, part, dtype=np.float64)
        n_head = min(n_steps - 1, n)
        for k, part in (
            (np.arange(n_head), first[:n_head]),
            (np.arange(n, n + n_steps - 1), last),
        ):
            missing = n_steps - (
                np.minimum(k, n_steps - 1) - np.maximum(0, k - n + 1) + 1
            )
            part = part.astype(np.float64)
            total -= missing @ part
            total_sq -= missing @ np.square(part)
        count = n * n_steps
    else:
        count = 0
        for start in range(0, n, _STAT_CHUNK):
            chunk = data[start : start + _STAT_CHUNK]
            if lengths is not None:
                steps = np.arange(chunk.shape[1])
                mask = steps[None, :] < lengths[start : start + _STAT_CHUNK, None]
                chunk = chunk[mask]
            else:
                chunk = chunk.reshape(-1, width)
            total += chunk.sum(axis=0, dtype=np.float64)
            total_sq += np.einsum("ij,ij->j", chunk, chunk, dtype=np.float64)
            count += chunk.shape[0]
    mean = total / count
    var = np.maximum(total_sq / count - mean**2, 0.0)
    scale = np.sqrt(var)
    scale[scale < 1e-8 * np.maximum(1.0, np.abs(mean))] = 1.0
    return mean.astype(np.float32), scale.astype(np.float32)


def _take(seqs, index):
    """Rows ``index`` of a validated collection, without copying the data.

    A run of consecutive rows (the tail split of early stopping) is a view;
    other rows are kept as an index array into the whole data, which
    ``_SequenceDataset`` follows when it cuts a batch.
    """
    index = np.asarray(index, dtype=np.int64)
    part = _as_slice(index)
    if part is not None:
        lengths = None if seqs.lengths is None else seqs.lengths[part]
        return _Sequences(seqs.data[part], lengths)
    return _RowSubset(seqs.data, seqs.lengths, index)


def _take_rows(array, index):
    """``array[index]``, a view when ``index`` is a run of consecutive rows."""
    part = _as_slice(np.asarray(index, dtype=np.int64))
    return array[index] if part is None else array[part]


def _as_slice(index):
    """The slice equal to an index array of consecutive rows, else None."""
    if index.size and np.array_equal(index, np.arange(index[0], index[0] + index.size)):
        return slice(int(index[0]), int(index[0]) + index.size)
    return None


class _RowSubset(_Sequences):
    """Rows of a collection given by an index array (see ``_take``)."""

    def __init__(self, data, lengths, rows):
        super().__init__(data, lengths)
        self.rows = rows

    def __len__(self):
        return self.rows.shape[0]


def _to_device(Xb, device):
    if isinstance(Xb, dict):
        return {k: v.to(device) for k, v in Xb.items()}
    return Xb.to(device)

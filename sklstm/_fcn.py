"""The fully convolutional branch of LSTM-FCN (private).

Karim et al., "LSTM Fully Convolutional Networks for Time Series
Classification", IEEE Access 2018: three blocks of Conv1d, batch norm and
ReLU over the input, then global average pooling in time; the pooled
vector is concatenated with the LSTM's final state before the head.

Variable-length batches stay exact: padded steps are zeroed before every
convolution (so a valid step near the end reads the same zeros as the
"same" padding of the unpadded sequence), batch statistics are taken over
valid steps only, and the pooling averages valid steps only. A padded
sequence therefore gives the output of the same sequence unpadded.
"""

from numbers import Integral

import numpy as np
import torch
from sklearn.utils._param_validation import HasMethods
from torch import nn

#: kernel sizes of the three blocks of LSTM-FCN
DEFAULT_FCN_KERNEL_SIZES = (8, 5, 3)

# largest channel count or kernel size accepted per block
_MAX_FCN = 2**16


class _PositiveInts(HasMethods):
    """A non-empty tuple or list of ints in ``[1, 2**16]`` (bools refused).

    Derived from ``HasMethods`` only because scikit-learn's parameter
    validation accepts constraint objects of its own classes; nothing of
    ``HasMethods`` is used.
    """

    def __init__(self):
        super().__init__([])

    def is_satisfied_by(self, val):
        return (
            isinstance(val, (tuple, list))
            and len(val) > 0
            and all(
                isinstance(v, Integral)
                and not isinstance(v, (bool, np.bool_))
                and 1 <= v <= _MAX_FCN
                for v in val
            )
        )

    def __str__(self):
        return f"a non-empty tuple of ints in [1, {_MAX_FCN}]"


FCN_CONSTRAINTS = {
    "fcn_channels": [_PositiveInts(), None],
    "fcn_kernel_sizes": [_PositiveInts()],
}

#: the estimators' parameters that fix the branch (warm starts refuse a change)
FCN_ARCHITECTURE_PARAMS = ("fcn_channels", "fcn_kernel_sizes")


class _MaskedBatchNorm1d(nn.BatchNorm1d):
    """``nn.BatchNorm1d`` whose training statistics skip padded steps.

    Inputs: X, mask
        * **X**: tensor of shape :math:`(N, C, L)`.
        * **mask**: optional bool tensor of shape :math:`(N, L)`, True at
          valid steps. Without it (or in eval mode, which uses the running
          statistics) this is ``nn.BatchNorm1d``.

    Outputs: out
        * **out**: tensor of shape :math:`(N, C, L)`.
    """

    def forward(self, X, mask=None):
        if mask is None or not self.training:
            return super().forward(X)
        m = mask[:, None, :].to(torch.float32)
        Xf = X.float()
        count = m.sum()
        mean = (Xf * m).sum(dim=(0, 2)) / count
        var = (((Xf - mean[None, :, None]) ** 2) * m).sum(dim=(0, 2)) / count
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked += 1
                unbiased = var * count / (count - 1).clamp_min(1)
                self.running_mean.lerp_(mean.to(self.running_mean.dtype), self.momentum)
                self.running_var.lerp_(
                    unbiased.to(self.running_var.dtype), self.momentum
                )
        out = (Xf - mean[None, :, None]) / torch.sqrt(var[None, :, None] + self.eps)
        if self.affine:
            out = out * self.weight[None, :, None] + self.bias[None, :, None]
        return out.to(X.dtype)


class _FCNBranch(nn.Module):
    """Blocks of Conv1d + batch norm + ReLU, then masked global average pooling.

    Args:
        input_size: channels of the input (features per step).
        channels: output channels of each block, e.g. ``(128, 256, 128)``.
        kernel_sizes: kernel size of each block ("same" padding), as many
            as ``channels``.

    Inputs: Z, lengths
        * **Z**: tensor of shape :math:`(N, L, H_{in})`, the scaled input.
        * **lengths**: optional tensor of shape :math:`(N,)`, the valid
          steps of each sequence; padded steps are never read.

    Outputs: pooled
        * **pooled**: tensor of shape :math:`(N, C_{last})`, the mean of the
          last block's output over the valid steps.
    """

    def __init__(self, input_size, channels, kernel_sizes=DEFAULT_FCN_KERNEL_SIZES):
        super().__init__()
        channels = tuple(int(c) for c in channels)
        kernel_sizes = tuple(int(k) for k in kernel_sizes)
        if len(channels) != len(kernel_sizes):
            raise ValueError(
                f"fcn_channels={channels!r} has {len(channels)} blocks but "
                f"fcn_kernel_sizes={kernel_sizes!r} has {len(kernel_sizes)}. "
                "Give one kernel size per block."
            )
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        # "same" padding done by hand (left (k - 1) // 2, right k // 2, as
        # torch pads), since torch warns about padding="same" for even kernels
        self.pads = tuple(((k - 1) // 2, k // 2) for k in kernel_sizes)
        width = input_size
        for c, k in zip(channels, kernel_sizes):
            self.convs.append(nn.Conv1d(width, c, k))
            self.norms.append(_MaskedBatchNorm1d(c))
            width = c
        self.output_size = width

    def forward(self, Z, lengths=None):
        H = Z.transpose(1, 2)
        mask = None
        if lengths is not None:
            steps = torch.arange(H.shape[2], device=H.device)
            mask = steps[None, :] < lengths.to(H.device)[:, None]
        for conv, norm, pad in zip(self.convs, self.norms, self.pads):
            if mask is not None:
                H = H * mask[:, None, :].to(H.dtype)
            H = torch.relu(norm(conv(nn.functional.pad(H, pad)), mask))
        if mask is None:
            return H.mean(dim=2)
        H = H * mask[:, None, :].to(H.dtype)
        return H.sum(dim=2) / lengths.to(H.device)[:, None].to(H.dtype)

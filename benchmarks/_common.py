"""Helpers shared by the benchmark scripts (data, reference loop, tables).

Every script in this folder is plain Python: it prints a table and a one-line
summary. They pin torch to one thread unless told otherwise, because a
benchmark that competes with itself for two cores measures the scheduler.
"""

import argparse
import platform
import statistics
import time

import numpy as np
import torch


def base_parser(description):
    """An argument parser with the options every script shares."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--seed", type=int, default=0)
    return parser


def setup(args):
    """Apply the thread count and print what the numbers were measured on."""
    torch.set_num_threads(args.threads)
    print(
        f"# torch {torch.__version__}, {platform.processor() or platform.machine()}, "
        f"threads={torch.get_num_threads()}, device={args.device}, "
        f"oneDNN={torch.backends.mkldnn.is_available()}"
    )


def make_data(n_windows, window_length, n_features, seed=0, dtype=np.float32):
    """Windows of a noisy multivariate random walk and next-step targets.

    Returns contiguous ``X`` of shape ``(n_windows, window_length,
    n_features)`` and ``y`` of shape ``(n_windows,)`` (the next value of the
    first feature), so that the work per window is the same for every
    library that trains on them.
    """
    rng = np.random.RandomState(seed)
    n_rows = n_windows + window_length
    steps = rng.randn(n_rows, n_features) * 0.1
    series = np.cumsum(steps, axis=0) + np.sin(np.arange(n_rows) / 20.0)[:, None]
    series = (series - series.mean(axis=0)) / series.std(axis=0)
    view = np.lib.stride_tricks.sliding_window_view(series, window_length, axis=0)
    X = np.ascontiguousarray(view[:n_windows].transpose(0, 2, 1), dtype=dtype)
    y = series[window_length : window_length + n_windows, 0].astype(dtype)
    return X, y


def lstm_train_flops(n_windows, window_length, n_features, hidden_size):
    """Analytic multiply-add count of one training epoch of a one-layer LSTM.

    Per window and time step the forward pass computes the four gates as
    ``W_ih x + W_hh h``: ``2 * 4H * (I + H)`` floating-point operations
    (one multiply and one add per weight). The backward pass costs about
    twice the forward pass (gradients of the inputs and of the weights),
    so one epoch is ``3 * 8 H (I + H) * L * N`` operations. Elementwise
    gate activations and the linear head are left out (under 2 % here).
    """
    H, I = hidden_size, n_features
    return 3 * 8 * H * (I + H) * window_length * n_windows


def gemm_rate(m, k, n, repeats=200, dtype=torch.float32, device="cpu"):
    """GFLOP/s of ``torch.mm`` for an ``(m, k) @ (k, n)`` product (best of 5)."""
    a = torch.randn(m, k, device=device).to(dtype)
    b = torch.randn(k, n, device=device).to(dtype)
    for _ in range(20):
        torch.mm(a, b)
    best = float("inf")
    for _ in range(5):
        sync(device)
        start = time.perf_counter()
        for _ in range(repeats):
            torch.mm(a, b)
        sync(device)
        best = min(best, (time.perf_counter() - start) / repeats)
    return 2.0 * m * k * n / best / 1e9


# The network every speed benchmark trains: one LSTM layer and a linear head,
# the module the hand-written loop trains. Passed explicitly to the
# estimators, so that a change of their default architecture does not change
# the work measured.
PLAIN_LSTM = dict(
    num_layers=1,
    cell="lstm",
    bidirectional=False,
    conv_channels=None,
    dropout=0.0,
    layer_norm=False,
)


def build_module(input_size, hidden_size, precision="float32", seed=0):
    """The same torch module ``LSTMRegressor`` trains (one output)."""
    from sklstm._modules import _ManyToOneNet

    torch.manual_seed(seed)
    return _ManyToOneNet(
        1, input_size=input_size, hidden_size=hidden_size, precision=precision
    )


def hand_loop(module, X, y, *, epochs, batch_size, lr=1e-3, seed=0, fused=None,
              device="cpu"):
    """A plain PyTorch training loop: shuffled mini-batches, Adam, MSE.

    ``X`` and ``y`` are tensors already on ``device``; batches are gathered
    by index, as one would write it by hand. The loss of each batch is read
    with ``.item()`` (as any loop that reports its loss does).
    """
    torch.manual_seed(seed)
    kwargs = {} if fused is None else {"fused": fused}
    optimizer = torch.optim.Adam(module.parameters(), lr=lr, **kwargs)
    criterion = torch.nn.MSELoss()
    module.train()
    n = X.shape[0]
    yt = y.reshape(-1, 1)
    losses = []
    for _ in range(epochs):
        order = torch.randperm(n)
        total = 0.0
        for start in range(0, n, batch_size):
            index = order[start : start + batch_size].to(device)
            optimizer.zero_grad()
            loss = criterion(module(X[index]), yt[index])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(index)
        losses.append(total / n)
    return losses


def sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def timed(fn, device="cpu"):
    """Wall and CPU time of ``fn()`` in seconds, and its result.

    The CPU time of the process (all its threads) is much less sensitive
    than wall time to other processes sharing the machine; with one torch
    thread it is the better measure of the work done. On a GPU only the
    wall time means anything.
    """
    sync(device)
    cpu = time.process_time()
    start = time.perf_counter()
    result = fn()
    sync(device)
    return time.perf_counter() - start, time.process_time() - cpu, result


def median(values):
    return statistics.median(values)


def print_table(header, rows):
    """A plain text table, columns padded to their widest cell."""
    cells = [list(map(str, header))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for j, row in enumerate(cells):
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)))
        if j == 0:
            print("  ".join("-" * w for w in widths))


def print_markdown(header, rows):
    """A Markdown table, columns padded to their widest cell."""
    cells = [[str(c) for c in row] for row in [header] + rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for j, row in enumerate(cells):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
        if j == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")

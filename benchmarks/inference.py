"""Inference: ``LSTMRegressor.predict`` against calling the torch module.

Two cases, each on the same fitted model:

* throughput: ``predict`` on 1,024 windows at once, against
  ``module(X_tensor)`` on the same windows in ``torch.inference_mode``;
* latency: ``predict`` on a single window (a ``(1, L, F)`` float32 NumPy
  array, the form a serving endpoint receives), against the module call on a
  ``(1, L, F)`` tensor built in advance.

``predict`` pays for input validation, turning NumPy into tensors and back
and undoing the target scaling; the module call pays for none of that, so
the ratio is the whole cost of the scikit-learn interface. A last row
times ``predict`` with the network swapped for a module that does no work:
the time ``predict`` adds by itself, free of the network. Calls are
interleaved in rounds; the table shows the median time per call, in process
CPU time on a CPU (steadier than wall time on a shared machine; with one
torch thread the two agree on a quiet one) and in wall time on a GPU.

Usage::

    python benchmarks/inference.py
    python benchmarks/inference.py --hidden 128 --rounds 50
"""

import copy
import time

import numpy as np
import torch

from _common import (
    PLAIN_LSTM,
    base_parser,
    make_data,
    median,
    print_table,
    setup,
)


def per_call(fn, n_calls, clock):
    start = clock()
    for _ in range(n_calls):
        fn()
    return (clock() - start) / n_calls


class _NoWork(torch.nn.Module):
    """Returns zeros of the right shape: what remains is predict's own work."""

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(self, X):
        return X.new_zeros(X.shape[0], 1)


def main():
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--window", type=int, default=50)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    setup(args)

    from sklstm import LSTMRegressor

    X, y = make_data(2048, args.window, args.features, seed=args.seed)
    est = LSTMRegressor(
        **PLAIN_LSTM,
        hidden_size=args.hidden, max_epochs=1, batch_size=256,
        device=args.device, random_state=args.seed,
    ).fit(X, y)
    module = est.module_.eval()
    device = next(module.parameters()).device

    Xb = X[: args.batch]
    Xb_t = torch.from_numpy(Xb).to(device)
    x1 = X[:1]
    x1_t = torch.from_numpy(x1).to(device)

    def module_call(t):
        with torch.inference_mode():
            out = module(t)
        if device.type == "cuda":
            torch.cuda.synchronize()
        return out

    # the two paths agree (predict also undoes the target scaling)
    direct = module_call(Xb_t).cpu().numpy()[:, 0]
    direct = direct * est._target_scale[0] + est._target_mean[0]
    np.testing.assert_allclose(est.predict(Xb), direct, rtol=1e-4, atol=1e-4)

    cases = {
        f"batch {args.batch}": (
            lambda: est.predict(Xb), lambda: module_call(Xb_t), 3
        ),
        "single window": (lambda: est.predict(x1), lambda: module_call(x1_t), 200),
    }
    # process CPU time on a CPU (steadier on a shared machine), wall time on
    # a GPU, where the CPU waits for the device
    clock = time.process_time if args.device == "cpu" else time.perf_counter
    rows, summary = [], []
    for case, (predict, direct_call, n_calls) in cases.items():
        predict(), direct_call()  # warm-up
        t_pred, t_mod = [], []
        for _ in range(args.rounds):
            t_pred.append(per_call(predict, n_calls, clock))
            t_mod.append(per_call(direct_call, n_calls, clock))
        ratio = median(np.array(t_pred) / np.array(t_mod))
        n = args.batch if case.startswith("batch") else 1
        rows.append(
            [case, f"{median(t_pred) * 1e3:.3f}", f"{median(t_mod) * 1e3:.3f}",
             f"{n / median(t_pred):,.0f}", f"{ratio:.2f}"]
        )
        summary.append(f"{case}: {ratio:.2f}x")
    # what predict adds in Python, measured alone: the same estimator with
    # a module that does no work
    hollow = copy.copy(est)
    hollow.module_ = _NoWork().eval()
    hollow.predict(x1)
    overhead = median(
        [per_call(lambda: hollow.predict(x1), 200, clock) for _ in range(args.rounds)]
    )
    rows.append(["single window, no-op module", f"{overhead * 1e3:.3f}", "", "", ""])
    summary.append(f"predict's own work per call {overhead * 1e6:.0f} us")
    print(
        f"# hidden {args.hidden}, window {args.window}, {args.features} features, "
        f"{args.rounds} rounds"
    )
    print_table(
        ["case", "predict ms", "module ms", "predict windows/s", "ratio"], rows
    )
    print("summary (predict time / module call time): " + "; ".join(summary))


if __name__ == "__main__":
    main()

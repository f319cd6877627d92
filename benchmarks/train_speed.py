"""Training speed: ``LSTMRegressor.fit`` against a hand-written PyTorch loop.

Both train the same torch module (``sklstm._modules._ManyToOneNet``, one
LSTM layer and a linear head), on the same windows, with the same batch
size, number of epochs, optimizer and loss: Adam (lr=1e-3) in its fused
form, which ``LSTMRegressor`` uses where torch has it (2.4 and later), and
MSE. ``--unfused`` adds the loop with torch's default Adam on CPU (one
small kernel per parameter tensor and operation). A third variant trains
the module with a bare skorch ``NeuralNet`` (skorch's default callbacks,
sklstm's dataset and batch iterator), which tells skorch's share of the
difference from sklstm's. The
estimator gets ``scale_inputs=False`` and ``scale_target=False`` so that it
does no work the loop does not do (the data are already standardised).
Each repeat runs every variant once, in turn, and the ratio to the fp32 loop
is computed per repeat; the table shows medians of wall time and of process
CPU time (on a shared machine the CPU time is the steadier measure of the
work; the summary uses it on CPU and the wall time on a GPU).

The fit time includes everything ``fit`` does (input validation, building
the net, seeding); the loop time is the loop alone on tensors built in
advance. Achieved GFLOP/s use the analytic LSTM operation count
(``_common.lstm_train_flops``) and are set against the rate of ``torch.mm``
at the gate shape ``(batch, input + hidden) @ (input + hidden, 4 * hidden)``.

Usage::

    python benchmarks/train_speed.py                  # hidden 64 and 128
    python benchmarks/train_speed.py --hidden 64 --repeats 5 --bf16 --unfused
    python benchmarks/train_speed.py --device cuda    # on a GPU machine
"""

import numpy as np
import torch

from sklstm._base import _FUSED_ADAM as FUSED

from _common import (
    PLAIN_LSTM,
    base_parser,
    build_module,
    gemm_rate,
    hand_loop,
    lstm_train_flops,
    make_data,
    median,
    print_table,
    setup,
    timed,
)


def fit_estimator(X, y, args, hidden, precision):
    from sklstm import LSTMRegressor

    est = LSTMRegressor(
        **PLAIN_LSTM,
        hidden_size=hidden,
        batch_size=args.batch_size,
        max_epochs=args.epochs,
        lr=1e-3,
        optimizer="adam",
        scale_inputs=False,
        scale_target=False,
        precision=precision,
        device=args.device,
        random_state=args.seed,
    )
    return est.fit(X, y)


def fit_skorch(X, y, args, hidden):
    """A bare skorch net: sklstm's dataset and iterator, skorch's defaults."""
    from skorch import NeuralNet

    from sklstm._data import _BatchIterator, _SequenceDataset
    from sklstm._validation import _Sequences

    torch.manual_seed(args.seed)
    net = NeuralNet(
        build_module(args.features, hidden, seed=args.seed),
        criterion=torch.nn.MSELoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=args.epochs,
        batch_size=args.batch_size,
        iterator_train=_BatchIterator,
        iterator_train__shuffle=True,
        train_split=None,
        device=args.device,
        verbose=0,
        **({"optimizer__fused": True} if FUSED else {}),
    )
    return net.fit(_SequenceDataset(_Sequences(X), y.reshape(-1, 1)), None)


def main():
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--n-windows", type=int, default=20_000)
    parser.add_argument("--window", type=int, default=50)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--bf16", action="store_true", help="also time precision='bfloat16'"
    )
    parser.add_argument(
        "--unfused", action="store_true",
        help="also time the loop with torch's default (for-loop) Adam on CPU",
    )
    args = parser.parse_args()
    setup(args)

    X, y = make_data(args.n_windows, args.window, args.features, seed=args.seed)
    Xt = torch.from_numpy(X).to(args.device)
    yt = torch.from_numpy(y).to(args.device)
    print(
        f"# {args.n_windows} windows x {args.window} steps x {args.features} "
        f"features, batch {args.batch_size}, {args.epochs} epoch(s) per run, "
        f"{args.repeats} interleaved repeats"
    )

    rows = []
    summary = []
    for hidden in args.hidden:
        def loop(precision="float32", fused=FUSED):
            module = build_module(args.features, hidden, precision, args.seed)
            return hand_loop(
                module.to(args.device), Xt, yt, epochs=args.epochs,
                batch_size=args.batch_size, seed=args.seed, fused=fused,
                device=args.device,
            )

        variants = {
            "loop fp32": loop,
            "LSTMRegressor fp32": lambda: fit_estimator(X, y, args, hidden, "float32"),
            "skorch NeuralNet fp32": lambda: fit_skorch(X, y, args, hidden),
        }
        if args.unfused:
            variants["loop fp32, for-loop Adam"] = lambda: loop(fused=None)
        if args.bf16:
            variants["loop bf16"] = lambda: loop("bfloat16")
            variants["LSTMRegressor bf16"] = lambda: fit_estimator(
                X, y, args, hidden, "bfloat16"
            )
        wall = {name: [] for name in variants}
        cpu = {name: [] for name in variants}
        names = list(variants)
        # one untimed warm-up of each variant (oneDNN primitive caches)
        for name in names:
            variants[name]()
        for r in range(args.repeats):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                w, c, _ = timed(variants[name], args.device)
                wall[name].append(w / args.epochs)
                cpu[name].append(c / args.epochs)
        flops = lstm_train_flops(args.n_windows, args.window, args.features, hidden)
        width = args.features + hidden
        gemm = gemm_rate(args.batch_size, width, 4 * hidden, device=args.device)
        base_w, base_c = np.array(wall["loop fp32"]), np.array(cpu["loop fp32"])
        for name in names:
            w, c = np.array(wall[name]), np.array(cpu[name])
            ratio_w, ratio_c = median(w / base_w), median(c / base_c)
            # the CPU time is the work; on a GPU use the wall time
            t = c if args.device == "cpu" else w
            rate = flops / median(t) / 1e9
            rows.append(
                [hidden, name, f"{median(w):.3f}", f"{median(c):.3f}",
                 f"{ratio_w:.3f}", f"{ratio_c:.3f}", f"{rate:.1f}",
                 f"{rate / gemm:.2f}"]
            )
            if name != "loop fp32":
                key = ratio_c if args.device == "cpu" else ratio_w
                summary.append(f"h={hidden} {name}: {key:.2f}x")
        rows.append([hidden, f"torch.mm ({args.batch_size}x{width})@({width}x"
                     f"{4 * hidden})", "", "", "", "", f"{gemm:.1f}", "1.00"])

    print_table(
        ["hidden", "variant", "wall s/epoch", "cpu s/epoch", "wall ratio",
         "cpu ratio", "GFLOP/s", "of GEMM"],
        rows,
    )
    measure = "CPU" if args.device == "cpu" else "wall"
    print(f"summary (median {measure}-time ratio to the fp32 loop): "
          + "; ".join(summary))


if __name__ == "__main__":
    main()

"""Peers: sklstm against darts and Keras on identical windows and epochs.

Every library trains a one-layer LSTM (16 inputs, 64 hidden units) and a
linear head to predict the next value of the first feature from the 50
previous steps of all 16 features, on the same 20,000 windows of one series,
with batch size 64, Adam (lr=1e-3) and MSE, for the same number of epochs:

* ``loop``: a hand-written PyTorch loop on sklstm's module, with torch's
  default Adam (the yardstick, as in the issue that asked for these
  numbers);
* ``sklstm``: ``LSTMRegressor(scale_inputs=False, scale_target=False)``,
  which uses torch's fused Adam (``benchmarks/train_speed.py`` compares it
  with a loop that does too);
* ``darts``: ``BlockRNNModel(model="LSTM")`` with ``input_chunk_length=50``,
  ``output_chunk_length=1``, the first feature as target and the other 15
  as past covariates (so the LSTM input is the same 16 features and darts
  cuts the same 20,000 windows), trained through PyTorch Lightning on CPU;
* ``keras``: ``Sequential([LSTM(64), Dense(1)])`` on the same windows.

A library that is not installed is skipped with a message. The peers are
meant to be installed in an environment of their own, next to sklstm and
its dependencies (see ``docs/performance.md``); run the script with that
environment's Python. Each repeat times every library once, in turn, as a
full ``fit`` call (setup included) of ``--epochs`` epochs, after one
untimed warm-up round; the table shows
per-epoch medians and the median ratio to the loop in the same repeat.

Usage::

    python benchmarks/peers.py
    python benchmarks/peers.py --epochs 3 --repeats 3 --only loop sklstm keras
"""

import importlib.util
import os
import tempfile
import warnings

import numpy as np
import torch

from _common import (
    PLAIN_LSTM,
    base_parser,
    build_module,
    hand_loop,
    make_data,
    median,
    print_table,
    setup,
    timed,
)


def run_loop(X, y, args):
    module = build_module(X.shape[2], args.hidden, seed=args.seed)
    return hand_loop(
        module, torch.from_numpy(X), torch.from_numpy(y),
        epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
    )


def run_sklstm(X, y, args):
    from sklstm import LSTMRegressor

    return LSTMRegressor(
        **PLAIN_LSTM,
        hidden_size=args.hidden, batch_size=args.batch_size,
        max_epochs=args.epochs, lr=1e-3, scale_inputs=False,
        scale_target=False, random_state=args.seed,
    ).fit(X, y)


def run_darts(series, args, workdir):
    from darts import TimeSeries
    from darts.models import BlockRNNModel

    window = args.window
    target = TimeSeries.from_values(series[:, :1])
    covariates = TimeSeries.from_values(series[:, 1:])
    model = BlockRNNModel(
        input_chunk_length=window,
        output_chunk_length=1,
        model="LSTM",
        hidden_dim=args.hidden,
        n_rnn_layers=1,
        dropout=0.0,
        batch_size=args.batch_size,
        n_epochs=args.epochs,
        optimizer_kwargs={"lr": 1e-3},
        random_state=args.seed,
        work_dir=workdir,
        save_checkpoints=False,
        pl_trainer_kwargs={
            "accelerator": "cpu",
            "enable_progress_bar": False,
            "enable_model_summary": False,
            "logger": False,
            "enable_checkpointing": False,
        },
    )
    model.fit(target, past_covariates=covariates, verbose=False)
    return model


def run_keras(X, y, args):
    import keras

    keras.utils.set_random_seed(args.seed)
    model = keras.Sequential(
        [
            keras.Input(shape=X.shape[1:]),
            keras.layers.LSTM(args.hidden),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    model.fit(
        X, y, batch_size=args.batch_size, epochs=args.epochs, shuffle=True,
        verbose=0,
    )
    return model


def main():
    parser = base_parser(__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--n-windows", type=int, default=20_000)
    parser.add_argument("--window", type=int, default=50)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--only", nargs="+", default=["loop", "sklstm", "darts", "keras"]
    )
    args = parser.parse_args()
    setup(args)

    X, y = make_data(args.n_windows, args.window, args.features, seed=args.seed)
    # the series the windows were cut from, for darts (which cuts its own)
    series = np.concatenate([X[:, 0, :], X[-1, 1:, :]], axis=0)
    series = np.concatenate([series, np.zeros((1, args.features), X.dtype)])
    series[-1, 0] = y[-1]
    assert np.array_equal(series[args.window : args.window + len(y), 0], y)

    runners = {
        "loop": lambda: run_loop(X, y, args),
        "sklstm": lambda: run_sklstm(X, y, args),
    }
    workdir = tempfile.mkdtemp()
    versions = {"loop": f"torch {torch.__version__}"}
    import sklstm

    versions["sklstm"] = f"sklstm {sklstm.__version__}"
    if importlib.util.find_spec("darts") is None:
        print("# darts is not installed: skipped (pip install 'u8darts[torch]')")
    else:
        import darts

        versions["darts"] = f"darts {darts.__version__}"
        runners["darts"] = lambda: run_darts(series, args, workdir)
    if importlib.util.find_spec("keras") is None:
        print("# keras is not installed: skipped (pip install tensorflow-cpu)")
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
        versions["keras"] = f"tensorflow {tf.__version__}"
        runners["keras"] = lambda: run_keras(X, y, args)
    runners = {k: v for k, v in runners.items() if k in args.only}
    print(
        f"# {args.n_windows} windows x {args.window} steps x {args.features} "
        f"features, hidden {args.hidden}, batch {args.batch_size}, "
        f"{args.epochs} epochs per fit, {args.repeats} interleaved repeats"
    )

    names = list(runners)
    wall = {name: [] for name in names}
    cpu = {name: [] for name in names}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:  # untimed warm-up: imports, oneDNN, tracing
            runners[name]()
        for r in range(args.repeats):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                w, c, _ = timed(runners[name])
                wall[name].append(w / args.epochs)
                cpu[name].append(c / args.epochs)

    rows, summary = [], []
    for name in names:
        w, c = np.array(wall[name]), np.array(cpu[name])
        ratio_w = median(w / np.array(wall["loop"])) if "loop" in wall else np.nan
        ratio_c = median(c / np.array(cpu["loop"])) if "loop" in cpu else np.nan
        rows.append(
            [name, versions[name], f"{median(w):.2f}", f"{median(c):.2f}",
             f"{ratio_w:.2f}", f"{ratio_c:.2f}"]
        )
        if name != "loop":
            summary.append(f"{name} {ratio_c:.2f}x")
    print_table(
        ["library", "version", "wall s/epoch", "cpu s/epoch", "wall ratio",
         "cpu ratio"],
        rows,
    )
    print("summary (median CPU-time ratio to the hand-written loop): "
          + ", ".join(summary))


if __name__ == "__main__":
    main()

"""Scaling out and up: dask searches, threads, moving models, long series.

The dask tests start a real ``distributed.LocalCluster`` with two worker
processes (one thread each), so every estimator is pickled to a worker,
trained there and pickled back, as on a remote cluster. The window-view
tests check that a long series windowed by ``SlidingWindowTransformer`` is
never copied whole by validation, nor by a whole fit and prediction
(memory O(n_timesteps), not O(n_timesteps x window_length)); the
statistics, row subsets and device moves of the training data are tested
in ``test_data.py``.
"""

import logging
import os
import pickle
import pickletools
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from sklstm import LSTMClassifier, LSTMRegressor, SlidingWindowTransformer
from sklstm._validation import check_sequences

try:
    import distributed
    import joblib
except ImportError:  # the dask tests skip; the others run
    distributed = None

# tiny and fast: each search fits about ten of these
TINY = dict(
    hidden_size=4,
    bidirectional=False,
    conv_channels=None,
    max_epochs=3,
    batch_size=16,
    random_state=0,
)
GRID = {"hidden_size": [4, 8], "lr": [0.01, 0.05]}


class _TorchThreads(distributed.WorkerPlugin if distributed else object):
    """Sets torch's thread count in every worker, now and after restarts."""

    name = "torch-threads"  # registering again replaces the plugin

    def __init__(self, n_threads):
        self.n_threads = n_threads

    def setup(self, worker):
        torch.set_num_threads(self.n_threads)


@pytest.fixture(scope="module")
def client():
    """A LocalCluster of 2 worker processes x 1 thread, shared by the module."""
    if distributed is None:
        pytest.skip("needs dask.distributed (the test extra)")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    client = distributed.Client(cluster)
    client.register_plugin(_TorchThreads(1))
    yield client
    client.close()
    cluster.close()


@pytest.fixture
def data():
    """60 sequences of 8 steps with 2 features and a learnable target."""
    rng = np.random.RandomState(0)
    X = rng.randn(60, 8, 2)
    y = 2.0 * X[:, -1, 0] - X[:, -3, 1]
    return X, y


def _workers_used(client, run):
    """Run ``run()`` and return the addresses of the workers that ran tasks."""
    with distributed.get_task_stream(client) as stream:
        result = run()
    return result, {task["worker"] for task in stream.data}


@pytest.mark.slow
def test_distributed_grid_search_matches_sequential(client, data):
    """A grid search on the dask cluster finds the same best model and scores."""
    X, y = data
    cv = KFold(2)
    sequential = GridSearchCV(LSTMRegressor(**TINY), GRID, cv=cv).fit(X, y)
    search = GridSearchCV(LSTMRegressor(**TINY), GRID, cv=cv, n_jobs=-1)

    def run():
        with joblib.parallel_config(backend="dask"):
            return search.fit(X, y)

    _, workers = _workers_used(client, run)
    assert len(workers) == 2
    assert search.best_params_ == sequential.best_params_
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"],
        sequential.cv_results_["mean_test_score"],
        rtol=1e-6,
    )
    np.testing.assert_allclose(search.predict(X), sequential.predict(X), rtol=1e-6)


@pytest.mark.slow
def test_distributed_cross_val_score_matches_sequential(client, data):
    """cross_val_score on the dask cluster returns the sequential scores."""
    X, y = data
    labels = np.where(y > 0, "up", "down")
    est = LSTMClassifier(**TINY)
    sequential = cross_val_score(est, X, labels, cv=KFold(4))
    with joblib.parallel_config(backend="dask"):
        scores = cross_val_score(est, X, labels, cv=KFold(4), n_jobs=-1)
    np.testing.assert_allclose(scores, sequential, rtol=1e-6)


@pytest.mark.slow
def test_distributed_worker_plugin_sets_torch_threads(client):
    """The worker plugin sets torch's thread count in every worker process."""
    try:
        client.register_plugin(_TorchThreads(2))
        assert sorted(client.run(torch.get_num_threads).values()) == [2, 2]
    finally:
        client.register_plugin(_TorchThreads(1))
    assert sorted(client.run(torch.get_num_threads).values()) == [1, 1]


def test_distributed_fit_keeps_callers_thread_count(data):
    """fit neither reads nor changes the caller's torch thread count."""
    X, y = data
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        LSTMRegressor(**TINY).fit(X, y)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("flush", [False, True])
def test_distributed_fit_keeps_callers_denormal_mode(data, flush):
    """fit flushes subnormal floats only while it trains, then restores the mode."""
    X, y = data
    subnormal = np.float32(1e-39)
    torch.set_flush_denormal(flush)
    try:
        LSTMRegressor(**TINY).fit(X, y).predict(X)
        assert (subnormal * np.float32(1.0) == 0.0) == flush
    finally:
        torch.set_flush_denormal(False)


def _tensor_globals(payload):
    """Names of torch tensor-rebuilding functions in a pickle's own stream."""
    found = set()
    for op, arg, _ in pickletools.genops(payload):
        if isinstance(arg, str) and (
            "_rebuild_tensor" in arg or "_load_from_bytes" in arg
        ):
            found.add(arg)
    return found


def test_distributed_pickle_keeps_tensors_in_torch_save_blob(data):
    """No tensor is pickled: the weights travel as arrays, and GPU ones load on a CPU."""
    X, y = data
    est = LSTMRegressor(**TINY).fit(X, y)
    payload = pickle.dumps(est)
    assert _tensor_globals(payload) == set()
    # the same check catches a tensor pickled the plain way
    assert _tensor_globals(pickle.dumps({"w": torch.zeros(2)}))


def test_distributed_pickle_relinks_module(data):
    """After unpickling, module_ is the net's module and predictions agree."""
    X, y = data
    est = LSTMRegressor(**TINY).fit(X, y)
    restored = pickle.loads(pickle.dumps(est))
    assert restored.module_ is restored.net_.module_
    np.testing.assert_array_equal(restored.predict(X), est.predict(X))
    restored.set_params(warm_start=True, max_epochs=1).fit(X, y)
    assert restored.module_ is restored.net_.module_


_LOAD_ON_CPU = """
import pickle, sys
import numpy as np
import torch
assert not torch.cuda.is_available()
est = pickle.load(sys.stdin.buffer)
X = np.load(sys.argv[1])
print(next(est.module_.parameters()).device)
np.save(sys.argv[2], est.predict(X))
"""


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_distributed_gpu_model_predicts_on_cpu_only_machine(data, tmp_path):
    """A model fitted on a GPU, pickled, predicts in a process without CUDA."""
    X, y = data
    est = LSTMRegressor(**TINY, device="cuda").fit(X, y)
    assert next(est.module_.parameters()).device.type == "cuda"
    np.save(tmp_path / "X.npy", X)
    result = subprocess.run(
        [sys.executable, "-c", _LOAD_ON_CPU, str(tmp_path / "X.npy"),
         str(tmp_path / "pred.npy")],
        input=pickle.dumps(est),
        capture_output=True,
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
        check=True,
    )
    assert result.stdout.decode().strip() == "cpu"
    # torch lets cuDNN multiply in TF32 on recent GPUs (by default), the CPU
    # in float32: the two agree to about 1e-3, not to float32 rounding
    np.testing.assert_allclose(
        np.load(tmp_path / "pred.npy"), est.predict(X), rtol=1e-3, atol=2e-3
    )


# --- long series: windows stay a view -----------------------------------


def _windows(n_rows=40, n_features=2, window=6, dtype=np.float64, seed=0):
    series = np.random.RandomState(seed).randn(n_rows, n_features).astype(dtype)
    return series, SlidingWindowTransformer(window_length=window).fit_transform(series)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_window_view_validation_keeps_the_view(dtype):
    """check_sequences returns the read-only window view itself, not a copy."""
    _, windows = _windows(dtype=dtype)
    for reset in (True, False):
        seqs = check_sequences(LSTMRegressor(), windows, reset=True) if reset else (
            check_sequences(_fitted_on(windows), windows, reset=False)
        )
        assert seqs.data.dtype == dtype
        assert np.shares_memory(seqs.data, windows)


def _fitted_on(windows):
    est = LSTMRegressor(**TINY)
    check_sequences(est, windows, reset=True)
    return est


@pytest.mark.parametrize("row", [0, 17, 39])
@pytest.mark.parametrize("reset", [True, False])
def test_window_view_validation_finds_nan_anywhere(row, reset):
    """A NaN in any row of the series is found in its windows (first, middle, last)."""
    series, _ = _windows()
    series[row, 1] = np.nan
    windows = SlidingWindowTransformer(window_length=6).fit_transform(series)
    est = LSTMRegressor(**TINY) if reset else _fitted_on(_windows()[1])
    with pytest.raises(ValueError, match=re.escape("Input X contains NaN.")):
        check_sequences(est, windows, reset=reset)


_PEAK_MEMORY = """
import resource, warnings
import numpy as np, torch
from skorch.callbacks import Callback
from sklstm import LSTMRegressor, SlidingWindowTransformer
torch.set_num_threads(1)
warnings.simplefilter("ignore")  # the callback's interruption warns

def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

class TwoBatches(Callback):
    def on_batch_end(self, net, training=False, **kwargs):
        if training and len(net.history[-1]["batches"]) >= 2:
            raise KeyboardInterrupt

def run(n_rows):
    series = np.cumsum(np.random.RandomState(0).randn(n_rows, 1), axis=0)
    X = SlidingWindowTransformer(window_length=100).fit_transform(series)
    est = LSTMRegressor(hidden_size=16, bidirectional=False, conv_channels=None,
                        batch_size=256, max_epochs=1, callbacks=[TwoBatches()],
                        random_state=0)
    est.fit(X[:-1], series[1:, 0])
    return est.predict(X)

run(2_000)  # warm up torch's kernels and allocator
base = peak()
run(60_000)
print(peak() - base)
"""


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="reads ru_maxrss (POSIX)")
def test_window_view_fit_predict_peak_memory():
    """Fit and predict on a 60,000-row series stay far below its windows' size.

    Copying the windows, or keeping each prediction batch's output tensor
    until the end (which fragments the heap at this network size), would
    each cost more than the bound.
    """
    result = subprocess.run(
        [sys.executable, "-c", _PEAK_MEMORY], capture_output=True, text=True,
        check=True,
    )
    growth = int(result.stdout.strip().splitlines()[-1])
    windows_bytes = 60_000 * 100 * 8  # 46 MB if the windows were copied
    assert growth < 0.4 * windows_bytes

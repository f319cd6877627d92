"""Tests of the thread policy: the count fit and predict run with, and restore."""

import ctypes
import threading

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from sklstm import LSTMAnomalyDetector, LSTMClassifier, LSTMRegressor, _threads
from sklstm._threads import _chosen_threads, _cpu_count, _thread_policy

TINY = {"hidden_size": 4, "max_epochs": 2, "conv_channels": None, "random_state": 0}
ESTIMATORS = [LSTMRegressor, LSTMClassifier, LSTMAnomalyDetector]


@pytest.fixture
def caller_threads():
    """Set the caller's thread count for a test, then put conftest's back."""
    before = torch.get_num_threads()

    def set_count(n):
        torch.set_num_threads(n)
        return n

    yield set_count
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.randn(24, 6, 2).astype(np.float32)
    y = X[:, -1, 0] + 0.5 * X[:, -2, 1]
    labels = (y > 0).astype(int)
    return X, y, labels


def _fit(cls, X, y, labels, **params):
    est = cls(**TINY, **params)
    if cls is LSTMRegressor:
        return est.fit(X, y)
    if cls is LSTMClassifier:
        return est.fit(X, labels)
    return est.fit(X)


def _outputs(est, X):
    if isinstance(est, LSTMClassifier):
        return est.predict_proba(X)
    if isinstance(est, LSTMAnomalyDetector):
        return est.score_samples(X)
    return est.predict(X)


class _RecordThreads(Callback):
    """Records ``torch.get_num_threads()`` at every training batch."""

    def initialize(self):
        self.counts_ = []
        return self

    def on_batch_begin(self, net, **kwargs):
        self.counts_.append(torch.get_num_threads())


class _Boom(Callback):
    def on_batch_begin(self, net, **kwargs):
        raise RuntimeError("boom")


def _recorded(est):
    return dict(est.net_.callbacks_)["user_0"].counts_


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("caller", [1, 2])
def test_callers_count_restored_after_fit_and_predict(cls, caller, data, caller_threads):
    """fit, predict and gate_activations leave the caller's count as it was."""
    X, y, labels = data
    caller_threads(caller)
    est = _fit(cls, X, y, labels, n_jobs=3 - caller)
    assert torch.get_num_threads() == caller
    _outputs(est, X)
    _outputs(est, X[:1])
    est.gate_activations(X[:2])
    assert torch.get_num_threads() == caller
    assert _threads._active == 0


def test_callers_count_restored_after_an_exception_in_fit(data, caller_threads):
    """An error raised inside training still restores the caller's count."""
    X, y, _ = data
    caller_threads(1)
    est = LSTMRegressor(**TINY, n_jobs=2, callbacks=[_Boom()])
    with pytest.raises(RuntimeError, match="boom"):
        est.fit(X, y)
    assert torch.get_num_threads() == 1
    assert _threads._active == 0


@pytest.mark.parametrize("n_jobs, caller, expected", [
    (2, 1, 2),
    (1, 2, 1),
    (None, 2, 1),  # tiny work: sklstm picks one thread
    (-1, 1, _cpu_count()),
])
def test_n_jobs_honoured_in_training(n_jobs, caller, expected, data, caller_threads):
    """The count seen inside training is n_jobs, or sklstm's choice for None."""
    X, y, _ = data
    caller_threads(caller)
    est = LSTMRegressor(**TINY, n_jobs=n_jobs, callbacks=[_RecordThreads()]).fit(X, y)
    assert set(_recorded(est)) == {expected}
    assert torch.get_num_threads() == caller


@pytest.mark.parametrize("n_jobs, expected", [(2, 2), (None, 1)])
def test_n_jobs_honoured_in_predict(n_jobs, expected, data, caller_threads):
    """The module runs with n_jobs threads in predict, on any input path."""
    X, y, _ = data
    caller_threads(2)
    est = LSTMRegressor(**TINY, n_jobs=n_jobs).fit(X, y)
    seen = []
    est.module_.register_forward_hook(lambda *args: seen.append(torch.get_num_threads()))
    est.predict(X[:1])  # the single-window path
    est.predict(X.tolist())  # the general path
    assert seen == [expected, expected]
    assert torch.get_num_threads() == 2


def test_policy_rule_grows_with_the_work_and_respects_caps():
    """One thread per 2**24 multiply-adds per step, capped by caller and CPUs."""
    est = LSTMRegressor(hidden_size=64, bidirectional=True, conv_channels=None)
    est.input_size_ = 64
    # 4 gates x 64 x (64 + 64) x 2 directions = 2**16 per row
    assert _chosen_threads(est, 32, caller=64) == 1
    assert _chosen_threads(est, 2**9, caller=64) == min(2, _cpu_count() // 2) or 1
    many = _chosen_threads(est, 2**14, caller=64)
    assert many == max(1, min(64, _cpu_count() // 2))
    assert _chosen_threads(est, 2**14, caller=1) == 1
    est.set_params(n_jobs=3)
    assert _chosen_threads(est, 1, caller=1) == 3
    est.set_params(n_jobs=-1)
    assert _chosen_threads(est, 1, caller=1) == _cpu_count()


@pytest.mark.parametrize("bad", [0, True, False, 1.5, "2"])
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_bad_n_jobs_rejected(cls, bad, data):
    """0, booleans, floats and strings fail with a message naming n_jobs."""
    X, y, labels = data
    with pytest.raises((ValueError, TypeError), match="'n_jobs' parameter"):
        _fit(cls, X, y, labels, n_jobs=bad)


def test_concurrent_fits_in_threads_restore_the_callers_count(data, caller_threads):
    """Fits that overlap in threads each run with their count; the caller's returns."""
    X, y, _ = data
    caller_threads(2)
    barrier = threading.Barrier(4)
    results = {}

    class Sync(_RecordThreads):
        def on_train_begin(self, net, **kwargs):
            barrier.wait(timeout=30)  # all four are inside the policy

    def work(i, n_jobs):
        params = dict(TINY, max_epochs=3, n_jobs=n_jobs, callbacks=[Sync()])
        try:
            est = LSTMRegressor(**params).fit(X, y)
            results[i] = (n_jobs, _recorded(est), torch.get_num_threads())
        except Exception as exc:  # noqa: BLE001  # pragma: no cover - reported below
            results[i] = exc

    jobs = [1, 2, None, 1]
    threads = [threading.Thread(target=work, args=(i, n)) for i, n in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for i, n_jobs in enumerate(jobs):
        assert not isinstance(results[i], Exception), results[i]
        _, counts, after = results[i]
        assert set(counts) == {1 if n_jobs is None else n_jobs}
        # each thread is back at the caller's count when it returns
        assert after == 2
    assert torch.get_num_threads() == 2
    assert _threads._active == 0
    fresh = []
    t = threading.Thread(target=lambda: fresh.append(torch.get_num_threads()))
    t.start()
    t.join()
    assert fresh == [2]


def test_nested_policies_restore_once():
    """A call inside a call leaves the outer count, then the caller's."""
    est = LSTMRegressor(n_jobs=2)
    before = torch.get_num_threads()
    with _thread_policy(est, 1):
        assert torch.get_num_threads() == 2
        with _thread_policy(LSTMRegressor(n_jobs=1), 1):
            assert torch.get_num_threads() == 1
        assert _threads._active == 1
    assert torch.get_num_threads() == before


@pytest.mark.skipif(_threads._GOMP is None, reason="torch does not use GNU OpenMP")
def test_pool_threads_flush_subnormals_during_the_call(data, caller_threads):
    """With 2 threads, torch's pool threads flush too, and are put back after."""
    X, y, _ = data
    caller_threads(2)
    modes = {}

    def probe(_):
        modes[threading.get_ident()] = _threads._flushing()

    callback = _threads._CALLBACK(probe)

    def pool_modes():
        modes.clear()
        _threads._GOMP.GOMP_parallel(callback, None, 2, 0)
        return dict(modes)

    class Probe(Callback):
        def on_batch_begin(self, net, **kwargs):
            self.modes_ = pool_modes()

    torch.ones(10_000_000).sum()  # the pool exists
    assert not any(pool_modes().values())
    est = LSTMRegressor(**TINY, n_jobs=2, callbacks=[Probe()]).fit(X, y)
    inside = dict(est.net_.callbacks_)["user_0"].modes_
    assert len(inside) == 2 and all(inside.values())
    assert not any(pool_modes().values())
    assert ctypes  # the probe runs through ctypes, as the policy does


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_same_results_whatever_the_callers_count(cls, data, caller_threads):
    """The same random_state predicts the same with 1 or 2 caller threads."""
    X, y, labels = data
    outs = []
    for caller in (1, 2):
        caller_threads(caller)
        est = _fit(cls, X, y, labels)
        outs.append(_outputs(est, X))
    np.testing.assert_array_equal(outs[0], outs[1])


def test_same_results_for_explicit_counts_on_small_models(data):
    """On a tiny model n_jobs=1 and n_jobs=2 happen to agree exactly.

    Not promised in general: on long sequences and large batches the
    reductions split differently and results differ in the last digits
    (about 1e-8 after a few epochs; docs/performance.md).
    """
    X, y, _ = data
    one = LSTMRegressor(**TINY, n_jobs=1).fit(X, y).predict(X)
    two = LSTMRegressor(**TINY, n_jobs=2).fit(X, y).predict(X)
    np.testing.assert_allclose(one, two, rtol=0, atol=1e-6)

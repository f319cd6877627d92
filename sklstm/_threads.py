"""The intra-op thread count that training and prediction run with.

torch computes on a pool of threads, ``torch.get_num_threads()`` of them:
by default one per physical core. The small recurrent networks of
sequence models compute one small matrix product per time step, too small
to split: with two threads on a two-core machine the threads mostly wait
for each other (and for any other process that has one of the cores), and
an epoch took 9 to 300 times as long as with one thread
(``benchmarks/threads.py``, ``docs/performance.md``). So sklstm chooses the count from the work, for
the duration of ``fit`` and ``predict`` only, and puts the caller's count
back afterwards.

The rule: one thread per ``2**24`` multiply-adds per time step of a batch
(the batch's rows times the gate products of every recurrent layer and
direction, plus the convolution), at least one, at most the caller's
count and at most half the CPUs (each time step waits for the slowest
thread, and with a thread on every core any other busy process makes one
of them late: on the two-core machine of the benchmarks, two threads took
13 times as long as one on a batch of 256 under load). Most models get
one thread: a bidirectional layer of 64 units on 32 windows is ``2**21``
multiply-adds per step. The estimators' ``n_jobs`` overrides it
(scikit-learn's convention): None lets sklstm choose, a positive int uses
that many threads, -1 one per CPU the process may run on (-2 one fewer,
and so on).

torch's thread count is process state (torch keeps a process-wide count,
used by threads that start computing later, and MKL's count is
process-wide) and partly per thread (each thread's OpenMP count). Calls
that overlap in several Python threads share it through a lock and a
count of the calls in progress: the first call to enter saves the
caller's count, every call sets its own chosen count on entry (the last
one set is the process-wide one while they overlap), and only the last
call to leave restores the saved count; a call that leaves while others
still run resets only its own thread's OpenMP count, so that it does not
change the count under the others' feet.

Subnormal floats are flushed to zero on every thread that computes: the
calling thread (``_data._flush_denormal``) and, when more than one thread
is used, the threads of torch's OpenMP pool, by running
``torch.set_flush_denormal`` once on each of them through OpenMP (libgomp's
``GOMP_parallel``, called with ``ctypes``) on entry, and giving each back
the mode it had on exit. Where torch does not use GNU OpenMP this is
skipped, and only the calling thread flushes.
"""

import ctypes
import os
import threading

import numpy as np
import torch

from ._validation import _int_interval

# multiply-adds per time step of a batch that make one more thread pay
_WORK_PER_THREAD = 2**24
# a subnormal float32: times one, it is zero when flushing is on
_SUBNORMAL = np.float32(1e-39)
_ONE = np.float32(1.0)

# n_jobs: None (sklstm chooses), a positive int, or -1, -2, ... (all CPUs,
# all but one, ...); 0, booleans and floats are refused
N_JOBS_CONSTRAINT = [
    _int_interval(1, None),
    _int_interval(None, -1),
    None,
]

_lock = threading.Lock()
_active = 0
_saved = None
# whether a call in progress changed the count (then the last one restores)
_changed = False


def _cpu_count():
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _load_gomp():
    """torch's GNU OpenMP runtime, or None (another runtime, or none)."""
    if "OpenMP" not in torch.__config__.parallel_info():  # pragma: no cover
        return None
    path = os.path.join(os.path.dirname(torch.__file__), "lib", "libgomp.so.1")
    candidates = [path, "libgomp.so.1"]
    for name in candidates:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        if not (hasattr(lib, "GOMP_parallel") and hasattr(lib, "omp_set_num_threads")):
            continue
        lib.omp_set_num_threads.argtypes = [ctypes.c_int]
        lib.omp_set_num_threads.restype = None
        return lib
    return None  # pragma: no cover


_GOMP = _load_gomp()
_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


# the flush mode each pool thread had before a call set it, by thread id
_pool_modes = {}


def _set_pool(on, caller):
    ident = threading.get_ident()
    if ident == caller:
        # the calling thread is thread 0 of its pool: _flush_denormal sets
        # and restores its mode
        return
    if on:
        _pool_modes[ident] = _flushing()
        torch.set_flush_denormal(True)
    else:
        torch.set_flush_denormal(_pool_modes.pop(ident, False))


if _GOMP is not None:
    _GOMP.GOMP_parallel.argtypes = [_CALLBACK, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint]
    _GOMP.GOMP_parallel.restype = None
    _FLUSH_ON = _CALLBACK(lambda caller: _set_pool(True, caller))
    _FLUSH_OFF = _CALLBACK(lambda caller: _set_pool(False, caller))


def _flush_pool(n_threads, on):
    """Set or restore the flush mode of this thread's OpenMP pool threads.

    Runs ``torch.set_flush_denormal`` once on each of the ``n_threads``
    threads of the pool that serves the calling thread (libgomp keeps one
    pool per thread that computes), except the calling thread itself;
    ``on=False`` puts back the mode each had. ctypes releases the GIL for
    the call, so the pool threads can take it in turn. Returns whether it
    ran.
    """
    if _GOMP is None or n_threads < 2:
        return False
    caller = threading.get_ident()
    _GOMP.GOMP_parallel(_FLUSH_ON if on else _FLUSH_OFF, caller, n_threads, 0)
    return True


def _flushing():
    """Whether this thread flushes subnormals to zero now."""
    return bool(_SUBNORMAL * _ONE == 0.0)


def _work_per_step(estimator, n_rows):
    """Multiply-adds per time step of a batch of ``n_rows`` sequences."""
    n_in = estimator.__dict__.get("input_size_", 1)
    if getattr(estimator, "vocab_size", None) is not None:
        n_in = estimator.embedding_dim
    work = 0
    pool = 1
    channels = getattr(estimator, "conv_channels", None)
    if channels is not None:
        work += channels * estimator.conv_kernel_size * n_in
        n_in = channels
        pool = estimator.__dict__.get("_conv_pool", 1)
    hidden = estimator.hidden_size
    directions = 2 if estimator.bidirectional else 1
    gates = 3 if estimator.cell == "gru" else 4
    recurrent = 0
    for _ in range(estimator.num_layers):
        recurrent += gates * hidden * (hidden + n_in) * directions
        n_in = hidden * directions
    # max-pooling after the convolution leaves one recurrent step in `pool`
    work += recurrent / pool
    return n_rows * work


def _chosen_threads(estimator, n_rows, caller):
    """The thread count for a call on batches of ``n_rows`` sequences."""
    n_jobs = getattr(estimator, "n_jobs", None)
    if n_jobs is None:
        wanted = int(_work_per_step(estimator, n_rows) // _WORK_PER_THREAD)
        # every time step waits for the slowest thread: with a thread on
        # every core, any other busy process makes one of them late
        return max(1, min(caller, _cpu_count() // 2, wanted))
    if n_jobs < 0:
        return max(1, _cpu_count() + 1 + n_jobs)
    return int(n_jobs)


class _thread_policy:
    """Run a ``fit`` or ``predict`` call with sklstm's thread count.

    ``n_rows`` is the number of sequences computed together (a batch).
    On entry the count is chosen (see the module docstring) and set with
    ``torch.set_num_threads``; on exit the caller's count is restored when
    no other call is in progress. With more than one thread, the pool
    threads flush subnormals for the duration of the call. A plain class
    rather than a generator-based context manager: it is entered once per
    ``predict`` call, where microseconds show on a single window.
    """

    __slots__ = ("_count", "_estimator", "_n_rows", "_pool", "_prev")

    def __init__(self, estimator, n_rows):
        self._estimator = estimator
        self._n_rows = n_rows

    def __enter__(self):
        global _active, _saved, _changed
        with _lock:
            if _active == 0:
                _saved = torch.get_num_threads()
                _changed = False
            # a thread that starts computing while another call runs would
            # read that call's count: the caller's count is the saved one
            self._prev = _saved
            count = _chosen_threads(self._estimator, self._n_rows, _saved)
            _active += 1
            if count != torch.get_num_threads():
                torch.set_num_threads(count)
                _changed = True
            self._count = count
        # the calling thread's mode is _flush_denormal's business; the
        # pool threads' is set here, and put back on exit
        self._pool = count > 1 and _flush_pool(count, True)
        return self

    def __exit__(self, *exc_info):
        global _active, _changed
        if self._pool:
            _flush_pool(self._count, False)
        with _lock:
            _active -= 1
            if _active == 0:
                if _changed:
                    # this thread's count and torch's process-wide one
                    # (another thread may have set that last)
                    torch.set_num_threads(self._prev)
                    _changed = False
            elif _GOMP is not None and self._count != self._prev:
                # only this thread's OpenMP count: the process-wide count
                # stays as the calls still running set it
                _GOMP.omp_set_num_threads(self._prev)
        return False

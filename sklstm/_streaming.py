"""Scoring the points of a series as they arrive, with periodic refits."""

import collections
import copy
import math
from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["AnomalyStream"]


class AnomalyStream:
    """Score each new point of a series with a fitted anomaly detector.

    Keeps the most recent points of the series and, for every point passed
    to :meth:`update`, scores the window of the last ``window_length``
    points that ends at it (``window_length`` is the window length the
    detector was fitted on, the layout of :class:`SlidingWindowTransformer`)
    with one call of ``score_samples`` on that one window. Every
    ``refit_every`` points it refits the detector on the windows of the
    most recent ``refit_rows`` points (a warm start of ``refit_epochs``
    epochs, which also refits the error distribution and the threshold), so
    that the detector follows a drifting series; the first refit waits
    until ``refit_rows + window_length - 1`` points have been passed, so
    that it has all of them; this is the online
    protocol of ``benchmarks/anomaly_nab.py``. Every point is scored by the
    model fitted before it arrived.

    Parameters
    ----------
    detector : LSTMAnomalyDetector
        A detector fitted on windows of the series (of shape ``(n_windows,
        window_length)`` or ``(n_windows, window_length, n_features)``). It
        is copied at the first :meth:`update`; the copy, ``detector_``, is
        the one that scores and is refitted.
    refit_every : int or None, default=None
        Refit after every ``refit_every`` points; None never refits.
    refit_rows : int or None, default=None
        Number of most recent points whose windows the refit trains on; at
        least 2. None means ``3 * refit_every`` (the NAB protocol refits on
        the last 15 % of the rows every 5 %).
    refit_epochs : int, default=5
        Epochs of each warm-start refit.
    smoothing : float, default=0
        Half-life, in points, of an exponentially weighted moving average of
        the error distance before it is compared with the threshold: with
        ``smoothing > 0`` a lone unusual point raises a smaller alarm value
        than a sustained change. 0 compares the distance itself.

    Attributes
    ----------
    detector_ : LSTMAnomalyDetector
        The detector that scores the points, refitted in place.
    window_length_ : int
        Points per window, from the detector.
    n_seen_ : int
        Points passed to :meth:`update` so far.
    n_refits_ : int
        Refits done so far.

    See Also
    --------
    LSTMAnomalyDetector : The detector.
    SlidingWindowTransformer : The same windows, for a whole series at once.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import AnomalyStream, LSTMAnomalyDetector, make_windows
    >>> series = np.sin(np.arange(300) / 5.0)
    >>> windows, _ = make_windows(series[:200], window_length=10)
    >>> det = LSTMAnomalyDetector(hidden_size=4, max_epochs=2, random_state=0)
    >>> stream = AnomalyStream(det.fit(windows), refit_every=20, refit_rows=40)
    >>> values = [stream.update(x) for x in series[200:]]
    >>> len(values), stream.n_refits_
    (100, 3)
    """

    def __init__(
        self, detector, *, refit_every=None, refit_rows=None, refit_epochs=5, smoothing=0
    ):
        self.detector = detector
        self.refit_every = refit_every
        self.refit_rows = refit_rows
        self.refit_epochs = refit_epochs
        self.smoothing = smoothing

    def _check_params(self):
        def positive_int(name, value, low, allow_none):
            if value is None and allow_none:
                return
            if isinstance(value, bool) or not isinstance(value, Integral) or value < low:
                raise ValueError(
                    f"{name} must be an integer >= {low}"
                    + (" or None" if allow_none else "")
                    + f", got {value!r}."
                )

        positive_int("refit_every", self.refit_every, 1, True)
        positive_int("refit_rows", self.refit_rows, 2, True)
        positive_int("refit_epochs", self.refit_epochs, 1, False)
        if (
            isinstance(self.smoothing, bool)
            or not isinstance(self.smoothing, Real)
            or not math.isfinite(self.smoothing)
            or self.smoothing < 0
        ):
            raise ValueError(
                f"smoothing must be a half-life in points >= 0, got {self.smoothing!r}."
            )
        check_is_fitted(self.detector)
        if "n_features_in_" not in vars(self.detector):
            raise ValueError(
                "AnomalyStream needs a detector fitted on windows of one length "
                "(n_windows, window_length[, n_features]), not on a list of "
                "sequences of different lengths."
            )

    def _start(self):
        self._check_params()
        self.detector_ = copy.deepcopy(self.detector)
        self.window_length_ = int(self.detector_.n_features_in_)
        self._rows = self.refit_rows
        if self._rows is None and self.refit_every is not None:
            self._rows = 3 * self.refit_every
        keep = self.window_length_ + (self._rows or 1) - 1
        self._points = collections.deque(maxlen=keep)
        self._level = None
        self._since_refit = 0
        self.n_seen_ = 0
        self.n_refits_ = 0

    def update(self, x):
        """Add one point and return the alarm value of the window ending at it.

        Parameters
        ----------
        x : float or array-like of shape (n_features,)
            The newest point of the series.

        Returns
        -------
        decision : float
            ``score_samples - offset_`` of the newest window (with
            ``smoothing``, of the smoothed distance): negative for an
            anomaly. NaN while fewer than ``window_length_`` points have been
            seen.
        """
        if "detector_" not in vars(self):
            self._start()
        point = np.asarray(x, dtype=np.float64).reshape(-1)
        n_features = self.detector_.input_size_
        if point.shape != (n_features,):
            raise ValueError(
                f"x must be one point with {n_features} feature(s), got an array "
                f"of shape {np.shape(x)}."
            )
        self._points.append(point)
        self.n_seen_ += 1
        self._since_refit += 1
        decision = math.nan
        if len(self._points) >= self.window_length_:
            recent = list(self._points)[-self.window_length_ :]
            window = np.array(recent).reshape(1, self.window_length_, n_features)
            distance = -float(self.detector_.score_samples(window)[0])
            if self.smoothing:
                if self._level is None:
                    self._level = distance
                alpha = 1.0 - 0.5 ** (1.0 / self.smoothing)
                self._level += alpha * (distance - self._level)
                distance = self._level
            decision = -distance - float(self.detector_.offset_)
        if self.refit_every is not None and self._since_refit >= self.refit_every:
            self._refit()
        return decision

    def _refit(self):
        points = np.array(self._points)
        n_windows = len(points) - self.window_length_ + 1
        if n_windows < self._rows:
            # fewer than refit_rows points since the start: a refit on them
            # would fit the error distribution on a handful of windows, so
            # wait, and refit as soon as there are enough
            return
        windows = np.lib.stride_tricks.sliding_window_view(
            points, self.window_length_, axis=0
        ).transpose(0, 2, 1)
        windows = np.ascontiguousarray(windows[-self._rows :])
        self.detector_.set_params(warm_start=True, max_epochs=self.refit_epochs)
        self.detector_.fit(windows)
        self._since_refit = 0
        self.n_refits_ += 1

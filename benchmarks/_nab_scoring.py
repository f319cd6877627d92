"""Scoring of anomaly detections with the rules of the Numenta Anomaly Benchmark.

Written from the description of NAB in Lavin & Ahmad (2015), "Evaluating
Real-time Anomaly Detection Algorithms -- the Numenta Anomaly Benchmark",
ICMLA 2015 (arXiv:1510.03336), Section "Scoring":

* Every labelled anomaly has a window around it (``labels/combined_windows.json``).
* A detection inside a window is a true positive; only the earliest one in
  each window counts, weighted by a scaled sigmoid of its position, so an
  early detection earns almost the full ``tpWeight`` and one at the right
  edge earns nothing.
* A window without any detection costs ``fnWeight``.
* A detection outside every window is a false positive and costs up to
  ``fpWeight``: the same scaled sigmoid of its distance past the end of the
  preceding window (measured in window widths) makes detections just after
  a window cheap, and a detection before the first window (or 3 or more
  window widths after one) costs the full ``fpWeight``.
* Detections in the probationary period at the start of each file are not
  scored. Its length is 15 % of the file, capped at 750 rows (15 % of 5000),
  the rule of the NAB scorer.
* The score of a detector over a set of files is normalised with the null
  detector (no detection at all, score ``-fnWeight`` per window) and the
  perfect detector (one detection at the start of each window, score
  ``tpWeight`` per window): ``100 * (raw - null) / (perfect - null)``, with
  raw, null and perfect summed over the files.

The scaled sigmoid of a relative position ``y`` is ``2 / (1 + exp(5 y)) - 1``
(``-1`` for ``y >= 3``). In a window of ``W`` rows ending at row ``e``, row
``i`` has ``y = -(e - i + 1) / W`` (``-1`` at the first row of the window),
and the true-positive weight is divided by the sigmoid at ``y = -1`` so that
the earliest possible detection earns exactly ``tpWeight``. After a window
of ``W`` rows ending at row ``e``, row ``i`` has ``y = (i - e) / (W - 1)``.
"""

import json
import math
import os

import numpy as np
import pandas as pd

__all__ = [
    "load_nab_file",
    "load_profile",
    "nab_score",
    "normalised_score",
    "probationary_length",
    "scaled_sigmoid",
]


def scaled_sigmoid(position):
    """NAB's scaled sigmoid: 1 well before a window's end, 0 at it, -1 far after."""
    position = np.asarray(position, dtype=np.float64)
    value = 2.0 / (1.0 + np.exp(5.0 * position)) - 1.0
    return np.where(position >= 3.0, -1.0, value)


def probationary_length(n_rows, fraction=0.15):
    """Rows at the start of a file that are never scored."""
    return int(min(math.floor(fraction * n_rows), fraction * 5000))


def load_profile(nab_dir, name="standard"):
    """Cost weights ``{"tpWeight", "fpWeight", "fnWeight"}`` of a NAB profile."""
    with open(os.path.join(nab_dir, "labels", "profiles.json")) as f:
        return json.load(f)[name]["CostMatrix"]


def load_nab_file(nab_dir, relative_path):
    """One NAB series and its label windows.

    Returns the DataFrame (columns ``timestamp`` and ``value``, in file
    order) and the list of ``(start, end)`` Timestamps of its windows.
    """
    data = pd.read_csv(os.path.join(nab_dir, relative_path))
    data["timestamp"] = pd.to_datetime(data["timestamp"])
    with open(os.path.join(nab_dir, "labels", "combined_windows.json")) as f:
        windows = json.load(f)[relative_path]
    windows = [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in windows]
    return data, windows


def _window_rows(timestamps, windows):
    """(first row, last row) of each window: the first row with each timestamp."""
    timestamps = pd.DatetimeIndex(timestamps)
    rows = []
    for start, end in windows:
        found = []
        for stamp in (start, end):
            hits = np.flatnonzero(timestamps == stamp)
            if len(hits) == 0:
                raise ValueError(
                    f"Window limit {stamp} is not a timestamp of the file."
                )
            found.append(int(hits[0]))
        rows.append(tuple(found))
    return rows


def _row_weights(n_rows, window_rows, costs):
    """Score each row would earn if it were a detection, and its window (or -1)."""
    weight = np.empty(n_rows)
    window_of = np.full(n_rows, -1)
    max_tp = float(scaled_sigmoid(-1.0))
    index = np.arange(n_rows)
    # before the first window: full false-positive cost
    previous_end, previous_width = None, None
    cursor = 0
    for k, (first, last) in enumerate(window_rows + [(n_rows, n_rows)]):
        outside = index[cursor:first]
        if previous_end is None:
            weight[cursor:first] = -costs["fpWeight"]
        else:
            position = (outside - previous_end) / (previous_width - 1)
            weight[cursor:first] = costs["fpWeight"] * scaled_sigmoid(position)
        if first >= n_rows:
            break
        width = last - first + 1
        inside = index[first : last + 1]
        position = -(last - inside + 1) / width
        weight[first : last + 1] = costs["tpWeight"] * scaled_sigmoid(position) / max_tp
        window_of[first : last + 1] = k
        previous_end, previous_width = last, width
        cursor = last + 1
    return weight, window_of


def nab_score(timestamps, detections, windows, costs, probation_fraction=0.15):
    """Raw NAB score of the detections on one file.

    Parameters
    ----------
    timestamps : sequence of Timestamps, in file order
    detections : array-like of bool, one per row (True: the detector fires)
    windows : list of (start, end) Timestamps, in time order
    costs : dict with ``tpWeight``, ``fpWeight`` and ``fnWeight``
    probation_fraction : float, default=0.15

    Returns
    -------
    result : dict
        ``score`` (raw), ``null`` and ``perfect`` (the raw scores of the null
        and perfect detectors on this file), and the counts ``tp``, ``fp``,
        ``fn`` (windows detected, detections outside windows, windows
        missed), all over the scored rows only.
    """
    detections = np.asarray(detections, dtype=bool)
    n_rows = len(detections)
    if len(timestamps) != n_rows:
        raise ValueError("timestamps and detections have different lengths.")
    window_rows = _window_rows(timestamps, windows)
    weight, window_of = _row_weights(n_rows, window_rows, costs)
    scored = np.arange(n_rows) >= probationary_length(n_rows, probation_fraction)
    fired = detections & scored

    false_pos = fired & (window_of < 0)
    score = float(weight[false_pos].sum())
    tp = fn = 0
    n_windows = 0
    for k in range(len(window_rows)):
        in_window = (window_of == k) & scored
        if not in_window.any():
            continue  # entirely inside the probationary period
        n_windows += 1
        hits = in_window & fired
        if hits.any():
            score += float(weight[hits].max())
            tp += 1
        else:
            score -= costs["fnWeight"]
            fn += 1
    return {
        "score": score,
        "null": -costs["fnWeight"] * n_windows,
        "perfect": costs["tpWeight"] * n_windows,
        "tp": tp,
        "fp": int(false_pos.sum()),
        "fn": fn,
    }


def normalised_score(results):
    """NAB's normalised score of a list of :func:`nab_score` results."""
    raw = sum(r["score"] for r in results)
    null = sum(r["null"] for r in results)
    perfect = sum(r["perfect"] for r in results)
    return 100.0 * (raw - null) / (perfect - null)

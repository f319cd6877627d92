"""
Anomalies in a machine temperature series
=========================================

:class:`sklstm.LSTMAnomalyDetector` learns what normal stretches of a
series look like, without labels, and scores each time step by how badly a
small LSTM forecasts it from the day before it. Behind a
:class:`sklstm.SlidingWindowTransformer` in a pipeline, it gives one score
and one label per time step. The example fits it on the first three weeks
of the NAB machine temperature series (averaged to hourly readings to keep
it fast), scores the whole series and compares the flagged hours with the
four anomaly windows of the benchmark, which the detector never sees. Run
it with ``--save`` to write the plot to ``anomaly_detection.png``.
"""

import sys

import numpy as np
from sklearn.pipeline import make_pipeline

from sklstm import LSTMAnomalyDetector, SlidingWindowTransformer
from sklstm.datasets import load_nab_machine_temperature

# %%
# Hourly readings
# ---------------
# The source file repeats one hour of timestamps; averaging per hour merges
# the duplicates and leaves 1891 readings.
nab = load_nab_machine_temperature()
hourly = nab.data.groupby(nab.data.index.floor("h")).mean()
n_train = int(0.3 * len(hourly))
print(f"{len(hourly)} hourly readings, the first {n_train} for training")

# %%
# Fit on the first weeks, score every hour
# ----------------------------------------
# Each row becomes the window of the 24 hours ending at it; the detector
# forecasts the last hour of each window from the 23 before it. The last
# 20 % of the training windows are held out: the forecast errors on them set
# the scale of the score and the threshold (``contamination="auto"``).
# Scores follow scikit-learn: lower is more abnormal, and ``predict`` gives
# -1 for an anomaly (aeon and similar libraries use the opposite sign).
detector = make_pipeline(
    SlidingWindowTransformer(window_length=24),
    LSTMAnomalyDetector(hidden_size=16, max_epochs=20, lr=3e-3, random_state=0),
)
detector.fit(hourly.iloc[:n_train])
scores = detector.score_samples(hourly)
labels = detector.predict(hourly)
offset = detector[-1].offset_
print(f"threshold offset_ = {offset:.2f}, lowest score = {scores.min():.2f}")
print(f"flagged: {np.sum(labels == -1)} of {len(labels)} hours")

# %%
# Flags against the labelled windows
# ----------------------------------
flagged = hourly.index[labels == -1]
inside = np.zeros(len(flagged), dtype=bool)
for start, end in nab.windows:
    hit = (flagged >= start) & (flagged <= end)
    inside |= hit
    first = f"first flag {flagged[hit][0]}" if hit.any() else "no flag"
    print(f"window {start} to {end}: {hit.sum():3d} flagged hours, {first}")
print(f"flagged hours outside every window: {np.sum(~inside)}")
print(f"share of flagged hours inside a window: {inside.mean():.2f}")

# %%
# Plot
# ----
# The series with its flagged hours and the labelled windows shaded, and
# the score with the threshold.
try:
    import matplotlib.pyplot as plt
except ImportError:  # matplotlib is optional
    plt = None

if plt is not None:
    fig, (ax_series, ax_score) = plt.subplots(2, 1, sharex=True, figsize=(10, 5))
    ax_series.plot(hourly.index, hourly["value"], lw=0.8, label="temperature")
    ax_series.plot(
        flagged,
        hourly.loc[flagged, "value"],
        "o",
        ms=3,
        color="tab:red",
        label="flagged",
    )
    ax_score.plot(hourly.index, scores, lw=0.8, color="tab:gray", label="score_samples")
    ax_score.axhline(offset, color="tab:red", ls="--", label="offset_ (threshold)")
    for ax in (ax_series, ax_score):
        for start, end in nab.windows:
            ax.axvspan(start, end, color="tab:orange", alpha=0.2, lw=0)
        ax.legend(loc="lower left", fontsize="small")
    ax_series.set_title("NAB machine temperature (labelled windows shaded)")
    ax_score.set_ylabel("score (lower = more abnormal)")
    fig.tight_layout()
    if "--save" in sys.argv[1:]:
        fig.savefig("anomaly_detection.png", dpi=120)
    plt.show()

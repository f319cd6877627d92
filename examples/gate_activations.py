"""
Reading the gates of a trained LSTM
===================================

An LSTM unit keeps a cell state, and three gates decide, at every time
step, how much of the new input to write into it (input gate), how much of
the old state to keep (forget gate) and how much of the state to show to
the next layer (output gate). ``gate_activations`` recomputes these values
for given sequences, and :func:`sklstm.plotting.plot_gate_activations`
draws them as heat maps, one row per unit. The task here is a memory test:
each sequence carries random values and, on a second feature, a single
marker somewhere in its first half; the target is the value seen at the
marker. A network that solves it should write the new value into its cell
state at the marker, replacing what was there, and the gates show that it
does.
"""

import numpy as np

from sklstm import LSTMRegressor

# %%
# Remember the value at the marker
# --------------------------------
rng = np.random.RandomState(0)
n_sequences, n_steps = 800, 20
X = np.zeros((n_sequences, n_steps, 2))
X[:, :, 0] = rng.uniform(-1, 1, size=(n_sequences, n_steps))
marker = rng.randint(0, n_steps // 2, size=n_sequences)
X[np.arange(n_sequences), marker, 1] = 1.0
y = X[np.arange(n_sequences), marker, 0]
n_train = 600
X_train, X_test, y_train, y_test = X[:n_train], X[n_train:], y[:n_train], y[n_train:]

reg = LSTMRegressor(
    hidden_size=8, max_epochs=20, lr=1e-2, batch_size=16, random_state=0
)
reg.fit(X_train, y_train)
print(f"test R^2: {reg.score(X_test, y_test):.3f}")

# %%
# The gates at the marker and elsewhere
# -------------------------------------
# Averaged over the units and the test sequences: at the marked step the
# input gate opens wider and the forget gate closes (the old content is
# replaced by the value to remember).
gates = reg.gate_activations(X_test)
at_marker = np.zeros((len(X_test), n_steps), dtype=bool)
at_marker[np.arange(len(X_test)), marker[n_train:]] = True
for name in ("input_gate", "forget_gate", "output_gate"):
    per_step = gates[name].mean(axis=2)
    print(
        f"{name:<12} mean at the marker: {per_step[at_marker].mean():.2f}, "
        f"elsewhere: {per_step[~at_marker].mean():.2f}"
    )

# %%
# Plot
# ----
# The gates and the cell state of one test sequence; the dotted line marks
# the step whose value must be remembered.
try:
    import matplotlib.pyplot as plt

    from sklstm.plotting import plot_gate_activations
except ImportError:  # matplotlib is optional
    plt = None

if plt is not None:
    sample = 0
    axes = plot_gate_activations(reg, X_test, sample=sample)
    for ax in axes:
        ax.axvline(marker[n_train + sample], color="black", linestyle=":")
    axes[0].figure.suptitle(f"Marker at step {marker[n_train + sample]}")
    plt.show()

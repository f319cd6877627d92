"""Shared fixtures: tiny data, fast estimator settings, one torch thread."""

import os

# matplotlib must never open a window during the tests (set before any
# test module imports matplotlib)
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

# One thread keeps timings stable on small CI machines and avoids
# oversubscription when pytest runs next to other processes.
torch.set_num_threads(1)

# Settings small enough for unit tests; shared so every test trains fast.
# The default convolution block and second direction are switched off here to
# keep unit tests small; tests of those options set them explicitly.
FAST = dict(
    hidden_size=8,
    max_epochs=5,
    batch_size=16,
    bidirectional=False,
    conv_channels=None,
    random_state=0,
)


@pytest.fixture
def rng():
    """A seeded NumPy random generator."""
    return np.random.RandomState(0)


@pytest.fixture
def regression_data(rng):
    """60 univariate-target sequences of 8 steps with 2 features."""
    X = rng.randn(60, 8, 2)
    y = 3.0 * X[:, -1, 0] - X[:, -2, 1]
    return X, y


@pytest.fixture
def classification_data(rng):
    """60 sequences of 8 steps, labelled by the sign of their mean."""
    X = rng.randn(60, 8, 1)
    y = np.where(X[:, :, 0].mean(axis=1) > 0, "pos", "neg")
    return X, y

"""Shared fixtures: seeded nets and data for the kernel tests."""

import numpy as np
import pytest

import loopmlp

# Net shapes (n_in, n_hid, n_out) from the smallest possible to MNIST size.
SHAPES = [(1, 1, 1), (2, 2, 1), (3, 5, 2), (60, 6, 4), (64, 32, 10), (784, 512, 10)]


def make_case(shape, n_samples, seed, scale=1.0):
    """Seeded weights (uniform in [-scale, scale)), biases, inputs in [0, 1) and targets."""
    n_in, n_hid, n_out = shape
    rng = np.random.default_rng(seed)
    wh, bh, wo, bo = loopmlp.init_weights(n_in, n_hid, n_out, seed=seed)
    wh *= scale
    wo *= scale
    bh[:] = scale * rng.uniform(-1, 1, n_hid)
    bo[:] = scale * rng.uniform(-1, 1, n_out)
    X = rng.random((n_samples, n_in))
    Y = rng.random((n_samples, n_out))
    return X, Y, [wh, bh, wo, bo]


def copy(weights):
    return [w.copy() for w in weights]


@pytest.fixture(params=loopmlp.BACKENDS)
def backend(request):
    return loopmlp.get_backend(request.param)

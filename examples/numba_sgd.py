"""A training loop of your own, in ``@njit``, around loopmlp's kernels.

Online SGD on the lecture's net with a decaying learning rate and early stopping: the loop is
yours, the per-sample forward pass and update are loopmlp's (``loopmlp.numba_kernels``),
compiled into your function. The same loop run on the ``python`` reference's kernels gives the
same bits, which this script checks.

    python examples/numba_sgd.py
"""

import numba
import numpy as np

import loopmlp
from loopmlp import numba_kernels
from loopmlp.kernels import _reference


def make_fit(neural_response, update_network):
    """The loop, over the kernels it is given."""

    def fit(X, Y, wh, bh, wo, bo, lrate0, decay, max_epochs, patience, tol):
        """SGD with ``lrate = lrate0 / (1 + decay * epoch)``; stops when the epoch's MSE has
        not fallen by ``tol`` below the best for ``patience`` epochs. Returns the MSE of every
        epoch run."""
        mses = np.zeros(max_epochs)
        best, since_best = np.inf, 0
        for epoch in range(max_epochs):
            lrate = lrate0 / (1.0 + decay * epoch)
            total = 0.0
            for n in range(X.shape[0]):
                hid, out = neural_response(X[n], wh, bh, wo, bo)
                err = Y[n] - out
                total += (err * err).sum() / err.shape[0]
                update_network(X[n], hid, out, err, wh, bh, wo, bo, lrate)
            mses[epoch] = total / X.shape[0]
            if mses[epoch] < best - tol:
                best, since_best = mses[epoch], 0
            else:
                since_best += 1
                if since_best >= patience:
                    return mses[: epoch + 1]
        return mses

    return fit


fit = numba.njit(make_fit(numba_kernels.neural_response, numba_kernels.update_network))
fit_reference = make_fit(_reference.neural_response, _reference.update_network)


def main():
    # XOR, the lecture's first example
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    Y = np.array([[0.0], [1.0], [1.0], [0.0]])
    ours = loopmlp.init_weights(2, 2, 1, seed=3)
    reference = [w.copy() for w in ours]
    args = (2.0, 1e-3, 2000, 20, 1e-5)
    mses = fit(X, Y, *ours, *args)
    mses_reference = fit_reference(X, Y, *reference, *args)
    assert np.array_equal(mses, mses_reference), "MSEs differ from the python reference"
    for w, w_reference in zip(ours, reference):
        assert np.array_equal(w, w_reference), "weights differ from the python reference"
    print(f"{len(mses)} epochs, final MSE {mses[-1]:.6f}: bit-identical to the python reference")


if __name__ == "__main__":
    main()

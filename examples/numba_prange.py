"""Many small nets trained at once, from ``prange``, without the GIL.

An evolutionary or hyper-parameter search trains thousands of small nets; here each thread of
a ``@njit(parallel=True)`` loop trains its share of them with ``loopmlp.numba_kernels.train``.
Each net's result must not depend on the threads: the script checks every net against the
same net trained one by one by the ``python`` reference, bit for bit.

    python examples/numba_prange.py
"""

import numba
import numpy as np

import loopmlp
from loopmlp import numba_kernels
from loopmlp.kernels import _reference


@numba.njit(parallel=True)
def train_many(X, Y, wh, bh, wo, bo, lrates, num_epochs):
    """Net ``k`` is ``wh[k], bh[k], wo[k], bo[k]``, trained with ``lrates[k]``; returns each
    net's epoch MSEs (num_nets, num_epochs)."""
    mses = np.zeros((wh.shape[0], num_epochs))
    for k in numba.prange(wh.shape[0]):
        mses[k] = numba_kernels.train(X, Y, wh[k], bh[k], wo[k], bo[k], lrates[k], num_epochs)
    return mses


def main(num_nets=16, shape=(2, 3, 1), num_epochs=50):
    rng = np.random.default_rng(0)
    X = rng.random((8, shape[0]))
    Y = rng.random((8, shape[2]))
    nets = [loopmlp.init_weights(*shape, seed=k) for k in range(num_nets)]
    wh, bh, wo, bo = (np.stack(ws) for ws in zip(*nets))
    lrates = np.linspace(0.1, 2.0, num_nets)
    mses = train_many(X, Y, wh, bh, wo, bo, lrates, num_epochs)
    for k, net in enumerate(nets):
        net = [w.copy() for w in net]
        mses_k = _reference.train(X, Y, *net, lrates[k], num_epochs)
        assert np.array_equal(mses[k], mses_k), f"net {k}: MSEs differ from the reference"
        for w, w_k in zip((wh[k], bh[k], wo[k], bo[k]), net):
            assert np.array_equal(w, w_k), f"net {k}: weights differ from the reference"
    print(
        f"{num_nets} nets on {numba.get_num_threads()} threads: "
        "bit-identical to the python reference, net by net"
    )


if __name__ == "__main__":
    main()

"""Build nothing: run the example extension built by ``setup.py`` in this folder, and check it
against the ``python`` reference, bit for bit.

    python setup.py build_ext --inplace && python run.py
"""

import numpy as np
import train_many

import loopmlp
from loopmlp.kernels import _reference


def main(num_nets=16, shape=(2, 3, 1), num_epochs=50):
    rng = np.random.default_rng(0)
    X = rng.random((8, shape[0]))
    Y = rng.random((8, shape[2]))

    # the user's training loop, around the per-sample kernels
    ours = loopmlp.init_weights(*shape, seed=1)
    reference = [w.copy() for w in ours]
    mses = train_many.sgd(X, Y, *ours, 0.5, num_epochs)
    assert np.array_equal(mses, _reference.train(X, Y, *reference, 0.5, num_epochs))
    assert all(np.array_equal(w, w_ref) for w, w_ref in zip(ours, reference))

    # many nets from prange
    nets = [loopmlp.init_weights(*shape, seed=k) for k in range(num_nets)]
    wh, bh, wo, bo = (np.stack(ws) for ws in zip(*nets))
    lrates = np.linspace(0.1, 2.0, num_nets)
    mses = train_many.train_many(X, Y, wh, bh, wo, bo, lrates, num_epochs)
    for k, net in enumerate(nets):
        net = [w.copy() for w in net]
        assert np.array_equal(mses[k], _reference.train(X, Y, *net, lrates[k], num_epochs))
        assert all(np.array_equal(w, w_k) for w, w_k in zip((wh[k], bh[k], wo[k], bo[k]), net))
    print(f"sgd and {num_nets} nets from prange: bit-identical to the python reference")


if __name__ == "__main__":
    main()

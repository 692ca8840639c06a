"""Build nothing: run the example extension built by ``setup.py`` in this folder, and check it
against the ``python`` reference, bit for bit.

    python setup.py build_ext --inplace && python run.py
"""

import deep_net
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
    for dtype in ("float64", "float32"):
        deep(dtype)
    print("the deep net, float64 and float32: bit-identical to the python reference")


def flat(arrays):
    """The layers' arrays one after the other, as the checked deep kernels take them."""
    return np.concatenate([a.ravel() for a in arrays])


def deep(dtype, sizes=(4, 6, 5, 3), batch_size=4, num_epochs=3):
    """A deep net trained by net_train and by the user's sgd, in dtype."""
    net = loopmlp.init_net(sizes, activation="tanh", output="softmax", loss="cross_entropy",
                           seed=2, dtype=dtype)  # fmt: skip
    codes = [getattr(_reference, name.upper()) for name in (net.activation, net.output, net.loss)]
    rng = np.random.default_rng(3)
    X = rng.random((10, sizes[0])).astype(dtype)
    Y = np.eye(sizes[-1], dtype=dtype)[rng.integers(0, sizes[-1], 10)]
    orders = np.array([rng.permutation(10) for _ in range(num_epochs)])
    lrate = np.dtype(dtype).type(0.25)
    layers = np.array(sizes, dtype=np.intp)
    acts, deltas, grad_w, grad_b = (flat(a) for a in loopmlp.net.scratch(net))

    for batch in (batch_size, 1):
        weights, biases = flat(net.weights), flat(net.biases)
        losses = np.empty(num_epochs, dtype=dtype)
        deep_net.train(X, Y, weights, biases, *codes, lrate, orders, batch,
                       acts, deltas, grad_w, grad_b, losses, layers)  # fmt: skip
        ref_w, ref_b = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
        ref_losses = _reference.net_train(
            X, Y, ref_w, ref_b, *codes, lrate, orders, batch, *loopmlp.net.scratch(net)
        )
        assert np.array_equal(losses, ref_losses)
        assert np.array_equal(weights, flat(ref_w)) and np.array_equal(biases, flat(ref_b))

    # online SGD written around net_response and net_update: net_train's, batch_size 1
    ours_w, ours_b = flat(net.weights), flat(net.biases)
    deep_net.sgd(X, Y, ours_w, ours_b, *codes, lrate, orders, acts, deltas, layers)
    assert np.array_equal(ours_w, weights) and np.array_equal(ours_b, biases)

    Y_hat = np.empty((10, sizes[-1]), dtype=dtype)
    deep_net.predict(X, weights, biases, *codes[:2], Y_hat, layers)
    assert np.array_equal(Y_hat, _reference.net_predict(X, ref_w, ref_b, *codes[:2]))


if __name__ == "__main__":
    main()

"""loopmlp: the neural-networks lecture's MLP loops, compiled, proven equal, benchmarked.

Backends (``BACKENDS``): ``python`` (the lecture's loops, the reference), ``numba`` (the
same source under ``@njit``), ``cython`` (the same loops compiled by Cython) and ``numpy``
(vectorised). Importing loopmlp loads none of them; ``get_backend`` loads one on first use.

>>> import numpy as np
>>> import loopmlp
>>> k = loopmlp.get_backend("numba")
>>> wh, bh, wo, bo = loopmlp.init_weights(60, 6, 4, seed=0)
>>> hid, out = k.neural_response(np.zeros(60), wh, bh, wo, bo)
>>> net = loopmlp.init_net([64, 32, 32, 10], output="softmax", loss="cross_entropy")
>>> X, Y = np.zeros((16, 64)), np.eye(10)[np.arange(16) % 10]
>>> losses = k.net_train(net, X, Y, 0.1, epochs=5, batch_size=8)
>>> losses.shape
(5,)
"""

BACKENDS = ("python", "numba", "cython", "numpy")
THREADED = ("numba", "cython", "fast")  # their predict spreads rows over threads

__version__ = "0.2.0"
__all__ = [
    "BACKENDS",
    "THREADED",
    "get_backend",
    "init_weights",
    "Backend",
    "init_net",
    "Net",
    "LoopMLPClassifier",
    "LoopMLPRegressor",
]


def __getattr__(name):
    # NumPy and the backends load on first use, so `import loopmlp` stays cheap.
    if name in ("get_backend", "init_weights", "Backend"):
        from . import _backends

        return getattr(_backends, name)
    if name in ("init_net", "Net"):
        from . import net

        return getattr(net, name)
    if name in ("LoopMLPClassifier", "LoopMLPRegressor"):
        from . import estimators  # scikit-learn loads here, not at `import loopmlp`

        return getattr(estimators, name)
    raise AttributeError(f"module 'loopmlp' has no attribute {name!r}")

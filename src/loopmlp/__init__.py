"""loopmlp: the neural-networks lecture's MLP loops, compiled, proven equal, benchmarked.

The lecture's net, one hidden layer of sigmoid units, one sample at a time:

>>> import numpy as np
>>> import loopmlp
>>> k = loopmlp.get_backend("cython")
>>> wh, bh, wo, bo = loopmlp.init_weights(60, 6, 4, seed=0)
>>> hid, out = k.neural_response(np.full(60, 0.5), wh, bh, wo, bo)
>>> hid.shape, out.shape
((6,), (4,))
>>> err = np.array([0.0, 1.0, 0.0, 1.0]) - out
>>> k.update_network(np.full(60, 0.5), hid, out, err, wh, bh, wo, bo, 0.1)  # in place

A deep net of any depth, trained in mini-batches:

>>> net = loopmlp.init_net([64, 32, 32, 10], activation="relu", output="softmax",
...                        loss="cross_entropy", init="scaled")
>>> rng = np.random.default_rng(0)
>>> X, Y = rng.random((40, 64)), np.eye(10)[rng.integers(10, size=40)]
>>> losses = k.net_train(net, X, Y, 0.1, epochs=5, batch_size=8, shuffle_seed=0)
>>> losses.shape, bool(losses[-1] < losses[0])
((5,), True)
>>> k.net_predict(net, X).shape
(40, 10)

Backends (``BACKENDS``): ``python`` (the lecture's loops, the reference), ``numba`` (the
same source under ``@njit``), ``cython`` (the same loops compiled by Cython) and ``numpy``
(vectorised); every one of them runs every example above, and the first three give the same
bits. Importing loopmlp loads none of them; ``get_backend`` loads one on first use.
``LoopMLPClassifier`` and ``LoopMLPRegressor`` are scikit-learn estimators on the same
kernels (``pip install 'loopmlp[estimators]'``). ``show_runtime()`` prints what loopmlp runs
on (``runtime_info()`` returns it): versions, the CPU, the Cython build, the threading and
BLAS libraries.
"""

# typing.TYPE_CHECKING without importing typing (and re), which would cost `import loopmlp`
# more than the rest of it; type checkers read any TYPE_CHECKING as true.
TYPE_CHECKING = False

BACKENDS = ("python", "numba", "cython", "numpy")
THREADED = ("numba", "cython", "fast")  # their predict spreads rows over threads
# The estimators' and the experiments' backend unless told otherwise: of the loop backends,
# which give the same bits, the one that starts fastest (a fresh process imports no compiler
# and its first call loads nothing) and trains their small nets fastest; docs/estimators.rst.
DEFAULT_BACKEND = "cython"

__version__ = "0.2.0"
__all__ = [
    "BACKENDS",
    "THREADED",
    "DEFAULT_BACKEND",
    "get_backend",
    "init_weights",
    "Backend",
    "init_net",
    "Net",
    "LoopMLPClassifier",
    "LoopMLPRegressor",
    "runtime_info",
    "show_runtime",
]

if TYPE_CHECKING:  # what the lazy names below are, for type checkers (never run)
    from ._backends import Backend, get_backend, init_weights
    from .estimators import LoopMLPClassifier, LoopMLPRegressor
    from .net import Net, init_net
    from .runtime import runtime_info, show_runtime
else:

    def __getattr__(name: str):
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
        if name in ("runtime_info", "show_runtime"):
            from . import runtime

            return getattr(runtime, name)
        raise AttributeError(f"module 'loopmlp' has no attribute {name!r}")

"""One short process of tests/test_cache.py: runs a job file's calls, saves what they return.

    python tests/cache_worker.py JOB.json OUT.npz

The job is ``{"calls": [...], "version": ...}``: calls ``{"backend", "kernel", "shape", "seed",
"threads", "dtype"}``, and optionally a loopmlp version to pretend to be (set before any backend
loads, as an upgraded install would have it). Each call runs on
``conftest.make_case`` data through the public API, as a user's script would. ``OUT.npz``
holds every returned array and updated weight (``"<i>/<name>"``), under ``"stats"`` the
cache hits and misses of the numba dispatchers this process used, under ``"loaded"`` whether
it loaded numba's compiler and its threading layer, and under ``"forgetful"`` the kernels it
loaded that would crash without the threading layer launched first.
"""

import json
import sys
import warnings

import numpy as np
from conftest import copy, make_case

import loopmlp

EPOCHS = 2  # for "train"
LRATE = 0.1


def rows(shape):
    return 3 if shape[0] * shape[1] >= 65_536 else 20


def run(backend, kernel, shape, seed, threads=None, dtype="float64", layers=3, batch_size=3):
    """What one public kernel returns on a seeded case, as a dict of arrays."""
    X, Y, w = make_case(tuple(shape), rows(shape), seed=seed)
    k = loopmlp.get_backend(backend)
    if kernel.startswith("net_"):
        return run_net(k, kernel, shape, seed, threads, dtype, X, Y, layers, batch_size)
    w = copy(w)
    if kernel == "neural_response":
        hid, out = k.neural_response(X[0], *w)
        return {"hid": hid, "out": out}
    if kernel == "update_network":
        hid, out = loopmlp.get_backend("python").neural_response(X[0], *w)
        k.update_network(X[0], hid, out, Y[0] - out, *w, LRATE)
        result = {}
    elif kernel in ("train_epoch", "train_epoch_literal"):
        result = {"mse": np.array(getattr(k, kernel)(X, Y, *w, LRATE))}
    elif kernel == "train":
        result = {"mses": k.train(X, Y, *w, LRATE, EPOCHS)}
    elif kernel == "predict":
        return {"Y_hat": k.predict(X, *w, threads=threads)}
    else:
        raise ValueError(kernel)
    result.update(zip(("wh", "bh", "wo", "bo"), w))
    return result


def run_net(k, kernel, shape, seed, threads, dtype, X, Y, layers, batch_size):
    """A deep net's kernel: ``layers`` layers of weights (``layers - 1`` hidden layers of
    shape[1] units), relu/softmax in float32 and sigmoid/mse in float64; net_train with
    mini-batches of ``batch_size`` on a shuffled order."""
    n_in, n_hid, n_out = shape
    kind = (
        dict(activation="relu", output="softmax", loss="cross_entropy")
        if dtype == "float32"
        else dict(activation="sigmoid", output="sigmoid", loss="mse")
    )
    net = loopmlp.init_net(
        [n_in] + [n_hid] * (layers - 1) + [n_out], seed=seed, dtype=dtype, **kind
    )
    if kernel == "net_predict":
        return {"Y_hat": k.net_predict(net, X, threads=threads)}
    Y = Y / Y.sum(axis=1, keepdims=True)  # softmax targets sum to 1
    losses = k.net_train(net, X, Y, LRATE, EPOCHS, batch_size=batch_size, shuffle_seed=seed)
    return {"losses": losses, **{f"w{i}": w for i, w in enumerate(net.weights + net.biases)}}


def cache_stats():
    """Cache hits and misses of every numba dispatcher this process loaded or compiled."""
    import gc

    from numba.core.registry import CPUDispatcher

    hits = misses = 0
    for d in gc.get_objects():
        if isinstance(d, CPUDispatcher) and d.py_func.__module__.startswith("loopmlp"):
            hits += sum(d.stats.cache_hits.values())
            misses += sum(d.stats.cache_misses.values())
    return np.array([hits, misses])


def what_loaded():
    """``[numba's compiler, threads]``: whether this process installed numba's implementations
    in its target context (which every compile does, and loading from the cache need not)
    and launched numba's threading layer."""
    from numba.core.registry import cpu_target
    from numba.np.ufunc import parallel

    refreshed = bool(cpu_target.target_context._registries)
    return np.array([refreshed, bool(parallel._is_initialized)])


def forgetful_overloads():
    """Names of the kernels whose overload this process loaded from the cache and that
    contain a parallel kernel's code but have nothing to re-run on loading (an empty
    ``reload_init``): the overloads that only the threading layer launched before loading
    keeps from crashing (``loopmlp.kernels._numba_cache``, point 1)."""
    from loopmlp.kernels import _numba

    names = []
    for d in _numba._threaded.values():
        if sum(d.stats.cache_hits.values()) and any(
            not cres.reload_init for cres in d.overloads.values()
        ):
            names.append(d.py_func.__name__)
    return np.array(sorted(names), dtype=str)


def main(job_path, out_path):
    with open(job_path) as f:
        job = json.load(f)
    if "version" in job:
        loopmlp.__version__ = job["version"]
    saved = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i, call in enumerate(job["calls"]):
            for name, value in run(**call).items():
                saved[f"{i}/{name}"] = value
    saved["stats"] = cache_stats()
    saved["loaded"] = what_loaded()
    if "numba" in sys.modules and "loopmlp.kernels._numba" in sys.modules:
        saved["forgetful"] = forgetful_overloads()
    saved["warnings"] = np.array(
        [str(w.message) for w in caught if "loopmlp" in str(w.message)], dtype=str
    )
    np.savez(out_path, **saved)


if __name__ == "__main__":
    main(*sys.argv[1:])

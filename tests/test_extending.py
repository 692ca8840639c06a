"""Building on the kernels: ``loopmlp.numba_kernels`` from a user's ``@njit`` code,
``cimport loopmlp.cython_kernels`` from a user's Cython extension, the raw C functions from
``ctypes``, and the examples in ``examples/``.

"The same" here means bit-identical to the ``python`` reference (``np.array_equal``), as for
the ``numba`` and ``cython`` backends: these are their kernels, called from elsewhere.
"""

import importlib
import json
import os
import re
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest
from conftest import copy, make_case

import loopmlp
from loopmlp import numba_kernels as nk
from loopmlp.kernels import _reference as ref

EXAMPLES = Path(__file__).parent.parent / "examples"
LRATE = 0.25


def equal(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


# --- numba_kernels from Python ---------------------------------------------------------------


@pytest.mark.parametrize("shape", [(2, 2, 1), (60, 6, 4)])
def test_lecture_kernels_match_reference(shape):
    X, Y, w = make_case(shape, 9, seed=1)
    assert equal(nk.neural_response(X[0], *w), ref.neural_response(X[0], *w))
    hid, out = ref.neural_response(X[0], *w)
    ours, theirs = copy(w), copy(w)
    nk.update_network(X[0], hid, out, Y[0] - out, *ours, LRATE)
    ref.update_network(X[0], hid, out, Y[0] - out, *theirs, LRATE)
    assert equal(ours, theirs) and not equal(ours, w)
    assert nk.train_epoch(X, Y, *ours, LRATE) == ref.train_epoch(X, Y, *theirs, LRATE)
    assert np.array_equal(nk.train(X, Y, *ours, LRATE, 3), ref.train(X, Y, *theirs, LRATE, 3))
    assert equal(ours, theirs)
    assert np.array_equal(nk.predict(X, *ours), ref.predict(X, *theirs))


NETS = [
    dict(sizes=(3, 5, 4, 2), dtype="float64"),
    dict(
        sizes=(4, 6, 3), activation="relu", output="softmax", loss="cross_entropy", dtype="float32"
    ),
]


def deep_args(net):
    """The deep kernels' arguments for ``net``: codes, tuples of weights and scratch."""
    codes = [getattr(ref, name.upper()) for name in (net.activation, net.output, net.loss)]
    return codes, tuple(w.copy() for w in net.weights), tuple(b.copy() for b in net.biases)


# online SGD in float64, mini-batches in float32: each case compiles its own specialisations
@pytest.mark.parametrize("kind,batch_size", [(NETS[0], 1), (NETS[1], 3)], ids=["64", "32"])
def test_deep_kernels_match_reference(kind, batch_size):
    net = loopmlp.init_net(seed=2, **kind)
    dtype = np.dtype(kind["dtype"])
    rng = np.random.default_rng(2)
    X = rng.random((7, net.sizes[0])).astype(dtype)
    Y = np.eye(net.sizes[-1], dtype=dtype)[rng.integers(0, net.sizes[-1], 7)]
    (hidden, output, loss), weights, biases = deep_args(net)
    _, ref_weights, ref_biases = deep_args(net)
    acts, deltas, grad_w, grad_b = (tuple(a.copy() for a in s) for s in scratch(net))
    ref_acts, ref_deltas, ref_grad_w, ref_grad_b = scratch(net)

    nk.net_response(X[0], weights, biases, hidden, output, acts)
    ref.net_response(X[0], ref_weights, ref_biases, hidden, output, ref_acts)
    assert equal(acts, ref_acts)
    lrate = dtype.type(LRATE)
    nk.net_update(X[0], acts, Y[0], weights, biases, hidden, output, loss, lrate, deltas)
    ref.net_update(
        X[0], ref_acts, Y[0], ref_weights, ref_biases, hidden, output, loss, lrate, ref_deltas
    )
    assert equal(weights + biases, ref_weights + ref_biases)

    orders = np.array([rng.permutation(7) for _ in range(3)])
    losses = nk.net_train(
        X, Y, weights, biases, hidden, output, loss, lrate, orders, batch_size,
        acts, deltas, grad_w, grad_b,
    )  # fmt: skip
    ref_losses = ref.net_train(
        X, Y, ref_weights, ref_biases, hidden, output, loss, lrate, orders, batch_size,
        ref_acts, ref_deltas, ref_grad_w, ref_grad_b,
    )  # fmt: skip
    assert np.array_equal(losses, ref_losses) and losses.dtype == dtype
    assert equal(weights + biases, ref_weights + ref_biases)
    Y_hat = nk.net_predict(X, weights, biases, hidden, output)
    assert np.array_equal(Y_hat, ref.net_predict(X, weights, biases, hidden, output))


def scratch(net):
    return loopmlp.net.scratch(net)


# --- numba_kernels from a user's @njit code -------------------------------------------------


@numba.njit
def user_sgd(X, Y, wh, bh, wo, bo, lrate, num_epochs):
    """The lecture's train, written by a user around the per-sample kernels."""
    mses = np.zeros(num_epochs)
    for epoch in range(num_epochs):
        total = 0.0
        for n in range(X.shape[0]):
            hid, out = nk.neural_response(X[n], wh, bh, wo, bo)
            err = Y[n] - out
            sq_sum = 0.0
            for o in range(err.shape[0]):
                sq_sum += err[o] * err[o]
            total += sq_sum / err.shape[0]
            nk.update_network(X[n], hid, out, err, wh, bh, wo, bo, lrate)
        mses[epoch] = total / X.shape[0]
    return mses


@pytest.mark.parametrize("shape", [(2, 2, 1), (60, 6, 4)])
def test_user_njit_loop_matches_reference(shape):
    X, Y, w = make_case(shape, 9, seed=3)
    ours, theirs = copy(w), copy(w)
    assert np.array_equal(user_sgd(X, Y, *ours, LRATE, 4), ref.train(X, Y, *theirs, LRATE, 4))
    assert equal(ours, theirs)


@numba.njit(parallel=True)
def user_train_many(X, Y, wh, bh, wo, bo, lrate, num_epochs):
    mses = np.zeros((wh.shape[0], num_epochs))
    for k in numba.prange(wh.shape[0]):
        hid = np.zeros(1)  # a thread-private array, so the loop body is not hoisted
        mses[k] = nk.train(X, Y, wh[k], bh[k], wo[k], bo[k], lrate, num_epochs) + hid[0]
    return mses


def test_prange_nets_match_one_by_one():
    X, Y, _ = make_case((3, 4, 2), 6, seed=4)
    nets = [make_case((3, 4, 2), 6, seed=k)[2] for k in range(12)]
    wh, bh, wo, bo = (np.stack(ws) for ws in zip(*nets))
    mses = user_train_many(X, Y, wh, bh, wo, bo, LRATE, 5)
    for k, net in enumerate(nets):
        assert np.array_equal(mses[k], ref.train(X, Y, *net, LRATE, 5))
        assert equal((wh[k], bh[k], wo[k], bo[k]), net)


@numba.njit
def user_update(inp, hid, out, err, wh, bh, wo, bo, lrate):
    nk.update_network(inp, hid, out, err, wh, bh, wo, bo, lrate)


@numba.njit
def user_forward(X, wh, bh, wo, bo):
    return nk.neural_response(X[0], wh, bh, wo, bo)


def test_shape_errors_from_compiled_callers():
    X, Y, w = make_case((3, 4, 2), 2, seed=5)
    hid, out = ref.neural_response(X[0], *w)
    before = copy(w)
    bad = {
        "hid": (hid[:3].copy(), "hid has shape (3,), expected (4,)"),
        "err": (np.zeros(3), "err has shape (3,), expected (2,)"),
        "bh": (np.zeros(5), "bh has shape (5,), expected (4,)"),
        "wo": (np.zeros((2, 5)), "wo has shape (2, 5), expected (2, 4)"),
        "inp": (np.zeros(6)[::2], "inp must be C-contiguous"),
    }
    for name, (value, message) in bad.items():
        args = dict(inp=X[0], hid=hid, out=out, err=Y[0] - out, wh=w[0], bh=w[1], wo=w[2])
        args.update(bo=w[3], lrate=LRATE)
        args[name] = value
        with pytest.raises(ValueError, match="^" + re.escape(message)):
            user_update(**args)
        assert equal(w, before)
    with pytest.raises(ValueError, match="lrate must be finite and > 0"):
        user_update(X[0], hid, out, Y[0] - out, *w, np.nan)
    with pytest.raises(ValueError, match=r"^inp has shape \(2,\), expected \(3,\)"):
        user_forward(X[:, :2].copy(), *w)
    with pytest.raises(numba.core.errors.TypingError, match="bh must be a 1-D float64 array"):
        user_forward(X, w[0], w[1].astype(np.float32), w[2], w[3])
    net = loopmlp.init_net((3, 4, 2), seed=0)
    (hidden, output, _), weights, biases = deep_args(net)
    acts = scratch(net)[0]
    with pytest.raises(ValueError, match=r"^weights\[1\] has shape \(2, 5\), expected \(2, 4\)"):
        nk.net_response(X[0], (weights[0], np.zeros((2, 5))), biases, hidden, output, acts)
    with pytest.raises(ValueError, match=r"^acts\[0\] has shape \(3,\), expected \(4,\)"):
        nk.net_response(X[0], weights, biases, hidden, output, (np.zeros(3), acts[1]))
    with pytest.raises(ValueError, match="^output must be"):
        nk.net_response(X[0], weights, biases, hidden, 7, acts)


# --- A user's @njit(cache=True) function across processes -----------------------------------

USER_MODULE = """
import json, sys
import numba, numpy as np
import loopmlp
if len(sys.argv) > 1:
    loopmlp.__version__ = sys.argv[1]  # what an upgraded install would report
from loopmlp import numba_kernels as nk

@numba.njit(cache=True)
def fit(X, Y, wh, bh, wo, bo, lrate):
    for n in range(X.shape[0]):
        hid, out = nk.neural_response(X[n], wh, bh, wo, bo)
        nk.update_network(X[n], hid, out, Y[n] - out, wh, bh, wo, bo, lrate)

rng = np.random.default_rng(0)
X, Y = rng.random((5, 3)), rng.random((5, 2))
w = loopmlp.init_weights(3, 4, 2)
fit(X, Y, *w, 0.5)
stats = fit.stats
print(json.dumps(dict(hits=sum(stats.cache_hits.values()), misses=sum(stats.cache_misses.values()),
                      weights=[a.ravel().tolist() for a in w])))
"""


def test_user_cached_function_is_recompiled_for_another_loopmlp(tmp_path):
    (tmp_path / "user_fit.py").write_text(USER_MODULE)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))

    def run(*version):
        proc = subprocess.run(
            [sys.executable, "user_fit.py", *version],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return json.loads(proc.stdout.splitlines()[-1])

    rng = np.random.default_rng(0)
    X, Y = rng.random((5, 3)), rng.random((5, 2))
    w = list(loopmlp.init_weights(3, 4, 2))
    for n in range(5):
        hid, out = ref.neural_response(X[n], *w)
        ref.update_network(X[n], hid, out, Y[n] - out, *w, 0.5)
    expected = [a.ravel().tolist() for a in w]

    runs = [run(), run(), run("0.0.0+other"), run("0.0.0+other"), run()]
    assert [(r["hits"], r["misses"]) for r in runs] == [(0, 1), (1, 0), (0, 1), (1, 0), (0, 1)]
    assert all(r["weights"] == expected for r in runs)


# --- cimport loopmlp.cython_kernels from a user's extension -----------------------------------


@pytest.fixture(scope="module")
def user_extension(tmp_path_factory):
    """examples/cython_user built in a temporary folder against the installed loopmlp (its
    .pxd), as a user would build it, and imported. It needs a C compiler: the tests that use
    it are marked ``compiler``."""
    folder = tmp_path_factory.mktemp("cython_user")
    for name in ("train_many.pyx", "setup.py", "run.py"):
        shutil.copy(EXAMPLES / "cython_user" / name, folder)
    proc = subprocess.run(
        [sys.executable, "setup.py", "build_ext", "--inplace"],
        cwd=folder, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("train_many"), importlib.import_module("run")
    finally:
        sys.path.remove(str(folder))


@pytest.mark.compiler
def test_user_extension_example(user_extension):
    """The example's own checks: sgd and prange-trained nets equal the python reference."""
    _, example = user_extension
    example.main()


@pytest.mark.compiler
def test_user_extension_matches_reference(user_extension):
    module, _ = user_extension
    X, Y, w = make_case((60, 6, 4), 9, seed=6)
    ours, theirs = copy(w), copy(w)
    assert np.array_equal(module.sgd(X, Y, *ours, LRATE, 3), ref.train(X, Y, *theirs, LRATE, 3))
    assert equal(ours, theirs)
    assert equal(module.forward_raw(X[0], *ours), ref.neural_response(X[0], *theirs))


@pytest.mark.compiler
def test_prange_nets_match_one_by_one_cython(user_extension):
    module, _ = user_extension
    X, Y, _ = make_case((3, 4, 2), 6, seed=4)
    nets = [make_case((3, 4, 2), 6, seed=k)[2] for k in range(12)]
    wh, bh, wo, bo = (np.stack(ws) for ws in zip(*nets))
    mses = module.train_many(X, Y, wh, bh, wo, bo, np.full(12, LRATE), 5)
    for k, net in enumerate(nets):
        assert np.array_equal(mses[k], ref.train(X, Y, *net, LRATE, 5))
        assert equal((wh[k], bh[k], wo[k], bo[k]), net)


@pytest.mark.compiler
def test_shape_errors_from_cython_callers(user_extension):
    module, _ = user_extension
    X, Y, w = make_case((3, 4, 2), 5, seed=7)
    before = copy(w)
    with pytest.raises(ValueError, match=re.escape("inp has shape (2,), expected (3,)")):
        module.sgd(X[:, :2].copy(), Y, *w, LRATE, 2)
    with pytest.raises(ValueError, match=re.escape("Y has shape (5, 3), expected (5, 2)")):
        module.train_many(X, np.zeros((5, 3)), *(a[None] for a in w), np.ones(1), 2)
    with pytest.raises(ValueError, match=re.escape("bo has shape (1,), expected (2,)")):
        module.train_many(X, Y, *(a[None] for a in w[:3]), np.zeros((1, 1)), np.ones(1), 2)
    with pytest.raises(ValueError, match="lrate must be finite and > 0"):
        module.train_many(X, Y, *(a[None] for a in w), np.full(1, np.inf), 2)
    assert equal(w, before)


# --- The examples ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["numba_sgd.py", "numba_prange.py", "ctypes_call.py"])
def test_example(name):
    """Each example checks its own result against the python reference, bit for bit."""
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")


@pytest.mark.parametrize("lrate", [1e39, 1e-46], ids=["inf-in-float32", "zero-in-float32"])
def test_float32_lrate_is_checked_in_the_nets_dtype(lrate):
    # finite and > 0 as a double, but inf or 0 once rounded to float32: refused, weights kept
    net = loopmlp.init_net((3, 4, 2), seed=0, dtype="float32")
    (hidden, output, loss), weights, biases = deep_args(net)
    acts, deltas, grad_w, grad_b = (tuple(a.copy() for a in s) for s in scratch(net))
    X = np.random.default_rng(0).random((2, 3)).astype(np.float32)
    Y = np.eye(2, dtype=np.float32)
    before = [a.copy() for a in weights + biases]
    nk.net_response(X[0], weights, biases, hidden, output, acts)
    with pytest.raises(ValueError, match="lrate must be finite and > 0 in the net's dtype"):
        nk.net_update(X[0], acts, Y[0], weights, biases, hidden, output, loss, lrate, deltas)
    orders = np.array([[0, 1]])
    with pytest.raises(ValueError, match="lrate must be finite and > 0 in the net's dtype"):
        nk.net_train(
            X, Y, weights, biases, hidden, output, loss, lrate, orders, 1,
            acts, deltas, grad_w, grad_b,
        )  # fmt: skip
    assert equal(weights + biases, before)

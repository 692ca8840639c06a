"""Building on the kernels: ``loopmlp.numba_kernels`` from a user's ``@njit`` code,
``cimport loopmlp.cython_kernels`` from a user's Cython extension, the raw C functions from
``ctypes``, and the examples in ``examples/``.

"The same" here means bit-identical to the ``python`` reference (``np.array_equal``), as for
the ``numba`` and ``cython`` backends: these are their kernels, called from elsewhere.
"""

import dataclasses
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


@numba.njit(parallel=True)
def user_epoch_then_prange(X, Y, wh, bh, wo, bo, lrate, scaled):
    # train_epoch's checks read numba's thread count, and lowering a prange declares the same
    # symbol in this function's module: the two declarations must agree
    mse = nk.train_epoch(X, Y, wh, bh, wo, bo, lrate)
    for k in numba.prange(scaled.shape[0]):
        scaled[k] = mse * k
    return mse


def test_a_checked_kernel_beside_a_prange_in_one_function():
    X, Y, w = make_case((3, 4, 2), 6, seed=6)
    ours, theirs = copy(w), copy(w)
    scaled = np.zeros(5)
    mse = user_epoch_then_prange(X, Y, *ours, LRATE, scaled)
    assert mse == ref.train_epoch(X, Y, *theirs, LRATE)
    assert equal(ours, theirs) and np.array_equal(scaled, mse * np.arange(5))


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
    # an X of any layout compiles, and one that is not C-contiguous is refused by name
    with pytest.raises(ValueError, match="^X must be C-contiguous"):
        nk.net_predict(np.asfortranarray(X), weights, biases, hidden, output)


def test_numba_integer_arguments_are_checked():
    net = loopmlp.init_net((3, 4, 2), seed=0)
    (hidden, output, loss), weights, biases = deep_args(net)
    before = [a.copy() for a in weights + biases]
    X = np.random.default_rng(0).random((3, 3))
    Y = np.eye(2)[[0, 1, 0]]
    args = dict(X=X, Y=Y, weights=weights, biases=biases, hidden=hidden, output=output,
                loss=loss, lrate=LRATE, orders=np.array([[0, 2, 1]]), batch_size=1)  # fmt: skip

    def train(**changes):
        return nk.net_train(**dict(args, **changes), **dict(zip(SCRATCH, scratch(net))))

    typing = {
        "orders": (np.array([[0, 2, 1]], dtype=np.int32), "orders must be a 2-D int64 array"),
        "hidden": (1.0, "hidden must be an integer"),
        "loss": (0.0, "loss must be an integer"),
        "batch_size": (1.0, "batch_size must be an integer"),
    }
    for name, (value, message) in typing.items():
        with pytest.raises(numba.core.errors.TypingError, match=message):
            train(**{name: value})
    values = {
        "hidden": (ref.IDENTITY, "hidden must be SIGMOID, TANH or RELU, got 3"),
        "output": (5, "output must be SIGMOID, TANH, RELU, IDENTITY or SOFTMAX"),
        "loss": (-1, "loss must be MSE or CROSS_ENTROPY, got -1"),
        "orders": (np.array([[0, -1, 1]]), "orders holds row -1, outside X"),
    }
    for name, (value, message) in values.items():
        with pytest.raises(ValueError, match="^" + re.escape(message)):
            train(**{name: value})
    with pytest.raises(numba.core.errors.TypingError, match="num_epochs must be an integer"):
        nk.train(X, Y[:, :1].copy(), *loopmlp.init_weights(3, 2, 1), LRATE, 2.0)
    assert equal(weights + biases, before)


SCRATCH = ("acts", "deltas", "grad_w", "grad_b")


# --- A user's @njit(cache=True) function across processes -----------------------------------

USER_MODULE = """
import json, sys
import numba, numpy as np
import loopmlp
if sys.argv[1] != "-":
    loopmlp.__version__ = sys.argv[1]  # what an upgraded install would report
from loopmlp import numba_kernels as nk

@numba.njit(cache=True)
def fit(X, Y, wh, bh, wo, bo, lrate):
    for n in range(X.shape[0]):
        hid, out = nk.neural_response(X[n], wh, bh, wo, bo)
        nk.update_network(X[n], hid, out, Y[n] - out, wh, bh, wo, bo, lrate)

@numba.njit(cache=True)
def step(x, y, wh, bh, wo, bo, lrate):
    hid, out = nk.neural_response(x, wh, bh, wo, bo)
    nk.update_network(x, hid, out, y - out, wh, bh, wo, bo, lrate)

@numba.njit(cache=True)
def fit_by_steps(X, Y, wh, bh, wo, bo, lrate):  # calls the kernels through step only
    for n in range(X.shape[0]):
        step(X[n], Y[n], wh, bh, wo, bo, lrate)

rng = np.random.default_rng(0)
X, Y = rng.random((5, 3)), rng.random((5, 2))
report = {}
for name in sys.argv[2].split(","):
    function = globals()[name]
    w = loopmlp.init_weights(3, 4, 2)
    if name == "step":
        step(X[0], Y[0], *w, 0.5)
    else:
        function(X, Y, *w, 0.5)
    stats = function.stats
    report[name] = dict(hits=sum(stats.cache_hits.values()),
                        misses=sum(stats.cache_misses.values()),
                        weights=[a.ravel().tolist() for a in w])
print(json.dumps(report))
"""


def test_user_cached_function_is_recompiled_for_another_loopmlp(tmp_path):
    """A cached function over the kernels (fit), and one over a cached function over them
    (fit_by_steps over step), compiled while step comes from the cache: each runs again
    compiled, not stale, in a process with another loopmlp."""
    (tmp_path / "user_fit.py").write_text(USER_MODULE)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))

    def run(version, names):
        proc = subprocess.run(
            [sys.executable, "user_fit.py", version, names],
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

    both, other = "fit,fit_by_steps", "0.0.0+other"
    runs = [run("-", "step"), run("-", "step," + both), run(other, both), run(other, both)]
    runs.append(run("-", both))
    counts = [{name: (r["hits"], r["misses"]) for name, r in run.items()} for run in runs]
    assert counts == [
        {"step": (0, 1)},
        {"step": (1, 0), "fit": (0, 1), "fit_by_steps": (0, 1)},  # over a step from the cache
        {"fit": (0, 1), "fit_by_steps": (0, 1)},  # another loopmlp: both compiled again
        {"fit": (1, 0), "fit_by_steps": (1, 0)},
        {"fit": (0, 1), "fit_by_steps": (0, 1)},
    ]
    assert all(r["fit"]["weights"] == expected for r in runs[1:])
    assert all(r["fit_by_steps"]["weights"] == expected for r in runs[1:])


# --- cimport loopmlp.cython_kernels from a user's extension -----------------------------------


@pytest.fixture(scope="module")
def user_extension(tmp_path_factory):
    """examples/cython_user built in a temporary folder against the installed loopmlp (its
    .pxd), as a user would build it, and imported. It needs a C compiler: the tests that use
    it are marked ``compiler``."""
    folder = tmp_path_factory.mktemp("cython_user")
    for name in ("train_many.pyx", "deep_net.pyx", "setup.py", "run.py"):
        shutil.copy(EXAMPLES / "cython_user" / name, folder)
    proc = subprocess.run(
        [sys.executable, "setup.py", "build_ext", "--inplace"],
        cwd=folder, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("train_many"), importlib.import_module("run")
        sys.modules.pop("deep_net", None)
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


def flat(arrays):
    return np.concatenate([a.ravel() for a in arrays])


@pytest.fixture(scope="module")
def deep_net(user_extension):
    return importlib.import_module("deep_net")


def flat_case(sizes, dtype, activation="sigmoid", output="sigmoid", loss="mse", rows=6):
    """A deep net and data, as the checked Cython kernels take them: flat arrays, sizes."""
    net = loopmlp.init_net(
        sizes, activation=activation, output=output, loss=loss, seed=4, dtype=dtype
    )
    rng = np.random.default_rng(4)
    X = rng.random((rows, sizes[0])).astype(dtype)
    Y = np.eye(sizes[-1], dtype=dtype)[rng.integers(0, sizes[-1], rows)]
    codes = [getattr(ref, name.upper()) for name in (activation, output, loss)]
    return net, X, Y, codes


@pytest.mark.compiler
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_deep_checked_cython_kernels_match_reference(deep_net, dtype):
    net, X, Y, (hidden, output, loss) = flat_case((3, 5, 4, 2), dtype, "relu", "identity")
    sizes = np.array(net.sizes, dtype=np.intp)
    lrate = np.dtype(dtype).type(0.125)
    acts = flat(scratch(net)[0])
    deep_net.response(X[1], flat(net.weights), flat(net.biases), hidden, output, acts, sizes)
    ref_acts = scratch(net)[0]
    ref.net_response(X[1], net.weights, net.biases, hidden, output, ref_acts)
    assert np.array_equal(acts, flat(ref_acts))

    orders = np.array([[5, 0, 3, 1, 4, 2], [1, 1, 0, 2, 5, 4]])
    weights, biases = flat(net.weights), flat(net.biases)
    raw_w, raw_b = weights.copy(), biases.copy()
    losses = np.empty(2, dtype=dtype)
    work = [flat(a) for a in scratch(net)]
    deep_net.train(X, Y, weights, biases, hidden, output, loss, lrate, orders, 3, *work,
                   losses, sizes)  # fmt: skip
    ref_w, ref_b = list(copy(net.weights)), list(copy(net.biases))
    ref_losses = ref.net_train(
        X, Y, ref_w, ref_b, hidden, output, loss, lrate, orders, 3, *scratch(net)
    )
    assert np.array_equal(losses, ref_losses)
    assert np.array_equal(weights, flat(ref_w)) and np.array_equal(biases, flat(ref_b))
    if dtype == "float64":  # raw_net_train, on the same pointers the checked form makes
        raw_losses = np.empty(2)
        deep_net.train_raw(X, Y, raw_w, raw_b, hidden, output, loss, lrate, orders, 3, *work,
                           raw_losses, sizes)  # fmt: skip
        assert np.array_equal(raw_losses, ref_losses)
        assert np.array_equal(raw_w, weights) and np.array_equal(raw_b, biases)
    Y_hat = np.empty((6, 2), dtype=dtype)
    deep_net.predict(X, weights, biases, hidden, output, Y_hat, sizes)
    assert np.array_equal(Y_hat, ref.net_predict(X, ref_w, ref_b, hidden, output))


@pytest.mark.compiler
def test_deep_checked_cython_kernels_on_a_deep_net(deep_net):
    # deeper than the layers' pointers kept on the stack (16): the allocated ones
    net, X, Y, (hidden, output, loss) = flat_case((3,) * 20 + (2,), "float64", "tanh")
    sizes = np.array(net.sizes, dtype=np.intp)
    weights, biases = flat(net.weights), flat(net.biases)
    acts, deltas = flat(scratch(net)[0]), flat(scratch(net)[1])
    orders = np.array([[2, 0, 1]])
    deep_net.sgd(X, Y, weights, biases, hidden, output, loss, LRATE, orders, acts, deltas, sizes)
    ref_w, ref_b = list(copy(net.weights)), list(copy(net.biases))
    ref.net_train(X, Y, ref_w, ref_b, hidden, output, loss, LRATE, orders, 1, *scratch(net))
    assert np.array_equal(weights, flat(ref_w)) and np.array_equal(biases, flat(ref_b))


@pytest.mark.compiler
def test_deep_checked_cython_kernels_refuse_bad_arguments(deep_net):
    net, X, Y, (hidden, output, loss) = flat_case((3, 4, 2), "float64")
    sizes = np.array(net.sizes, dtype=np.intp)
    weights, biases = flat(net.weights), flat(net.biases)
    acts, deltas, grad_w, grad_b = (flat(a) for a in scratch(net))
    before = weights.copy(), biases.copy()
    train = dict(X=X, Y=Y, weights=weights, biases=biases, hidden=hidden, output=output,
                 loss=loss, lrate=LRATE, orders=np.array([[0, 1, 2]]), batch_size=1,
                 acts=acts, deltas=deltas, grad_w=grad_w, grad_b=grad_b, losses=np.empty(1),
                 sizes=sizes)  # fmt: skip
    bad = {
        "weights": (weights[:-1], "weights has shape (19,), expected (20,)"),
        "grad_w": (np.empty(23), "grad_w has shape (23,), expected (20,)"),
        "biases": (np.empty(5), "biases has shape (5,), expected (6,)"),
        "deltas": (np.empty(2), "deltas has shape (2,), expected (6,)"),
        # layers that do not fit: 3-4-2 has 20 weights, 3-3-3 has 18
        "sizes": (np.array([3, 3, 3]), "weights has shape (20,), expected (18,)"),
        "X": (np.empty((0, 3)), "X is empty"),
        "Y": (np.empty((6, 3)), "Y has shape (6, 3), expected (6, 2)"),
        "losses": (np.empty(2), "losses has shape (2,), expected (1,)"),
        "hidden": (ref.SOFTMAX, "hidden must be SIGMOID, TANH or RELU (0 to 2), got 4"),
        "output": (-1, "output must be SIGMOID, TANH, RELU, IDENTITY or SOFTMAX"),
        "loss": (2, "loss must be MSE or CROSS_ENTROPY (0 or 1), got 2"),
        "lrate": (np.inf, "lrate must be finite and > 0"),
        "batch_size": (0, "batch_size must be >= 1, got 0"),
        "orders": (np.array([[0, 6]]), "orders[0, 1] is row 6, but X has 6 rows"),
    }
    for name, (value, message) in bad.items():
        with pytest.raises(ValueError, match="^" + re.escape(message)):
            deep_net.train(**dict(train, **{name: value}))
        assert np.array_equal(weights, before[0]) and np.array_equal(biases, before[1])
    bad_sizes = {
        "sizes[1] is 0: every layer needs a node": np.array([3, 0, 2]),
        "sizes has shape (1,)": np.array([3]),
        "sizes are too large": np.array([2**40, 2**40, 1]),
    }
    for message, value in bad_sizes.items():
        with pytest.raises(ValueError, match="^" + re.escape(message)):
            deep_net.train(**dict(train, sizes=value))
    with pytest.raises(ValueError, match="^CROSS_ENTROPY needs a SIGMOID or SOFTMAX output"):
        deep_net.train(**dict(train, loss=ref.CROSS_ENTROPY, output=ref.TANH))
    # a float32 lrate that is inf (1e39) or 0 (1e-46) once rounded
    net32, X32, Y32, _ = flat_case((3, 4, 2), "float32")
    w32, b32 = flat(net32.weights), flat(net32.biases)
    work32 = [flat(a) for a in scratch(net32)]
    for lrate in (1e39, 1e-46):
        with pytest.raises(ValueError, match="^lrate must be finite and > 0 in the net's dtype"):
            deep_net.train(X32, Y32, w32, b32, hidden, output, loss, lrate, np.array([[0]]), 1,
                           *work32, np.empty(1, np.float32), sizes)  # fmt: skip
    assert np.array_equal(w32, flat(net32.weights))
    # the dtypes and layouts Cython's memoryviews take: refused before the call
    for name, value, message in [
        ("orders", np.array([[0, 1]], dtype=np.int32), "Buffer dtype mismatch"),
        ("orders", np.zeros((2, 2), dtype=np.int64)[:, :1], "ndarray is not C-contiguous"),
        ("weights", np.zeros(40)[::2], "ndarray is not C-contiguous"),
        ("sizes", np.array([3.0, 4.0, 2.0]), "Buffer dtype mismatch"),
    ]:
        with pytest.raises(ValueError, match=message):
            deep_net.train(**dict(train, **{name: value}))
    assert np.array_equal(weights, before[0]) and np.array_equal(biases, before[1])
    with pytest.raises(ValueError, match=r"^acts has shape \(5,\), expected \(6,\)"):
        deep_net.response(X[0], weights, biases, hidden, output, np.empty(5), sizes)
    with pytest.raises(ValueError, match=r"^inp has shape \(2,\), expected \(3,\)"):
        deep_net.sgd(X[:, :2].copy(), Y, weights, biases, hidden, output, loss, LRATE,
                     np.array([[0]]), acts, deltas, sizes)  # fmt: skip
    with pytest.raises(ValueError, match="^X contains NaN or inf"):
        deep_net.predict(np.full((2, 3), np.nan), weights, biases, hidden, output,
                         np.empty((2, 2)), sizes)  # fmt: skip
    assert np.array_equal(weights, before[0]) and np.array_equal(biases, before[1])


def test_call_workloads_match_reference():
    """loopmlp bench's call rows: each route's kernels (the compiled loops shipped for the
    bench among them) give the python reference's bits."""
    from loopmlp.workloads import CALL_ROUTES, CALL_WORKLOADS

    assert {w.route for w in CALL_WORKLOADS} == set(CALL_ROUTES)
    for w in CALL_WORKLOADS:
        assert w.check(), w.group
    # the loops make their calls: 3 steps of update_network are not 1
    w = next(w for w in CALL_WORKLOADS if w.kernel == "update_network" and w.net == "xor")
    for route in ("njit loop -> numba_kernels", "cython loop -> cython_kernels"):
        loop = dataclasses.replace(w, route=route, calls=3)
        call, calls = loop.function()
        args = list(loop.setup())
        args[-1] = LRATE
        expected = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        call(*args)
        for _ in range(3):
            ref.update_network(*expected)
        assert calls == 3 and equal(args[4:8], expected[4:8])


def test_bench_call_rows(tmp_path, capsys):
    """--workloads calls: the call rows of the routes through the chosen backends only."""
    from loopmlp import benchreport

    args = ["--quick", "--repeat", "1", "--out", str(tmp_path), "--workloads", "calls"]
    assert benchreport.main([*args, "--backends", "python,cython"]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["results"] == [] and report["startup"] == []
    routes = {(r["kernel"], r["net"], r["route"]) for r in report["calls"]}
    assert routes == {
        (kernel, net, route)
        for kernel in ("neural_response", "update_network")
        for net in ("2-2-1", "60-6-4")
        for route in ("python -> Backend cython", "cython loop -> cython_kernels")
    }
    assert all(r["bit_identical"] and r["ns_min"] > 0 for r in report["calls"])
    assert "## Calls: one call of a per-sample kernel" in (tmp_path / "report.md").read_text()
    assert "cython loop -> cython_kernels" in capsys.readouterr().out


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

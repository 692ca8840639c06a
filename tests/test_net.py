"""Deep nets: every backend's ``net_*`` kernels compute what the reference computes.

``ref`` is the ``python`` backend (a loop over layers around the lecture's loops over
nodes), ``comp`` the backend under test, both called through the public API on copies of
the same seeded net and data. How close is "the same" is stated once, in ``TOLERANCE``.
Beyond agreement: a float64 net with one sigmoid hidden layer and the mse loss is the
lecture's net bit for bit, float32 nets round every operation to float32, every step is
minus the learning rate times a central-difference gradient, and two of the lecture's nets
learn.
"""

import copy
import functools
import math
import re
import types

import numpy as np
import pytest
from conftest import make_case
from hypothesis import given, settings
from hypothesis import strategies as st

import loopmlp
import loopmlp.net as loopmlp_net
from loopmlp.kernels import _exp

NET_BACKENDS = loopmlp.BACKENDS
DTYPES = ("float64", "float32")

# (rtol, atol) against the reference, per backend and dtype, with the reason.
TOLERANCE = {
    # The loop backends run the reference's loops: same operations in the same order, in the
    # net's dtype, no FMA, no reassociation, the C library's double exp/log/tanh rounded to
    # the dtype. Anything but bit-identity is a bug.
    **{(name, dtype): (0.0, 0.0) for name in ("python", "numba", "cython") for dtype in DTYPES},
    # BLAS sums each layer's dot products in its own order (blocked, SIMD) and np.exp,
    # np.log, np.tanh are NumPy's own: last-bit differences per sum, which training carries
    # on and a deep net amplifies (weights x3, a width-1 layer, 2 epochs at lrate 0.3).
    # Measured as max |comp - ref| / (1 + |ref|): forward passes <= 2.7e-14 (saturated
    # 60-60-60-4), one update <= 4.3e-17, 2 epochs of training <= 1.8e-13 on CASES and
    # <= 1.2e-12 on 18,000 nets like the property test's. 1e-10 leaves 80x room.
    ("numpy", "float64"): (1e-10, 1e-10),
    # The same growth in float32 ulps: float32's unit roundoff is 2**29 = 5.4e8 times
    # float64's, and NumPy's float32 exp, log and tanh are float32 functions (a few ulps from
    # the double ones rounded). Measured as above: forward passes <= 9.5e-6 (saturated
    # 60-60-60-4), one update <= 1.2e-8, training <= 2.2e-5 on CASES and <= 1.0e-4 on
    # 18,000 property-test nets (on those with scale 1: <= 1.9e-7). 1.2e-12 (float64's
    # worst) times 5.4e8 is 6.5e-4: 1e-3 allows float64's amplification in float32.
    ("numpy", "float32"): (1e-3, 1e-3),
}

ACTIVATIONS = ("sigmoid", "tanh", "relu")
OUTPUT_LOSS = (
    ("sigmoid", "mse"),
    ("identity", "mse"),
    ("sigmoid", "cross_entropy"),
    ("softmax", "cross_entropy"),
)
COMBOS = [(activation, output, loss) for activation in ACTIVATIONS for output, loss in OUTPUT_LOSS]


def assert_same(name, dtype, comp, ref):
    rtol, atol = TOLERANCE[name, dtype]
    assert len(comp) == len(ref)
    for c, r in zip(comp, ref, strict=True):
        c, r = np.asarray(c), np.asarray(r)
        assert c.dtype == r.dtype == np.dtype(dtype), (c.dtype, r.dtype)
        assert c.shape == r.shape
        if rtol == atol == 0.0:
            assert np.array_equal(c, r, equal_nan=True), (
                f"{name}: max |diff| {np.nanmax(np.abs(c - r))}"
            )
        else:
            np.testing.assert_allclose(c, r, rtol=rtol, atol=atol)


# ----------------------------------------------------------------------------------------
# Seeded nets and data
# ----------------------------------------------------------------------------------------


# ----------------------------------------------------------------------------------------
# Both modes: every test that takes a backend runs with the default two roundings and in the
# FMA mode (init_net(fma=True)), whose reference is the exact fma; the same tolerances hold
# (numpy: BLAS fuses in either mode). Not the tests that compare with the lecture's own
# kernels or with float32 arithmetic by hand: those are about the lecture's two roundings.
# ----------------------------------------------------------------------------------------
DEFAULT_MODE_ONLY = {
    "test_net_train_is_the_lectures_train",
    "test_net_response_and_update_are_the_lectures",
    "test_float32_rounds_every_operation",
}
# Whether the nets learn: in the FMA mode on the compiled backends only. The reference's
# exact fma is a Python function (about 1 us a call against 0.1 us for a * b + c), which
# makes these trainings ten times longer; the tests above show its bits are numba's and
# cython's.
MODES = ("default", "fma")
MODE = {"fma": False}


LEARNING_RUNS = [(m, b) for m in MODES for b in NET_BACKENDS if (m, b) != ("fma", "python")]


def pytest_generate_tests(metafunc):
    name = metafunc.function.__name__
    if "backend" in metafunc.fixturenames and name not in DEFAULT_MODE_ONLY:
        metafunc.parametrize("mode", MODES, indirect=True)


@pytest.fixture(autouse=True)
def mode(request, monkeypatch):
    """The mode of every net the test makes: ``make_net``'s and ``init_net``'s."""
    fma = getattr(request, "param", "default") == "fma"
    monkeypatch.setitem(MODE, "fma", fma)
    if fma:
        init_net = functools.partial(loopmlp_net.init_net, fma=True)
        monkeypatch.setattr(loopmlp, "init_net", init_net)
    return request.param if fma else "default"


def make_net(sizes, combo, dtype="float64", seed=0, scale=1.0):
    """A seeded net: init_net's scaled weights (or the lecture's times ``scale``, for
    saturated units), biases uniform in [-scale/2, scale/2), in ``dtype``; in the test's
    mode."""
    activation, output, loss = combo
    init = "scaled" if scale == 1.0 else "lecture"
    net = loopmlp.init_net(sizes, activation, output, loss, seed=seed, init=init)
    net.fma = MODE["fma"]
    rng = np.random.default_rng(seed + 1000)
    net.weights = [(scale * w if scale != 1.0 else w).astype(dtype) for w in net.weights]
    net.biases = [(scale * rng.uniform(-0.5, 0.5, b.shape)).astype(dtype) for b in net.biases]
    net.dtype = np.dtype(dtype)
    return net


def make_data(sizes, combo, n, seed):
    """Inputs in [0, 1) and targets the output can reach: in [0, 1] for sigmoid (with some
    exact 0s and 1s, whose log terms cross-entropy skips), distributions for softmax (one-hot
    and not), any real for identity. float64: the wrappers convert to the net's dtype."""
    _, output, _ = combo
    rng = np.random.default_rng(seed)
    X = rng.random((n, sizes[0]))
    if output == "sigmoid":
        Y = rng.random((n, sizes[-1]))
        Y[::2, ::2] = np.round(Y[::2, ::2])
    elif output == "softmax":
        Y = rng.dirichlet(np.ones(sizes[-1]), n)
        Y[::2] = np.eye(sizes[-1])[rng.integers(0, sizes[-1], Y[::2].shape[0])]
    else:
        Y = rng.standard_normal((n, sizes[-1]))
    return X, Y


def arrays(net):
    return [*net.weights, *net.biases]


# Pure Python costs about 0.5 us per weight and sample: big nets get few rows.
def rows_for(sizes):
    n_weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    return 2 if n_weights > 100_000 else 4 if n_weights > 5_000 else 9


# (sizes, combo, dtype, scale). Every combination on a net with two hidden layers and, per
# output, with none; a range of shapes from 1-1-1 to 784-512-10 and up to three hidden
# layers, each with a different combination; saturated units (the lecture's weights x100:
# net inputs far beyond +-40, past exp's overflow in float32), where they saturate:
# sigmoid and tanh hidden units, sigmoid and softmax outputs.
SWEEP = [
    ((1, 1), ("sigmoid", "sigmoid", "mse")),
    ((3, 2), ("relu", "softmax", "cross_entropy")),
    ((1, 1, 1), ("tanh", "identity", "mse")),
    ((4, 5, 3), ("relu", "sigmoid", "cross_entropy")),
    ((2, 3, 4, 2), ("sigmoid", "softmax", "cross_entropy")),
    ((5, 4, 3, 4, 3), ("tanh", "sigmoid", "mse")),
    ((64, 32, 10), ("relu", "softmax", "cross_entropy")),
    ((60, 60, 60, 4), ("sigmoid", "sigmoid", "mse")),  # the lecture's two hidden layers
    ((16, 512, 3), ("tanh", "sigmoid", "cross_entropy")),
    ((784, 512, 10), ("relu", "softmax", "cross_entropy")),  # the lecture's Keras MNIST net
]
SATURATED = [
    ("sigmoid", "sigmoid", "mse"),
    ("tanh", "softmax", "cross_entropy"),
    ("sigmoid", "sigmoid", "cross_entropy"),
    ("tanh", "sigmoid", "mse"),
]
CASES = (
    [((3, 4, 5, 3), combo, dtype, 1.0) for combo in COMBOS for dtype in DTYPES]
    + [
        ((3, 2), ("relu", output, loss), dtype, 1.0)
        for output, loss in OUTPUT_LOSS
        for dtype in DTYPES
    ]
    + [(shape, combo, dtype, 1.0) for shape, combo in SWEEP for dtype in DTYPES]
    + [
        (shape, combo, dtype, 100.0)
        for shape, combo in zip([(4, 5, 3), (2, 3, 4, 2), (64, 32, 10), (60, 60, 60, 4)], SATURATED)
        for dtype in DTYPES
    ]
    + [((784, 512, 10), SATURATED[0], "float64", 100.0)]
)


def case_id(case):
    sizes, combo, dtype, scale = case
    return (
        "-".join(map(str, sizes))
        + "-"
        + "/".join(combo)
        + "-"
        + dtype
        + ("-saturated" if scale != 1.0 else "")
    )


@pytest.fixture(params=NET_BACKENDS)
def backend(request):
    return loopmlp.get_backend(request.param)


def run(name, case, kernel, *options):
    """``kernel`` of backend ``name`` on a fresh copy of ``case``, in the test's mode: what
    it produced, and the net's arrays after it. Cached, so the reference runs once per case
    and mode, not per backend."""
    return _run(MODE["fma"], name, case, kernel, *options)


@functools.cache
def _run(fma, name, case, kernel, *options):
    sizes, combo, dtype, scale = case
    k = loopmlp.get_backend(name)
    seed = sum(sizes) + len(sizes)
    net = make_net(sizes, combo, dtype, seed=seed, scale=scale)
    X, Y = make_data(sizes, combo, rows_for(sizes), seed=seed + 1)
    if kernel == "net_response":
        produced = k.net_response(net, X[-1])
    elif kernel == "net_update":
        acts = loopmlp.get_backend("python").net_response(net, X[0])  # the same acts for all
        assert k.net_update(net, X[0], acts, Y[0], 0.1) is None
        produced = []
    elif kernel == "net_train":
        batch_size, shuffle_seed, epochs = options
        produced = [
            k.net_train(net, X, Y, 0.1, epochs, batch_size=batch_size, shuffle_seed=shuffle_seed)
        ]
    else:
        produced = [k.net_predict(net, X)]
    return list(produced) + arrays(net)


def compare(backend, case, kernel, *options):
    ref = run("python", case, kernel, *options)
    comp = run(backend.name, case, kernel, *options)
    assert_same(backend.name, case[2], comp, ref)
    return comp


# ----------------------------------------------------------------------------------------
# Agreement with the reference
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_net_response(backend, case):
    acts = compare(backend, case, "net_response")
    sizes = case[0]
    assert [a.shape for a in acts[: len(sizes) - 1]] == [(n,) for n in sizes[1:]]


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_net_update(backend, case):
    compare(backend, case, "net_update")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_net_predict(backend, case):
    Y_hat = compare(backend, case, "net_predict")[0]
    sizes = case[0]
    assert Y_hat.shape == (rows_for(sizes), sizes[-1])
    # predict is net_response row by row (the last row: the response test's input)
    assert_same(
        backend.name, case[2], [Y_hat[-1]], [run("python", case, "net_response")[len(sizes) - 2]]
    )


# net_predict's blocking: more rows than a parallel block (64) and a pass (8, with a short
# last one), more inputs than a chunk of the AVX-512 build's passes (128, with a short last
# one), and an odd number of panels of 8 (float64's, taken two at a time there).
BLOCKED = ((600, 24, 10), ("relu", "softmax", "cross_entropy"))


@functools.cache
def _blocked(fma, name, dtype):
    net = make_net(*BLOCKED, dtype, seed=5)
    X, _ = make_data(*BLOCKED, 75, seed=6)
    return loopmlp.get_backend(name).net_predict(net, X)


@pytest.mark.parametrize("dtype", DTYPES)
def test_net_predict_blocked(backend, dtype):
    comp = _blocked(MODE["fma"], backend.name, dtype)
    assert_same(backend.name, dtype, [comp], [_blocked(MODE["fma"], "python", dtype)])


# more blocks of rows than net_predict's groups (numba: one a thread, each of several
# blocks, the last one short), through two hidden layers, the second wider than the first;
# against the reference's net_response row by row, so that the reference's own net_predict
# is checked too. Then a NaN in the last row: the last block must see it.
GROUPED = ((3, 4, 9, 2), ("sigmoid", "sigmoid", "mse"))


@functools.cache
def _rows_one_by_one(fma):
    from loopmlp.kernels import _rearranged

    net = make_net(*GROUPED, "float64", seed=8)
    rows = 5 * _rearranged.PREDICT_BLOCK - 3
    X, _ = make_data(*GROUPED, rows, seed=9)
    reference = loopmlp.get_backend("python")
    return net, X, np.array([reference.net_response(net, x)[-1] for x in X])


def test_net_predict_in_groups_of_blocks(backend):
    net, X, Y_hat = _rows_one_by_one(MODE["fma"])
    assert_same(backend.name, "float64", [backend.net_predict(net, X)], [Y_hat])
    X = X.copy()
    X[-1, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or inf"):
        backend.net_predict(net, X)


# batch sizes: online (1), 3 (the last batch shorter: 9 or 4 rows), more than the rows;
# rows in order and shuffled; 2 epochs. Big nets: one of these each (pure Python cost).
TRAIN_OPTIONS = [
    (batch_size, shuffle_seed) for batch_size in (1, 3, 50) for shuffle_seed in (None, 7)
]
TRAIN_CASES = [
    (case, batch_size, shuffle_seed)
    for j, case in enumerate(CASES)
    for batch_size, shuffle_seed in (
        TRAIN_OPTIONS if rows_for(case[0]) > 2 else [TRAIN_OPTIONS[j % 6]]
    )
]


@pytest.mark.parametrize(
    "case, batch_size, shuffle_seed",
    TRAIN_CASES,
    ids=[f"{case_id(c)}-batch{b}-{'shuffled' if s else 'ordered'}" for c, b, s in TRAIN_CASES],
)
def test_net_train(backend, case, batch_size, shuffle_seed):
    epochs = 2 if rows_for(case[0]) > 2 else 1
    losses = compare(backend, case, "net_train", batch_size, shuffle_seed, epochs)[0]
    assert losses.shape == (epochs,)


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=5),
    combo=st.sampled_from(COMBOS),
    dtype=st.sampled_from(DTYPES),
    n=st.integers(1, 6),
    batch_size=st.integers(1, 7),
    shuffle_seed=st.one_of(st.none(), st.integers(0, 2**32 - 1)),
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1.0, 3.0]),
    lrate=st.floats(1e-3, 0.3),
)
def test_backends_agree_property(
    sizes, combo, dtype, n, batch_size, shuffle_seed, seed, scale, lrate
):
    X, Y = make_data(sizes, combo, n, seed)
    results = {}
    for name in NET_BACKENDS:
        k = loopmlp.get_backend(name)
        net = make_net(sizes, combo, dtype, seed=seed, scale=scale)
        losses = k.net_train(net, X, Y, lrate, 2, batch_size=batch_size, shuffle_seed=shuffle_seed)
        results[name] = [losses, k.net_predict(net, X)] + arrays(net)
    for name in NET_BACKENDS:
        assert_same(name, dtype, results[name], results["python"])


# ----------------------------------------------------------------------------------------
# The lecture's net, bit for bit
# ----------------------------------------------------------------------------------------


def lecture_net(w):
    """The lecture's ``wh, bh, wo, bo`` as a Net: sigmoid, sigmoid, mse, float64 (copies)."""
    wh, bh, wo, bo = (a.copy() for a in w)
    return loopmlp.Net((wh.shape[1], wh.shape[0], wo.shape[0]), [wh, wo], [bh, bo])


def lecture_arrays(net):
    return [net.weights[0], net.biases[0], net.weights[1], net.biases[1]]


LECTURE_CASES = [
    ((1, 1, 1), 1.0),
    ((3, 5, 2), 1.0),
    ((60, 6, 4), 1.0),
    ((64, 32, 10), 1.0),
    ((4, 17, 3), 3.0),
    ((3, 5, 2), 100.0),
]


def general_net_train(backend, net, X, Y, lrate, epochs, shuffle_seed=None):
    """The backend's general net_train kernel itself: Backend.net_train hands the lecture's
    net to the lecture's ``train`` instead (its fast path), so this is how to reach it."""
    from loopmlp import net as net_module

    X, Y, weights, biases, activation, output, loss, lrate, epochs, batch_size = (
        net_module.check_train(net, X, Y, lrate, epochs, 1, shuffle_seed)
    )
    scratch = net_module.scratch(net)
    with np.errstate(over="ignore"):
        return np.concatenate(
            [
                backend._k.net_train(
                    X,
                    Y,
                    weights,
                    biases,
                    activation,
                    output,
                    loss,
                    lrate,
                    orders,
                    batch_size,
                    *scratch,
                )
                for orders in net_module.orders(X.shape[0], epochs, shuffle_seed)
            ]
        )


@pytest.mark.parametrize("shape, scale", LECTURE_CASES, ids=str)
def test_net_train_is_the_lectures_train(backend, shape, scale):
    """sizes [a, b, c], sigmoid/sigmoid/mse, online, rows in order, float64: ``train``'s
    epoch MSEs and weights (bit for bit for the loop backends), from the general kernel and
    from Backend.net_train (which takes the lecture's kernel for this net)."""
    X, Y, w = make_case(shape, 12, seed=sum(shape), scale=scale)
    ref = loopmlp.get_backend("python")
    ref_w = [a.copy() for a in w]
    mses = ref.train(X, Y, *ref_w, 0.1, 3)
    for train in (backend.net_train, functools.partial(general_net_train, backend)):
        net = lecture_net(w)
        losses = train(net, X, Y, 0.1, 3)
        assert_same(backend.name, "float64", [losses] + lecture_arrays(net), [mses] + ref_w)
    # one epoch: train_epoch
    net = lecture_net(w)
    losses = backend.net_train(net, X, Y, 0.1, 1)
    ref_w = [a.copy() for a in w]
    mse = ref.train_epoch(X, Y, *ref_w, 0.1)
    assert_same(
        backend.name, "float64", [losses[0]] + lecture_arrays(net), [np.float64(mse)] + ref_w
    )
    # shuffled: the lecture's kernel on each epoch's rows equals the general kernel
    nets = [lecture_net(w), lecture_net(w)]
    fast = backend.net_train(nets[0], X, Y, 0.1, 3, shuffle_seed=4)
    general = general_net_train(backend, nets[1], X, Y, 0.1, 3, shuffle_seed=4)
    assert_same(
        backend.name,
        "float64",
        [fast] + lecture_arrays(nets[0]),
        [general] + lecture_arrays(nets[1]),
    )


@pytest.mark.parametrize("shape, scale", LECTURE_CASES, ids=str)
def test_net_response_and_update_are_the_lectures(backend, shape, scale):
    X, Y, w = make_case(shape, 2, seed=sum(shape), scale=scale)
    ref = loopmlp.get_backend("python")
    net = lecture_net(w)
    acts = backend.net_response(net, X[0])
    hid, out = ref.neural_response(X[0], *w)
    assert_same(backend.name, "float64", acts, [hid, out])
    backend.net_update(net, X[0], [hid, out], Y[0], 0.1)
    ref_w = [a.copy() for a in w]
    ref.update_network(X[0], hid, out, Y[0] - out, *ref_w, 0.1)
    assert_same(backend.name, "float64", lecture_arrays(net), ref_w)
    assert_same(backend.name, "float64", [backend.net_predict(net, X)], [ref.predict(X, *ref_w)])


# ----------------------------------------------------------------------------------------
# float32: every operation rounds to float32
# ----------------------------------------------------------------------------------------


def forward_float32_by_hand(inp, net):
    """The reference's float32 forward pass, computed independently: each sum in index order
    by np.cumsum in float32 (a running sum), the bias added after it, and the sigmoid as
    1 / (1 + e) in float32 with e the double exp of -val rounded to float32."""
    f32 = np.float32
    prev, acts = inp.astype(f32), []
    for w, b in zip(net.weights, net.biases):
        val = np.array([np.cumsum(prev * w[o])[-1] + b[o] for o in range(w.shape[0])], f32)
        e = np.array([_exp.exp(-float(v)) for v in val]).astype(f32)
        prev = f32(1) / (f32(1) + e)
        acts.append(prev)
    return acts


def test_float32_rounds_every_operation(backend):
    net32 = make_net((64, 32, 10), ("sigmoid", "sigmoid", "mse"), "float32", seed=3)
    net64 = copy.deepcopy(net32)  # the same float32 values, computed in float64
    net64.weights = [w.astype(np.float64) for w in net64.weights]
    net64.biases = [b.astype(np.float64) for b in net64.biases]
    net64.dtype = np.dtype(np.float64)
    X, Y = make_data((64, 32, 10), ("sigmoid", "sigmoid", "mse"), 3, seed=4)
    inp = X[0].astype(np.float32)
    acts32 = backend.net_response(net32, inp)
    acts64 = backend.net_response(net64, inp)
    assert all(a.dtype == np.float32 for a in acts32)
    # the reference's loops, by hand, in float32
    assert_same(backend.name, "float32", acts32, forward_float32_by_hand(inp, net32))
    # ... which is not float64 rounded once at the end: some results differ from that
    rounded = [a.astype(np.float32) for a in acts64]
    assert any(np.any(a != r) for a, r in zip(acts32, rounded))
    # float32's precision, not float64's: relative differences of about 1e-7
    rel = max(np.max(np.abs(a - b) / np.abs(b)) for a, b in zip(acts32, acts64))
    assert 1e-9 < rel < 1e-5, rel
    # everything a float32 net produces is float32
    losses = backend.net_train(net32, X, Y, 0.1, 2, batch_size=2)
    assert losses.dtype == np.float32
    assert backend.net_predict(net32, X).dtype == np.float32
    assert all(a.dtype == np.float32 for a in arrays(net32))


# ----------------------------------------------------------------------------------------
# Each step is minus lrate times the gradient (central differences, float64)
# ----------------------------------------------------------------------------------------


def mean_loss(net, X, Y):
    """The mean over the rows of E, computed from the math, independently of every backend:
    E = 1/2 sum_k (y_k - o_k)^2 (mse; its gradient is the lecture's delta), -sum_k y_k log o_k
    (softmax), -sum_k [y_k log o_k + (1 - y_k) log(1 - o_k)] (sigmoid cross-entropy)."""
    functions = {
        "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
        "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0),
        "identity": lambda z: z,
        "softmax": lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True),
    }
    act = X
    for layer, (w, b) in enumerate(zip(net.weights, net.biases)):
        last = layer == len(net.weights) - 1
        act = functions[net.output if last else net.activation](act @ w.T + b)
    if net.loss == "mse":
        E = 0.5 * np.sum((Y - act) ** 2, axis=1)
    elif net.output == "softmax":
        E = -np.sum(Y * np.log(act), axis=1)
    else:
        E = -np.sum(Y * np.log(act) + (1 - Y) * np.log(1 - act), axis=1)
    return np.mean(E)


def numerical_gradient(net, X, Y, h=1e-6):
    grads = []
    for a in arrays(net):
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            old = a[idx]
            a[idx] = old + h
            e_plus = mean_loss(net, X, Y)
            a[idx] = old - h
            e_minus = mean_loss(net, X, Y)
            a[idx] = old
            g[idx] = (e_plus - e_minus) / (2 * h)
        grads.append(g)
    return grads


GRADIENT_CASES = [((3, 4, 3, 2), combo) for combo in COMBOS] + [
    ((3, 2), ("relu", output, loss)) for output, loss in OUTPUT_LOSS
]


@pytest.mark.parametrize(
    "sizes, combo",
    GRADIENT_CASES,
    ids=["-".join(map(str, s)) + "-" + "/".join(c) for s, c in GRADIENT_CASES],
)
@pytest.mark.parametrize("step", ["net_update", "mini-batch"])
def test_step_is_minus_lrate_times_central_difference_gradient(backend, sizes, combo, step):
    net = make_net(sizes, combo, seed=5, scale=1.0)
    X, Y = make_data(sizes, combo, 4, seed=6)
    if step == "net_update":  # one sample
        X, Y = X[:1], Y[:1]
    lrate = 0.25
    grads = numerical_gradient(net, X, Y)
    old = [a.copy() for a in arrays(net)]
    if step == "net_update":
        acts = backend.net_response(net, X[0])
        backend.net_update(net, X[0], acts, Y[0], lrate)
    else:  # the 4 rows in one batch: one step with their mean gradient
        backend.net_train(net, X, Y, lrate, 1, batch_size=4)
    for new, before, g in zip(arrays(net), old, grads):
        # central differences with h = 1e-6 are accurate to ~1e-10 here; a step rounds to
        # ~1e-16 of the weights, divided by lrate
        np.testing.assert_allclose((new - before) / lrate, -g, rtol=0, atol=1e-8)
        assert np.any(new != before)


# ----------------------------------------------------------------------------------------
# What net_train does, spelled out
# ----------------------------------------------------------------------------------------


def sample_loss(out, tgt, output, loss):
    """One sample's loss as net_train reports it (the mean, not half the sum, for mse)."""
    if loss == "mse":
        return np.mean((tgt - out) ** 2)
    terms = [y * np.log(o) for y, o in zip(tgt, out) if y != 0]
    if output == "sigmoid":
        terms += [(1 - y) * np.log(1 - o) for y, o in zip(tgt, out) if y != 1]
    return -np.sum(terms)


@pytest.mark.parametrize("combo", COMBOS[:4] + COMBOS[-4:], ids="/".join)
def test_online_training_is_the_per_sample_loop(backend, combo):
    """batch_size 1: net_response, the sample's loss, net_update, row by row."""
    sizes = (5, 4, 3, 3)
    net = make_net(sizes, combo, seed=1)
    X, Y = make_data(sizes, combo, 7, seed=2)
    by_hand, losses = copy.deepcopy(net), []
    for inp, tgt in zip(X, Y):
        acts = backend.net_response(by_hand, inp)
        losses.append(sample_loss(acts[-1], tgt, combo[1], combo[2]))
        backend.net_update(by_hand, inp, acts, tgt, 0.1)
    loss = backend.net_train(net, X, Y, 0.1, 1)
    assert_same(backend.name, "float64", arrays(net), arrays(by_hand))
    # summed in a different order and by independent formulas: equal to a few ulps
    assert loss[0] == pytest.approx(np.mean(losses), rel=1e-13)


@pytest.mark.parametrize("batch_size", [1, 3])
def test_shuffling_is_one_seeded_permutation_per_epoch(backend, batch_size):
    sizes, combo = (4, 5, 3), ("tanh", "softmax", "cross_entropy")
    net = make_net(sizes, combo, seed=3)
    X, Y = make_data(sizes, combo, 8, seed=4)
    by_hand, rng, losses = copy.deepcopy(net), np.random.default_rng(11), []
    for _ in range(3):
        order = rng.permutation(8)
        losses += list(
            backend.net_train(by_hand, X[order], Y[order], 0.1, 1, batch_size=batch_size)
        )
    shuffled = backend.net_train(net, X, Y, 0.1, 3, batch_size=batch_size, shuffle_seed=11)
    assert_same(
        backend.name, "float64", [shuffled] + arrays(net), [np.array(losses)] + arrays(by_hand)
    )
    ordered = make_net(sizes, combo, seed=3)
    backend.net_train(ordered, X, Y, 0.1, 3, batch_size=batch_size)
    assert not np.array_equal(ordered.weights[0], net.weights[0])


def test_mini_batches_are_consecutive_rows_each_one_step(backend):
    """7 rows, batch_size 3: steps on rows 0-2, 3-5 and 6 (the last batch shorter), each
    from the weights the previous one left; batch_size beyond the rows: one full batch."""
    sizes, combo = (4, 6, 5, 3), ("relu", "sigmoid", "cross_entropy")
    net = make_net(sizes, combo, seed=5)
    X, Y = make_data(sizes, combo, 7, seed=6)
    by_hand, total = copy.deepcopy(net), 0.0
    for rows in (slice(0, 3), slice(3, 6), slice(6, 7)):
        loss = backend.net_train(by_hand, X[rows], Y[rows], 0.2, 1, batch_size=3)
        total += loss[0] * len(range(7)[rows])
    losses = backend.net_train(net, X, Y, 0.2, 1, batch_size=3)
    assert_same(backend.name, "float64", arrays(net), arrays(by_hand))
    assert losses[0] == pytest.approx(total / 7, rel=1e-13)
    one, full = make_net(sizes, combo, seed=5), make_net(sizes, combo, seed=5)
    backend.net_train(one, X, Y, 0.2, 2, batch_size=7)
    backend.net_train(full, X, Y, 0.2, 2, batch_size=1000)
    assert_same(backend.name, "float64", arrays(full), arrays(one))


# ----------------------------------------------------------------------------------------
# The lecture's nets learn
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode, name", LEARNING_RUNS, indirect=["mode"], ids="-".join)
def test_the_lectures_two_hidden_layer_pixel_net_learns(mode, name):
    """000: "two hidden layers, each with 60 nodes": 60-60-60-4, sigmoid, mse, online SGD
    with the lecture's lrate 0.1, on the missing-pixel blocks of a photo."""
    backend = loopmlp.get_backend(name)
    from loopmlp import data

    X, Y = data.parse_img(data._sample_image(data.SAMPLE_TEST_NAME))  # one photo, not 13
    X, Y = X[::8][:100], Y[::8][:100]  # 100 blocks from all over the image
    net = loopmlp.init_net([60, 60, 60, 4])
    losses = backend.net_train(net, X, Y, 0.1, 5)
    assert np.all(np.diff(losses) < 0), losses
    assert losses[-1] < losses[0] / 3, losses


@pytest.mark.parametrize("mode, name", LEARNING_RUNS, indirect=["mode"], ids="-".join)
def test_digits_relu_softmax_cross_entropy_net_learns(mode, name):
    """004's digits as Keras's MNIST net (relu hidden, softmax, cross-entropy): 64-32-10,
    mini-batches of 5, shuffled; the loss falls every epoch and most test digits are right
    (seed 0: 0.95 of the 450; seeds 1 and 2: 0.90 and 0.94)."""
    backend = loopmlp.get_backend(name)
    from loopmlp import data

    X_trn, X_tst, y_trn, y_tst = data.digits_split(seed=0)
    X_trn, y_trn = X_trn[:500], y_trn[:500]
    net = loopmlp.init_net(
        [64, 32, 10],
        activation="relu",
        output="softmax",
        loss="cross_entropy",
        seed=0,
        init="scaled",
    )
    losses = backend.net_train(
        net, X_trn, data.one_hot(y_trn), 0.2, 4, batch_size=5, shuffle_seed=0
    )
    assert np.all(np.diff(losses) < 0), losses
    assert losses[-1] < losses[0] / 5, losses
    accuracy = np.mean(np.argmax(backend.net_predict(net, X_tst), axis=1) == y_tst)
    assert accuracy > 0.85, accuracy


# ----------------------------------------------------------------------------------------
# init_net and Net
# ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(1, 1, 1), (60, 6, 4), (64, 32, 10)], ids=str)
@pytest.mark.parametrize("seed", [0, 5])
def test_init_net_lecture_is_init_weights(shape, seed):
    net = loopmlp.init_net(list(shape), seed=seed)
    wh, bh, wo, bo = loopmlp.init_weights(*shape, seed=seed)
    assert net.sizes == shape and len(net.weights) == len(net.biases) == 2
    assert (net.activation, net.output, net.loss, net.dtype) == (
        "sigmoid",
        "sigmoid",
        "mse",
        np.float64,
    )
    for a, b in zip(arrays(net), [wh, wo, bh, bo]):
        assert a.dtype == np.float64 and a.flags.c_contiguous and np.array_equal(a, b)


@pytest.mark.parametrize("seed", [0, 3])
def test_init_net_scaled_is_the_lectures_divided_by_sqrt_fan_in(seed):
    """init="scaled": the lecture's weights (init_weights) over sqrt(fan-in), as loopmlp 0.1's
    --init scaled made them; biases zero."""
    wh, bh, wo, bo = loopmlp.init_weights(5, 7, 3, seed=seed)
    net = loopmlp.init_net([5, 7, 3], seed=seed, init="scaled")
    for a, b in zip(arrays(net), [wh / math.sqrt(5), wo / math.sqrt(7), bh, bo]):
        assert np.array_equal(a, b)


def test_init_net_any_depth_and_dtype():
    sizes = [6, 5, 4, 3, 2]
    deep = loopmlp.init_net(
        sizes, "tanh", "softmax", "cross_entropy", seed=2, dtype=np.float32, init="scaled"
    )
    assert deep.sizes == tuple(sizes) and deep.dtype == np.float32
    rng = np.random.default_rng(2)
    for layer, (w, b) in enumerate(zip(deep.weights, deep.biases)):
        n_in, n_out = sizes[layer], sizes[layer + 1]
        expected = (2 * rng.random((n_out, n_in)) - 1) / math.sqrt(n_in)
        assert w.dtype == np.float32 and np.array_equal(w, expected.astype(np.float32))
        assert b.dtype == np.float32 and b.shape == (n_out,) and not b.any()
    lecture = loopmlp.init_net(sizes, seed=2, init="lecture")
    assert np.abs(lecture.weights[0]).max() > 0.9  # U[-1, 1), not scaled
    assert len(loopmlp.init_net([4, 3]).weights) == 1  # no hidden layer
    assert "sizes=(6, 5, 4, 3, 2)" in repr(deep) and "float32" in repr(deep)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(sizes=[4]), ValueError, "at least 2 entries"),
        (dict(sizes=[4, 0, 2]), ValueError, "sizes must be >= 1"),
        (dict(sizes=[4, 2.0]), TypeError, "sizes must hold integers"),
        (dict(sizes=[4, True]), TypeError, "sizes must hold integers"),
        (dict(sizes="42"), TypeError, "sizes must be a sequence"),
        (dict(activation="softmax"), ValueError, "unknown activation 'softmax'"),
        (dict(output="relu"), ValueError, "unknown output 'relu'"),
        (dict(loss="hinge"), ValueError, "unknown loss 'hinge'"),
        (dict(activation=None), TypeError, "activation must be a str"),
        (dict(output="softmax", loss="mse"), ValueError, "softmax.*mse.*not supported"),
        (
            dict(output="identity", loss="cross_entropy"),
            ValueError,
            "identity.*cross_entropy.*not supported",
        ),
        (dict(dtype="float16"), ValueError, "dtype must be float32 or float64"),
        (dict(dtype=int), ValueError, "dtype must be float32 or float64"),
        (dict(dtype=None), ValueError, "dtype must be float32 or float64"),
        (dict(dtype="nonsense"), ValueError, "dtype must be float32 or float64"),
        (dict(init="he"), ValueError, "init must be one of"),
    ],
    ids=lambda v: str(v) if isinstance(v, dict) else "",
)
def test_init_net_rejects(kwargs, exc, match):
    kwargs = {"sizes": [4, 3, 2], **kwargs}
    with pytest.raises(exc, match=match):
        loopmlp.init_net(**kwargs)


def test_import_loopmlp_stays_cheap():
    import subprocess
    import sys

    code = (
        "import sys, loopmlp; assert 'numpy' not in sys.modules; loopmlp.Net; "
        "loopmlp.init_net; assert 'numpy' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------------------
# Bad input: an error naming the problem, raised before any weight changes
# ----------------------------------------------------------------------------------------

SIZES, COMBO = (5, 4, 3, 2), ("tanh", "sigmoid", "cross_entropy")
KERNELS = ["net_response", "net_update", "net_train", "net_predict"]
UPDATING = ["net_update", "net_train"]


@pytest.fixture
def good():
    net = make_net(SIZES, COMBO, seed=2)
    X, Y = make_data(SIZES, COMBO, 6, seed=3)
    return net, X, Y


def call(k, kernel, net, X, Y, lrate=0.1, acts=None, **kw):
    """``kernel`` with the fixture's arguments (per-sample kernels use row 0)."""
    if kernel == "net_response":
        return k.net_response(net, X[0] if X.ndim == 2 else X)
    if kernel == "net_update":
        if acts is None:
            acts = [np.full(n, 0.5) for n in SIZES[1:]]
        return k.net_update(
            net, X[0] if X.ndim == 2 else X, acts, Y[0] if Y.ndim == 2 else Y, lrate
        )
    if kernel == "net_train":
        return k.net_train(net, X, Y, lrate, kw.pop("epochs", 2), **kw)
    return k.net_predict(net, X, **kw)


def expect_error(k, kernel, net, X, Y, exc, match, **kw):
    before = [a.copy() for a in arrays(net)] if isinstance(net, loopmlp.Net) else []
    with pytest.raises(exc, match=match):
        call(k, kernel, net, X, Y, **kw)
    for a, b in zip(arrays(net) if before else [], before):
        assert np.array_equal(a, b, equal_nan=True), "weights changed before the error"


def set_weight(net, idx, value):
    net.weights[idx] = value


def set_bias(net, idx, value):
    net.biases[idx] = value


def net_variants():
    """(label, change to the net, exception, message) for broken nets."""
    return [
        (
            "weight-wrong-shape",
            lambda n: set_weight(n, 1, np.zeros((3, 5))),
            ValueError,
            re.escape("net.weights[1] has shape (3, 5), expected (3, 4)"),
        ),
        (
            "bias-wrong-shape",
            lambda n: set_bias(n, 2, np.zeros(3)),
            ValueError,
            re.escape("net.biases[2] has shape (3,), expected (2,)"),
        ),
        (
            "weights-list-too-short",
            lambda n: n.weights.pop(),
            ValueError,
            "net.weights has 2 arrays, expected 3",
        ),
        (
            "biases-list-too-long",
            lambda n: n.biases.append(np.zeros(2)),
            ValueError,
            "net.biases has 4 arrays, expected 3",
        ),
        (
            "sizes-disagree",
            lambda n: setattr(n, "sizes", (5, 4, 4, 2)),
            ValueError,
            re.escape("net.weights[1] has shape (3, 4), expected (4, 4)"),
        ),
        (
            "unknown-activation",
            lambda n: setattr(n, "activation", "swish"),
            ValueError,
            "unknown activation 'swish'",
        ),
        (
            "softmax-mse",
            lambda n: (setattr(n, "output", "softmax"), setattr(n, "loss", "mse")),
            ValueError,
            "softmax.*mse.*not supported",
        ),
        (
            "mixed-dtypes",
            lambda n: set_weight(n, 1, n.weights[1].astype(np.float32)),
            TypeError,
            "net.weights\\[1\\] has dtype float32 but the net's dtype is float64: mixed dtypes",
        ),
        (
            "bias-int",
            lambda n: set_bias(n, 0, n.biases[0].astype(np.int64)),
            TypeError,
            "mixed dtypes",
        ),
        (
            "weight-list",
            lambda n: set_weight(n, 0, n.weights[0].tolist()),
            TypeError,
            "net.weights\\[0\\] must be a float64 numpy array",
        ),
        (
            "weight-fortran",
            lambda n: set_weight(n, 0, np.asfortranarray(n.weights[0])),
            ValueError,
            "net.weights\\[0\\] must be C-contiguous",
        ),
        (
            "weight-byteswapped",
            lambda n: set_weight(n, 2, n.weights[2].astype(">f8")),
            TypeError,
            "net.weights\\[2\\] has dtype >f8",
        ),
        (
            "weight-nan",
            lambda n: n.weights[2].__setitem__((1, 0), np.nan),
            ValueError,
            re.escape("net.weights[2] contains NaN or inf (first at index (1, 0))"),
        ),
        (
            "bias-inf",
            lambda n: n.biases[1].__setitem__(2, -np.inf),
            ValueError,
            re.escape("net.biases[1] contains NaN or inf (first at index (2,))"),
        ),
        (
            "shared-memory",
            lambda n: set_bias(n, 0, n.weights[0][0, :4]),
            ValueError,
            re.escape("net.weights[0] shares memory with net.biases[0]"),
        ),
        (
            "net-dtype",
            lambda n: setattr(n, "dtype", "float16"),
            ValueError,
            "net.dtype must be float32 or float64",
        ),
    ]


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("variant", net_variants(), ids=lambda v: v[0])
def test_bad_net(backend, kernel, variant, good):
    net, X, Y = good
    _, change, exc, match = variant
    change(net)
    expect_error(backend, kernel, net, X, Y, exc, match)


@pytest.mark.parametrize("kernel", KERNELS)
def test_not_a_net(backend, kernel, good):
    _, X, Y = good
    expect_error(backend, kernel, {"weights": []}, X, Y, TypeError, "net must be a loopmlp.Net")


@pytest.mark.parametrize("kernel", UPDATING)
@pytest.mark.parametrize("which", ["weights", "biases"])
def test_read_only_weights_are_rejected_where_updated(backend, kernel, which, good):
    net, X, Y = good
    getattr(net, which)[1].flags.writeable = False
    expect_error(backend, kernel, net, X, Y, ValueError, f"net.{which}\\[1\\] is read-only")


@pytest.mark.parametrize("kernel", ["net_response", "net_predict"])
def test_read_only_weights_are_fine_for_the_forward_pass(backend, kernel, good):
    net, X, Y = good
    expected = call(backend, kernel, net, X, Y)
    for a in arrays(net):
        a.flags.writeable = False
    for a, b in zip(call(backend, kernel, net, X, Y), expected):
        assert np.array_equal(a, b)


@pytest.mark.parametrize(
    "kernel, which", [(kernel, "X") for kernel in KERNELS] + [(kernel, "Y") for kernel in UPDATING]
)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_in_data(backend, kernel, which, bad, good):
    net, X, Y = good
    (X if which == "X" else Y)[0, 1] = bad
    name = {"X": "inp", "Y": "tgt"}[which] if kernel in ("net_response", "net_update") else which
    expect_error(backend, kernel, net, X, Y, ValueError, f"{name} contains NaN or inf")


def test_nan_in_acts(backend, good):
    net, X, Y = good
    acts = [np.full(n, 0.5) for n in SIZES[1:]]
    acts[1][2] = np.nan
    expect_error(
        backend,
        "net_update",
        net,
        X,
        Y,
        ValueError,
        re.escape("acts[1] contains NaN or inf (first at index (2,))"),
        acts=acts,
    )


def test_data_too_large_for_float32(backend, good):
    net, X, Y = good
    net32 = make_net(SIZES, COMBO, "float32", seed=2)
    X[2, 3] = 1e300
    expect_error(
        backend,
        "net_predict",
        net32,
        X,
        Y,
        ValueError,
        re.escape(
            "X contains NaN or inf after conversion to float32 (too large) (first at index (2, 3))"
        ),
    )


@pytest.mark.parametrize("kernel", KERNELS)
def test_wrong_data_width(backend, kernel, good):
    net, X, Y = good
    name = "inp" if kernel in ("net_response", "net_update") else "X"
    expect_error(backend, kernel, net, X[:, :-1], Y, ValueError, f"{name} has shape")


def test_wrong_target_width_and_rows(backend, good):
    net, X, Y = good
    expect_error(backend, "net_train", net, X, Y[:, :-1], ValueError, "Y has shape")
    expect_error(backend, "net_update", net, X, Y[:, :-1], ValueError, "tgt has shape")
    expect_error(backend, "net_train", net, X, Y[:-1], ValueError, "X has 6 rows but Y has 5")
    expect_error(backend, "net_train", net, X[:0], Y[:0], ValueError, "X is empty")


@pytest.mark.parametrize(
    "acts, exc, match",
    [
        ([np.full(4, 0.5), np.full(3, 0.5)], ValueError, "acts has 2 arrays, expected 3"),
        (
            [np.full(4, 0.5), np.full(2, 0.5), np.full(2, 0.5)],
            ValueError,
            re.escape("acts[1] has shape (2,)"),
        ),
        (np.full((3, 4), 0.5), TypeError, "acts must be a list"),
    ],
    ids=["too-few", "wrong-shape", "one-array"],
)
def test_bad_acts(backend, acts, exc, match, good):
    net, X, Y = good
    expect_error(backend, "net_update", net, X, Y, exc, match, acts=acts)


def test_update_must_not_write_into_its_own_inputs(backend, good):
    net, X, Y = good
    acts = [np.full(n, 0.5) for n in SIZES[1:]]
    acts[0] = net.biases[0]  # an update of biases[0] would change acts[0] under the kernel
    expect_error(
        backend,
        "net_update",
        net,
        X,
        Y,
        ValueError,
        re.escape("net.biases[0] shares memory with acts[0]"),
        acts=acts,
    )


@pytest.mark.parametrize("kernel", UPDATING)
@pytest.mark.parametrize(
    "lrate, exc",
    [
        (float("nan"), ValueError),
        (0.0, ValueError),
        (-0.1, ValueError),
        (float("inf"), ValueError),
        (10**400, ValueError),
        ("0.1", TypeError),
        (True, TypeError),
        (None, TypeError),
    ],
    ids=["nan", "zero", "negative", "inf", "huge-int", "str", "bool", "none"],
)
def test_bad_lrate(backend, kernel, lrate, exc, good):
    net, X, Y = good
    expect_error(backend, kernel, net, X, Y, exc, "lrate must be", lrate=lrate)


def test_lrate_must_survive_the_nets_dtype(backend):
    net = make_net(SIZES, COMBO, "float32", seed=2)
    X, Y = make_data(SIZES, COMBO, 6, seed=3)
    expect_error(
        backend, "net_train", net, X, Y, ValueError, "in the net's dtype float32", lrate=1e-50
    )


@pytest.mark.parametrize(
    "name, value, exc",
    [
        ("batch_size", 0, ValueError),
        ("batch_size", -1, ValueError),
        ("batch_size", 2.5, TypeError),
        ("batch_size", 2.0, TypeError),
        ("batch_size", True, TypeError),
        ("batch_size", "3", TypeError),
        ("epochs", 0, ValueError),
        ("epochs", 1.5, TypeError),
        ("epochs", False, TypeError),
        ("shuffle_seed", 1.0, TypeError),
        ("shuffle_seed", True, TypeError),
        ("shuffle_seed", -1, ValueError),
        ("shuffle_seed", "7", TypeError),
    ],
)
def test_bad_training_options(backend, name, value, exc, good):
    net, X, Y = good
    expect_error(backend, "net_train", net, X, Y, exc, f"{name} must", **{name: value})


@pytest.mark.parametrize(
    "data",
    [np.array(["a"] * 5), np.ones(5, dtype=complex), np.ones(5, dtype=np.longdouble)],
    ids=["str", "complex", "longdouble"],
)
@pytest.mark.parametrize("kernel", KERNELS)
def test_non_real_data(backend, kernel, data, good):
    net, X, Y = good
    X = np.stack([data] * 2) if kernel in ("net_train", "net_predict") else data
    expect_error(backend, kernel, net, X, Y, TypeError, "must hold real numbers")


def test_integer_and_bool_data_compute_what_float_data_computes(backend, good):
    net, _, _ = good
    rng = np.random.default_rng(0)
    X, Y = rng.integers(0, 3, (6, SIZES[0])), rng.integers(0, 2, (6, SIZES[-1])).astype(bool)
    as_float = copy.deepcopy(net)
    losses = backend.net_train(net, X, Y, 0.1, 2, batch_size=2)
    expected = backend.net_train(as_float, X.astype(float), Y.astype(float), 0.1, 2, batch_size=2)
    assert np.array_equal(losses, expected)
    assert all(np.array_equal(a, b) for a, b in zip(arrays(net), arrays(as_float)))


@pytest.mark.parametrize("name", ["python", "numpy"])
def test_unthreaded_backends_refuse_threads(name, good):
    net, X, Y = good
    expect_error(
        loopmlp.get_backend(name),
        "net_predict",
        net,
        X,
        Y,
        ValueError,
        "takes no threads",
        threads=2,
    )


@pytest.mark.parametrize("shuffle_seed", [None, 7])
def test_epochs_in_chunks_of_orders_are_one_run(backend, monkeypatch, shuffle_seed):
    """net_train runs its epochs in chunks (net.orders caps the indices held at once); a run
    cut into chunks of 2 epochs computes exactly what one chunk of all epochs computes."""
    import functools

    from loopmlp import net as net_module

    rng = np.random.default_rng(5)
    X, Y = rng.random((6, 4)), rng.random((6, 3))
    nets = [loopmlp.init_net([4, 5, 3], seed=2) for _ in range(2)]
    whole = backend.net_train(nets[0], X, Y, 0.1, 5, batch_size=2, shuffle_seed=shuffle_seed)
    chunked_orders = functools.partial(net_module.orders, max_indices=12)
    assert [len(c) for c in chunked_orders(6, 5, shuffle_seed)] == [2, 2, 1]
    monkeypatch.setattr(net_module, "orders", chunked_orders)
    chunked = backend.net_train(nets[1], X, Y, 0.1, 5, batch_size=2, shuffle_seed=shuffle_seed)
    assert np.array_equal(whole, chunked)
    for a, b in zip(nets[0].weights + nets[0].biases, nets[1].weights + nets[1].biases):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("eight_sums", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sizes", [[3, 1], [5, 4, 3], [9, 7, 6, 2], [4, 13, 9, 2]], ids=str)
def test_rearranged_deep_helpers_interpreted_equal_the_reference(
    sizes, dtype, eight_sums, monkeypatch
):
    """_rearranged's layer_response (four units' sums side by side; with eight_sums, as in
    the FMA mode, eight first: 13 units are 8, 4 and 1, 9 are 8 and 1) and hidden_delta
    (w_next row by row), which numba compiles into its net_* kernels, keep the bits before
    any compiler sees them: the reference's net_train with them bound in, interpreted."""

    from loopmlp.kernels import _rearranged, _reference

    monkeypatch.setattr(_rearranged, "EIGHT_SUMS", eight_sums)

    rng = np.random.default_rng(11)
    X, Y = rng.random((7, sizes[0])), rng.random((7, sizes[-1]))
    for activation in ("sigmoid", "tanh", "relu"):
        nets = [
            loopmlp.init_net(sizes, activation=activation, seed=3, dtype=dtype) for _ in range(2)
        ]
        for net in nets:
            for w in net.weights:
                w *= 3  # some saturated units
        results = []
        for helpers in (
            {},
            {
                "layer_response": _rearranged.layer_response,
                "hidden_delta": _rearranged.hidden_delta,
            },
        ):
            # the reference's own functions, their calls going to ``helpers``
            g = dict(vars(_reference), **helpers)
            fns = {
                name: types.FunctionType(getattr(_reference, name).__code__, g)
                for name in _reference.NET_FUNCTIONS
                if name not in helpers
            }
            g.update(fns)
            results.append(fns)
        losses = []
        for net, fns in zip(nets, results):
            from loopmlp import net as net_module

            acts, deltas, grad_w, grad_b = net_module.scratch(net)
            (orders,) = net_module.orders(7, 2, 5)
            code = {
                "sigmoid": _reference.SIGMOID,
                "tanh": _reference.TANH,
                "relu": _reference.RELU,
            }[activation]
            losses.append(
                fns["net_train"](
                    X.astype(dtype),
                    Y.astype(dtype),
                    tuple(net.weights),
                    tuple(net.biases),
                    code,
                    _reference.SIGMOID,
                    _reference.MSE,
                    np.dtype(dtype).type(0.1),
                    orders,
                    3,
                    acts,
                    deltas,
                    grad_w,
                    grad_b,
                )
            )
        assert np.array_equal(losses[0], losses[1])
        for a, b in zip(nets[0].weights + nets[0].biases, nets[1].weights + nets[1].biases):
            assert np.array_equal(a, b)


@pytest.mark.parametrize(
    "many_registers, two_panels", [(False, False), (True, False), (True, True)]
)
@pytest.mark.parametrize("exp_lanes", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_rearranged_net_predict_interpreted_equals_the_reference(
    dtype, exp_lanes, many_registers, two_panels, monkeypatch
):
    """_rearranged.net_predict (float64: panels of 8 units, four rows a pass, eight with 32
    vector registers; float32: panels of 16, four rows a pass; blocks of 64 rows), run
    interpreted: 131 rows (a short
    last block, rows not a multiple of eight or four), layers of 17 and 3 units (padded
    panels); with each layer's sigmoid through _exp.exp_core too, as numba does
    (exp_lanes); and with 32 vector registers (many_registers: eight float64 rows through
    one panel a pass, or with two_panels eight rows through two panels a pass, in chunks
    of 4 of the 9 inputs, so that sums go on across chunks; 17 units are two panels and
    one more in float64); the three blocks in two groups, one block and two."""
    from loopmlp.kernels import _rearranged, _reference
    from loopmlp.net import ACTIVATIONS, OUTPUT

    width = _rearranged.panel_width(np.zeros(1, dtype=dtype))
    assert width == {"float64": _rearranged.PANEL, "float32": _rearranged.WIDE_PANEL}[dtype]

    monkeypatch.setattr(_rearranged, "exp_lanes", exp_lanes)
    monkeypatch.setattr(_rearranged, "MANY_REGISTERS", many_registers)
    monkeypatch.setattr(_rearranged, "TWO_PANELS", two_panels)
    monkeypatch.setattr(_rearranged, "CHUNK", 4)
    monkeypatch.setattr(_rearranged, "predict_groups", lambda: 2)

    rng = np.random.default_rng(12)
    X = rng.random((131, 9)).astype(dtype)
    for activation, output in (("relu", "softmax"), ("tanh", "identity"), ("sigmoid", "sigmoid")):
        net = loopmlp.init_net(
            [9, 17, 3],
            activation=activation,
            output=output,
            loss="cross_entropy" if output == "softmax" else "mse",
            seed=1,
            dtype=dtype,
        )
        args = (X, tuple(net.weights), tuple(net.biases), ACTIVATIONS[activation], OUTPUT[output])
        panels = tuple(_rearranged.to_panels(w, width) for w in net.weights)
        finite = np.zeros(3, dtype=bool)  # 131 rows: three blocks of 64
        with np.errstate(over="ignore"):
            assert np.array_equal(
                _rearranged.net_predict(*args, panels, finite), _reference.net_predict(*args)
            )
        assert finite.all()


@pytest.mark.parametrize("many_registers", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_rearranged_mini_batches_interpreted_equal_the_reference(
    dtype, many_registers, monkeypatch
):
    """_rearranged.net_train in mini-batches (batch_forward: the batch's rows in panels of
    8, four units a pass, eight with 32 vector registers (many_registers), float32 16 and
    four; batch_update: the same kernels over the rows, then the step), run interpreted:
    batches of 11 (the last one 5) over layers of 13, 17 and 3 units, so units, rows and
    inputs all leave a panel or a pass short."""
    from loopmlp.kernels import _rearranged, _reference
    from loopmlp.net import ACTIVATIONS, LOSSES, OUTPUT, orders, scratch

    monkeypatch.setattr(_rearranged, "MANY_REGISTERS", many_registers)

    rng = np.random.default_rng(13)
    X = rng.random((27, 13)).astype(dtype)
    Y = np.eye(3, dtype=dtype)[rng.integers(3, size=27)]
    order = next(orders(27, 2, shuffle_seed=4))
    for activation, output, loss in (
        ("relu", "softmax", "cross_entropy"),
        ("sigmoid", "sigmoid", "mse"),
    ):
        nets = [
            loopmlp.init_net(
                [13, 17, 3], activation=activation, output=output, loss=loss, seed=2, dtype=dtype
            )
            for _ in range(2)
        ]
        losses = []
        for module, net in zip((_rearranged, _reference), nets):
            losses.append(
                module.net_train(
                    X,
                    Y,
                    tuple(net.weights),
                    tuple(net.biases),
                    ACTIVATIONS[activation],
                    OUTPUT[output],
                    LOSSES[loss],
                    np.dtype(dtype).type(0.3),
                    order,
                    11,
                    *scratch(net),
                )
            )
        assert np.array_equal(losses[0], losses[1])
        assert all(
            np.array_equal(a, b)
            for a, b in zip(nets[0].weights + nets[0].biases, nets[1].weights + nets[1].biases)
        )


def test_all_finite_tells_nan_and_inf_from_every_finite_value():
    from loopmlp.kernels import _rearranged

    for dtype in DTYPES:
        info = np.finfo(dtype)
        a = np.array(
            [[info.max, -info.max, info.tiny, info.smallest_subnormal, -0.0, 0.0]], dtype=dtype
        )
        assert _rearranged.all_finite(a)
        for bad in (np.nan, np.inf, -np.inf):
            b = a.copy()
            b[0, 3] = bad
            with np.errstate(invalid="ignore"):  # inf - inf, interpreted
                assert not _rearranged.all_finite(b)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows, row", [(200, 0), (200, 63), (200, 64), (200, 199), (50, 49)])
@pytest.mark.parametrize("name", ["numba", "cython"])
def test_the_scanning_kernels_find_nan_and_inf_as_they_read(name, rows, row, dtype):
    """numba's and cython's predict and net_predict check X themselves, block by block of
    64 rows (loopmlp._backends.SCANNING): the raw kernels raise, wherever the bad value is,
    and the checked method names it. 50 rows: one block, which numba runs off its threads."""
    from loopmlp.net import ACTIVATIONS as ACTIVATION_CODES
    from loopmlp.net import OUTPUT as OUTPUT_CODES

    k = loopmlp.get_backend(name)
    net = loopmlp.init_net([5, 7, 3], activation="sigmoid", output="sigmoid", seed=2, dtype=dtype)
    wh, wo = (w.astype(np.float64) for w in net.weights)
    bh, bo = (b.astype(np.float64) for b in net.biases)
    X = np.random.default_rng(5).random((rows, 5))
    for bad in (np.nan, np.inf, -np.inf):
        Xb = X.copy()
        Xb[row, 4] = bad
        message = re.escape(f"X contains NaN or inf (first at index ({row}, 4))")
        with pytest.raises(ValueError, match="X contains NaN or inf"):
            k._k.net_predict(
                Xb.astype(dtype),
                tuple(net.weights),
                tuple(net.biases),
                ACTIVATION_CODES["sigmoid"],
                OUTPUT_CODES["sigmoid"],
            )
        with pytest.raises(ValueError, match=message):
            k.net_predict(net, Xb)
        if dtype == "float64":
            with pytest.raises(ValueError, match="X contains NaN or inf"):
                k._k.predict(Xb, wh, bh, wo, bo)
            with pytest.raises(ValueError, match=message):
                k.predict(Xb, wh, bh, wo, bo)

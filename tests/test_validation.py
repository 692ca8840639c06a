"""Bad input: a TypeError/ValueError naming the problem, raised before any weight changes.

Every case runs on every backend through the public API; after the error the weights must
be exactly what they were. Accepted conversions (integer or float32 data) must compute
exactly what float64 data computes.
"""

import re

import numpy as np
import pytest
from conftest import copy, make_case

import loopmlp

N_IN, N_HID, N_OUT = 5, 4, 3


@pytest.fixture
def args():
    X, Y, w = make_case((N_IN, N_HID, N_OUT), 6, seed=2)
    return X, Y, w


def call(k, kernel, X, Y, w, lrate=0.1, epochs=2):
    """Call ``kernel`` with the fixture's arguments (per-sample kernels use row 0)."""
    wh, bh, wo, bo = w
    if kernel == "neural_response":
        return k.neural_response(X[0] if X.ndim == 2 else X, wh, bh, wo, bo)
    if kernel == "update_network":
        hid, out = np.full(N_HID, 0.5), np.full(N_OUT, 0.5)
        return k.update_network(
            X[0] if X.ndim == 2 else X,
            hid,
            out,
            Y[0] - out if Y.ndim == 2 else Y,
            wh,
            bh,
            wo,
            bo,
            lrate,
        )
    if kernel == "train_epoch":
        return k.train_epoch(X, Y, wh, bh, wo, bo, lrate)
    if kernel == "train":
        return k.train(X, Y, wh, bh, wo, bo, lrate, epochs)
    return k.predict(X, wh, bh, wo, bo)


KERNELS = ["neural_response", "update_network", "train_epoch", "train", "predict"]
UPDATING = ["update_network", "train_epoch", "train"]


def expect_error(k, kernel, X, Y, w, exc, match, **kw):
    before = copy(w)
    with pytest.raises(exc, match=match):
        call(k, kernel, X, Y, w, **kw)
    for a, b in zip(w, before):
        assert np.array_equal(a, b, equal_nan=True), "weights changed before the error"


def weight_variants():
    """(label, weight index, transform, exception, message) for broken weights."""
    return [
        ("wh-int", 0, lambda a: a.astype(np.int64), TypeError, "wh must be a float64"),
        ("bh-float32", 1, lambda a: a.astype(np.float32), TypeError, "bh must be a float64"),
        ("wo-list", 2, lambda a: a.tolist(), TypeError, "wo must be a float64 numpy array"),
        ("bo-2d", 3, lambda a: a[None, :], ValueError, "bo must be 1-D"),
        ("wh-fortran", 0, np.asfortranarray, ValueError, "wh must be C-contiguous"),
        (
            "wo-strided",
            2,
            lambda a: np.repeat(a, 2, axis=1)[:, ::2],
            ValueError,
            "wo must be C-contiguous",
        ),
        ("wh-wrong-shape", 0, lambda a: np.zeros((N_HID + 1, N_IN)), ValueError, "wo has shape"),
        ("bh-wrong-shape", 1, lambda a: np.zeros(N_HID + 1), ValueError, "bh has shape"),
        ("bo-wrong-shape", 3, lambda a: np.zeros(N_OUT + 1), ValueError, "bo has shape"),
        ("wh-byteswapped", 0, lambda a: a.astype(">f8"), TypeError, "wh must be a float64"),
        ("wh-empty", 0, lambda a: np.zeros((N_HID, 0)), ValueError, "at least one node"),
    ]


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("variant", weight_variants(), ids=lambda v: v[0])
def test_bad_weights(backend, kernel, variant, args):
    X, Y, w = args
    _, idx, transform, exc, match = variant
    w[idx] = transform(w[idx])
    if kernel == "neural_response" and variant[0] == "wh-empty":
        X = np.zeros((1, 0))
    expect_error(backend, kernel, X, Y, w, exc, match)


@pytest.mark.parametrize("kernel", UPDATING)
@pytest.mark.parametrize("idx,name", [(0, "wh"), (1, "bh"), (2, "wo"), (3, "bo")])
def test_read_only_weights_are_rejected_where_updated(backend, kernel, idx, name, args):
    X, Y, w = args
    w[idx].flags.writeable = False
    expect_error(backend, kernel, X, Y, w, ValueError, f"{name} is read-only")


@pytest.mark.parametrize("kernel", ["neural_response", "predict"])
def test_read_only_weights_are_fine_for_the_forward_pass(backend, kernel, args):
    X, Y, w = args
    expected = call(loopmlp.get_backend("python"), kernel, X, Y, w)
    for a in w:
        a.flags.writeable = False
    got = call(backend, kernel, X, Y, w)
    np.testing.assert_allclose(
        np.concatenate([np.ravel(g) for g in got]),
        np.concatenate([np.ravel(e) for e in expected]),
        rtol=1e-12,
    )


@pytest.mark.parametrize(
    "kernel,which", [(kernel, "X") for kernel in KERNELS] + [(kernel, "Y") for kernel in UPDATING]
)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_in_data(backend, kernel, bad, which, args):
    X, Y, w = args
    (X if which == "X" else Y)[0, 1] = bad
    name = (
        {"X": "inp", "Y": "err"}[which]
        if kernel in ("neural_response", "update_network")
        else which
    )
    expect_error(backend, kernel, X, Y, w, ValueError, f"{name} contains NaN or inf")


@pytest.mark.parametrize("pos", [0, 255, 256, 257, 4095, 4096, 4999])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_in_long_data(backend, bad, pos):
    """Data of 4096 or more values is scanned block by block; the first bad value is named."""
    X, Y, w = make_case((N_IN, N_HID, N_OUT), 1000, seed=3)  # 5000 values in X
    X[0, :3] = np.finfo(np.float64).max, 5e-324, -0.0  # extreme but finite
    X.flat[pos] = bad
    X.flat[pos + 1 :] = np.inf  # later bad values must not be the one named
    row, col = divmod(pos, N_IN)
    expect_error(
        backend,
        "predict",
        X,
        Y,
        w,
        ValueError,
        re.escape(f"X contains NaN or inf (first at index ({row}, {col}))"),
    )


@pytest.mark.parametrize("pos", [0, 399_999, 400_000, 500_000, 799_999])
def test_big_data_names_its_first_bad_value(pos):
    """The compiled scan of 800,000 values names the first bad one, with more after it,
    through both routes: the lecture's kernels and the deep net's."""
    from loopmlp import _check

    X, _, w = make_case((N_IN, N_HID, N_OUT), 160_000, seed=4)  # 800,000 values in X
    assert _check.first_nonfinite(X) == -1
    X.flat[pos] = np.nan
    X.flat[pos + 1 :: 9973] = np.inf
    assert _check.first_nonfinite(X) == pos
    row, col = divmod(pos, N_IN)
    message = re.escape(f"X contains NaN or inf (first at index ({row}, {col}))")
    k = loopmlp.get_backend("cython")
    with pytest.raises(ValueError, match=message):
        k.predict(X, *w)
    net = loopmlp.init_net([N_IN, N_HID, N_OUT], seed=0)
    with pytest.raises(ValueError, match=message):
        k.net_predict(net, X)


@pytest.mark.parametrize("pos", [0, 255, 256, 70_000, 79_999])
def test_the_float32_scan_names_the_first_bad_value_of_a_float32_net(pos):
    """float32 weights and data go through the compiled scan too (8 exponent bits, not 11):
    extreme finite values pass, and NaN, inf or -inf is named where it is."""
    from loopmlp import _check

    info = np.finfo(np.float32)
    extremes = [info.max, -info.max, info.tiny, info.smallest_subnormal, -0.0, 0.0]
    a = np.resize(np.array(extremes, dtype=np.float32), 80_000)
    assert _check.first_nonfinite(a) == -1
    net = loopmlp.init_net([8, 3, 2], seed=0, dtype="float32")
    X = a.reshape(10_000, 8).copy()
    Y = np.zeros((10_000, 2), dtype=np.float32)
    row, col = divmod(pos, 8)
    message = re.escape(f"X contains NaN or inf (first at index ({row}, {col}))")
    k = loopmlp.get_backend("cython")
    for bad in (np.nan, np.inf, -np.inf):
        b = a.copy()
        b[pos] = bad
        b[pos + 1 :: 997] = np.nan  # later bad values must not be the one named
        assert _check.first_nonfinite(b) == pos
        net.weights[0][:] = 0.5
        net.weights[0].flat[pos % 24] = bad
        with pytest.raises(ValueError, match=re.escape("net.weights[0] contains NaN or inf")):
            k.net_predict(net, X)
        net.weights[0][:] = 0.5
        Xb = b.reshape(10_000, 8)
        before = [w.copy() for w in net.weights]
        with pytest.raises(ValueError, match=message):
            k.net_train(net, Xb, Y, 0.1, 1)
        assert all(np.array_equal(w, v) for w, v in zip(net.weights, before))


def test_long_data_with_extreme_finite_values_is_accepted(backend):
    X, Y, w = make_case((N_IN, N_HID, N_OUT), 1000, seed=3)
    X[::7, 0], X[::11, 1], X[::13, 2] = np.finfo(np.float64).max, 5e-324, -0.0
    X[::17, 3] = -np.finfo(np.float64).max
    assert backend.predict(X, *w).shape == (1000, N_OUT)


@pytest.mark.parametrize("kernel", ["train_epoch", "train", "predict"])
def test_empty_data(backend, kernel, args):
    X, Y, w = args
    expect_error(backend, kernel, X[:0], Y[:0], w, ValueError, "X is empty")


@pytest.mark.parametrize("kernel", KERNELS)
def test_wrong_data_width(backend, kernel, args):
    X, Y, w = args
    name = "inp" if kernel in ("neural_response", "update_network") else "X"
    expect_error(backend, kernel, X[:, :-1], Y, w, ValueError, f"{name} has shape")


@pytest.mark.parametrize("kernel", ["train_epoch", "train"])
def test_rows_must_match(backend, kernel, args):
    X, Y, w = args
    expect_error(backend, kernel, X, Y[:-1], w, ValueError, "X has 6 rows but Y has 5")


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize(
    "data",
    [np.array(["a"] * N_IN), np.ones(N_IN, dtype=complex), np.ones(N_IN, dtype=np.longdouble)],
    ids=["str", "complex", "longdouble"],
)
def test_non_real_data(backend, kernel, data, args):
    X, Y, w = args
    X = np.stack([data] * 2) if kernel not in ("neural_response", "update_network") else data
    expect_error(backend, kernel, X, Y, w, TypeError, "must hold real numbers")


@pytest.mark.parametrize("kernel", UPDATING)
@pytest.mark.parametrize(
    "lrate,exc",
    [
        (float("nan"), ValueError),
        (0.0, ValueError),
        (-0.1, ValueError),
        (float("inf"), ValueError),
        ("0.1", TypeError),
        (True, TypeError),
        (None, TypeError),
    ],
    ids=["nan", "zero", "negative", "inf", "str", "bool", "none"],
)
def test_bad_lrate(backend, kernel, lrate, exc, args):
    X, Y, w = args
    expect_error(backend, kernel, X, Y, w, exc, "lrate must be", lrate=lrate)


@pytest.mark.parametrize(
    "epochs,exc", [(0, ValueError), (-3, ValueError), (1.5, TypeError), ("2", TypeError)]
)
def test_bad_epochs(backend, epochs, exc, args):
    X, Y, w = args
    expect_error(backend, "train", X, Y, w, exc, "epochs must be", epochs=epochs)


@pytest.mark.parametrize("kernel", UPDATING)
def test_weights_sharing_memory_are_rejected(backend, kernel, args):
    X, Y, w = args
    w[1] = w[0][0, :N_HID]  # bh is a view into wh: an update would write through both
    expect_error(backend, kernel, X, Y, w, ValueError, "shares memory with")


def test_update_must_not_write_into_its_own_inputs(backend, args):
    X, Y, w = args
    wh, bh, wo, bo = w
    out = np.full(N_OUT, 0.5)
    before = copy(w)
    with pytest.raises(ValueError, match="bh shares memory with hid"):
        backend.update_network(X[0], bh, out, Y[0] - out, wh, bh, wo, bo, 0.1)
    assert all(np.array_equal(a, b) for a, b in zip(w, before))


@pytest.mark.parametrize("kernel", KERNELS)
def test_integer_and_float32_data_compute_what_float64_computes(backend, kernel):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 3, (6, N_IN))
    Y = rng.integers(0, 2, (6, N_OUT)).astype(np.float32)
    _, _, w = make_case((N_IN, N_HID, N_OUT), 1, seed=4)
    as_float, as_given = copy(w), copy(w)
    expected = call(backend, kernel, X.astype(np.float64), Y.astype(np.float64), as_float)
    got = call(backend, kernel, X, Y, as_given)
    for g, e in zip(
        got if isinstance(got, tuple) else [got],
        expected if isinstance(expected, tuple) else [expected],
    ):
        assert np.array_equal(np.asarray(g), np.asarray(e))
    assert all(np.array_equal(a, b) for a, b in zip(as_given, as_float))


def test_non_contiguous_data_is_copied_not_rejected(backend):
    X, Y, w = make_case((N_IN, N_HID, N_OUT), 6, seed=5)
    Xf, Yf = np.asfortranarray(X), np.asfortranarray(Y)
    a, b = copy(w), copy(w)
    assert backend.train_epoch(Xf, Yf, *a, 0.1) == backend.train_epoch(X, Y, *b, 0.1)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_unknown_backend():
    with pytest.raises(ValueError, match="unknown backend 'fortran'"):
        loopmlp.get_backend("fortran")


@pytest.mark.parametrize("n", [0, -1, 2.5, True])
def test_init_weights_rejects_bad_sizes(n):
    with pytest.raises(ValueError, match="n_hid must be an integer >= 1"):
        loopmlp.init_weights(3, n, 2)

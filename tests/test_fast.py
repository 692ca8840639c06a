"""The opt-in ``fast`` backend (numba with fastmath) agrees with the reference within bounds.

``fast`` may reassociate sums and fuse ``a * b + c`` into an FMA, so it is *not* bit-identical
to ``python``. How far it may be off, and why, is stated in ``loopmlp.kernels._numba_fast``
(``forward_atol``, ``update_atol``, ``training_atol``): worst-case, first-order rounding-error
bounds on the reference's loops (n U sum|terms| per reassociated sum of n terms), derived from
the analysis, not from measured differences. These tests hold fast to them.

Measured on this machine (2-core AMD EPYC with FMA, numba 0.68.1), max |fast - python| over
the cases below: neural_response 4.1e-15, predict 1.4e-13 (saturated 64-32-10; 2.2e-15
unsaturated), update_network 1.1e-16, one epoch 2.2e-16 (weights) and 5.6e-17 (MSE), three
epochs 4.4e-16 and 5.6e-17. Each is 4 times (update_network: one ulp against a few) to 10^8
times below its bound: the bounds assume every rounding error adds up, and most cancel.
"""

import numpy as np
import pytest
from conftest import SHAPES, copy, make_case

import loopmlp
from loopmlp.kernels._numba_fast import forward_atol, training_atol, update_atol

LRATE = 0.1
ROWS = {784: 2}  # pure Python on 784-512-10 costs ~0.3 s a sample
# scale 100: saturated units, net inputs far beyond +-40 and past exp's overflow (as in
# test_kernels.py), where fastmath's no-inf assumption is at stake
CASES = [(shape, 1.0) for shape in SHAPES] + [(shape, 100.0) for shape in SHAPES]


def case_id(case):
    shape, scale = case
    return "-".join(map(str, shape)) + ("-saturated" if scale > 1 else "")


def assert_within(comp, ref, atol, what):
    diff = np.max(np.abs(np.asarray(comp) - np.asarray(ref)))
    assert np.all(np.isfinite(comp)), f"{what}: not finite"
    assert diff <= atol, f"{what}: max |fast - python| {diff:.2e} > bound {atol:.2e}"


@pytest.fixture(scope="module")
def fast():
    return loopmlp.get_backend("fast")


@pytest.fixture(scope="module")
def ref():
    return loopmlp.get_backend("python")


@pytest.fixture(params=CASES, ids=case_id)
def case(request):
    shape, scale = request.param
    X, Y, w = make_case(shape, ROWS.get(shape[0], 20), seed=sum(shape), scale=scale)
    return shape, scale, X, Y, w


def test_neural_response(fast, ref, case):
    shape, scale, X, _, w = case
    hid_atol, out_atol = forward_atol(shape, scale)
    (hid, out), (ref_hid, ref_out) = fast.neural_response(X[0], *w), ref.neural_response(X[0], *w)
    assert_within(hid, ref_hid, hid_atol, "hid")
    assert_within(out, ref_out, out_atol, "out")


def test_update_network(fast, ref, case):
    shape, scale, X, Y, w = case
    hid, out = ref.neural_response(X[0], *w)
    comp_w, ref_w = copy(w), copy(w)
    fast.update_network(X[0], hid, out, Y[0] - out, *comp_w, LRATE)
    ref.update_network(X[0], hid, out, Y[0] - out, *ref_w, LRATE)
    for name, c, r in zip(("wh", "bh", "wo", "bo"), comp_w, ref_w):
        assert_within(c, r, update_atol(shape, scale, LRATE), name)


# Training only on unsaturated nets: on saturated ones (weights of magnitude 100) the
# worst-case bound on the epoch MSE exceeds 1, so it could not fail. Saturation is covered
# by the forward and update tests above and below.
@pytest.mark.parametrize("epochs", [1, 3])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "-".join(map(str, s)))
def test_train(fast, ref, shape, epochs):
    scale = 1.0
    X, Y, w = make_case(shape, ROWS.get(shape[0], 20), seed=sum(shape), scale=scale)
    w_atol, mse_atol = training_atol(shape, scale, LRATE, steps=epochs * X.shape[0])
    comp_w, ref_w = copy(w), copy(w)
    if epochs == 1:
        comp, expect = fast.train_epoch(X, Y, *comp_w, LRATE), ref.train_epoch(X, Y, *ref_w, LRATE)
        assert isinstance(comp, float)
    else:
        comp = fast.train(X, Y, *comp_w, LRATE, epochs)
        expect = ref.train(X, Y, *ref_w, LRATE, epochs)
        assert comp.shape == (epochs,)
    assert_within(comp, expect, mse_atol, "mse")
    for name, c, r in zip(("wh", "bh", "wo", "bo"), comp_w, ref_w):
        assert_within(c, r, w_atol, name)


def test_train_epoch_literal(fast, ref):
    shape, scale = (60, 6, 4), 1.0
    X, Y, w = make_case(shape, 20, seed=3)
    w_atol, mse_atol = training_atol(shape, scale, LRATE, steps=20)
    comp_w, ref_w = copy(w), copy(w)
    assert_within(
        fast.train_epoch_literal(X, Y, *comp_w, LRATE),
        ref.train_epoch(X, Y, *ref_w, LRATE),
        mse_atol,
        "mse",
    )
    for c, r in zip(comp_w, ref_w):
        assert_within(c, r, w_atol, "weights")


def test_predict(fast, ref, case):
    shape, scale, X, _, w = case
    comp = fast.predict(X, *w)
    assert comp.shape == (X.shape[0], shape[2])
    assert_within(comp, ref.predict(X, *w), forward_atol(shape, scale)[1], "predict")


def test_fast_learns_xor():
    """The XOR run of test_kernels.py: seed 0, 2-3-1, lrate 0.5, 4,000 epochs."""
    from loopmlp.workloads import XOR_X, XOR_Y

    k = loopmlp.get_backend("fast")
    w = list(loopmlp.init_weights(2, 3, 1, seed=0))
    mses = k.train(XOR_X, XOR_Y, *w, 0.5, 4000)
    pred = k.predict(XOR_X, *w)
    assert np.all(np.abs(pred - XOR_Y) < 0.2), pred
    assert mses[-1] < mses[0] / 10


def test_fast_is_opt_in_and_not_claimed_bit_identical(fast, ref, record_property):
    """fast is compiled with fastmath and kept out of BACKENDS (the bit-identical set).

    Whether its bits differ on a given machine is reported, not asserted: fastmath permits
    differences, it does not promise them.
    """
    from loopmlp import _backends

    assert "fast" in _backends.MODULES and "fast" not in loopmlp.BACKENDS
    assert fast._k.update_network.targetoptions["fastmath"] is True
    assert loopmlp.get_backend("numba")._k.update_network.targetoptions["fastmath"] is False
    X, _, w = make_case((60, 6, 4), 200, seed=64)
    comp, expect = fast.predict(X, *w), ref.predict(X, *w)
    record_property("fast_predict_60_6_4_bit_identical", bool(np.array_equal(comp, expect)))
    record_property("fast_predict_60_6_4_max_abs_diff", float(np.max(np.abs(comp - expect))))


def test_fast_and_numba_kernels_are_cached_apart(fast):
    """numba's cache index ignores compile flags, so fast's clones carry their own names:
    a cached fast kernel must never be loaded as numba's (or the reverse). tests/test_cache.py
    checks the same across processes."""
    from loopmlp.kernels import _numba, _numba_fast

    X, Y, w = make_case((3, 5, 2), 4, seed=1)
    fast.train(X, Y, *copy(w), 0.1, 1)
    loopmlp.get_backend("numba").train(X, Y, *copy(w), 0.1, 1)
    for name in ("neural_response", "update_network", "train_epoch_literal"):  # the dispatchers
        numba_k, fast_k = getattr(_numba, name), getattr(_numba_fast, name)
        assert fast_k.py_func.__qualname__ != numba_k.py_func.__qualname__
        assert fast_k._cache._cache_file._index_name != numba_k._cache._cache_file._index_name


@pytest.mark.parametrize("sizes", [[5, 3], [6, 8, 7, 3], [64, 32, 10]], ids=str)
def test_fast_deep_kernels_stay_close(sizes):
    """fast compiles the deep kernels too: a few epochs of relu/softmax training stay within
    1e-9 of the reference. The reason for the bound: fastmath reorders sums of at most 64
    terms of magnitude <= 1 here, ~1e-14 each (the same argument as ``forward_atol``); the
    rest is growth over 3 epochs of 20 steps, kept well above what is measured (~1e-15)."""
    ref, fast = loopmlp.get_backend("python"), loopmlp.get_backend("fast")
    rng = np.random.default_rng(3)
    X = rng.random((20, sizes[0]))
    Y = np.eye(sizes[-1])[rng.integers(sizes[-1], size=20)]
    nets = [
        loopmlp.init_net(
            sizes, activation="relu", output="softmax", loss="cross_entropy", seed=4, init="scaled"
        )
        for _ in range(2)
    ]
    losses = [k.net_train(net, X, Y, 0.1, 3, batch_size=4) for k, net in zip((ref, fast), nets)]
    np.testing.assert_allclose(losses[1], losses[0], rtol=0, atol=1e-9)
    for w_ref, w_fast in zip(nets[0].weights + nets[0].biases, nets[1].weights + nets[1].biases):
        np.testing.assert_allclose(w_fast, w_ref, rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        fast.net_predict(nets[1], X), ref.net_predict(nets[0], X), rtol=0, atol=1e-9
    )

"""The FMA mode from the user's side: ``init_net(fma=True)``, ``net.fma`` kept by pickling
and by saved models, the estimators' ``fma``, the experiments' ``fma`` and ``--fma``.

The kernels' bits in this mode are tested with every other deep-net test
(tests/test_net.py runs each in both modes); here: that the setting reaches them and stays.
"""

import copy
import pickle

import numpy as np
import pytest

import loopmlp
from loopmlp.__main__ import main
from loopmlp.experiments import load_model, xor

LOOP_BACKENDS = ("python", "numba", "cython")


def digits(n=120):
    rng = np.random.default_rng(0)
    X = rng.random((n, 8))
    y = (X[:, 0] + X[:, 1] > X[:, 2] + 0.5).astype(int) + (X[:, 3] > 0.5)
    return X, y


def test_init_net_fma_and_its_checks():
    net = loopmlp.init_net([3, 4, 2], fma=True)
    assert net.fma is True and "fma=True" in repr(net)
    assert loopmlp.init_net([3, 4, 2]).fma is False
    assert "fma" not in repr(loopmlp.init_net([3, 4, 2]))
    with pytest.raises(TypeError, match="fma must be True or False"):
        loopmlp.init_net([3, 4, 2], fma="yes")
    net.fma = 1  # a later change is checked where the net is used, before any weight moves
    before = [w.copy() for w in net.weights]
    with pytest.raises(TypeError, match="net.fma must be True or False"):
        loopmlp.get_backend("numba").net_train(net, np.ones((2, 3)), np.ones((2, 2)), 0.1, 1)
    assert all(np.array_equal(w, b) for w, b in zip(net.weights, before))


def test_pickling_keeps_the_mode():
    net = loopmlp.init_net([3, 4, 2], fma=True)
    assert pickle.loads(pickle.dumps(net)).fma is True
    # a Net pickled before the mode existed has no "fma" in its state: the default mode
    old = pickle.loads(pickle.dumps(loopmlp.init_net([3, 4, 2])))
    del old.__dict__["fma"]
    assert pickle.loads(pickle.dumps(old)).fma is False


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_two_modes_differ_and_each_is_the_same_on_every_loop_backend(dtype):
    X, y = digits()
    Y = np.eye(3)[y]
    results = {}
    for fma in (False, True):
        for name in LOOP_BACKENDS:
            net = loopmlp.init_net([8, 16, 3], "tanh", "softmax", "cross_entropy", seed=1,
                                   dtype=dtype, init="scaled", fma=fma)  # fmt: skip
            backend = loopmlp.get_backend(name)
            losses = backend.net_train(net, X, Y, 0.2, 2, batch_size=5, shuffle_seed=0)
            results[fma, name] = [losses, *net.weights, backend.net_predict(net, X)]
    for fma in (False, True):
        for name in LOOP_BACKENDS[1:]:
            assert all(
                np.array_equal(a, b)
                for a, b in zip(results[fma, name], results[fma, "python"], strict=True)
            ), (fma, name)
    # one rounding instead of two: other bits, very nearly the same numbers
    default, fused = results[False, "python"], results[True, "python"]
    assert any(not np.array_equal(a, b) for a, b in zip(default, fused))
    tol = 1e-12 if dtype == "float64" else 1e-4
    for a, b in zip(default, fused):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_the_lectures_net_in_fma_mode_is_not_the_lectures_kernels():
    # The lecture's own whole-run kernels round twice; in the FMA mode the deep net's run.
    X = np.random.default_rng(0).random((20, 6))
    Y = np.random.default_rng(1).random((20, 2))
    nets = [loopmlp.init_net([6, 5, 2], seed=3, fma=fma) for fma in (False, True)]
    for net in nets:
        loopmlp.get_backend("cython").net_train(net, X, Y, 0.5, 3)
    wh, bh, wo, bo = loopmlp.init_weights(6, 5, 2, seed=3)
    loopmlp.get_backend("cython").train(X, Y, wh, bh, wo, bo, 0.5, 3)
    assert np.array_equal(nets[0].weights[0], wh)
    assert not np.array_equal(nets[1].weights[0], wh)
    ref = loopmlp.init_net([6, 5, 2], seed=3, fma=True)
    loopmlp.get_backend("python").net_train(ref, X, Y, 0.5, 3)
    assert np.array_equal(nets[1].weights[0], ref.weights[0])


def test_estimators_take_the_mode_and_keep_it():
    X, y = digits()
    fits = {}
    for backend in LOOP_BACKENDS:
        est = loopmlp.LoopMLPClassifier(
            (6,), max_iter=3, batch_size=4, random_state=0, backend=backend, fma=True
        ).fit(X, y)
        assert est.net_.fma is True and est.get_params()["fma"] is True
        fits[backend] = est
    for backend in LOOP_BACKENDS[1:]:
        assert np.array_equal(fits[backend].coefs_[0], fits["python"].coefs_[0])
    default = loopmlp.LoopMLPClassifier(
        (6,), max_iter=3, batch_size=4, random_state=0, backend="cython"
    ).fit(X, y)
    assert not np.array_equal(default.coefs_[0], fits["cython"].coefs_[0])
    # a warm start continues the same net: another mode is another net
    est = copy.deepcopy(fits["cython"]).set_params(warm_start=True, fma=False)
    with pytest.raises(ValueError, match="fma True -> False"):
        est.fit(X, y)
    reloaded = pickle.loads(pickle.dumps(fits["cython"]))
    assert reloaded.fma is True and reloaded.net_.fma is True


def test_experiments_and_the_command_line_take_the_mode(tmp_path):
    fused = xor.run(epochs=30, fma=True, out=None, save=tmp_path / "xor.pkl")
    default = xor.run(epochs=30, out=None)
    assert fused.estimator.net_.fma is True and default.estimator.net_.fma is False
    loaded, _ = load_model(tmp_path / "xor.pkl")
    assert loaded.net_.fma is True
    # a loaded model keeps its mode; asking for the other one is an error, exit code 2
    assert main(["xor", "--epochs", "0", "--load", str(tmp_path / "xor.pkl"), "--no-out"]) == 0
    assert main(["xor", "--epochs", "5", "--fma", "--no-out", "--quiet"]) == 0
    again = xor.run(epochs=2, fma=True, load=tmp_path / "xor.pkl", out=None)
    assert again.estimator.net_.fma is True
    with pytest.raises(ValueError, match="has fma True, not False"):
        xor.run(epochs=2, fma=False, load=tmp_path / "xor.pkl", out=None)

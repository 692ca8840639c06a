"""Tests for loopmlp.perceptron: the lecture's Perceptron on the logic gates."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from loopmlp.perceptron import LOGIC_GATES, Perceptron, run_logic_gate

POINTS = [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_logic_gate_datasets_are_the_truth_tables():
    ops = {"and": lambda a, b: a & b, "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b}
    assert set(LOGIC_GATES) == set(ops)
    for name, (X, y) in LOGIC_GATES.items():
        assert X.shape == (4, 2) and np.issubdtype(X.dtype, np.integer)
        assert [tuple(x) for x in X] == POINTS
        assert list(y) == [ops[name](a, b) for a, b in POINTS]
        with pytest.raises(ValueError):  # shared constants are read-only
            X[0, 0] = 5


def test_step_is_strict_and_vectorised():
    p = Perceptron(2, seed=0)
    assert p.step(0.0) == 0 and p.step(1e-12) == 1 and p.step(-3) == 0
    assert isinstance(p.step(0.5), int)
    np.testing.assert_array_equal(p.step(np.array([-1.0, 0.0, 2.0])), [0, 0, 1])


def test_initial_weights_seeded_and_scaled():
    N = 400
    a, b, c = Perceptron(N, seed=1), Perceptron(N, seed=1), Perceptron(N, seed=2)
    assert a.W.shape == (N + 1,)
    np.testing.assert_array_equal(a.W, b.W)
    assert not np.array_equal(a.W, c.W)
    # standard normal / sqrt(N): variance 1/N (loose bound, 401 samples)
    assert 0.7 / N < a.W.var() < 1.3 / N
    assert a.alpha == 0.1


def test_single_update_follows_the_perceptron_rule():
    """One misclassified point moves W by -alpha * (p - target) * [x, 1] (bias trick)."""
    p = Perceptron(2, alpha=0.25, seed=0)
    p.W = np.array([-1.0, -1.0, -1.0])  # predicts 0 everywhere
    x = np.array([[1.0, 2.0]])
    p.fit(x, np.array([1]), epochs=1)  # p = 0, target 1: error = -1
    np.testing.assert_allclose(p.W, [-1.0 + 0.25, -1.0 + 0.5, -1.0 + 0.25])


def test_no_update_once_everything_is_right():
    X, y = LOGIC_GATES["or"]
    p = Perceptron(2, seed=0)
    p.W = np.array([1.0, 1.0, -0.5])  # separates OR
    p.fit(X, y, epochs=5)
    np.testing.assert_array_equal(p.W, [1.0, 1.0, -0.5])


def test_predict_shapes_and_bias_flag():
    X, _ = LOGIC_GATES["and"]
    p = Perceptron(2, seed=3)
    preds = p.predict(X)
    assert preds.shape == (4,)
    np.testing.assert_array_equal(p.predict(np.c_[X, np.ones(4)], add_bias=False), preds)
    for x, pred in zip(X, preds):  # the lecture called predict one point at a time
        single = p.predict(x)
        assert isinstance(single, int) and single == pred


@pytest.mark.parametrize("gate", ["and", "or"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_learns_and_or_in_20_epochs(gate, seed):
    """AND and OR are linearly separable, so the perceptron rule finds a separating line.

    The lecture's setup: alpha 0.1, 20 epochs. (How many updates are needed depends on
    the random start, and a start far from any separating weight vector can need more
    than 20 epochs; see the next test.)
    """
    X, y = LOGIC_GATES[gate]
    p = Perceptron(X.shape[1], alpha=0.1, seed=seed).fit(X, y, epochs=20)
    np.testing.assert_array_equal(p.predict(X), y)


@pytest.mark.parametrize("gate", ["and", "or"])
def test_converges_for_every_seed_given_enough_epochs(gate):
    """Perceptron convergence theorem: on separable data the number of mistakes is finite."""
    X, y = LOGIC_GATES[gate]
    for seed in range(30):
        p = Perceptron(2, alpha=0.1, seed=seed).fit(X, y, epochs=200)
        np.testing.assert_array_equal(p.predict(X), y, err_msg=f"seed {seed}")


@pytest.mark.parametrize("epochs", [20, 200])
def test_cannot_solve_xor(epochs):
    """XOR is not linearly separable, so no perceptron gets all four points right.

    A perceptron's decision is ``w1*x1 + w2*x2 + b > 0``. XOR needs (0,1) and (1,0) on the
    positive side, ``w2 + b > 0`` and ``w1 + b > 0``, and (0,0) and (1,1) on the other,
    ``b <= 0`` and ``w1 + w2 + b <= 0``. Adding the first two gives ``w1 + w2 + 2b > 0``,
    adding the last two gives ``w1 + w2 + 2b <= 0``: a contradiction. So whatever the seed
    and however long it trains, at least one point stays wrong.
    """
    X, y = LOGIC_GATES["xor"]
    for seed in range(10):
        p = Perceptron(2, alpha=0.1, seed=seed).fit(X, y, epochs=epochs)
        assert np.sum(p.predict(X) != y) >= 1


def test_no_weight_vector_solves_xor():
    """The same argument, checked directly on many weight vectors (no training)."""
    X, y = LOGIC_GATES["xor"]
    rng = np.random.default_rng(0)
    p = Perceptron(2)
    grid = np.linspace(-2, 2, 9)
    candidates = itertools.chain(itertools.product(grid, repeat=3), rng.standard_normal((2000, 3)))
    for w in candidates:
        p.W = np.asarray(w, dtype=np.float64)
        assert not np.array_equal(p.predict(X), y)


def test_run_logic_gate_prints_lecture_lines(capsys):
    _, preds = run_logic_gate("and", seed=0)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "[INFO] training perceptron..."
    assert out[1] == "[INFO] testing perceptron..."
    X, y = LOGIC_GATES["and"]
    for line, x, target, pred in zip(out[2:], X, y, preds):
        assert line == f"[INFO] data=[{x[0]} {x[1]}], ground-truth={target}, pred={pred}"
    assert len(out) == 6

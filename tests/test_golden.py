"""Golden bits: the weights and loss curves that loopmlp promises on every IEEE-754 machine.

Each case is a short training from fixed seeds; its result is the SHA-256 of the trained
weights, biases and loss curve, byte for byte. ``golden_bits.json`` holds the hashes the
pure-Python reference computed (``python tests/test_golden.py`` writes them; nothing else
does), and every loop backend, and every Cython build this CPU can run, must give them.

Why these bits, and not merely this machine's: every operation of a loop backend is an
IEEE-754 ``+ - * /`` or ``sqrt`` (correctly rounded, so the same on every conforming CPU),
a fused multiply-add inside ``exp`` (correctly rounded too), or a bit operation; ``exp``,
``log`` and ``tanh`` are loopmlp's own functions, never the C library's; the initial weights
come from NumPy's ``default_rng`` (PCG64 and its float conversion, the same on every
platform). A hash that changes is a change of loopmlp's promised results: a release note,
never a new hash copied in to make the test pass. The FMA mode (``fma=True``: each
multiply-add of the loops rounded once) has rows of its own; the default mode's are the
lecture's two roundings.
"""

import hashlib
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import loopmlp
from loopmlp.kernels import _cython_native

GOLDEN = Path(__file__).with_name("golden_bits.json")
LOOP_BACKENDS = ["python", "numba", "cython"]
# The Cython builds checked, each in a fresh process with LOOPMLP_CYTHON_BUILD set: every
# build this install has and this CPU runs (sse2, avx2, avx512 on x86-64).
CYTHON_BUILDS = list(_cython_native.BUILDS)


def digest(arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def lecture(k, scale=1.0):
    """The lecture's 60-6-4 net, its own kernels: 3 epochs over 40 samples, and the
    predictions. ``scale`` multiplies the initial weights: 300 gives net inputs of hundreds,
    through ``exp``'s special cases (overflow, the scaled and subnormal results)."""
    rng = np.random.default_rng(2024)
    X, Y = rng.random((40, 60)), rng.random((40, 4))
    w = loopmlp.init_weights(60, 6, 4, seed=7)
    w[0][...] *= scale
    mses = k.train(X, Y, *w, 0.1, 3)
    return [mses, *w, k.predict(X * 1.5, *w)]


def deep(k, activation, output, loss, dtype, batch_size, fma=False, sizes=(10, 12, 4)):
    """A 10-12-4 net (init_net's seeds), 3 epochs over 48 samples, shuffled."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((48, sizes[0]))
    labels = rng.integers(0, sizes[-1], 48)
    Y = np.eye(sizes[-1])[labels]
    net = loopmlp.init_net(
        sizes, activation=activation, output=output, loss=loss, seed=3, dtype=dtype, fma=fma
    )
    losses = k.net_train(net, X, Y, 0.05, 3, batch_size=batch_size, shuffle_seed=11)
    return [losses, *net.weights, *net.biases]


def classifier(backend, dtype, fma=False):
    """LoopMLPClassifier on 60 of scikit-learn's digits (3 classes), 3 epochs (too few to
    converge, as meant)."""
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning

    from loopmlp import LoopMLPClassifier

    X, y = load_digits(n_class=3, return_X_y=True)
    clf = LoopMLPClassifier(
        (8,), max_iter=3, batch_size=8, random_state=0, backend=backend, dtype=dtype, fma=fma
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X[:60] / 16, y[:60])
    return [np.array(clf.loss_curve_), *clf.coefs_, *clf.intercepts_]


CASES = {
    "lecture 60-6-4 sigmoid/mse float64": lambda b: lecture(loopmlp.get_backend(b)),
    "lecture 60-6-4 saturated float64": lambda b: lecture(loopmlp.get_backend(b), 300.0),
    **{
        f"relu/softmax/cross_entropy batches of 8 {dtype}": (
            lambda b, dtype=dtype: deep(
                loopmlp.get_backend(b), "relu", "softmax", "cross_entropy", dtype, 8
            )
        )
        for dtype in ("float64", "float32")
    },
    **{
        f"tanh/sigmoid/cross_entropy online {dtype}": (
            lambda b, dtype=dtype: deep(
                loopmlp.get_backend(b), "tanh", "sigmoid", "cross_entropy", dtype, 1
            )
        )
        for dtype in ("float64", "float32")
    },
    "LoopMLPClassifier digits float64": lambda b: classifier(b, "float64"),
    # the FMA mode: the same trainings, each multiply-add rounded once
    "fma: 60-6-4 sigmoid/mse online float64": lambda b: deep(
        loopmlp.get_backend(b), "sigmoid", "sigmoid", "mse", "float64", 1, True, (60, 6, 4)
    ),
    **{
        f"fma: relu/softmax/cross_entropy batches of 8 {dtype}": (
            lambda b, dtype=dtype: deep(
                loopmlp.get_backend(b), "relu", "softmax", "cross_entropy", dtype, 8, True
            )
        )
        for dtype in ("float64", "float32")
    },
    **{
        f"fma: tanh/sigmoid/cross_entropy online {dtype}": (
            lambda b, dtype=dtype: deep(
                loopmlp.get_backend(b), "tanh", "sigmoid", "cross_entropy", dtype, 1, True
            )
        )
        for dtype in ("float64", "float32")
    },
    "fma: LoopMLPClassifier digits float64": lambda b: classifier(b, "float64", True),
}


def hashes(backend: str, names=tuple(CASES)) -> dict[str, str]:
    with np.errstate(over="ignore"):  # a saturated float32 sigmoid, as the backends allow
        return {name: digest(CASES[name](backend)) for name in names}


def golden() -> dict[str, str]:
    return json.loads(GOLDEN.read_text())["sha256"]


def test_the_golden_file_has_every_case():
    assert sorted(golden()) == sorted(CASES)


@pytest.mark.parametrize("backend", LOOP_BACKENDS)
def test_every_loop_backend_gives_the_golden_bits(backend):
    assert hashes(backend) == golden()


@pytest.mark.parametrize("build", CYTHON_BUILDS)
def test_every_cython_build_gives_the_golden_bits(build):
    """In a fresh process, so that the build is the one loaded from the start."""
    code = (
        "import json, sys, test_golden\n"
        "from loopmlp.kernels import _cython_native\n"
        "assert _cython_native.BUILD == sys.argv[1], _cython_native.BUILD\n"
        "print(json.dumps(test_golden.hashes('cython')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, build],
        cwd=Path(__file__).parent,
        env=dict(os.environ, LOOPMLP_CYTHON_BUILD=build),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(out.splitlines()[-1]) == golden()


def test_the_numpy_backend_is_not_held_to_them():
    """The numpy backend uses NumPy's exp, log and tanh and its own summation order: close to
    the golden results, not their bits (docs/same-bits.rst)."""
    mine = lecture(loopmlp.get_backend("numpy"))
    ref = lecture(loopmlp.get_backend("python"))
    for a, b in zip(mine, ref):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


if __name__ == "__main__":
    # the only writer of golden_bits.json: the pure-Python reference
    GOLDEN.write_text(
        json.dumps(
            {
                "about": "SHA-256 of tests/test_golden.py's trainings, as the pure-Python "
                "reference computes them: the bits every loop backend gives on every "
                "IEEE-754 machine",
                "sha256": hashes("python"),
            },
            indent=2,
        )
        + "\n"
    )

"""Benchmarks of the deep-net kernels (``net_train``, ``net_predict``): every backend, one group
per workload, each case checked against the ``python`` reference before it is timed.

    pytest bench/bench_net.py --benchmark-group-by=group      # timings
    pytest bench --benchmark-disable                          # what CI runs: checks only

The check runs on ``CHECK_ROWS`` rows (pure Python costs ~1 s a sample on 784-512-10), the
timing on the workload's rows, with a fresh net every round (``pedantic(setup=...)``) and
the kernels compiled by the check first. Pure Python is timed on small workloads only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import loopmlp

CHECK_ROWS = 4
# (rtol, atol) against the reference: the loop backends are bit-identical; numpy sums in
# BLAS's order (tests/test_net.py states the same tolerances with their reasons)
TOLERANCE = {"python": (0, 0), "numba": (0, 0), "cython": (0, 0),
             "numpy": {"float64": (1e-9, 1e-9), "float32": (1e-3, 1e-3)}}


@dataclass(frozen=True)
class NetWorkload:
    kernel: str                     # "net_train" or "net_predict"
    sizes: tuple
    hidden: str = "sigmoid"
    output: str = "sigmoid"
    loss: str = "mse"
    n_samples: int = 256
    batch_size: int = 1
    dtype: str = "float64"
    python: bool = False            # time pure Python too (small nets only)

    @property
    def group(self) -> str:
        shape = "-".join(map(str, self.sizes))
        batch = f" batch {self.batch_size}" if self.kernel == "net_train" else ""
        return (f"{self.kernel} {shape} {self.hidden}/{self.output}/{self.loss}{batch} "
                f"N={self.n_samples} {self.dtype}")

    def __str__(self) -> str:
        return self.group.replace(" ", "_").replace("/", "-")

    def setup(self, n_samples):
        net = loopmlp.init_net(list(self.sizes), hidden=self.hidden, output=self.output,
                               loss=self.loss, seed=0, dtype=self.dtype, init="scaled")
        rng = np.random.default_rng(1)
        X = rng.random((n_samples, self.sizes[0])).astype(self.dtype)
        Y = np.eye(self.sizes[-1], dtype=self.dtype)[rng.integers(self.sizes[-1], size=n_samples)]
        return net, X, Y

    def run(self, k, net, X, Y):
        if self.kernel == "net_train":
            losses = k.net_train(net, X, Y, 0.05, 1, batch_size=self.batch_size)
            return [losses, *net.weights, *net.biases]
        return [k.net_predict(net, X)]


WORKLOADS = [
    # the lecture's two-hidden-layer missing-pixels net, online SGD
    NetWorkload("net_train", (60, 60, 60, 4), n_samples=1024, python=True),
    NetWorkload("net_train", (64, 32, 10), "relu", "softmax", "cross_entropy", n_samples=1024,
                python=True),
    # the Keras MNIST net: online, and mini-batches of 32 as in the slides; float32 too
    NetWorkload("net_train", (784, 512, 10), "relu", "softmax", "cross_entropy", n_samples=64),
    NetWorkload("net_train", (784, 512, 10), "relu", "softmax", "cross_entropy",
                n_samples=256, batch_size=32),
    NetWorkload("net_train", (784, 512, 10), "relu", "softmax", "cross_entropy",
                n_samples=256, batch_size=32, dtype="float32"),
    NetWorkload("net_predict", (784, 512, 10), "relu", "softmax", "cross_entropy",
                n_samples=1000),
    NetWorkload("net_predict", (784, 512, 10), "relu", "softmax", "cross_entropy",
                n_samples=1000, dtype="float32"),
    NetWorkload("net_predict", (64, 32, 10), "relu", "softmax", "cross_entropy",
                n_samples=1797, python=True),
]


def same(backend, dtype, comp, ref):
    tol = TOLERANCE[backend]
    rtol, atol = tol[dtype] if isinstance(tol, dict) else tol
    for c, r in zip(comp, ref, strict=True):
        if rtol == atol == 0:
            assert np.array_equal(c, r), f"{backend}: max |diff| {np.max(np.abs(c - r))}"
        else:
            np.testing.assert_allclose(c, r, rtol=rtol, atol=atol)
    return rtol == atol == 0


CASES = [(w, b) for w in WORKLOADS for b in loopmlp.BACKENDS if b != "python" or w.python]
_reference = {}


def reference(workload):
    """The python backend's result on the check rows, computed once per workload."""
    if workload not in _reference:
        net, X, Y = workload.setup(CHECK_ROWS)
        _reference[workload] = workload.run(loopmlp.get_backend("python"), net, X, Y)
    return _reference[workload]


@pytest.mark.parametrize(("workload", "backend"), CASES,
                         ids=[f"{w}-{b}" for w, b in CASES])
def test_net_kernel(benchmark, workload, backend):
    k = loopmlp.get_backend(backend)
    net, X, Y = workload.setup(CHECK_ROWS)
    exact = same(backend, workload.dtype, workload.run(k, net, X, Y), reference(workload))
    benchmark.group = workload.group
    benchmark.extra_info.update(bit_identical=exact, check_rows=CHECK_ROWS)
    benchmark.pedantic(lambda *a: workload.run(k, *a), setup=lambda: (
        workload.setup(workload.n_samples), {}), rounds=5, iterations=1)

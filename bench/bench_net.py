"""Benchmarks of the deep-net kernels (``net_train``, ``net_predict``): every backend, one group
per workload of ``loopmlp.workloads.NET_WORKLOADS``, each case checked against the ``python``
reference before it is timed.

    pytest bench/bench_net.py --benchmark-group-by=group      # timings
    pytest bench --benchmark-disable                          # what CI runs: checks only

The check runs on ``workload.rows("python")`` rows (``CHECK_ROWS``; pure Python costs
~0.25 s a sample on 784-512-10), the timing on the workload's rows, with a fresh net every
round (``pedantic(setup=...)``) and the kernels compiled by the check first. Pure Python is
timed on small workloads only (``python=True``). The workloads are defined once, in
``loopmlp/workloads.py``, with those ``loopmlp bench`` times.

The FMA mode (``init_net(..., fma=True)``) runs too, on the small workloads (its pure-Python
reference emulates an exact fma, hundreds of times slower) and the loop backends that have
it, bit-identical to the reference in that mode.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import loopmlp
from loopmlp.benchreport import FMA_CONTENDERS, has_fma_mode
from loopmlp.workloads import NET_WORKLOADS

# (rtol, atol) against the reference: the loop backends are bit-identical; numpy sums in
# BLAS's order (tests/test_net.py states the same tolerances with their reasons)
TOLERANCE = {
    "python": (0, 0),
    "numba": (0, 0),
    "cython": (0, 0),
    "numpy": {"float64": (1e-9, 1e-9), "float32": (1e-3, 1e-3)},
}


def same(backend, dtype, comp, ref):
    tol = TOLERANCE[backend]
    rtol, atol = tol[dtype] if isinstance(tol, dict) else tol
    for c, r in zip(comp, ref, strict=True):
        if rtol == atol == 0:
            assert np.array_equal(c, r), f"{backend}: max |diff| {np.max(np.abs(c - r))}"
        else:
            np.testing.assert_allclose(c, r, rtol=rtol, atol=atol)
    return rtol == atol == 0


CASES = [(w, b) for w in NET_WORKLOADS for b in loopmlp.BACKENDS if b != "python" or w.python]
CASES += [
    (dataclasses.replace(w, fma=True, python=False), b)
    for w in NET_WORKLOADS
    if w.python
    for b in FMA_CONTENDERS
    if has_fma_mode(b, loopmlp.get_backend(b))
]
_reference = {}


def checked(workload):
    """The workload on the rows of its check (``rows("python")``), for every backend."""
    return dataclasses.replace(workload, n_samples=workload.rows("python"), python_samples=None)


def reference(workload):
    """The python backend's result on the check rows, computed once per workload."""
    if workload not in _reference:
        small = checked(workload)
        _reference[workload] = small.result(loopmlp.get_backend("python"), small.setup("python"))
    return _reference[workload]


@pytest.mark.parametrize(("workload", "backend"), CASES, ids=[f"{w}-{b}" for w, b in CASES])
def test_net_kernel(benchmark, workload, backend):
    k = loopmlp.get_backend(backend)
    small = checked(workload)
    exact = same(
        backend, workload.dtype, small.result(k, small.setup(backend)), reference(workload)
    )
    full = dataclasses.replace(workload, python_samples=None)
    benchmark.group = workload.group
    benchmark.extra_info.update(bit_identical=exact, check_rows=small.n_samples)
    benchmark.pedantic(
        lambda *a: full.run(k, *a), setup=lambda: (full.setup(backend), {}), rounds=5, iterations=1
    )

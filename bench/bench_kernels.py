"""Benchmarks: every backend on every workload of ``loopmlp.workloads.WORKLOADS``.

    pytest bench --benchmark-group-by=group          # timings, one table per workload
    pytest bench --benchmark-disable                 # what CI runs: each case once, checked

One group per workload, so a table compares backends on the same input. Before timing,
each case's result is compared with the ``python`` reference on the same arguments and the
verdict is stored next to the timing (``extra_info``). Weights are fresh every round
(``pedantic(setup=...)``), and a warm-up call compiles numba before the clock starts.
Pure Python runs on ``python_samples`` rows; set ``LOOPMLP_BENCH_FULL=1`` for full size.

``fast`` (numba with fastmath, opt-in) is a contender too, so the tables show what the bits
cost; it is checked against its stated tolerance (``loopmlp.kernels._numba_fast.atol``), not for
bit-identity.
"""

import dataclasses
import os

import pytest

import loopmlp
from loopmlp.workloads import WORKLOADS, compare

FULL = os.environ.get("LOOPMLP_BENCH_FULL") == "1"
CASES = [dataclasses.replace(w, python_samples=None) if FULL else w for w in WORKLOADS]
CONTENDERS = loopmlp.BACKENDS + ("fast",)


def tolerance(backend, workload, rows):
    """Max |diff| allowed against the reference on ``rows`` rows."""
    if backend == "fast":
        from loopmlp.kernels._numba_fast import atol

        return atol(workload.kernel, workload.shape, rows, workload.epochs)
    return 1e-9  # the four BACKENDS: bit-identical, numpy within 1e-12 (tests/test_kernels.py)


@pytest.mark.parametrize("backend", CONTENDERS)
@pytest.mark.parametrize("workload", CASES, ids=str)
def test_kernel(benchmark, workload, backend):
    k = loopmlp.get_backend(backend)
    ref = loopmlp.get_backend("python")
    n = workload.rows("python")
    # Correctness first, on the rows the reference can afford; it also warms up the JIT.
    small = dataclasses.replace(workload, n_samples=n)
    same, diff = compare(
        small.result(k, small.setup(backend)), small.result(ref, small.setup("python"))
    )
    tol = tolerance(backend, workload, n)
    benchmark.extra_info.update(
        bit_identical=same, max_abs_diff=diff, tolerance=tol, rows=workload.rows(backend)
    )
    benchmark.group = workload.group
    per_call = workload.kernel in ("neural_response", "update_network", "train_epoch", "predict")
    if per_call and workload.n_samples * workload.shape[0] * workload.shape[1] <= 512:
        # Calls of a microsecond or so: time 1,000 back-to-back calls a round, as
        # a training loop makes them (timing single calls would mostly time the timer).
        # The arguments are reused, so update_network keeps stepping the same weights.
        benchmark.pedantic(
            getattr(k, workload.kernel),
            args=workload.setup(backend),
            rounds=20,
            iterations=1_000 if backend != "python" else 10,
        )
    else:
        benchmark.pedantic(
            workload.run, setup=lambda: ((k, *workload.setup(backend)), {}), rounds=5, iterations=1
        )
    assert diff <= tol, f"{backend} off the reference on {workload}: {diff:.1e} > {tol:.1e}"

"""NumPy and loopmlp in one loop: a threaded kernel right after a NumPy matrix product.

OpenBLAS's threads keep spinning for a while after each call, on the cores the next
threaded kernel needs (a parallel region waits for its slowest thread); OpenMP's threads
(cython's, and numba's with its ``omp`` threading layer) do the same after each region.
Here ``predict`` and ``net_predict`` on the digits net (64-32-10, 20,000 rows) on the
``numba`` and ``cython`` backends, timed right after a NumPy matrix product and after a
pause, and with each remedy that leaves the bits alone:

    pytest bench/bench_interplay.py --benchmark-group-by=group   # timings
    pytest bench --benchmark-disable                            # what CI runs: checks only
    python bench/bench_interplay.py                             # every remedy, a table

The table runs each setting in a fresh process, since OpenBLAS and OpenMP read theirs at
load time. Every case is first checked against the ``python`` reference, and its result
after the product is checked to be the one after the pause (threads never change bits).
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import pytest

import loopmlp
from loopmlp.workloads import DIGITS_NET, NetWorkload, Workload

ROWS = 20_000
PAUSE = 0.3  # seconds: longer than OpenBLAS's and OpenMP's spin after a call
MATMUL = 256  # a NumPy product of two MATMUL x MATMUL matrices, on BLAS's threads
WORKLOADS = {
    "predict": Workload("predict", "digits", n_samples=ROWS, python_samples=16),
    "net_predict": NetWorkload("net_predict", **DIGITS_NET, n_samples=ROWS, python_samples=16),
}
BACKENDS = ("numba", "cython")

_A = np.random.default_rng(0).random((MATMUL, MATMUL))


def matmul() -> None:
    """What a NumPy step in the loop does: one matrix product on BLAS's threads."""
    _A @ _A


def before(case: str) -> None:
    """What runs right before the timed kernel: ``after_matmul``, ``after_pause``, or
    ``after_matmul_blas1`` (the product on one BLAS thread, ``threadpoolctl``)."""
    if case == "after_matmul":
        matmul()
    elif case == "after_matmul_blas1":
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            matmul()
    elif case == "after_pause":
        matmul()
        time.sleep(PAUSE)
    else:
        raise ValueError(f"unknown case {case!r}")


def call(w, k, args, threads=None):
    """``w``'s kernel on backend ``k``, on ``threads`` threads (None: the backend's own)."""
    given = {} if threads is None else {"threads": threads}
    if w.kernel == "predict":
        return k.predict(*args, **given)
    return k.net_predict(args[0], args[1], **given)


def setup(w, backend):
    args = w.setup(backend)
    return args if w.kernel == "predict" else args[:2]  # (net, X) for net_predict


def timings(kernel: str, backend: str, cases, threads=None, repeat: int = 15) -> dict:
    """ns a row of ``kernel`` on ``backend`` after each of ``cases``, the median and the
    minimum of ``repeat`` calls, the cases interleaved so that the load is shared."""
    w = WORKLOADS[kernel]
    k = loopmlp.get_backend(backend)
    args = setup(w, backend)
    call(w, k, args, threads)  # compiles numba, starts the threads
    times: dict = {case: [] for case in cases}
    for _ in range(repeat):
        for case in cases:
            before(case)
            t0 = time.perf_counter()
            call(w, k, args, threads)
            times[case].append((time.perf_counter() - t0) / w.n_samples * 1e9)
    return {case: {"median": statistics.median(t), "min": min(t)} for case, t in times.items()}


# --- pytest-benchmark ---------------------------------------------------------------------

CASES = [
    (kernel, backend, case)
    for kernel in WORKLOADS
    for backend in BACKENDS
    for case in ("after_matmul", "after_pause", "after_matmul_blas1")
]


@pytest.mark.parametrize(("kernel", "backend", "case"), CASES, ids=["-".join(c) for c in CASES])
def test_interplay(benchmark, kernel, backend, case):
    w = WORKLOADS[kernel]
    k = loopmlp.get_backend(backend)
    # checked first: the reference's result on the rows it can afford
    small = dataclasses.replace(w, n_samples=w.rows("python"), python_samples=None)
    ref = call(small, loopmlp.get_backend("python"), setup(small, "python"))
    assert np.array_equal(call(small, k, setup(small, backend)), ref)
    args = setup(w, backend)
    quiet = call(w, k, args)
    before(case)
    assert np.array_equal(call(w, k, args), quiet), "threads changed the bits"
    benchmark.group = f"{kernel} 64-32-10 N={ROWS} {backend}"
    benchmark.pedantic(
        lambda: call(w, k, args), setup=lambda: before(case), rounds=10, iterations=1
    )


# --- python bench/bench_interplay.py: every remedy, each in a fresh process ----------------

SETTINGS = {
    "default": {},
    "OPENBLAS_THREAD_TIMEOUT=4": {"OPENBLAS_THREAD_TIMEOUT": "4"},
    "OPENBLAS_NUM_THREADS=1": {"OPENBLAS_NUM_THREADS": "1"},
    "OMP_WAIT_POLICY=passive": {"OMP_WAIT_POLICY": "passive"},
    "GOMP_SPINCOUNT=0": {"GOMP_SPINCOUNT": "0"},
    "NUMBA_THREADING_LAYER=workqueue": {"NUMBA_THREADING_LAYER": "workqueue"},
}
TABLE_CASES = ("after_pause", "after_matmul", "after_matmul_blas1")


def child(setting: str) -> None:
    """One setting's row: every kernel and backend, on their threads and on one."""
    out = {}
    for kernel in WORKLOADS:
        for backend in BACKENDS:
            for threads in (None, 1):
                t = timings(kernel, backend, TABLE_CASES, threads)
                out[f"{kernel} {backend} {'1 thread' if threads else 'threads'}"] = t
    print(json.dumps({"setting": setting, "timings": out, "load": os.getloadavg()[0]}))


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    print("ns a row (median, min of 15), 64-32-10, 20,000 rows; load average", os.getloadavg())
    for setting, env in SETTINGS.items():
        done = subprocess.run(
            [sys.executable, __file__, "--child", setting],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(done.stdout.splitlines()[-1])
        print(f"\n{setting} (load average {result['load']:.2f})")
        print(f"  {'':32}" + "".join(f"{c:>22}" for c in TABLE_CASES))
        for name, t in result["timings"].items():
            cells = "".join(
                f"{t[c]['median']:>14.0f} ({t[c]['min']:.0f})".rjust(22) for c in TABLE_CASES
            )
            print(f"  {name:32}{cells}")


if __name__ == "__main__":
    main()

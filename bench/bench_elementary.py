"""loopmlp's own ``exp``, ``log`` and ``tanh`` against the C library's, in compiled loops.

    pytest bench/bench_elementary.py --benchmark-group-by=group    # timings
    python bench/bench_elementary.py                               # ns per value, a table
    pytest bench --benchmark-disable                               # what CI runs

Each case maps a function over 100,000 inputs in a numba loop (``math.exp`` there is the C
library's ``exp``, loopmlp's is ``_exp.exp`` compiled) and in each Cython build this CPU
runs (``exp_many`` etc.: loopmlp's functions in C). Inputs: sigmoid and softmax arguments
(-40 to 40) for ``exp``, outputs in (0, 1) for ``log``, net inputs (-3 to 3) for ``tanh``.
"""

from __future__ import annotations

import math
import time

import numba
import numpy as np
import pytest

from loopmlp.kernels import _cython, _numba

N = 100_000
INPUTS = {
    "exp": np.random.default_rng(0).uniform(-40, 40, N),
    "log": np.random.default_rng(1).uniform(0, 1, N),
    "tanh": np.random.default_rng(2).uniform(-3, 3, N),
}
OURS = _numba._exp_kernels(**_numba.NUMBA_OPTIONS)


def _loop(f):
    @numba.njit
    def many(x):
        out = np.empty_like(x)
        for i in range(x.shape[0]):
            out[i] = f(x[i])
        return out

    return many


def _libm(name):
    f = getattr(math, name)

    @numba.njit
    def call(x):
        return f(x)

    return call


BUILDS = ["_cython"] + [
    b for b in ("_cython_avx2", "_cython_avx512") if getattr(_cython, f"CPU_HAS_{b[8:].upper()}")
]


def cases():
    """(group, label, function of an array) for every function and implementation."""
    for name in INPUTS:
        yield name, "numba, C library", _loop(_libm(name))
        yield name, "numba, loopmlp", _loop(OURS[name])
        for build in BUILDS:
            module = __import__(f"loopmlp.kernels.{build}", fromlist=["exp_many"])
            yield name, f"{build}, loopmlp", getattr(module, f"{name}_many")


CASES = list(cases())


@pytest.mark.parametrize("case", CASES, ids=[f"{g}-{label}" for g, label, _ in CASES])
def test_elementary(benchmark, case):
    group, _, f = case
    benchmark.group = group
    x = INPUTS[group]
    f(x)  # compiled before the timing
    benchmark(f, x)


def ns_per_value(f, x, repeat=20) -> float:
    f(x)
    best = math.inf
    for _ in range(repeat):
        t = time.perf_counter()
        f(x)
        best = min(best, time.perf_counter() - t)
    return best / x.shape[0] * 1e9


if __name__ == "__main__":
    for group, label, f in CASES:
        print(f"{group:5} {label:24} {ns_per_value(f, INPUTS[group]):6.2f} ns")

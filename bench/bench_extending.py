"""What a call of ``neural_response`` and ``update_network`` costs, by route: from Python
through ``Backend``, from Python through ``loopmlp.numba_kernels``, and from a user's compiled
loop (``@njit`` around ``numba_kernels``, Cython around ``cimport loopmlp.cython_kernels``),
checked and raw. On 2-2-1 and 60-6-4.

    pytest bench/bench_extending.py --benchmark-group-by=group   # timings
    pytest bench/bench_extending.py --benchmark-disable          # what CI runs: once, checked
    python bench/bench_extending.py                              # ns a call, min and median

A compiled loop's round is ``CALLS`` calls; divide its time by ``CALLS`` (``extra_info``).
The user's Cython loops (``_extending_loops.pyx``) are built in a temporary folder against
the installed package, as a user's would be. Each route is first checked against the
``python`` reference, bit for bit.
"""

import functools
import shutil
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path

import numba
import numpy as np
import pytest

import loopmlp
from loopmlp import numba_kernels as nk
from loopmlp.kernels import _numba
from loopmlp.kernels import _reference as ref

SHAPES = [(2, 2, 1), (60, 6, 4)]
CALLS = 10_000
LRATE = 1e-9  # update_network steps the same weights CALLS times: keep them where they are
_raw_forward, _raw_update = _numba._kernels["neural_response"], _numba._kernels["update_network"]


@numba.njit
def njit_forward(inp, wh, bh, wo, bo, n):
    for _ in range(n):
        hid, out = nk.neural_response(inp, wh, bh, wo, bo)
    return hid, out


@numba.njit
def njit_forward_raw(inp, wh, bh, wo, bo, n):
    for _ in range(n):
        hid, out = _raw_forward(inp, wh, bh, wo, bo)
    return hid, out


@numba.njit
def njit_update(inp, hid, out, err, wh, bh, wo, bo, lrate, n):
    for _ in range(n):
        nk.update_network(inp, hid, out, err, wh, bh, wo, bo, lrate)


@numba.njit
def njit_update_raw(inp, hid, out, err, wh, bh, wo, bo, lrate, n):
    for _ in range(n):
        _raw_update(inp, hid, out, err, wh, bh, wo, bo, lrate)


@functools.cache
def cython_loops():
    """``_extending_loops.pyx`` built against the installed loopmlp, imported."""
    folder = Path(tempfile.mkdtemp(prefix="loopmlp_bench_"))
    shutil.copy(Path(__file__).with_name("_extending_loops.pyx"), folder)
    script = (
        "import numpy; from Cython.Build import cythonize; from setuptools import setup; "
        "setup(ext_modules=cythonize('_extending_loops.pyx'), "
        "include_dirs=[numpy.get_include()], script_args=['build_ext', '--inplace'])"
    )
    subprocess.run([sys.executable, "-c", script], cwd=folder, check=True, capture_output=True)
    sys.path.insert(0, str(folder))
    import _extending_loops

    return _extending_loops


def routes(kernel, shape):
    """``{route: (function, args, calls)}`` for one kernel on one net, and the reference's
    result on the same arguments (the result of one call)."""
    inp = np.random.default_rng(0).random(shape[0])
    w = loopmlp.init_weights(*shape, seed=0)
    hid, out = ref.neural_response(inp, *w)
    err = np.full(shape[2], 0.5) - out
    numba_backend, cython_backend = loopmlp.get_backend("numba"), loopmlp.get_backend("cython")
    loops = cython_loops()
    h, o = np.empty(shape[1]), np.empty(shape[2])
    if kernel == "neural_response":
        return {
            "python -> Backend numba": (numba_backend.neural_response, (inp, *w), 1),
            "python -> Backend cython": (cython_backend.neural_response, (inp, *w), 1),
            "python -> numba_kernels": (nk.neural_response, (inp, *w), 1),
            "njit loop -> numba_kernels": (njit_forward, (inp, *w, CALLS), CALLS),
            "njit loop -> raw kernel": (njit_forward_raw, (inp, *w, CALLS), CALLS),
            "cython loop -> cython_kernels": (loops.forward, (inp, *w, h, o, CALLS), CALLS),
            "cython loop -> raw_": (loops.forward_raw, (inp, *w, h, o, CALLS), CALLS),
        }, (hid, out)
    args = (inp, hid, out, err, *w, LRATE)
    return {
        "python -> Backend numba": (numba_backend.update_network, args, 1),
        "python -> Backend cython": (cython_backend.update_network, args, 1),
        "python -> numba_kernels": (nk.update_network, args, 1),
        "njit loop -> numba_kernels": (njit_update, (*args, CALLS), CALLS),
        "njit loop -> raw kernel": (njit_update_raw, (*args, CALLS), CALLS),
        "cython loop -> cython_kernels": (loops.update, (*args, CALLS), CALLS),
        "cython loop -> raw_": (loops.update_raw, (*args, CALLS), CALLS),
    }, None


def check(kernel, shape, route, function, args):
    """One call of the route on fresh weights, against the python reference, bit for bit."""
    args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    if "loop" in route:
        args[-1] = 1
    expected = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    if kernel == "neural_response":
        got = function(*args)
        if "cython loop" in route:
            got = (args[5], args[6])
        want = ref.neural_response(*expected[:5])
    else:
        function(*args)
        ref.update_network(*expected[:9])
        got, want = args[4:8], expected[4:8]
    assert all(np.array_equal(g, x) for g, x in zip(got, want)), route


CASES = [(k, s, r) for k in ("neural_response", "update_network") for s in SHAPES
         for r in range(7)]  # fmt: skip


@pytest.mark.parametrize("kernel,shape,route", CASES, ids=str)
def test_call(benchmark, kernel, shape, route):
    table, _ = routes(kernel, shape)
    name, (function, args, calls) = list(table.items())[route]
    check(kernel, shape, name, function, args)
    function(*args)  # compiled before the clock starts
    benchmark.group = f"{kernel} {'-'.join(map(str, shape))}"
    benchmark.name = name
    benchmark.extra_info.update(calls_per_round=calls)
    benchmark.pedantic(function, args=args, rounds=20, iterations=1 if calls > 1 else 1_000)


def main(repeat=15):
    for kernel in ("neural_response", "update_network"):
        for shape in SHAPES:
            table, _ = routes(kernel, shape)
            print(f"{kernel} {'-'.join(map(str, shape))}: ns a call, min / median")
            for name, (function, args, calls) in table.items():
                check(kernel, shape, name, function, args)
                function(*args)
                number = 1 if calls > 1 else CALLS
                call = functools.partial(function, *args)
                times = np.array(timeit.repeat(call, number=number, repeat=repeat))
                times *= 1e9 / (number * calls)
                print(f"  {name:32} {times.min():8.1f} {np.median(times):8.1f}")


if __name__ == "__main__":
    main()

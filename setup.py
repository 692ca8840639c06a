"""Only the Cython extensions; all metadata lives in pyproject.toml."""

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

# -ffp-contract=off: no fused multiply-add, so every a*b+c rounds twice as in the Python
# reference (gcc contracts by default when the target has FMA). -fno-fast-math is gcc's
# default; stated so nobody adds it by accident. No -march=native: the wheel may run on
# another machine; gcc's x86-64 default is SSE2.
compile_args = ["-O3", "-ffp-contract=off", "-fno-fast-math"]

# The kernels' builds:
# -fopenmp: predict's blocks of rows and the mini-batch updates run on OpenMP threads.
# -fno-tree-loop-vectorize: gcc's loop vectoriser runs the panel loops two inputs at a time,
#   with a shuffle per weight, correct but several times slower than what its SLP vectoriser
#   does when it is off: a panel's side-by-side sums in SIMD registers, each lane exactly the
#   scalar operation. (The C helpers that want it turn it back on, _cython_exp.h.)
kernel_flags = ["-fopenmp", "-fno-tree-loop-vectorize"]
# _cython_avx2 and _cython_avx512 are the same source with wider registers; loopmlp loads
# them only on a CPU that has the instructions (_cython_native.py), so the wheel still runs
# on any x86-64.
# -mavx2: a panel's 8 float64 sums in two 4-wide registers (SSE2: four 2-wide ones).
# -mfma: the inlined exp's fma() calls (_exp.py) become instructions; -ffp-contract=off still
#   keeps gcc from fusing anything else, so every sum rounds as in the reference.
# -mavx512f -mavx512vl: 32 registers, so a pass's 8 x 8 sums fit without spills (AVX2's 16
#   registers spill float64 sums to the stack).
# -mprefer-vector-width=256: with 512-bit vectors gcc paired two rows' float32 sums in one
#   register, with an insert per row and weight; 512-bit vectors were no faster elsewhere.
# No -funroll-loops: it speeds up the mini-batches but slows the lecture's epochs.
own_flags = {
    "_cython": kernel_flags,
    "_cython_avx2": kernel_flags + ["-mavx2", "-mfma"],
    "_cython_avx512": kernel_flags + ["-mavx512f", "-mavx512vl", "-mprefer-vector-width=256"],
    "_check": [],
}
link_flags = {
    "_cython": ["-fopenmp"],
    "_cython_avx2": ["-fopenmp"],
    "_cython_avx512": ["-fopenmp"],
    "_check": [],
}

# the kernels' builds live with the other backends in loopmlp.kernels; _check is shared glue
modules = {
    "_cython": "kernels._cython",
    "_cython_avx2": "kernels._cython_avx2",
    "_cython_avx512": "kernels._cython_avx512",
    "_check": "_check",
}

# Cython's directives, for every file of a module (none sets its own). No bounds or
# wraparound checks: every index is computed in range, none is meant to count from the end.
check_directives = {"language_level": 3, "boundscheck": False, "wraparound": False}
# The kernels also: no check that a memoryview is initialised (they use none), and C's
# division (the kernels' divisors are all >= 1: it only drops Python's zero-division check).
kernel_directives = check_directives | {"initializedcheck": False, "cdivision": True}
directives = {
    "_cython": kernel_directives,
    "_cython_avx2": kernel_directives,
    "_cython_avx512": kernel_directives,
    "_check": check_directives,
}


def extension(name):
    return Extension(
        f"loopmlp.{modules[name]}",
        [f"src/loopmlp/{modules[name].replace('.', '/')}.pyx"],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=compile_args + own_flags[name],
        extra_link_args=link_flags[name],
    )


# cythonize takes one set of directives per call: one call per module.
setup(
    ext_modules=[
        ext
        for name in modules
        for ext in cythonize([extension(name)], compiler_directives=directives[name])
    ]
)

"""Only the Cython extensions; all metadata lives in pyproject.toml."""

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

# -ffp-contract=off: no fused multiply-add, so every a*b+c rounds twice as in
# the Python reference (gcc contracts by default when the target has FMA).
# -fno-fast-math is gcc's default; stated so nobody adds it by accident.
# No -march=native (the wheel may run on another machine); gcc's x86-64 default is SSE2.
compile_args = ["-O3", "-ffp-contract=off", "-fno-fast-math"]

# _cython only: OpenMP for predict's blocks of rows (cython.parallel.prange), and no loop
# vectoriser. gcc's loop vectoriser vectorises the panel loops over i (two inputs at a
# time, in order, with a shuffle per weight), which is correct but 3x slower than what its
# SLP vectoriser does with the loop vectoriser off: the 8 side-by-side sums of a panel in
# SIMD registers, each lane exactly the scalar operation (60-6-4 train: 830 -> 270 ns a
# sample with SSE2). _cython_avx2 is the same source built with -mavx2 (two 4-wide
# registers a panel; 60-6-4: 184 ns, 784-512-10: 158 -> 104 us); loopmlp loads it only on
# a CPU with AVX2 (_cython_native.py), so the build still runs on any x86-64.
# -mfma: the inlined exp's fma() calls (_exp.py) become instructions; -ffp-contract=off
# still keeps gcc from fusing anything else, so every sum rounds as in the reference.
kernel_flags = ["-fopenmp", "-fno-tree-loop-vectorize"]
# _cython_avx512 is the same source again with AVX-512 (F and VL), loaded on a CPU with
# both: 32 registers, so a panel pass's 8 x 8 sums fit without spills (with AVX2's 16
# registers of 4 doubles gcc spills float64 sums to the stack). -mprefer-vector-width=256:
# 512-bit vectors made gcc pair two rows' float32 sums in one register, with an insert per
# row and weight; 784-512-10 net_predict, 2 threads, best of 7, two A/B rounds: float32
# 9,858-10,217 -> 4,757-4,833 ns a row, float64 8,897-8,921 -> 9,028-9,053 (this Zen 4
# splits 512-bit operations in two anyway). Since float32 runs through panels of 16, 512-bit
# vectors make the ideal loop (one register per row) but measured no faster: every `loopmlp
# bench` workload's best time within 4% (four A/B rounds); with -funroll-loops too, float32
# net_predict 10% faster and mini-batches 5-8%, but the lecture's literal epoch 9% slower
# and its 60-6-4 train_epoch 5%, so neither is used. FMA as above.
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

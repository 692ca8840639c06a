"""Only the Cython extensions; all metadata lives in pyproject.toml."""
import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

# -ffp-contract=off: no fused multiply-add, so every a*b+c rounds twice as in
# the Python reference (gcc contracts by default when the target has FMA).
# -fno-fast-math is gcc's default; stated so nobody adds it by accident.
# No -march=native (the wheel may run on another machine); gcc's x86-64 default is SSE2.
compile_args = ["-O3", "-ffp-contract=off", "-fno-fast-math"]

# _cython's predict runs blocks of rows on OpenMP threads (cython.parallel.prange).
openmp = {"_cython": ["-fopenmp"], "_check": []}

extensions = [
    Extension(
        f"loopmlp.{name}",
        [f"src/loopmlp/{name}.pyx"],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=compile_args + openmp[name],
        extra_link_args=openmp[name],
    )
    for name in ("_cython", "_check")
]

setup(ext_modules=cythonize(extensions, compiler_directives={"language_level": 3}))

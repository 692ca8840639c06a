"""Build the example against the installed loopmlp: ``python setup.py build_ext --inplace``.

Cython finds ``loopmlp/cython_kernels.pxd`` in the installed package (on ``sys.path``); the
kernels themselves come from loopmlp at import time, so nothing of loopmlp is linked in.
"""

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

setup(
    ext_modules=cythonize(
        [
            Extension(
                name,
                [name + ".pyx"],
                include_dirs=[numpy.get_include()],
                extra_compile_args=["-O2", "-fopenmp"],  # prange's threads
                extra_link_args=["-fopenmp"],
            )
            for name in ("train_many", "deep_net")
        ]
    )
)

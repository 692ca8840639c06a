# The cython backend's source, built a third time with -mavx512f (see setup.py); loopmlp
# loads this build instead of _cython when the CPU has AVX-512 (_cython_native.py).
include "_cython.pyx"

# The cython backend's source, built a second time with -mavx2 (see setup.py); loopmlp loads
# this build instead of _cython when the CPU has AVX2 (_cython_native.py).
include "_cython.pyx"

# The cython backend's source, built a fourth time with -mavx512f and 512-bit vectors (see
# setup.py); loopmlp runs its net_predict where it loads _cython_avx512 (_cython_native.py).
include "_cython.pyx"

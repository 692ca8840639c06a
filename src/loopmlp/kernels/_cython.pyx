"""The ``cython`` backend: the reference's loops (``_reference.py``) in typed Cython.

``_neural_response``, ``_update_network`` and ``_train_epoch`` mirror the reference
functions of the same names line for line (``train_epoch_literal`` runs the last). The
whole-run kernels ``train_epoch``, ``train`` and ``predict`` run ``_rearranged.py``'s
kernels instead (the same sums, independent work reordered; that module's docstring says
why every bit is kept), with the same function and variable names, so the two diff.

Pointers, not typed memoryviews: acquiring a typed memoryview costs more per argument than
a small net's whole per-sample arithmetic. The ``def`` entry points therefore take
``ndarray`` objects, check them with a few flag and shape reads (cheap; the real
validation, with useful messages, is ``loopmlp._check``, which runs first through
``loopmlp.get_backend``), and pass ``PyArray_DATA`` pointers and sizes to the ``cdef``
kernels. A 2-D array is indexed by hand in row-major order: ``wh[h_idx, i_idx]`` is
``wh[h_idx * num_inp_nodes + i_idx]``, and a panel ``whp[g, i_idx, k]`` is
``whp[(g * num_inp_nodes + i_idx) * PANEL + k]``. Outputs come from NumPy's C API
(``PyArray_EMPTY``), not a Python call to ``np.zeros``.

Bit-identity with the reference: ``exp``, ``log`` and ``tanh`` are ``_exp.exp``,
``_elementary.log`` and ``_elementary.tanh`` in C (never the C library's); setup.py
compiles with ``-ffp-contract=off`` (no FMA but those written) and without ``-ffast-math``
(no reassociation), so gcc keeps every sum in the order written (the FMA mode's one rounding
is written, ``_madd`` in ``_cython_deep.pxi``); when it puts the 8 sums of a panel in SIMD
registers, each lane is exactly the scalar operation it replaces. ``cdivision`` only drops
Python's zero-division check, and every divisor here is >= 1. ``predict``'s rows are
independent: which OpenMP thread computes a row, or beside which row, changes nothing, so
the result does not depend on ``threads``.

The deep net (``net_response``, ``net_update``, ``net_train``, ``net_predict``) mirrors what
the numba backend compiles: ``_reference.py``'s ``net_*`` kernels and their helpers line for
line, over ``_rearranged.py``'s ``layer_response`` (four sums side by side; eight first in
the FMA mode) and ``hidden_delta`` (``w_next`` row by row), and ``_rearranged.py``'s
``net_predict`` and mini-batch ``net_train`` (one micro-kernel, ``_panel_block``: 8 vectors
through a panel of 8; in float32 ``_panel_block_wide``, 4 vectors through a panel of 16),
with the same names and a leading underscore (``_layer_response``, ``_panels_forward``,
``_batch_update``, ...), in one fused type ``real`` (float or double, the net's dtype; see
``_cython_deep.pxi`` for the rounding rules). Its entry points take the reference's tuples
of arrays and turn them once into C arrays of pointers and sizes; whole trainings then run
in C without the GIL; ``net_predict``'s blocks of rows and ``net_train``'s mini-batch
updates run on OpenMP threads, without changing a bit.

One compile unit in several files, in this order: this file (the CPU checks, ``exp``, the
constants), then ``_cython_lecture.pxi`` (the lecture's kernels: per-sample, then the
whole-run ones through panels), ``_cython_deep.pxi`` (the deep net: the reference's
``net_*`` kernels), ``_cython_panels.pxi`` (the deep net's panel kernels: ``net_predict``
and mini-batch ``net_train``), ``_cython_entry.pxi`` (the Python-visible entry points) and
``_cython_capi.pxi`` (the raw kernels as C functions, for ``loopmlp.cython_kernels``).
The C that Cython cannot say is in ``_cython_cpu.h``, ``_cython_exp.h`` and
``_cython_elementary.h``.
"""

cimport numpy as cnp
from cython.parallel cimport prange
from libc.math cimport fma, fmaf
from libc.stdint cimport int64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy, memset

cimport openmp

cnp.import_array()

# The same source is built three times (setup.py): for any x86-64 (SSE2) as _cython, with
# AVX2 as _cython_avx2 and with AVX-512 as _cython_avx512; loopmlp loads the widest the CPU
# has (_cython_native.py). Importing a build on a CPU without its instructions could crash,
# so the checks live here, in the safe build.
cdef extern from "_cython_cpu.h":
    int loopmlp_cpu_has_avx2()
    int loopmlp_cpu_has_avx512()
    int loopmlp_cpu_is_amd_family25()
    const bint LOOPMLP_MANY_REGISTERS

CPU_HAS_AVX2 = bool(loopmlp_cpu_has_avx2())
CPU_HAS_AVX512 = bool(loopmlp_cpu_has_avx512())

# Whether net_predict runs eight rows through two panels a pass (_panels_forward; only the
# 512-bit build can): on an Intel Xeon (family 6 model 167) numba's took 15-30% less time
# than one panel a pass (FMA mode); on AMD's Zen 4 (family 25), which runs a 512-bit vector
# in two 256-bit halves, one panel a pass took 20-25% less in the default mode and 3-8% less
# in the FMA mode (_rearranged.TWO_PANELS, which numba binds by the same rule). Rows are
# independent: either gives the same bits.
cdef bint _two_panels = LOOPMLP_MANY_REGISTERS and not loopmlp_cpu_is_amd_family25()


def two_panel_passes(on=None):
    """Whether this build's ``net_predict`` runs two panels a pass; ``on``, if given, sets
    it first (for the tests: both ways give the same bits). Only the 512-bit build can."""
    global _two_panels
    if on is not None:
        _two_panels = LOOPMLP_MANY_REGISTERS and on
    return bool(_two_panels)


# ---------------------------------------------------------------------------------------
# exp, log, tanh: _exp.exp and _elementary's log and tanh line for line in C, with C's fma
# and bit casts for their Python stand-ins; in C so that the sigmoid of a whole layer can
# run exp in SIMD lanes (loopmlp_sigmoid_all). fma is an instruction in the AVX2 and AVX-512
# builds, the C library's fma (correctly rounded) in the SSE2 build. loopmlp_exp is not
# inline: inlined into the lecture's train loop, it made an epoch slower than the C
# library's exp does; as a call it is faster.

cdef extern from "_cython_exp.h":
    bint FMA_INSTRUCTION "LOOPMLP_FMA_INSTRUCTION"
    double INV_LN2_N "loopmlp_INV_LN2_N"
    double NEG_LN2_HI_N "loopmlp_NEG_LN2_HI_N"
    double NEG_LN2_LO_N "loopmlp_NEG_LN2_LO_N"
    double SHIFT "loopmlp_SHIFT"
    double C2 "loopmlp_C2"
    double C3 "loopmlp_C3"
    double C4 "loopmlp_C4"
    double C5 "loopmlp_C5"
    int64_t TABLE "loopmlp_TABLE"[256]
    double exp "loopmlp_exp"(double x) noexcept nogil
    bint sigmoid_all_double "loopmlp_sigmoid_all_double"(double* act,
                                                         Py_ssize_t n) noexcept nogil
    bint sigmoid_all_float "loopmlp_sigmoid_all_float"(float* act, Py_ssize_t n) noexcept nogil
    bint all_finite_double "loopmlp_all_finite_double"(const double* a,
                                                       Py_ssize_t n) noexcept nogil
    bint all_finite_float "loopmlp_all_finite_float"(const float* a,
                                                     Py_ssize_t n) noexcept nogil

cdef extern from "_cython_elementary.h":
    double log "loopmlp_log"(double x) noexcept nogil
    double tanh "loopmlp_tanh"(double x) noexcept nogil

from . import _exp as _exp_py

# whether this build's fma() is an instruction (else the C library's)
FMA = bool(FMA_INSTRUCTION)

INV_LN2_N, NEG_LN2_HI_N = _exp_py.INV_LN2_N, _exp_py.NEG_LN2_HI_N
NEG_LN2_LO_N, SHIFT = _exp_py.NEG_LN2_LO_N, _exp_py.SHIFT
C2, C3, C4, C5 = _exp_py.C2, _exp_py.C3, _exp_py.C4, _exp_py.C5
for _i, _t in enumerate(_exp_py.TABLE):
    TABLE[_i] = <int64_t>(_t - (1 << 64) if _t >= (1 << 63) else _t)
del _i, _t


# For the tests: a function of this build over every value of a 1-D C-contiguous float64
# array, as the kernels compute it.
ctypedef double (*_unary)(double) noexcept nogil


cdef object _many(cnp.ndarray x, _unary f, str name):
    if x.ndim != 1 or cnp.PyArray_TYPE(x) != cnp.NPY_DOUBLE or not x.flags.c_contiguous:
        raise TypeError(f"{name}_many takes a 1-D C-contiguous float64 array")
    out = x.copy()
    cdef double* xs = <double*>cnp.PyArray_DATA(x)
    cdef double* ys = <double*>cnp.PyArray_DATA(out)
    cdef Py_ssize_t i
    for i in range(x.shape[0]):
        ys[i] = f(xs[i])
    return out


def exp_many(cnp.ndarray x):
    """``exp`` of every value of ``x`` (1-D, float64, C-contiguous), as this build's
    kernels compute it; for the tests."""
    return _many(x, exp, "exp")


def sigmoid_many(cnp.ndarray x):
    """The sigmoid of every value of ``x`` (1-D, float64 or float32, C-contiguous), as this
    build's deep kernels compute an activation (``_activate``); for the tests."""
    if (x.ndim != 1 or cnp.PyArray_TYPE(x) not in (cnp.NPY_DOUBLE, cnp.NPY_FLOAT)
            or not x.flags.c_contiguous):
        raise TypeError("sigmoid_many takes a 1-D C-contiguous float64 or float32 array")
    out = x.copy()
    if cnp.PyArray_TYPE(x) == cnp.NPY_DOUBLE:
        _activate(<double*>cnp.PyArray_DATA(out), SIGMOID, x.shape[0])
    else:
        _activate(<float*>cnp.PyArray_DATA(out), SIGMOID, x.shape[0])
    return out


def log_many(cnp.ndarray x):
    """``log`` of every value of ``x`` (1-D, float64, C-contiguous), as this build's
    kernels compute it; for the tests."""
    return _many(x, log, "log")


def tanh_many(cnp.ndarray x):
    """``tanh`` of every value of ``x`` (1-D, float64, C-contiguous), as this build's
    kernels compute it; for the tests."""
    return _many(x, tanh, "tanh")


cdef enum:
    PANEL = 8          # hidden units per panel (_rearranged.PANEL)
    WIDE_PANEL = 16    # float32's panels in the deep net (_rearranged.WIDE_PANEL)
    BLOCK = 64         # rows per parallel block in predict
    CHUNK = 128        # inputs per chunk in predict's 512-bit passes (_panels_forward)
    PARALLEL_WEIGHTS = 65536  # from this many weights in wh, train shares panels out to threads
    SMALL = 64         # per-sample scratch up to this many doubles lives on the stack
    NOGIL_WORK = 4096  # per-sample kernels release the GIL above this many weights

# The deep net's float type (float or double, the net's dtype; see _cython_deep.pxi).
# Declared here because _to_panels packs the lecture's wh and the deep net's layers alike.
ctypedef fused real:
    float
    double

# The deep net's multiply-adds s + a * b (_madd, _cython_deep.pxi) in one of two roundings,
# chosen at compile time by a dummy trailing argument of a kernel: Twice, the lecture's
# product and sum each rounded (the default), or Once, fma(a, b, s) rounded once (a net
# made with fma=True). Structs, not typedefs of one type, because Cython merges those into
# one specialization.
cdef struct Twice:
    char unused
cdef struct Once:
    char unused
ctypedef fused rounding:
    Twice
    Once
cdef Twice TWICE
cdef Once ONCE


include "_cython_lecture.pxi"
include "_cython_deep.pxi"
include "_cython_panels.pxi"
include "_cython_entry.pxi"
include "_cython_capi.pxi"

# cython: boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""The ``cython`` backend: the reference's loops (``_reference.py``) in typed Cython.

``_neural_response``, ``_update_network`` and ``_train_epoch`` mirror the reference
functions of the same names line for line (``train_epoch_literal`` runs the last). The
whole-run kernels ``train_epoch``, ``train`` and ``predict`` run ``_rearranged.py``'s
kernels instead (the same sums, independent work reordered; that module's docstring says
why every bit is kept), with the same function and variable names, so the two diff.

Pointers, not typed memoryviews: acquiring a typed memoryview costs about 170 ns an
argument, which made a per-sample call on a 2-2-1 net cost ~1.8 us, a hundred times its
arithmetic. The ``def`` entry points therefore take ``ndarray`` objects, check them with a
few flag and shape reads (cheap; the real validation, with useful messages, is
``loopmlp._check``, which runs first through ``loopmlp.get_backend``), and pass
``PyArray_DATA`` pointers and sizes to the ``cdef`` kernels. A 2-D array is indexed by hand
in row-major order: ``wh[h_idx, i_idx]`` is ``wh[h_idx * num_inp_nodes + i_idx]``, and a
panel ``whp[g, i_idx, k]`` is ``whp[(g * num_inp_nodes + i_idx) * PANEL + k]``. Outputs
come from NumPy's C API (``PyArray_EMPTY``), not a Python call to ``np.zeros``.

Bit-identity with the reference: ``exp`` is ``_exp.exp`` in C (the C library's own sequence
of operations, inlined; it falls back to the C library's ``exp``, ``libm_exp``, where that
sequence would not give the same bits, checked when the module loads); setup.py
compiles with ``-ffp-contract=off`` (no FMA) and without ``-ffast-math`` (no reassociation),
so gcc keeps every sum in the order written; when it puts the 8 sums of a panel in SIMD
registers, each lane is exactly the scalar operation it replaces. ``cdivision`` only drops
Python's zero-division check, and every divisor here is >= 1. ``predict``'s rows are
independent: which OpenMP thread computes a row, or beside which row, changes nothing, so
the result does not depend on ``threads``.

The deep net (``net_response``, ``net_update``, ``net_train``, ``net_predict``, at the end)
mirrors what the numba backend compiles: ``_reference.py``'s ``net_*`` kernels and their
helpers line for line, over ``_rearranged.py``'s ``layer_response`` (four sums side by side)
and ``hidden_delta`` (``w_next`` row by row), and ``_rearranged.py``'s ``net_predict`` and
mini-batch ``net_train`` (one micro-kernel, ``_panel_block``: 8 vectors through a panel of 8;
in float32 ``_panel_block_wide``, 4 vectors through a panel of 16), with the same names and
a leading underscore (``_layer_response``, ``_panels_forward``, ``_batch_update``, ...), in
one fused type ``real`` (float or double, the net's dtype; see that section for the
rounding rules). Its entry points take the reference's tuples of arrays and turn them once
into C arrays of pointers and sizes; whole trainings then run in C without the GIL; ``net_predict``'s blocks of rows and ``net_train``'s mini-batch updates
run on OpenMP threads, without changing a bit.
"""

cimport numpy as cnp
from cython.parallel cimport prange
from libc.math cimport exp as libm_exp, fma, log, tanh
from libc.stdint cimport int64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy, memset

cimport openmp

cnp.import_array()

# The same source is built three times (setup.py): for any x86-64 (SSE2) as _cython, with
# AVX2 as _cython_avx2 and with AVX-512 as _cython_avx512; loopmlp loads the widest the CPU
# has (_cython_native.py). Importing a build on a CPU without its instructions could crash,
# so the checks live here, in the safe build.
cdef extern from *:
    """
    #if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    static int loopmlp_cpu_has_avx2(void) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    static int loopmlp_cpu_has_avx512(void) {  /* F and VL, as setup.py builds for */
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
    }
    #else
    static int loopmlp_cpu_has_avx2(void) { return 0; }
    static int loopmlp_cpu_has_avx512(void) { return 0; }
    #endif
    """
    int loopmlp_cpu_has_avx2()
    int loopmlp_cpu_has_avx512()

CPU_HAS_AVX2 = bool(loopmlp_cpu_has_avx2())
CPU_HAS_AVX512 = bool(loopmlp_cpu_has_avx512())


# ---------------------------------------------------------------------------------------
# exp: _exp.exp line for line in C (its docstring says why it gives the C library's bits),
# with C's fma and bit casts for its Python stand-ins; in C so that the sigmoid of a whole
# layer can run it in SIMD lanes (loopmlp_sigmoid_all). Only in builds where fma is an
# instruction (the AVX2 and AVX-512 builds; in the SSE2 build it would be a library call)
# and where the check below passes; the C library's exp everywhere else. loopmlp_exp is not
# inline: inlined into the lecture's train loop, it made a 60-6-4 epoch slower than the C library's exp (380-405 ns a
# sample against 188-288); as a call, 182-185 (three A/B rounds against the previous build).

cdef extern from *:
    """
    #include <string.h>
    static inline int64_t loopmlp_as_bits(double x) { int64_t u; memcpy(&u, &x, 8); return u; }
    static inline double loopmlp_as_double(int64_t u) { double x; memcpy(&x, &u, 8); return x; }
    #ifdef __FP_FAST_FMA  /* gcc: fma() is an instruction */
    #define LOOPMLP_FMA_INSTRUCTION 1
    #else
    #define LOOPMLP_FMA_INSTRUCTION 0
    #endif

    /* _exp.py's constants and table, copied in when the module loads */
    static double loopmlp_INV_LN2_N, loopmlp_NEG_LN2_HI_N, loopmlp_NEG_LN2_LO_N, loopmlp_SHIFT;
    static double loopmlp_C2, loopmlp_C3, loopmlp_C4, loopmlp_C5;
    static int64_t loopmlp_TABLE[256];

    /* 2**-54 <= |x| < 512 (so not inf, not NaN): where exp_core(x) is _exp.exp(x) */
    static inline int loopmlp_exp_in_range(double x) {
        return (uint64_t)(((loopmlp_as_bits(x) >> 52) & 0x7FF) - 969) < 63;
    }

    /* _exp.exp line for line, after its range check */
    static inline double loopmlp_exp_core(double x) {
        /* x = k ln2/128 + r with |r| <= ln2/256; 2**(k/128) = scale (1 + tail) */
        double kd = fma(x, loopmlp_INV_LN2_N, loopmlp_SHIFT);
        int64_t ki = loopmlp_as_bits(kd);
        kd -= loopmlp_SHIFT;
        double r = fma(kd, loopmlp_NEG_LN2_LO_N, fma(kd, loopmlp_NEG_LN2_HI_N, x));
        int64_t idx = 2 * (ki & 127);  /* ki % 128 as Python computes it, for any sign */
        double tail = loopmlp_as_double(loopmlp_TABLE[idx]);
        double scale = loopmlp_as_double((int64_t)((uint64_t)loopmlp_TABLE[idx + 1]
                                                   + ((uint64_t)ki << 45)));
        double r2 = r * r;
        double tmp = fma(r2 * r2, fma(r, loopmlp_C5, loopmlp_C4),
                         fma(fma(r, loopmlp_C3, loopmlp_C2), r2, r + tail));
        return fma(scale, tmp, scale);
    }

    /* exp as the kernels call it: set when the module loads, after its check */
    static int loopmlp_inline_exp = 0;
    __attribute__((noinline)) static double loopmlp_exp(double x) {
        if (!loopmlp_inline_exp || !loopmlp_exp_in_range(x))
            return exp(x);
        return loopmlp_exp_core(x);
    }

    /* _activate's sigmoid, act[o] = 1 / (1 + e^-act[o]) for o < n, all at once: if every
       -act[o] is in exp_core's range (else 0, and act is untouched). gcc's loop vectoriser,
       off for the rest of the module (setup.py), runs it on SIMD lanes, each lane exactly
       the scalar operations (one at a time: 3.3 ns a sigmoid; in lanes 1.5, AVX2). */
    #define LOOPMLP_SIGMOID_ALL(name, real)                                                \
    __attribute__((optimize("tree-loop-vectorize", "fp-contract=off")))                    \
    static int name(real* act, Py_ssize_t n) {                                            \
        Py_ssize_t o, bad = 0;                                                            \
        for (o = 0; o < n; o++) bad += !loopmlp_exp_in_range(-(double)act[o]);            \
        if (bad) return 0;                                                                \
        for (o = 0; o < n; o++)                                                           \
            act[o] = (real)1.0 / ((real)1.0 + (real)loopmlp_exp_core(-(double)act[o]));   \
        return 1;                                                                         \
    }
    LOOPMLP_SIGMOID_ALL(loopmlp_sigmoid_all_double, double)
    LOOPMLP_SIGMOID_ALL(loopmlp_sigmoid_all_float, float)

    /* _rearranged.all_finite: whether every a[i], i < n, is finite (v - v is 0, not NaN);
       no early exit, so it runs in SIMD lanes like the sigmoid above */
    #define LOOPMLP_ALL_FINITE(name, real)                                                 \
    __attribute__((optimize("tree-loop-vectorize")))                                      \
    static int name(const real* a, Py_ssize_t n) {                                        \
        Py_ssize_t i;                                                                     \
        int bad = 0;                                                                      \
        for (i = 0; i < n; i++) bad |= a[i] - a[i] != 0;                                  \
        return !bad;                                                                      \
    }
    LOOPMLP_ALL_FINITE(loopmlp_all_finite_double, double)
    LOOPMLP_ALL_FINITE(loopmlp_all_finite_float, float)
    """
    int64_t as_bits "loopmlp_as_bits"(double x) noexcept nogil
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
    bint _inline_exp "loopmlp_inline_exp"
    double exp "loopmlp_exp"(double x) noexcept nogil
    bint sigmoid_all_double "loopmlp_sigmoid_all_double"(double* act,
                                                         Py_ssize_t n) noexcept nogil
    bint sigmoid_all_float "loopmlp_sigmoid_all_float"(float* act, Py_ssize_t n) noexcept nogil
    bint all_finite_double "loopmlp_all_finite_double"(const double* a,
                                                       Py_ssize_t n) noexcept nogil
    bint all_finite_float "loopmlp_all_finite_float"(const float* a,
                                                     Py_ssize_t n) noexcept nogil

from . import _exp as _exp_py

INV_LN2_N, NEG_LN2_HI_N = _exp_py.INV_LN2_N, _exp_py.NEG_LN2_HI_N
NEG_LN2_LO_N, SHIFT = _exp_py.NEG_LN2_LO_N, _exp_py.SHIFT
C2, C3, C4, C5 = _exp_py.C2, _exp_py.C3, _exp_py.C4, _exp_py.C5
for _i, _t in enumerate(_exp_py.TABLE):
    TABLE[_i] = <int64_t>(_t - (1 << 64) if _t >= (1 << 63) else _t)
del _i, _t


def exp_many(cnp.ndarray x):
    """``exp`` of every value of ``x`` (1-D, float64, C-contiguous), as this build's
    kernels compute it; for the tests."""
    if x.ndim != 1 or cnp.PyArray_TYPE(x) != cnp.NPY_DOUBLE or not x.flags.c_contiguous:
        raise TypeError("exp_many takes a 1-D C-contiguous float64 array")
    out = x.copy()
    cdef double* xs = <double*>cnp.PyArray_DATA(x)
    cdef double* ys = <double*>cnp.PyArray_DATA(out)
    cdef Py_ssize_t i
    for i in range(x.shape[0]):
        ys[i] = exp(xs[i])
    return out


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


def _inline_exp_matches_libm():
    """``_exp.matches_libm``'s check, on this build's compiled ``exp``."""
    return all(as_bits(exp(v)) == as_bits(libm_exp(v)) for v in _exp_py.CHECK_INPUTS)


_inline_exp = FMA_INSTRUCTION  # so that the check runs the inlined exp
_inline_exp = FMA_INSTRUCTION and _inline_exp_matches_libm()
INLINE_EXP = bool(_inline_exp)

cdef enum:
    PANEL = 8          # hidden units per panel (_rearranged.PANEL)
    WIDE_PANEL = 16    # float32's panels in the deep net (_rearranged.WIDE_PANEL)
    BLOCK = 64         # rows per parallel block in predict
    PARALLEL_WEIGHTS = 65536  # from this many weights in wh, train shares panels out to threads
    SMALL = 64         # per-sample scratch up to this many doubles lives on the stack
    NOGIL_WORK = 4096  # per-sample kernels release the GIL above this many weights

# The deep net's float type (float or double, the net's dtype; see the deep-net section).
# Declared here because _to_panels packs the lecture's wh and the deep net's layers alike.
ctypedef fused real:
    float
    double


# ---------------------------------------------------------------------------------------
# The lecture's per-sample kernels (the reference's loops, line for line)

# wh (num_hid_nodes, num_inp_nodes), bh (num_hid_nodes,), wo (num_out_nodes, num_hid_nodes),
# bo (num_out_nodes,), inp (num_inp_nodes,) -> hid (num_hid_nodes,), out (num_out_nodes,)
cdef void _neural_response(const double* inp, const double* wh, const double* bh,
                           const double* wo, const double* bo,
                           double* hid, double* out,
                           Py_ssize_t num_inp_nodes, Py_ssize_t num_hid_nodes,
                           Py_ssize_t num_out_nodes) noexcept nogil:
    cdef Py_ssize_t i_idx, h_idx, o_idx
    cdef double val

    # compute the hidden layer activation: y_j^h = 1 / (1 + e^-(b_j^h + sum_i w_ji^h x_i))
    for h_idx in range(num_hid_nodes):
        val = 0.0
        for i_idx in range(num_inp_nodes):
            val += inp[i_idx] * wh[h_idx * num_inp_nodes + i_idx]
        val += bh[h_idx]
        hid[h_idx] = 1.0 / (1.0 + exp(-val))

    # compute the output layer activation: y_k^o = 1 / (1 + e^-(b_k^o + sum_j w_kj^o y_j^h))
    for o_idx in range(num_out_nodes):
        val = 0.0
        for h_idx in range(num_hid_nodes):
            val += hid[h_idx] * wo[o_idx * num_hid_nodes + h_idx]
        val += bo[o_idx]  # once, after the sum (the transcript added it inside the loop)
        out[o_idx] = 1.0 / (1.0 + exp(-val))


# inp (num_inp_nodes,), hid (num_hid_nodes,), out (num_out_nodes,), err = tgt - out
# (num_out_nodes,); wh, bh, wo, bo updated in place; lrate is eta; err_prop, delta_hid
# (num_hid_nodes,) and delta_out (num_out_nodes,) are scratch (a nogil kernel cannot
# allocate NumPy arrays)
cdef void _update_network(const double* inp, const double* hid, const double* out,
                          const double* err, double* wh, double* bh, double* wo, double* bo,
                          double lrate,
                          Py_ssize_t num_inp_nodes, Py_ssize_t num_hid_nodes,
                          Py_ssize_t num_out_nodes,
                          double* err_prop, double* delta_hid,
                          double* delta_out) noexcept nogil:
    cdef Py_ssize_t i_idx, h_idx, o_idx
    cdef double val

    # compute the output layer deltas: (y_k - y_k^o) y_k^o (1 - y_k^o)
    # (the transcript's out**(1.0 - out) contradicts the slide's math: it is a product)
    for o_idx in range(num_out_nodes):
        delta_out[o_idx] = \
            out[o_idx] * (1.0 - out[o_idx]) * err[o_idx]

    # compute the error to propagate back to the hidden layer: sum_k delta_k w_kj^o
    # (with wo before this step's update: the gradient is taken at the forward pass's weights)
    for h_idx in range(num_hid_nodes):
        val = 0.0
        for o_idx in range(num_out_nodes):
            val += (delta_out[o_idx] * wo[o_idx * num_hid_nodes + h_idx])
        err_prop[h_idx] = val

    # compute the hidden layer deltas: (sum_k delta_k w_kj^o) y_j^h (1 - y_j^h)
    for h_idx in range(num_hid_nodes):
        delta_hid[h_idx] = \
            hid[h_idx] * (1.0 - hid[h_idx]) * err_prop[h_idx]

    # adjust wo: w_kj^o += eta (y_k - y_k^o) y_j^h y_k^o (1 - y_k^o)
    for h_idx in range(num_hid_nodes):
        for o_idx in range(num_out_nodes):
            wo[o_idx * num_hid_nodes + h_idx] += \
                lrate * (hid[h_idx] * delta_out[o_idx])

    # adjust bo: b_k^o += eta (y_k - y_k^o) y_k^o (1 - y_k^o)
    for o_idx in range(num_out_nodes):
        bo[o_idx] += lrate * delta_out[o_idx]

    # adjust wh: w_ji^h += eta (sum_k delta_k w_kj^o) x_i y_j^h (1 - y_j^h)
    for i_idx in range(num_inp_nodes):
        for h_idx in range(num_hid_nodes):
            wh[h_idx * num_inp_nodes + i_idx] += \
                lrate * (inp[i_idx] * delta_hid[h_idx])

    # adjust bh: b_j^h += eta (sum_k delta_k w_kj^o) y_j^h (1 - y_j^h)
    for h_idx in range(num_hid_nodes):
        bh[h_idx] += lrate * delta_hid[h_idx]


# X (num_samples, num_inp_nodes), Y (num_samples, num_out_nodes) -> the epoch's MSE;
# hid, out, err and scratch (2 num_hid_nodes + num_out_nodes) are working space
cdef double _train_epoch(const double* X, const double* Y,
                         double* wh, double* bh, double* wo, double* bo, double lrate,
                         Py_ssize_t num_samples, Py_ssize_t num_inp_nodes,
                         Py_ssize_t num_hid_nodes, Py_ssize_t num_out_nodes,
                         double* hid, double* out, double* err,
                         double* scratch) noexcept nogil:
    cdef Py_ssize_t n_idx, o_idx
    cdef const double* inp
    cdef const double* tgt
    cdef double epoch_mse, sq_sum

    # for each input/target pattern combo...
    epoch_mse = 0.0
    for n_idx in range(num_samples):
        inp = X + n_idx * num_inp_nodes
        tgt = Y + n_idx * num_out_nodes

        # compute the MLP's response(s)
        _neural_response(inp, wh, bh, wo, bo, hid, out,
                         num_inp_nodes, num_hid_nodes, num_out_nodes)

        # compute the o/p node's MSE: (err**2).mean(), summed in index order
        for o_idx in range(num_out_nodes):
            err[o_idx] = tgt[o_idx] - out[o_idx]  # vector-vector subtraction
        sq_sum = 0.0
        for o_idx in range(num_out_nodes):
            sq_sum += err[o_idx] * err[o_idx]
        epoch_mse += sq_sum / num_out_nodes

        # update the weights, once per sample (the transcript did it once per epoch)
        _update_network(inp, hid, out, err, wh, bh, wo, bo, lrate,
                        num_inp_nodes, num_hid_nodes, num_out_nodes,
                        scratch, scratch + num_hid_nodes, scratch + 2 * num_hid_nodes)

    # the mean of the per-sample MSEs, summed in sample order
    return epoch_mse / num_samples


# ---------------------------------------------------------------------------------------
# The whole-run kernels: _rearranged.py's, function for function (see its docstring for
# why every bit is kept). Keep them in step with it.

# w (n_rows, n_cols), b (n_rows,), inp (n_cols,) -> act (n_rows,) = sigmoid(w @ inp + b)
# Four rows' sums side by side: each is still summed over c = 0, 1, ... then + b[r].
cdef void _forward_rows(const double* inp, const double* w, const double* b, double* act,
                        Py_ssize_t n_rows, Py_ssize_t n_cols) noexcept nogil:
    cdef Py_ssize_t r = 0, c
    cdef double v0, v1, v2, v3, x
    while r + 4 <= n_rows:
        v0 = 0.0
        v1 = 0.0
        v2 = 0.0
        v3 = 0.0
        for c in range(n_cols):
            x = inp[c]
            v0 += x * w[r * n_cols + c]
            v1 += x * w[(r + 1) * n_cols + c]
            v2 += x * w[(r + 2) * n_cols + c]
            v3 += x * w[(r + 3) * n_cols + c]
        v0 += b[r]
        v1 += b[r + 1]
        v2 += b[r + 2]
        v3 += b[r + 3]
        act[r] = 1.0 / (1.0 + exp(-v0))
        act[r + 1] = 1.0 / (1.0 + exp(-v1))
        act[r + 2] = 1.0 / (1.0 + exp(-v2))
        act[r + 3] = 1.0 / (1.0 + exp(-v3))
        r += 4
    while r < n_rows:
        v0 = 0.0
        for c in range(n_cols):
            v0 += inp[c] * w[r * n_cols + c]
        v0 += b[r]
        act[r] = 1.0 / (1.0 + exp(-v0))
        r += 1


# whp (num_panels, num_inp_nodes, width), whp[g, i_idx, k] = wh[width g + k, i_idx],
# zero-padded (the caller callocs it); double for the lecture's net, either dtype for the
# deep net's layers
cdef void _to_panels(const real* wh, real* whp, Py_ssize_t num_hid_nodes,
                     Py_ssize_t num_inp_nodes, Py_ssize_t width) noexcept nogil:
    cdef Py_ssize_t g, k, i_idx
    for g in range((num_hid_nodes + width - 1) // width):
        for i_idx in range(num_inp_nodes):
            for k in range(min(width, num_hid_nodes - width * g)):  # no % width: a division
                whp[(g * num_inp_nodes + i_idx) * width + k] = \
                    wh[(width * g + k) * num_inp_nodes + i_idx]


# _rearranged.panel_width: the deep net's panels are WIDE_PANEL units wide in float32, PANEL
# in float64 (a constant in each specialisation of real)
cdef inline Py_ssize_t _panel_width(const real* a) noexcept nogil:
    if real is float:
        return WIDE_PANEL
    return PANEL


cdef void _from_panels(const double* whp, double* wh,
                       Py_ssize_t num_hid_nodes, Py_ssize_t num_inp_nodes) noexcept nogil:
    cdef Py_ssize_t h_idx, i_idx
    for h_idx in range(num_hid_nodes):
        for i_idx in range(num_inp_nodes):
            wh[h_idx * num_inp_nodes + i_idx] = \
                whp[((h_idx // PANEL) * num_inp_nodes + i_idx) * PANEL + h_idx % PANEL]


# hid[h] = sigmoid(val[k] + bh[h]) for the real units h = 8 g + k of panel g
cdef inline void _sigmoid_panel(const double* val, const double* bh, Py_ssize_t g,
                                double* hid, Py_ssize_t num_hid_nodes) noexcept nogil:
    cdef Py_ssize_t k, h_idx
    for k in range(PANEL):
        h_idx = PANEL * g + k
        if h_idx < num_hid_nodes:
            hid[h_idx] = 1.0 / (1.0 + exp(-(val[k] + bh[h_idx])))


# The hidden layer for inp, panel by panel: the 8 sums of a panel side by side.
# (whp_gi is &whp[g, i_idx, 0].)
cdef void _hidden_forward(const double* inp, const double* whp, const double* bh,
                          double* hid, double* val,
                          Py_ssize_t num_inp_nodes, Py_ssize_t num_hid_nodes) noexcept nogil:
    cdef Py_ssize_t g, i_idx
    cdef const double* whp_gi
    cdef double x, v0, v1, v2, v3, v4, v5, v6, v7
    for g in range((num_hid_nodes + PANEL - 1) // PANEL):
        v0 = 0.0; v1 = 0.0; v2 = 0.0; v3 = 0.0; v4 = 0.0; v5 = 0.0; v6 = 0.0; v7 = 0.0
        for i_idx in range(num_inp_nodes):
            whp_gi = whp + (g * num_inp_nodes + i_idx) * PANEL
            x = inp[i_idx]
            v0 += x * whp_gi[0]; v1 += x * whp_gi[1]
            v2 += x * whp_gi[2]; v3 += x * whp_gi[3]
            v4 += x * whp_gi[4]; v5 += x * whp_gi[5]
            v6 += x * whp_gi[6]; v7 += x * whp_gi[7]
        val[0] = v0; val[1] = v1; val[2] = v2; val[3] = v3
        val[4] = v4; val[5] = v5; val[6] = v6; val[7] = v7
        _sigmoid_panel(val, bh, g, hid, num_hid_nodes)


# The previous sample's update of wh and bh (its input prev, its delta_hid), fused with the
# hidden layer for inp: each weight is updated, then read by inp's sum, in one pass.
# delta_hid is padded to whole panels with zeros. Panels g_start to g_end - 1 only, so that
# threads can share the panels out.
cdef void _hidden_update_forward(const double* prev, const double* delta_hid, double lrate,
                                 const double* inp, double* whp, double* bh,
                                 double* hid, double* val,
                                 Py_ssize_t num_inp_nodes, Py_ssize_t num_hid_nodes,
                                 Py_ssize_t g_start, Py_ssize_t g_end) noexcept nogil:
    cdef Py_ssize_t g, k, h_idx, i_idx
    cdef double* whp_gi
    cdef double p, x, d0, d1, d2, d3, d4, d5, d6, d7
    cdef double v0, v1, v2, v3, v4, v5, v6, v7, w0, w1, w2, w3, w4, w5, w6, w7
    for g in range(g_start, g_end):
        for k in range(PANEL):
            h_idx = PANEL * g + k
            if h_idx < num_hid_nodes:
                bh[h_idx] += lrate * delta_hid[h_idx]
        d0 = delta_hid[PANEL * g]; d1 = delta_hid[PANEL * g + 1]
        d2 = delta_hid[PANEL * g + 2]; d3 = delta_hid[PANEL * g + 3]
        d4 = delta_hid[PANEL * g + 4]; d5 = delta_hid[PANEL * g + 5]
        d6 = delta_hid[PANEL * g + 6]; d7 = delta_hid[PANEL * g + 7]
        v0 = 0.0; v1 = 0.0; v2 = 0.0; v3 = 0.0; v4 = 0.0; v5 = 0.0; v6 = 0.0; v7 = 0.0
        for i_idx in range(num_inp_nodes):
            whp_gi = whp + (g * num_inp_nodes + i_idx) * PANEL
            p = prev[i_idx]
            w0 = whp_gi[0] + lrate * (p * d0)
            w1 = whp_gi[1] + lrate * (p * d1)
            w2 = whp_gi[2] + lrate * (p * d2)
            w3 = whp_gi[3] + lrate * (p * d3)
            w4 = whp_gi[4] + lrate * (p * d4)
            w5 = whp_gi[5] + lrate * (p * d5)
            w6 = whp_gi[6] + lrate * (p * d6)
            w7 = whp_gi[7] + lrate * (p * d7)
            whp_gi[0] = w0; whp_gi[1] = w1
            whp_gi[2] = w2; whp_gi[3] = w3
            whp_gi[4] = w4; whp_gi[5] = w5
            whp_gi[6] = w6; whp_gi[7] = w7
            x = inp[i_idx]
            v0 += x * w0; v1 += x * w1; v2 += x * w2; v3 += x * w3
            v4 += x * w4; v5 += x * w5; v6 += x * w6; v7 += x * w7
        val[0] = v0; val[1] = v1; val[2] = v2; val[3] = v3
        val[4] = v4; val[5] = v5; val[6] = v6; val[7] = v7
        _sigmoid_panel(val, bh, g, hid, num_hid_nodes)


# The same on all threads, each on its share of the panels: a weight is still updated and
# read by one thread, in the same order. Worth it only for big nets (PARALLEL_WEIGHTS): an
# OpenMP parallel region costs a microsecond or two to start, once per sample.
# vals: threads * PANEL doubles, one val per thread.
cdef void _hidden_update_forward_threads(const double* prev, const double* delta_hid,
                                         double lrate, const double* inp, double* whp,
                                         double* bh, double* hid, double* vals,
                                         Py_ssize_t num_inp_nodes, Py_ssize_t num_hid_nodes,
                                         int threads) noexcept nogil:
    cdef Py_ssize_t num_panels = (num_hid_nodes + PANEL - 1) // PANEL
    cdef Py_ssize_t t
    for t in prange(threads, num_threads=threads, schedule="static", chunksize=1):
        _hidden_update_forward(prev, delta_hid, lrate, inp, whp, bh, hid, vals + t * PANEL,
                               num_inp_nodes, num_hid_nodes,
                               t * num_panels // threads, (t + 1) * num_panels // threads)


# mses (num_epochs,); work holds the working copies, allocated once per call by the caller
# (_train_work): whp and delta_hid zeroed, so the panels' padding units stay 0. threads: how
# many threads share the panels out in each sample's pass over wh.
cdef void _train(const double* X, const double* Y,
                 double* wh, double* bh, double* wo, double* bo,
                 double lrate, Py_ssize_t num_epochs, double* mses,
                 Py_ssize_t num_samples, Py_ssize_t num_inp_nodes,
                 Py_ssize_t num_hid_nodes, Py_ssize_t num_out_nodes,
                 double* work, int threads) noexcept nogil:
    cdef Py_ssize_t num_panels = (num_hid_nodes + PANEL - 1) // PANEL
    cdef double* whp = work
    cdef double* delta_hid = whp + num_panels * num_inp_nodes * PANEL  # padded
    cdef double* vals = delta_hid + num_panels * PANEL  # each thread's 8 sums
    cdef double* hid = vals + threads * PANEL
    cdef double* out = hid + num_hid_nodes
    cdef double* err = out + num_out_nodes
    cdef double* delta_out = err + num_out_nodes
    cdef Py_ssize_t epoch, n_idx, g, i_idx, k, h_idx, o_idx
    cdef Py_ssize_t prev
    cdef double epoch_mse, sq_sum, val_h, d
    _to_panels(wh, whp, num_hid_nodes, num_inp_nodes, PANEL)

    prev = -1  # the sample whose update of wh is still to be done
    for epoch in range(num_epochs):
        epoch_mse = 0.0
        for n_idx in range(num_samples):
            if prev < 0:
                _hidden_forward(X + n_idx * num_inp_nodes, whp, bh, hid, vals,
                                num_inp_nodes, num_hid_nodes)
            elif threads == 1:
                _hidden_update_forward(X + prev * num_inp_nodes, delta_hid, lrate,
                                       X + n_idx * num_inp_nodes, whp, bh, hid, vals,
                                       num_inp_nodes, num_hid_nodes, 0, num_panels)
            else:
                _hidden_update_forward_threads(X + prev * num_inp_nodes, delta_hid, lrate,
                                               X + n_idx * num_inp_nodes, whp, bh, hid, vals,
                                               num_inp_nodes, num_hid_nodes, threads)
            _forward_rows(hid, wo, bo, out, num_out_nodes, num_hid_nodes)
            sq_sum = 0.0
            for o_idx in range(num_out_nodes):
                err[o_idx] = Y[n_idx * num_out_nodes + o_idx] - out[o_idx]
                sq_sum += err[o_idx] * err[o_idx]
            epoch_mse += sq_sum / num_out_nodes
            for o_idx in range(num_out_nodes):
                delta_out[o_idx] = out[o_idx] * (1.0 - out[o_idx]) * err[o_idx]
            for h_idx in range(num_hid_nodes):
                val_h = 0.0
                for o_idx in range(num_out_nodes):
                    val_h += (delta_out[o_idx] * wo[o_idx * num_hid_nodes + h_idx])
                delta_hid[h_idx] = hid[h_idx] * (1.0 - hid[h_idx]) * val_h
            for o_idx in range(num_out_nodes):          # wo's update, row by row
                d = delta_out[o_idx]
                for h_idx in range(num_hid_nodes):
                    wo[o_idx * num_hid_nodes + h_idx] += lrate * (hid[h_idx] * d)
                bo[o_idx] += lrate * d
            prev = n_idx                                # wh's update: in the next pass
        mses[epoch] = epoch_mse / num_samples

    # the last sample's update of wh and bh, then the working copy goes back into wh
    for g in range(num_panels):
        for i_idx in range(num_inp_nodes):
            for k in range(PANEL):
                whp[(g * num_inp_nodes + i_idx) * PANEL + k] += \
                    lrate * (X[prev * num_inp_nodes + i_idx] * delta_hid[PANEL * g + k])
    for h_idx in range(num_hid_nodes):
        bh[h_idx] += lrate * delta_hid[h_idx]
    _from_panels(whp, wh, num_hid_nodes, num_inp_nodes)


# ---------------------------------------------------------------------------------------
# The raw entry points: same names and argument order as the reference. loopmlp._check
# validates everything first; _arg only keeps a direct call from reading out of bounds.

cdef inline double* _arg(cnp.ndarray a, int ndim, Py_ssize_t d0, Py_ssize_t d1,
                         bint writeable) except NULL:
    """a's data, if a is float64, native, C-contiguous, aligned, of shape (d0[, d1]) (d0 ==
    -1: any number >= 1 of rows) and, if asked, writeable; TypeError/ValueError otherwise."""
    if cnp.PyArray_TYPE(a) != cnp.NPY_DOUBLE or not cnp.PyArray_ISNOTSWAPPED(a):
        raise TypeError("loopmlp.kernels._cython: arrays must be float64 (call the kernels through "
                        "loopmlp.get_backend('cython'), which checks and converts)")
    if (cnp.PyArray_NDIM(a) != ndim or not cnp.PyArray_ISCARRAY_RO(a)
            or (writeable and not cnp.PyArray_ISWRITEABLE(a))
            or (cnp.PyArray_DIM(a, 0) != d0 if d0 >= 0 else cnp.PyArray_DIM(a, 0) < 1)
            or (ndim == 2 and cnp.PyArray_DIM(a, 1) != d1)):
        raise ValueError("loopmlp.kernels._cython: an array has the wrong shape or layout (call the "
                         "kernels through loopmlp.get_backend('cython'), which says which)")
    return <double*>cnp.PyArray_DATA(a)


cdef inline int _net(cnp.ndarray wh, Py_ssize_t* n) except -1:
    """n = (num_inp_nodes, num_hid_nodes), from wh (2-D, no empty layer)."""
    if cnp.PyArray_NDIM(wh) != 2 or cnp.PyArray_DIM(wh, 0) < 1 or cnp.PyArray_DIM(wh, 1) < 1:
        raise ValueError("loopmlp.kernels._cython: wh must be 2-D with at least one node per layer")
    n[0] = cnp.PyArray_DIM(wh, 1)
    n[1] = cnp.PyArray_DIM(wh, 0)
    return 0


cdef inline Py_ssize_t _num_out(cnp.ndarray wo) except -1:
    if cnp.PyArray_NDIM(wo) != 2 or cnp.PyArray_DIM(wo, 0) < 1:
        raise ValueError("loopmlp.kernels._cython: wo must be 2-D with at least one node per layer")
    return cnp.PyArray_DIM(wo, 0)


cdef inline cnp.ndarray _empty(Py_ssize_t d0, Py_ssize_t d1):
    """A new float64 array (d0,) if d1 < 0, else (d0, d1); the kernels fill every element."""
    cdef cnp.npy_intp dims[2]
    dims[0] = d0
    dims[1] = d1
    return cnp.PyArray_EMPTY(1 if d1 < 0 else 2, dims, cnp.NPY_DOUBLE, 0)


def neural_response(cnp.ndarray inp not None, cnp.ndarray wh not None,
                    cnp.ndarray bh not None, cnp.ndarray wo not None,
                    cnp.ndarray bo not None):
    cdef Py_ssize_t n[2]
    _net(wh, n)
    cdef Py_ssize_t num_inp_nodes = n[0], num_hid_nodes = n[1], num_out_nodes = _num_out(wo)
    cdef const double* inp_ = _arg(inp, 1, num_inp_nodes, 0, False)
    cdef const double* wh_ = _arg(wh, 2, num_hid_nodes, num_inp_nodes, False)
    cdef const double* bh_ = _arg(bh, 1, num_hid_nodes, 0, False)
    cdef const double* wo_ = _arg(wo, 2, num_out_nodes, num_hid_nodes, False)
    cdef const double* bo_ = _arg(bo, 1, num_out_nodes, 0, False)
    cdef cnp.ndarray hid = _empty(num_hid_nodes, -1)
    cdef cnp.ndarray out = _empty(num_out_nodes, -1)
    cdef double* hid_ = <double*>cnp.PyArray_DATA(hid)
    cdef double* out_ = <double*>cnp.PyArray_DATA(out)
    if num_hid_nodes * (num_inp_nodes + num_out_nodes) <= NOGIL_WORK:
        _neural_response(inp_, wh_, bh_, wo_, bo_, hid_, out_,
                         num_inp_nodes, num_hid_nodes, num_out_nodes)
    else:
        with nogil:
            _neural_response(inp_, wh_, bh_, wo_, bo_, hid_, out_,
                             num_inp_nodes, num_hid_nodes, num_out_nodes)
    return (hid, out)


def update_network(cnp.ndarray inp not None, cnp.ndarray hid not None,
                   cnp.ndarray out not None, cnp.ndarray err not None,
                   cnp.ndarray wh not None, cnp.ndarray bh not None,
                   cnp.ndarray wo not None, cnp.ndarray bo not None, double lrate):
    cdef Py_ssize_t n[2]
    _net(wh, n)
    cdef Py_ssize_t num_inp_nodes = n[0], num_hid_nodes = n[1], num_out_nodes = _num_out(wo)
    cdef const double* inp_ = _arg(inp, 1, num_inp_nodes, 0, False)
    cdef const double* hid_ = _arg(hid, 1, num_hid_nodes, 0, False)
    cdef const double* out_ = _arg(out, 1, num_out_nodes, 0, False)
    cdef const double* err_ = _arg(err, 1, num_out_nodes, 0, False)
    cdef double* wh_ = _arg(wh, 2, num_hid_nodes, num_inp_nodes, True)
    cdef double* bh_ = _arg(bh, 1, num_hid_nodes, 0, True)
    cdef double* wo_ = _arg(wo, 2, num_out_nodes, num_hid_nodes, True)
    cdef double* bo_ = _arg(bo, 1, num_out_nodes, 0, True)
    # scratch: err_prop, delta_hid (num_hid_nodes each), delta_out (num_out_nodes)
    cdef Py_ssize_t size = 2 * num_hid_nodes + num_out_nodes
    cdef double small[SMALL]
    cdef double* scratch = small
    if size > SMALL:
        scratch = <double*>malloc(size * sizeof(double))
        if scratch == NULL:
            raise MemoryError()
    if num_hid_nodes * (num_inp_nodes + num_out_nodes) <= NOGIL_WORK:
        _update_network(inp_, hid_, out_, err_, wh_, bh_, wo_, bo_, lrate,
                        num_inp_nodes, num_hid_nodes, num_out_nodes,
                        scratch, scratch + num_hid_nodes, scratch + 2 * num_hid_nodes)
    else:
        with nogil:
            _update_network(inp_, hid_, out_, err_, wh_, bh_, wo_, bo_, lrate,
                            num_inp_nodes, num_hid_nodes, num_out_nodes,
                            scratch, scratch + num_hid_nodes, scratch + 2 * num_hid_nodes)
    if scratch != small:
        free(scratch)


cdef double* _train_args(cnp.ndarray X, cnp.ndarray Y, cnp.ndarray wh, cnp.ndarray bh,
                         cnp.ndarray wo, cnp.ndarray bo, Py_ssize_t* n,
                         double** p) except NULL:
    """n = (num_samples, num_inp_nodes, num_hid_nodes, num_out_nodes);
    p = (X, Y, wh, bh, wo, bo) data; returns p[0]."""
    _net(wh, n + 1)
    n[3] = _num_out(wo)
    p[0] = _arg(X, 2, -1, n[1], False)
    n[0] = cnp.PyArray_DIM(X, 0)
    p[1] = _arg(Y, 2, n[0], n[3], False)
    p[2] = _arg(wh, 2, n[2], n[1], True)
    p[3] = _arg(bh, 1, n[2], 0, True)
    p[4] = _arg(wo, 2, n[3], n[2], True)
    p[5] = _arg(bo, 1, n[3], 0, True)
    return p[0]


cdef int _train_threads(Py_ssize_t* n) noexcept:
    """OpenMP's threads (OMP_NUM_THREADS, else every core) for a big net, else one."""
    return openmp.omp_get_max_threads() if n[1] * n[2] >= PARALLEL_WEIGHTS else 1


cdef double* _train_work(Py_ssize_t* n, int threads) except NULL:
    """train's working copies, zeroed (see _train): whp, delta_hid, vals, hid, out, err,
    delta_out."""
    cdef Py_ssize_t num_panels = (n[2] + PANEL - 1) // PANEL
    cdef double* work = <double*>calloc(
        num_panels * n[1] * PANEL + num_panels * PANEL + threads * PANEL + n[2] + 3 * n[3],
        sizeof(double))
    if work == NULL:
        raise MemoryError()
    return work


def train(cnp.ndarray X not None, cnp.ndarray Y not None, cnp.ndarray wh not None,
          cnp.ndarray bh not None, cnp.ndarray wo not None, cnp.ndarray bo not None,
          double lrate, Py_ssize_t num_epochs):
    if num_epochs < 1:
        raise ValueError(f"num_epochs must be >= 1, got {num_epochs}")
    cdef Py_ssize_t n[4]
    cdef double* p[6]
    _train_args(X, Y, wh, bh, wo, bo, n, p)
    cdef cnp.ndarray mses = _empty(num_epochs, -1)
    cdef int threads = _train_threads(n)
    cdef double* work = _train_work(n, threads)
    with nogil:
        _train(p[0], p[1], p[2], p[3], p[4], p[5], lrate, num_epochs,
               <double*>cnp.PyArray_DATA(mses), n[0], n[1], n[2], n[3], work, threads)
    free(work)
    return mses


def train_epoch(cnp.ndarray X not None, cnp.ndarray Y not None, cnp.ndarray wh not None,
                cnp.ndarray bh not None, cnp.ndarray wo not None, cnp.ndarray bo not None,
                double lrate):
    """One epoch of train."""
    cdef Py_ssize_t n[4]
    cdef double* p[6]
    cdef double epoch_mse
    _train_args(X, Y, wh, bh, wo, bo, n, p)
    cdef int threads = _train_threads(n)
    cdef double* work = _train_work(n, threads)
    with nogil:
        _train(p[0], p[1], p[2], p[3], p[4], p[5], lrate, 1, &epoch_mse,
               n[0], n[1], n[2], n[3], work, threads)
    free(work)
    return epoch_mse


def train_epoch_literal(cnp.ndarray X not None, cnp.ndarray Y not None,
                        cnp.ndarray wh not None, cnp.ndarray bh not None,
                        cnp.ndarray wo not None, cnp.ndarray bo not None, double lrate):
    """train_epoch in the lecture's loop order (the per-sample kernels, sample by sample)."""
    cdef Py_ssize_t n[4]
    cdef double* p[6]
    cdef double epoch_mse
    _train_args(X, Y, wh, bh, wo, bo, n, p)
    # hid, out, err, then the scratch of _update_network (err_prop, delta_hid, delta_out)
    cdef double* work = <double*>malloc((3 * n[2] + 3 * n[3]) * sizeof(double))
    if work == NULL:
        raise MemoryError()
    with nogil:
        epoch_mse = _train_epoch(p[0], p[1], p[2], p[3], p[4], p[5], lrate,
                                 n[0], n[1], n[2], n[3],
                                 work, work + n[2], work + n[2] + n[3],
                                 work + n[2] + 2 * n[3])
    free(work)
    return epoch_mse


def predict(X, wh, bh, wo, bo, threads=None):
    """Y_hat (num_samples, num_out_nodes): the lecture's predict as the deep net's, the same
    sums, bias and sigmoid through the deep net's panels (net_predict, eight rows a pass),
    as numba does; rows on ``threads`` OpenMP threads (None: OpenMP's default, which honours
    OMP_NUM_THREADS). The result does not depend on ``threads``."""
    return net_predict(X, (wh, wo), (bh, bo), SIGMOID, SIGMOID, threads)


# ---------------------------------------------------------------------------------------
# The deep net (issue 10): what the numba backend compiles (_numba.kernels), function for
# function, with the same names and loop nests: _reference.py's net_* kernels over
# _rearranged.py's layer_response and hidden_delta, and _rearranged.py's net_train
# (mini-batches layer by layer) and net_predict (panels); each says which it mirrors, and
# _rearranged.py says why every bit is kept. One source for both dtypes: ``real`` (declared
# at the top) is float or double, the net's dtype, and every operation below rounds to it,
# as the reference's NumPy scalars do: constants are written <real>1.0, sums are kept in
# real variables, and exp, log and tanh are the C library's double functions with the
# result rounded, <real>exp(<double>x), which is the reference's real(exp(np.float64(x)))
# (gcc turns (float)exp((double)x) into expf(x) only under -funsafe-math-optimizations,
# which setup.py does not set). log(0) is -inf from C, as the reference maps it.
# weights[l] (n_{l+1}, n_l) is indexed by hand: w[o_idx, i_idx] is
# w[o_idx * num_inp_nodes + i_idx]; sizes = (n_0, n_1, ..., n_L).

# Activations and losses: the reference's codes (_reference.SIGMOID etc.; NET_CODES below
# is what a test compares with them).
cdef enum:
    SIGMOID = 0
    TANH = 1
    RELU = 2
    IDENTITY = 3
    SOFTMAX = 4
cdef enum:
    MSE = 0
    CROSS_ENTROPY = 1

NET_CODES = dict(SIGMOID=SIGMOID, TANH=TANH, RELU=RELU, IDENTITY=IDENTITY, SOFTMAX=SOFTMAX,
                 MSE=MSE, CROSS_ENTROPY=CROSS_ENTROPY)


# act (num_nodes,) holds a layer's net inputs val -> replaced in place by y = f(val).
# The activation table.
cdef void _activate(real* act, int func, Py_ssize_t num_nodes) noexcept nogil:
    cdef Py_ssize_t o_idx
    cdef real top, exp_sum
    if func == SIGMOID:
        # y = 1 / (1 + e^-val); the layer at once, in SIMD lanes, where the inlined exp
        # covers every e^-val (sigmoid_all: the same operations; else it leaves act alone)
        if _inline_exp:
            if real is double:
                if sigmoid_all_double(act, num_nodes):
                    return
            else:
                if sigmoid_all_float(act, num_nodes):
                    return
        for o_idx in range(num_nodes):
            act[o_idx] = <real>1.0 / (<real>1.0 + <real>exp(<double>(-act[o_idx])))
    elif func == TANH:
        # y = tanh(val)
        for o_idx in range(num_nodes):
            act[o_idx] = <real>tanh(<double>act[o_idx])
    elif func == RELU:
        # y = val if val > 0 else 0
        for o_idx in range(num_nodes):
            act[o_idx] = act[o_idx] if act[o_idx] > <real>0.0 else <real>0.0
    elif func == SOFTMAX:
        # y_k = e^(val_k - top) / sum_j e^(val_j - top), top = max_j val_j: the same y as
        # e^val_k / sum_j e^val_j, without overflow
        top = act[0]
        for o_idx in range(1, num_nodes):
            if act[o_idx] > top:
                top = act[o_idx]
        exp_sum = <real>0.0
        for o_idx in range(num_nodes):
            act[o_idx] = <real>exp(<double>(act[o_idx] - top))
            exp_sum += act[o_idx]
        for o_idx in range(num_nodes):
            act[o_idx] = act[o_idx] / exp_sum
    # IDENTITY: y = val, which act holds already


# prev (num_inp_nodes,), w (num_out_nodes, num_inp_nodes), b (num_out_nodes,)
# -> act (num_out_nodes,): one layer's response, y_k = f(b_k + sum_i w_ki y_i).
# _rearranged.layer_response: four units' sums side by side, four independent addition
# chains instead of one waiting on the last; each unit's sum keeps its terms and their
# order, then its bias, then the activation.
cdef void _layer_response(const real* prev, const real* w, const real* b, int func,
                          real* act, Py_ssize_t num_inp_nodes,
                          Py_ssize_t num_out_nodes) noexcept nogil:
    cdef Py_ssize_t o_idx = 0, i_idx
    cdef real x, v0, v1, v2, v3, val
    while o_idx + 4 <= num_out_nodes:
        v0 = <real>0.0
        v1 = <real>0.0
        v2 = <real>0.0
        v3 = <real>0.0
        for i_idx in range(num_inp_nodes):
            x = prev[i_idx]
            v0 += x * w[o_idx * num_inp_nodes + i_idx]
            v1 += x * w[(o_idx + 1) * num_inp_nodes + i_idx]
            v2 += x * w[(o_idx + 2) * num_inp_nodes + i_idx]
            v3 += x * w[(o_idx + 3) * num_inp_nodes + i_idx]
        act[o_idx] = v0 + b[o_idx]
        act[o_idx + 1] = v1 + b[o_idx + 1]
        act[o_idx + 2] = v2 + b[o_idx + 2]
        act[o_idx + 3] = v3 + b[o_idx + 3]
        o_idx += 4
    while o_idx < num_out_nodes:
        val = <real>0.0
        for i_idx in range(num_inp_nodes):
            val += prev[i_idx] * w[o_idx * num_inp_nodes + i_idx]
        act[o_idx] = val + b[o_idx]
        o_idx += 1
    _activate(act, func, num_out_nodes)


# out (num_out_nodes,), tgt (num_out_nodes,) -> the sample's loss
cdef real _sample_loss(const real* out, const real* tgt, int output, int loss,
                       Py_ssize_t num_out_nodes) noexcept nogil:
    cdef Py_ssize_t o_idx
    cdef real sq_sum, err, ce_sum
    if loss == MSE:
        # (err**2).mean(), err = tgt - out, summed in index order (as _train_epoch)
        sq_sum = <real>0.0
        for o_idx in range(num_out_nodes):
            err = tgt[o_idx] - out[o_idx]
            sq_sum += err * err
        return sq_sum / <real>num_out_nodes
    # cross-entropy, summed in index order; a term whose factor is 0 is skipped (0 log 0 = 0)
    ce_sum = <real>0.0
    if output == SOFTMAX:
        # -sum_k y_k log y_k^o
        for o_idx in range(num_out_nodes):
            if tgt[o_idx] != <real>0.0:
                ce_sum += tgt[o_idx] * <real>log(<double>out[o_idx])
    else:
        # sigmoid outputs, each a two-class problem: -sum_k [y_k log y_k^o
        #                                                   + (1 - y_k) log(1 - y_k^o)]
        for o_idx in range(num_out_nodes):
            if tgt[o_idx] != <real>0.0:
                ce_sum += tgt[o_idx] * <real>log(<double>out[o_idx])
            if <real>1.0 - tgt[o_idx] != <real>0.0:
                ce_sum += ((<real>1.0 - tgt[o_idx])
                           * <real>log(<double>(<real>1.0 - out[o_idx])))
    return -ce_sum


# out (num_out_nodes,), tgt (num_out_nodes,) -> delta (num_out_nodes,), delta_k = -dE/dval_k
# for the sample's E: the derivative table, output layer
cdef void _output_delta(const real* out, const real* tgt, int output, int loss, real* delta,
                        Py_ssize_t num_out_nodes) noexcept nogil:
    cdef Py_ssize_t o_idx
    cdef real err
    for o_idx in range(num_out_nodes):
        err = tgt[o_idx] - out[o_idx]
        if loss == MSE and output == SIGMOID:
            # E = 1/2 sum_k (y_k - y_k^o)^2: delta_k = (y_k - y_k^o) y_k^o (1 - y_k^o)
            delta[o_idx] = out[o_idx] * (<real>1.0 - out[o_idx]) * err
        else:
            # mse, identity: delta_k = y_k - y_k^o (y_k^o = val_k, slope 1);
            # cross-entropy, sigmoid or softmax: delta_k = y_k - y_k^o (the log cancels the
            # slope; for softmax when sum_k y_k = 1, as for one-hot targets)
            delta[o_idx] = err


# act (num_hid_nodes,), w_next (num_out_nodes, num_hid_nodes), delta_next (num_out_nodes,)
# -> delta (num_hid_nodes,): a hidden layer's deltas from the layer above (the derivative
# table, hidden layers); w_next as in the forward pass, before this step's update.
# _rearranged.hidden_delta: w_next row by row; every unit's err_prop still adds
# delta_next[o] w_next[o, h] for o = 0, 1, ... in that order (in delta[h], from zero), but
# all units' sums advance together over contiguous memory, eight at a time here (as in
# _layer_update: for gcc's SLP vectoriser, where numba has LLVM's loop vectoriser).
# (w_o is &w_next[o_idx, 0].)
cdef void _hidden_delta(const real* act, const real* w_next, const real* delta_next,
                        int func, real* delta, Py_ssize_t num_hid_nodes,
                        Py_ssize_t num_out_nodes) noexcept nogil:
    cdef Py_ssize_t h_idx, o_idx
    cdef const real* w_o
    cdef real d, err_prop, e0, e1, e2, e3, e4, e5, e6, e7
    for h_idx in range(num_hid_nodes):
        delta[h_idx] = <real>0.0
    # the error to propagate back: sum_k delta_k w_kj
    for o_idx in range(num_out_nodes):
        d = delta_next[o_idx]
        w_o = w_next + o_idx * num_hid_nodes
        h_idx = 0
        while h_idx + 8 <= num_hid_nodes:
            e0 = delta[h_idx] + d * w_o[h_idx]
            e1 = delta[h_idx + 1] + d * w_o[h_idx + 1]
            e2 = delta[h_idx + 2] + d * w_o[h_idx + 2]
            e3 = delta[h_idx + 3] + d * w_o[h_idx + 3]
            e4 = delta[h_idx + 4] + d * w_o[h_idx + 4]
            e5 = delta[h_idx + 5] + d * w_o[h_idx + 5]
            e6 = delta[h_idx + 6] + d * w_o[h_idx + 6]
            e7 = delta[h_idx + 7] + d * w_o[h_idx + 7]
            delta[h_idx] = e0; delta[h_idx + 1] = e1; delta[h_idx + 2] = e2
            delta[h_idx + 3] = e3; delta[h_idx + 4] = e4; delta[h_idx + 5] = e5
            delta[h_idx + 6] = e6; delta[h_idx + 7] = e7
            h_idx += 8
        while h_idx < num_hid_nodes:
            delta[h_idx] += d * w_o[h_idx]
            h_idx += 1
    for h_idx in range(num_hid_nodes):
        err_prop = delta[h_idx]
        if func == SIGMOID:
            # (sum_k delta_k w_kj) y_j (1 - y_j)
            delta[h_idx] = act[h_idx] * (<real>1.0 - act[h_idx]) * err_prop
        elif func == TANH:
            # (sum_k delta_k w_kj) (1 - y_j^2)
            delta[h_idx] = (<real>1.0 - act[h_idx] * act[h_idx]) * err_prop
        else:
            # RELU: (sum_k delta_k w_kj) [val_j > 0], and val_j > 0 exactly when y_j > 0
            delta[h_idx] = err_prop if act[h_idx] > <real>0.0 else <real>0.0


# prev (num_inp_nodes,), delta (num_out_nodes,) -> w (num_out_nodes, num_inp_nodes),
# b (num_out_nodes,) updated in place: one layer of _update_network's adjust loops.
# Each row eight weights at a time: numba gets the reference's inner loop in SIMD registers
# from LLVM's loop vectoriser; setup.py turns gcc's off (for the panels), and its SLP
# vectoriser needs the eight updates written out. Each weight still takes the reference's
# one update, w_ki + eta (y_i delta_k). (w_o is &w[o_idx, 0].)
cdef void _layer_update(const real* prev, const real* delta, real* w, real* b, real lrate,
                        Py_ssize_t num_inp_nodes, Py_ssize_t num_out_nodes) noexcept nogil:
    cdef Py_ssize_t o_idx, i_idx
    cdef real* w_o
    cdef real d, w0, w1, w2, w3, w4, w5, w6, w7

    # adjust w: w_ki += eta delta_k y_i (each weight once: the loop order does not matter
    # for the bits; row by row is the order the memory is in)
    for o_idx in range(num_out_nodes):
        w_o = w + o_idx * num_inp_nodes
        d = delta[o_idx]
        i_idx = 0
        while i_idx + 8 <= num_inp_nodes:
            w0 = w_o[i_idx] + lrate * (prev[i_idx] * d)
            w1 = w_o[i_idx + 1] + lrate * (prev[i_idx + 1] * d)
            w2 = w_o[i_idx + 2] + lrate * (prev[i_idx + 2] * d)
            w3 = w_o[i_idx + 3] + lrate * (prev[i_idx + 3] * d)
            w4 = w_o[i_idx + 4] + lrate * (prev[i_idx + 4] * d)
            w5 = w_o[i_idx + 5] + lrate * (prev[i_idx + 5] * d)
            w6 = w_o[i_idx + 6] + lrate * (prev[i_idx + 6] * d)
            w7 = w_o[i_idx + 7] + lrate * (prev[i_idx + 7] * d)
            w_o[i_idx] = w0; w_o[i_idx + 1] = w1; w_o[i_idx + 2] = w2; w_o[i_idx + 3] = w3
            w_o[i_idx + 4] = w4; w_o[i_idx + 5] = w5; w_o[i_idx + 6] = w6; w_o[i_idx + 7] = w7
            i_idx += 8
        while i_idx < num_inp_nodes:
            w_o[i_idx] += lrate * (prev[i_idx] * d)
            i_idx += 1

    # adjust b: b_k += eta delta_k
    for o_idx in range(num_out_nodes):
        b[o_idx] += lrate * delta[o_idx]


# prev (num_inp_nodes,), delta (num_out_nodes,) -> grad_w (num_out_nodes, num_inp_nodes),
# grad_b (num_out_nodes,): this sample's -dE/dw_ki = delta_k y_i and -dE/db_k = delta_k added
cdef void _layer_gradient(const real* prev, const real* delta, real* grad_w, real* grad_b,
                          Py_ssize_t num_inp_nodes, Py_ssize_t num_out_nodes) noexcept nogil:
    cdef Py_ssize_t o_idx, i_idx
    for o_idx in range(num_out_nodes):
        for i_idx in range(num_inp_nodes):
            grad_w[o_idx * num_inp_nodes + i_idx] += prev[i_idx] * delta[o_idx]
        grad_b[o_idx] += delta[o_idx]


# inp (n_0,), weights[l] (n_{l+1}, n_l), biases[l] (n_{l+1},), hidden/output: activation
# codes -> acts[l] (n_{l+1},) filled: each hidden layer's activations, then the output
cdef void _net_response(const real* inp, real** weights, real** biases, int hidden,
                        int output, real** acts, const Py_ssize_t* sizes,
                        Py_ssize_t num_layers) noexcept nogil:
    cdef Py_ssize_t layer
    cdef int func
    for layer in range(num_layers):
        func = output if layer == num_layers - 1 else hidden
        if layer == 0:
            _layer_response(inp, weights[0], biases[0], func, acts[0], sizes[0], sizes[1])
        else:
            _layer_response(acts[layer - 1], weights[layer], biases[layer], func, acts[layer],
                            sizes[layer], sizes[layer + 1])


# acts from _net_response, tgt (n_L,) -> deltas[l] (n_{l+1},): every layer's deltas, top
# down, all from the weights of the forward pass (none is updated here)
cdef void _net_deltas(real** acts, const real* tgt, real** weights, int hidden, int output,
                      int loss, real** deltas, const Py_ssize_t* sizes,
                      Py_ssize_t num_layers) noexcept nogil:
    cdef Py_ssize_t layer
    _output_delta(acts[num_layers - 1], tgt, output, loss, deltas[num_layers - 1],
                  sizes[num_layers])
    for layer in range(num_layers - 2, -1, -1):
        _hidden_delta(acts[layer], weights[layer + 1], deltas[layer + 1], hidden,
                      deltas[layer], sizes[layer + 1], sizes[layer + 2])


# inp (n_0,), acts from _net_response(inp, ...), tgt (n_L,); weights, biases updated in
# place; lrate is eta; deltas: scratch, one (n_{l+1},) per layer.
# _update_network for any depth: every delta first, then every layer's adjust loops.
cdef void _net_update(const real* inp, real** acts, const real* tgt, real** weights,
                      real** biases, int hidden, int output, int loss, real lrate,
                      real** deltas, const Py_ssize_t* sizes,
                      Py_ssize_t num_layers) noexcept nogil:
    cdef Py_ssize_t layer
    _net_deltas(acts, tgt, weights, hidden, output, loss, deltas, sizes, num_layers)
    # top layer first, as _update_network adjusts wo, bo before wh, bh
    for layer in range(num_layers - 1, -1, -1):
        if layer == 0:
            _layer_update(inp, deltas[0], weights[0], biases[0], lrate, sizes[0], sizes[1])
        else:
            _layer_update(acts[layer - 1], deltas[layer], weights[layer], biases[layer],
                          lrate, sizes[layer], sizes[layer + 1])


# X (num_samples_X, n_0), Y (num_samples_X, n_L), orders (num_epochs, num_samples): the
# rows of each epoch, in order; batch_size >= 1; acts, deltas (n_{l+1},), grad_w
# (n_{l+1}, n_l), grad_b (n_{l+1},): scratch -> losses (num_epochs,): each epoch's mean
# sample loss, computed during the pass; weights, biases updated in place.
# batch_size 1 is _train_epoch's online SGD; otherwise each batch of batch_size consecutive
# rows of the order (the last may be shorter) runs forward on the weights at its start, and
# its summed per-sample gradients, divided by its number of rows, make one step.
# The reference's net_train, line for line (_rearranged imports it as reference_net_train):
# _net_train below runs it for batch_size 1, over _layer_response and _hidden_delta above.
cdef void _reference_net_train(const real* X, const real* Y, real** weights,
                               real** biases, int hidden, int output, int loss, real lrate,
                               const cnp.int64_t* orders, Py_ssize_t batch_size,
                               real** acts, real** deltas, real** grad_w, real** grad_b,
                               real* losses, const Py_ssize_t* sizes,
                               Py_ssize_t num_layers, Py_ssize_t num_epochs,
                               Py_ssize_t num_samples) noexcept nogil:
    cdef Py_ssize_t epoch, n_idx, start, stop, layer, o_idx, i_idx
    cdef const real* inp
    cdef const real* tgt
    cdef real* w
    cdef real* b
    cdef real* gw
    cdef real* gb
    cdef real epoch_loss, num_batch

    for epoch in range(num_epochs):
        epoch_loss = <real>0.0
        if batch_size == 1:
            # online: forward, loss, update, one sample at a time (_train_epoch)
            for n_idx in range(num_samples):
                inp = X + orders[epoch * num_samples + n_idx] * sizes[0]
                tgt = Y + orders[epoch * num_samples + n_idx] * sizes[num_layers]
                _net_response(inp, weights, biases, hidden, output, acts, sizes, num_layers)
                epoch_loss += _sample_loss(acts[num_layers - 1], tgt, output, loss,
                                           sizes[num_layers])
                _net_update(inp, acts, tgt, weights, biases, hidden, output, loss, lrate,
                            deltas, sizes, num_layers)
        else:
            start = 0
            while start < num_samples:  # for start in range(0, num_samples, batch_size)
                stop = min(start + batch_size, num_samples)
                for layer in range(num_layers):
                    for o_idx in range(sizes[layer + 1]):  # grad_w[layer][:, :] = 0
                        for i_idx in range(sizes[layer]):
                            grad_w[layer][o_idx * sizes[layer] + i_idx] = <real>0.0
                        grad_b[layer][o_idx] = <real>0.0   # grad_b[layer][:] = 0
                # each row's gradient, at the batch's starting weights, summed in row order
                for n_idx in range(start, stop):
                    inp = X + orders[epoch * num_samples + n_idx] * sizes[0]
                    tgt = Y + orders[epoch * num_samples + n_idx] * sizes[num_layers]
                    _net_response(inp, weights, biases, hidden, output, acts, sizes,
                                  num_layers)
                    epoch_loss += _sample_loss(acts[num_layers - 1], tgt, output, loss,
                                               sizes[num_layers])
                    _net_deltas(acts, tgt, weights, hidden, output, loss, deltas, sizes,
                                num_layers)
                    for layer in range(num_layers):
                        if layer == 0:
                            _layer_gradient(inp, deltas[0], grad_w[0], grad_b[0],
                                            sizes[0], sizes[1])
                        else:
                            _layer_gradient(acts[layer - 1], deltas[layer], grad_w[layer],
                                            grad_b[layer], sizes[layer], sizes[layer + 1])
                # one step with the mean gradient: w += eta (sum_n delta_k y_i) / batch
                num_batch = <real>(stop - start)
                for layer in range(num_layers):
                    w = weights[layer]
                    b = biases[layer]
                    gw = grad_w[layer]
                    gb = grad_b[layer]
                    for o_idx in range(sizes[layer + 1]):
                        for i_idx in range(sizes[layer]):
                            w[o_idx * sizes[layer] + i_idx] += \
                                lrate * (gw[o_idx * sizes[layer] + i_idx] / num_batch)
                        b[o_idx] += lrate * (gb[o_idx] / num_batch)
                start += batch_size
        # the mean of the per-sample losses, summed in sample order
        losses[epoch] = epoch_loss / <real>num_samples


# ---------------------------------------------------------------------------------------
# _rearranged.py's deep-net kernels: net_predict and net_train's mini-batches, layer by
# layer through panels (_to_panels above: wp[g, i_idx, k] = w[width g + k, i_idx],
# zero-padded, is wp[(g * num_inp_nodes + i_idx) * width + k], width 8, or 16 in float32).
# Keep them in step with it.

# prev (rows, num_inp_nodes), wp (num_panels, num_inp_nodes, width), b (num_out_nodes,)
# -> act (rows, num_out_nodes) = prev @ w.T + b, each sum in index order, then its bias.
# _rearranged.panels_forward: 64 sums a pass, eight rows through a panel of 8 units
# (_panel_block), or in float32 four through a panel of 16 (_panel_block_wide).
cdef void _panels_forward(const real* prev, const real* wp, const real* b, real* act,
                          Py_ssize_t rows, Py_ssize_t num_inp_nodes,
                          Py_ssize_t num_out_nodes) noexcept nogil:
    cdef Py_ssize_t g, r, n, q, k, o_idx
    cdef Py_ssize_t width = _panel_width(act)
    cdef Py_ssize_t per_pass = 64 // width
    cdef real val[64]  # val[q][k] at q * width + k
    for g in range((num_out_nodes + width - 1) // width):
        r = 0
        while r < rows:
            n = min(per_pass, rows - r)  # rows in this pass
            if width == WIDE_PANEL:
                _panel_block_wide(prev, num_inp_nodes, r, n, wp, g, num_inp_nodes,
                                  <real (*)[WIDE_PANEL]>val)
            else:
                _panel_block(prev, num_inp_nodes, r, n, wp, g, num_inp_nodes,
                             <real (*)[PANEL]>val)
            for q in range(n):
                for k in range(width):
                    o_idx = width * g + k
                    if o_idx < num_out_nodes:
                        act[(r + q) * num_out_nodes + o_idx] = val[q * width + k] + b[o_idx]
            r += n


# A mini-batch's forward pass, _rearranged.batch_forward: the sums of _panels_forward with
# the roles of rows and units swapped, the batch's rows packed in panels of 8 (float32: 16;
# prevp, zero padded by the caller) and eight (four) units of w a pass through each, blocks
# of a pass's units on threads OpenMP threads (the prange body is _batch_forward_units, so
# its sums stay private).
cdef void _batch_forward(const real* prev, const real* w, const real* b, real* act,
                         real* prevp, Py_ssize_t rows, Py_ssize_t num_inp_nodes,
                         Py_ssize_t num_out_nodes, int threads) noexcept nogil:
    cdef Py_ssize_t q
    cdef Py_ssize_t width = _panel_width(act)
    cdef Py_ssize_t per_pass = 64 // width  # units
    _to_panels(prev, prevp, rows, num_inp_nodes, width)
    for q in prange((num_out_nodes + per_pass - 1) // per_pass, num_threads=threads,
                    schedule="static"):
        _batch_forward_units(w, b, act, prevp, per_pass * q, rows, num_inp_nodes,
                             num_out_nodes)


# one pass of _batch_forward, its units from o_idx on
cdef void _batch_forward_units(const real* w, const real* b, real* act, const real* prevp,
                               Py_ssize_t o_idx, Py_ssize_t rows, Py_ssize_t num_inp_nodes,
                               Py_ssize_t num_out_nodes) noexcept nogil:
    cdef Py_ssize_t g, k, r, u
    cdef Py_ssize_t width = _panel_width(act)
    cdef Py_ssize_t per_pass = 64 // width
    cdef Py_ssize_t n = min(per_pass, num_out_nodes - o_idx)  # units in this pass
    cdef real val[64]  # val[u][k] at u * width + k
    for g in range((rows + width - 1) // width):
        if width == WIDE_PANEL:
            _panel_block_wide(w, num_inp_nodes, o_idx, n, prevp, g, num_inp_nodes,
                              <real (*)[WIDE_PANEL]>val)
        else:
            _panel_block(w, num_inp_nodes, o_idx, n, prevp, g, num_inp_nodes,
                         <real (*)[PANEL]>val)
        for k in range(width):
            r = width * g + k
            if r < rows:
                for u in range(n):
                    act[r * num_out_nodes + o_idx + u] = val[u * width + k] + b[o_idx + u]


# _rearranged.panel_block: val[q][k] = sum_i p[(first + q) * stride + i] wp[g, i, k] for
# the n <= 8 vectors q of p from row first (a short pass repeats its last) and the 8
# columns k of panel g, num_inp_nodes terms each, in index order; every weight loaded
# serves 64 sums (gcc's SLP vectoriser puts each vector's 8 in SIMD registers, each lane
# exactly the scalar addition it replaces). (wp_gi is &wp[g, i_idx, 0].)
# Not inline: inlined into _batch_update_units, gcc's SLP vectoriser grouped the sums into
# vectors the way the grad stores wanted them, with shuffles and scalar lanes inside the
# loop (perf annotate); one compiled copy keeps the forward pass's grouping everywhere.
cdef void _panel_block(const real* p, Py_ssize_t stride, Py_ssize_t first, Py_ssize_t n,
                       const real* wp, Py_ssize_t g, Py_ssize_t num_inp_nodes,
                       real val[8][PANEL]) noexcept nogil:
    cdef Py_ssize_t i_idx
    cdef const real* wp_gi
    cdef real x, w0, w1, w2, w3, w4, w5, w6, w7
    cdef const real* pa = p + first * stride
    cdef const real* pb = p + (first + min(1, n - 1)) * stride
    cdef const real* pc = p + (first + min(2, n - 1)) * stride
    cdef const real* pd = p + (first + min(3, n - 1)) * stride
    cdef const real* pe = p + (first + min(4, n - 1)) * stride
    cdef const real* pf = p + (first + min(5, n - 1)) * stride
    cdef const real* ph = p + (first + min(6, n - 1)) * stride
    cdef const real* pk = p + (first + min(7, n - 1)) * stride
    cdef real a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0
    cdef real b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0
    cdef real c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0
    cdef real d0 = 0, d1 = 0, d2 = 0, d3 = 0, d4 = 0, d5 = 0, d6 = 0, d7 = 0
    cdef real e0 = 0, e1 = 0, e2 = 0, e3 = 0, e4 = 0, e5 = 0, e6 = 0, e7 = 0
    cdef real f0 = 0, f1 = 0, f2 = 0, f3 = 0, f4 = 0, f5 = 0, f6 = 0, f7 = 0
    cdef real h0 = 0, h1 = 0, h2 = 0, h3 = 0, h4 = 0, h5 = 0, h6 = 0, h7 = 0
    cdef real k0 = 0, k1 = 0, k2 = 0, k3 = 0, k4 = 0, k5 = 0, k6 = 0, k7 = 0
    for i_idx in range(num_inp_nodes):
        wp_gi = wp + (g * num_inp_nodes + i_idx) * PANEL
        w0 = wp_gi[0]; w1 = wp_gi[1]
        w2 = wp_gi[2]; w3 = wp_gi[3]
        w4 = wp_gi[4]; w5 = wp_gi[5]
        w6 = wp_gi[6]; w7 = wp_gi[7]
        x = pa[i_idx]
        a0 += x * w0; a1 += x * w1; a2 += x * w2; a3 += x * w3
        a4 += x * w4; a5 += x * w5; a6 += x * w6; a7 += x * w7
        x = pb[i_idx]
        b0 += x * w0; b1 += x * w1; b2 += x * w2; b3 += x * w3
        b4 += x * w4; b5 += x * w5; b6 += x * w6; b7 += x * w7
        x = pc[i_idx]
        c0 += x * w0; c1 += x * w1; c2 += x * w2; c3 += x * w3
        c4 += x * w4; c5 += x * w5; c6 += x * w6; c7 += x * w7
        x = pd[i_idx]
        d0 += x * w0; d1 += x * w1; d2 += x * w2; d3 += x * w3
        d4 += x * w4; d5 += x * w5; d6 += x * w6; d7 += x * w7
        x = pe[i_idx]
        e0 += x * w0; e1 += x * w1; e2 += x * w2; e3 += x * w3
        e4 += x * w4; e5 += x * w5; e6 += x * w6; e7 += x * w7
        x = pf[i_idx]
        f0 += x * w0; f1 += x * w1; f2 += x * w2; f3 += x * w3
        f4 += x * w4; f5 += x * w5; f6 += x * w6; f7 += x * w7
        x = ph[i_idx]
        h0 += x * w0; h1 += x * w1; h2 += x * w2; h3 += x * w3
        h4 += x * w4; h5 += x * w5; h6 += x * w6; h7 += x * w7
        x = pk[i_idx]
        k0 += x * w0; k1 += x * w1; k2 += x * w2; k3 += x * w3
        k4 += x * w4; k5 += x * w5; k6 += x * w6; k7 += x * w7
    val[0][0] = a0; val[0][1] = a1; val[0][2] = a2; val[0][3] = a3
    val[0][4] = a4; val[0][5] = a5; val[0][6] = a6; val[0][7] = a7
    val[1][0] = b0; val[1][1] = b1; val[1][2] = b2; val[1][3] = b3
    val[1][4] = b4; val[1][5] = b5; val[1][6] = b6; val[1][7] = b7
    val[2][0] = c0; val[2][1] = c1; val[2][2] = c2; val[2][3] = c3
    val[2][4] = c4; val[2][5] = c5; val[2][6] = c6; val[2][7] = c7
    val[3][0] = d0; val[3][1] = d1; val[3][2] = d2; val[3][3] = d3
    val[3][4] = d4; val[3][5] = d5; val[3][6] = d6; val[3][7] = d7
    val[4][0] = e0; val[4][1] = e1; val[4][2] = e2; val[4][3] = e3
    val[4][4] = e4; val[4][5] = e5; val[4][6] = e6; val[4][7] = e7
    val[5][0] = f0; val[5][1] = f1; val[5][2] = f2; val[5][3] = f3
    val[5][4] = f4; val[5][5] = f5; val[5][6] = f6; val[5][7] = f7
    val[6][0] = h0; val[6][1] = h1; val[6][2] = h2; val[6][3] = h3
    val[6][4] = h4; val[6][5] = h5; val[6][6] = h6; val[6][7] = h7
    val[7][0] = k0; val[7][1] = k1; val[7][2] = k2; val[7][3] = k3
    val[7][4] = k4; val[7][5] = k5; val[7][6] = k6; val[7][7] = k7


# _rearranged.panel_block_wide: _panel_block for float32 and panels of 16 columns, the
# n <= 4 vectors q of p from row first (a vector's 16 float32 sums: two 256-bit registers
# in the builds here, setup.py).
cdef void _panel_block_wide(const real* p, Py_ssize_t stride, Py_ssize_t first, Py_ssize_t n,
                            const real* wp, Py_ssize_t g, Py_ssize_t num_inp_nodes,
                            real val[4][WIDE_PANEL]) noexcept nogil:
    cdef Py_ssize_t i_idx
    cdef const real* wp_gi
    cdef real x, w0, w1, w2, w3, w4, w5, w6, w7
    cdef real w8, w9, w10, w11, w12, w13, w14, w15
    cdef const real* pa = p + first * stride
    cdef const real* pb = p + (first + min(1, n - 1)) * stride
    cdef const real* pc = p + (first + min(2, n - 1)) * stride
    cdef const real* pd = p + (first + min(3, n - 1)) * stride
    cdef real a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0
    cdef real a8 = 0, a9 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0, a14 = 0, a15 = 0
    cdef real b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0
    cdef real b8 = 0, b9 = 0, b10 = 0, b11 = 0, b12 = 0, b13 = 0, b14 = 0, b15 = 0
    cdef real c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0
    cdef real c8 = 0, c9 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0
    cdef real d0 = 0, d1 = 0, d2 = 0, d3 = 0, d4 = 0, d5 = 0, d6 = 0, d7 = 0
    cdef real d8 = 0, d9 = 0, d10 = 0, d11 = 0, d12 = 0, d13 = 0, d14 = 0, d15 = 0
    for i_idx in range(num_inp_nodes):
        wp_gi = wp + (g * num_inp_nodes + i_idx) * WIDE_PANEL
        w0 = wp_gi[0]; w1 = wp_gi[1]; w2 = wp_gi[2]; w3 = wp_gi[3]
        w4 = wp_gi[4]; w5 = wp_gi[5]; w6 = wp_gi[6]; w7 = wp_gi[7]
        w8 = wp_gi[8]; w9 = wp_gi[9]; w10 = wp_gi[10]; w11 = wp_gi[11]
        w12 = wp_gi[12]; w13 = wp_gi[13]; w14 = wp_gi[14]; w15 = wp_gi[15]
        x = pa[i_idx]
        a0 += x * w0; a1 += x * w1; a2 += x * w2; a3 += x * w3
        a4 += x * w4; a5 += x * w5; a6 += x * w6; a7 += x * w7
        a8 += x * w8; a9 += x * w9; a10 += x * w10; a11 += x * w11
        a12 += x * w12; a13 += x * w13; a14 += x * w14; a15 += x * w15
        x = pb[i_idx]
        b0 += x * w0; b1 += x * w1; b2 += x * w2; b3 += x * w3
        b4 += x * w4; b5 += x * w5; b6 += x * w6; b7 += x * w7
        b8 += x * w8; b9 += x * w9; b10 += x * w10; b11 += x * w11
        b12 += x * w12; b13 += x * w13; b14 += x * w14; b15 += x * w15
        x = pc[i_idx]
        c0 += x * w0; c1 += x * w1; c2 += x * w2; c3 += x * w3
        c4 += x * w4; c5 += x * w5; c6 += x * w6; c7 += x * w7
        c8 += x * w8; c9 += x * w9; c10 += x * w10; c11 += x * w11
        c12 += x * w12; c13 += x * w13; c14 += x * w14; c15 += x * w15
        x = pd[i_idx]
        d0 += x * w0; d1 += x * w1; d2 += x * w2; d3 += x * w3
        d4 += x * w4; d5 += x * w5; d6 += x * w6; d7 += x * w7
        d8 += x * w8; d9 += x * w9; d10 += x * w10; d11 += x * w11
        d12 += x * w12; d13 += x * w13; d14 += x * w14; d15 += x * w15
    val[0][0] = a0; val[0][1] = a1; val[0][2] = a2; val[0][3] = a3
    val[0][4] = a4; val[0][5] = a5; val[0][6] = a6; val[0][7] = a7
    val[0][8] = a8; val[0][9] = a9; val[0][10] = a10; val[0][11] = a11
    val[0][12] = a12; val[0][13] = a13; val[0][14] = a14; val[0][15] = a15
    val[1][0] = b0; val[1][1] = b1; val[1][2] = b2; val[1][3] = b3
    val[1][4] = b4; val[1][5] = b5; val[1][6] = b6; val[1][7] = b7
    val[1][8] = b8; val[1][9] = b9; val[1][10] = b10; val[1][11] = b11
    val[1][12] = b12; val[1][13] = b13; val[1][14] = b14; val[1][15] = b15
    val[2][0] = c0; val[2][1] = c1; val[2][2] = c2; val[2][3] = c3
    val[2][4] = c4; val[2][5] = c5; val[2][6] = c6; val[2][7] = c7
    val[2][8] = c8; val[2][9] = c9; val[2][10] = c10; val[2][11] = c11
    val[2][12] = c12; val[2][13] = c13; val[2][14] = c14; val[2][15] = c15
    val[3][0] = d0; val[3][1] = d1; val[3][2] = d2; val[3][3] = d3
    val[3][4] = d4; val[3][5] = d5; val[3][6] = d6; val[3][7] = d7
    val[3][8] = d8; val[3][9] = d9; val[3][10] = d10; val[3][11] = d11
    val[3][12] = d12; val[3][13] = d13; val[3][14] = d14; val[3][15] = d15


# X (num_samples, n_0) -> Y_hat (num_samples, n_L), with panels[l] = to_panels(weights[l])
# (the caller's, _net_panels). _rearranged.net_predict: rows are independent, so blocks of
# BLOCK rows run on num_threads OpenMP threads, and within a block each layer runs eight
# rows at a time through each panel of 8 units (_panels_forward; float32: four rows through
# panels of 16), then the activation row by row; which thread computes a row, or beside
# which row, changes nothing. work holds num_threads * 2 * BLOCK * widest reals: each
# thread's two hidden layers' (rows, n_l) activations, alternating. finite[b_idx]: whether
# block b_idx's rows of X are all finite, checked as they are read (_rearranged.all_finite).
cdef void _net_predict(const real* X, real** weights, real** biases, int hidden, int output,
                       real** panels, real* Y_hat, const Py_ssize_t* sizes,
                       Py_ssize_t num_layers, Py_ssize_t num_samples, Py_ssize_t widest,
                       real* work, int num_threads, unsigned char* finite) noexcept nogil:
    cdef Py_ssize_t b_idx, start, stop, layer, r
    cdef int func
    cdef real* hid
    cdef const real* prev
    cdef real* act
    for b_idx in prange((num_samples + BLOCK - 1) // BLOCK, num_threads=num_threads,
                        schedule="static"):
        hid = work + openmp.omp_get_thread_num() * 2 * BLOCK * widest
        start = b_idx * BLOCK
        stop = min(num_samples, start + BLOCK)
        prev = X + start * sizes[0]
        if real is double:
            finite[b_idx] = all_finite_double(prev, (stop - start) * sizes[0])
        else:
            finite[b_idx] = all_finite_float(prev, (stop - start) * sizes[0])
        for layer in range(num_layers):
            func = output if layer == num_layers - 1 else hidden
            if layer == num_layers - 1:
                act = Y_hat + start * sizes[num_layers]
            else:
                act = hid + (layer % 2) * BLOCK * widest
            _panels_forward(prev, panels[layer], biases[layer], act, stop - start,
                            sizes[layer], sizes[layer + 1])
            for r in range(stop - start):
                _activate(act + r * sizes[layer + 1], func, sizes[layer + 1])
            prev = act


# panels[l] = to_panels(weights[l], panel_width) for every layer (_numba's
# net_predict_rows); the caller callocs them (zero-padded)
cdef void _net_panels(real** weights, real** panels, const Py_ssize_t* sizes,
                      Py_ssize_t num_layers) noexcept nogil:
    cdef Py_ssize_t layer
    cdef Py_ssize_t width = _panel_width(weights[0])
    for layer in range(num_layers):
        _to_panels(weights[layer], panels[layer], sizes[layer + 1], sizes[layer], width)


# The reals _net_train's mini-batches need (batch_size > 1), allocated once per call by
# the caller: act_buf and delta_buf (most rows of every layer each), Xb (most, n_0), Yb
# (most, n_L), then one scratch area that each layer's _batch_forward (its input rows in
# panels) and then _batch_update (_batch_update_work) use in turn.
cdef Py_ssize_t _net_train_work(const Py_ssize_t* sizes, Py_ssize_t num_layers,
                                Py_ssize_t most, int threads) noexcept nogil:
    cdef Py_ssize_t layer, scratch = 0, count = most * (sizes[0] + sizes[num_layers])
    cdef Py_ssize_t padded = (most + WIDE_PANEL - 1) // WIDE_PANEL * WIDE_PANEL  # either width
    for layer in range(num_layers):
        count += 2 * most * sizes[layer + 1]
        scratch = max(scratch, padded * sizes[layer])
        scratch = max(scratch, _batch_update_work(most, sizes[layer], sizes[layer + 1],
                                                  threads))
    return count + scratch


# The deep net's training, _rearranged.net_train (same arguments, then losses, the sizes,
# the work of _net_train_work with offsets (num_layers + 1,) and the threads of
# _batch_update). Online SGD (batch_size 1) is the reference's own (_reference_net_train).
# A mini-batch is computed layer by layer over all of its rows instead of row by row: its
# rows are gathered, each layer's forward pass runs eight units at a time through panels of
# 8 rows (_batch_forward), each row's loss and deltas follow
# in row order, and _batch_update sums each weight's per-row gradients in row order and
# steps. Every sum keeps the reference's terms and order; the rows only share the weights of
# the batch's start, which the reference's rows read too.
cdef void _net_train(const real* X, const real* Y, real** weights, real** biases,
                     int hidden, int output, int loss, real lrate,
                     const cnp.int64_t* orders, Py_ssize_t batch_size,
                     real** acts, real** deltas, real** grad_w, real** grad_b,
                     real* losses, const Py_ssize_t* sizes, Py_ssize_t num_layers,
                     Py_ssize_t num_epochs, Py_ssize_t num_samples,
                     real* work, Py_ssize_t* offsets, int threads) noexcept nogil:
    cdef Py_ssize_t epoch, start, rows, r, layer, most, n, m, a, d, k
    cdef int func
    cdef real epoch_loss
    cdef real* act_buf
    cdef real* delta_buf
    cdef real* Xb
    cdef real* Yb
    cdef real* prevp
    cdef const real* prev
    cdef real* act
    cdef real* out
    cdef real* out_delta
    cdef real* delta
    if batch_size == 1:
        _reference_net_train(X, Y, weights, biases, hidden, output, loss, lrate, orders,
                             batch_size, acts, deltas, grad_w, grad_b, losses, sizes,
                             num_layers, num_epochs, num_samples)
        return

    # every layer's (rows, n_l) activations and deltas, one after the other in two buffers
    most = min(batch_size, num_samples)
    offsets[0] = 0
    for layer in range(num_layers):
        offsets[layer + 1] = offsets[layer] + most * sizes[layer + 1]
    act_buf = work
    delta_buf = act_buf + offsets[num_layers]
    Xb = delta_buf + offsets[num_layers]
    Yb = Xb + most * sizes[0]
    prevp = Yb + most * sizes[num_layers]
    for epoch in range(num_epochs):
        epoch_loss = <real>0.0
        start = 0
        while start < num_samples:  # for start in range(0, num_samples, batch_size)
            rows = min(start + batch_size, num_samples) - start
            for r in range(rows):
                memcpy(Xb + r * sizes[0],
                       X + orders[epoch * num_samples + start + r] * sizes[0],
                       sizes[0] * sizeof(real))
                memcpy(Yb + r * sizes[num_layers],
                       Y + orders[epoch * num_samples + start + r] * sizes[num_layers],
                       sizes[num_layers] * sizeof(real))
            # the forward pass, layer by layer, at the batch's starting weights
            prev = Xb
            for layer in range(num_layers):
                func = output if layer == num_layers - 1 else hidden
                n = sizes[layer + 1]
                act = act_buf + offsets[layer]
                if rows % PANEL != 0:  # the panels' padding rows: 0, not another layer's
                    memset(prevp, 0, (most + PANEL - 1) // PANEL * sizes[layer] * PANEL
                           * sizeof(real))
                _batch_forward(prev, weights[layer], biases[layer], act, prevp, rows,
                               sizes[layer], n, threads)
                for r in range(rows):
                    _activate(act + r * n, func, n)
                prev = act
            # each row's loss and deltas, top down, in row order
            for r in range(rows):
                n = sizes[num_layers]
                out = act_buf + offsets[num_layers - 1]
                out_delta = delta_buf + offsets[num_layers - 1]
                epoch_loss += _sample_loss(out + r * n, Yb + r * n, output, loss, n)
                _output_delta(out + r * n, Yb + r * n, output, loss, out_delta + r * n, n)
                for layer in range(num_layers - 2, -1, -1):
                    n = sizes[layer + 1]
                    m = sizes[layer + 2]
                    a = offsets[layer] + r * n
                    d = offsets[layer + 1] + r * m
                    _hidden_delta(act_buf + a, weights[layer + 1], delta_buf + d, hidden,
                                  delta_buf + a, n, m)
            # one step per layer with the mean of the rows' gradients
            for layer in range(num_layers):
                n = sizes[layer + 1]
                delta = delta_buf + offsets[layer]
                if layer == 0:
                    _batch_update(Xb, delta, weights[0], biases[0], lrate, <real>rows,
                                  rows, sizes[0], n, prevp, threads)
                else:
                    k = sizes[layer]
                    prev = act_buf + offsets[layer - 1]
                    _batch_update(prev, delta, weights[layer], biases[layer], lrate,
                                  <real>rows, rows, k, n, prevp, threads)
            start += batch_size
        losses[epoch] = epoch_loss / <real>num_samples


# prev (rows, num_inp_nodes), delta (rows, num_out_nodes) -> w, b updated in place:
# w_ki += eta (sum_r delta_rk y_ri) / rows, the sum over the rows in row order from zero
# (as the reference's grad_w). _rearranged.batch_update: _panel_block with the rows as the
# sum's index, eight units' deltas (delta_t, delta transposed) through each panel of 8
# inputs (prevp, prev transposed in panels, padding inputs 0; float32: four units, panels of
# 16); each pass's sums go to its thread's grad (a row of the padded inputs per unit) and
# are then stepped in one pass over w's rows. The passes run on threads OpenMP threads (the
# prange body is _batch_update_units, so its sums stay private). work: _batch_update_work
# reals.
cdef void _batch_update(const real* prev, const real* delta, real* w, real* b, real lrate,
                        real num_batch, Py_ssize_t rows, Py_ssize_t num_inp_nodes,
                        Py_ssize_t num_out_nodes, real* work, int threads) noexcept nogil:
    cdef Py_ssize_t q, g, r, k, i, o
    cdef Py_ssize_t width = _panel_width(w)
    cdef Py_ssize_t per_pass = 64 // width  # units
    cdef Py_ssize_t padded = (num_inp_nodes + width - 1) // width * width
    cdef real* prevp = work
    cdef real* delta_t = prevp + padded * rows
    cdef real* grad = delta_t + num_out_nodes * rows
    for g in range(padded // width):
        for r in range(rows):
            for k in range(width):
                i = width * g + k
                prevp[(g * rows + r) * width + k] = \
                    prev[r * num_inp_nodes + i] if i < num_inp_nodes else <real>0.0
    for r in range(rows):
        for o in range(num_out_nodes):
            delta_t[o * rows + r] = delta[r * num_out_nodes + o]
    for q in prange((num_out_nodes + per_pass - 1) // per_pass, num_threads=threads,
                    schedule="static"):
        _batch_update_units(w, b, lrate, num_batch, prevp, delta_t,
                            grad + openmp.omp_get_thread_num() * per_pass * padded,
                            per_pass * q, rows, num_inp_nodes, num_out_nodes)


# w[k] += lrate * (g[k] / num_batch) for k = 0 .. 7: the step written out, so that gcc's SLP
# vectoriser makes it one vector division (the loop vectoriser is off, setup.py); all of g
# is read before w is written, which it needs as w and g could overlap for all it knows
cdef inline void _step8(real* w, const real* g, real lrate, real num_batch) noexcept nogil:
    cdef real g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3]
    cdef real g4 = g[4], g5 = g[5], g6 = g[6], g7 = g[7]
    w[0] += lrate * (g0 / num_batch)
    w[1] += lrate * (g1 / num_batch)
    w[2] += lrate * (g2 / num_batch)
    w[3] += lrate * (g3 / num_batch)
    w[4] += lrate * (g4 / num_batch)
    w[5] += lrate * (g5 / num_batch)
    w[6] += lrate * (g6 / num_batch)
    w[7] += lrate * (g7 / num_batch)


# the reals _batch_update needs for a layer: prevp, delta_t and threads blocks of grad (the
# inputs padded to WIDE_PANEL, enough for either width)
cdef inline Py_ssize_t _batch_update_work(Py_ssize_t rows, Py_ssize_t num_inp_nodes,
                                          Py_ssize_t num_out_nodes, int threads) noexcept nogil:
    cdef Py_ssize_t padded = (num_inp_nodes + WIDE_PANEL - 1) // WIDE_PANEL * WIDE_PANEL
    return padded * rows + num_out_nodes * rows + threads * 8 * padded


# one pass of _batch_update, its units from o_idx on
cdef void _batch_update_units(real* w, real* b, real lrate, real num_batch, const real* prevp,
                              const real* delta_t, real* grad, Py_ssize_t o_idx,
                              Py_ssize_t rows, Py_ssize_t num_inp_nodes,
                              Py_ssize_t num_out_nodes) noexcept nogil:
    cdef Py_ssize_t g, u, k, i_idx, r
    cdef Py_ssize_t width = _panel_width(w)
    cdef Py_ssize_t per_pass = 64 // width
    cdef Py_ssize_t n = min(per_pass, num_out_nodes - o_idx)  # units in this pass
    cdef Py_ssize_t num_panels = (num_inp_nodes + width - 1) // width
    cdef Py_ssize_t stride = num_panels * width  # grad's row
    cdef real acc
    cdef real val[64]  # val[u][k] at u * width + k
    for g in range(num_panels):
        if width == WIDE_PANEL:
            _panel_block_wide(delta_t, rows, o_idx, n, prevp, g, rows,
                              <real (*)[WIDE_PANEL]>val)
        else:
            _panel_block(delta_t, rows, o_idx, n, prevp, g, rows, <real (*)[PANEL]>val)
        for u in range(per_pass):
            for k in range(width):
                grad[u * stride + width * g + k] = val[u * width + k]
    for u in range(n):
        i_idx = 0
        while i_idx + 8 <= num_inp_nodes:  # 8 at a time, for gcc's SLP vectoriser
            _step8(w + (o_idx + u) * num_inp_nodes + i_idx, grad + u * stride + i_idx,
                   lrate, num_batch)
            i_idx += 8
        while i_idx < num_inp_nodes:
            w[(o_idx + u) * num_inp_nodes + i_idx] += \
                lrate * (grad[u * stride + i_idx] / num_batch)
            i_idx += 1
        acc = <real>0.0
        for r in range(rows):
            acc += delta_t[(o_idx + u) * rows + r]
        b[o_idx + u] += lrate * (acc / num_batch)


# ---------------------------------------------------------------------------------------
# The deep net's raw entry points: the reference's names and arguments (tuples of arrays,
# all float32 or all float64, and int codes). Each converts the tuples once into C arrays
# of pointers and the net's sizes, then runs the kernel without the GIL (the per-sample
# ones above NOGIL_WORK weights). As for the lecture's, net.py has validated everything
# first; these checks only keep a direct call from reading or writing out of bounds.

cdef struct _NetC:
    void* block           # one malloc: the pointer arrays, then sizes
    int typenum           # NPY_FLOAT or NPY_DOUBLE
    Py_ssize_t num_layers
    Py_ssize_t* sizes     # (n_0, ..., n_L)
    void** weights        # num_layers pointers each
    void** biases
    void** acts
    void** deltas
    void** grad_w
    void** grad_b


cdef void* _net_arg(object a, int typenum, int ndim, Py_ssize_t d0, Py_ssize_t d1,
                    bint writeable) except NULL:
    """_arg for either dtype: a's data, if a is an ndarray of typenum, native, C-contiguous,
    aligned, of shape (d0[, d1]) (d0 == -1: any number >= 1 of rows) and, if asked,
    writeable."""
    if not isinstance(a, cnp.ndarray):
        raise TypeError(f"loopmlp.kernels._cython: expected numpy arrays, got {type(a).__name__}")
    cdef cnp.ndarray arr = <cnp.ndarray>a
    if cnp.PyArray_TYPE(arr) != typenum or not cnp.PyArray_ISNOTSWAPPED(arr):
        raise TypeError("loopmlp.kernels._cython: a net's arrays must all be float32 or all float64 "
                        "(call the kernels through loopmlp.get_backend('cython'), which "
                        "checks and converts)")
    if (cnp.PyArray_NDIM(arr) != ndim or not cnp.PyArray_ISCARRAY_RO(arr)
            or (writeable and not cnp.PyArray_ISWRITEABLE(arr))
            or (cnp.PyArray_DIM(arr, 0) != d0 if d0 >= 0 else cnp.PyArray_DIM(arr, 0) < 1)
            or (ndim == 2 and cnp.PyArray_DIM(arr, 1) != d1)):
        raise ValueError("loopmlp.kernels._cython: an array has the wrong shape or layout (call the "
                         "kernels through loopmlp.get_backend('cython'), which says which)")
    return cnp.PyArray_DATA(arr)


cdef int _net_open(_NetC* net, object weights, object biases, bint writeable) except -1:
    """net: the number of layers, the dtype and sizes from weights, and the pointers to
    weights and biases (updated in place if writeable). The caller frees net.block, also
    after an exception (it is NULL or the block)."""
    if not isinstance(weights, (tuple, list)) or len(weights) < 1:
        raise TypeError("loopmlp.kernels._cython: weights must be a tuple of arrays, one per layer")
    cdef Py_ssize_t L = len(weights), layer
    net.num_layers = L
    net.block = malloc(6 * L * sizeof(void*) + (L + 1) * sizeof(Py_ssize_t))
    if net.block == NULL:
        raise MemoryError()
    net.weights = <void**>net.block
    net.biases = net.weights + L
    net.acts = net.biases + L
    net.deltas = net.acts + L
    net.grad_w = net.deltas + L
    net.grad_b = net.grad_w + L
    net.sizes = <Py_ssize_t*>(net.grad_b + L)
    for layer in range(L):
        w = weights[layer]
        if (not isinstance(w, cnp.ndarray) or cnp.PyArray_NDIM(<cnp.ndarray>w) != 2
                or cnp.PyArray_DIM(<cnp.ndarray>w, 0) < 1
                or cnp.PyArray_DIM(<cnp.ndarray>w, 1) < 1):
            raise ValueError("loopmlp.kernels._cython: weights must be 2-D arrays with at least one "
                             "node per layer")
        if layer == 0:
            net.sizes[0] = cnp.PyArray_DIM(<cnp.ndarray>w, 1)
        net.sizes[layer + 1] = cnp.PyArray_DIM(<cnp.ndarray>w, 0)
    net.typenum = cnp.PyArray_TYPE(<cnp.ndarray>weights[0])
    if net.typenum != cnp.NPY_FLOAT and net.typenum != cnp.NPY_DOUBLE:
        raise TypeError("loopmlp.kernels._cython: a net's arrays must be float32 or float64")
    _net_layers(net, weights, net.weights, True, writeable)
    _net_layers(net, biases, net.biases, False, writeable)
    return 0


cdef int _net_layers(_NetC* net, object arrays, void** p, bint matrix,
                     bint writeable) except -1:
    """p[l]: the data of arrays[l], of shape (n_{l+1}, n_l) if matrix, else (n_{l+1},)."""
    cdef Py_ssize_t layer
    if not isinstance(arrays, (tuple, list)) or len(arrays) != net.num_layers:
        raise ValueError("loopmlp.kernels._cython: every tuple of arrays needs one per layer")
    for layer in range(net.num_layers):
        p[layer] = _net_arg(arrays[layer], net.typenum, 2 if matrix else 1,
                            net.sizes[layer + 1], net.sizes[layer], writeable)
    return 0


cdef inline cnp.ndarray _net_empty(int typenum, Py_ssize_t d0, Py_ssize_t d1):
    """A new array of typenum, (d0,) if d1 < 0, else (d0, d1); the kernels fill it all."""
    cdef cnp.npy_intp dims[2]
    dims[0] = d0
    dims[1] = d1
    return cnp.PyArray_EMPTY(1 if d1 < 0 else 2, dims, typenum, 0)


cdef inline Py_ssize_t _net_weights(_NetC* net) noexcept:
    cdef Py_ssize_t layer, count = 0
    for layer in range(net.num_layers):
        count += net.sizes[layer] * net.sizes[layer + 1]
    return count


cdef int _num_threads(object threads) except -1:
    """threads: None (OpenMP's default, which honours OMP_NUM_THREADS) or an int >= 1."""
    if threads is None:
        return openmp.omp_get_max_threads()
    if (isinstance(threads, bool) or not hasattr(threads, "__index__")
            or not 1 <= threads.__index__() <= 1024):
        raise ValueError(f"threads must be None or an integer >= 1, got {threads!r}")
    return threads.__index__()


# The kernels on net's pointers, in its dtype: one place each where float and double part.

cdef void _net_response_c(_NetC* net, const void* inp, int hidden,
                          int output) noexcept nogil:
    if net.typenum == cnp.NPY_FLOAT:
        _net_response(<const float*>inp, <float**>net.weights, <float**>net.biases, hidden,
                      output, <float**>net.acts, net.sizes, net.num_layers)
    else:
        _net_response(<const double*>inp, <double**>net.weights, <double**>net.biases,
                      hidden, output, <double**>net.acts, net.sizes, net.num_layers)


cdef void _net_update_c(_NetC* net, const void* inp, const void* tgt, int hidden, int output,
                        int loss, double lrate) noexcept nogil:
    if net.typenum == cnp.NPY_FLOAT:
        _net_update(<const float*>inp, <float**>net.acts, <const float*>tgt,
                    <float**>net.weights, <float**>net.biases, hidden, output, loss,
                    <float>lrate, <float**>net.deltas, net.sizes, net.num_layers)
    else:
        _net_update(<const double*>inp, <double**>net.acts, <const double*>tgt,
                    <double**>net.weights, <double**>net.biases, hidden, output, loss,
                    lrate, <double**>net.deltas, net.sizes, net.num_layers)


cdef void _net_train_c(_NetC* net, const void* X, const void* Y, int hidden, int output,
                       int loss, double lrate, const cnp.int64_t* orders,
                       Py_ssize_t batch_size, void* losses, Py_ssize_t num_epochs,
                       Py_ssize_t num_samples, void* work, Py_ssize_t* offsets,
                       int threads) noexcept nogil:
    if net.typenum == cnp.NPY_FLOAT:
        _net_train(<const float*>X, <const float*>Y, <float**>net.weights,
                   <float**>net.biases, hidden, output, loss, <float>lrate, orders,
                   batch_size, <float**>net.acts, <float**>net.deltas, <float**>net.grad_w,
                   <float**>net.grad_b, <float*>losses, net.sizes, net.num_layers,
                   num_epochs, num_samples, <float*>work, offsets, threads)
    else:
        _net_train(<const double*>X, <const double*>Y, <double**>net.weights,
                   <double**>net.biases, hidden, output, loss, lrate, orders, batch_size,
                   <double**>net.acts, <double**>net.deltas, <double**>net.grad_w,
                   <double**>net.grad_b, <double*>losses, net.sizes, net.num_layers,
                   num_epochs, num_samples, <double*>work, offsets, threads)


# panels: one pointer per layer into the caller's zeroed block; filled here, then used
cdef void _net_predict_c(_NetC* net, const void* X, int hidden, int output, void** panels,
                         void* Y_hat, Py_ssize_t num_samples, Py_ssize_t widest, void* work,
                         int num_threads, unsigned char* finite) noexcept nogil:
    if net.typenum == cnp.NPY_FLOAT:
        _net_panels(<float**>net.weights, <float**>panels, net.sizes, net.num_layers)
        _net_predict(<const float*>X, <float**>net.weights, <float**>net.biases, hidden,
                     output, <float**>panels, <float*>Y_hat, net.sizes, net.num_layers,
                     num_samples, widest, <float*>work, num_threads, finite)
    else:
        _net_panels(<double**>net.weights, <double**>panels, net.sizes, net.num_layers)
        _net_predict(<const double*>X, <double**>net.weights, <double**>net.biases, hidden,
                     output, <double**>panels, <double*>Y_hat, net.sizes, net.num_layers,
                     num_samples, widest, <double*>work, num_threads, finite)


def net_response(inp, weights, biases, int hidden, int output, acts):
    """acts[l] filled with layer l's activations for inp (acts[-1]: the output)."""
    cdef _NetC net
    net.block = NULL
    cdef void* inp_
    try:
        _net_open(&net, weights, biases, False)
        _net_layers(&net, acts, net.acts, False, True)
        inp_ = _net_arg(inp, net.typenum, 1, net.sizes[0], 0, False)
        if _net_weights(&net) <= NOGIL_WORK:
            _net_response_c(&net, inp_, hidden, output)
        else:
            with nogil:
                _net_response_c(&net, inp_, hidden, output)
    finally:
        free(net.block)


def net_update(inp, acts, tgt, weights, biases, int hidden, int output, int loss, lrate,
               deltas):
    """One sample's step on every layer: weights and biases updated in place. lrate: a
    scalar of the net's dtype (a float is rounded to it)."""
    cdef _NetC net
    net.block = NULL
    cdef void* inp_
    cdef void* tgt_
    cdef double lrate_ = lrate
    try:
        _net_open(&net, weights, biases, True)
        _net_layers(&net, acts, net.acts, False, False)
        _net_layers(&net, deltas, net.deltas, False, True)
        inp_ = _net_arg(inp, net.typenum, 1, net.sizes[0], 0, False)
        tgt_ = _net_arg(tgt, net.typenum, 1, net.sizes[net.num_layers], 0, False)
        if _net_weights(&net) <= NOGIL_WORK:
            _net_update_c(&net, inp_, tgt_, hidden, output, loss, lrate_)
        else:
            with nogil:
                _net_update_c(&net, inp_, tgt_, hidden, output, loss, lrate_)
    finally:
        free(net.block)


def net_train(X, Y, weights, biases, int hidden, int output, int loss, lrate, orders,
              Py_ssize_t batch_size, acts, deltas, grad_w, grad_b):
    """Epochs of SGD, all in C: returns losses (num_epochs,), each epoch's mean sample loss.
    orders (num_epochs, num_samples) int64: the rows of X, Y of each epoch, in order.
    A mini-batch's weight updates are shared out to OpenMP's threads (OMP_NUM_THREADS, else
    every core); the result does not depend on how many."""
    cdef _NetC net
    net.block = NULL
    cdef void* X_
    cdef void* Y_
    cdef void* work = NULL
    cdef Py_ssize_t* offsets = NULL
    cdef const cnp.int64_t* orders_
    cdef Py_ssize_t num_rows, num_epochs, num_samples, j
    cdef double lrate_ = lrate
    cdef int threads = openmp.omp_get_max_threads()
    cdef cnp.ndarray losses
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    try:
        _net_open(&net, weights, biases, True)
        _net_layers(&net, acts, net.acts, False, True)
        _net_layers(&net, deltas, net.deltas, False, True)
        _net_layers(&net, grad_w, net.grad_w, True, True)
        _net_layers(&net, grad_b, net.grad_b, False, True)
        X_ = _net_arg(X, net.typenum, 2, -1, net.sizes[0], False)
        num_rows = cnp.PyArray_DIM(<cnp.ndarray>X, 0)
        Y_ = _net_arg(Y, net.typenum, 2, num_rows, net.sizes[net.num_layers], False)
        if (not isinstance(orders, cnp.ndarray)
                or cnp.PyArray_TYPE(<cnp.ndarray>orders) != cnp.NPY_INT64
                or cnp.PyArray_NDIM(<cnp.ndarray>orders) != 2
                or not cnp.PyArray_ISCARRAY_RO(<cnp.ndarray>orders)):
            raise ValueError("loopmlp.kernels._cython: orders must be a C-contiguous int64 array "
                             "(num_epochs, num_samples)")
        num_epochs = cnp.PyArray_DIM(<cnp.ndarray>orders, 0)
        num_samples = cnp.PyArray_DIM(<cnp.ndarray>orders, 1)
        orders_ = <const cnp.int64_t*>cnp.PyArray_DATA(<cnp.ndarray>orders)
        for j in range(num_epochs * num_samples):
            if not 0 <= orders_[j] < num_rows:
                raise ValueError(f"loopmlp.kernels._cython: orders holds row {orders_[j]}, but X "
                                 f"has {num_rows} rows")
        losses = _net_empty(net.typenum, num_epochs, -1)
        if batch_size > 1:  # the mini-batches' buffers and panels (_net_train_work)
            work = calloc(max(1, _net_train_work(net.sizes, net.num_layers,
                                                 min(batch_size, num_samples), threads)),
                          cnp.PyArray_ITEMSIZE(losses))
            offsets = <Py_ssize_t*>malloc((net.num_layers + 1) * sizeof(Py_ssize_t))
            if work == NULL or offsets == NULL:
                raise MemoryError()
        with nogil:
            _net_train_c(&net, X_, Y_, hidden, output, loss, lrate_, orders_, batch_size,
                         cnp.PyArray_DATA(losses), num_epochs, num_samples, work, offsets,
                         threads)
    finally:
        free(offsets)
        free(work)
        free(net.block)
    return losses


def net_predict(X, weights, biases, int hidden, int output, threads=None):
    """Y_hat (num_samples, n_L); rows on ``threads`` OpenMP threads (None: OpenMP's
    default, which honours OMP_NUM_THREADS). The result does not depend on ``threads``.
    ValueError if X holds a NaN or inf (found as the rows are read)."""
    cdef int num_threads = _num_threads(threads)
    cdef _NetC net
    net.block = NULL
    cdef void* X_
    cdef void* work = NULL
    cdef void* block = NULL
    cdef void** panels = NULL
    cdef unsigned char* finite = NULL
    cdef Py_ssize_t num_samples, widest = 1, layer, itemsize, count = 0, b_idx
    cdef cnp.ndarray Y_hat
    try:
        _net_open(&net, weights, biases, False)
        X_ = _net_arg(X, net.typenum, 2, -1, net.sizes[0], False)
        num_samples = cnp.PyArray_DIM(<cnp.ndarray>X, 0)
        for layer in range(net.num_layers):
            widest = max(widest, net.sizes[layer + 1])
        num_threads = <int>min(<Py_ssize_t>num_threads, (num_samples + BLOCK - 1) // BLOCK)
        Y_hat = _net_empty(net.typenum, num_samples, net.sizes[net.num_layers])
        itemsize = cnp.PyArray_ITEMSIZE(Y_hat)
        # each layer's panels, zero-padded, one after the other in block (packed once a call,
        # _net_panels); padded to WIDE_PANEL units, room for either dtype's _panel_width
        panels = <void**>malloc(net.num_layers * sizeof(void*))
        for layer in range(net.num_layers):
            count += (net.sizes[layer + 1] + WIDE_PANEL - 1) // WIDE_PANEL * WIDE_PANEL \
                * net.sizes[layer]
        block = calloc(count, itemsize)
        # each thread's hid (2, BLOCK, widest)
        work = calloc(num_threads * 2 * BLOCK * widest, itemsize)
        finite = <unsigned char*>malloc(max(1, (num_samples + BLOCK - 1) // BLOCK))
        if panels == NULL or block == NULL or work == NULL or finite == NULL:
            raise MemoryError()
        count = 0
        for layer in range(net.num_layers):
            panels[layer] = <char*>block + count * itemsize
            count += (net.sizes[layer + 1] + WIDE_PANEL - 1) // WIDE_PANEL * WIDE_PANEL \
                * net.sizes[layer]
        with nogil:
            _net_predict_c(&net, X_, hidden, output, panels, cnp.PyArray_DATA(Y_hat),
                           num_samples, widest, work, num_threads, finite)
        for b_idx in range((num_samples + BLOCK - 1) // BLOCK):
            if not finite[b_idx]:
                raise ValueError("X contains NaN or inf")
    finally:
        free(finite)
        free(work)
        free(block)
        free(panels)
        free(net.block)
    return Y_hat

#ifndef LOOPMLP_CYTHON_EXP_H
#define LOOPMLP_CYTHON_EXP_H

/* _exp.exp in C, and the loops that run it over a whole layer, for _cython.pyx (which
   declares what it uses in a `cdef extern from` block). Included by the Cython module
   after Python.h (Py_ssize_t). fma() is one rounding: an instruction in the AVX2 and
   AVX-512 builds (-mfma, or AVX-512's own), the C library's fma in the SSE2 build, which is
   correctly rounded in glibc, musl, macOS's libm and the Universal CRT (this is the one
   C library function loopmlp's elementary functions assume). */

#include <math.h>
#include <stdint.h>
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

/* _exp.exp_scaled: 512 <= |x| < 1024, glibc's specialcase */
static double loopmlp_exp_scaled(double x) {
    double kd = fma(x, loopmlp_INV_LN2_N, loopmlp_SHIFT);
    int64_t ki = loopmlp_as_bits(kd);
    kd -= loopmlp_SHIFT;
    double r = fma(kd, loopmlp_NEG_LN2_LO_N, fma(kd, loopmlp_NEG_LN2_HI_N, x));
    int64_t idx = 2 * (ki & 127);
    double tail = loopmlp_as_double(loopmlp_TABLE[idx]);
    uint64_t sbits = (uint64_t)loopmlp_TABLE[idx + 1] + ((uint64_t)ki << 45);
    double r2 = r * r;
    double tmp = fma(r2 * r2, fma(r, loopmlp_C5, loopmlp_C4),
                     fma(fma(r, loopmlp_C3, loopmlp_C2), r2, r + tail));
    double scale, p, y, lo, hi;
    if ((ki & 0x80000000) == 0) {
        scale = loopmlp_as_double((int64_t)(sbits - (1009ULL << 52)));
        return 0x1p1009 * fma(scale, tmp, scale);
    }
    scale = loopmlp_as_double((int64_t)(sbits + (1022ULL << 52)));
    p = scale * tmp;
    y = scale + p;
    if (y < 1.0) {
        lo = scale - y + p;
        hi = 1.0 + y;
        lo = 1.0 - hi + y + lo;
        y = (hi + lo) - 1.0;
        if (y == 0.0) y = 0.0;
    }
    return 0x1p-1022 * y;
}

/* _exp.exp_special: outside exp_core's range */
static double loopmlp_exp_special(double x) {
    int64_t abstop = (loopmlp_as_bits(x) >> 52) & 0x7FF;
    if (abstop < 969) return 1.0 + x;
    if (abstop >= 1033) {
        if (x == -INFINITY) return 0.0;
        if (abstop >= 2047) return 1.0 + x;
        return x < 0.0 ? 0.0 : INFINITY;
    }
    return loopmlp_exp_scaled(x);
}

/* exp as the kernels call it: _exp.exp */
__attribute__((noinline)) static double loopmlp_exp(double x) {
    if (!loopmlp_exp_in_range(x))
        return loopmlp_exp_special(x);
    return loopmlp_exp_core(x);
}

/* _activate's sigmoid, act[o] = 1 / (1 + e^-act[o]) for o < n, all at once: if every
   -act[o] is in exp_core's range (else 0, and act is untouched). gcc's loop vectoriser,
   off for the rest of the module (setup.py), runs it on SIMD lanes, each lane exactly
   the scalar operations, faster than one sigmoid at a time. */
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

#endif

#ifndef LOOPMLP_CYTHON_ELEMENTARY_H
#define LOOPMLP_CYTHON_ELEMENTARY_H

/* _elementary.py's log, expm1 and tanh in C, line for line (fdlibm 5.3: e_log.c,
   s_expm1.c, s_tanh.c; Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
   Developed at SunPro, a Sun Microsystems, Inc. business. Permission to use, copy, modify,
   and distribute this software is freely granted, provided that this notice is
   preserved.) Plain double + - * / only: setup.py's -ffp-contract=off keeps gcc from fusing
   any of them, so these are the Python functions' bits. Included after _cython_exp.h
   (loopmlp_as_bits, loopmlp_as_double). */

#include <stdint.h>

#define LOOPMLP_D(bits) loopmlp_as_double((int64_t)(bits##ULL))

static inline double loopmlp_log(double x) {
    const double ln2_hi = LOOPMLP_D(0x3fe62e42fee00000), ln2_lo = LOOPMLP_D(0x3dea39ef35793c76);
    const double Lg1 = LOOPMLP_D(0x3FE5555555555593), Lg2 = LOOPMLP_D(0x3FD999999997FA04);
    const double Lg3 = LOOPMLP_D(0x3FD2492494229359), Lg4 = LOOPMLP_D(0x3FCC71C51D8E78AF);
    const double Lg5 = LOOPMLP_D(0x3FC7466496CB03DE), Lg6 = LOOPMLP_D(0x3FC39A09D078C69F);
    const double Lg7 = LOOPMLP_D(0x3FC2F112DF3E5244);
    double hfsq, f, s, z, R, w, t1, t2, dk;
    uint64_t bits = (uint64_t)loopmlp_as_bits(x);
    int64_t hx = (int64_t)(bits >> 32), i, j, k = 0;
    if ((bits >> 63) != 0 || hx < 0x00100000) {
        if ((bits & 0x7FFFFFFFFFFFFFFFULL) == 0) return -INFINITY;
        if ((bits >> 63) != 0) return NAN;
        k -= 54;
        x *= 0x1p54;
        hx = (int64_t)((uint64_t)loopmlp_as_bits(x) >> 32);
    }
    if (hx >= 0x7FF00000) return x + x;
    k += (hx >> 20) - 1023;
    hx &= 0x000FFFFF;
    i = (hx + 0x95F64) & 0x100000;
    x = loopmlp_as_double((int64_t)(((uint64_t)(hx | (i ^ 0x3FF00000)) << 32)
                                    | ((uint64_t)loopmlp_as_bits(x) & 0xFFFFFFFFULL)));
    k += i >> 20;
    f = x - 1.0;
    if ((0x000FFFFF & (2 + hx)) < 3) {
        if (f == 0.0) {
            if (k == 0) return 0.0;
            dk = (double)k;
            return dk * ln2_hi + dk * ln2_lo;
        }
        R = f * f * (0.5 - 0.33333333333333333 * f);
        if (k == 0) return f - R;
        dk = (double)k;
        return dk * ln2_hi - ((R - dk * ln2_lo) - f);
    }
    s = f / (2.0 + f);
    dk = (double)k;
    z = s * s;
    i = hx - 0x6147A;
    w = z * z;
    j = 0x6B851 - hx;
    t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
    t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
    i |= j;
    R = t2 + t1;
    if (i > 0) {
        hfsq = 0.5 * f * f;
        if (k == 0) return f - (hfsq - s * (hfsq + R));
        return dk * ln2_hi - ((hfsq - (s * (hfsq + R) + dk * ln2_lo)) - f);
    }
    if (k == 0) return f - s * (f - R);
    return dk * ln2_hi - ((s * (f - R) - dk * ln2_lo) - f);
}

static inline double loopmlp_expm1(double x) {
    const double ln2_hi = LOOPMLP_D(0x3fe62e42fee00000), ln2_lo = LOOPMLP_D(0x3dea39ef35793c76);
    const double invln2 = LOOPMLP_D(0x3ff71547652b82fe);
    const double Q1 = LOOPMLP_D(0xBFA11111111110F4), Q2 = LOOPMLP_D(0x3F5A01A019FE5585);
    const double Q3 = LOOPMLP_D(0xBF14CE199EAADBB7), Q4 = LOOPMLP_D(0x3ED0CFCA86E65239);
    const double Q5 = LOOPMLP_D(0xBE8AFDB76E09C32D);
    double y, hi, lo, c = 0.0, t, e, hxs, hfx, r1;
    int64_t k;
    uint64_t bits = (uint64_t)loopmlp_as_bits(x);
    int negative = (bits >> 63) != 0;
    int64_t hx = (int64_t)((bits >> 32) & 0x7FFFFFFF);
    if (hx >= 0x4043687A) {
        if (hx >= 0x40862E42) {
            if (hx >= 0x7FF00000) {
                if (((hx & 0xFFFFF) | (int64_t)(bits & 0xFFFFFFFFULL)) != 0) return x + x;
                return negative ? -1.0 : x;
            }
            if (x > 7.09782712893383973096e+02) return INFINITY;
        }
        if (negative) return -1.0;
    }
    if (hx > 0x3FD62E42) {
        if (hx < 0x3FF0A2B2) {
            if (!negative) { hi = x - ln2_hi; lo = ln2_lo; k = 1; }
            else { hi = x + ln2_hi; lo = -ln2_lo; k = -1; }
        } else {
            k = (int64_t)(invln2 * x + (negative ? -0.5 : 0.5));
            t = (double)k;
            hi = x - t * ln2_hi;
            lo = t * ln2_lo;
        }
        x = hi - lo;
        c = (hi - x) - lo;
    } else if (hx < 0x3C900000) {
        return x;
    } else {
        k = 0;
    }
    hfx = 0.5 * x;
    hxs = x * hfx;
    r1 = 1.0 + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))));
    t = 3.0 - r1 * hfx;
    e = hxs * ((r1 - t) / (6.0 - x * t));
    if (k == 0) return x - (x * e - hxs);
    e = x * (e - c) - c;
    e -= hxs;
    if (k == -1) return 0.5 * (x - e) - 0.5;
    if (k == 1) {
        if (x < -0.25) return -2.0 * (e - (x + 0.5));
        return 1.0 + 2.0 * (x - e);
    }
    if (k <= -2 || k > 56) {
        y = 1.0 - (e - x);
        y = loopmlp_as_double((int64_t)((uint64_t)loopmlp_as_bits(y) + ((uint64_t)k << 52)));
        return y - 1.0;
    }
    if (k < 20) {
        t = loopmlp_as_double((int64_t)((uint64_t)(0x3FF00000 - (0x200000 >> k)) << 32));
        y = t - (e - x);
    } else {
        t = loopmlp_as_double((int64_t)((uint64_t)(0x3FF - k) << 52));
        y = x - (e + t);
        y += 1.0;
    }
    return loopmlp_as_double((int64_t)((uint64_t)loopmlp_as_bits(y) + ((uint64_t)k << 52)));
}

static inline double loopmlp_tanh(double x) {
    double t, z;
    uint64_t bits = (uint64_t)loopmlp_as_bits(x);
    int negative = (bits >> 63) != 0;
    int64_t ix = (int64_t)((bits >> 32) & 0x7FFFFFFF);
    if (ix >= 0x7FF00000) return negative ? 1.0 / x - 1.0 : 1.0 / x + 1.0;
    if (ix < 0x40360000) {
        if (ix < 0x3C800000) return x * (1.0 + x);
        if (ix >= 0x3FF00000) {
            t = loopmlp_expm1(2.0 * fabs(x));
            z = 1.0 - 2.0 / (t + 2.0);
        } else {
            t = loopmlp_expm1(-2.0 * fabs(x));
            z = -t / (t + 2.0);
        }
    } else {
        z = 1.0;
    }
    return negative ? -z : z;
}

#undef LOOPMLP_D
#endif

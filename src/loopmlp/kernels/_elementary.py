"""loopmlp's ``log`` and ``tanh``: fdlibm's algorithms, the same bits on every machine.

The cross-entropy loss calls ``log`` and tanh units call ``tanh``. loopmlp does not call the
C library for them (its bits differ between C libraries): every loop backend runs the
functions below, ports of fdlibm 5.3 (Sun Microsystems, 1993: "Permission to use, copy,
modify, and distribute this software is freely granted, provided that this notice is
preserved"): ``log`` is ``e_log.c``, ``tanh`` is ``s_tanh.c`` over ``expm1``, ``s_expm1.c``.
They use plain double ``+ - * /`` (no fused multiply-add), comparisons and bit operations on
the two 32-bit halves of a double, so the interpreted functions below compute exactly the
bits of the compiled ones (numba compiles this module with bit casts for ``as_bits`` and
``as_double``; the Cython backend has a C twin, ``_cython_elementary.h``). fdlibm's error
bound is below 1 ulp; ``tests/test_exp.py`` measures it against mpmath.

Where fdlibm raises a floating-point flag by computing an overflow (``huge * huge``) or an
inexact result (``one - tiny``), the port returns the rounded result itself (``inf``,
``1.0``): loopmlp reads no flags, and in round-to-nearest they are the same bits.
"""

import math

from ._exp import as_bits, as_double

LN2_HI = float.fromhex("0x1.62e42fee00000p-1")  # 3fe62e42 fee00000
LN2_LO = float.fromhex("0x1.a39ef35793c76p-33")  # 3dea39ef 35793c76
TWO54 = float.fromhex("0x1p54")
LG1 = float.fromhex("0x1.5555555555593p-1")  # 3FE55555 55555593
LG2 = float.fromhex("0x1.999999997fa04p-2")  # 3FD99999 9997FA04
LG3 = float.fromhex("0x1.2492494229359p-2")  # 3FD24924 94229359
LG4 = float.fromhex("0x1.c71c51d8e78afp-3")  # 3FCC71C5 1D8E78AF
LG5 = float.fromhex("0x1.7466496cb03dep-3")  # 3FC74664 96CB03DE
LG6 = float.fromhex("0x1.39a09d078c69fp-3")  # 3FC39A09 D078C69F
LG7 = float.fromhex("0x1.2f112df3e5244p-3")  # 3FC2F112 DF3E5244
INV_LN2 = float.fromhex("0x1.71547652b82fep+0")  # 3ff71547 652b82fe
Q1 = float.fromhex("-0x1.11111111110f4p-5")  # BFA11111 111110F4
Q2 = float.fromhex("0x1.a01a019fe5585p-10")  # 3F5A01A0 19FE5585
Q3 = float.fromhex("-0x1.4ce199eaadbb7p-14")  # BF14CE19 9EAADBB7
Q4 = float.fromhex("0x1.0cfca86e65239p-18")  # 3ED0CFCA 86E65239
Q5 = float.fromhex("-0x1.afdb76e09c32dp-23")  # BE8AFDB7 6E09C32D
THIRD = 0.33333333333333333  # fdlibm's literal, 0x3FD5555555555555


def log(x):
    """loopmlp's natural logarithm: fdlibm's ``__ieee754_log``, for every double ``x``."""
    x = float(x)
    bits = as_bits(x)
    hx = (bits >> 32) & 0xFFFFFFFF  # the high word, unsigned
    k = 0
    if (bits >> 63) != 0 or hx < 0x00100000:  # x < 2**-1022 (negative, 0, subnormal)
        if bits & 0x7FFFFFFFFFFFFFFF == 0:
            return -math.inf  # log(+-0)
        if (bits >> 63) != 0:
            return math.nan  # log(negative), log(-NaN)
        k -= 54
        x *= TWO54  # subnormal: scale up
        hx = (as_bits(x) >> 32) & 0xFFFFFFFF
    if hx >= 0x7FF00000:
        return x + x  # inf, NaN
    k += (hx >> 20) - 1023
    hx &= 0x000FFFFF
    i = (hx + 0x95F64) & 0x100000
    x = as_double(((hx | (i ^ 0x3FF00000)) << 32) | (as_bits(x) & 0xFFFFFFFF))  # x or x/2
    k += i >> 20
    f = x - 1.0
    if (0x000FFFFF & (2 + hx)) < 3:  # |f| < 2**-20
        if f == 0.0:
            if k == 0:
                return 0.0
            dk = float(k)
            return dk * LN2_HI + dk * LN2_LO
        R = f * f * (0.5 - THIRD * f)
        if k == 0:
            return f - R
        dk = float(k)
        return dk * LN2_HI - ((R - dk * LN2_LO) - f)
    s = f / (2.0 + f)
    dk = float(k)
    z = s * s
    i = hx - 0x6147A
    w = z * z
    j = 0x6B851 - hx
    t1 = w * (LG2 + w * (LG4 + w * LG6))
    t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)))
    i |= j
    R = t2 + t1
    if i > 0:
        hfsq = 0.5 * f * f
        if k == 0:
            return f - (hfsq - s * (hfsq + R))
        return dk * LN2_HI - ((hfsq - (s * (hfsq + R) + dk * LN2_LO)) - f)
    if k == 0:
        return f - s * (f - R)
    return dk * LN2_HI - ((s * (f - R) - dk * LN2_LO) - f)


def expm1(x):
    """``e**x - 1``: fdlibm's ``expm1``, for every double ``x``."""
    x = float(x)
    bits = as_bits(x)
    negative = (bits >> 63) != 0
    hx = (bits >> 32) & 0x7FFFFFFF  # the high word of |x|
    if hx >= 0x4043687A:  # |x| >= 56 ln2
        if hx >= 0x40862E42:  # |x| >= 709.78...
            if hx >= 0x7FF00000:
                if ((hx & 0xFFFFF) | (bits & 0xFFFFFFFF)) != 0:
                    return x + x  # NaN
                return -1.0 if negative else x  # -inf, inf
            if x > 7.09782712893383973096e02:
                return math.inf  # overflow
        if negative:
            return -1.0  # x < -56 ln2: -1 + tiny rounds to -1
    c = 0.0
    if hx > 0x3FD62E42:  # |x| > ln2 / 2: x = k ln2 + (hi - lo)
        if hx < 0x3FF0A2B2:  # and |x| < 1.5 ln2
            if not negative:
                hi = x - LN2_HI
                lo = LN2_LO
                k = 1
            else:
                hi = x + LN2_HI
                lo = -LN2_LO
                k = -1
        else:
            k = int(INV_LN2 * x + (-0.5 if negative else 0.5))  # truncated, as C's (int)
            t = float(k)
            hi = x - t * LN2_HI  # exact
            lo = t * LN2_LO
        x = hi - lo
        c = (hi - x) - lo
    elif hx < 0x3C900000:
        return x  # |x| < 2**-54: x + tiny - tiny rounds to x
    else:
        k = 0
    hfx = 0.5 * x
    hxs = x * hfx
    r1 = 1.0 + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))))
    t = 3.0 - r1 * hfx
    e = hxs * ((r1 - t) / (6.0 - x * t))
    if k == 0:
        return x - (x * e - hxs)
    e = x * (e - c) - c
    e -= hxs
    if k == -1:
        return 0.5 * (x - e) - 0.5
    if k == 1:
        if x < -0.25:
            return -2.0 * (e - (x + 0.5))
        return 1.0 + 2.0 * (x - e)
    if k <= -2 or k > 56:  # exp(x) - 1 is 2**k (1 - (e - x)) - 1
        y = 1.0 - (e - x)
        y = as_double(as_bits(y) + (k << 52))  # add k to y's exponent
        return y - 1.0
    if k < 20:
        t = as_double((0x3FF00000 - (0x200000 >> k)) << 32)  # 1 - 2**-k
        y = t - (e - x)
    else:
        t = as_double((0x3FF - k) << 52)  # 2**-k
        y = x - (e + t)
        y += 1.0
    return as_double(as_bits(y) + (k << 52))  # add k to y's exponent


def tanh(x):
    """loopmlp's hyperbolic tangent: fdlibm's ``tanh``, for every double ``x``."""
    x = float(x)
    bits = as_bits(x)
    negative = (bits >> 63) != 0
    ix = (bits >> 32) & 0x7FFFFFFF
    if ix >= 0x7FF00000:  # inf, NaN
        if negative:
            return 1.0 / x - 1.0
        return 1.0 / x + 1.0
    if ix < 0x40360000:  # |x| < 22
        if ix < 0x3C800000:  # |x| < 2**-55
            return x * (1.0 + x)
        if ix >= 0x3FF00000:  # |x| >= 1
            t = expm1(2.0 * abs(x))
            z = 1.0 - 2.0 / (t + 2.0)
        else:
            t = expm1(-2.0 * abs(x))
            z = -t / (t + 2.0)
    else:
        z = 1.0  # |x| >= 22: 1 - tiny rounds to 1
    return -z if negative else z

"""The FMA mode's ``fma``: ``a * b + c`` rounded once, exactly, against a rational oracle.

The oracle is independent of the code under test: ``Fraction`` arithmetic, then the nearest
float64 or float32 chosen by comparing exact distances to the candidates (ties to even).
Bit-identity is the only acceptable result.
"""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopmlp.kernels import _fma, _reference

F32_MAX = Fraction(float(np.finfo(np.float32).max))
F64_MAX = Fraction(float(np.finfo(np.float64).max))


def nearest(exact: Fraction, dtype) -> float:
    """``exact`` rounded to nearest ``dtype`` (ties to even), from first principles."""
    top = F64_MAX if dtype == np.float64 else F32_MAX
    ulp_top = Fraction(2) ** (1024 - 53 if dtype == np.float64 else 128 - 24)
    if abs(exact) >= top + ulp_top / 2:  # the midpoint past the largest finite rounds to inf
        return math.inf if exact > 0 else -math.inf
    # a starting point only: the exact distances below decide
    try:
        start = float(exact)
    except OverflowError:
        start = float(top) if exact > 0 else -float(top)
    with np.errstate(over="ignore"):
        cands = {dtype(start)}
    with np.errstate(over="ignore"):
        for _ in range(3):
            cands |= {np.nextafter(c, dtype(np.inf)) for c in cands}
            cands |= {np.nextafter(c, dtype(-np.inf)) for c in cands}
    cands = [c for c in cands if np.isfinite(c)]
    best = min(
        cands,
        key=lambda c: (
            abs(Fraction(float(c)) - exact),
            int(np.array(c).view(f"u{c.itemsize}")) & 1,
        ),
    )
    return float(best)


def oracle(a, b, c, dtype):
    if not (math.isfinite(float(a)) and math.isfinite(float(b))):
        with np.errstate(all="ignore"):
            return float(np.float64(a) * np.float64(b) + np.float64(c))
    if not math.isfinite(float(c)):
        return float(c)
    exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    if exact == 0:
        if (a == 0 or b == 0) and c == 0:
            return float(dtype(a) * dtype(b) + dtype(c))  # the sign of two exact zeros
        return 0.0
    return nearest(exact, dtype)


def same_bits(x, y) -> bool:
    return np.array(float(x)).view(np.uint64) == np.array(float(y)).view(np.uint64) or (
        math.isnan(x) and math.isnan(y)
    )


SPECIAL64 = [
    0.0, -0.0, 1.0, -1.0, math.inf, -math.inf, math.nan, 5e-324, -5e-324, 2.2250738585072014e-308,
    1.7976931348623157e308, -1.7976931348623157e308, 2.0**-537, 2.0**512, 1.0 + 2.0**-52,
    1.0 + 2.0**-30, -(1.0 + 2.0**-29), 3.0, 1e-300, 1e300, 2.0**995, 2.0**-960,
]  # fmt: skip


@pytest.mark.parametrize("a", SPECIAL64)
@pytest.mark.parametrize("b", SPECIAL64)
def test_fma64_special(a, b):
    for c in SPECIAL64:
        got = _fma.fma(a, b, c)
        want = oracle(a, b, c, np.float64)
        assert same_bits(got, want), (a, b, c, got, want)


def test_fma_is_one_rounding_not_two():
    a = 1.0 + 2.0**-30
    assert _fma.fma(a, a, -(1.0 + 2.0**-29)) == 2.0**-60
    assert a * a - (1.0 + 2.0**-29) == 0.0
    # cancellation to an exact zero is +0.0; two negative zeros stay -0.0
    assert math.copysign(1.0, _fma.fma(1.0, 1.0, -1.0)) == 1.0
    assert math.copysign(1.0, _fma.fma(-0.0, 1.0, -0.0)) == -1.0
    # overflow of the product, brought back by c, and overflow of the result
    assert _fma.fma(2.0**600, 2.0**500, -math.inf) == -math.inf
    assert _fma.fma(2.0**1000, 2.0**100, 0.0) == math.inf
    # a subnormal result
    assert same_bits(
        _fma.fma(2.0**-540, 2.0**-540, 0.0), oracle(2.0**-540, 2.0**-540, 0.0, np.float64)
    )


finite64 = st.floats(allow_nan=False, allow_infinity=False)
scaled64 = st.builds(
    lambda m, e: math.ldexp(m, e), st.floats(-2.0, 2.0, allow_nan=False), st.integers(-60, 60)
)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(finite64, scaled64), st.one_of(finite64, scaled64), st.one_of(finite64, scaled64))
def test_fma64_random(a, b, c):
    assert same_bits(_fma.fma(a, b, c), oracle(a, b, c, np.float64))


@settings(max_examples=3000, deadline=None)
@given(scaled64, scaled64)
def test_fma64_near_cancellation(a, b):
    # c close to -a*b: the low bits of the product decide the result
    c = -(a * b)
    assert same_bits(_fma.fma(a, b, c), oracle(a, b, c, np.float64))


SPECIAL32 = [
    0.0, -0.0, 1.0, -1.0, math.inf, -math.inf, math.nan, 1e-45, -1e-45, 1.1754944e-38,
    3.4028235e38, -3.4028235e38, 1.0 + 2.0**-23, 1.0 + 2.0**-12, -(1.0 + 2.0**-11), 3.0,
    2.0**-75, 2.0**64, 1e-30, 1e30,
]  # fmt: skip


@pytest.mark.parametrize("a", SPECIAL32)
@pytest.mark.parametrize("b", SPECIAL32)
def test_fma32_special(a, b):
    a32, b32 = np.float32(a), np.float32(b)
    for c in SPECIAL32:
        c32 = np.float32(c)
        got = _fma.fma(a32, b32, c32)
        assert type(got) is np.float32
        want = oracle(a32, b32, c32, np.float32)
        assert same_bits(got, want), (a, b, c, got, want)


finite32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@settings(max_examples=3000, deadline=None)
@given(finite32, finite32, finite32)
def test_fma32_random(a, b, c):
    a, b, c = np.float32(a), np.float32(b), np.float32(c)
    assert same_bits(_fma.fma(a, b, c), oracle(a, b, c, np.float32))


def test_fma32_is_not_fma64_rounded_to_float32():
    # a case where rounding the float64 fma to float32 rounds twice and misses by one unit:
    # a * b + c = 1 + 2**-24 + 2**-60 (just above a float32 tie, below float64's precision)
    a, b, c = np.float32(1.0 + 2.0**-12), np.float32(1.0 - 2.0**-12), np.float32(2.0**-24)
    exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    assert _fma.fma(a, b, c) == np.float32(nearest(exact, np.float32))
    c = np.float32(1.0)
    a = b = np.float32(1.0 + 2.0**-12)  # 1 + 2**-11 + 2**-24 + c: the low bit matters
    exact = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    assert _fma.fma(a, b, c) == np.float32(nearest(exact, np.float32))


def test_the_rewrite_fuses_every_multiply_add_of_the_deep_net():
    m = _fma.fused(_reference, _reference.NET_FUNCTIONS)
    # layer_response 1, sample_loss 4, hidden_delta 1, layer_update 2, layer_gradient 1,
    # net_train's mini-batch step 2: counted by reading the source
    assert m.FUSED == 11
    src = m.layer_response.__code__.co_names
    assert "fma" in src
    assert "fma" not in _reference.layer_response.__code__.co_names
    with pytest.raises(ValueError, match="no function"):
        _fma.fused(_reference, ["no_such_kernel"])

"""The inlined ``exp`` (``loopmlp.kernels._exp``) gives the C library's bits, and the
compiled backends use it only where it does.

The reference's sigmoid calls the C library's ``exp`` (``math.exp``); the numba and Cython
kernels call ``_exp.exp``, glibc's own sequence of operations, inlined. Bit-identical is
the only standard here: every kernel test compares with the reference bit for bit.
"""

import math
import struct
from decimal import Decimal, getcontext

import numba
import numpy as np
import pytest

from loopmlp.kernels import _exp, _numba

INLINE = _exp.matches_libm()  # glibc 2.28+ on a CPU with FMA, as on CI


def bits(a):
    return np.asarray(a, dtype=np.float64).view(np.int64)


@numba.njit
def libm_exp_many(x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = math.exp(x[i])
    return out


def inputs():
    """Random inputs over every range ``exp`` treats apart, and the edges between them."""
    rng = np.random.default_rng(7)
    special = [
        0.0,
        -0.0,
        np.inf,
        -np.inf,
        np.nan,
        5e-324,
        -5e-324,
        2.0**-1022,
        2.0**-54,
        -(2.0**-54),
        np.nextafter(2.0**-54, 0),
        512.0,
        -512.0,
        np.nextafter(512.0, 0),
        np.nextafter(-512.0, 0),
        709.78,
        709.79,
        -708.4,
        -745.13,
        -745.14,
        1024.0,
        -1024.0,
        1e308,
        -1e308,
        *_exp.WITNESSES,
    ]
    spans = [(-40, 40), (-746, 710), (-1e-15, 1e-15), (-1100, 1100), (-1e-3, 1e-3)]
    return np.concatenate([special] + [rng.uniform(lo, hi, 400_000) for lo, hi in spans])


def test_the_table_is_two_to_the_k_over_128():
    getcontext().prec = 60
    ln2 = Decimal(2).ln()
    for k in range(128):
        exact = (ln2 * k / 128).exp()
        H = float(exact)  # correctly rounded
        T = float((exact - Decimal(H)) / Decimal(H))
        assert _exp.TABLE[2 * k] == _exp.as_bits(T)
        assert _exp.TABLE[2 * k + 1] == (_exp.as_bits(H) - (k << 45)) % 2**64


def test_the_constants_are_what_they_are_named():
    getcontext().prec = 60
    ln2 = Decimal(2).ln()
    assert _exp.INV_LN2_N == float(128 / ln2)
    split = Decimal(_exp.NEG_LN2_HI_N) + Decimal(_exp.NEG_LN2_LO_N)
    assert abs(split + ln2 / 128) < Decimal(2) ** -100
    for c, n in ((_exp.C2, 2), (_exp.C3, 6), (_exp.C4, 24), (_exp.C5, 120)):
        assert abs(c * n - 1) < 1e-6  # the Taylor coefficients, fitted
    assert _exp.SHIFT == 1.5 * 2**52


def test_interpreted_exp_matches_the_c_library_where_it_says_so():
    rng = np.random.default_rng(3)
    xs = list(_exp.CHECK_INPUTS) + list(rng.uniform(-40, 40, 300)) + [0.0, np.inf, np.nan]
    same = [_exp.as_bits(_exp.exp(x)) == _exp.as_bits(math.exp(x)) for x in xs]
    assert all(same) == INLINE


def test_the_witnesses_tell_a_fused_exp_from_an_unfused_one(monkeypatch):
    if not INLINE:
        assert not _numba.INLINE_EXP  # nothing inlined here; what follows needs glibc's FMA exp
        return
    monkeypatch.setattr(_exp, "fma", lambda a, b, c: a * b + c)
    for x in _exp.WITNESSES:
        assert _exp.as_bits(_exp.exp(x)) != _exp.as_bits(math.exp(x)), x
    assert not _exp.matches_libm()


def test_numba_inlines_exp_exactly_where_it_matches():
    assert _numba.INLINE_EXP == INLINE
    kernels = _numba._exp_kernels(**_numba.NUMBA_OPTIONS)
    exp = kernels["exp"]
    assert (exp is not math.exp) == INLINE == kernels["exp_lanes"]
    fast = _numba._exp_kernels(**dict(_numba.NUMBA_OPTIONS, fastmath=True))
    assert fast["exp"] is math.exp and not fast["exp_lanes"]

    @numba.njit
    def exp_many(x):
        out = np.empty_like(x)
        for i in range(x.shape[0]):
            out[i] = exp(x[i])
        return out

    x = inputs()
    np.testing.assert_array_equal(bits(exp_many(x)), bits(libm_exp_many(x)))


@pytest.mark.parametrize("build", ["_cython", "_cython_avx2", "_cython_avx512"])
def test_every_cython_build_gives_the_c_librarys_bits(build):
    from loopmlp.kernels import _cython

    if build != "_cython" and not getattr(_cython, f"CPU_HAS_{build[8:].upper()}"):
        pytest.skip(f"this CPU cannot run {build}")
    module = __import__(f"loopmlp.kernels.{build}", fromlist=["exp_many"])
    # the SSE2 build has no FMA instruction, so it calls the C library
    assert module.INLINE_EXP == (INLINE and build != "_cython")
    x = inputs()
    np.testing.assert_array_equal(bits(module.exp_many(x)), bits(libm_exp_many(x)))


@numba.njit
def libm_sigmoid_many(x, one):
    """The reference's sigmoid in x's dtype: one / (one + real(exp(-float64(val))))."""
    out = np.empty_like(x)
    e = np.empty_like(x[:1])
    for i in range(x.shape[0]):
        e[0] = math.exp(-np.float64(x[i]))  # rounded to x's dtype
        out[i] = one / (one + e[0])
    return out


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("build", ["_cython", "_cython_avx2", "_cython_avx512"])
def test_every_cython_builds_sigmoid_gives_the_references_bits(build, dtype):
    """A layer's sigmoid runs in SIMD lanes where every input is in the inlined exp's range,
    one by one otherwise: 2 million inputs in lanes, layers of every length up to 40 (the
    lanes' remainders), and each special input inside a layer, which sends the whole layer
    the one-by-one way."""
    from loopmlp.kernels import _cython

    if build != "_cython" and not getattr(_cython, f"CPU_HAS_{build[8:].upper()}"):
        pytest.skip(f"this CPU cannot run {build}")
    module = __import__(f"loopmlp.kernels.{build}", fromlist=["sigmoid_many"])
    rng = np.random.default_rng(11)
    lanes = np.concatenate([rng.uniform(-40, 40, 1_000_000), rng.uniform(-700, 700, 1_000_000)])
    layers = [lanes.astype(dtype)]
    layers += [rng.uniform(-10, 10, n).astype(dtype) for n in range(41)]
    for special in inputs()[:40]:
        layer = rng.uniform(-10, 10, 13)
        layer[rng.integers(13)] = special
        with np.errstate(over="ignore"):  # 1e308 is inf in float32, as meant
            layers.append(layer.astype(dtype))
    for layer in layers:
        got, want = module.sigmoid_many(layer), libm_sigmoid_many(layer, layer.dtype.type(1))
        np.testing.assert_array_equal(got, want)
        assert got.tobytes() == want.tobytes()  # NaNs too, bit for bit


def test_as_bits_and_as_double_round_trip():
    for x in (0.0, -0.0, 1.5, -np.inf, 5e-324):
        assert _exp.as_double(_exp.as_bits(x)) == x or math.isnan(x)
        assert _exp.as_bits(x) == struct.unpack("<Q", struct.pack("<d", x))[0]

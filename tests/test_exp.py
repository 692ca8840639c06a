"""loopmlp's own ``exp``, ``log`` and ``tanh`` (``loopmlp.kernels._exp``,
``_elementary``): every backend computes the interpreted functions' bits, and those are
within a stated error of the true values.

The reference calls the interpreted functions (exact stand-ins for ``fma`` and the bit
casts); the numba kernels compile the same source, the Cython builds call a C twin.
Bit-identical is the standard between them; against the true values (mpmath, 60 digits)
the standard is each function's measured error bound, in units in the last place.
"""

import math
import platform
import struct
from decimal import Decimal, getcontext

import mpmath
import numba
import numpy as np
import pytest

from loopmlp.kernels import _cython, _elementary, _exp, _numba

BUILDS = ["_cython", "_cython_avx2", "_cython_avx512"]
# glibc (2.28 and later) computes exp with _exp's sequence; on a CPU with FMA (and AVX2) it
# runs its fused build, whose bits _exp.exp gives
GLIBC_FMA = platform.libc_ver()[0] == "glibc" and _cython.CPU_HAS_AVX2


def bits(a):
    return np.asarray(a, dtype=np.float64).view(np.int64)


def build(name):
    if name != "_cython" and not getattr(_cython, f"CPU_HAS_{name[8:].upper()}"):
        pytest.skip(f"this CPU cannot run {name}")
    return __import__(f"loopmlp.kernels.{name}", fromlist=["exp_many"])


KERNELS = _numba._exp_kernels(**_numba.NUMBA_OPTIONS)


def compiled_many(name):
    f = KERNELS[name]

    @numba.njit
    def many(x):
        out = np.empty_like(x)
        for i in range(x.shape[0]):
            out[i] = f(x[i])
        return out

    return many


numba_exp_many, numba_log_many, numba_tanh_many = map(compiled_many, ("exp", "log", "tanh"))


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


def log_inputs():
    """Positive doubles over the whole range (subnormal to huge), near 1 (where fdlibm's
    log takes its short path), and the special ones."""
    rng = np.random.default_rng(8)
    special = [0.0, -0.0, -1.0, np.inf, -np.inf, np.nan, 5e-324, 2.0**-1022, 1.0, 2.0, 0.5]
    spread = np.exp2(rng.uniform(-1074, 1024, 400_000))
    near_one = 1 + rng.uniform(-(2.0**-19), 2.0**-19, 200_000)
    unit = rng.uniform(0, 1, 400_000)  # a softmax's or a sigmoid's outputs
    return np.concatenate([special, spread, near_one, unit, 1 - unit])


def tanh_inputs():
    """Every branch of fdlibm's tanh and expm1 (|x| below 2**-55, below 1, up to 22, past
    22), and the special ones."""
    rng = np.random.default_rng(9)
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, 2.0**-55, 1.0, -1.0, 22.0, -22.0]
    spans = [(-1, 1), (-30, 30), (-1e-9, 1e-9), (-3, 3)]
    return np.concatenate([special] + [rng.uniform(lo, hi, 300_000) for lo, hi in spans])


def sample(x, n=4000):
    """The special inputs and ``n`` random others: the interpreted functions are slow."""
    rng = np.random.default_rng(5)
    return np.concatenate([x[:40], rng.choice(x, n)])


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


def test_the_fdlibm_constants_are_its_decimal_literals():
    """_elementary spells fdlibm's constants in hex (their exact bits); fdlibm's decimals
    round to the same doubles."""
    decimals = dict(
        LN2_HI=6.93147180369123816490e-01,
        LN2_LO=1.90821492927058770002e-10,
        LG1=6.666666666666735130e-01,
        LG2=3.999999999940941908e-01,
        LG3=2.857142874366239149e-01,
        LG4=2.222219843214978396e-01,
        LG5=1.818357216161805012e-01,
        LG6=1.531383769920937332e-01,
        LG7=1.479819860511658591e-01,
        INV_LN2=1.44269504088896338700e00,
        Q1=-3.33333333333331316428e-02,
        Q2=1.58730158725481460165e-03,
        Q3=-7.93650757867487942473e-05,
        Q4=4.00821782732936239552e-06,
        Q5=-2.01099218183624371326e-07,
    )
    for name, value in decimals.items():
        assert getattr(_elementary, name) == value, name


def test_exp_is_glibcs_exp_on_glibc_with_fma():
    """Where the C library is glibc on a CPU with FMA, _exp.exp is its exp, bit for bit, on
    every range (the fast one, the special cases, the subnormal results): the sequence and
    its fused multiply-adds are glibc's. Elsewhere loopmlp's bits stay these."""
    if not GLIBC_FMA:
        pytest.skip("the C library is not glibc on a CPU with FMA")
    assert _exp.matches_libm()
    x = inputs()
    np.testing.assert_array_equal(bits(numba_exp_many(x)), bits(libm_exp_many(x)))
    x = sample(x)
    np.testing.assert_array_equal(bits([_exp.exp(v) for v in x]), bits(libm_exp_many(x)))


def test_the_witnesses_tell_a_fused_exp_from_an_unfused_one(monkeypatch):
    fused = [_exp.as_bits(_exp.exp(x)) for x in _exp.WITNESSES]
    monkeypatch.setattr(_exp, "fma", lambda a, b, c: a * b + c)
    unfused = [_exp.as_bits(_exp.exp(x)) for x in _exp.WITNESSES]
    assert all(f != u for f, u in zip(fused, unfused))


@pytest.mark.parametrize(
    "name, inputs_of, interpreted",
    [
        ("exp", inputs, _exp.exp),
        ("log", log_inputs, _elementary.log),
        ("tanh", tanh_inputs, _elementary.tanh),
    ],
)
def test_numba_and_every_cython_build_compute_the_interpreted_bits(name, inputs_of, interpreted):
    """numba's compiled function gives the interpreted one's bits (on a sample: the
    interpreted ones are slow), and every Cython build numba's (on all 1-2 million inputs),
    NaNs included."""
    x = inputs_of()
    compiled = compiled_many(name)(x)
    some = sample(x)
    np.testing.assert_array_equal(
        bits([interpreted(v) for v in some]), bits(compiled_many(name)(some))
    )
    assert KERNELS[name] is not getattr(math, name)
    for module_name in BUILDS:
        if module_name != "_cython" and not getattr(_cython, f"CPU_HAS_{module_name[8:].upper()}"):
            continue  # this CPU cannot run it
        module = __import__(f"loopmlp.kernels.{module_name}", fromlist=[name])
        got = getattr(module, f"{name}_many")(x)
        np.testing.assert_array_equal(bits(got), bits(compiled), err_msg=module_name)


def ulp_error(got, exact):
    """|got - exact| in units of the last place of double at ``exact`` (an mpf)."""
    if mpmath.isinf(exact) or exact == 0:
        return 0.0 if got == float(exact) else math.inf
    e = int(mpmath.floor(mpmath.log(abs(exact), 2)))
    ulp = mpmath.mpf(2) ** (max(e, -1022) - 52)
    return float(abs(mpmath.mpf(got) - exact) / ulp)


@pytest.mark.parametrize(
    "name, function, exact, spans, bound",
    [
        ("exp", _exp.exp, mpmath.exp, [(-40, 40), (-745, 709.7), (-1e-3, 1e-3)], 0.52),
        ("log", _elementary.log, mpmath.log, [(1e-300, 1e300), (0, 1), (0.7, 1.5)], 0.9),
        ("tanh", _elementary.tanh, mpmath.tanh, [(-1, 1), (-23, 23), (-0.1, 0.1)], 2.5),
    ],
)
def test_the_error_against_mpmath(name, function, exact, spans, bound):
    """The largest error over 3,000 random inputs, against the value to 60 digits: exp
    (glibc's bound: 0.511 ulp), log (fdlibm's: below 1 ulp) and tanh (fdlibm's algorithm,
    which glibc also uses: about 2 ulp near |x| = 0.25, where -t / (t + 2) loses a bit)."""
    mpmath.mp.dps = 60
    rng = np.random.default_rng(13)
    worst = 0.0
    for lo, hi in spans:
        if hi > 1e10:  # log's whole range, spread evenly over the exponents
            xs = np.exp(rng.uniform(np.log(lo), np.log(hi), 1000))
        else:
            xs = rng.uniform(lo, hi, 1000)
        for x in xs:
            worst = max(worst, ulp_error(function(float(x)), exact(mpmath.mpf(float(x)))))
    assert worst < bound, worst


_numba_exp = KERNELS["exp"]


@numba.njit
def reference_sigmoid_many(x, one):
    """The reference's sigmoid in x's dtype: one / (one + real(exp(-float64(val)))), with
    loopmlp's exp compiled."""
    out = np.empty_like(x)
    e = np.empty_like(x[:1])
    for i in range(x.shape[0]):
        e[0] = _numba_exp(-np.float64(x[i]))  # rounded to x's dtype
        out[i] = one / (one + e[0])
    return out


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", BUILDS)
def test_every_cython_builds_sigmoid_gives_the_references_bits(name, dtype):
    """A layer's sigmoid runs in SIMD lanes where every input is in exp_core's range, one
    by one otherwise: 2 million inputs in lanes, layers of every length up to 40 (the
    lanes' remainders), and each special input inside a layer, which sends the whole layer
    the one-by-one way."""
    module = build(name)
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
        got, want = module.sigmoid_many(layer), reference_sigmoid_many(layer, layer.dtype.type(1))
        np.testing.assert_array_equal(got, want)
        assert got.tobytes() == want.tobytes()  # NaNs too, bit for bit


def test_as_bits_and_as_double_round_trip():
    for x in (0.0, -0.0, 1.5, -np.inf, 5e-324):
        assert _exp.as_double(_exp.as_bits(x)) == x or math.isnan(x)
        assert _exp.as_bits(x) == struct.unpack("<Q", struct.pack("<d", x))[0]

"""The builds of the cython backend: which setup.py makes where, with which flags, and which
one loads at run time (LOOPMLP_CYTHON_BUILD). Every build the CPU runs gives the python
reference's bits, compared byte for byte. The builds this machine cannot make (clang, no
OpenMP, portable only) run in .ci/builds."""

import importlib.util
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import loopmlp
from loopmlp.kernels import _cython_native

ROOT = Path(__file__).resolve().parents[1]


def _setup():
    """setup.py as a module: importing it builds nothing (setup() runs only as __main__)."""
    spec = importlib.util.spec_from_file_location("loopmlp_setup", ROOT / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------
# Flags per platform. What must hold, from why each flag is there (setup.py): no compiler
# may contract a*b+c; the wide builds only on x86-64; OpenMP only in the kernels and only
# where the compiler has it; no flag a compiler does not know.

KERNELS = {"_cython", "_cython_avx2", "_cython_avx512", "_cython_avx512_zmm"}
ALL = KERNELS | {"_check", "cython_kernels"}
PORTABLE = {"_cython", "_check", "cython_kernels"}


def test_setup_py_imports_without_building():
    setup = _setup()
    assert callable(setup.extension_flags) and callable(setup.main)


def test_flags_linux_x86_64_gcc():
    flags = _setup().extension_flags("x86_64", "gcc", True)
    assert set(flags) == ALL
    for name, (compile_args, link_args) in flags.items():
        assert "-ffp-contract=off" in compile_args, name
        assert not {"-ffast-math", "-Ofast", "-march=native"} & set(compile_args), name
        assert ("-fopenmp" in compile_args) == ("-fopenmp" in link_args) == (name in KERNELS)
    assert {"-mavx2", "-mfma"} <= set(flags["_cython_avx2"][0])
    assert {"-mavx512f", "-mavx512vl"} <= set(flags["_cython_avx512"][0])
    # the same, for 512-bit vectors and the 16-column passes of _cython_cpu.h's LOOPMLP_ZMM
    assert {"-mavx512f", "-mavx512vl", "-mprefer-vector-width=512", "-DLOOPMLP_ZMM=1"} <= set(
        flags["_cython_avx512_zmm"][0]
    )
    assert "-mprefer-vector-width=256" in flags["_cython_avx512"][0]
    assert not any(arg.startswith("-m") for arg in flags["_cython"][0])  # SSE2: the default


def test_flags_linux_aarch64_gcc():
    flags = _setup().extension_flags("aarch64", "gcc", True)
    assert set(flags) == PORTABLE
    for name, (compile_args, _) in flags.items():
        # gcc fuses a*b+c by default on arm64, which always has FMA
        assert "-ffp-contract=off" in compile_args, name
        assert not any(arg.startswith("-m") for arg in compile_args), name
    assert "-fopenmp" in flags["_cython"][0] and "-fopenmp" in flags["_cython"][1]


def test_flags_macos_arm64_clang_without_openmp():
    flags = _setup().extension_flags("arm64", "clang", False)
    assert set(flags) == PORTABLE
    for name, (compile_args, link_args) in flags.items():
        assert "-ffp-contract=off" in compile_args, name  # clang's default is "on"
        assert not any("openmp" in arg for arg in compile_args + link_args), name
        assert not any(arg.startswith("-m") for arg in compile_args), name
        # a gcc-only switch, which clang rejects as an unknown argument
        assert "-fno-tree-loop-vectorize" not in compile_args, name


def test_flags_windows_amd64_msvc():
    flags = _setup().extension_flags("AMD64", "msvc", True)
    assert set(flags) == ALL
    for name, (compile_args, link_args) in flags.items():
        assert "/fp:precise" in compile_args, name  # no contraction from VS 2022 on
        assert not {"/fp:fast", "/fp:contract"} & set(compile_args), name
        assert not any(arg.startswith("-") for arg in compile_args + link_args), name
        assert ("/openmp" in compile_args) == (name in KERNELS), name
        assert link_args == [], name  # MSVC's omp.h links vcomp itself
    assert "/arch:AVX2" in flags["_cython_avx2"][0]
    assert "/arch:AVX512" in flags["_cython_avx512"][0]
    assert {"/arch:AVX512", "/DLOOPMLP_ZMM=1"} <= set(flags["_cython_avx512_zmm"][0])
    assert not any(arg.startswith("/arch") for arg in flags["_cython"][0])


def test_flags_portable_and_32_bit_x86():
    setup = _setup()
    assert set(setup.extension_flags("x86_64", "gcc", True, portable=True)) == PORTABLE
    # x87's 80-bit registers would round float64 sums differently from the reference
    for compile_args, _ in setup.extension_flags("i686", "gcc", False).values():
        assert {"-msse2", "-mfpmath=sse"} <= set(compile_args)


def test_flags_refuse_an_unknown_compiler():
    with pytest.raises(ValueError, match="compiler must be one of"):
        _setup().extension_flags("x86_64", "icc", True)


# ---------------------------------------------------------------------------------------
# Run time: LOOPMLP_CYTHON_BUILD, and the builds' bits.

# A lecture net trained and predicted, and a deep net's mini-batches in float64 and float32
# with its predictions: the per-sample, panel, threaded and wide float32 paths; then every
# output's bytes, in hex.
WORKLOAD = """
import hashlib, sys
import numpy as np
import loopmlp

b = loopmlp.get_backend(sys.argv[1])
rng = np.random.default_rng(7)
X, Y = rng.random((41, 20)), rng.random((41, 3))
w = list(loopmlp.init_weights(20, 17, 3, seed=2))
out = [b.train(X, Y, *w, 0.3, 2), *w]
out.append(b.predict(X, *w, **({} if sys.argv[1] == "python" else {"threads": 2})))
for dtype in ("float64", "float32"):
    net = loopmlp.init_net([20, 19, 9, 3], activation="tanh", output="softmax",
                           loss="cross_entropy", seed=4, dtype=dtype)
    out.append(b.net_train(net, X.astype(dtype), Y.astype(dtype), 0.1, 2, batch_size=5,
                           shuffle_seed=1))
    out += [*net.weights, *net.biases, b.net_predict(net, X.astype(dtype))]
if sys.argv[1] == "cython":
    from loopmlp.kernels import _cython_native
    print(_cython_native.BUILD)
print(hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes() for a in out)).hexdigest())
"""


def _run(backend, build=None):
    env = {k: v for k, v in os.environ.items() if k != "LOOPMLP_CYTHON_BUILD"}
    if build is not None:
        env["LOOPMLP_CYTHON_BUILD"] = build
    return subprocess.run(
        [sys.executable, "-c", WORKLOAD, backend], capture_output=True, text=True, env=env
    )


def test_every_build_this_cpu_runs_gives_the_references_bytes():
    """Bit-identical: the same bytes as the python reference, build by build."""
    reference = _run("python")
    assert reference.returncode == 0, reference.stderr
    assert _cython_native.BUILDS  # at least the baseline build
    for build in _cython_native.BUILDS:
        run = _run("cython", build)
        assert run.returncode == 0, run.stderr
        loaded, digest = run.stdout.split()
        assert loaded == build
        assert digest == reference.stdout.strip(), f"the {build} build's bytes differ"


def test_unset_loads_the_widest_build_the_cpu_runs():
    run = subprocess.run(
        [sys.executable, "-c", "from loopmlp.kernels import _cython_native as n;"
         "print(n.BUILD, n.BUILDS[0], n.BUILD_REASON, sep='|')"],
        capture_output=True, text=True,
        env={k: v for k, v in os.environ.items() if k != "LOOPMLP_CYTHON_BUILD"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    build, widest, reason = run.stdout.strip().split("|")
    assert build == widest and reason == "widest this CPU runs"


def test_the_avx512_build_predicts_with_its_512_bit_twin(monkeypatch):
    """net_predict, the lecture's predict (net_predict's sigmoid net) and net_train's
    mini-batches, and only they, from _cython_avx512_zmm where the AVX-512 build runs;
    online training from the build itself."""
    n = _cython_native
    module = (n.X86_64_BUILDS | n.OTHER_BUILDS)[n.BUILD][0]
    zmm = n.BUILD == "avx512" and importlib.util.find_spec("loopmlp.kernels._cython_avx512_zmm")
    assert n.PREDICT_MODULE == ("_cython_avx512_zmm" if zmm else module)
    assert n.net_predict.__module__.rsplit(".", 1)[-1] == n.PREDICT_MODULE
    assert n.predict.__module__.rsplit(".", 1)[-1] == n.PREDICT_MODULE
    assert n.train.__module__.rsplit(".", 1)[-1] == module
    assert n.fma_kernels().net_predict.func is n.net_predict
    calls = []
    for m in {n._widest, n._predicting}:
        name = m.__name__.rsplit(".", 1)[-1]
        monkeypatch.setattr(
            m, "net_train", lambda *a, fma, name=name: calls.append((name, a[9], a[10:], fma))
        )
    n.net_train(*range(9), 1, "scratch")
    n.net_train(*range(9), 32, "scratch")
    n.fma_kernels().net_train(*range(9), 1, "scratch")
    n.fma_kernels().net_train(*range(9), 32, "scratch")
    assert calls == [
        (module, 1, ("scratch",), False),
        (n.PREDICT_MODULE, 32, ("scratch",), False),
        (module, 1, ("scratch",), True),
        (n.PREDICT_MODULE, 32, ("scratch",), True),
    ]


@pytest.mark.parametrize("fma", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_512_bit_build_predicts_the_same_bits_through_one_panel_or_two(dtype, fma):
    """_cython_avx512_zmm's net_predict through one panel a pass or two (two_panel_passes;
    which one this CPU takes depends on its maker) gives the reference's bits either way:
    131 rows (three blocks, the last short), 300 inputs (two chunks of 128 and a short
    one), layers of 40 and 33 units (3 and 3 panels of 16 in float32, 5 and 5 of 8 in
    float64: two-panel passes and a last one alone) and 10 outputs."""
    n = _cython_native
    if n.PREDICT_MODULE != "_cython_avx512_zmm":
        pytest.skip(f"the cython backend predicts with {n.PREDICT_MODULE} on this CPU")
    rng = np.random.default_rng(21)
    X = rng.standard_normal((131, 300)).astype(dtype)
    net = loopmlp.init_net([300, 40, 33, 10], "relu", "softmax", "cross_entropy", seed=5,
                           dtype=dtype, fma=fma)  # fmt: skip
    expected = loopmlp.get_backend("python").net_predict(net, X)
    cython = loopmlp.get_backend("cython")
    own = n._predicting.two_panel_passes()
    try:
        for two in (False, True):
            assert n._predicting.two_panel_passes(two) is two
            assert np.array_equal(cython.net_predict(net, X), expected), two
    finally:
        n._predicting.two_panel_passes(own)
    assert n._widest.two_panel_passes(True) is False  # the 256-bit build has one way only


X86_64 = platform.machine().lower() in ("x86_64", "amd64")


@pytest.mark.parametrize(
    "value, error, words",
    [
        ("avx1024", "ValueError", ["LOOPMLP_CYTHON_BUILD='avx1024'", "not a build"]),
        (
            "portable" if X86_64 else "sse2",
            "ImportError",
            ["LOOPMLP_CYTHON_BUILD=", "not built on this platform"],
        ),
    ],
)
def test_a_forced_build_that_cannot_load_is_refused(value, error, words):
    run = _run("cython", value)
    assert run.returncode != 0
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith(error), last
    for word in words:
        assert word in last, last


CPU = {"avx512": True, "avx2": True}
INSTALLED = {"_cython", "_cython_avx2", "_cython_avx512"}


@pytest.mark.parametrize(
    "requested, cpu, installed, expected",
    [
        ("", CPU, INSTALLED, ("avx512", "widest this CPU runs")),
        ("", {"avx512": False, "avx2": True}, INSTALLED, ("avx2", "widest this CPU runs")),
        ("", {"avx512": False, "avx2": False}, INSTALLED, ("sse2", "widest this CPU runs")),
        ("", CPU, {"_cython"}, ("sse2", "widest this CPU runs")),
        ("sse2", CPU, INSTALLED, ("sse2", "LOOPMLP_CYTHON_BUILD=sse2")),
        ("avx2", CPU, INSTALLED, ("avx2", "LOOPMLP_CYTHON_BUILD=avx2")),
    ],
)
def test_the_choice_on_x86_64(requested, cpu, installed, expected):
    assert _cython_native.choose(requested, "x86_64", cpu, installed) == expected


@pytest.mark.parametrize(
    "requested, cpu, installed, words",
    [
        ("avx512", {"avx512": False, "avx2": True}, INSTALLED, ["avx512", "lacks AVX-512"]),
        ("avx2", {"avx512": False, "avx2": False}, INSTALLED, ["avx2", "lacks AVX2"]),
        ("avx2", CPU, {"_cython"}, ["avx2", "not in this install", "has only sse2"]),
    ],
)
def test_the_choice_refuses_what_the_cpu_or_install_lacks(requested, cpu, installed, words):
    with pytest.raises(ImportError, match=f"LOOPMLP_CYTHON_BUILD={requested}") as e:
        _cython_native.choose(requested, "x86_64", cpu, installed)
    for word in words:
        assert word in str(e.value)


def test_the_choice_off_x86():
    no_wide = {"avx512": False, "avx2": False}  # what _cython_cpu.h says off x86
    assert _cython_native.choose("", "aarch64", no_wide, {"_cython"}) == (
        "portable",
        "widest this CPU runs",
    )
    assert _cython_native.choose("portable", "arm64", no_wide, {"_cython"})[0] == "portable"
    with pytest.raises(ImportError, match="sse2 build is not built on this platform"):
        _cython_native.choose("sse2", "aarch64", no_wide, {"_cython"})

"""loopmlp's results do not depend on the C library, nor on a floating-point environment
someone else switched.

1. A process whose C library ``exp``, ``log`` and ``tanh`` (and the float and long double
   ones) return other bits (the true value with its last bit flipped, through
   ``LD_PRELOAD``) trains every loop backend to the same bytes as a normal process; the
   same process shows that Python's and numba's ``math.exp`` do call the changed
   functions, so the comparison could fail.
2. With flush-to-zero and denormals-are-zero switched on (a shared object built with
   ``-ffast-math`` does it when it loads), or another rounding mode, every checked kernel
   call raises ``FloatingPointError`` before it touches a weight.

Both need gcc and glibc's ``dlsym(RTLD_NEXT)``, and x86-64 for MXCSR's FTZ/DAZ.
"""

import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

needs_gcc = pytest.mark.skipif(
    shutil.which("gcc") is None or platform.system() != "Linux",
    reason="needs gcc and a Linux dynamic loader",
)

PRELOAD = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>

/* the C library's function, its result's last bit flipped */
#define FLIP(name, type, utype)                                              \
    type name(type x) {                                                      \
        static type (*real)(type);                                           \
        if (!real) real = (type (*)(type))dlsym(RTLD_NEXT, #name);           \
        type y = real(x);                                                    \
        utype u;                                                             \
        memcpy(&u, &y, sizeof u);                                            \
        u ^= 1;                                                              \
        memcpy(&y, &u, sizeof u);                                            \
        return y;                                                            \
    }
FLIP(exp, double, uint64_t)
FLIP(log, double, uint64_t)
FLIP(tanh, double, uint64_t)
FLIP(expm1, double, uint64_t)
FLIP(log1p, double, uint64_t)
FLIP(expf, float, uint32_t)
FLIP(logf, float, uint32_t)
FLIP(tanhf, float, uint32_t)
"""

# Run in the child: every golden case on every loop backend, and what the C library's
# functions return there (through Python's math module and numba's compiled math.exp).
CHILD = """
import json, math, sys
import numba
import test_golden

@numba.njit
def numba_exp(x):
    return math.exp(x)

KERNEL_CASES = [name for name in test_golden.CASES if "Classifier" not in name]  # no sklearn
probe = [0.3, 1.7, -2.5, 10.1]
out = dict(
    math_exp=[math.exp(x).hex() for x in probe],
    math_log=[math.log(x).hex() for x in (0.3, 1.7, 10.1)],
    math_tanh=[math.tanh(x).hex() for x in probe],
    numba_exp=[numba_exp(x).hex() for x in probe],
    hashes={b: test_golden.hashes(b, KERNEL_CASES) for b in test_golden.LOOP_BACKENDS},
)
print(json.dumps(out))
"""


def run_child(code, env=None):
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).parent,
        env=dict(os.environ, **(env or {})),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


def compile_shared(tmp_path, source, name, *flags):
    c, so = tmp_path / f"{name}.c", tmp_path / f"{name}.so"
    c.write_text(source)
    subprocess.run(
        ["gcc", "-shared", "-fPIC", "-O2", *flags, str(c), "-o", str(so), "-ldl"], check=True
    )
    return so


@needs_gcc
def test_a_c_library_with_other_bits_changes_nothing(tmp_path):
    so = compile_shared(tmp_path, PRELOAD, "flipped")
    normal = run_child(CHILD)
    flipped = run_child(CHILD, {"LD_PRELOAD": str(so)})
    # the preload works: Python's and numba's math.exp are the C library's, changed
    for key in ("math_exp", "math_log", "math_tanh", "numba_exp"):
        assert all(a != b for a, b in zip(normal[key], flipped[key])), key
    # and loopmlp's results are the same bytes
    assert flipped["hashes"] == normal["hashes"]
    golden = json.loads(Path(__file__).with_name("golden_bits.json").read_text())["sha256"]
    kernel_cases = {name: golden[name] for name in golden if "Classifier" not in name}
    for backend, got in normal["hashes"].items():
        assert got == kernel_cases, backend  # every case but the estimators'


FAST_MATH = """
/* built with -ffast-math: gcc links crtfastmath.o, whose constructor sets FTZ and DAZ */
double loopmlp_test_fast(double x) { return x * 0.5; }
"""

# Run in the child: after `prepare` changed the environment, every checked entry point.
ENTRY_POINTS = """
import ctypes, json, sys
import numpy as np
import loopmlp

prepare = sys.argv[1]
rng = np.random.default_rng(0)
X, Y = rng.random((5, 3)), rng.random((5, 2))
w = loopmlp.init_weights(3, 4, 2, seed=0)
net = loopmlp.init_net([3, 4, 2], seed=0)
before = [a.copy() for a in (*w, *net.weights)]
one, subnormal = float(X.size // 15), 5e-324 * (X.size // 15)  # 1.0 and 5e-324, at run time
if prepare == "fast-math":
    ctypes.CDLL(sys.argv[2])
    assert subnormal * one == 0.0  # DAZ is on: the subnormal reads as 0
elif prepare == "upward":
    libm = ctypes.CDLL("libm.so.6")
    assert libm.fesetround(0x800) == 0  # FE_UPWARD on x86-64
    assert one + 2.0**-60 > one  # rounded up
raised = {}
for b in ("python", "numba", "cython", "numpy"):
    k = loopmlp.get_backend(b)
    calls = dict(
        neural_response=lambda: k.neural_response(X[0], *w),
        update_network=lambda: k.update_network(X[0], np.full(4, 0.5), Y[0], Y[0], *w, 0.1),
        train_epoch=lambda: k.train_epoch(X, Y, *w, 0.1),
        train=lambda: k.train(X, Y, *w, 0.1, 2),
        predict=lambda: k.predict(X, *w),
        net_response=lambda: k.net_response(net, X[0]),
        net_update=lambda: k.net_update(net, X[0], k.net_response(net, X[0]), Y[0], 0.1),
        net_train=lambda: k.net_train(net, X, Y, 0.1, 1),
        net_predict=lambda: k.net_predict(net, X),
    )
    for name, call in calls.items():
        try:
            call()
            raised[b + "." + name] = None
        except FloatingPointError as e:
            raised[b + "." + name] = str(e)
untouched = all(np.array_equal(a, b) for a, b in zip(before, (*w, *net.weights)))
print(json.dumps(dict(raised=raised, untouched=untouched)))
"""


@needs_gcc
@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="MXCSR is x86-64's")
@pytest.mark.parametrize("prepare", ["fast-math", "upward"])
def test_a_switched_floating_point_environment_is_refused(tmp_path, prepare):
    so = compile_shared(tmp_path, FAST_MATH, "fast", "-ffast-math")
    result = run_child(
        ENTRY_POINTS.replace("sys.argv[1]", repr(prepare)).replace("sys.argv[2]", repr(str(so)))
    )
    assert result["untouched"]
    for call, message in result["raised"].items():
        assert message is not None, call
        assert ("FTZ/DAZ" if prepare == "fast-math" else "rounds") in message, call


def test_the_default_environment_passes():
    from loopmlp import _check

    assert _check.fp_env() is None

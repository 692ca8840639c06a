"""Only the Cython extensions; all metadata lives in pyproject.toml.

Which extensions are built, and with which flags, depends on the target machine, the
compiler and whether it has OpenMP; :func:`extension_flags` says it all, as a pure function
(tests/test_build.py imports this file without building anything: setuptools runs it as
``__main__``, so the build only starts there).

The kernels' builds (one source, ``kernels/_cython.pyx``):

* x86-64: ``_cython`` (SSE2, the x86-64 baseline), ``_cython_avx2`` and ``_cython_avx512``;
  loopmlp loads the widest the CPU runs (``kernels/_cython_native.py``). With
  ``_cython_avx512`` goes ``_cython_avx512_zmm``, the same again with 512-bit vectors, whose
  deep-net ``net_predict`` (and the lecture's ``predict``, which runs through it) and
  mini-batch ``net_train`` the AVX-512 build uses.
* any other machine (arm64, ppc64le, s390x, 32-bit x86, a macOS universal2 binary): only
  ``_cython``, plain C for that machine's baseline.

Every build gives the pure-Python reference's bits, with or without OpenMP: OpenMP only
shares out independent rows and units (``_cython.pyx``'s docstring says why no bit moves);
without it Cython's ``prange`` loops run their iterations in order on the calling thread.

Build-time environment variables (docs/building.rst):

* ``LOOPMLP_OPENMP``: ``0`` builds without OpenMP even if the compiler has it; ``1`` fails
  the build if the compiler lacks it; unset (or ``auto``): OpenMP if a test program with
  it compiles and links, as scikit-learn's build checks.
* ``LOOPMLP_PORTABLE``: ``1`` builds only ``_cython``, with no instruction-set flags, as on
  a machine other than x86-64; ``0`` or unset: every build the machine has.
"""

import os
import sysconfig

KERNELS = ("_cython", "_cython_avx2", "_cython_avx512", "_cython_avx512_zmm")

# the kernels' builds live with the other backends in loopmlp.kernels; _check is shared glue
MODULES = {
    "_cython": "kernels._cython",
    "_cython_avx2": "kernels._cython_avx2",
    "_cython_avx512": "kernels._cython_avx512",
    "_cython_avx512_zmm": "kernels._cython_avx512_zmm",
    "_check": "_check",
    # the cython backend's kernels for users' Cython code (cimport loopmlp.cython_kernels)
    "cython_kernels": "cython_kernels",
}

COMPILERS = ("gcc", "clang", "msvc")

# Per compiler: flags for every module, the kernels' own, OpenMP's (compile, link) and the
# wide builds' instruction sets.
#
# No contraction anywhere: a*b+c must round twice, as in the Python reference, so no
# compiler may fuse it into an FMA.
# * gcc contracts by default (-ffp-contract=fast) wherever the target has FMA: always on
#   arm64, and in the AVX2 and AVX-512 builds; -ffp-contract=off stops it.
# * clang contracts within an expression by default (-ffp-contract=on): -ffp-contract=off.
# * MSVC: /fp:precise (its default, stated so nobody swaps in /fp:fast) does not contract
#   from Visual Studio 2022 (17.0) on; older versions did, with /arch:AVX2, so
#   _cython_cpu.h also says `#pragma fp_contract (off)` to every MSVC. /fp:contract, which
#   would allow it, is never passed.
# -fno-fast-math is gcc's and clang's default (no reassociation, so every sum keeps its
# order); stated so nobody adds -ffast-math or -Ofast by accident. No -march=native: a
# wheel may run on another machine.
# 32-bit x86 (gcc, clang): -msse2 -mfpmath=sse, or float64 sums would round to the x87's 80
# bits first; MSVC uses SSE2 there by default.
BASE = {
    "gcc": ["-O3", "-ffp-contract=off", "-fno-fast-math"],
    "clang": ["-O3", "-ffp-contract=off", "-fno-fast-math"],
    "msvc": ["/O2", "/fp:precise"],
}
X86_32_FLAGS = {"gcc": ["-msse2", "-mfpmath=sse"], "clang": ["-msse2", "-mfpmath=sse"], "msvc": []}
# The kernels: gcc's loop vectoriser runs the panel loops two inputs at a time, with a
# shuffle per weight, correct but several times slower than what its SLP vectoriser does
# when it is off: a panel's side-by-side sums in SIMD registers, each lane exactly the scalar
# operation (the C helpers that want it turn it back on, _cython_exp.h). clang and MSVC
# have no such switch by that name; their vectorisers stay as they are, which cannot move a
# bit (neither reassociates a sum without fast-math).
KERNEL_FLAGS = {"gcc": ["-fno-tree-loop-vectorize"], "clang": [], "msvc": []}
# OpenMP: predict's blocks of rows and the mini-batch updates run on OpenMP threads. MSVC
# links its runtime (vcomp) through a pragma in its omp.h, so it needs no link flag.
OPENMP_FLAGS = {
    "gcc": (["-fopenmp"], ["-fopenmp"]),
    "clang": (["-fopenmp"], ["-fopenmp"]),
    "msvc": (["/openmp"], []),
}
# _cython_avx2 and _cython_avx512 are the same source with wider registers; loopmlp loads
# them only on a CPU that has the instructions (_cython_native.py), so a wheel still runs on
# any x86-64.
# -mavx2: a panel's 8 float64 sums in two 4-wide registers (SSE2: four 2-wide ones).
# -mfma: the inlined exp's fma() calls (_exp.py) become instructions; -ffp-contract=off still
#   keeps the compiler from fusing anything else, so every sum rounds as in the reference.
# -mavx512f -mavx512vl: 32 registers, so a pass's 8 x 8 float64 sums fit without spills
#   (with AVX2's 16 registers a pass takes four rows, _cython_panels.pxi's _pass_rows).
# -mprefer-vector-width=256: with 512-bit vectors the online training's loops ran 15-35%
#   slower (Intel Xeon, family 6 model 167); net_predict's took 20-40% less time, mini-batches
#   of 32 on 784-512-10 9-17% less (small nets up to 6% more: 60-6-4, and 64-8-4 to
#   64-32-10 in float32). So the AVX-512 build is built twice: _cython_avx512 for everything, with
#   256-bit vectors, and _cython_avx512_zmm with 512-bit ones (-mprefer-vector-width=512),
#   whose net_predict, predict and mini-batches run instead (_cython_native.py). LOOPMLP_ZMM
#   tells its source (_cython_cpu.h) to sum eight rows through two panels a pass there, 16
#   vectors of sums in flight, where the CPU gains by it (not AMD's Zen 4: _cython.pyx).
# -fno-inline-functions-called-once (gcc, 512-bit build): inlined into _panels_forward, its
#   one caller, _panel_block16's float64 default-mode sums came out scalar from gcc 12's SLP
#   vectoriser, and net_predict took 4-5x the time (AMD EPYC, family 25 model 17, Zen 4);
#   compiled on its own, as the other panel kernels are, they are packed. .ci/builds checks
#   that every panel kernel's sums are.
# MSVC has one switch per level: /arch:AVX2 (AVX2 with FMA) and /arch:AVX512 (F, CD, BW, DQ
# and VL, all of which _cython_cpu.h then asks the CPU for).
# -funroll-loops (gcc, 512-bit build only): net_predict 784-512-10 float32 in the default
#   mode took 14% less time (7,954-8,018 against 9,298-9,321 ns a row, one thread; AMD EPYC,
#   family 25 model 17), float32 mini-batches 5% less, the rest the same. The other builds
#   run the lecture's epochs, which it slows.
WIDE_FLAGS = {
    "gcc": {
        "_cython_avx2": ["-mavx2", "-mfma"],
        "_cython_avx512": ["-mavx512f", "-mavx512vl", "-mprefer-vector-width=256"],
        "_cython_avx512_zmm": [
            "-mavx512f",
            "-mavx512vl",
            "-mprefer-vector-width=512",
            "-DLOOPMLP_ZMM=1",
            "-fno-inline-functions-called-once",
            "-funroll-loops",
        ],
    },
    "clang": {
        "_cython_avx2": ["-mavx2", "-mfma"],
        "_cython_avx512": ["-mavx512f", "-mavx512vl", "-mprefer-vector-width=256"],
        "_cython_avx512_zmm": [
            "-mavx512f",
            "-mavx512vl",
            "-mprefer-vector-width=512",
            "-DLOOPMLP_ZMM=1",
        ],
    },
    "msvc": {
        "_cython_avx2": ["/arch:AVX2"],
        "_cython_avx512": ["/arch:AVX512"],
        "_cython_avx512_zmm": ["/arch:AVX512", "/DLOOPMLP_ZMM=1"],
    },
}

X86_64 = ("x86_64", "amd64", "x64")
X86_32 = ("x86", "i386", "i486", "i586", "i686", "win32")


def builds(machine, portable=False):
    """The modules built for ``machine`` (``platform.machine()``'s spelling, any case): the
    three kernel builds on x86-64, else ``_cython`` alone; ``_check`` and
    ``cython_kernels`` everywhere."""
    wide = machine.lower() in X86_64 and not portable
    return [name for name in MODULES if wide or name not in KERNELS[1:]]


def extension_flags(machine, compiler, has_openmp, portable=False):
    """``{module: (extra_compile_args, extra_link_args)}`` for every module built for
    ``machine`` (``x86_64``, ``AMD64``, ``aarch64``, ``arm64``, ...) with ``compiler``
    (``"gcc"``, ``"clang"`` or ``"msvc"``), with OpenMP in the kernels if ``has_openmp``;
    ``portable``: only the ``_cython`` build, with no instruction-set flags."""
    if compiler not in COMPILERS:
        raise ValueError(f"compiler must be one of {COMPILERS}, got {compiler!r}")
    base = BASE[compiler] + (X86_32_FLAGS[compiler] if machine.lower() in X86_32 else [])
    omp_compile, omp_link = OPENMP_FLAGS[compiler] if has_openmp else ([], [])
    flags = {}
    for name in builds(machine, portable):
        if name in KERNELS:
            compile_args = base + KERNEL_FLAGS[compiler] + omp_compile
            flags[name] = (compile_args + WIDE_FLAGS[compiler].get(name, []), list(omp_link))
        else:
            flags[name] = (list(base), [])
    return flags


def target_machine():
    """The machine the extensions are built for: ``sysconfig.get_platform()``'s, which
    follows a cross build's _PYTHON_HOST_PLATFORM (and, on Windows, VSCMD_ARG_TGT_ARCH); on
    macOS, ARCHFLAGS' ``-arch`` when it names one, ``universal2`` when it names several."""
    machine = sysconfig.get_platform().rsplit("-", 1)[-1]
    if sysconfig.get_platform().startswith("macosx") and os.environ.get("ARCHFLAGS"):
        archs = set(os.environ["ARCHFLAGS"].split()) - {"-arch"}
        machine = archs.pop() if len(archs) == 1 else "universal2"
    return machine


def env_switch(name, allowed):
    """The value of environment variable ``name``: one of ``allowed`` (unset or empty is
    ``allowed[0]``); anything else stops the build with a message naming it."""
    value = os.environ.get(name, "").strip().lower() or allowed[0]
    if value not in allowed:
        raise SystemExit(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def main():
    import subprocess
    import tempfile

    import numpy
    from Cython.Build import cythonize
    from setuptools import Extension, setup
    from setuptools.command.build_ext import build_ext
    from setuptools.errors import CompileError, LinkError

    openmp_wanted = env_switch("LOOPMLP_OPENMP", ("auto", "0", "1"))
    portable = env_switch("LOOPMLP_PORTABLE", ("0", "1")) == "1"
    machine = target_machine()

    def compiles(compiler, source, compile_args=(), link_args=None):
        """Whether ``source`` compiles with ``compiler`` (and links, given link_args)."""
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "probe.c")
            with open(path, "w") as f:
                f.write(source)
            try:
                objects = compiler.compile([path], output_dir=tmp, extra_postargs=compile_args)
                if link_args is not None:
                    compiler.link_executable(
                        objects, "probe", output_dir=tmp, extra_postargs=link_args
                    )
            except (CompileError, LinkError):
                return False
        return True

    def is_clang(executable):
        """Whether ``executable`` is clang (Apple's and LLVM's say so in --version)."""
        try:
            out = subprocess.run([executable, "--version"], capture_output=True, text=True)
        except OSError:
            return False
        return "clang" in out.stdout.lower()

    class BuildExt(build_ext):
        """build_ext with the flags of extension_flags for the compiler it finds."""

        def finalize_options(self):
            # The wide builds are one large C file each, compiled at -O3: one a core
            # (`pip install .` passes no -j), unless the user asked for a number.
            super().finalize_options()
            if self.parallel is None:
                self.parallel = True  # as many as os.cpu_count()

        def build_extensions(self):
            if self.compiler.compiler_type == "msvc":
                kind = "msvc"
            else:  # "unix" or "mingw32": gcc, or clang under a generic name such as cc
                kind = "clang" if is_clang(self.compiler.compiler_so[0]) else "gcc"
            has_openmp = False
            if openmp_wanted != "0":
                has_openmp = compiles(self.compiler, OPENMP_PROBE, *OPENMP_FLAGS[kind])
                if openmp_wanted == "1" and not has_openmp:
                    raise SystemExit(
                        f"LOOPMLP_OPENMP=1, but {kind} cannot compile and link an OpenMP "
                        "program here (install its OpenMP runtime, or unset LOOPMLP_OPENMP)"
                    )
            flags = extension_flags(machine, kind, has_openmp, portable)
            print(
                f"loopmlp: {machine}, {kind}, OpenMP {'on' if has_openmp else 'off'}: "
                f"building {', '.join(flags)}"
            )
            serial = os.path.join(self.build_temp, "loopmlp-serial")
            if not has_openmp:
                # Cython includes <omp.h> for the kernels' `cimport openmp` even when
                # they run serially; this one says one thread, thread 0.
                os.makedirs(serial, exist_ok=True)
                with open(os.path.join(serial, "omp.h"), "w") as f:
                    f.write(SERIAL_OMP_H)
            for ext in self.extensions:
                name = ext.name.rsplit(".", 1)[-1]
                ext.extra_compile_args, ext.extra_link_args = flags[name]
                if name in KERNELS and not has_openmp:
                    ext.include_dirs.insert(0, serial)
            super().build_extensions()

    def extension(name):
        return Extension(
            f"loopmlp.{MODULES[name]}",
            [f"src/loopmlp/{MODULES[name].replace('.', '/')}.pyx"],
            include_dirs=[numpy.get_include()],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        )

    # cythonize takes one set of directives per call: one call per module.
    setup(
        ext_modules=[
            ext
            for name in builds(machine, portable)
            for ext in cythonize([extension(name)], compiler_directives=DIRECTIVES[name])
        ],
        cmdclass={"build_ext": BuildExt},
    )


# Cython's directives, for every file of a module (none sets its own). No bounds or
# wraparound checks: every index is computed in range, none is meant to count from the end.
CHECK_DIRECTIVES = {"language_level": 3, "boundscheck": False, "wraparound": False}
# The kernels also: no check that a memoryview is initialised (they use none), and C's
# division (the kernels' divisors are all >= 1: it only drops Python's zero-division check).
KERNEL_DIRECTIVES = CHECK_DIRECTIVES | {"initializedcheck": False, "cdivision": True}
DIRECTIVES = {name: KERNEL_DIRECTIVES for name in KERNELS} | {
    "_check": CHECK_DIRECTIVES,
    "cython_kernels": CHECK_DIRECTIVES,
}

OPENMP_PROBE = """#include <omp.h>
int main(void) {
    int n = 0;
    #pragma omp parallel
    n = omp_get_num_threads();
    return n < 1;
}
"""
# OpenMP's run-time calls for a build without OpenMP: one thread, so each prange loop's
# iterations run in order on thread 0 with thread 0's work buffers.
SERIAL_OMP_H = """#ifndef LOOPMLP_SERIAL_OMP_H
#define LOOPMLP_SERIAL_OMP_H
#ifdef _MSC_VER
#define LOOPMLP_SERIAL_INLINE static __inline
#else
#define LOOPMLP_SERIAL_INLINE static inline
#endif
LOOPMLP_SERIAL_INLINE int omp_get_max_threads(void) { return 1; }
LOOPMLP_SERIAL_INLINE int omp_get_num_threads(void) { return 1; }
LOOPMLP_SERIAL_INLINE int omp_get_thread_num(void) { return 0; }
LOOPMLP_SERIAL_INLINE int omp_get_num_procs(void) { return 1; }
LOOPMLP_SERIAL_INLINE int omp_in_parallel(void) { return 0; }
LOOPMLP_SERIAL_INLINE void omp_set_num_threads(int n) { (void)n; }
#endif
"""

if __name__ == "__main__":
    main()

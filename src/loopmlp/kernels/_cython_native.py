"""The ``cython`` backend for this CPU: one of the builds of ``_cython.pyx`` (setup.py).

On x86-64 there are three, the same source with wider registers: ``avx512`` (module
``_cython_avx512``, for a CPU with AVX-512 F and VL), ``avx2`` (``_cython_avx2``, AVX2 and
FMA) and ``sse2`` (``_cython``, any x86-64). Elsewhere there is one, ``portable``
(``_cython``). Every build gives the same bits. Importing a build on a CPU without its
instructions could crash, so the CPU checks run in ``_cython``, which every machine runs.

By default the widest build that is installed and that the CPU runs is loaded. The
environment variable ``LOOPMLP_CYTHON_BUILD`` (``sse2``, ``avx2``, ``avx512`` or
``portable``), read when the backend first loads, forces one instead; a build the CPU
cannot run, or that this install does not have, is refused with ``ImportError``, and an
unknown name with ``ValueError``. ``BUILD`` and ``BUILD_REASON`` say which build runs and
why; ``BUILDS`` lists the builds this install could load on this CPU.

The AVX-512 build runs float32 nets too: with 256-bit vectors and AVX-512's 32 registers, a
pass's 64 float32 sums take 8 registers, without the AVX2 build's spills. Its deep-net
``net_predict``, the lecture's ``predict`` that runs through it, and ``net_train``'s
mini-batches come from ``_cython_avx512_zmm``, the same source built for 512-bit vectors
(setup.py says why only those); ``PREDICT_MODULE`` names the module they come from."""

import functools
import importlib
import importlib.util
import os
import platform
import types

from ._cython import CPU_HAS_AVX2, CPU_HAS_AVX512

ENV = "LOOPMLP_CYTHON_BUILD"

# build -> (module, what the CPU needs for it, or "" for nothing), widest first
X86_64_BUILDS = {
    "avx512": ("_cython_avx512", "AVX-512 (F and VL)"),
    "avx2": ("_cython_avx2", "AVX2 and FMA"),
    "sse2": ("_cython", ""),
}
OTHER_BUILDS = {"portable": ("_cython", "")}
NAMES = (*X86_64_BUILDS, *OTHER_BUILDS)


def choose(requested, machine, cpu_has, installed):
    """The build to load and why: ``(build, reason)``.

    Parameters
    ----------
    requested : str or None
        ``LOOPMLP_CYTHON_BUILD``'s value; None or empty: the widest build there is.
    machine : str
        ``platform.machine()``.
    cpu_has : dict of str to bool
        For each build, whether the CPU runs it.
    installed : set of str
        The modules of ``X86_64_BUILDS`` and ``OTHER_BUILDS`` this install has.

    Returns
    -------
    build : str
        One of ``NAMES``.
    reason : str
        Why: ``"widest this CPU runs"`` or ``"LOOPMLP_CYTHON_BUILD=<build>"``.

    Raises
    ------
    ValueError
        ``requested`` is no build's name.
    ImportError
        The requested build is not for this machine, not installed, or needs instructions
        the CPU lacks.
    """
    x86_64 = machine.lower() in ("x86_64", "amd64", "x64")
    ours = X86_64_BUILDS if x86_64 else OTHER_BUILDS
    if not requested:
        for build, (module, _) in ours.items():
            if module in installed and cpu_has.get(build, True):
                return build, "widest this CPU runs"
        raise ImportError("no build of the cython backend is installed")  # _cython imported
    if requested not in NAMES:
        raise ValueError(f"{ENV}={requested!r}: not a build; one of {', '.join(NAMES)}")
    if requested not in ours:
        raise ImportError(
            f"{ENV}={requested}: the {requested} build is not built on this platform "
            f"({machine}); its builds: {', '.join(ours)}"
        )
    module, needs = ours[requested]
    if module not in installed:
        raise ImportError(
            f"{ENV}={requested}: the {requested} build is not in this install (a build "
            f"with LOOPMLP_PORTABLE=1 has only {list(ours)[-1]})"
        )
    if not cpu_has.get(requested, True):
        raise ImportError(f"{ENV}={requested}: this CPU lacks {needs}, which that build needs")
    return requested, f"{ENV}={requested}"


def _installed():
    found = set()
    for module, _ in (*X86_64_BUILDS.values(), *OTHER_BUILDS.values()):
        if importlib.util.find_spec(f"{__package__}.{module}") is not None:
            found.add(module)
    return found


_cpu_has = {"avx512": CPU_HAS_AVX512, "avx2": CPU_HAS_AVX2}
_installed_now = _installed()
BUILD, BUILD_REASON = choose(
    os.environ.get(ENV, "").strip().lower(), platform.machine(), _cpu_has, _installed_now
)
#: the builds this install has and this CPU runs, widest first
BUILDS = tuple(
    build
    for build, (module, _) in (X86_64_BUILDS if BUILD in X86_64_BUILDS else OTHER_BUILDS).items()
    if module in _installed_now and _cpu_has.get(build, True)
)

# the build in use, the widest unless forced: cython_kernels.pyx takes its C API from it
_widest = importlib.import_module(f"{__package__}.{(X86_64_BUILDS | OTHER_BUILDS)[BUILD][0]}")

neural_response, update_network = _widest.neural_response, _widest.update_network
train, train_epoch = _widest.train, _widest.train_epoch
train_epoch_literal = _widest.train_epoch_literal
net_response, net_update = _widest.net_response, _widest.net_update
# the AVX-512 build's net_predict (and the lecture's predict, which runs through it) and
# mini-batches in 512-bit vectors, where this install has them
_predicting = _widest
if BUILD == "avx512" and importlib.util.find_spec(f"{__package__}._cython_avx512_zmm"):
    _predicting = importlib.import_module(f"{__package__}._cython_avx512_zmm")
PREDICT_MODULE = _predicting.__name__.rsplit(".", 1)[-1]
net_predict, predict = _predicting.net_predict, _predicting.predict


def net_train(
    X, Y, weights, biases, hidden, output, loss, lrate, orders, batch_size, *scratch, fma=False
):
    """The build's ``net_train``: online SGD (``batch_size`` 1) from the widest build,
    mini-batches from ``PREDICT_MODULE``."""
    module = _widest if batch_size == 1 else _predicting
    return module.net_train(
        X, Y, weights, biases, hidden, output, loss, lrate, orders, batch_size, *scratch, fma=fma
    )


def fma_kernels():
    """The deep net's kernels in the FMA mode: the same build's, each multiply-add one
    ``fma`` (an instruction in the AVX2 and AVX-512 builds, the C library's exact ``fma`` in
    the SSE2 build)."""
    return types.SimpleNamespace(
        **{
            name: functools.partial(getattr(module, name), fma=True)
            for name, module in [
                ("net_response", _widest),
                ("net_update", _widest),
                ("net_predict", _predicting),
            ]
        },
        net_train=functools.partial(net_train, fma=True),
    )

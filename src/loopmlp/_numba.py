"""The ``numba`` backend: the reference's own source, compiled by ``@njit``.

Nothing is transcribed: ``neural_response``, ``update_network`` and ``train_epoch_literal``
are the code objects of ``_reference.py``; ``train_epoch``, ``train`` and ``predict`` those
of ``_rearranged.py`` (the same sums, independent work reordered). Each is compiled with
its globals rebound so that calls go to the compiled twins and ``exp`` is ``math.exp``
(LLVM's ``llvm.exp.f64``, which calls the C library's ``exp``, the same function the
reference and the Cython backend call). Bit-identity with the reference holds because:

* ``fastmath`` is off, so LLVM neither reassociates sums nor contracts ``a * b + c`` into
  an FMA (numba sets no ``contract`` flag without fastmath);
* the loops are the reference's (or ``_rearranged.py``'s, which keep each sum's terms and
  their order), so every sum runs in the same order;
* no SVML: with Intel's ``icc_rt`` installed, numba may swap ``exp`` in vectorised code for
  SVML's, which differs from the C library's in the last bit. This module turns that off
  (``NUMBA_DISABLE_INTEL_SVML``) when it is the first to import numba; a process that
  imported numba earlier with ``icc_rt`` present should set the variable itself.
"""

import math
import os
import types

os.environ.setdefault("NUMBA_DISABLE_INTEL_SVML", "1")

import numba  # noqa: E402  (after the SVML switch above)

from . import _rearranged, _reference

# One place for the compile options: the bit-identity promise can be checked here.
# cache: compiled code is written next to _reference.py and reused across processes;
# it is keyed on the source file, so editing _reference.py recompiles.
# error_model="numpy": no ZeroDivisionError checks; every divisor here is >= 1.
NUMBA_OPTIONS = dict(nogil=True, cache=True, fastmath=False, error_model="numpy")


def _compile(module, names, **options):
    """``njit`` the named functions of ``module``, callees first, so calls stay compiled."""
    bound = {"exp": math.exp}
    for name in names:
        f = getattr(module, name)
        g = dict(f.__globals__, **bound)
        clone = types.FunctionType(f.__code__, g, f.__name__, f.__defaults__, f.__closure__)
        clone.__qualname__ = f.__qualname__
        clone.__doc__ = f.__doc__
        bound[name] = numba.njit(**options)(clone)
    return bound


# Per-sample kernels: the lecture's literal loops. Whole runs: the bit-exact rearrangement
# of _rearranged.py; train_epoch_literal keeps the lecture's order for the benchmarks.
LITERAL = ("neural_response", "update_network", "train_epoch")  # callees first
ROWS = ("forward_rows", "train_epoch", "train", "predict")


def kernels(**options):
    """The backend's six raw kernels, compiled with ``options``, by name."""
    literal = _compile(_reference, LITERAL, **options)
    rows = _compile(_rearranged, ROWS, **options)
    return dict(neural_response=literal["neural_response"],
                update_network=literal["update_network"],
                train_epoch_literal=literal["train_epoch"],
                train_epoch=rows["train_epoch"], train=rows["train"], predict=rows["predict"])


_kernels = kernels(**NUMBA_OPTIONS)
neural_response = _kernels["neural_response"]
update_network = _kernels["update_network"]
train_epoch_literal = _kernels["train_epoch_literal"]
train_epoch = _kernels["train_epoch"]
train = _kernels["train"]
predict = _kernels["predict"]

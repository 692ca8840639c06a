"""The opt-in ``fast`` backend: the ``numba`` backend's kernels compiled with ``fastmath=True``.

Same source, same loops, same compile helper as ``_numba.py``; only the LLVM flags differ.
``fastmath=True`` lets LLVM treat float64 arithmetic as if it were real arithmetic:

* reassociation: a sum ``((a + b) + c) + d`` may become ``(a + c) + (b + d)``, so dot
  products are split into SIMD lanes and several accumulators (the speed-up, and the
  difference: each sum's rounding changes);
* contraction: ``a * b + c`` may become one fused multiply-add, rounded once instead of
  twice (when the CPU has FMA);
* approximate functions (``afn``), reciprocals (``arcp``), and the assumption that no value
  is NaN or inf (``nnan``, ``ninf``) or the sign of zero matters (``nsz``).

So ``fast`` is *not* bit-identical to the ``python`` reference; it agrees within the
tolerances stated (with their reasons) in ``tests/test_fast.py``. That is why it is opt-in:
``loopmlp.get_backend("fast")`` works, but ``loopmlp.BACKENDS`` lists only the four backends
that compute the reference's numbers, and nothing selects ``fast`` by default. Note the
``ninf`` assumption: saturated units (net input past ``exp``'s overflow, where the others
compute ``1 / (1 + inf) = 0``) are outside what fastmath promises; they happen to come out
right on this machine and are tested, but the tolerances are the guarantee, not the bits.

Not cached on disk (``cache=False``), unlike ``numba``: numba's cache index is keyed on the
function's qualified name, source file and bytecode, not on the compile flags, and these
clones share all three with the ``numba`` backend's. Cached, whichever variant compiled
first would be loaded for both, in this and every later process -- measured: with the fast
kernels compiled first, the ``numba`` backend loaded fastmath code and lost bit-identity.
The price is compiling on first use in every process (about 3 s).
"""

from ._numba import NUMBA_OPTIONS, kernels

# fastmath=True is numba's "fast" flag set: nnan ninf nsz arcp contract afn reassoc.
FAST_OPTIONS = dict(NUMBA_OPTIONS, fastmath=True, cache=False)

_kernels = kernels(**FAST_OPTIONS)
neural_response = _kernels["neural_response"]
update_network = _kernels["update_network"]
train_epoch_literal = _kernels["train_epoch_literal"]
train_epoch = _kernels["train_epoch"]
train = _kernels["train"]
predict = _kernels["predict"]

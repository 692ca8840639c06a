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
worst-case rounding-error bounds stated, with their reasons, at the end of this module
(``atol``), checked by ``tests/test_fast.py``. That is why it is opt-in:
``loopmlp.get_backend("fast")`` works, but ``loopmlp.BACKENDS`` lists only the four backends
that compute the reference's numbers, and nothing selects ``fast`` by default. Note the
``ninf`` assumption: saturated units (net input past ``exp``'s overflow, where the others
compute ``1 / (1 + inf) = 0``) are outside what fastmath promises; they happen to come out
right on this machine and are tested, but the tolerances are the guarantee, not the bits.

Cached on disk under its own names: numba's cache index is keyed on the function's
qualified name, source file and bytecode, not on the compile flags, so without the hash of
the options in the clones' names (``_numba_cache.source_tag``) whichever variant compiled
first would be loaded for both: with the fast kernels compiled first, the ``numba``
backend would load fastmath code and lose bit-identity.
"""

import sys

from ._numba import NUMBA_OPTIONS, kernels

U = 2.0**-53  # unit roundoff of float64: every +, *, exp is exact to within a factor 1 +- U

# fastmath=True is numba's "fast" flag set: nnan ninf nsz arcp contract afn reassoc.
FAST_OPTIONS = dict(NUMBA_OPTIONS, fastmath=True)

_kernels = kernels(**FAST_OPTIONS)


def fma_kernels():
    """The FMA mode's kernels: these same ones. fastmath lets LLVM contract ``a * b + c``
    where it likes in either mode (its ``contract`` flag); the tolerances are the same."""
    return sys.modules[__name__]


neural_response = _kernels["neural_response"]
update_network = _kernels["update_network"]
train_epoch_literal = _kernels["train_epoch_literal"]
train_epoch = _kernels["train_epoch"]
train = _kernels["train"]
predict = _kernels["predict"]
net_response = _kernels["net_response"]
net_update = _kernels["net_update"]
net_train = _kernels["net_train"]
net_predict = _kernels["net_predict"]


# --- The stated tolerance: how far from the reference fast may be, and why ---------------------
# Worst-case, first-order rounding-error bounds on the reference's loops, for inputs in [0, 1),
# targets in [0, 1] and weights and biases in [-scale, scale]. tests/test_fast.py checks them
# (and states the measured differences); the benchmarks check fast against atol().


def forward_atol(shape, scale, dw=0.0):
    """Bounds on |fast - python| for ``hid`` and ``out`` of one forward pass.

    Inputs lie in [0, 1) and every weight and bias in [-scale, scale] (as in the tests'
    ``make_case`` and the benchmark workloads); ``dw`` bounds how far fast's weights are
    already off (0 unless training).
    """
    n_in, n_hid, n_out = shape
    # A net input sums n_in products and a bias, each of magnitude <= scale. Summed in any
    # order, with or without FMA, it is within (n+1) U sum|terms| of the exact sum (Higham,
    # Accuracy and Stability, 3.1), so two orders differ by at most twice that; weights off
    # by dw add (n_in+1) dw.
    val_h = 2 * (n_in + 1) * U * (n_in + 1) * scale + (n_in + 1) * dw
    # sigmoid's slope is at most 1/4; exp, the add and the divide round on each side
    hid = val_h / 4 + 8 * U
    # the output sum: its own reordering (terms hid * wo, |hid| <= 1), the hidden error
    # times sum |wo| <= n_hid scale, and the output weights' own error
    val_o = 2 * (n_hid + 1) * U * (n_hid + 1) * scale + n_hid * scale * hid + (n_hid + 1) * dw
    return hid, val_o / 4 + 8 * U


def update_atol(shape, scale, lrate):
    """Bound on |fast - python| for each weight after one ``update_network`` on equal inputs."""
    n_in, n_hid, n_out = shape
    # |delta_out| <= 1/4 (targets and outputs in [0, 1]); err_prop sums n_out terms
    # delta_out * wo of magnitude <= scale/4, so |delta_hid| <= n_out scale / 16. The largest
    # step a weight takes is lrate times the larger of the two.
    step = lrate * max(1 / 4, n_out * scale / 16)
    # The step differs by reordered products (a few U) and the reassociated err_prop sum
    # (2 n_out U): (2 n_out + 12) U relative. Then w + step rounds once (FMA) or twice: two
    # roundings of |w| <= scale + step.
    return (2 * n_out + 12) * U * step + 2 * U * (scale + step)


def training_atol(shape, scale, lrate, steps):
    """Bounds (weights, epoch MSE) after ``steps`` SGD steps, first order.

    Each step adds its own update error plus the forward pass's error carried through the
    update: the step's sensitivity to hid and out is at most lrate n_out scale. First order
    means earlier errors are not amplified by later forward passes: the worst-case growth per
    step, 1 + lrate times the gradient's Lipschitz constant (which grows like n_in n_out
    scale**2), gives no usable bound. The margin covers the growth: measured differences stay
    hundreds of times or more below this bound (tests/test_fast.py states them).
    """
    n_out = shape[2]
    # weights can grow by one step per step: bound them at the end of training
    big = scale + steps * lrate * max(1 / 4, n_out * scale / 16)
    hid, out = forward_atol(shape, big)
    dw = steps * (update_atol(shape, big, lrate) + lrate * n_out * big * (hid + out))
    # MSE: mean of err**2 with |err| <= 1: twice the output error, weights off by dw
    _, out_dw = forward_atol(shape, big, dw)
    return dw, 2 * out_dw + 4 * U


def atol(kernel, shape, rows=1, epochs=1, scale=1.0, lrate=0.1):
    """One bound on every number ``kernel`` produces (return value and updated weights)."""
    if kernel in ("neural_response", "predict"):
        return max(forward_atol(shape, scale))
    if kernel == "update_network":
        return update_atol(shape, scale, lrate)
    if kernel in ("train_epoch", "train_epoch_literal", "train"):
        return max(training_atol(shape, scale, lrate, steps=rows * epochs))
    raise ValueError(f"unknown kernel {kernel!r}")

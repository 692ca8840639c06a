"""The ``cython`` backend for this CPU: the AVX-512 build of ``_cython.pyx`` if the CPU has
AVX-512 (F and VL), else the AVX2 one if it has AVX2 and FMA, else the SSE2 one. All are the
same source (setup.py); importing a wider build on a CPU without its instructions could
crash, so the check runs in the SSE2 build.

The AVX-512 build runs float32 nets too: with 256-bit vectors and AVX-512's 32 registers, a
pass's 64 float32 sums take 8 registers, without the AVX2 build's spills (with 512-bit
vectors gcc paired two rows' sums in one register; setup.py)."""

import functools
import types

from ._cython import CPU_HAS_AVX2, CPU_HAS_AVX512

if CPU_HAS_AVX512:
    from . import _cython_avx512 as _widest
elif CPU_HAS_AVX2:
    from . import _cython_avx2 as _widest
else:
    from . import _cython as _widest

neural_response, update_network = _widest.neural_response, _widest.update_network
train, train_epoch = _widest.train, _widest.train_epoch
train_epoch_literal, predict = _widest.train_epoch_literal, _widest.predict
net_response, net_update = _widest.net_response, _widest.net_update
net_train, net_predict = _widest.net_train, _widest.net_predict


def fma_kernels():
    """The deep net's kernels in the FMA mode: the same build's, each multiply-add one
    ``fma`` (an instruction in the AVX2 and AVX-512 builds, the C library's exact ``fma`` in
    the SSE2 build)."""
    return types.SimpleNamespace(
        **{
            name: functools.partial(getattr(_widest, name), fma=True)
            for name in ("net_response", "net_update", "net_train", "net_predict")
        }
    )

"""The ``cython`` backend for this CPU: the AVX-512 build of ``_cython.pyx`` if the CPU has
AVX-512, else the AVX2 one if it has AVX2, else the SSE2 one. All are the same source
(setup.py); importing a wider build on a CPU without its instructions could crash, so the
check runs in the SSE2 build.

With AVX-512, a float32 net runs on the AVX2 build: gcc's SLP vectoriser, given 512-bit
registers, pairs two rows' 8 float sums in one register with an insert for every row and
weight; 784-512-10 ``net_predict`` on 2 threads, one process, interleaved: float32 13.8 us
a row with AVX-512 against 8.8 with AVX2, float64 10.2 against 19.5."""

from ._cython import CPU_HAS_AVX2, CPU_HAS_AVX512

if CPU_HAS_AVX2:
    from . import _cython_avx2 as _narrow
else:
    from . import _cython as _narrow
_wide = _narrow
if CPU_HAS_AVX512:
    from . import _cython_avx512 as _wide

neural_response, update_network = _wide.neural_response, _wide.update_network
train, train_epoch, train_epoch_literal = _wide.train, _wide.train_epoch, _wide.train_epoch_literal
predict = _wide.predict  # the lecture's net is float64


def _by_dtype(name):
    """The deep net's kernel ``name``: float32 nets on the narrow build, float64 on the wide;
    every deep kernel's first argument is data in the net's dtype. The wrapper costs 0.3 us
    a call on a 2-2-1 net (0.55 with a dtype comparison instead of itemsize), against about
    60 us for a call through ``get_backend``, whose checks run first."""
    wide, narrow = getattr(_wide, name), getattr(_narrow, name)
    if wide is narrow:
        return wide

    def kernel(data, *args, **kwargs):
        return (narrow if data.itemsize == 4 else wide)(data, *args, **kwargs)
    kernel.__name__ = kernel.__qualname__ = name
    kernel.__doc__ = wide.__doc__
    return kernel


net_response, net_update = _by_dtype("net_response"), _by_dtype("net_update")
net_train, net_predict = _by_dtype("net_train"), _by_dtype("net_predict")


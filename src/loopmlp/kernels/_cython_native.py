"""The ``cython`` backend for this CPU: the AVX-512 build of ``_cython.pyx`` if the CPU has
AVX-512, else the AVX2 one if it has AVX2, else the SSE2 one. All are the same source
(setup.py); importing a wider build on a CPU without its instructions could crash, so the
check runs in the SSE2 build."""

from ._cython import CPU_HAS_AVX2, CPU_HAS_AVX512

if CPU_HAS_AVX512:
    from ._cython_avx512 import (net_predict, net_response, net_train,  # noqa: F401
                                 net_update, neural_response, train, train_epoch,
                                 train_epoch_literal, update_network)
elif CPU_HAS_AVX2:
    from ._cython_avx2 import (net_predict, net_response, net_train, net_update,  # noqa: F401
                               neural_response, train, train_epoch, train_epoch_literal,
                               update_network)
else:
    from ._cython import (net_predict, net_response, net_train, net_update,  # noqa: F401
                          neural_response, train, train_epoch, train_epoch_literal,
                          update_network)
from ._reference import SIGMOID


def predict(X, wh, bh, wo, bo, threads=None):
    """The lecture's predict as the deep net's: the same sums, bias and sigmoid, through the
    deep net's panels (four rows a pass), as numba does. 784-512-10: 15.5 -> 15.8 us a row,
    no gain here: its 512 sigmoids a row (exp and a divide each) dominate."""
    return net_predict(X, (wh, wo), (bh, bo), SIGMOID, SIGMOID, threads)

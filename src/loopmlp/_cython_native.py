"""The ``cython`` backend for this CPU: the AVX2 build of ``_cython.pyx`` if the CPU has AVX2,
else the SSE2 one. Both are the same source (setup.py); importing the AVX2 build on a CPU
without AVX2 could crash, so the check runs in the SSE2 build."""

from ._cython import CPU_HAS_AVX2

if CPU_HAS_AVX2:
    from ._cython_avx2 import (net_predict, net_response, net_train, net_update,  # noqa: F401
                               neural_response, predict, train, train_epoch,
                               train_epoch_literal, update_network)
else:
    from ._cython import (net_predict, net_response, net_train, net_update,  # noqa: F401
                          neural_response, predict, train, train_epoch, train_epoch_literal,
                          update_network)

"""The kernels of every backend, side by side, so a student can diff them.

* ``_reference.py``: the lecture's loops in plain Python, the ``python`` backend and the
  spec every other backend is tested against.
* ``_rearranged.py``: the whole-run kernels (``train``, ``predict``, the deep net's
  ``net_train`` and ``net_predict``) with independent work reordered and every sum's terms
  kept in their order, so the bits stay the reference's.
* ``_numba.py``: both of the above compiled by numba (``_numba_cache.py`` keeps its on-disk
  cache safe across processes; ``_numba_fast.py`` is the opt-in fastmath variant).
* ``_cython.pyx``: the same loops in Cython, built three times (SSE2, AVX2 as
  ``_cython_avx2``, AVX-512 as ``_cython_avx512``); ``_cython_native.py`` picks the widest
  build the CPU has.
* ``_numpy.py``: the vectorised twin.

None of them checks its arguments: call them through ``loopmlp.get_backend``, which runs
``loopmlp._check`` first.
"""

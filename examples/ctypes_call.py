"""loopmlp's compiled kernels from ``ctypes``: what C code, or any language with a C FFI, calls.

``loopmlp.cython_kernels.KERNELS`` holds a capsule per raw kernel (the build for this CPU); its
pointer is a C function whose signature ``loopmlp/cython_kernels.pxd`` documents. The raw
kernels check nothing: the caller passes C-contiguous float64 arrays of the sizes it states.
The same pointers are in ``loopmlp.cython_kernels.__pyx_capi__`` (raw_*), named by their C
signature. This script checks the result against the ``python`` reference, bit for bit.

    python examples/ctypes_call.py
"""

import ctypes

import numpy as np

import loopmlp
from loopmlp import cython_kernels
from loopmlp.kernels import _reference

ctypes.pythonapi.PyCapsule_GetPointer.restype = ctypes.c_void_p
ctypes.pythonapi.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]

doubles = ctypes.POINTER(ctypes.c_double)
size = ctypes.c_ssize_t
# void neural_response(inp, wh, bh, wo, bo, hid, out, n_in, n_hid, n_out)
neural_response = ctypes.CFUNCTYPE(None, *[doubles] * 7, size, size, size)(
    ctypes.pythonapi.PyCapsule_GetPointer(cython_kernels.KERNELS["neural_response"], None)
)
# int update_network(inp, hid, out, err, wh, bh, wo, bo, lrate, n_in, n_hid, n_out)
update_network = ctypes.CFUNCTYPE(ctypes.c_int, *[doubles] * 8, ctypes.c_double, size, size, size)(
    ctypes.pythonapi.PyCapsule_GetPointer(cython_kernels.KERNELS["update_network"], None)
)


def ptr(a):
    assert a.dtype == np.float64 and a.flags.c_contiguous
    return a.ctypes.data_as(doubles)


def main():
    n_in, n_hid, n_out = 3, 5, 2
    wh, bh, wo, bo = loopmlp.init_weights(n_in, n_hid, n_out, seed=0)
    inp, tgt = np.array([0.5, -1.0, 2.0]), np.array([0.0, 1.0])
    hid, out = np.empty(n_hid), np.empty(n_out)
    neural_response(ptr(inp), ptr(wh), ptr(bh), ptr(wo), ptr(bo), ptr(hid), ptr(out),
                    n_in, n_hid, n_out)  # fmt: skip
    ref_hid, ref_out = _reference.neural_response(inp, wh, bh, wo, bo)
    assert np.array_equal(hid, ref_hid) and np.array_equal(out, ref_out)

    ref_weights = [w.copy() for w in (wh, bh, wo, bo)]
    err = tgt - out
    status = update_network(ptr(inp), ptr(hid), ptr(out), ptr(err), ptr(wh), ptr(bh), ptr(wo),
                            ptr(bo), 0.5, n_in, n_hid, n_out)  # fmt: skip
    assert status == 0
    _reference.update_network(inp, ref_hid, ref_out, tgt - ref_out, *ref_weights, 0.5)
    assert all(np.array_equal(w, r) for w, r in zip((wh, bh, wo, bo), ref_weights))
    print("neural_response and update_network through ctypes: bit-identical to the reference")


if __name__ == "__main__":
    main()

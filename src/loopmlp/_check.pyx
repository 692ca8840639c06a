# cython: boundscheck=False, wraparound=False
"""Argument checks for every public kernel, written once for all backends.

Compiled because it runs on every per-sample call: checking nine arguments here costs
about 0.1 us, the same checks in interpreted Python about 3 us, more than the kernels.

The rules (the README's "Bad input" section states them for users):

* weights ``wh (n_hid, n_in)``, ``bh (n_hid,)``, ``wo (n_out, n_hid)``, ``bo (n_out,)``:
  float64 ndarrays, C-contiguous and aligned, never converted (an update must not land on a
  copy); writeable and not overlapping each other or the data where a kernel updates them.
* data (``inp``, ``hid``, ``out``, ``err``, ``X``, ``Y``): anything NumPy turns into a
  bool/int/float array of at most 64-bit floats, converted to float64 exactly as the
  reference's float64 arithmetic would; the right shape, at least one row, no NaN or inf.
* ``lrate``: a real number, finite and > 0; ``epochs``: an integer >= 1.

Every check runs before any kernel touches a weight; failures raise ``TypeError`` (wrong
kind of object or dtype) or ``ValueError`` (wrong shape, layout, or value), naming the
argument.
"""

import numpy as np

cimport numpy as cnp
from libc.math cimport isfinite

cnp.import_array()


cdef str _shape(tuple shape):
    return "(" + ", ".join([str(n) for n in shape]) + ("," if len(shape) == 1 else "") + ")"


cdef str _shape_of(object a):
    return _shape(a.shape)


cdef cnp.ndarray _weight(str name, object a, int ndim, bint writeable):
    if not cnp.PyArray_Check(a):
        raise TypeError(f"{name} must be a float64 numpy array, got {type(a).__name__}")
    cdef cnp.ndarray arr = <cnp.ndarray>a
    if cnp.PyArray_TYPE(arr) != cnp.NPY_DOUBLE or not cnp.PyArray_ISNOTSWAPPED(arr):
        raise TypeError(f"{name} must be a float64 array, got dtype {arr.dtype}; weights are "
                        f"updated in place, so loopmlp never converts them")
    if cnp.PyArray_NDIM(arr) != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {_shape_of(arr)}")
    if not (cnp.PyArray_IS_C_CONTIGUOUS(arr) and cnp.PyArray_ISALIGNED(arr)):
        raise ValueError(f"{name} must be C-contiguous and aligned (np.ascontiguousarray "
                         f"makes such a copy; keep the copy, updates land in it)")
    if writeable and not cnp.PyArray_ISWRITEABLE(arr):
        raise ValueError(f"{name} is read-only; it is updated in place")
    return arr


cdef tuple _net(object wh, object bh, object wo, object bo, bint writeable):
    cdef cnp.ndarray wh_ = _weight("wh", wh, 2, writeable)
    cdef cnp.ndarray bh_ = _weight("bh", bh, 1, writeable)
    cdef cnp.ndarray wo_ = _weight("wo", wo, 2, writeable)
    cdef cnp.ndarray bo_ = _weight("bo", bo, 1, writeable)
    cdef Py_ssize_t n_hid = cnp.PyArray_DIM(wh_, 0), n_in = cnp.PyArray_DIM(wh_, 1)
    cdef Py_ssize_t n_out = cnp.PyArray_DIM(wo_, 0)
    if n_hid == 0 or n_in == 0 or n_out == 0:
        raise ValueError(f"the net needs at least one node per layer, got wh "
                         f"{_shape_of(wh_)} and wo {_shape_of(wo_)}")
    if cnp.PyArray_DIM(wo_, 1) != n_hid:
        raise ValueError(f"wo has shape {_shape_of(wo_)}, expected ({n_out}, {n_hid}) "
                         f"to match wh {_shape_of(wh_)}")
    if cnp.PyArray_DIM(bh_, 0) != n_hid:
        raise ValueError(f"bh has shape {_shape_of(bh_)}, expected ({n_hid},) to match "
                         f"wh {_shape_of(wh_)}")
    if cnp.PyArray_DIM(bo_, 0) != n_out:
        raise ValueError(f"bo has shape {_shape_of(bo_)}, expected ({n_out},) to match "
                         f"wo {_shape_of(wo_)}")
    return n_in, n_hid, n_out


cdef cnp.ndarray _data(str name, object a, tuple shape):
    """``a`` as a float64 C-contiguous array of ``shape`` (-1: any length >= 1), all finite."""
    cdef cnp.ndarray arr
    if (cnp.PyArray_Check(a) and cnp.PyArray_TYPE(<cnp.ndarray>a) == cnp.NPY_DOUBLE
            and cnp.PyArray_ISCARRAY_RO(<cnp.ndarray>a)
            and cnp.PyArray_ISNOTSWAPPED(<cnp.ndarray>a)):
        arr = <cnp.ndarray>a
    else:
        try:
            arr = np.asarray(a)
        except Exception as e:
            raise TypeError(f"{name} must be a numeric array: {e}") from None
        if arr.dtype.kind not in "biuf" or (arr.dtype.kind == "f" and arr.dtype.itemsize > 8):
            raise TypeError(f"{name} must hold real numbers of at most 64 bits, got dtype "
                            f"{arr.dtype}")
        arr = np.ascontiguousarray(arr, dtype=np.float64)
    cdef int ndim = len(shape)
    cdef Py_ssize_t k
    if cnp.PyArray_NDIM(arr) != ndim:
        raise ValueError(f"{name} must be {ndim}-D with shape {_expected(shape)}, got "
                         f"shape {_shape_of(arr)}")
    for k in range(ndim):
        if shape[k] == -1:
            if cnp.PyArray_DIM(arr, k) == 0:
                raise ValueError(f"{name} is empty: it needs at least one row")
        elif cnp.PyArray_DIM(arr, k) != shape[k]:
            raise ValueError(f"{name} has shape {_shape_of(arr)}, expected "
                             f"{_expected(shape)} to match the weights")
    cdef const double* p = <const double*>cnp.PyArray_DATA(arr)
    cdef Py_ssize_t i, bad = -1, n = cnp.PyArray_SIZE(arr)
    with nogil:
        for i in range(n):
            if not isfinite(p[i]):
                bad = i
                break
    if bad >= 0:
        where = tuple(int(j) for j in np.unravel_index(bad, (<object>arr).shape))
        raise ValueError(f"{name} contains NaN or inf (first at index {_shape(where)})")
    return arr


cdef str _expected(tuple shape):
    return _shape(tuple(["n" if n == -1 else n for n in shape]))


cdef double _lrate(object lrate) except -1.0:
    if isinstance(lrate, bool) or not isinstance(lrate, (float, int, np.floating, np.integer)):
        raise TypeError(f"lrate must be a real number, got {type(lrate).__name__}")
    cdef double value = float(lrate)
    if not (isfinite(value) and value > 0.0):
        raise ValueError(f"lrate must be finite and > 0, got {lrate!r}")
    return value


cdef void _no_overlap(tuple written, tuple others) except *:
    """An in-place update must not write into another argument (or the data it reads)."""
    cdef cnp.ndarray a, b
    cdef char* a0
    cdef char* b0
    cdef Py_ssize_t i, j
    for i in range(len(written)):
        a = written[i][1]
        a0 = <char*>cnp.PyArray_DATA(a)
        for j in range(len(written) + len(others)):
            if j == i:
                continue
            b = written[j][1] if j < len(written) else others[j - len(written)][1]
            b0 = <char*>cnp.PyArray_DATA(b)
            if a0 < b0 + cnp.PyArray_NBYTES(b) and b0 < a0 + cnp.PyArray_NBYTES(a):
                name = written[j][0] if j < len(written) else others[j - len(written)][0]
                raise ValueError(f"{written[i][0]} shares memory with {name}; "
                                 f"{written[i][0]} is updated in place")


# One function per public kernel: each returns the arguments the kernel should receive.

def neural_response(inp, wh, bh, wo, bo):
    n_in, n_hid, n_out = _net(wh, bh, wo, bo, False)
    return _data("inp", inp, (n_in,))


def update_network(inp, hid, out, err, wh, bh, wo, bo, lrate):
    n_in, n_hid, n_out = _net(wh, bh, wo, bo, True)
    inp = _data("inp", inp, (n_in,))
    hid = _data("hid", hid, (n_hid,))
    out = _data("out", out, (n_out,))
    err = _data("err", err, (n_out,))
    lr = _lrate(lrate)
    _no_overlap((("wh", wh), ("bh", bh), ("wo", wo), ("bo", bo)),
                (("inp", inp), ("hid", hid), ("out", out), ("err", err)))
    return inp, hid, out, err, lr


def train_epoch(X, Y, wh, bh, wo, bo, lrate):
    n_in, n_hid, n_out = _net(wh, bh, wo, bo, True)
    X = _data("X", X, (-1, n_in))
    Y = _data("Y", Y, (-1, n_out))
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but Y has {Y.shape[0]}")
    lr = _lrate(lrate)
    _no_overlap((("wh", wh), ("bh", bh), ("wo", wo), ("bo", bo)), (("X", X), ("Y", Y)))
    return X, Y, lr


def train(X, Y, wh, bh, wo, bo, lrate, epochs):
    X, Y, lr = train_epoch(X, Y, wh, bh, wo, bo, lrate)
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)):
        raise TypeError(f"epochs must be an integer, got {type(epochs).__name__}")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    return X, Y, lr, int(epochs)


def predict(X, wh, bh, wo, bo):
    n_in, n_hid, n_out = _net(wh, bh, wo, bo, False)
    return _data("X", X, (-1, n_in))

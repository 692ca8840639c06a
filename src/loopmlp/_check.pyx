"""Argument checks for every public kernel, written once for all backends.

Compiled because it runs on every per-sample call: in interpreted Python the checks would
cost more than the kernels; compiled, most of their cost is the Python call itself.

The rules (the README's "Bad input" section states them for users):

* weights ``wh (n_hid, n_in)``, ``bh (n_hid,)``, ``wo (n_out, n_hid)``, ``bo (n_out,)``:
  float64 ndarrays, C-contiguous and aligned, never converted (an update must not land on a
  copy); writeable and not overlapping each other or the data where a kernel updates them.
* data (``inp``, ``hid``, ``out``, ``err``, ``X``, ``Y``): anything NumPy turns into a
  bool/int/float array of at most 64-bit floats, converted to float64 exactly as the
  reference's float64 arithmetic would; the right shape, at least one row, no NaN or inf.
* ``lrate``: a real number, finite and > 0; ``epochs``: an integer >= 1.
* the floating-point environment (``fp_env``): round-to-nearest, subnormals kept (no
  flush-to-zero, no denormals-are-zero), which every loop backend's bits assume; a library
  built with ``-ffast-math`` may switch them off for the whole process when it loads.

Every check runs before any kernel touches a weight; failures raise ``TypeError`` (wrong
kind of object or dtype) or ``ValueError`` (wrong shape, layout, or value), naming the
argument, or ``FloatingPointError`` for the environment.
"""

import numpy as np

cimport numpy as cnp
from cython cimport floating
from cpython.float cimport PyFloat_AS_DOUBLE, PyFloat_CheckExact
from libc.math cimport isfinite
from libc.stdint cimport uint32_t, uint64_t
from libc.string cimport memcpy

cnp.import_array()

# The floating-point environment, read in a few nanoseconds: on x86-64 the SSE control
# register MXCSR (where FTZ is bit 15, DAZ bit 6, the rounding mode bits 13-14), which
# governs every double operation of Python, NumPy, numba's and Cython's code; elsewhere the
# C99 rounding mode and two operations on subnormals, kept from being folded at compile time.
cdef extern from *:
    """
    #if defined(__x86_64__) || defined(_M_X64)
    #include <xmmintrin.h>
    static int loopmlp_fp_env(void) {
        unsigned int csr = _mm_getcsr();
        return ((csr & 0x8040u) ? 1 : 0) | ((csr & 0x6000u) ? 2 : 0);
    }
    #else
    #include <fenv.h>
    static int loopmlp_fp_env(void) {
        volatile double smallest_normal = 2.2250738585072014e-308, subnormal = 5e-324;
        int flushes = smallest_normal * 0.5 == 0.0 || subnormal + 0.0 == 0.0;
        return (flushes ? 1 : 0) | (fegetround() != FE_TONEAREST ? 2 : 0);
    }
    #endif
    """
    int loopmlp_fp_env() noexcept nogil


cdef int _fp_env() except -1:
    cdef int env = loopmlp_fp_env()
    if env:
        if env & 1:
            what = ("flushes subnormal numbers to zero (FTZ/DAZ: a library built with "
                    "-ffast-math or -Ofast may have switched it on when it loaded)")
        else:
            what = "rounds other than to nearest (fesetround)"
        raise FloatingPointError(
            "loopmlp: this process's floating-point environment " + what + "; loopmlp's "
            "kernels compute their promised bits only in IEEE-754's default environment")
    return 0


def fp_env():
    """Raise ``FloatingPointError`` unless the floating-point environment is IEEE-754's
    default: round-to-nearest, subnormals kept (no FTZ, no DAZ). Every checked kernel call
    runs it first; about as cheap as a Python call."""
    _fp_env()


# The usual case (float64 C-contiguous arrays, a float lrate) runs in plain C: shapes pass as
# C integers, not tuples, and each group of checks is one inlined test. The step-by-step
# checks (_net_error with _weight, _convert, _overlap_error) run only to convert an argument
# or to name what is wrong. Apart from the returned tuple no Python object is made.

cdef enum:
    ANY = -1  # a data length that may be anything >= 1 (the rows of X and Y)


cdef struct Net:
    Py_ssize_t n_in, n_hid, n_out


cdef struct Span:  # the bytes of one array, for the overlap check
    char* lo
    char* hi


cdef str _shape(tuple shape):
    return "(" + ", ".join([str(n) for n in shape]) + ("," if len(shape) == 1 else "") + ")"


cdef str _shape_of(object a):
    return _shape(a.shape)


cdef inline bint _is_weight(object a, int ndim, bint writeable) noexcept:
    """Whether ``_weight`` accepts ``a``, in one test."""
    return (cnp.PyArray_Check(a) and cnp.PyArray_TYPE(<cnp.ndarray>a) == cnp.NPY_DOUBLE
            and cnp.PyArray_NDIM(<cnp.ndarray>a) == ndim
            and cnp.PyArray_ISCARRAY_RO(<cnp.ndarray>a)  # also checks the byte order
            and (not writeable or cnp.PyArray_ISWRITEABLE(<cnp.ndarray>a)))


cdef int _weight(str name, object a, int ndim, bint writeable) except -1:
    """The checks of one weight array, one at a time, to raise the first that fails."""
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
    return 0


cdef inline int _net(object wh, object bh, object wo, object bo, bint writeable,
                     Net* net) except -1:
    """Check the weights and store the net's layer sizes in ``net``."""
    # Every check at once, inlined, for the usual case: a call per check costs more than it.
    if (_is_weight(wh, 2, writeable) and _is_weight(bh, 1, writeable)
            and _is_weight(wo, 2, writeable) and _is_weight(bo, 1, writeable)):
        net.n_hid = cnp.PyArray_DIM(<cnp.ndarray>wh, 0)
        net.n_in = cnp.PyArray_DIM(<cnp.ndarray>wh, 1)
        net.n_out = cnp.PyArray_DIM(<cnp.ndarray>wo, 0)
        if (net.n_in > 0 and net.n_hid > 0 and net.n_out > 0
                and cnp.PyArray_DIM(<cnp.ndarray>wo, 1) == net.n_hid
                and cnp.PyArray_DIM(<cnp.ndarray>bh, 0) == net.n_hid
                and cnp.PyArray_DIM(<cnp.ndarray>bo, 0) == net.n_out):
            return 0
    return _net_error(wh, bh, wo, bo, writeable, net)


cdef int _net_error(object wh, object bh, object wo, object bo, bint writeable,
                    Net* net) except -1:
    """The checks of ``_net`` one at a time, to raise the first that fails."""
    _weight("wh", wh, 2, writeable)
    _weight("bh", bh, 1, writeable)
    _weight("wo", wo, 2, writeable)
    _weight("bo", bo, 1, writeable)
    cdef cnp.ndarray wh_ = <cnp.ndarray>wh, bh_ = <cnp.ndarray>bh
    cdef cnp.ndarray wo_ = <cnp.ndarray>wo, bo_ = <cnp.ndarray>bo
    net.n_in, net.n_hid = cnp.PyArray_DIM(wh_, 1), cnp.PyArray_DIM(wh_, 0)
    net.n_out = cnp.PyArray_DIM(wo_, 0)
    if net.n_hid == 0 or net.n_in == 0 or net.n_out == 0:
        raise ValueError(f"the net needs at least one node per layer, got wh "
                         f"{_shape_of(wh_)} and wo {_shape_of(wo_)}")
    if cnp.PyArray_DIM(wo_, 1) != net.n_hid:
        raise ValueError(f"wo has shape {_shape_of(wo_)}, expected "
                         f"({net.n_out}, {net.n_hid}) to match wh {_shape_of(wh_)}")
    if cnp.PyArray_DIM(bh_, 0) != net.n_hid:
        raise ValueError(f"bh has shape {_shape_of(bh_)}, expected ({net.n_hid},) to match "
                         f"wh {_shape_of(wh_)}")
    if cnp.PyArray_DIM(bo_, 0) != net.n_out:
        raise ValueError(f"bo has shape {_shape_of(bo_)}, expected ({net.n_out},) to match "
                         f"wo {_shape_of(wo_)}")
    return 0


cdef inline object _data(str name, object a, int ndim, Py_ssize_t d0, Py_ssize_t d1=0,
                         bint scan=True):
    """``a`` as a float64 C-contiguous array of shape ``(d0,)`` or ``(d0, d1)``, all finite
    (not scanned for NaN and inf with ``scan=False``: the kernel does it).

    A length of ``ANY`` means any length >= 1.
    """
    # Every check at once, inlined, for the usual case: a float64 C array to pass on as is.
    if (cnp.PyArray_Check(a) and cnp.PyArray_TYPE(<cnp.ndarray>a) == cnp.NPY_DOUBLE
            and cnp.PyArray_ISCARRAY_RO(<cnp.ndarray>a)  # also checks the byte order
            and cnp.PyArray_NDIM(<cnp.ndarray>a) == ndim
            and (cnp.PyArray_DIM(<cnp.ndarray>a, 0) == d0
                 or (d0 == ANY and cnp.PyArray_DIM(<cnp.ndarray>a, 0) > 0))
            and (ndim == 1 or cnp.PyArray_DIM(<cnp.ndarray>a, 1) == d1)
            and (not scan
                 or _first_nonfinite(<const double*>cnp.PyArray_DATA(<cnp.ndarray>a),
                                     _size(<cnp.ndarray>a, ndim)) < 0)):
        return a
    return _convert(name, a, ndim, d0, d1, scan)


cdef inline Py_ssize_t _size(cnp.ndarray a, int ndim) noexcept:
    """The number of values in the 1-D or 2-D ``a``, without PyArray_SIZE's call into NumPy."""
    return cnp.PyArray_DIM(a, 0) * (cnp.PyArray_DIM(a, 1) if ndim == 2 else 1)


cdef cnp.ndarray _convert(str name, object a, int ndim, Py_ssize_t d0, Py_ssize_t d1,
                          bint scan):
    """The checks of ``_data`` one at a time: convert ``a`` or raise the first that fails."""
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
    cdef Py_ssize_t shape[2]
    shape[0] = d0
    shape[1] = d1
    cdef Py_ssize_t k
    if cnp.PyArray_NDIM(arr) != ndim:
        raise ValueError(f"{name} must be {ndim}-D with shape {_expected(shape, ndim)}, got "
                         f"shape {_shape_of(arr)}")
    for k in range(ndim):
        if shape[k] == ANY:
            if cnp.PyArray_DIM(arr, k) == 0:
                raise ValueError(f"{name} is empty: it needs at least one row")
        elif cnp.PyArray_DIM(arr, k) != shape[k]:
            raise ValueError(f"{name} has shape {_shape_of(arr)}, expected "
                             f"{_expected(shape, ndim)} to match the weights")
    cdef Py_ssize_t bad = -1
    if scan:
        bad = _first_nonfinite(<const double*>cnp.PyArray_DATA(arr), _size(arr, ndim))
    if bad >= 0:
        where = tuple(int(j) for j in np.unravel_index(bad, (<object>arr).shape))
        raise ValueError(f"{name} contains NaN or inf (first at index {_shape(where)})")
    return arr


cdef inline Py_ssize_t _first_nonfinite(const floating* p, Py_ssize_t n) noexcept:
    """The index of the first NaN or inf in ``p[:n]``, or -1."""
    cdef Py_ssize_t i
    if n < 4096:  # releasing the GIL costs more than checking a per-sample vector
        for i in range(n):
            if not isfinite(p[i]):
                return i
        return -1
    with nogil:
        return _first_nonfinite_long(p, n)


def first_nonfinite(cnp.ndarray a) -> int:
    """The flat index of the first NaN or inf in ``a`` (float64 or float32, C-contiguous), or
    -1."""
    if not cnp.PyArray_ISCARRAY_RO(a):  # also checks the byte order
        raise TypeError("first_nonfinite takes a C-contiguous float64 or float32 array")
    if cnp.PyArray_TYPE(a) == cnp.NPY_DOUBLE:
        return _first_nonfinite(<const double*>cnp.PyArray_DATA(a), cnp.PyArray_SIZE(a))
    if cnp.PyArray_TYPE(a) == cnp.NPY_FLOAT:  # a float32 net's weights and data
        return _first_nonfinite(<const float*>cnp.PyArray_DATA(a), cnp.PyArray_SIZE(a))
    raise TypeError("first_nonfinite takes a C-contiguous float64 or float32 array")


cdef Py_ssize_t _first_nonfinite_long(const floating* p, Py_ssize_t n) noexcept nogil:
    # A loop that can stop at any value is not vectorised, so test blocks of values with
    # integer operations SSE2 has: a double is NaN or inf when its 11 exponent bits are all
    # ones (a float32 its 8), and exactly then adding one to them carries into the sign bit.
    # About twice as fast as isfinite() value by value on a (16384, 60) X.
    cdef uint64_t exponent, exponent_one, bits, carry
    cdef uint32_t bits32
    cdef int sign
    if floating is double:
        exponent, exponent_one, sign = 0x7ff0000000000000, 0x0010000000000000, 63
    else:
        exponent, exponent_one, sign = 0x7f800000, 0x00800000, 31
    cdef Py_ssize_t start, i
    for start in range(0, n, 256):
        carry = 0
        for i in range(start, min(start + 256, n)):
            # the bits of p[i] without breaking aliasing
            if floating is double:
                memcpy(&bits, &p[i], sizeof(double))
            else:
                memcpy(&bits32, &p[i], sizeof(float))
                bits = bits32
            carry |= (bits & exponent) + exponent_one
        if carry >> sign:
            for i in range(start, min(start + 256, n)):
                if not isfinite(p[i]):
                    return i
    return -1


cdef str _expected(const Py_ssize_t* shape, int ndim):
    return _shape(tuple(["n" if shape[k] == ANY else shape[k] for k in range(ndim)]))


cdef object _lrate(object lrate):
    """``float(lrate)``, checked."""
    cdef object value
    if PyFloat_CheckExact(lrate):  # the usual case, and float(lrate) would return it as is
        value = lrate
    elif (isinstance(lrate, bool)
          or not isinstance(lrate, (float, int, np.floating, np.integer))):
        raise TypeError(f"lrate must be a real number, got {type(lrate).__name__}")
    else:
        value = float(lrate)
    cdef double v = PyFloat_AS_DOUBLE(value)
    if not (isfinite(v) and v > 0.0):
        raise ValueError(f"lrate must be finite and > 0, got {lrate!r}")
    return value


cdef inline Span _span(object a, Py_ssize_t size) noexcept:
    """The bytes of the checked float64 array ``a`` of ``size`` elements."""
    cdef char* lo = <char*>cnp.PyArray_DATA(<cnp.ndarray>a)
    return Span(lo, lo + size * sizeof(double))


cdef inline int _no_overlap(const Span* spans, int n, int n_written, tuple names) except -1:
    """An in-place update must not write into another argument (or the data it reads).

    ``spans[:n]`` hold the bytes of the arguments ``names``; the first ``n_written`` are
    the ones updated in place.
    """
    cdef int i, j
    cdef bint hit = False
    # Branch-free, and inlined so the compiler sees a constant n and unrolls: which of two
    # addresses is lower is a coin toss, so testing pair by pair mispredicts often. Overlap
    # is symmetric, so j > i covers every pair.
    for i in range(n_written):
        for j in range(i + 1, n):
            hit |= (spans[i].lo < spans[j].hi) & (spans[j].lo < spans[i].hi)
    if hit:
        return _overlap_error(spans, n, n_written, names)
    return 0


cdef int _overlap_error(const Span* spans, int n, int n_written, tuple names) except -1:
    """Raise for the first overlapping pair, in the order the message names it."""
    cdef int i, j
    for i in range(n_written):
        for j in range(n):
            if j != i and spans[i].lo < spans[j].hi and spans[j].lo < spans[i].hi:
                raise ValueError(f"{names[i]} shares memory with {names[j]}; "
                                 f"{names[i]} is updated in place")
    return 0


# One function per public kernel: each returns the arguments the kernel should receive.

def neural_response(inp, wh, bh, wo, bo):
    cdef Net net
    _fp_env()
    _net(wh, bh, wo, bo, False, &net)
    return _data("inp", inp, 1, net.n_in)


def update_network(inp, hid, out, err, wh, bh, wo, bo, lrate):
    cdef Net net
    _fp_env()
    _net(wh, bh, wo, bo, True, &net)
    inp = _data("inp", inp, 1, net.n_in)
    hid = _data("hid", hid, 1, net.n_hid)
    out = _data("out", out, 1, net.n_out)
    err = _data("err", err, 1, net.n_out)
    lr = _lrate(lrate)
    cdef Span spans[8]
    spans[:] = [_span(wh, net.n_hid * net.n_in), _span(bh, net.n_hid),
                _span(wo, net.n_out * net.n_hid), _span(bo, net.n_out), _span(inp, net.n_in),
                _span(hid, net.n_hid), _span(out, net.n_out), _span(err, net.n_out)]
    _no_overlap(spans, 8, 4, ("wh", "bh", "wo", "bo", "inp", "hid", "out", "err"))
    return inp, hid, out, err, lr


def train_epoch(X, Y, wh, bh, wo, bo, lrate):
    cdef Net net
    _fp_env()
    _net(wh, bh, wo, bo, True, &net)
    X = _data("X", X, 2, ANY, net.n_in)
    Y = _data("Y", Y, 2, ANY, net.n_out)
    cdef Py_ssize_t n_x = cnp.PyArray_DIM(<cnp.ndarray>X, 0)
    cdef Py_ssize_t n_y = cnp.PyArray_DIM(<cnp.ndarray>Y, 0)
    if n_y != n_x:
        raise ValueError(f"X has {n_x} rows but Y has {n_y}")
    lr = _lrate(lrate)
    cdef Span spans[6]
    spans[:] = [_span(wh, net.n_hid * net.n_in), _span(bh, net.n_hid),
                _span(wo, net.n_out * net.n_hid), _span(bo, net.n_out),
                _span(X, n_x * net.n_in), _span(Y, n_y * net.n_out)]
    _no_overlap(spans, 6, 4, ("wh", "bh", "wo", "bo", "X", "Y"))
    return X, Y, lr


def train(X, Y, wh, bh, wo, bo, lrate, epochs):
    X, Y, lr = train_epoch(X, Y, wh, bh, wo, bo, lrate)
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)):
        raise TypeError(f"epochs must be an integer, got {type(epochs).__name__}")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    return X, Y, lr, int(epochs)


def predict(X, wh, bh, wo, bo, bint scan=True):
    cdef Net net
    _fp_env()
    _net(wh, bh, wo, bo, False, &net)
    return _data("X", X, 2, ANY, net.n_in, scan)

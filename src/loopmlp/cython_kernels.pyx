"""The cython backend's kernels for ``cimport loopmlp.cython_kernels``; see the ``.pxd``.

Each function calls the kernel of the build ``loopmlp.kernels._cython_native`` chose, through
a pointer taken from that build's capsules (``CAPI``) when this module is imported: scipy's
``cython_blas`` does the same with BLAS. The checked forms run their checks, then the raw
form. ``KERNELS`` holds the raw forms' capsules, by name, for C callers and ``ctypes``.
"""

from cpython.pycapsule cimport PyCapsule_GetPointer
from libc.math cimport isfinite

from .kernels import _cython_native

ctypedef void (*neural_response_t)(const double*, const double*, const double*, const double*,
                                   const double*, double*, double*, Py_ssize_t, Py_ssize_t,
                                   Py_ssize_t) noexcept nogil
ctypedef int (*update_network_t)(const double*, const double*, const double*, const double*,
                                 double*, double*, double*, double*, double, Py_ssize_t,
                                 Py_ssize_t, Py_ssize_t) noexcept nogil
ctypedef int (*train_epoch_t)(const double*, const double*, double*, double*, double*,
                              double*, double, double*, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                              Py_ssize_t) noexcept nogil
ctypedef int (*train_t)(const double*, const double*, double*, double*, double*, double*,
                        double, Py_ssize_t, double*, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                        Py_ssize_t) noexcept nogil
ctypedef int (*predict_t)(const double*, const double*, const double*, const double*,
                          const double*, double*, Py_ssize_t, Py_ssize_t, Py_ssize_t,
                          Py_ssize_t) noexcept nogil
ctypedef void (*net_response_t)(const double*, double**, double**, int, int, double**,
                                const Py_ssize_t*, Py_ssize_t) noexcept nogil
ctypedef void (*net_response_float_t)(const float*, float**, float**, int, int, float**,
                                      const Py_ssize_t*, Py_ssize_t) noexcept nogil
ctypedef void (*net_update_t)(const double*, double**, const double*, double**, double**, int,
                              int, int, double, double**, const Py_ssize_t*,
                              Py_ssize_t) noexcept nogil
ctypedef void (*net_update_float_t)(const float*, float**, const float*, float**, float**,
                                    int, int, int, float, float**, const Py_ssize_t*,
                                    Py_ssize_t) noexcept nogil
ctypedef int (*net_predict_t)(const double*, double**, double**, int, int, double*,
                              const Py_ssize_t*, Py_ssize_t, Py_ssize_t) noexcept nogil
ctypedef int (*net_predict_float_t)(const float*, float**, float**, int, int, float*,
                                    const Py_ssize_t*, Py_ssize_t, Py_ssize_t) noexcept nogil


cdef void* _pointer(str name) except NULL:
    return PyCapsule_GetPointer(_cython_native._widest.CAPI[name], NULL)


cdef neural_response_t _neural_response = <neural_response_t>_pointer("neural_response")
cdef update_network_t _update_network = <update_network_t>_pointer("update_network")
cdef train_epoch_t _train_epoch = <train_epoch_t>_pointer("train_epoch")
cdef train_t _train = <train_t>_pointer("train")
cdef predict_t _predict = <predict_t>_pointer("predict")
cdef net_response_t _net_response = <net_response_t>_pointer("net_response_double")
cdef net_response_float_t _net_response_float = \
    <net_response_float_t>_pointer("net_response_float")
cdef net_update_t _net_update = <net_update_t>_pointer("net_update_double")
cdef net_update_float_t _net_update_float = <net_update_float_t>_pointer("net_update_float")
cdef net_predict_t _net_predict = <net_predict_t>_pointer("net_predict_double")
cdef net_predict_float_t _net_predict_float = \
    <net_predict_float_t>_pointer("net_predict_float")


# --- Raw ------------------------------------------------------------------------------------

cdef void raw_neural_response(const double* inp, const double* wh, const double* bh,
                              const double* wo, const double* bo, double* hid, double* out,
                              Py_ssize_t n_in, Py_ssize_t n_hid,
                              Py_ssize_t n_out) noexcept nogil:
    _neural_response(inp, wh, bh, wo, bo, hid, out, n_in, n_hid, n_out)


cdef int raw_update_network(const double* inp, const double* hid, const double* out,
                            const double* err, double* wh, double* bh, double* wo,
                            double* bo, double lrate, Py_ssize_t n_in, Py_ssize_t n_hid,
                            Py_ssize_t n_out) noexcept nogil:
    return _update_network(inp, hid, out, err, wh, bh, wo, bo, lrate, n_in, n_hid, n_out)


cdef int raw_train_epoch(const double* X, const double* Y, double* wh, double* bh,
                         double* wo, double* bo, double lrate, double* mse,
                         Py_ssize_t n_samples, Py_ssize_t n_in, Py_ssize_t n_hid,
                         Py_ssize_t n_out) noexcept nogil:
    return _train_epoch(X, Y, wh, bh, wo, bo, lrate, mse, n_samples, n_in, n_hid, n_out)


cdef int raw_train(const double* X, const double* Y, double* wh, double* bh, double* wo,
                   double* bo, double lrate, Py_ssize_t num_epochs, double* mses,
                   Py_ssize_t n_samples, Py_ssize_t n_in, Py_ssize_t n_hid,
                   Py_ssize_t n_out) noexcept nogil:
    return _train(X, Y, wh, bh, wo, bo, lrate, num_epochs, mses, n_samples, n_in, n_hid,
                  n_out)


cdef int raw_predict(const double* X, const double* wh, const double* bh, const double* wo,
                     const double* bo, double* Y_hat, Py_ssize_t n_samples, Py_ssize_t n_in,
                     Py_ssize_t n_hid, Py_ssize_t n_out) noexcept nogil:
    return _predict(X, wh, bh, wo, bo, Y_hat, n_samples, n_in, n_hid, n_out)


cdef void raw_net_response(const double* inp, double** weights, double** biases, int hidden,
                           int output, double** acts, const Py_ssize_t* sizes,
                           Py_ssize_t num_layers) noexcept nogil:
    _net_response(inp, weights, biases, hidden, output, acts, sizes, num_layers)


cdef void raw_net_response_float(const float* inp, float** weights, float** biases,
                                 int hidden, int output, float** acts,
                                 const Py_ssize_t* sizes,
                                 Py_ssize_t num_layers) noexcept nogil:
    _net_response_float(inp, weights, biases, hidden, output, acts, sizes, num_layers)


cdef void raw_net_update(const double* inp, double** acts, const double* tgt,
                         double** weights, double** biases, int hidden, int output, int loss,
                         double lrate, double** deltas, const Py_ssize_t* sizes,
                         Py_ssize_t num_layers) noexcept nogil:
    _net_update(inp, acts, tgt, weights, biases, hidden, output, loss, lrate, deltas, sizes,
                num_layers)


cdef void raw_net_update_float(const float* inp, float** acts, const float* tgt,
                               float** weights, float** biases, int hidden, int output,
                               int loss, float lrate, float** deltas, const Py_ssize_t* sizes,
                               Py_ssize_t num_layers) noexcept nogil:
    _net_update_float(inp, acts, tgt, weights, biases, hidden, output, loss, lrate, deltas,
                      sizes, num_layers)


cdef int raw_net_predict(const double* X, double** weights, double** biases, int hidden,
                         int output, double* Y_hat, const Py_ssize_t* sizes,
                         Py_ssize_t num_layers, Py_ssize_t n_samples) noexcept nogil:
    return _net_predict(X, weights, biases, hidden, output, Y_hat, sizes, num_layers,
                        n_samples)


cdef int raw_net_predict_float(const float* X, float** weights, float** biases, int hidden,
                               int output, float* Y_hat, const Py_ssize_t* sizes,
                               Py_ssize_t num_layers, Py_ssize_t n_samples) noexcept nogil:
    return _net_predict_float(X, weights, biases, hidden, output, Y_hat, sizes, num_layers,
                              n_samples)


KERNELS = dict(_cython_native._widest.CAPI)


# --- Checks ---------------------------------------------------------------------------------

cdef int _fail(str message) except -1:
    raise ValueError(message)


cdef int _shape1(const char* name, Py_ssize_t got, Py_ssize_t want) except -1 nogil:
    if got != want:
        with gil:
            _fail(f"{name.decode()} has shape ({got},), expected ({want},)")
    return 0


cdef int _shape2(const char* name, Py_ssize_t got0, Py_ssize_t got1, Py_ssize_t want0,
                 Py_ssize_t want1) except -1 nogil:
    if got0 != want0 or got1 != want1:
        with gil:
            _fail(f"{name.decode()} has shape ({got0}, {got1}), expected ({want0}, {want1})")
    return 0


cdef int _net(const double[:, ::1] wh, const double[::1] bh, const double[:, ::1] wo,
              const double[::1] bo) except -1 nogil:
    if wh.shape[0] < 1 or wh.shape[1] < 1 or wo.shape[0] < 1:
        with gil:
            _fail(f"the net needs at least one node per layer, got wh ({wh.shape[0]}, "
                  f"{wh.shape[1]}) and wo ({wo.shape[0]}, {wo.shape[1]})")
    _shape1(b"bh", bh.shape[0], wh.shape[0])
    _shape2(b"wo", wo.shape[0], wo.shape[1], wo.shape[0], wh.shape[0])
    _shape1(b"bo", bo.shape[0], wo.shape[0])
    return 0


cdef int _rows(const double[:, ::1] X, const double[:, ::1] Y, const double[:, ::1] wh,
               const double[:, ::1] wo) except -1 nogil:
    if X.shape[0] < 1:
        with gil:
            _fail("X is empty: it needs at least one row")
    _shape2(b"X", X.shape[0], X.shape[1], X.shape[0], wh.shape[1])
    _shape2(b"Y", Y.shape[0], Y.shape[1], X.shape[0], wo.shape[0])
    return 0


cdef int _lrate(double lrate) except -1 nogil:
    if not (lrate > 0 and isfinite(lrate)):
        with gil:
            _fail(f"lrate must be finite and > 0, got {lrate!r}")
    return 0


cdef int _memory(int status) except -1 nogil:
    if status < 0:
        with gil:
            raise MemoryError()
    if status > 0:
        with gil:
            _fail("X contains NaN or inf")
    return 0


# --- Checked --------------------------------------------------------------------------------

cdef int neural_response(const double[::1] inp, const double[:, ::1] wh,
                         const double[::1] bh, const double[:, ::1] wo, const double[::1] bo,
                         double[::1] hid, double[::1] out) except -1 nogil:
    _net(wh, bh, wo, bo)
    _shape1(b"inp", inp.shape[0], wh.shape[1])
    _shape1(b"hid", hid.shape[0], wh.shape[0])
    _shape1(b"out", out.shape[0], wo.shape[0])
    _neural_response(&inp[0], &wh[0, 0], &bh[0], &wo[0, 0], &bo[0], &hid[0], &out[0],
                     wh.shape[1], wh.shape[0], wo.shape[0])
    return 0


cdef int update_network(const double[::1] inp, const double[::1] hid,
                        const double[::1] out, const double[::1] err, double[:, ::1] wh,
                        double[::1] bh, double[:, ::1] wo, double[::1] bo,
                        double lrate) except -1 nogil:
    _net(wh, bh, wo, bo)
    _shape1(b"inp", inp.shape[0], wh.shape[1])
    _shape1(b"hid", hid.shape[0], wh.shape[0])
    _shape1(b"out", out.shape[0], wo.shape[0])
    _shape1(b"err", err.shape[0], wo.shape[0])
    _lrate(lrate)
    _memory(_update_network(&inp[0], &hid[0], &out[0], &err[0], &wh[0, 0], &bh[0], &wo[0, 0],
                            &bo[0], lrate, wh.shape[1], wh.shape[0], wo.shape[0]))
    return 0


cdef double train_epoch(const double[:, ::1] X, const double[:, ::1] Y, double[:, ::1] wh,
                        double[::1] bh, double[:, ::1] wo, double[::1] bo,
                        double lrate) except -1 nogil:
    cdef double mse
    _net(wh, bh, wo, bo)
    _rows(X, Y, wh, wo)
    _lrate(lrate)
    _memory(_train_epoch(&X[0, 0], &Y[0, 0], &wh[0, 0], &bh[0], &wo[0, 0], &bo[0], lrate,
                         &mse, X.shape[0], wh.shape[1], wh.shape[0], wo.shape[0]))
    return mse


cdef int train(const double[:, ::1] X, const double[:, ::1] Y, double[:, ::1] wh,
               double[::1] bh, double[:, ::1] wo, double[::1] bo, double lrate,
               Py_ssize_t num_epochs, double[::1] mses) except -1 nogil:
    _net(wh, bh, wo, bo)
    _rows(X, Y, wh, wo)
    _lrate(lrate)
    if num_epochs < 1:
        with gil:
            _fail(f"num_epochs must be >= 1, got {num_epochs}")
    _shape1(b"mses", mses.shape[0], num_epochs)
    _memory(_train(&X[0, 0], &Y[0, 0], &wh[0, 0], &bh[0], &wo[0, 0], &bo[0], lrate,
                   num_epochs, &mses[0], X.shape[0], wh.shape[1], wh.shape[0], wo.shape[0]))
    return 0


cdef int predict(const double[:, ::1] X, const double[:, ::1] wh, const double[::1] bh,
                 const double[:, ::1] wo, const double[::1] bo,
                 double[:, ::1] Y_hat) except -1 nogil:
    _net(wh, bh, wo, bo)
    if X.shape[0] < 1:
        with gil:
            _fail("X is empty: it needs at least one row")
    _shape2(b"X", X.shape[0], X.shape[1], X.shape[0], wh.shape[1])
    _shape2(b"Y_hat", Y_hat.shape[0], Y_hat.shape[1], X.shape[0], wo.shape[0])
    _memory(_predict(&X[0, 0], &wh[0, 0], &bh[0], &wo[0, 0], &bo[0], &Y_hat[0, 0],
                     X.shape[0], wh.shape[1], wh.shape[0], wo.shape[0]))
    return 0

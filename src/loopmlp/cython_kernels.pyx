"""The cython backend's kernels for ``cimport loopmlp.cython_kernels``; see the ``.pxd``.

Each function calls the kernel of the build ``loopmlp.kernels._cython_native`` chose, through
a pointer taken from that build's capsules (``CAPI``) when this module is imported: scipy's
``cython_blas`` does the same with BLAS. The checked forms run their checks, then the raw
form. ``KERNELS`` holds the raw forms' capsules, by name, for C callers and ``ctypes``.
"""

from cpython.pycapsule cimport PyCapsule_GetPointer
from cpython.pyport cimport PY_SSIZE_T_MAX
from libc.math cimport isfinite
from libc.stdint cimport int64_t
from libc.stdlib cimport free, malloc

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
ctypedef int (*net_train_t)(const double*, const double*, double**, double**, int, int, int,
                            double, const int64_t*, Py_ssize_t, double**, double**, double**,
                            double**, double*, const Py_ssize_t*, Py_ssize_t, Py_ssize_t,
                            Py_ssize_t) noexcept nogil
ctypedef int (*net_train_float_t)(const float*, const float*, float**, float**, int, int, int,
                                  float, const int64_t*, Py_ssize_t, float**, float**, float**,
                                  float**, float*, const Py_ssize_t*, Py_ssize_t, Py_ssize_t,
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
cdef net_train_t _net_train = <net_train_t>_pointer("net_train_double")
cdef net_train_float_t _net_train_float = <net_train_float_t>_pointer("net_train_float")
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


cdef int raw_net_train(const double* X, const double* Y, double** weights, double** biases,
                       int hidden, int output, int loss, double lrate, const int64_t* orders,
                       Py_ssize_t batch_size, double** acts, double** deltas, double** grad_w,
                       double** grad_b, double* losses, const Py_ssize_t* sizes,
                       Py_ssize_t num_layers, Py_ssize_t num_epochs,
                       Py_ssize_t num_samples) noexcept nogil:
    return _net_train(X, Y, weights, biases, hidden, output, loss, lrate, orders, batch_size,
                      acts, deltas, grad_w, grad_b, losses, sizes, num_layers, num_epochs,
                      num_samples)


cdef int raw_net_train_float(const float* X, const float* Y, float** weights, float** biases,
                             int hidden, int output, int loss, float lrate,
                             const int64_t* orders, Py_ssize_t batch_size, float** acts,
                             float** deltas, float** grad_w, float** grad_b, float* losses,
                             const Py_ssize_t* sizes, Py_ssize_t num_layers,
                             Py_ssize_t num_epochs, Py_ssize_t num_samples) noexcept nogil:
    return _net_train_float(X, Y, weights, biases, hidden, output, loss, lrate, orders,
                            batch_size, acts, deltas, grad_w, grad_b, losses, sizes,
                            num_layers, num_epochs, num_samples)


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


# The checks take shapes, not memoryviews: a memoryview passes by value (over 200 bytes), and
# the passing, not the comparing, is what a check costs. They are inlined; raising is not.

cdef int _bad_shape(const char* name, Py_ssize_t got0, Py_ssize_t got1, Py_ssize_t want0,
                    Py_ssize_t want1) except -1 nogil:
    with gil:
        if want1 < 0:
            _fail(f"{name.decode()} has shape ({got0},), expected ({want0},)")
        _fail(f"{name.decode()} has shape ({got0}, {got1}), expected ({want0}, {want1})")


cdef inline int _shape1(const char* name, Py_ssize_t got, Py_ssize_t want) except -1 nogil:
    if got != want:
        return _bad_shape(name, got, -1, want, -1)
    return 0


cdef inline int _shape2(const char* name, Py_ssize_t got0, Py_ssize_t got1, Py_ssize_t want0,
                        Py_ssize_t want1) except -1 nogil:
    if got0 != want0 or got1 != want1:
        return _bad_shape(name, got0, got1, want0, want1)
    return 0


cdef int _bad_net(Py_ssize_t n_hid, Py_ssize_t n_in, Py_ssize_t n_out,
                  Py_ssize_t wo1) except -1 nogil:
    with gil:
        _fail(f"the net needs at least one node per layer, got wh ({n_hid}, {n_in}) and wo "
              f"({n_out}, {wo1})")


# wh (n_hid, n_in), bh (bh0,), wo (n_out, wo1), bo (bo0,)
cdef inline int _net(Py_ssize_t n_hid, Py_ssize_t n_in, Py_ssize_t bh0, Py_ssize_t n_out,
                     Py_ssize_t wo1, Py_ssize_t bo0) except -1 nogil:
    if n_hid < 1 or n_in < 1 or n_out < 1:
        return _bad_net(n_hid, n_in, n_out, wo1)
    _shape1(b"bh", bh0, n_hid)
    _shape2(b"wo", n_out, wo1, n_out, n_hid)
    _shape1(b"bo", bo0, n_out)
    return 0


cdef int _no_rows(const char* name) except -1 nogil:
    with gil:
        _fail(f"{name.decode()} is empty: it needs at least one row")


# X (X0, X1), Y (Y0, Y1) against the net's n_in, n_out
cdef inline int _rows(Py_ssize_t X0, Py_ssize_t X1, Py_ssize_t Y0, Py_ssize_t Y1,
                      Py_ssize_t n_in, Py_ssize_t n_out) except -1 nogil:
    if X0 < 1:
        return _no_rows(b"X")
    _shape2(b"X", X0, X1, X0, n_in)
    _shape2(b"Y", Y0, Y1, X0, n_out)
    return 0


cdef int _bad_lrate(double lrate) except -1 nogil:
    with gil:
        _fail(f"lrate must be finite and > 0, got {lrate!r}")


cdef int _bad_status(int status) except -1 nogil:
    return _memory(status)


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

cdef double train_epoch(const double[:, ::1] X, const double[:, ::1] Y, double[:, ::1] wh,
                        double[::1] bh, double[:, ::1] wo, double[::1] bo,
                        double lrate) except -1 nogil:
    cdef double mse
    _net(wh.shape[0], wh.shape[1], bh.shape[0], wo.shape[0], wo.shape[1], bo.shape[0])
    _rows(X.shape[0], X.shape[1], Y.shape[0], Y.shape[1], wh.shape[1], wo.shape[0])
    _lrate(lrate)
    _memory(_train_epoch(&X[0, 0], &Y[0, 0], &wh[0, 0], &bh[0], &wo[0, 0], &bo[0], lrate,
                         &mse, X.shape[0], wh.shape[1], wh.shape[0], wo.shape[0]))
    return mse


cdef int train(const double[:, ::1] X, const double[:, ::1] Y, double[:, ::1] wh,
               double[::1] bh, double[:, ::1] wo, double[::1] bo, double lrate,
               Py_ssize_t num_epochs, double[::1] mses) except -1 nogil:
    _net(wh.shape[0], wh.shape[1], bh.shape[0], wo.shape[0], wo.shape[1], bo.shape[0])
    _rows(X.shape[0], X.shape[1], Y.shape[0], Y.shape[1], wh.shape[1], wo.shape[0])
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
    _net(wh.shape[0], wh.shape[1], bh.shape[0], wo.shape[0], wo.shape[1], bo.shape[0])
    if X.shape[0] < 1:
        _no_rows(b"X")
    _shape2(b"X", X.shape[0], X.shape[1], X.shape[0], wh.shape[1])
    _shape2(b"Y_hat", Y_hat.shape[0], Y_hat.shape[1], X.shape[0], wo.shape[0])
    _memory(_predict(&X[0, 0], &wh[0, 0], &bh[0], &wo[0, 0], &bo[0], &Y_hat[0, 0],
                     X.shape[0], wh.shape[1], wh.shape[0], wo.shape[0]))
    return 0


# --- Checked: the deep net ------------------------------------------------------------------
# One implementation over both dtypes (real); the .pxd's functions name its two forms.

ctypedef fused real:
    float
    double

cdef enum:
    STACK_LAYERS = 16   # nets up to this deep keep their layers' pointers on the stack


cdef struct _Layers:
    Py_ssize_t num_layers
    Py_ssize_t num_weights  # sum of n_{l+1} * n_l
    Py_ssize_t num_units    # sum of n_{l+1}
    void** p                # kinds * num_layers pointers: stack, or malloc'd
    void* stack[6 * STACK_LAYERS]


cdef int _sizes(_Layers* net, const Py_ssize_t[::1] sizes) except -1 nogil:
    """Checks sizes; sets net's counts."""
    cdef Py_ssize_t layer
    if sizes.shape[0] < 2:
        with gil:
            _fail(f"sizes has shape ({sizes.shape[0]},): it needs n_0 and at least one more "
                  "layer's size")
    net.num_layers = sizes.shape[0] - 1
    net.num_weights = net.num_units = 0
    net.p = NULL
    for layer in range(sizes.shape[0]):
        if sizes[layer] < 1:
            with gil:
                _fail(f"sizes[{layer}] is {sizes[layer]}: every layer needs a node")
    for layer in range(net.num_layers):
        if sizes[layer] > (PY_SSIZE_T_MAX - net.num_weights) // sizes[layer + 1]:
            with gil:
                _fail("sizes are too large: the weights' count overflows")
        net.num_weights += sizes[layer] * sizes[layer + 1]
        net.num_units += sizes[layer + 1]
    return 0


cdef int _codes(int hidden, int output) except -1 nogil:
    if not SIGMOID <= hidden <= RELU:
        with gil:
            _fail(f"hidden must be SIGMOID, TANH or RELU (0 to 2), got {hidden}")
    if not SIGMOID <= output <= SOFTMAX:
        with gil:
            _fail(f"output must be SIGMOID, TANH, RELU, IDENTITY or SOFTMAX (0 to 4), "
                  f"got {output}")
    return 0


cdef int _loss(int loss, int output) except -1 nogil:
    if loss != MSE and loss != CROSS_ENTROPY:
        with gil:
            _fail(f"loss must be MSE or CROSS_ENTROPY (0 or 1), got {loss}")
    if loss == CROSS_ENTROPY and output != SIGMOID and output != SOFTMAX:
        with gil:
            _fail("CROSS_ENTROPY needs a SIGMOID or SOFTMAX output")
    return 0


cdef int _net_lrate(real lrate) except -1 nogil:
    if not (lrate > 0 and isfinite(lrate)):
        with gil:
            _fail(f"lrate must be finite and > 0 in the net's dtype, got {lrate!r}")
    return 0


cdef inline int _rows_of(const char* name, Py_ssize_t got0, Py_ssize_t got1,
                         Py_ssize_t want1) except -1 nogil:
    if got0 < 1:
        return _no_rows(name)
    _shape2(name, got0, got1, got0, want1)
    return 0


cdef void** _pointers(_Layers* net, int kinds) except NULL nogil:
    """Room for kinds arrays of num_layers pointers: on the stack for small nets."""
    if net.num_layers <= STACK_LAYERS:
        net.p = net.stack
    else:
        net.p = <void**>malloc(kinds * net.num_layers * sizeof(void*))
        if net.p == NULL:
            with gil:
                raise MemoryError()
    return net.p


cdef void _release(_Layers* net) noexcept nogil:
    if net.p != NULL and net.p != net.stack:
        free(net.p)
    net.p = NULL


cdef void _point(void** p, const void* flat, Py_ssize_t itemsize, const Py_ssize_t[::1] sizes,
                 bint matrix) noexcept nogil:
    """p[l]: layer l's array in flat, (n_{l+1}, n_l) if matrix, else (n_{l+1},)."""
    cdef Py_ssize_t layer, offset = 0
    for layer in range(sizes.shape[0] - 1):
        p[layer] = <char*>flat + offset * itemsize
        offset += sizes[layer + 1] * (sizes[layer] if matrix else 1)


cdef inline int _response(const real[::1] inp, const real[::1] weights, const real[::1] biases,
                          int hidden, int output, real[::1] acts,
                          const Py_ssize_t[::1] sizes) except -1 nogil:
    cdef _Layers net
    _sizes(&net, sizes)
    _codes(hidden, output)
    _shape1(b"weights", weights.shape[0], net.num_weights)
    _shape1(b"biases", biases.shape[0], net.num_units)
    _shape1(b"acts", acts.shape[0], net.num_units)
    _shape1(b"inp", inp.shape[0], sizes[0])
    cdef Py_ssize_t L = net.num_layers
    cdef void** p = _pointers(&net, 3)
    _point(p, &weights[0], sizeof(real), sizes, True)
    _point(p + L, &biases[0], sizeof(real), sizes, False)
    _point(p + 2 * L, &acts[0], sizeof(real), sizes, False)
    if real is float:
        _net_response_float(&inp[0], <float**>p, <float**>(p + L), hidden, output,
                            <float**>(p + 2 * L), &sizes[0], L)
    else:
        _net_response(&inp[0], <double**>p, <double**>(p + L), hidden, output,
                      <double**>(p + 2 * L), &sizes[0], L)
    _release(&net)
    return 0


cdef inline int _update(const real[::1] inp, const real[::1] acts, const real[::1] tgt,
                        real[::1] weights, real[::1] biases, int hidden, int output, int loss,
                        real lrate, real[::1] deltas, const Py_ssize_t[::1] sizes) except -1 nogil:
    cdef _Layers net
    _sizes(&net, sizes)
    _codes(hidden, output)
    _loss(loss, output)
    _shape1(b"weights", weights.shape[0], net.num_weights)
    _shape1(b"biases", biases.shape[0], net.num_units)
    _shape1(b"acts", acts.shape[0], net.num_units)
    _shape1(b"deltas", deltas.shape[0], net.num_units)
    _shape1(b"inp", inp.shape[0], sizes[0])
    _shape1(b"tgt", tgt.shape[0], sizes[net.num_layers])
    _net_lrate(lrate)
    cdef Py_ssize_t L = net.num_layers
    cdef void** p = _pointers(&net, 4)
    _point(p, &weights[0], sizeof(real), sizes, True)
    _point(p + L, &biases[0], sizeof(real), sizes, False)
    _point(p + 2 * L, &acts[0], sizeof(real), sizes, False)
    _point(p + 3 * L, &deltas[0], sizeof(real), sizes, False)
    if real is float:
        _net_update_float(&inp[0], <float**>(p + 2 * L), &tgt[0], <float**>p,
                          <float**>(p + L), hidden, output, loss, lrate,
                          <float**>(p + 3 * L), &sizes[0], L)
    else:
        _net_update(&inp[0], <double**>(p + 2 * L), &tgt[0], <double**>p, <double**>(p + L),
                    hidden, output, loss, lrate, <double**>(p + 3 * L), &sizes[0], L)
    _release(&net)
    return 0


cdef inline int _train_net(const real[:, ::1] X, const real[:, ::1] Y, real[::1] weights,
                           real[::1] biases, int hidden, int output, int loss, real lrate,
                           const int64_t[:, ::1] orders, Py_ssize_t batch_size, real[::1] acts,
                           real[::1] deltas, real[::1] grad_w, real[::1] grad_b, real[::1] losses,
                           const Py_ssize_t[::1] sizes) except -1 nogil:
    cdef _Layers net
    cdef Py_ssize_t epoch, n, row
    cdef int status
    _sizes(&net, sizes)
    _codes(hidden, output)
    _loss(loss, output)
    _shape1(b"weights", weights.shape[0], net.num_weights)
    _shape1(b"biases", biases.shape[0], net.num_units)
    _shape1(b"acts", acts.shape[0], net.num_units)
    _shape1(b"deltas", deltas.shape[0], net.num_units)
    _shape1(b"grad_w", grad_w.shape[0], net.num_weights)
    _shape1(b"grad_b", grad_b.shape[0], net.num_units)
    _rows_of(b"X", X.shape[0], X.shape[1], sizes[0])
    _shape2(b"Y", Y.shape[0], Y.shape[1], X.shape[0], sizes[net.num_layers])
    _net_lrate(lrate)
    if batch_size < 1:
        with gil:
            _fail(f"batch_size must be >= 1, got {batch_size}")
    if orders.shape[0] < 1 or orders.shape[1] < 1:
        with gil:
            _fail(f"orders has shape ({orders.shape[0]}, {orders.shape[1]}): it needs at "
                  "least one epoch of at least one row")
    for epoch in range(orders.shape[0]):
        for n in range(orders.shape[1]):
            row = orders[epoch, n]
            if not 0 <= row < X.shape[0]:
                with gil:
                    _fail(f"orders[{epoch}, {n}] is row {row}, but X has {X.shape[0]} rows")
    _shape1(b"losses", losses.shape[0], orders.shape[0])
    cdef Py_ssize_t L = net.num_layers
    cdef void** p = _pointers(&net, 6)
    _point(p, &weights[0], sizeof(real), sizes, True)
    _point(p + L, &biases[0], sizeof(real), sizes, False)
    _point(p + 2 * L, &acts[0], sizeof(real), sizes, False)
    _point(p + 3 * L, &deltas[0], sizeof(real), sizes, False)
    _point(p + 4 * L, &grad_w[0], sizeof(real), sizes, True)
    _point(p + 5 * L, &grad_b[0], sizeof(real), sizes, False)
    if real is float:
        status = _net_train_float(
            &X[0, 0], &Y[0, 0], <float**>p, <float**>(p + L), hidden, output, loss, lrate,
            &orders[0, 0], batch_size, <float**>(p + 2 * L), <float**>(p + 3 * L),
            <float**>(p + 4 * L), <float**>(p + 5 * L), &losses[0], &sizes[0], L,
            orders.shape[0], orders.shape[1])
    else:
        status = _net_train(
            &X[0, 0], &Y[0, 0], <double**>p, <double**>(p + L), hidden, output, loss, lrate,
            &orders[0, 0], batch_size, <double**>(p + 2 * L), <double**>(p + 3 * L),
            <double**>(p + 4 * L), <double**>(p + 5 * L), &losses[0], &sizes[0], L,
            orders.shape[0], orders.shape[1])
    _release(&net)
    _memory(status)
    return 0


cdef inline int _predict_net(const real[:, ::1] X, const real[::1] weights, const real[::1] biases,
                             int hidden, int output, real[:, ::1] Y_hat,
                             const Py_ssize_t[::1] sizes) except -1 nogil:
    cdef _Layers net
    cdef int status
    _sizes(&net, sizes)
    _codes(hidden, output)
    _shape1(b"weights", weights.shape[0], net.num_weights)
    _shape1(b"biases", biases.shape[0], net.num_units)
    _rows_of(b"X", X.shape[0], X.shape[1], sizes[0])
    _shape2(b"Y_hat", Y_hat.shape[0], Y_hat.shape[1], X.shape[0], sizes[net.num_layers])
    cdef Py_ssize_t L = net.num_layers
    cdef void** p = _pointers(&net, 2)
    _point(p, &weights[0], sizeof(real), sizes, True)
    _point(p + L, &biases[0], sizeof(real), sizes, False)
    if real is float:
        status = _net_predict_float(&X[0, 0], <float**>p, <float**>(p + L), hidden, output,
                                    &Y_hat[0, 0], &sizes[0], L, X.shape[0])
    else:
        status = _net_predict(&X[0, 0], <double**>p, <double**>(p + L), hidden, output,
                              &Y_hat[0, 0], &sizes[0], L, X.shape[0])
    _release(&net)
    _memory(status)
    return 0


cdef int net_response(const double[::1] inp, const double[::1] weights,
                      const double[::1] biases, int hidden, int output, double[::1] acts,
                      const Py_ssize_t[::1] sizes) except -1 nogil:
    return _response(inp, weights, biases, hidden, output, acts, sizes)


cdef int net_response_float(const float[::1] inp, const float[::1] weights,
                            const float[::1] biases, int hidden, int output, float[::1] acts,
                            const Py_ssize_t[::1] sizes) except -1 nogil:
    return _response(inp, weights, biases, hidden, output, acts, sizes)


cdef int net_update(const double[::1] inp, const double[::1] acts, const double[::1] tgt,
                    double[::1] weights, double[::1] biases, int hidden, int output, int loss,
                    double lrate, double[::1] deltas,
                    const Py_ssize_t[::1] sizes) except -1 nogil:
    return _update(inp, acts, tgt, weights, biases, hidden, output, loss, lrate, deltas, sizes)


cdef int net_update_float(const float[::1] inp, const float[::1] acts, const float[::1] tgt,
                          float[::1] weights, float[::1] biases, int hidden, int output,
                          int loss, float lrate, float[::1] deltas,
                          const Py_ssize_t[::1] sizes) except -1 nogil:
    return _update(inp, acts, tgt, weights, biases, hidden, output, loss, lrate, deltas, sizes)


cdef int net_train(const double[:, ::1] X, const double[:, ::1] Y, double[::1] weights,
                   double[::1] biases, int hidden, int output, int loss, double lrate,
                   const int64_t[:, ::1] orders, Py_ssize_t batch_size, double[::1] acts,
                   double[::1] deltas, double[::1] grad_w, double[::1] grad_b,
                   double[::1] losses, const Py_ssize_t[::1] sizes) except -1 nogil:
    return _train_net(X, Y, weights, biases, hidden, output, loss, lrate, orders, batch_size,
                      acts, deltas, grad_w, grad_b, losses, sizes)


cdef int net_train_float(const float[:, ::1] X, const float[:, ::1] Y, float[::1] weights,
                         float[::1] biases, int hidden, int output, int loss, float lrate,
                         const int64_t[:, ::1] orders, Py_ssize_t batch_size, float[::1] acts,
                         float[::1] deltas, float[::1] grad_w, float[::1] grad_b,
                         float[::1] losses, const Py_ssize_t[::1] sizes) except -1 nogil:
    return _train_net(X, Y, weights, biases, hidden, output, loss, lrate, orders, batch_size,
                      acts, deltas, grad_w, grad_b, losses, sizes)


cdef int net_predict(const double[:, ::1] X, const double[::1] weights,
                     const double[::1] biases, int hidden, int output, double[:, ::1] Y_hat,
                     const Py_ssize_t[::1] sizes) except -1 nogil:
    return _predict_net(X, weights, biases, hidden, output, Y_hat, sizes)


cdef int net_predict_float(const float[:, ::1] X, const float[::1] weights,
                           const float[::1] biases, int hidden, int output,
                           float[:, ::1] Y_hat, const Py_ssize_t[::1] sizes) except -1 nogil:
    return _predict_net(X, weights, biases, hidden, output, Y_hat, sizes)


# --- For loopmlp bench's call rows (loopmlp.workloads.CallWorkload) only --------------------
# A user's Cython loop over the checked lecture kernels, so that the bench needs no compiler:
# n calls, without the GIL; the kernels are inline (the .pxd), here as in a user's module.


def _bench_forward_loop(const double[::1] inp, const double[:, ::1] wh, const double[::1] bh,
                        const double[:, ::1] wo, const double[::1] bo, double[::1] hid,
                        double[::1] out, Py_ssize_t n):
    """n calls of the checked neural_response (loopmlp bench's call rows)."""
    cdef Py_ssize_t _
    with nogil:
        for _ in range(n):
            neural_response(inp, wh, bh, wo, bo, hid, out)


def _bench_update_loop(const double[::1] inp, const double[::1] hid, const double[::1] out,
                       const double[::1] err, double[:, ::1] wh, double[::1] bh,
                       double[:, ::1] wo, double[::1] bo, double lrate, Py_ssize_t n):
    """n calls of the checked update_network (loopmlp bench's call rows)."""
    cdef Py_ssize_t _
    with nogil:
        for _ in range(n):
            update_network(inp, hid, out, err, wh, bh, wo, bo, lrate)

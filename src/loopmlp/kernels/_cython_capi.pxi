# The raw kernels of this build as C functions, for loopmlp.cython_kernels (and C callers):
# CAPI maps each name to a capsule of its address. loopmlp.cython_kernels takes them from the
# build _cython_native chooses, so an extension cimporting it runs on any CPU.
# Part of _cython.pyx, which includes it (one compile unit; not compiled alone).
# Each helper allocates what the Python entry points allocate, and returns 0, or -1 when
# malloc fails (predict: 1 when X holds a NaN or inf). None checks anything.

from cpython.pycapsule cimport PyCapsule_New


cdef int _capi_update_network(const double* inp, const double* hid, const double* out,
                              const double* err, double* wh, double* bh, double* wo,
                              double* bo, double lrate, Py_ssize_t num_inp_nodes,
                              Py_ssize_t num_hid_nodes,
                              Py_ssize_t num_out_nodes) noexcept nogil:
    cdef Py_ssize_t size = 2 * num_hid_nodes + num_out_nodes
    cdef double small[SMALL]
    cdef double* scratch = small
    if size > SMALL:
        scratch = <double*>malloc(size * sizeof(double))
        if scratch == NULL:
            return -1
    _update_network(inp, hid, out, err, wh, bh, wo, bo, lrate,
                    num_inp_nodes, num_hid_nodes, num_out_nodes,
                    scratch, scratch + num_hid_nodes, scratch + 2 * num_hid_nodes)
    if scratch != small:
        free(scratch)
    return 0


cdef int _capi_train(const double* X, const double* Y, double* wh, double* bh, double* wo,
                     double* bo, double lrate, Py_ssize_t num_epochs, double* mses,
                     Py_ssize_t num_samples, Py_ssize_t num_inp_nodes,
                     Py_ssize_t num_hid_nodes, Py_ssize_t num_out_nodes) noexcept nogil:
    cdef Py_ssize_t num_panels = (num_hid_nodes + PANEL - 1) // PANEL
    cdef int threads = 1
    if num_inp_nodes * num_hid_nodes >= PARALLEL_WEIGHTS:
        threads = openmp.omp_get_max_threads()
    cdef double* work = <double*>calloc(
        num_panels * num_inp_nodes * PANEL + num_panels * PANEL + threads * PANEL
        + num_hid_nodes + 3 * num_out_nodes, sizeof(double))
    if work == NULL:
        return -1
    _train(X, Y, wh, bh, wo, bo, lrate, num_epochs, mses, num_samples, num_inp_nodes,
           num_hid_nodes, num_out_nodes, work, threads)
    free(work)
    return 0


cdef int _capi_train_epoch(const double* X, const double* Y, double* wh, double* bh,
                           double* wo, double* bo, double lrate, double* mse,
                           Py_ssize_t num_samples, Py_ssize_t num_inp_nodes,
                           Py_ssize_t num_hid_nodes, Py_ssize_t num_out_nodes) noexcept nogil:
    return _capi_train(X, Y, wh, bh, wo, bo, lrate, 1, mse, num_samples, num_inp_nodes,
                       num_hid_nodes, num_out_nodes)


# net_predict's entry point without Python: the same buffers, the same kernels
cdef int _capi_net_predict(const real* X, real** weights, real** biases, int hidden,
                           int output, real* Y_hat, const Py_ssize_t* sizes,
                           Py_ssize_t num_layers, Py_ssize_t num_samples) noexcept nogil:
    cdef int num_threads = openmp.omp_get_max_threads()
    cdef Py_ssize_t widest = 1, layer, count = 0, b_idx
    cdef int status = 0
    num_threads = <int>min(<Py_ssize_t>num_threads, (num_samples + BLOCK - 1) // BLOCK)
    for layer in range(num_layers):
        widest = max(widest, sizes[layer + 1])
        count += (sizes[layer + 1] + WIDE_PANEL - 1) // WIDE_PANEL * WIDE_PANEL * sizes[layer]
    cdef real** panels = <real**>malloc(num_layers * sizeof(real*))
    cdef real* block = <real*>calloc(count, sizeof(real))
    cdef real* work = <real*>calloc(num_threads * 2 * BLOCK * widest, sizeof(real))
    cdef unsigned char* finite = <unsigned char*>malloc(
        max(1, (num_samples + BLOCK - 1) // BLOCK))
    if panels == NULL or block == NULL or work == NULL or finite == NULL:
        status = -1
    else:
        count = 0
        for layer in range(num_layers):
            panels[layer] = block + count
            count += (sizes[layer + 1] + WIDE_PANEL - 1) // WIDE_PANEL * WIDE_PANEL \
                * sizes[layer]
        _net_panels(weights, panels, sizes, num_layers)
        _net_predict(X, weights, biases, hidden, output, panels, Y_hat, sizes, num_layers,
                     num_samples, widest, work, num_threads, finite)
        for b_idx in range((num_samples + BLOCK - 1) // BLOCK):
            if not finite[b_idx]:
                status = 1
    free(finite)
    free(work)
    free(block)
    free(panels)
    return status


cdef int _capi_net_predict_double(const double* X, double** weights, double** biases,
                                  int hidden, int output, double* Y_hat,
                                  const Py_ssize_t* sizes, Py_ssize_t num_layers,
                                  Py_ssize_t num_samples) noexcept nogil:
    return _capi_net_predict(X, weights, biases, hidden, output, Y_hat, sizes, num_layers,
                             num_samples)


cdef int _capi_net_predict_float(const float* X, float** weights, float** biases,
                                 int hidden, int output, float* Y_hat,
                                 const Py_ssize_t* sizes, Py_ssize_t num_layers,
                                 Py_ssize_t num_samples) noexcept nogil:
    return _capi_net_predict(X, weights, biases, hidden, output, Y_hat, sizes, num_layers,
                             num_samples)


# net_train's entry point without Python: the same buffers, the same kernels
cdef int _capi_net_train(const real* X, const real* Y, real** weights, real** biases,
                         int hidden, int output, int loss, real lrate,
                         const cnp.int64_t* orders, Py_ssize_t batch_size, real** acts,
                         real** deltas, real** grad_w, real** grad_b, real* losses,
                         const Py_ssize_t* sizes, Py_ssize_t num_layers, Py_ssize_t num_epochs,
                         Py_ssize_t num_samples) noexcept nogil:
    cdef int threads = openmp.omp_get_max_threads()
    cdef real* work = NULL
    cdef Py_ssize_t* offsets = NULL
    if batch_size > 1:  # the mini-batches' buffers and panels (_net_train_work)
        work = <real*>calloc(max(1, _net_train_work(sizes, num_layers,
                                                    min(batch_size, num_samples), threads)),
                             sizeof(real))
        offsets = <Py_ssize_t*>malloc((num_layers + 1) * sizeof(Py_ssize_t))
        if work == NULL or offsets == NULL:
            free(offsets)
            free(work)
            return -1
    _net_train(X, Y, weights, biases, hidden, output, loss, lrate, orders, batch_size, acts,
               deltas, grad_w, grad_b, losses, sizes, num_layers, num_epochs, num_samples,
               work, offsets, threads, TWICE)  # the C API's kernels round twice, as the lecture
    free(offsets)
    free(work)
    return 0


cdef int _capi_net_train_double(const double* X, const double* Y, double** weights,
                                double** biases, int hidden, int output, int loss,
                                double lrate, const cnp.int64_t* orders,
                                Py_ssize_t batch_size, double** acts, double** deltas,
                                double** grad_w, double** grad_b, double* losses,
                                const Py_ssize_t* sizes, Py_ssize_t num_layers,
                                Py_ssize_t num_epochs, Py_ssize_t num_samples) noexcept nogil:
    return _capi_net_train(X, Y, weights, biases, hidden, output, loss, lrate, orders,
                           batch_size, acts, deltas, grad_w, grad_b, losses, sizes,
                           num_layers, num_epochs, num_samples)


cdef int _capi_net_train_float(const float* X, const float* Y, float** weights,
                               float** biases, int hidden, int output, int loss, float lrate,
                               const cnp.int64_t* orders, Py_ssize_t batch_size,
                               float** acts, float** deltas, float** grad_w, float** grad_b,
                               float* losses, const Py_ssize_t* sizes, Py_ssize_t num_layers,
                               Py_ssize_t num_epochs, Py_ssize_t num_samples) noexcept nogil:
    return _capi_net_train(X, Y, weights, biases, hidden, output, loss, lrate, orders,
                           batch_size, acts, deltas, grad_w, grad_b, losses, sizes,
                           num_layers, num_epochs, num_samples)


# the lecture's predict, as the backend's: net_predict on (wh, wo) with sigmoids
cdef int _capi_predict(const double* X, const double* wh, const double* bh,
                       const double* wo, const double* bo, double* Y_hat,
                       Py_ssize_t num_samples, Py_ssize_t num_inp_nodes,
                       Py_ssize_t num_hid_nodes, Py_ssize_t num_out_nodes) noexcept nogil:
    cdef double* weights[2]
    cdef double* biases[2]
    cdef Py_ssize_t sizes[3]
    weights[0], weights[1] = <double*>wh, <double*>wo
    biases[0], biases[1] = <double*>bh, <double*>bo
    sizes[0], sizes[1], sizes[2] = num_inp_nodes, num_hid_nodes, num_out_nodes
    return _capi_net_predict(X, weights, biases, SIGMOID, SIGMOID, Y_hat, sizes, 2,
                             num_samples)


cdef void _capi_net_response_double(const double* inp, double** weights, double** biases,
                                    int hidden, int output, double** acts,
                                    const Py_ssize_t* sizes,
                                    Py_ssize_t num_layers) noexcept nogil:
    _net_response(inp, weights, biases, hidden, output, acts, sizes, num_layers)


cdef void _capi_net_response_float(const float* inp, float** weights, float** biases,
                                   int hidden, int output, float** acts,
                                   const Py_ssize_t* sizes,
                                   Py_ssize_t num_layers) noexcept nogil:
    _net_response(inp, weights, biases, hidden, output, acts, sizes, num_layers)


cdef void _capi_net_update_double(const double* inp, double** acts, const double* tgt,
                                  double** weights, double** biases, int hidden, int output,
                                  int loss, double lrate, double** deltas,
                                  const Py_ssize_t* sizes,
                                  Py_ssize_t num_layers) noexcept nogil:
    _net_update(inp, acts, tgt, weights, biases, hidden, output, loss, lrate, deltas, sizes,
                num_layers)


cdef void _capi_net_update_float(const float* inp, float** acts, const float* tgt,
                                 float** weights, float** biases, int hidden, int output,
                                 int loss, float lrate, float** deltas,
                                 const Py_ssize_t* sizes,
                                 Py_ssize_t num_layers) noexcept nogil:
    _net_update(inp, acts, tgt, weights, biases, hidden, output, loss, lrate, deltas, sizes,
                num_layers)


CAPI = dict(
    neural_response=PyCapsule_New(<void*>_neural_response, NULL, NULL),
    update_network=PyCapsule_New(<void*>_capi_update_network, NULL, NULL),
    train_epoch=PyCapsule_New(<void*>_capi_train_epoch, NULL, NULL),
    train=PyCapsule_New(<void*>_capi_train, NULL, NULL),
    predict=PyCapsule_New(<void*>_capi_predict, NULL, NULL),
    net_response_double=PyCapsule_New(<void*>_capi_net_response_double, NULL, NULL),
    net_response_float=PyCapsule_New(<void*>_capi_net_response_float, NULL, NULL),
    net_update_double=PyCapsule_New(<void*>_capi_net_update_double, NULL, NULL),
    net_update_float=PyCapsule_New(<void*>_capi_net_update_float, NULL, NULL),
    net_train_double=PyCapsule_New(<void*>_capi_net_train_double, NULL, NULL),
    net_train_float=PyCapsule_New(<void*>_capi_net_train_float, NULL, NULL),
    net_predict_double=PyCapsule_New(<void*>_capi_net_predict_double, NULL, NULL),
    net_predict_float=PyCapsule_New(<void*>_capi_net_predict_float, NULL, NULL),
)

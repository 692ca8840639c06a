# The Python-visible entry points: the reference's names and arguments.
# Part of _cython.pyx, which includes it (one compile unit; not compiled alone).

# ---------------------------------------------------------------------------------------
# The raw entry points: same names and argument order as the reference. loopmlp._check
# validates everything first; _arg only keeps a direct call from reading out of bounds.

cdef inline double* _arg(cnp.ndarray a, int ndim, Py_ssize_t d0, Py_ssize_t d1,
                         bint writeable) except NULL:
    """a's data, if a is float64, native, C-contiguous, aligned, of shape (d0[, d1]) (d0 ==
    -1: any number >= 1 of rows) and, if asked, writeable; TypeError/ValueError otherwise."""
    if cnp.PyArray_TYPE(a) != cnp.NPY_DOUBLE or not cnp.PyArray_ISNOTSWAPPED(a):
        raise TypeError("loopmlp.kernels._cython: arrays must be float64 (call the kernels through "
                        "loopmlp.get_backend('cython'), which checks and converts)")
    if (cnp.PyArray_NDIM(a) != ndim or not cnp.PyArray_ISCARRAY_RO(a)
            or (writeable and not cnp.PyArray_ISWRITEABLE(a))
            or (cnp.PyArray_DIM(a, 0) != d0 if d0 >= 0 else cnp.PyArray_DIM(a, 0) < 1)
            or (ndim == 2 and cnp.PyArray_DIM(a, 1) != d1)):
        raise ValueError("loopmlp.kernels._cython: an array has the wrong shape or layout "
                         "(call the kernels through loopmlp.get_backend('cython'), which says "
                         "which)")
    return <double*>cnp.PyArray_DATA(a)


cdef inline int _net(cnp.ndarray wh, Py_ssize_t* n) except -1:
    """n = (num_inp_nodes, num_hid_nodes), from wh (2-D, no empty layer)."""
    if cnp.PyArray_NDIM(wh) != 2 or cnp.PyArray_DIM(wh, 0) < 1 or cnp.PyArray_DIM(wh, 1) < 1:
        raise ValueError("loopmlp.kernels._cython: wh must be 2-D with at least one node per layer")
    n[0] = cnp.PyArray_DIM(wh, 1)
    n[1] = cnp.PyArray_DIM(wh, 0)
    return 0


cdef inline Py_ssize_t _num_out(cnp.ndarray wo) except -1:
    if cnp.PyArray_NDIM(wo) != 2 or cnp.PyArray_DIM(wo, 0) < 1:
        raise ValueError("loopmlp.kernels._cython: wo must be 2-D with at least one node per layer")
    return cnp.PyArray_DIM(wo, 0)


cdef inline cnp.ndarray _empty(Py_ssize_t d0, Py_ssize_t d1):
    """A new float64 array (d0,) if d1 < 0, else (d0, d1); the kernels fill every element."""
    cdef cnp.npy_intp dims[2]
    dims[0] = d0
    dims[1] = d1
    return cnp.PyArray_EMPTY(1 if d1 < 0 else 2, dims, cnp.NPY_DOUBLE, 0)


def neural_response(cnp.ndarray inp not None, cnp.ndarray wh not None,
                    cnp.ndarray bh not None, cnp.ndarray wo not None,
                    cnp.ndarray bo not None):
    cdef Py_ssize_t n[2]
    _net(wh, n)
    cdef Py_ssize_t num_inp_nodes = n[0], num_hid_nodes = n[1], num_out_nodes = _num_out(wo)
    cdef const double* inp_ = _arg(inp, 1, num_inp_nodes, 0, False)
    cdef const double* wh_ = _arg(wh, 2, num_hid_nodes, num_inp_nodes, False)
    cdef const double* bh_ = _arg(bh, 1, num_hid_nodes, 0, False)
    cdef const double* wo_ = _arg(wo, 2, num_out_nodes, num_hid_nodes, False)
    cdef const double* bo_ = _arg(bo, 1, num_out_nodes, 0, False)
    cdef cnp.ndarray hid = _empty(num_hid_nodes, -1)
    cdef cnp.ndarray out = _empty(num_out_nodes, -1)
    cdef double* hid_ = <double*>cnp.PyArray_DATA(hid)
    cdef double* out_ = <double*>cnp.PyArray_DATA(out)
    if num_hid_nodes * (num_inp_nodes + num_out_nodes) <= NOGIL_WORK:
        _neural_response(inp_, wh_, bh_, wo_, bo_, hid_, out_,
                         num_inp_nodes, num_hid_nodes, num_out_nodes)
    else:
        with nogil:
            _neural_response(inp_, wh_, bh_, wo_, bo_, hid_, out_,
                             num_inp_nodes, num_hid_nodes, num_out_nodes)
    return (hid, out)


def update_network(cnp.ndarray inp not None, cnp.ndarray hid not None,
                   cnp.ndarray out not None, cnp.ndarray err not None,
                   cnp.ndarray wh not None, cnp.ndarray bh not None,
                   cnp.ndarray wo not None, cnp.ndarray bo not None, double lrate):
    cdef Py_ssize_t n[2]
    _net(wh, n)
    cdef Py_ssize_t num_inp_nodes = n[0], num_hid_nodes = n[1], num_out_nodes = _num_out(wo)
    cdef const double* inp_ = _arg(inp, 1, num_inp_nodes, 0, False)
    cdef const double* hid_ = _arg(hid, 1, num_hid_nodes, 0, False)
    cdef const double* out_ = _arg(out, 1, num_out_nodes, 0, False)
    cdef const double* err_ = _arg(err, 1, num_out_nodes, 0, False)
    cdef double* wh_ = _arg(wh, 2, num_hid_nodes, num_inp_nodes, True)
    cdef double* bh_ = _arg(bh, 1, num_hid_nodes, 0, True)
    cdef double* wo_ = _arg(wo, 2, num_out_nodes, num_hid_nodes, True)
    cdef double* bo_ = _arg(bo, 1, num_out_nodes, 0, True)
    # scratch: err_prop, delta_hid (num_hid_nodes each), delta_out (num_out_nodes)
    cdef Py_ssize_t size = 2 * num_hid_nodes + num_out_nodes
    cdef double small[SMALL]
    cdef double* scratch = small
    if size > SMALL:
        scratch = <double*>malloc(size * sizeof(double))
        if scratch == NULL:
            raise MemoryError()
    if num_hid_nodes * (num_inp_nodes + num_out_nodes) <= NOGIL_WORK:
        _update_network(inp_, hid_, out_, err_, wh_, bh_, wo_, bo_, lrate,
                        num_inp_nodes, num_hid_nodes, num_out_nodes,
                        scratch, scratch + num_hid_nodes, scratch + 2 * num_hid_nodes)
    else:
        with nogil:
            _update_network(inp_, hid_, out_, err_, wh_, bh_, wo_, bo_, lrate,
                            num_inp_nodes, num_hid_nodes, num_out_nodes,
                            scratch, scratch + num_hid_nodes, scratch + 2 * num_hid_nodes)
    if scratch != small:
        free(scratch)


cdef double* _train_args(cnp.ndarray X, cnp.ndarray Y, cnp.ndarray wh, cnp.ndarray bh,
                         cnp.ndarray wo, cnp.ndarray bo, Py_ssize_t* n,
                         double** p) except NULL:
    """n = (num_samples, num_inp_nodes, num_hid_nodes, num_out_nodes);
    p = (X, Y, wh, bh, wo, bo) data; returns p[0]."""
    _net(wh, n + 1)
    n[3] = _num_out(wo)
    p[0] = _arg(X, 2, -1, n[1], False)
    n[0] = cnp.PyArray_DIM(X, 0)
    p[1] = _arg(Y, 2, n[0], n[3], False)
    p[2] = _arg(wh, 2, n[2], n[1], True)
    p[3] = _arg(bh, 1, n[2], 0, True)
    p[4] = _arg(wo, 2, n[3], n[2], True)
    p[5] = _arg(bo, 1, n[3], 0, True)
    return p[0]


cdef int _train_threads(Py_ssize_t* n) noexcept:
    """OpenMP's threads (OMP_NUM_THREADS, else every core) for a big net, else one."""
    return openmp.omp_get_max_threads() if n[1] * n[2] >= PARALLEL_WEIGHTS else 1


cdef double* _train_work(Py_ssize_t* n, int threads) except NULL:
    """train's working copies, zeroed (see _train): whp, delta_hid, vals, hid, out, err,
    delta_out."""
    cdef Py_ssize_t num_panels = (n[2] + PANEL - 1) // PANEL
    cdef double* work = <double*>calloc(
        num_panels * n[1] * PANEL + num_panels * PANEL + threads * PANEL + n[2] + 3 * n[3],
        sizeof(double))
    if work == NULL:
        raise MemoryError()
    return work


def train(cnp.ndarray X not None, cnp.ndarray Y not None, cnp.ndarray wh not None,
          cnp.ndarray bh not None, cnp.ndarray wo not None, cnp.ndarray bo not None,
          double lrate, Py_ssize_t num_epochs):
    if num_epochs < 1:
        raise ValueError(f"num_epochs must be >= 1, got {num_epochs}")
    cdef Py_ssize_t n[4]
    cdef double* p[6]
    _train_args(X, Y, wh, bh, wo, bo, n, p)
    cdef cnp.ndarray mses = _empty(num_epochs, -1)
    cdef int threads = _train_threads(n)
    cdef double* work = _train_work(n, threads)
    with nogil:
        _train(p[0], p[1], p[2], p[3], p[4], p[5], lrate, num_epochs,
               <double*>cnp.PyArray_DATA(mses), n[0], n[1], n[2], n[3], work, threads)
    free(work)
    return mses


def train_epoch(cnp.ndarray X not None, cnp.ndarray Y not None, cnp.ndarray wh not None,
                cnp.ndarray bh not None, cnp.ndarray wo not None, cnp.ndarray bo not None,
                double lrate):
    """One epoch of train."""
    cdef Py_ssize_t n[4]
    cdef double* p[6]
    cdef double epoch_mse
    _train_args(X, Y, wh, bh, wo, bo, n, p)
    cdef int threads = _train_threads(n)
    cdef double* work = _train_work(n, threads)
    with nogil:
        _train(p[0], p[1], p[2], p[3], p[4], p[5], lrate, 1, &epoch_mse,
               n[0], n[1], n[2], n[3], work, threads)
    free(work)
    return epoch_mse


def train_epoch_literal(cnp.ndarray X not None, cnp.ndarray Y not None,
                        cnp.ndarray wh not None, cnp.ndarray bh not None,
                        cnp.ndarray wo not None, cnp.ndarray bo not None, double lrate):
    """train_epoch in the lecture's loop order (the per-sample kernels, sample by sample)."""
    cdef Py_ssize_t n[4]
    cdef double* p[6]
    cdef double epoch_mse
    _train_args(X, Y, wh, bh, wo, bo, n, p)
    # hid, out, err, then the scratch of _update_network (err_prop, delta_hid, delta_out)
    cdef double* work = <double*>malloc((3 * n[2] + 3 * n[3]) * sizeof(double))
    if work == NULL:
        raise MemoryError()
    with nogil:
        epoch_mse = _train_epoch(p[0], p[1], p[2], p[3], p[4], p[5], lrate,
                                 n[0], n[1], n[2], n[3],
                                 work, work + n[2], work + n[2] + n[3],
                                 work + n[2] + 2 * n[3])
    free(work)
    return epoch_mse


def predict(X, wh, bh, wo, bo, threads=None):
    """Y_hat (num_samples, num_out_nodes): the lecture's predict as the deep net's, the same
    sums, bias and sigmoid through the deep net's panels (net_predict, eight rows a pass),
    as numba does; rows on ``threads`` OpenMP threads (None: OpenMP's default, which honours
    OMP_NUM_THREADS). The result does not depend on ``threads``."""
    return net_predict(X, (wh, wo), (bh, bo), SIGMOID, SIGMOID, threads)


# ---------------------------------------------------------------------------------------
# The deep net's raw entry points: the reference's names and arguments (tuples of arrays,
# all float32 or all float64, and int codes). Each converts the tuples once into C arrays
# of pointers and the net's sizes, then runs the kernel without the GIL (the per-sample
# ones above NOGIL_WORK weights). As for the lecture's, net.py has validated everything
# first; these checks only keep a direct call from reading or writing out of bounds.

cdef struct _NetC:
    void* block           # one malloc: the pointer arrays, then sizes
    int typenum           # NPY_FLOAT or NPY_DOUBLE
    Py_ssize_t num_layers
    Py_ssize_t* sizes     # (n_0, ..., n_L)
    void** weights        # num_layers pointers each
    void** biases
    void** acts
    void** deltas
    void** grad_w
    void** grad_b


cdef void* _net_arg(object a, int typenum, int ndim, Py_ssize_t d0, Py_ssize_t d1,
                    bint writeable) except NULL:
    """_arg for either dtype: a's data, if a is an ndarray of typenum, native, C-contiguous,
    aligned, of shape (d0[, d1]) (d0 == -1: any number >= 1 of rows) and, if asked,
    writeable."""
    if not isinstance(a, cnp.ndarray):
        raise TypeError(f"loopmlp.kernels._cython: expected numpy arrays, got {type(a).__name__}")
    cdef cnp.ndarray arr = <cnp.ndarray>a
    if cnp.PyArray_TYPE(arr) != typenum or not cnp.PyArray_ISNOTSWAPPED(arr):
        raise TypeError("loopmlp.kernels._cython: a net's arrays must all be float32 or all "
                        "float64 (call the kernels through loopmlp.get_backend('cython'), which "
                        "checks and converts)")
    if (cnp.PyArray_NDIM(arr) != ndim or not cnp.PyArray_ISCARRAY_RO(arr)
            or (writeable and not cnp.PyArray_ISWRITEABLE(arr))
            or (cnp.PyArray_DIM(arr, 0) != d0 if d0 >= 0 else cnp.PyArray_DIM(arr, 0) < 1)
            or (ndim == 2 and cnp.PyArray_DIM(arr, 1) != d1)):
        raise ValueError("loopmlp.kernels._cython: an array has the wrong shape or layout "
                         "(call the kernels through loopmlp.get_backend('cython'), which says "
                         "which)")
    return cnp.PyArray_DATA(arr)


cdef int _net_open(_NetC* net, object weights, object biases, bint writeable) except -1:
    """net: the number of layers, the dtype and sizes from weights, and the pointers to
    weights and biases (updated in place if writeable). The caller frees net.block, also
    after an exception (it is NULL or the block)."""
    if not isinstance(weights, (tuple, list)) or len(weights) < 1:
        raise TypeError("loopmlp.kernels._cython: weights must be a tuple of arrays, one per layer")
    cdef Py_ssize_t L = len(weights), layer
    net.num_layers = L
    net.block = malloc(6 * L * sizeof(void*) + (L + 1) * sizeof(Py_ssize_t))
    if net.block == NULL:
        raise MemoryError()
    net.weights = <void**>net.block
    net.biases = net.weights + L
    net.acts = net.biases + L
    net.deltas = net.acts + L
    net.grad_w = net.deltas + L
    net.grad_b = net.grad_w + L
    net.sizes = <Py_ssize_t*>(net.grad_b + L)
    for layer in range(L):
        w = weights[layer]
        if (not isinstance(w, cnp.ndarray) or cnp.PyArray_NDIM(<cnp.ndarray>w) != 2
                or cnp.PyArray_DIM(<cnp.ndarray>w, 0) < 1
                or cnp.PyArray_DIM(<cnp.ndarray>w, 1) < 1):
            raise ValueError("loopmlp.kernels._cython: weights must be 2-D arrays with at least "
                             "one node per layer")
        if layer == 0:
            net.sizes[0] = cnp.PyArray_DIM(<cnp.ndarray>w, 1)
        net.sizes[layer + 1] = cnp.PyArray_DIM(<cnp.ndarray>w, 0)
    net.typenum = cnp.PyArray_TYPE(<cnp.ndarray>weights[0])
    if net.typenum != cnp.NPY_FLOAT and net.typenum != cnp.NPY_DOUBLE:
        raise TypeError("loopmlp.kernels._cython: a net's arrays must be float32 or float64")
    _net_layers(net, weights, net.weights, True, writeable)
    _net_layers(net, biases, net.biases, False, writeable)
    return 0


cdef int _net_layers(_NetC* net, object arrays, void** p, bint matrix,
                     bint writeable) except -1:
    """p[l]: the data of arrays[l], of shape (n_{l+1}, n_l) if matrix, else (n_{l+1},)."""
    cdef Py_ssize_t layer
    if not isinstance(arrays, (tuple, list)) or len(arrays) != net.num_layers:
        raise ValueError("loopmlp.kernels._cython: every tuple of arrays needs one per layer")
    for layer in range(net.num_layers):
        p[layer] = _net_arg(arrays[layer], net.typenum, 2 if matrix else 1,
                            net.sizes[layer + 1], net.sizes[layer], writeable)
    return 0


cdef inline cnp.ndarray _net_empty(int typenum, Py_ssize_t d0, Py_ssize_t d1):
    """A new array of typenum, (d0,) if d1 < 0, else (d0, d1); the kernels fill it all."""
    cdef cnp.npy_intp dims[2]
    dims[0] = d0
    dims[1] = d1
    return cnp.PyArray_EMPTY(1 if d1 < 0 else 2, dims, typenum, 0)


cdef inline Py_ssize_t _net_weights(_NetC* net) noexcept:
    cdef Py_ssize_t layer, count = 0
    for layer in range(net.num_layers):
        count += net.sizes[layer] * net.sizes[layer + 1]
    return count


cdef int _num_threads(object threads) except -1:
    """threads: None (OpenMP's default, which honours OMP_NUM_THREADS) or an int >= 1."""
    if threads is None:
        return openmp.omp_get_max_threads()
    if (isinstance(threads, bool) or not hasattr(threads, "__index__")
            or not 1 <= threads.__index__() <= 1024):
        raise ValueError(f"threads must be None or an integer >= 1, got {threads!r}")
    return threads.__index__()


# The kernels on net's pointers, in its dtype and rounding: one place each where float and
# double, and the lecture's two roundings and fma's one (fma: ONCE, else TWICE), part.

cdef void _net_response_c(_NetC* net, const void* inp, int hidden, int output,
                          bint fma) noexcept nogil:
    if fma:
        _net_response_as(net, inp, hidden, output, ONCE)
    else:
        _net_response_as(net, inp, hidden, output, TWICE)


cdef void _net_response_as(_NetC* net, const void* inp, int hidden, int output,
                           rounding rnd) noexcept nogil:
    if net.typenum == cnp.NPY_FLOAT:
        _net_response_rounded(<const float*>inp, <float**>net.weights, <float**>net.biases,
                              hidden, output, <float**>net.acts, net.sizes, net.num_layers,
                              rnd)
    else:
        _net_response_rounded(<const double*>inp, <double**>net.weights,
                              <double**>net.biases, hidden, output, <double**>net.acts,
                              net.sizes, net.num_layers, rnd)


cdef void _net_update_c(_NetC* net, const void* inp, const void* tgt, int hidden, int output,
                        int loss, double lrate, bint fma) noexcept nogil:
    if fma:
        _net_update_as(net, inp, tgt, hidden, output, loss, lrate, ONCE)
    else:
        _net_update_as(net, inp, tgt, hidden, output, loss, lrate, TWICE)


cdef void _net_update_as(_NetC* net, const void* inp, const void* tgt, int hidden,
                         int output, int loss, double lrate, rounding rnd) noexcept nogil:
    if net.typenum == cnp.NPY_FLOAT:
        _net_update_rounded(<const float*>inp, <float**>net.acts, <const float*>tgt,
                            <float**>net.weights, <float**>net.biases, hidden, output, loss,
                            <float>lrate, <float**>net.deltas, net.sizes, net.num_layers,
                            rnd)
    else:
        _net_update_rounded(<const double*>inp, <double**>net.acts, <const double*>tgt,
                            <double**>net.weights, <double**>net.biases, hidden, output,
                            loss, lrate, <double**>net.deltas, net.sizes, net.num_layers,
                            rnd)


cdef void _net_train_c(_NetC* net, const void* X, const void* Y, int hidden, int output,
                       int loss, double lrate, const cnp.int64_t* orders,
                       Py_ssize_t batch_size, void* losses, Py_ssize_t num_epochs,
                       Py_ssize_t num_samples, void* work, Py_ssize_t* offsets,
                       int threads, bint fma) noexcept nogil:
    if fma:
        _net_train_as(net, X, Y, hidden, output, loss, lrate, orders, batch_size, losses,
                      num_epochs, num_samples, work, offsets, threads, ONCE)
    else:
        _net_train_as(net, X, Y, hidden, output, loss, lrate, orders, batch_size, losses,
                      num_epochs, num_samples, work, offsets, threads, TWICE)


cdef void _net_train_as(_NetC* net, const void* X, const void* Y, int hidden, int output,
                        int loss, double lrate, const cnp.int64_t* orders,
                        Py_ssize_t batch_size, void* losses, Py_ssize_t num_epochs,
                        Py_ssize_t num_samples, void* work, Py_ssize_t* offsets,
                        int threads, rounding rnd) noexcept nogil:
    if net.typenum == cnp.NPY_FLOAT:
        _net_train(<const float*>X, <const float*>Y, <float**>net.weights,
                   <float**>net.biases, hidden, output, loss, <float>lrate, orders,
                   batch_size, <float**>net.acts, <float**>net.deltas, <float**>net.grad_w,
                   <float**>net.grad_b, <float*>losses, net.sizes, net.num_layers,
                   num_epochs, num_samples, <float*>work, offsets, threads, rnd)
    else:
        _net_train(<const double*>X, <const double*>Y, <double**>net.weights,
                   <double**>net.biases, hidden, output, loss, lrate, orders, batch_size,
                   <double**>net.acts, <double**>net.deltas, <double**>net.grad_w,
                   <double**>net.grad_b, <double*>losses, net.sizes, net.num_layers,
                   num_epochs, num_samples, <double*>work, offsets, threads, rnd)


# panels: one pointer per layer into the caller's zeroed block; filled here, then used
cdef void _net_predict_c(_NetC* net, const void* X, int hidden, int output, void** panels,
                         void* Y_hat, Py_ssize_t num_samples, Py_ssize_t widest, void* work,
                         int num_threads, unsigned char* finite, bint fma) noexcept nogil:
    if fma:
        _net_predict_as(net, X, hidden, output, panels, Y_hat, num_samples, widest, work,
                        num_threads, finite, ONCE)
    else:
        _net_predict_as(net, X, hidden, output, panels, Y_hat, num_samples, widest, work,
                        num_threads, finite, TWICE)


cdef void _net_predict_as(_NetC* net, const void* X, int hidden, int output, void** panels,
                          void* Y_hat, Py_ssize_t num_samples, Py_ssize_t widest, void* work,
                          int num_threads, unsigned char* finite,
                          rounding rnd) noexcept nogil:
    if net.typenum == cnp.NPY_FLOAT:
        _net_panels(<float**>net.weights, <float**>panels, net.sizes, net.num_layers)
        _net_predict_rounded(<const float*>X, <float**>net.weights, <float**>net.biases,
                             hidden, output, <float**>panels, <float*>Y_hat, net.sizes,
                             net.num_layers, num_samples, widest, <float*>work, num_threads,
                             finite, rnd)
    else:
        _net_panels(<double**>net.weights, <double**>panels, net.sizes, net.num_layers)
        _net_predict_rounded(<const double*>X, <double**>net.weights, <double**>net.biases,
                             hidden, output, <double**>panels, <double*>Y_hat, net.sizes,
                             net.num_layers, num_samples, widest, <double*>work,
                             num_threads, finite, rnd)


def net_response(inp, weights, biases, int hidden, int output, acts, bint fma=False):
    """acts[l] filled with layer l's activations for inp (acts[-1]: the output). fma: every
    multiply-add rounded once (the FMA mode), else product and sum each (the default)."""
    cdef _NetC net
    net.block = NULL
    cdef void* inp_
    try:
        _net_open(&net, weights, biases, False)
        _net_layers(&net, acts, net.acts, False, True)
        inp_ = _net_arg(inp, net.typenum, 1, net.sizes[0], 0, False)
        if _net_weights(&net) <= NOGIL_WORK:
            _net_response_c(&net, inp_, hidden, output, fma)
        else:
            with nogil:
                _net_response_c(&net, inp_, hidden, output, fma)
    finally:
        free(net.block)


def net_update(inp, acts, tgt, weights, biases, int hidden, int output, int loss, lrate,
               deltas, bint fma=False):
    """One sample's step on every layer: weights and biases updated in place. lrate: a
    scalar of the net's dtype (a float is rounded to it). fma: as for net_response."""
    cdef _NetC net
    net.block = NULL
    cdef void* inp_
    cdef void* tgt_
    cdef double lrate_ = lrate
    try:
        _net_open(&net, weights, biases, True)
        _net_layers(&net, acts, net.acts, False, False)
        _net_layers(&net, deltas, net.deltas, False, True)
        inp_ = _net_arg(inp, net.typenum, 1, net.sizes[0], 0, False)
        tgt_ = _net_arg(tgt, net.typenum, 1, net.sizes[net.num_layers], 0, False)
        if _net_weights(&net) <= NOGIL_WORK:
            _net_update_c(&net, inp_, tgt_, hidden, output, loss, lrate_, fma)
        else:
            with nogil:
                _net_update_c(&net, inp_, tgt_, hidden, output, loss, lrate_, fma)
    finally:
        free(net.block)


def net_train(X, Y, weights, biases, int hidden, int output, int loss, lrate, orders,
              Py_ssize_t batch_size, acts, deltas, grad_w, grad_b, bint fma=False):
    """Epochs of SGD, all in C: returns losses (num_epochs,), each epoch's mean sample loss.
    orders (num_epochs, num_samples) int64: the rows of X, Y of each epoch, in order.
    A mini-batch's weight updates are shared out to OpenMP's threads (OMP_NUM_THREADS, else
    every core); the result does not depend on how many. fma: as for net_response."""
    cdef _NetC net
    net.block = NULL
    cdef void* X_
    cdef void* Y_
    cdef void* work = NULL
    cdef Py_ssize_t* offsets = NULL
    cdef const cnp.int64_t* orders_
    cdef Py_ssize_t num_rows, num_epochs, num_samples, j
    cdef double lrate_ = lrate
    cdef int threads = openmp.omp_get_max_threads()
    cdef cnp.ndarray losses
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    try:
        _net_open(&net, weights, biases, True)
        _net_layers(&net, acts, net.acts, False, True)
        _net_layers(&net, deltas, net.deltas, False, True)
        _net_layers(&net, grad_w, net.grad_w, True, True)
        _net_layers(&net, grad_b, net.grad_b, False, True)
        X_ = _net_arg(X, net.typenum, 2, -1, net.sizes[0], False)
        num_rows = cnp.PyArray_DIM(<cnp.ndarray>X, 0)
        Y_ = _net_arg(Y, net.typenum, 2, num_rows, net.sizes[net.num_layers], False)
        if (not isinstance(orders, cnp.ndarray)
                or cnp.PyArray_TYPE(<cnp.ndarray>orders) != cnp.NPY_INT64
                or cnp.PyArray_NDIM(<cnp.ndarray>orders) != 2
                or not cnp.PyArray_ISCARRAY_RO(<cnp.ndarray>orders)):
            raise ValueError("loopmlp.kernels._cython: orders must be a C-contiguous int64 array "
                             "(num_epochs, num_samples)")
        num_epochs = cnp.PyArray_DIM(<cnp.ndarray>orders, 0)
        num_samples = cnp.PyArray_DIM(<cnp.ndarray>orders, 1)
        orders_ = <const cnp.int64_t*>cnp.PyArray_DATA(<cnp.ndarray>orders)
        for j in range(num_epochs * num_samples):
            if not 0 <= orders_[j] < num_rows:
                raise ValueError(f"loopmlp.kernels._cython: orders holds row {orders_[j]}, but X "
                                 f"has {num_rows} rows")
        losses = _net_empty(net.typenum, num_epochs, -1)
        if batch_size > 1:  # the mini-batches' buffers and panels (_net_train_work)
            work = calloc(max(1, _net_train_work(net.sizes, net.num_layers,
                                                 min(batch_size, num_samples), threads)),
                          cnp.PyArray_ITEMSIZE(losses))
            offsets = <Py_ssize_t*>malloc((net.num_layers + 1) * sizeof(Py_ssize_t))
            if work == NULL or offsets == NULL:
                raise MemoryError()
        with nogil:
            _net_train_c(&net, X_, Y_, hidden, output, loss, lrate_, orders_, batch_size,
                         cnp.PyArray_DATA(losses), num_epochs, num_samples, work, offsets,
                         threads, fma)
    finally:
        free(offsets)
        free(work)
        free(net.block)
    return losses


def net_predict(X, weights, biases, int hidden, int output, threads=None, bint fma=False):
    """Y_hat (num_samples, n_L); rows on ``threads`` OpenMP threads (None: OpenMP's
    default, which honours OMP_NUM_THREADS). The result does not depend on ``threads``.
    ValueError if X holds a NaN or inf (found as the rows are read). fma: as for
    net_response."""
    cdef int num_threads = _num_threads(threads)
    cdef _NetC net
    net.block = NULL
    cdef void* X_
    cdef void* work = NULL
    cdef void* block = NULL
    cdef void** panels = NULL
    cdef unsigned char* finite = NULL
    cdef Py_ssize_t num_samples, widest = 1, layer, itemsize, count = 0, b_idx
    cdef cnp.ndarray Y_hat
    try:
        _net_open(&net, weights, biases, False)
        X_ = _net_arg(X, net.typenum, 2, -1, net.sizes[0], False)
        num_samples = cnp.PyArray_DIM(<cnp.ndarray>X, 0)
        for layer in range(net.num_layers):
            widest = max(widest, net.sizes[layer + 1])
        num_threads = <int>min(<Py_ssize_t>num_threads, (num_samples + BLOCK - 1) // BLOCK)
        Y_hat = _net_empty(net.typenum, num_samples, net.sizes[net.num_layers])
        itemsize = cnp.PyArray_ITEMSIZE(Y_hat)
        # each layer's panels, zero-padded, one after the other in block (packed once a call,
        # _net_panels); padded to WIDE_PANEL units, room for either dtype's _panel_width
        panels = <void**>malloc(net.num_layers * sizeof(void*))
        for layer in range(net.num_layers):
            count += (net.sizes[layer + 1] + WIDE_PANEL - 1) // WIDE_PANEL * WIDE_PANEL \
                * net.sizes[layer]
        block = calloc(count, itemsize)
        # each thread's hid (2, BLOCK, widest)
        work = calloc(num_threads * 2 * BLOCK * widest, itemsize)
        finite = <unsigned char*>malloc(max(1, (num_samples + BLOCK - 1) // BLOCK))
        if panels == NULL or block == NULL or work == NULL or finite == NULL:
            raise MemoryError()
        count = 0
        for layer in range(net.num_layers):
            panels[layer] = <char*>block + count * itemsize
            count += (net.sizes[layer + 1] + WIDE_PANEL - 1) // WIDE_PANEL * WIDE_PANEL \
                * net.sizes[layer]
        with nogil:
            _net_predict_c(&net, X_, hidden, output, panels, cnp.PyArray_DATA(Y_hat),
                           num_samples, widest, work, num_threads, finite, fma)
        for b_idx in range((num_samples + BLOCK - 1) // BLOCK):
            if not finite[b_idx]:
                raise ValueError("X contains NaN or inf")
    finally:
        free(finite)
        free(work)
        free(block)
        free(panels)
        free(net.block)
    return Y_hat

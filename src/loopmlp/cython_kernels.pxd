# The cython backend's kernels for your own Cython code: ``cimport loopmlp.cython_kernels``.
#
# Every function is nogil and computes the cython backend's bits (the python reference's).
# One module for every CPU: at import it takes its kernels from the build that
# loopmlp.kernels._cython_native chooses (SSE2, AVX2 or AVX-512), so an extension built once
# runs everywhere. The module must be imported before use; cimport does that.
#
# Checked forms: C-contiguous typed memoryviews, the Python API's names and argument order,
# outputs last. Before any weight moves they check every shape against wh and wo (at least
# one node per layer), lrate (finite, > 0) and num_epochs (>= 1), and raise ValueError naming
# the argument; they need no GIL to run or to raise (they take it only to raise). They return
# 0 (train_epoch: the epoch's MSE) and -1 with the exception set. Not checked: NaN and inf
# (except predict's X), and arrays that share memory.
#
# Raw forms (raw_*): pointers to C-contiguous arrays and their sizes; noexcept nogil and
# checked in no way: a wrong size reads or writes out of bounds. Each documents its arrays
# as BLAS does: shape in elements, in (read), out (written), inout (both).
#   n_in, n_hid, n_out: the lecture's layer sizes; n_samples: rows of X (and Y, Y_hat).
#   sizes (num_layers + 1,): a deep net's layer sizes n_0 ... n_L; weights, biases, acts,
#   deltas: num_layers pointers, weights[l] (n_{l+1}, n_l), the others (n_{l+1},).
# The raw forms that allocate return 0, or -1 when out of memory (raw_predict and
# raw_net_predict: 1 when X holds a NaN or inf; Y_hat is then filled but meaningless).

# Activation and loss codes of the deep net (loopmlp.kernels._reference's)
cdef enum:
    SIGMOID = 0
    TANH = 1
    RELU = 2
    IDENTITY = 3
    SOFTMAX = 4
cdef enum:
    MSE = 0
    CROSS_ENTROPY = 1

# --- Checked: the lecture's net, float64 ---------------------------------------------------

# hid (n_hid,), out (n_out,) <- the forward pass of inp (n_in,)
cdef int neural_response(const double[::1] inp, const double[:, ::1] wh,
                         const double[::1] bh, const double[:, ::1] wo, const double[::1] bo,
                         double[::1] hid, double[::1] out) except -1 nogil

# wh, bh, wo, bo updated in place: one backpropagation step; err = tgt - out (n_out,)
cdef int update_network(const double[::1] inp, const double[::1] hid,
                        const double[::1] out, const double[::1] err, double[:, ::1] wh,
                        double[::1] bh, double[:, ::1] wo, double[::1] bo,
                        double lrate) except -1 nogil

# one epoch of online SGD over the rows of X (n_samples, n_in), Y (n_samples, n_out);
# returns the epoch's MSE
cdef double train_epoch(const double[:, ::1] X, const double[:, ::1] Y, double[:, ::1] wh,
                        double[::1] bh, double[:, ::1] wo, double[::1] bo,
                        double lrate) except -1 nogil

# mses (num_epochs,) <- each epoch's MSE of num_epochs epochs
cdef int train(const double[:, ::1] X, const double[:, ::1] Y, double[:, ::1] wh,
               double[::1] bh, double[:, ::1] wo, double[::1] bo, double lrate,
               Py_ssize_t num_epochs, double[::1] mses) except -1 nogil

# Y_hat (n_samples, n_out) <- the forward pass of every row of X; ValueError for NaN or inf
cdef int predict(const double[:, ::1] X, const double[:, ::1] wh, const double[::1] bh,
                 const double[:, ::1] wo, const double[::1] bo,
                 double[:, ::1] Y_hat) except -1 nogil

# --- Raw: the lecture's net, float64 -------------------------------------------------------

# in inp (n_in,), wh (n_hid, n_in), bh (n_hid,), wo (n_out, n_hid), bo (n_out,);
# out hid (n_hid,), out (n_out,)
cdef void raw_neural_response(const double* inp, const double* wh, const double* bh,
                              const double* wo, const double* bo, double* hid, double* out,
                              Py_ssize_t n_in, Py_ssize_t n_hid,
                              Py_ssize_t n_out) noexcept nogil

# in inp (n_in,), hid (n_hid,), out, err (n_out,); inout wh, bh, wo, bo
cdef int raw_update_network(const double* inp, const double* hid, const double* out,
                            const double* err, double* wh, double* bh, double* wo,
                            double* bo, double lrate, Py_ssize_t n_in, Py_ssize_t n_hid,
                            Py_ssize_t n_out) noexcept nogil

# in X (n_samples, n_in), Y (n_samples, n_out); inout wh, bh, wo, bo; out mse (1,)
cdef int raw_train_epoch(const double* X, const double* Y, double* wh, double* bh,
                         double* wo, double* bo, double lrate, double* mse,
                         Py_ssize_t n_samples, Py_ssize_t n_in, Py_ssize_t n_hid,
                         Py_ssize_t n_out) noexcept nogil

# in X, Y; inout wh, bh, wo, bo; out mses (num_epochs,)
cdef int raw_train(const double* X, const double* Y, double* wh, double* bh, double* wo,
                   double* bo, double lrate, Py_ssize_t num_epochs, double* mses,
                   Py_ssize_t n_samples, Py_ssize_t n_in, Py_ssize_t n_hid,
                   Py_ssize_t n_out) noexcept nogil

# in X (n_samples, n_in), wh, bh, wo, bo; out Y_hat (n_samples, n_out)
cdef int raw_predict(const double* X, const double* wh, const double* bh, const double* wo,
                     const double* bo, double* Y_hat, Py_ssize_t n_samples, Py_ssize_t n_in,
                     Py_ssize_t n_hid, Py_ssize_t n_out) noexcept nogil

# --- Raw: the deep net, float64 and float32 (suffix _float) --------------------------------

# in inp (n_0,), weights, biases; out acts[l] (n_{l+1},)
cdef void raw_net_response(const double* inp, double** weights, double** biases, int hidden,
                           int output, double** acts, const Py_ssize_t* sizes,
                           Py_ssize_t num_layers) noexcept nogil
cdef void raw_net_response_float(const float* inp, float** weights, float** biases,
                                 int hidden, int output, float** acts,
                                 const Py_ssize_t* sizes, Py_ssize_t num_layers) noexcept nogil

# in inp (n_0,), acts (from raw_net_response), tgt (n_L,); inout weights, biases;
# out deltas (scratch)
cdef void raw_net_update(const double* inp, double** acts, const double* tgt,
                         double** weights, double** biases, int hidden, int output, int loss,
                         double lrate, double** deltas, const Py_ssize_t* sizes,
                         Py_ssize_t num_layers) noexcept nogil
cdef void raw_net_update_float(const float* inp, float** acts, const float* tgt,
                               float** weights, float** biases, int hidden, int output,
                               int loss, float lrate, float** deltas, const Py_ssize_t* sizes,
                               Py_ssize_t num_layers) noexcept nogil

# in X (n_samples, n_0), weights, biases; out Y_hat (n_samples, n_L)
cdef int raw_net_predict(const double* X, double** weights, double** biases, int hidden,
                         int output, double* Y_hat, const Py_ssize_t* sizes,
                         Py_ssize_t num_layers, Py_ssize_t n_samples) noexcept nogil
cdef int raw_net_predict_float(const float* X, float** weights, float** biases, int hidden,
                               int output, float* Y_hat, const Py_ssize_t* sizes,
                               Py_ssize_t num_layers, Py_ssize_t n_samples) noexcept nogil

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
# The deep net's checked forms hold a net as Cython code can: each kind of array of every
# layer in one C-contiguous 1-D memoryview, layer after layer, and its layer sizes in one more.
#   sizes (num_layers + 1,): n_0 ... n_L, each >= 1 (any integer array of Py_ssize_t's width:
#     np.intp, or int64 on 64-bit platforms)
#   weights, grad_w (sum of n_{l+1} * n_l,): layer l's (n_{l+1}, n_l) matrix, row-major, after
#     those of the layers before it
#   biases, acts, deltas, grad_b (sum of n_{l+1},): layer l's (n_{l+1},) after those before it;
#     the last n_L of acts are the net's output
# They take the Python API's arguments in its order, then the outputs it returns, then sizes,
# as the raw forms do. float64 under the Python API's names, float32 with the suffix _float.
# Beyond the lecture's checks: sizes, every array's length against them, the codes (hidden
# SIGMOID..RELU, output SIGMOID..SOFTMAX, loss MSE or CROSS_ENTROPY, CROSS_ENTROPY only over
# a SIGMOID or SOFTMAX output), lrate finite and > 0 in the net's dtype, batch_size >= 1,
# orders (num_epochs, num_samples) int64 with every row in X. A memoryview of another dtype,
# or not C-contiguous, is refused where it is made (Cython's ValueError), before any call.
#
# Raw forms (raw_*): pointers to C-contiguous arrays and their sizes; noexcept nogil and
# checked in no way: a wrong size reads or writes out of bounds. Each documents its arrays
# as BLAS does: shape in elements, in (read), out (written), inout (both).
#   n_in, n_hid, n_out: the lecture's layer sizes; n_samples: rows of X (and Y, Y_hat).
#   sizes (num_layers + 1,): a deep net's layer sizes n_0 ... n_L; weights, biases, acts,
#   deltas: num_layers pointers, weights[l] (n_{l+1}, n_l), the others (n_{l+1},).
# The raw forms that allocate return 0, or -1 when out of memory (raw_predict and
# raw_net_predict: 1 when X holds a NaN or inf; Y_hat is then filled but meaningless).

from libc.math cimport isfinite
from libc.stdint cimport int64_t

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

# The two per-sample forms are inline: compiled into your module, their checks compare a few
# sizes in your code, then call the raw form (a memoryview passed to a function of this
# module would be copied, over 200 bytes each: most of what a call would add). The _bad_*
# functions raise the ValueError; they are for these two only.
cdef int _bad_net(Py_ssize_t n_hid, Py_ssize_t n_in, Py_ssize_t n_out,
                  Py_ssize_t wo1) except -1 nogil
cdef int _bad_shape(const char* name, Py_ssize_t got0, Py_ssize_t got1, Py_ssize_t want0,
                    Py_ssize_t want1) except -1 nogil
cdef int _bad_lrate(double lrate) except -1 nogil
cdef int _bad_status(int status) except -1 nogil

# hid (n_hid,), out (n_out,) <- the forward pass of inp (n_in,)
cdef inline int neural_response(const double[::1] inp, const double[:, ::1] wh,
                                const double[::1] bh, const double[:, ::1] wo,
                                const double[::1] bo, double[::1] hid,
                                double[::1] out) except -1 nogil:
    cdef Py_ssize_t n_hid = wh.shape[0], n_in = wh.shape[1], n_out = wo.shape[0]
    if n_hid < 1 or n_in < 1 or n_out < 1:
        return _bad_net(n_hid, n_in, n_out, wo.shape[1])
    if bh.shape[0] != n_hid:
        return _bad_shape(b"bh", bh.shape[0], -1, n_hid, -1)
    if wo.shape[1] != n_hid:
        return _bad_shape(b"wo", n_out, wo.shape[1], n_out, n_hid)
    if bo.shape[0] != n_out:
        return _bad_shape(b"bo", bo.shape[0], -1, n_out, -1)
    if inp.shape[0] != n_in:
        return _bad_shape(b"inp", inp.shape[0], -1, n_in, -1)
    if hid.shape[0] != n_hid:
        return _bad_shape(b"hid", hid.shape[0], -1, n_hid, -1)
    if out.shape[0] != n_out:
        return _bad_shape(b"out", out.shape[0], -1, n_out, -1)
    raw_neural_response(&inp[0], &wh[0, 0], &bh[0], &wo[0, 0], &bo[0], &hid[0], &out[0], n_in,
                        n_hid, n_out)
    return 0

# wh, bh, wo, bo updated in place: one backpropagation step; err = tgt - out (n_out,)
cdef inline int update_network(const double[::1] inp, const double[::1] hid,
                               const double[::1] out, const double[::1] err,
                               double[:, ::1] wh, double[::1] bh, double[:, ::1] wo,
                               double[::1] bo, double lrate) except -1 nogil:
    cdef Py_ssize_t n_hid = wh.shape[0], n_in = wh.shape[1], n_out = wo.shape[0]
    if n_hid < 1 or n_in < 1 or n_out < 1:
        return _bad_net(n_hid, n_in, n_out, wo.shape[1])
    if bh.shape[0] != n_hid:
        return _bad_shape(b"bh", bh.shape[0], -1, n_hid, -1)
    if wo.shape[1] != n_hid:
        return _bad_shape(b"wo", n_out, wo.shape[1], n_out, n_hid)
    if bo.shape[0] != n_out:
        return _bad_shape(b"bo", bo.shape[0], -1, n_out, -1)
    if inp.shape[0] != n_in:
        return _bad_shape(b"inp", inp.shape[0], -1, n_in, -1)
    if hid.shape[0] != n_hid:
        return _bad_shape(b"hid", hid.shape[0], -1, n_hid, -1)
    if out.shape[0] != n_out:
        return _bad_shape(b"out", out.shape[0], -1, n_out, -1)
    if err.shape[0] != n_out:
        return _bad_shape(b"err", err.shape[0], -1, n_out, -1)
    if not (lrate > 0 and isfinite(lrate)):
        return _bad_lrate(lrate)
    cdef int status = raw_update_network(&inp[0], &hid[0], &out[0], &err[0], &wh[0, 0], &bh[0],
                                         &wo[0, 0], &bo[0], lrate, n_in, n_hid, n_out)
    if status != 0:
        return _bad_status(status)
    return 0

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

# --- Checked: the deep net, float64 and float32 (suffix _float) ----------------------------

# acts <- the forward pass of inp (n_0,)
cdef int net_response(const double[::1] inp, const double[::1] weights,
                      const double[::1] biases, int hidden, int output, double[::1] acts,
                      const Py_ssize_t[::1] sizes) except -1 nogil
cdef int net_response_float(const float[::1] inp, const float[::1] weights,
                            const float[::1] biases, int hidden, int output, float[::1] acts,
                            const Py_ssize_t[::1] sizes) except -1 nogil

# weights, biases updated in place: one sample's step, acts from net_response of inp,
# tgt (n_L,); deltas: scratch
cdef int net_update(const double[::1] inp, const double[::1] acts, const double[::1] tgt,
                    double[::1] weights, double[::1] biases, int hidden, int output, int loss,
                    double lrate, double[::1] deltas, const Py_ssize_t[::1] sizes) except -1 nogil
cdef int net_update_float(const float[::1] inp, const float[::1] acts, const float[::1] tgt,
                          float[::1] weights, float[::1] biases, int hidden, int output,
                          int loss, float lrate, float[::1] deltas,
                          const Py_ssize_t[::1] sizes) except -1 nogil

# epochs of SGD over the rows of X (n_samples, n_0), Y (n_samples, n_L) in the order of
# orders (num_epochs, num_samples); losses (num_epochs,) <- each epoch's mean sample loss;
# acts, deltas, grad_w, grad_b: scratch
cdef int net_train(const double[:, ::1] X, const double[:, ::1] Y, double[::1] weights,
                   double[::1] biases, int hidden, int output, int loss, double lrate,
                   const int64_t[:, ::1] orders, Py_ssize_t batch_size, double[::1] acts,
                   double[::1] deltas, double[::1] grad_w, double[::1] grad_b,
                   double[::1] losses, const Py_ssize_t[::1] sizes) except -1 nogil
cdef int net_train_float(const float[:, ::1] X, const float[:, ::1] Y, float[::1] weights,
                         float[::1] biases, int hidden, int output, int loss, float lrate,
                         const int64_t[:, ::1] orders, Py_ssize_t batch_size, float[::1] acts,
                         float[::1] deltas, float[::1] grad_w, float[::1] grad_b,
                         float[::1] losses, const Py_ssize_t[::1] sizes) except -1 nogil

# Y_hat (n_samples, n_L) <- the forward pass of every row of X; ValueError for NaN or inf
cdef int net_predict(const double[:, ::1] X, const double[::1] weights,
                     const double[::1] biases, int hidden, int output, double[:, ::1] Y_hat,
                     const Py_ssize_t[::1] sizes) except -1 nogil
cdef int net_predict_float(const float[:, ::1] X, const float[::1] weights,
                           const float[::1] biases, int hidden, int output,
                           float[:, ::1] Y_hat, const Py_ssize_t[::1] sizes) except -1 nogil

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

# in X (n_samples, n_0), Y (n_samples, n_L), orders (num_epochs, num_samples), every row in
# X; inout weights, biases; out losses (num_epochs,); acts, deltas, grad_w, grad_b (the
# shapes of biases, biases, weights, biases): scratch
cdef int raw_net_train(const double* X, const double* Y, double** weights, double** biases,
                       int hidden, int output, int loss, double lrate, const int64_t* orders,
                       Py_ssize_t batch_size, double** acts, double** deltas, double** grad_w,
                       double** grad_b, double* losses, const Py_ssize_t* sizes,
                       Py_ssize_t num_layers, Py_ssize_t num_epochs,
                       Py_ssize_t num_samples) noexcept nogil
cdef int raw_net_train_float(const float* X, const float* Y, float** weights, float** biases,
                             int hidden, int output, int loss, float lrate,
                             const int64_t* orders, Py_ssize_t batch_size, float** acts,
                             float** deltas, float** grad_w, float** grad_b, float* losses,
                             const Py_ssize_t* sizes, Py_ssize_t num_layers,
                             Py_ssize_t num_epochs, Py_ssize_t num_samples) noexcept nogil

# in X (n_samples, n_0), weights, biases; out Y_hat (n_samples, n_L)
cdef int raw_net_predict(const double* X, double** weights, double** biases, int hidden,
                         int output, double* Y_hat, const Py_ssize_t* sizes,
                         Py_ssize_t num_layers, Py_ssize_t n_samples) noexcept nogil
cdef int raw_net_predict_float(const float* X, float** weights, float** biases, int hidden,
                               int output, float* Y_hat, const Py_ssize_t* sizes,
                               Py_ssize_t num_layers, Py_ssize_t n_samples) noexcept nogil

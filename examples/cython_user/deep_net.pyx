# cython: language_level=3, boundscheck=False, wraparound=False
"""A user's Cython code over loopmlp's deep-net kernels, float32 and float64.

A net is held as the checked kernels take it: one 1-D array of every layer's weights, one of
every layer's biases (and of the scratch ``acts``, ``deltas``, ``grad_w``, ``grad_b``), and
the layer sizes. ``sgd`` is online SGD written around the per-sample kernels; ``train`` and
``predict`` call the whole-run kernels. A wrong shape raises ValueError from the kernels.
"""

cimport loopmlp.cython_kernels as ck
from libc.stdint cimport int64_t

ctypedef fused real:
    float
    double


def sgd(const real[:, ::1] X, const real[:, ::1] Y, real[::1] weights, real[::1] biases,
        int hidden, int output, int loss, real lrate, const int64_t[:, ::1] orders,
        real[::1] acts, real[::1] deltas, const Py_ssize_t[::1] sizes):
    """Online SGD in the order of orders (num_epochs, num_samples): net_train with
    batch_size 1, as a loop of net_response and net_update."""
    cdef Py_ssize_t epoch, n, row
    with nogil:
        for epoch in range(orders.shape[0]):
            for n in range(orders.shape[1]):
                row = orders[epoch, n]
                if real is float:
                    ck.net_response_float(X[row], weights, biases, hidden, output, acts, sizes)
                    ck.net_update_float(X[row], acts, Y[row], weights, biases, hidden, output,
                                        loss, lrate, deltas, sizes)
                else:
                    ck.net_response(X[row], weights, biases, hidden, output, acts, sizes)
                    ck.net_update(X[row], acts, Y[row], weights, biases, hidden, output, loss,
                                  lrate, deltas, sizes)


def response(const real[::1] inp, const real[::1] weights, const real[::1] biases, int hidden,
             int output, real[::1] acts, const Py_ssize_t[::1] sizes):
    """acts <- the forward pass of inp."""
    with nogil:
        if real is float:
            ck.net_response_float(inp, weights, biases, hidden, output, acts, sizes)
        else:
            ck.net_response(inp, weights, biases, hidden, output, acts, sizes)


def train(const real[:, ::1] X, const real[:, ::1] Y, real[::1] weights, real[::1] biases,
          int hidden, int output, int loss, real lrate, const int64_t[:, ::1] orders,
          Py_ssize_t batch_size, real[::1] acts, real[::1] deltas, real[::1] grad_w,
          real[::1] grad_b, real[::1] losses, const Py_ssize_t[::1] sizes):
    """net_train: losses (num_epochs,) <- each epoch's mean sample loss."""
    with nogil:
        if real is float:
            ck.net_train_float(X, Y, weights, biases, hidden, output, loss, lrate, orders,
                               batch_size, acts, deltas, grad_w, grad_b, losses, sizes)
        else:
            ck.net_train(X, Y, weights, biases, hidden, output, loss, lrate, orders,
                         batch_size, acts, deltas, grad_w, grad_b, losses, sizes)


def predict(const real[:, ::1] X, const real[::1] weights, const real[::1] biases, int hidden,
            int output, real[:, ::1] Y_hat, const Py_ssize_t[::1] sizes):
    """Y_hat <- the forward pass of every row of X."""
    with nogil:
        if real is float:
            ck.net_predict_float(X, weights, biases, hidden, output, Y_hat, sizes)
        else:
            ck.net_predict(X, weights, biases, hidden, output, Y_hat, sizes)


def train_raw(const double[:, ::1] X, const double[:, ::1] Y, double[::1] weights,
              double[::1] biases, int hidden, int output, int loss, double lrate,
              const int64_t[:, ::1] orders, Py_ssize_t batch_size, double[::1] acts,
              double[::1] deltas, double[::1] grad_w, double[::1] grad_b, double[::1] losses,
              const Py_ssize_t[::1] sizes):
    """raw_net_train, float64, on pointers to each layer: the caller vouches for every size
    (this function is only as safe as its caller's arrays)."""
    cdef Py_ssize_t L = sizes.shape[0] - 1, layer, w_at = 0, b_at = 0
    cdef double* p[6 * 8]
    if L > 8:
        raise ValueError("train_raw holds up to 8 layers")
    for layer in range(L):
        p[layer] = &weights[w_at]
        p[L + layer] = &biases[b_at]
        p[2 * L + layer] = &acts[b_at]
        p[3 * L + layer] = &deltas[b_at]
        p[4 * L + layer] = &grad_w[w_at]
        p[5 * L + layer] = &grad_b[b_at]
        w_at += sizes[layer + 1] * sizes[layer]
        b_at += sizes[layer + 1]
    if ck.raw_net_train(&X[0, 0], &Y[0, 0], p, p + L, hidden, output, loss, lrate,
                        &orders[0, 0], batch_size, p + 2 * L, p + 3 * L, p + 4 * L, p + 5 * L,
                        &losses[0], &sizes[0], L, orders.shape[0], orders.shape[1]) != 0:
        raise MemoryError()

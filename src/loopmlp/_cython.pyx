# cython: boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""The ``cython`` backend: the reference's loops (``_reference.py``) in typed Cython.

Each ``cdef ... nogil`` kernel below mirrors the reference function of the same name line
for line; they differ only in that output and scratch arrays are passed in (a ``nogil``
kernel cannot allocate NumPy arrays), so whole epochs and trainings run without the GIL and
without a Python call per sample. The ``def`` functions are the raw entry points; they are
only reached through ``loopmlp``'s validation, because the directives above switch off
bounds and wraparound checks.

Bit-identity with the reference: ``exp`` is the C library's (``libc.math``); setup.py
compiles with ``-ffp-contract=off`` (no FMA) and without ``-ffast-math`` (no reassociation),
so gcc keeps every sum in the order written; ``cdivision`` only drops Python's
zero-division check, and every divisor here is >= 1.
"""

import numpy as np

from libc.math cimport exp
from libc.stdlib cimport free, malloc


cdef void _neural_response(const double[::1] inp, const double[:, ::1] wh,
                           const double[::1] bh, const double[:, ::1] wo,
                           const double[::1] bo,
                           double[::1] hid, double[::1] out) noexcept nogil:
    cdef Py_ssize_t num_inp_nodes = wh.shape[1]
    cdef Py_ssize_t num_hid_nodes = wh.shape[0]
    cdef Py_ssize_t num_out_nodes = wo.shape[0]
    cdef Py_ssize_t i_idx, h_idx, o_idx
    cdef double val

    # compute the hidden layer activation: y_j^h = 1 / (1 + e^-(b_j^h + sum_i w_ji^h x_i))
    for h_idx in range(num_hid_nodes):
        val = 0.0
        for i_idx in range(num_inp_nodes):
            val += inp[i_idx] * wh[h_idx, i_idx]
        val += bh[h_idx]
        hid[h_idx] = 1.0 / (1.0 + exp(-val))

    # compute the output layer activation: y_k^o = 1 / (1 + e^-(b_k^o + sum_j w_kj^o y_j^h))
    for o_idx in range(num_out_nodes):
        val = 0.0
        for h_idx in range(num_hid_nodes):
            val += hid[h_idx] * wo[o_idx, h_idx]
        val += bo[o_idx]  # once, after the sum (the transcript added it inside the loop)
        out[o_idx] = 1.0 / (1.0 + exp(-val))


cdef void _update_network(const double[::1] inp, const double[::1] hid,
                          const double[::1] out, const double[::1] err,
                          double[:, ::1] wh, double[::1] bh,
                          double[:, ::1] wo, double[::1] bo, double lrate,
                          double* err_prop, double* delta_hid,
                          double* delta_out) noexcept nogil:
    cdef Py_ssize_t num_inp_nodes = wh.shape[1]
    cdef Py_ssize_t num_hid_nodes = wh.shape[0]
    cdef Py_ssize_t num_out_nodes = wo.shape[0]
    cdef Py_ssize_t i_idx, h_idx, o_idx
    cdef double val

    # compute the output layer deltas: (y_k - y_k^o) y_k^o (1 - y_k^o)
    # (the transcript's out**(1.0 - out) contradicts the slide's math: it is a product)
    for o_idx in range(num_out_nodes):
        delta_out[o_idx] = \
            out[o_idx] * (1.0 - out[o_idx]) * err[o_idx]

    # compute the error to propagate back to the hidden layer: sum_k delta_k w_kj^o
    # (with wo before this step's update: the gradient is taken at the forward pass's weights)
    for h_idx in range(num_hid_nodes):
        val = 0.0
        for o_idx in range(num_out_nodes):
            val += (delta_out[o_idx] * wo[o_idx, h_idx])
        err_prop[h_idx] = val

    # compute the hidden layer deltas: (sum_k delta_k w_kj^o) y_j^h (1 - y_j^h)
    for h_idx in range(num_hid_nodes):
        delta_hid[h_idx] = \
            hid[h_idx] * (1.0 - hid[h_idx]) * err_prop[h_idx]

    # adjust wo: w_kj^o += eta (y_k - y_k^o) y_j^h y_k^o (1 - y_k^o)
    for h_idx in range(num_hid_nodes):
        for o_idx in range(num_out_nodes):
            wo[o_idx, h_idx] += \
                lrate * (hid[h_idx] * delta_out[o_idx])

    # adjust bo: b_k^o += eta (y_k - y_k^o) y_k^o (1 - y_k^o)
    for o_idx in range(num_out_nodes):
        bo[o_idx] += lrate * delta_out[o_idx]

    # adjust wh: w_ji^h += eta (sum_k delta_k w_kj^o) x_i y_j^h (1 - y_j^h)
    for i_idx in range(num_inp_nodes):
        for h_idx in range(num_hid_nodes):
            wh[h_idx, i_idx] += \
                lrate * (inp[i_idx] * delta_hid[h_idx])

    # adjust bh: b_j^h += eta (sum_k delta_k w_kj^o) y_j^h (1 - y_j^h)
    for h_idx in range(num_hid_nodes):
        bh[h_idx] += lrate * delta_hid[h_idx]


cdef double _train_epoch(const double[:, ::1] X, const double[:, ::1] Y,
                         double[:, ::1] wh, double[::1] bh,
                         double[:, ::1] wo, double[::1] bo, double lrate,
                         double[::1] hid, double[::1] out, double[::1] err,
                         double* scratch) noexcept nogil:
    cdef Py_ssize_t num_samples = X.shape[0]
    cdef Py_ssize_t num_hid_nodes = wh.shape[0]
    cdef Py_ssize_t num_out_nodes = wo.shape[0]
    cdef Py_ssize_t n_idx, o_idx
    cdef double epoch_mse, sq_sum

    # for each input/target pattern combo...
    epoch_mse = 0.0
    for n_idx in range(num_samples):
        # compute the MLP's response(s)
        _neural_response(X[n_idx], wh, bh, wo, bo, hid, out)

        # compute the o/p node's MSE: (err**2).mean(), summed in index order
        for o_idx in range(num_out_nodes):
            err[o_idx] = Y[n_idx, o_idx] - out[o_idx]  # vector-vector subtraction
        sq_sum = 0.0
        for o_idx in range(num_out_nodes):
            sq_sum += err[o_idx] * err[o_idx]
        epoch_mse += sq_sum / num_out_nodes

        # update the weights, once per sample (the transcript did it once per epoch)
        _update_network(X[n_idx], hid, out, err, wh, bh, wo, bo, lrate,
                        scratch, scratch + num_hid_nodes, scratch + 2 * num_hid_nodes)

    # the mean of the per-sample MSEs, summed in sample order
    return epoch_mse / num_samples


cdef void _train(const double[:, ::1] X, const double[:, ::1] Y,
                 double[:, ::1] wh, double[::1] bh, double[:, ::1] wo, double[::1] bo,
                 double lrate, double[::1] mses,
                 double[::1] hid, double[::1] out, double[::1] err,
                 double* scratch) noexcept nogil:
    cdef Py_ssize_t epoch
    for epoch in range(mses.shape[0]):
        mses[epoch] = _train_epoch(X, Y, wh, bh, wo, bo, lrate, hid, out, err, scratch)


cdef void _predict(const double[:, ::1] X, const double[:, ::1] wh, const double[::1] bh,
                   const double[:, ::1] wo, const double[::1] bo,
                   double[::1] hid, double[:, ::1] Y_hat) noexcept nogil:
    cdef Py_ssize_t idx
    for idx in range(X.shape[0]):
        _neural_response(X[idx], wh, bh, wo, bo, hid, Y_hat[idx])


# The raw entry points: same names and argument order as the reference. Scratch space for
# update_network (err_prop, delta_hid, delta_out) comes from one malloc per call.

cdef double* _scratch(Py_ssize_t num_hid_nodes, Py_ssize_t num_out_nodes) except NULL:
    cdef double* p = <double*>malloc((2 * num_hid_nodes + num_out_nodes) * sizeof(double))
    if p == NULL:
        raise MemoryError()
    return p


def neural_response(const double[::1] inp, const double[:, ::1] wh, const double[::1] bh,
                    const double[:, ::1] wo, const double[::1] bo):
    hid = np.zeros(wh.shape[0])
    out = np.zeros(wo.shape[0])
    cdef double[::1] hid_view = hid, out_view = out
    with nogil:
        _neural_response(inp, wh, bh, wo, bo, hid_view, out_view)
    return (hid, out)


def update_network(const double[::1] inp, const double[::1] hid, const double[::1] out,
                   const double[::1] err, double[:, ::1] wh, double[::1] bh,
                   double[:, ::1] wo, double[::1] bo, double lrate):
    cdef double* scratch = _scratch(wh.shape[0], wo.shape[0])
    with nogil:
        _update_network(inp, hid, out, err, wh, bh, wo, bo, lrate,
                        scratch, scratch + wh.shape[0], scratch + 2 * wh.shape[0])
    free(scratch)


def train_epoch(const double[:, ::1] X, const double[:, ::1] Y, double[:, ::1] wh,
                double[::1] bh, double[:, ::1] wo, double[::1] bo, double lrate):
    cdef double[::1] hid = np.zeros(wh.shape[0])
    cdef double[::1] out = np.zeros(wo.shape[0])
    cdef double[::1] err = np.zeros(wo.shape[0])
    cdef double* scratch = _scratch(wh.shape[0], wo.shape[0])
    cdef double epoch_mse
    with nogil:
        epoch_mse = _train_epoch(X, Y, wh, bh, wo, bo, lrate, hid, out, err, scratch)
    free(scratch)
    return epoch_mse


def train(const double[:, ::1] X, const double[:, ::1] Y, double[:, ::1] wh,
          double[::1] bh, double[:, ::1] wo, double[::1] bo, double lrate,
          Py_ssize_t num_epochs):
    mses = np.zeros(num_epochs)
    cdef double[::1] mses_view = mses
    cdef double[::1] hid = np.zeros(wh.shape[0])
    cdef double[::1] out = np.zeros(wo.shape[0])
    cdef double[::1] err = np.zeros(wo.shape[0])
    cdef double* scratch = _scratch(wh.shape[0], wo.shape[0])
    with nogil:
        _train(X, Y, wh, bh, wo, bo, lrate, mses_view, hid, out, err, scratch)
    free(scratch)
    return mses


def predict(const double[:, ::1] X, const double[:, ::1] wh, const double[::1] bh,
            const double[:, ::1] wo, const double[::1] bo):
    Y_hat = np.zeros((X.shape[0], wo.shape[0]))
    cdef double[:, ::1] Y_hat_view = Y_hat
    cdef double[::1] hid = np.zeros(wh.shape[0])
    with nogil:
        _predict(X, wh, bh, wo, bo, hid, Y_hat_view)
    return Y_hat

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


# The epoch kernel below is the reference's train_epoch with two rearrangements that keep
# every bit (each sum still runs over the same terms in the same order; only independent
# work is reordered):
# * _forward_rows: four hidden units' dot products run side by side in one pass over
#   inp, so four independent addition chains overlap instead of waiting on one another;
# * _train_epoch_rows updates wo and wh row by row (contiguous memory) instead of the
#   lecture's column order; every element still gets the same single update.
# _rearranged.py holds the same kernels in Python (numba compiles them); keep them in step.
# train_epoch_literal keeps the lecture's loop order, so the benchmarks show its cost.

cdef void _forward_rows(const double[::1] inp, const double[:, ::1] w, const double[::1] b,
                        double[::1] act) noexcept nogil:
    cdef Py_ssize_t n_rows = w.shape[0], n_cols = w.shape[1]
    cdef Py_ssize_t r = 0, c
    cdef double v0, v1, v2, v3, x
    while r + 4 <= n_rows:
        v0 = 0.0; v1 = 0.0; v2 = 0.0; v3 = 0.0
        for c in range(n_cols):
            x = inp[c]
            v0 += x * w[r, c]
            v1 += x * w[r + 1, c]
            v2 += x * w[r + 2, c]
            v3 += x * w[r + 3, c]
        v0 += b[r]; v1 += b[r + 1]; v2 += b[r + 2]; v3 += b[r + 3]
        act[r] = 1.0 / (1.0 + exp(-v0))
        act[r + 1] = 1.0 / (1.0 + exp(-v1))
        act[r + 2] = 1.0 / (1.0 + exp(-v2))
        act[r + 3] = 1.0 / (1.0 + exp(-v3))
        r += 4
    while r < n_rows:
        v0 = 0.0
        for c in range(n_cols):
            v0 += inp[c] * w[r, c]
        v0 += b[r]
        act[r] = 1.0 / (1.0 + exp(-v0))
        r += 1


cdef double _train_epoch_rows(const double[:, ::1] X, const double[:, ::1] Y,
                              double[:, ::1] wh, double[::1] bh,
                              double[:, ::1] wo, double[::1] bo, double lrate,
                              double[::1] hid, double[::1] out, double[::1] err,
                              double* scratch) noexcept nogil:
    cdef Py_ssize_t num_samples = X.shape[0]
    cdef Py_ssize_t num_inp_nodes = wh.shape[1]
    cdef Py_ssize_t num_hid_nodes = wh.shape[0]
    cdef Py_ssize_t num_out_nodes = wo.shape[0]
    cdef Py_ssize_t n_idx, i_idx, h_idx, o_idx
    cdef double epoch_mse = 0.0, sq_sum, val, d
    cdef double* err_prop = scratch
    cdef double* delta_hid = scratch + num_hid_nodes
    cdef double* delta_out = scratch + 2 * num_hid_nodes
    for n_idx in range(num_samples):
        _forward_rows(X[n_idx], wh, bh, hid)
        _forward_rows(hid, wo, bo, out)
        sq_sum = 0.0
        for o_idx in range(num_out_nodes):
            err[o_idx] = Y[n_idx, o_idx] - out[o_idx]
            sq_sum += err[o_idx] * err[o_idx]
        epoch_mse += sq_sum / num_out_nodes
        for o_idx in range(num_out_nodes):
            delta_out[o_idx] = out[o_idx] * (1.0 - out[o_idx]) * err[o_idx]
        for h_idx in range(num_hid_nodes):
            val = 0.0
            for o_idx in range(num_out_nodes):
                val += (delta_out[o_idx] * wo[o_idx, h_idx])
            err_prop[h_idx] = val
        for h_idx in range(num_hid_nodes):
            delta_hid[h_idx] = hid[h_idx] * (1.0 - hid[h_idx]) * err_prop[h_idx]
        for o_idx in range(num_out_nodes):          # the updates, row by row
            d = delta_out[o_idx]
            for h_idx in range(num_hid_nodes):
                wo[o_idx, h_idx] += lrate * (hid[h_idx] * d)
            bo[o_idx] += lrate * d
        for h_idx in range(num_hid_nodes):
            d = delta_hid[h_idx]
            for i_idx in range(num_inp_nodes):
                wh[h_idx, i_idx] += lrate * (X[n_idx, i_idx] * d)
            bh[h_idx] += lrate * d
    return epoch_mse / num_samples


cdef void _train(const double[:, ::1] X, const double[:, ::1] Y,
                 double[:, ::1] wh, double[::1] bh, double[:, ::1] wo, double[::1] bo,
                 double lrate, double[::1] mses,
                 double[::1] hid, double[::1] out, double[::1] err,
                 double* scratch) noexcept nogil:
    cdef Py_ssize_t epoch
    for epoch in range(mses.shape[0]):
        mses[epoch] = _train_epoch_rows(X, Y, wh, bh, wo, bo, lrate, hid, out, err, scratch)


cdef void _predict(const double[:, ::1] X, const double[:, ::1] wh, const double[::1] bh,
                   const double[:, ::1] wo, const double[::1] bo,
                   double[::1] hid, double[:, ::1] Y_hat) noexcept nogil:
    cdef Py_ssize_t idx
    for idx in range(X.shape[0]):
        _forward_rows(X[idx], wh, bh, hid)
        _forward_rows(hid, wo, bo, Y_hat[idx])


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
        epoch_mse = _train_epoch_rows(X, Y, wh, bh, wo, bo, lrate, hid, out, err, scratch)
    free(scratch)
    return epoch_mse


def train_epoch_literal(const double[:, ::1] X, const double[:, ::1] Y, double[:, ::1] wh,
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

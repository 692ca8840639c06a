# cython: language_level=3, boundscheck=False, wraparound=False
"""A user's Cython extension built on loopmlp's kernels: ``cimport loopmlp.cython_kernels``.

``sgd`` is the lecture's training loop written around the per-sample kernels; ``train_many``
trains many small nets at once, one per iteration of a ``prange`` loop, without the GIL. The
kernels are checked (a wrong shape raises ValueError, from any thread) and nogil.
"""

from cython.parallel cimport prange

cimport loopmlp.cython_kernels as ck

import numpy as np


def sgd(const double[:, ::1] X, const double[:, ::1] Y, double[:, ::1] wh, double[::1] bh,
        double[:, ::1] wo, double[::1] bo, double lrate, Py_ssize_t num_epochs):
    """Online SGD, the lecture's train: each epoch's MSE."""
    cdef double[::1] hid = np.empty(wh.shape[0])
    cdef double[::1] out = np.empty(wo.shape[0])
    cdef double[::1] err = np.empty(wo.shape[0])
    cdef double[::1] mses = np.empty(num_epochs)
    cdef Py_ssize_t epoch, n, o
    cdef double total, sq_sum
    with nogil:
        for epoch in range(num_epochs):
            total = 0.0
            for n in range(X.shape[0]):
                ck.neural_response(X[n], wh, bh, wo, bo, hid, out)
                sq_sum = 0.0
                for o in range(out.shape[0]):
                    err[o] = Y[n, o] - out[o]
                    sq_sum += err[o] * err[o]
                total += sq_sum / out.shape[0]
                ck.update_network(X[n], hid, out, err, wh, bh, wo, bo, lrate)
            mses[epoch] = total / X.shape[0]
    return np.asarray(mses)


def train_many(const double[:, ::1] X, const double[:, ::1] Y, double[:, :, ::1] wh,
               double[:, ::1] bh, double[:, :, ::1] wo, double[:, ::1] bo,
               const double[::1] lrates, Py_ssize_t num_epochs):
    """Net k is wh[k], bh[k], wo[k], bo[k], trained with lrates[k]; each net's epoch MSEs."""
    cdef double[:, ::1] mses = np.empty((wh.shape[0], num_epochs))
    cdef Py_ssize_t k
    for k in prange(wh.shape[0], nogil=True, schedule="dynamic"):
        ck.train(X, Y, wh[k], bh[k], wo[k], bo[k], lrates[k], num_epochs, mses[k])
    return np.asarray(mses)


def forward_raw(const double[::1] inp, const double[:, ::1] wh, const double[::1] bh,
                const double[:, ::1] wo, const double[::1] bo):
    """The unchecked kernel on pointers: the caller vouches for every size."""
    hid = np.empty(wh.shape[0])
    out = np.empty(wo.shape[0])
    cdef double[::1] hid_ = hid
    cdef double[::1] out_ = out
    ck.raw_neural_response(&inp[0], &wh[0, 0], &bh[0], &wo[0, 0], &bo[0], &hid_[0], &out_[0],
                           wh.shape[1], wh.shape[0], wo.shape[0])
    return hid, out

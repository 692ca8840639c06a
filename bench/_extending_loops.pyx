# cython: language_level=3, boundscheck=False, wraparound=False
"""A user's Cython loops around loopmlp's kernels, for bench_extending.py: ``n`` calls of one
kernel, checked (typed memoryviews) or raw (pointers), without the GIL."""

cimport loopmlp.cython_kernels as ck


def forward(const double[::1] inp, const double[:, ::1] wh, const double[::1] bh,
            const double[:, ::1] wo, const double[::1] bo, double[::1] hid, double[::1] out,
            Py_ssize_t n):
    cdef Py_ssize_t _
    with nogil:
        for _ in range(n):
            ck.neural_response(inp, wh, bh, wo, bo, hid, out)


def forward_raw(const double[::1] inp, const double[:, ::1] wh, const double[::1] bh,
                const double[:, ::1] wo, const double[::1] bo, double[::1] hid,
                double[::1] out, Py_ssize_t n):
    cdef Py_ssize_t _
    with nogil:
        for _ in range(n):
            ck.raw_neural_response(&inp[0], &wh[0, 0], &bh[0], &wo[0, 0], &bo[0], &hid[0],
                                   &out[0], wh.shape[1], wh.shape[0], wo.shape[0])


def update(const double[::1] inp, const double[::1] hid, const double[::1] out,
           const double[::1] err, double[:, ::1] wh, double[::1] bh, double[:, ::1] wo,
           double[::1] bo, double lrate, Py_ssize_t n):
    cdef Py_ssize_t _
    with nogil:
        for _ in range(n):
            ck.update_network(inp, hid, out, err, wh, bh, wo, bo, lrate)


def update_raw(const double[::1] inp, const double[::1] hid, const double[::1] out,
               const double[::1] err, double[:, ::1] wh, double[::1] bh, double[:, ::1] wo,
               double[::1] bo, double lrate, Py_ssize_t n):
    cdef Py_ssize_t _
    with nogil:
        for _ in range(n):
            ck.raw_update_network(&inp[0], &hid[0], &out[0], &err[0], &wh[0, 0], &bh[0],
                                  &wo[0, 0], &bo[0], lrate, wh.shape[1], wh.shape[0],
                                  wo.shape[0])

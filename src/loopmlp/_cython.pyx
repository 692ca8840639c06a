# cython: boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""The ``cython`` backend: the reference's loops (``_reference.py``) in typed Cython.

``_neural_response``, ``_update_network`` and ``_train_epoch`` mirror the reference
functions of the same names line for line (``train_epoch_literal`` runs the last). The
whole-run kernels ``train_epoch``, ``train`` and ``predict`` run ``_rearranged.py``'s
kernels instead (the same sums, independent work reordered; that module's docstring says
why every bit is kept), with the same function and variable names, so the two diff.

Pointers, not typed memoryviews: acquiring a typed memoryview costs about 170 ns an
argument, which made a per-sample call on a 2-2-1 net cost ~1.8 us, a hundred times its
arithmetic. The ``def`` entry points therefore take ``ndarray`` objects, check them with a
few flag and shape reads (cheap; the real validation, with useful messages, is
``loopmlp._check``, which runs first through ``loopmlp.get_backend``), and pass
``PyArray_DATA`` pointers and sizes to the ``cdef`` kernels. A 2-D array is indexed by hand
in row-major order: ``wh[h_idx, i_idx]`` is ``wh[h_idx * num_inp_nodes + i_idx]``, and a
panel ``whp[g, i_idx, k]`` is ``whp[(g * num_inp_nodes + i_idx) * PANEL + k]``. Outputs
come from NumPy's C API (``PyArray_EMPTY``), not a Python call to ``np.zeros``.

Bit-identity with the reference: ``exp`` is the C library's (``libc.math``); setup.py
compiles with ``-ffp-contract=off`` (no FMA) and without ``-ffast-math`` (no reassociation),
so gcc keeps every sum in the order written; when it puts the 8 sums of a panel in SIMD
registers, each lane is exactly the scalar operation it replaces. ``cdivision`` only drops
Python's zero-division check, and every divisor here is >= 1. ``predict``'s rows are
independent: which OpenMP thread computes a row, or beside which row, changes nothing, so
the result does not depend on ``threads``.
"""

cimport numpy as cnp
from cython.parallel cimport prange
from libc.math cimport exp
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy

cimport openmp

cnp.import_array()

# The same source is built twice (setup.py): for any x86-64 (SSE2) as _cython, and with
# AVX2 as _cython_avx2, which loopmlp loads instead when the CPU has AVX2. Importing the
# AVX2 build on a CPU without it could crash, so the check lives here, in the safe build.
cdef extern from *:
    """
    static int loopmlp_cpu_has_avx2(void) {
    #if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2");
    #else
        return 0;
    #endif
    }
    """
    int loopmlp_cpu_has_avx2()

CPU_HAS_AVX2 = bool(loopmlp_cpu_has_avx2())

cdef enum:
    PANEL = 8          # hidden units per panel (_rearranged.PANEL)
    BLOCK = 64         # rows per parallel block in predict
    PARALLEL_WEIGHTS = 65536  # from this many weights in wh, train shares panels out to threads
    SMALL = 64         # per-sample scratch up to this many doubles lives on the stack
    NOGIL_WORK = 4096  # per-sample kernels release the GIL above this many weights


# ---------------------------------------------------------------------------------------
# The lecture's per-sample kernels (the reference's loops, line for line)

# wh (num_hid_nodes, num_inp_nodes), bh (num_hid_nodes,), wo (num_out_nodes, num_hid_nodes),
# bo (num_out_nodes,), inp (num_inp_nodes,) -> hid (num_hid_nodes,), out (num_out_nodes,)
cdef void _neural_response(const double* inp, const double* wh, const double* bh,
                           const double* wo, const double* bo,
                           double* hid, double* out,
                           Py_ssize_t num_inp_nodes, Py_ssize_t num_hid_nodes,
                           Py_ssize_t num_out_nodes) noexcept nogil:
    cdef Py_ssize_t i_idx, h_idx, o_idx
    cdef double val

    # compute the hidden layer activation: y_j^h = 1 / (1 + e^-(b_j^h + sum_i w_ji^h x_i))
    for h_idx in range(num_hid_nodes):
        val = 0.0
        for i_idx in range(num_inp_nodes):
            val += inp[i_idx] * wh[h_idx * num_inp_nodes + i_idx]
        val += bh[h_idx]
        hid[h_idx] = 1.0 / (1.0 + exp(-val))

    # compute the output layer activation: y_k^o = 1 / (1 + e^-(b_k^o + sum_j w_kj^o y_j^h))
    for o_idx in range(num_out_nodes):
        val = 0.0
        for h_idx in range(num_hid_nodes):
            val += hid[h_idx] * wo[o_idx * num_hid_nodes + h_idx]
        val += bo[o_idx]  # once, after the sum (the transcript added it inside the loop)
        out[o_idx] = 1.0 / (1.0 + exp(-val))


# inp (num_inp_nodes,), hid (num_hid_nodes,), out (num_out_nodes,), err = tgt - out
# (num_out_nodes,); wh, bh, wo, bo updated in place; lrate is eta; err_prop, delta_hid
# (num_hid_nodes,) and delta_out (num_out_nodes,) are scratch (a nogil kernel cannot
# allocate NumPy arrays)
cdef void _update_network(const double* inp, const double* hid, const double* out,
                          const double* err, double* wh, double* bh, double* wo, double* bo,
                          double lrate,
                          Py_ssize_t num_inp_nodes, Py_ssize_t num_hid_nodes,
                          Py_ssize_t num_out_nodes,
                          double* err_prop, double* delta_hid,
                          double* delta_out) noexcept nogil:
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
            val += (delta_out[o_idx] * wo[o_idx * num_hid_nodes + h_idx])
        err_prop[h_idx] = val

    # compute the hidden layer deltas: (sum_k delta_k w_kj^o) y_j^h (1 - y_j^h)
    for h_idx in range(num_hid_nodes):
        delta_hid[h_idx] = \
            hid[h_idx] * (1.0 - hid[h_idx]) * err_prop[h_idx]

    # adjust wo: w_kj^o += eta (y_k - y_k^o) y_j^h y_k^o (1 - y_k^o)
    for h_idx in range(num_hid_nodes):
        for o_idx in range(num_out_nodes):
            wo[o_idx * num_hid_nodes + h_idx] += \
                lrate * (hid[h_idx] * delta_out[o_idx])

    # adjust bo: b_k^o += eta (y_k - y_k^o) y_k^o (1 - y_k^o)
    for o_idx in range(num_out_nodes):
        bo[o_idx] += lrate * delta_out[o_idx]

    # adjust wh: w_ji^h += eta (sum_k delta_k w_kj^o) x_i y_j^h (1 - y_j^h)
    for i_idx in range(num_inp_nodes):
        for h_idx in range(num_hid_nodes):
            wh[h_idx * num_inp_nodes + i_idx] += \
                lrate * (inp[i_idx] * delta_hid[h_idx])

    # adjust bh: b_j^h += eta (sum_k delta_k w_kj^o) y_j^h (1 - y_j^h)
    for h_idx in range(num_hid_nodes):
        bh[h_idx] += lrate * delta_hid[h_idx]


# X (num_samples, num_inp_nodes), Y (num_samples, num_out_nodes) -> the epoch's MSE;
# hid, out, err and scratch (2 num_hid_nodes + num_out_nodes) are working space
cdef double _train_epoch(const double* X, const double* Y,
                         double* wh, double* bh, double* wo, double* bo, double lrate,
                         Py_ssize_t num_samples, Py_ssize_t num_inp_nodes,
                         Py_ssize_t num_hid_nodes, Py_ssize_t num_out_nodes,
                         double* hid, double* out, double* err,
                         double* scratch) noexcept nogil:
    cdef Py_ssize_t n_idx, o_idx
    cdef const double* inp
    cdef const double* tgt
    cdef double epoch_mse, sq_sum

    # for each input/target pattern combo...
    epoch_mse = 0.0
    for n_idx in range(num_samples):
        inp = X + n_idx * num_inp_nodes
        tgt = Y + n_idx * num_out_nodes

        # compute the MLP's response(s)
        _neural_response(inp, wh, bh, wo, bo, hid, out,
                         num_inp_nodes, num_hid_nodes, num_out_nodes)

        # compute the o/p node's MSE: (err**2).mean(), summed in index order
        for o_idx in range(num_out_nodes):
            err[o_idx] = tgt[o_idx] - out[o_idx]  # vector-vector subtraction
        sq_sum = 0.0
        for o_idx in range(num_out_nodes):
            sq_sum += err[o_idx] * err[o_idx]
        epoch_mse += sq_sum / num_out_nodes

        # update the weights, once per sample (the transcript did it once per epoch)
        _update_network(inp, hid, out, err, wh, bh, wo, bo, lrate,
                        num_inp_nodes, num_hid_nodes, num_out_nodes,
                        scratch, scratch + num_hid_nodes, scratch + 2 * num_hid_nodes)

    # the mean of the per-sample MSEs, summed in sample order
    return epoch_mse / num_samples


# ---------------------------------------------------------------------------------------
# The whole-run kernels: _rearranged.py's, function for function (see its docstring for
# why every bit is kept). Keep them in step with it.

# w (n_rows, n_cols), b (n_rows,), inp (n_cols,) -> act (n_rows,) = sigmoid(w @ inp + b)
# Four rows' sums side by side: each is still summed over c = 0, 1, ... then + b[r].
cdef void _forward_rows(const double* inp, const double* w, const double* b, double* act,
                        Py_ssize_t n_rows, Py_ssize_t n_cols) noexcept nogil:
    cdef Py_ssize_t r = 0, c
    cdef double v0, v1, v2, v3, x
    while r + 4 <= n_rows:
        v0 = 0.0
        v1 = 0.0
        v2 = 0.0
        v3 = 0.0
        for c in range(n_cols):
            x = inp[c]
            v0 += x * w[r * n_cols + c]
            v1 += x * w[(r + 1) * n_cols + c]
            v2 += x * w[(r + 2) * n_cols + c]
            v3 += x * w[(r + 3) * n_cols + c]
        v0 += b[r]
        v1 += b[r + 1]
        v2 += b[r + 2]
        v3 += b[r + 3]
        act[r] = 1.0 / (1.0 + exp(-v0))
        act[r + 1] = 1.0 / (1.0 + exp(-v1))
        act[r + 2] = 1.0 / (1.0 + exp(-v2))
        act[r + 3] = 1.0 / (1.0 + exp(-v3))
        r += 4
    while r < n_rows:
        v0 = 0.0
        for c in range(n_cols):
            v0 += inp[c] * w[r * n_cols + c]
        v0 += b[r]
        act[r] = 1.0 / (1.0 + exp(-v0))
        r += 1


# whp (num_panels, num_inp_nodes, PANEL), zero-padded (the caller callocs it)
cdef void _to_panels(const double* wh, double* whp,
                     Py_ssize_t num_hid_nodes, Py_ssize_t num_inp_nodes) noexcept nogil:
    cdef Py_ssize_t h_idx, i_idx
    for h_idx in range(num_hid_nodes):
        for i_idx in range(num_inp_nodes):
            whp[((h_idx // PANEL) * num_inp_nodes + i_idx) * PANEL + h_idx % PANEL] = \
                wh[h_idx * num_inp_nodes + i_idx]


cdef void _from_panels(const double* whp, double* wh,
                       Py_ssize_t num_hid_nodes, Py_ssize_t num_inp_nodes) noexcept nogil:
    cdef Py_ssize_t h_idx, i_idx
    for h_idx in range(num_hid_nodes):
        for i_idx in range(num_inp_nodes):
            wh[h_idx * num_inp_nodes + i_idx] = \
                whp[((h_idx // PANEL) * num_inp_nodes + i_idx) * PANEL + h_idx % PANEL]


# hid[h] = sigmoid(val[k] + bh[h]) for the real units h = 8 g + k of panel g
cdef inline void _sigmoid_panel(const double* val, const double* bh, Py_ssize_t g,
                                double* hid, Py_ssize_t num_hid_nodes) noexcept nogil:
    cdef Py_ssize_t k, h_idx
    for k in range(PANEL):
        h_idx = PANEL * g + k
        if h_idx < num_hid_nodes:
            hid[h_idx] = 1.0 / (1.0 + exp(-(val[k] + bh[h_idx])))


# The hidden layer for inp, panel by panel: the 8 sums of a panel side by side.
# (whp_gi is &whp[g, i_idx, 0].)
cdef void _hidden_forward(const double* inp, const double* whp, const double* bh,
                          double* hid, double* val,
                          Py_ssize_t num_inp_nodes, Py_ssize_t num_hid_nodes) noexcept nogil:
    cdef Py_ssize_t g, i_idx
    cdef const double* whp_gi
    cdef double x, v0, v1, v2, v3, v4, v5, v6, v7
    for g in range((num_hid_nodes + PANEL - 1) // PANEL):
        v0 = 0.0; v1 = 0.0; v2 = 0.0; v3 = 0.0; v4 = 0.0; v5 = 0.0; v6 = 0.0; v7 = 0.0
        for i_idx in range(num_inp_nodes):
            whp_gi = whp + (g * num_inp_nodes + i_idx) * PANEL
            x = inp[i_idx]
            v0 += x * whp_gi[0]; v1 += x * whp_gi[1]
            v2 += x * whp_gi[2]; v3 += x * whp_gi[3]
            v4 += x * whp_gi[4]; v5 += x * whp_gi[5]
            v6 += x * whp_gi[6]; v7 += x * whp_gi[7]
        val[0] = v0; val[1] = v1; val[2] = v2; val[3] = v3
        val[4] = v4; val[5] = v5; val[6] = v6; val[7] = v7
        _sigmoid_panel(val, bh, g, hid, num_hid_nodes)


# The previous sample's update of wh and bh (its input prev, its delta_hid), fused with the
# hidden layer for inp: each weight is updated, then read by inp's sum, in one pass.
# delta_hid is padded to whole panels with zeros. Panels g_start to g_end - 1 only, so that
# threads can share the panels out.
cdef void _hidden_update_forward(const double* prev, const double* delta_hid, double lrate,
                                 const double* inp, double* whp, double* bh,
                                 double* hid, double* val,
                                 Py_ssize_t num_inp_nodes, Py_ssize_t num_hid_nodes,
                                 Py_ssize_t g_start, Py_ssize_t g_end) noexcept nogil:
    cdef Py_ssize_t g, k, h_idx, i_idx
    cdef double* whp_gi
    cdef double p, x, d0, d1, d2, d3, d4, d5, d6, d7
    cdef double v0, v1, v2, v3, v4, v5, v6, v7, w0, w1, w2, w3, w4, w5, w6, w7
    for g in range(g_start, g_end):
        for k in range(PANEL):
            h_idx = PANEL * g + k
            if h_idx < num_hid_nodes:
                bh[h_idx] += lrate * delta_hid[h_idx]
        d0 = delta_hid[PANEL * g]; d1 = delta_hid[PANEL * g + 1]
        d2 = delta_hid[PANEL * g + 2]; d3 = delta_hid[PANEL * g + 3]
        d4 = delta_hid[PANEL * g + 4]; d5 = delta_hid[PANEL * g + 5]
        d6 = delta_hid[PANEL * g + 6]; d7 = delta_hid[PANEL * g + 7]
        v0 = 0.0; v1 = 0.0; v2 = 0.0; v3 = 0.0; v4 = 0.0; v5 = 0.0; v6 = 0.0; v7 = 0.0
        for i_idx in range(num_inp_nodes):
            whp_gi = whp + (g * num_inp_nodes + i_idx) * PANEL
            p = prev[i_idx]
            w0 = whp_gi[0] + lrate * (p * d0)
            w1 = whp_gi[1] + lrate * (p * d1)
            w2 = whp_gi[2] + lrate * (p * d2)
            w3 = whp_gi[3] + lrate * (p * d3)
            w4 = whp_gi[4] + lrate * (p * d4)
            w5 = whp_gi[5] + lrate * (p * d5)
            w6 = whp_gi[6] + lrate * (p * d6)
            w7 = whp_gi[7] + lrate * (p * d7)
            whp_gi[0] = w0; whp_gi[1] = w1
            whp_gi[2] = w2; whp_gi[3] = w3
            whp_gi[4] = w4; whp_gi[5] = w5
            whp_gi[6] = w6; whp_gi[7] = w7
            x = inp[i_idx]
            v0 += x * w0; v1 += x * w1; v2 += x * w2; v3 += x * w3
            v4 += x * w4; v5 += x * w5; v6 += x * w6; v7 += x * w7
        val[0] = v0; val[1] = v1; val[2] = v2; val[3] = v3
        val[4] = v4; val[5] = v5; val[6] = v6; val[7] = v7
        _sigmoid_panel(val, bh, g, hid, num_hid_nodes)


# The same on all threads, each on its share of the panels: a weight is still updated and
# read by one thread, in the same order. Worth it only for big nets (PARALLEL_WEIGHTS): an
# OpenMP parallel region costs a microsecond or two to start, once per sample.
# vals: threads * PANEL doubles, one val per thread.
cdef void _hidden_update_forward_threads(const double* prev, const double* delta_hid,
                                         double lrate, const double* inp, double* whp,
                                         double* bh, double* hid, double* vals,
                                         Py_ssize_t num_inp_nodes, Py_ssize_t num_hid_nodes,
                                         int threads) noexcept nogil:
    cdef Py_ssize_t num_panels = (num_hid_nodes + PANEL - 1) // PANEL
    cdef Py_ssize_t t
    for t in prange(threads, num_threads=threads, schedule="static", chunksize=1):
        _hidden_update_forward(prev, delta_hid, lrate, inp, whp, bh, hid, vals + t * PANEL,
                               num_inp_nodes, num_hid_nodes,
                               t * num_panels // threads, (t + 1) * num_panels // threads)


# mses (num_epochs,); work holds the working copies, allocated once per call by the caller
# (_train_work): whp and delta_hid zeroed, so the panels' padding units stay 0. threads: how
# many threads share the panels out in each sample's pass over wh.
cdef void _train(const double* X, const double* Y,
                 double* wh, double* bh, double* wo, double* bo,
                 double lrate, Py_ssize_t num_epochs, double* mses,
                 Py_ssize_t num_samples, Py_ssize_t num_inp_nodes,
                 Py_ssize_t num_hid_nodes, Py_ssize_t num_out_nodes,
                 double* work, int threads) noexcept nogil:
    cdef Py_ssize_t num_panels = (num_hid_nodes + PANEL - 1) // PANEL
    cdef double* whp = work
    cdef double* delta_hid = whp + num_panels * num_inp_nodes * PANEL  # padded
    cdef double* vals = delta_hid + num_panels * PANEL  # each thread's 8 sums
    cdef double* hid = vals + threads * PANEL
    cdef double* out = hid + num_hid_nodes
    cdef double* err = out + num_out_nodes
    cdef double* delta_out = err + num_out_nodes
    cdef Py_ssize_t epoch, n_idx, g, i_idx, k, h_idx, o_idx
    cdef Py_ssize_t prev
    cdef double epoch_mse, sq_sum, val_h, d
    _to_panels(wh, whp, num_hid_nodes, num_inp_nodes)

    prev = -1  # the sample whose update of wh is still to be done
    for epoch in range(num_epochs):
        epoch_mse = 0.0
        for n_idx in range(num_samples):
            if prev < 0:
                _hidden_forward(X + n_idx * num_inp_nodes, whp, bh, hid, vals,
                                num_inp_nodes, num_hid_nodes)
            elif threads == 1:
                _hidden_update_forward(X + prev * num_inp_nodes, delta_hid, lrate,
                                       X + n_idx * num_inp_nodes, whp, bh, hid, vals,
                                       num_inp_nodes, num_hid_nodes, 0, num_panels)
            else:
                _hidden_update_forward_threads(X + prev * num_inp_nodes, delta_hid, lrate,
                                               X + n_idx * num_inp_nodes, whp, bh, hid, vals,
                                               num_inp_nodes, num_hid_nodes, threads)
            _forward_rows(hid, wo, bo, out, num_out_nodes, num_hid_nodes)
            sq_sum = 0.0
            for o_idx in range(num_out_nodes):
                err[o_idx] = Y[n_idx * num_out_nodes + o_idx] - out[o_idx]
                sq_sum += err[o_idx] * err[o_idx]
            epoch_mse += sq_sum / num_out_nodes
            for o_idx in range(num_out_nodes):
                delta_out[o_idx] = out[o_idx] * (1.0 - out[o_idx]) * err[o_idx]
            for h_idx in range(num_hid_nodes):
                val_h = 0.0
                for o_idx in range(num_out_nodes):
                    val_h += (delta_out[o_idx] * wo[o_idx * num_hid_nodes + h_idx])
                delta_hid[h_idx] = hid[h_idx] * (1.0 - hid[h_idx]) * val_h
            for o_idx in range(num_out_nodes):          # wo's update, row by row
                d = delta_out[o_idx]
                for h_idx in range(num_hid_nodes):
                    wo[o_idx * num_hid_nodes + h_idx] += lrate * (hid[h_idx] * d)
                bo[o_idx] += lrate * d
            prev = n_idx                                # wh's update: in the next pass
        mses[epoch] = epoch_mse / num_samples

    # the last sample's update of wh and bh, then the working copy goes back into wh
    for g in range(num_panels):
        for i_idx in range(num_inp_nodes):
            for k in range(PANEL):
                whp[(g * num_inp_nodes + i_idx) * PANEL + k] += \
                    lrate * (X[prev * num_inp_nodes + i_idx] * delta_hid[PANEL * g + k])
    for h_idx in range(num_hid_nodes):
        bh[h_idx] += lrate * delta_hid[h_idx]
    _from_panels(whp, wh, num_hid_nodes, num_inp_nodes)


# Two rows' hidden layers at once: each panel value loaded is used by both rows' sums.
cdef void _hidden_forward2(const double* inp_a, const double* inp_b, const double* whp,
                           const double* bh, double* hid_a, double* hid_b,
                           double* val_a, double* val_b,
                           Py_ssize_t num_inp_nodes, Py_ssize_t num_hid_nodes) noexcept nogil:
    cdef Py_ssize_t g, i_idx
    cdef const double* whp_gi
    cdef double x, y, w0, w1, w2, w3, w4, w5, w6, w7
    cdef double a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7
    for g in range((num_hid_nodes + PANEL - 1) // PANEL):
        a0 = 0.0; a1 = 0.0; a2 = 0.0; a3 = 0.0; a4 = 0.0; a5 = 0.0; a6 = 0.0; a7 = 0.0
        b0 = 0.0; b1 = 0.0; b2 = 0.0; b3 = 0.0; b4 = 0.0; b5 = 0.0; b6 = 0.0; b7 = 0.0
        for i_idx in range(num_inp_nodes):
            whp_gi = whp + (g * num_inp_nodes + i_idx) * PANEL
            x = inp_a[i_idx]
            y = inp_b[i_idx]
            w0 = whp_gi[0]; w1 = whp_gi[1]
            w2 = whp_gi[2]; w3 = whp_gi[3]
            w4 = whp_gi[4]; w5 = whp_gi[5]
            w6 = whp_gi[6]; w7 = whp_gi[7]
            a0 += x * w0; a1 += x * w1; a2 += x * w2; a3 += x * w3
            a4 += x * w4; a5 += x * w5; a6 += x * w6; a7 += x * w7
            b0 += y * w0; b1 += y * w1; b2 += y * w2; b3 += y * w3
            b4 += y * w4; b5 += y * w5; b6 += y * w6; b7 += y * w7
        val_a[0] = a0; val_a[1] = a1; val_a[2] = a2; val_a[3] = a3
        val_a[4] = a4; val_a[5] = a5; val_a[6] = a6; val_a[7] = a7
        val_b[0] = b0; val_b[1] = b1; val_b[2] = b2; val_b[3] = b3
        val_b[4] = b4; val_b[5] = b5; val_b[6] = b6; val_b[7] = b7
        _sigmoid_panel(val_a, bh, g, hid_a, num_hid_nodes)
        _sigmoid_panel(val_b, bh, g, hid_b, num_hid_nodes)


# Rows are independent: blocks of BLOCK rows run on num_threads OpenMP threads, two rows at
# a time within a block; which thread computes a row, or beside which row, changes nothing.
# whp is the panelled copy of wh; work holds num_threads * (2 num_hid_nodes + 2 PANEL)
# doubles, one slice per thread (hid_a, hid_b, val_a, val_b).
cdef void _predict(const double* X, const double* whp, const double* bh,
                   const double* wo, const double* bo, double* Y_hat,
                   Py_ssize_t num_samples, Py_ssize_t num_inp_nodes,
                   Py_ssize_t num_hid_nodes, Py_ssize_t num_out_nodes,
                   double* work, int num_threads) noexcept nogil:
    cdef Py_ssize_t stride = 2 * num_hid_nodes + 2 * PANEL
    cdef Py_ssize_t b_idx, idx, end
    cdef double* hid_a
    cdef double* hid_b
    cdef double* val_a
    cdef double* val_b
    for b_idx in prange((num_samples + BLOCK - 1) // BLOCK, num_threads=num_threads,
                        schedule="static"):
        hid_a = work + openmp.omp_get_thread_num() * stride
        hid_b = hid_a + num_hid_nodes
        val_a = hid_b + num_hid_nodes
        val_b = val_a + PANEL
        idx = b_idx * BLOCK
        end = min(num_samples, idx + BLOCK)
        while idx + 2 <= end:
            _hidden_forward2(X + idx * num_inp_nodes, X + (idx + 1) * num_inp_nodes, whp,
                             bh, hid_a, hid_b, val_a, val_b, num_inp_nodes, num_hid_nodes)
            _forward_rows(hid_a, wo, bo, Y_hat + idx * num_out_nodes,
                          num_out_nodes, num_hid_nodes)
            _forward_rows(hid_b, wo, bo, Y_hat + (idx + 1) * num_out_nodes,
                          num_out_nodes, num_hid_nodes)
            idx = idx + 2
        if idx < end:
            _hidden_forward(X + idx * num_inp_nodes, whp, bh, hid_a, val_a,
                            num_inp_nodes, num_hid_nodes)
            _forward_rows(hid_a, wo, bo, Y_hat + idx * num_out_nodes,
                          num_out_nodes, num_hid_nodes)


# ---------------------------------------------------------------------------------------
# The raw entry points: same names and argument order as the reference. loopmlp._check
# validates everything first; _arg only keeps a direct call from reading out of bounds.

cdef inline double* _arg(cnp.ndarray a, int ndim, Py_ssize_t d0, Py_ssize_t d1,
                         bint writeable) except NULL:
    """a's data, if a is float64, native, C-contiguous, aligned, of shape (d0[, d1]) (d0 ==
    -1: any number >= 1 of rows) and, if asked, writeable; TypeError/ValueError otherwise."""
    if cnp.PyArray_TYPE(a) != cnp.NPY_DOUBLE or not cnp.PyArray_ISNOTSWAPPED(a):
        raise TypeError("loopmlp._cython: arrays must be float64 (call the kernels through "
                        "loopmlp.get_backend('cython'), which checks and converts)")
    if (cnp.PyArray_NDIM(a) != ndim or not cnp.PyArray_ISCARRAY_RO(a)
            or (writeable and not cnp.PyArray_ISWRITEABLE(a))
            or (cnp.PyArray_DIM(a, 0) != d0 if d0 >= 0 else cnp.PyArray_DIM(a, 0) < 1)
            or (ndim == 2 and cnp.PyArray_DIM(a, 1) != d1)):
        raise ValueError("loopmlp._cython: an array has the wrong shape or layout (call the "
                         "kernels through loopmlp.get_backend('cython'), which says which)")
    return <double*>cnp.PyArray_DATA(a)


cdef inline int _net(cnp.ndarray wh, Py_ssize_t* n) except -1:
    """n = (num_inp_nodes, num_hid_nodes), from wh (2-D, no empty layer)."""
    if cnp.PyArray_NDIM(wh) != 2 or cnp.PyArray_DIM(wh, 0) < 1 or cnp.PyArray_DIM(wh, 1) < 1:
        raise ValueError("loopmlp._cython: wh must be 2-D with at least one node per layer")
    n[0] = cnp.PyArray_DIM(wh, 1)
    n[1] = cnp.PyArray_DIM(wh, 0)
    return 0


cdef inline Py_ssize_t _num_out(cnp.ndarray wo) except -1:
    if cnp.PyArray_NDIM(wo) != 2 or cnp.PyArray_DIM(wo, 0) < 1:
        raise ValueError("loopmlp._cython: wo must be 2-D with at least one node per layer")
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


def predict(cnp.ndarray X not None, cnp.ndarray wh not None, cnp.ndarray bh not None,
            cnp.ndarray wo not None, cnp.ndarray bo not None, threads=None):
    """Y_hat (num_samples, num_out_nodes); rows on ``threads`` OpenMP threads (None: OpenMP's
    default, which honours OMP_NUM_THREADS). The result does not depend on ``threads``."""
    cdef int num_threads
    if threads is None:
        num_threads = openmp.omp_get_max_threads()
    else:
        if (isinstance(threads, bool) or not hasattr(threads, "__index__")
                or not 1 <= threads.__index__() <= 1024):
            raise ValueError(f"threads must be None or an integer >= 1, got {threads!r}")
        num_threads = threads.__index__()
    cdef Py_ssize_t n[2]
    _net(wh, n)
    cdef Py_ssize_t num_inp_nodes = n[0], num_hid_nodes = n[1], num_out_nodes = _num_out(wo)
    cdef const double* X_ = _arg(X, 2, -1, num_inp_nodes, False)
    cdef Py_ssize_t num_samples = cnp.PyArray_DIM(X, 0)
    cdef const double* wh_ = _arg(wh, 2, num_hid_nodes, num_inp_nodes, False)
    cdef const double* bh_ = _arg(bh, 1, num_hid_nodes, 0, False)
    cdef const double* wo_ = _arg(wo, 2, num_out_nodes, num_hid_nodes, False)
    cdef const double* bo_ = _arg(bo, 1, num_out_nodes, 0, False)
    cdef Py_ssize_t num_panels = (num_hid_nodes + PANEL - 1) // PANEL
    num_threads = <int>min(<Py_ssize_t>num_threads, (num_samples + BLOCK - 1) // BLOCK)
    cdef Py_ssize_t whp_size = num_panels * num_inp_nodes * PANEL
    cdef cnp.ndarray Y_hat = _empty(num_samples, num_out_nodes)
    # whp (zero-padded panels), then one slice of working space per thread
    cdef double* work = <double*>calloc(
        whp_size + num_threads * (2 * num_hid_nodes + 2 * PANEL), sizeof(double))
    if work == NULL:
        raise MemoryError()
    with nogil:
        _to_panels(wh_, work, num_hid_nodes, num_inp_nodes)
        _predict(X_, work, bh_, wo_, bo_, <double*>cnp.PyArray_DATA(Y_hat),
                 num_samples, num_inp_nodes, num_hid_nodes, num_out_nodes,
                 work + whp_size, num_threads)
    free(work)
    return Y_hat

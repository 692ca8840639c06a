# The lecture's kernels: the per-sample ones, line for line as _reference.py, and the
# whole-run ones as _rearranged.py.
# Part of _cython.pyx, which includes it (one compile unit; not compiled alone).

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


# whp (num_panels, num_inp_nodes, width), whp[g, i_idx, k] = wh[width g + k, i_idx],
# zero-padded (the caller callocs it); double for the lecture's net, either dtype for the
# deep net's layers
cdef void _to_panels(const real* wh, real* whp, Py_ssize_t num_hid_nodes,
                     Py_ssize_t num_inp_nodes, Py_ssize_t width) noexcept nogil:
    cdef Py_ssize_t g, k, i_idx
    for g in range((num_hid_nodes + width - 1) // width):
        for i_idx in range(num_inp_nodes):
            for k in range(min(width, num_hid_nodes - width * g)):  # no % width: a division
                whp[(g * num_inp_nodes + i_idx) * width + k] = \
                    wh[(width * g + k) * num_inp_nodes + i_idx]


# _rearranged.panel_width: the deep net's panels are WIDE_PANEL units wide in float32, PANEL
# in float64 (a constant in each specialisation of real)
cdef inline Py_ssize_t _panel_width(const real* a) noexcept nogil:
    if real is float:
        return WIDE_PANEL
    return PANEL


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
# OpenMP parallel region costs more to start, once per sample, than a small net's sample.
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
    _to_panels(wh, whp, num_hid_nodes, num_inp_nodes, PANEL)

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

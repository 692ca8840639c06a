# The deep net: _reference.py's net_* kernels over _rearranged.py's layer_response and
# hidden_delta.
# Part of _cython.pyx, which includes it (one compile unit; not compiled alone).

# ---------------------------------------------------------------------------------------
# The deep net: what the numba backend compiles (_numba.kernels), function for
# function, with the same names and loop nests: _reference.py's net_* kernels over
# _rearranged.py's layer_response and hidden_delta, and _rearranged.py's net_train
# (mini-batches layer by layer) and net_predict (panels); each says which it mirrors, and
# _rearranged.py says why every bit is kept. One source for both dtypes: ``real`` (declared
# in _cython.pyx) is float or double, the net's dtype, and every operation below rounds to it,
# as the reference's NumPy scalars do: constants are written <real>1.0, sums are kept in
# real variables, and exp, log and tanh are loopmlp's double functions (_cython_exp.h,
# _cython_elementary.h) with the result rounded, <real>exp(<double>x), which is the
# reference's real(exp(np.float64(x))).
# weights[l] (n_{l+1}, n_l) is indexed by hand: w[o_idx, i_idx] is
# w[o_idx * num_inp_nodes + i_idx]; sizes = (n_0, n_1, ..., n_L).
# Every multiply-add of the reference, s += a * b or s = s + a * b, is s = _madd(a, b, s, rnd)
# here, the same operands in the same order: a net made with fma=True rounds each once, as
# the reference's FMA mode does (fma(a, b, s)), and the default rounds product and sum
# each, as the lecture does. rnd (Twice or Once, _cython.pyx) is a dummy argument that every
# kernel with a sum takes last and passes down, so each mode is its own compiled
# specialization and the default's code is what it was.

# Activations and losses: the reference's codes (_reference.SIGMOID etc.), written again
# here; tests/test_codes.py compares NET_CODES below with them.
cdef enum:
    SIGMOID = 0
    TANH = 1
    RELU = 2
    IDENTITY = 3
    SOFTMAX = 4
cdef enum:
    MSE = 0
    CROSS_ENTROPY = 1

NET_CODES = dict(SIGMOID=SIGMOID, TANH=TANH, RELU=RELU, IDENTITY=IDENTITY, SOFTMAX=SOFTMAX,
                 MSE=MSE, CROSS_ENTROPY=CROSS_ENTROPY)


# s + a * b in rnd's rounding: fma(a, b, s), one rounding to real (fmaf for float: fma on
# float operands would round to double first, then again to float), or the product and
# then the sum rounded, as written without the FMA mode (-ffp-contract=off keeps gcc from
# fusing them, setup.py)
cdef inline real _madd(real a, real b, real s, rounding rnd) noexcept nogil:
    if rounding is Once:
        if real is double:
            return fma(a, b, s)
        else:
            return fmaf(a, b, s)
    else:
        return s + a * b


# act (num_nodes,) holds a layer's net inputs val -> replaced in place by y = f(val).
# The activation table.
cdef void _activate(real* act, int func, Py_ssize_t num_nodes) noexcept nogil:
    cdef Py_ssize_t o_idx
    cdef real top, exp_sum
    if func == SIGMOID:
        # y = 1 / (1 + e^-val); the layer at once, in SIMD lanes, where exp_core covers
        # every e^-val (sigmoid_all: the same operations; else it leaves act alone)
        if real is double:
            if sigmoid_all_double(act, num_nodes):
                return
        else:
            if sigmoid_all_float(act, num_nodes):
                return
        for o_idx in range(num_nodes):
            act[o_idx] = <real>1.0 / (<real>1.0 + <real>exp(<double>(-act[o_idx])))
    elif func == TANH:
        # y = tanh(val)
        for o_idx in range(num_nodes):
            act[o_idx] = <real>tanh(<double>act[o_idx])
    elif func == RELU:
        # y = val if val > 0 else 0
        for o_idx in range(num_nodes):
            act[o_idx] = act[o_idx] if act[o_idx] > <real>0.0 else <real>0.0
    elif func == SOFTMAX:
        # y_k = e^(val_k - top) / sum_j e^(val_j - top), top = max_j val_j: the same y as
        # e^val_k / sum_j e^val_j, without overflow
        top = act[0]
        for o_idx in range(1, num_nodes):
            if act[o_idx] > top:
                top = act[o_idx]
        exp_sum = <real>0.0
        for o_idx in range(num_nodes):
            act[o_idx] = <real>exp(<double>(act[o_idx] - top))
            exp_sum += act[o_idx]
        for o_idx in range(num_nodes):
            act[o_idx] = act[o_idx] / exp_sum
    # IDENTITY: y = val, which act holds already


# prev (num_inp_nodes,), w (num_out_nodes, num_inp_nodes), b (num_out_nodes,)
# -> act (num_out_nodes,): one layer's response, y_k = f(b_k + sum_i w_ki y_i).
# _rearranged.layer_response: four units' sums side by side, four independent chains
# instead of one waiting on the last, and in the FMA mode (rnd Once, _rearranged's
# EIGHT_SUMS) eight first; each unit's sum keeps its terms and their order, then its bias,
# then the activation.
cdef void _layer_response(const real* prev, const real* w, const real* b, int func,
                          real* act, Py_ssize_t num_inp_nodes,
                          Py_ssize_t num_out_nodes, rounding rnd) noexcept nogil:
    cdef Py_ssize_t o_idx = 0, i_idx
    cdef real x, v0, v1, v2, v3, v4, v5, v6, v7, val
    while rounding is Once and o_idx + 8 <= num_out_nodes:
        v0 = <real>0.0
        v1 = <real>0.0
        v2 = <real>0.0
        v3 = <real>0.0
        v4 = <real>0.0
        v5 = <real>0.0
        v6 = <real>0.0
        v7 = <real>0.0
        for i_idx in range(num_inp_nodes):
            x = prev[i_idx]
            v0 = _madd(x, w[o_idx * num_inp_nodes + i_idx], v0, rnd)
            v1 = _madd(x, w[(o_idx + 1) * num_inp_nodes + i_idx], v1, rnd)
            v2 = _madd(x, w[(o_idx + 2) * num_inp_nodes + i_idx], v2, rnd)
            v3 = _madd(x, w[(o_idx + 3) * num_inp_nodes + i_idx], v3, rnd)
            v4 = _madd(x, w[(o_idx + 4) * num_inp_nodes + i_idx], v4, rnd)
            v5 = _madd(x, w[(o_idx + 5) * num_inp_nodes + i_idx], v5, rnd)
            v6 = _madd(x, w[(o_idx + 6) * num_inp_nodes + i_idx], v6, rnd)
            v7 = _madd(x, w[(o_idx + 7) * num_inp_nodes + i_idx], v7, rnd)
        act[o_idx] = v0 + b[o_idx]
        act[o_idx + 1] = v1 + b[o_idx + 1]
        act[o_idx + 2] = v2 + b[o_idx + 2]
        act[o_idx + 3] = v3 + b[o_idx + 3]
        act[o_idx + 4] = v4 + b[o_idx + 4]
        act[o_idx + 5] = v5 + b[o_idx + 5]
        act[o_idx + 6] = v6 + b[o_idx + 6]
        act[o_idx + 7] = v7 + b[o_idx + 7]
        o_idx += 8
    while o_idx + 4 <= num_out_nodes:
        v0 = <real>0.0
        v1 = <real>0.0
        v2 = <real>0.0
        v3 = <real>0.0
        for i_idx in range(num_inp_nodes):
            x = prev[i_idx]
            v0 = _madd(x, w[o_idx * num_inp_nodes + i_idx], v0, rnd)
            v1 = _madd(x, w[(o_idx + 1) * num_inp_nodes + i_idx], v1, rnd)
            v2 = _madd(x, w[(o_idx + 2) * num_inp_nodes + i_idx], v2, rnd)
            v3 = _madd(x, w[(o_idx + 3) * num_inp_nodes + i_idx], v3, rnd)
        act[o_idx] = v0 + b[o_idx]
        act[o_idx + 1] = v1 + b[o_idx + 1]
        act[o_idx + 2] = v2 + b[o_idx + 2]
        act[o_idx + 3] = v3 + b[o_idx + 3]
        o_idx += 4
    while o_idx < num_out_nodes:
        val = <real>0.0
        for i_idx in range(num_inp_nodes):
            val = _madd(prev[i_idx], w[o_idx * num_inp_nodes + i_idx], val, rnd)
        act[o_idx] = val + b[o_idx]
        o_idx += 1
    _activate(act, func, num_out_nodes)


# out (num_out_nodes,), tgt (num_out_nodes,) -> the sample's loss
cdef real _sample_loss(const real* out, const real* tgt, int output, int loss,
                       Py_ssize_t num_out_nodes, rounding rnd) noexcept nogil:
    cdef Py_ssize_t o_idx
    cdef real sq_sum, err, ce_sum
    if loss == MSE:
        # (err**2).mean(), err = tgt - out, summed in index order (as _train_epoch)
        sq_sum = <real>0.0
        for o_idx in range(num_out_nodes):
            err = tgt[o_idx] - out[o_idx]
            sq_sum = _madd(err, err, sq_sum, rnd)
        return sq_sum / <real>num_out_nodes
    # cross-entropy, summed in index order; a term whose factor is 0 is skipped (0 log 0 = 0)
    ce_sum = <real>0.0
    if output == SOFTMAX:
        # -sum_k y_k log y_k^o
        for o_idx in range(num_out_nodes):
            if tgt[o_idx] != <real>0.0:
                ce_sum = _madd(tgt[o_idx], <real>log(<double>out[o_idx]), ce_sum, rnd)
    else:
        # sigmoid outputs, each a two-class problem: -sum_k [y_k log y_k^o
        #                                                   + (1 - y_k) log(1 - y_k^o)]
        for o_idx in range(num_out_nodes):
            if tgt[o_idx] != <real>0.0:
                ce_sum = _madd(tgt[o_idx], <real>log(<double>out[o_idx]), ce_sum, rnd)
            if <real>1.0 - tgt[o_idx] != <real>0.0:
                ce_sum = _madd(<real>1.0 - tgt[o_idx],
                               <real>log(<double>(<real>1.0 - out[o_idx])), ce_sum, rnd)
    return -ce_sum


# out (num_out_nodes,), tgt (num_out_nodes,) -> delta (num_out_nodes,), delta_k = -dE/dval_k
# for the sample's E: the derivative table, output layer
cdef void _output_delta(const real* out, const real* tgt, int output, int loss, real* delta,
                        Py_ssize_t num_out_nodes) noexcept nogil:
    cdef Py_ssize_t o_idx
    cdef real err
    for o_idx in range(num_out_nodes):
        err = tgt[o_idx] - out[o_idx]
        if loss == MSE and output == SIGMOID:
            # E = 1/2 sum_k (y_k - y_k^o)^2: delta_k = (y_k - y_k^o) y_k^o (1 - y_k^o)
            delta[o_idx] = out[o_idx] * (<real>1.0 - out[o_idx]) * err
        else:
            # mse, identity: delta_k = y_k - y_k^o (y_k^o = val_k, slope 1);
            # cross-entropy, sigmoid or softmax: delta_k = y_k - y_k^o (the log cancels the
            # slope; for softmax when sum_k y_k = 1, as for one-hot targets)
            delta[o_idx] = err


# act (num_hid_nodes,), w_next (num_out_nodes, num_hid_nodes), delta_next (num_out_nodes,)
# -> delta (num_hid_nodes,): a hidden layer's deltas from the layer above (the derivative
# table, hidden layers); w_next as in the forward pass, before this step's update.
# _rearranged.hidden_delta: w_next row by row; every unit's err_prop still adds
# delta_next[o] w_next[o, h] for o = 0, 1, ... in that order (in delta[h], from zero), but
# all units' sums advance together over contiguous memory, eight at a time here (as in
# _layer_update: for gcc's SLP vectoriser, where numba has LLVM's loop vectoriser).
# (w_o is &w_next[o_idx, 0].)
cdef void _hidden_delta(const real* act, const real* w_next, const real* delta_next,
                        int func, real* delta, Py_ssize_t num_hid_nodes,
                        Py_ssize_t num_out_nodes, rounding rnd) noexcept nogil:
    cdef Py_ssize_t h_idx, o_idx
    cdef const real* w_o
    cdef real d, err_prop, e0, e1, e2, e3, e4, e5, e6, e7
    for h_idx in range(num_hid_nodes):
        delta[h_idx] = <real>0.0
    # the error to propagate back: sum_k delta_k w_kj
    for o_idx in range(num_out_nodes):
        d = delta_next[o_idx]
        w_o = w_next + o_idx * num_hid_nodes
        h_idx = 0
        while h_idx + 8 <= num_hid_nodes:
            e0 = _madd(d, w_o[h_idx], delta[h_idx], rnd)
            e1 = _madd(d, w_o[h_idx + 1], delta[h_idx + 1], rnd)
            e2 = _madd(d, w_o[h_idx + 2], delta[h_idx + 2], rnd)
            e3 = _madd(d, w_o[h_idx + 3], delta[h_idx + 3], rnd)
            e4 = _madd(d, w_o[h_idx + 4], delta[h_idx + 4], rnd)
            e5 = _madd(d, w_o[h_idx + 5], delta[h_idx + 5], rnd)
            e6 = _madd(d, w_o[h_idx + 6], delta[h_idx + 6], rnd)
            e7 = _madd(d, w_o[h_idx + 7], delta[h_idx + 7], rnd)
            delta[h_idx] = e0; delta[h_idx + 1] = e1; delta[h_idx + 2] = e2
            delta[h_idx + 3] = e3; delta[h_idx + 4] = e4; delta[h_idx + 5] = e5
            delta[h_idx + 6] = e6; delta[h_idx + 7] = e7
            h_idx += 8
        while h_idx < num_hid_nodes:
            delta[h_idx] = _madd(d, w_o[h_idx], delta[h_idx], rnd)
            h_idx += 1
    for h_idx in range(num_hid_nodes):
        err_prop = delta[h_idx]
        if func == SIGMOID:
            # (sum_k delta_k w_kj) y_j (1 - y_j)
            delta[h_idx] = act[h_idx] * (<real>1.0 - act[h_idx]) * err_prop
        elif func == TANH:
            # (sum_k delta_k w_kj) (1 - y_j^2)
            delta[h_idx] = (<real>1.0 - act[h_idx] * act[h_idx]) * err_prop
        else:
            # RELU: (sum_k delta_k w_kj) [val_j > 0], and val_j > 0 exactly when y_j > 0
            delta[h_idx] = err_prop if act[h_idx] > <real>0.0 else <real>0.0


# prev (num_inp_nodes,), delta (num_out_nodes,) -> w (num_out_nodes, num_inp_nodes),
# b (num_out_nodes,) updated in place: one layer of _update_network's adjust loops.
# Each row eight weights at a time: numba gets the reference's inner loop in SIMD registers
# from LLVM's loop vectoriser; setup.py turns gcc's off (for the panels), and its SLP
# vectoriser needs the eight updates written out (the products first: with them inside
# _madd's arguments, it left the FMA mode's eight steps scalar). Each weight still takes the
# reference's one update, w_ki + eta (y_i delta_k). (w_o is &w[o_idx, 0].)
cdef void _layer_update(const real* prev, const real* delta, real* w, real* b, real lrate,
                        Py_ssize_t num_inp_nodes, Py_ssize_t num_out_nodes,
                        rounding rnd) noexcept nogil:
    cdef Py_ssize_t o_idx, i_idx
    cdef real* w_o
    cdef real d, w0, w1, w2, w3, w4, w5, w6, w7
    cdef real p0, p1, p2, p3, p4, p5, p6, p7

    # adjust w: w_ki += eta delta_k y_i (each weight once: the loop order does not matter
    # for the bits; row by row is the order the memory is in)
    for o_idx in range(num_out_nodes):
        w_o = w + o_idx * num_inp_nodes
        d = delta[o_idx]
        i_idx = 0
        while i_idx + 8 <= num_inp_nodes:
            p0 = prev[i_idx] * d; p1 = prev[i_idx + 1] * d
            p2 = prev[i_idx + 2] * d; p3 = prev[i_idx + 3] * d
            p4 = prev[i_idx + 4] * d; p5 = prev[i_idx + 5] * d
            p6 = prev[i_idx + 6] * d; p7 = prev[i_idx + 7] * d
            w0 = _madd(lrate, p0, w_o[i_idx], rnd)
            w1 = _madd(lrate, p1, w_o[i_idx + 1], rnd)
            w2 = _madd(lrate, p2, w_o[i_idx + 2], rnd)
            w3 = _madd(lrate, p3, w_o[i_idx + 3], rnd)
            w4 = _madd(lrate, p4, w_o[i_idx + 4], rnd)
            w5 = _madd(lrate, p5, w_o[i_idx + 5], rnd)
            w6 = _madd(lrate, p6, w_o[i_idx + 6], rnd)
            w7 = _madd(lrate, p7, w_o[i_idx + 7], rnd)
            w_o[i_idx] = w0; w_o[i_idx + 1] = w1; w_o[i_idx + 2] = w2; w_o[i_idx + 3] = w3
            w_o[i_idx + 4] = w4; w_o[i_idx + 5] = w5; w_o[i_idx + 6] = w6; w_o[i_idx + 7] = w7
            i_idx += 8
        while i_idx < num_inp_nodes:
            w_o[i_idx] = _madd(lrate, prev[i_idx] * d, w_o[i_idx], rnd)
            i_idx += 1

    # adjust b: b_k += eta delta_k
    for o_idx in range(num_out_nodes):
        b[o_idx] = _madd(lrate, delta[o_idx], b[o_idx], rnd)


# prev (num_inp_nodes,), delta (num_out_nodes,) -> grad_w (num_out_nodes, num_inp_nodes),
# grad_b (num_out_nodes,): this sample's -dE/dw_ki = delta_k y_i and -dE/db_k = delta_k added
cdef void _layer_gradient(const real* prev, const real* delta, real* grad_w, real* grad_b,
                          Py_ssize_t num_inp_nodes, Py_ssize_t num_out_nodes,
                          rounding rnd) noexcept nogil:
    cdef Py_ssize_t o_idx, i_idx
    for o_idx in range(num_out_nodes):
        for i_idx in range(num_inp_nodes):
            grad_w[o_idx * num_inp_nodes + i_idx] = _madd(
                prev[i_idx], delta[o_idx], grad_w[o_idx * num_inp_nodes + i_idx], rnd)
        grad_b[o_idx] += delta[o_idx]


# inp (n_0,), weights[l] (n_{l+1}, n_l), biases[l] (n_{l+1},), hidden/output: activation
# codes -> acts[l] (n_{l+1},) filled: each hidden layer's activations, then the output.
# (_net_response: the same in the default rounding, for the C API, _cython_capi.pxi;
# likewise _net_update and _net_predict.)
cdef void _net_response_rounded(const real* inp, real** weights, real** biases, int hidden,
                                int output, real** acts, const Py_ssize_t* sizes,
                                Py_ssize_t num_layers, rounding rnd) noexcept nogil:
    cdef Py_ssize_t layer
    cdef int func
    for layer in range(num_layers):
        func = output if layer == num_layers - 1 else hidden
        if layer == 0:
            _layer_response(inp, weights[0], biases[0], func, acts[0], sizes[0], sizes[1],
                            rnd)
        else:
            _layer_response(acts[layer - 1], weights[layer], biases[layer], func, acts[layer],
                            sizes[layer], sizes[layer + 1], rnd)


cdef void _net_response(const real* inp, real** weights, real** biases, int hidden,
                        int output, real** acts, const Py_ssize_t* sizes,
                        Py_ssize_t num_layers) noexcept nogil:
    _net_response_rounded(inp, weights, biases, hidden, output, acts, sizes, num_layers,
                          TWICE)


# acts from _net_response, tgt (n_L,) -> deltas[l] (n_{l+1},): every layer's deltas, top
# down, all from the weights of the forward pass (none is updated here)
cdef void _net_deltas(real** acts, const real* tgt, real** weights, int hidden, int output,
                      int loss, real** deltas, const Py_ssize_t* sizes,
                      Py_ssize_t num_layers, rounding rnd) noexcept nogil:
    cdef Py_ssize_t layer
    _output_delta(acts[num_layers - 1], tgt, output, loss, deltas[num_layers - 1],
                  sizes[num_layers])
    for layer in range(num_layers - 2, -1, -1):
        _hidden_delta(acts[layer], weights[layer + 1], deltas[layer + 1], hidden,
                      deltas[layer], sizes[layer + 1], sizes[layer + 2], rnd)


# inp (n_0,), acts from _net_response(inp, ...), tgt (n_L,); weights, biases updated in
# place; lrate is eta; deltas: scratch, one (n_{l+1},) per layer.
# _update_network for any depth: every delta first, then every layer's adjust loops.
cdef void _net_update_rounded(const real* inp, real** acts, const real* tgt, real** weights,
                              real** biases, int hidden, int output, int loss, real lrate,
                              real** deltas, const Py_ssize_t* sizes,
                              Py_ssize_t num_layers, rounding rnd) noexcept nogil:
    cdef Py_ssize_t layer
    _net_deltas(acts, tgt, weights, hidden, output, loss, deltas, sizes, num_layers, rnd)
    # top layer first, as _update_network adjusts wo, bo before wh, bh
    for layer in range(num_layers - 1, -1, -1):
        if layer == 0:
            _layer_update(inp, deltas[0], weights[0], biases[0], lrate, sizes[0], sizes[1],
                          rnd)
        else:
            _layer_update(acts[layer - 1], deltas[layer], weights[layer], biases[layer],
                          lrate, sizes[layer], sizes[layer + 1], rnd)


cdef void _net_update(const real* inp, real** acts, const real* tgt, real** weights,
                      real** biases, int hidden, int output, int loss, real lrate,
                      real** deltas, const Py_ssize_t* sizes,
                      Py_ssize_t num_layers) noexcept nogil:
    _net_update_rounded(inp, acts, tgt, weights, biases, hidden, output, loss, lrate, deltas,
                        sizes, num_layers, TWICE)


# X (num_samples_X, n_0), Y (num_samples_X, n_L), orders (num_epochs, num_samples): the
# rows of each epoch, in order; batch_size >= 1; acts, deltas (n_{l+1},), grad_w
# (n_{l+1}, n_l), grad_b (n_{l+1},): scratch -> losses (num_epochs,): each epoch's mean
# sample loss, computed during the pass; weights, biases updated in place.
# batch_size 1 is _train_epoch's online SGD; otherwise each batch of batch_size consecutive
# rows of the order (the last may be shorter) runs forward on the weights at its start, and
# its summed per-sample gradients, divided by its number of rows, make one step.
# The reference's net_train, line for line (_rearranged imports it as reference_net_train):
# _net_train (_cython_panels.pxi) runs it for batch_size 1, over _layer_response and
# _hidden_delta above.
cdef void _reference_net_train(const real* X, const real* Y, real** weights,
                               real** biases, int hidden, int output, int loss, real lrate,
                               const cnp.int64_t* orders, Py_ssize_t batch_size,
                               real** acts, real** deltas, real** grad_w, real** grad_b,
                               real* losses, const Py_ssize_t* sizes,
                               Py_ssize_t num_layers, Py_ssize_t num_epochs,
                               Py_ssize_t num_samples, rounding rnd) noexcept nogil:
    cdef Py_ssize_t epoch, n_idx, start, stop, layer, o_idx, i_idx
    cdef const real* inp
    cdef const real* tgt
    cdef real* w
    cdef real* b
    cdef real* gw
    cdef real* gb
    cdef real epoch_loss, num_batch

    for epoch in range(num_epochs):
        epoch_loss = <real>0.0
        if batch_size == 1:
            # online: forward, loss, update, one sample at a time (_train_epoch)
            for n_idx in range(num_samples):
                inp = X + orders[epoch * num_samples + n_idx] * sizes[0]
                tgt = Y + orders[epoch * num_samples + n_idx] * sizes[num_layers]
                _net_response_rounded(inp, weights, biases, hidden, output, acts, sizes,
                                      num_layers, rnd)
                epoch_loss += _sample_loss(acts[num_layers - 1], tgt, output, loss,
                                           sizes[num_layers], rnd)
                _net_update_rounded(inp, acts, tgt, weights, biases, hidden, output, loss,
                                    lrate, deltas, sizes, num_layers, rnd)
        else:
            start = 0
            while start < num_samples:  # for start in range(0, num_samples, batch_size)
                stop = min(start + batch_size, num_samples)
                for layer in range(num_layers):
                    for o_idx in range(sizes[layer + 1]):  # grad_w[layer][:, :] = 0
                        for i_idx in range(sizes[layer]):
                            grad_w[layer][o_idx * sizes[layer] + i_idx] = <real>0.0
                        grad_b[layer][o_idx] = <real>0.0   # grad_b[layer][:] = 0
                # each row's gradient, at the batch's starting weights, summed in row order
                for n_idx in range(start, stop):
                    inp = X + orders[epoch * num_samples + n_idx] * sizes[0]
                    tgt = Y + orders[epoch * num_samples + n_idx] * sizes[num_layers]
                    _net_response_rounded(inp, weights, biases, hidden, output, acts, sizes,
                                          num_layers, rnd)
                    epoch_loss += _sample_loss(acts[num_layers - 1], tgt, output, loss,
                                               sizes[num_layers], rnd)
                    _net_deltas(acts, tgt, weights, hidden, output, loss, deltas, sizes,
                                num_layers, rnd)
                    for layer in range(num_layers):
                        if layer == 0:
                            _layer_gradient(inp, deltas[0], grad_w[0], grad_b[0],
                                            sizes[0], sizes[1], rnd)
                        else:
                            _layer_gradient(acts[layer - 1], deltas[layer], grad_w[layer],
                                            grad_b[layer], sizes[layer], sizes[layer + 1],
                                            rnd)
                # one step with the mean gradient: w += eta (sum_n delta_k y_i) / batch
                num_batch = <real>(stop - start)
                for layer in range(num_layers):
                    w = weights[layer]
                    b = biases[layer]
                    gw = grad_w[layer]
                    gb = grad_b[layer]
                    for o_idx in range(sizes[layer + 1]):
                        for i_idx in range(sizes[layer]):
                            w[o_idx * sizes[layer] + i_idx] = _madd(
                                lrate, gw[o_idx * sizes[layer] + i_idx] / num_batch,
                                w[o_idx * sizes[layer] + i_idx], rnd)
                        b[o_idx] = _madd(lrate, gb[o_idx] / num_batch, b[o_idx], rnd)
                start += batch_size
        # the mean of the per-sample losses, summed in sample order
        losses[epoch] = epoch_loss / <real>num_samples

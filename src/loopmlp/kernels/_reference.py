"""The lecture's MLP loops in plain Python: the reference every other backend must match.

This file is the spec. ``neural_response`` and ``update_network`` are the per-node loops of
the lecture (week 7, "DIY code for missing pixels prediction"), with the same names and the
same loop nests. The ``numba`` backend compiles *this very source* (see ``_numba.py``);
the Cython and NumPy backends mirror it.

Where the transcribed lecture code contradicts the lecture's own math, the math wins:

* ``delta = out * (1.0 - out) * err``: the transcript has ``out**(1.0 - out)``, but the
  derivative of the sigmoid is ``y (1 - y)``.
* each bias is added once, after its weighted-sum loop (the transcript's indentation put
  ``val += bo[o_idx]`` inside the output loop, adding it ``num_hid_nodes`` times).
* ``update_network`` runs once per sample, inside the sample loop (the transcript called it
  once per epoch, with only the last sample's error).
* ``inp`` and ``lrate`` are arguments (the transcript read them as globals).

Floating-point contract (why the compiled twins are bit-identical): every sum is evaluated
left to right in exactly this order, every product as written (no fused multiply-add), and
``exp`` is loopmlp's own (``_exp.exp``: the same operations in every backend, never the C
library's). The arrays hold float64 and indexing them yields
float64 scalars, so each operation below rounds exactly like the C ``double`` operation.

The deep net (``net_*``, after the lecture's kernels) runs in the net's dtype, float32 or
float64: every array holds it, every constant is written ``real(1.0)`` with ``real`` the
arrays' scalar type, and every operation on two such scalars rounds to it (NumPy scalars
do, and so does compiled code). One exp everywhere: the double exp, rounded:
``real(exp(np.float64(x)))``, and likewise ``log`` and ``tanh`` (``_elementary``): loopmlp's
own double functions, their result rounded to the net's dtype (``np.float64(x)``, not
``float(x)``: under numba ``float()`` of a float32 stays float32).
For float64 all of this changes nothing: a float64 net with one sigmoid hidden layer and
the mse loss computes exactly the bits of the kernels above.
"""

import numpy as np

from ._elementary import log, tanh
from ._exp import exp


# The lecture's kernels keep the lecture's layout (its parentheses and line breaks), so they
# can be read beside the slides; the formatter leaves them alone.
# fmt: off
# wh (num_hid_nodes, num_inp_nodes), bh (num_hid_nodes,), wo (num_out_nodes, num_hid_nodes),
# bo (num_out_nodes,), inp (num_inp_nodes,) -> hid (num_hid_nodes,), out (num_out_nodes,)
def neural_response(inp, wh, bh, wo, bo):
    num_inp_nodes = wh.shape[1]
    num_hid_nodes = wh.shape[0]
    num_out_nodes = wo.shape[0]

    hid = np.zeros(num_hid_nodes)
    out = np.zeros(num_out_nodes)

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

    # return the output
    return (hid, out)


# inp (num_inp_nodes,), hid (num_hid_nodes,), out (num_out_nodes,), err = tgt - out
# (num_out_nodes,); wh, bh, wo, bo updated in place; lrate is eta
def update_network(inp, hid, out, err, wh, bh, wo, bo, lrate):
    num_inp_nodes = wh.shape[1]
    num_hid_nodes = wh.shape[0]
    num_out_nodes = wo.shape[0]

    err_prop = np.zeros(num_hid_nodes)
    delta_hid = np.zeros(num_hid_nodes)
    delta_out = np.zeros(num_out_nodes)

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


# X (num_samples, num_inp_nodes), Y (num_samples, num_out_nodes) -> the epoch's MSE
def train_epoch(X, Y, wh, bh, wo, bo, lrate):
    num_samples = X.shape[0]
    num_out_nodes = wo.shape[0]

    # for each input/target pattern combo...
    epoch_mse = 0.0
    for n_idx in range(num_samples):
        inp = X[n_idx]
        tgt = Y[n_idx]

        # compute the MLP's response(s)
        hid, out = neural_response(inp, wh, bh, wo, bo)

        # compute the o/p node's MSE: (err**2).mean(), summed in index order
        err = tgt - out  # vector-vector subtraction
        sq_sum = 0.0
        for o_idx in range(num_out_nodes):
            sq_sum += err[o_idx] * err[o_idx]
        epoch_mse += sq_sum / num_out_nodes

        # update the weights, once per sample (the transcript did it once per epoch)
        update_network(inp, hid, out, err, wh, bh, wo, bo, lrate)

    # the mean of the per-sample MSEs, summed in sample order
    return epoch_mse / num_samples


# the lecture's epoch loop -> mses (num_epochs,)
def train(X, Y, wh, bh, wo, bo, lrate, num_epochs):
    mses = np.zeros(num_epochs)
    for epoch in range(num_epochs):
        mses[epoch] = train_epoch(X, Y, wh, bh, wo, bo, lrate)
    return mses


# X (num_samples, num_inp_nodes) -> Y_hat (num_samples, num_out_nodes)
def predict(X, wh, bh, wo, bo):
    Y_hat = np.zeros((X.shape[0], wo.shape[0]))
    for idx in range(X.shape[0]):
        hid, out = neural_response(X[idx], wh, bh, wo, bo)
        Y_hat[idx] = out
    return Y_hat


# fmt: on

# Without a rearranged epoch kernel, the literal one is the only one.
train_epoch_literal = train_epoch


# --------------------------------------------------------------------------------------
# The deep net: a loop over layers around the lecture's loops over nodes.
#
# Layer l (0 <= l < num_layers) maps the previous layer's activations (inp for l = 0) to
# its own: w = weights[l] (n_{l+1}, n_l), b = biases[l] (n_{l+1},), act = acts[l]
# (n_{l+1},); acts[-1] is the output. Every layer but the last uses the hidden activation,
# the last the output activation. The int codes below name activations and losses (net.py
# maps the public names to them). weights, biases, acts, deltas, grad_w and grad_b are
# tuples of one array per layer, all of the net's dtype (homogeneous tuples, as the compiled
# twins need). Scratch arrays (acts, deltas, grad_w, grad_b) come from the caller, so the
# compiled twins allocate nothing per sample. No kernel checks anything: net.py does, once.
# --------------------------------------------------------------------------------------

SIGMOID, TANH, RELU, IDENTITY, SOFTMAX = 0, 1, 2, 3, 4  # activations
MSE, CROSS_ENTROPY = 0, 1  # losses

# The deep-net functions, callees first (for a compiler that binds calls to its twins).
NET_FUNCTIONS = (
    "activate",
    "layer_response",
    "sample_loss",
    "output_delta",
    "hidden_delta",
    "layer_update",
    "layer_gradient",
    "net_response",
    "net_deltas",
    "net_update",
    "net_train",
    "net_predict",
)


# act (num_nodes,) holds a layer's net inputs val -> replaced in place by y = f(val).
# The activation table. (real: the net's float type; exp and tanh are the double
# functions, rounded to it: see the module docstring.)
def activate(act, func):
    real = act.dtype.type
    num_nodes = act.shape[0]
    if func == SIGMOID:
        # y = 1 / (1 + e^-val)
        for o_idx in range(num_nodes):
            act[o_idx] = real(1.0) / (real(1.0) + real(exp(np.float64(-act[o_idx]))))
    elif func == TANH:
        # y = tanh(val)
        for o_idx in range(num_nodes):
            act[o_idx] = real(tanh(np.float64(act[o_idx])))
    elif func == RELU:
        # y = val if val > 0 else 0
        for o_idx in range(num_nodes):
            act[o_idx] = act[o_idx] if act[o_idx] > real(0.0) else real(0.0)
    elif func == SOFTMAX:
        # y_k = e^(val_k - top) / sum_j e^(val_j - top), top = max_j val_j: the same y as
        # e^val_k / sum_j e^val_j, without overflow
        top = act[0]
        for o_idx in range(1, num_nodes):
            if act[o_idx] > top:
                top = act[o_idx]
        exp_sum = real(0.0)
        for o_idx in range(num_nodes):
            act[o_idx] = real(exp(np.float64(act[o_idx] - top)))
            exp_sum += act[o_idx]
        for o_idx in range(num_nodes):
            act[o_idx] = act[o_idx] / exp_sum
    # IDENTITY: y = val, which act holds already


# prev (num_inp_nodes,), w (num_out_nodes, num_inp_nodes), b (num_out_nodes,)
# -> act (num_out_nodes,): one layer's response, neural_response's loop with any activation
def layer_response(prev, w, b, func, act):
    real = act.dtype.type
    num_inp_nodes = w.shape[1]
    num_out_nodes = w.shape[0]

    # y_k = f(b_k + sum_i w_ki y_i): the sum in index order, the bias once, after it
    for o_idx in range(num_out_nodes):
        val = real(0.0)
        for i_idx in range(num_inp_nodes):
            val += prev[i_idx] * w[o_idx, i_idx]
        val += b[o_idx]
        act[o_idx] = val
    activate(act, func)


# out (num_out_nodes,), tgt (num_out_nodes,) -> the sample's loss, a scalar of out's dtype
def sample_loss(out, tgt, output, loss):
    real = out.dtype.type
    num_out_nodes = out.shape[0]
    if loss == MSE:
        # (err**2).mean(), err = tgt - out, summed in index order (as train_epoch)
        sq_sum = real(0.0)
        for o_idx in range(num_out_nodes):
            err = tgt[o_idx] - out[o_idx]
            sq_sum += err * err
        return sq_sum / real(num_out_nodes)
    # cross-entropy, summed in index order; a term whose factor is 0 is skipped (0 log 0 = 0)
    ce_sum = real(0.0)
    if output == SOFTMAX:
        # -sum_k y_k log y_k^o
        for o_idx in range(num_out_nodes):
            if tgt[o_idx] != real(0.0):
                ce_sum += tgt[o_idx] * real(log(np.float64(out[o_idx])))
    else:
        # sigmoid outputs, each a two-class problem: -sum_k [y_k log y_k^o
        #                                                   + (1 - y_k) log(1 - y_k^o)]
        for o_idx in range(num_out_nodes):
            if tgt[o_idx] != real(0.0):
                ce_sum += tgt[o_idx] * real(log(np.float64(out[o_idx])))
            if real(1.0) - tgt[o_idx] != real(0.0):
                ce_sum += (real(1.0) - tgt[o_idx]) * real(log(np.float64(real(1.0) - out[o_idx])))
    return -ce_sum


# out (num_out_nodes,), tgt (num_out_nodes,) -> delta (num_out_nodes,), delta_k = -dE/dval_k
# for the sample's E: the derivative table, output layer
def output_delta(out, tgt, output, loss, delta):
    real = out.dtype.type
    num_out_nodes = out.shape[0]
    for o_idx in range(num_out_nodes):
        err = tgt[o_idx] - out[o_idx]
        if loss == MSE and output == SIGMOID:
            # E = 1/2 sum_k (y_k - y_k^o)^2: delta_k = (y_k - y_k^o) y_k^o (1 - y_k^o)
            delta[o_idx] = out[o_idx] * (real(1.0) - out[o_idx]) * err
        else:
            # mse, identity: delta_k = y_k - y_k^o (y_k^o = val_k, slope 1);
            # cross-entropy, sigmoid or softmax: delta_k = y_k - y_k^o (the log cancels the
            # slope; for softmax when sum_k y_k = 1, as for one-hot targets)
            delta[o_idx] = err


# act (num_hid_nodes,), w_next (num_out_nodes, num_hid_nodes), delta_next (num_out_nodes,)
# -> delta (num_hid_nodes,): a hidden layer's deltas from the layer above (the derivative
# table, hidden layers); w_next as in the forward pass, before this step's update
def hidden_delta(act, w_next, delta_next, func, delta):
    real = act.dtype.type
    num_hid_nodes = w_next.shape[1]
    num_out_nodes = w_next.shape[0]
    for h_idx in range(num_hid_nodes):
        # the error to propagate back: sum_k delta_k w_kj
        err_prop = real(0.0)
        for o_idx in range(num_out_nodes):
            err_prop += delta_next[o_idx] * w_next[o_idx, h_idx]
        if func == SIGMOID:
            # (sum_k delta_k w_kj) y_j (1 - y_j)
            delta[h_idx] = act[h_idx] * (real(1.0) - act[h_idx]) * err_prop
        elif func == TANH:
            # (sum_k delta_k w_kj) (1 - y_j^2)
            delta[h_idx] = (real(1.0) - act[h_idx] * act[h_idx]) * err_prop
        else:
            # RELU: (sum_k delta_k w_kj) [val_j > 0], and val_j > 0 exactly when y_j > 0
            delta[h_idx] = err_prop if act[h_idx] > real(0.0) else real(0.0)


# prev (num_inp_nodes,), delta (num_out_nodes,) -> w (num_out_nodes, num_inp_nodes),
# b (num_out_nodes,) updated in place: one layer of update_network's adjust loops.
# (_cython_deep.pxi's _layer_update writes each row's loop out eight weights at a time, for
# gcc's SLP vectoriser, where numba has LLVM's loop vectoriser; the same updates.)
def layer_update(prev, delta, w, b, lrate):
    num_inp_nodes = w.shape[1]
    num_out_nodes = w.shape[0]

    # adjust w: w_ki += eta delta_k y_i (each weight once: the loop order does not matter
    # for the bits; row by row is the order the memory is in)
    for o_idx in range(num_out_nodes):
        for i_idx in range(num_inp_nodes):
            w[o_idx, i_idx] += lrate * (prev[i_idx] * delta[o_idx])

    # adjust b: b_k += eta delta_k
    for o_idx in range(num_out_nodes):
        b[o_idx] += lrate * delta[o_idx]


# prev (num_inp_nodes,), delta (num_out_nodes,) -> grad_w (num_out_nodes, num_inp_nodes),
# grad_b (num_out_nodes,): this sample's -dE/dw_ki = delta_k y_i and -dE/db_k = delta_k added
def layer_gradient(prev, delta, grad_w, grad_b):
    num_inp_nodes = grad_w.shape[1]
    num_out_nodes = grad_w.shape[0]
    for o_idx in range(num_out_nodes):
        for i_idx in range(num_inp_nodes):
            grad_w[o_idx, i_idx] += prev[i_idx] * delta[o_idx]
        grad_b[o_idx] += delta[o_idx]


# inp (n_0,), weights[l] (n_{l+1}, n_l), biases[l] (n_{l+1},), hidden/output: activation
# codes -> acts[l] (n_{l+1},) filled: each hidden layer's activations, then the output
def net_response(inp, weights, biases, hidden, output, acts):
    num_layers = len(weights)
    for layer in range(num_layers):
        func = output if layer == num_layers - 1 else hidden
        if layer == 0:
            layer_response(inp, weights[0], biases[0], func, acts[0])
        else:
            layer_response(acts[layer - 1], weights[layer], biases[layer], func, acts[layer])


# acts from net_response, tgt (n_L,) -> deltas[l] (n_{l+1},): every layer's deltas, top down,
# all from the weights of the forward pass (none is updated here)
def net_deltas(acts, tgt, weights, hidden, output, loss, deltas):
    num_layers = len(weights)
    output_delta(acts[num_layers - 1], tgt, output, loss, deltas[num_layers - 1])
    for layer in range(num_layers - 2, -1, -1):
        hidden_delta(acts[layer], weights[layer + 1], deltas[layer + 1], hidden, deltas[layer])


# inp (n_0,), acts from net_response(inp, ...), tgt (n_L,); weights, biases updated in place;
# lrate is eta, a scalar of the net's dtype; deltas: scratch, one (n_{l+1},) per layer.
# update_network for any depth: every delta first, then every layer's adjust loops.
def net_update(inp, acts, tgt, weights, biases, hidden, output, loss, lrate, deltas):
    num_layers = len(weights)
    net_deltas(acts, tgt, weights, hidden, output, loss, deltas)
    # top layer first, as update_network adjusts wo, bo before wh, bh
    for layer in range(num_layers - 1, -1, -1):
        if layer == 0:
            layer_update(inp, deltas[0], weights[0], biases[0], lrate)
        else:
            layer_update(acts[layer - 1], deltas[layer], weights[layer], biases[layer], lrate)


# X (num_samples, n_0), Y (num_samples, n_L), orders (num_epochs, num_samples) int64: the
# rows of each epoch, in order; batch_size >= 1; acts, deltas (n_{l+1},), grad_w
# (n_{l+1}, n_l), grad_b (n_{l+1},): scratch -> losses (num_epochs,): each epoch's mean
# sample loss, computed during the pass; weights, biases updated in place.
# batch_size 1 is train_epoch's online SGD; otherwise each batch of batch_size consecutive
# rows of the order (the last may be shorter) runs forward on the weights at its start, and
# its summed per-sample gradients, divided by its number of rows, make one step.
def net_train(
    X,
    Y,
    weights,
    biases,
    hidden,
    output,
    loss,
    lrate,
    orders,
    batch_size,
    acts,
    deltas,
    grad_w,
    grad_b,
):
    real = X.dtype.type
    num_epochs = orders.shape[0]
    num_samples = orders.shape[1]
    num_layers = len(weights)
    losses = np.zeros((num_epochs), dtype=X.dtype)

    for epoch in range(num_epochs):
        epoch_loss = real(0.0)
        if batch_size == 1:
            # online: forward, loss, update, one sample at a time (train_epoch)
            for n_idx in range(num_samples):
                inp = X[orders[epoch, n_idx]]
                tgt = Y[orders[epoch, n_idx]]
                net_response(inp, weights, biases, hidden, output, acts)
                epoch_loss += sample_loss(acts[num_layers - 1], tgt, output, loss)
                net_update(inp, acts, tgt, weights, biases, hidden, output, loss, lrate, deltas)
        else:
            for start in range(0, num_samples, batch_size):
                stop = min(start + batch_size, num_samples)
                for layer in range(num_layers):
                    grad_w[layer][:, :] = real(0.0)
                    grad_b[layer][:] = real(0.0)
                # each row's gradient, at the batch's starting weights, summed in row order
                for n_idx in range(start, stop):
                    inp = X[orders[epoch, n_idx]]
                    tgt = Y[orders[epoch, n_idx]]
                    net_response(inp, weights, biases, hidden, output, acts)
                    epoch_loss += sample_loss(acts[num_layers - 1], tgt, output, loss)
                    net_deltas(acts, tgt, weights, hidden, output, loss, deltas)
                    for layer in range(num_layers):
                        if layer == 0:
                            layer_gradient(inp, deltas[0], grad_w[0], grad_b[0])
                        else:
                            layer_gradient(
                                acts[layer - 1], deltas[layer], grad_w[layer], grad_b[layer]
                            )
                # one step with the mean gradient: w += eta (sum_n delta_k y_i) / batch
                num_batch = real(stop - start)
                for layer in range(num_layers):
                    w = weights[layer]
                    b = biases[layer]
                    gw = grad_w[layer]
                    gb = grad_b[layer]
                    for o_idx in range(w.shape[0]):
                        for i_idx in range(w.shape[1]):
                            w[o_idx, i_idx] += lrate * (gw[o_idx, i_idx] / num_batch)
                        b[o_idx] += lrate * (gb[o_idx] / num_batch)
        # the mean of the per-sample losses, summed in sample order
        losses[epoch] = epoch_loss / real(num_samples)
    return losses


# X (num_samples, n_0) -> Y_hat (num_samples, n_L): net_response row by row
def net_predict(X, weights, biases, hidden, output):
    num_samples = X.shape[0]
    num_layers = len(weights)
    widest = 1
    for layer in range(num_layers):
        widest = max(widest, weights[layer].shape[0])
    Y_hat = np.zeros((num_samples, weights[num_layers - 1].shape[0]), dtype=X.dtype)
    # two hidden layers' activations, alternating rows: allocated once, not per sample
    hid = np.zeros((2, widest), dtype=X.dtype)
    for n_idx in range(num_samples):
        for layer in range(num_layers):
            func = output if layer == num_layers - 1 else hidden
            prev = X[n_idx] if layer == 0 else hid[(layer - 1) % 2, : weights[layer].shape[1]]
            act = (
                Y_hat[n_idx]
                if layer == num_layers - 1
                else hid[layer % 2, : weights[layer].shape[0]]
            )
            layer_response(prev, weights[layer], biases[layer], func, act)
    return Y_hat


def fma_kernels():
    """The deep net's kernels in the FMA mode (``init_net(..., fma=True)``): the functions
    above, each ``s += a * b`` rewritten as ``s = fma(a, b, s)``, the exact ``_fma.fma``."""
    import sys

    from . import _fma

    return _fma.fused(sys.modules[__name__], NET_FUNCTIONS)

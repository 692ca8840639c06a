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
``exp`` is the C library's ``exp``. The arrays hold float64 and indexing them yields
float64 scalars, so each operation below rounds exactly like the C ``double`` operation.
"""

import math

import numpy as np


def exp(x):
    """The C library's ``exp``: ``math.exp`` calls it, but raises instead of returning inf.

    ``math.exp`` raises ``OverflowError`` exactly where C's ``exp`` overflows to ``inf``
    (net input below about -709.78); a saturated sigmoid then is ``1 / (1 + inf) = 0``,
    as in the compiled backends. The numba backend binds ``exp`` to ``math.exp`` instead.
    """
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


# wh (num_hid_nodes, num_inp_nodes), bh (num_hid_nodes,), wo (num_out_nodes, num_hid_nodes),
# bo (num_out_nodes,), inp (num_inp_nodes,) -> hid (num_hid_nodes,), out (num_out_nodes,)
def neural_response(inp, wh, bh, wo, bo):
    num_inp_nodes = wh.shape[1]
    num_hid_nodes = wh.shape[0]
    num_out_nodes = wo.shape[0]

    hid = np.zeros((num_hid_nodes))
    out = np.zeros((num_out_nodes))

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

    err_prop = np.zeros((num_hid_nodes))
    delta_hid = np.zeros((num_hid_nodes))
    delta_out = np.zeros((num_out_nodes))

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
    mses = np.zeros((num_epochs))
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


# Without a rearranged epoch kernel, the literal one is the only one.
train_epoch_literal = train_epoch

"""The reference's whole-run kernels with independent work reordered: every bit is kept.

The ``numba`` backend compiles these for ``train_epoch``, ``train`` and ``predict``;
``_cython.pyx`` mirrors them (``_forward_rows``, ``_train_epoch_rows``). Per-sample
``neural_response`` and ``update_network`` stay the lecture's literal loops everywhere.

Two rearrangements, both exact because each sum still adds the same terms in the same
order and each weight still receives the same single update:

* ``forward_rows``: four units' dot products run side by side in one pass over the input,
  so four independent addition chains overlap instead of each waiting on the last
  (the literal loop is bound by the latency of one chain).
* the updates of ``wo`` and ``wh`` walk their rows (contiguous memory) instead of the
  lecture's column order.

Measured on 60-6-4 (Cython, 2-core AMD EPYC): 0.67 us a sample literal, 0.37 us rearranged.
"""

import numpy as np

from ._reference import exp


# w (n_rows, n_cols), b (n_rows,), inp (n_cols,) -> act (n_rows,) = sigmoid(w @ inp + b)
def forward_rows(inp, w, b, act):
    n_rows = w.shape[0]
    n_cols = w.shape[1]
    r = 0
    while r + 4 <= n_rows:
        v0 = 0.0
        v1 = 0.0
        v2 = 0.0
        v3 = 0.0
        for c in range(n_cols):
            x = inp[c]
            v0 += x * w[r, c]
            v1 += x * w[r + 1, c]
            v2 += x * w[r + 2, c]
            v3 += x * w[r + 3, c]
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
            v0 += inp[c] * w[r, c]
        v0 += b[r]
        act[r] = 1.0 / (1.0 + exp(-v0))
        r += 1


def train_epoch(X, Y, wh, bh, wo, bo, lrate):
    num_samples = X.shape[0]
    num_inp_nodes = wh.shape[1]
    num_hid_nodes = wh.shape[0]
    num_out_nodes = wo.shape[0]
    hid = np.zeros((num_hid_nodes))
    out = np.zeros((num_out_nodes))
    err = np.zeros((num_out_nodes))
    err_prop = np.zeros((num_hid_nodes))
    delta_hid = np.zeros((num_hid_nodes))
    delta_out = np.zeros((num_out_nodes))

    epoch_mse = 0.0
    for n_idx in range(num_samples):
        forward_rows(X[n_idx], wh, bh, hid)
        forward_rows(hid, wo, bo, out)
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
        # the updates, row by row
        for o_idx in range(num_out_nodes):
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


def train(X, Y, wh, bh, wo, bo, lrate, num_epochs):
    mses = np.zeros((num_epochs))
    for epoch in range(num_epochs):
        mses[epoch] = train_epoch(X, Y, wh, bh, wo, bo, lrate)
    return mses


def predict(X, wh, bh, wo, bo):
    Y_hat = np.zeros((X.shape[0], wo.shape[0]))
    hid = np.zeros((wh.shape[0]))
    for idx in range(X.shape[0]):
        forward_rows(X[idx], wh, bh, hid)
        forward_rows(hid, wo, bo, Y_hat[idx])
    return Y_hat

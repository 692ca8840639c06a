"""The ``numpy`` backend: the reference's loops (``_reference.py``) as whole-array operations.

Each statement replaces the loop quoted in the comment above it. Elementwise statements
round exactly like the loops; the dot products (``@``) are summed by BLAS in its own order
and ``np.exp`` is NumPy's own (SIMD on some CPUs), so results differ from the reference in
the last bits: ``tests/test_kernels.py`` states the tolerances.

Online SGD cannot be vectorised across samples (sample n+1 sees the weights sample n
updated), so ``train_epoch`` keeps the lecture's per-sample Python loop.
"""

import numpy as np


# exp overflows to inf for net inputs below about -709: that is the saturated sigmoid
# 1 / (1 + inf) = 0, as in the loop backends, not an error worth a warning. The errstate is
# entered once per public call (once per epoch in train_epoch), not once per sample.
def _neural_response(inp, wh, bh, wo, bo):
    # for h_idx: val = sum_i inp[i_idx] * wh[h_idx, i_idx]; val += bh[h_idx]; hid = 1/(1+exp(-val))
    hid = 1.0 / (1.0 + np.exp(-(wh @ inp + bh)))
    # for o_idx: val = sum_h hid[h_idx] * wo[o_idx, h_idx]; val += bo[o_idx]; out = 1/(1+exp(-val))
    out = 1.0 / (1.0 + np.exp(-(wo @ hid + bo)))
    return (hid, out)


neural_response = np.errstate(over="ignore")(_neural_response)


def update_network(inp, hid, out, err, wh, bh, wo, bo, lrate):
    # for o_idx: delta_out[o_idx] = out[o_idx] * (1.0 - out[o_idx]) * err[o_idx]
    delta_out = out * (1.0 - out) * err
    # for h_idx: err_prop[h_idx] = sum_o delta_out[o_idx] * wo[o_idx, h_idx]  (wo before update)
    err_prop = delta_out @ wo
    # for h_idx: delta_hid[h_idx] = hid[h_idx] * (1.0 - hid[h_idx]) * err_prop[h_idx]
    delta_hid = hid * (1.0 - hid) * err_prop
    # for h_idx, o_idx: wo[o_idx, h_idx] += lrate * (hid[h_idx] * delta_out[o_idx])
    wo += lrate * np.multiply.outer(delta_out, hid)
    # for o_idx: bo[o_idx] += lrate * delta_out[o_idx]
    bo += lrate * delta_out
    # for i_idx, h_idx: wh[h_idx, i_idx] += lrate * (inp[i_idx] * delta_hid[h_idx])
    wh += lrate * np.multiply.outer(delta_hid, inp)
    # for h_idx: bh[h_idx] += lrate * delta_hid[h_idx]
    bh += lrate * delta_hid


@np.errstate(over="ignore")
def train_epoch(X, Y, wh, bh, wo, bo, lrate):
    epoch_mse = 0.0
    for inp, tgt in zip(X, Y):
        hid, out = _neural_response(inp, wh, bh, wo, bo)
        err = tgt - out
        epoch_mse += (err @ err) / err.shape[0]
        update_network(inp, hid, out, err, wh, bh, wo, bo, lrate)
    return epoch_mse / X.shape[0]


def train(X, Y, wh, bh, wo, bo, lrate, num_epochs):
    mses = np.zeros((num_epochs))
    for epoch in range(num_epochs):
        mses[epoch] = train_epoch(X, Y, wh, bh, wo, bo, lrate)
    return mses


@np.errstate(over="ignore")
def predict(X, wh, bh, wo, bo):
    # for idx: _, Y_hat[idx] = neural_response(X[idx], wh, bh, wo, bo)
    hid = 1.0 / (1.0 + np.exp(-(X @ wh.T + bh)))
    return 1.0 / (1.0 + np.exp(-(hid @ wo.T + bo)))


# Without a rearranged epoch kernel, the literal one is the only one.
train_epoch_literal = train_epoch

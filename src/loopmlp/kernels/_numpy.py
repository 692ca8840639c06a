"""The ``numpy`` backend: the reference's loops (``_reference.py``) as whole-array operations.

Each statement replaces the loop quoted in the comment above it. Elementwise statements
round exactly like the loops; the dot products (``@``) are summed by BLAS in its own order
and ``np.exp`` is NumPy's own (SIMD on some CPUs), so results differ from the reference in
the last bits: ``tests/test_kernels.py`` states the tolerances.

Online SGD cannot be vectorised across samples (sample n+1 sees the weights sample n
updated), so ``train_epoch`` keeps the lecture's per-sample Python loop.
"""

import sys

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
    mses = np.zeros(num_epochs)
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


# --------------------------------------------------------------------------------------
# The deep net: the reference's net_* kernels, one whole-layer statement per
# loop over nodes; same names, same arguments. Arrays keep the net's dtype throughout:
# Python numbers mixed with float32 arrays stay float32, and scalars are made with the
# arrays' own type (real). One difference beyond summation order: for float32, np.exp,
# np.log and np.tanh are NumPy's float32 functions, not the double ones rounded.
# --------------------------------------------------------------------------------------

from ._reference import MSE, RELU, SIGMOID, SOFTMAX, TANH  # noqa: E402


def _activate(val, func):
    """The activation table: ``f(val)`` for a layer's net inputs, ``(n,)`` or ``(rows, n)``."""
    if func == SIGMOID:
        # for o_idx: act[o_idx] = 1 / (1 + exp(-val))
        return 1 / (1 + np.exp(-val))
    if func == TANH:
        # for o_idx: act[o_idx] = tanh(val)
        return np.tanh(val)
    if func == RELU:
        # for o_idx: act[o_idx] = val if val > 0 else 0
        return np.where(val > 0, val, val.dtype.type(0))
    if func == SOFTMAX:
        # top = max_k val[k]; for o_idx: act[o_idx] = exp(val[o_idx] - top); act /= sum(act)
        act = np.exp(val - val.max(axis=-1, keepdims=True))
        return act / act.sum(axis=-1, keepdims=True)
    return val  # IDENTITY


def _forward(inp, weights, biases, hidden, output):
    """Every layer's activations for ``inp (n_0,)`` or a batch of rows ``(rows, n_0)``."""
    acts = []
    prev = inp
    for layer, (w, b) in enumerate(zip(weights, biases)):
        func = output if layer == len(weights) - 1 else hidden
        # for o_idx: val = sum_i prev[i_idx] * w[o_idx, i_idx]; val += b[o_idx]; act = f(val)
        prev = _activate(prev @ w.T + b, func)
        acts.append(prev)
    return acts


def _sample_loss(out, tgt, output, loss):
    """Each sample's loss for ``out, tgt`` of shape ``(n_L,)`` or ``(rows, n_L)``."""
    real = out.dtype.type
    if loss == MSE:
        err = tgt - out
        # for o_idx: sq_sum += err[o_idx] * err[o_idx]; sq_sum / num_out_nodes
        return np.sum(err * err, axis=-1) / real(out.shape[-1])
    with np.errstate(divide="ignore", invalid="ignore"):  # log 0 = -inf, 0 * -inf masked
        # for o_idx: if tgt != 0: ce_sum += tgt[o_idx] * log(out[o_idx])
        ce = np.where(tgt != 0, tgt * np.log(out), real(0))
        if output == SIGMOID:
            # for o_idx: if 1 - tgt != 0: ce_sum += (1 - tgt[o_idx]) * log(1 - out[o_idx])
            ce += np.where(1 - tgt != 0, (1 - tgt) * np.log(1 - out), real(0))
    return -np.sum(ce, axis=-1)


def _deltas(inp_acts, tgt, weights, hidden, output, loss):
    """Every layer's deltas, top down, for one sample or a batch of rows (one per row)."""
    out = inp_acts[-1]
    err = tgt - out
    if loss == MSE and output == SIGMOID:
        # for o_idx: delta[o_idx] = out[o_idx] * (1 - out[o_idx]) * err[o_idx]
        delta = out * (1 - out) * err
    else:
        # for o_idx: delta[o_idx] = err[o_idx]
        delta = err
    deltas = [delta]
    for layer in range(len(weights) - 2, -1, -1):
        act = inp_acts[layer + 1]
        # for h_idx: err_prop[h_idx] = sum_o delta[o_idx] * w_next[o_idx, h_idx]
        err_prop = delta @ weights[layer + 1]
        if hidden == SIGMOID:
            # for h_idx: delta[h_idx] = act[h_idx] * (1 - act[h_idx]) * err_prop[h_idx]
            delta = act * (1 - act) * err_prop
        elif hidden == TANH:
            # for h_idx: delta[h_idx] = (1 - act[h_idx] * act[h_idx]) * err_prop[h_idx]
            delta = (1 - act * act) * err_prop
        else:
            # for h_idx: delta[h_idx] = err_prop[h_idx] if act[h_idx] > 0 else 0
            delta = np.where(act > 0, err_prop, act.dtype.type(0))
        deltas.append(delta)
    return deltas[::-1]


@np.errstate(over="ignore")
def net_response(inp, weights, biases, hidden, output, acts):
    for act, new in zip(acts, _forward(inp, weights, biases, hidden, output)):
        act[:] = new


def _net_update(inp, acts, tgt, weights, biases, hidden, output, loss, lrate, deltas):
    inp_acts = [inp, *acts]  # each layer's input, then the output
    for delta, new in zip(deltas, _deltas(inp_acts, tgt, weights, hidden, output, loss)):
        delta[:] = new
    for w, b, prev, delta in zip(weights, biases, inp_acts, deltas):
        # for o_idx, i_idx: w[o_idx, i_idx] += lrate * (prev[i_idx] * delta[o_idx])
        w += lrate * np.multiply.outer(delta, prev)
        # for o_idx: b[o_idx] += lrate * delta[o_idx]
        b += lrate * delta


net_update = np.errstate(over="ignore")(_net_update)


# acts and deltas hold the online path's per-sample values; the batch path makes whole-batch
# arrays instead (one per layer and batch), so grad_w and grad_b are not used.
@np.errstate(over="ignore")
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
    num_epochs, num_samples = orders.shape
    losses = np.zeros((num_epochs), dtype=X.dtype)
    for epoch, order in enumerate(orders):
        epoch_loss = real(0)
        if batch_size == 1:
            # online SGD cannot be vectorised across samples: the reference's sample loop
            for row in order:
                inp, tgt = X[row], Y[row]
                net_response(inp, weights, biases, hidden, output, acts)
                epoch_loss += _sample_loss(acts[-1], tgt, output, loss)
                _net_update(inp, acts, tgt, weights, biases, hidden, output, loss, lrate, deltas)
        else:
            for start in range(0, num_samples, batch_size):
                rows = order[start : start + batch_size]
                inp, tgt = X[rows], Y[rows]
                # for n_idx in the batch: net_response(X[row], ...) (at the batch's weights)
                inp_acts = [inp, *_forward(inp, weights, biases, hidden, output)]
                # for n_idx in the batch: epoch_loss += sample_loss(...)
                epoch_loss += np.sum(_sample_loss(inp_acts[-1], tgt, output, loss))
                batch_deltas = _deltas(inp_acts, tgt, weights, hidden, output, loss)
                for w, b, prev, delta in zip(weights, biases, inp_acts, batch_deltas):
                    # for n_idx, o_idx, i_idx: grad_w[o_idx, i_idx] += prev[i_idx] * delta[o_idx]
                    # then w[o_idx, i_idx] += lrate * (grad_w[o_idx, i_idx] / num_batch)
                    w += lrate * ((delta.T @ prev) / real(rows.shape[0]))
                    # for n_idx, o_idx: grad_b[o_idx] += delta[o_idx]; b += lrate * (grad_b / nb)
                    b += lrate * (delta.sum(axis=0) / real(rows.shape[0]))
        # for n_idx: epoch_loss += sample_loss(...); the mean over the samples
        losses[epoch] = epoch_loss / real(num_samples)
    return losses


@np.errstate(over="ignore")
def net_predict(X, weights, biases, hidden, output):
    # for idx: net_response(X[idx], ...); Y_hat[idx] = acts[-1]
    return _forward(X, weights, biases, hidden, output)[-1]


def fma_kernels():
    """The FMA mode's kernels: these same ones. NumPy has no fused multiply-add of its own
    to choose; its matrix products (BLAS) already fuse and sum in their own order, so the
    FMA mode's results are within the same stated tolerance of the reference as the
    default mode's (tests/test_net.py)."""
    return sys.modules[__name__]

"""The reference's whole-run kernels with independent work reordered: every bit is kept.

The ``numba`` backend compiles these for ``train_epoch`` and ``train``, and the deep net's
``net_predict`` (which the lecture's ``predict`` runs through) and mini-batch ``net_train``;
``_cython.pyx`` (its ``.pxi`` files) mirrors them. Per-sample ``neural_response`` and
``update_network`` stay the lecture's literal loops everywhere.

Why every bit is kept: each unit's weighted sum still adds the same terms in the same
order (``val += x[i] * w[h, i]`` for ``i = 0, 1, ...``, then the bias), and each weight
still receives the same single update per sample, ``w + lrate * (x * delta)``, between the
same two forward passes. Only independent work is reordered, and a working copy of ``wh``
is laid out differently inside the call (and copied back before it returns):

* **Panels.** ``wh`` is copied into panels of ``PANEL = 8`` hidden units,
  ``whp[g, i, k] = wh[8 g + k, i]`` (zero-padded), so the 8 units of a panel sit side by
  side in memory. The 8 sums of a panel then run in lock-step over ``i``: 8 independent
  addition chains the compiler puts in SIMD registers (two 4-wide AVX2 additions, each
  exactly the 4 scalar additions it replaces), instead of one chain waiting on the last.
* **One pass over wh per sample.** In online SGD, sample ``n``'s update of ``wh`` and
  sample ``n + 1``'s hidden layer both walk all of ``wh``. ``hidden_update_forward`` does
  both in one walk: it updates ``whp[g, i, :]`` for sample ``n`` and at once adds
  ``x[i] * w`` for sample ``n + 1``, exactly the weight the reference would read after
  the update. The last sample's update is finished after the loop.
* **Threads, for big nets.** From ``PARALLEL_WEIGHTS`` weights on, ``train`` shares the
  panels out to ``threads`` threads in that pass; each weight is still updated and read by
  one thread, in the same order. ``net_predict`` runs blocks of rows on all threads, four
  rows per pass over each panel (``panel_block4``; eight, ``panel_block``, with AVX-512's
  32 vector registers), or four rows through panels of ``WIDE_PANEL = 16`` units in
  float32 (``panel_block_wide``); with those 32 registers, except on AMD's Zen 4
  (``TWO_PANELS``), eight rows through two panels at once (``panel_block16``,
  ``panel_block32``), ``CHUNK`` inputs at a time, each sum going on from where the last
  chunk left it. Rows are independent, so none of this changes a bit.
* The ``wo`` update walks rows (contiguous memory); four output units' sums run side by
  side (``forward_rows``).
* A layer's sigmoids at once (``activate``), where ``_exp.exp_core`` is the reference's
  ``exp`` for every input: the same operations in a loop without branches, run in SIMD
  lanes. ``net_predict`` checks each block of ``X`` for NaN and inf as it reads it
  (``all_finite``), so its caller need not scan ``X`` first; neither changes a result.

``prange`` is ``range`` here and numba's ``prange`` when
compiled; the Cython build gets SSE2, AVX2 or AVX-512 registers, numba the host's.
"""

import numpy as np

from ._exp import exp_core
from ._exp import in_range as exp_in_range
from ._reference import SIGMOID, SOFTMAX, TANH, exp, output_delta, sample_loss
from ._reference import activate as reference_activate
from ._reference import net_train as reference_net_train

prange = range
PANEL = 8
WIDE_PANEL = 16  # float32's panels in the deep net (panel_width)
PARALLEL_WEIGHTS = 65_536  # from this many weights in wh, train shares panels out to threads
PREDICT_BLOCK = 64  # rows per block of net_predict (_cython.pyx's BLOCK)
CHUNK = 128  # inputs per chunk in panels_forward's two-panel passes
# Whether the CPU has 32 vector registers (AVX-512) for panels_forward's two-panel passes:
# 16 vectors of sums, which would spill with AVX2's 16. numba binds it to its target CPU's;
# run interpreted, the passes are tested either way.
MANY_REGISTERS = True
# Whether, with those registers, panels_forward takes two panels a pass: numba binds it
# False for AMD's Zen 4, where one panel a pass is faster (_cython.pyx's _two_panels says
# what was measured); run interpreted, both are tested.
TWO_PANELS = True
# Whether layer_response runs eight units' sums side by side before four: the FMA mode's
# kernels bind it True (its comment says why); run interpreted, both are tested.
EIGHT_SUMS = False


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


# whp[g, i_idx, k] = wh[width g + k, i_idx], zero-padded to whole panels. The padding is
# written as it comes, not zeroed beforehand: the mini-batches pack two layers' inputs
# every step (200 KB for 32 rows of 784 float64), and zeroing them first took 10% of
# numba's mini-batch time (AMD Zen 4).
def to_panels(wh, width=PANEL):
    num_hid_nodes = wh.shape[0]
    num_inp_nodes = wh.shape[1]
    whp = np.empty(((num_hid_nodes + width - 1) // width, num_inp_nodes, width), dtype=wh.dtype)
    for g in range(whp.shape[0]):  # whp in memory order
        units = min(width, num_hid_nodes - width * g)  # no % width: a division
        for i_idx in range(num_inp_nodes):
            for k in range(units):
                whp[g, i_idx, k] = wh[width * g + k, i_idx]
            for k in range(units, width):
                whp[g, i_idx, k] = 0
    return whp


# The deep net's panels: float32 ones are WIDE_PANEL units wide (panel_block_wide), float64
# ones PANEL (panel_block). numba folds this to a constant for each dtype.
def panel_width(a):
    return WIDE_PANEL if np.finfo(a.dtype).bits == 32 else PANEL


def from_panels(whp, wh):
    for h_idx in range(wh.shape[0]):
        for i_idx in range(wh.shape[1]):
            wh[h_idx, i_idx] = whp[h_idx // PANEL, i_idx, h_idx % PANEL]


def sigmoid_panel(val, bh, g, hid):
    """hid[h] = sigmoid(val[k] + bh[h]) for the real units h = 8 g + k of panel g."""
    for k in range(PANEL):
        h_idx = PANEL * g + k
        if h_idx < hid.shape[0]:
            hid[h_idx] = 1.0 / (1.0 + exp(-(val[k] + bh[h_idx])))


# The hidden layer for inp, panel by panel: the 8 sums of a panel side by side.
def hidden_forward(inp, whp, bh, hid, val):
    for g in range(whp.shape[0]):
        v0 = 0.0; v1 = 0.0; v2 = 0.0; v3 = 0.0; v4 = 0.0; v5 = 0.0; v6 = 0.0; v7 = 0.0
        for i_idx in range(whp.shape[1]):
            x = inp[i_idx]
            v0 += x * whp[g, i_idx, 0]; v1 += x * whp[g, i_idx, 1]
            v2 += x * whp[g, i_idx, 2]; v3 += x * whp[g, i_idx, 3]
            v4 += x * whp[g, i_idx, 4]; v5 += x * whp[g, i_idx, 5]
            v6 += x * whp[g, i_idx, 6]; v7 += x * whp[g, i_idx, 7]
        val[0] = v0; val[1] = v1; val[2] = v2; val[3] = v3
        val[4] = v4; val[5] = v5; val[6] = v6; val[7] = v7
        sigmoid_panel(val, bh, g, hid)


# The previous sample's update of wh and bh (its input prev, its delta_hid), fused with the
# hidden layer for inp: each weight is updated, then read by inp's sum, in one pass.
# Panels g_start to g_end - 1 only, so that threads can share the panels out.
def hidden_update_forward(prev, delta_hid, lrate, inp, whp, bh, hid, val, g_start, g_end):
    for g in range(g_start, g_end):
        for k in range(PANEL):
            h_idx = PANEL * g + k
            if h_idx < bh.shape[0]:
                bh[h_idx] += lrate * delta_hid[h_idx]
        d0 = delta_hid[PANEL * g]; d1 = delta_hid[PANEL * g + 1]
        d2 = delta_hid[PANEL * g + 2]; d3 = delta_hid[PANEL * g + 3]
        d4 = delta_hid[PANEL * g + 4]; d5 = delta_hid[PANEL * g + 5]
        d6 = delta_hid[PANEL * g + 6]; d7 = delta_hid[PANEL * g + 7]
        v0 = 0.0; v1 = 0.0; v2 = 0.0; v3 = 0.0; v4 = 0.0; v5 = 0.0; v6 = 0.0; v7 = 0.0
        for i_idx in range(whp.shape[1]):
            p = prev[i_idx]
            w0 = whp[g, i_idx, 0] + lrate * (p * d0)
            w1 = whp[g, i_idx, 1] + lrate * (p * d1)
            w2 = whp[g, i_idx, 2] + lrate * (p * d2)
            w3 = whp[g, i_idx, 3] + lrate * (p * d3)
            w4 = whp[g, i_idx, 4] + lrate * (p * d4)
            w5 = whp[g, i_idx, 5] + lrate * (p * d5)
            w6 = whp[g, i_idx, 6] + lrate * (p * d6)
            w7 = whp[g, i_idx, 7] + lrate * (p * d7)
            whp[g, i_idx, 0] = w0; whp[g, i_idx, 1] = w1
            whp[g, i_idx, 2] = w2; whp[g, i_idx, 3] = w3
            whp[g, i_idx, 4] = w4; whp[g, i_idx, 5] = w5
            whp[g, i_idx, 6] = w6; whp[g, i_idx, 7] = w7
            x = inp[i_idx]
            v0 += x * w0; v1 += x * w1; v2 += x * w2; v3 += x * w3
            v4 += x * w4; v5 += x * w5; v6 += x * w6; v7 += x * w7
        val[0] = v0; val[1] = v1; val[2] = v2; val[3] = v3
        val[4] = v4; val[5] = v5; val[6] = v6; val[7] = v7
        sigmoid_panel(val, bh, g, hid)


# The same on all threads, each on its share of the panels: a weight is still updated and
# read by one thread, in the same order. Worth it only for big nets (PARALLEL_WEIGHTS): a
# parallel region costs more to start, once per sample, than a small net's sample.
def hidden_update_forward_threads(prev, delta_hid, lrate, inp, whp, bh, hid, vals):
    num_panels = whp.shape[0]
    threads = vals.shape[0]
    for t in prange(threads):
        hidden_update_forward(prev, delta_hid, lrate, inp, whp, bh, hid, vals[t],
                              t * num_panels // threads, (t + 1) * num_panels // threads)


# threads: how many threads share the panels out in each sample's pass over wh
def train(X, Y, wh, bh, wo, bo, lrate, num_epochs, threads=1):
    num_hid_nodes = wh.shape[0]
    num_out_nodes = wo.shape[0]
    whp = to_panels(wh)
    hid = np.zeros(num_hid_nodes)
    out = np.zeros(num_out_nodes)
    err = np.zeros(num_out_nodes)
    delta_hid = np.zeros(whp.shape[0] * PANEL)  # padded: the panels' extra units get 0
    delta_out = np.zeros(num_out_nodes)
    vals = np.zeros((threads, PANEL))  # each thread's 8 sums
    mses = np.zeros(num_epochs)
    prev = train_epochs(borrowed(X), borrowed(Y), borrowed(whp), borrowed(bh), borrowed(wo),
                        borrowed(bo), lrate, borrowed(mses), borrowed(hid), borrowed(out),
                        borrowed(err), borrowed(delta_hid), borrowed(delta_out),
                        borrowed(vals))

    # the last sample's update of wh and bh, then the working copy goes back into wh
    for g in range(whp.shape[0]):
        for i_idx in range(whp.shape[1]):
            for k in range(PANEL):
                whp[g, i_idx, k] += lrate * (X[prev, i_idx] * delta_hid[PANEL * g + k])
    for h_idx in range(num_hid_nodes):
        bh[h_idx] += lrate * delta_hid[h_idx]
    from_panels(whp, wh)
    return mses


# train's epochs; returns the last sample, whose update of wh is still to be done
def train_epochs(X, Y, whp, bh, wo, bo, lrate, mses, hid, out, err, delta_hid, delta_out,
                 vals):
    num_samples = X.shape[0]
    num_hid_nodes = hid.shape[0]
    num_out_nodes = out.shape[0]
    num_epochs = mses.shape[0]
    threads = vals.shape[0]
    prev = -1  # the sample whose update of wh is still to be done
    for epoch in range(num_epochs):
        epoch_mse = 0.0
        for n_idx in range(num_samples):
            if prev < 0:
                hidden_forward(X[n_idx], whp, bh, hid, vals[0])
            elif threads == 1:
                hidden_update_forward(X[prev], delta_hid, lrate, X[n_idx], whp, bh, hid,
                                      vals[0], 0, whp.shape[0])
            else:
                hidden_update_forward_threads(X[prev], delta_hid, lrate, X[n_idx], whp, bh,
                                              hid, vals)
            forward_rows(hid, wo, bo, out)
            sq_sum = 0.0
            for o_idx in range(num_out_nodes):
                err[o_idx] = Y[n_idx, o_idx] - out[o_idx]
                sq_sum += err[o_idx] * err[o_idx]
            epoch_mse += sq_sum / num_out_nodes
            for o_idx in range(num_out_nodes):
                delta_out[o_idx] = out[o_idx] * (1.0 - out[o_idx]) * err[o_idx]
            for h_idx in range(num_hid_nodes):
                val_h = 0.0
                for o_idx in range(num_out_nodes):
                    val_h += (delta_out[o_idx] * wo[o_idx, h_idx])
                delta_hid[h_idx] = hid[h_idx] * (1.0 - hid[h_idx]) * val_h
            for o_idx in range(num_out_nodes):          # wo's update, row by row
                d = delta_out[o_idx]
                for h_idx in range(num_hid_nodes):
                    wo[o_idx, h_idx] += lrate * (hid[h_idx] * d)
                bo[o_idx] += lrate * d
            prev = n_idx                                # wh's update: in the next pass
        mses[epoch] = epoch_mse / num_samples
    return prev


# a itself. Compiled for train on one thread and net_predict (_numba.py), a without its
# owner, so that numba keeps no reference count, atomically, on every view and call of a:
# the caller keeps a alive.
def borrowed(a):
    return a


# dst[q, i:i + n] = src[r, :n]. Compiled (_numba.py), one memcpy: LLVM cannot tell that
# two of numba's arrays do not overlap, so it copies a loop like this one a scalar at a time.
def copy_row(dst, q, i, src, r, n):
    for k in range(n):
        dst[q, i + k] = src[r, k]


def train_epoch(X, Y, wh, bh, wo, bo, lrate, threads=1):
    return train(X, Y, wh, bh, wo, bo, lrate, 1, threads)[0]


# Whether activate runs a layer's sigmoid through _exp.exp_core: not in Python, where it
# would only be slower (the same bits either way); the numba backend binds True.
exp_lanes = False


def activate(act, func):
    """``_reference.activate``, with a layer's sigmoid at once where ``_exp.exp_core`` covers
    every e^-val: the reference's operations (``exp`` is ``exp_core`` there), in a loop with
    no branch, which LLVM's loop vectoriser runs in SIMD lanes (the range test inside
    ``exp`` kept it from doing so). ``_cython``'s ``_activate`` does the same, with the two
    loops in C (``_cython_exp.h``)."""
    if func == SIGMOID and exp_lanes:
        real = act.dtype.type
        num_nodes = act.shape[0]
        outside = 0
        for o_idx in range(num_nodes):
            outside += 0 if exp_in_range(np.float64(-act[o_idx])) else 1
        if outside == 0:
            # y = 1 / (1 + e^-val)
            for o_idx in range(num_nodes):
                act[o_idx] = real(1.0) / (real(1.0) + real(exp_core(np.float64(-act[o_idx]))))
            return
    reference_activate(act, func)


# The deep net's predict (``_reference.net_predict``, with each layer's weights also as
# panels, ``panels[l] = to_panels(weights[l], panel_width(X))``). Rows are independent, so
# blocks of rows run on all threads (numba's prange), and within a block each layer runs
# four rows at a time through each panel of 8 units: every weight loaded serves 32 sums,
# side by side in SIMD registers (float32: four rows through each panel of 16; with 32
# registers, eight rows through one panel or two: panels_forward); each sum still adds its row's
# terms in the reference's order, then the bias.
# finite (one per block of rows) is set to whether the block's rows of X are all finite,
# checked as they are read (all_finite), so that the caller need not scan X beforehand.
# Rows are views of borrowed arrays (numba: no reference counts; X and Y_hat live for the
# call, hid for its group): each count is an atomic instruction, and the two a row and
# layer took about 30% of 60-6-4's time. Activations but softmax are a unit's own, so a
# block's run at once, as one row: a call and a SIMD loop a block, not a row. numba's
# threads share out groups of consecutive blocks, one group a thread (predict_groups), and
# each group allocates its scratch once: as Cython's threads do, hidden layers alternate
# between hid's two rows.
def net_predict(X, weights, biases, hidden, output, panels, finite):
    num_samples = X.shape[0]
    num_layers = len(weights)
    Y_hat = np.empty((num_samples, weights[num_layers - 1].shape[0]), dtype=X.dtype)
    block = PREDICT_BLOCK
    width = panel_width(X)
    widest = 1
    for layer in range(num_layers - 1):
        widest = max(widest, weights[layer].shape[0])
    num_blocks = (num_samples + block - 1) // block
    groups = min(num_blocks, predict_groups())
    for g in prange(groups):
        val = np.empty((8, 2 * width), dtype=X.dtype)  # panels_forward's scratch
        sums = np.empty((block, 2 * width), dtype=X.dtype)
        hid = np.empty((2, block * widest), dtype=X.dtype)  # hidden layers, alternating
        for b_idx in range(g * num_blocks // groups, (g + 1) * num_blocks // groups):
            start = b_idx * block
            stop = min(num_samples, start + block)
            prev = borrowed(X)[start:stop]
            finite[b_idx] = all_finite(prev)
            for layer in range(num_layers):
                func = output if layer == num_layers - 1 else hidden
                n = weights[layer].shape[0]
                if layer == num_layers - 1:
                    act = borrowed(Y_hat)[start:stop]
                else:
                    act = borrowed(hid)[layer % 2, : (stop - start) * n].reshape((stop - start, n))
                panels_forward(prev, panels[layer], biases[layer], act, val, sums)
                rows_of_act = borrowed(act)
                if func == SOFTMAX:
                    for r in range(stop - start):
                        activate(rows_of_act[r], func)
                else:
                    activate(rows_of_act.reshape(rows_of_act.size), func)
                prev = act
    return Y_hat


# The groups of blocks net_predict makes. numba's threads take equal runs of a parallel
# loop's iterations, so one group a thread (numba binds this to its thread count in the
# threaded net_predict) does the same work as more, with fewer allocations: with 256 groups,
# 64-32-10 on 1,797 rows took 7% longer (AMD Zen 4, 2 threads). One in Python and for rows
# that fit in one block.
def predict_groups():
    return 1


# Where numba compiles the panel kernels, the function that calls this may use 512-bit
# vectors (_numba._wide_vectors: LLVM's choice on an AVX-512 CPU is 256 bits, which halves
# the FMA mode's ceiling there; no bit moves, each lane is its scalar sum). Else nothing.
def wide_vectors():
    pass


# Whether every value of the 2-D a is finite: v - v is 0 for a finite v, NaN for NaN or
# inf. No early exit, so the loop vectorises. (Cython's is C, in _cython_exp.h.) One flat
# run, as Cython's: a loop a row would reduce its SIMD lanes and run a scalar remainder
# once a row (60-6-4's 60 values). ravel, not reshape: a user's @njit code may pass an X
# that numba cannot prove contiguous, whose reshape numba refuses to compile; ravel copies
# such an X, which the caller's contiguity check has refused by name before.
def all_finite(a):
    flat = a.ravel()
    bad = False
    for i in range(flat.shape[0]):
        bad |= flat[i] - flat[i] != 0
    return not bad


# prev (rows, num_inp_nodes), wp (num_panels, num_inp_nodes, width), b (num_out_nodes,)
# -> act (rows, num_out_nodes) = prev @ w.T + b, each sum in index order, then its bias.
# 32 or 64 sums a pass: pass_rows(width) rows through a panel of 8 units or 16;
# where the CPU has 32 vector registers (MANY_REGISTERS), 128 or 256: eight rows through
# two panels (panel_block16, float32's panel_block32), CHUNK inputs at a time through
# every row of the block, so that those inputs' weights stay in the L1 cache for all its
# passes.
# val (>= 8, >= width) and sums (>= rows, 2 width): the caller's scratch, a pass's sums and
# every row's in two-panel passes (net_predict allocates them once a group of blocks).
def panels_forward(prev, wp, b, act, val, sums):
    wide_vectors()
    rows = prev.shape[0]
    num_inp_nodes = prev.shape[1]
    num_out_nodes = act.shape[1]
    width = panel_width(act)
    per_pass = pass_rows(width)
    g = 0
    while g < wp.shape[0]:
        if MANY_REGISTERS and TWO_PANELS and g + 1 < wp.shape[0]:
            sums[:] = 0
            i_start = 0
            while i_start < num_inp_nodes:
                i_stop = min(i_start + CHUNK, num_inp_nodes)
                p = prev[:, i_start:i_stop]
                lo = wp[g, i_start:i_stop]
                hi = wp[g + 1, i_start:i_stop]
                for r in range(0, rows, 8):
                    if width == WIDE_PANEL:
                        panel_block32(p, r, min(8, rows - r), lo, hi, sums)
                    else:
                        panel_block16(p, r, min(8, rows - r), lo, hi, sums)
                i_start += CHUNK
            for r in range(rows):
                for k in range(2 * width):
                    o_idx = width * g + k
                    if o_idx < num_out_nodes:
                        act[r, o_idx] = sums[r, k] + b[o_idx]
            g += 2
            continue
        r = 0
        while r < rows:
            n = min(per_pass, rows - r)  # rows in this pass
            panel_pass(prev, r, n, wp, g, val)
            for q in range(n):
                for k in range(width):
                    o_idx = width * g + k
                    if o_idx < num_out_nodes:
                        act[r + q, o_idx] = val[q, k] + b[o_idx]
            r += n
        g += 1


# A mini-batch's forward pass, the same sums as panels_forward(prev, to_panels(w), b, act)
# with the roles of rows and units swapped: the batch's rows are packed into panels of 8
# (float32: 16; a few KB, where to_panels(w) repacks every weight at every step) and each
# pass runs eight (four) units of w through each panel of rows. Every sum still adds its
# terms w[o, i] prev[r, i] in index order (a product is the same whichever factor comes
# first), then its bias. Blocks of a pass's units run on numba's threads.
def batch_forward(prev, w, b, act):
    per_pass = pass_rows(panel_width(act))  # units
    prevp = to_panels(prev, panel_width(act))
    for q in prange((w.shape[0] + per_pass - 1) // per_pass):
        batch_forward_units(w, b, act, prevp, per_pass * q)


# one pass of batch_forward, its units from o_idx on. Apart from batch_forward's prange,
# whose body numba compiles with the width as a variable, so that it is a constant here.
def batch_forward_units(w, b, act, prevp, o_idx):
    rows = act.shape[0]
    width = panel_width(act)
    per_pass = pass_rows(width)
    n = min(per_pass, w.shape[0] - o_idx)  # units in this pass
    val = np.zeros((per_pass, width), dtype=act.dtype)
    for g in range(prevp.shape[0]):
        panel_pass(w, o_idx, n, prevp, g, val)
        for k in range(width):
            r = width * g + k
            if r < rows:
                for u in range(n):
                    act[r, o_idx + u] = val[u, k] + b[o_idx + u]


# Rows (units, in the mini-batches) that a pass through one panel sums: eight float64 rows
# through a panel of 8 where the CPU has 32 vector registers (panel_block, 64 sums), else
# four (panel_block4, 32 sums: eight rows' 16 vectors of sums would take every one of AVX2's
# 16 registers and spill); float32 four through a panel of 16 (panel_block_wide, 64 sums).
def pass_rows(width):
    return 8 if MANY_REGISTERS and width == PANEL else 4


# One pass through panel g: the kernel of pass_rows for val's dtype.
def panel_pass(p, first, n, wp, g, val):
    if panel_width(val) == WIDE_PANEL:
        panel_block_wide(p, first, n, wp, g, val)
    elif MANY_REGISTERS:
        panel_block(p, first, n, wp, g, val)
    else:
        panel_block4(p, first, n, wp, g, val)


# val[q, k] = sum_i p[first + q, i] wp[g, i, k] for the n <= 8 vectors q of p from row
# first (a short pass repeats its last) and the 8 columns k of panel g, each sum in index
# order: every weight loaded serves 64 sums, side by side in SIMD registers (eight
# independent chains of additions per column: four left float32 waiting on its adds).
def panel_block(p, first, n, wp, g, val):
    wide_vectors()
    real = val.dtype.type
    pa = p[first]
    pb = p[first + min(1, n - 1)]
    pc = p[first + min(2, n - 1)]
    pd = p[first + min(3, n - 1)]
    pe = p[first + min(4, n - 1)]
    pf = p[first + min(5, n - 1)]
    ph = p[first + min(6, n - 1)]
    pk = p[first + min(7, n - 1)]
    a0 = real(0.0); a1 = real(0.0); a2 = real(0.0); a3 = real(0.0)
    a4 = real(0.0); a5 = real(0.0); a6 = real(0.0); a7 = real(0.0)
    b0 = real(0.0); b1 = real(0.0); b2 = real(0.0); b3 = real(0.0)
    b4 = real(0.0); b5 = real(0.0); b6 = real(0.0); b7 = real(0.0)
    c0 = real(0.0); c1 = real(0.0); c2 = real(0.0); c3 = real(0.0)
    c4 = real(0.0); c5 = real(0.0); c6 = real(0.0); c7 = real(0.0)
    d0 = real(0.0); d1 = real(0.0); d2 = real(0.0); d3 = real(0.0)
    d4 = real(0.0); d5 = real(0.0); d6 = real(0.0); d7 = real(0.0)
    e0 = real(0.0); e1 = real(0.0); e2 = real(0.0); e3 = real(0.0)
    e4 = real(0.0); e5 = real(0.0); e6 = real(0.0); e7 = real(0.0)
    f0 = real(0.0); f1 = real(0.0); f2 = real(0.0); f3 = real(0.0)
    f4 = real(0.0); f5 = real(0.0); f6 = real(0.0); f7 = real(0.0)
    h0 = real(0.0); h1 = real(0.0); h2 = real(0.0); h3 = real(0.0)
    h4 = real(0.0); h5 = real(0.0); h6 = real(0.0); h7 = real(0.0)
    k0 = real(0.0); k1 = real(0.0); k2 = real(0.0); k3 = real(0.0)
    k4 = real(0.0); k5 = real(0.0); k6 = real(0.0); k7 = real(0.0)
    for i_idx in range(wp.shape[1]):
        w0 = wp[g, i_idx, 0]; w1 = wp[g, i_idx, 1]
        w2 = wp[g, i_idx, 2]; w3 = wp[g, i_idx, 3]
        w4 = wp[g, i_idx, 4]; w5 = wp[g, i_idx, 5]
        w6 = wp[g, i_idx, 6]; w7 = wp[g, i_idx, 7]
        x = pa[i_idx]
        a0 += x * w0; a1 += x * w1; a2 += x * w2; a3 += x * w3
        a4 += x * w4; a5 += x * w5; a6 += x * w6; a7 += x * w7
        x = pb[i_idx]
        b0 += x * w0; b1 += x * w1; b2 += x * w2; b3 += x * w3
        b4 += x * w4; b5 += x * w5; b6 += x * w6; b7 += x * w7
        x = pc[i_idx]
        c0 += x * w0; c1 += x * w1; c2 += x * w2; c3 += x * w3
        c4 += x * w4; c5 += x * w5; c6 += x * w6; c7 += x * w7
        x = pd[i_idx]
        d0 += x * w0; d1 += x * w1; d2 += x * w2; d3 += x * w3
        d4 += x * w4; d5 += x * w5; d6 += x * w6; d7 += x * w7
        x = pe[i_idx]
        e0 += x * w0; e1 += x * w1; e2 += x * w2; e3 += x * w3
        e4 += x * w4; e5 += x * w5; e6 += x * w6; e7 += x * w7
        x = pf[i_idx]
        f0 += x * w0; f1 += x * w1; f2 += x * w2; f3 += x * w3
        f4 += x * w4; f5 += x * w5; f6 += x * w6; f7 += x * w7
        x = ph[i_idx]
        h0 += x * w0; h1 += x * w1; h2 += x * w2; h3 += x * w3
        h4 += x * w4; h5 += x * w5; h6 += x * w6; h7 += x * w7
        x = pk[i_idx]
        k0 += x * w0; k1 += x * w1; k2 += x * w2; k3 += x * w3
        k4 += x * w4; k5 += x * w5; k6 += x * w6; k7 += x * w7
    val[0, 0] = a0; val[0, 1] = a1; val[0, 2] = a2; val[0, 3] = a3
    val[0, 4] = a4; val[0, 5] = a5; val[0, 6] = a6; val[0, 7] = a7
    val[1, 0] = b0; val[1, 1] = b1; val[1, 2] = b2; val[1, 3] = b3
    val[1, 4] = b4; val[1, 5] = b5; val[1, 6] = b6; val[1, 7] = b7
    val[2, 0] = c0; val[2, 1] = c1; val[2, 2] = c2; val[2, 3] = c3
    val[2, 4] = c4; val[2, 5] = c5; val[2, 6] = c6; val[2, 7] = c7
    val[3, 0] = d0; val[3, 1] = d1; val[3, 2] = d2; val[3, 3] = d3
    val[3, 4] = d4; val[3, 5] = d5; val[3, 6] = d6; val[3, 7] = d7
    val[4, 0] = e0; val[4, 1] = e1; val[4, 2] = e2; val[4, 3] = e3
    val[4, 4] = e4; val[4, 5] = e5; val[4, 6] = e6; val[4, 7] = e7
    val[5, 0] = f0; val[5, 1] = f1; val[5, 2] = f2; val[5, 3] = f3
    val[5, 4] = f4; val[5, 5] = f5; val[5, 6] = f6; val[5, 7] = f7
    val[6, 0] = h0; val[6, 1] = h1; val[6, 2] = h2; val[6, 3] = h3
    val[6, 4] = h4; val[6, 5] = h5; val[6, 6] = h6; val[6, 7] = h7
    val[7, 0] = k0; val[7, 1] = k1; val[7, 2] = k2; val[7, 3] = k3
    val[7, 4] = k4; val[7, 5] = k5; val[7, 6] = k6; val[7, 7] = k7


# panel_block for four rows, where the CPU has 16 vector registers: 8 vectors of sums, with
# room beside them for the weights, a row's value and the products.
def panel_block4(p, first, n, wp, g, val):
    wide_vectors()
    real = val.dtype.type
    pa = p[first]
    pb = p[first + min(1, n - 1)]
    pc = p[first + min(2, n - 1)]
    pd = p[first + min(3, n - 1)]
    a0 = real(0.0); a1 = real(0.0); a2 = real(0.0); a3 = real(0.0)
    a4 = real(0.0); a5 = real(0.0); a6 = real(0.0); a7 = real(0.0)
    b0 = real(0.0); b1 = real(0.0); b2 = real(0.0); b3 = real(0.0)
    b4 = real(0.0); b5 = real(0.0); b6 = real(0.0); b7 = real(0.0)
    c0 = real(0.0); c1 = real(0.0); c2 = real(0.0); c3 = real(0.0)
    c4 = real(0.0); c5 = real(0.0); c6 = real(0.0); c7 = real(0.0)
    d0 = real(0.0); d1 = real(0.0); d2 = real(0.0); d3 = real(0.0)
    d4 = real(0.0); d5 = real(0.0); d6 = real(0.0); d7 = real(0.0)
    for i_idx in range(wp.shape[1]):
        w0 = wp[g, i_idx, 0]; w1 = wp[g, i_idx, 1]
        w2 = wp[g, i_idx, 2]; w3 = wp[g, i_idx, 3]
        w4 = wp[g, i_idx, 4]; w5 = wp[g, i_idx, 5]
        w6 = wp[g, i_idx, 6]; w7 = wp[g, i_idx, 7]
        x = pa[i_idx]
        a0 += x * w0; a1 += x * w1; a2 += x * w2; a3 += x * w3
        a4 += x * w4; a5 += x * w5; a6 += x * w6; a7 += x * w7
        x = pb[i_idx]
        b0 += x * w0; b1 += x * w1; b2 += x * w2; b3 += x * w3
        b4 += x * w4; b5 += x * w5; b6 += x * w6; b7 += x * w7
        x = pc[i_idx]
        c0 += x * w0; c1 += x * w1; c2 += x * w2; c3 += x * w3
        c4 += x * w4; c5 += x * w5; c6 += x * w6; c7 += x * w7
        x = pd[i_idx]
        d0 += x * w0; d1 += x * w1; d2 += x * w2; d3 += x * w3
        d4 += x * w4; d5 += x * w5; d6 += x * w6; d7 += x * w7
    val[0, 0] = a0; val[0, 1] = a1; val[0, 2] = a2; val[0, 3] = a3
    val[0, 4] = a4; val[0, 5] = a5; val[0, 6] = a6; val[0, 7] = a7
    val[1, 0] = b0; val[1, 1] = b1; val[1, 2] = b2; val[1, 3] = b3
    val[1, 4] = b4; val[1, 5] = b5; val[1, 6] = b6; val[1, 7] = b7
    val[2, 0] = c0; val[2, 1] = c1; val[2, 2] = c2; val[2, 3] = c3
    val[2, 4] = c4; val[2, 5] = c5; val[2, 6] = c6; val[2, 7] = c7
    val[3, 0] = d0; val[3, 1] = d1; val[3, 2] = d2; val[3, 3] = d3
    val[3, 4] = d4; val[3, 5] = d5; val[3, 6] = d6; val[3, 7] = d7

# panel_block for float32 and panels of 16 columns: the n <= 4 vectors q of p from row
# first and the 16 columns k of panel g. A vector's 16 float32 sums fill one 512-bit
# register, as a float64 vector's 8 do in panel_block; panel_block's 8 float32 fill half
# of one, with twice the instructions for the same sums.
def panel_block_wide(p, first, n, wp, g, val):
    real = val.dtype.type
    wide_vectors()
    pa = p[first]
    pb = p[first + min(1, n - 1)]
    pc = p[first + min(2, n - 1)]
    pd = p[first + min(3, n - 1)]
    a0 = real(0.0); a1 = real(0.0); a2 = real(0.0); a3 = real(0.0)
    a4 = real(0.0); a5 = real(0.0); a6 = real(0.0); a7 = real(0.0)
    a8 = real(0.0); a9 = real(0.0); a10 = real(0.0); a11 = real(0.0)
    a12 = real(0.0); a13 = real(0.0); a14 = real(0.0); a15 = real(0.0)
    b0 = real(0.0); b1 = real(0.0); b2 = real(0.0); b3 = real(0.0)
    b4 = real(0.0); b5 = real(0.0); b6 = real(0.0); b7 = real(0.0)
    b8 = real(0.0); b9 = real(0.0); b10 = real(0.0); b11 = real(0.0)
    b12 = real(0.0); b13 = real(0.0); b14 = real(0.0); b15 = real(0.0)
    c0 = real(0.0); c1 = real(0.0); c2 = real(0.0); c3 = real(0.0)
    c4 = real(0.0); c5 = real(0.0); c6 = real(0.0); c7 = real(0.0)
    c8 = real(0.0); c9 = real(0.0); c10 = real(0.0); c11 = real(0.0)
    c12 = real(0.0); c13 = real(0.0); c14 = real(0.0); c15 = real(0.0)
    d0 = real(0.0); d1 = real(0.0); d2 = real(0.0); d3 = real(0.0)
    d4 = real(0.0); d5 = real(0.0); d6 = real(0.0); d7 = real(0.0)
    d8 = real(0.0); d9 = real(0.0); d10 = real(0.0); d11 = real(0.0)
    d12 = real(0.0); d13 = real(0.0); d14 = real(0.0); d15 = real(0.0)
    for i_idx in range(wp.shape[1]):
        w0 = wp[g, i_idx, 0]; w1 = wp[g, i_idx, 1]
        w2 = wp[g, i_idx, 2]; w3 = wp[g, i_idx, 3]
        w4 = wp[g, i_idx, 4]; w5 = wp[g, i_idx, 5]
        w6 = wp[g, i_idx, 6]; w7 = wp[g, i_idx, 7]
        w8 = wp[g, i_idx, 8]; w9 = wp[g, i_idx, 9]
        w10 = wp[g, i_idx, 10]; w11 = wp[g, i_idx, 11]
        w12 = wp[g, i_idx, 12]; w13 = wp[g, i_idx, 13]
        w14 = wp[g, i_idx, 14]; w15 = wp[g, i_idx, 15]
        x = pa[i_idx]
        a0 += x * w0; a1 += x * w1; a2 += x * w2; a3 += x * w3
        a4 += x * w4; a5 += x * w5; a6 += x * w6; a7 += x * w7
        a8 += x * w8; a9 += x * w9; a10 += x * w10; a11 += x * w11
        a12 += x * w12; a13 += x * w13; a14 += x * w14; a15 += x * w15
        x = pb[i_idx]
        b0 += x * w0; b1 += x * w1; b2 += x * w2; b3 += x * w3
        b4 += x * w4; b5 += x * w5; b6 += x * w6; b7 += x * w7
        b8 += x * w8; b9 += x * w9; b10 += x * w10; b11 += x * w11
        b12 += x * w12; b13 += x * w13; b14 += x * w14; b15 += x * w15
        x = pc[i_idx]
        c0 += x * w0; c1 += x * w1; c2 += x * w2; c3 += x * w3
        c4 += x * w4; c5 += x * w5; c6 += x * w6; c7 += x * w7
        c8 += x * w8; c9 += x * w9; c10 += x * w10; c11 += x * w11
        c12 += x * w12; c13 += x * w13; c14 += x * w14; c15 += x * w15
        x = pd[i_idx]
        d0 += x * w0; d1 += x * w1; d2 += x * w2; d3 += x * w3
        d4 += x * w4; d5 += x * w5; d6 += x * w6; d7 += x * w7
        d8 += x * w8; d9 += x * w9; d10 += x * w10; d11 += x * w11
        d12 += x * w12; d13 += x * w13; d14 += x * w14; d15 += x * w15
    val[0, 0] = a0; val[0, 1] = a1; val[0, 2] = a2; val[0, 3] = a3
    val[0, 4] = a4; val[0, 5] = a5; val[0, 6] = a6; val[0, 7] = a7
    val[0, 8] = a8; val[0, 9] = a9; val[0, 10] = a10; val[0, 11] = a11
    val[0, 12] = a12; val[0, 13] = a13; val[0, 14] = a14; val[0, 15] = a15
    val[1, 0] = b0; val[1, 1] = b1; val[1, 2] = b2; val[1, 3] = b3
    val[1, 4] = b4; val[1, 5] = b5; val[1, 6] = b6; val[1, 7] = b7
    val[1, 8] = b8; val[1, 9] = b9; val[1, 10] = b10; val[1, 11] = b11
    val[1, 12] = b12; val[1, 13] = b13; val[1, 14] = b14; val[1, 15] = b15
    val[2, 0] = c0; val[2, 1] = c1; val[2, 2] = c2; val[2, 3] = c3
    val[2, 4] = c4; val[2, 5] = c5; val[2, 6] = c6; val[2, 7] = c7
    val[2, 8] = c8; val[2, 9] = c9; val[2, 10] = c10; val[2, 11] = c11
    val[2, 12] = c12; val[2, 13] = c13; val[2, 14] = c14; val[2, 15] = c15
    val[3, 0] = d0; val[3, 1] = d1; val[3, 2] = d2; val[3, 3] = d3
    val[3, 4] = d4; val[3, 5] = d5; val[3, 6] = d6; val[3, 7] = d7
    val[3, 8] = d8; val[3, 9] = d9; val[3, 10] = d10; val[3, 11] = d11
    val[3, 12] = d12; val[3, 13] = d13; val[3, 14] = d14; val[3, 15] = d15


# Eight rows through the sixteen columns of two float64 panels, where the CPU has 32
# vector registers (MANY_REGISTERS): panel_block's sums, twice as many a pass, so that each
# of a row's values loaded serves 16 sums and 16 independent vectors of sums hide an FMA's
# latency. Column k < 8 is lo[i_idx, k], k >= 8 hi[i_idx, k - 8] (a chunk of panels g and
# g + 1: wp[g, i_start:i_stop], wp[g + 1, i_start:i_stop], with p's same columns). val[r, k]
# += sum_i p[r, i] column k at i, in index order, for the n <= 8 rows r of p from row first
# (a short pass repeats its last): each sum goes on from where the previous chunk left it.
# The caller slices a chunk once for all its passes, and rows are indexed here, not sliced
# (each slice counts a reference, atomically); the loop runs from 0, so numba puts no
# negative-index code in it.
def panel_block16(p, first, n, lo, hi, val):
    wide_vectors()
    ra = first
    rb = first + min(1, n - 1)
    rc = first + min(2, n - 1)
    rd = first + min(3, n - 1)
    re = first + min(4, n - 1)
    rf = first + min(5, n - 1)
    rh = first + min(6, n - 1)
    rk = first + min(7, n - 1)
    a0 = val[ra, 0]; a1 = val[ra, 1]; a2 = val[ra, 2]; a3 = val[ra, 3]
    a4 = val[ra, 4]; a5 = val[ra, 5]; a6 = val[ra, 6]; a7 = val[ra, 7]
    a8 = val[ra, 8]; a9 = val[ra, 9]; a10 = val[ra, 10]; a11 = val[ra, 11]
    a12 = val[ra, 12]; a13 = val[ra, 13]; a14 = val[ra, 14]; a15 = val[ra, 15]
    b0 = val[rb, 0]; b1 = val[rb, 1]; b2 = val[rb, 2]; b3 = val[rb, 3]
    b4 = val[rb, 4]; b5 = val[rb, 5]; b6 = val[rb, 6]; b7 = val[rb, 7]
    b8 = val[rb, 8]; b9 = val[rb, 9]; b10 = val[rb, 10]; b11 = val[rb, 11]
    b12 = val[rb, 12]; b13 = val[rb, 13]; b14 = val[rb, 14]; b15 = val[rb, 15]
    c0 = val[rc, 0]; c1 = val[rc, 1]; c2 = val[rc, 2]; c3 = val[rc, 3]
    c4 = val[rc, 4]; c5 = val[rc, 5]; c6 = val[rc, 6]; c7 = val[rc, 7]
    c8 = val[rc, 8]; c9 = val[rc, 9]; c10 = val[rc, 10]; c11 = val[rc, 11]
    c12 = val[rc, 12]; c13 = val[rc, 13]; c14 = val[rc, 14]; c15 = val[rc, 15]
    d0 = val[rd, 0]; d1 = val[rd, 1]; d2 = val[rd, 2]; d3 = val[rd, 3]
    d4 = val[rd, 4]; d5 = val[rd, 5]; d6 = val[rd, 6]; d7 = val[rd, 7]
    d8 = val[rd, 8]; d9 = val[rd, 9]; d10 = val[rd, 10]; d11 = val[rd, 11]
    d12 = val[rd, 12]; d13 = val[rd, 13]; d14 = val[rd, 14]; d15 = val[rd, 15]
    e0 = val[re, 0]; e1 = val[re, 1]; e2 = val[re, 2]; e3 = val[re, 3]
    e4 = val[re, 4]; e5 = val[re, 5]; e6 = val[re, 6]; e7 = val[re, 7]
    e8 = val[re, 8]; e9 = val[re, 9]; e10 = val[re, 10]; e11 = val[re, 11]
    e12 = val[re, 12]; e13 = val[re, 13]; e14 = val[re, 14]; e15 = val[re, 15]
    f0 = val[rf, 0]; f1 = val[rf, 1]; f2 = val[rf, 2]; f3 = val[rf, 3]
    f4 = val[rf, 4]; f5 = val[rf, 5]; f6 = val[rf, 6]; f7 = val[rf, 7]
    f8 = val[rf, 8]; f9 = val[rf, 9]; f10 = val[rf, 10]; f11 = val[rf, 11]
    f12 = val[rf, 12]; f13 = val[rf, 13]; f14 = val[rf, 14]; f15 = val[rf, 15]
    h0 = val[rh, 0]; h1 = val[rh, 1]; h2 = val[rh, 2]; h3 = val[rh, 3]
    h4 = val[rh, 4]; h5 = val[rh, 5]; h6 = val[rh, 6]; h7 = val[rh, 7]
    h8 = val[rh, 8]; h9 = val[rh, 9]; h10 = val[rh, 10]; h11 = val[rh, 11]
    h12 = val[rh, 12]; h13 = val[rh, 13]; h14 = val[rh, 14]; h15 = val[rh, 15]
    k0 = val[rk, 0]; k1 = val[rk, 1]; k2 = val[rk, 2]; k3 = val[rk, 3]
    k4 = val[rk, 4]; k5 = val[rk, 5]; k6 = val[rk, 6]; k7 = val[rk, 7]
    k8 = val[rk, 8]; k9 = val[rk, 9]; k10 = val[rk, 10]; k11 = val[rk, 11]
    k12 = val[rk, 12]; k13 = val[rk, 13]; k14 = val[rk, 14]; k15 = val[rk, 15]
    for i_idx in range(lo.shape[0]):
        w0 = lo[i_idx, 0]; w1 = lo[i_idx, 1]
        w2 = lo[i_idx, 2]; w3 = lo[i_idx, 3]
        w4 = lo[i_idx, 4]; w5 = lo[i_idx, 5]
        w6 = lo[i_idx, 6]; w7 = lo[i_idx, 7]
        w8 = hi[i_idx, 0]; w9 = hi[i_idx, 1]
        w10 = hi[i_idx, 2]; w11 = hi[i_idx, 3]
        w12 = hi[i_idx, 4]; w13 = hi[i_idx, 5]
        w14 = hi[i_idx, 6]; w15 = hi[i_idx, 7]
        x = p[ra, i_idx]
        a0 += x * w0; a1 += x * w1; a2 += x * w2; a3 += x * w3
        a4 += x * w4; a5 += x * w5; a6 += x * w6; a7 += x * w7
        a8 += x * w8; a9 += x * w9; a10 += x * w10; a11 += x * w11
        a12 += x * w12; a13 += x * w13; a14 += x * w14; a15 += x * w15
        x = p[rb, i_idx]
        b0 += x * w0; b1 += x * w1; b2 += x * w2; b3 += x * w3
        b4 += x * w4; b5 += x * w5; b6 += x * w6; b7 += x * w7
        b8 += x * w8; b9 += x * w9; b10 += x * w10; b11 += x * w11
        b12 += x * w12; b13 += x * w13; b14 += x * w14; b15 += x * w15
        x = p[rc, i_idx]
        c0 += x * w0; c1 += x * w1; c2 += x * w2; c3 += x * w3
        c4 += x * w4; c5 += x * w5; c6 += x * w6; c7 += x * w7
        c8 += x * w8; c9 += x * w9; c10 += x * w10; c11 += x * w11
        c12 += x * w12; c13 += x * w13; c14 += x * w14; c15 += x * w15
        x = p[rd, i_idx]
        d0 += x * w0; d1 += x * w1; d2 += x * w2; d3 += x * w3
        d4 += x * w4; d5 += x * w5; d6 += x * w6; d7 += x * w7
        d8 += x * w8; d9 += x * w9; d10 += x * w10; d11 += x * w11
        d12 += x * w12; d13 += x * w13; d14 += x * w14; d15 += x * w15
        x = p[re, i_idx]
        e0 += x * w0; e1 += x * w1; e2 += x * w2; e3 += x * w3
        e4 += x * w4; e5 += x * w5; e6 += x * w6; e7 += x * w7
        e8 += x * w8; e9 += x * w9; e10 += x * w10; e11 += x * w11
        e12 += x * w12; e13 += x * w13; e14 += x * w14; e15 += x * w15
        x = p[rf, i_idx]
        f0 += x * w0; f1 += x * w1; f2 += x * w2; f3 += x * w3
        f4 += x * w4; f5 += x * w5; f6 += x * w6; f7 += x * w7
        f8 += x * w8; f9 += x * w9; f10 += x * w10; f11 += x * w11
        f12 += x * w12; f13 += x * w13; f14 += x * w14; f15 += x * w15
        x = p[rh, i_idx]
        h0 += x * w0; h1 += x * w1; h2 += x * w2; h3 += x * w3
        h4 += x * w4; h5 += x * w5; h6 += x * w6; h7 += x * w7
        h8 += x * w8; h9 += x * w9; h10 += x * w10; h11 += x * w11
        h12 += x * w12; h13 += x * w13; h14 += x * w14; h15 += x * w15
        x = p[rk, i_idx]
        k0 += x * w0; k1 += x * w1; k2 += x * w2; k3 += x * w3
        k4 += x * w4; k5 += x * w5; k6 += x * w6; k7 += x * w7
        k8 += x * w8; k9 += x * w9; k10 += x * w10; k11 += x * w11
        k12 += x * w12; k13 += x * w13; k14 += x * w14; k15 += x * w15
    val[ra, 0] = a0; val[ra, 1] = a1; val[ra, 2] = a2; val[ra, 3] = a3
    val[ra, 4] = a4; val[ra, 5] = a5; val[ra, 6] = a6; val[ra, 7] = a7
    val[ra, 8] = a8; val[ra, 9] = a9; val[ra, 10] = a10; val[ra, 11] = a11
    val[ra, 12] = a12; val[ra, 13] = a13; val[ra, 14] = a14; val[ra, 15] = a15
    val[rb, 0] = b0; val[rb, 1] = b1; val[rb, 2] = b2; val[rb, 3] = b3
    val[rb, 4] = b4; val[rb, 5] = b5; val[rb, 6] = b6; val[rb, 7] = b7
    val[rb, 8] = b8; val[rb, 9] = b9; val[rb, 10] = b10; val[rb, 11] = b11
    val[rb, 12] = b12; val[rb, 13] = b13; val[rb, 14] = b14; val[rb, 15] = b15
    val[rc, 0] = c0; val[rc, 1] = c1; val[rc, 2] = c2; val[rc, 3] = c3
    val[rc, 4] = c4; val[rc, 5] = c5; val[rc, 6] = c6; val[rc, 7] = c7
    val[rc, 8] = c8; val[rc, 9] = c9; val[rc, 10] = c10; val[rc, 11] = c11
    val[rc, 12] = c12; val[rc, 13] = c13; val[rc, 14] = c14; val[rc, 15] = c15
    val[rd, 0] = d0; val[rd, 1] = d1; val[rd, 2] = d2; val[rd, 3] = d3
    val[rd, 4] = d4; val[rd, 5] = d5; val[rd, 6] = d6; val[rd, 7] = d7
    val[rd, 8] = d8; val[rd, 9] = d9; val[rd, 10] = d10; val[rd, 11] = d11
    val[rd, 12] = d12; val[rd, 13] = d13; val[rd, 14] = d14; val[rd, 15] = d15
    val[re, 0] = e0; val[re, 1] = e1; val[re, 2] = e2; val[re, 3] = e3
    val[re, 4] = e4; val[re, 5] = e5; val[re, 6] = e6; val[re, 7] = e7
    val[re, 8] = e8; val[re, 9] = e9; val[re, 10] = e10; val[re, 11] = e11
    val[re, 12] = e12; val[re, 13] = e13; val[re, 14] = e14; val[re, 15] = e15
    val[rf, 0] = f0; val[rf, 1] = f1; val[rf, 2] = f2; val[rf, 3] = f3
    val[rf, 4] = f4; val[rf, 5] = f5; val[rf, 6] = f6; val[rf, 7] = f7
    val[rf, 8] = f8; val[rf, 9] = f9; val[rf, 10] = f10; val[rf, 11] = f11
    val[rf, 12] = f12; val[rf, 13] = f13; val[rf, 14] = f14; val[rf, 15] = f15
    val[rh, 0] = h0; val[rh, 1] = h1; val[rh, 2] = h2; val[rh, 3] = h3
    val[rh, 4] = h4; val[rh, 5] = h5; val[rh, 6] = h6; val[rh, 7] = h7
    val[rh, 8] = h8; val[rh, 9] = h9; val[rh, 10] = h10; val[rh, 11] = h11
    val[rh, 12] = h12; val[rh, 13] = h13; val[rh, 14] = h14; val[rh, 15] = h15
    val[rk, 0] = k0; val[rk, 1] = k1; val[rk, 2] = k2; val[rk, 3] = k3
    val[rk, 4] = k4; val[rk, 5] = k5; val[rk, 6] = k6; val[rk, 7] = k7
    val[rk, 8] = k8; val[rk, 9] = k9; val[rk, 10] = k10; val[rk, 11] = k11
    val[rk, 12] = k12; val[rk, 13] = k13; val[rk, 14] = k14; val[rk, 15] = k15


# panel_block16 for float32's two wide panels: eight rows through 32 columns, column
# k < 16 lo[i_idx, k], k >= 16 hi[i_idx, k - 16]; 16 vectors of sums again, of 16 lanes
# each.
def panel_block32(p, first, n, lo, hi, val):
    wide_vectors()
    ra = first
    rb = first + min(1, n - 1)
    rc = first + min(2, n - 1)
    rd = first + min(3, n - 1)
    re = first + min(4, n - 1)
    rf = first + min(5, n - 1)
    rh = first + min(6, n - 1)
    rk = first + min(7, n - 1)
    a0 = val[ra, 0]; a1 = val[ra, 1]; a2 = val[ra, 2]; a3 = val[ra, 3]
    a4 = val[ra, 4]; a5 = val[ra, 5]; a6 = val[ra, 6]; a7 = val[ra, 7]
    a8 = val[ra, 8]; a9 = val[ra, 9]; a10 = val[ra, 10]; a11 = val[ra, 11]
    a12 = val[ra, 12]; a13 = val[ra, 13]; a14 = val[ra, 14]; a15 = val[ra, 15]
    a16 = val[ra, 16]; a17 = val[ra, 17]; a18 = val[ra, 18]; a19 = val[ra, 19]
    a20 = val[ra, 20]; a21 = val[ra, 21]; a22 = val[ra, 22]; a23 = val[ra, 23]
    a24 = val[ra, 24]; a25 = val[ra, 25]; a26 = val[ra, 26]; a27 = val[ra, 27]
    a28 = val[ra, 28]; a29 = val[ra, 29]; a30 = val[ra, 30]; a31 = val[ra, 31]
    b0 = val[rb, 0]; b1 = val[rb, 1]; b2 = val[rb, 2]; b3 = val[rb, 3]
    b4 = val[rb, 4]; b5 = val[rb, 5]; b6 = val[rb, 6]; b7 = val[rb, 7]
    b8 = val[rb, 8]; b9 = val[rb, 9]; b10 = val[rb, 10]; b11 = val[rb, 11]
    b12 = val[rb, 12]; b13 = val[rb, 13]; b14 = val[rb, 14]; b15 = val[rb, 15]
    b16 = val[rb, 16]; b17 = val[rb, 17]; b18 = val[rb, 18]; b19 = val[rb, 19]
    b20 = val[rb, 20]; b21 = val[rb, 21]; b22 = val[rb, 22]; b23 = val[rb, 23]
    b24 = val[rb, 24]; b25 = val[rb, 25]; b26 = val[rb, 26]; b27 = val[rb, 27]
    b28 = val[rb, 28]; b29 = val[rb, 29]; b30 = val[rb, 30]; b31 = val[rb, 31]
    c0 = val[rc, 0]; c1 = val[rc, 1]; c2 = val[rc, 2]; c3 = val[rc, 3]
    c4 = val[rc, 4]; c5 = val[rc, 5]; c6 = val[rc, 6]; c7 = val[rc, 7]
    c8 = val[rc, 8]; c9 = val[rc, 9]; c10 = val[rc, 10]; c11 = val[rc, 11]
    c12 = val[rc, 12]; c13 = val[rc, 13]; c14 = val[rc, 14]; c15 = val[rc, 15]
    c16 = val[rc, 16]; c17 = val[rc, 17]; c18 = val[rc, 18]; c19 = val[rc, 19]
    c20 = val[rc, 20]; c21 = val[rc, 21]; c22 = val[rc, 22]; c23 = val[rc, 23]
    c24 = val[rc, 24]; c25 = val[rc, 25]; c26 = val[rc, 26]; c27 = val[rc, 27]
    c28 = val[rc, 28]; c29 = val[rc, 29]; c30 = val[rc, 30]; c31 = val[rc, 31]
    d0 = val[rd, 0]; d1 = val[rd, 1]; d2 = val[rd, 2]; d3 = val[rd, 3]
    d4 = val[rd, 4]; d5 = val[rd, 5]; d6 = val[rd, 6]; d7 = val[rd, 7]
    d8 = val[rd, 8]; d9 = val[rd, 9]; d10 = val[rd, 10]; d11 = val[rd, 11]
    d12 = val[rd, 12]; d13 = val[rd, 13]; d14 = val[rd, 14]; d15 = val[rd, 15]
    d16 = val[rd, 16]; d17 = val[rd, 17]; d18 = val[rd, 18]; d19 = val[rd, 19]
    d20 = val[rd, 20]; d21 = val[rd, 21]; d22 = val[rd, 22]; d23 = val[rd, 23]
    d24 = val[rd, 24]; d25 = val[rd, 25]; d26 = val[rd, 26]; d27 = val[rd, 27]
    d28 = val[rd, 28]; d29 = val[rd, 29]; d30 = val[rd, 30]; d31 = val[rd, 31]
    e0 = val[re, 0]; e1 = val[re, 1]; e2 = val[re, 2]; e3 = val[re, 3]
    e4 = val[re, 4]; e5 = val[re, 5]; e6 = val[re, 6]; e7 = val[re, 7]
    e8 = val[re, 8]; e9 = val[re, 9]; e10 = val[re, 10]; e11 = val[re, 11]
    e12 = val[re, 12]; e13 = val[re, 13]; e14 = val[re, 14]; e15 = val[re, 15]
    e16 = val[re, 16]; e17 = val[re, 17]; e18 = val[re, 18]; e19 = val[re, 19]
    e20 = val[re, 20]; e21 = val[re, 21]; e22 = val[re, 22]; e23 = val[re, 23]
    e24 = val[re, 24]; e25 = val[re, 25]; e26 = val[re, 26]; e27 = val[re, 27]
    e28 = val[re, 28]; e29 = val[re, 29]; e30 = val[re, 30]; e31 = val[re, 31]
    f0 = val[rf, 0]; f1 = val[rf, 1]; f2 = val[rf, 2]; f3 = val[rf, 3]
    f4 = val[rf, 4]; f5 = val[rf, 5]; f6 = val[rf, 6]; f7 = val[rf, 7]
    f8 = val[rf, 8]; f9 = val[rf, 9]; f10 = val[rf, 10]; f11 = val[rf, 11]
    f12 = val[rf, 12]; f13 = val[rf, 13]; f14 = val[rf, 14]; f15 = val[rf, 15]
    f16 = val[rf, 16]; f17 = val[rf, 17]; f18 = val[rf, 18]; f19 = val[rf, 19]
    f20 = val[rf, 20]; f21 = val[rf, 21]; f22 = val[rf, 22]; f23 = val[rf, 23]
    f24 = val[rf, 24]; f25 = val[rf, 25]; f26 = val[rf, 26]; f27 = val[rf, 27]
    f28 = val[rf, 28]; f29 = val[rf, 29]; f30 = val[rf, 30]; f31 = val[rf, 31]
    h0 = val[rh, 0]; h1 = val[rh, 1]; h2 = val[rh, 2]; h3 = val[rh, 3]
    h4 = val[rh, 4]; h5 = val[rh, 5]; h6 = val[rh, 6]; h7 = val[rh, 7]
    h8 = val[rh, 8]; h9 = val[rh, 9]; h10 = val[rh, 10]; h11 = val[rh, 11]
    h12 = val[rh, 12]; h13 = val[rh, 13]; h14 = val[rh, 14]; h15 = val[rh, 15]
    h16 = val[rh, 16]; h17 = val[rh, 17]; h18 = val[rh, 18]; h19 = val[rh, 19]
    h20 = val[rh, 20]; h21 = val[rh, 21]; h22 = val[rh, 22]; h23 = val[rh, 23]
    h24 = val[rh, 24]; h25 = val[rh, 25]; h26 = val[rh, 26]; h27 = val[rh, 27]
    h28 = val[rh, 28]; h29 = val[rh, 29]; h30 = val[rh, 30]; h31 = val[rh, 31]
    k0 = val[rk, 0]; k1 = val[rk, 1]; k2 = val[rk, 2]; k3 = val[rk, 3]
    k4 = val[rk, 4]; k5 = val[rk, 5]; k6 = val[rk, 6]; k7 = val[rk, 7]
    k8 = val[rk, 8]; k9 = val[rk, 9]; k10 = val[rk, 10]; k11 = val[rk, 11]
    k12 = val[rk, 12]; k13 = val[rk, 13]; k14 = val[rk, 14]; k15 = val[rk, 15]
    k16 = val[rk, 16]; k17 = val[rk, 17]; k18 = val[rk, 18]; k19 = val[rk, 19]
    k20 = val[rk, 20]; k21 = val[rk, 21]; k22 = val[rk, 22]; k23 = val[rk, 23]
    k24 = val[rk, 24]; k25 = val[rk, 25]; k26 = val[rk, 26]; k27 = val[rk, 27]
    k28 = val[rk, 28]; k29 = val[rk, 29]; k30 = val[rk, 30]; k31 = val[rk, 31]
    for i_idx in range(lo.shape[0]):
        w0 = lo[i_idx, 0]; w1 = lo[i_idx, 1]
        w2 = lo[i_idx, 2]; w3 = lo[i_idx, 3]
        w4 = lo[i_idx, 4]; w5 = lo[i_idx, 5]
        w6 = lo[i_idx, 6]; w7 = lo[i_idx, 7]
        w8 = lo[i_idx, 8]; w9 = lo[i_idx, 9]
        w10 = lo[i_idx, 10]; w11 = lo[i_idx, 11]
        w12 = lo[i_idx, 12]; w13 = lo[i_idx, 13]
        w14 = lo[i_idx, 14]; w15 = lo[i_idx, 15]
        w16 = hi[i_idx, 0]; w17 = hi[i_idx, 1]
        w18 = hi[i_idx, 2]; w19 = hi[i_idx, 3]
        w20 = hi[i_idx, 4]; w21 = hi[i_idx, 5]
        w22 = hi[i_idx, 6]; w23 = hi[i_idx, 7]
        w24 = hi[i_idx, 8]; w25 = hi[i_idx, 9]
        w26 = hi[i_idx, 10]; w27 = hi[i_idx, 11]
        w28 = hi[i_idx, 12]; w29 = hi[i_idx, 13]
        w30 = hi[i_idx, 14]; w31 = hi[i_idx, 15]
        x = p[ra, i_idx]
        a0 += x * w0; a1 += x * w1; a2 += x * w2; a3 += x * w3
        a4 += x * w4; a5 += x * w5; a6 += x * w6; a7 += x * w7
        a8 += x * w8; a9 += x * w9; a10 += x * w10; a11 += x * w11
        a12 += x * w12; a13 += x * w13; a14 += x * w14; a15 += x * w15
        a16 += x * w16; a17 += x * w17; a18 += x * w18; a19 += x * w19
        a20 += x * w20; a21 += x * w21; a22 += x * w22; a23 += x * w23
        a24 += x * w24; a25 += x * w25; a26 += x * w26; a27 += x * w27
        a28 += x * w28; a29 += x * w29; a30 += x * w30; a31 += x * w31
        x = p[rb, i_idx]
        b0 += x * w0; b1 += x * w1; b2 += x * w2; b3 += x * w3
        b4 += x * w4; b5 += x * w5; b6 += x * w6; b7 += x * w7
        b8 += x * w8; b9 += x * w9; b10 += x * w10; b11 += x * w11
        b12 += x * w12; b13 += x * w13; b14 += x * w14; b15 += x * w15
        b16 += x * w16; b17 += x * w17; b18 += x * w18; b19 += x * w19
        b20 += x * w20; b21 += x * w21; b22 += x * w22; b23 += x * w23
        b24 += x * w24; b25 += x * w25; b26 += x * w26; b27 += x * w27
        b28 += x * w28; b29 += x * w29; b30 += x * w30; b31 += x * w31
        x = p[rc, i_idx]
        c0 += x * w0; c1 += x * w1; c2 += x * w2; c3 += x * w3
        c4 += x * w4; c5 += x * w5; c6 += x * w6; c7 += x * w7
        c8 += x * w8; c9 += x * w9; c10 += x * w10; c11 += x * w11
        c12 += x * w12; c13 += x * w13; c14 += x * w14; c15 += x * w15
        c16 += x * w16; c17 += x * w17; c18 += x * w18; c19 += x * w19
        c20 += x * w20; c21 += x * w21; c22 += x * w22; c23 += x * w23
        c24 += x * w24; c25 += x * w25; c26 += x * w26; c27 += x * w27
        c28 += x * w28; c29 += x * w29; c30 += x * w30; c31 += x * w31
        x = p[rd, i_idx]
        d0 += x * w0; d1 += x * w1; d2 += x * w2; d3 += x * w3
        d4 += x * w4; d5 += x * w5; d6 += x * w6; d7 += x * w7
        d8 += x * w8; d9 += x * w9; d10 += x * w10; d11 += x * w11
        d12 += x * w12; d13 += x * w13; d14 += x * w14; d15 += x * w15
        d16 += x * w16; d17 += x * w17; d18 += x * w18; d19 += x * w19
        d20 += x * w20; d21 += x * w21; d22 += x * w22; d23 += x * w23
        d24 += x * w24; d25 += x * w25; d26 += x * w26; d27 += x * w27
        d28 += x * w28; d29 += x * w29; d30 += x * w30; d31 += x * w31
        x = p[re, i_idx]
        e0 += x * w0; e1 += x * w1; e2 += x * w2; e3 += x * w3
        e4 += x * w4; e5 += x * w5; e6 += x * w6; e7 += x * w7
        e8 += x * w8; e9 += x * w9; e10 += x * w10; e11 += x * w11
        e12 += x * w12; e13 += x * w13; e14 += x * w14; e15 += x * w15
        e16 += x * w16; e17 += x * w17; e18 += x * w18; e19 += x * w19
        e20 += x * w20; e21 += x * w21; e22 += x * w22; e23 += x * w23
        e24 += x * w24; e25 += x * w25; e26 += x * w26; e27 += x * w27
        e28 += x * w28; e29 += x * w29; e30 += x * w30; e31 += x * w31
        x = p[rf, i_idx]
        f0 += x * w0; f1 += x * w1; f2 += x * w2; f3 += x * w3
        f4 += x * w4; f5 += x * w5; f6 += x * w6; f7 += x * w7
        f8 += x * w8; f9 += x * w9; f10 += x * w10; f11 += x * w11
        f12 += x * w12; f13 += x * w13; f14 += x * w14; f15 += x * w15
        f16 += x * w16; f17 += x * w17; f18 += x * w18; f19 += x * w19
        f20 += x * w20; f21 += x * w21; f22 += x * w22; f23 += x * w23
        f24 += x * w24; f25 += x * w25; f26 += x * w26; f27 += x * w27
        f28 += x * w28; f29 += x * w29; f30 += x * w30; f31 += x * w31
        x = p[rh, i_idx]
        h0 += x * w0; h1 += x * w1; h2 += x * w2; h3 += x * w3
        h4 += x * w4; h5 += x * w5; h6 += x * w6; h7 += x * w7
        h8 += x * w8; h9 += x * w9; h10 += x * w10; h11 += x * w11
        h12 += x * w12; h13 += x * w13; h14 += x * w14; h15 += x * w15
        h16 += x * w16; h17 += x * w17; h18 += x * w18; h19 += x * w19
        h20 += x * w20; h21 += x * w21; h22 += x * w22; h23 += x * w23
        h24 += x * w24; h25 += x * w25; h26 += x * w26; h27 += x * w27
        h28 += x * w28; h29 += x * w29; h30 += x * w30; h31 += x * w31
        x = p[rk, i_idx]
        k0 += x * w0; k1 += x * w1; k2 += x * w2; k3 += x * w3
        k4 += x * w4; k5 += x * w5; k6 += x * w6; k7 += x * w7
        k8 += x * w8; k9 += x * w9; k10 += x * w10; k11 += x * w11
        k12 += x * w12; k13 += x * w13; k14 += x * w14; k15 += x * w15
        k16 += x * w16; k17 += x * w17; k18 += x * w18; k19 += x * w19
        k20 += x * w20; k21 += x * w21; k22 += x * w22; k23 += x * w23
        k24 += x * w24; k25 += x * w25; k26 += x * w26; k27 += x * w27
        k28 += x * w28; k29 += x * w29; k30 += x * w30; k31 += x * w31
    val[ra, 0] = a0; val[ra, 1] = a1; val[ra, 2] = a2; val[ra, 3] = a3
    val[ra, 4] = a4; val[ra, 5] = a5; val[ra, 6] = a6; val[ra, 7] = a7
    val[ra, 8] = a8; val[ra, 9] = a9; val[ra, 10] = a10; val[ra, 11] = a11
    val[ra, 12] = a12; val[ra, 13] = a13; val[ra, 14] = a14; val[ra, 15] = a15
    val[ra, 16] = a16; val[ra, 17] = a17; val[ra, 18] = a18; val[ra, 19] = a19
    val[ra, 20] = a20; val[ra, 21] = a21; val[ra, 22] = a22; val[ra, 23] = a23
    val[ra, 24] = a24; val[ra, 25] = a25; val[ra, 26] = a26; val[ra, 27] = a27
    val[ra, 28] = a28; val[ra, 29] = a29; val[ra, 30] = a30; val[ra, 31] = a31
    val[rb, 0] = b0; val[rb, 1] = b1; val[rb, 2] = b2; val[rb, 3] = b3
    val[rb, 4] = b4; val[rb, 5] = b5; val[rb, 6] = b6; val[rb, 7] = b7
    val[rb, 8] = b8; val[rb, 9] = b9; val[rb, 10] = b10; val[rb, 11] = b11
    val[rb, 12] = b12; val[rb, 13] = b13; val[rb, 14] = b14; val[rb, 15] = b15
    val[rb, 16] = b16; val[rb, 17] = b17; val[rb, 18] = b18; val[rb, 19] = b19
    val[rb, 20] = b20; val[rb, 21] = b21; val[rb, 22] = b22; val[rb, 23] = b23
    val[rb, 24] = b24; val[rb, 25] = b25; val[rb, 26] = b26; val[rb, 27] = b27
    val[rb, 28] = b28; val[rb, 29] = b29; val[rb, 30] = b30; val[rb, 31] = b31
    val[rc, 0] = c0; val[rc, 1] = c1; val[rc, 2] = c2; val[rc, 3] = c3
    val[rc, 4] = c4; val[rc, 5] = c5; val[rc, 6] = c6; val[rc, 7] = c7
    val[rc, 8] = c8; val[rc, 9] = c9; val[rc, 10] = c10; val[rc, 11] = c11
    val[rc, 12] = c12; val[rc, 13] = c13; val[rc, 14] = c14; val[rc, 15] = c15
    val[rc, 16] = c16; val[rc, 17] = c17; val[rc, 18] = c18; val[rc, 19] = c19
    val[rc, 20] = c20; val[rc, 21] = c21; val[rc, 22] = c22; val[rc, 23] = c23
    val[rc, 24] = c24; val[rc, 25] = c25; val[rc, 26] = c26; val[rc, 27] = c27
    val[rc, 28] = c28; val[rc, 29] = c29; val[rc, 30] = c30; val[rc, 31] = c31
    val[rd, 0] = d0; val[rd, 1] = d1; val[rd, 2] = d2; val[rd, 3] = d3
    val[rd, 4] = d4; val[rd, 5] = d5; val[rd, 6] = d6; val[rd, 7] = d7
    val[rd, 8] = d8; val[rd, 9] = d9; val[rd, 10] = d10; val[rd, 11] = d11
    val[rd, 12] = d12; val[rd, 13] = d13; val[rd, 14] = d14; val[rd, 15] = d15
    val[rd, 16] = d16; val[rd, 17] = d17; val[rd, 18] = d18; val[rd, 19] = d19
    val[rd, 20] = d20; val[rd, 21] = d21; val[rd, 22] = d22; val[rd, 23] = d23
    val[rd, 24] = d24; val[rd, 25] = d25; val[rd, 26] = d26; val[rd, 27] = d27
    val[rd, 28] = d28; val[rd, 29] = d29; val[rd, 30] = d30; val[rd, 31] = d31
    val[re, 0] = e0; val[re, 1] = e1; val[re, 2] = e2; val[re, 3] = e3
    val[re, 4] = e4; val[re, 5] = e5; val[re, 6] = e6; val[re, 7] = e7
    val[re, 8] = e8; val[re, 9] = e9; val[re, 10] = e10; val[re, 11] = e11
    val[re, 12] = e12; val[re, 13] = e13; val[re, 14] = e14; val[re, 15] = e15
    val[re, 16] = e16; val[re, 17] = e17; val[re, 18] = e18; val[re, 19] = e19
    val[re, 20] = e20; val[re, 21] = e21; val[re, 22] = e22; val[re, 23] = e23
    val[re, 24] = e24; val[re, 25] = e25; val[re, 26] = e26; val[re, 27] = e27
    val[re, 28] = e28; val[re, 29] = e29; val[re, 30] = e30; val[re, 31] = e31
    val[rf, 0] = f0; val[rf, 1] = f1; val[rf, 2] = f2; val[rf, 3] = f3
    val[rf, 4] = f4; val[rf, 5] = f5; val[rf, 6] = f6; val[rf, 7] = f7
    val[rf, 8] = f8; val[rf, 9] = f9; val[rf, 10] = f10; val[rf, 11] = f11
    val[rf, 12] = f12; val[rf, 13] = f13; val[rf, 14] = f14; val[rf, 15] = f15
    val[rf, 16] = f16; val[rf, 17] = f17; val[rf, 18] = f18; val[rf, 19] = f19
    val[rf, 20] = f20; val[rf, 21] = f21; val[rf, 22] = f22; val[rf, 23] = f23
    val[rf, 24] = f24; val[rf, 25] = f25; val[rf, 26] = f26; val[rf, 27] = f27
    val[rf, 28] = f28; val[rf, 29] = f29; val[rf, 30] = f30; val[rf, 31] = f31
    val[rh, 0] = h0; val[rh, 1] = h1; val[rh, 2] = h2; val[rh, 3] = h3
    val[rh, 4] = h4; val[rh, 5] = h5; val[rh, 6] = h6; val[rh, 7] = h7
    val[rh, 8] = h8; val[rh, 9] = h9; val[rh, 10] = h10; val[rh, 11] = h11
    val[rh, 12] = h12; val[rh, 13] = h13; val[rh, 14] = h14; val[rh, 15] = h15
    val[rh, 16] = h16; val[rh, 17] = h17; val[rh, 18] = h18; val[rh, 19] = h19
    val[rh, 20] = h20; val[rh, 21] = h21; val[rh, 22] = h22; val[rh, 23] = h23
    val[rh, 24] = h24; val[rh, 25] = h25; val[rh, 26] = h26; val[rh, 27] = h27
    val[rh, 28] = h28; val[rh, 29] = h29; val[rh, 30] = h30; val[rh, 31] = h31
    val[rk, 0] = k0; val[rk, 1] = k1; val[rk, 2] = k2; val[rk, 3] = k3
    val[rk, 4] = k4; val[rk, 5] = k5; val[rk, 6] = k6; val[rk, 7] = k7
    val[rk, 8] = k8; val[rk, 9] = k9; val[rk, 10] = k10; val[rk, 11] = k11
    val[rk, 12] = k12; val[rk, 13] = k13; val[rk, 14] = k14; val[rk, 15] = k15
    val[rk, 16] = k16; val[rk, 17] = k17; val[rk, 18] = k18; val[rk, 19] = k19
    val[rk, 20] = k20; val[rk, 21] = k21; val[rk, 22] = k22; val[rk, 23] = k23
    val[rk, 24] = k24; val[rk, 25] = k25; val[rk, 26] = k26; val[rk, 27] = k27
    val[rk, 28] = k28; val[rk, 29] = k29; val[rk, 30] = k30; val[rk, 31] = k31


# The deep net's layer_response (``_reference.layer_response``, same arguments) with several
# units' sums side by side: independent chains instead of one waiting on the last; each
# unit's sum keeps its terms and their order, then its bias, then the activation. Four in the
# default mode, where each term's multiply and add already keep the FP ports busy (eight
# only add address arithmetic to numba's loop, which then competes for them); eight first
# in the FMA mode (EIGHT_SUMS), where four chains of fmas, four cycles each, leave half of
# the two FMA ports idle.
def layer_response(prev, w, b, func, act):
    real = act.dtype.type
    num_inp_nodes = w.shape[1]
    num_out_nodes = w.shape[0]
    o_idx = 0
    while EIGHT_SUMS and o_idx + 8 <= num_out_nodes:
        v0 = real(0.0)
        v1 = real(0.0)
        v2 = real(0.0)
        v3 = real(0.0)
        v4 = real(0.0)
        v5 = real(0.0)
        v6 = real(0.0)
        v7 = real(0.0)
        for i_idx in range(num_inp_nodes):
            x = prev[i_idx]
            v0 += x * w[o_idx, i_idx]
            v1 += x * w[o_idx + 1, i_idx]
            v2 += x * w[o_idx + 2, i_idx]
            v3 += x * w[o_idx + 3, i_idx]
            v4 += x * w[o_idx + 4, i_idx]
            v5 += x * w[o_idx + 5, i_idx]
            v6 += x * w[o_idx + 6, i_idx]
            v7 += x * w[o_idx + 7, i_idx]
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
        v0 = real(0.0)
        v1 = real(0.0)
        v2 = real(0.0)
        v3 = real(0.0)
        for i_idx in range(num_inp_nodes):
            x = prev[i_idx]
            v0 += x * w[o_idx, i_idx]
            v1 += x * w[o_idx + 1, i_idx]
            v2 += x * w[o_idx + 2, i_idx]
            v3 += x * w[o_idx + 3, i_idx]
        act[o_idx] = v0 + b[o_idx]
        act[o_idx + 1] = v1 + b[o_idx + 1]
        act[o_idx + 2] = v2 + b[o_idx + 2]
        act[o_idx + 3] = v3 + b[o_idx + 3]
        o_idx += 4
    while o_idx < num_out_nodes:
        val = real(0.0)
        for i_idx in range(num_inp_nodes):
            val += prev[i_idx] * w[o_idx, i_idx]
        act[o_idx] = val + b[o_idx]
        o_idx += 1
    activate(act, func)


# The deep net's hidden_delta (``_reference.hidden_delta``, same arguments) walking w_next
# row by row: every unit's err_prop still adds delta_next[o] w_next[o, h] for o = 0, 1, ...
# in that order, but all units' sums advance together over contiguous memory.
# (_cython_deep.pxi's _hidden_delta writes the loop over h out eight units at a time, for
# gcc's SLP vectoriser, where numba has LLVM's loop vectoriser; the same sums.)
def hidden_delta(act, w_next, delta_next, func, delta):
    real = act.dtype.type
    num_hid_nodes = w_next.shape[1]
    num_out_nodes = w_next.shape[0]
    for h_idx in range(num_hid_nodes):
        delta[h_idx] = real(0.0)
    for o_idx in range(num_out_nodes):
        d = delta_next[o_idx]
        for h_idx in range(num_hid_nodes):
            delta[h_idx] += d * w_next[o_idx, h_idx]
    for h_idx in range(num_hid_nodes):
        err_prop = delta[h_idx]
        if func == SIGMOID:
            delta[h_idx] = act[h_idx] * (real(1.0) - act[h_idx]) * err_prop
        elif func == TANH:
            delta[h_idx] = (real(1.0) - act[h_idx] * act[h_idx]) * err_prop
        else:
            delta[h_idx] = err_prop if act[h_idx] > real(0.0) else real(0.0)


# The deep net's training (``_reference.net_train``, same arguments). Online SGD
# (batch_size 1) is the reference's own. A mini-batch is computed layer by layer over all of
# its rows instead of row by row: its rows are gathered, each layer's forward pass runs eight
# units at a time through panels of 8 rows (``batch_forward``), each row's loss and deltas
# follow in row order, and ``batch_update`` sums each weight's per-row gradients in row
# order and steps. Every sum keeps the reference's terms and order; the rows only share the
# weights of the batch's start, which the reference's rows read too.
def net_train(X, Y, weights, biases, hidden, output, loss, lrate, orders, batch_size,
              acts, deltas, grad_w, grad_b):
    real = X.dtype.type
    num_epochs = orders.shape[0]
    num_samples = orders.shape[1]
    num_layers = len(weights)
    losses = np.zeros((num_epochs), dtype=X.dtype)
    if batch_size == 1:
        return reference_net_train(X, Y, weights, biases, hidden, output, loss, lrate, orders,
                                   batch_size, acts, deltas, grad_w, grad_b)

    # every layer's (rows, n_l) activations and deltas, one after the other in two buffers
    most = min(batch_size, num_samples)
    offsets = np.zeros((num_layers + 1), dtype=np.int64)
    for layer in range(num_layers):
        offsets[layer + 1] = offsets[layer] + most * weights[layer].shape[0]
    act_buf = np.zeros((offsets[num_layers]), dtype=X.dtype)
    delta_buf = np.zeros((offsets[num_layers]), dtype=X.dtype)
    Xb = np.zeros((most, X.shape[1]), dtype=X.dtype)
    Yb = np.zeros((most, Y.shape[1]), dtype=X.dtype)
    for epoch in range(num_epochs):
        epoch_loss = real(0.0)
        for start in range(0, num_samples, batch_size):
            rows = min(start + batch_size, num_samples) - start
            for r in range(rows):
                Xb[r, :] = X[orders[epoch, start + r]]
                Yb[r, :] = Y[orders[epoch, start + r]]
            # the forward pass, layer by layer, at the batch's starting weights
            prev = Xb[:rows]
            for layer in range(num_layers):
                func = output if layer == num_layers - 1 else hidden
                n = weights[layer].shape[0]
                act = act_buf[offsets[layer]:offsets[layer] + rows * n].reshape((rows, n))
                batch_forward(prev, weights[layer], biases[layer], act)
                for r in range(rows):
                    activate(act[r], func)
                prev = act
            # each row's loss and deltas, top down, in row order
            for r in range(rows):
                n = weights[num_layers - 1].shape[0]
                out = act_buf[offsets[num_layers - 1]:offsets[num_layers]]
                out_delta = delta_buf[offsets[num_layers - 1]:offsets[num_layers]]
                epoch_loss += sample_loss(out[r * n:(r + 1) * n], Yb[r], output, loss)
                output_delta(out[r * n:(r + 1) * n], Yb[r], output, loss,
                             out_delta[r * n:(r + 1) * n])
                for layer in range(num_layers - 2, -1, -1):
                    n = weights[layer].shape[0]
                    m = weights[layer + 1].shape[0]
                    a = offsets[layer] + r * n
                    d = offsets[layer + 1] + r * m
                    hidden_delta(act_buf[a:a + n], weights[layer + 1], delta_buf[d:d + m],
                                 hidden, delta_buf[a:a + n])
            # one step per layer with the mean of the rows' gradients
            for layer in range(num_layers):
                n = weights[layer].shape[0]
                delta = delta_buf[offsets[layer]:offsets[layer] + rows * n].reshape((rows, n))
                if layer == 0:
                    batch_update(Xb[:rows], delta, weights[0], biases[0], lrate, real(rows))
                else:
                    k = weights[layer].shape[1]
                    prev = act_buf[offsets[layer - 1]:offsets[layer - 1] + rows * k]
                    batch_update(prev.reshape((rows, k)), delta, weights[layer],
                                 biases[layer], lrate, real(rows))
        losses[epoch] = epoch_loss / real(num_samples)
    return losses


# prev (rows, num_inp_nodes), delta (rows, num_out_nodes) -> w, b updated in place:
# w_ki += eta (sum_r delta_rk y_ri) / rows, the sum over the rows in row order from zero
# (as the reference's grad_w). The same micro-kernels as the forward pass (panel_pass), with
# the rows as the sum's index: four or eight units' deltas (delta transposed) through each panel of
# 8 inputs (prev transposed, in panels; float32: four units, panels of 16). A block of a
# pass's units' sums is kept apart and then stepped in one pass over their rows of w, which
# streams w through the cache once (the step interleaved with the sums was slower). The
# blocks run on numba's threads.
def batch_update(prev, delta, w, b, lrate, num_batch):
    per_pass = pass_rows(panel_width(w))  # units
    prevp = to_panels(prev.T, panel_width(w))   # (panels of inputs, rows, width)
    delta_t = np.ascontiguousarray(delta.T)
    for q in prange((w.shape[0] + per_pass - 1) // per_pass):
        batch_update_units(w, b, lrate, num_batch, prevp, delta_t, per_pass * q)


# one pass of batch_update, its units from o_idx on (apart, as batch_forward_units).
# (_cython_panels.pxi packs prevp and delta_t by hand into scratch from its caller, and
# writes the step out eight weights at a time, _step8, for gcc's SLP vectoriser.)
def batch_update_units(w, b, lrate, num_batch, prevp, delta_t, o_idx):
    real = w.dtype.type
    rows = delta_t.shape[1]
    num_inp_nodes = w.shape[1]
    width = panel_width(w)
    per_pass = pass_rows(width)
    n = min(per_pass, w.shape[0] - o_idx)  # units in this pass
    val = np.zeros((per_pass, width), dtype=w.dtype)
    grad = np.empty((per_pass, prevp.shape[0] * width), dtype=w.dtype)
    # borrowed: no reference counts on the arrays of a pass, which sums a batch's rows only
    p, wp, v = borrowed(delta_t), borrowed(prevp), borrowed(val)
    for g in range(prevp.shape[0]):
        panel_pass(p, o_idx, n, wp, g, v)
        for u in range(per_pass):
            copy_row(grad, u, width * g, v, u, width)
    for u in range(n):
        for i_idx in range(num_inp_nodes):
            w[o_idx + u, i_idx] += lrate * (grad[u, i_idx] / num_batch)
        acc = real(0.0)
        for r in range(rows):
            acc += delta_t[o_idx + u, r]
        b[o_idx + u] += lrate * (acc / num_batch)

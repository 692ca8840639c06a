# The deep net's panel kernels: _rearranged.py's net_predict and mini-batch net_train.
# Part of _cython.pyx, which includes it (one compile unit; not compiled alone).

# ---------------------------------------------------------------------------------------
# _rearranged.py's deep-net kernels: net_predict and net_train's mini-batches, layer by
# layer through panels (_to_panels, _cython_lecture.pxi: wp[g, i_idx, k] = w[width g + k, i_idx],
# zero-padded, is wp[(g * num_inp_nodes + i_idx) * width + k], width 8, or 16 in float32).
# Keep them in step with it.

# prev (rows, num_inp_nodes), wp (num_panels, num_inp_nodes, width), b (num_out_nodes,)
# -> act (rows, num_out_nodes) = prev @ w.T + b, each sum in index order, then its bias.
# _rearranged.panels_forward: _pass_rows(width) rows a pass through a panel of 8 units
# (_panel_block4, or _panel_block in the 512-bit build), or of 16 in float32
# (_panel_block_wide).
cdef void _panels_forward(const real* prev, const real* wp, const real* b, real* act,
                          Py_ssize_t rows, Py_ssize_t num_inp_nodes,
                          Py_ssize_t num_out_nodes, rounding rnd) noexcept nogil:
    cdef Py_ssize_t g, r, n, q, k, o_idx, i_start, i_stop
    cdef Py_ssize_t width = _panel_width(act)
    cdef Py_ssize_t per_pass = _pass_rows(width)
    cdef Py_ssize_t num_panels = (num_out_nodes + width - 1) // width
    cdef const real* lo
    cdef real val[BLOCK * 32]  # val[q][k] at q * width + k; two panels: row r's at r * 2 width
    g = 0
    while g < num_panels:
        # 16 columns a pass in the 512-bit build (_cython_cpu.h) where the CPU gains by it
        # (_two_panels): panels g and g + 1 in float64, and 32 in float32, panels g and
        # g + 1 again
        if LOOPMLP_MANY_REGISTERS and _two_panels and g + 1 < num_panels:
            # CHUNK inputs at a time through every row, so that the columns' weights for
            # them stay in the L1 cache for all the passes; each sum goes on from where the
            # previous chunk left it, so its terms stay in index order
            lo = wp + g * num_inp_nodes * width
            memset(val, 0, rows * 2 * width * sizeof(real))
            i_start = 0
            while i_start < num_inp_nodes:
                i_stop = min(i_start + CHUNK, num_inp_nodes)
                for r in range(0, rows, 8):
                    if width == WIDE_PANEL:
                        _panel_block32(prev, num_inp_nodes, r, min(8, rows - r), lo,
                                       lo + num_inp_nodes * width, i_start, i_stop,
                                       <real (*)[32]>(val + r * 2 * width), rnd)
                    else:
                        _panel_block16(prev, num_inp_nodes, r, min(8, rows - r), lo,
                                       lo + num_inp_nodes * width, i_start, i_stop,
                                       <real (*)[16]>(val + r * 2 * width), rnd)
                i_start += CHUNK
            for r in range(rows):
                for k in range(2 * width):
                    o_idx = width * g + k
                    if o_idx < num_out_nodes:
                        act[r * num_out_nodes + o_idx] = val[r * 2 * width + k] + b[o_idx]
            g += 2
            continue
        r = 0
        while r < rows:
            n = min(per_pass, rows - r)  # rows in this pass
            _panel_pass(prev, num_inp_nodes, r, n, wp, g, num_inp_nodes, val, rnd)
            for q in range(n):
                for k in range(width):
                    o_idx = width * g + k
                    if o_idx < num_out_nodes:
                        act[(r + q) * num_out_nodes + o_idx] = val[q * width + k] + b[o_idx]
            r += n
        g += 1


# A mini-batch's forward pass, _rearranged.batch_forward: the sums of _panels_forward with
# the roles of rows and units swapped, the batch's rows packed in panels of 8 (float32: 16;
# prevp, zero padded by the caller) and eight (four) units of w a pass through each, blocks
# of a pass's units on threads OpenMP threads (the prange body is _batch_forward_units, so
# its sums stay private).
cdef void _batch_forward(const real* prev, const real* w, const real* b, real* act,
                         real* prevp, Py_ssize_t rows, Py_ssize_t num_inp_nodes,
                         Py_ssize_t num_out_nodes, int threads, rounding rnd) noexcept nogil:
    cdef Py_ssize_t q
    cdef Py_ssize_t width = _panel_width(act)
    cdef Py_ssize_t per_pass = _pass_rows(width)  # units
    _to_panels(prev, prevp, rows, num_inp_nodes, width)
    for q in prange((num_out_nodes + per_pass - 1) // per_pass, num_threads=threads,
                    schedule="static"):
        _batch_forward_units(w, b, act, prevp, per_pass * q, rows, num_inp_nodes,
                             num_out_nodes, rnd)


# one pass of _batch_forward, its units from o_idx on
cdef void _batch_forward_units(const real* w, const real* b, real* act, const real* prevp,
                               Py_ssize_t o_idx, Py_ssize_t rows, Py_ssize_t num_inp_nodes,
                               Py_ssize_t num_out_nodes, rounding rnd) noexcept nogil:
    cdef Py_ssize_t g, k, r, u
    cdef Py_ssize_t width = _panel_width(act)
    cdef Py_ssize_t per_pass = _pass_rows(width)
    cdef Py_ssize_t n = min(per_pass, num_out_nodes - o_idx)  # units in this pass
    cdef real val[64]  # val[u][k] at u * width + k
    for g in range((rows + width - 1) // width):
        _panel_pass(w, num_inp_nodes, o_idx, n, prevp, g, num_inp_nodes, val, rnd)
        for k in range(width):
            r = width * g + k
            if r < rows:
                for u in range(n):
                    act[r * num_out_nodes + o_idx + u] = val[u * width + k] + b[o_idx + u]


# _rearranged.pass_rows: rows (units, in the mini-batches) that a pass through one panel
# sums. Eight float64 rows need AVX-512's 32 registers (the 512-bit build, _cython_cpu.h).
cdef inline Py_ssize_t _pass_rows(Py_ssize_t width) noexcept nogil:
    return 8 if LOOPMLP_MANY_REGISTERS and width == PANEL else 4


# _rearranged.panel_pass: one pass through panel g, the kernel of _pass_rows for val's real
# (val: val[q][k] at q * width + k)
cdef inline void _panel_pass(const real* p, Py_ssize_t stride, Py_ssize_t first, Py_ssize_t n,
                             const real* wp, Py_ssize_t g, Py_ssize_t num_inp_nodes, real* val,
                             rounding rnd) noexcept nogil:
    if _panel_width(val) == WIDE_PANEL:
        _panel_block_wide(p, stride, first, n, wp, g, num_inp_nodes,
                          <real (*)[WIDE_PANEL]>val, rnd)
    elif LOOPMLP_MANY_REGISTERS:
        _panel_block(p, stride, first, n, wp, g, num_inp_nodes, <real (*)[PANEL]>val, rnd)
    else:
        _panel_block4(p, stride, first, n, wp, g, num_inp_nodes, <real (*)[PANEL]>val, rnd)


# _rearranged.panel_block: val[q][k] = sum_i p[(first + q) * stride + i] wp[g, i, k] for
# the n <= 8 vectors q of p from row first (a short pass repeats its last) and the 8
# columns k of panel g, num_inp_nodes terms each, in index order; every weight loaded
# serves 64 sums (gcc's SLP vectoriser puts each vector's 8 in SIMD registers, each lane
# exactly the scalar addition it replaces). (wp_gi is &wp[g, i_idx, 0].)
# Not inline: inlined into _batch_update_units, gcc's SLP vectoriser grouped the sums into
# vectors the way the grad stores wanted them, with shuffles and scalar lanes inside the
# loop; one compiled copy keeps the forward pass's grouping everywhere.
cdef void _panel_block(const real* p, Py_ssize_t stride, Py_ssize_t first, Py_ssize_t n,
                       const real* wp, Py_ssize_t g, Py_ssize_t num_inp_nodes,
                       real val[8][PANEL], rounding rnd) noexcept nogil:
    cdef Py_ssize_t i_idx
    cdef const real* wp_gi
    cdef real x, w0, w1, w2, w3, w4, w5, w6, w7
    cdef const real* pa = p + first * stride
    cdef const real* pb = p + (first + min(1, n - 1)) * stride
    cdef const real* pc = p + (first + min(2, n - 1)) * stride
    cdef const real* pd = p + (first + min(3, n - 1)) * stride
    cdef const real* pe = p + (first + min(4, n - 1)) * stride
    cdef const real* pf = p + (first + min(5, n - 1)) * stride
    cdef const real* ph = p + (first + min(6, n - 1)) * stride
    cdef const real* pk = p + (first + min(7, n - 1)) * stride
    cdef real a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0
    cdef real b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0
    cdef real c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0
    cdef real d0 = 0, d1 = 0, d2 = 0, d3 = 0, d4 = 0, d5 = 0, d6 = 0, d7 = 0
    cdef real e0 = 0, e1 = 0, e2 = 0, e3 = 0, e4 = 0, e5 = 0, e6 = 0, e7 = 0
    cdef real f0 = 0, f1 = 0, f2 = 0, f3 = 0, f4 = 0, f5 = 0, f6 = 0, f7 = 0
    cdef real h0 = 0, h1 = 0, h2 = 0, h3 = 0, h4 = 0, h5 = 0, h6 = 0, h7 = 0
    cdef real k0 = 0, k1 = 0, k2 = 0, k3 = 0, k4 = 0, k5 = 0, k6 = 0, k7 = 0
    for i_idx in range(num_inp_nodes):
        wp_gi = wp + (g * num_inp_nodes + i_idx) * PANEL
        w0 = wp_gi[0]; w1 = wp_gi[1]
        w2 = wp_gi[2]; w3 = wp_gi[3]
        w4 = wp_gi[4]; w5 = wp_gi[5]
        w6 = wp_gi[6]; w7 = wp_gi[7]
        x = pa[i_idx]
        a0 = _madd(x, w0, a0, rnd); a1 = _madd(x, w1, a1, rnd)
        a2 = _madd(x, w2, a2, rnd); a3 = _madd(x, w3, a3, rnd)
        a4 = _madd(x, w4, a4, rnd); a5 = _madd(x, w5, a5, rnd)
        a6 = _madd(x, w6, a6, rnd); a7 = _madd(x, w7, a7, rnd)
        x = pb[i_idx]
        b0 = _madd(x, w0, b0, rnd); b1 = _madd(x, w1, b1, rnd)
        b2 = _madd(x, w2, b2, rnd); b3 = _madd(x, w3, b3, rnd)
        b4 = _madd(x, w4, b4, rnd); b5 = _madd(x, w5, b5, rnd)
        b6 = _madd(x, w6, b6, rnd); b7 = _madd(x, w7, b7, rnd)
        x = pc[i_idx]
        c0 = _madd(x, w0, c0, rnd); c1 = _madd(x, w1, c1, rnd)
        c2 = _madd(x, w2, c2, rnd); c3 = _madd(x, w3, c3, rnd)
        c4 = _madd(x, w4, c4, rnd); c5 = _madd(x, w5, c5, rnd)
        c6 = _madd(x, w6, c6, rnd); c7 = _madd(x, w7, c7, rnd)
        x = pd[i_idx]
        d0 = _madd(x, w0, d0, rnd); d1 = _madd(x, w1, d1, rnd)
        d2 = _madd(x, w2, d2, rnd); d3 = _madd(x, w3, d3, rnd)
        d4 = _madd(x, w4, d4, rnd); d5 = _madd(x, w5, d5, rnd)
        d6 = _madd(x, w6, d6, rnd); d7 = _madd(x, w7, d7, rnd)
        x = pe[i_idx]
        e0 = _madd(x, w0, e0, rnd); e1 = _madd(x, w1, e1, rnd)
        e2 = _madd(x, w2, e2, rnd); e3 = _madd(x, w3, e3, rnd)
        e4 = _madd(x, w4, e4, rnd); e5 = _madd(x, w5, e5, rnd)
        e6 = _madd(x, w6, e6, rnd); e7 = _madd(x, w7, e7, rnd)
        x = pf[i_idx]
        f0 = _madd(x, w0, f0, rnd); f1 = _madd(x, w1, f1, rnd)
        f2 = _madd(x, w2, f2, rnd); f3 = _madd(x, w3, f3, rnd)
        f4 = _madd(x, w4, f4, rnd); f5 = _madd(x, w5, f5, rnd)
        f6 = _madd(x, w6, f6, rnd); f7 = _madd(x, w7, f7, rnd)
        x = ph[i_idx]
        h0 = _madd(x, w0, h0, rnd); h1 = _madd(x, w1, h1, rnd)
        h2 = _madd(x, w2, h2, rnd); h3 = _madd(x, w3, h3, rnd)
        h4 = _madd(x, w4, h4, rnd); h5 = _madd(x, w5, h5, rnd)
        h6 = _madd(x, w6, h6, rnd); h7 = _madd(x, w7, h7, rnd)
        x = pk[i_idx]
        k0 = _madd(x, w0, k0, rnd); k1 = _madd(x, w1, k1, rnd)
        k2 = _madd(x, w2, k2, rnd); k3 = _madd(x, w3, k3, rnd)
        k4 = _madd(x, w4, k4, rnd); k5 = _madd(x, w5, k5, rnd)
        k6 = _madd(x, w6, k6, rnd); k7 = _madd(x, w7, k7, rnd)
    val[0][0] = a0; val[0][1] = a1; val[0][2] = a2; val[0][3] = a3
    val[0][4] = a4; val[0][5] = a5; val[0][6] = a6; val[0][7] = a7
    val[1][0] = b0; val[1][1] = b1; val[1][2] = b2; val[1][3] = b3
    val[1][4] = b4; val[1][5] = b5; val[1][6] = b6; val[1][7] = b7
    val[2][0] = c0; val[2][1] = c1; val[2][2] = c2; val[2][3] = c3
    val[2][4] = c4; val[2][5] = c5; val[2][6] = c6; val[2][7] = c7
    val[3][0] = d0; val[3][1] = d1; val[3][2] = d2; val[3][3] = d3
    val[3][4] = d4; val[3][5] = d5; val[3][6] = d6; val[3][7] = d7
    val[4][0] = e0; val[4][1] = e1; val[4][2] = e2; val[4][3] = e3
    val[4][4] = e4; val[4][5] = e5; val[4][6] = e6; val[4][7] = e7
    val[5][0] = f0; val[5][1] = f1; val[5][2] = f2; val[5][3] = f3
    val[5][4] = f4; val[5][5] = f5; val[5][6] = f6; val[5][7] = f7
    val[6][0] = h0; val[6][1] = h1; val[6][2] = h2; val[6][3] = h3
    val[6][4] = h4; val[6][5] = h5; val[6][6] = h6; val[6][7] = h7
    val[7][0] = k0; val[7][1] = k1; val[7][2] = k2; val[7][3] = k3
    val[7][4] = k4; val[7][5] = k5; val[7][6] = k6; val[7][7] = k7


# _rearranged.panel_block4: _panel_block for four rows, in the builds with 16 vector
# registers: 8 vectors of sums, with room beside them for the weights, a row's value and
# the products (eight rows' 16 spilled). Not inline, as _panel_block.
cdef void _panel_block4(const real* p, Py_ssize_t stride, Py_ssize_t first, Py_ssize_t n,
                        const real* wp, Py_ssize_t g, Py_ssize_t num_inp_nodes,
                        real val[4][PANEL], rounding rnd) noexcept nogil:
    cdef Py_ssize_t i_idx
    cdef const real* wp_gi
    cdef real x, w0, w1, w2, w3, w4, w5, w6, w7
    cdef const real* pa = p + first * stride
    cdef const real* pb = p + (first + min(1, n - 1)) * stride
    cdef const real* pc = p + (first + min(2, n - 1)) * stride
    cdef const real* pd = p + (first + min(3, n - 1)) * stride
    cdef real a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0
    cdef real b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0
    cdef real c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0
    cdef real d0 = 0, d1 = 0, d2 = 0, d3 = 0, d4 = 0, d5 = 0, d6 = 0, d7 = 0
    for i_idx in range(num_inp_nodes):
        wp_gi = wp + (g * num_inp_nodes + i_idx) * PANEL
        w0 = wp_gi[0]; w1 = wp_gi[1]
        w2 = wp_gi[2]; w3 = wp_gi[3]
        w4 = wp_gi[4]; w5 = wp_gi[5]
        w6 = wp_gi[6]; w7 = wp_gi[7]
        x = pa[i_idx]
        a0 = _madd(x, w0, a0, rnd); a1 = _madd(x, w1, a1, rnd)
        a2 = _madd(x, w2, a2, rnd); a3 = _madd(x, w3, a3, rnd)
        a4 = _madd(x, w4, a4, rnd); a5 = _madd(x, w5, a5, rnd)
        a6 = _madd(x, w6, a6, rnd); a7 = _madd(x, w7, a7, rnd)
        x = pb[i_idx]
        b0 = _madd(x, w0, b0, rnd); b1 = _madd(x, w1, b1, rnd)
        b2 = _madd(x, w2, b2, rnd); b3 = _madd(x, w3, b3, rnd)
        b4 = _madd(x, w4, b4, rnd); b5 = _madd(x, w5, b5, rnd)
        b6 = _madd(x, w6, b6, rnd); b7 = _madd(x, w7, b7, rnd)
        x = pc[i_idx]
        c0 = _madd(x, w0, c0, rnd); c1 = _madd(x, w1, c1, rnd)
        c2 = _madd(x, w2, c2, rnd); c3 = _madd(x, w3, c3, rnd)
        c4 = _madd(x, w4, c4, rnd); c5 = _madd(x, w5, c5, rnd)
        c6 = _madd(x, w6, c6, rnd); c7 = _madd(x, w7, c7, rnd)
        x = pd[i_idx]
        d0 = _madd(x, w0, d0, rnd); d1 = _madd(x, w1, d1, rnd)
        d2 = _madd(x, w2, d2, rnd); d3 = _madd(x, w3, d3, rnd)
        d4 = _madd(x, w4, d4, rnd); d5 = _madd(x, w5, d5, rnd)
        d6 = _madd(x, w6, d6, rnd); d7 = _madd(x, w7, d7, rnd)
    val[0][0] = a0; val[0][1] = a1; val[0][2] = a2; val[0][3] = a3
    val[0][4] = a4; val[0][5] = a5; val[0][6] = a6; val[0][7] = a7
    val[1][0] = b0; val[1][1] = b1; val[1][2] = b2; val[1][3] = b3
    val[1][4] = b4; val[1][5] = b5; val[1][6] = b6; val[1][7] = b7
    val[2][0] = c0; val[2][1] = c1; val[2][2] = c2; val[2][3] = c3
    val[2][4] = c4; val[2][5] = c5; val[2][6] = c6; val[2][7] = c7
    val[3][0] = d0; val[3][1] = d1; val[3][2] = d2; val[3][3] = d3
    val[3][4] = d4; val[3][5] = d5; val[3][6] = d6; val[3][7] = d7


# _rearranged.panel_block_wide: _panel_block for float32 and panels of 16 columns, the
# n <= 4 vectors q of p from row first (a vector's 16 float32 sums: two 256-bit registers
# in the builds here, setup.py).
cdef void _panel_block_wide(const real* p, Py_ssize_t stride, Py_ssize_t first, Py_ssize_t n,
                            const real* wp, Py_ssize_t g, Py_ssize_t num_inp_nodes,
                            real val[4][WIDE_PANEL], rounding rnd) noexcept nogil:
    cdef Py_ssize_t i_idx
    cdef const real* wp_gi
    cdef real x, w0, w1, w2, w3, w4, w5, w6, w7
    cdef real w8, w9, w10, w11, w12, w13, w14, w15
    cdef const real* pa = p + first * stride
    cdef const real* pb = p + (first + min(1, n - 1)) * stride
    cdef const real* pc = p + (first + min(2, n - 1)) * stride
    cdef const real* pd = p + (first + min(3, n - 1)) * stride
    cdef real a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0
    cdef real a8 = 0, a9 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0, a14 = 0, a15 = 0
    cdef real b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0
    cdef real b8 = 0, b9 = 0, b10 = 0, b11 = 0, b12 = 0, b13 = 0, b14 = 0, b15 = 0
    cdef real c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0
    cdef real c8 = 0, c9 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0
    cdef real d0 = 0, d1 = 0, d2 = 0, d3 = 0, d4 = 0, d5 = 0, d6 = 0, d7 = 0
    cdef real d8 = 0, d9 = 0, d10 = 0, d11 = 0, d12 = 0, d13 = 0, d14 = 0, d15 = 0
    for i_idx in range(num_inp_nodes):
        wp_gi = wp + (g * num_inp_nodes + i_idx) * WIDE_PANEL
        w0 = wp_gi[0]; w1 = wp_gi[1]; w2 = wp_gi[2]; w3 = wp_gi[3]
        w4 = wp_gi[4]; w5 = wp_gi[5]; w6 = wp_gi[6]; w7 = wp_gi[7]
        w8 = wp_gi[8]; w9 = wp_gi[9]; w10 = wp_gi[10]; w11 = wp_gi[11]
        w12 = wp_gi[12]; w13 = wp_gi[13]; w14 = wp_gi[14]; w15 = wp_gi[15]
        x = pa[i_idx]
        a0 = _madd(x, w0, a0, rnd); a1 = _madd(x, w1, a1, rnd)
        a2 = _madd(x, w2, a2, rnd); a3 = _madd(x, w3, a3, rnd)
        a4 = _madd(x, w4, a4, rnd); a5 = _madd(x, w5, a5, rnd)
        a6 = _madd(x, w6, a6, rnd); a7 = _madd(x, w7, a7, rnd)
        a8 = _madd(x, w8, a8, rnd); a9 = _madd(x, w9, a9, rnd)
        a10 = _madd(x, w10, a10, rnd); a11 = _madd(x, w11, a11, rnd)
        a12 = _madd(x, w12, a12, rnd); a13 = _madd(x, w13, a13, rnd)
        a14 = _madd(x, w14, a14, rnd); a15 = _madd(x, w15, a15, rnd)
        x = pb[i_idx]
        b0 = _madd(x, w0, b0, rnd); b1 = _madd(x, w1, b1, rnd)
        b2 = _madd(x, w2, b2, rnd); b3 = _madd(x, w3, b3, rnd)
        b4 = _madd(x, w4, b4, rnd); b5 = _madd(x, w5, b5, rnd)
        b6 = _madd(x, w6, b6, rnd); b7 = _madd(x, w7, b7, rnd)
        b8 = _madd(x, w8, b8, rnd); b9 = _madd(x, w9, b9, rnd)
        b10 = _madd(x, w10, b10, rnd); b11 = _madd(x, w11, b11, rnd)
        b12 = _madd(x, w12, b12, rnd); b13 = _madd(x, w13, b13, rnd)
        b14 = _madd(x, w14, b14, rnd); b15 = _madd(x, w15, b15, rnd)
        x = pc[i_idx]
        c0 = _madd(x, w0, c0, rnd); c1 = _madd(x, w1, c1, rnd)
        c2 = _madd(x, w2, c2, rnd); c3 = _madd(x, w3, c3, rnd)
        c4 = _madd(x, w4, c4, rnd); c5 = _madd(x, w5, c5, rnd)
        c6 = _madd(x, w6, c6, rnd); c7 = _madd(x, w7, c7, rnd)
        c8 = _madd(x, w8, c8, rnd); c9 = _madd(x, w9, c9, rnd)
        c10 = _madd(x, w10, c10, rnd); c11 = _madd(x, w11, c11, rnd)
        c12 = _madd(x, w12, c12, rnd); c13 = _madd(x, w13, c13, rnd)
        c14 = _madd(x, w14, c14, rnd); c15 = _madd(x, w15, c15, rnd)
        x = pd[i_idx]
        d0 = _madd(x, w0, d0, rnd); d1 = _madd(x, w1, d1, rnd)
        d2 = _madd(x, w2, d2, rnd); d3 = _madd(x, w3, d3, rnd)
        d4 = _madd(x, w4, d4, rnd); d5 = _madd(x, w5, d5, rnd)
        d6 = _madd(x, w6, d6, rnd); d7 = _madd(x, w7, d7, rnd)
        d8 = _madd(x, w8, d8, rnd); d9 = _madd(x, w9, d9, rnd)
        d10 = _madd(x, w10, d10, rnd); d11 = _madd(x, w11, d11, rnd)
        d12 = _madd(x, w12, d12, rnd); d13 = _madd(x, w13, d13, rnd)
        d14 = _madd(x, w14, d14, rnd); d15 = _madd(x, w15, d15, rnd)
    val[0][0] = a0; val[0][1] = a1; val[0][2] = a2; val[0][3] = a3
    val[0][4] = a4; val[0][5] = a5; val[0][6] = a6; val[0][7] = a7
    val[0][8] = a8; val[0][9] = a9; val[0][10] = a10; val[0][11] = a11
    val[0][12] = a12; val[0][13] = a13; val[0][14] = a14; val[0][15] = a15
    val[1][0] = b0; val[1][1] = b1; val[1][2] = b2; val[1][3] = b3
    val[1][4] = b4; val[1][5] = b5; val[1][6] = b6; val[1][7] = b7
    val[1][8] = b8; val[1][9] = b9; val[1][10] = b10; val[1][11] = b11
    val[1][12] = b12; val[1][13] = b13; val[1][14] = b14; val[1][15] = b15
    val[2][0] = c0; val[2][1] = c1; val[2][2] = c2; val[2][3] = c3
    val[2][4] = c4; val[2][5] = c5; val[2][6] = c6; val[2][7] = c7
    val[2][8] = c8; val[2][9] = c9; val[2][10] = c10; val[2][11] = c11
    val[2][12] = c12; val[2][13] = c13; val[2][14] = c14; val[2][15] = c15
    val[3][0] = d0; val[3][1] = d1; val[3][2] = d2; val[3][3] = d3
    val[3][4] = d4; val[3][5] = d5; val[3][6] = d6; val[3][7] = d7
    val[3][8] = d8; val[3][9] = d9; val[3][10] = d10; val[3][11] = d11
    val[3][12] = d12; val[3][13] = d13; val[3][14] = d14; val[3][15] = d15


# Eight rows through the sixteen columns of two float64 panels, in the 512-bit build
# (LOOPMLP_MANY_REGISTERS, _cython_cpu.h): _panel_block's sums, twice as many a pass, so
# that each of a row's values loaded serves 16 sums and 16 independent vectors of sums hide
# an FMA's latency. Column k < 8 is lo[i_idx * PANEL + k] (panel g), k >= 8
# hi[i_idx * PANEL + k - 8] (panel g + 1). val[q][k] = sum_i p[(first + q) * stride + i]
# column k at i, for the n <= 8 vectors q of p from row first (a short pass repeats its
# last), in index order, as _panel_block's; this call adds the terms i_start <= i < i_stop
# to the sums val holds.
cdef void _panel_block16(const real* p, Py_ssize_t stride, Py_ssize_t first, Py_ssize_t n,
                         const real* lo, const real* hi, Py_ssize_t i_start,
                         Py_ssize_t i_stop, real val[8][16], rounding rnd) noexcept nogil:
    cdef Py_ssize_t i_idx
    cdef const real* lo_i
    cdef const real* hi_i
    cdef real x, w0, w1, w2, w3, w4, w5, w6, w7
    cdef real w8, w9, w10, w11, w12, w13, w14, w15
    cdef const real* pa = p + first * stride
    cdef const real* pb = p + (first + min(1, n - 1)) * stride
    cdef const real* pc = p + (first + min(2, n - 1)) * stride
    cdef const real* pd = p + (first + min(3, n - 1)) * stride
    cdef const real* pe = p + (first + min(4, n - 1)) * stride
    cdef const real* pf = p + (first + min(5, n - 1)) * stride
    cdef const real* ph = p + (first + min(6, n - 1)) * stride
    cdef const real* pk = p + (first + min(7, n - 1)) * stride
    cdef real a0 = val[0][0], a1 = val[0][1], a2 = val[0][2], a3 = val[0][3]
    cdef real a4 = val[0][4], a5 = val[0][5], a6 = val[0][6], a7 = val[0][7]
    cdef real a8 = val[0][8], a9 = val[0][9], a10 = val[0][10], a11 = val[0][11]
    cdef real a12 = val[0][12], a13 = val[0][13], a14 = val[0][14], a15 = val[0][15]
    cdef real b0 = val[1][0], b1 = val[1][1], b2 = val[1][2], b3 = val[1][3]
    cdef real b4 = val[1][4], b5 = val[1][5], b6 = val[1][6], b7 = val[1][7]
    cdef real b8 = val[1][8], b9 = val[1][9], b10 = val[1][10], b11 = val[1][11]
    cdef real b12 = val[1][12], b13 = val[1][13], b14 = val[1][14], b15 = val[1][15]
    cdef real c0 = val[2][0], c1 = val[2][1], c2 = val[2][2], c3 = val[2][3]
    cdef real c4 = val[2][4], c5 = val[2][5], c6 = val[2][6], c7 = val[2][7]
    cdef real c8 = val[2][8], c9 = val[2][9], c10 = val[2][10], c11 = val[2][11]
    cdef real c12 = val[2][12], c13 = val[2][13], c14 = val[2][14], c15 = val[2][15]
    cdef real d0 = val[3][0], d1 = val[3][1], d2 = val[3][2], d3 = val[3][3]
    cdef real d4 = val[3][4], d5 = val[3][5], d6 = val[3][6], d7 = val[3][7]
    cdef real d8 = val[3][8], d9 = val[3][9], d10 = val[3][10], d11 = val[3][11]
    cdef real d12 = val[3][12], d13 = val[3][13], d14 = val[3][14], d15 = val[3][15]
    cdef real e0 = val[4][0], e1 = val[4][1], e2 = val[4][2], e3 = val[4][3]
    cdef real e4 = val[4][4], e5 = val[4][5], e6 = val[4][6], e7 = val[4][7]
    cdef real e8 = val[4][8], e9 = val[4][9], e10 = val[4][10], e11 = val[4][11]
    cdef real e12 = val[4][12], e13 = val[4][13], e14 = val[4][14], e15 = val[4][15]
    cdef real f0 = val[5][0], f1 = val[5][1], f2 = val[5][2], f3 = val[5][3]
    cdef real f4 = val[5][4], f5 = val[5][5], f6 = val[5][6], f7 = val[5][7]
    cdef real f8 = val[5][8], f9 = val[5][9], f10 = val[5][10], f11 = val[5][11]
    cdef real f12 = val[5][12], f13 = val[5][13], f14 = val[5][14], f15 = val[5][15]
    cdef real h0 = val[6][0], h1 = val[6][1], h2 = val[6][2], h3 = val[6][3]
    cdef real h4 = val[6][4], h5 = val[6][5], h6 = val[6][6], h7 = val[6][7]
    cdef real h8 = val[6][8], h9 = val[6][9], h10 = val[6][10], h11 = val[6][11]
    cdef real h12 = val[6][12], h13 = val[6][13], h14 = val[6][14], h15 = val[6][15]
    cdef real k0 = val[7][0], k1 = val[7][1], k2 = val[7][2], k3 = val[7][3]
    cdef real k4 = val[7][4], k5 = val[7][5], k6 = val[7][6], k7 = val[7][7]
    cdef real k8 = val[7][8], k9 = val[7][9], k10 = val[7][10], k11 = val[7][11]
    cdef real k12 = val[7][12], k13 = val[7][13], k14 = val[7][14], k15 = val[7][15]
    for i_idx in range(i_start, i_stop):
        lo_i = lo + i_idx * PANEL
        hi_i = hi + i_idx * PANEL
        w0 = lo_i[0]; w1 = lo_i[1]; w2 = lo_i[2]; w3 = lo_i[3]
        w4 = lo_i[4]; w5 = lo_i[5]; w6 = lo_i[6]; w7 = lo_i[7]
        w8 = hi_i[0]; w9 = hi_i[1]; w10 = hi_i[2]; w11 = hi_i[3]
        w12 = hi_i[4]; w13 = hi_i[5]; w14 = hi_i[6]; w15 = hi_i[7]
        x = pa[i_idx]
        a0 = _madd(x, w0, a0, rnd); a1 = _madd(x, w1, a1, rnd)
        a2 = _madd(x, w2, a2, rnd); a3 = _madd(x, w3, a3, rnd)
        a4 = _madd(x, w4, a4, rnd); a5 = _madd(x, w5, a5, rnd)
        a6 = _madd(x, w6, a6, rnd); a7 = _madd(x, w7, a7, rnd)
        a8 = _madd(x, w8, a8, rnd); a9 = _madd(x, w9, a9, rnd)
        a10 = _madd(x, w10, a10, rnd); a11 = _madd(x, w11, a11, rnd)
        a12 = _madd(x, w12, a12, rnd); a13 = _madd(x, w13, a13, rnd)
        a14 = _madd(x, w14, a14, rnd); a15 = _madd(x, w15, a15, rnd)
        x = pb[i_idx]
        b0 = _madd(x, w0, b0, rnd); b1 = _madd(x, w1, b1, rnd)
        b2 = _madd(x, w2, b2, rnd); b3 = _madd(x, w3, b3, rnd)
        b4 = _madd(x, w4, b4, rnd); b5 = _madd(x, w5, b5, rnd)
        b6 = _madd(x, w6, b6, rnd); b7 = _madd(x, w7, b7, rnd)
        b8 = _madd(x, w8, b8, rnd); b9 = _madd(x, w9, b9, rnd)
        b10 = _madd(x, w10, b10, rnd); b11 = _madd(x, w11, b11, rnd)
        b12 = _madd(x, w12, b12, rnd); b13 = _madd(x, w13, b13, rnd)
        b14 = _madd(x, w14, b14, rnd); b15 = _madd(x, w15, b15, rnd)
        x = pc[i_idx]
        c0 = _madd(x, w0, c0, rnd); c1 = _madd(x, w1, c1, rnd)
        c2 = _madd(x, w2, c2, rnd); c3 = _madd(x, w3, c3, rnd)
        c4 = _madd(x, w4, c4, rnd); c5 = _madd(x, w5, c5, rnd)
        c6 = _madd(x, w6, c6, rnd); c7 = _madd(x, w7, c7, rnd)
        c8 = _madd(x, w8, c8, rnd); c9 = _madd(x, w9, c9, rnd)
        c10 = _madd(x, w10, c10, rnd); c11 = _madd(x, w11, c11, rnd)
        c12 = _madd(x, w12, c12, rnd); c13 = _madd(x, w13, c13, rnd)
        c14 = _madd(x, w14, c14, rnd); c15 = _madd(x, w15, c15, rnd)
        x = pd[i_idx]
        d0 = _madd(x, w0, d0, rnd); d1 = _madd(x, w1, d1, rnd)
        d2 = _madd(x, w2, d2, rnd); d3 = _madd(x, w3, d3, rnd)
        d4 = _madd(x, w4, d4, rnd); d5 = _madd(x, w5, d5, rnd)
        d6 = _madd(x, w6, d6, rnd); d7 = _madd(x, w7, d7, rnd)
        d8 = _madd(x, w8, d8, rnd); d9 = _madd(x, w9, d9, rnd)
        d10 = _madd(x, w10, d10, rnd); d11 = _madd(x, w11, d11, rnd)
        d12 = _madd(x, w12, d12, rnd); d13 = _madd(x, w13, d13, rnd)
        d14 = _madd(x, w14, d14, rnd); d15 = _madd(x, w15, d15, rnd)
        x = pe[i_idx]
        e0 = _madd(x, w0, e0, rnd); e1 = _madd(x, w1, e1, rnd)
        e2 = _madd(x, w2, e2, rnd); e3 = _madd(x, w3, e3, rnd)
        e4 = _madd(x, w4, e4, rnd); e5 = _madd(x, w5, e5, rnd)
        e6 = _madd(x, w6, e6, rnd); e7 = _madd(x, w7, e7, rnd)
        e8 = _madd(x, w8, e8, rnd); e9 = _madd(x, w9, e9, rnd)
        e10 = _madd(x, w10, e10, rnd); e11 = _madd(x, w11, e11, rnd)
        e12 = _madd(x, w12, e12, rnd); e13 = _madd(x, w13, e13, rnd)
        e14 = _madd(x, w14, e14, rnd); e15 = _madd(x, w15, e15, rnd)
        x = pf[i_idx]
        f0 = _madd(x, w0, f0, rnd); f1 = _madd(x, w1, f1, rnd)
        f2 = _madd(x, w2, f2, rnd); f3 = _madd(x, w3, f3, rnd)
        f4 = _madd(x, w4, f4, rnd); f5 = _madd(x, w5, f5, rnd)
        f6 = _madd(x, w6, f6, rnd); f7 = _madd(x, w7, f7, rnd)
        f8 = _madd(x, w8, f8, rnd); f9 = _madd(x, w9, f9, rnd)
        f10 = _madd(x, w10, f10, rnd); f11 = _madd(x, w11, f11, rnd)
        f12 = _madd(x, w12, f12, rnd); f13 = _madd(x, w13, f13, rnd)
        f14 = _madd(x, w14, f14, rnd); f15 = _madd(x, w15, f15, rnd)
        x = ph[i_idx]
        h0 = _madd(x, w0, h0, rnd); h1 = _madd(x, w1, h1, rnd)
        h2 = _madd(x, w2, h2, rnd); h3 = _madd(x, w3, h3, rnd)
        h4 = _madd(x, w4, h4, rnd); h5 = _madd(x, w5, h5, rnd)
        h6 = _madd(x, w6, h6, rnd); h7 = _madd(x, w7, h7, rnd)
        h8 = _madd(x, w8, h8, rnd); h9 = _madd(x, w9, h9, rnd)
        h10 = _madd(x, w10, h10, rnd); h11 = _madd(x, w11, h11, rnd)
        h12 = _madd(x, w12, h12, rnd); h13 = _madd(x, w13, h13, rnd)
        h14 = _madd(x, w14, h14, rnd); h15 = _madd(x, w15, h15, rnd)
        x = pk[i_idx]
        k0 = _madd(x, w0, k0, rnd); k1 = _madd(x, w1, k1, rnd)
        k2 = _madd(x, w2, k2, rnd); k3 = _madd(x, w3, k3, rnd)
        k4 = _madd(x, w4, k4, rnd); k5 = _madd(x, w5, k5, rnd)
        k6 = _madd(x, w6, k6, rnd); k7 = _madd(x, w7, k7, rnd)
        k8 = _madd(x, w8, k8, rnd); k9 = _madd(x, w9, k9, rnd)
        k10 = _madd(x, w10, k10, rnd); k11 = _madd(x, w11, k11, rnd)
        k12 = _madd(x, w12, k12, rnd); k13 = _madd(x, w13, k13, rnd)
        k14 = _madd(x, w14, k14, rnd); k15 = _madd(x, w15, k15, rnd)
    val[0][0] = a0; val[0][1] = a1; val[0][2] = a2; val[0][3] = a3
    val[0][4] = a4; val[0][5] = a5; val[0][6] = a6; val[0][7] = a7
    val[0][8] = a8; val[0][9] = a9; val[0][10] = a10; val[0][11] = a11
    val[0][12] = a12; val[0][13] = a13; val[0][14] = a14; val[0][15] = a15
    val[1][0] = b0; val[1][1] = b1; val[1][2] = b2; val[1][3] = b3
    val[1][4] = b4; val[1][5] = b5; val[1][6] = b6; val[1][7] = b7
    val[1][8] = b8; val[1][9] = b9; val[1][10] = b10; val[1][11] = b11
    val[1][12] = b12; val[1][13] = b13; val[1][14] = b14; val[1][15] = b15
    val[2][0] = c0; val[2][1] = c1; val[2][2] = c2; val[2][3] = c3
    val[2][4] = c4; val[2][5] = c5; val[2][6] = c6; val[2][7] = c7
    val[2][8] = c8; val[2][9] = c9; val[2][10] = c10; val[2][11] = c11
    val[2][12] = c12; val[2][13] = c13; val[2][14] = c14; val[2][15] = c15
    val[3][0] = d0; val[3][1] = d1; val[3][2] = d2; val[3][3] = d3
    val[3][4] = d4; val[3][5] = d5; val[3][6] = d6; val[3][7] = d7
    val[3][8] = d8; val[3][9] = d9; val[3][10] = d10; val[3][11] = d11
    val[3][12] = d12; val[3][13] = d13; val[3][14] = d14; val[3][15] = d15
    val[4][0] = e0; val[4][1] = e1; val[4][2] = e2; val[4][3] = e3
    val[4][4] = e4; val[4][5] = e5; val[4][6] = e6; val[4][7] = e7
    val[4][8] = e8; val[4][9] = e9; val[4][10] = e10; val[4][11] = e11
    val[4][12] = e12; val[4][13] = e13; val[4][14] = e14; val[4][15] = e15
    val[5][0] = f0; val[5][1] = f1; val[5][2] = f2; val[5][3] = f3
    val[5][4] = f4; val[5][5] = f5; val[5][6] = f6; val[5][7] = f7
    val[5][8] = f8; val[5][9] = f9; val[5][10] = f10; val[5][11] = f11
    val[5][12] = f12; val[5][13] = f13; val[5][14] = f14; val[5][15] = f15
    val[6][0] = h0; val[6][1] = h1; val[6][2] = h2; val[6][3] = h3
    val[6][4] = h4; val[6][5] = h5; val[6][6] = h6; val[6][7] = h7
    val[6][8] = h8; val[6][9] = h9; val[6][10] = h10; val[6][11] = h11
    val[6][12] = h12; val[6][13] = h13; val[6][14] = h14; val[6][15] = h15
    val[7][0] = k0; val[7][1] = k1; val[7][2] = k2; val[7][3] = k3
    val[7][4] = k4; val[7][5] = k5; val[7][6] = k6; val[7][7] = k7
    val[7][8] = k8; val[7][9] = k9; val[7][10] = k10; val[7][11] = k11
    val[7][12] = k12; val[7][13] = k13; val[7][14] = k14; val[7][15] = k15


# _panel_block16 for float32's two wide panels: eight rows through 32 columns, column
# k < 16 lo[i_idx * WIDE_PANEL + k] (panel g), k >= 16 hi[i_idx * WIDE_PANEL + k - 16]
# (panel g + 1); 16 vectors of sums again, of 16 lanes each.
cdef void _panel_block32(const real* p, Py_ssize_t stride, Py_ssize_t first, Py_ssize_t n,
                         const real* lo, const real* hi, Py_ssize_t i_start, Py_ssize_t i_stop,
                         real val[8][32], rounding rnd) noexcept nogil:
    cdef Py_ssize_t i_idx
    cdef const real* lo_i
    cdef const real* hi_i
    cdef real x
    cdef real w0, w1, w2, w3, w4, w5, w6, w7
    cdef real w8, w9, w10, w11, w12, w13, w14, w15
    cdef real w16, w17, w18, w19, w20, w21, w22, w23
    cdef real w24, w25, w26, w27, w28, w29, w30, w31
    cdef const real* pa = p + first * stride
    cdef const real* pb = p + (first + min(1, n - 1)) * stride
    cdef const real* pc = p + (first + min(2, n - 1)) * stride
    cdef const real* pd = p + (first + min(3, n - 1)) * stride
    cdef const real* pe = p + (first + min(4, n - 1)) * stride
    cdef const real* pf = p + (first + min(5, n - 1)) * stride
    cdef const real* ph = p + (first + min(6, n - 1)) * stride
    cdef const real* pk = p + (first + min(7, n - 1)) * stride
    cdef real a0 = val[0][0], a1 = val[0][1], a2 = val[0][2], a3 = val[0][3]
    cdef real a4 = val[0][4], a5 = val[0][5], a6 = val[0][6], a7 = val[0][7]
    cdef real a8 = val[0][8], a9 = val[0][9], a10 = val[0][10], a11 = val[0][11]
    cdef real a12 = val[0][12], a13 = val[0][13], a14 = val[0][14], a15 = val[0][15]
    cdef real a16 = val[0][16], a17 = val[0][17], a18 = val[0][18], a19 = val[0][19]
    cdef real a20 = val[0][20], a21 = val[0][21], a22 = val[0][22], a23 = val[0][23]
    cdef real a24 = val[0][24], a25 = val[0][25], a26 = val[0][26], a27 = val[0][27]
    cdef real a28 = val[0][28], a29 = val[0][29], a30 = val[0][30], a31 = val[0][31]
    cdef real b0 = val[1][0], b1 = val[1][1], b2 = val[1][2], b3 = val[1][3]
    cdef real b4 = val[1][4], b5 = val[1][5], b6 = val[1][6], b7 = val[1][7]
    cdef real b8 = val[1][8], b9 = val[1][9], b10 = val[1][10], b11 = val[1][11]
    cdef real b12 = val[1][12], b13 = val[1][13], b14 = val[1][14], b15 = val[1][15]
    cdef real b16 = val[1][16], b17 = val[1][17], b18 = val[1][18], b19 = val[1][19]
    cdef real b20 = val[1][20], b21 = val[1][21], b22 = val[1][22], b23 = val[1][23]
    cdef real b24 = val[1][24], b25 = val[1][25], b26 = val[1][26], b27 = val[1][27]
    cdef real b28 = val[1][28], b29 = val[1][29], b30 = val[1][30], b31 = val[1][31]
    cdef real c0 = val[2][0], c1 = val[2][1], c2 = val[2][2], c3 = val[2][3]
    cdef real c4 = val[2][4], c5 = val[2][5], c6 = val[2][6], c7 = val[2][7]
    cdef real c8 = val[2][8], c9 = val[2][9], c10 = val[2][10], c11 = val[2][11]
    cdef real c12 = val[2][12], c13 = val[2][13], c14 = val[2][14], c15 = val[2][15]
    cdef real c16 = val[2][16], c17 = val[2][17], c18 = val[2][18], c19 = val[2][19]
    cdef real c20 = val[2][20], c21 = val[2][21], c22 = val[2][22], c23 = val[2][23]
    cdef real c24 = val[2][24], c25 = val[2][25], c26 = val[2][26], c27 = val[2][27]
    cdef real c28 = val[2][28], c29 = val[2][29], c30 = val[2][30], c31 = val[2][31]
    cdef real d0 = val[3][0], d1 = val[3][1], d2 = val[3][2], d3 = val[3][3]
    cdef real d4 = val[3][4], d5 = val[3][5], d6 = val[3][6], d7 = val[3][7]
    cdef real d8 = val[3][8], d9 = val[3][9], d10 = val[3][10], d11 = val[3][11]
    cdef real d12 = val[3][12], d13 = val[3][13], d14 = val[3][14], d15 = val[3][15]
    cdef real d16 = val[3][16], d17 = val[3][17], d18 = val[3][18], d19 = val[3][19]
    cdef real d20 = val[3][20], d21 = val[3][21], d22 = val[3][22], d23 = val[3][23]
    cdef real d24 = val[3][24], d25 = val[3][25], d26 = val[3][26], d27 = val[3][27]
    cdef real d28 = val[3][28], d29 = val[3][29], d30 = val[3][30], d31 = val[3][31]
    cdef real e0 = val[4][0], e1 = val[4][1], e2 = val[4][2], e3 = val[4][3]
    cdef real e4 = val[4][4], e5 = val[4][5], e6 = val[4][6], e7 = val[4][7]
    cdef real e8 = val[4][8], e9 = val[4][9], e10 = val[4][10], e11 = val[4][11]
    cdef real e12 = val[4][12], e13 = val[4][13], e14 = val[4][14], e15 = val[4][15]
    cdef real e16 = val[4][16], e17 = val[4][17], e18 = val[4][18], e19 = val[4][19]
    cdef real e20 = val[4][20], e21 = val[4][21], e22 = val[4][22], e23 = val[4][23]
    cdef real e24 = val[4][24], e25 = val[4][25], e26 = val[4][26], e27 = val[4][27]
    cdef real e28 = val[4][28], e29 = val[4][29], e30 = val[4][30], e31 = val[4][31]
    cdef real f0 = val[5][0], f1 = val[5][1], f2 = val[5][2], f3 = val[5][3]
    cdef real f4 = val[5][4], f5 = val[5][5], f6 = val[5][6], f7 = val[5][7]
    cdef real f8 = val[5][8], f9 = val[5][9], f10 = val[5][10], f11 = val[5][11]
    cdef real f12 = val[5][12], f13 = val[5][13], f14 = val[5][14], f15 = val[5][15]
    cdef real f16 = val[5][16], f17 = val[5][17], f18 = val[5][18], f19 = val[5][19]
    cdef real f20 = val[5][20], f21 = val[5][21], f22 = val[5][22], f23 = val[5][23]
    cdef real f24 = val[5][24], f25 = val[5][25], f26 = val[5][26], f27 = val[5][27]
    cdef real f28 = val[5][28], f29 = val[5][29], f30 = val[5][30], f31 = val[5][31]
    cdef real h0 = val[6][0], h1 = val[6][1], h2 = val[6][2], h3 = val[6][3]
    cdef real h4 = val[6][4], h5 = val[6][5], h6 = val[6][6], h7 = val[6][7]
    cdef real h8 = val[6][8], h9 = val[6][9], h10 = val[6][10], h11 = val[6][11]
    cdef real h12 = val[6][12], h13 = val[6][13], h14 = val[6][14], h15 = val[6][15]
    cdef real h16 = val[6][16], h17 = val[6][17], h18 = val[6][18], h19 = val[6][19]
    cdef real h20 = val[6][20], h21 = val[6][21], h22 = val[6][22], h23 = val[6][23]
    cdef real h24 = val[6][24], h25 = val[6][25], h26 = val[6][26], h27 = val[6][27]
    cdef real h28 = val[6][28], h29 = val[6][29], h30 = val[6][30], h31 = val[6][31]
    cdef real k0 = val[7][0], k1 = val[7][1], k2 = val[7][2], k3 = val[7][3]
    cdef real k4 = val[7][4], k5 = val[7][5], k6 = val[7][6], k7 = val[7][7]
    cdef real k8 = val[7][8], k9 = val[7][9], k10 = val[7][10], k11 = val[7][11]
    cdef real k12 = val[7][12], k13 = val[7][13], k14 = val[7][14], k15 = val[7][15]
    cdef real k16 = val[7][16], k17 = val[7][17], k18 = val[7][18], k19 = val[7][19]
    cdef real k20 = val[7][20], k21 = val[7][21], k22 = val[7][22], k23 = val[7][23]
    cdef real k24 = val[7][24], k25 = val[7][25], k26 = val[7][26], k27 = val[7][27]
    cdef real k28 = val[7][28], k29 = val[7][29], k30 = val[7][30], k31 = val[7][31]
    for i_idx in range(i_start, i_stop):
        lo_i = lo + i_idx * WIDE_PANEL
        hi_i = hi + i_idx * WIDE_PANEL
        w0 = lo_i[0]; w1 = lo_i[1]; w2 = lo_i[2]; w3 = lo_i[3]
        w4 = lo_i[4]; w5 = lo_i[5]; w6 = lo_i[6]; w7 = lo_i[7]
        w8 = lo_i[8]; w9 = lo_i[9]; w10 = lo_i[10]; w11 = lo_i[11]
        w12 = lo_i[12]; w13 = lo_i[13]; w14 = lo_i[14]; w15 = lo_i[15]
        w16 = hi_i[0]; w17 = hi_i[1]; w18 = hi_i[2]; w19 = hi_i[3]
        w20 = hi_i[4]; w21 = hi_i[5]; w22 = hi_i[6]; w23 = hi_i[7]
        w24 = hi_i[8]; w25 = hi_i[9]; w26 = hi_i[10]; w27 = hi_i[11]
        w28 = hi_i[12]; w29 = hi_i[13]; w30 = hi_i[14]; w31 = hi_i[15]
        x = pa[i_idx]
        a0 = _madd(x, w0, a0, rnd); a1 = _madd(x, w1, a1, rnd)
        a2 = _madd(x, w2, a2, rnd); a3 = _madd(x, w3, a3, rnd)
        a4 = _madd(x, w4, a4, rnd); a5 = _madd(x, w5, a5, rnd)
        a6 = _madd(x, w6, a6, rnd); a7 = _madd(x, w7, a7, rnd)
        a8 = _madd(x, w8, a8, rnd); a9 = _madd(x, w9, a9, rnd)
        a10 = _madd(x, w10, a10, rnd); a11 = _madd(x, w11, a11, rnd)
        a12 = _madd(x, w12, a12, rnd); a13 = _madd(x, w13, a13, rnd)
        a14 = _madd(x, w14, a14, rnd); a15 = _madd(x, w15, a15, rnd)
        a16 = _madd(x, w16, a16, rnd); a17 = _madd(x, w17, a17, rnd)
        a18 = _madd(x, w18, a18, rnd); a19 = _madd(x, w19, a19, rnd)
        a20 = _madd(x, w20, a20, rnd); a21 = _madd(x, w21, a21, rnd)
        a22 = _madd(x, w22, a22, rnd); a23 = _madd(x, w23, a23, rnd)
        a24 = _madd(x, w24, a24, rnd); a25 = _madd(x, w25, a25, rnd)
        a26 = _madd(x, w26, a26, rnd); a27 = _madd(x, w27, a27, rnd)
        a28 = _madd(x, w28, a28, rnd); a29 = _madd(x, w29, a29, rnd)
        a30 = _madd(x, w30, a30, rnd); a31 = _madd(x, w31, a31, rnd)
        x = pb[i_idx]
        b0 = _madd(x, w0, b0, rnd); b1 = _madd(x, w1, b1, rnd)
        b2 = _madd(x, w2, b2, rnd); b3 = _madd(x, w3, b3, rnd)
        b4 = _madd(x, w4, b4, rnd); b5 = _madd(x, w5, b5, rnd)
        b6 = _madd(x, w6, b6, rnd); b7 = _madd(x, w7, b7, rnd)
        b8 = _madd(x, w8, b8, rnd); b9 = _madd(x, w9, b9, rnd)
        b10 = _madd(x, w10, b10, rnd); b11 = _madd(x, w11, b11, rnd)
        b12 = _madd(x, w12, b12, rnd); b13 = _madd(x, w13, b13, rnd)
        b14 = _madd(x, w14, b14, rnd); b15 = _madd(x, w15, b15, rnd)
        b16 = _madd(x, w16, b16, rnd); b17 = _madd(x, w17, b17, rnd)
        b18 = _madd(x, w18, b18, rnd); b19 = _madd(x, w19, b19, rnd)
        b20 = _madd(x, w20, b20, rnd); b21 = _madd(x, w21, b21, rnd)
        b22 = _madd(x, w22, b22, rnd); b23 = _madd(x, w23, b23, rnd)
        b24 = _madd(x, w24, b24, rnd); b25 = _madd(x, w25, b25, rnd)
        b26 = _madd(x, w26, b26, rnd); b27 = _madd(x, w27, b27, rnd)
        b28 = _madd(x, w28, b28, rnd); b29 = _madd(x, w29, b29, rnd)
        b30 = _madd(x, w30, b30, rnd); b31 = _madd(x, w31, b31, rnd)
        x = pc[i_idx]
        c0 = _madd(x, w0, c0, rnd); c1 = _madd(x, w1, c1, rnd)
        c2 = _madd(x, w2, c2, rnd); c3 = _madd(x, w3, c3, rnd)
        c4 = _madd(x, w4, c4, rnd); c5 = _madd(x, w5, c5, rnd)
        c6 = _madd(x, w6, c6, rnd); c7 = _madd(x, w7, c7, rnd)
        c8 = _madd(x, w8, c8, rnd); c9 = _madd(x, w9, c9, rnd)
        c10 = _madd(x, w10, c10, rnd); c11 = _madd(x, w11, c11, rnd)
        c12 = _madd(x, w12, c12, rnd); c13 = _madd(x, w13, c13, rnd)
        c14 = _madd(x, w14, c14, rnd); c15 = _madd(x, w15, c15, rnd)
        c16 = _madd(x, w16, c16, rnd); c17 = _madd(x, w17, c17, rnd)
        c18 = _madd(x, w18, c18, rnd); c19 = _madd(x, w19, c19, rnd)
        c20 = _madd(x, w20, c20, rnd); c21 = _madd(x, w21, c21, rnd)
        c22 = _madd(x, w22, c22, rnd); c23 = _madd(x, w23, c23, rnd)
        c24 = _madd(x, w24, c24, rnd); c25 = _madd(x, w25, c25, rnd)
        c26 = _madd(x, w26, c26, rnd); c27 = _madd(x, w27, c27, rnd)
        c28 = _madd(x, w28, c28, rnd); c29 = _madd(x, w29, c29, rnd)
        c30 = _madd(x, w30, c30, rnd); c31 = _madd(x, w31, c31, rnd)
        x = pd[i_idx]
        d0 = _madd(x, w0, d0, rnd); d1 = _madd(x, w1, d1, rnd)
        d2 = _madd(x, w2, d2, rnd); d3 = _madd(x, w3, d3, rnd)
        d4 = _madd(x, w4, d4, rnd); d5 = _madd(x, w5, d5, rnd)
        d6 = _madd(x, w6, d6, rnd); d7 = _madd(x, w7, d7, rnd)
        d8 = _madd(x, w8, d8, rnd); d9 = _madd(x, w9, d9, rnd)
        d10 = _madd(x, w10, d10, rnd); d11 = _madd(x, w11, d11, rnd)
        d12 = _madd(x, w12, d12, rnd); d13 = _madd(x, w13, d13, rnd)
        d14 = _madd(x, w14, d14, rnd); d15 = _madd(x, w15, d15, rnd)
        d16 = _madd(x, w16, d16, rnd); d17 = _madd(x, w17, d17, rnd)
        d18 = _madd(x, w18, d18, rnd); d19 = _madd(x, w19, d19, rnd)
        d20 = _madd(x, w20, d20, rnd); d21 = _madd(x, w21, d21, rnd)
        d22 = _madd(x, w22, d22, rnd); d23 = _madd(x, w23, d23, rnd)
        d24 = _madd(x, w24, d24, rnd); d25 = _madd(x, w25, d25, rnd)
        d26 = _madd(x, w26, d26, rnd); d27 = _madd(x, w27, d27, rnd)
        d28 = _madd(x, w28, d28, rnd); d29 = _madd(x, w29, d29, rnd)
        d30 = _madd(x, w30, d30, rnd); d31 = _madd(x, w31, d31, rnd)
        x = pe[i_idx]
        e0 = _madd(x, w0, e0, rnd); e1 = _madd(x, w1, e1, rnd)
        e2 = _madd(x, w2, e2, rnd); e3 = _madd(x, w3, e3, rnd)
        e4 = _madd(x, w4, e4, rnd); e5 = _madd(x, w5, e5, rnd)
        e6 = _madd(x, w6, e6, rnd); e7 = _madd(x, w7, e7, rnd)
        e8 = _madd(x, w8, e8, rnd); e9 = _madd(x, w9, e9, rnd)
        e10 = _madd(x, w10, e10, rnd); e11 = _madd(x, w11, e11, rnd)
        e12 = _madd(x, w12, e12, rnd); e13 = _madd(x, w13, e13, rnd)
        e14 = _madd(x, w14, e14, rnd); e15 = _madd(x, w15, e15, rnd)
        e16 = _madd(x, w16, e16, rnd); e17 = _madd(x, w17, e17, rnd)
        e18 = _madd(x, w18, e18, rnd); e19 = _madd(x, w19, e19, rnd)
        e20 = _madd(x, w20, e20, rnd); e21 = _madd(x, w21, e21, rnd)
        e22 = _madd(x, w22, e22, rnd); e23 = _madd(x, w23, e23, rnd)
        e24 = _madd(x, w24, e24, rnd); e25 = _madd(x, w25, e25, rnd)
        e26 = _madd(x, w26, e26, rnd); e27 = _madd(x, w27, e27, rnd)
        e28 = _madd(x, w28, e28, rnd); e29 = _madd(x, w29, e29, rnd)
        e30 = _madd(x, w30, e30, rnd); e31 = _madd(x, w31, e31, rnd)
        x = pf[i_idx]
        f0 = _madd(x, w0, f0, rnd); f1 = _madd(x, w1, f1, rnd)
        f2 = _madd(x, w2, f2, rnd); f3 = _madd(x, w3, f3, rnd)
        f4 = _madd(x, w4, f4, rnd); f5 = _madd(x, w5, f5, rnd)
        f6 = _madd(x, w6, f6, rnd); f7 = _madd(x, w7, f7, rnd)
        f8 = _madd(x, w8, f8, rnd); f9 = _madd(x, w9, f9, rnd)
        f10 = _madd(x, w10, f10, rnd); f11 = _madd(x, w11, f11, rnd)
        f12 = _madd(x, w12, f12, rnd); f13 = _madd(x, w13, f13, rnd)
        f14 = _madd(x, w14, f14, rnd); f15 = _madd(x, w15, f15, rnd)
        f16 = _madd(x, w16, f16, rnd); f17 = _madd(x, w17, f17, rnd)
        f18 = _madd(x, w18, f18, rnd); f19 = _madd(x, w19, f19, rnd)
        f20 = _madd(x, w20, f20, rnd); f21 = _madd(x, w21, f21, rnd)
        f22 = _madd(x, w22, f22, rnd); f23 = _madd(x, w23, f23, rnd)
        f24 = _madd(x, w24, f24, rnd); f25 = _madd(x, w25, f25, rnd)
        f26 = _madd(x, w26, f26, rnd); f27 = _madd(x, w27, f27, rnd)
        f28 = _madd(x, w28, f28, rnd); f29 = _madd(x, w29, f29, rnd)
        f30 = _madd(x, w30, f30, rnd); f31 = _madd(x, w31, f31, rnd)
        x = ph[i_idx]
        h0 = _madd(x, w0, h0, rnd); h1 = _madd(x, w1, h1, rnd)
        h2 = _madd(x, w2, h2, rnd); h3 = _madd(x, w3, h3, rnd)
        h4 = _madd(x, w4, h4, rnd); h5 = _madd(x, w5, h5, rnd)
        h6 = _madd(x, w6, h6, rnd); h7 = _madd(x, w7, h7, rnd)
        h8 = _madd(x, w8, h8, rnd); h9 = _madd(x, w9, h9, rnd)
        h10 = _madd(x, w10, h10, rnd); h11 = _madd(x, w11, h11, rnd)
        h12 = _madd(x, w12, h12, rnd); h13 = _madd(x, w13, h13, rnd)
        h14 = _madd(x, w14, h14, rnd); h15 = _madd(x, w15, h15, rnd)
        h16 = _madd(x, w16, h16, rnd); h17 = _madd(x, w17, h17, rnd)
        h18 = _madd(x, w18, h18, rnd); h19 = _madd(x, w19, h19, rnd)
        h20 = _madd(x, w20, h20, rnd); h21 = _madd(x, w21, h21, rnd)
        h22 = _madd(x, w22, h22, rnd); h23 = _madd(x, w23, h23, rnd)
        h24 = _madd(x, w24, h24, rnd); h25 = _madd(x, w25, h25, rnd)
        h26 = _madd(x, w26, h26, rnd); h27 = _madd(x, w27, h27, rnd)
        h28 = _madd(x, w28, h28, rnd); h29 = _madd(x, w29, h29, rnd)
        h30 = _madd(x, w30, h30, rnd); h31 = _madd(x, w31, h31, rnd)
        x = pk[i_idx]
        k0 = _madd(x, w0, k0, rnd); k1 = _madd(x, w1, k1, rnd)
        k2 = _madd(x, w2, k2, rnd); k3 = _madd(x, w3, k3, rnd)
        k4 = _madd(x, w4, k4, rnd); k5 = _madd(x, w5, k5, rnd)
        k6 = _madd(x, w6, k6, rnd); k7 = _madd(x, w7, k7, rnd)
        k8 = _madd(x, w8, k8, rnd); k9 = _madd(x, w9, k9, rnd)
        k10 = _madd(x, w10, k10, rnd); k11 = _madd(x, w11, k11, rnd)
        k12 = _madd(x, w12, k12, rnd); k13 = _madd(x, w13, k13, rnd)
        k14 = _madd(x, w14, k14, rnd); k15 = _madd(x, w15, k15, rnd)
        k16 = _madd(x, w16, k16, rnd); k17 = _madd(x, w17, k17, rnd)
        k18 = _madd(x, w18, k18, rnd); k19 = _madd(x, w19, k19, rnd)
        k20 = _madd(x, w20, k20, rnd); k21 = _madd(x, w21, k21, rnd)
        k22 = _madd(x, w22, k22, rnd); k23 = _madd(x, w23, k23, rnd)
        k24 = _madd(x, w24, k24, rnd); k25 = _madd(x, w25, k25, rnd)
        k26 = _madd(x, w26, k26, rnd); k27 = _madd(x, w27, k27, rnd)
        k28 = _madd(x, w28, k28, rnd); k29 = _madd(x, w29, k29, rnd)
        k30 = _madd(x, w30, k30, rnd); k31 = _madd(x, w31, k31, rnd)
    val[0][0] = a0; val[0][1] = a1; val[0][2] = a2; val[0][3] = a3
    val[0][4] = a4; val[0][5] = a5; val[0][6] = a6; val[0][7] = a7
    val[0][8] = a8; val[0][9] = a9; val[0][10] = a10; val[0][11] = a11
    val[0][12] = a12; val[0][13] = a13; val[0][14] = a14; val[0][15] = a15
    val[0][16] = a16; val[0][17] = a17; val[0][18] = a18; val[0][19] = a19
    val[0][20] = a20; val[0][21] = a21; val[0][22] = a22; val[0][23] = a23
    val[0][24] = a24; val[0][25] = a25; val[0][26] = a26; val[0][27] = a27
    val[0][28] = a28; val[0][29] = a29; val[0][30] = a30; val[0][31] = a31
    val[1][0] = b0; val[1][1] = b1; val[1][2] = b2; val[1][3] = b3
    val[1][4] = b4; val[1][5] = b5; val[1][6] = b6; val[1][7] = b7
    val[1][8] = b8; val[1][9] = b9; val[1][10] = b10; val[1][11] = b11
    val[1][12] = b12; val[1][13] = b13; val[1][14] = b14; val[1][15] = b15
    val[1][16] = b16; val[1][17] = b17; val[1][18] = b18; val[1][19] = b19
    val[1][20] = b20; val[1][21] = b21; val[1][22] = b22; val[1][23] = b23
    val[1][24] = b24; val[1][25] = b25; val[1][26] = b26; val[1][27] = b27
    val[1][28] = b28; val[1][29] = b29; val[1][30] = b30; val[1][31] = b31
    val[2][0] = c0; val[2][1] = c1; val[2][2] = c2; val[2][3] = c3
    val[2][4] = c4; val[2][5] = c5; val[2][6] = c6; val[2][7] = c7
    val[2][8] = c8; val[2][9] = c9; val[2][10] = c10; val[2][11] = c11
    val[2][12] = c12; val[2][13] = c13; val[2][14] = c14; val[2][15] = c15
    val[2][16] = c16; val[2][17] = c17; val[2][18] = c18; val[2][19] = c19
    val[2][20] = c20; val[2][21] = c21; val[2][22] = c22; val[2][23] = c23
    val[2][24] = c24; val[2][25] = c25; val[2][26] = c26; val[2][27] = c27
    val[2][28] = c28; val[2][29] = c29; val[2][30] = c30; val[2][31] = c31
    val[3][0] = d0; val[3][1] = d1; val[3][2] = d2; val[3][3] = d3
    val[3][4] = d4; val[3][5] = d5; val[3][6] = d6; val[3][7] = d7
    val[3][8] = d8; val[3][9] = d9; val[3][10] = d10; val[3][11] = d11
    val[3][12] = d12; val[3][13] = d13; val[3][14] = d14; val[3][15] = d15
    val[3][16] = d16; val[3][17] = d17; val[3][18] = d18; val[3][19] = d19
    val[3][20] = d20; val[3][21] = d21; val[3][22] = d22; val[3][23] = d23
    val[3][24] = d24; val[3][25] = d25; val[3][26] = d26; val[3][27] = d27
    val[3][28] = d28; val[3][29] = d29; val[3][30] = d30; val[3][31] = d31
    val[4][0] = e0; val[4][1] = e1; val[4][2] = e2; val[4][3] = e3
    val[4][4] = e4; val[4][5] = e5; val[4][6] = e6; val[4][7] = e7
    val[4][8] = e8; val[4][9] = e9; val[4][10] = e10; val[4][11] = e11
    val[4][12] = e12; val[4][13] = e13; val[4][14] = e14; val[4][15] = e15
    val[4][16] = e16; val[4][17] = e17; val[4][18] = e18; val[4][19] = e19
    val[4][20] = e20; val[4][21] = e21; val[4][22] = e22; val[4][23] = e23
    val[4][24] = e24; val[4][25] = e25; val[4][26] = e26; val[4][27] = e27
    val[4][28] = e28; val[4][29] = e29; val[4][30] = e30; val[4][31] = e31
    val[5][0] = f0; val[5][1] = f1; val[5][2] = f2; val[5][3] = f3
    val[5][4] = f4; val[5][5] = f5; val[5][6] = f6; val[5][7] = f7
    val[5][8] = f8; val[5][9] = f9; val[5][10] = f10; val[5][11] = f11
    val[5][12] = f12; val[5][13] = f13; val[5][14] = f14; val[5][15] = f15
    val[5][16] = f16; val[5][17] = f17; val[5][18] = f18; val[5][19] = f19
    val[5][20] = f20; val[5][21] = f21; val[5][22] = f22; val[5][23] = f23
    val[5][24] = f24; val[5][25] = f25; val[5][26] = f26; val[5][27] = f27
    val[5][28] = f28; val[5][29] = f29; val[5][30] = f30; val[5][31] = f31
    val[6][0] = h0; val[6][1] = h1; val[6][2] = h2; val[6][3] = h3
    val[6][4] = h4; val[6][5] = h5; val[6][6] = h6; val[6][7] = h7
    val[6][8] = h8; val[6][9] = h9; val[6][10] = h10; val[6][11] = h11
    val[6][12] = h12; val[6][13] = h13; val[6][14] = h14; val[6][15] = h15
    val[6][16] = h16; val[6][17] = h17; val[6][18] = h18; val[6][19] = h19
    val[6][20] = h20; val[6][21] = h21; val[6][22] = h22; val[6][23] = h23
    val[6][24] = h24; val[6][25] = h25; val[6][26] = h26; val[6][27] = h27
    val[6][28] = h28; val[6][29] = h29; val[6][30] = h30; val[6][31] = h31
    val[7][0] = k0; val[7][1] = k1; val[7][2] = k2; val[7][3] = k3
    val[7][4] = k4; val[7][5] = k5; val[7][6] = k6; val[7][7] = k7
    val[7][8] = k8; val[7][9] = k9; val[7][10] = k10; val[7][11] = k11
    val[7][12] = k12; val[7][13] = k13; val[7][14] = k14; val[7][15] = k15
    val[7][16] = k16; val[7][17] = k17; val[7][18] = k18; val[7][19] = k19
    val[7][20] = k20; val[7][21] = k21; val[7][22] = k22; val[7][23] = k23
    val[7][24] = k24; val[7][25] = k25; val[7][26] = k26; val[7][27] = k27
    val[7][28] = k28; val[7][29] = k29; val[7][30] = k30; val[7][31] = k31


# X (num_samples, n_0) -> Y_hat (num_samples, n_L), with panels[l] = to_panels(weights[l])
# (the caller's, _net_panels). _rearranged.net_predict: rows are independent, so blocks of
# BLOCK rows run on num_threads OpenMP threads, and within a block each layer runs eight
# rows at a time through each panel of 8 units (_panels_forward; float32: four rows through
# panels of 16), then the activation: softmax row by row, the others (a unit's own) on the
# whole block at once; which thread computes a row, or beside which row, changes nothing.
# work holds num_threads * 2 * BLOCK * widest reals: each thread's two hidden layers'
# (rows, n_l) activations, alternating. finite[b_idx]: whether block b_idx's rows of X are
# all finite, checked as they are read (_rearranged.all_finite).
cdef void _net_predict_rounded(const real* X, real** weights, real** biases, int hidden,
                               int output, real** panels, real* Y_hat,
                               const Py_ssize_t* sizes, Py_ssize_t num_layers,
                               Py_ssize_t num_samples, Py_ssize_t widest, real* work,
                               int num_threads, unsigned char* finite,
                               rounding rnd) noexcept nogil:
    cdef Py_ssize_t b_idx, start, stop, layer, r
    cdef int func
    cdef real* hid
    cdef const real* prev
    cdef real* act
    for b_idx in prange((num_samples + BLOCK - 1) // BLOCK, num_threads=num_threads,
                        schedule="static"):
        hid = work + openmp.omp_get_thread_num() * 2 * BLOCK * widest
        start = b_idx * BLOCK
        stop = min(num_samples, start + BLOCK)
        prev = X + start * sizes[0]
        if real is double:
            finite[b_idx] = all_finite_double(prev, (stop - start) * sizes[0])
        else:
            finite[b_idx] = all_finite_float(prev, (stop - start) * sizes[0])
        for layer in range(num_layers):
            func = output if layer == num_layers - 1 else hidden
            if layer == num_layers - 1:
                act = Y_hat + start * sizes[num_layers]
            else:
                act = hid + (layer % 2) * BLOCK * widest
            _panels_forward(prev, panels[layer], biases[layer], act, stop - start,
                            sizes[layer], sizes[layer + 1], rnd)
            if func == SOFTMAX:
                for r in range(stop - start):
                    _activate(act + r * sizes[layer + 1], func, sizes[layer + 1])
            else:
                _activate(act, func, (stop - start) * sizes[layer + 1])
            prev = act


cdef void _net_predict(const real* X, real** weights, real** biases, int hidden, int output,
                       real** panels, real* Y_hat, const Py_ssize_t* sizes,
                       Py_ssize_t num_layers, Py_ssize_t num_samples, Py_ssize_t widest,
                       real* work, int num_threads, unsigned char* finite) noexcept nogil:
    _net_predict_rounded(X, weights, biases, hidden, output, panels, Y_hat, sizes,
                         num_layers, num_samples, widest, work, num_threads, finite, TWICE)


# panels[l] = to_panels(weights[l], panel_width) for every layer (_numba's
# net_predict_rows); the caller callocs them (zero-padded)
cdef void _net_panels(real** weights, real** panels, const Py_ssize_t* sizes,
                      Py_ssize_t num_layers) noexcept nogil:
    cdef Py_ssize_t layer
    cdef Py_ssize_t width = _panel_width(weights[0])
    for layer in range(num_layers):
        _to_panels(weights[layer], panels[layer], sizes[layer + 1], sizes[layer], width)


# The reals _net_train's mini-batches need (batch_size > 1), allocated once per call by
# the caller: act_buf and delta_buf (most rows of every layer each), Xb (most, n_0), Yb
# (most, n_L), then one scratch area that each layer's _batch_forward (its input rows in
# panels) and then _batch_update (_batch_update_work) use in turn.
cdef Py_ssize_t _net_train_work(const Py_ssize_t* sizes, Py_ssize_t num_layers,
                                Py_ssize_t most, int threads) noexcept nogil:
    cdef Py_ssize_t layer, scratch = 0, count = most * (sizes[0] + sizes[num_layers])
    cdef Py_ssize_t padded = (most + WIDE_PANEL - 1) // WIDE_PANEL * WIDE_PANEL  # either width
    for layer in range(num_layers):
        count += 2 * most * sizes[layer + 1]
        scratch = max(scratch, padded * sizes[layer])
        scratch = max(scratch, _batch_update_work(most, sizes[layer], sizes[layer + 1],
                                                  threads))
    return count + scratch


# The deep net's training, _rearranged.net_train (same arguments, then losses, the sizes,
# the work of _net_train_work with offsets (num_layers + 1,) and the threads of
# _batch_update). Online SGD (batch_size 1) is the reference's own (_reference_net_train).
# A mini-batch is computed layer by layer over all of its rows instead of row by row: its
# rows are gathered, each layer's forward pass runs four or eight units at a time through
# panels of 8 rows (_batch_forward), each row's loss and deltas follow
# in row order, and _batch_update sums each weight's per-row gradients in row order and
# steps. Every sum keeps the reference's terms and order; the rows only share the weights of
# the batch's start, which the reference's rows read too.
cdef void _net_train(const real* X, const real* Y, real** weights, real** biases,
                     int hidden, int output, int loss, real lrate,
                     const cnp.int64_t* orders, Py_ssize_t batch_size,
                     real** acts, real** deltas, real** grad_w, real** grad_b,
                     real* losses, const Py_ssize_t* sizes, Py_ssize_t num_layers,
                     Py_ssize_t num_epochs, Py_ssize_t num_samples,
                     real* work, Py_ssize_t* offsets, int threads,
                     rounding rnd) noexcept nogil:
    cdef Py_ssize_t epoch, start, rows, r, layer, most, n, m, a, d, k
    cdef int func
    cdef real epoch_loss
    cdef real* act_buf
    cdef real* delta_buf
    cdef real* Xb
    cdef real* Yb
    cdef real* prevp
    cdef const real* prev
    cdef real* act
    cdef real* out
    cdef real* out_delta
    cdef real* delta
    if batch_size == 1:
        _reference_net_train(X, Y, weights, biases, hidden, output, loss, lrate, orders,
                             batch_size, acts, deltas, grad_w, grad_b, losses, sizes,
                             num_layers, num_epochs, num_samples, rnd)
        return

    # every layer's (rows, n_l) activations and deltas, one after the other in two buffers
    most = min(batch_size, num_samples)
    offsets[0] = 0
    for layer in range(num_layers):
        offsets[layer + 1] = offsets[layer] + most * sizes[layer + 1]
    act_buf = work
    delta_buf = act_buf + offsets[num_layers]
    Xb = delta_buf + offsets[num_layers]
    Yb = Xb + most * sizes[0]
    prevp = Yb + most * sizes[num_layers]
    for epoch in range(num_epochs):
        epoch_loss = <real>0.0
        start = 0
        while start < num_samples:  # for start in range(0, num_samples, batch_size)
            rows = min(start + batch_size, num_samples) - start
            for r in range(rows):
                memcpy(Xb + r * sizes[0],
                       X + orders[epoch * num_samples + start + r] * sizes[0],
                       sizes[0] * sizeof(real))
                memcpy(Yb + r * sizes[num_layers],
                       Y + orders[epoch * num_samples + start + r] * sizes[num_layers],
                       sizes[num_layers] * sizeof(real))
            # the forward pass, layer by layer, at the batch's starting weights
            prev = Xb
            for layer in range(num_layers):
                func = output if layer == num_layers - 1 else hidden
                n = sizes[layer + 1]
                act = act_buf + offsets[layer]
                if rows % PANEL != 0:  # the panels' padding rows: 0, not another layer's
                    memset(prevp, 0, (most + PANEL - 1) // PANEL * sizes[layer] * PANEL
                           * sizeof(real))
                _batch_forward(prev, weights[layer], biases[layer], act, prevp, rows,
                               sizes[layer], n, threads, rnd)
                for r in range(rows):
                    _activate(act + r * n, func, n)
                prev = act
            # each row's loss and deltas, top down, in row order
            for r in range(rows):
                n = sizes[num_layers]
                out = act_buf + offsets[num_layers - 1]
                out_delta = delta_buf + offsets[num_layers - 1]
                epoch_loss += _sample_loss(out + r * n, Yb + r * n, output, loss, n, rnd)
                _output_delta(out + r * n, Yb + r * n, output, loss, out_delta + r * n, n)
                for layer in range(num_layers - 2, -1, -1):
                    n = sizes[layer + 1]
                    m = sizes[layer + 2]
                    a = offsets[layer] + r * n
                    d = offsets[layer + 1] + r * m
                    _hidden_delta(act_buf + a, weights[layer + 1], delta_buf + d, hidden,
                                  delta_buf + a, n, m, rnd)
            # one step per layer with the mean of the rows' gradients
            for layer in range(num_layers):
                n = sizes[layer + 1]
                delta = delta_buf + offsets[layer]
                if layer == 0:
                    _batch_update(Xb, delta, weights[0], biases[0], lrate, <real>rows,
                                  rows, sizes[0], n, prevp, threads, rnd)
                else:
                    k = sizes[layer]
                    prev = act_buf + offsets[layer - 1]
                    _batch_update(prev, delta, weights[layer], biases[layer], lrate,
                                  <real>rows, rows, k, n, prevp, threads, rnd)
            start += batch_size
        losses[epoch] = epoch_loss / <real>num_samples


# prev (rows, num_inp_nodes), delta (rows, num_out_nodes) -> w, b updated in place:
# w_ki += eta (sum_r delta_rk y_ri) / rows, the sum over the rows in row order from zero
# (as the reference's grad_w). _rearranged.batch_update: _panel_pass with the rows as the
# sum's index, four or eight units' deltas (delta_t, delta transposed) through each panel of 8
# inputs (prevp, prev transposed in panels, padding inputs 0; float32: four units, panels of
# 16); each pass's sums go to its thread's grad (a row of the padded inputs per unit) and
# are then stepped in one pass over w's rows. The passes run on threads OpenMP threads (the
# prange body is _batch_update_units, so its sums stay private). work: _batch_update_work
# reals.
cdef void _batch_update(const real* prev, const real* delta, real* w, real* b, real lrate,
                        real num_batch, Py_ssize_t rows, Py_ssize_t num_inp_nodes,
                        Py_ssize_t num_out_nodes, real* work, int threads,
                        rounding rnd) noexcept nogil:
    cdef Py_ssize_t q, g, r, k, i, o
    cdef Py_ssize_t width = _panel_width(w)
    cdef Py_ssize_t per_pass = _pass_rows(width)  # units
    cdef Py_ssize_t padded = (num_inp_nodes + width - 1) // width * width
    cdef real* prevp = work
    cdef real* delta_t = prevp + padded * rows
    cdef real* grad = delta_t + num_out_nodes * rows
    for g in range(padded // width):
        for r in range(rows):
            for k in range(width):
                i = width * g + k
                prevp[(g * rows + r) * width + k] = \
                    prev[r * num_inp_nodes + i] if i < num_inp_nodes else <real>0.0
    for r in range(rows):
        for o in range(num_out_nodes):
            delta_t[o * rows + r] = delta[r * num_out_nodes + o]
    for q in prange((num_out_nodes + per_pass - 1) // per_pass, num_threads=threads,
                    schedule="static"):
        _batch_update_units(w, b, lrate, num_batch, prevp, delta_t,
                            grad + openmp.omp_get_thread_num() * per_pass * padded,
                            per_pass * q, rows, num_inp_nodes, num_out_nodes, rnd)


# w[k] += lrate * (g[k] / num_batch) (_madd) for k = 0 .. 7: the step written out, so that gcc's SLP
# vectoriser makes it one vector division (the loop vectoriser is off, setup.py); all of g
# is read before w is written, which it needs as w and g could overlap for all it knows
cdef inline void _step8(real* w, const real* g, real lrate, real num_batch,
                        rounding rnd) noexcept nogil:
    cdef real g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3]
    cdef real g4 = g[4], g5 = g[5], g6 = g[6], g7 = g[7]
    w[0] = _madd(lrate, g0 / num_batch, w[0], rnd)
    w[1] = _madd(lrate, g1 / num_batch, w[1], rnd)
    w[2] = _madd(lrate, g2 / num_batch, w[2], rnd)
    w[3] = _madd(lrate, g3 / num_batch, w[3], rnd)
    w[4] = _madd(lrate, g4 / num_batch, w[4], rnd)
    w[5] = _madd(lrate, g5 / num_batch, w[5], rnd)
    w[6] = _madd(lrate, g6 / num_batch, w[6], rnd)
    w[7] = _madd(lrate, g7 / num_batch, w[7], rnd)


# the reals _batch_update needs for a layer: prevp, delta_t and threads blocks of grad (the
# inputs padded to WIDE_PANEL, enough for either width)
cdef inline Py_ssize_t _batch_update_work(Py_ssize_t rows, Py_ssize_t num_inp_nodes,
                                          Py_ssize_t num_out_nodes, int threads) noexcept nogil:
    cdef Py_ssize_t padded = (num_inp_nodes + WIDE_PANEL - 1) // WIDE_PANEL * WIDE_PANEL
    return padded * rows + num_out_nodes * rows + threads * 8 * padded


# one pass of _batch_update, its units from o_idx on
cdef void _batch_update_units(real* w, real* b, real lrate, real num_batch, const real* prevp,
                              const real* delta_t, real* grad, Py_ssize_t o_idx,
                              Py_ssize_t rows, Py_ssize_t num_inp_nodes,
                              Py_ssize_t num_out_nodes, rounding rnd) noexcept nogil:
    cdef Py_ssize_t g, u, k, i_idx, r
    cdef Py_ssize_t width = _panel_width(w)
    cdef Py_ssize_t per_pass = _pass_rows(width)
    cdef Py_ssize_t n = min(per_pass, num_out_nodes - o_idx)  # units in this pass
    cdef Py_ssize_t num_panels = (num_inp_nodes + width - 1) // width
    cdef Py_ssize_t stride = num_panels * width  # grad's row
    cdef real acc
    cdef real val[64]  # val[u][k] at u * width + k
    for g in range(num_panels):
        _panel_pass(delta_t, rows, o_idx, n, prevp, g, rows, val, rnd)
        for u in range(per_pass):
            for k in range(width):
                grad[u * stride + width * g + k] = val[u * width + k]
    for u in range(n):
        i_idx = 0
        # 8 at a time, for gcc's SLP vectoriser (_rearranged's loop is plain: LLVM's loop
        # vectoriser does the same for numba)
        while i_idx + 8 <= num_inp_nodes:
            _step8(w + (o_idx + u) * num_inp_nodes + i_idx, grad + u * stride + i_idx,
                   lrate, num_batch, rnd)
            i_idx += 8
        while i_idx < num_inp_nodes:
            w[(o_idx + u) * num_inp_nodes + i_idx] = _madd(
                lrate, grad[u * stride + i_idx] / num_batch,
                w[(o_idx + u) * num_inp_nodes + i_idx], rnd)
            i_idx += 1
        acc = <real>0.0
        for r in range(rows):
            acc += delta_t[(o_idx + u) * rows + r]
        b[o_idx + u] = _madd(lrate, acc / num_batch, b[o_idx + u], rnd)

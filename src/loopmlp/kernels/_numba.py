"""The ``numba`` backend: the reference's own source, compiled by ``@njit``.

Nothing is transcribed: ``neural_response``, ``update_network`` and ``train_epoch_literal``
are the code objects of ``_reference.py``; ``train`` and ``predict`` those of
``_rearranged.py`` (the same sums, independent work reordered; ``train_epoch`` is ``train``'s
one epoch, and ``net_train`` ``_rearranged.net_train``, picking its kernel in Python so that a
first call loads or compiles only the code it runs). Each is compiled with
its globals rebound so that calls go to the compiled twins and ``exp``, ``log`` and
``tanh`` are loopmlp's own (``_exp.exp``, ``_elementary.log`` and ``_elementary.tanh``,
compiled from the same source, inlined into the loops; never the C library's: a whole
layer's sigmoids run in SIMD lanes, ``_rearranged.activate``). Bit-identity with the
reference holds because:

* ``fastmath`` is off, so LLVM neither reassociates sums nor contracts ``a * b + c`` into
  an FMA (numba sets no ``contract`` flag without fastmath);
* the loops are the reference's (or ``_rearranged.py``'s, which keep each sum's terms and
  their order), so every sum runs in the same order;
* no SVML: with Intel's ``icc_rt`` installed, numba may swap ``math`` functions in
  vectorised code for SVML's; none is called, but this module turns SVML off
  (``NUMBA_DISABLE_INTEL_SVML``) when it is the first to import numba; a process that
  imported numba earlier with ``icc_rt`` present should set the variable itself.
"""

import contextlib
import functools
import os
import sys
import types

os.environ.setdefault("NUMBA_DISABLE_INTEL_SVML", "1")

import numba  # noqa: E402  (after the SVML switch above)
import numpy as np  # noqa: E402
from llvmlite import binding as llvm  # noqa: E402
from llvmlite import ir  # noqa: E402
from numba.core import cgutils, config  # noqa: E402
from numba.core import types as nbtypes  # noqa: E402
from numba.extending import intrinsic  # noqa: E402

from . import _elementary, _exp, _numba_cache, _rearranged, _reference
from . import _fma as _fma_mode

# One place for the compile options: the bit-identity promise can be checked here.
# cache: compiled code is written next to _reference.py (or to NUMBA_CACHE_DIR) and reused
# across processes, through _numba_cache, which says what makes that safe.
# error_model="numpy": no ZeroDivisionError checks; every divisor here is >= 1.
NUMBA_OPTIONS = dict(nogil=True, cache=True, fastmath=False, error_model="numpy")


@contextlib.contextmanager
def _slp_vectorize():
    """LLVM's SLP vectoriser on, for our kernels only (numba's default is off, process-wide).

    It turns the 8 side-by-side sums of ``_rearranged``'s panels into SIMD additions, each
    lane exactly the scalar operation it replaces; without it they stay scalar.
    Numba switched it off by default after miscompilations (numba#8852); the bit-identity
    tests are what vouch for our kernels.

    numba's compiler re-reads its whole config whenever a ``NUMBA_*`` variable changed
    since it last looked (``config.reload_config``), which resets ``SLP_VECTORIZE`` to 0
    mid-compile. Our own ``NUMBA_DISABLE_INTEL_SVML`` above is such a change when numba
    was imported before this module, so the first kernel compiled afterwards would lose its
    SIMD (and be cached so). Reloading first makes any such change land before the switch.
    """
    config.reload_config()
    old, config.SLP_VECTORIZE = config.SLP_VECTORIZE, 1
    try:
        yield
    finally:
        config.SLP_VECTORIZE = old


def _compile(module, names, parallel=(), callees=None, cache=True, variant="", **options):
    """``njit`` the named functions of ``module``, callees first, so calls stay compiled.

    ``parallel`` names the functions whose ``prange`` runs on numba's threads; ``callees``
    maps names to functions compiled before, from other modules. Each clone's
    qualified name, which names its on-disk cache, ends in ``variant`` (for a second
    compilation of a function over other callees) and a hash of loopmlp's version, the
    compiled sources and ``options`` (``_numba_cache.source_tag``): numba's cache ignores
    all of them. A clone that is parallel, or names a callee that reaches a parallel one,
    launches numba's threading layer before it is loaded from the cache (``threaded``;
    ``_numba_cache``, point 1).
    """
    tag = _numba_cache.source_tag(
        (_reference, _rearranged, _exp, _elementary, _fma_mode, _THIS), options
    )
    bound = dict(
        prange=numba.prange,
        wide_vectors=_wide_vectors,
        copy_row=_copy_row,
        MANY_REGISTERS=_many_registers(),
        TWO_PANELS=_two_panels(),
    )
    bound.update(callees or {})
    for name in names:
        f = getattr(module, name)
        g = dict(f.__globals__, **bound)
        clone = types.FunctionType(f.__code__, g, f.__name__, f.__defaults__, f.__closure__)
        clone.__qualname__ = f.__qualname__ + variant + tag
        clone.__doc__ = f.__doc__
        dispatcher = numba.njit(parallel=name in parallel, **options)(clone)
        threaded = name in parallel or any(
            n in bound and id(bound[n]) in _threaded for n in _names(f.__code__)
        )
        if threaded:
            _threaded[id(dispatcher)] = dispatcher
        if cache:
            _numba_cache.enable_caching(dispatcher, threaded)
        dispatcher.compile = _with_slp(dispatcher.compile)  # numba compiles on first call
        bound[name] = dispatcher
    return bound


# _rearranged.wide_vectors: the calling function's LLVM attributes ask for 512-bit vectors
# where the CPU has them (LLVM prefers 256 on Intel's AVX-512 cores, numba's target machine
# for the whole process). On the panel kernels alone: net_predict 784-512-10 took 14-20%
# less time with it, mini-batches the same; llvmlite knows no string attributes, so they
# are added to its set as they are written in the IR.
@intrinsic
def _wide_vectors(typingctx):
    def codegen(context, builder, signature, args):
        set.add(builder.function.attributes, '"prefer-vector-width"="512"')
        set.add(builder.function.attributes, '"min-legal-vector-width"="512"')
        return context.get_dummy_value()

    return numba.types.none(), codegen


@functools.cache
def _many_registers():
    """Whether numba's target CPU has AVX-512's 32 vector registers (``_rearranged``'s
    ``MANY_REGISTERS``): the host's, unless ``NUMBA_CPU_NAME``/``NUMBA_CPU_FEATURES`` say
    otherwise. numba's cache keys its code by the same features, so a cached kernel never
    runs on a CPU it was not compiled for."""
    features = config.CPU_FEATURES
    if features is None:
        features = llvm.get_host_cpu_features().flatten()
    return "+avx512f" in features.split(",")


# LLVM's names for AMD's family 25: Zen 3 (no AVX-512) and Zen 4
AMD_FAMILY_25 = ("znver3", "znver4")


@functools.cache
def _two_panels():
    """``_rearranged.TWO_PANELS``: two panels a pass in ``net_predict``, with AVX-512's
    registers, unless numba's target CPU is an AMD of family 25 (Cython's build decides by
    the same rule, ``_cython.pyx``'s ``_two_panels``). numba's cache keys its code by the
    target CPU's name too, which this reads as numba's code generator does."""
    name = llvm.get_host_cpu_name() if config.CPU_NAME is None else config.CPU_NAME
    return _many_registers() and name not in AMD_FAMILY_25


# The clones that are parallel or call one that reaches a parallel one, through any chain
# of callees, by id: their compiled code may contain code that runs on numba's threads.
_threaded = {}


def _names(code):
    """The global names ``code`` and the code nested in it (comprehensions) refer to."""
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _names(const)


def _with_slp(compile_):
    def compile_with_slp(sig):
        with _slp_vectorize():
            return compile_(sig)

    return compile_with_slp


# _exp.exp's exact stand-ins, as LLVM instructions: one rounding for a * b + c (an FMA
# instruction where the CPU has one, else a call to the C library's fma or fmaf: so numba
# compiled for generic x86-64, which .ci/targets tests), and bit casts (also _elementary's).
@intrinsic
def _fma(typingctx, a, b, c):
    """``fma(a, b, c)`` as ``llvm.fma`` in the operands' type: float32 if all three are
    (the FMA mode's float32 nets), else float64 (``exp``, ``log``, ``tanh`` and float64
    nets); one rounding either way."""
    if not all(isinstance(t, (nbtypes.Float, nbtypes.Integer)) for t in (a, b, c)):
        return None
    ty = nbtypes.float32 if a == b == c == nbtypes.float32 else nbtypes.float64

    def codegen(context, builder, signature, args):
        lty = context.get_value_type(ty)
        fma = builder.module.declare_intrinsic("llvm.fma", [lty], ir.FunctionType(lty, [lty] * 3))
        return builder.call(fma, args)

    return ty(ty, ty, ty), codegen


@intrinsic
def _as_bits(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return nbtypes.int64(nbtypes.float64), codegen


@intrinsic
def _as_double(typingctx, u):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return nbtypes.float64(nbtypes.int64), codegen


@intrinsic
def _borrowed(typingctx, a):
    """``_rearranged.borrowed`` for train on one thread and net_predict: the array ``a``
    without its memory's owner (NRT's meminfo), so that numba counts no references to it.
    Each count is an atomic instruction (tens of cycles on some CPUs), and train's loop made
    several a sample, net_predict two a row and layer, on views and calls. The caller keeps
    ``a`` alive meanwhile."""
    if not isinstance(a, nbtypes.Array):
        return None

    def codegen(context, builder, signature, args):
        array = context.make_array(a)(context, builder, value=args[0])
        array.meminfo = ir.Constant(array.meminfo.type, None)
        array.parent = ir.Constant(array.parent.type, None)
        return array._getvalue()

    return a(a), codegen


@intrinsic
def _copy_row(typingctx, dst, q, i, src, r, n):
    """``_rearranged.copy_row`` as one ``memcpy`` of ``n`` elements, for 2-D C-contiguous
    arrays of one dtype; the caller keeps both slices in bounds."""
    arrays = (dst, src)
    if not all(isinstance(a, nbtypes.Array) and a.ndim == 2 and a.layout == "C" for a in arrays):
        return None
    if dst.dtype != src.dtype or not all(isinstance(t, nbtypes.Integer) for t in (q, i, r, n)):
        return None

    def codegen(context, builder, signature, args):
        to, row, col, frm, frm_row, count = args
        zero = context.get_constant(nbtypes.intp, 0)

        def pointer(ty, value, indices):
            array = context.make_array(ty)(context, builder, value=value)
            return cgutils.get_item_pointer(context, builder, ty, array, indices, wraparound=False)

        itemsize = context.get_abi_sizeof(context.get_data_type(dst.dtype))
        target, source = pointer(dst, to, [row, col]), pointer(src, frm, [frm_row, zero])
        cgutils.raw_memcpy(builder, target, source, count, itemsize)
        return context.get_dummy_value()

    return nbtypes.none(dst, q, i, src, r, n), codegen


@intrinsic
def num_threads(typingctx):
    """``numba.get_num_threads()``, through the symbol that parallel code calls, declared as
    numba's parallel code declares it: numba's own calls a ctypes pointer, which keeps a
    caller out of the cache. For code that runs where numba's threading layer is launched
    (a parallel kernel, or code that calls one)."""

    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(cgutils.intp_t, [])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "get_num_threads")
        return builder.call(fn, [])

    return nbtypes.intp(), codegen


def _exp_kernels(**options):
    """The ``exp``, ``log`` and ``tanh`` every kernel calls: ``_exp.exp`` and
    ``_elementary``'s functions compiled (int64 bits, the table as a constant array). With
    them, for ``_rearranged.activate``: ``exp_core``, ``exp_in_range`` and ``exp_lanes``
    (whether a layer's sigmoids run at once; not under ``fastmath``, which could fold
    ``(z + SHIFT) - SHIFT`` into ``z``)."""
    stand_ins = dict(
        fma=_fma,
        as_bits=_as_bits,
        as_double=_as_double,
        TABLE=np.array(_exp.TABLE, dtype=np.uint64).view(np.int64),
    )
    compiled = _compile(
        _exp,
        ("in_range", "exp_core", "exp_scaled", "exp_special", "exp"),
        callees=stand_ins,
        **options,
    )
    elementary = _compile(_elementary, ("log", "expm1", "tanh"), callees=dict(stand_ins), **options)
    # exp again, inlined where it is called (its rare special cases still a call): numba
    # returns a result through memory and a status to test, which a chain of per-sample
    # steps waits on, for every sigmoid
    inlined = _compile(
        _exp,
        ("in_range", "exp_core", "exp"),
        callees=dict(stand_ins, exp_special=compiled["exp_special"]),
        variant="_inlined",
        inline="always",
        **options,
    )
    return dict(
        exp=compiled["exp"],
        exp_inlined=inlined["exp"],
        log=elementary["log"],
        tanh=elementary["tanh"],
        exp_core=compiled["exp_core"],
        exp_in_range=compiled["in_range"],
        exp_lanes=not options.get("fastmath"),
    )


# Per-sample kernels: the lecture's literal loops. Whole runs: the bit-exact rearrangement
# of _rearranged.py; train_epoch_literal keeps the lecture's order for the benchmarks.
LITERAL = ("neural_response", "update_network", "train_epoch")  # callees first
ROWS = (
    "forward_rows",
    "to_panels",
    "from_panels",
    "sigmoid_panel",
    "hidden_forward",
    "hidden_update_forward",
    "hidden_update_forward_threads",
    "train_epochs",
    "train",
)
# a sample's kernels, which numba inlines into train on one thread: a call passes each
# array as seven arguments
INLINED = ("forward_rows", "sigmoid_panel", "hidden_forward", "hidden_update_forward")


def kernels(**options):
    """The backend's raw kernels, compiled with ``options``, by name."""
    exp = _exp_kernels(**options)
    literal = _compile(_reference, LITERAL, callees=exp, **options)
    identity = _compile(_rearranged, ("borrowed",), inline="always", **options)
    # train's sigmoids over the inlined exp (_exp_kernels says why)
    exp_inlined = dict(exp, exp=exp["exp_inlined"])
    rows = _compile(
        _rearranged,
        ROWS,
        parallel=("hidden_update_forward_threads",),
        callees=dict(exp_inlined, borrowed=identity["borrowed"]),
        **options,
    )
    # train again, for nets trained on one thread, over a stand-in for the parallel pass
    # (which train calls only when threads > 1): a small net's first call then neither
    # compiles nor loads parallel code. Its arrays are borrowed and a sample's kernels inlined.
    inlined = _compile(
        _rearranged, INLINED, callees=exp_inlined, variant="_inlined", inline="always", **options
    )
    one_thread = _compile(
        _THIS, ("hidden_update_forward_one_thread",), callees=dict(exp_inlined, **rows), **options
    )
    one_thread = _compile(
        _rearranged,
        ("train_epochs", "train"),
        callees={
            **exp_inlined,
            **rows,
            **inlined,
            "borrowed": _borrowed,
            "hidden_update_forward_threads": one_thread["hidden_update_forward_one_thread"],
        },
        variant="_one_thread",
        **options,
    )
    net = _net_kernels(exp, rows["to_panels"], _reference, _rearranged, "", **options)
    net_predict_rows = net["net_predict_rows"]

    def predict_rows(X, wh, bh, wo, bo):
        """The lecture's predict as the deep net's: the same sums, bias and sigmoid, through
        the deep net's panels (eight rows a pass)."""
        return net_predict_rows(X, (wh, wo), (bh, bo), _reference.SIGMOID, _reference.SIGMOID)

    train_threads, train_one_thread = rows["train"], one_thread["train"]

    def threads_for(wh):
        """numba's threads (``NUMBA_NUM_THREADS``) for a big net, else one."""
        return numba.get_num_threads() if wh.size >= _rearranged.PARALLEL_WEIGHTS else 1

    def train(X, Y, wh, bh, wo, bo, lrate, num_epochs):
        threads = threads_for(wh)
        kernel = train_threads if threads > 1 else train_one_thread
        return kernel(X, Y, wh, bh, wo, bo, lrate, num_epochs, threads)

    def train_epoch(X, Y, wh, bh, wo, bo, lrate):
        """``_rearranged.train_epoch``: one epoch of ``train``, in Python, so that it loads
        (or compiles) ``train``'s code only, not a copy of it under another name."""
        return train(X, Y, wh, bh, wo, bo, lrate, 1)[0]

    return dict(
        neural_response=literal["neural_response"],
        update_network=literal["update_network"],
        train_epoch_literal=literal["train_epoch"],
        train_epoch=train_epoch,
        train=train,
        predict=_on_threads(predict_rows, 5),
        net_response=net["net_response"],
        net_update=net["net_update"],
        net_train=net["net_train"],
        net_predict=net["net_predict"],
        # for loopmlp.numba_kernels, whose compiled wrappers do what the closures above do
        train_rows=train_threads,
        net_train_rows=net["net_train_rows"],  # any batch_size, from compiled code
        to_panels=rows["to_panels"],
        net_predict_panels=net["net_predict_panels"],
    )


# _rearranged's deep-net kernels, callees first; with layer_response and hidden_delta, all
# that the FMA mode rewrites there
DEEP_ROWS = (
    "activate",
    "all_finite",
    "panel_block",
    "panel_block4",
    "panel_block_wide",
    "panel_block16",
    "panel_block32",
    "pass_rows",
    "panel_pass",
    "batch_forward_units",
    "batch_forward",
    "batch_update_units",
    "batch_update",
    "panels_forward",
    "net_predict",
    "net_train",
)


# the panel micro-kernels and the pass that picks one
PANEL_PASS = ("panel_block", "panel_block4", "panel_block_wide", "pass_rows", "panel_pass")


def _net_kernels(exp, to_panels, reference, rearranged, variant, **options):
    """The deep net's kernels, compiled from ``reference`` and ``rearranged`` (the modules,
    or their FMA-mode rewrites, ``_fma.fused``) over the ``exp`` kernels and ``to_panels``."""
    # the reference's net_* over _rearranged's layer_response and hidden_delta;
    # _rearranged's net_train (mini-batches layer by layer) and net_predict (panels)
    compile_ = functools.partial(_compile, variant=variant, **options)
    deep = compile_(reference, ("activate",), callees=exp)
    deep = compile_(rearranged, ("layer_response", "hidden_delta"), callees=deep)
    deep = compile_(reference, [f for f in _reference.NET_FUNCTIONS if f not in deep], callees=deep)
    # inlined by numba, so that each dtype's panel width is a constant where it is used
    inlined = compile_(rearranged, ("panel_width",), inline="always")
    update = DEEP_ROWS.index("batch_update_units")
    deep_rows = compile_(
        rearranged,
        DEEP_ROWS[:update],
        parallel=("batch_forward",),
        callees=dict(
            deep,
            **inlined,
            to_panels=to_panels,
            reference_activate=deep["activate"],
            reference_net_train=deep["net_train"],
            borrowed=_borrowed,
        ),
    )
    # The update's passes sum over a batch's rows only (32 terms a sum for batches of 32),
    # so that a call to a panel kernel costs about as much as its sums: there numba inlines
    # them. So does predict, whose passes are as short on a small net (60-6-4: 60 terms a
    # sum, then 6); the mini-batches' forward passes sum over a layer's inputs, where a
    # call costs nothing.
    panels = compile_(
        rearranged, PANEL_PASS, callees=deep_rows, inline="always", variant=variant + "_inlined"
    )
    deep_rows = compile_(
        rearranged,
        DEEP_ROWS[update:],
        parallel=("batch_update", "net_predict"),
        callees=dict(deep_rows, **panels, predict_groups=num_threads),
    )
    net_predict_panels = deep_rows["net_predict"]
    # the same code off numba's threads, for rows that fit in one block: there waking the
    # threads took longer than the rows (2-2-1, 4 rows: 1.5 of 8 us a call)
    one_group = compile_(rearranged, ("predict_groups",), inline="always")["predict_groups"]
    net_predict_one_block = compile_(
        rearranged,
        ("net_predict",),
        callees=dict(deep_rows, predict_groups=one_group),
        variant=variant + "_one_block",
    )["net_predict"]

    def net_predict_rows(X, weights, biases, hidden, output):
        width = _rearranged.panel_width(X)
        panels = tuple([to_panels(w, width) for w in weights])
        blocks = -(-X.shape[0] // _rearranged.PREDICT_BLOCK)
        kernel = net_predict_panels if blocks > 1 else net_predict_one_block
        finite = np.empty(blocks, dtype=np.bool_)
        Y_hat = kernel(X, weights, biases, hidden, output, panels, finite)
        if not finite.all():
            raise ValueError("X contains NaN or inf")
        return Y_hat

    net_train_online, net_train_batches = deep["net_train"], deep_rows["net_train"]

    def net_train(X, Y, weights, biases, hidden, output, loss, lrate, orders, batch_size, *scratch):
        """``_rearranged.net_train``, whose online SGD (``batch_size`` 1) is the reference's:
        called here directly, so that online training loads (or compiles) none of the
        mini-batches' kernels."""
        kernel = net_train_online if batch_size == 1 else net_train_batches
        return kernel(
            X, Y, weights, biases, hidden, output, loss, lrate, orders, batch_size, *scratch
        )

    return dict(
        net_response=deep["net_response"],
        net_update=deep["net_update"],
        net_train=net_train,
        net_predict=_on_threads(net_predict_rows, 5),
        net_predict_rows=net_predict_rows,
        net_train_rows=net_train_batches,
        net_predict_panels=net_predict_panels,
    )


@functools.cache
def fma_kernels():
    """The deep net's kernels in the FMA mode (``init_net(..., fma=True)``): ``_reference``'s
    and ``_rearranged``'s rewritten by ``_fma.fused``, each ``fma`` an ``llvm.fma`` (an FMA
    instruction where the CPU has one; LLVM calls the C library's exact ``fma`` otherwise),
    with ``layer_response``'s eight sums side by side (``_rearranged.EIGHT_SUMS``).
    Compiled (or loaded from the cache) on first use."""
    bind = dict(fma=_fma)
    exp = _exp_kernels(**NUMBA_OPTIONS)
    return types.SimpleNamespace(
        **_net_kernels(
            dict(exp, **bind),
            _kernels["to_panels"],
            _fma_mode.fused(_reference, _reference.NET_FUNCTIONS),
            _fma_mode.fused(
                _rearranged,
                ("layer_response", "hidden_delta", *DEEP_ROWS),
                bind=dict(EIGHT_SUMS=True),
            ),
            "_fma",
            **NUMBA_OPTIONS,
        )
    )


def hidden_update_forward_one_thread(prev, delta_hid, lrate, inp, whp, bh, hid, vals):
    """``_rearranged.hidden_update_forward_threads`` on one thread: every panel in one
    pass, as ``train`` does itself when ``threads == 1`` (the same call, so the same
    compiled code)."""
    hidden_update_forward(  # noqa: F821  (bound by _compile to rows' compiled one)
        prev, delta_hid, lrate, inp, whp, bh, hid, vals[0], 0, whp.shape[0]
    )


def _on_threads(kernel, nargs):
    """``kernel(*args[, threads])`` for a kernel of ``nargs`` arguments: its rows on
    ``threads`` threads (default: numba's, ``NUMBA_NUM_THREADS``, which is also the most
    numba can start)."""

    def on_threads(*args):
        if len(args) == nargs:
            return kernel(*args)
        *args, threads = args
        if threads > numba.config.NUMBA_NUM_THREADS:
            raise ValueError(
                f"threads={threads} is more than numba's "
                f"{numba.config.NUMBA_NUM_THREADS} (NUMBA_NUM_THREADS)"
            )
        before = numba.get_num_threads()
        numba.set_num_threads(threads)
        try:
            return kernel(*args)
        finally:
            numba.set_num_threads(before)

    on_threads.__doc__ = kernel.__doc__
    return on_threads


_THIS = sys.modules[__name__]
_kernels = kernels(**NUMBA_OPTIONS)
neural_response = _kernels["neural_response"]
update_network = _kernels["update_network"]
train_epoch_literal = _kernels["train_epoch_literal"]
train_epoch = _kernels["train_epoch"]
train = _kernels["train"]
predict = _kernels["predict"]
net_response = _kernels["net_response"]
net_update = _kernels["net_update"]
net_train = _kernels["net_train"]
net_predict = _kernels["net_predict"]

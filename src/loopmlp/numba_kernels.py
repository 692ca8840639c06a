"""The ``numba`` backend's kernels, callable from your own ``@njit`` code and from Python.

Each function here is a numba dispatcher: call it from an ``@njit`` function (also one with
``cache=True`` or ``parallel=True``, also inside ``prange``) and numba compiles it into your
code, with no Python in between; call it from Python and it runs as any ``@njit`` function.
The numbers are the ``numba`` backend's, bit for bit (hence the ``python`` reference's).

The lecture's net (float64; ``wh (n_hid, n_in)``, ``bh (n_hid,)``, ``wo (n_out, n_hid)``,
``bo (n_out,)``; weights updated in place)::

    neural_response(inp, wh, bh, wo, bo) -> (hid, out)
    update_network(inp, hid, out, err, wh, bh, wo, bo, lrate)
    train_epoch(X, Y, wh, bh, wo, bo, lrate) -> the epoch's MSE
    train(X, Y, wh, bh, wo, bo, lrate, num_epochs) -> mses (num_epochs,)
    predict(X, wh, bh, wo, bo) -> Y_hat (n, n_out)

The deep net (float32 or float64, all arrays alike; ``weights``, ``biases`` and the scratch
``acts``, ``deltas``, ``grad_w``, ``grad_b`` are tuples of one array per layer, as
``loopmlp.kernels._reference`` documents; activations and losses are the int constants
``SIGMOID``, ``TANH``, ``RELU``, ``IDENTITY``, ``SOFTMAX``, ``MSE``, ``CROSS_ENTROPY``)::

    net_response(inp, weights, biases, hidden, output, acts)
    net_update(inp, acts, tgt, weights, biases, hidden, output, loss, lrate, deltas)
    net_train(X, Y, weights, biases, hidden, output, loss, lrate, orders, batch_size,
              acts, deltas, grad_w, grad_b) -> losses (num_epochs,)
    net_predict(X, weights, biases, hidden, output) -> Y_hat (n, n_L)

Checks, inside the compiled code, before any weight moves: a wrong dtype or number of
dimensions (``orders``: a 2-D int64 array; codes, ``batch_size`` and ``num_epochs``:
integers) is a numba ``TypingError`` when the caller compiles (numba's types are fixed
then); a wrong shape, layers that do not fit, a non-C-contiguous array, a bad code, ``lrate``
not finite and > 0, ``num_epochs`` or ``batch_size`` < 1, or an ``orders`` row out of range
raise ``ValueError`` naming the argument. NaN and inf are not looked for (``predict`` and
``net_predict`` do, as the backend's kernels read ``X``).

A caller cached with ``cache=True`` holds these kernels' machine code. Its cache entry
carries a stamp of this loopmlp (version, kernel sources, compile options, ``_Stamp``): in a
process with another loopmlp the entry reads as missing, and numba compiles the caller again.
So does every cached function compiled over it, also over one taken from the cache (numba
would drop the stamp from a function it loads: ``_numba_cache.keep_reload_init``).

``predict``, ``net_predict``, mini-batch ``net_train`` and ``train`` on big nets run a
parallel region of their own: call them outside ``prange`` (numba's ``workqueue`` threading
layer stops the process on nested parallel regions).
"""

import functools
import math
import sys

import numba
import numpy as np
from numba.core import errors, types
from numba.extending import overload

from .kernels import _elementary, _exp, _numba, _numba_cache, _rearranged, _reference
from .kernels._reference import (
    CROSS_ENTROPY,
    IDENTITY,
    MSE,
    RELU,
    SIGMOID,
    SOFTMAX,
    TANH,
)

__all__ = [
    "neural_response",
    "update_network",
    "train_epoch",
    "train",
    "predict",
    "net_response",
    "net_update",
    "net_train",
    "net_predict",
    "SIGMOID",
    "TANH",
    "RELU",
    "IDENTITY",
    "SOFTMAX",
    "MSE",
    "CROSS_ENTROPY",
]

# A user's function cached with our kernels compiled in is loaded by numba's own cache, which
# does not launch the threading layer that a parallel kernel inside it needs (numba#8578):
# launch it now, before any such function can be loaded.
_numba_cache.launch_threads()
# ... and a cached function of theirs, compiled over another taken from the cache, inherits
# what that one's library held: the stamp below among it.
_numba_cache.keep_reload_init()

_K = _numba._kernels
_K_NEURAL_RESPONSE = _K["neural_response"]
_K_UPDATE_NETWORK = _K["update_network"]
_K_TRAIN = _K["train_rows"]
_K_TO_PANELS = _K["to_panels"]
_K_NET_RESPONSE = _K["net_response"]
_K_NET_UPDATE = _K["net_update"]
_K_NET_TRAIN = _K["net_train_rows"]
_K_NET_PREDICT = _K["net_predict_panels"]
# The per-sample kernels' code inlined into the checked functions (numba's IR), not called:
# a call to another compiled function from there cost a user's @njit loop 50 to 90 ns a call
# more than the kernel itself (2-2-1). The same source over the same callees and options.
_inline_kernel = functools.partial(numba.njit, **dict(_numba.NUMBA_OPTIONS, cache=False))
_K_NEURAL_RESPONSE = _inline_kernel(inline="always")(_K_NEURAL_RESPONSE.py_func)
_K_UPDATE_NETWORK = _inline_kernel(inline="always")(_K_UPDATE_NETWORK.py_func)
_K_NET_RESPONSE = _inline_kernel(inline="always")(_K_NET_RESPONSE.py_func)
_K_NET_UPDATE = _inline_kernel(inline="always")(_K_NET_UPDATE.py_func)
_PANEL = _rearranged.PANEL
_PARALLEL_WEIGHTS, _PREDICT_BLOCK = _rearranged.PARALLEL_WEIGHTS, _rearranged.PREDICT_BLOCK


# --- The cache stamp ------------------------------------------------------------------------
# numba's cache key for a user's function holds its own bytecode, not its callees': after an
# upgrade, a cached caller would run the old kernels it was linked with. numba saves a cached
# entry with its code library's reload_init callables, and calls them when it loads one; a
# caller's library inherits them from every library it links. Each of our public functions'
# libraries holds a _Stamp; pickled in the caller's entry, it unpickles through _stamped, which
# raises OSError for another loopmlp, and numba reads an entry that raises OSError as missing:
# it compiles the caller again.


TAG = _numba_cache.source_tag(
    (_reference, _rearranged, _exp, _elementary, _numba, _numba_cache, sys.modules[__name__]),
    _numba.NUMBA_OPTIONS,
)


class StaleCacheError(FileNotFoundError):
    """A cache entry linked against another loopmlp: numba treats it as missing."""


class _Stamp:
    def __init__(self, tag):
        self.tag = tag

    def __call__(self):
        pass  # the check ran as the entry was unpickled

    def __reduce__(self):
        return (_stamped, (self.tag,))


def _stamped(tag):
    if tag != TAG:
        raise StaleCacheError(f"compiled against loopmlp kernels {tag}, these are {TAG}")
    return _STAMP


_STAMP = _Stamp(TAG)


def _public(f, **options):
    """``f`` compiled as the backend's kernels are, cached under a name holding ``TAG``, each
    overload's code library stamped (also one loaded from the cache)."""
    f.__qualname__ += TAG
    dispatcher = numba.njit(**dict(_numba.NUMBA_OPTIONS, **options))(f)
    _numba_cache.enable_caching(dispatcher, threaded=True)
    add_overload = dispatcher.add_overload

    def add_stamped_overload(cres):
        cres.library._reload_init.add(_STAMP)
        add_overload(cres)

    dispatcher.add_overload = add_stamped_overload
    return dispatcher


# The checks are inlined into the public functions (numba's IR, before LLVM): as separate
# functions, the reference counting of the arrays passed to them cost more than a small net's
# kernel (2-2-1, a user's @njit loop: 300 ns a call, against 100 ns without checks). The
# public functions are not inlined into their callers: a raise in a prange loop's body would
# keep numba from running it in parallel.
_inline = functools.partial(_public, inline="always")


# --- Checks ---------------------------------------------------------------------------------


def _typed(a, like, ndim, name):
    """Compile time only: ``a`` is an array of ``ndim`` dimensions (-1, -2: a tuple of 1-D,
    2-D arrays) with the dtype of ``like`` (a float type, an array or a tuple of arrays)."""


@overload(_typed, prefer_literal=True)
def _typed_overload(a, like, ndim, name):
    want = like
    if isinstance(like, types.BaseTuple):
        want = like.dtype if isinstance(like, types.UniTuple) else None
    if isinstance(want, types.Array):
        want = want.dtype
    if not isinstance(ndim, types.IntegerLiteral) or not isinstance(name, types.StringLiteral):
        return None  # numba asks again with the literals
    n, what = ndim.literal_value, name.literal_value
    item = a.dtype if isinstance(a, types.UniTuple) else None
    if n < 0:
        ok = isinstance(item, types.Array) and item.ndim == -n and item.dtype == want
        expected = f"a tuple of {-n}-D {want} arrays, one per layer"
    else:
        ok = isinstance(a, types.Array) and a.ndim == n and a.dtype == want
        expected = f"a {n}-D {want} array"
    if want not in (types.float32, types.float64):
        ok, expected = False, "float32 or float64 arrays, all of one dtype"
    if not ok:
        raise errors.TypingError(f"loopmlp.numba_kernels: {what} must be {expected}, got {a}")
    return lambda a, like, ndim, name: None


def _integer(x, name):
    """Compile time only: ``x`` is an integer (an activation or loss code, a count)."""


@overload(_integer, prefer_literal=True)
def _integer_overload(x, name):
    if not isinstance(name, types.StringLiteral):
        return None
    if not isinstance(x, types.Integer):
        raise errors.TypingError(
            f"loopmlp.numba_kernels: {name.literal_value} must be an integer, got {x}"
        )
    return lambda x, name: None


def _orders(orders):
    """Compile time only: ``orders`` is a 2-D int64 array."""


@overload(_orders)
def _orders_overload(orders):
    if not (isinstance(orders, types.Array) and orders.ndim == 2 and orders.dtype == types.int64):
        raise errors.TypingError(
            "loopmlp.numba_kernels: orders must be a 2-D int64 array (num_epochs, num_samples), "
            f"got {orders}"
        )
    return lambda orders: None


# The arrays' names, for the messages: the checks pass an index, so a string is made only
# when a check fails (numba would make a string object for every call that passes one).
_NAMES = ("inp", "hid", "out", "err", "wh", "bh", "wo", "bo", "X", "Y", "tgt", "weights",
          "biases", "acts", "deltas", "grad_w", "grad_b")  # fmt: skip
_INP, _HID, _OUT, _ERR, _WH, _BH, _WO, _BO, _X, _Y, _TGT = range(11)
_WEIGHTS, _BIASES, _ACTS, _DELTAS, _GRAD_W, _GRAD_B = range(11, 17)
# What _fail says after the array's name.
_WHATS = (" must be C-contiguous", " is empty: it needs at least one row",
          " must hold one array per layer, as weights does",
          " is empty: every layer needs a node")  # fmt: skip
_NOT_CONTIGUOUS, _NO_ROWS, _NOT_PER_LAYER, _EMPTY_LAYER = range(4)
# What _fail_int says before and after the number.
_INT_WHATS = (("hidden must be SIGMOID, TANH or RELU, got ", ""),
              ("loss must be MSE or CROSS_ENTROPY, got ", ""),
              ("num_epochs must be >= 1, got ", ""), ("batch_size must be >= 1, got ", ""),
              ("orders holds row ", ", outside X"))  # fmt: skip
_BAD_HIDDEN, _BAD_LOSS, _BAD_EPOCHS, _BAD_BATCH, _BAD_ROW = range(5)


@_inline
def _name(arg, layer):
    """``_NAMES[arg]``, or ``_NAMES[arg][layer]`` for a layer's array."""
    return _NAMES[arg] if layer < 0 else _NAMES[arg] + "[" + str(layer) + "]"


# The messages are made and raised in functions of their own, called only when a check fails:
# inlined, each string a message is built of took a slot on the stack, cleared on every call
# (2-2-1, a user's @njit loop: 170 ns a call of neural_response, against 105 ns without checks).


def _fail_shape(arg, layer, ndim, got0, got1, d0, d1):
    want = "(" + str(d0) + ",)" if d1 < 0 else "(" + str(d0) + ", " + str(d1) + ")"
    got = "(" + str(got0) + ",)"
    if ndim == 2:
        got = "(" + str(got0) + ", " + str(got1) + ")"
    raise ValueError(_name(arg, layer) + " has shape " + got + ", expected " + want)


def _fail(arg, layer, what):
    raise ValueError(_name(arg, layer) + _WHATS[what])


def _fail_int(what, value):
    raise ValueError(_INT_WHATS[what][0] + str(value) + _INT_WHATS[what][1])


_fail_shape, _fail, _fail_int = _public(_fail_shape), _public(_fail), _public(_fail_int)


# The inlined checks take an array's shape and contiguity, not the array: each array passed to
# an inlined function was a reference counted on every call (an atomic add and subtract).


@_inline
def _shape(arg, layer, shape, contiguous, d0, d1):
    """ValueError unless an array of ``shape`` has shape (d0,) (d1 < 0) or (d0, d1), and is
    C-contiguous."""
    if shape[0] != d0 or (len(shape) == 2 and shape[len(shape) - 1] != d1):
        _fail_shape(arg, layer, len(shape), shape[0], shape[len(shape) - 1], d0, d1)
    if not contiguous:
        _fail(arg, layer, _NOT_CONTIGUOUS)


@_inline
def _rows(arg, shape, contiguous, d1):
    if shape[0] < 1:
        _fail(arg, -1, _NO_ROWS)
    _shape(arg, -1, shape, contiguous, shape[0], d1)


def _lecture_typed(wh, bh, wo, bo):
    """Compile time only: the lecture net's weights are float64 arrays of 2, 1, 2, 1-D."""


@overload(_lecture_typed)
def _lecture_typed_overload(wh, bh, wo, bo):
    def impl(wh, bh, wo, bo):
        _typed(wh, 0.0, 2, "wh")
        _typed(bh, 0.0, 1, "bh")
        _typed(wo, 0.0, 2, "wo")
        _typed(bo, 0.0, 1, "bo")

    return impl


@_inline
def _lecture_net(wh, whc, bh, bhc, wo, woc, bo, boc):
    """Checks the lecture net's weights' shapes and contiguity (``wh``: wh.shape, ``whc``: wh's
    flags.c_contiguous, ...); returns (n_in, n_hid, n_out)."""
    if wh[0] < 1 or wh[1] < 1 or wo[0] < 1:
        raise ValueError("the net needs at least one node per layer")
    n_in, n_hid, n_out = wh[1], wh[0], wo[0]
    _shape(_WH, -1, wh, whc, n_hid, n_in)
    _shape(_BH, -1, bh, bhc, n_hid, -1)
    _shape(_WO, -1, wo, woc, n_out, n_hid)
    _shape(_BO, -1, bo, boc, n_out, -1)
    return n_in, n_hid, n_out


@_inline
def _lrate(lrate):
    if not (math.isfinite(lrate) and lrate > 0):
        raise ValueError("lrate must be finite and > 0")


@_inline
def _net_lrate(real):
    """``real``: lrate in the net's dtype, checked there: 1e39 is inf in float32, 1e-46 is 0."""
    if not (math.isfinite(real) and real > 0):
        raise ValueError("lrate must be finite and > 0 in the net's dtype")
    return real


def _layout(arrays):
    """Each array's (shape, C-contiguous): what the inlined checks take of a tuple of arrays."""


@overload(_layout)
def _layout_overload(arrays):
    # a tuple of any length built in compiled code: one expression per layer
    items = "".join(f"(arrays[{i}].shape, arrays[{i}].flags.c_contiguous), "
                    for i in range(arrays.count))  # fmt: skip
    scope = {}
    exec(f"def impl(arrays):\n    return ({items})", scope)
    return scope["impl"]


def _deep_typed(weights, biases, hidden, output):
    """Compile time only: the deep net's arrays and codes have the types _deep_net expects."""


@overload(_deep_typed)
def _deep_typed_overload(weights, biases, hidden, output):
    def impl(weights, biases, hidden, output):
        _integer(hidden, "hidden")
        _integer(output, "output")
        _typed(weights, weights, -2, "weights")
        _typed(biases, weights, -1, "biases")

    return impl


@_inline
def _deep_net(weights, biases, hidden, output):
    """Checks the layers (``weights``, ``biases``: their _layout) and codes; returns
    (n_0, n_L)."""
    if len(biases) != len(weights):
        raise ValueError("biases must hold one array per layer, as weights does")
    for layer in range(len(weights)):
        shape, contiguous = weights[layer]
        if shape[0] < 1 or shape[1] < 1:
            _fail(_WEIGHTS, layer, _EMPTY_LAYER)
        d1 = weights[layer - 1][0][0] if layer > 0 else shape[1]
        _shape(_WEIGHTS, layer, shape, contiguous, shape[0], d1)
        b_shape, b_contiguous = biases[layer]
        _shape(_BIASES, layer, b_shape, b_contiguous, shape[0], -1)
    if not (SIGMOID <= hidden <= RELU):
        _fail_int(_BAD_HIDDEN, hidden)
    if not (SIGMOID <= output <= SOFTMAX):
        raise ValueError("output must be SIGMOID, TANH, RELU, IDENTITY or SOFTMAX")
    return weights[0][0][1], weights[len(weights) - 1][0][0]


@_inline
def _per_layer(arg, arrays, weights, matrix):
    """``arrays[l]``: (n_{l+1}, n_l) if matrix, else (n_{l+1},) (``arrays``, ``weights``: their
    _layout)."""
    if len(arrays) != len(weights):
        _fail(arg, -1, _NOT_PER_LAYER)
    for layer in range(len(weights)):
        w = weights[layer][0]
        shape, contiguous = arrays[layer]
        _shape(arg, layer, shape, contiguous, w[0], w[1] if matrix else -1)


@_inline
def _loss(loss, output):
    _integer(loss, "loss")
    if loss != MSE and loss != CROSS_ENTROPY:
        _fail_int(_BAD_LOSS, loss)
    if loss == CROSS_ENTROPY and output != SIGMOID and output != SOFTMAX:
        raise ValueError("CROSS_ENTROPY needs a SIGMOID or SOFTMAX output")


# --- The lecture's net -----------------------------------------------------------------------


def neural_response(inp, wh, bh, wo, bo):
    _typed(inp, 0.0, 1, "inp")
    _lecture_typed(wh, bh, wo, bo)
    n_in, n_hid, n_out = _lecture_net(
        wh.shape, wh.flags.c_contiguous, bh.shape, bh.flags.c_contiguous,
        wo.shape, wo.flags.c_contiguous, bo.shape, bo.flags.c_contiguous,
    )  # fmt: skip
    _shape(_INP, -1, inp.shape, inp.flags.c_contiguous, n_in, -1)
    return _K_NEURAL_RESPONSE(inp, wh, bh, wo, bo)


def update_network(inp, hid, out, err, wh, bh, wo, bo, lrate):
    _typed(inp, 0.0, 1, "inp")
    _typed(hid, 0.0, 1, "hid")
    _typed(out, 0.0, 1, "out")
    _typed(err, 0.0, 1, "err")
    _lecture_typed(wh, bh, wo, bo)
    n_in, n_hid, n_out = _lecture_net(
        wh.shape, wh.flags.c_contiguous, bh.shape, bh.flags.c_contiguous,
        wo.shape, wo.flags.c_contiguous, bo.shape, bo.flags.c_contiguous,
    )  # fmt: skip
    _shape(_INP, -1, inp.shape, inp.flags.c_contiguous, n_in, -1)
    _shape(_HID, -1, hid.shape, hid.flags.c_contiguous, n_hid, -1)
    _shape(_OUT, -1, out.shape, out.flags.c_contiguous, n_out, -1)
    _shape(_ERR, -1, err.shape, err.flags.c_contiguous, n_out, -1)
    _lrate(lrate)
    _K_UPDATE_NETWORK(inp, hid, out, err, wh, bh, wo, bo, float(lrate))


def _train_args(X, Y, wh, bh, wo, bo, lrate):
    """The checks of train and train_epoch; returns the threads to share wh's panels."""
    _typed(X, 0.0, 2, "X")
    _typed(Y, 0.0, 2, "Y")
    _lecture_typed(wh, bh, wo, bo)
    n_in, n_hid, n_out = _lecture_net(
        wh.shape, wh.flags.c_contiguous, bh.shape, bh.flags.c_contiguous,
        wo.shape, wo.flags.c_contiguous, bo.shape, bo.flags.c_contiguous,
    )  # fmt: skip
    _rows(_X, X.shape, X.flags.c_contiguous, n_in)
    _shape(_Y, -1, Y.shape, Y.flags.c_contiguous, X.shape[0], n_out)
    _lrate(lrate)
    # as the backend: numba's threads for a big net, else one
    return max(1, _numba.num_threads()) if n_in * n_hid >= _PARALLEL_WEIGHTS else 1


_train_args = _inline(_train_args)


def train_epoch(X, Y, wh, bh, wo, bo, lrate):
    threads = _train_args(X, Y, wh, bh, wo, bo, lrate)
    # one epoch of train, as the backend's train_epoch: the same code, so the same bits
    return _K_TRAIN(X, Y, wh, bh, wo, bo, float(lrate), 1, threads)[0]


def train(X, Y, wh, bh, wo, bo, lrate, num_epochs):
    threads = _train_args(X, Y, wh, bh, wo, bo, lrate)
    _integer(num_epochs, "num_epochs")
    if num_epochs < 1:
        _fail_int(_BAD_EPOCHS, num_epochs)
    return _K_TRAIN(X, Y, wh, bh, wo, bo, float(lrate), num_epochs, threads)


def predict(X, wh, bh, wo, bo):
    _typed(X, 0.0, 2, "X")
    _lecture_typed(wh, bh, wo, bo)
    n_in, n_hid, n_out = _lecture_net(
        wh.shape, wh.flags.c_contiguous, bh.shape, bh.flags.c_contiguous,
        wo.shape, wo.flags.c_contiguous, bo.shape, bo.flags.c_contiguous,
    )  # fmt: skip
    _rows(_X, X.shape, X.flags.c_contiguous, n_in)
    # the backend's predict: the deep net's panels, eight rows a pass
    panels = (_K_TO_PANELS(wh, _PANEL), _K_TO_PANELS(wo, _PANEL))
    return _predict_panels(X, (wh, wo), (bh, bo), SIGMOID, SIGMOID, panels)


def _predict_panels(X, weights, biases, hidden, output, panels):
    finite = np.empty(-(-X.shape[0] // _PREDICT_BLOCK), dtype=np.bool_)
    Y_hat = _K_NET_PREDICT(X, weights, biases, hidden, output, panels, finite)
    if not finite.all():
        raise ValueError("X contains NaN or inf")
    return Y_hat


_predict_panels = _inline(_predict_panels)


# --- The deep net ----------------------------------------------------------------------------


def net_response(inp, weights, biases, hidden, output, acts):
    _typed(acts, weights, -1, "acts")
    _typed(inp, weights, 1, "inp")
    _deep_typed(weights, biases, hidden, output)
    layout = _layout(weights)
    n_0, n_L = _deep_net(layout, _layout(biases), hidden, output)
    _per_layer(_ACTS, _layout(acts), layout, False)
    _shape(_INP, -1, inp.shape, inp.flags.c_contiguous, n_0, -1)
    _K_NET_RESPONSE(inp, weights, biases, hidden, output, acts)


def net_update(inp, acts, tgt, weights, biases, hidden, output, loss, lrate, deltas):
    _typed(acts, weights, -1, "acts")
    _typed(deltas, weights, -1, "deltas")
    _typed(inp, weights, 1, "inp")
    _typed(tgt, weights, 1, "tgt")
    _deep_typed(weights, biases, hidden, output)
    layout = _layout(weights)
    n_0, n_L = _deep_net(layout, _layout(biases), hidden, output)
    _loss(loss, output)
    _per_layer(_ACTS, _layout(acts), layout, False)
    _per_layer(_DELTAS, _layout(deltas), layout, False)
    _shape(_INP, -1, inp.shape, inp.flags.c_contiguous, n_0, -1)
    _shape(_TGT, -1, tgt.shape, tgt.flags.c_contiguous, n_L, -1)
    lrate = _net_lrate(_real(lrate, weights))
    _K_NET_UPDATE(inp, acts, tgt, weights, biases, hidden, output, loss, lrate, deltas)


def net_train(
    X, Y, weights, biases, hidden, output, loss, lrate, orders, batch_size, acts, deltas, grad_w,
    grad_b
):  # fmt: skip
    _typed(acts, weights, -1, "acts")
    _typed(deltas, weights, -1, "deltas")
    _typed(grad_w, weights, -2, "grad_w")
    _typed(grad_b, weights, -1, "grad_b")
    _typed(X, weights, 2, "X")
    _typed(Y, weights, 2, "Y")
    _deep_typed(weights, biases, hidden, output)
    layout = _layout(weights)
    n_0, n_L = _deep_net(layout, _layout(biases), hidden, output)
    _loss(loss, output)
    _per_layer(_ACTS, _layout(acts), layout, False)
    _per_layer(_DELTAS, _layout(deltas), layout, False)
    _per_layer(_GRAD_W, _layout(grad_w), layout, True)
    _per_layer(_GRAD_B, _layout(grad_b), layout, False)
    _rows(_X, X.shape, X.flags.c_contiguous, n_0)
    _shape(_Y, -1, Y.shape, Y.flags.c_contiguous, X.shape[0], n_L)
    lrate = _net_lrate(_real(lrate, weights))
    _integer(batch_size, "batch_size")
    if batch_size < 1:
        _fail_int(_BAD_BATCH, batch_size)
    _orders(orders)
    if not orders.flags.c_contiguous:
        raise ValueError("orders must be C-contiguous")
    if orders.shape[0] < 1 or orders.shape[1] < 1:
        raise ValueError("orders needs at least one epoch of at least one row")
    for row in orders.ravel():
        if not 0 <= row < X.shape[0]:
            _fail_int(_BAD_ROW, row)
    return _K_NET_TRAIN(
        X, Y, weights, biases, hidden, output, loss, lrate, orders, batch_size, acts, deltas,
        grad_w, grad_b
    )  # fmt: skip


_panel_width = numba.njit(inline="always")(_rearranged.panel_width)


def _real(x, weights):
    """``x`` rounded to the net's dtype."""


@overload(_real)
def _real_overload(x, weights):
    if weights.dtype.dtype == types.float32:
        return lambda x, weights: np.float32(x)
    return lambda x, weights: np.float64(x)


def _panels_of(weights, width):
    """Each layer's panels, as the backend's net_predict packs them."""


@overload(_panels_of)
def _panels_of_overload(weights, width):
    # a tuple of any length built in compiled code: one expression per layer
    items = ", ".join(f"to_panels(weights[{i}], width)" for i in range(weights.count)) + ","
    scope = {"to_panels": _K_TO_PANELS}
    exec(f"def impl(weights, width):\n    return ({items})", scope)
    return scope["impl"]


def net_predict(X, weights, biases, hidden, output):
    _typed(X, weights, 2, "X")
    _deep_typed(weights, biases, hidden, output)
    layout = _layout(weights)
    n_0, n_L = _deep_net(layout, _layout(biases), hidden, output)
    _rows(_X, X.shape, X.flags.c_contiguous, n_0)
    panels = _panels_of(weights, _panel_width(X))
    return _predict_panels(X, weights, biases, hidden, output, panels)


neural_response = _public(neural_response)
update_network = _public(update_network)
train_epoch = _public(train_epoch)
train = _public(train)
predict = _public(predict)
net_response = _public(net_response)
net_update = _public(net_update)
net_train = _public(net_train)
net_predict = _public(net_predict)


# --- For loopmlp bench's call rows (loopmlp.workloads.CallWorkload) only -------------------
# A user's @njit loops over the lecture's kernels: n calls each, compiled on first use.


@numba.njit
def _bench_forward_loop(inp, wh, bh, wo, bo, n):
    hid, out = neural_response(inp, wh, bh, wo, bo)
    for _ in range(n - 1):
        hid, out = neural_response(inp, wh, bh, wo, bo)
    return hid, out


@numba.njit
def _bench_update_loop(inp, hid, out, err, wh, bh, wo, bo, lrate, n):
    for _ in range(n):
        update_network(inp, hid, out, err, wh, bh, wo, bo, lrate)

"""Deep nets: the ``Net`` a backend's ``net_*`` kernels train, ``init_net``, and their checks.

A net of ``sizes = [n_0, n_1, ..., n_L]`` has ``L`` layers; layer ``l`` holds
``weights[l] (n_{l+1}, n_l)`` and ``biases[l] (n_{l+1},)``, as the lecture's ``wh, bh, wo, bo``
for ``L = 2``. Every layer but the last applies the ``activation`` function, the last the
``output`` one; ``loss`` is what training minimises. (``hidden`` is the old name of
``activation``: ``init_net(hidden=...)`` and ``Net.hidden`` still work and warn; elsewhere in
loopmlp ``hidden`` means the hidden layers' widths.)

The checks below are plain Python, written once for every backend: each public ``net_*``
method of a backend calls one ``check_*`` function, which validates all of its arguments
before any kernel runs, so bad input raises ``TypeError`` (wrong kind of object or dtype) or
``ValueError`` (wrong shape, layout or value) naming the argument, and the weights stay
untouched. The rules, as ``_check.pyx`` states them for the lecture's net:

* the net: a ``Net``, with known and compatible ``activation``, ``output``, ``loss``, one weight
  matrix and one bias vector per layer of ``sizes``, each an ndarray of exactly the net's
  dtype (no mixed dtypes inside a net), C-contiguous, aligned, finite, writeable where a
  kernel updates it, and no two sharing memory. Weights are never converted: an update must
  not land on a copy.
* data (``inp``, ``acts``, ``tgt``, ``X``, ``Y``): any bool/int/float array (floats of at most
  64 bits), converted once to the net's dtype; the right shape, at least one row, no NaN or
  inf (also none made by the conversion, such as 1e300 in a float32 net). Weights that a
  kernel updates must not share memory with the data.
* ``lrate``: a finite real number > 0, also in the net's dtype; ``epochs``, ``batch_size``:
  integers >= 1 (``True`` and ``2.0`` are not integers); ``shuffle_seed``: None or an
  integer >= 0.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from .kernels._reference import CROSS_ENTROPY, IDENTITY, MSE, RELU, SIGMOID, SOFTMAX, TANH

# The names of the public API -> the kernels' codes: the hidden layers' activation, the
# output layer's, the loss.
ACTIVATIONS = {"sigmoid": SIGMOID, "tanh": TANH, "relu": RELU}
OUTPUT = {"sigmoid": SIGMOID, "identity": IDENTITY, "softmax": SOFTMAX}
LOSSES = {"mse": MSE, "cross_entropy": CROSS_ENTROPY}
# The pairs the output deltas are derived for; the other two are refused, saying why.
INCOMPATIBLE = {
    ("softmax", "mse"): "softmax outputs take the cross_entropy loss (its delta y - o is "
    "what the kernels use); for mse use sigmoid or identity outputs",
    ("identity", "cross_entropy"): "cross_entropy needs outputs in (0, 1): use sigmoid or "
    "softmax outputs, or the mse loss",
}
DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
INITS = ("lecture", "scaled")

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

_D = TypeVar("_D", bound="DataclassInstance")
Arrays = tuple[np.ndarray, ...]  # one array per layer, as the kernels take them


def _renamed(old: str, new: str, stacklevel: int = 3) -> None:
    """Warn that the caller used ``old``, the former spelling of ``new`` (a FutureWarning:
    shown to users by default, not only to developers)."""
    warnings.warn(
        f"{old} is deprecated, use {new} (the same thing under its new name; in loopmlp "
        f"'hidden' now means only the hidden layers' widths)",
        FutureWarning,
        stacklevel=stacklevel,
    )


if not TYPE_CHECKING:  # hidden from type checkers, which would take any name for this one

    def __getattr__(name: str):
        if name == "HIDDEN":  # the old name of ACTIVATIONS
            _renamed("loopmlp.net.HIDDEN", "loopmlp.net.ACTIVATIONS")
            return ACTIVATIONS
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _accepts_hidden(cls: type[_D]) -> type[_D]:
    """Let ``cls(..., hidden=X)``, the old spelling, construct ``cls(..., activation=X)``
    with a FutureWarning. For the dataclasses whose field ``hidden`` became ``activation``
    (``Net``, ``loopmlp.workloads.NetWorkload``); their generated ``__init__`` is kept."""
    init = cls.__init__
    position = [f.name for f in fields(cls)].index("activation") + 1  # after self

    @functools.wraps(init)
    def __init__(self, *args, hidden=None, **kwargs) -> None:
        if hidden is not None:
            _renamed(f"{cls.__name__}(hidden=...)", f"{cls.__name__}(activation=...)")
            if "activation" in kwargs or len(args) >= position:
                raise TypeError(f"{cls.__name__}() got both activation and hidden (its old name)")
            kwargs["activation"] = hidden
        init(self, *args, **kwargs)

    setattr(cls, "__init__", __init__)  # noqa: B010 (mypy would refuse the plain assignment)
    return cls


@_accepts_hidden
@dataclass(eq=False, repr=False)
class Net:
    """A multilayer perceptron of any depth, trained by a backend's ``net_*`` kernels.

    Attributes
    ----------
    sizes : tuple of int
        Nodes per layer, input first: ``(n_0, n_1, ..., n_L)``, ``L >= 1`` layers.
    weights : list of ndarray
        ``weights[l]`` of shape ``(sizes[l + 1], sizes[l])``, updated in place by training.
    biases : list of ndarray
        ``biases[l]`` of shape ``(sizes[l + 1],)``, updated in place by training.
    activation : {"sigmoid", "tanh", "relu"}
        The activation of every layer but the last. ``hidden``, its old name, still works
        (``Net(..., hidden=...)`` and the attribute ``net.hidden``) with a FutureWarning.
    output : {"sigmoid", "identity", "softmax"}
        The activation of the last layer.
    loss : {"mse", "cross_entropy"}
        ``mse``: the mean of ``(y - o)**2`` over the outputs (its gradient is taken of
        ``1/2 sum (y - o)**2``, as the lecture's); ``cross_entropy``: ``-sum y log o`` for
        softmax outputs, ``-sum [y log o + (1 - y) log(1 - o)]`` for sigmoid ones.
    dtype : numpy.dtype
        float32 or float64: every weight and bias, and every computation, in this dtype.
    fma : bool
        The FMA mode: every multiply-add of the loops (``s += a * b``: the weighted sums,
        the back-propagated sums, the updates, the mini-batch gradient sums and the loss
        sums) rounds once, as ``fma(a, b, s)``, instead of twice; the same terms in the same
        order. Bit-identical on every loop backend; other bits than the default (the
        lecture's two roundings), and faster where multiplies and adds share the FMA ports.

    Make one with ``init_net``; the backends check it (``check_*``) before every use.

    Examples
    --------
    >>> import loopmlp
    >>> net = loopmlp.init_net([4, 3, 2], activation="tanh", seed=0)
    >>> net
    Net(sizes=(4, 3, 2), activation='tanh', output='sigmoid', loss='mse', dtype=float64)
    >>> [w.shape for w in net.weights], [b.shape for b in net.biases]
    ([(3, 4), (2, 3)], [(3,), (2,)])
    """

    sizes: tuple[int, ...]
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    activation: str = "sigmoid"
    output: str = "sigmoid"
    loss: str = "mse"
    dtype: np.dtype = field(default_factory=lambda: np.dtype(np.float64))
    fma: bool = False

    def __repr__(self) -> str:
        return (
            f"Net(sizes={tuple(self.sizes)!r}, activation={self.activation!r}, "
            f"output={self.output!r}, loss={self.loss!r}, dtype={np.dtype(self.dtype).name}"
            + (", fma=True)" if self.fma is True else ")")
        )

    @property
    def hidden(self) -> str:
        """Deprecated: the old name of ``activation``."""
        _renamed("Net.hidden", "Net.activation")
        return self.activation

    @hidden.setter
    def hidden(self, value: str) -> None:
        _renamed("Net.hidden", "Net.activation")
        self.activation = value

    # Pickles: a Net pickled before the rename holds "hidden" and no "activation" (which
    # would then read as the class default, "sigmoid"); it loads with its activation. A Net
    # pickled now holds both names, so that loopmlp 0.2.0 loads it with its activation too.
    def __getstate__(self) -> dict:
        return {**self.__dict__, "hidden": self.activation}

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        hidden = state.pop("hidden", None)
        if "activation" not in state and hidden is not None:
            state["activation"] = hidden
        self.__dict__.update(state)


def init_net(
    sizes: Sequence[int],
    activation: str = "sigmoid",
    output: str = "sigmoid",
    loss: str = "mse",
    seed: int | None = 0,
    dtype: DTypeLike = "float64",
    init: str = "lecture",
    *,
    fma: bool = False,
    hidden: str | None = None,
) -> Net:
    """A new net with the lecture's initialisation, for any number of layers.

    Parameters
    ----------
    sizes : sequence of int
        Nodes per layer, input first; at least 2 entries (no hidden layer), each >= 1.
    activation, output, loss : str
        See ``Net``. softmax outputs go with ``cross_entropy``, identity outputs with ``mse``.
    seed : int or None
        For ``np.random.default_rng``: the same seed gives the same weights.
    dtype : "float32" or "float64" (or ``np.float32``, ``np.float64``)
    init : {"lecture", "scaled"}
        ``lecture``: for each layer in order, ``W = 2 * rng.random((n_out, n_in)) - 1``
        (uniform in [-1, 1), drawn in float64, then cast to ``dtype``), biases zero; for
        ``sizes = [a, b, c]`` these are ``init_weights(a, b, c, seed)``'s ``wh`` and ``wo``.
        ``scaled``: the same divided by ``sqrt(n_in)`` (the fan-in), before the cast: what
        the command line's ``--init scaled`` does, and what keeps 512 sigmoid units of a
        784-input layer from saturating.
    fma : bool, default False
        The FMA mode (see ``Net``): one rounding per multiply-add.
    hidden : str, optional
        Deprecated (FutureWarning): the old name of ``activation``.

    Returns
    -------
    Net

    Examples
    --------
    >>> import numpy as np
    >>> from loopmlp import init_net, init_weights
    >>> net = init_net([64, 32, 32, 10], activation="relu", output="softmax",
    ...                loss="cross_entropy", dtype="float32", init="scaled")
    >>> net.sizes, net.dtype.name, [w.dtype.name for w in net.weights]
    ((64, 32, 32, 10), 'float32', ['float32', 'float32', 'float32'])
    >>> wh, bh, wo, bo = init_weights(60, 6, 4, seed=0)
    >>> lecture = init_net([60, 6, 4], seed=0)
    >>> bool(np.array_equal(lecture.weights[0], wh) and np.array_equal(lecture.weights[1], wo))
    True
    """
    if hidden is not None:
        _renamed("init_net(hidden=...)", "init_net(activation=...)")
        if activation != "sigmoid" and activation != hidden:
            raise TypeError(
                f"init_net() got activation={activation!r} and hidden={hidden!r}, its old "
                f"name: give activation only"
            )
        activation = hidden
    sizes = _sizes(sizes)
    _functions(activation, output, loss)
    dt = _dtype(dtype)
    _fma(fma)
    if init not in INITS:
        raise ValueError(f"init must be one of {INITS}, got {init!r}")
    rng = np.random.default_rng(seed)
    weights, biases = [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        # randomize this layer's weights (the lecture's wh, then wo, for one hidden layer)
        w = 2 * rng.random((n_out, n_in)) - 1
        if init == "scaled":
            w /= math.sqrt(n_in)  # as the command line's --init scaled
        weights.append(np.ascontiguousarray(w, dtype=dt))
        # initialize the bias weights
        biases.append(np.zeros((n_out), dtype=dt))
    return Net(sizes, weights, biases, activation, output, loss, dt, fma)


# --------------------------------------------------------------------------------------
# The net's own settings
# --------------------------------------------------------------------------------------


def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _sizes(sizes, name: str = "sizes") -> tuple[int, ...]:
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (Sequence, np.ndarray)):
        raise TypeError(f"{name} must be a sequence of integers, got {type(sizes).__name__}")
    if len(sizes) < 2:
        raise ValueError(f"{name} needs at least 2 entries (inputs and outputs), got {list(sizes)}")
    for n in sizes:
        if not _is_int(n):
            raise TypeError(f"{name} must hold integers, got {n!r} in {list(sizes)}")
        if n < 1:
            raise ValueError(f"{name} must be >= 1 each, got {list(sizes)}")
    return tuple(int(n) for n in sizes)


def _functions(activation: Any, output: Any, loss: Any) -> tuple[int, int, int]:
    """The kernels' codes for ``activation, output, loss``, checked."""
    codes: list[int] = []
    for name, value, table in (
        ("activation", activation, ACTIVATIONS),
        ("output", output, OUTPUT),
        ("loss", loss, LOSSES),
    ):
        if not isinstance(value, str):
            raise TypeError(
                f"{name} must be a str, one of {tuple(table)}, got {type(value).__name__}"
            )
        if value not in table:
            raise ValueError(f"unknown {name} {value!r}; choose one of {tuple(table)}")
        codes.append(table[value])
    if (output, loss) in INCOMPATIBLE:
        raise ValueError(
            f"output {output!r} with loss {loss!r} is not supported: {INCOMPATIBLE[output, loss]}"
        )
    return codes[0], codes[1], codes[2]


def _fma(fma, name: str = "fma") -> bool:
    if not isinstance(fma, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {fma!r}")
    return bool(fma)


def _dtype(dtype, name: str = "dtype") -> np.dtype:
    if dtype is DTYPES[0] or dtype is DTYPES[1]:  # a net's own (numpy's dtypes are singletons)
        return dtype
    try:
        dt = None if dtype is None else np.dtype(dtype)
    except (TypeError, ValueError):
        dt = None
    if dt is None or dt not in DTYPES or not dt.isnative:
        raise ValueError(f"{name} must be float32 or float64, got {dtype!r}")
    return np.dtype(dt.name)


# --------------------------------------------------------------------------------------
# The checks, one helper per kind of argument
# --------------------------------------------------------------------------------------


def _shape(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


@functools.cache
def _scan():
    """``_check.first_nonfinite``, imported once (an import statement costs about 1 us, and a
    small net's every call ran four)."""
    from ._check import first_nonfinite

    return first_nonfinite


def _first_nonfinite(a: np.ndarray) -> tuple[int, ...] | None:
    """The index of ``a``'s first NaN or inf, or None."""
    if a.dtype in DTYPES and a.flags.c_contiguous and a.flags.aligned:  # native byte order too
        # the lecture kernels' compiled scan: one pass, faster than np.add.reduce or
        # isfinite().all(). On one thread: split over OpenMP's threads, the scan itself is
        # faster, but the predict calls around it get slower
        bad = _scan()(a)
        return None if bad < 0 else tuple(int(j) for j in np.unravel_index(bad, a.shape))
    finite = np.isfinite(a)
    if finite.all():
        return None
    return tuple(int(j) for j in np.unravel_index(np.argmin(finite), a.shape))


def _array(name: str, a, dtype: np.dtype, shape: tuple[int, ...], writeable: bool) -> None:
    """One weight or bias: checked, never converted."""
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{name} must be a {dtype} numpy array, got {type(a).__name__}")
    if a.dtype != dtype or not a.dtype.isnative:
        raise TypeError(
            f"{name} has dtype {a.dtype} but the net's dtype is {dtype}: mixed "
            f"dtypes inside a net are not allowed, and weights are updated in "
            f"place, so loopmlp never converts them"
        )
    if a.shape != shape:
        raise ValueError(
            f"{name} has shape {_shape(a.shape)}, expected {_shape(shape)} for the layer sizes"
        )
    if not (a.flags.c_contiguous and a.flags.aligned):
        raise ValueError(
            f"{name} must be C-contiguous and aligned (np.ascontiguousarray "
            f"makes such a copy; keep the copy, updates land in it)"
        )
    if writeable and not a.flags.writeable:
        raise ValueError(f"{name} is read-only; it is updated in place")
    bad = _first_nonfinite(a)
    if bad is not None:
        raise ValueError(f"{name} contains NaN or inf (first at index {_shape(bad)})")


def check_net(net: Net, writeable: bool) -> tuple[np.dtype, Arrays, Arrays, int, int, int]:
    """``net`` checked: ``(dtype, weights, biases, activation, output, loss)``, the last five as
    the kernels take them. ``writeable``: whether the kernel updates the weights.
    """
    if not isinstance(net, Net):
        raise TypeError(
            f"net must be a loopmlp.Net (see loopmlp.init_net), got {type(net).__name__}"
        )
    sizes = _sizes(net.sizes, "net.sizes")
    codes = _functions(net.activation, net.output, net.loss)
    dtype = _dtype(net.dtype, "net.dtype")
    _fma(net.fma, "net.fma")
    for name in ("weights", "biases"):
        arrays = getattr(net, name)
        if not isinstance(arrays, (list, tuple)):
            raise TypeError(f"net.{name} must be a list of arrays, got {type(arrays).__name__}")
        if len(arrays) != len(sizes) - 1:
            raise ValueError(
                f"net.{name} has {len(arrays)} arrays, expected "
                f"{len(sizes) - 1}: one per layer of net.sizes {_shape(sizes)}"
            )
    for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        _array(f"net.weights[{layer}]", net.weights[layer], dtype, (n_out, n_in), writeable)
        _array(f"net.biases[{layer}]", net.biases[layer], dtype, (n_out,), writeable)
    arrays = _named(net)
    for i, (name, a) in enumerate(arrays):
        _no_overlap(name, a, arrays[i + 1 :])
    return (dtype, tuple(net.weights), tuple(net.biases), *codes)


def _named(net: Net) -> list[tuple[str, np.ndarray]]:
    return [(f"net.weights[{j}]", w) for j, w in enumerate(net.weights)] + [
        (f"net.biases[{j}]", b) for j, b in enumerate(net.biases)
    ]


def _no_overlap(name: str, a: np.ndarray, others: list[tuple[str, np.ndarray]]) -> None:
    """The weight or bias ``a`` shares no memory with any of ``others``, ``(name, array)``.

    All are C-contiguous here, so overlapping address ranges (``np.may_share_memory``) is
    shared memory. Checked also where nothing is updated: two layers sharing one array
    are not two layers.
    """
    for other, b in others:
        if np.may_share_memory(a, b):
            raise ValueError(
                f"{name} shares memory with {other}; weights and biases are updated in place"
            )


def _not_in_data(net: Net, data: list[tuple[str, np.ndarray]]) -> None:
    """No weight or bias, updated in place, shares memory with the data a kernel reads."""
    for name, a in _named(net):
        _no_overlap(name, a, data)


def _data(
    name: str, a, dtype: np.dtype, shape: tuple[int | None, ...], scan: bool = True
) -> np.ndarray:
    """``a`` converted once to ``dtype``, C-contiguous, of ``shape`` (None: any length >= 1),
    all finite (not scanned with ``scan=False``)."""
    try:
        arr = np.asarray(a)
    except Exception as e:
        raise TypeError(f"{name} must be a numeric array: {e}") from None
    if arr.dtype.kind not in "biuf" or (arr.dtype.kind == "f" and arr.dtype.itemsize > 8):
        raise TypeError(f"{name} must hold real numbers of at most 64 bits, got dtype {arr.dtype}")
    expected = _shape(["n" if n is None else n for n in shape])
    if arr.ndim != len(shape):
        raise ValueError(
            f"{name} must be {len(shape)}-D with shape {expected}, got shape {_shape(arr.shape)}"
        )
    for k, n in enumerate(shape):
        if n is None:
            if arr.shape[k] == 0:
                raise ValueError(f"{name} is empty: it needs at least one row")
        elif arr.shape[k] != n:
            raise ValueError(
                f"{name} has shape {_shape(arr.shape)}, expected {expected} to "
                f"match the net's sizes"
            )
    with np.errstate(over="ignore"):  # 1e300 in a float32 net: inf, named below
        converted = np.ascontiguousarray(arr, dtype=dtype)
    bad = _first_nonfinite(converted) if scan else None
    if bad is not None:
        how = "" if not np.isfinite(arr[bad]) else f" after conversion to {dtype} (too large)"
        raise ValueError(f"{name} contains NaN or inf{how} (first at index {_shape(bad)})")
    return converted


def _lrate(lrate: Any, dtype: np.dtype) -> np.floating:
    """``lrate`` as a scalar of the net's dtype, checked."""
    if isinstance(lrate, (bool, np.bool_)) or not isinstance(
        lrate, (float, int, np.floating, np.integer)
    ):
        raise TypeError(f"lrate must be a real number, got {type(lrate).__name__}")
    try:
        finite = math.isfinite(lrate)
    except OverflowError:  # an int beyond float64
        finite = False
    if not (finite and lrate > 0):
        raise ValueError(f"lrate must be finite and > 0, got {lrate!r}")
    with np.errstate(over="ignore", under="ignore"):
        value = dtype.type(lrate)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(
            f"lrate must be finite and > 0 in the net's dtype {dtype}, got "
            f"{lrate!r}, which is {value!r} there"
        )
    return value


def _count(name: str, value) -> int:
    """An integer >= 1 (``epochs``, ``batch_size``)."""
    if not _is_int(value):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


# --------------------------------------------------------------------------------------
# One check per public kernel: each returns the arguments the raw kernel takes
# --------------------------------------------------------------------------------------


def check_response(net: Net, inp: ArrayLike) -> tuple[np.ndarray, Arrays, Arrays, int, int]:
    """``(inp, weights, biases, activation, output)`` for ``net_response``."""
    dtype, weights, biases, activation, output, _ = check_net(net, writeable=False)
    return _data("inp", inp, dtype, (net.sizes[0],)), weights, biases, activation, output


def check_update(
    net: Net, inp: ArrayLike, acts: Sequence[ArrayLike], tgt: ArrayLike, lrate: float
) -> tuple[np.ndarray, Arrays, np.ndarray, Arrays, Arrays, int, int, int, np.floating]:
    """``(inp, acts, tgt, weights, biases, activation, output, loss, lrate)`` for ``net_update``."""
    dtype, weights, biases, activation, output, loss = check_net(net, writeable=True)
    inp_ = _data("inp", inp, dtype, (net.sizes[0],))
    if isinstance(acts, np.ndarray) or not isinstance(acts, Sequence):
        raise TypeError(
            f"acts must be a list of arrays (net_response's result), got {type(acts).__name__}"
        )
    if len(acts) != len(weights):
        raise ValueError(
            f"acts has {len(acts)} arrays, expected {len(weights)}: one per "
            f"layer of net.sizes {_shape(net.sizes)}"
        )
    acts_ = tuple(
        _data(f"acts[{layer}]", a, dtype, (n,))
        for layer, (a, n) in enumerate(zip(acts, net.sizes[1:]))
    )
    tgt_ = _data("tgt", tgt, dtype, (net.sizes[-1],))
    lrate_ = _lrate(lrate, dtype)
    _not_in_data(
        net,
        [("inp", inp_), ("tgt", tgt_)] + [(f"acts[{layer}]", a) for layer, a in enumerate(acts_)],
    )
    return inp_, acts_, tgt_, weights, biases, activation, output, loss, lrate_


def check_train(
    net: Net,
    X: ArrayLike,
    Y: ArrayLike,
    lrate: float,
    epochs: int,
    batch_size: int,
    shuffle_seed: int | None,
) -> tuple[np.ndarray, np.ndarray, Arrays, Arrays, int, int, int, np.floating, int, int]:
    """``(X, Y, weights, biases, activation, output, loss, lrate, epochs, batch_size)`` for
    ``net_train``, after checking ``shuffle_seed``."""
    dtype, weights, biases, activation, output, loss = check_net(net, writeable=True)
    X_ = _data("X", X, dtype, (None, net.sizes[0]))
    Y_ = _data("Y", Y, dtype, (None, net.sizes[-1]))
    if X_.shape[0] != Y_.shape[0]:
        raise ValueError(f"X has {X_.shape[0]} rows but Y has {Y_.shape[0]}")
    lrate_ = _lrate(lrate, dtype)
    epochs = _count("epochs", epochs)
    batch_size = _count("batch_size", batch_size)
    if shuffle_seed is not None and not _is_int(shuffle_seed):
        raise TypeError(
            f"shuffle_seed must be None or an integer, got {type(shuffle_seed).__name__}"
        )
    if shuffle_seed is not None and shuffle_seed < 0:
        raise ValueError(f"shuffle_seed must be >= 0, got {shuffle_seed}")
    _not_in_data(net, [("X", X_), ("Y", Y_)])
    return X_, Y_, weights, biases, activation, output, loss, lrate_, epochs, batch_size


def check_predict(
    net: Net, X: ArrayLike, scan: bool = True
) -> tuple[np.ndarray, Arrays, Arrays, int, int]:
    """``(X, weights, biases, activation, output)`` for ``net_predict``; X is not scanned for
    NaN and inf with ``scan=False`` (the kernel does it)."""
    dtype, weights, biases, activation, output, _ = check_net(net, writeable=False)
    return _data("X", X, dtype, (None, net.sizes[0]), scan), weights, biases, activation, output


# --------------------------------------------------------------------------------------
# What the public wrappers pass the kernels besides the checked arguments
# --------------------------------------------------------------------------------------


def orders(
    num_samples: int, epochs: int, shuffle_seed: int | None, max_indices: int = 1 << 20
) -> Iterator[np.ndarray]:
    """The rows of each epoch, in order: ``(epochs', num_samples)`` int64 C-contiguous chunks.

    ``0, 1, ..., n - 1`` every epoch for ``shuffle_seed=None``; else one
    ``rng.permutation(n)`` per epoch from ``rng = np.random.default_rng(shuffle_seed)``. The
    same for every backend, so shuffled runs compare too. Yielded in chunks of whole epochs
    of at most ``max_indices`` indices (8 MB; at least one epoch), so that 1,000 epochs of
    60,000 rows do not hold 480 MB of indices; the chunks together are the same orders.
    """
    per_chunk = max(1, max_indices // num_samples)
    rng = None if shuffle_seed is None else np.random.default_rng(shuffle_seed)
    for start in range(0, epochs, per_chunk):
        n = min(per_chunk, epochs - start)
        if rng is None:
            yield np.tile(np.arange(num_samples, dtype=np.int64), (n, 1))
        else:
            yield np.ascontiguousarray(
                [rng.permutation(num_samples) for _ in range(n)], dtype=np.int64
            )


def is_lectures(net: Net) -> bool:
    """Whether ``net`` is the lecture's: one sigmoid hidden layer, sigmoid outputs, the squared
    error, float64, which the lecture's kernels (``train`` ...) compute too."""
    return (
        len(net.sizes) == 3
        and net.activation == "sigmoid"
        and net.output == "sigmoid"
        and net.loss == "mse"
        and np.dtype(net.dtype) == np.float64
        and not net.fma
    )


def scratch(net: Net) -> tuple[Arrays, Arrays, Arrays, Arrays]:
    """Zeroed ``acts, deltas (n_{l+1},)``, ``grad_w (n_{l+1}, n_l)``, ``grad_b (n_{l+1},)``:
    the kernels' working arrays, made once per call, so no kernel allocates per sample."""
    dtype = np.dtype(net.dtype)
    acts = tuple(np.zeros((n), dtype=dtype) for n in net.sizes[1:])
    deltas = tuple(np.zeros((n), dtype=dtype) for n in net.sizes[1:])
    grad_w = tuple(np.zeros_like(w) for w in net.weights)
    grad_b = tuple(np.zeros_like(b) for b in net.biases)
    return acts, deltas, grad_w, grad_b

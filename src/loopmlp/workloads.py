"""The benchmark workloads, defined once for ``bench/`` and the ``loopmlp bench`` command.

A workload is one kernel on one net size and one amount of data. ``setup`` makes fresh,
seeded arguments (so in-place updates never drift from round to round) and ``run`` calls
the kernel; pure Python gets fewer rows (``python_samples``) because it is about a
thousand times slower.

Two kinds: ``Workload`` runs one of the lecture's kernels on a 3-layer net (``NETS``);
``NetWorkload`` runs a deep-net kernel (``net_train``, ``net_predict``) on a ``Net`` of any
depth and dtype. Both offer the same interface (``group``, ``shape``, ``rows``, ``setup``,
``run``, ``result``, ``flops``), so ``bench/`` and ``loopmlp bench`` treat them alike.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np

from .net import _accepts_hidden, _renamed

# The lecture's nets, as (n_in, n_hid, n_out).
NETS = {
    "xor": (2, 2, 1),  # 004: the backpropagation XOR network
    "lecture": (60, 6, 4),  # 000: missing-pixel prediction
    "digits": (64, 32, 10),  # 004: scikit-learn's 8x8 digits
    "mnist": (784, 512, 10),  # 003: Keras MNIST
}

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])

LRATE = 0.1


@dataclass(frozen=True)
class Workload:
    """``kernel`` on ``net`` over ``n_samples`` rows (``epochs`` times for ``train``)."""

    kernel: str
    net: str
    n_samples: int = 1
    epochs: int = 1
    python_samples: int | None = None

    @property
    def shape(self) -> tuple[int, int, int]:
        return NETS[self.net]

    @property
    def group(self) -> str:
        """The benchmark group: contenders are compared on exactly this workload."""
        n_in, n_hid, n_out = self.shape
        size = (
            f" N={self.n_samples}"
            if self.kernel not in ("neural_response", "update_network")
            else ""
        )
        epochs = f" x{self.epochs} epochs" if self.kernel == "train" else ""
        return f"{self.kernel} {n_in}-{n_hid}-{n_out}{size}{epochs}"

    def __str__(self) -> str:
        return self.group.replace(" ", "_")

    def rows(self, backend: str) -> int:
        """Rows of data for ``backend``: pure Python runs on ``python_samples`` if set."""
        if backend == "python" and self.python_samples is not None:
            return min(self.n_samples, self.python_samples)
        return self.n_samples

    def setup(self, backend: str, seed: int = 0) -> tuple:
        """Fresh arguments for ``run``: the kernel's arguments after the backend object."""
        from ._backends import init_weights

        n_in, n_hid, n_out = self.shape
        wh, bh, wo, bo = init_weights(n_in, n_hid, n_out, seed=seed)
        rng = np.random.default_rng(seed + 1)
        n = self.rows(backend)
        if self.net == "xor":
            X, Y = np.tile(XOR_X, (-(-n // 4), 1))[:n], np.tile(XOR_Y, (-(-n // 4), 1))[:n]
        else:
            X, Y = rng.random((n, n_in)), rng.random((n, n_out))
        if self.kernel == "neural_response":
            return (X[0], wh, bh, wo, bo)
        if self.kernel == "update_network":
            hid = 1.0 / (1.0 + np.exp(-(wh @ X[0] + bh)))
            out = 1.0 / (1.0 + np.exp(-(wo @ hid + bo)))
            return (X[0], hid, out, Y[0] - out, wh, bh, wo, bo, LRATE)
        if self.kernel in ("train_epoch", "train_epoch_literal"):
            return (X, Y, wh, bh, wo, bo, LRATE)
        if self.kernel == "train":
            return (X, Y, wh, bh, wo, bo, LRATE, self.epochs)
        if self.kernel == "predict":
            return (X, wh, bh, wo, bo)
        raise ValueError(f"unknown kernel {self.kernel!r}")

    def run(self, k, *args):
        """Call the workload's kernel on backend ``k``; returns its result."""
        return getattr(k, self.kernel)(*args)

    def result(self, k, args) -> list[np.ndarray]:
        """Everything the kernel produced (return value and updated weights), to compare."""
        value = self.run(k, *args)
        produced = [
            np.atleast_1d(np.asarray(v, dtype=np.float64))
            for v in (value if isinstance(value, tuple) else (value,))
            if v is not None
        ]
        if self.kernel in ("update_network", "train_epoch", "train_epoch_literal", "train"):
            produced += list(args[-5:-1] if self.kernel != "train" else args[-6:-2])
        return produced

    @property
    def flops(self) -> int:
        """Floating-point operations per sample (per call for the per-sample kernels)."""
        return flop_count(self.kernel, self.shape, self.epochs)


def compare(a: list[np.ndarray], b: list[np.ndarray]) -> tuple[bool, float]:
    """``(bit_identical, max_abs_diff)`` between two results of ``Workload.result``."""
    same = all(np.array_equal(x, y) for x, y in zip(a, b)) and len(a) == len(b)
    diff = max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))
    return same, diff


# The benchmark suite: per-sample kernels, one epoch, a whole XOR training,
# and batch prediction, on the lecture's nets.
WORKLOADS = [
    Workload("neural_response", "xor"),
    Workload("neural_response", "lecture"),
    Workload("neural_response", "mnist"),
    Workload("update_network", "xor"),
    Workload("update_network", "lecture"),
    Workload("update_network", "mnist"),
    Workload("train_epoch", "xor", n_samples=4),
    Workload("train_epoch", "lecture", n_samples=16_384, python_samples=256),
    Workload("train_epoch", "mnist", n_samples=64, python_samples=2),
    # the lecture's loop order, compiled: what the bit-exact rearrangement of train_epoch buys
    Workload("train_epoch_literal", "lecture", n_samples=16_384, python_samples=256),
    Workload("train_epoch_literal", "mnist", n_samples=64, python_samples=2),
    Workload("train", "xor", n_samples=4, epochs=1_000, python_samples=4),
    Workload("predict", "xor", n_samples=4),
    Workload("predict", "lecture", n_samples=100_000, python_samples=1_000),
    Workload("predict", "mnist", n_samples=10_000, python_samples=4),
]


# --- The benchmark report: ``loopmlp bench`` ----------------------------------------------


def flop_count(kernel: str, shape: tuple[int, int, int], epochs: int = 1) -> int:
    """Floating-point operations per sample of ``kernel`` on a net of ``shape``, as the
    reference's loops do them: every ``+ - * /`` counts one, ``exp`` counts one, negation
    none. Per call for ``neural_response``/``update_network``, per row otherwise.
    """
    n_in, n_hid, n_out = shape
    # each node: fan_in multiply-adds, the bias, then 1 / (1 + exp(-val)) (exp, add, divide)
    forward = n_hid * (2 * n_in + 4) + n_out * (2 * n_hid + 4)
    update = (
        3 * n_out  # delta_out = out * (1 - out) * err
        + 2 * n_out * n_hid  # err_prop = sum_o delta_out * wo
        + 3 * n_hid  # delta_hid
        + 3 * n_hid * n_out  # wo += lrate * (hid * delta_out)
        + 2 * n_out  # bo
        + 3 * n_in * n_hid  # wh += lrate * (inp * delta_hid)
        + 2 * n_hid
    )  # bh
    if kernel in ("neural_response", "predict"):
        return forward
    if kernel == "update_network":
        return update
    # train_epoch: forward, err = tgt - out, the squared-error sum, its mean, the update
    per_sample = forward + n_out + 2 * n_out + 2 + update
    if kernel in ("train_epoch", "train_epoch_literal"):
        return per_sample
    if kernel == "train":
        return per_sample * epochs
    raise ValueError(f"unknown kernel {kernel!r}")


def workload_flops(w) -> int:
    """Floating-point operations per row of workload ``w`` (per call for ``neural_response``
    and ``update_network``): ``flop_count`` for a ``Workload``, ``net_flop_count`` for a
    ``NetWorkload``."""
    return w.flops


@dataclass(frozen=True)
class SizedWorkload(Workload):
    """A workload on any net size ``(n_in, n_hid, n_out)``, for the hidden-width sweep."""

    n_in: int = 64
    n_hid: int = 32
    n_out: int = 10

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.n_in, self.n_hid, self.n_out)


# The report's workloads: the per-sample kernels (the cost of calling compiled code once per
# sample from Python), one epoch of online SGD, and batch prediction, on the lecture's nets.
# Sizes keep the default ``loopmlp bench`` near a minute on two cores; pure Python runs on
# ``python_samples`` rows and its per-row cost is extrapolated (``--full`` runs it all).
REPORT_WORKLOADS = [
    *(Workload("neural_response", net) for net in ("xor", "lecture", "digits", "mnist")),
    *(Workload("update_network", net) for net in ("xor", "lecture", "digits", "mnist")),
    Workload("train_epoch", "xor", n_samples=4),
    Workload("train_epoch", "lecture", n_samples=16_384, python_samples=256),
    Workload("train_epoch", "digits", n_samples=1_797, python_samples=64),
    Workload("train_epoch", "mnist", n_samples=64, python_samples=2),
    Workload("train_epoch_literal", "lecture", n_samples=16_384, python_samples=256),
    Workload("predict", "xor", n_samples=4),
    Workload("predict", "lecture", n_samples=100_000, python_samples=1_000),
    Workload("predict", "digits", n_samples=1_797, python_samples=128),
    Workload("predict", "mnist", n_samples=10_000, python_samples=4),
]

# ``loopmlp bench --sweep``: train_epoch on 64-h-10 for h = 2, 4, ..., 1024.
SWEEP_WIDTHS = tuple(2**i for i in range(1, 11))


def sweep_workload(n_hid: int, n_in: int = 64, n_out: int = 10) -> SizedWorkload:
    """One epoch on a ``n_in-n_hid-n_out`` net, with enough rows to time (fewer for Python)."""
    n = max(32, min(2_048, 2**16 // n_hid))
    return SizedWorkload(
        "train_epoch", "sweep", n_samples=n, python_samples=8, n_in=n_in, n_hid=n_hid, n_out=n_out
    )


# --- The deep nets: ``net_train`` and ``net_predict`` on a ``Net`` --------------------------

CHECK_ROWS = 4  # rows of a deep workload's check against the reference (pure Python is
# slow on 784-512-10); pure Python is timed on them too, and scaled
NET_LRATE = 0.05


def net_flop_count(kernel: str, sizes: tuple[int, ...], batch_size: int = 1) -> float:
    """Floating-point operations per row of ``kernel`` on a net of ``sizes``, counted on the
    weights only, as the reference's loops do them (``_reference.py``).

    With ``W`` the number of weights and ``W'`` those of every layer but the first:

    * forward (``layer_response``): a multiply and an add per weight, ``2 W``;
    * backward (``hidden_delta``): ``err_prop += delta_next * w`` for the layers above the
      first, ``2 W'`` (the first layer's would be the input's error, which no one needs);
    * update, online (``batch_size`` 1, ``layer_update``): ``w += lrate * (prev * delta)``,
      two multiplies and an add per weight, ``3 W``;
    * update, mini-batch (``layer_gradient``, then one step per batch):
      ``grad_w += prev * delta`` per row, ``2 W``, and ``w += lrate * (grad_w / n)`` per
      batch, ``3 W / batch_size`` per row.

    So ``net_predict`` is ``2 W`` a row and ``net_train`` ``5 W + 2 W'`` online,
    ``4 W + 2 W' + 3 W / batch_size`` in batches. Biases, activations, output deltas and
    losses (a few operations per unit, not per weight: under 0.5% on 784-512-10) are not
    counted.
    """
    weights = sum(n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    above_first = weights - sizes[0] * sizes[1]
    forward = 2 * weights
    if kernel == "net_predict":
        return forward
    if kernel != "net_train":
        raise ValueError(f"unknown deep kernel {kernel!r}")
    if batch_size == 1:
        update = 3 * weights
    else:
        update = 2 * weights + 3 * weights / batch_size
    return forward + 2 * above_first + update


@_accepts_hidden
@dataclass(frozen=True)
class NetWorkload:
    """``kernel`` (``net_train`` for one epoch, or ``net_predict``) on a ``Net`` of ``sizes``
    over ``n_samples`` rows: ``init_net(..., seed=0, init="scaled")``, inputs uniform in
    [0, 1), one-hot targets. ``activation``, ``output``, ``loss``: the net's, as
    ``init_net``'s (``hidden``, the old name of ``activation``, still works and warns).
    ``fma``: the net's FMA mode (``init_net(..., fma=True)``), named by ``" fma"`` at the end
    of the group."""

    kernel: str  # "net_train" or "net_predict"
    sizes: tuple
    activation: str = "sigmoid"
    output: str = "sigmoid"
    loss: str = "mse"
    n_samples: int = 256
    batch_size: int = 1
    dtype: str = "float64"
    python: bool = False  # bench/ times pure Python too (small nets only)
    python_samples: int | None = CHECK_ROWS  # rows of the check; pure Python's rows in the report
    fma: bool = False  # the FMA mode: every multiply-add of the loops rounds once
    epochs = 1  # net_train runs one epoch (a class constant, not a field)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.sizes)

    @property
    def hidden(self) -> str:
        """Deprecated: the old name of ``activation``."""
        _renamed("NetWorkload.hidden", "NetWorkload.activation")
        return self.activation

    @property
    def net(self) -> str:
        return "-".join(map(str, self.sizes))

    @property
    def mode(self) -> str:
        """``"fma"`` (``init_net(..., fma=True)``) or ``"default"`` (two roundings)."""
        return "fma" if self.fma else "default"

    @property
    def group(self) -> str:
        """The benchmark group: contenders are compared on exactly this workload."""
        batch = f" batch {self.batch_size}" if self.kernel == "net_train" else ""
        return (
            f"{self.kernel} {self.net} {self.activation}/{self.output}/{self.loss}{batch} "
            f"N={self.n_samples} {self.dtype}" + (" fma" if self.fma else "")
        )

    def __str__(self) -> str:
        return self.group.replace(" ", "_").replace("/", "-")

    @property
    def flops(self) -> float:
        """``net_flop_count``: floating-point operations per row."""
        return net_flop_count(self.kernel, self.sizes, self.batch_size)

    def rows(self, backend: str) -> int:
        """Rows of data for ``backend``: pure Python runs on ``python_samples`` if set."""
        if backend == "python" and self.python_samples is not None:
            return min(self.n_samples, self.python_samples)
        return self.n_samples

    def setup(self, backend: str, seed: int = 0) -> tuple:
        """Fresh ``(net, X, Y)`` for ``run``, on ``rows(backend)`` rows."""
        from .net import init_net

        n = self.rows(backend)
        net = init_net(
            list(self.sizes),
            activation=self.activation,
            output=self.output,
            loss=self.loss,
            seed=seed,
            dtype=self.dtype,
            init="scaled",
            fma=self.fma,
        )
        rng = np.random.default_rng(seed + 1)
        X = rng.random((n, self.sizes[0])).astype(self.dtype)
        Y = np.eye(self.sizes[-1], dtype=self.dtype)[rng.integers(self.sizes[-1], size=n)]
        return net, X, Y

    def run(self, k, net, X, Y):
        """Call the workload's kernel on backend ``k``: the epoch's losses, or ``Y_hat``."""
        if self.kernel == "net_train":
            return k.net_train(net, X, Y, NET_LRATE, 1, batch_size=self.batch_size)
        return k.net_predict(net, X)

    def result(self, k, args) -> list[np.ndarray]:
        """Everything the kernel produced (losses and updated weights, or ``Y_hat``), in the
        net's dtype, to compare."""
        value = self.run(k, *args)
        net = args[0]
        if self.kernel == "net_train":
            return [value, *net.weights, *net.biases]
        return [value]


MNIST_NET = dict(sizes=(784, 512, 10), activation="relu", output="softmax", loss="cross_entropy")
DIGITS_NET = dict(sizes=(64, 32, 10), activation="relu", output="softmax", loss="cross_entropy")

# The deep-net benchmark suite (bench/bench_net.py).
NET_WORKLOADS = [
    # the lecture's two-hidden-layer missing-pixels net, online SGD
    NetWorkload("net_train", (60, 60, 60, 4), n_samples=1024, python=True),
    NetWorkload("net_train", **DIGITS_NET, n_samples=1024, python=True),
    # the Keras MNIST net: online, and mini-batches of 32 as in the slides; float32 too
    NetWorkload("net_train", **MNIST_NET, n_samples=64),
    NetWorkload("net_train", **MNIST_NET, n_samples=256, batch_size=32),
    NetWorkload("net_train", **MNIST_NET, n_samples=256, batch_size=32, dtype="float32"),
    NetWorkload("net_predict", **MNIST_NET, n_samples=1000),
    NetWorkload("net_predict", **MNIST_NET, n_samples=1000, dtype="float32"),
    NetWorkload("net_predict", **DIGITS_NET, n_samples=1797, python=True),
]

# The deep workloads of ``loopmlp bench``: the Keras MNIST net trained online and in
# mini-batches of 32, float64 and float32; batch prediction on it, on the digits net and on
# the lecture's 60-6-4 (sigmoid, mse). Checked against pure Python on ``python_samples``
# rows, where pure Python is timed too (and scaled).
NET_REPORT_WORKLOADS = [
    *(
        NetWorkload("net_train", **MNIST_NET, n_samples=n, batch_size=b, dtype=dtype)
        for n, b in ((64, 1), (256, 32))
        for dtype in ("float64", "float32")
    ),
    *(
        NetWorkload("net_predict", **MNIST_NET, n_samples=10_000, dtype=dtype)
        for dtype in ("float64", "float32")
    ),
    NetWorkload("net_predict", **DIGITS_NET, n_samples=1_797, python_samples=128),
    NetWorkload("net_predict", (60, 6, 4), n_samples=100_000, python_samples=1_000),
]


# --- Calls: one call of a per-sample kernel, by route (docs: "Build on the kernels") -------

CALL_ROUTES = (
    "python -> Backend numba",
    "python -> Backend cython",
    "python -> numba_kernels",
    "njit loop -> numba_kernels",
    "cython loop -> cython_kernels",
)
CALL_LRATE = 1e-9  # update_network steps the same weights on every call: keep them in place


@dataclass(frozen=True)
class CallWorkload:
    """One call of ``kernel`` (``neural_response`` or ``update_network``) on ``net`` through
    ``route`` (``CALL_ROUTES``): from Python through ``get_backend``'s ``Backend`` or through
    ``loopmlp.numba_kernels``, or ``calls`` times from a compiled loop (a user's ``@njit``
    loop around ``numba_kernels``, a user's Cython loop around ``cimport
    loopmlp.cython_kernels``; loopmlp ships both, so no compiler is needed), divided by
    ``calls``."""

    kernel: str
    net: str
    route: str
    calls: int = 10_000

    @property
    def shape(self) -> tuple[int, int, int]:
        return NETS[self.net]

    @property
    def group(self) -> str:
        n_in, n_hid, n_out = self.shape
        return f"calls {self.kernel} {n_in}-{n_hid}-{n_out} {self.route}"

    def __str__(self) -> str:
        return self.group.replace(" ", "_")

    def setup(self, seed: int = 0) -> tuple:
        """Fresh arguments for ``run``: the kernel's, with ``hid``, ``out`` to write into."""
        args = Workload(self.kernel, self.net).setup("numba", seed)
        if self.kernel == "neural_response":
            return (*args, np.empty(self.shape[1]), np.empty(self.shape[2]))
        return (*args[:-1], CALL_LRATE)

    def function(self):
        """``(f, calls)``: ``f(*setup())`` makes ``calls`` calls (the last one's result)."""
        from . import get_backend

        if self.route.startswith("python -> Backend"):
            f, n = getattr(get_backend(self.route.split()[-1]), self.kernel), 1
        elif self.route == "python -> numba_kernels":
            from . import numba_kernels

            f, n = getattr(numba_kernels, self.kernel), 1
        elif self.route in ("njit loop -> numba_kernels", "cython loop -> cython_kernels"):
            from . import cython_kernels, numba_kernels

            module = numba_kernels if self.route.startswith("njit") else cython_kernels
            loop = getattr(module, f"_bench_{_LOOPS[self.kernel]}_loop")
            f, n = functools.partial(_loop, loop, self.calls), self.calls
        else:
            raise ValueError(f"unknown route {self.route!r}")
        # the forward pass writes hid and out in Cython only; the others return theirs
        takes = 7 if self.route.startswith("cython") or self.kernel != "neural_response" else 5
        takes = 9 if self.kernel == "update_network" else takes
        return (lambda *args: f(*args[:takes])), n

    def check(self) -> bool:
        """One call on fresh arguments, bit for bit against the ``python`` reference."""
        from .kernels import _reference

        call, _ = self.function()
        args = self.setup()
        expected = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        one = dataclasses.replace(self, calls=1).function()[0]
        got = one(*args)
        if self.kernel == "neural_response":
            if self.route.startswith("cython"):
                got = args[5:7]
            want = _reference.neural_response(*expected[:5])
            return all(np.array_equal(g, w) for g, w in zip(got, want, strict=True))
        _reference.update_network(*expected)
        return all(np.array_equal(g, w) for g, w in zip(args[4:8], expected[4:8], strict=True))

    def measure(self, repeat: int = 5, number: int = 2_000) -> dict:
        """ns a call, min and median over ``repeat`` timings (a Python route's timing:
        ``number`` calls), after a check and a first call (a loop's compile)."""
        import timeit

        call, n = self.function()
        args = self.setup()
        same = self.check()
        call(*args)
        number = 1 if n > 1 else number
        times = np.array(timeit.repeat(lambda: call(*args), number=number, repeat=repeat))
        times *= 1e9 / (number * n)
        return dict(
            kernel=self.kernel,
            net="-".join(map(str, self.shape)),
            route=self.route,
            ns_min=float(times.min()),
            ns_median=float(np.median(times)),
            bit_identical=same,
        )


_LOOPS = {"neural_response": "forward", "update_network": "update"}


def _loop(loop, n, *args):
    return loop(*args, n)


# ``loopmlp bench``'s call rows: both per-sample kernels on 2-2-1 and 60-6-4, every route.
CALL_WORKLOADS = [
    CallWorkload(kernel, net, route)
    for kernel in ("neural_response", "update_network")
    for net in ("xor", "lecture")
    for route in CALL_ROUTES
]

CALL_HEADER = ("kernel", "net", "route", "ns a call", "min", "same bits")
CALL_NOTE = (
    "ns a call, the median of the timings (min: the fastest); a compiled loop's timing is "
    "of its 10,000 calls (1,000 with --quick), divided; same bits: one call checked against "
    "the python reference"
)


def call_rows(results) -> list[tuple[str, ...]]:
    """Rows under ``CALL_HEADER`` for ``CallWorkload.measure`` results."""
    return [
        (
            r["kernel"],
            r["net"],
            r["route"],
            f"{r['ns_median']:.0f}",
            f"{r['ns_min']:.0f}",
            "yes" if r["bit_identical"] else "NO",
        )
        for r in results
    ]


# The FMA mode's twins of the deep workloads above: the same nets, rows and dtypes with
# ``init_net(..., fma=True)``, for the loop backends, whose FMA-mode results are checked
# against the reference's in that mode. ``loopmlp bench`` runs each right after its
# default-mode twin.
FMA_REPORT_WORKLOADS = [
    *(
        NetWorkload("net_train", **MNIST_NET, n_samples=n, batch_size=b, dtype=dtype, fma=True)
        for n, b in ((64, 1), (256, 32))
        for dtype in ("float64", "float32")
    ),
    *(
        NetWorkload("net_predict", **MNIST_NET, n_samples=10_000, dtype=dtype, fma=True)
        for dtype in ("float64", "float32")
    ),
    NetWorkload("net_predict", **DIGITS_NET, n_samples=1_797, python_samples=128, fma=True),
    NetWorkload("net_predict", (60, 6, 4), n_samples=100_000, python_samples=1_000, fma=True),
]

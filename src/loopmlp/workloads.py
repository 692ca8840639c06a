"""The benchmark workloads, defined once for ``bench/`` and the ``loopmlp bench`` command.

A workload is one kernel on one net size and one amount of data. ``setup`` makes fresh,
seeded arguments (so in-place updates never drift from round to round) and ``run`` calls
the kernel; pure Python gets fewer rows (``python_samples``) because it is about a
thousand times slower.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The lecture's nets, as (n_in, n_hid, n_out).
NETS = {
    "xor": (2, 2, 1),          # 004: the backpropagation XOR network
    "lecture": (60, 6, 4),     # 000: missing-pixel prediction
    "digits": (64, 32, 10),    # 004: scikit-learn's 8x8 digits
    "mnist": (784, 512, 10),   # 003: Keras MNIST
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
        size = f" N={self.n_samples}" if self.kernel not in ("neural_response", "update_network") else ""
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
        produced = [np.atleast_1d(np.asarray(v, dtype=np.float64))
                    for v in (value if isinstance(value, tuple) else (value,)) if v is not None]
        if self.kernel in ("update_network", "train_epoch", "train_epoch_literal", "train"):
            produced += list(args[-5:-1] if self.kernel != "train" else args[-6:-2])
        return produced


def compare(a: list[np.ndarray], b: list[np.ndarray]) -> tuple[bool, float]:
    """``(bit_identical, max_abs_diff)`` between two results of ``Workload.result``."""
    same = all(np.array_equal(x, y) for x, y in zip(a, b)) and len(a) == len(b)
    diff = max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))
    return same, diff


# The benchmark suite (issue 2): per-sample kernels, one epoch, a whole XOR training,
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


# --- The benchmark report (issue 4): ``loopmlp bench`` --------------------------------------


def flop_count(kernel: str, shape: tuple[int, int, int], epochs: int = 1) -> int:
    """Floating-point operations per sample of ``kernel`` on a net of ``shape``, as the
    reference's loops do them: every ``+ - * /`` counts one, ``exp`` counts one, negation
    none. Per call for ``neural_response``/``update_network``, per row otherwise.
    """
    n_in, n_hid, n_out = shape
    # each node: fan_in multiply-adds, the bias, then 1 / (1 + exp(-val)) (exp, add, divide)
    forward = n_hid * (2 * n_in + 4) + n_out * (2 * n_hid + 4)
    update = (3 * n_out                # delta_out = out * (1 - out) * err
              + 2 * n_out * n_hid      # err_prop = sum_o delta_out * wo
              + 3 * n_hid              # delta_hid
              + 3 * n_hid * n_out      # wo += lrate * (hid * delta_out)
              + 2 * n_out              # bo
              + 3 * n_in * n_hid       # wh += lrate * (inp * delta_hid)
              + 2 * n_hid)             # bh
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


def workload_flops(w: Workload) -> int:
    """``flop_count`` for workload ``w``: per call or per row (see ``Workload.n_samples``)."""
    return flop_count(w.kernel, w.shape, w.epochs)


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
    Workload("predict", "mnist", n_samples=1_000, python_samples=4),
]

# ``loopmlp bench --sweep``: train_epoch on 64-h-10 for h = 2, 4, ..., 1024.
SWEEP_WIDTHS = tuple(2 ** i for i in range(1, 11))


def sweep_workload(n_hid: int, n_in: int = 64, n_out: int = 10) -> SizedWorkload:
    """One epoch on a ``n_in-n_hid-n_out`` net, with enough rows to time (fewer for Python)."""
    n = max(32, min(2_048, 2 ** 16 // n_hid))
    return SizedWorkload("train_epoch", "sweep", n_samples=n, python_samples=8,
                         n_in=n_in, n_hid=n_hid, n_out=n_out)

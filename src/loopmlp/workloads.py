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
        size = f" N={self.n_samples}" if self.kernel in ("train_epoch", "train", "predict") else ""
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
        if self.kernel == "train_epoch":
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
        if self.kernel in ("update_network", "train_epoch", "train"):
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
    Workload("train", "xor", n_samples=4, epochs=1_000, python_samples=4),
    Workload("predict", "xor", n_samples=4),
    Workload("predict", "lecture", n_samples=100_000, python_samples=1_000),
    Workload("predict", "mnist", n_samples=10_000, python_samples=4),
]

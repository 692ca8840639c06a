"""The lecture's perceptron on a logic gate: it learns AND and OR, and cannot learn XOR.

The model and its training are :mod:`loopmlp.perceptron` (the lecture's class, the
perceptron rule, no scikit-learn estimator: it is not an MLP); this module only runs it
and words the result.
"""

from __future__ import annotations

import numpy as np

from ..perceptron import LOGIC_GATES, Perceptron
from .common import ExperimentError, ExperimentResult

DEFAULTS = {"lrate": 0.1, "epochs": 20}  # 004: alpha 0.1, 20 epochs


def run(gate: str, *, epochs=None, lrate=None, seed=0) -> ExperimentResult:
    """Train a perceptron on ``gate`` (``"and"``, ``"or"`` or ``"xor"``), predict its points.

    ``results``: ``predictions``, ``correct`` (out of 4), ``learned``; ``summary``: the
    lecture's ``[INFO]`` lines and a verdict.

    Parameters
    ----------
    gate : {"and", "or", "xor"}
        The truth table to learn (any case).
    epochs : int, optional
        Passes over the four points. Default 20, the lecture's.
    lrate : float, optional
        The perceptron rule's step, the lecture's ``alpha``. Default 0.1.
    seed : int, default 0
        Seeds the initial weights.

    Returns
    -------
    ExperimentResult
        ``estimator``: the trained :class:`loopmlp.perceptron.Perceptron`; ``results``:
        ``gate``, ``predictions``, ``correct``, ``learned``, ``weights``.

    Raises
    ------
    ExperimentError
        An unknown gate.

    Examples
    --------
    >>> from loopmlp.experiments import perceptron
    >>> [perceptron.run(gate).results["learned"] for gate in ("and", "or", "xor")]
    [True, True, False]
    """
    gate = str(gate).lower()
    if gate not in LOGIC_GATES:
        raise ExperimentError(f"gate must be one of {tuple(LOGIC_GATES)}, got {gate!r}")
    epochs = DEFAULTS["epochs"] if epochs is None else epochs
    lrate = DEFAULTS["lrate"] if lrate is None else lrate
    X, y = LOGIC_GATES[gate]
    # define our perceptron and train it
    p = Perceptron(X.shape[1], alpha=lrate, seed=seed).fit(X, y, epochs=epochs)
    preds = np.array([p.predict(x) for x in X])
    lines = ["[INFO] training perceptron...", "[INFO] testing perceptron..."]
    lines += [f"[INFO] data={x}, ground-truth={t}, pred={q}" for x, t, q in zip(X, y, preds)]
    correct = int(np.sum(preds == y))
    learned = correct == len(y)
    note = ""
    if gate == "xor" and not learned:
        note = " - XOR is not linearly separable, so no perceptron can learn it"
    lines.append(
        f"Perceptron {'learned' if learned else 'did NOT learn'} {gate.upper()}: "
        f"{correct}/{len(y)} points correct{note}"
    )
    results = {
        "gate": gate,
        "predictions": preds.tolist(),
        "correct": correct,
        "learned": learned,
        "weights": p.W.tolist(),
    }
    settings = {
        "command": "perceptron",
        "gate": gate,
        "epochs": epochs,
        "lrate": lrate,
        "seed": seed,
    }
    return ExperimentResult("perceptron", p, {}, results, settings, {}, {}, "\n".join(lines))

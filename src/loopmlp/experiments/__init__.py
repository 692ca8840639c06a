"""The lecture's experiments, one module each, on the scikit-learn estimators.

Each experiment is a function ``run(...)`` that returns an :class:`ExperimentResult` (the
trained estimator, the Keras-style history, the scores, the paths of what it wrote, and a
printable summary); ``loopmlp pixels | digits | xor | perceptron`` only parse their
arguments and call it.

======================  ===============================================================
``pixels``              missing-pixel prediction (week 7): 60-6-4, or two hidden layers
                        of 60, on a ``LoopMLPRegressor`` with sigmoid outputs
``digits``              scikit-learn's 8x8 digits (64-32-10) or MNIST (784-512-10) on a
                        ``LoopMLPClassifier`` (softmax, cross-entropy); classification
                        report, confusion matrix
``xor``                 the backpropagation XOR net (2-3-1), a ``LoopMLPRegressor``
``perceptron``          the lecture's perceptron on AND, OR, XOR (``loopmlp.perceptron``)
``training``            the epoch driver over ``partial_fit``: :func:`fit_epochs`,
                        :class:`History`, :class:`Checkpoint` (Keras' ``Model.fit``,
                        ``History``, ``ModelCheckpoint``)
``common``              settings, model files (:func:`save_model`, :func:`load_model`:
                        pickled estimators), :class:`ExperimentResult`, output folders
``plots``               the pictures: history, confusion matrix, grey images
======================  ===============================================================

The 8x8 digits for ten epochs, writing no files (``out=None``); ``seed`` also picks the
test split, which :func:`loopmlp.data.digits_split` returns:

>>> from loopmlp import data
>>> from loopmlp.experiments import digits
>>> result = digits.run(epochs=10, backend="cython", seed=0, out=None)
>>> result.settings["net"], len(result.history["loss"]), sorted(result.history)
([64, 32, 10], 10, ['accuracy', 'loss', 'val_accuracy', 'val_loss'])
>>> bool(result.results["accuracy"] > 0.9)
True
>>> X_trn, X_tst, y_trn, y_tst = data.digits_split(seed=0)
>>> result.estimator.predict(X_tst[:6]), y_tst[:6]
(array([2, 0, 4, 9, 4, 1]), array([2, 0, 4, 9, 4, 1]))

Importing this package (or an experiment module) loads numpy at most: scikit-learn,
matplotlib and the backends load when an experiment runs.
"""

from __future__ import annotations

__all__ = [
    "ExperimentError",
    "ExperimentResult",
    "fit_epochs",
    "History",
    "Checkpoint",
    "save_model",
    "load_model",
]


def __getattr__(name):
    if name in ("ExperimentError", "ExperimentResult", "save_model", "load_model"):
        from . import common

        return getattr(common, name)
    if name in ("fit_epochs", "History", "Checkpoint"):
        from . import training

        return getattr(training, name)
    raise AttributeError(f"module 'loopmlp.experiments' has no attribute {name!r}")

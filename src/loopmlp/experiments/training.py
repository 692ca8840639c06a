"""The epoch driver of the experiments: Keras' ``Model.fit`` over the estimators' ``partial_fit``.

Training itself is the estimator's (``partial_fit``: one epoch of the backend's
``net_train``, the same as ``fit`` with ``max_iter=1``, k calls the same as ``max_iter=k``).
:func:`fit_epochs` only calls it once per epoch (or, when nothing happens between epochs,
runs of epochs through one warm-started ``fit``: the same bits) and, between epochs,
measures what Keras' ``History`` records and hands it to callbacks:

``loss``
    The estimator's ``loss_curve_[-1]``: the epoch's mean training loss, each sample's
    loss taken before its own step (the lecture's "Epoch MSE"; Keras' running ``loss``).
``accuracy`` (classifiers)
    The training rows' accuracy after the epoch (Keras: a running mean during it).
``val_loss``, ``val_accuracy`` (with ``validation_data``)
    On the held-out rows after the epoch; ``val_loss`` is the training loss's formula:
    mean squared error over the outputs (regressor), or the mean of ``-log p(true class)``
    (classifier: softmax or one sigmoid output, the kernels' cross-entropy).

A callback is any object with ``on_epoch_end(epoch, logs, estimator)`` (``epoch`` counts
from 1): :class:`History` (always first), :class:`Checkpoint` (``ModelCheckpoint`` with
``save_best_only``), or your own.
"""

from __future__ import annotations

import math
import sys
from contextlib import nullcontext
from pathlib import Path

import numpy as np

from .._optional import import_module
from .common import ExperimentError, save_model


class History:
    """Keras' ``History``: ``history["loss"]`` etc., one entry per epoch, and ``epoch``.

    :func:`fit_epochs` returns one, filled.

    Attributes
    ----------
    history : dict of str -> list of float
        One list per measured value (``loss``, ``accuracy``, ``val_loss``,
        ``val_accuracy``), one entry per epoch.
    epoch : list of int
        The epochs recorded, counted from 1.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: dict, estimator) -> None:
        """Record one epoch's ``logs``.

        Parameters
        ----------
        epoch : int
            The epoch, counted from 1.
        logs : dict of str -> float
            What was measured after it.
        estimator : LoopMLPClassifier or LoopMLPRegressor
            The estimator being trained (not used).
        """
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))


class Checkpoint:
    """Keep the best model while training: Keras' ``ModelCheckpoint(save_best_only=True)``.

    After every epoch whose ``monitor`` value (``"loss"``, as the lecture's MNIST run, or
    ``"val_loss"``) is lower than every earlier one, the estimator is pickled to ``path``
    (:func:`~loopmlp.experiments.common.save_model`, with ``meta`` and the epoch), so the
    file always holds the best epoch's model; it loads and predicts those bits.

    Parameters
    ----------
    path : str or path-like
        The model file, rewritten at every improvement.
    monitor : {"loss", "val_loss"}, default "loss"
        The logged value to watch; ``val_loss`` needs ``validation_data``.
    meta : dict, optional
        Saved with the model, with the net, the epochs trained and the best epoch.
    log : callable, optional
        Called with Keras' line, ``"Epoch 00003: loss improved from 0.61863 to 0.52349,
        saving model to best.pkl"``, at every save.

    Attributes
    ----------
    best : float
        The lowest value so far (``inf`` before the first epoch).
    best_epoch : int or None
        Its epoch, counted from 1 (None before the first save).
    """

    def __init__(self, path, monitor: str = "loss", meta: dict | None = None, log=None) -> None:
        self.path = Path(path)
        self.monitor = monitor
        self.meta = dict(meta or {})
        self.log = log
        self.best = math.inf
        self.best_epoch: int | None = None

    def on_epoch_end(self, epoch: int, logs: dict, estimator) -> None:
        """Save ``estimator`` if its ``monitor`` value is the lowest so far.

        Parameters
        ----------
        epoch : int
            The epoch, counted from 1.
        logs : dict of str -> float
            What was measured after it.
        estimator : LoopMLPClassifier or LoopMLPRegressor
            The model to save.

        Raises
        ------
        ExperimentError
            ``monitor`` is not in ``logs``.
        """
        if self.monitor not in logs:
            raise ExperimentError(
                f"the checkpoint monitors {self.monitor!r}, which is not "
                f"measured (measured: {', '.join(logs)}); val_loss needs "
                f"validation data"
            )
        value = float(logs[self.monitor])
        if not value < self.best:  # Keras' np.less: ties and NaN do not improve
            return
        if self.log is not None:
            self.log(
                f"Epoch {epoch:05d}: {self.monitor} improved from {self.best:.5f} to "
                f"{value:.5f}, saving model to {self.path}"
            )
        self.best, self.best_epoch = value, epoch
        meta = {
            **self.meta,
            "net": list(estimator.net_.sizes),
            "total_epochs": len(estimator.loss_curve_),
            "best": {"epoch": epoch, "monitor": self.monitor, "value": value},
        }
        save_model(self.path, estimator, meta)


def epoch_logs(estimator, X, y, validation_data=None, train_accuracy: bool = True) -> dict:
    """The logs of the epoch just trained (see the module docstring)."""
    from sklearn.base import is_classifier

    logs = {"loss": float(estimator.loss_)}
    classifier = is_classifier(estimator)
    if classifier and train_accuracy:
        logs["accuracy"] = float(np.mean(estimator.predict(X) == y))
    if validation_data is not None:
        X_val, y_val = validation_data
        if classifier:
            proba = estimator.predict_proba(X_val)
            col = np.searchsorted(estimator.classes_, y_val)
            with np.errstate(divide="ignore"):
                logs["val_loss"] = float(-np.mean(np.log(proba[np.arange(len(y_val)), col])))
            pred = estimator.classes_[np.argmax(proba, axis=1)]
            logs["val_accuracy"] = float(np.mean(pred == y_val))
        else:
            pred = estimator.predict(X_val).reshape(len(X_val), -1)
            err = np.asarray(y_val, dtype=np.float64).reshape(pred.shape) - pred
            logs["val_loss"] = float(np.mean(err * err))
    return logs


_FIT_RUN = 100  # epochs per warm-started fit when nothing happens between epochs


def _warm_fit(estimator, X, y, epochs: int) -> None:
    """``epochs`` more epochs of a fitted estimator in one ``fit``: warm-started, no early
    stop; its parameters are restored after. The same as ``epochs`` partial_fits (the
    estimators' contract, tested)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    saved = {
        k: getattr(estimator, k)
        for k in ("warm_start", "max_iter", "n_iter_no_change", "early_stopping", "verbose")
    }
    estimator.set_params(
        warm_start=True,
        max_iter=epochs,
        n_iter_no_change=np.inf,
        early_stopping=False,
        verbose=False,
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X, y)
    finally:
        estimator.set_params(**saved)


def fit_epochs(
    estimator,
    X,
    y,
    epochs: int,
    *,
    validation_data=None,
    callbacks=(),
    classes=None,
    train_accuracy: bool = True,
    progress: bool = False,
    verbose: bool = False,
    log=None,
    stream=None,
    desc: str = "train",
) -> History:
    """Train ``estimator`` for ``epochs`` epochs through ``partial_fit``; Keras' ``fit``.

    One ``partial_fit`` per epoch when something happens between epochs (validation,
    callbacks, ``verbose``, a classifier's training accuracy); otherwise, after the first
    epoch, up to 100 epochs per warm-started ``fit`` (the same bits, less overhead: the
    lecture's XOR runs 4,000 epochs of four rows).

    Parameters
    ----------
    estimator : LoopMLPClassifier or LoopMLPRegressor
        Fresh or fitted; trained in place.
    X : ndarray, shape (n, n_features)
        Converted once to the estimator's dtype (float64 or float32).
    y : ndarray, shape (n,) or (n, n_outputs)
    epochs : int >= 0
    validation_data : (X_val, y_val), optional
        Scored after each epoch (``val_loss``, and ``val_accuracy`` for classifiers).
    callbacks : sequence
        Objects with ``on_epoch_end(epoch, logs, estimator)``, called in order after the
        returned :class:`History`.
    classes : array_like, optional
        A fresh classifier's classes (``partial_fit``'s first call); default
        ``np.unique(y)``.
    train_accuracy : bool
        Classifiers: measure the training accuracy after each epoch (a predict pass).
    progress : bool
        A tqdm bar of the epochs on ``stream`` (default stderr) with the latest logs.
    verbose : bool
        Call ``log`` with the lecture's lines every epoch: ``Epoch 3 of 50`` and
        ``Epoch MSE = 0.0064...`` (regressors; ``Epoch loss = ...`` for classifiers), with
        the other logs after it, Keras' way (`` - val_loss: 0.0051``).
    log : callable, optional
        Where the lines go (default ``print``); callbacks get their own.
    stream : file-like, optional
        Where the progress bar goes (default stderr).
    desc : str, default "train"
        The progress bar's label.

    Returns
    -------
    History
        The epochs' logs: ``history.history["loss"]`` etc.

    Raises
    ------
    ExperimentError
        ``epochs`` not an integer >= 0, a bad estimator parameter, or training that
        diverged (the estimator's ``ValueError``, with the epoch).

    Examples
    --------
    >>> import numpy as np
    >>> from loopmlp import LoopMLPClassifier
    >>> from loopmlp.experiments import fit_epochs
    >>> from loopmlp.data import digits_split
    >>> X_trn, X_tst, y_trn, y_tst = digits_split(seed=0)
    >>> clf = LoopMLPClassifier((32,), random_state=0)
    >>> history = fit_epochs(clf, X_trn, y_trn, 3, validation_data=(X_tst, y_tst))
    >>> sorted(history.history), history.epoch
    (['accuracy', 'loss', 'val_accuracy', 'val_loss'], [1, 2, 3])
    >>> history.history["loss"] == clf.loss_curve_
    True
    """
    from sklearn.base import is_classifier

    if not (isinstance(epochs, int) and epochs >= 0):
        raise ExperimentError(f"epochs must be an integer >= 0, got {epochs!r}")
    log = print if log is None else log
    dtype = np.dtype(estimator.dtype)
    X = np.ascontiguousarray(X, dtype=dtype)
    if validation_data is not None:
        X_val, y_val = validation_data
        validation_data = (np.ascontiguousarray(X_val, dtype=dtype), y_val)
    classifier = is_classifier(estimator)
    if classifier and classes is None:
        classes = np.unique(y)
    history = History()
    callbacks = [history, *callbacks]
    stream = sys.stderr if stream is None else stream
    bar = None
    if progress and epochs > 0:
        tqdm = import_module("tqdm", "loopmlp.experiments", "experiments").tqdm
        bar = tqdm(
            total=epochs, desc=desc, unit="epoch", file=stream, leave=False, dynamic_ncols=True
        )

    def write(line: str) -> None:
        if bar is not None:
            with bar.external_write_mode(file=stream):
                log(line)
        else:
            log(line)

    # Nothing to do between epochs (no validation, callbacks, lines or training accuracy):
    # then runs of epochs go through one warm-started ``fit`` each, which is k partial_fits
    # in one call (the same bits, without scikit-learn's checks before every epoch).
    each_epoch = bool(
        verbose
        or validation_data is not None
        or len(callbacks) > 1
        or (classifier and train_accuracy)
    )
    try:
        epoch = 0
        while epoch < epochs:
            fitted = hasattr(estimator, "coefs_")
            run = 1 if each_epoch or not fitted else min(epochs - epoch, _FIT_RUN)
            try:
                if run == 1:
                    kwargs = {"classes": classes} if classifier and not fitted else {}
                    estimator.partial_fit(X, y, **kwargs)
                else:
                    _warm_fit(estimator, X, y, run)
            except ValueError as e:  # bad parameters, or training diverged
                raise ExperimentError(f"epoch {epoch + 1}: {e}") from e
            if run > 1:
                for loss in estimator.loss_curve_[-run:]:
                    epoch += 1
                    history.on_epoch_end(epoch, {"loss": float(loss)}, estimator)
                if bar is not None:
                    bar.set_postfix_str(
                        f"loss={history.history['loss'][-1]:.4g}", refresh=epoch == epochs
                    )
                    bar.update(run)
                continue
            epoch += 1
            logs = epoch_logs(estimator, X, y, validation_data, train_accuracy)
            if verbose:
                name = "loss" if classifier else "MSE"
                rest = "".join(f" - {k}: {v:.6g}" for k, v in logs.items() if k != "loss")
                write(f"Epoch {epoch} of {epochs}\nEpoch {name} = {logs['loss']}{rest}")
            # (a callback that prints, such as a Checkpoint with a log, prints past the bar)
            with bar.external_write_mode(file=stream) if bar is not None else nullcontext():
                for callback in callbacks:
                    callback.on_epoch_end(epoch, logs, estimator)
            if bar is not None:
                bar.set_postfix_str(
                    " ".join(f"{k}={v:.4g}" for k, v in logs.items()), refresh=epoch == epochs
                )
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return history


def train(
    estimator,
    X,
    y,
    settings: dict,
    *,
    validation_data=None,
    classes=None,
    save_best=None,
    monitor: str = "loss",
    meta: dict | None = None,
    progress: bool = False,
    verbose: bool = False,
    log=None,
    desc: str = "train",
):
    """An experiment's training: :func:`fit_epochs` with a :class:`Checkpoint` if asked.

    Returns ``(history, seconds, best)``; ``best`` is ``{"epoch", "monitor", "value"}`` of
    the saved best model, or None without ``save_best``.
    """
    import time

    callbacks = []
    if save_best is not None:
        if monitor == "val_loss" and validation_data is None:
            raise ExperimentError(
                "monitor='val_loss' (--monitor val_loss) needs a validation fraction > 0"
            )
        if monitor not in ("loss", "val_loss"):
            raise ExperimentError(f"monitor must be 'loss' or 'val_loss', got {monitor!r}")
        callbacks.append(
            Checkpoint(
                save_best,
                monitor,
                meta={**(meta or {}), "settings": settings},
                log=log if verbose else None,
            )
        )
    t0 = time.perf_counter()
    history = fit_epochs(
        estimator,
        X,
        y,
        settings["epochs"],
        validation_data=validation_data,
        callbacks=callbacks,
        classes=classes,
        progress=progress,
        verbose=verbose,
        log=log,
        desc=desc,
    )
    seconds = time.perf_counter() - t0
    best = None
    if callbacks and callbacks[0].best_epoch is not None:
        c = callbacks[0]
        best = {"epoch": c.best_epoch, "monitor": c.monitor, "value": c.best}
    return history, seconds, best

"""Handwritten digits: scikit-learn's 8x8 digits, or MNIST from its IDX files.

The lecture classifies scikit-learn's 1,797 digits with a DIY 64-4-10 net (accuracy
0.88 on 450 held-out digits), and MNIST in Keras with 784-512-10, relu hidden units,
softmax outputs and cross-entropy, ``batch_size`` 256 and ``validation_split=0.15``,
a ``ModelCheckpoint`` on the loss, the accuracy/loss history plot, scikit-learn's
classification report and a confusion matrix. Here the net is a ``LoopMLPClassifier``
(softmax outputs and cross-entropy for the ten classes), trained by
:func:`~.training.fit_epochs`; everything else is as the slides show it.
"""

from __future__ import annotations

import time

import numpy as np

from .. import DEFAULT_BACKEND, data
from .common import (
    ExperimentError,
    ExperimentResult,
    fmt_s,
    loggers,
    net_name,
    out_dir,
    prepare,
    saved_lines,
    split_validation,
    write_outputs,
)

N_CLASSES = 10

# 8x8 digits: the lecture's DIY net was 64-4-10 (0.88); 32 hidden sigmoid units reach
# ~0.98. Online SGD with lrate 0.1 as the lecture's DIY loops; 0.15 held out for the
# validation curves, as the Keras MNIST slide (the test set is the 450 digits apart).
DEFAULTS = {
    "hidden": (32,),
    "activation": "sigmoid",
    "lrate": 0.1,
    "epochs": 100,
    "batch_size": 1,
    "shuffle": False,
    "init": "lecture",
    "dtype": "float64",
    "fma": False,
    "validation_fraction": 0.15,
}
# MNIST: the slides' 784-512-10. With 784 inputs and 512 units the lecture's U[-1, 1)
# weights saturate every sigmoid and the net stays at chance, so MNIST starts from the
# weights scaled by 1/sqrt(fan-in); 5 epochs of online SGD.
MNIST_DEFAULTS = {**DEFAULTS, "hidden": (512,), "epochs": 5, "init": "scaled"}


def load_data(mnist=None, seed: int = 0, max_samples=None):
    """``(X_trn, y_trn, X_tst, y_tst, dataset)``: MNIST from ``mnist`` (a folder), or the
    8x8 digits split 75/25, stratified and seeded. ``max_samples`` keeps the first N
    training rows."""
    if mnist is not None:
        try:
            X_trn, y_trn, X_tst, y_tst = data.load_mnist(mnist)
        except FileNotFoundError as e:
            raise ExperimentError(str(e).strip('"')) from None
        except (OSError, ValueError) as e:
            raise ExperimentError(f"cannot read MNIST from {str(mnist)!r}: {e}") from None
        dataset = "mnist"
    else:
        X_trn, X_tst, y_trn, y_tst = data.digits_split(seed)
        dataset = "digits"
    if max_samples is not None:
        if not (isinstance(max_samples, int) and max_samples >= 1):
            raise ExperimentError(f"max_samples must be an integer >= 1, got {max_samples!r}")
        X_trn, y_trn = X_trn[:max_samples], y_trn[:max_samples]
    for name, y in (("training", y_trn), ("test", y_tst)):
        if y.size and (y.min() < 0 or y.max() >= N_CLASSES):
            raise ExperimentError(f"{name} labels must be 0..9, got {y.min()}..{y.max()}")
    return (
        np.ascontiguousarray(X_trn, dtype=np.float64),
        y_trn,
        np.ascontiguousarray(X_tst, dtype=np.float64),
        y_tst,
        dataset,
    )


def run(
    *,
    mnist=None,
    max_samples=None,
    hidden=None,
    activation=None,
    lrate=None,
    epochs=None,
    batch_size=None,
    shuffle=None,
    init=None,
    dtype=None,
    fma=None,
    validation_fraction=None,
    backend=DEFAULT_BACKEND,
    seed=0,
    out=None,
    save=None,
    load=None,
    save_best=None,
    monitor="loss",
    progress=False,
    verbose=False,
    log=None,
) -> ExperimentResult:
    """Train the digit classifier, then report on the test set.

    The net's settings left None come from a loaded model (``load``), else from
    ``DEFAULTS`` (64-32-10, sigmoid hidden units, softmax outputs, online SGD in order,
    lrate 0.1, 100 epochs, 15% held out), or ``MNIST_DEFAULTS`` with ``mnist``
    (784-512-10, ``init="scaled"``, 5 epochs).

    Parameters
    ----------
    mnist : path, optional
        A folder with MNIST's four IDX files (plain or ``.gz``; never downloaded). Default:
        scikit-learn's 8x8 digits, split 75/25 (:func:`loopmlp.data.digits_split`).
    max_samples : int, optional
        Train on the first N training rows only (before the validation split).
    hidden : int, sequence of int or str, optional
        Hidden widths, one per hidden layer: ``32``, ``(60, 60)`` or ``"60,60"``.
        Default 32 (MNIST: 512).
    activation : {"sigmoid", "tanh", "relu"}, optional
        The hidden units. Default ``"sigmoid"``.
    lrate : float, optional
        The SGD learning rate, > 0. Default 0.1.
    epochs : int, optional
        Training epochs, >= 0; 0 only evaluates the ``load`` model. Default 100 (MNIST: 5).
    batch_size : int, optional
        1: online SGD, the lecture's; B: one step per mean gradient of B rows. Default 1.
    shuffle : bool, optional
        Visit the rows in a new seeded order each epoch. Default False: in order, as
        the lecture's loops.
    init : {"lecture", "scaled"}, optional
        Initial weights uniform in [-1, 1) (the lecture's), or those divided by
        sqrt(fan-in). Default ``"lecture"`` (MNIST: ``"scaled"``).
    dtype : {"float64", "float32"}, optional
        The net's float type. Default ``"float64"``.
    fma : bool, optional
        The FMA mode (``loopmlp.init_net(fma=True)``): one rounding per multiply-add.
        Default False.
    validation_fraction : float, optional
        Hold out this share of the training rows, scored after every epoch (``val_loss``
        and, for classifiers, ``val_accuracy``), as Keras' ``validation_split``; in
        [0, 1). Default 0.15.
    backend : {"cython", "numba", "python", "numpy"}, default "cython"
        The estimator's kernels; python, numba and cython give the same bits.
    seed : int, default 0
        The estimator's ``random_state`` (initial weights, shuffling), the 8x8 digits'
        train/test split and the validation split.
    out : path, optional
        A folder for the artifacts, created if needed: report.txt (the classification
        report), confusion.png, history.png (accuracy and loss, trn and val, per epoch),
        metrics.json, model.pkl. None (the default) writes none.
    save : path, optional
        Save the trained model there (:func:`~loopmlp.experiments.save_model`).
    load : path, optional
        Start from a saved model, which keeps its net (``epochs=0``: only evaluate it).
        It is unpickled: load only files you trust.
    save_best : path, optional
        While training, keep in this file the model of the epoch with the lowest
        ``monitor`` value (:class:`~loopmlp.experiments.Checkpoint`).
    monitor : {"loss", "val_loss"}, default "loss"
        What ``save_best`` watches; ``val_loss`` needs a validation fraction > 0.
    progress : bool, default False
        A progress bar of the epochs on stderr.
    verbose : bool, default False
        The lecture's lines every epoch (``Epoch MSE = ...``), Keras' ``val_loss`` after.
    log : callable, optional
        Where lines go: default ``print`` with ``verbose``, else nowhere.

    Returns
    -------
    ExperimentResult
        ``results``: ``accuracy``, ``classification_report`` (its dict), ``confusion_matrix``,
        ``test_predictions``, ``epoch_loss``, ...; ``history``: ``loss``, ``accuracy``,
        ``val_loss``, ``val_accuracy``.

    Raises
    ------
    ExperimentError
        Bad settings, a missing or unreadable file, a ``load`` model that does not fit
        the experiment's net, or training that diverged.

    Examples
    --------
    >>> from loopmlp.experiments import digits
    >>> r = digits.run(epochs=5)
    >>> bool(r.results["accuracy"] > 0.9), sorted(r.history)
    (True, ['accuracy', 'loss', 'val_accuracy', 'val_loss'])
    """
    from sklearn.metrics import classification_report, confusion_matrix

    log, say = loggers(log, verbose)
    given = dict(
        hidden=hidden,
        activation=activation,
        lrate=lrate,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=shuffle,
        init=init,
        dtype=dtype,
        fma=fma,
        validation_fraction=validation_fraction,
    )

    t0 = time.perf_counter()
    X_trn, y_trn, X_tst, y_tst, dataset = load_data(mnist, seed, max_samples)
    n_in = X_trn.shape[1]
    est, s = prepare(
        "digits",
        "classifier",
        MNIST_DEFAULTS if mnist else DEFAULTS,
        given,
        n_in=n_in,
        n_out=N_CLASSES,
        backend=backend,
        seed=seed,
        load=load,
    )
    if load is not None and not np.array_equal(est.classes_, np.arange(N_CLASSES)):
        raise ExperimentError(
            f"model {str(load)!r} has classes {est.classes_.tolist()}, not the digits 0..9"
        )
    X, y, validation_data = split_validation(X_trn, y_trn, s["validation_fraction"], seed, True)
    t_data = time.perf_counter() - t0

    sizes = (n_in, *s["hidden"], N_CLASSES)
    settings = {
        "command": "digits",
        "backend": backend,
        "seed": seed,
        **s,
        "hidden": list(s["hidden"]),
        "net": list(sizes),
        "total_epochs": s["prior_epochs"] + s["epochs"],
        "dataset": dataset,
        "mnist_dir": None if mnist is None else str(mnist),
        "max_samples": max_samples,
        "save_best": None if save_best is None else str(save_best),
        "monitor": monitor,
    }
    n_val = 0 if validation_data is None else len(validation_data[0])
    say(
        f"digits: {dataset} {net_name(sizes)} net ({s['activation']} hidden, softmax "
        f"outputs, cross-entropy), backend {backend}, seed {seed}, lrate {s['lrate']}, "
        f"batch size {s['batch_size']}, {s['epochs']} epochs on {len(X)} samples"
        + (f", {n_val} validation samples" if n_val else "")
        + f"; {len(X_tst)} test samples"
    )

    from .training import train

    history, t_train, best = train(
        est,
        X,
        y,
        settings,
        validation_data=validation_data,
        classes=np.arange(N_CLASSES),
        save_best=save_best,
        monitor=monitor,
        meta={"command": "digits"},
        progress=progress,
        verbose=verbose,
        log=log,
        desc=dataset,
    )

    t2 = time.perf_counter()
    pred = est.predict(X_tst)
    t_pred = time.perf_counter() - t2
    labels = list(range(N_CLASSES))
    accuracy = float(np.mean(pred == y_tst))
    report = classification_report(y_tst, pred, labels=labels, digits=4, zero_division=0)
    cm = confusion_matrix(y_tst, pred, labels=labels)
    results = {
        "dataset": dataset,
        "n_train": int(len(X)),
        "n_val": int(n_val),
        "n_test": int(len(X_tst)),
        "accuracy": accuracy,
        "final_epoch_loss": history.history["loss"][-1] if history.epoch else None,
        "epoch_loss": history.history.get("loss", []),
        "confusion_matrix": cm.tolist(),
        "classification_report": classification_report(
            y_tst, pred, labels=labels, output_dict=True, zero_division=0
        ),
        "classification_report_text": report,
        "test_predictions": pred.tolist(),
    }
    if best is not None:
        results["best"] = best
    result = ExperimentResult(
        "digits",
        est,
        history.history,
        results,
        settings,
        {"data": t_data, "train": t_train, "predict": t_pred},
    )
    if best is not None:
        result.paths["best_model"] = save_best
    out = out_dir(out)
    title = f"{dataset} {net_name(sizes)}, {backend}"
    if out is not None:
        from .plots import plot_confusion

        result.paths["report"] = out / "report.txt"
        result.paths["report"].write_text(
            f"Classification Report ({title}, {s['prior_epochs'] + s['epochs']} epochs)\n\n{report}"
        )
        result.paths["confusion"] = plot_confusion(
            out / "confusion.png", cm, f"{dataset}: accuracy {accuracy:.4f} ({backend})"
        )
    write_outputs(result, out, save, title)

    lines = ["", "Classification Report", report]
    if results["final_epoch_loss"] is not None:
        lines.append(f"Final epoch loss (train, cross-entropy) = {results['final_epoch_loss']:.6g}")
    if history.history.get("val_accuracy"):
        lines.append(
            f"Final validation accuracy = {history.history['val_accuracy'][-1]:.4f} "
            f"({n_val} samples)"
        )
    lines.append(
        f"Test accuracy = {accuracy:.4f} ({int(np.sum(pred == y_tst))}/{len(y_tst)})"
        + ("   (lecture's 64-4-10: 0.88)" if dataset == "digits" else "")
    )
    lines.append(f"Time: train {fmt_s(t_train)}, predict {fmt_s(t_pred)}, data {fmt_s(t_data)}")
    result.summary = "\n".join(lines + saved_lines(result, out))
    return result

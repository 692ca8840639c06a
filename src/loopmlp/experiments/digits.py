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

from .. import data
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
    validation_fraction=None,
    backend="numba",
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

    Parameters as :func:`loopmlp.experiments.pixels.run` (the net's settings default to
    ``DEFAULTS``, or ``MNIST_DEFAULTS`` with ``mnist``), and

    mnist : path or None
        A folder with MNIST's four IDX files (plain or ``.gz``; never downloaded).
    max_samples : int or None
        Train on the first N training rows only (before the validation split).
    out : path or None
        Artifacts: report.txt (the classification report), confusion.png, history.png
        (accuracy and loss, trn and val, per epoch), metrics.json, model.pkl.

    Returns
    -------
    ExperimentResult
        ``results``: ``accuracy``, ``classification_report`` (its dict), ``confusion_matrix``,
        ``test_predictions``, ``epoch_loss``, ...; ``history``: ``loss``, ``accuracy``,
        ``val_loss``, ``val_accuracy``.
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

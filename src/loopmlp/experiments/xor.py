"""The backpropagation XOR net: the lecture's MLP learning what no perceptron can.

The lecture's ``NeuralNetwork([2, 2, 1])`` printed each point as
``[INFO] data=[0 1], ground-truth=1, pred=0.8381, step=1``. Here the net is a
``LoopMLPRegressor`` with sigmoid outputs and the lecture's squared error, trained online
on the four points in order (:func:`~.training.fit_epochs`); 2-3-1 with lrate 0.5 learns
XOR for every seed tried, where 2-2-1 sometimes stalls in a local minimum.
"""

from __future__ import annotations

import numpy as np

from .. import DEFAULT_BACKEND
from .common import (
    ExperimentResult,
    fmt_s,
    loggers,
    net_name,
    out_dir,
    prepare,
    saved_lines,
    write_outputs,
)

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])
XOR_X.setflags(write=False)
XOR_Y.setflags(write=False)

# 004's XOR net was 2-2-1 (alpha 0.5, 1,000 epochs: it had not learned yet); 2-3-1 with
# lrate 0.5 and 4,000 epochs learns XOR reliably. No validation: there are four points.
DEFAULTS = {
    "hidden": (3,),
    "activation": "sigmoid",
    "lrate": 0.5,
    "epochs": 4000,
    "batch_size": 1,
    "shuffle": False,
    "init": "lecture",
    "dtype": "float64",
    "fma": False,
    "validation_fraction": 0.0,
}


def run(
    *,
    hidden=None,
    activation=None,
    lrate=None,
    epochs=None,
    batch_size=None,
    shuffle=None,
    init=None,
    dtype=None,
    fma=None,
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
    """Train the XOR net and predict the four points.

    The net's settings left None come from a loaded model (``load``), else from
    ``DEFAULTS``: 2-3-1, sigmoid units, online SGD over the four points in order, lrate
    0.5, 4,000 epochs.

    Parameters
    ----------
    hidden : int, sequence of int or str, optional
        Hidden widths, one per hidden layer: ``32``, ``(60, 60)`` or ``"60,60"``.
        Default 3.
    activation : {"sigmoid", "tanh", "relu"}, optional
        The hidden units. Default ``"sigmoid"``.
    lrate : float, optional
        The SGD learning rate, > 0. Default 0.5.
    epochs : int, optional
        Training epochs, >= 0; 0 only evaluates the ``load`` model. Default 4,000.
    batch_size : int, optional
        1: online SGD, the lecture's; B: one step per mean gradient of B rows. Default 1.
    shuffle : bool, optional
        Visit the rows in a new seeded order each epoch. Default False: in order, as
        the lecture's loops.
    init : {"lecture", "scaled"}, optional
        Initial weights uniform in [-1, 1) (the lecture's), or those divided by
        sqrt(fan-in). Default ``"lecture"``.
    dtype : {"float64", "float32"}, optional
        The net's float type. Default ``"float64"``.
    fma : bool, optional
        The FMA mode (``loopmlp.init_net(fma=True)``): one rounding per multiply-add.
        Default False.
    backend : {"cython", "numba", "python", "numpy"}, default "cython"
        The estimator's kernels; python, numba and cython give the same bits.
    seed : int, default 0
        The estimator's ``random_state``: initial weights and shuffling.
    out : path, optional
        A folder for the artifacts, created if needed: history.png, metrics.json,
        model.pkl. None (the default) writes none.
    save : path, optional
        Save the trained model there (:func:`~loopmlp.experiments.save_model`).
    load : path, optional
        Start from a saved model, which keeps its net (``epochs=0``: only evaluate it).
        It is unpickled: load only files you trust.
    save_best : path, optional
        While training, keep in this file the model of the epoch with the lowest
        ``monitor`` value (:class:`~loopmlp.experiments.Checkpoint`).
    monitor : {"loss"}, default "loss"
        What ``save_best`` watches (there is no validation: there are four points).
    progress : bool, default False
        A progress bar of the epochs on stderr.
    verbose : bool, default False
        The lecture's lines every epoch (``Epoch MSE = ...``).
    log : callable, optional
        Where lines go: default ``print`` with ``verbose``, else nowhere.

    Returns
    -------
    ExperimentResult
        ``results``: ``predictions`` (the four sigmoid outputs), ``steps`` (1 where > 0.5),
        ``learned`` (the steps are XOR), ``epoch_mse``, ``final_epoch_mse``.

    Raises
    ------
    ExperimentError
        Bad settings, a missing or unreadable file, a ``load`` model that does not fit
        the experiment's net, or training that diverged.

    Examples
    --------
    >>> from loopmlp.experiments import xor
    >>> r = xor.run()
    >>> r.results["steps"], r.results["learned"]
    ([0, 1, 1, 0], True)
    """
    from .training import train

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
        validation_fraction=None,
    )
    est, s = prepare(
        "xor",
        "regressor",
        DEFAULTS,
        given,
        n_in=2,
        n_out=1,
        backend=backend,
        seed=seed,
        load=load,
        out_activation="sigmoid",
    )
    sizes = (2, *s["hidden"], 1)
    settings = {
        "command": "xor",
        "backend": backend,
        "seed": seed,
        **s,
        "hidden": list(s["hidden"]),
        "net": list(sizes),
        "total_epochs": s["prior_epochs"] + s["epochs"],
        "save_best": None if save_best is None else str(save_best),
        "monitor": monitor,
    }
    say(
        f"xor: {net_name(sizes)} net, backend {backend}, seed {seed}, lrate {s['lrate']}, "
        f"{s['epochs']} epochs"
    )
    history, t_train, best = train(
        est,
        XOR_X,
        XOR_Y,
        settings,
        save_best=save_best,
        monitor=monitor,
        meta={"command": "xor"},
        progress=progress,
        verbose=verbose,
        log=log,
        desc="xor",
    )
    preds = est.predict(XOR_X).ravel()
    steps = (preds > 0.5).astype(int)
    truth = XOR_Y.astype(int)
    learned = bool(np.all(steps == truth))
    results = {
        "predictions": [float(p) for p in preds],
        "steps": steps.tolist(),
        "learned": learned,
        "final_epoch_mse": history.history["loss"][-1] if history.epoch else None,
        "epoch_mse": history.history.get("loss", []),
    }
    if best is not None:
        results["best"] = best
    result = ExperimentResult("xor", est, history.history, results, settings, {"train": t_train})
    if best is not None:
        result.paths["best_model"] = save_best
    out = out_dir(out)
    write_outputs(result, out, save, f"xor {net_name(sizes)}, {backend}")

    lines = [
        f"[INFO] data={x}, ground-truth={t}, pred={p:.4f}, step={st}"
        for x, t, p, st in zip(XOR_X.astype(int), truth, preds, steps)
    ]
    final = f", final epoch MSE {results['final_epoch_mse']:.6g}" if history.epoch else ""
    lines.append(
        f"XOR {'learned' if learned else 'NOT learned'} (step(pred) matches all "
        f"four targets: {learned}){final}; train {fmt_s(t_train)}"
    )
    result.summary = "\n".join(lines + saved_lines(result, out))
    return result

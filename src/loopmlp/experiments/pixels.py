"""The missing-pixels experiment (week 7): each 8x8 block's centre 2x2 from the 60 around it.

The lecture's DIY net is 60-6-4 with sigmoid units, trained online (one sample at a
time, in order) with ``lrate`` 0.1 for 50 epochs on the MSE of pixel values scaled to
[0, 1]; its slides also show two hidden layers of 60 (60-60-60-4, "OK, but still
overfitting"). Here that net is a ``LoopMLPRegressor(out_activation="sigmoid")`` on the
blocks of :func:`loopmlp.data.parse_img`, trained by :func:`~.training.fit_epochs`; the
test image is rebuilt from its predicted centres (:func:`loopmlp.data.reconstruct`) and
compared, as whole-image MSE in grey levels squared, with the image whose holes are zeroed
and with a bilinear fill of them.

Default data: twelve photos bundled with scikit-image for training and ``chelsea`` for
the test (:func:`loopmlp.data.sample_images`), standing in for the lecture's photos.
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

# The lecture's DIY settings (000): 60-6-4, sigmoid, lrate 0.1, 50 epochs, online SGD in
# the data's order, U[-1, 1) weights, all training blocks (its Keras version held out 0.1).
DEFAULTS = {
    "hidden": (6,),
    "activation": "sigmoid",
    "lrate": 0.1,
    "epochs": 50,
    "batch_size": 1,
    "shuffle": False,
    "init": "lecture",
    "dtype": "float64",
    "fma": False,
    "validation_fraction": 0.0,
}

# The slides' whole-image MSEs on the lecture's own test photo ("balloon_small").
SLIDE_HOLES_MSE = 1585.2
SLIDE_NETWORK_MSE = {(6,): 21.5, (60, 60): 22.7}  # 60-6-4, and two hidden layers of 60


def load_blocks(train=None, test=None, max_blocks=None):
    """Training blocks and the test image: ``(X, Y, test_img, train_names, test_name)``.

    ``train``: image files (or 2-D arrays of grey levels), default scikit-image's photos;
    ``test``: one file or array (required with ``train``), default ``chelsea``.
    ``max_blocks``: keep that many evenly spaced training blocks.
    """
    if train is not None and test is None:
        raise ExperimentError("--train needs --test FILE (the image to reconstruct)")
    if train is not None:
        train_imgs, train_names = _images(train)
    else:
        imgs, _, names = data.sample_images()
        train_imgs, train_names = imgs, [f"skimage:{n}" for n in names[:-1]]
    if test is not None:
        (test_img,), (test_name,) = _images([test])
    else:
        test_img, test_name = data.sample_images()[1], f"skimage:{data.SAMPLE_TEST_NAME}"

    parts = [data.parse_img(img) for img in train_imgs]
    X = np.concatenate([x for x, _ in parts])
    Y = np.concatenate([y for _, y in parts])
    if len(X) == 0:
        raise ExperimentError("the training images have no full 8x8 block (each side must be >= 8)")
    if max_blocks is not None:
        if not (isinstance(max_blocks, int) and max_blocks >= 1):
            raise ExperimentError(f"max_blocks must be an integer >= 1, got {max_blocks!r}")
        if max_blocks < len(X):
            idx = np.linspace(0, len(X) - 1, max_blocks).round().astype(np.int64)
            X, Y = np.ascontiguousarray(X[idx]), np.ascontiguousarray(Y[idx])
    if min(test_img.shape) < data.BLOCK_SIZE:
        raise ExperimentError(
            f"test image {test_name!r} ({test_img.shape[1]}x"
            f"{test_img.shape[0]}) has no full 8x8 block"
        )
    return X, Y, test_img, train_names, test_name


def _images(items):
    images, names = [], []
    for item in items:
        if isinstance(item, np.ndarray):
            images.append(np.asarray(item, dtype=np.float64))
            names.append(f"array{item.shape}")
            continue
        try:
            images.append(data.load_image(item))
        except FileNotFoundError:
            raise ExperimentError(f"image file {str(item)!r} not found") from None
        except (OSError, ValueError) as e:
            raise ExperimentError(f"cannot read image {str(item)!r}: {e}") from None
        names.append(str(item))
    return images, names


def run(
    *,
    train=None,
    test=None,
    max_blocks=None,
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
    """Train the missing-pixels net and score the reconstructed test image.

    The net's settings left None come from a loaded model (``load``), else from
    ``DEFAULTS``: the lecture's 60-6-4, sigmoid units, online SGD in order, lrate 0.1, 50
    epochs.

    Parameters
    ----------
    train : sequence of path or ndarray, optional
        Training images: PNG, JPEG, ... files, the lecture's raw ``dbl_buf`` files
        (:func:`loopmlp.data.load_image`), or 2-D arrays of grey levels 0..255. Default:
        twelve photos bundled with scikit-image (:func:`loopmlp.data.sample_images`).
    test : path or ndarray, optional
        The image to reconstruct; required with ``train``. Default: scikit-image's
        ``chelsea``.
    max_blocks : int, optional
        Train on that many evenly spaced blocks only.
    hidden : int, sequence of int or str, optional
        Hidden widths, one per hidden layer: ``32``, ``(60, 60)`` or ``"60,60"``.
        Default 6.
    activation : {"sigmoid", "tanh", "relu"}, optional
        The hidden units. Default ``"sigmoid"``.
    lrate : float, optional
        The SGD learning rate, > 0. Default 0.1.
    epochs : int, optional
        Training epochs, >= 0; 0 only evaluates the ``load`` model. Default 50.
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
    validation_fraction : float, optional
        Hold out this share of the training rows, scored after every epoch (``val_loss``
        and, for classifiers, ``val_accuracy``), as Keras' ``validation_split``; in
        [0, 1). Default 0.
    backend : {"cython", "numba", "python", "numpy"}, default "cython"
        The estimator's kernels; python, numba and cython give the same bits.
    seed : int, default 0
        The estimator's ``random_state`` (initial weights, shuffling) and the validation
        split.
    out : path, optional
        A folder for the artifacts, created if needed: original.png, holes.png,
        bilinear.png, reconstructed.png, error.png, history.png, metrics.json, model.pkl.
        None (the default) writes none.
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
        ``results``: ``holes_mse``, ``bilinear_mse``, ``network_mse`` (whole test image,
        grey levels squared), ``test_block_mse`` (0..1 scale), ``epoch_mse``, ...

    Raises
    ------
    ExperimentError
        Bad settings, a missing or unreadable file, a ``load`` model that does not fit
        the experiment's net, or training that diverged.

    Examples
    --------
    >>> from loopmlp.experiments import pixels
    >>> r = pixels.run(epochs=5)
    >>> bool(r.results["network_mse"] < r.results["holes_mse"])
    True
    """
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
    X, Y, test_img, train_names, test_name = load_blocks(train, test, max_blocks)
    X_tst, Y_tst = data.parse_img(test_img)
    est, s = prepare(
        "pixels",
        "regressor",
        DEFAULTS,
        given,
        n_in=data.NUM_INP_NODES,
        n_out=data.NUM_OUT_NODES,
        backend=backend,
        seed=seed,
        load=load,
        out_activation="sigmoid",
    )
    n_all = len(X)
    X, Y, validation_data = split_validation(X, Y, s["validation_fraction"], seed, False)
    t_data = time.perf_counter() - t0

    sizes = (data.NUM_INP_NODES, *s["hidden"], data.NUM_OUT_NODES)
    settings = {
        "command": "pixels",
        "backend": backend,
        "seed": seed,
        **s,
        "hidden": list(s["hidden"]),
        "net": list(sizes),
        "total_epochs": s["prior_epochs"] + s["epochs"],
        "max_blocks": max_blocks,
        "train_images": train_names,
        "save_best": None if save_best is None else str(save_best),
        "monitor": monitor,
    }
    n_val = 0 if validation_data is None else len(validation_data[0])
    say(
        f"pixels: {net_name(sizes)} net ({s['activation']} hidden, sigmoid outputs), backend "
        f"{backend}, seed {seed}, lrate {s['lrate']}, batch size {s['batch_size']}, "
        f"{s['epochs']} epochs on {len(X)} blocks from {len(train_names)} image(s)"
        + (f", {n_val} validation blocks" if n_val else "")
        + f"; test {test_name}"
    )

    history, t_train, best = _train(
        est, X, Y, settings, validation_data, save_best, monitor, progress, verbose, log
    )

    t2 = time.perf_counter()
    Y_hat = est.predict(X_tst).reshape(len(X_tst), data.NUM_OUT_NODES)
    t_pred = time.perf_counter() - t2
    rec = data.reconstruct(test_img, Y_hat)
    holes = data.with_holes(test_img)
    bilin = data.bilinear_fill(test_img)
    slide = SLIDE_NETWORK_MSE.get(tuple(s["hidden"]))
    results = {
        "n_train_blocks": int(len(X)),
        "n_val_blocks": int(n_val),
        "n_blocks": int(n_all),
        "n_test_blocks": int(len(X_tst)),
        "test_image": test_name,
        "test_shape": list(test_img.shape),
        "holes_mse": data.mse(holes, test_img),
        "bilinear_mse": data.mse(bilin, test_img),
        "network_mse": data.mse(rec, test_img),
        "test_block_mse": float(np.mean((Y_hat - Y_tst) ** 2)),
        "final_epoch_mse": history.history["loss"][-1] if history.epoch else None,
        "epoch_mse": history.history.get("loss", []),
        "slide_holes_mse": SLIDE_HOLES_MSE,
        "slide_network_mse": slide,
    }
    if best is not None:
        results["best"] = best
    result = ExperimentResult(
        "pixels",
        est,
        history.history,
        results,
        settings,
        {"data": t_data, "train": t_train, "predict": t_pred},
    )
    if best is not None:
        result.paths["best_model"] = save_best
    out = out_dir(out)
    if out is not None:
        err = np.abs(rec - test_img)
        for name, img in (
            ("original", test_img),
            ("holes", holes),
            ("bilinear", bilin),
            ("reconstructed", rec),
        ):
            result.paths[name] = _gray(out / f"{name}.png", img)
        result.paths["error"] = _gray(
            out / "error.png", err, vmax=max(1.0, float(err.max())), cmap="magma"
        )
    write_outputs(result, out, save, f"pixels {net_name(sizes)}, {backend}")
    result.summary = _summary(result, out, test_name, slide, t_train, t_pred, t_data)
    return result


def _train(est, X, Y, settings, validation_data, save_best, monitor, progress, verbose, log):
    from .training import train

    return train(
        est,
        X,
        Y,
        settings,
        validation_data=validation_data,
        save_best=save_best,
        monitor=monitor,
        meta={"command": "pixels"},
        progress=progress,
        verbose=verbose,
        log=log,
        desc="pixels",
    )


def _gray(path, img, **kw):
    from .plots import save_gray

    return save_gray(path, img, **kw)


def _summary(result, out, test_name, slide, t_train, t_pred, t_data) -> str:
    r = result.results
    lines = []
    if r["final_epoch_mse"] is not None:
        lines.append(f"Final epoch MSE (train, 0..1 scale) = {r['final_epoch_mse']:.6g}")
    if result.history.get("val_loss"):
        lines.append(f"Final validation MSE (0..1 scale) = {result.history['val_loss'][-1]:.6g}")
    where = "on the lecture's own photo"
    rows = [
        ("holes zeroed", r["holes_mse"], f"slide: {SLIDE_HOLES_MSE}, {where}"),
        ("bilinear fill", r["bilinear_mse"], None),
        (
            f"network {net_name(result.settings['net'])}",
            r["network_mse"],
            None if slide is None else f"slide: {slide}, {where}",
        ),
    ]
    width = max(18, *(len(name) + 1 for name, _, _ in rows))
    lines.append(f"Whole-image MSE on {test_name} (grey levels^2):")
    lines += [
        f"  {name:<{width}}{value:8.1f}" + (f"   ({note})" if note else "")
        for name, value, note in rows
    ]
    lines.append(f"Time: train {fmt_s(t_train)}, predict {fmt_s(t_pred)}, data {fmt_s(t_data)}")
    return "\n".join(lines + saved_lines(result, out))

"""Tests for loopmlp.experiments: the epoch driver, the checkpoint, model files, each run().

Claims: fit_epochs trains exactly as the estimator's own fit/partial_fit (same bits);
the history is what it says (val_loss is the loss's formula on held-out rows); a
checkpoint file holds the best epoch's model and predicts its bits, on any loop backend;
each experiment runs from Python, writes what it lists in ``paths``, and refuses bad
settings with ExperimentError (exit code 2) or BackendError (1).
"""

from __future__ import annotations

import io
import pickle
import subprocess
import sys

import numpy as np
import pytest
from experiment_data import smooth_image

from loopmlp import LoopMLPClassifier, LoopMLPRegressor, data
from loopmlp.experiments import (
    Checkpoint,
    ExperimentError,
    digits,
    fit_epochs,
    load_model,
    perceptron,
    pixels,
    save_model,
    xor,
)
from loopmlp.experiments.common import BackendError


def params(est):
    return est.net_.weights + est.net_.biases


def assert_same_model(a, b):
    for x, y in zip(params(a), params(b)):
        np.testing.assert_array_equal(x, y)
    assert a.loss_curve_ == b.loss_curve_


@pytest.fixture(scope="module")
def small_digits():
    X_trn, X_tst, y_trn, y_tst = data.digits_split(0)
    return X_trn[:240], y_trn[:240], X_tst, y_tst


@pytest.fixture(scope="module")
def blocks():
    parts = [data.parse_img(smooth_image(i)) for i in range(3)]
    return np.concatenate([x for x, _ in parts]), np.concatenate([y for _, y in parts])


def classifier(**kw):
    return LoopMLPClassifier((16,), random_state=0, **kw)


def regressor(**kw):
    return LoopMLPRegressor((6,), out_activation="sigmoid", random_state=0, **kw)


# --------------------------------------------------------------------------------------
# fit_epochs: the estimator's training, epoch by epoch
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_fit_epochs_is_the_estimators_own_training(kind, shuffle, small_digits, blocks):
    if kind == "classifier":
        X, y, *_ = small_digits
        make = classifier
    else:
        X, y = blocks
        make = regressor
    epochs = 7
    ref = make(shuffle=shuffle, max_iter=epochs, n_iter_no_change=np.inf)
    with pytest.warns(Warning):  # ConvergenceWarning: max_iter reached
        ref.fit(X, y)
    each = make(shuffle=shuffle)
    for _ in range(epochs):
        each.partial_fit(X, y, **({"classes": np.unique(y)} if kind == "classifier" else {}))
    # the per-epoch path (validation data) and, for the regressor, the warm-fit path
    per_epoch = make(shuffle=shuffle)
    h = fit_epochs(per_epoch, X, y, epochs, validation_data=(X[:20], y[:20]))
    fast = make(shuffle=shuffle)
    fit_epochs(fast, X, y, epochs, train_accuracy=False)
    for est in (each, per_epoch, fast):
        assert_same_model(est, ref)
    assert h.history["loss"] == ref.loss_curve_ and h.epoch == list(range(1, epochs + 1))


def test_fit_epochs_in_runs_of_100_continues_a_fitted_model(blocks):
    X, y = blocks
    a, b = regressor(), regressor()
    fit_epochs(a, X, y, 3)
    fit_epochs(a, X, y, 205)  # a run of 100, 100, then 5 epochs
    for _ in range(208):
        b.partial_fit(X, y)
    assert_same_model(a, b)
    assert a.max_iter == 200 and a.warm_start is False  # parameters restored


def test_history_measures(small_digits, blocks):
    from sklearn.metrics import log_loss, mean_squared_error

    X, y, X_val, y_val = small_digits
    est = classifier()
    h = fit_epochs(est, X, y, 2, validation_data=(X_val, y_val))
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert h.history["accuracy"][-1] == est.score(X, y)
    assert h.history["val_accuracy"][-1] == est.score(X_val, y_val)
    np.testing.assert_allclose(
        h.history["val_loss"][-1], log_loss(y_val, est.predict_proba(X_val)), rtol=1e-12
    )
    X, Y = blocks
    est = regressor()
    h = fit_epochs(est, X, Y, 2, validation_data=(X[:30], Y[:30]))
    assert set(h.history) == {"loss", "val_loss"}
    np.testing.assert_allclose(
        h.history["val_loss"][-1], mean_squared_error(Y[:30], est.predict(X[:30])), rtol=1e-12
    )


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_and_verbose_lines(blocks, capsys):
    X, Y = blocks
    tty = FakeTTY()
    lines = []
    fit_epochs(
        regressor(),
        X,
        Y,
        3,
        progress=True,
        stream=tty,
        verbose=True,
        log=lines.append,
        desc="pixels",
    )
    assert "pixels" in tty.getvalue() and "loss=" in tty.getvalue()
    assert lines[-1].startswith("Epoch 3 of 3\nEpoch MSE = ")
    fit_epochs(classifier(), X[:50], (Y[:50, 0] > 0.5).astype(int), 1, verbose=True)
    out = capsys.readouterr().out  # log defaults to print
    assert "Epoch 1 of 1\nEpoch loss = " in out and " - accuracy: " in out


def test_fit_epochs_refuses_and_reports(blocks):
    X, Y = blocks
    with pytest.raises(ExperimentError, match="epochs"):
        fit_epochs(regressor(), X, Y, -1)
    wild = LoopMLPRegressor((8,), learning_rate_init=10.0, random_state=0)
    with pytest.raises(ExperimentError, match="diverged"):
        fit_epochs(wild, X, 1e6 * Y, 3)
    assert fit_epochs(regressor(), X, Y, 0).history == {}


# --------------------------------------------------------------------------------------
# Checkpoint and model files
# --------------------------------------------------------------------------------------


def test_checkpoint_keeps_the_best_epoch_and_it_predicts_its_bits(small_digits, tmp_path):
    X, y, X_tst, _ = small_digits
    path = tmp_path / "best.pkl"
    lines = []
    check = Checkpoint(path, meta={"command": "test"}, log=lines.append)
    est = classifier()
    losses = [3.0, 1.0, 2.0, 0.5, 0.5, float("nan"), 0.7]  # best: epoch 4 (ties, NaN lose)
    snapshots = []
    for epoch, loss in enumerate(losses, 1):
        est.partial_fit(X, y, classes=np.arange(10))
        snapshots.append(est.predict_proba(X_tst))
        check.on_epoch_end(epoch, {"loss": loss}, est)
    assert (check.best, check.best_epoch) == (0.5, 4) and len(lines) == 3
    assert lines[0] == f"Epoch 00001: loss improved from inf to 3.00000, saving model to {path}"
    best, meta = load_model(path)
    assert meta["best"] == {"epoch": 4, "monitor": "loss", "value": 0.5}
    assert meta["command"] == "test" and meta["total_epochs"] == 4
    np.testing.assert_array_equal(best.predict_proba(X_tst), snapshots[3])
    for backend in ("python", "cython"):  # the same bits on the other loop backends
        best.set_params(backend=backend)
        np.testing.assert_array_equal(best.predict_proba(X_tst[:40]), snapshots[3][:40])
    with pytest.raises(ExperimentError, match="val_loss"):
        Checkpoint(tmp_path / "v.pkl", monitor="val_loss").on_epoch_end(1, {"loss": 1.0}, est)


def test_saved_model_continues_like_the_original(blocks, tmp_path):
    X, Y = blocks
    est = regressor(shuffle=True)
    fit_epochs(est, X, Y, 2)
    save_model(tmp_path / "m.pkl", est, {"command": "pixels"})
    loaded, meta = load_model(tmp_path / "m.pkl")
    assert meta["command"] == "pixels" and "loopmlp_version" in meta
    fit_epochs(est, X, Y, 3)
    fit_epochs(loaded, X, Y, 3)  # the random stream was saved too
    assert_same_model(loaded, est)
    assert not (tmp_path / "m.pkl.tmp").exists()


def test_load_model_refuses_what_is_not_a_model(tmp_path):
    cases = {
        "empty.pkl": b"",
        "text.pkl": b"hello",
        "other.pkl": pickle.dumps({"format": "something else"}),
        "unfitted.pkl": pickle.dumps({"format": "loopmlp-model", "estimator": LoopMLPRegressor()}),
    }
    for name, blob in cases.items():
        (tmp_path / name).write_bytes(blob)
        with pytest.raises(ExperimentError, match="not a loopmlp model"):
            load_model(tmp_path / name)
    np.savez(tmp_path / "old.npz", wh=np.zeros((3, 2)))
    with pytest.raises(ExperimentError, match="npz"):
        load_model(tmp_path / "old.npz")


# --------------------------------------------------------------------------------------
# The experiments from Python
# --------------------------------------------------------------------------------------


def test_pixels_run_on_arrays(tmp_path):
    train = [smooth_image(i) for i in range(3)]
    test = smooth_image(10, (40, 44))
    r = pixels.run(
        train=train,
        test=test,
        epochs=10,
        lrate=0.5,
        hidden="6",
        out=tmp_path,
        save_best=tmp_path / "best.pkl",
    )
    assert r.command == "pixels" and isinstance(r.estimator, LoopMLPRegressor)
    assert r.results["network_mse"] < 0.25 * r.results["holes_mse"]
    assert r.settings["hidden"] == [6] and r.history["loss"] == r.results["epoch_mse"]
    for name in (
        "original",
        "holes",
        "bilinear",
        "reconstructed",
        "error",
        "history",
        "model",
        "metrics",
        "best_model",
    ):
        assert r.paths[name].exists(), name
    assert "Whole-image MSE" in r.summary and "Best model (epoch" in r.summary
    # no output folder: nothing written, the same model
    again = pixels.run(train=train, test=test, epochs=10, lrate=0.5, hidden=(6,))
    assert again.paths == {} and "best" not in again.results
    assert again.results == {k: v for k, v in r.results.items() if k != "best"}
    assert_same_model(again.estimator, r.estimator)


def test_digits_run_returns_history_report_and_model(tmp_path):
    r = digits.run(
        epochs=3,
        max_samples=400,
        hidden=(16,),
        activation="relu",
        lrate=0.05,
        init="scaled",
        batch_size=8,
        out=tmp_path / "dg",
    )
    assert isinstance(r.estimator, LoopMLPClassifier) and r.estimator.batch_size == 8
    assert set(r.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert r.results["n_train"] == 340 and r.results["n_val"] == 60
    assert r.results["accuracy"] == r.estimator.score(*data.digits_split(0)[1::2])
    assert "macro avg" in r.paths["report"].read_text()
    assert r.paths["confusion"].read_bytes()[:4] == b"\x89PNG"
    assert r.metrics()["results"]["accuracy"] == r.results["accuracy"]


def test_xor_and_perceptron_runs():
    r = xor.run(epochs=4000)
    assert r.results["learned"] and r.paths == {} and len(r.history["loss"]) == 4000
    assert r.summary.count("[INFO] data=") == 4
    p = perceptron.run("OR")
    assert p.results["learned"] and p.results["predictions"] == [0, 1, 1, 1]
    assert not perceptron.run("xor").results["learned"]
    with pytest.raises(ExperimentError, match="gate"):
        perceptron.run("nand")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"hidden": "0"}, "hidden"),
        ({"hidden": "6,x"}, "hidden"),
        ({"activation": "softmax"}, "activation"),
        ({"lrate": -1.0}, "lrate"),
        ({"batch_size": 0}, "batch_size"),
        ({"dtype": "float16"}, "dtype"),
        ({"epochs": 0}, "loaded model"),
        ({"backend": "fortran"}, "backend"),
    ],
)
def test_bad_settings_are_experiment_errors(kwargs, message):
    with pytest.raises(ExperimentError, match=message) as exc:
        xor.run(**kwargs)
    assert exc.value.exit_code == 2


def test_digits_bad_validation_fraction_and_loaded_classes(tmp_path):
    with pytest.raises(ExperimentError, match="validation_fraction"):
        digits.run(validation_fraction=1.0, epochs=1)
    X, y = data.digits_split(0)[::2]
    est = LoopMLPClassifier((4,), random_state=0).partial_fit(X, y % 3, classes=[0, 1, 2])
    save_model(tmp_path / "three.pkl", est, {"command": "test"})
    with pytest.raises(ExperimentError):  # 3 outputs: not the digits' net
        digits.run(load=tmp_path / "three.pkl", epochs=0)


def test_a_backend_that_cannot_load_is_exit_code_1(monkeypatch, capsys):
    from loopmlp import _backends
    from loopmlp.__main__ import main

    def broken(name):
        raise ImportError(f"backend {name!r} is not built")

    monkeypatch.setattr(_backends, "get_backend", broken)
    with pytest.raises(BackendError) as exc:
        xor.run(epochs=1)
    assert exc.value.exit_code == 1
    assert main(["xor", "--epochs", "1", "--no-out", "--backend", "cython"]) == 1
    assert "is not built" in capsys.readouterr().err


def test_importing_the_experiments_loads_no_heavy_modules():
    code = (
        "import sys; import loopmlp.experiments; "
        "from loopmlp.experiments import pixels, digits, xor, perceptron, common, "
        "training, plots; "
        "heavy = [m for m in ('matplotlib', 'sklearn', 'skimage', 'numba', 'tqdm') "
        "if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr

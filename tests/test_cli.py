"""Tests for the ``loopmlp`` command line (loopmlp.cli), run in-process on tiny settings.

The experiments' own functions are tested in tests/test_experiments.py; here, each command
end to end: its options, printed output, files and exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest
from experiment_data import write_fake_mnist, write_images

from loopmlp import data
from loopmlp.__main__ import main
from loopmlp.experiments import load_model


def run(args, capsys=None):
    """``main(args)``; returns ``(code, stdout)`` (stdout only with ``capsys``)."""
    code = main([str(a) for a in args])
    out = capsys.readouterr().out if capsys is not None else ""
    return code, out


def usage_error(args, capsys):
    """``main(args)`` must exit 2 through argparse; returns stderr."""
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    assert exc.value.code == 2
    return capsys.readouterr().err


def metrics(out_dir):
    return json.loads((out_dir / "metrics.json").read_text())


def model(path):
    """A saved model's ``(estimator, meta)``."""
    return load_model(path)


def params(est):
    """A trained net's weights and biases, in order."""
    return est.net_.weights + est.net_.biases


def is_png(path):
    import matplotlib.image

    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and matplotlib.image.imread(path).ndim == 3


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """Three dbl_buf training images and a PNG test image; returns the pixels arguments."""
    train, test = write_images(tmp_path_factory.mktemp("images"))
    return ["--train", *train, "--test", test]


PIXELS_FAST = ["--epochs", 15, "--lrate", 0.5, "-q"]


# --------------------------------------------------------------------------------------
# Parser, help and usage errors
# --------------------------------------------------------------------------------------


def test_help_lists_the_subcommands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    names = ["pixels", "digits", "xor", "perceptron"]
    positions = [out.index(f"    {name}") for name in names]
    assert positions == sorted(positions)
    if "    bench" in out:  # benchreport present: bench comes first
        assert out.index("    bench") < positions[0]


def test_digits_help_names_the_keras_options(capsys):
    with pytest.raises(SystemExit):
        main(["digits", "--help"])
    out = capsys.readouterr().out
    for option in (
        "--hidden",
        "--activation",
        "--batch-size",
        "--validation-fraction",
        "--save-best",
        "--monitor",
        "--shuffle",
        "--dtype",
        "--mnist",
    ):
        assert option in out
    assert "512 with --mnist" in out and "scaled with --mnist" in out


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["nosuch"],
        ["pixels", "--backend", "foo"],
        ["digits", "--epochs", "-1"],
        ["digits", "--epochs", "two"],
        ["xor", "--lrate", "0"],
        ["xor", "--lrate", "-0.5"],
        ["xor", "--lrate", "nan"],
        ["xor", "--hidden", "0"],
        ["pixels", "--hidden", "60,0"],
        ["pixels", "--hidden", "60,,60"],
        ["pixels", "--hidden", "a"],
        ["xor", "--seed", "-3"],
        ["pixels", "--max-blocks", "0"],
        ["digits", "--batch-size", "0"],
        ["digits", "--validation-fraction", "1"],
        ["digits", "--validation-fraction", "-0.1"],
        ["digits", "--activation", "softmax"],
        ["digits", "--monitor", "accuracy"],
        ["digits", "--dtype", "float16"],
        ["xor", "--validation-fraction", "0.1"],  # four points: no validation
        ["perceptron", "nand"],
        ["perceptron", "and", "--alpha", "0"],
    ],
)
def test_bad_arguments_exit_2(args, capsys):
    err = usage_error(args, capsys)
    assert "usage: loopmlp" in err and "error:" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (["xor", "--epochs", 0], "only evaluates a loaded model"),
        (
            ["xor", "--epochs", 5, "--save-best", "b.pkl", "--monitor", "val_loss"],
            "validation fraction > 0",
        ),
    ],
)
def test_unusable_settings_exit_2(args, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    err = usage_error([*args, "--no-out", "-q"], capsys)
    assert message in err


def test_python_m_loopmlp_bad_backend_exits_2():
    proc = subprocess.run(
        [sys.executable, "-m", "loopmlp", "xor", "--backend", "foo"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "invalid choice: 'foo'" in proc.stderr


def test_parser_and_help_import_no_heavy_modules():
    code = (
        "import sys; from loopmlp.cli import build_parser; build_parser(); "
        "heavy = [m for m in ('matplotlib', 'sklearn', 'skimage', 'numba', 'tqdm') "
        "if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --------------------------------------------------------------------------------------
# pixels
# --------------------------------------------------------------------------------------


def test_pixels_beats_the_holes_and_writes_artifacts(images, tmp_path, capsys):
    import matplotlib.image

    out = tmp_path / "px"
    code, stdout = run(["pixels", *images, *PIXELS_FAST, "--out", out], capsys)
    assert code == 0
    m = metrics(out)
    r = m["results"]
    assert r["network_mse"] < 0.25 * r["holes_mse"]
    assert r["n_train_blocks"] == 3 * 6 * 6 and r["n_test_blocks"] == 5 * 5
    assert len(r["epoch_mse"]) == 15 and r["epoch_mse"][-1] < r["epoch_mse"][0]
    assert m["history"]["loss"] == r["epoch_mse"] and "val_loss" not in m["history"]
    assert "slide: 1585.2" in stdout and "slide: 21.5" in stdout
    assert f"{r['network_mse']:.1f}" in stdout and f"{r['holes_mse']:.1f}" in stdout
    for name in ("original", "holes", "bilinear", "reconstructed", "error"):
        assert matplotlib.image.imread(out / f"{name}.png").shape[:2] == (40, 44)
    assert is_png(out / "history.png")
    est, meta = model(out / "model.pkl")
    assert type(est).__name__ == "LoopMLPRegressor" and est.out_activation == "sigmoid"
    assert list(est.net_.sizes) == [60, 6, 4] and est.coefs_[0].shape == (60, 6)
    assert meta["command"] == "pixels" and meta["net"] == [60, 6, 4]
    s = meta["settings"]
    assert s["lrate"] == 0.5 and s["epochs"] == 15 and s["backend"] == "cython"
    assert s["batch_size"] == 1 and s["shuffle"] is False and s["activation"] == "sigmoid"


def test_pixels_two_hidden_layers_with_validation(images, tmp_path, capsys):
    out = tmp_path / "px2"
    code, stdout = run(
        [
            "pixels",
            *images,
            "--hidden",
            "60,60",
            "--epochs",
            4,
            "--validation-fraction",
            0.25,
            "-q",
            "--out",
            out,
        ],
        capsys,
    )
    assert code == 0
    m = metrics(out)
    assert m["settings"]["net"] == [60, 60, 60, 4] and m["settings"]["hidden"] == [60, 60]
    assert m["results"]["n_train_blocks"] == 81 and m["results"]["n_val_blocks"] == 27
    assert len(m["history"]["val_loss"]) == 4
    assert "network 60-60-60-4" in stdout and "slide: 22.7" in stdout
    assert list(model(out / "model.pkl")[0].net_.sizes) == [60, 60, 60, 4]


def test_pixels_default_data_max_blocks(tmp_path, capsys):
    out = tmp_path / "px"
    code, stdout = run(["pixels", "--max-blocks", 1500, "--epochs", 3, "--out", out], capsys)
    assert code == 0
    r = metrics(out)["results"]
    assert r["n_train_blocks"] == 1500 and r["test_image"] == "skimage:chelsea"
    assert r["network_mse"] < 0.25 * r["holes_mse"]
    assert "Whole-image MSE" in stdout and "pixels: 60-6-4 net" in stdout


def test_pixels_input_errors(images, tmp_path, capsys):
    assert "needs --test" in usage_error(["pixels", "--train", images[1], "--no-out"], capsys)
    err = usage_error(
        ["pixels", "--train", tmp_path / "none.png", "--test", images[-1], "--no-out"], capsys
    )
    assert "not found" in err
    tiny = tmp_path / "tiny dbl_buf"
    data.write_dbl_buf(tiny, np.zeros((4, 4)))
    err = usage_error(["pixels", "--train", tiny, "--test", images[-1], "--no-out"], capsys)
    assert "8x8" in err


# --------------------------------------------------------------------------------------
# digits
# --------------------------------------------------------------------------------------


def test_digits_short_run(tmp_path, capsys):
    out = tmp_path / "dg"
    code, stdout = run(["digits", "--epochs", 8, "--out", out], capsys)
    assert code == 0
    m = metrics(out)
    r = m["results"]
    assert r["accuracy"] > 0.9 and r["n_test"] == 450
    assert r["n_train"] + r["n_val"] == 1347 and r["n_val"] == 203  # 0.15 held out
    assert np.sum(r["confusion_matrix"]) == 450
    assert set(m["history"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 8 for v in m["history"].values())
    assert "Classification Report" in stdout and "precision" in stdout
    assert f"Test accuracy = {r['accuracy']:.4f}" in stdout
    report = (out / "report.txt").read_text()
    assert "precision" in report and "macro avg" in report and "450" in report
    assert r["classification_report_text"] in report and r["classification_report_text"] in stdout
    assert is_png(out / "confusion.png") and is_png(out / "history.png")
    est, _ = model(out / "model.pkl")
    assert list(est.net_.sizes) == [64, 32, 10] and est.out_activation_ == "softmax"
    assert list(est.classes_) == list(range(10))


def test_digits_keras_options(tmp_path, capsys):
    out = tmp_path / "dg"
    code, stdout = run(
        [
            "digits",
            "--epochs",
            3,
            "--hidden",
            "16,8",
            "--activation",
            "relu",
            "--batch-size",
            16,
            "--lrate",
            0.05,
            "--init",
            "scaled",
            "--validation-fraction",
            0.3,
            "--shuffle",
            "--dtype",
            "float32",
            "-v",
            "--out",
            out,
        ],
        capsys,
    )
    assert code == 0
    s = metrics(out)["settings"]
    assert (
        s["hidden"],
        s["activation"],
        s["batch_size"],
        s["lrate"],
        s["init"],
        s["shuffle"],
        s["dtype"],
    ) == ([16, 8], "relu", 16, 0.05, "scaled", True, "float32")
    assert metrics(out)["results"]["n_val"] == 405
    est, _ = model(out / "model.pkl")
    assert list(est.net_.sizes) == [64, 16, 8, 10] and est.net_.dtype == np.float32
    assert "Epoch 3 of 3" in stdout and stdout.count("Epoch loss = ") == 3
    assert "val_accuracy: " in stdout


def test_digits_mnist_on_fake_idx_files(tmp_path, capsys):
    mnist = write_fake_mnist(tmp_path / "mnist")
    out = tmp_path / "mn"
    code, stdout = run(
        [
            "digits",
            "--mnist",
            mnist,
            "--hidden",
            16,
            "--epochs",
            30,
            "--lrate",
            0.5,
            "--validation-fraction",
            0,
            "-q",
            "--out",
            out,
        ],
        capsys,
    )
    assert code == 0
    r = metrics(out)["results"]
    assert r["dataset"] == "mnist" and r["n_train"] == 60 and r["n_test"] == 20
    assert r["accuracy"] >= 0.8
    assert list(model(out / "model.pkl")[0].net_.sizes) == [784, 16, 10]
    # the MNIST default is the lecture's 784-512-10, from weights scaled by 1/sqrt(fan-in);
    # 10 samples with 0.15 held out: fewer than the classes, so the split is unstratified
    out2 = tmp_path / "mn2"
    code, _ = run(
        ["digits", "--mnist", mnist, "--epochs", 1, "--max-samples", 10, "-q", "--out", out2],
        capsys,
    )
    est, meta = model(out2 / "model.pkl")
    assert code == 0 and meta["net"] == [784, 512, 10] and est.init == "scaled"
    assert metrics(out2)["results"]["n_val"] == 2


def test_digits_mnist_missing_dir_exits_2(tmp_path, capsys):
    err = usage_error(["digits", "--mnist", tmp_path, "--no-out"], capsys)
    assert "train-images-idx3-ubyte" in err


# --------------------------------------------------------------------------------------
# xor and perceptron
# --------------------------------------------------------------------------------------


def test_xor_mlp_learns_with_the_defaults(tmp_path, capsys):
    out = tmp_path / "xor"
    code, stdout = run(["xor", "--out", out], capsys)
    assert code == 0
    r = metrics(out)["results"]
    assert r["learned"] and r["steps"] == [0, 1, 1, 0] and len(r["epoch_mse"]) == 4000
    lines = re.findall(
        r"\[INFO\] data=\[(\d) (\d)\], ground-truth=(\d), pred=(\d\.\d{4}), "
        r"step=(\d)",
        stdout,
    )
    assert len(lines) == 4
    for a, b, truth, pred, step in lines:
        assert int(truth) == (int(a) ^ int(b)) == int(step)
        assert abs(float(pred) - int(truth)) < 0.1
    assert "data=[0 1], ground-truth=1, pred=" in stdout
    assert "XOR learned" in stdout and "xor: 2-3-1 net" in stdout


def test_xor_verbose_prints_the_lecture_lines(capsys):
    code, stdout = run(["xor", "--epochs", 3, "-v", "--no-out"], capsys)
    assert code == 0
    assert "Epoch 3 of 3" in stdout and stdout.count("Epoch MSE = ") == 3
    code, stdout = run(["xor", "--epochs", 3, "-v", "-q", "--no-out"], capsys)
    assert "Epoch MSE" not in stdout and "xor: 2-3-1" not in stdout and "[INFO]" in stdout


@pytest.mark.parametrize("gate, learned", [("and", True), ("or", True), ("xor", False)])
def test_perceptron_gates(gate, learned, capsys):
    code, stdout = run(["perceptron", gate], capsys)
    assert code == 0
    preds = [int(p) for p in re.findall(r"pred=(\d)", stdout)]
    truth = [int(t) for t in re.findall(r"ground-truth=(\d)", stdout)]
    assert len(preds) == 4
    assert (preds == truth) is learned
    assert ("did NOT learn" in stdout) is (not learned)
    assert stdout.startswith("[INFO] training perceptron...\n[INFO] testing perceptron...")


# --------------------------------------------------------------------------------------
# --save / --load / --save-best
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cmd, key",
    [
        (["xor", "--epochs", 300], "predictions"),
        (["digits", "--epochs", 3, "--max-samples", 200], "test_predictions"),
    ],
)
def test_save_then_load_gives_identical_predictions(cmd, key, tmp_path, capsys):
    path = tmp_path / "m.pkl"
    assert run([*cmd, "-q", "--out", tmp_path / "a", "--save", path], capsys)[0] == 0
    saved, meta = model(path)
    assert meta["command"] == cmd[0] and meta["total_epochs"] == cmd[2]
    assert meta["settings"]["seed"] == 0 and meta["settings"]["backend"] == "cython"
    assert (
        run([cmd[0], "-q", "--load", path, "--epochs", 0, "--out", tmp_path / "b"], capsys)[0] == 0
    )
    a, b = metrics(tmp_path / "a")["results"], metrics(tmp_path / "b")["results"]
    assert a[key] == b[key]
    assert metrics(tmp_path / "b")["settings"]["loaded_from"] == str(path)
    for x, y in zip(params(saved), params(model(tmp_path / "b" / "model.pkl")[0])):
        np.testing.assert_array_equal(x, y)


def test_pixels_save_then_load(images, tmp_path, capsys):
    path = tmp_path / "px.pkl"
    run(["pixels", *images, *PIXELS_FAST, "--out", tmp_path / "a", "--save", path], capsys)
    run(["pixels", *images, "-q", "--load", path, "--epochs", 0, "--out", tmp_path / "b"], capsys)
    a, b = metrics(tmp_path / "a")["results"], metrics(tmp_path / "b")["results"]
    assert a["network_mse"] == b["network_mse"] and b["epoch_mse"] == []


@pytest.mark.parametrize("shuffle", [[], ["--shuffle"]])
def test_load_then_train_continues_bit_identically(shuffle, tmp_path, capsys):
    path = tmp_path / "m.pkl"
    run(["xor", "-q", "--epochs", 200, *shuffle, "--no-out", "--save", path], capsys)
    run(["xor", "-q", "--epochs", 150, "--load", path, "--out", tmp_path / "cont"], capsys)
    run(["xor", "-q", "--epochs", 350, *shuffle, "--out", tmp_path / "fresh"], capsys)
    cont, meta = model(tmp_path / "cont" / "model.pkl")
    fresh, _ = model(tmp_path / "fresh" / "model.pkl")
    assert cont.shuffle is bool(shuffle)  # a loaded model keeps its training settings
    for x, y in zip(params(cont), params(fresh)):
        np.testing.assert_array_equal(x, y)
    assert meta["total_epochs"] == 350 and cont.loss_curve_ == fresh.loss_curve_


def test_save_best_keeps_the_lowest_loss_and_loads(tmp_path, capsys):
    best = tmp_path / "best.pkl"
    code, stdout = run(
        [
            "digits",
            "--epochs",
            5,
            "--max-samples",
            300,
            "-v",
            "--save-best",
            best,
            "--out",
            tmp_path / "a",
        ],
        capsys,
    )
    assert code == 0
    m = metrics(tmp_path / "a")
    losses = m["history"]["loss"]
    k = int(np.argmin(losses)) + 1
    est, meta = model(best)
    assert meta["best"] == {"epoch": k, "monitor": "loss", "value": min(losses)}
    assert meta["total_epochs"] == k and len(est.loss_curve_) == k
    assert f"Best model (epoch {k}, loss" in stdout
    assert re.search(r"Epoch 00001: loss improved from inf to \d\.\d{5}, saving model to", stdout)
    # the loaded best model evaluates as it was saved (here: the last epoch's, the same bits)
    assert k == 5
    run(
        [
            "digits",
            "-q",
            "--load",
            best,
            "--epochs",
            0,
            "--max-samples",
            300,
            "--out",
            tmp_path / "b",
        ],
        capsys,
    )
    assert (
        metrics(tmp_path / "b")["results"]["test_predictions"] == m["results"]["test_predictions"]
    )


def test_save_best_on_val_loss(images, tmp_path, capsys):
    best = tmp_path / "best.pkl"
    code, _ = run(
        [
            "pixels",
            *images,
            *PIXELS_FAST,
            "--validation-fraction",
            0.2,
            "--save-best",
            best,
            "--monitor",
            "val_loss",
            "--no-out",
        ],
        capsys,
    )
    assert code == 0
    _, meta = model(best)
    assert meta["best"]["monitor"] == "val_loss" and 1 <= meta["best"]["epoch"] <= 15


def test_load_errors_exit_2(tmp_path, capsys):
    path = tmp_path / "xor.pkl"
    run(["xor", "-q", "--epochs", 10, "--no-out", "--save", path], capsys)
    err = usage_error(["digits", "--load", path, "--epochs", 0, "--no-out"], capsys)
    assert "2-3-1" in err and "64-H-10" in err and "loopmlp xor" in err
    err = usage_error(["xor", "--load", path, "--hidden", 5, "--epochs", 0, "--no-out"], capsys)
    assert "2-5-1" in err
    err = usage_error(["xor", "--load", path, "--activation", "relu", "--no-out"], capsys)
    assert "keeps its activation" in err
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    assert "not a loopmlp model" in usage_error(["xor", "--load", other, "--no-out"], capsys)
    junk = tmp_path / "junk.pkl"
    junk.write_bytes(b"definitely not a pickle")
    assert "not a loopmlp model" in usage_error(["xor", "--load", junk, "--no-out"], capsys)
    assert "not found" in usage_error(["xor", "--load", tmp_path / "nope.pkl", "--no-out"], capsys)
    # the loader itself, for library users
    est, meta = load_model(path)
    assert est.coefs_[0].shape == (2, 3) and meta["net"] == [2, 3, 1]


# --------------------------------------------------------------------------------------
# Output directory
# --------------------------------------------------------------------------------------


def test_default_out_dir_and_no_out(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run(["xor", "-q", "--epochs", 5, "--no-out"], capsys)
    assert not (tmp_path / "loopmlp-out").exists()
    run(["xor", "-q", "--epochs", 5], capsys)
    for name in ("metrics.json", "history.png", "model.pkl"):
        assert (tmp_path / "loopmlp-out" / "xor" / name).is_file()


# --------------------------------------------------------------------------------------
# Same seed, different backends
# --------------------------------------------------------------------------------------


def _run_backend(cmd, backend, out, capsys):
    assert run([*cmd, "-q", "--backend", backend, "--seed", 3, "--out", out], capsys)[0] == 0
    return metrics(out), model(out / "model.pkl")[0]


@pytest.mark.parametrize(
    "cmd",
    [
        ["digits", "--epochs", 3, "--max-samples", 300],
        ["pixels", "IMAGES", "--epochs", 4, "--hidden", "6,5", "--shuffle"],
        ["xor", "--epochs", 200],
    ],
)
def test_backends_agree_for_the_same_seed(cmd, images, tmp_path, capsys):
    if "IMAGES" in cmd:
        i = cmd.index("IMAGES")
        cmd = [*cmd[:i], *images, *cmd[i + 1 :]]
    loops = ["numba", "cython"] + (["python"] if cmd[0] == "xor" else [])
    ref_m, ref_est = _run_backend(cmd, loops[0], tmp_path / loops[0], capsys)
    for backend in loops[1:]:  # the loop backends: bit-identical
        m, est = _run_backend(cmd, backend, tmp_path / backend, capsys)
        assert m["results"] == ref_m["results"] and m["history"] == ref_m["history"]
        assert m["settings"] == {**ref_m["settings"], "backend": backend}
        for x, y in zip(params(est), params(ref_est)):
            np.testing.assert_array_equal(x, y)
    m, est = _run_backend(cmd, "numpy", tmp_path / "numpy", capsys)  # within tolerance
    for x, y in zip(params(est), params(ref_est)):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-9)
    np.testing.assert_allclose(m["history"]["loss"], ref_m["history"]["loss"], rtol=1e-9, atol=0)
    for key in ("accuracy", "network_mse", "holes_mse", "steps"):
        if key in m["results"]:
            np.testing.assert_allclose(m["results"][key], ref_m["results"][key], rtol=1e-9, atol=0)

"""Tests for the ``loopmlp`` command line (loopmlp.cli), run in-process on tiny settings."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys

import numpy as np
import pytest

import loopmlp
from loopmlp import data
from loopmlp.__main__ import main
from loopmlp.cli import load_model, train_network


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


def npz(path):
    with np.load(path, allow_pickle=False) as z:
        return {key: z[key] for key in z.files}


# --------------------------------------------------------------------------------------
# Small synthetic images for `pixels`
# --------------------------------------------------------------------------------------


def smooth_image(seed, shape=(48, 48)):
    """A smooth random grey image in 20..235 (sums of low-frequency waves)."""
    rng = np.random.default_rng(seed)
    r, c = np.mgrid[0 : shape[0], 0 : shape[1]] / 8.0
    img = np.zeros(shape)
    for _ in range(4):
        fr, fc, ph = rng.uniform(0.05, 0.6), rng.uniform(0.05, 0.6), rng.uniform(0, 6.3)
        img += rng.uniform(0.5, 1.0) * np.sin(fr * r + fc * c + ph)
    img = (img - img.min()) / (img.max() - img.min())
    return np.rint(20 + 215 * img)


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """Three dbl_buf training images and a PNG test image; returns the pixels arguments."""
    import imageio.v3 as iio

    d = tmp_path_factory.mktemp("images")
    train = []
    for i in range(3):
        path = d / f"train{i} dbl_buf"
        data.write_dbl_buf(path, smooth_image(i))
        train.append(path)
    test = d / "test.png"
    iio.imwrite(test, smooth_image(10, (40, 44)).astype(np.uint8))
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


@pytest.mark.parametrize("args", [
    [],
    ["nosuch"],
    ["pixels", "--backend", "foo"],
    ["digits", "--epochs", "-1"],
    ["digits", "--epochs", "two"],
    ["xor", "--lrate", "0"],
    ["xor", "--lrate", "-0.5"],
    ["xor", "--lrate", "nan"],
    ["xor", "--hidden", "0"],
    ["xor", "--seed", "-3"],
    ["pixels", "--max-blocks", "0"],
    ["perceptron", "nand"],
    ["perceptron", "and", "--alpha", "0"],
])
def test_bad_arguments_exit_2(args, capsys):
    err = usage_error(args, capsys)
    assert "usage: loopmlp" in err and "error:" in err


def test_python_m_loopmlp_bad_backend_exits_2():
    proc = subprocess.run([sys.executable, "-m", "loopmlp", "xor", "--backend", "foo"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "invalid choice: 'foo'" in proc.stderr


def test_parser_and_help_import_no_heavy_modules():
    code = ("import sys; from loopmlp.cli import build_parser; build_parser(); "
            "heavy = [m for m in ('matplotlib', 'sklearn', 'skimage', 'numba', 'tqdm') "
            "if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --------------------------------------------------------------------------------------
# The training driver: progress bar and verbose lines
# --------------------------------------------------------------------------------------


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def _xor_case():
    from loopmlp.workloads import XOR_X, XOR_Y

    return XOR_X, XOR_Y, list(loopmlp.init_weights(2, 3, 1, seed=0))


def test_train_network_bar_on_a_terminal_only(capsys):
    k = loopmlp.get_backend("numba")
    X, Y, w = _xor_case()
    tty = FakeTTY()
    mses = train_network(k, X, Y, w, 0.5, 30, desc="xor", stream=tty)
    assert mses.shape == (30,) and "mse=" in tty.getvalue() and "xor" in tty.getvalue()
    quiet = FakeTTY()
    train_network(k, X, Y, w, 0.5, 5, stream=quiet, quiet=True)
    pipe = io.StringIO()  # not a terminal: no bar
    train_network(k, X, Y, w, 0.5, 5, stream=pipe)
    assert quiet.getvalue() == "" and pipe.getvalue() == ""
    assert capsys.readouterr().out == ""


def test_train_network_matches_backend_train_and_prints_lecture_lines(capsys):
    k = loopmlp.get_backend("numba")
    X, Y, w = _xor_case()
    w2 = [a.copy() for a in w]
    mses = train_network(k, X, Y, w, 0.5, 3, verbose=True, stream=io.StringIO())
    np.testing.assert_array_equal(mses, k.train(X, Y, *w2, 0.5, 3))
    for a, b in zip(w, w2):
        np.testing.assert_array_equal(a, b)
    out = capsys.readouterr().out
    assert "Epoch 3 of 3" in out and out.count("Epoch MSE = ") == 3


# --------------------------------------------------------------------------------------
# pixels
# --------------------------------------------------------------------------------------


def test_pixels_beats_the_holes_and_writes_artifacts(images, tmp_path, capsys):
    import matplotlib.image

    out = tmp_path / "px"
    code, stdout = run(["pixels", *images, *PIXELS_FAST, "--out", out], capsys)
    assert code == 0
    r = metrics(out)["results"]
    assert r["network_mse"] < 0.25 * r["holes_mse"]
    assert r["n_train_blocks"] == 3 * 6 * 6 and r["n_test_blocks"] == 5 * 5
    assert len(r["epoch_mse"]) == 15 and r["epoch_mse"][-1] < r["epoch_mse"][0]
    assert "slide: 1585.2" in stdout and "slide: 21.5" in stdout
    assert f"{r['network_mse']:.1f}" in stdout and f"{r['holes_mse']:.1f}" in stdout
    for name in ("original", "holes", "bilinear", "reconstructed", "error"):
        assert matplotlib.image.imread(out / f"{name}.png").shape[:2] == (40, 44)
    assert matplotlib.image.imread(out / "loss.png").ndim == 3
    w = npz(out / "model.npz")
    assert w["wh"].shape == (6, 60) and w["bh"].shape == (6,)
    assert w["wo"].shape == (4, 6) and w["bo"].shape == (4,)
    meta = json.loads(str(w["meta"]))
    assert meta["command"] == "pixels" and meta["net"] == [60, 6, 4]
    assert meta["lrate"] == 0.5 and meta["epochs"] == 15 and meta["backend"] == "numba"


def test_pixels_default_data_max_blocks(tmp_path, capsys):
    out = tmp_path / "px"
    code, stdout = run(["pixels", "--max-blocks", 1500, "--epochs", 3, "--out", out], capsys)
    assert code == 0
    r = metrics(out)["results"]
    assert r["n_train_blocks"] == 1500 and r["test_image"] == "skimage:chelsea"
    assert r["network_mse"] < 0.25 * r["holes_mse"]
    assert "Whole-image MSE" in stdout


def test_pixels_input_errors(images, tmp_path, capsys):
    assert "needs --test" in usage_error(["pixels", "--train", images[1], "--no-out"], capsys)
    err = usage_error(["pixels", "--train", tmp_path / "none.png", "--test", images[-1],
                       "--no-out"], capsys)
    assert "not found" in err
    tiny = tmp_path / "tiny dbl_buf"
    data.write_dbl_buf(tiny, np.zeros((4, 4)))
    err = usage_error(["pixels", "--train", tiny, "--test", images[-1], "--no-out"], capsys)
    assert "8x8" in err


# --------------------------------------------------------------------------------------
# digits
# --------------------------------------------------------------------------------------


def test_digits_short_run(tmp_path, capsys):
    import matplotlib.image

    out = tmp_path / "dg"
    code, stdout = run(["digits", "--epochs", 8, "--out", out], capsys)
    assert code == 0
    r = metrics(out)["results"]
    assert r["accuracy"] > 0.8 and r["n_train"] == 1347 and r["n_test"] == 450
    assert np.sum(r["confusion_matrix"]) == 450
    assert "precision" in stdout and f"Test accuracy = {r['accuracy']:.4f}" in stdout
    assert matplotlib.image.imread(out / "confusion.png").ndim == 3
    assert npz(out / "model.npz")["wh"].shape == (32, 64)


def write_fake_mnist(directory, n_train=60, n_test=20, seed=0):
    """Four IDX files of 28x28 'digits': class c is a bright bar at rows 2c..2c+3, plus noise."""
    rng = np.random.default_rng(seed)
    directory.mkdir()
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = (np.arange(n) % 10).astype(np.uint8)
        images = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
        for i, c in enumerate(labels):
            images[i, 2 * c + 2 : 2 * c + 6, 4:24] = 255
        data.write_idx(directory / f"{prefix}-images-idx3-ubyte.gz", images)
        data.write_idx(directory / f"{prefix}-labels-idx1-ubyte", labels)
    return directory


def test_digits_mnist_on_fake_idx_files(tmp_path, capsys):
    mnist = write_fake_mnist(tmp_path / "mnist")
    out = tmp_path / "mn"
    code, stdout = run(["digits", "--mnist", mnist, "--hidden", 16, "--epochs", 30,
                        "--lrate", 0.5, "--out", out], capsys)
    assert code == 0
    r = metrics(out)["results"]
    assert r["dataset"] == "mnist" and r["n_train"] == 60 and r["n_test"] == 20
    assert r["accuracy"] >= 0.8
    assert npz(out / "model.npz")["wh"].shape == (16, 784)
    # the MNIST default is the lecture's 784-512-10
    out2 = tmp_path / "mn2"
    code, _ = run(["digits", "--mnist", mnist, "--epochs", 1, "--max-samples", 10, "-q",
                   "--out", out2], capsys)
    meta = json.loads(str(npz(out2 / "model.npz")["meta"]))
    assert code == 0 and meta["net"] == [784, 512, 10] and meta["init"] == "scaled"
    # 'scaled' is the lecture init divided by sqrt(fan-in)
    wh, bh, wo, bo = loopmlp.init_weights(784, 16, 10, seed=0)
    run(["digits", "--mnist", mnist, "--hidden", 16, "--epochs", 0, "-q", "--out", out2], capsys)
    w = npz(out2 / "model.npz")
    np.testing.assert_array_equal(w["wh"], wh / np.sqrt(784))
    np.testing.assert_array_equal(w["wo"], wo / np.sqrt(16))


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
    assert r["learned"] and r["steps"] == [0, 1, 1, 0]
    lines = re.findall(r"\[INFO\] data=\[(\d) (\d)\], ground-truth=(\d), pred=(\d\.\d{4}), "
                       r"step=(\d)", stdout)
    assert len(lines) == 4
    for a, b, truth, pred, step in lines:
        assert int(truth) == (int(a) ^ int(b)) == int(step)
        assert abs(float(pred) - int(truth)) < 0.1
    assert "data=[0 1], ground-truth=1, pred=" in stdout
    assert "XOR learned" in stdout


@pytest.mark.parametrize("gate, learned", [("and", True), ("or", True), ("xor", False)])
def test_perceptron_gates(gate, learned, capsys):
    code, stdout = run(["perceptron", gate], capsys)
    assert code == 0
    preds = [int(p) for p in re.findall(r"pred=(\d)", stdout)]
    truth = [int(t) for t in re.findall(r"ground-truth=(\d)", stdout)]
    assert len(preds) == 4
    assert (preds == truth) is learned
    assert ("did NOT learn" in stdout) is (not learned)


# --------------------------------------------------------------------------------------
# --save / --load
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("cmd, key", [
    (["xor", "--epochs", 300], "predictions"),
    (["digits", "--epochs", 3, "--max-samples", 200], "test_predictions"),
])
def test_save_then_load_gives_identical_predictions(cmd, key, tmp_path, capsys):
    model = tmp_path / "m.npz"
    assert run([*cmd, "-q", "--out", tmp_path / "a", "--save", model], capsys)[0] == 0
    saved = npz(model)
    assert {"wh", "bh", "wo", "bo", "meta"} <= set(saved)
    meta = json.loads(str(saved["meta"]))
    assert meta["format"] == "loopmlp-model" and meta["command"] == cmd[0]
    assert meta["seed"] == 0 and meta["backend"] == "numba"
    assert run([cmd[0], "-q", "--load", model, "--epochs", 0, "--out", tmp_path / "b"],
               capsys)[0] == 0
    a, b = metrics(tmp_path / "a")["results"], metrics(tmp_path / "b")["results"]
    assert a[key] == b[key]
    for name in ("wh", "bh", "wo", "bo"):
        np.testing.assert_array_equal(saved[name], npz(tmp_path / "b" / "model.npz")[name])


def test_pixels_save_then_load(images, tmp_path, capsys):
    model = tmp_path / "px.npz"
    run(["pixels", *images, *PIXELS_FAST, "--out", tmp_path / "a", "--save", model], capsys)
    run(["pixels", *images, "-q", "--load", model, "--epochs", 0, "--out", tmp_path / "b"],
        capsys)
    a, b = metrics(tmp_path / "a")["results"], metrics(tmp_path / "b")["results"]
    assert a["network_mse"] == b["network_mse"] and b["epoch_mse"] == []


def test_load_then_train_continues_bit_identically(tmp_path, capsys):
    model = tmp_path / "m.npz"
    run(["xor", "-q", "--epochs", 200, "--no-out", "--save", model], capsys)
    run(["xor", "-q", "--epochs", 150, "--load", model, "--out", tmp_path / "cont"], capsys)
    run(["xor", "-q", "--epochs", 350, "--out", tmp_path / "fresh"], capsys)
    cont, fresh = npz(tmp_path / "cont" / "model.npz"), npz(tmp_path / "fresh" / "model.npz")
    for name in ("wh", "bh", "wo", "bo"):
        np.testing.assert_array_equal(cont[name], fresh[name])
    assert json.loads(str(cont["meta"]))["total_epochs"] == 350


def test_load_errors_exit_2(tmp_path, capsys):
    model = tmp_path / "xor.npz"
    run(["xor", "-q", "--epochs", 10, "--no-out", "--save", model], capsys)
    err = usage_error(["digits", "--load", model, "--epochs", 0, "--no-out"], capsys)
    assert "2-3-1" in err and "64-H-10" in err and "loopmlp xor" in err
    err = usage_error(["xor", "--load", model, "--hidden", 5, "--epochs", 0, "--no-out"],
                      capsys)
    assert "2-5-1" in err
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    assert "not a loopmlp model" in usage_error(["xor", "--load", other, "--no-out"], capsys)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"definitely not a zip file")
    assert "not a loopmlp model" in usage_error(["xor", "--load", junk, "--no-out"], capsys)
    assert "not found" in usage_error(["xor", "--load", tmp_path / "nope.npz", "--no-out"],
                                      capsys)
    # the loader itself, for library users
    weights, meta = load_model(model, "xor", 2, 1)
    assert weights[0].shape == (3, 2) and meta["net"] == [2, 3, 1]


# --------------------------------------------------------------------------------------
# Output directory
# --------------------------------------------------------------------------------------


def test_default_out_dir_and_no_out(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    run(["xor", "-q", "--epochs", 5, "--no-out"], capsys)
    assert not (tmp_path / "loopmlp-out").exists()
    run(["xor", "-q", "--epochs", 5], capsys)
    assert (tmp_path / "loopmlp-out" / "xor" / "metrics.json").is_file()
    assert (tmp_path / "loopmlp-out" / "xor" / "loss.png").is_file()


# --------------------------------------------------------------------------------------
# Same seed, different backends
# --------------------------------------------------------------------------------------


def _run_backend(cmd, backend, out, capsys):
    assert run([*cmd, "-q", "--backend", backend, "--seed", 3, "--out", out], capsys)[0] == 0
    return metrics(out), npz(out / "model.npz")


@pytest.mark.parametrize("cmd", [
    ["digits", "--epochs", 3, "--max-samples", 300],
    ["pixels", "IMAGES", "--epochs", 4],
    ["xor", "--epochs", 200],
])
def test_backends_agree_for_the_same_seed(cmd, images, tmp_path, capsys):
    if "IMAGES" in cmd:
        i = cmd.index("IMAGES")
        cmd = [*cmd[:i], *images, *cmd[i + 1:]]
    loops = ["numba", "cython"] + (["python"] if cmd[0] == "xor" else [])
    ref_m, ref_w = _run_backend(cmd, loops[0], tmp_path / loops[0], capsys)
    for backend in loops[1:]:  # the loop backends: bit-identical
        m, w = _run_backend(cmd, backend, tmp_path / backend, capsys)
        assert m["results"] == ref_m["results"]
        assert m["settings"] == {**ref_m["settings"], "backend": backend}
        for name in ("wh", "bh", "wo", "bo"):
            np.testing.assert_array_equal(w[name], ref_w[name])
    m, w = _run_backend(cmd, "numpy", tmp_path / "numpy", capsys)  # within tolerance
    for name in ("wh", "bh", "wo", "bo"):
        np.testing.assert_allclose(w[name], ref_w[name], rtol=0, atol=1e-9)
    np.testing.assert_allclose(m["results"]["epoch_mse"], ref_m["results"]["epoch_mse"],
                               rtol=1e-9, atol=0)
    for key in ("accuracy", "network_mse", "holes_mse", "steps"):
        if key in m["results"]:
            np.testing.assert_allclose(m["results"][key], ref_m["results"][key],
                                       rtol=1e-9, atol=0)

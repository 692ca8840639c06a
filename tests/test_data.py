"""Tests for loopmlp.data: block handling, baselines, file formats and datasets.

Expected values are derived independently (the lecture's own loops re-typed here, file
layouts built byte by byte with ``struct``), never copied from the module's output.
"""

from __future__ import annotations

import gzip
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from loopmlp import data
from loopmlp.data import (
    BLOCK_SIZE,
    NUM_INP_NODES,
    NUM_OUT_NODES,
    bilinear_fill,
    digits_split,
    load_image,
    load_mnist,
    mse,
    one_hot,
    parse_img,
    read_dbl_buf,
    read_idx,
    reconstruct,
    sample_images,
    with_holes,
    write_dbl_buf,
    write_idx,
)

# -- helpers ---------------------------------------------------------------------------


def lecture_parse_img(img, inps, tgts):
    """The lecture's parse_img, verbatim (week 7, "DIY code for missing pixels")."""
    num_rows = img.shape[0]
    num_cols = img.shape[1]

    inp = np.zeros(NUM_INP_NODES)
    tgt = np.zeros(NUM_OUT_NODES)

    for r0 in range(0, num_rows, BLOCK_SIZE):
        for c0 in range(0, num_cols, BLOCK_SIZE):
            pos1 = 0
            pos2 = 0
            for r in range(BLOCK_SIZE):
                for c in range(BLOCK_SIZE):
                    if r >= 3 and r <= 4 and c >= 3 and c <= 4:
                        tgt[pos1] = img[r0 + r, c0 + c]
                        pos1 += 1
                    else:
                        inp[pos2] = img[r0 + r, c0 + c]
                        pos2 += 1

            inps.append(inp.copy() / 255.0)
            tgts.append(tgt.copy() / 255.0)


def centre_mask(shape):
    """Boolean mask of the centre 2x2 of every full 8x8 block, built pixel by pixel."""
    mask = np.zeros(shape, dtype=bool)
    for r in range(shape[0] // 8 * 8):
        for c in range(shape[1] // 8 * 8):
            mask[r, c] = r % 8 in (3, 4) and c % 8 in (3, 4)
    return mask


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def noise_img(rng):
    return rng.integers(0, 256, size=(40, 56)).astype(np.float64)


# -- parse_img / reconstruct -----------------------------------------------------------


def test_constants():
    assert NUM_INP_NODES + NUM_OUT_NODES == BLOCK_SIZE * BLOCK_SIZE


def test_parse_img_matches_lecture_loop_bit_for_bit(noise_img):
    inps, tgts = [], []
    lecture_parse_img(noise_img, inps, tgts)
    X, Y = parse_img(noise_img)
    assert X.shape == (len(inps), NUM_INP_NODES) == (5 * 7, 60)
    assert Y.shape == (len(tgts), NUM_OUT_NODES)
    np.testing.assert_array_equal(X, np.array(inps))
    np.testing.assert_array_equal(Y, np.array(tgts))
    for a in (X, Y):
        assert a.dtype == np.float64 and a.flags.c_contiguous


def test_parse_img_block_and_pixel_order():
    # pixel value encodes its position, so we can check where every value ended up
    img = np.arange(16 * 24, dtype=np.float64).reshape(16, 24)
    X, Y = parse_img(img)
    # block 4 = second block row (r0 = 8), second block column (c0 = 8)
    k, r0, c0 = 4, 8, 8
    expected_tgt = [img[r0 + dr, c0 + dc] for dr, dc in ((3, 3), (3, 4), (4, 3), (4, 4))]
    np.testing.assert_array_equal(Y[k] * 255.0, expected_tgt)
    block = img[r0 : r0 + 8, c0 : c0 + 8]
    expected_inp = [
        block[r, c] for r in range(8) for c in range(8) if not (3 <= r <= 4 and 3 <= c <= 4)
    ]
    np.testing.assert_allclose(X[k] * 255.0, expected_inp, rtol=0, atol=1e-9)


def test_parse_reconstruct_round_trip_is_exact(rng):
    # integer grey levels: y = v / 255 then 255 * y must give v back exactly
    img = rng.integers(0, 256, size=(64, 48)).astype(np.float64)
    _, Y = parse_img(img)
    rec = reconstruct(img, Y)
    np.testing.assert_array_equal(rec, img)
    assert rec is not img


def test_reconstruct_only_touches_centres(noise_img):
    nblocks = (noise_img.shape[0] // 8) * (noise_img.shape[1] // 8)
    rec = reconstruct(noise_img, np.full((nblocks, 4), 0.5))
    mask = centre_mask(noise_img.shape)
    np.testing.assert_array_equal(rec[~mask], noise_img[~mask])
    np.testing.assert_array_equal(rec[mask], 127.5)


def test_reconstruct_rejects_wrong_shape(noise_img):
    _, Y = parse_img(noise_img)
    with pytest.raises(ValueError, match="shape"):
        reconstruct(noise_img, Y[:-1])
    with pytest.raises(ValueError, match="shape"):
        reconstruct(noise_img, Y[:, :3])


def test_parse_img_rejects_non_2d():
    with pytest.raises(ValueError, match="2-D"):
        parse_img(np.zeros((8, 8, 3)))


# -- with_holes, mse -------------------------------------------------------------------


def test_with_holes_zeros_exactly_the_centres(noise_img):
    img = noise_img + 1.0  # no pixel is 0 before, so every 0 after is a hole
    holes = with_holes(img)
    mask = centre_mask(img.shape)
    assert np.all(holes[mask] == 0)
    np.testing.assert_array_equal(holes[~mask], img[~mask])
    assert mask.sum() == 4 * (img.shape[0] // 8) * (img.shape[1] // 8)


def test_with_holes_mse_is_mean_of_squared_centres(noise_img):
    mask = centre_mask(noise_img.shape)
    expected = np.sum(noise_img[mask] ** 2) / noise_img.size
    assert mse(noise_img, with_holes(noise_img)) == pytest.approx(expected, rel=1e-12)


def test_mse_basic(rng):
    a = rng.random((9, 11)) * 255
    b = rng.random((9, 11)) * 255
    assert mse(a, a) == 0.0
    assert mse(a, b) == pytest.approx(mse(b, a))
    assert mse(a, a + 3.0) == pytest.approx(9.0)
    with pytest.raises(ValueError):
        mse(a, b[:, :10])


# -- bilinear_fill ---------------------------------------------------------------------


def test_bilinear_fill_exact_on_a_plane():
    r, c = np.mgrid[0:48, 0:64].astype(np.float64)
    plane = 1.5 * r + 2.25 * c + 10.0  # stays inside 0..255
    assert plane.max() <= 255
    np.testing.assert_allclose(bilinear_fill(with_holes(plane)), plane, rtol=0, atol=1e-9)


def test_bilinear_fill_exact_on_a_bilinear_surface():
    r, c = np.mgrid[0:32, 0:32].astype(np.float64)
    surface = 20.0 + 0.5 * r + 0.75 * c + 0.2 * r * c  # max 20 + 15.5 + 23.25 + 192.2 < 255
    np.testing.assert_allclose(bilinear_fill(surface), surface, rtol=0, atol=1e-9)


def test_bilinear_fill_ignores_centres_and_keeps_other_pixels(noise_img):
    filled = bilinear_fill(noise_img)
    # only the ring is read, so the true centres and holes give the same fill
    np.testing.assert_array_equal(filled, bilinear_fill(with_holes(noise_img)))
    mask = centre_mask(noise_img.shape)
    np.testing.assert_array_equal(filled[~mask], noise_img[~mask])
    assert filled.min() >= 0 and filled.max() <= 255


def test_bilinear_fill_beats_holes_on_a_smooth_image():
    r, c = np.mgrid[0:64, 0:64].astype(np.float64)
    smooth = 128 + 100 * np.sin(r / 9.0) * np.cos(c / 13.0)
    holes = with_holes(smooth)
    assert mse(smooth, bilinear_fill(holes)) < 0.01 * mse(smooth, holes)


# -- sizes that are not multiples of 8 -------------------------------------------------


@pytest.mark.parametrize("shape", [(21, 30), (8, 15), (7, 7), (17, 8)])
def test_non_multiple_of_8_uses_full_blocks_only(rng, shape):
    img = rng.integers(1, 256, size=shape).astype(np.float64)
    nbr, nbc = shape[0] // 8, shape[1] // 8
    X, Y = parse_img(img)
    assert X.shape == (nbr * nbc, 60) and Y.shape == (nbr * nbc, 4)
    # the same samples as the cropped, multiple-of-8 image
    Xc, Yc = parse_img(img[: nbr * 8, : nbc * 8])
    np.testing.assert_array_equal(X, Xc)
    np.testing.assert_array_equal(Y, Yc)

    strip = np.ones(shape, dtype=bool)
    strip[: nbr * 8, : nbc * 8] = False
    for out in (reconstruct(img, np.zeros_like(Y)), with_holes(img), bilinear_fill(img)):
        assert out.shape == shape
        np.testing.assert_array_equal(out[strip], img[strip])  # remainder unchanged
    assert np.all(with_holes(img)[strip] != 0)  # no holes in the strip
    np.testing.assert_array_equal(reconstruct(img, Y), img)


# -- dbl_buf ---------------------------------------------------------------------------


def test_dbl_buf_round_trip(tmp_path, rng):
    img = rng.random((5, 7)) * 255  # not square: catches a width/height swap
    path = tmp_path / "ramp_small dbl_buf"
    write_dbl_buf(path, img)
    assert path.stat().st_size == 8 + 8 * 5 * 7
    back = read_dbl_buf(path)
    assert back.shape == (5, 7) and back.dtype == np.float64
    np.testing.assert_array_equal(back, img)


def test_dbl_buf_reads_lecture_layout(tmp_path, rng):
    """A file built byte by byte (uint32 w, uint32 h, float64 rows) reads as the lecture read it."""
    h, w = 3, 4
    pixels = rng.random(h * w) * 255
    path = tmp_path / "manual dbl_buf"
    path.write_bytes(struct.pack("<II", w, h) + struct.pack(f"<{h * w}d", *pixels))
    with open(path, "rb") as fid:  # the lecture's reading code
        w_ = np.fromfile(fid, np.uint32, 1)
        h_ = np.fromfile(fid, np.uint32, 1)
        lecture = np.fromfile(fid, np.float64).reshape(h_[0], w_[0])
    np.testing.assert_array_equal(read_dbl_buf(path), lecture)
    np.testing.assert_array_equal(load_image(path), lecture)  # no suffix -> dbl_buf


def test_dbl_buf_truncated_and_wrong_size(tmp_path, rng):
    good = tmp_path / "good"
    write_dbl_buf(good, rng.random((4, 6)))
    raw = good.read_bytes()

    truncated = tmp_path / "truncated"
    truncated.write_bytes(raw[:-5])
    with pytest.raises(ValueError, match="truncated"):
        read_dbl_buf(truncated)

    too_long = tmp_path / "too_long"
    too_long.write_bytes(raw + b"\0" * 8)
    with pytest.raises(ValueError, match="bytes"):
        read_dbl_buf(too_long)

    wrong_header = tmp_path / "wrong_header"
    wrong_header.write_bytes(struct.pack("<II", 7, 6) + raw[8:])
    with pytest.raises(ValueError, match="7x6"):
        read_dbl_buf(wrong_header)

    header_only = tmp_path / "short"
    header_only.write_bytes(raw[:5])
    with pytest.raises(ValueError, match="header"):
        read_dbl_buf(header_only)


def test_write_dbl_buf_rejects_non_2d(tmp_path):
    with pytest.raises(ValueError):
        write_dbl_buf(tmp_path / "x", np.zeros((2, 2, 2)))


# -- load_image (PNG) ------------------------------------------------------------------


def test_png_gray_round_trip(tmp_path, rng):
    iio = pytest.importorskip("imageio.v3")
    img8 = rng.integers(0, 256, size=(13, 17), dtype=np.uint8)
    path = tmp_path / "gray.png"
    iio.imwrite(path, img8)
    back = load_image(path)
    assert back.dtype == np.float64 and back.shape == (13, 17)
    np.testing.assert_array_equal(back, img8.astype(np.float64))


def test_png_16bit_scaled_to_255(tmp_path, rng):
    iio = pytest.importorskip("imageio.v3")
    img8 = rng.integers(0, 256, size=(6, 9)).astype(np.uint16)
    path = tmp_path / "deep.PNG"  # suffix case must not matter
    iio.imwrite(path, img8 * 257)  # 255 * 257 = 65535
    np.testing.assert_allclose(load_image(path), img8, rtol=0, atol=1e-9)


def test_png_colour_to_gray(tmp_path, rng):
    iio = pytest.importorskip("imageio.v3")
    from skimage.color import rgb2gray

    rgb = rng.integers(0, 256, size=(10, 12, 3), dtype=np.uint8)
    path = tmp_path / "colour.png"
    iio.imwrite(path, rgb)
    gray = load_image(path)
    assert gray.shape == (10, 12)
    np.testing.assert_allclose(gray, rgb2gray(rgb) * 255.0, rtol=0, atol=1e-6)


# -- IDX / MNIST -----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, rng, suffix):
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=5, dtype=np.uint8)
    pi, pl = tmp_path / f"img{suffix}", tmp_path / f"lbl{suffix}"
    write_idx(pi, images)
    write_idx(pl, labels)
    raw_i = gzip.decompress(pi.read_bytes()) if suffix else pi.read_bytes()
    raw_l = gzip.decompress(pl.read_bytes()) if suffix else pl.read_bytes()
    # the standard headers: magic 0x00000803 / 0x00000801, then big-endian sizes
    assert struct.unpack(">IIII", raw_i[:16]) == (0x803, 5, 28, 28)
    assert struct.unpack(">II", raw_l[:8]) == (0x801, 5)
    for path, arr in ((pi, images), (pl, labels)):
        back = read_idx(path)
        assert back.dtype == np.uint8
        np.testing.assert_array_equal(back, arr)


def test_idx_reads_hand_built_file_and_other_types(tmp_path):
    path = tmp_path / "manual-idx1-ubyte"
    path.write_bytes(struct.pack(">I", 0x801) + struct.pack(">I", 3) + bytes([7, 0, 255]))
    np.testing.assert_array_equal(read_idx(path), [7, 0, 255])

    floats = np.array([[1.5, -2.0], [3.25, 0.0]], dtype=np.float32)
    write_idx(tmp_path / "f.gz", floats)
    back = read_idx(tmp_path / "f.gz")
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, floats)
    with pytest.raises(ValueError):
        write_idx(tmp_path / "bad", np.zeros(3, dtype=np.int64))


def test_idx_bad_files(tmp_path):
    trunc = tmp_path / "trunc"
    trunc.write_bytes(struct.pack(">II", 0x801, 10) + bytes(9))
    with pytest.raises(ValueError):
        read_idx(trunc)
    bad_magic = tmp_path / "bad_magic"
    bad_magic.write_bytes(b"\x89PNG" + bytes(8))
    with pytest.raises(ValueError, match="magic"):
        read_idx(bad_magic)


def _fake_mnist(directory: Path, rng, n_trn=6, n_tst=4, gz=(True, False, False, True)):
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, size=(n_trn, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, size=n_trn, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, size=(n_tst, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, size=n_tst, dtype=np.uint8),
    }
    for (name, arr), compress in zip(arrays.items(), gz):
        write_idx(directory / (name + (".gz" if compress else "")), arr)
    return arrays


def test_load_mnist_fake_directory(tmp_path, rng):
    arrays = _fake_mnist(tmp_path, rng)
    X_trn, y_trn, X_tst, y_tst = load_mnist(tmp_path)
    assert X_trn.shape == (6, 784) and X_tst.shape == (4, 784)
    assert X_trn.dtype == X_tst.dtype == np.float64
    np.testing.assert_array_equal(X_trn * 255.0, arrays["train-images-idx3-ubyte"].reshape(6, 784))
    np.testing.assert_array_equal(X_tst * 255.0, arrays["t10k-images-idx3-ubyte"].reshape(4, 784))
    np.testing.assert_array_equal(y_trn, arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(y_tst, arrays["t10k-labels-idx1-ubyte"])
    assert np.issubdtype(y_trn.dtype, np.integer)
    assert 0.0 <= X_trn.min() and X_trn.max() <= 1.0


def test_load_mnist_missing_file(tmp_path, rng):
    _fake_mnist(tmp_path, rng)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        load_mnist(tmp_path / "nowhere")


def test_load_mnist_count_mismatch(tmp_path, rng):
    _fake_mnist(tmp_path, rng)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(3, dtype=np.uint8))
    with pytest.raises(ValueError, match="labels"):
        load_mnist(tmp_path)


# -- sample_images ---------------------------------------------------------------------


def test_sample_images():
    train, test, names = sample_images()
    assert len(train) == 12 and len(names) == 13 and len(set(names)) == 13
    for img in [*train, test]:
        assert isinstance(img, np.ndarray) and img.ndim == 2 and img.dtype == np.float64
        assert img.min() >= 0 and img.max() <= 255
        assert img.std() > 1  # a real picture, not a blank
    n_blocks = sum(parse_img(img)[0].shape[0] for img in train)
    assert abs(n_blocks - 16384) <= 0.15 * 16384
    assert parse_img(test)[0].shape[0] > 0
    assert not any(img.shape == test.shape and np.array_equal(img, test) for img in train)


def test_sample_images_deterministic_and_copies():
    train1, test1, names1 = sample_images()
    train1[0][:] = -1.0  # must not leak into the next call
    train2, test2, names2 = sample_images()
    assert names1 == names2
    assert train2[0].min() >= 0
    np.testing.assert_array_equal(test1, test2)
    for a in train2[1:]:
        assert a.flags.writeable


# -- digits ----------------------------------------------------------------------------


def test_digits_split_shapes_and_scaling():
    X_trn, X_tst, y_trn, y_tst = digits_split()
    assert X_trn.shape == (1347, 64) and X_tst.shape == (450, 64)
    assert y_trn.shape == (1347,) and y_tst.shape == (450,)
    assert X_trn.dtype == np.float64 and np.issubdtype(y_trn.dtype, np.integer)
    assert X_trn.min() == 0.0 and X_trn.max() == 1.0  # raw pixels are 0..16


def test_digits_split_is_a_partition_of_the_data():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X_trn, X_tst, y_trn, y_tst = digits_split(seed=3)
    got = np.c_[np.r_[X_trn, X_tst] * 16, np.r_[y_trn, y_tst]]
    want = np.c_[X, y]
    order_got = np.lexsort(got.T[::-1])
    order_want = np.lexsort(want.T[::-1])
    np.testing.assert_array_equal(got[order_got], want[order_want])


def test_digits_split_stratified():
    X_trn, X_tst, y_trn, y_tst = digits_split(seed=1)
    y_all = np.r_[y_trn, y_tst]
    frac_tst = len(y_tst) / len(y_all)
    for k in range(10):
        n_k = np.sum(y_all == k)
        # each class split in (almost exactly) the overall proportion
        assert abs(np.sum(y_tst == k) - frac_tst * n_k) <= 1


def test_digits_split_seeded():
    a = digits_split(seed=7)
    b = digits_split(seed=7)
    c = digits_split(seed=8)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[1], c[1])  # a different seed moves different digits to the test set


def test_one_hot():
    y = np.array([3, 0, 9, 3, 1])
    t = one_hot(y)
    assert t.shape == (5, 10) and t.dtype == np.float64
    np.testing.assert_array_equal(t.sum(axis=1), 1.0)
    np.testing.assert_array_equal(t.argmax(axis=1), y)
    assert set(np.unique(t)) == {0.0, 1.0}
    assert one_hot(np.array([2, 0]), n_classes=3).tolist() == [[0, 0, 1], [1, 0, 0]]
    with pytest.raises(ValueError):
        one_hot(np.array([10]))
    with pytest.raises(ValueError):
        one_hot(np.array([-1]))


# -- import cost -----------------------------------------------------------------------


def test_import_loads_only_numpy():
    """``import loopmlp.data`` must not import scikit-image, scikit-learn or imageio."""
    src = str(Path(data.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    code = (
        "import sys, loopmlp.data; "
        "print(sorted(m for m in ('skimage', 'sklearn', 'imageio', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"

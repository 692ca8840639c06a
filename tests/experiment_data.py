"""Small data the experiment tests write themselves: smooth images, fake MNIST IDX files."""

from __future__ import annotations

import numpy as np

from loopmlp import data


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


def write_images(directory):
    """Three dbl_buf training images (48x48) and a PNG test image (40x44); returns
    ``(train_paths, test_path)``."""
    import imageio.v3 as iio

    train = []
    for i in range(3):
        path = directory / f"train{i} dbl_buf"
        data.write_dbl_buf(path, smooth_image(i))
        train.append(path)
    test = directory / "test.png"
    iio.imwrite(test, smooth_image(10, (40, 44)).astype(np.uint8))
    return train, test


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

"""Data for the lecture's experiments: image blocks, raw files, digits and MNIST.

The "missing pixels" experiment (week 7, "Using a neural net to predict missing pixels")
cuts a grayscale image into 8x8 blocks. Of each block's 64 pixels the centre 2x2 (rows
and columns 3-4 of the block) are the 4 *targets* and the other 60 are the *inputs*;
an MLP learns to predict the centre from its surround, and the predictions are pasted
back into the image. This module holds that block handling (:func:`parse_img`,
:func:`reconstruct`), two baselines (:func:`with_holes`, :func:`bilinear_fill`), the
error measure (:func:`mse`), the lecture's raw ``dbl_buf`` file format, an image
loader, a stand-in training set made of scikit-image's bundled photographs
(:func:`sample_images`), and the two classification datasets of the lecture: the
scikit-learn 8x8 digits (:func:`digits_split`) and MNIST in its IDX files
(:func:`load_mnist`).

Only numpy is imported here; scikit-image, scikit-learn and imageio are imported
inside the functions that need them, so ``import loopmlp`` stays fast. Nothing in this
module touches the network.

Images are 2-D float64 arrays of grey levels in 0..255, ``img[row, col]``.

Image sizes that are not multiples of 8
---------------------------------------
The lecture's loops (``for r0 in range(0, num_rows, BLOCK_SIZE)``) assume both sides
are multiples of 8 and would index past the image otherwise. Here only *full* 8x8
blocks are used: the ``num_rows % 8`` bottom rows and ``num_cols % 8`` right columns
form a remainder strip that gives no samples in :func:`parse_img`, is copied unchanged
by :func:`reconstruct`, :func:`with_holes` and :func:`bilinear_fill` (so it shows no
holes) and counts in :func:`mse` like every other pixel (with zero error there).
Blocks are numbered row-major: block ``k`` has its top-left corner at
``(8 * (k // n_block_cols), 8 * (k % n_block_cols))`` with
``n_block_cols = num_cols // 8``, the lecture's ``r0``/``c0`` loop order.
"""

from __future__ import annotations

import functools
import gzip
import os
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "BLOCK_SIZE",
    "NUM_INP_NODES",
    "NUM_OUT_NODES",
    "parse_img",
    "reconstruct",
    "with_holes",
    "bilinear_fill",
    "mse",
    "read_dbl_buf",
    "write_dbl_buf",
    "load_image",
    "sample_images",
    "SAMPLE_TRAIN_NAMES",
    "SAMPLE_TEST_NAME",
    "SAMPLE_SIZE",
    "digits_split",
    "one_hot",
    "read_idx",
    "write_idx",
    "load_mnist",
]

BLOCK_SIZE = 8
NUM_INP_NODES = 60  # 8*8 block minus its 2x2 centre
NUM_OUT_NODES = 4  # the 2x2 centre

# Which pixels of a block are targets: the lecture's ``r >= 3 and r <= 4 and c >= 3 and
# c <= 4``. Flattened row-major, boolean indexing with it keeps the lecture's ``pos1`` /
# ``pos2`` order (targets and inputs each in row-major order).
_CENTRE_LO, _CENTRE_HI = 3, 4
_CENTRE = np.zeros((BLOCK_SIZE, BLOCK_SIZE), dtype=bool)
_CENTRE[_CENTRE_LO : _CENTRE_HI + 1, _CENTRE_LO : _CENTRE_HI + 1] = True
_CENTRE_FLAT = _CENTRE.ravel()
# (row, col) offsets of the 4 targets inside a block, in target order: (3,3) (3,4) (4,3) (4,4).
_CENTRE_OFFSETS = tuple((int(r), int(c)) for r, c in zip(*np.nonzero(_CENTRE)))
# The known ring around the centre used by bilinear_fill: rows/cols 2 and 5 of the block.
_RING_LO, _RING_HI = _CENTRE_LO - 1, _CENTRE_HI + 1


def _as_image(img: ArrayLike, name: str = "img") -> NDArray[np.float64]:
    """Return ``img`` as a 2-D float64 array (a copy only if needed)."""
    arr = np.asarray(img, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D grayscale image, got shape {arr.shape}")
    return arr


def _n_blocks(shape: tuple[int, ...]) -> tuple[int, int]:
    """Number of full 8x8 blocks down and across an image of this shape."""
    return shape[0] // BLOCK_SIZE, shape[1] // BLOCK_SIZE


def _centre_view(img: NDArray[np.float64], dr: int, dc: int) -> NDArray[np.float64]:
    """View of pixel ``(dr, dc)`` of every full block, shape ``(n_block_rows, n_block_cols)``.

    A strided slice, so assigning to it writes into ``img``; stopping at the last full
    block keeps the remainder strip out.
    """
    nbr, nbc = _n_blocks(img.shape)
    return img[dr : nbr * BLOCK_SIZE : BLOCK_SIZE, dc : nbc * BLOCK_SIZE : BLOCK_SIZE]


def parse_img(img: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Cut an image into 8x8 blocks of 60 input and 4 target pixels, scaled to 0..1.

    This is the lecture's ``parse_img`` with the same block order and pixel order,
    vectorised. It replaces these loops (the lecture appended to the lists ``inps`` and
    ``tgts``; here the rows are returned as two arrays)::

        for r0 in range(0, num_rows, BLOCK_SIZE):
            for c0 in range(0, num_cols, BLOCK_SIZE):
                pos1 = 0
                pos2 = 0
                for r in range(BLOCK_SIZE):
                    for c in range(BLOCK_SIZE):
                        if (r >= 3 and r <= 4 and c >= 3 and c <= 4):
                            tgt[pos1] = img[r0 + r, c0 + c]
                            pos1 += 1
                        else:
                            inp[pos2] = img[r0 + r, c0 + c]
                            pos2 += 1
                inps.append(inp.copy() / 255.0)
                tgts.append(tgt.copy() / 255.0)

    The division is the same ``/ 255.0`` on the same float64 values, so the result is
    bit-identical to the loops.

    Parameters
    ----------
    img : array_like, shape (num_rows, num_cols)
        Grayscale image in grey levels 0..255.

    Returns
    -------
    X : ndarray, shape (n_blocks, 60), float64, C-contiguous
        Per block, the 60 pixels outside the centre 2x2, row-major, divided by 255.
    Y : ndarray, shape (n_blocks, 4), float64, C-contiguous
        Per block, the centre pixels (3,3), (3,4), (4,3), (4,4), divided by 255.

    Notes
    -----
    Only full blocks are used, ``n_blocks = (num_rows // 8) * (num_cols // 8)``; the
    bottom/right remainder strip of a side that is not a multiple of 8 gives no samples
    (the lecture's loop would raise ``IndexError`` there).
    """
    img = _as_image(img)
    nbr, nbc = _n_blocks(img.shape)
    # (nbr, 8, nbc, 8) -> (nbr, nbc, 8, 8) -> one row of 64 pixels per block, row-major
    # inside the block, blocks in the lecture's r0-then-c0 order.
    full = img[: nbr * BLOCK_SIZE, : nbc * BLOCK_SIZE]
    blocks = (
        full.reshape(nbr, BLOCK_SIZE, nbc, BLOCK_SIZE)
        .swapaxes(1, 2)
        .reshape(nbr * nbc, BLOCK_SIZE * BLOCK_SIZE)
    )
    # Boolean indexing copies into fresh C-contiguous arrays (the kernels want that).
    X = blocks[:, ~_CENTRE_FLAT] / 255.0
    Y = blocks[:, _CENTRE_FLAT] / 255.0
    return np.ascontiguousarray(X), np.ascontiguousarray(Y)


def reconstruct(img: ArrayLike, Y_pred: ArrayLike) -> NDArray[np.float64]:
    """Paste predicted centres back into the image: the lecture's ``rec_img`` loop.

    Each full block's centre 2x2 becomes ``255 * out`` for that block's row of
    ``Y_pred``; every other pixel is copied from ``img``. Vectorised form of::

        blk_idx = 0
        for r0 in range(0, num_rows, BLOCK_SIZE):
            for c0 in range(0, num_cols, BLOCK_SIZE):
                out = y_tst_prd[blk_idx]
                blk_idx += 1
                pos = 0
                for r in range(BLOCK_SIZE):
                    for c in range(BLOCK_SIZE):
                        if (r >= 3 and r <= 4 and c >= 3 and c <= 4):
                            rec_img[r0 + r, c0 + c] = 255*out[pos]
                            pos += 1
                        else:
                            rec_img[r0 + r, c0 + c] = img[r0 + r, c0 + c]

    Parameters
    ----------
    img : array_like, shape (num_rows, num_cols)
        The image the blocks came from (grey levels 0..255).
    Y_pred : array_like, shape (n_blocks, 4)
        Predicted centres in 0..1, in :func:`parse_img`'s block and pixel order.

    Returns
    -------
    rec_img : ndarray, shape (num_rows, num_cols), float64
        A new image. Predictions are not clipped (as in the lecture; a sigmoid output
        is in 0..1 anyway). The remainder strip of a side that is not a multiple of 8
        is copied from ``img``.
    """
    img = _as_image(img)
    nbr, nbc = _n_blocks(img.shape)
    Y_pred = np.asarray(Y_pred, dtype=np.float64)
    if Y_pred.shape != (nbr * nbc, NUM_OUT_NODES):
        raise ValueError(
            f"Y_pred must have shape ({nbr * nbc}, {NUM_OUT_NODES}) for a {img.shape} "
            f"image ({nbr}x{nbc} full blocks), got {Y_pred.shape}"
        )
    rec_img = img.copy()
    for pos, (dr, dc) in enumerate(_CENTRE_OFFSETS):
        _centre_view(rec_img, dr, dc)[...] = 255 * Y_pred[:, pos].reshape(nbr, nbc)
    return rec_img


def with_holes(img: ArrayLike) -> NDArray[np.float64]:
    """The image with the centre 2x2 of every full block set to 0 (black).

    The lecture's "Image showing missing pixels" slide, the do-nothing baseline: its
    :func:`mse` against the original is the mean over *all* pixels of the squared
    centre values (MSE = 1585.2 on the slide's image). Same as
    ``reconstruct(img, zeros((n_blocks, 4)))``.

    Parameters
    ----------
    img : array_like, shape (num_rows, num_cols)
        Grayscale image in grey levels 0..255.

    Returns
    -------
    ndarray, shape (num_rows, num_cols), float64
        A new image; the remainder strip of a side that is not a multiple of 8 is copied
        unchanged.
    """
    img = _as_image(img)
    nbr, nbc = _n_blocks(img.shape)
    return reconstruct(img, np.zeros((nbr * nbc, NUM_OUT_NODES)))


def bilinear_fill(img: ArrayLike) -> NDArray[np.float64]:
    """Classical baseline: fill each block's 2x2 centre from the 12 known pixels around it.

    The 4x4 square at rows/cols 2..5 of a block is the centre 2x2 plus a ring of 12
    known pixels (rows 2 and 5, columns 2 and 5). The centre is filled by *bilinearly
    blended (Coons) interpolation* of that ring, the standard way to interpolate a
    square bilinearly from its whole boundary rather than from its 4 corners only.
    With block coordinates ``r, c`` in {3, 4}, ``u = (c - 2) / 3`` and
    ``v = (r - 2) / 3`` (so 1/3 or 2/3), and ``P[r, c]`` the block's pixels::

        across = (1 - u) * P[r, 2] + u * P[r, 5]          # linear along the row
        down   = (1 - v) * P[2, c] + v * P[5, c]          # linear along the column
        corner = ((1 - v) * ((1 - u) * P[2, 2] + u * P[2, 5])
                  + v * ((1 - u) * P[5, 2] + u * P[5, 5]))  # bilinear from 4 corners
        fill   = across + down - corner

    ``across`` and ``down`` each reproduce any plane ``a*r + b*c + d`` exactly, and
    subtracting the corner term removes what they count twice, so the fill is exact
    for every bilinear surface ``a + b*r + c*col + d*r*col`` (planes and linear ramps
    included, up to rounding). The corner weights are negative, so on noisy images the
    fill can overshoot; it is clipped to 0..255. Pixels outside the centres, and the
    remainder strip of a side that is not a multiple of 8, are copied from ``img``.

    Parameters
    ----------
    img : array_like, shape (num_rows, num_cols)
        Grayscale image in 0..255. Only the ring pixels are read for the fill, so the
        centre values (true or holes) do not matter.

    Returns
    -------
    ndarray, shape (num_rows, num_cols), float64
    """
    img = _as_image(img)
    filled = img.copy()

    def p(dr: int, dc: int) -> NDArray[np.float64]:
        return _centre_view(img, dr, dc)

    lo, hi = _RING_LO, _RING_HI
    span = hi - lo  # 3: the ring pixels are 3 apart
    for dr, dc in _CENTRE_OFFSETS:
        u = (dc - lo) / span
        v = (dr - lo) / span
        across = (1 - u) * p(dr, lo) + u * p(dr, hi)
        down = (1 - v) * p(lo, dc) + v * p(hi, dc)
        corner = (1 - v) * ((1 - u) * p(lo, lo) + u * p(lo, hi)) + v * (
            (1 - u) * p(hi, lo) + u * p(hi, hi)
        )
        _centre_view(filled, dr, dc)[...] = np.clip(across + down - corner, 0.0, 255.0)
    return filled


def mse(a: ArrayLike, b: ArrayLike) -> float:
    """Mean squared error over all pixels, in squared grey levels (the lecture's
    ``((rec_img - img)**2).mean()``).

    Parameters
    ----------
    a, b : array_like
        Two images of the same shape.

    Returns
    -------
    float
        ``mean((a - b)**2)`` in float64.

    Raises
    ------
    ValueError
        If the shapes differ.

    Examples
    --------
    >>> import numpy as np
    >>> from loopmlp.data import bilinear_fill, mse, with_holes
    >>> ramp = np.add.outer(np.arange(16.0), 2 * np.arange(16.0))   # a plane
    >>> mse(with_holes(ramp), ramp) > 0, mse(bilinear_fill(ramp), ramp) < 1e-20
    (True, True)
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    return float(np.mean((a - b) ** 2))


# --------------------------------------------------------------------------------------
# The lecture's raw "dbl_buf" files
# --------------------------------------------------------------------------------------

# Written on (and read by np.fromfile on) a little-endian PC; stated explicitly so the
# files read the same on any machine.
_DBL_BUF_HEADER = np.dtype("<u4")
_DBL_BUF_PIXEL = np.dtype("<f8")
_DBL_BUF_HEADER_BYTES = 2 * _DBL_BUF_HEADER.itemsize


def read_dbl_buf(path: str | os.PathLike) -> NDArray[np.float64]:
    """Read the lecture's raw image format.

    Layout (little-endian): ``uint32 width``, ``uint32 height``, then ``width * height``
    float64 grey levels row by row. The lecture read it with::

        w = np.fromfile(fid, np.uint32, 1)
        h = np.fromfile(fid, np.uint32, 1)
        img = np.fromfile(fid, np.float64)
        img = img.reshape(h[0], w[0])

    Parameters
    ----------
    path : str or path-like
        The file (the lecture's are named like ``"baby_small dbl_buf"``).

    Returns
    -------
    ndarray, shape (height, width), float64

    Raises
    ------
    ValueError
        If the file is shorter than the 8-byte header, or its size is not
        ``8 + 8 * width * height`` bytes (truncated, or trailing data: the lecture's
        ``reshape`` would fail or silently read garbage).
    """
    size = os.path.getsize(path)
    if size < _DBL_BUF_HEADER_BYTES:
        raise ValueError(
            f"{os.fspath(path)!r} is {size} bytes, too short for the 8-byte dbl_buf "
            "header (uint32 width, uint32 height)"
        )
    with open(path, "rb") as fid:
        w, h = (int(v) for v in np.fromfile(fid, _DBL_BUF_HEADER, 2))
        expected = _DBL_BUF_HEADER_BYTES + _DBL_BUF_PIXEL.itemsize * w * h
        if size != expected:
            what = "truncated" if size < expected else "has trailing data"
            raise ValueError(
                f"{os.fspath(path)!r} is not a valid dbl_buf file ({what}): its header "
                f"says {w}x{h} pixels (width x height), so it should be {expected} bytes "
                f"(8 + 8*{w}*{h}), but it is {size} bytes"
            )
        img = np.fromfile(fid, _DBL_BUF_PIXEL, w * h)
    return img.reshape(h, w).astype(np.float64)


def write_dbl_buf(path: str | os.PathLike, img: ArrayLike) -> None:
    """Write a 2-D image in the lecture's raw format (see :func:`read_dbl_buf`).

    Parameters
    ----------
    path : str or path-like
        The file to write.
    img : array_like, shape (height, width)
        Grey levels, written as float64.

    Raises
    ------
    ValueError
        An image that is not 2-D, or too large for the uint32 header.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from loopmlp.data import read_dbl_buf, write_dbl_buf
    >>> img = np.arange(12.0).reshape(3, 4)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write_dbl_buf(os.path.join(folder, "img dbl_buf"), img)
    ...     same = np.array_equal(read_dbl_buf(os.path.join(folder, "img dbl_buf")), img)
    >>> same
    True
    """
    img = _as_image(img)
    h, w = img.shape
    if max(h, w) > np.iinfo(_DBL_BUF_HEADER).max:
        raise ValueError(f"image of shape {img.shape} is too large for a uint32 header")
    with open(path, "wb") as fid:
        fid.write(np.array([w, h], dtype=_DBL_BUF_HEADER).tobytes())
        fid.write(np.ascontiguousarray(img, dtype=_DBL_BUF_PIXEL).tobytes())


# --------------------------------------------------------------------------------------
# Ordinary image files and scikit-image's sample images
# --------------------------------------------------------------------------------------

_RASTER_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"})
# ITU-R BT.709 luma weights, the ones skimage.color.rgb2gray uses.
_LUMA = np.array([0.2125, 0.7154, 0.0721])


def _to_gray_255(arr: ArrayLike) -> NDArray[np.float64]:
    """Any decoded image array -> 2-D float64 grey levels in 0..255.

    Integer data is scaled by ``255 / max`` of its type (uint8 unchanged, uint16 by
    255/65535), bool to 0/255, float is taken to be in 0..1 (skimage's convention) and
    multiplied by 255. Colour (RGB or RGBA, channels last) becomes grey with the BT.709
    weights of ``skimage.color.rgb2gray``; an alpha channel is ignored.
    """
    a = np.asarray(arr)
    if a.dtype == bool:
        g = a.astype(np.float64) * 255.0
    elif np.issubdtype(a.dtype, np.integer):
        g = a.astype(np.float64)
        if a.dtype != np.uint8:
            g *= 255.0 / np.iinfo(a.dtype).max
    elif np.issubdtype(a.dtype, np.floating):
        g = a.astype(np.float64) * 255.0
    else:
        raise ValueError(f"unsupported image dtype {a.dtype}")
    if g.ndim == 3 and g.shape[-1] in (3, 4):
        g = g[..., :3] @ _LUMA
    elif g.ndim == 3 and g.shape[-1] in (1, 2):  # grey, or grey + alpha
        g = g[..., 0]
    if g.ndim != 2:
        raise ValueError(f"cannot make a 2-D grayscale image from shape {a.shape}")
    return np.ascontiguousarray(g)


def load_image(path: str | os.PathLike) -> NDArray[np.float64]:
    """Load a grayscale image as a 2-D float64 array of grey levels 0..255.

    Files ending in ``.png``, ``.jpg``, ``.jpeg``, ``.bmp``, ``.tif`` or ``.tiff``
    (any case) are decoded with imageio (or ``skimage.io`` if imageio is missing):
    colour becomes grey with ``skimage.color.rgb2gray``'s weights (alpha ignored);
    16-bit data is scaled by 255/65535 and float data, taken to be in 0..1, by 255.
    Any other name, including one without a suffix (the lecture's files are named like
    ``"baby_small dbl_buf"``), is read as a raw dbl_buf file (:func:`read_dbl_buf`).

    Parameters
    ----------
    path : str or path-like
        An image file, or a raw dbl_buf file.

    Returns
    -------
    ndarray, shape (rows, cols), float64
        Grey levels 0..255.

    Raises
    ------
    FileNotFoundError
        A missing file.
    ValueError
        An image that cannot be made grey, or a malformed dbl_buf file.
    """
    if Path(path).suffix.lower() in _RASTER_SUFFIXES:
        try:
            import imageio.v3 as iio

            arr = iio.imread(path)
        except ImportError:  # imageio comes with scikit-image, but do not insist on it
            from ._optional import import_module

            io = import_module("skimage.io", "loopmlp.data.load_image", "experiments")
            arr = io.imread(path)
        return _to_gray_255(arr)
    return read_dbl_buf(path)


# Bundled with scikit-image (no pooch download: each one loads offline).
# Natural photographs and textures standing in for the lecture's twelve "*_small"
# photos (baby, beach, bike, ...); "stereo_motorcycle" is its left view.
SAMPLE_TRAIN_NAMES = (
    "camera",
    "astronaut",
    "coffee",
    "coins",
    "moon",
    "rocket",
    "immunohistochemistry",
    "hubble_deep_field",
    "grass",
    "gravel",
    "brick",
    "stereo_motorcycle",
)
# Held out, like the lecture's "balloon_small" test image.
SAMPLE_TEST_NAME = "chelsea"
# 296 = 37 blocks of 8: 12 * 37 * 37 = 16,428 training blocks, the lecture's ~16,384
# (461 Keras steps of 32 samples on a 0.9 training fraction).
SAMPLE_SIZE = 37 * BLOCK_SIZE


@functools.cache
def _sample_image(name: str) -> NDArray[np.float64]:
    """One skimage sample image as a SAMPLE_SIZE x SAMPLE_SIZE grey image (cached, read-only)."""
    from ._optional import import_module

    skimage_data = import_module("skimage.data", "loopmlp.data.sample_images", "experiments")
    from skimage.transform import resize

    arr = getattr(skimage_data, name)()
    if isinstance(arr, tuple):  # stereo_motorcycle -> (left, right, disparity)
        arr = arr[0]
    g = _to_gray_255(arr)
    # Central square crop, then one deterministic anti-aliased bilinear resize.
    h, w = g.shape
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    g = g[top : top + s, left : left + s]
    g = resize(
        g,
        (SAMPLE_SIZE, SAMPLE_SIZE),
        order=1,
        mode="reflect",
        anti_aliasing=True,
        preserve_range=True,
    )
    # Round to whole grey levels, like an 8-bit photo (and like the lecture's files).
    g = np.clip(np.rint(g), 0.0, 255.0).astype(np.float64)
    g.setflags(write=False)
    return g


def sample_images() -> tuple[list[NDArray[np.float64]], NDArray[np.float64], list[str]]:
    """Twelve training images and one test image from scikit-image's bundled photos.

    Stand-ins for the lecture's ``*_small dbl_buf`` photos, which are not distributed.
    Every image is one of skimage's sample images that ship inside the package (no
    network): converted to grey (``rgb2gray`` weights) in 0..255, cropped to its
    central square, resized (anti-aliased, bilinear) to ``SAMPLE_SIZE`` x
    ``SAMPLE_SIZE`` = 296 x 296 pixels = 37 x 37 blocks and rounded to whole grey
    levels. Deterministic.

    Training (``SAMPLE_TRAIN_NAMES``, original sizes): camera 512x512, astronaut
    512x512, coffee 400x600, coins 303x384, moon 512x512, rocket 427x640,
    immunohistochemistry 512x512, hubble_deep_field 872x1000, grass 512x512,
    gravel 512x512, brick 512x512, stereo_motorcycle (left view) 500x741.
    Together 12 * 37 * 37 = 16,428 blocks, about the lecture's 16,384.
    Test (``SAMPLE_TEST_NAME``): chelsea 300x451 (a cat photo), 1,369 blocks.

    Returns
    -------
    train_images : list of 12 ndarrays, shape (296, 296), float64
    test_image : ndarray, shape (296, 296), float64
    names : list of 13 str
        The twelve training names in order, then the test image's name.
    """
    train = [_sample_image(name).copy() for name in SAMPLE_TRAIN_NAMES]
    test = _sample_image(SAMPLE_TEST_NAME).copy()
    return train, test, [*SAMPLE_TRAIN_NAMES, SAMPLE_TEST_NAME]


# --------------------------------------------------------------------------------------
# Classification data: scikit-learn's 8x8 digits and MNIST
# --------------------------------------------------------------------------------------


def digits_split(
    seed: int = 0, test_size: float = 0.25
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """scikit-learn's bundled 8x8 digits, scaled to 0..1, split stratified and seeded.

    The lecture's "MNIST (sample)" experiment: 1,797 digits of 64 pixels with values
    0..16, divided by 16 here; ``test_size=0.25`` gives 1,347 training and 450 test
    samples, as on the lecture's slide. The split is ``train_test_split`` with
    ``stratify=y`` (every class in proportion on both sides) and
    ``random_state=seed``, so the same seed always gives the same split.

    Parameters
    ----------
    seed : int, default 0
        The split's ``random_state``.
    test_size : float, default 0.25
        The share of the digits held out for the test.

    Returns
    -------
    X_trn, X_tst : ndarray, shape (n, 64), float64
        The pixels, 0..1.
    y_trn, y_tst : ndarray, shape (n,), int64, labels 0..9
        The digits.

    Examples
    --------
    >>> from loopmlp.data import digits_split
    >>> X_trn, X_tst, y_trn, y_tst = digits_split(seed=0)
    >>> X_trn.shape, X_tst.shape
    ((1347, 64), (450, 64))
    """
    from ._optional import import_module

    datasets = import_module("sklearn.datasets", "loopmlp.data.digits_split", "experiments")
    from sklearn.model_selection import train_test_split

    X, y = datasets.load_digits(return_X_y=True)
    X = X.astype(np.float64) / 16.0
    y = y.astype(np.int64)
    X_trn, X_tst, y_trn, y_tst = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y
    )
    return (
        np.ascontiguousarray(X_trn),
        np.ascontiguousarray(X_tst),
        np.ascontiguousarray(y_trn),
        np.ascontiguousarray(y_tst),
    )


def one_hot(y: ArrayLike, n_classes: int = 10) -> NDArray[np.float64]:
    """Integer labels ``(n,)`` -> float64 one-hot targets ``(n, n_classes)``.

    What the lecture's ``LabelBinarizer`` did, for labels 0..n_classes-1.

    Parameters
    ----------
    y : array_like of int, shape (n,)
        Labels 0..n_classes-1.
    n_classes : int, default 10
        The number of classes.

    Returns
    -------
    ndarray, shape (n, n_classes), float64
        1 in each row's column ``y[i]``, 0 elsewhere.

    Raises
    ------
    ValueError
        ``y`` not 1-D integers, or a label out of range.

    Examples
    --------
    >>> from loopmlp.data import one_hot
    >>> one_hot([2, 0], n_classes=3)
    array([[0., 0., 1.],
           [1., 0., 0.]])
    """
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must be a 1-D integer array, got {y.dtype} of shape {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"labels must be in 0..{n_classes - 1}, got {y.min()}..{y.max()}")
    out = np.zeros((y.size, n_classes), dtype=np.float64)
    out[np.arange(y.size), y] = 1.0
    return out


# IDX type codes (third magic byte) -> big-endian dtype. MNIST uses 0x08 (uint8) only.
_IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_CODES = {(dt.kind, dt.itemsize): code for code, dt in _IDX_DTYPES.items()}


def _is_gz(path: str | os.PathLike) -> bool:
    return os.fspath(path).lower().endswith(".gz")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (the MNIST format), gzip-compressed if the name ends in ``.gz``.

    Layout: 4 magic bytes ``0, 0, type, ndim`` (``0x00000803`` = uint8 with 3 dims, the
    image files; ``0x00000801`` = uint8 with 1 dim, the label files), then ``ndim``
    big-endian uint32 sizes, then the data in C order, big-endian. The other IDX types
    (int8, int16, int32, float32, float64) are read too.

    Parameters
    ----------
    path : str or path-like
        The file; gzip-compressed if its name ends in ``.gz``.

    Returns
    -------
    ndarray
        Shape from the header, native byte order (uint8 for MNIST).

    Raises
    ------
    ValueError
        Bad magic number, unknown type code, or a file size that does not match the
        header (e.g. truncated download).
    """
    opener = gzip.open if _is_gz(path) else open
    with opener(path, "rb") as fid:
        data = fid.read()
    name = os.fspath(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{name!r} is not an IDX file (bad magic number)")
    code, ndim = data[2], data[3]
    if code not in _IDX_DTYPES:
        raise ValueError(f"{name!r}: unknown IDX type code 0x{code:02X}")
    dtype = _IDX_DTYPES[code]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{name!r}: truncated IDX header ({len(data)} bytes)")
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", ndim, offset=4))
    count = int(np.prod(shape, dtype=np.int64))
    expected = header + count * dtype.itemsize
    if len(data) != expected:
        raise ValueError(
            f"{name!r}: header says shape {shape} of {dtype.name}, i.e. {expected} bytes, "
            f"but the (decompressed) file has {len(data)} bytes"
        )
    arr = np.frombuffer(data, dtype, count, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))  # native order, writable copy


def write_idx(path: str | os.PathLike, array: ArrayLike) -> None:
    """Write an array as an IDX file (gzip-compressed if the name ends in ``.gz``).

    The type code follows the dtype: uint8 -> 0x08 (MNIST's images and labels), int8,
    int16, int32, float32, float64; other dtypes raise ``ValueError`` (cast first).
    Compressed output has a zero gzip timestamp, so the same array gives the same bytes.

    Parameters
    ----------
    path : str or path-like
        The file to write; gzip-compressed if its name ends in ``.gz``.
    array : array_like
        1 to 255 dimensions, of one of the IDX types.

    Raises
    ------
    ValueError
        A dtype IDX has no type for, or no dimension.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from loopmlp.data import read_idx, write_idx
    >>> labels = np.array([5, 0, 4], dtype=np.uint8)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write_idx(os.path.join(folder, "labels-idx1-ubyte.gz"), labels)
    ...     read_idx(os.path.join(folder, "labels-idx1-ubyte.gz"))
    array([5, 0, 4], dtype=uint8)
    """
    a = np.asarray(array)
    code = _IDX_CODES.get((a.dtype.kind, a.dtype.itemsize))
    if code is None:
        raise ValueError(
            f"IDX has no type for dtype {a.dtype}; use uint8, int8, int16, int32, "
            "float32 or float64"
        )
    if not 1 <= a.ndim <= 255:
        raise ValueError(f"IDX needs 1..255 dimensions, got {a.ndim}")
    payload = (
        bytes([0, 0, code, a.ndim])
        + np.array(a.shape, dtype=">u4").tobytes()
        + np.ascontiguousarray(a, dtype=_IDX_DTYPES[code]).tobytes()
    )
    if _is_gz(path):
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fid:
            fid.write(payload)
    else:
        with open(path, "wb") as fid:
            fid.write(payload)


_MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def _find_mnist_file(directory: Path, base: str) -> Path:
    """``base`` or ``base.gz`` in ``directory`` (also the common ``-idx`` -> ``.idx`` spelling)."""
    dotted = base.replace("-idx", ".idx")
    for name in (base, base + ".gz", dotted, dotted + ".gz"):
        if (directory / name).is_file():
            return directory / name
    raise FileNotFoundError(
        f"MNIST file {base!r} (or {base + '.gz'!r}) not found in {os.fspath(directory)!r}; "
        "this package never downloads it: put the four standard IDX files there"
    )


def load_mnist(
    directory: str | os.PathLike,
) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]:
    """Load MNIST from the four standard IDX files in ``directory`` (no download).

    Looks for ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each plain or ``.gz``.

    Parameters
    ----------
    directory : str or path-like
        The folder holding the four files.

    Returns
    -------
    X_trn : ndarray, shape (n_trn, rows * cols) = (60000, 784) for MNIST, float64 in 0..1
        Pixels divided by 255, as in the lecture (``astype("float") / 255.0``).
    y_trn : ndarray, shape (n_trn,), int64
        The training labels.
    X_tst : ndarray, shape (n_tst, rows * cols), float64
        The test images, as ``X_trn``.
    y_tst : ndarray, shape (n_tst,), int64
        The test labels.

    Raises
    ------
    FileNotFoundError
        Naming the first missing file.
    ValueError
        If a file is malformed or images and labels disagree in count.
    """
    directory = Path(directory)
    paths = [_find_mnist_file(directory, base) for base in _MNIST_FILES]
    out = []
    for img_path, lbl_path in (paths[:2], paths[2:]):
        images, labels = read_idx(img_path), read_idx(lbl_path)
        if images.ndim != 3 or labels.ndim != 1:
            raise ValueError(
                f"expected 3-D images and 1-D labels, got {images.shape} from "
                f"{img_path.name} and {labels.shape} from {lbl_path.name}"
            )
        if images.shape[0] != labels.shape[0]:
            raise ValueError(
                f"{img_path.name} has {images.shape[0]} images but {lbl_path.name} "
                f"has {labels.shape[0]} labels"
            )
        X = images.reshape(images.shape[0], -1).astype(np.float64) / 255.0
        out += [X, labels.astype(np.int64)]
    X_trn, y_trn, X_tst, y_tst = out
    return X_trn, y_trn, X_tst, y_tst

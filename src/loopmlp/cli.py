"""The ``loopmlp`` command line: the lecture's experiments on any backend.

Subcommands (``loopmlp SUBCOMMAND --help`` for each one's options):

``bench``
    Benchmark the backends (``loopmlp.benchreport``; listed only when that module exists).
``pixels``
    Missing-pixel prediction (week 7): a 60-6-4 net predicts the centre 2x2 of every 8x8
    block from the 60 pixels around it; whole-image MSE against the zeroed holes and a
    bilinear fill.
``digits``
    scikit-learn's 8x8 digits (64-32-10), or MNIST from IDX files (``--mnist DIR``,
    784-512-10), with one-hot targets on sigmoid outputs.
``xor``
    The backpropagation XOR network (2-3-1).
``perceptron``
    The lecture's perceptron on AND, OR or XOR.

The network commands share one training driver (:func:`train_network`): one
``train_epoch`` call per epoch, a tqdm progress bar showing the epoch MSE (on a
terminal, unless ``--quiet``), and lecture-style ``Epoch MSE = ...`` lines with
``--verbose``. They save artifacts to ``--out DIR`` (default ``loopmlp-out/COMMAND``;
``--no-out`` writes nothing): ``metrics.json``, ``model.npz``, ``loss.png`` and
command-specific pictures. ``--save FILE.npz`` / ``--load FILE.npz`` store and restore a
trained model (:func:`save_model`, :func:`load_model`).

Exit codes: 0 success; 2 bad arguments or unusable input (argparse usage errors, a model
file that is not a loopmlp model or does not fit the command's net, missing or
malformed data files); 1 a backend that cannot load; 130 interrupted.

Only the standard library is imported at module level; numpy, the backends,
matplotlib, scikit-learn and scikit-image load inside the subcommand that needs them, so
``loopmlp --help`` is quick.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
import time
from pathlib import Path

MODEL_FORMAT = "loopmlp-model"
MODEL_VERSION = 1
DEFAULT_OUT_ROOT = "loopmlp-out"

# The lecture's settings, and the ones chosen here where the lecture's did not suffice.
# 000: 60-6-4, lrate 0.1, 50 epochs. 004's digits net was 64-4-10 (accuracy 0.88);
# 64-32-10 reaches ~0.97. 004's XOR net was 2-2-1; 2-3-1 learns XOR reliably.
PIXELS_DEFAULTS = {"hidden": 6, "lrate": 0.1, "epochs": 50, "init": "lecture"}
DIGITS_DEFAULTS = {"hidden": 32, "lrate": 0.1, "epochs": 100, "init": "lecture"}
XOR_DEFAULTS = {"hidden": 3, "lrate": 0.5, "epochs": 4000, "init": "lecture"}
# 003: 784-512-10. With 784 inputs and 512 hidden units the lecture init saturates every
# sigmoid and the net stays at chance, so MNIST scales the initial weights by
# 1/sqrt(fan-in) (on 28x28-upscaled 8x8 digits: 0.10 -> 0.93 after 5 epochs).
MNIST_DEFAULTS = {"hidden": 512, "lrate": 0.1, "epochs": 5, "init": "scaled"}
PERCEPTRON_DEFAULTS = {"lrate": 0.1, "epochs": 20}                 # 004: alpha 0.1, 20

# The lecture slide's whole-image MSEs for its own test photo ("balloon_small").
SLIDE_HOLES_MSE = 1585.2
SLIDE_NETWORK_MSE = 21.5


class CLIError(Exception):
    """A user-facing error: printed as ``loopmlp CMD: error: MESSAGE``, exit ``code``."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------------------
# Argument types
# --------------------------------------------------------------------------------------


def _int_at_least(lo: int, what: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be an integer, got {text!r}")
        if value < lo:
            raise argparse.ArgumentTypeError(f"{what} must be >= {lo}, got {value}")
        return value

    parse.__name__ = what  # argparse names the type in some messages
    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}")
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


_epochs_type = _int_at_least(0, "epochs")
_hidden_type = _int_at_least(1, "hidden")
_seed_type = _int_at_least(0, "seed")
_count_type = _int_at_least(1, "count")


# --------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------


def _network_options(defaults: dict, command: str, hidden_note: str = "",
                     init_note: str = "") -> argparse.ArgumentParser:
    """The options every network subcommand shares, as a parent parser."""
    from . import BACKENDS

    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("training")
    g.add_argument("--backend", choices=BACKENDS, default="numba",
                   help="kernel backend (default: numba); python/numba/cython give "
                        "bit-identical results, numpy agrees within ~1e-12")
    g.add_argument("--seed", type=_seed_type, default=0,
                   help="seed for the initial weights (and the data split) (default: 0)")
    g.add_argument("--epochs", type=_epochs_type, default=None,
                   help=f"training epochs, 0 = evaluate only (default: {defaults['epochs']})")
    g.add_argument("--hidden", type=_hidden_type, default=None,
                   help=f"hidden units (default: {defaults['hidden']}{hidden_note}; "
                        "taken from the file with --load)")
    g.add_argument("--lrate", type=_positive_float, default=None,
                   help=f"learning rate (default: {defaults['lrate']})")
    g.add_argument("--init", choices=("lecture", "scaled"), default=None,
                   help="initial weights: 'lecture' = uniform in [-1, 1) "
                        "(loopmlp.init_weights), 'scaled' = the same divided by "
                        f"sqrt(fan-in) (default: {defaults['init']}{init_note})")
    g = p.add_argument_group("output")
    g.add_argument("--out", metavar="DIR", default=None,
                   help=f"directory for artifacts (default: {DEFAULT_OUT_ROOT}/{command} "
                        "in the current directory)")
    g.add_argument("--no-out", action="store_true",
                   help="write no artifacts")
    g.add_argument("--save", metavar="FILE.npz", default=None,
                   help="save the trained model (weights, shapes and settings)")
    g.add_argument("--load", metavar="FILE.npz", default=None,
                   help="start from a saved model (with --epochs 0: just evaluate it)")
    g.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar and no per-epoch output")
    g.add_argument("-v", "--verbose", action="store_true",
                   help="print the lecture's 'Epoch MSE = ...' line every epoch")
    return p


def build_parser() -> argparse.ArgumentParser:
    """The ``loopmlp`` argument parser (subcommand ``bench`` only if benchreport exists)."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="loopmlp",
        description="The neural-networks lecture's MLP experiments on the python, numba, "
                    "cython or numpy backend.",
        epilog="Exit codes: 0 ok, 2 bad arguments or unusable input (including a --load "
               "file that is not a loopmlp model or does not fit the net), 1 a backend "
               "that cannot load. Artifacts go to loopmlp-out/COMMAND unless --out DIR "
               "or --no-out.",
    )
    parser.add_argument("--version", action="version", version=f"loopmlp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    # bench first; its module is optional (another issue), and only its absence is silent.
    try:
        benchreport = importlib.import_module("loopmlp.benchreport")
    except ModuleNotFoundError as e:
        if e.name not in ("loopmlp.benchreport",):
            raise
        benchreport = None
    if benchreport is not None:
        benchreport.add_parser(sub)
        if "bench" in sub.choices:
            sub.choices["bench"].set_defaults(_run=benchreport.run,
                                              _parser=sub.choices["bench"])

    # pixels
    p = sub.add_parser(
        "pixels", parents=[_network_options(PIXELS_DEFAULTS, "pixels")],
        help="missing-pixel prediction with a 60-H-4 net (lecture: 60-6-4)",
        description="Predict the centre 2x2 of every 8x8 block from its 60 other pixels "
                    "(the lecture's missing-pixels experiment), then report the test "
                    "image's whole-image MSE in grey levels for the zeroed holes, a "
                    "bilinear fill and the network. Default data: 12 training + 1 test "
                    "photos bundled with scikit-image (296x296). Artifacts: original.png, "
                    "holes.png, bilinear.png, reconstructed.png, error.png, loss.png, "
                    "metrics.json, model.npz.")
    g = p.add_argument_group("data")
    g.add_argument("--train", nargs="+", metavar="FILE", default=None,
                   help="training images (PNG/JPEG/BMP/TIFF, or the lecture's raw dbl_buf "
                        "files); default: scikit-image's sample photos")
    g.add_argument("--test", metavar="FILE", default=None,
                   help="test image (required with --train); default: scikit-image's "
                        "'chelsea'")
    g.add_argument("--max-blocks", type=_count_type, default=None, metavar="N",
                   help="train on N evenly spaced blocks only (default: all)")
    p.set_defaults(_run=run_pixels, _parser=p)

    # digits
    p = sub.add_parser(
        "digits", parents=[_network_options(DIGITS_DEFAULTS, "digits",
                                            f", {MNIST_DEFAULTS['hidden']} with --mnist",
                                            f", {MNIST_DEFAULTS['init']} with --mnist")],
        help="handwritten digits: sklearn 8x8 (64-32-10) or MNIST (--mnist, 784-512-10)",
        description="Classify digits with sigmoid outputs trained on one-hot targets by "
                    "squared error. Default: scikit-learn's 8x8 digits, stratified 75/25 "
                    "split seeded by --seed. With --mnist DIR: MNIST from its four IDX "
                    f"files (plain or .gz; never downloaded), defaults hidden "
                    f"{MNIST_DEFAULTS['hidden']}, lrate {MNIST_DEFAULTS['lrate']}, epochs "
                    f"{MNIST_DEFAULTS['epochs']}, init {MNIST_DEFAULTS['init']}. Prints "
                    "scikit-learn's classification report. Artifacts: confusion.png, "
                    "loss.png, metrics.json, model.npz.")
    g = p.add_argument_group("data")
    g.add_argument("--mnist", metavar="DIR", default=None,
                   help="train on MNIST IDX files in DIR instead of the 8x8 digits")
    g.add_argument("--max-samples", type=_count_type, default=None, metavar="N",
                   help="train on the first N training samples only (default: all)")
    p.set_defaults(_run=run_digits, _parser=p)

    # xor
    p = sub.add_parser(
        "xor", parents=[_network_options(XOR_DEFAULTS, "xor")],
        help="the backpropagation XOR network (2-3-1)",
        description="Train the MLP on XOR and print each point like the lecture: "
                    "'[INFO] data=[0 1], ground-truth=1, pred=0.9726, step=1'. "
                    "Artifacts: loss.png, metrics.json, model.npz.")
    p.set_defaults(_run=run_xor, _parser=p)

    # perceptron
    p = sub.add_parser(
        "perceptron", help="the lecture's perceptron on a logic gate (and, or, xor)",
        description="Train the lecture's perceptron on a two-input logic gate and print "
                    "its prediction for each point. It learns AND and OR; it cannot learn "
                    "XOR (not linearly separable), which is the lecture's point.")
    p.add_argument("gate", choices=("and", "or", "xor"), help="the logic gate")
    p.add_argument("--epochs", type=_epochs_type, default=PERCEPTRON_DEFAULTS["epochs"],
                   help=f"epochs (default: {PERCEPTRON_DEFAULTS['epochs']})")
    p.add_argument("--lrate", "--alpha", dest="lrate", type=_positive_float,
                   default=PERCEPTRON_DEFAULTS["lrate"],
                   help=f"learning rate alpha (default: {PERCEPTRON_DEFAULTS['lrate']})")
    p.add_argument("--seed", type=_seed_type, default=0,
                   help="seed for the initial weights (default: 0)")
    p.set_defaults(_run=run_perceptron, _parser=p)
    return parser


# --------------------------------------------------------------------------------------
# The shared training driver
# --------------------------------------------------------------------------------------


def train_network(k, X, Y, weights, lrate: float, epochs: int, *, desc: str = "train",
                  quiet: bool = False, verbose: bool = False, stream=None):
    """Train ``weights = [wh, bh, wo, bo]`` in place: one ``k.train_epoch`` call per epoch.

    Shows a tqdm bar with the latest epoch MSE on ``stream`` (default ``sys.stderr``) when
    it is a terminal and not ``quiet``; with ``verbose`` (and not ``quiet``) prints the
    lecture's ``Epoch i of n`` / ``Epoch MSE = ...`` lines to stdout. Returns the epoch
    MSEs as a float64 array of length ``epochs``.
    """
    import numpy as np

    stream = sys.stderr if stream is None else stream
    show_bar = not quiet and epochs > 0 and _isatty(stream)
    wh, bh, wo, bo = weights
    mses = np.zeros(epochs)
    bar = None
    if show_bar:
        from tqdm import tqdm

        bar = tqdm(total=epochs, desc=desc, unit="epoch", file=stream, leave=False,
                   dynamic_ncols=True)
    try:
        for epoch in range(epochs):
            mse = k.train_epoch(X, Y, wh, bh, wo, bo, lrate)
            mses[epoch] = mse
            if verbose and not quiet:
                line = f"Epoch {epoch + 1} of {epochs}\nEpoch MSE = {mse}"
                if bar is not None:
                    bar.write(line, file=sys.stdout)
                else:
                    print(line)
            if bar is not None:
                # refresh at least on the last epoch, so short runs show their final MSE
                bar.set_postfix_str(f"mse={mse:.6g}", refresh=epoch == epochs - 1)
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return mses


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


# --------------------------------------------------------------------------------------
# Saved models
# --------------------------------------------------------------------------------------


def save_model(path, weights, meta: dict) -> None:
    """Write ``wh, bh, wo, bo`` and ``meta`` (JSON: shapes and settings) to an ``.npz``."""
    import numpy as np

    wh, bh, wo, bo = weights
    meta = {"format": MODEL_FORMAT, "version": MODEL_VERSION,
            "net": [int(wh.shape[1]), int(wh.shape[0]), int(wo.shape[0])], **meta}
    path = Path(path)
    if path.parent != Path(""):
        path.parent.mkdir(parents=True, exist_ok=True)
    # Through a file object so numpy does not append a second ".npz".
    with open(path, "wb") as fid:
        np.savez(fid, wh=wh, bh=bh, wo=wo, bo=bo, meta=np.array(json.dumps(meta)))


def load_model(path, command: str | None = None, n_in: int | None = None,
               n_out: int | None = None, hidden: int | None = None):
    """Read a model written by :func:`save_model`; returns ``([wh, bh, wo, bo], meta)``.

    Raises :class:`CLIError` (exit code 2) if the file is missing, not a loopmlp model, or
    its net does not fit ``n_in``/``n_out`` (and ``hidden``, if given).
    """
    import numpy as np

    name = os.fspath(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            files = set(z.files)
            if not {"wh", "bh", "wo", "bo", "meta"} <= files:
                raise CLIError(f"{name!r} is not a loopmlp model (it has arrays "
                               f"{sorted(files)}; expected wh, bh, wo, bo, meta)")
            meta = json.loads(str(z["meta"][()]))
            weights = [np.ascontiguousarray(z[key], dtype=np.float64)
                       for key in ("wh", "bh", "wo", "bo")]
    except CLIError:
        raise
    except FileNotFoundError:
        raise CLIError(f"model file {name!r} not found")
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError) as e:
        raise CLIError(f"{name!r} is not a loopmlp model ({type(e).__name__}: {e})")
    if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT:
        raise CLIError(f"{name!r} is not a loopmlp model (no '{MODEL_FORMAT}' metadata)")
    wh, bh, wo, bo = weights
    if not (wh.ndim == 2 and wo.ndim == 2 and bh.shape == (wh.shape[0],)
            and wo.shape[1] == wh.shape[0] and bo.shape == (wo.shape[0],)):
        raise CLIError(f"{name!r} is a damaged loopmlp model: inconsistent shapes wh "
                       f"{wh.shape}, bh {bh.shape}, wo {wo.shape}, bo {bo.shape}")
    f_in, f_hid, f_out = wh.shape[1], wh.shape[0], wo.shape[0]
    want_hid = "H" if hidden is None else str(hidden)
    if ((n_in is not None and f_in != n_in) or (n_out is not None and f_out != n_out)
            or (hidden is not None and f_hid != hidden)):
        origin = meta.get("command", "?")
        raise CLIError(
            f"model {name!r} has net {f_in}-{f_hid}-{f_out} (trained by 'loopmlp {origin}'), "
            f"but 'loopmlp {command}' needs {n_in}-{want_hid}-{n_out}")
    return weights, meta


# --------------------------------------------------------------------------------------
# Helpers shared by the network commands
# --------------------------------------------------------------------------------------


def _resolve(args, defaults: dict) -> None:
    for key in ("hidden", "lrate", "epochs", "init"):
        if getattr(args, key) is None:
            setattr(args, key, defaults[key])


def _backend(name: str):
    import loopmlp

    try:
        return loopmlp.get_backend(name)
    except ImportError as e:
        raise CLIError(str(e), code=1)


def _out_dir(args) -> Path | None:
    if args.no_out:
        return None
    out = Path(args.out) if args.out else Path(DEFAULT_OUT_ROOT) / args.command
    out.mkdir(parents=True, exist_ok=True)
    return out


def _weights(args, n_in: int, n_out: int, explicit_hidden: int | None):
    """Fresh seeded weights, or the --load model (checked against the net); plus prior epochs."""
    import loopmlp

    if args.load:
        weights, meta = load_model(args.load, args.command, n_in, n_out, explicit_hidden)
        args.hidden = int(weights[0].shape[0])
        return weights, int(meta.get("total_epochs", meta.get("epochs", 0)) or 0)
    weights = list(loopmlp.init_weights(n_in, args.hidden, n_out, seed=args.seed))
    if args.init == "scaled":
        weights[0] /= math.sqrt(n_in)
        weights[2] /= math.sqrt(args.hidden)
    return weights, 0


def _settings(args, prior_epochs: int, **extra) -> dict:
    s = {"command": args.command, "backend": args.backend, "seed": args.seed,
         "epochs": args.epochs, "total_epochs": prior_epochs + args.epochs,
         "hidden": args.hidden, "lrate": args.lrate, "init": args.init,
         "loaded_from": args.load}
    s.update(extra)
    return s


def _finish(args, out: Path | None, weights, settings: dict, results: dict,
            timing: dict, mses) -> None:
    """Write metrics.json, model.npz and loss.png to ``out``; the --save model."""
    from . import __version__

    meta = {**settings, "loopmlp_version": __version__}
    if args.save:
        save_model(args.save, weights, meta)
    if out is None:
        return
    save_model(out / "model.npz", weights, meta)
    metrics = {"settings": settings, "results": results, "timing_s": timing}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    if len(mses):
        _plot_loss(out / "loss.png", mses, f"loopmlp {args.command} ({args.backend})")


def _figure(figsize=(6, 4)):
    # The object-oriented API with the Agg canvas: no pyplot, no global backend change.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _plot_loss(path: Path, mses, title: str) -> None:
    import numpy as np

    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(np.arange(1, len(mses) + 1), mses)
    ax.set_xlabel("Epoch")
    ax.set_ylabel("MSE")
    ax.set_title(title)
    if len(mses) > 1 and np.all(np.asarray(mses) > 0):
        ax.set_yscale("log")
    fig.tight_layout()
    fig.savefig(path)


def _save_gray(path: Path, img, vmin: float = 0.0, vmax: float = 255.0, cmap="gray") -> None:
    import matplotlib.image

    matplotlib.image.imsave(path, img, cmap=cmap, vmin=vmin, vmax=vmax)


def _fmt_s(seconds: float) -> str:
    return f"{seconds:.2f} s"


# --------------------------------------------------------------------------------------
# pixels
# --------------------------------------------------------------------------------------


def _load_images(files):
    from . import data

    images = []
    for f in files:
        try:
            images.append(data.load_image(f))
        except FileNotFoundError:
            raise CLIError(f"image file {f!r} not found")
        except (OSError, ValueError) as e:
            raise CLIError(f"cannot read image {f!r}: {e}")
    return images


def run_pixels(args) -> int:
    import numpy as np

    from . import data

    explicit_hidden = args.hidden
    _resolve(args, PIXELS_DEFAULTS)
    if args.train and not args.test:
        raise CLIError("--train needs --test FILE (the image to reconstruct)")

    t0 = time.perf_counter()
    if args.train:
        train_imgs, train_names = _load_images(args.train), list(args.train)
    else:
        train_imgs, _, names = data.sample_images()
        train_names = [f"skimage:{n}" for n in names[:-1]]
    if args.test:
        (test_img,), test_name = _load_images([args.test]), args.test
    else:
        test_img, test_name = data.sample_images()[1], f"skimage:{data.SAMPLE_TEST_NAME}"

    parts = [data.parse_img(img) for img in train_imgs]
    X = np.concatenate([x for x, _ in parts])
    Y = np.concatenate([y for _, y in parts])
    if len(X) == 0:
        raise CLIError("the training images have no full 8x8 block (each side must be >= 8)")
    if args.max_blocks is not None and args.max_blocks < len(X):
        idx = np.linspace(0, len(X) - 1, args.max_blocks).round().astype(np.int64)
        X, Y = np.ascontiguousarray(X[idx]), np.ascontiguousarray(Y[idx])
    X_tst, Y_tst = data.parse_img(test_img)
    if len(X_tst) == 0:
        raise CLIError(f"test image {test_name!r} ({test_img.shape[1]}x{test_img.shape[0]}) "
                       "has no full 8x8 block")
    t_data = time.perf_counter() - t0

    k = _backend(args.backend)
    weights, prior = _weights(args, data.NUM_INP_NODES, data.NUM_OUT_NODES, explicit_hidden)
    n_in, n_hid, n_out = data.NUM_INP_NODES, args.hidden, data.NUM_OUT_NODES
    if not args.quiet:
        print(f"pixels: {n_in}-{n_hid}-{n_out} net, backend {args.backend}, seed {args.seed}, "
              f"lrate {args.lrate}, {args.epochs} epochs on {len(X)} blocks from "
              f"{len(train_imgs)} image(s); test {test_name}")

    t1 = time.perf_counter()
    mses = train_network(k, X, Y, weights, args.lrate, args.epochs, desc="pixels",
                         quiet=args.quiet, verbose=args.verbose)
    t_train = time.perf_counter() - t1

    t2 = time.perf_counter()
    Y_hat = k.predict(X_tst, *weights)
    t_pred = time.perf_counter() - t2
    rec = data.reconstruct(test_img, Y_hat)
    holes = data.with_holes(test_img)
    bilin = data.bilinear_fill(test_img)
    results = {
        "n_train_blocks": int(len(X)),
        "n_test_blocks": int(len(X_tst)),
        "test_image": test_name,
        "test_shape": list(test_img.shape),
        "holes_mse": data.mse(holes, test_img),
        "bilinear_mse": data.mse(bilin, test_img),
        "network_mse": data.mse(rec, test_img),
        "test_block_mse": float(np.mean((Y_hat - Y_tst) ** 2)),
        "final_epoch_mse": float(mses[-1]) if len(mses) else None,
        "epoch_mse": [float(m) for m in mses],
        "slide_holes_mse": SLIDE_HOLES_MSE,
        "slide_network_mse": SLIDE_NETWORK_MSE,
    }
    timing = {"data": t_data, "train": t_train, "predict": t_pred}
    settings = _settings(args, prior, max_blocks=args.max_blocks,
                         train_images=train_names)
    out = _out_dir(args)
    if out is not None:
        err = np.abs(rec - test_img)
        _save_gray(out / "original.png", test_img)
        _save_gray(out / "holes.png", holes)
        _save_gray(out / "bilinear.png", bilin)
        _save_gray(out / "reconstructed.png", rec)
        _save_gray(out / "error.png", err, vmax=max(1.0, float(err.max())), cmap="magma")
    _finish(args, out, weights, settings, results, timing, mses)

    r = results
    if r["final_epoch_mse"] is not None:
        print(f"Final epoch MSE (train, 0..1 scale) = {r['final_epoch_mse']:.6g}")
    print(f"Whole-image MSE on {test_name} (grey levels^2):")
    print(f"  holes zeroed      {r['holes_mse']:10.1f}   (slide: {SLIDE_HOLES_MSE}, "
          "on the lecture's own photo)")
    print(f"  bilinear fill     {r['bilinear_mse']:10.1f}")
    print(f"  network           {r['network_mse']:10.1f}   (slide: {SLIDE_NETWORK_MSE}, "
          "on the lecture's own photo)")
    print(f"Time: train {_fmt_s(t_train)}, predict {_fmt_s(t_pred)}, data {_fmt_s(t_data)}")
    _print_saved(args, out)
    return 0


def _print_saved(args, out) -> None:
    if args.save:
        print(f"Model saved to {args.save}")
    if out is not None and not args.quiet:
        print(f"Artifacts in {out}")


# --------------------------------------------------------------------------------------
# digits
# --------------------------------------------------------------------------------------


def run_digits(args) -> int:
    import numpy as np

    from . import data

    explicit_hidden = args.hidden
    _resolve(args, MNIST_DEFAULTS if args.mnist else DIGITS_DEFAULTS)

    t0 = time.perf_counter()
    if args.mnist:
        try:
            X_trn, y_trn, X_tst, y_tst = data.load_mnist(args.mnist)
        except FileNotFoundError as e:
            raise CLIError(str(e).strip('"'))
        except (OSError, ValueError) as e:
            raise CLIError(f"cannot read MNIST from {args.mnist!r}: {e}")
        dataset = "mnist"
    else:
        X_trn, X_tst, y_trn, y_tst = data.digits_split(args.seed)
        dataset = "digits"
    if args.max_samples is not None:
        X_trn, y_trn = X_trn[: args.max_samples], y_trn[: args.max_samples]
    n_classes = 10
    for name, y in (("training", y_trn), ("test", y_tst)):
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise CLIError(f"{name} labels must be 0..9, got {y.min()}..{y.max()}")
    X_trn = np.ascontiguousarray(X_trn, dtype=np.float64)
    X_tst = np.ascontiguousarray(X_tst, dtype=np.float64)
    Y_trn = data.one_hot(y_trn, n_classes)
    t_data = time.perf_counter() - t0

    k = _backend(args.backend)
    n_in = X_trn.shape[1]
    weights, prior = _weights(args, n_in, n_classes, explicit_hidden)
    if not args.quiet:
        print(f"digits: {dataset} {n_in}-{args.hidden}-{n_classes} net, backend "
              f"{args.backend}, seed {args.seed}, lrate {args.lrate}, {args.epochs} epochs "
              f"on {len(X_trn)} samples; {len(X_tst)} test samples")

    t1 = time.perf_counter()
    mses = train_network(k, X_trn, Y_trn, weights, args.lrate, args.epochs, desc=dataset,
                         quiet=args.quiet, verbose=args.verbose)
    t_train = time.perf_counter() - t1

    t2 = time.perf_counter()
    scores = k.predict(X_tst, *weights)
    t_pred = time.perf_counter() - t2
    pred = scores.argmax(axis=1)

    from sklearn.metrics import classification_report, confusion_matrix

    labels = list(range(n_classes))
    accuracy = float(np.mean(pred == y_tst))
    report = classification_report(y_tst, pred, labels=labels, digits=4, zero_division=0)
    report_dict = classification_report(y_tst, pred, labels=labels, output_dict=True,
                                        zero_division=0)
    cm = confusion_matrix(y_tst, pred, labels=labels)
    results = {
        "dataset": dataset,
        "n_train": int(len(X_trn)),
        "n_test": int(len(X_tst)),
        "accuracy": accuracy,
        "final_epoch_mse": float(mses[-1]) if len(mses) else None,
        "epoch_mse": [float(m) for m in mses],
        "confusion_matrix": cm.tolist(),
        "classification_report": report_dict,
        "test_predictions": pred.tolist(),
    }
    timing = {"data": t_data, "train": t_train, "predict": t_pred}
    settings = _settings(args, prior, dataset=dataset, mnist_dir=args.mnist,
                         max_samples=args.max_samples)
    out = _out_dir(args)
    if out is not None:
        _plot_confusion(out / "confusion.png", cm,
                        f"{dataset}: accuracy {accuracy:.4f} ({args.backend})")
    _finish(args, out, weights, settings, results, timing, mses)

    print(report)
    if results["final_epoch_mse"] is not None:
        print(f"Final epoch MSE (train) = {results['final_epoch_mse']:.6g}")
    print(f"Test accuracy = {accuracy:.4f} ({int(np.sum(pred == y_tst))}/{len(y_tst)})"
          + ("   (lecture's 64-4-10: 0.88)" if dataset == "digits" else ""))
    print(f"Time: train {_fmt_s(t_train)}, predict {_fmt_s(t_pred)}, data {_fmt_s(t_data)}")
    _print_saved(args, out)
    return 0


def _plot_confusion(path: Path, cm, title: str) -> None:
    fig = _figure((6, 5.5))
    ax = fig.add_subplot()
    im = ax.imshow(cm, cmap="Blues")
    fig.colorbar(im, ax=ax)
    n = cm.shape[0]
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    ax.set_title(title)
    high = cm.max() / 2 if cm.size else 0
    for i in range(n):
        for j in range(n):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=8,
                    color="white" if cm[i, j] > high else "black")
    fig.tight_layout()
    fig.savefig(path)


# --------------------------------------------------------------------------------------
# xor
# --------------------------------------------------------------------------------------


def run_xor(args) -> int:
    import numpy as np

    from .workloads import XOR_X, XOR_Y

    explicit_hidden = args.hidden
    _resolve(args, XOR_DEFAULTS)
    k = _backend(args.backend)
    weights, prior = _weights(args, 2, 1, explicit_hidden)
    if not args.quiet:
        print(f"xor: 2-{args.hidden}-1 net, backend {args.backend}, seed {args.seed}, "
              f"lrate {args.lrate}, {args.epochs} epochs")

    t1 = time.perf_counter()
    mses = train_network(k, XOR_X, XOR_Y, weights, args.lrate, args.epochs, desc="xor",
                         quiet=args.quiet, verbose=args.verbose)
    t_train = time.perf_counter() - t1
    preds = k.predict(XOR_X, *weights)[:, 0]
    steps = (preds > 0.5).astype(int)
    truth = XOR_Y[:, 0].astype(int)
    learned = bool(np.all(steps == truth))
    for x, target, pred, step in zip(XOR_X.astype(int), truth, preds, steps):
        print(f"[INFO] data={x}, ground-truth={target}, pred={pred:.4f}, step={step}")

    results = {
        "predictions": [float(p) for p in preds],
        "steps": steps.tolist(),
        "learned": learned,
        "final_epoch_mse": float(mses[-1]) if len(mses) else None,
        "epoch_mse": [float(m) for m in mses],
    }
    out = _out_dir(args)
    _finish(args, out, weights, _settings(args, prior), results, {"train": t_train}, mses)
    final = f", final epoch MSE {mses[-1]:.6g}" if len(mses) else ""
    print(f"XOR {'learned' if learned else 'NOT learned'} (step(pred) matches all four "
          f"targets: {learned}){final}; train {_fmt_s(t_train)}")
    _print_saved(args, out)
    return 0


# --------------------------------------------------------------------------------------
# perceptron
# --------------------------------------------------------------------------------------


def run_perceptron(args) -> int:
    import numpy as np

    from .perceptron import LOGIC_GATES, run_logic_gate

    _, preds = run_logic_gate(args.gate, epochs=args.epochs, alpha=args.lrate,
                              seed=args.seed, verbose=True)
    y = LOGIC_GATES[args.gate][1]
    correct = int(np.sum(preds == y))
    learned = correct == len(y)
    note = ""
    if args.gate == "xor" and not learned:
        note = " - XOR is not linearly separable, so no perceptron can learn it"
    print(f"Perceptron {'learned' if learned else 'did NOT learn'} {args.gate.upper()}: "
          f"{correct}/{len(y)} points correct{note}")
    return 0


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def main(argv=None) -> int:
    """Run the ``loopmlp`` command line; returns the exit code (argparse errors exit 2)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except CLIError as e:
        if e.code == 2:
            getattr(args, "_parser", parser).error(str(e))  # usage + message, exit 2
        print(f"loopmlp {args.command}: error: {e}", file=sys.stderr)
        return e.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

"""The ``loopmlp`` command line: argument parsing over :mod:`loopmlp.experiments`.

Subcommands (``loopmlp SUBCOMMAND --help`` for each one's options):

``bench``
    Benchmark the backends (``loopmlp.benchreport``; listed only when that module exists).
``pixels``
    Missing-pixel prediction (:mod:`loopmlp.experiments.pixels`).
``digits``
    scikit-learn's 8x8 digits or MNIST (:mod:`loopmlp.experiments.digits`).
``xor``
    The backpropagation XOR network (:mod:`loopmlp.experiments.xor`).
``perceptron``
    The lecture's perceptron on AND, OR or XOR (:mod:`loopmlp.experiments.perceptron`).
``warm``
    Compile the ``numba`` backend's kernels into numba's cache, once, so that no later
    process compiles them (:func:`loopmlp.startup.warm_cache`).

Each command turns its arguments into one call of the experiment's ``run`` and prints the
result's summary; the experiments train through the scikit-learn estimators. Artifacts go
to ``--out DIR`` (default ``loopmlp-out/COMMAND``; ``--no-out`` writes nothing).

Exit codes: 0 success; 2 bad arguments or unusable input (argparse usage errors, a model
file that is not a loopmlp model or does not fit the command's net, missing or
malformed data files, training that diverged); 1 a backend that cannot load; 130
interrupted.

Only the standard library and numpy are imported before a subcommand runs; the
backends, matplotlib, scikit-learn, scikit-image and tqdm load inside it, so
``loopmlp --help`` is quick.
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
from pathlib import Path

DEFAULT_OUT_ROOT = "loopmlp-out"


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
            raise argparse.ArgumentTypeError(f"{what} must be an integer, got {text!r}") from None
        if value < lo:
            raise argparse.ArgumentTypeError(f"{what} must be >= {lo}, got {value}")
        return value

    parse.__name__ = what  # argparse names the type in some messages
    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text!r}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text!r}")
    return value


def _hidden(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(p) for p in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be widths separated by commas, like 60,60; got {text!r}"
        ) from None
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"every width must be >= 1, got {text!r}")
    return sizes


_epochs_type = _int_at_least(0, "epochs")
_seed_type = _int_at_least(0, "seed")
_count_type = _int_at_least(1, "count")


# --------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------


def _fmt_hidden(h) -> str:
    return ",".join(str(n) for n in h)


def _network_options(
    defaults: dict, command: str, mnist: dict | None = None, validation: bool = True
) -> argparse.ArgumentParser:
    """The options every network subcommand shares, as a parent parser."""
    from . import BACKENDS, DEFAULT_BACKEND

    def default(key, fmt=str):
        text = fmt(defaults[key])
        if mnist is not None and mnist[key] != defaults[key]:
            text += f"; {fmt(mnist[key])} with --mnist"
        return f"default: {text}"

    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("the net and its training (a --load model keeps its net)")
    g.add_argument(
        "--backend",
        choices=BACKENDS,
        default=DEFAULT_BACKEND,
        help=f"kernel backend (default: {DEFAULT_BACKEND}); python/numba/cython give "
        "bit-identical results, numpy agrees within ~1e-12",
    )
    g.add_argument(
        "--seed",
        type=_seed_type,
        default=0,
        help="seed of the initial weights, the shuffling and the data and validation splits "
        "(the estimator's random_state; default: 0)",
    )
    g.add_argument(
        "--epochs",
        type=_epochs_type,
        default=None,
        help=f"training epochs, 0 = evaluate the --load model ({default('epochs')})",
    )
    g.add_argument(
        "--hidden",
        type=_hidden,
        default=None,
        metavar="H[,H...]",
        help="hidden widths, one per layer, e.g. 60,60 for two layers of 60 "
        f"({default('hidden', _fmt_hidden)})",
    )
    g.add_argument(
        "--activation",
        choices=("sigmoid", "tanh", "relu"),
        default=None,
        help=f"the hidden units' activation ({default('activation')})",
    )
    g.add_argument(
        "--lrate",
        type=_positive_float,
        default=None,
        help=f"learning rate of plain SGD ({default('lrate')})",
    )
    g.add_argument(
        "--batch-size",
        type=_count_type,
        default=None,
        metavar="B",
        help="samples per step: 1 = online SGD as the lecture's loops, more = "
        f"one step per mean gradient of B rows ({default('batch_size')})",
    )
    g.add_argument(
        "--shuffle",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="visit the rows in a new seeded order each epoch (default: no, "
        "the lecture's loop over the data in order)",
    )
    g.add_argument(
        "--init",
        choices=("lecture", "scaled"),
        default=None,
        help="initial weights: 'lecture' = uniform in [-1, 1), 'scaled' = the "
        f"same divided by sqrt(fan-in) ({default('init')})",
    )
    g.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default=None,
        help="the net's float type (default: float64)",
    )
    g.add_argument(
        "--fma",
        action="store_const",
        const=True,
        default=None,
        help="the FMA mode: every multiply-add of the loops rounds once (default: off, "
        "the lecture's two roundings; a loaded model keeps its mode)",
    )
    if validation:
        g.add_argument(
            "--validation-fraction",
            type=_fraction,
            default=None,
            metavar="F",
            help="hold out F of the training rows, scored after every epoch "
            "(val_loss, val_accuracy) as Keras' validation_split "
            f"({default('validation_fraction')})",
        )
    g = p.add_argument_group("output")
    g.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help=f"directory for artifacts (default: {DEFAULT_OUT_ROOT}/{command} "
        "in the current directory)",
    )
    g.add_argument("--no-out", action="store_true", help="write no artifacts")
    g.add_argument(
        "--save",
        metavar="FILE",
        default=None,
        help="save the trained model (a pickled scikit-learn estimator)",
    )
    g.add_argument(
        "--load",
        metavar="FILE",
        default=None,
        help="start from a saved model (with --epochs 0: just evaluate it); it "
        "is unpickled: load only files you trust",
    )
    g.add_argument(
        "--save-best",
        metavar="FILE",
        default=None,
        help="while training, keep the model of the epoch with the lowest "
        "--monitor value in FILE (Keras' ModelCheckpoint)",
    )
    g.add_argument(
        "--monitor",
        choices=("loss", "val_loss"),
        default="loss",
        help="what --save-best minimises (default: loss, the training loss)",
    )
    g.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar and no per-epoch output"
    )
    g.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="print the lecture's 'Epoch MSE = ...' lines (and the other measures) every epoch",
    )
    return p


def build_parser() -> argparse.ArgumentParser:
    """The ``loopmlp`` argument parser (subcommand ``bench`` only if benchreport exists)."""
    from . import __version__
    from .experiments import digits, perceptron, pixels, xor

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

    # bench first; its module is optional, and only its absence is silent.
    try:
        benchreport = importlib.import_module("loopmlp.benchreport")
    except ModuleNotFoundError as e:
        if e.name not in ("loopmlp.benchreport",):
            raise
        benchreport = None
    if benchreport is not None:
        benchreport.add_parser(sub)
        if "bench" in sub.choices:
            sub.choices["bench"].set_defaults(_run=benchreport.run, _parser=sub.choices["bench"])

    # pixels
    p = sub.add_parser(
        "pixels",
        parents=[_network_options(pixels.DEFAULTS, "pixels")],
        help="missing-pixel prediction, 60-6-4 (or --hidden 60,60: 60-60-60-4)",
        description="Predict the centre 2x2 of every 8x8 block from its 60 other pixels "
        "(the lecture's missing-pixels experiment) with a LoopMLPRegressor "
        "with sigmoid outputs, then report the test image's whole-image MSE "
        "in grey levels squared for the zeroed holes, a bilinear fill and the "
        "network. Default data: 12 training + 1 test photos bundled with "
        "scikit-image (296x296). Artifacts: original.png, holes.png, "
        "bilinear.png, reconstructed.png, error.png, history.png, "
        "metrics.json, model.pkl.",
    )
    g = p.add_argument_group("data")
    g.add_argument(
        "--train",
        nargs="+",
        metavar="FILE",
        default=None,
        help="training images (PNG/JPEG/BMP/TIFF, or the lecture's raw dbl_buf "
        "files); default: scikit-image's sample photos",
    )
    g.add_argument(
        "--test",
        metavar="FILE",
        default=None,
        help="test image (required with --train); default: scikit-image's 'chelsea'",
    )
    g.add_argument(
        "--max-blocks",
        type=_count_type,
        default=None,
        metavar="N",
        help="train on N evenly spaced blocks only (default: all)",
    )
    p.set_defaults(_run=run_pixels, _parser=p)

    # digits
    p = sub.add_parser(
        "digits",
        parents=[_network_options(digits.DEFAULTS, "digits", mnist=digits.MNIST_DEFAULTS)],
        help="handwritten digits: sklearn 8x8 (64-32-10) or MNIST (--mnist, 784-512-10)",
        description="Classify digits with a LoopMLPClassifier: softmax outputs and "
        "cross-entropy. Default: scikit-learn's 8x8 digits, stratified 75/25 "
        "split seeded by --seed. With --mnist DIR: MNIST from its four IDX "
        "files (plain or .gz; never downloaded). Prints scikit-learn's "
        "classification report. Artifacts: report.txt, confusion.png, "
        "history.png (accuracy and loss per epoch, trn and val), metrics.json, "
        "model.pkl.",
    )
    g = p.add_argument_group("data")
    g.add_argument(
        "--mnist",
        metavar="DIR",
        default=None,
        help="train on MNIST IDX files in DIR instead of the 8x8 digits",
    )
    g.add_argument(
        "--max-samples",
        type=_count_type,
        default=None,
        metavar="N",
        help="train on the first N training samples only (default: all)",
    )
    p.set_defaults(_run=run_digits, _parser=p)

    # xor
    p = sub.add_parser(
        "xor",
        parents=[_network_options(xor.DEFAULTS, "xor", validation=False)],
        help="the backpropagation XOR network (2-3-1)",
        description="Train the MLP (a LoopMLPRegressor with a sigmoid output) on XOR and "
        "print each point like the lecture: "
        "'[INFO] data=[0 1], ground-truth=1, pred=0.9726, step=1'. "
        "Artifacts: history.png, metrics.json, model.pkl.",
    )
    p.set_defaults(_run=run_xor, _parser=p)

    # perceptron
    p = sub.add_parser(
        "perceptron",
        help="the lecture's perceptron on a logic gate (and, or, xor)",
        description="Train the lecture's perceptron on a two-input logic gate and print "
        "its prediction for each point. It learns AND and OR; it cannot learn "
        "XOR (not linearly separable), which is the lecture's point.",
    )
    p.add_argument("gate", choices=("and", "or", "xor"), help="the logic gate")
    p.add_argument(
        "--epochs",
        type=_epochs_type,
        default=perceptron.DEFAULTS["epochs"],
        help=f"epochs (default: {perceptron.DEFAULTS['epochs']})",
    )
    p.add_argument(
        "--lrate",
        "--alpha",
        dest="lrate",
        type=_positive_float,
        default=perceptron.DEFAULTS["lrate"],
        help=f"learning rate alpha (default: {perceptron.DEFAULTS['lrate']})",
    )
    p.add_argument(
        "--seed", type=_seed_type, default=0, help="seed for the initial weights (default: 0)"
    )
    p.set_defaults(_run=run_perceptron, _parser=p)

    # warm
    p = sub.add_parser(
        "warm",
        help="compile the numba backend's kernels into numba's cache, once",
        description="Compile the numba backend's kernels for the usual calls (the lecture's "
        "kernels; nets of one and two hidden layers, float64 and float32, trained online "
        "and in mini-batches) into numba's cache (NUMBA_CACHE_DIR, else next to loopmlp's "
        "installed source), so that no later process compiles them. Takes about a minute; "
        "run it again after upgrading loopmlp or numba.",
    )
    p.add_argument(
        "--dtypes",
        default="float64,float32",
        metavar="LIST",
        help="the nets' float types (default: %(default)s)",
    )
    p.add_argument(
        "--layers",
        default="2,3",
        metavar="LIST",
        help="the nets' numbers of weight layers, 2 for one hidden layer (default: %(default)s)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print only the counts")
    p.set_defaults(_run=run_warm, _parser=p)
    return parser


# --------------------------------------------------------------------------------------
# The commands: arguments -> one experiment call -> its summary
# --------------------------------------------------------------------------------------


def _common(args) -> dict:
    """The network options as keyword arguments of an experiment's ``run``."""
    out = None if args.no_out else Path(args.out or Path(DEFAULT_OUT_ROOT) / args.command)
    quiet = args.quiet
    return dict(
        hidden=args.hidden,
        activation=args.activation,
        lrate=args.lrate,
        epochs=args.epochs,
        batch_size=args.batch_size,
        shuffle=args.shuffle,
        init=args.init,
        dtype=args.dtype,
        fma=args.fma,
        backend=args.backend,
        seed=args.seed,
        out=out,
        save=args.save,
        load=args.load,
        save_best=args.save_best,
        monitor=args.monitor,
        progress=not quiet and _isatty(sys.stderr),
        verbose=args.verbose and not quiet,
        log=None if quiet else print,
    )


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def run_pixels(args) -> int:
    from .experiments import pixels

    result = pixels.run(
        train=args.train,
        test=args.test,
        max_blocks=args.max_blocks,
        validation_fraction=args.validation_fraction,
        **_common(args),
    )
    print(result.summary)
    return 0


def run_digits(args) -> int:
    from .experiments import digits

    result = digits.run(
        mnist=args.mnist,
        max_samples=args.max_samples,
        validation_fraction=args.validation_fraction,
        **_common(args),
    )
    print(result.summary)
    return 0


def run_xor(args) -> int:
    from .experiments import xor

    result = xor.run(**_common(args))
    print(result.summary)
    return 0


def run_perceptron(args) -> int:
    from .experiments import perceptron

    result = perceptron.run(args.gate, epochs=args.epochs, lrate=args.lrate, seed=args.seed)
    print(result.summary)
    return 0


def run_warm(args) -> int:
    from . import startup

    dtypes = [s.strip() for s in args.dtypes.split(",") if s.strip()]
    bad = [d for d in dtypes if d not in ("float64", "float32")]
    try:
        layers = [int(s) for s in args.layers.split(",") if s.strip()]
    except ValueError:
        raise CLIError(f"--layers must be integers, got {args.layers!r}") from None
    if bad or not dtypes:
        raise CLIError(f"--dtypes must be float64 and/or float32, got {args.dtypes!r}")
    if not layers or min(layers) < 1:
        raise CLIError(f"--layers must be integers >= 1, got {args.layers!r}")
    say = None if args.quiet else (lambda text: print(text, file=sys.stderr))
    try:
        counts = startup.warm_cache(dtypes=dtypes, layers=layers, progress=say)
    except ImportError as e:
        print(f"loopmlp warm: error: {e}", file=sys.stderr)
        return 1
    print(
        f"numba's cache: {counts['compiled']} kernel overloads compiled and saved, "
        f"{counts['loaded']} already there"
    )
    return 0


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def main(argv=None) -> int:
    """Run the ``loopmlp`` command line; returns the exit code (argparse errors exit 2)."""
    from .experiments.common import ExperimentError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except (CLIError, ExperimentError) as e:
        code = e.code if isinstance(e, CLIError) else e.exit_code
        if code == 2:
            getattr(args, "_parser", parser).error(str(e))  # usage + message, exit 2
        print(f"loopmlp {args.command}: error: {e}", file=sys.stderr)
        return code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

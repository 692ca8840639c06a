"""What the network experiments share: settings, model files, results, output folders.

* **Settings.** Each experiment has one ``DEFAULTS`` dict (the lecture's values, or the
  ones chosen where the lecture's did not suffice, each with its reason); :func:`resolve`
  fills in what the caller left ``None``: from a loaded model first, else from the
  defaults.
* **The estimator.** :func:`make_estimator` builds the ``LoopMLPClassifier`` or
  ``LoopMLPRegressor`` an experiment trains; :func:`prepare` builds it or loads it
  (``load=FILE``) and checks that a loaded one fits the experiment's net.
* **Model files.** A pickled estimator inside a small dict with the experiment's metadata
  (:func:`save_model`, :func:`load_model`): it loads on any backend and predicts the same
  bits. Unpickling runs code from the file: load only models you trust.
* **Results.** :class:`ExperimentResult` is what every ``run`` returns;
  :func:`write_outputs` writes ``model.pkl``, ``metrics.json`` and ``history.png``.
"""

from __future__ import annotations

import json
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MODEL_FORMAT = "loopmlp-model"
MODEL_VERSION = 2  # 1: loopmlp 0.1's .npz files of wh, bh, wo, bo (no longer read)

# The settings every network experiment has; None in a call means "the default".
NET_KEYS = (
    "hidden",
    "activation",
    "lrate",
    "epochs",
    "batch_size",
    "shuffle",
    "init",
    "dtype",
    "fma",
    "validation_fraction",
)
ACTIVATIONS = ("sigmoid", "tanh", "relu")
INITS = ("lecture", "scaled")
DTYPES = ("float64", "float32")
MONITORS = ("loss", "val_loss")


class ExperimentError(ValueError):
    """Unusable input for an experiment (a bad setting, a missing or unfit file).

    ``exit_code`` is what the command line exits with: 2 (bad input).

    A ``ValueError``; its message says what is wrong. A backend that cannot load raises a
    subclass whose ``exit_code`` is 1.

    Attributes
    ----------
    exit_code : int
        2 for bad input; 1 for a backend that cannot load.

    Examples
    --------
    >>> from loopmlp.experiments import ExperimentError, perceptron
    >>> try:
    ...     perceptron.run("nand")
    ... except ExperimentError as e:
    ...     print(e, e.exit_code)
    gate must be one of ('and', 'or', 'xor'), got 'nand' 2
    """

    exit_code = 2


class BackendError(ExperimentError):
    """A backend that cannot load (for example an unbuilt extension); exit code 1."""

    exit_code = 1


@dataclass
class ExperimentResult:
    """What an experiment's ``run`` returns.

    Attributes
    ----------
    command : str
        ``"pixels"``, ``"digits"``, ``"xor"`` or ``"perceptron"``.
    estimator : LoopMLPClassifier, LoopMLPRegressor or Perceptron
        The trained model.
    history : dict of str -> list of float
        Keras' ``history.history``: per epoch of this run, ``loss`` (the estimator's
        ``loss_curve_``), and where measured ``accuracy``, ``val_loss``, ``val_accuracy``.
    results : dict
        The scores (JSON-able), e.g. ``accuracy`` or ``network_mse``.
    settings : dict
        Every setting the run used, resolved.
    timing : dict of str -> float
        Seconds: ``data``, ``train``, ``predict``.
    paths : dict of str -> Path
        Each file written, by name (``model``, ``metrics``, ``history``, ...).
    summary : str
        The text the command line prints at the end.
    """

    command: str
    estimator: Any
    history: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    timing: dict = field(default_factory=dict)
    paths: dict = field(default_factory=dict)
    summary: str = ""

    def metrics(self) -> dict:
        """``metrics.json``'s content: settings, results, history, timing_s.

        Returns
        -------
        dict
            ``{"settings": ..., "results": ..., "history": ..., "timing_s": ...}``,
            JSON-able.
        """
        return {
            "settings": self.settings,
            "results": self.results,
            "history": self.history,
            "timing_s": self.timing,
        }


# --------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------


def loggers(log, verbose: bool):
    """``(log, say)``: ``log`` the caller's line sink (``print`` with ``verbose`` if none is
    given, else None), ``say`` the same but never None (lines go nowhere without a sink)."""
    log = print if log is None and verbose else log
    return log, (log if log is not None else (lambda line: None))


def parse_hidden(value) -> tuple[int, ...]:
    """``"60,60"``, ``"32"``, ``32`` or ``(60, 60)`` -> a tuple of hidden widths (each >= 1)."""
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
        try:
            sizes = tuple(int(p) for p in parts)
        except ValueError:
            raise ExperimentError(
                f"hidden must be widths separated by commas, like 60,60; got {value!r}"
            ) from None
    elif isinstance(value, int):
        sizes = (value,)
    else:
        sizes = tuple(value)
    if not sizes or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in sizes):
        raise ExperimentError(f"hidden must be one or more widths >= 1, got {value!r}")
    return sizes


def resolve(defaults: dict, given: dict, loaded=None) -> dict:
    """The run's settings: ``given`` where not None, else the loaded model's, else defaults.

    A loaded estimator supplies its net (hidden, activation, dtype, init) and its training
    parameters (lrate, batch size, shuffle); ``epochs`` and ``validation_fraction`` always
    come from ``given`` or the defaults. The values are checked here, once.
    """
    from_model = {}
    if loaded is not None:
        from_model = {
            "hidden": tuple(loaded.net_.sizes[1:-1]),
            "activation": loaded.activation,
            "lrate": loaded.learning_rate_init,
            "batch_size": loaded.batch_size,
            "shuffle": loaded.shuffle,
            "init": loaded.init,
            "dtype": str(loaded.net_.dtype),
            "fma": loaded.net_.fma,
        }
    s = {}
    for key in NET_KEYS:
        value = given.get(key)
        if value is None:
            value = from_model.get(key, defaults[key])
        s[key] = value
    s["hidden"] = parse_hidden(s["hidden"])
    checks = [
        ("activation", s["activation"] in ACTIVATIONS, f"one of {ACTIVATIONS}"),
        ("init", s["init"] in INITS, f"one of {INITS}"),
        ("dtype", s["dtype"] in DTYPES, f"one of {DTYPES}"),
        ("fma", isinstance(s["fma"], bool), "True or False"),
        ("lrate", _real(s["lrate"]) and 0 < s["lrate"] < float("inf"), "a number > 0"),
        ("epochs", _int(s["epochs"]) and s["epochs"] >= 0, "an integer >= 0"),
        ("batch_size", _int(s["batch_size"]) and s["batch_size"] >= 1, "an integer >= 1"),
        (
            "validation_fraction",
            _real(s["validation_fraction"]) and 0 <= s["validation_fraction"] < 1,
            "a number in [0, 1)",
        ),
    ]
    for key, ok, what in checks:
        if not ok:
            raise ExperimentError(f"{key} must be {what}, got {s[key]!r}")
    s["shuffle"] = bool(s["shuffle"])
    s["lrate"] = float(s["lrate"])
    s["validation_fraction"] = float(s["validation_fraction"])
    return s


def _int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _real(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and x == x


def net_name(sizes) -> str:
    """``(60, 6, 4)`` -> ``"60-6-4"``."""
    return "-".join(str(n) for n in sizes)


def check_backend(backend: str) -> None:
    """Load ``backend`` now, so that one that cannot load is a :class:`BackendError`."""
    import loopmlp

    if backend not in loopmlp.BACKENDS:
        raise ExperimentError(f"backend must be one of {loopmlp.BACKENDS}, got {backend!r}")
    try:
        loopmlp.get_backend(backend)
    except ImportError as e:
        raise BackendError(str(e)) from e


# --------------------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------------------


def make_estimator(kind: str, s: dict, backend: str, seed: int, **extra):
    """A fresh ``LoopMLPClassifier`` (``kind="classifier"``) or ``LoopMLPRegressor``.

    ``s`` holds resolved settings (:func:`resolve`); ``extra`` goes to the constructor
    (``out_activation`` for the regressor). ``max_iter`` is the run's epochs, so a later
    ``fit`` of the saved model trains as long.
    """
    from ..estimators import LoopMLPClassifier, LoopMLPRegressor

    cls = LoopMLPClassifier if kind == "classifier" else LoopMLPRegressor
    return cls(
        hidden_layer_sizes=s["hidden"],
        activation=s["activation"],
        learning_rate_init=s["lrate"],
        max_iter=max(1, s["epochs"]),
        batch_size=s["batch_size"],
        shuffle=s["shuffle"],
        random_state=seed,
        backend=backend,
        dtype=s["dtype"],
        init=s["init"],
        fma=s["fma"],
        **extra,
    )


def prepare(
    command: str,
    kind: str,
    defaults: dict,
    given: dict,
    *,
    n_in: int,
    n_out: int,
    backend: str,
    seed: int,
    load=None,
    **extra,
):
    """The run's estimator and settings: a fresh one, or the ``load`` file's, checked.

    Returns ``(estimator, settings)``; ``settings`` as :func:`resolve`, plus
    ``prior_epochs`` (what a loaded model had been trained for) and ``loaded_from``.
    Training parameters of a loaded model (backend, lrate, batch size, shuffle) are set to
    the run's; its net must be the one the experiment needs.
    """
    check_backend(backend)
    est = None
    if load is not None:
        est, meta = load_model(load)
        check_model(
            est,
            meta,
            load,
            command,
            kind,
            n_in,
            n_out,
            parse_hidden(given["hidden"]) if given.get("hidden") is not None else None,
        )
    s = resolve(defaults, given, est)
    if est is None:
        if s["epochs"] == 0:
            raise ExperimentError(
                "epochs=0 only evaluates a loaded model: give load=FILE "
                "(--load FILE), or train for at least one epoch"
            )
        est = make_estimator(kind, s, backend, seed, **extra)
        prior = 0
    else:
        has = {"activation": est.activation, "dtype": str(est.net_.dtype), "fma": est.net_.fma}
        for key in ("activation", "dtype", "fma"):
            if s[key] != has[key]:
                raise ExperimentError(
                    f"model {os.fspath(load)!r} has {key} {has[key]!r}, not "
                    f"{s[key]!r}: a loaded net keeps its {key}"
                )
        est.set_params(
            backend=backend,
            learning_rate_init=s["lrate"],
            batch_size=s["batch_size"],
            shuffle=s["shuffle"],
            max_iter=max(1, s["epochs"]),
        )
        prior = len(est.loss_curve_)
    s.update(prior_epochs=prior, loaded_from=None if load is None else os.fspath(load))
    return est, s


def check_model(
    est, meta: dict, path, command: str, kind: str, n_in: int, n_out: int, hidden=None
) -> None:
    """Raise :class:`ExperimentError` unless ``est`` is the kind and net ``command`` needs."""
    from ..estimators import LoopMLPClassifier, LoopMLPRegressor

    sizes = tuple(est.net_.sizes)
    want = net_name((n_in, *(hidden or ("H",)), n_out))
    fits = sizes[0] == n_in and sizes[-1] == n_out
    if hidden is not None:
        fits = fits and sizes[1:-1] == tuple(hidden)
    cls = LoopMLPClassifier if kind == "classifier" else LoopMLPRegressor
    if not fits or not isinstance(est, cls):
        origin = meta.get("command", "?")
        raise ExperimentError(
            f"model {os.fspath(path)!r} is a {type(est).__name__} with net {net_name(sizes)} "
            f"(trained by 'loopmlp {origin}'), but 'loopmlp {command}' needs a "
            f"{cls.__name__} with net {want}"
        )


# --------------------------------------------------------------------------------------
# Model files
# --------------------------------------------------------------------------------------


def save_model(path, estimator, meta: dict | None = None) -> Path:
    """Pickle ``estimator`` with ``meta`` to ``path`` (replaced whole, never half-written).

    The file holds ``{"format": "loopmlp-model", "version": 2, "meta": meta,
    "estimator": estimator}``; :func:`load_model` reads it. Returns the path.

    Parameters
    ----------
    path : str or path-like
        The file; its folder is created if needed.
    estimator : LoopMLPClassifier or LoopMLPRegressor
        A fitted estimator. It loads on any backend and predicts the same bits.
    meta : dict, optional
        Anything picklable to keep with it; loopmlp's version is added.

    Returns
    -------
    pathlib.Path
        ``path``.

    See Also
    --------
    load_model : Read it back.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from loopmlp import LoopMLPRegressor
    >>> from loopmlp.experiments import load_model, save_model
    >>> X = np.random.default_rng(0).random((20, 3))
    >>> reg = LoopMLPRegressor((4,), max_iter=2, random_state=0).fit(X, X.sum(axis=1))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = save_model(os.path.join(folder, "model.pkl"), reg, {"note": "example"})
    ...     loaded, meta = load_model(path)
    >>> meta["note"], np.array_equal(loaded.predict(X), reg.predict(X))
    ('example', True)
    """
    from .. import __version__

    path = Path(path)
    if path.parent != Path(""):
        path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "meta": {"loopmlp_version": __version__, **(meta or {})},
        "estimator": estimator,
    }
    blob = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(blob)
    os.replace(tmp, path)
    return path


def load_model(path):
    """Read a model file of :func:`save_model`; returns ``(estimator, meta)``.

    Raises :class:`ExperimentError` if the file is missing or not a loopmlp model. It
    unpickles the file, which runs code from it: load only files you trust.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save_model` (or by ``--save``, ``--save-best``, or an
        experiment's ``out`` folder: ``model.pkl``).

    Returns
    -------
    estimator : LoopMLPClassifier or LoopMLPRegressor
        The fitted estimator.
    meta : dict
        What was saved with it: loopmlp's version, and for an experiment's model its
        command, net, settings and epochs trained.

    Raises
    ------
    ExperimentError
        A missing or unreadable file, or one that is not a loopmlp model (loopmlp 0.1's
        ``.npz`` models are not read).

    See Also
    --------
    save_model : Write one.
    """
    from ..estimators import LoopMLPClassifier, LoopMLPRegressor

    name = os.fspath(path)
    try:
        blob = Path(path).read_bytes()
    except FileNotFoundError:
        raise ExperimentError(f"model file {name!r} not found") from None
    except OSError as e:
        raise ExperimentError(f"cannot read model file {name!r}: {e}") from None
    if blob[:2] == b"PK":  # a zip: an .npz, e.g. loopmlp 0.1's models
        raise ExperimentError(
            f"{name!r} is not a loopmlp model (an .npz/zip file; "
            f"loopmlp 0.1's .npz models are no longer read: train again "
            f"and save)"
        )
    try:
        payload = pickle.loads(blob)
    except Exception as e:  # anything unpickling garbage can raise
        raise ExperimentError(
            f"{name!r} is not a loopmlp model ({type(e).__name__}: {e})"
        ) from None
    if not (
        isinstance(payload, dict)
        and payload.get("format") == MODEL_FORMAT
        and isinstance(payload.get("estimator"), (LoopMLPClassifier, LoopMLPRegressor))
        and hasattr(payload["estimator"], "net_")
    ):
        raise ExperimentError(
            f"{name!r} is not a loopmlp model (no '{MODEL_FORMAT}' payload with a fitted estimator)"
        )
    return payload["estimator"], dict(payload.get("meta") or {})


def model_meta(command: str, estimator, settings: dict, **extra) -> dict:
    """The metadata saved with a model: command, net, settings, epochs trained in all."""
    return {
        "command": command,
        "net": list(estimator.net_.sizes),
        "total_epochs": len(estimator.loss_curve_),
        "settings": settings,
        **extra,
    }


# --------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------


def out_dir(out) -> Path | None:
    """``out`` as a created folder, or None (write nothing)."""
    if out is None:
        return None
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_outputs(result: ExperimentResult, out: Path | None, save=None, title: str = "") -> None:
    """``model.pkl``, ``metrics.json`` and ``history.png`` into ``out``; the ``save`` model.

    Adds each path to ``result.paths``.
    """
    meta = model_meta(result.command, result.estimator, result.settings)
    if save is not None:
        result.paths["saved_model"] = save_model(save, result.estimator, meta)
    if out is None:
        return
    from .plots import plot_history

    result.paths["model"] = save_model(out / "model.pkl", result.estimator, meta)
    if result.history.get("loss"):
        result.paths["history"] = plot_history(out / "history.png", result.history, title)
    result.paths["metrics"] = out / "metrics.json"
    result.paths["metrics"].write_text(json.dumps(result.metrics(), indent=2) + "\n")


def saved_lines(result: ExperimentResult, out: Path | None) -> list[str]:
    """The summary's last lines: where the model and the artifacts went."""
    lines = []
    if "best_model" in result.paths:
        r = result.results["best"]
        lines.append(
            f"Best model (epoch {r['epoch']}, {r['monitor']} {r['value']:.6g}) "
            f"saved to {result.paths['best_model']}"
        )
    if "saved_model" in result.paths:
        lines.append(f"Model saved to {result.paths['saved_model']}")
    if out is not None:
        lines.append(f"Artifacts in {out}")
    return lines


def fmt_s(seconds: float) -> str:
    return f"{seconds:.2f} s"


def split_validation(X, y, fraction: float, seed: int, stratify: bool):
    """Hold out ``fraction`` of the rows, seeded (stratified by class for classifiers,
    where every class can have a held-out row).

    Returns ``(X_trn, y_trn, validation_data)``; ``validation_data`` is None for 0.
    The training rows keep no particular order: ``train_test_split`` shuffles them.
    """
    import numpy as np

    if fraction == 0:
        return X, y, None
    from sklearn.model_selection import train_test_split

    X_trn = None
    if stratify:
        try:
            X_trn, X_val, y_trn, y_val = train_test_split(
                X, y, test_size=fraction, random_state=seed, stratify=y
            )
        except ValueError:  # fewer held-out rows than classes: split as Keras, unstratified
            pass
    if X_trn is None:
        try:
            X_trn, X_val, y_trn, y_val = train_test_split(
                X, y, test_size=fraction, random_state=seed
            )
        except ValueError as e:  # too few rows for the split
            raise ExperimentError(f"validation_fraction={fraction}: {e}") from None
    return (
        np.ascontiguousarray(X_trn),
        np.ascontiguousarray(y_trn),
        (np.ascontiguousarray(X_val), np.ascontiguousarray(y_val)),
    )

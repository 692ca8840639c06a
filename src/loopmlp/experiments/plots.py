"""The experiments' pictures: Keras-style history, confusion matrix, grey images.

matplotlib's object-oriented API on the Agg canvas: no pyplot, no global backend change,
so it works without a display and does not disturb a caller's own plots. Each function
writes one PNG and returns its path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._optional import import_module


def figure(figsize=(6, 4)):
    """A matplotlib ``Figure`` on its own Agg canvas."""
    agg = import_module("matplotlib.backends.backend_agg", "loopmlp.experiments", "experiments")
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=100)
    agg.FigureCanvasAgg(fig)
    return fig


def plot_history(path, history: dict, title: str = "") -> Path:
    """The lecture's Keras plot: "Model Accuracy" above "Model Loss", trn and val per epoch.

    ``history`` is Keras' ``history.history`` (``loss``, optional ``accuracy``,
    ``val_loss``, ``val_accuracy``); the accuracy panel only when accuracy was measured.
    The loss axis is logarithmic when every loss is positive and there are several epochs.

    Parameters
    ----------
    path : str or path-like
        The PNG to write.
    history : dict of str -> list of float
        One list per measured value, one entry per epoch.
    title : str, optional
        Added to the first panel's title.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    panels = (
        [("accuracy", "Model Accuracy", "Accuracy", "lower right")]
        if "accuracy" in history or "val_accuracy" in history
        else []
    )
    panels.append(("loss", "Model Loss", "Loss", "upper right"))
    fig = figure((6, 3 * len(panels)))
    for i, (key, name, ylabel, where) in enumerate(panels):
        ax = fig.add_subplot(len(panels), 1, i + 1)
        shown = []
        for k, label in ((key, "trn"), (f"val_{key}", "val")):
            values = history.get(k)
            if values:
                ax.plot(
                    np.arange(1, len(values) + 1), values, marker="." if len(values) < 30 else None
                )
                shown.append(label)
        ax.set_title(f"{name}" + (f" ({title})" if title and i == 0 else ""))
        ax.set_ylabel(ylabel)
        ax.set_xlabel("Epoch")
        if shown:
            ax.legend(shown, loc=where)
        values = [v for k in (key, f"val_{key}") for v in history.get(k, [])]
        if (
            key == "loss"
            and len(history.get("loss", [])) > 1
            and values
            and np.all(np.asarray(values) > 0)
            and np.all(np.isfinite(values))
        ):
            ax.set_yscale("log")
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_confusion(path, cm, title: str = "", labels=None) -> Path:
    """The confusion matrix as an annotated heat map: true label down, predicted across.

    Parameters
    ----------
    path : str or path-like
        The PNG to write.
    cm : array_like, shape (n_classes, n_classes)
        ``cm[i, j]``: the samples of class ``i`` predicted as ``j`` (scikit-learn's
        ``confusion_matrix``).
    title : str, optional
        The picture's title.
    labels : sequence, optional
        The classes' names; default ``0, 1, ..., n_classes - 1``.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    cm = np.asarray(cm)
    n = cm.shape[0]
    labels = list(range(n)) if labels is None else list(labels)
    fig = figure((6, 5.5))
    ax = fig.add_subplot()
    im = ax.imshow(cm, cmap="Blues")
    fig.colorbar(im, ax=ax)
    ax.set_xticks(range(n), [str(x) for x in labels])
    ax.set_yticks(range(n), [str(x) for x in labels])
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    ax.set_title(title)
    high = cm.max() / 2 if cm.size else 0
    for i in range(n):
        for j in range(n):
            ax.text(
                j,
                i,
                str(cm[i, j]),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if cm[i, j] > high else "black",
            )
    fig.tight_layout()
    fig.savefig(path)
    return path


def save_gray(path, img, vmin: float = 0.0, vmax: float = 255.0, cmap="gray") -> Path:
    """A 2-D image as a PNG of its own size, grey levels ``vmin..vmax``.

    Parameters
    ----------
    path : str or path-like
        The PNG to write.
    img : array_like, shape (rows, cols)
        The image.
    vmin, vmax : float, default 0 and 255
        The values drawn black and white (the ends of ``cmap``).
    cmap : str, default "gray"
        A matplotlib colour map.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    image = import_module("matplotlib.image", "loopmlp.experiments", "experiments")

    path = Path(path)
    image.imsave(path, img, cmap=cmap, vmin=vmin, vmax=vmax)
    return path

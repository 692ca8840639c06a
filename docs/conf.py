"""Sphinx configuration of loopmlp's documentation.

Build from the repository's root, with loopmlp and its ``docs`` extra installed::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The API reference is read from the installed package's docstrings (numpydoc). The pictures
of the experiments page are drawn at every build: :func:`experiment_pictures` runs the
lecture's experiments with their default settings (nothing is downloaded) and writes what
the commands write into ``docs/_generated/``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import loopmlp

HERE = Path(__file__).resolve().parent
GENERATED = HERE / "_generated"

project = "loopmlp"
author = "the loopmlp maintainers"
copyright = "the loopmlp maintainers, MIT License"
release = loopmlp.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
]

root_doc = "index"
exclude_patterns = ["_build", "_generated"]
templates_path = []
html_theme = "alabaster"
html_theme_options = {
    "description": "The lecture's MLP loops, compiled and proven equal",
    "fixed_sidebar": True,
    "page_width": "1240px",
    "sidebar_width": "230px",
}
html_static_path = []
html_title = f"loopmlp {release}"

# The docstrings say the types (numpydoc); the signatures stay short.
autodoc_typehints = "none"
autodoc_member_order = "bysource"
autosummary_generate = False

# numpydoc: a Methods table in each class, whose entries are documented on the same page;
# the checks below turn a docstring that does not document its arguments into a warning
# (an error under -W).
numpydoc_show_class_members = True
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = {"GL08", "PR01", "PR02", "RT01"}
# Not constructed by users, so their constructors' arguments are not documented as
# Parameters: the dataclasses' fields are Attributes, and a Backend comes from get_backend.
numpydoc_validation_exclude = {r"^loopmlp\.Net$", r"^loopmlp\.Backend$", r"\.ExperimentResult$"}

# The pages link to the benchmarks page, whose tables come from the stored reports.
rst_prolog = ".. |benchmarks| replace:: :doc:`the benchmarks page </benchmarks>`\n"


def experiment_pictures(app) -> None:
    """Run the experiments with their default settings; keep what they write.

    ``_generated/<command>/`` gets each command's files (``history.png``, ...), and
    ``_generated/results.inc`` the scores the experiments page quotes, so the page shows
    this build's own pictures and numbers. The runs are deterministic (the same seed gives
    the same bits on every loop backend), so the pictures change only with loopmlp.
    """
    from loopmlp.experiments import digits, perceptron, pixels, xor

    GENERATED.mkdir(exist_ok=True)
    runs = {
        "pixels": pixels.run(out=GENERATED / "pixels"),
        "pixels-60-60": pixels.run(hidden=(60, 60), out=GENERATED / "pixels-60-60"),
        "digits": digits.run(out=GENERATED / "digits"),
        "xor": xor.run(out=GENERATED / "xor"),
    }
    gates = {gate: perceptron.run(gate) for gate in ("and", "or", "xor")}
    for result in runs.values():  # only the pictures are shown
        for path in map(Path, result.paths.values()):
            if path.suffix != ".png":
                path.unlink(missing_ok=True)  # a file may be listed twice
    (GENERATED / "results.inc").write_text(_results_rst(runs, gates))


def _results_rst(runs: dict, gates: dict) -> str:
    """The experiments' scores as reStructuredText substitutions, ``|pixels_network|``..."""
    p, p60, d, x = runs["pixels"], runs["pixels-60-60"], runs["digits"], runs["xor"]
    values = {
        "pixels_holes": f"{p.results['holes_mse']:.1f}",
        "pixels_bilinear": f"{p.results['bilinear_mse']:.1f}",
        "pixels_network": f"{p.results['network_mse']:.1f}",
        "pixels_network_60_60": f"{p60.results['network_mse']:.1f}",
        "pixels_blocks": f"{p.results['n_train_blocks']:,}",
        "digits_accuracy": f"{d.results['accuracy']:.3f}",
        "digits_val_accuracy": f"{d.history['val_accuracy'][-1]:.3f}",
        "digits_n_train": f"{d.results['n_train']:,}",
        "digits_n_val": f"{d.results['n_val']:,}",
        "digits_n_test": f"{d.results['n_test']:,}",
        "xor_predictions": ", ".join(f"{v:.3f}" for v in x.results["predictions"]),
        "xor_final_mse": f"{x.results['final_epoch_mse']:.2g}",
        **{f"perceptron_{gate}": f"{r.results['correct']} of 4" for gate, r in gates.items()},
    }
    return "".join(f".. |{k}| replace:: {v}\n" for k, v in values.items())


def benchmark_tables(app) -> None:
    """The benchmarks page's tables, from the stored ``loopmlp bench`` reports.

    ``docs/render_benchmarks.py`` writes them into ``_generated/`` (its ``write_docs``); the
    page includes them.
    """
    script = HERE / "render_benchmarks.py"
    spec = importlib.util.spec_from_file_location("render_benchmarks", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_docs()


def setup(app):
    app.connect("builder-inited", experiment_pictures)
    app.connect("builder-inited", benchmark_tables)
    return {"parallel_read_safe": True}

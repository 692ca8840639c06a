"""The optional parts' packages: which extra brings each, and the error that says so.

The kernels, the backends and ``Net`` need numpy, numba and threadpoolctl only. The rest of
loopmlp needs packages that ``pip install loopmlp`` does not bring; each part names its extra
when one is missing, before it does any work::

    loopmlp.estimators needs scikit-learn: pip install 'loopmlp[estimators]'

Standard library only, so that importing it costs nothing.
"""

from __future__ import annotations

import importlib
import importlib.util

# The packages of each extra (pyproject.toml's [project.optional-dependencies]), by the name
# pip knows them by, with the module each one is imported as.
MODULES = {
    "scikit-learn": "sklearn",
    "scikit-image": "skimage",
    "matplotlib": "matplotlib",
    "tqdm": "tqdm",
}
EXTRAS = {
    "estimators": ("scikit-learn",),
    "experiments": ("scikit-learn", "scikit-image", "matplotlib", "tqdm"),
    "bench": ("matplotlib", "scikit-learn"),
}


def missing(part: str, package: str, extra: str) -> ImportError:
    """The error for ``part`` used without ``package``: it names the extra and the command."""
    error = ImportError(f"{part} needs {package}: pip install 'loopmlp[{extra}]'")
    error.name = MODULES.get(package, package)
    # how loopmlp's CLI tells it apart from other ImportErrors
    error.extra = extra  # type: ignore[attr-defined]
    return error


def installed(package: str) -> bool:
    """Whether ``package`` (a name of ``MODULES``) can be imported, without importing it."""
    try:
        return importlib.util.find_spec(MODULES.get(package, package)) is not None
    except (ImportError, ValueError):  # a finder that refuses it, or a broken module
        return False


def require(part: str, extra: str) -> None:
    """Raise :func:`missing`'s ImportError for the first package of ``extra`` not installed."""
    for package in EXTRAS[extra]:
        if not installed(package):
            raise missing(part, package, extra)


def import_module(module: str, part: str, extra: str):
    """``importlib.import_module(module)``, or the ImportError naming ``extra`` if its
    package is missing (any other failure inside the package propagates as it is)."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        top = module.partition(".")[0]
        if e.name is None or e.name.partition(".")[0] != top:
            raise
        package = next((p for p, m in MODULES.items() if m == top), top)
        raise missing(part, package, extra) from e

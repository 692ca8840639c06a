"""What loopmlp runs on: versions, the CPU, the builds and libraries in use (``loopmlp info``).

:func:`runtime_info` returns it as a dict that ``json.dumps`` takes; :func:`show_runtime`
prints it, as ``numpy.show_runtime()`` does for NumPy; ``loopmlp info`` (``--json``) is the
command, and ``loopmlp bench`` stores the same dict in its ``report.json`` (``runtime``).
It is the first thing to look at when two machines disagree, in speed or in bits: which
Cython build the CPU got and why, which ``exp`` the kernels call, numba's threading layer,
the OpenMP and BLAS libraries loaded, numba's cache folder, the floating-point environment.

Importing this module loads nothing beyond the standard library; :func:`runtime_info` loads
numpy, numba, the ``cython`` backend and threadpoolctl.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any

# The instruction sets that decide which Cython build runs and how wide the loops' vectors are.
CPU_FEATURES = ("sse2", "avx", "avx2", "fma", "avx512f", "avx512vl", "neon", "asimd")

# Packages loopmlp's optional parts use (the extras, loopmlp._optional), then the peers of
# ``loopmlp bench`` and the Dask packages: their versions, or None where absent.
OPTIONAL = (
    "scikit-learn",
    "scikit-image",
    "matplotlib",
    "tqdm",
    "dask",
    "distributed",
    "joblib",
    "jax",
    "torch",
)


def _version(distribution: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def cpu_info() -> dict[str, Any]:
    """The CPU: its model, vendor, family and model numbers, features, and cores.

    Returns
    -------
    dict
        ``model`` (the model name, else what ``platform`` knows), ``id`` (``"GenuineIntel
        family 6 model 167"``: a virtual machine's model name may be generic, these name
        the cores; None where ``/proc/cpuinfo`` does not say), ``features`` (those of
        ``CPU_FEATURES`` the CPU has; read from ``/proc/cpuinfo``, so empty elsewhere),
        ``cores`` (``os.cpu_count()``) and ``cores_usable`` (this process's affinity).
    """
    fields: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip().lower(), value.strip())
    except OSError:
        pass
    flags = set(fields.get("flags", fields.get("features", "")).split())
    return {
        "model": fields.get("model name") or platform.processor() or platform.machine(),
        "id": (
            f"{fields['vendor_id']} family {fields['cpu family']} model {fields['model']}"
            if {"vendor_id", "cpu family", "model"} <= fields.keys()
            else None
        ),
        "features": [f for f in CPU_FEATURES if f in flags],
        "cores": os.cpu_count(),
        "cores_usable": (
            len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        ),
    }


def _cython_build() -> dict[str, Any]:
    """The ``cython`` backend's build for this CPU, why, and the Cython that compiled it."""
    try:
        from .kernels import _cython, _cython_native
    except ImportError as e:
        return {"build": None, "module": None, "reason": f"cannot load: {e}", "cython": None}
    build = getattr(_cython_native, "BUILD", None)
    reason = getattr(_cython_native, "BUILD_REASON", None)
    if build is None:  # the widest build the CPU has, as _cython_native picks it
        if _cython.CPU_HAS_AVX512:
            build, reason = "avx512", "the CPU has AVX-512 (F and VL)"
        elif _cython.CPU_HAS_AVX2:
            build, reason = "avx2", "the CPU has AVX2 and FMA, not AVX-512"
        else:
            build, reason = "sse2", "the CPU has neither AVX2 with FMA nor AVX-512"
    # Cython 3's modules share their types through a module named after its version.
    made_by = sorted(m for m in sys.modules if m.startswith("_cython_") and m[8:9].isdigit())
    predicting = getattr(_cython_native, "_predicting", None)
    two_panels = getattr(predicting, "two_panel_passes", None)
    return {
        "build": build,
        "module": getattr(getattr(_cython_native, "_widest", None), "__name__", None),
        "reason": reason,
        "cython": made_by[-1][8:].replace("_", ".") if made_by else None,
        "predict_module": getattr(predicting, "__name__", None),
        "two_panel_passes": two_panels() if two_panels else None,
    }


def exp_in_use() -> dict[str, str]:
    """The ``exp``, ``log`` and ``tanh`` each backend's kernels compute.

    The loop backends compute loopmlp's own (``loopmlp.kernels._exp``, glibc's ``exp``
    sequence; ``loopmlp.kernels._elementary``, fdlibm's ``log`` and ``tanh``), never the C
    library's, so their bits do not depend on the platform. Where a fused multiply-add runs
    differs: the reference's exact ``fma``, an FMA instruction, or the C library's ``fma``
    (the Cython build for any x86-64).

    Returns
    -------
    dict
        Backend name to a short description; ``cython``: ``"unavailable"`` if its
        extension cannot load.
    """
    kinds = {
        "python": "loopmlp's own, exact fma in Python",
        "numba": "loopmlp's own, llvm.fma",
        "numpy": "NumPy's",
    }
    try:
        from .kernels import _cython_native

        fma = "FMA instruction" if _cython_native._widest.FMA else "the C library's fma"
        kinds["cython"] = f"loopmlp's own, {fma}"
    except (ImportError, AttributeError):
        kinds["cython"] = "unavailable"
    return kinds


def _numba_threads(start: bool) -> dict[str, Any]:
    import numba

    if start:  # naming the layer needs it running; loopmlp's parallel kernels start it anyway
        from .kernels._numba_cache import launch_threads

        launch_threads()
    try:
        layer = numba.threading_layer()
    except ValueError:  # not started
        layer = None
    config: Any = numba.config  # its settings are made at import, unknown to type checkers
    from .kernels._numba import _two_panels

    return {
        "threading_layer": layer,
        "threading_layer_setting": config.THREADING_LAYER,
        "threads": numba.get_num_threads(),
        "max_threads": config.NUMBA_NUM_THREADS,
        "two_panel_passes": _two_panels(),
    }


def _threadpools() -> list[dict[str, Any]]:
    """The OpenMP and BLAS libraries loaded in this process (threadpoolctl)."""
    from threadpoolctl import threadpool_info

    keys = ("user_api", "internal_api", "prefix", "version", "num_threads", "filepath")
    return [{k: d.get(k) for k in keys} for d in threadpool_info()]


def _numba_cache() -> dict[str, Any]:
    """The folder numba caches loopmlp's kernels in, found as numba finds it: the first of
    ``NUMBA_CACHE_DIR``, ``__pycache__`` beside loopmlp's kernels and the user's cache folder
    that can be written (numba makes it and writes a temporary file there to know)."""
    import inspect

    from numba.core import caching

    from .kernels import _reference

    config: Any = caching.config
    locators: list[Any] = caching.CacheImpl._locator_classes

    func = _reference.neural_response
    source = inspect.getfile(func)
    names = {
        "UserProvidedCacheLocator": "NUMBA_CACHE_DIR",
        "InTreeCacheLocator": "beside loopmlp's source",
        "UserWideCacheLocator": "the user's cache folder",
    }
    for cls in locators:
        locator = cls.from_function(func, source)
        if locator is not None:
            return {
                "folder": locator.get_cache_path(),
                "writable": True,
                "chosen": names.get(cls.__name__, cls.__name__),
                "NUMBA_CACHE_DIR": config.CACHE_DIR or None,
            }
    return {
        "folder": None,
        "writable": False,
        "chosen": "none: the kernels compile in every process",
        "NUMBA_CACHE_DIR": config.CACHE_DIR or None,
    }


def _floating_point() -> dict[str, str]:
    """The rounding mode and what happens to subnormals, as numpy's arithmetic sees them:
    the reference's bits assume round to nearest and subnormals kept (a library built with
    ``-ffast-math`` can turn on flush to zero for the whole process)."""
    import numpy as np

    ulp = np.array([2.0**-52])  # one ulp of 1.0
    one = np.array([1.0])
    up = (one + ulp * 0.25)[0] > 1.0  # a quarter ulp: rounds away only upward
    down = (one + ulp * 0.75)[0] == 1.0  # three quarters: stays only downward or to zero
    neg_down = (-one - ulp * 0.25)[0] < -1.0
    if not (up or down or neg_down):
        rounding = "to nearest"
    elif up:
        rounding = "upward"
    elif neg_down:
        rounding = "downward"
    else:
        rounding = "toward zero"
    # A subnormal result flushed to zero (FTZ); a subnormal operand read as zero (DAZ).
    flushed = (np.array([np.finfo(np.float64).tiny]) * 0.5)[0] == 0.0
    zeroed = (np.array([5e-324]) * 1.0)[0] == 0.0
    subnormals = {
        (False, False): "kept",
        (True, False): "results flushed to zero",
        (False, True): "operands read as zero",
        (True, True): "results flushed to zero, operands read as zero",
    }[bool(flushed), bool(zeroed)]
    return {"rounding": rounding, "subnormals": subnormals}


def runtime_info(start_threads: bool = True) -> dict[str, Any]:
    """What loopmlp runs on, as a dict that ``json.dumps`` takes.

    Loads numpy, numba, the ``cython`` backend (and with it its OpenMP runtime) and
    threadpoolctl, to report what they are.

    Parameters
    ----------
    start_threads : bool, default True
        Start numba's threading layer (as loopmlp's parallel kernels do on their first call)
        so that its name and its OpenMP library, if any, are known; False leaves it as it is
        (``numba.threading_layer`` then None unless something started it).

    Returns
    -------
    dict
        ``loopmlp``, ``python``, ``platform``; ``versions`` (numpy, numba, llvmlite,
        threadpoolctl); ``optional`` (the version of each package of ``OPTIONAL``, None if
        absent) and ``extras`` (whether each extra's packages are all installed); ``cpu``
        (:func:`cpu_info`); ``cython`` (``build``: ``"avx512"``, ``"avx2"`` or ``"sse2"``,
        ``module``, ``reason``, the ``cython`` version that compiled it, None if unknown,
        ``predict_module``, the module ``net_predict`` runs from, and
        ``two_panel_passes``, whether its passes take two panels at once); ``exp``
        (:func:`exp_in_use`); ``numba`` (threading layer, its setting, threads, most
        threads, ``two_panel_passes``); ``threadpools`` (the OpenMP and BLAS libraries loaded:
        ``user_api``, ``internal_api``, ``prefix``, ``version``, ``num_threads``,
        ``filepath``); ``numba_cache`` (``folder``, ``writable``, how it was ``chosen``, and
        ``NUMBA_CACHE_DIR``); ``floating_point`` (``rounding``, ``subnormals``).

    Examples
    --------
    >>> import loopmlp
    >>> info = loopmlp.runtime_info()
    >>> list(info)
    ['loopmlp', 'python', 'platform', 'versions', 'optional', 'extras', 'cpu', 'cython',
     'exp', 'numba', 'numba_cache', 'floating_point', 'threadpools']
    >>> info["cython"]["build"] in ("avx512", "avx2", "sse2")
    True
    >>> info["floating_point"]
    {'rounding': 'to nearest', 'subnormals': 'kept'}
    """
    import numpy as np

    from . import __version__
    from ._optional import EXTRAS, installed

    info: dict[str, Any] = {
        "loopmlp": __version__,
        "python": f"{platform.python_version()} ({platform.python_implementation()}, "
        f"{sys.executable})",
        "platform": platform.platform(),
        "versions": {
            "numpy": np.__version__,
            "numba": _version("numba"),
            "llvmlite": _version("llvmlite"),
            "threadpoolctl": _version("threadpoolctl"),
        },
        "optional": {name: _version(name) for name in OPTIONAL},
        "extras": {
            extra: all(installed(p) for p in packages) for extra, packages in EXTRAS.items()
        },
        "cpu": cpu_info(),
        "cython": _cython_build(),
        "exp": exp_in_use(),
        "numba": _numba_threads(start_threads),
        "numba_cache": _numba_cache(),
        "floating_point": _floating_point(),
    }
    info["threadpools"] = _threadpools()  # last: after the libraries above are loaded
    return info


def format_runtime(info: dict[str, Any]) -> str:
    """:func:`runtime_info`'s dict as the text :func:`show_runtime` prints.

    Parameters
    ----------
    info : dict
        What :func:`runtime_info` returned.

    Returns
    -------
    str
        One ``name: value`` line per item, sections indented under their names.
    """
    lines = []
    for key, value in info.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {k}: {_text(v)}" for k, v in value.items()]
        elif isinstance(value, list) and key == "threadpools":
            lines.append(f"{key}:")
            for pool in value:
                lines.append(
                    f"  {pool['user_api']}: {pool['internal_api']} {pool['version'] or ''}"
                    f" ({pool['num_threads']} threads) {pool['filepath']}".replace("  (", " (")
                )
        else:
            lines.append(f"{key}: {_text(value)}")
    return "\n".join(lines)


def _text(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "-"
    return str(value)


def show_runtime() -> None:
    """Print :func:`runtime_info`, as ``numpy.show_runtime()`` prints NumPy's.

    Examples
    --------
    >>> import loopmlp
    >>> loopmlp.show_runtime()
    loopmlp: ...
    cython:
      build: ...
      reason: ...
    ...
    """
    print(format_runtime(runtime_info()))

"""How long a fresh process takes to its first result, and where that time goes.

A script that trains with loopmlp pays, every time it runs: starting Python, importing NumPy
(and scikit-learn, for an estimator), loading the backend (numba's backend imports numba),
and the first call, which for ``numba`` loads the compiled kernels from numba's on-disk
cache, or compiles them when the cache has none (right after ``pip install``, after an
upgrade, in a fresh ``NUMBA_CACHE_DIR``). :func:`measure` runs such a script in fresh
processes and times each of those steps:

>>> from loopmlp import startup
>>> r = startup.measure("cython", "train_epoch", cache="warm", repeat=3)
>>> len(r.runs), r.minimum("first_result_s") <= r.median("first_result_s")
(3, True)
>>> sorted(r.runs[0]["modules"])  # how many modules each step imported
['backend', 'first', 'loopmlp', 'numpy']

``print(startup.format_table([r]))`` shows each step's median in ms.

``cache="warm"``: every timed process finds the kernels in numba's cache (one untimed
process fills it first); ``"cold"``: every timed process starts from an empty cache. Either
way the cache is a private folder, never the user's own. The other backends have no such
cache: for them the two are the same measurement.

:func:`warm_cache` fills numba's cache (the user's own) with the kernels that the usual calls
need, so that no script pays the compilation; ``loopmlp warm`` calls it.

The steps (keys of each run, in seconds):

``python_s``
    From starting the process to the first line of the script (interpreter and site).
``numpy_s``, ``loopmlp_s``
    ``import numpy``; ``import loopmlp`` (for ``fit``, the estimators too, hence
    scikit-learn).
``backend_s``
    ``loopmlp.get_backend(name)``: the backend's module, numba for ``numba``.
``first_s``, ``again_s``
    The first call, then the same call again in the same process on fresh weights: the
    difference is what the first call spends loading (or compiling) rather than computing.
``first_result_s``
    From starting the process to the end of the first call: what a script waits for.
``total_s``
    The whole process, its exit included.

Counts that do not depend on the machine's load come with them: ``modules`` (how many
modules each step imported) and, for ``numba``, ``loaded`` and ``compiled`` (kernel
overloads the first call took from the cache, and compiled). ``profile=True`` adds the
functions that took longest in ``backend`` and the first call (cProfile, cumulative).
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

BACKENDS = ("python", "numba", "cython", "numpy")
CACHES = ("warm", "cold")

# What each workload's first call does: small, so that the call itself is not what is timed.
WORKLOADS = {
    "train_epoch": "one online epoch of the lecture's 60-6-4 net on 100 rows (train_epoch)",
    "net_train": "one online epoch of a 64-32-10 softmax net on 100 rows (net_train)",
    "fit": "LoopMLPClassifier(hidden_layer_sizes=(32,), max_iter=1).fit on 100 rows of "
    "64 features, 10 classes",
}

STEPS = ("python_s", "numpy_s", "loopmlp_s", "backend_s", "first_s")

# The script each fresh process runs: argv[1] is a JSON job. It prints one JSON line.
_CHILD = r"""
import json, sys, time
wall0 = time.time()
t0 = time.perf_counter()
job = json.loads(sys.argv[1])
counts = {}
n = len(sys.modules)

def step(name, t):
    global n
    counts[name] = len(sys.modules) - n
    n = len(sys.modules)
    return time.perf_counter() - t

import warnings
warnings.simplefilter("ignore")  # fit with max_iter=1 warns that it did not converge
t = time.perf_counter()
import numpy as np
numpy_s = step("numpy", t)
t = time.perf_counter()
import loopmlp
if job["workload"] == "fit":
    from loopmlp import LoopMLPClassifier
loopmlp_s = step("loopmlp", t)

profiler = None
if job["profile"]:
    import cProfile
    profiler = cProfile.Profile()
    profiler.enable()
t = time.perf_counter()
k = loopmlp.get_backend(job["backend"])
backend_s = step("backend", t)

rng = np.random.default_rng(0)

def call():
    if job["workload"] == "train_epoch":
        X, Y = rng.random((100, 60)), rng.random((100, 4))
        wh, bh, wo, bo = loopmlp.init_weights(60, 6, 4, seed=0)
        return k.train_epoch(X, Y, wh, bh, wo, bo, 0.1)
    if job["workload"] == "net_train":
        X, Y = rng.random((100, 64)), np.eye(10)[rng.integers(0, 10, 100)]
        net = loopmlp.init_net([64, 32, 10], output="softmax", loss="cross_entropy")
        return k.net_train(net, X, Y, 0.1, 1)
    X, y = rng.random((100, 64)), rng.integers(0, 10, 100)
    model = LoopMLPClassifier(hidden_layer_sizes=(32,), max_iter=1, random_state=0,
                              backend=job["backend"])
    return model.fit(X, y)

t = time.perf_counter()
call()
first_s = step("first", t)
first_wall = time.time()
if profiler is not None:
    profiler.disable()
t = time.perf_counter()
call()
again_s = time.perf_counter() - t

out = dict(wall0=wall0, first_wall=first_wall, numpy_s=numpy_s, loopmlp_s=loopmlp_s,
           backend_s=backend_s, first_s=first_s, again_s=again_s, modules=counts)
if "numba" in sys.modules:
    import gc
    from numba.core.dispatcher import Dispatcher
    hits = misses = 0
    for d in gc.get_objects():
        if isinstance(d, Dispatcher):
            hits += sum(d.stats.cache_hits.values())
            misses += sum(d.stats.cache_misses.values())
    out.update(loaded=hits, compiled=misses)
if profiler is not None:
    import pstats
    stats = pstats.Stats(profiler).stats
    top = sorted(stats.items(), key=lambda kv: -kv[1][3])
    out["profile"] = [
        ["%s:%d(%s)" % (f, line, name), round(v[3], 4)]
        for (f, line, name), v in top
        if not f.startswith("<")
    ][: job["profile"]]
print("LOOPMLP-STARTUP " + json.dumps(out))
"""


@dataclasses.dataclass
class Startup:
    """The fresh processes of one measurement.

    ``minimum(key)`` and ``median(key)`` are a step's fastest and median time over the runs,
    ``values(key)`` all of them, in seconds (``key`` such as ``"first_result_s"``).

    Parameters
    ----------
    backend : str
        One of ``BACKENDS``.
    workload : str
        One of ``WORKLOADS``.
    cache : {"warm", "cold"}
        numba's cache at each process's start: filled, or empty.
    runs : list of dict
        One per process (:func:`run_once`): the steps in seconds, as the module says, and
        the counts.
    """

    backend: str
    workload: str
    cache: str
    runs: list[dict]

    def values(self, key: str) -> list[float]:
        """Each run's ``key`` (a step, such as ``"first_result_s"``), in seconds."""
        return [r[key] for r in self.runs]

    def minimum(self, key: str) -> float:
        """The fastest run's ``key`` (a step, such as ``"first_result_s"``), in seconds."""
        return min(self.values(key))

    def median(self, key: str) -> float:
        """The runs' median ``key`` (a step, such as ``"first_result_s"``), in seconds."""
        return statistics.median(self.values(key))

    def as_dict(self) -> dict:
        """The fields, and each step's minimum and median, for JSON.

        Returns
        -------
        dict
            ``backend``, ``workload``, ``cache``, ``runs``, and ``min`` and ``median``:
            each a dict from step to seconds.
        """
        keys = (*STEPS, "first_result_s", "again_s", "total_s")
        return dict(
            dataclasses.asdict(self),
            min={k: self.minimum(k) for k in keys},
            median={k: self.median(k) for k in keys},
        )


def run_once(
    backend: str,
    workload: str,
    cache_dir: str,
    profile: int = 0,
    env: dict | None = None,
    timeout: float = 900,
) -> dict:
    """One fresh process running ``workload``'s first call on ``backend``.

    Parameters
    ----------
    backend : str
        One of ``BACKENDS``.
    workload : str
        One of ``WORKLOADS``.
    cache_dir : str or path
        numba's cache folder for the process (``NUMBA_CACHE_DIR``).
    profile : int, default 0
        Also return that many of the slowest functions (cProfile, cumulative) of the
        backend's load and the first call, under ``"profile"``.
    env : dict, optional
        The process's environment (default: this one's), ``NUMBA_CACHE_DIR`` aside.
    timeout : float, default 900
        Seconds before the process is given up on.

    Returns
    -------
    dict
        The steps in seconds (the module's docstring says which), ``modules`` (how many
        modules each step imported) and, for numba, ``loaded`` and ``compiled``.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {BACKENDS}")
    if workload not in WORKLOADS:
        raise ValueError(f"unknown workload {workload!r}; choose one of {tuple(WORKLOADS)}")
    job = dict(backend=backend, workload=workload, profile=int(profile))
    env = dict(os.environ if env is None else env, NUMBA_CACHE_DIR=str(cache_dir))
    start = time.time()
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(job)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    total = time.perf_counter() - t
    lines = [s for s in proc.stdout.splitlines() if s.startswith("LOOPMLP-STARTUP ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(
            f"the {backend} {workload} process exited with {proc.returncode}:\n"
            f"{proc.stdout}{proc.stderr}"
        )
    out = json.loads(lines[-1].split(" ", 1)[1])
    wall0, first_wall = out.pop("wall0"), out.pop("first_wall")
    out["python_s"] = max(wall0 - start, 0.0)
    out["first_result_s"] = first_wall - start
    out["total_s"] = total
    return out


def measure(
    backend: str,
    workload: str = "train_epoch",
    cache: str = "warm",
    repeat: int = 5,
    profile: int = 0,
    env: dict | None = None,
) -> Startup:
    """``repeat`` fresh processes, each running ``workload``'s first call on ``backend``.

    Parameters
    ----------
    backend : str
        One of ``BACKENDS``.
    workload : str, default "train_epoch"
        One of ``WORKLOADS``.
    cache : {"warm", "cold"}, default "warm"
        ``"warm"``: the processes share one private numba cache folder, filled by one
        untimed process first; ``"cold"``: each process has a new, empty one.
    repeat : int, default 5
        How many timed processes.
    profile : int, default 0
        As :func:`run_once`'s.
    env : dict, optional
        As :func:`run_once`'s.

    Returns
    -------
    Startup
    """
    if cache not in CACHES:
        raise ValueError(f"cache must be one of {CACHES}, got {cache!r}")
    if repeat < 1:
        raise ValueError(f"repeat must be >= 1, got {repeat}")
    runs = []
    with tempfile.TemporaryDirectory(prefix="loopmlp-startup-") as tmp:
        if cache == "warm":
            run_once(backend, workload, os.path.join(tmp, "cache"), env=env)
        for i in range(repeat):
            folder = os.path.join(tmp, "cache" if cache == "warm" else f"cold{i}")
            runs.append(run_once(backend, workload, folder, profile, env))
    return Startup(backend, workload, cache, runs)


def measure_all(
    backends=BACKENDS,
    workloads=tuple(WORKLOADS),
    caches=CACHES,
    repeat: int = 5,
    progress=None,
) -> list[Startup]:
    """:func:`measure` for every backend, workload and cache.

    Parameters
    ----------
    backends : sequence of str, default BACKENDS
    workloads : sequence of str, default all of WORKLOADS
    caches : sequence of str, default ("warm", "cold")
        The backends other than ``numba`` have no cache: they are measured once, as
        ``"warm"``.
    repeat : int, default 5
        Timed processes for each.
    progress : callable, optional
        ``progress(text)`` is called before each measurement.

    Returns
    -------
    list of Startup
    """
    results = []
    for workload in workloads:
        for backend in backends:
            for cache in caches:
                if cache == "cold" and backend != "numba" and "warm" in caches:
                    continue
                if progress is not None:
                    progress(f"startup: {backend} {workload}, {cache} cache")
                results.append(measure(backend, workload, cache, repeat))
    return results


HEADER = (
    "workload",
    "backend",
    "numba cache",
    "first result",
    "min",
    "python",
    "numpy",
    "loopmlp",
    "backend",
    "1st call",
    "again",
    "loaded",
    "compiled",
)
NOTE = (
    "ms, the median of fresh processes (min: the fastest); first result: from the process's "
    "start to the end of its first call (about the sum of the steps after it); again: the "
    "same call once more; loaded, compiled: numba's kernel overloads taken from its cache, "
    "compiled"
)


def table_rows(results) -> list[tuple[str, ...]]:
    """Rows under ``HEADER`` for ``results``: :class:`Startup` objects or their
    ``as_dict()`` (as ``loopmlp bench`` stores them)."""

    def ms(x):
        return f"{1000 * x:,.1f}" if x < 0.01 else f"{1000 * x:,.0f}"

    rows = []
    for r in results:
        d = r.as_dict() if isinstance(r, Startup) else r
        med, first = d["median"], d["runs"][0]
        rows.append(
            (
                d["workload"],
                d["backend"],
                d["cache"] if d["backend"] == "numba" else "-",
                ms(med["first_result_s"]),
                ms(d["min"]["first_result_s"]),
                *(ms(med[k]) for k in (*STEPS, "again_s")),
                *(str(first.get(k, "-")) for k in ("loaded", "compiled")),
            )
        )
    return rows


def format_table(results) -> str:
    """A text table of ``results``, under ``NOTE``.

    Parameters
    ----------
    results : list
        :class:`Startup` objects or their ``as_dict()``.

    Returns
    -------
    str
    """
    rows = [HEADER, *table_rows(results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = [
        "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
        for row in rows
    ]
    return "\n".join([NOTE, *lines])


def warm_cache(dtypes=("float64", "float32"), layers=(2, 3), progress=None) -> dict[str, int]:
    """Compile the ``numba`` backend's kernels into numba's cache, so that no later process
    compiles them.

    The cache is the one this process uses: ``NUMBA_CACHE_DIR``, else next to loopmlp's
    installed source (numba's ``__pycache__`` folders). numba compiles a kernel for each type
    of its arguments, so the cache is filled for the usual calls of the public API
    (``loopmlp.get_backend("numba")`` and the estimators): the lecture's kernels (float64;
    ``train`` also on a net big enough to share its passes out to numba's threads, when
    there are more than one), and for nets of each dtype and depth, ``net_train`` online
    and in mini-batches, ``net_predict``, ``net_response`` and ``net_update``. Other
    argument types (another float type for the lecture's kernels, deeper nets) still
    compile on first use, once.

    Parameters
    ----------
    dtypes : sequence of str, default ("float64", "float32")
        The nets' float types.
    layers : sequence of int, default (2, 3)
        The nets' numbers of weight layers: 2 is one hidden layer, as the estimators'
        default.
    progress : callable, optional
        ``progress(text)`` is called before each step.

    Returns
    -------
    dict
        ``{"loaded": n, "compiled": m}``: the kernel overloads this process found in the
        cache, and compiled.
    """
    import warnings

    import numpy as np

    from . import get_backend, init_net, init_weights

    say = progress or (lambda text: None)
    k = get_backend("numba")
    from .kernels import _rearranged

    rng = np.random.default_rng(0)
    say("warming numba's cache: the lecture's kernels")
    X, Y = rng.random((4, 3)), rng.random((4, 2))
    w = init_weights(3, 2, 2)
    hid, out = k.neural_response(X[0], *w)
    k.update_network(X[0], hid, out, Y[0] - out, *w, 0.1)
    k.train_epoch(X, Y, *w, 0.1)
    k.train_epoch_literal(X, Y, *w, 0.1)
    k.train(X, Y, *w, 0.1, 1)
    k.predict(X, *w)
    import numba

    if numba.get_num_threads() > 1:
        say("warming numba's cache: train on a net that runs on threads")
        n = int(np.ceil(np.sqrt(_rearranged.PARALLEL_WEIGHTS)))
        X, Y = rng.random((2, n)), rng.random((2, 1))
        k.train(X, Y, *init_weights(n, n, 1), 0.1, 1)
    for dtype in dtypes:
        for n_layers in layers:
            say(f"warming numba's cache: nets of {n_layers} layers, {dtype}")
            net = init_net([3] + [2] * (n_layers - 1) + [2], dtype=dtype)
            X, Y = rng.random((4, 3)), rng.random((4, 2))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                acts = k.net_response(net, X[0])
                k.net_update(net, X[0], acts, Y[0], 0.1)
                k.net_train(net, X, Y, 0.1, 1)
                k.net_train(net, X, Y, 0.1, 1, batch_size=2, shuffle_seed=0)
                k.net_predict(net, X)
    return _cache_counts()


def _cache_counts() -> dict[str, int]:
    """Kernel overloads that this process loaded from numba's cache, and compiled."""
    import gc

    from numba.core.dispatcher import Dispatcher

    counts = {"loaded": 0, "compiled": 0}
    for d in gc.get_objects():
        if isinstance(d, Dispatcher) and d.py_func.__module__.startswith("loopmlp"):
            counts["loaded"] += sum(d.stats.cache_hits.values())
            counts["compiled"] += sum(d.stats.cache_misses.values())
    return counts

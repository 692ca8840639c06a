"""``loopmlp bench``: how fast are the lecture's loops when compiled, against NumPy, and right?

Runs every backend (and, when installed, PyTorch, JAX and scikit-learn as peers) on the
workloads of ``loopmlp.workloads.REPORT_WORKLOADS`` (the lecture's kernels) and
``NET_REPORT_WORKLOADS`` (the deep nets' ``net_train`` and ``net_predict``) -- the same
definitions ``bench/`` uses -- and reports, per workload and backend: the threads it runs
on, the median time, ns per sample, the speed-up against ``numpy`` and against ``python``,
GFLOP/s and the percentage of the machine's no-FMA peak for that dtype and thread count,
and a correctness verdict against the ``python`` reference. The opt-in ``fast`` backend
(numba with fastmath) runs the lecture's kernels too, labelled as not bit-identical and
checked against its stated tolerance, so the report shows what the bits cost. Writes
``report.md``, ``report.json`` and ``bench.png`` (and ``sweep.png`` with ``--sweep``) to
``--out``.

Peaks (``measure_peaks``): the no-FMA peak is a numba loop of independent multiplies and
adds, compiled as our kernels are (no fastmath, so never an FMA), in float64 and float32, on
one thread and on numba's threads; the FMA peak is BLAS's float64 matrix product on one
thread and on BLAS's default threads. Each row is compared with the no-FMA peak of its own
dtype and thread count, and each thread count's ``floor`` row (the time at that peak) sits
right after the rows it bounds.

Method: before timing, each backend runs the workload on the rows the reference can afford
(``Workload.rows("python")``) and is compared with ``python`` on the same arguments; that call
also compiles numba (JAX, shape-specialised, gets one more warm-up call on the timed shape).
Each repeat gets fresh arguments (``Workload.setup``) and runs the kernel ``number`` times
(enough for about 20 ms) under ``time.perf_counter`` with garbage collection off; the report
gives the median over repeats. Pure Python (and the peers, unless ``--full``) run on fewer
rows; their per-row time is scaled to the full row count and marked ``~``.

Used by ``loopmlp.cli`` (``add_parser``, ``run``) or directly::

    from loopmlp import benchreport
    benchreport.main(["--quick", "--out", "/tmp/bench"])
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import gc
import json
import math
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

from .. import BACKENDS

# The four bit-exact backends, then fast: numba with fastmath, opt-in everywhere but here,
# where it shows what bit-identity costs. Its rows carry a label and a tolerance check.
CONTENDERS = BACKENDS + ("fast",)
LABELS = {"fast": "fast (fastmath, not bit-identical)"}
PEERS = ("torch", "jax", "sklearn")
PEER_ROWS = 2_048          # peers' rows unless --full (their per-row cost is extrapolated)
MIN_TIME = 0.02            # seconds a timed repeat should last at least (calls are batched)
BUDGET = 2.0               # seconds of timing per workload and backend (5 x BUDGET --full)
COLUMNS = ("workload", "backend", "threads", "rows", "median", "ns/sample", "vs numpy",
           "vs python", "GFLOP/s", "% peak", "check")


# --- the peers: the same per-sample SGD in other frameworks ---------------------------------

class TorchPeer:
    """PyTorch: sigmoid MLP, squared error ``1/2 sum err**2``, ``torch.optim.SGD``, batch 1."""

    name = "torch"
    compares = True

    def __init__(self):
        import torch
        self.torch = torch

    def train_epoch(self, X, Y, wh, bh, wo, bo, lrate):
        torch = self.torch
        # from_numpy shares memory: the optimiser updates wh, bh, wo, bo in place
        params = [torch.from_numpy(a).requires_grad_() for a in (wh, bh, wo, bo)]
        twh, tbh, two, tbo = params
        opt = torch.optim.SGD(params, lr=lrate)
        mse = 0.0
        for x, y in zip(torch.from_numpy(X), torch.from_numpy(Y)):
            hid = torch.sigmoid(twh @ x + tbh)
            out = torch.sigmoid(two @ hid + tbo)
            err = y - out
            loss = 0.5 * (err * err).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            mse += loss.detach().item() * 2.0 / err.shape[0]
        return mse / X.shape[0]


class JaxPeer:
    """JAX: the same SGD as one ``jax.lax.scan`` over the samples under ``jit``, float64."""

    name = "jax"
    compares = True

    def __init__(self):
        import jax
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        def loss(p, x, y):
            wh, bh, wo, bo = p
            hid = jax.nn.sigmoid(wh @ x + bh)
            out = jax.nn.sigmoid(wo @ hid + bo)
            err = y - out
            return 0.5 * jnp.sum(err * err), jnp.mean(err * err)

        grad = jax.grad(loss, has_aux=True)

        @jax.jit
        def epoch(p, X, Y, lrate):
            def step(p, xy):
                g, mse = grad(p, *xy)
                return tuple(w - lrate * gw for w, gw in zip(p, g)), mse
            p, mses = jax.lax.scan(step, p, (X, Y))
            return p, jnp.mean(mses)

        self.jnp, self.epoch = jnp, epoch

    def train_epoch(self, X, Y, wh, bh, wo, bo, lrate):
        jnp = self.jnp
        p, mse = self.epoch(tuple(jnp.asarray(a) for a in (wh, bh, wo, bo)),
                            jnp.asarray(X), jnp.asarray(Y), lrate)
        for a, new in zip((wh, bh, wo, bo), p):
            a[...] = new  # waits for the result, like the other backends
        return float(mse)


class SklearnPeer:
    """scikit-learn: ``MLPRegressor(solver="sgd", batch_size=1, activation="logistic")``, one
    epoch. Not the same model (linear output units, its own initialisation, loss averaged
    over outputs), so timed but not compared."""

    name = "sklearn"
    compares = False

    def __init__(self):
        from sklearn.neural_network import MLPRegressor
        self.MLPRegressor = MLPRegressor

    def train_epoch(self, X, Y, wh, bh, wo, bo, lrate):
        from sklearn.exceptions import ConvergenceWarning
        net = self.MLPRegressor(
            hidden_layer_sizes=(wh.shape[0],), activation="logistic", solver="sgd",
            batch_size=1, learning_rate="constant", learning_rate_init=lrate, momentum=0.0,
            nesterovs_momentum=False, alpha=0.0, max_iter=1, shuffle=False, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            net.fit(X, Y.ravel() if Y.shape[1] == 1 else Y)
        return float(net.loss_)


PEER_CLASSES = {"torch": TorchPeer, "jax": JaxPeer, "sklearn": SklearnPeer}


def load_backend(name):
    """``(kernels, None)`` for a backend or peer, or ``(None, reason)`` when it cannot load."""
    try:
        if name in PEER_CLASSES:
            return PEER_CLASSES[name](), None
        import loopmlp
        return loopmlp.get_backend(name), None
    except ImportError as e:
        hint = {"torch": "pip install torch --index-url https://download.pytorch.org/whl/cpu",
                "jax": "pip install jax", "sklearn": "pip install scikit-learn"}.get(name)
        reason = f"not installed ({e.__class__.__name__}: {e})"
        return None, reason + (f"; {hint}" if hint else "")


# --- machine info --------------------------------------------------------------------------

def _version(module):
    try:
        from importlib.metadata import version
        return version(module)
    except Exception:
        return None


def machine_info() -> dict:
    """CPU model, cores, versions and the date, for the report's header and JSON."""
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cpu = cpu or platform.processor() or platform.machine()
    import numpy as np
    info = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": _version("numba"),
        "cython": _version("Cython"),
        "loopmlp": _version("loopmlp"),
        "torch": _version("torch"),
        "jax": _version("jax"),
        "scikit-learn": _version("scikit-learn"),
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        # other processes on the cores slow the threaded rows most (a parallel region
        # waits for its slowest thread): the 1-minute load average before we start
        "loadavg_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    try:
        from threadpoolctl import threadpool_info
        info["blas"] = [f"{d.get('internal_api')} {d.get('version')} ({d.get('num_threads')} threads)"
                        for d in threadpool_info() if d.get("user_api") == "blas"]
    except Exception:
        info["blas"] = None
    return info


# --- the machine's peaks, and the threads each contender runs on ---------------------------

NOFMA_PAIRS = 64   # independent (add, multiply) pairs per step of the no-FMA peak's loop
PEAK_CALL = 0.05   # seconds a peak measurement's call should last (0.01 --quick)
PREDICT_BLOCK = 64  # rows per parallel block of predict and net_predict, numba and cython alike


def _nofma_source(pairs: int = NOFMA_PAIRS) -> str:
    """Source of ``muladd(m, reps, init)``: ``pairs`` independent chains, each step of each
    one add ``s_k = s_k + p_k`` and one multiply ``p_k = p_k * m``; returns ``sum s_k``.

    Written out pair by pair (``p0 ... p63``): scalars are what LLVM keeps in registers and
    its SLP vectoriser packs into SIMD lanes, each lane exactly the scalar operation (as in
    ``_rearranged.py``). No fastmath, so every multiply and every add is its own instruction
    (no FMA, no reassociation), as in the bit-exact kernels. 64 pairs fill the add and
    multiply pipes at their latency even for float32's 16 lanes (measured on the Zen 4 used
    here: 16 pairs reach 2/3 of float64's peak, 32 all of it; float32 needs 64; 128 spill).
    """
    lines = ["def muladd(m, reps, init):"]
    lines += [f"    p{k} = init[{k}]; s{k} = init[{k}] - init[{k}]" for k in range(pairs)]
    lines += ["    for r in range(reps):"]
    lines += [f"        s{k} = s{k} + p{k}; p{k} = p{k} * m" for k in range(pairs)]
    lines += ["    return " + " + ".join(f"s{k}" for k in range(pairs))]
    return "\n".join(lines)


# muladd on several threads: independent chunks, one per thread. init (threads, pairs),
# out (threads,). Compiled in the generated source's namespace, where muladd is compiled.
MULADD_THREADS = """
def muladd_threads(m, reps, init, out):
    for t in prange(out.shape[0]):
        out[t] = muladd(m, reps, init[t])
"""


def nofma_kernels():
    """``(muladd, muladd_threads)`` compiled by numba as loopmlp's kernels are (no fastmath,
    the SLP vectoriser on; ``_numba.NUMBA_OPTIONS`` and ``_numba._slp_vectorize``), for
    float64 and float32. ``muladd_threads`` runs ``muladd`` on ``out.shape[0]`` chunks at
    once, one per thread (``prange``)."""
    import numba

    from ..kernels._numba import NUMBA_OPTIONS, _slp_vectorize
    options = dict(NUMBA_OPTIONS, cache=False)  # generated source: nothing to cache it by
    scope = {"prange": numba.prange}
    exec(compile(_nofma_source() + "\n" + MULADD_THREADS, "<loopmlp no-FMA peak>", "exec"),
         scope)
    muladd = scope["muladd"] = numba.njit(**options)(scope["muladd"])
    muladd_threads = numba.njit(parallel=True, **options)(scope["muladd_threads"])
    with _slp_vectorize():
        for t in (numba.float64, numba.float32):
            muladd.compile((t, numba.int64, t[::1]))
            muladd_threads.compile((t, numba.int64, t[:, ::1], t[::1]))
    return muladd, muladd_threads


def measure_nofma(kernels, dtype: str, threads: int, quick: bool = False) -> float:
    """GFLOP/s of ``muladd`` in ``dtype`` on ``threads`` threads: the most our kernels could
    do without FMA. Best of several calls of about ``PEAK_CALL`` seconds each."""
    import numba
    import numpy as np
    muladd, muladd_threads = kernels
    real = np.dtype(dtype).type
    m = real(1.0)  # p stays put and s grows linearly: no overflow, no subnormals
    init = np.tile(np.arange(1, NOFMA_PAIRS + 1, dtype=dtype), (threads, 1))
    out = np.zeros(threads, dtype=dtype)
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        def call(reps):
            if threads == 1:
                return _clock(lambda: muladd(m, reps, init[0]))
            return _clock(lambda: muladd_threads(m, reps, init, out))
        reps = 1_000
        call(reps)  # warm-up: numba's threads start
        while call(reps) < (0.01 if quick else PEAK_CALL) / 4:
            reps *= 4
        best = min(call(reps) for _ in range(3 if quick else 5))
    finally:
        numba.set_num_threads(before)
    return 2 * NOFMA_PAIRS * reps * threads / best / 1e9


def measure_fma(threads: int | None, quick: bool = False) -> float:
    """GFLOP/s of a float64 matrix product, BLAS on ``threads`` threads (None: its default)."""
    import numpy as np
    from threadpoolctl import threadpool_limits
    n = 512 if quick else 1_024
    rng = np.random.default_rng(0)
    A, B = rng.random((n, n)), rng.random((n, n))
    with threadpool_limits(limits=threads, user_api="blas"):
        A @ B
        best = min(_clock(lambda: A @ B) for _ in range(3 if quick else 5))
    return 2 * n ** 3 / best / 1e9


def thread_counts() -> dict:
    """How many threads each kind of contender runs on by default.

    ``numba`` (and fast): ``numba.get_num_threads()`` (``NUMBA_NUM_THREADS``, else every
    core); ``openmp`` (cython): ``OMP_NUM_THREADS``, else the usable cores; ``blas``
    (numpy): BLAS's own count (threadpoolctl); ``cores``: the usable cores.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    counts = {"cores": cores, "numba": cores, "openmp": cores, "blas": cores}
    try:
        omp = int(os.environ.get("OMP_NUM_THREADS", "").split(",")[0])
        counts["openmp"] = omp if omp >= 1 else cores
    except ValueError:
        pass
    try:
        import numba
        counts["numba"] = numba.get_num_threads()
    except ImportError:
        pass
    try:
        from threadpoolctl import threadpool_info
        blas = [d["num_threads"] for d in threadpool_info() if d.get("user_api") == "blas"]
        counts["blas"] = blas[0] if blas else cores
    except Exception:
        pass
    return counts


def contender_threads(name: str, w, counts: dict) -> int:
    """The threads contender ``name`` runs workload ``w`` on, with its default settings.

    * ``python``: one.
    * ``numba``, ``fast``, ``cython``: ``predict`` and ``net_predict`` spread blocks of
      ``PREDICT_BLOCK`` rows over numba's or OpenMP's threads (no more threads than blocks);
      ``train_epoch`` and ``train`` share the hidden layer's panels out to them from
      ``_rearranged.PARALLEL_WEIGHTS`` weights in ``wh`` on (784-512-10); ``net_train`` in
      mini-batches shares each step's units out to them (``_rearranged.batch_update``);
      the rest run on one.

    These rules restate the kernels (threads that do the work). ``time_call`` also records
    the process's CPU seconds per wall second (``cpu_per_wall`` in report.json), which a
    kernel on two threads brings near 2. It is an upper bound, not a count: threads that
    spin-wait count too (numba's second thread during a one-block ``predict``, OpenMP's
    for a while after a parallel region).
    * ``numpy`` and ``sklearn``: BLAS's threads (BLAS may still run a small product on one).
    * ``torch``: its intra-op threads; ``jax``: every core.
    """
    if name == "python":
        return 1
    if name in ("numpy", "sklearn"):
        return counts["blas"]
    if name == "torch":
        try:
            import torch
            return torch.get_num_threads()
        except ImportError:
            return counts["cores"]
    if name == "jax":
        return counts["cores"]
    from ..kernels._rearranged import PARALLEL_WEIGHTS
    all_threads = counts["openmp"] if name == "cython" else counts["numba"]
    if w.kernel in ("predict", "net_predict"):
        return max(1, min(all_threads, -(-w.n_samples // PREDICT_BLOCK)))
    if w.kernel in ("train_epoch", "train") and w.shape[0] * w.shape[1] >= PARALLEL_WEIGHTS:
        return all_threads
    if w.kernel == "net_train" and getattr(w, "batch_size", 1) > 1:
        return all_threads  # each mini-batch's step: blocks of units on threads (batch_update)
    return 1


def measure_peaks(thread_counts_needed, quick: bool = False, quiet: bool = True) -> dict:
    """The machine's peaks in GFLOP/s, keyed by thread count (as a string, for JSON).

    ``nofma[dtype][threads]``: ``muladd`` (see ``_nofma_source``) in float64 and float32, on
    each thread count in ``thread_counts_needed`` (1 and numba's threads at least), the
    ceiling of our bit-exact kernels: a separate multiply and add per term, never an FMA.
    Every row's ``% peak`` is taken against the one matching its dtype and threads.
    ``fma["float64"][threads]``: a float64 matrix product, BLAS on one thread and on its
    default threads: what FMA and free summation order reach (numpy's BLAS may use both).
    """
    import numba
    counts = thread_counts()
    needed = sorted({1, counts["numba"], *thread_counts_needed})
    kernels = nofma_kernels()
    nofma, skipped = {"float64": {}, "float32": {}}, []
    for threads in needed:
        if threads > numba.config.NUMBA_NUM_THREADS:
            skipped.append(threads)  # numba cannot start more threads than that
            continue
        for dtype in nofma:
            _progress(f"  no-FMA peak, {dtype}, {threads} thread(s)", quiet)
            nofma[dtype][str(threads)] = measure_nofma(kernels, dtype, threads, quick)
    _progress("  FMA peak (BLAS)", quiet)
    fma = {"float64": {"1": measure_fma(1, quick), str(counts["blas"]): measure_fma(None, quick)}}
    n = 512 if quick else 1_024
    return {"nofma": nofma, "fma": fma, "threads": counts, "not_measured": skipped,
            "nofma_method": f"numba, {NOFMA_PAIRS} independent (add, multiply) pairs a step, "
                            f"no fastmath (so no FMA), SLP vectoriser on as in the kernels; on "
                            f"N threads, N such loops at once (prange)",
            "fma_method": f"float64 {n}x{n} matmul, BLAS on 1 thread and on its default "
                          f"{counts['blas']}"}


def nofma_peak(peak, dtype: str, threads: int):
    """The no-FMA peak for ``dtype`` on ``threads`` threads, or None (not measured)."""
    if not peak:
        return None
    return peak["nofma"].get(dtype, {}).get(str(threads))


def _clock(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# --- measuring -----------------------------------------------------------------------------

def time_call(w, k, backend, rows, repeat, budget, warm_up):
    """Median seconds of one ``w.run`` on ``rows`` rows, fresh arguments every repeat."""
    wr = dataclasses.replace(w, n_samples=rows, python_samples=None)
    if warm_up:
        wr.run(k, *wr.setup(backend))
    # calibrate: calls per repeat so that a repeat lasts at least MIN_TIME
    args = wr.setup(backend)
    t1 = _clock(lambda: wr.run(k, *args))
    number = 1 if t1 >= MIN_TIME else min(100_000, math.ceil(MIN_TIME / max(t1, 1e-7)))
    repeats = repeat if t1 * number * repeat <= budget else max(1, min(repeat, int(budget / (t1 * number))))
    times = [t1] if number == 1 else []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    while len(times) < repeats:
        args = wr.setup(backend)
        gc_was = gc.isenabled()
        gc.disable()
        try:
            t0 = time.perf_counter()
            for _ in range(number):
                wr.run(k, *args)
            dt = time.perf_counter() - t0
        finally:
            if gc_was:
                gc.enable()
        times.append(dt / number)
    # the process's CPU seconds per wall second over the repeats (None: none ran here)
    wall = time.perf_counter() - wall0
    timed_here = len(times) > (1 if number == 1 else 0)
    cpu_per_wall = (time.process_time() - cpu0) / wall if timed_here and wall > 0 else None
    return statistics.median(times), times, number, cpu_per_wall


def check(w, k, backend, ref):
    """``(bit_identical, max_abs_diff)`` of ``backend`` against the reference's result."""
    from ..workloads import compare
    n = w.rows("python")
    small = dataclasses.replace(w, n_samples=n, python_samples=None)
    return compare(small.result(k, small.setup(backend)), ref)


def tolerance(w, backend):
    """The max |diff| ``backend`` may have on the check's rows, or None (no stated tolerance)."""
    if backend != "fast":
        return None
    from ..kernels._numba_fast import atol
    return atol(w.kernel, w.shape, w.rows("python"), w.epochs)


def verdict(row) -> str:
    if row.get("bit_identical") is None:
        return row.get("note", "n/a")
    if row.get("tolerance") is not None:
        # fast: bit-identity is reported, never claimed; the tolerance is the promise
        within = "within" if row["max_abs_diff"] <= row["tolerance"] else "OUTSIDE"
        diff = ("bit-identical here" if row["bit_identical"]
                else f"max diff {row['max_abs_diff']:.0e}")
        return f"{within} tol {row['tolerance']:.0e}: {diff}"
    if row["bit_identical"]:
        return "bit-identical"
    return f"max diff {row['max_abs_diff']:.0e}"


def _progress(msg, quiet):
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def workload_dtype(w) -> str:
    """The dtype ``w`` computes in: a deep workload's own, float64 for the lecture's kernels."""
    return getattr(w, "dtype", "float64")


def peak_name(dtype: str, threads: int) -> str:
    return f"no-FMA {dtype}, {threads} thread{'s' if threads != 1 else ''}"


def runs(name, k, w) -> bool:
    """Whether contender ``name`` (loaded as ``k``) runs workload ``w``."""
    from ..workloads import NetWorkload
    if k is None or not hasattr(k, w.kernel):
        return False  # a peer without the kernel
    # fast's tolerances (_numba_fast.atol) cover the lecture's kernels only: without a
    # stated tolerance it has no verdict, so it does not run the deep workloads
    return not (name == "fast" and isinstance(w, NetWorkload))


def measure_workload(w, backends, loaded, settings, peak, quiet=False, label=""):
    """Rows of the report for workload ``w``: one per backend that runs it, then the floors.

    Each row records the threads its contender runs on (``contender_threads``) and its
    GFLOP/s as a percentage of the no-FMA peak for its dtype and that thread count. Rows
    come ordered by thread count, each block followed by its ``floor`` row (``floor_rows``).
    """
    ref_k = loaded["python"]
    small = dataclasses.replace(w, n_samples=w.rows("python"), python_samples=None)
    ref = small.result(ref_k, small.setup("python"))
    flops = w.flops
    dtype = workload_dtype(w)
    counts = peak["threads"] if peak else thread_counts()
    per_call = w.kernel in ("neural_response", "update_network")
    rows = []
    for name in backends:
        k = loaded.get(name)
        if not runs(name, k, w):
            continue
        _progress(f"{label}{w.group}: {name}", quiet)
        threads = contender_threads(name, w, counts)
        row = {"workload": w.group, "kernel": w.kernel, "net": w.net, "shape": list(w.shape),
               "dtype": dtype, "n_samples": 1 if per_call else w.n_samples,
               "flops_per_sample": flops, "backend": name, "threads": threads}
        if name == "python":
            row.update(bit_identical=True, max_abs_diff=0.0, note="reference")
        elif getattr(k, "compares", True):
            same, diff = check(w, k, name, ref)  # also the warm-up: compiles numba
            row.update(bit_identical=bool(same), max_abs_diff=float(diff),
                       tolerance=tolerance(w, name))
        else:
            row.update(bit_identical=None, max_abs_diff=None, note="n/a (other model)")
        if name == "python" and not settings["full"]:
            n_rows = w.rows("python")
        elif name in PEERS and not settings["full"]:
            n_rows = min(w.n_samples, PEER_ROWS)
        else:
            n_rows = w.n_samples
        if per_call:
            n_rows = 1
        median, times, number, cpu_per_wall = time_call(
            w, k, name, n_rows, settings["repeat"], settings["budget"],
            warm_up=name in PEERS)
        full_rows = row["n_samples"]
        row.update(rows_timed=n_rows, extrapolated=n_rows < full_rows, repeats=len(times),
                   cpu_per_wall=cpu_per_wall,
                   number=number, times_s=times, median_s=median / n_rows * full_rows,
                   ns_per_sample=median / n_rows * 1e9)
        row["gflops"] = flops / row["ns_per_sample"]
        top = nofma_peak(peak, dtype, threads)
        row.update(peak=peak_name(dtype, threads) if top else None, peak_gflops=top,
                   pct_peak=100 * row["gflops"] / top if top else None)
        rows.append(row)
    by = {r["backend"]: r["ns_per_sample"] for r in rows}
    for r in rows:
        r["speedup_vs_numpy"] = by["numpy"] / r["ns_per_sample"] if "numpy" in by else None
        r["speedup_vs_python"] = by["python"] / r["ns_per_sample"] if "python" in by else None
        r["check"] = verdict(r)
    return floor_rows(rows, peak)


def floor_rows(rows, peak) -> list[dict]:
    """``rows`` of one workload ordered by thread count (stable), each block of rows on the
    same number of threads followed by a ``floor`` row: the time the workload's operations
    would take at the no-FMA peak for that dtype and thread count. So a floor sits beside
    the rows it bounds, never a one-thread floor beside a two-thread kernel."""
    out = []
    by = {r["backend"]: r["ns_per_sample"] for r in rows}
    for threads in sorted({r["threads"] for r in rows}):
        block = [r for r in rows if r["threads"] == threads]
        out += block
        r0 = block[0]
        top = nofma_peak(peak, r0["dtype"], threads)
        if not top:
            continue
        floor_ns = r0["flops_per_sample"] / top
        out.append({k: r0[k] for k in ("workload", "kernel", "net", "shape", "dtype",
                                       "n_samples", "flops_per_sample")}
                   | {"backend": "floor", "threads": threads, "rows_timed": None,
                      "extrapolated": False, "median_s": floor_ns * r0["n_samples"] / 1e9,
                      "ns_per_sample": floor_ns, "gflops": top, "pct_peak": 100.0,
                      "peak": peak_name(r0["dtype"], threads), "peak_gflops": top,
                      "speedup_vs_numpy": by["numpy"] / floor_ns if "numpy" in by else None,
                      "speedup_vs_python": by["python"] / floor_ns if "python" in by else None,
                      "bit_identical": None, "max_abs_diff": None,
                      "check": f"time at the {peak_name(r0['dtype'], threads)} peak"})
    return out


def run_sweep(backends, loaded, settings, quiet=False):
    """ns per sample of train_epoch on 64-h-10 for every width in ``SWEEP_WIDTHS``.

    Pure Python (unless ``--full``) is timed up to h = 64 and extrapolated beyond by its
    time per floating-point operation at the largest width it ran.
    """
    from ..workloads import SWEEP_WIDTHS, flop_count, sweep_workload
    out = []
    py_limit = max(SWEEP_WIDTHS) if settings["full"] else 64
    widths = (2, 16, 128) if settings["quick"] else SWEEP_WIDTHS
    last_py = None
    for h in widths:
        w = sweep_workload(h)
        if settings["quick"]:
            w = dataclasses.replace(w, n_samples=32, python_samples=4)
        for name in backends:
            k = loaded.get(name)
            if k is None or not hasattr(k, "train_epoch"):
                continue
            flops = flop_count("train_epoch", w.shape)
            point = {"n_hid": h, "shape": list(w.shape), "backend": name, "flops_per_sample": flops}
            if name == "python" and h > py_limit and last_py:
                point.update(ns_per_sample=last_py * flops, extrapolated=True, rows_timed=0)
                out.append(point)
                continue
            _progress(f"sweep {w.group}: {name}", quiet)
            if name == "python":
                rows = w.rows("python")
            elif name in PEERS and not settings["full"]:
                rows = min(w.n_samples, 256)
            else:
                rows = w.n_samples
            median, times, _, _ = time_call(w, k, name, rows, settings["repeat"],
                                         settings["budget"], warm_up=name != "python")
            point.update(ns_per_sample=median / rows * 1e9, extrapolated=False, rows_timed=rows)
            if name == "python":
                last_py = point["ns_per_sample"] / flops
            out.append(point)
    return out


def crossover(sweep, contender, against="numpy"):
    """The smallest width from which ``against`` is faster than ``contender`` for good."""
    t = {(p["backend"], p["n_hid"]): p["ns_per_sample"] for p in sweep}
    widths = sorted({p["n_hid"] for p in sweep})
    result = None
    for h in reversed(widths):
        a, b = t.get((contender, h)), t.get((against, h))
        if a is None or b is None or b >= a:
            break
        result = h
    return result


# --- formatting ----------------------------------------------------------------------------

def fmt_time(s, approx=False):
    if s is None:
        return "-"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if s >= scale or unit == "ns":
            return ("~" if approx else "") + f"{s / scale:.3g} {unit}"


def fmt_num(x, suffix=""):
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:,.0f}{suffix}"
    return f"{x:.3g}{suffix}"


def fmt_pct(x):
    if x is None:
        return "-"
    return f"{x:.0f}%" if x >= 9.5 else (f"{x:.1f}%" if x >= 0.095 else f"{x:.2g}%")


def table_rows(results):
    out = []
    last = None
    for r in results:
        out.append((r["workload"] if r["workload"] != last else "",
                    LABELS.get(r["backend"], r["backend"]), str(r.get("threads", "-")),
                    "-" if r.get("rows_timed") is None else
                    (f"{r['rows_timed']}/{r['n_samples']}" if r["extrapolated"] else str(r["rows_timed"])),
                    fmt_time(r["median_s"], r.get("extrapolated", False)),
                    fmt_num(r["ns_per_sample"]), fmt_num(r.get("speedup_vs_numpy"), "x"),
                    fmt_num(r.get("speedup_vs_python"), "x"), fmt_num(r.get("gflops")),
                    fmt_pct(r.get("pct_peak")), r["check"]))
        last = r["workload"]
    return out


def text_table(results) -> str:
    rows = [COLUMNS] + table_rows(results)
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(COLUMNS))]
    right = {2, 3, 4, 5, 6, 7, 8, 9}
    lines = []
    for j, row in enumerate(rows):
        cells = [str(c).rjust(widths[i]) if i in right else str(c).ljust(widths[i])
                 for i, c in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


LEGEND = (
    "`threads`: what the contender runs the workload on by default (numba's, OpenMP's or "
    "BLAS's threads; 1 for the rest). `~`: measured on fewer rows (`rows` = timed/full) and "
    "scaled to the full row count. `check`: the backend's result (return value and updated "
    "weights) against the `python` reference on the same arguments and rows, made before "
    "timing. `GFLOP/s`: the lecture's kernels count every operation of the reference's loops "
    "(exp as one); the deep kernels (`net_*`) count the work on the weights "
    "(`workloads.net_flop_count`: 2 per weight forward, 2 backward above the first layer, "
    "3 for the online update or 2 + 3/batch in mini-batches). `% peak`: GFLOP/s over the "
    "no-FMA peak for the row's dtype and threads (bit-exact kernels may not fuse a multiply "
    "and an add); `floor` rows: the time at that peak, one per thread count, right after "
    "the rows it bounds. numpy's BLAS may use FMA and so could pass 100%. `fast`: numba with "
    "fastmath (reassociation, FMA), checked against its stated worst-case rounding-error "
    "bound (`loopmlp.kernels._numba_fast.atol`), not for bit-identity; it has no stated bound for "
    "the deep kernels, so it does not run them.")


def load_note(m) -> str:
    """The load average before the run, and a warning when other processes were busy."""
    load = m.get("loadavg_1min")
    if load is None:
        return "load average: unknown"
    note = f"load average before the run: {load:.2f}"
    if load >= 0.5:
        note += (" -- other processes were using the cores; threaded rows suffer most "
                 "(a parallel region waits for its slowest thread)")
    return note


def peak_table(peak) -> tuple[list, list]:
    """Header and rows of the peaks: no-FMA float64 and float32, FMA float64, by threads."""
    counts = sorted({int(t) for table in (*peak["nofma"].values(), *peak["fma"].values())
                     for t in table})
    header = ["peak"] + [f"{t} thread{'s' if t != 1 else ''}" for t in counts]
    rows = []
    for label, table in (("no-FMA float64 (numba muladd)", peak["nofma"]["float64"]),
                         ("no-FMA float32 (numba muladd)", peak["nofma"]["float32"]),
                         ("FMA float64 (BLAS matmul)", peak["fma"]["float64"])):
        rows.append([label] + [fmt_num(table.get(str(t))) for t in counts])
    return header, rows


def markdown_table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def sweep_text(sweep) -> tuple[list, list]:
    backends = list(dict.fromkeys(p["backend"] for p in sweep))
    widths = sorted({p["n_hid"] for p in sweep})
    t = {(p["backend"], p["n_hid"]): p for p in sweep}
    header = ["hidden"] + [f"{b} ns/sample" for b in backends]
    rows = []
    for h in widths:
        row = [str(h)]
        for b in backends:
            p = t.get((b, h))
            row.append("-" if p is None else ("~" if p["extrapolated"] else "") + fmt_num(p["ns_per_sample"]))
        rows.append(row)
    return header, rows


def sweep_summary(sweep) -> list[str]:
    lines = []
    for b in ("numba", "cython"):
        if not any(p["backend"] == b for p in sweep) or not any(p["backend"] == "numpy" for p in sweep):
            continue
        h = crossover(sweep, b)
        lines.append(f"{b} loops beat numpy (BLAS) at every width" if h is None else
                     f"numpy (BLAS) beats {b} loops from hidden width {h} on (64-h-10 train_epoch)")
    return lines


def write_markdown(path, report):
    m, peak = report["machine"], report["peak"]
    md = ["# loopmlp bench", "",
          f"{m['date']} on {m['cpu']} ({m['cores']} cores), Python {m['python']}, "
          f"NumPy {m['numpy']}, Numba {m['numba']}, Cython {m['cython']}"
          + "".join(f", {k} {m[k]}" for k in ("torch", "jax", "scikit-learn") if m.get(k)) + ".",
          "", load_note(m), ""]
    if peak:
        header, rows = peak_table(peak)
        md += ["Peaks, GFLOP/s (the `% peak` of each row is over the no-FMA peak of its dtype "
               "on its number of threads):", "", markdown_table(header, rows), "",
               f"no-FMA: {peak['nofma_method']}. FMA: {peak['fma_method']}.", ""]
    if report["interrupted"]:
        md += ["**Interrupted**: the tables hold what was measured before Ctrl-C.", ""]
    md += [markdown_table(COLUMNS, table_rows(report["results"])), "", LEGEND, ""]
    for s in report["skipped"]:
        md.append(f"- skipped {s['backend']}: {s['reason']}")
    if report["skipped"]:
        md.append("")
    if report["plots"].get("bench"):
        md += ["![ns per sample](bench.png)", ""]
    if report["sweep"]:
        header, rows = sweep_text(report["sweep"])
        md += ["## Hidden-width sweep (train_epoch, 64-h-10)", "", markdown_table(header, rows), ""]
        md += [f"- {line}" for line in sweep_summary(report["sweep"])] + [""]
        if report["plots"].get("sweep"):
            md += ["![sweep](sweep.png)", ""]
    Path(path).write_text("\n".join(md))


def _series(r) -> str:
    """A bar's series in bench.png: the backend, and for floors their thread count."""
    if r["backend"] == "floor":
        return f"floor, {r['threads']} thread{'s' if r['threads'] != 1 else ''}"
    return r["backend"]


def _short(r) -> str:
    """A workload's tick label in bench.png: its net, and for deep nets dtype and batch."""
    label = "-".join(map(str, r["shape"]))
    if r["kernel"].startswith("net_"):
        label += "\n" + r["dtype"].replace("float", "f")
        parts = r["workload"].split(" batch ")
        if len(parts) == 2:
            label += " b" + parts[1].split()[0]
    return label


def write_plots(out, report) -> dict:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plots = {}
    results = report["results"]
    kernels = list(dict.fromkeys(r["kernel"] for r in results))
    if kernels:
        series = list(dict.fromkeys(_series(r) for r in results))
        ncols = min(4, len(kernels))
        nrows = -(-len(kernels) // ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(4.5 * ncols, 4.5 * nrows),
                                 squeeze=False)
        for ax, kern in zip(axes.flat, kernels):
            rs = [r for r in results if r["kernel"] == kern]
            groups = list(dict.fromkeys(r["workload"] for r in rs))
            width = 0.8 / len(series)
            for j, b in enumerate(series):
                xs, ys = [], []
                for i, group in enumerate(groups):
                    for r in rs:
                        if _series(r) == b and r["workload"] == group:
                            xs.append(i + (j - (len(series) - 1) / 2) * width)
                            ys.append(r["ns_per_sample"])
                if xs:
                    floor = b.startswith("floor")
                    ax.bar(xs, ys, width, label=b, color=f"C{j % 10}",
                           hatch="//" if floor else None, fill=not floor,
                           edgecolor=f"C{j % 10}")
            labels = [_short(next(r for r in rs if r["workload"] == g)) for g in groups]
            ax.set_xticks(range(len(groups)), labels, fontsize="small")
            ax.set_yscale("log")
            ax.set_title(kern)
            ax.set_ylabel("ns per sample")
        for ax in list(axes.flat)[len(kernels):]:
            ax.set_visible(False)
        legend = {}
        for ax in axes.flat:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                legend.setdefault(lab, h)
        axes[0][0].legend(legend.values(), legend.keys(), fontsize="small")
        fig.suptitle(f"loopmlp bench: {report['machine']['cpu']} (floors: the no-FMA peak on "
                     f"that many threads)", fontsize="medium")
        fig.tight_layout()
        path = Path(out) / "bench.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        plots["bench"] = str(path)
    if report["sweep"]:
        fig, ax = plt.subplots(figsize=(7, 5))
        for j, b in enumerate(dict.fromkeys(p["backend"] for p in report["sweep"])):
            ps = [p for p in report["sweep"] if p["backend"] == b]
            meas = [p for p in ps if not p["extrapolated"]]
            ax.plot([p["n_hid"] for p in meas], [p["ns_per_sample"] for p in meas],
                    "o-", color=f"C{j}", label=b)
            ext = [p for p in ps if p["extrapolated"]]
            if ext:
                ext = meas[-1:] + ext
                ax.plot([p["n_hid"] for p in ext], [p["ns_per_sample"] for p in ext],
                        "o--", color=f"C{j}", mfc="none", label=f"{b} (extrapolated)")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("hidden units (64 inputs, 10 outputs)")
        ax.set_ylabel("train_epoch: ns per sample")
        ax.set_title("Where compiled loops stop beating BLAS")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="small")
        fig.tight_layout()
        path = Path(out) / "sweep.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        plots["sweep"] = str(path)
    return plots


# --- the command ---------------------------------------------------------------------------

def add_parser(subparsers):
    """Register ``bench`` on an ``argparse`` subparsers object; returns its parser."""
    p = subparsers.add_parser(
        "bench", help="benchmark the backends (and installed peers) against NumPy, checked",
        description="Time every backend on the lecture's workloads, check each result against "
                    "the python reference, and write report.md, report.json and plots.")
    add_arguments(p)
    return p


def _csv(text):
    return [s.strip() for s in text.split(",") if s.strip()]


def add_arguments(p):
    p.add_argument("--out", default="loopmlp-bench", metavar="DIR",
                   help="directory for report.md, report.json, bench.png (default: %(default)s)")
    p.add_argument("--full", action="store_true",
                   help="run pure Python and the peers on every row too (slow: tens of minutes)")
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes, few repeats: checks the report works, not for numbers")
    p.add_argument("--sweep", action="store_true",
                   help="also sweep the hidden width 2..1024 (64-h-10 train_epoch)")
    p.add_argument("--repeat", type=int, default=5, metavar="N",
                   help="timed repeats per case; the median is reported (default: %(default)s)")
    p.add_argument("--backends", type=_csv, metavar="LIST",
                   default=list(CONTENDERS) + list(PEERS),
                   help="comma-separated, from " + ",".join(CONTENDERS + PEERS) + " (default: all; "
                        "peers that are not installed are skipped; fast is numba with fastmath, "
                        "checked against a tolerance, not bit-identical)")
    p.add_argument("--workloads", type=_csv, metavar="LIST", default=None,
                   help="comma-separated substrings of workload names, e.g. "
                        "'train_epoch,predict 60-6-4' (default: all)")
    return p


def select_workloads(args):
    """The lecture's kernels' workloads, then the deep nets', filtered by ``--workloads``;
    small with ``--quick``."""
    from ..workloads import NET_REPORT_WORKLOADS, REPORT_WORKLOADS
    ws = list(REPORT_WORKLOADS) + list(NET_REPORT_WORKLOADS)
    if args.workloads:
        ws = [w for w in ws if any(s in w.group for s in args.workloads)]
    if args.quick:
        ws = [dataclasses.replace(w, n_samples=min(w.n_samples, 64),
                                  python_samples=min(w.n_samples, 64, w.python_samples or 64, 8))
              for w in ws]
    return ws


def run(args) -> int:
    """Run the benchmark described by ``args`` (from ``add_parser``); returns an exit code."""
    t_start = time.perf_counter()
    quiet = getattr(args, "quiet", False)
    unknown = [b for b in args.backends if b not in CONTENDERS + PEERS]
    if unknown or args.repeat < 1:
        print(f"loopmlp bench: unknown backend(s) {', '.join(unknown)}; choose from "
              f"{', '.join(CONTENDERS + PEERS)}" if unknown else "loopmlp bench: --repeat must be >= 1",
              file=sys.stderr)
        return 2
    workloads = select_workloads(args)
    if not workloads:
        print("loopmlp bench: --workloads matched nothing", file=sys.stderr)
        return 2
    settings = {"full": args.full, "quick": args.quick, "repeat": args.repeat,
                "budget": 0.2 if args.quick else (5 * BUDGET if args.full else BUDGET),
                "sweep": args.sweep}
    backends = list(dict.fromkeys(args.backends))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    loaded, skipped = {}, []
    for name in dict.fromkeys(["python"] + backends):
        k, reason = load_backend(name)
        if k is None:
            skipped.append({"backend": name, "reason": reason})
            _progress(f"skipping {name}: {reason}", quiet)
        else:
            loaded[name] = k
    if "python" not in loaded:
        print(f"loopmlp bench: the python reference cannot load: {skipped}", file=sys.stderr)
        return 1
    backends = [b for b in backends if b in loaded]

    report = {"machine": machine_info(), "settings": settings, "peak": None,
              "columns": list(COLUMNS), "results": [], "sweep": [], "skipped": skipped,
              "interrupted": False, "plots": {}, "wall_s": None}
    try:
        _progress("measuring the peaks ...", quiet)
        counts = thread_counts()
        needed = {contender_threads(b, w, counts) for w in workloads for b in backends
                  if runs(b, loaded[b], w)}
        report["peak"] = measure_peaks(needed, quick=args.quick, quiet=quiet)
        for i, w in enumerate(workloads, 1):
            report["results"] += measure_workload(w, backends, loaded, settings, report["peak"],
                                                  quiet, label=f"[{i}/{len(workloads)}] ")
        if args.sweep:
            report["sweep"] = run_sweep(backends, loaded, settings, quiet)
    except KeyboardInterrupt:
        report["interrupted"] = True
        print("\nloopmlp bench: interrupted; reporting what was measured", file=sys.stderr)
    report["wall_s"] = time.perf_counter() - t_start
    try:
        report["plots"] = write_plots(out, report)
    except Exception as e:  # a report without plots beats no report
        report["plots"] = {"error": f"{e.__class__.__name__}: {e}"}
    (out / "report.json").write_text(json.dumps(report, indent=1))
    write_markdown(out / "report.md", report)
    print_report(report)
    print(f"\nwrote {out / 'report.md'}, {out / 'report.json'}"
          + "".join(f", {p}" for k, p in report["plots"].items() if k != "error"))
    return 130 if report["interrupted"] else 0


def print_report(report):
    m, peak = report["machine"], report["peak"]
    print(f"loopmlp bench: {m['cpu']}, {m['cores']} cores, Python {m['python']}, "
          f"NumPy {m['numpy']}, Numba {m['numba']}, Cython {m['cython']}, {m['date']}")
    print(load_note(m))
    if peak:
        header, rows = peak_table(peak)
        print("peaks, GFLOP/s; each row's % peak is over the no-FMA peak of its dtype and "
              "threads:")
        widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
        for row in [header] + rows:
            print("  " + "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                                   for i, (c, w) in enumerate(zip(row, widths))))
        print(f"  no-FMA: {peak['nofma_method']}")
        print(f"  FMA: {peak['fma_method']}")
    print()
    if report["results"]:
        print(text_table(report["results"]))
        print("\n~ = timed on fewer rows (rows timed/full), scaled to the full row count; "
              "% peak = of the no-FMA peak for the row's dtype and threads; floor = the time "
              "at that peak")
    for s in report["skipped"]:
        print(f"skipped {s['backend']}: {s['reason']}")
    if report["sweep"]:
        header, rows = sweep_text(report["sweep"])
        print("\nhidden-width sweep, train_epoch 64-h-10, ns per sample (~ extrapolated):")
        widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
        for row in [header] + rows:
            print("  ".join(str(c).rjust(w) for c, w in zip(row, widths)))
        for line in sweep_summary(report["sweep"]):
            print(line)
    if report["interrupted"]:
        print("(interrupted: partial results)")
    print(f"wall time {report['wall_s']:.1f} s")


def main(argv=None) -> int:
    """``python -m loopmlp.benchreport [options]``: the command without loopmlp's CLI."""
    parser = argparse.ArgumentParser(prog="loopmlp bench")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

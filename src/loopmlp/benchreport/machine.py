"""The machine ``loopmlp bench`` runs on: its description, its no-FMA and FMA peaks, and
the threads each contender runs on.

numba, numpy and threadpoolctl are imported inside the functions that need them.
"""

from __future__ import annotations

import datetime
import os
import platform
import sys
import time

from ..runtime import cpu_info

# --- machine info --------------------------------------------------------------------------


def _version(module):
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:
        return None


def machine_info() -> dict:
    """CPU model, cores, versions and the date, for the report's header and JSON."""
    import numpy as np

    cpu = cpu_info()  # the same as `loopmlp info`'s
    info = {
        "cpu": cpu["model"],
        # a virtual machine's model name may be generic: family and model name the cores
        "cpu_id": cpu["id"],
        "cpu_features": cpu["features"],
        "cores": cpu["cores"],
        "cores_usable": cpu["cores_usable"],
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

        info["blas"] = [
            f"{d.get('internal_api')} {d.get('version')} ({d.get('num_threads')} threads)"
            for d in threadpool_info()
            if d.get("user_api") == "blas"
        ]
    except Exception:
        info["blas"] = None
    return info


# --- the machine's peaks, and the threads each contender runs on ---------------------------

NOFMA_PAIRS = 64  # independent (add, multiply) pairs a step of the no-FMA peak's loop (AVX-512)
PEAK_CALL = 0.05  # seconds a peak measurement's call should last (0.01 --quick)
PREDICT_BLOCK = 64  # rows per parallel block of predict and net_predict, numba and cython alike


def _nofma_source(pairs: int = NOFMA_PAIRS) -> str:
    """Source of ``muladd(m, reps, init)``: ``pairs`` independent chains, each step of each
    one add ``s_k = s_k + p_k`` and one multiply ``p_k = p_k * m``; returns ``sum s_k``.

    Written out pair by pair (``p0 ... p63``): scalars are what LLVM keeps in registers and
    its SLP vectoriser packs into SIMD lanes, each lane exactly the scalar operation (as in
    ``_rearranged.py``). No fastmath, so every multiply and every add is its own instruction
    (no FMA, no reassociation), as in the bit-exact kernels. With AVX-512, 64 pairs keep
    the add and multiply pipes full despite their latency even for float32's 16 lanes; fewer
    leave them idle between dependent operations, many more spill out of the registers
    (``peak_chains`` gives the count for this CPU).
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


def peak_chains(kind: str, dtype: str) -> int:
    """The independent chains a step of a peak's loop (``kind`` ``"nofma"``: its (add,
    multiply) pairs; ``"fma"``: its fma chains) for ``dtype`` on the CPU numba targets: as
    many as keep the pipes busy and still fit its vector registers.

    With AVX-512's 32 registers (``_numba._many_registers``), ``NOFMA_PAIRS`` and
    ``FMA_CHAINS``. With 16 (AVX2, and SSE2), 8 registers of chains, as the kernels' passes
    keep 8 vectors of sums: 4 vectors of pairs (each pair holds two values), 8 of fma chains,
    so 16 pairs and 32 chains in float64, 32 and 64 in float32 (on an AMD EPYC, family 25
    model 1, twice as many lost 20-60% to spills; 5 or 6 vectors' worth lost 70-90%, as
    LLVM's SLP vectoriser then mixes vector widths). On that CPU 4 vectors of adds in flight
    are two thirds of what its two add pipes need (latency 3), so there the no-FMA peak reads
    two thirds of the FMA peak, which the kernels' own independent sums can pass.
    """
    from ..kernels._numba import _many_registers

    if _many_registers():
        return NOFMA_PAIRS if kind == "nofma" else FMA_CHAINS
    lanes = 256 // (64 if dtype == "float64" else 32)
    return (4 if kind == "nofma" else 8) * lanes


def nofma_kernels(dtype: str = "float64"):
    """``(muladd, muladd_threads)`` with ``peak_chains("nofma", dtype)`` pairs, compiled by
    numba as loopmlp's kernels are (no fastmath, the SLP vectoriser on;
    ``_numba.NUMBA_OPTIONS`` and ``_numba._slp_vectorize``), for ``dtype``.
    ``muladd_threads`` runs ``muladd`` on ``out.shape[0]`` chunks at once, one per thread
    (``prange``)."""
    source = _nofma_source(peak_chains("nofma", dtype)) + "\n" + MULADD_THREADS
    return _compile_peak(source, "muladd", "no-FMA", {}, dtype)


def _compile_peak(source: str, name: str, label: str, scope: dict, dtype: str):
    """``(name, name_threads)`` compiled from the generated ``source`` (its functions see
    ``scope`` and ``prange``) as loopmlp's kernels are, for ``dtype``."""
    import numba
    import numpy as np

    from ..kernels._numba import NUMBA_OPTIONS, _slp_vectorize

    options = dict(NUMBA_OPTIONS, cache=False)  # generated source: nothing to cache it by
    scope = dict(scope, prange=numba.prange)
    exec(compile(source, f"<loopmlp {label} peak>", "exec"), scope)
    single = scope[name] = numba.njit(**options)(scope[name])
    threads = numba.njit(parallel=True, **options)(scope[f"{name}_threads"])
    t = numba.from_dtype(np.dtype(dtype))
    with _slp_vectorize():
        single.compile((t, numba.int64, t[::1]))
        threads.compile((t, numba.int64, t[:, ::1], t[::1]))
    return single, threads


def measure_nofma(kernels, dtype: str, threads: int, quick: bool = False) -> float:
    """GFLOP/s of ``muladd`` in ``dtype`` on ``threads`` threads: the most our kernels could
    do without FMA. Best of several calls of about ``PEAK_CALL`` seconds each."""
    return _measure_chains(kernels, peak_chains("nofma", dtype), dtype, threads, quick)


def _measure_chains(kernels, chains: int, dtype: str, threads: int, quick: bool) -> float:
    """GFLOP/s of ``kernels`` (``muladd`` or ``fmachain`` and their threaded versions), 2
    floating-point operations a chain and step: the best of several calls of about
    ``PEAK_CALL`` seconds each."""
    import numba
    import numpy as np

    one, on_threads = kernels
    real = np.dtype(dtype).type
    m = real(1.0)  # p stays put and s grows linearly: no overflow, no subnormals
    init = np.tile(np.arange(1, chains + 1, dtype=dtype), (threads, 1))
    out = np.zeros(threads, dtype=dtype)
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:

        def call(reps, threads=threads):
            if threads == 1:
                return _clock(lambda: one(m, reps, init[0]))
            return _clock(lambda: on_threads(m, reps, init, out))

        reps = 1_000
        call(reps)  # warm-up: numba's threads start
        # sized on one thread, whose call has no thread to wait for: each thread's chunk
        # is that long, so a late thread's start (other processes on the cores) is a
        # fraction of the call, not all of it
        while call(reps, 1) < (0.01 if quick else PEAK_CALL) / 4:
            reps *= 4
        best = min(call(reps) for _ in range(3 if quick else 5))
    finally:
        numba.set_num_threads(before)
    return 2 * chains * reps * threads / best / 1e9


FMA_CHAINS = 128  # independent fma chains a step of the FMA peak's loop (AVX-512)


def _fma_source(chains: int = FMA_CHAINS) -> str:
    """Source of ``fmachain(m, reps, init)``: ``chains`` independent chains, each step of
    each one ``s_k = fma(s_k, m, 1)``, one rounding (the FMA mode's ``s = fma(a, b, s)``);
    returns ``sum s_k``.

    Scalars written out chain by chain, for the SLP vectoriser, as ``_nofma_source``. An fma
    has the latency of a multiply and there are two FMA ports: 128 chains are 8 vectors of
    float32's 16 lanes in flight, enough to keep both busy (64 leave float32 at half its
    peak), and float64's 16 vectors still fit AVX-512's 32 registers.
    """
    lines = ["def fmachain(m, reps, init):"]
    lines += [f"    s{k} = init[{k}]" for k in range(chains)]
    lines += ["    c = init[0] / init[0]"]
    lines += ["    for r in range(reps):"]
    lines += [f"        s{k} = fma(s{k}, m, c)" for k in range(chains)]
    lines += ["    return " + " + ".join(f"s{k}" for k in range(chains))]
    return "\n".join(lines)


FMACHAIN_THREADS = MULADD_THREADS.replace("muladd", "fmachain")


def fma_kernels(dtype: str = "float64"):
    """``(fmachain, fmachain_threads)``: ``_fma_source``'s loop with ``peak_chains("fma",
    dtype)`` chains and the FMA mode's fma (the numba backend's ``llvm.fma``,
    ``_numba._fma``), compiled as the kernels are, for ``dtype``; ``fmachain_threads`` runs
    one per thread (``prange``)."""
    from ..kernels._numba import _fma

    source = _fma_source(peak_chains("fma", dtype)) + "\n" + FMACHAIN_THREADS
    return _compile_peak(source, "fmachain", "FMA", {"fma": _fma}, dtype)


def measure_fma_loops(kernels, dtype: str, threads: int, quick: bool = False) -> float:
    """GFLOP/s of ``fmachain`` in ``dtype`` on ``threads`` threads (an fma counts 2): the
    ceiling of the FMA mode's loops."""
    return _measure_chains(kernels, peak_chains("fma", dtype), dtype, threads, quick)


# No-FMA peak over FMA peak (float64, one thread) below which a CPU's multiplies and adds
# share the FMA ports (about 0.5 there); near 1 its adds have pipes of their own, or two
# thirds with AVX2's 16 registers on an AMD Zen 3 (peak_chains says why)
SHARED_PORTS = 0.6


def ports(peak) -> str | None:
    """``"shared"``: this CPU's adds run on the FMA ports, so rounding twice halves the
    ceiling; ``"own"``: adds have their own pipes; None: a peak was not measured. From
    the loops' own peaks (``fma_loops``), else BLAS's."""
    if not peak:
        return None
    nofma = peak["nofma"].get("float64", {}).get("1")
    fma = (peak.get("fma_loops") or peak["fma"]).get("float64", {}).get("1")
    if not nofma or not fma:
        return None
    return "shared" if nofma < SHARED_PORTS * fma else "own"


def ports_sentence(peak) -> str:
    """One sentence on which ceiling applies, from ``ports``."""
    kind = ports(peak)
    if kind is None:
        return "which ceiling applies: not measured"
    nofma = peak["nofma"]["float64"]["1"]
    fma = (peak.get("fma_loops") or peak["fma"])["float64"]["1"]
    head = f"no-FMA peak {nofma:.1f} GFLOP/s against {fma:.1f} with FMA (float64, one thread; "
    head += f"{100 * nofma / fma:.0f}%): "
    if kind == "shared":
        return head + (
            "this CPU's multiplies and adds share the FMA ports, so the default mode's loops "
            "(two roundings) have a lower ceiling than the FMA mode's"
        )
    return head + (
        "this CPU's adds have pipes of their own, so rounding twice need not lower the "
        "ceiling (where this peak is below the FMA one, 16 vector registers hold too few "
        "chains to fill those pipes; the kernels' independent sums can)"
    )


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
    return 2 * n**3 / best / 1e9


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

    These rules restate the kernels (threads that do the work). ``Timing`` also records
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
    ``fma_loops[dtype][threads]``: ``fmachain`` (see ``_fma_source``), the ceiling of the
    FMA mode's loops, on the same thread counts; the FMA mode's rows are taken against it.
    ``ports``: ``"shared"`` or ``"own"`` (see ``ports``).
    """
    import numba

    counts = thread_counts()
    needed = sorted({1, counts["numba"], *thread_counts_needed})
    nofma, skipped = {"float64": {}, "float32": {}}, []
    kernels = {dtype: nofma_kernels(dtype) for dtype in nofma}
    fused = {dtype: fma_kernels(dtype) for dtype in nofma}
    fma_loops: dict = {"float64": {}, "float32": {}}
    for threads in needed:
        if threads > numba.config.NUMBA_NUM_THREADS:
            skipped.append(threads)  # numba cannot start more threads than that
            continue
        for dtype in nofma:
            _progress(f"  no-FMA peak, {dtype}, {threads} thread(s)", quiet)
            nofma[dtype][str(threads)] = measure_nofma(kernels[dtype], dtype, threads, quick)
            _progress(f"  FMA peak (loops), {dtype}, {threads} thread(s)", quiet)
            fma_loops[dtype][str(threads)] = measure_fma_loops(fused[dtype], dtype, threads, quick)
    _progress("  FMA peak (BLAS)", quiet)
    fma = {"float64": {"1": measure_fma(1, quick), str(counts["blas"]): measure_fma(None, quick)}}
    n = 512 if quick else 1_024
    peak = {
        "nofma": nofma,
        "fma": fma,
        "fma_loops": fma_loops,
        "threads": counts,
        "not_measured": skipped,
        "nofma_method": f"numba, {_counts('nofma')} independent (add, multiply) pairs a step, "
        f"no fastmath (so no FMA), SLP vectoriser on as in the kernels; on "
        f"N threads, N such loops at once (prange)",
        "fma_method": f"float64 {n}x{n} matmul, BLAS on 1 thread and on its default "
        f"{counts['blas']}",
        "fma_loops_method": f"numba, {_counts('fma')} independent chains s = fma(s, m, c), the "
        f"FMA mode's llvm.fma (2 operations each), SLP vectoriser on as in the kernels; on "
        f"N threads, N such loops at once (prange)",
    }
    peak["ports"] = ports(peak)
    return peak


def _counts(kind: str) -> str:
    """``peak_chains`` for both dtypes, as the report's method says it."""
    n64, n32 = peak_chains(kind, "float64"), peak_chains(kind, "float32")
    return str(n64) if n64 == n32 else f"{n64} (float64) or {n32} (float32)"


def nofma_peak(peak, dtype: str, threads: int):
    """The no-FMA peak for ``dtype`` on ``threads`` threads, or None (not measured)."""
    if not peak:
        return None
    return peak["nofma"].get(dtype, {}).get(str(threads))


def mode_peak(peak, mode: str, dtype: str, threads: int):
    """The ceiling of a row in ``mode``: the no-FMA peak (``"default"``: two roundings), or
    the loops' FMA peak (``"fma"``) for ``dtype`` on ``threads`` threads; None if not
    measured (reports made before the FMA mode have no ``fma_loops``)."""
    if not peak:
        return None
    if mode == "fma":
        return (peak.get("fma_loops") or {}).get(dtype, {}).get(str(threads))
    return nofma_peak(peak, dtype, threads)


# --- timing and progress lines, shared with measure.py and command.py ----------------------


def _clock(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _progress(msg, quiet):
    if not quiet:
        print(msg, file=sys.stderr, flush=True)

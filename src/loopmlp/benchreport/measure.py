"""Measuring ``loopmlp bench``'s rows: timing a call, checking it against the ``python``
reference, the verdict, one workload's rows with their floors, and the hidden-width sweep.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import random
import statistics
import time

from .machine import _clock, _progress, contender_threads, mode_peak, thread_counts
from .peers import PEERS, deep_tolerance

PEER_ROWS = 2_048  # peers' rows unless --full (their per-row cost is extrapolated) ...
# ... unless a call on every row takes at most PEER_FULL seconds: then every row, as the
# loops get (a peer's cost per row can grow with the rows, when its intermediate arrays
# leave the cache: PyTorch's net_predict 784-512-10 takes 7.6 us a row on 10,000 rows and
# 5.9 on 2,048, Intel Xeon)
PEER_FULL = 0.5
MIN_TIME = 0.02  # seconds a timed repeat should last at least (calls are batched)
BUDGET = 2.0  # seconds of timing per workload and backend (5 x BUDGET --full)
# seconds to wait before calibrating a contender and before each timed repeat: OpenBLAS's
# threads keep spinning for a while after a call (numpy's, or numpy's inside a peer), as do
# OpenMP's and XLA's, on the cores the next repeat needs; without the wait, whichever runs
# right after numpy is measured slower than it is (with repeats in turns, every repeat does)
SETTLE = 0.2


# --- measuring -----------------------------------------------------------------------------


class Timing:
    """One contender's timing of one workload, a repeat at a time.

    Created ready to time: the warm-up call (``warm_up``) and the calibration (calls per
    repeat, ``number``, so that a repeat lasts at least ``MIN_TIME``; repeats, so that they
    fit ``budget``) are done. ``step`` times one more repeat on fresh arguments;
    ``time_in_turns`` interleaves the steps of every contender, so that a machine whose
    speed drifts (a shared host's other tenants) slows every contender alike."""

    def __init__(self, w, k, backend, rows, repeat, budget, warm_up):
        self.w = dataclasses.replace(w, n_samples=rows, python_samples=None)
        self.k, self.backend = k, backend
        if warm_up:
            self.w.run(k, *self.w.setup(backend))
        args = self.w.setup(backend)
        t1 = _clock(lambda: self.w.run(k, *args))
        self.first = t1
        self.number = 1 if t1 >= MIN_TIME else min(100_000, math.ceil(MIN_TIME / max(t1, 1e-7)))
        self.repeats = (
            repeat
            if t1 * self.number * repeat <= budget
            else max(1, min(repeat, int(budget / (t1 * self.number))))
        )
        self.times = [t1] if self.number == 1 else []
        self.calibration_only = len(self.times)
        self.cpu = self.wall = 0.0

    @property
    def done(self) -> bool:
        return len(self.times) >= self.repeats

    def step(self) -> None:
        """Time one repeat: ``number`` calls on fresh arguments, garbage collection off.

        A repeat of short calls (``number`` > 1) starts with one untimed call: after the
        ``SETTLE`` pause the threads of a threaded kernel sleep, and on a virtual machine
        the host may have given their cores away; the first calls wait for them (on a 2-vCPU
        Intel Xeon under KVM, ``net_predict`` 64-32-10 on 1,797 rows took 189-197 ns a row,
        the median of repeats straight after the pause, 113-116 after one untimed call, and
        106-116 with no pause at all). A repeat of one long call leaves it out: it would
        double the repeat's time for a wait of under a millisecond."""
        if self.number > 1:
            self.w.run(self.k, *self.w.setup(self.backend))
        cpu0, wall0 = time.process_time(), time.perf_counter()
        args = self.w.setup(self.backend)
        gc_was = gc.isenabled()
        gc.disable()
        try:
            t0 = time.perf_counter()
            for _ in range(self.number):
                self.w.run(self.k, *args)
            dt = time.perf_counter() - t0
        finally:
            if gc_was:
                gc.enable()
        self.times.append(dt / self.number)
        self.cpu += time.process_time() - cpu0
        self.wall += time.perf_counter() - wall0

    def result(self):
        """``(median seconds a call, times, number, cpu_per_wall)``: the process's CPU seconds
        a wall second over the timed repeats (None: only the calibration call was timed)."""
        timed_here = len(self.times) > self.calibration_only and self.wall > 0
        cpu_per_wall = self.cpu / self.wall if timed_here else None
        return statistics.median(self.times), self.times, self.number, cpu_per_wall


def time_in_turns(timings, settle=True) -> None:
    """Time the ``Timing`` objects' repeats in turns, one repeat of each a round, until each
    has all of its own; ``SETTLE`` seconds before each repeat (``settle``). The first round
    takes them in order, each later one in a shuffled order (the same on every run), so that
    no row always runs right after the same one: whatever a row leaves behind (threads,
    caches, a CPU's clocks) then reaches different rows in different rounds."""
    order, shuffle = list(timings), random.Random(0).shuffle
    while not all(t.done for t in order):
        for t in order:
            if not t.done:
                if settle:
                    time.sleep(SETTLE)
                t.step()
        shuffle(order)


def check(w, k, backend, ref):
    """``(bit_identical, max_abs_diff)`` of ``backend`` against the reference's result."""
    from ..workloads import compare

    n = w.rows("python")
    small = dataclasses.replace(w, n_samples=n, python_samples=None)
    return compare(small.result(k, small.setup(backend)), ref)


def tolerance(w, backend):
    """The max |diff| ``backend`` may have on the check's rows, or None (no stated tolerance).

    ``fast``: its rounding-error bound (the lecture's kernels); ``torch`` and ``jax``: the
    deep peers' ``peers.DEEP_TOLERANCE`` (the deep kernels)."""
    if backend in ("torch", "jax"):
        return deep_tolerance(w)
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
        diff = (
            "bit-identical here" if row["bit_identical"] else f"max diff {row['max_abs_diff']:.0e}"
        )
        return f"{within} tol {row['tolerance']:.0e}: {diff}"
    if row["bit_identical"]:
        return "bit-identical"
    return f"max diff {row['max_abs_diff']:.0e}"


def workload_dtype(w) -> str:
    """The dtype ``w`` computes in: a deep workload's own, float64 for the lecture's kernels."""
    return getattr(w, "dtype", "float64")


def workload_mode(w) -> str:
    """``"fma"`` for a deep workload in the FMA mode, else ``"default"``."""
    return getattr(w, "mode", "default")


def peak_name(dtype: str, threads: int, mode: str = "default") -> str:
    kind = "FMA" if mode == "fma" else "no-FMA"
    return f"{kind} {dtype}, {threads} thread{'s' if threads != 1 else ''}"


# The contenders with an FMA mode of their own: the loop backends (python is the reference
# every row is checked against, in the FMA mode too, and not timed there: its exact fma
# is emulated, hundreds of times slower than its default mode)
FMA_CONTENDERS = ("numba", "cython")
_fma_support: dict = {}


def has_fma_mode(name, k) -> bool:
    """Whether backend ``k`` runs the FMA mode: a one-row ``net_predict`` on a 2-2-1 net with
    ``fma=True`` (a backend built before the mode refuses its keyword with TypeError)."""
    if name not in _fma_support:
        import numpy as np

        from ..net import init_net

        try:
            k.net_predict(init_net([2, 2, 1], seed=0, fma=True), np.zeros((1, 2)))
            _fma_support[name] = True
        except (TypeError, NotImplementedError):
            _fma_support[name] = False
    return _fma_support[name]


def runs(name, k, w) -> bool:
    """Whether contender ``name`` (loaded as ``k``) runs workload ``w``."""
    from ..workloads import NetWorkload

    if k is None or not hasattr(k, w.kernel):
        return False  # a peer without the kernel
    if workload_mode(w) == "fma":
        return name in FMA_CONTENDERS and has_fma_mode(name, k)
    # fast's tolerances (_numba_fast.atol) cover the lecture's kernels only: without a
    # stated tolerance it has no verdict, so it does not run the deep workloads
    return not (name == "fast" and isinstance(w, NetWorkload))


def twins(workloads) -> list[list]:
    """``workloads`` in groups measured together: a deep workload with its FMA-mode twin and
    its other dtype's (``select_workloads`` puts them side by side), so that the ratios the
    goals compare (FMA against default, float32 against float64) come from rows timed in the
    same turns; every other workload alone."""
    groups: list[list] = []
    for w in workloads:
        if groups and _family(w) is not None and _family(w) == _family(groups[-1][-1]):
            groups[-1].append(w)
        else:
            groups.append([w])
    return groups


def _family(w):
    """A deep workload in the default mode and float64, which its twins share; else None."""
    from ..workloads import NetWorkload

    return (
        dataclasses.replace(w, fma=False, dtype="float64") if isinstance(w, NetWorkload) else None
    )


def measure_workloads(ws, backends, loaded, settings, peak, quiet=False, label=""):
    """Rows of the report for the workloads ``ws`` (a ``twins`` group): for each workload,
    one row per backend that runs it, then the floors.

    Every contender is checked against the reference and calibrated first (``Timing``);
    then their repeats are timed in turns, one repeat of each contender of every workload
    of the group a round, so that the ratios between rows (an FMA-mode row and its
    default-mode twin's included) hold even where the machine's speed drifts.

    Each row records the threads its contender runs on (``contender_threads``) and its
    GFLOP/s as a percentage of its mode's peak (``mode_peak``: the no-FMA peak, or in the
    FMA mode the loops' FMA peak) for its dtype and that thread count. Rows
    come ordered by thread count, each block followed by its ``floor`` row (``floor_rows``).
    """
    counts = peak["threads"] if peak else thread_counts()
    timings, rows = [], {w: [] for w in ws}
    for w in ws:
        ref_k = loaded["python"]
        small = dataclasses.replace(w, n_samples=w.rows("python"), python_samples=None)
        ref = small.result(ref_k, small.setup("python"))
        per_call = w.kernel in ("neural_response", "update_network")
        for name in backends:
            k = loaded.get(name)
            if not runs(name, k, w):
                continue
            _progress(f"{label}{w.group}: {name}", quiet)
            row = {
                "workload": w.group,
                "kernel": w.kernel,
                "net": w.net,
                "shape": list(w.shape),
                "dtype": workload_dtype(w),
                "mode": workload_mode(w),
                "n_samples": 1 if per_call else w.n_samples,
                "flops_per_sample": w.flops,
                "backend": name,
                "threads": contender_threads(name, w, counts),
            }
            if name == "python":
                row.update(bit_identical=True, max_abs_diff=0.0, note="reference")
            elif getattr(k, "compares", True):
                same, diff = check(w, k, name, ref)
                row.update(
                    bit_identical=bool(same),
                    max_abs_diff=float(diff),
                    tolerance=tolerance(w, name),
                )
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
            if not settings["quick"]:
                time.sleep(SETTLE)
            # a warm-up on the timed rows: the check's few rows may take other code (numba's
            # predict runs one block off its threads), whose first call would be timed compiling
            timing = Timing(
                w, k, name, n_rows, settings["repeat"], settings["budget"], name != "python"
            )
            if name in PEERS and n_rows < w.n_samples:
                if timing.first / n_rows * w.n_samples <= PEER_FULL:
                    n_rows = w.n_samples
                    timing = Timing(
                        w, k, name, n_rows, settings["repeat"], settings["budget"], True
                    )
            row["rows_timed"] = n_rows
            timings.append((timing, row))
            rows[w].append(row)
    _progress(f"{label}timing {len(timings)} rows in turns", quiet)
    time_in_turns([t for t, _ in timings], settle=not settings["quick"])
    for t, row in timings:
        median, times, number, cpu_per_wall = t.result()
        n_rows, full_rows = row["rows_timed"], row["n_samples"]
        row.update(
            extrapolated=n_rows < full_rows,
            repeats=len(times),
            cpu_per_wall=cpu_per_wall,
            number=number,
            times_s=times,
            median_s=median / n_rows * full_rows,
            ns_per_sample=median / n_rows * 1e9,
        )
        row["gflops"] = row["flops_per_sample"] / row["ns_per_sample"]
        top = mode_peak(peak, row["mode"], row["dtype"], row["threads"])
        row.update(
            peak=peak_name(row["dtype"], row["threads"], row["mode"]) if top else None,
            peak_gflops=top,
            pct_peak=100 * row["gflops"] / top if top else None,
        )
    paired_with_default(timings)
    out = []
    for w in ws:
        by = {r["backend"]: r["ns_per_sample"] for r in rows[w]}
        for r in rows[w]:
            r["speedup_vs_numpy"] = by["numpy"] / r["ns_per_sample"] if "numpy" in by else None
            r["speedup_vs_python"] = by["python"] / r["ns_per_sample"] if "python" in by else None
            r["check"] = verdict(r)
        out += floor_rows(rows[w], peak)
    return out


def paired_with_default(timings) -> None:
    """Give each FMA-mode row whose default-mode twin was timed in the same turns
    ``fma_vs_default``: the median, over the rounds, of the FMA row's time over its twin's
    in that round, and ``fma_vs_default_range``, their least and greatest. A slow spell
    hits both rows of a round alike, so where the two modes run at one speed (adds with
    pipes of their own) this ratio stays near 1 while two medians, each of a different
    handful of rounds, may fall either way."""
    by = {(t.w.group, t.backend): t for t, _ in timings}
    for t, row in timings:
        if row["mode"] != "fma":
            continue
        twin = by.get((dataclasses.replace(t.w, fma=False).group, t.backend))
        if twin is None:
            continue
        own, other = t.times[t.calibration_only :], twin.times[twin.calibration_only :]
        ratios = [a / b for a, b in zip(own, other)]
        if ratios:
            row["fma_vs_default"] = statistics.median(ratios)
            row["fma_vs_default_range"] = [min(ratios), max(ratios)]


def floor_rows(rows, peak) -> list[dict]:
    """``rows`` of one workload ordered by thread count (stable), each block of rows on the
    same number of threads followed by a ``floor`` row: the time the workload's operations
    would take at the peak of the rows' mode (``mode_peak``) for that dtype and thread
    count. So a floor sits beside the rows it bounds, never a one-thread floor beside a
    two-thread kernel."""
    out = []
    by = {r["backend"]: r["ns_per_sample"] for r in rows}
    for threads in sorted({r["threads"] for r in rows}):
        block = [r for r in rows if r["threads"] == threads]
        out += block
        r0 = block[0]
        mode = r0.get("mode", "default")
        top = mode_peak(peak, mode, r0["dtype"], threads)
        if not top:
            continue
        floor_ns = r0["flops_per_sample"] / top
        out.append(
            {
                k: r0[k]
                for k in (
                    "workload",
                    "kernel",
                    "net",
                    "shape",
                    "dtype",
                    "mode",
                    "n_samples",
                    "flops_per_sample",
                )
                if k in r0
            }
            | {
                "backend": "floor",
                "threads": threads,
                "rows_timed": None,
                "extrapolated": False,
                "median_s": floor_ns * r0["n_samples"] / 1e9,
                "ns_per_sample": floor_ns,
                "gflops": top,
                "pct_peak": 100.0,
                "peak": peak_name(r0["dtype"], threads, mode),
                "peak_gflops": top,
                "speedup_vs_numpy": by["numpy"] / floor_ns if "numpy" in by else None,
                "speedup_vs_python": by["python"] / floor_ns if "python" in by else None,
                "bit_identical": None,
                "max_abs_diff": None,
                "check": f"time at the {peak_name(r0['dtype'], threads, mode)} peak",
            }
        )
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
        flops = flop_count("train_epoch", w.shape)
        timings = []
        for name in backends:
            k = loaded.get(name)
            if k is None or not hasattr(k, "train_epoch"):
                continue
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
            t = Timing(w, k, name, rows, settings["repeat"], settings["budget"], name != "python")
            point.update(extrapolated=False, rows_timed=rows)
            timings.append((t, point))
            out.append(point)
        time_in_turns([t for t, _ in timings], settle=not settings["quick"])
        for t, point in timings:
            point["ns_per_sample"] = t.result()[0] / point["rows_timed"] * 1e9
            if point["backend"] == "python":
                last_py = point["ns_per_sample"] / flops
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

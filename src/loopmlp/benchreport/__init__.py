"""``loopmlp bench``: how fast are the lecture's loops when compiled, against NumPy, and right?

Runs every backend (and, when installed, PyTorch, JAX and scikit-learn as peers) on the
workloads of ``loopmlp.workloads.REPORT_WORKLOADS`` (the lecture's kernels) and
``NET_REPORT_WORKLOADS`` (the deep nets' ``net_train`` and ``net_predict``) -- the same
definitions ``bench/`` uses -- and reports, per workload and backend: the threads it runs
on, the median time, ns per sample, the speed-up against ``numpy`` and against ``python``,
GFLOP/s and the percentage of the machine's peak for that mode, dtype and thread count,
and a correctness verdict against the ``python`` reference. The deep workloads run in the
FMA mode too (``FMA_REPORT_WORKLOADS``: ``init_net(..., fma=True)``, workloads ending in
``fma``), on the loop backends that have it, checked against the reference in that mode.
The opt-in ``fast`` backend (numba with fastmath) runs the lecture's kernels too, labelled
as not bit-identical and checked against its stated tolerance, so the report shows what the
bits cost. Writes ``report.md``, ``report.json`` and ``bench.png`` (and ``sweep.png`` with
``--sweep``) to ``--out``.

Peaks (``measure_peaks``): the no-FMA peak is a numba loop of independent multiplies and
adds, compiled as our kernels are (no fastmath, so never an FMA), in float64 and float32, on
one thread and on numba's threads; the FMA peak is BLAS's float64 matrix product on one
thread and on BLAS's default threads; the loops' FMA peak is the same numba loop made of
the FMA mode's ``fma`` (``fma_kernels``). Whether the no-FMA peak is about half the FMA peak
(this CPU's adds share the FMA ports) or near it (adds have pipes of their own) is
``ports``. Each row is compared with the peak of its own mode (no-FMA by default, the loops'
FMA peak in the FMA mode), dtype and thread count, and each thread count's ``floor`` row (the
time at that peak) sits right after the rows it bounds.

Method: before timing, each backend runs the workload on the rows the reference can afford
(``Workload.rows("python")``) and is compared with ``python`` on the same arguments; then
every backend but ``python`` makes one warm-up call on the timed rows (numba compiles there,
JAX for that shape).
Each repeat gets fresh arguments (``Workload.setup``) and runs the kernel ``number`` times
(enough for about 20 ms) under ``time.perf_counter`` with garbage collection off; the report
gives the median over repeats. The repeats of a workload's contenders, and of its twins'
(the same workload in the FMA mode and in the other dtype; ``twins``), are timed in turns
(``measure_workloads``), one of each a round (the rounds after the first in a shuffled
order), so that a machine whose speed drifts (a shared host, a CPU's
clocks) slows every row alike and the ratios between rows hold; ``SETTLE`` seconds pass
before each repeat, so that none starts while the threads of the one before (OpenBLAS's,
OpenMP's, XLA's) still spin. Pure Python (and the
peers, unless ``--full`` or a call on every row takes at most ``PEER_FULL`` seconds) run on
fewer rows; their per-row time is scaled to the full row count and marked ``~``.

The package, one concern a module (importing it loads no numpy, numba or matplotlib):

==============  ==========================================================================
``peers``       the contenders and the peers: ``TorchPeer``, ``JaxPeer``, ``SklearnPeer``,
                ``PEER_CLASSES``, ``load_backend``
``machine``     the machine: ``machine_info``, the no-FMA and FMA peaks (``measure_peaks``,
                ``nofma_kernels``, ``fma_kernels``, ``ports``), ``thread_counts``,
                ``contender_threads``
``measure``     the rows: ``Timing``, ``time_in_turns``, ``check``, ``tolerance``, ``verdict``,
                ``twins``, ``measure_workloads``, ``floor_rows``, ``run_sweep``, ``crossover``,
                ``has_fma_mode``
``render``      the report: the tables, ``LEGEND``, ``print_report``, ``write_markdown``,
                ``write_plots``
``command``     the command: ``add_parser``, ``add_arguments``, ``select_workloads``,
                ``run``, ``main``
==============  ==========================================================================

Used by ``loopmlp.cli`` (``add_parser``, ``run``), as ``python -m loopmlp.benchreport
[options]``, or directly::

    from loopmlp import benchreport
    benchreport.main(["--quick", "--out", "loopmlp-bench"])
"""

from __future__ import annotations

# Every public name of each module, so that ``benchreport.NAME`` reaches all of them.
from .command import add_arguments, add_parser, main, run, select_workloads
from .machine import (
    FMA_CHAINS,
    MULADD_THREADS,
    NOFMA_PAIRS,
    PEAK_CALL,
    PREDICT_BLOCK,
    contender_threads,
    fma_kernels,
    machine_info,
    measure_fma,
    measure_fma_loops,
    measure_nofma,
    measure_peaks,
    mode_peak,
    nofma_kernels,
    nofma_peak,
    peak_chains,
    ports,
    ports_sentence,
    thread_counts,
)
from .measure import (
    BUDGET,
    FMA_CONTENDERS,
    MIN_TIME,
    PEER_FULL,
    PEER_ROWS,
    SETTLE,
    Timing,
    check,
    crossover,
    floor_rows,
    has_fma_mode,
    measure_workloads,
    paired_with_default,
    peak_name,
    run_sweep,
    runs,
    time_in_turns,
    tolerance,
    twins,
    verdict,
    workload_dtype,
    workload_mode,
)
from .peers import (
    CONTENDERS,
    PEER_CLASSES,
    PEERS,
    JaxPeer,
    SklearnPeer,
    TorchPeer,
    load_backend,
)
from .render import (
    COLUMNS,
    LABELS,
    LEGEND,
    fmt_num,
    fmt_pct,
    fmt_time,
    load_note,
    markdown_table,
    paired_rows,
    peak_table,
    print_report,
    sweep_summary,
    sweep_text,
    table_rows,
    text_table,
    write_markdown,
    write_plots,
)

__all__ = [
    "BUDGET",
    "COLUMNS",
    "CONTENDERS",
    "FMA_CHAINS",
    "FMA_CONTENDERS",
    "LABELS",
    "LEGEND",
    "MIN_TIME",
    "MULADD_THREADS",
    "NOFMA_PAIRS",
    "PEAK_CALL",
    "PEERS",
    "PEER_CLASSES",
    "PEER_FULL",
    "PEER_ROWS",
    "PREDICT_BLOCK",
    "SETTLE",
    "JaxPeer",
    "SklearnPeer",
    "Timing",
    "TorchPeer",
    "add_arguments",
    "add_parser",
    "check",
    "contender_threads",
    "crossover",
    "floor_rows",
    "fma_kernels",
    "fmt_num",
    "fmt_pct",
    "fmt_time",
    "has_fma_mode",
    "load_backend",
    "load_note",
    "machine_info",
    "main",
    "markdown_table",
    "measure_fma",
    "measure_fma_loops",
    "measure_nofma",
    "measure_peaks",
    "measure_workloads",
    "mode_peak",
    "nofma_kernels",
    "nofma_peak",
    "paired_rows",
    "paired_with_default",
    "peak_chains",
    "peak_name",
    "peak_table",
    "ports",
    "ports_sentence",
    "print_report",
    "run",
    "run_sweep",
    "runs",
    "select_workloads",
    "sweep_summary",
    "sweep_text",
    "table_rows",
    "text_table",
    "thread_counts",
    "time_in_turns",
    "tolerance",
    "twins",
    "verdict",
    "workload_dtype",
    "workload_mode",
    "write_markdown",
    "write_plots",
]

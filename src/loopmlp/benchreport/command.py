"""The ``loopmlp bench`` command: its arguments, the workloads they select, and the run
that measures them and writes the report.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

from ..runtime import runtime_info
from .machine import (
    _progress,
    contender_threads,
    machine_info,
    measure_peaks,
    thread_counts,
)
from .measure import BUDGET, measure_workloads, run_sweep, runs, twins
from .peers import CONTENDERS, PEERS, load_backend
from .render import COLUMNS, print_report, write_markdown, write_plots

# --- the command ---------------------------------------------------------------------------


def add_parser(subparsers):
    """Register ``bench`` on an ``argparse`` subparsers object; returns its parser."""
    p = subparsers.add_parser(
        "bench",
        help="benchmark the backends (and installed peers) against NumPy, checked",
        description="Time every backend on the lecture's workloads, check each result against "
        "the python reference, and write report.md, report.json and plots.",
    )
    add_arguments(p)
    return p


def _csv(text):
    return [s.strip() for s in text.split(",") if s.strip()]


def add_arguments(p):
    p.add_argument(
        "--out",
        default="loopmlp-bench",
        metavar="DIR",
        help="directory for report.md, report.json, bench.png (default: %(default)s)",
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="run pure Python and the peers on every row too (slow: tens of minutes)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes, few repeats: checks the report works, not for numbers",
    )
    p.add_argument(
        "--sweep",
        action="store_true",
        help="also sweep the hidden width 2..1024 (64-h-10 train_epoch)",
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=5,
        metavar="N",
        help="timed repeats per case; the median is reported (default: %(default)s)",
    )
    p.add_argument(
        "--backends",
        type=_csv,
        metavar="LIST",
        default=list(CONTENDERS) + list(PEERS),
        help="comma-separated, from " + ",".join(CONTENDERS + PEERS) + " (default: all; "
        "peers that are not installed are skipped; fast is numba with fastmath, "
        "checked against a tolerance, not bit-identical)",
    )
    p.add_argument(
        "--workloads",
        type=_csv,
        metavar="LIST",
        default=None,
        help="comma-separated substrings of workload names, e.g. "
        "'train_epoch,predict 60-6-4'; 'startup' times a fresh process's first result "
        "per backend, numba's cache warm and cold; 'calls' times one call of the per-sample "
        "kernels from Python and from compiled loops (default: all)",
    )
    return p


STARTUP = "startup"  # the workload that times fresh processes (loopmlp.startup)


def wants_startup(args) -> bool:
    """Whether ``--workloads`` selects the startup workload (no ``--workloads``: yes)."""
    return not args.workloads or any(s in STARTUP for s in args.workloads)


def run_startup(backends, args, quiet) -> list[dict]:
    """``loopmlp.startup.measure_all`` for the loop backends among ``backends``, ``--repeat``
    processes each (``--quick``: ``train_epoch`` only), as dicts for the report."""
    from .. import startup

    chosen = [b for b in startup.BACKENDS if b in backends]
    workloads = ("train_epoch",) if args.quick else tuple(startup.WORKLOADS)
    results = startup.measure_all(
        chosen, workloads, repeat=args.repeat, progress=lambda text: _progress(text, quiet)
    )
    return [r.as_dict() for r in results]


CALLS = "calls"  # the call rows: one per-sample kernel call, by route (CallWorkload)


def wants_calls(args) -> bool:
    """Whether ``--workloads`` selects the call rows (no ``--workloads``: yes)."""
    return not args.workloads or any(s in CALLS for s in args.workloads)


def run_calls(backends, args, quiet) -> list[dict]:
    """``CallWorkload.measure`` for the routes through the numba and cython kernels among
    ``backends``, ``--repeat`` timings each (``--quick``: 1,000 calls a loop)."""
    from ..workloads import CALL_WORKLOADS

    results = []
    for w in CALL_WORKLOADS:
        if not any(b in w.route for b in backends if b in ("numba", "cython")):
            continue
        _progress(f"calls: {w.kernel} {w.net} {w.route} ...", quiet)
        if args.quick:
            w = dataclasses.replace(w, calls=1_000)
        results.append(w.measure(repeat=args.repeat, number=200 if args.quick else 2_000))
    return results


def select_workloads(args):
    """The lecture's kernels' workloads, then the deep nets', filtered by ``--workloads``;
    small with ``--quick``."""
    from ..workloads import FMA_REPORT_WORKLOADS, NET_REPORT_WORKLOADS, REPORT_WORKLOADS

    # each FMA-mode workload right after its default-mode twin, the rest at the end
    fma = {dataclasses.replace(w, fma=False): w for w in FMA_REPORT_WORKLOADS}
    ws = list(REPORT_WORKLOADS)
    for w in NET_REPORT_WORKLOADS:
        ws += [w, *([fma.pop(w)] if w in fma else [])]
    ws += list(fma.values())
    if args.workloads:
        ws = [w for w in ws if any(s in w.group for s in args.workloads)]
    if args.quick:
        ws = [
            dataclasses.replace(
                w,
                n_samples=min(w.n_samples, 64),
                python_samples=min(w.n_samples, 64, w.python_samples or 64, 8),
            )
            for w in ws
        ]
    return ws


def run(args) -> int:
    """Run the benchmark described by ``args`` (from ``add_parser``); returns an exit code."""
    t_start = time.perf_counter()
    quiet = getattr(args, "quiet", False)
    unknown = [b for b in args.backends if b not in CONTENDERS + PEERS]
    if unknown or args.repeat < 1:
        print(
            f"loopmlp bench: unknown backend(s) {', '.join(unknown)}; choose from "
            f"{', '.join(CONTENDERS + PEERS)}"
            if unknown
            else "loopmlp bench: --repeat must be >= 1",
            file=sys.stderr,
        )
        return 2
    workloads = select_workloads(args)
    startup = wants_startup(args)
    calls = wants_calls(args)
    if not workloads and not startup and not calls:
        print("loopmlp bench: --workloads matched nothing", file=sys.stderr)
        return 2
    settings = {
        "full": args.full,
        "quick": args.quick,
        "repeat": args.repeat,
        "budget": 0.2 if args.quick else (5 * BUDGET if args.full else BUDGET),
        "sweep": args.sweep,
    }
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

    report = {
        "machine": machine_info(),
        "settings": settings,
        "peak": None,
        "columns": list(COLUMNS),
        "results": [],
        "sweep": [],
        "startup": [],
        "calls": [],
        "skipped": skipped,
        "interrupted": False,
        "plots": {},
        "wall_s": None,
        "runtime": None,
    }
    try:
        _progress("measuring the peaks ...", quiet)
        counts = thread_counts()
        needed = {
            contender_threads(b, w, counts)
            for w in workloads
            for b in backends
            if runs(b, loaded[b], w)
        }
        if workloads:
            report["peak"] = measure_peaks(needed, quick=args.quick, quiet=quiet)
        groups = twins(workloads)
        for i, ws in enumerate(groups, 1):
            report["results"] += measure_workloads(
                ws,
                backends,
                loaded,
                settings,
                report["peak"],
                quiet,
                label=f"[{i}/{len(groups)}] ",
            )
        if args.sweep:
            report["sweep"] = run_sweep(backends, loaded, settings, quiet)
        if calls:
            report["calls"] = run_calls(backends, args, quiet)
        if startup:
            report["startup"] = run_startup(backends, args, quiet)
    except KeyboardInterrupt:
        report["interrupted"] = True
        print("\nloopmlp bench: interrupted; reporting what was measured", file=sys.stderr)
    report["wall_s"] = time.perf_counter() - t_start
    try:  # after the runs: the builds, threads and libraries they had (`loopmlp info`)
        report["runtime"] = runtime_info(start_threads=False)
    except Exception as e:  # a report without it beats no report
        report["runtime"] = {"error": f"{e.__class__.__name__}: {e}"}
    try:
        report["plots"] = write_plots(out, report)
    except Exception as e:  # a report without plots beats no report
        report["plots"] = {"error": f"{e.__class__.__name__}: {e}"}
        _progress(f"no plots: {e}", quiet)
    (out / "report.json").write_text(json.dumps(report, indent=1))
    write_markdown(out / "report.md", report)
    print_report(report)
    print(
        f"\nwrote {out / 'report.md'}, {out / 'report.json'}"
        + "".join(f", {out / p}" for k, p in report["plots"].items() if k != "error")
    )
    return 130 if report["interrupted"] else 0


def main(argv=None) -> int:
    """``python -m loopmlp.benchreport [options]``: the command without loopmlp's CLI."""
    parser = argparse.ArgumentParser(prog="loopmlp bench")
    add_arguments(parser)
    return run(parser.parse_args(argv))

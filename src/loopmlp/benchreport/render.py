"""What ``loopmlp bench`` shows: the terminal report, ``report.md`` and its tables, and the
plots (``bench.png``, ``sweep.png``; matplotlib is imported when they are drawn).
"""

from __future__ import annotations

from pathlib import Path

from .machine import ports_sentence
from .measure import crossover

# fast (numba with fastmath) is the one contender that is not bit-identical: its rows say so
LABELS = {"fast": "fast (fastmath, not bit-identical)"}
COLUMNS = (
    "workload",
    "backend",
    "threads",
    "rows",
    "median",
    "ns/sample",
    "vs numpy",
    "vs python",
    "GFLOP/s",
    "% peak",
    "check",
)


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
        out.append(
            (
                r["workload"] if r["workload"] != last else "",
                LABELS.get(r["backend"], r["backend"]),
                str(r.get("threads", "-")),
                "-"
                if r.get("rows_timed") is None
                else (
                    f"{r['rows_timed']}/{r['n_samples']}"
                    if r["extrapolated"]
                    else str(r["rows_timed"])
                ),
                fmt_time(r["median_s"], r.get("extrapolated", False)),
                fmt_num(r["ns_per_sample"]),
                fmt_num(r.get("speedup_vs_numpy"), "x"),
                fmt_num(r.get("speedup_vs_python"), "x"),
                fmt_num(r.get("gflops")),
                fmt_pct(r.get("pct_peak")),
                r["check"],
            )
        )
        last = r["workload"]
    return out


def text_table(results) -> str:
    rows = [COLUMNS] + table_rows(results)
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(COLUMNS))]
    right = {2, 3, 4, 5, 6, 7, 8, 9}
    lines = []
    for j, row in enumerate(rows):
        cells = [
            str(c).rjust(widths[i]) if i in right else str(c).ljust(widths[i])
            for i, c in enumerate(row)
        ]
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
    "peak of the row's mode for its dtype and threads: the no-FMA peak by default "
    "(bit-exact kernels may not fuse a multiply and an add), the loops' FMA peak for the FMA "
    "mode's rows (workloads ending in `fma`: `init_net(..., fma=True)`, every multiply-add "
    "one fma, checked against the reference in that mode; the loop backends only); `floor` "
    "rows: the time at that peak, one per thread count, right after the rows it bounds. "
    "numpy's BLAS may use FMA and so could pass 100%. `fast`: numba with "
    "fastmath (reassociation, FMA), checked against its stated worst-case rounding-error "
    "bound (`loopmlp.kernels._numba_fast.atol`), not for bit-identity; it has no stated bound for "
    "the deep kernels, so it does not run them."
)


PAIRED_HEADER = ("workload", "backend", "FMA time / default time", "rounds' range", "so")
PAIRED_NOTE = (
    "Each FMA-mode row against its default-mode twin, timed in the same turns: the median "
    "of the ratio of their times in each round (below 1: the FMA mode is "
    "faster), which a slow spell shared by both rows leaves alone"
)


def paired_rows(results) -> list[tuple]:
    """The rows of the FMA-against-default table: one per FMA-mode row with a paired
    ratio (``measure.paired_with_default``), its verdict from the rounds' range."""
    out = []
    for r in results:
        if r.get("fma_vs_default") is None:
            continue
        lo, hi = r["fma_vs_default_range"]
        so = "FMA faster" if hi < 1 else "default faster" if lo > 1 else "either, by round"
        workload = r["workload"].removesuffix(" fma")
        out.append((workload, r["backend"], f"{r['fma_vs_default']:.2f}", f"{lo:.2f}-{hi:.2f}", so))
    return out


def load_note(m) -> str:
    """The load average before the run, and a warning when other processes were busy."""
    load = m.get("loadavg_1min")
    if load is None:
        return "load average: unknown"
    note = f"load average before the run: {load:.2f}"
    if load >= 0.5:
        note += (
            " -- other processes were using the cores; threaded rows suffer most "
            "(a parallel region waits for its slowest thread)"
        )
    return note


def peak_table(peak) -> tuple[list, list]:
    """Header and rows of the peaks: no-FMA float64 and float32, the loops' FMA peak in
    both (reports made before the FMA mode have none), BLAS's FMA float64, by threads."""
    loops = peak.get("fma_loops") or {}
    tables = (*peak["nofma"].values(), *peak["fma"].values(), *loops.values())
    counts = sorted({int(t) for table in tables for t in table})
    header = ["peak"] + [f"{t} thread{'s' if t != 1 else ''}" for t in counts]
    rows = []
    for label, table in (
        ("no-FMA float64 (numba muladd)", peak["nofma"]["float64"]),
        ("no-FMA float32 (numba muladd)", peak["nofma"]["float32"]),
        *(
            (f"FMA {dtype} (numba fma chains)", loops[dtype])
            for dtype in ("float64", "float32")
            if loops.get(dtype)
        ),
        ("FMA float64 (BLAS matmul)", peak["fma"]["float64"]),
    ):
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
            row.append(
                "-"
                if p is None
                else ("~" if p["extrapolated"] else "") + fmt_num(p["ns_per_sample"])
            )
        rows.append(row)
    return header, rows


def sweep_summary(sweep) -> list[str]:
    lines = []
    for b in ("numba", "cython"):
        if not any(p["backend"] == b for p in sweep) or not any(
            p["backend"] == "numpy" for p in sweep
        ):
            continue
        h = crossover(sweep, b)
        lines.append(
            f"{b} loops beat numpy (BLAS) at every width"
            if h is None
            else f"numpy (BLAS) beats {b} loops from hidden width {h} on (64-h-10 train_epoch)"
        )
    return lines


def write_markdown(path, report):
    m, peak = report["machine"], report["peak"]
    md = [
        "# loopmlp bench",
        "",
        f"{m['date']} on {m['cpu']} ({m['cores']} cores), Python {m['python']}, "
        f"NumPy {m['numpy']}, Numba {m['numba']}, Cython {m['cython']}"
        + "".join(f", {k} {m[k]}" for k in ("torch", "jax", "scikit-learn") if m.get(k))
        + ".",
        "",
        load_note(m),
        "",
    ]
    if peak:
        header, rows = peak_table(peak)
        md += [
            "Peaks, GFLOP/s (the `% peak` of each row is over the peak of its mode, no-FMA "
            "or the loops' FMA, for its dtype on its number of threads):",
            "",
            markdown_table(header, rows),
            "",
            f"no-FMA: {peak['nofma_method']}. FMA: {peak['fma_method']}."
            + (f" FMA (loops): {peak['fma_loops_method']}." if peak.get("fma_loops") else ""),
            "",
            ports_sentence(peak) + ".",
            "",
        ]
    if report["interrupted"]:
        md += ["**Interrupted**: the tables hold what was measured before Ctrl-C.", ""]
    md += [markdown_table(COLUMNS, table_rows(report["results"])), "", LEGEND, ""]
    paired = paired_rows(report["results"])
    if paired:
        md += ["## The FMA mode against the default", "", PAIRED_NOTE + "."]
        md += ["", markdown_table(PAIRED_HEADER, paired), ""]
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
    if report.get("calls"):
        from ..workloads import CALL_HEADER, CALL_NOTE, call_rows

        md += ["## Calls: one call of a per-sample kernel, by route", "", CALL_NOTE + ".", ""]
        md += [markdown_table(CALL_HEADER, call_rows(report["calls"])), ""]
    if report.get("startup"):
        from .. import startup

        md += ["## Startup: a fresh process's first result", "", startup.NOTE + ".", ""]
        md += [markdown_table(startup.HEADER, startup.table_rows(report["startup"])), ""]
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
        if r.get("mode") == "fma":
            label += " fma"
    return label


def write_plots(out, report) -> dict:
    from .._optional import import_module

    matplotlib = import_module("matplotlib", "loopmlp.benchreport.write_plots", "bench")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots = {}
    results = report["results"]
    kernels = list(dict.fromkeys(r["kernel"] for r in results))
    if kernels:
        series = list(dict.fromkeys(_series(r) for r in results))
        ncols = min(4, len(kernels))
        nrows = -(-len(kernels) // ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(4.5 * ncols, 4.5 * nrows), squeeze=False)
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
                    ax.bar(
                        xs,
                        ys,
                        width,
                        label=b,
                        color=f"C{j % 10}",
                        hatch="//" if floor else None,
                        fill=not floor,
                        edgecolor=f"C{j % 10}",
                    )
            labels = [_short(next(r for r in rs if r["workload"] == g)) for g in groups]
            ax.set_xticks(range(len(groups)), labels, fontsize="small")
            ax.set_yscale("log")
            ax.set_title(kern)
            ax.set_ylabel("ns per sample")
        for ax in list(axes.flat)[len(kernels) :]:
            ax.set_visible(False)
        legend = {}
        for ax in axes.flat:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                legend.setdefault(lab, h)
        axes[0][0].legend(legend.values(), legend.keys(), fontsize="small")
        fig.suptitle(
            f"loopmlp bench: {report['machine']['cpu']} (floors: the peak of the row's mode, "
            f"no-FMA or FMA, on that many threads)",
            fontsize="medium",
        )
        fig.tight_layout()
        path = Path(out) / "bench.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        plots["bench"] = path.name  # beside report.json, wherever that is copied
    if report["sweep"]:
        fig, ax = plt.subplots(figsize=(7, 5))
        for j, b in enumerate(dict.fromkeys(p["backend"] for p in report["sweep"])):
            ps = [p for p in report["sweep"] if p["backend"] == b]
            meas = [p for p in ps if not p["extrapolated"]]
            ax.plot(
                [p["n_hid"] for p in meas],
                [p["ns_per_sample"] for p in meas],
                "o-",
                color=f"C{j}",
                label=b,
            )
            ext = [p for p in ps if p["extrapolated"]]
            if ext:
                ext = meas[-1:] + ext
                ax.plot(
                    [p["n_hid"] for p in ext],
                    [p["ns_per_sample"] for p in ext],
                    "o--",
                    color=f"C{j}",
                    mfc="none",
                    label=f"{b} (extrapolated)",
                )
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
        plots["sweep"] = path.name
    return plots


# --- the terminal report -------------------------------------------------------------------


def left_aligned(rows) -> str:
    """Rows of strings (the header first) as text columns, each as wide as its widest cell."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows)


def print_report(report):
    m, peak = report["machine"], report["peak"]
    print(
        f"loopmlp bench: {m['cpu']}, {m['cores']} cores, Python {m['python']}, "
        f"NumPy {m['numpy']}, Numba {m['numba']}, Cython {m['cython']}, {m['date']}"
    )
    print(load_note(m))
    if peak:
        header, rows = peak_table(peak)
        print(
            "peaks, GFLOP/s; each row's % peak is over its mode's peak (no-FMA, or the loops' "
            "FMA for the fma rows) for its dtype and threads:"
        )
        widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
        for row in [header] + rows:
            print(
                "  "
                + "  ".join(
                    str(c).ljust(w) if i == 0 else str(c).rjust(w)
                    for i, (c, w) in enumerate(zip(row, widths))
                )
            )
        print(f"  no-FMA: {peak['nofma_method']}")
        print(f"  FMA: {peak['fma_method']}")
        if peak.get("fma_loops"):
            print(f"  FMA (loops): {peak['fma_loops_method']}")
        print(f"  {ports_sentence(peak)}")
    print()
    if report["results"]:
        print(text_table(report["results"]))
        print(
            "\n~ = timed on fewer rows (rows timed/full), scaled to the full row count; "
            "% peak = of the peak of the row's mode (no-FMA; FMA for workloads ending in fma) "
            "for its dtype and threads; floor = the time at that peak"
        )
    paired = paired_rows(report["results"])
    if paired:
        print(f"\nThe FMA mode against the default. {PAIRED_NOTE}:")
        print(left_aligned([PAIRED_HEADER, *paired]))
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
    if report.get("calls"):
        from ..workloads import CALL_HEADER, CALL_NOTE, call_rows

        print(f"\ncalls, {CALL_NOTE}:")
        print(left_aligned([CALL_HEADER, *call_rows(report["calls"])]))
    if report.get("startup"):
        from .. import startup

        print("\nstartup, a fresh process's first result:")
        print(startup.format_table(report["startup"]))
    if report["interrupted"]:
        print("(interrupted: partial results)")
    print(f"wall time {report['wall_s']:.1f} s")

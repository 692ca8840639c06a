"""Render the benchmark tables of the README and the docs from the stored reports.

Every figure the README and the benchmarks page show comes from a ``loopmlp bench`` report
stored as ``docs/benchmarks/<machine>.json`` (``loopmlp bench --out DIR`` writes
``DIR/report.json``). This script is the only place those figures are turned into tables:

* ``python docs/render_benchmarks.py`` rewrites the README's headline table (between the
  ``<!-- bench:start -->`` and ``<!-- bench:end -->`` markers) and
  ``docs/_generated/benchmarks.rst``, which the benchmarks page includes;
* the Sphinx build calls :func:`write_docs` itself, and ``tests/test_docs.py`` checks that the
  README's table is the one this script renders today.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPORTS = DOCS / "benchmarks"
README = DOCS.parent / "README.md"
GENERATED = DOCS / "_generated" / "benchmarks.rst"
FMA_GENERATED = DOCS / "_generated" / "fma.rst"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"

# The machine whose table the README shows: the Intel Xeon, where the default and FMA modes
# differ most (its adds share the FMA ports); every machine is on the benchmarks page.
README_MACHINE = "intel-xeon-avx512"
LOOPS = ("numba", "cython")
PEERS = ("numpy", "torch", "jax")
CONTENDERS = LOOPS + PEERS

# The README's headline rows: (label, workload name in the report). ns per sample (or row).
DEEP = "784-512-10 relu/softmax/cross_entropy"
HEADLINE = (
    ("online SGD epoch, 60-6-4 (the lecture's)", "train_epoch 60-6-4 N=16384"),
    ("online SGD epoch, 784-512-10", "train_epoch 784-512-10 N=64"),
    ("predict 784-512-10 (the lecture's net)", "predict 784-512-10 N=10000"),
    ("deep net predict 784-512-10, float64", f"net_predict {DEEP} N=10000 float64"),
    ("deep net predict 784-512-10, float32", f"net_predict {DEEP} N=10000 float32"),
    ("the same, float64, FMA mode", f"net_predict {DEEP} N=10000 float64 fma"),
    ("the same, float32, FMA mode", f"net_predict {DEEP} N=10000 float32 fma"),
    ("deep net predict 64-32-10", "net_predict 64-32-10 relu/softmax/cross_entropy N=1797 float64"),
    ("mini-batches of 32, 784-512-10, float64", f"net_train {DEEP} batch 32 N=256 float64"),
    ("mini-batches of 32, 784-512-10, float32", f"net_train {DEEP} batch 32 N=256 float32"),
)


def load_reports(folder: Path = REPORTS) -> dict[str, dict]:
    """Every stored report, by file stem, in name order."""
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def machine_line(report: dict) -> str:
    """One line that names the machine a report was measured on, and with what."""
    m = report["machine"]
    versions = ", ".join(
        f"{name} {m[key]}"
        for name, key in (("Python", "python"), ("NumPy", "numpy"), ("Numba", "numba"),
                          ("PyTorch", "torch"), ("JAX", "jax"))
        if m.get(key)
    )  # fmt: skip
    cpu = m["cpu"]
    details = [m[k] for k in ("cpu_id",) if m.get(k)]
    details += [", ".join(f.upper() for f in m.get("cpu_features") or ())]
    details = [d for d in details if d]
    if details:
        cpu += f" ({'; '.join(details)})"
    return (
        f"{cpu}, {m['cores']} cores, {m['date'][:10]}; {versions}; "
        f"load average {m['loadavg_1min']:.2f} before the run"
    )


def ports_sentence(report: dict) -> str:
    """Whether this CPU's adds have their own pipes, from the two measured peaks: the
    loops' own FMA peak where the report has it, else BLAS's."""
    peak = report["peak"]
    nofma = peak["nofma"]["float64"]["1"]
    loops = bool(peak.get("fma_loops"))
    fma = (peak["fma_loops"] if loops else peak["fma"])["float64"]["1"]
    shared = peak["ports"] == "shared"  # loopmlp bench's verdict, from the same two peaks
    by = "our loops with FMA" if loops else "FMA (BLAS)"
    return (
        f"No-FMA peak {nofma:.1f} GFLOP/s against {fma:.1f} for {by} "
        f"(float64, one thread, {100 * nofma / fma:.0f}%): "
    ) + (
        "on this CPU multiplies and adds share the FMA ports, so loops that round twice "
        "have a lower ceiling than loops that fuse (the FMA mode) and than BLAS."
        if shared
        else "on this CPU adds have their own pipes, so rounding twice need not lower the "
        "ceiling (a no-FMA peak below the FMA one here means too few chains fit 16 vector "
        "registers to fill those pipes; the kernels' independent sums can)."
    )


def _rows(report: dict) -> dict[str, dict[str, dict]]:
    """Each workload's results by backend. A workload in the FMA mode (its name ends in
    ``fma``) runs on the loops only; NumPy, PyTorch and JAX have one mode (they fuse as their
    BLAS does), so its row takes theirs from the same workload in the default mode."""
    table: dict[str, dict[str, dict]] = {}
    for r in report["results"]:
        table.setdefault(r["workload"], {})[r["backend"]] = r
    for name, row in table.items():
        if name.endswith(" fma"):
            twin = table.get(name.removesuffix(" fma"), {})
            row.update({b: twin[b] for b in PEERS if b in twin and b not in row})
    return table


def _ns(r: dict | None) -> str:
    """ns a sample; ``~`` where the report timed fewer rows and scaled, as it marks them."""
    if r is None or r.get("ns_per_sample") is None:
        return "-"
    ns = r["ns_per_sample"]
    return ("~" if r.get("extrapolated") else "") + (f"{ns:,.0f}" if ns >= 100 else f"{ns:.3g}")


def _best(row: dict[str, dict]) -> str | None:
    timed = [(row[b]["ns_per_sample"], b) for b in CONTENDERS if b in row]
    return min(timed)[1] if timed else None


def headline_markdown(reports: dict[str, dict]) -> str:
    """The README's table: the headline workloads on one machine (``README_MACHINE``, else
    the first report), ns a sample or row, the fastest in bold; the other machines are
    named, their tables are on the benchmarks page (a front page stays short)."""
    stem = README_MACHINE if README_MACHINE in reports else next(iter(reports))
    report = reports[stem]
    rows = _rows(report)
    lines = [f"Measured on {machine_line(report)}.", ""]
    lines.append("| ns a sample or row | " + " | ".join(CONTENDERS) + " |")
    lines.append("|---" * (len(CONTENDERS) + 1) + "|")
    for label, name in HEADLINE:
        row = rows.get(name, {})
        best = _best(row)
        cells = [f"**{_ns(row.get(b))}**" if b == best else _ns(row.get(b)) for b in CONTENDERS]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    others = [
        f"{r['machine']['cpu']} ({r['machine']['cpu_id']})" for k, r in reports.items() if k != stem
    ]
    also = f" The same rows on {', '.join(others)}: the benchmarks page." if others else ""
    lines += [
        "",
        "`~`: timed on fewer rows and scaled. The fastest of each row in bold. FMA mode: the "
        "loops with `fma=True`; the peers' figures are those of the row without it." + also,
    ]
    return "\n".join(lines).rstrip() + "\n"


def _rst_table(header: list[str], body: list[list[str]], widths: str | None = None) -> list[str]:
    out = [".. list-table::", "   :header-rows: 1"]
    if widths:
        out.append(f"   :widths: {widths}")
    out.append("")
    for row in [header, *body]:
        out.append(f"   * - {row[0]}")
        out += [f"     - {cell}" for cell in row[1:]]
    return out + [""]


def _verdict(row: dict[str, dict]) -> str:
    loops = [(row[b]["ns_per_sample"], b) for b in LOOPS if b in row]
    peers = [(row[b]["ns_per_sample"], b) for b in PEERS if b in row]
    if not loops or not peers:
        return "-"
    (loop_ns, loop), (peer_ns, peer) = min(loops), min(peers)
    if loop_ns <= peer_ns:
        return f"loops win: {loop} {peer_ns / loop_ns:.2f}x {peer}"
    return f"loops lose: {peer} {loop_ns / peer_ns:.2f}x {loop}"


def _gflops(table: dict, threads: str) -> str:
    return f"{table[threads]:.1f}" if table.get(threads) else "-"


def _ceiling(row: dict[str, dict]) -> str:
    """The faster loop backend's GFLOP/s as a percentage of its mode's ceiling."""
    loops = [(row[b]["ns_per_sample"], b) for b in LOOPS if b in row]
    if not loops:
        return "-"
    r = row[min(loops)[1]]
    if r.get("pct_peak") is None or not r.get("peak"):
        return "-"
    pct = r["pct_peak"]
    kind, _, threads = r["peak"].partition(", ")  # "no-FMA float64", "2 threads"
    share = f"{pct:.0f}%" if pct >= 9.5 else f"{pct:.2g}%"
    return f"{share} of {kind.split()[0]}, {threads}"


def docs_rst(reports: dict[str, dict]) -> str:
    """The benchmarks page's tables: per machine, its peaks and every workload."""
    out: list[str] = []
    for stem, report in reports.items():
        title = f"{report['machine']['cpu']} ({stem})"
        out += [title, "-" * len(title), "", machine_line(report) + ".", ""]
        out += [ports_sentence(report), ""]
        peak = report["peak"]
        loops = peak.get("fma_loops") or {}
        peak_rows = [
            [f"no-FMA {dt} (default mode's ceiling)", *(_gflops(nofma, t) for t in "12")]
            for dt, nofma in peak["nofma"].items()
        ]
        peak_rows += [
            [f"FMA {dt} (FMA mode's ceiling)", *(_gflops(loops[dt], t) for t in "12")]
            for dt in ("float64", "float32")
            if loops.get(dt)
        ]
        peak_rows.append(
            ["FMA float64 (BLAS matmul)", *(_gflops(peak["fma"]["float64"], t) for t in "12")]
        )
        out += _rst_table(["peak, GFLOP/s", "1 thread", "2 threads"], peak_rows)
        body = []
        for name, row in _rows(report).items():
            best = _best(row)
            cells = [f"**{_ns(row.get(b))}**" if b == best else _ns(row.get(b)) for b in CONTENDERS]
            body.append([f"``{name}``", *cells, _verdict(row), _ceiling(row)])
        out += _rst_table(
            [
                "workload, ns a sample, row or call",
                *CONTENDERS,
                "loops against peers",
                "faster loop, % of its ceiling",
            ],
            body,
        )
        out += _paired_rst(report["results"])
        out += _startup_rst(report.get("startup") or [])
    return "\n".join(out)


def _paired_rst(results: list[dict]) -> list[str]:
    """The report's FMA rows against their default twins, round by round (reports made
    before ``loopmlp bench`` paired them have none)."""
    from loopmlp.benchreport.render import PAIRED_HEADER, PAIRED_NOTE, paired_rows

    rows = paired_rows(results)
    if not rows:
        return []
    body = [[f"``{w}``", b, *rest] for w, b, *rest in rows]
    return [PAIRED_NOTE + ".", "", *_rst_table(list(PAIRED_HEADER), body)]


STEPS = ("backend_s", "first_s", "first_result_s")


def _ms(seconds: float) -> str:
    ms = 1e3 * seconds
    return f"{ms:,.0f}" if ms >= 10 else f"{ms:.2g}"


def _startup_rst(entries: list[dict]) -> list[str]:
    """A fresh process's time to its first result, ms, median (min) of its processes."""
    if not entries:
        return []
    body = [
        [
            f"``{e['workload']}``",
            e["backend"],
            e["cache"] if e["backend"] == "numba" else "-",
            *(f"{_ms(e['median'][k])} ({_ms(e['min'][k])})" for k in STEPS),
        ]
        for e in entries
    ]
    header = ["first result", "backend", "numba cache", "get_backend", "first call", "in all"]
    intro = (
        "A fresh process's first result, ms, the median (and minimum) of fresh processes: "
        "loading the backend, its first call, and from the process's start to that call's end."
    )
    return [intro, "", *_rst_table(header, body)]


def fma_rst(reports: dict[str, dict]) -> str:
    """The FMA mode page's table: per machine, ``net_predict`` 784-512-10 in both modes
    beside PyTorch (which has one), and each loop backend's FMA time over its default time
    paired round by round (reports made before ``loopmlp bench`` paired them show ``-``)."""
    body = []
    for report in reports.values():
        m, rows = report["machine"], _rows(report)
        ports = "share the FMA ports" if report["peak"]["ports"] == "shared" else "own pipes"
        cpu = f"{m['cpu']} ({m['cpu_id']}; adds: {ports})"
        for dtype in ("float64", "float32"):
            name = f"net_predict {DEEP} N=10000 {dtype}"
            default, fused = rows.get(name, {}), rows.get(f"{name} fma", {})
            paired = [fused[b].get("fma_vs_default") if b in fused else None for b in LOOPS]
            body.append([
                cpu, dtype,
                *(_ns(mode.get(b)) for b in LOOPS for mode in (default, fused)),
                _ns(default.get("torch")),
                ", ".join("-" if r is None else f"{r:.2f}" for r in paired),
            ])  # fmt: skip
    header = [
        "machine", "dtype", "numba", "numba FMA", "cython", "cython FMA", "torch",
        "FMA / default, paired (numba, cython)",
    ]  # fmt: skip
    return "\n".join(_rst_table(header, body))


def write_docs(path: Path = GENERATED, fma_path: Path = FMA_GENERATED) -> None:
    """Write the benchmarks page's and the FMA mode page's tables (the Sphinx build calls
    this)."""
    reports = load_reports()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(docs_rst(reports))
    fma_path.write_text(fma_rst(reports))


def readme_with_table(text: str, table: str) -> str:
    """``text`` with the part between the bench markers replaced by ``table``."""
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"README.md has no {START} ... {END} markers")
    return pattern.sub(lambda _: f"{START}\n{table}{END}", text)


def main() -> int:
    README.write_text(readme_with_table(README.read_text(), headline_markdown(load_reports())))
    write_docs()
    print(f"wrote {README}, {GENERATED} and {FMA_GENERATED}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``loopmlp bench`` (``loopmlp.benchreport``): the report's structure and its verdicts.

Tiny ``--quick`` runs only; no test asserts a time.
"""

import argparse
import dataclasses
import itertools
import json
import statistics

import pytest

import loopmlp
from loopmlp import benchreport
from loopmlp.workloads import (
    FMA_REPORT_WORKLOADS,
    NET_REPORT_WORKLOADS,
    NET_WORKLOADS,
    REPORT_WORKLOADS,
    SWEEP_WIDTHS,
    NetWorkload,
    Workload,
    flop_count,
    net_flop_count,
    sweep_workload,
    workload_flops,
)

LOOPS = ["python", "numba", "cython", "numpy"]


def bench(out, *extra):
    return benchreport.main(["--quick", "--repeat", "1", "--out", str(out), *extra])


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One quick run on two nets, through the CLI's parser hooks; returns (out, report, stdout)."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("bench")
    parser = argparse.ArgumentParser(prog="loopmlp")
    benchreport.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(
        [
            "bench",
            "--quick",
            "--repeat",
            "2",
            "--out",
            str(out),
            "--backends",
            ",".join(LOOPS),
            "--workloads",
            "2-2-1,60-6-4",
        ]
    )
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert benchreport.run(args) == 0
    return out, json.loads((out / "report.json").read_text()), buf.getvalue()


def test_terminal_table_has_the_columns(quick_run):
    _, report, text = quick_run
    header = next(line for line in text.splitlines() if line.startswith("workload"))
    for col in benchreport.COLUMNS:
        assert col in header
    assert "bit-identical" in text and "floor" in text and "wall time" in text
    for peak in ("no-FMA float64", "no-FMA float32", "FMA float64 (BLAS"):
        assert peak in text
    assert "load average before the run" in text


def test_json_has_machine_info_and_results(quick_run):
    _, report, _ = quick_run
    for key in ("machine", "settings", "peak", "results", "sweep", "skipped", "interrupted"):
        assert key in report
    m = report["machine"]
    for key in ("cpu", "cores", "python", "numpy", "numba", "cython", "date"):
        assert key in m
    assert m["cpu"] and m["cores"] >= 1 and m["numpy"]
    row = report["results"][0]
    for key in (
        "workload",
        "backend",
        "threads",
        "dtype",
        "rows_timed",
        "median_s",
        "ns_per_sample",
        "speedup_vs_numpy",
        "speedup_vs_python",
        "gflops",
        "pct_peak",
        "peak",
        "peak_gflops",
        "bit_identical",
        "max_abs_diff",
        "check",
        "extrapolated",
        "times_s",
        "cpu_per_wall",
    ):
        assert key in row
    kernels = {r["kernel"] for r in report["results"]}
    # "60-6-4" also picks the deep net_predict on the lecture's net
    assert kernels == {
        "neural_response",
        "update_network",
        "train_epoch",
        "train_epoch_literal",
        "predict",
        "net_predict",
    }
    assert report["interrupted"] is False


def test_json_has_the_runtime_of_loopmlp_info(quick_run):
    _, report, _ = quick_run
    runtime = report["runtime"]
    assert runtime["cython"]["build"] in ("sse2", "avx2", "avx512")
    assert runtime["cpu"]["id"] == report["machine"]["cpu_id"]
    assert runtime["numba"]["threads"] == report["peak"]["threads"]["numba"]
    assert any(pool["user_api"] == "blas" for pool in runtime["threadpools"])


def test_peaks_one_thread_and_all_threads_per_dtype(quick_run):
    """No-FMA peaks for float64 and float32 on 1 thread and on numba's threads; the FMA
    (BLAS) peak on 1 thread and on BLAS's default threads; each method stated."""
    _, report, _ = quick_run
    peak = report["peak"]
    counts = peak["threads"]
    for dtype in ("float64", "float32"):
        for threads in {1, counts["numba"]}:
            assert peak["nofma"][dtype][str(threads)] > 0, (dtype, threads)
    assert set(peak["fma"]["float64"]) == {"1", str(counts["blas"])}
    assert all(g > 0 for g in peak["fma"]["float64"].values())
    assert "no fastmath" in peak["nofma_method"] and "BLAS" in peak["fma_method"]
    md = (quick_run[0] / "report.md").read_text()
    assert "| no-FMA float64 (numba muladd) |" in md and "| FMA float64 (BLAS matmul) |" in md


def blocks(results):
    """The report's rows, grouped by workload, in order."""
    groups = {}
    for r in results:
        groups.setdefault(r["workload"], []).append(r)
    return groups


def test_every_row_is_measured_against_the_peak_of_its_threads_and_dtype(quick_run):
    """Default-mode rows against the no-FMA peak, FMA-mode rows against the loops' FMA peak,
    of their dtype and threads."""
    _, report, _ = quick_run
    peaks = {"default": report["peak"]["nofma"], "fma": report["peak"]["fma_loops"]}
    modes = set()
    for r in report["results"]:
        modes.add(r["mode"])
        top = peaks[r["mode"]][r["dtype"]][str(r["threads"])]
        assert r["peak_gflops"] == top, r
        assert r["pct_peak"] == pytest.approx(100 * r["gflops"] / top), r
        assert r["peak"] == benchreport.peak_name(r["dtype"], r["threads"], r["mode"])
    assert modes == {"default", "fma"}  # "60-6-4" picks net_predict's FMA-mode twin too


def test_fma_rows_loop_backends_checked_in_the_fma_mode(quick_run):
    """The FMA mode's rows: the loop backends that have the mode, bit-identical to the
    python reference in that mode (it differs from the default mode's: the check is not
    the default mode's passed through)."""
    import numpy as np

    import loopmlp

    _, report, _ = quick_run
    groups = blocks(report["results"])
    name = "net_predict 60-6-4 sigmoid/sigmoid/mse N=64 float64"
    assert list(groups).index(name + " fma") == list(groups).index(name) + 1
    rows = groups[name + " fma"]
    backends = [r["backend"] for r in rows if r["backend"] != "floor"]
    assert "numba" in backends and set(backends) <= set(benchreport.FMA_CONTENDERS)
    assert ("cython" in backends) == benchreport.has_fma_mode(
        "cython", loopmlp.get_backend("cython")
    )
    for r in rows:
        assert r["mode"] == "fma" and r["workload"].endswith(" fma")
        if r["backend"] != "floor":
            assert r["check"] == "bit-identical", r
    # the two modes' references differ on these rows, so a default-mode result would fail
    fma_w = next(w for w in FMA_REPORT_WORKLOADS if w.sizes == (60, 6, 4))
    small = dataclasses.replace(fma_w, n_samples=64, python_samples=None)
    py = loopmlp.get_backend("python")
    fused = small.result(py, small.setup("python"))[0]
    default = dataclasses.replace(small, fma=False)
    twice = default.result(py, default.setup("python"))[0]
    assert not np.array_equal(fused, twice)


def test_fma_workloads_twin_the_deep_ones():
    """Every deep workload of the report has its FMA-mode twin, the same but ``fma``."""
    assert len(FMA_REPORT_WORKLOADS) == len(NET_REPORT_WORKLOADS)
    for w in FMA_REPORT_WORKLOADS:
        assert w.fma and w.mode == "fma" and w.group.endswith(" fma")
        assert dataclasses.replace(w, fma=False) in NET_REPORT_WORKLOADS
        assert w.flops == dataclasses.replace(w, fma=False).flops
        net, _, _ = dataclasses.replace(w, n_samples=1).setup("numba")
        assert net.fma is True
    args = argparse.Namespace(workloads=["float32"], quick=False)
    groups = [w.group for w in benchreport.select_workloads(args)]
    for i, g in enumerate(groups):  # each FMA twin right after its default-mode workload
        if g.endswith(" fma"):
            assert groups[i - 1] + " fma" == g


def test_twins_measures_each_workload_with_its_fma_and_dtype_twins():
    """``twins`` groups the report's workloads: a deep workload with its FMA-mode twin and its
    other dtype's, every other workload alone, none lost, split or reordered."""
    ws = benchreport.select_workloads(argparse.Namespace(workloads=None, quick=False))
    groups = benchreport.twins(ws)
    assert [w for g in groups for w in g] == ws

    def family(w):
        return dataclasses.replace(w, fma=False, dtype="float64")

    deep = [g for g in groups if isinstance(g[0], NetWorkload)]
    assert all(len(g) == 1 for g in groups if g not in deep)
    assert all(len({family(w) for w in g}) == 1 for g in deep)
    assert len({family(g[0]) for g in deep}) == len(deep)
    (predict_784,) = [g for g in deep if g[0].kernel == "net_predict" and g[0].sizes[0] == 784]
    assert [(w.dtype, w.fma) for w in predict_784] == [
        ("float64", False),
        ("float64", True),
        ("float32", False),
        ("float32", True),
    ]


def test_contenders_are_timed_in_turns(monkeypatch):
    """The repeats of every row of a twin group are timed one of each a round, so that a
    drift in the machine's speed reaches every row alike; each row gets all its repeats."""
    order, took = [], {}
    step = benchreport.Timing.step

    def recording(self):
        order.append((self.backend, self.w.fma))
        step(self)
        took.setdefault((self.backend, self.w.fma), []).append(self.times[-1])

    monkeypatch.setattr(benchreport.Timing, "step", recording)
    w = NetWorkload("net_predict", (3, 2, 2), n_samples=16, python_samples=8)
    ws = [w, dataclasses.replace(w, fma=True)]
    loaded = {b: loopmlp.get_backend(b) for b in ("python", "cython", "numpy")}
    settings = {"full": False, "quick": True, "repeat": 3, "budget": 60.0}
    rows = benchreport.measure_workloads(ws, list(loaded), loaded, settings, None, True)
    timed = [(r["backend"], r["mode"] == "fma") for r in rows if r["backend"] != "floor"]
    # python and numpy have no FMA mode: the FMA twin has cython's row only
    assert timed == [("python", False), ("cython", False), ("numpy", False), ("cython", True)]
    # the first round in the rows' order, each later one in some order, every row once a round
    assert order[: len(timed)] == timed
    rounds = [order[i : i + len(timed)] for i in range(0, len(order), len(timed))]
    assert len(rounds) == 3 and all(sorted(r) == sorted(timed) for r in rounds)
    assert all(r["repeats"] == 3 for r in rows if r["backend"] != "floor")
    # the FMA row against its default twin, round by round
    ratios = [f / d for f, d in zip(took[("cython", True)], took[("cython", False)])]
    (fma_row,) = [r for r in rows if r["mode"] == "fma" and r["backend"] == "cython"]
    assert fma_row["fma_vs_default"] == statistics.median(ratios)
    assert fma_row["fma_vs_default_range"] == [min(ratios), max(ratios)]
    assert all("fma_vs_default" not in r for r in rows if r["mode"] == "default")


@pytest.mark.parametrize(
    "ratio, low, high, so",
    [(0.8, 0.7, 0.9, "FMA faster"), (1.0, 0.9, 1.1, "either, by round"),
     (1.2, 1.1, 1.3, "default faster")],
)  # fmt: skip
def test_the_paired_table_says_which_mode_won_every_round(ratio, low, high, so):
    row = {"workload": "net_predict 4-3-2 N=8 float64 fma", "backend": "numba",
           "fma_vs_default": ratio, "fma_vs_default_range": [low, high]}  # fmt: skip
    assert benchreport.paired_rows([row, {"workload": "x", "backend": "numpy"}]) == [
        ("net_predict 4-3-2 N=8 float64", "numba", f"{ratio:.2f}", f"{low:.2f}-{high:.2f}", so)
    ]


def test_floor_rows_sit_beside_rows_on_their_thread_count(quick_run):
    """Within a workload, every run of rows on one thread count ends with its floor, whose
    thread count and dtype are theirs and whose time is the flops at that peak."""
    _, report, _ = quick_run
    peaks = {"default": report["peak"]["nofma"], "fma": report["peak"]["fma_loops"]}
    mixed = 0
    for group, rows in blocks(report["results"]).items():
        assert rows[-1]["backend"] == "floor", group
        floors = [i for i, r in enumerate(rows) if r["backend"] == "floor"]
        start = 0
        for i in floors:
            floor, run = rows[i], rows[start:i]
            assert run, f"{group}: a floor row without rows before it"
            assert {r["threads"] for r in run} == {floor["threads"]}, group
            assert {r["dtype"] for r in run} == {floor["dtype"]}, group
            assert {r["mode"] for r in run} == {floor["mode"]}, group
            top = peaks[floor["mode"]][floor["dtype"]][str(floor["threads"])]
            assert floor["gflops"] == top and floor["pct_peak"] == 100.0
            assert floor["ns_per_sample"] == pytest.approx(floor["flops_per_sample"] / top)
            assert str(floor["threads"]) in floor["check"] or "1 thread" in floor["check"]
            start = i + 1
        assert len({rows[i]["threads"] for i in floors}) == len(floors), group
        mixed += len(floors) > 1
    if report["peak"]["threads"]["blas"] > 1:
        assert mixed, "numpy on BLAS's threads next to one-thread loops: two floors somewhere"


def test_floor_rows_order_rows_by_threads():
    """floor_rows on made-up rows: stable order within a thread count, a floor after each."""
    peak = {"nofma": {"float64": {"1": 10.0, "2": 20.0}}}
    rows = [
        {
            "workload": "w",
            "kernel": "predict",
            "net": "n",
            "shape": [1, 1, 1],
            "dtype": "float64",
            "n_samples": 10,
            "flops_per_sample": 100.0,
            "backend": b,
            "threads": t,
            "ns_per_sample": 50.0,
        }
        for b, t in (("python", 1), ("numba", 2), ("cython", 1), ("numpy", 2))
    ]
    out = benchreport.floor_rows(rows, peak)
    assert [(r["backend"], r["threads"]) for r in out] == [
        ("python", 1),
        ("cython", 1),
        ("floor", 1),
        ("numba", 2),
        ("numpy", 2),
        ("floor", 2),
    ]
    assert [r["ns_per_sample"] for r in out if r["backend"] == "floor"] == [10.0, 5.0]
    # no peak for a thread count: its rows stay, without a floor
    out = benchreport.floor_rows(rows, {"nofma": {"float64": {"1": 10.0}}})
    assert [r["backend"] for r in out] == ["python", "cython", "floor", "numba", "numpy"]


def test_contender_threads():
    counts = {"cores": 2, "numba": 2, "openmp": 3, "blas": 4}
    lecture = Workload("train_epoch", "lecture", n_samples=100)
    mnist = Workload("train_epoch", "mnist", n_samples=64)
    big = Workload("predict", "lecture", n_samples=100_000)
    few = Workload("predict", "lecture", n_samples=64)  # one block of rows
    deep = NetWorkload("net_predict", (784, 512, 10), n_samples=10_000)
    train = NetWorkload("net_train", (784, 512, 10), n_samples=64)
    batches = NetWorkload("net_train", (784, 512, 10), n_samples=256, batch_size=32)
    threads = benchreport.contender_threads
    assert threads("python", big, counts) == 1
    assert threads("numpy", lecture, counts) == 4
    assert threads("numba", big, counts) == 2 and threads("cython", big, counts) == 3
    assert threads("fast", big, counts) == 2
    assert threads("numba", few, counts) == 1 and threads("cython", few, counts) == 1
    assert threads("numba", lecture, counts) == 1 and threads("cython", mnist, counts) == 3
    assert threads("numba", deep, counts) == 2 and threads("cython", deep, counts) == 3
    assert threads("numba", train, counts) == 1 and threads("cython", train, counts) == 1
    assert threads("numba", batches, counts) == 2 and threads("cython", batches, counts) == 3
    assert threads("numpy", batches, counts) == 4 and threads("python", batches, counts) == 1


def test_nofma_peak_kernel_has_no_fma_and_does_what_is_counted():
    """The peak's loop: packed multiplies and adds, never an FMA; each step of each pair
    is one add and one multiply (s += p; p *= m), which is what its GFLOP/s count."""
    import re

    import numpy as np

    for dtype in ("float64", "float32"):
        muladd, muladd_threads = benchreport.nofma_kernels(dtype)
        (sig,) = muladd.signatures
        asm = muladd.inspect_asm(sig)
        assert not re.search(r"fn?m(add|sub)\d", asm), "an FMA in the no-FMA peak"
        assert re.search(r"mulp[sd]", asm) and re.search(r"addp[sd]", asm), "not vectorised"
        pairs = benchreport.peak_chains("nofma", dtype)
        init = np.arange(1, pairs + 1, dtype=dtype)
        two = np.dtype(dtype).type(2)
        # p doubles every step: s = init * (1 + 2 + 4)
        assert muladd(two, 3, init) == np.sum(7 * init)
        out = np.zeros(2, dtype=dtype)
        muladd_threads(two, 3, np.stack([init, 2 * init]), out)
        assert list(out) == [np.sum(7 * init), np.sum(14 * init)]


def test_fma_peak_kernel_fuses_and_does_what_is_counted():
    """The FMA peak's loop: packed fmas (the FMA mode's llvm.fma), each step of each chain
    one fma, s = s * m + c, counted as 2 operations."""
    import re

    import numpy as np

    for dtype in ("float64", "float32"):
        fmachain, fmachain_threads = benchreport.fma_kernels(dtype)
        (sig,) = fmachain.signatures
        asm = fmachain.inspect_asm(sig)
        assert re.search(r"vfmadd\w*p[sd]", asm), "no packed fma in the FMA peak"
        chains = benchreport.peak_chains("fma", dtype)
        init = np.arange(1, chains + 1, dtype=dtype)
        two = np.dtype(dtype).type(2)
        # s = ((init * 2 + 1) * 2 + 1) * 2 + 1 = 8 init + 7
        assert fmachain(two, 3, init) == np.sum(8 * init + 7)
        out = np.zeros(2, dtype=dtype)
        fmachain_threads(two, 3, np.stack([init, 2 * init]), out)
        assert list(out) == [np.sum(8 * init + 7), np.sum(16 * init + 7)]


def test_ports_verdict_from_the_two_peaks(quick_run):
    """Shared FMA ports when the no-FMA peak is well below the FMA peak, own pipes near it;
    the loops' FMA peak preferred, BLAS's for reports without it."""

    def peak(nofma, loops, blas):
        return {
            "nofma": {"float64": {"1": nofma}},
            "fma": {"float64": {"1": blas}},
            **({"fma_loops": {"float64": {"1": loops}}} if loops else {}),
        }

    assert benchreport.ports(peak(60.0, 120.0, 95.0)) == "shared"
    assert benchreport.ports(peak(110.0, 120.0, 95.0)) == "own"
    assert benchreport.ports(peak(31.3, 47.0, 38.9)) == "own"  # AMD Zen 3, 16 registers
    assert benchreport.ports(peak(60.0, None, 65.0)) == "own"  # BLAS's, when no loops' peak
    assert benchreport.ports(None) is None
    assert "share the FMA ports" in benchreport.ports_sentence(peak(60.0, 120.0, 95.0))
    _, report, text = quick_run
    assert report["peak"]["ports"] == benchreport.ports(report["peak"])
    assert benchreport.ports_sentence(report["peak"]) in text
    for dtype in ("float64", "float32"):
        assert report["peak"]["fma_loops"][dtype]["1"] > 0


def test_deep_rows_checked_and_counted(quick_run):
    _, report, _ = quick_run
    rows = [r for r in report["results"] if r["kernel"] == "net_predict"]
    assert rows and all(
        r["workload"].startswith("net_predict 60-6-4 sigmoid/sigmoid/mse") for r in rows
    )
    for r in rows:
        assert r["flops_per_sample"] == 2 * (60 * 6 + 6 * 4)  # the same in the FMA mode
        if r["backend"] in ("numba", "cython"):
            assert r["check"] == "bit-identical", r
        elif r["backend"] == "numpy":
            assert r["max_abs_diff"] < 1e-12, r
    assert "fast" not in {r["backend"] for r in rows}  # no stated tolerance for net_*


def test_deep_float32_rows_use_the_float32_peak(tmp_path):
    assert (
        bench(tmp_path, "--backends", "python,numba,numpy", "--workloads", "batch 32 N=256 float32")
        == 0
    )
    report = json.loads((tmp_path / "report.json").read_text())
    rows = report["results"]
    assert {r["backend"] for r in rows if r["mode"] == "default"} == {
        "python",
        "numba",
        "numpy",
        "floor",
    }
    assert {r["backend"] for r in rows if r["mode"] == "fma"} == {"numba", "floor"}
    for r in rows:
        assert r["kernel"] == "net_train" and r["dtype"] == "float32"
        peaks = report["peak"]["nofma" if r["mode"] == "default" else "fma_loops"]
        assert r["peak_gflops"] == peaks["float32"][str(r["threads"])]
        assert r["flops_per_sample"] == net_flop_count("net_train", (784, 512, 10), 32)
    for numba in (r for r in rows if r["backend"] == "numba"):
        assert numba["check"] == "bit-identical"
    numpy = next(r for r in rows if r["backend"] == "numpy")
    assert numpy["max_abs_diff"] < 1e-4  # float32, BLAS's order (bench/bench_net.py: 1e-3)


def test_net_flop_count_by_hand():
    W, W1 = 784 * 512 + 512 * 10, 512 * 10  # weights; those above the first layer
    assert net_flop_count("net_predict", (784, 512, 10)) == 2 * W == 813_056
    assert net_flop_count("net_train", (784, 512, 10)) == 5 * W + 2 * W1 == 2_042_880
    assert net_flop_count("net_train", (784, 512, 10), 32) == 4 * W + 2 * W1 + 3 * W / 32
    # no hidden layer: nothing to propagate back
    assert net_flop_count("net_train", (3, 2)) == 5 * 6
    w = NetWorkload("net_train", (784, 512, 10), batch_size=32)
    assert workload_flops(w) == w.flops == net_flop_count("net_train", (784, 512, 10), 32)


def test_deep_workloads_shared_with_bench():
    """One definition of the deep workloads: bench/bench_net.py imports them from here."""
    import pathlib

    source = (pathlib.Path(__file__).parents[1] / "bench" / "bench_net.py").read_text()
    assert "from loopmlp.workloads import NET_WORKLOADS" in source
    assert "class NetWorkload" not in source
    groups = {w.group for w in NET_REPORT_WORKLOADS}
    for g in (
        "net_train 784-512-10 relu/softmax/cross_entropy batch 1 N=64 float64",
        "net_train 784-512-10 relu/softmax/cross_entropy batch 1 N=64 float32",
        "net_train 784-512-10 relu/softmax/cross_entropy batch 32 N=256 float64",
        "net_train 784-512-10 relu/softmax/cross_entropy batch 32 N=256 float32",
        "net_predict 784-512-10 relu/softmax/cross_entropy N=10000 float64",
        "net_predict 784-512-10 relu/softmax/cross_entropy N=10000 float32",
        "net_predict 64-32-10 relu/softmax/cross_entropy N=1797 float64",
        "net_predict 60-6-4 sigmoid/sigmoid/mse N=100000 float64",
    ):
        assert g in groups, g
    assert all(isinstance(w, NetWorkload) for w in NET_WORKLOADS)


def test_markdown_and_png_written(quick_run):
    out, _, _ = quick_run
    md = (out / "report.md").read_text()
    assert "| workload | backend |" in md and "bench.png" in md
    import matplotlib.image

    img = matplotlib.image.imread(out / "bench.png")
    assert img.ndim == 3 and img.shape[0] > 100


def test_verdicts_loops_bit_identical_numpy_close(quick_run):
    _, report, _ = quick_run
    rows = [r for r in report["results"] if r["backend"] != "floor"]
    assert {r["backend"] for r in rows} == set(LOOPS)
    for r in rows:
        if r["backend"] in ("python", "numba", "cython"):
            assert r["bit_identical"] is True and r["check"] == "bit-identical", r
        else:
            assert r["max_abs_diff"] < 1e-12, r
            assert r["check"] == "bit-identical" or r["check"].startswith("max diff "), r
    # the numpy backend sums with BLAS: on 60-6-4 it is not bit-identical somewhere
    assert any(
        r["check"].startswith("max diff")
        for r in rows
        if r["backend"] == "numpy" and "60-6-4" in r["workload"]
    )


def test_python_is_extrapolated_and_marked(quick_run):
    _, report, text = quick_run
    r = next(
        r
        for r in report["results"]
        if r["backend"] == "python" and r["workload"].startswith("train_epoch 60-6-4")
    )
    assert r["extrapolated"] and r["rows_timed"] < r["n_samples"]
    assert "~" in text


def test_sweep_and_missing_peer(tmp_path, monkeypatch, capsys):
    class Missing:
        def __init__(self):
            raise ImportError("No module named 'torch'")

    # load_backend (benchreport.peers) looks the peer up in this dict
    monkeypatch.setitem(benchreport.peers.PEER_CLASSES, "torch", Missing)
    assert (
        bench(
            tmp_path,
            "--sweep",
            "--backends",
            "python,numba,numpy,torch",
            "--workloads",
            "train_epoch 2-2-1",
        )
        == 0
    )
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["skipped"][0]["backend"] == "torch"
    assert "download.pytorch.org/whl/cpu" in report["skipped"][0]["reason"]
    assert {p["backend"] for p in report["sweep"]} == {"python", "numba", "numpy"}
    assert all(p["ns_per_sample"] > 0 for p in report["sweep"])
    import matplotlib.image

    assert matplotlib.image.imread(tmp_path / "sweep.png").ndim == 3
    assert "skipped torch" in capsys.readouterr().out


def test_ctrl_c_still_writes_the_report(tmp_path, monkeypatch):
    real = benchreport.measure_workloads
    calls = []

    def interrupted(*a, **k):
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return real(*a, **k)

    # run (benchreport.command) calls measure_workloads by its name there
    monkeypatch.setattr(benchreport.command, "measure_workloads", interrupted)
    assert bench(tmp_path, "--backends", "python,numba", "--workloads", "2-2-1") == 130
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["interrupted"] is True and len(report["results"]) > 0
    assert "Interrupted" in (tmp_path / "report.md").read_text()


def test_startup_workload_reports_fresh_processes(tmp_path, capsys):
    """--workloads startup alone: no kernel rows, no peaks, one startup row per backend."""
    assert bench(tmp_path, "--backends", "python,cython", "--workloads", "startup") == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["results"] == [] and report["peak"] is None
    rows = [(r["workload"], r["backend"], r["cache"]) for r in report["startup"]]
    assert rows == [("train_epoch", "python", "warm"), ("train_epoch", "cython", "warm")]
    assert all(len(r["runs"]) == 1 for r in report["startup"])
    assert "## Startup" in (tmp_path / "report.md").read_text()
    assert "startup, a fresh process's first result" in capsys.readouterr().out


def test_bad_options(tmp_path):
    assert bench(tmp_path, "--backends", "fortran") == 2
    assert bench(tmp_path, "--workloads", "no-such-net") == 2


def test_workload_additions_keep_bench_suite():
    groups = {w.group for w in REPORT_WORKLOADS}
    for net in ("2-2-1", "60-6-4", "64-32-10", "784-512-10"):
        for kernel in ("neural_response", "update_network", "train_epoch", "predict"):
            assert any(g.startswith(f"{kernel} {net}") for g in groups)
    assert SWEEP_WIDTHS[0] == 2 and SWEEP_WIDTHS[-1] == 1024
    w = sweep_workload(128)
    assert w.shape == (64, 128, 10) and w.group.startswith("train_epoch 64-128-10")
    # flops: 60-6-4 forward = 6 * (2 * 60 + 4) + 4 * (2 * 6 + 4)
    assert flop_count("neural_response", (60, 6, 4)) == 6 * 124 + 4 * 16
    assert workload_flops(Workload("predict", "lecture", n_samples=5)) == 808
    assert flop_count("train", (2, 2, 1), epochs=3) == 3 * flop_count("train_epoch", (2, 2, 1))


def test_fast_row_labelled_and_checked_against_its_tolerance(tmp_path, capsys):
    """fast runs by default, labelled not bit-identical, its check a tolerance, not the bits."""
    parser = argparse.ArgumentParser()
    benchreport.add_arguments(parser)
    assert "fast" in parser.parse_args([]).backends
    assert bench(tmp_path, "--backends", "python,numba,fast", "--workloads", "60-6-4") == 0
    report = json.loads((tmp_path / "report.json").read_text())
    rows = [r for r in report["results"] if r["backend"] == "fast"]
    assert {r["kernel"] for r in rows} == {
        "neural_response",
        "update_network",
        "train_epoch",
        "train_epoch_literal",
        "predict",
    }
    for r in rows:
        assert 0 < r["tolerance"] < 1e-4, r
        assert r["max_abs_diff"] <= r["tolerance"], r
        assert r["check"].startswith(f"within tol {r['tolerance']:.0e}: "), r
    # numba's rows keep the bit-identical verdict and carry no tolerance
    numba = [r for r in report["results"] if r["backend"] == "numba"]
    assert all(r["check"] == "bit-identical" and r["tolerance"] is None for r in numba)
    label = "fast (fastmath, not bit-identical)"
    assert label in capsys.readouterr().out and label in (tmp_path / "report.md").read_text()


def test_fast_verdict_flags_a_diff_outside_its_tolerance():
    row = {"bit_identical": False, "max_abs_diff": 2e-9, "tolerance": 1e-12}
    assert benchreport.verdict(row) == "OUTSIDE tol 1e-12: max diff 2e-09"
    row.update(max_abs_diff=0.0, bit_identical=True)
    assert benchreport.verdict(row) == "within tol 1e-12: bit-identical here"


# The deep nets' combinations of activation, output and loss (loopmlp.net: INCOMPATIBLE aside).
DEEP_COMBOS = [
    (activation, output, loss)
    for activation in ("sigmoid", "tanh", "relu")
    for output, loss in (
        ("sigmoid", "mse"),
        ("identity", "mse"),
        ("sigmoid", "cross_entropy"),
        ("softmax", "cross_entropy"),
    )
]


@pytest.mark.parametrize("peer", ["torch", "jax"])
def test_peers_deep_kernels_agree_with_the_reference(peer):
    """The optional peers' net_predict and net_train (online, mini-batches with a shorter last
    batch, shuffled, 2 epochs) against the python reference on a tiny net, every activation
    and loss, both dtypes: within the tolerance the report checks them against."""
    import numpy as np

    import loopmlp
    from loopmlp.benchreport.peers import DEEP_TOLERANCE, deep_tolerance

    pytest.importorskip(peer)
    k, reason = benchreport.load_backend(peer)
    assert k is not None, reason
    ref = loopmlp.get_backend("python")
    rng = np.random.default_rng(0)
    X = rng.random((7, 5))
    for (activation, output, loss), dtype, batch_size in itertools.product(
        DEEP_COMBOS, ("float64", "float32"), (1, 3)
    ):
        Y = (
            np.eye(3)[rng.integers(3, size=7)]
            if output == "softmax"
            else rng.random((7, 3)).round()
        )
        nets = [
            loopmlp.init_net(
                [5, 4, 4, 3], activation=activation, output=output, loss=loss, seed=1, dtype=dtype
            )
            for _ in range(2)
        ]
        results = []
        for backend, net in zip((ref, k), nets):
            losses = backend.net_train(net, X, Y, 0.3, 2, batch_size=batch_size, shuffle_seed=2)
            results.append([losses, backend.net_predict(net, X), *net.weights, *net.biases])
        (theirs, ours), tol = results[::-1], DEEP_TOLERANCE[dtype]
        for a, b in zip(theirs, ours, strict=True):
            assert a.dtype == b.dtype == np.dtype(dtype) and a.shape == b.shape
            assert np.max(np.abs(a - b)) <= tol, (activation, output, loss, dtype, batch_size)
    w = NetWorkload("net_train", (5, 4, 3), dtype="float32")
    assert benchreport.runs(peer, k, w) and benchreport.tolerance(w, peer) == deep_tolerance(w)
    assert benchreport.tolerance(Workload("train_epoch", "xor", n_samples=4), peer) is None


def test_peer_deep_row_checked_within_its_tolerance(tmp_path):
    pytest.importorskip("torch")
    assert bench(tmp_path, "--backends", "python,torch", "--workloads", "net_predict 60-6-4") == 0
    rows = json.loads((tmp_path / "report.json").read_text())["results"]
    torch_row = next(r for r in rows if r["backend"] == "torch")
    assert torch_row["tolerance"] == 1e-10
    assert torch_row["check"].startswith("within tol 1e-10: "), torch_row


@pytest.mark.parametrize("full_within, timed", [(60.0, "every row"), (0.0, "PEER_ROWS")])
def test_a_peer_runs_on_every_row_where_that_is_cheap(monkeypatch, full_within, timed):
    """Peers get PEER_ROWS rows, scaled, unless a call on every row takes at most
    PEER_FULL seconds (the numpy backend stands in for one: the rule is the peers')."""
    monkeypatch.setattr(benchreport.measure, "PEER_FULL", full_within)
    w = NetWorkload("net_predict", (8, 4, 2), n_samples=3 * benchreport.PEER_ROWS)
    loaded = {"python": loopmlp.get_backend("python"), "jax": loopmlp.get_backend("numpy")}
    settings = {"full": False, "quick": True, "repeat": 1, "budget": 0.2}
    rows = benchreport.measure_workloads([w], ["python", "jax"], loaded, settings, None, quiet=True)
    r = next(r for r in rows if r["backend"] == "jax")
    expected = w.n_samples if timed == "every row" else benchreport.PEER_ROWS
    assert r["rows_timed"] == expected
    assert r["extrapolated"] == (timed != "every row")


def test_a_first_call_on_the_timed_rows_is_not_timed(monkeypatch):
    """A contender whose first call on a row count is slow (numba compiling code that the
    check's few rows did not reach) is timed on later calls only."""
    import time

    class Compiling:
        """cython's kernels, each row count's first predict 0.5 s slower, as a compile."""

        def __init__(self):
            self.k, self.seen = loopmlp.get_backend("cython"), set()

        def __getattr__(self, name):
            return getattr(self.k, name)

        def predict(self, X, *args, **kwargs):
            if len(X) not in self.seen:
                self.seen.add(len(X))
                time.sleep(0.5)
            return self.k.predict(X, *args, **kwargs)

    monkeypatch.setattr(benchreport.measure, "SETTLE", 0.0)
    w = Workload("predict", "lecture", n_samples=1_000, python_samples=50)
    loaded = {"python": loopmlp.get_backend("python"), "numba": Compiling()}
    settings = dict(repeat=3, budget=0.2, full=False, quick=True)
    rows = benchreport.measure_workloads([w], ["python", "numba"], loaded, settings, None, True)
    (row,) = [r for r in rows if r["backend"] == "numba"]
    assert row["bit_identical"] and len(row["times_s"]) >= 1
    assert max(row["times_s"]) < 0.25

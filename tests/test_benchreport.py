"""``loopmlp bench`` (``loopmlp.benchreport``): the report's structure and its verdicts.

Tiny ``--quick`` runs only; no test asserts a time.
"""

import argparse
import json

import pytest

from loopmlp import benchreport
from loopmlp.workloads import (REPORT_WORKLOADS, SWEEP_WIDTHS, Workload,
                               flop_count, sweep_workload, workload_flops)

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
    args = parser.parse_args(["bench", "--quick", "--repeat", "2", "--out", str(out),
                              "--backends", ",".join(LOOPS),
                              "--workloads", "2-2-1,60-6-4"])
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


def test_json_has_machine_info_and_results(quick_run):
    _, report, _ = quick_run
    for key in ("machine", "settings", "peak", "results", "sweep", "skipped", "interrupted"):
        assert key in report
    m = report["machine"]
    for key in ("cpu", "cores", "python", "numpy", "numba", "cython", "date"):
        assert key in m
    assert m["cpu"] and m["cores"] >= 1 and m["numpy"]
    assert report["peak"]["gflops"] > 0 and report["peak"]["method"]
    row = report["results"][0]
    for key in ("workload", "backend", "rows_timed", "median_s", "ns_per_sample",
                "speedup_vs_numpy", "speedup_vs_python", "gflops", "pct_peak",
                "bit_identical", "max_abs_diff", "check", "extrapolated", "times_s"):
        assert key in row
    kernels = {r["kernel"] for r in report["results"]}
    assert kernels == {"neural_response", "update_network", "train_epoch", "train_epoch_literal",
                       "predict"}
    assert report["interrupted"] is False


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
    assert any(r["check"].startswith("max diff") for r in rows
               if r["backend"] == "numpy" and "60-6-4" in r["workload"])


def test_python_is_extrapolated_and_marked(quick_run):
    _, report, text = quick_run
    r = next(r for r in report["results"]
             if r["backend"] == "python" and r["workload"].startswith("train_epoch 60-6-4"))
    assert r["extrapolated"] and r["rows_timed"] < r["n_samples"]
    assert "~" in text


def test_sweep_and_missing_peer(tmp_path, monkeypatch, capsys):
    class Missing:
        def __init__(self):
            raise ImportError("No module named 'torch'")
    monkeypatch.setitem(benchreport.PEER_CLASSES, "torch", Missing)
    assert bench(tmp_path, "--sweep", "--backends", "python,numba,numpy,torch",
                 "--workloads", "train_epoch 2-2-1") == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["skipped"][0]["backend"] == "torch"
    assert "download.pytorch.org/whl/cpu" in report["skipped"][0]["reason"]
    assert {p["backend"] for p in report["sweep"]} == {"python", "numba", "numpy"}
    assert all(p["ns_per_sample"] > 0 for p in report["sweep"])
    import matplotlib.image
    assert matplotlib.image.imread(tmp_path / "sweep.png").ndim == 3
    assert "skipped torch" in capsys.readouterr().out


def test_ctrl_c_still_writes_the_report(tmp_path, monkeypatch):
    real = benchreport.measure_workload
    calls = []

    def interrupted(*a, **k):
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return real(*a, **k)
    monkeypatch.setattr(benchreport, "measure_workload", interrupted)
    assert bench(tmp_path, "--backends", "python,numba", "--workloads", "2-2-1") == 130
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["interrupted"] is True and len(report["results"]) > 0
    assert "Interrupted" in (tmp_path / "report.md").read_text()


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
    assert {r["kernel"] for r in rows} == {"neural_response", "update_network", "train_epoch",
                                           "train_epoch_literal", "predict"}
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

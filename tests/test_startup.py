"""``loopmlp.startup`` (the measurement itself: no time is asserted; the timings are in
``bench/bench_startup.py`` and ``loopmlp bench --workloads startup``), ``loopmlp warm``'s
arguments, and the default backend."""

import pytest

import loopmlp
from loopmlp import cli, startup


def test_one_fresh_process_reports_every_step(tmp_path):
    run = startup.run_once("cython", "train_epoch", tmp_path / "cache")
    for key in (*startup.STEPS, "again_s", "first_result_s", "total_s"):
        assert run[key] >= 0, key
    assert run["first_result_s"] <= run["total_s"]
    assert set(run["modules"]) == {"numpy", "loopmlp", "backend", "first"}
    assert "loaded" not in run  # no numba in a cython process


def test_a_numba_process_counts_its_kernels(tmp_path):
    """A cold cache compiles, and the next process loads what the first compiled."""
    cold = startup.run_once("numba", "train_epoch", tmp_path / "cache")
    warm = startup.run_once("numba", "train_epoch", tmp_path / "cache")
    assert cold["compiled"] > 0 and cold["loaded"] == 0
    assert warm["compiled"] == 0 and warm["loaded"] > 0


def test_results_tabulate(tmp_path):
    r = startup.measure("cython", "train_epoch", "warm", repeat=1)
    assert len(r.runs) == 1 and r.minimum("total_s") == r.median("total_s")
    text = startup.format_table([r, r.as_dict()])
    assert text.splitlines()[1].split()[:3] == ["workload", "backend", "numba"]
    assert text.count("train_epoch  cython") == 2


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("fortran", "train_epoch"), "unknown backend"),
        (("numba", "predict"), "unknown workload"),
    ],
)
def test_bad_arguments_are_named(tmp_path, args, error):
    with pytest.raises(ValueError, match=error):
        startup.run_once(*args, tmp_path)
    with pytest.raises(ValueError, match="cache must be one of"):
        startup.measure("numba", cache="lukewarm")


@pytest.mark.parametrize(
    "argv", [["--layers", "x"], ["--layers", "0"], ["--dtypes", "float16"], ["--dtypes", ""]]
)
def test_warm_rejects_bad_lists(argv, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["warm", *argv])
    assert e.value.code == 2
    assert "loopmlp warm: error:" in capsys.readouterr().err


def test_the_estimators_default_to_the_default_backend():
    # the documented choice: the loop backend quickest to a first result (docs/estimators.rst)
    assert loopmlp.DEFAULT_BACKEND == "cython"
    assert loopmlp.LoopMLPClassifier().backend == loopmlp.DEFAULT_BACKEND
    assert loopmlp.LoopMLPRegressor().backend == loopmlp.DEFAULT_BACKEND

"""A fresh process's time to its first result (``loopmlp.startup``): every backend, each of
``startup.WORKLOADS`` (``train_epoch``, ``net_train``, an estimator's ``fit``), with numba's
cache warm and cold.

    pytest bench/bench_startup.py --benchmark-group-by=group     # timings
    pytest bench --benchmark-disable                             # what CI runs

Each round is one fresh process (``startup.run_once``), timed from its start to its exit;
``extra_info`` has the steps of the last round (import, backend, first call, ...) and the
counts (modules imported, numba kernels loaded and compiled). The warm cases share one private
numba cache folder, filled by an untimed process first; each cold round starts from an empty
one. Only ``numba`` has such a cache, so only it has cold cases. Its cold rounds compile for
seconds: with ``--benchmark-disable`` they are skipped, and every other case runs one process.
"""

from __future__ import annotations

import itertools

import pytest

from loopmlp import startup

CASES = [
    (w, b, c)
    for w in startup.WORKLOADS
    for b in startup.BACKENDS
    for c in startup.CACHES
    if c == "warm" or b == "numba"
]
_warmed = set()


@pytest.fixture(scope="module")
def warm_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("numba-cache")


@pytest.mark.parametrize(
    ("workload", "backend", "cache"), CASES, ids=["-".join(case) for case in CASES]
)
def test_startup(benchmark, warm_folder, tmp_path, workload, backend, cache):
    if cache == "cold" and benchmark.disabled:
        pytest.skip("a cold numba cache compiles for seconds; timed with benchmarks on only")
    if cache == "warm":
        if backend == "numba" and workload not in _warmed:
            startup.run_once(backend, workload, warm_folder)  # fills the cache, untimed
            _warmed.add(workload)
        folders = itertools.repeat(warm_folder)
    else:
        folders = (tmp_path / f"cold{i}" for i in itertools.count())
    runs = []
    benchmark.group = f"startup {workload}"
    benchmark.pedantic(
        lambda: runs.append(startup.run_once(backend, workload, next(folders))),
        rounds=3 if cache == "cold" else 7,
        iterations=1,
    )
    last = runs[-1]
    benchmark.extra_info.update({k: v for k, v in last.items() if k != "profile"})
    if backend == "numba" and cache == "warm":
        assert last["compiled"] == 0 and last["loaded"] > 0, last

"""What one process leaves in numba's cache is safe for the next (issue 9).

Every test here runs short processes (``cache_worker.py``) on a private, fresh cache folder
(``NUMBA_CACHE_DIR`` in ``tmp_path``), so it does not depend on site-packages being writable
or on what earlier runs left, and compares what each process computed with the ``python``
reference computed here: bit for bit for the loop backends, within the stated tolerances for
``numpy`` and ``fast``. A crash shows up as a non-zero exit code (SIGSEGV is -11).
"""

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cache_worker import run
from test_kernels import TOLERANCE
from test_net import TOLERANCE as NET_TOLERANCE

WORKER = Path(__file__).with_name("cache_worker.py")
SMALL = [(3, 5, 2), (60, 6, 4)]
BIG = (256, 256, 4)  # 65,536 weights in wh: train shares each sample's pass out to threads
KERNELS = (
    "neural_response",
    "update_network",
    "train_epoch",
    "train_epoch_literal",
    "train",
    "predict",
    "net_train",
    "net_predict",
)
ALL_BACKENDS = ("python", "numba", "cython", "numpy", "fast")


def start(tmp_path, name, job, cache, num_threads=2):
    """Start one worker process on ``job`` with ``cache`` as its numba cache folder."""
    job_path = tmp_path / f"{name}.json"
    job_path.write_text(json.dumps(job))
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), NUMBA_NUM_THREADS=str(num_threads))
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), str(job_path), str(tmp_path / name)],
        env=env,
        cwd=WORKER.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    proc.out_path = tmp_path / f"{name}.npz"
    return proc


def finish(proc):
    """Wait for a worker; its saved results, or a failure with its output."""
    output, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, f"worker exited with {proc.returncode}:\n{output}"
    return dict(np.load(proc.out_path))


def run_one(tmp_path, name, job, cache, num_threads=2):
    return finish(start(tmp_path, name, job, cache, num_threads))


_reference = {}


def reference(kernel, shape, seed, dtype="float64", layers=3, batch_size=3):
    """The python backend's results for a call, computed once in this process."""
    key = (kernel, tuple(shape), seed, dtype, layers, batch_size)
    if key not in _reference:
        _reference[key] = run(
            "python", kernel, shape, seed, dtype=dtype, layers=layers, batch_size=batch_size
        )
    return _reference[key]


def tolerance(call):
    """(rtol, atol) for a call: TOLERANCE of test_kernels, fast's stated bound."""
    if call["kernel"].startswith("net_"):
        # fast reassociates the sums as BLAS does: numpy's tolerance, for the same reason
        backend = "numpy" if call["backend"] == "fast" else call["backend"]
        return NET_TOLERANCE[backend, call["dtype"]]
    if call["backend"] != "fast":
        return TOLERANCE[call["backend"]]
    from cache_worker import EPOCHS, LRATE, rows

    from loopmlp.kernels import _numba_fast

    shape = tuple(call["shape"])
    epochs = EPOCHS if call["kernel"] == "train" else 1
    return 0.0, _numba_fast.atol(call["kernel"], shape, rows(shape), epochs, lrate=LRATE)


def check(calls, saved):
    """Every call's results equal the reference's (see ``tolerance``)."""
    for i, call in enumerate(calls):
        expect = reference(
            call["kernel"],
            call["shape"],
            call["seed"],
            call["dtype"],
            call["layers"],
            call["batch_size"],
        )
        rtol, atol = tolerance(call)
        for name, ref in expect.items():
            comp = saved[f"{i}/{name}"]
            if rtol == atol == 0.0:
                assert np.array_equal(comp, ref), (call, name, np.max(np.abs(comp - ref)))
            else:
                np.testing.assert_allclose(comp, ref, rtol=rtol, atol=atol, err_msg=str(call))


def call(backend, kernel, shape, seed=0, threads=None, dtype="float64", layers=3, batch_size=3):
    return dict(
        backend=backend,
        kernel=kernel,
        shape=list(shape),
        seed=seed,
        threads=threads,
        dtype=dtype,
        layers=layers,
        batch_size=batch_size,
    )


def test_the_reported_three_processes(tmp_path):
    """The issue's steps: numba train_epoch on a 5-4-3 net, then train on 60-6-4, twice.

    The third process crashed (SIGSEGV) loading the ``train`` overload that the second
    compiled over cached callees (see ``loopmlp.kernels._numba_cache``, point 1).
    """
    cache = tmp_path / "cache"
    steps = [
        [call("numba", "train_epoch", (5, 4, 3), seed=1)],
        [call("numba", "train", (60, 6, 4), seed=5)],
        [call("numba", "train", (60, 6, 4), seed=5)],
    ]
    for n, calls in enumerate(steps):
        check(calls, run_one(tmp_path, f"step{n}", {"calls": calls}, cache))


def random_job(rng, num_threads):
    """One call of a random public kernel for every backend, on a small or the big net."""
    calls = []
    for backend in ALL_BACKENDS:
        kernel = rng.choice(KERNELS)
        shape = BIG if rng.random() < 0.25 else rng.choice(SMALL)
        if backend == "python" and shape == BIG and kernel != "neural_response":
            shape = SMALL[0]  # the reference is computed here too: keep pure Python cheap
        threads = None
        if kernel in ("predict", "net_predict") and backend in ("numba", "cython", "fast"):
            threads = rng.choice([None, *range(1, num_threads + 1)])
        if kernel.startswith("net_") and shape == BIG:
            shape = (256, 128, 4)  # two hidden layers of 256 x 256 would cost python minutes
        # online net_train runs other kernels than mini-batches do
        batch_size = rng.choice([1, 3]) if kernel == "net_train" else 3
        calls.append(
            call(
                backend,
                kernel,
                shape,
                seed=rng.randrange(3),
                threads=threads,
                dtype=rng.choice(["float64", "float32"]),
                batch_size=batch_size,
            )
        )
    return calls


def test_many_processes_share_one_cache(tmp_path):
    """Many short processes in a seeded random order, some at once, on one fresh cache.

    Each calls a random public kernel of every backend (small and big nets, ``threads``
    None, 1 and 2, ``NUMBA_NUM_THREADS`` 1 and 2); up to three run at the same time, so
    processes compile and save different overloads of a kernel concurrently. Zero crashes;
    every result exact (or within its stated tolerance).
    """
    rng = random.Random(9)
    cache = tmp_path / "cache"
    n = 0
    while n < 18:
        wave = []
        for _ in range(rng.choice([1, 2, 3])):
            num_threads = rng.choice([1, 2])
            job = {"calls": random_job(rng, num_threads)}
            wave.append((job, start(tmp_path, f"p{n}", job, cache, num_threads)))
            n += 1
        for job, proc in wave:
            check(job["calls"], finish(proc))


def hits_and_misses(saved):
    hits, misses = saved["stats"]
    return int(hits), int(misses)


def test_another_version_never_loads_this_cache(tmp_path):
    """A cache written by another loopmlp version is not loaded: compiled afresh, and exact.

    The control (a second process of the same version loads everything) shows that the
    check can fail.
    """
    cache = tmp_path / "cache"
    calls = [call("numba", "train", (3, 5, 2)), call("numba", "neural_response", (3, 5, 2))]
    old = run_one(tmp_path, "old", {"calls": calls, "version": "0.0.1"}, cache)
    new = run_one(tmp_path, "new", {"calls": calls}, cache)
    again = run_one(tmp_path, "again", {"calls": calls}, cache)
    for saved in (old, new, again):
        check(calls, saved)
    assert hits_and_misses(old)[0] == 0
    assert hits_and_misses(new)[0] == 0 and hits_and_misses(new)[1] > 0
    assert hits_and_misses(again)[0] > 0 and hits_and_misses(again)[1] == 0


def test_fast_kernels_are_never_loaded_as_numba(tmp_path):
    """fastmath code cached by one process is never loaded by ``numba`` in the next."""
    cache = tmp_path / "cache"
    calls = [call("fast", kernel, (60, 6, 4), seed=2) for kernel in KERNELS]
    run_one(tmp_path, "fast", {"calls": calls}, cache)
    calls = [call("numba", kernel, (60, 6, 4), seed=2) for kernel in KERNELS]
    numba_after_fast = run_one(tmp_path, "numba", {"calls": calls}, cache)
    check(calls, numba_after_fast)
    assert hits_and_misses(numba_after_fast)[0] == 0


def test_no_writable_cache_folder_warns_once_and_works(tmp_path):
    """With nowhere to write the cache, the numba kernels still run, after one warning.

    The cache folder is a path below a regular file (unusable even for root), and numba is
    told to look nowhere else, as when site-packages and the home folder are not writable.
    """
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    calls = [call("numba", kernel, (3, 5, 2)) for kernel in KERNELS]
    job_path = tmp_path / "job.json"
    job_path.write_text(json.dumps({"calls": calls}))
    env = dict(
        os.environ,
        NUMBA_CACHE_DIR=str(blocker / "cache"),
        NUMBA_CACHE_LOCATOR_CLASSES="UserProvidedCacheLocator",
    )
    argv = [sys.executable, str(WORKER), str(job_path), str(tmp_path / "out")]
    proc = subprocess.run(
        argv, env=env, cwd=WORKER.parent, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    saved = dict(np.load(tmp_path / "out.npz"))
    check(calls, saved)
    (warning,) = saved["warnings"]
    assert "NUMBA_CACHE_DIR" in warning and "\n" not in warning


@pytest.mark.parametrize("kernel", ["train", "train_epoch"])
def test_overloads_compiled_over_cached_callees_load_safely(tmp_path, kernel):
    """The crash's mechanism on its own: a kernel's second overload compiled in a process
    whose callees (the parallel one included) came from the cache, then loaded by a third."""
    cache = tmp_path / "cache"
    first = [call("numba", "train_epoch" if kernel == "train" else "train", (5, 4, 3))]
    second = [call("numba", kernel, (60, 6, 4), seed=1)]
    for n, calls in enumerate([first, second, second]):
        check(calls, run_one(tmp_path, f"p{n}", {"calls": calls}, cache))


def test_a_caller_compiled_over_cached_parallel_kernels_loads_safely(tmp_path):
    """The crash's mechanism where the threading layer is launched only for the kernels that
    may need it (``_numba_cache``, point 1): mini-batch ``net_train`` on a net of two weight
    layers caches the parallel ``batch_forward`` and ``batch_update``; on three layers, in a
    second process, it is compiled over those cached callees and saved with an empty
    ``reload_init``; a third process loads only that, and would crash if loading it did not
    launch the threading layer (it does crash, SIGSEGV, with the launch taken out)."""
    cache = tmp_path / "cache"
    steps = [
        [call("numba", "net_train", (5, 4, 3), layers=2)],
        [call("numba", "net_train", (5, 4, 3), layers=3)],
        [call("numba", "net_train", (5, 4, 3), layers=3)],
    ]
    for n, calls in enumerate(steps):
        saved = run_one(tmp_path, f"p{n}", {"calls": calls}, cache)
        check(calls, saved)
    assert hits_and_misses(saved)[1] == 0
    assert "net_train" in saved["forgetful"]  # the poisoned overload, loaded
    assert saved["loaded"].tolist() == [False, True]  # without numba's compiler; threads up


def test_a_small_net_loads_without_threads_or_numbas_compiler(tmp_path):
    """A first call from a warm cache on a small net (the lecture's 60-6-4, a 64-32-10 net
    trained online) loads its kernels without numba's implementations and without starting
    numba's threads (``_numba_cache``, point 4), and computes the reference's bits; a
    process that then compiles a kernel the cache lacks gets them too."""
    cache = tmp_path / "cache"
    small = [
        call("numba", "train_epoch", (60, 6, 4), seed=1),
        call("numba", "train", (60, 6, 4), seed=2),
        call("numba", "net_train", (64, 32, 10), layers=2, batch_size=1),
    ]
    run_one(tmp_path, "compile", {"calls": small}, cache)
    warm = run_one(tmp_path, "warm", {"calls": small}, cache)
    check(small, warm)
    assert hits_and_misses(warm)[0] > 0 and hits_and_misses(warm)[1] == 0
    assert warm["loaded"].tolist() == [False, False]
    more = [*small, call("numba", "net_train", (5, 4, 3), dtype="float32", batch_size=1)]
    mixed = run_one(tmp_path, "mixed", {"calls": more}, cache)
    check(more, mixed)
    assert hits_and_misses(mixed)[0] > 0 and hits_and_misses(mixed)[1] > 0


def test_numba_predict_threads_beyond_its_pool_is_a_clear_error(tmp_path):
    """numba launches NUMBA_NUM_THREADS threads; asking predict for more names that limit."""
    job = {"calls": [call("numba", "predict", (3, 5, 2), threads=2)]}
    proc = start(tmp_path, "p", job, tmp_path / "cache", num_threads=1)
    output, _ = proc.communicate(timeout=600)
    assert proc.returncode == 1
    assert output.strip().splitlines()[-1] == (
        "ValueError: threads=2 is more than numba's 1 (NUMBA_NUM_THREADS)"
    )


VECTOR_CODE = """
import sys
if sys.argv[1] == "numba-first":
    import numba
import numpy as np
from loopmlp.kernels import _numba
rng = np.random.default_rng(0)
X, Y = rng.random((8, 60)), rng.random((8, 4))
_numba.train_epoch_literal(X, Y, rng.normal(size=(6, 60)), rng.normal(size=6),
                           rng.normal(size=(4, 6)), rng.normal(size=4), 0.1)
print("".join(_numba.train_epoch_literal.inspect_llvm().values()).count(" x double>"))
"""


def test_numba_imported_first_still_compiles_simd(tmp_path):
    """numba re-reads its config, resetting the SLP switch, when a NUMBA_* variable changed
    since it last looked; the backend's own NUMBA_DISABLE_INTEL_SVML is such a change when
    numba was imported first. The first kernel compiled then lost its SIMD sums (and was
    cached so: 348 vector types in its LLVM IR against 438)."""
    counts = {}
    for order in ("numba-first", "loopmlp-first"):
        env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / order))
        env.pop("NUMBA_DISABLE_INTEL_SVML", None)
        proc = subprocess.run(
            [sys.executable, "-c", VECTOR_CODE, order],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        counts[order] = int(proc.stdout.split()[-1])
    assert counts["loopmlp-first"] > 0
    assert counts["numba-first"] == counts["loopmlp-first"]

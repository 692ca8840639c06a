"""``loopmlp.runtime_info``, ``show_runtime`` and ``loopmlp info``: what loopmlp runs on,
each item checked against another source than the one the function reads where there is
one (``/proc/cpuinfo`` against the extension's own CPU check, numba's settings, the
environment)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest

import loopmlp
from loopmlp import cli


@pytest.fixture(scope="module")
def info():
    return loopmlp.runtime_info()


def test_is_json_and_names_the_versions(info):
    assert json.loads(json.dumps(info)) == info
    assert info["loopmlp"] == loopmlp.__version__
    assert info["versions"]["numpy"] == np.__version__
    assert info["versions"]["numba"] == numba.__version__
    assert info["python"].startswith(".".join(map(str, sys.version_info[:3])))
    assert set(info["extras"]) == {"estimators", "experiments", "bench"}


def _cpu_flags():
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    match = re.search(r"^flags\s*:(.*)$", text, re.M)
    return set(match.group(1).split()) if match else None


def test_cython_build_fits_the_cpu(info):
    """The build the extension's cpuid check chose, against the kernel's view of the CPU."""
    build = info["cython"]
    modules = {"sse2": "_cython", "avx2": "_cython_avx2", "avx512": "_cython_avx512"}
    assert build["module"] == "loopmlp.kernels." + modules[build["build"]]
    assert build["reason"]
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?\w*", build["cython"])
    flags = _cpu_flags()
    if flags is None:  # no /proc/cpuinfo: the features are unknown there
        assert info["cpu"]["features"] == []
        return
    expected = (
        "avx512"
        if {"avx512f", "avx512vl"} <= flags
        else "avx2"
        if {"avx2", "fma"} <= flags
        else "sse2"
    )
    assert build["build"] == expected
    assert {"sse2", "avx512f"} & flags <= set(info["cpu"]["features"])


def test_two_panel_passes_fit_the_cpu(info):
    """Both loop backends' net_predict take two panels a pass with AVX-512, but not on an
    AMD of family 25 (Zen 4): read here from /proc/cpuinfo, there from CPUID (Cython) and
    LLVM's name for the CPU (numba)."""
    flags = _cpu_flags()
    if flags is None:
        pytest.skip("no /proc/cpuinfo to read the CPU's maker and family from")
    amd_25 = (info["cpu"]["id"] or "").startswith("AuthenticAMD family 25 ")
    zmm = info["cython"]["predict_module"] == "loopmlp.kernels._cython_avx512_zmm"
    assert info["cython"]["two_panel_passes"] is (zmm and not amd_25)
    assert info["numba"]["two_panel_passes"] is ("avx512f" in flags and not amd_25)


def test_exp_and_threads(info):
    assert all(info["exp"][b].startswith("loopmlp's own") for b in ("python", "numba", "cython"))
    assert info["numba"]["threads"] == numba.get_num_threads()
    assert info["numba"]["max_threads"] == numba.config.NUMBA_NUM_THREADS
    assert info["numba"]["threading_layer"] == numba.threading_layer()  # started by it
    apis = {pool["user_api"] for pool in info["threadpools"]}
    assert "blas" in apis
    if sys.platform.startswith("linux"):  # the cython backend's OpenMP (setup.py's -fopenmp)
        assert "openmp" in apis


def test_floating_point_is_what_the_reference_assumes(info):
    assert info["floating_point"] == {"rounding": "to nearest", "subnormals": "kept"}


def test_numba_cache_folder_follows_numba_cache_dir(tmp_path):
    code = "import json, loopmlp; print(json.dumps(loopmlp.runtime_info()['numba_cache']))"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    cache = json.loads(proc.stdout)
    assert cache["chosen"] == "NUMBA_CACHE_DIR" and cache["writable"] is True
    assert Path(cache["folder"]).is_relative_to(tmp_path / "cache")
    assert cache["NUMBA_CACHE_DIR"] == str(tmp_path / "cache")


def test_show_runtime_and_the_command(info, capsys):
    loopmlp.show_runtime()
    shown = capsys.readouterr().out
    assert shown.startswith(f"loopmlp: {loopmlp.__version__}\n")
    assert f"  build: {info['cython']['build']}\n" in shown
    assert cli.main(["info"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"loopmlp: {loopmlp.__version__}"
    assert cli.main(["info", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["cython"] == info["cython"] and printed["cpu"] == info["cpu"]


def test_import_loopmlp_loads_none_of_it():
    code = (
        "import sys, loopmlp; assert 'loopmlp.runtime' not in sys.modules; "
        "loopmlp.show_runtime; assert 'numpy' not in sys.modules and 'numba' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)

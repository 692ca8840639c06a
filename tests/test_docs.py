"""The words keep true: every example in the README, the docs and the docstrings runs, and
prints what it says it prints; the README's figures are the stored reports' figures; and the
product speaks of the product, not of how it was made.
"""

import doctest
import importlib
import importlib.util
import pkgutil
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import loopmlp

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

PAGES = [ROOT / "README.md", *sorted(DOCS.rglob("*.rst"))]
PAGES = [p for p in PAGES if "_build" not in p.parts and "_generated" not in p.parts]


def _python_modules():
    """Every pure-Python module of the installed package. The compiled builds are left out:
    importing the AVX-512 build on a CPU without AVX-512 could stop the interpreter."""
    names = ["loopmlp"]
    for info in pkgutil.walk_packages(loopmlp.__path__, "loopmlp."):
        spec = importlib.util.find_spec(info.name)
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            names.append(info.name)
    return names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_page_examples_run(page):
    result = doctest.testfile(str(page), module_relative=False, optionflags=FLAGS, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed (above)"


def test_readme_has_examples():
    # a README whose code blocks lost their prompts would pass the test above with 0 examples
    result = doctest.testfile(str(ROOT / "README.md"), module_relative=False, optionflags=FLAGS)
    assert result.attempted >= 20


@pytest.mark.parametrize("name", _python_modules())
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=FLAGS, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed (above)"


def test_no_skipped_docstring_examples():
    sources = {n: Path(importlib.util.find_spec(n).origin).read_text() for n in _python_modules()}
    skipped = [n for n, text in sources.items() if "doctest: +SKIP" in text]
    assert skipped == []


def _commands():
    """The ``loopmlp ...`` lines of the README's ``sh`` blocks and the docs' ``sh`` code blocks,
    in page order, comments dropped. ``loopmlp warm`` (a minute of compiling) is left to
    tests/test_startup.py."""
    found = []
    for page in PAGES:
        block = False
        for line in page.read_text().splitlines():
            if line.startswith("```"):
                block = line.strip() in ("```sh", "```bash")
            elif ".. code-block::" in line:
                block = line.split("::")[1].strip() in ("sh", "bash")
            elif block and line.strip().startswith("loopmlp "):
                command = line.split("#")[0].strip()
                if command not in found and command != "loopmlp warm":
                    found.append(command)
    return found


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("commands")


def _run_command(command, workdir):
    args = [sys.executable, "-m", "loopmlp", *shlex.split(command)[1:]]
    done = subprocess.run(args, cwd=workdir, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{command}: exit {done.returncode}\n{done.stderr[-2000:]}"


@pytest.mark.parametrize("command", _commands())
def test_page_commands_run(command, workdir):
    # In page order, in one folder: a page may load what an earlier command saved. Under
    # pytest-xdist that command may have run in another worker's folder: then run it here.
    words = shlex.split(command)
    if "--load" in words:
        saved = words[words.index("--load") + 1]
        if not (workdir / saved).exists():
            saver = next(c for c in _commands() if f"--save {saved}" in c)
            _run_command(saver, workdir)
    _run_command(command, workdir)


def _test_command(text):
    """The README's (or a page's) test command: the one line that installs the test extra."""
    (line,) = {ln.strip() for ln in text.splitlines() if 'pip install ".[test]"' in ln}
    return line


def test_ci_runs_the_readme_test_command():
    command = _test_command((ROOT / "README.md").read_text())
    assert command == _test_command((DOCS / "getting-started.rst").read_text())
    assert command in (ROOT / ".ci" / "run").read_text()


def _render():
    spec = importlib.util.spec_from_file_location(
        "render_benchmarks", DOCS / "render_benchmarks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_table_is_rendered_from_the_stored_reports():
    render = _render()
    reports = render.load_reports()
    assert reports, "no stored reports under docs/benchmarks"
    readme = (ROOT / "README.md").read_text()
    assert render.readme_with_table(readme, render.headline_markdown(reports)) == readme, (
        "README.md's table is not the stored reports': run python docs/render_benchmarks.py"
    )


def test_the_fma_page_shows_every_stored_machine():
    render = _render()
    reports = render.load_reports()
    assert ".. include:: _generated/fma.rst" in (DOCS / "fma.rst").read_text()
    table = render.fma_rst(reports)
    for report in reports.values():
        assert table.count(f"({report['machine']['cpu_id']};") == 2, "float64 and float32"
        # each FMA-mode figure of the loops, read from the report itself, is in the table
        for r in report["results"]:
            fused = r["mode"] == "fma" and r["backend"] in ("numba", "cython")
            if fused and r["workload"].startswith("net_predict 784-512-10"):
                assert f"     - {r['ns_per_sample']:,.0f}\n" in table, (r["workload"], r["backend"])


def test_every_stored_report_names_its_machine():
    for stem, report in _render().load_reports().items():
        m = report["machine"]
        for key in ("cpu", "cpu_id", "cores", "date", "python", "numpy", "numba", "loadavg_1min"):
            assert m.get(key) not in (None, ""), f"{stem}.json: machine has no {key}"


# How a figure was reached belongs in commit messages: not in what users read and run.
MAKING_OF = re.compile(r"\bissues? \d+|\bsessions?\b|\bA/B\b|/tmp/|\bround(s)? of\b", re.I)
PRODUCT = [ROOT / "README.md", ROOT / "setup.py", *DOCS.rglob("*"), *(ROOT / "src").rglob("*")]
PRODUCT = [
    p for p in PRODUCT
    if p.is_file() and p.suffix in {".md", ".rst", ".py", ".pyx", ".pxi", ".pxd", ".h", ".txt"}
    and "_build" not in p.parts
]  # fmt: skip


def test_the_product_speaks_of_the_product():
    found = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in PRODUCT
        for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1)
        if MAKING_OF.search(line)
    ]
    assert found == [], "\n".join(found)

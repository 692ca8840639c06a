"""The optional parts are optional: with only the core dependencies (numpy, numba,
threadpoolctl), loopmlp imports, every backend trains and predicts, and each optional part
raises an ImportError that names its extra and the pip command.

The packages of the extras are blocked in a fresh interpreter by a finder at the front of
``sys.meta_path`` that refuses them, as an environment without them would.
"""

import json
import subprocess
import sys

import numpy as np
import pytest

import loopmlp
from loopmlp import _optional

# The extras' packages (as imported) and scipy, which only scikit-learn brings.
BLOCKED = ("sklearn", "skimage", "matplotlib", "tqdm", "scipy")

BLOCKER = f"""
import sys

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {BLOCKED!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, Refuse())
"""

# Every backend trains and predicts the lecture's net and a deep net into ``results``:
# in the blocked interpreter and, with the extras at hand, in the test.
TRAIN = """
import numpy as np
import loopmlp

results = {}
X = np.random.default_rng(0).random((6, 3))
Y = np.random.default_rng(1).random((6, 2))
for name in loopmlp.BACKENDS:
    k = loopmlp.get_backend(name)
    wh, bh, wo, bo = loopmlp.init_weights(3, 4, 2, seed=0)
    mses = k.train(X, Y, wh, bh, wo, bo, 0.5, 3)
    net = loopmlp.init_net([3, 4, 2], seed=0)
    losses = k.net_train(net, X, Y, 0.5, 3, batch_size=2, shuffle_seed=0)
    results[name] = [mses.tolist(), k.predict(X, wh, bh, wo, bo).tolist(),
                     losses.tolist(), k.net_predict(net, X).tolist()]
"""

# In the blocked interpreter: train and predict on every backend, then try each optional
# part; prints JSON: the backends' results, the errors' messages, what got imported.
SCRIPT = (
    TRAIN
    + """
import json, sys

errors = {}
def attempt(label, call):
    try:
        call()
    except ImportError as e:
        errors[label] = str(e)
    else:
        errors[label] = None

attempt("LoopMLPClassifier", lambda: loopmlp.LoopMLPClassifier)
from loopmlp.experiments import digits, pixels, xor, plots
attempt("xor", lambda: xor.run(out=None))
attempt("digits", lambda: digits.run(out=None, epochs=1))
attempt("pixels", lambda: pixels.run(out=None, epochs=1))
attempt("plots", lambda: plots.figure())
from loopmlp import benchreport, data
attempt("bench plots", lambda: benchreport.write_plots(".", {"results": [], "sweep": []}))
attempt("digits_split", lambda: data.digits_split())
attempt("sample_images", lambda: data.sample_images())
from loopmlp.experiments import perceptron
learned = perceptron.run("and").results
from loopmlp import cli
codes = {"info": cli.main(["info", "--json"]), "xor": cli.main(["xor", "--no-out", "-q"])}
print(json.dumps(dict(results=results, errors=errors, codes=codes,
                      imported=sorted({m.partition(".")[0] for m in sys.modules}))))
"""
)


@pytest.fixture(scope="module")
def blocked():
    """The script's JSON (its last line) and stderr, from an interpreter without the extras."""
    proc = subprocess.run(
        [sys.executable, "-c", BLOCKER + SCRIPT],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.splitlines()[-1]), proc.stderr


def test_every_backend_trains_without_the_extras(blocked):
    report, _ = blocked
    assert not set(BLOCKED) & set(report["imported"])
    # the same calls here, with the extras at hand: the same numbers, bit for bit
    here: dict = {}
    exec(TRAIN, here)
    for name in loopmlp.BACKENDS:
        got, expected = report["results"][name], here["results"][name]
        assert all(np.array_equal(g, e) for g, e in zip(got, expected, strict=True)), name


@pytest.mark.parametrize(
    "part, message",
    [
        ("LoopMLPClassifier", "loopmlp.estimators needs scikit-learn: "),
        ("xor", "loopmlp.experiments.xor needs scikit-learn: "),
        ("digits", "loopmlp.experiments.digits needs scikit-learn: "),
        ("pixels", "loopmlp.experiments.pixels needs scikit-learn: "),
        ("plots", "loopmlp.experiments needs matplotlib: "),
        ("bench plots", "loopmlp.benchreport.write_plots needs matplotlib: "),
        ("digits_split", "loopmlp.data.digits_split needs scikit-learn: "),
        ("sample_images", "loopmlp.data.sample_images needs scikit-image: "),
    ],
)
def test_each_optional_part_names_its_extra(blocked, part, message):
    report, _ = blocked
    extra = {"LoopMLPClassifier": "estimators", "bench plots": "bench"}.get(part, "experiments")
    assert report["errors"][part] == message + f"pip install 'loopmlp[{extra}]'"


def test_the_commands_without_the_extras(blocked):
    report, stderr = blocked
    # `loopmlp info` needs none; an experiment's command says which extra, exit code 1
    assert report["codes"] == {"info": 0, "xor": 1}
    assert (
        "loopmlp xor: error: loopmlp.experiments.xor needs scikit-learn: "
        "pip install 'loopmlp[experiments]'" in stderr
    )


def test_extras_match_the_installed_metadata():
    """_optional.EXTRAS names the packages the installed loopmlp's extras require (its
    metadata, from pyproject.toml), the core requires none of them, and the test extra
    brings them all."""
    import re
    from importlib.metadata import requires

    extras: dict[str, set[str]] = {}
    for line in requires("loopmlp"):
        name = re.match(r"[A-Za-z0-9_.-]+", line).group().lower()
        extra = re.search(r"extra == ['\"]([^'\"]+)", line)
        extras.setdefault(extra.group(1) if extra else "", set()).add(name)
    assert extras[""] == {"numpy", "numba", "threadpoolctl"}
    for extra, packages in _optional.EXTRAS.items():
        assert extras[extra] == set(packages), extra
    assert extras["all"] == set().union(*_optional.EXTRAS.values())
    assert extras["all"] <= extras["test"]

"""The renamed public names: each old spelling still works, warns (FutureWarning, naming the
new spelling) and gives the same result; nets and models pickled under the old names load.

``hidden`` was the hidden layers' activation in ``init_net``, ``Net``, ``loopmlp.net.HIDDEN``
and ``loopmlp.workloads.NetWorkload``; it is ``activation`` there now, and ``hidden`` means
only the hidden layers' widths (the command line's ``--hidden``, the experiments' ``hidden``).
"""

import copyreg
import dataclasses
import pickle
import re
import warnings

import numpy as np
import pytest

import loopmlp
from loopmlp.net import Net


@pytest.fixture(autouse=True)
def _no_other_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an unexpected (deprecation) warning fails the test
        yield


def deprecated(new):
    return pytest.warns(FutureWarning, match=rf"deprecated, use {new}")


def same_net(a, b):
    return (
        (a.sizes, a.activation, a.output, a.loss, a.dtype)
        == (b.sizes, b.activation, b.output, b.loss, b.dtype)
        and all(np.array_equal(x, y) for x, y in zip(a.weights + a.biases, b.weights + b.biases))
        and "hidden" not in vars(a)
    )


def trained(net):
    """``net`` after two shuffled epochs in batches of 2 (python backend), and its outputs."""
    rng = np.random.default_rng(0)
    X, Y = rng.random((6, net.sizes[0])), rng.random((6, net.sizes[-1]))
    k = loopmlp.get_backend("python")
    losses = k.net_train(net, X, Y, 0.3, 2, batch_size=2, shuffle_seed=1)
    return losses, k.net_predict(net, X)


def test_init_net_hidden_is_activation():
    new = loopmlp.init_net([3, 4, 2], activation="relu", seed=2)
    with deprecated(re.escape("init_net(activation=...)")):
        old = loopmlp.init_net([3, 4, 2], hidden="relu", seed=2)
    assert same_net(old, new)
    for a, b in zip(trained(old), trained(new)):
        assert np.array_equal(a, b)
    with deprecated(re.escape("init_net(activation=...)")):
        # both, agreeing: fine; disagreeing: refused
        assert loopmlp.init_net([3, 2], "tanh", hidden="tanh").activation == "tanh"
    with pytest.raises(TypeError, match="activation only"), deprecated("init_net"):
        loopmlp.init_net([3, 2], activation="tanh", hidden="relu")


def test_net_hidden_attribute_and_keyword():
    net = loopmlp.init_net([3, 4, 2], activation="tanh", seed=0)
    with deprecated("Net.activation"):
        assert net.hidden == "tanh"
    with deprecated("Net.activation"):
        net.hidden = "relu"
    assert net.activation == "relu"

    args = (net.sizes, net.weights, net.biases)
    with deprecated(re.escape("Net(activation=...)")):
        old = Net(*args, hidden="relu", output="sigmoid")
    assert same_net(old, Net(*args, activation="relu"))
    assert dataclasses.replace(old, loss="mse").activation == "relu"
    for given in (dict(activation="tanh"), dict()):
        with pytest.raises(TypeError, match="both activation and hidden"), deprecated("Net"):
            Net(*args, *(["tanh"] if not given else []), hidden="relu", **given)


def test_module_table_hidden_is_activations():
    import loopmlp.net

    with deprecated("loopmlp.net.ACTIVATIONS"):
        table = loopmlp.net.HIDDEN
    assert table is loopmlp.net.ACTIVATIONS
    with pytest.raises(AttributeError, match="no attribute 'HIDDEN_'"):
        loopmlp.net.HIDDEN_  # noqa: B018


def test_net_workload_hidden_is_activation():
    from loopmlp.workloads import MNIST_NET, NetWorkload

    new = NetWorkload("net_predict", (4, 3, 2), activation="relu", n_samples=5)
    with deprecated(re.escape("NetWorkload(activation=...)")):
        old = NetWorkload("net_predict", (4, 3, 2), hidden="relu", n_samples=5)
    assert old == new and old.group == new.group
    with deprecated("NetWorkload.activation"):
        assert old.hidden == "relu"
    assert dataclasses.replace(old, n_samples=2).activation == "relu"
    net, _, _ = old.setup("python")
    assert net.activation == "relu"
    assert NetWorkload("net_train", **MNIST_NET).activation == "relu"


# --------------------------------------------------------------------------------------
# Pickles made before the rename
# --------------------------------------------------------------------------------------


class OldNet:
    """Pickles as loopmlp 0.2.0 pickled a Net, byte for byte: the Net class and its
    ``__dict__`` (object's default reduce), with ``hidden`` where ``activation`` is now."""

    def __init__(self, net):
        self.state = {("hidden" if k == "activation" else k): v for k, v in vars(net).items()}

    @property
    def __class__(self):  # what pickle checks the reduce value's class against
        return Net

    def __reduce_ex__(self, protocol):
        return (copyreg.__newobj__, (Net,), self.state, None, None)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_a_net_pickled_before_the_rename_loads_with_its_activation(activation):
    net = loopmlp.init_net([3, 4, 2], activation=activation, output="softmax", loss="cross_entropy")
    old = pickle.loads(pickle.dumps(OldNet(net)))
    assert type(old) is Net and same_net(old, net)
    for a, b in zip(trained(old), trained(net)):
        assert np.array_equal(a, b)


def test_a_net_pickled_now_keeps_both_names_in_the_file():
    """So that loopmlp 0.2.0, which reads ``hidden``, loads it with its activation too."""
    net = loopmlp.init_net([3, 4, 2], activation="relu")
    state = net.__reduce_ex__(pickle.HIGHEST_PROTOCOL)[2]
    assert state["hidden"] == state["activation"] == "relu"
    again = pickle.loads(pickle.dumps(net))
    assert same_net(again, net)


def test_a_model_saved_before_the_rename_loads_and_predicts_the_same(tmp_path):
    from sklearn.datasets import load_digits

    from loopmlp import LoopMLPClassifier
    from loopmlp.experiments.common import load_model, save_model

    X, y = load_digits(return_X_y=True)
    X = X[:120] / 16
    clf = LoopMLPClassifier(
        (6,), activation="relu", max_iter=2, n_iter_no_change=np.inf, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning
        clf.fit(X, y[:120])
    expected = clf.predict_proba(X)
    net = clf.net_
    clf.net_ = OldNet(net)
    try:
        save_model(tmp_path / "old.pkl", clf, {"command": "digits"})
    finally:
        clf.net_ = net
    loaded, meta = load_model(tmp_path / "old.pkl")
    assert meta["command"] == "digits" and loaded.net_.activation == "relu"
    assert np.array_equal(loaded.predict_proba(X), expected)
    loaded.partial_fit(X, y[:120])  # the net is the same one: training continues
    clf.partial_fit(X, y[:120])
    assert np.array_equal(loaded.predict_proba(X), clf.predict_proba(X))

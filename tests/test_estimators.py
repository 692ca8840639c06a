"""The scikit-learn estimators: the full estimator check suite, the same model on every loop
backend, pickling, bad input, partial_fit, early stopping, digits, and a grid search on Dask.
"""

import os
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import load_digits, load_iris, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from loopmlp import LoopMLPClassifier, LoopMLPRegressor

LOOP_BACKENDS = ("python", "numba", "cython")  # bit-identical to each other

# Every check of scikit-learn's suite (API, legacy, classifier/regressor, multilabel,
# multioutput), none expected to fail: the defaults, and a deeper float32 relu/tanh net
# trained in mini-batches. (Not early_stopping=True: the checks fit on as few as 1 to 10
# rows, too few to hold any out; scikit-learn's MLP is not checked with it either.)
CHECKED = [
    LoopMLPClassifier(),
    LoopMLPRegressor(),
    LoopMLPClassifier(
        (8, 8),
        activation="relu",
        batch_size=16,
        dtype="float32",
        init="scaled",
        learning_rate_init=0.05,
    ),
    LoopMLPRegressor(
        (8, 8),
        activation="tanh",
        batch_size=16,
        dtype="float32",
        init="scaled",
        learning_rate_init=0.05,
    ),
]


@parametrize_with_checks(CHECKED)
def test_sklearn_check(estimator, check, monkeypatch):
    # check_array_api_input runs only where SciPy's array API flag is set, as in
    # scikit-learn's CI; with the NumPy inputs it uses, SciPy's mode does not matter.
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the checks' few epochs
        check(estimator)


def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def fit_quiet(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


# Same random_state, same model: coefs_, intercepts_, loss_curve_ and outputs bit for bit.
CASES = {
    "sigmoid-online": dict(hidden_layer_sizes=(5,)),
    "relu-2layers-batch4-f32": dict(
        hidden_layer_sizes=(6, 4), activation="relu", batch_size=4, dtype="float32", init="scaled"
    ),
    "tanh-early-stopping": dict(
        hidden_layer_sizes=(5,), activation="tanh", early_stopping=True, validation_fraction=0.2
    ),
}


def fitted(cls, backend, case, X, y):
    est = cls(**CASES[case], max_iter=4, random_state=3, backend=backend, learning_rate_init=0.05)
    return fit_quiet(est, X, y)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("backend", LOOP_BACKENDS[1:])
def test_loop_backends_give_the_same_model(backend, case):
    X, y = iris()
    for cls, out in ((LoopMLPClassifier, "predict_proba"), (LoopMLPRegressor, "predict")):
        target = y if cls is LoopMLPClassifier else X[:, 0] * 0.3 + y
        ref = fitted(cls, "python", case, X, target)
        comp = fitted(cls, backend, case, X, target)
        assert ref.n_iter_ == comp.n_iter_ >= 1
        assert ref.loss_curve_ == comp.loss_curve_
        assert ref.validation_scores_ == comp.validation_scores_
        for a, b in zip(ref.coefs_ + ref.intercepts_, comp.coefs_ + comp.intercepts_):
            assert np.array_equal(a, b)
        assert np.array_equal(getattr(ref, out)(X), getattr(comp, out)(X))


def test_numpy_backend_within_rounding():
    # numpy's kernels sum in BLAS order (1e-12 per step, tests/test_kernels.py); after 4
    # online epochs (600 steps) the largest difference measured was 1.6e-15
    X, y = iris()
    ref = fitted(LoopMLPClassifier, "python", "sigmoid-online", X, y)
    comp = fitted(LoopMLPClassifier, "numpy", "sigmoid-online", X, y)
    for a, b in zip(ref.coefs_ + ref.intercepts_, comp.coefs_ + comp.intercepts_):
        assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_fitted_attributes_follow_sklearn_layout():
    X, y = iris()
    clf = fit_quiet(LoopMLPClassifier((7, 6), max_iter=3, random_state=0), X, y)
    assert [c.shape for c in clf.coefs_] == [(4, 7), (7, 6), (6, 3)]
    assert [b.shape for b in clf.intercepts_] == [(7,), (6,), (3,)]
    for c, w in zip(clf.coefs_, clf.net_.weights):  # the transpose of the lecture's wh, wo
        assert np.array_equal(c, w.T) and c.flags.c_contiguous
    assert clf.net_.sizes == (4, 7, 6, 3)
    assert (clf.n_layers_, clf.n_outputs_, clf.n_features_in_) == (4, 3, 4)
    assert clf.out_activation_ == "softmax" and clf.net_.loss == "cross_entropy"
    assert len(clf.loss_curve_) == clf.n_iter_ == 3 and clf.t_ == 3 * len(X)
    assert clf.best_loss_ == min(clf.loss_curve_) and clf.validation_scores_ is None
    assert list(clf.classes_) == [0, 1, 2]


def test_output_layer_per_target_kind():
    X, y = iris()
    binary = fit_quiet(LoopMLPClassifier(max_iter=2, random_state=0), X, y == 2)
    assert binary.out_activation_ == "sigmoid" and binary.n_outputs_ == 1
    proba = binary.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.array_equal(proba.sum(axis=1), np.ones(len(X)))
    Xm, Ym = make_multilabel_classification(n_samples=60, n_classes=4, random_state=0)
    multilabel = fit_quiet(LoopMLPClassifier(max_iter=2, random_state=0), Xm / Xm.max(), Ym)
    assert multilabel.out_activation_ == "sigmoid" and multilabel.n_outputs_ == 4
    assert multilabel.predict(Xm / Xm.max()).shape == Ym.shape
    reg = fit_quiet(LoopMLPRegressor(max_iter=2, random_state=0), X, X[:, :2])
    assert reg.out_activation_ == "identity" and reg.predict(X).shape == (len(X), 2)
    pixels = fit_quiet(
        LoopMLPRegressor(out_activation="sigmoid", max_iter=2, random_state=0), X, y / 2
    )
    assert pixels.net_.output == "sigmoid" and pixels.predict(X).shape == (len(X),)


def test_pickled_model_predicts_and_trains_the_same_bits():
    X, y = iris()
    clf = fit_quiet(LoopMLPClassifier(max_iter=5, random_state=0), X, y)
    again = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(clf.predict_proba(X), again.predict_proba(X))
    assert np.array_equal(clf.predict(X), again.predict(X))
    # the random stream is part of the state: both continue alike
    clf.partial_fit(X, y)
    again.partial_fit(X, y)
    assert np.array_equal(clf.predict_proba(X), again.predict_proba(X))


def test_bad_input_gets_sklearn_errors():
    X, y = iris()
    clf = LoopMLPClassifier(max_iter=2, random_state=0)
    with pytest.raises(NotFittedError):
        clf.predict(X)
    with pytest.raises(NotFittedError):
        clf.predict_proba(X)
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(X_nan, y)
    fit_quiet(clf, X, y)
    with pytest.raises(ValueError, match="NaN"):
        clf.predict(X_nan)
    with pytest.raises(ValueError, match="3 features, but LoopMLPClassifier is expecting 4"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X[:, :3], y)
    with pytest.raises(ValueError, match="Unknown label type"):
        LoopMLPClassifier().fit(X, X[:, 0])
    with pytest.raises(ValueError, match=r"targets in \[0, 1\]"):
        LoopMLPRegressor(out_activation="sigmoid").fit(X, y)
    # the parameter constraints: InvalidParameterError, a ValueError
    with pytest.raises(InvalidParameterError, match="hidden_layer_sizes"):
        LoopMLPClassifier(hidden_layer_sizes=0).fit(X, y)
    with pytest.raises(InvalidParameterError, match="backend"):
        LoopMLPClassifier(backend="fast").fit(X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes must hold integers >= 1"):
        LoopMLPClassifier(hidden_layer_sizes=(4, 0)).fit(X, y)


def test_diverging_training_says_so():
    X, _ = iris()
    with pytest.raises(ValueError, match="training diverged"):
        LoopMLPRegressor(learning_rate_init=50.0, random_state=0).fit(X, 1e6 * X[:, 0])


def test_partial_fit_continues_as_fit_would():
    # one partial_fit is one epoch, drawing from the same random stream as fit: k calls
    # make exactly the model of fit(max_iter=k) when fit does not stop early
    X, y = iris()
    classes = np.unique(y)
    with pytest.raises(ValueError, match="classes must be passed"):
        LoopMLPClassifier().partial_fit(X, y)
    with pytest.raises(ValueError, match="not in `self.classes_`"):
        LoopMLPClassifier().partial_fit(X, y, classes=[0, 1])
    whole = fit_quiet(LoopMLPClassifier(max_iter=4, n_iter_no_change=np.inf, random_state=1), X, y)
    parts = LoopMLPClassifier(random_state=1)
    for _ in range(4):
        parts.partial_fit(X, y, classes=classes)
    assert parts.loss_curve_ == whole.loss_curve_ and parts.n_iter_ == 1
    for a, b in zip(whole.coefs_ + whole.intercepts_, parts.coefs_ + parts.intercepts_):
        assert np.array_equal(a, b)
    # later calls may see a subset of the classes, and continue after fit too
    whole.partial_fit(X[y < 2], y[y < 2])
    assert len(whole.loss_curve_) == 5 and whole.t_ == 4 * len(X) + np.sum(y < 2)
    with pytest.raises(ValueError, match="not in `self.classes_`"):
        whole.partial_fit(X, y + 1)
    with pytest.raises(ValueError, match="early_stopping"):
        LoopMLPClassifier(early_stopping=True).partial_fit(X, y, classes=classes)


def test_warm_start_continues_and_refuses_another_net():
    X, y = iris()
    clf = fit_quiet(LoopMLPClassifier(max_iter=3, warm_start=True, random_state=0), X, y)
    first = [c.copy() for c in clf.coefs_]
    fit_quiet(clf, X, y)
    assert len(clf.loss_curve_) == 6 and not np.array_equal(first[0], clf.coefs_[0])
    clf.set_params(hidden_layer_sizes=(5,))
    with pytest.raises(ValueError, match="warm_start=False"):
        clf.fit(X, y)


def test_stops_when_the_loss_stalls_else_warns():
    X, y = iris()
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        LoopMLPClassifier(max_iter=3, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = LoopMLPClassifier(max_iter=500, tol=1e-2, n_iter_no_change=2, random_state=0).fit(
            X, y
        )
    assert clf.n_iter_ < 500
    # stopped after more than n_iter_no_change epochs without improving by tol
    assert min(clf.loss_curve_[-3:]) > clf.best_loss_ - 1e-2


def test_early_stopping_keeps_the_best_epoch():
    X, y = load_digits(return_X_y=True)
    X = X / 16
    params = dict(
        hidden_layer_sizes=(16,),
        activation="relu",
        learning_rate_init=0.01,
        init="scaled",
        early_stopping=True,
        n_iter_no_change=3,
        random_state=0,
    )
    clf = fit_quiet(LoopMLPClassifier(**params, max_iter=200), X, y)
    scores = clf.validation_scores_
    assert len(scores) == clf.n_iter_ < 200 and clf.best_loss_ is None
    assert clf.best_validation_score_ == max(scores) > 0.9
    # the same draws (weights, split, shuffles) up to the best epoch give the same weights
    best = int(np.argmax(scores))
    short = fit_quiet(LoopMLPClassifier(**params, max_iter=best + 1), X, y)
    assert short.validation_scores_ == scores[: best + 1]
    for a, b in zip(clf.coefs_ + clf.intercepts_, short.coefs_ + short.intercepts_):
        assert np.array_equal(a, b)


def test_digits_relu_softmax():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0, stratify=y)
    clf = LoopMLPClassifier(
        (32,), activation="relu", learning_rate_init=0.01, init="scaled", random_state=0
    ).fit(X_train, y_train)
    assert clf.out_activation_ == "softmax"
    assert clf.score(X_test, y_test) > 0.95  # measured: 0.97


def test_dataframe_feature_names():
    import pandas as pd  # in the test extra (scikit-learn's checks use it too)

    X, y = iris()
    df = pd.DataFrame(X, columns=["sepal_l", "sepal_w", "petal_l", "petal_w"])
    with warnings.catch_warnings():
        # early stopping scores the held-out rows without "X does not have valid feature
        # names" warnings
        warnings.simplefilter("error", UserWarning)
        clf = fit_quiet(LoopMLPClassifier(max_iter=30, early_stopping=True, random_state=0), df, y)
        names_out = clf.predict(df)
    assert list(clf.feature_names_in_) == list(df.columns)
    with pytest.warns(UserWarning, match="feature names"):
        assert np.array_equal(clf.predict(X), names_out)


def test_verbose_shows_a_progress_bar(capsys):
    X, y = iris()
    fit_quiet(LoopMLPClassifier(max_iter=3, verbose=True, random_state=0), X, y)
    err = capsys.readouterr().err
    assert "LoopMLPClassifier" in err and "loss=" in err and "3/3" in err


def test_import_loopmlp_stays_cheap():
    code = (
        "import sys, loopmlp; assert 'sklearn' not in sys.modules; "
        "assert loopmlp.LoopMLPRegressor.__name__ == 'LoopMLPRegressor'; "
        "assert 'sklearn' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------------------
# Dask: the same grid search on two worker processes as in this one
# --------------------------------------------------------------------------------------

WORKER_ENV = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}  # one thread per worker


@pytest.fixture(scope="module")
def dask_client():
    from dask import distributed  # in the test extra: never skipped

    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env=WORKER_ENV,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_grid_search_on_dask_equals_serial(dask_client):
    import joblib
    from dask.distributed import get_task_stream

    # the workers run with one numba/OpenMP thread each
    for name, value in WORKER_ENV.items():
        assert set(dask_client.run(os.getenv, name).values()) == {value}
    X, y = iris()
    grid = {
        "hidden_layer_sizes": [(4,), (8, 4)],
        "learning_rate_init": [0.05, 0.2],
        "activation": ["sigmoid", "relu"],
    }
    est = LoopMLPClassifier(max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        serial = GridSearchCV(est, grid, cv=3, n_jobs=1).fit(X, y)
        with joblib.parallel_backend("dask"), get_task_stream(dask_client) as tasks:
            dask = GridSearchCV(est, grid, cv=3, n_jobs=-1).fit(X, y)
    workers = dask_client.scheduler_info()["workers"]
    assert tasks.data and {task["worker"] for task in tasks.data} <= set(workers)
    results = serial.cv_results_
    compared = [key for key in results if "time" not in key]
    assert "mean_test_score" in compared and "param_activation" in compared
    for key in compared:
        if key.startswith("param") and key != "params":
            assert list(dask.cv_results_[key]) == list(results[key]), key
        elif key == "params":
            assert dask.cv_results_[key] == results[key]
        else:
            assert np.array_equal(dask.cv_results_[key], results[key]), key
    assert dask.best_params_ == serial.best_params_
    assert np.array_equal(dask.best_estimator_.coefs_[0], serial.best_estimator_.coefs_[0])

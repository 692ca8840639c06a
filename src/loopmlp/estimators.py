"""scikit-learn estimators on loopmlp's deep kernels: ``LoopMLPClassifier``, ``LoopMLPRegressor``.

They are the one training driver for a ``Net`` (``loopmlp.init_net``): ``fit`` checks its
input the scikit-learn way (``validate_data``, ``_parameter_constraints``), builds a net, and
trains it one epoch at a time through a backend's ``net_train``; ``predict`` runs the
backend's ``net_predict``. Everything random comes from one ``np.random.RandomState``
made from ``random_state`` at the first fit, drawn in a fixed order (the initial weights'
seed, the validation split's seed if ``early_stopping``, then one shuffle seed per epoch),
so the same ``random_state`` gives the same model on the ``python``, ``numba`` and
``cython`` backends, bit for bit (``numpy``: within the 1e-12 of its kernels, per step).

Like scikit-learn's ``MLPClassifier``/``MLPRegressor`` (``solver="sgd"``,
``learning_rate="constant"``, ``momentum=0``, ``alpha=0``), with the lecture's defaults:
sigmoid units, online SGD (``batch_size=1``), ``lrate`` 0.1, U[-1, 1) initial weights.

Running them on a cluster (Dask) needs nothing estimator-specific: they pickle and are
deterministic for a ``random_state``, so ``joblib.parallel_backend("dask")`` runs
``GridSearchCV(..., n_jobs=-1)`` on the workers and gives the same ``cv_results_`` as
``n_jobs=1``. Give each worker one thread per core it owns: start the workers with
``NUMBA_NUM_THREADS=1`` and ``OMP_NUM_THREADS=1`` in their environment (``dask worker
--nthreads 1``, the variables exported before it starts, or ``LocalCluster(...,
env={...})``), else every fit's ``net_predict`` starts one thread per core and the workers
oversubscribe the machine. The results do not depend on the number of threads.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, DTypeLike
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from . import BACKENDS, DEFAULT_BACKEND
from ._backends import get_backend
from .net import Net, init_net

_E = TypeVar("_E", bound="_BaseLoopMLP")

_SEED_MAX = np.iinfo(np.int32).max  # seeds drawn with RandomState.randint(_SEED_MAX)

_COMMON_PARAMETERS = """\
    hidden_layer_sizes : int or sequence of int, default=(32,)
        Units per hidden layer; ``()`` for none (inputs straight to outputs). 32 is the
        hidden width of the lecture's digits net (64-32-10, ``loopmlp digits``): the
        lecture's nets are small, and online SGD costs one pass over every weight per
        sample, so scikit-learn's (100,) would be three times slower for no gain there.
    activation : {"sigmoid", "tanh", "relu"}, default="sigmoid"
        Hidden units' activation; sigmoid is the lecture's (scikit-learn's "logistic").
{extra}    learning_rate_init : float > 0, default=0.1
        The SGD step size (the lecture's ``lrate``), constant.
    max_iter : int >= 1, default=200
        Epochs (passes over the training rows) per ``fit`` at most.
    batch_size : int >= 1, default=1
        1: online SGD, a step after every row, as the lecture. Larger: one step per batch
        with the mean of its rows' gradients (a batch larger than the data is the whole
        data).
    shuffle : bool, default=True
        Visit the rows in a new random order each epoch (else in the given order).
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the validation split and the shuffling. An int gives
        the same model on every loop backend (python, numba, cython), bit for bit.
    tol : float >= 0, default=1e-4
        Improvement that counts: training stops once the training loss (or, with
        ``early_stopping``, the validation score) has failed to improve by ``tol`` for more
        than ``n_iter_no_change`` consecutive epochs (scikit-learn's MLP rule).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows ({stratified}), score them after every
        epoch ({score}), stop as ``tol`` says and keep the weights of the best epoch.
    validation_fraction : float in (0, 1), default=0.1
        The held-out share for ``early_stopping``.
    n_iter_no_change : int >= 1 or np.inf, default=10
        See ``tol``; ``np.inf`` trains ``max_iter`` epochs.
    warm_start : bool, default=False
        ``fit`` continues from the current weights (and random stream) instead of starting
        anew; the data must fit the same net.
    verbose : bool or int, default=False
        A tqdm progress bar of the epochs on stderr, with each epoch's loss (and
        validation score).
    backend : {"cython", "numba", "python", "numpy"}, default="cython"
        The kernels that train and predict. python, numba and cython give identical models
        for the same ``random_state``; numpy agrees within rounding. It may be changed
        between calls: every backend runs every ``net_``. The default
        (``loopmlp.DEFAULT_BACKEND``) starts fastest: a fresh process imports no compiler,
        and the first ``fit`` loads nothing (numba's loads its compiled kernels from its
        cache, or compiles them).
    dtype : {"float64", "float32"}, default="float64"
        The net's float type: weights, inputs and every computation.
    init : {"lecture", "scaled"}, default="lecture"
        Initial weights uniform in [-1, 1) (the lecture's), or those divided by
        sqrt(fan-in) (``scaled``: keeps wide sigmoid layers from saturating); biases zero.
    fma : bool, default=False
        The FMA mode (``loopmlp.init_net(fma=True)``): every multiply-add of the loops
        rounds once instead of twice; the same bits on every loop backend.
"""

_COMMON_ATTRIBUTES = """\
    net_ : loopmlp.Net
        The trained net itself: ``net_.weights[l]`` of shape ``(n_{l+1}, n_l)`` (the
        lecture's ``wh``, ``wo``), ``net_.biases[l]``. ``predict`` runs it; partial_fit and
        warm starts update it in place.
    coefs_ : list of ndarray
        ``coefs_[l]`` of shape ``(n_l, n_{l+1})``: scikit-learn's layout, the transpose of
        ``net_.weights[l]``. Copies, refreshed at the end of every fit and partial_fit:
        changing them does not change the model (change ``net_`` for that).
    intercepts_ : list of ndarray
        Copies of ``net_.biases``.
    loss_curve_ : list of float
        Each epoch's mean training loss ({loss}), per sample, computed during the pass
        (each sample's loss before its own step). Grows across partial_fit and warm starts.
    loss_ : float
        The last epoch's loss.
    best_loss_ : float or None
        The lowest loss of the last fit (and the partial_fits after it); None with
        ``early_stopping``.
    validation_scores_ : list of float or None
        Each epoch's score on the held-out rows with ``early_stopping``, else None.
    best_validation_score_ : float or None
        The best of them (its weights are the ones kept), or None.
    n_iter_ : int
        Epochs run by the last call to fit (1 for partial_fit).
    t_ : int
        Training rows seen in all, over every epoch and call.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names (a DataFrame).
    n_layers_ : int
        ``len(hidden_layer_sizes) + 2``: input, hidden and output layers.
    n_outputs_ : int
    out_activation_ : str
        The output units' activation: ``"sigmoid"``, ``"softmax"`` or ``"identity"``.
"""


def _parameters(**fields) -> str:
    """``_COMMON_PARAMETERS`` with its ``{field}`` markers filled in."""
    text = _COMMON_PARAMETERS
    for name, value in fields.items():
        text = text.replace("{" + name + "}", value)
    return text


class _BaseLoopMLP(BaseEstimator):
    """The training driver both estimators share: validate, build or continue, train."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"sigmoid", "tanh", "relu"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "backend": [StrOptions(set(BACKENDS))],
        "dtype": [StrOptions({"float32", "float64"}), Options(type, {np.float32, np.float64})],
        "init": [StrOptions({"lecture", "scaled"})],
        "fma": ["boolean"],
    }

    # The fitted attributes (documented with each estimator), declared for type checkers;
    # fit and partial_fit set them, and an unfitted estimator has none of them.
    net_: Net
    coefs_: list[np.ndarray]
    intercepts_: list[np.ndarray]
    loss_curve_: list[float]
    loss_: float
    best_loss_: float | None
    validation_scores_: list[float] | None
    best_validation_score_: float | None
    n_iter_: int
    t_: int
    n_layers_: int
    n_outputs_: int
    out_activation_: str

    def __init__(
        self,
        hidden_layer_sizes: int | Sequence[int] = (32,),
        *,
        activation: str = "sigmoid",
        learning_rate_init: float = 0.1,
        max_iter: int = 200,
        batch_size: int = 1,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        tol: float = 1e-4,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: float = 10,
        warm_start: bool = False,
        verbose: bool | int = False,
        backend: str = DEFAULT_BACKEND,
        dtype: DTypeLike = "float64",
        init: str = "lecture",
        fma: bool = False,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.verbose = verbose
        self.backend = backend
        self.dtype = dtype
        self.init = init
        self.fma = fma

    # What the subclasses define: targets -> (Y for the net, y to score), the output layer
    # and loss, and the score of held-out rows (accuracy, R^2).
    def _targets(self, y, first_pass, classes):
        raise NotImplementedError

    def _output_and_loss(self):
        raise NotImplementedError

    def _score_arrays(self, X, y):
        raise NotImplementedError

    def __sklearn_is_fitted__(self):
        # coefs_ is published only when a fit or partial_fit has finished
        return hasattr(self, "coefs_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False  # the kernels loop over dense rows
        tags.input_tags.allow_nan = False
        tags.target_tags.multi_output = True  # several outputs (regressor), multilabel
        return tags

    def _hidden_sizes(self) -> list[int]:
        given = self.hidden_layer_sizes
        sizes: list[Any] = [given] if isinstance(given, Integral) else list(np.ravel(given))
        for n in sizes:
            if not isinstance(n, Integral) or isinstance(n, bool) or n < 1:
                raise ValueError(
                    f"hidden_layer_sizes must hold integers >= 1, got {self.hidden_layer_sizes!r}"
                )
        return [int(n) for n in sizes]

    def _fit(self: _E, X, y, incremental: bool, classes=None) -> _E:
        self._validate_params()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        first_pass = not self.__sklearn_is_fitted__() or (not incremental and not self.warm_start)
        hidden_sizes = self._hidden_sizes()
        dtype = np.dtype(self.dtype)
        X, y = validate_data(
            self,
            X,
            y,
            reset=first_pass,
            multi_output=True,
            dtype=dtype,
            y_numeric=not is_classifier(self),
        )
        Y, y = self._targets(y, first_pass, classes)
        Y = np.ascontiguousarray(Y, dtype=dtype)
        sizes = (X.shape[1], *hidden_sizes, Y.shape[1])
        output, loss = self._output_and_loss()
        if first_pass:
            for name in ("coefs_", "intercepts_"):  # unfitted until this fit completes
                self.__dict__.pop(name, None)
            self._random_state = check_random_state(self.random_state)
            self.net_ = init_net(
                sizes,
                activation=self.activation,
                output=output,
                loss=loss,
                seed=int(self._random_state.randint(_SEED_MAX)),
                dtype=dtype,
                init=self.init,
                fma=bool(self.fma),
            )
            self.loss_curve_ = []
            self.t_ = 0
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = np.inf
            self._no_improvement_count = 0
        else:
            self._check_same_net(sizes, output, loss, dtype)

        X_val = y_val = None
        if self.early_stopping:
            split_seed = int(self._random_state.randint(_SEED_MAX))
            stratify = y if is_classifier(self) and y.ndim == 1 else None
            X, X_val, Y, _, _, y_val = train_test_split(
                X,
                Y,
                y,
                test_size=self.validation_fraction,
                random_state=split_seed,
                stratify=stratify,
            )
            if X_val.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase "
                    "'validation_fraction' or the size of your dataset."
                )
            X, Y = np.ascontiguousarray(X), np.ascontiguousarray(Y)
        self._train(X, Y, X_val, y_val, incremental)

        self.n_layers_ = len(sizes)
        self.n_outputs_ = sizes[-1]
        self.out_activation_ = self.net_.output
        self.intercepts_ = [b.copy() for b in self.net_.biases]
        self.coefs_ = [w.T.copy() for w in self.net_.weights]  # (n_l, n_{l+1}), as sklearn
        return self

    def _check_same_net(self, sizes, output, loss, dtype):
        net = self.net_
        have = (
            tuple(net.sizes),
            net.activation,
            net.output,
            net.loss,
            np.dtype(net.dtype),
            net.fma,
        )
        want = (tuple(sizes), self.activation, output, loss, dtype, bool(self.fma))
        if have != want:
            names = ("sizes", "activation", "output", "loss", "dtype", "fma")
            diff = ", ".join(f"{n} {h!r} -> {w!r}" for n, h, w in zip(names, have, want) if h != w)
            raise ValueError(
                f"partial_fit and warm_start continue the fitted net, but the "
                f"parameters or data now need another one ({diff}); fit with "
                f"warm_start=False to start anew"
            )

    def _train(self, X, Y, X_val, y_val, incremental):
        """Epochs of ``net_train`` on ``X, Y`` until the stopping rule or ``max_iter``."""
        k = get_backend(self.backend)
        early_stopping = X_val is not None
        max_epochs = 1 if incremental else self.max_iter
        if not incremental:  # each fit stops by its own epochs
            self._no_improvement_count = 0
            self.best_loss_ = None if early_stopping else np.inf
            self.best_validation_score_ = -np.inf if early_stopping else None
            if early_stopping:
                if self.validation_scores_ is None:
                    self.validation_scores_ = []
                self._best_weights = [w.copy() for w in self.net_.weights + self.net_.biases]
        elif self.best_loss_ is None:
            self.best_loss_ = np.inf
        self.n_iter_ = 0
        bar = None
        if self.verbose:
            from tqdm import tqdm

            bar = tqdm(total=max_epochs, desc=type(self).__name__, unit="epoch")
        try:
            for _ in range(max_epochs):
                seed = int(self._random_state.randint(_SEED_MAX)) if self.shuffle else None
                losses = k.net_train(
                    self.net_,
                    X,
                    Y,
                    self.learning_rate_init,
                    1,
                    batch_size=self.batch_size,
                    shuffle_seed=seed,
                )
                if not all(np.isfinite(w).all() for w in self.net_.weights + self.net_.biases):
                    raise ValueError(
                        f"training diverged: non-finite weights after epoch "
                        f"{len(self.loss_curve_) + 1}; lower learning_rate_init, scale the "
                        f"input (and regression targets), or use init='scaled'"
                    )
                self.n_iter_ += 1
                self.t_ += X.shape[0]
                self.loss_ = float(losses[0])
                self.loss_curve_.append(self.loss_)
                stop = self._update_no_improvement_count(X_val, y_val)
                if bar is not None:
                    bar.set_postfix_str(
                        f"loss={self.loss_:.6g}"
                        + (
                            f" val={self.validation_scores_[-1]:.4f}"
                            if early_stopping and self.validation_scores_
                            else ""
                        ),
                        refresh=False,
                    )
                    bar.update()
                if stop and not incremental:
                    if bar is not None:
                        what = "validation score" if early_stopping else "training loss"
                        bar.write(
                            f"{what} did not improve by tol={self.tol} for "
                            f"{self.n_iter_no_change} epochs: stopped"
                        )
                    break
            else:
                if not incremental:
                    warnings.warn(
                        f"{type(self).__name__}: max_iter={self.max_iter} epochs "
                        f"reached and the training has not converged yet",
                        ConvergenceWarning,
                        stacklevel=2,
                    )
        finally:
            if bar is not None:
                bar.close()
        if early_stopping:  # keep the best epoch's weights
            for a, best in zip(self.net_.weights + self.net_.biases, self._best_weights):
                a[...] = best
            del self._best_weights

    def _update_no_improvement_count(self, X_val, y_val) -> bool:
        """scikit-learn's MLP rule; True: no improvement by tol for > n_iter_no_change epochs."""
        if X_val is not None:
            # _train started both for early stopping
            assert self.validation_scores_ is not None and self.best_validation_score_ is not None
            score = self._score_arrays(X_val, y_val)
            self.validation_scores_.append(score)
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_weights = [w.copy() for w in self.net_.weights + self.net_.biases]
        else:
            assert self.best_loss_ is not None  # _train started it without early stopping
            loss = self.loss_curve_[-1]
            if loss > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            self.best_loss_ = min(self.best_loss_, loss)
        return self._no_improvement_count > self.n_iter_no_change

    def _forward(self, X, validate=True):
        """The net's outputs for ``X``: ``(n, n_outputs_)`` float64 (a float32 net's
        outputs converted exactly: scikit-learn expects float64 predictions)."""
        if validate:
            check_is_fitted(self)
            X = validate_data(self, X, reset=False, dtype=np.dtype(self.net_.dtype))
        out = get_backend(self.backend).net_predict(self.net_, X)
        return out.astype(np.float64, copy=False)


class LoopMLPClassifier(ClassifierMixin, _BaseLoopMLP):
    __doc__ = f"""A multilayer perceptron classifier trained by loopmlp's per-node loops.

    scikit-learn's ``MLPClassifier`` with plain SGD, on the lecture's kernels: two classes
    (or each label of a multilabel ``y``) get one sigmoid output unit, three or more one
    softmax unit each; the loss is the cross-entropy. Classes are encoded by
    ``LabelBinarizer``.

    Parameters
    ----------
{_parameters(extra="", stratified="stratified by class", score="accuracy")}
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (the label columns, 0..K-1, for a multilabel ``y``).
{_COMMON_ATTRIBUTES.replace("{loss}", "cross-entropy, summed over the outputs")}
    Notes
    -----
    Not supported: sparse ``X``, ``sample_weight``.

    On Dask (``joblib.parallel_backend("dask")``), give the workers
    ``NUMBA_NUM_THREADS=1`` and ``OMP_NUM_THREADS=1``; see ``loopmlp.estimators``.

    Examples
    --------
    Every backend trains the same model; ``cython``'s kernels (the default's) are compiled
    when loopmlp is installed, ``numba`` compiles its own on first use.

    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from loopmlp import LoopMLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_trn, X_tst, y_trn, y_tst = train_test_split(X / 16, y, random_state=0)
    >>> clf = LoopMLPClassifier((32,), activation="relu", learning_rate_init=0.01,
    ...                         init="scaled", random_state=0, backend="cython")
    >>> clf = clf.fit(X_trn, y_trn)  # until the training loss stalls
    >>> clf.predict(X_tst[:8]), y_tst[:8]
    (array([2, 8, 2, 6, 6, 7, 1, 9]), array([2, 8, 2, 6, 6, 7, 1, 9]))
    >>> bool(clf.score(X_tst, y_tst) > 0.95)
    True
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def fit(self: _E, X: ArrayLike, y: ArrayLike) -> _E:
        """Train on ``X (n_samples, n_features)`` and labels ``y (n_samples,)`` (or a
        multilabel indicator ``(n_samples, n_labels)``); returns ``self``.

        A new net from ``random_state`` (or, with ``warm_start``, the fitted one), trained
        for at most ``max_iter`` epochs.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The training inputs; converted to ``dtype``.
        y : array_like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a multilabel indicator matrix.

        Returns
        -------
        self : LoopMLPClassifier
            The fitted classifier.

        Raises
        ------
        ValueError
            Bad parameters or input, or training that diverged (non-finite weights).
        """
        return self._fit(X, y, incremental=False)

    def partial_fit(self: _E, X: ArrayLike, y: ArrayLike, classes: ArrayLike | None = None) -> _E:
        """One epoch over ``X, y``, continuing the fitted net (or starting one).

        ``classes`` (every label of all the calls, e.g. ``np.unique(y_all)``) is required on
        the first call, as scikit-learn's; later ``y`` may hold any subset of them.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The training inputs.
        y : array_like of shape (n_samples,) or (n_samples, n_labels)
            Class labels (a subset of ``classes``), or a multilabel indicator matrix.
        classes : array_like of shape (n_classes,), optional
            Every class of all the calls; required on the first call only.

        Returns
        -------
        self : LoopMLPClassifier
            The classifier, one epoch further: ``k`` calls give the model of ``fit`` with
            ``max_iter=k``, bit for bit.

        Raises
        ------
        ValueError
            No ``classes`` on the first call, other ``classes`` than before, labels not
            in ``classes``, ``early_stopping=True``, or data that needs another net.
        """
        fitted = self.__sklearn_is_fitted__()
        if not fitted and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if (
            fitted
            and classes is not None
            and not np.array_equal(self.classes_, unique_labels(classes))
        ):
            raise ValueError(
                f"`classes={classes!r}` is not the same as on last call to "
                f"partial_fit, was: {self.classes_!r}"
            )
        return self._fit(X, y, incremental=True, classes=classes)

    def _targets(self, y, first_pass, classes):
        if sparse.issparse(y):
            y = y.toarray()
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if first_pass:
            binarizer = LabelBinarizer()
            binarizer.fit(y if classes is None or y.ndim == 2 else classes)
            self._label_binarizer = binarizer
            self.classes_ = binarizer.classes_
        elif (y.ndim == 2) != (self._label_binarizer.y_type_ == "multilabel-indicator"):
            raise ValueError(
                f"y is {'' if y.ndim == 2 else 'not '}a multilabel indicator "
                f"but the fitted classifier's targets were "
                f"{self._label_binarizer.y_type_}"
            )
        if y.ndim == 1 and len(np.setdiff1d(unique_labels(y), self.classes_)):
            raise ValueError(
                f"`y` has classes not in `self.classes_`. `self.classes_` has "
                f"{self.classes_}. 'y' has {unique_labels(y)}."
            )
        return self._label_binarizer.transform(y), y

    def _output_and_loss(self):
        multiclass = self._label_binarizer.y_type_ == "multiclass"
        return ("softmax" if multiclass else "sigmoid"), "cross_entropy"

    def _decode(self, out):
        if out.shape[1] == 1:
            out = out.ravel()
        return self._label_binarizer.inverse_transform(out)

    def _score_arrays(self, X, y):
        return accuracy_score(y, self._decode(self._forward(X, validate=False)))

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The predicted labels, ``(n_samples,)`` (or ``(n_samples, n_labels)``).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The inputs; converted to ``dtype``.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            The class of the highest output for each row (one sigmoid output: the class of
            ``p > 0.5``), or the labels whose outputs are above 0.5 (multilabel).
        """
        return self._decode(self._forward(X))

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, ``(n_samples, n_classes)``, columns as ``classes_``.

        Softmax outputs as they are; one sigmoid output ``p`` as ``[1 - p, p]``; multilabel:
        each label's sigmoid output (the rows need not sum to 1).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The inputs; converted to ``dtype``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            float64, whatever ``dtype`` is.
        """
        out = self._forward(X)
        if out.shape[1] > 1:
            return out
        if len(self.classes_) == 1:  # trained on one class: it is certain
            return np.ones_like(out)
        return np.hstack([1 - out, out])


class LoopMLPRegressor(RegressorMixin, _BaseLoopMLP):
    __doc__ = f"""A multilayer perceptron regressor trained by loopmlp's per-node loops.

    scikit-learn's ``MLPRegressor`` with plain SGD, on the lecture's kernels: one output
    unit per target, the loss the mean squared error (its gradient taken of
    ``1/2 sum (y - o)**2``, as the lecture's).

    Parameters
    ----------
{
        _parameters(
            extra='''    out_activation : {"identity", "sigmoid"}, default="identity"
        The output units: linear (any target), or the lecture's sigmoid, for targets
        in [0, 1] such as pixel intensities (others are refused).
''',
            stratified="not stratified",
            score="R^2",
        )
    }
    Attributes
    ----------
{_COMMON_ATTRIBUTES.replace("{loss}", "mse: the mean over the outputs of (y - o)**2")}
    Notes
    -----
    Not supported: sparse ``X``, ``sample_weight``. Online SGD with identity outputs
    follows the targets' scale: standardise them (``TransformedTargetRegressor``) if they
    are large.

    Examples
    --------
    >>> import numpy as np
    >>> from loopmlp import LoopMLPRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, (200, 2))
    >>> y = X[:, 0] * X[:, 1]
    >>> reg = LoopMLPRegressor((8,), activation="tanh", learning_rate_init=0.05,
    ...                        random_state=0, backend="cython").fit(X, y)
    >>> reg.predict(X[:3]).shape, bool(reg.score(X, y) > 0.9)
    ((3,), True)
    """

    _parameter_constraints: dict = {
        **_BaseLoopMLP._parameter_constraints,
        "out_activation": [StrOptions({"identity", "sigmoid"})],
    }

    def __init__(
        self,
        hidden_layer_sizes: int | Sequence[int] = (32,),
        *,
        activation: str = "sigmoid",
        out_activation: str = "identity",
        learning_rate_init: float = 0.1,
        max_iter: int = 200,
        batch_size: int = 1,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        tol: float = 1e-4,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: float = 10,
        warm_start: bool = False,
        verbose: bool | int = False,
        backend: str = DEFAULT_BACKEND,
        dtype: DTypeLike = "float64",
        init: str = "lecture",
        fma: bool = False,
    ) -> None:
        super().__init__(
            hidden_layer_sizes,
            activation=activation,
            learning_rate_init=learning_rate_init,
            max_iter=max_iter,
            batch_size=batch_size,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            warm_start=warm_start,
            verbose=verbose,
            backend=backend,
            dtype=dtype,
            init=init,
            fma=fma,
        )
        self.out_activation = out_activation

    def fit(self: _E, X: ArrayLike, y: ArrayLike) -> _E:
        """Train on ``X (n_samples, n_features)`` and ``y (n_samples,)`` or
        ``(n_samples, n_outputs)``; returns ``self``.

        A new net from ``random_state`` (or, with ``warm_start``, the fitted one), trained
        for at most ``max_iter`` epochs.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The training inputs; converted to ``dtype``.
        y : array_like of shape (n_samples,) or (n_samples, n_outputs)
            The targets; in [0, 1] with ``out_activation="sigmoid"``.

        Returns
        -------
        self : LoopMLPRegressor
            The fitted regressor.

        Raises
        ------
        ValueError
            Bad parameters or input, or training that diverged (non-finite weights).
        """
        return self._fit(X, y, incremental=False)

    def partial_fit(self: _E, X: ArrayLike, y: ArrayLike) -> _E:
        """One epoch over ``X, y``, continuing the fitted net (or starting one).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The training inputs.
        y : array_like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.

        Returns
        -------
        self : LoopMLPRegressor
            The regressor, one epoch further: ``k`` calls give the model of ``fit`` with
            ``max_iter=k``, bit for bit.

        Raises
        ------
        ValueError
            ``early_stopping=True``, or data that needs another net.
        """
        return self._fit(X, y, incremental=True)

    def _targets(self, y, first_pass, classes):
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if self.out_activation == "sigmoid" and (np.min(y) < 0 or np.max(y) > 1):
            raise ValueError(
                f"out_activation='sigmoid' needs targets in [0, 1], got "
                f"[{np.min(y)}, {np.max(y)}]; scale them or use "
                f"out_activation='identity'"
            )
        return (y.reshape(-1, 1) if y.ndim == 1 else y), y

    def _output_and_loss(self):
        return self.out_activation, "mse"

    def _score_arrays(self, X, y):
        out = self._forward(X, validate=False)
        if not np.isfinite(out).all():
            return np.nan
        return r2_score(y, out.ravel() if out.shape[1] == 1 else out)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The predictions, ``(n_samples,)`` for one output, else ``(n_samples, n_outputs)``.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The inputs; converted to ``dtype``.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            float64, whatever ``dtype`` is.
        """
        out = self._forward(X)
        return out.ravel() if out.shape[1] == 1 else out

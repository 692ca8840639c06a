"""The backend registry and the checked public kernels, written once for every backend."""

from __future__ import annotations

import importlib

import numpy as np
from numpy.typing import ArrayLike

from . import THREADED
from . import net as _net
from .net import Net

# One mapping from backend name to the module holding its raw kernels. Each module defines
# neural_response, update_network, train_epoch, train_epoch_literal, train and predict with
# the reference's argument order, and the deep net's net_response, net_update, net_train and
# net_predict; none of them checks anything.
MODULES = {
    "python": "loopmlp.kernels._reference",
    "numba": "loopmlp.kernels._numba",
    "cython": "loopmlp.kernels._cython_native",
    "numpy": "loopmlp.kernels._numpy",
    # opt-in, not in loopmlp.BACKENDS: numba with fastmath, within stated tolerances only
    "fast": "loopmlp.kernels._numba_fast",
}

# The backends whose predict and net_predict kernels check X for NaN and inf themselves,
# block by block as they read it: one pass over X instead of two (on a small net such as
# 60-6-4, a separate scan costs a good part of the kernel's time). They raise a bare
# ValueError; the full check then runs and names the first bad value. Not "fast": under
# fastmath's nnan and ninf, LLVM may fold the kernels' v - v != 0 test to false, so the
# check before it stays.
SCANNING = ("numba", "cython")


class Backend:
    """The lecture's MLP kernels from one backend, behind loopmlp's argument checks.

    Made by :func:`loopmlp.get_backend`, one per backend; every backend has the same
    methods, with the lecture's names and argument order.

    The lecture's kernels (:meth:`neural_response`, :meth:`update_network`,
    :meth:`train_epoch`, :meth:`train_epoch_literal`, :meth:`train`, :meth:`predict`) run
    its net of one hidden layer of sigmoid units, ``wh (n_hid, n_in)``, ``bh (n_hid,)``,
    ``wo (n_out, n_hid)``, ``bo (n_out,)``: float64, C-contiguous, updated in place. The
    ``net_*`` methods run a :class:`loopmlp.Net` of any depth (:func:`loopmlp.init_net`),
    float32 or float64.

    Attributes
    ----------
    name : str
        The backend's name: one of ``loopmlp.BACKENDS``, or ``"fast"``.

    Notes
    -----
    Every method checks all of its arguments before the kernel runs, so bad input raises
    ``TypeError`` or ``ValueError`` naming the argument and leaves the weights untouched.
    One check runs inside the kernels: ``numba``'s and ``cython``'s ``predict`` and
    ``net_predict`` look for NaN and inf in ``X`` as they read it; they update nothing, so
    the error loses nothing.
    """

    def __init__(self, name: str, kernels, check) -> None:
        self.name = name
        self._k = kernels
        self._check = check
        self._k_fma = None

    def _net(self, net: Net):
        """The kernels for ``net``'s mode: the FMA mode's are made on first use."""
        if not getattr(net, "fma", False):
            return self._k
        if self._k_fma is None:
            self._k_fma = self._k.fma_kernels()
        return self._k_fma

    def __repr__(self) -> str:
        return f"<loopmlp backend {self.name!r}>"

    def neural_response(
        self, inp: ArrayLike, wh: np.ndarray, bh: np.ndarray, wo: np.ndarray, bo: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Forward pass for one input: returns new arrays ``hid (n_hid,)`` and ``out (n_out,)``.

        ``hid = sigmoid(wh @ inp + bh)`` and ``out = sigmoid(wo @ hid + bo)``, computed by the
        lecture's per-node loops: each unit's weighted sum in input order, then its bias.

        Parameters
        ----------
        inp : array_like, shape (n_in,)
            One input; bool, int or float, converted to float64.
        wh : ndarray, shape (n_hid, n_in)
            The hidden layer's weights: float64, C-contiguous, never converted.
        bh : ndarray, shape (n_hid,)
            The hidden layer's biases.
        wo : ndarray, shape (n_out, n_hid)
            The output layer's weights.
        bo : ndarray, shape (n_out,)
            The output layer's biases.

        Returns
        -------
        hid : ndarray, shape (n_hid,)
            The hidden layer's activations, a new array.
        out : ndarray, shape (n_out,)
            The output layer's activations, a new array.

        Raises
        ------
        TypeError
            An argument of the wrong kind or dtype, naming it.
        ValueError
            An argument of the wrong shape, layout or value (NaN or inf in the data, a
            learning rate <= 0, ...), naming it. The weights are left unchanged.

        See Also
        --------
        net_response : The same for a net of any depth.

        Examples
        --------
        The lecture's worked example, inputs (0, 1):

        >>> import numpy as np
        >>> import loopmlp
        >>> wh = np.array([[0.351, 1.076], [-0.097, -0.165], [0.457, -0.165]])
        >>> bh = np.array([1.116, 0.542, -0.331])
        >>> wo, bo = np.array([[0.383, -0.327, -0.329]]), np.zeros(1)
        >>> hid, out = loopmlp.get_backend("python").neural_response([0, 1], wh, bh, wo, bo)
        >>> hid.round(4), out.round(4)
        (array([0.8995, 0.5931, 0.3785]), array([0.5065]))
        """
        inp = self._check.neural_response(inp, wh, bh, wo, bo)
        return self._k.neural_response(inp, wh, bh, wo, bo)

    def update_network(
        self,
        inp: ArrayLike,
        hid: ArrayLike,
        out: ArrayLike,
        err: ArrayLike,
        wh: np.ndarray,
        bh: np.ndarray,
        wo: np.ndarray,
        bo: np.ndarray,
        lrate: float,
    ) -> None:
        """One backpropagation step for one sample: updates ``wh, bh, wo, bo`` in place.

        ``hid, out`` come from ``neural_response(inp, ...)`` and ``err = tgt - out``; the step
        is ``w -= lrate * dE/dw`` for ``E = 1/2 sum (tgt - out)**2``.

        Parameters
        ----------
        inp : array_like, shape (n_in,)
            The sample's input.
        hid : array_like, shape (n_hid,)
            ``neural_response(inp, ...)``'s hidden activations.
        out : array_like, shape (n_out,)
            ``neural_response(inp, ...)``'s outputs.
        err : array_like, shape (n_out,)
            ``tgt - out``.
        wh : ndarray, shape (n_hid, n_in)
            The hidden layer's weights, updated in place: float64, C-contiguous,
            writeable, never converted.
        bh : ndarray, shape (n_hid,)
            The hidden layer's biases, updated in place.
        wo : ndarray, shape (n_out, n_hid)
            The output layer's weights, updated in place.
        bo : ndarray, shape (n_out,)
            The output layer's biases, updated in place.
        lrate : float
            The learning rate (the lecture's eta), finite and > 0.

        Raises
        ------
        TypeError
            An argument of the wrong kind or dtype, naming it.
        ValueError
            An argument of the wrong shape, layout or value (NaN or inf in the data, a
            learning rate <= 0, ...), naming it. The weights are left unchanged.

        See Also
        --------
        net_update : The same for a net of any depth.

        Notes
        -----
        The deltas are ``out (1 - out) err`` at the outputs and
        ``hid (1 - hid) (wo.T @ delta_out)`` at the hidden units, both from the weights of
        the forward pass; then ``wo``, ``bo``, ``wh`` and ``bh`` take their steps, in the
        lecture's loop order. The lecture's math, not its transcribed code: the derivative
        of the sigmoid is ``out * (1 - out)``, not ``out**(1 - out)``.

        Examples
        --------
        >>> import loopmlp
        >>> k = loopmlp.get_backend("python")
        >>> wh, bh, wo, bo = loopmlp.init_weights(2, 3, 1, seed=0)
        >>> inp, tgt = [0, 1], [1]
        >>> hid, out = k.neural_response(inp, wh, bh, wo, bo)
        >>> k.update_network(inp, hid, out, tgt - out, wh, bh, wo, bo, 0.5)
        >>> bool(k.neural_response(inp, wh, bh, wo, bo)[1][0] > out[0])  # closer to 1
        True
        """
        inp, hid, out, err, lrate = self._check.update_network(
            inp, hid, out, err, wh, bh, wo, bo, lrate
        )
        self._k.update_network(inp, hid, out, err, wh, bh, wo, bo, lrate)

    def train_epoch(
        self,
        X: ArrayLike,
        Y: ArrayLike,
        wh: np.ndarray,
        bh: np.ndarray,
        wo: np.ndarray,
        bo: np.ndarray,
        lrate: float,
    ) -> float:
        """One epoch of online SGD over the rows of ``X, Y`` in order; weights updated in place.

        For each row: forward, ``err = tgt - out``, add ``mean(err**2)``, update. Returns the
        mean of those per-sample MSEs (the lecture's "Epoch MSE").

        Parameters
        ----------
        X : array_like, shape (n, n_in)
            The inputs, one sample a row, at least one row; converted to float64.
        Y : array_like, shape (n, n_out)
            The targets.
        wh : ndarray, shape (n_hid, n_in)
            The hidden layer's weights, updated in place: float64, C-contiguous,
            writeable, never converted.
        bh : ndarray, shape (n_hid,)
            The hidden layer's biases, updated in place.
        wo : ndarray, shape (n_out, n_hid)
            The output layer's weights, updated in place.
        bo : ndarray, shape (n_out,)
            The output layer's biases, updated in place.
        lrate : float
            The learning rate, finite and > 0.

        Returns
        -------
        float
            The mean over the samples of each sample's ``mean(err**2)``, each taken before
            its own update.

        Raises
        ------
        TypeError
            An argument of the wrong kind or dtype, naming it.
        ValueError
            An argument of the wrong shape, layout or value (NaN or inf in the data, a
            learning rate <= 0, ...), naming it. The weights are left unchanged.

        See Also
        --------
        train : ``epochs`` of these in one call.
        net_train : Online SGD or mini-batches, for a net of any depth.

        Notes
        -----
        ``numba`` and ``cython`` run the whole epoch in compiled code, without the GIL, with
        independent work reordered for speed (every result keeps its bits); big nets share
        each sample's pass over ``wh`` out to threads.
        """
        X, Y, lrate = self._check.train_epoch(X, Y, wh, bh, wo, bo, lrate)
        return float(self._k.train_epoch(X, Y, wh, bh, wo, bo, lrate))

    def train_epoch_literal(
        self,
        X: ArrayLike,
        Y: ArrayLike,
        wh: np.ndarray,
        bh: np.ndarray,
        wo: np.ndarray,
        bo: np.ndarray,
        lrate: float,
    ) -> float:
        """``train_epoch`` in the lecture's loop order, for the benchmarks: the same bits.

        ``numba`` and ``cython`` run ``train_epoch`` with independent work reordered
        (``_rearranged.py``); this is their compiled epoch loop as the lecture wrote it.

        Parameters
        ----------
        X : array_like, shape (n, n_in)
            The inputs, one sample a row.
        Y : array_like, shape (n, n_out)
            The targets.
        wh : ndarray, shape (n_hid, n_in)
            The hidden layer's weights, updated in place: float64, C-contiguous,
            writeable, never converted.
        bh : ndarray, shape (n_hid,)
            The hidden layer's biases, updated in place.
        wo : ndarray, shape (n_out, n_hid)
            The output layer's weights, updated in place.
        bo : ndarray, shape (n_out,)
            The output layer's biases, updated in place.
        lrate : float
            The learning rate, finite and > 0.

        Returns
        -------
        float
            The epoch's MSE, as :meth:`train_epoch`'s, bit for bit.

        Raises
        ------
        TypeError
            An argument of the wrong kind or dtype, naming it.
        ValueError
            An argument of the wrong shape, layout or value (NaN or inf in the data, a
            learning rate <= 0, ...), naming it. The weights are left unchanged.
        """
        X, Y, lrate = self._check.train_epoch(X, Y, wh, bh, wo, bo, lrate)
        return float(self._k.train_epoch_literal(X, Y, wh, bh, wo, bo, lrate))

    def train(
        self,
        X: ArrayLike,
        Y: ArrayLike,
        wh: np.ndarray,
        bh: np.ndarray,
        wo: np.ndarray,
        bo: np.ndarray,
        lrate: float,
        epochs: int,
    ) -> np.ndarray:
        """The lecture's epoch loop: ``epochs`` calls of ``train_epoch``; returns their MSEs.

        In the ``numba`` and ``cython`` backends the whole training runs in compiled code.

        Parameters
        ----------
        X : array_like, shape (n, n_in)
            The inputs, one sample a row.
        Y : array_like, shape (n, n_out)
            The targets.
        wh : ndarray, shape (n_hid, n_in)
            The hidden layer's weights, updated in place: float64, C-contiguous,
            writeable, never converted.
        bh : ndarray, shape (n_hid,)
            The hidden layer's biases, updated in place.
        wo : ndarray, shape (n_out, n_hid)
            The output layer's weights, updated in place.
        bo : ndarray, shape (n_out,)
            The output layer's biases, updated in place.
        lrate : float
            The learning rate, finite and > 0.
        epochs : int
            Passes over the rows, >= 1.

        Returns
        -------
        mses : ndarray, shape (epochs,)
            Each epoch's MSE, as :meth:`train_epoch` returns it.

        Raises
        ------
        TypeError
            An argument of the wrong kind or dtype, naming it.
        ValueError
            An argument of the wrong shape, layout or value (NaN or inf in the data, a
            learning rate <= 0, ...), naming it. The weights are left unchanged.

        Examples
        --------
        The backpropagation XOR net:

        >>> import numpy as np
        >>> import loopmlp
        >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
        >>> Y = np.array([[0], [1], [1], [0]])
        >>> wh, bh, wo, bo = loopmlp.init_weights(2, 3, 1, seed=0)
        >>> mses = loopmlp.get_backend("cython").train(X, Y, wh, bh, wo, bo, 0.5, 4000)
        >>> mses.shape, bool(mses[-1] < 0.01)
        ((4000,), True)
        """
        X, Y, lrate, epochs = self._check.train(X, Y, wh, bh, wo, bo, lrate, epochs)
        return self._k.train(X, Y, wh, bh, wo, bo, lrate, epochs)

    def predict(
        self,
        X: ArrayLike,
        wh: np.ndarray,
        bh: np.ndarray,
        wo: np.ndarray,
        bo: np.ndarray,
        threads: int | None = None,
    ) -> np.ndarray:
        """Forward pass for every row of ``X``: returns a new array ``Y_hat (n, n_out)``.

        ``numba`` and ``cython`` spread the rows over ``threads`` threads; the default is
        the usual knob, ``NUMBA_NUM_THREADS`` for numba and ``OMP_NUM_THREADS`` for cython
        (else every core). The result does not depend on the thread count. ``python`` runs
        on one thread and ``numpy`` on BLAS's threads, so they take no ``threads``.

        Parameters
        ----------
        X : array_like, shape (n, n_in)
            The inputs, one sample a row, at least one row; converted to float64.
        wh : ndarray, shape (n_hid, n_in)
            The hidden layer's weights: float64, C-contiguous, never converted.
        bh : ndarray, shape (n_hid,)
            The hidden layer's biases.
        wo : ndarray, shape (n_out, n_hid)
            The output layer's weights.
        bo : ndarray, shape (n_out,)
            The output layer's biases.
        threads : int, optional
            ``numba`` and ``cython`` only (``loopmlp.THREADED``): how many threads share
            the rows, >= 1. numba cannot start more than ``NUMBA_NUM_THREADS``.

        Returns
        -------
        Y_hat : ndarray, shape (n, n_out)
            ``neural_response(X[i], ...)[1]`` for every row ``i``, a new array.

        Raises
        ------
        TypeError
            An argument of the wrong kind or dtype, naming it.
        ValueError
            An argument of the wrong shape, layout or value, naming it; ``threads`` given
            to ``python`` or ``numpy``, or more than numba's ``NUMBA_NUM_THREADS``.

        See Also
        --------
        net_predict : The same for a net of any depth.

        Examples
        --------
        >>> import numpy as np
        >>> import loopmlp
        >>> X = np.random.default_rng(0).random((1000, 60))
        >>> w = loopmlp.init_weights(60, 6, 4, seed=0)
        >>> k = loopmlp.get_backend("cython")
        >>> np.array_equal(k.predict(X, *w), k.predict(X, *w, threads=1))
        True
        """
        scan = self.name not in SCANNING
        checked = self._check.predict(X, wh, bh, wo, bo, scan)
        given = () if threads is None else (self._threads(threads),)
        try:
            return self._k.predict(checked, wh, bh, wo, bo, *given)
        except ValueError:
            if not scan:
                self._check.predict(X, wh, bh, wo, bo)  # names the first NaN or inf
            raise

    def _threads(self, threads) -> int:
        """``threads`` for a predict kernel, checked: an integer >= 1, threaded backends only."""
        if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)):
            raise TypeError(f"threads must be an integer, got {type(threads).__name__}")
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        if self.name not in THREADED:
            raise ValueError(
                f"the {self.name} backend takes no threads (only {' and '.join(THREADED)} do)"
            )
        return int(threads)

    # The deep net: a Net of any depth (loopmlp.init_net). Checks in net.py, in
    # plain Python, before any kernel runs; the kernels take tuples of arrays and codes.
    # exp overflowing to inf is a saturated sigmoid, not an error: in a float32 net the
    # python reference rounds such a double to float32 (inf), which NumPy would warn about.

    def net_response(self, net: Net, inp: ArrayLike) -> list[np.ndarray]:
        """Forward pass of ``net`` for one input: every layer's activations, as new arrays.

        Parameters
        ----------
        net : Net
            The net (:func:`loopmlp.init_net`); read, not changed.
        inp : array_like, shape (net.sizes[0],)
            One input; converted to ``net.dtype``.

        Returns
        -------
        acts : list of ndarray
            ``acts[l]`` of shape ``(net.sizes[l + 1],)`` and dtype ``net.dtype``: each hidden
            layer's activations, then the output ``acts[-1]``.

        Raises
        ------
        TypeError
            A ``net`` that is not a :class:`loopmlp.Net`, or an argument of the wrong kind
            or dtype, naming it.
        ValueError
            An argument of the wrong shape, layout or value, naming it.

        See Also
        --------
        neural_response : The lecture's net, one hidden layer.

        Examples
        --------
        >>> import loopmlp
        >>> net = loopmlp.init_net([4, 3, 3, 2], output="softmax", loss="cross_entropy")
        >>> acts = loopmlp.get_backend("numpy").net_response(net, [1, 0, 0, 1])
        >>> [a.shape for a in acts], bool(abs(acts[-1].sum() - 1) < 1e-12)
        ([(3,), (3,), (2,)], True)
        """
        self._check.fp_env()  # the bits assume IEEE-754's default
        inp, weights, biases, activation, output = _net.check_response(net, inp)
        kernel = self._net(net).net_response
        acts, _, _, _ = _net.scratch(net)
        with np.errstate(over="ignore"):
            kernel(inp, weights, biases, activation, output, acts)
        return list(acts)

    def net_update(
        self, net: Net, inp: ArrayLike, acts: list[ArrayLike], tgt: ArrayLike, lrate: float
    ) -> None:
        """One sample's SGD step on every layer of ``net``, in place.

        Parameters
        ----------
        net : Net
            Its weights and biases are updated in place.
        inp : array_like, shape (net.sizes[0],)
            The sample's input; converted to ``net.dtype``.
        acts : list of array_like
            ``net_response(net, inp)``: ``acts[l]`` of shape ``(net.sizes[l + 1],)``.
        tgt : array_like, shape (net.sizes[-1],)
            The sample's target.
        lrate : float
            The step size ``eta > 0``; rounded to ``net.dtype``.

        Raises
        ------
        TypeError
            A ``net`` that is not a :class:`loopmlp.Net`, or an argument of the wrong kind
            or dtype, naming it.
        ValueError
            An argument of the wrong shape, layout or value, naming it. The net is left
            unchanged.

        See Also
        --------
        update_network : The lecture's net, one hidden layer.

        Notes
        -----
        Every layer's delta is computed first, from the weights of the forward pass; then
        ``w += lrate * delta y_prev`` and ``b += lrate * delta`` on every layer: the step
        ``-lrate * dE/dw`` for the sample's loss ``E`` (for mse, ``E = 1/2 sum (y - o)**2``).
        """
        self._check.fp_env()  # the bits assume IEEE-754's default
        # (inp, acts, tgt, weights, biases, activation, output, loss, lrate), checked
        checked = _net.check_update(net, inp, acts, tgt, lrate)
        kernel = self._net(net).net_update
        _, deltas, _, _ = _net.scratch(net)
        with np.errstate(over="ignore"):
            kernel(*checked, deltas)

    def net_train(
        self,
        net: Net,
        X: ArrayLike,
        Y: ArrayLike,
        lrate: float,
        epochs: int,
        batch_size: int = 1,
        shuffle_seed: int | None = None,
    ) -> np.ndarray:
        """Train ``net`` in place by SGD: ``epochs`` passes over the rows of ``X, Y``.

        Parameters
        ----------
        net : Net
            Its weights and biases are updated in place.
        X : array_like, shape (n, net.sizes[0])
            The inputs, one sample a row, at least one row; converted to ``net.dtype``.
        Y : array_like, shape (n, net.sizes[-1])
            The targets.
        lrate : float
            The step size ``eta > 0``; rounded to ``net.dtype``.
        epochs : int
            Passes over the data, >= 1.
        batch_size : int, default 1
            1: online SGD, a step after every row, as the lecture's ``train_epoch``. Larger:
            each batch of ``batch_size`` consecutive rows (the last batch may be shorter)
            runs forward on the weights at its start, and one step follows, with the mean
            of its rows' gradients.
        shuffle_seed : int or None, default None
            None: the rows in order every epoch. An integer: each epoch's rows in the order
            of one ``rng.permutation(n)``, ``rng = np.random.default_rng(shuffle_seed)``,
            the same for every backend.

        Returns
        -------
        losses : ndarray, shape (epochs,), dtype net.dtype
            Each epoch's mean of the per-sample losses, computed during the pass (each
            sample's loss is taken before its own step).

        Raises
        ------
        TypeError
            A ``net`` that is not a :class:`loopmlp.Net`, or an argument of the wrong kind
            or dtype, naming it.
        ValueError
            An argument of the wrong shape, layout or value, naming it. The net is left
            unchanged.

        See Also
        --------
        train : The lecture's net, online: the same bits as ``batch_size=1`` without
            shuffling.

        Examples
        --------
        >>> import numpy as np
        >>> import loopmlp
        >>> rng = np.random.default_rng(0)
        >>> X, y = rng.random((64, 8)), rng.integers(0, 3, 64)
        >>> net = loopmlp.init_net([8, 16, 3], output="softmax", loss="cross_entropy",
        ...                        dtype="float32", init="scaled")
        >>> losses = loopmlp.get_backend("numba").net_train(
        ...     net, X, np.eye(3)[y], 0.1, 5, batch_size=8, shuffle_seed=0)
        >>> losses.shape, losses.dtype
        ((5,), dtype('float32'))
        """
        self._check.fp_env()  # the bits assume IEEE-754's default
        # eta: lrate, checked and rounded to the net's dtype
        X, Y, weights, biases, activation, output, loss, eta, epochs, batch_size = _net.check_train(
            net, X, Y, lrate, epochs, batch_size, shuffle_seed
        )
        if _net.is_lectures(net) and batch_size == 1:
            # The lecture's own net, online: its own whole-run kernel, which computes the
            # same bits as the general one (tests/test_net.py checks both), faster.
            (wh, wo), (bh, bo) = weights, biases
            if shuffle_seed is None:
                return self._k.train(X, Y, wh, bh, wo, bo, float(eta), epochs)
            return np.concatenate(
                [
                    self._k.train(X[order], Y[order], wh, bh, wo, bo, float(eta), 1)
                    for orders in _net.orders(X.shape[0], epochs, shuffle_seed)
                    for order in orders
                ]
            )
        kernel = self._net(net).net_train
        acts, deltas, grad_w, grad_b = _net.scratch(net)
        with np.errstate(over="ignore"):
            return np.concatenate(
                [
                    kernel(
                        X,
                        Y,
                        weights,
                        biases,
                        activation,
                        output,
                        loss,
                        eta,
                        orders,
                        batch_size,
                        acts,
                        deltas,
                        grad_w,
                        grad_b,
                    )
                    for orders in _net.orders(X.shape[0], epochs, shuffle_seed)
                ]
            )

    def net_predict(self, net: Net, X: ArrayLike, threads: int | None = None) -> np.ndarray:
        """Forward pass of ``net`` for every row of ``X``: returns a new array ``Y_hat``.

        Parameters
        ----------
        net : Net
        X : array_like, shape (n, net.sizes[0])
            Converted to ``net.dtype``.
        threads : int, optional
            As ``predict``'s: ``numba`` and ``cython`` spread the rows over this many
            threads (the result does not depend on it); ``python`` and ``numpy`` take none.

        Returns
        -------
        Y_hat : ndarray, shape (n, net.sizes[-1]), dtype net.dtype
            ``net_response(net, X[i])[-1]`` for every row ``i``.

        Raises
        ------
        TypeError
            A ``net`` that is not a :class:`loopmlp.Net`, or an argument of the wrong kind
            or dtype, naming it.
        ValueError
            An argument of the wrong shape, layout or value, naming it; ``threads`` as for
            :meth:`predict`.

        See Also
        --------
        predict : The lecture's net, one hidden layer.

        Examples
        --------
        >>> import numpy as np
        >>> import loopmlp
        >>> net = loopmlp.init_net([60, 60, 60, 4], seed=0)
        >>> X = np.random.default_rng(0).random((500, 60))
        >>> Y_ref = loopmlp.get_backend("python").net_predict(net, X)
        >>> np.array_equal(loopmlp.get_backend("cython").net_predict(net, X, threads=2), Y_ref)
        True
        """
        self._check.fp_env()  # the bits assume IEEE-754's default
        scan = self.name not in SCANNING
        checked, weights, biases, activation, output = _net.check_predict(net, X, scan)
        given = () if threads is None else (self._threads(threads),)
        try:
            with np.errstate(over="ignore"):
                kernel = self._net(net).net_predict
                return kernel(checked, weights, biases, activation, output, *given)
        except ValueError:
            if not scan:
                _net.check_predict(net, X)  # names the first NaN or inf
            raise


_loaded: dict[str, Backend] = {}


def get_backend(name: str) -> Backend:
    """The backend called ``name`` (one of ``loopmlp.BACKENDS``), loaded on first use.

    Raises ``ValueError`` for an unknown name and ``ImportError``, saying why, for a backend
    that cannot load (for example a Cython extension that was not built).

    Parameters
    ----------
    name : {"python", "numba", "cython", "numpy", "fast"}
        ``python`` is the reference; ``numba`` and ``cython`` give its results bit for bit;
        ``numpy`` within a stated tolerance. ``fast`` (numba with fastmath, not
        bit-identical) is opt-in and not in ``loopmlp.BACKENDS``.

    Returns
    -------
    Backend
        The same object for every call with the same name.

    Raises
    ------
    ValueError
        An unknown name.
    ImportError
        A backend that cannot load, saying why.

    Examples
    --------
    >>> import loopmlp
    >>> loopmlp.get_backend("cython")
    <loopmlp backend 'cython'>
    """
    if name in _loaded:
        return _loaded[name]
    if name not in MODULES:
        raise ValueError(f"unknown backend {name!r}; choose one of {tuple(MODULES)}")
    try:
        check = importlib.import_module("loopmlp._check")
        kernels = importlib.import_module(MODULES[name])
    except ImportError as e:
        raise ImportError(
            f"loopmlp backend {name!r} cannot load: {e}. loopmlp's compiled extensions "
            f"(_check, _cython) are built by `pip install .`; a source checkout on "
            f"PYTHONPATH does not have them."
        ) from e
    backend = _loaded[name] = Backend(name, kernels, check)
    return backend


def init_weights(
    n_in: int, n_hid: int, n_out: int, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The lecture's initialisation: ``wh, bh, wo, bo`` with weights uniform in [-1, 1).

    ``wh = 2 * rand(n_hid, n_in) - 1`` and ``wo = 2 * rand(n_out, n_hid) - 1`` from
    ``np.random.default_rng(seed)``; biases zero. The same seed gives the same weights.

    Parameters
    ----------
    n_in : int
        Inputs, >= 1.
    n_hid : int
        Hidden units, >= 1.
    n_out : int
        Outputs, >= 1.
    seed : int or None, default 0
        For ``np.random.default_rng``; None draws fresh weights.

    Returns
    -------
    wh : ndarray, shape (n_hid, n_in)
        Uniform in [-1, 1); float64 and C-contiguous, as all four.
    bh : ndarray, shape (n_hid,)
        Zeros.
    wo : ndarray, shape (n_out, n_hid)
        Uniform in [-1, 1), drawn after ``wh``.
    bo : ndarray, shape (n_out,)
        Zeros.

    Raises
    ------
    ValueError
        A size that is not an integer >= 1.

    See Also
    --------
    init_net : The same weights as a :class:`Net`, for any number of layers.

    Examples
    --------
    >>> import loopmlp
    >>> wh, bh, wo, bo = loopmlp.init_weights(60, 6, 4, seed=0)
    >>> wh.shape, bh.shape, wo.shape, bo.shape
    ((6, 60), (6,), (4, 6), (4,))
    >>> bool(wh.min() >= -1 and wh.max() < 1), bool((bh == 0).all())
    (True, True)
    """
    for name, n in (("n_in", n_in), ("n_hid", n_hid), ("n_out", n_out)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{name} must be an integer >= 1, got {n!r}")
    rng = np.random.default_rng(seed)
    # randomize the (input to) hidden weights, then the (hidden to) output weights
    wh = 2 * rng.random((n_hid, n_in)) - 1
    wo = 2 * rng.random((n_out, n_hid)) - 1
    # initialize the bias weights
    bh = np.zeros(n_hid)
    bo = np.zeros(n_out)
    return wh, bh, wo, bo

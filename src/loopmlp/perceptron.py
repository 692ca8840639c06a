"""The lecture's Perceptron (week 7, "The seminal Perceptron algorithm") and its logic gates.

Same class shape and names as the lecture's ``1.perceptron_AND.py`` /
``2.perceptron_OR.py`` / ``3.perceptron_XOR.py``: a step activation, the bias trick (a
column of ones appended to the inputs, so the last weight is the bias), and the
perceptron rule ``W += -alpha * (p - target) * x`` applied after every misclassified
point. Changes, each for a reason:

* the weights come from ``np.random.default_rng(seed)`` instead of the global
  ``np.random.randn``, so a run is reproducible;
* ``step`` works element-wise on arrays (the lecture's ``1 if x > 0 else 0`` only
  works on a scalar or a one-element array), so ``predict`` takes many points at once;
* ``predict``'s ``addBias`` is spelled ``add_bias``; ``fit`` defaults to the 20 epochs
  the lecture used and returns ``self``.

The perceptron learns AND and OR, which are linearly separable, but not XOR, which
is not (no straight line puts (0, 1) and (1, 0) on one side and (0, 0) and (1, 1) on
the other).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Perceptron", "LOGIC_GATES", "run_logic_gate", "main"]


def _gate(y: list[int]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The four points of a 2-input truth table with targets ``y``, as read-only arrays."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.int64)
    t = np.array(y, dtype=np.int64)
    X.setflags(write=False)  # module-level constants: nobody may change them in place
    t.setflags(write=False)
    return X, t


# The lecture's datasets. Note: the AND listing on the slide has y = [0, 0, 1, 1] (a
# transcription slip; that is "x1"), while its console output and the AND truth table
# are [0, 0, 0, 1], used here.
LOGIC_GATES: dict[str, tuple[NDArray[np.int64], NDArray[np.int64]]] = {
    "and": _gate([0, 0, 0, 1]),
    "or": _gate([0, 1, 1, 1]),
    "xor": _gate([0, 1, 1, 0]),
}


class Perceptron:
    """Rosenblatt's perceptron with a step activation, trained by the perceptron rule.

    Parameters
    ----------
    N : int
        Number of input features (without the bias).
    alpha : float, default 0.1
        Learning rate.
    seed : int or None, default None
        Seed for ``np.random.default_rng``; the initial weights are
        ``rng.standard_normal(N + 1) / sqrt(N)`` (the lecture's
        ``np.random.randn(N + 1) / np.sqrt(N)``: unit-variance weights scaled so the
        net input starts at order 1 whatever N is).

    Attributes
    ----------
    W : ndarray, shape (N + 1,)
        Weights; ``W[-1]`` is the bias (bias trick).
    alpha : float
    """

    def __init__(self, N: int, alpha: float = 0.1, seed: int | None = None) -> None:
        # initialize the weight vector and store the learning rate
        rng = np.random.default_rng(seed)
        self.W = rng.standard_normal(N + 1) / np.sqrt(N)
        self.alpha = alpha

    def step(self, x: ArrayLike) -> int | NDArray[np.int64]:
        """Step activation: 1 where ``x > 0``, else 0 (so ``step(0) == 0``, as in the lecture).

        A scalar gives an ``int``, an array an int array of the same shape.

        Parameters
        ----------
        x : array_like
            A net input, or an array of them.

        Returns
        -------
        int or ndarray of int64
            1 where ``x > 0``, else 0.

        Examples
        --------
        >>> from loopmlp.perceptron import Perceptron
        >>> Perceptron(2, seed=0).step([-1.0, 0.0, 0.5])
        array([0, 0, 1])
        """
        s = (np.asarray(x) > 0).astype(np.int64)
        return int(s) if s.ndim == 0 else s

    def fit(self, X: ArrayLike, y: ArrayLike, epochs: int = 20) -> Perceptron:
        """Train with the perceptron rule, one point at a time, in the given order.

        Parameters
        ----------
        X : array_like, shape (n, N)
        y : array_like, shape (n,) or (n, 1)
            Targets 0 or 1.
        epochs : int, default 20
            Passes over the data (the lecture trained for 20).

        Returns
        -------
        self
        """
        X = np.asarray(X)
        y = np.ravel(y)  # the lecture's y could be a column; one target per point
        # insert a column of 1's as the last entry in the feature matrix (bias trick)
        X = np.c_[X, np.ones(X.shape[0])]

        # loop over the desired number of epochs
        for epoch in np.arange(0, epochs):  # noqa: B007 (the lecture's loop, as written)
            # loop over each individual data point
            for x, target in zip(X, y):
                # take the dot product between the input features and the weight
                # matrix, then pass this value through the step function to obtain
                # the prediction
                p = self.step(np.dot(x, self.W))

                # only update the weights if the prediction does not match the target
                if p != target:
                    # determine the error
                    error = p - target
                    # update the weight matrix
                    self.W += -self.alpha * error * x
        return self

    def predict(self, X: ArrayLike, add_bias: bool = True) -> int | NDArray[np.int64]:
        """Predict 0/1 for each point.

        Parameters
        ----------
        X : array_like, shape (n, N) or (N,)
            Points; a 1-D ``X`` is one point (as in the lecture's ``p.predict(x)``).
        add_bias : bool, default True
            Append the column of ones; pass False if ``X`` already has it (N + 1 columns).

        Returns
        -------
        int for a single 1-D point, else int array of shape (n,)
        """
        single = np.ndim(X) == 1
        # ensure our input is a matrix
        X = np.atleast_2d(X)

        # check to see if the bias column should be added
        if add_bias:
            # insert a column of 1's as the last entry in the feature matrix (bias)
            X = np.c_[X, np.ones(X.shape[0])]

        # take the dot product between the input features and the weight matrix, then
        # pass the value through the step function
        preds = self.step(np.dot(X, self.W))
        return int(preds[0]) if single else preds


def run_logic_gate(
    gate: str,
    epochs: int = 20,
    alpha: float = 0.1,
    seed: int | None = None,
    verbose: bool = True,
) -> tuple[Perceptron, NDArray[np.int64]]:
    """The lecture's script for one gate: train, then print one line per point.

    Prints (if ``verbose``) the lecture's lines, e.g.
    ``[INFO] data=[0 1], ground-truth=1, pred=1``.

    Parameters
    ----------
    gate : {"and", "or", "xor"}
    epochs, alpha, seed
        As for :class:`Perceptron` and :meth:`Perceptron.fit`.
    verbose : bool, default True

    Returns
    -------
    perceptron : Perceptron
        The trained model.
    preds : ndarray, shape (4,), int
        Its predictions for the four points.
    """
    X, y = LOGIC_GATES[gate.lower()]
    # define our perceptron and train it
    if verbose:
        print("[INFO] training perceptron...")
    p = Perceptron(X.shape[1], alpha=alpha, seed=seed)
    p.fit(X, y, epochs=epochs)

    # now that our perceptron is trained we can evaluate it
    if verbose:
        print("[INFO] testing perceptron...")
    preds = np.empty(len(y), dtype=np.int64)
    # loop over the data points
    for i, (x, target) in enumerate(zip(X, y)):
        # make a prediction on the data point and display the result to our console
        pred = p.predict(x)
        preds[i] = pred
        if verbose:
            print(f"[INFO] data={x}, ground-truth={target}, pred={pred}")
    return p, preds


def main(seed: int | None = 0) -> None:
    """Run the three gates, as the lecture's three scripts did.

    Parameters
    ----------
    seed : int or None, default 0
        Seeds each perceptron's initial weights.
    """
    for gate in LOGIC_GATES:
        print(f"--- {gate.upper()} ---")
        run_logic_gate(gate, seed=seed)


if __name__ == "__main__":
    main()

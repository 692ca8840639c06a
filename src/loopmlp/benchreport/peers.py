"""The contenders and the peers of ``loopmlp bench``, and how each one loads.

The contenders are loopmlp's backends plus ``fast``; the peers (PyTorch, JAX, scikit-learn)
run the same per-sample SGD in their own framework, timed beside them when installed.
PyTorch and JAX also run the deep nets' kernels (``net_predict``, ``net_train`` online and
in mini-batches), with the semantics of ``loopmlp.Backend.net_predict`` / ``net_train``.
Each peer's framework is imported when the peer is made, never with this module.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import BACKENDS

# The four bit-exact backends, then fast: numba with fastmath, opt-in everywhere but here,
# where it shows what bit-identity costs. Its rows carry a label and a tolerance check.
CONTENDERS = BACKENDS + ("fast",)
PEERS = ("torch", "jax", "sklearn")


# --- the peers: the same per-sample SGD in other frameworks ---------------------------------

# The deep peers' tolerance: the max |diff| against the python reference that the report's
# check (``measure.check``: return value and updated weights, on the check's rows) allows
# a deep workload, by dtype. The frameworks compute the reference's math with their own
# kernels: BLAS-like matrix products (blocked, SIMD, FMA: each dot product summed in its own
# order), their own exp/log/tanh (XLA's float32 ones are polynomials; the reference rounds
# C's double functions), the loss and its gradient from the logits (log_softmax, softplus),
# and the mini-batch mean as the gradient of the mean loss (1/n applied before the
# products; the reference divides the summed gradient). So each result is a few roundings
# in its dtype away from the reference's, as the numpy backend's are, and the bounds are the
# numpy backend's (tests/test_net.py's TOLERANCE: its rtol plus atol, for values of order
# 1): 1e-10 in float64, 1e-3 in float32 (float32's unit roundoff is 5.4e8 times float64's).
# The report's deep workloads and the test's small nets (every activation and loss,
# shuffled epochs online and in batches) stay far within them.
#
# Where the bound does not hold, and why (not a bug of either side):
# * the cross-entropy of saturated sigmoid outputs: the reference takes ``log(1 - o)`` of the
#   rounded output, which loses the digits that the peers' ``softplus`` of the logit keeps
#   (the loss differs, the weights still agree); in float32 from ``1 - o`` ~ 1e-4, and
#   where ``o`` rounds to 1 the reference's loss is inf, the peers' finite. Likewise a
#   softmax output that underflows to 0.
# * softmax with cross_entropy and targets whose rows do not sum to 1: the reference's
#   delta is ``y - o`` regardless (exact for one-hot targets, as the workloads'), autograd's
#   is ``sum(y) o - y``.
# * training that amplifies differences without bound (large weights, a width-1 layer, a
#   large lrate in float32): there the numpy backend leaves the bound too.
DEEP_TOLERANCE = {"float64": 1e-10, "float32": 1e-3}


def deep_tolerance(w) -> float | None:
    """The max |diff| a deep peer may have on workload ``w``'s check, or None (a lecture
    workload: no stated tolerance, the verdict states the diff)."""
    from ..workloads import NetWorkload

    return DEEP_TOLERANCE[w.dtype] if isinstance(w, NetWorkload) else None


def _deep_args(net, *data):
    """``net``'s dtype and ``data`` converted to it, C-contiguous (as ``loopmlp.net`` does)."""
    dtype = np.dtype(net.dtype)
    return (dtype, *(np.ascontiguousarray(a, dtype=dtype) for a in data))


def _epoch_orders(n, epochs, shuffle_seed):
    """Each epoch's rows (None: in order), the permutations every backend uses."""
    if shuffle_seed is None:
        return [None] * epochs
    from ..net import orders

    return [order for chunk in orders(n, epochs, shuffle_seed) for order in chunk]


class TorchPeer:
    """PyTorch: sigmoid MLP, squared error ``1/2 sum err**2``, ``torch.optim.SGD``, batch 1.

    The deep nets: ``net_predict`` is ``F.linear`` and the activations under
    ``torch.inference_mode``; ``net_train`` runs autograd on the tensors ``torch.from_numpy``
    makes of ``net.weights`` and ``net.biases`` (so ``torch.optim.SGD`` updates them in
    place), one step per batch of the batch's mean loss: ``1/2 sum err**2`` for mse,
    ``F.cross_entropy`` (softmax, probability targets) or
    ``F.binary_cross_entropy_with_logits`` (sigmoid) for cross_entropy, on the logits. Their
    gradients are the reference's deltas (``y - o`` for cross_entropy; for softmax when each
    target row sums to 1, as one-hot targets do). Threads: PyTorch's default. Tolerance:
    ``DEEP_TOLERANCE`` (1e-10 float64, 1e-3 float32), with the cases it does not cover:
    the loss of saturated sigmoid outputs under cross_entropy (the reference's
    ``log(1 - o)`` loses digits the logits keep), softmax targets not summing to 1.
    """

    name = "torch"
    compares = True

    def __init__(self):
        import torch
        import torch.nn.functional as F

        self.torch, self.F = torch, F
        self.activations = {
            "sigmoid": torch.sigmoid,
            "tanh": torch.tanh,
            "relu": torch.relu,
            "identity": lambda z: z,
            "softmax": lambda z: torch.softmax(z, dim=1),
        }

    def _logits(self, params, x, activation):
        """The last layer's net inputs for the rows of ``x``; ``params``: (w, b) per layer."""
        act = self.activations[activation]
        for w, b in params[:-1]:
            x = act(self.F.linear(x, w, b))
        return self.F.linear(x, *params[-1])

    def _losses(self, z, y, output, loss):
        """``(objective, reported)``: each row's loss to differentiate and the loss that
        ``net_train`` reports (the reference's ``sample_loss``), both of shape (rows,)."""
        F = self.F
        if loss == "mse":
            err = y - self.activations[output](z)
            sq = err * err
            return 0.5 * sq.sum(dim=1), sq.detach().mean(dim=1)
        if output == "softmax":
            ce = F.cross_entropy(z, y, reduction="none")
        else:
            ce = F.binary_cross_entropy_with_logits(z, y, reduction="none").sum(dim=1)
        return ce, ce.detach()

    def net_predict(self, net, X):
        torch = self.torch
        _, X = _deep_args(net, X)
        params = [
            (torch.from_numpy(w), torch.from_numpy(b)) for w, b in zip(net.weights, net.biases)
        ]
        with torch.inference_mode():
            out = self.activations[net.output](
                self._logits(params, torch.from_numpy(X), net.activation)
            )
        return out.numpy()

    def net_train(self, net, X, Y, lrate, epochs, batch_size=1, shuffle_seed=None):
        torch = self.torch
        dtype, X, Y = _deep_args(net, X, Y)
        n = X.shape[0]
        # from_numpy shares memory: the optimiser updates net.weights and net.biases in place
        params = [
            (torch.from_numpy(w).requires_grad_(), torch.from_numpy(b).requires_grad_())
            for w, b in zip(net.weights, net.biases)
        ]
        # lrate rounded to the net's dtype, as loopmlp does
        opt = torch.optim.SGD([p for wb in params for p in wb], lr=float(dtype.type(lrate)))
        losses = np.zeros(epochs, dtype=dtype)
        for epoch, order in enumerate(_epoch_orders(n, epochs, shuffle_seed)):
            tX, tY = (
                (torch.from_numpy(X), torch.from_numpy(Y))
                if order is None
                else (torch.from_numpy(X[order]), torch.from_numpy(Y[order]))
            )
            total = torch.zeros((), dtype=tX.dtype)
            for start in range(0, n, batch_size):
                x, y = tX[start : start + batch_size], tY[start : start + batch_size]
                objective, reported = self._losses(
                    self._logits(params, x, net.activation), y, net.output, net.loss
                )
                opt.zero_grad()
                objective.mean().backward()
                opt.step()
                total += reported.sum()
            losses[epoch] = total.numpy() / dtype.type(n)
        return losses

    def train_epoch(self, X, Y, wh, bh, wo, bo, lrate):
        torch = self.torch
        # from_numpy shares memory: the optimiser updates wh, bh, wo, bo in place
        params = [torch.from_numpy(a).requires_grad_() for a in (wh, bh, wo, bo)]
        twh, tbh, two, tbo = params
        opt = torch.optim.SGD(params, lr=lrate)
        mse = 0.0
        for x, y in zip(torch.from_numpy(X), torch.from_numpy(Y)):
            hid = torch.sigmoid(twh @ x + tbh)
            out = torch.sigmoid(two @ hid + tbo)
            err = y - out
            loss = 0.5 * (err * err).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            mse += loss.detach().item() * 2.0 / err.shape[0]
        return mse / X.shape[0]


class JaxPeer:
    """JAX: the same SGD as one ``jax.lax.scan`` over the samples under ``jit``, float64.

    The deep nets (``jax_enable_x64``, so float64 nets compute in float64 and float32 ones
    in float32): ``net_predict`` is one ``jit``-ted forward pass over all rows; ``net_train``
    one ``jit``-ted epoch, a ``lax.scan`` over the epoch's full batches whose step takes
    ``jax.value_and_grad`` of the batch's mean loss (as ``TorchPeer``'s: ``1/2 sum err**2``,
    or the cross-entropy from the logits via ``log_softmax`` / ``log_sigmoid``) and steps
    ``w - lrate * grad``; a shorter last batch is one more call, a scan of length 1. Each is
    compiled once per function, shape and dtype (the report's warm-up call compiles it).
    ``net.weights`` and ``net.biases`` are written back in place after the last epoch.
    Threads: XLA's default. Tolerance: ``DEEP_TOLERANCE``, as ``TorchPeer``'s, with the same
    exceptions.
    """

    name = "jax"
    compares = True

    def __init__(self):
        import jax

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

        self.jax = jax
        self._deep = {}  # (activation, output, loss) -> (jitted predict, jitted epoch)

        def loss(p, x, y):
            wh, bh, wo, bo = p
            hid = jax.nn.sigmoid(wh @ x + bh)
            out = jax.nn.sigmoid(wo @ hid + bo)
            err = y - out
            return 0.5 * jnp.sum(err * err), jnp.mean(err * err)

        grad = jax.grad(loss, has_aux=True)

        @jax.jit
        def epoch(p, X, Y, lrate):
            def step(p, xy):
                g, mse = grad(p, *xy)
                return tuple(w - lrate * gw for w, gw in zip(p, g)), mse

            p, mses = jax.lax.scan(step, p, (X, Y))
            return p, jnp.mean(mses)

        self.jnp, self.epoch = jnp, epoch

    def train_epoch(self, X, Y, wh, bh, wo, bo, lrate):
        jnp = self.jnp
        p, mse = self.epoch(
            tuple(jnp.asarray(a) for a in (wh, bh, wo, bo)), jnp.asarray(X), jnp.asarray(Y), lrate
        )
        for a, new in zip((wh, bh, wo, bo), p):
            a[...] = new  # waits for the result, like the other backends
        return float(mse)

    def _deep_functions(self, activation, output, loss):
        """The jitted ``predict(params, X)`` and ``epoch(params, Xb, Yb, lrate)`` of one kind
        of net; ``params``: ((w, b), ...), ``Xb (batches, rows, n_0)``; ``epoch`` returns the
        new params and each batch's sum of the reported per-sample losses."""
        key = (activation, output, loss)
        if key in self._deep:
            return self._deep[key]
        jax, jnp = self.jax, self.jnp
        act = {
            "sigmoid": jax.nn.sigmoid,
            "tanh": jnp.tanh,
            "relu": jax.nn.relu,
            "identity": lambda z: z,
            "softmax": jax.nn.softmax,
        }

        def logits(params, x):
            for w, b in params[:-1]:
                x = act[activation](x @ w.T + b)
            w, b = params[-1]
            return x @ w.T + b

        def batch_loss(params, x, y):
            """The batch's mean objective, and each row's reported loss (``sample_loss``)."""
            z = logits(params, x)
            if loss == "mse":
                err = y - act[output](z)
                sq = err * err
                return jnp.mean(0.5 * jnp.sum(sq, axis=1)), jnp.mean(sq, axis=1)
            if output == "softmax":
                ce = -jnp.sum(y * jax.nn.log_softmax(z, axis=1), axis=1)
            else:
                ce = -jnp.sum(y * jax.nn.log_sigmoid(z) + (1 - y) * jax.nn.log_sigmoid(-z), axis=1)
            return jnp.mean(ce), ce

        grad = jax.value_and_grad(batch_loss, has_aux=True)

        @jax.jit
        def predict(params, X):
            return act[output](logits(params, X))

        @jax.jit
        def epoch(params, Xb, Yb, lrate):
            def step(p, xy):
                (_, reported), g = grad(p, *xy)
                p = jax.tree_util.tree_map(lambda w, gw: w - lrate * gw, p, g)
                return p, jnp.sum(reported)

            return jax.lax.scan(step, params, (Xb, Yb))

        self._deep[key] = predict, epoch
        return predict, epoch

    def _params(self, net):
        return tuple(
            (self.jnp.asarray(w), self.jnp.asarray(b)) for w, b in zip(net.weights, net.biases)
        )

    def net_predict(self, net, X):
        _, X = _deep_args(net, X)
        predict, _ = self._deep_functions(net.activation, net.output, net.loss)
        return np.asarray(predict(self._params(net), self.jnp.asarray(X)))

    def net_train(self, net, X, Y, lrate, epochs, batch_size=1, shuffle_seed=None):
        jnp = self.jnp
        dtype, X, Y = _deep_args(net, X, Y)
        n = X.shape[0]
        _, epoch = self._deep_functions(net.activation, net.output, net.loss)
        params = self._params(net)
        lrate = jnp.asarray(lrate, dtype=dtype)  # rounded to the net's dtype, as loopmlp's
        full = n // batch_size * batch_size
        losses = np.zeros(epochs, dtype=dtype)
        for e, order in enumerate(_epoch_orders(n, epochs, shuffle_seed)):
            Xe, Ye = (X, Y) if order is None else (X[order], Y[order])
            sums = []
            if full:  # the full batches: one scan
                params, s = epoch(
                    params,
                    jnp.asarray(Xe[:full]).reshape(-1, batch_size, X.shape[1]),
                    jnp.asarray(Ye[:full]).reshape(-1, batch_size, Y.shape[1]),
                    lrate,
                )
                sums.append(s)
            if full < n:  # the shorter last batch
                params, s = epoch(
                    params, jnp.asarray(Xe[None, full:]), jnp.asarray(Ye[None, full:]), lrate
                )
                sums.append(s)
            total = np.asarray(jnp.sum(jnp.concatenate(sums)), dtype=dtype)
            losses[e] = total / dtype.type(n)
        for (w, b), (new_w, new_b) in zip(zip(net.weights, net.biases), params):
            w[...] = new_w  # in place, waiting for the result like the other backends
            b[...] = new_b
        return losses


class SklearnPeer:
    """scikit-learn: ``MLPRegressor(solver="sgd", batch_size=1, activation="logistic")``, one
    epoch. Not the same model (linear output units, its own initialisation, loss averaged
    over outputs), so timed but not compared."""

    name = "sklearn"
    compares = False

    def __init__(self):
        from sklearn.neural_network import MLPRegressor

        self.MLPRegressor = MLPRegressor

    def train_epoch(self, X, Y, wh, bh, wo, bo, lrate):
        from sklearn.exceptions import ConvergenceWarning

        net = self.MLPRegressor(
            hidden_layer_sizes=(wh.shape[0],),
            activation="logistic",
            solver="sgd",
            batch_size=1,
            learning_rate="constant",
            learning_rate_init=lrate,
            momentum=0.0,
            nesterovs_momentum=False,
            alpha=0.0,
            max_iter=1,
            shuffle=False,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            net.fit(X, Y.ravel() if Y.shape[1] == 1 else Y)
        return float(net.loss_)


PEER_CLASSES = {"torch": TorchPeer, "jax": JaxPeer, "sklearn": SklearnPeer}


def load_backend(name):
    """``(kernels, None)`` for a backend or peer, or ``(None, reason)`` when it cannot load."""
    try:
        if name in PEER_CLASSES:
            return PEER_CLASSES[name](), None
        import loopmlp

        return loopmlp.get_backend(name), None
    except ImportError as e:
        hint = {
            "torch": "pip install torch --index-url https://download.pytorch.org/whl/cpu",
            "jax": "pip install jax",
            "sklearn": "pip install scikit-learn",
        }.get(name)
        reason = f"not installed ({e.__class__.__name__}: {e})"
        return None, reason + (f"; {hint}" if hint else "")

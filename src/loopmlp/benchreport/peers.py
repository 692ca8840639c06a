"""The contenders and the peers of ``loopmlp bench``, and how each one loads.

The contenders are loopmlp's backends plus ``fast``; the peers (PyTorch, JAX, scikit-learn)
run the same per-sample SGD in their own framework, timed beside them when installed.
Each peer's framework is imported when the peer is made, never with this module.
"""

from __future__ import annotations

import warnings

from .. import BACKENDS

# The four bit-exact backends, then fast: numba with fastmath, opt-in everywhere but here,
# where it shows what bit-identity costs. Its rows carry a label and a tolerance check.
CONTENDERS = BACKENDS + ("fast",)
PEERS = ("torch", "jax", "sklearn")


# --- the peers: the same per-sample SGD in other frameworks ---------------------------------

class TorchPeer:
    """PyTorch: sigmoid MLP, squared error ``1/2 sum err**2``, ``torch.optim.SGD``, batch 1."""

    name = "torch"
    compares = True

    def __init__(self):
        import torch
        self.torch = torch

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
    """JAX: the same SGD as one ``jax.lax.scan`` over the samples under ``jit``, float64."""

    name = "jax"
    compares = True

    def __init__(self):
        import jax
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp

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
        p, mse = self.epoch(tuple(jnp.asarray(a) for a in (wh, bh, wo, bo)),
                            jnp.asarray(X), jnp.asarray(Y), lrate)
        for a, new in zip((wh, bh, wo, bo), p):
            a[...] = new  # waits for the result, like the other backends
        return float(mse)


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
            hidden_layer_sizes=(wh.shape[0],), activation="logistic", solver="sgd",
            batch_size=1, learning_rate="constant", learning_rate_init=lrate, momentum=0.0,
            nesterovs_momentum=False, alpha=0.0, max_iter=1, shuffle=False, random_state=0)
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
        hint = {"torch": "pip install torch --index-url https://download.pytorch.org/whl/cpu",
                "jax": "pip install jax", "sklearn": "pip install scikit-learn"}.get(name)
        reason = f"not installed ({e.__class__.__name__}: {e})"
        return None, reason + (f"; {hint}" if hint else "")

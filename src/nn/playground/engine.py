"""What the page watches: one network being trained by the library, step by step.

:class:`Trainer` holds one setup's data, network and optimizer and takes mini-batch steps with
:meth:`nn.Network.train_step`, in the order :meth:`nn.Network.fit` would take them with the
same seed (a fresh permutation of the training points each epoch, cut into mini-batches), so
``fit`` for ``k`` epochs, as :mod:`nn.playground.code` writes it, ends on the same weights bit
for bit. It knows nothing of threads or HTTP (:mod:`nn.playground.session` does).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from nn.core.network import Network
from nn.models.mlp import mlp
from nn.optim.optimizers import SGD, Optimizer
from nn.playground.data import Data, make_data
from nn.playground.settings import Settings
from nn.train.safeguards import Diverged, all_finite

__all__ = ["L1SGD", "Trainer", "build_network", "build_optimizer"]


class L1SGD(SGD, register=False):
    """Plain SGD with an L1 penalty ``l1 * sum |w|`` on the weight matrices (not the biases).

    Its gradient, ``l1 * sign(W)``, is added to each weight matrix's gradient before the step,
    as :class:`nn.SGD`'s ``weight_decay`` adds the L2 penalty's ``weight_decay * W``.
    """

    def __init__(self, lr: float, l1: float) -> None:
        super().__init__(lr)
        self.l1 = float(l1)

    def step(self, parameters: Iterable[tuple[str, np.ndarray, np.ndarray]]) -> None:
        super().step(
            (k, p, g + self.l1 * np.sign(p) if p.ndim >= 2 else g) for k, p, g in parameters
        )


def build_network(settings: Settings) -> Network:
    """``nn.mlp`` for the setup: features in, the hidden layers, one output unit.

    The output unit is a sigmoid for classification (labels 0 and 1, read as the probability
    of class 1) and linear for regression.
    """
    sizes = [len(settings.features), *settings.hidden, 1]
    output = "sigmoid" if settings.problem == "classification" else "identity"
    return mlp(
        sizes,
        settings.activation,
        settings.loss,
        output_activation=output,
        init=settings.init,
        seed=settings.seed,
    )


def build_optimizer(settings: Settings) -> Optimizer:
    """Plain SGD at the setup's learning rate, with its regularization."""
    if settings.reg == "l1":
        return L1SGD(settings.lr, settings.reg_rate)
    if settings.reg == "l2":
        return SGD(settings.lr, weight_decay=settings.reg_rate)
    return SGD(settings.lr)


class Trainer:
    """One setup's data, network, optimizer and position in the training.

    Attributes
    ----------
    settings : Settings
    data : Data
    network : Network
    optimizer : Optimizer
    step : int
        Mini-batch steps taken since the network was built.
    epoch : int
        Complete passes over the training points.
    diverged : str or None
        Why training stopped for good (the loss or a weight became NaN or infinite), in words.
    """

    def __init__(self, settings: Settings, data: Data | None = None) -> None:
        self.settings = settings
        self.data = data if data is not None else make_data(settings)
        self.reset()

    def reset(self) -> None:
        """A fresh network from the seed, at step 0 (what the page's reset button does)."""
        s = self.settings
        self.network = build_network(s)
        self.optimizer = build_optimizer(s)
        self.X = self.network.checked_inputs(self.data.X_train)
        self.T = self.network.checked_targets(self.data.Y_train, len(self.X))  # (n, 1) rows
        self.rng = np.random.default_rng(s.seed)  # as fit's: the same order of mini-batches
        self.order: np.ndarray | None = None
        self.position = 0
        self.step = self.epoch = 0
        self.diverged: str | None = None

    def retune(self, settings: Settings) -> None:
        """Take new live settings (learning rate, regularization, batch size) as they are."""
        old, self.settings = self.settings, settings
        if (old.lr, old.reg, old.reg_rate) != (settings.lr, settings.reg, settings.reg_rate):
            self.optimizer = build_optimizer(settings)  # plain SGD keeps no state to carry

    def train(self, steps: int) -> int:
        """Take up to ``steps`` mini-batch steps; stop early if training diverges.

        Returns
        -------
        int
            The steps taken.
        """
        done = 0
        n, batch = len(self.X), self.settings.batch
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            while done < steps and self.diverged is None:
                if self.order is None:
                    self.order = self.rng.permutation(n)  # fit's begin_epoch
                idx = self.order[self.position : self.position + batch]
                try:
                    self.network.train_step(self.X[idx], self.T[idx], self.optimizer)
                except Diverged as err:  # raised before the update: the weights are untouched
                    self.diverged = self.explain_divergence(str(err))
                    break
                done += 1
                self.step += 1
                self.position += batch
                if self.position >= n:
                    self.epoch, self.position, self.order = self.epoch + 1, 0, None
        if done and self.diverged is None and not all_finite(self.network):
            self.diverged = self.explain_divergence("a weight became infinite or NaN")
        return done

    def explain_divergence(self, what: str) -> str:
        """The page's sentence for a divergence at the current step."""
        return (
            f"Training diverged at step {self.step + 1}: {what}. The learning rate "
            f"{self.settings.lr:g} is too large for this setup; try one 10 times smaller, "
            "then press reset."
        )

    @property
    def epochs_done(self) -> float:
        """Passes over the training points so far, with the current one's fraction."""
        return self.epoch + self.position / len(self.X)

    def losses(self) -> tuple[float, float]:
        """The loss on the training points and on the test points (NaN when not finite)."""
        net, data = self.network, self.data
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            train = net.loss.value(net.raw_outputs(self.X), self.T)
            X_test = net.checked_inputs(data.X_test)
            T_test = net.checked_targets(data.Y_test, len(X_test))
            test = net.loss.value(net.raw_outputs(X_test), T_test)
        return float(train), float(test)

    def python_epochs(self) -> int:
        """Whole epochs to write in "show as Python": those done, at least 1."""
        return max(1, math.ceil(self.epochs_done))

"""scikit-learn's rule for when ``MLPClassifier`` stops, as a callback of :meth:`nn.Network.fit`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.train.callbacks import Callback

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import Network

__all__ = ["ConvergenceMonitor"]


class ConvergenceMonitor(Callback):
    """scikit-learn's stopping rule for ``MLPClassifier``, as a callback of ``fit``.

    Parameters
    ----------
    tol : float
        Smallest change of the loss (or score) that counts as an improvement.
    n_iter_no_change : int
        Training stops when more than this many epochs in a row did not improve.
    penalty : float
        Coefficient ``c`` of the penalty ``c sum ||W||^2`` added to each epoch's loss.
    score : callable, optional
        ``score(network) -> float`` on held-out data (higher is better). If given, it is
        monitored instead of the training loss, and the best epoch's weights are put back
        when training ends.

    Attributes
    ----------
    loss_curve : list of float
    validation_scores : list of float, or None without ``score``
    best_loss, best_score : float
    stopped : bool
        Whether the rule stopped training (rather than ``max_iter``).
    """

    def __init__(
        self,
        tol: float,
        n_iter_no_change: int,
        penalty: float,
        score: Callable[[Network], float] | None = None,
    ) -> None:
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.penalty = penalty
        self.score = score
        self.loss_curve: list[float] = []
        self.validation_scores: list[float] | None = None if score is None else []
        self.best_loss, self.best_score = np.inf, -np.inf
        self.best_weights: dict[str, np.ndarray] | None = None
        self.no_improvement = 0
        self.stopped = False

    def on_epoch_end(self, network: Network, epoch: int, history: dict[str, Any]) -> bool | None:
        squares = sum(float(np.vdot(p, p)) for _, p, _ in network.parameters() if p.ndim >= 2)
        loss = history["loss"][-1] + self.penalty * squares
        self.loss_curve.append(loss)
        if self.validation_scores is None:
            self.no_improvement = self.no_improvement + 1 if loss > self.best_loss - self.tol else 0
            self.best_loss = min(self.best_loss, loss)
        else:
            score = float(self.score(network))  # type: ignore[misc]
            self.validation_scores.append(score)
            worse = score < self.best_score + self.tol
            self.no_improvement = self.no_improvement + 1 if worse else 0
            if score > self.best_score:
                self.best_score = score
                self.best_weights = {k: p.copy() for k, p, _ in network.parameters()}
        self.stopped = self.no_improvement > self.n_iter_no_change
        return self.stopped

    def on_train_end(self, network: Network, history: dict[str, Any]) -> None:
        if self.best_weights is not None:
            for key, param, _ in network.parameters():
                param[...] = self.best_weights[key]  # in place: coefs_ stay the same arrays

"""The loss protocol: a value ``C`` and its gradient ``dC/da`` for the network's output.

A loss is anything with ``value(a, y) -> float`` and ``gradient(a, y) -> ndarray`` where ``a``
and ``y`` are both ``(batch, n_out)`` arrays: the network's output and the target. The concrete
losses (squared error, the cross-entropies) are in :mod:`nn.losses`; this module holds the
base class and the one function the training step calls.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn.core import registry

__all__ = ["Loss", "value_and_gradient"]


class Loss:
    """Base class of the losses.

    Attributes
    ----------
    takes_logits : bool
        False: ``a`` is the output of the network's last activation. True: ``a`` is the
        pre-activation ``z`` of the last layer, and the loss applies its own output function
        (see :meth:`output`); :func:`nn.mlp` then adds no output activation.
    """

    def __init_subclass__(cls, register: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if (
            register
        ):  # filed by class name, for nn.load and the names mlp and the command line accept
            registry.register(registry.LOSSES, cls)

    takes_logits: bool = False
    #: Names of the output activations whose outputs this loss takes, for a loss defined only
    #: on part of the real line (the cross-entropies take probabilities); None: any outputs.
    #: Outside its range such a loss clips its input, so training and gradient checks would
    #: go wrong without an error: :func:`nn.mlp` refuses other output activations.
    output_activations: tuple[str, ...] | None = None
    #: Whether the output delta keeps the output activation's slope: ``(a - y) sigma'(z)`` for
    #: the squared error (BP1), so saturated outputs learn slowly; the cross-entropies cancel
    #: it (their delta is ``a - y``). The doctor asks this instead of the loss's class name.
    keeps_output_slope: bool = False
    #: Whether the value of a batch is a sum of per-example terms (each from its own output
    #: and target rows only) divided by :meth:`averaged_over` (by default the number of
    #: examples: a mean over examples). Then the gradient of a batch is the sum of its
    #: shards' gradients, each weighted by its share of that count, which is what
    #: ``fit(workers=...)`` relies on (:mod:`nn.train.parallel`); a loss without it is refused
    #: there. False here, so that a loss of your own takes part only by saying so.
    mean_over_examples: bool = False

    def output(self, a: np.ndarray) -> np.ndarray:
        """What the network predicts, given its raw output ``a``: ``a`` itself by default.

        :class:`SoftmaxCrossEntropy` returns ``softmax(a)`` here, so ``predict`` gives
        probabilities even though the last layer computes logits.
        """
        return a

    def value(self, a: np.ndarray, y: np.ndarray) -> float:
        """The loss averaged over the batch."""
        raise NotImplementedError

    def gradient(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``dC/da``, same shape as ``a``."""
        raise NotImplementedError

    def value_and_gradient(self, a: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """The loss of a batch and its gradient at once, as a training step needs them.

        Parameters
        ----------
        a, y : ndarray of shape (batch, n_out)
            Network outputs (logits when ``takes_logits``) and targets.

        Returns
        -------
        value : float
            ``value(a, y)``.
        gradient : ndarray of shape (batch, n_out)
            ``gradient(a, y)``.

        Notes
        -----
        This default calls the two methods; a loss whose two share work overrides it.
        """
        return self.value(a, y), self.gradient(a, y)

    def averaged_over(self, y: np.ndarray) -> float:
        """What the value of a batch with targets ``y`` divides its sum by: the number of
        examples, ``len(y)``, for a mean over examples (see :attr:`mean_over_examples`)."""
        return float(len(y))

    def config(self) -> dict[str, Any]:
        """The keyword arguments that rebuild this loss."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def value_and_gradient(loss: Any, a: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """The loss of a batch and its gradient, from ``loss.value_and_gradient`` if it has one.

    Parameters
    ----------
    loss : Loss, or any object with ``value(a, y)`` and ``gradient(a, y)``
        The loss; its ``value_and_gradient`` is used when it has one.
    a, y : ndarray of shape (batch, n_out)
        Network outputs (logits for a loss with ``takes_logits``) and targets.

    Returns
    -------
    value : float
    gradient : ndarray of shape (batch, n_out)
    """
    both = getattr(loss, "value_and_gradient", None)
    if both is not None:
        return both(a, y)
    return loss.value(a, y), loss.gradient(a, y)

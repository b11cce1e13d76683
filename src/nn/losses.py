"""Loss functions: a value ``C`` and its gradient ``dC/da`` with respect to the network's output.

A loss is anything with ``value(a, y) -> float`` and ``gradient(a, y) -> ndarray`` where ``a``
and ``y`` are both ``(batch, n_out)`` arrays: the network's output and the target (class
labels are turned into one-hot rows before they get here). Each loss states its reduction,
because the reduction decides what a learning rate means: every loss here is a **mean over
the batch** of a per-example cost, so its gradient carries a factor ``1/n``.

* :class:`SquaredError`: ``1/2 ||a - y||^2`` per example (Nielsen ch. 1).
* :class:`CrossEntropy`: ``-sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]`` for sigmoid
  outputs (Nielsen ch. 3).
* :class:`CategoricalCrossEntropy`: ``-sum_j y_j ln a_j`` for softmax outputs.
* :class:`SoftmaxCrossEntropy`: the same cost computed from the logits ``z`` (the softmax
  folded into the loss), whose gradient is simply ``(softmax(z) - y) / n``.

A training step needs both at once: :meth:`Loss.value_and_gradient` returns the pair, by
default by calling the two, and a loss whose two share work overrides it
(:class:`SoftmaxCrossEntropy` computes its exponentials once). An object with only ``value``
and ``gradient`` works too: :func:`value_and_gradient` calls whichever it has.

A loss whose input is logits rather than activations says so with ``takes_logits = True``,
and :meth:`Loss.output` turns the network's raw output into what :meth:`nn.Network.predict`
returns (probabilities, for the fused softmax).
"""

from __future__ import annotations

import numpy as np

from nn.core.loss import Loss, value_and_gradient
from nn.functional.activations import log_softmax, softmax

__all__ = [
    "CategoricalCrossEntropy",
    "CrossEntropy",
    "Loss",
    "SoftmaxCrossEntropy",
    "SquaredError",
    "value_and_gradient",
]


class SquaredError(Loss):
    """The quadratic cost of Nielsen's book, averaged over the batch.

    ``C = (1/n) * sum_x 1/2 ||a_x - y_x||^2`` for a batch of ``n`` examples (SQ1 in
    docs/backprop.md), so the gradient is ``dC/da = (a - y) / n`` (SQ2). With this reduction a
    learning rate ``eta`` means what it means in Nielsen's ``update_mini_batch``: his step
    ``eta / n * sum of per-example gradients`` is our step ``eta * dC/dW`` (MB2). (Summing
    instead of averaging would make the right ``eta`` depend on the batch size: MB3.)
    """

    keeps_output_slope = True  # delta^L = (a - y) (.) sigma'(z^L): BP1 keeps the slope
    mean_over_examples = True  # C = (1/n) sum_x C_x, so fit(workers=...) may split a batch

    def value(self, a: np.ndarray, y: np.ndarray) -> float:
        """Loss of a batch.

        Parameters
        ----------
        a : ndarray of shape (batch, n_out)
            Network outputs.
        y : ndarray of shape (batch, n_out)
            Targets.

        Returns
        -------
        float
            ``(1/n) * sum 1/2 ||a - y||^2``.
        """
        diff = a - y
        return 0.5 * float(np.vdot(diff, diff)) / a.shape[0]

    def gradient(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Gradient of :meth:`value` with respect to ``a``.

        Parameters
        ----------
        a, y : ndarray of shape (batch, n_out)

        Returns
        -------
        ndarray of shape (batch, n_out)
            ``(a - y) / n``: the ``nabla_a C`` of BP1, before the ``sigma'(z)`` factor.
        """
        return (a - y) / a.shape[0]


def _finfo(a: np.ndarray) -> np.finfo:
    return np.finfo(a.dtype if a.dtype.kind == "f" else np.float64)


class CrossEntropy(Loss):
    """Cross-entropy for sigmoid outputs (Nielsen ch. 3), averaged over the batch.

    ``C = -(1/n) * sum_x sum_j [y_j ln a_j + (1 - y_j) ln(1 - a_j)]`` for a batch of ``n``
    examples, with every ``a_j`` in (0, 1) and targets ``y_j`` in [0, 1] (each output unit is
    its own yes/no question, so rows need not sum to 1). The gradient is

    ``dC/da = (a - y) / (a (1 - a)) / n``,

    and a sigmoid output layer multiplies it by ``sigma'(z) = a (1 - a)``, which cancels:
    ``delta^L = (a - y) / n`` (Nielsen's eq. (66) with our mean). No ``sigma'(z)`` factor is
    left, so a badly wrong, saturated output unit still learns fast: the cure for the learning
    slowdown of the squared error. Here the two derivatives stay separate and are chained by
    the :class:`~nn.Sigmoid` layer, as everywhere else; ``tests/test_losses.py`` shows the
    product equals ``(a - y) / n``.

    Guard: ``a`` is clipped into ``[epsneg, 1 - epsneg]`` before any log or division, where
    ``1 - epsneg`` is the largest number below 1 in ``a``'s dtype (``epsneg`` is 6e-8 in
    float32, 1.1e-16 in float64). The interval is symmetric, as the loss is under
    ``a -> 1 - a, y -> 1 - y``. An output of exactly 0 or 1 on the wrong side then costs
    ``-ln(epsneg)`` (16.6 per unit in float32, 36.7 in float64) rather than inf, with a finite
    gradient and no warnings. A sigmoid saturated to exactly 0 or 1 (``|z| > 17`` in float32)
    has ``sigma'(z) = 0``, so its delta is 0 in finite precision whatever this loss says.
    """

    output_activations = ("sigmoid", "softmax")  # a_j in (0, 1)
    mean_over_examples = True  # C = (1/n) sum_x C_x, so fit(workers=...) may split a batch

    def value(self, a: np.ndarray, y: np.ndarray) -> float:
        """Loss of a batch; ``a`` and ``y`` are (batch, n_out), the result a float."""
        lo = _finfo(a).epsneg
        p = np.clip(a, lo, 1 - lo)
        per_unit = y * np.log(p) + (1 - y) * np.log1p(-p)
        return -float(per_unit.sum()) / a.shape[0]

    def gradient(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``dC/da = (a - y) / (a (1 - a)) / n``, shape (batch, n_out)."""
        lo = _finfo(a).epsneg
        p = np.clip(a, lo, 1 - lo)
        return (p - y) / (p * (1 - p)) / a.shape[0]


class CategoricalCrossEntropy(Loss):
    """Cross-entropy for softmax outputs (the log-likelihood cost, Nielsen ch. 3).

    ``C = -(1/n) * sum_x sum_j y_j ln a_j`` for a batch of ``n`` examples, where each row of
    ``a`` is a probability distribution (a :class:`~nn.Softmax` output) and each row of ``y``
    a target distribution, usually one-hot: then the cost of an example is ``-ln a_{label}``.
    The gradient is ``dC/da = -y / a / n``; the softmax layer's Jacobian-vector product turns
    it into ``delta^L = (a - y) / n`` when rows of ``y`` sum to 1.

    Guard: ``a`` is clipped below at ``tiny``, the smallest normal number of its dtype, so a
    probability of exactly 0 costs ``-ln(tiny)`` (87.3 in float32, 708.4 in float64) rather
    than inf, and the gradient stays finite, without warnings. When a
    softmax output underflows to 0 the chain's delta for it is 0; the fused
    :class:`SoftmaxCrossEntropy` has no such blind spot.
    """

    # softmax only: with sigmoid outputs, whose rows need not sum to 1, -y/a pushes the true
    # class's unit up and nothing pushes the others down; every output drifts to 1, the loss
    # falls and the predictions stay at chance ([784, 30, 10] on the digits: 16.5%).
    output_activations = ("softmax",)
    mean_over_examples = True  # C = (1/n) sum_x C_x, so fit(workers=...) may split a batch

    def value(self, a: np.ndarray, y: np.ndarray) -> float:
        """Loss of a batch; ``a`` and ``y`` are (batch, n_out), the result a float."""
        return -float((y * np.log(np.maximum(a, _finfo(a).tiny))).sum()) / a.shape[0]

    def gradient(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``dC/da = -y / a / n``, shape (batch, n_out)."""
        return -y / np.maximum(a, _finfo(a).tiny) / a.shape[0]


class SoftmaxCrossEntropy(Loss):
    """Softmax and categorical cross-entropy fused, computed from the logits ``z``.

    ``C = -(1/n) * sum_x sum_j y_j ln softmax(z)_j = (1/n) * sum_x sum_j y_j (lse(z) - z_j)``,
    with ``lse(z) = ln sum_k exp(z_k)`` computed by the log-sum-exp trick (see
    :func:`nn.layers.activations.log_softmax`), so no exponential overflows and no log sees 0. The
    gradient with respect to the logits is

    ``dC/dz = (softmax(z) * sum_j y_j - y) / n``,

    that is ``(softmax(z) - y) / n`` for one-hot or probability rows: the same delta as
    ``Softmax`` followed by :class:`CategoricalCrossEntropy`, in one step and exact even where
    a probability underflows. ``tests/test_losses.py`` checks the two agree in value and
    gradient. The network's last layer must output logits (``mlp`` adds no output
    activation for this loss), and :meth:`output` is the softmax, so ``predict`` returns
    probabilities.
    """

    takes_logits = True
    mean_over_examples = True  # C = (1/n) sum_x C_x, so fit(workers=...) may split a batch

    def output(self, a: np.ndarray) -> np.ndarray:
        """Class probabilities ``softmax(a)`` from the logits ``a``, shape (batch, n_out)."""
        return softmax(a)

    def value(self, a: np.ndarray, y: np.ndarray) -> float:
        """Loss of a batch from logits ``a`` (batch, n_out) and targets ``y``; a float."""
        return -float((y * log_softmax(a)).sum()) / a.shape[0]

    def gradient(self, a: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``dC/dz = (softmax(z) * rowsum(y) - y) / n``, shape (batch, n_out)."""
        return (softmax(a) * y.sum(axis=1, keepdims=True) - y) / a.shape[0]

    def value_and_gradient(self, a: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """:meth:`value` and :meth:`gradient` (the same bits) from one set of exponentials.

        Both start from ``shifted = z - max(z)`` and ``e = exp(shifted)``: the value needs
        ``log softmax(z) = shifted - ln(sum e)``, the gradient ``softmax(z) = e / sum e``.
        A subclass that changes :meth:`value` or :meth:`gradient` gets its own two methods
        called instead, so training always uses the loss the subclass defines.
        """
        cls = type(self)
        if cls.value is not SoftmaxCrossEntropy.value or (
            cls.gradient is not SoftmaxCrossEntropy.gradient
        ):
            return super().value_and_gradient(a, y)
        shifted = a - a.max(axis=-1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=-1, keepdims=True)
        value = -float((y * (shifted - np.log(total))).sum()) / a.shape[0]
        gradient = (e / total * y.sum(axis=1, keepdims=True) - y) / a.shape[0]
        return value, gradient

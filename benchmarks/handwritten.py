"""A plain-NumPy training loop written for speed: a yardstick for what NumPy code costs.

``compare.py``'s *bound* runs the matrix products and nothing else, so no real training step
can reach it: a step must also gather its shuffled mini-batch, add the biases, apply the
activations, compute the loss, sum the deltas for the biases and write every weight. This
module writes that whole step as one flat loop with what a library cannot assume:

* every array preallocated once (the layers' outputs, the deltas, the gradients, the steps);
* every elementwise pass in place where it can be (the update writes ``lr * dW`` into a
  buffer of its own, then ``W -= step``);
* nothing but the arithmetic: no layer objects, no checks, no hooks, no NaN watch.

It is a measuring stick, not a second implementation to use: it knows only the networks of
``configs.py`` (ReLU or sigmoid layers; softmax cross-entropy on logits with one-hot targets,
or squared error), and ``tests/test_handwritten_loop.py`` holds it to
``Network.train_step``'s loss and weights step by step, so its speed is the speed of the same
arithmetic. ``compare.py`` runs it as the contender ``numpy``: ``numpy/bound`` is how close
straightforward NumPy code gets to the products on this machine, and ``nn/numpy`` what nn's
layers, checks and bookkeeping cost on top of it. It is not a proof that nothing faster
exists: on (c) nn itself is sometimes a few percent faster (fresh arrays from the allocator
can be cheaper to write than preallocated ones the BLAS threads touched last)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class HandwrittenLoop:
    """Mini-batch SGD for one ``configs.py`` network, as one loop over preallocated arrays.

    Parameters
    ----------
    weights, biases : sequences of ndarray, shapes (n_in, n_out) and (n_out,)
        The starting parameters, copied (float32).
    activation : {"relu", "sigmoid"}
        Activation of the hidden layers, and of the output layer under squared error (as
        :func:`nn.mlp` builds it; under softmax cross-entropy the output is logits).
    loss : {"softmax_cross_entropy", "squared_error"}
        With one-hot targets (the gradient of softmax cross-entropy is taken as
        ``softmax(z) - t``, which assumes rows of ``t`` that sum to 1).
    batch_size : int
    lr : float
    """

    def __init__(
        self,
        weights: Sequence[np.ndarray],
        biases: Sequence[np.ndarray],
        activation: str,
        loss: str,
        batch_size: int,
        lr: float,
    ) -> None:
        if activation not in ("relu", "sigmoid"):
            raise ValueError(f"handwritten loop: no activation {activation!r}")
        if loss not in ("softmax_cross_entropy", "squared_error"):
            raise ValueError(f"handwritten loop: no loss {loss!r}")
        self.W = [np.array(w, dtype=np.float32) for w in weights]
        self.b = [np.array(b, dtype=np.float32) for b in biases]
        self.relu = activation == "relu"
        self.softmax_ce = loss == "softmax_cross_entropy"
        self.lr = np.float32(lr)
        bs = batch_size
        self.batch_size = bs
        self.z = [np.empty((bs, w.shape[1]), np.float32) for w in self.W]  # weighted inputs
        self.a = [np.empty((bs, w.shape[1]), np.float32) for w in self.W]  # activations
        self.dx = [np.empty((bs, w.shape[0]), np.float32) for w in self.W]  # deltas passed down
        self.dW = [np.empty_like(w) for w in self.W]
        self.db = [np.empty_like(b) for b in self.b]
        self.steps = [np.empty_like(p) for p in self.W + self.b]  # lr * gradient
        # np.maximum(z, 0) against a scalar runs a slow loop; a row of zeros broadcasts fast
        self.zeros = [np.zeros(w.shape[1], np.float32) for w in self.W]
        self.tmp = [np.empty((bs, w.shape[1]), np.float32) for w in self.W]  # scratch
        self.out_tmp = np.empty((bs, self.W[-1].shape[1]), np.float32)  # scratch, output layer

    def step(self, x: np.ndarray, t: np.ndarray, labels: np.ndarray | None) -> tuple[float, int]:
        """One SGD step on the batch ``x`` (m, n_in) with targets ``t`` (m, n_out).

        Returns the batch's loss before the update and how many rows ``labels`` got right.
        """
        W, b, m, last = self.W, self.b, len(x), len(self.W) - 1
        ins = [x]
        for k in range(last + 1):  # forward
            z = self.z[k][:m]
            np.matmul(ins[-1], W[k], out=z)
            z += b[k]
            if k == last and self.softmax_ce:
                break  # logits
            a = self.a[k][:m]
            if self.relu:  # hidden layers, and the output layer under squared error
                np.maximum(z, self.zeros[k], out=a)
            else:  # sigmoid, 1 / (1 + exp(-z)) in place
                np.negative(z, out=a)
                np.exp(a, out=a)
                a += 1
                np.reciprocal(a, out=a)
            ins.append(a)
        out = self.z[last][:m] if self.softmax_ce else self.a[last][:m]
        delta = self.tmp[last][:m]
        if self.softmax_ce:  # delta = (softmax(z) - t) / m, loss from the same exponentials
            np.subtract(out, out.max(axis=1, keepdims=True), out=delta)
            lse = np.log(np.exp(delta, out=self.a[last][:m]).sum(axis=1, keepdims=True))
            loss = float(np.vdot(t, lse - delta)) / m
            e = self.a[last][:m]
            e /= np.exp(lse)
            np.subtract(e, t, out=delta)
            delta /= m
        else:  # squared error: delta = (a - t) f'(z) / m, f' = a (1 - a) or 1[z > 0]
            np.subtract(out, t, out=delta)
            loss = 0.5 * float(np.vdot(delta, delta)) / m
            if self.relu:
                delta *= self.z[last][:m] > 0
            else:
                delta *= out
                s = self.out_tmp[:m]
                np.subtract(1, out, out=s)
                delta *= s
            delta /= m
        correct = 0 if labels is None else int(np.count_nonzero(out.argmax(axis=1) == labels))
        for k in range(last, -1, -1):  # backward
            np.matmul(ins[k].T, delta, out=self.dW[k])
            delta.sum(axis=0, out=self.db[k])
            if k == 0:
                break
            d = self.dx[k][:m]
            np.matmul(delta, W[k].T, out=d)
            if self.relu:
                d *= self.z[k - 1][:m] > 0
            else:  # times a (1 - a) of the layer below
                a = self.a[k - 1][:m]
                s = self.tmp[k - 1][:m]
                np.subtract(1, a, out=s)
                s *= a
                d *= s
            delta = d
        for p, g, s in zip(W + b, self.dW + self.db, self.steps):  # update, in place
            np.multiply(g, self.lr, out=s)  # into a buffer: g was just written by the BLAS
            p -= s
        return loss, correct

    def epoch(
        self, X: np.ndarray, T: np.ndarray, labels: np.ndarray | None, order: np.ndarray
    ) -> tuple[float, float]:
        """One epoch over ``X[order]``; returns the mean loss and the accuracy."""
        bs, loss_sum, correct = self.batch_size, 0.0, 0
        with np.errstate(over="ignore"):  # exp(-z) of a very negative z is inf: sigmoid 0
            for i in range(0, len(order), bs):
                idx = order[i : i + bs]
                loss, right = self.step(X[idx], T[idx], None if labels is None else labels[idx])
                loss_sum += loss * len(idx)
                correct += right
        return loss_sum / len(order), correct / len(order)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Outputs for ``X`` (logits for softmax cross-entropy), not preallocated."""
        a = X
        for k, (W, b) in enumerate(zip(self.W, self.b)):
            z = a @ W + b
            if k == len(self.W) - 1 and self.softmax_ce:
                a = z
            else:
                a = np.maximum(z, 0) if self.relu else 1 / (1 + np.exp(-z))
        return a

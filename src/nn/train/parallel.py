"""Data parallelism over the mini-batch: ``fit(..., workers=N)`` runs N shards at once.

Why it works
------------
Every loss of nn is a mean over the examples of a batch (``C = (1/n) sum_x C_x``), and in
training each layer treats every example on its own, so the gradient of a batch is a weighted
sum of the gradients of its parts: split the ``n`` examples into shards of ``n_1, n_2, ...``
examples, and

    ``dC/dw = (1/n) sum_x dC_x/dw = sum_s (n_s / n) dC_s/dw``,

where ``C_s`` is the loss of shard ``s`` alone (a mean over its ``n_s`` examples). So each
shard's forward pass, loss and backward pass can run apart, at the same time, and the
gradients, weighted by ``n_s / n`` and summed, are the gradient of the whole batch: one
optimizer step follows, as without workers. (A loss whose mean is over something else, such
as :class:`~nn.losses_sequence.SequenceCrossEntropy`'s mean over the real, unpadded steps,
says what it divides by in ``averaged_over(y)``; the weight of a shard is then its share of
that count.) The reported loss is the same weighted sum of the shards' losses.

How
---
:class:`BatchSplit` cuts each mini-batch into ``min(workers, batch)`` contiguous shards in
:func:`numpy.array_split`'s order. Shard 0 runs on the network itself, in the calling thread;
each other shard runs on a *replica* (:func:`replica`), in a thread of its own. NumPy lets go
of Python's global interpreter lock inside its ufuncs, copies and matrix products, so the
threads' arithmetic runs on different cores at once; each runs its products on one BLAS
thread (the loop sets the BLAS to 1 thread: :class:`~nn.train.threads.ThreadPolicy`). A
replica shares the original's ``params`` dict, the very object, so the optimizer's update in
place is seen by every replica; it has its own zeroed ``grads``, and its own copy of every
other attribute a layer changes in place (a recurrent layer's workspace). The gradients are
summed into the network's own ``grads`` in a fixed order (shard 0, then 1, ...), so the same
seed and the same ``workers`` give the same bits, whichever thread finishes first. With
other ``workers`` the sums are rounded otherwise: the weights differ in the last bits.

What it refuses (before any work, :func:`check_split`)
-----------------------------------------------------
* a layer whose ``mixes_examples`` trait is True (batch normalization: each example's output
  depends on its batch's statistics, which a shard would compute over itself alone);
* a layer whose ``is_random`` trait is True (dropout): the masks it draws from its one
  generator would depend on which thread draws first;
* a layer that starts from a carried state (a recurrent layer whose ``initial_state`` is set,
  of shape ``(batch, ...)``: a shard has fewer examples);
* a loss without the ``mean_over_examples`` trait: its gradient need not be a weighted sum.

Traits are read with ``getattr``, so a layer or loss of your own takes part by saying so.
"""

from __future__ import annotations

import copy
import math
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

import numpy as np

from nn.core.errors import Diverged
from nn.core.validation import check_positive_int
from nn.train.threads import INSTALL, blas_threads

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import Network
    from nn.optim.optimizers import Optimizer
    from nn.train.safeguards import TrainingRun

__all__ = ["BatchSplit", "check_split", "check_workers", "replica", "shard_bounds"]


def check_workers(value: Any) -> int:
    """``fit``'s ``workers``: a whole number, 1 or more (True, 2.0 and "2" are refused)."""
    return check_positive_int("workers", value)


def check_split(network: Network, workers: int, threads: Any) -> None:
    """Refuse, before any work, a run that ``workers`` shards could not train exactly.

    Parameters
    ----------
    network : Network
    workers : int
        Checked by :func:`check_workers`; nothing is refused for 1.
    threads : "auto", int or None
        ``fit``'s BLAS thread setting (a ThreadPolicy's ``setting``): with workers, each
        worker's products run on 1 BLAS thread, so only ``"auto"`` and 1 agree with it.

    Raises
    ------
    ValueError
        Naming the layer (by index and repr) or the loss, and why.
    """
    if workers == 1:
        return
    for why in _refusals(network):
        raise ValueError(f"fit: workers={workers} splits each mini-batch into shards, but {why}")
    if threads is None or (threads != "auto" and threads != 1):
        raise ValueError(
            f"fit: workers={workers} runs each worker's matrix products on 1 BLAS thread "
            f"({workers} workers, {workers} cores); threads={threads!r} asks otherwise: give "
            "threads='auto' or 1"
        )
    if blas_threads() is None:
        raise ValueError(
            f"fit: workers={workers} needs threadpoolctl to set the BLAS to 1 thread per "
            f"worker: {INSTALL}"
        )


def _refusals(network: Network) -> list[str]:
    """Why each layer or the loss cannot be split, one sentence each (empty: it can)."""
    found = []
    for i, layer in enumerate(network.layers):
        name = f"layer {i}, {layer!r},"
        if getattr(layer, "mixes_examples", False):
            found.append(
                f"{name} mixes the examples of a batch in training (its mixes_examples trait: "
                "batch statistics), so a shard's output would differ from the batch's; leave "
                "workers at 1 (on the command line: no --workers)"
            )
        elif getattr(layer, "is_random", False):
            found.append(
                f"{name} draws random numbers in training (its is_random trait): its draws "
                "from one generator would depend on which thread draws first; leave workers "
                "at 1 (on the command line: no --workers)"
            )
        elif getattr(layer, "initial_state", None) is not None:
            found.append(
                f"{name} starts from a carried state of shape (batch, ...), which a shard's "
                "fewer examples cannot take; call its reset_state(), or leave workers at 1"
            )
    loss = network.loss
    if not getattr(loss, "mean_over_examples", False):
        found.append(
            f"the loss {loss!r} does not say it is a mean over examples (its "
            "mean_over_examples trait), so the shards' gradients need not add up to the "
            "batch's; leave workers at 1"
        )
    return found


def shard_bounds(n: int, workers: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of each of ``min(workers, n)`` contiguous shards of ``n`` examples,
    as :func:`numpy.array_split` cuts them: the first ``n % k`` shards one example longer."""
    k = min(workers, n)
    size, extra = divmod(n, k)
    bounds, start = [], 0
    for s in range(k):
        stop = start + size + (1 if s < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds


def replica(network: Network) -> Network:
    """A copy of ``network`` to run a shard on, sharing its parameters.

    Each layer is copied (a shallow :func:`copy.copy`), then: ``params`` is the original's
    dict itself (and so is ``buffers``, if any), so an update in place is seen by both;
    ``grads`` is a dict of fresh zeroed arrays; arrays, tuples and plain values (the caches
    of the last forward pass, which the next forward pass replaces) are shared; every other
    attribute (a workspace of scratch arrays filled in place, a list, a dict) is a deep copy.
    The loss is a deep copy too.
    """
    net = copy.copy(network)
    net.layers = [_layer_replica(layer) for layer in network.layers]
    net.loss = copy.deepcopy(network.loss)
    return net


_SHARED = (np.ndarray, tuple, str, bytes, int, float, complex, bool, type(None), np.generic)


def _layer_replica(layer: Any) -> Any:
    memo = {id(a): a for a in layer.params.values()}  # caches may point at the parameters
    twin = copy.copy(layer)
    for name, value in vars(layer).items():
        if name in ("params", "buffers"):
            continue  # the same dict: the optimizer updates the original's arrays in place
        if name == "grads":
            twin.grads = {k: np.zeros_like(g) for k, g in value.items()}
        elif not isinstance(value, _SHARED):
            setattr(twin, name, copy.deepcopy(value, memo))
    return twin


class BatchSplit:
    """The shards of each mini-batch of a run, trained at once by ``workers`` threads.

    Use as a context manager around the run (it owns the threads), and call :meth:`step`
    where :meth:`nn.Network.train_step` would be called: it has the same arguments and
    returns the same ``(outputs, loss)``.

    Parameters
    ----------
    network : Network
        Shard 0 runs on it; the others on :func:`replica` copies, made here once.
    workers : int
        Shards per mini-batch (fewer for a mini-batch of fewer examples), each in a thread.
    """

    def __init__(self, network: Network, workers: int) -> None:
        self.network, self.workers = network, workers
        self.replicas = [network] + [replica(network) for _ in range(workers - 1)]
        self.pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> BatchSplit:
        self.pool = ThreadPoolExecutor(self.workers - 1, thread_name_prefix="nn-worker")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None

    def step(
        self, X: np.ndarray, T: np.ndarray, optimizer: Optimizer, run: TrainingRun | None = None
    ) -> tuple[np.ndarray, float]:
        """One step of mini-batch gradient descent, the batch's shards computed at once.

        Parameters
        ----------
        X : ndarray of shape (batch, ...)
        T : ndarray of shape (batch, ...)
            Targets as rows.
        optimizer : Optimizer
        run : TrainingRun, optional
            Told when the update starts (``run.updating``).

        Returns
        -------
        a : ndarray of shape (batch, ...)
            The outputs before the update, the shards' in order.
        loss : float
            The batch's loss: the shards' losses weighted by their shares (see the module).

        Raises
        ------
        Diverged
            If the loss is NaN or infinite, before the update (the weights are untouched).
        """
        bounds = shard_bounds(len(X), self.workers)
        weights = _shares(self.network.loss, [T[a:b] for a, b in bounds])
        outputs, losses = zip(*self._run_shards(X, T, bounds))
        loss = math.fsum(w * c for w, c in zip(weights, losses)) if len(bounds) > 1 else losses[0]
        if not math.isfinite(loss):  # checked before the update is applied
            raise Diverged(f"the loss became {loss}")
        self._sum_gradients(weights, len(bounds))
        if run is not None:
            run.updating = True  # the weights are changing from here to the end of the step
        optimizer.step(self.network.parameters())
        return (np.concatenate(outputs) if len(outputs) > 1 else outputs[0]), loss

    def _run_shards(
        self, X: np.ndarray, T: np.ndarray, bounds: list[tuple[int, int]]
    ) -> list[tuple[np.ndarray, float]]:
        """Each shard's ``(outputs, loss)``, shard 0 here and the others in the pool; every
        shard has finished (or failed) before this returns or raises."""
        assert self.pool is not None, "BatchSplit.step needs `with BatchSplit(...):`"
        # NumPy's error state (np.errstate, which fit sets) is per thread: pass it on
        err = np.geterr()
        futures: list[Future] = [
            self.pool.submit(_gradients_under, err, net, X[a:b], T[a:b])
            for net, (a, b) in zip(self.replicas[1:], bounds[1:])
        ]
        try:
            first = self.network.step_gradients(X[: bounds[0][1]], T[: bounds[0][1]])
        finally:
            wait(futures)  # no thread may still write gradients when this step is over
        return [first, *(f.result() for f in futures)]

    def _sum_gradients(self, weights: list[float], k: int) -> None:
        """``grads = w_0 g_0 + w_1 g_1 + ...`` into the network's own arrays, in shard order."""
        if k == 1:
            return  # one shard: its gradient is the batch's
        for i, layer in enumerate(self.network.layers):
            for name, g in layer.grads.items():
                g *= g.dtype.type(weights[0])
                for s in range(1, k):
                    g += g.dtype.type(weights[s]) * self.replicas[s].layers[i].grads[name]


def _gradients_under(err: dict[str, str], net: Any, x: np.ndarray, t: np.ndarray) -> Any:
    """``net.step_gradients`` of a shard in a worker thread, under the caller's
    ``np.errstate`` (``err``)."""
    with np.errstate(**err):
        return net.step_gradients(x, t)


def _shares(loss: Any, targets: list[np.ndarray]) -> list[float]:
    """Each shard's weight ``n_s / n``: its share of what the loss averages over (its
    ``averaged_over(y)``, by default the number of examples)."""
    count = getattr(loss, "averaged_over", None)
    sizes = [float(count(t)) if count is not None else float(len(t)) for t in targets]
    total = math.fsum(sizes)
    if total == 0:  # nothing to average (all padding): every shard's loss and gradient are 0
        return [0.0] * len(sizes)
    return [s / total for s in sizes]

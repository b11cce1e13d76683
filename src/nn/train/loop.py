"""The training loop, kept outside the model: epochs of shuffled mini-batches.

As in CS231n's ``Solver`` and nanoGPT's ``train.py``, the model knows one step
(:meth:`nn.Network.train_step`: forward, loss, backward, update) and this module knows the
rest. Read :func:`fit` top to bottom: it checks every argument and prepares the data
(:mod:`nn.train.data`, which holds out a validation split when asked), then runs the epochs
(``_run``); each epoch runs one step per mini-batch (``_train_epoch``; with ``workers``, the
step of :mod:`nn.train.parallel`), and the end of an epoch (``_end_epoch``)
evaluates, records and prints a row of the history and asks the callbacks whether to stop.
What lets training stop safely (divergence, Ctrl-C, checkpoints) is the
:class:`~nn.train.safeguards.TrainingRun`, which the loop only tells what happened;
:mod:`nn.train.progress` formats what is printed.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm.auto import tqdm

from nn.core.errors import Diverged
from nn.core.labels import count_correct
from nn.core.validation import check_learning_rate, check_positive_int, check_seed
from nn.optim.optimizers import SGD, Optimizer
from nn.train.checkpoint import check_writable
from nn.train.checks import (
    check_callbacks,
    check_checkpoint_options,
    check_monitored,
    check_reporting,
    check_validation_split,
)
from nn.train.data import prepare_data, split_off_validation
from nn.train.parallel import BatchSplit, check_split, check_workers
from nn.train.progress import epoch_line, resume_line
from nn.train.safeguards import TrainingRun
from nn.train.settings import run_settings
from nn.train.threads import ThreadPolicy

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import History, Network
    from nn.train.callbacks import Callback

__all__ = ["fit", "split_off_validation"]


def fit(
    network: Network,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    lr: float | None = None,
    optimizer: Optimizer | None = None,
    validation_data: tuple[np.ndarray, np.ndarray] | None = None,
    validation_split: float = 0.0,
    seed: int | np.random.Generator | None = None,
    verbose: bool = True,
    validation_name: str = "val",
    callbacks: Sequence[Callback] = (),
    checkpoint: str | os.PathLike[str] | None = None,
    checkpoint_every: int | str = "epoch",
    resume: bool | str | os.PathLike[str] = False,
    threads: str | int | ThreadPolicy | None = "auto",
    workers: int = 1,
) -> History:
    """Train ``network`` by mini-batch stochastic gradient descent.

    Each epoch shuffles the training set, splits it into mini-batches of ``batch_size``
    (the last one may be smaller), and for each one runs ``network.train_step``: forward,
    backward and an optimizer step. Every argument is checked before any work starts.
    :meth:`nn.Network.fit` calls this.

    Parameters
    ----------
    network : Network
        Or any object with its interface: ``checked_inputs``, ``checked_targets``,
        ``parameters``, ``layers``, ``train_step`` and ``evaluate``.
    X : ndarray of shape (n, n_in)
        Training inputs.
    Y : ndarray of shape (n, n_out), or (n,) integer class labels
        Targets: one-hot rows, real-valued rows, or class labels ``0 .. n_out - 1``
        (for a single output unit, labels 0 and 1).
    epochs, batch_size : int
        ``epochs`` counts the whole run: a resumed run stops after epoch ``epochs``.
    lr : float, optional
        Learning rate for plain :class:`nn.SGD`; give either ``lr`` or ``optimizer``.
    optimizer : Optimizer, optional
    validation_data : (X_val, Y_val), optional
        Evaluated after every epoch (Nielsen's demo passes the test set here).
    validation_split : float, default 0
        Fraction of ``(X, Y)`` to hold out as validation data instead, in (0, 1): before
        training, a random permutation drawn from ``seed`` (first thing from the same
        generator as the shuffling) puts ``round(validation_split * n)`` examples in the
        validation set and trains on the rest, so the same seed gives the same split. Not
        stratified. Give this or ``validation_data``, not both. Resuming such a run
        needs the same int ``seed``, since the split is drawn again from it.
    seed : int or Generator, optional
        Source of the shuffling (and of the validation split); the same seed gives the
        same weights bit for bit.
    verbose : bool
        Show a line of metrics after each epoch, and a progress bar during it when
        output goes to a terminal (or a notebook), not to a file or pipe.
    validation_name : str, default "val"
        Prefix of the validation figures in those lines: ``"test"`` when
        ``validation_data`` is the test set, so that they are not taken for a held-out
        validation set. The history keys stay ``val_loss`` and ``val_accuracy``.
    callbacks : sequence of Callback
        Called at the start, after every step, after every epoch and at the end
        (:mod:`nn.train.callbacks`).
    checkpoint : path, optional
        Write a checkpoint there (atomically) every ``checkpoint_every`` and when
        training ends, is interrupted or diverges (see :mod:`nn.train.checkpoint`). The
        path must hold nothing yet, or a checkpoint: never a saved model.
    checkpoint_every : int or "epoch"
        A number of optimizer steps, or "epoch" (the default) for the end of each epoch;
        a number needs a ``checkpoint``.
    resume : bool or path
        A path: continue the run saved in that checkpoint. True: continue from
        ``checkpoint`` if that file exists, else start afresh. Every setting of the run
        (:mod:`nn.train.settings`: the data, ``batch_size``, the network, the optimizer's
        type and config, ``validation_split``, an int ``seed``, the callbacks that take part)
        must be that of the interrupted run, or the resume is refused naming the first that
        differs; ``epochs`` may grow. The result is identical bit for bit to an
        uninterrupted run; a run already finished has nothing left to train.
    threads : "auto", int or None, default "auto"
        BLAS threads for the matrix products (:mod:`nn.train.threads`). ``"auto"``: one
        thread for small products; for larger ones, whichever of 1 and the BLAS's count
        trains faster here, measured on a copy of the network and measured again when the
        machine changes (a run on N threads falls back to 1 when something else takes a
        core). A thread count that the environment sets (``OPENBLAS_NUM_THREADS``, ...) is
        left alone. An int: that many threads. None: leave the BLAS as it is. Or a
        :class:`~nn.train.threads.ThreadPolicy`, to read afterwards what it chose and why
        (``nn train`` prints it). The same seed gives the same bits with the same thread
        count; with ``verbose``, a change of the count during the run is printed.
    workers : int, default 1
        Split each mini-batch into this many contiguous shards and compute their gradients
        at once, each in a thread of its own on one BLAS thread, then take one step with
        their weighted sum, which is the batch's gradient (:mod:`nn.train.parallel`). Layers
        that mix the examples of a batch (batch norm) or draw random numbers (dropout), and
        losses that are not a mean over examples, are refused before any work; ``threads``
        must be "auto" or 1. The same seed and ``workers`` give the same bits; another
        ``workers`` rounds differently (a checkpoint records it).

    Returns
    -------
    History
        Per epoch: ``loss`` and ``accuracy`` on the training set (running averages over
        the epoch's mini-batches, so they cost nothing extra; accuracy is None for
        targets that are not classes), ``val_loss`` and ``val_accuracy`` (None without
        validation data), and ``seconds`` spent in the epoch. When training stopped
        early because the loss or a weight became NaN or inf, or because of Ctrl-C,
        ``history["stopped"]`` says so (see :mod:`nn.train.safeguards`), a
        :class:`nn.TrainingDiverged` or :class:`nn.TrainingInterrupted` warning is
        issued, and the network keeps the weights of the last finite, completed step.

    Raises
    ------
    TypeError, ValueError
        For a bad argument (see :mod:`nn.core.validation`), before any work.
    FileNotFoundError
        If ``resume`` names a file that does not exist.
    nn.CheckpointError
        If the checkpoint to resume from is damaged, or was written by a run with other
        settings (its ``setting``, ``saved`` and ``given`` say which and how).
    """
    epochs = check_positive_int("epochs", epochs)
    batch_size = check_positive_int("batch_size", batch_size)
    opt = _optimizer(lr, optimizer)
    check_seed("seed", seed)
    check_reporting(verbose, validation_name)
    policy = threads if isinstance(threads, ThreadPolicy) else ThreadPolicy(threads)
    workers = check_workers(workers)
    check_split(network, workers, policy.setting)
    policy.workers = workers
    path, every, resume_from = check_checkpoint_options(checkpoint, checkpoint_every, resume)
    validation_split = check_validation_split(validation_split)
    callbacks = check_callbacks(callbacks)
    rng = np.random.default_rng(seed)  # draws the validation split first, then every shuffle
    X, T, labels, validation_data, produced = prepare_data(
        network, X, Y, validation_data, validation_split, rng
    )
    check_monitored(callbacks, produced)
    settings = None  # what a checkpoint records and a resume compares (settings.py)
    if path is not None or resume_from is not None:
        settings = _settings(network, opt, X, T, batch_size, validation_split, validation_data,
                             seed, callbacks, workers)  # fmt: skip
    run = TrainingRun(
        network, opt, X, T, labels, batch_size=batch_size, seed=rng, checkpoint=path,
        every=every, resume_from=resume_from, settings=settings, callbacks=callbacks,
    )  # fmt: skip
    history = run.history
    said = resume_line(run, epochs, resume_from)  # raises if the run is past `epochs`
    if verbose and said:
        tqdm.write(said)
    plan = _Plan(epochs, callbacks, validation_data, verbose, validation_name, policy, workers)
    for cb in plan.callbacks:
        cb.on_train_begin(network, history)
    _run(network, run, plan)
    return history


def _settings(
    network: Network,
    optimizer: Optimizer,
    X: np.ndarray,
    T: np.ndarray,
    batch_size: int,
    validation_split: float,
    validation_data: tuple[np.ndarray, np.ndarray] | None,
    seed: Any,
    callbacks: Sequence[Callback],
    workers: int,
) -> dict[str, Any]:
    """The run's settings, once it is known that a checkpoint of them can be written."""
    check_writable(network, optimizer)  # fail now, not at the first save
    return run_settings(
        network, optimizer, X, T, batch_size=batch_size, validation_split=validation_split,
        validation_data=validation_data, seed=seed, callbacks=callbacks, workers=workers,
    )  # fmt: skip


@dataclass(frozen=True)
class _Plan:
    """What the loop does around the steps, fixed for the whole run."""

    epochs: int
    callbacks: Sequence[Callback]
    validation_data: tuple[np.ndarray, np.ndarray] | None
    verbose: bool
    validation_name: str
    threads: ThreadPolicy
    workers: int


def _optimizer(lr: Any, optimizer: Any) -> Optimizer:
    """The optimizer to train with: ``optimizer``, or plain SGD at learning rate ``lr``."""
    if (lr is None) == (optimizer is None):
        raise ValueError("fit: give exactly one of lr=... (plain SGD) or optimizer=...")
    if optimizer is not None and not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizer must be an Optimizer instance such as nn.SGD(lr=0.1), got {optimizer!r}"
        )
    return optimizer if optimizer is not None else SGD(check_learning_rate("lr", lr))


def _run(network: Network, run: TrainingRun, plan: _Plan) -> None:
    """The epochs, each a pass of steps then the epoch's end, until the last or a callback
    says stop; however the run ends (finished, interrupted, diverged), ``run`` records it."""
    history = run.history
    split = BatchSplit(network, plan.workers) if plan.workers > 1 else contextlib.nullcontext()
    # Ctrl-C held (safeguards.py) until the run's end is written, however it ends; the
    # workers' threads (parallel.py) until then too, since a replay of steps needs them
    with run, split:
        if isinstance(split, BatchSplit):
            run.train_step = split.step  # the loop's steps and any replay's
        try:
            # fit reports NaN and inf itself (safeguards.py), so NumPy's warnings are noise,
            # and a warning turned into an error must not cut an update in half.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                plan.threads.start(network, run.optimizer, run.X, run.T, run.batch_size)
                stopped = run.finished == "callback"  # a resumed run a callback had ended
                while run.epoch <= plan.epochs and not stopped:
                    start = time.perf_counter()
                    _train_epoch(network, run, plan)
                    stopped = _end_epoch(network, run, plan, start)
                run.finish(by_callback=stopped)
        except KeyboardInterrupt:
            run.interrupted()
        except Diverged as err:
            run.diverged(err)
        finally:
            plan.threads.stop()
            for cb in plan.callbacks:
                cb.on_train_end(network, history)


def _train_epoch(network: Network, run: TrainingRun, plan: _Plan) -> None:
    """The current epoch's remaining mini-batches, one training step each."""
    X, T, labels, bs, threads = run.X, run.T, run.labels, run.batch_size, plan.threads
    order = run.begin_epoch()
    bar = tqdm(
        range(run.batch * bs, run.n, bs),  # a resumed epoch starts at its next mini-batch
        desc=f"Epoch {run.epoch}/{plan.epochs}",
        unit="batch",
        total=run.n_batches,
        initial=run.batch,
        leave=False,
        disable=None if plan.verbose else True,  # None: off when not a TTY
    )
    threads.begin_epoch(run.step)
    for i in bar:
        idx = order[i : i + bs]
        run.in_step = True  # until step_done: an exception in between left the step half done
        a, loss = run.train_step(X[idx], T[idx], run.optimizer, run)
        run.step_done(loss, len(idx), count_correct(a, labels, idx))
        for cb in plan.callbacks:
            cb.on_step_end(network, run.epoch, run.step, loss)
        if run.step >= threads.next_check:  # auto's watch: has the machine changed?
            change = threads.check(run.step, run.epoch)
            if change is not None and plan.verbose:
                tqdm.write(change)
        if run.stop_requested:  # Ctrl-C: stop at this step boundary
            raise KeyboardInterrupt


def _end_epoch(network: Network, run: TrainingRun, plan: _Plan, start: float) -> bool:
    """Evaluate, record and print the epoch just trained; True if a callback asks to stop."""
    scores: dict[str, float | None] = {"loss": None, "accuracy": None}
    if plan.validation_data is not None:
        scores = network.evaluate(*plan.validation_data)
    epoch, n = run.epoch, run.n
    run.close_epoch(
        {
            "epoch": epoch,
            "loss": run.loss_sum / n,
            "accuracy": run.correct / n if run.labels is not None else None,
            "val_loss": scores["loss"],
            "val_accuracy": scores["accuracy"],
            "seconds": time.perf_counter() - start,
        }
    )
    if plan.verbose:
        tqdm.write(epoch_line(run.history, plan.epochs, plan.validation_name))
    stop = False
    for cb in plan.callbacks:  # every callback hears of the epoch, even after one said stop
        stop = bool(cb.on_epoch_end(network, epoch, run.history)) or stop
    if run.stop_requested:
        raise KeyboardInterrupt
    if not stop:  # (finish writes the last one)
        run.epoch_done()  # the checkpoint of the epoch's end, the callbacks' state included
    return stop

"""Data parallelism over the mini-batch (``fit(..., workers=N)``, ``nn.train.parallel``).

The shards' weighted gradients add up to the batch's (float64, to 1e-12 relative) for an MLP,
a CNN and a character LSTM with padded steps; the same seed and workers give the same bits,
whichever thread finishes first; workers=2 trains to weights close to workers=1's; a run
checkpointed and resumed with workers=2 ends with the uninterrupted run's bits; what cannot
be split is refused before any work, naming the layer or loss and why; the BLAS runs on one
thread per worker while training; the command line takes ``--workers`` and says so.
"""

from __future__ import annotations

import threading
import time
import warnings

import numpy as np
import pytest
from conftest import InterruptAt
from threadpoolctl import threadpool_info, threadpool_limits  # the test extra installs it

import nn
from nn.cli import main
from nn.core.loss import value_and_gradient
from nn.train import threads as tp
from nn.train.checkpoint import CheckpointError
from nn.train.parallel import BatchSplit, replica, shard_bounds


@pytest.fixture(autouse=True)
def no_thread_variables(monkeypatch):
    for name in tp.ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(tp, "_MEASURED", {})
    # found again, as in test_threads: a BLAS loaded since (SciPy's) must be limited too
    monkeypatch.setattr(tp, "_CONTROLLER", None)


def weights(net):
    return b"".join(p.tobytes() for _, p, _ in net.parameters())


class Recorder(nn.Optimizer, register=False):
    """An optimizer that keeps a copy of the gradients it is given and updates nothing."""

    def __init__(self):
        super().__init__(1.0)
        self.seen = {}

    def step(self, parameters):
        self.seen = {key: grad.copy() for key, _, grad in parameters}


def split_gradients(net, X, T, workers):
    with BatchSplit(net, workers) as split:
        opt = Recorder()
        _, loss = split.step(X, T, opt)
    return opt.seen, loss


def batch_gradients(net, X, T):
    net = net.copy()
    a = net.forward(X, training=True)
    loss, da = value_and_gradient(net.loss, a, T)
    net.backward(da, need_dx=False)
    return {key: grad.copy() for key, _, grad in net.parameters()}, loss


def mlp_case():
    rng = np.random.default_rng(1)
    net = nn.mlp([5, 7, 3], "tanh", "softmax_cross_entropy", seed=2, dtype=np.float64)
    X = rng.standard_normal((11, 5))
    return net, X, np.eye(3)[rng.integers(0, 3, 11)]


def cnn_case():
    rng = np.random.default_rng(3)
    net = nn.cnn("conv3k3p1 pool2 conv4k3 dense5 dense3", (2, 8, 7), seed=4, dtype=np.float64)
    X = rng.standard_normal((9, 2, 8, 7))
    return net, X, np.eye(3)[rng.integers(0, 3, 9)]


def lstm_case():
    """A character LSTM on sequences of different lengths: padded steps have zero targets,
    and the last two sequences are padding only (a shard of them weighs nothing)."""
    rng = np.random.default_rng(5)
    net = nn.char_rnn(6, cell="lstm", hidden=5, embedding=4, seed=6, dtype=np.float64)
    X = rng.integers(0, 6, (8, 5))
    T = np.eye(6)[rng.integers(0, 6, (8, 5))]
    for row, length in enumerate([5, 3, 4, 1, 2, 5, 0, 0]):
        T[row, length:] = 0.0
    return net, X, T


CASES = {"mlp": mlp_case, "cnn": cnn_case, "lstm": lstm_case}


@pytest.mark.parametrize("workers", [2, 3, 4])
@pytest.mark.parametrize("case", list(CASES))
def test_the_shards_weighted_gradients_add_up_to_the_batch_gradient(case, workers):
    net, X, T = CASES[case]()
    full, full_loss = batch_gradients(net, X, T)
    split, loss = split_gradients(net, X, T, workers)
    assert split.keys() == full.keys()
    for key, g in full.items():
        assert np.abs(g).max() > 0, key  # a gradient of zeros would prove nothing
        assert np.abs(split[key] - g).max() <= 1e-12 * np.abs(g).max(), key
    assert loss == pytest.approx(full_loss, rel=1e-12)


def test_shards_are_array_splits_and_never_empty():
    for n in (1, 2, 5, 7, 64):
        for workers in (1, 2, 3, 8):
            parts = np.array_split(np.arange(n), min(workers, n))
            assert [(p[0], p[-1] + 1) for p in parts] == shard_bounds(n, workers)


def test_a_replica_shares_the_parameters_but_not_gradients_or_workspaces():
    net = nn.char_rnn(6, cell="gru", hidden=5, embedding=4, seed=0)
    twin = replica(net)
    for mine, theirs in zip(net.layers, twin.layers):
        assert theirs.params is mine.params
        for key, grad in theirs.grads.items():
            assert grad is not mine.grads[key] and not grad.any()
    assert twin.layers[1].workspace is not net.layers[1].workspace
    assert twin.loss is not net.loss and net.layers[0] is not twin.layers[0]


# ---------------------------------------------------------------- training with fit
def digits(n=200):
    (X, y), _ = nn.datasets.digits()
    return X[:n].reshape(-1, 1, 28, 28)[:, :, ::2, ::2], y[:n]  # 14 x 14: a fast test


def small_cnn(dtype=np.float32):
    return nn.cnn("conv4k3 pool2 dense16 dense10", (1, 14, 14), seed=0, dtype=dtype)


def train(net, workers, n=200, **kw):
    X, y = digits(n)
    kw = {"epochs": 2, "batch_size": 32, "lr": 0.1, "seed": 1, "verbose": False} | kw
    return net.fit(X.astype(net.dtype), y, workers=workers, **kw)


def test_the_same_seed_and_workers_give_the_same_bits():
    a, b = small_cnn(), small_cnn()
    ha, hb = train(a, 2), train(b, 2)
    assert weights(a) == weights(b) and ha["loss"] == hb["loss"]
    assert weights(a) != weights(small_cnn())  # it trained


def test_workers_1_is_the_step_of_a_run_without_workers():
    a, b = small_cnn(), small_cnn()
    train(a, 1)
    X, y = digits()
    b.fit(X, y, epochs=2, batch_size=32, lr=0.1, seed=1, verbose=False)
    assert weights(a) == weights(b)


def test_workers_2_trains_close_to_workers_1():
    one, two = small_cnn(np.float64), small_cnn(np.float64)
    h1 = train(one, 1, epochs=1, batch_size=64, n=192)
    h2 = train(two, 2, epochs=1, batch_size=64, n=192)
    # 3 steps: the same arithmetic, summed in another order
    for (_, p1, _), (_, p2, _) in zip(one.parameters(), two.parameters()):
        np.testing.assert_allclose(p2, p1, rtol=1e-5, atol=1e-12)
    assert weights(one) != weights(two)  # rounded otherwise, as the docs say
    assert h2["loss"][0] == pytest.approx(h1["loss"][0], rel=1e-9)


class Sleepy(nn.Layer, register=False):
    """The identity, which sleeps in the thread it is told to: the main thread (shard 0)
    or the workers, so that the other shards finish first or last."""

    def __init__(self, in_main):
        super().__init__()
        self.in_main = in_main

    def forward(self, x, *, training=False):
        if training and (threading.current_thread() is threading.main_thread()) == self.in_main:
            time.sleep(0.002)
        return x

    def backward(self, dy):
        return dy


@pytest.mark.parametrize("workers", [2, 3])
def test_the_bits_do_not_depend_on_which_shard_finishes_first(workers):
    runs = []
    for in_main in (True, False):
        net = small_cnn()
        net.layers.insert(0, Sleepy(in_main))
        history = train(net, workers, epochs=1)
        runs.append((weights(net), history["loss"]))
    assert runs[0] == runs[1]


def test_a_diverging_run_with_workers_keeps_the_last_finite_weights():
    net = small_cnn()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.TrainingDiverged)
        history = train(net, 2, lr=1e30)
    assert history["stopped"]["reason"] == "diverged"
    assert all(np.isfinite(p).all() for _, p, _ in net.parameters())


def test_a_checkpointed_run_with_workers_resumes_to_the_uninterrupted_bits(tmp_path):
    whole = small_cnn()
    train(whole, 2, epochs=3, optimizer=nn.SGD(0.1, momentum=0.9), lr=None)
    path = tmp_path / "run.npz"
    net = small_cnn()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.TrainingInterrupted)
        train(net, 2, epochs=3, optimizer=nn.SGD(0.1, momentum=0.9), lr=None,
              checkpoint=path, checkpoint_every=5, callbacks=[InterruptAt(9)])  # fmt: skip
    resumed = small_cnn()
    train(resumed, 2, epochs=3, optimizer=nn.SGD(0.1, momentum=0.9), lr=None,
          checkpoint=path, resume=True)  # fmt: skip
    assert weights(resumed) == weights(whole)
    with pytest.raises(CheckpointError, match="workers=2, and this run has workers=1") as err:
        train(small_cnn(), 1, epochs=3, optimizer=nn.SGD(0.1, momentum=0.9), lr=None,
              checkpoint=path, resume=True)  # fmt: skip
    assert err.value.setting == "workers"


def test_a_checkpoint_without_workers_records_none_and_refuses_a_split_resume(tmp_path):
    path = tmp_path / "run.npz"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.TrainingInterrupted)
        train(small_cnn(), 1, checkpoint=path, callbacks=[InterruptAt(3)])
    with pytest.raises(CheckpointError, match="workers=1, and this run has workers=2"):
        train(small_cnn(), 2, checkpoint=path, resume=True)


# ---------------------------------------------------------------- refused before any work
def refused(net, match, error=ValueError, **kw):
    before = weights(net)
    with pytest.raises(error, match=match):
        train(net, **({"workers": 2} | kw))
    assert weights(net) == before


def test_batch_norm_and_dropout_are_refused_naming_the_layer_and_why():
    net = nn.cnn("conv4k3 bn pool2 dense10", (1, 14, 14), seed=0)
    refused(net, r"layer 1, BatchNorm\(.*mixes the examples of a batch")
    net = nn.cnn("conv4k3 pool2 dropout0.5 dense10", (1, 14, 14), seed=0)
    refused(net, r"layer \d, Dropout\(.*draws random numbers in training .*is_random")


def test_a_carried_recurrent_state_and_an_unknown_loss_are_refused():
    X = np.random.default_rng(0).integers(0, 6, (8, 5))
    T = np.eye(6)[X]
    net = nn.char_rnn(6, cell="rnn", hidden=5, embedding=4, seed=0)
    net.layers[1].initial_state = (np.zeros((8, 5), np.float32),)
    with pytest.raises(ValueError, match=r"layer 1, RNN\(.*carried state.*reset_state"):
        net.fit(X, T, epochs=1, batch_size=8, lr=0.1, verbose=False, workers=2)

    class Summed:  # a duck-typed loss that does not say it is a mean over examples
        def value(self, a, y):
            return float(((a - y) ** 2).sum())

        def gradient(self, a, y):
            return 2 * (a - y)

    net = small_cnn()
    net.loss = Summed()
    refused(net, r"the loss .*Summed.* mean_over_examples")


@pytest.mark.parametrize(
    ("workers", "error", "says"),
    [
        (0, ValueError, "workers must be a positive integer \\(1 or more\\), got 0"),
        (-1, ValueError, "got -1"),
        ("2", TypeError, "workers must be a positive integer, got str '2'"),
        (True, TypeError, "got bool True"),
        (2.0, TypeError, "write 2 instead of 2.0"),
    ],
)
def test_a_bad_workers_value_is_refused(workers, error, says):
    refused(small_cnn(), says, error, workers=workers)


@pytest.mark.parametrize("threads", [2, None])
def test_threads_other_than_auto_or_1_are_refused_with_workers(threads):
    refused(small_cnn(), "threads='auto' or 1", threads=threads)


# ---------------------------------------------------------------- threads and the CLI
def blas_count():
    return max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")


class SeenThreads(nn.Callback):
    def __init__(self):
        self.seen = []

    def on_step_end(self, network, epoch, step, loss):
        self.seen.append(blas_count())


def test_the_blas_runs_one_thread_per_worker_and_is_given_back_after():
    with threadpool_limits(limits=2, user_api="blas"):
        seen, policy = SeenThreads(), nn.train.ThreadPolicy("auto")
        train(small_cnn(), 2, epochs=1, callbacks=[seen], threads=policy)
        assert set(seen.seen) == {1} and blas_count() == 2
    assert policy.summary() == "BLAS threads: 1 per worker, 2 workers (batch split)"


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--epochs", "1", "--quiet", "--batch-size", "32"],
        ["demo", "--epochs", "1", "--quiet"],
        ["diagnose", "--steps", "20", "--no-experiments"],
    ],
    ids=["train", "demo", "diagnose"],
)
def test_each_training_command_takes_workers_and_says_so(argv, capsys):
    assert main([*argv, "--workers", "2"]) in (0, 1)  # diagnose: 1 if it found a problem
    out = capsys.readouterr().out.splitlines()
    assert out.count("BLAS threads: 1 per worker, 2 workers (batch split)") == 1


def test_the_command_line_refuses_bad_workers_before_loading_data(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--workers", "0"])
    assert exit_.value.code == 2
    assert "--workers: expected a number of workers (1, 2, ...), got '0'" in capsys.readouterr().err
    assert main(["train", "--workers", "2", "--threads", "2"]) == 2
    assert "--workers 2 runs each worker's products on 1 BLAS thread" in capsys.readouterr().err
    assert main(["train", "--workers", "2", "--dropout", "0.2", "--epochs", "1"]) == 2
    assert "Dropout" in capsys.readouterr().err


def test_demo_refuses_workers_with_threads_before_any_work(capsys):
    from nn.cli import main

    assert main(["demo", "--workers", "2", "--threads", "2"]) == 2
    err = capsys.readouterr()
    assert "--workers 2 runs each worker's products on 1 BLAS thread" in err.err
    assert "leave --threads out" in err.err and "seed network" not in err.out

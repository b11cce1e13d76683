"""The BLAS thread policy (``nn.train.threads``, ``fit(threads=...)``, ``--threads``).

What auto chooses and why, that a forced count is the one in force while training (as
threadpoolctl reports it) and is undone afterwards, that the same seed and thread count give
the same bits, that auto's trial steps leave the run untouched, and that the command-line
option parses and prints. No timing is asserted: the watch that falls back to one thread is
driven with made-up measurements.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from threadpoolctl import threadpool_info, threadpool_limits  # the test extra installs it

import nn
from nn.cli import main
from nn.cli.options import parse_threads
from nn.train import threads as tp


def blas_count() -> int:
    return max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")


class SeenThreads(nn.Callback):
    """The BLAS thread counts threadpoolctl reports at the end of each step."""

    def __init__(self):
        self.seen: list[int] = []

    def on_step_end(self, network, epoch, step, loss):
        self.seen.append(blas_count())


@pytest.fixture(autouse=True)
def fresh_policy_state(monkeypatch):
    """No thread variable in the environment (auto would leave the BLAS alone), and no
    measurement left over from another test."""
    for name in tp.ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(tp, "_MEASURED", {})
    # found again: a BLAS loaded since an earlier test's fit (SciPy's, by scikit-learn) is
    # one threadpool_limits sets and blas_count reads, so the policy must control it too
    monkeypatch.setattr(tp, "_CONTROLLER", None)


@pytest.fixture
def two_threads():
    """The BLAS on 2 threads for the test, as NumPy starts it on a 2-core machine."""
    with threadpool_limits(limits=2, user_api="blas"):
        if blas_count() != 2:
            pytest.skip("the BLAS cannot run 2 threads here")
        yield


def digits(n=384):
    (X, y), _ = nn.datasets.digits()
    return X[:n], y[:n]


def weights(net):
    return b"".join(p.tobytes() for _, p, _ in net.parameters())


def fit(net, X, y, threads, **kw):
    seen = SeenThreads()
    kw = {"epochs": 1, "batch_size": 64, "lr": 0.5, "seed": 0, "verbose": False} | kw
    net.fit(X, y, threads=threads, callbacks=[seen], **kw)
    return seen.seen


def fake_measurements(monkeypatch, *answers):
    """Make auto's measurements return ``answers`` in turn (the last one from then on)."""
    calls = []

    def measure(network, optimizer, batches, n):
        calls.append(n)
        return answers[min(len(calls), len(answers)) - 1]

    monkeypatch.setattr(tp, "_measure", measure)
    return calls


def fast(n_threads):  # a Measurement in which n_threads wins clearly
    one, many = (1e-3, 5e-3) if n_threads == 1 else (5e-3, 1e-3)
    return tp.Measurement(one, many, 2, tp.time.monotonic())


# ---------------------------------------------------------------- what auto chooses
def test_small_products_run_on_one_thread_without_measuring(two_threads, monkeypatch):
    calls = fake_measurements(monkeypatch, fast(2))
    X, y = digits()
    policy = tp.ThreadPolicy("auto")
    seen = fit(nn.mlp([784, 30, 10], seed=0), X, y, policy, batch_size=10)
    assert set(seen) == {1} and policy.threads == 1 and calls == []
    assert "10 x 784 x 30, is too small" in str(policy)
    assert blas_count() == 2  # given back after training


def test_larger_products_are_measured_and_the_faster_count_is_used(two_threads, monkeypatch):
    X, y = digits()
    for winner in (2, 1):
        monkeypatch.setattr(tp, "_MEASURED", {})
        calls = fake_measurements(monkeypatch, fast(winner))
        policy = tp.ThreadPolicy()
        seen = fit(nn.mlp([784, 100, 10], seed=0), X, y, policy)
        assert set(seen) == {winner} and calls == [2] and policy.threads == winner
        assert str(policy).startswith(f"BLAS threads: {winner} (auto: a step took ")
    fit(nn.mlp([784, 100, 10], seed=1), X, y, "auto")
    assert calls == [2]  # the same shapes again: the process's measurement is reused


def test_a_thread_count_set_in_the_environment_is_left_alone(two_threads, monkeypatch):
    calls = fake_measurements(monkeypatch, fast(1))
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    X, y = digits()
    policy = tp.ThreadPolicy("auto")
    assert set(fit(nn.mlp([784, 100, 10], seed=0), X, y, policy)) == {2} and calls == []
    assert "OPENBLAS_NUM_THREADS=2 is set" in str(policy)


def test_auto_leaves_a_blas_already_on_one_thread_alone(monkeypatch):
    calls = fake_measurements(monkeypatch, fast(2))
    X, y = digits()
    with threadpool_limits(limits=1, user_api="blas"):
        policy = tp.ThreadPolicy("auto")
        assert set(fit(nn.mlp([784, 100, 10], seed=0), X, y, policy)) == {1}
    assert calls == [] and "already set to 1" in str(policy)


def test_a_diverging_trial_chooses_one_thread(two_threads, monkeypatch):
    fake_measurements(monkeypatch, None)
    X, y = digits()
    policy = tp.ThreadPolicy("auto")
    assert set(fit(nn.mlp([784, 100, 10], seed=0), X, y, policy)) == {1}
    assert "diverged in the trial steps" in str(policy)


# ---------------------------------------------------------------- forced counts, bits
@pytest.mark.parametrize("n", [1, 2])
def test_a_forced_thread_count_is_in_force_while_training_and_undone_after(n):
    before = blas_count()
    X, y = digits()
    policy = tp.ThreadPolicy(n)
    assert set(fit(nn.mlp([784, 100, 10], seed=0), X, y, policy)) == {n}
    assert blas_count() == before and str(policy) == f"BLAS threads: {n} (as asked)"


@pytest.mark.parametrize("n", [1, 2])
def test_none_leaves_the_blas_as_the_caller_set_it(n):
    X, y = digits()
    with threadpool_limits(limits=n, user_api="blas"):
        assert set(fit(nn.mlp([784, 100, 10], seed=0), X, y, None)) == {n}


def test_same_seed_and_thread_count_give_the_same_bits():
    X, y = digits()
    runs = {}
    for n in (1, 2, 1, 2):
        net = nn.mlp([784, 100, 10], seed=0)
        fit(net, X, y, n)
        runs.setdefault(n, []).append(weights(net))
    assert runs[1][0] == runs[1][1] and runs[2][0] == runs[2][1]


def test_auto_trains_to_the_bits_of_the_count_it_chose(two_threads, monkeypatch):
    """The trial steps run on copies: the weights, the optimizer and the generators of the
    run are untouched, so auto gives the bits of a forced run on the count it chose."""
    monkeypatch.setattr(tp, "SLOW", float("inf"))  # no second thoughts during this run
    X, y = digits()
    net, opt = nn.mlp([784, 100, 10], dropout=0.2, seed=0), nn.Adam(0.01)
    policy = tp.ThreadPolicy("auto")
    fit(net, X, y, policy, lr=None, optimizer=opt, epochs=2)
    assert policy.reason.startswith("auto: a step took") and policy.changes == []
    again = nn.mlp([784, 100, 10], dropout=0.2, seed=0)
    fit(again, X, y, policy.threads, lr=None, optimizer=nn.Adam(0.01), epochs=2)
    assert weights(again) == weights(net)


@pytest.mark.parametrize("bad", ["two", "", 0, -1, 1.5, True])
def test_a_bad_thread_setting_is_refused_before_any_work(bad):
    X, y = digits(50)
    net = nn.mlp([784, 30, 10], seed=0)
    before = weights(net)
    with pytest.raises((TypeError, ValueError), match="threads"):
        net.fit(X, y, epochs=1, batch_size=10, lr=1.0, threads=bad, verbose=False)
    assert weights(net) == before


# ---------------------------------------------------------------- the watch
def test_the_watch_falls_back_to_one_thread_when_steps_slow_down(two_threads, monkeypatch):
    calls = fake_measurements(monkeypatch, fast(2), fast(1))
    per_step = iter([1e-3, 1e-3, 4e-3, 1e-3, 4e-3, 4e-3])  # seconds per step of each block
    monkeypatch.setattr(tp._Watch, "block_done", lambda self, step: next(per_step))
    X, y = digits()
    net = nn.mlp([784, 100, 10], seed=0)
    T = net.checked_targets(y, len(y))
    policy = tp.ThreadPolicy("auto")
    policy.start(net, nn.SGD(0.5), X, T, 64)
    assert policy.threads == 2 and blas_count() == 2 and calls == [2]
    for step in range(1, 6):  # one slow block is noise; two in a row are not
        assert policy.check(step, epoch=1) is None and blas_count() == 2
    change = policy.check(6, epoch=1)
    assert change is not None and change.startswith("BLAS threads: 1 from epoch 1, step 6")
    assert blas_count() == 1 and calls == [2, 2] and "steps had slowed down" in change
    assert str(policy).startswith("BLAS threads: 2 (auto: a step took") and "; 1 from" in str(
        policy
    )
    policy.stop()
    assert blas_count() == 2


def test_a_measurement_kept_from_an_earlier_run_is_checked_against_the_steps(
    two_threads, monkeypatch
):
    """Steps slow from the first block (the machine got busy since the measurement) are
    compared with the measured step, not only with each other."""
    calls = fake_measurements(monkeypatch, fast(2), fast(1))
    monkeypatch.setattr(tp._Watch, "block_done", lambda self, step: 50e-3)
    X, y = digits()
    net = nn.mlp([784, 100, 10], seed=0)
    policy = tp.ThreadPolicy("auto")
    policy.start(net, nn.SGD(0.5), X, net.checked_targets(y, len(y)), 64)
    assert policy.check(1, epoch=1) is None and policy.check(2, epoch=1) is not None
    assert policy.threads == 1 and calls == [2, 2]
    policy.stop()


def test_when_n_still_wins_the_slower_pace_becomes_the_baseline(two_threads, monkeypatch):
    """A callback that makes every step slower must not make auto measure again and again."""
    calls = fake_measurements(monkeypatch, fast(2))
    monkeypatch.setattr(tp._Watch, "block_done", lambda self, step: 10e-3)
    X, y = digits()
    net = nn.mlp([784, 100, 10], seed=0)
    policy = tp.ThreadPolicy("auto")
    policy.start(net, nn.SGD(0.5), X, net.checked_targets(y, len(y)), 64)
    said = [policy.check(step, epoch=1) for step in range(1, 20)]
    assert policy.threads == 2 and calls == [2, 2]  # measured again once, then held
    # the probe (a block of real steps on 1 thread, as fast) is said and kept: it changes bits
    assert [m for m in said if m] == [said[2]] == [f"BLAS threads: {policy.changes[0]}"]
    assert said[2].startswith("BLAS threads: 1 for steps 2-3, then 2 again (a probe; real")
    assert str(policy).endswith("; " + policy.changes[0])
    policy.stop()


def test_when_the_trial_says_n_but_real_steps_are_faster_on_one_auto_takes_one(
    two_threads, monkeypatch
):
    """Under load a few trial steps can fall in a quiet moment and keep saying N while the
    real steps on N stall (issue 14: 2.1 s epochs of (b) against 0.69 s on 1 thread): a block
    of real steps on 1 thread decides."""
    calls = fake_measurements(monkeypatch, fast(2))
    per_step = iter([5e-3, 5e-3, 1e-3, 1e-3])  # slow on N twice; the probe block on 1 is fast
    monkeypatch.setattr(tp._Watch, "block_done", lambda self, step: next(per_step))
    X, y = digits()
    net = nn.mlp([784, 100, 10], seed=0)
    policy = tp.ThreadPolicy("auto")
    policy.start(net, nn.SGD(0.5), X, net.checked_targets(y, len(y)), 64)
    assert policy.check(1, epoch=1) is None and policy.check(2, epoch=1) is None
    assert calls == [2, 2] and blas_count() == 1  # the trial said 2: real steps on 1 now
    change = policy.check(3, epoch=1)  # the switch is dated from the probe's first step
    assert change is not None and change.startswith("BLAS threads: 1 from epoch 1, step 2")
    assert "real a step took 1 ms on 1 thread, 5 ms on 2" in change and blas_count() == 1
    assert str(policy).startswith("BLAS threads: 2 (auto: a step took 5 ms on 1 thread")
    assert tp._MEASURED[policy._watch.key].best() == 1  # later runs start from what was seen
    assert policy.check(4, epoch=1) is None and policy.threads == 1
    policy.stop()
    assert blas_count() == 2


def test_on_one_thread_the_watch_looks_again_after_a_while(two_threads, monkeypatch):
    calls = fake_measurements(monkeypatch, fast(1), fast(2))
    monkeypatch.setattr(tp._Watch, "block_done", lambda self, step: 1e-3)
    X, y = digits()
    net = nn.mlp([784, 100, 10], seed=0)
    policy = tp.ThreadPolicy("auto")
    policy.start(net, nn.SGD(0.5), X, net.checked_targets(y, len(y)), 64)
    assert policy.threads == 1 and policy.check(1, epoch=1) is None  # not yet
    monkeypatch.setattr(tp, "RECHECK", 0.0)
    change = policy.check(2, epoch=1)
    assert change is not None and change.startswith("BLAS threads: 2 from epoch 1, step 2")
    assert blas_count() == 2 and calls == [2, 2]
    policy.stop()


def test_fit_prints_a_change_of_thread_count_and_trains_on(two_threads, monkeypatch, capsys):
    fake_measurements(monkeypatch, fast(2), fast(1))
    monkeypatch.setattr(tp, "SLOW", 0.0)  # every block after the first counts as slow
    monkeypatch.setattr(tp, "BLOCK", 1e-9)  # and a block is one step
    X, y = digits()
    policy = tp.ThreadPolicy("auto")
    seen = fit(nn.mlp([784, 100, 10], seed=0), X, y, policy, verbose=True)
    assert seen[0] == 2 and seen[-1] == 1 and len(policy.changes) == 1
    printed = capsys.readouterr().out
    assert f"BLAS threads: {policy.changes[0]}" in printed


# ---------------------------------------------------------------- the command line
def test_the_threads_option_parses_auto_and_whole_numbers():
    assert parse_threads("auto") == "auto" and parse_threads("3") == 3
    for bad in ("0", "-2", "two", "1.5", ""):
        with pytest.raises(Exception, match="expected auto or a number of threads"):
            parse_threads(bad)


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--epochs", "1", "--quiet"],
        ["demo", "--epochs", "1", "--quiet"],
        ["diagnose", "--steps", "20", "--no-experiments"],
    ],
    ids=["train", "demo", "diagnose"],
)
def test_each_training_command_takes_threads_and_prints_its_choice(argv, capsys):
    assert main([*argv, "--threads", "1"]) in (0, 1)  # diagnose: 1 if it found a problem
    lines = capsys.readouterr().out.splitlines()
    assert lines.count("BLAS threads: 1 (as asked)") == 1
    main(argv)  # auto, the default: the seed's network is small
    lines = capsys.readouterr().out.splitlines()
    assert len([line for line in lines if line.startswith("BLAS threads: 1 (auto")]) == 1
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--threads", "many"])
    assert exit_.value.code == 2
    assert "--threads: expected auto or a number of threads" in capsys.readouterr().err


def test_without_threadpoolctl_auto_stands_aside_and_a_count_is_refused_before_work():
    # threadpoolctl is the optional extra "threads": the library must train without it
    code = """
import sys
sys.modules["threadpoolctl"] = None  # `import threadpoolctl` now fails
import nn
X, y = nn.datasets.xor()
net = nn.mlp([2, 3, 1], seed=0)
from nn.train.threads import ThreadPolicy
policy = ThreadPolicy("auto")
net.fit(X, y, epochs=2, batch_size=4, lr=1.0, seed=0, verbose=False, threads=policy)
print(policy)
try:
    net.fit(X, y, epochs=1, batch_size=4, lr=1.0, verbose=False, threads=2)
except ValueError as err:
    print("refused:", err)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("BLAS threads: left as they are") and "nn[threads]" in lines[0]
    assert lines[1].startswith("refused: threads=2 needs threadpoolctl")

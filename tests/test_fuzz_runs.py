"""Fuzzing the two other doors into a run: checkpoints, and the command's options.

* Resuming from a mutated or hand-crafted checkpoint raises only
  :class:`nn.CheckpointError`, before any work (the weights are untouched), or resumes a run
  that then trains to finite weights.
* ``nn train``, ``nn diagnose``, ``nn gradcheck`` and ``nn evaluate`` with random options,
  valid and not, in any combination, end with exit status 0, 1 or 2; a 2 is one
  ``nn: error:`` line, never a traceback, and never comes after a training step. The
  datasets are replaced by small random ones of the same shapes, so every example is fast.

The number of examples per test is ``NN_FUZZ_EXAMPLES`` (default 300), as in test_fuzz.py.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
import zipfile
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import nn
import nn.cli
from nn.cli.options import DATASET_CLASSES, DATASET_INPUTS, check_data_dir
from nn.train.checkpoint import CheckpointError

EXAMPLES = int(os.environ.get("NN_FUZZ_EXAMPLES", "300"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=10),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=False,
)
TMP = tempfile.mkdtemp(prefix="nn-fuzz-runs-")


# ---------------------------------------------------------------- checkpoints
def _data():
    rng = np.random.default_rng(0)
    return rng.random((30, 3)).astype(np.float32), rng.integers(0, 3, 30)


class _StopAt(nn.Callback):
    def on_step_end(self, network, epoch, step, loss):
        if step == 9:
            raise KeyboardInterrupt


def _fit(path, **kwargs):
    X, y = _data()
    net = nn.mlp([3, 4, 3], seed=1, dropout=0.2)
    stopper = nn.EarlyStopping(patience=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.TrainingInterrupted)
        h = net.fit(
            X, y, epochs=4, batch_size=4, optimizer=nn.Adam(0.01), seed=5, verbose=False,
            validation_split=0.2, checkpoint=path, callbacks=[stopper, *kwargs.pop("extra", [])],
            **kwargs,
        )  # fmt: skip
    return net, h


def _checkpoint_bytes() -> tuple[bytes, list[int]]:
    path = os.path.join(TMP, "base.npz")
    _fit(path, extra=[_StopAt()])  # mid-epoch 3, with Adam's state and EarlyStopping's
    with open(path, "rb") as f:
        data = f.read()
    with zipfile.ZipFile(path) as z:
        hot = [info.header_offset for info in z.infolist()]
    return data, hot


BASE, HOT = _checkpoint_bytes()


def check_resume(data: bytes) -> None:
    path = os.path.join(TMP, "fuzz.npz")
    with open(path, "wb") as f:
        f.write(data)
    fresh = nn.mlp([3, 4, 3], seed=1, dropout=0.2)
    before = [p.copy() for _, p, _ in fresh.parameters()]
    try:
        with np.errstate(all="ignore"):
            net, history = _fit(path, resume=True)
    except CheckpointError as err:
        event("refused")
        assert "Traceback" not in str(err)
        after = [p for _, p, _ in fresh.parameters()]
        assert all(a.tobytes() == b.tobytes() for a, b in zip(before, after))
        return
    event("resumed")
    assert all(np.isfinite(p).all() for _, p, _ in net.parameters())
    assert history["epoch"] == list(range(1, len(history["epoch"]) + 1))


@st.composite
def mutated(draw):
    data = bytearray(BASE)
    for _ in range(draw(st.integers(1, 4))):
        i = min(len(data) - 1, draw(st.sampled_from(HOT)) + draw(st.integers(0, 200)))
        if draw(st.booleans()):
            data[i] ^= 1 << draw(st.integers(0, 7))
        else:
            data[i] = draw(st.integers(0, 255))
    return bytes(data)


@FUZZ
@given(data=mutated())
def test_resume_from_mutated_checkpoints(data):
    check_resume(data)


json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(), st.text(max_size=4)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(node, prefix=()):
    """Every path into a JSON document, as a tuple of keys and indices."""
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


with np.load(os.path.join(TMP, "base.npz")) as _f:
    _ARRAYS = {k: _f[k] for k in _f.files}
_META = json.loads(_ARRAYS["__nn_checkpoint__"].tobytes())
_PATHS = [p for p in _paths(_META) if p]


@st.composite
def crafted(draw):
    """The real checkpoint with one to three values of its description replaced."""
    meta = json.loads(json.dumps(_META))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_PATHS))
        node = meta
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = draw(json_values)
        except (KeyError, IndexError, TypeError):
            continue
    arrays = dict(_ARRAYS)
    arrays["__nn_checkpoint__"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    path = os.path.join(TMP, "crafted.npz")
    np.savez(path, **arrays)
    with open(path, "rb") as f:
        return f.read()


@FUZZ
@given(data=crafted())
def test_resume_from_checkpoints_with_crafted_descriptions(data):
    check_resume(data)


# ---------------------------------------------------------------- the command's options
def _fake_dataset(name, *, data_dir=None, seed=0):
    """A small random dataset of ``name``'s shapes, every class in both splits."""
    rng = np.random.default_rng(seed)
    n_in, k = DATASET_INPUTS[name], DATASET_CLASSES[name]
    y = np.arange(40) % k
    X = rng.random((40, n_in)).astype(np.float32)
    return (X, y), (X[:20].copy(), y[:20].copy())


numbers = st.sampled_from(["0", "1", "2", "-1", "0.5", "1e-4", "3", "nan", "inf", "x", "1e400"])
fractions = st.sampled_from(["0", "0.1", "0.5", "0.9", "1.0", "-0.1", "nan", "2", "abc"])
OPTIONS = {
    "--dataset": st.sampled_from(sorted(DATASET_CLASSES)),  # the dense ones (not names)
    "--sizes": st.sampled_from(["784,30,10", "2,8,1", "2,4,3", "2,0,1", "784,1000000000,10",
                                "3", "a,b", "2,3,3,1"]),
    "--activation": st.sampled_from(["sigmoid", "relu", "tanh", "softmax", "leaky_relu"]),
    "--output-activation": st.sampled_from(["sigmoid", "softmax", "identity", "relu"]),
    "--loss": st.sampled_from(["squared_error", "cross_entropy", "categorical_cross_entropy",
                               "softmax_cross_entropy"]),
    "--init": st.sampled_from(["normal", "he_normal", "glorot_uniform"]),
    "--batch-size": numbers,
    "--optimizer": st.sampled_from(["sgd", "momentum", "nesterov", "adam", "rmsprop"]),
    "--lr": numbers,
    "--momentum": st.sampled_from(["0", "0.5", "0.9", "1", "-0.5", "nan"]),
    "--weight-decay": numbers,
    "--clip-norm": numbers,
    "--dropout": fractions,
    "--seed": st.sampled_from(["0", "1", "-1"]),
    "--dtype": st.sampled_from(["float32", "float64"]),
    "--standardize": st.just(None),
    "--data-dir": st.sampled_from(["/nonexistent", "/tmp"]),
}  # fmt: skip
TRAIN = {
    "--epochs": st.sampled_from(["1", "2", "0", "-1"]),
    "--schedule": st.sampled_from(["constant", "cosine", "step:1", "step:1:0.5", "step:0",
                                   "step:x", "linear"]),
    "--validation-split": fractions,
    "--early-stopping": st.sampled_from(["0", "1", "2", "-3"]),
    "--checkpoint-every": st.sampled_from(["1", "5", "0"]),
    "--quiet": st.just(None),
}  # fmt: skip
DIAGNOSE = {
    "--every": st.sampled_from(["1", "5", "0"]),
    "--probe-size": st.sampled_from(["5", "0"]),
    "--no-experiments": st.just(None),
}
GRADCHECK = {
    "--sizes": st.sampled_from(["3,2", "5,4,3", "0,1", "x", "5,100000000,3"]),
    "--activation": st.sampled_from(["sigmoid", "relu", "tanh"]),
    "--loss": st.sampled_from(["squared_error", "cross_entropy"]),
    "--batch": st.sampled_from(["3", "0", "-1"]),
    "--eps": st.sampled_from(["1e-5", "0", "-1", "nan"]),
    "--tol": st.sampled_from(["1e-6", "-1", "nan"]),
    "--seed": st.sampled_from(["0", "-1"]),
    "--max-entries": st.sampled_from(["3", "0"]),
}
FILES = ["model", "checkpoint", "missing", "garbage", "directory"]


@st.composite
def command_lines(draw):
    command = draw(st.sampled_from(["train", "train", "diagnose", "gradcheck", "evaluate"]))
    table = {
        "train": {**OPTIONS, **TRAIN},
        "diagnose": {**OPTIONS, **DIAGNOSE},
        "gradcheck": GRADCHECK,
        "evaluate": {"--dataset": OPTIONS["--dataset"]},
    }[command]
    argv = [command]
    for option in draw(st.lists(st.sampled_from(sorted(table)), max_size=6, unique=True)):
        value = draw(table[option])
        argv += [option] if value is None else [option, value]
    files = {}
    if command == "train":
        for option in ("--save", "--checkpoint"):
            if draw(st.booleans()):
                files[option] = draw(st.sampled_from(FILES))
        if "--checkpoint" in files and draw(st.booleans()):
            argv.append("--resume")
    elif command == "diagnose":
        argv += ["--steps", draw(st.sampled_from(["1", "5", "0"]))]
        if draw(st.booleans()):
            files["--model"] = draw(st.sampled_from(FILES))
    elif command == "gradcheck" and draw(st.booleans()):
        files["--model"] = draw(st.sampled_from(FILES))
    elif command == "evaluate":
        files[None] = draw(st.sampled_from(FILES))
    return argv, files


def _file(kind: str, directory: str) -> str:
    path = os.path.join(directory, f"{kind}.npz")
    if kind == "model" and not os.path.exists(path):
        nn.mlp([2, 8, 1], seed=0).save(path)
    elif kind == "checkpoint" and not os.path.exists(path):
        X, y = _fake_dataset("moons")[0]
        nn.mlp([2, 30, 1], seed=0).fit(X, y, epochs=1, batch_size=10, lr=3.0, seed=0,
                                       verbose=False, checkpoint=path)  # fmt: skip
    elif kind == "garbage":
        with open(path, "wb") as f:
            f.write(b"not a zip file")
    elif kind == "directory":
        os.makedirs(path, exist_ok=True)
    return path


@pytest.fixture
def fake_data(monkeypatch):
    """Small random datasets in place of the real ones, and a count of the steps trained."""
    calls = {"load": 0, "steps": 0}
    for module in ("nn.cli.train", "nn.cli.diagnose", "nn.cli.evaluate"):
        monkeypatch.setattr(f"{module}.load_dataset", _checked_fake(calls))
    real_step = nn.Network.train_step

    def train_step(self, *args, **kwargs):
        calls["steps"] += 1
        return real_step(self, *args, **kwargs)

    monkeypatch.setattr(nn.Network, "train_step", train_step)
    return calls


def _checked_fake(calls):
    def load(name, *, data_dir=None, seed=0):
        calls["load"] += 1
        check_data_dir(name, data_dir)  # the real loader's own checks; never a download here
        return _fake_dataset(name, seed=seed)

    return load


@FUZZ
@given(case=command_lines())
def test_the_command_on_random_options(case, fake_data, capsys):
    argv, files = case
    directory = tempfile.mkdtemp(dir=TMP)
    for option, kind in files.items():
        path = _file(kind, directory)
        argv = [*argv, path] if option is None else [*argv, option, path]
    fake_data["load"] = fake_data["steps"] = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            status = nn.cli.main(argv)
    except SystemExit as exit_:  # argparse's own refusal (an unknown choice, a non-number)
        assert exit_.code == 2
        event("argparse")
        capsys.readouterr()
        return
    err = capsys.readouterr().err
    event(f"status {status}")
    assert status in (0, 1, 2), (argv, status, err)
    assert "Traceback" not in err, (argv, err)
    if status == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("nn: error: "), (argv, err)
        assert fake_data["steps"] == 0, ("refused after training began", argv, err)

"""Class 4 of issue 13: files are opened only when regular and within their limits, and every
number of a description is checked.

Before: ``nn.load('/dev/zero')`` read until memory ran out and a FIFO hung; a 393 KB model
file declaring a 404 MB layer peaked at 1.6 GB while loading; a LeakyReLU alpha of NaN loaded
and made predict return NaN; a hand-edited checkpoint was accepted and failed later.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import textwrap
import threading
import warnings

import numpy as np
import pytest

import nn
import nn.cli
from nn.datasets import IDXError, read_idx
from nn.io.model_file import describe
from nn.io.npz import json_bytes
from nn.train.checkpoint import CheckpointError


def finishes(call, seconds=20.0):
    """``call()``'s exception (or None), failing the test if it does not return in time."""
    outcome: list[BaseException | None] = []

    def run():
        try:
            call()
            outcome.append(None)
        except BaseException as err:  # noqa: BLE001 - handed to the test
            outcome.append(err)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, "hung"
    return outcome[0]


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.npz"
    os.mkfifo(path)
    return path


@pytest.mark.skipif(not os.path.exists("/dev/zero") or not hasattr(os, "mkfifo"), reason="posix")
def test_devices_and_fifos_are_refused_without_reading(fifo, capsys):
    for path in ("/dev/zero", fifo):
        err = finishes(lambda p=path: nn.load(p))
        assert isinstance(err, nn.ModelFileError) and "not a regular file" in str(err), err
        err = finishes(lambda p=path: read_idx(p))
        assert isinstance(err, IDXError) and "not a regular file" in str(err), err
    X, y = np.ones((4, 2), np.float32), np.array([0, 1, 1, 0])
    err = finishes(lambda: nn.mlp([2, 3, 1]).fit(X, y, epochs=1, batch_size=2, lr=1.0,
                                               resume=fifo, verbose=False))  # fmt: skip
    assert isinstance(err, ValueError) and "not a regular file" in str(err), err
    assert nn.cli.main(["evaluate", "/dev/zero"]) == 2
    assert "is a character device, not a regular file" in capsys.readouterr().err


def test_a_file_larger_than_its_limit_or_with_a_huge_zip_directory_is_refused(tmp_path):
    path = tmp_path / "m.npz"
    nn.mlp([3, 4, 2], seed=0).save(path)
    data = path.read_bytes()
    padded = tmp_path / "padded.npz"
    with open(padded, "wb") as f:  # a zip may start anywhere: 11 MiB of (sparse) padding first
        f.seek(11 << 20)
        f.write(data)
    with pytest.raises(nn.ModelFileError, match="bytes, more than the 10,241,000 accepted"):
        nn.load(padded, max_bytes=1000)  # 1000 bytes of arrays: no file of over 10 MB
    end = data.rfind(b"PK\x05\x06")
    claims = data[: end + 10] + struct.pack("<HI", 60000, 600_000_000) + data[end + 16 :]
    (tmp_path / "claims.npz").write_bytes(claims)
    with pytest.raises(nn.ModelFileError, match="has 60,000 entries; the limit is 10,000"):
        nn.load(tmp_path / "claims.npz")


PEAK = textwrap.dedent(
    """
    import gc, sys
    import numpy as np
    import nn

    def kb(field):
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))

    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the high-water mark of the resident set
    base = kb("VmRSS")
    net = nn.load(sys.argv[1])
    declared = sum(p.nbytes for _, p, _ in net.parameters())
    print((kb("VmHWM") - base) * 1024, declared)
    """
)


def _declaring(layer, config):
    """A compressed model file of ``layer`` whose config says ``config``, its parameters
    all zeros of the sizes that config declares (the file holds a few KB)."""
    net = nn.Network([layer], nn.SquaredError())
    description = describe(net)
    description["layers"][0]["config"] |= config
    shapes = type(layer).param_shapes(**description["layers"][0]["config"])
    arrays = {f"0.{k}": np.zeros(shape, np.float32) for k, shape in shapes.items()}
    return description, arrays


LARGE = {  # each about 80 MB of float32
    "Dense": lambda: _declaring(nn.Dense(1000, 2, rng=0), {"n_out": 20000}),
    "LSTM": lambda: _declaring(nn.LSTM(1000, 2, rng=0), {"n_hidden": 3000}),
    "Embedding": lambda: _declaring(nn.Embedding(5, 2, rng=0), {"n_tokens": 80000, "n_out": 250}),
}


@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="Linux only")
@pytest.mark.parametrize("kind", sorted(LARGE))
def test_loading_costs_the_memory_the_file_declares_not_more(tmp_path, kind):
    """A compressed file of about 80 MB of zeros (KBs on disk): the load's peak resident
    memory stays within 1.5x of what it declares (before: 4x for Dense, random float64
    weights drawn first and then replaced)."""
    description, arrays = LARGE[kind]()
    path = tmp_path / "big.npz"
    np.savez_compressed(path, **arrays, __nn_model__=json_bytes(description))
    expected = sum(a.nbytes for a in arrays.values())
    del arrays
    assert path.stat().st_size < 1 << 20 and expected > 70 * 2**20
    out = subprocess.run([sys.executable, "-c", PEAK, str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    peak, declared = map(int, out.stdout.split())
    assert declared == expected
    assert peak <= 1.5 * declared, f"peak {peak / 2**20:.0f} MiB for {declared / 2**20:.0f} MiB"


def model_with(tmp_path, layer_config, layer_type="LeakyReLU"):
    """A saved [Dense, <layer>] model whose layer's config is replaced by ``layer_config``
    (raw JSON text, so 1e999 and strings are written as an attacker would)."""
    net = nn.Network([nn.Dense(2, 3, rng=0), nn.LeakyReLU()], nn.SquaredError())
    description = describe(net)
    description["layers"][1] = {"type": layer_type, "config": "CONFIG"}
    text = json.dumps(description).replace('"CONFIG"', layer_config)
    path = tmp_path / "m.npz"
    arrays = {k: p for k, p, _ in net.parameters()}
    np.savez(path, **arrays, __nn_model__=np.frombuffer(text.encode(), np.uint8))
    return path


@pytest.mark.parametrize(
    ("config", "layer", "says"),
    [
        ('{"alpha": "nan"}', "LeakyReLU", "alpha must be a number"),
        ('{"alpha": "-inf"}', "LeakyReLU", "alpha must be a number"),
        ('{"alpha": 1e999}', "LeakyReLU", "out of range"),
        ('{"alpha": -0.5}', "LeakyReLU", "alpha must be a finite number in \\[0, 1\\)"),
        ('{"rate": "0.5"}', "Dropout", "rate .* must be a number"),
        ('{"rate": 1e999}', "Dropout", "out of range"),
    ],
)
def test_every_number_of_a_model_description_is_checked(tmp_path, config, layer, says):
    with pytest.raises(nn.ModelFileError, match=says):
        nn.load(model_with(tmp_path, config, layer))


# ---------------------------------------------------------------- checkpoints, hand-edited
def run(path, **kwargs):
    rng = np.random.default_rng(0)
    X, y = rng.random((40, 4)).astype(np.float32), rng.integers(0, 3, 40)
    net = nn.mlp([4, 5, 3], seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.TrainingInterrupted)
        net.fit(X, y, epochs=3, batch_size=8, optimizer=nn.SGD(0.5, momentum=0.9), seed=2,
                verbose=False, checkpoint=path, **kwargs)  # fmt: skip
    return net


class StopAt(nn.Callback):
    def on_step_end(self, network, epoch, step, loss):
        if step == 7:
            raise KeyboardInterrupt


def edit(path, change):
    """Rewrite the checkpoint at ``path`` with ``change(meta, arrays)`` applied."""
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    meta = json.loads(arrays["__nn_checkpoint__"].tobytes())
    change(meta, arrays)
    arrays["__nn_checkpoint__"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(path, **arrays)


def _set(keys, value):
    def change(meta, arrays):
        node = meta
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value

    return change


EDITS = [
    ("optimizer state of the wrong shape",
     lambda m, a: a.__setitem__("opt/0.W/velocity", np.zeros((5, 4), np.float32)), "not"),
    ("NaN velocity",
     lambda m, a: a.__setitem__("opt/0.W/velocity", np.full((4, 5), np.nan, np.float32)),
     "NaN or infinite"),
    ("velocity of some parameters only",
     lambda m, a: m["optimizer"]["state"].pop("0.b"), "some parameters only"),
    ("a string loss sum", _set(["position", "loss_sum"], "1.5"), "not a number"),
    ("a NaN loss sum", _set(["position", "loss_sum"], float("nan")), "not a finite number"),
    ("a step that does not match the position", _set(["position", "step"], 3), "says step 3"),
    ("a negative epoch", _set(["position", "epoch"], -1), "not an integer"),
    ("a history loss that is a string", _set(["history", "loss"], []), "one entry per epoch"),
    ("a finish of an unknown kind", _set(["position", "finished"], "x"), "finished by 'x'"),
    ("a generator state for a layer without one",
     _set(["layer_rngs"], {"0": {"bit_generator": "PCG64"}}), "draws no random numbers"),
    ("an array the description does not mention",
     lambda m, a: a.__setitem__("extra", np.zeros(3)), "does not mention"),
    ("an unknown bit generator", _set(["rng", "bit_generator"], "Evil"), "random generator"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "change", "says"), EDITS, ids=[e[0] for e in EDITS])
def test_a_hand_edited_checkpoint_is_refused_before_any_work(tmp_path, what, change, says):
    path = tmp_path / "ck.npz"
    run(path, callbacks=[StopAt()])
    edit(path, change)
    with pytest.raises(CheckpointError, match=says):
        run(path, resume=True, callbacks=[StopAt()])


def test_a_history_with_a_string_in_it_is_refused(tmp_path):
    path = tmp_path / "ck.npz"
    run(path)  # three epochs done: three rows

    def change(meta, arrays):
        meta["history"]["loss"][1] = "0.5"

    edit(path, change)
    with pytest.raises(CheckpointError, match="a history loss is '0.5', not a number"):
        run(path, resume=True)

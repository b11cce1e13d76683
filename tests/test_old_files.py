"""Files written by nn 0.1.0 before the package was reorganised still load and resume.

``tests/data`` holds a model and a checkpoint that the code of that time wrote (made with
the commit before the layout moved into folders: ``nn.mlp([2, 3, 1], seed=0)`` trained 5
epochs on XOR and saved; ``nn.mlp([2, 8, 2], "relu", "softmax_cross_entropy", seed=1,
dropout=0.1)`` trained on ``moons(seed=0)`` with ``Adam(0.01)``, batches of 16, seed 3,
stopped after epoch 3 of 6 with a checkpoint), with the predictions of the model and the
final weights of the uninterrupted 6-epoch run, as that code computed them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

import nn

DATA = Path(__file__).resolve().parent / "data"


def test_a_model_saved_before_loads_and_predicts_the_same_bits():
    net = nn.load(DATA / "model_v0_1_xor.npz")
    X, _ = nn.datasets.xor()
    expected = np.load(DATA / "model_v0_1_xor_predictions.npy")
    assert np.array_equal(net.predict(X), expected)
    assert net.metadata == {"dataset": "xor"}


def test_a_checkpoint_written_before_resumes_to_the_uninterrupted_runs_bits(tmp_path):
    path = tmp_path / "ck.npz"
    shutil.copy(DATA / "checkpoint_v0_1_moons.npz", path)
    X, y = nn.datasets.moons(seed=0)
    net = nn.mlp([2, 8, 2], "relu", "softmax_cross_entropy", seed=1, dropout=0.1)
    history = net.fit(
        X, y, epochs=6, batch_size=16, optimizer=nn.Adam(0.01), seed=3, verbose=False,
        checkpoint=path, resume=True,
    )  # fmt: skip
    assert history["epoch"] == [1, 2, 3, 4, 5, 6]
    final = np.load(DATA / "checkpoint_v0_1_moons_final.npz")
    for key, param, _ in net.parameters():
        assert np.array_equal(final[key], param), key

"""Measurements of nn.diagnostics.measure against hand computations on a [1, 1, 1] sigmoid net."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest

import nn
from nn.diagnostics.measure import (
    Diagnostics,
    dense_layers,
    guessing_loss,
    layer_stats,
    speed_of_learning,
)
from nn.layers.activations import Activation


def sig(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def tiny() -> nn.Network:
    """x -> sigmoid(1 x - 1) -> sigmoid(2 a - 1), in float64.

    On x = 1 both weighted inputs are 0, so every activation is 1/2 and sigma' = 1/4: the
    numbers below are worked out with pencil and paper.
    """
    d1, d2 = nn.Dense(1, 1, dtype=np.float64), nn.Dense(1, 1, dtype=np.float64)
    d1.params["W"][:] = 1.0
    d1.params["b"][:] = -1.0
    d2.params["W"][:] = 2.0
    d2.params["b"][:] = -1.0
    return nn.Network([d1, nn.Sigmoid(), d2, nn.Sigmoid()], nn.SquaredError())


X1, Y1 = np.array([[1.0]]), np.array([[1.0]])
PROBE_X, PROBE_Y = np.array([[1.0], [7.0]]), np.array([[1.0], [0.0]])


def one_step(lr: float = 1.0, optimizer=None, every: int = 1) -> Diagnostics:
    diag = Diagnostics(PROBE_X, PROBE_Y, every=every)
    net = tiny()
    kwargs = {"optimizer": optimizer} if optimizer is not None else {"lr": lr}
    net.fit(X1, Y1, epochs=1, batch_size=1, verbose=False, callbacks=[diag], **kwargs)
    return diag


def test_gradient_norms_and_update_ratio_match_hand_computation():
    # a2 = 1/2, y = 1: dC/da2 = a2 - y = -1/2; delta2 = -1/2 * 1/4 = -1/8 (BP1)
    # delta1 = delta2 * W2 * sigma'(z1) = -1/8 * 2 * 1/4 = -1/16 (BP2)
    # dW2 = a1 delta2 = -1/16, dW1 = x delta1 = -1/16 (BP4); with eta = 1, W1: 1 -> 1 + 1/16
    # and W2: 2 -> 2 + 1/16, so the update ratios are 1/16 and 1/32.
    diag = one_step(lr=1.0)
    assert [r["step"] for r in diag.records] == [0, 1]
    layer1, layer2 = diag.records[1]["layers"]
    assert layer2["delta_norm"] == pytest.approx(1 / 8, rel=1e-12)
    assert layer1["delta_norm"] == pytest.approx(1 / 16, rel=1e-12)
    assert layer2["grad_W_norm"] == pytest.approx(1 / 16, rel=1e-12)
    assert layer1["grad_W_norm"] == pytest.approx(1 / 16, rel=1e-12)
    assert layer1["update_ratio"] == pytest.approx(1 / 16, rel=1e-12)
    assert layer2["update_ratio"] == pytest.approx(1 / 32, rel=1e-12)
    assert layer1["W_norm"] == pytest.approx(1 + 1 / 16, rel=1e-12)  # after the step
    assert diag.records[1]["loss"] == pytest.approx(0.5 * 0.25, rel=1e-12)
    assert diag.step_losses == [pytest.approx(0.125, rel=1e-12)]
    # step 0 holds the initial network: no gradient yet, W as initialized
    first = diag.records[0]["layers"]
    assert first[0]["delta_norm"] is None and first[0]["W_norm"] == 1.0


def test_activation_statistics_on_the_probe_batch_match_hand_computation():
    diag = one_step()
    (layer1, layer2), r = diag.records[0]["layers"], diag.records[0]
    # probe x = 1, 7: z1 = 0, 6 (spread 3), a1 = 1/2, sigmoid(6) = 0.9975 (saturated: > 0.99)
    a1 = np.array([0.5, sig(6)])
    assert layer1["z_std"] == pytest.approx(3.0, rel=1e-12)
    assert layer1["act_mean"] == pytest.approx(a1.mean(), rel=1e-12)
    assert layer1["act_std"] == pytest.approx(a1.std(), rel=1e-12)
    assert layer1["saturated"] == 0.5 and layer1["dead"] is None
    # z2 = 2 a1 - 1 = 0 and 2 sigmoid(6) - 1 = 0.995, a2 = 1/2 and sigmoid(0.995): none saturated
    a2 = np.array([0.5, sig(2 * sig(6) - 1)])
    assert layer2["act_mean"] == pytest.approx(a2.mean(), rel=1e-12)
    assert layer2["saturated"] == 0.0
    assert r["probe_loss"] == pytest.approx(0.5 * ((a2[0] - 1) ** 2 + a2[1] ** 2) / 2, rel=1e-12)
    assert r["probe_accuracy"] == 0.0  # 0.5 is not above 0.5: class 0 (wrong); a2[1] > 0.5 (wrong)
    assert r["wrong_saturated"] == 0.0


def test_loss_of_guessing_and_initial_loss():
    diag = one_step()
    # targets 1 and 0: guessing outputs their mean 1/2 for both, 1/2 * (1/2)^2 = 1/8 each
    assert diag.reference["guess_loss"] == pytest.approx(0.125, rel=1e-12)
    assert diag.reference["chance_accuracy"] == 0.5
    assert diag.reference["init_loss"] == diag.records[0]["probe_loss"]
    # ten equally common classes under the squared error: 1/2 (1 - 10 * (1/10)^2) = 0.45
    T = np.eye(10)[np.arange(1000) % 10]
    assert guessing_loss(nn.SquaredError(), T) == pytest.approx(0.45, rel=1e-12)
    # unequal classes: p = (0.75, 0.25): 1/2 (1 - 0.75^2 - 0.25^2) = 0.1875
    T = np.eye(2)[[0, 0, 0, 1]]
    assert guessing_loss(nn.SquaredError(), T) == pytest.approx(0.1875, rel=1e-12)


class Doubled(nn.Optimizer):
    """Not plain SGD: each step moves a parameter by 2 eta grad + 0.01 eta."""

    def step(self, parameters):
        for _key, param, grad in parameters:
            param -= self.lr * (2 * grad + 0.01)


def test_update_ratio_is_the_real_change_for_any_optimizer():
    diag = one_step(optimizer=Doubled(1.0))
    layer1, layer2 = diag.records[1]["layers"]
    assert layer1["update_ratio"] == pytest.approx(abs(2 * (-1 / 16) + 0.01) / 1, rel=1e-12)
    assert layer2["update_ratio"] == pytest.approx(abs(2 * (-1 / 16) + 0.01) / 2, rel=1e-12)


def test_recording_schedule_and_history():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 3)), rng.integers(0, 2, size=20)
    net = nn.mlp([3, 4, 1], seed=0, dtype=np.float64)
    diag = Diagnostics(X[:8], y[:8], every=3)
    history = net.fit(X, y, epochs=1, batch_size=2, lr=0.5, verbose=False, callbacks=[diag])
    assert [r["step"] for r in diag.records] == [0, 1, 3, 6, 9]
    assert history["diagnostics"] is diag.records
    assert len(diag.step_losses) == 10
    steps, values = diag.series("delta_norm", 2)
    assert list(steps) == [0, 1, 3, 6, 9] and math.isnan(values[0]) and np.all(values[1:] > 0)


def test_training_with_diagnostics_is_bit_identical():
    (X, y), (Xt, yt) = nn.datasets.digits()
    nets = [nn.mlp([784, 30, 10], seed=3) for _ in range(2)]
    nets[0].fit(X[:500], y[:500], epochs=2, batch_size=10, lr=3.0, seed=1, verbose=False)
    diag = Diagnostics(Xt[:100], yt[:100], every=7)
    kw = dict(epochs=2, batch_size=10, lr=3.0, seed=1, verbose=False, callbacks=[diag])
    nets[1].fit(X[:500], y[:500], **kw)
    for (_, a, _), (_, b, _) in zip(nets[0].parameters(), nets[1].parameters()):
        assert np.array_equal(a, b)


def test_speed_of_learning_is_the_norm_of_the_averaged_bias_gradient():
    net = tiny()
    speeds = speed_of_learning(net, np.array([[1.0], [1.0]]), np.array([[1.0], [1.0]]))
    np.testing.assert_allclose(speeds, [1 / 16, 1 / 8], rtol=1e-12)  # the mean, not the sum
    assert [i.name for i in dense_layers(net)] == ["1-1 Sigmoid", "1-1 Sigmoid"]


class ReLU(Activation):
    """A stand-in rectifier without the traits: its class name alone means nothing."""

    function = staticmethod(lambda z: np.maximum(z, 0))
    derivative = staticmethod(lambda z: (z > 0).astype(z.dtype))


class Clipped(Activation):
    """Any activation can declare its saturation range and whether its units can die."""

    saturation_range = (-0.5, 0.5)
    can_die = True
    function = staticmethod(lambda z: np.clip(z, -1, 1))
    derivative = staticmethod(lambda z: (np.abs(z) < 1).astype(z.dtype))


def test_dead_and_saturated_units_by_trait_never_by_class_name():
    z = np.array([[-1.0, 2.0, -3.0], [-2.0, -1.0, 0.25]])
    stats = layer_stats(ReLU(), z, ReLU.function(z))
    assert stats["dead"] is None and stats["saturated"] is None  # no traits: nothing assumed
    assert nn.mlp([2, 2], "relu").layers[1].can_die  # "relu" is still the library's ReLU
    stats = layer_stats(nn.ReLU(), z, ReLU.function(z))
    assert stats["dead"] == pytest.approx(1 / 3)  # only unit 0 is 0 on both examples
    stats = layer_stats(Clipped(), z, Clipped.function(z))
    assert stats["saturated"] == pytest.approx(5 / 6) and stats["dead"] == pytest.approx(1 / 3)
    stats = layer_stats(None, z, z)  # a linear layer: neither
    assert stats["saturated"] is None and stats["dead"] is None


def test_tanh_saturation_and_relu_deaths_with_the_library_layers():
    z = np.array([[-3.0, 0.5, 3.0], [-0.1, -2.0, 2.4]])
    stats = layer_stats(nn.Tanh(), z, np.tanh(z))
    # |tanh| > 0.98 where |z| > 2.30: -3, 3 and 2.4 of the six entries (-2 is not)
    assert stats["saturated"] == pytest.approx(3 / 6)
    stats = layer_stats(nn.ReLU(), z, np.maximum(z, 0))
    assert stats["dead"] == pytest.approx(1 / 3) and stats["saturated"] is None
    assert layer_stats(nn.LeakyReLU(), z, z)["dead"] is None  # leaky units never die


def test_guessing_loss_of_the_cross_entropies():
    T = np.eye(10)[np.arange(1000) % 10]
    # softmax on logits: the entropy of the labels, ln 10
    assert guessing_loss(nn.SoftmaxCrossEntropy(), T) == pytest.approx(math.log(10), rel=1e-6)
    assert guessing_loss(nn.CategoricalCrossEntropy(), T) == pytest.approx(math.log(10), rel=1e-6)
    # sigmoid outputs, each unit a yes/no question: 10 binary entropies of p = 0.1
    h = -(0.1 * math.log(0.1) + 0.9 * math.log(0.9))
    assert guessing_loss(nn.CrossEntropy(), T) == pytest.approx(10 * h, rel=1e-6)


def test_probe_accuracy_of_a_network_that_outputs_logits():
    X, y = nn.datasets.spirals(seed=0)
    net = nn.mlp([2, 16, 3], "relu", "softmax_cross_entropy", init="he_normal", seed=0)
    diag = Diagnostics(X, y, every=45)  # 30 steps per epoch: the last record is the end
    net.fit(X, y, epochs=3, batch_size=10, lr=0.1, seed=0, verbose=False, callbacks=[diag])
    assert diag.records[-1]["step"] == 90
    assert diag.records[-1]["probe_accuracy"] == pytest.approx(net.evaluate(X, y)["accuracy"])
    assert diag.records[-1]["wrong_saturated"] is None  # no output activation: logits
    assert [i.name for i in dense_layers(net)] == ["2-16 ReLU", "16-3 linear"]


def test_csv_and_json_exports(tmp_path):
    diag = one_step()
    diag.to_csv(tmp_path / "d.csv")
    with open(tmp_path / "d.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4  # 2 records x 2 layers
    assert rows[0]["delta_norm"] == "" and float(rows[3]["delta_norm"]) == pytest.approx(1 / 8)
    assert float(rows[3]["update_ratio"]) == pytest.approx(1 / 32)
    assert float(rows[0]["guess_loss"]) == pytest.approx(0.125)
    diag.records[1]["layers"][0]["update_ratio"] = math.inf  # JSON has no infinity: null
    diag.to_json(tmp_path / "d.json")
    data = json.loads((tmp_path / "d.json").read_text())
    assert set(data) == {"reference", "records", "step_losses"}
    assert data["records"][1]["layers"][0]["update_ratio"] is None
    assert data["records"][1]["layers"][1]["delta_norm"] == pytest.approx(1 / 8)


def test_bad_arguments_say_what_to_do():
    with pytest.raises(ValueError, match="every"):
        Diagnostics(PROBE_X, PROBE_Y, every=0)
    with pytest.raises(ValueError, match="empty"):
        Diagnostics(PROBE_X[:0], PROBE_Y[:0])
    diag = Diagnostics(np.zeros((2, 5)), PROBE_Y)
    with pytest.raises(ValueError, match="probe X"):
        tiny().fit(X1, Y1, epochs=1, batch_size=1, lr=1.0, verbose=False, callbacks=[diag])


def test_nielsen_ch5_pattern_each_earlier_layer_learns_several_times_slower():
    """Nielsen's table (0.003, 0.017, 0.070, 0.285): about 4-5x per layer, ~1/100 overall."""
    (X, y), _ = nn.datasets.digits()
    speeds = np.mean(
        [
            speed_of_learning(nn.mlp([784, 30, 30, 30, 30, 10], seed=s), X[:1000], y[:1000])
            for s in range(5)
        ],
        axis=0,
    )
    hidden = speeds[:-1]
    steps = hidden[1:] / hidden[:-1]
    assert np.all((steps > 3) & (steps < 8)), steps
    assert 50 < hidden[-1] / hidden[0] < 200

"""Layers of any shape: a network on ``(batch, C, H, W)`` images, built from a layer written
only in this file (and the library's ``nn.Flatten``), trains, passes the gradient check, is
measured, saves, loads and resumes, with nothing in the library written for that layer.
Also: ``summary``, ``output_shape`` and the shape messages of the input checks."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

import nn
from nn.core.shapes import ShapeError, walk_shapes
from nn.diagnostics.measure import layer_stats, measured_layers, speed_of_learning

C, H, W = 2, 5, 4


class Scale4D(nn.Layer):
    """A learned scale per channel of ``(batch, C, H, W)`` images: ``y[:, c] = s[c] x[:, c]``.

    Its only parameter is ``s``: no bias, so the diagnostics measure its speed of learning
    by the norm of all its gradients.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels
        s = np.linspace(0.5, 1.5, channels, dtype=np.float32)
        self.params = {"s": s}
        self.grads = {"s": np.zeros_like(s)}

    def output_shape(self, input_shape):
        if len(input_shape) != 3 or input_shape[0] != self.channels:
            raise ValueError(f"{self!r} takes (C={self.channels}, H, W), got {input_shape}")
        return tuple(input_shape)

    def forward(self, x, *, training=False):
        self.x = x
        return x * self.params["s"][:, None, None]  # (batch, C, H, W)

    def backward(self, dy):
        self.grads["s"][...] = (dy * self.x).sum(axis=(0, 2, 3))  # (C,)
        return dy * self.params["s"][:, None, None]

    def config(self):
        return {"channels": self.channels}

    @classmethod
    def param_shapes(cls, **config):
        return {"s": (int(config["channels"]),)}


def build(dtype=np.float32, input_shape=(C, H, W)):
    layers = [
        Scale4D(C),
        nn.Tanh(),  # an activation on images: saturation is measured over C * H * W units
        nn.Flatten(),
        nn.Dense(C * H * W, 1, rng=0, dtype=dtype),
        nn.Sigmoid(),
    ]
    return nn.Network(layers, nn.SquaredError(), input_shape=input_shape)


def images(n=60, seed=0):
    """Random images; the label says which channel is brighter on average."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, C, H, W)).astype(np.float32)
    y = (X[:, 0].mean(axis=(1, 2)) > X[:, 1].mean(axis=(1, 2))).astype(np.int64)
    return X, y


FIT = dict(epochs=6, batch_size=8, lr=2.0, seed=3, verbose=False)


def weights(net):
    return [p.tobytes() for _, p, _ in net.parameters()]


# ---------------------------------------------------------------- the proof
def test_an_image_network_of_user_layers_has_shapes_and_a_summary():
    net = build()
    assert net.input_shape == (C, H, W) and net.output_shape() == (1,)
    assert (net.n_in, net.n_out) == (None, 1)  # no single number of inputs; one output unit
    assert walk_shapes(net.layers, net.input_shape) == [
        (2, 5, 4), (2, 5, 4), (2, 5, 4), (40,), (1,), (1,),
    ]  # fmt: skip
    text = net.summary()
    assert text == "\n".join(
        [
            "#  layer                    output shape  parameters",
            "-  -----------------------  ------------  ----------",
            "   input                    (2, 5, 4)",
            "0  Scale4D(channels=2)      (2, 5, 4)              2",
            "1  Tanh()                   (2, 5, 4)              0",
            "2  Flatten()                (40,)                  0",
            "3  Dense(n_in=40, n_out=1)  (1,)                  41",
            "4  Sigmoid()                (1,)                   0",
            "-  -----------------------  ------------  ----------",
            "   total                                          43",
            "loss: SquaredError(); parameters: float32, 172 bytes",
            "shapes are per example: a batch of n examples has shape (n, *shape)",
        ]
    ), text
    # without the input shape, the shapes the Dense layer insists on are still known
    bare = build(input_shape=None)
    assert bare.input_shape is None and bare.n_out == 1
    lines = bare.summary().splitlines()
    assert lines[2].split() == ["input", "?"] and lines[5].split()[-2:] == ["(40,)", "0"]
    assert "?: not known without the shape of the input" in bare.summary()
    assert bare.summary(input_shape=(C, H, W)) == text


def test_it_trains_with_fit():
    X, y = images()
    net = build()
    history = net.fit(X, y, **FIT)
    assert history["loss"][-1] < 0.6 * history["loss"][0], history["loss"]
    assert history["accuracy"][-1] > 0.8
    assert net.predict(X).shape == (len(X), 1)
    assert not np.array_equal(net.layers[0].params["s"], build().layers[0].params["s"])


def test_its_gradients_pass_the_check_in_float64():
    X, y = images(n=7, seed=1)
    report = nn.check_gradients(build(np.float64), X, y)
    assert report.passed(), str(report)
    assert {row.key for row in report.rows} == {"0.s", "3.W", "3.b"}
    assert report.max_rel_error < 1e-7, str(report)
    assert "Tanh" in report.saturating  # asked of the trait, on images too


def test_it_appears_in_the_diagnostics_records():
    X, y = images()
    net = build()
    diag = nn.Diagnostics(X[:20], y[:20], every=4)
    net.fit(X, y, callbacks=[diag], **FIT)
    assert diag.reference["layers"] == ["2x5x4-2x5x4 Tanh", "40-1 Sigmoid"]
    first, last = diag.records[0]["layers"], diag.records[-1]["layers"]
    assert first[0]["saturated"] is not None and first[0]["dead"] is None
    assert first[0]["W_norm"] == pytest.approx(float(np.linalg.norm([0.5, 1.5])), rel=1e-6)
    scale = last[0]
    for key in ("delta_norm", "grad_W_norm", "update_ratio"):
        assert scale[key] is not None and math.isfinite(scale[key]) and scale[key] > 0
    # no bias: the speed of learning is the norm of all its gradients, here just s's
    assert scale["delta_norm"] == scale["grad_W_norm"]
    speeds = speed_of_learning(net, X, y)
    np.testing.assert_allclose(speeds[0], np.linalg.norm(net.layers[0].grads["s"]), rtol=1e-6)
    np.testing.assert_allclose(speeds[1], np.linalg.norm(net.layers[3].grads["b"]), rtol=1e-6)


def test_it_saves_and_loads_with_its_input_shape(tmp_path):
    X, y = images()
    net = build()
    net.fit(X, y, **FIT)
    path = tmp_path / "images.npz"
    nn.save(net, path)
    loaded = nn.load(path)
    assert loaded.input_shape == (C, H, W) and isinstance(loaded.layers[0], Scale4D)
    assert np.array_equal(loaded.predict(X), net.predict(X))
    assert loaded.summary() == net.summary()
    assert "input_shape=(2, 5, 4)" in repr(loaded)


def test_it_resumes_from_a_checkpoint_bit_for_bit(tmp_path):
    X, y = images()

    class InterruptAt(nn.Callback):
        def on_step_end(self, network, epoch, step, loss):
            if step == 11:  # mid-epoch 2 (8 steps per epoch)
                raise KeyboardInterrupt

    full = build()
    full.fit(X, y, **FIT)
    path = tmp_path / "ck.npz"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nn.TrainingInterrupted)
        h = build().fit(X, y, checkpoint=path, callbacks=[InterruptAt()], **FIT)
    assert h["stopped"]["step"] == 11
    resumed = build()
    resumed.fit(X, y, checkpoint=path, resume=True, **FIT)
    assert weights(resumed) == weights(full)


# ---------------------------------------------------------------- summary and output_shape
def test_summary_of_the_seed_network():
    assert nn.mlp([784, 30, 10]).summary() == "\n".join(
        [
            "#  layer                      output shape  parameters",
            "-  -------------------------  ------------  ----------",
            "   input                      (784,)",
            "0  Dense(n_in=784, n_out=30)  (30,)             23,550",
            "1  Sigmoid()                  (30,)                  0",
            "2  Dense(n_in=30, n_out=10)   (10,)                310",
            "3  Sigmoid()                  (10,)                  0",
            "-  -------------------------  ------------  ----------",
            "   total                                        23,860",
            "loss: SquaredError(); parameters: float32, 93.2 KiB",
            "shapes are per example: a batch of n examples has shape (n, *shape)",
        ]
    )


def test_output_shape_of_layers_and_networks():
    dense = nn.Dense(3, 4)
    assert dense.input_shape == (3,) and dense.output_shape((3,)) == (4,)
    with pytest.raises(ValueError, match=r"Dense\(n_in=3, n_out=4\) takes inputs of shape \(3,\)"):
        dense.output_shape((5,))
    with pytest.raises(ValueError, match=r"got \(1, 3\); flatten each example to \(3,\) first"):
        dense.output_shape((1, 3))
    for layer in (nn.Sigmoid(), nn.ReLU(), nn.Dropout(0.5), nn.Softmax()):
        assert layer.input_shape is None and layer.output_shape((2, 7)) == (2, 7)
    with pytest.raises(ValueError, match="last axis"):
        nn.Softmax().output_shape(())
    net = nn.mlp([4, 3, 2])
    assert net.output_shape() == (2,) and net.output_shape((4,)) == (2,)
    with pytest.raises(ValueError, match=r"layer 0 cannot take the input: Dense\(n_in=4"):
        net.output_shape((5,))
    with pytest.raises(ValueError, match=r"layer 0 cannot take the input: Scale4D"):
        build().output_shape((3, H, W))
    with pytest.raises(ValueError, match=r"layer 3 cannot take the output of layer 2, Flatten"):
        build().summary(input_shape=(C, 9, 9))


def test_layers_that_do_not_fit_together_are_refused_when_the_network_is_built():
    with pytest.raises(ShapeError) as info:
        nn.Network([nn.Dense(3, 4), nn.Sigmoid(), nn.Dense(5, 2)], nn.SquaredError())
    assert info.value.index == 2 and isinstance(info.value, ValueError)
    assert "layer 2 cannot take the output of layer 1, Sigmoid()" in str(info.value)
    assert "takes inputs of shape (5,) per example, got (4,)" in str(info.value)
    with pytest.raises(ValueError, match=r"layer 3 cannot take .* Flatten\(\)"):
        build(input_shape=(C, 3, 3))
    with pytest.raises(TypeError, match=r"write \(784,\)"):
        nn.Network([nn.Sigmoid()], nn.SquaredError(), input_shape=784)
    with pytest.raises(ValueError, match="positive integers"):
        nn.Network([nn.Sigmoid()], nn.SquaredError(), input_shape=(0, 3))


# ---------------------------------------------------------------- input checks
def test_digit_images_into_a_dense_network_still_get_the_flatten_hint():
    net = nn.mlp([784, 30, 10])
    X, y = np.zeros((5, 28, 28)), np.arange(5)
    with pytest.raises(ValueError) as info:
        net.fit(X, y, epochs=1, batch_size=5, lr=1.0, verbose=False)
    message = str(info.value)
    assert "got shape (5, 28, 28)" in message and "X.reshape(len(X), -1)" in message
    assert "features" not in message.split(";")[1]  # 28 * 28 = 784: flattening is the fix
    with pytest.raises(ValueError, match=r"that gives 900 features; the first layer expects 784"):
        net.predict(np.zeros((5, 30, 30)))


def test_data_of_the_wrong_shape_for_an_image_network():
    X, y = images(n=6)
    net = build()
    with pytest.raises(ValueError) as info:
        net.fit(X.reshape(6, -1), y, epochs=1, batch_size=2, lr=1.0, verbose=False)
    assert "X must have shape (n_examples, 2, 5, 4), got shape (6, 40)" in str(info.value)
    assert "X.reshape(len(X), 2, 5, 4)" in str(info.value)
    assert "the network takes examples" in str(info.value)  # no layer fixes it: the network
    with pytest.raises(ValueError, match=r"a single example needs X.reshape\(1, 2, 5, 4\)"):
        net.predict(X[0])
    # with no input shape fixed, the first layer that refuses the data says why
    bare = build(input_shape=None)
    with pytest.raises(ValueError) as info:
        bare.predict(X[..., :3])
    assert "X has shape (6, 2, 5, 3): examples of shape (2, 5, 3)" in str(info.value)
    assert "Dense(n_in=40, n_out=1) takes inputs of shape (40,) per example, got (30,)" in str(
        info.value
    )
    with pytest.raises(ValueError, match=r"layer 0 cannot take the input: Scale4D\(channels=2\)"):
        bare.predict(np.zeros((6, 3, 5, 4)))
    assert bare.predict(X).shape == (6, 1)


def test_targets_take_the_shape_of_the_output():
    seq = nn.Network([nn.Softmax()], nn.CategoricalCrossEntropy(), input_shape=(3, 4))
    X = np.random.default_rng(0).standard_normal((5, 3, 4))
    T = np.eye(4)[np.arange(15).reshape(5, 3) % 4]  # (5, 3, 4): one class per time step
    assert seq.evaluate(X, T)["accuracy"] is None  # not one class per example
    with pytest.raises(ValueError, match=r"the targets must have shape \(5, 3, 4\)"):
        seq.evaluate(X, np.arange(5) % 4)  # labels need an output of shape (k,)
    with pytest.raises(ValueError, match=r"Y has shape \(5, 12\)"):
        seq.evaluate(X, T.reshape(5, 12))


# ---------------------------------------------------------------- layers on any shape
def test_softmax_normalizes_the_last_axis_of_sequences():
    rng = np.random.default_rng(0)
    z, dy = rng.standard_normal((4, 3, 5)), rng.standard_normal((4, 3, 5))
    seq, rows = nn.Softmax(), nn.Softmax()
    a = seq.forward(z)
    np.testing.assert_allclose(a.sum(axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(a.reshape(12, 5), rows.forward(z.reshape(12, 5)))
    np.testing.assert_array_equal(seq.backward(dy).reshape(12, 5), rows.backward(dy.reshape(12, 5)))


def test_dead_units_of_images_are_channels():
    # A channel's weights (a convolution's filter) are shared by every pixel: it learns while
    # it is positive anywhere, so it is dead only when 0 at every pixel of every example (a
    # blank background is 0 for every example without any filter being dead).
    z = np.full((3, 3, 2, 2), -1.0)  # 3 channels of 2 x 2 pixels
    z[0, 0, 0, 0] = 1.0  # channel 0 lives at one pixel of one example
    z[:, 1, 1, 1] = 2.0  # channel 1 at one pixel of every example
    stats = layer_stats(nn.ReLU(), z, np.maximum(z, 0))
    assert stats["dead"] == pytest.approx(1 / 3)  # channel 2: 0 everywhere


def test_a_bad_input_shape_in_a_model_file_is_refused(tmp_path):
    src, bad = tmp_path / "m.npz", tmp_path / "bad.npz"
    build().save(src)
    with np.load(src) as f:
        arrays = {k: f[k] for k in f.files}
    desc = json.loads(arrays.pop("__nn_model__").tobytes())
    assert desc["input_shape"] == [C, H, W]
    for shape in ([0, 5, 4], [2, 5.0, 4], "2,5,4", [], [True, 5, 4], [3, 5, 4]):
        desc["input_shape"] = shape
        arrays["__nn_model__"] = np.frombuffer(json.dumps(desc).encode(), np.uint8)
        np.savez(bad, **arrays)
        with pytest.raises(nn.ModelFileError, match="input_shape|do not fit together"):
            nn.load(bad)
    # a network whose first layer fixes the shape saves no input_shape: old files unchanged
    nn.mlp([3, 2]).save(src)
    with np.load(src) as f:
        assert "input_shape" not in json.loads(f["__nn_model__"].tobytes())


def test_measured_layers_are_found_by_parameters_and_traits():
    net = nn.mlp([4, 5, 3], dropout=0.5)
    infos = measured_layers(net)
    assert [(i.index, i.activation) for i in infos] == [(0, 1), (3, 4)]  # dropout passed over
    assert [i.name for i in infos] == ["4-5 Sigmoid", "5-3 Sigmoid"]
    infos = measured_layers(build())
    assert [(i.index, i.activation, i.name) for i in infos] == [
        (0, 1, "2x5x4-2x5x4 Tanh"),
        (3, 4, "40-1 Sigmoid"),
    ]


def test_the_doctor_reads_an_image_network_and_skips_what_it_does_not_understand():
    from nn.diagnostics.doctor import relu_version
    from nn.diagnostics.findings.base import Context, weight_scales

    X, y = images(n=200)
    report = nn.diagnose(build(), X, y, lr=2.0, steps=30, probe_size=50)
    text = str(report)
    assert "1 2x5x4-2x5x4 Tanh" in text and "2 40-1 Sigmoid" in text, text
    # the fan-in advice (RMS(W) x sqrt(n_in)) only reads (n_in, n_out) weight matrices
    largest, scales = weight_scales(Context(report.run, fresh=True))
    assert scales[0] is None and scales[1] == pytest.approx(largest)
    relu = relu_version(build())
    assert isinstance(relu.layers[1], nn.ReLU) and isinstance(relu.layers[4], nn.Sigmoid)
    assert np.array_equal(relu.layers[0].params["s"], build().layers[0].params["s"])  # kept
    assert not np.array_equal(relu.layers[3].params["W"], build().layers[3].params["W"])
    assert relu.input_shape == (C, H, W)


def test_set_input_shape_checks_the_layers_before_it_changes_anything():
    net = build(input_shape=None)
    with pytest.raises(ValueError, match=r"layer 0 cannot take the input: Scale4D"):
        net.set_input_shape((3, H, W))
    assert net.input_shape is None and net.output_shape() == (1,)
    net.set_input_shape((C, H, W))
    assert net.input_shape == (C, H, W) and "?" not in net.summary()

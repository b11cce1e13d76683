"""Export to ONNX and PyTorch, and back from PyTorch: the exported model computes ``predict``.

Every network here has square and non-square dense layers (a forgotten transpose passes on
square ones only) and is compared with ``Network.predict``: to 1e-12 in float64 and 1e-5 in
float32. ONNX models run in onnx's reference evaluator (no onnxruntime needed); the PyTorch
tests run where torch is installed and are skipped, with the reason, elsewhere.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import numpy as np
import pytest

import nn
from nn.cli.export import add_export_parser
from nn.io import export as exporters
from nn.io.torch_convert import torch_spec

TOL = {np.float32: 1e-5, np.float64: 1e-12}
DTYPES = [np.float32, np.float64]

try:
    import onnx
    from onnx.reference import ReferenceEvaluator
except ImportError:  # in the test extra; optional for users
    onnx = None
try:
    import torch
except ImportError:  # optional, and in no extra CI installs (a CUDA build is gigabytes)
    torch = None
needs_onnx = pytest.mark.skipif(onnx is None, reason="onnx is not installed (optional)")
needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed (optional)")


def _network(middle, dtype, loss=None):
    """5 -> 7 -> [middle] -> 6 -> 6 -> 3: non-square and square dense layers around ``middle``."""
    dense = [(5, 7), (7, 6), (6, 6), (6, 3)]
    d = [nn.Dense(i, o, init="glorot_normal", rng=k, dtype=dtype) for k, (i, o) in enumerate(dense)]
    for layer in d:  # nonzero biases, so a dropped or misplaced bias shows
        layer.b[...] = np.linspace(-0.5, 0.5, layer.n_out)
    layers = [d[0], nn.Tanh(), d[1], *middle, d[2], nn.Sigmoid(), d[3]]
    return nn.Network(layers, loss or nn.SquaredError())


#: One network per layer type (each also has Dense, Tanh and Sigmoid), and the output kinds.
CASES = {
    "Dense+Sigmoid+Tanh": lambda: [],
    "ReLU": lambda: [nn.ReLU()],
    "LeakyReLU(0.1)": lambda: [nn.LeakyReLU(0.1)],
    "LeakyReLU(0.25)": lambda: [nn.LeakyReLU(0.25)],
    "Identity": lambda: [nn.Identity()],
    "Dropout": lambda: [nn.Dropout(0.5, rng=0)],
    "Softmax": lambda: [nn.Softmax()],
}
LOSSES = {
    "SquaredError": nn.SquaredError,
    "SoftmaxCrossEntropy": nn.SoftmaxCrossEntropy,
}


def _inputs(dtype, n=11):
    return np.random.default_rng(1).standard_normal((n, 5)).astype(dtype)


# ------------------------------------------------------------------------------ ONNX
def _run_onnx(model, X):
    return ReferenceEvaluator(model).run(None, {"input": X})[0]


@needs_onnx
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("case", CASES)
def test_onnx_computes_predict(case, loss, dtype):
    net = _network(CASES[case](), dtype, LOSSES[loss]())
    X = _inputs(dtype)
    out = _run_onnx(exporters.to_onnx(net), X)
    assert out.dtype == dtype and out.shape == (11, 3)
    np.testing.assert_allclose(out, net.predict(X), rtol=0, atol=TOL[dtype])


@needs_onnx
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_onnx_of_a_softmax_cross_entropy_network_gives_probabilities(dtype):
    net = _network([nn.ReLU(), nn.Dropout(0.2, rng=1)], dtype, nn.SoftmaxCrossEntropy())
    X = _inputs(dtype)
    model = exporters.to_onnx(net)
    assert [n.op_type for n in model.graph.node][-2:] == ["Gemm", "Softmax"]
    out = _run_onnx(model, X)
    np.testing.assert_allclose(out, net.predict(X), rtol=0, atol=TOL[dtype])
    np.testing.assert_allclose(out.sum(axis=1), 1, atol=TOL[dtype])


@needs_onnx
def test_onnx_model_is_pinned_named_and_checked(tmp_path):
    net = _network([nn.LeakyReLU(0.1)], np.float32)
    net.metadata["dataset"] = "digits"
    path = tmp_path / "m.onnx"
    exporters.export(net, path, to="onnx")
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 17)]
    assert model.ir_version == 8
    assert [i.name for i in model.graph.input] == ["input"]
    assert [o.name for o in model.graph.output] == ["output"]
    dims = [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["batch", 5]
    assert [n.op_type for n in model.graph.node] == [
        "Gemm", "Tanh", "Gemm", "LeakyRelu", "Gemm", "Sigmoid", "Gemm",
    ]  # fmt: skip
    # W is stored as here, (n_in, n_out), and Gemm does not transpose it
    weights = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    assert weights["0.Dense.W"].shape == (5, 7) and weights["6.Dense.W"].shape == (6, 3)
    assert all(a.i == 0 for n in model.graph.node for a in n.attribute if a.name == "transB")
    assert {p.key: p.value for p in model.metadata_props} == {"dataset": "digits"}
    X = _inputs(np.float32)
    np.testing.assert_allclose(_run_onnx(model, X), net.predict(X), atol=1e-5)


@needs_onnx
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_onnx_runtime_serves_it(dtype):
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (optional)")
    middle = [nn.ReLU(), nn.LeakyReLU(0.1), nn.Identity(), nn.Dropout(0.2, rng=0), nn.Softmax()]
    net = _network(middle, dtype, nn.SoftmaxCrossEntropy())
    session = ort.InferenceSession(
        exporters.to_onnx(net).SerializeToString(), providers=["CPUExecutionProvider"]
    )
    X = _inputs(dtype, n=100)
    out = session.run(None, {"input": X})[0]
    np.testing.assert_allclose(out, net.predict(X), rtol=0, atol=TOL[dtype])


@needs_onnx
def test_leaky_relu_slope_is_exact_in_float64():
    # 0.1 is no float32 number: as an ONNX attribute it would be off by 1.5e-9 relative
    model = exporters.to_onnx(_network([nn.LeakyReLU(0.1)], np.float64))
    assert "PRelu" in [n.op_type for n in model.graph.node]
    model = exporters.to_onnx(_network([nn.LeakyReLU(0.25)], np.float64))
    assert "LeakyRelu" in [n.op_type for n in model.graph.node]


class Square(nn.Layer):
    """A layer no exporter knows."""

    def forward(self, x, *, training=False):
        return x * x


class MyDense(nn.Dense):
    """A subclass may compute something else: refused too, not taken for a Dense."""


class ScaledOutput(nn.SquaredError):
    def output(self, a):
        return 2 * a


@needs_onnx
@pytest.mark.parametrize(
    "layers, loss, named",
    [
        ([nn.Dense(2, 3), Square(), nn.Dense(3, 1)], nn.SquaredError(), "Square"),
        ([MyDense(2, 3)], nn.SquaredError(), "MyDense"),
        ([nn.Dense(2, 3)], ScaledOutput(), "ScaledOutput"),
    ],
)
def test_what_does_not_translate_is_refused_by_name(tmp_path, layers, loss, named):
    net = nn.Network(layers, loss)
    with pytest.raises(ValueError, match=named):
        exporters.to_onnx(net)
    with pytest.raises(ValueError, match=named):
        torch_spec(net)
    path = tmp_path / "m.onnx"
    with pytest.raises(ValueError, match=named):
        exporters.export(net, path, to="onnx")
    assert not path.exists() and list(tmp_path.iterdir()) == []  # nothing half-written


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown export format 'keras'"):
        exporters.export(_network([], np.float32), "m.keras", to="keras")


# ---------------------------------------------------------------------------- PyTorch
def test_torch_spec_has_pytorchs_layout_without_torch():
    net = _network(
        [nn.LeakyReLU(0.2), nn.Dropout(0.3, rng=0)], np.float64, nn.SoftmaxCrossEntropy()
    )
    modules, state = torch_spec(net)
    assert [name for name, _ in modules] == [
        "Linear", "Tanh", "Linear", "LeakyReLU", "Dropout", "Linear", "Sigmoid", "Linear",
        "Softmax",
    ]  # fmt: skip
    assert modules[0] == ["Linear", {"in_features": 5, "out_features": 7}]
    assert modules[3] == ["LeakyReLU", {"negative_slope": 0.2}]
    assert modules[4] == ["Dropout", {"p": 0.3}]
    assert state["0.weight"].shape == (7, 5)  # (out, in): the transpose of W
    np.testing.assert_array_equal(state["0.weight"], net.layers[0].W.T)
    np.testing.assert_array_equal(state["7.bias"], net.layers[7].b)
    assert [m[0] for m in torch_spec(net, logits=True)[0]][-1] == "Linear"


def _run_torch(model, X):
    with torch.no_grad():
        return model(torch.from_numpy(X)).numpy()


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("case", CASES)
def test_torch_computes_predict(case, loss, dtype):
    net = _network(CASES[case](), dtype, LOSSES[loss]())
    X = _inputs(dtype)
    model = exporters.to_torch(net)
    assert not model.training and model[0].weight.dtype == getattr(torch, dtype.__name__)
    np.testing.assert_allclose(_run_torch(model, X), net.predict(X), rtol=0, atol=TOL[dtype])


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_torch_file_loads_without_nn_and_without_pickled_code(tmp_path, dtype):
    net = _network([nn.ReLU(), nn.Dropout(0.1, rng=0)], dtype, nn.SoftmaxCrossEntropy())
    path = tmp_path / "m.pt"
    exporters.export(net, path, to="torch")
    code = (  # the README's lines, in a process that never imports nn
        "import sys, numpy as np, torch\n"
        "assert 'nn' not in sys.modules\n"
        f"saved = torch.load({str(path)!r})\n"  # weights_only=True, the default
        "model = torch.nn.Sequential(*(getattr(torch.nn, n)(**kw) for n, kw in saved['modules']))\n"
        "model.load_state_dict(saved['state_dict'], assign=True)\n"
        "model.eval()\n"
        f"X = np.load({str(tmp_path / 'X.npy')!r})\n"
        "with torch.no_grad():\n"
        f"    np.save({str(tmp_path / 'out.npy')!r}, model(torch.from_numpy(X)).numpy())\n"
    )
    X = _inputs(dtype)
    np.save(tmp_path / "X.npy", X)
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
    out = np.load(tmp_path / "out.npy")
    assert out.dtype == dtype
    np.testing.assert_allclose(out, net.predict(X), rtol=0, atol=TOL[dtype])


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_from_torch_reads_a_sequential_trained_in_pytorch(dtype):
    torch.manual_seed(0)
    tdtype = getattr(torch, dtype.__name__)
    model = torch.nn.Sequential(
        torch.nn.Linear(5, 8),
        torch.nn.LeakyReLU(0.05),
        torch.nn.Sequential(torch.nn.Linear(8, 8, bias=False), torch.nn.Tanh()),
        torch.nn.Dropout(0.2),
        torch.nn.Linear(8, 3),
        torch.nn.Softmax(dim=1),
    ).to(tdtype)
    X = _inputs(dtype, n=32)
    y = torch.from_numpy(np.arange(32) % 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(5):  # trained elsewhere
        optimizer.zero_grad()
        torch.nn.functional.nll_loss(torch.log(model(torch.from_numpy(X))), y).backward()
        optimizer.step()
    model.eval()
    net = exporters.from_torch(model, loss="softmax_cross_entropy")
    assert [type(layer).__name__ for layer in net.layers] == [
        "Dense",
        "LeakyReLU",
        "Dense",
        "Tanh",
        "Dropout",
        "Dense",
    ]  # fmt: skip  (the softmax is the loss's output)
    assert net.dtype == dtype and net.layers[0].W.shape == (5, 8)
    assert net.metadata == {"source": "pytorch"}
    np.testing.assert_allclose(net.predict(X), _run_torch(model, X), rtol=0, atol=TOL[dtype])
    kept = exporters.from_torch(model)  # squared error: the Softmax stays a layer
    assert isinstance(kept.layers[-1], nn.Softmax)
    np.testing.assert_allclose(kept.predict(X), net.predict(X), rtol=0, atol=TOL[dtype])
    again = exporters.to_torch(net)  # and back: the same function
    np.testing.assert_allclose(_run_torch(again, X), net.predict(X), rtol=0, atol=TOL[dtype])


@needs_torch
def test_the_doctor_looks_at_a_model_trained_in_pytorch():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 30), torch.nn.ReLU(), torch.nn.Linear(30, 10), torch.nn.Softmax(-1)
    )
    with torch.no_grad():
        model[0].bias[:20] = -50  # 20 of the 30 hidden units are dead for every input
    (X, y), _ = nn.datasets.digits()
    net = exporters.from_torch(model, loss="softmax_cross_entropy")
    report = nn.diagnose(net, X[:800], y[:800], lr=0.1, steps=40, fresh=False, experiments=False)
    assert [f.id for f in report.findings] == ["dead_units"]


@needs_torch
def test_from_torch_refuses_what_it_cannot_read():
    with pytest.raises(ValueError, match="Conv1d"):
        exporters.from_torch(torch.nn.Sequential(torch.nn.Conv1d(1, 2, 3), torch.nn.ReLU()))
    with pytest.raises(TypeError, match="reads a torch.nn.Sequential"):
        exporters.from_torch(torch.nn.Linear(2, 3))
    with pytest.raises(ValueError, match="float16"):
        exporters.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3)).half())
    with pytest.raises(ValueError, match="dim=0"):
        exporters.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Softmax(0)))


# ---------------------------------------------------------------------------- the command
def _nn_export(argv):
    parser = argparse.ArgumentParser(prog="nn")
    add_export_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["export", *argv])
    return args.func(args)


@pytest.fixture
def saved_model(tmp_path):
    net = _network([nn.ReLU()], np.float32, nn.SoftmaxCrossEntropy())
    path = tmp_path / "model.npz"
    net.save(str(path))
    return net, path


@needs_onnx
def test_nn_export_to_onnx(saved_model, tmp_path, capsys):
    net, path = saved_model
    out = tmp_path / "model.onnx"
    assert _nn_export([str(path), "--to", "onnx", str(out)]) == 0
    assert "Wrote" in capsys.readouterr().out
    X = _inputs(np.float32)
    np.testing.assert_allclose(_run_onnx(onnx.load(str(out)), X), net.predict(X), atol=1e-5)


@needs_torch
def test_nn_export_to_torch(saved_model, tmp_path, capsys):
    net, path = saved_model
    out = tmp_path / "model.pt"
    assert _nn_export([str(path), "--to", "torch", str(out)]) == 0
    assert "torch.load" in capsys.readouterr().out
    assert torch.load(out)["modules"][-1] == ["Softmax", {"dim": -1}]


def test_nn_export_checks_the_output_path_first(tmp_path):
    with pytest.raises(ValueError, match="FILE .*does not exist"):
        _nn_export([str(tmp_path / "missing.npz"), "--to", "onnx", str(tmp_path / "no/m.onnx")])


def test_nn_export_says_how_to_install_a_missing_package(
    saved_model, tmp_path, capsys, monkeypatch
):
    def missing(module, install, purpose):
        raise ModuleNotFoundError(f"{purpose} needs {module}; install it with: {install}")

    monkeypatch.setattr(exporters, "require", missing)
    net, path = saved_model
    out = tmp_path / "m.onnx"
    assert _nn_export([str(path), "--to", "onnx", str(out)]) == 2
    assert 'pip install "nn[onnx]"' in capsys.readouterr().err
    assert not out.exists()


@needs_onnx
def test_the_nn_command_runs_export(saved_model, tmp_path):
    from nn.cli import build_parser, main

    if " export " not in build_parser().format_help():
        pytest.skip("nn.cli.build_parser does not register `export` yet (see nn/cli/export.py)")
    net, path = saved_model
    assert main(["export", str(path), "--to", "onnx", str(tmp_path / "m.onnx")]) == 0


def test_import_nn_loads_neither_onnx_nor_torch_nor_the_exporters():
    code = (
        "import nn, sys\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('onnx', 'torch', 'sklearn')"
        " or m.startswith(('nn.io.export', 'nn.io.onnx_export', 'nn.io.torch_convert'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

"""nn.reference.recurrent: the pure-Python BPTT equals the NumPy layers, and needs no NumPy."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nn import reference
from nn.layers.recurrent import GRU, LSTM, RNN
from nn.reference import recurrent as slow

LAYERS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}
REFERENCE_DIR = Path(reference.__file__).parent


def problem(cell: str, B=3, T=4, D=2, H=5, seed=0):
    """A float64 layer with random parameters and start, a batch, and upstream gradients."""
    rng = np.random.default_rng(seed)
    layer = LAYERS[cell](D, H, rng=seed, dtype=np.float64)
    for p in layer.params.values():
        p[...] = rng.standard_normal(p.shape) * 0.6
    layer.initial_state = tuple(rng.standard_normal((B, H)) for _ in range(layer.n_states))
    x = rng.standard_normal((B, T, D))
    G = rng.standard_normal((B, T, H))
    return layer, x, G


def as_lists(layer, x, G):
    params = {k: v.tolist() for k, v in layer.params.items()}
    states = [tuple(s[n].tolist() for s in layer.initial_state) for n in range(len(x))]
    return params, x.tolist(), states, G.tolist()


@pytest.mark.parametrize("cell", LAYERS)
def test_pure_python_bptt_equals_the_numpy_layer(cell):
    layer, x, G = problem(cell)
    y = layer.forward(x)
    dx = layer.backward(G)
    params, xl, states, Gl = as_lists(layer, x, G)
    hs, _, caches = slow.forward(cell, xl, states, params)
    sdx, sdstate0, sgrads = slow.backward(cell, Gl, caches, params)
    np.testing.assert_allclose(np.array(hs), y, rtol=0, atol=1e-13)
    np.testing.assert_allclose(np.array(sdx), dx, rtol=0, atol=1e-12)
    for name, g in layer.grads.items():
        np.testing.assert_allclose(np.array(sgrads[name]), g, rtol=0, atol=1e-12)
    for k, g0 in enumerate(layer.grad_initial_state):
        np.testing.assert_allclose(np.array([s[k] for s in sdstate0]), g0, rtol=0, atol=1e-12)


def test_the_final_state_gradient_flows_back_as_in_the_layer():
    layer, x, G = problem("lstm", T=3)
    rng = np.random.default_rng(9)
    layer.forward(x)
    layer.grad_final_state = tuple(rng.standard_normal((3, 5)) for _ in range(2))
    layer.backward(G)
    params, xl, states, Gl = as_lists(layer, x, G)
    _, _, caches = slow.forward("lstm", xl, states, params)
    dstates = [tuple(s[n].tolist() for s in layer.grad_final_state) for n in range(3)]
    _, _, grads = slow.backward("lstm", Gl, caches, params, dstates)
    np.testing.assert_allclose(np.array(grads["Wh"]), layer.grads["Wh"], rtol=0, atol=1e-12)


def test_it_imports_nothing_but_the_standard_library_and_plain():
    tree = ast.parse((REFERENCE_DIR / "recurrent.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            roots = [node.module or ""]
        else:
            continue
        for root in roots:
            assert root in ("__future__", "math", "nn.reference.plain"), root


BLOCKED_NUMPY = """
import importlib.abc, json, sys, types

class NoNumpy(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "numpy" or name.startswith("numpy."):
            raise ImportError("numpy is blocked in this test")

sys.meta_path.insert(0, NoNumpy())
for pkg, path in (("nn", {nn!r}), ("nn.reference", {ref!r})):
    module = types.ModuleType(pkg)
    module.__path__ = [path]
    sys.modules[pkg] = module
from nn.reference import recurrent
params, x, states, G = json.loads(sys.stdin.read())
hs, _, caches = recurrent.forward("gru", x, [tuple(s) for s in states], params)
print(json.dumps(recurrent.backward("gru", G, caches, params)[2]))
assert "numpy" not in sys.modules
"""


def test_it_runs_with_numpy_blocked():
    layer, x, G = problem("gru", B=2, T=3)
    layer.forward(x)
    layer.backward(G)
    code = BLOCKED_NUMPY.format(nn=str(REFERENCE_DIR.parent), ref=str(REFERENCE_DIR))
    data = json.dumps(as_lists(layer, x, G))
    result = subprocess.run(
        [sys.executable, "-c", code], input=data, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    grads = json.loads(result.stdout.splitlines()[0])
    np.testing.assert_allclose(np.array(grads["Wx"]), layer.grads["Wx"], rtol=0, atol=1e-12)

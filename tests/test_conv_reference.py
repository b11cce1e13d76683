"""nn.reference.conv: the pure-Python convolution and max pooling equal the NumPy twins."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nn.functional import conv as F
from nn.functional import pooling as P
from nn.reference import conv as ref

SOURCE = Path(ref.__file__)
CASES = [(2, 3, 7, 5, 4, 3, 1, 0), (1, 2, 6, 8, 3, 3, 2, 1), (2, 1, 5, 4, 2, 2, 3, 2)]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_pure_python_convolution_equals_the_numpy_twins(case):
    N, C, H, W, Fo, k, s, p = case
    rng = np.random.default_rng(0)
    x, Wk, b = rng.standard_normal((N, C, H, W)), rng.standard_normal((Fo, C, k, k)), rng.random(Fo)
    out, cache = F.conv_forward_im2col(x, Wk, b, s, p)
    got = np.array(ref.conv2d_forward(x.tolist(), Wk.tolist(), b.tolist(), s, p))
    np.testing.assert_allclose(got, out, rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(out.shape)
    expected = F.conv_backward_im2col(dout, cache)
    got = ref.conv2d_backward(dout.tolist(), x.tolist(), Wk.tolist(), s, p)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(np.array(g), e, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("size, stride", [(2, 2), (3, 2), (2, 1)])
def test_pure_python_max_pool_picks_the_same_winners_on_ties(size, stride):
    rng = np.random.default_rng(1)
    x = np.round(rng.standard_normal((2, 3, 7, 6)))  # many ties
    out, cache = P.max_pool_forward(x, size, stride)
    got, winners = ref.max_pool_forward(x.tolist(), size, stride)
    np.testing.assert_array_equal(np.array(got), out)
    dout = rng.standard_normal(out.shape)
    dx = ref.max_pool_backward(dout.tolist(), winners, 7, 6)
    np.testing.assert_allclose(np.array(dx), P.max_pool_backward(dout, cache), atol=1e-15)


def test_multiply_adds_counts_the_forward_pass():
    assert ref.multiply_adds((64, 1, 28, 28), (6, 1, 5, 5), 1, 2) == 64 * 6 * 28 * 28 * 25
    assert ref.multiply_adds((1, 6, 14, 14), (16, 6, 5, 5), 1, 0) == 16 * 10 * 10 * 150


def test_the_reference_imports_only_the_standard_library():
    for node in ast.walk(ast.parse(SOURCE.read_text())):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            assert all(n in {"__future__", "math", "typing"} for n in names), names


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
from nn.reference.conv import conv2d_backward, conv2d_forward
x, W, b, dout = json.loads(sys.stdin.read())
out = conv2d_forward(x, W, b, 2, 1)
grads = conv2d_backward(dout, x, W, 2, 1)
assert "numpy" not in sys.modules
print(json.dumps([out, *grads]))
"""


def test_the_reference_runs_with_numpy_blocked():
    rng = np.random.default_rng(2)
    x, Wk, b = rng.standard_normal((2, 2, 5, 6)), rng.standard_normal((3, 2, 3, 3)), rng.random(3)
    out, cache = F.conv_forward_naive(x, Wk, b, 2, 1)
    dout = rng.standard_normal(out.shape)
    code = BLOCKED_NUMPY.format(nn=str(SOURCE.parents[1]), ref=str(SOURCE.parent))
    data = json.dumps([x.tolist(), Wk.tolist(), b.tolist(), dout.tolist()])
    result = subprocess.run(
        [sys.executable, "-c", code], input=data, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    for g, e in zip(got, (out, *F.conv_backward_naive(dout, cache))):
        np.testing.assert_allclose(np.array(g), e, rtol=1e-12, atol=1e-12)

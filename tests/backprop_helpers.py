"""Helpers for tests/test_equations.py: random problems, book and code forms, deltas.

Book form (Nielsen ch. 2) is one example as a column vector with ``W_book`` of shape
``(n_out, n_in)``; code form is batch-first with ``W_code = W_book.T`` of shape
``(n_in, n_out)``. Layer ``l`` of the book is ``net.layers[2 * (l - 1)]`` (its ``Dense``) and
``net.layers[2 * (l - 1) + 1]`` (its ``Sigmoid``).
"""

from __future__ import annotations

import numpy as np
from conftest import numeric_gradient
from doc_tools import ROOT, parse, run_example

import nn


def random_sizes(rng: np.random.Generator, depth: int, batch: int | None = None) -> list[int]:
    """``depth + 1`` layer widths, all different from each other and from ``batch``."""
    pool = [k for k in range(2, 10) if k != batch]
    return [int(k) for k in rng.choice(pool, size=depth + 1, replace=False)]


def random_problem(seed: int, depth: int, batch: int | None = None):
    """A float64 sigmoid network with N(0, 1) parameters, inputs and targets in [0, 1].

    Returns ``(net, X, Y)``; ``batch`` defaults to a size different from every width.
    """
    rng = np.random.default_rng(seed)
    if batch is None:
        batch = int(rng.integers(3, 12))
        while True:
            sizes = random_sizes(rng, depth, batch)
            if batch not in sizes:
                break
    else:
        sizes = random_sizes(rng, depth, batch)
    net = nn.mlp(sizes, seed=rng, dtype=np.float64)
    for layer in dense(net):  # N(0, 1): some units saturate, which the equations must survive
        layer.W[...] = rng.standard_normal(layer.W.shape)
        layer.b[...] = rng.standard_normal(layer.b.shape)
    X = rng.random((batch, sizes[0]))
    Y = rng.random((batch, sizes[-1]))
    return net, X, Y


def dense(net: nn.Network) -> list[nn.Dense]:
    """The dense layers: ``dense(net)[ell - 1]`` holds ``W^l`` and ``b^l``."""
    return [layer for layer in net.layers if isinstance(layer, nn.Dense)]


def book(net: nn.Network) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Nielsen's parameters: ``W_book^l = W_code^l.T`` and ``b^l`` as a column, for l = 1..L."""
    return [d.W.T.copy() for d in dense(net)], [d.b.reshape(-1, 1).copy() for d in dense(net)]


def sig(z: np.ndarray) -> np.ndarray:
    """The textbook sigmoid, independent of nn.sigmoid (fine for |z| < 700)."""
    return 1.0 / (1.0 + np.exp(-z))


def sig_prime(z: np.ndarray) -> np.ndarray:
    return sig(z) * (1.0 - sig(z))


def book_forward(Ws, bs, x: np.ndarray):
    """(FP1) for one column ``x``: lists ``zs[ell]`` and ``acts[ell]`` with ``acts[0] = x``."""
    acts, zs = [x], [None]
    for W, b in zip(Ws, bs):
        zs.append(W @ acts[-1] + b)
        acts.append(sig(zs[-1]))
    return zs, acts


def cost_after(net: nn.Network, ell: int, Z: np.ndarray, Y: np.ndarray) -> float:
    """The cost ``C`` as a function of ``Z^l``: the layers above ``Dense^l``, then the loss."""
    a = Z
    for layer in net.layers[2 * (ell - 1) + 1 :]:
        a = layer.forward(a)
    return net.loss.value(a, Y)


def fd_deltas(net: nn.Network, X: np.ndarray, Y: np.ndarray) -> dict[int, np.ndarray]:
    """``Delta^l = dC/dZ^l`` for l = 1..L by finite differences (no backprop involved)."""
    net.forward(X)
    Zs = {ell: net.layers[2 * (ell - 1) + 1].z.copy() for ell in range(1, len(dense(net)) + 1)}
    return {
        ell: numeric_gradient(lambda ell=ell, Z=Z: cost_after(net, ell, Z, Y), Z)
        for ell, Z in Zs.items()
    }


def code_deltas(net: nn.Network, X: np.ndarray, Y: np.ndarray) -> dict[int, np.ndarray]:
    """The deltas ``Network.backward`` passes down: what each ``Sigmoid.backward`` returns."""
    out: dict[int, np.ndarray] = {}
    for i, layer in enumerate(net.layers):
        if isinstance(layer, nn.Sigmoid):
            method = type(layer).backward

            def spy(dy, _layer=layer, _l=i // 2 + 1, _method=method):
                out[_l] = _method(_layer, dy)
                return out[_l]

            layer.backward = spy
    try:
        net.gradients(X, Y)
    finally:
        for layer in net.layers:
            layer.__dict__.pop("backward", None)
    return out


def fd_param_grads(net: nn.Network, X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    """``dC/dparam`` for every parameter by finite differences, keyed like ``parameters()``."""

    def f() -> float:
        return net.loss.value(net.forward(X), Y)

    return {key: numeric_gradient(f, param) for key, param, _ in net.parameters()}


def code_grads(net: nn.Network, X: np.ndarray, Y: np.ndarray) -> dict[str, np.ndarray]:
    net.gradients(X, Y)
    return {key: grad.copy() for key, _, grad in net.parameters()}


# ---------------------------------------------------------------------------- counting
def doc_namespace(defines: str) -> dict:
    """Run the example of docs/backprop.md that defines ``defines`` and return its names."""
    _, examples, _ = parse((ROOT / "docs" / "backprop.md").read_text())
    (example,) = [e for e in examples if f"def {defines}(" in e.code]
    return run_example(example, f"docs/backprop.md example at line {example.line}")[1]


class Counter:
    """Counts multiplications of plain Python floats."""

    def __init__(self) -> None:
        self.mults = 0

    def mul(self, a: float, b: float) -> float:
        self.mults += 1
        return a * b


def scalar_state(net: nn.Network, x: np.ndarray):
    """One example's forward pass as floats: W[l][j][k] (book layout), a[l], sp[l] = sigma'."""
    W = [None] + [d.W.T.tolist() for d in dense(net)]
    zs, acts = book_forward(book(net)[0], book(net)[1], x.reshape(-1, 1))
    a = [v[:, 0].tolist() for v in acts]
    sp = [None] + [sig_prime(z[:, 0]).tolist() for z in zs[1:]]
    return W, a, sp


def per_weight_gradients(net: nn.Network, x: np.ndarray, y: np.ndarray, count: Counter):
    """Every gradient on its own by the chain rule, no memo: delta is recomputed each time."""
    W, a, sp = scalar_state(net, x)
    L = len(W) - 1

    def delta(ell: int, j: int) -> float:
        if ell == L:  # BP1
            return count.mul(a[L][j] - y[j], sp[L][j])
        s = 0.0
        for i in range(len(a[ell + 1])):  # every path through unit i of layer ell + 1
            s += count.mul(W[ell + 1][i][j], delta(ell + 1, i))
        return count.mul(s, sp[ell][j])

    grads = {}
    for ell in range(1, L + 1):
        rows, cols = len(a[ell]), len(a[ell - 1])
        grads[f"{2 * (ell - 1)}.W"] = np.array(
            [[count.mul(a[ell - 1][k], delta(ell, j)) for j in range(rows)] for k in range(cols)]
        )
        grads[f"{2 * (ell - 1)}.b"] = np.array([delta(ell, j) for j in range(rows)])
    return grads


def memoized_gradients(net: nn.Network, x: np.ndarray, y: np.ndarray, count: Counter):
    """Backprop on floats: each delta^l computed once (BP1, BP2), gradients read off (BP3, BP4)."""
    W, a, sp = scalar_state(net, x)
    L = len(W) - 1
    delta = {L: [count.mul(a[L][j] - y[j], sp[L][j]) for j in range(len(a[L]))]}
    for ell in range(L - 1, 0, -1):
        delta[ell] = []
        for j in range(len(a[ell])):
            s = 0.0
            for i in range(len(a[ell + 1])):
                s += count.mul(W[ell + 1][i][j], delta[ell + 1][i])
            delta[ell].append(count.mul(s, sp[ell][j]))
    grads = {}
    for ell in range(1, L + 1):
        grads[f"{2 * (ell - 1)}.W"] = np.array(
            [[count.mul(a[ell - 1][k], d) for d in delta[ell]] for k in range(len(a[ell - 1]))]
        )
        grads[f"{2 * (ell - 1)}.b"] = np.array(delta[ell])
    return grads


# ---------------------------------------------------------------------------- mini-batches
def per_example_grads(net: nn.Network, X: np.ndarray, Y: np.ndarray) -> list[dict]:
    """``dC_x/dparam`` for each example alone (a batch of one: the mean is that example)."""
    return [code_grads(net, X[i : i + 1], Y[i : i + 1]) for i in range(len(X))]

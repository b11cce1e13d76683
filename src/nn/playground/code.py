""" "Show as Python": the nn code that trains a playground setup, runnable as it is.

The code builds the same data (:mod:`nn.playground.data`), the same network and optimizer
(:mod:`nn.playground.engine`) and trains with :meth:`nn.Network.fit`, whose mini-batches come
in the order the page takes them: after the same number of epochs it ends on the page's
weights, bit for bit (a test runs it and compares).
"""

from __future__ import annotations

import json

from nn.playground.data import DATASETS, FEATURES, N_POINTS, n_train
from nn.playground.settings import Settings

__all__ = ["python_code"]

L1_CLASS = '''

class L1SGD(nn.SGD, register=False):
    """Plain SGD with an L1 penalty on the weight matrices: their gradients get l1 * sign(W)."""

    def __init__(self, lr, l1):
        super().__init__(lr)
        self.l1 = l1

    def step(self, parameters):
        super().step(
            (k, p, g + self.l1 * np.sign(p) if p.ndim >= 2 else g) for k, p, g in parameters
        )
'''


def _q(text: str) -> str:
    """A string literal as ruff writes it: in double quotes."""
    return json.dumps(text)


def _data_lines(s: Settings) -> list[str]:
    spec = DATASETS[s.dataset]
    args = [f"n={N_POINTS}" if spec.function == "xor" else str(N_POINTS)]
    args += [f"{k}={v!r}" for k, v in spec.extra]
    args += [f"noise={spec.noise(s.noise)!r}", "seed=seed"]
    cx, cy = spec.centre
    if cx == cy == 0.0:
        place = f"X = {spec.scale!r} * X"
    elif cx == cy:
        place = f"X = {spec.scale!r} * (X - {cx!r})"
    else:
        place = f"X = {spec.scale!r} * (X - np.array([{cx!r}, {cy!r}], dtype=X.dtype))"
    n = n_train(s)
    columns = ", ".join(FEATURES[name][0] for name in s.features)
    return [
        f"# The data: {N_POINTS} points of nn.datasets.{spec.function}, placed in [-6, 6]^2",
        f"X, y = nn.datasets.{spec.function}({', '.join(args)})",
        place,
        f"n_train = {n}  # {s.ratio}% of the points train; the others test",
        "",
        "# The input features",
        "x1, x2 = X[:, 0], X[:, 1]",
        f"F = np.column_stack([{columns}])",
        "F_train, y_train, F_test, y_test = F[:n_train], y[:n_train], F[n_train:], y[n_train:]",
    ]


def _network_lines(s: Settings) -> list[str]:
    sizes = [len(s.features), *s.hidden, 1]
    output = "sigmoid" if s.problem == "classification" else "identity"
    hidden = "-".join(str(h) for h in s.hidden) or "no"
    lines = [
        f"# The network: {sizes[0]} inputs, {hidden} hidden {s.activation} units, "
        f"one {output} output",
        f"net = nn.mlp({sizes!r}, {_q(s.activation)}, {_q(s.loss)}, "
        f"output_activation={_q(output)},",
        f"             init={_q(s.init)}, seed=seed)",
    ]
    if s.reg == "l1":
        lines.append(f"optimizer = L1SGD({s.lr!r}, l1={s.reg_rate!r})")
    elif s.reg == "l2":
        lines.append(f"optimizer = nn.SGD({s.lr!r}, weight_decay={s.reg_rate!r})")
    else:
        lines.append(f"optimizer = nn.SGD({s.lr!r})")
    return lines


def python_code(settings: Settings, epochs: int = 100) -> str:
    """The Python source that trains ``settings`` for ``epochs`` epochs with nn.

    Parameters
    ----------
    settings : Settings
    epochs : int
        Passes over the training points (the page passes the epochs it has trained).

    Returns
    -------
    str
        A whole script: it prints the losses and each layer's speed of learning.
    """
    s = settings
    head = [
        f'"""The nn playground\'s setup ({s.dataset}, {s.problem}), trained by nn for '
        f"{epochs} epoch{'s' if epochs != 1 else ''}.",
        "",
        "The page takes its mini-batches in the order fit does, from the same seed: after",
        "the same number of epochs, these weights are the page's, bit for bit.",
        '"""',
        "",
        "import numpy as np",
        "",
        "import nn",
        "from nn.diagnostics.measure import speed_of_learning",
    ]
    if s.reg == "l1":
        head.append(L1_CLASS.rstrip("\n"))
        head.append("")
    body = [
        "",
        f"seed = {s.seed}",
        *_data_lines(s),
        "",
        *_network_lines(s),
        "start = net.copy()  # the initial weights, for the doctor below",
        "",
        f"net.fit(F_train, y_train, epochs={epochs}, batch_size={s.batch}, optimizer=optimizer, "
        "seed=seed,",
        "        verbose=False)",
        "train, test = net.evaluate(F_train, y_train), net.evaluate(F_test, y_test)",
        "print(f\"train loss {train['loss']:.4f}, test loss {test['loss']:.4f}\")",
        "# Why so slow? The speed of learning of each layer, ||dC/db||, on the training points",
        'print("speed of learning per layer:", speed_of_learning(net, F_train, y_train))',
        "# The doctor's findings for this setup (a few hundred probe steps from the start):",
        f"# print(nn.diagnose(start, F_train, y_train, optimizer=optimizer, batch_size={s.batch},",
        f"#                  init={_q(s.init)}))",
    ]
    return "\n".join(head + body) + "\n"

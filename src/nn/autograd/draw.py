"""The graph of a computation, drawn as a table: every node with its value and its gradient.

:func:`graph_table` lists the nodes of a scalar graph (:class:`~nn.autograd.scalar.Value`)
in the order they were made, each with the operation that made it,
the nodes it was made from, its value and ``grad``. :func:`small_network` builds the graph
docs/autograd.md draws: a network with two inputs, two sigmoid hidden units and one sigmoid
output, on one example, with the squared-error cost.

Pure Python, like the scalar engine.
"""

from __future__ import annotations

from nn.autograd.scalar import Value, topological_order
from nn.autograd.scalar_net import dense, elementwise

__all__ = ["graph_table", "small_network"]


def graph_table(root: Value) -> str:
    """A Markdown table of every node ``root`` was computed from, in the order they were made.

    Parameters
    ----------
    root : Value
        Usually a cost, after ``root.backward()``.

    Returns
    -------
    str
        One row per node, in the order the forward pass made them (each after the nodes it
        was made from, ``root`` last), so the backward walk reads the table from the bottom
        up. A row gives the node's name (its ``label``, or ``#k`` for an unlabelled
        intermediate node in row ``k``), the operation, the nodes it was made from (a
        constant as its number), its value and its grad, with 6 significant digits.
        Constants (unlabelled leaves) get no row of their own.
    """
    nodes = sorted(topological_order(root), key=lambda v: v.serial)
    rows = [node for node in nodes if node.parents or node.label]
    names = {id(node): node.label or f"#{k}" for k, node in enumerate(rows, start=1)}
    lines = ["| node | op | from | value | grad |", "|---|---|---|---:|---:|"]
    for node in rows:
        made_from = ", ".join(names.get(id(p), f"{p.data:g}") for p in node.parents)
        name, op = names[id(node)], node.op or "leaf"
        lines.append(f"| {name} | {op} | {made_from} | {node.data:.6g} | {node.grad:.6g} |")
    return "\n".join(lines)


def small_network() -> tuple[Value, dict[str, Value]]:
    """A 2-2-1 sigmoid network on one example, its cost computed and backpropagated.

    The weights are fixed numbers, so the table of :func:`graph_table` is the same on every
    machine. The weight from input ``k`` to unit ``j`` of layer ``l`` is ``W{l}[k][j]``, as in
    ``Dense.W``.

    Returns
    -------
    cost : Value
        ``C = 1/2 (a2 - y)^2`` after ``cost.backward()``.
    nodes : dict of str to Value
        Every labelled node by its label: ``x[0]``, ``W1[0][0]``, ``z1[0]``, ``a1[0]``, ...
    """
    x = [[Value(0.5, label="x[0]"), Value(-1.0, label="x[1]")]]  # (batch=1, n_in=2)
    W1 = [
        [Value(0.3, label="W1[0][0]"), Value(-0.6, label="W1[0][1]")],
        [Value(0.8, label="W1[1][0]"), Value(0.2, label="W1[1][1]")],
    ]
    b1 = [Value(0.1, label="b1[0]"), Value(-0.1, label="b1[1]")]
    W2 = [[Value(0.7, label="W2[0][0]")], [Value(-0.5, label="W2[1][0]")]]
    b2 = [Value(0.2, label="b2[0]")]
    y = 1.0
    z1 = dense(x, W1, b1)
    a1 = elementwise(z1, Value.sigmoid)
    z2 = dense(a1, W2, b2)
    a2 = elementwise(z2, Value.sigmoid)
    for name, rows in (("z1", z1), ("a1", a1), ("z2", z2), ("a2", a2)):
        for j, v in enumerate(rows[0]):
            v.label = f"{name}[{j}]"
    cost = 0.5 * (a2[0][0] - y) ** 2
    cost.label = "C"
    cost.backward()
    nodes = {v.label: v for v in topological_order(cost) if v.label}
    return cost, nodes

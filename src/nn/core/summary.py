"""``Network.summary()``: the layers in a table, with the shape of what each one gives.

For ``nn.mlp([784, 30, 10])``::

     #  layer                      output shape  parameters
    --  -------------------------  ------------  ----------
        input                      (784,)
     0  Dense(n_in=784, n_out=30)  (30,)             23,550
     1  Sigmoid()                  (30,)                  0
     2  Dense(n_in=30, n_out=10)   (10,)                310
     3  Sigmoid()                  (10,)                  0
    --  -------------------------  ------------  ----------
        total                                        23,860
    loss: SquaredError(); parameters: float32, 93.2 KiB
    shapes are per example: a batch of n examples has shape (n, *shape)

The shapes come from :func:`nn.core.shapes.walk_shapes` (no data flows); the parameter count
of a layer is the number of entries of its ``params``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nn.core.shapes import Shape, format_shape, walk_shapes

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import Network

__all__ = ["layer_table", "size_in_bytes"]


def size_in_bytes(n: int) -> str:
    """``"512 bytes"``, ``"93.2 KiB"``, ``"1.3 MiB"``."""
    if n < 1024:
        return f"{n} bytes"
    if n < 1024**2:
        return f"{n / 1024:.1f} KiB"
    return f"{n / 1024**2:.1f} MiB"


def layer_table(network: Network, input_shape: Shape | None) -> str:
    """The summary of ``network`` for inputs of ``input_shape`` (None: not known).

    Parameters
    ----------
    network : Network
    input_shape : tuple of int or None
        The shape of one input example; where it is None, the shapes the layers insist on
        fill in what they can and the rest is shown as ``?``.

    Returns
    -------
    str
        One row per layer: its index, its ``repr``, the shape of its output for one example
        and its number of parameters; then the total, the loss, the dtype and memory of the
        parameters.

    Raises
    ------
    ValueError
        If a layer cannot take the shape it would be given.
    """
    shapes = walk_shapes(network.layers, input_shape)
    counts = [sum(int(p.size) for p in layer.params.values()) for layer in network.layers]
    head = ("#", "layer", "output shape", "parameters")
    rows = [("", "input", format_shape(shapes[0]), "")]
    rows += [
        (str(i), repr(layer), format_shape(shape), f"{count:,}")
        for i, (layer, shape, count) in enumerate(zip(network.layers, shapes[1:], counts))
    ]
    total = ("", "total", "", f"{sum(counts):,}")
    widths = [max(len(row[k]) for row in [head, *rows, total]) for k in range(4)]

    def line(row: tuple[str, str, str, str]) -> str:
        a, b, c, d = row
        text = f"{a:>{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d:>{widths[3]}}"
        return text.rstrip()

    rule = line(tuple("-" * w for w in widths))  # type: ignore[arg-type]
    nbytes = sum(int(p.nbytes) for layer in network.layers for p in layer.params.values())
    lines = [line(head), rule, *map(line, rows), rule, line(total)]
    lines.append(
        f"loss: {network.loss!r}; parameters: {network.dtype.name}, {size_in_bytes(nbytes)}"
    )
    lines.append("shapes are per example: a batch of n examples has shape (n, *shape)")
    if any(shape is None for shape in shapes):
        lines.append(
            "?: not known without the shape of the input; pass summary(input_shape=...) or "
            "build the network with Network(..., input_shape=...)"
        )
    return "\n".join(lines)

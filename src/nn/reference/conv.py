"""Convolution and max pooling in pure Python: loops over examples, channels and pixels.

The slow, readable twin of :mod:`nn.functional.conv` and :mod:`nn.functional.pooling`, on
nested lists (``x[n][c][h][w]``, ``W[f][c][p][q]``) and floats, with no NumPy (a test runs
it with NumPy blocked). Every number is one line of the equations of docs/convolution.md:

    out[n][f][i][j] = b[f] + sum over c, p, q of W[f][c][p][q] * xpad[n][c][i*s + p][j*s + q]

and its backward pass sends ``dout[n][f][i][j]`` to each weight (times the pixel it
multiplied) and to each pixel (times the weight). ``nn bench conv`` times it against the
NumPy twins: the same algorithm, a different machine.
"""

from __future__ import annotations

__all__ = [
    "Image",
    "conv2d_backward",
    "conv2d_forward",
    "max_pool_backward",
    "max_pool_forward",
    "multiply_adds",
]

#: A batch of images as nested lists: ``x[n][c][h][w]``.
Image = list[list[list[list[float]]]]


def _zeros(a: int, b: int, c: int, d: int) -> Image:
    return [[[[0.0] * d for _ in range(c)] for _ in range(b)] for _ in range(a)]


def _pad(x: Image, pad: int) -> Image:
    """Each image of ``x`` with ``pad`` zeros on every side."""
    if pad == 0:
        return x
    out = []
    for image in x:
        channels = []
        for plane in image:
            width = len(plane[0]) + 2 * pad
            rows = [[0.0] * width for _ in range(pad)]
            rows += [[0.0] * pad + list(row) + [0.0] * pad for row in plane]
            rows += [[0.0] * width for _ in range(pad)]
            channels.append(rows)
        out.append(channels)
    return out


def _out_size(size: int, kernel: int, stride: int, pad: int) -> int:
    if size + 2 * pad < kernel:
        raise ValueError(f"a kernel of size {kernel} does not fit in {size} padded by {pad}")
    return (size + 2 * pad - kernel) // stride + 1


def conv2d_forward(x: Image, W: Image, b: list[float], stride: int = 1, pad: int = 0) -> Image:
    """The convolution (cross-correlation) of a batch, one multiply-add at a time.

    Parameters
    ----------
    x : nested lists of shape (N, C, H, W)
    W : nested lists of shape (F, C, HH, WW)
    b : list of F floats
    stride, pad : int

    Returns
    -------
    out : nested lists of shape (N, F, Ho, Wo)
    """
    C, HH, WW = len(W[0]), len(W[0][0]), len(W[0][0][0])
    if len(x[0]) != C:
        raise ValueError(f"the kernel has {C} channels, the images {len(x[0])}")
    Ho = _out_size(len(x[0][0]), HH, stride, pad)
    Wo = _out_size(len(x[0][0][0]), WW, stride, pad)
    xpad = _pad(x, pad)
    out = _zeros(len(x), len(W), Ho, Wo)
    for n, image in enumerate(xpad):
        for f, kernel in enumerate(W):
            for i in range(Ho):
                for j in range(Wo):
                    total = b[f]
                    for c in range(C):
                        for p in range(HH):
                            row, weights = image[c][i * stride + p], kernel[c][p]
                            for q in range(WW):
                                total += weights[q] * row[j * stride + q]  # (C1)
                    out[n][f][i][j] = total
    return out


def conv2d_backward(
    dout: Image, x: Image, W: Image, stride: int = 1, pad: int = 0
) -> tuple[Image, Image, list[float]]:
    """Gradients of :func:`conv2d_forward` from ``dout = dC/dout``.

    Returns
    -------
    dx : nested lists of shape (N, C, H, W)
    dW : nested lists of shape (F, C, HH, WW)
    db : list of F floats
    """
    F, C, HH, WW = len(W), len(W[0]), len(W[0][0]), len(W[0][0][0])
    H, Wd = len(x[0][0]), len(x[0][0][0])
    xpad = _pad(x, pad)
    dxpad = _zeros(len(x), C, H + 2 * pad, Wd + 2 * pad)
    dW = _zeros(F, C, HH, WW)
    db = [0.0] * F
    for n, image in enumerate(xpad):
        for f in range(F):
            for i, grad_row in enumerate(dout[n][f]):
                for j, g in enumerate(grad_row):
                    db[f] += g  # (C4)
                    for c in range(C):
                        for p in range(HH):
                            r = i * stride + p
                            for q in range(WW):
                                dW[f][c][p][q] += g * image[c][r][j * stride + q]  # (C2)
                                dxpad[n][c][r][j * stride + q] += g * W[f][c][p][q]  # (C3)
    dx = [[[row[pad : pad + Wd] for row in plane[pad : pad + H]] for plane in im] for im in dxpad]
    return dx, dW, db


def max_pool_forward(
    x: Image, size: int = 2, stride: int | None = None
) -> tuple[Image, list[list[list[list[tuple[int, int]]]]]]:
    """Max pooling; the winner of each window is its first maximum in row-major order.

    Returns
    -------
    out : nested lists of shape (N, C, Ho, Wo)
    winners : nested lists of shape (N, C, Ho, Wo) of ``(h, w)``, the winning input pixel
    """
    stride = size if stride is None else stride
    H, Wd = len(x[0][0]), len(x[0][0][0])
    Ho, Wo = _out_size(H, size, stride, 0), _out_size(Wd, size, stride, 0)
    out, winners = [], []
    for image in x:
        out.append([])
        winners.append([])
        for plane in image:
            values, where = [], []
            for i in range(Ho):
                values.append([])
                where.append([])
                for j in range(Wo):
                    best, at = plane[i * stride][j * stride], (i * stride, j * stride)
                    for h in range(i * stride, i * stride + size):
                        for w in range(j * stride, j * stride + size):
                            if plane[h][w] > best:  # strictly: a tie keeps the first (P1)
                                best, at = plane[h][w], (h, w)
                    values[-1].append(best)
                    where[-1].append(at)
            out[-1].append(values)
            winners[-1].append(where)
    return out, winners


def max_pool_backward(
    dout: Image, winners: list[list[list[list[tuple[int, int]]]]], H: int, W: int
) -> Image:
    """Each ``dout[n][c][i][j]`` added to the one input that won its window (P2).

    Returns
    -------
    dx : nested lists of shape (N, C, H, W)
    """
    dx = _zeros(len(dout), len(dout[0]), H, W)
    for n, image in enumerate(dout):
        for c, plane in enumerate(image):
            for i, row in enumerate(plane):
                for j, g in enumerate(row):
                    h, w = winners[n][c][i][j]
                    dx[n][c][h][w] += g
    return dx


def multiply_adds(x_shape: tuple[int, ...], W_shape: tuple[int, ...], stride: int, pad: int) -> int:
    """Multiply-adds of one forward pass: ``N * F * Ho * Wo * C * HH * WW``.

    The backward pass does two per forward one (C2 and C3), so a training step is about three
    times this: the cost ``nn bench conv`` divides its timings by.
    """
    N, C, H, Wd = x_shape
    F, _, HH, WW = W_shape
    Ho, Wo = _out_size(H, HH, stride, pad), _out_size(Wd, WW, stride, pad)
    return N * F * Ho * Wo * C * HH * WW

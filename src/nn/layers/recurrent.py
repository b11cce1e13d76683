"""Recurrent layers: :class:`RNN` (tanh), :class:`LSTM` and :class:`GRU`, on ``(batch, T, n_in)``.

Each runs its cell over the ``T`` steps of a batch of sequences and returns every hidden state,
``(batch, T, n_hidden)``, or only the last, ``(batch, n_hidden)`` (``return_sequences=False``).
The arithmetic is in :mod:`nn.functional.recurrent` (readable, one step at a time, what
docs/recurrent.md derives) and :mod:`nn.functional.recurrent_fast` (the same numbers in fused
products, what runs here); the pure-Python twin is :mod:`nn.reference.recurrent`.

State in, state out
-------------------
A sequence too long for one batch is cut into chunks, and the state at the end of one chunk
is the start of the next. The layer never does that behind your back:

* ``initial_state``: the state the next forward pass starts from, ``None`` for zeros
  (a tuple ``(h,)``, or ``(h, c)`` for the LSTM, each ``(batch, n_hidden)``);
* ``final_state``: the state after the last forward pass;
* :meth:`Recurrent.carry_state` sets ``initial_state`` to a copy of ``final_state`` (the
  chunks continue each other: *carried on purpose*) and :meth:`Recurrent.reset_state` sets it
  back to zeros (a new sequence starts: *cut on purpose*).

The gradient does not flow from one chunk into the previous one: that is *truncated*
backpropagation through time, and ``initial_state`` is a constant to the chunk it starts.
After ``backward``, ``grad_initial_state`` holds ``dC/d(initial state)`` anyway, and a gradient
for ``final_state`` coming back from a later chunk can be handed in through
``grad_final_state``: with both, chunks give exactly the gradient of the whole sequence
(``tests/test_recurrent_layers.py`` checks it).

What the diagnostics read
-------------------------
After ``backward``, ``grad_norms_through_time`` holds ``||dC/dh_t||`` for every step
``t = 1 .. T`` (the norm over the batch and the units), so ``grad_norms_through_time[::-1]``
is the gradient's size 0, 1, 2, ... steps back from the end: the seed's "why are the gradients
so tiny?" asked across time (:class:`nn.Diagnostics` records it; docs/recurrent.md explains
it). It is None before the first backward pass.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nn.core.layer import Layer
from nn.functional.recurrent_fast import BACKWARD, FORWARD, Workspace

__all__ = ["GRU", "LSTM", "RNN", "RECURRENT_INITS", "Recurrent"]

#: ``init`` choices: "uniform" draws every weight from U(-k, k), k = 1/sqrt(n_hidden), as
#: PyTorch does; "orthogonal" makes each gate's block of ``Wh`` an orthogonal matrix (every
#: singular value 1, Saxe et al. 2014), so the recurrence alone neither shrinks nor grows a
#: gradient. Biases start at 0, except the LSTM's forget gate at 1 (Gers et al. 2000).
RECURRENT_INITS = ("uniform", "orthogonal")


def _check_size(cls_name: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{cls_name}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random ``(n, n)`` orthogonal matrix: the Q of a Gaussian matrix, signs fixed by R."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


class Recurrent(Layer, register=False):
    """What :class:`RNN`, :class:`LSTM` and :class:`GRU` share; each names its cell.

    Parameters
    ----------
    n_in : int
        Features of each time step of the input.
    n_hidden : int
        Units of the hidden state ``h``.
    return_sequences : bool, default True
        Return every ``h_t``, ``(batch, T, n_hidden)``; False: only the last, ``(batch,
        n_hidden)`` (a sequence classifier or the adding problem).
    init : {"uniform", "orthogonal"} or dict, default "uniform"
        See :data:`RECURRENT_INITS`; or the arrays ``{"Wx", "Wh", "b"}`` to start from, used
        as they are (what :func:`nn.load` passes, :meth:`from_arrays`).
    rng : numpy.random.Generator or int or None
        Source of the initial weights.
    dtype : numpy dtype, default float32

    Attributes
    ----------
    params : dict
        ``Wx`` (n_in, G * n_hidden), ``Wh`` (n_hidden, G * n_hidden), ``b`` (G * n_hidden,),
        the G gates side by side (see :mod:`nn.functional.recurrent`); the GRU adds ``bh``.
    initial_state, final_state, grad_initial_state, grad_final_state : tuple of ndarray or None
        See the module docstring.
    grad_norms_through_time : ndarray of shape (T,) or None
        ``||dC/dh_t||`` for t = 1 .. T after the last ``backward``.
    """

    #: Name of the cell in :mod:`nn.functional.recurrent`, gates per step, state arrays.
    cell: ClassVar[str] = ""
    n_gates: ClassVar[int] = 1
    n_states: ClassVar[int] = 1
    #: Trait: the additive path through time along which the gradient is multiplied by a gate
    #: rather than by ``Wh`` and ``tanh'`` (None: there is none, the plain RNN). The doctor
    #: reads it to choose its advice about gradients that vanish through time.
    memory_path: ClassVar[str | None] = None
    can_skip_dx = True  # the first layer of a network is not asked for dC/dx

    def __init__(
        self,
        n_in: int,
        n_hidden: int,
        *,
        return_sequences: bool = True,
        init: str | dict[str, np.ndarray] = "uniform",
        rng: np.random.Generator | int | None = None,
        dtype: np.dtype | type = np.float32,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.n_in = _check_size(name, "n_in", n_in)
        self.n_hidden = _check_size(name, "n_hidden", n_hidden)
        self.return_sequences = bool(return_sequences)
        if isinstance(init, dict):  # stored arrays (from_arrays): used as they are, not drawn
            self.params = dict(init)
        elif init not in RECURRENT_INITS:
            raise ValueError(f"{name}: init must be one of {RECURRENT_INITS}, got {init!r}")
        else:
            self.params = self.initial_params(init, np.random.default_rng(rng), np.dtype(dtype))
        # np.zeros, not zeros_like: fresh zero pages cost no memory until backward writes them
        self.grads = {k: np.zeros(v.shape, v.dtype) for k, v in self.params.items()}
        self.initial_state: tuple[np.ndarray, ...] | None = None
        self.final_state: tuple[np.ndarray, ...] | None = None
        self.grad_initial_state: tuple[np.ndarray, ...] | None = None
        self.grad_final_state: tuple[np.ndarray, ...] | None = None
        self.grad_norms_through_time: np.ndarray | None = None
        self.workspace = Workspace()
        self.cache: Any = None

    def initial_params(
        self, init: str, rng: np.random.Generator, dtype: np.dtype
    ) -> dict[str, np.ndarray]:
        H, G = self.n_hidden, self.n_gates
        k = 1.0 / np.sqrt(H)
        Wx = rng.uniform(-k, k, size=(self.n_in, G * H))
        if init == "orthogonal":
            Wh = np.concatenate([_orthogonal(H, rng) for _ in range(G)], axis=1)
        else:
            Wh = rng.uniform(-k, k, size=(H, G * H))
        return {"Wx": Wx.astype(dtype), "Wh": Wh.astype(dtype), "b": np.zeros(G * H, dtype)}

    # ------------------------------------------------------------------ the state
    def carry_state(self) -> None:
        """Start the next forward pass where the last one ended (the next chunk of the same
        sequences); the gradient will not flow back across (truncated BPTT)."""
        if self.final_state is None:
            raise ValueError(f"{type(self).__name__}: no forward pass yet, no state to carry")
        self.initial_state = tuple(s.copy() for s in self.final_state)

    def reset_state(self) -> None:
        """Start the next forward pass from zeros (new sequences)."""
        self.initial_state = None

    def _start_state(self, batch: int, dtype: np.dtype) -> tuple[np.ndarray, ...]:
        if self.initial_state is None:
            return tuple(np.zeros((batch, self.n_hidden), dtype) for _ in range(self.n_states))
        state = tuple(np.asarray(s, dtype=dtype) for s in self.initial_state)
        want = (batch, self.n_hidden)
        if len(state) != self.n_states or any(s.shape != want for s in state):
            got = [s.shape for s in state]
            raise ValueError(
                f"{type(self).__name__}: initial_state must be {self.n_states} array(s) of "
                f"shape {want} for this batch, got {got}; call reset_state() to start from "
                "zeros, e.g. when the batch size changes"
            )
        return state

    # ------------------------------------------------------------------ the math
    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        """Run the cell over every step of ``x``.

        Parameters
        ----------
        x : ndarray of shape (batch, T, n_in)
        training : bool
            Unused: the layer behaves the same in training and prediction.

        Returns
        -------
        ndarray of shape (batch, T, n_hidden), or (batch, n_hidden) without return_sequences
        """
        Wh = self.params["Wh"]
        x = np.asarray(x, dtype=Wh.dtype)
        if x.ndim != 3 or x.shape[2] != self.n_in:
            raise ValueError(
                f"{self!r} takes sequences of shape (batch, T, {self.n_in}), got {x.shape}"
            )
        batch = x.shape[0]
        x_tm = x.transpose(1, 0, 2)  # (T, batch, n_in), a view: the cell copies it once
        state0 = self._start_state(batch, Wh.dtype)
        self.cache, self.final_state = FORWARD[self.cell](x_tm, state0, self.params, self.workspace)
        hs = self.cache[0]  # (T + 1, batch, H), h_0 first
        return hs[1:].transpose(1, 0, 2) if self.return_sequences else hs[-1].copy()

    def backward(self, dy: np.ndarray, *, need_dx: bool = True) -> np.ndarray | None:
        """Backpropagation through time over the sequence of the last forward pass.

        Parameters
        ----------
        dy : ndarray of shape (batch, T, n_hidden), or (batch, n_hidden)
            ``dC/dh_t`` from the layers above: for every step, or for the last one only
            (without ``return_sequences``).
        need_dx : bool, default True
            False skips ``dC/dx`` (one product) and returns None.

        Returns
        -------
        ndarray of shape (batch, T, n_in), or None
        """
        if self.cache is None:
            raise ValueError(f"{type(self).__name__}: backward needs a forward pass first")
        hs = self.cache[0]
        T1, batch, H = hs.shape
        dy = np.asarray(dy, dtype=hs.dtype)
        if self.return_sequences:
            dh_out = np.ascontiguousarray(dy.transpose(1, 0, 2))  # (T, batch, H)
        else:
            dh_out = self.workspace.get("dh_out", (T1 - 1, batch, H), hs.dtype)
            dh_out.fill(0)
            dh_out[-1] = dy  # only h_T feeds the layers above
        dstate = self.grad_final_state
        if dstate is None:
            dstate = tuple(np.zeros((batch, H), hs.dtype) for _ in range(self.n_states))
        dx, self.grad_initial_state, self.grad_norms_through_time = BACKWARD[self.cell](
            dh_out, dstate, self.cache, self.params, self.grads, self.workspace, need_dx
        )
        return None if dx is None else dx.transpose(1, 0, 2)

    # ------------------------------------------------------------------ description
    def working_floats(self, input_shape: tuple[int, ...]) -> int:
        """Numbers one sequence holds in :meth:`forward` (an upper bound): its input, and per
        step the gates' pre-activations and values, the states and their scratch."""
        T, D = input_shape
        return T * (D + (2 * self.n_gates + 4) * self.n_hidden)

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(T, n_hidden)`` (or ``(n_hidden,)``) for sequences of shape ``(T, n_in)``."""
        shape = tuple(input_shape)
        if len(shape) != 2 or shape[1] != self.n_in:
            raise ValueError(
                f"{self!r} takes sequences of shape (T, {self.n_in}) per example, got {shape}"
            )
        return (shape[0], self.n_hidden) if self.return_sequences else (self.n_hidden,)

    def config(self) -> dict[str, Any]:
        return {
            "n_in": self.n_in,
            "n_hidden": self.n_hidden,
            "return_sequences": self.return_sequences,
        }

    @classmethod
    def from_arrays(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Recurrent:
        """The layer around stored ``Wx``, ``Wh`` and ``b`` (not copied): what :func:`nn.load`
        builds, drawing no random weights only to replace them."""
        return cls(**config, init=arrays)

    @classmethod
    def param_shapes(cls, **config: Any) -> dict[str, tuple[int, ...]]:
        n_in = _check_size(cls.__name__, "n_in", config.get("n_in"))
        H = _check_size(cls.__name__, "n_hidden", config.get("n_hidden"))
        G = cls.n_gates
        return {"Wx": (n_in, G * H), "Wh": (H, G * H), "b": (G * H,)}


class RNN(Recurrent):
    """The plain (Elman) recurrent layer: ``h_t = tanh(x_t Wx + h_{t-1} Wh + b)`` (RNN1).

    Back through time its gradient is multiplied, step after step, by ``diag(1 - h_t^2) Wh^T``:
    it fades when ``Wh``'s largest singular value is below 1 (and tanh' never exceeds 1), and
    may grow when it is above (docs/recurrent.md, VT1, VT2). See :class:`Recurrent` for the
    parameters.
    """

    cell = "rnn"
    n_gates = 1
    n_states = 1
    memory_path = None  # no additive path: every step back multiplies by diag(tanh') Wh^T
    saturation_range = (-0.98, 0.98)  # h = tanh(z): tanh' < 0.04 out there
    output_range = "(-1, 1)"


class LSTM(Recurrent):
    """Long short-term memory: gates ``i, f, g, o`` and a cell state ``c`` (LSTM1, LSTM2).

    ``c_t = f * c_{t-1} + i * g`` is an additive path: back along it the gradient is multiplied
    by the forget gate ``f`` alone, no weight matrix and no tanh', so with ``f`` near 1 it
    survives many steps (LSTM3). Its state is ``(h, c)``. The forget gate's bias starts at 1.
    See :class:`Recurrent` for the parameters.
    """

    cell = "lstm"
    n_gates = 4
    n_states = 2
    memory_path = "the cell state c, times the forget gate f per step"  # LSTM3

    def initial_params(
        self, init: str, rng: np.random.Generator, dtype: np.dtype
    ) -> dict[str, np.ndarray]:
        params = super().initial_params(init, rng, dtype)
        H = self.n_hidden
        params["b"][H : 2 * H] = 1.0  # forget gate open at the start (Gers et al. 2000)
        return params


class GRU(Recurrent):
    """Gated recurrent unit: reset ``r`` and update ``z`` gates (GRU1, GRU2), PyTorch's form.

    ``h_t = (1 - z) * n + z * h_{t-1}``: where ``z`` is near 1 the state is copied forward and
    the gradient flows back along the ``z * h_{t-1}`` path (GRU3). Parameters as
    :class:`Recurrent`, plus ``bh`` (n_hidden,), the bias of ``h Wh_n`` inside the reset gate.
    """

    cell = "gru"
    n_gates = 3
    n_states = 1
    memory_path = "the z * h_(t-1) term, times the update gate z per step"  # GRU3

    def initial_params(
        self, init: str, rng: np.random.Generator, dtype: np.dtype
    ) -> dict[str, np.ndarray]:
        params = super().initial_params(init, rng, dtype)
        params["bh"] = np.zeros(self.n_hidden, dtype)
        return params

    @classmethod
    def param_shapes(cls, **config: Any) -> dict[str, tuple[int, ...]]:
        shapes = super().param_shapes(**config)
        shapes["bh"] = (shapes["Wh"][0],)
        return shapes

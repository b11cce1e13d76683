"""The layer protocol: what every layer of every network in the collection provides.

The protocol
------------
A layer is anything with

* ``forward(x, *, training=False) -> y``: compute the output and keep what ``backward`` needs
  (the *cache*) on ``self``;
* ``backward(dy) -> dx``: given ``dy = dC/dy`` for the output of the last ``forward``, fill
  the gradients of the layer's parameters and return ``dx = dC/dx``;
* ``params`` and ``grads``: two dicts with the same keys, parameter name -> array, where
  ``grads[k]`` has the shape of ``params[k]`` and holds ``dC/dparams[k]`` after ``backward``
  (both empty for a layer without parameters);
* ``config() -> dict``: the constructor arguments that rebuild the layer (for saving);
* ``param_shapes(**config) -> dict`` (a classmethod): the shape of each parameter the layer
  built from ``config`` would have, computed without building it, so ``nn.load`` can check a
  file's description against its arrays before allocating anything;
* ``from_arrays(config, arrays)`` (a classmethod): the layer built around stored parameter
  arrays, which :func:`nn.load` calls. The default builds ``cls(**config)`` and puts the
  arrays in place of the parameters it drew; a layer with large parameters overrides it so
  that no random initial weights are drawn only to be thrown away (:class:`Dense` does), and
  loading a file then allocates about what the file holds.

Optionally, a layer may keep *buffers*: arrays of state that are not trained by gradient
descent but belong to the model, such as batch norm's running averages. They are a dict
``buffers`` (name -> array, names distinct from the parameters'), declared by the classmethod
``buffer_shapes(**config)`` as ``param_shapes`` declares parameters; ``save``/``load`` and
checkpoints keep them (keyed ``"<layer index>.<name>"`` as parameters are, see
:func:`layer_buffers`), the optimizers and the gradient checker never see them.

Optionally, a layer may set ``can_skip_dx = True`` and accept ``backward(dy, need_dx=False)``,
which fills ``grads`` but skips computing ``dx`` and returns None. Training never uses the
gradient with respect to the network's input, so :meth:`~nn.core.network.Network.backward` asks
the first layer for no ``dx`` when it can (for :class:`Dense`, one matrix product of three).
A layer that leaves ``can_skip_dx`` False, or does not have it, is always called as
``backward(dy)``.

:class:`~nn.core.network.Network`, the optimizers, the gradient checker and ``save``/``load``
use nothing else, so a new layer (your own, or dropout, convolution, ...) plugs in by
following it.

Shapes
------
Shapes are batch-first: a layer takes ``x`` of shape ``(batch, *in_shape)``, for example
``(batch, n_in)`` for a dense layer, ``(batch, C, H, W)`` for images, ``(batch, T, D)`` for
sequences. :meth:`Layer.output_shape` says what one example's output shape is for a given
input shape (or raises ``ValueError`` saying why the layer cannot take it), so a network's
shapes are known, checked and printed (:meth:`nn.Network.summary`) before any data flows
(:mod:`nn.core.shapes`). :attr:`Layer.input_shape` is the one input shape a layer insists on
(``(n_in,)`` for ``Dense``), or None for a layer that takes any (an activation); a network
whose first layer takes any shape is told its input's with ``Network(..., input_shape=...)``.
The default ``output_shape`` keeps the shape, so a layer that changes it (a flatten, a
convolution) must override it.

Traits
------
Code that must know what kind of layer it has (the gradient checker, the diagnostics, the
doctor, the command line) asks these class attributes, never the class's name:

* ``is_activation``: an activation layer, one ``mlp(activation=...)`` may name;
* ``has_kink``: the derivative jumps somewhere (ReLU at 0), so finite differences taken across
  the jump are wrong there (the gradient checker says so instead of calling it a bug);
* ``saturation_range``: ``(low, high)``, the outputs outside which the units are saturated and
  learn slowly (sigmoid, tanh), or None;
* ``can_die``: units whose output and gradient are exactly 0 over a whole region of inputs
  (ReLU), so a unit can stop learning for good;
* ``output_range``: the outputs it can give, written as an interval (``"(0, 1)"`` for sigmoid
  and softmax, ``"[0, inf)"`` for ReLU), or None for any real number;
* ``is_random``: draws random numbers while training (dropout) from its ``rng`` attribute, a
  :class:`numpy.random.Generator`, which the gradient checker replays between evaluations.
* ``is_increasing``: an elementwise function that never decreases (sigmoid, tanh, ReLU), so
  it commutes with a maximum: ``max(f(a), f(b)) = f(max(a, b))``, and ``nn.cnn`` may apply it
  after max pooling, on a quarter of the numbers, with the same result;
* ``mixes_examples``: in training, an example's output depends on the other examples of its
  batch (batch normalization's batch statistics), so a mini-batch cannot be split into shards
  that run apart (``fit(workers=...)``, :mod:`nn.train.parallel`, refuses such a layer).

Whether a layer has parameters is ``bool(layer.params)``.

Registration
------------
Defining a subclass registers it by class name (:mod:`nn.core.registry`), so ``nn.load`` and
checkpoints can rebuild it without any list to edit; ``class Base(Layer, register=False)``
keeps a shared base class out.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np

from nn.core import registry

__all__ = ["Layer", "layer_buffers"]


class Layer:
    """Base class of every layer. Parameter-free by default: ``params`` and ``grads`` empty."""

    params: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]
    #: Whether ``backward`` accepts ``need_dx=False`` (see the module docstring).
    can_skip_dx: ClassVar[bool] = False
    # Traits (see the module docstring); the defaults describe a plain linear map.
    is_activation: ClassVar[bool] = False
    has_kink: ClassVar[bool] = False
    saturation_range: ClassVar[tuple[float, float] | None] = None
    can_die: ClassVar[bool] = False
    output_range: ClassVar[str | None] = None
    is_random: ClassVar[bool] = False
    is_increasing: ClassVar[bool] = False
    mixes_examples: ClassVar[bool] = False
    #: The shape of one example this layer insists on, or None if it takes any shape.
    input_shape: tuple[int, ...] | None = None

    def __init_subclass__(cls, register: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if register:
            _register(cls)

    def __init__(self) -> None:
        self.params = {}
        self.grads = {}

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        """Compute the layer's output for a batch ``x`` and keep the cache for ``backward``."""
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """Fill ``self.grads`` from ``dy = dC/dy`` and return ``dx = dC/dx``."""
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """The keyword arguments that rebuild this layer (its parameters are saved apart)."""
        return {}

    @classmethod
    def param_shapes(cls, **config: Any) -> dict[str, tuple[int, ...]]:
        """Shape of each parameter of ``cls(**config)``, without building it (none here)."""
        return {}

    @classmethod
    def from_arrays(cls, config: dict[str, Any], arrays: dict[str, np.ndarray]) -> Layer:
        """The layer ``cls(**config)`` with ``arrays`` (name -> array) as its parameters.

        The arrays are used as they are, not copied; the gradients start at zero. A layer
        whose constructor draws large random parameters should override this and build the
        layer around ``arrays`` directly, as :meth:`nn.Dense.from_arrays` does.
        """
        layer = cls(**config)
        for name, array in arrays.items():
            layer.params[name] = array
            layer.grads[name] = np.zeros(array.shape, array.dtype)  # zero pages, not yet touched
        return layer

    @classmethod
    def buffer_shapes(cls, **config: Any) -> dict[str, tuple[int, ...]]:
        """Shape of each buffer of ``cls(**config)`` (see the module docstring; none here)."""
        return {}

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of one example's output for one example's input of ``input_shape``.

        The default is for layers that keep the shape (activations, dropout). A layer that
        needs a particular shape raises ``ValueError`` saying what it expected.
        """
        return tuple(input_shape)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.config().items())
        return f"{type(self).__name__}({args})"


def layer_buffers(layers: Sequence[Any]) -> Iterator[tuple[str, np.ndarray]]:
    """Every buffer of ``layers`` as ``(key, array)``, keyed ``"<layer index>.<name>"``.

    Read with ``getattr``, so a layer without ``buffers`` simply has none.
    """
    for i, layer in enumerate(layers):
        for name, array in getattr(layer, "buffers", {}).items():
            yield f"{i}.{name}", array


def _register(cls: type[Layer]) -> None:
    """File a new layer class under its name, and among the activations if it is one."""
    registry.register(registry.LAYERS, cls)
    if cls.is_activation:
        registry.register(registry.ACTIVATIONS, cls)

"""The three training configurations of the benchmarks (issue 7).

* (a) the seed's network: [784, 30, 10], sigmoid, squared error, mini-batches of 10, eta 3.0;
* (b) [784, 256, 128, 10], ReLU, softmax cross-entropy, mini-batches of 128;
* (c) [784, 1024, 1024, 10], ReLU, softmax cross-entropy, mini-batches of 256.

Every benchmark script reads them from here so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Config:
    """One benchmark configuration: an ``nn.mlp`` and its SGD settings."""

    name: str
    sizes: tuple[int, ...]
    activation: str
    loss: str
    batch_size: int
    lr: float

    def describe(self) -> str:
        sizes = ", ".join(map(str, self.sizes))
        return f"({self.name}) [{sizes}] {self.activation}/{self.loss}, batch {self.batch_size}"


CONFIGS = {
    "a": Config("a", (784, 30, 10), "sigmoid", "squared_error", 10, 3.0),
    "b": Config("b", (784, 256, 128, 10), "relu", "softmax_cross_entropy", 128, 0.1),
    "c": Config("c", (784, 1024, 1024, 10), "relu", "softmax_cross_entropy", 256, 0.1),
}

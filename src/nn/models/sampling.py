"""Sampling words from a character-level model, one character at a time.

:func:`generate` starts every word with the boundary mark ``"."`` (and an optional prompt),
asks the network for the next character's probabilities, draws one, feeds it back, and stops
a word at the next ``"."``. The temperature ``tau`` divides the logits before the softmax:
``p_j ~ exp(z_j / tau)``, so ``tau < 1`` sharpens the distribution toward the likeliest
characters (more common-looking names, less variety) and ``tau > 1`` flattens it.

A network whose layers carry their state (the recurrent layers' ``carry_state``, see
:mod:`nn.layers.recurrent`) is fed one character per step, its state carried on purpose from
step to step: each step costs one step of the cell. Any other network (the bigram) is fed the
whole word so far at every step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nn.datasets.sequences import Vocabulary
from nn.functional.activations import softmax

if TYPE_CHECKING:  # pragma: no cover
    from nn.core.network import Network

__all__ = ["generate"]


def _stateful(net: Network) -> list:
    return [layer for layer in net.layers if callable(getattr(layer, "carry_state", None))]


def generate(
    net: Network,
    vocabulary: Vocabulary,
    n: int = 20,
    *,
    temperature: float = 1.0,
    prompt: str = "",
    seed: int | np.random.Generator | None = None,
    max_length: int = 40,
) -> list[str]:
    """``n`` words sampled from ``net``, each starting with ``prompt``.

    Parameters
    ----------
    net : Network
        A character model: ids ``(batch, T)`` in, logits ``(batch, T, len(vocabulary))`` out.
    vocabulary : Vocabulary
    n : int
        Words to sample (sampled side by side, as one batch).
    temperature : float
        Divides the logits; must be positive.
    prompt : str
        The start of every word (characters of the vocabulary, without ``"."``).
    seed : int or Generator, optional
        Source of the draws: the same seed gives the same words.
    max_length : int
        Characters after which a word is cut if it has not ended.

    Returns
    -------
    list of str
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}")
    if n < 1 or max_length < 1:
        raise ValueError(f"n and max_length must be at least 1, got {n} and {max_length}")
    if vocabulary.boundary in prompt:
        raise ValueError(f"the prompt may not contain the boundary mark {vocabulary.boundary!r}")
    rng = np.random.default_rng(seed)
    stateful = _stateful(net)
    for layer in stateful:
        layer.reset_state()
    words = np.tile([0, *vocabulary.encode(prompt)], (n, 1))  # (n, 1 + len(prompt))
    feed = words
    done = np.zeros(n, dtype=bool)
    try:
        for _ in range(max_length):
            logits = net.forward(feed)[:, -1].astype(np.float64)  # (n, n_tokens)
            p = softmax(logits / temperature)
            u = rng.random((n, 1))
            nxt = np.minimum((np.cumsum(p, axis=1) < u).sum(axis=1), p.shape[1] - 1)
            nxt[done] = 0
            done |= nxt == 0
            words = np.concatenate([words, nxt[:, None]], axis=1)
            if done.all():
                break
            for layer in stateful:
                layer.carry_state()
            feed = nxt[:, None] if stateful else words
    finally:
        for layer in stateful:
            layer.reset_state()
    return [vocabulary.decode(w[1:]).split(vocabulary.boundary)[0] for w in words]

"""The training loop, kept outside the model: epochs, mini-batches, callbacks, safeguards and
checkpoints.

``loop.py`` (:func:`fit`: the loop itself), ``progress.py`` (the epoch line, durations),
``callbacks.py`` (hooks, :class:`~nn.train.callbacks.EarlyStopping`), ``safeguards.py``
(divergence and Ctrl-C), ``checkpoint.py`` (save and resume a run), ``checks.py`` (the
training options, checked before any work). :meth:`nn.Network.fit` calls :func:`fit`.
"""

from nn.train.loop import fit

__all__ = ["fit"]

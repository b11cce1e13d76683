"""``nn playground``: a local web page where the library trains a small network, step by step.

Like the TensorFlow Playground (data sets, features, layers, activation, learning rate,
regularization, the decision surface and every neuron's picture), but the training is nn's own
(:meth:`nn.Network.train_step`), and the page also shows the seed's two questions live: how
fast each layer learns (||dC/db||, as :class:`nn.Diagnostics` measures it) and how many of its
units are saturated or dead, with the doctor's findings on demand and the nn code of the setup.

Start it with ``nn playground`` or ``python -m nn.playground``; from Python::

    from nn.playground import serve
    serve(port=8000, open_browser=False)   # until Ctrl-C

The parts: :mod:`~nn.playground.settings` (the URL's settings, checked),
:mod:`~nn.playground.data` (the points and features), :mod:`~nn.playground.engine` (the
network and its steps), :mod:`~nn.playground.frame` (what the page draws),
:mod:`~nn.playground.session` (pacing, one per tab), :mod:`~nn.playground.server` (HTTP),
:mod:`~nn.playground.code` ("show as Python"), :mod:`~nn.playground.doctor`, and the page
itself in ``static/`` (plain JavaScript and canvas: nothing is downloaded at run time).

Only the standard library serves it. ``import nn`` never loads this package.
"""

from __future__ import annotations

from nn.playground.launch import serve

__all__ = ["serve"]

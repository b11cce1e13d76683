"""The protocol every network of the collection follows.

``layer.py`` (:class:`Layer`: forward, backward, parameters, shapes, traits), ``loss.py``
(:class:`Loss`), ``network.py`` (:class:`Network`: forward, the memoized backward walk,
gradients, one training step, predict, evaluate), ``shapes.py`` (the shape of one example
walked through the layers), ``network_shapes.py`` (what a network knows about shapes, and
the checks of data against them), ``summary.py`` (``Network.summary``'s table),
``labels.py`` (targets and outputs read as classes), ``validation.py`` (the checks on what a
user hands in), ``errors.py``, ``registry.py`` (names). Nothing here imports from the rest of
the package, except the two conveniences ``Network.fit`` and ``Network.save``, which call
:mod:`nn.train` and :mod:`nn.io`.
"""

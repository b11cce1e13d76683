"""The API of Nielsen's *Neural Networks and Deep Learning*, chapter 1, over this library.

Readers of the book type his code first::

    from nn.book import mnist_loader, network

    training_data, validation_data, test_data = mnist_loader.load_data_wrapper()
    net = network.Network([784, 30, 10])
    net.SGD(training_data, 30, 10, 3.0, test_data=test_data)

and that works here, printing his ``Epoch 0: 1790 / 2000`` lines. :mod:`nn.book.network` is
his ``network.py`` (``sizes``, ``biases``, ``weights``, ``feedforward``, ``SGD``,
``update_mini_batch``, ``backprop``, ``evaluate``, ``cost_derivative``) as a thin layer over
:func:`nn.mlp`: the weights live in an :class:`nn.Network` and every step is the library's
arithmetic. :mod:`nn.book.mnist_loader` is his ``mnist_loader.py``, reading the digits that
ship with the package (or full MNIST). Neither module loads with ``import nn``.
"""

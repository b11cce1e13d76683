"""The math as plain functions of NumPy arrays, which the layers, the tests and the slow twins share.

``activations.py``: ``sigmoid``, ``sigmoid_prime`` (at the pre-activation ``z``),
``sigmoid_prime_from_output`` (at the output ``a``), and likewise for tanh, ReLU, leaky ReLU,
the identity and softmax.
"""

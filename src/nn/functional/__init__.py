"""The math as plain functions of NumPy arrays, shared by the layers, tests and slow twins.

``activations.py``: ``sigmoid``, ``sigmoid_prime`` (at the pre-activation ``z``),
``sigmoid_prime_from_output`` (at the output ``a``), and likewise for tanh, ReLU, leaky ReLU,
the identity and softmax.
"""

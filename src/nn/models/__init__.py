"""Builders of whole networks from a short description: ``mlp(sizes)`` (``mlp.py``)."""

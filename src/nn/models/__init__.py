"""Builders of whole networks from a short description: ``mlp(sizes)`` (``mlp.py``), the
character-level language model ``char_rnn`` (``char_rnn.py``) with its count-based baseline
(``bigram.py``) and its sampler (``sampling.py``)."""

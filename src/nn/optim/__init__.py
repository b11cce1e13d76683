"""Optimizers (``optimizers.py``: SGD with momentum and Nesterov, RMSProp, Adam) and
learning-rate schedules (``schedules.py``: StepDecay, CosineDecay)."""

"""Gradient checking: backprop against finite differences (``gradcheck.py``) and its
report and verdict (``report.py``)."""

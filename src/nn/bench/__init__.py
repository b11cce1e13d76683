"""Timing the slow ways against the fast way: one harness (``timing.py``), the backprop ladder
(``backprop.py``), predicted times for routes too slow to run (``predict.py``), the tables and
command line (``report.py``) and the plot (``plot.py``)."""

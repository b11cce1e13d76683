"""Why a network learns the way it does: which layers are measured and the statistics of each
(``statistics.py``), measurements while training (``measure.py``,
:class:`~nn.diagnostics.measure.Diagnostics`), a short probe run (``probe.py``), the rules that
read it (``findings/``), the doctor that runs both (``doctor.py``), and pictures (``plots.py``,
matplotlib). Only ``statistics.py`` and ``measure.py`` load with ``import nn``; the rest load
when used.
"""

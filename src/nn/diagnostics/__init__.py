"""Why a network learns the way it does: measurements while training (``measure.py``,
:class:`~nn.diagnostics.measure.Diagnostics`), a short probe run (``probe.py``), the rules that
read it (``findings/``), the doctor that runs both (``doctor.py``), and pictures
(``plots.py``, matplotlib). Only ``measure.py`` loads with ``import nn``; the rest load when
used.
"""

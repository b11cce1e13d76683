"""The doctor's rules: thresholds and shared parts (``base.py``), the rules read off one probe
(``rules.py``), and the learning-rate experiments (``learning_rate.py``)."""

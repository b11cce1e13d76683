"""Files: safe ``.npz`` reading and atomic writes (``npz.py``), models saved and loaded
(``model_file.py``), and checks of output paths before any work (``paths.py``)."""

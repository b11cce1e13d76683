"""Files: safe ``.npz`` reading and atomic writes (``npz.py``), models saved and loaded
(``model_file.py``), checks of output paths before any work (``paths.py``), and export to ONNX
and PyTorch and back from PyTorch (``export.py``, one table per format in ``onnx_export.py`` and
``torch_convert.py``; ``onnx`` and ``torch`` are optional and load only when used)."""

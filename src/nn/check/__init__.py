"""Gradient checking: backprop against finite differences or the autograd engine.

``gradcheck.py`` (:func:`check_gradients`), ``backprop_pass.py`` (the gradients being
checked), ``finite_differences.py`` and ``autograd_reference.py`` (the two references),
``report.py`` (:class:`GradCheckReport`, the judging) and ``explain.py`` (the verdict's words).
"""

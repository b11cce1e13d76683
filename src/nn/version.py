"""The package's version, in one place: ``nn.__version__`` and ``nn --version`` read it here.

pyproject.toml repeats it for the installers (tests/test_cli_version.py holds the two equal).
"""

__version__ = "0.1.0"

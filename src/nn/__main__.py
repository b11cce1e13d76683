"""``python -m nn`` is the ``nn`` command."""

from nn.cli import main

raise SystemExit(main())

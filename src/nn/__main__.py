"""``python -m nn`` is the ``nn`` command."""

import signal

from nn.cli import main

status = main()
# the command's work is done and written: a Ctrl-C arriving now changes nothing, so it must
# not turn the exit status into "killed by SIGINT" (or print a traceback) on the way out
signal.signal(signal.SIGINT, signal.SIG_IGN)
raise SystemExit(status)

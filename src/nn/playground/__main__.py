"""``python -m nn.playground``: the same as ``nn playground``."""

import argparse
import sys

from nn.cli.playground import add_arguments, cmd_playground

parser = argparse.ArgumentParser(
    prog="python -m nn.playground", description="Watch nn train a small network in a browser."
)
add_arguments(parser)
try:
    status = cmd_playground(parser.parse_args())
except (ValueError, OSError) as err:  # a bad --port, a port taken: one line, as `nn` says it
    print(f"nn playground: error: {err}", file=sys.stderr)
    status = 2
raise SystemExit(status)

"""``python -m nn.playground``: the same as ``nn playground``."""

import argparse

from nn.cli.playground import add_arguments, cmd_playground

parser = argparse.ArgumentParser(
    prog="python -m nn.playground", description="Watch nn train a small network in a browser."
)
add_arguments(parser)
raise SystemExit(cmd_playground(parser.parse_args()))

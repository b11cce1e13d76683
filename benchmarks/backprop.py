"""Backprop against the slow ways to the same gradient: ``nn bench backprop`` as a script.

Times one gradient of a mini-batch by finite differences, the unmemoized chain rule,
pure-Python backprop, NumPy's per-example loop and NumPy's mini-batch matrices, on ladders
of networks, and prints the seconds, the speed-ups and how each grows with the number of
weights W. Same options as the command (``python benchmarks/backprop.py --help``), same
code (``nn.reference.bench`` and ``nn.reference.report``). It takes about a minute on 2
cores; other jobs on the machine slow it, so compare ratios from one run.

    python benchmarks/backprop.py --plot backprop.png --json backprop.json
"""

import sys

from nn.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "backprop", *sys.argv[1:]]))

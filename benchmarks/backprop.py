"""Backprop against the slow ways to the same gradient: ``nn bench backprop`` as a script.

Times one gradient of a mini-batch by finite differences, the unmemoized chain rule,
pure-Python backprop, NumPy's per-example loop and NumPy's mini-batch matrices, and by the
scalar and tensor autograd engines, on ladders of networks, and prints the seconds, the
speed-ups, each engine's time over its hand-written twin's and how each grows with the
number of weights W. Same options as the command (``python benchmarks/backprop.py
--help``), same code (``nn.bench.backprop``, ``nn.bench.report`` and ``nn.bench.tables``),
except that it limits NumPy to one BLAS thread unless told otherwise
(``OPENBLAS_NUM_THREADS=1 nn bench backprop`` is the same run). It takes a minute or two on
2 cores; other jobs on the machine slow it, so compare ratios from one run.

    python benchmarks/backprop.py --plot backprop.png --json backprop.json
"""

import os
import sys

# One BLAS thread, set before NumPy loads: every route then runs on one core, so the
# comparison is about the algorithm and the machinery, not about parallel hardware; and on a
# machine shared with other jobs, a multi-threaded matrix product whose second thread waits
# for a busy core can take 100 times longer. Set the variable yourself to override.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from nn.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["bench", "backprop", *sys.argv[1:]]))

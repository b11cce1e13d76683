"""`nn ... | head`: a reader that stops early ends the command quietly, as Unix tools do."""

from __future__ import annotations

import subprocess
import sys


def test_a_closed_pipe_ends_the_command_without_an_error_message():
    proc = subprocess.Popen(
        [sys.executable, "-m", "nn", "demo", "--epochs", "2", "--threads", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = proc.stdout.readline()  # what `head -1` reads; then it closes the pipe
    proc.stdout.close()
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=120)
    assert first.strip() and code == 141, (code, err)  # 128 + SIGPIPE, as a shell expects
    assert "Broken pipe" not in err and "Traceback" not in err and "error" not in err

"""`python -m sim`: hand the arguments to the CLI and exit with its code."""

import os
import sys

from sim.cli import main

try:
    code = main(sys.argv[1:])
    sys.stdout.flush()
except BrokenPipeError:
    # The reader of our output went away (`python -m sim list | head`): stop quietly, as Unix tools do.
    # Point stdout at /dev/null so the interpreter's own flush at exit does not raise again.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    code = 141  # 128 + SIGPIPE, what a shell reports for a tool killed by a closed pipe
sys.exit(code)

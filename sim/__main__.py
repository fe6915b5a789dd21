"""`python -m sim`: hand the arguments to the CLI and exit with its code."""

import sys

from sim.cli import main

sys.exit(main(sys.argv[1:]))

"""`python -m benchmarks`: run every benchmark (or one with --only) and print its figures."""

from benchmarks.cli import main

raise SystemExit(main())

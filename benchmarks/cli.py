"""`python -m benchmarks [--quick] [--only NAME] [--repeats N] [--json FILE]`: run the benchmarks, print their figures.

Prints the machine first (cores, Python, processor), then each benchmark's report. Figures are printed
next to the targets of the performance issue (met / not met); nothing is asserted, the exit code is 0
unless a benchmark itself fails to run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from benchmarks import campaign, lifecycle, replay, scale, time_to_find
from benchmarks.common import Report, Settings

Runner = Callable[[Settings, TextIO], Report]
BENCHMARKS: dict[str, Runner] = {
    lifecycle.NAME: lifecycle.run,
    scale.NAME: scale.run,
    replay.NAME: replay.run,
    campaign.NAME: campaign.run,
    time_to_find.NAME: time_to_find.run,
}


def machine() -> str:
    """`2 cores, Python 3.11.7, AMD EPYC` — what the figures were taken on."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, Python {platform.python_version()}, {model}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a few seconds in all (CI smoke)")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append",
                        help="run only this benchmark (may be given more than once)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per figure (median and min–max); default 5")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE as JSON")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats {args.repeats}: at least one run per figure")
    return args


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    """Run the chosen benchmarks in order; returns the exit code."""
    args = parse_args(argv)
    settings = Settings(quick=args.quick, repeats=args.repeats)
    names = args.only or list(BENCHMARKS)
    out.write(f"benchmarks on {machine()}{' (--quick)' if args.quick else ''}\n")
    reports = [BENCHMARKS[name](settings, out) for name in names]
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"machine": machine(), "quick": args.quick, "reports": [r.to_dict() for r in reports]}, fh,
                      indent=1)
    return 0

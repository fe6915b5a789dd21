"""`python -m sim`: the command line. `main(argv) -> int` parses flags and calls one typed function per subcommand."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.kernel.errors import SimError


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so `main` owns every exit code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise SimError(message, where=self.prog, fix=f"see `{self.prog} --help`")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m sim", description="Deterministic simulator of the osac-operator provisioning loop.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    d = sub.add_parser("diagrams", help="write every state machine as DOT (and SVG/PNG where Graphviz is installed)")
    d.add_argument("--out", default="diagrams", help="output folder (default: diagrams)")
    d.add_argument("--format", default="dot,svg", help="comma-separated: dot,svg,png (default: dot,svg)")
    return p


def cmd_diagrams(out: str, formats: str) -> int:
    from sim.render.diagrams import parse_formats, write_diagrams

    result = write_diagrams(Path(out), parse_formats(formats))
    for path in result.written:
        print(f"wrote {path}")
    if result.hint:
        print(f"note: {result.hint}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; 0 = success / expectations met, 1 = a violation or unmet expectation, 2 = bad input."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
        if args.command is None:
            parser.print_help()
            return 2
        if args.command == "diagrams":
            return cmd_diagrams(args.out, args.format)
        raise AssertionError(f"subcommand {args.command} is parsed but has no handler")
    except SimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # argparse's --help / --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

"""`python -m sim`: the command line. `main(argv) -> int` parses flags and calls one typed function per subcommand."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.kernel.errors import SimError
from sim.kernel.logfile import refuse_overwrite

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so `main` owns every exit code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise SimError(message, where=self.prog, fix=f"see `{self.prog} --help`")


def _output_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    p.add_argument("--quiet", action="store_true",
                   help="print only the header, one line per violation, the verdict and the reproduce line")
    p.add_argument("--verbose", action="store_true", help="show every event in the timeline")
    p.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report of the run to FILE")
    p.add_argument("--mermaid", metavar="FILE", help="also write the run as a Mermaid sequence diagram to FILE")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m sim", description="Deterministic simulator of the osac-operator provisioning loop.",
                epilog="exit codes: 0 expectations met, 1 a violation or unmet expectation, 2 bad input")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.add_parser("list", help="list the built-in scenarios, one line each")
    s = sub.add_parser("scenario", help="run one scenario (a built-in name or a .toml path) and judge it")
    s.add_argument("target", metavar="NAME|PATH", help="built-in scenario name or path of a scenario .toml file")
    s.add_argument("--seed", type=int, help="the run's seed (default: the scenario's)")
    s.add_argument("--provider", choices=["eda", "aap"], help="override [world.operator] provider")
    s.add_argument("--controller", help="reference (default), a registered name, or package.module:Class")
    s.add_argument("--log", metavar="FILE", help="save the event log (JSONL) to FILE")
    s.add_argument("--force", action="store_true", help="overwrite the --log/--html/--mermaid files if they exist")
    _output_flags(s)
    r = sub.add_parser("replay", help="verify a saved log, re-run the checkers over it and print the same summary")
    r.add_argument("log", metavar="LOG", help="a log written with `scenario ... --log FILE`")
    r.add_argument("--rerun", action="store_true", help="execute the scenario again with the log's recorded choices")
    r.add_argument("--controller", help="with --rerun: the controller to re-execute against (lenient if it differs)")
    r.add_argument("--force", action="store_true", help="overwrite the --html/--mermaid files if they exist")
    _output_flags(r)
    e = sub.add_parser("experiment", help="run an experiment; `providers` compares EDA and AAP speed")
    e.add_argument("name", choices=["providers"], help="the experiment")
    e.add_argument("--runs", type=int, default=3, help="instances provisioned in parallel per provider (default 3)")
    e.add_argument("--seed", type=int, default=1, help="the seed (default 1)")
    e.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    d = sub.add_parser("diagrams", help="write every state machine as DOT (and SVG/PNG where Graphviz is installed)")
    d.add_argument("--out", help="output folder (default: diagrams, or the campaign's folder with --coverage)")
    d.add_argument("--format", default="dot,svg", help="comma-separated: dot,svg,png (default: dot,svg)")
    d.add_argument("--coverage", metavar="CAMPAIGN.json",
                   help="colour each transition by how often a campaign exercised it (a fuzz --out coverage.json)")
    from sim.explore.cli import add_explore_parser, add_fuzz_parser

    add_fuzz_parser(sub)
    add_explore_parser(sub)
    return p


def _reject_conflicts(args: argparse.Namespace) -> None:
    """Conflicting flags are refused before anything runs."""
    pairs = [("json", "verbose"), ("json", "quiet"), ("quiet", "verbose")]
    for a, b in pairs:
        if getattr(args, a, False) and getattr(args, b, False):
            raise SimError(f"--{a} and --{b} cannot be used together", where=f"python -m sim {args.command}",
                           rule="--json prints everything as data; --quiet and --verbose shape the text output",
                           fix=f"drop --{a} or --{b}")
    outputs = [getattr(args, n, None) for n in ("log", "html", "mermaid")]
    if args.command in ("scenario", "replay") and getattr(args, "force", False) and not any(outputs):
        raise SimError("--force without an output file", where=f"python -m sim {args.command}",
                       rule="--force only allows --log, --html or --mermaid to overwrite an existing file",
                       fix="add --log FILE, --html FILE or --mermaid FILE, or drop --force")
    for flag in ("html", "mermaid"):
        target = getattr(args, flag, None)
        if target:
            refuse_overwrite(Path(target), overwrite=getattr(args, "force", False), what=f"--{flag} file")
    if args.command == "replay" and args.controller and not args.rerun:
        raise SimError("--controller without --rerun", where="python -m sim replay",
                       rule="a replay re-checks the saved events; only a re-execution can use another controller",
                       fix="add --rerun")
    if args.command == "experiment" and args.runs < 1:
        raise SimError(f"--runs {args.runs}", where="python -m sim experiment", rule="at least one run per provider",
                       fix="use --runs 3 (the reference team's setup)")


def _verbosity(args: argparse.Namespace) -> int:
    from sim.scenarios.report import DEFAULT, QUIET, VERBOSE

    return QUIET if args.quiet else VERBOSE if args.verbose else DEFAULT


def _write_reports(result: Any, args: argparse.Namespace) -> None:
    """--html and --mermaid: the same run as a browsable report and as a sequence diagram."""
    if args.html:
        from sim.render.html import render_html

        header = {"scenario": result.scenario.name, "seed": result.seed, "controller": result.controller,
                  "mode": result.mode, **result.options}
        _write_text(args.html, render_html(result.events, title=result.scenario.name, header=header,
                                           violations=result.violations, reproduce=result.reproduce))
    if args.mermaid:
        from sim.render.mermaid import render_mermaid

        _write_text(args.mermaid, render_mermaid(result.events, violations=result.violations))


def _write_text(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise SimError(f"cannot write {path}: {exc.strerror}", where=path, rule="the output path must be writable",
                       fix="choose another path") from exc
    print(f"wrote {path}", file=sys.stderr)


def _print_result(result: Any, args: argparse.Namespace) -> int:
    from sim.scenarios.report import json_report, text_report

    _write_reports(result, args)
    if args.json:
        print(json.dumps(json_report(result), indent=2, sort_keys=False, default=str))
    else:
        print("\n".join(text_report(result, _verbosity(args))))
    return EXIT_OK if result.passed else EXIT_FAILED


def cmd_list() -> int:
    from sim.scenarios.loader import builtin_names, load_scenario

    names = builtin_names()
    width = max(map(len, names), default=0)
    for name in names:
        print(f"{name:<{width}}  {load_scenario(name).description}")
    return EXIT_OK


def cmd_scenario(args: argparse.Namespace) -> int:
    from sim.runner import run_scenario

    overrides = {"provider": args.provider} if args.provider else {}
    result = run_scenario(args.target, seed=args.seed, controller=args.controller, log_path=args.log,
                          overwrite=args.force, **overrides)
    code = _print_result(result, args)
    if args.log and not args.json:
        print(f"log: {args.log} (digest {result.digest[:16]}…)", file=sys.stderr)
    return code


def cmd_replay(args: argparse.Namespace) -> int:
    from sim.runner import replay_log, rerun_log

    result = rerun_log(args.log, args.controller) if args.rerun else replay_log(args.log)
    return _print_result(result, args)


def cmd_experiment(args: argparse.Namespace) -> int:
    from sim.experiments import compare_providers, comparison_json, comparison_lines

    comparison = compare_providers(runs=args.runs, seed=args.seed)
    if args.json:
        print(json.dumps(comparison_json(comparison), indent=2))
    else:
        print("\n".join(comparison_lines(comparison)))
    return EXIT_OK


def cmd_diagrams(out: str | None, formats: str, coverage_path: str | None = None) -> int:
    """Plain diagrams into diagrams/; with --coverage, `<machine>-coverage.*` next to the campaign JSON."""
    from sim.render.diagrams import load_coverage, parse_formats, write_diagrams

    if coverage_path is None:
        result = write_diagrams(Path(out or "diagrams"), parse_formats(formats))
    else:
        coverage = load_coverage(Path(coverage_path))
        target = Path(out) if out else Path(coverage_path).parent
        try:
            result = write_diagrams(target, parse_formats(formats), coverage=coverage, suffix="-coverage")
        except ValueError as exc:  # machine_dot rejects pairs the machine does not have
            raise SimError(f"{coverage_path}: {exc}", where=coverage_path, rule="coverage pairs are the machine's own",
                           fix="regenerate coverage.json with this simulator version") from None
    for path in result.written:
        print(f"wrote {path}")
    if result.hint:
        print(f"note: {result.hint}", file=sys.stderr)
    return EXIT_OK


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "list":
        return cmd_list()
    if args.command == "scenario":
        return cmd_scenario(args)
    if args.command == "replay":
        return cmd_replay(args)
    if args.command == "experiment":
        return cmd_experiment(args)
    if args.command == "diagrams":
        return cmd_diagrams(args.out, args.format, args.coverage)
    if args.command == "fuzz":
        from sim.explore.cli import cmd_fuzz

        return cmd_fuzz(args)
    if args.command == "explore":
        from sim.explore.cli import cmd_explore

        return cmd_explore(args)
    raise AssertionError(f"subcommand {args.command} is parsed but has no handler")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; 0 = success / expectations met, 1 = a violation or unmet expectation, 2 = bad input."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
        if args.command is None:
            parser.print_help()
            return EXIT_BAD_INPUT
        _reject_conflicts(args)
        return _dispatch(args)
    except SimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # argparse's --help / --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

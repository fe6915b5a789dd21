"""The `fuzz` and `explore` subcommands: parsers, one typed entry point each, every flag checked before a run.

`sim.cli` wires them in with `add_fuzz_parser(sub)` / `add_explore_parser(sub)` and dispatches to
`cmd_fuzz(args)` / `cmd_explore(args)`; `main(argv)` runs just these two for tests and scripts. Exit codes:
0 nothing unexpected found (groups attributed to the environment do not count), 1 a violation nobody
expected (or a simulator error), 2 bad input. Building the parsers imports nothing of the simulator, so
``python -m sim --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from sim.kernel.errors import SimError

if TYPE_CHECKING:
    from sim.explore.plan import CampaignPlan
    from sim.explore.shrink import ShrinkBudget

__all__ = ["add_explore_parser", "add_fuzz_parser", "cmd_explore", "cmd_fuzz", "main"]

EXIT_OK, EXIT_FOUND, EXIT_BAD_INPUT = 0, 1, 2
# The names the parsers offer (tests check them against sim.explore.plan.STRATEGIES and swarm.FAMILIES).
STRATEGY_NAMES = ("swarm", "seeds", "random-order", "pct", "hypothesis")
FAMILY_NAMES = ("all", "aap", "eda", "switch", "restart", "faults", "delete", "spec")

FUZZ_HELP = "search many runs for violations, group them by signature, shrink and save each group"
EXPLORE_HELP = "bounded exhaustive exploration of a small scenario's choice points"


def add_fuzz_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add `fuzz` to the subcommands of the main parser."""
    p: argparse.ArgumentParser = subparsers.add_parser("fuzz", help=FUZZ_HELP, description=FUZZ_HELP + ".")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--family", help=f"scenario family (default all): {', '.join(FAMILY_NAMES)}")
    where.add_argument("--scenario", metavar="NAME|PATH", help="a built-in scenario or a .toml file instead")
    p.add_argument("--controller", default="reference", help="reference (default), a registered name, or "
                   "package.module:Class")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--runs", type=int, help="number of runs (default 100)")
    budget.add_argument("--seconds", type=float, help="wall-time budget of the search instead of a run count")
    p.add_argument("--strategy", choices=STRATEGY_NAMES, help="swarm (default for a family), seeds (default for "
                   "a scenario), random-order, pct, or hypothesis")
    p.add_argument("--pct-depth", type=int, help="with --strategy pct: bug depth d (d - 1 priority changes; "
                   "default 3)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--shard", default="1/1", metavar="K/N", help="run only the indices i with i %% N == K-1")
    p.add_argument("--seed", type=int, default=1, help="campaign seed: run i uses seed + i (default 1)")
    p.add_argument("--out", metavar="DIR", help="save summary.json, coverage.json and one folder per group")
    p.add_argument("--force", action="store_true", help="with --out: write into a non-empty folder")
    p.add_argument("--no-shrink", action="store_true", help="save each group's first failing run as found")
    p.add_argument("--shrink-runs", type=int, help="most runs spent shrinking one group (default 100)")
    p.add_argument("--shrink-seconds", type=float, help="most wall seconds spent shrinking one group (default 10); "
                   "all groups together get at most max(60, --seconds), shared fairly among them")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON document")
    return p


def add_explore_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add `explore` to the subcommands of the main parser."""
    p: argparse.ArgumentParser = subparsers.add_parser("explore", help=EXPLORE_HELP,
                                                       description=EXPLORE_HELP + ".")
    p.add_argument("target", metavar="SCENARIO", help="a built-in scenario name or a .toml path")
    p.add_argument("--exhaustive", action="store_true", help="depth-first over every branch (the only mode)")
    p.add_argument("--depth", type=int, help="branch on the first D choice points (required)")
    p.add_argument("--max-runs", type=int, help="stop after this many executions")
    p.add_argument("--streams", help="comma-separated choice streams to branch on (e.g. eda,aap,playbook,order); "
                   "default: all")
    p.add_argument("--controller", default="reference", help="reference (default), a registered name, or "
                   "package.module:Class")
    p.add_argument("--json", action="store_true", help="print the result as one JSON document")
    return p


def _bad(what: str, where: str, rule: str, fix: str) -> NoReturn:
    raise SimError(what, where=where, rule=rule, fix=fix)


def _shrink_budget(args: argparse.Namespace) -> ShrinkBudget | None:
    """Per group --shrink-runs/--shrink-seconds; all groups together at most max(60 s, the search's --seconds)."""
    from sim.explore.shrink import ShrinkBudget

    if args.no_shrink:
        if args.shrink_runs is not None or args.shrink_seconds is not None:
            _bad("--no-shrink with --shrink-runs/--shrink-seconds", "python -m sim fuzz",
                 "a shrink budget only applies when shrinking", "drop one of them")
        return None
    runs = 100 if args.shrink_runs is None else args.shrink_runs
    seconds = 10.0 if args.shrink_seconds is None else args.shrink_seconds
    if runs < 1 or not seconds > 0:
        _bad(f"--shrink-runs {runs} / --shrink-seconds {seconds}", "python -m sim fuzz",
             "a shrink budget is at least one run and more than 0 seconds", "use e.g. --shrink-runs 100")
    return ShrinkBudget(runs, seconds, max(60.0, args.seconds or 0.0))


def _plan(args: argparse.Namespace) -> CampaignPlan:
    from sim.explore.plan import CampaignPlan, StrategyName
    from sim.operator.registry import resolve_controller
    from sim.scenarios.loader import load_scenario

    scenario = load_scenario(args.scenario) if args.scenario else None
    strategy: StrategyName = args.strategy or ("seeds" if scenario is not None else "swarm")
    if args.pct_depth is not None and strategy != "pct":
        _bad("--pct-depth without --strategy pct", "python -m sim fuzz",
             "the depth is a parameter of the PCT ordering strategy", "add --strategy pct or drop --pct-depth")
    depth = 3 if args.pct_depth is None else args.pct_depth
    if depth < 1:
        _bad(f"--pct-depth {depth}", "python -m sim fuzz", "the bug depth is at least 1", "use --pct-depth 3")
    resolve_controller(args.controller)
    return CampaignPlan(strategy, args.family or "all", scenario, args.controller, args.seed, depth)


def cmd_fuzz(args: argparse.Namespace) -> int:
    """Run a campaign as the flags say; print (and with --out save) the groups; 1 if any is unexpected."""
    from sim.explore.campaign import Budget, Shard, run_campaign
    from sim.explore.outputs import prepare_out, save_campaign
    from sim.explore.report import summary_json, summary_lines

    if args.force and not args.out:
        _bad("--force without --out", "python -m sim fuzz", "--force only lets --out write into a non-empty "
             "folder", "add --out DIR")
    budget = Budget(args.runs, args.seconds)
    shard = Shard.parse(args.shard)
    shrink_budget = _shrink_budget(args)
    plan = _plan(args)
    out = prepare_out(args.out, force=args.force) if args.out else None
    if plan.strategy == "hypothesis" and (args.workers != 1 or shard.n != 1):
        _bad("--strategy hypothesis with --workers or --shard", "python -m sim fuzz",
             "a Hypothesis search is one sequential process", "run searches with different --seed values instead")
    if args.workers < 1:
        _bad(f"--workers {args.workers}", "python -m sim fuzz", "at least one worker", "use --workers 1")
    if not args.json:
        print(f"fuzz: {plan.describe()}; budget {budget.describe()}; shard {shard.k}/{shard.n}; "
              f"{args.workers} worker(s); shrink {'off' if shrink_budget is None else 'on'}", flush=True)
    progress = sys.stderr if sys.stderr.isatty() and not args.json else None
    result = run_campaign(plan, budget, workers=args.workers, shard=shard, progress=progress,
                          shrink_budget=shrink_budget)
    saved = save_campaign(result, out, command=_command(args)) if out is not None else {}
    if args.json:
        doc = summary_json(result, {sig: s.folder for sig, s in saved.items()})
        print(json.dumps(doc, indent=2))
    else:
        print("\n".join(summary_lines(result, str(out) if out is not None else None)[1:]))
    return EXIT_FOUND if result.exit_code else EXIT_OK


def _command(args: argparse.Namespace) -> str:
    """The campaign's own command line, for the saved READMEs."""
    return "python -m sim fuzz " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if len(sys.argv) > 2 else ""


def cmd_explore(args: argparse.Namespace) -> int:
    """Exhaustive depth-first exploration; prints executions, states and signatures; 1 if any is unexpected."""
    from sim.explore.exhaustive import explore
    from sim.operator.registry import resolve_controller
    from sim.scenarios.loader import load_scenario

    if not args.exhaustive:
        _bad("explore needs --exhaustive", "python -m sim explore", "bounded exhaustive search is the mode "
             "`explore` offers (random search is `fuzz`)", "add --exhaustive --depth D")
    if args.depth is None or args.depth < 1:
        _bad(f"--depth {args.depth}", "python -m sim explore", "the depth is the number of choice points "
             "branched on, at least 1", "add e.g. --depth 6 (2^6 = 64 executions at most for two-way points)")
    if args.max_runs is not None and args.max_runs < 1:
        _bad(f"--max-runs {args.max_runs}", "python -m sim explore", "at least one execution",
             "use e.g. --max-runs 1000")
    scenario = load_scenario(args.target)
    resolve_controller(args.controller)
    streams = [s.strip() for s in args.streams.split(",") if s.strip()] if args.streams else None
    found = explore(scenario, depth=args.depth, max_runs=args.max_runs, controller=args.controller,
                    streams=streams)
    print(json.dumps(found.to_json(), indent=2) if args.json else "\n".join(found.lines()))
    return EXIT_FOUND if found.unexpected else EXIT_OK


class _Parser(argparse.ArgumentParser):
    """argparse that raises SimError instead of exiting, so `main` owns the exit code."""

    def error(self, message: str) -> NoReturn:
        raise SimError(message, where=self.prog, fix=f"see `{self.prog} --help`")


def main(argv: Sequence[str] | None = None) -> int:
    """`fuzz` and `explore` alone (what `python -m sim` offers once they are wired in)."""
    parser = _Parser(prog="python -m sim")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, required=True)
    add_fuzz_parser(sub)
    add_explore_parser(sub)
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
        return cmd_fuzz(args) if args.command == "fuzz" else cmd_explore(args)
    except SimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0

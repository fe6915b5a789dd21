"""A campaign plan: which run index means which scenario, seed and ordering; and one run reduced to a record.

Run ``i`` of a plan is a pure function of the plan and ``i`` (its seed is ``plan.seed + i``), so runs can
be spread over processes and machines (``--shard``) and any run can be repeated alone from its index.

- ``seeds``: the given scenario (or, for a family, the built-in scenarios tagged with it, in turn), its
  own timeline, the seed varying;
- ``swarm``: a scenario drawn from the family by `sim.explore.swarm.generate` with the run's seed;
- ``random-order`` / ``pct``: like ``seeds`` for a given scenario or ``swarm`` for a family, with
  same-instant ties decided by the choice source (`sim.kernel.ordering`);
- ``hypothesis``: choices drawn by Hypothesis (`sim.explore.hypo`), which also draws the swarm scenario.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Literal

from sim.checks.coverage import Coverage, coverage_of
from sim.explore.execute import RunSpec, execute
from sim.explore.signature import Hit, hits_of
from sim.explore.swarm import family, generate
from sim.kernel.errors import SimError
from sim.kernel.ordering import Strategy
from sim.operator.registry import DEFAULT_CONTROLLER
from sim.runner import RunResult
from sim.scenarios.loader import builtin_names, load_scenario
from sim.scenarios.schema import Scenario

__all__ = ["STRATEGIES", "CampaignPlan", "RunRecord", "StrategyName", "record_of", "run_one"]

StrategyName = Literal["swarm", "seeds", "random-order", "pct", "hypothesis"]
STRATEGIES: tuple[StrategyName, ...] = ("swarm", "seeds", "random-order", "pct", "hypothesis")
_ORDERING: dict[str, Strategy] = {"random-order": "random", "pct": "pct"}
CRASH = "simulator-error"  # the property name under which a run that raised is grouped


@dataclass(frozen=True)
class CampaignPlan:
    """What a campaign explores; `spec_for(i)` is run i."""

    strategy: StrategyName = "swarm"
    family: str = "all"
    scenario: Scenario | None = None  # a given scenario (then `family` is not used)
    controller: str = DEFAULT_CONTROLLER
    seed: int = 1
    pct_depth: int = 3

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise SimError(f"unknown strategy {self.strategy!r}", where="--strategy",
                           rule=f"the strategy is one of: {', '.join(STRATEGIES)}", fix="pick one of them")
        if self.scenario is None:
            family(self.family)  # rejects an unknown family now, before anything runs
        if self.strategy == "swarm" and self.scenario is not None:
            raise SimError("--strategy swarm with a given scenario", where="--strategy",
                           rule="swarm draws whole scenarios from a family; a given scenario keeps its timeline",
                           fix="use --family F with swarm, or seeds|random-order|pct|hypothesis with --scenario")

    @property
    def ordering(self) -> Strategy:
        return _ORDERING.get(self.strategy, "fifo")

    def builtins(self) -> list[str]:
        """The built-in scenarios a `seeds` campaign over the family cycles through."""
        names = builtin_names()
        chosen = names if self.family == "all" else [n for n in names if self.family in load_scenario(n).tags]
        if not chosen:
            raise SimError(f"no built-in scenario is tagged {self.family!r}", where="--family",
                           rule="--strategy seeds over a family runs the built-in scenarios with that tag",
                           fix="use --strategy swarm for this family, or another family")
        return chosen

    def scenario_for(self, index: int) -> Scenario:
        if self.scenario is not None:
            return self.scenario
        if self.strategy == "seeds":
            names = self.builtins()
            return load_scenario(names[index % len(names)])
        return generate(self.seed + index, self.family)

    def spec_for(self, index: int) -> RunSpec:
        return RunSpec(self.scenario_for(index), self.seed + index, self.controller, self.ordering, self.pct_depth)

    def describe(self) -> str:
        target = f"scenario {self.scenario.name}" if self.scenario is not None else f"family {self.family}"
        extra = f" (depth {self.pct_depth})" if self.strategy == "pct" else ""
        return f"{self.strategy}{extra} over {target}, controller {self.controller}, seed {self.seed}"


@dataclass(frozen=True)
class RunRecord:
    """What a campaign keeps of one run: where it came from, its distinct violations, and its coverage."""

    index: int
    seed: int
    scenario: str
    hits: tuple[Hit, ...]
    events: int
    digest: str
    coverage: Coverage
    unmet: int  # expectations of the scenario not met (counted, not grouped)
    crash: str = ""  # the traceback if the run raised


def record_of(index: int, spec: RunSpec, result: RunResult) -> RunRecord:
    hits = hits_of(result.violations, result.events, expected=result.findings, tolerated=result.tolerated)
    return RunRecord(index, spec.seed, spec.scenario.name, hits, len(result.events), result.digest,
                     coverage_of(result.events), len(result.expectation_failures))


def run_one(plan: CampaignPlan, index: int) -> RunRecord:
    """Run index `index` of the plan; an exception of the simulator becomes a `simulator-error` hit."""
    spec = plan.spec_for(index)
    try:
        return record_of(index, spec, execute(spec))
    except SimError:
        raise
    except Exception as exc:  # a broken invariant of the simulator: keep the campaign going, report it
        return crash_record(index, spec, exc)


def crash_record(index: int, spec: RunSpec, exc: Exception) -> RunRecord:
    """The record of a run that raised: one hit whose signature names the exception and where it came from."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].name}" if frames else "?"
    text = "".join(traceback.format_exception(exc))
    hit = Hit(f"{CRASH}: {type(exc).__name__} in {where}", CRASH, "unexpected", 0.0, "", text)
    cov = Coverage(runs=1)
    return RunRecord(index, spec.seed, spec.scenario.name, (hit,), 0, "", cov, 0, crash=text)

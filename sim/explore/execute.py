"""One exploration run as data (`RunSpec`) and its execution: the runner, plus same-instant ordering when asked.

Plain simpy orders same-instant ties first-in-first-out; the ``random`` and ``pct`` strategies set
`WorldConfig.ordering`, so `World` is built on an `OrderedEnvironment` and the ordering travels with the
scenario.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from sim.explore.sources import SimplestChoiceSource
from sim.kernel.choice import Choice, ChoiceSource, RecordedChoiceSource, SeededChoiceSource
from sim.kernel.ordering import Strategy
from sim.operator.registry import DEFAULT_CONTROLLER
from sim.runner import RunResult, run_scenario
from sim.scenarios.schema import Scenario

__all__ = ["RunSpec", "execute", "fallback_for", "source_for"]


@dataclass(frozen=True)
class RunSpec:
    """Everything that decides one run: scenario, seed, controller, same-instant ordering, and an optional tape.

    With a `tape` the run replays it leniently: draws past its end or off its path come from the seed
    (``tape_fallback="seed"``, how Hypothesis-found runs are re-executed) or are at their simplest value
    (``"simplest"``, how a shrunk choice sequence is re-executed).
    """

    scenario: Scenario
    seed: int
    controller: str = DEFAULT_CONTROLLER
    ordering: Strategy = "fifo"
    pct_depth: int = 3
    tape: tuple[Choice, ...] | None = None
    tape_fallback: Literal["seed", "simplest"] = "seed"

    def with_scenario(self, scenario: Scenario) -> RunSpec:
        return dataclasses.replace(self, scenario=scenario)

    def describe(self) -> str:
        """One line: scenario, seed, controller and what else shapes the run."""
        extra = "" if self.ordering == "fifo" else f", ordering {self.ordering}"
        if self.ordering == "pct":
            extra += f" (depth {self.pct_depth})"
        if self.tape is not None:
            extra += f", a tape of {len(self.tape)} choices (then {self.tape_fallback})"
        return f"{self.scenario.name} seed {self.seed} controller {self.controller}{extra}"


def source_for(spec: RunSpec) -> ChoiceSource:
    """The choice source a spec runs with: seeded, or its tape replayed leniently over the seed."""
    if spec.tape is None:
        return SeededChoiceSource(spec.seed)
    return RecordedChoiceSource(spec.tape, strict=False, fallback=fallback_for(spec))


def fallback_for(spec: RunSpec) -> ChoiceSource:
    """Where a taped spec's draws come from once its tape has nothing for them."""
    if spec.tape_fallback == "simplest":
        return SimplestChoiceSource(record=False)
    return SeededChoiceSource(spec.seed, record=False)


def execute(spec: RunSpec, *, choices: ChoiceSource | None = None, log_path: str | None = None,
            overwrite: bool = False) -> RunResult:
    """Run the spec once (with `choices` instead of its own source if given) and judge it."""
    source = choices if choices is not None else source_for(spec)
    scenario = spec.scenario
    if spec.ordering != "fifo":  # the world is built on an OrderedEnvironment (WorldConfig.ordering)
        world = dataclasses.replace(scenario.world, ordering=spec.ordering, pct_depth=spec.pct_depth)
        scenario = dataclasses.replace(scenario, world=world)
    result = run_scenario(scenario, seed=spec.seed, controller=spec.controller, choices=source,
                          log_path=log_path, overwrite=overwrite)
    if spec.ordering != "fifo":
        result.options["ordering"] = spec.ordering
    return result

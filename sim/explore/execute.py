"""One exploration run as data (`RunSpec`) and its execution: the runner, plus same-instant ordering when asked.

`sim.runner.run_scenario` builds its world on plain simpy, whose same-instant ties go first-in-first-out;
the ``random`` and ``pct`` ordering strategies need the world built on an `OrderedEnvironment`. Until
the runner takes an environment, `execute` runs those through a thin copy of `run_scenario` that differs
only in the environment it hands to `World` (and records the ordering in the log header).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sim.checks.base import CheckRun
from sim.explore.sources import SimplestChoiceSource
from sim.kernel.choice import Choice, ChoiceSource, RecordedChoiceSource, SeededChoiceSource
from sim.kernel.logfile import Digest, LogHeader, LogWriter, refuse_overwrite
from sim.kernel.ordering import OrderedEnvironment, Strategy
from sim.kernel.projection import new_projections, snapshot, subscribe_projections
from sim.operator.registry import DEFAULT_CONTROLLER, resolve_controller
from sim.runner import RunResult, _judged, _play, run_scenario
from sim.scenarios.schema import Scenario
from sim.world import World

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
    if spec.ordering == "fifo":
        return run_scenario(spec.scenario, seed=spec.seed, controller=spec.controller, choices=source,
                            log_path=log_path, overwrite=overwrite)
    return _run_ordered(spec, source, log_path, overwrite)


def _run_ordered(spec: RunSpec, source: ChoiceSource, log_path: str | None, overwrite: bool) -> RunResult:
    """`run_scenario` on an OrderedEnvironment (the one change: `env=` for World)."""
    scenario = spec.scenario
    cls = resolve_controller(spec.controller)
    config = dataclasses.replace(scenario.world, controller=spec.controller)
    if log_path is not None:
        refuse_overwrite(Path(log_path), overwrite=overwrite)
    env = OrderedEnvironment(source, spec.ordering, pct_depth=spec.pct_depth)
    world = World(config, source, controller=cls, env=env)
    checks, projections = CheckRun(), new_projections()
    log = world.kernel.log
    subscribe_projections(log, projections)
    log.subscribe(checks.apply)
    writer = _writer(log_path, spec, overwrite)
    digest = Digest()
    log.subscribe(writer.write if writer is not None else digest.add)
    try:
        _play(world, scenario, spec.seed)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    digest_hex = writer.close(source.tape) if writer is not None else digest.hexdigest()
    violations = checks.finish(scenario.horizon_s)
    result = _judged(scenario, spec.seed, spec.controller, list(log.events), digest_hex, list(source.tape),
                     violations, snapshot(projections), {})
    result.log_path = log_path
    result.options["ordering"] = spec.ordering
    if isinstance(source, RecordedChoiceSource):
        result.diverged = list(source.diverged)
    return result


def _writer(log_path: str | None, spec: RunSpec, overwrite: bool) -> LogWriter | None:
    if log_path is None:
        return None
    s = spec.scenario
    config = {"scenario": s.name, "scenario_path": s.path, "scenario_hash": s.content_hash,
              "scenario_source": s.source, "controller": spec.controller, "overrides": {},
              "horizon_s": s.horizon_s, "heal_at_s": s.heal_at_s, "world": s.world.describe(),
              "ordering": spec.ordering, "pct_depth": spec.pct_depth}
    return LogWriter(log_path, LogHeader(seed=spec.seed, config=config), overwrite=overwrite)

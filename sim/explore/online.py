"""A world driven step by step (by a Hypothesis state machine, a notebook, a test) with the safety checkers online.

`OnlineWorld` wires a `World` to every property checker and offers the operator verbs as plain calls, so a
harness only decides *which* verb to call: each user verb runs as its own simulated process, `advance`
moves simulated time forward, and `safety_violations()` lists what the online checkers found so far.
Draws made inside the simulation that end a Hypothesis example (out of data) are handed back to
Hypothesis unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models.events import RunStarted
from models.jobs import JobType
from sim.checks.base import Checker, CheckRun, Violation, new_checkers
from sim.explore.hypo import unwrap_hypothesis_control
from sim.kernel.choice import ChoiceSource
from sim.world import World, WorldConfig

__all__ = ["OnlineWorld"]


@dataclass
class OnlineWorld:
    """A started World, its checkers, and the names of the instances the user has created."""

    choices: ChoiceSource
    config: WorldConfig = field(default_factory=WorldConfig)
    controller: str = "reference"
    world: World = field(init=False)
    checks: CheckRun = field(init=False)
    created: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.world = World(self.config, self.choices)
        self.checks = CheckRun(new_checkers())
        self.world.kernel.log.subscribe(self.checks.apply)
        self.world.kernel.record(RunStarted, "driver", scenario="online", seed=0)
        self.world.start()

    # -- verbs ----------------------------------------------------------------------------------------
    def create_instance(self, name: str) -> None:
        self.created.append(name)
        self.world.spawn(self.world.create_instance(name))

    def delete_instance(self, name: str) -> None:
        self.world.spawn(self.world.delete_instance(name))

    def switch_provider(self, provider: str) -> None:
        self.world.switch_provider(provider, delay_s=1.0)

    def restart_operator(self) -> None:
        self.world.restart_operator(1.0)

    def fail_next_job(self, job_type: JobType | None) -> None:
        self.world.fail_next_job(job_type)

    def purge_job(self, name: str, job_type: JobType) -> None:
        self.world.purge_job(name, job_type)

    def advance(self, seconds: float) -> None:
        """Run the simulation `seconds` further; a Hypothesis stop raised inside it reaches Hypothesis intact."""
        try:
            self.world.run(self.world.now + seconds)
        except BaseException as exc:
            control = getattr(self.choices, "stopped", None) or unwrap_hypothesis_control(exc)
            if control is not None:
                raise control from None
            raise
        stopped = getattr(self.choices, "stopped", None)  # the simulation swallowed Hypothesis' stop
        if stopped is not None:
            raise stopped

    # -- what the checkers saw ------------------------------------------------------------------------
    def safety_violations(self, properties: Any = None) -> list[Violation]:
        """Violations the safety checkers have recorded so far (of `properties` only, if given)."""
        return sorted((v for c in self._safety() for v in c.violations
                       if properties is None or v.property in properties),
                      key=lambda v: (v.t, v.property, v.subject))

    def _safety(self) -> list[Checker]:
        return [c for c in self.checks.checkers if c.kind == "safety"]

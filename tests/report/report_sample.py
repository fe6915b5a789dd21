"""A real run for the report tests: create vm-1, delete it 20 s later, plus a hand-made violation on real events."""

from __future__ import annotations

import functools
from collections.abc import Generator
from typing import Any, Literal

from models.events import Event
from sim.backends.aap import AapJobLaunched, AapJobTransitioned
from sim.checks.base import Violation
from sim.kernel import SeededChoiceSource
from sim.operator.config import OperatorConfig
from sim.world import World, WorldConfig

SEED = 1
DELETE_AFTER_S = 20.0
HORIZON_S = 900.0


@functools.cache
def delete_during_provision(provider: Literal["aap", "eda"] = "aap") -> tuple[Event, ...]:
    """The events of the delete-during-provision story with the given provider (seed 1)."""
    world = World(WorldConfig(operator=OperatorConfig(provider=provider)), SeededChoiceSource(SEED))
    world.start()

    def story() -> Generator[Any, Any, None]:
        yield from world.create_instance("vm-1")
        yield world.env.timeout(DELETE_AFTER_S)
        yield from world.delete_instance("vm-1")

    world.spawn(story())
    world.run(HORIZON_S)
    return tuple(world.kernel.log.events)


def example_violation(events: tuple[Event, ...]) -> Violation:
    """A violation made by hand (no checker exists yet) that points at the cancel and the deprovision launch."""
    canceled = next(e for e in events if isinstance(e, AapJobTransitioned) and e.dest == "canceled")
    deprovision = [e for e in events if isinstance(e, AapJobLaunched)][1]
    return Violation(
        property="example-property",
        t=deprovision.t,
        subject="cloudkit-computeinstance/vm-1",
        explanation=(f"hand-made example: deprovision job {deprovision.job_id} was launched only after provision "
                     f"job {canceled.job_id} had been canceled"),
        events=(canceled.seq, deprovision.seq),
    )


def header(provider: Literal["aap", "eda"] = "aap") -> dict[str, object]:
    return {"scenario": f"delete-during-provision-{provider}", "seed": SEED, "provider": provider,
            "delete_after_s": DELETE_AFTER_S, "horizon_s": HORIZON_S}


REPRODUCE = "python -m sim scenario delete-during-provision-aap --seed 1"
REPORT_TITLE = "delete-during-provision-aap"

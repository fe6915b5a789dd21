"""Real runs for the renderer tests: a seeded World where the user creates instances and deletes them mid-provision."""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Any

import simpy

from models.events import Event
from sim.kernel import SeededChoiceSource
from sim.operator.config import OperatorConfig, ProviderName
from sim.world import World, WorldConfig

HORIZON_S = 900.0  # long enough for EDA's orphaned create job to time out waiting for its VM
DELETE_AFTER_S = 20.0  # the provision job is running (AAP) or about to be launched by the rulebook (EDA)

Play = Callable[..., Sequence[Event]]


def play_story(provider: ProviderName, seed: int = 1, *, delete_after_s: float | None = DELETE_AFTER_S,
               instances: Sequence[str] = ("vm-1",), horizon_s: float = HORIZON_S) -> Sequence[Event]:
    """Create the instances, delete them `delete_after_s` later (never if None), run to the horizon: the log."""
    world = World(WorldConfig(operator=OperatorConfig(provider=provider)), SeededChoiceSource(seed))
    world.start()

    def script() -> Generator[simpy.Event, Any, None]:
        for name in instances:
            yield from world.create_instance(name)
        if delete_after_s is None:
            return
        yield world.env.timeout(delete_after_s)
        for name in instances:
            yield from world.delete_instance(name)

    world.spawn(script())
    world.run(horizon_s)
    return list(world.kernel.log.events)

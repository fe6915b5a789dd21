"""The workload the benchmarks drive: instances created over a window, deleted once Running, until every one is gone.

`Lifecycles` wires itself to a world's log: it creates ``count`` ComputeInstances spread over
``window_s`` simulated seconds, deletes each as soon as a persisted version of it shows phase Running,
and triggers `done` when the last one has left the API server. One instance is the lifecycle
benchmark's unit (create → Running → delete → gone); ten thousand are the scale benchmark.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from models.events import Event
from models.names import KIND_COMPUTE_INSTANCE
from models.objects import ComputeInstance, Phase
from sim.kernel.choice import SeededChoiceSource
from sim.kernel.gc_tuning import fewer_collections
from sim.kube.events import ObjectRemoved, ObjectStored
from sim.kube.manager import ManagerOptions
from sim.operator.config import OperatorConfig
from sim.world import World, WorldConfig

HORIZON_S = 100_000.0  # a bound only: every workload here ends long before it


class Lifecycles:
    """Drives `count` instance lifecycles through one world; `done` fires when all are gone."""

    def __init__(self, world: World, count: int, *, window_s: float = 0.0, tenants: int = 1) -> None:
        self.world, self.count, self.window_s, self.tenants = world, count, window_s, max(1, tenants)
        self.done: simpy.Event = world.env.event()
        self.running = 0
        self.gone = 0
        self._deleting: set[str] = set()
        world.kernel.log.subscribe(self._on_change, ObjectStored, ObjectRemoved)

    def start(self) -> None:
        """Start the operator and the creating process."""
        self.world.start()
        self.world.spawn(self._create_all())

    def run(self, horizon_s: float = HORIZON_S) -> bool:
        """Run until every instance is gone (True) or the horizon (False)."""
        env = self.world.env
        with fewer_collections():  # as `World.run` does
            env.run(until=self.done | env.timeout(horizon_s))
        return self.done.triggered

    def _create_all(self) -> Generator[simpy.Event, Any, None]:
        w = self.world
        step = self.window_s / self.count if self.count > 1 else 0.0
        for i in range(self.count):
            if i and step > 0:
                yield w.env.timeout(step)
            w.spawn(w.create_instance(f"vm-{i + 1}", tenant=f"tenant-{i % self.tenants}"))
        return None

    def _on_change(self, event: Event) -> None:
        if isinstance(event, ObjectStored):
            obj = event.obj
            if (event.kind == KIND_COMPUTE_INSTANCE and isinstance(obj, ComputeInstance)
                    and obj.status.phase == Phase.RUNNING and event.name not in self._deleting
                    and not obj.metadata.terminating):
                self._deleting.add(event.name)
                self.running += 1
                self.world.spawn(self.world.delete_instance(event.name))
        elif isinstance(event, ObjectRemoved) and event.kind == KIND_COMPUTE_INSTANCE:
            self.gone += 1
            if self.gone == self.count and not self.done.triggered:
                self.done.succeed()


def lifecycle_world(provider: str, seed: int, *, count: int = 1, window_s: float = 0.0, workers: int = 1,
                    tenants: int = 1, keep_events: bool = True) -> tuple[World, Lifecycles]:
    """A world (no checkers) with `count` lifecycles wired in, not yet started."""
    config = WorldConfig(operator=OperatorConfig(provider=provider),  # type: ignore[arg-type]
                         manager=ManagerOptions(max_concurrent_reconciles=workers))
    world = World(config, SeededChoiceSource(seed), keep_events=keep_events)
    return world, Lifecycles(world, count, window_s=window_s, tenants=tenants)


def one_lifecycle(provider: str, seed: int) -> int:
    """One complete lifecycle in a fresh world, without checkers; returns the number of log events."""
    world, driver = lifecycle_world(provider, seed)
    driver.start()
    finished = driver.run()
    assert finished, f"the {provider} lifecycle of seed {seed} did not complete"
    return len(world.kernel.log)

"""The hardened tests' harness: run a story in a seeded World under a named controller, with every checker on."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, TypeVar

import simpy

from models.jobs import JobType
from sim.backends.config import BackendConfig
from sim.checks import CheckRun, Violation
from sim.kernel.choice import ChoiceSource, Dist, SeededChoiceSource
from sim.kernel.http import HttpRequested
from sim.operator.config import OperatorConfig
from sim.world import ApiSettings, World, WorldConfig

Story = Callable[[World], Generator[simpy.Event, Any, None]]
T = TypeVar("T")
VM = "vm-1"


def run_story(story: Story, controller: str, *, provider: str = "aap", seed: int = 1, until: float = 1500.0,
              backends: BackendConfig | None = None, api: ApiSettings | None = None,
              minimum_request_interval_s: float = 0.0, operator: OperatorConfig | None = None,
              choices: ChoiceSource | None = None) -> tuple[World, list[Violation]]:
    """Run `story` under `controller`; return the world and every violation of every property. A whole `operator`
    config, if given, replaces the one `provider` and `minimum_request_interval_s` make; `choices`, if given,
    replaces the seeded choice source."""
    operator = operator or OperatorConfig(provider=provider,  # type: ignore[arg-type]
                                          minimum_request_interval_s=minimum_request_interval_s)
    config = WorldConfig(operator=operator, backends=backends or BackendConfig(), api=api or ApiSettings(),
                         controller=controller)
    world = World(config, choices or SeededChoiceSource(seed))
    checks = CheckRun()
    world.kernel.log.subscribe(checks.apply)
    world.start()
    world.spawn(story(world))
    world.run(until)
    return world, checks.finish(until)


def answering(value: T) -> Callable[..., Generator[Any, Any, T]]:
    """A put-back of a coroutine method that a fix made look first: it answers `value` at once, yielding no effect."""
    def method(*_: Any) -> Generator[Any, Any, T]:
        return value
        yield  # pragma: no cover - makes this a generator; never reached
    return method


def properties(violations: list[Violation]) -> set[str]:
    return {v.property for v in violations}


# -- stories ------------------------------------------------------------------------------------------
def create_then_delete(delay_s: float | None) -> Story:
    """Create vm-1; delete it `delay_s` later (never, if None)."""
    def story(w: World) -> Generator[simpy.Event, Any, None]:
        yield from w.create_instance(VM)
        if delay_s is not None:
            yield w.env.timeout(delay_s)
            yield from w.delete_instance(VM)
    return story


EXTRA_LAG_S = Dist.uniform(0.5, 3.0)  # an overloaded API server: watch events reach the cache seconds late


def lagging(story: Story, duration_s: float = 120.0) -> Story:
    """Run `story` while the informer cache lags by an extra `EXTRA_LAG_S` for `duration_s`."""
    def run(w: World) -> Generator[simpy.Event, Any, None]:
        w.lag_spike(duration_s, EXTRA_LAG_S)
        yield from story(w)
    return run


def healed_after(story: Story, t: float) -> Story:
    """Run `story`, and turn every injected fault off at `t`."""
    def run(w: World) -> Generator[simpy.Event, Any, None]:
        w.spawn(story(w))
        yield w.env.timeout(t)
        w.heal()
    return run


def then(first_s: float, act: Callable[[World], None], delete_after_s: float | None = None) -> Story:
    """Create vm-1, do `act` after `first_s`, and delete vm-1 `delete_after_s` after that (if given)."""
    def run(w: World) -> Generator[simpy.Event, Any, None]:
        yield from w.create_instance(VM)
        yield w.env.timeout(first_s)
        act(w)
        if delete_after_s is not None:
            yield w.env.timeout(delete_after_s)
            yield from w.delete_instance(VM)
    return run


def edit_after(first_s: float, *, switch_to: str | None = None) -> Story:
    """Create vm-1; after `first_s` (and a provider switch, if given) change its templateParameters."""
    def run(w: World) -> Generator[simpy.Event, Any, None]:
        yield from w.create_instance(VM)
        yield w.env.timeout(first_s)
        if switch_to is not None:
            w.switch_provider(switch_to)
            yield w.env.timeout(30)
        yield from w.edit_spec(VM, template_parameters='{"cpu": 4}')
    return run


def restart_when_posted(url_part: str, *, delete_after_s: float | None = None, delay_s: float | None = None) -> Story:
    """Create vm-1 (and delete it after `delete_after_s`); restart the operator as a POST to `url_part` goes out."""
    def run(w: World) -> Generator[simpy.Event, Any, None]:
        yield from w.create_instance(VM)
        if delete_after_s is not None:
            yield w.env.timeout(delete_after_s)
            yield from w.delete_instance(VM)
        while not any(isinstance(e, HttpRequested) and e.method == "POST" and url_part in e.url
                      for e in w.kernel.log.events):
            yield w.env.timeout(0.001)
        w.restart_operator(delay_s)
    return run


def manual_delete_then_managed(w: World) -> Generator[simpy.Event, Any, None]:
    """Create vm-1, hand it to a human (`manual`), delete it, then give it back to the operator."""
    yield from w.create_instance(VM)
    yield w.env.timeout(200)
    yield from w.set_management_state(VM, "manual")
    yield w.env.timeout(50)
    yield from w.delete_instance(VM)
    yield w.env.timeout(50)
    yield from w.set_management_state(VM, None)


def fail_next(job_type: JobType, delete_at_s: float = 200) -> Story:
    """Arm the next job of `job_type` to fail, create vm-1 and delete it at `delete_at_s`."""
    def run(w: World) -> Generator[simpy.Event, Any, None]:
        w.fail_next_job(job_type)
        yield from w.create_instance(VM)
        yield w.env.timeout(delete_at_s)
        yield from w.delete_instance(VM)
    return run

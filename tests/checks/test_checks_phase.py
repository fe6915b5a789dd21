"""phase-consistent: Failed only after a failed or canceled provision job, Running only with the config applied."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy
from check_stories import NS, VM1, Log, create_then_delete, job, run_world

from models.jobs import JobState, JobType
from models.names import KIND_COMPUTE_INSTANCE
from models.objects import ComputeInstance, Phase
from sim.world import World

PROP = "phase-consistent"


def fail_first_provision(w: World) -> Generator[simpy.Event, Any, None]:
    w.fail_next_job(JobType.PROVISION)
    yield from w.create_instance("vm-1")


def test_clean_runs_and_a_failed_provision_keep_the_phase_consistent() -> None:
    _, violations = run_world(create_then_delete(200), provider="aap", ids=[PROP])
    assert violations == []
    world, violations = run_world(fail_first_provision, provider="aap", ids=[PROP], until=300.0)
    assert violations == []
    obj = world.server.peek(KIND_COMPUTE_INSTANCE, NS, "vm-1")
    assert isinstance(obj, ComputeInstance) and obj.status.phase == Phase.FAILED


def test_failed_with_a_succeeded_latest_provision_job_is_inconsistent_and_reported_once() -> None:
    log = Log()
    log.stored(log.ci(phase=Phase.FAILED, jobs=[job("9000", JobState.FAILED)]), t=1.0)
    first = log.stored(log.ci(phase=Phase.FAILED, jobs=[job("9000", JobState.FAILED),
                                                       job("9001", JobState.SUCCEEDED, 5.0)]), t=10.0)
    log.stored(log.ci(phase=Phase.FAILED, jobs=[job("9000", JobState.FAILED),
                                               job("9001", JobState.SUCCEEDED, 5.0)]), t=20.0)
    (v,) = log.check([PROP])
    assert v.subject == VM1 and v.events == (first.seq,)
    assert "phase Failed but the latest provision job is 9001 (provision, Succeeded" in v.explanation


def test_running_with_an_unapplied_config_is_inconsistent() -> None:
    log = Log()
    log.stored(log.ci(phase=Phase.RUNNING, desired="aaaa", reconciled="aaaa"), t=1.0)
    log.stored(log.ci(phase=Phase.RUNNING, desired="bbbb", reconciled="aaaa"), t=2.0)
    (v,) = log.check([PROP])
    assert "desiredConfigVersion bbbb differs from reconciledConfigVersion aaaa" in v.explanation


def test_under_eda_a_failed_create_playbook_leaves_a_consistent_starting_phase() -> None:
    world, violations = run_world(fail_first_provision, provider="eda", ids=[PROP], until=300.0)
    assert violations == []
    obj = world.server.peek(KIND_COMPUTE_INSTANCE, NS, "vm-1")
    assert isinstance(obj, ComputeInstance) and obj.status.phase == Phase.STARTING

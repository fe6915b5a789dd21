"""F14: the hardened operator reads AAP's job API in EDA mode too, so an EDA job's end is seen, not waited for."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy
from hardened_world import VM, properties, run_story

from models.jobs import JobState, JobType, find_latest_job_by_type
from models.objects import ComputeInstance
from sim.backends.aap import AapJobLaunched, AapJobTransitioned
from sim.kube.events import ObjectRemoved, ObjectStored
from sim.world import World

DELETE_AT_S = 60.0


def create_job_fails_unseen_then_delete(w: World) -> Generator[simpy.Event, Any, None]:
    """EDA launches the create job, which fails after creating the VM; the user deletes the instance at 60 s."""
    w.fail_next_job(JobType.PROVISION, "wait_vm_ready")
    yield from w.create_instance(VM)
    yield w.env.timeout(DELETE_AT_S)
    yield from w.delete_instance(VM)


def test_an_eda_create_job_that_fails_is_recorded_failed_and_the_deletion_does_not_wait_the_bound() -> None:
    world, violations = run_story(create_job_fails_unseen_then_delete, "hardened", provider="eda")
    assert not properties(violations)
    events = world.kernel.log.events
    failed_t = next(e.t for e in events if isinstance(e, AapJobTransitioned) and e.dest == "failed")
    recorded_t = next(e.t for e in events if isinstance(e, ObjectStored) and isinstance(e.obj, ComputeInstance)
                      and (latest := find_latest_job_by_type(e.obj.status.jobs, JobType.PROVISION)) is not None
                      and latest.state is JobState.FAILED)
    delete_job_t = next(e.t for e in events if isinstance(e, AapJobLaunched) and e.playbook == "delete")
    removed_t = next(e.t for e in events if isinstance(e, ObjectRemoved) and e.kind == "ComputeInstance")
    assert recorded_t - failed_t < 35.0  # the next poll reads the end in AAP (before F14: 720 s after the launch)
    assert delete_job_t - DELETE_AT_S < 35.0  # no OUTCOME_BOUND_S wait before the delete webhook
    assert removed_t < 200.0


def test_the_reference_never_records_the_failure() -> None:
    world, _ = run_story(create_job_fails_unseen_then_delete, "reference", provider="eda")
    events = world.kernel.log.events
    stored = [e.obj for e in events if isinstance(e, ObjectStored) and isinstance(e.obj, ComputeInstance)]
    assert all(j.state is not JobState.FAILED for o in stored for j in o.status.jobs if j.type is JobType.PROVISION)

"""legal-job-transition and legal-phase-transition: the monitor machines over persisted versions."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy
from check_stories import VM1, Log, create_then_delete, job, run_world

from models.jobs import JobState, JobType
from models.objects import Phase
from sim.world import World

JOB = "legal-job-transition"
PHASE = "legal-phase-transition"


def test_clean_runs_follow_both_machines() -> None:
    for provider in ("aap", "eda"):
        _, violations = run_world(create_then_delete(100), provider=provider, ids=[JOB, PHASE])
        assert violations == [], provider


def test_a_switch_to_eda_then_a_spec_edit_overwrites_succeeded_with_unknown() -> None:
    def story(w: World) -> Generator[simpy.Event, Any, None]:
        yield from w.create_instance("vm-1")
        yield w.env.timeout(200)
        w.switch_provider("eda")
        yield w.env.timeout(30)
        yield from w.edit_spec("vm-1", template_parameters='{"cpu": 4}')

    _, violations = run_world(story, provider="aap", ids=[JOB])
    (v,) = violations
    assert v.subject == VM1
    assert "provision job 9000" in v.explanation and "from Succeeded" in v.explanation and "to Unknown" in v.explanation


def test_job_states_are_keyed_by_id_and_type_and_a_new_timestamp_is_a_new_job() -> None:
    log = Log()
    log.stored(log.ci(jobs=[job("eda-webhook-1", JobState.SUCCEEDED, 1.0, JobType.DEPROVISION)]), t=1.0)
    log.stored(log.ci(jobs=[job("eda-webhook-1", JobState.RUNNING, 1.0, JobType.PROVISION),
                            job("eda-webhook-1", JobState.SUCCEEDED, 1.0, JobType.DEPROVISION)]), t=2.0)
    log.stored(log.ci(jobs=[job("eda-webhook-1", JobState.PENDING, 9.0, JobType.DEPROVISION)]), t=10.0)
    assert log.check([JOB]) == []
    log.stored(log.ci(jobs=[job("eda-webhook-1", JobState.FAILED, 9.0, JobType.DEPROVISION)]), t=11.0)
    log.stored(log.ci(jobs=[job("eda-webhook-1", JobState.RUNNING, 9.0, JobType.DEPROVISION)]), t=12.0)
    (v,) = log.check([JOB])
    assert "deprovision job eda-webhook-1" in v.explanation and "from Failed" in v.explanation


def test_the_first_entry_with_an_id_is_the_one_judged() -> None:
    log = Log()
    log.stored(log.ci(jobs=[job("", JobState.FAILED, 1.0)]), t=1.0)
    log.stored(log.ci(jobs=[job("", JobState.FAILED, 1.0), job("", JobState.FAILED, 31.0)]), t=31.0)
    assert log.check([JOB]) == []


def test_deleting_is_left_only_by_removal() -> None:
    log = Log()
    log.stored(log.ci(phase=Phase.STARTING), t=1.0)
    deleting = log.stored(log.ci(phase=Phase.DELETING, deleted_at=5.0), t=5.0)
    back = log.stored(log.ci(phase=Phase.RUNNING, deleted_at=5.0), t=6.0)
    (v,) = log.check([PHASE])
    assert v.events == (deleting.seq, back.seq)
    assert "moved to phase Running at t=6.00 from phase Deleting" in v.explanation


def test_removal_is_gone_from_any_phase_and_a_recreated_name_starts_afresh() -> None:
    log = Log()
    log.stored(log.ci(phase=Phase.RUNNING, uid="uid-1"), t=1.0)
    log.removed(log.ci(phase=Phase.RUNNING, uid="uid-1", deleted_at=5.0, finalizers=()), t=5.0)
    log.stored(log.ci(uid="uid-2"), "create", t=6.0)
    log.stored(log.ci(phase=Phase.STARTING, uid="uid-2"), t=7.0)
    assert log.check([PHASE]) == []

"""jobs-recorded and job-state-recorded: what the operator recorded of the jobs AAP ran."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy
from check_stories import VM1, Log, create_then_delete, job, of, run_world

from models.jobs import JobState, JobType
from models.names import ANNOTATION_MANAGEMENT_STATE, MANAGEMENT_STATE_MANUAL, MANAGEMENT_STATE_UNMANAGED
from sim.backends.config import BackendConfig
from sim.kernel.http import HttpRequested
from sim.world import World

RECORDED = "jobs-recorded"
STATE = "job-state-recorded"


def restart_during_launch(w: World) -> Generator[simpy.Event, Any, None]:
    """Create vm-1 and restart the operator while its AAP launch request is in flight."""
    yield from w.create_instance("vm-1")
    while not any(isinstance(e, HttpRequested) and e.url.endswith("/launch/") for e in w.kernel.log.events):
        yield w.env.timeout(0.001)
    w.restart_operator()


def test_every_job_of_a_clean_aap_run_is_recorded_and_shows_its_ending() -> None:
    _, violations = run_world(create_then_delete(None), provider="aap", ids=[RECORDED, STATE])
    assert violations == []


def test_a_restart_during_the_launch_leaves_the_first_job_unrecorded() -> None:
    world, violations = run_world(restart_during_launch, provider="aap", ids=[RECORDED])
    assert world.job_ids("vm-1") == [9000, 9001]
    (v,) = violations
    assert v.subject == VM1
    assert "AAP job 9000" in v.explanation and "never held a provision entry with id 9000" in v.explanation


def test_eda_jobs_are_counted_a_duplicated_delivery_leaves_one_unrecorded() -> None:
    _, violations = run_world(create_then_delete(None), provider="eda", ids=[RECORDED],
                              backends=BackendConfig(eda_duplicate_rate=1.0))
    (v,) = violations
    assert "EDA launched 2 create-playbook job(s)" in v.explanation
    assert "only 1 EDA provision entry (eda-webhook-1)" in v.explanation


def test_an_unrecorded_job_is_reported_at_the_removal_of_its_instance() -> None:
    log = Log()
    log.stored(log.ci(), "create", t=0.0)
    log.launched(9000, t=1.0)
    log.launched(9001, t=2.0)
    log.stored(log.ci(jobs=[job("9001", JobState.PENDING, 2.0)]), t=2.1)
    log.removed(log.ci(deleted_at=5.0, finalizers=(), jobs=[job("9001", JobState.PENDING, 2.0)]), t=5.0)
    (v,) = log.check([RECORDED], end_t=6.0)
    assert v.t == 5.0 and "by its removal at t=5.00" in v.explanation
    assert "id 9000" in v.explanation and "9001 (provision" in v.explanation


def test_a_reused_eda_id_counts_as_a_new_entry() -> None:
    log = Log()
    log.stored(log.ci(), "create", t=0.0)
    log.launched(9000, launched_by="eda", t=1.0)
    log.stored(log.ci(jobs=[job("eda-webhook-1", JobState.RUNNING, 1.0)]), t=1.0)
    log.launched(9001, launched_by="eda", t=3.0)
    log.stored(log.ci(jobs=[job("eda-webhook-1", JobState.RUNNING, 3.0)]), t=3.0)  # same id, new entry
    log.removed(log.ci(deleted_at=5.0, finalizers=()), t=5.0)
    assert log.check([RECORDED]) == []


def test_jobs_of_a_live_instance_are_judged_only_after_a_quiet_period() -> None:
    log = Log()
    log.stored(log.ci(), "create", t=0.0)
    log.launched(9000, t=1.0)
    assert log.check([RECORDED], end_t=100.0) == []  # not yet: quiet time is 3 × 30 s + 30 s after the launch
    (v,) = log.check([RECORDED], end_t=121.0)
    assert "by the end of the run at t=121.00" in v.explanation


def test_a_job_purged_as_it_ended_stays_pending_forever_and_no_controller_could_know() -> None:
    _, violations = run_world(create_then_delete(None), provider="aap", ids=[STATE],
                              backends=BackendConfig(aap_purge_age_s=0.0))
    (v,) = violations
    assert v.subject == VM1 and "AAP job 9000" in v.explanation
    assert "purged the job" in v.explanation and "answers 404" in v.explanation
    assert "no poll of it was sent" in v.explanation and "no controller could have learned" in v.explanation
    assert v.environment


def test_a_switch_to_eda_leaves_the_running_aap_job_unknown_forever() -> None:
    def story(w: World) -> Generator[simpy.Event, Any, None]:
        yield from w.create_instance("vm-1")
        yield w.env.timeout(15)
        w.switch_provider("eda")

    _, violations = run_world(story, provider="aap", ids=[STATE])
    (v,) = violations
    assert "Unknown" in v.explanation and "EDA provider answers Unknown for every job id" in v.explanation


def test_an_ending_recorded_then_overwritten_is_reported_with_when_it_showed() -> None:
    log = Log()
    log.stored(log.ci(), "create", t=0.0)
    log.launched(9000, t=1.0)
    log.stored(log.ci(jobs=[job("9000", JobState.PENDING, 1.0)]), t=1.1)
    log.ended(9000, "failed", t=50.0)
    log.stored(log.ci(jobs=[job("9000", JobState.FAILED, 1.0)]), t=60.0)
    log.stored(log.ci(jobs=[job("9000", JobState.UNKNOWN, 1.0)]), t=90.0)
    (v,) = log.check([STATE], end_t=1200.0)
    assert "did show Failed at t=60.00" in v.explanation


def test_a_trimmed_entry_that_showed_its_ending_is_fine_and_edas_jobs_are_not_judged() -> None:
    log = Log()
    log.stored(log.ci(), "create", t=0.0)
    log.launched(9000, t=1.0)
    log.ended(9000, "successful", t=50.0)
    log.stored(log.ci(jobs=[job("9000", JobState.SUCCEEDED, 1.0)]), t=60.0)
    log.launched(9001, launched_by="eda", t=70.0)
    log.ended(9001, "successful", t=80.0)
    log.stored(log.ci(jobs=[job("eda-webhook-1", JobState.UNKNOWN, 70.0, JobType.PROVISION)]), t=90.0)
    assert of(log.check([STATE], end_t=1200.0), STATE) == []


def test_jobs_of_an_instance_left_unmanaged_are_not_judged_at_the_end() -> None:
    log = Log()
    log.stored(log.ci(), "create", t=0.0)
    log.launched(9000, t=1.0)  # never recorded
    log.user("set_management_state", "vm-1", t=5.0, state=MANAGEMENT_STATE_UNMANAGED)
    log.stored(log.ci(annotations={ANNOTATION_MANAGEMENT_STATE: MANAGEMENT_STATE_UNMANAGED}), "patch", t=5.0)
    assert log.check([RECORDED], end_t=1200.0) == []  # the operator keeps its hands off (§2.6)


def test_a_job_unrecorded_when_a_manual_instance_is_removed_is_still_reported_at_the_removal() -> None:
    manual = {ANNOTATION_MANAGEMENT_STATE: MANAGEMENT_STATE_MANUAL}
    log = Log()
    log.stored(log.ci(annotations=manual), "create", t=0.0)
    log.launched(9000, t=1.0)
    log.removed(log.ci(deleted_at=5.0, finalizers=(), annotations=manual), t=5.0)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert v.t == 5.0 and "by its removal at t=5.00" in v.explanation


def test_the_ending_of_a_job_of_an_instance_left_manual_is_not_judged_at_the_end() -> None:
    log = Log()
    log.stored(log.ci(), "create", t=0.0)
    log.launched(9000, t=1.0)
    log.stored(log.ci(jobs=[job("9000", JobState.PENDING, 1.0)]), t=1.1)
    log.user("set_management_state", "vm-1", t=20.0, state=MANAGEMENT_STATE_MANUAL)
    log.stored(log.ci(jobs=[job("9000", JobState.PENDING, 1.0)],
                      annotations={ANNOTATION_MANAGEMENT_STATE: MANAGEMENT_STATE_MANUAL}), "patch", t=20.0)
    log.ended(9000, "successful", t=50.0)
    assert log.check([STATE], end_t=1200.0) == []


def test_an_eda_job_recorded_by_its_aap_id_counts_and_leaves_the_eda_entry_to_the_other() -> None:
    log = Log()
    log.stored(log.ci(), "create", t=0.0)
    log.launched(9000, launched_by="eda", t=1.0)
    log.launched(9001, launched_by="eda", t=1.5)  # a duplicated delivery's second job
    log.stored(log.ci(jobs=[job("eda-webhook-1", JobState.RUNNING, 1.0), job("9001", JobState.RUNNING, 1.0)]),
               t=2.0)  # a controller that looked the second one up in AAP recorded it by its id
    log.removed(log.ci(deleted_at=5.0, finalizers=()), t=5.0)
    assert log.check([RECORDED]) == []


def test_an_eda_job_recorded_by_its_aap_id_does_not_cover_a_third_unrecorded_one() -> None:
    log = Log()
    log.stored(log.ci(), "create", t=0.0)
    for job_id in (9000, 9001, 9002):
        log.launched(job_id, launched_by="eda", t=1.0)
    log.stored(log.ci(jobs=[job("eda-webhook-1", JobState.RUNNING, 1.0), job("9001", JobState.RUNNING, 1.0)]),
               t=2.0)
    log.removed(log.ci(deleted_at=5.0, finalizers=()), t=5.0)
    (v,) = log.check([RECORDED])
    assert "9001 recorded by AAP id" in v.explanation and "1 job(s) run unknown" in v.explanation

"""history-preserved: entries leave status.jobs[] only by trimming, and persisted observations are never undone."""

from __future__ import annotations

from check_stories import VM1, Log, create_then_delete, job, run_world

from models.jobs import JobRecord, JobState, JobType
from sim.checks.history import HistoryPreserved

PROP = "history-preserved"


def failed_triggers(n: int, t0: float = 0.0) -> list[JobRecord]:
    return [job("", JobState.FAILED, t0 + 30.0 * i, message=f"Failed to trigger provisioning: try {i}")
            for i in range(n)]


def test_a_clean_run_keeps_its_history() -> None:
    _, violations = run_world(create_then_delete(200), provider="aap", ids=[PROP])
    assert violations == []


def test_max_job_history_is_read_from_the_operator_start() -> None:
    world, violations = run_world(create_then_delete(None), provider="aap", ids=[PROP], max_job_history=3,
                                  until=300.0)
    checker = HistoryPreserved()
    for event in world.kernel.log.events:
        checker.apply(event)
    assert checker.quiet.max_job_history == 3
    assert violations == []


def test_appending_past_max_job_history_trims_the_oldest_entries() -> None:
    log = Log()
    log.manager_started(t=0.0, **{"reconciler.max_job_history": 3})
    jobs = failed_triggers(4)
    log.stored(log.ci(jobs=jobs[:3]), t=90.0)
    log.stored(log.ci(jobs=jobs[1:4]), t=120.0)  # append one, keep the last three
    assert log.check([PROP]) == []


def test_without_the_setting_max_job_history_is_ten_so_the_same_trim_is_a_loss() -> None:
    log = Log()
    jobs = failed_triggers(4)
    log.stored(log.ci(jobs=jobs[:3]), t=90.0)
    second = log.stored(log.ci(jobs=jobs[1:4]), t=120.0)
    (v,) = log.check([PROP])
    assert v.subject == VM1 and "lost 1 entry" in v.explanation and "MaxJobHistory is 10" in v.explanation
    assert v.events == (0, second.seq)


def test_an_entry_dropped_without_an_append_is_a_loss() -> None:
    log = Log()
    log.stored(log.ci(jobs=[job("9000", JobState.SUCCEEDED), job("9001", JobState.PENDING, 5.0, JobType.DEPROVISION)]),
               t=10.0)
    log.stored(log.ci(jobs=[job("9001", JobState.RUNNING, 5.0, JobType.DEPROVISION)]), t=20.0)
    (v,) = log.check([PROP])
    assert "9000 (provision, Succeeded" in v.explanation


def test_a_state_falling_back_to_an_earlier_stage_is_an_undone_observation() -> None:
    log = Log()
    log.stored(log.ci(jobs=[job("9000", JobState.PENDING)]), t=1.0)
    running = log.stored(log.ci(jobs=[job("9000", JobState.RUNNING)]), t=30.0)
    log.stored(log.ci(jobs=[job("9000", JobState.UNKNOWN)]), t=60.0)  # says nothing about the stage
    log.stored(log.ci(jobs=[job("9000", JobState.RUNNING)]), t=90.0)
    back = log.stored(log.ci(jobs=[job("9000", JobState.PENDING, message="Failed to get job status: timeout")]),
                      t=120.0)
    (v,) = log.check([PROP])
    assert "fell back from Running (persisted at t=30.00) to Pending" in v.explanation
    assert running.seq in v.events and back.seq in v.events

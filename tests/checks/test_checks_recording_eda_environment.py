"""jobs-recorded and one-deprovision for jobs EDA launched from a webhook whose answer the operator lost.

EDA's answer to a webhook POST names no job: a 2xx only tells the operator that EDA accepted the delivery, and it
records an `eda-webhook-N` entry. When that answer is lost (a timeout after EDA accepted, a crash of the process
that sent it, or a crash before any status write recorded it), the job can still be found in AAP's job list — until
AAP purges it. A job purged before the operator could look it up again is no controller's to record; a job the
operator could have looked up, and did not, is its own.
"""

from __future__ import annotations

from check_stories import VM1, Log, job

from models.jobs import JobState, JobType

RECORDED = "jobs-recorded"
DEPROVISION = "one-deprovision"


def create_webhook_times_out_after_eda_accepted(log: Log) -> None:
    """vm-1's create webhook reaches EDA, which accepts it but answers too late: the POST times out at t=11. EDA's rule
    launched job 9000 at t=6."""
    log.manager_started(t=0.0)
    log.stored(log.ci(), "create", t=0.0)
    log.webhook_requested(0, t=1.0)
    log.webhook_received(0, outcome="timeout_accepted", t=1.01)
    log.eda_launched(9000, 0, t=6.0)
    log.timed_out(0, t=11.0)


def purged_while_its_lookup_timed_out(log: Log) -> int:
    """`create_webhook_times_out_after_eda_accepted`; the operator asks AAP's job list for vm-1's create jobs at
    t=11.1, which times out too (t=41.1); job 9000 ends failed at t=20 and is purged at t=45, 34 s after the lost
    answer. Returns the purge's seq."""
    create_webhook_times_out_after_eda_accepted(log)
    log.lookup_requested(1, t=11.1)
    log.ended(9000, "failed", t=20.0)
    log.timed_out(1, t=41.1)
    return log.purged(9000, t=45.0).seq


def second_create_delivery_answered(log: Log) -> None:
    """vm-1's next create webhook at t=50 is delivered (delivery 1) and answered 200."""
    log.webhook_requested(2, t=50.0)
    log.webhook_received(1, t=50.01)
    log.answered(2, 200, {}, t=50.02)


def test_a_lost_eda_answer_whose_job_was_purged_while_every_lookup_timed_out_is_the_environments() -> None:
    log = Log()
    purge = purged_while_its_lookup_timed_out(log)  # excused because the operator asked in vain
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert v.subject == VM1 and v.environment and purge in v.events
    assert "the answer to the webhook POST that EDA accepted as delivery 0 timed out (at t=11.00)" in v.explanation
    assert "1 job-list lookup was sent (1 timed out)" in v.explanation


def test_a_lost_eda_answer_looked_up_once_in_vain_then_left_unasked_for_a_poll_interval_is_the_operators() -> None:
    """The one lookup times out at t=41.1; the purge comes at t=80: 39 s of up, managed time in which the operator did
    not ask again, and a lookup would have listed the job."""
    log = Log()
    create_webhook_times_out_after_eda_accepted(log)
    log.lookup_requested(1, t=11.1)
    log.ended(9000, "failed", t=20.0)
    log.timed_out(1, t=41.1)
    log.purged(9000, t=80.0)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert not v.environment and "No controller could have" not in v.explanation


def test_an_eda_job_a_lookup_listed_before_its_purge_is_the_operators() -> None:
    log = Log()
    create_webhook_times_out_after_eda_accepted(log)
    log.lookup_requested(1, t=11.1)
    log.answered(1, 200, {"count": 1, "results": [{"id": 9000, "status": "running"}]}, t=11.2)
    log.ended(9000, "failed", t=20.0)
    log.purged(9000, t=35.0)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert not v.environment and "No controller could have" not in v.explanation


def test_an_eda_job_whose_webhook_answer_was_lost_and_that_the_operator_never_looked_up_is_the_operators() -> None:
    """The answer was lost, but AAP listed the job for 80 s of running operator, and it never asked."""
    log = Log()
    create_webhook_times_out_after_eda_accepted(log)
    log.ended(9000, "failed", t=20.0)
    log.purged(9000, t=100.0)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert not v.environment


def accepted_then_crash(log: Log, *, wrote_status: bool) -> tuple[int, int]:
    """EDA accepts vm-1's create webhook and answers 200 at t=1.1; the process crashes at t=1.2, having written vm-1's
    status (without an EDA entry) at t=1.15 or not at all. The new process starts at t=60; AAP purged the job at 50."""
    log.manager_started(t=0.0)
    log.stored(log.ci(), "create", t=0.0)
    log.webhook_requested(0, t=1.0)
    log.webhook_received(0, t=1.01)
    log.answered(0, 200, {}, t=1.1)
    if wrote_status:
        log.stored(log.ci(), t=1.15)
    crash = log.manager_crashed(t=1.2)
    log.eda_launched(9000, 0, t=6.0)
    log.ended(9000, "failed", t=20.0)
    purge = log.purged(9000, t=50.0)
    log.manager_started(t=60.0)
    return crash.seq, purge.seq


def test_an_accepted_webhook_lost_with_its_crashed_process_before_any_status_write_is_the_environments() -> None:
    log = Log()
    crash, purge = accepted_then_crash(log, wrote_status=False)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert v.environment and {crash, purge} <= set(v.events)
    assert "crashed at t=1.20, 0.10 s after it last learned of the job" in v.explanation


def test_an_accepted_webhook_left_out_of_a_status_write_is_the_operators() -> None:
    log = Log()
    accepted_then_crash(log, wrote_status=True)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert not v.environment


def test_a_webhook_cut_by_a_crash_before_eda_received_it_is_paired_with_its_delivery() -> None:
    """The process crashes between sending the POST and EDA receiving it; it stays down until after the purge."""
    log = Log()
    log.manager_started(t=0.0)
    log.stored(log.ci(), "create", t=0.0)
    log.webhook_requested(0, t=1.0)
    crash = log.manager_crashed(t=1.005)
    log.webhook_received(0, t=1.01)
    log.eda_launched(9000, 0, t=6.0)
    log.ended(9000, "failed", t=20.0)
    log.purged(9000, t=50.0)
    log.manager_started(t=60.0)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert v.environment and crash.seq in v.events
    assert "was cut by an operator crash (at t=1.00)" in v.explanation


def test_eda_jobs_the_operator_could_have_known_of_still_count_beside_an_unlearnable_one() -> None:
    """Two create jobs from two deliveries: the first one's answer was lost and it was purged while the lookup timed
    out; the second one's 200 reached the operator, which recorded no entry. One job is the operator's to record."""
    log = Log()
    purged_while_its_lookup_timed_out(log)
    second_create_delivery_answered(log)
    log.eda_launched(9001, 1, t=55.0)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert not v.environment
    assert "Even without the 1 job(s) no controller could have known of" in v.explanation


def test_an_unlearnable_eda_job_beside_a_recorded_one_is_the_environments() -> None:
    """The same two jobs, but the operator recorded the second delivery as eda-webhook-1."""
    log = Log()
    purged_while_its_lookup_timed_out(log)
    second_create_delivery_answered(log)
    log.stored(log.ci(jobs=[job("eda-webhook-1", JobState.RUNNING, 50.0)]), t=50.05)
    log.eda_launched(9001, 1, t=55.0)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert v.environment
    assert "Only the job(s) no controller could have known of are missing. Job 9000:" in v.explanation


def first_delete_webhook_lost(log: Log) -> None:
    """vm-1 is being deleted; its delete webhook times out after EDA accepted it and launched delete job 9000."""
    log.manager_started(t=0.0)
    log.stored(log.ci(), "create", t=0.0)
    log.stored(log.ci(deleted_at=1.0), "update", t=1.0)
    log.webhook_requested(0, "delete", t=1.0)
    log.webhook_received(0, "delete", outcome="timeout_accepted", t=1.01)
    log.eda_launched(9000, 0, "delete", t=6.0)
    log.timed_out(0, t=11.0)


def test_a_second_delete_webhook_after_an_unlearnable_first_is_the_environments() -> None:
    log = Log()
    first_delete_webhook_lost(log)
    log.lookup_requested(1, "delete", t=11.1)
    log.ended(9000, "failed", t=20.0)
    log.timed_out(1, t=41.1)
    purge = log.purged(9000, t=45.0)  # 34 s after the lost answer: excused because the operator asked in vain
    log.webhook_requested(2, "delete", t=800.0)
    log.webhook_received(1, "delete", t=800.01)
    log.answered(2, 200, {}, t=800.02)
    log.stored(log.ci(deleted_at=1.0, jobs=[job("eda-webhook-1", JobState.RUNNING, 800.0, JobType.DEPROVISION)]),
               t=800.05)
    log.eda_launched(9001, 1, "delete", t=805.0)
    (v,) = log.check([DEPROVISION], end_t=1200.0)
    assert v.environment and purge.seq in v.events
    assert "No controller could have recorded it: EDA's rule launched the job" in v.explanation


def test_a_second_delete_webhook_after_a_first_the_operator_never_looked_up_is_the_operators() -> None:
    log = Log()
    first_delete_webhook_lost(log)
    log.ended(9000, "failed", t=20.0)
    log.purged(9000, t=200.0)  # AAP listed it for 189 s after the lost answer, and the operator never asked
    log.webhook_requested(2, "delete", t=800.0)
    log.webhook_received(1, "delete", t=800.01)
    log.answered(2, 200, {}, t=800.02)
    log.eda_launched(9001, 1, "delete", t=805.0)
    (v,) = log.check([DEPROVISION], end_t=1200.0)
    assert not v.environment

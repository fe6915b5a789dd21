"""jobs-recorded and job-state-recorded when AAP destroyed what the operator needed: reported as the environment's.

AAP purges ended jobs. A job whose end no answer ever showed before its purge, or an API-launched job whose
launch answer was lost and that was purged (or whose object vanished) before any answer could name it,
cannot be recorded by any controller; a job the operator was shown and still did not record can.
"""

from __future__ import annotations

from check_stories import VM1, Log, job

from models.jobs import JobState
from sim.backends.eda import EdaRuleFired

RECORDED = "jobs-recorded"
STATE = "job-state-recorded"


def recorded_job_ends_then_is_purged(log: Log) -> None:
    """vm-1's create job 9000 is launched and recorded Pending, and ends failed at t=50; AAP purges it at t=90."""
    log.stored(log.ci(), "create", t=0.0)
    log.launch_requested(0, t=0.9)
    log.launched(9000, t=1.0)
    log.answered(0, 201, {"id": 9000, "status": "pending"}, t=1.1)
    log.stored(log.ci(jobs=[job("9000", JobState.PENDING, 1.0)]), t=1.2)


def test_a_job_purged_while_every_poll_after_its_end_timed_out_is_the_environments() -> None:
    log = Log()
    recorded_job_ends_then_is_purged(log)
    log.ended(9000, "failed", t=50.0)
    log.poll_requested(1, 9000, t=55.0)
    log.timed_out(1, t=85.0)
    purge = log.purged(9000, t=90.0)
    log.poll_requested(2, 9000, t=95.0)
    log.answered(2, 404, {"detail": "Not found."}, t=95.1)
    (v,) = log.check([STATE], end_t=1200.0)
    assert v.subject == VM1 and v.environment and purge.seq in v.events
    assert "1 poll of it was sent (1 timed out)" in v.explanation
    assert "no controller could have learned how it ended" in v.explanation


def test_a_job_purged_after_a_poll_showed_its_end_is_the_operators() -> None:
    log = Log()
    recorded_job_ends_then_is_purged(log)
    log.ended(9000, "failed", t=50.0)
    log.poll_requested(1, 9000, t=55.0)
    log.answered(1, 200, {"id": 9000, "status": "failed"}, t=55.1)  # the operator saw the end, did not record it
    log.purged(9000, t=90.0)
    (v,) = log.check([STATE], end_t=1200.0)
    assert not v.environment
    assert "although an answer had shown it failed at t=55.10" in v.explanation


def test_a_job_end_asked_for_once_in_vain_then_left_unasked_for_a_poll_interval_is_the_operators() -> None:
    """The one poll after the end times out at t=65; the operator does not ask again before the purge at t=100: 35 s
    of up, managed time without a request about the job, in which a polling controller would have seen the end."""
    log = Log()
    recorded_job_ends_then_is_purged(log)
    log.ended(9000, "failed", t=50.0)
    log.poll_requested(1, 9000, t=55.0)
    log.timed_out(1, t=65.0)
    log.purged(9000, t=100.0)
    (v,) = log.check([STATE], end_t=1200.0)
    assert not v.environment
    assert "the operator, which could have asked before the purge, never learned how it ended" in v.explanation


def test_a_job_end_asked_for_again_at_once_after_every_lost_answer_is_the_environments() -> None:
    """Polls back to back, every one timing out, until the purge: never a poll interval without asking."""
    log = Log()
    recorded_job_ends_then_is_purged(log)
    log.ended(9000, "failed", t=50.0)
    for i, sent_t in enumerate((55.0, 76.0, 97.0, 118.0)):
        log.poll_requested(1 + i, 9000, t=sent_t)
        log.timed_out(1 + i, t=sent_t + 20.0)
    purge = log.purged(9000, t=140.0)
    (v,) = log.check([STATE], end_t=1200.0)
    assert v.environment and purge.seq in v.events
    assert "4 polls of it were sent (4 timed out)" in v.explanation


def test_a_job_end_polled_again_one_poll_interval_after_every_lost_answer_is_the_environments() -> None:
    """A controller requeued a poll interval after each timeout (hardened, seed 1670): it asks again 30.01 s after each
    lost answer, the moment it takes to act on it beside the interval, and never left a poll interval unused."""
    log = Log()
    recorded_job_ends_then_is_purged(log)
    log.ended(9000, "failed", t=50.0)
    for i, sent_t in enumerate((55.0, 95.01, 135.02)):
        log.poll_requested(1 + i, 9000, t=sent_t)
        log.timed_out(1 + i, t=sent_t + 10.0)
    purge = log.purged(9000, t=170.0)
    (v,) = log.check([STATE], end_t=1200.0)
    assert v.environment and purge.seq in v.events


def launch_answer_times_out(log: Log) -> None:
    """AAP launches vm-1's create job 9000 at t=1, but the launch request times out at t=30.9: the operator never
    gets the id."""
    log.stored(log.ci(), "create", t=0.0)
    log.launch_requested(0, t=0.9)
    log.launched(9000, t=1.0)
    log.timed_out(0, t=30.9)


def lost_launch(log: Log) -> None:
    """`launch_answer_times_out`, then the operator asks AAP's job list at t=31, and that times out too (t=61)."""
    launch_answer_times_out(log)
    log.lookup_requested(1, t=31.0)
    log.timed_out(1, t=61.0)


def test_a_job_whose_launch_answer_was_lost_and_that_was_purged_before_any_lookup_is_the_environments() -> None:
    log = Log()
    lost_launch(log)
    log.ended(9000, "failed", t=40.0)
    purge = log.purged(9000, t=50.0)
    log.lookup_requested(2, t=61.1)
    log.answered(2, 200, {"count": 0, "results": []}, t=61.2)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert v.environment and purge.seq in v.events
    assert "the answer to the launch request timed out (at t=30.90)" in v.explanation
    assert "AAP purged the job at t=50.00" in v.explanation
    assert "1 job-list lookup was sent (1 timed out)" in v.explanation


def test_a_job_listed_by_a_lookup_before_its_purge_is_the_operators() -> None:
    log = Log()
    lost_launch(log)
    log.ended(9000, "failed", t=40.0)
    log.lookup_requested(2, t=45.0)
    log.answered(2, 200, {"count": 1, "results": [{"id": 9000, "status": "failed"}]}, t=45.1)
    log.purged(9000, t=50.0)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert not v.environment and "No controller could have" not in v.explanation


def test_a_job_whose_launch_answer_timed_out_after_its_object_was_removed_is_the_environments() -> None:
    log = Log()
    log.stored(log.ci(), "create", t=0.0)
    log.stored(log.ci(deleted_at=10.0), "update", t=10.0)
    log.launch_requested(0, "delete", t=10.9)
    log.launched(9000, "delete", t=11.0)
    removal = log.removed(log.ci(deleted_at=10.0, finalizers=()), t=30.0)  # the delete playbook's last finalizer
    log.ended(9000, "successful", t=30.0)
    log.timed_out(0, t=40.9)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert v.t == 30.0 and v.environment and removal.seq in v.events
    assert "the object was removed at t=30.00, before the answer was due" in v.explanation


def test_a_job_whose_launch_answer_was_lost_before_the_operator_removed_its_object_is_the_operators() -> None:
    log = Log()
    log.stored(log.ci(), "create", t=0.0)
    log.stored(log.ci(deleted_at=10.0), "update", t=10.0)
    log.launch_requested(0, "delete", t=10.9)
    log.launched(9000, "delete", t=11.0)
    log.timed_out(0, t=40.9)
    log.ended(9000, "successful", t=45.0)
    log.removed(log.ci(deleted_at=10.0, finalizers=()), t=60.0)  # AAP would still list job 9000
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert v.t == 60.0 and not v.environment


def test_a_job_purged_while_the_operator_never_asked_is_the_operators() -> None:
    """An operator that does not ask AAP (the EDA provider never polls, §12.1) could have learned the end."""
    log = Log()
    recorded_job_ends_then_is_purged(log)
    log.ended(9000, "failed", t=50.0)
    log.purged(9000, t=90.0)  # 40 s later, longer than a 30 s poll interval: a polling controller would have seen it
    (v,) = log.check([STATE], end_t=1200.0)
    assert not v.environment
    assert "the operator, which could have asked before the purge, never learned how it ended" in v.explanation


def test_a_lost_launch_looked_up_once_in_vain_then_left_unasked_for_a_poll_interval_is_the_operators() -> None:
    """The one lookup times out at t=61; the purge comes at t=100: 39 s of up, managed time in which the operator did
    not ask again, and a lookup would have listed the job."""
    log = Log()
    lost_launch(log)
    log.ended(9000, "failed", t=40.0)
    log.purged(9000, t=100.0)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert not v.environment and "No controller could have" not in v.explanation


def test_a_lost_launch_the_operator_never_looked_up_is_the_operators() -> None:
    """A lost launch answer excuses nothing if the operator never asked AAP's job list before the purge."""
    log = Log()
    launch_answer_times_out(log)
    log.ended(9000, "failed", t=40.0)
    log.purged(9000, t=100.0)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert not v.environment


def test_an_answered_launch_lost_in_a_crash_and_purged_soon_after_the_restart_is_the_environments() -> None:
    """The answer reached the operator, which crashed before its status write; 20 s after the restart (less than a
    poll interval of running time) AAP purged the job: nobody could still learn its id."""
    log = Log()
    log.manager_started(t=0.0)
    log.stored(log.ci(), "create", t=0.0)
    log.launch_requested(0, t=0.9)
    log.launched(9000, t=1.0)
    log.answered(0, 201, {"id": 9000, "status": "pending"}, t=1.1)
    crash = log.manager_crashed(t=1.2)  # before the status write that would record 9000
    log.ended(9000, "failed", t=20.0)
    log.manager_started(t=60.0)
    purge = log.purged(9000, t=80.0)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert v.environment and crash.seq in v.events and purge.seq in v.events
    assert "reached an operator process that crashed at t=1.20, 0.10 s after it last learned the id" in v.explanation


def test_an_answered_launch_lost_with_its_crashed_process_is_the_operators_if_it_had_time_to_look() -> None:
    log = Log()
    log.manager_started(t=0.0)
    log.stored(log.ci(), "create", t=0.0)
    log.launch_requested(0, t=0.9)
    log.launched(9000, t=1.0)
    log.answered(0, 201, {"id": 9000, "status": "pending"}, t=1.1)
    log.manager_crashed(t=1.2)
    log.manager_started(t=10.0)
    log.ended(9000, "failed", t=20.0)
    log.purged(9000, t=100.0)  # 90 s of running operator, and it never asked AAP's job list
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert not v.environment


def test_a_duplicated_delivery_among_many_eda_jobs_is_named_and_attributed() -> None:
    """Four EDA create jobs, the first a duplicated delivery's copy, three EDA entries: the copy is the cause."""
    log = Log()
    log.stored(log.ci(), "create", t=0.0)
    log.launched(9000, launched_by="eda", t=1.0)
    fired = log.add(EdaRuleFired, "eda", 1.0, template="cloudkit-create-compute-instance", job_id=9000, delivery=0,
                    copy=2)
    for job_id, t in ((9001, 2.0), (9002, 3.0), (9003, 4.0)):
        log.launched(job_id, launched_by="eda", t=t)
    entries = [job(f"eda-webhook-{n}", JobState.RUNNING, float(n)) for n in (1, 2, 3)]
    log.stored(log.ci(jobs=entries), t=5.0)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert v.environment and fired.seq in v.events


def learned_by_a_lookup_then_crash(log: Log, *, wrote_status: bool) -> tuple[int, int]:
    """The launch answer is lost; a lookup lists 9000 at t=60; AAP purges it at t=65; the operator crashes at 75,
    having written vm-1's status (without the id) at t=70 or not at all."""
    log.manager_started(t=0.0)
    lost_launch(log)
    log.ended(9000, "failed", t=40.0)
    log.lookup_requested(2, t=59.0)
    log.answered(2, 200, {"count": 1, "results": [{"id": 9000, "status": "failed"}]}, t=60.0)
    purge = log.purged(9000, t=65.0)
    if wrote_status:
        log.stored(log.ci(), t=70.0)
    crash = log.manager_crashed(t=75.0)
    log.manager_started(t=80.0)
    return purge.seq, crash.seq


def test_an_id_learned_by_a_lookup_and_lost_in_a_crash_before_any_status_write_is_the_environments() -> None:
    """Every status write the process tried failed until it crashed: it had no chance to record the id, and AAP
    had purged the job by then."""
    log = Log()
    purge, crash = learned_by_a_lookup_then_crash(log, wrote_status=False)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert v.environment and {purge, crash} <= set(v.events)
    assert "before any status write of the instance went through" in v.explanation


def test_an_id_learned_then_left_out_of_a_status_write_is_the_operators() -> None:
    """The process wrote the instance's status after it learned the id, without it: its own choice."""
    log = Log()
    learned_by_a_lookup_then_crash(log, wrote_status=True)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert not v.environment


def test_a_second_delete_launch_after_an_unlearnable_first_is_the_environments() -> None:
    """The first delete job's launch answer timed out and AAP purged it while every lookup timed out: the operator
    could not find it, and not deleting again would leave the deletion unfinished for ever."""
    log = Log()
    log.manager_started(t=0.0)
    log.stored(log.ci(), "create", t=0.0)
    log.launch_requested(0, "delete", t=0.9)
    log.launched(9000, "delete", t=1.0)
    log.ended(9000, "failed", t=5.0)
    purge = log.purged(9000, t=25.0)  # before the launch request even timed out
    log.timed_out(0, t=30.9)
    log.lookup_requested(1, "delete", t=31.0)
    log.timed_out(1, t=61.0)
    log.launch_requested(2, "delete", t=800.0)
    log.launched(9001, "delete", t=800.1)
    (v,) = log.check(["one-deprovision"], end_t=1200.0)
    assert v.environment and purge.seq in v.events
    assert "No controller could have recorded it" in v.explanation


def test_a_second_delete_launch_after_a_first_the_operator_could_have_found_is_the_operators() -> None:
    log = Log()
    log.manager_started(t=0.0)
    log.stored(log.ci(), "create", t=0.0)
    log.launch_requested(0, "delete", t=0.9)
    log.launched(9000, "delete", t=1.0)
    log.ended(9000, "failed", t=5.0)
    log.timed_out(0, t=30.9)
    log.purged(9000, t=200.0)  # 170 s after the lost answer, and the operator never asked
    log.launch_requested(2, "delete", t=800.0)
    log.launched(9001, "delete", t=800.1)
    (v,) = log.check(["one-deprovision"], end_t=1200.0)
    assert not v.environment


def test_a_launch_whose_answer_was_cut_by_a_crash_then_purged_while_every_lookup_failed_is_the_environments() -> None:
    log = Log()
    log.manager_started(t=0.0)
    log.stored(log.ci(), "create", t=0.0)
    log.launch_requested(0, "delete", t=0.9)
    log.launched(9000, "delete", t=1.0)
    crash = log.manager_crashed(t=2.0)  # the launch answer had not come back
    log.manager_started(t=10.0)
    log.lookup_requested(1, "delete", t=11.0)
    log.ended(9000, "failed", t=20.0)
    log.timed_out(1, t=41.0)
    purge = log.purged(9000, t=60.0)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert v.environment and {crash.seq, purge.seq} <= set(v.events)
    assert "was cut by an operator crash" in v.explanation


# -- time the user kept the operator's hands off is no chance to learn (§2.6) ------------------------------------
def given_back_and_purged(log: Log, given_back_t: float, purge_t: float) -> int:
    """The user gives vm-1, left manual or unmanaged, back at `given_back_t`; AAP purges job 9000 at `purge_t`, before
    or after. Returns the purge's seq."""
    if given_back_t < purge_t:
        log.management_state("", t=given_back_t)
    purge = log.purged(9000, t=purge_t)
    if given_back_t >= purge_t:
        log.management_state("", t=given_back_t)
    return purge.seq


def test_a_job_that_ended_and_was_purged_while_its_instance_was_unmanaged_is_the_environments() -> None:
    """vm-1 is left unmanaged from t=45 to t=120: the operator may not poll its job, which ends at 50 and is purged
    at 90. Nothing could have learned how it ended."""
    log = Log()
    recorded_job_ends_then_is_purged(log)
    log.management_state("unmanaged", t=45.0)
    log.ended(9000, "failed", t=50.0)
    purge = given_back_and_purged(log, given_back_t=120.0, purge_t=90.0)
    (v,) = log.check([STATE], end_t=1200.0)
    assert v.environment and purge in v.events
    assert "no controller could have learned how it ended" in v.explanation


def test_a_job_purged_after_its_instance_was_managed_again_for_a_poll_interval_is_the_operators() -> None:
    """The same job, but the user gave vm-1 back at t=55: 35 s of managed time before the purge, more than a poll
    interval, in which the operator did not ask."""
    log = Log()
    recorded_job_ends_then_is_purged(log)
    log.management_state("unmanaged", t=45.0)
    log.ended(9000, "failed", t=50.0)
    given_back_and_purged(log, given_back_t=55.0, purge_t=90.0)
    (v,) = log.check([STATE], end_t=1200.0)
    assert not v.environment


def test_a_lost_launch_purged_while_its_instance_was_manual_is_the_environments() -> None:
    """The launch answer times out at t=30.9; the user hands vm-1 to a human at t=31 and gives it back at t=120; AAP
    purges the job at t=100. The operator kept its hands off, as §2.6 says, for the whole window."""
    log = Log()
    launch_answer_times_out(log)
    log.management_state("manual", t=31.0)
    log.ended(9000, "failed", t=40.0)
    purge = given_back_and_purged(log, given_back_t=120.0, purge_t=100.0)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert v.environment and purge in v.events
    assert "after the loss the user left the instance manual or unmanaged for 69.00 s" in v.explanation


def test_a_lost_launch_purged_long_after_its_instance_was_given_back_is_the_operators() -> None:
    """The same, but vm-1 is given back at t=50: 50 s of managed time before the purge, and the operator never asked
    AAP's job list."""
    log = Log()
    launch_answer_times_out(log)
    log.management_state("manual", t=31.0)
    log.ended(9000, "failed", t=40.0)
    given_back_and_purged(log, given_back_t=50.0, purge_t=100.0)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert not v.environment


def test_a_lookup_for_another_instance_is_not_asking_about_this_job() -> None:
    """Between the lost launch answer and the purge the operator only looked up vm-2's jobs: it never asked about
    vm-1's, so a timeout of that lookup excuses nothing."""
    log = Log()
    launch_answer_times_out(log)
    log.lookup_requested(1, name="vm-2", t=31.0)
    log.ended(9000, "failed", t=40.0)
    log.timed_out(1, t=61.0)
    log.purged(9000, t=100.0)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert not v.environment


# -- a launch request cut by a crash before AAP launched its job (seed 948) ------------------------------------
def launch_cut_before_the_job(log: Log, given_back_t: float) -> tuple[int, int]:
    """The operator sends vm-1's launch at t=0.9 and crashes at t=1.0; AAP launches job 9000 at t=1.05 and answers
    201 to the dead process. The user leaves vm-1 unmanaged from t=3 to `given_back_t`; the operator restarts at
    t=12; AAP purges the job at t=60."""
    log.manager_started(t=0.0)
    log.stored(log.ci(), "create", t=0.0)
    log.launch_requested(0, t=0.9)
    crash = log.manager_crashed(t=1.0)
    log.launched(9000, t=1.05)
    log.answered(0, 201, {"id": 9000, "status": "pending"}, t=1.1)  # reaches no one
    log.management_state("unmanaged", t=3.0)
    log.manager_started(t=12.0)
    log.ended(9000, "successful", t=20.0)
    if given_back_t < 60.0:
        log.management_state("", t=given_back_t)
    purge = log.purged(9000, t=60.0)
    if given_back_t >= 60.0:
        log.management_state("", t=given_back_t)
    return crash.seq, purge.seq


def test_a_job_launched_after_the_crash_of_the_process_that_asked_for_it_is_the_environments() -> None:
    """The launch answer came back to a dead process, and the only running time before the purge was hands-off."""
    log = Log()
    crash, purge = launch_cut_before_the_job(log, given_back_t=100.0)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert v.environment and {crash, purge} <= set(v.events)
    assert "the answer to the launch request was cut by an operator crash (at t=1.00)" in v.explanation


def test_a_job_launched_after_a_crash_is_the_operators_if_the_restarted_process_had_time_to_look() -> None:
    """The same, but vm-1 is given back at t=15: 45 s of managed running time before the purge, no lookup."""
    log = Log()
    launch_cut_before_the_job(log, given_back_t=15.0)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert not v.environment


# -- a job's end shown to a process that crashed before any status write went through (seed 1670) ---------------
def end_shown_then_crash(log: Log, *, first_poll_t: float = 55.0, crash_t: float = 95.0, restart_t: float = 120.0,
                         purge_t: float = 90.0, wrote_status: bool = False,
                         asked_after_restart: bool = False) -> tuple[int, int]:
    """Job 9000 ends failed at t=50; a poll at `first_poll_t` times out; the next, at 85, shows the end; the process
    crashes at `crash_t` (having written vm-1's status without the end at t=88, or not at all) and the next starts
    at `restart_t` (and, if `asked_after_restart`, polls the job 1 s later, which times out 10 s after); AAP purges
    the job at `purge_t`, and answers 404 to a poll 1 s after both."""
    log.manager_started(t=0.0)
    recorded_job_ends_then_is_purged(log)
    log.ended(9000, "failed", t=50.0)
    if first_poll_t < 85.0:
        log.poll_requested(1, 9000, t=first_poll_t)
        log.timed_out(1, t=first_poll_t + 10.0)
    log.poll_requested(2, 9000, t=85.0)
    log.answered(2, 200, {"id": 9000, "status": "failed"}, t=85.1)
    if wrote_status:
        log.stored(log.ci(jobs=[job("9000", JobState.PENDING, 1.0)]), t=88.0)
    seqs: dict[str, int] = {}
    for t, what in sorted([(purge_t, "purge"), (crash_t, "crash"), (restart_t, "restart")]):
        if what == "purge":
            seqs[what] = log.purged(9000, t=t).seq
        elif what == "crash":
            seqs[what] = log.manager_crashed(t=t).seq
        else:
            log.manager_started(t=t)
            if asked_after_restart:
                log.poll_requested(4, 9000, t=t + 1.0)
                log.timed_out(4, t=t + 11.0)
    log.poll_requested(3, 9000, t=max(purge_t, restart_t) + 1.0)
    log.answered(3, 404, {"detail": "Not found."}, t=max(purge_t, restart_t) + 1.1)
    return seqs["crash"], seqs["purge"]


def test_a_job_end_shown_to_a_process_that_crashed_before_any_status_write_is_the_environments() -> None:
    """The status write that would record the end never went through before the crash; AAP had purged the job."""
    log = Log()
    crash, purge = end_shown_then_crash(log)
    (v,) = log.check([STATE], end_t=1200.0)
    assert v.environment and {crash, purge} <= set(v.events)
    assert ("an answer showed it failed at t=85.10 to an operator process that crashed at t=95.00 before any status "
            "write of the instance went through (between the end and that answer 1 poll of it was sent (1 timed out))"
            ", and the purge came while that process still held it") in v.explanation
    assert "no controller could have learned how it ended" in v.explanation


def test_a_job_end_shown_then_left_out_of_a_status_write_is_the_operators() -> None:
    """The process wrote vm-1's status after the answer showed the end, without it: its own choice."""
    log = Log()
    end_shown_then_crash(log, wrote_status=True)
    (v,) = log.check([STATE], end_t=1200.0)
    assert not v.environment
    assert "although an answer had shown it failed at t=85.10" in v.explanation


def test_a_job_end_shown_late_because_the_operator_did_not_poll_is_the_operators() -> None:
    """No poll between the end (t=50) and t=85: 35 s of managed running time left unused, in which a controller
    polling at its interval would have seen the end and had time to record it."""
    log = Log()
    end_shown_then_crash(log, first_poll_t=100.0)
    (v,) = log.check([STATE], end_t=1200.0)
    assert not v.environment


def test_a_job_end_lost_in_a_crash_and_purged_before_the_next_process_started_is_the_environments() -> None:
    """The process crashes at t=86, before the purge at t=90; the next starts at t=120: nobody could ask again."""
    log = Log()
    crash, purge = end_shown_then_crash(log, crash_t=86.0)
    (v,) = log.check([STATE], end_t=1200.0)
    assert v.environment and {crash, purge} <= set(v.events)
    assert "no later process could learn it before the purge (between the crash and the purge no poll of it was sent)" \
        in v.explanation


def test_a_job_end_lost_in_a_crash_is_the_operators_if_the_next_process_had_time_to_ask() -> None:
    """The process crashes at t=86 and the next starts at t=87; AAP purges the job at t=130: 43 s of managed running
    time in which the new process never polled it."""
    log = Log()
    end_shown_then_crash(log, crash_t=86.0, restart_t=87.0, purge_t=130.0)
    (v,) = log.check([STATE], end_t=1200.0)
    assert not v.environment


def test_a_job_end_lost_in_a_crash_is_the_operators_if_the_next_process_asked_once_then_waited() -> None:
    """As above, but the new process polls at t=88 and, when that times out at t=98, does not ask again before the
    purge at t=130: 32 s of up, managed time left unused."""
    log = Log()
    end_shown_then_crash(log, crash_t=86.0, restart_t=87.0, purge_t=130.0, asked_after_restart=True)
    (v,) = log.check([STATE], end_t=1200.0)
    assert not v.environment


def delete_launch_answered_then_removed_by_the_playbook(log: Log, removed_t: float, actor: str) -> int:
    """vm-1, its base finalizer gone (§2.6 manual), is deprovisioned: delete job 9000's id reaches the operator at
    t=11.1, no status write of vm-1 goes through, and `actor`'s write removes vm-1 at `removed_t`."""
    log.stored(log.ci(), "create", t=0.0)
    log.stored(log.ci(deleted_at=10.0), "update", t=10.0)
    log.launch_requested(0, "delete", t=10.9)
    log.launched(9000, "delete", t=11.0)
    log.answered(0, 201, {"id": 9000, "status": "pending"}, t=11.1)
    removal = log.removed(log.ci(deleted_at=10.0, finalizers=()), t=removed_t, actor=actor)
    log.ended(9000, "successful", t=removed_t)
    return removal.seq


def test_a_delete_job_whose_playbook_removed_the_object_before_any_status_write_went_through_is_the_environments(
        ) -> None:
    log = Log()
    removal = delete_launch_answered_then_removed_by_the_playbook(log, 16.0, "playbook/9000")
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert v.environment and removal in v.events
    assert "before another actor's write removed the object (at t=16.00" in v.explanation


def test_a_delete_job_is_the_operators_when_the_operator_removed_the_object_itself() -> None:
    log = Log()
    delete_launch_answered_then_removed_by_the_playbook(log, 16.0, "operator")
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert not v.environment


def test_a_delete_job_is_the_operators_when_it_had_a_poll_interval_to_record_it_before_the_playbook_ended() -> None:
    log = Log()
    delete_launch_answered_then_removed_by_the_playbook(log, 50.0, "playbook/9000")
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert not v.environment


def test_a_delete_launch_cut_by_a_crash_then_removed_by_its_playbook_is_the_environments() -> None:
    log = Log()
    log.stored(log.ci(), "create", t=0.0)
    log.stored(log.ci(deleted_at=10.0), "update", t=10.0)
    log.launch_requested(0, "delete", t=10.9)
    log.launched(9000, "delete", t=11.0)
    log.manager_crashed(t=13.0)
    log.removed(log.ci(deleted_at=10.0, finalizers=()), t=18.5, actor="playbook/9000")
    log.ended(9000, "successful", t=18.5)
    log.manager_started(t=26.0)
    (v,) = log.check([RECORDED], end_t=1200.0)
    assert v.environment and "another actor's write removed the object at t=18.50" in v.explanation

"""Whether AAP destroyed what any controller needed to know of a job launched through the API: its id.

A controller learns a job's id from an answer naming it: the launch answer, a poll, a job-list lookup.
That knowledge lives in process memory until a status write records it. It is lost when the launch
answer is lost (the request timed out, or was answered with an error after AAP had launched the job), or
when the process holding it crashes before any status write of the instance went through (every write it
tried failed: it had no chance to record it; a process that did write the status without the id chose not
to record it). After the loss the id can still be learned again from AAP's
job list — until AAP purges the job (or the object it belongs to is gone).

So a job is *unlearnable* when its id was lost and, before it could be learned again, the job was purged
(or its object removed before the lost answer was due); and the operator is not to blame for not
re-learning it in between: it asked AAP and every answer was lost, or its process ran for less than a poll
interval in that time. An operator that simply never asked (the reference never looks jobs up) could have.
Used by `jobs-recorded` (the job is never recorded) and `one-deprovision` (a delete launch whose job could
not be found is sent again after its bound, or the deletion would never complete).
"""

from __future__ import annotations

from sim.checks.common import at
from sim.checks.quiescence import Quiescence
from sim.checks.tracking import AapAnswers, BackendJob, StatusWrites

__all__ = ["unlearnable"]


def unlearnable(answers: AapAnswers, quiet: Quiescence, writes: StatusWrites, job: BackendJob, t: float,
                removed: tuple[float, int] | None = None) -> tuple[str, list[int]] | None:
    """Why no controller could have learned `job`'s id by `t`, and the events that show it; None if one could.

    `removed` is the (time, seq) of the removal of the object the job belongs to, if it was removed.
    """
    if job.launched_by != "api":
        return None
    named = [n for n in answers.named_all.get(job.job_id, ()) if n <= t]
    if named:  # the operator learned the id: lost only if its process crashed before any status write went through
        crash = quiet.crash_after(named[-1])
        if crash is None or crash[0] > t or writes.any_between(job.key, named[-1], crash[0]):
            return None
        lost_t, lost_seq = crash
        how = (f"reached an operator process that crashed at {at(lost_t)}, {lost_t - named[-1]:.2f} s after it last "
               "learned the id, before any status write of the instance went through")
    else:
        lost = answers.lost.get(job.job_id)
        if lost is None:
            return None
        lost_seq, lost_t, answer = lost
        how = f"{answer} (at {at(lost_t)}), so its id never reached the operator"
    ends: list[tuple[float, int, str]] = []
    if job.purged_t is not None and job.purged_seq is not None and job.purged_t <= t:
        ends.append((job.purged_t, job.purged_seq, f"AAP purged the job at {at(job.purged_t)}"))
    if removed is not None and removed[0] <= min(t, lost_t):
        ends.append((removed[0], removed[1], f"the object was removed at {at(removed[0])}, before the answer was due"))
    if not ends:
        return None
    deadline_t, deadline_seq, what = min(ends)
    if deadline_t >= lost_t:  # the id could be learned again between the loss and the purge
        lookups = [lk for lk in answers.lookups if lk.answered_t >= job.launch_t and lost_t <= lk.sent_t <= deadline_t]
        if any(answers.could_find(lk, job) for lk in lookups):
            return None
        asked = any(lost_t <= r.t <= deadline_t for r in answers.list_requests)
        if not (asked or quiet.up_time(lost_t, deadline_t) < quiet.poll_interval_s):
            return None
    fault = answers.launch[job.job_id].fault_seq if job.job_id in answers.launch else None
    why = (f"No controller could have recorded it: AAP launched the job, but the answer to the launch request {how}, "
           f"and {what}, before a successful job-list lookup could list it again (between the launch and then "
           f"{answers.lookups_between(job.launch_t, deadline_t)}).")
    return why, [lost_seq, deadline_seq, *([fault] if fault is not None else [])]

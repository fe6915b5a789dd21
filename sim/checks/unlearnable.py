"""Whether AAP destroyed what any controller needed to know of a job: that it exists (its id, or EDA's acceptance).

A controller learns of a job from an answer: of an API launch, the launch answer naming its id; of an EDA
launch, the 2xx answer to the webhook POST whose delivery launched it (EDA names no job; the operator records
an `eda-webhook-N` entry); of any job, a poll or a job-list lookup naming it (since F14 a controller may read
AAP's job list in EDA mode too). That knowledge lives in process memory until a status write records it. It
is lost when the answer is lost (the request timed out, was answered with an error after AAP or EDA had acted,
or was cut by an operator crash), or when the process holding it crashes before any status write of the
instance went through (every write it tried failed: it had no chance to record it; a process that did write
the status without it chose not to record it). After the loss the job can still be learned again from AAP's
job list — until AAP purges the job (or the object it belongs to is gone).

So a job is *unlearnable* when its existence was lost and, before it could be learned again, the job was
purged (or its object removed before the lost answer was due); and the operator is not to blame for not
re-learning it in between: it never went a poll interval of running time without asking AAP with a request
that could list the job, every answer being lost (`Knowledge.no_chance`), while the user let it act on the
instance (time the instance spent `manual` or `unmanaged` is no chance: §2.6 keeps the operator's hands off). An
operator that simply never asked (the reference never looks jobs up) could have. Used by `jobs-recorded` (the job is
never recorded, or EDA's jobs outnumber the EDA entries) and `one-deprovision` (a delete launch whose job
could not be found is sent again after its bound, or the deletion would never complete).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.checks.answers import AapAnswers, EdaAnswers
from sim.checks.common import Routed, at
from sim.checks.quiescence import Quiescence
from sim.checks.tracking import BackendJob, HandsOffSpans, StatusWrites

__all__ = ["REACTION_S", "Knowledge", "unlearnable"]

REACTION_S = 1.0  # how long a controller may take, after an answer, to send its next request (see `unasked_s`)


@dataclass(frozen=True, slots=True)
class Knowledge:
    """What a checker follows to judge whether the operator could learn of a job: the answers it got, its process
    outages and poll interval, its status writes, and when the user kept its hands off an instance."""

    answers: AapAnswers
    eda: EdaAnswers
    quiet: Quiescence
    writes: StatusWrites
    hands_off: HandsOffSpans

    @classmethod
    def new(cls) -> Knowledge:
        return cls(AapAnswers(), EdaAnswers(), Quiescence(), StatusWrites(), HandsOffSpans())

    @property
    def trackers(self) -> tuple[Routed, ...]:
        """What a checker must `follow` (before its own handlers) to keep this up to date."""
        return (self.answers, self.eda, self.quiet, self.writes, self.hands_off)

    def unasked_s(self, job: BackendJob, start_t: float, end_t: float, payload: str | None = None) -> float:
        """The longest stretch of up, managed time between two times in which the operator was not asking AAP about
        `job`: the window is split at its requests about the job (`AapAnswers.asked`: each runs from when it was
        sent until its answer came back or was lost), and each gap left — from the window's start or an answer,
        to the next request or the window's end — is measured without operator outages and the time the user kept
        its hands off the instance (`Quiescence.up_time`). A gap that begins at an answer is `REACTION_S` shorter:
        a controller that asks again one poll interval after a lost answer (`RequeueAfter`) needs a moment to
        handle the answer and send the next request, and has left no poll interval unused."""
        off = self.hands_off.of(job.key)
        longest, since_t, react_s = 0.0, start_t, 0.0  # `since_t`: when the operator last stopped asking
        for sent_t, over_t in self.answers.asked(job, payload):
            if over_t < start_t or sent_t > end_t:
                continue
            if sent_t > since_t:
                longest = max(longest, self.quiet.up_time(since_t, sent_t, off) - react_s)
            if over_t > since_t:
                since_t, react_s = over_t, REACTION_S
        if since_t < end_t:
            longest = max(longest, self.quiet.up_time(since_t, end_t, off) - react_s)
        return longest

    def no_chance(self, job: BackendJob, start_t: float, end_t: float, payload: str | None = None) -> bool:
        """Whether the operator never had a poll interval of up, managed time between two times in which it was not
        asking AAP about `job` (`unasked_s`): it asked again and again in vain, or could not ask at all. An operator
        that asked once, then let a poll interval pass without asking again, had its chance."""
        return self.unasked_s(job, start_t, end_t, payload) < self.quiet.poll_interval_s


def unlearnable(known: Knowledge, job: BackendJob, t: float, removed: tuple[float, int] | None = None, *,
                removed_by_operator: bool = False) -> tuple[str, list[int]] | None:
    """Why no controller could have learned of `job` by `t`, and the events that show it; None if one could.

    `removed` is the (time, seq) of the removal of the object the job belongs to, if it was removed;
    `removed_by_operator` whether the operator's own write removed it (its last finalizer).
    """
    answers, quiet = known.answers, known.quiet
    delivery = job.eda_delivery
    if job.launched_by == "api":
        learned = answers.named_all.get(job.job_id, [])
        loss = answers.lost.get(job.job_id)
        answer, payload = "the answer to the launch request", None
        never, learned_what = "its id never reached the operator", "the id"
    elif delivery is not None:
        reached = known.eda.reached_t.get(delivery)
        learned = sorted([*answers.named_all.get(job.job_id, []), *([reached] if reached is not None else [])])
        loss = known.eda.lost.get(delivery)
        answer, payload = f"the answer to the webhook POST that EDA accepted as delivery {delivery}", \
            known.eda.payload.get(delivery)
        never, learned_what = "the operator never learned that EDA had accepted it", "of the job"
    else:
        return None
    named = [n for n in learned if n <= t]
    if named:  # the operator learned of the job: lost only if no status write went through before a crash or removal
        crash = quiet.crash_after(named[-1])
        gone = _removed_by_another(known, job, named[-1], t, removed, removed_by_operator)
        if crash is not None and crash[0] <= t and (gone is None or crash[0] < gone[0]) and \
                not known.writes.any_between(job.key, named[-1], crash[0]):
            lost_t, lost_seq = crash
            how = (f"reached an operator process that crashed at {at(lost_t)}, {lost_t - named[-1]:.2f} s after it "
                   f"last learned {learned_what}, before any status write of the instance went through")
        elif gone is not None:
            lost_t, lost_seq = gone
            how = (f"reached the operator {lost_t - named[-1]:.2f} s before another actor's write removed the object "
                   f"(at {at(lost_t)}, less than a poll interval of running, managed time later), and no status write "
                   "of the instance went through in between")
        else:
            return None
    else:
        if loss is None:
            return None
        lost_seq, lost_t, why = loss
        how = f"{why} (at {at(lost_t)}), so {never}"
    ends: list[tuple[float, int, str]] = []
    if job.purged_t is not None and job.purged_seq is not None and job.purged_t <= t:
        ends.append((job.purged_t, job.purged_seq, f"AAP purged the job at {at(job.purged_t)}"))
    if removed is not None and removed[0] <= min(t, lost_t):
        ends.append((removed[0], removed[1], f"the object was removed at {at(removed[0])}, before the answer was due"))
    elif removed is not None and removed[0] <= t and not removed_by_operator:  # nothing can be recorded after it
        ends.append((removed[0], removed[1], f"another actor's write removed the object at {at(removed[0])}"))
    if not ends:
        return None
    deadline_t, deadline_seq, what = min(ends)
    hands_off = known.hands_off.of(job.key)
    if deadline_t >= lost_t:  # the job could be learned of again between the loss and the purge
        if any(r.outcome == "HTTP 200" and r.over_t >= job.launch_t and lost_t <= r.t <= deadline_t
               and answers.could_list(r.query, job, payload) for r in answers.list_requests):  # a lookup answered
            return None
        if not known.no_chance(job, lost_t, deadline_t, payload):
            return None
    fault = answers.launch[job.job_id].fault_seq if job.job_id in answers.launch else None
    kept_off = _hands_off_text(hands_off, lost_t, deadline_t)
    launched = "AAP launched the job" if job.launched_by == "api" else "EDA's rule launched the job"
    why = (f"No controller could have recorded it: {launched}, but {answer} {how}, and {what}, before a successful "
           f"job-list lookup could list it again (between the launch and then "
           f"{answers.lookups_between(job.launch_t, deadline_t)}{kept_off}).")
    return why, [lost_seq, deadline_seq, *([fault] if fault is not None else [])]


def _removed_by_another(known: Knowledge, job: BackendJob, learned_t: float, t: float,
                        removed: tuple[float, int] | None, by_operator: bool) -> tuple[float, int] | None:
    """The removal of `job`'s object, when it took away the operator's chance to record what it had learned at
    `learned_t`: another actor's write removed it (a playbook removing the last finalizer of a CR whose base
    finalizer was already gone, §2.6/§10.3) by `t`, no status write of the instance went through in between, and
    the operator had less than a poll interval of up, managed time to make one. An operator that removed the
    object itself, or let a poll interval pass, chose not to record it."""
    if removed is None or by_operator or not learned_t <= removed[0] <= t:
        return None
    if known.writes.any_between(job.key, learned_t, removed[0]):
        return None
    up_s = known.quiet.up_time(learned_t, removed[0], known.hands_off.of(job.key))
    return removed if up_s < known.quiet.poll_interval_s else None


def _hands_off_text(spans: list[tuple[float, float]], start_t: float, end_t: float) -> str:
    """`; after the loss the user left the instance manual or unmanaged for 53.01 s` when it did, else ""."""
    kept = sum(max(0.0, min(end_t, b) - max(start_t, a)) for a, b in spans)
    return f"; after the loss the user left the instance manual or unmanaged for {kept:.2f} s" if kept > 0 else ""

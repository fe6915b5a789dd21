"""What the operator recorded of the jobs AAP ran: every job is recorded, and every recorded job's ending shows.

Matching rule of `jobs-recorded`. A job launched through the AAP API (`launched_by == "api"`) is matched
by id: it is recorded when some persisted version of its instance's status.jobs[] — in the lifetime the
job is counted against — holds an entry whose jobID is the job's decimal id and whose type fits its
playbook (create → provision, delete → deprovision). A job launched by EDA cannot be matched by id: the
operator invents `eda-webhook-N` and never learns the AAP id. So EDA-launched jobs are counted per
lifetime and type: the number of jobs EDA launched for the instance must not exceed the number of
distinct EDA entries of that type ever persisted, an entry being identified by (jobID, timestamp) so a
reused `eda-webhook-N` (after history trimming) still counts as a new entry. An EDA-launched job recorded
by its decimal AAP id (a controller that looked it up in AAP may do so) is recorded, and uses up no EDA
entry. A webhook the operator recorded but EDA lost leaves the count in the operator's favour; that
stall is provisioning-converges' business. A job is counted against the live object its payload names,
else the one most recently removed under that name; jobs naming an instance that never existed are ignored.

Judged when the object is removed (everything launched so far), again at the end for jobs launched
after the removal, and at the end for live objects once the world was quiet long enough (see
`sim.checks.quiescence`) and not left `manual` or `unmanaged` (the operator keeps its hands off, §2.6).
A job whose launch answer was lost (an API launch answer naming its id, or the answer to the webhook POST
whose delivery launched it), and that AAP purged (or whose object was removed) before any answer naming
it or any successful job-list lookup that could list it reached the operator, could not be recorded by
any controller (`sim.checks.unlearnable`): an API job is reported apart and marked as the environment's
(`sim.checks.attribution`); EDA jobs that outnumber the EDA entries are the environment's when, without
those, they would not. Reports are written at the end, when that is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.jobs import PLAYBOOK_TYPE, TYPE_PLAYBOOK, JobState, JobType, find_job_by_id, is_eda_job_id, map_aap_status
from models.objects import ComputeInstance
from sim.backends.aap import AapJobLaunched
from sim.checks.base import register_checker
from sim.checks.common import EventChecker, at, entries_text, entry_text, id_list
from sim.checks.tracking import AapLedger, BackendJob, Instances, Lifetime, Polls
from sim.checks.unlearnable import Knowledge, unlearnable
from sim.kube.events import ObjectRemoved, ObjectStored
from sim.kube.manager import OPERATOR

EDA_POLL_MESSAGE = "EDA provider does not support status polling"  # what the EDA provider writes on every poll


@dataclass
class _Recorded:
    """What one lifetime's persisted versions ever held, and which of its jobs were already judged."""

    ids: dict[tuple[str, JobType], int] = field(default_factory=dict)  # (jobID, type) -> first seq holding it
    eda: dict[JobType, dict[tuple[str, float], int]] = field(
        default_factory=lambda: {JobType.PROVISION: {}, JobType.DEPROVISION: {}})
    jobs: list[BackendJob] = field(default_factory=list)  # AAP jobs counted against this lifetime
    judged: set[int] = field(default_factory=set)  # ids of API-launched jobs already judged
    eda_reported: dict[JobType, int] = field(default_factory=lambda: {JobType.PROVISION: 0, JobType.DEPROVISION: 0})

    def fold(self, obj: ComputeInstance, seq: int) -> None:
        for j in obj.status.jobs:
            self.ids.setdefault((j.job_id, j.type), seq)
            if is_eda_job_id(j.job_id):
                self.eda[j.type].setdefault((j.job_id, j.timestamp), seq)


class _RecordChecker(EventChecker):
    """Follows lifetimes, AAP jobs and the quiet time, and keeps one `_Recorded` per lifetime."""

    def __init__(self) -> None:
        super().__init__()
        self.instances = Instances()
        self.ledger = AapLedger()
        self.polls = Polls()
        self.known = Knowledge.new()
        self.quiet, self.answers = self.known.quiet, self.known.answers
        self.records: dict[tuple[str, str, int], _Recorded] = {}
        self.follow(self.ledger, self.polls, *self.known.trackers)
        self.route(ObjectStored, self._stored)
        self.route(ObjectRemoved, self._removed)
        self.route(AapJobLaunched, self._launched)

    def record_of(self, life: Lifetime) -> _Recorded:
        key = life.id
        rec = self.records.get(key)
        if rec is None:
            rec = self.records[key] = _Recorded()
        return rec

    def _stored(self, e: ObjectStored) -> None:
        change = self.instances.stored(e)
        if change is not None:
            self.record_of(change[0]).fold(change[0].obj, e.seq)

    def _removed(self, e: ObjectRemoved) -> None:
        life = self.instances.removed(e)
        if life is not None:
            self.record_of(life).fold(life.obj, e.seq)
            self.on_removed(life)

    def _launched(self, e: AapJobLaunched) -> None:
        job = self.ledger.jobs[e.job_id]
        life = self.instances.current(job.key)
        if life is not None:
            self.record_of(life).jobs.append(job)

    def on_removed(self, life: Lifetime) -> None:
        """Called after a removal was folded."""


@dataclass(frozen=True, slots=True)
class _EdaCount:
    """EDA jobs of one type found to outnumber a lifetime's EDA entries when it was judged: reported at the end."""

    life: Lifetime
    t: float
    when: str
    job_type: JobType
    launched: list[BackendJob]  # every EDA job of the type counted against the lifetime
    counted: list[BackendJob]  # those not recorded by their AAP id
    recorded: tuple[tuple[str, float], ...]  # the EDA entries (jobID, timestamp) ever persisted


@register_checker
class JobsRecorded(_RecordChecker):
    """§17 item 2: a job the operator does not know of is neither polled, nor cancelled, nor waited for."""

    property_id = "jobs-recorded"
    description = "Every job launched in AAP for an instance (directly or via EDA) is recorded in its status.jobs[]."
    kind = "liveness"

    def __init__(self) -> None:
        super().__init__()
        self._unrecorded_found: list[tuple[Lifetime, float, str, JobType, list[BackendJob]]] = []
        self._eda_found: list[_EdaCount] = []

    def on_removed(self, life: Lifetime) -> None:
        assert life.removed_t is not None, "a removed lifetime has a removal time"
        self._judge(life, life.removed_t, f"by its removal at {at(life.removed_t)}", None)

    def finish(self, end_t: float) -> None:
        for life in self.instances.all:
            if life.live:
                if life.hands_off:
                    continue  # the user told the operator to keep its hands off (§2.6)
                when = f"by the end of the run at {at(end_t)} ({self.quiet.since()})"
                self._judge(life, end_t, when, end_t)
            else:
                when = f"(these jobs were launched after the object was removed at {at(life.removed_t or 0.0)})"
                self._judge(life, end_t, when, None)
        # Reported only now, judged when they were: whether AAP let anyone learn of a job shows after the judgement
        # (a launch answer lost after the removal, a purge after it).
        for life, t, when, job_type, jobs in self._unrecorded_found:
            self._unrecorded(life, t, when, job_type, jobs)
        for found in self._eda_found:
            self._outnumbered(found)

    def _judge(self, life: Lifetime, t: float, when: str, end_t: float | None) -> None:
        rec = self.record_of(life)
        ready = [j for j in rec.jobs if end_t is None or self.quiet.judged(life.key, end_t, j.launch_t)]
        missing: dict[JobType, list[BackendJob]] = {JobType.PROVISION: [], JobType.DEPROVISION: []}
        for job in ready:
            if job.launched_by != "api" or job.job_id in rec.judged:
                continue
            rec.judged.add(job.job_id)
            if (str(job.job_id), PLAYBOOK_TYPE[job.playbook]) not in rec.ids:
                missing[PLAYBOOK_TYPE[job.playbook]].append(job)
        for job_type, jobs in missing.items():
            if jobs:
                self._unrecorded_found.append((life, t, when, job_type, jobs))
        for job_type in (JobType.PROVISION, JobType.DEPROVISION):
            self._count_eda(life, t, when, job_type, [j for j in ready if j.launched_by == "eda"])

    def _count_eda(self, life: Lifetime, t: float, when: str, job_type: JobType, eda_jobs: list[BackendJob]) -> None:
        """EDA jobs recorded by their AAP id are recorded; the others must not outnumber the EDA entries (judged now,
        reported at the end, like the API jobs)."""
        rec = self.record_of(life)
        playbook = TYPE_PLAYBOOK[job_type]
        launched = [j for j in eda_jobs if j.playbook == playbook]
        counted = [j for j in launched if (str(j.job_id), job_type) not in rec.ids]
        excess = len(counted) - len(rec.eda[job_type])
        if excess > rec.eda_reported[job_type]:
            rec.eda_reported[job_type] = excess
            self._eda_found.append(_EdaCount(life, t, when, job_type, launched, counted, tuple(rec.eda[job_type])))

    def _outnumbered(self, found: _EdaCount) -> None:
        """Report EDA jobs that outnumber the EDA entries; as the environment's when those a controller could have
        learned of do not (the others' webhook answers were lost and AAP purged them: `sim.checks.unlearnable`)."""
        life, counted, recorded = found.life, found.counted, found.recorded
        unknowable = {j.job_id: u for j in counted if (u := self._unlearnable(life, j, found.t)) is not None}
        playbook = TYPE_PLAYBOOK[found.job_type]
        counted_ids = {j.job_id for j in counted}
        by_id = [j for j in found.launched if j.job_id not in counted_ids]
        names = id_list(i for (i, _) in recorded) or "none"
        entries = "entry" if len(recorded) == 1 else "entries"
        deliveries = id_list(sorted({j.eda_delivery for j in counted if j.eda_delivery is not None}))
        beside = f", beside {id_list(j.job_id for j in by_id)} recorded by AAP id," if by_id else ""
        text = (
            f"EDA launched {len(found.launched)} {playbook}-playbook job(s) for {life.subject} (AAP jobs "
            f"{id_list(j.job_id for j in found.launched)}, from webhook deliveries {deliveries or 'unknown'}) but"
            f"{beside} status.jobs[] held only {len(recorded)} EDA {found.job_type.value} {entries} ({names}) "
            f"{found.when}: {len(counted) - len(recorded)} job(s) run unknown to the operator, which cannot poll EDA "
            "jobs and only counts its own webhooks. The webhook was accepted more often than the operator recorded it "
            "(a duplicated delivery, or a trigger that timed out after EDA had accepted it and was sent again).")
        events = [s for j in self._evidence(counted) for s in j.decisive()[:2]] + [life.seq]
        if not unknowable:
            self.violate(found.t, life.subject, text, events)
            return
        reasons = " ".join(f"Job {job_id}: {reason}" for job_id, (reason, _) in sorted(unknowable.items()))
        if len(counted) - len(unknowable) > len(recorded):
            self.violate(found.t, life.subject, f"{text} Even without the {len(unknowable)} job(s) no controller "
                         f"could have known of, the jobs outnumber the entries. {reasons}", events)
            return
        causes = sorted({seq for _, seqs in unknowable.values() for seq in seqs})
        shown = [s for job_id in sorted(unknowable) for s in self.ledger.jobs[job_id].decisive()[:2]]
        self.violate(found.t, life.subject, f"{text} Only the job(s) no controller could have known of are missing. "
                     f"{reasons}", [*events, *shown], environment_causes=causes)

    @staticmethod
    def _evidence(jobs: list[BackendJob]) -> list[BackendJob]:
        """The last three jobs, and any job a duplicated delivery launched (its firing is the cause to name)."""
        return [j for i, j in enumerate(jobs) if i >= len(jobs) - 3 or j.eda_copy > 1]

    def _unrecorded(self, life: Lifetime, t: float, when: str, job_type: JobType, jobs: list[BackendJob]) -> None:
        """Report the jobs the operator could have learned of, and apart those AAP let no controller learn of."""
        unknowable = {j.job_id: found for j in jobs if (found := self._unlearnable(life, j, t)) is not None}
        known = [j for j in jobs if j.job_id not in unknowable]
        if known:
            self.violate(t, life.subject, self._unrecorded_text(life, when, job_type, known),
                         [*(s for j in known[-3:] for s in j.decisive()[:2]), life.seq])
        for job in jobs:
            if job.job_id in unknowable:
                reason, causes = unknowable[job.job_id]
                text = f"{self._unrecorded_text(life, when, job_type, [job])} {reason}"
                self.violate(t, life.subject, text, [*job.decisive()[:2], life.seq], environment_causes=causes)

    def _unrecorded_text(self, life: Lifetime, when: str, job_type: JobType, jobs: list[BackendJob]) -> str:
        ids = [str(j.job_id) for j in jobs]
        mistyped = [i for i in ids for (r, rt) in self.record_of(life).ids if r == i and rt is not job_type]
        note = f" (recorded with the other type: {id_list(mistyped)})" if mistyped else ""
        one = len(jobs) == 1
        return (
            f"{'; '.join(j.describe() for j in jobs)} — but status.jobs[] of {life.subject} never held a "
            f"{job_type.value} entry with id {id_list(ids)}{note} {when}: the operator does not know "
            f"{'this job exists' if one else 'these jobs exist'}, so it neither polls nor cancels "
            f"{'it' if one else 'them'} and does not wait for {'it' if one else 'them'} before deprovisioning. "
            f"status.jobs[] holds {entries_text(life.obj.status.jobs, job_type)}.")

    def _unlearnable(self, life: Lifetime, job: BackendJob, t: float) -> tuple[str, list[int]] | None:
        """Why no controller could have learned of a job judged at `t` (`sim.checks.unlearnable`)."""
        removed = (life.removed_t, life.removed_seq) if life.removed_t is not None and life.removed_seq is not None \
            else None
        return unlearnable(self.known, job, t, removed, removed_by_operator=life.removed_by == OPERATOR)


@register_checker
class JobStateRecorded(_RecordChecker):
    """Liveness: once an AAP job has ended and its instance still exists, its entry eventually shows the ending.

    Judged at the end for jobs launched through the AAP API whose id some persisted version recorded (a
    job never recorded is jobs-recorded's finding), while their instance still exists, once the world was
    quiet long enough after the job ended. The entry "shows the ending" when its state is the AAP
    ending mapped as the operator maps it (successful → Succeeded, failed/error → Failed, canceled →
    Canceled), in the last persisted version; an entry trimmed from the history counts if it showed the
    ending before. A job purged before the operator saw its ending stays pending forever and is reported;
    if no answer of AAP ever showed its end (no successful poll, no job list listing it ended, before the
    purge), no controller could have known it, and the violation is marked as the environment's; so it is when
    every answer that showed the end reached a process that crashed before any status write of the instance went
    through, and the purge came before a later process could ask (`_end_lost_in_crash`). Instances
    left `manual` or `unmanaged` at the end are not judged (the operator keeps its hands off, §2.6).
    EDA-launched jobs are not judged: the EDA provider cannot see a job's end by design (§10.3).
    """

    property_id = "job-state-recorded"
    description = "Once a recorded AAP job has ended and its instance exists, its status.jobs[] entry shows the ending."
    kind = "liveness"

    def __init__(self) -> None:
        super().__init__()
        self._shown: dict[tuple[str, str, int], dict[int, float]] = {}  # lifetime -> id -> when it showed the end
        self.route(ObjectStored, self._seen)

    def _seen(self, e: ObjectStored) -> None:
        life = self.instances.live.get((e.namespace, e.name))
        if life is None or life.seq != e.seq:
            return  # another kind, or not a ComputeInstance version
        shown = None
        for entry in life.obj.status.jobs:
            if not entry.state.is_terminal or not entry.job_id.isdigit():
                continue
            job = self.ledger.jobs.get(int(entry.job_id))
            if job is not None and job.ended and entry.state == map_aap_status(job.final_status):
                if shown is None:
                    shown = self._shown.setdefault(life.id, {})
                shown.setdefault(job.job_id, e.t)

    def finish(self, end_t: float) -> None:
        for life in self.instances.all:
            if life.live and not life.hands_off:  # hands off: the user said so (§2.6)
                self._judge(life, end_t)

    def _judge(self, life: Lifetime, end_t: float) -> None:
        rec = self.record_of(life)
        shown = self._shown.get(life.id, {})
        for job in sorted(self.ledger.by_instance.get(life.key, ()), key=lambda j: j.job_id):
            if job.launched_by != "api" or not job.ended or (str(job.job_id), PLAYBOOK_TYPE[job.playbook]) \
                    not in rec.ids or not self.quiet.judged(life.key, end_t, job.end_t):
                continue
            expected = map_aap_status(job.final_status)
            entry = find_job_by_id(life.obj.status.jobs, str(job.job_id))
            if (entry is not None and entry.state == expected) or (entry is None and job.job_id in shown):
                continue
            self._report(life, job, expected, end_t, shown.get(job.job_id))

    def _end_unlearnable(self, job: BackendJob) -> bool:
        """A purged job's end that no answer showed was the environment's doing, not a controller's neglect, when
        between its end and its purge the operator never went a poll interval of up, managed time without asking AAP
        about it (a poll of its id, or a job-list lookup that could list it, whose answer was lost: a timeout, a 5xx;
        `Knowledge.no_chance`) while the user let it act on the instance (it was down, the instance was left `manual` or
        `unmanaged` — §2.6 forbids polling then —, or the purge came sooner than a controller polling at that
        interval could be expected to look). An operator that simply did not ask (the EDA provider never polls,
        §12.1) could have learned it."""
        return self.known.no_chance(job, job.end_t or 0.0, job.purged_t or 0.0)

    def _end_lost_in_crash(self, job: BackendJob) -> tuple[str, list[int]] | None:
        """Why a purged job's end that answers did show could still not be recorded by any controller, and the
        crashes that show it; None if one could have recorded it.

        The job-end twin of `sim.checks.unlearnable`'s "learned, then crashed before any status write": every
        answer that showed the end before the purge reached a process that crashed before any status write of the
        instance went through (every write it tried failed: it had no chance; one that wrote the status without the
        end chose not to record it); before the first such answer the operator asked in vain or had no poll
        interval of managed running time; and after the last crash AAP purged the job before a later process could
        learn it (the same test). An operator that left a poll interval unused could have recorded it."""
        purge_t = job.purged_t
        shows = [s for s in self.answers.end_shows.get(job.job_id, []) if purge_t is not None and s[1] <= purge_t]
        if purge_t is None or job.end_t is None or not shows:
            return None
        crashes: list[tuple[float, int]] = []
        for _, shown_t in shows:
            crash = self.quiet.crash_after(shown_t)
            if crash is None or self.known.writes.any_between(job.key, shown_t, crash[0]):
                return None
            crashes.append(crash)
        if not self.known.no_chance(job, job.end_t, shows[0][0]):
            return None  # the operator could have seen the end sooner, in a process that lived to record it
        last_t = crashes[-1][0]
        if last_t < purge_t and not self.known.no_chance(job, last_t, purge_t):
            return None
        first = self.answers.polls_between(job.job_id, job.end_t, shows[0][0], end_included=False)
        if len(shows) == 1:
            shown = (f"an answer showed it {job.final_status} at {at(shows[0][1])} to an operator process that "
                     f"crashed at {at(crashes[0][0])}")
        else:
            shown = (f"answers showed it {job.final_status} at {', '.join(at(t) for _, t in shows)} to operator "
                     f"processes that each crashed (at {', '.join(at(t) for t, _ in sorted(set(crashes)))})")
        after = ("the purge came while that process still held it" if last_t >= purge_t else
                 f"no later process could learn it before the purge (between the crash and the purge "
                 f"{self.answers.polls_between(job.job_id, last_t, purge_t)})")
        why = (f"{shown} before any status write of the instance went through (between the end and that answer "
               f"{first}), and {after}; since then AAP answers 404 for it, so no controller could have learned how "
               "it ended")
        return why, sorted({seq for _, seq in crashes})

    def _report(self, life: Lifetime, job: BackendJob, expected: JobState, end_t: float,
                shown_t: float | None) -> None:
        entry = find_job_by_id(life.obj.status.jobs, str(job.job_id))
        if entry is None:
            now = f"its entry left status.jobs[] before it ever showed {expected.value}"
        else:
            now = f"its entry still reads {entry_text(entry)}"
        unseen = job.purged_seq is not None and job.job_id not in self.answers.end_shows
        unlearnable = unseen and shown_t is None and self._end_unlearnable(job)
        lost = self._end_lost_in_crash(job) if job.purged_seq is not None and not unseen and shown_t is None \
            else None
        if shown_t is not None:
            why = (f"the entry did show {expected.value} at {at(shown_t)}, and a later status write replaced it "
                   "with a state that is not the job's ending")
        elif unseen:
            polls = self.answers.polls_between(job.job_id, job.end_t or 0.0, job.purged_t or 0.0)
            why = (f"AAP purged the job at {at(job.purged_t or 0.0)} before any answer showed its end (between the "
                   f"end and the purge {polls}, and no job-list answer listed it ended); since then AAP answers 404 "
                   "for it, so " + ("no controller could have learned how it ended" if unlearnable else
                                   "the operator, which could have asked before the purge, never learned how it ended"))
        elif lost is not None:
            why = f"AAP purged the job at {at(job.purged_t or 0.0)} before the operator recorded its end: {lost[0]}"
        elif job.purged_seq is not None:
            first_shown_t = self.answers.end_shows[job.job_id][0][1]
            why = (f"AAP purged the job at {at(job.purged_t or 0.0)} before the operator recorded its end, although "
                   f"an answer had shown it {job.final_status} at {at(first_shown_t)}; since then every poll is "
                   "answered 404")
            if entry is not None and entry.state.is_terminal:
                why += f", and the operator settled the entry as {entry.state.value} without knowing the ending"
            else:
                why += (" and the operator only writes \"Failed to get job status\" into the message, so the entry "
                        "stays pending forever")
        elif self.polls.last_t.get(str(job.job_id), -1.0) < (job.end_t or 0.0):
            why = "the operator has not polled the job since it ended"
            if entry is not None and entry.message == EDA_POLL_MESSAGE:
                why += " (the EDA provider answers Unknown for every job id without asking AAP, §12.1)"
        else:
            why = "the operator polled the job after it ended but did not persist the ending"
        text = (f"{job.describe()}; {life.subject} still exists at {at(end_t)} ({self.quiet.since()}) but {now}: "
                f"{why}. The job was {self.polls.describe(str(job.job_id))}.")
        purge = job.purged_seq  # set whenever `unlearnable` or `lost` holds
        causes = None if purge is None else [purge] if unlearnable else [purge, *lost[1]] if lost is not None else None
        self.violate(end_t, life.subject, text, [*job.decisive(), life.seq], environment_causes=causes)

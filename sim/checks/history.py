"""§17 item 5: status.jobs[] loses entries only to MaxJobHistory trimming, and no persisted observation is undone.

Consecutive persisted versions of each ComputeInstance are compared. An entry is identified by
(jobID, type, timestamp) — the controller never changes those three once the entry exists (§8) — and
entries of the old list are matched to the new list in order. Entries may be updated in place and
appended at the end; old entries may disappear only as the trimming of `appendJob` removes them: the
oldest ones, in a version that appended at least one entry and holds exactly MaxJobHistory entries.
MaxJobHistory is read from the `ManagerStarted` event's config (`reconciler.max_job_history` or
`max_job_history`), else 10.

A persisted job state is superseded only by a newer observation of the same job, and AAP jobs only move
forward (pending → waiting → running → finished), so an entry's state must never fall back to an
earlier stage than one already persisted: stages are Pending < Waiting < Running < Succeeded | Failed |
Canceled; Unknown says nothing about the stage and is skipped. A fall-back means a newer observation was
overwritten by an older one (a status write built from a stale copy).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from models.jobs import JobRecord, JobState
from models.objects import ComputeInstance
from sim.checks.base import register_checker
from sim.checks.common import EventChecker, at, entry_text
from sim.checks.quiescence import Quiescence
from sim.checks.tracking import Instances, Lifetime
from sim.kube.events import ObjectRemoved, ObjectStored

STAGE: dict[JobState, int] = {JobState.PENDING: 1, JobState.WAITING: 2, JobState.RUNNING: 3,
                              JobState.SUCCEEDED: 4, JobState.FAILED: 4, JobState.CANCELED: 4}


@dataclass(frozen=True, slots=True)
class _Furthest:
    """The furthest stage an entry's persisted state has reached, with the state and the event that persisted it."""

    stage: int
    state: JobState
    seq: int
    t: float


def _identity(job: JobRecord) -> tuple[str, str, float]:
    return (job.job_id, job.type.value, job.timestamp)


def _furthest(job: JobRecord, seq: int, t: float, before: _Furthest | None = None) -> _Furthest | None:
    stage = STAGE.get(job.state)
    if stage is None or (before is not None and before.stage >= stage):
        return before
    return _Furthest(stage, job.state, seq, t)


def _match(old: list[JobRecord], new: list[JobRecord]) -> tuple[list[int | None], list[int]]:
    """Pair each new entry with an old one (None: appended); return the pairs and the old entries left over.

    Entries with the same identity are interchangeable (several failed triggers within one second), so the
    left-over ones are taken from the front, where trimming removes entries.
    """
    old_ids = [_identity(j) for j in old]
    new_ids = [_identity(j) for j in new]
    surplus = Counter(old_ids)
    surplus.subtract(new_ids)
    removed: list[int] = []
    for i, identity in enumerate(old_ids):
        if surplus[identity] > 0:
            surplus[identity] -= 1
            removed.append(i)
    gone = set(removed)
    slots: dict[tuple[str, str, float], list[int]] = {}
    for i, identity in enumerate(old_ids):
        if i not in gone:
            slots.setdefault(identity, []).append(i)
    matched: list[int | None] = []
    for identity in new_ids:
        free = slots.get(identity)
        matched.append(free.pop(0) if free else None)
    return matched, removed


@register_checker
class HistoryPreserved(EventChecker):
    """Compares each persisted status.jobs[] with the one before it in the same object's lifetime."""

    property_id = "history-preserved"
    description = ("status.jobs[] entries are removed only by MaxJobHistory trimming, and every persisted job "
                   "state stays until a newer observation of the same job supersedes it.")

    def __init__(self) -> None:
        super().__init__()
        self.instances = Instances()
        self.quiet = Quiescence()  # only for MaxJobHistory
        self._furthest: dict[tuple[str, str, int], list[_Furthest | None]] = {}  # aligned with the latest jobs
        self._prev_seq: dict[tuple[str, str, int], int] = {}
        self.follow(self.quiet)
        self.route(ObjectStored, self._stored)
        self.route(ObjectRemoved, self._removed)

    def _stored(self, e: ObjectStored) -> None:
        change = self.instances.stored(e)
        if change is not None:
            self._compare(change[0], change[1], e.seq, e.t)

    def _removed(self, e: ObjectRemoved) -> None:
        prev = self.instances.live.get((e.namespace, e.name))
        prev_obj = prev.obj if prev is not None else None
        life = self.instances.removed(e)
        if life is not None:
            self._compare(life, prev_obj, e.seq, e.t)

    def _compare(self, life: Lifetime, prev: ComputeInstance | None, seq: int, t: float) -> None:
        lkey = life.id
        new = life.obj.status.jobs
        if prev is None or lkey not in self._furthest:
            self._furthest[lkey] = [_furthest(j, seq, t) for j in new]
            self._prev_seq[lkey] = seq
            return
        old = prev.status.jobs
        if old == new:
            self._prev_seq[lkey] = seq
            return
        matched, removed = _match(old, new)
        prev_seq = self._prev_seq[lkey]
        if removed:
            self._check_removal(life, old, new, removed, matched, prev_seq, seq, t)
        furthest = self._furthest[lkey]
        updated: list[_Furthest | None] = []
        for j, at_old in zip(new, matched, strict=True):
            before = furthest[at_old] if at_old is not None and at_old < len(furthest) else None
            stage = STAGE.get(j.state)
            if before is not None and stage is not None and stage < before.stage:
                self.violate(t, life.subject, (
                    f"The recorded state of job {entry_text(j)} of {life.subject} fell back from "
                    f"{before.state.value} (persisted at {at(before.t)}) to {j.state.value} at {at(t)}: AAP jobs "
                    "only move forward, so an older observation overwrote a newer one, as a status write "
                    "built from a stale copy of the object does (§3 updateStatusWithRetry replaces the whole "
                    "status). Whatever the operator decides next from this entry rests on outdated facts."),
                    [before.seq, prev_seq, seq])
            updated.append(_furthest(j, seq, t, before))
        self._furthest[lkey] = updated
        self._prev_seq[lkey] = seq

    def _check_removal(self, life: Lifetime, old: list[JobRecord], new: list[JobRecord], removed: list[int],
                       matched: list[int | None], prev_seq: int, seq: int, t: float) -> None:
        limit = self.quiet.max_job_history
        appended = sum(1 for i in matched if i is None)
        if removed == list(range(len(removed))) and appended and len(new) == limit:
            return  # appendJob trimmed the oldest entries (§8)
        lost = "; ".join(entry_text(old[i]) for i in removed[:4]) + ("; ..." if len(removed) > 4 else "")
        self.violate(t, life.subject, (
            f"status.jobs[] of {life.subject} lost {len(removed)} entr{'y' if len(removed) == 1 else 'ies'} at "
            f"{at(t)}: {lost}. The version before held {len(old)} entries, the new one {len(new)} with {appended} "
            f"appended, and MaxJobHistory is {limit}: entries leave the history only when an append pushes the "
            "list past MaxJobHistory, and then only the oldest. A job whose entry is lost is no longer polled, "
            "cancelled or waited for; a status write built from a stale copy of the object loses entries this "
            "way (§3 updateStatusWithRetry replaces the whole status)."),
            [prev_seq, seq])

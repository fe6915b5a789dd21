"""The monitor machines: each recorded job state and each instance phase may change only along a declared edge.

`legal-job-transition` feeds JOB_RECORD with the state of every status.jobs[] entry across persisted
versions, keyed by (instance lifetime, jobID, type) and read from the first entry with that key, as the
operator's own `findJobByID` reads it. An entry that leaves the history keeps its last state; one that
comes back with another timestamp is a new job (an EDA id reused after trimming) and starts from `none`.
`legal-phase-transition` feeds INSTANCE_PHASE with every persisted phase ("" is `none`) and `Gone` at
removal. Unchanged values are not transitions.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.jobs import JobType
from models.machines import INSTANCE_PHASE, JOB_RECORD, NONE_STATE, compiled
from sim.checks.base import register_checker
from sim.checks.common import EventChecker, at, entries_text
from sim.checks.tracking import Instances, Lifetime
from sim.kube.events import ObjectRemoved, ObjectStored

JOB_MACHINE = compiled(JOB_RECORD)
PHASE_MACHINE = compiled(INSTANCE_PHASE)


@dataclass(slots=True)
class _Recorded:
    """The last persisted state of one job entry."""

    state: str
    timestamp: float
    seq: int
    t: float


@register_checker
class LegalJobTransition(EventChecker):
    """A terminal recorded state (Succeeded, Failed, Canceled) never changes again (§8, §17 item 5)."""

    property_id = "legal-job-transition"
    description = "Each recorded job state changes only along the JOB_RECORD machine (terminal states are absorbing)."

    def __init__(self) -> None:
        super().__init__()
        self.instances = Instances()
        self._states: dict[tuple[str, str, int, str, JobType], _Recorded] = {}
        self.route(ObjectStored, self._stored)
        self.route(ObjectRemoved, self._removed)

    def _stored(self, e: ObjectStored) -> None:
        change = self.instances.stored(e)
        if change is not None:
            self._fold(change[0], e.seq, e.t)

    def _removed(self, e: ObjectRemoved) -> None:
        life = self.instances.removed(e)
        if life is not None:
            self._fold(life, e.seq, e.t)

    def _fold(self, life: Lifetime, seq: int, t: float) -> None:
        seen: set[tuple[str, JobType]] = set()
        for job in life.obj.status.jobs:
            if (job.job_id, job.type) in seen:
                continue  # the operator reads and updates the first entry with an id
            seen.add((job.job_id, job.type))
            key = (*life.key, life.number, job.job_id, job.type)
            before = self._states.get(key)
            state = job.state.value
            if before is not None and before.timestamp == job.timestamp:
                if before.state == state:
                    continue
                if not JOB_MACHINE.allows(before.state, state):
                    name = job.job_id or "'' (failed trigger)"
                    self.violate(t, life.subject, (
                        f"The recorded state of {job.type.value} job {name} of {life.subject} changed from "
                        f"{before.state} (persisted at {at(before.t)}) to {state} at {at(t)} "
                        f"(message \"{job.message}\"): {before.state} is terminal, so the operator overwrote a "
                        "job's ending with something else and may now act on it again (poll, cancel, wait, or "
                        "report a phase) as if it had not ended. status.jobs[] now holds "
                        f"{entries_text(life.obj.status.jobs)}."),
                        [before.seq, seq])
            elif state != NONE_STATE and not JOB_MACHINE.allows(NONE_STATE, state):
                self.violate(t, life.subject, f"Job {job.job_id} was first recorded with state {state}, which the "
                             "JOB_RECORD machine does not allow as a first state.", [seq])
            self._states[key] = _Recorded(state, job.timestamp, seq, t)


@register_checker
class LegalPhaseTransition(EventChecker):
    """The persisted phase follows INSTANCE_PHASE: e.g. Deleting is left only by removal."""

    property_id = "legal-phase-transition"
    description = "The persisted status.phase changes only along the INSTANCE_PHASE machine; removal is Gone."

    def __init__(self) -> None:
        super().__init__()
        self.instances = Instances()
        self._phase: dict[tuple[str, str, int], tuple[str, int, float]] = {}  # lifetime -> (phase, seq, t)
        self.route(ObjectStored, self._stored)
        self.route(ObjectRemoved, self._removed)

    def _stored(self, e: ObjectStored) -> None:
        change = self.instances.stored(e)
        if change is not None:
            life = change[0]
            self._move(life, life.obj.status.phase.value or NONE_STATE, e.seq, e.t)

    def _removed(self, e: ObjectRemoved) -> None:
        life = self.instances.removed(e)
        if life is not None:
            self._move(life, life.obj.status.phase.value or NONE_STATE, e.seq, e.t)
            self._move(life, "Gone", e.seq, e.t)

    def _move(self, life: Lifetime, phase: str, seq: int, t: float) -> None:
        lkey = life.id
        before, before_seq, before_t = self._phase.get(lkey, (NONE_STATE, life.created_seq, life.created_t))
        if phase == before:
            return
        self._phase[lkey] = (phase, seq, t)
        if PHASE_MACHINE.allows(before, phase):
            return
        what = "was removed" if phase == "Gone" else f"moved to phase {phase}"
        self.violate(t, life.subject, (
            f"{life.subject} {what} at {at(t)} from phase {before} (persisted at {at(before_t)}), a change the "
            "instance-phase machine does not allow: Deleting is left only by removal and Gone is final (§2.3, "
            "§6), so users and the fulfillment service see a deletion undone or an instance come back."),
            [before_seq, seq])

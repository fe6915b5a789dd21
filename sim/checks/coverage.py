"""Campaign coverage: how often each (state, trigger) pair of every machine, and each user verb, was exercised.

Read from the events of each run, the way the checkers read them: AAP_JOB from `AapJobTransitioned`;
CR_OBJECT from `ObjectStored`/`ObjectRemoved` of ComputeInstances; JOB_RECORD and INSTANCE_PHASE from
the persisted ComputeInstance versions (a change of a recorded job state or of the phase is one
transition, the trigger found with `trigger_for`); VM from the KubeVirt events; actions from
`UserActed`. A change no machine allows is counted under ``illegal`` (the monitors report it as a
violation). The JSON form lists every defined pair, exercised or not, for the coloured diagrams.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from models.events import Event, UserActed
from models.machines import AAP_JOB, ALL_MACHINES, CR_OBJECT, INSTANCE_PHASE, JOB_RECORD, NONE_STATE, VM, compiled
from models.names import KIND_COMPUTE_INSTANCE
from models.objects import ComputeInstance
from sim.backends.aap import AapJobTransitioned
from sim.backends.kubevirt import VM_TRIGGERS
from sim.kube.events import ObjectRemoved, ObjectStored

__all__ = ["Coverage", "coverage_of"]

Pair = tuple[str, str]  # (state, trigger)
_VM_TRIGGERS = VM_TRIGGERS


@dataclass
class Coverage:
    """Counts per machine of (state, trigger) pairs, of illegal changes, and of user verbs, over some runs."""

    machines: dict[str, Counter[Pair]] = field(default_factory=lambda: {m.name: Counter() for m in ALL_MACHINES})
    illegal: dict[str, Counter[tuple[str, str]]] = field(default_factory=dict)  # machine → (source, dest)
    actions: Counter[str] = field(default_factory=Counter)
    runs: int = 0

    def hit(self, machine: str, state: str, trigger: str) -> None:
        self.machines[machine][(state, trigger)] += 1

    def change(self, machine: str, source: str, dest: str) -> None:
        """A monitored value changed: count its trigger, or an illegal change if the machine has none."""
        trigger = compiled(machine).trigger_for(source, dest)
        if trigger is None:
            self.illegal.setdefault(machine, Counter())[(source, dest)] += 1
        else:
            self.hit(machine, source, trigger)

    def merge(self, other: Coverage) -> None:
        for name, counts in other.machines.items():
            self.machines.setdefault(name, Counter()).update(counts)
        for name, counts in other.illegal.items():
            self.illegal.setdefault(name, Counter()).update(counts)
        self.actions.update(other.actions)
        self.runs += other.runs

    def to_json(self) -> dict[str, Any]:
        """Every defined pair with its count (0 if never taken), sorted; machine totals; verbs; illegal changes."""
        machines: dict[str, Any] = {}
        for m in ALL_MACHINES:
            counts = self.machines.get(m.name, Counter())
            pairs = compiled(m).pairs()
            machines[m.name] = {
                "title": m.title, "pairs_total": len(pairs), "pairs_covered": sum(1 for p in pairs if counts[p]),
                "pairs": [{"state": s, "trigger": t, "count": counts[(s, t)]} for s, t in pairs],
                "illegal": [{"source": s, "dest": d, "count": n}
                            for (s, d), n in sorted(self.illegal.get(m.name, Counter()).items())]}
        return {"runs": self.runs, "machines": machines, "actions": dict(sorted(self.actions.items()))}

    def summary_line(self) -> str:
        parts = []
        for m in ALL_MACHINES:
            pairs = compiled(m).pairs()
            counts = self.machines.get(m.name, Counter())
            parts.append(f"{m.name} {sum(1 for p in pairs if counts[p])}/{len(pairs)}")
        return "coverage (state, trigger) pairs: " + ", ".join(parts)


@dataclass
class _Tracker:
    """Per-run state needed to turn events into transitions: the last state of every tracked thing."""

    cov: Coverage
    crs: dict[str, str] = field(default_factory=dict)  # uid → CR_OBJECT state
    phases: dict[str, str] = field(default_factory=dict)  # uid → persisted phase (or none)
    jobs: dict[tuple[str, str, str, float], str] = field(default_factory=dict)  # (uid, id, type, ts) → state
    vms: dict[str, str] = field(default_factory=dict)  # vm_id → VM state

    def apply(self, e: Event) -> None:
        if isinstance(e, AapJobTransitioned):
            self.cov.hit(AAP_JOB.name, e.source, e.trigger)
        elif isinstance(e, ObjectStored | ObjectRemoved) and e.kind == KIND_COMPUTE_INSTANCE:
            self._instance(e)
        elif type(e) in _VM_TRIGGERS:
            self._vm(e)
        elif isinstance(e, UserActed):
            self.cov.actions[e.verb] += 1

    def _instance(self, e: ObjectStored | ObjectRemoved) -> None:
        obj = e.obj
        assert isinstance(obj, ComputeInstance), "a ComputeInstance event carries a ComputeInstance"
        uid = obj.metadata.uid
        before = self.crs.get(uid, "absent")
        if isinstance(e, ObjectRemoved):
            trigger = "finalizers_emptied" if before == "terminating" else "delete_without_finalizers"
            self.cov.hit(CR_OBJECT.name, before, trigger)
            self.crs[uid] = "gone"
            self.cov.change(INSTANCE_PHASE.name, self.phases.get(uid, NONE_STATE), "Gone")
            return
        trigger = {"create": "create", "delete": "delete"}.get(e.verb, "update")
        self.cov.hit(CR_OBJECT.name, before, trigger)
        self.crs[uid] = {"create": "live", "delete": "terminating"}.get(e.verb, before)
        self._status(uid, obj)

    def _status(self, uid: str, obj: ComputeInstance) -> None:
        phase = obj.status.phase.value or NONE_STATE
        before = self.phases.get(uid, NONE_STATE)
        if phase != before:
            self.cov.change(INSTANCE_PHASE.name, before, phase)
            self.phases[uid] = phase
        seen: set[tuple[str, str]] = set()
        for job in obj.status.jobs:
            if (job.job_id, job.type.value) in seen:
                continue  # the operator reads the first entry with an id (findJobByID)
            seen.add((job.job_id, job.type.value))
            key = (uid, job.job_id, job.type.value, job.timestamp)
            old = self.jobs.get(key, NONE_STATE)
            if job.state.value != old:
                self.cov.change(JOB_RECORD.name, old, job.state.value)
                self.jobs[key] = job.state.value

    def _vm(self, e: Event) -> None:
        vm_id = str(getattr(e, "vm_id", ""))
        before = self.vms.get(vm_id, "absent")
        trigger = _VM_TRIGGERS[type(e)]
        dest = compiled(VM).table.get((before, trigger))
        if dest is None:
            self.cov.illegal.setdefault(VM.name, Counter())[(before, trigger)] += 1
            return
        self.cov.hit(VM.name, before, trigger)
        self.vms[vm_id] = dest


def coverage_of(events: Iterable[Event]) -> Coverage:
    """The coverage of one run's events (runs = 1)."""
    tracker = _Tracker(Coverage(runs=1))
    for e in events:
        tracker.apply(e)
    return tracker.cov

"""Projection `instances`: per ComputeInstance, what a reader asks at the end: phase, jobs recorded vs launched, VMs.

It folds the same events as every other projection, so a live run and the replay of its saved log give
the same facts; scenario expectations and the provider comparison read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from models.events import Event, UserActed
from models.names import KIND_COMPUTE_INSTANCE
from models.objects import ComputeInstance
from sim.backends.aap import AapJobLaunched, AapJobTransitioned
from sim.backends.kubevirt import VmProvisioned, VmReleased
from sim.kernel.projection import register_projection
from sim.kube.events import ObjectRemoved, ObjectStored


@dataclass
class BackendJob:
    """One job launched in AAP (directly or by an EDA rule) for an instance."""

    job_id: int
    playbook: str  # create (provision) | delete (deprovision)
    launched_by: str  # api | eda
    status: str = "new"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.job_id, "playbook": self.playbook, "launched_by": self.launched_by, "status": self.status}


@dataclass
class InstanceFacts:
    """What is known about one instance at the end of the events folded so far."""

    name: str
    present: bool = False
    phase: str = ""
    recorded_jobs: list[dict[str, Any]] = field(default_factory=list)  # status.jobs[] of the last known object
    backend_jobs: list[BackendJob] = field(default_factory=list)
    live_vms: list[str] = field(default_factory=list)
    create_requested_t: float | None = None  # the user's latest create
    running_t: float | None = None  # first phase Running stored after that create
    delete_requested_t: float | None = None  # the user's latest delete
    removed_t: float | None = None  # the object left the API server

    @property
    def final(self) -> str:
        """gone, or the stored phase ("" when the controller has not written one yet)."""
        return self.phase if self.present else "gone"

    def launched(self, playbook: str) -> int:
        return sum(1 for j in self.backend_jobs if j.playbook == playbook)

    def to_dict(self) -> dict[str, Any]:
        return {"final": self.final, "present": self.present, "phase": self.phase,
                "recorded_jobs": list(self.recorded_jobs), "backend_jobs": [j.to_dict() for j in self.backend_jobs],
                "provision_jobs": self.launched("create"), "deprovision_jobs": self.launched("delete"),
                "live_vms": list(self.live_vms), "create_requested_t": self.create_requested_t,
                "running_t": self.running_t, "delete_requested_t": self.delete_requested_t,
                "removed_t": self.removed_t}


class InstanceFactsProjection:
    """Folds user actions, CI writes, AAP jobs and cloud VMs into `InstanceFacts` by instance name."""

    event_types: ClassVar[tuple[type[Event], ...]] = (ObjectStored, ObjectRemoved, UserActed, AapJobLaunched,
                                                      AapJobTransitioned, VmProvisioned, VmReleased)

    def __init__(self) -> None:
        self.instances: dict[str, InstanceFacts] = {}
        self._jobs: dict[int, BackendJob] = {}
        self._vm_owner: dict[str, str] = {}

    def facts(self, name: str) -> InstanceFacts:
        found = self.instances.get(name)
        if found is None:
            found = self.instances[name] = InstanceFacts(name)
        return found

    def apply(self, event: Event) -> None:
        if isinstance(event, ObjectStored | ObjectRemoved):
            if event.kind == KIND_COMPUTE_INSTANCE:
                self._object(event)
        elif isinstance(event, UserActed):
            self._user(event)
        elif isinstance(event, AapJobLaunched):
            job = self._jobs[event.job_id] = BackendJob(event.job_id, event.playbook, event.launched_by)
            self.facts(event.instance_name).backend_jobs.append(job)
        elif isinstance(event, AapJobTransitioned):
            purged = event.dest == "purged"
            self._jobs[event.job_id].status = f"{event.source}, purged" if purged else event.dest
        elif isinstance(event, VmProvisioned):
            self._vm_owner[event.vm_id] = event.instance_name
            self.facts(event.instance_name).live_vms.append(event.vm_id)
        elif isinstance(event, VmReleased):
            owner = self._vm_owner.get(event.vm_id)
            if owner is not None and event.vm_id in self.facts(owner).live_vms:
                self.facts(owner).live_vms.remove(event.vm_id)

    def _user(self, event: UserActed) -> None:
        if not event.instance:
            return
        f = self.facts(event.instance)
        if event.verb == "create":
            f.create_requested_t, f.running_t, f.delete_requested_t, f.removed_t = event.t, None, None, None
        elif event.verb == "delete" and f.delete_requested_t is None:
            f.delete_requested_t = event.t

    def _object(self, event: ObjectStored | ObjectRemoved) -> None:
        f = self.facts(event.name)
        obj = event.obj
        assert isinstance(obj, ComputeInstance), "a ComputeInstance event carries a ComputeInstance"
        f.phase = str(obj.status.phase)
        f.recorded_jobs = [{"jobID": j.job_id, "type": j.type.value, "state": j.state.value}
                           for j in obj.status.jobs]
        if isinstance(event, ObjectRemoved):
            f.present, f.removed_t = False, event.t
            return
        f.present = True
        if f.phase == "Running" and f.running_t is None:
            f.running_t = event.t

    def snapshot(self) -> dict[str, Any]:
        return {name: self.instances[name].to_dict() for name in sorted(self.instances)}


register_projection("instances", InstanceFactsProjection)

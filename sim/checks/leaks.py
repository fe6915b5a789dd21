"""§17 item 4: when a ComputeInstance is removed nothing of it is left: no running create job, no VM in the cloud.

At the removal of the object: every create-playbook job for its name still active in AAP, and every VM
of it in the cloud ledger not yet released (provisioning, ready, or being torn down), is a violation. At
the end of the run: every ledger VM still provisioning or ready whose instance does not exist is a leak
(e.g. created by a create job that outlived the object). A VM is reported once.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.names import KIND_VIRTUAL_MACHINE
from sim.backends.kubevirt import VmBecameReady, VmDeletionStarted, VmProvisioned, VmReleased, VmRestarted
from sim.checks.base import register_checker
from sim.checks.common import EventChecker, Key, at, subject
from sim.checks.tracking import AapLedger, Instances
from sim.kube.events import ObjectRemoved, ObjectStored


@dataclass(slots=True)
class _Vm:
    """A real VM in the ledger, with the playbook that created its VirtualMachine object."""

    vm_id: str
    key: Key  # the instance it belongs to
    provisioned_seq: int
    provisioned_t: float
    creator: str  # actor that created the VirtualMachine object, e.g. playbook/9000
    creator_seq: int | None
    state: str = "provisioning"  # provisioning | ready | deleting | gone (the VM machine's states)

    def describe(self) -> str:
        by = f" by {self.creator}" if self.creator else ""
        return f"VM {self.vm_id} (allocated at {at(self.provisioned_t)}{by}, {self.state})"


@register_checker
class NoLeakOnRemoval(EventChecker):
    """A removed instance leaves no running create job and no live VM behind."""

    property_id = "no-leak-on-removal"
    description = ("When the CR is removed no provision job for it still runs and no VM of it is live in the cloud "
                   "ledger; at the end no live VM belongs to a vanished instance.")

    def __init__(self) -> None:
        super().__init__()
        self.instances = Instances()
        self.ledger = AapLedger()
        self.vms: dict[str, _Vm] = {}
        self._by_instance: dict[Key, list[_Vm]] = {}
        self._creators: dict[str, tuple[str, int]] = {}  # VirtualMachine uid -> (actor, seq)
        self._reported: set[str] = set()
        self.follow(self.ledger)
        self.route(ObjectStored, self._stored)
        self.route(ObjectRemoved, self._removed)
        self.route(VmProvisioned, self._provisioned)
        self.route(VmBecameReady, self._ready)
        self.route(VmRestarted, self._restarted)
        self.route(VmDeletionStarted, self._deleting)
        self.route(VmReleased, self._released)

    def _stored(self, e: ObjectStored) -> None:
        if e.kind == KIND_VIRTUAL_MACHINE:
            if e.verb == "create":
                self._creators[e.obj.metadata.uid] = (e.actor, e.seq)
            return
        self.instances.stored(e)

    def _provisioned(self, e: VmProvisioned) -> None:
        creator, creator_seq = self._creators.pop(e.uid, ("", None))
        vm = _Vm(e.vm_id, (e.instance_namespace, e.instance_name), e.seq, e.t, creator, creator_seq)
        self.vms[e.vm_id] = vm
        self._by_instance.setdefault(vm.key, []).append(vm)

    def _set(self, vm_id: str, state: str) -> None:
        vm = self.vms.get(vm_id)
        if vm is not None:
            vm.state = state

    def _ready(self, e: VmBecameReady) -> None:
        self._set(e.vm_id, "ready")

    def _restarted(self, e: VmRestarted) -> None:
        self._set(e.vm_id, "provisioning")

    def _deleting(self, e: VmDeletionStarted) -> None:
        self._set(e.vm_id, "deleting")

    def _released(self, e: VmReleased) -> None:
        self._set(e.vm_id, "gone")

    def _removed(self, e: ObjectRemoved) -> None:
        life = self.instances.removed(e)
        if life is None:
            return
        who = life.subject
        for job in self.ledger.of(life.key, "create"):
            if job.active:
                cancel = (f"the operator had asked AAP to cancel it {job.cancel_requests} time(s)"
                          if job.cancel_requests else "nobody asked AAP to cancel it")
                self.violate(e.t, who, (
                    f"{who} was removed at {at(e.t)} while {job.describe()} had not finished ({cancel}): the "
                    "create playbook goes on and may create a VirtualMachine and add the computeinstance-aap "
                    "finalizer for an instance that no longer exists, and no deprovision job will ever remove "
                    "them."), [*job.decisive()[:2], *([life.deletion_seq] if life.deletion_seq else []), e.seq])
        for vm in self._by_instance.get(life.key, ()):
            if vm.state != "gone" and vm.vm_id not in self._reported:
                self._reported.add(vm.vm_id)
                self.violate(e.t, who, (
                    f"{who} was removed at {at(e.t)} while {vm.describe()} still existed in the cloud: the "
                    "operator let the object go before the delete playbook had released the instance's VM, so the "
                    "VM may outlive every record of it."),
                    [vm.provisioned_seq, *([vm.creator_seq] if vm.creator_seq is not None else []), e.seq])

    def finish(self, end_t: float) -> None:
        for vm in self.vms.values():  # in allocation order
            if vm.state not in ("provisioning", "ready") or vm.vm_id in self._reported or vm.key in self.instances.live:
                continue
            self._reported.add(vm.vm_id)
            life = self.instances.latest.get(vm.key)
            gone = (f"was removed at {at(life.removed_t)}" if life is not None and life.removed_t is not None
                    else "never existed")
            self.violate(end_t, subject(vm.key), (
                f"At the end of the run ({at(end_t)}) {vm.describe()} still runs in the cloud for "
                f"{subject(vm.key)}, which {gone}: nothing will ever delete this VM, because the only delete "
                "playbook that would is triggered by the instance's deletion."),
                [vm.provisioned_seq, *([vm.creator_seq] if vm.creator_seq is not None else []),
                 *([life.removed_seq] if life is not None and life.removed_seq is not None else [])])

"""KubeVirt and the cloud: each VirtualMachine object becomes a real VM that boots, turns Ready and is released.

When a VirtualMachine object is created in the API server, KubeVirt puts its own finalizer on it, a real
VM appears in the cloud ledger, and after a boot delay a VirtualMachineInstance is created and the VM
object's `Ready` condition turns True. When the VM object is deleted, the VMI goes, the real VM is
released after a delay, and only then does KubeVirt remove its finalizer, so the object disappears from
the API server no earlier than the real VM from the ledger. A VMI deleted by someone else (a restart,
§15) is recreated after another boot. The ledger (`CloudLedger`, projection `cloud`) is the ground
truth for leak checks: which real VMs exist and which ComputeInstance each belongs to.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Mapping
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import simpy

from models.events import Event
from models.machines import VM, compiled
from models.names import API_GROUP, KIND_VIRTUAL_MACHINE, KIND_VIRTUAL_MACHINE_INSTANCE, LABEL_COMPUTE_INSTANCE
from models.objects import GenericObject, KubeObject, ObjectMeta, OwnerReference
from sim.backends.config import BackendConfig
from sim.kernel.errors import AlreadyExists, ApiError, Invalid, NotFound
from sim.kernel.kernel import Kernel
from sim.kernel.projection import register_projection
from sim.kube.apiserver import ApiServer
from sim.kube.client import ApiClient, ApiFaults
from sim.kube.events import ObjectRemoved, ObjectStored

Gen = Generator[simpy.Event, Any, Any]
ACTOR = "kubevirt"
STREAM = "kubevirt"
FINALIZER_KUBEVIRT = "kubevirt.io/virtualMachineControllerFinalize"
# Simulator addition: the create playbook records the CR's namespace on the VM, so the ledger can name it.
ANNOTATION_INSTANCE_NAMESPACE = f"{API_GROUP}/computeinstance-namespace"
RETRY_CAP_S = 60.0
VM_MACHINE = compiled(VM)


def vm_ready(obj: KubeObject) -> bool:
    """True when the VM object's status has a `Ready` condition with status "True"."""
    conditions = obj.status_dict().get("conditions") or []
    return any(isinstance(c, Mapping) and c.get("type") == "Ready" and c.get("status") == "True"
               for c in conditions)


@dataclass(frozen=True, slots=True)
class VmProvisioned(Event):
    """A real VM was allocated in the cloud for a new VirtualMachine object (uid) of a ComputeInstance."""

    vm_id: str
    namespace: str
    name: str
    uid: str
    instance_namespace: str
    instance_name: str


@dataclass(frozen=True, slots=True)
class VmBecameReady(Event):
    """The real VM finished booting; its VMI exists and the VM object is about to read Ready=True."""

    vm_id: str
    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class VmRestarted(Event):
    """Someone deleted the VM's VMI (a restart): the VM boots again and is not Ready meanwhile."""

    vm_id: str
    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class VmDeletionStarted(Event):
    """The VM object was deleted: KubeVirt tears the real VM down."""

    vm_id: str
    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class VmReleased(Event):
    """The real VM is gone from the cloud."""

    vm_id: str
    namespace: str
    name: str


VM_TRIGGERS: dict[type[Event], str] = {VmProvisioned: "create", VmBecameReady: "become_ready", VmRestarted: "restart",
                                     VmDeletionStarted: "delete", VmReleased: "vanish"}  # VM machine
VM_EVENTS = tuple(VM_TRIGGERS)


@dataclass
class CloudVm:
    """One real VM in the ledger; `state` follows the VM machine (provisioning, ready, deleting, gone)."""

    vm_id: str
    namespace: str
    name: str
    uid: str
    instance_namespace: str
    instance_name: str
    created_t: float
    state: str = "provisioning"
    ready_t: float | None = None
    released_t: float | None = None

    @property
    def live(self) -> bool:
        return self.state != "gone"


class CloudLedger:
    """Projection `cloud`: every real VM ever provisioned, by vm id in creation order."""

    event_types: ClassVar[tuple[type[Event], ...]] = VM_EVENTS

    def __init__(self) -> None:
        self.vms: dict[str, CloudVm] = {}
        self._by_instance: dict[str, list[CloudVm]] = {}  # by instance name, in creation order

    def apply(self, event: Event) -> None:
        trigger = VM_TRIGGERS.get(type(event))
        if trigger is None:
            return
        if isinstance(event, VmProvisioned):
            vm = self.vms[event.vm_id] = CloudVm(event.vm_id, event.namespace, event.name, event.uid,
                                                 event.instance_namespace, event.instance_name, event.t,
                                                 state=VM_MACHINE.fire("absent", trigger))
            self._by_instance.setdefault(vm.instance_name, []).append(vm)
            return
        assert isinstance(event, VmBecameReady | VmRestarted | VmDeletionStarted | VmReleased)
        vm = self.vms[event.vm_id]
        vm.state = VM_MACHINE.fire(vm.state, trigger)
        if isinstance(event, VmBecameReady):
            vm.ready_t = event.t
        elif isinstance(event, VmReleased):
            vm.released_t = event.t

    def live(self) -> list[CloudVm]:
        """Real VMs not yet released, in creation order."""
        return [vm for vm in self.vms.values() if vm.live]

    def live_for(self, instance_name: str, instance_namespace: str | None = None) -> list[CloudVm]:
        """Real VMs not yet released that belong to the ComputeInstance of that name (and namespace, if given)."""
        return [vm for vm in self._by_instance.get(instance_name, ()) if vm.live
                and (instance_namespace is None or vm.instance_namespace == instance_namespace)]

    def snapshot(self) -> dict[str, Any]:
        return {"vms": {vm_id: asdict(vm) for vm_id, vm in self.vms.items()}}


register_projection("cloud", CloudLedger)


@dataclass
class _VmRun:
    """KubeVirt's handle on one VM object while its real VM exists."""

    vm_id: str
    namespace: str
    name: str
    uid: str
    deleted: simpy.Event  # the VM object got a deletionTimestamp or left the API server
    vmi_lost: simpy.Event  # someone else deleted the VMI (renewed after every restart)


class KubeVirt:
    """Watches VirtualMachine objects and runs one real VM for each; `ledger` is its view of the cloud."""

    def __init__(self, kernel: Kernel, server: ApiServer, faults: ApiFaults, config: BackendConfig) -> None:
        self.kernel, self.server, self.config = kernel, server, config
        self.client = ApiClient(kernel, server, ACTOR, faults)
        self.ledger = CloudLedger()
        kernel.log.subscribe(self.ledger.apply, *VM_EVENTS)
        kernel.log.subscribe(self._on_stored, ObjectStored)
        kernel.log.subscribe(self._on_removed, ObjectRemoved)
        self._runs: dict[str, _VmRun] = {}  # by VM object uid
        self._count = 0

    # -- watch handlers: they only start processes and trigger events, never record ----------------
    def _on_stored(self, event: ObjectStored) -> None:
        if event.kind != KIND_VIRTUAL_MACHINE:
            return
        uid = event.obj.metadata.uid
        if event.verb == "create":
            self._count += 1
            env = self.kernel.env
            run = _VmRun(f"vm-{self._count}", event.namespace, event.name, uid, env.event(), env.event())
            self._runs[uid] = run
            env.process(self._lifecycle(run, event.obj))
        elif event.obj.metadata.terminating:
            self._signal_deleted(uid)

    def _on_removed(self, event: ObjectRemoved) -> None:
        if event.kind == KIND_VIRTUAL_MACHINE:
            self._signal_deleted(event.obj.metadata.uid)
        elif event.kind == KIND_VIRTUAL_MACHINE_INSTANCE and event.actor != ACTOR:
            for owner in event.obj.metadata.owner_references:
                run = self._runs.get(owner.uid)
                if run is not None and not run.vmi_lost.triggered:
                    run.vmi_lost.succeed()

    def _signal_deleted(self, uid: str) -> None:
        run = self._runs.get(uid)
        if run is not None and not run.deleted.triggered:
            run.deleted.succeed()

    # -- one VM ------------------------------------------------------------------------------------
    def _record(self, run: _VmRun, cls: type[Event], **fields: Any) -> None:
        """Check the transition on the VM machine (an illegal one raises), then record it."""
        state = self.ledger.vms[run.vm_id].state if run.vm_id in self.ledger.vms else "absent"
        VM_MACHINE.fire(state, VM_TRIGGERS[cls])
        self.kernel.record(cls, ACTOR, vm_id=run.vm_id, namespace=run.namespace, name=run.name, **fields)

    def _lifecycle(self, run: _VmRun, obj: KubeObject) -> Gen:
        env, cfg = self.kernel.env, self.config
        self._record(run, VmProvisioned, uid=run.uid,
                     instance_namespace=obj.metadata.annotations.get(ANNOTATION_INSTANCE_NAMESPACE, ""),
                     instance_name=obj.metadata.labels.get(LABEL_COMPUTE_INSTANCE, ""))
        yield from self._retry(lambda: self._add_finalizer(run))
        boots = 0
        while not run.deleted.triggered:
            boot_s = self.kernel.choices.duration(STREAM, f"{run.vm_id}/boot/{boots}_s", cfg.kubevirt_boot_s)
            boots += 1
            yield env.timeout(boot_s) | run.deleted
            if run.deleted.triggered:
                break
            yield from self._retry(lambda: self._create_vmi(run))
            self._record(run, VmBecameReady)
            yield from self._retry(lambda: self._set_ready(run, True))
            yield run.deleted | run.vmi_lost
            if run.deleted.triggered:
                break
            self._record(run, VmRestarted)
            run.vmi_lost = env.event()
            yield from self._retry(lambda: self._set_ready(run, False))
        yield from self._teardown(run)

    def _teardown(self, run: _VmRun) -> Gen:
        self._record(run, VmDeletionStarted)
        yield from self._retry(lambda: self.client.delete(KIND_VIRTUAL_MACHINE_INSTANCE, run.namespace, run.name))
        release_s = self.kernel.choices.duration(STREAM, f"{run.vm_id}/release_s", self.config.kubevirt_release_s)
        yield self.kernel.env.timeout(release_s)
        self._record(run, VmReleased)
        yield from self._retry(lambda: self._remove_finalizer(run))
        del self._runs[run.uid]

    def _retry(self, op: Callable[[], Gen]) -> Gen:
        """Run `op` until it succeeds, backing off after API errors; NotFound or Invalid end it (object going)."""
        backoff = self.config.kubevirt_retry_s
        while True:
            try:
                return (yield from op())
            except (NotFound, Invalid):
                return None
            except ApiError:
                yield self.kernel.env.timeout(backoff)
                backoff = min(backoff * 2, RETRY_CAP_S)

    def _own_vm(self, run: _VmRun, *, read_only: bool = True) -> Gen:
        """The VM object of this run, or None if the name now holds another object (NotFound propagates).

        By default the stored object itself, which the caller only reads; `read_only=False` for a private copy
        the caller may change (`_set_ready`)."""
        vm = yield from self.client.get(KIND_VIRTUAL_MACHINE, run.namespace, run.name, read_only=read_only)
        return vm if vm.metadata.uid == run.uid else None

    def _add_finalizer(self, run: _VmRun) -> Gen:
        vm = yield from self._own_vm(run)
        if vm is None or vm.metadata.terminating or FINALIZER_KUBEVIRT in vm.metadata.finalizers:
            return
        yield from self.client.patch_metadata(KIND_VIRTUAL_MACHINE, run.namespace, run.name,
                                              finalizers=[*vm.metadata.finalizers, FINALIZER_KUBEVIRT], read_only=True)

    def _remove_finalizer(self, run: _VmRun) -> Gen:
        vm = yield from self._own_vm(run)
        if vm is None or FINALIZER_KUBEVIRT not in vm.metadata.finalizers:
            return
        yield from self.client.patch_metadata(KIND_VIRTUAL_MACHINE, run.namespace, run.name,
                                              finalizers=[f for f in vm.metadata.finalizers if f != FINALIZER_KUBEVIRT],
                                              read_only=True)

    def _create_vmi(self, run: _VmRun) -> Gen:
        vm = yield from self._own_vm(run)
        if vm is None:
            return
        vmi = GenericObject(KIND_VIRTUAL_MACHINE_INSTANCE, ObjectMeta(
            name=run.name, namespace=run.namespace, labels=dict(vm.metadata.labels),
            owner_references=[OwnerReference(KIND_VIRTUAL_MACHINE, run.name, run.uid, "kubevirt.io/v1", True)]))
        with contextlib.suppress(AlreadyExists):
            yield from self.client.create(vmi, read_only=True)

    def _set_ready(self, run: _VmRun, ready: bool) -> Gen:
        vm = yield from self._own_vm(run, read_only=False)  # its status is replaced below: a private copy
        if vm is None or vm.metadata.terminating:
            return
        assert isinstance(vm, GenericObject), "VirtualMachine objects are GenericObjects"
        flag = "True" if ready else "False"
        vm.status = {"ready": ready, "printableStatus": "Running" if ready else "Starting",
                     "conditions": [{"type": "Ready", "status": flag, "reason": "" if ready else "VMINotRunning",
                                     "lastTransitionTime": float(int(self.kernel.now))}]}
        yield from self.client.update_status(vm, read_only=True)

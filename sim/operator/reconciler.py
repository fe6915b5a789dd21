"""The reference ComputeInstance reconciler (§3–§8, §15): `reconcile` and its handlers as coroutines of effects."""

from __future__ import annotations

from typing import Any

from models.config_version import desired_config_version
from models.jobs import JobType, find_latest_job_by_type
from models.names import (
    ANNOTATION_MANAGEMENT_STATE,
    ANNOTATION_RECONCILED_CONFIG_VERSION,
    CONDITION_ACCEPTED,
    CONDITION_AVAILABLE,
    CONDITION_DELETING,
    CONDITION_PROGRESSING,
    FINALIZER_COMPUTE_INSTANCE,
    KIND_COMPUTE_INSTANCE,
    KIND_VIRTUAL_MACHINE,
    LABEL_COMPUTE_INSTANCE,
    MANAGEMENT_STATE_UNMANAGED,
)
from models.objects import ComputeInstance, ComputeInstanceStatus, GenericObject, Phase
from sim.kernel.effects import CachedGet, CachedList, ReconcileResult, Sleep, Update, UpdateStatus
from sim.kernel.errors import Conflict, NotFound
from sim.operator.base import log
from sim.operator.conditions import FALSE, REASON_AS_EXPECTED, REASON_INITIALIZED, TRUE
from sim.operator.errors import GoError, PanicError
from sim.operator.provisioning import ProvisioningSteps
from sim.operator.restart import RestartSteps
from sim.operator.tenant import TENANT_PHASE_READY, TenantSteps
from sim.operator.types import Co

__all__ = ["RETRY_ATTEMPTS", "RETRY_DELAY_S", "RETRY_JITTER", "ComputeInstanceReconciler"]

# client-go retry.DefaultRetry: 5 steps, 10 ms, factor 1, jitter 0.1.
RETRY_ATTEMPTS = 5
RETRY_DELAY_S = 0.01
RETRY_JITTER = 0.1

# Exceptions that are not a handler's returned error: a recovered panic, and a broken simulator invariant.
_NOT_RETURNED_ERRORS = (PanicError, AssertionError)


class ComputeInstanceReconciler(ProvisioningSteps, RestartSteps, TenantSteps):
    """The reference design, bugs included; `hardened` subclasses override single steps."""

    def reconcile(self, namespace: str, name: str) -> Co[ReconcileResult]:
        """§3: Get, unmanaged, snapshot, handler, status write (even after a handler error), result."""
        try:
            # The cached object itself (never changed: the informer holds the API server's stored objects)
            # is the snapshot of the status compared at the end; the handlers work on a private copy of it.
            # The same as getting a copy and copying its status, with one status copy less per reconcile.
            cached: ComputeInstance = yield CachedGet(KIND_COMPUTE_INSTANCE, namespace, name, read_only=True)
        except NotFound:
            return ReconcileResult()
        if cached.metadata.annotations.get(ANNOTATION_MANAGEMENT_STATE) == MANAGEMENT_STATE_UNMANAGED:
            yield log("Ignoring ComputeInstance: management state unmanaged")
            return ReconcileResult()
        instance = cached.deepcopy()
        old_status = cached.status
        error: Exception | None = None
        result = ReconcileResult()
        try:
            if not instance.metadata.terminating:
                result = yield from self.handle_update(instance)
            else:
                result = yield from self.handle_delete(instance)
        except _NOT_RETURNED_ERRORS:
            raise
        except Exception as exc:  # a Go handler returning (Result, err): the status write still happens
            error = exc
        if instance.status != old_status:
            yield log("Status requires update")
            yield from self.update_status_with_retry(namespace, name, instance.status)
        if error is not None:
            raise error
        return result

    def update_status_with_retry(self, namespace: str, name: str, new_status: ComputeInstanceStatus) -> Co[None]:
        """RetryOnConflict(DefaultRetry): re-read from the cache, replace the whole status, Status().Update."""
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            try:
                # read only: the object sent is built from its metadata and spec and a copy of `new_status`,
                # what replacing the status of a private copy gave, without copying the status replaced
                latest: ComputeInstance = yield CachedGet(KIND_COMPUTE_INSTANCE, namespace, name, read_only=True)
                yield UpdateStatus(ComputeInstance(latest.metadata.copy(), latest.spec.copy(), new_status.copy(),
                                                   latest.kind), read_only=True)  # the answer is dropped
                return
            except Conflict:
                if attempt == RETRY_ATTEMPTS:
                    raise
                yield log("Status update conflict, retrying", attempt=attempt)
                yield Sleep(self.retry_delay_s())

    def retry_delay_s(self) -> float:
        """wait.Jitter(10 ms, 0.1); without a jitter source the delay is exactly 10 ms."""
        if self.jitter is None:
            return RETRY_DELAY_S
        return RETRY_DELAY_S * (1.0 + RETRY_JITTER * self.jitter())

    def handle_update(self, instance: ComputeInstance) -> Co[ReconcileResult]:
        """§4 steps 1–10."""
        yield from self.initialize_status_conditions(instance)
        instance.status.phase = Phase.STARTING
        yield from self.add_finalizer(instance)
        tenant = yield from self.ensure_tenant(instance)
        if tenant is None:
            return ReconcileResult()
        yield from self.set_status_condition(instance, CONDITION_ACCEPTED, TRUE, "", REASON_AS_EXPECTED)
        yield from self.find_virtual_machine(instance, tenant)
        yield from self.handle_restart_request(instance)
        self.update_config_versions(instance)
        if instance.status.desired_config_version == instance.status.reconciled_config_version:
            return (yield from self.handle_configuration_applied(instance))
        instance.status.phase = Phase.STARTING
        yield from self.set_status_condition(instance, CONDITION_PROGRESSING, TRUE, "Applying configuration",
                                             REASON_AS_EXPECTED)
        yield log("Configuration differs, provisioning", desired=instance.status.desired_config_version)
        return (yield from self.handle_provisioning(instance))

    def initialize_status_conditions(self, instance: ComputeInstance) -> Co[None]:
        """§4 step 1: each condition only if its type is absent."""
        for type_, value in ((CONDITION_ACCEPTED, TRUE), (CONDITION_DELETING, FALSE),
                             (CONDITION_PROGRESSING, TRUE), (CONDITION_AVAILABLE, FALSE)):
            if instance.status.condition(type_) is None:
                yield from self.set_status_condition(instance, type_, value, "", REASON_INITIALIZED)

    def add_finalizer(self, instance: ComputeInstance) -> Co[None]:
        """§4 step 3: first time only, a metadata Update whose answer replaces the in-memory object."""
        if FINALIZER_COMPUTE_INSTANCE in instance.metadata.finalizers:
            return
        instance.metadata.finalizers.append(FINALIZER_COMPUTE_INSTANCE)
        yield log("Adding finalizer")
        stored: ComputeInstance = yield Update(instance.deepcopy())
        decode_into(instance, stored)

    def ensure_tenant(self, instance: ComputeInstance) -> Co[GenericObject | None]:
        """§4 step 4: the Ready tenant, or None when the reconcile ends here (created or not Ready)."""
        try:
            tenant = yield from self.get_tenant(instance)
        except NotFound:
            yield log("Tenant absent, creating it")
            created = yield from self.create_or_update_tenant(instance)
            instance.status.tenant_reference = {"name": created.metadata.name,
                                                "namespace": created.metadata.namespace}
            return None
        return (yield from self.ready_tenant(tenant))

    def ready_tenant(self, tenant: GenericObject) -> Co[GenericObject | None]:
        """§2.8: a Tenant whose phase is not Ready ⇒ return with no requeue (the Tenant watch brings the CI back)."""
        if tenant.status.get("phase") != TENANT_PHASE_READY:
            yield log("Tenant not ready", tenant=tenant.metadata.name, phase=tenant.status.get("phase", ""))
            return None
        return tenant

    def find_virtual_machine(self, instance: ComputeInstance, tenant: GenericObject) -> Co[None]:
        """§4 step 6: cached List in the tenant namespace ("" lists all); >1 ⇒ error; 1 ⇒ handleKubeVirtVM."""
        selector = ((LABEL_COMPUTE_INSTANCE, instance.metadata.name),)
        # the VMs are only read (name, namespace, Ready condition): the cached objects, no copies
        vms: list[GenericObject] = yield CachedList(KIND_VIRTUAL_MACHINE, tenant.status.get("namespace", ""),
                                                    selector, read_only=True)
        if len(vms) > 1:
            raise GoError(f"found too many ({len(vms)}) matching VirtualMachines for {instance.metadata.name}")
        if len(vms) == 1:
            yield from self.handle_kubevirt_vm(instance, vms[0])

    def handle_kubevirt_vm(self, instance: ComputeInstance, vm: GenericObject) -> Co[None]:
        """Record the VM reference; Available=True when the VM is Ready (never set back to False)."""
        instance.status.virtual_machine_reference = {"namespace": vm.metadata.namespace,
                                                     "kubeVirtVirtualMachineName": vm.metadata.name}
        yield from self.set_status_condition(instance, CONDITION_ACCEPTED, TRUE, "", REASON_AS_EXPECTED)
        if kubevirt_vm_is_ready(vm):
            yield from self.set_status_condition(instance, CONDITION_AVAILABLE, TRUE, "", REASON_AS_EXPECTED)

    @staticmethod
    def update_config_versions(instance: ComputeInstance) -> None:
        """§2.4: desired = hash of the spec; reconciled = the annotation if the key exists, else ""."""
        instance.status.desired_config_version = desired_config_version(instance.spec)
        instance.status.reconciled_config_version = instance.metadata.annotations.get(
            ANNOTATION_RECONCILED_CONFIG_VERSION, "")

    def handle_configuration_applied(self, instance: ComputeInstance) -> Co[ReconcileResult]:
        """§4 step 9: Running; keep polling only a non-terminal latest provision job."""
        instance.status.phase = Phase.RUNNING
        yield from self.set_status_condition(instance, CONDITION_PROGRESSING, FALSE, "", REASON_AS_EXPECTED)
        latest = find_latest_job_by_type(instance.status.jobs, JobType.PROVISION)
        if self.provider is not None and latest is not None and not latest.state.is_terminal:
            return (yield from self.handle_provisioning(instance))
        return ReconcileResult()

    def handle_delete(self, instance: ComputeInstance) -> Co[ReconcileResult]:
        """§6: Deleting; deprovision; remove the base finalizer once nothing is left to wait for."""
        instance.status.phase = Phase.DELETING
        if FINALIZER_COMPUTE_INSTANCE not in instance.metadata.finalizers:
            return ReconcileResult()
        result = yield from self.handle_deprovisioning(instance)
        if result.requeue_after_s > 0:
            return result
        yield from self.remove_finalizer(instance)
        return ReconcileResult()

    def remove_finalizer(self, instance: ComputeInstance) -> Co[None]:
        """§6 step 4: metadata Update; the answer (whole stored object) replaces the in-memory one."""
        if FINALIZER_COMPUTE_INSTANCE not in instance.metadata.finalizers:
            return
        instance.metadata.finalizers = [f for f in instance.metadata.finalizers if f != FINALIZER_COMPUTE_INSTANCE]
        yield log("Removing finalizer")
        stored: ComputeInstance = yield Update(instance.deepcopy())
        decode_into(instance, stored)


def decode_into(instance: ComputeInstance, stored: ComputeInstance) -> None:
    """client.Update decodes the server's answer into the object: metadata, spec and the *stored* status."""
    fresh = stored.deepcopy()
    instance.metadata, instance.spec, instance.status = fresh.metadata, fresh.spec, fresh.status


def kubevirt_vm_is_ready(vm: GenericObject) -> bool:
    """The VM's Ready condition is True."""
    conditions: list[dict[str, Any]] = vm.status.get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)

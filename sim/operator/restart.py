"""Restart handling (§15): delete the VMI on a new `restartRequestedAt`, record completion once a newer VMI exists."""

from __future__ import annotations

from models.names import CONDITION_RESTART_FAILED, CONDITION_RESTART_IN_PROGRESS, KIND_VIRTUAL_MACHINE_INSTANCE
from models.objects import ComputeInstance, GenericObject
from models.simtime import rfc3339
from sim.kernel.effects import CachedGet, Delete, Now
from sim.kernel.errors import ApiError, NotFound
from sim.operator.base import ReconcilerBase, log
from sim.operator.conditions import (
    REASON_NO_VM_REFERENCE,
    REASON_RESTART_INITIATED,
    REASON_VMI_DELETION_FAILED,
    REASON_WAITING_FOR_VMI,
    TRUE,
    find_condition,
    remove_condition,
    set_condition,
)
from sim.operator.errors import wrap
from sim.operator.types import Co

__all__ = ["RestartSteps"]


class RestartSteps(ReconcilerBase):
    """handleRestartRequest, checkRestartCompletion, performRestart."""

    def handle_restart_request(self, instance: ComputeInstance) -> Co[None]:
        """§15 steps 1–4; an error aborts the reconcile (raised)."""
        requested = instance.spec.restart_requested_at
        if requested is None:
            remove_condition(instance.status, CONDITION_RESTART_IN_PROGRESS)
            remove_condition(instance.status, CONDITION_RESTART_FAILED)
            return
        in_progress = find_condition(instance.status, CONDITION_RESTART_IN_PROGRESS)
        if in_progress is not None and in_progress.status == TRUE:
            yield from self.check_restart_completion(instance, requested)
            return
        last = instance.status.last_restarted_at
        if last is not None and not requested > last:
            return
        yield from self.perform_restart(instance)

    def get_vmi(self, instance: ComputeInstance) -> Co[GenericObject | None]:
        """Cached Get of the VMI named like the referenced VM; None when NotFound."""
        ref = instance.status.virtual_machine_reference or {}
        try:
            vmi: GenericObject = yield CachedGet(KIND_VIRTUAL_MACHINE_INSTANCE, ref.get("namespace", ""),
                                                 ref.get("kubeVirtVirtualMachineName", ""))
        except NotFound:
            return None
        return vmi

    def check_restart_completion(self, instance: ComputeInstance, requested: float) -> Co[None]:
        """A VMI created strictly after the request completes the restart; anything else keeps waiting."""
        if instance.status.virtual_machine_reference is None:
            return
        vmi = yield from self.get_vmi(instance)
        if vmi is None or not vmi.metadata.creation_timestamp > requested:
            return
        instance.status.last_restarted_at = requested
        remove_condition(instance.status, CONDITION_RESTART_IN_PROGRESS)
        remove_condition(instance.status, CONDITION_RESTART_FAILED)
        yield log("Restart completed", vmi=vmi.metadata.name)

    def perform_restart(self, instance: ComputeInstance) -> Co[None]:
        """A new request: delete the VMI (KubeVirt recreates it); lastRestartedAt waits for completion."""
        ref = instance.status.virtual_machine_reference
        if ref is None:
            yield from self.set_status_condition(instance, CONDITION_RESTART_FAILED, TRUE,
                                                 "No VirtualMachine reference found", REASON_NO_VM_REFERENCE)
            return
        vmi = yield from self.get_vmi(instance)
        if vmi is None:
            yield from self.set_status_condition(instance, CONDITION_RESTART_IN_PROGRESS, TRUE,
                                                 "Waiting for VMI to be created", REASON_WAITING_FOR_VMI)
            return
        yield log("Restarting: deleting VMI", vmi=vmi.metadata.name)
        try:
            yield Delete(KIND_VIRTUAL_MACHINE_INSTANCE, vmi.metadata.namespace, vmi.metadata.name)
        except NotFound:
            pass
        except ApiError as exc:
            yield from self.set_status_condition(instance, CONDITION_RESTART_FAILED, TRUE,
                                                 f"Failed to delete VMI: {exc}", REASON_VMI_DELETION_FAILED)
            raise wrap("failed to delete VMI", exc) from exc
        now = yield Now()
        set_condition(instance.status, CONDITION_RESTART_IN_PROGRESS, TRUE, f"Restart initiated at {rfc3339(now)}",
                      REASON_RESTART_INITIATED, now)
        remove_condition(instance.status, CONDITION_RESTART_FAILED)

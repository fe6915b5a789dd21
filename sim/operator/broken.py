"""Deliberately broken controllers for the oracle self-test: each is the reference with exactly one bug added.

The checkers must be able to fail. Each class below overrides one method of the reference reconciler to
introduce one classic operator bug; `tests/hardened/test_oracle_self_test.py` asserts that a small,
seeded campaign over the built-in scenarios catches each of them with a violation the reference does
not show on the same runs. Selectable as `broken-skip-cancel`, `broken-status-no-retry`,
`broken-forget-launch` and `broken-early-finalizer`.
"""

from __future__ import annotations

from models.jobs import JobRecord, JobState, JobType
from models.names import FINALIZER_COMPUTE_INSTANCE, KIND_COMPUTE_INSTANCE
from models.objects import ComputeInstance, ComputeInstanceStatus, Phase
from sim.kernel.effects import CachedGet, Now, ReconcileResult, UpdateStatus
from sim.operator.aap import AAPProvider
from sim.operator.base import log
from sim.operator.errors import GoError
from sim.operator.reconciler import ComputeInstanceReconciler
from sim.operator.types import Co, ProvisioningProvider

__all__ = ["EarlyFinalizerReconciler", "ForgetsLaunchReconciler", "SkipsCancelReconciler",
           "StatusNoRetryReconciler"]


class SkipsCancelReconciler(ComputeInstanceReconciler):
    """Bug: launches the AAP delete job at once, without cancelling (and waiting for) the provision job (§11.5)."""

    name = "broken-skip-cancel"

    def trigger_deprovision(self, instance: ComputeInstance,
                            provider: ProvisioningProvider) -> Co[ReconcileResult | None]:
        if not isinstance(provider, AAPProvider):
            return (yield from super().trigger_deprovision(instance, provider))
        try:
            job_id = yield from provider.launch_deprovision_job(instance)
        except GoError as exc:
            yield log("Deprovision trigger failed", error=exc)
            return self.poll_requeue()
        now = yield Now()
        self.append_job(instance, JobRecord(job_id, JobType.DEPROVISION, now, JobState.PENDING,
                                            "Deprovisioning job triggered", True))
        return self.poll_requeue()


class StatusNoRetryReconciler(ComputeInstanceReconciler):
    """Bug: writes status once; a Conflict (a lagging cache, a concurrent write) is returned, the write lost."""

    name = "broken-status-no-retry"

    def update_status_with_retry(self, namespace: str, name: str, new_status: ComputeInstanceStatus) -> Co[None]:
        latest: ComputeInstance = yield CachedGet(KIND_COMPUTE_INSTANCE, namespace, name)
        latest.status = new_status.copy()
        yield UpdateStatus(latest)


class ForgetsLaunchReconciler(ComputeInstanceReconciler):
    """Bug: triggers provision jobs but never appends the launched job to status.jobs[]."""

    name = "broken-forget-launch"

    def append_job(self, instance: ComputeInstance, job: JobRecord) -> None:
        if job.type is JobType.PROVISION and job.job_id:
            return  # the launched job is forgotten; failed triggers are still recorded
        super().append_job(instance, job)


class EarlyFinalizerReconciler(ComputeInstanceReconciler):
    """Bug: removes the base finalizer as soon as deprovisioning has been asked for, not once it succeeded."""

    name = "broken-early-finalizer"

    def handle_delete(self, instance: ComputeInstance) -> Co[ReconcileResult]:
        instance.status.phase = Phase.DELETING
        if FINALIZER_COMPUTE_INSTANCE not in instance.metadata.finalizers:
            return ReconcileResult()
        yield from self.handle_deprovisioning(instance)  # its "keep waiting" requeue is ignored
        yield from self.remove_finalizer(instance)
        return ReconcileResult()

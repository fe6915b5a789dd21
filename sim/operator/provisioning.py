"""handleProvisioning (§5) and handleDeprovisioning (§7): trigger or poll the latest job of a type."""

from __future__ import annotations

from models.jobs import JobRecord, JobState, JobType, append_job, find_latest_job_by_type, update_job
from models.objects import ComputeInstance, Phase
from sim.kernel.effects import Now, ReconcileResult
from sim.operator.base import ReconcilerBase, log
from sim.operator.errors import GoError, PanicError, errors_as
from sim.operator.types import Co, DeprovisionAction, ProvisioningProvider, ProvisionStatus, RateLimitError

__all__ = ["ProvisioningSteps", "job_message"]

NIL_POINTER_PANIC = "runtime error: invalid memory address or nil pointer dereference"


def job_message(status: ProvisionStatus) -> str:
    """The provider message, plus ": <errorDetails>" when there are details."""
    return f"{status.message}: {status.error_details}" if status.error_details else status.message


class ProvisioningSteps(ReconcilerBase):
    """The job-driving half of the reconciler."""

    def append_job(self, instance: ComputeInstance, job: JobRecord) -> None:
        instance.status.jobs = append_job(instance.status.jobs, job, self.max_job_history)

    @staticmethod
    def update_job(instance: ComputeInstance, job: JobRecord) -> None:
        """updateJob: replace the first entry with that id (all fields); no entry ⇒ nothing changes."""
        instance.status.jobs, _ = update_job(instance.status.jobs, job)

    def handle_provisioning(self, instance: ComputeInstance) -> Co[ReconcileResult]:
        """§5: trigger when there is no latest provision job or its id is empty, else poll it."""
        if self.is_manual(instance):
            yield log("Management state manual, not provisioning")
            return ReconcileResult()
        if self.provider is None:
            return ReconcileResult()
        latest = find_latest_job_by_type(instance.status.jobs, JobType.PROVISION)
        if latest is None or latest.job_id == "":
            return (yield from self.trigger_provision(instance, self.provider))
        return (yield from self.poll_provision_job(instance, self.provider, latest))

    def trigger_provision(self, instance: ComputeInstance, provider: ProvisioningProvider) -> Co[ReconcileResult]:
        """§5 step 4: rate limit ⇒ retryAfter; other error ⇒ a Failed entry with id ""; success ⇒ new entry."""
        yield log("Triggering provision", provider=provider.name())
        try:
            result = yield from provider.trigger_provision(instance)
        except GoError as exc:
            rate_limited = errors_as(exc, RateLimitError)
            if rate_limited is not None:
                yield log("Provision rate-limited", retry_after_s=rate_limited.retry_after_s)
                return ReconcileResult(requeue_after_s=rate_limited.retry_after_s)
            yield log("Provision trigger failed", error=exc)
            now = yield Now()
            self.append_job(instance, JobRecord("", JobType.PROVISION, now, JobState.FAILED,
                                                f"Failed to trigger provisioning: {exc}", False))
            return self.poll_requeue()
        now = yield Now()
        self.append_job(instance, JobRecord(result.job_id, JobType.PROVISION, now, result.initial_state,
                                            result.message, False))
        yield log("Provision job triggered", jobID=result.job_id)
        return self.poll_requeue()

    def poll_provision_job(self, instance: ComputeInstance, provider: ProvisioningProvider,
                           latest: JobRecord) -> Co[ReconcileResult]:
        """§5 step 5: overwrite state and message; non-terminal ⇒ poll again; Failed/Canceled ⇒ phase Failed."""
        try:
            status = yield from provider.get_provision_status(instance, latest.job_id)
        except GoError as exc:
            yield log("Provision status poll failed", jobID=latest.job_id, error=exc)
            self.update_job(instance, latest.with_changes(message=f"Failed to get job status: {exc}"))
            return self.poll_requeue()
        self.update_job(instance, latest.with_changes(state=status.state, message=job_message(status)))
        yield log("Provision job status", jobID=latest.job_id, state=status.state.value)
        if not status.state.is_terminal:
            return self.poll_requeue()
        if status.state.is_successful:
            if status.reconciled_version:
                instance.status.reconciled_config_version = status.reconciled_version
            return ReconcileResult()
        instance.status.phase = Phase.FAILED
        return ReconcileResult()

    def handle_deprovisioning(self, instance: ComputeInstance) -> Co[ReconcileResult]:
        """§7: trigger when there is no latest deprovision job or its id is empty, else poll it."""
        if self.is_manual(instance):
            yield log("Management state manual, not deprovisioning")
            return ReconcileResult()
        if self.provider is None:  # no "no provider" check in the reference code: a nil interface call
            raise PanicError(NIL_POINTER_PANIC)
        latest = find_latest_job_by_type(instance.status.jobs, JobType.DEPROVISION)
        if latest is None or latest.job_id == "":
            result = yield from self.trigger_deprovision(instance, self.provider)
            if result is not None:
                return result
        if latest is None:  # an action outside the switch falls through with latest nil (§7 step 3)
            raise PanicError(NIL_POINTER_PANIC)
        return (yield from self.poll_deprovision_job(instance, self.provider, latest))

    def trigger_deprovision(self, instance: ComputeInstance,
                            provider: ProvisioningProvider) -> Co[ReconcileResult | None]:
        """§7 step 3; None for an action the switch does not handle (falls through to the poll)."""
        yield log("Triggering deprovision", provider=provider.name())
        try:
            result = yield from provider.trigger_deprovision(instance)
        except GoError as exc:
            rate_limited = errors_as(exc, RateLimitError)
            if rate_limited is not None:
                yield log("Deprovision rate-limited", retry_after_s=rate_limited.retry_after_s)
                return ReconcileResult(requeue_after_s=rate_limited.retry_after_s)
            yield log("Deprovision trigger failed", error=exc)
            return self.poll_requeue()
        if result.action == DeprovisionAction.WAITING:
            self.update_provision_job_from_status(instance, result.provision_job_status)
            yield log("Deprovision waiting")
            return self.poll_requeue()
        if result.action == DeprovisionAction.SKIPPED:
            yield log("Deprovision skipped")
            return ReconcileResult()
        if result.action == DeprovisionAction.TRIGGERED:
            self.update_provision_job_from_status(instance, result.provision_job_status)
            now = yield Now()
            self.append_job(instance, JobRecord(result.job_id, JobType.DEPROVISION, now, JobState.PENDING,
                                                "Deprovisioning job triggered", result.block_deletion_on_failure))
            yield log("Deprovision job triggered", jobID=result.job_id)
            return self.poll_requeue()
        return None

    def update_provision_job_from_status(self, instance: ComputeInstance, status: ProvisionStatus | None) -> None:
        """Overwrite the latest provision job's state and message (plain message, no details)."""
        if status is None:
            return
        latest = find_latest_job_by_type(instance.status.jobs, JobType.PROVISION)
        if latest is None:
            return
        self.update_job(instance, latest.with_changes(state=status.state, message=status.message))

    def poll_deprovision_job(self, instance: ComputeInstance, provider: ProvisioningProvider,
                             latest: JobRecord) -> Co[ReconcileResult]:
        """§7 step 4: Succeeded ⇒ done; Failed/Canceled ⇒ done unless the stored job blocks deletion."""
        try:
            status = yield from provider.get_deprovision_status(instance, latest.job_id)
        except GoError as exc:
            yield log("Deprovision status poll failed", jobID=latest.job_id, error=exc)
            self.update_job(instance, latest.with_changes(message=f"Failed to get job status: {exc}"))
            return self.poll_requeue()
        self.update_job(instance, latest.with_changes(state=status.state, message=job_message(status)))
        yield log("Deprovision job status", jobID=latest.job_id, state=status.state.value)
        if not status.state.is_terminal:
            return self.poll_requeue()
        return self.finished_deprovision(status.state, latest.block_deletion_on_failure)

    def finished_deprovision(self, state: JobState, block_deletion_on_failure: bool) -> ReconcileResult:
        """§7 step 4 on an ended deprovision job: Succeeded ⇒ done; Failed/Canceled ⇒ done unless it blocks
        deletion (then polled again, and the CR stays)."""
        if state.is_successful or not block_deletion_on_failure:
            return ReconcileResult()
        return self.poll_requeue()

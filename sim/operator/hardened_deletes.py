"""What the hardened controller decides of a delete job it cannot see end: from AAP's job API, else from its effects.

The EDA provider sees no job (§10.3): it reports a delete job Running while the `computeinstance-aap` finalizer is
on the CR and Succeeded once the delete playbook's last task has removed it, so a failed delete job would read
Running for ever (F11); the AAP provider answers 404 for an `eda-webhook-N` id (F8) and for a purged job (F7).
These steps record such a job's end as AAP's job API shows it (F14), or, when AAP shows nothing, as its effect on
the finalizer and the bounds tell, blocking the deletion on a failure as an AAP delete failure does (§7 step 4).
"""

from __future__ import annotations

from models.jobs import JobRecord, JobState, find_job_by_id, is_eda_job_id
from models.objects import ComputeInstance
from sim.kernel.effects import Now, ReconcileResult
from sim.operator.hardened_jobs import AAPJobs, Seen
from sim.operator.hardened_launches import aap_finalizer
from sim.operator.hardened_waits import OBSERVED_MESSAGE, OUTCOME_BOUND_S, START_BOUND_S
from sim.operator.provisioning import ProvisioningSteps
from sim.operator.types import Co, ProvisioningProvider

__all__ = ["ENDING_REQUEUE_S", "DeleteSteps"]

FINALIZER_GONE_MESSAGE = "Succeeded: the delete playbook removed the computeinstance-aap finalizer"
FINALIZER_KEPT_MESSAGE = "Failed: AAP purged the job before its end was seen, and the finalizer is still there"
EDA_DELETE_WAIT_MESSAGE = "Waiting for the EDA-launched delete playbook to remove the computeinstance-aap finalizer"
UNLISTED_MESSAGE = ("Failed: AAP lists no job of this delete launch (it never started, or it ended and was purged) and "
                    "the computeinstance-aap finalizer is still there; deletion is blocked for a human to look")
UNSEEN_END_MESSAGE = (f"Failed: the computeinstance-aap finalizer is still there {OUTCOME_BOUND_S:g} s after the "
                      "launch, so the delete playbook did not complete; deletion is blocked for a human to look")


ENDING_REQUEUE_S = 1.0  # a delete job ends as soon as its last task's request is answered: look again soon


class DeleteSteps(ProvisioningSteps):
    """Decides the end of a delete job the provider cannot see, and §7 step 4 on a recorded ending."""

    aap_jobs: AAPJobs  # AAP's job API, read in both provider modes (F14)

    def deprovision_by_finalizer(self, instance: ComputeInstance, latest: JobRecord) -> ReconcileResult:
        """A delete job AAP does not know (purged, or an EDA id): its last task removes `computeinstance-aap`."""
        if not aap_finalizer(instance):
            self.update_job(instance, latest.with_changes(state=JobState.SUCCEEDED, message=FINALIZER_GONE_MESSAGE))
            return ReconcileResult()
        if not is_eda_job_id(latest.job_id):
            self.update_job(instance, latest.with_changes(state=JobState.FAILED, message=FINALIZER_KEPT_MESSAGE))
            return self.finished_deprovision(JobState.FAILED, latest.block_deletion_on_failure)
        self.update_job(instance, latest.with_changes(state=JobState.RUNNING, message=EDA_DELETE_WAIT_MESSAGE))
        return self.poll_requeue()

    def settle_unseen_deprovision(self, instance: ComputeInstance, provider: ProvisioningProvider,
                                  latest: JobRecord, result: ReconcileResult) -> Co[ReconcileResult]:
        """F14, F11: a delete job the provider cannot see that AAP shows failed (or that AAP, readable, does not list
        once a launched job would show, or that outlived the playbook's bound, when AAP shows nothing) is recorded
        Failed and blocks deletion, as an AAP delete failure does."""
        entry = find_job_by_id(instance.status.jobs, latest.job_id)
        unseen = provider.name() == "eda" or is_eda_job_id(latest.job_id)
        if entry is None or entry.state.is_terminal or not unseen:
            return result
        seen = yield from self.aap_jobs.observe(instance, entry)
        if seen.seen is Seen.ENDED and not seen.state.is_successful:
            self.update_job(instance, entry.with_changes(state=seen.state, block_deletion_on_failure=True,
                                                         message=f"{OBSERVED_MESSAGE}: {seen.status}"))
            return self.poll_requeue()
        if seen.seen is Seen.PURGED and aap_finalizer(instance):
            self.update_job(instance, entry.with_changes(state=JobState.FAILED, message=FINALIZER_KEPT_MESSAGE,
                                                         block_deletion_on_failure=True))
            return self.poll_requeue()
        now = yield Now()
        age = now - latest.timestamp
        # Not listed although a launched job shows within START_BOUND_S: it never started, or it ended and AAP purged it
        # (within a poll) — either way it is not running, and the finalizer it would have removed is still there.
        unlisted = seen.seen is Seen.ABSENT and age >= START_BOUND_S and aap_finalizer(instance)
        if seen.seen in (Seen.ENDED, Seen.ACTIVE, Seen.PURGED) or (age < OUTCOME_BOUND_S and not unlisted):
            return result
        self.update_job(instance, entry.with_changes(state=JobState.FAILED, block_deletion_on_failure=True,
                                                     message=UNLISTED_MESSAGE if unlisted else UNSEEN_END_MESSAGE))
        return self.poll_requeue()

    def delete_job_still_running(self, instance: ComputeInstance, latest: JobRecord) -> Co[bool]:
        """F18 (`no-deprovision-during-provision`, swarm seed 63534): whether AAP still lists as running the delete job
        of an EDA entry recorded Succeeded because its finalizer is gone, within the playbook's bound.

        The EDA provider takes the removal of `computeinstance-aap`, the delete playbook's last task, for the job's
        success (§10.3). But the job runs until that task's request is answered, and a patch whose answer is lost
        keeps it running for the client's timeout after the finalizer is gone. Releasing the CR at once lets the
        user re-create the name and the new CR's create job start while the old delete job still runs (a playbook
        acts by name). AAP's job API (F14) tells when it has ended; whatever it shows then (a failed patch step
        included), the finalizer says the deprovisioning was done. Unreadable, absent or purged: not held."""
        entry = find_job_by_id(instance.status.jobs, latest.job_id) or latest
        if not is_eda_job_id(entry.job_id) or entry.state is not JobState.SUCCEEDED or aap_finalizer(instance):
            return False
        now = yield Now()
        if now - entry.timestamp >= OUTCOME_BOUND_S:
            return False
        seen = yield from self.aap_jobs.observe(instance, entry)
        return seen.seen is Seen.ACTIVE

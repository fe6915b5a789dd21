"""What the hardened controller waits for: the effects of a launch whose outcome is unknown, and a provision job's end.

Both waits read the job's effects on the CR (§1): the create playbook adds the `computeinstance-aap`
finalizer as its first task and writes the reconciled-config-version annotation as its last; the delete
playbook removes that finalizer as its last task. Both are bounded, so a launch that never happened or a
job that failed unseen delays the next step by at most the bound instead of stalling it.
"""

from __future__ import annotations

import math

from models.jobs import (
    JobRecord,
    JobState,
    JobType,
    find_latest_job_by_type,
    generate_eda_job_id,
    is_eda_job_id,
    map_aap_status,
)
from models.names import ANNOTATION_RECONCILED_CONFIG_VERSION
from models.objects import ComputeInstance
from sim.kernel.effects import Now, ReconcileResult
from sim.operator.aap import AAPProvider
from sim.operator.base import log
from sim.operator.errors import GoError
from sim.operator.hardened_launches import LaunchMark, Settled, aap_finalizer, applied
from sim.operator.provisioning import ProvisioningSteps
from sim.operator.types import Co, ProvisioningProvider

__all__ = ["OUTCOME_BOUND_S", "START_BOUND_S", "WaitSteps"]

# A launched create job shows within this (its first task adds the finalizer): EDA's launch delay, AAP's queue.
START_BOUND_S = 120.0
# A create or delete playbook has ended by then: its VM wait gives up after 600 s (§1), plus the other tasks.
OUTCOME_BOUND_S = 720.0
ABANDONED_MESSAGE = ("Failed: the answer to this webhook was lost (operator restart or timeout) and its job showed no "
                     "effect on the CR within the bound; sent again")
ADOPTED_MESSAGE = "Adopted: launched before an operator restart or a lost answer, found by its effects on the CR"
LOOKED_UP_MESSAGE = ("Adopted: launched before an operator restart or a lost answer, found in AAP's job list by the "
                     "instance's uid")


class WaitSteps(ProvisioningSteps):
    """Settles launches still in flight from their effects, and holds deprovisioning while a create job may run."""

    def launch_version(self, instance: ComputeInstance, latest: JobRecord) -> str:
        """The config version the latest provision launch carried (from its launch mark; else the best guess)."""
        mark = LaunchMark.read(instance.status, JobType.PROVISION)
        if mark is not None and mark.config_version:
            return mark.config_version
        if latest.state.is_successful:  # a job launched before marks existed: it annotated what it applied
            return instance.metadata.annotations.get(ANNOTATION_RECONCILED_CONFIG_VERSION, "")
        return instance.status.desired_config_version

    @staticmethod
    def evidence_bound_s(instance: ComputeInstance, mark: LaunchMark) -> float:
        """How long a launch may stay unseen: until its first task, or until its end once that is all one can see."""
        return OUTCOME_BOUND_S if aap_finalizer(instance) or mark.aap_finalizer_before else START_BOUND_S

    def look_up_orphan(self, instance: ComputeInstance, mark: LaunchMark) -> Co[bool]:
        """Fixes the F3/F4 remainder: find an in-flight AAP launch's job in AAP's job list and record it by its id.

        The launch payload carries the whole CR, so `extra_vars__icontains=<metadata.uid>` and the template name
        find the jobs of this instance; the newest one not yet recorded and created at or after the launch mark
        is the launch's job. Not found (the launch never arrived, or is still on its way) or the lookup failed:
        False, and the launch is settled from its effects as before.
        """
        provider = self.provider
        if mark.provider != "aap" or not isinstance(provider, AAPProvider) or not instance.metadata.uid:
            return False
        provision = mark.job_type is JobType.PROVISION
        template = provider.provision_template if provision else provider.deprovision_template
        try:
            jobs = yield from provider.client.list_jobs(template, instance.metadata.uid)
        except GoError as exc:
            yield log("Looking up the job of a launch whose answer was lost failed", error=exc)
            return False
        recorded = {entry.job_id for entry in instance.status.jobs}
        for job in jobs:  # newest first
            created = job.created_s
            if str(job.id) in recorded or created is None or created < math.floor(mark.since_s):
                continue
            self.append_job(instance, JobRecord(str(job.id), mark.job_type, mark.since_s, map_aap_status(job.status),
                                                LOOKED_UP_MESSAGE, block_deletion_on_failure=not provision))
            mark.settle(instance.status, Settled.ADOPTED)
            yield log("Recorded the job of a launch whose answer was lost, found in AAP", jobID=job.id,
                      status=job.status)
            return True
        return False

    def adopt_orphan_provision(self, instance: ComputeInstance, mark: LaunchMark) -> Co[bool]:
        """Settle an in-flight provision launch whose job has shown: record it (its id from AAP's job list, or an
        EDA id), or accept it (AAP, no id found)."""
        if (yield from self.look_up_orphan(instance, mark)):
            return True
        done = applied(instance, mark.config_version)
        started = done or (aap_finalizer(instance) and not mark.aap_finalizer_before)
        if mark.recorded_by_us and started:
            state = JobState.SUCCEEDED if done else JobState.RUNNING
            job_id = generate_eda_job_id(instance.status.jobs)
            self.append_job(instance, JobRecord(job_id, JobType.PROVISION, mark.since_s, state, ADOPTED_MESSAGE))
            mark.settle(instance.status, Settled.ADOPTED)
            yield log("Recorded the job of a launch whose record was lost", jobID=job_id, state=state.value)
            return True
        if done:
            mark.settle(instance.status, Settled.UNRECORDABLE)
            yield log("The job of a launch whose record was lost applied the config; AAP gave no id to record",
                      config=mark.config_version)
            return True
        return False

    def settle_orphan_provision(self, instance: ComputeInstance, provider: ProvisioningProvider,
                                mark: LaunchMark) -> Co[ReconcileResult]:
        """An in-flight provision launch: settle it from its job's effects, wait for them, or launch again."""
        if (yield from self.adopt_orphan_provision(instance, mark)):
            return self.poll_requeue()
        now = yield Now()
        if now - mark.since_s < self.evidence_bound_s(instance, mark):
            yield log("Waiting for the effects of a provision launch whose outcome is unknown",
                      since=mark.since_s, config=mark.config_version)
            return self.poll_requeue()
        yield log("No sign of the provision launch within the bound, launching again", since=mark.since_s)
        self.abandon(instance, mark)
        return (yield from self.trigger_provision(instance, provider))

    def settle_orphan_deprovision(self, instance: ComputeInstance, provider: ProvisioningProvider,
                                  mark: LaunchMark) -> Co[ReconcileResult]:
        """An in-flight delete launch: found in AAP ⇒ recorded; its job removed the finalizer ⇒ done; else wait;
        after the bound, again."""
        if (yield from self.look_up_orphan(instance, mark)):
            return self.poll_requeue()
        if mark.aap_finalizer_before and not aap_finalizer(instance):
            if mark.recorded_by_us:
                job_id = generate_eda_job_id(instance.status.jobs)
                self.append_job(instance, JobRecord(job_id, JobType.DEPROVISION, mark.since_s, JobState.SUCCEEDED,
                                                    ADOPTED_MESSAGE))
            mark.settle(instance.status, Settled.ADOPTED if mark.recorded_by_us else Settled.UNRECORDABLE)
            yield log("The delete job of a launch whose record was lost removed the finalizer")
            # An adopted record is persisted before the finalizer goes (which may remove the CR at once).
            return self.poll_requeue() if mark.recorded_by_us else ReconcileResult()
        now = yield Now()
        if now - mark.since_s < OUTCOME_BOUND_S:
            yield log("Waiting for the effects of a deprovision launch whose outcome is unknown", since=mark.since_s)
            return self.poll_requeue()
        yield log("No sign of the deprovision launch within the bound, launching again", since=mark.since_s)
        self.abandon(instance, mark)
        result = yield from self.trigger_deprovision(instance, provider)
        return self.poll_requeue() if result is None else result

    def abandon(self, instance: ComputeInstance, mark: LaunchMark) -> None:
        """Give up on an unseen launch; with EDA (where a record is an invented id) record it as failed first."""
        if mark.recorded_by_us:
            job_id = generate_eda_job_id(instance.status.jobs)
            self.append_job(instance, JobRecord(job_id, mark.job_type, mark.since_s, JobState.FAILED,
                                                ABANDONED_MESSAGE))
        mark.settle(instance.status, Settled.ABANDONED)

    def provision_outcome_unknown(self, instance: ComputeInstance, provider: ProvisioningProvider) -> Co[str]:
        """Why a delete launch must wait for a create job the provider cannot see end; "" when it need not."""
        now = yield Now()
        unseen = yield from self.settle_unseen_launch(instance, now)
        if unseen:
            return unseen
        latest = find_latest_job_by_type(instance.status.jobs, JobType.PROVISION)
        if latest is None or not latest.job_id or latest.state.is_terminal:
            return ""
        if provider.name() == "aap" and not is_eda_job_id(latest.job_id):
            return ""  # the AAP provider polls it and cancels it before launching the delete job (§11.4)
        if applied(instance, self.launch_version(instance, latest)):
            return ""
        age = now - latest.timestamp
        if age >= OUTCOME_BOUND_S or (not aap_finalizer(instance) and age >= START_BOUND_S):
            return ""  # ended by now, or never started (its first task fails on a CR being deleted)
        return f"provision job {latest.job_id} ({latest.state.value}) has not shown its end"

    def settle_unseen_launch(self, instance: ComputeInstance, now: float) -> Co[str]:
        """Before deprovisioning, settle a provision launch still in flight; a reason to wait, or "" if none.

        Settling it records what is known (an adopted or abandoned EDA launch) in this reconcile's status
        write, so deprovisioning waits one round: removing the finalizer may remove the CR before that write.
        """
        mark = LaunchMark.read(instance.status, JobType.PROVISION)
        if mark is None or not mark.in_flight:
            return ""
        if (yield from self.adopt_orphan_provision(instance, mark)):
            return "recording the create job of a launch whose record was lost"
        if now - mark.since_s < self.evidence_bound_s(instance, mark):
            return "a provision launch whose answer was lost may have started a create job"
        self.abandon(instance, mark)
        return "recording a provision launch whose job never showed"

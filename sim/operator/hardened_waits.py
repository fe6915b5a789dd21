"""What the hardened controller waits for: the job of a launch whose outcome is unknown, and a provision job's end.

Both waits first ask AAP's job API (F14, `sim.operator.hardened_jobs`), which shows every job of the
instance whichever provider launched it. When AAP cannot be read they fall back to the job's effects on
the CR (§1): the create playbook adds the `computeinstance-aap` finalizer as its first task and writes the
reconciled-config-version annotation as its last; the delete playbook removes that finalizer as its last
task. Both are bounded, so a launch that never happened or a job that failed unseen delays the next step
by at most the bound instead of stalling it.
"""

from __future__ import annotations

import math

from models.jobs import (
    JobRecord,
    JobState,
    JobType,
    find_job_by_id,
    find_latest_job_by_type,
    generate_eda_job_id,
    is_eda_job_id,
    map_aap_status,
)
from models.names import ANNOTATION_RECONCILED_CONFIG_VERSION
from models.objects import ComputeInstance
from sim.kernel.effects import Now, ReconcileResult
from sim.operator.base import log
from sim.operator.errors import GoError
from sim.operator.hardened_jobs import AAPJobs, Lookup, Observation, Seen
from sim.operator.hardened_launches import REQUEST_TIMEOUT_S, LaunchMark, Settled, aap_finalizer, applied
from sim.operator.provisioning import ProvisioningSteps
from sim.operator.types import Co, ProvisioningProvider

__all__ = ["ABANDONED_DELETING_MESSAGE", "ABANDONED_MESSAGE", "OUTCOME_BOUND_S", "START_BOUND_S",
           "UNSEEN_FAILURE_MESSAGE", "WaitSteps"]

# A launched create job shows within this (its first task adds the finalizer): EDA's launch delay, AAP's queue.
START_BOUND_S = 120.0
# A create or delete playbook has ended by then: its VM wait gives up after 600 s (§1), plus the other tasks.
OUTCOME_BOUND_S = 720.0
ABANDONED_MESSAGE = ("Failed: the answer to this webhook was lost (operator restart or timeout) and its job showed no "
                     "effect on the CR within the bound; sent again")
# The same, found while the CR is being deleted: nothing is sent again (a create webhook for a CR on its way out).
ABANDONED_DELETING_MESSAGE = ("Failed: the answer to this webhook was lost (operator restart or timeout) and its job "
                              "showed no effect on the CR within the bound; not sent again: the CR is being deleted")
ADOPTED_MESSAGE = "Adopted: launched before an operator restart or a lost answer, found by its effects on the CR"
LOOKED_UP_MESSAGE = ("Adopted: launched before an operator restart or a lost answer, found in AAP's job list by the "
                     "instance's uid")
UNSEEN_FAILURE_MESSAGE = (f"Failed: no sign of success {OUTCOME_BOUND_S:g} s after the launch (the create playbook "
                          "gives up waiting for its VM after 600 s); the provider cannot see this job's end")
OBSERVED_MESSAGE = "Seen in AAP's job list (the provider cannot see this job's end)"
LOOKUP_FAILED_REASON = "AAP could not be asked for the create job of a launch whose answer was lost"
NOT_RUNNING_MESSAGE = ("Failed: AAP lists no job of this launch running: it never started, or ended and was purged, "
                       "and its config version was never annotated")


class WaitSteps(ProvisioningSteps):
    """Settles launches still in flight from AAP's job list or their effects, and holds deprovisioning while a
    create job may run."""

    aap_jobs: AAPJobs  # AAP's job API, read in both provider modes (F14)
    # (namespace, name, type) -> the entry of an answered launch whose status write has not gone through yet (F3)
    answered_launches: dict[tuple[str, str, JobType], JobRecord]

    def launch_version(self, instance: ComputeInstance, latest: JobRecord) -> str:
        """The config version the latest provision launch carried (from its launch mark; else the best guess)."""
        mark = LaunchMark.read(instance.status, JobType.PROVISION)
        if mark is not None and mark.config_version:
            return mark.config_version
        if latest.state.is_successful:  # a job launched before marks existed: it annotated what it applied
            return instance.metadata.annotations.get(ANNOTATION_RECONCILED_CONFIG_VERSION, "")
        return instance.status.desired_config_version

    @staticmethod
    def evidence_bound_s(instance: ComputeInstance, mark: LaunchMark, lookup: Lookup) -> float:
        """How long a launch may stay unseen: until its job would be listed in AAP, when AAP answers that none is
        (`lookup` NOT_FOUND); else until its first task, or until its end once that is all one can see."""
        if lookup is Lookup.NOT_FOUND:
            return START_BOUND_S
        return OUTCOME_BOUND_S if aap_finalizer(instance) or mark.aap_finalizer_before else START_BOUND_S

    def look_up_orphan(self, instance: ComputeInstance, mark: LaunchMark) -> Co[Lookup]:
        """Fixes the F3/F4 remainder and F14: find an in-flight launch's job in AAP's job list and record it.

        The launch payload carries the whole CR, so the CR's uid and the type's template name find the jobs of
        this instance, whichever provider launched them (F14: EDA runs its jobs in the same AAP). The newest one
        not yet recorded and created at or after the launch mark is the launch's job: an AAP launch is recorded
        by its AAP id, an EDA launch by an EDA id (the EDA protocol's, which the webhook count relies on).
        A failed lookup is not "not found": the caller asks again instead of settling from effects. A lookup that got
        no answer in time has already been asked again at once (`AAPJobs.read`, as a status poll is), not only on the
        next poll: the job may end meanwhile, and AAP may purge it before a poll interval has passed.
        A launch this process saw answered, whose recording status write failed, needs no lookup: its entry
        is recorded from memory (AAP may have purged the job since, or not list an EDA job yet).
        """
        remembered = self.answered_launches.get((instance.metadata.namespace, instance.metadata.name, mark.job_type))
        if remembered is not None and remembered.timestamp >= math.floor(mark.since_s) \
                and find_job_by_id(instance.status.jobs, remembered.job_id) is None:
            self.append_job(instance, remembered)
            mark.settle(instance.status, Settled.RECORDED)
            yield log("Recorded a launch answered before its status write failed", jobID=remembered.job_id)
            return Lookup.FOUND
        try:
            jobs = yield from self.aap_jobs.created_since(instance, mark.job_type, mark.since_s)
        except GoError as exc:
            yield log("Looking up the job of a launch whose answer was lost failed", error=exc)
            return Lookup.FAILED
        recorded = {entry.job_id for entry in instance.status.jobs}
        unrecorded = [job for job in jobs if str(job.id) not in recorded]  # newest first
        if not unrecorded:
            return Lookup.NOT_FOUND
        # A duplicated EDA delivery runs two jobs for one launch: the entry follows one still running, if any, so
        # that nothing is launched again while it runs (its ended copy would make the entry terminal).
        active = [job for job in unrecorded if not map_aap_status(job.status).is_terminal]
        job = (active or unrecorded)[0]
        job_id = generate_eda_job_id(instance.status.jobs) if mark.recorded_by_us else str(job.id)
        entry = JobRecord(job_id, mark.job_type, mark.since_s, map_aap_status(job.status), LOOKED_UP_MESSAGE,
                          block_deletion_on_failure=mark.job_type is JobType.DEPROVISION)
        self.append_job(instance, entry)
        # Kept in memory like an answered launch's entry until a status write records it: AAP may purge the job
        # before the next lookup if this reconcile's write fails.
        self.answered_launches[(instance.metadata.namespace, instance.metadata.name, mark.job_type)] = entry
        mark.settle(instance.status, Settled.ADOPTED)
        yield log("Recorded the job of a launch whose answer was lost, found in AAP", jobID=job_id,
                  aap=job.id, status=job.status)
        return Lookup.FOUND

    def lookup_pending(self, mark: LaunchMark, lookup: Lookup, now: float) -> bool:
        """A failed lookup is asked again, within the bound, before the launch is settled from its effects."""
        return lookup is Lookup.FAILED and now - mark.since_s < OUTCOME_BOUND_S

    def lookup_requeue(self) -> ReconcileResult:
        """When a failed lookup (a 5xx, or no answer twice) is asked again: sooner than a poll interval, by room for
        another instance's hung request and its re-ask (2 × `REQUEST_TIMEOUT_S`), which the only worker may be waiting
        out when the requeue is due (swarm seed 12959: 38 s between two lookups, AAP purged the job). AAP purges ended
        jobs, and once it has, nothing will ever show this job again."""
        interval = self.status_poll_interval_s
        return ReconcileResult(requeue_after_s=max(interval - 2 * REQUEST_TIMEOUT_S, interval / 3))

    def adopt_orphan_provision(self, instance: ComputeInstance, mark: LaunchMark) -> Co[Lookup]:
        """Settle an in-flight provision launch whose job has shown: FOUND once settled (its job found in AAP's
        list, else from its effects: recorded with an EDA id, or accepted without an AAP id); NOT_FOUND while
        AAP lists no job of it and nothing shows; FAILED while AAP cannot be read (`lookup_pending`: the bound
        allows asking again)."""
        lookup = yield from self.look_up_orphan(instance, mark)
        if lookup is Lookup.FOUND or self.lookup_pending(mark, lookup, (yield Now())):
            return lookup
        done = applied(instance, mark.config_version)
        started = done or (aap_finalizer(instance) and not mark.aap_finalizer_before)
        if mark.recorded_by_us and started:
            state = JobState.SUCCEEDED if done else JobState.RUNNING
            job_id = generate_eda_job_id(instance.status.jobs)
            self.append_job(instance, JobRecord(job_id, JobType.PROVISION, mark.since_s, state, ADOPTED_MESSAGE))
            mark.settle(instance.status, Settled.ADOPTED)
            yield log("Recorded the job of a launch whose record was lost", jobID=job_id, state=state.value)
            return Lookup.FOUND
        if done:
            mark.settle(instance.status, Settled.UNRECORDABLE)
            yield log("The job of a launch whose record was lost applied the config; AAP gave no id to record",
                      config=mark.config_version)
            return Lookup.FOUND
        return lookup

    def settle_orphan_provision(self, instance: ComputeInstance, provider: ProvisioningProvider,
                                mark: LaunchMark) -> Co[ReconcileResult]:
        """An in-flight provision launch: settle it from AAP's job list or its job's effects, wait, or launch again."""
        lookup = yield from self.adopt_orphan_provision(instance, mark)
        now = yield Now()
        if lookup is Lookup.FOUND:
            return self.poll_requeue()
        if self.lookup_pending(mark, lookup, now):
            return self.lookup_requeue()
        if now - mark.since_s < self.evidence_bound_s(instance, mark, lookup):
            yield log("Waiting for the effects of a provision launch whose outcome is unknown",
                      since=mark.since_s, config=mark.config_version)
            return self.poll_requeue()
        yield log("No sign of the provision launch within the bound, launching again", since=mark.since_s)
        self.abandon(instance, mark)
        return (yield from self.trigger_provision(instance, provider))

    def settle_orphan_deprovision(self, instance: ComputeInstance, provider: ProvisioningProvider,
                                  mark: LaunchMark) -> Co[ReconcileResult]:
        """An in-flight delete launch: found in AAP ⇒ recorded; its job removed the finalizer ⇒ done; else wait;
        after the bound, again. While AAP cannot be read it waits (within the bound) rather than settle. The bound
        is the time a launched job takes to show in AAP's list once AAP answers that none is listed (F14, F3/F4),
        the delete playbook's whole run only while AAP cannot tell."""
        lookup = yield from self.look_up_orphan(instance, mark)
        now = yield Now()
        if lookup is Lookup.FOUND:
            return self.poll_requeue()
        if self.lookup_pending(mark, lookup, now):
            yield log("Asking AAP again for the delete job of a launch whose answer was lost", since=mark.since_s)
            return self.lookup_requeue()
        if mark.aap_finalizer_before and not aap_finalizer(instance):
            if mark.recorded_by_us:
                job_id = generate_eda_job_id(instance.status.jobs)
                self.append_job(instance, JobRecord(job_id, JobType.DEPROVISION, mark.since_s, JobState.SUCCEEDED,
                                                    ADOPTED_MESSAGE))
            mark.settle(instance.status, Settled.ADOPTED if mark.recorded_by_us else Settled.UNRECORDABLE)
            yield log("The delete job of a launch whose record was lost removed the finalizer")
            # An adopted record is persisted before the finalizer goes (which may remove the CR at once).
            return self.poll_requeue() if mark.recorded_by_us else ReconcileResult()
        # AAP readable and listing no job of the launch: it shows within START_BOUND_S if it started at all (EDA's
        # launch delay, AAP's queue); only while AAP cannot tell is the delete playbook's whole run waited for.
        bound = START_BOUND_S if lookup is Lookup.NOT_FOUND else OUTCOME_BOUND_S
        if now - mark.since_s < bound:
            yield log("Waiting for the effects of a deprovision launch whose outcome is unknown", since=mark.since_s)
            return self.poll_requeue()
        if not mark.aap_finalizer_before and not aap_finalizer(instance):
            # No create playbook ever started (its first task adds the finalizer): nothing for a delete job to do.
            mark.settle(instance.status, Settled.UNRECORDABLE)
            yield log("No sign of the deprovision launch within the bound, and nothing to deprovision",
                      since=mark.since_s)
            return ReconcileResult()
        yield log("No sign of the deprovision launch within the bound, launching again", since=mark.since_s)
        self.abandon(instance, mark)
        result = yield from self.trigger_deprovision(instance, provider)
        return self.poll_requeue() if result is None else result

    def abandon(self, instance: ComputeInstance, mark: LaunchMark, message: str = ABANDONED_MESSAGE) -> None:
        """Give up on an unseen launch; an EDA provision launch (whose record is an invented id) is recorded Failed,
        with `message` (whether it is sent again).

        An abandoned delete launch is not recorded: a Failed entry without blockDeletionOnFailure would be the
        latest, terminal deprovision job, and §7 step 4 would let the CR go without any delete job having run.
        """
        if mark.recorded_by_us and mark.job_type is JobType.PROVISION:
            job_id = generate_eda_job_id(instance.status.jobs)
            self.append_job(instance, JobRecord(job_id, mark.job_type, mark.since_s, JobState.FAILED, message))
        mark.settle(instance.status, Settled.ABANDONED)

    def provision_outcome_unknown(self, instance: ComputeInstance, provider: ProvisioningProvider) -> Co[str]:
        """Why a delete launch must wait for a create job the provider cannot see end; "" when it need not.

        F14: the job's end is read from AAP's job API; once seen (or once the job is known never to have
        started) it is recorded on the entry. Only when AAP cannot be read do the effects and bounds decide,
        and an entry given up on at the bound is recorded Failed, not left Running for ever.
        """
        now = yield Now()
        unseen = yield from self.settle_unseen_launch(instance, now)
        if unseen:
            return unseen
        latest = find_latest_job_by_type(instance.status.jobs, JobType.PROVISION)
        if latest is None or not latest.job_id or latest.state.is_terminal:
            return ""
        if provider.name() == "aap" and not is_eda_job_id(latest.job_id):
            return ""  # the AAP provider polls it and cancels it before launching the delete job (§11.4)
        seen = yield from self.aap_jobs.observe(instance, latest)
        return self.provision_end_unseen(instance, latest, seen, now)

    def provision_end_unseen(self, instance: ComputeInstance, latest: JobRecord, seen: Observation,
                             now: float) -> str:
        """Why a create job (the latest provision entry, not yet ended, as AAP showed it: `seen`) may still run; ""
        when it cannot. An end AAP shows, or one its absence or the bounds tell, is recorded on the entry."""
        if seen.seen is Seen.ACTIVE:  # even once annotated: the annotation is its last task, not its end
            return f"provision job {latest.job_id} ({latest.state.value}) is still {seen.status} in AAP"
        if seen.seen is Seen.ENDED:
            self.update_job(instance, latest.with_changes(state=seen.state,
                                                          message=f"{OBSERVED_MESSAGE}: {seen.status}"))
            return ""
        age = now - latest.timestamp
        if applied(instance, self.launch_version(instance, latest)):
            # The annotation is the create playbook's last task, not its end (the job fails if the answer to that
            # patch times out): while AAP merely failed to answer, it is asked again (within the bound) first.
            if seen.seen is not Seen.UNREADABLE or age >= OUTCOME_BOUND_S:
                return ""
            return f"provision job {latest.job_id} ({latest.state.value}) annotated its config, its end is unseen"
        if seen.seen is Seen.ABSENT and age < START_BOUND_S:
            return f"provision job {latest.job_id} ({latest.state.value}) is not listed in AAP yet"
        if seen.seen is not Seen.UNREADABLE:  # purged, or no job listed long after the launch: not running
            self.update_job(instance, latest.with_changes(state=JobState.FAILED, message=NOT_RUNNING_MESSAGE))
            return ""
        if age >= OUTCOME_BOUND_S or (not aap_finalizer(instance) and age >= START_BOUND_S):
            # ended by now, or never started (its first task fails on a CR being deleted)
            self.update_job(instance, latest.with_changes(state=JobState.FAILED, message=UNSEEN_FAILURE_MESSAGE))
            return ""
        return f"provision job {latest.job_id} ({latest.state.value}) has not shown its end"

    def manual_removal_waits(self, instance: ComputeInstance, seen: Observation | None) -> Co[str]:
        """Fixes `no-leak-on-removal` under `manual` (F17; swarm seeds 26020, 27712, 34158, 39257): why the base
        finalizer stays while a create job of the instance may still run; "" once none can (then it goes, §2.6).

        §2.6 removes the base finalizer at once under `manual`, without deprovisioning; a create job launched just
        before (pending in AAP, or a webhook EDA has not acted on yet) then runs for a vanished CR, or, once the name
        is re-created, for the new object (its finalizer, its VM). Hands off still (no launch, no cancel): only AAP's
        job list is read, as `seen` (what `watch_provision_end` read of the latest provision entry) and through the
        launch-mark lookup. The waits and bounds are the managed delete's before its delete launch
        (`settle_unseen_launch`, `provision_end_unseen`): a job listed and not ended is waited for; one not listed
        yet, until a launched job would show (`START_BOUND_S`); while AAP cannot be read, until the same bounds. Then
        the base finalizer goes (any other stays, §2.6). While it is held, a job that starts fails at its first task
        (no new finalizer on a CR being deleted), so the wait ends with the job.
        """
        now = yield Now()
        unseen = yield from self.settle_unseen_launch(instance, now)
        if unseen:
            return unseen
        latest = find_latest_job_by_type(instance.status.jobs, JobType.PROVISION)
        if seen is None or latest is None or latest.state.is_terminal:  # an end `seen` showed is recorded already
            return ""
        return self.provision_end_unseen(instance, latest, seen, now)

    def waiting_requeue(self, reason: str) -> ReconcileResult:
        """When a wait for a create job asks again: a failed lookup sooner (`lookup_requeue`), else a poll later."""
        return self.lookup_requeue() if reason == LOOKUP_FAILED_REASON else self.poll_requeue()

    def settle_unseen_launch(self, instance: ComputeInstance, now: float) -> Co[str]:
        """Before deprovisioning, settle a provision launch still in flight; a reason to wait, or "" if none.

        Settling it records what is known (an adopted or abandoned EDA launch) in this reconcile's status
        write, so deprovisioning waits one round: removing the finalizer may remove the CR before that write.
        """
        mark = LaunchMark.read(instance.status, JobType.PROVISION)
        if mark is None or not mark.in_flight:
            return ""
        lookup = yield from self.adopt_orphan_provision(instance, mark)
        if lookup is Lookup.FOUND:
            return "recording the create job of a launch whose record was lost"
        if self.lookup_pending(mark, lookup, now):
            return LOOKUP_FAILED_REASON
        if now - mark.since_s < self.evidence_bound_s(instance, mark, lookup):
            return "a provision launch whose answer was lost may have started a create job"
        self.abandon(instance, mark, ABANDONED_DELETING_MESSAGE)
        return "recording a provision launch whose job never showed"

"""The hardened ComputeInstance reconciler: the reference design with the fewest overrides that fix its findings.

Each override names the finding it fixes (the F-numbers of docs/findings.md) and calls the reference
method for everything the finding does not touch. Helpers that are not overrides live in
`sim.operator.hardened_launches` (launch marks, effects of a job on the CR, provider answers),
`sim.operator.hardened_waits` (what a launch or a deletion must wait for), `sim.operator.hardened_deletes`
(the end of a delete job the provider cannot see) and `sim.operator.hardened_jobs` (AAP's job API).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from models.jobs import JobRecord, JobState, JobType, find_job_by_id, find_latest_job_by_type, is_eda_job_id
from models.names import FINALIZER_COMPUTE_INSTANCE, KIND_COMPUTE_INSTANCE
from models.objects import ComputeInstance, ComputeInstanceStatus, GenericObject, Phase
from sim.kernel.effects import CachedGet, Now, ReconcileResult, Sleep, UncachedGet, UpdateStatus
from sim.kernel.errors import ApiTimeout, Conflict, NotFound, ServerError
from sim.operator.aap_client import is_not_found
from sim.operator.base import log
from sim.operator.config import OperatorConfig
from sim.operator.eda import EDAProvider
from sim.operator.errors import errors_as
from sim.operator.hardened_deletes import ENDING_REQUEUE_S, DeleteSteps
from sim.operator.hardened_jobs import AAPJobs, Lookup, Observation, Seen
from sim.operator.hardened_launches import (
    REASON_IN_FLIGHT,
    Answer,
    Answered,
    LaunchMark,
    SeenEnds,
    Settled,
    aap_finalizer,
    applied,
    ask,
    drive,
)
from sim.operator.hardened_waits import OBSERVED_MESSAGE, OUTCOME_BOUND_S, UNSEEN_FAILURE_MESSAGE, WaitSteps
from sim.operator.reconciler import ComputeInstanceReconciler
from sim.operator.types import Co, DeprovisionResult, ProvisioningProvider, ProvisionStatus, RateLimitError

__all__ = ["HardenedComputeInstanceReconciler"]

STALE_CACHE_REQUEUE_S = 1.0  # the watch event of the newer version usually brings the key back sooner
STATUS_WRITE_ATTEMPTS = 8  # retry-on-conflict, and on 5xx and timeouts too, with doubling delays
STATUS_WRITE_MAX_DELAY_S = 1.0
APPLIED_MESSAGE = "Succeeded: the create playbook annotated the config version this job was launched with"
PURGED_MESSAGE = "Failed: AAP purged the job before its end was seen, and its config version was never annotated"
MANUAL_SEEN_MESSAGE = "Seen in AAP while the instance is managed by hand (the operator reads, does not act)"


class HardenedComputeInstanceReconciler(DeleteSteps, WaitSteps, ComputeInstanceReconciler):
    """The reference reconciler with twelve overrides, each fixing findings of the simulator (docs/findings.md)."""

    name = "hardened"

    def __init__(self, config: OperatorConfig, *, jitter: Callable[[], float] | None = None) -> None:
        """F14: AAP's job API is read in both provider modes, through a read-only client of its own.

        EDA gives no job id and no status (§10.3), but it runs its jobs in the same AAP, with the CR as
        payload. The operator is given AAP's URL, a read token and the template names in EDA mode too (a
        deployment requirement), so it can see the end of any job of an instance and find the job of a
        launch whose answer was lost, whichever provider is configured now or was when the job started.
        """
        super().__init__(config, jitter=jitter)
        self.aap_jobs = AAPJobs.from_config(config)
        self.answered_launches = {}
        self.reconciled_uids: dict[tuple[str, str], str] = {}  # F15: the uid each running reconcile started from
        self.seen_ends = SeenEnds()  # F7: job ends polls showed, until a status write records them

    # -- the whole reconcile ----------------------------------------------------------------------------
    def reconcile(self, namespace: str, name: str) -> Co[ReconcileResult]:
        """Fixes F1 (stale-cache double launch): decide only from a cached copy as new as the API server's.

        The reference decides from the informer cache (§1, §3), which lags its own status writes: a key
        marked dirty during a reconcile runs again before the cache holds the write that recorded a launch,
        sees no job and launches a second one, and its whole-status write then drops the first entry.
        One uncached Get per reconcile compares resourceVersions; a stale cache means "come back when
        the watch event of the newer version arrives" (which re-enqueues the key). Minimal: the reference
        reconcile runs unchanged once the cache has caught up.
        """
        try:
            cached: ComputeInstance = yield CachedGet(KIND_COMPUTE_INSTANCE, namespace, name, read_only=True)
            stored: ComputeInstance = yield UncachedGet(KIND_COMPUTE_INSTANCE, namespace, name)
        except NotFound:  # not in the cache (the reference Get ends there too), or gone from the server
            return ReconcileResult()
        if cached.metadata.resource_version != stored.metadata.resource_version:
            yield log("Cache behind the API server, deciding once it has caught up",
                      cached=cached.metadata.resource_version, stored=stored.metadata.resource_version)
            return ReconcileResult(requeue_after_s=STALE_CACHE_REQUEUE_S)
        self.reconciled_uids[(namespace, name)] = stored.metadata.uid  # F15: whose status this reconcile computes
        try:
            result = yield from super().reconcile(namespace, name)
        except (Conflict, ServerError, ApiTimeout):
            if not any((namespace, name, job_type) in self.answered_launches for job_type in JobType):
                raise
            # F3: a launch recorded only in memory is written again soon, not after the error back-off (which
            # grows with every failure of the key: a crash meanwhile would lose the launch's id).
            yield log("The status write recording a launch failed, recording it again shortly")
            return ReconcileResult(requeue_after_s=STALE_CACHE_REQUEUE_S)
        finally:
            del self.reconciled_uids[(namespace, name)]  # set again by the key's next reconcile, before any write
        self.forget_answered_launches(namespace, name)  # its status write, if it needed one, went through
        self.seen_ends.forget(namespace, name)
        return result

    def update_status_with_retry(self, namespace: str, name: str, new_status: ComputeInstanceStatus) -> Co[None]:
        """Fixes F3 (a launch lost with its status write) and F1's lost update: re-read uncached, retry faults.

        The reference re-reads from the cache (so a lagging cache burns its five attempts on Conflicts)
        and gives up at once on a 5xx or a timeout (§3) — losing the only record of a job it has just
        launched. Reading the API server directly and retrying transient faults with doubling delays keeps
        the record; the write still replaces the whole status, which is safe once F1's check guarantees the
        status was computed from the stored version.

        Fixes F15 (a removed object's status written onto its same-name successor): the re-read is by name, so
        once the object is removed (its finalizer-removal answer lost, §3 step 5 writes status after the error)
        and re-created, it finds the successor. A status is written only onto the object (uid) it was computed
        for; the successor's status is its own reconcile's business.
        """
        uid = self.reconciled_uids.get((namespace, name))
        for attempt in range(1, STATUS_WRITE_ATTEMPTS + 1):
            try:
                latest: ComputeInstance = yield UncachedGet(KIND_COMPUTE_INSTANCE, namespace, name)
                if uid is not None and latest.metadata.uid != uid:
                    # F15: the object this status was computed for is gone; a successor has its name.
                    yield log("Status not written: the object was removed and re-created under its name",
                              uid=uid, successor=latest.metadata.uid)
                    return
                latest.status = new_status.copy()
                yield UpdateStatus(latest)
                return
            except (Conflict, ServerError, ApiTimeout):
                if attempt == STATUS_WRITE_ATTEMPTS:
                    raise
                yield log("Status update failed, retrying", attempt=attempt)
                yield Sleep(min(STATUS_WRITE_MAX_DELAY_S, self.retry_delay_s() * 2 ** (attempt - 1)))

    # -- the tenant dependency --------------------------------------------------------------------------
    def handle_update(self, instance: ComputeInstance) -> Co[ReconcileResult]:
        """Fixes F19 (`jobs-recorded`, swarm seeds 73586, 73736): a provision launch in flight is looked up in AAP's
        job list even when the reconcile ends before provisioning.

        §4 step 4 ends the reconcile without a requeue while the Tenant is not Ready (§2.8). A launch whose record was
        lost (the operator crashed during the status write that would have recorded it) is settled only on the way
        to provisioning (`settle_orphan_provision`). So while the Tenant is not Ready nobody asks AAP for its job, and
        AAP may purge the job, its end with it, before the Tenant is Ready: it is never recorded. Here, when the
        reconcile ends with nothing to requeue and such a launch is in flight, its job is looked up and recorded if
        listed (as under `manual`: never launched again from here), and the reconcile comes back while the job may
        still show: a poll interval later, sooner after a failed lookup. Everything else is the reference's.
        """
        result = yield from super().handle_update(instance)
        mark = LaunchMark.read(instance.status, JobType.PROVISION)
        if result != ReconcileResult() or mark is None or not mark.in_flight or self.provider is None:
            return result
        yield log("Looking up a provision launch in flight before the reconcile ends", since=mark.since_s)
        lookup = yield from self.record_orphan_only(instance, mark)
        now = yield Now()
        if lookup is Lookup.FOUND:
            return result
        if self.lookup_pending(mark, lookup, now):
            return self.lookup_requeue()
        return self.poll_requeue() if now - mark.since_s < self.evidence_bound_s(instance, mark, lookup) else result

    def ensure_tenant(self, instance: ComputeInstance) -> Co[GenericObject | None]:
        """Fixes F16 (a CI that does not own a re-created Tenant waits for it and is never woken).

        The reference adds the CI's owner reference only on the "absent" path (§2.8, §4 step 4) and returns
        without a requeue while the Tenant is not Ready, relying on the owner-based Tenant watch (§1, §13). A
        Tenant found by its name may be a same-name replacement (the old one terminated while another CI
        re-created it) that this CI does not own: nothing would wake it. Here the reference's CreateOrUpdate
        runs on every reconcile that finds the Tenant, before the Ready check: it adds the missing owner
        reference (so the watch wakes this CI, and the Tenant is not collected while it is used) and writes
        nothing when the reference is there. The absent path is the reference's.
        """
        try:
            yield from self.get_tenant(instance)
        except NotFound:
            return (yield from super().ensure_tenant(instance))
        tenant = yield from self.create_or_update_tenant(instance)
        return (yield from self.ready_tenant(tenant))

    # -- provisioning -----------------------------------------------------------------------------------
    def handle_provisioning(self, instance: ComputeInstance) -> Co[ReconcileResult]:
        """Fixes F6 (a spec change never gets a new job), F9 (a terminal job re-polled to Unknown), F3/F4 (orphans).

        §5 triggers only when there is no provision job: once one has an id it is polled forever, whatever
        the spec, and the EDA provider answers Unknown even for a job AAP reported Succeeded. Here a job whose
        ending is recorded is never polled again; if the spec's config version differs from the one that job
        was launched with, a new job is launched. A launch whose outcome is unknown (still in flight after a
        restart or a lost answer) is settled first, from AAP's job list (F14) or its effects; under `manual`
        it is only recorded if found, never launched again. Everything else is the reference's.
        """
        mark = LaunchMark.read(instance.status, JobType.PROVISION)
        if self.is_manual(instance) or self.provider is None:
            yield from self.record_orphan_only(instance, mark)
            seen = yield from self.watch_provision_end(instance)
            result = yield from super().handle_provisioning(instance)
            running = seen is not None and seen.seen in (Seen.ACTIVE, Seen.UNREADABLE)
            return self.poll_requeue() if running else result
        if mark is not None and mark.in_flight:
            return (yield from self.settle_orphan_provision(instance, self.provider, mark))
        if mark is not None and mark.abandoned:
            # F3/F4: the launch sent in place of an abandoned one never went out (its write-ahead failed): the Failed
            # entry of the abandoned EDA launch is no outcome of this spec, so it is sent now.
            yield log("The launch replacing an abandoned one was never sent, sending it", since=mark.since_s)
            return (yield from self.trigger_provision(instance, self.provider))
        latest = find_latest_job_by_type(instance.status.jobs, JobType.PROVISION)
        if latest is not None and latest.job_id and latest.state.is_terminal:
            return (yield from self.after_finished_provision(instance, self.provider, latest))
        return (yield from super().handle_provisioning(instance))

    def handle_configuration_applied(self, instance: ComputeInstance) -> Co[ReconcileResult]:
        """Fixes F3 when the unrecorded job ended before the restarted operator looked: settle it from its effects.

        With the config already applied the reference only polls a recorded, non-terminal job (§4 step 9),
        so a launch still in flight would never be looked at (an EDA job never recorded). Minimal: the
        reference step runs first; the in-flight launch is settled only if it did not get there (under
        `manual`, only recorded if found).
        """
        latest = find_latest_job_by_type(instance.status.jobs, JobType.PROVISION)
        result = yield from super().handle_configuration_applied(instance)
        mark = LaunchMark.read(instance.status, JobType.PROVISION)
        polled = latest is not None and not latest.state.is_terminal
        if polled or mark is None or not mark.in_flight or self.provider is None:
            return result
        if self.is_manual(instance):
            yield from self.record_orphan_only(instance, mark)
            return result
        return (yield from self.settle_orphan_provision(instance, self.provider, mark))

    def trigger_provision(self, instance: ComputeInstance, provider: ProvisioningProvider) -> Co[ReconcileResult]:
        """Fixes F3 (crash between launch and record), F4 (timed-out launch recorded as failed) and F5 (rate window).

        The reference records a launch only in the status write after it, and records a launch whose answer
        timed out as a failed trigger (id ""), which the next reconcile triggers again. Here the launch is
        marked in flight (persisted) right before the request goes out; an unanswered launch leaves the mark
        in flight for `settle_orphan_provision`; any other answer goes to the reference handling unchanged.
        A rate-limited webhook requeues after the time left in the window, not the time elapsed (§10.1).
        Fixes F12 too: no trigger lands in the same whole second as the latest entry of its type, whose
        timestamp would tie with it (§8: ties go to the older entry, so a failed trigger stays "latest").
        """
        hold = yield from self.same_second_hold_s(instance, JobType.PROVISION)
        if hold > 0:
            return ReconcileResult(requeue_after_s=hold)
        answer = yield from drive(provider.trigger_provision(instance),
                                  lambda: self.write_launch_mark(instance, JobType.PROVISION),
                                  webhooks=isinstance(provider, EDAProvider))
        if answer.unanswered:
            return (yield from self.launch_unanswered(instance, JobType.PROVISION, answer))
        self.settle_launch_mark(instance, JobType.PROVISION, answer)
        result = yield from super().trigger_provision(instance, Answered(provider, answer))
        self.remember_answered_launch(instance, JobType.PROVISION, answer)
        return self.rate_window_left(result, answer)

    def poll_provision_job(self, instance: ComputeInstance, provider: ProvisioningProvider,
                           latest: JobRecord) -> Co[ReconcileResult]:
        """Fixes F7 (a purged provision job answers 404 forever), F9 and F14 (the provider cannot see a job's end).

        When the provider cannot tell the job's state — the EDA provider answers Unknown for any id, the AAP
        provider 404 for an EDA id — AAP's job API is asked (F14) and an end seen there is recorded as AAP's
        would be. Failing that (AAP unreadable, the job not listed, or purged: a 404) the job's last effect
        decides: the reconciled-config-version annotation carrying the config it was launched with means it
        succeeded; a purged AAP job without it failed, and so did one still unseen after the create
        playbook's own bound (`OUTCOME_BOUND_S`). While AAP only failed to answer, nothing is inferred within that
        bound: the annotation is the create playbook's last task, not its end (the job fails when the answer to
        that patch times out), and a recorded ending is final (AAP, asked again, could show another).
        Otherwise the answer goes to the reference handling unchanged. An end a poll of this process showed answers a
        404 (the job purged after the status write recording that end failed).
        """
        polled = yield from ask(lambda: provider.get_provision_status(instance, latest.job_id))
        answer = self.seen_ends.through(instance, latest.job_id, polled)
        not_found = is_not_found(answer.error)
        hidden = provider.name() == "eda" and answer.value is not None and answer.value.state is JobState.UNKNOWN
        purged = not_found and latest.job_id.isdigit()  # AAP purges only jobs that have ended
        unreadable = False
        if hidden or (not_found and is_eda_job_id(latest.job_id)):
            seen = yield from self.aap_jobs.observe(instance, latest)
            if seen.seen is Seen.ENDED:
                observed = ProvisionStatus(latest.job_id, seen.state, f"{OBSERVED_MESSAGE}: {seen.status}")
                return (yield from super().poll_provision_job(instance, Answered(provider, Answer(observed)), latest))
            if seen.seen is Seen.ACTIVE:
                hidden = not_found = False
            purged = purged or seen.seen is Seen.PURGED
            unreadable = seen.seen is Seen.UNREADABLE
        if hidden or not_found:
            inferred = self.infer_provision_end(instance, latest, purged, unreadable, (yield Now()))
            if inferred is not None:
                return inferred
        return (yield from super().poll_provision_job(instance, Answered(provider, answer), latest))

    # -- deprovisioning ---------------------------------------------------------------------------------
    def handle_delete(self, instance: ComputeInstance) -> Co[ReconcileResult]:
        """Fixes F13 (a deletion handed to a human under `manual` stays stuck once `manual` is cleared).

        Under `manual` the reference removes its base finalizer without deprovisioning (§2.6); the CR then
        waits for the create playbook's `computeinstance-aap` finalizer, which only a delete playbook removes,
        and §6 step 2 never deprovisions an object without the base finalizer. Once the CR is managed again
        and still held by that finalizer, the hardened controller deprovisions it (there is no base finalizer
        left to remove: the delete playbook's removal of its own lets the API server delete the object).
        """
        if FINALIZER_COMPUTE_INSTANCE in instance.metadata.finalizers or self.is_manual(instance) \
                or not aap_finalizer(instance):
            return (yield from super().handle_delete(instance))
        instance.status.phase = Phase.DELETING
        yield log("Deprovisioning a CR whose base finalizer was removed under manual management")
        return (yield from self.handle_deprovisioning(instance))

    def handle_deprovisioning(self, instance: ComputeInstance) -> Co[ReconcileResult]:
        """Fixes F2 (EDA delete webhook while the create job runs), F3/F4 for the delete launch, and F17.

        The reference sends the delete webhook at once (EDA cannot cancel, §10.3), or skips deprovisioning
        and lets the CR go while the create job still runs; the AAP provider does the same for an EDA-launched
        provision job once the phase is Deleting (§11.4). Here, before any delete launch, a provision job
        whose end the provider cannot see is waited for (`provision_outcome_unknown`), and a delete launch
        still in flight is settled from its effects. F14: once a delete job is recorded, nobody polls the
        provision job again (§7), so an end of it still unrecorded is read from AAP's job API.
        F17 (`no-leak-on-removal`, swarm seeds 26020, 27712, 34158, 39257): under `manual` §2.6 removes the base
        finalizer at once, without deprovisioning; here it stays while a create job of the instance may still run
        (`manual_removal_waits`: only AAP's job list is read), so the CR does not go before its create job.
        Everything else is the reference's.
        """
        if self.is_manual(instance) or self.provider is None:
            before = instance.status.copy()  # read only: the base finalizer goes once this is recorded
            seen = yield from self.watch_provision_end(instance)
            mark = LaunchMark.read(instance.status, JobType.DEPROVISION)
            lookup = yield from self.record_orphan_only(instance, mark)
            running = (yield from self.manual_removal_waits(instance, seen)) if self.is_manual(instance) else ""
            if instance.status != before:  # the finalizer-removal Update would replace it with the stored status (§3)
                yield log("Recording what AAP shows before the base finalizer goes")
                return ReconcileResult(requeue_after_s=STALE_CACHE_REQUEUE_S)
            if mark is not None and self.lookup_pending(mark, lookup, (yield Now())):
                # The delete job of a launch in flight may remove the last finalizer with the CR: AAP is asked again
                # for it (within the bound) before the base finalizer goes, or it would never be recorded.
                yield log("Asking AAP again for the delete job of a launch in flight before the base finalizer goes")
                return self.lookup_requeue()
            if running:
                # no-leak-on-removal (F17): the CR would go while its create job may still run and create a VM.
                yield log("Not removing the base finalizer under manual yet: a create job may still run",
                          reason=running)
                return self.waiting_requeue(running)
            return (yield from super().handle_deprovisioning(instance))
        latest = find_latest_job_by_type(instance.status.jobs, JobType.DEPROVISION)
        if latest is None or latest.job_id == "":
            mark = LaunchMark.read(instance.status, JobType.DEPROVISION)
            if mark is not None and mark.in_flight:
                return (yield from self.settle_orphan_deprovision(instance, self.provider, mark))
            if mark is not None and mark.done_unrecorded:
                return ReconcileResult()  # an unrecorded delete job removed the finalizer: deprovisioned
            reason = yield from self.provision_outcome_unknown(instance, self.provider)
            if reason:
                yield log("Not deprovisioning yet: the provision job may still run", reason=reason)
                return self.waiting_requeue(reason)
        else:
            yield from self.record_provision_end(instance)
        return (yield from super().handle_deprovisioning(instance))

    def trigger_deprovision(self, instance: ComputeInstance,
                            provider: ProvisioningProvider) -> Co[ReconcileResult | None]:
        """Fixes F3/F4 for deprovisioning (a second delete job after a crash or a timed-out launch) and F5.

        The same write-ahead launch mark as `trigger_provision`, written only when a delete launch request
        actually goes out (not while the AAP provider waits for a cancel, nor when EDA skips). With it goes the
        provision job's end (F14): the AAP provider's readiness check has just read it (§11.4), but an unanswered
        or failed launch drops what it read with the rest of the answer, and a 404 there records nothing. So the
        end that read showed is kept: written with the launch mark, and recorded when the launch fails or goes
        unanswered (AAP may purge the job before anyone asks again).
        """
        hold = yield from self.same_second_hold_s(instance, JobType.DEPROVISION)
        if hold > 0:
            return ReconcileResult(requeue_after_s=hold)
        answer: Answer[DeprovisionResult] = Answer()
        yield from drive(provider.trigger_deprovision(instance), lambda: self.before_delete_launch(instance, answer),
                         answer, lambda: self.keep_provision_end(instance, answer),
                         webhooks=isinstance(provider, EDAProvider))
        if answer.error is not None or answer.unanswered:
            yield from self.record_provision_end(instance, answer.reads, ask=False)
        if answer.unanswered:
            return (yield from self.launch_unanswered(instance, JobType.DEPROVISION, answer))
        self.settle_launch_mark(instance, JobType.DEPROVISION, answer)
        result = yield from super().trigger_deprovision(instance, Answered(provider, answer))
        self.remember_answered_launch(instance, JobType.DEPROVISION, answer)
        return None if result is None else self.rate_window_left(result, answer)

    def poll_deprovision_job(self, instance: ComputeInstance, provider: ProvisioningProvider,
                             latest: JobRecord) -> Co[ReconcileResult]:
        """Fixes F7 (purged delete job: 404 keeps the CR Deleting), F8 (AAP polling an EDA id), F11 and F14.

        A recorded ending is not polled again. A 404 is decided by the delete playbook's last effect, the
        removal of the `computeinstance-aap` finalizer (the EDA provider's own protocol, §10.3). A delete
        job whose end the provider cannot see (F11: EDA never reports a failure) is looked at in AAP's job
        API (F14): a failed or canceled one is recorded so at once, with blockDeletionOnFailure, as AAP's
        would be. Only when AAP shows nothing is it given the playbook's own bound (`OUTCOME_BOUND_S`). An end a
        poll of this process showed answers a 404 (the job purged after the status write recording that end failed).
        F18: a success read from the finalizer releases the CR only once AAP no longer lists the job running.
        """
        if latest.state.is_terminal:
            result = self.finished_deprovision(latest.state, latest.block_deletion_on_failure)
        else:
            polled = yield from ask(lambda: provider.get_deprovision_status(instance, latest.job_id))
            answer = self.seen_ends.through(instance, latest.job_id, polled)
            if is_not_found(answer.error):
                result = self.deprovision_by_finalizer(instance, latest)
            else:
                result = yield from super().poll_deprovision_job(instance, Answered(provider, answer), latest)
            result = yield from self.settle_unseen_deprovision(instance, provider, latest, result)
        if result == ReconcileResult() and (yield from self.delete_job_still_running(instance, latest)):
            # F18: the CR would go, and its name be free, while the delete job that removed its finalizer still runs.
            yield log("The delete playbook removed the finalizer, but AAP lists its job running: keeping the base "
                      "finalizer until it ends", jobID=latest.job_id)
            return ReconcileResult(requeue_after_s=ENDING_REQUEUE_S)
        return result

    # -- helpers (not overrides) ------------------------------------------------------------------------
    def launch_unanswered(self, instance: ComputeInstance, job_type: JobType,
                          answer: Answer[Any]) -> Co[ReconcileResult]:
        """F3/F4: a launch got no answer, so its job may exist: look it up at once, else wait for its effects."""
        yield log(f"{job_type.value.capitalize()} launch unanswered: its job may exist, waiting for its effects",
                  error=answer.error)
        lookup = yield from self.look_up_unanswered(instance, job_type)
        return self.lookup_requeue() if lookup is Lookup.FAILED else self.poll_requeue()

    def before_delete_launch(self, instance: ComputeInstance, answer: Answer[Any]) -> Co[None]:
        """Right before a delete launch goes out: the provision job's end, and the launch mark, in one status write."""
        yield from self.record_provision_end(instance, answer.reads)
        yield from self.write_launch_mark(instance, JobType.DEPROVISION)

    def record_provision_end(self, instance: ComputeInstance, reads: Mapping[str, Any] | None = None, *,
                             ask: bool = True) -> Co[None]:
        """F14: a provision entry left unended when the delete job is launched gets the end AAP shows; a purged
        AAP job (AAP purges only ended jobs) the end its effects show, as `poll_provision_job` would record.

        What the provider's readiness check read of the job in this reconcile (`reads`) is used first; AAP is
        asked only if it read nothing (and `ask`)."""
        latest = find_latest_job_by_type(instance.status.jobs, JobType.PROVISION)
        if latest is None or not latest.job_id or latest.state.is_terminal:
            return
        seen = AAPJobs.seen_in(reads or {}, latest)
        read = seen is not None  # the provider's own poll: its raw status is the message, as the reference writes
        if seen is None:
            if not ask:
                return
            seen = yield from self.aap_jobs.observe(instance, latest)
        if seen.seen is Seen.ENDED:
            self.update_job(instance, latest.with_changes(
                state=seen.state, message=seen.status if read else f"{OBSERVED_MESSAGE}: {seen.status}"))
        elif seen.seen is Seen.PURGED:
            done = applied(instance, self.launch_version(instance, latest))
            self.update_job(instance, latest.with_changes(state=JobState.SUCCEEDED if done else JobState.FAILED,
                                                          message=APPLIED_MESSAGE if done else PURGED_MESSAGE))

    def watch_provision_end(self, instance: ComputeInstance) -> Co[Observation | None]:
        """F14 under `manual` (hands off: no launch, no cancel): the end AAP shows of the latest provision job is
        still recorded, or AAP may purge it before the instance is given back. What AAP showed of it (None: there is
        no such job not yet ended); the caller requeues while it runs.

        Only reads; nothing is inferred from effects here (the managed reconcile does that once AAP cannot tell;
        a deletion under `manual` does it in `manual_removal_waits`).
        """
        latest = find_latest_job_by_type(instance.status.jobs, JobType.PROVISION)
        if latest is None or not latest.job_id or latest.state.is_terminal:
            return None
        seen = yield from self.aap_jobs.observe(instance, latest)
        if seen.seen is Seen.ENDED:
            self.update_job(instance, latest.with_changes(state=seen.state, message=f"{MANUAL_SEEN_MESSAGE}: "
                                                                                    f"{seen.status}"))
        return seen

    def record_orphan_only(self, instance: ComputeInstance, mark: LaunchMark | None) -> Co[Lookup]:
        """Under `manual` (or without a provider) a launch in flight is recorded if its job shows, nothing more.

        A delete job too (read only, from AAP's list): AAP may purge it before the instance is given back, and the
        managed reconcile would then find no trace of it and launch another."""
        if mark is None or not mark.in_flight or self.provider is None:
            return Lookup.NOT_FOUND
        if mark.job_type is JobType.PROVISION:
            return (yield from self.adopt_orphan_provision(instance, mark))
        return (yield from self.look_up_orphan(instance, mark))

    def look_up_unanswered(self, instance: ComputeInstance, job_type: JobType) -> Co[Lookup | None]:
        """F3/F4: the job of a launch whose answer timed out is looked up in AAP's list at once, not a poll interval
        later: AAP may purge it before then (the worker may be held by other keys' hung requests meanwhile). What the
        lookup found; None if there was no launch mark in flight to look up."""
        mark = LaunchMark.read(instance.status, job_type)
        if mark is None or not mark.in_flight:
            return None
        return (yield from self.look_up_orphan(instance, mark))

    def keep_provision_end(self, instance: ComputeInstance, answer: Answer[Any]) -> Co[None]:
        """F14: the end of the provision job the AAP provider's readiness check has just read (§11.4) is persisted at
        once, before the template lookup and the launch (up to a minute of requests) during which a crash would
        drop it; AAP may purge the job before it is asked again."""
        latest = find_latest_job_by_type(instance.status.jobs, JobType.PROVISION)
        seen = None if latest is None or latest.state.is_terminal else AAPJobs.seen_in(answer.reads, latest)
        if seen is None or seen.seen is not Seen.ENDED:
            return
        yield from self.record_provision_end(instance, answer.reads, ask=False)
        yield log("Recording the provision job's end the readiness check read", jobID=latest.job_id if latest else "")
        try:
            yield from self.update_status_with_retry(instance.metadata.namespace, instance.metadata.name,
                                                     instance.status)
        except (Conflict, ServerError, ApiTimeout, NotFound) as exc:  # the reconcile's own status write records it
            yield log("Recording the provision job's end failed, it stays in this reconcile's status", error=exc)

    def write_launch_mark(self, instance: ComputeInstance, job_type: JobType) -> Co[None]:
        """Persist "a launch is in flight" before the launch request goes out; on failure nothing is launched."""
        now = yield Now()
        before = instance.status.copy()
        LaunchMark.intended(instance, job_type, now, self.config.provider).store(instance.status, REASON_IN_FLIGHT)
        yield log("Recording the launch before sending it", type=job_type.value)
        try:
            yield from self.update_status_with_retry(instance.metadata.namespace, instance.metadata.name,
                                                     instance.status)
        except Exception:
            instance.status.conditions = before.conditions
            raise

    def same_second_hold_s(self, instance: ComputeInstance, job_type: JobType) -> Co[float]:
        """F12: how long to wait so a new entry's whole-second timestamp is later than the latest one's (0: none)."""
        latest = find_latest_job_by_type(instance.status.jobs, job_type)
        if latest is None:
            return 0.0
        now: float = yield Now()
        next_second = math.floor(latest.timestamp) + 1.0
        if now >= next_second:
            return 0.0
        yield log("Holding the trigger to the next second, so its entry cannot tie with the latest one",
                  latest=latest.job_id or "''")
        return next_second - now

    def remember_answered_launch(self, instance: ComputeInstance, job_type: JobType, answer: Answer[Any]) -> None:
        """F3: the entry of an answered launch, kept in process memory until a status write has recorded it.

        Only this reconcile's status write records it; if that write fails on every attempt (a conflict storm,
        an API server timing out), the next reconcile finds the launch mark in flight and `look_up_orphan`
        records the entry from here: AAP may have purged the job, or an EDA job may not be listed, by then.
        """
        job_id: str = getattr(answer.value, "job_id", "")
        entry = find_job_by_id(instance.status.jobs, job_id) if job_id else None
        if answer.launched and answer.error is None and entry is not None and entry.type is job_type:
            self.answered_launches[(instance.metadata.namespace, instance.metadata.name, job_type)] = entry

    def forget_answered_launches(self, namespace: str, name: str) -> None:
        for job_type in JobType:
            self.answered_launches.pop((namespace, name, job_type), None)

    @staticmethod
    def settle_launch_mark(instance: ComputeInstance, job_type: JobType, answer: Answer[Any]) -> None:
        """The launch was answered: the same status write records the job (or the failed trigger)."""
        mark = LaunchMark.read(instance.status, job_type)
        if answer.launched and mark is not None and mark.in_flight:
            mark.settle(instance.status, Settled.RECORDED if answer.error is None else Settled.FAILED)

    def rate_window_left(self, result: ReconcileResult, answer: Answer[Any]) -> ReconcileResult:
        """F5: requeue after the time left in the webhook window; the reference uses the time elapsed (§10.1)."""
        limited = errors_as(answer.error, RateLimitError)
        if limited is None:
            return result
        left = self.config.minimum_request_interval_s - limited.retry_after_s
        return ReconcileResult(requeue_after_s=max(left, 0.001))

    def after_finished_provision(self, instance: ComputeInstance, provider: ProvisioningProvider,
                                 latest: JobRecord) -> Co[ReconcileResult]:
        """A recorded ending: launch again for a changed spec; else keep the outcome (Failed ⇒ phase Failed)."""
        launched_with = self.launch_version(instance, latest)
        if instance.status.desired_config_version != launched_with:
            yield log("The spec changed since the latest provision job was launched, provisioning it",
                      desired=instance.status.desired_config_version, launched=launched_with)
            return (yield from self.trigger_provision(instance, provider))
        if not latest.state.is_successful:
            instance.status.phase = Phase.FAILED
        return ReconcileResult()

    def infer_provision_end(self, instance: ComputeInstance, latest: JobRecord, purged: bool, unreadable: bool,
                            now: float) -> ReconcileResult | None:
        """The end of a job the provider cannot see, from the annotation; None if it tells nothing yet.

        Not while AAP, which shows the job's real end, merely failed to answer and may be asked again (`unreadable`)
        within the playbook's bound."""
        if unreadable and now - latest.timestamp < OUTCOME_BOUND_S:
            return None
        if applied(instance, self.launch_version(instance, latest)):
            self.update_job(instance, latest.with_changes(state=JobState.SUCCEEDED, message=APPLIED_MESSAGE))
            return ReconcileResult()
        if not purged and now - latest.timestamp < OUTCOME_BOUND_S:
            return None
        self.update_job(instance, latest.with_changes(state=JobState.FAILED,
                                                      message=PURGED_MESSAGE if purged else UNSEEN_FAILURE_MESSAGE))
        instance.status.phase = Phase.FAILED
        return ReconcileResult()

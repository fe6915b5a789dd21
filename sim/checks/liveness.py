"""§17 items 7–8, judged at the end of a quiet enough run: deletions complete and specs get applied.

Both checkers judge only instances that had their chance (see `sim.checks.quiescence`: the world and the
instance's AAP jobs quiet for 3 polls + 30 s after the last disturbance and the instance's last change), skip
instances whose management state is `manual` or `unmanaged` (the operator is told not to act, §2.6), and
report what is still pending in the operator's terms.
"""

from __future__ import annotations

from models.config_version import desired_config_version
from models.jobs import TYPE_PLAYBOOK, JobRecord, JobState, JobType, find_latest_job_by_type, is_eda_job_id
from models.names import (
    ANNOTATION_RECONCILED_CONFIG_VERSION,
    FINALIZER_COMPUTE_INSTANCE,
    FINALIZER_COMPUTE_INSTANCE_AAP,
)
from models.objects import Phase
from sim.checks.base import register_checker
from sim.checks.common import EventChecker, at, entries_text, entry_text
from sim.checks.quiescence import Quiescence
from sim.checks.tracking import AapLedger, BackendJob, Instances, Lifetime, Polls
from sim.kube.events import ObjectRemoved, ObjectStored

_FINALIZER_NAMES = {FINALIZER_COMPUTE_INSTANCE: "base", FINALIZER_COMPUTE_INSTANCE_AAP: "computeinstance-aap"}


class _EndChecker(EventChecker):
    """Follows lifetimes, AAP jobs, polls and the quiet time; judges in `finish`."""

    kind = "liveness"

    def __init__(self) -> None:
        super().__init__()
        self.instances = Instances()
        self.ledger = AapLedger()
        self.quiet = Quiescence()
        self.polls = Polls()
        self.follow(self.ledger, self.quiet, self.polls)
        self.route(ObjectStored, self.instances.stored)
        self.route(ObjectRemoved, self.instances.removed)

    def jobs_of(self, life: Lifetime) -> list[BackendJob]:
        """The AAP jobs launched for this lifetime of the instance."""
        return [j for j in self.ledger.by_instance.get(life.key, ()) if j.launch_seq > life.created_seq]

    def backend_of(self, life: Lifetime, entry: JobRecord | None) -> list[BackendJob]:
        """The AAP jobs behind a recorded entry: by id, or for an EDA id every EDA-launched job of that playbook."""
        if entry is None:
            return []
        playbook = TYPE_PLAYBOOK[entry.type]
        if entry.job_id.isdigit():
            job = self.ledger.jobs.get(int(entry.job_id))
            return [job] if job is not None else []
        if is_eda_job_id(entry.job_id):
            return [j for j in self.ledger.of(life.key, playbook)
                    if j.launched_by == "eda" and j.launch_seq > life.created_seq]
        return []

    def entry_story(self, life: Lifetime, entry: JobRecord | None, what: str) -> tuple[str, list[int]]:
        """`The latest deprovision job recorded is 9002 (...), polled 12 times ...; in AAP: ...` and its events."""
        if entry is None:
            return f"No {what} job is recorded.", []
        text = f"The latest {what} job recorded is {entry_text(entry)}"
        if entry.job_id.isdigit():
            text += f", {self.polls.describe(entry.job_id)}"
        backend = self.backend_of(life, entry)
        if backend:
            text += "; in AAP: " + "; ".join(j.describe() for j in backend[-2:])
        elif is_eda_job_id(entry.job_id):
            text += "; EDA launched no job for it (the delivery was lost, or the rule has not fired)"
        elif entry.job_id:
            text += "; AAP has no job with that id"
        return text + ".", [s for j in backend[-2:] for s in j.decisive()]


@register_checker
class DeletionCompletes(_EndChecker):
    """§17 item 7: an object with a deletionTimestamp is eventually removed."""

    property_id = "deletion-completes"
    description = ("A deleted CR is eventually removed, unless its latest deprovision job ended Failed or Canceled "
                   "with blockDeletionOnFailure.")

    def finish(self, end_t: float) -> None:
        for life in self.instances.all:
            if not life.live or life.deletion_t is None or life.hands_off:
                continue
            if not self.quiet.judged(life.key, end_t, life.deletion_t, jobs=self.jobs_of(life)):
                continue
            jobs = life.obj.status.jobs
            latest = find_latest_job_by_type(jobs, JobType.DEPROVISION)
            if latest is not None and latest.block_deletion_on_failure and \
                    latest.state in (JobState.FAILED, JobState.CANCELED):
                continue  # blocked on purpose: a failed deprovision needs a human
            self._report(life, latest, end_t)

    def _report(self, life: Lifetime, latest: JobRecord | None, end_t: float) -> None:
        assert life.deletion_t is not None and life.deletion_seq is not None, "only deleted objects are judged"
        left = ", ".join(_FINALIZER_NAMES.get(f, f) for f in life.obj.metadata.finalizers) or "none"
        dep, dep_events = self.entry_story(life, latest, "deprovision")
        if latest is not None and latest.state in (JobState.FAILED, JobState.CANCELED):
            dep += (f" It ended {latest.state.value} without blockDeletionOnFailure, so the operator should have "
                    "removed its finalizer.")
        provision = find_latest_job_by_type(life.obj.status.jobs, JobType.PROVISION)
        prov, prov_events = self.entry_story(life, provision, "provision")
        self.violate(end_t, life.subject, (
            f"{life.subject} still {life.obj.status.phase.value or 'has no phase'} at {at(end_t)}, "
            f"{end_t - life.deletion_t:.0f} s after its deletion was requested at {at(life.deletion_t)} "
            f"({self.quiet.since()}); finalizers left: {left}. {dep} {prov} The object stays until its finalizers "
            "are gone, so the instance never disappears for the user."),
            [life.deletion_seq, *dep_events, *prov_events[:2], life.seq])


@register_checker
class ProvisioningConverges(_EndChecker):
    """§17 item 8: an applied spec shows Running, and an unapplied spec gets a provision job.

    For a live, undeleted, managed object, with `desired` = the config version of its current spec:
    if a create job launched in this lifetime for `desired` succeeded, or the reconciled-config-version
    annotation equals `desired`, the persisted phase must be Running; otherwise some create job for
    `desired` must have been launched in this lifetime (it may still fail: then phase Failed is the
    expected end, not a stall).
    """

    property_id = "provisioning-converges"
    description = ("An instance whose latest provision job succeeded for the current spec reaches Running, and a "
                   "spec change eventually leads to a new provision job.")

    def finish(self, end_t: float) -> None:
        for life in self.instances.all:
            if not life.live or life.deletion_t is not None or life.hands_off:
                continue
            desired = desired_config_version(life.obj.spec)
            annotation = life.obj.metadata.annotations.get(ANNOTATION_RECONCILED_CONFIG_VERSION)
            for_spec = [j for j in self.ledger.of(life.key, "create")
                        if j.config_version == desired and j.launch_seq > life.created_seq]
            succeeded = [j for j in for_spec if j.final_status == "successful"]
            if succeeded or annotation == desired:
                done_t = succeeded[-1].end_t if succeeded else None
                if life.obj.status.phase != Phase.RUNNING and \
                        self.quiet.judged(life.key, end_t, life.spec_t, done_t, jobs=self.jobs_of(life)):
                    self._not_running(life, desired, annotation, succeeded, end_t)
            elif not for_spec and self.quiet.judged(life.key, end_t, life.spec_t, jobs=self.jobs_of(life)):
                self._no_job(life, desired, annotation, end_t)

    def _not_running(self, life: Lifetime, desired: str, annotation: str | None, succeeded: list[BackendJob],
                     end_t: float) -> None:
        status = life.obj.status
        applied = (f"{succeeded[-1].describe()} applied config version {desired} of the current spec"
                   if succeeded else f"the reconciled-config-version annotation says {desired} is applied")
        overwritten = ""
        if annotation != desired:
            later = [j for j in self.ledger.of(life.key, "create") if j.config_version == annotation
                     and j.ended and succeeded and (j.end_t or 0.0) > (succeeded[-1].end_t or 0.0)]
            overwritten = (f" The annotation now reads {annotation or '(absent)'}"
                           + (f": {later[-1].describe()} finished later and wrote its older version over it."
                              if later else "."))
        self.violate(end_t, life.subject, (
            f"{applied}, yet {life.subject} is persisted with phase {status.phase.value or '(empty)'} at {at(end_t)} "
            f"({self.quiet.since()}): status.desiredConfigVersion {status.desired_config_version or '(empty)'}, "
            f"reconciledConfigVersion {status.reconciled_config_version or '(empty)'}.{overwritten} The instance "
            f"runs the requested configuration but is never reported Running. status.jobs[] holds "
            f"{entries_text(status.jobs, JobType.PROVISION)}."),
            [*(succeeded[-1].decisive() if succeeded else []), life.spec_seq, life.seq])

    def _no_job(self, life: Lifetime, desired: str, annotation: str | None, end_t: float) -> None:
        status = life.obj.status
        latest = find_latest_job_by_type(status.jobs, JobType.PROVISION)
        story, events = self.entry_story(life, latest, "provision")
        if latest is not None and latest.job_id == "":
            hint = "Every trigger so far failed; the operator keeps recording failed triggers."
        elif latest is not None and is_eda_job_id(latest.job_id) and not self.backend_of(life, latest):
            hint = ("The operator counts the webhook it sent as a running job and cannot see that EDA never "
                    "launched it (§10.3).")
        elif latest is not None:
            hint = ("Once the latest provision job has an id the operator only polls it and never triggers a new "
                    "provision job, whatever the spec (§5 step 5).")
        else:
            hint = "The operator never triggered a provision job."
        restart = (" The spec carries a restart request, which changes the config version (§15)."
                   if life.obj.spec.restart_requested_at is not None else "")
        since = "was created" if life.spec_seq == life.created_seq else "was last changed"
        self.violate(end_t, life.subject, (
            f"The spec of {life.subject} (config version {desired}; it {since} at {at(life.spec_t)}) is not "
            f"applied — annotation reconciled-config-version {annotation or '(absent)'}, phase "
            f"{status.phase.value or '(empty)'} — and no create job for it was launched by {at(end_t)} "
            f"({self.quiet.since()}). {story} {hint}{restart}"),
            [life.spec_seq, *events[:2], life.seq])

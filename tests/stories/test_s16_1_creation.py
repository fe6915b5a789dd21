"""§16.1 Creation in a full simulated world, with both providers: the job list and the phase over time.

Observed with seed 1 (sampled once a second, latest provision job per the §16 idiom):
- AAP: t=3 `9000` Pending, t=10 Running (create playbook running, `computeinstance-aap` added), t=80
  Succeeded and phase Running in the same status write, right after the playbook's annotation.
- EDA: t=3 `eda-webhook-1` Unknown — it was written Running at trigger time and overwritten by the
  first poll 30 ms later, so only the log shows Running; phase Running at t=84, right after the
  annotation of the EDA-launched create job; the job stays Unknown for good.
"""

from __future__ import annotations

from story_scripts import played
from story_world import NAME, NS, TENANT, Story, view

from models.config_version import tenant_cr_name
from models.jobs import JobState, JobType
from models.names import (
    ANNOTATION_RECONCILED_CONFIG_VERSION,
    CONDITION_AVAILABLE,
    FINALIZER_COMPUTE_INSTANCE,
    FINALIZER_COMPUTE_INSTANCE_AAP,
)
from models.objects import ComputeInstance, Phase

# The order in which an AAP job's recorded state may move while it succeeds (§11.3 mapping).
AAP_SUCCESS_ORDER = (JobState.PENDING, JobState.WAITING, JobState.RUNNING, JobState.SUCCEEDED)


def running_ci(story: Story) -> ComputeInstance:
    ci = story.ci()
    assert ci is not None, f"{story.reproduce()}: the CR is gone"
    assert ci.status.phase == Phase.RUNNING, f"{story.reproduce()}: phase {ci.status.phase}"
    return ci


def annotation_time(story: Story) -> float:
    """When the create playbook stored the reconciled-config-version annotation (§2.4)."""
    return next(v.t for v in story.versions() if v.verb == "patch"
                and ANNOTATION_RECONCILED_CONFIG_VERSION in v.obj.metadata.annotations)


def first_running_version_t(story: Story) -> float:
    return next(v.t for v in story.versions() if v.obj.status.phase == Phase.RUNNING)


def assert_provisioned_instance(story: Story, ci: ComputeInstance) -> None:
    """What both providers leave behind: tenant and VM references, Available, both finalizers, one live VM."""
    tenant = story.tenant()
    assert tenant is not None
    tenant_namespace = tenant.status_dict()["namespace"]
    assert ci.status.tenant_reference == {"name": tenant_cr_name(TENANT), "namespace": NS}
    assert ci.status.virtual_machine_reference == {"namespace": tenant_namespace, "kubeVirtVirtualMachineName": NAME}
    available = ci.status.condition(CONDITION_AVAILABLE)
    assert available is not None and available.status == "True"
    assert ci.metadata.finalizers == [FINALIZER_COMPUTE_INSTANCE, FINALIZER_COMPUTE_INSTANCE_AAP]
    assert ci.metadata.annotations[ANNOTATION_RECONCILED_CONFIG_VERSION] == ci.status.desired_config_version
    assert ci.status.reconciled_config_version == ci.status.desired_config_version
    assert [(vm.namespace, vm.state) for vm in story.live_vms()] == [(tenant_namespace, "ready")]


def test_s16_1_creation_with_aap_reaches_running_with_a_succeeded_provision_job() -> None:
    story = played("s16_1_creation_aap")
    ci = running_ci(story)
    launched = story.aap_jobs("create")
    assert [(j.launched_by, j.status) for j in launched] == [("api", "successful")]
    job_id = str(launched[0].job_id)
    assert job_id.isdecimal()

    # §16.1's polls: jobID non-empty, then state in {Running, Succeeded}, then Succeeded.
    observed = story.latest_states(JobType.PROVISION)
    assert {jid for jid, _ in observed} == {job_id}
    states = [JobState(state) for _, state in observed]
    assert states[0] == JobState.PENDING and JobState.RUNNING in states and states[-1] == JobState.SUCCEEDED
    assert states == sorted(states, key=AAP_SUCCESS_ORDER.index), f"states went backwards: {states}"
    assert story.persisted_states(job_id) == [JobState.PENDING, JobState.RUNNING, JobState.SUCCEEDED]

    # Phase: Starting until the create playbook annotates; Running in the write that records Succeeded.
    phases = [s.phase for s in story.sampled() if s.found]
    assert phases[0] == Phase.STARTING and phases[-1] == Phase.RUNNING
    assert first_running_version_t(story) >= annotation_time(story)
    first_running = next(s for s in story.sampled() if s.phase == Phase.RUNNING)
    latest = first_running.latest(JobType.PROVISION)
    assert latest is not None and latest.state == JobState.SUCCEEDED

    assert view(ci.status.jobs) == [(job_id, "provision", "Succeeded")]
    job = ci.status.jobs[0]
    assert (job.message, job.block_deletion_on_failure) == ("successful", False)
    assert job.timestamp == int(job.timestamp) <= launched[0].launched_t  # metav1.Time: whole seconds (§1)
    assert_provisioned_instance(story, ci)


def test_s16_1_creation_with_eda_records_eda_webhook_1_running_then_unknown_and_reaches_running_on_the_annotation(
) -> None:
    story = played("s16_1_creation_eda")
    ci = running_ci(story)
    assert [(h.hook, h.outcome) for h in story.webhooks("create")] == [("create", "accepted")]
    assert [(j.launched_by, j.status) for j in story.aap_jobs("create")] == [("eda", "successful")]

    # Trigger writes Running (§10.3); the next reconcile's poll overwrites it with Unknown (§5 step 5)
    # within the same second, so the once-a-second view only ever shows Unknown.
    assert story.persisted_states("eda-webhook-1") == [JobState.RUNNING, JobState.UNKNOWN]
    assert story.latest_states(JobType.PROVISION) == [("eda-webhook-1", "Unknown")]
    running_write = next(v for v in story.versions() if any(j.state == JobState.RUNNING for j in v.jobs))
    assert running_write.jobs[0].message == "Webhook sent to EDA, provisioning in progress"

    # EDA gives no status: phase Running comes only from the create playbook's annotation (§2.4).
    assert first_running_version_t(story) >= annotation_time(story)
    assert [p for p in dict.fromkeys(s.phase for s in story.sampled() if s.found)] == [Phase.STARTING, Phase.RUNNING]

    assert view(ci.status.jobs) == [("eda-webhook-1", "provision", "Unknown")]
    assert ci.status.jobs[0].message == "EDA provider does not support status polling"
    assert_provisioned_instance(story, ci)

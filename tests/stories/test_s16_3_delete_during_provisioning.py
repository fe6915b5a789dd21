"""§16.3 Delete during provisioning in a full simulated world: AAP's cancel-then-wait (§11.5) and EDA's skip/race.

Observed with seed 1 (job lists sampled once a second):
- AAP, deleted while the VM boots (t=14): `[9000 provision Running]` for 78 s while every reconcile
  re-sends the cancel (5 × 202); the job ends `canceled` when its running task ends (t=78.7); at the
  next poll (t=93) `[9000 provision Canceled, 9001 deprovision Pending]`, t=100 `9001 Running`, t=127
  NotFound. Exactly one deprovision job.
- AAP, deleted at the first sample showing Running (t=10): the cancel lands during the create_vm task,
  whose VM events re-trigger the reconcile that launches the deprovision job; the dirty re-run reads a
  stale cache and launches a second one (FINDING, below).
- EDA, deleted before the create playbook's finalizer (t=3): deprovision skipped, CR gone at t=4 with
  `[eda-webhook-1 provision Unknown]`; EDA launches the create job afterwards and it fails.
- EDA, deleted after the finalizer (t=14): `[eda-webhook-1 provision Unknown, eda-webhook-2 deprovision
  Running]`, CR gone at t=49 while the create job still runs (FINDING).
- EDA with a tenant shared with vm-2 and fast delete timings: the delete job overtakes the create job
  and the VM it creates afterwards is never deleted (FINDING: a leak).
"""

from __future__ import annotations

from story_scripts import SHARED_TENANT_NEIGHBOUR, played
from story_world import Story, view

from models.jobs import JobState, JobType
from models.names import FINALIZER_COMPUTE_INSTANCE, FINALIZER_COMPUTE_INSTANCE_AAP
from models.objects import Phase
from sim.backends.aap import AapJobLaunched
from sim.backends.playbooks import PlaybookStepFinished
from sim.kube.runtime_events import CacheRead, ReconcileStarted


def deprovision_ids_over_time(story: Story) -> list[str]:
    """Latest deprovision jobID of every stored version of the CR, consecutive repeats collapsed."""
    ids: list[str] = []
    for v in story.versions():
        for j in v.jobs:
            if j.type == JobType.DEPROVISION and (not ids or ids[-1] != j.job_id):
                ids.append(j.job_id)
    return ids


def step_finished(story: Story, job_id: int, step: str) -> PlaybookStepFinished:
    return next(e for e in story.world.kernel.log.of_type(PlaybookStepFinished)
                if e.job_id == job_id and e.step == step)


def assert_cr_and_vms_gone(story: Story) -> None:
    assert story.ci() is None
    assert story.vms_labelled() == [], "§16.3's last check: no VM labelled with the instance name, anywhere"
    assert story.live_vms() == []


# -- AAP ------------------------------------------------------------------------------------------------
def test_s16_3_aap_delete_while_the_vm_boots_cancels_waits_then_launches_exactly_one_deprovision_job() -> None:
    story = played("s16_3_aap_delete_while_vm_boots")
    assert story.notes["jobs at delete"] == [("9000", "provision", "Running")]
    provision = story.aap_jobs("create")[0]
    assert provision.finished_t is not None

    # §11.5 steps 1–2: every reconcile that finds the job running sends a cancel; AAP answers 202.
    cancels = story.cancels(provision.job_id)
    assert cancels and all(c.answered == 202 for c in cancels), cancels
    assert story.marks["delete"] < cancels[0].t < provision.finished_t
    assert provision.status == "canceled"

    # §11.5 step 3: one deprovision job, launched only once the provision job had ended.
    deletes = story.aap_jobs("delete")
    assert len(deletes) == 1, [(j.job_id, j.launched_t) for j in deletes]
    assert deletes[0].launched_t > provision.finished_t
    job_id = str(deletes[0].job_id)
    waiting = [v for v in story.versions() if story.marks["delete"] < v.t < deletes[0].launched_t]
    assert waiting and all(view(v.jobs) == [("9000", "provision", "Running")] for v in waiting)
    assert {v.obj.status.phase for v in waiting if v.verb == "update_status"} == {Phase.DELETING}
    # The same status write records Canceled and appends the Pending deprovision job (blocking on failure).
    trigger_write = next(v for v in story.versions() if any(j.job_id == job_id for j in v.jobs))
    assert [(j.job_id, j.state, j.message, j.block_deletion_on_failure) for j in trigger_write.jobs] == [
        ("9000", JobState.CANCELED, "canceled", False),
        (job_id, JobState.PENDING, "Deprovisioning job triggered", True)]

    # §16.3's re-read: the deprovision jobID never changes once recorded.
    assert {jid for jid, _ in story.latest_states(JobType.DEPROVISION)} == {job_id}
    assert deprovision_ids_over_time(story) == [job_id]
    assert story.latest_states(JobType.PROVISION)[-1] == ("9000", "Canceled")
    assert_cr_and_vms_gone(story)


def test_s16_3_aap_delete_as_the_create_task_ends_launches_a_second_deprovision_job_from_a_stale_cache() -> None:
    """FINDING of the reference design: two deprovision jobs for one CR (violates §17 safety 1 and 3).

    The cancel takes effect when the create_vm task ends, together with that task's VM watch events.
    The reconcile launched by the first event launches 9001 and stores it; the second event marked the
    key dirty, so the next reconcile starts at once (§1 work queue) and reads the cached CR, which the
    informer has not yet updated with that write (§1: every read is from the lagging cache). It finds
    no deprovision job, sees the provision job canceled (ready, §11.4) and launches 9002. Each write
    replaces the whole status with what its reconcile computed (§3), so the recorded deprovision id
    flips between the two before settling, and 9001 disappears from status.jobs[].
    """
    story = played("s16_3_aap_delete_as_soon_as_provision_runs")
    assert story.notes["jobs at delete"] == [("9000", "provision", "Running")]
    provision = story.aap_jobs("create")[0]
    assert provision.status == "canceled" and provision.finished_t is not None
    assert story.cancels(provision.job_id)

    deletes = story.aap_jobs("delete")
    assert [(j.job_id, j.launched_by, j.status) for j in deletes] == [
        (9001, "api", "successful"), (9002, "api", "successful")]
    assert all(j.launched_t > provision.finished_t for j in deletes)
    assert deletes[1].launched_t - deletes[0].launched_t < 1.0
    first, second = deletes
    assert first.finished_t is not None and second.launched_t < first.finished_t  # both delete jobs ran at once

    # The reconcile that launched 9002 started after 9001 was stored, from a cache older than that write.
    recorded_9001 = next(v for v in story.versions() if any(j.job_id == "9001" for j in v.jobs))
    launch_9002 = next(e for e in story.world.kernel.log.of_type(AapJobLaunched) if e.job_id == 9002)
    start = [e for e in story.world.kernel.log.of_type(ReconcileStarted) if e.seq < launch_9002.seq][-1]
    read = next(e for e in story.world.kernel.log.of_type(CacheRead) if e.seq > start.seq)
    assert start.t >= recorded_9001.t
    assert read.resource_versions[0] < recorded_9001.obj.metadata.resource_version

    assert deprovision_ids_over_time(story) == ["9001", "9002", "9001", "9002"]
    assert view(story.versions()[-1].jobs) == [("9000", "provision", "Canceled"), ("9002", "deprovision", "Running")]
    assert_cr_and_vms_gone(story)


# -- EDA ------------------------------------------------------------------------------------------------
def test_s16_3_eda_delete_before_the_create_playbook_finalizer_skips_deprovision_and_the_late_create_job_fails(
) -> None:
    """Reference behaviour (§10.3): without `computeinstance-aap` the EDA deprovision is Skipped.

    The base finalizer goes at once and the CR with it, before EDA has even launched the create job,
    which then fails at its first task because the CR is gone (§1 playbooks), so no VM is created. No
    cancellation exists on the EDA path: what saves the VM is only the playbook's first task.
    """
    story = played("s16_3_eda_delete_before_aap_finalizer")
    assert story.notes["jobs at delete"] == [("eda-webhook-1", "provision", "Unknown")]
    assert story.notes["finalizers at delete"] == [FINALIZER_COMPUTE_INSTANCE]
    assert story.controller_logs("Deprovision skipped")
    assert story.webhooks("delete") == []

    removal = story.versions()[-1]
    assert removal.verb == "removed"
    assert view(removal.jobs) == [("eda-webhook-1", "provision", "Unknown")]  # §16.3: provision state Unknown
    assert story.latest_states(JobType.DEPROVISION) == []

    create = story.aap_jobs("create")
    assert [(j.launched_by, j.status) for j in create] == [("eda", "failed")]
    assert create[0].launched_t > removal.t, "EDA launched the create job after the CR was gone"
    failed = step_finished(story, create[0].job_id, "add_finalizer")
    assert not failed.ok and "not found" in failed.error
    assert story.world.backends.kubevirt.ledger.vms == {}
    assert_cr_and_vms_gone(story)


def test_s16_3_eda_delete_after_the_finalizer_runs_the_delete_job_alongside_the_still_running_create_job() -> None:
    """FINDING of the reference design: deprovision runs concurrently with provision (§17 safety 3 and 4).

    The EDA provider sends the delete webhook as soon as `computeinstance-aap` is present and requests
    no cancellation of any kind (§10.3); the deprovision is complete when the delete playbook removes
    the finalizer. The CR is therefore removed while the create job is still running; that job then
    waits 600 s for a VM the delete job removed, and fails. No VM leaks here, because the delete job's
    delete task came after the create job's create task.
    """
    story = played("s16_3_eda_delete_after_aap_finalizer")
    assert story.notes["finalizers at delete"] == [FINALIZER_COMPUTE_INSTANCE, FINALIZER_COMPUTE_INSTANCE_AAP]
    removal = story.versions()[-1]
    assert view(removal.jobs) == [("eda-webhook-1", "provision", "Unknown"),
                                  ("eda-webhook-2", "deprovision", "Running")]
    assert story.persisted_states("eda-webhook-1")[-1] == JobState.UNKNOWN

    create, delete = story.aap_jobs("create")[0], story.aap_jobs("delete")[0]
    assert (create.launched_by, delete.launched_by) == ("eda", "eda")
    assert create.finished_t is not None and delete.launched_t < create.finished_t
    assert story.notes["active AAP jobs at gone"] == [(create.job_id, "create", "running")]
    assert (create.status, delete.status) == ("failed", "successful")
    assert "timed out after 600 s waiting for VirtualMachine vm-1 to be Ready" in create.result_traceback
    created = step_finished(story, create.job_id, "create_vm")
    deleted = step_finished(story, delete.job_id, "delete_vm")
    assert created.ok and created.t < deleted.t
    assert_cr_and_vms_gone(story)


def test_s16_3_eda_delete_overtaking_the_create_task_leaks_the_vm_when_the_tenant_is_shared() -> None:
    """FINDING of the reference design: a VM outlives its CR (§17 safety 4), found by §16.3's last check.

    Same mechanism as above (§10.3: no cancellation; §2.5: deprovision complete when the delete playbook
    drops the finalizer), with timings inside the default ranges: the delete job deletes nothing (no VM
    yet), removes the finalizer, the CR goes; then the create job's create_vm task creates the VM. With
    the tenant kept alive by vm-2, its namespace still exists, so the VM is created and stays.
    """
    story = played("s16_3_eda_delete_overtakes_create_with_shared_tenant")
    assert story.notes["finalizers at delete"] == [FINALIZER_COMPUTE_INSTANCE, FINALIZER_COMPUTE_INSTANCE_AAP]
    removal = story.versions()[-1]
    assert removal.verb == "removed"
    assert view(removal.jobs) == [("eda-webhook-1", "provision", "Unknown"),
                                  ("eda-webhook-2", "deprovision", "Running")]

    create, delete = story.aap_jobs("create")[0], story.aap_jobs("delete")[0]
    finalizer_dropped = step_finished(story, delete.job_id, "remove_finalizer")
    vm_created = step_finished(story, create.job_id, "create_vm")
    assert finalizer_dropped.t < removal.t < vm_created.t and vm_created.ok
    annotate = step_finished(story, create.job_id, "set_annotation")
    assert not annotate.ok and "not found" in annotate.error

    assert story.ci() is None
    leaked = story.live_vms()
    assert [(vm.state, vm.created_t > removal.t) for vm in leaked] == [("ready", True)]
    assert [vm.metadata.name for vm in story.vms_labelled()] == ["vm-1"]
    neighbour = story.ci(SHARED_TENANT_NEIGHBOUR)
    assert neighbour is not None and neighbour.status.phase == Phase.RUNNING
    assert story.tenant() is not None

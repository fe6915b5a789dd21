"""§16.2 Deletion of a Running instance in a full simulated world, with both providers.

Observed with seed 1 (job list sampled once a second):
- AAP: t=80 `[9000 provision Succeeded]` → delete → t=81 `[9000 provision Succeeded, 9001 deprovision
  Pending]` → t=87 `9001 Running` → t=114 NotFound; the delete playbook released the VM, the tenant
  was garbage-collected.
- EDA: t=84 `[eda-webhook-1 provision Unknown]` → delete → t=85 `[…, eda-webhook-2 deprovision
  Running]` (Pending lived 50 ms) → t=121 NotFound.
In both, the deprovision job's Succeeded is observed by the operator but never stored (see below).
"""

from __future__ import annotations

from story_scripts import played
from story_world import Story, view

from models.jobs import JobState, JobType
from models.names import FINALIZER_COMPUTE_INSTANCE, FINALIZER_COMPUTE_INSTANCE_AAP
from models.objects import Phase


def assert_everything_is_gone(story: Story) -> None:
    """§16.2's end: CR NotFound; and, as ground truth, no VM object, no live cloud VM, no tenant left."""
    assert story.ci() is None
    assert story.sampled()[-1].found is False
    assert story.vms_labelled() == []
    assert story.live_vms() == []
    assert [vm.state for vm in story.world.backends.kubevirt.ledger.vms.values()] == ["gone"]
    assert story.tenant() is None, "the tenant's last owner is gone, so it is garbage-collected (§2.8)"
    assert not [ns for ns in story.namespaces() if ns.startswith("tenant-a")]


def assert_succeeded_is_observed_but_never_stored(story: Story, job_id: str) -> None:
    """The last poll sees Succeeded, yet the stored job stays Running until the CR disappears.

    Reference behaviour (§6 step 4, §3): the finalizer-removing `Update` replaces the in-memory status
    with the stored one, so the Succeeded written in memory is dropped, and with no other finalizer the
    API server deletes the CR at once.
    """
    observed = [dict(e.fields)["state"] for e in story.controller_logs("Deprovision job status")]
    assert observed[-1] == "Succeeded"
    assert JobState.SUCCEEDED not in story.persisted_states(job_id)
    removal = story.versions()[-1]
    assert removal.verb == "removed" and removal.obj.status.phase == Phase.DELETING
    latest = {j.job_id: j.state for j in removal.jobs}
    assert latest[job_id] == JobState.RUNNING


def test_s16_2_deletion_with_aap_records_a_decimal_deprovision_job_and_removes_the_cr() -> None:
    story = played("s16_2_deletion_aap")
    assert story.notes["jobs at delete"] == [("9000", "provision", "Succeeded")]
    assert story.notes["finalizers at delete"] == [FINALIZER_COMPUTE_INSTANCE, FINALIZER_COMPUTE_INSTANCE_AAP]
    deletes = story.aap_jobs("delete")
    assert [(j.launched_by, j.status) for j in deletes] == [("api", "successful")]
    assert deletes[0].launched_t >= story.marks["delete"]
    job_id = str(deletes[0].job_id)
    assert job_id.isdecimal()

    # §16.2's polls: deprovision jobID non-empty, then its state in {Running, Succeeded}, then NotFound.
    assert story.latest_states(JobType.DEPROVISION) == [(job_id, "Pending"), (job_id, "Running")]
    assert story.persisted_states(job_id) == [JobState.PENDING, JobState.RUNNING]
    removal = story.versions()[-1]
    assert view(removal.jobs) == [("9000", "provision", "Succeeded"), (job_id, "deprovision", "Running")]
    deprovision = removal.jobs[1]
    assert deprovision.block_deletion_on_failure is True  # AAP's Triggered carries true (§11.4)
    assert deprovision.message == "running"
    assert_succeeded_is_observed_but_never_stored(story, job_id)
    assert_everything_is_gone(story)


def test_s16_2_deletion_with_eda_records_eda_webhook_2_and_removes_the_cr_once_the_playbook_drops_its_finalizer(
) -> None:
    story = played("s16_2_deletion_eda")
    assert story.notes["jobs at delete"] == [("eda-webhook-1", "provision", "Unknown")]
    assert [(h.hook, h.outcome) for h in story.webhooks("delete")] == [("delete", "accepted")]
    assert [(j.launched_by, j.status) for j in story.aap_jobs("delete")] == [("eda", "successful")]

    # Pending at trigger, Running at the next poll (finalizer present), Succeeded once it is gone (§10.3).
    assert story.persisted_states("eda-webhook-2") == [JobState.PENDING, JobState.RUNNING]
    assert story.latest_states(JobType.DEPROVISION) == [("eda-webhook-2", "Running")]
    removal = story.versions()[-1]
    assert view(removal.jobs) == [("eda-webhook-1", "provision", "Unknown"),
                                  ("eda-webhook-2", "deprovision", "Running")]
    assert removal.jobs[1].block_deletion_on_failure is False
    assert removal.jobs[1].message == "Waiting for AAP playbook to complete"
    # The delete playbook's last task removed computeinstance-aap just before the base finalizer went.
    playbook_write = story.versions()[-2]
    assert playbook_write.actor.startswith("playbook/") and playbook_write.obj.metadata.finalizers == [
        FINALIZER_COMPUTE_INSTANCE]
    assert_succeeded_is_observed_but_never_stored(story, "eda-webhook-2")
    assert_everything_is_gone(story)

"""§12.1 Operator restarts and provider switches in a full simulated world: the job list before and after.

Observed with seed 1:
- EDA → AAP after Running (switch t=84, new process t=94, delete t=104): before `[eda-webhook-1
  provision Unknown]`; the AAP process polls `eda-webhook-1`, AAP answers 404, message "Failed to get
  job status: …"; after delete `[eda-webhook-1 provision Unknown, 9001 deprovision Pending]` (the §12.1
  example), `9001 Running`, NotFound at t=143.
- AAP → EDA after Running (switch t=80, delete t=100): before `[9000 provision Succeeded]`; after
  `[9000 provision Succeeded, eda-webhook-1 deprovision Running]` — the delete webhook is sent because
  the AAP-launched create playbook left `computeinstance-aap`; NotFound at t=142.
- Restart mid-provision, same provider: AAP `[9000 provision Running]` at t=10 and the same job polled to
  Succeeded after the restart; EDA `[eda-webhook-1 provision Unknown]` at t=3, no second webhook.
- Restart at the instant AAP launched job 9000 (t=2.47), before its answer came back: `[]` before, then
  the new process launches 9001 and records only that one (FINDING).
"""

from __future__ import annotations

from story_scripts import played
from story_world import Story, view

from models.jobs import JobState, JobType
from models.names import FINALIZER_COMPUTE_INSTANCE, FINALIZER_COMPUTE_INSTANCE_AAP
from models.objects import Phase
from sim.kube.runtime_events import ManagerStarted

BOTH_FINALIZERS = [FINALIZER_COMPUTE_INSTANCE, FINALIZER_COMPUTE_INSTANCE_AAP]


def providers_logged(story: Story, message: str) -> list[str]:
    """The provider named by each controller log line `message` (Triggering provision / deprovision)."""
    return [dict(e.fields)["provider"] for e in story.controller_logs(message)]


def incarnations(story: Story) -> list[int]:
    return [e.incarnation for e in story.world.kernel.log.of_type(ManagerStarted)]


def test_s12_1_switch_from_eda_to_aap_after_running_then_delete_appends_an_aap_deprovision_job() -> None:
    story = played("s12_1_switch_eda_to_aap")
    assert incarnations(story) == [1, 2]
    before = story.notes["jobs at switch"]
    assert before == [("eda-webhook-1", "provision", "Unknown")]
    assert story.notes["jobs at delete"] == before  # the restart keeps status.jobs[] (held by the API server)

    # The AAP process polls the EDA id as an AAP job: 404, message overwritten, state kept (§12.1).
    ci_after_restart = next(v for v in story.versions() if story.marks["switch"] < v.t < story.marks["delete"])
    job = ci_after_restart.jobs[0]
    assert (job.job_id, job.state) == ("eda-webhook-1", JobState.UNKNOWN)
    assert job.message.startswith("Failed to get job status: ") and "not found" in job.message

    # Delete: the EDA id with phase Deleting and no deprovision job ⇒ ready (§11.4) ⇒ an AAP launch.
    assert providers_logged(story, "Triggering provision") == ["eda"]
    assert providers_logged(story, "Triggering deprovision") == ["aap"]
    deletes = story.aap_jobs("delete")
    assert [(j.launched_by, j.status) for j in deletes] == [("api", "successful")]
    job_id = str(deletes[0].job_id)
    assert job_id.isdecimal()
    trigger_write = next(v for v in story.versions() if any(j.type == JobType.DEPROVISION for j in v.jobs))
    assert view(trigger_write.jobs) == [("eda-webhook-1", "provision", "Unknown"), (job_id, "deprovision", "Pending")]
    assert story.latest_states(JobType.DEPROVISION) == [(job_id, "Pending"), (job_id, "Running")]
    assert story.webhooks("delete") == []
    assert story.ci() is None and story.live_vms() == [] and story.vms_labelled() == []


def test_s12_1_switch_from_aap_to_eda_after_running_then_delete_sends_the_delete_webhook_as_the_aap_finalizer_is_there(
) -> None:
    story = played("s12_1_switch_aap_to_eda")
    assert incarnations(story) == [1, 2]
    before = story.notes["jobs at switch"]
    assert before == [("9000", "provision", "Succeeded")]
    assert story.notes["jobs at delete"] == before  # terminal: the EDA process does not poll it (§4 step 9)

    # EDA's deprovision trigger looks only at computeinstance-aap (§10.3), which the AAP-launched create
    # playbook added; the first EDA id after only AAP ids is eda-webhook-1 (§10.2).
    assert story.notes["finalizers at delete"] == BOTH_FINALIZERS
    assert providers_logged(story, "Triggering deprovision") == ["eda"]
    assert [(h.hook, h.outcome) for h in story.webhooks("delete")] == [("delete", "accepted")]
    assert [(j.launched_by, j.status) for j in story.aap_jobs("delete")] == [("eda", "successful")]
    trigger_write = next(v for v in story.versions() if any(j.type == JobType.DEPROVISION for j in v.jobs))
    assert view(trigger_write.jobs) == [("9000", "provision", "Succeeded"), ("eda-webhook-1", "deprovision", "Pending")]
    assert trigger_write.jobs[1].block_deletion_on_failure is False
    assert story.persisted_states("eda-webhook-1") == [JobState.PENDING, JobState.RUNNING]
    assert story.persisted_states("9000") == [JobState.PENDING, JobState.RUNNING, JobState.SUCCEEDED]
    assert story.ci() is None and story.live_vms() == [] and story.vms_labelled() == []


def test_s12_1_restart_with_aap_mid_provision_keeps_the_job_list_and_launches_no_second_provision_job() -> None:
    story = played("s12_1_restart_mid_provision_aap")
    assert incarnations(story) == [1, 2]
    assert story.notes["jobs at restart"] == [("9000", "provision", "Running")]
    assert story.notes["jobs at running"] == [("9000", "provision", "Succeeded")]
    assert [(j.job_id, j.status) for j in story.aap_jobs("create")] == [(9000, "successful")]
    assert story.latest_states(JobType.PROVISION) == [("9000", "Pending"), ("9000", "Running"), ("9000", "Succeeded")]
    ci = story.ci()
    assert ci is not None and ci.status.phase == Phase.RUNNING and ci.metadata.finalizers == BOTH_FINALIZERS


def test_s12_1_restart_with_eda_mid_provision_keeps_the_job_list_and_sends_no_second_create_webhook() -> None:
    story = played("s12_1_restart_mid_provision_eda")
    assert incarnations(story) == [1, 2]
    assert story.notes["jobs at restart"] == [("eda-webhook-1", "provision", "Unknown")]
    assert story.notes["jobs at running"] == [("eda-webhook-1", "provision", "Unknown")]
    assert len(story.webhooks("create")) == 1
    assert [(j.launched_by, j.status) for j in story.aap_jobs("create")] == [("eda", "successful")]
    ci = story.ci()
    assert ci is not None and ci.status.phase == Phase.RUNNING


def test_s12_1_restart_between_the_aap_launch_and_its_status_write_launches_an_untracked_second_provision_job(
) -> None:
    """FINDING of the reference design, as §12.1 explains: a launch is recorded only by the status write after it.

    The process dies after AAP created job 9000 but before the launch answer reached it, so nothing
    records 9000. The new process finds no provision entry and desired ≠ reconciled, and launches 9001
    (no idempotency key). Two create jobs run at once for one CR (§17 safety 1), and 9000 is never
    recorded in status.jobs[] (§17 safety 2); its annotation even turns the phase Running while the
    recorded job 9001 is still running.
    """
    story = played("s12_1_aap_restart_between_launch_and_record")
    assert story.notes["jobs at restart"] == []
    creates = story.aap_jobs("create")
    assert [(j.job_id, j.launched_by, j.status) for j in creates] == [
        (9000, "api", "successful"), (9001, "api", "successful")]
    assert creates[0].launched_t == story.marks["restart"]
    assert creates[0].finished_t is not None and creates[1].launched_t < creates[0].finished_t

    ids_ever_recorded = {j.job_id for v in story.versions() for j in v.jobs}
    assert ids_ever_recorded == {"9001"}
    assert story.notes["jobs at running"] == [("9001", "provision", "Running")]
    ci = story.ci()
    assert ci is not None and view(ci.status.jobs) == [("9001", "provision", "Succeeded")]
    assert len(story.live_vms()) == 1  # the second create job found the VM already there (AlreadyExists)

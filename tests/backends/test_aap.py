"""The fake AAP controller over HTTP: lookups, launches, the job lifecycle, cancel, purge and injected faults."""

from __future__ import annotations

import json

import pytest
from backend_world import AAP, CREATE, DELETE, World

from models.names import FINALIZER_COMPUTE_INSTANCE_AAP, KIND_VIRTUAL_MACHINE
from sim.backends.aap import AapCancelRequested, AapCancelSignalled, AapJobTransitioned
from sim.backends.config import TemplateSpec
from sim.backends.playbooks import PlaybookStepFinished
from sim.kernel.choice import Dist
from sim.kernel.errors import SimError


def transitions(world: World, job_id: int) -> list[str]:
    return [e.dest for e in world.kernel.log.of_type(AapJobTransitioned) if e.job_id == job_id]


def test_the_template_lookups_answer_count_and_results_by_name() -> None:
    world = World()
    found = world.call("GET", f"{AAP}/v2/job_templates/?name={CREATE}")
    assert found.status == 200
    assert found.body["count"] == 1
    assert found.body["results"][0]["name"] == CREATE
    assert found.body["results"][0]["type"] == "job_template"
    assert world.call("GET", f"{AAP}/v2/workflow_job_templates/?name={CREATE}").body["count"] == 0
    assert world.call("GET", f"{AAP}/v2/job_templates/?name=nope").body == {
        "count": 0, "next": None, "previous": None, "results": []}


def test_a_job_goes_new_pending_waiting_running_successful_and_get_job_shows_each_field() -> None:
    world = World(aap_new_s=Dist.fixed(0.5))
    world.create_instance("vm-1")
    job_id = world.launch(CREATE, "vm-1")
    assert job_id == 9000
    assert world.job(job_id).body["status"] == "new"
    world.advance(1.0)
    assert world.job(job_id).body["status"] == "pending"
    assert world.run_until_finished(job_id) == "successful"
    assert transitions(world, job_id) == ["pending", "waiting", "running", "successful"]
    body = world.job(job_id).body
    assert body["status"] == "successful"
    assert body["started"].startswith("2026-02-16T00:") and body["finished"] > body["started"]
    assert body["result_traceback"] == ""
    assert json.loads(body["extra_vars"])["ansible_eda"]["event"]["payload"]["metadata"]["name"] == "vm-1"


def test_the_launch_answers_201_with_the_new_job_id_counting_up_from_the_configured_start() -> None:
    world = World(aap_first_job_id=500)
    world.create_instance("vm-1")
    body = world.call("POST", f"{AAP}/v2/job_templates/{CREATE}/launch/", {"extra_vars": {}}).body
    assert (body["id"], body["job"], body["status"]) == (500, 500, "pending")
    assert world.launch(CREATE, "vm-1") == 501


def test_launching_an_unknown_template_or_a_job_template_as_a_workflow_answers_404() -> None:
    world = World()
    assert world.call("POST", f"{AAP}/v2/job_templates/nope/launch/", {"extra_vars": {}}).status == 404
    assert world.call("POST", f"{AAP}/v2/workflow_job_templates/{CREATE}/launch/", {"extra_vars": {}}).status == 404
    assert world.call("GET", f"{AAP}/v2/jobs/123/").status == 404
    assert world.call("GET", f"{AAP}/v2/jobs/eda-webhook-1/").status == 404
    assert world.backends.aap.jobs.jobs == {}


def test_cancel_answers_202_and_the_job_ends_canceled_after_the_delay() -> None:
    world = World(aap_pending_s=Dist.fixed(10.0))
    world.create_instance("vm-1")
    job_id = world.launch(CREATE, "vm-1")
    assert world.call("GET", f"{AAP}/v2/jobs/{job_id}/cancel/").body == {"can_cancel": True}
    assert world.call("POST", f"{AAP}/v2/jobs/{job_id}/cancel/").status == 202
    assert world.status(job_id) == "pending"  # the cancel takes effect later
    assert world.run_until_finished(job_id) == "canceled"
    assert transitions(world, job_id) == ["pending", "canceled"]
    assert world.job(job_id).body["started"] is None
    assert world.call("GET", f"{AAP}/v2/jobs/{job_id}/cancel/").body == {"can_cancel": False}


def test_cancel_after_completion_answers_405() -> None:
    world = World()
    world.create_instance("vm-1")
    job_id = world.launch(CREATE, "vm-1")
    assert world.run_until_finished(job_id) == "successful"
    assert world.call("POST", f"{AAP}/v2/jobs/{job_id}/cancel/").status == 405
    answers = [e.answered for e in world.kernel.log.of_type(AapCancelRequested)]
    assert answers == [405]


def test_a_cancelled_create_job_still_completes_its_running_step_and_runs_no_further_step() -> None:
    world = World(aap_cancel_delay_s=Dist.fixed(0.5))
    world.create_instance("vm-1")
    job_id = world.launch(CREATE, "vm-1")
    world.advance(3.5)  # pending 1 s, waiting 1 s, finalizer step 1 s: the create_vm step (2 s) is running
    assert world.status(job_id) == "running"
    assert world.call("POST", f"{AAP}/v2/jobs/{job_id}/cancel/").status == 202
    assert world.run_until_finished(job_id) == "canceled"
    steps = [(e.step, e.ok) for e in world.kernel.log.of_type(PlaybookStepFinished) if e.job_id == job_id]
    assert steps == [("add_finalizer", True), ("create_vm", True)]
    signalled = world.kernel.log.of_type(AapCancelSignalled)
    assert [(e.job_id, e.status) for e in signalled] == [(job_id, "running")]
    assert world.server.select(KIND_VIRTUAL_MACHINE)  # the step that was running when SIGINT came completed
    ci = world.instance("vm-1")
    assert ci is not None and FINALIZER_COMPUTE_INSTANCE_AAP in ci.metadata.finalizers


def test_a_cancel_that_reaches_the_job_only_after_it_finished_changes_nothing() -> None:
    world = World(aap_cancel_delay_s=Dist.fixed(300.0))
    world.create_instance("vm-1")
    job_id = world.launch(CREATE, "vm-1")
    world.advance(5.0)
    assert world.call("POST", f"{AAP}/v2/jobs/{job_id}/cancel/").status == 202
    assert world.run_until_finished(job_id) == "successful"
    world.advance(300.0)
    assert [(e.job_id, e.status) for e in world.kernel.log.of_type(AapCancelSignalled)] == [(job_id, "successful")]
    assert world.status(job_id) == "successful"


def test_a_purged_job_answers_404_on_get_and_on_cancel() -> None:
    world = World()
    world.create_instance("vm-1")
    job_id = world.launch(CREATE, "vm-1")
    assert world.backends.aap.purge(job_id) is False  # an active job is never purged
    world.run_until_finished(job_id)
    assert world.backends.aap.purge(job_id) is True
    assert world.job(job_id).status == 404
    assert world.call("GET", f"{AAP}/v2/jobs/{job_id}/cancel/").status == 404
    assert world.call("POST", f"{AAP}/v2/jobs/{job_id}/cancel/").status == 404
    assert world.status(job_id) == "purged"


def test_finished_jobs_are_purged_by_age_when_configured() -> None:
    world = World(aap_purge_age_s=100.0)
    world.create_instance("vm-1")
    job_id = world.launch(CREATE, "vm-1")
    world.run_until_finished(job_id)
    finished = world.backends.aap.jobs.jobs[job_id].finished_t
    assert finished is not None
    world.advance(finished + 99.0 - world.now)
    assert world.job(job_id).status == 200
    world.advance(2.0)
    assert world.job(job_id).status == 404


def test_a_workflow_template_is_found_by_the_workflow_lookup_and_launched_there() -> None:
    templates = (TemplateSpec("wf-create", "workflow", "create"), TemplateSpec(DELETE, "job", "delete"))
    world = World(aap_templates=templates)
    world.create_instance("vm-1")
    assert world.call("GET", f"{AAP}/v2/job_templates/?name=wf-create").body["count"] == 0
    found = world.call("GET", f"{AAP}/v2/workflow_job_templates/?name=wf-create").body
    assert found["results"][0]["type"] == "workflow_job_template"
    assert world.call("POST", f"{AAP}/v2/job_templates/wf-create/launch/", {"extra_vars": {}}).status == 404
    job_id = world.launch("wf-create", "vm-1", kind="workflow_job_templates")
    assert world.run_until_finished(job_id) == "successful"
    assert world.job(job_id).body["type"] == "workflow_job"


def test_two_jobs_of_one_template_run_at_the_same_time() -> None:
    world = World()
    world.create_instance("vm-1")
    first = world.launch(CREATE, "vm-1")
    second = world.launch(CREATE, "vm-1")
    world.advance(3.0)
    assert world.status(first) == world.status(second) == "running"
    active = world.backends.aap.jobs.active_for("cloudkit-computeinstance", "vm-1", "create")
    assert [j.job_id for j in active] == [first, second]
    assert world.run_until_finished(first) == world.run_until_finished(second) == "successful"
    assert len(world.server.select(KIND_VIRTUAL_MACHINE)) == 1  # the second create found the VM already there


def test_fail_next_makes_the_next_job_of_the_template_fail_with_a_traceback() -> None:
    world = World()
    world.create_instance("vm-1")
    world.backends.aap.fail_next(template=CREATE, step="create_vm")
    job_id = world.launch(CREATE, "vm-1")
    assert world.run_until_finished(job_id) == "failed"
    body = world.job(job_id).body
    assert body["failed"] is True
    assert "create_vm" in body["result_traceback"] and "injected failure" in body["result_traceback"]
    assert world.server.select(KIND_VIRTUAL_MACHINE) == []
    assert world.run_until_finished(world.launch(CREATE, "vm-1")) == "successful"  # only the next one fails


def test_fail_next_rejects_an_unknown_template_or_step() -> None:
    world = World()
    with pytest.raises(SimError, match="template"):
        world.backends.aap.fail_next(template="nope")
    with pytest.raises(SimError, match="step"):
        world.backends.aap.fail_next(template=DELETE, step="create_vm")


def test_an_injected_error_outcome_ends_the_job_error_with_a_traceback() -> None:
    world = World(aap_error_rate=1.0)
    world.create_instance("vm-1")
    job_id = world.launch(CREATE, "vm-1")
    assert world.run_until_finished(job_id) == "error"
    assert world.job(job_id).body["result_traceback"]


def test_an_injected_server_error_answers_5xx_and_launches_nothing() -> None:
    world = World(aap_server_error_rate=1.0)
    world.create_instance("vm-1")
    answer = world.call("POST", f"{AAP}/v2/job_templates/{CREATE}/launch/", {"extra_vars": {}})
    assert answer.status in (500, 502, 503)
    assert world.backends.aap.jobs.jobs == {}


def test_an_injected_timeout_gets_no_answer_and_launches_nothing() -> None:
    world = World(aap_timeout_rate=1.0)
    answer = world.try_call("POST", f"{AAP}/v2/job_templates/{CREATE}/launch/", {"extra_vars": {}})
    assert isinstance(answer, str) and "deadline exceeded" in answer
    world.advance(60.0)
    assert world.backends.aap.jobs.jobs == {}


def test_a_launch_that_times_out_after_being_applied_still_launches_the_job() -> None:
    world = World(aap_timeout_applied_rate=1.0)
    world.create_instance("vm-1")
    answer = world.try_call("POST", f"{AAP}/v2/job_templates/{CREATE}/launch/",
                            {"extra_vars": {"ansible_eda": {"event": {"payload": world.payload("vm-1")}}}})
    assert isinstance(answer, str) and "deadline exceeded" in answer
    assert list(world.backends.aap.jobs.jobs) == [9000]
    assert world.run_until_finished(9000) == "successful"


def test_after_heal_no_injected_fault_meets_a_request_any_more() -> None:
    world = World(aap_server_error_rate=1.0, aap_error_rate=1.0, playbook_step_failure_rate=1.0, eda_lost_rate=1.0)
    world.create_instance("vm-1")
    assert world.call("GET", f"{AAP}/v2/job_templates/?name={CREATE}").status in (500, 502, 503)
    world.backends.heal()
    assert world.backends.config.aap_server_error_rate == 0.0 and world.backends.aap.config.aap_error_rate == 0.0
    assert world.run_until_finished(world.launch(CREATE, "vm-1")) == "successful"
    world.call("POST", "http://eda.example/create-compute-instance", world.payload("vm-1"))
    world.advance(6.0)
    assert len(world.backends.aap.jobs.jobs) == 2


def test_the_job_table_lists_every_job_of_an_instance_oldest_first() -> None:
    world = World()
    world.create_instance("vm-1")
    world.create_instance("vm-2")
    first, other, second = world.launch(CREATE, "vm-1"), world.launch(CREATE, "vm-2"), world.launch(DELETE, "vm-1")
    world.run_until_finished(first)
    jobs = world.backends.aap.jobs
    namespace = "cloudkit-computeinstance"
    assert [j.job_id for j in jobs.for_instance(namespace, "vm-1")] == [first, second]
    assert [j.job_id for j in jobs.for_instance(namespace, "vm-1", "delete")] == [second]
    assert [j.job_id for j in jobs.for_instance(namespace, "vm-2")] == [other]


def test_workflow_jobs_can_be_hidden_from_the_jobs_endpoint_as_real_aap_may_do() -> None:
    templates = (TemplateSpec("wf-create", "workflow", "create"),)
    world = World(aap_templates=templates, aap_workflow_jobs_under_jobs=False)
    world.create_instance("vm-1")
    job_id = world.launch("wf-create", "vm-1", kind="workflow_job_templates")
    assert world.job(job_id).status == 404
    assert world.call("POST", f"{AAP}/v2/jobs/{job_id}/cancel/").status == 404
    assert world.run_until_finished(job_id) == "successful"  # the job itself runs all the same


def jobs_url(query: str) -> str:
    return f"{AAP}/v2/jobs/?{query}"


def test_the_job_list_finds_an_instances_jobs_by_template_name_and_extra_vars_text_newest_first() -> None:
    world = World()
    world.create_instance("vm-1")
    world.create_instance("vm-2")
    uid = world.payload("vm-1")["metadata"]["uid"]
    assert uid and uid != world.payload("vm-2")["metadata"]["uid"]
    first, _, second, _ = (world.launch(CREATE, "vm-1"), world.launch(CREATE, "vm-2"), world.launch(CREATE, "vm-1"),
                           world.launch(DELETE, "vm-1"))
    body = world.call("GET", jobs_url(f"job_template__name={CREATE}&extra_vars__icontains={uid}&order_by=-id")).body
    assert body["count"] == 2
    assert [r["id"] for r in body["results"]] == [second, first]
    result = body["results"][0]
    assert set(result) == {"id", "status", "created", "extra_vars"}
    assert result["created"].startswith("2026-02-16T00:")
    assert json.loads(result["extra_vars"])["ansible_eda"]["event"]["payload"]["metadata"]["uid"] == uid


def test_the_job_list_matches_extra_vars_text_case_insensitively_and_orders_by_id_ascending_on_request() -> None:
    world = World()
    world.create_instance("vm-1")
    first, second = world.launch(CREATE, "vm-1"), world.launch(DELETE, "vm-1")
    body = world.call("GET", jobs_url("extra_vars__icontains=VM-1&order_by=id")).body
    assert [r["id"] for r in body["results"]] == [first, second]
    assert world.call("GET", jobs_url("extra_vars__icontains=no-such-text")).body["count"] == 0


def test_the_job_list_leaves_out_purged_jobs() -> None:
    world = World()
    world.create_instance("vm-1")
    job_id = world.launch(CREATE, "vm-1")
    world.run_until_finished(job_id)
    assert [r["status"] for r in world.call("GET", jobs_url(f"job_template__name={CREATE}")).body["results"]] == [
        "successful"]
    world.backends.aap.purge(job_id)
    assert world.call("GET", jobs_url(f"job_template__name={CREATE}")).body["count"] == 0


def test_the_job_list_answers_400_to_any_other_filter_as_aap_does_to_an_invalid_filter() -> None:
    world = World()
    assert world.call("GET", jobs_url("created__gte=2026-02-16T00:00:00Z")).status == 400
    assert world.call("GET", jobs_url("order_by=status")).status == 400
    assert world.call("POST", jobs_url(f"job_template__name={CREATE}")).status == 405


def test_a_job_url_with_an_empty_id_is_not_the_job_list() -> None:
    world = World()
    world.create_instance("vm-1")
    world.launch(CREATE, "vm-1")
    assert world.call("GET", f"{AAP}/v2/jobs//").status == 404

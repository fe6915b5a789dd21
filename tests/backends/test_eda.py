"""The fake EDA webhooks: an accepted POST launches the template after the delay; lost, duplicated and failed POSTs."""

from __future__ import annotations

import json

from backend_world import CREATE, DELETE, World

from sim.backends.aap import AapJobLaunched
from sim.backends.eda import EdaLaunchFailed, EdaRuleFired, WebhookLost, WebhookReceived

EDA_CREATE = "http://eda.example/create-compute-instance"
EDA_DELETE = "http://eda.example/delete-compute-instance"


def launches(world: World) -> list[AapJobLaunched]:
    return world.kernel.log.of_type(AapJobLaunched)


def test_a_post_is_answered_at_once_and_launches_the_create_template_after_the_delay() -> None:
    world = World()
    world.create_instance("vm-1")
    posted_at = world.now
    answer = world.call("POST", EDA_CREATE, world.payload("vm-1"))
    assert answer.status == 200 and "id" not in answer.body  # EDA gives the operator no job id
    world.advance(4.0)
    assert launches(world) == []
    world.advance(2.0)
    (launch,) = launches(world)
    assert launch.t - posted_at >= 5.0
    assert (launch.template, launch.launched_by, launch.instance_name) == (CREATE, "eda", "vm-1")
    (fired,) = world.kernel.log.of_type(EdaRuleFired)
    assert (fired.template, fired.job_id, fired.copy) == (CREATE, launch.job_id, 1)
    assert world.run_until_finished(launch.job_id) == "successful"


def test_the_job_gets_the_payload_wrapped_as_the_playbooks_expect() -> None:
    world = World()
    world.create_instance("vm-1")
    payload = world.payload("vm-1")
    world.call("POST", EDA_CREATE, payload)
    world.advance(6.0)
    job_id = launches(world)[0].job_id
    answer = world.job(job_id)
    assert json.loads(answer.body["extra_vars"]) == {"ansible_eda": {"event": {"payload": payload}}}


def test_the_delete_webhook_launches_the_delete_template() -> None:
    world = World()
    world.create_instance("vm-1")
    world.call("POST", EDA_DELETE, world.payload("vm-1"))
    world.advance(6.0)
    assert [(e.template, e.playbook) for e in launches(world)] == [(DELETE, "delete")]


def test_a_lost_delivery_is_answered_200_but_launches_nothing() -> None:
    world = World(eda_lost_rate=1.0)
    world.create_instance("vm-1")
    assert world.call("POST", EDA_CREATE, world.payload("vm-1")).status == 200
    world.advance(100.0)
    assert launches(world) == []
    assert [e.delivery for e in world.kernel.log.of_type(WebhookLost)] == [0]


def test_a_duplicated_delivery_launches_the_template_twice() -> None:
    world = World(eda_duplicate_rate=1.0)
    world.create_instance("vm-1")
    assert world.call("POST", EDA_CREATE, world.payload("vm-1")).status == 200
    world.advance(10.0)
    assert [(e.job_id, e.template) for e in launches(world)] == [(9000, CREATE), (9001, CREATE)]
    assert [(e.delivery, e.copy) for e in world.kernel.log.of_type(EdaRuleFired)] == [(0, 1), (0, 2)]


def test_a_server_error_or_a_timeout_is_not_accepted_and_launches_nothing() -> None:
    world = World(eda_server_error_rate=1.0)
    world.create_instance("vm-1")
    assert world.call("POST", EDA_CREATE, world.payload("vm-1")).status in (500, 502, 503)
    world = World(eda_timeout_rate=1.0)
    world.create_instance("vm-1")
    answer = world.try_call("POST", EDA_CREATE, world.payload("vm-1"), timeout_s=10.0)
    assert isinstance(answer, str) and "deadline exceeded" in answer
    world.advance(100.0)
    assert launches(world) == []


def test_a_post_accepted_after_the_caller_gave_up_still_launches() -> None:
    world = World(eda_timeout_accepted_rate=1.0)
    world.create_instance("vm-1")
    answer = world.try_call("POST", EDA_CREATE, world.payload("vm-1"), timeout_s=10.0)
    assert isinstance(answer, str)
    world.advance(20.0)
    assert len(launches(world)) == 1
    assert [e.outcome for e in world.kernel.log.of_type(WebhookReceived)] == ["timeout_accepted"]


def test_a_rule_for_a_template_aap_does_not_have_records_the_failed_launch() -> None:
    world = World(eda_create_template="missing")
    world.create_instance("vm-1")
    world.call("POST", EDA_CREATE, world.payload("vm-1"))
    world.advance(10.0)
    assert launches(world) == []
    assert [e.template for e in world.kernel.log.of_type(EdaLaunchFailed)] == ["missing"]


def test_a_body_that_is_not_a_json_object_is_rejected() -> None:
    world = World()
    assert world.call("POST", EDA_CREATE, "not json").status == 400
    assert world.call("POST", EDA_CREATE, [1, 2]).status == 400

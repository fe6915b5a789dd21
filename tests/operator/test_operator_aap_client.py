"""§11.1 AAP REST client: template lookup fallthrough, the template cache, launches, jobs, cancels, error mapping."""

from __future__ import annotations

from typing import Any

import pytest
from harness import AAP, EMPTY_LIST, FakeWorld, aap_job, drive, ok, raises_message, template_list

from sim.kernel.effects import HttpResponse
from sim.kernel.errors import TransportError
from sim.operator.aap_client import (
    AAPClient,
    MethodNotAllowedError,
    NotFoundError,
    Template,
    TemplateType,
    is_method_not_allowed,
    is_not_found,
)
from sim.operator.errors import GoError, wrap

BASE = "http://aap.example/api/controller"
NAME = "osac-create"


def run(world: FakeWorld, coroutine: Any) -> Any:
    outcome = drive(world, coroutine)
    if outcome.error is not None:
        raise outcome.error
    return outcome.value


def client() -> AAPClient:
    return AAPClient(BASE, "tok", 30.0)


def test_s11_1_job_template_found_first() -> None:
    world = FakeWorld()
    world.route("GET", f"{AAP}/job_templates/?name={NAME}", template_list(NAME, 7))
    assert run(world, client().get_template(NAME)) == Template(7, NAME, TemplateType.JOB)
    assert [r.url for r in world.http_calls] == [f"{AAP}/job_templates/?name={NAME}"]


@pytest.mark.parametrize("first", [EMPTY_LIST, HttpResponse(500, "oops"), HttpResponse(404),
                                   TransportError("timeout"), HttpResponse(200, None)])
def test_s11_1_any_job_template_failure_falls_through_to_workflow(first: Any) -> None:
    world = FakeWorld()
    world.route("GET", f"{AAP}/job_templates/?name={NAME}", first)
    world.route("GET", f"{AAP}/workflow_job_templates/?name={NAME}", template_list(NAME, 8))
    assert run(world, client().get_template(NAME)) == Template(8, NAME, TemplateType.WORKFLOW)


def test_s11_1_first_result_wins() -> None:
    world = FakeWorld()
    world.route("GET", f"{AAP}/job_templates/?name={NAME}",
                ok({"count": 2, "results": [{"id": 3, "name": "a"}, {"id": 4, "name": "b"}]}))
    assert run(world, client().get_template(NAME)).id == 3


def test_s11_1_both_lookups_fail_message() -> None:
    world = FakeWorld()
    world.route("GET", f"{AAP}/job_templates/?name={NAME}", EMPTY_LIST)
    world.route("GET", f"{AAP}/workflow_job_templates/?name={NAME}", HttpResponse(500))
    with pytest.raises(GoError, match=f"^template {NAME} not found as job_templates or workflow_job_templates$"):
        run(world, client().get_template(NAME))


def test_s11_1_template_name_is_not_url_escaped() -> None:
    world = FakeWorld()
    world.route("GET", f"{AAP}/job_templates/?name=a b&c", template_list("a b&c"))
    assert run(world, client().get_template("a b&c")).name == "a b&c"


def test_s11_1_template_cache_has_no_expiry() -> None:
    world = FakeWorld()
    world.route("GET", f"{AAP}/job_templates/?name={NAME}", template_list(NAME))
    c = client()
    run(world, c.get_template(NAME))
    run(world, c.get_template(NAME))
    assert len(world.http_calls) == 1
    c.clear_template_cache()
    run(world, c.get_template(NAME))
    assert len(world.http_calls) == 2


def test_s11_1_failed_lookup_is_not_cached() -> None:
    world = FakeWorld()
    world.route("GET", f"{AAP}/job_templates/?name={NAME}", EMPTY_LIST, template_list(NAME))
    world.route("GET", f"{AAP}/workflow_job_templates/?name={NAME}", EMPTY_LIST)
    c = client()
    with pytest.raises(GoError):
        run(world, c.get_template(NAME))
    assert run(world, c.get_template(NAME)).type == TemplateType.JOB


def test_s11_1_launch_uses_template_name_and_extra_vars() -> None:
    world = FakeWorld()
    world.route("POST", f"{AAP}/job_templates/{NAME}/launch/", ok({"id": 9001, "job": 9001}))
    assert run(world, client().launch_job_template(NAME, {"x": 1})) == 9001
    (request,) = world.http_calls
    assert request.body == {"extra_vars": {"x": 1}}
    assert ("Authorization", "Bearer tok") in request.headers
    assert request.timeout_s == 30.0


def test_s11_1_launch_workflow_template_path() -> None:
    world = FakeWorld()
    world.route("POST", f"{AAP}/workflow_job_templates/{NAME}/launch/", ok({"id": 12}))
    assert run(world, client().launch_workflow_template(NAME, {})) == 12


def test_s11_1_launch_answer_without_id_decodes_as_zero() -> None:
    world = FakeWorld()
    world.route("POST", f"{AAP}/job_templates/{NAME}/launch/", ok({"job": 5}))
    assert run(world, client().launch_job_template(NAME, {})) == 0


def test_s11_1_launch_404_drops_only_that_cache_entry() -> None:
    world = FakeWorld()
    world.route("GET", f"{AAP}/job_templates/?name={NAME}", template_list(NAME))
    world.route("GET", f"{AAP}/job_templates/?name=other", template_list("other"))
    world.route("POST", f"{AAP}/job_templates/{NAME}/launch/", HttpResponse(404))
    c = client()
    run(world, c.get_template(NAME))
    run(world, c.get_template("other"))
    with pytest.raises(NotFoundError):
        run(world, c.launch_job_template(NAME, {}))
    assert set(c.template_cache) == {"other"}


def test_s11_1_launch_500_keeps_cache_entry() -> None:
    world = FakeWorld()
    world.route("GET", f"{AAP}/job_templates/?name={NAME}", template_list(NAME))
    world.route("POST", f"{AAP}/job_templates/{NAME}/launch/", HttpResponse(500, "down"))
    c = client()
    run(world, c.get_template(NAME))
    with raises_message(GoError, "API request failed with status 500: down"):
        run(world, c.launch_job_template(NAME, {}))
    assert NAME in c.template_cache


def test_s11_1_get_job_fields_and_id_as_given() -> None:
    world = FakeWorld()
    world.route("GET", f"{AAP}/jobs/eda-webhook-1/", aap_job(3, "failed", "Traceback"))
    job = run(world, client().get_job("eda-webhook-1"))
    assert (job.id, job.status, job.result_traceback, job.extra_vars) == (3, "failed", "Traceback", "{}")


@pytest.mark.parametrize(("status", "kind"), [(404, NotFoundError), (405, MethodNotAllowedError)])
def test_s11_1_typed_errors_for_404_and_405(status: int, kind: type) -> None:
    world = FakeWorld()
    world.route("POST", f"{AAP}/jobs/7/cancel/", HttpResponse(status))
    with pytest.raises(kind):
        run(world, client().cancel_job("7"))


def test_s11_1_cancel_accepts_any_2xx() -> None:
    world = FakeWorld()
    world.route("POST", f"{AAP}/jobs/7/cancel/", HttpResponse(202))
    assert run(world, client().cancel_job("7")) is None
    assert world.http_calls[0].body is None


def test_s11_1_can_cancel() -> None:
    world = FakeWorld()
    world.route("GET", f"{AAP}/jobs/7/cancel/", ok({"can_cancel": True}))
    assert run(world, client().can_cancel_job("7")) is True


def test_s11_1_transport_error_is_generic() -> None:
    world = FakeWorld()
    world.route("GET", f"{AAP}/jobs/7/", TransportError("context deadline exceeded"))
    with pytest.raises(GoError, match=r"context deadline exceeded") as info:
        run(world, client().get_job("7"))
    assert not is_not_found(info.value)


def test_s12_empty_aap_url_fails_at_call_time_without_sending() -> None:
    world = FakeWorld()
    with pytest.raises(GoError, match=r"unsupported protocol scheme"):
        run(world, AAPClient("", "t").get_job("7"))
    assert world.http_calls == []


def test_s11_1_typed_errors_survive_wrapping() -> None:
    inner = NotFoundError("/jobs/7/")
    outer = wrap("failed to get provision job status", wrap("failed to get job", inner))
    assert str(outer) == "failed to get provision job status: failed to get job: resource not found: /jobs/7/"
    assert is_not_found(outer)
    assert not is_method_not_allowed(outer)
    assert is_method_not_allowed(wrap("x", MethodNotAllowedError("POST", "/jobs/7/cancel/")))

"""§11.2–§11.4 AAP provider: extra vars, launches, status mapping, and every readiness row of §11.4."""

from __future__ import annotations

from typing import Any

import pytest
from harness import (
    AAP,
    DEPROVISION_TEMPLATE,
    EMPTY_LIST,
    PROVISION_TEMPLATE,
    FakeWorld,
    aap_job,
    drive,
    job,
    make_ci,
    ok,
    raises_message,
    route_cancel,
    route_job,
    route_job_template,
    template_list,
)

from models.jobs import JobState, JobType
from models.objects import Phase
from sim.kernel.effects import HttpResponse
from sim.operator.aap import AAPProvider, build_extra_vars
from sim.operator.aap_client import AAPClient
from sim.operator.errors import GoError
from sim.operator.types import DeprovisionAction, ProvisionStatus

BASE = "http://aap.example/api/controller"
D = JobType.DEPROVISION


def provider(provision: str = PROVISION_TEMPLATE, deprovision: str = DEPROVISION_TEMPLATE) -> AAPProvider:
    return AAPProvider(AAPClient(BASE, "tok"), provision, deprovision)


def run(world: FakeWorld, coroutine: Any) -> Any:
    outcome = drive(world, coroutine)
    if outcome.error is not None:
        raise outcome.error
    return outcome.value


def test_s11_4_name() -> None:
    assert provider().name() == "aap"


def test_s11_2_extra_vars_carry_the_whole_cr() -> None:
    ci = make_ci(jobs=[job("1")])
    assert build_extra_vars(ci) == {"ansible_eda": {"event": {"payload": ci.to_dict()}}}


def test_s11_3_trigger_provision_success() -> None:
    world = FakeWorld()
    route_job_template(world, PROVISION_TEMPLATE, ok({"id": 9176}))
    ci = make_ci()
    result = run(world, provider().trigger_provision(ci))
    assert (result.job_id, result.initial_state, result.message) == ("9176", JobState.PENDING,
                                                                      "Provisioning job triggered")
    assert world.http_calls[-1].body == {"extra_vars": build_extra_vars(ci)}


def test_s11_3_trigger_provision_workflow_template() -> None:
    world = FakeWorld()
    world.route("GET", f"{AAP}/job_templates/?name={PROVISION_TEMPLATE}", EMPTY_LIST)
    world.route("GET", f"{AAP}/workflow_job_templates/?name={PROVISION_TEMPLATE}", template_list("w"))
    world.route("POST", f"{AAP}/workflow_job_templates/{PROVISION_TEMPLATE}/launch/", ok({"id": 5}))
    assert run(world, provider().trigger_provision(make_ci())).job_id == "5"


def test_s11_3_trigger_provision_template_not_configured() -> None:
    with raises_message(GoError, "provision template not configured"):
        run(FakeWorld(), provider(provision="").trigger_provision(make_ci()))


def test_s11_3_trigger_provision_template_lookup_failure() -> None:
    world = FakeWorld()
    world.route("GET", f"{AAP}/job_templates/?name={PROVISION_TEMPLATE}", EMPTY_LIST)
    world.route("GET", f"{AAP}/workflow_job_templates/?name={PROVISION_TEMPLATE}", EMPTY_LIST)
    with pytest.raises(GoError, match=f"^failed to get template: template {PROVISION_TEMPLATE} not found as"):
        run(world, provider().trigger_provision(make_ci()))


def test_s11_3_trigger_provision_launch_failures() -> None:
    world = FakeWorld()
    route_job_template(world, PROVISION_TEMPLATE, HttpResponse(500, "x"))
    with raises_message(GoError, "failed to launch job template: API request failed with status 500: x"):
        run(world, provider().trigger_provision(make_ci()))
    world = FakeWorld()
    world.route("GET", f"{AAP}/job_templates/?name={PROVISION_TEMPLATE}", EMPTY_LIST)
    world.route("GET", f"{AAP}/workflow_job_templates/?name={PROVISION_TEMPLATE}", template_list("w"))
    world.route("POST", f"{AAP}/workflow_job_templates/{PROVISION_TEMPLATE}/launch/", HttpResponse(404))
    with raises_message(GoError, "failed to launch workflow template: resource not found", prefix=True):
        run(world, provider().trigger_provision(make_ci()))


@pytest.mark.parametrize(("aap_status", "state"), [
    ("successful", JobState.SUCCEEDED), ("failed", JobState.FAILED), ("error", JobState.FAILED),
    ("canceled", JobState.CANCELED), ("pending", JobState.PENDING), ("waiting", JobState.WAITING),
    ("running", JobState.RUNNING), ("new", JobState.UNKNOWN), ("unknown_status", JobState.UNKNOWN),
    ("", JobState.UNKNOWN),
])
def test_s11_3_status_mapping(aap_status: str, state: JobState) -> None:
    world = FakeWorld()
    route_job(world, "42", aap_job(42, aap_status, traceback="tb"))
    for call in (provider().get_provision_status, provider().get_deprovision_status):
        status = run(world, call(make_ci(), "42"))
        assert (status.job_id, status.state, status.message) == ("42", state, aap_status)
        assert status.error_details == ("tb" if state == JobState.FAILED else "")


def test_s11_3_get_job_error_is_wrapped() -> None:
    world = FakeWorld()
    route_job(world, "42", HttpResponse(404))
    with raises_message(GoError, "failed to get job: resource not found: /jobs/42/"):
        run(world, provider().get_provision_status(make_ci(), "42"))


# --- §11.4 readiness ------------------------------------------------------------------------------------

def deprovision(world: FakeWorld, ci: Any, p: AAPProvider | None = None) -> Any:
    return run(world, (p or provider()).trigger_deprovision(ci))


def deprovision_launches(world: FakeWorld) -> list[str]:
    return [r.url for r in world.http_calls if r.url.endswith(f"{DEPROVISION_TEMPLATE}/launch/")]


def test_s11_4_no_provision_job_ready() -> None:
    world = FakeWorld()
    route_job_template(world, DEPROVISION_TEMPLATE, ok({"id": 77}))
    result = deprovision(world, make_ci(phase=Phase.DELETING))
    assert (result.action, result.job_id, result.block_deletion_on_failure, result.provision_job_status) == (
        DeprovisionAction.TRIGGERED, "77", True, None)


@pytest.mark.parametrize("phase", [Phase.RUNNING, Phase.FAILED])
def test_s11_4_eda_id_phase_running_or_failed_ready_without_aap_call(phase: Phase) -> None:
    world = FakeWorld()
    route_job_template(world, DEPROVISION_TEMPLATE, ok({"id": 77}))
    result = deprovision(world, make_ci(phase=phase, jobs=[job("eda-webhook-1")]))
    assert result.action == DeprovisionAction.TRIGGERED
    assert not any("/jobs/" in r.url for r in world.http_calls)


def test_s11_4_eda_id_phase_deleting_without_deprovision_job_ready() -> None:
    world = FakeWorld()
    route_job_template(world, DEPROVISION_TEMPLATE, ok({"id": 77}))
    result = deprovision(world, make_ci(phase=Phase.DELETING, jobs=[job("eda-webhook-1")]))
    assert result.action == DeprovisionAction.TRIGGERED
    assert result.provision_job_status is None


def test_s11_4_eda_id_phase_deleting_with_deprovision_job_waits() -> None:
    world = FakeWorld()
    ci = make_ci(phase=Phase.DELETING, jobs=[job("eda-webhook-1"), job("", D, state=JobState.FAILED)])
    result = deprovision(world, ci)
    assert (result.action, result.block_deletion_on_failure, result.provision_job_status) == (
        DeprovisionAction.WAITING, True, None)
    assert world.http_calls == []


@pytest.mark.parametrize("phase", [Phase.STARTING, Phase.NONE])
def test_s11_4_eda_id_other_phase_waits_without_aap_call(phase: Phase) -> None:
    world = FakeWorld()
    result = deprovision(world, make_ci(phase=phase, jobs=[job("eda-webhook-3")]))
    assert result.action == DeprovisionAction.WAITING
    assert world.http_calls == []


@pytest.mark.parametrize("job_id", ["9176", ""])
def test_s11_4_aap_id_404_ready_and_entry_untouched(job_id: str) -> None:
    world = FakeWorld()
    route_job(world, job_id, HttpResponse(404))
    route_job_template(world, DEPROVISION_TEMPLATE, ok({"id": 77}))
    ci = make_ci(phase=Phase.DELETING, jobs=[job(job_id)])
    result = deprovision(world, ci)
    assert (result.action, result.provision_job_status) == (DeprovisionAction.TRIGGERED, None)


def test_s11_4_aap_id_other_error_fails_trigger() -> None:
    world = FakeWorld()
    route_job(world, "9176", HttpResponse(500, "db down"))
    with raises_message(GoError, "failed to get provision job status: failed to get job: API request failed",
                        prefix=True):
        deprovision(world, make_ci(phase=Phase.DELETING, jobs=[job("9176")]))
    assert deprovision_launches(world) == []


@pytest.mark.parametrize(("aap_status", "state"), [("successful", JobState.SUCCEEDED),
                                                   ("failed", JobState.FAILED), ("canceled", JobState.CANCELED)])
def test_s11_4_aap_id_terminal_ready_with_status(aap_status: str, state: JobState) -> None:
    world = FakeWorld()
    route_job(world, "9176", aap_job(9176, aap_status))
    route_job_template(world, DEPROVISION_TEMPLATE, ok({"id": 77}))
    result = deprovision(world, make_ci(phase=Phase.DELETING, jobs=[job("9176")]))
    assert result.action == DeprovisionAction.TRIGGERED
    assert result.provision_job_status is not None
    assert (result.provision_job_status.state, result.provision_job_status.message) == (state, aap_status)
    assert not any(r.url.endswith("/cancel/") for r in world.http_calls)


@pytest.mark.parametrize("cancel_status", [202, 200, 405])
def test_s11_4_aap_id_non_terminal_cancel_then_wait(cancel_status: int) -> None:
    world = FakeWorld()
    route_job(world, "9176", aap_job(9176, "running"))
    route_cancel(world, "9176", HttpResponse(cancel_status))
    ci = make_ci(phase=Phase.DELETING, jobs=[job("9176")])
    p = provider()
    for _ in range(2):  # the cancel is sent again on every reconcile that reaches this row
        result = deprovision(world, ci, p)
        assert (result.action, result.block_deletion_on_failure) == (DeprovisionAction.WAITING, True)
        assert result.provision_job_status == ProvisionStatus("9176", JobState.RUNNING, "running")
    assert [r.method for r in world.http_calls] == ["GET", "POST", "GET", "POST"]
    assert deprovision_launches(world) == []


def test_s11_4_unknown_aap_state_is_non_terminal_and_cancelled() -> None:
    world = FakeWorld()
    route_job(world, "9176", aap_job(9176, "new"))
    route_cancel(world, "9176", HttpResponse(202))
    result = deprovision(world, make_ci(phase=Phase.DELETING, jobs=[job("9176")]))
    assert result.action == DeprovisionAction.WAITING
    assert result.provision_job_status is not None and result.provision_job_status.state == JobState.UNKNOWN


@pytest.mark.parametrize("cancel_status", [404, 500])
def test_s11_4_aap_id_cancel_other_error_fails_trigger(cancel_status: int) -> None:
    world = FakeWorld()
    route_job(world, "9176", aap_job(9176, "pending"))
    route_cancel(world, "9176", HttpResponse(cancel_status))
    with raises_message(GoError, "failed to cancel provision job: ", prefix=True):
        deprovision(world, make_ci(phase=Phase.DELETING, jobs=[job("9176")]))


def test_s11_4_latest_provision_job_by_timestamp_decides() -> None:
    world = FakeWorld()
    route_job(world, "2", aap_job(2, "successful"))
    route_job_template(world, DEPROVISION_TEMPLATE, ok({"id": 77}))
    ci = make_ci(phase=Phase.DELETING, jobs=[job("eda-webhook-1", timestamp=5.0), job("2", timestamp=9.0)])
    assert deprovision(world, ci).action == DeprovisionAction.TRIGGERED
    assert world.http_calls[0].url == f"{AAP}/jobs/2/"


def test_s11_4_deprovision_template_not_configured() -> None:
    with raises_message(GoError, "deprovision template not configured"):
        deprovision(FakeWorld(), make_ci(phase=Phase.DELETING), provider(deprovision=""))


def test_s11_4_deprovision_launch_error_is_wrapped() -> None:
    world = FakeWorld()
    route_job_template(world, DEPROVISION_TEMPLATE, HttpResponse(404))
    with raises_message(GoError, "failed to launch job template: resource not found", prefix=True):
        deprovision(world, make_ci(phase=Phase.DELETING))

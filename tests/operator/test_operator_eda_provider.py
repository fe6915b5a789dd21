"""§10.2–§10.3 EDA provider: trigger order of checks, invented ids, Unknown polls, the AAP finalizer protocol."""

from __future__ import annotations

from typing import Any

import pytest
from harness import EDA_CREATE, EDA_DELETE, FakeWorld, drive, job, make_ci, ok, raises_message

from models.jobs import JobState, JobType
from models.names import FINALIZER_COMPUTE_INSTANCE, FINALIZER_COMPUTE_INSTANCE_AAP
from sim.kernel.effects import HttpResponse
from sim.operator.eda import EDAProvider
from sim.operator.errors import GoError
from sim.operator.types import DeprovisionAction, DeprovisionResult, RateLimitError
from sim.operator.webhook import WebhookClient

WITH_AAP = (FINALIZER_COMPUTE_INSTANCE, FINALIZER_COMPUTE_INSTANCE_AAP)


def provider(interval_s: float = 0.0, create: str = EDA_CREATE, delete: str = EDA_DELETE) -> EDAProvider:
    return EDAProvider(WebhookClient(10.0, interval_s), create, delete)


def run(world: FakeWorld, coroutine: Any) -> Any:
    outcome = drive(world, coroutine)
    if outcome.error is not None:
        raise outcome.error
    return outcome.value


def test_s10_3_name() -> None:
    assert provider().name() == "eda"


def test_s10_3_trigger_provision_success() -> None:
    world = FakeWorld()
    world.route("POST", EDA_CREATE, ok())
    result = run(world, provider().trigger_provision(make_ci()))
    assert (result.job_id, result.initial_state, result.message) == (
        "eda-webhook-1", JobState.RUNNING, "Webhook sent to EDA, provisioning in progress")


def test_s10_2_job_id_counts_eda_ids_of_both_types_and_ignores_aap_ids() -> None:
    world = FakeWorld()
    world.route("POST", EDA_CREATE, ok())
    ci = make_ci(jobs=[job("eda-webhook-4"), job("9176"), job("eda-webhook-2", JobType.DEPROVISION),
                       job("eda-webhook-x")])
    assert run(world, provider().trigger_provision(ci)).job_id == "eda-webhook-5"
    assert run(world, provider().trigger_provision(make_ci(jobs=[job("9176")]))).job_id == "eda-webhook-1"


def test_s10_3_trigger_provision_empty_url_checked_first() -> None:
    world = FakeWorld()
    with raises_message(GoError, "create webhook URL not configured"):
        run(world, provider(create="").trigger_provision(make_ci()))
    assert world.http_calls == []


def test_s10_3_trigger_provision_webhook_error_is_wrapped() -> None:
    world = FakeWorld()
    world.route("POST", EDA_CREATE, HttpResponse(500))
    with raises_message(GoError, "failed to trigger create webhook: received non-success status code: 500"):
        run(world, provider().trigger_provision(make_ci()))


def test_s10_3_trigger_provision_rate_limited_returns_elapsed() -> None:
    world = FakeWorld(now=0.0)
    world.route("POST", EDA_CREATE, ok())
    p = provider(interval_s=10.0)
    run(world, p.trigger_provision(make_ci()))
    world.now = 3.0
    with pytest.raises(RateLimitError) as info:
        run(world, p.trigger_provision(make_ci()))
    assert info.value.retry_after_s == 3.0
    assert str(info.value) == "rate limited, retry after 3s"
    assert len(world.http_calls) == 1


def test_s10_3_non_compute_instance_checked_after_the_webhook_was_sent() -> None:
    class Other:
        def __init__(self) -> None:
            self.metadata = make_ci().metadata

        def to_dict(self) -> dict[str, str]:
            return {"kind": "Other"}

    world = FakeWorld()
    world.route("POST", EDA_CREATE, ok())
    with raises_message(GoError, "resource is not a ComputeInstance"):
        run(world, provider().trigger_provision(Other()))
    assert len(world.http_calls) == 1


def test_s10_3_non_webhook_resource_rejected_before_sending() -> None:
    world = FakeWorld()
    with pytest.raises(GoError, match=r"webhook.Resource"):
        run(world, provider().trigger_provision(object()))
    assert world.http_calls == []


@pytest.mark.parametrize("job_id", ["eda-webhook-1", "9176", ""])
def test_s10_3_provision_status_always_unknown(job_id: str) -> None:
    status = run(FakeWorld(), provider().get_provision_status(make_ci(), job_id))
    assert (status.job_id, status.state, status.message) == (
        job_id, JobState.UNKNOWN, "EDA provider does not support status polling")
    assert not status.state.is_terminal


def test_s10_3_deprovision_skipped_without_aap_finalizer_before_url_check() -> None:
    world = FakeWorld()
    result = run(world, provider(delete="").trigger_deprovision(make_ci()))
    assert result == DeprovisionResult(DeprovisionAction.SKIPPED, "", False, None)
    assert world.http_calls == []


def test_s10_3_deprovision_empty_url_with_finalizer() -> None:
    with raises_message(GoError, "delete webhook URL not configured"):
        run(FakeWorld(), provider(delete="").trigger_deprovision(make_ci(finalizers=WITH_AAP)))


def test_s10_3_deprovision_triggered_no_block_no_status_no_cancel() -> None:
    world = FakeWorld()
    world.route("POST", EDA_DELETE, ok())
    ci = make_ci(finalizers=WITH_AAP, jobs=[job("eda-webhook-1")])
    result = run(world, provider().trigger_deprovision(ci))
    assert result == DeprovisionResult(DeprovisionAction.TRIGGERED, "eda-webhook-2", False, None)
    assert [(r.method, r.url) for r in world.http_calls] == [("POST", EDA_DELETE)]


def test_s10_3_deprovision_webhook_error_is_wrapped() -> None:
    world = FakeWorld()
    world.route("POST", EDA_DELETE, HttpResponse(404))
    with raises_message(GoError, "failed to trigger delete webhook: received non-success status code: 404"):
        run(world, provider().trigger_deprovision(make_ci(finalizers=WITH_AAP)))


def test_s10_3_deprovision_rate_limited() -> None:
    world = FakeWorld(now=0.0)
    world.route("POST", EDA_DELETE, ok())
    p = provider(interval_s=10.0)
    ci = make_ci(finalizers=WITH_AAP)
    run(world, p.trigger_deprovision(ci))
    world.now = 2.0
    with pytest.raises(RateLimitError):
        run(world, p.trigger_deprovision(ci))


@pytest.mark.parametrize(("finalizers", "state", "message"), [
    (WITH_AAP, JobState.RUNNING, "Waiting for AAP playbook to complete"),
    ((FINALIZER_COMPUTE_INSTANCE,), JobState.SUCCEEDED, "AAP playbook completed (finalizer removed)"),
])
def test_s10_3_deprovision_status_follows_the_aap_finalizer(finalizers: tuple[str, ...], state: JobState,
                                                           message: str) -> None:
    for job_id in ("eda-webhook-1", "9176"):
        status = run(FakeWorld(), provider().get_deprovision_status(make_ci(finalizers=finalizers), job_id))
        assert (status.state, status.message) == (state, message)

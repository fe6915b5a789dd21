"""§5 handleProvisioning: every trigger and poll branch, for both providers, with their requeues and messages."""

from __future__ import annotations

from typing import Any

from harness import (
    AAP,
    EDA_CREATE,
    PROVISION_TEMPLATE,
    FakeWorld,
    aap_config,
    aap_job,
    eda_config,
    job,
    make_ci,
    ok,
    reconcile,
    route_job,
    route_job_template,
    store_ready_ci,
    stored_ci,
)

from models.jobs import JobRecord, JobState, JobType
from models.names import ANNOTATION_RECONCILED_CONFIG_VERSION
from models.objects import ComputeInstance, Phase
from sim.kernel.effects import HttpResponse, ReconcileResult
from sim.kernel.errors import TransportError
from sim.operator.config import OperatorConfig
from sim.operator.reconciler import ComputeInstanceReconciler
from sim.operator.types import Co, DeprovisionResult, ProvisionResult, ProvisionStatus

POLL = ReconcileResult(requeue_after_s=30.0)


def setup(config: OperatorConfig, *jobs: JobRecord, now: float = 1000.0,
          **kwargs: Any) -> tuple[FakeWorld, ComputeInstanceReconciler]:
    world = FakeWorld(now=now)
    store_ready_ci(world, make_ci(jobs=jobs, **kwargs))
    return world, ComputeInstanceReconciler(config)


def jobs_of(world: FakeWorld) -> list[tuple[str, JobState, str]]:
    return [(j.job_id, j.state, j.message) for j in stored_ci(world).status.jobs]


def test_s5_step4_eda_trigger_success_appends_running_job() -> None:
    world, r = setup(eda_config(), now=1234.5)
    world.route("POST", EDA_CREATE, ok())
    assert reconcile(world, r).value == POLL
    (entry,) = stored_ci(world).status.jobs
    assert entry == JobRecord("eda-webhook-1", JobType.PROVISION, 1234.0, JobState.RUNNING,
                              "Webhook sent to EDA, provisioning in progress", False)


def test_s5_step4_aap_trigger_success_appends_pending_job() -> None:
    world, r = setup(aap_config())
    route_job_template(world, PROVISION_TEMPLATE, ok({"id": 9176}))
    assert reconcile(world, r).value == POLL
    assert jobs_of(world) == [("9176", JobState.PENDING, "Provisioning job triggered")]


def test_s5_step4_rate_limited_requeues_after_elapsed_and_records_nothing() -> None:
    world, r = setup(eda_config(minimum_request_interval_s=10.0), now=100.0)
    world.route("POST", EDA_CREATE, ok(), HttpResponse(500))
    reconcile(world, r)
    ci = stored_ci(world)
    ci.status.jobs = []  # as if the first status write had been lost
    world.put(ci)
    world.now = 104.0
    outcome = reconcile(world, r)
    assert outcome.value == ReconcileResult(requeue_after_s=4.0)
    assert stored_ci(world).status.jobs == []
    assert len(world.http_calls) == 1


def test_s5_step4_trigger_error_appends_failed_entry_with_empty_id() -> None:
    world, r = setup(eda_config())
    world.route("POST", EDA_CREATE, TransportError("dial tcp: connection refused"))
    assert reconcile(world, r).value == POLL
    (entry,) = stored_ci(world).status.jobs
    assert (entry.job_id, entry.state, entry.block_deletion_on_failure) == ("", JobState.FAILED, False)
    assert entry.message == ("Failed to trigger provisioning: failed to trigger create webhook: "
                             "failed to send request: dial tcp: connection refused")
    assert stored_ci(world).status.phase == Phase.STARTING


def test_s5_step4_each_failed_trigger_appends_one_more_entry_then_success() -> None:
    world, r = setup(aap_config())
    route_job_template(world, PROVISION_TEMPLATE, HttpResponse(500, "busy"), HttpResponse(500, "busy"),
                       ok({"id": 3}))
    for t in (1000.0, 1031.0, 1062.0):
        world.now = t
        reconcile(world, r)
    assert jobs_of(world) == [
        ("", JobState.FAILED, "Failed to trigger provisioning: failed to launch job template: "
                              "API request failed with status 500: busy"),
        ("", JobState.FAILED, "Failed to trigger provisioning: failed to launch job template: "
                              "API request failed with status 500: busy"),
        ("3", JobState.PENDING, "Provisioning job triggered"),
    ]


def test_s5_step4_aap_template_not_configured_message() -> None:
    world, r = setup(aap_config(aap_provision_template=""))
    reconcile(world, r)
    assert jobs_of(world) == [("", JobState.FAILED,
                               "Failed to trigger provisioning: provision template not configured")]


def test_s8_failed_triggers_trim_history_by_position() -> None:
    world, r = setup(eda_config(provision_webhook_url="", max_job_history=2))
    for t in (1000.0, 1001.0, 1002.0):
        world.now = t
        reconcile(world, r)
    assert [j.timestamp for j in stored_ci(world).status.jobs] == [1001.0, 1002.0]


def test_s5_step5_poll_error_overwrites_message_keeps_state() -> None:
    world, r = setup(aap_config(), job("9176", state=JobState.RUNNING, message="running"))
    route_job(world, "9176", HttpResponse(502, "bad gateway"))
    assert reconcile(world, r).value == POLL
    assert jobs_of(world) == [("9176", JobState.RUNNING,
                               "Failed to get job status: failed to get job: API request failed with status "
                               "502: bad gateway")]


def test_s5_step5_poll_not_found_is_handled_like_any_error() -> None:
    world, r = setup(aap_config(), job("eda-webhook-1", state=JobState.RUNNING))
    route_job(world, "eda-webhook-1", HttpResponse(404))
    assert reconcile(world, r).value == POLL
    assert jobs_of(world) == [("eda-webhook-1", JobState.RUNNING, "Failed to get job status: failed to get job: "
                                                                  "resource not found: /jobs/eda-webhook-1/")]


def test_s5_step5_non_terminal_overwrites_and_requeues() -> None:
    world, r = setup(aap_config(), job("9176", state=JobState.PENDING))
    route_job(world, "9176", aap_job(9176, "running"))
    assert reconcile(world, r).value == POLL
    assert jobs_of(world) == [("9176", JobState.RUNNING, "running")]


def test_s5_step5_eda_poll_always_unknown_over_any_id() -> None:
    world, r = setup(eda_config(), job("9176", state=JobState.SUCCEEDED, message="successful"),
                     job("9177", timestamp=20.0, state=JobState.RUNNING))
    assert reconcile(world, r).value == POLL
    assert jobs_of(world)[1] == ("9177", JobState.UNKNOWN, "EDA provider does not support status polling")


def test_s5_step5_succeeded_no_requeue_and_phase_unchanged() -> None:
    world, r = setup(aap_config(), job("9176"))
    route_job(world, "9176", aap_job(9176, "successful"))
    assert reconcile(world, r).value == ReconcileResult()
    assert stored_ci(world).status.phase == Phase.STARTING
    assert jobs_of(world) == [("9176", JobState.SUCCEEDED, "successful")]


def test_s5_step5_failed_sets_phase_failed_with_error_details() -> None:
    world, r = setup(aap_config(), job("9176"))
    route_job(world, "9176", aap_job(9176, "failed", traceback="Traceback: boom"))
    assert reconcile(world, r).value == ReconcileResult()
    assert stored_ci(world).status.phase == Phase.FAILED
    assert jobs_of(world) == [("9176", JobState.FAILED, "failed: Traceback: boom")]


def test_s5_step5_canceled_sets_phase_failed() -> None:
    world, r = setup(aap_config(), job("9176"))
    route_job(world, "9176", aap_job(9176, "canceled", traceback="ignored"))
    assert reconcile(world, r).value == ReconcileResult()
    assert stored_ci(world).status.phase == Phase.FAILED
    assert jobs_of(world) == [("9176", JobState.CANCELED, "canceled")]


def test_s2_3_failed_job_is_polled_again_and_phase_stays_failed_never_retriggered() -> None:
    world, r = setup(aap_config(), job("9176", state=JobState.FAILED), phase=Phase.FAILED)
    route_job(world, "9176", aap_job(9176, "failed"))
    for _ in range(2):
        assert reconcile(world, r).value == ReconcileResult()
        assert stored_ci(world).status.phase == Phase.FAILED
    assert all(request.url == f"{AAP}/jobs/9176/" for request in world.http_calls)


def test_s5_step5_poll_updates_first_entry_with_the_same_id() -> None:
    world, r = setup(aap_config(), job("7", timestamp=1.0, state=JobState.FAILED, message="old"),
                     job("7", timestamp=5.0, state=JobState.PENDING, message="new"))
    route_job(world, "7", aap_job(7, "running"))
    reconcile(world, r)
    first, second = stored_ci(world).status.jobs
    assert (first.timestamp, first.state, first.message) == (5.0, JobState.RUNNING, "running")
    assert (second.timestamp, second.state) == (5.0, JobState.PENDING)


def test_s5_step2_no_provider_does_nothing() -> None:
    world, r = setup(eda_config())
    r.provider = None
    assert reconcile(world, r).value == ReconcileResult()
    assert world.http_calls == []


class ReconciledVersionProvider:
    """A test double that fills ReconciledVersion (neither real provider does)."""

    def name(self) -> str:
        return "double"

    def trigger_provision(self, resource: ComputeInstance) -> Co[ProvisionResult]:
        raise AssertionError("not expected")
        yield

    def get_provision_status(self, resource: ComputeInstance, job_id: str) -> Co[ProvisionStatus]:
        return ProvisionStatus(job_id, JobState.SUCCEEDED, "done", reconciled_version="v-from-provider")
        yield

    def trigger_deprovision(self, resource: ComputeInstance) -> Co[DeprovisionResult]:
        raise AssertionError("not expected")
        yield

    def get_deprovision_status(self, resource: ComputeInstance, job_id: str) -> Co[ProvisionStatus]:
        raise AssertionError("not expected")
        yield


def test_s5_step5_succeeded_copies_reconciled_version_when_filled() -> None:
    world, r = setup(eda_config(), job("x"), annotations={ANNOTATION_RECONCILED_CONFIG_VERSION: "old"})
    r.provider = ReconciledVersionProvider()
    assert reconcile(world, r).value == ReconcileResult()
    assert stored_ci(world).status.reconciled_config_version == "v-from-provider"

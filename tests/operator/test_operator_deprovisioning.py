"""§6 handleDelete and §7 handleDeprovisioning: every trigger action and poll branch, for both providers."""

from __future__ import annotations

from typing import Any

from harness import (
    DEPROVISION_TEMPLATE,
    EDA_DELETE,
    NS,
    FakeWorld,
    aap_config,
    aap_job,
    eda_config,
    effect_names,
    job,
    make_ci,
    ok,
    reconcile,
    route_cancel,
    route_job,
    route_job_template,
    stored_ci,
)

from models.jobs import JobRecord, JobState, JobType
from models.names import FINALIZER_COMPUTE_INSTANCE, FINALIZER_COMPUTE_INSTANCE_AAP, KIND_COMPUTE_INSTANCE
from models.objects import ComputeInstance, Phase
from sim.kernel.effects import HttpResponse, ReconcileResult, Update
from sim.operator.config import OperatorConfig
from sim.operator.errors import PanicError
from sim.operator.reconciler import ComputeInstanceReconciler
from sim.operator.types import Co, DeprovisionAction, DeprovisionResult, ProvisionResult, ProvisionStatus

POLL = ReconcileResult(requeue_after_s=30.0)
D = JobType.DEPROVISION
BOTH = (FINALIZER_COMPUTE_INSTANCE, FINALIZER_COMPUTE_INSTANCE_AAP)


def setup(config: OperatorConfig, *jobs: JobRecord, finalizers: tuple[str, ...] = BOTH,
          phase: Phase = Phase.RUNNING, **kwargs: Any) -> tuple[FakeWorld, ComputeInstanceReconciler]:
    world = FakeWorld()
    world.put(make_ci(jobs=jobs, finalizers=finalizers, phase=phase, deleting=True, **kwargs))
    return world, ComputeInstanceReconciler(config)


def gone(world: FakeWorld) -> bool:
    return world.get(KIND_COMPUTE_INSTANCE, NS, "vm-1") is None


def jobs_of(world: FakeWorld) -> list[tuple[str, JobType, JobState, str, bool]]:
    return [(j.job_id, j.type, j.state, j.message, j.block_deletion_on_failure)
            for j in stored_ci(world).status.jobs]


def test_s6_step2_base_finalizer_absent_only_phase_deleting() -> None:
    world, r = setup(eda_config(), finalizers=(FINALIZER_COMPUTE_INSTANCE_AAP,))
    outcome = reconcile(world, r)
    assert outcome.value == ReconcileResult()
    assert effect_names(outcome.effects) == ["CachedGet", "CachedGet", "UpdateStatus"]
    assert stored_ci(world).status.phase == Phase.DELETING


def test_s7_eda_without_aap_finalizer_skips_and_removes_base_finalizer() -> None:
    world, r = setup(eda_config(), finalizers=(FINALIZER_COMPUTE_INSTANCE,))
    assert reconcile(world, r).value == ReconcileResult()
    assert gone(world)


def test_s7_eda_trigger_appends_pending_deprovision_without_block() -> None:
    world, r = setup(eda_config(), job("eda-webhook-1"))
    world.route("POST", EDA_DELETE, ok())
    assert reconcile(world, r).value == POLL
    assert jobs_of(world)[1] == ("eda-webhook-2", D, JobState.PENDING, "Deprovisioning job triggered", False)
    assert jobs_of(world)[0][2] == JobState.RUNNING  # no provision-job status from EDA
    assert stored_ci(world).status.phase == Phase.DELETING


def test_s7_eda_poll_waits_while_aap_finalizer_present() -> None:
    world, r = setup(eda_config(), job("eda-webhook-2", D, state=JobState.PENDING))
    assert reconcile(world, r).value == POLL
    assert jobs_of(world) == [("eda-webhook-2", D, JobState.RUNNING, "Waiting for AAP playbook to complete", False)]
    assert world.http_calls == []


def test_s7_eda_poll_succeeds_once_finalizer_removed_and_cr_disappears() -> None:
    world, r = setup(eda_config(), job("eda-webhook-2", D), finalizers=(FINALIZER_COMPUTE_INSTANCE,))
    outcome = reconcile(world, r)
    assert outcome.value == ReconcileResult()
    assert len(outcome.of(Update)) == 1
    assert gone(world)


def test_s7_step3_trigger_error_requeues_and_records_nothing() -> None:
    world, r = setup(eda_config(), job("eda-webhook-1"))
    world.route("POST", EDA_DELETE, HttpResponse(500))
    assert reconcile(world, r).value == POLL
    assert [j.type for j in stored_ci(world).status.jobs] == [JobType.PROVISION]
    assert FINALIZER_COMPUTE_INSTANCE in stored_ci(world).metadata.finalizers


def test_s7_step3_rate_limited_requeues_after_elapsed() -> None:
    world, r = setup(eda_config(minimum_request_interval_s=10.0))
    world.route("POST", EDA_DELETE, ok())
    r_provider_client = r.provider.webhook_client  # type: ignore[union-attr]
    r_provider_client.add_inflight_request(EDA_DELETE, make_ci(), world.now - 3.0)
    assert reconcile(world, r).value == ReconcileResult(requeue_after_s=3.0)
    assert world.http_calls == []


def test_s7_step3_aap_waiting_overwrites_provision_job_with_plain_message() -> None:
    world, r = setup(aap_config(), job("9176", state=JobState.PENDING))
    route_job(world, "9176", aap_job(9176, "running"))
    route_cancel(world, "9176", HttpResponse(202))
    assert reconcile(world, r).value == POLL
    assert jobs_of(world) == [("9176", JobType.PROVISION, JobState.RUNNING, "running", False)]


def test_s7_step3_aap_waiting_failed_status_has_no_error_details() -> None:
    class FailedWhileWaiting(StubProvider):
        def trigger_deprovision(self, resource: ComputeInstance) -> Co[DeprovisionResult]:
            status = ProvisionStatus("9176", JobState.FAILED, "failed", error_details="tb")
            return DeprovisionResult(DeprovisionAction.WAITING, "", True, status)
            yield

    world, r = setup(aap_config(), job("9176"))
    r.provider = FailedWhileWaiting()
    assert reconcile(world, r).value == POLL
    assert jobs_of(world)[0][2:4] == (JobState.FAILED, "failed")


def test_s7_step3_aap_triggered_records_provision_status_and_blocking_deprovision_job() -> None:
    world, r = setup(aap_config(), job("9176", state=JobState.RUNNING))
    route_job(world, "9176", aap_job(9176, "canceled"))
    route_job_template(world, DEPROVISION_TEMPLATE, ok({"id": 9180}))
    assert reconcile(world, r).value == POLL
    assert jobs_of(world) == [
        ("9176", JobType.PROVISION, JobState.CANCELED, "canceled", False),
        ("9180", D, JobState.PENDING, "Deprovisioning job triggered", True),
    ]


def test_s7_step3_latest_deprovision_with_empty_id_triggers_again() -> None:
    world, r = setup(eda_config(), job("", D, state=JobState.FAILED))
    world.route("POST", EDA_DELETE, ok())
    assert reconcile(world, r).value == POLL
    assert [j.job_id for j in stored_ci(world).status.jobs] == ["", "eda-webhook-1"]


def test_s7_step4_poll_error_overwrites_message_404_included() -> None:
    world, r = setup(aap_config(), job("9180", D, state=JobState.RUNNING, block=True))
    route_job(world, "9180", HttpResponse(404))
    assert reconcile(world, r).value == POLL
    assert jobs_of(world) == [("9180", D, JobState.RUNNING,
                               "Failed to get job status: failed to get job: resource not found: /jobs/9180/", True)]


def test_s7_step4_poll_non_terminal_requeues() -> None:
    world, r = setup(aap_config(), job("9180", D, state=JobState.PENDING, block=True))
    route_job(world, "9180", aap_job(9180, "waiting"))
    assert reconcile(world, r).value == POLL
    assert jobs_of(world)[0][2:4] == (JobState.WAITING, "waiting")


def test_s7_step4_poll_succeeded_removes_base_finalizer() -> None:
    world, r = setup(aap_config(), job("9180", D, block=True), finalizers=(FINALIZER_COMPUTE_INSTANCE,))
    route_job(world, "9180", aap_job(9180, "successful"))
    assert reconcile(world, r).value == ReconcileResult()
    assert gone(world)


def test_s7_step4_aap_succeeded_removes_base_finalizer_even_with_aap_finalizer_left() -> None:
    world, r = setup(aap_config(), job("9180", D, block=True))
    route_job(world, "9180", aap_job(9180, "successful"))
    assert reconcile(world, r).value == ReconcileResult()
    assert stored_ci(world).metadata.finalizers == [FINALIZER_COMPUTE_INSTANCE_AAP]


def test_s7_step4_failed_with_block_keeps_finalizer_and_repolls_forever() -> None:
    world, r = setup(aap_config(), job("9180", D, block=True))
    route_job(world, "9180", aap_job(9180, "failed", traceback="tb"))
    for _ in range(2):
        assert reconcile(world, r).value == POLL
    assert jobs_of(world) == [("9180", D, JobState.FAILED, "failed: tb", True)]
    assert FINALIZER_COMPUTE_INSTANCE in stored_ci(world).metadata.finalizers
    assert not any(r.url.endswith("/launch/") for r in world.http_calls)


def test_s7_step4_canceled_without_block_removes_finalizer() -> None:
    world, r = setup(aap_config(), job("9180", D, block=False), finalizers=(FINALIZER_COMPUTE_INSTANCE,))
    route_job(world, "9180", aap_job(9180, "canceled"))
    assert reconcile(world, r).value == ReconcileResult()
    assert gone(world)


def test_s7_step4_already_terminal_stored_job_is_polled_again() -> None:
    world, r = setup(aap_config(), job("9180", D, state=JobState.SUCCEEDED), finalizers=(FINALIZER_COMPUTE_INSTANCE,))
    route_job(world, "9180", aap_job(9180, "successful"))
    reconcile(world, r)
    assert [request.url.rsplit("/", 2)[-2] for request in world.http_calls] == ["9180"]


def test_s6_step3_negative_poll_interval_waiting_falls_through_to_finalizer_removal() -> None:
    world, r = setup(aap_config(status_poll_interval_s=-1.0), job("9176"))
    route_job(world, "9176", aap_job(9176, "running"))
    route_cancel(world, "9176", HttpResponse(202))
    assert reconcile(world, r).value == ReconcileResult()
    assert stored_ci(world).metadata.finalizers == [FINALIZER_COMPUTE_INSTANCE_AAP]


class StubProvider:
    """A provider double answering one deprovision action."""

    def __init__(self, action: str = "") -> None:
        self.action = action

    def name(self) -> str:
        return "stub"

    def trigger_provision(self, resource: ComputeInstance) -> Co[ProvisionResult]:
        raise AssertionError("not expected")
        yield

    def get_provision_status(self, resource: ComputeInstance, job_id: str) -> Co[ProvisionStatus]:
        raise AssertionError("not expected")
        yield

    def trigger_deprovision(self, resource: ComputeInstance) -> Co[DeprovisionResult]:
        return DeprovisionResult(self.action)  # type: ignore[arg-type]
        yield

    def get_deprovision_status(self, resource: ComputeInstance, job_id: str) -> Co[ProvisionStatus]:
        return ProvisionStatus(job_id, JobState.RUNNING, "polled")
        yield


def test_s7_step3_unknown_action_with_no_latest_job_is_a_nil_pointer_panic() -> None:
    world, r = setup(eda_config())
    r.provider = StubProvider("bogus")
    outcome = reconcile(world, r)
    assert isinstance(outcome.error, PanicError)
    assert world.status_writes == []  # a panic is not a returned error: no status write follows


def test_s7_step3_unknown_action_with_empty_id_latest_falls_through_to_poll() -> None:
    world, r = setup(eda_config(), job("", D, state=JobState.FAILED))
    r.provider = StubProvider("bogus")
    assert reconcile(world, r).value == POLL
    assert jobs_of(world) == [("", D, JobState.RUNNING, "polled", False)]

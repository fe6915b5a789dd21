"""§15 restart handling, step by step."""

from __future__ import annotations

from harness import (
    NS,
    TENANT_NS,
    FakeWorld,
    eda_config,
    job,
    make_ci,
    make_vm,
    make_vmi,
    reconcile,
    store_ready_ci,
    stored_ci,
)

from models.config_version import desired_config_version
from models.jobs import JobState
from models.names import ANNOTATION_RECONCILED_CONFIG_VERSION, KIND_VIRTUAL_MACHINE_INSTANCE
from models.objects import ComputeInstance, ComputeInstanceSpec, Condition, Phase
from models.simtime import rfc3339
from sim.kernel.effects import Delete, ReconcileResult
from sim.kernel.errors import NotFound, ServerError
from sim.operator.errors import GoError
from sim.operator.reconciler import ComputeInstanceReconciler

REQUESTED = 900.0


def rec() -> ComputeInstanceReconciler:
    return ComputeInstanceReconciler(eda_config())


def restart_ci(*, last: float | None = None, conditions: list[Condition] | None = None) -> ComputeInstance:
    ci = make_ci(jobs=[job("eda-webhook-1", state=JobState.SUCCEEDED)])
    ci.spec.restart_requested_at = REQUESTED
    ci.metadata.annotations[ANNOTATION_RECONCILED_CONFIG_VERSION] = desired_config_version(ci.spec)
    ci.status.last_restarted_at = last
    ci.status.conditions = conditions or []
    return ci


def conditions(world: FakeWorld) -> dict[str, tuple[str, str, str]]:
    return {c.type: (c.status, c.reason, c.message) for c in stored_ci(world).status.conditions}


def test_s15_step1_no_request_removes_restart_conditions() -> None:
    world = FakeWorld()
    ci = make_ci(annotations={ANNOTATION_RECONCILED_CONFIG_VERSION: desired_config_version(ComputeInstanceSpec(
        "template-1"))})
    ci.status.conditions = [Condition("RestartInProgress", "True"), Condition("RestartFailed", "True")]
    store_ready_ci(world, ci)
    assert reconcile(world, rec()).error is None
    assert "RestartInProgress" not in conditions(world) and "RestartFailed" not in conditions(world)


def test_s15_step4_no_vm_reference_sets_restart_failed() -> None:
    world = FakeWorld()
    store_ready_ci(world, restart_ci())
    outcome = reconcile(world, rec())
    assert outcome.value == ReconcileResult()
    assert conditions(world)["RestartFailed"] == ("True", "NoVMReference", "No VirtualMachine reference found")


def test_s15_step4_vmi_not_found_waits_in_progress() -> None:
    world = FakeWorld()
    store_ready_ci(world, restart_ci())
    make_vm(world)
    reconcile(world, rec())
    assert conditions(world)["RestartInProgress"][0::2] == ("True", "Waiting for VMI to be created")
    assert stored_ci(world).status.last_restarted_at is None


def test_s15_step4_deletes_vmi_and_marks_in_progress() -> None:
    world = FakeWorld(now=1000.0)
    ci = restart_ci(conditions=[Condition("RestartFailed", "True", "NoVMReference")])
    store_ready_ci(world, ci)
    make_vm(world)
    make_vmi(world, created_at=10.0)
    outcome = reconcile(world, rec())
    assert outcome.of(Delete) == [Delete(KIND_VIRTUAL_MACHINE_INSTANCE, TENANT_NS, "vm-1")]
    assert world.get(KIND_VIRTUAL_MACHINE_INSTANCE, TENANT_NS, "vm-1") is None
    assert conditions(world)["RestartInProgress"] == ("True", "RestartInitiated",
                                                      f"Restart initiated at {rfc3339(1000.0)}")
    assert "RestartFailed" not in conditions(world)
    assert stored_ci(world).status.last_restarted_at is None


def test_s15_step4_delete_not_found_counts_as_success() -> None:
    world = FakeWorld()
    store_ready_ci(world, restart_ci())
    make_vm(world)
    make_vmi(world)
    world.fail(Delete, NotFound("already gone"))
    outcome = reconcile(world, rec())
    assert outcome.error is None
    assert conditions(world)["RestartInProgress"][0] == "True"


def test_s15_step4_delete_failure_sets_restart_failed_and_aborts_with_error() -> None:
    world = FakeWorld()
    store_ready_ci(world, restart_ci())
    make_vm(world)
    make_vmi(world)
    world.fail(Delete, ServerError("etcd timeout"))
    outcome = reconcile(world, rec())
    assert isinstance(outcome.error, GoError)
    assert conditions(world)["RestartFailed"] == ("True", "VMIDeletionFailed", "Failed to delete VMI: etcd timeout")
    assert stored_ci(world).status.phase == Phase.STARTING  # aborted before step 9
    assert "RestartInProgress" not in conditions(world)


def test_s15_step2_newer_vmi_completes_restart() -> None:
    world = FakeWorld()
    in_progress = [Condition("RestartInProgress", "True", "RestartInitiated"), Condition("RestartFailed", "True")]
    store_ready_ci(world, restart_ci(conditions=in_progress))
    make_vm(world)
    make_vmi(world, created_at=REQUESTED + 5.0)
    reconcile(world, rec())
    assert stored_ci(world).status.last_restarted_at == REQUESTED
    assert "RestartInProgress" not in conditions(world) and "RestartFailed" not in conditions(world)


def test_s15_step2_vmi_not_newer_or_missing_keeps_waiting_without_deleting() -> None:
    for created_at in (REQUESTED, REQUESTED - 1.0, None):
        world = FakeWorld()
        store_ready_ci(world, restart_ci(conditions=[Condition("RestartInProgress", "True", "RestartInitiated")]))
        make_vm(world)
        if created_at is not None:
            make_vmi(world, created_at=created_at)
        outcome = reconcile(world, rec())
        assert outcome.of(Delete) == []
        assert stored_ci(world).status.last_restarted_at is None
        assert conditions(world)["RestartInProgress"][0] == "True"


def test_s15_step3_request_not_newer_than_last_restart_does_nothing() -> None:
    for last in (REQUESTED, REQUESTED + 1.0):
        world = FakeWorld()
        store_ready_ci(world, restart_ci(last=last))
        make_vm(world)
        make_vmi(world)
        outcome = reconcile(world, rec())
        assert outcome.of(Delete) == []
        assert "RestartInProgress" not in conditions(world)


def test_s15_newer_request_than_last_restart_restarts_again() -> None:
    world = FakeWorld()
    store_ready_ci(world, restart_ci(last=REQUESTED - 100.0))
    make_vm(world)
    make_vmi(world)
    assert len(reconcile(world, rec()).of(Delete)) == 1


def test_s15_setting_restart_changes_desired_and_takes_step_10_with_latest_job() -> None:
    world = FakeWorld()
    ci = make_ci(jobs=[job("eda-webhook-1", state=JobState.SUCCEEDED)], phase=Phase.RUNNING)
    ci.metadata.annotations[ANNOTATION_RECONCILED_CONFIG_VERSION] = desired_config_version(
        ComputeInstanceSpec("template-1"))
    ci.spec.restart_requested_at = REQUESTED
    store_ready_ci(world, ci)
    outcome = reconcile(world, rec())
    stored = stored_ci(world)
    assert stored.status.phase == Phase.STARTING
    assert conditions(world)["Progressing"] == ("True", "AsExpected", "Applying configuration")
    assert outcome.http == []  # latest provision job has an id: it is polled (EDA: Unknown), never re-triggered
    assert stored.status.jobs[0].state == JobState.UNKNOWN
    assert outcome.value == ReconcileResult(requeue_after_s=30.0)
    assert stored.metadata.namespace == NS

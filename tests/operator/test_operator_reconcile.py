"""§3 Reconcile entry point and status persistence, and §2.6 management states."""

from __future__ import annotations

from harness import (
    EDA_CREATE,
    NS,
    FakeWorld,
    eda_config,
    effect_names,
    job,
    make_ci,
    make_vm,
    ok,
    reconcile,
    store_ready_ci,
    stored_ci,
)

from models.config_version import desired_config_version
from models.jobs import JobState, JobType
from models.names import (
    ANNOTATION_MANAGEMENT_STATE,
    ANNOTATION_RECONCILED_CONFIG_VERSION,
    FINALIZER_COMPUTE_INSTANCE,
    FINALIZER_COMPUTE_INSTANCE_AAP,
    KIND_COMPUTE_INSTANCE,
)
from models.objects import ComputeInstanceSpec, Phase
from sim.kernel.effects import CachedGet, ReconcileResult, Sleep, Update, UpdateStatus
from sim.kernel.errors import Conflict, Invalid, NotFound, ServerError
from sim.operator.errors import GoError
from sim.operator.reconciler import ComputeInstanceReconciler

MATCHING = {ANNOTATION_RECONCILED_CONFIG_VERSION: desired_config_version(ComputeInstanceSpec("template-1"))}


def rec() -> ComputeInstanceReconciler:
    return ComputeInstanceReconciler(eda_config())


def test_s3_step1_not_found_is_done_without_error() -> None:
    outcome = reconcile(FakeWorld(), rec())
    assert (outcome.value, outcome.error) == (ReconcileResult(), None)
    assert effect_names(outcome.effects) == ["CachedGet"]


def test_s3_step1_other_get_error_is_returned() -> None:
    world = FakeWorld()
    world.fail(CachedGet, ServerError("etcd"))
    assert isinstance(reconcile(world, rec()).error, ServerError)


def test_s2_6_unmanaged_returns_right_after_the_get() -> None:
    world = FakeWorld()
    world.put(make_ci(annotations={ANNOTATION_MANAGEMENT_STATE: "unmanaged"}, finalizers=()))
    outcome = reconcile(world, rec())
    assert outcome.value == ReconcileResult()
    assert effect_names(outcome.effects) == ["CachedGet"]


def test_s2_6_unmanaged_also_during_deletion() -> None:
    world = FakeWorld()
    world.put(make_ci(annotations={ANNOTATION_MANAGEMENT_STATE: "unmanaged"}, deleting=True))
    outcome = reconcile(world, rec())
    assert effect_names(outcome.effects) == ["CachedGet"]
    assert stored_ci(world).metadata.finalizers == [FINALIZER_COMPUTE_INSTANCE]


def test_s2_6_manual_computes_status_but_never_triggers() -> None:
    world = FakeWorld()
    store_ready_ci(world, make_ci(annotations={ANNOTATION_MANAGEMENT_STATE: "manual"}))
    outcome = reconcile(world, rec())
    assert outcome.value == ReconcileResult()
    assert outcome.http == []
    ci = stored_ci(world)
    assert ci.status.phase == Phase.STARTING
    assert ci.status.desired_config_version == desired_config_version(ci.spec)
    assert ci.status.condition("Progressing") is not None
    assert ci.status.jobs == []


def test_s2_6_manual_deletion_removes_base_finalizer_without_deprovision_and_keeps_others() -> None:
    world = FakeWorld()
    world.put(make_ci(annotations={ANNOTATION_MANAGEMENT_STATE: "manual"}, deleting=True,
                      finalizers=(FINALIZER_COMPUTE_INSTANCE, FINALIZER_COMPUTE_INSTANCE_AAP)))
    outcome = reconcile(world, rec())
    assert outcome.value == ReconcileResult()
    assert outcome.http == []
    assert stored_ci(world).metadata.finalizers == [FINALIZER_COMPUTE_INSTANCE_AAP]


def test_s3_step5_unchanged_status_is_not_written() -> None:
    world = FakeWorld()
    store_ready_ci(world, make_ci(annotations=MATCHING))
    first = reconcile(world, rec())
    assert len(first.of(UpdateStatus)) == 1
    second = reconcile(world, rec())
    assert second.value == ReconcileResult()
    assert second.of(UpdateStatus) == []


def test_s3_step5_status_written_even_when_the_handler_errors() -> None:
    world = FakeWorld()
    store_ready_ci(world, make_ci(phase=Phase.RUNNING))
    make_vm(world, name="a")
    make_vm(world, name="b")
    outcome = reconcile(world, rec())
    assert isinstance(outcome.error, GoError)
    assert str(outcome.error) == "found too many (2) matching VirtualMachines for vm-1"
    assert stored_ci(world).status.phase == Phase.STARTING


def test_s3_step5_status_write_error_replaces_the_handler_result() -> None:
    world = FakeWorld()
    world.route("POST", EDA_CREATE, ok())
    store_ready_ci(world, make_ci())
    world.fail(UpdateStatus, ServerError("boom"))
    outcome = reconcile(world, rec())
    assert isinstance(outcome.error, ServerError)
    assert outcome.value is None


def test_s3_retry_on_conflict_five_attempts_ten_ms_apart_rereading_each_time() -> None:
    world = FakeWorld(now=0.0)
    world.route("POST", EDA_CREATE, ok())
    store_ready_ci(world, make_ci())
    world.fail(UpdateStatus, Conflict("stale"), times=4)
    outcome = reconcile(world, rec())
    assert outcome.error is None
    assert len(outcome.of(UpdateStatus)) == 5
    assert [s.seconds for s in outcome.of(Sleep)] == [0.01] * 4
    names = effect_names(outcome.effects)
    tail = names[names.index("Sleep") - 2:]
    assert tail == ["CachedGet", "UpdateStatus"] + ["Sleep", "CachedGet", "UpdateStatus"] * 4


def test_s3_retry_on_conflict_fifth_conflict_is_returned() -> None:
    world = FakeWorld()
    world.route("POST", EDA_CREATE, ok())
    store_ready_ci(world, make_ci())
    world.fail(UpdateStatus, Conflict("stale"), times=5)
    outcome = reconcile(world, rec())
    assert isinstance(outcome.error, Conflict)
    assert len(outcome.of(UpdateStatus)) == 5
    assert len(outcome.of(Sleep)) == 4


def test_s3_retry_non_conflict_error_returned_at_once() -> None:
    for error in (Invalid("422"), NotFound("gone"), ServerError("5xx")):
        world = FakeWorld()
        world.route("POST", EDA_CREATE, ok())
        store_ready_ci(world, make_ci())
        world.fail(UpdateStatus, error)
        outcome = reconcile(world, rec())
        assert outcome.error is error
        assert len(outcome.of(UpdateStatus)) == 1
        assert outcome.of(Sleep) == []


def test_s3_retry_reread_get_not_found_returned_at_once() -> None:
    world = FakeWorld()
    world.route("POST", EDA_CREATE, ok())
    store_ready_ci(world, make_ci())
    world.fail(UpdateStatus, Conflict("stale"))
    original_perform = world.perform
    reads = 0

    def perform(effect: object) -> object:
        nonlocal reads
        if isinstance(effect, CachedGet) and effect.kind == KIND_COMPUTE_INSTANCE:
            reads += 1
            if reads == 3:  # 1: reconcile's Get, 2: first attempt, 3: second attempt
                raise NotFound("deleted meanwhile")
        return original_perform(effect)  # type: ignore[arg-type]

    world.perform = perform  # type: ignore[method-assign]
    outcome = reconcile(world, rec())
    assert isinstance(outcome.error, NotFound)
    assert len(outcome.of(Sleep)) == 1


def test_s3_retry_jitter_is_drawn_from_the_given_source() -> None:
    world = FakeWorld()
    world.route("POST", EDA_CREATE, ok())
    store_ready_ci(world, make_ci())
    world.fail(UpdateStatus, Conflict("stale"))
    outcome = reconcile(world, ComputeInstanceReconciler(eda_config(), jitter=lambda: 0.5))
    assert [s.seconds for s in outcome.of(Sleep)] == [0.01 * 1.05]


def test_s3_status_write_replaces_the_entire_stored_status() -> None:
    world = FakeWorld()
    world.route("POST", EDA_CREATE, ok())
    store_ready_ci(world, make_ci())
    stale = stored_ci(world)
    newer = stored_ci(world)
    newer.status.jobs = [job("someone-else", JobType.PROVISION, 1.0, JobState.SUCCEEDED)]
    world.put(newer)  # stored after our read: our write carries the latest resourceVersion and overwrites it
    world.answer_next(CachedGet, stale)
    outcome = reconcile(world, rec())
    assert outcome.error is None
    assert [j.job_id for j in stored_ci(world).status.jobs] == ["eda-webhook-1"]


def test_s3_finalizer_update_returns_stored_status_which_replaces_memory() -> None:
    world = FakeWorld()
    world.put(make_ci(finalizers=()))  # very first reconcile: stored status is empty, no tenant yet
    outcome = reconcile(world, rec())
    assert outcome.value == ReconcileResult()
    assert len(outcome.of(Update)) == 1
    ci = stored_ci(world)
    assert ci.metadata.finalizers == [FINALIZER_COMPUTE_INSTANCE]
    # Steps 1–2 (conditions, Starting) were lost with the Update's answer; only tenantReference was set after.
    assert ci.status.conditions == []
    assert ci.status.phase == Phase.NONE
    assert ci.status.tenant_reference is not None


def test_s3_finalizer_removal_update_then_equal_status_means_no_write() -> None:
    world = FakeWorld()
    world.put(make_ci(deleting=True, phase=Phase.RUNNING))  # EDA, no AAP finalizer ⇒ Skipped
    outcome = reconcile(world, rec())
    assert outcome.value == ReconcileResult()
    assert effect_names(outcome.effects) == ["CachedGet", "Update"]
    assert world.get(KIND_COMPUTE_INSTANCE, NS, "vm-1") is None


def test_s6_step4_status_differs_after_removal_then_write_gets_not_found() -> None:
    world = FakeWorld()
    world.put(make_ci(deleting=True, phase=Phase.RUNNING))
    answered = make_ci(deleting=True, finalizers=(), phase=Phase.DELETING)
    world.answer_next(Update, answered)  # the server's answer carries a status unlike the snapshot
    world.objects.clear()  # ... and the object is gone by the time the status write arrives
    world.answers[CachedGet].append(make_ci(deleting=True, phase=Phase.RUNNING))
    outcome = reconcile(world, rec())
    assert isinstance(outcome.error, NotFound)

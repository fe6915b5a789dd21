"""§4 handleUpdate step by step: conditions, phase, finalizer, tenant (§2.8), VM discovery, config versions (§2.4)."""

from __future__ import annotations

from harness import (
    EDA_CREATE,
    NS,
    TENANT,
    TENANT_NS,
    FakeWorld,
    eda_config,
    effect_names,
    job,
    make_ci,
    make_vm,
    ok,
    ready_tenant,
    reconcile,
    store_ready_ci,
    stored_ci,
)

from models.config_version import desired_config_version, tenant_cr_name
from models.jobs import JobState
from models.names import (
    ANNOTATION_RECONCILED_CONFIG_VERSION,
    ANNOTATION_TENANT,
    API_VERSION,
    APP_NAME,
    FINALIZER_COMPUTE_INSTANCE,
    KIND_TENANT,
    LABEL_APP_NAME,
    LABEL_COMPUTE_INSTANCE,
)
from models.objects import ComputeInstanceSpec, Condition, GenericObject, ObjectMeta, OwnerReference, Phase
from sim.kernel.effects import CachedList, Create, ReconcileResult, Update, UpdateStatus
from sim.kernel.errors import Conflict
from sim.operator.errors import GoError
from sim.operator.reconciler import ComputeInstanceReconciler

MATCHING = {ANNOTATION_RECONCILED_CONFIG_VERSION: desired_config_version(ComputeInstanceSpec("template-1"))}


def rec() -> ComputeInstanceReconciler:
    return ComputeInstanceReconciler(eda_config())


def conditions(world: FakeWorld) -> dict[str, tuple[str, str, str]]:
    return {c.type: (c.status, c.reason, c.message) for c in stored_ci(world).status.conditions}


def test_s4_step1_missing_conditions_initialised_and_step5_accepted_as_expected() -> None:
    world = FakeWorld()
    store_ready_ci(world, make_ci(annotations=MATCHING))
    reconcile(world, rec())
    assert conditions(world) == {
        "Accepted": ("True", "AsExpected", ""), "Deleting": ("False", "Initialized", ""),
        "Progressing": ("False", "AsExpected", ""), "Available": ("False", "Initialized", ""),
    }


def test_s4_step1_present_conditions_are_not_reinitialised() -> None:
    world = FakeWorld()
    ci = make_ci(annotations=MATCHING)
    ci.status.conditions = [Condition("Available", "True", "Mine", "kept", 3.0),
                            Condition("Deleting", "True", "Mine", "", 3.0)]
    store_ready_ci(world, ci)
    reconcile(world, rec())
    assert conditions(world)["Available"] == ("True", "Mine", "kept")
    assert conditions(world)["Deleting"] == ("True", "Mine", "")


def test_s4_condition_transition_time_moves_only_on_status_change() -> None:
    world = FakeWorld(now=50.0)
    ci = make_ci(annotations=MATCHING)
    ci.status.conditions = [Condition("Accepted", "True", "Initialized", "", 7.0),
                            Condition("Progressing", "True", "Initialized", "", 7.0)]
    store_ready_ci(world, ci)
    reconcile(world, rec())
    times = {c.type: c.last_transition_time for c in stored_ci(world).status.conditions}
    assert times["Accepted"] == 7.0  # reason changed, status did not
    assert times["Progressing"] == 50.0  # True -> False


def test_s2_3_early_return_ends_with_phase_starting_whatever_was_stored() -> None:
    world = FakeWorld()
    ci = make_ci(phase=Phase.RUNNING)
    ready_tenant(world, ci, phase="Progressing")
    world.put(ci)
    outcome = reconcile(world, rec())
    assert outcome.value == ReconcileResult()
    assert stored_ci(world).status.phase == Phase.STARTING


def test_s4_step3_finalizer_added_only_when_missing() -> None:
    world = FakeWorld()
    store_ready_ci(world, make_ci(annotations=MATCHING))
    assert reconcile(world, rec()).of(Update) == []


def test_s4_step3_finalizer_update_error_is_returned_and_status_still_written() -> None:
    world = FakeWorld()
    store_ready_ci(world, make_ci(finalizers=()))
    world.fail(Update, Conflict("stale"))
    outcome = reconcile(world, rec())
    assert isinstance(outcome.error, Conflict)
    ci = stored_ci(world)
    assert ci.metadata.finalizers == []
    assert ci.status.phase == Phase.STARTING
    assert effect_names(outcome.effects) == ["CachedGet", "Update", "CachedGet", "UpdateStatus"]


def test_s2_8_tenant_absent_is_created_and_referenced_without_requeue() -> None:
    world = FakeWorld()
    ci = make_ci()
    stored = world.put(ci)
    outcome = reconcile(world, rec())
    assert outcome.value == ReconcileResult()
    name = tenant_cr_name(TENANT)
    assert len(outcome.of(Create)) == 1
    tenant = world.get(KIND_TENANT, NS, name)
    assert isinstance(tenant, GenericObject)
    assert tenant.spec == {"name": TENANT}
    assert tenant.metadata.labels == {LABEL_APP_NAME: APP_NAME}
    assert tenant.metadata.owner_references == [
        OwnerReference("ComputeInstance", "vm-1", stored.metadata.uid, API_VERSION, False)]
    assert stored_ci(world).status.tenant_reference == {"name": name, "namespace": NS}
    assert outcome.of(CachedList) == []


def test_s2_8_tenant_annotation_missing_is_an_error() -> None:
    world = FakeWorld()
    world.put(make_ci(tenant=None))
    outcome = reconcile(world, rec())
    assert isinstance(outcome.error, GoError)
    assert str(outcome.error) == "tenant name not found"
    assert stored_ci(world).status.tenant_reference is None


def test_s2_8_shared_tenant_gains_a_second_owner_reference() -> None:
    world = FakeWorld()
    world.put(make_ci("vm-1"))
    reconcile(world, rec(), "vm-1")
    world.put(make_ci("vm-2"))
    outcome = reconcile(world, rec(), "vm-2")
    assert len(outcome.of(Update)) == 1
    tenant = world.get(KIND_TENANT, NS, tenant_cr_name(TENANT))
    assert [r.name for r in tenant.metadata.owner_references] == ["vm-1", "vm-2"]
    assert stored_ci(world, "vm-2").status.tenant_reference == {"name": tenant_cr_name(TENANT), "namespace": NS}


def test_s2_8_existing_tenant_already_owned_is_not_updated() -> None:
    world = FakeWorld()
    world.put(make_ci())
    reconcile(world, rec())
    ci = stored_ci(world)
    ci.status.tenant_reference = None  # lost reference: CreateOrUpdate finds the tenant unchanged
    world.put(ci)
    outcome = reconcile(world, rec())
    assert outcome.of(Update) == [] and outcome.of(Create) == []
    assert stored_ci(world).status.tenant_reference is not None


def test_s2_8_terminating_tenant_gets_owner_reference_then_treated_as_not_ready() -> None:
    world = FakeWorld()
    tenant = GenericObject(KIND_TENANT, ObjectMeta(name=tenant_cr_name(TENANT), namespace=NS,
                                                   finalizers=["cloudkit.openshift.io/tenant"],
                                                   deletion_timestamp=1.0),
                           spec={"name": TENANT}, status={"phase": "Deleting", "namespace": TENANT_NS})
    world.put(tenant)
    world.put(make_ci())
    reconcile(world, rec())
    assert [r.name for r in world.get(KIND_TENANT, NS, tenant_cr_name(TENANT)).metadata.owner_references] == [
        "vm-1"]
    outcome = reconcile(world, rec())
    assert outcome.value == ReconcileResult()
    assert outcome.of(CachedList) == []


def test_s2_8_tenant_not_ready_returns_without_requeue_or_provisioning() -> None:
    for phase in ("Progressing", "Failed", "Deleting", ""):
        world = FakeWorld()
        ci = make_ci()
        ready_tenant(world, ci, phase=phase)
        world.put(ci)
        outcome = reconcile(world, rec())
        assert outcome.value == ReconcileResult()
        assert outcome.of(CachedList) == [] and outcome.http == []


def test_s4_step6_vm_list_in_tenant_namespace_by_label() -> None:
    world = FakeWorld()
    store_ready_ci(world, make_ci(annotations=MATCHING))
    make_vm(world, ready=True)
    outcome = reconcile(world, rec())
    (listing,) = outcome.of(CachedList)
    assert (listing.namespace, listing.labels) == (TENANT_NS, ((LABEL_COMPUTE_INSTANCE, "vm-1"),))
    ci = stored_ci(world)
    assert ci.status.virtual_machine_reference == {"namespace": TENANT_NS, "kubeVirtVirtualMachineName": "vm-1"}
    assert conditions(world)["Available"] == ("True", "AsExpected", "")


def test_s4_step6_vm_not_ready_leaves_available_false_and_never_sets_it_back() -> None:
    world = FakeWorld()
    store_ready_ci(world, make_ci(annotations=MATCHING))
    make_vm(world, ready=False)
    reconcile(world, rec())
    assert conditions(world)["Available"][0] == "False"
    assert stored_ci(world).status.virtual_machine_reference is not None
    make_vm(world, ready=True)
    reconcile(world, rec())
    make_vm(world, ready=False)
    reconcile(world, rec())
    assert conditions(world)["Available"][0] == "True"


def test_s4_step6_no_vm_keeps_reference_unset() -> None:
    world = FakeWorld()
    store_ready_ci(world, make_ci(annotations=MATCHING))
    reconcile(world, rec())
    assert stored_ci(world).status.virtual_machine_reference is None


def test_s4_step6_empty_tenant_namespace_lists_all_namespaces() -> None:
    world = FakeWorld()
    ci = make_ci(annotations=MATCHING)
    ready_tenant(world, ci, namespace="")
    world.put(ci)
    make_vm(world, namespace="elsewhere", ready=True)
    outcome = reconcile(world, rec())
    assert outcome.of(CachedList)[0].namespace == ""
    assert stored_ci(world).status.virtual_machine_reference == {
        "namespace": "elsewhere", "kubeVirtVirtualMachineName": "vm-1"}


def test_s2_4_config_versions_desired_hash_and_reconciled_from_annotation() -> None:
    cases = [({}, ""), ({ANNOTATION_RECONCILED_CONFIG_VERSION: ""}, ""),
             ({ANNOTATION_RECONCILED_CONFIG_VERSION: "abc"}, "abc")]
    for notes, reconciled in cases:
        world = FakeWorld()
        world.route("POST", EDA_CREATE, ok())
        ci = make_ci(annotations=notes)
        ci.status.reconciled_config_version = "stale-value"
        store_ready_ci(world, ci)
        reconcile(world, rec())
        status = stored_ci(world).status
        assert status.desired_config_version == desired_config_version(ComputeInstanceSpec("template-1"))
        assert status.reconciled_config_version == reconciled


def test_s4_step9_configuration_applied_running_and_no_requeue() -> None:
    world = FakeWorld()
    store_ready_ci(world, make_ci(annotations=MATCHING, jobs=[job("9", state=JobState.SUCCEEDED)]))
    outcome = reconcile(world, rec())
    assert outcome.value == ReconcileResult()
    assert outcome.http == []
    assert stored_ci(world).status.phase == Phase.RUNNING


def test_s4_step9_non_terminal_latest_provision_job_keeps_being_polled() -> None:
    world = FakeWorld()
    store_ready_ci(world, make_ci(annotations=MATCHING, jobs=[job("eda-webhook-1", state=JobState.RUNNING)]))
    outcome = reconcile(world, rec())
    assert outcome.value == ReconcileResult(requeue_after_s=30.0)
    ci = stored_ci(world)
    assert ci.status.phase == Phase.RUNNING
    assert (ci.status.jobs[0].state, ci.status.jobs[0].message) == (
        JobState.UNKNOWN, "EDA provider does not support status polling")


def test_s4_step9_without_provider_no_poll() -> None:
    world = FakeWorld()
    store_ready_ci(world, make_ci(annotations=MATCHING, jobs=[job("eda-webhook-1")]))
    r = rec()
    r.provider = None
    assert reconcile(world, r).value == ReconcileResult()


def test_s4_step10_configuration_differs_starting_applying_and_provisioning() -> None:
    world = FakeWorld()
    world.route("POST", EDA_CREATE, ok())
    store_ready_ci(world, make_ci(phase=Phase.RUNNING))
    outcome = reconcile(world, rec())
    assert outcome.value == ReconcileResult(requeue_after_s=30.0)
    assert conditions(world)["Progressing"] == ("True", "AsExpected", "Applying configuration")
    assert stored_ci(world).status.phase == Phase.STARTING
    assert len(outcome.http) == 1


def test_s4_full_first_reconciles_from_creation_to_trigger() -> None:
    world = FakeWorld()
    world.route("POST", EDA_CREATE, ok())
    world.put(make_ci(finalizers=()))
    reconcile(world, rec())  # finalizer + tenant created
    tenant = world.get(KIND_TENANT, NS, tenant_cr_name(TENANT))
    tenant.status = {"phase": "Ready", "namespace": TENANT_NS}
    world.put(tenant)
    outcome = reconcile(world, rec())
    assert outcome.value == ReconcileResult(requeue_after_s=30.0)
    ci = stored_ci(world)
    assert ci.metadata.finalizers == [FINALIZER_COMPUTE_INSTANCE]
    assert [j.job_id for j in ci.status.jobs] == ["eda-webhook-1"]
    assert ci.metadata.annotations[ANNOTATION_TENANT] == TENANT
    assert len(outcome.of(UpdateStatus)) == 1

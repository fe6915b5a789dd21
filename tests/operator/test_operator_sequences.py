"""Multi-reconcile sequences: §11.5 cancel-then-wait (AAP), §12.1 restarts and provider switches, the EDA flow."""

from __future__ import annotations

from harness import (
    AAP,
    DEPROVISION_TEMPLATE,
    EDA_CREATE,
    EDA_DELETE,
    NS,
    PROVISION_TEMPLATE,
    FakeWorld,
    aap_config,
    aap_job,
    eda_config,
    job,
    make_ci,
    ok,
    reconcile,
    route_cancel,
    route_job,
    route_job_template,
    store_ready_ci,
    stored_ci,
)

from models.config_version import desired_config_version
from models.jobs import JobState, JobType
from models.names import (
    ANNOTATION_RECONCILED_CONFIG_VERSION,
    FINALIZER_COMPUTE_INSTANCE,
    FINALIZER_COMPUTE_INSTANCE_AAP,
    KIND_COMPUTE_INSTANCE,
)
from models.objects import Phase
from sim.kernel.effects import Delete, HttpResponse, ReconcileResult
from sim.operator.reconciler import ComputeInstanceReconciler

POLL = ReconcileResult(requeue_after_s=30.0)
D = JobType.DEPROVISION


def delete_ci(world: FakeWorld) -> None:
    world.perform(Delete(KIND_COMPUTE_INSTANCE, NS, "vm-1"))


def summary(world: FakeWorld) -> list[tuple[str, str, str, str]]:
    return [(j.job_id, j.type.value, j.state.value, j.message) for j in stored_ci(world).status.jobs]


def test_s11_5_aap_delete_during_provisioning_cancels_then_deprovisions() -> None:
    world = FakeWorld(now=1000.0)
    store_ready_ci(world, make_ci(finalizers=(FINALIZER_COMPUTE_INSTANCE,)))
    r = ComputeInstanceReconciler(aap_config())
    route_job_template(world, PROVISION_TEMPLATE, ok({"id": 9176}))
    assert reconcile(world, r).value == POLL
    ci = stored_ci(world)  # the create playbook adds its finalizer as its first task
    ci.metadata.finalizers.append(FINALIZER_COMPUTE_INSTANCE_AAP)
    world.put(ci)
    delete_ci(world)
    route_job(world, "9176", aap_job(9176, "running"), aap_job(9176, "running"), aap_job(9176, "canceled"))
    route_cancel(world, "9176", HttpResponse(202))
    world.route("GET", f"{AAP}/job_templates/?name={DEPROVISION_TEMPLATE}",
                ok({"count": 1, "results": [{"id": 8, "name": DEPROVISION_TEMPLATE}]}))
    world.route("POST", f"{AAP}/job_templates/{DEPROVISION_TEMPLATE}/launch/", ok({"id": 9180}))
    # 1–2: running ⇒ cancel POST ⇒ Waiting, the provision job's state written
    for _ in range(2):
        assert reconcile(world, r).value == POLL
        assert summary(world) == [("9176", "provision", "Running", "running")]
        assert stored_ci(world).status.phase == Phase.DELETING
    cancels = [c for c in world.http_calls if c.url.endswith("/cancel/")]
    assert len(cancels) == 2
    # 3: canceled ⇒ deprovision launched; same write carries Canceled and the Pending deprovision job
    assert reconcile(world, r).value == POLL
    assert summary(world) == [("9176", "provision", "Canceled", "canceled"),
                              ("9180", "deprovision", "Pending", "Deprovisioning job triggered")]
    assert stored_ci(world).status.jobs[1].block_deletion_on_failure is True
    # 4: deprovision polled until Succeeded; the delete playbook removed the AAP finalizer first
    route_job(world, "9180", aap_job(9180, "running"), aap_job(9180, "successful"))
    assert reconcile(world, r).value == POLL
    ci = stored_ci(world)
    ci.metadata.finalizers.remove(FINALIZER_COMPUTE_INSTANCE_AAP)
    world.put(ci)
    assert reconcile(world, r).value == ReconcileResult()
    assert world.get(KIND_COMPUTE_INSTANCE, NS, "vm-1") is None


def test_s10_eda_create_then_delete_flow() -> None:
    world = FakeWorld()
    store_ready_ci(world, make_ci())
    r = ComputeInstanceReconciler(eda_config())
    world.route("POST", EDA_CREATE, ok())
    world.route("POST", EDA_DELETE, ok())
    assert reconcile(world, r).value == POLL
    ci = stored_ci(world)  # the playbook: finalizer first, annotation at the end
    ci.metadata.finalizers.append(FINALIZER_COMPUTE_INSTANCE_AAP)
    ci.metadata.annotations[ANNOTATION_RECONCILED_CONFIG_VERSION] = ci.status.desired_config_version
    world.put(ci)
    assert reconcile(world, r).value == POLL  # Running, and the EDA job is polled forever (Unknown)
    assert stored_ci(world).status.phase == Phase.RUNNING
    delete_ci(world)
    assert reconcile(world, r).value == POLL
    assert summary(world)[-1] == ("eda-webhook-2", "deprovision", "Pending", "Deprovisioning job triggered")
    assert reconcile(world, r).value == POLL
    ci = stored_ci(world)
    ci.metadata.finalizers.remove(FINALIZER_COMPUTE_INSTANCE_AAP)
    world.put(ci)
    assert reconcile(world, r).value == ReconcileResult()
    assert world.get(KIND_COMPUTE_INSTANCE, NS, "vm-1") is None


def test_s12_1_switch_eda_to_aap_then_delete_gives_the_documented_job_list() -> None:
    world = FakeWorld()
    ci = make_ci(jobs=[job("eda-webhook-1", state=JobState.UNKNOWN,
                           message="EDA provider does not support status polling")], deleting=True,
                 finalizers=(FINALIZER_COMPUTE_INSTANCE, FINALIZER_COMPUTE_INSTANCE_AAP))
    world.put(ci)
    route_job_template(world, DEPROVISION_TEMPLATE, ok({"id": 9176}))
    assert reconcile(world, ComputeInstanceReconciler(aap_config())).value == POLL
    assert [(j.job_id, j.type.value, j.state.value) for j in stored_ci(world).status.jobs] == [
        ("eda-webhook-1", "provision", "Unknown"), ("9176", "deprovision", "Pending")]
    assert not any("/jobs/eda-webhook-1/" in c.url for c in world.http_calls)


def test_s12_1_aap_polling_an_eda_id_gets_404_message_and_state_unchanged() -> None:
    world = FakeWorld()
    store_ready_ci(world, make_ci(jobs=[job("eda-webhook-1", state=JobState.RUNNING)]))
    route_job(world, "eda-webhook-1", HttpResponse(404))
    assert reconcile(world, ComputeInstanceReconciler(aap_config())).value == POLL
    assert summary(world) == [("eda-webhook-1", "provision", "Running",
                               "Failed to get job status: failed to get job: resource not found: "
                               "/jobs/eda-webhook-1/")]


def test_s12_1_eda_polling_an_aap_id_writes_unknown_over_it() -> None:
    world = FakeWorld()
    store_ready_ci(world, make_ci(jobs=[job("9176", state=JobState.RUNNING, message="running")]))
    assert reconcile(world, ComputeInstanceReconciler(eda_config())).value == POLL
    assert summary(world) == [("9176", "provision", "Unknown", "EDA provider does not support status polling")]


def test_s12_1_eda_deprovision_status_for_an_aap_id_follows_the_finalizer() -> None:
    world = FakeWorld()
    world.put(make_ci(jobs=[job("9180", D, state=JobState.FAILED, block=True)], deleting=True))
    assert reconcile(world, ComputeInstanceReconciler(eda_config())).value == ReconcileResult()
    assert world.get(KIND_COMPUTE_INSTANCE, NS, "vm-1") is None


def test_s12_1_failed_trigger_under_one_provider_is_retried_by_the_other() -> None:
    world = FakeWorld()
    store_ready_ci(world, make_ci(jobs=[job("", state=JobState.FAILED)]))
    route_job_template(world, PROVISION_TEMPLATE, ok({"id": 12}))
    reconcile(world, ComputeInstanceReconciler(aap_config()))
    assert [j.job_id for j in stored_ci(world).status.jobs] == ["", "12"]


def test_s12_1_restart_is_a_new_instance_with_empty_process_memory() -> None:
    world = FakeWorld()
    store_ready_ci(world, make_ci())
    store_ready_ci(world, make_ci("vm-2"))
    route_job_template(world, PROVISION_TEMPLATE, ok({"id": 1}))
    first = ComputeInstanceReconciler(aap_config())
    reconcile(world, first, "vm-1")
    reconcile(world, first, "vm-2")
    lookups = [c for c in world.http_calls if "?name=" in c.url]
    assert len(lookups) == 1  # cached within one process
    store_ready_ci(world, make_ci("vm-3"))
    reconcile(world, ComputeInstanceReconciler(aap_config()), "vm-3")
    assert len([c for c in world.http_calls if "?name=" in c.url]) == 2


def test_s12_1_webhook_map_restarts_empty() -> None:
    world = FakeWorld(now=0.0)
    store_ready_ci(world, make_ci())
    world.route("POST", EDA_CREATE, ok())
    config = eda_config(minimum_request_interval_s=100.0)
    reconcile(world, ComputeInstanceReconciler(config))
    ci = stored_ci(world)
    ci.status.jobs = []  # a lost write: the next reconcile triggers again
    world.put(ci)
    world.now = 1.0
    assert reconcile(world, ComputeInstanceReconciler(config)).value == POLL  # new process: sent again
    assert len(world.http_calls) == 2


def test_s12_1_latest_job_with_empty_id_under_eda_triggers_eda_webhook() -> None:
    world = FakeWorld()
    store_ready_ci(world, make_ci(jobs=[job("9176", state=JobState.SUCCEEDED), job("", timestamp=20.0,
                                                                                   state=JobState.FAILED)]))
    world.route("POST", EDA_CREATE, ok())
    reconcile(world, ComputeInstanceReconciler(eda_config()))
    assert [j.job_id for j in stored_ci(world).status.jobs] == ["9176", "", "eda-webhook-1"]
    assert stored_ci(world).status.desired_config_version == desired_config_version(stored_ci(world).spec)

"""The create and delete playbooks: their step order and effects on the CR and the VM, and how their steps fail."""

from __future__ import annotations

from backend_world import CREATE, DELETE, NS, World

from models.names import (
    ANNOTATION_RECONCILED_CONFIG_VERSION,
    FINALIZER_COMPUTE_INSTANCE,
    FINALIZER_COMPUTE_INSTANCE_AAP,
    KIND_COMPUTE_INSTANCE,
    KIND_VIRTUAL_MACHINE,
    LABEL_COMPUTE_INSTANCE,
)
from sim.backends.playbooks import CREATE_STEPS, DELETE_STEPS, PlaybookStepFinished, PlaybookStepStarted
from sim.kernel.choice import Dist
from sim.kube.events import ObjectRemoved, ObjectStored


def steps(world: World, job_id: int) -> list[tuple[str, bool]]:
    return [(e.step, e.ok) for e in world.kernel.log.of_type(PlaybookStepFinished) if e.job_id == job_id]


def writes(world: World, job_id: int) -> list[tuple[str, str]]:
    """(verb, kind) of every committed write the job's playbook made, in order."""
    return [(e.verb, e.kind) for e in world.kernel.log.of_type(ObjectStored) if e.actor == f"playbook/{job_id}"]


def provisioned(world: World, name: str = "vm-1") -> int:
    world.create_instance(name)
    job_id = world.launch(CREATE, name)
    assert world.run_until_finished(job_id) == "successful"
    return job_id


def test_the_create_playbook_adds_the_finalizer_first_and_sets_the_annotation_last() -> None:
    world = World()
    ci = world.create_instance("vm-1")
    job_id = world.launch(CREATE, "vm-1")
    assert world.run_until_finished(job_id) == "successful"
    started = [e.step for e in world.kernel.log.of_type(PlaybookStepStarted) if e.job_id == job_id]
    assert started == list(CREATE_STEPS)
    assert steps(world, job_id) == [(s, True) for s in CREATE_STEPS]
    assert writes(world, job_id) == [("patch", KIND_COMPUTE_INSTANCE), ("create", KIND_VIRTUAL_MACHINE),
                                     ("patch", KIND_COMPUTE_INSTANCE)]
    stored = world.instance("vm-1")
    assert stored is not None
    assert stored.metadata.finalizers == [FINALIZER_COMPUTE_INSTANCE, FINALIZER_COMPUTE_INSTANCE_AAP]
    assert stored.metadata.annotations[ANNOTATION_RECONCILED_CONFIG_VERSION] == ci.status.desired_config_version
    (vm,) = world.server.select(KIND_VIRTUAL_MACHINE)
    assert (vm.metadata.namespace, vm.metadata.name) == (world.tenant_namespace(), "vm-1")
    assert vm.metadata.labels[LABEL_COMPUTE_INSTANCE] == "vm-1"


def test_the_annotation_is_the_literal_unknown_when_the_payload_has_no_desired_config_version() -> None:
    world = World()
    world.create_instance("vm-1")
    payload = world.payload("vm-1")
    del payload["status"]["desiredConfigVersion"]
    job_id = world.backends.aap.launch(CREATE, {"ansible_eda": {"event": {"payload": payload}}})
    assert job_id is not None and world.run_until_finished(job_id) == "successful"
    stored = world.instance("vm-1")
    assert stored is not None and stored.metadata.annotations[ANNOTATION_RECONCILED_CONFIG_VERSION] == "unknown"


def test_the_delete_playbook_deletes_the_vm_first_and_removes_the_finalizer_last() -> None:
    world = World()
    provisioned(world)
    job_id = world.launch(DELETE, "vm-1")
    assert world.run_until_finished(job_id) == "successful"
    assert steps(world, job_id) == [(s, True) for s in DELETE_STEPS]
    assert writes(world, job_id) == [("delete", KIND_VIRTUAL_MACHINE), ("patch", KIND_COMPUTE_INSTANCE)]
    assert world.server.select(KIND_VIRTUAL_MACHINE) == []
    stored = world.instance("vm-1")
    assert stored is not None and stored.metadata.finalizers == [FINALIZER_COMPUTE_INSTANCE]


def test_the_delete_playbook_waits_for_the_vm_to_vanish_before_removing_the_finalizer() -> None:
    world = World(kubevirt_release_s=Dist.fixed(30.0))
    provisioned(world)
    job_id = world.launch(DELETE, "vm-1")
    world.run_until_finished(job_id)
    vm_gone = next(e.t for e in world.kernel.log.of_type(ObjectRemoved) if e.kind == KIND_VIRTUAL_MACHINE)
    finalizer_removed = [e.t for e in world.kernel.log.of_type(ObjectStored) if e.actor == f"playbook/{job_id}"][-1]
    vm_deleted = next(e.t for e in world.kernel.log.of_type(ObjectStored) if e.actor == f"playbook/{job_id}")
    assert vm_gone - vm_deleted >= 30.0
    assert finalizer_removed > vm_gone


def test_the_delete_playbook_removing_the_last_finalizer_of_a_terminating_cr_removes_it() -> None:
    world = World()
    provisioned(world)
    world.server.delete(KIND_COMPUTE_INSTANCE, NS, "vm-1", actor="test")
    stored = world.instance("vm-1")
    assert stored is not None
    world.server.patch_metadata(KIND_COMPUTE_INSTANCE, NS, "vm-1", actor="test",
                                finalizers=[FINALIZER_COMPUTE_INSTANCE_AAP])  # the operator let go of its own
    job_id = world.launch(DELETE, "vm-1")
    assert world.run_until_finished(job_id) == "successful"
    assert world.instance("vm-1") is None


def test_the_finalizer_step_fails_on_a_terminating_cr() -> None:
    world = World()
    world.create_instance("vm-1")
    payload = world.payload("vm-1")
    world.server.delete(KIND_COMPUTE_INSTANCE, NS, "vm-1", actor="test")  # the base finalizer keeps it, terminating
    job_id = world.backends.aap.launch(CREATE, {"ansible_eda": {"event": {"payload": payload}}})
    assert job_id is not None and world.run_until_finished(job_id) == "failed"
    assert steps(world, job_id) == [("add_finalizer", False)]
    assert "being deleted" in world.job(job_id).body["result_traceback"]
    assert world.server.select(KIND_VIRTUAL_MACHINE) == []
    stored = world.instance("vm-1")
    assert stored is not None and FINALIZER_COMPUTE_INSTANCE_AAP not in stored.metadata.finalizers


def test_the_api_server_refuses_the_new_finalizer_when_the_cr_turns_terminating_after_the_read() -> None:
    world = World()
    world.create_instance("vm-1")
    job_id = world.launch(CREATE, "vm-1")
    world.advance(0.5)
    while not any(e.step == "add_finalizer" for e in world.kernel.log.of_type(PlaybookStepStarted)):
        world.advance(0.1)
    # The step's task start-up is 1 s; its read then patch take a few ms: delete between them.
    reads = world.kernel.log.count
    while not any(e.actor == f"playbook/{job_id}" for e in world.kernel.log.events[reads:]):
        world.env.step()
    world.server.delete(KIND_COMPUTE_INSTANCE, NS, "vm-1", actor="test")
    assert world.run_until_finished(job_id) == "failed"
    assert "Invalid" in world.job(job_id).body["result_traceback"]


def test_the_create_playbook_fails_when_the_cr_is_gone() -> None:
    world = World()
    world.create_instance("vm-1")
    payload = world.payload("vm-1")
    world.server.patch_metadata(KIND_COMPUTE_INSTANCE, NS, "vm-1", actor="test", finalizers=[])
    world.server.delete(KIND_COMPUTE_INSTANCE, NS, "vm-1", actor="test")
    job_id = world.backends.aap.launch(CREATE, {"ansible_eda": {"event": {"payload": payload}}})
    assert job_id is not None and world.run_until_finished(job_id) == "failed"
    assert "not found" in world.job(job_id).body["result_traceback"]


def test_the_create_playbook_fails_at_the_vm_step_without_a_tenant_reference() -> None:
    world = World()
    world.create_instance("vm-1", tenant=None)
    job_id = world.launch(CREATE, "vm-1")
    assert world.run_until_finished(job_id) == "failed"
    assert steps(world, job_id) == [("add_finalizer", True), ("create_vm", False)]
    assert "tenantReference" in world.job(job_id).body["result_traceback"]


def test_waiting_for_the_vm_to_be_ready_gives_up_after_600_seconds() -> None:
    world = World(kubevirt_boot_s=Dist.fixed(700.0))
    world.create_instance("vm-1")
    job_id = world.launch(CREATE, "vm-1")
    assert world.run_until_finished(job_id) == "failed"
    (started,) = [e.t for e in world.kernel.log.of_type(PlaybookStepStarted) if e.step == "wait_vm_ready"]
    (ended,) = [e.t for e in world.kernel.log.of_type(PlaybookStepFinished) if e.step == "wait_vm_ready"]
    assert 600.0 <= ended - started < 601.0
    assert "timed out after 600 s" in world.job(job_id).body["result_traceback"]
    stored = world.instance("vm-1")
    assert stored is not None and ANNOTATION_RECONCILED_CONFIG_VERSION not in stored.metadata.annotations


def test_the_delete_playbook_on_a_cr_that_is_already_gone_succeeds() -> None:
    world = World()
    world.create_instance("vm-1")
    payload = world.payload("vm-1")
    world.server.patch_metadata(KIND_COMPUTE_INSTANCE, NS, "vm-1", actor="test", finalizers=[])
    world.server.delete(KIND_COMPUTE_INSTANCE, NS, "vm-1", actor="test")
    job_id = world.backends.aap.launch(DELETE, {"ansible_eda": {"event": {"payload": payload}}})
    assert job_id is not None and world.run_until_finished(job_id) == "successful"


def test_a_spontaneous_step_failure_rate_of_one_fails_the_first_step() -> None:
    world = World(playbook_step_failure_rate=1.0)
    world.create_instance("vm-1")
    job_id = world.launch(CREATE, "vm-1")
    assert world.run_until_finished(job_id) == "failed"
    assert steps(world, job_id) == [("add_finalizer", False)]

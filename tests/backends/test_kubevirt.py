"""KubeVirt and the cloud ledger: a VM object becomes a real VM that turns Ready, restarts, and is released."""

from __future__ import annotations

from backend_world import CREATE, DELETE, World

from models.names import KIND_VIRTUAL_MACHINE, KIND_VIRTUAL_MACHINE_INSTANCE, LABEL_COMPUTE_INSTANCE
from models.objects import GenericObject, ObjectMeta
from sim.backends.kubevirt import (
    ANNOTATION_INSTANCE_NAMESPACE,
    FINALIZER_KUBEVIRT,
    CloudLedger,
    VmBecameReady,
    VmProvisioned,
    VmReleased,
    vm_ready,
)
from sim.kernel.projection import fold

TENANT_NS = "acme-1234"


def create_vm(world: World, name: str = "vm-1", instance_ns: str = "cloudkit-computeinstance") -> None:
    world.server.create(GenericObject(KIND_VIRTUAL_MACHINE, ObjectMeta(
        name=name, namespace=TENANT_NS, labels={LABEL_COMPUTE_INSTANCE: name},
        annotations={ANNOTATION_INSTANCE_NAMESPACE: instance_ns})), actor="test")


def vm(world: World, name: str = "vm-1") -> GenericObject | None:
    found = world.server.peek(KIND_VIRTUAL_MACHINE, TENANT_NS, name)
    assert found is None or isinstance(found, GenericObject)
    return found


def test_the_ledger_tracks_each_vm_from_creation_to_release() -> None:
    world = World()
    ledger = world.backends.kubevirt.ledger
    create_vm(world)
    world.advance(1.0)
    (entry,) = ledger.vms.values()
    assert (entry.state, entry.instance_name, entry.instance_namespace) == ("provisioning", "vm-1",
                                                                              "cloudkit-computeinstance")
    stored = vm(world)
    assert stored is not None and FINALIZER_KUBEVIRT in stored.metadata.finalizers and not vm_ready(stored)
    world.advance(20.0)
    stored = vm(world)
    assert entry.state == "ready" and stored is not None and vm_ready(stored)
    assert world.server.peek(KIND_VIRTUAL_MACHINE_INSTANCE, TENANT_NS, "vm-1") is not None
    assert [v.vm_id for v in ledger.live_for("vm-1")] == [entry.vm_id]
    world.server.delete(KIND_VIRTUAL_MACHINE, TENANT_NS, "vm-1", actor="test")
    world.advance(1.0)
    assert entry.state == "deleting" and vm(world) is not None  # the object waits for the real VM
    assert world.server.peek(KIND_VIRTUAL_MACHINE_INSTANCE, TENANT_NS, "vm-1") is None
    world.advance(10.0)
    assert entry.state == "gone" and entry.released_t is not None and vm(world) is None
    assert ledger.live_for("vm-1") == []
    assert entry.released_t - entry.created_t >= 30.0


def test_a_vm_deleted_while_it_boots_is_released_without_becoming_ready() -> None:
    world = World()
    create_vm(world)
    world.advance(5.0)
    world.server.delete(KIND_VIRTUAL_MACHINE, TENANT_NS, "vm-1", actor="test")
    world.advance(60.0)
    assert world.kernel.log.of_type(VmBecameReady) == []
    assert len(world.kernel.log.of_type(VmReleased)) == 1
    assert vm(world) is None


def test_deleting_the_vmi_restarts_the_vm_with_a_new_vmi() -> None:
    world = World()
    create_vm(world)
    world.advance(25.0)
    first = world.server.peek(KIND_VIRTUAL_MACHINE_INSTANCE, TENANT_NS, "vm-1")
    assert first is not None
    world.server.delete(KIND_VIRTUAL_MACHINE_INSTANCE, TENANT_NS, "vm-1", actor="operator")
    world.advance(1.0)
    stored = vm(world)
    assert stored is not None and not vm_ready(stored)
    world.advance(25.0)
    second = world.server.peek(KIND_VIRTUAL_MACHINE_INSTANCE, TENANT_NS, "vm-1")
    stored = vm(world)
    assert second is not None and second.metadata.uid != first.metadata.uid
    assert stored is not None and vm_ready(stored)
    assert len(world.kernel.log.of_type(VmBecameReady)) == 2


def test_a_vm_recreated_under_the_same_name_is_a_new_real_vm() -> None:
    world = World()
    create_vm(world)
    world.advance(25.0)
    world.server.delete(KIND_VIRTUAL_MACHINE, TENANT_NS, "vm-1", actor="test")
    world.advance(15.0)
    create_vm(world)
    world.advance(25.0)
    ids = [e.vm_id for e in world.kernel.log.of_type(VmProvisioned)]
    assert ids == ["vm-1", "vm-2"]
    assert [v.vm_id for v in world.backends.kubevirt.ledger.live()] == ["vm-2"]


def test_folding_the_log_rebuilds_the_ledger() -> None:
    world = World()
    create_vm(world, "a")
    create_vm(world, "b")
    world.advance(25.0)
    world.server.delete(KIND_VIRTUAL_MACHINE, TENANT_NS, "a", actor="test")
    world.advance(15.0)
    replayed = fold(world.kernel.log.events, {"cloud": CloudLedger()})["cloud"]
    assert replayed.snapshot() == world.backends.kubevirt.ledger.snapshot()


def test_a_create_job_then_a_delete_job_leave_the_ledger_with_one_released_vm_of_the_instance() -> None:
    world = World()
    world.create_instance("vm-1")
    assert world.run_until_finished(world.launch(CREATE, "vm-1")) == "successful"
    ledger = world.backends.kubevirt.ledger
    (entry,) = ledger.live_for("vm-1", "cloudkit-computeinstance")
    assert entry.state == "ready" and entry.namespace == world.tenant_namespace()
    assert world.run_until_finished(world.launch(DELETE, "vm-1")) == "successful"
    assert ledger.live_for("vm-1") == [] and entry.state == "gone"

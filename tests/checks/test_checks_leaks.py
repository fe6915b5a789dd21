"""no-leak-on-removal: a removed instance leaves no running create job and no VM in the cloud ledger."""

from __future__ import annotations

from check_stories import NS, VM1, Log, create_then_delete, run_world

from sim.backends.kubevirt import VmBecameReady, VmDeletionStarted, VmProvisioned, VmReleased

PROP = "no-leak-on-removal"


def vm(log: Log, vm_id: str, name: str = "vm-1", t: float | None = None) -> None:
    log.add(VmProvisioned, "kubevirt", t, vm_id=vm_id, namespace="tenant-ns", name=name, uid=f"uid-{vm_id}",
            instance_namespace=NS, instance_name=name)


def test_aap_deletions_release_everything_before_the_object_goes() -> None:
    for delay in (20.0, 200.0):
        world, violations = run_world(create_then_delete(delay), provider="aap", ids=[PROP])
        assert violations == [], delay
        assert world.backends.kubevirt.ledger.live() == []


def test_an_eda_deletion_during_provisioning_lets_the_create_job_outlive_the_instance() -> None:
    _, violations = run_world(create_then_delete(20), provider="eda", ids=[PROP])
    (v,) = violations
    assert v.subject == VM1
    assert "was removed at" in v.explanation and "AAP job 9000 (create playbook" in v.explanation
    assert "nobody asked AAP to cancel it" in v.explanation


def test_a_vm_still_in_the_ledger_at_removal_is_reported_once() -> None:
    log = Log()
    log.stored(log.ci(), "create", t=0.0)
    vm(log, "vm-7", t=10.0)
    log.add(VmBecameReady, "kubevirt", 40.0, vm_id="vm-7", namespace="tenant-ns", name="vm-1")
    removal = log.removed(log.ci(deleted_at=50.0, finalizers=()), t=60.0)
    (v,) = log.check([PROP], end_t=100.0)
    assert v.t == 60.0 and "VM vm-7" in v.explanation and "ready" in v.explanation
    assert removal.seq in v.events


def test_a_vm_released_before_removal_is_fine_and_a_vm_of_a_vanished_instance_at_the_end_is_a_leak() -> None:
    log = Log()
    log.stored(log.ci(), "create", t=0.0)
    vm(log, "vm-1", t=10.0)
    log.add(VmDeletionStarted, "kubevirt", 40.0, vm_id="vm-1", namespace="tenant-ns", name="vm-1")
    log.add(VmReleased, "kubevirt", 50.0, vm_id="vm-1", namespace="tenant-ns", name="vm-1")
    log.removed(log.ci(deleted_at=30.0, finalizers=()), t=60.0)
    assert log.check([PROP], end_t=100.0) == []
    vm(log, "vm-2", t=70.0)  # created later by a straggling create playbook
    (v,) = log.check([PROP], end_t=100.0)
    assert v.t == 100.0 and "VM vm-2" in v.explanation and "was removed at t=60.00" in v.explanation

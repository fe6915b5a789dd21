"""ComputeInstance records: JSON round trips, whole-second persistence, and the controller's status equality."""

from __future__ import annotations

import dataclasses

import pytest

from models import (
    ComputeInstance,
    ComputeInstanceSpec,
    ComputeInstanceStatus,
    Condition,
    GenericObject,
    JobRecord,
    JobState,
    JobType,
    ObjectMeta,
    OwnerReference,
    Phase,
    object_from_dict,
)


def _instance() -> ComputeInstance:
    status = ComputeInstanceStatus(
        phase=Phase.STARTING,
        conditions=[Condition("Accepted", "True", "Initialized", "", 3.7)],
        tenant_reference={"name": "tenant-x", "namespace": "ns"},
        jobs=[JobRecord("9001", JobType.PROVISION, 12.9, JobState.PENDING, "Provisioning job triggered")],
    )
    meta = ObjectMeta("vm-1", "ns", uid="uid-1", resource_version=4, labels={"b": "2", "a": "1"},
                      finalizers=["f"], owner_references=[OwnerReference("Tenant", "t", "uid-t")])
    return ComputeInstance(meta, ComputeInstanceSpec("tmpl", '{"k": "v"}', 30.5), status)


def test_a_compute_instance_round_trips_through_its_dict_form() -> None:
    ci = _instance()
    back = object_from_dict(ci.to_dict())
    assert back == ci
    assert back.to_dict() == ci.to_dict()


def test_a_generic_object_round_trips_and_copies_deeply() -> None:
    vm = GenericObject("VirtualMachine", ObjectMeta("vm-1", "t-ns"), {"running": True},
                       {"conditions": [{"type": "Ready", "status": "True"}]})
    assert object_from_dict(vm.to_dict()) == vm
    copy = vm.deepcopy()
    copy.status["conditions"][0]["status"] = "False"
    assert vm.status["conditions"][0]["status"] == "True"


def test_persisting_truncates_job_and_condition_times_to_whole_seconds() -> None:
    stored = _instance().persisted()
    assert stored.status.jobs[0].timestamp == 12.0
    assert stored.status.conditions[0].last_transition_time == 3.0


def test_status_equality_is_the_controllers_semantic_deep_equal() -> None:
    a, b = _instance().status, _instance().status.copy()
    assert a == b
    b.jobs = [b.jobs[0].with_changes(state=JobState.RUNNING)]
    assert a != b


def test_deepcopy_shares_nothing_mutable() -> None:
    ci = _instance()
    copy = ci.deepcopy()
    copy.metadata.finalizers.append("g")
    copy.status.conditions[0] = Condition("Accepted", "False")
    assert ci.metadata.finalizers == ["f"] and ci.status.conditions[0].status == "True"


def test_conditions_are_frozen_and_shared_by_copies() -> None:
    ci = _instance()
    copy = ci.deepcopy()
    assert copy.status.conditions[0] is ci.status.conditions[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        copy.status.conditions[0].status = "False"  # type: ignore[misc]


def test_persisted_truncates_condition_times_without_touching_the_original() -> None:
    status = ComputeInstanceStatus(conditions=[Condition("A", "True", last_transition_time=1.75),
                                               Condition("B", "True", last_transition_time=2.0)])
    stored = status.persisted()
    assert [c.last_transition_time for c in stored.conditions] == [1.0, 2.0]
    assert status.conditions[0].last_transition_time == 1.75 and stored.conditions[1] is status.conditions[1]


def test_without_status_is_what_a_create_stores() -> None:
    assert _instance().without_status().status == ComputeInstanceStatus()

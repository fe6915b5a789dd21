"""The API server's rules as short stories: optimistic concurrency, the status subresource, finalizers, faults."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
import simpy

from models.names import FINALIZER_COMPUTE_INSTANCE, FINALIZER_COMPUTE_INSTANCE_AAP
from models.objects import ComputeInstance, ComputeInstanceSpec, ObjectMeta, Phase
from sim.kernel.errors import ApiTimeout, Conflict, Invalid
from sim.kernel.kernel import Kernel
from sim.kube.apiserver import ApiServer
from sim.kube.client import ApiClient, ApiFaultRates, ApiFaults
from sim.kube.events import ApiCallRejected, ApiCallTimedOut, ObjectRemoved, ObjectStored

NS = "cloudkit-computeinstance"


def new_ci(name: str = "vm-1", finalizers: tuple[str, ...] = ()) -> ComputeInstance:
    return ComputeInstance(ObjectMeta(name, NS, finalizers=list(finalizers)), ComputeInstanceSpec("template-1"))


def stored_ci(server: ApiServer, name: str = "vm-1") -> ComputeInstance:
    obj = server.peek("ComputeInstance", NS, name)
    assert isinstance(obj, ComputeInstance)
    return obj


def run(kernel: Kernel, gen: Generator[simpy.Event, Any, Any]) -> Any:
    process = kernel.env.process(gen)
    kernel.env.run(until=process)
    return process.value


def test_a_status_update_with_a_stale_resource_version_conflicts(server: ApiServer) -> None:
    mine = server.create(new_ci(), actor="operator")
    theirs = stored_ci(server).deepcopy()
    theirs.status.phase = Phase.STARTING
    server.update_status(theirs, actor="someone-else")

    assert isinstance(mine, ComputeInstance)
    mine.status.phase = Phase.RUNNING
    with pytest.raises(Conflict):
        server.update_status(mine, actor="operator")
    assert stored_ci(server).status.phase == Phase.STARTING
    assert server.kernel.log.of_type(ApiCallRejected)[-1].reason == "Conflict"


def test_a_spec_update_with_a_stale_resource_version_conflicts(server: ApiServer) -> None:
    mine = server.create(new_ci(), actor="operator")
    server.patch_metadata("ComputeInstance", NS, "vm-1", actor="playbook", annotations={"a": "b"})
    assert isinstance(mine, ComputeInstance)
    mine.spec.template_id = "template-2"
    with pytest.raises(Conflict):
        server.update(mine, actor="operator")


def test_update_status_ignores_spec_and_metadata_changes(server: ApiServer) -> None:
    obj = server.create(new_ci(), actor="user")
    assert isinstance(obj, ComputeInstance)
    obj.spec.template_id = "template-2"
    obj.metadata.finalizers.append(FINALIZER_COMPUTE_INSTANCE)
    obj.status.phase = Phase.STARTING
    server.update_status(obj, actor="operator")

    stored = stored_ci(server)
    assert stored.spec.template_id == "template-1"
    assert stored.metadata.finalizers == []
    assert stored.status.phase == Phase.STARTING
    assert stored.metadata.generation == 1


def test_update_ignores_status_changes(server: ApiServer) -> None:
    obj = server.create(new_ci(), actor="user")
    assert isinstance(obj, ComputeInstance)
    obj.spec.template_id = "template-2"
    obj.status.phase = Phase.RUNNING
    server.update(obj, actor="user")

    stored = stored_ci(server)
    assert stored.spec.template_id == "template-2"
    assert stored.status.phase == Phase.NONE
    assert stored.metadata.generation == 2


def test_update_returns_the_stored_status_not_the_callers(server: ApiServer) -> None:
    created = server.create(new_ci(), actor="user")
    writer = created.deepcopy()
    assert isinstance(writer, ComputeInstance)
    writer.status.phase = Phase.RUNNING
    after_status = server.update_status(writer, actor="operator")

    assert isinstance(after_status, ComputeInstance)
    after_status.status.phase = Phase.STARTING  # in memory only, like handleUpdate before the finalizer Update
    after_status.metadata.finalizers.append(FINALIZER_COMPUTE_INSTANCE)
    returned = server.update(after_status, actor="operator")

    assert isinstance(returned, ComputeInstance)
    assert returned.status.phase == Phase.RUNNING
    assert returned.metadata.finalizers == [FINALIZER_COMPUTE_INSTANCE]


def test_adding_a_finalizer_to_a_terminating_object_is_rejected(server: ApiServer) -> None:
    server.create(new_ci(finalizers=(FINALIZER_COMPUTE_INSTANCE,)), actor="user")
    server.delete("ComputeInstance", NS, "vm-1", actor="user")
    terminating = stored_ci(server).deepcopy()
    assert terminating.metadata.terminating

    terminating.metadata.finalizers.append(FINALIZER_COMPUTE_INSTANCE_AAP)
    with pytest.raises(Invalid):
        server.update(terminating, actor="operator")
    with pytest.raises(Invalid):
        server.patch_metadata("ComputeInstance", NS, "vm-1", actor="playbook",
                              finalizers=[FINALIZER_COMPUTE_INSTANCE, FINALIZER_COMPUTE_INSTANCE_AAP])
    assert stored_ci(server).metadata.finalizers == [FINALIZER_COMPUTE_INSTANCE]


def test_removing_the_last_finalizer_of_a_terminating_object_removes_it(server: ApiServer) -> None:
    server.create(new_ci(finalizers=(FINALIZER_COMPUTE_INSTANCE, FINALIZER_COMPUTE_INSTANCE_AAP)), actor="user")
    server.delete("ComputeInstance", NS, "vm-1", actor="user")
    server.patch_metadata("ComputeInstance", NS, "vm-1", actor="playbook", finalizers=[FINALIZER_COMPUTE_INSTANCE])
    assert server.peek("ComputeInstance", NS, "vm-1") is not None

    last = stored_ci(server).deepcopy()
    last.metadata.finalizers = []
    server.update(last, actor="operator")

    assert server.peek("ComputeInstance", NS, "vm-1") is None
    removed = server.kernel.log.of_type(ObjectRemoved)
    assert [(e.name, e.actor) for e in removed] == [("vm-1", "operator")]


def test_deleting_an_object_without_finalizers_removes_it_at_once(server: ApiServer) -> None:
    server.create(new_ci(), actor="user")
    server.delete("ComputeInstance", NS, "vm-1", actor="user")
    assert server.peek("ComputeInstance", NS, "vm-1") is None


def test_a_write_that_timed_out_but_was_applied_is_visible_in_the_api_server_but_reported_as_an_error(
        kernel: Kernel, server: ApiServer) -> None:
    server.create(new_ci(), actor="user")
    faults = ApiFaults(rates=ApiFaultRates(timeout_applied=1.0), timeout_s=10.0)
    client = ApiClient(kernel, server, "operator", faults)
    obj = stored_ci(server).deepcopy()
    obj.status.phase = Phase.STARTING

    def write() -> Generator[simpy.Event, Any, str]:
        try:
            yield from client.update_status(obj)
        except ApiTimeout as err:
            return f"{err.reason} at t={kernel.now:g}"
        return "answered"

    assert run(kernel, write()) == "Timeout at t=10"
    assert stored_ci(server).status.phase == Phase.STARTING
    stored_at = kernel.log.of_type(ObjectStored)[-1]
    timed_out = kernel.log.of_type(ApiCallTimedOut)[-1]
    assert stored_at.verb == "update_status" and stored_at.t < timed_out.t
    assert timed_out.applied


def test_a_write_that_timed_out_without_being_applied_leaves_the_api_server_unchanged(
        kernel: Kernel, server: ApiServer) -> None:
    server.create(new_ci(), actor="user")
    client = ApiClient(kernel, server, "operator", ApiFaults(rates=ApiFaultRates(timeout=1.0)))
    obj = stored_ci(server).deepcopy()
    obj.status.phase = Phase.STARTING

    with pytest.raises(ApiTimeout):
        run(kernel, client.update_status(obj))
    assert stored_ci(server).status.phase == Phase.NONE
    assert not kernel.log.of_type(ApiCallTimedOut)[-1].applied


def test_a_metadata_patch_needs_no_resource_version(server: ApiServer) -> None:
    server.create(new_ci(), actor="user")
    server.update_status(stored_ci(server).deepcopy(), actor="operator")  # unchanged: no new version
    server.patch_metadata("ComputeInstance", NS, "vm-1", actor="playbook",
                          finalizers=[FINALIZER_COMPUTE_INSTANCE_AAP], annotations={"x": "1"})
    stored = stored_ci(server)
    assert stored.metadata.finalizers == [FINALIZER_COMPUTE_INSTANCE_AAP]
    assert stored.metadata.annotations == {"x": "1"}


def test_a_rejected_write_whose_answer_is_lost_reaches_the_caller_as_a_timeout(
        kernel: Kernel, server: ApiServer) -> None:
    stale = server.create(new_ci(), actor="user")
    server.patch_metadata("ComputeInstance", NS, "vm-1", actor="playbook", annotations={"a": "b"})
    client = ApiClient(kernel, server, "operator", ApiFaults(rates=ApiFaultRates(timeout_applied=1.0)))

    with pytest.raises(ApiTimeout):
        run(kernel, client.update_status(stale))
    assert kernel.log.of_type(ApiCallRejected)[-1].reason == "Conflict"
    assert not kernel.log.of_type(ApiCallTimedOut)[-1].applied


def test_a_writer_that_drops_the_answer_gets_the_stored_object_and_any_other_writer_a_private_copy(
        server: ApiServer) -> None:
    created = server.create(new_ci(), actor="user", read_only=True)
    assert created is stored_ci(server)  # read_only: the stored object itself, to be read or dropped
    writer = created.deepcopy()
    assert isinstance(writer, ComputeInstance)
    writer.status.phase = Phase.RUNNING
    answer = server.update_status(writer, actor="operator")
    assert answer == stored_ci(server) and answer is not stored_ci(server)  # a copy the caller may change
    answer.metadata.finalizers.append(FINALIZER_COMPUTE_INSTANCE)
    assert stored_ci(server).metadata.finalizers == []

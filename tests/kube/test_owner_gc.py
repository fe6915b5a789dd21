"""Owner-reference garbage collection: a shared Tenant goes when its last owning ComputeInstance goes."""

from __future__ import annotations

from models.names import FINALIZER_TENANT, KIND_COMPUTE_INSTANCE, KIND_TENANT
from models.objects import ComputeInstance, ComputeInstanceSpec, GenericObject, KubeObject, ObjectMeta, OwnerReference
from sim.kernel.choice import Dist
from sim.kernel.kernel import Kernel
from sim.kube.apiserver import ApiServer
from sim.kube.client import ApiFaultRates, ApiFaults
from sim.kube.events import ApiCallRejected, ObjectRemoved, ObjectStored
from sim.kube.gc import ACTOR, GarbageCollector
from sim.kube.runtime_events import OwnersGone

NS = "cloudkit-computeinstance"


def ci(server: ApiServer, name: str) -> KubeObject:
    return server.create(ComputeInstance(ObjectMeta(name, NS), ComputeInstanceSpec("template-1")), actor="user")


def tenant(server: ApiServer, *owners: KubeObject, finalizers: tuple[str, ...] = ()) -> None:
    refs = [OwnerReference(KIND_COMPUTE_INSTANCE, o.metadata.name, o.metadata.uid) for o in owners]
    server.create(GenericObject(KIND_TENANT, ObjectMeta("tenant-x", NS, owner_references=refs,
                                                         finalizers=list(finalizers))), actor="operator")


def collector(kernel: Kernel, server: ApiServer, faults: ApiFaults | None = None) -> GarbageCollector:
    return GarbageCollector(kernel, server, faults or ApiFaults(latency=Dist.fixed(0.01)), delay=Dist.fixed(1.0))


def test_owner_gc_deletes_a_tenant_when_its_last_owner_goes(kernel: Kernel, server: ApiServer) -> None:
    collector(kernel, server)
    a, b = ci(server, "a"), ci(server, "b")
    tenant(server, a, b)

    server.delete(KIND_COMPUTE_INSTANCE, NS, "a", actor="user")
    kernel.env.run(until=10.0)
    assert server.peek(KIND_TENANT, NS, "tenant-x") is not None  # b still owns it

    server.delete(KIND_COMPUTE_INSTANCE, NS, "b", actor="user")
    kernel.env.run(until=20.0)
    assert server.peek(KIND_TENANT, NS, "tenant-x") is None
    (gone,) = kernel.log.of_type(OwnersGone)
    assert (gone.t, gone.name, gone.owners) == (11.0, "tenant-x", ("ComputeInstance/a", "ComputeInstance/b"))
    assert kernel.log.of_type(ObjectRemoved)[-1].actor == ACTOR


def test_a_tenant_with_a_finalizer_becomes_terminating_when_its_owners_go(kernel: Kernel, server: ApiServer) -> None:
    collector(kernel, server)
    tenant(server, ci(server, "a"), finalizers=(FINALIZER_TENANT,))
    server.delete(KIND_COMPUTE_INSTANCE, NS, "a", actor="user")
    kernel.env.run(until=10.0)
    left = server.peek(KIND_TENANT, NS, "tenant-x")
    assert left is not None and left.metadata.terminating
    assert [e.verb for e in kernel.log.of_type(ObjectStored) if e.actor == ACTOR] == ["delete"]


def test_a_re_created_namesake_does_not_keep_the_dependent_alive(kernel: Kernel, server: ApiServer) -> None:
    collector(kernel, server)
    tenant(server, ci(server, "a"))
    server.delete(KIND_COMPUTE_INSTANCE, NS, "a", actor="user")
    ci(server, "a")  # same name, new uid
    kernel.env.run(until=10.0)
    assert server.peek(KIND_TENANT, NS, "tenant-x") is None


def test_a_dependent_created_after_its_owner_is_gone_is_collected(kernel: Kernel, server: ApiServer) -> None:
    collector(kernel, server)
    a = ci(server, "a")
    server.delete(KIND_COMPUTE_INSTANCE, NS, "a", actor="user")
    tenant(server, a)  # the operator still held a copy of the deleted CI
    kernel.env.run(until=10.0)
    assert server.peek(KIND_TENANT, NS, "tenant-x") is None


def test_a_failed_gc_delete_is_retried(kernel: Kernel, server: ApiServer) -> None:
    faults = ApiFaults(rates=ApiFaultRates(server_error=1.0), latency=Dist.fixed(0.01))
    collector(kernel, server, faults)
    tenant(server, ci(server, "a"))
    server.delete(KIND_COMPUTE_INSTANCE, NS, "a", actor="user")
    kernel.env.run(until=1.5)
    faults.heal()
    kernel.env.run(until=10.0)
    assert server.peek(KIND_TENANT, NS, "tenant-x") is None
    assert len(kernel.log.of_type(OwnersGone)) == 1
    assert len([e for e in kernel.log.of_type(ApiCallRejected) if e.actor == ACTOR]) > 2

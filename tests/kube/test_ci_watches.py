"""The reference CI controller's watches (§1): own CIs by namespace, labelled VMs via a cached Get, owned Tenants."""

from __future__ import annotations

from models.names import KIND_COMPUTE_INSTANCE, KIND_TENANT, KIND_VIRTUAL_MACHINE, LABEL_COMPUTE_INSTANCE
from models.objects import ComputeInstance, ComputeInstanceSpec, GenericObject, ObjectMeta, OwnerReference, Phase
from sim.kernel.choice import Dist
from sim.kernel.effects import CachedGet, Coroutine, UpdateStatus
from sim.kernel.kernel import Kernel
from sim.kube.apiserver import ApiServer
from sim.kube.client import ApiFaults
from sim.kube.informer import Informer
from sim.kube.manager import ControllerManager, ManagerOptions
from sim.kube.mappers import compute_instance_watches
from sim.kube.runtime_events import KeyEnqueued, ReconcileStarted

NS = "cloudkit-computeinstance"


def ci(name: str, namespace: str = NS) -> ComputeInstance:
    return ComputeInstance(ObjectMeta(name, namespace), ComputeInstanceSpec("template-1"))


def vm(name: str, ci_name: str) -> GenericObject:
    return GenericObject(KIND_VIRTUAL_MACHINE, ObjectMeta(name, "tenant-ns", labels={LABEL_COMPUTE_INSTANCE: ci_name}))


def tenant(name: str, *owners: ComputeInstance) -> GenericObject:
    refs = [OwnerReference(KIND_COMPUTE_INSTANCE, o.metadata.name, o.metadata.uid) for o in owners]
    return GenericObject(KIND_TENANT, ObjectMeta(name, NS, owner_references=refs))


def cache_with(kernel: Kernel, server: ApiServer) -> Informer:
    informer = Informer(kernel, server, "operator", Dist.fixed(0.0))
    informer.start()
    return informer


def test_a_vm_maps_to_its_compute_instance_only_once_the_cache_holds_that_ci(
        kernel: Kernel, server: ApiServer) -> None:
    _, vm_watch, _ = compute_instance_watches(NS)
    server.create(ci("vm-1"), actor="user")
    informer = cache_with(kernel, server)
    assert vm_watch.predicate(vm("kv-1", "vm-1"))
    assert list(vm_watch.mapper(vm("kv-1", "vm-1"), informer)) == [(NS, "vm-1")]
    assert list(vm_watch.mapper(vm("kv-2", "vm-2"), informer)) == []
    unlabelled = GenericObject(KIND_VIRTUAL_MACHINE, ObjectMeta("kv-3", "tenant-ns"))
    assert not vm_watch.predicate(unlabelled)


def test_a_tenant_maps_to_every_compute_instance_that_owns_it(kernel: Kernel, server: ApiServer) -> None:
    _, _, tenant_watch = compute_instance_watches(NS)
    a, b = server.create(ci("a"), actor="user"), server.create(ci("b"), actor="user")
    assert isinstance(a, ComputeInstance) and isinstance(b, ComputeInstance)
    shared = tenant("tenant-x", a, b)
    shared.metadata.owner_references.append(OwnerReference("Namespace", "other", "uid-x"))
    assert list(tenant_watch.mapper(shared, cache_with(kernel, server))) == [(NS, "a"), (NS, "b")]


def test_compute_instances_outside_the_controller_namespace_are_ignored() -> None:
    ci_watch, _, _ = compute_instance_watches(NS)
    assert ci_watch.predicate(ci("a"))
    assert not ci_watch.predicate(ci("a", namespace="elsewhere"))


class WritesPhaseOnce:
    """Sets phase Starting when it is not yet set: the write's own watch event brings the CI back once more."""

    def reconcile(self, namespace: str, name: str) -> Coroutine:
        obj = yield CachedGet(KIND_COMPUTE_INSTANCE, namespace, name)
        assert isinstance(obj, ComputeInstance)
        if obj.status.phase != Phase.STARTING:
            obj.status.phase = Phase.STARTING
            yield UpdateStatus(obj)
        return None


def test_the_controllers_own_status_write_re_triggers_it_and_vm_and_tenant_events_enqueue_the_owner(
        kernel: Kernel, server: ApiServer, faults: ApiFaults) -> None:
    a = server.create(ci("a"), actor="user")
    server.create(ci("z", namespace="elsewhere"), actor="user")
    assert isinstance(a, ComputeInstance)
    faults.latency = Dist.fixed(0.004)
    m = ControllerManager(kernel, server, faults, reconciler_factory=WritesPhaseOnce,
                          watches=compute_instance_watches(NS), options=ManagerOptions(informer_lag=Dist.fixed(0.1)))
    m.start()
    kernel.env.run(until=1.0)
    assert [(e.name, round(e.t, 3)) for e in kernel.log.of_type(ReconcileStarted)][:2] == [("a", 0.0), ("a", 0.104)]
    server.create(vm("kv-1", "a"), actor="kubevirt")
    server.create(tenant("tenant-x", a), actor="operator")
    kernel.env.run(until=2.0)
    reasons = [(e.name, e.reason) for e in kernel.log.of_type(KeyEnqueued)]
    assert reasons == [("a", "initial"), ("a", "watch"), ("a", "watch"), ("a", "watch")]
    assert all(e.name == "a" for e in kernel.log.of_type(ReconcileStarted))


def test_a_tenants_owner_keys_follow_its_versions_as_owners_come_and_go(kernel: Kernel, server: ApiServer) -> None:
    """The owner mapper remembers recent versions' keys (a Tenant of 1,000 instances is mapped on every update):
    whatever the order of versions, each maps to exactly its own owners, of the ComputeInstance kind only."""
    mapper = compute_instance_watches(NS)[2].mapper
    cache = cache_with(kernel, server)
    a, b, c = ci("vm-a"), ci("vm-b"), ci("vm-c")
    other = OwnerReference("Deployment", "not-an-instance", "uid-d")
    versions = [tenant("t"), tenant("t", a), tenant("t", a, b), tenant("t", a, b), tenant("t", a, b, c),
                tenant("t", a, c), tenant("t", c), tenant("t", a), tenant("t", a, b)]
    versions[3].status = {"phase": "Ready"}  # the same owners, another version
    with_other = tenant("t", a)
    with_other.metadata.owner_references.append(other)
    versions.insert(8, with_other)  # right after a version owned by vm-a alone: one more, not an instance
    elsewhere = tenant("t", a, b)
    elsewhere.metadata.namespace = "other-ns"
    versions.append(elsewhere)
    for version in [*versions, versions[4], versions[2]]:  # and two seen before, out of order
        refs = version.metadata.owner_references
        expected = [(version.metadata.namespace, r.name) for r in refs if r.kind == KIND_COMPUTE_INSTANCE]
        assert list(mapper(version, cache)) == expected

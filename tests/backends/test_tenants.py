"""The tenant controller: finalizer, namespace and network, Progressing then Ready; deletion in reverse order."""

from __future__ import annotations

from backend_world import NS, World

from models.config_version import tenant_cr_name
from models.names import FINALIZER_TENANT, KIND_NAMESPACE, KIND_TENANT, KIND_USER_DEFINED_NETWORK
from sim.backends.tenants import UDN_NAME
from sim.kube.events import ObjectRemoved, ObjectStored


def phases(world: World, name: str) -> list[str]:
    seen: list[str] = []
    for e in world.kernel.log.of_type(ObjectStored):
        phase = e.obj.status_dict().get("phase") if e.kind == KIND_TENANT and e.name == name else None
        if phase and (not seen or seen[-1] != phase):
            seen.append(phase)
    return seen


def test_a_tenant_gets_its_finalizer_and_namespace_and_becomes_ready_after_progressing() -> None:
    world = World()
    name = world.create_tenant("acme")
    tenant = world.server.peek(KIND_TENANT, NS, name)
    assert tenant is not None
    assert tenant.metadata.finalizers == [FINALIZER_TENANT]
    assert phases(world, name) == ["Progressing", "Ready"]
    namespace = world.tenant_namespace("acme")
    assert namespace.startswith("acme-") and len(namespace) == len("acme-") + 8
    assert world.server.peek(KIND_NAMESPACE, "", namespace) is not None
    assert world.server.peek(KIND_USER_DEFINED_NETWORK, namespace, UDN_NAME) is not None


def test_the_namespace_name_is_the_same_in_every_run() -> None:
    assert World(seed=1).create_tenant("acme") == World(seed=2).create_tenant("acme")
    first, second = World(seed=1), World(seed=2)
    first.create_tenant("acme")
    second.create_tenant("acme")
    assert first.tenant_namespace("acme") == second.tenant_namespace("acme")


def test_deleting_a_tenant_removes_its_network_then_its_namespace_then_its_finalizer() -> None:
    world = World()
    name = world.create_tenant("acme")
    namespace = world.tenant_namespace("acme")
    world.server.delete(KIND_TENANT, NS, name, actor="test")
    world.advance(30.0)
    assert world.server.peek(KIND_TENANT, NS, name) is None
    assert phases(world, name)[-1] == "Deleting"
    removed = [(e.kind, e.name) for e in world.kernel.log.of_type(ObjectRemoved)]
    assert removed == [(KIND_USER_DEFINED_NETWORK, UDN_NAME), (KIND_NAMESPACE, namespace), (KIND_TENANT, name)]


def test_two_tenants_get_two_namespaces() -> None:
    world = World()
    world.create_tenant("acme")
    world.create_tenant("globex")
    assert world.tenant_namespace("acme") != world.tenant_namespace("globex")
    assert tenant_cr_name("acme") != tenant_cr_name("globex")

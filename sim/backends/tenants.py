"""A minimal tenant controller (§13): finalizer, namespace and network, phase Progressing → Ready; deletion in reverse.

One event-driven worker per Tenant CR: every stored or removed Tenant wakes its worker, which reads the
Tenant and reconciles it. First the `cloudkit.openshift.io/tenant` finalizer (a main-resource update;
the watch event of that write brings the worker back), then phase Progressing, the namespace
`<spec.name>-<hash>` and a UserDefinedNetwork in it, and after a delay phase Ready with
`status.namespace` recorded. A terminating Tenant goes to phase Deleting; the network and then the
namespace are deleted and waited for; the finalizer goes last. Status is written with a plain
`update_status` (no retry): a failed reconcile is requeued after `tenant_retry_s`. API calls go through
an `ApiClient` with actor `tenant-controller`. Owner-reference garbage collection of Tenants is the API
server's business, not this controller's.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Literal

import simpy

from models.config_version import fnv1a_64
from models.names import FINALIZER_TENANT, KIND_NAMESPACE, KIND_TENANT, KIND_USER_DEFINED_NETWORK
from models.objects import GenericObject, KubeObject, ObjectMeta
from sim.backends.config import BackendConfig
from sim.kernel.errors import ApiError, NotFound
from sim.kernel.kernel import Kernel
from sim.kube.apiserver import ApiServer
from sim.kube.client import ApiClient, ApiFaults
from sim.kube.events import ObjectRemoved, ObjectStored

Gen = Generator[simpy.Event, Any, Any]
ACTOR = "tenant-controller"
STREAM = "tenants"
PROGRESSING, READY, FAILED, DELETING = "Progressing", "Ready", "Failed", "Deleting"
UDN_NAME = "primary"
LABEL_TENANT = "cloudkit.openshift.io/tenant"
MAX_GONE_POLLS = 600
GONE: Literal["gone"] = "gone"
Outcome = Literal["gone"] | float | None  # the Tenant is gone | requeue after seconds | wait for the next event


def tenant_namespace_name(tenant: KubeObject) -> str:
    """`<spec.name>-<8 hex digits>`, the hash derived from the Tenant CR's namespace and name."""
    project = tenant.spec_dict().get("name") or tenant.metadata.name
    digest = fnv1a_64(f"{tenant.metadata.namespace}/{tenant.metadata.name}".encode())
    return f"{project}-{digest & 0xFFFFFFFF:08x}"


@dataclass
class _Worker:
    """The one reconcile loop of a Tenant: woken by watch events, `dirty` if one came in while it ran."""

    wake: simpy.Event
    dirty: bool = False


def _generic(obj: KubeObject) -> GenericObject:
    assert isinstance(obj, GenericObject), f"{obj.kind} objects are GenericObjects"
    return obj


class TenantController:
    """Reconciles every Tenant CR in the API server."""

    def __init__(self, kernel: Kernel, server: ApiServer, faults: ApiFaults, config: BackendConfig) -> None:
        self.kernel, self.config = kernel, config
        self.client = ApiClient(kernel, server, ACTOR, faults)
        self._workers: dict[tuple[str, str], _Worker] = {}
        kernel.log.subscribe(self._on_event, ObjectStored, ObjectRemoved)

    def _on_event(self, event: ObjectStored | ObjectRemoved) -> None:
        if event.kind != KIND_TENANT:
            return
        key = (event.namespace, event.name)
        worker = self._workers.get(key)
        if worker is None and isinstance(event, ObjectRemoved):
            return
        if worker is None:
            worker = self._workers[key] = _Worker(self.kernel.env.event())
            self.kernel.env.process(self._work(key, worker))
        else:
            worker.dirty = True
            if not worker.wake.triggered:
                worker.wake.succeed()

    def _work(self, key: tuple[str, str], worker: _Worker) -> Gen:
        env = self.kernel.env
        while True:
            worker.dirty = False
            try:
                outcome: Outcome = yield from self._reconcile(*key)
            except ApiError:
                outcome = self.config.tenant_retry_s
            if worker.dirty:
                continue
            if outcome == GONE:
                del self._workers[key]
                return
            worker.wake = env.event()
            yield worker.wake if outcome is None else worker.wake | env.timeout(outcome)

    def _reconcile(self, namespace: str, name: str) -> Gen:
        try:
            tenant = _generic((yield from self.client.get(KIND_TENANT, namespace, name)))
        except NotFound:
            return GONE
        if tenant.metadata.terminating:
            return (yield from self._finalize(tenant))
        if FINALIZER_TENANT not in tenant.metadata.finalizers:
            tenant.metadata.finalizers.append(FINALIZER_TENANT)
            yield from self.client.update(tenant, read_only=True)
            return None  # the watch event of this write brings the worker back
        if tenant.status.get("phase") not in (PROGRESSING, READY):
            tenant.status = {**tenant.status, "phase": PROGRESSING}
            tenant = _generic((yield from self.client.update_status(tenant)))
        target = tenant_namespace_name(tenant)
        try:
            yield from self._ensure(GenericObject(KIND_NAMESPACE, ObjectMeta(
                name=target, labels={LABEL_TENANT: str(tenant.spec.get("name", ""))})))
            yield from self._ensure(GenericObject(KIND_USER_DEFINED_NETWORK, ObjectMeta(
                name=UDN_NAME, namespace=target), spec={"topology": "Layer2", "layer2": {"role": "Primary"}}))
        except ApiError as err:
            tenant.status = {**tenant.status, "phase": FAILED, "message": f"{err.reason}: {err.message}"}
            yield from self.client.update_status(tenant, read_only=True)
            return self.config.tenant_retry_s
        if tenant.status.get("phase") == READY and tenant.status.get("namespace") == target:
            return None
        k = self.kernel
        yield k.env.timeout(k.choices.duration(STREAM, f"{namespace}/{name}/ready_s", self.config.tenant_ready_s))
        fresh = _generic((yield from self.client.get(KIND_TENANT, namespace, name)))
        if fresh.metadata.terminating:
            return 0.0
        fresh.status = {**fresh.status, "phase": READY, "namespace": target}
        fresh.status.pop("message", None)
        yield from self.client.update_status(fresh, read_only=True)
        return None

    def _ensure(self, obj: GenericObject) -> Gen:
        """Create `obj` unless an object of that key exists (CreateOrUpdate without the update)."""
        try:  # read only: the answer is not looked at, only whether there is one
            yield from self.client.get(obj.kind, obj.metadata.namespace, obj.metadata.name, read_only=True)
        except NotFound:
            yield from self.client.create(obj, read_only=True)

    def _finalize(self, tenant: GenericObject) -> Gen:
        if tenant.status.get("phase") != DELETING:
            tenant.status = {**tenant.status, "phase": DELETING}
            tenant = _generic((yield from self.client.update_status(tenant)))
        target = tenant.status.get("namespace") or tenant_namespace_name(tenant)
        for kind, namespace, name in ((KIND_USER_DEFINED_NETWORK, target, UDN_NAME), (KIND_NAMESPACE, "", target)):
            gone = yield from self._delete_and_wait(kind, namespace, name)
            if not gone:
                return self.config.tenant_retry_s
        fresh = yield from self.client.get(KIND_TENANT, tenant.metadata.namespace, tenant.metadata.name)
        fresh.metadata.finalizers = [f for f in fresh.metadata.finalizers if f != FINALIZER_TENANT]
        yield from self.client.update(fresh, read_only=True)
        return None  # the removal (or the update's watch event) brings the worker back

    def _delete_and_wait(self, kind: str, namespace: str, name: str) -> Gen:
        """Delete an object and re-read it until it is gone; False if it is still there after the bound."""
        try:
            yield from self.client.delete(kind, namespace, name)
        except NotFound:
            return True
        for _ in range(MAX_GONE_POLLS):
            try:  # read only: the answer is not looked at, only whether there is one
                yield from self.client.get(kind, namespace, name, read_only=True)
            except NotFound:
                return True
            yield self.kernel.env.timeout(self.config.tenant_poll_interval_s)
        return False

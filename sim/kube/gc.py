"""The owner-reference garbage collector: deletes an object once every one of its owners is gone (background).

When an object leaves the API server, or is stored with an owner reference to an object that is not
there, the collector waits a delay drawn from the choice source (stream ``gc``), then checks the live
store: a dependent whose every owner reference is dangling — no object of that kind and name with that
uid, so a re-created namesake does not count — is deleted through an `ApiClient` (actor
``garbage-collector``), with background propagation: a dependent with finalizers becomes terminating
and goes when its finalizers do. A failed delete is retried with exponential back-off while still due.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

from models.objects import KubeObject, OwnerReference
from sim.kernel.choice import Dist
from sim.kernel.errors import ApiError, NotFound
from sim.kernel.kernel import Kernel
from sim.kube.apiserver import ApiServer, Key
from sim.kube.client import ApiClient, ApiFaults
from sim.kube.events import ObjectRemoved, ObjectStored
from sim.kube.runtime_events import OwnersGone

ACTOR = "garbage-collector"
RETRY_BASE_S = 0.005  # first retry after a failed delete; doubles per failure ...
RETRY_MAX_S = 1000.0  # ... up to this, like the collector's rate-limited queue


class GarbageCollector:
    """Watches removals and dangling owner references and deletes orphaned dependents."""

    def __init__(self, kernel: Kernel, server: ApiServer, faults: ApiFaults,
                 delay: Dist | None = None) -> None:
        self.kernel, self.server = kernel, server
        self.delay = delay if delay is not None else Dist.uniform(0.01, 0.5)
        self.client = ApiClient(kernel, server, ACTOR, faults)
        self._due: dict[Key, None] = {}  # dependents with a check under way (dedup)
        self._checks = 0
        kernel.log.subscribe(self._observe, ObjectStored, ObjectRemoved)

    def _observe(self, event: ObjectStored | ObjectRemoved) -> None:
        if isinstance(event, ObjectRemoved):
            for key in self.server.store.dependents_of(event.obj.metadata.uid):
                self._schedule(key)
        elif not event.obj.metadata.terminating and self.orphaned(event.obj):
            self._schedule((event.kind, event.namespace, event.name))

    def _present(self, ref: OwnerReference, namespace: str) -> bool:
        """Whether the owner named by `ref` exists — the very object, by uid — in `namespace` or cluster-wide."""
        objects = self.server.store.objects
        for ns in (namespace, ""):
            owner = objects.get((ref.kind, ns, ref.name))
            if owner is not None and owner.metadata.uid == ref.uid:
                return True
        return False

    def orphaned(self, obj: KubeObject) -> bool:
        """True if `obj` has owner references and none of them points to an object still present."""
        refs = obj.metadata.owner_references
        return bool(refs) and not any(self._present(ref, obj.metadata.namespace) for ref in refs)

    def _schedule(self, key: Key) -> None:
        if key in self._due:
            return
        self._due[key] = None
        self.kernel.env.process(self._collect(key))

    def _collect(self, key: Key) -> Generator[simpy.Event, Any, None]:
        k = self.kernel
        n = self._checks
        self._checks += 1
        yield k.env.timeout(k.choices.duration("gc", f"{n}/delay_s", self.delay))
        failures = 0
        try:
            while True:
                obj = self.server.peek(*key)
                if obj is None or obj.metadata.terminating or not self.orphaned(obj):
                    return
                if failures == 0:
                    k.record(OwnersGone, ACTOR, kind=key[0], namespace=key[1], name=key[2],
                             owners=tuple(f"{ref.kind}/{ref.name}" for ref in obj.metadata.owner_references))
                try:
                    yield from self.client.delete(*key)
                    return
                except NotFound:
                    return
                except ApiError:
                    yield k.env.timeout(min(RETRY_BASE_S * 2.0 ** min(failures, 62), RETRY_MAX_S))
                    failures += 1
        finally:
            self._due.pop(key, None)

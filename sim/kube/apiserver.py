"""The simulated API server: the source of truth, with optimistic concurrency, the status subresource and finalizers.

Commands here are instantaneous commits: they validate, then record an event (`ObjectStored`,
`ObjectRemoved`, `ObjectUnchanged` or `ApiCallRejected`); the store is a projection of those events, so
folding a saved log rebuilds the same objects. Latency, timeouts and injected faults are the client's
business (`sim.kube.client.ApiClient`). Every method returns private copies, except to a caller that asks for
`read_only` (it only reads the answer, or drops it); stored objects are never mutated after they are recorded.
"""

from __future__ import annotations

import builtins
import operator
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from models.events import Event
from models.objects import KubeObject, ObjectMeta, OwnerReference, appended_reference, object_key
from sim.kernel.errors import AlreadyExists, ApiError, Conflict, Invalid, NotFound
from sim.kernel.kernel import Kernel
from sim.kernel.projection import register_projection
from sim.kube.events import ApiCallRejected, ObjectRead, ObjectRemoved, ObjectStored, ObjectUnchanged

Key = tuple[str, str, str]  # (kind, namespace, name)
_uid = operator.attrgetter("uid")


class KubeStore:
    """Projection of the API server's objects: folds ObjectStored / ObjectRemoved events.

    It also indexes objects by the uids their owner references name, so the garbage collector finds the
    dependents of a removed object without scanning the whole store (which made removals quadratic).
    """

    event_types: ClassVar[tuple[type[Event], ...]] = (ObjectStored, ObjectRemoved)

    def __init__(self) -> None:
        self.objects: dict[Key, KubeObject] = {}
        self.resource_version = 0
        self._dependents: dict[str, dict[Key, None]] = {}  # owner uid -> keys of objects referencing it

    def apply(self, event: Event) -> None:
        if isinstance(event, ObjectStored):
            key = (event.kind, event.namespace, event.name)
            old = self.objects.get(key)
            self.objects[key] = event.obj
            self._reindex(key, old, event.obj)
            self.resource_version = max(self.resource_version, event.resource_version)
        elif isinstance(event, ObjectRemoved):
            key = (event.kind, event.namespace, event.name)
            old = self.objects.pop(key, None)
            self._reindex(key, old, None)
            self.resource_version = max(self.resource_version, event.resource_version)

    def _reindex(self, key: Key, old: KubeObject | None, new: KubeObject | None) -> None:
        old_refs: Sequence[OwnerReference] = old.metadata.owner_references if old is not None else ()
        new_refs: Sequence[OwnerReference] = new.metadata.owner_references if new is not None else ()
        if (not old_refs and not new_refs) or old_refs == new_refs:  # shared frozen references: compared by identity
            return
        added = appended_reference(old_refs, new_refs)  # an owner added: one index entry (a no-op if listed)
        if added is not None:
            self._dependents.setdefault(added.uid, {})[key] = None
            return
        old_uids = set(map(_uid, old_refs))
        new_uids = set(map(_uid, new_refs))
        # The differences are sorted, so no iteration order depends on string hashing; they are small (a
        # Tenant update adds or drops one of its thousand references), the lists are not walked.
        for uid in sorted(old_uids - new_uids):
            keys = self._dependents.get(uid)
            if keys is not None:
                keys.pop(key, None)
                if not keys:
                    del self._dependents[uid]
        for uid in sorted(new_uids - old_uids):
            self._dependents.setdefault(uid, {})[key] = None

    def dependents_of(self, uid: str) -> list[Key]:
        """Keys of the stored objects with an owner reference to `uid`, sorted."""
        return sorted(self._dependents.get(uid, ()))

    def snapshot(self) -> dict[str, Any]:
        return {"resource_version": self.resource_version,
                "objects": {"/".join(k): self.objects[k].to_dict() for k in sorted(self.objects)}}


register_projection("kube", KubeStore)



def _labels_match(meta: ObjectMeta, labels: Mapping[str, str]) -> bool:
    return all(meta.labels.get(k) == v for k, v in labels.items())


class ApiServer:
    """Objects keyed by kind/namespace/name with a global resourceVersion; writes are recorded as events."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.store = KubeStore()
        kernel.log.subscribe(self.store.apply, ObjectStored, ObjectRemoved)
        self._uids = 0

    # -- reads -----------------------------------------------------------------------------------
    def peek(self, kind: str, namespace: str, name: str) -> KubeObject | None:
        """The stored object itself (not a copy) for checkers and tests; never mutate it."""
        return self.store.objects.get((kind, namespace, name))

    def get(self, kind: str, namespace: str, name: str, *, actor: str, read_only: bool = False) -> KubeObject:
        """A private copy of the stored object; with `read_only` the stored object itself, for a caller that
        only looks at it (a poll), which must never change it."""
        obj = self.store.objects.get((kind, namespace, name))
        self.kernel.record(ObjectRead, actor, verb="get", kind=kind, namespace=namespace, name=name,
                           found=0 if obj is None else 1)
        if obj is None:
            raise NotFound(f'{kind.lower()}s "{name}" not found')
        return obj if read_only else obj.deepcopy()

    def list(self, kind: str, namespace: str = "", labels: Mapping[str, str] | None = None, *,
             actor: str) -> builtins.list[KubeObject]:
        found = self.select(kind, namespace, labels)
        self.kernel.record(ObjectRead, actor, verb="list", kind=kind, namespace=namespace, name="",
                           found=len(found))
        return [o.deepcopy() for o in found]

    def select(self, kind: str, namespace: str = "",
               labels: Mapping[str, str] | None = None) -> builtins.list[KubeObject]:
        """Stored objects of a kind (in one namespace, or all for ""), matching labels, by key; not copies."""
        return [o for k, o in sorted(self.store.objects.items())
                if k[0] == kind and (not namespace or k[1] == namespace)
                and (not labels or _labels_match(o.metadata, labels))]

    # -- writes ----------------------------------------------------------------------------------
    def _reject(self, verb: str, key: Key, err: ApiError, actor: str, injected: bool = False) -> ApiError:
        self.kernel.record(ApiCallRejected, actor, verb=verb, kind=key[0], namespace=key[1], name=key[2],
                           code=err.code, reason=err.reason, message=err.message, injected=injected)
        return err

    def _existing(self, verb: str, key: Key, actor: str) -> KubeObject:
        stored = self.store.objects.get(key)
        if stored is None:
            raise self._reject(verb, key, NotFound(f'{key[0].lower()}s "{key[2]}" not found'), actor)
        return stored

    def _check_version(self, verb: str, key: Key, obj: KubeObject, stored: KubeObject, actor: str) -> None:
        if obj.metadata.resource_version != stored.metadata.resource_version:
            raise self._reject(verb, key, Conflict(
                f'Operation cannot be fulfilled on {key[0].lower()}s "{key[2]}": the object has been modified; '
                "please apply your changes to the latest version and try again"), actor)

    def _check_finalizers(self, verb: str, key: Key, stored: KubeObject, finalizers: Sequence[str],
                          actor: str) -> None:
        if stored.metadata.terminating and any(f not in stored.metadata.finalizers for f in finalizers):
            raise self._reject(verb, key, Invalid(
                f'{key[0]} "{key[2]}" is invalid: metadata.finalizers: Forbidden: no new finalizers can be '
                "added if the object is being deleted"), actor)

    def _commit(self, verb: str, new: KubeObject, actor: str, *, persisted: bool = False,
                read_only: bool = False) -> KubeObject:
        """Store `new` with the next resourceVersion, or remove it if terminating without finalizers.

        `new` is a private object the server may change (every caller builds it from copies), so it is
        converted to its stored form in place rather than copied again; `persisted=True` says it already is
        in its stored form (`persisted()` is idempotent, so it is not converted again). The answer is a
        private copy of what was stored; with `read_only` (a caller that only reads the answer or drops it,
        as a status write usually does) the stored object itself, which must never be changed."""
        self.store.resource_version += 1
        rv = self.store.resource_version
        new.metadata.resource_version = rv
        if not persisted:
            new = new.persisted_in_place()
        key = object_key(new)
        if new.metadata.terminating and not new.metadata.finalizers:
            self.kernel.record(ObjectRemoved, actor, kind=key[0], namespace=key[1], name=key[2],
                               resource_version=rv, obj=new)
        else:
            self.kernel.record(ObjectStored, actor, verb=verb, kind=key[0], namespace=key[1], name=key[2],
                               resource_version=rv, obj=new)
        return new if read_only else new.deepcopy()

    def _unchanged(self, verb: str, stored: KubeObject, actor: str, read_only: bool = False) -> KubeObject:
        key = object_key(stored)
        self.kernel.record(ObjectUnchanged, actor, verb=verb, kind=key[0], namespace=key[1], name=key[2],
                           resource_version=stored.metadata.resource_version)
        return stored if read_only else stored.deepcopy()

    def create(self, obj: KubeObject, *, actor: str, read_only: bool = False) -> KubeObject:
        key = object_key(obj)
        if key in self.store.objects:
            raise self._reject("create", key, AlreadyExists(f'{key[0].lower()}s "{key[2]}" already exists'), actor)
        new = obj.without_status()  # the status subresource: create ignores status
        self._uids += 1
        m = new.metadata
        m.uid = m.uid or f"uid-{self._uids:06d}"
        m.generation, m.creation_timestamp, m.deletion_timestamp = 1, float(int(self.kernel.now)), None
        return self._commit("create", new, actor, read_only=read_only)

    def update(self, obj: KubeObject, *, actor: str, read_only: bool = False) -> KubeObject:
        """Main-resource update: metadata and spec from `obj`, status kept; returns the whole stored object."""
        key = object_key(obj)
        stored = self._existing("update", key, actor)
        self._check_version("update", key, obj, stored, actor)
        self._check_finalizers("update", key, stored, obj.metadata.finalizers, actor)
        new = obj.with_status_of(stored)
        m, s = new.metadata, stored.metadata
        m.uid, m.creation_timestamp, m.deletion_timestamp = s.uid, s.creation_timestamp, s.deletion_timestamp
        spec_changed = new.spec_dict() != stored.spec_dict()
        m.generation = s.generation + (1 if spec_changed else 0)
        m.resource_version = s.resource_version
        # `new` carries the stored status, kind and apiVersion: it equals `stored` iff spec and metadata do.
        # ObjectMeta equality compares exactly what its to_dict() forms would (every field; owner references
        # field by field), without converting a Tenant's thousands of owner references to dicts twice.
        if not spec_changed and m == s:
            return self._unchanged("update", stored, actor, read_only)
        return self._commit("update", new, actor, read_only=read_only)

    def update_status(self, obj: KubeObject, *, actor: str, read_only: bool = False) -> KubeObject:
        """Status-subresource update: only `obj`'s status is taken; spec and metadata changes are ignored."""
        key = object_key(obj)
        stored = self._existing("update_status", key, actor)
        self._check_version("update_status", key, obj, stored, actor)
        new = stored.with_persisted_status_of(obj)
        if new.status_dict() == stored.status_dict():
            return self._unchanged("update_status", stored, actor, read_only)
        return self._commit("update_status", new, actor, persisted=True, read_only=read_only)

    def patch_metadata(self, kind: str, namespace: str, name: str, *, actor: str,
                       finalizers: Sequence[str] | None = None,
                       annotations: Mapping[str, str | None] | None = None, read_only: bool = False) -> KubeObject:
        """A merge patch without resourceVersion precondition: replace the finalizer list and/or merge annotations
        (a None value removes the annotation) — how the playbooks write the CR."""
        key = (kind, namespace, name)
        stored = self._existing("patch", key, actor)
        new = stored.deepcopy()
        if finalizers is not None:
            self._check_finalizers("patch", key, stored, finalizers, actor)
            new.metadata.finalizers = list(finalizers)
        for k, v in (annotations or {}).items():
            if v is None:
                new.metadata.annotations.pop(k, None)
            else:
                new.metadata.annotations[k] = v
        if new.metadata == stored.metadata:  # as in `update`: the same answer as comparing their to_dict()
            return self._unchanged("patch", stored, actor, read_only)
        return self._commit("patch", new, actor, read_only=read_only)

    def delete(self, kind: str, namespace: str, name: str, *, actor: str) -> None:
        """Request deletion: with finalizers the object becomes terminating; without, it is removed at once."""
        key = (kind, namespace, name)
        stored = self._existing("delete", key, actor)
        if stored.metadata.terminating:
            self._unchanged("delete", stored, actor, read_only=True)
            return
        new = stored.deepcopy()
        new.metadata.deletion_timestamp = float(int(self.kernel.now))
        new.metadata.generation += 1
        self._commit("delete", new, actor, read_only=True)  # without finalizers, _commit removes it at once

    def reject_injected(self, verb: str, key: Key, err: ApiError, actor: str) -> ApiError:
        """Record an error that a fault injector answered in the server's place (nothing was applied)."""
        return self._reject(verb, key, err, actor, injected=True)

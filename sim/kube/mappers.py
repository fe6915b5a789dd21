"""The watches of the reference ComputeInstance controller (§1): its own CIs, labelled VMs, and owned Tenants."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from models.names import (
    KIND_COMPUTE_INSTANCE,
    KIND_TENANT,
    KIND_VIRTUAL_MACHINE,
    LABEL_COMPUTE_INSTANCE,
)
from models.objects import KubeObject, appended_reference
from sim.kube.informer import CacheReader
from sim.kube.manager import Mapper, WatchSpec
from sim.kube.workqueue import QueueKey


def in_namespace(namespace: str) -> Callable[[KubeObject], bool]:
    """The namespace predicate: only objects in `namespace` pass."""
    def predicate(obj: KubeObject) -> bool:
        return obj.metadata.namespace == namespace
    return predicate


def has_label(label: str) -> Callable[[KubeObject], bool]:
    """Only objects carrying `label` (any value) pass."""
    def predicate(obj: KubeObject) -> bool:
        return label in obj.metadata.labels
    return predicate


def any_object(obj: KubeObject) -> bool:
    """No predicate: every object passes."""
    return True


def the_object_itself(obj: KubeObject, cache: CacheReader) -> Sequence[QueueKey]:
    """EnqueueRequestForObject: the object's own key."""
    return [(obj.metadata.namespace, obj.metadata.name)]


def vm_to_compute_instance(namespace: str) -> Mapper:
    """A VM labelled `computeinstance=<name>` maps to CI `<name>` in the controller namespace — only once a
    cached Get confirms that CI exists."""
    def mapper(obj: KubeObject, cache: CacheReader) -> Sequence[QueueKey]:
        name = obj.metadata.labels.get(LABEL_COMPUTE_INSTANCE)
        if not name:
            return []
        if cache.peek(KIND_COMPUTE_INSTANCE, namespace, name) is None:  # exists? (no copy needed)
            return []
        return [(namespace, name)]
    return mapper


def owners_of_kind(kind: str) -> Mapper:
    """EnqueueRequestForOwner (every owner, controller or not): the owner references of `kind`, in the object's
    namespace.

    The answer depends on the object alone, and cached objects are never changed, so the last two objects'
    keys are remembered (by identity; the objects are held, so no other object can take their place): an
    update's old object is the new object of the update before, and a Tenant has an owner per instance. An
    object with the last one's references (a status update) has its keys; one whose references are the last
    one's plus one more (a new owner) extends them."""
    recent: list[tuple[KubeObject, tuple[QueueKey, ...]]] = []

    def mapper(obj: KubeObject, cache: CacheReader) -> Sequence[QueueKey]:
        for seen, keys in recent:
            if seen is obj:
                return keys
        found = _keys_from(recent[-1], obj) if recent else None
        if found is None:
            ns = obj.metadata.namespace
            found = tuple([(ns, ref.name) for ref in obj.metadata.owner_references if ref.kind == kind])
        recent.append((obj, found))
        if len(recent) > 2:
            del recent[0]
        return found

    def _keys_from(last: tuple[KubeObject, tuple[QueueKey, ...]], obj: KubeObject) -> tuple[QueueKey, ...] | None:
        """`obj`'s keys from the last object's, when its references are the same or one more; else None
        (the keys depend on the namespace and the references only)."""
        ns, refs = obj.metadata.namespace, obj.metadata.owner_references
        last_refs = last[0].metadata.owner_references
        if last[0].metadata.namespace != ns:
            return None
        if refs == last_refs:
            return last[1]
        added = appended_reference(last_refs, refs)
        if added is None:
            return None
        return last[1] + ((ns, added.name),) if added.kind == kind else last[1]
    return mapper


def compute_instance_watches(namespace: str) -> list[WatchSpec]:
    """The CI controller's watches: CIs in `namespace` (no generation predicate, so status writes re-trigger),
    VMs labelled with a CI name, and Tenants by their ComputeInstance owner references."""
    return [
        WatchSpec(KIND_COMPUTE_INSTANCE, in_namespace(namespace), the_object_itself),
        WatchSpec(KIND_VIRTUAL_MACHINE, has_label(LABEL_COMPUTE_INSTANCE), vm_to_compute_instance(namespace)),
        WatchSpec(KIND_TENANT, any_object, owners_of_kind(KIND_COMPUTE_INSTANCE)),
    ]

"""The informer of one controller manager: a lagging copy of the API server's objects that calls watch handlers.

Every committed change (`ObjectStored`, `ObjectRemoved`) reaches the informer after a lag drawn from the
choice source (stream ``informer/<manager>``). Changes of one object are applied in resourceVersion order:
a later change whose lag is shorter waits for the earlier one and is applied right after it. The cache is
updated (and `CacheUpdated` recorded) before the handlers of that kind are called, as client-go does.
The cache keeps the API server's own immutable stored objects; reads hand out private deep copies, and
handlers get the cache's objects to read, never to mutate. One informer caches every kind (controller-runtime
starts one per kind on first use; here all are listed at start, which only makes the first read cheaper).
"""

from __future__ import annotations

import builtins
import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from models.objects import KubeObject
from sim.kernel.choice import Dist
from sim.kernel.errors import NotFound
from sim.kernel.kernel import Kernel
from sim.kube.apiserver import ApiServer
from sim.kube.events import ObjectRemoved, ObjectStored
from sim.kube.runtime_events import CacheListed, CacheUpdated

WatchedChange = ObjectStored | ObjectRemoved


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """What a handler receives: the object now (or its last state if deleted) and the cached one it replaced."""

    kind: str
    obj: KubeObject
    old: KubeObject | None
    deleted: bool
    initial: bool  # part of the initial list, not a change


Handler = Callable[[WatchEvent], None]


class _InFlight:
    """A change on its way to the cache; `arrived` once its lag has elapsed."""

    __slots__ = ("arrived", "change")

    def __init__(self, change: WatchedChange) -> None:
        self.change = change
        self.arrived = False


class CacheReader(Protocol):
    """The read side of a cache, as mappers and reconciles see it."""

    def get(self, kind: str, namespace: str, name: str) -> KubeObject: ...
    def peek(self, kind: str, namespace: str, name: str) -> KubeObject | None: ...
    def list(self, kind: str, namespace: str = "",
             labels: Mapping[str, str] | None = None) -> builtins.list[KubeObject]: ...


class Informer:
    """One manager incarnation's shared informer: cache of every kind, per-kind handlers, lag and lag spikes."""

    def __init__(self, kernel: Kernel, server: ApiServer, manager: str, lag: Dist, *, incarnation: int = 0) -> None:
        self.kernel, self.server, self.manager, self.lag = kernel, server, manager, lag
        self.incarnation = incarnation
        self._stream = f"informer/{manager}"
        self._objects: dict[str, dict[tuple[str, str], KubeObject]] = {}
        # Per kind: (label, value) -> keys of the cached objects carrying it, so a labelled list does not
        # sort and filter every object of the kind (a reconcile lists VMs by label on every pass).
        self._labelled: dict[str, dict[tuple[str, str], dict[tuple[str, str], None]]] = {}
        self._handlers: dict[str, list[Handler]] = {}
        # Per kind: changes observed but not yet applied, oldest first (one reflector per kind).
        self._pending: dict[str, deque[_InFlight]] = {}
        self._spike_until = -math.inf
        self._spike = Dist.fixed(0.0)
        self.started = False
        self.stopped = False

    # -- lifecycle ---------------------------------------------------------------------------------
    def add_handler(self, kind: str, handler: Handler) -> None:
        """Call `handler` for every change of `kind` applied to the cache (and for the initial list)."""
        self._handlers.setdefault(kind, []).append(handler)

    def start(self, *, subscribe: bool = True) -> None:
        """List every object from the API server into the cache, then replay them to the handlers as initial adds.

        With ``subscribe=False`` the owner feeds changes through `observe` itself (a manager does, so that
        its informers of past incarnations do not stay subscribed to the log).
        """
        assert not self.started, "an informer is started once"
        self.started = True
        if subscribe:
            self.kernel.log.subscribe(self.observe, ObjectStored, ObjectRemoved)
        store = self.server.store
        for (kind, ns, name), obj in sorted(store.objects.items()):
            self._objects.setdefault(kind, {})[(ns, name)] = obj
            self._index(kind, (ns, name), None, obj)
        self.kernel.record(CacheListed, self.manager, manager=self.manager, incarnation=self.incarnation,
                           objects=len(store.objects), resource_version=store.resource_version)
        for kind in sorted(self._handlers):
            objs = self._objects.get(kind, {})
            for key in sorted(objs):
                self._notify(WatchEvent(kind, objs[key], None, deleted=False, initial=True))

    def stop(self) -> None:
        """The process died: nothing more is delivered and the cache is dropped."""
        self.stopped = True
        self._pending.clear()
        self._objects.clear()
        self._labelled.clear()

    def lag_spike(self, until_t: float, extra_lag: Dist) -> None:
        """Until simulated time `until_t`, every change observed gets an extra lag drawn from `extra_lag`."""
        self._spike_until, self._spike = until_t, extra_lag

    # -- watch delivery ----------------------------------------------------------------------------
    def observe(self, event: WatchedChange) -> None:
        """A change was committed: schedule its delivery after a lag, behind earlier changes of the same kind.

        client-go runs one reflector per kind, so a kind's watch events reach the cache in resourceVersion
        order: a change whose lag ends early waits for every earlier change of its kind (not only of its object).
        """
        if self.stopped or not self.started:
            return
        k = self.kernel
        rv = event.resource_version
        lag = k.choices.duration(self._stream, f"{rv}/lag_s", self.lag)
        if k.now < self._spike_until:
            lag += k.choices.duration(self._stream, f"{rv}/spike_s", self._spike)
        key = event.kind
        entry = _InFlight(event)
        self._pending.setdefault(key, deque()).append(entry)
        timer = k.env.timeout(lag)
        timer.callbacks.append(lambda _t: self._lag_elapsed(key, entry))

    def _lag_elapsed(self, key: str, entry: _InFlight) -> None:
        if self.stopped:
            return
        entry.arrived = True
        queue = self._pending[key]
        while queue and queue[0].arrived:
            self._apply(queue.popleft().change)
            if self.stopped:  # a handler may crash the manager
                return
        if not queue:
            del self._pending[key]

    def _apply(self, change: WatchedChange) -> None:
        objs = self._objects.setdefault(change.kind, {})
        okey = (change.namespace, change.name)
        old = objs.get(okey)
        assert old is None or old.metadata.resource_version < change.resource_version, (
            f"informer {self.manager} would apply {change.kind} {change.name} rv {change.resource_version} "
            f"over rv {old.metadata.resource_version}: changes of one object must arrive in order")
        deleted = isinstance(change, ObjectRemoved)
        if deleted:
            objs.pop(okey, None)
            self._index(change.kind, okey, old, None)
        else:
            objs[okey] = change.obj
            self._index(change.kind, okey, old, change.obj)
        self.kernel.record(CacheUpdated, self.manager, manager=self.manager, kind=change.kind,
                           namespace=change.namespace, name=change.name,
                           resource_version=change.resource_version, deleted=deleted)
        self._notify(WatchEvent(change.kind, change.obj, old, deleted=deleted, initial=False))

    def _index(self, kind: str, okey: tuple[str, str], old: KubeObject | None, new: KubeObject | None) -> None:
        """Move `okey` from the label entries of `old` to those of `new` (either may be None)."""
        old_labels = old.metadata.labels if old is not None else {}
        new_labels = new.metadata.labels if new is not None else {}
        if old_labels == new_labels and old is not None and new is not None:
            return
        index = self._labelled.setdefault(kind, {})
        for item in old_labels.items():
            keys = index.get(item)
            if keys is not None:
                keys.pop(okey, None)
                if not keys:
                    del index[item]
        for item in new_labels.items():
            index.setdefault(item, {})[okey] = None

    def _notify(self, event: WatchEvent) -> None:
        for handler in self._handlers.get(event.kind, ()):
            handler(event)

    # -- reads -------------------------------------------------------------------------------------
    def peek(self, kind: str, namespace: str, name: str) -> KubeObject | None:
        """The cached object itself (not a copy), for handlers and tests; never mutate it."""
        return self._objects.get(kind, {}).get((namespace, name))

    def get(self, kind: str, namespace: str, name: str, *, read_only: bool = False) -> KubeObject:
        """A private copy of the cached object (the object itself with `read_only`, for a caller that only
        reads it); NotFound if the cache does not hold it."""
        obj = self._objects.get(kind, {}).get((namespace, name))
        if obj is None:
            raise NotFound(f'{kind.lower()}s "{name}" not found')
        return obj if read_only else obj.deepcopy()

    def list(self, kind: str, namespace: str = "", labels: Mapping[str, str] | None = None, *,
             read_only: bool = False) -> builtins.list[KubeObject]:
        """Private copies of the cached objects of `kind` in `namespace` ("" = all) carrying `labels`, by key
        (the objects themselves with `read_only`)."""
        objs = self._objects.get(kind, {})
        keys: Iterable[tuple[str, str]] = objs
        if labels:  # only objects carrying the first label can match: start from its index entry
            keys = self._labelled.get(kind, {}).get(next(iter(labels.items())), {})
        found = [objs[k] for k in sorted(keys)
                 if (not namespace or k[0] == namespace)
                 and (not labels or all(objs[k].metadata.labels.get(lk) == lv for lk, lv in labels.items()))]
        return found if read_only else [o.deepcopy() for o in found]

    def __len__(self) -> int:
        return sum(len(objs) for objs in self._objects.values())


"""Events of the controller machinery: cache deliveries and reads, enqueues, reconciles, manager lifecycle, owner GC."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.events import Event


@dataclass(frozen=True, slots=True)
class CacheListed(Event):
    """A manager's informer filled its cache from the API server on start (the initial list)."""

    manager: str
    incarnation: int
    objects: int
    resource_version: int


@dataclass(frozen=True, slots=True)
class CacheUpdated(Event):
    """A watch event reached a manager's informer and its cache now holds that version (or no longer the object)."""

    manager: str
    kind: str
    namespace: str
    name: str
    resource_version: int
    deleted: bool


@dataclass(frozen=True, slots=True)
class CacheRead(Event):
    """A reconcile read from its manager's cache; `resource_versions` are those of the copies it got."""

    manager: str
    verb: str  # get | list
    kind: str
    namespace: str
    name: str
    resource_versions: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class KeyEnqueued(Event):
    """A key was handed to a work queue (which may fold it into a pending or running one); reason:
    watch | initial | requeue_after | rate_limited | requeue; delay_s 0 means at once."""

    manager: str
    namespace: str
    name: str
    reason: str
    delay_s: float


@dataclass(frozen=True, slots=True)
class ControllerLogged(Event):
    """A log line the controller wrote during the reconcile of namespace/name."""

    manager: str
    namespace: str
    name: str
    message: str
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class ManagerStarted(Event):
    """A controller-manager process started: its incarnation number, its controller class and its configuration."""

    manager: str
    incarnation: int
    controller: str
    config: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ManagerCrashed(Event):
    """A controller-manager process died: its cache, queue and in-process state are gone."""

    manager: str
    incarnation: int


@dataclass(frozen=True, slots=True)
class ReconcileStarted(Event):
    """A worker took namespace/name from the queue and called the reconciler."""

    manager: str
    incarnation: int
    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class ReconcileFinished(Event):
    """The reconcile returned a Result (error "") or an error (then the Result is ignored and reported empty)."""

    manager: str
    incarnation: int
    namespace: str
    name: str
    requeue_after_s: float
    requeue: bool
    error: str


@dataclass(frozen=True, slots=True)
class ReconcileAborted(Event):
    """The manager died during the reconcile: it stopped at `effect` (performed, if it was already under way,
    but its result was lost) and returned nothing."""

    manager: str
    incarnation: int
    namespace: str
    name: str
    effect: str


@dataclass(frozen=True, slots=True)
class OwnersGone(Event):
    """The garbage collector found an object every one of whose owners is gone, and will delete it."""

    kind: str
    namespace: str
    name: str
    owners: tuple[str, ...]  # "Kind/name" of each vanished owner

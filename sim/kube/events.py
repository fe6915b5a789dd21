"""Events of the Kubernetes substrate: committed object changes, rejected and failed API calls, reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from models.events import Event
from models.objects import KubeObject


@dataclass(frozen=True, slots=True)
class ObjectStored(Event):
    """The API server committed a change; verb: create | update | update_status | patch | delete (requested)."""

    verb: str
    kind: str
    namespace: str
    name: str
    resource_version: int
    obj: KubeObject

    OBJECT_FIELDS: ClassVar[tuple[str, ...]] = ("obj",)


@dataclass(frozen=True, slots=True)
class ObjectRemoved(Event):
    """The object left the API server (deleted without finalizers, or its last finalizer went); obj: last state."""

    kind: str
    namespace: str
    name: str
    resource_version: int
    obj: KubeObject

    OBJECT_FIELDS: ClassVar[tuple[str, ...]] = ("obj",)


@dataclass(frozen=True, slots=True)
class ObjectUnchanged(Event):
    """A write that changed nothing: the API server answered with the stored object and emitted no watch event."""

    verb: str
    kind: str
    namespace: str
    name: str
    resource_version: int


@dataclass(frozen=True, slots=True)
class ApiCallRejected(Event):
    """The API server refused a call (Conflict, NotFound, AlreadyExists, Invalid), or a fault answered for it."""

    verb: str
    kind: str
    namespace: str
    name: str
    code: int
    reason: str
    message: str
    injected: bool


@dataclass(frozen=True, slots=True)
class ApiCallTimedOut(Event):
    """The caller gave up waiting; `applied` tells whether the server committed the write anyway."""

    verb: str
    kind: str
    namespace: str
    name: str
    applied: bool


@dataclass(frozen=True, slots=True)
class ObjectRead(Event):
    """An uncached read (get or list) reached the API server; `found` counts the objects returned."""

    verb: str
    kind: str
    namespace: str
    name: str
    found: int

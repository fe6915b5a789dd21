"""Effects are data: the requests a controller coroutine yields to the runtime, and what it gets back.

A reconciler is a generator that yields one of these records and receives the result (or has the
matching error thrown into it). The runtime performs each effect with simulated latency and faults and
records it in the log, so the decision logic never touches the world directly and can be tested by
feeding results by hand.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from models.objects import KubeObject


@dataclass(frozen=True, slots=True)
class CachedGet:
    """Get from the manager's informer cache → a private copy; NotFound is thrown in if absent.

    ``read_only=True`` is a promise that the caller (and whatever it hands the object to) only reads it:
    the cached object itself is returned, without a copy. Not part of the effect's equality.
    """

    kind: str
    namespace: str
    name: str
    read_only: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class CachedList:
    """List from the informer cache, filtered by namespace ("" = all) and exact label matches → list of copies
    (of the cached objects themselves with ``read_only=True``, as for `CachedGet`)."""

    kind: str
    namespace: str
    labels: tuple[tuple[str, str], ...] = ()
    read_only: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class UncachedGet:
    """Get straight from the API server (the reference controller never uses it)."""

    kind: str
    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class Create:
    """Create an object → the stored copy (the stored object itself with ``read_only=True``, as for
    `CachedGet`: a promise that the caller only reads the answer or drops it; not part of the equality)."""

    obj: KubeObject
    read_only: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class Update:
    """Update the main resource (status ignored) with the object's resourceVersion → the stored copy (the stored
    object with ``read_only=True``, as for `Create`)."""

    obj: KubeObject
    read_only: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class UpdateStatus:
    """Update the status subresource (spec and metadata ignored) with the object's resourceVersion → stored copy
    (the stored object with ``read_only=True``, as for `Create`)."""

    obj: KubeObject
    read_only: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class Delete:
    """Delete an object (sets deletionTimestamp if it has finalizers, else removes it) → None."""

    kind: str
    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """An HTTP call to an outside system (EDA webhook, AAP REST API) → HttpResponse, or TransportError thrown in."""

    method: str
    url: str
    body: Any = None
    timeout_s: float = 30.0
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """What an HTTP call answered: a status code and a JSON-like body."""

    status: int
    body: Any = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True, slots=True)
class Now:
    """Ask the runtime for the current simulated time (seconds) → float."""


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait this many simulated seconds (e.g. the retry-on-conflict back-off) → None."""

    seconds: float


@dataclass(frozen=True, slots=True)
class LogLine:
    """A controller log line (logr), recorded so the timeline shows the controller's decisions → None."""

    message: str
    fields: tuple[tuple[str, str], ...] = ()


Effect = (LogLine | CachedGet | CachedList | UncachedGet | Create | Update | UpdateStatus | Delete | HttpRequest
          | Now | Sleep)

# A controller coroutine: yields effects, receives their results, returns a value.
Coroutine = Generator[Effect, Any, Any]


@dataclass(frozen=True, slots=True)
class ReconcileResult:
    """controller-runtime's reconcile.Result: requeue_after_s > 0 schedules a delayed add of the key."""

    requeue_after_s: float = 0.0
    requeue: bool = False

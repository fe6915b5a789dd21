"""The controller runtime: drives one reconcile coroutine, performing each effect it yields and sending back the result.

Cached reads come from the manager's informer at no simulated cost; API calls go through the manager's
`ApiClient` (latency, injected faults); HTTP requests through the `HttpNetwork`. API and transport
errors are thrown into the coroutine, so it handles them where the Go code checks `err`. Before each
effect, and again when an effect's result comes back, the runtime checks that the manager incarnation
is still alive: if it died, the coroutine is closed and the reconcile ends with no result. An effect
already under way when the crash hit completes at the server (a write is applied) — only its result is
lost, as when a process dies with a request in flight.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import simpy

from sim.kernel.effects import (
    CachedGet,
    CachedList,
    Coroutine,
    Create,
    Delete,
    Effect,
    HttpRequest,
    LogLine,
    Now,
    ReconcileResult,
    Sleep,
    UncachedGet,
    Update,
    UpdateStatus,
)
from sim.kernel.errors import ApiError, TransportError
from sim.kernel.http import HttpNetwork
from sim.kernel.kernel import Kernel
from sim.kube.client import ApiClient
from sim.kube.informer import Informer
from sim.kube.runtime_events import CacheRead, ControllerLogged

Gen = Generator[simpy.Event, Any, Any]
_INSTANT = (CachedGet, CachedList, Now, LogLine)  # effects served at once (a tuple: cheaper than a union)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a reconcile ended: a result, an error (the result is then ignored), or aborted by a crash."""

    result: ReconcileResult | None = None
    error: Exception | None = None
    aborted_at: str = ""  # the effect the reconcile stopped at, when the manager died

    @property
    def aborted(self) -> bool:
        return bool(self.aborted_at)


def error_text(err: BaseException) -> str:
    """How an error appears in ReconcileFinished: its class and message."""
    return f"{type(err).__name__}: {err}"


class ControllerRuntime:
    """Performs effects for one manager incarnation: its cache, its API client and the shared HTTP network."""

    def __init__(self, kernel: Kernel, manager: str, informer: Informer, client: ApiClient,
                 network: HttpNetwork | None, alive: Callable[[], bool]) -> None:
        self.kernel, self.manager, self.informer, self.client = kernel, manager, informer, client
        self.network, self.alive = network, alive

    def run(self, coroutine: Coroutine, namespace: str, name: str) -> Generator[simpy.Event, Any, Outcome]:
        """Drive `coroutine` (the reconcile of namespace/name) to its end, or until the manager dies."""
        value: Any = None
        thrown: Exception | None = None
        while True:
            try:
                effect = coroutine.throw(thrown) if thrown is not None else coroutine.send(value)
            except StopIteration as stop:
                result = ReconcileResult() if stop.value is None else stop.value
                assert isinstance(result, ReconcileResult), (
                    f"a reconcile must return a ReconcileResult (or None), got {type(result).__name__}")
                return Outcome(result=result)
            except AssertionError:
                raise  # a broken invariant of the simulator itself
            except Exception as err:  # the reconcile returned an error (Go: return ctrl.Result{}, err)
                return Outcome(error=err)
            if not self.alive():
                coroutine.close()
                return Outcome(aborted_at=type(effect).__name__)
            value, thrown = None, None
            try:
                if isinstance(effect, _INSTANT):
                    value = self._instant(effect, namespace, name)
                else:
                    value = yield from self._timed(effect)
            except (ApiError, TransportError) as err:
                thrown = err
            if not self.alive():
                coroutine.close()
                return Outcome(aborted_at=type(effect).__name__)

    def _instant(self, effect: CachedGet | CachedList | Now | LogLine, namespace: str, name: str) -> Any:
        k = self.kernel
        if isinstance(effect, CachedGet):
            try:
                obj = self.informer.get(effect.kind, effect.namespace, effect.name, read_only=effect.read_only)
            except ApiError:
                self._read("get", effect.kind, effect.namespace, effect.name, ())
                raise
            # `_read` inlined: a cached get is the commonest effect of a reconcile
            k.record(CacheRead, self.manager, manager=self.manager, verb="get", kind=effect.kind,
                     namespace=effect.namespace, name=effect.name,
                     resource_versions=(obj.metadata.resource_version,))
            return obj
        if isinstance(effect, CachedList):
            objs = self.informer.list(effect.kind, effect.namespace, dict(effect.labels), read_only=effect.read_only)
            self._read("list", effect.kind, effect.namespace, "", tuple(o.metadata.resource_version for o in objs))
            return objs
        if isinstance(effect, Now):
            return k.now
        k.record(ControllerLogged, self.manager, manager=self.manager, namespace=namespace, name=name,
                 message=effect.message, fields=tuple(effect.fields))
        return None

    def _read(self, verb: str, kind: str, namespace: str, name: str, rvs: tuple[int, ...]) -> None:
        self.kernel.record(CacheRead, self.manager, manager=self.manager, verb=verb, kind=kind,
                           namespace=namespace, name=name, resource_versions=rvs)

    def _timed(self, effect: Effect) -> Gen:
        c = self.client
        if isinstance(effect, UncachedGet):
            return (yield from c.get(effect.kind, effect.namespace, effect.name))
        if isinstance(effect, Create):
            return (yield from c.create(effect.obj, read_only=effect.read_only))
        if isinstance(effect, Update):
            return (yield from c.update(effect.obj, read_only=effect.read_only))
        if isinstance(effect, UpdateStatus):
            return (yield from c.update_status(effect.obj, read_only=effect.read_only))
        if isinstance(effect, Delete):
            return (yield from c.delete(effect.kind, effect.namespace, effect.name))
        if isinstance(effect, HttpRequest):
            assert self.network is not None, "an HTTP effect needs the manager to be given an HttpNetwork"
            return (yield from self.network.call(effect, self.manager))
        if isinstance(effect, Sleep):
            yield self.kernel.env.timeout(max(0.0, effect.seconds))
            return None
        raise AssertionError(f"a controller yielded {effect!r}, which is not an effect")

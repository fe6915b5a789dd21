"""A direct (uncached) API client for one actor: every call takes simulated latency and may meet an injected fault.

Used by the controller runtime for writes and uncached reads, and by the playbooks, the tenant
controller and KubeVirt. Each method is a simpy generator: ``obj = yield from client.update(obj)``.
Faults are drawn from the choice source, stream ``api/<actor>``, at the rates currently in force in the
shared `ApiFaults` holder (scenario actions such as a conflict storm change them; healing zeroes them).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import simpy

from models.objects import KubeObject, object_key
from sim.kernel.choice import Dist
from sim.kernel.errors import ApiError, ApiTimeout, Conflict, Invalid, ServerError, SimError
from sim.kernel.kernel import Kernel
from sim.kube.apiserver import ApiServer, Key
from sim.kube.events import ApiCallTimedOut

T = TypeVar("T")
Gen = Generator[simpy.Event, Any, T]

FAULT_KINDS = ("conflict", "invalid", "server_error", "timeout", "timeout_applied")


@dataclass(frozen=True, slots=True)
class ApiFaultRates:
    """Probabilities, per write call, of each injected fault (reads only meet server errors and timeouts)."""

    conflict: float = 0.0  # an extra 409 Conflict, not applied
    invalid: float = 0.0  # a 422 Invalid, not applied
    server_error: float = 0.0  # a 5xx, not applied
    timeout: float = 0.0  # the client times out; the server never saw the call
    timeout_applied: float = 0.0  # the client times out AFTER the server committed the write

    def __post_init__(self) -> None:
        for name in FAULT_KINDS:
            p = getattr(self, name)
            if not 0.0 <= p <= 1.0:
                raise SimError(f"API fault rate {name} = {p}", rule="a probability is between 0 and 1",
                               fix="use a value such as 0.05")

    @property
    def total(self) -> float:
        return min(1.0, self.conflict + self.invalid + self.server_error + self.timeout + self.timeout_applied)


@dataclass
class ApiFaults:
    """The fault rates in force now, shared by every client of a world; `heal()` turns them all off."""

    rates: ApiFaultRates = field(default_factory=ApiFaultRates)
    latency: Dist = field(default_factory=lambda: Dist.uniform(0.001, 0.01))
    timeout_s: float = 10.0  # how long a caller waits before giving up

    def heal(self) -> None:
        self.rates = ApiFaultRates()


class ApiClient:
    """One actor's connection to the API server."""

    def __init__(self, kernel: Kernel, server: ApiServer, actor: str, faults: ApiFaults) -> None:
        self.kernel, self.server, self.actor, self.faults = kernel, server, actor, faults
        self._stream = f"api/{actor}"
        self._calls = 0

    def _fault(self, verb: str, write: bool) -> str | None:
        rates = self.faults.rates
        total = rates.total if write else min(1.0, rates.server_error + rates.timeout)
        n = self._calls
        self._calls += 1
        if total <= 0.0:  # `chance` would decide without drawing: skip building the choice's name
            return None
        if not self.kernel.choices.chance(self._stream, f"{n}/{verb}/fault", total):
            return None
        kinds = [k for k in FAULT_KINDS if getattr(rates, k) > 0 and (write or k in ("server_error", "timeout"))]
        weights = [getattr(rates, k) for k in kinds]
        return self.kernel.choices.weighted(self._stream, f"{n}/{verb}/fault_kind", kinds, weights)

    def _call(self, verb: str, key: Key, op: Callable[[], T], *, write: bool = True) -> Gen[T]:
        k = self.kernel
        fault = self._fault(verb, write)
        latency = k.choices.duration(self._stream, f"{verb}/latency_s", self.faults.latency)
        if fault == "timeout":
            yield k.env.timeout(self.faults.timeout_s)
            k.record(ApiCallTimedOut, self.actor, verb=verb, kind=key[0], namespace=key[1], name=key[2], applied=False)
            raise ApiTimeout(f"{verb} {key[0]} {key[2]}: context deadline exceeded")
        yield k.env.timeout(latency)
        if fault in ("conflict", "invalid", "server_error"):
            err: ApiError = {
                "conflict": Conflict(f'Operation cannot be fulfilled on {key[0].lower()}s "{key[2]}": '
                                     "the object has been modified; please apply your changes to the latest "
                                     "version and try again"),
                "invalid": Invalid(f'{key[0]} "{key[2]}" is invalid (injected fault)'),
                "server_error": ServerError("etcdserver: request timed out (injected fault)"),
            }[fault]
            raise self.server.reject_injected(verb, key, err, self.actor)
        if fault != "timeout_applied":
            return op()
        # The server acts on the call, but its answer (success or rejection) never reaches the caller.
        try:
            op()
            applied = True
        except ApiError:
            applied = False
        yield k.env.timeout(max(0.0, self.faults.timeout_s - latency))
        k.record(ApiCallTimedOut, self.actor, verb=verb, kind=key[0], namespace=key[1], name=key[2], applied=applied)
        raise ApiTimeout(f"{verb} {key[0]} {key[2]}: context deadline exceeded")

    # -- the verbs -------------------------------------------------------------------------------
    def get(self, kind: str, namespace: str, name: str, *, read_only: bool = False) -> Gen[KubeObject]:
        """Read an object; `read_only=True` promises not to change it (no copy is made: see ApiServer.get)."""
        return self._call("get", (kind, namespace, name),
                          lambda: self.server.get(kind, namespace, name, actor=self.actor, read_only=read_only),
                          write=False)

    def list(self, kind: str, namespace: str = "", labels: Mapping[str, str] | None = None) -> Gen[list[KubeObject]]:
        return self._call("list", (kind, namespace, ""),
                          lambda: self.server.list(kind, namespace, labels, actor=self.actor), write=False)

    # The writes answer with a private copy of the stored object; `read_only=True` promises that the caller only
    # reads the answer or drops it (no copy is made: see ApiServer._commit).
    def create(self, obj: KubeObject, *, read_only: bool = False) -> Gen[KubeObject]:
        return self._call("create", object_key(obj),
                          lambda: self.server.create(obj, actor=self.actor, read_only=read_only))

    def update(self, obj: KubeObject, *, read_only: bool = False) -> Gen[KubeObject]:
        return self._call("update", object_key(obj),
                          lambda: self.server.update(obj, actor=self.actor, read_only=read_only))

    def update_status(self, obj: KubeObject, *, read_only: bool = False) -> Gen[KubeObject]:
        return self._call("update_status", object_key(obj),
                          lambda: self.server.update_status(obj, actor=self.actor, read_only=read_only))

    def patch_metadata(self, kind: str, namespace: str, name: str, *, finalizers: Sequence[str] | None = None,
                       annotations: Mapping[str, str | None] | None = None,
                       read_only: bool = False) -> Gen[KubeObject]:
        return self._call("patch", (kind, namespace, name),
                          lambda: self.server.patch_metadata(kind, namespace, name, actor=self.actor,
                                                             finalizers=finalizers, annotations=annotations,
                                                             read_only=read_only))

    def delete(self, kind: str, namespace: str, name: str) -> Gen[None]:
        return self._call("delete", (kind, namespace, name),
                          lambda: self.server.delete(kind, namespace, name, actor=self.actor))

"""A scripted driver for operator coroutines: answers each yielded effect from a fake in-memory world and records it."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from models.jobs import JobRecord, JobState, JobType
from models.names import (
    ANNOTATION_TENANT,
    FINALIZER_COMPUTE_INSTANCE,
    KIND_COMPUTE_INSTANCE,
    KIND_TENANT,
    KIND_VIRTUAL_MACHINE,
    KIND_VIRTUAL_MACHINE_INSTANCE,
    LABEL_COMPUTE_INSTANCE,
)
from models.objects import (
    ComputeInstance,
    ComputeInstanceSpec,
    ComputeInstanceStatus,
    GenericObject,
    KubeObject,
    ObjectMeta,
    Phase,
    object_key,
)
from sim.kernel.effects import (
    CachedGet,
    CachedList,
    Create,
    Delete,
    Effect,
    HttpRequest,
    HttpResponse,
    LogLine,
    Now,
    Sleep,
    UncachedGet,
    Update,
    UpdateStatus,
)
from sim.kernel.errors import AlreadyExists, Conflict, Invalid, NotFound
from sim.operator.config import OperatorConfig

NS = "cloudkit-computeinstance"
TENANT = "acme"
TENANT_NS = "acme-ns"
Key = tuple[str, str, str]
Answer = HttpResponse | BaseException


@dataclass
class Outcome:
    """How a driven coroutine ended: its return value or the exception it raised, and every effect it yielded."""

    value: Any = None
    error: BaseException | None = None
    effects: list[Effect] = field(default_factory=list)

    def of(self, kind: type) -> list[Any]:
        """The yielded effects of one type, in order."""
        return [e for e in self.effects if isinstance(e, kind)]

    @property
    def http(self) -> list[HttpRequest]:
        return self.of(HttpRequest)

    @property
    def logs(self) -> list[str]:
        return [e.message for e in self.of(LogLine)]


class FakeWorld:
    """An in-memory API server (optimistic concurrency, status subresource, finalizers) plus scripted HTTP."""

    def __init__(self, now: float = 1000.0) -> None:
        self.objects: dict[Key, KubeObject] = {}
        self.now = now
        self.tick_s = 0.0  # simulated time that passes on every effect
        self._rv = 0
        self._uid = 0
        self.faults: dict[type, deque[BaseException]] = defaultdict(deque)
        self.answers: dict[type, deque[Any]] = defaultdict(deque)
        self.routes: dict[tuple[str, str], deque[Answer]] = {}
        self.http_calls: list[HttpRequest] = []
        self.status_writes: list[ComputeInstance] = []

    # --- setup -----------------------------------------------------------------------------------------
    def put(self, obj: KubeObject) -> KubeObject:
        """Store `obj` as if created (resourceVersion, uid, creation time), keeping its status."""
        stored = obj.deepcopy()
        self._rv += 1
        stored.metadata.resource_version = self._rv
        if not stored.metadata.uid:
            self._uid += 1
            stored.metadata.uid = f"uid-{self._uid}"
        if not stored.metadata.creation_timestamp:
            stored.metadata.creation_timestamp = self.now
        self.objects[object_key(stored)] = stored.persisted()
        return stored.deepcopy()

    def get(self, kind: str, namespace: str, name: str) -> Any:
        obj = self.objects.get((kind, namespace, name))
        return None if obj is None else obj.deepcopy()

    def fail(self, effect_type: type, error: BaseException, times: int = 1) -> None:
        """The next `times` effects of `effect_type` raise `error` instead of being performed."""
        self.faults[effect_type].extend([error] * times)

    def answer_next(self, effect_type: type, value: Any) -> None:
        """The next effect of `effect_type` is not performed and answers `value` (e.g. a stale cached read)."""
        self.answers[effect_type].append(value)

    def route(self, method: str, url: str, *answers: Answer) -> None:
        """Answer `method url` with these responses in turn; the last one repeats."""
        self.routes[(method, url)] = deque(answers)

    # --- performing effects --------------------------------------------------------------------------
    def perform(self, effect: Effect) -> Any:
        self.now += self.tick_s
        queue = self.faults.get(type(effect))
        if queue:
            raise queue.popleft()
        scripted = self.answers.get(type(effect))
        if scripted:
            return scripted.popleft()
        handler = getattr(self, f"_do_{type(effect).__name__}")
        return handler(effect)

    def _stored(self, kind: str, namespace: str, name: str) -> KubeObject:
        obj = self.objects.get((kind, namespace, name))
        if obj is None:
            raise NotFound(f'{kind} "{name}" not found')
        return obj

    def _do_CachedGet(self, e: CachedGet) -> Any:
        return self._stored(e.kind, e.namespace, e.name).deepcopy()

    def _do_UncachedGet(self, e: UncachedGet) -> Any:
        return self._stored(e.kind, e.namespace, e.name).deepcopy()

    def _do_CachedList(self, e: CachedList) -> list[Any]:
        out = []
        for (kind, namespace, _), obj in sorted(self.objects.items()):
            if kind != e.kind or (e.namespace and namespace != e.namespace):
                continue
            if all(obj.metadata.labels.get(k) == v for k, v in e.labels):
                out.append(obj.deepcopy())
        return out

    def _do_Create(self, e: Create) -> Any:
        if object_key(e.obj) in self.objects:
            raise AlreadyExists(f"{e.obj.kind} {e.obj.metadata.name} already exists")
        return self.put(e.obj)

    def _check_version(self, obj: KubeObject) -> KubeObject:
        stored = self._stored(obj.kind, obj.metadata.namespace, obj.metadata.name)
        if obj.metadata.resource_version != stored.metadata.resource_version:
            raise Conflict(f"the object {obj.metadata.name} has been modified")
        return stored

    def _do_Update(self, e: Update) -> Any:
        stored = self._check_version(e.obj)
        if stored.metadata.terminating and set(e.obj.metadata.finalizers) - set(stored.metadata.finalizers):
            raise Invalid("no new finalizers can be added if the object is being deleted")
        new = e.obj.with_status_of(stored)
        new.metadata.deletion_timestamp = stored.metadata.deletion_timestamp
        new.metadata.creation_timestamp = stored.metadata.creation_timestamp
        new.metadata.uid = stored.metadata.uid
        self._rv += 1
        new.metadata.resource_version = self._rv
        key = object_key(new)
        if new.metadata.terminating and not new.metadata.finalizers:
            del self.objects[key]
        else:
            self.objects[key] = new.persisted()
        return new.persisted().deepcopy()

    def _do_UpdateStatus(self, e: UpdateStatus) -> Any:
        stored = self._check_version(e.obj)
        new = stored.with_status_of(e.obj).persisted()
        self._rv += 1
        new.metadata.resource_version = self._rv
        self.objects[object_key(new)] = new
        if isinstance(new, ComputeInstance):
            self.status_writes.append(new.deepcopy())
        return new.deepcopy()

    def _do_Delete(self, e: Delete) -> None:
        stored = self._stored(e.kind, e.namespace, e.name)
        if stored.metadata.finalizers:
            if stored.metadata.deletion_timestamp is None:
                stored.metadata.deletion_timestamp = self.now
        else:
            del self.objects[(e.kind, e.namespace, e.name)]

    def _do_HttpRequest(self, e: HttpRequest) -> HttpResponse:
        self.http_calls.append(e)
        answers = self.routes.get((e.method, e.url))
        assert answers, f"no scripted answer for {e.method} {e.url}; routes: {sorted(self.routes)}"
        answer = answers.popleft() if len(answers) > 1 else answers[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def _do_Now(self, e: Now) -> float:
        return self.now

    def _do_Sleep(self, e: Sleep) -> None:
        self.now += e.seconds

    def _do_LogLine(self, e: LogLine) -> None:
        return None


def drive(world: FakeWorld, coroutine: Generator[Effect, Any, Any]) -> Outcome:
    """Run `coroutine` to its end, answering every effect from `world`; its error is returned, not raised."""
    outcome = Outcome()
    send: Any = None
    throw: BaseException | None = None
    while True:
        try:
            effect = coroutine.throw(throw) if throw is not None else coroutine.send(send)
        except StopIteration as stop:
            outcome.value = stop.value
            return outcome
        except AssertionError:
            raise  # a broken test script (e.g. an unscripted HTTP call), never an outcome
        except Exception as exc:
            outcome.error = exc
            return outcome
        outcome.effects.append(effect)
        send, throw = None, None
        try:
            send = world.perform(effect)
        except Exception as exc:
            throw = exc


# --- objects ---------------------------------------------------------------------------------------------

def job(job_id: str, job_type: JobType = JobType.PROVISION, timestamp: float = 10.0,
        state: JobState = JobState.RUNNING, message: str = "", block: bool = False) -> JobRecord:
    return JobRecord(job_id, job_type, timestamp, state, message, block)


def make_ci(name: str = "vm-1", *, namespace: str = NS, tenant: str | None = TENANT,
            finalizers: Iterable[str] = (FINALIZER_COMPUTE_INSTANCE,), jobs: Iterable[JobRecord] = (),
            phase: Phase = Phase.NONE, annotations: dict[str, str] | None = None,
            deleting: bool = False, template_id: str = "template-1") -> ComputeInstance:
    """A ComputeInstance; by default it has the base finalizer and the tenant annotation."""
    notes = dict(annotations or {})
    if tenant is not None:
        notes.setdefault(ANNOTATION_TENANT, tenant)
    meta = ObjectMeta(name=name, namespace=namespace, annotations=notes, finalizers=list(finalizers),
                      deletion_timestamp=500.0 if deleting else None)
    return ComputeInstance(meta, ComputeInstanceSpec(template_id),
                           ComputeInstanceStatus(phase=phase, jobs=list(jobs)))


def ready_tenant(world: FakeWorld, ci: ComputeInstance, phase: str = "Ready",
                 namespace: str = TENANT_NS) -> GenericObject:
    """Store a Tenant for `ci` and point ci.status.tenantReference at it (call before storing the CI)."""
    tenant = GenericObject(KIND_TENANT, ObjectMeta(name="tenant-x", namespace=ci.metadata.namespace),
                           spec={"name": TENANT}, status={"phase": phase, "namespace": namespace})
    world.put(tenant)
    ci.status.tenant_reference = {"name": "tenant-x", "namespace": ci.metadata.namespace}
    return tenant


def make_vm(world: FakeWorld, ci_name: str = "vm-1", *, name: str = "", namespace: str = TENANT_NS,
            ready: bool = False) -> GenericObject:
    conditions = [{"type": "Ready", "status": "True" if ready else "False"}]
    vm = GenericObject(KIND_VIRTUAL_MACHINE,
                       ObjectMeta(name=name or ci_name, namespace=namespace,
                                  labels={LABEL_COMPUTE_INSTANCE: ci_name}),
                       status={"conditions": conditions})
    world.put(vm)
    return vm


def make_vmi(world: FakeWorld, name: str = "vm-1", *, namespace: str = TENANT_NS,
             created_at: float = 0.0) -> GenericObject:
    vmi = GenericObject(KIND_VIRTUAL_MACHINE_INSTANCE,
                        ObjectMeta(name=name, namespace=namespace, creation_timestamp=created_at))
    world.put(vmi)
    return vmi


def stored_ci(world: FakeWorld, name: str = "vm-1", namespace: str = NS) -> ComputeInstance:
    ci = world.get(KIND_COMPUTE_INSTANCE, namespace, name)
    assert isinstance(ci, ComputeInstance), f"no ComputeInstance {namespace}/{name} stored"
    return ci


# --- configurations and AAP answers ----------------------------------------------------------------------

EDA_CREATE = "http://eda.example/create-compute-instance"
EDA_DELETE = "http://eda.example/delete-compute-instance"
AAP = "http://aap.example/api/controller/v2"
PROVISION_TEMPLATE = "cloudkit-create-compute-instance"
DEPROVISION_TEMPLATE = "cloudkit-delete-compute-instance"


def eda_config(**changes: Any) -> OperatorConfig:
    return OperatorConfig(provider="eda", **changes)


def aap_config(**changes: Any) -> OperatorConfig:
    return OperatorConfig(provider="aap", **changes)


def ok(body: Any = None, status: int = 200) -> HttpResponse:
    return HttpResponse(status, body)


def template_list(name: str, template_id: int = 7) -> HttpResponse:
    return ok({"count": 1, "results": [{"id": template_id, "name": name}]})


EMPTY_LIST = HttpResponse(200, {"count": 0, "results": []})


def route_job_template(world: FakeWorld, name: str, *launches: Answer) -> None:
    """`name` is a job template; its launches answer `launches` in turn."""
    world.route("GET", f"{AAP}/job_templates/?name={name}", template_list(name))
    world.route("POST", f"{AAP}/job_templates/{name}/launch/", *launches)


def route_job(world: FakeWorld, job_id: str, *answers: Answer) -> None:
    world.route("GET", f"{AAP}/jobs/{job_id}/", *answers)


def aap_job(job_id: int, status: str, traceback: str = "") -> HttpResponse:
    return ok({"id": job_id, "status": status, "started": None, "finished": None, "extra_vars": "{}",
               "result_traceback": traceback})


def route_cancel(world: FakeWorld, job_id: str, *answers: Answer) -> None:
    world.route("POST", f"{AAP}/jobs/{job_id}/cancel/", *answers)


def effect_names(effects: Iterable[Effect]) -> list[str]:
    """Effect type names without log lines and clock reads: the externally visible calls."""
    return [type(e).__name__ for e in effects if not isinstance(e, LogLine | Now)]



@contextmanager
def raises_message(kind: type[BaseException], message: str, *, prefix: bool = False) -> Iterator[Any]:
    """Like pytest.raises, and the error text is exactly `message` (or starts with it when `prefix`)."""
    with pytest.raises(kind) as info:
        yield info
    text = str(info.value)
    assert (text.startswith(message) if prefix else text == message), f"error text was {text!r}"


def reconcile(world: FakeWorld, reconciler: Any, name: str = "vm-1", namespace: str = NS) -> Outcome:
    """Drive one `reconciler.reconcile(namespace, name)` against `world`."""
    return drive(world, reconciler.reconcile(namespace, name))


def store_ready_ci(world: FakeWorld, ci: ComputeInstance) -> ComputeInstance:
    """Store a Ready tenant for `ci`, then `ci` itself; return the stored copy."""
    ready_tenant(world, ci)
    stored = world.put(ci)
    assert isinstance(stored, ComputeInstance)
    return stored

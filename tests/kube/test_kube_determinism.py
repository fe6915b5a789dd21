"""Same seed, same event log: a small world of CIs, tenants, two controllers, a user, faults, a restart and the GC."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Generator
from typing import Any

import simpy

from models.events import event_from_dict
from models.names import FINALIZER_COMPUTE_INSTANCE, KIND_COMPUTE_INSTANCE, KIND_TENANT
from models.objects import ComputeInstance, ComputeInstanceSpec, GenericObject, ObjectMeta, OwnerReference, Phase
from sim.kernel.choice import Dist, SeededChoiceSource
from sim.kernel.effects import CachedGet, Coroutine, Create, LogLine, ReconcileResult, Sleep, Update, UpdateStatus
from sim.kernel.errors import ApiError, Conflict, NotFound
from sim.kernel.kernel import Kernel
from sim.kernel.logfile import digest_of, encode_event
from sim.kube.apiserver import ApiServer
from sim.kube.client import ApiClient, ApiFaultRates, ApiFaults
from sim.kube.gc import GarbageCollector
from sim.kube.manager import ControllerManager, ManagerOptions, WatchSpec
from sim.kube.mappers import any_object, compute_instance_watches, the_object_itself
from sim.kube.runtime_events import ManagerStarted, OwnersGone, ReconcileAborted, ReconcileFinished

NS = "cloudkit-computeinstance"
NAMES = ("ci-1", "ci-2", "ci-3", "ci-4")


class ToyInstanceController:
    """A miniature CI controller: finalizer, an owned tenant, a phase written with retry-on-conflict, a 30 s poll."""

    def reconcile(self, namespace: str, name: str) -> Coroutine:
        try:
            ci = yield CachedGet(KIND_COMPUTE_INSTANCE, namespace, name)
        except NotFound:
            return None
        assert isinstance(ci, ComputeInstance)
        if ci.metadata.terminating:
            ci.metadata.finalizers = [f for f in ci.metadata.finalizers if f != FINALIZER_COMPUTE_INSTANCE]
            yield Update(ci)
            return None
        if FINALIZER_COMPUTE_INSTANCE not in ci.metadata.finalizers:
            ci.metadata.finalizers.append(FINALIZER_COMPUTE_INSTANCE)
            ci = yield Update(ci)
        tenant_name = f"tenant-{name}"
        try:
            tenant = yield CachedGet(KIND_TENANT, namespace, tenant_name)
        except NotFound:
            owner = OwnerReference(KIND_COMPUTE_INSTANCE, name, ci.metadata.uid)
            yield Create(GenericObject(KIND_TENANT, ObjectMeta(tenant_name, namespace, owner_references=[owner])))
            return None
        phase = Phase.RUNNING if tenant.status.get("phase") == "Ready" else Phase.STARTING
        for attempt in range(5):
            latest = yield CachedGet(KIND_COMPUTE_INSTANCE, namespace, name)
            latest.status.phase = phase
            try:
                yield UpdateStatus(latest)
                break
            except Conflict:
                yield LogLine("status conflict", (("attempt", str(attempt)),))
                yield Sleep(0.01)
        return ReconcileResult(requeue_after_s=30.0)


class ToyTenantController:
    """Marks every tenant Ready."""

    def reconcile(self, namespace: str, name: str) -> Coroutine:
        try:
            tenant = yield CachedGet(KIND_TENANT, namespace, name)
        except NotFound:
            return None
        if tenant.status.get("phase") != "Ready":
            tenant.status["phase"] = "Ready"
            yield UpdateStatus(tenant)
        return None


def user(kernel: Kernel, client: ApiClient, server: ApiServer) -> Generator[simpy.Event, Any, None]:
    """Creates the CIs at random moments, edits some specs, deletes two; ignores the errors it meets."""
    choices = kernel.choices
    for name in NAMES:
        yield kernel.env.timeout(choices.uniform("user", f"{name}/create_gap_s", 0.0, 5.0))
        with contextlib.suppress(ApiError):
            yield from client.create(ComputeInstance(ObjectMeta(name, NS), ComputeInstanceSpec("template-1")))
    for step in range(6):
        yield kernel.env.timeout(choices.uniform("user", f"{step}/gap_s", 0.0, 20.0))
        name = choices.pick("user", f"{step}/target", NAMES)
        stored = server.peek(KIND_COMPUTE_INSTANCE, NS, name)
        try:
            if step >= 4:
                yield from client.delete(KIND_COMPUTE_INSTANCE, NS, name)
            elif isinstance(stored, ComputeInstance):
                edited = stored.deepcopy()
                edited.spec.template_parameters = f'{{"step": {step}}}'
                yield from client.update(edited)
        except ApiError:
            pass


def run_world(seed: int) -> Kernel:
    kernel = Kernel(SeededChoiceSource(seed))
    server = ApiServer(kernel)
    faults = ApiFaults(rates=ApiFaultRates(conflict=0.1, server_error=0.03, timeout=0.02, timeout_applied=0.03),
                       latency=Dist.uniform(0.001, 0.02), timeout_s=2.0)
    GarbageCollector(kernel, server, faults)
    lag = Dist("exponential", 0.05, 2.0)
    operator = ControllerManager(kernel, server, faults, name="operator", reconciler_factory=ToyInstanceController,
                                 watches=compute_instance_watches(NS),
                                 options=ManagerOptions(informer_lag=lag, restart_delay_s=3.0))
    tenants = ControllerManager(kernel, server, faults, name="tenant-controller",
                                reconciler_factory=ToyTenantController,
                                watches=[WatchSpec(KIND_TENANT, any_object, the_object_itself)],
                                options=ManagerOptions(informer_lag=lag, max_concurrent_reconciles=2))
    operator.start()
    tenants.start()
    kernel.env.process(user(kernel, ApiClient(kernel, server, "user", faults), server))

    def chaos() -> Generator[simpy.Event, Any, None]:
        yield kernel.env.timeout(kernel.choices.uniform("chaos", "restart_at_s", 5.0, 60.0))
        operator.restart()
        operator.lag_spike(until_t=kernel.now + 20.0, extra_lag=Dist.uniform(1.0, 10.0))
        yield kernel.env.timeout(80.0)
        faults.heal()

    kernel.env.process(chaos())
    kernel.env.run(until=400.0)
    return kernel


def test_the_same_seed_gives_an_identical_event_log() -> None:
    first, second = run_world(11), run_world(11)
    assert len(first.log.events) > 200
    assert digest_of(first.log.events) == digest_of(second.log.events)
    assert first.choices.tape == second.choices.tape


def test_another_seed_gives_another_event_log() -> None:
    assert digest_of(run_world(11).log.events) != digest_of(run_world(12).log.events)


def test_the_test_world_exercises_restarts_errors_and_garbage_collection() -> None:
    kernel = run_world(11)
    assert len(kernel.log.of_type(ManagerStarted)) == 3
    assert any(e.error for e in kernel.log.of_type(ReconcileFinished))
    assert kernel.log.of_type(OwnersGone)
    assert len(kernel.log.of_type(ReconcileAborted)) <= 1


def test_every_substrate_event_survives_a_json_round_trip() -> None:
    events = run_world(11).log.events
    decoded = [event_from_dict(json.loads(encode_event(e))) for e in events]
    assert decoded == events

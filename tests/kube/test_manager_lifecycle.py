"""The controller manager: reconcile scheduling, results and errors, crashes and restarts, told with toy controllers."""

from __future__ import annotations

import itertools
from collections.abc import Generator
from typing import Any

import pytest
import simpy

from models.objects import GenericObject, ObjectMeta
from sim.kernel.choice import Dist
from sim.kernel.effects import CachedGet, Coroutine, LogLine, ReconcileResult, Sleep, UpdateStatus
from sim.kernel.errors import SimError
from sim.kernel.kernel import Kernel
from sim.kube.apiserver import ApiServer
from sim.kube.client import ApiFaultRates, ApiFaults
from sim.kube.manager import ControllerManager, ManagerOptions, Reconciler, WatchSpec
from sim.kube.mappers import any_object, the_object_itself
from sim.kube.runtime_events import (
    CacheListed,
    CacheRead,
    ControllerLogged,
    ManagerCrashed,
    ManagerStarted,
    ReconcileAborted,
    ReconcileFinished,
    ReconcileStarted,
)

NS = "ns"
KIND = "Widget"
WATCHES = [WatchSpec(KIND, any_object, the_object_itself)]
LAG = Dist.fixed(0.1)


def widget(name: str) -> GenericObject:
    return GenericObject(KIND, ObjectMeta(name, NS), spec={"size": 1})


def manager(kernel: Kernel, server: ApiServer, faults: ApiFaults, reconciler: Reconciler, *,
            lag: Dist = LAG, workers: int = 1) -> ControllerManager:
    options = ManagerOptions(max_concurrent_reconciles=workers, informer_lag=lag, restart_delay_s=2.0)
    return ControllerManager(kernel, server, faults, name="operator", reconciler_factory=lambda: reconciler,
                             watches=WATCHES, options=options)


def starts(kernel: Kernel, name: str = "a") -> list[float]:
    return [round(e.t, 6) for e in kernel.log.of_type(ReconcileStarted) if e.name == name]


def relabel(server: ApiServer, name: str, value: str) -> None:
    obj = server.peek(KIND, NS, name)
    assert obj is not None
    new = obj.deepcopy()
    new.metadata.labels["step"] = value
    server.update(new, actor="user")


def at(kernel: Kernel, t: float, action: Any) -> None:
    """Run `action()` at simulated time t."""
    def later() -> Generator[simpy.Event, Any, None]:
        yield kernel.env.timeout(t - kernel.now)
        action()
    kernel.env.process(later())


class Slow:
    """Reads its object, then works for `work_s`, then asks to be requeued after `requeue_after_s`."""

    def __init__(self, work_s: float = 0.0, requeue_after_s: float = 0.0) -> None:
        self.work_s, self.requeue_after_s = work_s, requeue_after_s

    def reconcile(self, namespace: str, name: str) -> Coroutine:
        yield CachedGet(KIND, namespace, name)
        if self.work_s:
            yield Sleep(self.work_s)
        return ReconcileResult(requeue_after_s=self.requeue_after_s)


def test_an_event_that_arrives_during_a_reconcile_of_the_same_key_causes_exactly_one_more_reconcile(
        kernel: Kernel, server: ApiServer, faults: ApiFaults) -> None:
    server.create(widget("a"), actor="user")
    manager(kernel, server, faults, Slow(work_s=5.0)).start()
    for t in (1.0, 2.0, 3.0):
        at(kernel, t, lambda t=t: relabel(server, "a", str(t)))
    kernel.env.run(until=100.0)
    assert starts(kernel) == [0.0, 5.0]


def test_a_requeue_after_timer_fires_even_though_a_watch_event_reconciled_the_key_earlier(
        kernel: Kernel, server: ApiServer, faults: ApiFaults) -> None:
    server.create(widget("a"), actor="user")
    manager(kernel, server, faults, Slow(requeue_after_s=30.0)).start()
    at(kernel, 10.0, lambda: relabel(server, "a", "x"))
    kernel.env.run(until=95.0)
    assert starts(kernel) == [0.0, 10.1, 30.0, 60.0, 90.0]


class FailsThenSucceeds:
    """Fails on the calls listed in `failing` (counting from 0), succeeds with a 100 s requeue otherwise."""

    def __init__(self, failing: set[int]) -> None:
        self.failing = failing
        self.calls = 0

    def reconcile(self, namespace: str, name: str) -> Coroutine:
        yield CachedGet(KIND, namespace, name)
        self.calls += 1
        if self.calls - 1 in self.failing:
            raise RuntimeError("tenant name not found")
        return ReconcileResult(requeue_after_s=100.0)


def test_error_back_off_doubles_per_failure_and_resets_on_success(
        kernel: Kernel, server: ApiServer, faults: ApiFaults) -> None:
    server.create(widget("a"), actor="user")
    manager(kernel, server, faults, FailsThenSucceeds({0, 1, 2, 3, 5, 6})).start()
    kernel.env.run(until=150.0)
    t = starts(kernel)
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(t)]
    assert gaps == [0.005, 0.01, 0.02, 0.04, 100.0, 0.005, 0.01]
    finished = kernel.log.of_type(ReconcileFinished)
    assert finished[0].error == "RuntimeError: tenant name not found"
    assert (finished[0].requeue_after_s, finished[4].requeue_after_s, finished[4].error) == (0.0, 100.0, "")


class Remembers:
    """Keeps a process-memory list of what it reconciled and the resourceVersion it read."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def reconcile(self, namespace: str, name: str) -> Coroutine:
        obj = yield CachedGet(KIND, namespace, name)
        assert isinstance(obj, GenericObject)
        self.seen.append(obj.metadata.resource_version)
        return None


def test_a_restart_drops_the_cache_and_process_memory_and_lists_again(
        kernel: Kernel, server: ApiServer, faults: ApiFaults) -> None:
    server.create(widget("a"), actor="user")
    instances: list[Remembers] = []

    def factory() -> Remembers:
        instances.append(Remembers())
        return instances[-1]

    m = ControllerManager(kernel, server, faults, reconciler_factory=factory, watches=WATCHES,
                          options=ManagerOptions(informer_lag=Dist.fixed(0.1), restart_delay_s=2.0))
    m.start()
    m.lag_spike(until_t=2.0, extra_lag=Dist.fixed(1000.0))
    at(kernel, 1.0, lambda: relabel(server, "a", "new"))  # rv 2, stuck behind the spike
    at(kernel, 5.0, m.restart)
    kernel.env.run(until=4.0)
    stale = m.informer.peek(KIND, NS, "a")
    assert stale is not None and stale.metadata.resource_version == 1
    kernel.env.run(until=20.0)

    fresh = m.informer.peek(KIND, NS, "a")
    assert fresh is not None and fresh.metadata.resource_version == 2
    assert [r.seen for r in instances] == [[1], [2]]
    assert [(e.t, e.incarnation) for e in kernel.log.of_type(ManagerStarted)] == [(0.0, 1), (7.0, 2)]
    assert [(e.t, e.incarnation) for e in kernel.log.of_type(ManagerCrashed)] == [(5.0, 1)]
    assert [(e.t, e.incarnation) for e in kernel.log.of_type(CacheListed)] == [(0.0, 1), (7.0, 2)]
    assert [e.resource_versions for e in kernel.log.of_type(CacheRead)] == [(1,), (2,)]


class WritesThenLogs:
    """Writes a status, then logs — so a crash during the write shows whether the rest ran."""

    def reconcile(self, namespace: str, name: str) -> Coroutine:
        obj = yield CachedGet(KIND, namespace, name)
        assert isinstance(obj, GenericObject)
        obj.status["phase"] = "Written"
        yield UpdateStatus(obj)
        yield LogLine("status written", (("phase", "Written"),))
        return ReconcileResult()


def written(server: ApiServer) -> Any:
    obj = server.peek(KIND, NS, "a")
    assert isinstance(obj, GenericObject)
    return obj.status.get("phase")


def test_a_crash_aborts_the_reconcile_at_its_next_effect_and_a_write_in_flight_is_still_applied(
        kernel: Kernel, server: ApiServer) -> None:
    server.create(widget("a"), actor="user")
    faults = ApiFaults(latency=Dist.fixed(1.0))
    m = manager(kernel, server, faults, WritesThenLogs())
    m.start()
    at(kernel, 0.5, m.crash)
    kernel.env.run(until=10.0)
    assert written(server) == "Written"
    (aborted,) = kernel.log.of_type(ReconcileAborted)
    assert (aborted.t, aborted.effect, aborted.incarnation) == (1.0, "UpdateStatus", 1)
    assert kernel.log.of_type(ControllerLogged) == []
    assert kernel.log.of_type(ReconcileFinished) == []
    assert not m.running


def test_a_reconcile_that_completes_logs_its_lines(kernel: Kernel, server: ApiServer, faults: ApiFaults) -> None:
    server.create(widget("a"), actor="user")
    manager(kernel, server, faults, WritesThenLogs()).start()
    kernel.env.run(until=0.05)
    (line,) = kernel.log.of_type(ControllerLogged)
    assert (line.name, line.message, line.fields) == ("a", "status written", (("phase", "Written"),))


def test_a_timed_out_but_applied_status_write_fails_the_reconcile_although_the_server_holds_it(
        kernel: Kernel, server: ApiServer) -> None:
    server.create(widget("a"), actor="user")
    faults = ApiFaults(rates=ApiFaultRates(timeout_applied=1.0), timeout_s=10.0)
    manager(kernel, server, faults, WritesThenLogs()).start()
    kernel.env.run(until=10.5)
    assert written(server) == "Written"
    first = kernel.log.of_type(ReconcileFinished)[0]
    assert first.error.startswith("ApiTimeout: update_status Widget a")
    assert kernel.log.of_type(ControllerLogged) == []


class Tagger:
    """Stamps its provider name on the object's status."""

    def __init__(self, provider: str) -> None:
        self.provider = provider

    def reconcile(self, namespace: str, name: str) -> Coroutine:
        obj = yield CachedGet(KIND, namespace, name)
        assert isinstance(obj, GenericObject)
        obj.status["provider"] = self.provider
        yield UpdateStatus(obj)
        return None

    def describe(self) -> dict[str, str]:
        return {"provider": self.provider}


class AapTagger(Tagger):
    """The same controller under another name."""


def test_a_restart_with_another_factory_switches_the_controller(
        kernel: Kernel, server: ApiServer, faults: ApiFaults) -> None:
    server.create(widget("a"), actor="user")
    m = manager(kernel, server, faults, Tagger("eda"))
    m.start()
    at(kernel, 5.0, lambda: m.restart(lambda: AapTagger("aap"), delay_s=1.0))
    kernel.env.run(until=20.0)
    obj = server.peek(KIND, NS, "a")
    assert isinstance(obj, GenericObject) and obj.status["provider"] == "aap"
    started = kernel.log.of_type(ManagerStarted)
    assert [(e.controller.rsplit(":", 1)[1], e.config["reconciler.provider"]) for e in started] == [
        ("Tagger", "eda"), ("AapTagger", "aap")]
    assert started[1].t == 6.0


def test_a_later_restart_supersedes_one_still_waiting(kernel: Kernel, server: ApiServer, faults: ApiFaults) -> None:
    m = manager(kernel, server, faults, Slow())
    m.start()
    at(kernel, 1.0, lambda: m.restart(delay_s=10.0))
    at(kernel, 2.0, lambda: m.restart(delay_s=1.0))
    kernel.env.run(until=30.0)
    assert [e.t for e in kernel.log.of_type(ManagerStarted)] == [0.0, 3.0]


class Tracks:
    """Records when each reconcile of each key runs, to check the worker pool."""

    def __init__(self) -> None:
        self.running: dict[str, int] = {}
        self.most_at_once = 0
        self.same_key_overlap = False

    def reconcile(self, namespace: str, name: str) -> Coroutine:
        if self.running.get(name):
            self.same_key_overlap = True
        self.running[name] = self.running.get(name, 0) + 1
        self.most_at_once = max(self.most_at_once, sum(self.running.values()))
        yield Sleep(1.0)
        self.running[name] -= 1
        return None


@pytest.mark.parametrize(("workers", "most"), [(1, 1), (3, 3)])
def test_max_concurrent_reconciles_bounds_the_workers_and_a_key_never_runs_twice_at_once(
        kernel: Kernel, server: ApiServer, faults: ApiFaults, workers: int, most: int) -> None:
    for name in ("a", "b", "c", "d"):
        server.create(widget(name), actor="user")
    tracks = Tracks()
    manager(kernel, server, faults, tracks, workers=workers).start()
    for t in (0.2, 0.4, 0.6):
        at(kernel, t, lambda t=t: relabel(server, "a", str(t)))
    kernel.env.run(until=10.0)
    assert tracks.most_at_once == most
    assert not tracks.same_key_overlap
    assert len(starts(kernel, "a")) == 2


@pytest.mark.parametrize("bad", [
    {"max_concurrent_reconciles": 0}, {"restart_delay_s": -1.0}, {"error_backoff_max_s": 0.001},
    {"queue_qps": 0.0}, {"queue_burst": 0},
])
def test_bad_manager_options_are_rejected_with_the_rule(bad: dict[str, Any]) -> None:
    with pytest.raises(SimError, match="rule: "):
        ManagerOptions(**bad)


def test_a_manager_needs_a_watch(kernel: Kernel, server: ApiServer, faults: ApiFaults) -> None:
    with pytest.raises(SimError, match="no watches"):
        ControllerManager(kernel, server, faults, reconciler_factory=Slow, watches=[])

"""The runtime performs each effect a controller yields: cached reads, API calls, HTTP, time, log lines, errors."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
import simpy

from models.objects import GenericObject, ObjectMeta
from sim.kernel.choice import Dist
from sim.kernel.effects import (
    CachedGet,
    CachedList,
    Coroutine,
    Create,
    Delete,
    HttpRequest,
    HttpResponse,
    LogLine,
    Now,
    ReconcileResult,
    Sleep,
    UncachedGet,
)
from sim.kernel.errors import AlreadyExists, NotFound, TransportError
from sim.kernel.http import HttpNetwork
from sim.kernel.kernel import Kernel
from sim.kube.apiserver import ApiServer
from sim.kube.client import ApiClient, ApiFaults
from sim.kube.events import ObjectRead
from sim.kube.informer import Informer
from sim.kube.runtime import ControllerRuntime, Outcome
from sim.kube.runtime_events import CacheRead, ControllerLogged

NS = "ns"


def vm(name: str, **labels: str) -> GenericObject:
    return GenericObject("VirtualMachine", ObjectMeta(name, NS, labels=dict(labels)))


def drive(kernel: Kernel, server: ApiServer, coroutine: Coroutine, network: HttpNetwork | None = None) -> Outcome:
    informer = Informer(kernel, server, "operator", Dist.fixed(0.0))
    informer.start()
    client = ApiClient(kernel, server, "operator", ApiFaults(latency=Dist.fixed(0.5)))
    runtime = ControllerRuntime(kernel, "operator", informer, client, network, lambda: True)
    process = kernel.env.process(runtime.run(coroutine, NS, "a"))
    kernel.env.run(until=process)
    outcome = process.value
    assert isinstance(outcome, Outcome)
    return outcome


def test_cached_reads_come_from_the_cache_at_no_cost_and_not_found_is_thrown_in(
        kernel: Kernel, server: ApiServer) -> None:
    server.create(vm("b", app="x"), actor="user")
    server.create(vm("c", app="y"), actor="user")
    got: list[Any] = []

    def controller() -> Coroutine:
        try:
            yield CachedGet("VirtualMachine", NS, "a")
        except NotFound as err:
            got.append(err.reason)
        objs = yield CachedList("VirtualMachine", NS, (("app", "x"),))
        got.append([o.metadata.name for o in objs])
        got.append((yield Now()))
        return ReconcileResult(requeue=True)

    outcome = drive(kernel, server, controller())
    assert outcome.result == ReconcileResult(requeue=True)
    assert got == ["NotFound", ["b"], 0.0]
    assert [(e.verb, e.name, e.resource_versions) for e in kernel.log.of_type(CacheRead)] == [
        ("get", "a", ()), ("list", "", (1,))]


def test_api_calls_take_latency_and_their_errors_are_thrown_in(kernel: Kernel, server: ApiServer) -> None:
    server.create(vm("b"), actor="user")
    got: list[Any] = []

    def controller() -> Coroutine:
        obj = yield UncachedGet("VirtualMachine", NS, "b")
        got.append((kernel.now, obj.metadata.name))
        try:
            yield Create(vm("b"))
        except AlreadyExists:
            got.append(("exists", kernel.now))
        yield Delete("VirtualMachine", NS, "b")
        yield Sleep(2.0)
        got.append(kernel.now)
        yield LogLine("done")
        return None

    outcome = drive(kernel, server, controller())
    assert outcome.result == ReconcileResult() and outcome.error is None
    assert got == [(0.5, "b"), ("exists", 1.0), 3.5]
    assert server.peek("VirtualMachine", NS, "b") is None
    assert [e.found for e in kernel.log.of_type(ObjectRead)] == [1]
    assert [e.message for e in kernel.log.of_type(ControllerLogged)] == ["done"]


def test_an_error_the_controller_does_not_catch_ends_the_reconcile_with_that_error(
        kernel: Kernel, server: ApiServer) -> None:
    def controller() -> Coroutine:
        yield UncachedGet("VirtualMachine", NS, "missing")
        return ReconcileResult(requeue_after_s=30.0)

    outcome = drive(kernel, server, controller())
    assert isinstance(outcome.error, NotFound) and outcome.result is None and not outcome.aborted


def test_http_requests_go_through_the_network_and_transport_errors_are_thrown_in(
        kernel: Kernel, server: ApiServer) -> None:
    network = HttpNetwork(kernel, latency=Dist.fixed(0.01))

    def eda(request: HttpRequest) -> Generator[simpy.Event, Any, HttpResponse]:
        yield kernel.env.timeout(0.1)
        return HttpResponse(202, {"got": request.body})

    network.register("http://eda", eda)
    got: list[Any] = []

    def controller() -> Coroutine:
        response = yield HttpRequest("POST", "http://eda/provision", body={"name": "a"})
        got.append((response.status, response.body))
        try:
            yield HttpRequest("POST", "http://nowhere/x")
        except TransportError as err:
            got.append(str(err))
        return None

    drive(kernel, server, controller(), network)
    assert got == [(202, {"got": {"name": "a"}}), 'Post "http://nowhere/x": dial tcp: connection refused']


def test_yielding_something_that_is_not_an_effect_is_a_simulator_bug(kernel: Kernel, server: ApiServer) -> None:
    def controller() -> Coroutine:
        yield "not an effect"  # type: ignore[misc]
        return None

    with pytest.raises(AssertionError, match="not an effect"):
        drive(kernel, server, controller())


def test_a_dead_manager_closes_the_coroutine_before_its_next_effect(kernel: Kernel, server: ApiServer) -> None:
    alive = [True]
    closed: list[bool] = []
    informer = Informer(kernel, server, "operator", Dist.fixed(0.0))
    informer.start()
    runtime = ControllerRuntime(kernel, "operator", informer, ApiClient(kernel, server, "operator", ApiFaults()),
                                None, lambda: alive[0])

    def controller() -> Coroutine:
        try:
            yield Sleep(1.0)
            yield LogLine("never")
        finally:
            closed.append(True)
        return None

    def crash() -> Generator[simpy.Event, Any, None]:
        yield kernel.env.timeout(0.5)
        alive[0] = False

    kernel.env.process(crash())
    process = kernel.env.process(runtime.run(controller(), NS, "a"))
    kernel.env.run(until=process)
    assert process.value == Outcome(aborted_at="Sleep")
    assert closed == [True]
    assert kernel.log.of_type(ControllerLogged) == []

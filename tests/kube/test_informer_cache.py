"""The informer cache: it lags the API server, keeps each object's changes in order, and is updated before handlers."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
import simpy

from models.objects import GenericObject, KubeObject, ObjectMeta
from sim.kernel.choice import Dist
from sim.kernel.errors import NotFound
from sim.kernel.kernel import Kernel
from sim.kube.apiserver import ApiServer
from sim.kube.informer import Informer, WatchEvent
from sim.kube.runtime_events import CacheListed, CacheUpdated

NS = "ns"
ONE_SECOND = Dist.fixed(1.0)


def vm(name: str, **labels: str) -> GenericObject:
    return GenericObject("VirtualMachine", ObjectMeta(name, NS, labels=dict(labels)), spec={"running": True})


def stored(server: ApiServer, name: str) -> KubeObject:
    obj = server.peek("VirtualMachine", NS, name)
    assert obj is not None
    return obj.deepcopy()


def started(kernel: Kernel, server: ApiServer, lag: Dist = ONE_SECOND) -> Informer:
    informer = Informer(kernel, server, "operator", lag)
    informer.start()
    return informer


def test_a_reader_sees_the_old_object_until_its_informer_delivers_the_new_one(
        kernel: Kernel, server: ApiServer) -> None:
    server.create(vm("a"), actor="user")
    informer = started(kernel, server, lag=Dist.fixed(2.0))
    new = stored(server, "a")
    assert isinstance(new, GenericObject)
    new.spec["running"] = False
    server.update(new, actor="user")

    kernel.env.run(until=1.9)
    cached = informer.get("VirtualMachine", NS, "a")
    assert isinstance(cached, GenericObject)
    assert cached.spec["running"] is True
    assert cached.metadata.resource_version == 1

    kernel.env.run(until=2.1)
    cached = informer.get("VirtualMachine", NS, "a")
    assert isinstance(cached, GenericObject)
    assert cached.spec["running"] is False
    (update,) = kernel.log.of_type(CacheUpdated)
    assert (update.t, update.name, update.deleted) == (2.0, "a", False)


def test_a_later_change_never_overtakes_an_earlier_change_of_the_same_kind(
        kernel: Kernel, server: ApiServer) -> None:
    server.create(vm("a"), actor="user")
    informer = started(kernel, server)
    informer.lag_spike(until_t=0.5, extra_lag=Dist.fixed(10.0))
    first = stored(server, "a")
    first.metadata.labels["step"] = "1"
    server.update(first, actor="user")  # at t=0, during the spike: arrives at t=11
    server.create(vm("b"), actor="user")  # another object, also during the spike

    def second_write() -> Generator[simpy.Event, Any, None]:
        yield kernel.env.timeout(1.0)
        second = stored(server, "a")
        second.metadata.labels["step"] = "2"
        server.update(second, actor="user")  # at t=1, after the spike: its own lag ends at t=2

    kernel.env.process(second_write())
    kernel.env.run(until=5.0)
    assert "step" not in informer.get("VirtualMachine", NS, "a").metadata.labels
    kernel.env.run(until=20.0)
    deliveries = [(e.t, e.name, e.resource_version) for e in kernel.log.of_type(CacheUpdated)]
    # one reflector per kind (client-go): the kind's changes reach the cache in resourceVersion order
    assert deliveries == [(11.0, "a", 2), (11.0, "b", 3), (11.0, "a", 4)]
    assert informer.get("VirtualMachine", NS, "a").metadata.labels == {"step": "2"}


def test_the_cache_holds_the_change_before_handlers_are_called(kernel: Kernel, server: ApiServer) -> None:
    informer = Informer(kernel, server, "operator", Dist.fixed(0.1))
    seen: list[tuple[str, bool, int, bool]] = []

    def handler(event: WatchEvent) -> None:
        in_cache = informer.peek("VirtualMachine", NS, event.obj.metadata.name) is not None
        seen.append((event.obj.metadata.name, event.initial, event.obj.metadata.resource_version, in_cache))

    informer.add_handler("VirtualMachine", handler)
    server.create(vm("old"), actor="user")
    informer.start()
    server.create(vm("new"), actor="user")
    server.delete("VirtualMachine", NS, "old", actor="user")
    kernel.env.run(until=1.0)
    assert seen == [("old", True, 1, True), ("new", False, 2, True), ("old", False, 3, False)]


def test_the_initial_list_fills_the_cache_and_records_it(kernel: Kernel, server: ApiServer) -> None:
    server.create(vm("a"), actor="user")
    server.create(vm("b"), actor="user")
    informer = started(kernel, server)
    assert len(informer) == 2
    (listed,) = kernel.log.of_type(CacheListed)
    assert (listed.objects, listed.resource_version) == (2, 2)


def test_a_stopped_informer_delivers_nothing_more(kernel: Kernel, server: ApiServer) -> None:
    informer = started(kernel, server)
    server.create(vm("a"), actor="user")
    informer.stop()
    kernel.env.run(until=5.0)
    assert kernel.log.of_type(CacheUpdated) == []
    with pytest.raises(NotFound):
        informer.get("VirtualMachine", NS, "a")


def test_cache_reads_are_private_copies_and_lists_are_sorted_and_filtered(kernel: Kernel, server: ApiServer) -> None:
    for name in ("c", "a", "b"):
        server.create(vm(name, app="x" if name != "b" else "y"), actor="user")
    informer = started(kernel, server)

    copy = informer.get("VirtualMachine", NS, "a")
    copy.metadata.labels["app"] = "mutated"
    assert informer.get("VirtualMachine", NS, "a").metadata.labels["app"] == "x"
    assert [o.metadata.name for o in informer.list("VirtualMachine", NS)] == ["a", "b", "c"]
    assert [o.metadata.name for o in informer.list("VirtualMachine", "", {"app": "x"})] == ["a", "c"]
    assert informer.list("VirtualMachine", "elsewhere") == []
    with pytest.raises(NotFound):
        informer.get("VirtualMachine", NS, "zzz")

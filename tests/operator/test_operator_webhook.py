"""§10.1 webhook client: the last-sent map, its window, purges, what is sent and what is recorded."""

from __future__ import annotations

import pytest
from harness import EDA_CREATE, FakeWorld, drive, make_ci, ok, raises_message

from sim.kernel.effects import HttpResponse
from sim.kernel.errors import TransportError
from sim.operator.errors import GoError
from sim.operator.webhook import WebhookClient


def trigger(world: FakeWorld, client: WebhookClient, name: str = "vm-1", url: str = EDA_CREATE) -> float | None:
    outcome = drive(world, client.trigger_webhook(url, make_ci(name)))
    if outcome.error is not None:
        raise outcome.error
    value: float = outcome.value
    return value


def test_s10_1_rate_window_example_returns_elapsed_then_sends_at_16s() -> None:
    world = FakeWorld(now=100.0)
    world.route("POST", EDA_CREATE, ok())
    client = WebhookClient(minimum_request_interval_s=10.0)
    assert trigger(world, client) == 0.0
    assert len(world.http_calls) == 1
    for elapsed in (1.0, 2.0, 4.0, 8.0):
        world.now = 100.0 + elapsed
        assert trigger(world, client) == elapsed
    assert len(world.http_calls) == 1
    world.now = 116.0
    assert trigger(world, client) == 0.0
    assert len(world.http_calls) == 2
    assert client.sent_at == {f"{EDA_CREATE}:vm-1": 116.0}


def test_s10_1_elapsed_equal_to_interval_sends() -> None:
    world = FakeWorld(now=0.0)
    world.route("POST", EDA_CREATE, ok())
    client = WebhookClient(minimum_request_interval_s=10.0)
    trigger(world, client)
    world.now = 10.0
    assert trigger(world, client) == 0.0
    assert len(world.http_calls) == 2


def test_s10_1_second_call_at_the_same_instant_sends_because_elapsed_is_zero() -> None:
    world = FakeWorld(now=5.0)
    world.route("POST", EDA_CREATE, ok())
    client = WebhookClient(minimum_request_interval_s=10.0)
    trigger(world, client)
    assert trigger(world, client) == 0.0
    assert len(world.http_calls) == 2


def test_s10_1_interval_zero_every_call_sends() -> None:
    world = FakeWorld(now=0.0)
    world.route("POST", EDA_CREATE, ok())
    client = WebhookClient()
    for t in (0.0, 0.0, 0.5):
        world.now = t
        assert trigger(world, client) == 0.0
    assert len(world.http_calls) == 3


def test_s10_1_key_is_url_and_name_not_namespace() -> None:
    client = WebhookClient()
    a, b = make_ci("vm-1", namespace="a"), make_ci("vm-1", namespace="b")
    assert client.key(EDA_CREATE, a) == client.key(EDA_CREATE, b) == f"{EDA_CREATE}:vm-1"


def test_s10_1_other_name_or_url_is_not_rate_limited() -> None:
    world = FakeWorld(now=0.0)
    world.route("POST", EDA_CREATE, ok())
    world.route("POST", "http://eda.example/other", ok())
    client = WebhookClient(minimum_request_interval_s=10.0)
    trigger(world, client)
    world.now = 1.0
    assert trigger(world, client, name="vm-2") == 0.0
    assert trigger(world, client, url="http://eda.example/other") == 0.0


@pytest.mark.parametrize("answer", [HttpResponse(500, "boom"), HttpResponse(302), TransportError("dial tcp")])
def test_s10_1_failure_leaves_map_unchanged_and_errors(answer: HttpResponse | TransportError) -> None:
    world = FakeWorld(now=0.0)
    world.route("POST", EDA_CREATE, answer)
    client = WebhookClient(minimum_request_interval_s=10.0)
    with pytest.raises(GoError):
        trigger(world, client)
    assert client.sent_at == {}


def test_s10_1_failure_messages() -> None:
    world = FakeWorld(now=0.0)
    world.route("POST", EDA_CREATE, HttpResponse(503), TransportError("dial tcp: refused"))
    client = WebhookClient()
    with raises_message(GoError, "received non-success status code: 503"):
        trigger(world, client)
    with raises_message(GoError, "failed to send request: dial tcp: refused"):
        trigger(world, client)


def test_s10_1_posts_the_whole_cr_as_json_with_timeout() -> None:
    world = FakeWorld(now=0.0)
    world.route("POST", EDA_CREATE, ok())
    ci = make_ci()
    outcome = drive(world, WebhookClient(timeout_s=10.0).trigger_webhook(EDA_CREATE, ci))
    (request,) = outcome.http
    assert (request.method, request.url, request.timeout_s) == ("POST", EDA_CREATE, 10.0)
    assert request.body == ci.to_dict()
    assert ("Content-Type", "application/json") in request.headers


def test_s10_1_expired_entries_are_purged_on_check_and_add() -> None:
    world = FakeWorld(now=0.0)
    world.route("POST", EDA_CREATE, ok())
    client = WebhookClient(minimum_request_interval_s=10.0)
    trigger(world, client, name="old")
    world.now = 10.0
    trigger(world, client, name="mid")
    assert set(client.sent_at) == {f"{EDA_CREATE}:old", f"{EDA_CREATE}:mid"}  # elapsed 10 is not > 10
    world.now = 10.5
    client.check_for_existing_request(EDA_CREATE, make_ci("x"), world.now)
    assert set(client.sent_at) == {f"{EDA_CREATE}:mid"}
    client.add_inflight_request(EDA_CREATE, make_ci("new"), 21.0)
    assert set(client.sent_at) == {f"{EDA_CREATE}:new"}


def test_s10_1_reset_cache_clears_the_map() -> None:
    client = WebhookClient(minimum_request_interval_s=10.0)
    client.add_inflight_request(EDA_CREATE, make_ci(), 0.0)
    client.reset_cache()
    assert client.sent_at == {}

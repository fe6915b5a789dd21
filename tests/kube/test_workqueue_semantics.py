"""The work queue behaves like client-go's: dedup, re-run after processing, timers, back-off and the token bucket."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
import simpy

from sim.kernel.kernel import Kernel
from sim.kube.runtime_events import KeyEnqueued
from sim.kube.workqueue import ItemExponentialBackoff, QueueKey, TokenBucket, WorkQueue

A: QueueKey = ("ns", "a")
B: QueueKey = ("ns", "b")


def take(kernel: Kernel, queue: WorkQueue) -> QueueKey | None:
    """Get the next key now (the queue must hold one, or be shut down)."""
    event = queue.get()
    assert event.triggered, "the queue had nothing to give"
    kernel.env.run(until=event)
    value: QueueKey | None = event.value
    return value


def test_adding_a_queued_key_again_does_not_queue_it_twice(kernel: Kernel) -> None:
    queue = WorkQueue(kernel, "operator")
    queue.add(A)
    queue.add(B)
    queue.add(A)
    assert queue.queued() == [A, B]
    assert [e.reason for e in kernel.log.of_type(KeyEnqueued)] == ["watch", "watch", "watch"]


def test_a_key_added_while_it_is_processed_is_queued_again_exactly_once_when_done(kernel: Kernel) -> None:
    queue = WorkQueue(kernel, "operator")
    queue.add(A)
    assert take(kernel, queue) == A
    queue.add(A)
    queue.add(A)
    assert queue.queued() == [] and queue.processing() == [A]
    queue.done(A)
    assert queue.queued() == [A]
    assert take(kernel, queue) == A
    queue.done(A)
    assert queue.queued() == []


def test_a_requeue_after_timer_fires_even_after_an_immediate_re_add(kernel: Kernel) -> None:
    queue = WorkQueue(kernel, "operator")
    queue.add_after(A, 30.0)
    queue.add(A)  # a watch event: reconciled at once ...
    assert take(kernel, queue) == A
    queue.done(A)
    kernel.env.run(until=29.9)
    assert queue.queued() == []
    kernel.env.run(until=30.1)
    assert queue.queued() == [A]  # ... and the timer still fires later


def test_of_two_timers_for_one_key_only_the_earliest_is_kept(kernel: Kernel) -> None:
    queue = WorkQueue(kernel, "operator")
    queue.add_after(A, 30.0)
    queue.add_after(A, 5.0)
    queue.add_after(A, 40.0)
    got: list[float] = []

    def worker() -> Generator[simpy.Event, Any, None]:
        while True:
            key = yield queue.get()
            got.append(kernel.now)
            queue.done(key)

    kernel.env.process(worker())
    kernel.env.run(until=100.0)
    assert got == [5.0]


def test_error_back_off_doubles_per_failure_and_resets_when_forgotten(kernel: Kernel) -> None:
    queue = WorkQueue(kernel, "operator")
    delays = []
    for _ in range(4):
        queue.add_rate_limited(A)
        delays.append(kernel.log.of_type(KeyEnqueued)[-1].delay_s)
    assert delays == [0.005, 0.01, 0.02, 0.04]
    assert queue.num_requeues(A) == 4
    queue.forget(A)
    assert queue.num_requeues(A) == 0
    queue.add_rate_limited(A)
    assert kernel.log.of_type(KeyEnqueued)[-1].delay_s == 0.005


def test_the_per_item_back_off_is_capped_at_1000_seconds() -> None:
    backoff = ItemExponentialBackoff()
    delays = [backoff.when(A) for _ in range(2000)]
    assert delays[17] == pytest.approx(655.36)
    assert delays[18] == 1000.0 and delays[-1] == 1000.0
    assert backoff.when(B) == 0.005


def test_the_token_bucket_allows_a_burst_of_100_then_10_per_second() -> None:
    bucket = TokenBucket(qps=10.0, burst=100)
    assert [bucket.reserve(0.0) for _ in range(100)] == [0.0] * 100
    assert bucket.reserve(0.0) == pytest.approx(0.1)
    assert bucket.reserve(0.0) == pytest.approx(0.2)
    assert bucket.reserve(0.05) == pytest.approx(0.25)  # half a token came back; 2.5 are owed now
    assert bucket.reserve(1.0) == 0.0  # 9.5 more came back
    assert bucket.reserve(100.0) == 0.0  # refilled, but never beyond the burst


def test_rate_limited_adds_take_the_larger_of_back_off_and_bucket_delay(kernel: Kernel) -> None:
    queue = WorkQueue(kernel, "operator", qps=1.0, burst=1)
    queue.add_rate_limited(A)  # back-off 5 ms, bucket 0
    queue.add_rate_limited(B)  # back-off 5 ms, bucket 1 s
    assert [e.delay_s for e in kernel.log.of_type(KeyEnqueued)] == [0.005, 1.0]


def test_get_blocks_until_a_key_is_added(kernel: Kernel) -> None:
    queue = WorkQueue(kernel, "operator")
    got: list[tuple[float, QueueKey]] = []

    def worker() -> Generator[simpy.Event, Any, None]:
        key = yield queue.get()
        got.append((kernel.now, key))

    def producer() -> Generator[simpy.Event, Any, None]:
        yield kernel.env.timeout(3.0)
        queue.add(B)

    kernel.env.process(worker())
    kernel.env.process(producer())
    kernel.env.run(until=10.0)
    assert got == [(3.0, B)]


def test_shutting_down_drops_every_key_and_releases_waiting_workers(kernel: Kernel) -> None:
    queue = WorkQueue(kernel, "operator")
    waiting = queue.get()
    queue2 = WorkQueue(kernel, "operator")
    queue2.add(A)
    queue2.add_after(B, 1.0)
    queue.shut_down()
    queue2.shut_down()
    kernel.env.run(until=5.0)
    assert waiting.triggered and waiting.value is None
    assert queue2.queued() == [] and queue2.waiting() == []
    queue2.add(A)
    assert queue2.queued() == []
    assert take(kernel, queue2) is None


def test_a_tenant_change_mapped_to_many_owners_queues_them_as_one_add_each(kernel: Kernel) -> None:
    """add_all (a watch delivery mapped to many keys) records and queues exactly what one add per key would."""
    keys = [A, B, ("ns", "c")]
    one_by_one, batched = Kernel(kernel.choices), Kernel(kernel.choices)
    for k, add in ((one_by_one, lambda q: [q.add(key) for key in keys]), (batched, lambda q: q.add_all(keys))):
        queue = WorkQueue(k, "operator")
        queue.add(B)
        assert take(k, queue) == B  # B is being processed: it is only marked dirty
        queue.add(A)  # A is already queued
        add(queue)
        queue.done(B)
        k.queues = (queue.queued(), queue.processing())  # type: ignore[attr-defined]
    assert one_by_one.queues == batched.queues == ([A, ("ns", "c"), B], [])  # type: ignore[attr-defined]
    assert ([(e.seq, e.t, e.actor, e.name, e.reason, e.delay_s) for e in one_by_one.log.of_type(KeyEnqueued)]
            == [(e.seq, e.t, e.actor, e.name, e.reason, e.delay_s) for e in batched.log.of_type(KeyEnqueued)])


def test_a_manager_shut_down_while_its_owners_are_enqueued_stops_enqueueing(kernel: Kernel) -> None:
    queue = WorkQueue(kernel, "operator")
    kernel.log.subscribe(lambda e: queue.shut_down() if e.name == "b" else None, KeyEnqueued)
    queue.add_all([A, B, ("ns", "c")])
    assert [e.name for e in kernel.log.of_type(KeyEnqueued)] == ["a", "b"]  # c is never asked for
    assert ("ns", "c") not in queue.queued()

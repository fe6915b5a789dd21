"""The hardened controller's launch bookkeeping, without a world: launch marks, `drive`, and F5's requeue delay."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from models.jobs import JobType
from models.names import FINALIZER_COMPUTE_INSTANCE_AAP
from models.objects import ComputeInstance, ComputeInstanceSpec, ComputeInstanceStatus, ObjectMeta
from sim.kernel.effects import Effect, HttpRequest, HttpResponse, LogLine, Now, ReconcileResult
from sim.kernel.errors import TransportError
from sim.operator.config import OperatorConfig
from sim.operator.eda import EDAProvider
from sim.operator.errors import GoError
from sim.operator.hardened import HardenedComputeInstanceReconciler
from sim.operator.hardened_launches import LaunchMark, Settled, drive
from sim.operator.reconciler import ComputeInstanceReconciler

NOW = 101.0


def instance() -> ComputeInstance:
    meta = ObjectMeta("vm-1", "ns", finalizers=[FINALIZER_COMPUTE_INSTANCE_AAP])
    return ComputeInstance(meta, ComputeInstanceSpec("t"), ComputeInstanceStatus(desired_config_version="abc"))


def run(co: Generator[Effect, Any, Any], answers: dict[type, Any] | None = None) -> Any:
    """Drive a coroutine: Now answers NOW, LogLine None, other effects from `answers` (an exception is thrown in)."""
    answers = answers or {}
    value: Any = None
    thrown: BaseException | None = None
    while True:
        try:
            effect = co.throw(thrown) if thrown is not None else co.send(value)
        except StopIteration as stop:
            return stop.value
        value, thrown = None, None
        if isinstance(effect, Now):
            value = NOW
        elif not isinstance(effect, LogLine):
            answer = answers[type(effect)]
            thrown, value = (answer, None) if isinstance(answer, BaseException) else (None, answer)


def post_once(url: str) -> Generator[Effect, Any, str]:
    """A provider call that sends one POST and returns what it answered."""
    response: HttpResponse = yield HttpRequest("POST", url)
    if not response.ok:
        raise GoError(f"status {response.status}")
    return "sent"


def test_a_launch_mark_survives_the_round_trip_through_a_status_condition() -> None:
    ci = instance()
    LaunchMark.intended(ci, JobType.PROVISION, 42.0, "eda").store(ci.status)
    mark = LaunchMark.read(ci.status, JobType.PROVISION)
    assert mark == LaunchMark(JobType.PROVISION, True, "abc", True, 42.0, "eda")
    assert mark is not None
    mark.settle(ci.status, Settled.RECORDED)
    settled = LaunchMark.read(ci.status, JobType.PROVISION)
    assert settled is not None and not settled.in_flight and settled.reason == Settled.RECORDED
    assert LaunchMark.read(ci.status, JobType.DEPROVISION) is None


def test_drive_writes_ahead_only_when_a_launch_request_goes_out() -> None:
    written: list[str] = []

    def before() -> Generator[Effect, Any, None]:
        written.append("mark")
        yield from ()

    answer = run(drive(post_once("http://aap/v2/job_templates/x/launch/"), before), {HttpRequest: HttpResponse(201)})
    assert (answer.value, answer.launched, answer.unanswered, written) == ("sent", True, False, ["mark"])
    cancel = run(drive(post_once("http://aap/v2/jobs/9/cancel/"), before), {HttpRequest: HttpResponse(202)})
    assert (cancel.launched, written) == (False, ["mark"])


def test_drive_tells_a_timed_out_launch_from_a_refused_one() -> None:
    timed_out = TransportError('POST "http://eda/create": context deadline exceeded (Client.Timeout exceeded)')
    refused = TransportError('Post "http://eda/create": dial tcp: connection refused')

    def sending(url: str) -> Generator[Effect, Any, str]:
        try:
            return (yield from post_once(url))
        except TransportError as exc:
            raise GoError(f"failed to send request: {exc}") from exc

    lost = run(drive(sending("http://eda/create")), {HttpRequest: timed_out})
    assert lost.launched and lost.unanswered and lost.error is not None
    never_sent = run(drive(sending("http://eda/create")), {HttpRequest: refused})
    assert never_sent.launched and not never_sent.unanswered


def rate_limited_requeue(cls: type[ComputeInstanceReconciler]) -> float:
    """The requeue delay after a create webhook rate-limited 1 s into a 10-s window (§10.1's example)."""
    reconciler = cls(OperatorConfig(provider="eda", minimum_request_interval_s=10.0))
    provider = reconciler.provider
    assert isinstance(provider, EDAProvider)
    ci = instance()
    provider.webhook_client.sent_at[provider.webhook_client.key(provider.create_url, ci)] = NOW - 1.0
    result = run(reconciler.trigger_provision(ci, provider))
    assert isinstance(result, ReconcileResult) and not ci.status.jobs
    return result.requeue_after_s


def test_f5_a_rate_limited_webhook_requeues_after_the_time_left_not_the_time_elapsed() -> None:
    assert rate_limited_requeue(ComputeInstanceReconciler) == 1.0  # the reference: the time elapsed
    assert rate_limited_requeue(HardenedComputeInstanceReconciler) == 9.0  # hardened: the time left

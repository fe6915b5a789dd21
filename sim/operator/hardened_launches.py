"""Launch bookkeeping of the hardened controller: write-ahead launch marks, a job's signs, and provider answers.

A launch (an AAP template launch or an EDA webhook POST) is recorded by the reference only in the status
write that follows it (§12.1), so a crash or a lost answer in between forgets it. The hardened controller
first persists a *launch mark* — a status condition per job type saying "a launch carrying config X is in
flight" — and settles it in the same status write that records the job. A mark still in flight after that
means the launch's outcome is unknown; the controller then judges by the job's effects on the CR (§1: the
create playbook adds the `computeinstance-aap` finalizer first and writes the reconciled-config-version
annotation last; the delete playbook removes that finalizer last) instead of launching again at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar, cast

from models.jobs import JobType
from models.names import ANNOTATION_RECONCILED_CONFIG_VERSION, FINALIZER_COMPUTE_INSTANCE_AAP
from models.objects import ComputeInstance, ComputeInstanceStatus, Condition
from sim.kernel.effects import Effect, HttpRequest
from sim.kernel.errors import ApiError, TransportError
from sim.operator.aap_client import is_not_found
from sim.operator.conditions import FALSE, TRUE, remove_condition
from sim.operator.errors import GoError
from sim.operator.types import Co, DeprovisionResult, ProvisioningProvider, ProvisionResult, ProvisionStatus

__all__ = ["REASON_IN_FLIGHT", "REQUEST_TIMEOUT_S", "Answer", "Answered", "LaunchMark", "SeenEnds", "Settled",
           "aap_finalizer", "applied", "ask", "drive"]

T = TypeVar("T")

CONDITION_TYPES = {JobType.PROVISION: "ProvisionLaunch", JobType.DEPROVISION: "DeprovisionLaunch"}
REASON_IN_FLIGHT = "LaunchInFlight"

# F7: the deadline of every AAP request of the hardened controller — reads, launches and cancels — instead of the
# client's 30 s (§11.1). The only worker (§1) waits out every request that gets no answer: at 30 s, two reads (other
# instances' polls, swarm seeds 7004, 7720), or a status write that times out and then a launch (seed 28646), outlast a
# window in which AAP purges a job that has just ended. AAP answers any request in well under a second.
REQUEST_TIMEOUT_S = 10.0


class Settled(StrEnum):
    """How an in-flight launch mark was settled (the condition's reason once its status is False)."""

    RECORDED = "LaunchRecorded"  # the status write that recorded the job followed the launch
    FAILED = "LaunchFailed"  # the launch was answered with an error: nothing runs (a failed trigger is recorded)
    ADOPTED = "OrphanAdopted"  # an unrecorded launch showed by its effects and was recorded (EDA ids)
    UNRECORDABLE = "OrphanUnrecordable"  # an unrecorded AAP job showed by its effects; AAP gave no id to record
    ABANDONED = "OrphanAbandoned"  # no sign of the unrecorded launch within the bound: launching again


def aap_finalizer(instance: ComputeInstance) -> bool:
    """The create playbook's first task added `computeinstance-aap`, and no delete playbook has removed it yet."""
    return FINALIZER_COMPUTE_INSTANCE_AAP in instance.metadata.finalizers


def applied(instance: ComputeInstance, config_version: str) -> bool:
    """The create playbook's last task annotated this config version: a create job for it ran to its end."""
    annotation = instance.metadata.annotations.get(ANNOTATION_RECONCILED_CONFIG_VERSION)
    return bool(config_version) and annotation == config_version


@dataclass(frozen=True, slots=True)
class LaunchMark:
    """The latest launch of one job type: in flight (outcome unknown) or settled, what it carried, and when."""

    job_type: JobType
    in_flight: bool
    config_version: str  # the desiredConfigVersion the launch's payload carried
    aap_finalizer_before: bool  # `computeinstance-aap` was already on the CR when the launch was intended
    since_s: float  # when the launch was intended (the condition's transition time)
    provider: str  # which provider sent it: an EDA launch is recorded with an invented id, an AAP one by AAP's
    reason: str = REASON_IN_FLIGHT  # in flight, or how it was settled (a `Settled` value)

    @classmethod
    def intended(cls, instance: ComputeInstance, job_type: JobType, now: float, provider: str) -> LaunchMark:
        return cls(job_type, True, instance.status.desired_config_version, aap_finalizer(instance), now, provider)

    @classmethod
    def read(cls, status: ComputeInstanceStatus, job_type: JobType) -> LaunchMark | None:
        condition = status.condition(CONDITION_TYPES[job_type])
        if condition is None:
            return None
        fields = dict(part.partition("=")[::2] for part in condition.message.split())
        return cls(job_type, condition.status == TRUE, fields.get("config", ""),
                   fields.get("aap-finalizer") == "present", condition.last_transition_time, fields.get("provider", ""),
                   condition.reason)

    def store(self, status: ComputeInstanceStatus, reason: str = REASON_IN_FLIGHT) -> None:
        """Replace the job type's condition with this mark (a new condition, so its time is this mark's)."""
        message = (f"provider={self.provider} config={self.config_version} "
                   f"aap-finalizer={'present' if self.aap_finalizer_before else 'absent'}")
        remove_condition(status, CONDITION_TYPES[self.job_type])
        status.conditions.append(Condition(CONDITION_TYPES[self.job_type], TRUE if self.in_flight else FALSE,
                                           reason, message, self.since_s))

    def settle(self, status: ComputeInstanceStatus, how: Settled) -> None:
        LaunchMark(self.job_type, False, self.config_version, self.aap_finalizer_before, self.since_s,
                   self.provider).store(status, how.value)

    @property
    def done_unrecorded(self) -> bool:
        """Its job was seen to finish its work by its effects, but AAP gave no id to record it by."""
        return not self.in_flight and self.reason == Settled.UNRECORDABLE

    @property
    def abandoned(self) -> bool:
        """Given up on as unseen; the launch sent in its place would have replaced this mark with its own."""
        return not self.in_flight and self.reason == Settled.ABANDONED

    @property
    def recorded_by_us(self) -> bool:
        """An EDA launch has no id but the one the operator invents: it can be recorded once its job shows."""
        return self.provider == "eda"


@dataclass
class Answer(Generic[T]):
    """What one provider call answered, and whether it sent a launch request whose answer never came."""

    value: T | None = None
    error: GoError | None = None
    launched: bool = False  # a launch request (AAP launch POST, EDA webhook POST) went out
    unanswered: bool = False  # ... and timed out: AAP or EDA may have acted on it all the same
    timed_out: bool = False  # some request of the call (a launch or a read) got no answer in time
    reads: dict[str, Any] = field(default_factory=dict)  # URL -> what each GET the call sent answered (the last)

    def replay(self) -> Co[T]:
        """Give the same answer again (as a coroutine, like the provider call it stands for)."""
        if self.error is not None:
            raise self.error
        assert self.value is not None, "an answer without an error carries a value"
        return self.value
        yield  # pragma: no cover - makes this a generator; never reached


def is_launch(effect: Effect) -> bool:
    """A POST that starts a job: an AAP template launch or an EDA webhook (a cancel POST starts nothing)."""
    return isinstance(effect, HttpRequest) and effect.method == "POST" and not effect.url.rstrip("/").endswith(
        "/cancel")


def sent_unanswered(error: BaseException) -> bool:
    """The request reached the server but the answer did not come back in time (a refused connection sent nothing)."""
    return isinstance(error, TransportError) and "deadline exceeded" in str(error)


def bounded(effect: Effect) -> Effect:
    """F7: every request to AAP's REST API — a read, launch or cancel — gets the hardened deadline instead of the AAP
    client's 30 s. A launch whose answer is lost is looked up at once, so waiting longer for its answer only holds the
    only worker. (An EDA webhook is not bounded here: it keeps the configured `webhook_timeout_s`, see `drive`.)"""
    if isinstance(effect, HttpRequest) and effect.timeout_s > REQUEST_TIMEOUT_S:
        return dataclasses.replace(effect, timeout_s=REQUEST_TIMEOUT_S)
    return effect


def drive(call: Co[T], before_launch: Callable[[], Co[None]] | None = None,
          answer: Answer[T] | None = None, after_read: Callable[[], Co[None]] | None = None, *,
          webhooks: bool = False) -> Co[Answer[T]]:
    """Run a provider call to its answer (into `answer`, if given); run `before_launch` right before its launch
    request goes out, and `after_read` after each GET it answered. What every GET answered is kept, whatever the
    call's outcome: the AAP provider's readiness check reads the provision job's end (§11.4) and drops it when
    the launch after it fails. Its requests get the hardened deadline (`bounded`): the only worker waits them out —
    unless they are EDA webhooks (`webhooks`, an EDA provider's trigger), which keep the configured timeout: the
    deadline is F7's fix of AAP's 30 s, not a change of the webhook client's setting."""
    answer = Answer() if answer is None else answer
    value: Any = None
    thrown: BaseException | None = None
    while True:
        try:
            effect = call.throw(thrown) if thrown is not None else call.send(value)
        except StopIteration as stop:
            answer.value = cast(T, stop.value)
            return answer
        except GoError as exc:
            answer.error = exc
            return answer
        launch = is_launch(effect)
        if launch and before_launch is not None and not answer.launched:
            yield from before_launch()
        answer.launched = answer.launched or launch
        value, thrown = None, None
        try:
            value = yield (effect if webhooks else bounded(effect))
        except (ApiError, TransportError) as exc:  # what the runtime throws into a coroutine
            thrown = exc
            answer.unanswered = answer.unanswered or (launch and sent_unanswered(exc))
            answer.timed_out = answer.timed_out or sent_unanswered(exc)
            continue
        if isinstance(effect, HttpRequest) and effect.method == "GET":
            answer.reads[effect.url] = value
            if after_read is not None:
                yield from after_read()


def ask(call: Callable[[], Co[T]]) -> Co[Answer[T]]:
    """A read-only call (a provider's status poll, a read of AAP's job API: `AAPJobs.read`), asked once more at once
    when a request of it got no answer in time: the job may have ended while the question hung, and AAP purges ended
    jobs, possibly before the next poll interval is over (F7, F14: never leave unasked what AAP can still answer)."""
    answer = yield from drive(call())
    if answer.error is None or not answer.timed_out or answer.launched:
        return answer
    return (yield from drive(call()))


class SeenEnds:
    """F7: the end of a job a status poll showed, kept in process memory until a status write has recorded it.

    If that write fails (a conflict storm, an API server timing out), AAP may purge the job before the next poll,
    which then answers 404: the end this process saw answers it instead of an inference from the job's effects.
    """

    def __init__(self) -> None:
        self.ends: dict[tuple[str, str, str], ProvisionStatus] = {}  # (namespace, name, job id) -> the end seen

    def through(self, instance: ComputeInstance, job_id: str,
                answer: Answer[ProvisionStatus]) -> Answer[ProvisionStatus]:
        """The poll's answer, remembered if it shows an end; a 404 for a job whose end was seen gives that end."""
        key = (instance.metadata.namespace, instance.metadata.name, job_id)
        if answer.value is not None and answer.value.state.is_terminal:
            self.ends[key] = answer.value
            return answer
        seen = self.ends.get(key)
        if seen is not None and is_not_found(answer.error):
            return Answer(seen)
        return answer

    def forget(self, namespace: str, name: str) -> None:
        """A status write of the instance went through: what it saw is recorded (or superseded)."""
        for key in [key for key in self.ends if key[:2] == (namespace, name)]:
            del self.ends[key]


class Answered:
    """The provider, except that the one call already made replays its answer to the reference's handling of it."""

    def __init__(self, provider: ProvisioningProvider, answer: Answer[Any]) -> None:
        self.provider, self.answer = provider, answer

    def name(self) -> str:
        return self.provider.name()

    def trigger_provision(self, resource: ComputeInstance) -> Co[ProvisionResult]:
        return cast(ProvisionResult, (yield from self.answer.replay()))

    def get_provision_status(self, resource: ComputeInstance, job_id: str) -> Co[ProvisionStatus]:
        return cast(ProvisionStatus, (yield from self.answer.replay()))

    def trigger_deprovision(self, resource: ComputeInstance) -> Co[DeprovisionResult]:
        return cast(DeprovisionResult, (yield from self.answer.replay()))

    def get_deprovision_status(self, resource: ComputeInstance, job_id: str) -> Co[ProvisionStatus]:
        return cast(ProvisionStatus, (yield from self.answer.replay()))

"""The provider interface (§9): results, statuses, the rate-limit error, and the Protocol both providers follow."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from models.jobs import JobState
from models.objects import ComputeInstance
from sim.kernel.effects import Effect
from sim.operator.errors import GoError
from sim.operator.goduration import format_go_duration

__all__ = [
    "Co",
    "DeprovisionAction",
    "DeprovisionResult",
    "ProvisionResult",
    "ProvisionStatus",
    "ProvisioningProvider",
    "RateLimitError",
]

T = TypeVar("T")
# A coroutine of effects returning T (sim.kernel.effects.Coroutine with a typed return value).
Co = Generator[Effect, Any, T]


@dataclass(frozen=True, slots=True)
class ProvisionResult:
    """What TriggerProvision returns on success."""

    job_id: str
    initial_state: JobState
    message: str


class DeprovisionAction(StrEnum):
    """What TriggerDeprovision decided."""

    TRIGGERED = "triggered"
    WAITING = "waiting"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class ProvisionStatus:
    """What GetProvisionStatus / GetDeprovisionStatus return; times are AAP's raw strings."""

    job_id: str
    state: JobState
    message: str = ""
    progress: int = 0
    start_time: str | None = None
    end_time: str | None = None
    reconciled_version: str = ""  # neither real provider fills it (§2.4)
    error_details: str = ""


@dataclass(frozen=True, slots=True)
class DeprovisionResult:
    """What TriggerDeprovision returns on success."""

    action: DeprovisionAction
    job_id: str = ""
    block_deletion_on_failure: bool = False
    provision_job_status: ProvisionStatus | None = None


class RateLimitError(GoError):
    """The webhook was not sent because of the minimum request interval; requeue after `retry_after_s`."""

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"rate limited, retry after {format_go_duration(retry_after_s)}")
        self.retry_after_s = retry_after_s


class ProvisioningProvider(Protocol):
    """The provider interface of the reference operator; every call is a coroutine of effects."""

    def name(self) -> str: ...

    def trigger_provision(self, resource: ComputeInstance) -> Co[ProvisionResult]: ...

    def get_provision_status(self, resource: ComputeInstance, job_id: str) -> Co[ProvisionStatus]: ...

    def trigger_deprovision(self, resource: ComputeInstance) -> Co[DeprovisionResult]: ...

    def get_deprovision_status(self, resource: ComputeInstance, job_id: str) -> Co[ProvisionStatus]: ...

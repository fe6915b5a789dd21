"""What every step of the ComputeInstance reconciler shares: configuration, the provider, logging and conditions."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from models.names import ANNOTATION_MANAGEMENT_STATE, MANAGEMENT_STATE_MANUAL
from models.objects import ComputeInstance
from sim.kernel.effects import LogLine, Now, ReconcileResult
from sim.operator.conditions import needs_transition_time, set_condition
from sim.operator.config import OperatorConfig
from sim.operator.providers import new_provider
from sim.operator.types import Co, ProvisioningProvider

__all__ = ["ReconcilerBase", "log"]


def log(message: str, **fields: object) -> LogLine:
    """A controller log line with key/value fields (rendered with str)."""
    return LogLine(message, tuple((key, str(value)) for key, value in fields.items()))


class ReconcilerBase:
    """State of one operator process: its config, its provider (with the provider's client and caches)."""

    name: ClassVar[str] = "reference"

    def __init__(self, config: OperatorConfig, *, jitter: Callable[[], float] | None = None) -> None:
        self.config = config
        # None is allowed (tests, subclasses): handle_provisioning then does nothing (§5 step 2).
        self.provider: ProvisioningProvider | None = new_provider(config)
        self.status_poll_interval_s = config.status_poll_interval_s
        self.max_job_history = config.max_job_history
        self.controller_namespace = config.namespace
        # Draws u in [0, 1) for the retry-on-conflict jitter; None = no jitter (the runtime owns randomness).
        self.jitter = jitter

    def describe(self) -> dict[str, object]:
        """What the manager records in ManagerStarted: which provider and limits this process runs with."""
        return {"provider": self.config.provider, "status_poll_interval_s": self.status_poll_interval_s,
                "max_job_history": self.max_job_history, "namespace": self.controller_namespace}

    def poll_requeue(self) -> ReconcileResult:
        """`Result{RequeueAfter: StatusPollInterval}`."""
        return ReconcileResult(requeue_after_s=self.status_poll_interval_s)

    @staticmethod
    def is_manual(instance: ComputeInstance) -> bool:
        """management-state annotation == manual (§2.6)."""
        return instance.metadata.annotations.get(ANNOTATION_MANAGEMENT_STATE) == MANAGEMENT_STATE_MANUAL

    def set_status_condition(self, instance: ComputeInstance, type_: str, value: str, message: str,
                             reason: str) -> Co[bool]:
        """instance.SetStatusCondition: asks for the time only when a transition time is stamped."""
        now = 0.0
        if needs_transition_time(instance.status, type_, value):
            now = yield Now()
        return set_condition(instance.status, type_, value, message, reason, now)

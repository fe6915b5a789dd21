"""The EDA provider (§10.2, §10.3): webhooks out, invented `eda-webhook-N` ids, the AAP finalizer as protocol."""

from __future__ import annotations

from typing import Any

from models.jobs import JobState, generate_eda_job_id
from models.names import FINALIZER_COMPUTE_INSTANCE_AAP
from models.objects import ComputeInstance
from sim.kernel.effects import LogLine
from sim.operator.errors import GoError, wrap
from sim.operator.types import (
    Co,
    DeprovisionAction,
    DeprovisionResult,
    ProvisionResult,
    ProvisionStatus,
    RateLimitError,
)
from sim.operator.webhook import WebhookClient

__all__ = ["EDAProvider"]


class EDAProvider:
    """Triggers the EDA create/delete webhooks; cannot poll jobs (EDA gives no job id and no status)."""

    def __init__(self, webhook_client: WebhookClient, create_url: str, delete_url: str) -> None:
        self.webhook_client = webhook_client
        self.create_url = create_url
        self.delete_url = delete_url

    def name(self) -> str:
        return "eda"

    def trigger_provision(self, resource: Any) -> Co[ProvisionResult]:
        """URL, webhook resource, send, rate limit, then the ComputeInstance check — in the Go order."""
        if not self.create_url:
            raise GoError("create webhook URL not configured")
        if not _is_webhook_resource(resource):
            raise GoError("resource does not implement webhook.Resource interface")
        try:
            remaining = yield from self.webhook_client.trigger_webhook(self.create_url, resource)
        except GoError as exc:
            raise wrap("failed to trigger create webhook", exc) from exc
        if remaining > 0:
            raise RateLimitError(remaining)
        # Checked only after the webhook was sent, as in the reference code.
        if not isinstance(resource, ComputeInstance):
            raise GoError("resource is not a ComputeInstance")
        job_id = generate_eda_job_id(resource.status.jobs)
        yield LogLine("Create webhook sent", (("jobID", job_id),))
        return ProvisionResult(job_id, JobState.RUNNING, "Webhook sent to EDA, provisioning in progress")

    def get_provision_status(self, resource: Any, job_id: str) -> Co[ProvisionStatus]:
        """Always Unknown, whatever the id (non-terminal)."""
        return ProvisionStatus(job_id, JobState.UNKNOWN, "EDA provider does not support status polling")
        yield  # pragma: no cover - makes this a generator; never reached

    def trigger_deprovision(self, resource: Any) -> Co[DeprovisionResult]:
        """Skipped without the AAP finalizer (checked first); else send the delete webhook, no cancel."""
        if FINALIZER_COMPUTE_INSTANCE_AAP not in resource.metadata.finalizers:
            yield LogLine("AAP finalizer absent, deprovision skipped")
            return DeprovisionResult(DeprovisionAction.SKIPPED, block_deletion_on_failure=False)
        if not self.delete_url:
            raise GoError("delete webhook URL not configured")
        if not _is_webhook_resource(resource):
            raise GoError("resource does not implement webhook.Resource interface")
        try:
            remaining = yield from self.webhook_client.trigger_webhook(self.delete_url, resource)
        except GoError as exc:
            raise wrap("failed to trigger delete webhook", exc) from exc
        if remaining > 0:
            raise RateLimitError(remaining)
        if not isinstance(resource, ComputeInstance):
            raise GoError("resource is not a ComputeInstance")
        job_id = generate_eda_job_id(resource.status.jobs)
        yield LogLine("Delete webhook sent", (("jobID", job_id),))
        return DeprovisionResult(DeprovisionAction.TRIGGERED, job_id, block_deletion_on_failure=False)

    def get_deprovision_status(self, resource: Any, job_id: str) -> Co[ProvisionStatus]:
        """Reads only the given CR: AAP finalizer absent ⇒ Succeeded, present ⇒ Running; never Failed."""
        if FINALIZER_COMPUTE_INSTANCE_AAP not in resource.metadata.finalizers:
            return ProvisionStatus(job_id, JobState.SUCCEEDED, "AAP playbook completed (finalizer removed)")
        return ProvisionStatus(job_id, JobState.RUNNING, "Waiting for AAP playbook to complete")
        yield  # pragma: no cover - makes this a generator; never reached


def _is_webhook_resource(resource: Any) -> bool:
    """webhook.Resource: something with a name that serialises to JSON (a client.Object)."""
    return hasattr(resource, "metadata") and hasattr(resource, "to_dict")

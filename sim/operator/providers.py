"""The provisioning providers of the reference operator (§9–§11) and the factory that builds one per process (§12)."""

from __future__ import annotations

from sim.operator.aap import AAPProvider, build_extra_vars
from sim.operator.aap_client import AAPClient
from sim.operator.config import OperatorConfig
from sim.operator.eda import EDAProvider
from sim.operator.types import (
    DeprovisionAction,
    DeprovisionResult,
    ProvisioningProvider,
    ProvisionResult,
    ProvisionStatus,
    RateLimitError,
)
from sim.operator.webhook import WebhookClient

__all__ = [
    "AAPProvider",
    "DeprovisionAction",
    "DeprovisionResult",
    "EDAProvider",
    "ProvisionResult",
    "ProvisionStatus",
    "ProvisioningProvider",
    "RateLimitError",
    "build_extra_vars",
    "new_provider",
]


def new_provider(config: OperatorConfig) -> EDAProvider | AAPProvider:
    """Build the configured provider and its HTTP client (process memory: fresh maps and caches)."""
    if config.provider == "eda":
        client = WebhookClient(config.webhook_timeout_s, config.minimum_request_interval_s)
        return EDAProvider(client, config.provision_webhook_url, config.deprovision_webhook_url)
    aap_client = AAPClient(config.aap_url, config.aap_token, config.aap_timeout_s)
    return AAPProvider(aap_client, config.aap_provision_template, config.aap_deprovision_template)

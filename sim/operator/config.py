"""The operator's configuration: one frozen options record, read from the environment as the reference does (§12)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from models.jobs import DEFAULT_MAX_JOB_HISTORY
from models.names import (
    DEFAULT_COMPUTE_INSTANCE_NAMESPACE,
    ENV_AAP_DEPROVISION_TEMPLATE,
    ENV_AAP_PROVISION_TEMPLATE,
    ENV_AAP_STATUS_POLL_INTERVAL,
    ENV_AAP_TOKEN,
    ENV_AAP_URL,
    ENV_COMPUTE_INSTANCE_NAMESPACE,
    ENV_DEPROVISION_WEBHOOK,
    ENV_MAX_JOB_HISTORY,
    ENV_MINIMUM_REQUEST_INTERVAL,
    ENV_PROVISION_WEBHOOK,
    ENV_PROVISIONING_PROVIDER,
)
from sim.kernel.errors import SimError
from sim.operator.goduration import parse_go_duration

__all__ = ["DEFAULT_STATUS_POLL_INTERVAL_S", "PROVIDERS", "OperatorConfig", "ProviderName"]

ProviderName = Literal["eda", "aap"]
PROVIDERS: tuple[ProviderName, ...] = ("eda", "aap")
DEFAULT_STATUS_POLL_INTERVAL_S = 30.0  # StatusPollInterval default of the reference controller


@dataclass(frozen=True, slots=True)
class OperatorConfig:
    """Every knob of one operator process; a restart with a different config is a new reconciler."""

    # Provisioning provider: "eda" (webhooks) or "aap" (AAP REST API direct).
    provider: ProviderName = "eda"
    # Requeue delay while a job is polled/waited on; may be negative (no timed requeue, §12), not NaN.
    status_poll_interval_s: float = DEFAULT_STATUS_POLL_INTERVAL_S
    # MaxJobHistory: status.jobs[] is trimmed to this many entries by array position (§8); >= 1.
    max_job_history: int = DEFAULT_MAX_JOB_HISTORY
    # Webhook minimumRequestInterval (§10.1): per-(url, CR name) window in which calls are not sent; >= 0.
    minimum_request_interval_s: float = 0.0
    # EDA create webhook URL; "" makes every provision trigger fail with "create webhook URL not configured".
    provision_webhook_url: str = "http://eda.example/create-compute-instance"
    # EDA delete webhook URL; "" makes every deprovision trigger fail (once the AAP finalizer is present).
    deprovision_webhook_url: str = "http://eda.example/delete-compute-instance"
    # HTTP client timeout of the webhook client; > 0.
    webhook_timeout_s: float = 10.0
    # AAP base URL, expected to contain /api/controller; "" fails at call time, not at start.
    aap_url: str = "http://aap.example/api/controller"
    # AAP bearer token (not validated).
    aap_token: str = "sim-token"
    # AAP provision template (§1: `<prefix>-create-compute-instance`); "" ⇒ "provision template not configured".
    aap_provision_template: str = "cloudkit-create-compute-instance"
    # AAP deprovision template name; "" makes deprovision launches fail.
    aap_deprovision_template: str = "cloudkit-delete-compute-instance"
    # HTTP client timeout of the AAP REST client; > 0.
    aap_timeout_s: float = 30.0
    # Namespace the controller watches ComputeInstances in (CLOUDKIT_COMPUTE_INSTANCE_NAMESPACE).
    namespace: str = DEFAULT_COMPUTE_INSTANCE_NAMESPACE

    def __post_init__(self) -> None:
        where = "OperatorConfig"
        if self.provider not in PROVIDERS:
            raise SimError(f"provider {self.provider!r} is not known", where=f"{where}.provider",
                           rule="the provider is 'eda' or 'aap'", fix="set provider to 'eda' or 'aap'")
        if not math.isfinite(self.status_poll_interval_s):
            raise SimError(f"status_poll_interval_s is {self.status_poll_interval_s!r}",
                           where=f"{where}.status_poll_interval_s", rule="the poll interval is a finite number",
                           fix="give seconds, e.g. 30.0")
        if isinstance(self.max_job_history, bool) or not isinstance(self.max_job_history, int) \
                or self.max_job_history < 1:
            raise SimError(f"max_job_history is {self.max_job_history!r}", where=f"{where}.max_job_history",
                           rule="the job history holds at least one entry", fix="give an integer >= 1, e.g. 10")
        # A negative minimumRequestInterval is accepted by the reference and behaves like 0 (§10.1).
        if not math.isfinite(self.minimum_request_interval_s):
            raise SimError(f"minimum_request_interval_s is {self.minimum_request_interval_s!r}",
                           where=f"{where}.minimum_request_interval_s", rule="a duration is a finite number",
                           fix="give seconds, e.g. 0.0")
        _require_positive(where, "webhook_timeout_s", self.webhook_timeout_s)
        _require_positive(where, "aap_timeout_s", self.aap_timeout_s)
        if not self.namespace:
            raise SimError("namespace is empty", where=f"{where}.namespace",
                           rule="the controller watches one namespace",
                           fix=f"give a namespace, e.g. {DEFAULT_COMPUTE_INSTANCE_NAMESPACE!r}")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OperatorConfig:
        """Read the configuration as the reference operator's main() does (§12, §10.1, §8)."""
        provider = env.get(ENV_PROVISIONING_PROVIDER, "") or "eda"
        history = _max_job_history(env)
        namespace = env.get(ENV_COMPUTE_INSTANCE_NAMESPACE, "") or DEFAULT_COMPUTE_INSTANCE_NAMESPACE
        if provider == "eda":
            create_url, delete_url = _eda_webhook_urls(env)
            return cls(provider="eda", provision_webhook_url=create_url, deprovision_webhook_url=delete_url,
                       minimum_request_interval_s=_minimum_request_interval(env),
                       status_poll_interval_s=DEFAULT_STATUS_POLL_INTERVAL_S,
                       max_job_history=history, namespace=namespace)
        if provider == "aap":
            return cls(provider="aap", aap_url=env.get(ENV_AAP_URL, ""), aap_token=env.get(ENV_AAP_TOKEN, ""),
                       aap_provision_template=env.get(ENV_AAP_PROVISION_TEMPLATE, ""),
                       aap_deprovision_template=env.get(ENV_AAP_DEPROVISION_TEMPLATE, ""),
                       status_poll_interval_s=_aap_poll_interval(env),
                       max_job_history=history, namespace=namespace)
        raise SimError(f"{ENV_PROVISIONING_PROVIDER}={provider!r} is not a known provider; "
                       "the reference operator process would exit at start", where="environment",
                       rule="the provider is empty (meaning eda), 'eda' or 'aap'",
                       fix=f"set {ENV_PROVISIONING_PROVIDER} to eda or aap")


def _require_positive(where: str, name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise SimError(f"{name} is {value!r}", where=f"{where}.{name}", rule="a timeout is finite and > 0",
                       fix="give seconds > 0, e.g. 30.0")


# Go strconv.Atoi: optional sign then ASCII digits only.
_ATOI = re.compile(r"[+-]?[0-9]+")


def _max_job_history(env: Mapping[str, str]) -> int:
    """CLOUDKIT_MAX_JOB_HISTORY: strconv.Atoi; unparsable (or absent) or < 1 ⇒ 10."""
    text = env.get(ENV_MAX_JOB_HISTORY, "")
    if _ATOI.fullmatch(text) is None:
        return DEFAULT_MAX_JOB_HISTORY
    value = int(text)
    return value if value >= 1 else DEFAULT_MAX_JOB_HISTORY


def _eda_webhook_urls(env: Mapping[str, str]) -> tuple[str, str]:
    """EDA: both webhook URLs are required; the poll interval is fixed (the AAP variable is not read)."""
    missing = [name for name in (ENV_PROVISION_WEBHOOK, ENV_DEPROVISION_WEBHOOK) if not env.get(name, "")]
    if missing:
        raise SimError(f"{' and '.join(missing)} not set; the EDA provider factory fails and the reference "
                       "operator process would exit at start", where="environment",
                       rule="the eda provider needs both the provision and the deprovision webhook URL",
                       fix=f"set {ENV_PROVISION_WEBHOOK} and {ENV_DEPROVISION_WEBHOOK}")
    return env[ENV_PROVISION_WEBHOOK], env[ENV_DEPROVISION_WEBHOOK]


def _minimum_request_interval(env: Mapping[str, str]) -> float:
    """CLOUDKIT_MINIMUM_REQUEST_INTERVAL (Go duration, default 0); unparsable is rejected (not in §12)."""
    text = env.get(ENV_MINIMUM_REQUEST_INTERVAL, "")
    if not text:
        return 0.0
    try:
        return parse_go_duration(text)
    except ValueError as exc:
        raise SimError(f"{ENV_MINIMUM_REQUEST_INTERVAL}={text!r} is not a Go duration ({exc})",
                       where="environment", rule="the minimum request interval is a Go duration >= 0",
                       fix="write e.g. 0s, 500ms, 10s or 1m30s") from None


def _aap_poll_interval(env: Mapping[str, str]) -> float:
    """CLOUDKIT_AAP_STATUS_POLL_INTERVAL: unparsable (or absent) ⇒ 30 s; 0 ⇒ 30 s; negative kept."""
    try:
        value = parse_go_duration(env.get(ENV_AAP_STATUS_POLL_INTERVAL, ""))
    except ValueError:
        return DEFAULT_STATUS_POLL_INTERVAL_S
    return DEFAULT_STATUS_POLL_INTERVAL_S if value == 0 else value

"""§12 configuration: OperatorConfig.from_env rules, direct-construction validation, Go durations."""

from __future__ import annotations

import pytest

from models.names import (
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
from sim.operator.config import OperatorConfig
from sim.operator.goduration import format_go_duration, parse_go_duration

EDA_ENV = {ENV_PROVISION_WEBHOOK: "http://eda/create", ENV_DEPROVISION_WEBHOOK: "http://eda/delete"}


def test_s12_defaults_of_direct_construction() -> None:
    c = OperatorConfig()
    assert (c.provider, c.status_poll_interval_s, c.max_job_history, c.minimum_request_interval_s) == (
        "eda", 30.0, 10, 0.0)
    assert (c.webhook_timeout_s, c.aap_timeout_s, c.namespace) == (10.0, 30.0, "cloudkit-computeinstance")


def test_s12_empty_provider_means_eda() -> None:
    c = OperatorConfig.from_env({ENV_PROVISIONING_PROVIDER: "", **EDA_ENV})
    assert c.provider == "eda"
    assert (c.provision_webhook_url, c.deprovision_webhook_url) == ("http://eda/create", "http://eda/delete")


def test_s12_absent_provider_means_eda() -> None:
    assert OperatorConfig.from_env(EDA_ENV).provider == "eda"


@pytest.mark.parametrize("value", ["EDA", "awx", "aap "])
def test_s12_unknown_provider_exits(value: str) -> None:
    with pytest.raises(SimError, match=r"would exit"):
        OperatorConfig.from_env({ENV_PROVISIONING_PROVIDER: value, **EDA_ENV})


@pytest.mark.parametrize("missing", [ENV_PROVISION_WEBHOOK, ENV_DEPROVISION_WEBHOOK])
def test_s12_eda_requires_both_webhooks(missing: str) -> None:
    env = {k: v for k, v in EDA_ENV.items() if k != missing}
    with pytest.raises(SimError, match=missing):
        OperatorConfig.from_env(env)


def test_s12_eda_empty_webhook_counts_as_missing() -> None:
    with pytest.raises(SimError):
        OperatorConfig.from_env({**EDA_ENV, ENV_PROVISION_WEBHOOK: ""})


def test_s12_eda_poll_interval_fixed_aap_variable_not_read() -> None:
    c = OperatorConfig.from_env({**EDA_ENV, ENV_AAP_STATUS_POLL_INTERVAL: "5s"})
    assert c.status_poll_interval_s == 30.0


def test_s10_1_minimum_request_interval_from_env_default_zero() -> None:
    assert OperatorConfig.from_env(EDA_ENV).minimum_request_interval_s == 0.0
    c = OperatorConfig.from_env({**EDA_ENV, ENV_MINIMUM_REQUEST_INTERVAL: "10s"})
    assert c.minimum_request_interval_s == 10.0


def test_s10_1_minimum_request_interval_unparsable_is_rejected() -> None:
    with pytest.raises(SimError, match=r"Go duration"):
        OperatorConfig.from_env({**EDA_ENV, ENV_MINIMUM_REQUEST_INTERVAL: "ten"})


def test_s12_aap_nothing_validated_at_start() -> None:
    c = OperatorConfig.from_env({ENV_PROVISIONING_PROVIDER: "aap"})
    assert (c.provider, c.aap_url, c.aap_token) == ("aap", "", "")
    assert (c.aap_provision_template, c.aap_deprovision_template) == ("", "")
    assert c.status_poll_interval_s == 30.0


def test_s12_aap_reads_its_variables() -> None:
    c = OperatorConfig.from_env({ENV_PROVISIONING_PROVIDER: "aap", ENV_AAP_URL: "http://x/api/controller",
                                 ENV_AAP_TOKEN: "t", ENV_AAP_PROVISION_TEMPLATE: "p",
                                 ENV_AAP_DEPROVISION_TEMPLATE: "d", ENV_AAP_STATUS_POLL_INTERVAL: "1m30s"})
    assert (c.aap_url, c.aap_token, c.aap_provision_template, c.aap_deprovision_template) == (
        "http://x/api/controller", "t", "p", "d")
    assert c.status_poll_interval_s == 90.0


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30.0), ("1m30s", 90.0), ("500ms", 0.5), ("1h", 3600.0), ("-5s", -5.0),
    ("0s", 30.0), ("0", 30.0), ("", 30.0), ("abc", 30.0), ("10", 30.0),
])
def test_s12_aap_poll_interval_parsing(text: str, seconds: float) -> None:
    c = OperatorConfig.from_env({ENV_PROVISIONING_PROVIDER: "aap", ENV_AAP_STATUS_POLL_INTERVAL: text})
    assert c.status_poll_interval_s == seconds


@pytest.mark.parametrize(("text", "history"), [
    ("", 10), ("abc", 10), ("0", 10), ("-3", 10), ("1", 1), ("25", 25), ("+4", 4), (" 4", 10), ("4.0", 10),
])
def test_s8_max_job_history_from_env(text: str, history: int) -> None:
    assert OperatorConfig.from_env({**EDA_ENV, ENV_MAX_JOB_HISTORY: text}).max_job_history == history


def test_s12_namespace_from_env_with_default() -> None:
    assert OperatorConfig.from_env(EDA_ENV).namespace == "cloudkit-computeinstance"
    assert OperatorConfig.from_env({**EDA_ENV, ENV_COMPUTE_INSTANCE_NAMESPACE: "ops"}).namespace == "ops"


@pytest.mark.parametrize("changes", [
    {"provider": "awx"}, {"max_job_history": 0}, {"minimum_request_interval_s": float("inf")},
    {"webhook_timeout_s": 0.0}, {"aap_timeout_s": -1.0}, {"namespace": ""},
    {"status_poll_interval_s": float("nan")},
])
def test_s12_direct_construction_rejects_bad_values(changes: dict[str, object]) -> None:
    with pytest.raises(SimError, match=r"rule:"):
        OperatorConfig(**changes)  # type: ignore[arg-type]


def test_s12_negative_poll_interval_is_allowed_on_construction() -> None:
    assert OperatorConfig(status_poll_interval_s=-1.0).status_poll_interval_s == -1.0


@pytest.mark.parametrize(("text", "seconds"), [
    ("0", 0.0), ("1.5s", 1.5), (".5s", 0.5), ("1h2m3s", 3723.0), ("2us", 2e-6), ("3µs", 3e-6), ("4ns", 4e-9),
    ("+1s", 1.0), ("-1m", -60.0),
])
def test_go_parse_duration(text: str, seconds: float) -> None:
    assert parse_go_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "s", "1", "1x", ".s", "-", "1s2"])
def test_go_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_go_duration(text)


@pytest.mark.parametrize(("seconds", "text"), [
    (0.0, "0s"), (1.0, "1s"), (1.5, "1.5s"), (90.0, "1m30s"), (3600.0, "1h0m0s"), (0.5, "500ms"),
    (0.01, "10ms"), (-2.0, "-2s"), (16.0, "16s"),
])
def test_go_duration_string(seconds: float, text: str) -> None:
    assert format_go_duration(seconds) == text


def test_s10_1_a_negative_minimum_request_interval_is_accepted_as_the_reference_does() -> None:
    # The reference takes any duration; a negative window never rate-limits, exactly like 0.
    assert OperatorConfig(minimum_request_interval_s=-1.0).minimum_request_interval_s == -1.0

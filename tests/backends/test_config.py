"""BackendConfig: the defaults are valid, and a bad knob is refused with the value, the rule and the fix."""

from __future__ import annotations

import pytest

from sim.backends.config import BackendConfig, TemplateSpec
from sim.kernel.choice import Dist
from sim.kernel.errors import SimError


def test_the_defaults_are_valid_and_name_one_create_and_one_delete_job_template() -> None:
    config = BackendConfig()
    assert [(t.type, t.playbook) for t in config.aap_templates] == [("job", "create"), ("job", "delete")]
    assert config.aap_first_job_id == 9000
    assert config.aap_purge_age_s is None
    assert config.playbook_vm_ready_timeout_s == 600.0


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"aap_error_rate": 1.5}, "a probability is between 0 and 1"),
        ({"eda_lost_rate": -0.1}, "a probability is between 0 and 1"),
        ({"aap_server_error_rate": 0.6, "aap_timeout_rate": 0.6}, "add up to at most 1"),
        ({"eda_timeout_rate": 0.7, "eda_timeout_accepted_rate": 0.7}, "add up to at most 1"),
        ({"playbook_poll_interval_s": 0.0}, "this interval is > 0 seconds"),
        ({"tenant_retry_s": -1.0}, "this interval is > 0 seconds"),
        ({"aap_purge_age_s": -5.0}, "a purge age is >= 0 seconds"),
        ({"aap_first_job_id": 0}, "AAP job ids are positive integers"),
        ({"aap_base_url": "aap.example"}, "a URL starts with http"),
        ({"aap_templates": (TemplateSpec("a"), TemplateSpec("a"))}, "template names are unique"),
        ({"aap_templates": (TemplateSpec("a/b"),)}, "no '/' or '?'"),
    ],
)
def test_a_bad_option_is_refused_with_its_value_rule_and_fix(changes: dict[str, object], rule: str) -> None:
    with pytest.raises(SimError) as caught:
        BackendConfig(**changes)  # type: ignore[arg-type]
    assert rule in caught.value.rule
    assert caught.value.fix
    assert "backend option" in caught.value.what


def test_a_purge_age_of_zero_purges_on_finishing_and_is_allowed() -> None:
    assert BackendConfig(aap_purge_age_s=0.0).aap_purge_age_s == 0.0


def test_a_negative_duration_is_refused_by_the_distribution_itself() -> None:
    with pytest.raises(SimError):
        BackendConfig(kubevirt_boot_s=Dist.uniform(-1.0, 5.0))

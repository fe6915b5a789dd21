"""The hardened deadline is F7's fix of AAP's 30-s client timeout; an EDA webhook keeps its configured timeout.

The story: the operator runs with EDA and `webhook_timeout_s = 20`, and the EDA server takes 15 s to accept each
POST. The reference waits for the answers; so must `hardened` (it used to cut every request, webhooks included,
at its 10-s deadline: the create webhook then counted as unanswered, although the configured client would have
had its answer).
"""

from __future__ import annotations

import pytest
from hardened_world import create_then_delete, run_story

from sim.backends.config import BackendConfig
from sim.kernel.choice import Dist
from sim.kernel.http import HttpFailed, HttpRequested
from sim.operator.config import OperatorConfig

SLOW_WEBHOOK = BackendConfig(eda_response_s=Dist.fixed(15.0))
PATIENT_OPERATOR = OperatorConfig(provider="eda", webhook_timeout_s=20.0)


@pytest.mark.parametrize("controller", ["reference", "hardened"])
def test_a_slow_webhook_within_its_configured_timeout_is_answered(controller: str) -> None:
    world, violations = run_story(create_then_delete(400.0), controller, provider="eda", backends=SLOW_WEBHOOK,
                                  operator=PATIENT_OPERATOR)
    events = world.kernel.log.events
    webhooks = {e.request_id for e in events if isinstance(e, HttpRequested) and e.url.startswith("http://eda.")}
    assert [e for e in events if isinstance(e, HttpFailed) and e.request_id in webhooks] == []
    if controller == "hardened":  # (the reference, its worker held 15 s per webhook, sends the delete twice)
        assert len(webhooks) == 2 and violations == []

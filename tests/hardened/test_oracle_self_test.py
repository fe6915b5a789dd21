"""Oracle self-test: a small seeded campaign over the built-in scenarios catches each deliberately broken controller.

The campaign is `sim.explore`'s fixed-budget `seeds` mode: run i is built-in scenario i (in name order)
with seed 1 + i, so one run per scenario. A broken controller is caught when, on the same runs, it shows
a violation (scenario, property, instance) the reference does not — so the reference's own known
findings never count as catching anything. Each broken controller must be caught through the property
its bug breaks first.
"""

from __future__ import annotations

from functools import cache

import pytest

from sim.explore.execute import execute
from sim.explore.plan import CampaignPlan
from sim.scenarios.loader import builtin_names

Seen = frozenset[tuple[str, str, str]]  # (scenario, property, instance)

# Each broken controller, and the property its bug breaks (besides whatever else follows from it).
BROKEN = {
    "broken-skip-cancel": "no-deprovision-during-provision",
    "broken-status-no-retry": "one-active-provision",
    "broken-forget-launch": "jobs-recorded",
    "broken-early-finalizer": "deletion-completes",
}


@cache
def campaign(controller: str) -> Seen:
    """Every violation of a `seeds` campaign with one run per built-in scenario."""
    plan = CampaignPlan(strategy="seeds", family="all", controller=controller, seed=1)
    seen: set[tuple[str, str, str]] = set()
    for index in range(len(builtin_names())):
        spec = plan.spec_for(index)
        seen |= {(spec.scenario.name, v.property, v.subject) for v in execute(spec).violations}
    return frozenset(seen)


@pytest.mark.parametrize("controller", sorted(BROKEN))
def test_the_default_campaign_catches_the_broken_controller(controller: str) -> None:
    caught = campaign(controller) - campaign("reference")
    assert BROKEN[controller] in {prop for _, prop, _ in caught}, sorted(caught)


def test_the_campaign_finds_nothing_new_in_the_hardened_controller() -> None:
    assert not {prop for _, prop, _ in campaign("hardened") - campaign("reference")}

"""Shared fixtures of the exploration tests: one small seeded campaign against the reference, run once per session."""

from __future__ import annotations

import pytest

from sim.explore.campaign import Budget, CampaignResult, run_campaign
from sim.explore.plan import CampaignPlan


@pytest.fixture(scope="session")
def ci_plan() -> CampaignPlan:
    """A fixed, seeded plan: CI sees the same runs, groups and counts every time."""
    return CampaignPlan("swarm", "eda", seed=7)


@pytest.fixture(scope="session")
def ci_budget() -> Budget:
    return Budget(runs=16)


@pytest.fixture(scope="session")
def eda_campaign(ci_plan: CampaignPlan, ci_budget: Budget) -> CampaignResult:
    return run_campaign(ci_plan, ci_budget)

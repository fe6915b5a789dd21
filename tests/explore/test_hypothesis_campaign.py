"""The Hypothesis strategy: choices (and the swarm scenario) drawn from `st.data()`; Hypothesis finds a violation,
shrinks it keeping its signature, and the minimal example's tape re-executes to the same violation."""

from __future__ import annotations

from sim.explore.campaign import Budget, run_campaign
from sim.explore.execute import execute
from sim.explore.groups import Collector
from sim.explore.hypo import hypothesis_search
from sim.explore.plan import CampaignPlan
from sim.explore.signature import hits_of
from sim.scenarios.loader import load_scenario


def test_hypothesis_finds_shrinks_and_represents_a_violation_of_a_given_scenario() -> None:
    plan = CampaignPlan("hypothesis", scenario=load_scenario("delete-during-provision-eda"), seed=1)
    sink = Collector()
    hypothesis_search(plan, sink, max_runs=3, stop=lambda: False, shrink_runs=15)
    assert sink.representatives, "the first round fixes a target and Hypothesis shrinks it"
    for signature, spec in sink.representatives.items():
        assert spec.tape is not None
        run = execute(spec)
        assert signature in {h.signature for h in hits_of(run.violations, run.events)}


def test_a_hypothesis_campaign_over_a_family_is_reproducible() -> None:
    plan = CampaignPlan("hypothesis", "eda", seed=4)
    first = run_campaign(plan, Budget(runs=3))
    second = run_campaign(plan, Budget(runs=3))
    assert first.groups and [(g.signature, g.count) for g in first.groups] == \
        [(g.signature, g.count) for g in second.groups]

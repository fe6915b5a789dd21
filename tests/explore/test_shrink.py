"""Shrinking: a failing run is reduced (fewer instances, actions, faults, a shorter horizon, a simpler tape) and
still shows the same signature; delta debugging finds a 1-minimal subset."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from sim.explore.execute import RunSpec, execute
from sim.explore.plan import CampaignPlan
from sim.explore.shrink import ShrinkBudget, ShrinkResult, ddmin, shrink
from sim.explore.signature import hits_of


def _signatures(spec: RunSpec) -> set[str]:
    run = execute(spec)
    return {h.signature for h in hits_of(run.violations, run.events)}


def test_ddmin_finds_a_one_minimal_subsequence() -> None:
    calls: list[Sequence[int]] = []

    def needs_3_and_7(items: Sequence[int]) -> bool:
        calls.append(items)
        return 3 in items and 7 in items

    assert ddmin(list(range(10)), needs_3_and_7) == [3, 7]
    assert ddmin([1, 2], lambda items: True) == []


@pytest.fixture(scope="module")
def shrunk() -> tuple[RunSpec, str, ShrinkResult]:
    spec = CampaignPlan("swarm", "eda", seed=7).spec_for(1)  # 3 instances, 6 actions, 5 fault kinds
    signature = "no-leak-on-removal: AapJobLaunched(playbook=create, launched_by=eda) > " \
                "ObjectStored(verb=delete, kind=ComputeInstance) > ObjectRemoved(kind=ComputeInstance)"
    assert signature in _signatures(spec)
    return spec, signature, shrink(spec, signature, budget=ShrinkBudget(max_runs=120, max_seconds=60))


def test_shrinking_reduces_a_failing_run_and_keeps_its_signature(shrunk: tuple[RunSpec, str, ShrinkResult]) -> None:
    spec, signature, res = shrunk
    assert res.reproduced
    small = res.spec
    before, after = spec.scenario, small.scenario
    assert len(after.instances) < len(before.instances)
    assert len(after.actions) < len(before.actions)
    assert after.horizon_s < before.horizon_s
    assert signature in _signatures(small)
    assert res.runs <= 121


def test_the_scenario_stage_alone_reproduces_with_the_seed(shrunk: tuple[RunSpec, str, ShrinkResult]) -> None:
    _, signature, res = shrunk
    seed_spec = res.seed_spec
    assert seed_spec is not None and seed_spec.tape is None and seed_spec.ordering == "fifo"
    assert signature in _signatures(seed_spec)


def test_the_shrunk_tape_is_replayed_over_simplest_values(shrunk: tuple[RunSpec, str, ShrinkResult]) -> None:
    _, _, res = shrunk
    assert res.spec.tape is not None and res.spec.tape_fallback == "simplest"
    assert any(step.startswith("choice tape") for step in res.steps)


def test_a_run_that_does_not_show_the_signature_is_reported_not_shrunk() -> None:
    spec = CampaignPlan("swarm", "eda", seed=7).spec_for(1)
    res = shrink(spec, "one-deprovision: no such steps", budget=ShrinkBudget(max_runs=5))
    assert not res.reproduced and res.runs == 1 and res.spec == spec


def test_a_run_budget_bounds_the_shrinking() -> None:
    spec = CampaignPlan("swarm", "eda", seed=7).spec_for(1)
    sig = next(iter(_signatures(spec)))
    res = shrink(spec, sig, budget=ShrinkBudget(max_runs=6))
    assert res.runs <= 8 and res.exhausted  # the budget plus the final (forced) re-run of the minimum
    assert sig in _signatures(res.spec)

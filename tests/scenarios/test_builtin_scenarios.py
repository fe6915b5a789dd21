"""Every built-in scenario loads, runs under its own expectations, and says what it shows about each instance."""

from __future__ import annotations

import pytest

from sim.runner import run_scenario
from sim.scenarios.loader import builtin_names, load_scenario

REQUIRED = {
    "provision-aap", "provision-eda", "lifecycle-aap", "lifecycle-eda", "delete-during-provision-aap",
    "delete-during-provision-eda", "switch-eda-to-aap", "switch-eda-to-aap-mid-provision",
    "switch-eda-to-aap-mid-deprovision", "switch-aap-to-eda", "provision-failure-aap", "deprovision-failure-aap",
    "purged-job-aap", "cancel-after-finish-aap", "webhook-rate-window-eda", "restart-mid-provision",
    "restart-mid-deprovision", "conflict-storm", "history-trim", "manual-management", "unmanaged-management",
    "spec-change-after-running", "many-instances", "provider-comparison",
}


def test_the_package_ships_every_required_built_in_scenario() -> None:
    assert set(builtin_names()) >= REQUIRED


@pytest.mark.parametrize("name", builtin_names())
def test_built_in_scenario_meets_its_expectations_for_the_reference_controller(name: str) -> None:
    result = run_scenario(name)
    problems = [f"unexpected {v.property} at {v.t:g}s on {v.subject}: {v.explanation}" for v in result.unexpected]
    assert result.passed, "\n".join([*problems, *result.expectation_failures])


@pytest.mark.parametrize("name", builtin_names())
def test_built_in_scenario_is_described_and_states_the_final_state_of_every_instance(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.name == name and scenario.description
    assert scenario.source.lstrip().startswith("#"), "a built-in scenario opens with a comment saying what it shows"
    expectation = scenario.expectation_for("reference")
    stated = set(expectation.final) | set(expectation.provision_jobs) | set(expectation.deprovision_jobs)
    assert {i.name for i in scenario.instances} <= stated, "every instance has a final-state fact"


def test_findings_of_a_regression_scenario_are_reported_as_findings_not_failures() -> None:
    scenarios = [load_scenario(n) for n in builtin_names()]
    with_findings = [s for s in scenarios if s.expectation_for("reference").violates]
    if not with_findings:
        pytest.skip("no built-in scenario records a finding for the reference controller yet")
    result = run_scenario(with_findings[0])
    assert result.passed
    assert {v.property for v in result.findings} == set(with_findings[0].expectation_for("reference").violates)
    assert not result.unexpected

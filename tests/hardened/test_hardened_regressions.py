"""Each override of the hardened controller, on a setup where the reference shows its finding: hardened does not.

Every case names the override and the finding (the F-numbers of docs/findings.md), a setup (a built-in
scenario, or a seeded World story) and the properties the finding breaks. The test runs the same setup
and seed under both controllers: the reference must break every one of those properties (the setup does
reproduce the finding) and the hardened controller none of them. A second test shows that no override is
superfluous: for each, one case comes back when only that method is put back to the reference's.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import simpy
from hardened_world import (
    Story,
    create_then_delete,
    edit_after,
    fail_next,
    healed_after,
    lagging,
    manual_delete_then_managed,
    properties,
    restart_when_posted,
    run_story,
    then,
)

from models.jobs import JobType
from sim.backends.config import BackendConfig
from sim.operator.hardened import HardenedComputeInstanceReconciler
from sim.operator.reconciler import ComputeInstanceReconciler
from sim.operator.registry import register_controller, registered_controllers
from sim.runner import run_scenario
from sim.world import ApiSettings, World


@dataclass(frozen=True)
class Case:
    """A setup that reproduces a finding: a built-in scenario, or a story with its provider, seed and faults."""

    breaks: frozenset[str]
    scenario: str = ""
    story: Story | None = None
    provider: str = "aap"
    seed: int = 1
    backends: BackendConfig = field(default_factory=BackendConfig)
    api: ApiSettings = field(default_factory=ApiSettings)

    def violated(self, controller: str) -> set[str]:
        if self.story is None:
            return {v.property for v in run_scenario(self.scenario, controller=controller).violations}
        _, violations = run_story(self.story, controller, provider=self.provider, seed=self.seed,
                                  backends=self.backends, api=self.api)
        return properties(violations)


def switch(provider: str) -> Callable[[World], None]:
    """The user's action: restart the operator with `provider`."""
    def act(w: World) -> None:
        w.switch_provider(provider)
    return act


def second_instance_later(w: World) -> Generator[simpy.Event, Any, None]:
    """A second instance of a tenant that is already Ready."""
    yield from w.create_instance("vm-1")
    yield w.env.timeout(100)
    yield from w.create_instance("vm-2")


PURGED_AT_ONCE = BackendConfig(aap_purge_age_s=0.0)
TENANT_RECREATED = str(Path(__file__).parent / "regressions" / "tenant-recreated-while-terminating.toml")
LAUNCH_RECORD_LOST_TENANT_NOT_READY = str(Path(__file__).parent / "regressions" /
                                          "aap-launch-record-lost-in-crash-while-tenant-not-ready.toml")

CASES: dict[str, Case] = {
    "reconcile, F1 stale cache: a second delete job": Case(
        frozenset({"one-deprovision", "history-preserved"}), scenario="cancel-after-finish-aap"),
    "reconcile, F1 stale cache: a second create job and a lost entry": Case(
        frozenset({"one-active-provision", "history-preserved", "job-state-recorded"}),
        story=second_instance_later, seed=0),
    "reconcile, F1 stale cache: decisions during an informer lag spike": Case(
        frozenset({"one-active-provision", "history-preserved"}), story=lagging(create_then_delete(None)), seed=0),
    "update_status_with_retry, F3 the status write after a launch fails": Case(
        frozenset({"one-active-provision", "jobs-recorded"}), story=healed_after(create_then_delete(100), 300),
        seed=0, api=ApiSettings(server_error_rate=0.2, timeout_applied_rate=0.1)),
    "update_status_with_retry, F3 the status write after a delete launch fails": Case(
        frozenset({"one-deprovision", "jobs-recorded"}), story=healed_after(create_then_delete(100), 300),
        seed=5, api=ApiSettings(server_error_rate=0.3)),
    "ensure_tenant, F16 a CI that does not own a re-created Tenant is never woken": Case(
        frozenset({"provisioning-converges"}), scenario=TENANT_RECREATED),
    "handle_provisioning, F6 a spec change gets no new provision job": Case(
        frozenset({"provisioning-converges"}), scenario="spec-change-after-running"),
    "handle_provisioning, F9 a Succeeded job re-polled to Unknown after AAP to EDA": Case(
        frozenset({"legal-job-transition", "job-state-recorded", "provisioning-converges"}),
        story=edit_after(200, switch_to="eda")),
    "handle_configuration_applied, F3 an EDA job that ended before the restarted operator looked": Case(
        frozenset({"jobs-recorded"}), story=restart_when_posted("eda.example", delay_s=200), provider="eda"),
    "trigger_provision, F3 operator restart between the AAP launch and its record": Case(
        frozenset({"one-active-provision"}), scenario="restart-after-launch-aap"),
    "trigger_provision, F3 operator restart while the EDA webhook is in flight": Case(
        frozenset({"one-active-provision", "jobs-recorded"}), story=restart_when_posted("eda.example"),
        provider="eda"),
    "trigger_provision, F4 a webhook accepted after its answer timed out": Case(
        frozenset({"one-active-provision", "one-deprovision", "jobs-recorded", "history-preserved"}),
        story=healed_after(create_then_delete(200), 300), provider="eda", seed=0,
        backends=BackendConfig(eda_timeout_accepted_rate=0.5)),
    "trigger_provision, F12 a failed trigger and its retry in the same second": Case(
        frozenset({"one-active-provision", "job-state-recorded"}), story=create_then_delete(None), seed=5,
        backends=BackendConfig(aap_server_error_rate=0.3)),
    "poll_provision_job, F7 a provision job purged before its end was seen": Case(
        frozenset({"job-state-recorded"}), story=create_then_delete(None), backends=PURGED_AT_ONCE),
    "poll_provision_job, F9 EDA cannot see the end of a running AAP job": Case(
        frozenset({"job-state-recorded"}), story=then(15, switch("eda"))),
    "handle_delete, F13 a deletion left to a human, then given back": Case(
        frozenset({"deletion-completes"}), story=manual_delete_then_managed),
    "handle_deprovisioning, F2 the EDA delete webhook while the create job runs": Case(
        frozenset({"no-deprovision-during-provision", "no-leak-on-removal"}), scenario="delete-during-provision-eda"),
    "handle_deprovisioning, F2 AAP judges a running EDA job by the phase": Case(
        frozenset({"no-deprovision-during-provision", "no-leak-on-removal"}),
        story=then(15, switch("aap"), 20), provider="eda"),
    "handle_deprovisioning, F2 EDA cannot cancel a running AAP job": Case(
        frozenset({"no-deprovision-during-provision", "no-leak-on-removal"}),
        story=then(15, switch("eda"), 20)),
    "trigger_deprovision, F3 operator restart while the EDA delete webhook is in flight": Case(
        frozenset({"one-deprovision", "jobs-recorded"}),
        story=restart_when_posted("delete-compute", delete_after_s=200), provider="eda"),
    "trigger_deprovision, F3 operator restart while the AAP delete launch is in flight": Case(
        frozenset({"one-deprovision"}), story=restart_when_posted("cloudkit-delete", delete_after_s=200)),
    "poll_deprovision_job, F7 a delete job purged before its end was seen": Case(
        frozenset({"deletion-completes"}), story=create_then_delete(200), backends=PURGED_AT_ONCE),
    "poll_deprovision_job, F8 AAP polls the EDA delete job by its invented id": Case(
        frozenset({"deletion-completes"}), scenario="switch-eda-to-aap-mid-deprovision"),
    "poll_deprovision_job, F11 EDA never reports a failed delete playbook": Case(
        frozenset({"deletion-completes"}), story=fail_next(JobType.DEPROVISION), provider="eda"),
    "handle_update, F19 a launch whose record was lost while the Tenant is not Ready": Case(
        frozenset({"jobs-recorded"}),
        scenario=LAUNCH_RECORD_LOST_TENANT_NOT_READY),
}


# For each override, a case it alone fixes: with that one method put back to the reference's, the
# hardened controller shows the finding again (the other overrides do not cover for it).
NEEDED_BY: dict[str, str] = {
    "reconcile": "reconcile, F1 stale cache: decisions during an informer lag spike",
    "ensure_tenant": "ensure_tenant, F16 a CI that does not own a re-created Tenant is never woken",
    "handle_provisioning": "handle_provisioning, F6 a spec change gets no new provision job",
    "trigger_provision": "trigger_provision, F12 a failed trigger and its retry in the same second",
    "poll_provision_job": "poll_provision_job, F7 a provision job purged before its end was seen",
    "handle_delete": "handle_delete, F13 a deletion left to a human, then given back",
    "handle_deprovisioning": "handle_deprovisioning, F2 the EDA delete webhook while the create job runs",
    "trigger_deprovision": "trigger_deprovision, F3 operator restart while the EDA delete webhook is in flight",
    "poll_deprovision_job": "poll_deprovision_job, F8 AAP polls the EDA delete job by its invented id",
    "handle_update": "handle_update, F19 a launch whose record was lost while the Tenant is not Ready",
}


def without(method: str) -> str:
    """Register (once) the hardened controller with `method` put back to the reference's; return its name."""
    name = f"hardened-without-{method}"
    if name not in registered_controllers():
        ablated = type(f"HardenedWithout_{method}", (HardenedComputeInstanceReconciler,),
                       {method: getattr(ComputeInstanceReconciler, method), "name": name})
        register_controller(name, ablated)
    return name


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_reference_shows_the_finding_and_hardened_does_not(name: str) -> None:
    case = CASES[name]
    assert case.breaks <= case.violated("reference"), "the setup no longer reproduces the finding"
    assert not case.breaks & case.violated("hardened")


# Overrides whose findings other overrides now fix as well: since the AAP job lookup (and the effect-based
# adoption of EDA launches) records the job of a launch whose status write was lost, putting the status
# write retry back shows no finding on any case (it still spares the lookup and the wait). Since F19,
# `handle_update` looks up a launch still in flight whenever a reconcile ends with nothing to requeue, which
# is also where the reference's `handle_configuration_applied` leaves F3's ended EDA job: that override now
# settles it one step earlier, from the same lookup and effects.
COVERED_BY_OTHERS = {"update_status_with_retry", "handle_configuration_applied"}


def test_every_override_is_listed_with_a_case_it_alone_fixes() -> None:
    overridden = {m for m, f in vars(HardenedComputeInstanceReconciler).items()
                  if callable(f) and hasattr(ComputeInstanceReconciler, m) and m != "__init__"}
    assert overridden == set(NEEDED_BY) | COVERED_BY_OTHERS
    assert all(NEEDED_BY[m] in CASES and NEEDED_BY[m].startswith(f"{m},") for m in NEEDED_BY)


@pytest.mark.parametrize("method", sorted(NEEDED_BY))
def test_without_the_override_the_finding_comes_back(method: str) -> None:
    case = CASES[NEEDED_BY[method]]
    assert case.breaks & case.violated(without(method))

"""What the checkers find against the reference controller in realistic runs: each case is a reproducible finding.

These pin the reference design's known violations (and its clean stories) so a change to a checker that
stops seeing one, or starts seeing one in a clean story, is noticed. Seeds and setups are the ones named
in the findings report.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import pytest
import simpy
from check_stories import Story, create_then_delete, props, run_world

from models.jobs import JobType
from sim.backends.config import BackendConfig
from sim.kernel.http import HttpRequested
from sim.world import ApiSettings, World


@dataclass(frozen=True)
class Case:
    """One reproducible setup: provider, story, faults, seed, and the properties it must (only) break."""

    provider: str
    story: Story
    expected: frozenset[str]
    seed: int = 1
    backends: BackendConfig = field(default_factory=BackendConfig)
    api: ApiSettings = field(default_factory=ApiSettings)


def healed_after(story: Story, t: float) -> Story:
    def run(w: World) -> Generator[simpy.Event, Any, None]:
        w.spawn(story(w))
        yield w.env.timeout(t)
        w.heal()
    return run


def then(first_s: float, act: Callable[[World], None], delete_after_s: float | None = None) -> Story:
    """Create vm-1, do `act` after `first_s`, and delete vm-1 `delete_after_s` after that (if given)."""
    def run(w: World) -> Generator[simpy.Event, Any, None]:
        yield from w.create_instance("vm-1")
        yield w.env.timeout(first_s)
        act(w)
        if delete_after_s is not None:
            yield w.env.timeout(delete_after_s)
            yield from w.delete_instance("vm-1")
    return run


def edit_after(first_s: float, *, restart: bool = False, switch_to: str | None = None) -> Story:
    def run(w: World) -> Generator[simpy.Event, Any, None]:
        yield from w.create_instance("vm-1")
        yield w.env.timeout(first_s)
        if switch_to is not None:
            w.switch_provider(switch_to)
            yield w.env.timeout(30)
        yield from w.edit_spec("vm-1", template_parameters='{"cpu": 4}', restart=restart)
    return run


def restart_during_trigger(w: World) -> Generator[simpy.Event, Any, None]:
    yield from w.create_instance("vm-1")
    while not any(isinstance(e, HttpRequested) and e.method == "POST" for e in w.kernel.log.events):
        yield w.env.timeout(0.001)
    w.restart_operator()


def second_instance_of_a_tenant(w: World) -> Generator[simpy.Event, Any, None]:
    yield from w.create_instance("vm-1")
    yield w.env.timeout(100)
    yield from w.create_instance("vm-2")


def fail_next(job_type: JobType) -> Story:
    def run(w: World) -> Generator[simpy.Event, Any, None]:
        w.fail_next_job(job_type)
        yield from w.create_instance("vm-1")
        yield w.env.timeout(200)
        yield from w.delete_instance("vm-1")
    return run


def purge_newest(w: World) -> None:
    w.purge_job("vm-1")


CLEAN: dict[str, Case] = {
    "aap create": Case("aap", create_then_delete(None), frozenset()),
    "aap delete during provision (5 s)": Case("aap", create_then_delete(5), frozenset()),
    "aap delete during provision (20 s)": Case("aap", create_then_delete(20), frozenset()),
    "aap delete after provision": Case("aap", create_then_delete(200), frozenset()),
    "eda create": Case("eda", create_then_delete(None), frozenset()),
    "eda delete after provision": Case("eda", create_then_delete(200), frozenset()),
    "aap purge after the end was recorded, then delete": Case("aap", then(200, purge_newest, 10), frozenset()),
    "aap failed provision job": Case("aap", fail_next(JobType.PROVISION), frozenset()),
    "aap failed deprovision job blocks deletion": Case("aap", fail_next(JobType.DEPROVISION), frozenset()),
    "eda to aap switch after provision, then delete": Case(
        "eda", then(200, lambda w: w.switch_provider("aap"), 20), frozenset()),
}

FINDINGS: dict[str, Case] = {
    "eda delete during provision": Case(
        "eda", create_then_delete(20), frozenset({"no-deprovision-during-provision", "no-leak-on-removal"})),
    "eda duplicated delivery": Case(
        "eda", create_then_delete(200), frozenset({"one-active-provision", "one-deprovision", "jobs-recorded"}),
        backends=BackendConfig(eda_duplicate_rate=1.0)),
    "eda lost delivery": Case(
        "eda", healed_after(create_then_delete(None), 300), frozenset({"provisioning-converges"}), seed=0,
        backends=BackendConfig(eda_lost_rate=0.5)),
    "eda webhook answered after its timeout": Case(
        "eda", healed_after(create_then_delete(200), 300),
        frozenset({"one-active-provision", "one-deprovision", "jobs-recorded", "history-preserved"}), seed=0,
        backends=BackendConfig(eda_timeout_accepted_rate=0.5)),
    "eda failed delete playbook": Case("eda", fail_next(JobType.DEPROVISION), frozenset({"deletion-completes"})),
    "aap launch or poll answered after its timeout": Case(
        "aap", healed_after(create_then_delete(200), 300),
        frozenset({"one-deprovision", "jobs-recorded", "history-preserved"}),
        backends=BackendConfig(aap_timeout_applied_rate=0.3)),
    "aap status write after launch fails": Case(
        "aap", healed_after(create_then_delete(100), 300), frozenset({"one-active-provision", "jobs-recorded"}),
        seed=0, api=ApiSettings(server_error_rate=0.2, timeout_applied_rate=0.1)),
    "restart while the aap launch is in flight": Case(
        "aap", restart_during_trigger, frozenset({"one-active-provision", "jobs-recorded"})),
    "restart while the eda webhook is in flight": Case(
        "eda", restart_during_trigger, frozenset({"one-active-provision", "jobs-recorded"})),
    "aap second instance of a ready tenant": Case(
        "aap", second_instance_of_a_tenant,
        frozenset({"one-active-provision", "history-preserved", "job-state-recorded"}), seed=0),
    "eda second instance of a ready tenant": Case(
        "eda", second_instance_of_a_tenant, frozenset({"one-active-provision", "jobs-recorded"}), seed=0),
    "aap jobs purged before the operator sees their end": Case(
        "aap", create_then_delete(200), frozenset({"job-state-recorded", "deletion-completes"}),
        backends=BackendConfig(aap_purge_age_s=0.0)),
    "aap to eda switch during provision": Case(
        "aap", then(15, lambda w: w.switch_provider("eda")), frozenset({"job-state-recorded"})),
    "aap to eda switch during provision, then delete": Case(
        "aap", then(15, lambda w: w.switch_provider("eda"), 20),
        frozenset({"no-deprovision-during-provision", "no-leak-on-removal"})),
    "eda to aap switch during provision, then delete": Case(
        "eda", then(15, lambda w: w.switch_provider("aap"), 20),
        frozenset({"no-deprovision-during-provision", "no-leak-on-removal"})),
    "aap to eda switch after provision, then spec edit": Case(
        "aap", edit_after(200, switch_to="eda"),
        frozenset({"legal-job-transition", "job-state-recorded", "provisioning-converges"})),
    "aap spec edit after provision": Case("aap", edit_after(200), frozenset({"provisioning-converges"})),
    "aap restart request after provision": Case(
        "aap", edit_after(200, restart=True), frozenset({"provisioning-converges"})),
    "eda spec edit after provision": Case("eda", edit_after(200), frozenset({"provisioning-converges"})),
}


def run_case(case: Case) -> set[str]:
    _, violations = run_world(case.story, provider=case.provider, seed=case.seed, backends=case.backends,
                              api=case.api)
    return props(violations)


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_the_reference_controller_breaks_nothing_in(name: str) -> None:
    assert run_case(CLEAN[name]) == set()


@pytest.mark.parametrize("name", sorted(FINDINGS))
def test_the_reference_controller_is_caught_in(name: str) -> None:
    assert run_case(FINDINGS[name]) == FINDINGS[name].expected

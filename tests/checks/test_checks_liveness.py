"""deletion-completes and provisioning-converges, and the quiet time they wait for before judging."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy
from check_stories import NS, VM1, Log, create_then_delete, job, run_world

from models.config_version import desired_config_version
from models.jobs import JobState, JobType
from models.names import ANNOTATION_MANAGEMENT_STATE
from models.objects import ComputeInstanceSpec, Phase
from sim.checks.quiescence import Quiescence
from sim.checks.tracking import BackendJob
from sim.kube.runtime_events import KeyEnqueued, ManagerCrashed
from sim.world import World

DELETION = "deletion-completes"
CONVERGES = "provisioning-converges"
SPEC_VERSION = desired_config_version(ComputeInstanceSpec("osac.templates.ocp_virt_vm"))


def fail_deprovision(w: World) -> Generator[simpy.Event, Any, None]:
    w.fail_next_job(JobType.DEPROVISION)
    yield from w.create_instance("vm-1")
    yield w.env.timeout(200)
    yield from w.delete_instance("vm-1")


def edit_after_running(w: World) -> Generator[simpy.Event, Any, None]:
    yield from w.create_instance("vm-1")
    yield w.env.timeout(200)
    yield from w.edit_spec("vm-1", template_parameters='{"cpu": 4}')


def test_clean_runs_delete_and_converge() -> None:
    for provider in ("aap", "eda"):
        _, violations = run_world(create_then_delete(None), provider=provider, ids=[DELETION, CONVERGES])
        assert violations == [], provider
        _, violations = run_world(create_then_delete(20), provider=provider, ids=[DELETION, CONVERGES])
        assert violations == [], provider


def test_a_failed_aap_deprovision_blocks_deletion_on_purpose() -> None:
    world, violations = run_world(fail_deprovision, provider="aap", ids=[DELETION])
    assert violations == []
    assert world.server.peek("ComputeInstance", "cloudkit-computeinstance", "vm-1") is not None


def test_a_failed_eda_deprovision_leaves_the_instance_deleting_forever() -> None:
    _, violations = run_world(fail_deprovision, provider="eda", ids=[DELETION])
    (v,) = violations
    assert v.subject == VM1 and v.t == 1500.0
    assert "still Deleting" in v.explanation and "finalizers left: base, computeinstance-aap" in v.explanation
    assert "eda-webhook-2 (deprovision, Running" in v.explanation and "ended failed" in v.explanation


def test_deletion_is_not_judged_before_the_quiet_time_has_passed() -> None:
    world, violations = run_world(fail_deprovision, provider="eda", ids=[DELETION], until=300.0)
    (delete_job,) = world.backends.aap.jobs.for_instance(NS, "vm-1", "delete")
    assert delete_job.finished_t is not None and delete_job.finished_t + 120.0 > 300.0
    assert violations == []  # judged from the delete job's end + 3 polls + 30 s on


def test_a_spec_edit_after_provisioning_never_gets_a_provision_job() -> None:
    _, violations = run_world(edit_after_running, provider="aap", ids=[CONVERGES])
    (v,) = violations
    assert v.subject == VM1
    assert "no create job for it was launched" in v.explanation
    assert "never triggers a new provision job" in v.explanation


def test_an_applied_spec_must_show_running() -> None:
    log = Log()
    log.stored(log.ci(), "create", t=0.0)
    log.launched(9000, config_version=SPEC_VERSION, t=1.0)
    log.ended(9000, "successful", t=60.0)
    annotated = log.annotated(log.ci(phase=Phase.STARTING, jobs=[job("9000", JobState.SUCCEEDED, 1.0)]),
                              SPEC_VERSION)
    log.stored(annotated, t=61.0)
    (v,) = log.check([CONVERGES], end_t=1200.0)
    assert "applied config version" in v.explanation and "phase Starting" in v.explanation
    log.stored(log.annotated(log.ci(phase=Phase.RUNNING), SPEC_VERSION), t=90.0)
    assert log.check([CONVERGES], end_t=1200.0) == []


def test_a_failed_provision_for_the_current_spec_is_an_end_and_hands_off_instances_are_skipped() -> None:
    log = Log()
    log.stored(log.ci(), "create", t=0.0)
    log.launched(9000, config_version=SPEC_VERSION, t=1.0)
    log.ended(9000, "failed", t=60.0)
    log.stored(log.ci("vm-2", uid="uid-2", annotations={ANNOTATION_MANAGEMENT_STATE: "manual"}), "create", t=0.0)
    log.stored(log.ci("vm-3", uid="uid-3", deleted_at=0.0, annotations={ANNOTATION_MANAGEMENT_STATE: "unmanaged"}),
               "create", t=0.0)
    assert log.check([CONVERGES, DELETION], end_t=2000.0) == []


def test_quiescence_waits_for_the_last_disturbance_backoff_and_a_running_operator() -> None:
    log = Log()
    log.manager_started(t=0.0, **{"reconciler.status_poll_interval_s": 10.0})
    log.user("conflict_storm", t=100.0, duration_s=50.0)
    quiet = Quiescence()
    run = {cls: handler for cls, handler in quiet.routes()}
    for e in log.events:
        run[type(e)](e)
    assert quiet.quiet_s == 60.0 and quiet.settle_t == 150.0  # 3 polls of 10 s + 30 s
    assert not quiet.judged(("ns", "a"), 209.0) and quiet.judged(("ns", "a"), 210.0)
    assert not quiet.judged(("ns", "a"), 250.0, 200.0)  # the instance's own change at 200
    ended = BackendJob(9000, "create", ("ns", "a"), "api", "", 0, 100.0, status="successful", end_seq=1, end_t=400.0)
    running = BackendJob(9001, "create", ("ns", "a"), "api", "", 2, 100.0, status="running")
    assert not quiet.judged(("ns", "a"), 459.0, jobs=[ended]) and quiet.judged(("ns", "a"), 460.0, jobs=[ended])
    assert not quiet.judged(("ns", "a"), 1059.0, jobs=[running])  # stuck only after 900 s
    assert quiet.judged(("ns", "a"), 1060.0, jobs=[running])
    backoff = log.add(KeyEnqueued, "operator", 200.0, manager="operator", namespace="ns", name="b",
                      reason="rate_limited", delay_s=100.0)
    run[KeyEnqueued](backoff)
    assert quiet.judged(("ns", "a"), 300.0) and not quiet.judged(("ns", "b"), 300.0)
    assert quiet.judged(("ns", "b"), 360.0)
    run[ManagerCrashed](log.manager_crashed(t=1300.0))
    assert not quiet.judged(("ns", "a"), 5000.0)

"""one-active-provision and no-deprovision-during-provision: backend jobs of one instance must not overlap."""

from __future__ import annotations

from check_stories import VM1, Log, create_then_delete, of, run_world

from sim.backends.config import BackendConfig

ONE = "one-active-provision"
NO_DURING = "no-deprovision-during-provision"


def test_aap_delete_during_provision_cancels_and_waits_so_jobs_never_overlap() -> None:
    world, violations = run_world(create_then_delete(20), provider="aap", ids=[ONE, NO_DURING])
    assert world.job_ids("vm-1") == [9000, 9001]  # one create job, then one delete job after the cancel
    assert violations == []


def test_a_duplicated_eda_delivery_runs_two_create_playbooks_at_once() -> None:
    _, violations = run_world(create_then_delete(None), provider="eda", ids=[ONE],
                              backends=BackendConfig(eda_duplicate_rate=1.0))
    (v,) = of(violations, ONE)
    assert v.subject == VM1
    assert "AAP job 9001" in v.explanation and "AAP job 9000" in v.explanation
    assert "EDA delivered one create webhook twice" in v.explanation
    assert len(v.events) == 4  # both launches and both EDA rule firings


def test_eda_delete_during_provision_launches_the_delete_playbook_beside_the_running_create() -> None:
    _, violations = run_world(create_then_delete(20), provider="eda", ids=[NO_DURING])
    (v,) = violations
    assert v.property == NO_DURING and v.subject == VM1
    assert "Nobody asked AAP to cancel job 9000" in v.explanation
    assert "an EDA id" in v.explanation


def test_a_second_create_job_overlapping_two_active_ones_is_one_violation_naming_both() -> None:
    log = Log()
    log.launched(9000, t=1.0)
    log.launched(9001, t=2.0)
    log.launched(9002, t=3.0)
    log.ended(9000, t=4.0)
    log.launched(9003, t=5.0)
    violations = log.check([ONE])
    assert [v.t for v in violations] == [2.0, 3.0, 5.0]
    assert "AAP job 9000" in violations[1].explanation and "AAP job 9001" in violations[1].explanation
    assert "AAP job 9000" not in violations[2].explanation  # it had ended


def test_create_jobs_of_different_instances_may_run_together() -> None:
    log = Log()
    log.launched(9000, name="vm-1", t=1.0)
    log.launched(9001, name="vm-2", t=2.0)
    log.launched(9002, "delete", name="vm-2", t=3.0)  # vm-2's own create is active: that one counts
    assert log.check([ONE]) == []
    (v,) = log.check([NO_DURING])
    assert v.subject.endswith("/vm-2") and "AAP job 9001" in v.explanation


def test_a_create_job_launched_while_a_delete_job_runs_is_also_reported() -> None:
    log = Log()
    log.launched(9000, "delete", t=1.0)
    log.launched(9001, "create", t=2.0)
    log.ended(9001, "failed", t=3.0)
    log.launched(9002, "delete", t=4.0)  # 9000 still active, but no create job is
    (v,) = log.check([NO_DURING])
    assert v.t == 2.0 and "started during the deprovisioning" in v.explanation

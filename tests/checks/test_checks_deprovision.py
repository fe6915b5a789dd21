"""one-deprovision: one delete-playbook job per deletion (per lifetime) of an instance."""

from __future__ import annotations

from check_stories import VM1, Log, create_then_delete, of, run_world

from sim.backends.config import BackendConfig

PROP = "one-deprovision"


def test_an_aap_deletion_launches_exactly_one_delete_job() -> None:
    world, violations = run_world(create_then_delete(200), provider="aap", ids=[PROP])
    assert len(world.job_ids("vm-1")) == 2
    assert violations == []


def test_a_duplicated_eda_delete_delivery_launches_two_delete_playbooks() -> None:
    _, violations = run_world(create_then_delete(200), provider="eda", ids=[PROP],
                              backends=BackendConfig(eda_duplicate_rate=1.0))
    (v,) = of(violations, PROP)
    assert v.subject == VM1
    assert "deprovision job number 2" in v.explanation and "whose deletion was requested at t=200" in v.explanation
    assert "EDA delivered one delete webhook twice" in v.explanation


def test_a_late_delete_job_after_removal_counts_against_the_removed_object() -> None:
    log = Log()
    obj = log.ci()
    log.stored(obj, "create", t=0.0)
    log.stored(log.ci(deleted_at=10.0), "delete", t=10.0)
    log.launched(9000, "delete", t=11.0)
    log.removed(log.ci(deleted_at=10.0, finalizers=()), t=30.0)
    log.launched(9001, "delete", t=31.0)
    (v,) = log.check([PROP])
    assert v.t == 31.0 and "removed at t=30.00" in v.explanation


def test_a_recreated_instance_starts_a_new_lifetime_with_its_own_deprovision() -> None:
    log = Log()
    log.stored(log.ci(uid="uid-1"), "create", t=0.0)
    log.launched(9000, "delete", t=11.0)
    log.removed(log.ci(uid="uid-1", deleted_at=10.0, finalizers=()), t=30.0)
    log.stored(log.ci(uid="uid-2"), "create", t=40.0)
    log.launched(9001, "delete", t=50.0)
    assert log.check([PROP]) == []

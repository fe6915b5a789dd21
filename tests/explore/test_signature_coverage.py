"""Signatures strip ids, names and times and keep the decisive steps; coverage counts (state, trigger) pairs of
every machine and the user's verbs."""

from __future__ import annotations

from models.events import UserActed
from models.objects import ComputeInstance, ComputeInstanceSpec, ObjectMeta
from sim.backends.aap import AapJobLaunched, AapJobTransitioned
from sim.backends.eda import EdaRuleFired
from sim.checks.base import Violation
from sim.checks.coverage import coverage_of
from sim.explore.signature import Signature, hits_of, signature_of
from sim.kube.events import ObjectRemoved
from sim.runner import run_scenario


def _launch(seq: int, job_id: int, name: str) -> AapJobLaunched:
    return AapJobLaunched(seq, float(seq), "aap", job_id, "tpl", "job", "create", "ns", name, "", "eda", "")


def test_two_violations_that_differ_only_in_ids_names_and_times_share_a_signature() -> None:
    events_a = [_launch(0, 9000, "vm-1"), EdaRuleFired(1, 1.0, "eda", "tpl", 9000, 0, 1),
                EdaRuleFired(2, 2.0, "eda", "tpl", 9001, 0, 2)]
    events_b = [_launch(0, 9107, "vm-3"), EdaRuleFired(1, 7.5, "eda", "tpl", 9107, 4, 1),
                EdaRuleFired(2, 9.0, "eda", "tpl", 9108, 4, 2)]
    a = signature_of(Violation("one-active-provision", 2.0, "ns/vm-1", "x", (0, 1, 2)), events_a)
    b = signature_of(Violation("one-active-provision", 9.0, "ns/vm-3", "y", (0, 1, 2)), events_b)
    assert a == b
    assert a.key == "one-active-provision: AapJobLaunched(playbook=create, launched_by=eda) > EdaRuleFired(copy=2)"
    assert Signature.parse(a.key) == a and len(a.short) == 8



def test_the_same_steps_caused_by_the_environment_make_a_group_of_their_own() -> None:
    """A group never mixes environment-caused runs with controller-caused ones: its example and shrunk
    reproduction then tell one story (a mixed group showed an environment repro under an `unexpected` status)."""
    events = [_launch(0, 9000, "vm-1"), EdaRuleFired(1, 1.0, "eda", "tpl", 9000, 0, 2)]
    mine = signature_of(Violation("jobs-recorded", 2.0, "ns/vm-1", "x", (0, 1)), events)
    theirs = signature_of(Violation("jobs-recorded", 2.0, "ns/vm-1", "x", (0, 1), environment=True), events)
    assert mine.tokens == theirs.tokens and mine.key != theirs.key and mine.short != theirs.short
    assert theirs.key.endswith(" [environment]") and Signature.parse(theirs.key) == theirs

def test_incidental_steps_are_left_out_unless_nothing_else_is_left() -> None:
    ended = AapJobTransitioned(1, 1.0, "aap", 9000, "fail", "running", "failed", "boom")
    events = [_launch(0, 9000, "vm-1"), ended]
    assert signature_of(Violation("p", 1.0, "", "", (0, 1)), events).tokens == (
        "AapJobLaunched(playbook=create, launched_by=eda)", "AapJobTransitioned(ended)")
    obj = ComputeInstance(ObjectMeta("n", "ns"), ComputeInstanceSpec("tpl", ""))
    removed = signature_of(Violation("p", 1.0, "", "", (0,)), [ObjectRemoved(0, 0.0, "x", "K", "ns", "n", 3, obj)])
    assert removed.tokens == ("ObjectRemoved(kind=K)",)


def test_a_run_has_one_hit_per_signature_with_its_status() -> None:
    result = run_scenario("delete-during-provision-eda")
    hits = hits_of(result.violations, result.events, expected=result.findings, tolerated=result.tolerated)
    assert len({h.signature for h in hits}) == len(hits) > 0
    assert {h.status for h in hits} <= {"expected", "unexpected", "tolerated"}


def test_coverage_of_a_lifecycle_counts_the_pairs_each_machine_took() -> None:
    result = run_scenario("lifecycle-aap")
    cov = coverage_of(result.events)
    assert cov.machines["aap_job"][("new", "enqueue")] == 2 and cov.machines["aap_job"][("running", "succeed")] == 2
    assert cov.machines["cr_object"][("absent", "create")] == 1
    assert cov.machines["cr_object"][("terminating", "finalizers_emptied")] == 1
    assert cov.machines["instance_phase"][("Deleting", "remove")] == 1
    assert cov.machines["vm"][("absent", "create")] == 1 and cov.machines["vm"][("deleting", "vanish")] == 1
    assert cov.machines["job_record"][("none", "record_Pending")] >= 1
    assert cov.actions == {"create": 1, "delete": 1, "heal": 1}
    assert not cov.illegal
    data = cov.to_json()
    pairs = data["machines"]["aap_job"]["pairs"]
    assert len(pairs) == data["machines"]["aap_job"]["pairs_total"] and {"state", "trigger", "count"} == set(pairs[0])
    assert sum(1 for e in result.events if isinstance(e, UserActed)) == sum(cov.actions.values())

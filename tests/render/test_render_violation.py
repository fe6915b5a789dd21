"""A violation prints as its property, time and subject, the explanation wrapped, and the events that led to it."""

from __future__ import annotations

from collections.abc import Sequence

from models.events import Event
from sim.backends.aap import AapCancelRequested, AapJobLaunched
from sim.checks.base import Violation
from sim.kube.events import ObjectRemoved
from sim.render.timeline import render_violation

EXPLANATION = (
    "The user deleted vm-1 while its provision job 9000 was still running. The operator asked AAP to cancel "
    "the job and, once AAP reported it canceled, launched deprovision job 9001; the ComputeInstance left the "
    "API server before the status ever recorded 9001 as Succeeded, so the last persisted status.jobs[] still "
    "says Running for a job that finished."
)


def test_a_hand_built_violation_shows_its_words_and_its_events_by_seq(aap_story: Sequence[Event]) -> None:
    launch = next(e for e in aap_story if isinstance(e, AapJobLaunched) and e.job_id == 9001)
    cancel = next(e for e in aap_story if isinstance(e, AapCancelRequested))
    removed = next(e for e in aap_story if isinstance(e, ObjectRemoved) and e.kind == "ComputeInstance")
    violation = Violation("job-record-final", removed.t, "cloudkit-computeinstance/vm-1", EXPLANATION,
                          (removed.seq, cancel.seq, launch.seq))
    lines = render_violation(violation, aap_story)
    assert lines[0] == f"VIOLATION job-record-final at {removed.t:.2f}s: cloudkit-computeinstance/vm-1"
    body = lines[1:lines.index("  events that led to it:")]
    assert len(body) > 1 and all(len(line) <= 100 and line.startswith("  ") for line in body)
    assert " ".join(line.strip() for line in body) == EXPLANATION
    events = lines[lines.index("  events that led to it:") + 1:]
    assert [line.split()[0] for line in events] == [f"#{s}" for s in sorted((removed.seq, cancel.seq, launch.seq))]
    assert "cancel of provision job 9000 answered 202 Accepted" in events[0]
    assert "deprovision job 9001 launched for vm-1" in events[1]
    assert events[2].endswith("vm-1 removed: the ComputeInstance is gone from the API server")


def test_events_shown_in_a_violation_keep_the_context_of_the_whole_log(aap_story: Sequence[Event]) -> None:
    finalizer = next(i for i, e in enumerate(aap_story) if e.actor == "playbook/9000" and type(e).__name__ ==
                     "ObjectStored")
    violation = Violation("p", aap_story[finalizer].t, "", "x", (aap_story[finalizer].seq,))
    assert render_violation(violation, aap_story)[-1].endswith("patch vm-1: finalizer computeinstance-aap added")


def test_a_world_wide_violation_without_events_and_a_seq_missing_from_the_log_say_so(
        aap_story: Sequence[Event]) -> None:
    assert render_violation(Violation("determinism", 3.0, "", "Two runs differ."), aap_story) == [
        "VIOLATION determinism at 3s: world-wide", "  Two runs differ.", "  (no triggering events recorded)"]
    missing = render_violation(Violation("p", 1.0, "ns/vm-1", "e", (10**6,)), aap_story)
    assert missing[-1] == "    #1000000 (not in this log)"


def test_a_violation_the_environment_caused_says_so_on_its_first_line(aap_story: Sequence[Event]) -> None:
    duplicated = Violation("one-active-provision", 89.0, "ns/vm-2", "EDA delivered one create webhook twice.",
                           environment=True)
    assert render_violation(duplicated, aap_story)[0] == (
        "VIOLATION one-active-provision at 89s: ns/vm-2 [environment: no controller could have prevented it]")

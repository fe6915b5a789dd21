"""The terminal timeline tells the delete-during-provision story in order, at three nested verbosities, reproducibly."""

from __future__ import annotations

from collections.abc import Sequence

from render_runs import Play

from models.events import Event, Note, event_from_dict, event_to_dict
from sim.kube.events import ObjectStored
from sim.kube.runtime_events import ControllerLogged
from sim.render.timeline import Context, describe_event, render_timeline

FOLD_MARK = "… "


def assert_in_order(lines: Sequence[str], fragments: Sequence[str]) -> None:
    """Each fragment appears in some line after the line of the previous fragment."""
    at = 0
    for fragment in fragments:
        found = next((i for i in range(at, len(lines)) if fragment in lines[i]), None)
        assert found is not None, f"{fragment!r} not found after line {at}:\n" + "\n".join(lines)
        at = found + 1


def shown(lines: Sequence[str]) -> list[str]:
    """The event lines, without the lines that fold repeats."""
    return [line for line in lines if not line.lstrip().startswith(FOLD_MARK)]


def is_subsequence(small: Sequence[str], big: Sequence[str]) -> bool:
    remaining = iter(big)
    return all(any(line == other for other in remaining) for line in small)


def test_aap_delete_during_provision_reads_create_launch_cancel_canceled_deprovision_removed(
        aap_story: Sequence[Event]) -> None:
    lines = render_timeline(aap_story)
    assert_in_order(lines, [
        "user               create vm-1",
        "provision job 9000 launched for vm-1: template cloudkit-create-compute-instance (by api)",
        "status write: vm-1 phase Starting, jobs [9000 provision Pending]",
        "user               delete vm-1",
        "deletion requested: vm-1 (finalizers: computeinstance, computeinstance-aap)",
        "cancel of provision job 9000 answered 202 Accepted",
        "provision job 9000 running → canceled",
        "deprovision job 9001 launched for vm-1",
        "status write: vm-1 phase Deleting, jobs [9000 provision Canceled, 9001 deprovision Pending]",
        "deprovision job 9001 running → successful",
        "vm-1 removed: the ComputeInstance is gone from the API server",
    ])


def test_status_writes_and_patches_say_which_finalizer_changed(aap_story: Sequence[Event]) -> None:
    lines = render_timeline(aap_story)
    assert_in_order(lines, [
        "operator           update vm-1: finalizer computeinstance added",
        "playbook/9000      patch vm-1: finalizer computeinstance-aap added",
        "playbook/9000      create step add_finalizer done after",
        "playbook/9001      patch vm-1: finalizer computeinstance-aap removed",
    ])


def test_eda_delete_during_provision_reads_webhooks_rules_and_jobs(eda_story: Sequence[Event]) -> None:
    lines = render_timeline(eda_story)
    assert_in_order(lines, [
        "create vm-1",
        "eda                create webhook for vm-1: accepted (delivery 0)",
        "status write: vm-1 phase Starting, jobs [eda-webhook-1 provision Running]",
        "provision job 9000 launched for vm-1: template cloudkit-create-compute-instance (by eda)",
        "rule fired for delivery 0: launched provision job 9000",
        "delete vm-1",
        "delete webhook for vm-1: accepted (delivery 1)",
        "deprovision job 9001 launched for vm-1",
        "deprovision job 9001 running → successful",
        "vm-1 removed: the ComputeInstance is gone",
        "create step wait_vm_ready FAILED after",
        "provision job 9000 running → failed: timed out after 600 s waiting for VirtualMachine vm-1 to be Ready",
    ])


def test_quiet_shows_only_user_actions_jobs_removals_and_manager_starts(aap_story: Sequence[Event]) -> None:
    quiet = render_timeline(aap_story, verbosity=0)
    assert quiet[0].endswith("operator started (incarnation 1, controller ComputeInstanceReconciler, provider aap)")
    assert all(("user" in line or "aap" in line or "removed" in line or "started" in line) for line in quiet)
    assert not any("status write" in line or "cancel of" in line for line in quiet)
    assert sum("→" in line for line in quiet) == 8  # 9000: pending, waiting, running, canceled; 9001 likewise


def test_quiet_is_inside_default_which_is_inside_verbose(aap_story: Sequence[Event],
                                                          eda_story: Sequence[Event]) -> None:
    for events in (aap_story, eda_story):
        quiet, default, verbose = (render_timeline(events, verbosity=v) for v in (0, 1, 2))
        assert len(quiet) < len(default) < len(verbose)
        assert is_subsequence(shown(quiet), shown(default))
        assert is_subsequence(shown(default), verbose)


def test_verbose_shows_every_event_on_its_own_line_and_folds_nothing(aap_story: Sequence[Event]) -> None:
    verbose = render_timeline(aap_story, verbosity=2)
    assert len(verbose) == len(aap_story)
    assert not any(line.lstrip().startswith(FOLD_MARK) for line in verbose)
    assert_in_order(verbose, ["reconcile vm-1 (incarnation 1)", "→ POST aap.example/…/v2/job_templates/",
                              "← 201 for POST", "reconcile vm-1 done, requeue after 30s",
                              "enqueue vm-1 (requeue_after in 30s)"])


def test_the_same_seed_renders_the_same_lines_and_another_seed_differs(play: Play) -> None:
    first, again, other = play("aap", 5), play("aap", 5), play("aap", 6)
    for verbosity in (0, 1, 2):
        assert render_timeline(first, verbosity=verbosity) == render_timeline(again, verbosity=verbosity)
    assert render_timeline(first, verbosity=2) != render_timeline(other, verbosity=2)


def test_a_log_read_back_from_json_renders_exactly_as_the_live_one(eda_story: Sequence[Event]) -> None:
    decoded = [event_from_dict(event_to_dict(e)) for e in eda_story]
    assert render_timeline(decoded, verbosity=2) == render_timeline(eda_story, verbosity=2)


def test_repeated_polls_fold_into_one_line_that_says_how_often_and_until_when() -> None:
    def logged(seq: int, t: float, message: str) -> ControllerLogged:
        return ControllerLogged(seq, t, "operator", "operator", "ns", "vm-1", message, (("jobID", "9000"),))

    events = [logged(0, 1.0, "Provision job status"), logged(1, 31.0, "Provision job status"),
              logged(2, 61.0, "Provision job status"), logged(3, 70.0, "Triggering deprovision"),
              logged(4, 71.0, "Cancelling"), logged(5, 72.0, "Triggering deprovision"), logged(6, 73.5, "Cancelling"),
              Note(7, 80.0, "driver", "done")]
    lines = render_timeline(events)
    assert [line.strip() for line in lines] == [
        "1.00s  operator           vm-1: Provision job status (jobID=9000)",
        "… the line above repeated 2 more times (until 61s)",
        "70.00s  operator           vm-1: Triggering deprovision (jobID=9000)",
        "71.00s  operator           vm-1: Cancelling (jobID=9000)",
        "… the 2 lines above repeated once more (until 73.50s)",
        "80.00s  driver             note: done",
    ]
    assert len(render_timeline(events, verbosity=2)) == len(events)


def test_describe_event_is_none_below_its_verbosity_and_tells_changes_given_a_context(
        aap_story: Sequence[Event]) -> None:
    cache_reads = [e for e in aap_story if type(e).__name__ == "CacheRead"]
    assert describe_event(cache_reads[0]) is None
    assert describe_event(cache_reads[0], verbosity=2) is not None
    finalizer_update = next(e for e in aap_story if isinstance(e, ObjectStored) and e.verb == "update"
                            and e.kind == "ComputeInstance")
    # Alone, a version can only say what it holds; after the earlier events, what it changed.
    assert describe_event(finalizer_update) == "update vm-1 (rv 2): finalizers computeinstance"
    ctx = Context()
    texts = [describe_event(e, 1, ctx) for e in aap_story[:finalizer_update.seq + 1]]
    assert texts[-1] == "update vm-1: finalizer computeinstance added"


def test_colour_is_off_by_default_and_ansi_when_asked(aap_story: Sequence[Event]) -> None:
    assert not any("\x1b[" in line for line in render_timeline(aap_story))
    coloured = render_timeline(aap_story, verbosity=0, color=True)
    assert any("\x1b[32m" in line and "successful" in line for line in coloured)
    assert any("\x1b[1;35muser\x1b[0m" in line for line in coloured)

"""The per-instance summary: final phase, jobs recorded against jobs launched, VMs left, and totals that add up."""

from __future__ import annotations

from collections.abc import Sequence

from render_runs import Play

from models.events import Event
from sim.kube.events import ApiCallRejected, ObjectRemoved, ObjectStored, ObjectUnchanged
from sim.kube.runtime_events import ReconcileStarted
from sim.render.timeline import render_summary


def test_an_instance_deleted_during_provision_is_gone_with_both_aap_jobs_and_no_vm(aap_story: Sequence[Event]) -> None:
    removed = next(e for e in aap_story if isinstance(e, ObjectRemoved) and e.kind == "ComputeInstance")
    lines = render_summary(aap_story)
    text = "\n".join(lines)
    assert lines[:3] == [
        "instances:",
        f"  cloudkit-computeinstance/vm-1: gone (removed at {removed.t:.2f}s)",
        "    finalizers left: none",
    ]
    assert f"    jobs recorded (last version, rv {removed.resource_version}, removed at {removed.t:.2f}s):" in text
    assert "      9000  provision    Canceled  canceled" in lines
    assert "    jobs launched in AAP (1 create, 1 delete):" in lines
    assert any(line.startswith("      create  9000  canceled    by api at 2.47s, ended ") for line in lines)
    assert any(line.startswith("      delete  9001  successful  by api at ") for line in lines)
    assert "    VMs left in the cloud: 0" in lines


def test_the_eda_summary_counts_webhooks_and_shows_why_the_orphaned_create_job_failed(
        eda_story: Sequence[Event]) -> None:
    lines = render_summary(eda_story)
    assert "    EDA webhooks: create accepted ×1, delete accepted ×1" in lines
    assert any(line.startswith("      eda-webhook-1  provision    Unknown  EDA provider does not support")
               for line in lines)
    failed = next(line for line in lines if line.startswith("      create  9000  failed"))
    assert failed.endswith("timed out after 600 s waiting for VirtualMachine vm-1 to be Ready")


def test_totals_count_events_time_writes_conflicts_and_reconciles(aap_story: Sequence[Event]) -> None:
    writes = sum(isinstance(e, ObjectStored | ObjectUnchanged) for e in aap_story)
    conflicts = sum(isinstance(e, ApiCallRejected) and e.code == 409 for e in aap_story)
    reconciles = sum(isinstance(e, ReconcileStarted) for e in aap_story)
    assert conflicts > 0 and reconciles > 0
    assert render_summary(aap_story)[-1] == (
        f"totals: {len(aap_story)} events, {aap_story[-1].t:.2f}s simulated, {writes} API writes, "
        f"{conflicts} conflicts, {reconciles} reconciles")


def test_running_instances_keep_their_finalizers_and_their_vms_are_listed_as_left(play: Play) -> None:
    events = play("aap", 3, delete_after_s=None, instances=("vm-1", "vm-2"), horizon_s=300.0)
    lines = render_summary(events)
    starts = [i for i, line in enumerate(lines) if line.startswith("  cloudkit-computeinstance/")]
    assert [lines[i] for i in starts] == ["  cloudkit-computeinstance/vm-1: phase Running",
                                          "  cloudkit-computeinstance/vm-2: phase Running"]
    assert lines.count("    finalizers left: computeinstance, computeinstance-aap") == 2
    left = [line for line in lines if line.startswith("    VMs left in the cloud: 1 — ")]
    assert len(left) == 2 and "VirtualMachine tenant-a-" in left[0]
    assert "      create  9000  successful" in "\n".join(lines)


def test_an_empty_log_has_no_instances_and_zero_totals() -> None:
    assert render_summary([]) == ["instances: none",
                                  "totals: 0 events, 0s simulated, 0 API writes, 0 conflicts, 0 reconciles"]

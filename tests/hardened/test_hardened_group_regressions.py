"""The minimal reproductions a hardened campaign found (docs/findings.md F14 and the fixes it brought): fixed now.

Each file in `regressions/` is a shrunk scenario from `python -m sim fuzz --controller hardened` (or from a swarm
scan, or written for a fix; the file's header says), named after its story and keeping its seed. Under the hardened
controller the property it broke holds now; where the reference breaks the same property on the same run, the test
says so too (the setup still shows the finding).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hardened_world import answering

from models.jobs import JobRecord
from models.objects import ComputeInstance
from sim.kernel.effects import Effect, HttpRequest, ReconcileResult
from sim.operator.hardened_jobs import AAPJobs, Observation
from sim.operator.hardened_launches import Answer, bounded, drive
from sim.operator.hardened_waits import WaitSteps
from sim.operator.types import Co
from sim.runner import run_scenario

T = TypeVar("T")

REGRESSIONS = Path(__file__).parent / "regressions"

# file stem -> (the property the hardened controller broke, whether the reference breaks it on the same run)
BROKE: dict[str, tuple[str, bool]] = {
    # F14: an EDA delete job that failed is seen in AAP's job list and recorded Failed, blocking, at once.
    "eda-delete-job-fails": ("deletion-completes", True),
    "eda-delete-job-fails-and-is-purged": ("deletion-completes", True),
    "eda-delete-job-fails-then-resent": ("one-deprovision", False),
    "eda-delete-job-fails-across-crashes": ("one-deprovision", False),
    "eda-delete-job-fails-while-create-unseen": ("deletion-completes", False),
    "aap-to-eda-delete-job-fails": ("deletion-completes", True),
    "aap-to-eda-delete-job-fails-and-is-purged": ("deletion-completes", True),
    "aap-to-eda-delete-after-restart-request": ("deletion-completes", False),
    "aap-cancel-then-eda-delete-fails": ("deletion-completes", False),
    "eda-to-aap-delete-job-failed": ("one-deprovision", True),
    # F14: the create job's end is read in AAP, not waited for 720 s, and recorded on its entry.
    "aap-to-eda-create-fails-then-delete": ("deletion-completes", False),
    "aap-create-fails-then-eda-delete": ("deletion-completes", True),
    "aap-canceled-create-then-eda-delete": ("job-state-recorded", False),
    "aap-to-eda-delete-job-purged": ("job-state-recorded", False),
    # F14: a create job AAP shows running is waited for, even once it annotated (its last task is not its end).
    "eda-create-fails-after-annotating": ("no-deprovision-during-provision", True),
    "eda-to-aap-create-still-running": ("no-deprovision-during-provision", True),
    "eda-restart-request-create-still-running": ("one-active-provision", False),
    "eda-crash-then-spec-edit": ("one-active-provision", False),
    # F14: an AAP launch in flight is looked up whatever the provider now; a lookup error is asked again.
    "aap-restart-then-switch-launch-lost": ("jobs-recorded", True),
    "aap-create-launch-lookup-fails": ("jobs-recorded", True),
    "aap-delete-launch-lookup-fails": ("jobs-recorded", False),
    # An abandoned delete webhook is not left as a final, non-blocking deprovision entry.
    "eda-abandoned-delete-webhook": ("deletion-completes", True),
    # A launch in flight when the instance is handed to a human is still recorded once its job shows.
    "eda-launch-in-flight-under-manual": ("jobs-recorded", False),
    # F14: the annotation is not the create job's end (the answer to that patch can time out and fail the job);
    # while AAP merely fails to answer, no Succeeded is inferred from it: AAP, asked again, shows the end.
    "aap-to-eda-create-fails-after-annotating-aap-times-out": ("job-state-recorded", True),
    "aap-to-eda-create-fails-after-annotating-then-delete": ("legal-job-transition", False),
    "eda-create-annotated-job-list-fails-then-spec-edit": ("one-active-provision", False),
    # F3: an answered launch whose recording status write failed on every attempt is recorded from memory.
    "eda-delete-launch-record-lost-in-conflicts": ("jobs-recorded", False),
    "eda-delete-launch-record-lost-then-crash": ("one-deprovision", False),
    "eda-to-aap-delete-launch-record-lost-in-faults": ("jobs-recorded", False),
    "aap-create-launch-record-lost-in-conflicts": ("jobs-recorded", True),
    # F14: the end the AAP provider's readiness check read (§11.4) is kept when the delete launch after it fails
    # (a template lookup timing out) or goes unanswered; AAP purged the job before anyone asked again.
    "aap-canceled-create-read-then-delete-launch-fails": ("job-state-recorded", False),
    "aap-canceled-create-read-then-template-lookup-fails": ("job-state-recorded", True),
    # F14: under `manual` the operator does not act, but still reads the provision job's end in AAP: a create job
    # failing after its annotation is recorded Failed before AAP purges it (not inferred Succeeded afterwards).
    "aap-create-fails-after-annotating-while-unmanaged-then-manual": ("job-state-recorded", True),
    "aap-create-fails-after-annotating-under-manual": ("job-state-recorded", True),
    # F7/F14: a status poll that got no answer is asked again at once; the job may end and be purged meanwhile.
    "aap-create-fails-after-annotating-poll-times-out": ("job-state-recorded", True),
    # F14: the end the readiness check read is persisted before the template lookup and launch (a crash follows).
    "aap-canceled-create-read-then-crash": ("job-state-recorded", True),
    # F3/F4: the job of a launch whose answer timed out is looked up in AAP's list at once, not a poll later.
    "aap-create-launch-unanswered-worker-held": ("jobs-recorded", True),
    "aap-create-launch-unanswered-then-unmanaged": ("jobs-recorded", True),
    # A duplicated EDA delivery: the lost launch's entry follows the copy still running, not the one that ended.
    "eda-duplicated-create-adopted-copy-ended": ("one-active-provision", True),
    # Under `manual` a delete launch in flight is looked up (read only) and recorded before the base finalizer goes.
    "eda-delete-launch-in-flight-under-manual": ("one-deprovision", False),
    # F16: a CI that finds a Tenant it does not own (re-created under the same name) adds its owner reference.
    "tenant-recreated-while-terminating": ("provisioning-converges", True),
    # F7: AAP reads get 10 s, not 30: the only worker waited out other instances' unanswered polls while a job ended
    # and was purged (swarm seeds 7004, 7720).
    "aap-create-job-ends-while-worker-held-by-hung-polls": ("job-state-recorded", True),
    "aap-create-job-ends-while-two-polls-hang": ("job-state-recorded", True),
    # F14: once AAP's job list answers that no job of a launch exists, a launched job would show within 120 s: a lost
    # webhook is settled then, not after the playbook's 720 s; a delete job not listed by then is recorded Failed
    # (swarm seed 12776).
    "eda-delete-webhook-unanswered-then-delete-job-fails-and-is-purged": ("deletion-completes", False),
    "eda-provision-launch-lost-then-delete-job-fails-and-is-purged": ("deletion-completes", True),
    # F14/F2: the annotation is not the create job's end; while AAP merely fails to answer, the delete launch waits.
    "eda-create-annotated-aap-unreadable-then-delete": ("no-deprovision-during-provision", True),
    # F7: an end a poll showed is kept in memory until a status write records it (the write failed, AAP purged the job).
    "aap-create-job-end-read-then-status-write-lost-in-conflicts": ("job-state-recorded", True),
    # F3/F4, F7: a lookup in AAP's job list that gets no answer is asked again at once, as a status poll is (swarm seed
    # 27941); and every AAP request, a launch too, holds the only worker 10 s at most (swarm seed 28646).
    "aap-create-launch-lookup-unanswered-after-crash": ("jobs-recorded", True),
    "aap-create-launch-lookup-unanswered-worker-held": ("jobs-recorded", True),
    "aap-create-launch-lost-then-worker-held-by-another-launch": ("jobs-recorded", False),
    # F7, F14: every read of AAP's job API that gets no answer is asked again at once, not only the lookup of a lost
    # launch: the end of an AAP job inherited across a switch to EDA is read there only (swarm seed 6733).
    "aap-create-job-ends-after-switch-to-eda-read-unanswered": ("job-state-recorded", False),
    # F3/F4: a failed lookup of a lost launch's job is asked again sooner than a poll interval, so that another
    # instance's hung request does not hold it past one (swarm seed 12959, found after seed 6733's fix).
    "aap-create-launch-lookup-fails-then-worker-held-by-hung-poll": ("jobs-recorded", False),
    # F17: under `manual` the base finalizer stays while a create job of the instance may still run (listed and not
    # ended in AAP, or a launch not listed yet), then goes as §2.6 says (swarm seeds 26020, 27712, 34158, 39257).
    "eda-delete-then-manual-while-create-job-pending": ("no-leak-on-removal", False),
    "aap-create-pending-then-manual-then-delete": ("no-leak-on-removal", True),
    "eda-create-unlisted-then-manual-delete-recreate": ("one-active-provision", True),
    # F18: the CR goes only once AAP no longer lists the EDA delete job that removed its finalizer (swarm seed 63534).
    "eda-delete-last-patch-answer-lost-then-recreated": ("no-deprovision-during-provision", False),
    # F19: a launch in flight is looked up even when the reconcile ends at a Tenant not Ready (swarm seed 73736).
    "aap-launch-record-lost-in-crash-while-tenant-not-ready": ("jobs-recorded", True),
}

# Runs where an environment fault (an unanswered poll, a duplicated EDA delivery) still breaks the same property,
# attributed to the environment: only the controller-caused violation must be gone.
ENVIRONMENT_LEFT = {"eda-duplicated-create-adopted-copy-ended",
                    "aap-create-job-end-read-then-status-write-lost-in-conflicts",
                    "aap-create-launch-lost-then-worker-held-by-another-launch"}


def violated(stem: str, controller: str, *, unexpected_only: bool = False) -> set[str]:
    return {v.property for v in run_scenario(REGRESSIONS / f"{stem}.toml", controller=controller).violations
            if not (unexpected_only and v.environment)}


def test_every_saved_reproduction_is_listed() -> None:
    assert {p.stem for p in REGRESSIONS.glob("*.toml")} == set(BROKE)


@pytest.mark.parametrize("stem", sorted(ENVIRONMENT_LEFT))
def test_a_run_excused_for_the_environment_still_shows_the_environment_there(stem: str) -> None:
    """An entry of ENVIRONMENT_LEFT relaxes its check to unexpected violations only: it must still need it (an
    entry whose run shows nothing any more only hides what the strict check would catch)."""
    prop, _ = BROKE[stem]
    runs = run_scenario(REGRESSIONS / f"{stem}.toml", controller="hardened").violations
    assert any(v.property == prop and v.environment for v in runs), "no longer needed: drop it from ENVIRONMENT_LEFT"


@pytest.mark.parametrize("stem", sorted(BROKE))
def test_the_hardened_controller_no_longer_breaks_the_property(stem: str) -> None:
    prop, reference_breaks = BROKE[stem]
    assert prop not in violated(stem, "hardened", unexpected_only=stem in ENVIRONMENT_LEFT)
    if reference_breaks:
        assert prop in violated(stem, "reference"), "the setup no longer shows the finding under the reference"


# Fixes in helpers, not overrides (test_hardened_regressions.py puts back overridden methods): each one's saved run,
# with only that helper put back as it was, shows the property again — the other fixes do not cover for it.
def ask_once(call: Callable[[], Co[T]]) -> Co[Answer[T]]:
    """AAP's job-API reads before seed 27941's fix (and 6733's, since both share `AAPJobs.read` now): one request,
    and a failure waits for the requeue."""
    return drive(call())


def read_once(call: Callable[[], Co[T]]) -> Co[T]:
    """A read of `AAPJobs.observe` before seed 6733's fix: one request, and no answer waits for the requeue."""
    answer = yield from drive(call())
    return (yield from answer.replay())


FIXED_OBSERVE = AAPJobs.observe


def observe_reading_once(self: AAPJobs, instance: ComputeInstance, entry: JobRecord) -> Co[Observation]:
    """`AAPJobs.observe` before seed 6733's fix: its reads asked once (the job-list lookup of a lost launch, which
    shares `AAPJobs.read` with it now, asked again since seed 27941's fix, and still does)."""
    once = copy.copy(self)
    once.read = read_once  # type: ignore[method-assign]
    return FIXED_OBSERVE(once, instance, entry)


def bound_reads_only(effect: Effect) -> Effect:
    """The deadline before seed 28646's fix: only reads got 10 s; launches and cancels kept the client's 30 s."""
    return bounded(effect) if isinstance(effect, HttpRequest) and effect.method == "GET" else effect


def requeue_after_poll_interval(self: WaitSteps) -> ReconcileResult:
    """`WaitSteps.lookup_requeue` before seed 12959's fix: a failed lookup waited a whole poll interval."""
    return self.poll_requeue()


# `manual_removal_waits` before F17's fix: under `manual` the base finalizer went at once (§2.6);
# `delete_job_still_running` before F18's: a success read from the finalizer released the CR.
REMOVE_AT_ONCE = ("sim.operator.hardened_waits.WaitSteps", "manual_removal_waits", answering(""))
PUT_BACK: dict[str, tuple[str, str, Callable[..., Any]]] = {
    "aap-create-launch-lookup-unanswered-worker-held": ("sim.operator.hardened_jobs", "ask", ask_once),
    "aap-create-job-ends-after-switch-to-eda-read-unanswered":
        ("sim.operator.hardened_jobs.AAPJobs", "observe", observe_reading_once),
    "aap-create-launch-lookup-fails-then-worker-held-by-hung-poll":
        ("sim.operator.hardened_waits.WaitSteps", "lookup_requeue", requeue_after_poll_interval),
    "aap-create-launch-lost-then-worker-held-by-another-launch":
        ("sim.operator.hardened_launches", "bounded", bound_reads_only),
    "eda-delete-then-manual-while-create-job-pending": REMOVE_AT_ONCE,
    "aap-create-pending-then-manual-then-delete": REMOVE_AT_ONCE,
    "eda-create-unlisted-then-manual-delete-recreate": REMOVE_AT_ONCE,
    "eda-delete-last-patch-answer-lost-then-recreated":
        ("sim.operator.hardened_deletes.DeleteSteps", "delete_job_still_running", answering(False)),
}


@pytest.mark.parametrize("stem", sorted(PUT_BACK))
def test_without_the_fix_the_property_is_broken_again(stem: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module, name, before = PUT_BACK[stem]
    monkeypatch.setattr(f"{module}.{name}", before)
    assert BROKE[stem][0] in violated(stem, "hardened", unexpected_only=True)

"""F18: a CR whose EDA delete job removed its finalizer is released only once AAP no longer lists the job running.

The story: vm-1 is provisioned through EDA and deleted. The delete playbook's last task removes the
`computeinstance-aap` finalizer, and that patch's answer is lost: the server applied it, and the playbook waits out
its client's 10-s timeout before its job ends (failed). The user re-creates vm-1 as soon as the name is free.

The EDA provider reads the finalizer's removal as the delete job's success (§10.3). The reference releases the CR
at once, so the new vm-1's create job starts while the old delete job still runs (`no-deprovision-during-provision`:
a playbook acts by name). `hardened` keeps its base finalizer until AAP lists that delete job as ended, so the name
is free only then, and the new create job starts after it.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any, TypeVar

import pytest
import simpy
from hardened_world import VM, answering, properties, run_story

from sim.backends.config import BackendConfig
from sim.kernel.choice import Dist, SeededChoiceSource
from sim.operator.hardened_deletes import DeleteSteps
from sim.world import ApiSettings, World

T = TypeVar("T")
DELETE_PLAYBOOK = "api/playbook/9001"  # vm-1's create job is AAP job 9000, its delete job 9001
PROPERTY = "no-deprovision-during-provision"


class DeletePlaybookPatchAnswerLost(SeededChoiceSource):
    """Seeded, except that every patch of the delete playbook times out after the server has applied it."""

    def chance(self, stream: str, name: str, p: float) -> bool:
        return True if stream == DELETE_PLAYBOOK and name.endswith("/patch/fault") else super().chance(stream, name, p)

    def weighted(self, stream: str, name: str, options: Sequence[T], weights: Sequence[float]) -> T:
        if stream == DELETE_PLAYBOOK and name.endswith("/patch/fault_kind"):
            return next(o for o in options if o == "timeout_applied")
        return super().weighted(stream, name, options, weights)


def delete_then_recreate_when_free(w: World) -> Generator[simpy.Event, Any, None]:
    """Create vm-1, delete it once provisioned, and create it again the moment the API server no longer has it."""
    yield from w.create_instance(VM)
    yield w.env.timeout(200.0)
    yield from w.delete_instance(VM)
    namespace = w.config.operator.namespace
    while w.server.peek("ComputeInstance", namespace, VM) is not None:
        yield w.env.timeout(0.05)
    yield from w.create_instance(VM)


def run(controller: str) -> set[str]:
    _, violations = run_story(delete_then_recreate_when_free, controller, provider="eda", until=900.0,
                              backends=BackendConfig(eda_launch_delay_s=Dist.fixed(1.0)),
                              api=ApiSettings(timeout_applied_rate=1e-12),  # > 0: the fault is drawn for
                              choices=DeletePlaybookPatchAnswerLost(1))     # the delete playbook's patches
    return properties(violations)


def test_the_reference_starts_the_new_create_job_while_the_old_delete_job_still_runs() -> None:
    assert PROPERTY in run("reference")


def test_hardened_releases_the_cr_only_once_the_delete_job_has_ended() -> None:
    assert run("hardened") == set()


def test_without_the_wait_hardened_breaks_the_property_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DeleteSteps, "delete_job_still_running", answering(False))
    assert PROPERTY in run("hardened")

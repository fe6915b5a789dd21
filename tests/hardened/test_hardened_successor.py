"""F15: a removed ComputeInstance's status must not land on the object re-created under its name.

The story: vm-1 is provisioned and deleted; the operator's Update removing the base finalizer is applied but
its answer times out (a one-off `timeout_applied` fault); the object leaves the API server and the user
re-creates vm-1 at once. §3 step 5 still writes the status computed for the removed object after the
handler's error, and the write re-reads the object by name: without a uid check it replaces the new vm-1's
status with the old one's (phase Deleting, the old jobs), and the new vm-1 never gets a job of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import simpy

from models.names import KIND_COMPUTE_INSTANCE
from models.objects import ComputeInstance
from sim.kube.apiserver import Key
from sim.kube.client import ApiClient, ApiFaultRates, ApiFaults
from sim.kube.events import ObjectRemoved, ObjectStored
from sim.world import World
from tests.hardened.hardened_world import VM, run_story

T = Any


def time_out_next_finalizer_removal(client: ApiClient) -> None:
    """Arm a one-off fault: the client's next ComputeInstance Update is applied, but its answer times out."""
    original = client._call
    armed = [True]

    def call(verb: str, key: Key, op: Callable[[], T], *, write: bool = True) -> Generator[simpy.Event, Any, T]:
        if not (armed[0] and verb == "update" and key[0] == KIND_COMPUTE_INSTANCE):
            return (yield from original(verb, key, op, write=write))
        armed[0] = False
        healthy = client.faults
        client.faults = ApiFaults(rates=ApiFaultRates(timeout_applied=1.0), latency=healthy.latency,
                                  timeout_s=healthy.timeout_s)
        try:
            return (yield from original(verb, key, op, write=write))
        finally:
            client.faults = healthy

    client._call = call  # type: ignore[method-assign]


def delete_then_recreate(w: World) -> Generator[simpy.Event, Any, None]:
    """Provision vm-1, delete it with the finalizer-removal answer lost, and re-create it once it is gone."""
    removed = w.env.event()

    def on_event(event: ObjectRemoved) -> None:
        if event.kind == KIND_COMPUTE_INSTANCE and event.name == VM and not removed.triggered:
            removed.succeed()

    w.kernel.log.subscribe(on_event, ObjectRemoved)
    yield from w.create_instance(VM)
    yield w.env.timeout(200)
    time_out_next_finalizer_removal(w.manager.client)
    yield from w.delete_instance(VM)
    yield removed
    yield from w.create_instance(VM)


def stored_instances(w: World) -> list[ComputeInstance]:
    """Every version of vm-1 the API server committed, in order."""
    return [e.obj for e in w.kernel.log.events if isinstance(e, ObjectStored) and e.kind == KIND_COMPUTE_INSTANCE
            and e.name == VM and isinstance(e.obj, ComputeInstance)]


def successor_story(controller: str) -> tuple[set[str], set[str], list[ComputeInstance]]:
    """Run the story; the first object's job ids, every job id the successor ever held, the successor's versions."""
    w, _ = run_story(delete_then_recreate, controller, until=900.0)
    versions = stored_instances(w)
    first_uid = versions[0].metadata.uid
    old_jobs = {j.job_id for v in versions if v.metadata.uid == first_uid for j in v.status.jobs}
    successor = [v for v in versions if v.metadata.uid != first_uid]
    return old_jobs, {j.job_id for v in successor for j in v.status.jobs}, successor


def test_the_story_removes_vm_1_with_its_jobs_and_re_creates_it() -> None:
    old_jobs, _, successor = successor_story("hardened")
    assert old_jobs, "the first vm-1 ran jobs"
    assert successor, "vm-1 was re-created"


def test_hardened_never_writes_the_removed_objects_status_onto_its_successor() -> None:
    old_jobs, successor_jobs, successor = successor_story("hardened")
    assert not old_jobs & successor_jobs
    assert all(v.status.phase != "Deleting" for v in successor)
    assert successor_jobs, "the successor got a provision job of its own"


def test_the_reference_writes_the_removed_objects_status_onto_its_successor() -> None:
    old_jobs, successor_jobs, _ = successor_story("reference")
    assert old_jobs & successor_jobs
    assert successor_jobs <= old_jobs, "the successor never gets a provision job of its own"

"""The scripts of the story tests: what the user and the operator's owner do, and when; one function per story.

Every story is a function `(seed) -> Story` that builds a world, plays its script to a horizon and
returns the finished `Story` for the tests to read. `STORIES` lists them by name, and `played(name)`
caches the seed-1 run so that several tests can read one story without running it again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import simpy
from story_world import Gen, Story, StoryFn, view

from models.events import Event
from models.jobs import JobState, JobType
from models.names import FINALIZER_COMPUTE_INSTANCE_AAP, KIND_COMPUTE_INSTANCE
from models.objects import ComputeInstance, Phase
from sim.backends.aap import AapJobLaunched
from sim.backends.config import BackendConfig
from sim.kernel.choice import Dist
from sim.kube.events import ObjectStored
from sim.operator.config import ProviderName

HORIZON_S = 400.0  # every story but the long EDA one is over well before this
SWITCH_SETTLE_S = 20.0  # after a provider switch: the restart delay (10 s) plus a little for the initial list


def when_logged(story: Story, predicate: Callable[[Event], bool]) -> simpy.Event:
    """A simpy event that succeeds (with the event) at the first log event satisfying `predicate`."""
    fired = story.world.env.event()

    def check(event: Event) -> None:
        if not fired.triggered and predicate(event):
            fired.succeed(event)

    story.world.kernel.log.subscribe(check)
    return fired


def _aap_finalizer_added(name: str) -> Callable[[Event], bool]:
    """The create playbook's first task has stored the `computeinstance-aap` finalizer on the CR `name`."""
    def added(e: Event) -> bool:
        return (isinstance(e, ObjectStored) and e.kind == KIND_COMPUTE_INSTANCE and e.name == name
                and e.verb == "patch" and FINALIZER_COMPUTE_INSTANCE_AAP in e.obj.metadata.finalizers)
    return added


def _has_aap_finalizer(ci: ComputeInstance | None) -> bool:
    return ci is not None and FINALIZER_COMPUTE_INSTANCE_AAP in ci.metadata.finalizers


def _note_jobs(story: Story, moment: str) -> None:
    ci = story.ci()
    story.mark(moment)
    story.notes[f"jobs at {moment}"] = [] if ci is None else view(ci.status.jobs)
    story.notes[f"finalizers at {moment}"] = [] if ci is None else list(ci.metadata.finalizers)


# -- §16.1 and §16.2 ---------------------------------------------------------------------------------
def creation(provider: ProviderName, seed: int) -> Story:
    """§16.1: create, then watch until the phase is Running."""
    s = Story(provider, seed)

    def script() -> Gen:
        yield from s.world.create_instance(s.name)
        s.mark("created")
        yield from s.until_phase(Phase.RUNNING)
        s.mark("running")
    return s.play(script(), 300.0)


def deletion(provider: ProviderName, seed: int) -> Story:
    """§16.2: create, wait for Running, delete, wait for NotFound."""
    s = Story(provider, seed)

    def script() -> Gen:
        yield from s.world.create_instance(s.name)
        yield from s.until_phase(Phase.RUNNING)
        _note_jobs(s, "delete")
        yield from s.world.delete_instance(s.name)
        yield from s.until_gone()
        s.mark("gone")
    return s.play(script(), HORIZON_S)


# -- §16.3 ---------------------------------------------------------------------------------------------
def _references_vm(ci: ComputeInstance | None) -> bool:
    return ci is not None and ci.status.virtual_machine_reference is not None


def aap_delete_while_vm_boots(seed: int) -> Story:
    """§16.3 with AAP: delete while the provision job runs and the CR already references its (booting) VM."""
    s = Story("aap", seed)

    def script() -> Gen:
        yield from s.world.create_instance(s.name)
        yield from s.until("VM referenced while provisioning", _references_vm)
        _note_jobs(s, "delete")
        yield from s.world.delete_instance(s.name)
        yield from s.until_gone()
        s.mark("gone")
    return s.play(script(), HORIZON_S)


def aap_delete_as_soon_as_provision_runs(seed: int) -> Story:
    """§16.3 with AAP: delete at the first sample showing the provision job Running (before the VM exists)."""
    s = Story("aap", seed)

    def script() -> Gen:
        yield from s.world.create_instance(s.name)
        yield from s.until_latest(JobType.PROVISION, lambda j: j.state == JobState.RUNNING, "provision job Running")
        _note_jobs(s, "delete")
        yield from s.world.delete_instance(s.name)
        yield from s.until_gone()
        s.mark("gone")
    return s.play(script(), HORIZON_S)


def eda_delete_before_aap_finalizer(seed: int) -> Story:
    """§16.3 with EDA: delete as soon as eda-webhook-1 is recorded, before the create playbook's first task."""
    s = Story("eda", seed)

    def script() -> Gen:
        yield from s.world.create_instance(s.name)
        yield from s.until_latest(JobType.PROVISION, lambda j: j.job_id != "", "provision jobID non-empty")
        _note_jobs(s, "delete")
        yield from s.world.delete_instance(s.name)
        yield from s.until_gone()
        s.mark("gone")
    return s.play(script(), 300.0)


def eda_delete_after_aap_finalizer(seed: int) -> Story:
    """§16.3 with EDA: delete once the create playbook has added its finalizer, while it still runs.

    The horizon lets the orphaned create job reach its end (the 600 s VM-Ready wait).
    """
    s = Story("eda", seed)

    def script() -> Gen:
        yield from s.world.create_instance(s.name)
        yield from s.until("computeinstance-aap finalizer", _has_aap_finalizer)
        _note_jobs(s, "delete")
        yield from s.world.delete_instance(s.name)
        yield from s.until_gone()
        s.mark("gone")
        s.notes["active AAP jobs at gone"] = [(j.job_id, j.playbook, j.status) for j in s.aap_jobs() if j.active]
    return s.play(script(), 700.0)


# Timings inside the default ranges (BackendConfig) that let EDA's delete job overtake the create job.
FAST_EDA_DELETE = BackendConfig(
    eda_launch_delay_s=Dist.fixed(1.0), aap_pending_s=Dist.fixed(0.5), aap_waiting_s=Dist.fixed(0.5),
    playbook_add_finalizer_s=Dist.fixed(1.0), playbook_create_vm_s=Dist.fixed(5.0),
    playbook_delete_vm_s=Dist.fixed(1.0))
SHARED_TENANT_NEIGHBOUR = "vm-2"


def eda_delete_overtakes_create_with_shared_tenant(seed: int) -> Story:
    """§16.3 with EDA, tenant shared with vm-2: vm-1 is deleted right after the create playbook's finalizer task."""
    s = Story("eda", seed, backends=FAST_EDA_DELETE)
    s.watch(s.name, SHARED_TENANT_NEIGHBOUR)

    def script() -> Gen:
        yield from s.world.create_instance(SHARED_TENANT_NEIGHBOUR)
        finalizer = when_logged(s, _aap_finalizer_added(s.name))
        yield from s.world.create_instance(s.name)
        yield finalizer
        _note_jobs(s, "delete")
        yield from s.world.delete_instance(s.name)
        yield from s.until_gone()
        s.mark("gone")
    return s.play(script(), 300.0)


# -- §12.1: restarts and provider switches -----------------------------------------------------------
def provider_switch(first: ProviderName, then: ProviderName, seed: int) -> Story:
    """§12.1: create with `first`, wait for Running, restart the operator with `then`, delete."""
    s = Story(first, seed)

    def script() -> Gen:
        yield from s.world.create_instance(s.name)
        yield from s.until_phase(Phase.RUNNING)
        _note_jobs(s, "switch")
        s.world.switch_provider(then)
        yield s.world.env.timeout(SWITCH_SETTLE_S)
        _note_jobs(s, "delete")
        yield from s.world.delete_instance(s.name)
        yield from s.until_gone()
        s.mark("gone")
    return s.play(script(), HORIZON_S)


def restart_mid_provision(provider: ProviderName, seed: int) -> Story:
    """An operator restart with the same provider while the recorded provision job is in flight."""
    s = Story(provider, seed)
    in_flight = JobState.RUNNING if provider == "aap" else JobState.UNKNOWN  # EDA: Unknown after the first poll

    def script() -> Gen:
        yield from s.world.create_instance(s.name)
        yield from s.until_latest(JobType.PROVISION, lambda j: j.state == in_flight,
                                  f"provision job {in_flight.value}")
        _note_jobs(s, "restart")
        s.world.restart_operator()
        yield from s.until_phase(Phase.RUNNING)
        _note_jobs(s, "running")
    return s.play(script(), 300.0)


def aap_restart_between_launch_and_record(seed: int) -> Story:
    """An operator restart at the instant AAP launched the provision job, before the launch answer is back."""
    s = Story("aap", seed)

    def script() -> Gen:
        launched = when_logged(s, lambda e: isinstance(e, AapJobLaunched) and e.instance_name == s.name)
        yield from s.world.create_instance(s.name)
        yield launched
        _note_jobs(s, "restart")
        s.world.restart_operator()
        yield from s.until_phase(Phase.RUNNING)
        _note_jobs(s, "running")
    return s.play(script(), 300.0)


STORIES: dict[str, StoryFn] = {
    "s16_1_creation_aap": functools.partial(creation, "aap"),
    "s16_1_creation_eda": functools.partial(creation, "eda"),
    "s16_2_deletion_aap": functools.partial(deletion, "aap"),
    "s16_2_deletion_eda": functools.partial(deletion, "eda"),
    "s16_3_aap_delete_while_vm_boots": aap_delete_while_vm_boots,
    "s16_3_aap_delete_as_soon_as_provision_runs": aap_delete_as_soon_as_provision_runs,
    "s16_3_eda_delete_before_aap_finalizer": eda_delete_before_aap_finalizer,
    "s16_3_eda_delete_after_aap_finalizer": eda_delete_after_aap_finalizer,
    "s16_3_eda_delete_overtakes_create_with_shared_tenant": eda_delete_overtakes_create_with_shared_tenant,
    "s12_1_switch_eda_to_aap": functools.partial(provider_switch, "eda", "aap"),
    "s12_1_switch_aap_to_eda": functools.partial(provider_switch, "aap", "eda"),
    "s12_1_restart_mid_provision_aap": functools.partial(restart_mid_provision, "aap"),
    "s12_1_restart_mid_provision_eda": functools.partial(restart_mid_provision, "eda"),
    "s12_1_aap_restart_between_launch_and_record": aap_restart_between_launch_and_record,
}


@functools.cache
def played(name: str, seed: int = 1) -> Story:
    """The story `name` played once with `seed` (shared by the tests that read it; never mutate it)."""
    return STORIES[name](seed)


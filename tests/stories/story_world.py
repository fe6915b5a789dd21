"""A full simulated world for the §16 story tests: one seeded `World`, a once-a-second look at the CR, and ground truth.

A `Story` wraps `sim.world.World` with what the reference end-to-end tests do (§16): read the CR every
second the way `oc get` polls it (`Sample`), wait for a condition with a bound, and then compare what
the CR said with the ground truth — the AAP projection (`aap.jobs`), the cloud ledger and the API server.
`persisted()` gives every version of the CR the API server stored, from the log, so a state that lived
for less than a second (EDA's `Running` before the first poll) is still visible to a test.

Each story of `test_*.py` is a function `(seed) -> Story` listed in `STORIES`, so one test can re-run any
of them to check that the same seed gives the same log.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from models.config_version import tenant_cr_name
from models.jobs import JobRecord, JobState, JobType, find_latest_job_by_type
from models.names import (
    DEFAULT_COMPUTE_INSTANCE_NAMESPACE,
    KIND_COMPUTE_INSTANCE,
    KIND_NAMESPACE,
    KIND_TENANT,
    KIND_VIRTUAL_MACHINE,
    LABEL_COMPUTE_INSTANCE,
)
from models.objects import ComputeInstance, KubeObject, Phase
from sim.backends.aap import AapCancelRequested, AapJobRecord
from sim.backends.config import BackendConfig
from sim.backends.eda import WebhookReceived
from sim.backends.kubevirt import CloudVm
from sim.kernel import SeededChoiceSource, digest_of
from sim.kube.events import ObjectRemoved, ObjectStored
from sim.kube.runtime_events import ControllerLogged
from sim.operator.config import OperatorConfig, ProviderName
from sim.world import World, WorldConfig

Gen = Generator[simpy.Event, Any, Any]
NS = DEFAULT_COMPUTE_INSTANCE_NAMESPACE
NAME = "vm-1"
TENANT = "tenant-a"  # the tenant annotation `World.create_instance` puts on every CR by default
POLL_S = 1.0  # the sampler and every wait look at the CR once per simulated second
WAIT_LIMIT_S = 600.0  # a wait that has not seen its condition after this long fails the story

# A job as the §16 scripts read it: (jobID, type, state).
JobView = tuple[str, str, str]


def view(jobs: tuple[JobRecord, ...] | list[JobRecord]) -> list[JobView]:
    """The job list in array order as (jobID, type, state) triples."""
    return [(j.job_id, j.type.value, j.state.value) for j in jobs]


@dataclass(frozen=True)
class Sample:
    """The stored CR at one whole second, as `oc get` would have shown it; `found` is False once it is gone."""

    t: float
    found: bool
    phase: Phase | None
    jobs: tuple[JobRecord, ...]
    finalizers: tuple[str, ...]

    def latest(self, job_type: JobType) -> JobRecord | None:
        """The §16 idiom: the latest job of a type by timestamp (§8)."""
        return find_latest_job_by_type(list(self.jobs), job_type)


@dataclass(frozen=True)
class Version:
    """One version of the CR the API server held (an `ObjectStored`), or its removal (`removed`)."""

    t: float
    actor: str
    verb: str  # create | update | update_status | patch | delete | removed
    obj: ComputeInstance

    @property
    def jobs(self) -> list[JobRecord]:
        return self.obj.status.jobs


@dataclass
class Story:
    """One world with one provider at start, sampled every second; `marks` name the moments the script chose."""

    provider: ProviderName
    seed: int = 1
    backends: BackendConfig = field(default_factory=BackendConfig)
    name: str = NAME
    world: World = field(init=False)
    samples: dict[str, list[Sample]] = field(init=False, default_factory=dict)
    marks: dict[str, float] = field(init=False, default_factory=dict)
    notes: dict[str, Any] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        config = WorldConfig(operator=OperatorConfig(provider=self.provider), backends=self.backends)
        self.world = World(config, SeededChoiceSource(self.seed))
        self.world.start()

    # -- running -------------------------------------------------------------------------------------
    def watch(self, *names: str) -> None:
        """Sample these CRs every second from now on (the first is the story's instance)."""
        for name in names or (self.name,):
            self.samples[name] = []
            self.world.spawn(self._sample(name))

    def play(self, script: Gen, horizon_s: float) -> Story:
        """Run `script` as a process next to the sampler until the simulated clock reaches `horizon_s`."""
        if not self.samples:
            self.watch()
        process = self.world.spawn(script)
        self.world.run(horizon_s)
        assert process.processed, f"the story script of {self.name} had not finished at t={horizon_s} s"
        return self

    def _sample(self, name: str) -> Gen:
        while True:
            ci = self.ci(name)
            self.samples[name].append(Sample(
                self.world.now, ci is not None, None if ci is None else ci.status.phase,
                () if ci is None else tuple(ci.status.jobs), () if ci is None else tuple(ci.metadata.finalizers)))
            yield self.world.env.timeout(POLL_S)

    def mark(self, moment: str) -> None:
        self.marks[moment] = self.world.now

    # -- waits for scripts (simpy generators) --------------------------------------------------------
    def until(self, what: str, predicate: Callable[[ComputeInstance | None], bool], name: str | None = None,
              limit_s: float = WAIT_LIMIT_S) -> Gen:
        """Poll the stored CR every second until `predicate` holds; fail the story after `limit_s`."""
        deadline = self.world.now + limit_s
        while not predicate(self.ci(name)):
            assert self.world.now < deadline, f"{what}: not seen within {limit_s:g} s (seed {self.seed})"
            yield self.world.env.timeout(POLL_S)

    def until_phase(self, phase: Phase, name: str | None = None) -> Gen:
        yield from self.until(f"phase {phase.value}", lambda ci: ci is not None and ci.status.phase == phase, name)

    def until_gone(self, name: str | None = None) -> Gen:
        yield from self.until("CR NotFound", lambda ci: ci is None, name)

    def until_latest(self, job_type: JobType, predicate: Callable[[JobRecord], bool], what: str) -> Gen:
        def holds(ci: ComputeInstance | None) -> bool:
            latest = None if ci is None else find_latest_job_by_type(ci.status.jobs, job_type)
            return latest is not None and predicate(latest)
        yield from self.until(what, holds)

    # -- what the CR says ----------------------------------------------------------------------------
    def ci(self, name: str | None = None) -> ComputeInstance | None:
        obj = self.world.server.peek(KIND_COMPUTE_INSTANCE, NS, name or self.name)
        assert obj is None or isinstance(obj, ComputeInstance)
        return obj

    def sampled(self, name: str | None = None) -> list[Sample]:
        return self.samples[name or self.name]

    def latest_states(self, job_type: JobType, name: str | None = None) -> list[tuple[str, str]]:
        """(jobID, state) of the latest job of a type, as sampled over time, consecutive repeats collapsed."""
        seen: list[tuple[str, str]] = []
        for s in self.sampled(name):
            latest = s.latest(job_type)
            if latest is not None and (not seen or seen[-1] != (latest.job_id, latest.state.value)):
                seen.append((latest.job_id, latest.state.value))
        return seen

    def versions(self, name: str | None = None) -> list[Version]:
        """Every version of the CR the API server stored, then its removal, from the log."""
        found: list[Version] = []
        for e in self.world.kernel.log:
            if isinstance(e, ObjectStored | ObjectRemoved) and e.kind == KIND_COMPUTE_INSTANCE \
                    and e.name == (name or self.name):
                assert isinstance(e.obj, ComputeInstance)
                found.append(Version(e.t, e.actor, e.verb if isinstance(e, ObjectStored) else "removed", e.obj))
        return found

    def persisted_states(self, job_id: str, name: str | None = None) -> list[JobState]:
        """The states the API server held for one job over time, consecutive repeats collapsed."""
        states: list[JobState] = []
        for v in self.versions(name):
            for j in v.jobs:
                if j.job_id == job_id and (not states or states[-1] != j.state):
                    states.append(j.state)
        return states

    def controller_logs(self, message: str, name: str | None = None) -> list[ControllerLogged]:
        return [e for e in self.world.kernel.log.of_type(ControllerLogged)
                if e.message == message and e.name == (name or self.name)]

    # -- ground truth --------------------------------------------------------------------------------
    def aap_jobs(self, playbook: str | None = None, name: str | None = None) -> list[AapJobRecord]:
        """Every AAP job launched for the instance (by the operator or by EDA), oldest first."""
        return self.world.backends.aap.jobs.for_instance(NS, name or self.name, playbook)

    def cancels(self, job_id: int) -> list[AapCancelRequested]:
        return [e for e in self.world.kernel.log.of_type(AapCancelRequested) if e.job_id == job_id]

    def webhooks(self, hook: str, name: str | None = None) -> list[WebhookReceived]:
        """POSTs to EDA's `create` or `delete` webhook for the instance, whatever their outcome."""
        return [e for e in self.world.kernel.log.of_type(WebhookReceived)
                if e.hook == hook and e.instance_name == (name or self.name)]

    def tenant(self, tenant_name: str = TENANT) -> KubeObject | None:
        """The Tenant CR the CI controller creates for `tenant_name` (§2.8), if the API server still holds it."""
        return self.world.server.peek(KIND_TENANT, NS, tenant_cr_name(tenant_name))

    def namespaces(self) -> list[str]:
        return [o.metadata.name for o in self.world.server.select(KIND_NAMESPACE)]

    def vms_labelled(self, name: str | None = None) -> list[KubeObject]:
        """VirtualMachine objects labelled `computeinstance=<name>` in any namespace (the §16.3 final check)."""
        return self.world.server.select(KIND_VIRTUAL_MACHINE, "", {LABEL_COMPUTE_INSTANCE: name or self.name})

    def live_vms(self, name: str | None = None) -> list[CloudVm]:
        """Real VMs of the instance the cloud has not released."""
        return self.world.backends.kubevirt.ledger.live_for(name or self.name, NS)

    def digest(self) -> str:
        return digest_of(self.world.kernel.log.events)

    def reproduce(self) -> str:
        return f"seed {self.seed}, provider {self.provider}"


StoryFn = Callable[[int], Story]

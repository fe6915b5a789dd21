"""The scenario schema: one frozen record per TOML table, the action verbs with their parameters, and the `Scenario`.

A scenario file has these top-level tables (every other key is an error):

- ``[scenario]`` → `ScenarioOptions` (name, description, horizon, heal time, default seed, tags);
- ``[world]`` → `sim.world.WorldConfig` with ``[world.operator]``, ``[world.manager]``, ``[world.api]``,
  ``[world.backends]`` and ``controller``;
- ``[[instances]]`` → `InstanceSpec`, the ComputeInstances the user creates;
- ``[[actions]]`` → `ActionSpec`, the timeline (``do`` is one of `VERBS`, each with its own parameters);
- ``[expect.<controller>]`` → `Expectation`, per controller (``reference``, ``hardened``, ``default``).

The dataclasses are the schema: `sim.scenarios.binding.bind` turns each table into one of them, so their
fields are the allowed keys and their comments the documentation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from sim.kernel.choice import Dist
from sim.world import DEFAULT_TEMPLATE_ID, WorldConfig

FINAL_FACTS: tuple[str, ...] = ("gone", "present", "Running", "Deleting", "Failed", "Starting")
ManagementState = Literal["manual", "unmanaged"]
DEFAULT_EXPECTATION_KEY = "default"


@dataclass(frozen=True)
class ScenarioOptions:
    """The ``[scenario]`` table: what the scenario is and how long it runs."""

    name: str = ""  # the scenario's name (default: the file name without .toml)
    description: str = ""  # one line: what the scenario shows
    horizon_s: float = 900.0  # the run stops at this simulated time
    heal_at_s: float | None = None  # faults stop here and the healing phase starts (default: after the last action)
    seed: int = 1  # the seed used when none is given on the command line
    tags: tuple[str, ...] = ()  # free labels, e.g. "aap", "race", "regression"


@dataclass(frozen=True)
class InstanceSpec:
    """One ``[[instances]]`` entry: a ComputeInstance the user creates."""

    name: str  # metadata.name of the ComputeInstance
    tenant: str = "tenant-a"  # the cloudkit.openshift.io/tenant annotation
    template_id: str = DEFAULT_TEMPLATE_ID  # spec.templateID
    template_parameters: str = ""  # spec.templateParameters (a JSON-encoded map, as a string)
    management_state: ManagementState | None = None  # the management-state annotation at creation
    create_at_s: float = 0.0  # simulated time of the create


@dataclass(frozen=True)
class ActionSpec:
    """One ``[[actions]]`` entry: at `at_s`, `do` a verb with the parameters that verb takes."""

    at_s: float  # simulated time of the action
    do: str  # the verb: one of VERBS
    instance: str | None = None  # the ComputeInstance the verb acts on (declared in [[instances]])
    provider: Literal["eda", "aap"] | None = None  # switch_provider: the new provider
    delay_s: float | None = None  # switch_provider / restart_operator: restart delay (default: the manager's)
    job_type: Literal["provision", "deprovision"] | None = None  # purge_job / fail_next_job: which job
    step: str | None = None  # fail_next_job: the playbook step that fails (default: drawn at launch)
    duration_s: float | None = None  # lag_spike / conflict_storm: how long the fault lasts
    extra_lag_s: Dist | None = None  # lag_spike: extra informer lag per watch event
    rate: float | None = None  # conflict_storm: probability of an extra Conflict per API write
    template_parameters: str | None = None  # edit_spec: the new spec.templateParameters
    state: ManagementState | None = None  # set_management_state: manual or unmanaged

    def given(self) -> dict[str, object]:
        """The parameters written in the file (every field but at_s and do that is set)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("at_s", "do") and v is not None}

    @property
    def ends_at_s(self) -> float:
        """When the action's effect is over: at_s, plus duration_s for a lag spike or conflict storm."""
        return self.at_s + (self.duration_s or 0.0)


@dataclass(frozen=True)
class VerbRule:
    """The parameters one action verb requires and accepts, and what it does."""

    summary: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


VERBS: Mapping[str, VerbRule] = {
    "create": VerbRule("create the declared instance (again, e.g. after a delete)", ("instance",)),
    "delete": VerbRule("delete the instance (sets deletionTimestamp)", ("instance",)),
    "edit_spec": VerbRule("change spec.templateParameters (kubectl edit)", ("instance", "template_parameters")),
    "set_management_state": VerbRule("set the management-state annotation", ("instance", "state")),
    "clear_management_state": VerbRule("remove the management-state annotation", ("instance",)),
    "request_restart": VerbRule("set spec.restartRequestedAt to now", ("instance",)),
    "switch_provider": VerbRule("restart the operator with another provider", ("provider",), ("delay_s",)),
    "crash_operator": VerbRule("kill the operator process (it stays down until start_operator)"),
    "restart_operator": VerbRule("crash the operator and start it again after a delay", (), ("delay_s",)),
    "start_operator": VerbRule("start the operator process after a crash"),
    "purge_job": VerbRule("purge the newest finished AAP job of that type for the instance", ("instance",),
                          ("job_type",)),
    "fail_next_job": VerbRule("make the next AAP job (of that type) fail at a playbook step", (),
                              ("job_type", "step")),
    "lag_spike": VerbRule("slow the operator's informer down for a while", ("duration_s", "extra_lag_s")),
    "conflict_storm": VerbRule("add Conflict answers to API writes for a while", ("duration_s", "rate")),
    "heal": VerbRule("turn every injected fault off now"),
}
FAULT_VERBS = frozenset({"fail_next_job", "lag_spike", "conflict_storm"})


@dataclass(frozen=True)
class Expectation:
    """One ``[expect.<controller>]`` table: what a run of the scenario under that controller must show."""

    holds: tuple[str, ...] | None = None  # properties that must not be violated (default: all not in violates)
    violates: tuple[str, ...] = ()  # properties the run must violate: findings a regression scenario reproduces
    final: dict[str, str] = field(default_factory=dict)  # instance → one of FINAL_FACTS at the end
    provision_jobs: dict[str, int] = field(default_factory=dict)  # instance → provision jobs launched in AAP
    deprovision_jobs: dict[str, int] = field(default_factory=dict)  # instance → deprovision jobs launched in AAP
    recorded_jobs: dict[str, int] = field(default_factory=dict)  # instance → entries in status.jobs[] at the end

    def counts(self) -> dict[str, dict[str, int]]:
        """The job-count facts by kind."""
        return {"provision_jobs": self.provision_jobs, "deprovision_jobs": self.deprovision_jobs,
                "recorded_jobs": self.recorded_jobs}


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: world, instances, timeline, expectations, and the text it was read from."""

    name: str
    description: str
    horizon_s: float
    heal_at_s: float  # resolved: the given value, or the end of the last action
    seed: int
    tags: tuple[str, ...]
    world: WorldConfig
    instances: tuple[InstanceSpec, ...]
    actions: tuple[ActionSpec, ...]
    expect: Mapping[str, Expectation]
    source: str = ""  # the TOML text ("" for a scenario built in Python)
    path: str = ""  # the file it came from; "builtin:<name>" for a built-in

    @property
    def content_hash(self) -> str:
        """SHA-256 of the TOML text: names exactly which scenario a log was produced from."""
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    @property
    def is_builtin(self) -> bool:
        return self.path.startswith("builtin:")

    def expectation_for(self, controller: str) -> Expectation:
        """The expectations for `controller`: its own table, else [expect.default], else none."""
        if controller in self.expect:
            return self.expect[controller]
        return self.expect.get(DEFAULT_EXPECTATION_KEY, Expectation())

    def instance(self, name: str) -> InstanceSpec:
        for spec in self.instances:
            if spec.name == name:
                return spec
        raise KeyError(name)

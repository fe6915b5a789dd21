"""One simulated world: kernel, API server, network, outside systems, the operator's manager, and the user's verbs.

`World` wires every part for one run and offers the verbs a scenario (or a Hypothesis rule, or a test)
uses to act on it: create and delete instances, edit specs, set management states, request restarts,
switch the provider, crash or restart the operator, purge a job, make the next job fail, inject a lag
spike or a conflict storm, heal. Every verb is recorded as a `UserActed` event before it acts.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from models.events import UserActed
from models.jobs import TYPE_PLAYBOOK, JobType
from models.names import (
    ANNOTATION_MANAGEMENT_STATE,
    ANNOTATION_TENANT,
    KIND_COMPUTE_INSTANCE,
    LABEL_COMPUTE_INSTANCE_UUID,
)
from models.objects import ComputeInstance, ComputeInstanceSpec, ObjectMeta
from sim.backends.config import BackendConfig
from sim.backends.world import Backends, build_backends
from sim.kernel.choice import ChoiceSource, Dist
from sim.kernel.errors import ApiError, Conflict, SimError
from sim.kernel.gc_tuning import fewer_collections
from sim.kernel.http import DEFAULT_LATENCY, HttpNetwork
from sim.kernel.kernel import Kernel
from sim.kernel.ordering import OrderedEnvironment, Strategy
from sim.kube.apiserver import ApiServer
from sim.kube.client import ApiClient, ApiFaultRates, ApiFaults
from sim.kube.gc import GarbageCollector
from sim.kube.manager import OPERATOR, ControllerManager, ManagerOptions
from sim.kube.mappers import compute_instance_watches
from sim.operator.config import OperatorConfig
from sim.operator.registry import resolve_controller

USER = "user"
DEFAULT_TEMPLATE_ID = "osac.templates.ocp_virt_vm"


@dataclass(frozen=True)
class ApiSettings:
    """The API server as the clients see it: latency, how long a caller waits, and injected fault rates."""

    latency_s: Dist = field(default_factory=lambda: Dist.uniform(0.001, 0.01))  # per call, one way
    timeout_s: float = 10.0  # a caller gives up after this many seconds
    conflict_rate: float = 0.0  # per write: an extra 409 Conflict
    invalid_rate: float = 0.0  # per write: a 422 Invalid
    server_error_rate: float = 0.0  # per call: a 5xx
    timeout_rate: float = 0.0  # per call: a timeout the server never saw
    timeout_applied_rate: float = 0.0  # per write: a timeout after the server committed the write

    def rates(self) -> ApiFaultRates:
        return ApiFaultRates(self.conflict_rate, self.invalid_rate, self.server_error_rate, self.timeout_rate,
                             self.timeout_applied_rate)


@dataclass(frozen=True)
class WorldConfig:
    """Everything that shapes one world; scenarios bind their [world] tables to these records."""

    operator: OperatorConfig = field(default_factory=OperatorConfig)
    manager: ManagerOptions = field(default_factory=ManagerOptions)
    api: ApiSettings = field(default_factory=ApiSettings)
    backends: BackendConfig = field(default_factory=BackendConfig)
    network_latency_s: Dist = DEFAULT_LATENCY  # HTTP, one way
    gc_delay_s: Dist = field(default_factory=lambda: Dist.uniform(0.01, 0.5))  # owner gone → dependent deleted
    controller: str = "reference"  # the system under test: reference, a registered name, or module:Class
    ordering: Strategy = "fifo"  # same-instant ties: fifo (plain simpy), random, or pct (sim.kernel.ordering)
    pct_depth: int = 3  # with ordering = "pct": bugs of this depth get d-1 priority change points

    def __post_init__(self) -> None:
        if self.pct_depth < 1:
            raise SimError(f"pct_depth = {self.pct_depth}", rule="the PCT depth is at least 1",
                           fix="use 3 (the default) or another small positive integer")

    def describe(self) -> dict[str, Any]:
        """A JSON-like summary for log headers and reports."""
        described: dict[str, Any] = _plain(dataclasses.asdict(self))
        return described


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class World:
    """All actors of one run, built from a `WorldConfig` and a choice source."""

    def __init__(self, config: WorldConfig, choices: ChoiceSource, *, controller: type | None = None,
                 keep_events: bool = True, env: simpy.Environment | None = None) -> None:
        self.config = config
        if env is None and config.ordering != "fifo":
            env = OrderedEnvironment(choices, config.ordering, pct_depth=config.pct_depth)
        self.kernel = Kernel(choices, keep_events=keep_events, env=env)
        k = self.kernel
        self.server = ApiServer(k)
        self.faults = ApiFaults(rates=config.api.rates(), latency=config.api.latency_s, timeout_s=config.api.timeout_s)
        self.network = HttpNetwork(k, config.network_latency_s)
        self.backends: Backends = build_backends(k, self.server, self.faults, self.network, config.backends)
        self.gc = GarbageCollector(k, self.server, self.faults, config.gc_delay_s)
        self.controller_cls = controller if controller is not None else resolve_controller(config.controller)
        self.operator_config = config.operator
        self.manager = ControllerManager(
            k, self.server, self.faults, self.network, name=OPERATOR,
            reconciler_factory=self._factory(self.operator_config),
            watches=compute_instance_watches(config.operator.namespace), options=config.manager)
        self.user = ApiClient(k, self.server, USER, self.faults)
        self._healthy_rates = self.faults.rates

    def _factory(self, config: OperatorConfig) -> Any:
        """Builds a controller as the protocol says, `cls(config)`; controllers that take a `jitter` source
        (the reference does) get the retry-on-conflict jitter (0.1) drawn from the choice source."""
        cls = self.controller_cls
        if "jitter" not in inspect.signature(cls).parameters:
            return lambda: cls(config)
        choices = self.kernel.choices
        return lambda: cls(config, jitter=lambda: choices.uniform("operator", "retry_jitter", 0.0, 0.999999))

    # -- running -----------------------------------------------------------------------------------
    @property
    def env(self) -> simpy.Environment:
        return self.kernel.env

    @property
    def now(self) -> float:
        return self.kernel.now

    def start(self) -> None:
        self.manager.start()

    def run(self, until: float) -> None:
        with fewer_collections():  # a run allocates millions of short-lived objects: see sim.kernel.gc_tuning
            self.kernel.env.run(until=until)

    def spawn(self, gen: Generator[simpy.Event, Any, Any]) -> simpy.Process:
        return self.kernel.env.process(gen)

    def _acted(self, verb: str, instance: str = "", **params: Any) -> None:
        self.kernel.record(UserActed, USER, verb=verb, instance=instance, params=params)

    # -- user verbs (simpy generators: `yield from world.create_instance(...)`) ----------------------
    def create_instance(self, name: str, *, tenant: str = "tenant-a", template_id: str = DEFAULT_TEMPLATE_ID,
                        template_parameters: str = "", management_state: str | None = None,
                        namespace: str | None = None) -> Generator[simpy.Event, Any, None]:
        self._acted("create", name, tenant=tenant, template_id=template_id)
        annotations = {ANNOTATION_TENANT: tenant}
        if management_state is not None:
            annotations[ANNOTATION_MANAGEMENT_STATE] = management_state
        meta = ObjectMeta(name, namespace or self.operator_config.namespace, annotations=annotations,
                          labels={LABEL_COMPUTE_INSTANCE_UUID: f"uuid-{name}"})
        yield from self._tolerant(self.user.create(ComputeInstance(meta, ComputeInstanceSpec(
            template_id, template_parameters)), read_only=True))

    def delete_instance(self, name: str, namespace: str | None = None) -> Generator[simpy.Event, Any, None]:
        self._acted("delete", name)
        yield from self._tolerant(self.user.delete(KIND_COMPUTE_INSTANCE, namespace or self.operator_config.namespace,
                                                   name))

    def edit_spec(self, name: str, *, template_parameters: str | None = None, template_id: str | None = None,
                  restart: bool = False) -> Generator[simpy.Event, Any, None]:
        """kubectl edit: read, change, update; retried on Conflict like kubectl does."""
        self._acted("restart" if restart else "edit_spec", name,
                    **({} if template_parameters is None else {"template_parameters": template_parameters}))
        ns = self.operator_config.namespace
        for _ in range(5):
            try:
                obj = yield from self.user.get(KIND_COMPUTE_INSTANCE, ns, name)
                assert isinstance(obj, ComputeInstance)
                if template_parameters is not None:
                    obj.spec.template_parameters = template_parameters
                if template_id is not None:
                    obj.spec.template_id = template_id
                if restart:
                    obj.spec.restart_requested_at = float(int(self.now))
                yield from self.user.update(obj, read_only=True)
                return
            except Conflict:
                continue
            except ApiError:
                return

    def set_management_state(self, name: str, state: str | None) -> Generator[simpy.Event, Any, None]:
        self._acted("set_management_state", name, state=state or "")
        yield from self._tolerant(self.user.patch_metadata(
            KIND_COMPUTE_INSTANCE, self.operator_config.namespace, name,
            annotations={ANNOTATION_MANAGEMENT_STATE: state}, read_only=True))

    def _tolerant(self, call: Generator[simpy.Event, Any, Any]) -> Generator[simpy.Event, Any, None]:
        """A user command whose API error is recorded (by the server) and otherwise ignored."""
        try:
            yield from call
        except ApiError:
            return

    # -- operator verbs (immediate) ----------------------------------------------------------------
    def switch_provider(self, provider: str, *, delay_s: float | None = None) -> None:
        """Restart the operator with another provider (§12.1): how a provider switch happens."""
        if provider not in ("eda", "aap"):
            raise SimError(f"provider {provider!r}", rule="the provider is 'eda' or 'aap'", fix="use eda or aap")
        self._acted("switch_provider", "", provider=provider)
        self.operator_config = dataclasses.replace(self.operator_config, provider=provider)  # type: ignore[arg-type]
        self.manager.restart(self._factory(self.operator_config), delay_s)

    def restart_operator(self, delay_s: float | None = None) -> None:
        self._acted("restart_operator", "")
        self.manager.restart(None, delay_s)

    def crash_operator(self) -> None:
        self._acted("crash_operator", "")
        self.manager.crash()

    def start_operator(self) -> None:
        self._acted("start_operator", "")
        self.manager.start()

    # -- outside-world verbs -----------------------------------------------------------------------
    def job_ids(self, instance: str, job_type: JobType | None = None) -> list[int]:
        """AAP job ids launched for an instance (ground truth), oldest first."""
        playbook = None if job_type is None else TYPE_PLAYBOOK[job_type]
        return [j.job_id for j in self.backends.aap.jobs.for_instance(self.operator_config.namespace, instance,
                                                                         playbook)]

    def purge_job(self, instance: str, job_type: JobType = JobType.PROVISION) -> None:
        """Purge the newest AAP job of that type for the instance (if it has finished)."""
        ids = self.job_ids(instance, job_type)
        self._acted("purge_job", instance, job_type=job_type.value, job_id=ids[-1] if ids else None)
        if ids:
            self.backends.aap.purge(ids[-1])

    def fail_next_job(self, job_type: JobType | None = None, step: str | None = None) -> None:
        template = None
        if job_type is not None:
            b = self.config.backends
            template = b.eda_create_template if job_type is JobType.PROVISION else b.eda_delete_template
        self._acted("fail_next_job", "", job_type=None if job_type is None else job_type.value, step=step)
        self.backends.aap.fail_next(template, step)

    def lag_spike(self, duration_s: float, extra_lag_s: Dist) -> None:
        self._acted("lag_spike", "", duration_s=duration_s, extra_lag=extra_lag_s.describe())
        self.manager.lag_spike(self.now + duration_s, extra_lag_s)

    def conflict_storm(self, duration_s: float, rate: float) -> None:
        """For `duration_s`, every API write has an extra Conflict with probability `rate`."""
        self._acted("conflict_storm", "", duration_s=duration_s, rate=rate)
        self.faults.rates = dataclasses.replace(self.faults.rates, conflict=rate)
        self.spawn(self._end_storm(duration_s))

    def _end_storm(self, duration_s: float) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(duration_s)
        self.faults.rates = dataclasses.replace(self.faults.rates, conflict=self._healthy_rates.conflict)

    def heal(self) -> None:
        """Turn every injected fault off: the world from now on only has its latencies."""
        self._acted("heal", "")
        self.faults.heal()
        self._healthy_rates = self.faults.rates
        self.backends.heal()

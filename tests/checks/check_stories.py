"""Story helpers for the checker tests: run a World with every checker attached, or feed hand-built events."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Sequence
from typing import Any, TypeVar

import simpy

from models.events import Event, UserActed
from models.jobs import JobRecord, JobState, JobType
from models.names import (
    ANNOTATION_MANAGEMENT_STATE,
    ANNOTATION_RECONCILED_CONFIG_VERSION,
    DEFAULT_COMPUTE_INSTANCE_NAMESPACE,
    FINALIZER_COMPUTE_INSTANCE,
    KIND_COMPUTE_INSTANCE,
)
from models.objects import ComputeInstance, ComputeInstanceSpec, ComputeInstanceStatus, ObjectMeta, Phase
from sim.backends.aap import AapJobLaunched, AapJobPurged, AapJobTransitioned
from sim.backends.config import BackendConfig
from sim.backends.eda import EdaRuleFired, WebhookReceived
from sim.checks import CheckRun, Violation, new_checkers
from sim.kernel.choice import SeededChoiceSource
from sim.kernel.http import HttpAnswered, HttpFailed, HttpRequested
from sim.kube.events import ObjectRemoved, ObjectStored
from sim.kube.runtime_events import ManagerCrashed, ManagerStarted
from sim.operator.config import OperatorConfig
from sim.world import ApiSettings, World, WorldConfig

NS = DEFAULT_COMPUTE_INSTANCE_NAMESPACE
VM1 = f"{NS}/vm-1"
AAP = "http://aap.example/api/controller/v2"
EDA = "http://eda.example"
Story = Callable[[World], Generator[simpy.Event, Any, None]]
E = TypeVar("E", bound=Event)


def run_world(story: Story, *, provider: str = "aap", seed: int = 1, until: float = 1500.0,
              backends: BackendConfig | None = None, api: ApiSettings | None = None,
              ids: Sequence[str] | None = None, max_job_history: int = 10) -> tuple[World, list[Violation]]:
    """Run `story` in a fresh World with the checkers `ids` (all by default) fed live; return the world and verdicts."""
    operator = OperatorConfig(provider=provider, max_job_history=max_job_history)  # type: ignore[arg-type]
    config = WorldConfig(operator=operator, backends=backends or BackendConfig(), api=api or ApiSettings())
    world = World(config, SeededChoiceSource(seed))
    checks = CheckRun(new_checkers(ids))
    world.kernel.log.subscribe(checks.apply)
    world.start()
    world.spawn(story(world))
    world.run(until)
    return world, checks.finish(until)


def of(violations: Iterable[Violation], prop: str) -> list[Violation]:
    return [v for v in violations if v.property == prop]


def props(violations: Iterable[Violation]) -> set[str]:
    return {v.property for v in violations}


def create_then_delete(delay_s: float | None, name: str = "vm-1") -> Story:
    """Create `name`; delete it `delay_s` later (never, if None)."""
    def story(w: World) -> Generator[simpy.Event, Any, None]:
        yield from w.create_instance(name)
        if delay_s is not None:
            yield w.env.timeout(delay_s)
            yield from w.delete_instance(name)
    return story


def job(job_id: str, state: JobState, t: float = 0.0, job_type: JobType = JobType.PROVISION,
        message: str = "", block: bool = False) -> JobRecord:
    return JobRecord(job_id, job_type, t, state, message, block)


class Log:
    """Hand-built event sequences, numbered and timed like a real log, for stories a real run cannot easily show."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.t = 0.0

    def add(self, cls: type[E], actor: str = "test", t: float | None = None, **fields: Any) -> E:
        if t is not None:
            self.t = t
        event = cls(len(self.events), self.t, actor, **fields)
        self.events.append(event)
        return event

    # -- objects -----------------------------------------------------------------------------------
    @staticmethod
    def ci(name: str = "vm-1", *, jobs: Sequence[JobRecord] = (), phase: Phase = Phase.NONE, desired: str = "",
           reconciled: str = "", deleted_at: float | None = None, uid: str = "uid-1",
           finalizers: Sequence[str] = (FINALIZER_COMPUTE_INSTANCE,), annotations: dict[str, str] | None = None,
           template_parameters: str = "") -> ComputeInstance:
        meta = ObjectMeta(name, NS, uid=uid, deletion_timestamp=deleted_at, finalizers=list(finalizers),
                          annotations=dict(annotations or {}))
        status = ComputeInstanceStatus(phase=phase, desired_config_version=desired,
                                       reconciled_config_version=reconciled, jobs=list(jobs))
        return ComputeInstance(meta, ComputeInstanceSpec("osac.templates.ocp_virt_vm", template_parameters), status)

    def stored(self, obj: ComputeInstance, verb: str = "update_status", t: float | None = None) -> ObjectStored:
        return self.add(ObjectStored, "operator", t, verb=verb, kind=KIND_COMPUTE_INSTANCE,
                        namespace=obj.metadata.namespace, name=obj.metadata.name, resource_version=len(self.events),
                        obj=obj)

    def removed(self, obj: ComputeInstance, t: float | None = None, actor: str = "operator") -> ObjectRemoved:
        return self.add(ObjectRemoved, actor, t, kind=KIND_COMPUTE_INSTANCE, namespace=obj.metadata.namespace,
                        name=obj.metadata.name, resource_version=len(self.events), obj=obj)

    @staticmethod
    def annotated(obj: ComputeInstance, version: str) -> ComputeInstance:
        out = obj.deepcopy()
        out.metadata.annotations[ANNOTATION_RECONCILED_CONFIG_VERSION] = version
        return out

    # -- AAP ---------------------------------------------------------------------------------------
    def launched(self, job_id: int, playbook: str = "create", name: str = "vm-1", *, launched_by: str = "api",
                 config_version: str = "", t: float | None = None) -> AapJobLaunched:
        template = f"cloudkit-{playbook}-compute-instance"
        event = self.add(AapJobLaunched, "aap", t, job_id=job_id, template=template, template_type="job",
                         playbook=playbook, instance_namespace=NS, instance_name=name,
                         config_version=config_version, launched_by=launched_by, forced_failure="")
        self.add(AapJobTransitioned, "aap", job_id=job_id, trigger="enqueue", source="new", dest="pending",
                 traceback="")
        return event

    def ended(self, job_id: int, dest: str = "successful", t: float | None = None) -> AapJobTransitioned:
        trigger = {"successful": "succeed", "failed": "fail", "canceled": "cancel", "error": "error"}[dest]
        return self.add(AapJobTransitioned, "aap", t, job_id=job_id, trigger=trigger, source="running", dest=dest,
                        traceback="")

    def purged(self, job_id: int, t: float | None = None) -> AapJobPurged:
        return self.add(AapJobPurged, "aap", t, job_id=job_id)

    # -- the operator's requests to AAP (`request_id` pairs a request with its answer) ------------------
    def launch_requested(self, request_id: int, playbook: str = "create", name: str = "vm-1",
                         t: float | None = None) -> HttpRequested:
        payload = {"metadata": {"name": name, "namespace": NS, "uid": f"uid-{name}"}}
        url = f"{AAP}/job_templates/cloudkit-{playbook}-compute-instance/launch/"
        return self.add(HttpRequested, "operator", t, request_id=request_id, method="POST", url=url,
                        body={"extra_vars": {"ansible_eda": {"event": {"payload": payload}}}})

    def poll_requested(self, request_id: int, job_id: int, t: float | None = None) -> HttpRequested:
        return self.add(HttpRequested, "operator", t, request_id=request_id, method="GET",
                        url=f"{AAP}/jobs/{job_id}/", body=None)

    def lookup_requested(self, request_id: int, playbook: str = "create", name: str = "vm-1",
                         t: float | None = None) -> HttpRequested:
        query = f"job_template__name=cloudkit-{playbook}-compute-instance&extra_vars__icontains=uid-{name}&order_by=-id"
        return self.add(HttpRequested, "operator", t, request_id=request_id, method="GET", url=f"{AAP}/jobs/?{query}",
                        body=None)

    def answered(self, request_id: int, status: int = 200, body: Any = None, t: float | None = None) -> HttpAnswered:
        return self.add(HttpAnswered, "operator", t, request_id=request_id, status=status, body=body)

    def timed_out(self, request_id: int, t: float | None = None) -> HttpFailed:
        return self.add(HttpFailed, "operator", t, request_id=request_id,
                        error="context deadline exceeded (Client.Timeout exceeded)")

    # -- EDA: the operator's webhook POSTs, their deliveries, and the jobs the rule launched ------------------
    def webhook_requested(self, request_id: int, hook: str = "create", name: str = "vm-1",
                          t: float | None = None) -> HttpRequested:
        """The operator POSTs the CR `name` to the create or delete webhook."""
        return self.add(HttpRequested, "operator", t, request_id=request_id, method="POST",
                        url=f"{EDA}/{hook}-compute-instance", body=self.ci(name, uid=f"uid-{name}").to_dict())

    def webhook_received(self, delivery: int, hook: str = "create", name: str = "vm-1", outcome: str = "accepted",
                         t: float | None = None) -> WebhookReceived:
        return self.add(WebhookReceived, "eda", t, delivery=delivery, hook=hook, instance_namespace=NS,
                        instance_name=name, outcome=outcome)

    def eda_launched(self, job_id: int, delivery: int, playbook: str = "create", name: str = "vm-1", copy: int = 1,
                     t: float | None = None) -> EdaRuleFired:
        """EDA's rule for `delivery` launches `job_id` in AAP."""
        self.launched(job_id, playbook, name, launched_by="eda", t=t)
        return self.add(EdaRuleFired, "eda", template=f"cloudkit-{playbook}-compute-instance", job_id=job_id,
                        delivery=delivery, copy=copy)

    def management_state(self, state: str, name: str = "vm-1", t: float | None = None) -> ObjectStored:
        """The user sets (or, with "", clears) the management-state annotation of `name` (§2.6)."""
        return self.stored(self.ci(name, annotations={ANNOTATION_MANAGEMENT_STATE: state} if state else None),
                           "update", t)

    # -- the world around ----------------------------------------------------------------------------
    def user(self, verb: str, instance: str = "", t: float | None = None, **params: Any) -> UserActed:
        return self.add(UserActed, "user", t, verb=verb, instance=instance, params=params)

    def manager_started(self, t: float | None = None, **config: Any) -> ManagerStarted:
        return self.add(ManagerStarted, "operator", t, manager="operator", incarnation=1, controller="test",
                        config=dict(config))

    def manager_crashed(self, t: float | None = None) -> ManagerCrashed:
        return self.add(ManagerCrashed, "operator", t, manager="operator", incarnation=1)

    def check(self, ids: Sequence[str], end_t: float | None = None) -> list[Violation]:
        run = CheckRun(new_checkers(ids))
        run.feed(self.events)
        return run.finish(self.t if end_t is None else end_t)

"""What several checkers need to know, folded from events only: instance lifetimes, the jobs AAP ran, and the operator's
status writes, job polls and hands-off spans."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from models.events import Event
from models.names import (
    ANNOTATION_MANAGEMENT_STATE,
    KIND_COMPUTE_INSTANCE,
    MANAGEMENT_STATE_MANUAL,
    MANAGEMENT_STATE_UNMANAGED,
)
from models.objects import ComputeInstance
from sim.backends.aap import ACTIVE, FINISHED, AapCancelRequested, AapJobLaunched, AapJobPurged, AapJobTransitioned
from sim.backends.eda import EdaRuleFired
from sim.checks.common import Handler, Key, Routed, at, subject
from sim.kernel.http import HttpAnswered, HttpFailed, HttpRequested
from sim.kube.events import ObjectRemoved, ObjectStored

JOBS_PATH = "/v2/jobs/"  # AAP's job resources: `GET <JOBS_PATH><id>/` polls one job, `GET <JOBS_PATH>?...` lists jobs
HANDS_OFF_STATES = (MANAGEMENT_STATE_MANUAL, MANAGEMENT_STATE_UNMANAGED)  # §2.6: the operator keeps its hands off


@dataclass(slots=True)
class Lifetime:
    """One ComputeInstance object from its creation to its removal (a re-created name is a new lifetime)."""

    key: Key
    uid: str
    number: int  # 1 for the first object of this name, 2 for the next, ...
    created_seq: int
    created_t: float
    obj: ComputeInstance  # the latest persisted version
    seq: int  # the event that persisted `obj`
    t: float  # when
    spec_seq: int  # the event that stored the current spec
    spec_t: float
    deletion_seq: int | None = None  # the event that set deletionTimestamp
    deletion_t: float | None = None
    removed_seq: int | None = None
    removed_t: float | None = None
    removed_by: str = ""  # the actor whose write removed the object (its last finalizer), "" while it lives

    @property
    def subject(self) -> str:
        return subject(self.key)

    @property
    def id(self) -> tuple[str, str, int]:
        """(namespace, name, number): what per-lifetime state is keyed by."""
        return (*self.key, self.number)

    @property
    def live(self) -> bool:
        return self.removed_seq is None

    @property
    def management_state(self) -> str:
        return self.obj.metadata.annotations.get(ANNOTATION_MANAGEMENT_STATE, "")

    @property
    def hands_off(self) -> bool:
        """The user told the operator to keep its hands off (§2.6): no liveness or recording judgement."""
        return self.management_state in HANDS_OFF_STATES


class Instances:
    """Every ComputeInstance lifetime, from ObjectStored/ObjectRemoved; checkers call `stored` and `removed`."""

    def __init__(self) -> None:
        self.live: dict[Key, Lifetime] = {}
        self.latest: dict[Key, Lifetime] = {}  # the newest lifetime of each name, live or removed
        self.all: list[Lifetime] = []  # in creation order

    def current(self, key: Key) -> Lifetime | None:
        """The live lifetime of a name, else its newest removed one (`_begin` puts every live one in `latest`)."""
        return self.latest.get(key)

    def stored(self, event: ObjectStored) -> tuple[Lifetime, ComputeInstance | None] | None:
        """Fold a stored version; returns the lifetime and the version before it (None if new), or None."""
        if event.kind != KIND_COMPUTE_INSTANCE:
            return None
        obj = event.obj
        assert isinstance(obj, ComputeInstance), "a stored ComputeInstance carries a ComputeInstance object"
        key = (event.namespace, event.name)
        life = self.live.get(key)
        if life is None or life.uid != obj.metadata.uid:
            return self._begin(key, obj, event), None
        prev = life.obj
        if prev.spec != obj.spec:
            life.spec_seq, life.spec_t = event.seq, event.t
        if life.deletion_seq is None and obj.metadata.deletion_timestamp is not None:
            life.deletion_seq, life.deletion_t = event.seq, event.t
        life.obj, life.seq, life.t = obj, event.seq, event.t
        return life, prev

    def removed(self, event: ObjectRemoved) -> Lifetime | None:
        """Fold a removal; returns the lifetime that ended, or None for another kind."""
        if event.kind != KIND_COMPUTE_INSTANCE:
            return None
        obj = event.obj
        assert isinstance(obj, ComputeInstance), "a removed ComputeInstance carries a ComputeInstance object"
        key = (event.namespace, event.name)
        life = self.live.pop(key, None)
        if life is None:  # removed by its very first write (created without finalizers, then deleted)
            life = self._begin(key, obj, event)
            del self.live[key]
        if life.deletion_seq is None:
            life.deletion_seq, life.deletion_t = event.seq, event.t
        life.obj, life.seq, life.t = obj, event.seq, event.t
        life.removed_seq, life.removed_t, life.removed_by = event.seq, event.t, event.actor
        return life

    def _begin(self, key: Key, obj: ComputeInstance, event: Event) -> Lifetime:
        before = self.latest.get(key)
        if before is not None and before.live:  # a new uid under a live name: the old object is gone
            before.removed_seq, before.removed_t = event.seq, event.t
        life = Lifetime(key, obj.metadata.uid, before.number + 1 if before else 1, event.seq, event.t, obj,
                        event.seq, event.t, event.seq, event.t)
        if obj.metadata.deletion_timestamp is not None:
            life.deletion_seq, life.deletion_t = event.seq, event.t
        self.live[key] = self.latest[key] = life
        self.all.append(life)
        return life


@dataclass(slots=True)
class BackendJob:
    """One AAP job as the controller ran it: the ground truth the recorded status is compared with."""

    job_id: int
    playbook: str  # create | delete
    key: Key  # the instance named in the job's payload
    launched_by: str  # api (the operator's AAP provider) | eda (a webhook delivery's rule)
    config_version: str  # the payload's desiredConfigVersion
    launch_seq: int
    launch_t: float
    template: str = ""  # the AAP template it runs
    status: str = "new"
    end_seq: int | None = None
    end_t: float | None = None
    purged_seq: int | None = None
    purged_t: float | None = None
    eda_seq: int | None = None  # the EdaRuleFired that launched it
    eda_delivery: int | None = None
    eda_copy: int = 1
    cancel_requests: int = 0
    last_cancel_seq: int | None = None
    last_cancel_answer: int = 0
    ending: str = ""  # successful | failed | error | canceled once finished (kept after a purge)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def ended(self) -> bool:
        return self.end_seq is not None

    @property
    def final_status(self) -> str:
        """How it ended (successful, failed, error, canceled), also after a purge; "" while active."""
        return self.ending

    def describe(self) -> str:
        """`AAP job 9000 (create playbook, launched by EDA at t=7.74, delivery 0 copy 2, now running)`."""
        by = "by the operator through the AAP API" if self.launched_by == "api" else "by EDA"
        delivery = f", delivery {self.eda_delivery} copy {self.eda_copy}" if self.eda_delivery is not None else ""
        if self.purged_seq is not None:
            now = f"ended {self.final_status} at {at(self.end_t or 0.0)}, purged at {at(self.purged_t or 0.0)}"
        elif self.ended:
            now = f"ended {self.status} at {at(self.end_t or 0.0)}"
        else:
            now = f"still {self.status}"
        launched = f"launched {by} at {at(self.launch_t)}{delivery}"
        return f"AAP job {self.job_id} ({self.playbook} playbook, {launched}, {now})"

    def decisive(self) -> list[int]:
        """The events that tell this job's story: launch (and the EDA rule), end, purge."""
        seqs = [self.launch_seq]
        seqs.extend(s for s in (self.eda_seq, self.end_seq, self.purged_seq) if s is not None)
        return seqs


@dataclass
class AapLedger(Routed):
    """Every AAP job by id and by instance, folded from the fake controller's and EDA's events."""

    jobs: dict[int, BackendJob] = field(default_factory=dict)
    by_instance: dict[Key, list[BackendJob]] = field(default_factory=dict)

    def routes(self) -> Iterable[tuple[type[Event], Handler]]:
        return ((AapJobLaunched, self.launched), (AapJobTransitioned, self.transitioned),
                (AapJobPurged, self.purged), (EdaRuleFired, self.rule_fired),
                (AapCancelRequested, self.cancel_requested))

    def launched(self, e: AapJobLaunched) -> BackendJob:
        job = BackendJob(e.job_id, e.playbook, (e.instance_namespace, e.instance_name), e.launched_by,
                         e.config_version, e.seq, e.t, e.template)
        self.jobs[e.job_id] = job
        self.by_instance.setdefault(job.key, []).append(job)
        return job

    def transitioned(self, e: AapJobTransitioned) -> None:
        job = self.jobs.get(e.job_id)
        if job is None:
            return
        if e.dest in FINISHED:
            job.end_seq, job.end_t, job.ending = e.seq, e.t, e.dest
        job.status = e.dest

    def purged(self, e: AapJobPurged) -> None:
        job = self.jobs.get(e.job_id)
        if job is not None:
            job.status, job.purged_seq, job.purged_t = "purged", e.seq, e.t

    def rule_fired(self, e: EdaRuleFired) -> None:
        job = self.jobs.get(e.job_id)
        if job is not None:
            job.eda_seq, job.eda_delivery, job.eda_copy = e.seq, e.delivery, e.copy

    def cancel_requested(self, e: AapCancelRequested) -> None:
        job = self.jobs.get(e.job_id)
        if job is not None:
            job.cancel_requests += 1
            job.last_cancel_seq, job.last_cancel_answer = e.seq, e.answered

    def of(self, key: Key, playbook: str) -> list[BackendJob]:
        """The jobs of one playbook for an instance name, oldest first."""
        return [j for j in self.by_instance.get(key, ()) if j.playbook == playbook]


class StatusWrites(Routed):
    """When each ComputeInstance's status was written (`update_status` stored), by namespace/name, oldest first."""

    def __init__(self) -> None:
        self.times: dict[Key, list[float]] = {}

    def routes(self) -> Iterable[tuple[type[Event], Handler]]:
        return ((ObjectStored, self.stored),)

    def stored(self, e: ObjectStored) -> None:
        if e.kind == KIND_COMPUTE_INSTANCE and e.verb == "update_status":
            self.times.setdefault((e.namespace, e.name), []).append(e.t)

    def any_between(self, key: Key, start_t: float, end_t: float) -> bool:
        """Whether a status write of `key` was stored after `start_t` and up to `end_t`."""
        return any(start_t < t <= end_t for t in self.times.get(key, ()))


class HandsOffSpans(Routed):
    """When each ComputeInstance name was left `manual` or `unmanaged` (§2.6), by namespace/name, oldest first.

    While the user keeps the operator's hands off an instance, the operator neither triggers nor polls its jobs
    (`unmanaged`: it does not even read status), so that time is no chance to learn anything about them.
    """

    def __init__(self) -> None:
        self._spans: dict[Key, list[tuple[float, float]]] = {}  # closed spans
        self._since: dict[Key, float] = {}  # when the open span began

    def routes(self) -> Iterable[tuple[type[Event], Handler]]:
        return ((ObjectStored, self.stored), (ObjectRemoved, self.removed))

    def stored(self, e: ObjectStored) -> None:
        if e.kind != KIND_COMPUTE_INSTANCE:
            return
        key = (e.namespace, e.name)
        if e.obj.metadata.annotations.get(ANNOTATION_MANAGEMENT_STATE, "") in HANDS_OFF_STATES:
            self._since.setdefault(key, e.t)
        else:
            self._close(key, e.t)

    def removed(self, e: ObjectRemoved) -> None:
        if e.kind == KIND_COMPUTE_INSTANCE:
            self._close((e.namespace, e.name), e.t)

    def _close(self, key: Key, t: float) -> None:
        since = self._since.pop(key, None)
        if since is not None:
            self._spans.setdefault(key, []).append((since, t))

    def of(self, key: Key) -> list[tuple[float, float]]:
        """The spans during which `key` was hands-off; one still open ends at infinity."""
        since = self._since.get(key)
        return [*self._spans.get(key, ()), *([(since, math.inf)] if since is not None else [])]


class Polls(Routed):
    """The operator's status polls of AAP jobs (`GET .../v2/jobs/<id>/`): how many, when last, and the last answer."""

    def __init__(self) -> None:
        self.count: dict[str, int] = {}  # by job id as the operator wrote it in the URL
        self.last_t: dict[str, float] = {}
        self.last_answer: dict[str, str] = {}
        self._open: dict[int, str] = {}  # request id -> job id

    def routes(self) -> Iterable[tuple[type[Event], Handler]]:
        return ((HttpRequested, self.requested), (HttpAnswered, self.answered), (HttpFailed, self.failed))

    def requested(self, e: HttpRequested) -> None:
        if e.method != "GET":
            return
        i = e.url.find(JOBS_PATH)
        if i < 0:
            return
        job_id, _, rest = e.url[i + len(JOBS_PATH):].partition("/")
        if rest:
            return  # .../cancel/ and other sub-resources are not polls
        self.count[job_id] = self.count.get(job_id, 0) + 1
        self.last_t[job_id] = e.t
        self._open[e.request_id] = job_id

    def answered(self, e: HttpAnswered) -> None:
        job_id = self._open.pop(e.request_id, None)
        if job_id is not None:
            self.last_answer[job_id] = f"HTTP {e.status}"

    def failed(self, e: HttpFailed) -> None:
        job_id = self._open.pop(e.request_id, None)
        if job_id is not None:
            self.last_answer[job_id] = e.error

    def describe(self, job_id: str) -> str:
        """`polled 12 times, last at t=300.00 (HTTP 404)` or `never polled`."""
        n = self.count.get(job_id, 0)
        if not n:
            return "never polled"
        answer = self.last_answer.get(job_id, "no answer yet")
        return f"polled {n} time{'s' if n != 1 else ''}, last at {at(self.last_t[job_id])} ({answer})"


"""What several checkers need to know, folded from events only: instance lifetimes and the jobs AAP ran."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from models.events import Event
from models.names import (
    ANNOTATION_MANAGEMENT_STATE,
    KIND_COMPUTE_INSTANCE,
    MANAGEMENT_STATE_MANUAL,
    MANAGEMENT_STATE_UNMANAGED,
)
from models.objects import ComputeInstance
from sim.backends.aap import (
    ACTIVE,
    FINISHED,
    AapCancelRequested,
    AapJobLaunched,
    AapJobPurged,
    AapJobTransitioned,
    AapRequestFaulted,
)
from sim.backends.eda import EdaRuleFired
from sim.backends.playbooks import instance_of
from sim.checks.common import Handler, Key, Routed, at, subject
from sim.kernel.http import HttpAnswered, HttpFailed, HttpRequested
from sim.kube.events import ObjectRemoved, ObjectStored
from sim.kube.runtime_events import ManagerCrashed

_JOBS_PATH = "/v2/jobs/"
_LAUNCH_PATHS = ("/v2/job_templates/", "/v2/workflow_job_templates/")
_LAUNCH_SUFFIX = "/launch/"


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
        return self.management_state in (MANAGEMENT_STATE_MANUAL, MANAGEMENT_STATE_UNMANAGED)


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
        life.removed_seq, life.removed_t = event.seq, event.t
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
                         e.config_version, e.seq, e.t)
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
        i = e.url.find(_JOBS_PATH)
        if i < 0:
            return
        job_id, _, rest = e.url[i + len(_JOBS_PATH):].partition("/")
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


@dataclass(slots=True)
class _Request:
    """An operator request to AAP that may tell it about jobs: a launch, a poll of one job, or a job-list lookup."""

    kind: str  # launch | poll | list
    t: float
    template: str = ""  # launch: the template named in the URL
    target: Key = ("", "")  # launch: the instance of the payload
    extra_vars: str = ""  # launch: the payload as JSON text (what the job list's extra_vars filter searches)
    job_id: str = ""  # poll: the id in the URL
    query: tuple[tuple[str, str], ...] = ()  # list: the filters
    launched: int | None = None  # launch: the job it created
    fault_seq: int | None = None  # launch: the AapRequestFaulted that met it
    outcome: str = ""  # once over: "HTTP <status>", "timed out" or "failed"


@dataclass(frozen=True, slots=True)
class JobListLookup:
    """A job-list lookup AAP answered 200: when it was sent and answered, and its filters."""

    sent_t: float
    answered_t: float
    query: tuple[tuple[str, str], ...]


class AapAnswers(Routed):
    """What AAP's answers let the operator learn of each job, from the HTTP events of its requests.

    A job's existence shows in the answer to its launch, and in any answer naming its id (a job list, a poll);
    its end shows in an answer that reports it finished. A launch request answered 2xx with the job's id
    delivered it; one that failed (timeout) or was answered with an error after AAP had launched the job lost
    it. Requests and jobs are paired at the launch: the open launch request of the job's template and instance.
    """

    def __init__(self) -> None:
        self._open: dict[int, _Request] = {}  # request id -> request not answered yet
        self._fault: tuple[int, float, str] | None = None  # the latest AapRequestFaulted: seq, t, path
        self.launch: dict[int, _Request] = {}  # job id -> the API request that launched it
        self.lost: dict[int, tuple[int, float, str]] = {}  # job id -> its launch answer's loss: seq, t, why
        self.named_all: dict[int, list[float]] = {}  # job id -> every time an answer named it, oldest first
        self.end_shown_t: dict[int, float] = {}  # job id -> when an answer first showed it finished
        self.lookups: list[JobListLookup] = []
        self.list_requests: list[_Request] = []  # every job-list lookup sent, oldest first
        self.polls: dict[int, list[_Request]] = {}  # job id -> its polls (`GET v2/jobs/<id>/`), oldest first

    def routes(self) -> Iterable[tuple[type[Event], Handler]]:
        return ((HttpRequested, self.requested), (HttpAnswered, self.answered), (HttpFailed, self.failed),
                (AapRequestFaulted, self.faulted), (AapJobLaunched, self.launched), (ManagerCrashed, self.crashed))

    # -- folding -----------------------------------------------------------------------------------
    def requested(self, e: HttpRequested) -> None:
        request = _classify(e)
        if request is not None:
            self._open[e.request_id] = request
            if request.kind == "poll" and request.job_id.isdigit():
                self.polls.setdefault(int(request.job_id), []).append(request)
            elif request.kind == "list":
                self.list_requests.append(request)

    def faulted(self, e: AapRequestFaulted) -> None:
        self._fault = (e.seq, e.t, e.path)

    def launched(self, e: AapJobLaunched) -> None:
        if e.launched_by != "api":
            return
        target = (e.instance_namespace, e.instance_name)
        for request in sorted(self._open.values(), key=lambda r: r.t):  # the oldest open launch of it
            if request.kind == "launch" and request.launched is None and request.template == e.template \
                    and request.target == target:
                request.launched = e.job_id
                self.launch[e.job_id] = request
                if self._fault is not None and self._fault[1] == e.t and self._fault[2].endswith(
                        f"/{e.template}{_LAUNCH_SUFFIX}"):
                    request.fault_seq = self._fault[0]
                return

    def answered(self, e: HttpAnswered) -> None:
        request = self._open.pop(e.request_id, None)
        if request is None:
            return
        ok = 200 <= e.status < 300
        request.outcome = f"HTTP {e.status}"
        if request.kind == "list" and e.status == 200:
            self.lookups.append(JobListLookup(request.t, e.t, request.query))
        if request.launched is not None and not ok:
            self.lost[request.launched] = (e.seq, e.t, f"was answered HTTP {e.status}")
        if not ok:
            return
        for job_id, status in _jobs_named(request.kind, e.body):
            self.named_all.setdefault(job_id, []).append(e.t)
            if status in FINISHED:
                self.end_shown_t.setdefault(job_id, e.t)

    def failed(self, e: HttpFailed) -> None:
        request = self._open.pop(e.request_id, None)
        if request is None:
            return
        request.outcome = "timed out" if "deadline exceeded" in e.error else "failed"
        if request.launched is not None:
            self.lost[request.launched] = (e.seq, e.t, request.outcome)

    def crashed(self, e: ManagerCrashed) -> None:
        """The process died with its requests: a launch whose answer had not come back is lost with it."""
        for request in self._open.values():
            if request.launched is not None:
                self.lost.setdefault(request.launched, (e.seq, e.t, "was cut by an operator crash"))
        self._open.clear()

    # -- judging -----------------------------------------------------------------------------------
    def could_find(self, lookup: JobListLookup, job: BackendJob) -> bool:
        """Whether `lookup`'s filters match `job` (its payload unknown: assume they do)."""
        request = self.launch.get(job.job_id)
        filters = dict(lookup.query)
        template = filters.get("job_template__name")
        if template is not None and request is not None and template != request.template:
            return False
        text = filters.get("extra_vars__icontains")
        return text is None or request is None or text.lower() in request.extra_vars.lower()

    def polls_between(self, job_id: int, start_t: float, end_t: float) -> str:
        """`no poll of it was sent` or `3 polls of it were sent (2 timed out, 1 HTTP 500)` between two times."""
        return _sent("poll of it", "polls of it", [p for p in self.polls.get(job_id, []) if start_t <= p.t <= end_t])

    def lookups_between(self, start_t: float, end_t: float) -> str:
        """`no job-list lookup was sent` or `2 job-list lookups were sent (2 timed out)` between two times."""
        return _sent("job-list lookup", "job-list lookups",
                     [r for r in self.list_requests if start_t <= r.t <= end_t])


def _sent(one: str, many: str, requests: list[_Request]) -> str:
    if not requests:
        return f"no {one} was sent"
    outcomes = [r.outcome or "unanswered" for r in requests]
    counts = ", ".join(f"{outcomes.count(o)} {o}" for o in sorted(set(outcomes)))
    return f"{len(requests)} {one if len(requests) == 1 else many} {'was' if len(requests) == 1 else 'were'} " \
           f"sent ({counts})"


def _classify(e: HttpRequested) -> _Request | None:
    """The kind of AAP request `e` is, or None for any other request."""
    url = e.url
    i = url.find(_JOBS_PATH)
    if i >= 0 and e.method == "GET":
        rest = url[i + len(_JOBS_PATH):]
        if rest.startswith("?") or not rest:
            return _Request("list", e.t, query=tuple(parse_qsl(rest[1:], keep_blank_values=True)))
        job_id, _, sub = rest.partition("/")
        return _Request("poll", e.t, job_id=job_id) if not sub else None
    if e.method != "POST" or not url.endswith(_LAUNCH_SUFFIX):
        return None
    for path in _LAUNCH_PATHS:
        j = url.find(path)
        if j >= 0:
            template = url[j + len(path):-len(_LAUNCH_SUFFIX)]
            extra_vars = e.body.get("extra_vars") if isinstance(e.body, dict) else None
            if isinstance(extra_vars, str):
                try:
                    extra_vars = json.loads(extra_vars)
                except ValueError:
                    extra_vars = None
            text = json.dumps(extra_vars, sort_keys=True, default=str)
            return _Request("launch", e.t, template=template, target=instance_of(extra_vars), extra_vars=text)
    return None


def _id_of(body: Any) -> int | None:
    value = body.get("id") if isinstance(body, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _jobs_named(kind: str, body: Any) -> list[tuple[int, str]]:
    """(id, status) of every job a 2xx answer to a `kind` request names."""
    if kind == "list":
        results = body.get("results") if isinstance(body, dict) else None
        items = results if isinstance(results, list) else []
    else:
        items = [body]
    named = []
    for item in items:
        job_id = _id_of(item)
        if job_id is not None:
            named.append((job_id, str(item.get("status", ""))))
    return named

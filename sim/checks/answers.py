"""What the answers to the operator's requests let it learn of each job: AAP's answers, and EDA's.

AAP's answers name jobs: a launch answer its new job's id, a poll its job's status, a job-list lookup every job
it lists. EDA's answer to a webhook POST names no job: a 2xx tells the operator that EDA accepted the delivery,
whose rule then launches a job the operator can only find in AAP's job list. An answer that never reached the
operator (a timeout, an error answered after the server had acted, a request cut by an operator crash) is lost,
and what it would have told can be learned again only from AAP's job list (`sim.checks.unlearnable`). A crash
does not stop a request already sent: AAP or EDA still acts on it, and its answer comes back to a dead process.
Such a request stays open, marked cut, so the job it launches is paired with it (and its answer lost), and its
answer teaches nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from models.events import Event
from sim.backends.aap import FINISHED, AapJobLaunched, AapRequestFaulted
from sim.backends.eda import WebhookReceived
from sim.backends.playbooks import instance_of
from sim.checks.common import Handler, Key, Routed
from sim.checks.tracking import JOBS_PATH, BackendJob
from sim.kernel.http import HttpAnswered, HttpFailed, HttpRequested
from sim.kube.runtime_events import ManagerCrashed

__all__ = ["AapAnswers", "EdaAnswers"]

_LAUNCH_PATHS = ("/v2/job_templates/", "/v2/workflow_job_templates/")
_LAUNCH_SUFFIX = "/launch/"


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
    over_t: float = math.inf  # when its answer came back, was lost, or the crash of its process cut it


class AapAnswers(Routed):
    """What AAP's answers let the operator learn of each job, from the HTTP events of its requests.

    A job's existence shows in the answer to its launch, and in any answer naming its id (a job list, a poll);
    its end shows in an answer that reports it finished. A launch request answered 2xx with the job's id
    delivered it; one that failed (timeout) or was answered with an error after AAP had launched the job lost
    it. Requests and jobs are paired at the launch: the open launch request of the job's template and instance
    (one cut by a crash included: AAP may launch its job after the crash, and the answer reaches no one).
    """

    def __init__(self) -> None:
        self._open: dict[int, _Request] = {}  # request id -> request not answered yet
        self._cut: dict[int, tuple[int, float]] = {}  # request id -> the crash that cut it (seq, t), while open
        self._fault: tuple[int, float, str] | None = None  # the latest AapRequestFaulted: seq, t, path
        self.launch: dict[int, _Request] = {}  # job id -> the API request that launched it
        self.lost: dict[int, tuple[int, float, str]] = {}  # job id -> its launch answer's loss: seq, t, why
        self.named_all: dict[int, list[float]] = {}  # job id -> every time an answer named it, oldest first
        self.end_shows: dict[int, list[tuple[float, float]]] = {}  # job id -> (sent, answered) of every answer
        # that showed it finished, oldest first
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
        for request_id, request in self._open.items():  # the oldest open launch of it (opened in log order)
            if request.kind == "launch" and request.launched is None and request.template == e.template \
                    and request.target == target:
                request.launched = e.job_id
                self.launch[e.job_id] = request
                cut = self._cut.get(request_id)
                if cut is not None:  # sent by a process that crashed before AAP launched the job
                    self.lost.setdefault(e.job_id, (cut[0], cut[1], "was cut by an operator crash"))
                if self._fault is not None and self._fault[1] == e.t and self._fault[2].endswith(
                        f"/{e.template}{_LAUNCH_SUFFIX}"):
                    request.fault_seq = self._fault[0]
                return

    def answered(self, e: HttpAnswered) -> None:
        request = self._open.pop(e.request_id, None)
        if request is None or self._cut.pop(e.request_id, None) is not None:  # a cut request's answer reaches no one
            return
        ok = 200 <= e.status < 300
        request.outcome, request.over_t = f"HTTP {e.status}", e.t
        if request.launched is not None and not ok:
            self.lost[request.launched] = (e.seq, e.t, f"was answered HTTP {e.status}")
        if not ok:
            return
        for job_id, status in _jobs_named(request.kind, e.body):
            self.named_all.setdefault(job_id, []).append(e.t)
            if status in FINISHED:
                self.end_shows.setdefault(job_id, []).append((request.t, e.t))

    def failed(self, e: HttpFailed) -> None:
        request = self._open.pop(e.request_id, None)
        if request is None or self._cut.pop(e.request_id, None) is not None:  # its loss was the crash
            return
        request.outcome, request.over_t = _failure(e), e.t
        if request.launched is not None:
            self.lost[request.launched] = (e.seq, e.t, request.outcome)

    def crashed(self, e: ManagerCrashed) -> None:
        """The process died with its requests: a launch whose answer had not come back is lost with it, and so is
        the job of one AAP launches only later (`launched`)."""
        for request_id, request in self._open.items():
            self._cut.setdefault(request_id, (e.seq, e.t))
            request.over_t = min(request.over_t, e.t)
            if request.launched is not None:
                self.lost.setdefault(request.launched, (e.seq, e.t, "was cut by an operator crash"))

    # -- judging -----------------------------------------------------------------------------------
    def could_list(self, query: tuple[tuple[str, str], ...], job: BackendJob, payload: str | None = None) -> bool:
        """Whether a job-list lookup with filters `query` would list `job`.

        The job's template and payload come from its launch request, else from `job.template` and `payload` (the
        text of an EDA delivery's POSTed CR); a payload not known is assumed to match.
        """
        request = self.launch.get(job.job_id)
        template = request.template if request is not None else job.template
        text = request.extra_vars if request is not None else payload
        filters = dict(query)
        wanted = filters.get("job_template__name")
        if wanted is not None and template and wanted != template:
            return False
        needle = filters.get("extra_vars__icontains")
        return needle is None or text is None or needle.lower() in text.lower()

    def asked(self, job: BackendJob, payload: str | None = None) -> list[tuple[float, float]]:
        """When the operator asked AAP about `job`, oldest first: (sent, over) of every poll of its id and every
        job-list lookup that could list it (`could_list`), `over` being when its answer came back or was lost (a
        timeout, an error, the crash of the process that sent it; infinite while it is still out)."""
        requests = [*self.polls.get(job.job_id, []),
                    *(r for r in self.list_requests if self.could_list(r.query, job, payload))]
        return sorted((r.t, r.over_t) for r in requests)

    def polls_between(self, job_id: int, start_t: float, end_t: float, *, end_included: bool = True) -> str:
        """`no poll of it was sent` or `3 polls of it were sent (2 timed out, 1 HTTP 500)` between two times."""
        return _sent("poll of it", "polls of it", [p for p in self.polls.get(job_id, [])
                                                    if start_t <= p.t and (p.t <= end_t if end_included else
                                                                           p.t < end_t)])

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
    i = url.find(JOBS_PATH)
    if i >= 0 and e.method == "GET":
        rest = url[i + len(JOBS_PATH):]
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


def _failure(e: HttpFailed) -> str:
    """How a request failed, in a violation's words: "timed out" (its deadline passed) or "failed"."""
    return "timed out" if "deadline exceeded" in e.error else "failed"


@dataclass(slots=True)
class _Post:
    """A webhook POST of the operator: the instance it carries, the CR as text, and the delivery EDA made of it."""

    target: Key
    payload: str
    delivery: int | None = None
    loss: tuple[int, float, str] | None = None  # how its answer was lost before EDA received it: seq, t, why


class EdaAnswers(Routed):
    """What the answers to the operator's webhook POSTs let it learn: that EDA accepted a delivery.

    A POST (a request whose body is a ComputeInstance) is paired with the next delivery EDA received for the same
    instance (`WebhookReceived`): the operator sends an instance's webhooks one at a time, and a POST whose answer
    was lost (a timeout, a crash of the process that sent it) may still reach EDA. A delivery reached the operator
    when its POST was answered 2xx; its answer was lost when the POST failed (timed out), was answered with an error
    (EDA answers 504 to a POST it accepted too late), or was cut by an operator crash. The payload is kept so a
    job-list lookup's filters can be matched against the job EDA launched from it.
    """

    def __init__(self) -> None:
        self._open: dict[int, _Post] = {}  # request id -> POST not answered yet
        self._cut: set[int] = set()  # request ids of open POSTs whose sender crashed: their answer reaches no one
        self._unpaired: list[_Post] = []  # POSTs, oldest first, that EDA has not received (yet)
        self.reached_t: dict[int, float] = {}  # delivery -> when its 2xx answer reached the operator
        self.lost: dict[int, tuple[int, float, str]] = {}  # delivery -> its answer's loss: seq, t, why
        self.payload: dict[int, str] = {}  # delivery -> the POSTed CR as JSON text

    def routes(self) -> Iterable[tuple[type[Event], Handler]]:
        return ((HttpRequested, self.requested), (WebhookReceived, self.received), (HttpAnswered, self.answered),
                (HttpFailed, self.failed), (ManagerCrashed, self.crashed))

    def requested(self, e: HttpRequested) -> None:
        if e.method != "POST" or not isinstance(e.body, dict):
            return
        target = instance_of({"ansible_eda": {"event": {"payload": e.body}}})
        if target[1]:  # the body is a ComputeInstance: a webhook POST
            post = _Post(target, json.dumps(e.body, sort_keys=True, default=str))
            self._open[e.request_id] = post
            self._unpaired.append(post)

    def received(self, e: WebhookReceived) -> None:
        target = (e.instance_namespace, e.instance_name)
        post = next((p for p in self._unpaired if p.target == target), None)
        if post is None:
            return
        self._unpaired.remove(post)
        post.delivery = e.delivery
        self.payload[e.delivery] = post.payload
        if post.loss is not None:
            self.lost[e.delivery] = post.loss

    def _close(self, request_id: int) -> tuple[_Post, bool] | None:
        """The webhook POST `request_id` is over: it, and whether a crash had cut it; None if it is not one."""
        post = self._open.pop(request_id, None)
        if post is None:
            return None
        cut = request_id in self._cut
        self._cut.discard(request_id)
        return post, cut

    def answered(self, e: HttpAnswered) -> None:
        closed = self._close(e.request_id)
        if closed is None:
            return
        post, cut = closed
        if post.delivery is None:  # answered without EDA receiving it (e.g. 405): no delivery will follow
            self._unpaired.remove(post)
        elif cut:  # the loss was the crash
            return
        elif 200 <= e.status < 300:
            self.reached_t[post.delivery] = e.t
        else:
            self.lost[post.delivery] = (e.seq, e.t, f"was answered HTTP {e.status}")

    def failed(self, e: HttpFailed) -> None:
        closed = self._close(e.request_id)
        if closed is None:
            return
        post, cut = closed
        if post.delivery is None and "connection refused" in e.error:  # it never reached EDA
            self._unpaired.remove(post)
        elif cut:  # the loss was the crash
            return
        elif post.delivery is not None:
            self.lost[post.delivery] = (e.seq, e.t, _failure(e))
        else:
            post.loss = (e.seq, e.t, _failure(e))

    def crashed(self, e: ManagerCrashed) -> None:
        """The process died with its requests: a POST whose answer had not come back is lost with it."""
        for request_id, post in self._open.items():
            if request_id in self._cut:
                continue  # cut by an earlier crash
            self._cut.add(request_id)
            loss = (e.seq, e.t, "was cut by an operator crash")
            if post.delivery is None:
                post.loss = loss
            else:
                self.lost.setdefault(post.delivery, loss)

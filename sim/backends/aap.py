"""The fake AAP controller: an HTTP-level fake of the REST API the operator calls, with jobs that run the playbooks.

Endpoints (§11.1), relative to the base URL: `GET v2/job_templates/?name=`, `GET
v2/workflow_job_templates/?name=`, `POST v2/job_templates/<name>/launch/`, `POST
v2/workflow_job_templates/<name>/launch/`, `GET v2/jobs/<id>/`, `GET|POST v2/jobs/<id>/cancel/`, and the job
list `GET v2/jobs/?job_template__name=&extra_vars__icontains=&order_by=` (only those filters). A job
moves new → pending → waiting → running → successful | failed | error | canceled on the AAP_JOB machine;
while running it runs its template's playbook step by step. A cancel is answered 202 at once and takes
effect later (the SIGINT); a running step completes first. Finished jobs can be purged (by age or on
command), after which every URL of the job answers 404. Each request may meet an injected fault: a 5xx,
a timeout, or a timeout after the request was acted on. Job state is the projection `AapJobs` (`aap`),
folded from this module's events; the fake answers from it.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import asdict, dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any, ClassVar
from urllib.parse import parse_qsl

import simpy

from models.events import Event
from models.machines import AAP_JOB, compiled
from models.simtime import SIM_EPOCH
from sim.backends.config import BackendConfig, TemplateSpec
from sim.backends.playbooks import PLAYBOOK_STEPS, Playbooks, config_version_of, instance_of
from sim.kernel.effects import HttpRequest, HttpResponse
from sim.kernel.errors import SimError
from sim.kernel.kernel import Kernel
from sim.kernel.projection import register_projection

Gen = Generator[simpy.Event, Any, Any]
ACTOR = "aap"
STREAM = "aap"
JOB_MACHINE = compiled(AAP_JOB)
ACTIVE = ("new", "pending", "waiting", "running")
FINISHED = ("successful", "failed", "error", "canceled")
FAULTS = ("server_error", "timeout", "timeout_applied")
ERROR_TRACEBACK = ("Task was marked as running but was not present in the job queue, "
                   "so it has been marked as failed.")
_NEXT = {"new": "enqueue", "pending": "wait", "waiting": "start"}  # the trigger that leaves each pre-run state
_API_TYPE = {"job": "job_template", "workflow": "workflow_job_template"}
_PATH_TYPE = {"job_templates": "job", "workflow_job_templates": "workflow"}
JOB_LIST_FILTERS = ("job_template__name", "extra_vars__icontains")  # the field lookups the job list honours
JOB_LIST_ORDERS = ("id", "-id")


@dataclass(frozen=True, slots=True)
class AapJobLaunched(Event):
    """A job of `template` was created (status `new`); `launched_by` is `api` (REST launch) or `eda` (a rule)."""

    job_id: int
    template: str
    template_type: str
    playbook: str
    instance_namespace: str
    instance_name: str
    config_version: str  # the payload's desiredConfigVersion ("" if none)
    launched_by: str
    forced_failure: str  # the step an armed `fail_next` makes fail ("" if none)


@dataclass(frozen=True, slots=True)
class AapJobTransitioned(Event):
    """A job moved on the AAP_JOB machine; `traceback` is its result_traceback when it ends failed or error."""

    job_id: int
    trigger: str
    source: str
    dest: str
    traceback: str


@dataclass(frozen=True, slots=True)
class AapCancelRequested(Event):
    """A cancel POST reached the controller; `answered` is the status code it got (202, 405 or 404)."""

    job_id: int
    answered: int


@dataclass(frozen=True, slots=True)
class AapCancelSignalled(Event):
    """The requested cancel reached the job (SIGINT) while it was in `status` (too late if already finished)."""

    job_id: int
    status: str


@dataclass(frozen=True, slots=True)
class AapJobPurged(Event):
    """A finished job was deleted: every URL of it answers 404 from now on."""

    job_id: int


@dataclass(frozen=True, slots=True)
class AapPurgeRefused(Event):
    """A purge command named a job that is unknown, already purged or still active; nothing changed."""

    job_id: int
    status: str


@dataclass(frozen=True, slots=True)
class AapFailureArmed(Event):
    """The next job (of `template`, or of any template if "") will fail at `step` (or a step drawn at launch)."""

    template: str
    step: str


@dataclass(frozen=True, slots=True)
class AapRequestFaulted(Event):
    """An injected fault met a request: server_error (5xx, not acted on), timeout, or timeout_applied."""

    method: str
    path: str
    fault: str


@dataclass
class AapJobRecord:
    """The controller's record of one job, as the projection folds it."""

    job_id: int
    template: str
    template_type: str
    playbook: str
    instance_namespace: str
    instance_name: str
    config_version: str
    launched_by: str
    launched_t: float
    status: str = "new"
    started_t: float | None = None
    finished_t: float | None = None
    result_traceback: str = ""

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


class AapJobs:
    """Projection `aap`: every job the controller ever launched, by id — the ground truth for race checks."""

    event_types: ClassVar[tuple[type[Event], ...]]  # AAP_EVENTS, set below once they are defined

    def __init__(self) -> None:
        self.jobs: dict[int, AapJobRecord] = {}
        self._by_instance: dict[tuple[str, str], list[AapJobRecord]] = {}

    def apply(self, event: Event) -> None:
        if not isinstance(event, _FOLDED):  # one check for the many events that are not AAP's
            return
        if isinstance(event, AapJobLaunched):
            job = self.jobs[event.job_id] = AapJobRecord(
                event.job_id, event.template, event.template_type, event.playbook, event.instance_namespace,
                event.instance_name, event.config_version, event.launched_by, event.t)
            self._by_instance.setdefault((job.instance_namespace, job.instance_name), []).append(job)
        elif isinstance(event, AapJobTransitioned):
            job = self.jobs[event.job_id]
            job.status = event.dest
            if event.dest == "running":
                job.started_t = event.t
            elif event.dest in FINISHED:
                job.finished_t = event.t
                job.result_traceback = event.traceback
        elif isinstance(event, AapJobPurged):
            self.jobs[event.job_id].status = "purged"

    def for_instance(self, namespace: str, name: str, playbook: str | None = None) -> list[AapJobRecord]:
        """Every job launched for the instance `namespace/name` (optionally of one playbook), oldest first."""
        return [j for j in self._by_instance.get((namespace, name), ()) if playbook is None or j.playbook == playbook]

    def active_for(self, namespace: str, name: str, playbook: str | None = None) -> list[AapJobRecord]:
        """Jobs not yet finished for the instance `namespace/name` (optionally of one playbook), oldest first."""
        return [j for j in self.for_instance(namespace, name, playbook) if j.active]

    def snapshot(self) -> dict[str, Any]:
        return {"jobs": {str(i): asdict(j) for i, j in sorted(self.jobs.items())}}


register_projection("aap", AapJobs)
AAP_EVENTS = (AapJobLaunched, AapJobTransitioned, AapJobPurged)
_FOLDED = AapJobs.event_types = AAP_EVENTS


@lru_cache(maxsize=4096)
def _iso(t: float) -> str:
    return (SIM_EPOCH + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_time(t: float | None) -> str | None:
    """Simulated seconds as AAP writes timestamps (`2026-02-16T00:00:05.250000Z`), None stays None.

    Cached: every poll of a job formats the same start and end times again."""
    if t is None:
        return None
    return _iso(t)


@dataclass
class _JobRun:
    """Runtime handles of an active job (not state: state is in the projection)."""

    signal: simpy.Event  # the cancel (SIGINT) reached the job
    fail_step: str = ""
    error_phase: str = ""  # "pending" | "waiting" | "running" when the job is doomed to end `error`
    error_after_steps: int = 0  # for error_phase "running": the runner dies after this many completed steps
    cancel_requested: bool = False


def _not_found() -> HttpResponse:
    return HttpResponse(404, {"detail": "Not found."})


def _not_allowed(method: str) -> HttpResponse:
    return HttpResponse(405, {"detail": f'Method "{method}" not allowed.'})


class FakeAap:
    """The AAP controller: `handle` serves HTTP; `launch`, `purge`, `fail_next` are direct commands."""

    def __init__(self, kernel: Kernel, config: BackendConfig, playbooks: Playbooks) -> None:
        self.kernel, self.config, self.playbooks = kernel, config, playbooks
        self.base_url = config.aap_base_url.rstrip("/")
        self.templates: dict[str, TemplateSpec] = {t.name: t for t in config.aap_templates}
        self.jobs = AapJobs()
        kernel.log.subscribe(self.jobs.apply, *AAP_EVENTS)
        self._runs: dict[int, _JobRun] = {}  # active jobs only
        self._extra_vars: dict[int, Any] = {}  # until the job is purged
        self._extra_vars_json: dict[int, str] = {}  # their JSON text, made on the first GET (never changes)
        self._next_id = config.aap_first_job_id
        self._requests = 0
        self._armed: list[tuple[str, str]] = []  # (template or "", step or "") in arming order

    # -- commands ----------------------------------------------------------------------------------
    def launch(self, template: str, extra_vars: Any, *, launched_by: str = "api",
               template_type: str | None = None) -> int | None:
        """Launch a job of `template` (of `template_type` if given); returns its id, or None if no such template."""
        spec = self.templates.get(template)
        if spec is None or (template_type is not None and spec.type != template_type):
            return None
        k = self.kernel
        job_id = self._next_id
        self._next_id += 1
        run = _JobRun(k.env.event(), fail_step=self._take_armed(job_id, spec))
        self._draw_error(job_id, spec, run)
        namespace, name = instance_of(extra_vars)
        k.record(AapJobLaunched, ACTOR, job_id=job_id, template=spec.name, template_type=spec.type,
                 playbook=spec.playbook, instance_namespace=namespace, instance_name=name,
                 config_version=config_version_of(extra_vars), launched_by=launched_by, forced_failure=run.fail_step)
        self._runs[job_id] = run
        self._extra_vars[job_id] = extra_vars
        new_s = k.choices.duration(STREAM, f"job/{job_id}/new_s", self.config.aap_new_s)
        if new_s <= 0:
            self._transition(job_id, "enqueue")  # launch = create + signal_start, answered as `pending`
        k.env.process(self._lifecycle(job_id, new_s))
        return job_id

    def fail_next(self, template: str | None = None, step: str | None = None) -> None:
        """Make the next launched job (of `template`, if given) fail at `step` (drawn from its playbook if None)."""
        if template is not None and template not in self.templates:
            raise SimError(f"fail_next names template {template!r}", rule="the template must exist in AAP",
                           fix=f"use one of {', '.join(sorted(self.templates))}")
        playbooks = [self.templates[template].playbook] if template else ["create", "delete"]
        if step is not None and not any(step in PLAYBOOK_STEPS[p] for p in playbooks):
            known = sorted({s for p in playbooks for s in PLAYBOOK_STEPS[p]})
            raise SimError(f"fail_next names step {step!r}", rule="the step must be one of the playbook's steps",
                           fix=f"use one of {', '.join(known)}")
        self._armed.append((template or "", step or ""))
        self.kernel.record(AapFailureArmed, ACTOR, template=template or "", step=step or "")

    def purge(self, job_id: int) -> bool:
        """Delete a finished job's record now; returns False (and changes nothing) if it is unknown or active."""
        job = self.jobs.jobs.get(job_id)
        if job is None or job.status not in FINISHED:
            self.kernel.record(AapPurgeRefused, ACTOR, job_id=job_id, status=job.status if job else "unknown")
            return False
        self._transition(job_id, "purge")
        del self._extra_vars[job_id]
        self._extra_vars_json.pop(job_id, None)
        self.kernel.record(AapJobPurged, ACTOR, job_id=job_id)
        return True

    def _take_armed(self, job_id: int, spec: TemplateSpec) -> str:
        for i, (template, step) in enumerate(self._armed):
            if template in ("", spec.name) and (not step or step in PLAYBOOK_STEPS[spec.playbook]):
                del self._armed[i]
                return step or self.kernel.choices.pick(STREAM, f"job/{job_id}/failing_step",
                                                        PLAYBOOK_STEPS[spec.playbook])
        return ""

    def _draw_error(self, job_id: int, spec: TemplateSpec, run: _JobRun) -> None:
        c = self.kernel.choices
        if c.chance(STREAM, f"job/{job_id}/error", self.config.aap_error_rate):
            run.error_phase = c.pick(STREAM, f"job/{job_id}/error_phase", ("pending", "waiting", "running"))
            steps = len(PLAYBOOK_STEPS[spec.playbook])
            run.error_after_steps = c.integer(STREAM, f"job/{job_id}/error_after_steps", 1, steps)

    # -- the job lifecycle -------------------------------------------------------------------------
    def _transition(self, job_id: int, trigger: str, traceback: str = "") -> None:
        source = self.jobs.jobs[job_id].status
        dest = JOB_MACHINE.fire(source, trigger)
        self.kernel.record(AapJobTransitioned, ACTOR, job_id=job_id, trigger=trigger, source=source, dest=dest,
                           traceback=traceback)
        if dest in FINISHED:
            self._finished(job_id)

    def _finished(self, job_id: int) -> None:
        del self._runs[job_id]
        if self.config.aap_purge_age_s is not None:
            self.kernel.env.process(self._purge_later(job_id, self.config.aap_purge_age_s))

    def _purge_later(self, job_id: int, age_s: float) -> Gen:
        yield self.kernel.env.timeout(age_s)
        if self.jobs.jobs[job_id].status in FINISHED:
            self.purge(job_id)

    def _lifecycle(self, job_id: int, new_s: float) -> Gen:
        k, cfg = self.kernel, self.config
        run = self._runs[job_id]
        delays = {"new": new_s}
        while (status := self.jobs.jobs[job_id].status) in _NEXT:
            if status not in delays:
                dist = cfg.aap_pending_s if status == "pending" else cfg.aap_waiting_s
                delays[status] = k.choices.duration(STREAM, f"job/{job_id}/{status}_s", dist)
            yield k.env.timeout(delays[status]) | run.signal
            if run.signal.triggered:
                self._transition(job_id, "cancel")
                return
            if run.error_phase == status:
                self._transition(job_id, "error", ERROR_TRACEBACK)
                return
            self._transition(job_id, _NEXT[status])
        playbook = self.templates[self.jobs.jobs[job_id].template].playbook
        outcome = yield from self.playbooks.run(job_id, playbook, self._extra_vars[job_id],
                                                should_stop=lambda done: self._stop(run, done), fail_step=run.fail_step)
        if run.signal.triggered:
            self._transition(job_id, "cancel")  # AWX: a set cancel flag wins over the run's own result
        elif outcome.stopped_by == "error":
            self._transition(job_id, "error", ERROR_TRACEBACK)
        elif outcome.failed_step:
            self._transition(job_id, "fail", outcome.traceback)
        else:
            self._transition(job_id, "succeed")

    def _stop(self, run: _JobRun, steps_done: int) -> str:
        if run.signal.triggered:
            return "cancel"
        if run.error_phase == "running" and steps_done >= run.error_after_steps:
            return "error"
        return ""

    def _cancel_later(self, job_id: int, run: _JobRun) -> Gen:
        k = self.kernel
        yield k.env.timeout(k.choices.duration(STREAM, f"job/{job_id}/cancel_delay_s", self.config.aap_cancel_delay_s))
        status = self.jobs.jobs[job_id].status
        k.record(AapCancelSignalled, ACTOR, job_id=job_id, status=status)
        if status in ACTIVE:
            run.signal.succeed()

    # -- HTTP --------------------------------------------------------------------------------------
    def handle(self, request: HttpRequest) -> Gen:
        """The HTTP handler registered on the network for `base_url`."""
        k = self.kernel
        n = self._requests
        self._requests += 1
        path = request.url[len(self.base_url):]
        fault = self._draw_fault(n)
        yield k.env.timeout(k.choices.duration(STREAM, f"req/{n}/response_s", self.config.aap_response_s))
        if fault:
            k.record(AapRequestFaulted, ACTOR, method=request.method, path=path, fault=fault)
        if fault == "server_error":
            code = k.choices.pick(STREAM, f"req/{n}/code", (500, 502, 503))
            return HttpResponse(code, {"detail": "A server error has occurred."})
        if fault == "timeout":
            yield k.env.timeout(request.timeout_s + 1.0)
            return HttpResponse(504, {"detail": "Gateway Timeout"})
        response = self._dispatch(request.method, path, request.body)
        if fault == "timeout_applied":
            yield k.env.timeout(request.timeout_s + 1.0)
        return response

    def _draw_fault(self, n: int) -> str:
        cfg, c = self.config, self.kernel.choices
        rates = (cfg.aap_server_error_rate, cfg.aap_timeout_rate, cfg.aap_timeout_applied_rate)
        total = sum(rates)
        if total <= 0.0:  # `chance` would decide without drawing: skip building the choice's name
            return ""
        if not c.chance(STREAM, f"req/{n}/fault", total):
            return ""
        return c.weighted(STREAM, f"req/{n}/fault_kind", FAULTS, rates)

    def _dispatch(self, method: str, path: str, body: Any) -> HttpResponse:
        route, _, query = path.partition("?")
        parts = [p for p in route.split("/") if p]
        if len(parts) < 2 or parts[0] != "v2":
            return _not_found()
        if parts[1] in _PATH_TYPE and len(parts) == 2:
            return self._lookup(_PATH_TYPE[parts[1]], query) if method == "GET" else _not_allowed(method)
        if parts[1] in _PATH_TYPE and len(parts) == 4 and parts[3] == "launch":
            if method != "POST":
                return _not_allowed(method)
            return self._launch_request(_PATH_TYPE[parts[1]], parts[2], body)
        if parts[1] == "jobs" and route.lstrip("/") in ("v2/jobs/", "v2/jobs"):  # `v2/jobs//` (id "") is a 404
            return self._list_jobs(query) if method == "GET" else _not_allowed(method)
        if parts[1] == "jobs" and len(parts) in (3, 4):
            job_id = int(parts[2]) if parts[2].isdigit() else -1
            if len(parts) == 3:
                return self._get_job(job_id) if method == "GET" else _not_allowed(method)
            if parts[3] == "cancel":
                return self._cancel(method, job_id)
        return _not_found()

    def _lookup(self, template_type: str, query: str) -> HttpResponse:
        params = dict(p.partition("=")[::2] for p in query.split("&") if p)
        wanted = params.get("name")
        found = [{"id": i + 1, "name": t.name, "type": _API_TYPE[t.type]}
                 for i, t in enumerate(self.config.aap_templates)
                 if t.type == template_type and (wanted is None or t.name == wanted)]
        return HttpResponse(200, {"count": len(found), "next": None, "previous": None, "results": found})

    def _launch_request(self, template_type: str, name: str, body: Any) -> HttpResponse:
        extra_vars = body.get("extra_vars", {}) if isinstance(body, dict) else {}
        try:  # what the controller stores is a JSON round trip of what was sent (a string is parsed)
            extra_vars = json.loads(extra_vars if isinstance(extra_vars, str) else json.dumps(extra_vars))
        except ValueError:
            return HttpResponse(400, {"extra_vars": ["Cannot parse as JSON (error: invalid JSON)."]})
        job_id = self.launch(name, extra_vars, launched_by="api", template_type=template_type)
        if job_id is None:
            return _not_found()
        job = self.jobs.jobs[job_id]
        return HttpResponse(201, {"id": job_id, "job": job_id, "type": "job" if template_type == "job"
                                  else "workflow_job", "status": job.status, "name": job.template})

    def _visible(self, job_id: int) -> AapJobRecord | None:
        """The job `v2/jobs/<id>/` serves: not purged, and a workflow job only if the option says so."""
        job = self.jobs.jobs.get(job_id)
        if job is None or job.status == "purged":
            return None
        if job.template_type == "workflow" and not self.config.aap_workflow_jobs_under_jobs:
            return None
        return job

    def _get_job(self, job_id: int) -> HttpResponse:
        job = self._visible(job_id)
        if job is None:
            return _not_found()
        return HttpResponse(200, {
            "id": job_id, "type": "job" if job.template_type == "job" else "workflow_job", "name": job.template,
            "status": job.status, "failed": job.status in ("failed", "error"), "started": iso_time(job.started_t),
            "finished": iso_time(job.finished_t), "extra_vars": self._extra_vars_text(job_id),
            "result_traceback": job.result_traceback})

    def _list_jobs(self, query: str) -> HttpResponse:
        """`GET v2/jobs/?...`: visible jobs filtered by template name and a case-insensitive extra_vars substring.

        As AAP, an unknown query key is an invalid filter (400); the answer is one page holding every match.
        """
        params = parse_qsl(query, keep_blank_values=True)
        for key, value in params:
            if key not in (*JOB_LIST_FILTERS, "order_by"):
                return HttpResponse(400, {"detail": f"invalid filter: {key!r} is not an allowed filter field"})
            if key == "order_by" and value not in JOB_LIST_ORDERS:
                return HttpResponse(400, {"detail": f"invalid filter: cannot order by {value!r}"})
        wanted = dict(params)
        template, text = wanted.get("job_template__name"), wanted.get("extra_vars__icontains")
        found = []
        for job_id in sorted(self.jobs.jobs, reverse=wanted.get("order_by") == "-id"):
            job = self._visible(job_id)
            if job is None or (template is not None and job.template != template):
                continue
            extra_vars = self._extra_vars_text(job_id)
            if text is not None and text.lower() not in extra_vars.lower():
                continue
            found.append({"id": job_id, "status": job.status, "created": iso_time(job.launched_t),
                          "extra_vars": extra_vars})
        return HttpResponse(200, {"count": len(found), "next": None, "previous": None, "results": found})

    def _extra_vars_text(self, job_id: int) -> str:
        """`json.dumps` of the job's extra vars, once per job: nothing changes them after the launch, and every
        poll of the job serves them again."""
        text = self._extra_vars_json.get(job_id)
        if text is None:
            text = self._extra_vars_json[job_id] = json.dumps(self._extra_vars[job_id])
        return text

    def _cancel(self, method: str, job_id: int) -> HttpResponse:
        job = self._visible(job_id)
        if method not in ("GET", "POST"):
            return _not_allowed(method)
        if method == "GET":
            return _not_found() if job is None else HttpResponse(200, {"can_cancel": job.active})
        if job is None:
            answer = _not_found()
        elif job.active:
            answer = HttpResponse(202, None)
        else:
            answer = _not_allowed(method)
        if job_id in self.jobs.jobs:
            self.kernel.record(AapCancelRequested, ACTOR, job_id=job_id, answered=answer.status)
        run = self._runs.get(job_id)
        if answer.status == 202 and run is not None and not run.cancel_requested:
            run.cancel_requested = True
            self.kernel.env.process(self._cancel_later(job_id, run))
        return answer

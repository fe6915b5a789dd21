"""What the outside world's events mean: the user's verbs, HTTP, AAP jobs, EDA webhooks, playbook steps, cloud VMs."""

from __future__ import annotations

from typing import Any

from models.events import Event, Note, RunFinished, RunStarted, UserActed
from sim.backends.aap import (
    FINISHED,
    AapCancelRequested,
    AapCancelSignalled,
    AapFailureArmed,
    AapJobLaunched,
    AapJobPurged,
    AapJobTransitioned,
    AapPurgeRefused,
    AapRequestFaulted,
)
from sim.backends.eda import EdaLaunchFailed, EdaRuleFired, WebhookLost, WebhookReceived
from sim.backends.kubevirt import VmBecameReady, VmDeletionStarted, VmProvisioned, VmReleased, VmRestarted
from sim.backends.playbooks import PlaybookStepFinished, PlaybookStepStarted
from sim.kernel.http import HttpAnswered, HttpFailed, HttpRequested
from sim.render.describe_kube import Describer
from sim.render.text import (
    BAD,
    DEFAULT,
    GOOD,
    QUIET,
    USER,
    VERBOSE,
    WARN,
    Context,
    Described,
    fields_text,
    fmt_seconds,
    short_url,
    traceback_reason,
)

JOB_KINDS = {"create": "provision", "delete": "deprovision"}  # AAP playbook -> the operator's job type
_CANCEL_ANSWERS = {202: "202 Accepted", 405: "405 Method Not Allowed (the job has finished)", 404: "404 Not Found"}
_DEST_TONES = {"successful": GOOD, "failed": BAD, "error": BAD, "canceled": WARN, "purged": WARN}


def job_label(job_id: int, ctx: Context) -> str:
    """`provision job 9000` when the launch was seen, else `job 9000`."""
    kind = JOB_KINDS.get(ctx.playbooks.get(job_id, ""), "")
    return f"{kind} job {job_id}" if kind else f"job {job_id}"


# -- the run and the user --------------------------------------------------------------------------
def _run_started(e: RunStarted, ctx: Context) -> Described:
    return Described(QUIET, f"run started: scenario {e.scenario}, seed {e.seed}")


def _run_finished(e: RunFinished, ctx: Context) -> Described:
    return Described(QUIET, f"run finished: {e.reason}")


def _note(e: Note, ctx: Context) -> Described:
    return Described(QUIET, f"note: {e.text}")


def _user_acted(e: UserActed, ctx: Context) -> Described:
    params = fields_text(sorted(e.params.items()))
    text = " ".join(part for part in (e.verb.replace("_", " "), e.instance) if part)
    return Described(QUIET, text + (f" ({params})" if params else ""), USER)


# -- HTTP ------------------------------------------------------------------------------------------
def _http_requested(e: HttpRequested, ctx: Context) -> Described:
    ctx.requests[e.request_id] = (e.method, short_url(e.url))
    return Described(VERBOSE, f"→ {e.method} {short_url(e.url)} (#{e.request_id})")


def _answer_hint(body: Any) -> str:
    if isinstance(body, dict):
        if "status" in body and "id" in body:
            return f": job {body['id']} {body['status']}"
        if "count" in body:
            return f": {body['count']} found"
        if "detail" in body:
            return f": {body['detail']}"
    return ""


def _http_answered(e: HttpAnswered, ctx: Context) -> Described:
    method, url = ctx.requests.pop(e.request_id, ("?", "?"))
    tone = BAD if e.status >= 500 else ""
    return Described(VERBOSE, f"← {e.status} for {method} {url} (#{e.request_id}){_answer_hint(e.body)}", tone)


def _http_failed(e: HttpFailed, ctx: Context) -> Described:
    method, url = ctx.requests.pop(e.request_id, ("?", "?"))
    error = e.error.rpartition('": ')[2] or e.error
    return Described(DEFAULT, f"no answer to {method} {url} (#{e.request_id}): {error}", BAD)


# -- AAP -------------------------------------------------------------------------------------------
def _job_launched(e: AapJobLaunched, ctx: Context) -> Described:
    ctx.playbooks[e.job_id] = e.playbook
    forced = f", armed to fail at {e.forced_failure}" if e.forced_failure else ""
    instance = e.instance_name or "(no instance in the payload)"
    return Described(QUIET, f"{job_label(e.job_id, ctx)} launched for {instance}: template {e.template} "
                            f"(by {e.launched_by}{forced})")


def _job_transitioned(e: AapJobTransitioned, ctx: Context) -> Described:
    label = job_label(e.job_id, ctx)
    if e.dest == "purged":
        return Described(QUIET, f"{label} purged (was {e.source}): its URLs answer 404 from now on", WARN)
    reason = f": {traceback_reason(e.traceback)}" if e.traceback and e.dest in FINISHED else ""
    return Described(QUIET, f"{label} {e.source} → {e.dest}{reason}", _DEST_TONES.get(e.dest, ""))


def _cancel_requested(e: AapCancelRequested, ctx: Context) -> Described:
    answer = _CANCEL_ANSWERS.get(e.answered, str(e.answered))
    return Described(DEFAULT, f"cancel of {job_label(e.job_id, ctx)} answered {answer}",
                     "" if e.answered == 202 else WARN)


def _cancel_signalled(e: AapCancelSignalled, ctx: Context) -> Described:
    if e.status in FINISHED:
        return Described(DEFAULT, f"cancel reached {job_label(e.job_id, ctx)} too late: already {e.status}")
    return Described(DEFAULT, f"cancel reached {job_label(e.job_id, ctx)} while {e.status} (a running step "
                              "completes first)")


def _job_purged(e: AapJobPurged, ctx: Context) -> Described:
    return Described(VERBOSE, f"{job_label(e.job_id, ctx)} record deleted")


def _purge_refused(e: AapPurgeRefused, ctx: Context) -> Described:
    return Described(DEFAULT, f"purge of {job_label(e.job_id, ctx)} refused: it is {e.status}", WARN)


def _failure_armed(e: AapFailureArmed, ctx: Context) -> Described:
    which = f"of {e.template} " if e.template else ""
    return Described(DEFAULT, f"the next job {which}will fail at {e.step or 'a step drawn at launch'}")


def _request_faulted(e: AapRequestFaulted, ctx: Context) -> Described:
    return Described(DEFAULT, f"injected {e.fault.replace('_', ' ')} on {e.method} {e.path}", BAD)


# -- EDA -------------------------------------------------------------------------------------------
def _webhook_received(e: WebhookReceived, ctx: Context) -> Described:
    return Described(DEFAULT, f"{e.hook} webhook for {e.instance_name or '?'}: {e.outcome.replace('_', ' ')} "
                              f"(delivery {e.delivery})", "" if e.outcome == "accepted" else BAD)


def _webhook_lost(e: WebhookLost, ctx: Context) -> Described:
    return Described(DEFAULT, f"delivery {e.delivery} lost: the rulebook will never act on it", BAD)


def _rule_fired(e: EdaRuleFired, ctx: Context) -> Described:
    duplicate = f" (duplicated delivery, copy {e.copy})" if e.copy > 1 else ""
    return Described(DEFAULT, f"rule fired for delivery {e.delivery}: launched {job_label(e.job_id, ctx)}"
                              f"{duplicate}", WARN if duplicate else "")


def _launch_failed(e: EdaLaunchFailed, ctx: Context) -> Described:
    return Described(DEFAULT, f"rule for delivery {e.delivery} found no template {e.template}", BAD)


# -- playbooks and the cloud -----------------------------------------------------------------------
def _step_started(e: PlaybookStepStarted, ctx: Context) -> Described:
    ctx.step_started[(e.job_id, e.step)] = e.t
    return Described(DEFAULT, f"{e.playbook} step {e.step} started")


def _step_finished(e: PlaybookStepFinished, ctx: Context) -> Described:
    started = ctx.step_started.pop((e.job_id, e.step), None)
    took = f" after {fmt_seconds(e.t - started)}" if started is not None else ""
    if e.ok:
        return Described(DEFAULT, f"{e.playbook} step {e.step} done{took}")
    return Described(DEFAULT, f"{e.playbook} step {e.step} FAILED{took}: {e.error}", BAD)


def _vm_provisioned(e: VmProvisioned, ctx: Context) -> Described:
    return Described(DEFAULT, f"cloud VM {e.vm_id} allocated for {e.instance_name or '?'} "
                              f"(VirtualMachine {e.namespace}/{e.name})")


def _vm_ready(e: VmBecameReady, ctx: Context) -> Described:
    return Described(DEFAULT, f"cloud VM {e.vm_id} booted: Ready", GOOD)


def _vm_restarted(e: VmRestarted, ctx: Context) -> Described:
    return Described(DEFAULT, f"cloud VM {e.vm_id} restarting (its VMI was deleted)")


def _vm_deleting(e: VmDeletionStarted, ctx: Context) -> Described:
    return Described(DEFAULT, f"cloud VM {e.vm_id} being torn down")


def _vm_released(e: VmReleased, ctx: Context) -> Described:
    return Described(DEFAULT, f"cloud VM {e.vm_id} released")


OUTSIDE_DESCRIBERS: dict[type[Event], Describer] = {
    RunStarted: _run_started,
    RunFinished: _run_finished,
    Note: _note,
    HttpRequested: _http_requested,
    HttpAnswered: _http_answered,
    HttpFailed: _http_failed,
    AapJobLaunched: _job_launched,
    AapJobTransitioned: _job_transitioned,
    AapCancelRequested: _cancel_requested,
    AapCancelSignalled: _cancel_signalled,
    AapJobPurged: _job_purged,
    AapPurgeRefused: _purge_refused,
    AapFailureArmed: _failure_armed,
    AapRequestFaulted: _request_faulted,
    WebhookReceived: _webhook_received,
    WebhookLost: _webhook_lost,
    EdaRuleFired: _rule_fired,
    EdaLaunchFailed: _launch_failed,
    PlaybookStepStarted: _step_started,
    PlaybookStepFinished: _step_finished,
    VmProvisioned: _vm_provisioned,
    VmBecameReady: _vm_ready,
    VmRestarted: _vm_restarted,
    VmDeletionStarted: _vm_deleting,
    VmReleased: _vm_released,
    UserActed: _user_acted,
}

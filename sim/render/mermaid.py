"""Render one run as a Mermaid sequence diagram, short enough to paste into an issue or a pull request."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from models.events import Event, Note, UserActed
from models.names import KIND_COMPUTE_INSTANCE
from models.objects import ComputeInstance
from sim.backends.aap import (
    AapCancelSignalled,
    AapJobLaunched,
    AapJobTransitioned,
    AapPurgeRefused,
    AapRequestFaulted,
)
from sim.backends.eda import EdaLaunchFailed, EdaRuleFired, WebhookLost, WebhookReceived
from sim.backends.kubevirt import VmBecameReady, VmDeletionStarted, VmProvisioned, VmReleased, VmRestarted
from sim.backends.playbooks import PlaybookStepFinished, PlaybookStepStarted
from sim.checks.base import Violation
from sim.kernel.http import HttpAnswered, HttpFailed, HttpRequested
from sim.kube.events import ApiCallRejected, ApiCallTimedOut, ObjectRemoved, ObjectStored
from sim.kube.runtime_events import ManagerCrashed, ManagerStarted

__all__ = ["PARTICIPANTS", "render_mermaid"]

# (id, shown name) in the order the columns appear.
PARTICIPANTS: tuple[tuple[str, str], ...] = (
    ("User", "User"), ("Operator", "Operator"), ("API", "API server"), ("AAP", "AAP"), ("EDA", "EDA"),
    ("Playbook", "Playbook"), ("Cloud", "Cloud"),
)
_ACTORS = {"user": "User", "operator": "Operator", "aap": "AAP", "eda": "EDA", "kubevirt": "Cloud"}
_VM_WORDS: dict[type[Event], str] = {VmProvisioned: "provisioned", VmBecameReady: "ready", VmRestarted: "restarted",
                                     VmDeletionStarted: "deleting", VmReleased: "released"}
_MAX_TEXT = 140
_ESCAPES = {"#": "#35;", ";": "#59;", "<": "#lt;", ">": "#gt;"}  # Mermaid's entity codes


def _text(raw: str) -> str:
    """Message text Mermaid parses as text: one line, with `#`, `;`, `<`, `>` written as entity codes."""
    text = re.sub(r"\s+", " ", raw).strip()
    if len(text) > _MAX_TEXT:
        text = text[: _MAX_TEXT - 3] + "..."
    return "".join(_ESCAPES.get(char, char) for char in text) or "-"


def _participant(actor: str) -> str | None:
    return "Playbook" if actor.startswith("playbook") else _ACTORS.get(actor)


def _at(event: Event) -> str:
    return f"{event.t:.2f}s "


def _ci_words(obj: ComputeInstance) -> str:
    jobs = ", ".join(f"{j.job_id or 'no id'} {j.state}" for j in obj.status.jobs)
    return f"phase {obj.status.phase or '-'}" + (f", jobs {jobs}" if jobs else "")


def _answer_words(event: HttpAnswered) -> str:
    body = event.body
    if isinstance(body, dict):
        bits = [str(body[k]) for k in ("id", "status") if k in body and not isinstance(body[k], dict | list)]
        if "count" in body:
            bits.append(f"{body['count']} found")
        return f"{event.status} " + " ".join(bits)
    return str(event.status)


def _messages(e: Event, targets: dict[int, str]) -> list[str]:
    """The diagram lines (without indentation) for one event; empty for events the diagram leaves out."""
    who = _participant(e.actor)
    ci = getattr(e, "kind", "") == KIND_COMPUTE_INSTANCE
    if isinstance(e, UserActed):
        params = " ".join(f"{k}={v}" for k, v in sorted(e.params.items()))
        return [f"User->>API: {_text(_at(e) + f'{e.verb} {e.instance} {params}')}"]
    if isinstance(e, HttpRequested) and who:
        parts = urlsplit(e.url)
        # AAP's REST API lives under /api/controller/; the operator's only other HTTP calls are EDA webhooks.
        target = "AAP" if parts.path.startswith("/api/") else "EDA"
        targets[e.request_id] = target
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return [f"{who}->>{target}: {_text(_at(e) + f'{e.method} {path}')}"]
    if isinstance(e, HttpAnswered) and who and e.request_id in targets:
        return [f"{targets[e.request_id]}-->>{who}: {_text(_at(e) + _answer_words(e))}"]
    if isinstance(e, HttpFailed) and who and e.request_id in targets:
        return [f"{targets[e.request_id]}--x{who}: {_text(_at(e) + f'no answer: {e.error}')}"]
    if isinstance(e, ObjectStored) and who and who != "User" and (ci or who == "Playbook"):
        words = f"{e.verb} {e.kind} {e.name}"
        if isinstance(e.obj, ComputeInstance) and e.verb == "update_status":
            words += f" ({_ci_words(e.obj)})"
        elif e.verb == "update" and e.obj.metadata.finalizers:
            words += f" (finalizers {', '.join(e.obj.metadata.finalizers)})"
        return [f"{who}->>API: {_text(_at(e) + words)}"]
    if isinstance(e, ApiCallRejected | ApiCallTimedOut) and ci and who and who != "User":
        why = f"{e.code} {e.reason}" if isinstance(e, ApiCallRejected) else "timed out"
        return [f"API--x{who}: {_text(_at(e) + f'{why} on {e.verb} {e.name}')}"]
    if isinstance(e, ObjectRemoved) and ci:
        return [f"Note over API: {_text(_at(e) + f'ComputeInstance {e.name} removed')}"]
    if isinstance(e, AapJobLaunched):
        return [f"AAP->>AAP: {_text(_at(e) + f'launch job {e.job_id} {e.template} by {e.launched_by}')}"]
    if isinstance(e, AapJobTransitioned):
        if e.trigger == "start":
            return [f"AAP->>Playbook: {_text(_at(e) + f'run job {e.job_id}')}"]
        return [f"AAP->>AAP: {_text(_at(e) + f'job {e.job_id} {e.source} to {e.dest}')}"]
    if isinstance(e, AapCancelSignalled):
        return [f"AAP->>Playbook: {_text(_at(e) + f'SIGINT job {e.job_id} ({e.status})')}"]
    if isinstance(e, AapRequestFaulted | AapPurgeRefused):
        words = f"{e.fault} on {e.method} {e.path}" if isinstance(e, AapRequestFaulted) else f"purge {e.job_id} refused"
        return [f"Note over AAP: {_text(_at(e) + words)}"]
    if isinstance(e, EdaRuleFired):
        return [f"EDA->>AAP: {_text(_at(e) + f'rule fired: run {e.template} as job {e.job_id}')}"]
    if isinstance(e, EdaLaunchFailed):
        return [f"EDA--xAAP: {_text(_at(e) + f'no template {e.template}')}"]
    if isinstance(e, WebhookReceived) and e.outcome != "accepted":
        return [f"Note over EDA: {_text(_at(e) + f'delivery {e.delivery} {e.outcome}')}"]
    if isinstance(e, WebhookLost):
        return [f"Note over EDA: {_text(_at(e) + f'delivery {e.delivery} lost')}"]
    if isinstance(e, PlaybookStepStarted):
        return [f"Playbook->>Playbook: {_text(_at(e) + f'job {e.job_id} {e.playbook}: {e.step}')}"]
    if isinstance(e, PlaybookStepFinished):
        arrow, words = ("-->>", "done") if e.ok else ("--x", f"failed: {e.error}")
        return [f"Playbook{arrow}Playbook: {_text(_at(e) + f'job {e.job_id} {e.step} {words}')}"]
    if type(e) in _VM_WORDS:
        name = getattr(e, "name", "")
        return [f"Cloud->>Cloud: {_text(_at(e) + f'VM {name} {_VM_WORDS[type(e)]}')}"]
    if isinstance(e, Note):
        return [f"Note over User: {_text(_at(e) + e.text)}"]
    if isinstance(e, ManagerCrashed | ManagerStarted) and who:
        verb = "crashed" if isinstance(e, ManagerCrashed) else "started"
        return [f"Note over {who}: {_text(_at(e) + f'{e.manager} {verb} (incarnation {e.incarnation})')}"]
    return []


def _violation_note(v: Violation) -> str:
    subject = f" {v.subject}" if v.subject else ""
    return f"Note over User,Cloud: {_text(f'{v.t:.2f}s VIOLATION {v.property}{subject}: {v.explanation}')}"


def render_mermaid(events: Iterable[Event], *, violations: Sequence[Violation] = (), max_messages: int = 200) -> str:
    """A `sequenceDiagram` of the run; past `max_messages` messages a note says how many were left out.

    A violation is a note right after the last of its events (or at its time when it names none of them);
    violation notes are never left out.
    """
    assert max_messages >= 0, "max_messages counts diagram messages and cannot be negative"
    evs = list(events)
    seqs = {e.seq for e in evs}
    anchor = {k: max((s for s in v.events if s in seqs), default=None) for k, v in enumerate(violations)}
    placed: set[int] = set()
    lines = ["sequenceDiagram", *(f"    participant {pid} as {name}" for pid, name in PARTICIPANTS)]
    targets: dict[int, str] = {}
    shown, omitted, cut_at = 0, 0, -1

    def note(k: int) -> None:
        placed.add(k)
        lines.append("    " + _violation_note(violations[k]))

    for e in evs:
        for k, v in enumerate(violations):
            if k not in placed and anchor[k] is None and v.t < e.t:
                note(k)
        for line in _messages(e, targets):
            if shown < max_messages:
                lines.append("    " + line)
                shown += 1
                continue
            if cut_at < 0:
                cut_at = len(lines)
                lines.append("")  # the note is written once the count is known
            omitted += 1
        for k in range(len(violations)):
            if k not in placed and anchor[k] == e.seq:
                note(k)
    for k in range(len(violations)):
        if k not in placed:
            note(k)
    if omitted:
        lines[cut_at] = (f"    Note over User,Cloud: {omitted} more messages left out (limit {max_messages})"
                         "#59; the HTML report shows every event")
    return "\n".join(lines) + "\n"

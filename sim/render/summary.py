"""The per-instance summary of a run: final phase, jobs recorded versus jobs launched, VMs left, and totals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from models.events import Event
from models.names import KIND_COMPUTE_INSTANCE
from models.objects import ComputeInstance, KubeObject
from sim.backends.aap import FINISHED, AapJobLaunched, AapJobPurged, AapJobTransitioned
from sim.backends.eda import WebhookReceived
from sim.backends.kubevirt import VmProvisioned, VmReleased
from sim.kube.events import ApiCallRejected, ObjectRemoved, ObjectStored, ObjectUnchanged
from sim.kube.runtime_events import ReconcileStarted
from sim.render.text import fmt_seconds, listing, short, traceback_reason

InstanceKey = tuple[str, str]  # (namespace, name)


@dataclass
class _Job:
    """A job the AAP controller launched, as far as the log tells."""

    job_id: int
    playbook: str
    launched_by: str
    launched_t: float
    status: str = "new"
    ended_t: float | None = None
    reason: str = ""
    purged: bool = False


@dataclass
class _Instance:
    """Everything the summary says about one ComputeInstance."""

    last: KubeObject | None = None  # the last persisted version (or the state it was removed in)
    last_t: float = 0.0
    removed_t: float | None = None
    jobs: list[_Job] = field(default_factory=list)
    vms: dict[str, tuple[str, float]] = field(default_factory=dict)  # vm id -> (VirtualMachine ns/name, since)
    webhooks: Counter[tuple[str, str]] = field(default_factory=Counter)  # (hook, outcome) -> deliveries


@dataclass
class _Run:
    """The fold behind the summary: instances in order of first appearance, jobs by id, totals."""

    instances: dict[InstanceKey, _Instance] = field(default_factory=dict)
    jobs: dict[int, _Job] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def instance(self, namespace: str, name: str) -> _Instance:
        return self.instances.setdefault((namespace, name), _Instance())

    def apply(self, e: Event) -> None:
        if isinstance(e, ObjectStored | ObjectRemoved) and e.kind == KIND_COMPUTE_INSTANCE:
            facts = self.instance(e.namespace, e.name)
            facts.last, facts.last_t = e.obj, e.t
            facts.removed_t = e.t if isinstance(e, ObjectRemoved) else None
        elif isinstance(e, AapJobLaunched):
            job = self.jobs[e.job_id] = _Job(e.job_id, e.playbook, e.launched_by, e.t)
            self.instance(e.instance_namespace, e.instance_name).jobs.append(job)
        elif isinstance(e, AapJobTransitioned) and e.job_id in self.jobs:
            job = self.jobs[e.job_id]
            if e.dest in FINISHED:
                job.status, job.ended_t = e.dest, e.t
                job.reason = traceback_reason(e.traceback) if e.traceback else ""
            elif e.dest != "purged":
                job.status = e.dest
        elif isinstance(e, AapJobPurged) and e.job_id in self.jobs:
            self.jobs[e.job_id].purged = True
        elif isinstance(e, VmProvisioned):
            self.instance(e.instance_namespace, e.instance_name).vms[e.vm_id] = (f"{e.namespace}/{e.name}", e.t)
        elif isinstance(e, VmReleased):
            for facts in self.instances.values():
                facts.vms.pop(e.vm_id, None)
        elif isinstance(e, WebhookReceived):
            self.instance(e.instance_namespace, e.instance_name).webhooks[(e.hook, e.outcome)] += 1
        self._count(e)

    def _count(self, e: Event) -> None:
        if isinstance(e, ObjectStored | ObjectUnchanged):
            self.counts["writes"] += 1
        elif isinstance(e, ApiCallRejected) and e.code == 409:
            self.counts["conflicts"] += 1
        elif isinstance(e, ReconcileStarted):
            self.counts["reconciles"] += 1


def _table(rows: list[list[str]], indent: str) -> list[str]:
    """Rows of cells with every column but the last padded to its widest cell."""
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]) - 1)] if rows else []
    return [indent + "  ".join([*(cell.ljust(w) for cell, w in zip(r, widths, strict=False)), r[-1]]).rstrip()
            for r in rows]


def _state_line(name: str, facts: _Instance) -> str:
    if facts.removed_t is not None:
        return f"{name}: gone (removed at {fmt_seconds(facts.removed_t)})"
    if not isinstance(facts.last, ComputeInstance):
        return f"{name}: never stored in the API server"
    phase = facts.last.status.phase.value or "(none)"
    deleting = facts.last.metadata.deletion_timestamp
    terminating = f", terminating since {fmt_seconds(deleting)}" if deleting is not None else ""
    return f"{name}: phase {phase}{terminating}"


def _recorded(facts: _Instance) -> list[str]:
    if not isinstance(facts.last, ComputeInstance):
        return []
    verb = "removed" if facts.removed_t is not None else "written"
    version = f"last version, rv {facts.last.metadata.resource_version}, {verb} at {fmt_seconds(facts.last_t)}"
    jobs = facts.last.status.jobs
    if not jobs:
        return [f"    jobs recorded ({version}): none"]
    # A message that holds a whole Ansible traceback is shown as the failed task's message.
    rows = [[j.job_id, j.type.value, j.state.value, traceback_reason(j.message) if "\n" in j.message else j.message]
            for j in jobs]
    return [f"    jobs recorded ({version}):", *_table(rows, "      ")]


def _launched(facts: _Instance) -> list[str]:
    if not facts.jobs:
        return ["    jobs launched in AAP: none"]
    per_playbook = Counter(j.playbook for j in facts.jobs)
    head = ", ".join(f"{n} {playbook}" for playbook, n in sorted(per_playbook.items()))
    rows = []
    for j in facts.jobs:
        status = f"purged (was {j.status})" if j.purged else j.status
        ended = f", ended {fmt_seconds(j.ended_t)}" if j.ended_t is not None else ", still active"
        reason = f": {j.reason}" if j.reason else ""
        rows.append([j.playbook, str(j.job_id), status, f"by {j.launched_by} at {fmt_seconds(j.launched_t)}{ended}"
                     f"{reason}"])
    return [f"    jobs launched in AAP ({head}):", *_table(rows, "      ")]


def _instance_lines(key: InstanceKey, facts: _Instance) -> list[str]:
    name = "/".join(part for part in key if part) or "(no instance named)"
    lines = [f"  {_state_line(name, facts)}"]
    if facts.last is not None:
        left = "none" if facts.removed_t is not None else listing(short(f) for f in facts.last.metadata.finalizers)
        lines.append(f"    finalizers left: {left}")
    lines += _recorded(facts)
    if facts.webhooks:
        hooks = ", ".join(f"{hook} {outcome.replace('_', ' ')} ×{n}" for (hook, outcome), n in
                          sorted(facts.webhooks.items()))
        lines.append(f"    EDA webhooks: {hooks}")
    lines += _launched(facts)
    vms = [f"{vm_id} (VirtualMachine {where}, allocated at {fmt_seconds(t)})" for vm_id, (where, t) in
           facts.vms.items()]
    lines.append(f"    VMs left in the cloud: {len(vms)}" + (f" — {', '.join(vms)}" if vms else ""))
    return lines


def render_summary(events: Sequence[Event]) -> list[str]:
    """Per instance: final phase or when it went, finalizers left, jobs recorded (last persisted version) versus
    jobs launched in AAP with their final status, VMs still in the cloud ledger; then one line of totals."""
    run = _Run()
    for e in events:
        run.apply(e)
    lines = ["instances:"] if run.instances else ["instances: none"]
    for key, facts in run.instances.items():
        lines += _instance_lines(key, facts)
    end_t = events[-1].t if events else 0.0
    c = run.counts
    lines.append(f"totals: {len(events)} events, {fmt_seconds(end_t)} simulated, {c['writes']} API writes, "
                 f"{c['conflicts']} conflicts, {c['reconciles']} reconciles")
    return lines

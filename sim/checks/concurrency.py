"""Backend concurrency: at most one active create job per instance, and no delete job alongside an active create job."""

from __future__ import annotations

from models.jobs import JobType, find_latest_job_by_type, is_eda_job_id
from sim.checks.base import register_checker
from sim.checks.common import entries_text, subject
from sim.checks.launches import LaunchChecker
from sim.checks.tracking import BackendJob


@register_checker
class OneActiveProvision(LaunchChecker):
    """§17 item 1: two create playbooks running for one instance race on its finalizer, VM and annotation."""

    property_id = "one-active-provision"
    description = "At most one provision (create-playbook) job per instance is non-terminal in AAP at any time."

    def judge(self, job: BackendJob) -> None:
        if job.playbook != "create":
            return
        others = [o for o in self.ledger.of(job.key, "create") if o is not job and o.active]
        if not others:
            return
        who = subject(job.key)
        cause, shown = self.relaunch_cause(others[-1], job)
        self.violate(job.launch_t, who, (
            f"{job.describe()} started while {'; '.join(o.describe() for o in others)} had not finished: "
            f"{len(others) + 1} create playbooks now run for {who}, each adding the computeinstance-aap finalizer, "
            "creating the VirtualMachine and writing the reconciled-config-version annotation, while the operator "
            f"polls at most one of them. {cause}"),
            [*(s for o in others[-3:] for s in o.decisive()[:2]), *job.decisive()[:2], *shown])


@register_checker
class NoDeprovisionDuringProvision(LaunchChecker):
    """§17 item 3: a delete playbook must not run while a create playbook of the same instance is active."""

    property_id = "no-deprovision-during-provision"
    description = "No delete-playbook job is active in AAP while a create-playbook job of the same instance is."

    def judge(self, job: BackendJob) -> None:
        if job.playbook not in ("create", "delete"):
            return
        against = "create" if job.playbook == "delete" else "delete"
        overlapping = [o for o in self.ledger.of(job.key, against) if o.active]
        if not overlapping:
            return
        who = subject(job.key)
        running = "; ".join(o.describe() for o in overlapping)
        creates = overlapping if job.playbook == "delete" else [job]
        self.violate(job.launch_t, who, (
            f"{job.describe()} was launched for {who} while {running} had not finished: the delete playbook "
            "deletes the VirtualMachine and removes the computeinstance-aap finalizer "
            "while the create playbook may still create the VM, so the VM can outlive the instance. "
            f"{self._cancels(creates, job.playbook == 'create')}{self._recorded(job)}"),
            [*(s for o in overlapping[-3:] for s in o.decisive()[:2]), *job.decisive()[:2],
             *(c.last_cancel_seq for c in creates if c.last_cancel_seq is not None)])

    @staticmethod
    def _cancels(creates: list[BackendJob], create_is_new: bool) -> str:
        if create_is_new:
            return "The create job started during the deprovisioning of the same instance."
        parts = []
        for c in creates:
            if c.cancel_requests:
                parts.append(f"The operator had asked AAP to cancel job {c.job_id} {c.cancel_requests} time(s) "
                             f"(last answer {c.last_cancel_answer}) but launched the deprovision before the cancel "
                             "took effect.")
            else:
                parts.append(f"Nobody asked AAP to cancel job {c.job_id}.")
        return " ".join(parts)

    def _recorded(self, job: BackendJob) -> str:
        life = self.instances.current(job.key)
        if life is None:
            return ""
        text = ""
        latest = find_latest_job_by_type(life.obj.status.jobs, JobType.PROVISION)
        if latest is not None and is_eda_job_id(latest.job_id):
            text = (f" The latest provision entry is {latest.job_id} ({latest.state.value}), an EDA id: the "
                    "operator cannot see when the EDA-launched job ends.")
        return text + f" status.jobs[] held {entries_text(life.obj.status.jobs)}."

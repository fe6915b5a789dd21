"""The base of the checkers that judge AAP launches, and how a second launch of one playbook is explained.

Each launch is judged once its EDA rule (if any) is known: `EdaRuleFired` follows `AapJobLaunched` at the
same instant. A second launch is explained, as far as the log tells, by a duplicated delivery, an operator
crash, a failed trigger, a stale cached read, or a lost record.
"""

from __future__ import annotations

import math

from models.jobs import PLAYBOOK_TYPE, JobRecord, JobType, is_eda_job_id
from sim.backends.aap import AapJobLaunched
from sim.backends.eda import EdaRuleFired, WebhookReceived
from sim.checks.common import EventChecker, at, entries_text, entry_text
from sim.checks.tracking import AapLedger, BackendJob, Instances
from sim.kube.events import ObjectRemoved, ObjectStored
from sim.kube.runtime_events import ManagerCrashed

_REQUEST_TIMEOUT_S = 30.0  # the longest operator request (AAP REST client timeout, §12)


class LaunchChecker(EventChecker):
    """Judges each launch once its EDA rule (if any) is known: EdaRuleFired follows the launch at the same instant."""

    def __init__(self) -> None:
        super().__init__()
        self.instances = Instances()
        self.ledger = AapLedger()
        self._awaiting: dict[int, BackendJob] = {}
        self.route(ObjectStored, self.instances.stored)
        self.route(ObjectRemoved, self.instances.removed)
        self.follow(self.ledger)
        self.route(AapJobLaunched, self._launched)
        self.route(EdaRuleFired, self._rule_fired)
        self.route(ManagerCrashed, self._crashed)
        self.route(WebhookReceived, self._webhook)
        self._crashes: list[tuple[int, float]] = []  # (seq, t) of every operator crash or restart
        # delivery -> (when, the instance's stored jobs then): what the operator had persisted when it sent it
        self._deliveries: dict[int, tuple[float, tuple[JobRecord, ...]]] = {}

    def _webhook(self, e: WebhookReceived) -> None:
        life = self.instances.live.get((e.instance_namespace, e.instance_name))
        self._deliveries[e.delivery] = (e.t, tuple(life.obj.status.jobs) if life is not None else ())

    def _stale(self, first: BackendJob, second: BackendJob, jobs: list[JobRecord], job_type: JobType) -> bool:
        """Whether the stored object already recorded the first trigger when the operator triggered again."""
        if first.launched_by == "api":
            return any(j.job_id == str(first.job_id) for j in jobs)
        sent = self._deliveries.get(first.eda_delivery if first.eda_delivery is not None else -1)
        again = self._deliveries.get(second.eda_delivery if second.eda_delivery is not None else -1)
        if sent is None or again is None:
            return False
        return any(is_eda_job_id(j.job_id) and j.type == job_type and j.timestamp >= math.floor(sent[0])
                   for j in again[1])

    def _crashed(self, e: ManagerCrashed) -> None:
        self._crashes.append((e.seq, e.t))

    def relaunch_cause(self, first: BackendJob, second: BackendJob) -> tuple[str, list[int]]:
        """Why a second job of the same playbook exists, as far as the log tells, and the events that show it."""
        life = self.instances.current(second.key)
        jobs = life.obj.status.jobs if life is not None else []
        job_type = PLAYBOOK_TYPE[second.playbook]
        recorded = f"status.jobs[] holds {entries_text(jobs, job_type)}"
        # A crash up to one request timeout before the first launch may have cut the request that made it.
        crashes = [c for c in self._crashes if first.launch_t - _REQUEST_TIMEOUT_S <= c[1] <= second.launch_t]
        if second.launched_by == first.launched_by == "eda" and second.eda_delivery is not None \
                and second.eda_delivery == first.eda_delivery:
            return (f"EDA delivered one {second.playbook} webhook twice (delivery {second.eda_delivery}), so its "
                    f"rule launched the template twice; {recorded}."), []
        if crashes:
            return (f"The operator process stopped at {at(crashes[0][1])}, while the first trigger was in flight "
                    "or before its status write, so the new process found no record of the job and triggered "
                    f"again; {recorded}."), [crashes[0][0]]
        failed = [j for j in jobs if j.type == job_type and j.job_id == "" and first.launch_t - 1 <= j.timestamp]
        if failed:
            return (f"The operator recorded the first trigger as failed ({entry_text(failed[0])}) although "
                    f"{'EDA had accepted the webhook' if first.launched_by == 'eda' else 'AAP had launched the job'}, "
                    f"and triggered again; {recorded}."), []
        if self._stale(first, second, jobs, job_type):
            return ("The first trigger was already persisted in status.jobs[] when the operator triggered again: "
                    "that reconcile decided from a cached copy of the object older than its own last status write "
                    "(informer lag; a reconcile of a key marked dirty starts at once, before the cache catches up), "
                    f"found no {job_type.value} job and launched another; {recorded}."), []
        if first.launched_by == "eda" and second.launched_by == "eda":
            return (f"The operator's {second.playbook} webhook was accepted twice (deliveries {first.eda_delivery} "
                    f"and {second.eda_delivery}): it triggered again although the first delivery had been "
                    f"accepted; {recorded}."), []
        if first.launched_by == "api" and not any(j.job_id == str(first.job_id) for j in jobs):
            return (f"Job {first.job_id} is not recorded in status.jobs[]: the operator lost the record of its "
                    "launch (the launch answer, or the status write that follows it, was lost) and launched again; "
                    f"{recorded}."), []
        return f"The {second.playbook} template was launched again for the same instance; {recorded}.", []

    def _launched(self, e: AapJobLaunched) -> None:
        job = self.ledger.jobs[e.job_id]
        if job.launched_by == "eda":
            self._awaiting[job.job_id] = job
        else:
            self.judge(job)

    def _rule_fired(self, e: EdaRuleFired) -> None:
        job = self._awaiting.pop(e.job_id, None)
        if job is not None:
            self.judge(job)

    def finish(self, end_t: float) -> None:
        for job_id in sorted(self._awaiting):
            self.judge(self._awaiting[job_id])
        self._awaiting.clear()

    def judge(self, job: BackendJob) -> None:
        raise NotImplementedError

"""What AAP's job API shows the hardened controller of an instance's jobs, whichever provider launched them (F14).

EDA runs its jobs in the same AAP as the AAP provider (§1), with the CR as payload, so `metadata.uid`
finds an instance's jobs of a template in AAP's job list whether a webhook or a REST launch created them.
The hardened operator is therefore given AAP's URL and a read token in both provider modes (a deployment
requirement) and reads the job API through its own client, independent of the provider: it finds the job
of a launch whose answer was lost, and it sees the end of a job the provider cannot see (an EDA job, or an
AAP job inherited after a switch to EDA). It only reads; launches and cancels stay the provider's. A read that
gets no answer in time is asked once more at once, as the provider's status polls are (`ask`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from models.jobs import JobRecord, JobState, JobType, is_eda_job_id, map_aap_status
from models.objects import ComputeInstance
from sim.kernel.effects import HttpResponse
from sim.operator.aap_client import API_VERSION, AAPClient, Job, JobSummary, is_not_found
from sim.operator.config import OperatorConfig
from sim.operator.errors import GoError
from sim.operator.hardened_launches import ask
from sim.operator.types import Co

__all__ = ["AAPJobs", "Lookup", "Observation", "Seen"]

T = TypeVar("T")


class Lookup(StrEnum):
    """What AAP's job list answered for a launch whose answer was lost."""

    FOUND = "found"  # the launch's job was found (and recorded), or the launch was otherwise settled
    NOT_FOUND = "not found"  # no job of the launch is listed (yet)
    FAILED = "failed"  # AAP could not be read: ask again rather than take it for "not found"


class Seen(StrEnum):
    """What AAP shows of a recorded job."""

    ENDED = "ended"  # its end, in `Observation.state`
    ACTIVE = "active"  # new, pending, waiting or running
    PURGED = "purged"  # an AAP id answers 404: the job ended and was purged (AAP purges only ended jobs)
    ABSENT = "absent"  # no listed job belongs to the entry: not started (yet), or ended and purged
    UNREADABLE = "unreadable"  # the read failed: judge by effects and bounds, as without the job API


@dataclass(frozen=True, slots=True)
class Observation:
    """One look at a recorded job in AAP: what is seen, and the job's mapped state and raw status when listed."""

    seen: Seen
    state: JobState = JobState.UNKNOWN
    status: str = ""  # AAP's raw status string


class AAPJobs:
    """A read-only view of AAP's jobs (process memory, like the provider's client: fresh at every start)."""

    def __init__(self, client: AAPClient, provision_template: str, deprovision_template: str) -> None:
        self.client = client
        self.templates = {JobType.PROVISION: provision_template, JobType.DEPROVISION: deprovision_template}

    @classmethod
    def from_config(cls, config: OperatorConfig) -> AAPJobs:
        """AAP's URL, token and template names are configured in both provider modes (EDA runs the same templates).

        Every request goes through `read`, so it gets the hardened controller's deadline there (`bounded`, F7)."""
        return cls(AAPClient(config.aap_url, config.aap_token, config.aap_timeout_s),
                   config.aap_provision_template, config.aap_deprovision_template)

    def created_since(self, instance: ComputeInstance, job_type: JobType, since_s: float) -> Co[list[JobSummary]]:
        """The instance's jobs of the type's template created at or after `since_s` (whole seconds), newest first.

        Raises the client's GoError when AAP cannot be read; an instance without a uid has no findable jobs.
        """
        if not instance.metadata.uid:
            return []
        jobs = yield from self.read(lambda: self.client.list_jobs(self.templates[job_type], instance.metadata.uid))
        floor = math.floor(since_s)
        return [job for job in jobs if job.created_s is not None and job.created_s >= floor]

    def observe(self, instance: ComputeInstance, entry: JobRecord) -> Co[Observation]:
        """What AAP shows of a recorded job: an AAP id is read by id; an EDA id by the jobs listed in its window."""
        if entry.job_id.isdigit():
            try:
                job = yield from self.read(lambda: self.client.get_job(entry.job_id))
            except GoError as exc:
                return Observation(Seen.PURGED if is_not_found(exc) else Seen.UNREADABLE)
            return self.seen(map_aap_status(job.status), job.status)
        if not is_eda_job_id(entry.job_id):
            return Observation(Seen.ABSENT)
        try:
            jobs = yield from self.created_since(instance, entry.type, entry.timestamp)
        except GoError:
            return Observation(Seen.UNREADABLE)
        until = self.window_end_s(instance, entry)
        mine = [job for job in jobs if until is None or (job.created_s or 0.0) < until]
        if not mine:
            return Observation(Seen.ABSENT)
        active = [job for job in mine if not map_aap_status(job.status).is_terminal]
        newest = active[0] if active else mine[0]
        return self.seen(map_aap_status(newest.status), newest.status)

    @staticmethod
    def read(call: Callable[[], Co[T]]) -> Co[T]:
        """One read of the job API, asked once more at once when it got no answer in time (`ask`; F7, F14): the job
        may end while the question hangs, and AAP may purge it before the next poll (swarm seed 6733: the end of an
        AAP job inherited across a switch to EDA, whose provider never reads AAP, is read here only). Raises the
        client's GoError when neither request was answered."""
        answer = yield from ask(call)
        return (yield from answer.replay())

    @staticmethod
    def seen_in(reads: Mapping[str, Any], entry: JobRecord) -> Observation | None:
        """What a GET of the entry's AAP id sent by the provider in this reconcile answered; None if none was."""
        if not entry.job_id.isdigit():
            return None
        path = f"/{API_VERSION}/jobs/{entry.job_id}/"
        for url, response in reads.items():
            if not url.endswith(path) or not isinstance(response, HttpResponse):
                continue
            if response.status == 404:
                return Observation(Seen.PURGED)
            if response.ok and isinstance(response.body, dict):
                status = Job.from_body(response.body).status
                return AAPJobs.seen(map_aap_status(status), status)
        return None

    @staticmethod
    def window_end_s(instance: ComputeInstance, entry: JobRecord) -> float | None:
        """An EDA entry owns the jobs created until the next EDA entry of its type was recorded (None: no later one)."""
        later = [e.timestamp for e in instance.status.jobs
                 if e.type is entry.type and is_eda_job_id(e.job_id) and e.timestamp > entry.timestamp]
        return math.floor(min(later)) if later else None

    @staticmethod
    def seen(state: JobState, status: str) -> Observation:
        return Observation(Seen.ENDED if state.is_terminal else Seen.ACTIVE, state, status)

"""Job records of ``status.jobs[]`` and the reference operator's rules for them (§8, §10.2, §11.3)."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from models.frozen import builder

__all__ = [
    "DEFAULT_MAX_JOB_HISTORY",
    "EDA_JOB_ID_PREFIX",
    "JobRecord",
    "JobState",
    "JobType",
    "append_job",
    "find_job_by_id",
    "find_latest_job_by_type",
    "generate_eda_job_id",
    "is_eda_job_id",
    "is_successful",
    "is_terminal",
    "map_aap_status",
    "update_job",
]

# What the reference constructor substitutes for a MaxJobHistory <= 0 (and the env default).
DEFAULT_MAX_JOB_HISTORY = 10

# Prefix of every job id the EDA provider invents (§10.2).
EDA_JOB_ID_PREFIX = "eda-webhook-"


class JobType(StrEnum):
    """Kind of job recorded in ``status.jobs[]``; values are the CRD enum strings."""

    PROVISION = "provision"
    DEPROVISION = "deprovision"


# Which playbook (AAP job template) carries out each kind of job: create provisions, delete deprovisions.
PLAYBOOK_TYPE: Mapping[str, JobType] = {"create": JobType.PROVISION, "delete": JobType.DEPROVISION}
TYPE_PLAYBOOK: Mapping[JobType, str] = {t: p for p, t in PLAYBOOK_TYPE.items()}


class JobState(StrEnum):
    """Recorded state of a job; values are the CRD enum strings."""

    PENDING = "Pending"
    WAITING = "Waiting"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELED = "Canceled"
    UNKNOWN = "Unknown"

    @property
    def is_terminal(self) -> bool:
        """True for Succeeded, Failed and Canceled; Unknown is not terminal."""
        return self in _TERMINAL_STATES

    @property
    def is_successful(self) -> bool:
        """True only for Succeeded."""
        return self == JobState.SUCCEEDED


_TERMINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELED})


def is_terminal(state: JobState) -> bool:
    """Mirror of the reference ``IsTerminal``: Succeeded, Failed or Canceled."""
    return state in _TERMINAL_STATES


def is_successful(state: JobState) -> bool:
    """Mirror of the reference ``IsSuccessful``: Succeeded only."""
    return state == JobState.SUCCEEDED


@dataclass(frozen=True, slots=True)
class JobRecord:
    """One entry of ``status.jobs[]``; ``timestamp`` is simulated seconds since SIM_EPOCH."""

    job_id: str
    type: JobType
    timestamp: float
    state: JobState
    message: str = ""
    block_deletion_on_failure: bool = False

    def to_dict(self) -> dict[str, object]:
        """Return the entry with the CRD JSON keys, enums as their string values."""
        return {
            "jobID": self.job_id,
            "type": self.type.value,
            "timestamp": float(self.timestamp),
            "state": self.state.value,
            "message": self.message,
            "blockDeletionOnFailure": self.block_deletion_on_failure,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> JobRecord:
        """Build an entry from CRD-keyed data; raise ValueError naming the bad key and value."""
        job_id = _require(d, "jobID")
        if not isinstance(job_id, str):
            raise ValueError(f"jobID must be a string (may be empty), got {job_id!r}")
        raw_type = _require(d, "type")
        try:
            job_type = JobType(_as_str(raw_type))
        except ValueError:
            allowed = ", ".join(t.value for t in JobType)
            raise ValueError(f"type must be one of {allowed}, got {raw_type!r}") from None
        timestamp = _require(d, "timestamp")
        if isinstance(timestamp, bool) or not isinstance(timestamp, int | float):
            raise ValueError(f"timestamp must be a number of simulated seconds, got {timestamp!r}")
        if not math.isfinite(timestamp):
            raise ValueError(f"timestamp must be finite, got {timestamp!r}")
        raw_state = _require(d, "state")
        try:
            state = JobState(_as_str(raw_state))
        except ValueError:
            allowed = ", ".join(s.value for s in JobState)
            raise ValueError(f"state must be one of {allowed}, got {raw_state!r}") from None
        message = d.get("message", "")
        if not isinstance(message, str):
            raise ValueError(f"message must be a string, got {message!r}")
        block = d.get("blockDeletionOnFailure", False)
        if not isinstance(block, bool):
            raise ValueError(f"blockDeletionOnFailure must be a bool, got {block!r}")
        return _new_job_record(job_id, job_type, float(timestamp), state, message, block)

    def with_changes(self, **changes: Any) -> JobRecord:
        """Return a copy with the given fields replaced (``dataclasses.replace``, without its per-call field walk)."""
        if not changes.keys() <= _JOB_RECORD_FIELDS:
            return dataclasses.replace(self, **changes)  # raises the usual TypeError
        get = changes.get
        return _new_job_record(get("job_id", self.job_id), get("type", self.type), get("timestamp", self.timestamp),
                         get("state", self.state), get("message", self.message),
                         get("block_deletion_on_failure", self.block_deletion_on_failure))


_JOB_RECORD_FIELDS = frozenset(f.name for f in dataclasses.fields(JobRecord))
_new_job_record = builder(JobRecord)


def _require(d: Mapping[str, object], key: str) -> object:
    if key not in d:
        raise ValueError(f"job entry lacks required key {key!r}; keys present: {sorted(d)}")
    return d[key]


def _as_str(value: object) -> str:
    # A non-string enum value is rejected by the caller's ValueError handler with the allowed values.
    if not isinstance(value, str):
        raise ValueError(value)
    return value


def find_latest_job_by_type(jobs: Sequence[JobRecord], job_type: JobType) -> JobRecord | None:
    """Return the entry of ``job_type`` with the latest timestamp; ties go to the first in array order."""
    best: JobRecord | None = None
    for job in jobs:
        if job.type != job_type:
            continue
        # Strictly later only: an equal timestamp never displaces an earlier array entry.
        if best is None or job.timestamp > best.timestamp:
            best = job
    return best


def find_job_by_id(jobs: Sequence[JobRecord], job_id: str) -> JobRecord | None:
    """Return the first entry whose id is ``job_id``, or None."""
    for job in jobs:
        if job.job_id == job_id:
            return job
    return None


def append_job(jobs: Sequence[JobRecord], job: JobRecord, max_history: int) -> list[JobRecord]:
    """Return a new list with ``job`` appended, trimmed to the last ``max_history`` entries by position."""
    limit = max_history if max_history > 0 else DEFAULT_MAX_JOB_HISTORY
    result = [*jobs, job]
    if len(result) > limit:
        result = result[-limit:]
    return result


def update_job(jobs: Sequence[JobRecord], job: JobRecord) -> tuple[list[JobRecord], bool]:
    """Replace the first entry with ``job.job_id`` by ``job`` (all fields); report whether one was found."""
    result = list(jobs)
    for index, existing in enumerate(result):
        if existing.job_id == job.job_id:
            result[index] = job
            return result, True
    return result, False


def is_eda_job_id(job_id: str) -> bool:
    """True when the id was invented by the EDA provider (starts with ``eda-webhook-``)."""
    return job_id.startswith(EDA_JOB_ID_PREFIX)


# Go strconv.Atoi on a 64-bit platform: an optional '+' or '-' then one or more ASCII digits
# ("+5" -> 5, "-3" -> -3, "007" -> 7); no spaces, no underscores, no other Unicode digits (all of
# which Python's int() would accept, hence the explicit pattern). A value outside int64 makes
# Atoi return an error, so such a suffix is ignored like a non-numeric one.
_ATOI_PATTERN = re.compile(r"[+-]?[0-9]+")
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


def _atoi(text: str) -> int | None:
    if _ATOI_PATTERN.fullmatch(text) is None:
        return None
    value = int(text)
    if not _INT64_MIN <= value <= _INT64_MAX:
        return None
    return value


def generate_eda_job_id(jobs: Sequence[JobRecord]) -> str:
    """Return ``eda-webhook-N`` with N one above the largest numeric EDA suffix present (1 if none)."""
    # The running maximum starts at 0, so negative suffixes ("eda-webhook--3") never pull N below 1.
    # Provision and deprovision entries share the counter; trimmed entries no longer count.
    # Divergence kept on purpose: Go would wrap to a negative N above int64 max; Python does not.
    highest = 0
    for job in jobs:
        if not is_eda_job_id(job.job_id):
            continue
        suffix = _atoi(job.job_id[len(EDA_JOB_ID_PREFIX) :])
        if suffix is not None and suffix > highest:
            highest = suffix
    return f"{EDA_JOB_ID_PREFIX}{highest + 1}"


_AAP_STATUS_TO_STATE: Mapping[str, JobState] = {
    "successful": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
    "error": JobState.FAILED,
    "canceled": JobState.CANCELED,
    "pending": JobState.PENDING,
    "waiting": JobState.WAITING,
    "running": JobState.RUNNING,
}


def map_aap_status(status: str) -> JobState:
    """Map an AAP job ``status`` string to a JobState (case-sensitive); anything unlisted is Unknown."""
    return _AAP_STATUS_TO_STATE.get(status, JobState.UNKNOWN)

"""§17 item 6: a persisted phase agrees with the facts it stands for (Failed: a failed job; Running: applied config)."""

from __future__ import annotations

from models.jobs import JobState, JobType, find_latest_job_by_type
from models.objects import Phase
from sim.checks.base import register_checker
from sim.checks.common import EventChecker, at, entries_text, entry_text
from sim.checks.tracking import Instances, Lifetime
from sim.kube.events import ObjectRemoved, ObjectStored

_FAILED_JOB_STATES = (JobState.FAILED, JobState.CANCELED)


@register_checker
class PhaseConsistent(EventChecker):
    """Checked on every persisted version; a lasting inconsistency is reported once, when it appears."""

    property_id = "phase-consistent"
    description = ("phase is Failed only when the latest provision job is Failed or Canceled, and Running only "
                   "when status.desiredConfigVersion == status.reconciledConfigVersion.")

    def __init__(self) -> None:
        super().__init__()
        self.instances = Instances()
        self._last: dict[tuple[str, str, int], tuple[str, int]] = {}  # lifetime -> (signature, seq it appeared)
        self.route(ObjectStored, self._stored)
        self.route(ObjectRemoved, self.instances.removed)

    def _stored(self, e: ObjectStored) -> None:
        change = self.instances.stored(e)
        if change is None:
            return
        life = change[0]
        lkey = life.id
        signature, problem = self._problem(life)
        before = self._last.get(lkey)
        if not problem:
            self._last.pop(lkey, None)
            return
        if before is not None and before[0] == signature:
            return  # the same inconsistency persisted again: reported when it appeared
        self._last[lkey] = (signature, e.seq)
        self.violate(e.t, life.subject, problem, [e.seq])

    @staticmethod
    def _problem(life: Lifetime) -> tuple[str, str]:
        """(a signature of the inconsistency, its explanation), or ("", "") when the phase is consistent."""
        status = life.obj.status
        if status.phase == Phase.FAILED:
            latest = find_latest_job_by_type(status.jobs, JobType.PROVISION)
            if latest is None or latest.state not in _FAILED_JOB_STATES:
                fact = f"the latest provision job is {entry_text(latest)}" if latest else "no provision job is recorded"
                signature = f"Failed/{latest.job_id}/{latest.state.value}" if latest else "Failed/none"
                return signature, (
                    f"{life.subject} is persisted with phase Failed but {fact}: phase Failed must mean the latest "
                    "provision job failed or was canceled (§2.3), so users and the fulfillment service are told of a "
                    f"failure that did not happen (status.jobs[] holds {entries_text(status.jobs, JobType.PROVISION)}; "
                    f"persisted at {at(life.t)}).")
        elif status.phase == Phase.RUNNING and status.desired_config_version != status.reconciled_config_version:
            return (f"Running/{status.desired_config_version}/{status.reconciled_config_version}",
                    f"{life.subject} is persisted with phase Running but desiredConfigVersion "
                    f"{status.desired_config_version or '(empty)'} differs from reconciledConfigVersion "
                    f"{status.reconciled_config_version or '(empty)'}: phase Running must mean the create playbook "
                    "applied the current spec (§2.3), so the instance is reported ready with a configuration it "
                    f"does not have (persisted at {at(life.t)}).")
        return "", ""

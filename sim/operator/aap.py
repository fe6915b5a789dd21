"""The AAP provider (§11.2–§11.4): launches templates, polls jobs, cancels provisioning before deprovision."""

from __future__ import annotations

from typing import Any

from models.jobs import JobState, JobType, find_latest_job_by_type, is_eda_job_id, map_aap_status
from models.objects import ComputeInstance, Phase
from sim.kernel.effects import LogLine
from sim.operator.aap_client import AAPClient, MethodNotAllowedError, TemplateType, is_not_found
from sim.operator.errors import GoError, errors_as, wrap
from sim.operator.types import Co, DeprovisionAction, DeprovisionResult, ProvisionResult, ProvisionStatus

__all__ = ["AAPProvider", "build_extra_vars"]


def build_extra_vars(resource: ComputeInstance) -> dict[str, Any]:
    """The whole CR (JSON round trip, status included) in the payload shape the EDA path delivers (§11.2)."""
    return {"ansible_eda": {"event": {"payload": resource.to_dict()}}}


class AAPProvider:
    """Launches the configured job/workflow templates and maps AAP job states (§11)."""

    def __init__(self, client: AAPClient, provision_template: str, deprovision_template: str) -> None:
        self.client = client
        self.provision_template = provision_template
        self.deprovision_template = deprovision_template

    def name(self) -> str:
        return "aap"

    def trigger_provision(self, resource: ComputeInstance) -> Co[ProvisionResult]:
        """Launch the provision template; the new job starts Pending."""
        if not self.provision_template:
            raise GoError("provision template not configured")
        job_id = yield from self.launch_template(self.provision_template, resource)
        yield LogLine("Provision job launched", (("jobID", job_id),))
        return ProvisionResult(job_id, JobState.PENDING, "Provisioning job triggered")

    def launch_template(self, template_name: str, resource: ComputeInstance) -> Co[str]:
        """GetTemplate then launch by type; the launch path carries the template name (§11.1)."""
        try:
            template = yield from self.client.get_template(template_name)
        except GoError as exc:
            raise wrap("failed to get template", exc) from exc
        extra_vars = build_extra_vars(resource)
        if template.type == TemplateType.JOB:
            try:
                job_id = yield from self.client.launch_job_template(template_name, extra_vars)
            except GoError as exc:
                raise wrap("failed to launch job template", exc) from exc
        elif template.type == TemplateType.WORKFLOW:
            try:
                job_id = yield from self.client.launch_workflow_template(template_name, extra_vars)
            except GoError as exc:
                raise wrap("failed to launch workflow template", exc) from exc
        else:
            raise GoError(f"unknown template type: {template.type}")
        return str(job_id)

    def get_provision_status(self, resource: ComputeInstance, job_id: str) -> Co[ProvisionStatus]:
        """Get the job and map its status (§11.3)."""
        return (yield from self.get_job_status(job_id))

    def get_deprovision_status(self, resource: ComputeInstance, job_id: str) -> Co[ProvisionStatus]:
        """Identical to get_provision_status; the AAP finalizer is not read."""
        return (yield from self.get_job_status(job_id))

    def get_job_status(self, job_id: str) -> Co[ProvisionStatus]:
        """message = raw AAP status; errorDetails = traceback only when Failed and non-empty."""
        try:
            job = yield from self.client.get_job(job_id)
        except GoError as exc:
            raise wrap("failed to get job", exc) from exc
        state = map_aap_status(job.status)
        details = job.result_traceback if state == JobState.FAILED and job.result_traceback else ""
        return ProvisionStatus(job_id, state, job.status, start_time=job.started, end_time=job.finished,
                               error_details=details)

    def trigger_deprovision(self, resource: ComputeInstance) -> Co[DeprovisionResult]:
        """Launch the deprovision template once the provision job is out of the way; else wait (§11.4)."""
        instance = resource  # type-asserted without a check in the reference code
        ready, provision_status = yield from self.is_ready_for_deprovision(instance)
        if not ready:
            yield LogLine("Not ready for deprovision, waiting")
            return DeprovisionResult(DeprovisionAction.WAITING, block_deletion_on_failure=True,
                                     provision_job_status=provision_status)
        job_id = yield from self.launch_deprovision_job(resource)
        yield LogLine("Deprovision job launched", (("jobID", job_id),))
        return DeprovisionResult(DeprovisionAction.TRIGGERED, job_id, block_deletion_on_failure=True,
                                 provision_job_status=provision_status)

    def launch_deprovision_job(self, resource: ComputeInstance) -> Co[str]:
        if not self.deprovision_template:
            raise GoError("deprovision template not configured")
        return (yield from self.launch_template(self.deprovision_template, resource))

    def is_ready_for_deprovision(self, instance: ComputeInstance) -> Co[tuple[bool, ProvisionStatus | None]]:
        """The readiness table of §11.4: (ready, provision job status to record)."""
        latest = find_latest_job_by_type(instance.status.jobs, JobType.PROVISION)
        if latest is None:
            return True, None
        if is_eda_job_id(latest.job_id):
            return self.eda_job_ready_for_deprovision(instance), None
        try:
            status = yield from self.get_provision_status(instance, latest.job_id)
        except GoError as exc:
            if is_not_found(exc):
                yield LogLine("Provision job not found in AAP, ready for deprovision", (("jobID", latest.job_id),))
                return True, None
            raise wrap("failed to get provision job status", exc) from exc
        if status.state.is_terminal:
            return True, status
        yield LogLine("Provision job still running, cancelling", (("jobID", latest.job_id),))
        try:
            yield from self.cancel_job(latest.job_id)
        except GoError as exc:
            raise wrap("failed to cancel provision job", exc) from exc
        return False, status

    @staticmethod
    def eda_job_ready_for_deprovision(instance: ComputeInstance) -> bool:
        """An EDA provision job is judged by the phase alone, without any AAP call."""
        phase = instance.status.phase
        if phase in (Phase.RUNNING, Phase.FAILED):
            return True
        if phase == Phase.DELETING:
            return find_latest_job_by_type(instance.status.jobs, JobType.DEPROVISION) is None
        return False

    def cancel_job(self, job_id: str) -> Co[None]:
        """The cancel helper: a 405 (job already finished) counts as success."""
        try:
            yield from self.client.cancel_job(job_id)
        except GoError as exc:
            if errors_as(exc, MethodNotAllowedError) is not None:
                yield LogLine("Job already finished, cancel not allowed", (("jobID", job_id),))
                return
            raise

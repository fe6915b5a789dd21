"""Every knob of the outside world (AAP, EDA, playbooks, KubeVirt, tenants) in one frozen, validated dataclass."""

# Dist is a frozen dataclass, so one default instance shared by every BackendConfig is safe.
# ruff: noqa: RUF009

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from typing import Any, Literal

from sim.kernel.choice import Dist
from sim.kernel.errors import SimError

TemplateType = Literal["job", "workflow"]
PlaybookName = Literal["create", "delete"]

DEFAULT_CREATE_TEMPLATE = "cloudkit-create-compute-instance"
DEFAULT_DELETE_TEMPLATE = "cloudkit-delete-compute-instance"


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    """One AAP template: its name, whether it is a job or a workflow template, and which playbook its jobs run."""

    name: str
    type: TemplateType = "job"
    playbook: PlaybookName = "create"


DEFAULT_TEMPLATES = (
    TemplateSpec(DEFAULT_CREATE_TEMPLATE, "job", "create"),
    TemplateSpec(DEFAULT_DELETE_TEMPLATE, "job", "delete"),
)


def _bad(field: str, value: object, rule: str, fix: str) -> SimError:
    return SimError(f"backend option {field} = {value!r}", rule=rule, fix=fix)


@dataclass(frozen=True, slots=True)
class BackendConfig:
    """The outside world's options; durations are simulated seconds, rates are probabilities in [0, 1]."""

    # --- AAP controller ---------------------------------------------------------------------------
    aap_base_url: str = "http://aap.example/api/controller"  # CLOUDKIT_AAP_URL the operator calls
    aap_templates: tuple[TemplateSpec, ...] = DEFAULT_TEMPLATES  # the templates that exist, by name
    aap_first_job_id: int = 9000  # id of the first launched job; later ids count up by one
    # Whether `v2/jobs/<id>/` (and its cancel/) serves workflow jobs too, as the operator assumes (§11.1);
    # False answers 404 there for a workflow job's id.
    aap_workflow_jobs_under_jobs: bool = True
    aap_response_s: Dist = Dist.uniform(0.01, 0.1)  # server time to handle one request, seconds
    aap_new_s: Dist = Dist.fixed(0.0)  # time a job sits in `new` before `pending` (0: enqueued at launch)
    aap_pending_s: Dist = Dist.uniform(0.5, 3.0)  # time in `pending`, seconds
    aap_waiting_s: Dist = Dist.uniform(0.5, 5.0)  # time in `waiting` before the playbook starts, seconds
    aap_cancel_delay_s: Dist = Dist.uniform(0.5, 5.0)  # from the cancel POST to the SIGINT reaching the job, seconds
    aap_error_rate: float = 0.0  # per job: it ends `error` (dispatch or runner failure) instead of running through
    aap_purge_age_s: float | None = None  # finished jobs are purged this many seconds after finishing; None = never
    aap_server_error_rate: float = 0.0  # per request: answered 5xx, nothing done
    aap_timeout_rate: float = 0.0  # per request: no answer before the caller's timeout, nothing done
    aap_timeout_applied_rate: float = 0.0  # per request: acted on (e.g. launched), answer after the caller's timeout
    # --- EDA --------------------------------------------------------------------------------------
    eda_create_url: str = "http://eda.example/create-compute-instance"  # the provision webhook
    eda_delete_url: str = "http://eda.example/delete-compute-instance"  # the deprovision webhook
    eda_create_template: str = DEFAULT_CREATE_TEMPLATE  # the AAP template the create rule launches
    eda_delete_template: str = DEFAULT_DELETE_TEMPLATE  # the AAP template the delete rule launches
    eda_response_s: Dist = Dist.uniform(0.005, 0.05)  # webhook server time to accept a POST, seconds
    eda_launch_delay_s: Dist = Dist.uniform(1.0, 10.0)  # from accepting a delivery to launching its job, seconds
    eda_server_error_rate: float = 0.0  # per POST: answered 5xx, not accepted
    eda_timeout_rate: float = 0.0  # per POST: no answer before the caller's timeout, not accepted
    eda_timeout_accepted_rate: float = 0.0  # per POST: accepted (launches), answer after the caller's timeout
    eda_lost_rate: float = 0.0  # per accepted POST: answered 2xx but the rule never launches the job
    eda_duplicate_rate: float = 0.0  # per accepted POST: delivered twice, so the job is launched twice
    # --- playbooks --------------------------------------------------------------------------------
    playbook_add_finalizer_s: Dist = Dist.uniform(0.5, 2.0)  # create: task start-up before the finalizer write
    playbook_create_vm_s: Dist = Dist.uniform(1.0, 5.0)  # create: task time before the VM is created
    playbook_set_annotation_s: Dist = Dist.uniform(0.5, 2.0)  # create: task time before the annotation write
    playbook_delete_vm_s: Dist = Dist.uniform(1.0, 5.0)  # delete: task time before the VM delete call
    playbook_remove_finalizer_s: Dist = Dist.uniform(0.5, 2.0)  # delete: task time before the finalizer write
    playbook_poll_interval_s: float = 5.0  # how often the wait tasks re-read the VM, seconds
    playbook_vm_ready_timeout_s: float = 600.0  # create: the wait for VM Ready gives up after this, seconds
    playbook_vm_gone_timeout_s: float = 600.0  # delete: the wait for the VM to vanish gives up after this, seconds
    playbook_step_failure_rate: float = 0.0  # per step: the task fails on its own (quota, image pull, ...)
    # --- KubeVirt and the cloud -------------------------------------------------------------------
    kubevirt_boot_s: Dist = Dist.uniform(20.0, 90.0)  # from VM object created (or VMI deleted) to Ready, seconds
    kubevirt_release_s: Dist = Dist.uniform(5.0, 30.0)  # from VM object deleted to the real VM released, seconds
    kubevirt_retry_s: float = 1.0  # first back-off after a failed KubeVirt API call (doubles, capped at 60), seconds
    # --- tenant controller ------------------------------------------------------------------------
    tenant_ready_s: Dist = Dist.uniform(1.0, 5.0)  # from Progressing (namespace created) to Ready, seconds
    tenant_poll_interval_s: float = 1.0  # how often deletion re-reads the UDN / namespace until gone, seconds
    tenant_retry_s: float = 5.0  # requeue delay after a failed tenant reconcile, seconds

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.endswith("_rate"):
                _check_rate(f.name, value)
            elif f.name.endswith("_s") and f.name != "aap_purge_age_s" and isinstance(value, float | int) \
                    and value <= 0:
                raise _bad(f.name, value, "this interval is > 0 seconds", "use a positive number of seconds")
        _check_sum("aap", self.aap_server_error_rate + self.aap_timeout_rate + self.aap_timeout_applied_rate)
        _check_sum("eda", self.eda_server_error_rate + self.eda_timeout_rate + self.eda_timeout_accepted_rate)
        if self.aap_purge_age_s is not None and self.aap_purge_age_s < 0:
            raise _bad("aap_purge_age_s", self.aap_purge_age_s, "a purge age is >= 0 seconds, or None for never",
                       "use a non-negative number of seconds, or leave it unset")
        if self.aap_first_job_id < 1:
            raise _bad("aap_first_job_id", self.aap_first_job_id, "AAP job ids are positive integers",
                       "use a value such as 9000")
        for name in ("aap_base_url", "eda_create_url", "eda_delete_url"):
            url = getattr(self, name)
            if not url.startswith(("http://", "https://")):
                raise _bad(name, url, "a URL starts with http:// or https://", f"write http://{url}")
        _check_templates(self.aap_templates)


def _check_rate(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise _bad(name, value, "a probability is between 0 and 1", "use a value such as 0.05")


def _check_sum(actor: str, total: float) -> None:
    if total > 1.0:
        raise _bad(f"{actor}_*_rate (sum of the per-request faults)", total,
                   "a request meets at most one fault, so the per-request fault rates add up to at most 1",
                   "lower some of the rates")


def _check_templates(templates: tuple[TemplateSpec, ...]) -> None:
    names = [t.name for t in templates]
    for t in templates:
        if not t.name or "/" in t.name or "?" in t.name:
            raise _bad("aap_templates", t.name, "a template name is non-empty and has no '/' or '?'",
                       "rename the template")
        if names.count(t.name) > 1:
            raise _bad("aap_templates", t.name, "template names are unique (AAP looks them up by name)",
                       "rename or remove the duplicate")
        if t.type not in ("job", "workflow"):
            raise _bad("aap_templates", t.type, "a template type is job or workflow", "use job or workflow")
        if t.playbook not in ("create", "delete"):
            raise _bad("aap_templates", t.playbook, "a template runs the create or the delete playbook",
                       "use create or delete")


FAULT_RATES = tuple(f.name for f in fields(BackendConfig) if f.name.endswith("_rate"))


def healed(config: BackendConfig) -> BackendConfig:
    """The same options with every injected fault rate at 0 (latencies, delays and purge age unchanged)."""
    zeroes: dict[str, Any] = dict.fromkeys(FAULT_RATES, 0.0)
    return dataclasses.replace(config, **zeroes)

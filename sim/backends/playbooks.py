"""The create and delete playbooks that AAP jobs run, step by step, reading the CR from the job's extra vars (§1).

create: add the `computeinstance-aap` finalizer to the live CR (a metadata patch without precondition),
create the VirtualMachine in the tenant namespace, wait (bounded) for it to be Ready, then set the
reconciled-config-version annotation to the payload's `desiredConfigVersion`. delete: delete the VM,
wait until it is gone, then remove the `computeinstance-aap` finalizer. The payload is the CR as it was
serialized when the job was triggered; only the finalizer and annotation steps read the live CR. Every
API call goes through a per-job `ApiClient` (actor `playbook/<job id>`), so it takes time and may meet
injected faults; any API error fails the step, as an Ansible k8s task would.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any

import simpy

from models.events import Event
from models.names import (
    ANNOTATION_RECONCILED_CONFIG_VERSION,
    FINALIZER_COMPUTE_INSTANCE_AAP,
    KIND_COMPUTE_INSTANCE,
    KIND_TENANT,
    KIND_VIRTUAL_MACHINE,
    LABEL_COMPUTE_INSTANCE,
)
from models.objects import GenericObject, KubeObject, ObjectMeta
from sim.backends.config import BackendConfig
from sim.backends.kubevirt import ANNOTATION_INSTANCE_NAMESPACE, vm_ready
from sim.kernel.choice import Dist
from sim.kernel.errors import AlreadyExists, ApiError, NotFound
from sim.kernel.kernel import Kernel
from sim.kube.apiserver import ApiServer
from sim.kube.client import ApiClient, ApiFaults

Gen = Generator[simpy.Event, Any, Any]
STREAM = "playbook"
CREATE_STEPS = ("add_finalizer", "create_vm", "wait_vm_ready", "set_annotation")
DELETE_STEPS = ("delete_vm", "wait_vm_gone", "remove_finalizer")
PLAYBOOK_STEPS: Mapping[str, tuple[str, ...]] = {"create": CREATE_STEPS, "delete": DELETE_STEPS}
UNKNOWN_CONFIG_VERSION = "unknown"


@dataclass(frozen=True, slots=True)
class PlaybookStepStarted(Event):
    """A playbook task began (`actor` is `playbook/<job id>`)."""

    job_id: int
    playbook: str
    step: str


@dataclass(frozen=True, slots=True)
class PlaybookStepFinished(Event):
    """A playbook task ended; `error` says why when `ok` is false."""

    job_id: int
    playbook: str
    step: str
    ok: bool
    error: str


class StepFailed(Exception):
    """A playbook task failed: the job ends `failed` with this message in its traceback."""


@dataclass(frozen=True, slots=True)
class PlaybookOutcome:
    """How a run ended: all steps done, a step failed, or stopped between steps (e.g. by a cancel)."""

    steps_done: int
    failed_step: str = ""  # "" when no step failed
    traceback: str = ""  # the Ansible-style output of the failed task
    stopped_by: str = ""  # "" unless `should_stop` ended the run between steps; then its reason


# Called after each completed step with the number of steps done; a non-empty reason stops the run there.
StopCheck = Callable[[int], str]


def payload_of(extra_vars: Any) -> Mapping[str, Any]:
    """The CR the job was triggered with: `extra_vars.ansible_eda.event.payload` (empty if absent)."""
    node = extra_vars
    for key in ("ansible_eda", "event", "payload"):
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def _field(d: Mapping[str, Any], *path: str) -> Any:
    node: Any = d
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def instance_of(extra_vars: Any) -> tuple[str, str]:
    """(namespace, name) of the CR in the payload; empty strings where the payload lacks them."""
    payload = payload_of(extra_vars)
    ns, name = _field(payload, "metadata", "namespace"), _field(payload, "metadata", "name")
    return (ns if isinstance(ns, str) else "", name if isinstance(name, str) else "")


def config_version_of(extra_vars: Any) -> str:
    """The payload's `status.desiredConfigVersion`, or "" if it has none."""
    value = _field(payload_of(extra_vars), "status", "desiredConfigVersion")
    return value if isinstance(value, str) else ""


def traceback_text(playbook: str, step: str, error: str) -> str:
    """The `result_traceback` of a job whose task failed, in the shape ansible-playbook prints."""
    return (f"TASK [{playbook} compute instance : {step}] ***\n"
            f"fatal: [localhost]: FAILED! => {{\"changed\": false, \"msg\": {json.dumps(error)}}}\n"
            "PLAY RECAP ***\nlocalhost : ok=0 changed=0 unreachable=0 failed=1")


@dataclass
class _Run:
    """What one playbook run knows: its job, its API connection, the payload and the tenant namespace found."""

    job_id: int
    playbook: str
    client: ApiClient
    payload: Mapping[str, Any]
    tenant_namespace: str = ""

    @property
    def name(self) -> str:
        value = _field(self.payload, "metadata", "name")
        if not isinstance(value, str) or not value:
            raise StepFailed("'ansible_eda.event.payload.metadata.name' is undefined")
        return value

    @property
    def namespace(self) -> str:
        value = _field(self.payload, "metadata", "namespace")
        return value if isinstance(value, str) else ""


class Playbooks:
    """Runs the create and delete playbooks for the fake AAP controller's jobs."""

    def __init__(self, kernel: Kernel, server: ApiServer, faults: ApiFaults, config: BackendConfig) -> None:
        self.kernel, self.server, self.faults, self.config = kernel, server, faults, config
        c = config
        self._steps: dict[str, tuple[Dist | None, Callable[[_Run], Gen]]] = {
            "add_finalizer": (c.playbook_add_finalizer_s, self._add_finalizer),
            "create_vm": (c.playbook_create_vm_s, self._create_vm),
            "wait_vm_ready": (None, self._wait_vm_ready),
            "set_annotation": (c.playbook_set_annotation_s, self._set_annotation),
            "delete_vm": (c.playbook_delete_vm_s, self._delete_vm),
            "wait_vm_gone": (None, self._wait_vm_gone),
            "remove_finalizer": (c.playbook_remove_finalizer_s, self._remove_finalizer),
        }

    def run(self, job_id: int, playbook: str, extra_vars: Any, *, should_stop: StopCheck,
            fail_step: str = "") -> Gen:
        """Run `playbook` for a job; returns a PlaybookOutcome. `fail_step` names a step forced to fail."""
        steps = PLAYBOOK_STEPS[playbook]
        actor = f"playbook/{job_id}"
        run = _Run(job_id, playbook, ApiClient(self.kernel, self.server, actor, self.faults), payload_of(extra_vars))
        for done, step in enumerate(steps):
            self.kernel.record(PlaybookStepStarted, actor, job_id=job_id, playbook=playbook, step=step)
            try:
                yield from self._step(run, step, forced=step == fail_step)
            except StepFailed as failure:
                error = str(failure)
                self.kernel.record(PlaybookStepFinished, actor, job_id=job_id, playbook=playbook, step=step,
                                   ok=False, error=error)
                return PlaybookOutcome(done, step, traceback_text(playbook, step, error))
            self.kernel.record(PlaybookStepFinished, actor, job_id=job_id, playbook=playbook, step=step,
                               ok=True, error="")
            reason = should_stop(done + 1)
            if reason:
                return PlaybookOutcome(done + 1, stopped_by=reason)
        return PlaybookOutcome(len(steps))

    def _step(self, run: _Run, step: str, *, forced: bool) -> Gen:
        dist, body = self._steps[step]
        k = self.kernel
        name = f"job/{run.job_id}/{step}"
        if dist is not None:
            yield k.env.timeout(k.choices.duration(STREAM, f"{name}_s", dist))
        if forced:
            raise StepFailed(f"injected failure of task {step}")
        rate = self.config.playbook_step_failure_rate
        if not rate <= 0.0 and k.choices.chance(STREAM, f"{name}/fails", rate):  # <= 0: no draw, no name to build
            raise StepFailed(f"task {step} failed (simulated infrastructure error)")
        yield from body(run)

    # -- create ----------------------------------------------------------------------------------
    def _read_cr(self, run: _Run) -> Gen:
        """The live CR, or None if it is gone; other API errors fail the step.

        Read only (the stored object, not a copy): both callers only read its finalizers and deletion mark."""
        try:
            return (yield from run.client.get(KIND_COMPUTE_INSTANCE, run.namespace, run.name, read_only=True))
        except NotFound:
            return None
        except ApiError as err:
            raise StepFailed(f"failed to read ComputeInstance {run.name}: {err.reason}: {err.message}") from None

    def _add_finalizer(self, run: _Run) -> Gen:
        cr: KubeObject | None = yield from self._read_cr(run)
        if cr is None:
            raise StepFailed(f"ComputeInstance {run.namespace}/{run.name} not found")
        if cr.metadata.terminating:
            raise StepFailed(f"ComputeInstance {run.namespace}/{run.name} is being deleted")
        wanted = [*cr.metadata.finalizers]
        if FINALIZER_COMPUTE_INSTANCE_AAP not in wanted:
            wanted.append(FINALIZER_COMPUTE_INSTANCE_AAP)
        try:
            yield from run.client.patch_metadata(KIND_COMPUTE_INSTANCE, run.namespace, run.name, finalizers=wanted,
                                                 read_only=True)
        except ApiError as err:
            raise StepFailed(f"failed to patch ComputeInstance {run.name}: {err.reason}: {err.message}") from None

    def _tenant_namespace(self, run: _Run) -> Gen:
        """The namespace of the Tenant named in the payload's `status.tenantReference`, read via the API."""
        if run.tenant_namespace:
            return run.tenant_namespace
        ref = _field(run.payload, "status", "tenantReference")
        if not isinstance(ref, Mapping) or not ref.get("name"):
            raise StepFailed("'ansible_eda.event.payload.status.tenantReference' is undefined")
        try:
            # read only: only its status.namespace is read (a Tenant holds an owner reference per instance)
            tenant = yield from run.client.get(KIND_TENANT, str(ref.get("namespace", run.namespace)), str(ref["name"]),
                                               read_only=True)
        except ApiError as err:
            raise StepFailed(f"failed to read Tenant {ref['name']}: {err.reason}: {err.message}") from None
        namespace = tenant.status_dict().get("namespace")
        if not isinstance(namespace, str) or not namespace:
            raise StepFailed(f"Tenant {ref['name']} has no status.namespace yet")
        run.tenant_namespace = namespace
        return namespace

    def _create_vm(self, run: _Run) -> Gen:
        namespace = yield from self._tenant_namespace(run)
        spec = {"running": True, "template": {"templateID": _field(run.payload, "spec", "templateID") or "",
                                              "templateParameters": _field(run.payload, "spec", "templateParameters")
                                              or ""}}
        vm = GenericObject(KIND_VIRTUAL_MACHINE, ObjectMeta(
            name=run.name, namespace=namespace, labels={LABEL_COMPUTE_INSTANCE: run.name},
            annotations={ANNOTATION_INSTANCE_NAMESPACE: run.namespace}), spec=spec)
        try:
            yield from run.client.create(vm, read_only=True)
        except AlreadyExists:
            pass  # the k8s task is declarative: an existing VM is left as it is
        except ApiError as err:
            raise StepFailed(f"failed to create VirtualMachine {run.name}: {err.reason}: {err.message}") from None

    def _poll_vm(self, run: _Run, *, until_gone: bool, timeout_s: float) -> Gen:
        """Re-read the VM every poll interval until it is Ready (or gone); fail after `timeout_s`.

        Like an Ansible task retried with `until:`, a read that fails counts as "not yet"; only the
        bound ends the wait, and its message names the last error.
        """
        env = self.kernel.env
        deadline = env.now + timeout_s
        last_error = ""
        while True:
            try:
                # read-only: vm_ready only looks at the status, so the stored object is not copied
                vm = yield from run.client.get(KIND_VIRTUAL_MACHINE, run.tenant_namespace, run.name, read_only=True)
                done = vm_ready(vm) and not until_gone
            except NotFound:
                done = until_gone
            except ApiError as err:
                done, last_error = False, f" (last error: {err.reason}: {err.message})"
            if done:
                return
            if env.now >= deadline:
                goal = "be deleted" if until_gone else "be Ready"
                raise StepFailed(f"timed out after {timeout_s:g} s waiting for VirtualMachine {run.name} "
                                 f"to {goal}{last_error}")
            yield env.timeout(min(self.config.playbook_poll_interval_s, deadline - env.now))

    def _wait_vm_ready(self, run: _Run) -> Gen:
        yield from self._tenant_namespace(run)
        yield from self._poll_vm(run, until_gone=False, timeout_s=self.config.playbook_vm_ready_timeout_s)

    def _set_annotation(self, run: _Run) -> Gen:
        version = _field(run.payload, "status", "desiredConfigVersion")
        value = version if isinstance(version, str) and version else UNKNOWN_CONFIG_VERSION
        try:
            yield from run.client.patch_metadata(KIND_COMPUTE_INSTANCE, run.namespace, run.name,
                                                 annotations={ANNOTATION_RECONCILED_CONFIG_VERSION: value},
                                                 read_only=True)
        except ApiError as err:
            raise StepFailed(f"failed to annotate ComputeInstance {run.name}: {err.reason}: {err.message}") from None

    # -- delete ----------------------------------------------------------------------------------
    def _delete_vm(self, run: _Run) -> Gen:
        namespace = yield from self._tenant_namespace(run)
        try:
            yield from run.client.delete(KIND_VIRTUAL_MACHINE, namespace, run.name)
        except NotFound:
            pass  # state: absent is already true
        except ApiError as err:
            raise StepFailed(f"failed to delete VirtualMachine {run.name}: {err.reason}: {err.message}") from None

    def _wait_vm_gone(self, run: _Run) -> Gen:
        yield from self._tenant_namespace(run)
        yield from self._poll_vm(run, until_gone=True, timeout_s=self.config.playbook_vm_gone_timeout_s)

    def _remove_finalizer(self, run: _Run) -> Gen:
        cr: KubeObject | None = yield from self._read_cr(run)
        if cr is None:
            return  # the CR is gone: nothing to remove
        wanted = [f for f in cr.metadata.finalizers if f != FINALIZER_COMPUTE_INSTANCE_AAP]
        try:
            yield from run.client.patch_metadata(KIND_COMPUTE_INSTANCE, run.namespace, run.name, finalizers=wanted,
                                                 read_only=True)
        except NotFound:
            pass
        except ApiError as err:
            raise StepFailed(f"failed to patch ComputeInstance {run.name}: {err.reason}: {err.message}") from None

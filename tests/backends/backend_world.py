"""A small world for the backend tests: kernel, API server, network and the outside actors, plus story helpers."""

from __future__ import annotations

import dataclasses
from collections.abc import Generator
from typing import Any

import simpy

from models.config_version import desired_config_version, tenant_cr_name
from models.names import (
    APP_NAME,
    DEFAULT_COMPUTE_INSTANCE_NAMESPACE,
    FINALIZER_COMPUTE_INSTANCE,
    KIND_COMPUTE_INSTANCE,
    KIND_TENANT,
    LABEL_APP_NAME,
)
from models.objects import ComputeInstance, ComputeInstanceSpec, GenericObject, KubeObject, ObjectMeta
from sim.backends.world import BackendConfig, Backends, build_backends
from sim.kernel.choice import Dist, SeededChoiceSource
from sim.kernel.effects import HttpRequest, HttpResponse
from sim.kernel.errors import TransportError
from sim.kernel.http import HttpNetwork
from sim.kernel.kernel import Kernel
from sim.kube.apiserver import ApiServer
from sim.kube.client import ApiFaults

NS = DEFAULT_COMPUTE_INSTANCE_NAMESPACE
AAP = "http://aap.example/api/controller"
CREATE = "cloudkit-create-compute-instance"
DELETE = "cloudkit-delete-compute-instance"
Gen = Generator[simpy.Event, Any, Any]

# Short, fixed-ish timings so stories read in round numbers; tests override what they need.
QUICK = BackendConfig(
    aap_pending_s=Dist.fixed(1.0), aap_waiting_s=Dist.fixed(1.0), aap_cancel_delay_s=Dist.fixed(2.0),
    eda_launch_delay_s=Dist.fixed(5.0),
    playbook_add_finalizer_s=Dist.fixed(1.0), playbook_create_vm_s=Dist.fixed(2.0),
    playbook_set_annotation_s=Dist.fixed(1.0), playbook_delete_vm_s=Dist.fixed(2.0),
    playbook_remove_finalizer_s=Dist.fixed(1.0),
    kubevirt_boot_s=Dist.fixed(20.0), kubevirt_release_s=Dist.fixed(10.0), tenant_ready_s=Dist.fixed(2.0),
)


class World:
    """One run of the outside world with no operator: tests play the operator's part by hand."""

    def __init__(self, seed: int = 1, config: BackendConfig = QUICK, **changes: Any) -> None:
        self.kernel = Kernel(SeededChoiceSource(seed))
        self.server = ApiServer(self.kernel)
        self.faults = ApiFaults()
        self.network = HttpNetwork(self.kernel)
        self.config = dataclasses.replace(config, **changes)
        self.backends: Backends = build_backends(self.kernel, self.server, self.faults, self.network, self.config)

    @property
    def env(self) -> simpy.Environment:
        return self.kernel.env

    @property
    def now(self) -> float:
        return self.kernel.now

    def run(self, story: Gen) -> Any:
        """Run `story` as a simpy process until it returns; returns its value."""
        process = self.env.process(story)
        self.env.run(until=process)
        return process.value

    def advance(self, seconds: float) -> None:
        self.env.run(until=self.env.now + seconds)

    def call(self, method: str, url: str, body: Any = None, timeout_s: float = 30.0) -> HttpResponse:
        """Send one request now and run the world until the answer (TransportError propagates)."""
        response = self.run(self.network.call(HttpRequest(method, url, body, timeout_s), "operator"))
        assert isinstance(response, HttpResponse)
        return response

    def try_call(self, method: str, url: str, body: Any = None, timeout_s: float = 30.0) -> HttpResponse | str:
        """Like `call`, but a TransportError comes back as its message."""
        try:
            return self.call(method, url, body, timeout_s)
        except TransportError as err:
            return str(err)

    # -- objects ---------------------------------------------------------------------------------
    def create_tenant(self, tenant: str = "acme") -> str:
        """Create the Tenant CR for `tenant` and run until the tenant controller made it Ready; returns its name."""
        name = tenant_cr_name(tenant)
        if self.server.peek(KIND_TENANT, NS, name) is None:
            self.server.create(GenericObject(KIND_TENANT, ObjectMeta(name=name, namespace=NS,
                                                                    labels={LABEL_APP_NAME: APP_NAME}),
                                             spec={"name": tenant}), actor="test")
        for _ in range(100):
            stored = self.server.peek(KIND_TENANT, NS, name)
            if stored is not None and stored.status_dict().get("phase") == "Ready":
                return name
            self.advance(1.0)
        raise AssertionError(f"tenant {tenant} did not become Ready within 100 s")

    def tenant_namespace(self, tenant: str = "acme") -> str:
        stored = self.server.peek(KIND_TENANT, NS, tenant_cr_name(tenant))
        assert stored is not None
        return str(stored.status_dict()["namespace"])

    def create_instance(self, name: str, tenant: str | None = "acme", *, template_id: str = "tpl") -> ComputeInstance:
        """Create a CI with the base finalizer and (unless `tenant` is None) a Ready tenant in its status."""
        spec = ComputeInstanceSpec(template_id)
        ci = ComputeInstance(ObjectMeta(name=name, namespace=NS, finalizers=[FINALIZER_COMPUTE_INSTANCE]), spec)
        stored = self.server.create(ci, actor="test")
        assert isinstance(stored, ComputeInstance)
        stored.status.desired_config_version = desired_config_version(spec)
        if tenant is not None:
            stored.status.tenant_reference = {"name": self.create_tenant(tenant), "namespace": NS}
        updated = self.server.update_status(stored, actor="test")
        assert isinstance(updated, ComputeInstance)
        return updated

    def instance(self, name: str) -> KubeObject | None:
        return self.server.peek(KIND_COMPUTE_INSTANCE, NS, name)

    def payload(self, name: str) -> dict[str, Any]:
        """The CR as the operator serializes it into a webhook body or extra vars."""
        ci = self.instance(name)
        assert ci is not None
        return ci.to_dict()

    def launch(self, template: str, name: str, kind: str = "job_templates") -> int:
        """POST a launch of `template` for instance `name` over HTTP; returns the job id."""
        response = self.call("POST", f"{AAP}/v2/{kind}/{template}/launch/",
                             {"extra_vars": {"ansible_eda": {"event": {"payload": self.payload(name)}}}})
        assert response.status == 201, response
        return int(response.body["id"])

    def job(self, job_id: int) -> HttpResponse:
        return self.call("GET", f"{AAP}/v2/jobs/{job_id}/")

    def status(self, job_id: int) -> str:
        return self.backends.aap.jobs.jobs[job_id].status

    def run_until_finished(self, job_id: int, limit_s: float = 2000.0) -> str:
        """Advance until the job has finished (bounded); returns its final status."""
        deadline = self.now + limit_s
        while self.backends.aap.jobs.jobs[job_id].active and self.now < deadline:
            self.advance(1.0)
        return self.status(job_id)

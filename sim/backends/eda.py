"""The fake EDA rulebook: webhooks that accept the POSTed CR and, after a delay, launch the AAP job template (§1, §10).

Two endpoints, the create and the delete webhook. An accepted POST is answered 200 at once, with no job
id and no status; later the rulebook's rule fires and launches the create or delete template on the
fake AAP controller (a direct call, not over HTTP) with the payload wrapped as the playbooks expect:
`{"ansible_eda": {"event": {"payload": <CR>}}}`. Injectable faults per POST: a 5xx (not accepted), a
timeout (not accepted), a timeout after acceptance (launches anyway), a lost delivery (answered 200,
never launched) and a duplicated delivery (launched twice).
"""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import simpy

from models.events import Event
from sim.backends.aap import FakeAap
from sim.backends.config import BackendConfig
from sim.backends.playbooks import instance_of
from sim.kernel.effects import HttpRequest, HttpResponse
from sim.kernel.http import HttpNetwork
from sim.kernel.kernel import Kernel

Gen = Generator[simpy.Event, Any, Any]
ACTOR = "eda"
STREAM = "eda"
FAULTS = ("server_error", "timeout", "timeout_accepted")
HOOKS = ("create", "delete")


@dataclass(frozen=True, slots=True)
class WebhookReceived(Event):
    """A POST reached a webhook; `outcome`: accepted, rejected (not a JSON object), server_error, timeout
    (not accepted, no answer in time) or timeout_accepted (accepted, answer too late)."""

    delivery: int
    hook: str
    instance_namespace: str
    instance_name: str
    outcome: str


@dataclass(frozen=True, slots=True)
class WebhookLost(Event):
    """An accepted delivery that the rulebook will never act on."""

    delivery: int


@dataclass(frozen=True, slots=True)
class EdaRuleFired(Event):
    """The rule for a delivery launched `template` as AAP job `job_id`; `copy` is 2 for a duplicated delivery."""

    template: str
    job_id: int
    delivery: int
    copy: int


@dataclass(frozen=True, slots=True)
class EdaLaunchFailed(Event):
    """The rule for a delivery fired but AAP has no template of that name."""

    template: str
    delivery: int


def _json_copy(body: Any) -> Any:
    """The body as the receiving side sees it after a JSON round trip (a str body is parsed)."""
    return json.loads(body) if isinstance(body, str) else json.loads(json.dumps(body))


class FakeEda:
    """The EDA event stream and rulebook in front of the fake AAP controller."""

    def __init__(self, kernel: Kernel, config: BackendConfig, aap: FakeAap) -> None:
        self.kernel, self.config, self.aap = kernel, config, aap
        self.templates = {"create": config.eda_create_template, "delete": config.eda_delete_template}
        self._deliveries = 0

    def register(self, network: HttpNetwork) -> None:
        """Serve the create and delete webhooks at their configured URLs."""
        network.register(self.config.eda_create_url, lambda request: self.handle("create", request))
        network.register(self.config.eda_delete_url, lambda request: self.handle("delete", request))

    def handle(self, hook: str, request: HttpRequest) -> Gen:
        """The HTTP handler of one webhook."""
        k = self.kernel
        n = self._deliveries
        self._deliveries += 1
        fault = self._draw_fault(n)
        yield k.env.timeout(k.choices.duration(STREAM, f"delivery/{n}/response_s", self.config.eda_response_s))
        if request.method != "POST":
            return HttpResponse(405, {"detail": "Method not allowed"})
        try:
            payload = _json_copy(request.body)
        except ValueError:
            payload = None
        namespace, name = instance_of({"ansible_eda": {"event": {"payload": payload}}})
        outcome = "rejected" if not isinstance(payload, dict) else fault or "accepted"
        k.record(WebhookReceived, ACTOR, delivery=n, hook=hook, instance_namespace=namespace, instance_name=name,
                 outcome=outcome)
        if outcome == "rejected":
            return HttpResponse(400, {"detail": "the request body is not a JSON object"})
        if fault == "server_error":
            return HttpResponse(k.choices.pick(STREAM, f"delivery/{n}/code", (500, 502, 503)),
                                {"detail": "Internal Server Error"})
        if fault != "timeout":
            self._accept(n, hook, payload)
        if fault in ("timeout", "timeout_accepted"):
            yield k.env.timeout(request.timeout_s + 1.0)
            return HttpResponse(504, {"detail": "Gateway Timeout"})
        return HttpResponse(200, {})

    def _draw_fault(self, n: int) -> str:
        cfg, c = self.config, self.kernel.choices
        rates = (cfg.eda_server_error_rate, cfg.eda_timeout_rate, cfg.eda_timeout_accepted_rate)
        if not c.chance(STREAM, f"delivery/{n}/fault", sum(rates)):
            return ""
        return c.weighted(STREAM, f"delivery/{n}/fault_kind", FAULTS, rates)

    def _accept(self, n: int, hook: str, payload: dict[str, Any]) -> None:
        c = self.kernel.choices
        if c.chance(STREAM, f"delivery/{n}/lost", self.config.eda_lost_rate):
            self.kernel.record(WebhookLost, ACTOR, delivery=n)
            return
        copies = 2 if c.chance(STREAM, f"delivery/{n}/duplicated", self.config.eda_duplicate_rate) else 1
        for copy in range(1, copies + 1):
            self.kernel.env.process(self._fire(n, copy, self.templates[hook], payload))

    def _fire(self, n: int, copy: int, template: str, payload: dict[str, Any]) -> Gen:
        k = self.kernel
        yield k.env.timeout(k.choices.duration(STREAM, f"delivery/{n}/{copy}/launch_s", self.config.eda_launch_delay_s))
        extra_vars = {"ansible_eda": {"event": {"payload": _json_copy(payload)}}}
        job_id = self.aap.launch(template, extra_vars, launched_by="eda")
        if job_id is None:
            k.record(EdaLaunchFailed, ACTOR, template=template, delivery=n)
        else:
            k.record(EdaRuleFired, ACTOR, template=template, job_id=job_id, delivery=n, copy=copy)

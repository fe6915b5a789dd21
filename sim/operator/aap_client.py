"""The AAP controller REST client (§11.1): template lookup and cache, launches, job reads and cancels."""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from models.simtime import SIM_EPOCH
from sim.kernel.effects import Effect, HttpRequest, HttpResponse
from sim.kernel.errors import TransportError
from sim.operator.errors import GoError, errors_as, wrap

__all__ = [
    "AAPClient",
    "Job",
    "JobSummary",
    "MethodNotAllowedError",
    "NotFoundError",
    "Template",
    "TemplateType",
    "is_method_not_allowed",
    "is_not_found",
]

API_VERSION = "v2"


class TemplateType(StrEnum):
    """Which endpoint answered the template lookup."""

    JOB = "job"
    WORKFLOW = "workflow"


@dataclass(frozen=True, slots=True)
class Template:
    """A looked-up template: the first result of the endpoint that answered."""

    id: int
    name: str
    type: TemplateType


@dataclass(frozen=True, slots=True)
class Job:
    """An AAP job as `GET /v2/jobs/<id>/` returns it; absent fields take Go's zero values."""

    id: int
    status: str
    started: str | None
    finished: str | None
    extra_vars: str
    result_traceback: str

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Job:
        return cls(id=int(body.get("id") or 0), status=str(body.get("status") or ""),
                   started=body.get("started"), finished=body.get("finished"),
                   extra_vars=str(body.get("extra_vars") or ""),
                   result_traceback=str(body.get("result_traceback") or ""))


@dataclass(frozen=True, slots=True)
class JobSummary:
    """One result of the job list `GET /v2/jobs/?...`: the fields the hardened controller asks for."""

    id: int
    status: str
    created: str  # ISO 8601, as AAP writes it ("" if absent)
    extra_vars: str

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> JobSummary:
        return cls(id=int(body.get("id") or 0), status=str(body.get("status") or ""),
                   created=str(body.get("created") or ""), extra_vars=str(body.get("extra_vars") or ""))

    @property
    def created_s(self) -> float | None:
        """`created` as simulated seconds since SIM_EPOCH; None when absent or not a timestamp."""
        try:
            moment = datetime.fromisoformat(self.created.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=SIM_EPOCH.tzinfo)
        return (moment - SIM_EPOCH).total_seconds()


class NotFoundError(GoError):
    """Typed error for an HTTP 404 from any AAP call."""

    def __init__(self, path: str) -> None:
        super().__init__(f"resource not found: {path}")
        self.path = path


class MethodNotAllowedError(GoError):
    """Typed error for an HTTP 405 (AAP's answer to a cancel of a job that has already finished)."""

    def __init__(self, method: str, path: str) -> None:
        super().__init__(f"method not allowed: {method} {path}")
        self.method, self.path = method, path


def is_not_found(err: BaseException | None) -> bool:
    """True when a NotFoundError is anywhere on the wrap chain of `err`."""
    return errors_as(err, NotFoundError) is not None


def is_method_not_allowed(err: BaseException | None) -> bool:
    """True when a MethodNotAllowedError is anywhere on the wrap chain of `err`."""
    return errors_as(err, MethodNotAllowedError) is not None


class AAPClient:
    """One per operator process: the template cache is process memory (empty after a restart)."""

    def __init__(self, base_url: str, token: str, timeout_s: float = 30.0) -> None:
        self.base_url = base_url
        self.token = token
        self.timeout_s = timeout_s
        self.template_cache: dict[str, Template] = {}

    def clear_template_cache(self) -> None:
        """ClearTemplateCache: forget every looked-up template."""
        self.template_cache.clear()

    def do_request(self, method: str, path: str, body: Any = None) -> Generator[Effect, Any, Any]:
        """One REST call: 2xx ⇒ the body; 404/405 ⇒ typed errors; other non-2xx and transport ⇒ GoError."""
        url = f"{self.base_url}/{API_VERSION}{path}"
        if not url.startswith(("http://", "https://")):
            # Go's http.Client refuses a URL without a scheme before sending (e.g. CLOUDKIT_AAP_URL empty).
            raise GoError(f'failed to execute request: {method.title()} "{url}": unsupported protocol scheme ""')
        headers = (("Authorization", f"Bearer {self.token}"), ("Content-Type", "application/json"))
        try:
            response: HttpResponse = yield HttpRequest(method, url, body, self.timeout_s, headers)
        except TransportError as exc:
            raise wrap("failed to execute request", exc) from exc
        if response.status == 404:
            raise NotFoundError(path)
        if response.status == 405:
            raise MethodNotAllowedError(method, path)
        if not response.ok:
            raise GoError(f"API request failed with status {response.status}: {_body_text(response.body)}")
        return response.body

    def get_template(self, name: str) -> Generator[Effect, Any, Template]:
        """GetTemplate: the cached template for `name`, else look it up and cache it (no expiry)."""
        cached = self.template_cache.get(name)
        if cached is not None:
            return cached
        template = yield from self.lookup_template(name)
        self.template_cache[name] = template
        return template

    def lookup_template(self, name: str) -> Generator[Effect, Any, Template]:
        """job_templates first; any failure falls through to workflow_job_templates; both fail ⇒ error."""
        for endpoint, template_type in (("job_templates", TemplateType.JOB),
                                        ("workflow_job_templates", TemplateType.WORKFLOW)):
            try:
                return (yield from self.find_template(endpoint, name, template_type))
            except GoError:
                continue
        raise GoError(f"template {name} not found as job_templates or workflow_job_templates")

    def find_template(self, endpoint: str, name: str, template_type: TemplateType) -> Generator[Effect, Any, Template]:
        """`GET /<endpoint>/?name=<name>` (name not escaped); count == 0 or no results ⇒ error; first wins."""
        body = _decode((yield from self.do_request("GET", f"/{endpoint}/?name={name}")))
        results = body.get("results") or []
        if not body.get("count") or not results:
            raise GoError(f"template {name} not found in {endpoint}")
        first = results[0]
        return Template(id=int(first.get("id") or 0), name=str(first.get("name") or ""), type=template_type)

    def launch_job_template(self, template_name: str, extra_vars: dict[str, Any]) -> Generator[Effect, Any, int]:
        """`POST /job_templates/<name>/launch/` ⇒ the new job id; a 404 drops the name from the cache."""
        return (yield from self._launch("job_templates", template_name, extra_vars))

    def launch_workflow_template(self, template_name: str,
                                 extra_vars: dict[str, Any]) -> Generator[Effect, Any, int]:
        """`POST /workflow_job_templates/<name>/launch/` ⇒ the new job id; a 404 drops the cache entry."""
        return (yield from self._launch("workflow_job_templates", template_name, extra_vars))

    def _launch(self, endpoint: str, template_name: str, extra_vars: dict[str, Any]) -> Generator[Effect, Any, int]:
        path = f"/{endpoint}/{template_name}/launch/"
        try:
            body = yield from self.do_request("POST", path, {"extra_vars": extra_vars})
        except NotFoundError:
            self.template_cache.pop(template_name, None)
            raise
        # Go decodes only "id" (an AAP launch answer also carries "job"); a missing id decodes as 0.
        return int(_decode(body).get("id") or 0)

    def get_job(self, job_id: str) -> Generator[Effect, Any, Job]:
        """`GET /jobs/<id>/`, the id used as given whatever its format."""
        body = yield from self.do_request("GET", f"/jobs/{job_id}/")
        return Job.from_body(_decode(body))

    def list_jobs(self, template_name: str, extra_vars_contains: str) -> Generator[Effect, Any, list[JobSummary]]:
        """`GET /jobs/?job_template__name=&extra_vars__icontains=&order_by=-id` ⇒ matching jobs, newest first.

        The reference operator never calls it: only the hardened controller, to find the job of a launch
        whose answer was lost.
        """
        query = urlencode({"job_template__name": template_name, "extra_vars__icontains": extra_vars_contains,
                           "order_by": "-id"})
        body = _decode((yield from self.do_request("GET", f"/jobs/?{query}")))
        return [JobSummary.from_body(r) for r in body.get("results") or [] if isinstance(r, dict)]

    def cancel_job(self, job_id: str) -> Generator[Effect, Any, None]:
        """`POST /jobs/<id>/cancel/`, no body; 2xx (AAP: 202) ⇒ success."""
        yield from self.do_request("POST", f"/jobs/{job_id}/cancel/")

    def can_cancel_job(self, job_id: str) -> Generator[Effect, Any, bool]:
        """`GET /jobs/<id>/cancel/` ⇒ can_cancel (the provider never calls it)."""
        body = yield from self.do_request("GET", f"/jobs/{job_id}/cancel/")
        return bool(_decode(body).get("can_cancel", False))


def _decode(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise GoError(f"failed to decode response: expected a JSON object, got {type(body).__name__}")
    return body


def _body_text(body: Any) -> str:
    if body is None:
        return ""
    return body if isinstance(body, str) else json.dumps(body, separators=(",", ":"), default=str)

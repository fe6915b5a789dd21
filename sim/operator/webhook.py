"""The EDA webhook client (§10.1): POST the whole CR as JSON, with a per-(url, CR name) minimum request interval."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from models.objects import ComputeInstance
from sim.kernel.effects import Effect, HttpRequest, HttpResponse, LogLine, Now
from sim.kernel.errors import TransportError
from sim.operator.errors import GoError, wrap

__all__ = ["WebhookClient"]

_JSON_HEADERS = (("Content-Type", "application/json"),)


class WebhookClient:
    """Process memory of one operator: the last-sent map starts empty on every (re)start."""

    def __init__(self, timeout_s: float = 10.0, minimum_request_interval_s: float = 0.0) -> None:
        self.timeout_s = timeout_s
        self.minimum_request_interval_s = minimum_request_interval_s
        # "<url>:<resource name>" -> simulated time the last successful request for that key was recorded.
        self.sent_at: dict[str, float] = {}

    @staticmethod
    def key(url: str, resource: ComputeInstance) -> str:
        """The map key: the namespace is not part of it (§10.1)."""
        return f"{url}:{resource.metadata.name}"

    def reset_cache(self) -> None:
        """ResetCache: clear the map (no production code path calls it)."""
        self.sent_at.clear()

    def trigger_webhook(self, url: str, resource: ComputeInstance) -> Generator[Effect, Any, float]:
        """TriggerWebhook: the elapsed time inside the window (not sent), or 0.0 after a 2xx; GoError otherwise."""
        now = yield Now()
        elapsed = self.check_for_existing_request(url, resource, now)
        if elapsed != 0:
            yield LogLine("Webhook rate-limited", (("url", url), ("elapsed_s", f"{elapsed:g}")))
            return elapsed
        request = HttpRequest("POST", url, resource.to_dict(), self.timeout_s, _JSON_HEADERS)
        try:
            response: HttpResponse = yield request
        except TransportError as exc:
            raise wrap("failed to send request", exc) from exc
        if not response.ok:
            raise GoError(f"received non-success status code: {response.status}")
        sent_at = yield Now()
        self.add_inflight_request(url, resource, sent_at)
        return 0.0

    def check_for_existing_request(self, url: str, resource: ComputeInstance, now: float) -> float:
        """Purge expired entries; an entry younger than the interval yields its elapsed time, else 0."""
        self.purge_expired_requests(now)
        sent_at = self.sent_at.get(self.key(url, resource))
        if sent_at is None:
            return 0.0
        elapsed = now - sent_at
        # elapsed == 0 (a second call at the same instant) also yields 0: the call is sent (Go compares to 0).
        return elapsed if elapsed < self.minimum_request_interval_s else 0.0

    def add_inflight_request(self, url: str, resource: ComputeInstance, now: float) -> None:
        """Purge expired entries, then record `now` for the key."""
        self.purge_expired_requests(now)
        self.sent_at[self.key(url, resource)] = now

    def purge_expired_requests(self, now: float) -> None:
        """Drop every entry whose elapsed time is strictly greater than the interval."""
        expired = [key for key, sent in self.sent_at.items() if now - sent > self.minimum_request_interval_s]
        for key in expired:
            del self.sent_at[key]

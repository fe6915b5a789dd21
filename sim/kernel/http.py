"""The simulated network between the operator and outside systems: HTTP requests routed by URL to fake servers.

A fake server registers a base URL and a handler: a simpy generator function that receives the request
and returns an `HttpResponse`, taking whatever simulated time it needs. The network adds a latency each
way and enforces the caller's timeout: past it the caller gets a `TransportError`, while the server's
handler runs to its end — so a request can time out *and* have been acted on, as in real life.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import simpy

from models.events import Event
from sim.kernel.choice import Dist
from sim.kernel.effects import HttpRequest, HttpResponse
from sim.kernel.errors import TransportError
from sim.kernel.kernel import Kernel

DEFAULT_LATENCY = Dist.uniform(0.002, 0.02)  # one way, per request
Handler = Callable[[HttpRequest], Generator[simpy.Event, Any, HttpResponse]]


@dataclass(frozen=True, slots=True)
class HttpRequested(Event):
    """A client sent an HTTP request (`request_id` pairs it with its answer)."""

    request_id: int
    method: str
    url: str
    body: Any


@dataclass(frozen=True, slots=True)
class HttpAnswered(Event):
    """The client received the server's answer."""

    request_id: int
    status: int
    body: Any


@dataclass(frozen=True, slots=True)
class HttpFailed(Event):
    """The client got no answer: timeout or connection refused (the server may still have acted)."""

    request_id: int
    error: str


class HttpNetwork:
    """Routes requests to registered fake servers by the longest matching base URL."""

    def __init__(self, kernel: Kernel, latency: Dist = DEFAULT_LATENCY) -> None:
        self.kernel = kernel
        self.latency = latency
        self._routes: list[tuple[str, Handler]] = []
        self._next_id = 0

    def register(self, base_url: str, handler: Handler) -> None:
        self._routes.append((base_url.rstrip("/"), handler))
        self._routes.sort(key=lambda r: -len(r[0]))

    def _route(self, url: str) -> Handler | None:
        for base, handler in self._routes:
            if url == base or url.startswith(base + "/") or url.startswith(base + "?"):
                return handler
        return None

    def call(self, request: HttpRequest, actor: str) -> Generator[simpy.Event, Any, HttpResponse]:
        """Send `request` as `actor`; returns the response or raises TransportError."""
        k = self.kernel
        rid = self._next_id
        self._next_id += 1
        k.record(HttpRequested, actor, request_id=rid, method=request.method, url=request.url, body=request.body)
        handler = self._route(request.url)
        if handler is None:
            yield k.env.timeout(k.choices.duration("net", f"{rid}/refused_s", self.latency))
            error = f'Post "{request.url}": dial tcp: connection refused'
            k.record(HttpFailed, actor, request_id=rid, error=error)
            raise TransportError(error)
        server = k.env.process(self._serve(handler, request, rid))
        yield server | k.env.timeout(request.timeout_s)
        if not server.triggered:
            error = f'{request.method} "{request.url}": context deadline exceeded (Client.Timeout exceeded)'
            k.record(HttpFailed, actor, request_id=rid, error=error)
            raise TransportError(error)
        response = server.value
        assert isinstance(response, HttpResponse), "an HTTP handler must return an HttpResponse"
        k.record(HttpAnswered, actor, request_id=rid, status=response.status, body=response.body)
        return response

    def _serve(self, handler: Handler, request: HttpRequest, rid: int) -> Generator[simpy.Event, Any, HttpResponse]:
        k = self.kernel
        yield k.env.timeout(k.choices.duration("net", f"{rid}/up_s", self.latency))
        response = yield from handler(request)
        yield k.env.timeout(k.choices.duration("net", f"{rid}/down_s", self.latency))
        return response

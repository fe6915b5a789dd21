"""Projections: pure folds of the event log into state, registered by name so `replay` can rebuild a run."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from models.events import Event
from sim.kernel.logfile import SavedLog, read_log


class Projection(Protocol):
    """A fold of events into state: `apply` each event in order, `snapshot` the state as JSON-like data."""

    def apply(self, event: Event) -> None: ...
    def snapshot(self) -> dict[str, Any]: ...


ProjectionFactory = Callable[[], Projection]
_REGISTRY: dict[str, ProjectionFactory] = {}


def register_projection(name: str, factory: ProjectionFactory) -> None:
    """Make `factory` part of every replay; world parts call this when their module is imported."""
    existing = _REGISTRY.get(name)
    assert existing is None or existing is factory, f"two projections registered under the name {name!r}"
    _REGISTRY[name] = factory


def projection_names() -> list[str]:
    return sorted(_REGISTRY)


def new_projections(names: Iterable[str] | None = None) -> dict[str, Projection]:
    chosen = sorted(_REGISTRY) if names is None else sorted(names)
    return {n: _REGISTRY[n]() for n in chosen}


def fold(events: Iterable[Event], projections: dict[str, Projection] | None = None) -> dict[str, Projection]:
    """Apply every event, in order, to every projection (a fresh set of all registered ones by default)."""
    projs = new_projections() if projections is None else projections
    applies = [p.apply for _, p in sorted(projs.items())]
    for e in events:
        for apply in applies:
            apply(e)
    return projs


def snapshot(projections: dict[str, Projection]) -> dict[str, Any]:
    return {name: p.snapshot() for name, p in sorted(projections.items())}


@dataclass
class Replayed:
    """A saved log folded back into state."""

    log: SavedLog
    projections: dict[str, Projection]

    @property
    def state(self) -> dict[str, Any]:
        return snapshot(self.projections)


def replay(path: str | os.PathLike[str]) -> Replayed:
    """Read and verify a saved log, then fold it into every registered projection."""
    saved = read_log(path)
    return Replayed(saved, fold(saved.events))


class RunSummary:
    """Counts events per type and per actor and remembers the last simulated time."""

    def __init__(self) -> None:
        self.by_type: dict[str, int] = {}
        self.by_actor: dict[str, int] = {}
        self.last_t = 0.0
        self.count = 0

    def apply(self, event: Event) -> None:
        name = type(event).__name__
        self.by_type[name] = self.by_type.get(name, 0) + 1
        self.by_actor[event.actor] = self.by_actor.get(event.actor, 0) + 1
        self.last_t = event.t
        self.count += 1

    def snapshot(self) -> dict[str, Any]:
        return {"events": self.count, "last_t": self.last_t, "by_type": dict(sorted(self.by_type.items())),
                "by_actor": dict(sorted(self.by_actor.items()))}


register_projection("run", RunSummary)

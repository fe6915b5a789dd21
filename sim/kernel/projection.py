"""Projections: pure folds of the event log into state, registered by name so `replay` can rebuild a run."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from models.events import Event
from sim.kernel.choice import Choice
from sim.kernel.gc_tuning import fewer_collections
from sim.kernel.log import EventLog
from sim.kernel.logfile import LogHeader, LogReader, SavedLog, read_log
from sim.kernel.registered import register_everything


class Projection(Protocol):
    """A fold of events into state: `apply` each event in order, `snapshot` the state as JSON-like data.

    A projection may also name the event classes it folds in a class attribute ``event_types`` (a tuple);
    `fold` and `subscribe_projections` then hand it only those (and their subclasses), which saves a call
    per event for the projections that follow a few kinds of event.
    """

    def apply(self, event: Event) -> None: ...
    def snapshot(self) -> dict[str, Any]: ...


def event_types_of(projection: Projection) -> tuple[type[Event], ...] | None:
    """The event classes `projection` folds, or None for every event."""
    types: tuple[type[Event], ...] | None = getattr(projection, "event_types", None)
    return types


ProjectionFactory = Callable[[], Projection]
_REGISTRY: dict[str, ProjectionFactory] = {}


def register_projection(name: str, factory: ProjectionFactory) -> None:
    """Make `factory` part of every replay; world parts call this when their module is imported."""
    existing = _REGISTRY.get(name)
    assert existing is None or existing is factory, f"two projections registered under the name {name!r}"
    _REGISTRY[name] = factory


def new_projections(names: Iterable[str] | None = None) -> dict[str, Projection]:
    """A fresh projection of each name (every projection of the simulator by default)."""
    register_everything()
    chosen = sorted(_REGISTRY) if names is None else sorted(names)
    return {n: _REGISTRY[n]() for n in chosen}


def fold(events: Iterable[Event], projections: dict[str, Projection] | None = None) -> dict[str, Projection]:
    """Apply every event, in order, to every projection (a fresh set of all registered ones by default).

    Each event goes to the projections that fold its class, in name order; which ones is worked out once
    per event class.
    """
    with fewer_collections():  # a fold allocates as a run does: see sim.kernel.gc_tuning
        return _fold(events, new_projections() if projections is None else projections)


def _fold(events: Iterable[Event], projs: dict[str, Projection]) -> dict[str, Projection]:
    ordered = [(p.apply, event_types_of(p)) for _, p in sorted(projs.items())]
    table: dict[type[Event], tuple[Callable[[Event], None], ...]] = {}
    for e in events:
        applies = table.get(type(e))
        if applies is None:
            cls = type(e)
            applies = table[cls] = tuple(apply for apply, types in ordered if types is None or issubclass(cls, types))
        for apply in applies:
            apply(e)
    return projs


def subscribe_projections(log: EventLog, projections: dict[str, Projection]) -> None:
    """Subscribe each projection (in name order) to a live log: by its `event_types` if it names them."""
    for _, p in sorted(projections.items()):
        log.subscribe(p.apply, *(event_types_of(p) or ()))


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


@dataclass
class StreamReplayed:
    """A saved log folded into state while it was read: its events are counted, not kept."""

    path: Path
    header: LogHeader
    events: int
    digest: str
    choices: list[Choice]
    projections: dict[str, Projection]

    @property
    def state(self) -> dict[str, Any]:
        return snapshot(self.projections)


def replay_stream(path: str | os.PathLike[str],
                  projections: dict[str, Projection] | None = None) -> StreamReplayed:
    """`replay` in bounded memory: each event is folded as it is read and then dropped.

    The log is verified as it is read; a bad footer or digest raises `LogFileError` at the end, after the
    events were folded, so the returned state exists only for a verified log.
    """
    reader = LogReader(path)
    projs = fold(reader.events(), projections)
    assert reader.header is not None, "a verified log has a header"
    return StreamReplayed(reader.path, reader.header, reader.count, reader.digest, reader.choices, projs)


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

"""Shared machinery of the property checkers: routing events by type, and how violations word jobs and times."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from models.events import Event
from models.jobs import JobRecord, JobType
from sim.checks.base import Checker

Handler = Callable[[Any], object]
Key = tuple[str, str]  # (namespace, name) of a ComputeInstance

# The create playbook provisions, the delete playbook deprovisions (§1); status.jobs[] names them by type (§8).


class Routed:
    """Something that follows a few event types: `routes()` names them with the method that handles each."""

    def routes(self) -> Iterable[tuple[type[Event], Handler]]:
        return ()


class EventChecker(Checker):
    """A checker that hands each event to the handlers registered for its exact type.

    Checkers run after every event of every run, so an event of a type nobody registered costs one
    dictionary miss. Handlers of a type run in registration order: follow trackers first, then add the
    checker's own handlers, which can then rely on the trackers being up to date.
    """

    def __init__(self) -> None:
        super().__init__()
        self._routes: dict[type[Event], list[Handler]] = {}

    def route(self, cls: type[Event], handler: Handler) -> None:
        self._routes.setdefault(cls, []).append(handler)

    def follow(self, *trackers: Routed) -> None:
        for tracker in trackers:
            for cls, handler in tracker.routes():
                self.route(cls, handler)

    def apply(self, event: Event) -> None:
        handlers = self._routes.get(type(event))
        if handlers is not None:
            for handler in handlers:
                handler(event)

    def handlers_for(self, cls: type[Event]) -> tuple[Handler, ...]:
        """This checker's handlers for `cls` (routes are set up in `__init__`), so `CheckRun` can call them directly."""
        if type(self).apply is not EventChecker.apply:  # a subclass that dispatches itself
            return (self.apply,)
        return tuple(self._routes.get(cls, ()))


def subject(key: Key) -> str:
    """How a violation names an instance: "namespace/name"."""
    return f"{key[0]}/{key[1]}"


def at(t: float) -> str:
    """A simulated time as violations print it."""
    return f"t={t:.2f}"


def entry_text(job: JobRecord) -> str:
    """One status.jobs[] entry in words: `9000 (provision, Running, "running")`."""
    name = job.job_id if job.job_id else "'' (failed trigger)"
    message = f', "{job.message}"' if job.message else ""
    return f"{name} ({job.type.value}, {job.state.value}{message})"


def entries_text(jobs: Sequence[JobRecord], job_type: JobType | None = None, limit: int = 4) -> str:
    """The last `limit` entries of one type (all types if None), oldest first, or a phrase saying there are none."""
    chosen = [j for j in jobs if job_type is None or j.type == job_type]
    kind = f"{job_type.value} " if job_type is not None else ""
    if not chosen:
        return f"no {kind}entry"
    shown = chosen[-limit:]
    more = f"{len(chosen) - len(shown)} older and " if len(chosen) > len(shown) else ""
    return f"{kind}entries {more}" + "; ".join(entry_text(j) for j in shown)


def id_list(ids: Iterable[int | str]) -> str:
    """`9000, 9001 and 9002`."""
    texts = [str(i) for i in ids]
    if len(texts) <= 1:
        return "".join(texts)
    return ", ".join(texts[:-1]) + " and " + texts[-1]

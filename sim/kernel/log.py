"""The one append-only event log of a run, with subscribers (projections, checkers) called on every append."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

from models.events import Event

E = TypeVar("E", bound=Event)
Handler = Callable[[Any], object]


class Router(Protocol):
    """A subscriber that says, per event class, which functions to call (e.g. the checkers of a run)."""

    def handlers_for(self, cls: type[Event]) -> tuple[Handler, ...]: ...


class EventLog:
    """Sequence-numbered events in append order; subscribers see each event right after it is appended.

    Subscribers for a specific event class are called before catch-all subscribers, each group in the
    order they subscribed, so projections (subscribed first, by type) are up to date when checkers run.
    With ``keep=False`` events are only dispatched (and counted), not held in memory.

    The handlers of each event class (its own, then the catch-all ones) are joined into one tuple on the
    first event of that class and reused until the next `subscribe`: every event of a run passes here.
    """

    def __init__(self, *, keep: bool = True) -> None:
        self.keep = keep
        self.events: list[Event] = []
        self.count = 0
        self._by_type: dict[type[Event], list[Handler]] = {}
        self._all: list[Handler | Router] = []  # catch-all handlers and routers, in subscription order
        self._dispatch: dict[type[Event], tuple[Handler, ...]] = {}

    def subscribe(self, handler: Handler, *types: type[Event]) -> None:
        """Call `handler(event)` for every appended event of one of `types` (all events if none given)."""
        if not types:
            self._all.append(handler)
        for t in types:
            self._by_type.setdefault(t, []).append(handler)
        self._dispatch.clear()

    def subscribe_router(self, router: Router) -> None:
        """Like a catch-all `subscribe`, but the log calls `router.handlers_for(cls)` for an event of class
        `cls` directly (asked once per class): no call through the router for every event. The router's
        answer for a class must not change after its first event of that class."""
        self._all.append(router)
        self._dispatch.clear()

    def _handlers(self, cls: type[Event]) -> tuple[Handler, ...]:
        handlers: list[Handler] = list(self._by_type.get(cls, ()))
        for entry in self._all:
            if callable(entry):
                handlers.append(entry)
            else:
                handlers.extend(entry.handlers_for(cls))
        self._dispatch[cls] = found = tuple(handlers)
        return found

    def next_seq(self) -> int:
        return self.count

    def append(self, event: Event) -> Event:
        assert event.seq == self.count, (
            f"event {type(event).__name__} carries seq {event.seq} but the log is at {self.count}: "
            "events must be built with log.next_seq() and appended at once"
        )
        self.count += 1
        if self.keep:
            self.events.append(event)
        handlers = self._dispatch.get(type(event))
        if handlers is None:
            handlers = self._handlers(type(event))
        for h in handlers:
            h(event)
        return event

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def of_type(self, cls: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, cls)]

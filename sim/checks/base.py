"""What every checker shares: the Violation record, the Checker base class, and the registry of property ids.

A checker is a projection of the event log: it sees every event in order through `apply` and may
record violations at once (safety) or in `finish` (liveness, once the run has ended and the world has
healed). Checkers read nothing but events, so replaying a saved log re-runs them to the same verdicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from models.events import Event

if TYPE_CHECKING:
    from sim.checks.attribution import EnvironmentFaults

EventHandler = Callable[[Any], object]


@dataclass(frozen=True, slots=True)
class Violation:
    """A broken property: which, when, for which instance, why (in the operator's words), and the events behind it."""

    property: str
    t: float
    subject: str  # the instance ("namespace/name"), or "" for a world-wide property
    explanation: str
    events: tuple[int, ...] = ()  # sequence numbers of the triggering events, oldest first
    environment: bool = False  # caused by the environment (EDA delivery faults, AAP purges), see sim.checks.attribution

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"property": self.property, "t": self.t, "subject": self.subject,
                             "explanation": self.explanation, "events": list(self.events)}
        if self.environment:
            d["environment"] = True
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Violation:
        return cls(d["property"], float(d["t"]), d["subject"], d["explanation"], tuple(d.get("events", ())),
                   bool(d.get("environment", False)))


class Checker:
    """Base class: subclasses set `property_id` and `description`, override `apply` and/or `finish`."""

    property_id: ClassVar[str] = ""
    description: ClassVar[str] = ""
    kind: ClassVar[str] = "safety"  # "safety" (online) or "liveness" (at the end)

    def __init__(self) -> None:
        self.violations: list[Violation] = []

    def apply(self, event: Event) -> None:
        """Look at one event (all events arrive, in log order)."""

    def handlers_for(self, cls: type[Event]) -> tuple[EventHandler, ...]:
        """What to call for an event of class `cls`, in order; `(self.apply,)` unless a subclass routes by type."""
        return (self.apply,)

    def finish(self, end_t: float) -> None:
        """The run ended at `end_t`: check liveness, report what is still pending."""

    def violate(self, t: float, subject: str, explanation: str, events: Iterable[int] = (), *,
                environment_causes: Iterable[int] | None = None) -> None:
        """Report a violation; with `environment_causes` (the events that show it) as caused by the environment."""
        shown = set(events) | set(environment_causes or ())
        self.violations.append(Violation(self.property_id, t, subject, explanation, tuple(sorted(shown)),
                                         environment_causes is not None))


CheckerFactory = Callable[[], Checker]
_REGISTRY: dict[str, type[Checker]] = {}


def register_checker(cls: type[Checker]) -> type[Checker]:
    """Class decorator: make a checker selectable by its property id."""
    assert cls.property_id and cls.property_id not in _REGISTRY, f"property id {cls.property_id!r} taken or empty"
    _REGISTRY[cls.property_id] = cls
    return cls


def kind_of(property_id: str) -> str | None:
    """"safety" or "liveness" for a registered property id, None for an unknown one."""
    cls = _REGISTRY.get(property_id)
    return None if cls is None else cls.kind


def property_ids() -> list[str]:
    return sorted(_REGISTRY)


def new_checkers(ids: Sequence[str] | None = None) -> list[Checker]:
    """Fresh checkers for `ids` (all registered properties by default), in id order."""
    chosen = sorted(_REGISTRY) if ids is None else sorted(ids)
    return [_REGISTRY[i]() for i in chosen]


@dataclass
class CheckRun:
    """Checkers fed from a live log (subscribe `apply`) or from saved events (`feed`).

    Every event of every run passes here, so `apply` dispatches once per event class: the handlers of every
    checker for that class are collected (in checker order, each checker's in its own order) on the first
    event of the class and reused, instead of asking each of the twelve checkers in turn.
    """

    checkers: list[Checker] = field(default_factory=lambda: new_checkers())
    _table: dict[type[Event], tuple[EventHandler, ...]] = field(default_factory=dict, init=False, repr=False,
                                                                compare=False)
    _built_for: int = field(default=-1, init=False, repr=False, compare=False)
    environment: EnvironmentFaults = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        from sim.checks.attribution import EnvironmentFaults  # it reads backend events: imported late

        self.environment = EnvironmentFaults()

    def apply(self, event: Event) -> None:
        handlers = self._table.get(type(event))
        if handlers is None or self._built_for != len(self.checkers):
            handlers = self._handlers(type(event))
        for handler in handlers:
            handler(event)

    def handlers_for(self, cls: type[Event]) -> tuple[EventHandler, ...]:
        """What `apply` calls for an event of class `cls`: a live log subscribes the run with
        `subscribe_router` and calls these itself (the checkers must not change during the run)."""
        handlers = self._table.get(cls)
        if handlers is None or self._built_for != len(self.checkers):
            handlers = self._handlers(cls)
        return handlers

    def _handlers(self, cls: type[Event]) -> tuple[EventHandler, ...]:
        if self._built_for != len(self.checkers):  # checkers were added: start the table again
            self._table.clear()
            self._built_for = len(self.checkers)
        handlers = self._table[cls] = (*(h for c in self.checkers for h in c.handlers_for(cls)),
                                       *self.environment.handlers_for(cls))
        return handlers

    def feed(self, events: Iterable[Event]) -> None:
        for e in events:
            self.apply(e)

    def finish(self, end_t: float) -> list[Violation]:
        """Finish every checker; their violations in time order, those an EDA delivery fault caused marked so."""
        for c in self.checkers:
            c.finish(end_t)
        return sorted((self.environment.attribute(v) for c in self.checkers for v in c.violations),
                      key=lambda v: (v.t, v.property, v.subject, v.events))

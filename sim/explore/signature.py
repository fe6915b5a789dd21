"""Violation signatures: the property plus the decisive transitions, with ids, names and times stripped.

Two runs that break the same property through the same kinds of steps (an EDA rule fired twice for
one delivery, then a second provision job launched) share a signature even if their job ids, instance
names and times differ, so a campaign reports one group per distinct way of failing. Each triggering
event becomes a token: its type plus the few fields that say *what kind* of step it was (a verb, a
playbook, a fault); repeated tokens are kept once, in the order first seen, so a job polled five times
and one polled six times do not make two groups. Steps that only accompany the decisive ones are left
out (unless nothing else is left): status, spec and metadata writes (``ObjectStored`` update,
update_status, patch — the write that *showed* the problem), the first copy of an EDA delivery (the
launch already says ``launched_by=eda``; a second copy stays), and how a job ended unless it was
canceled (``AapJobTransitioned(ended)``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from models.events import Event
from sim.checks.base import Violation

__all__ = ["DETAIL_FIELDS", "ENVIRONMENT_MARK", "Hit", "Signature", "decisive_token", "hits_of", "short_id",
           "signature_of", "token"]

ENVIRONMENT_MARK = " [environment]"

# Fields that tell what kind of step an event was; ids, names, namespaces, times and free text never are.
DETAIL_FIELDS = ("verb", "kind", "playbook", "launched_by", "trigger", "dest", "step", "ok", "outcome", "hook",
                 "fault", "copy", "method", "status", "applied", "answered", "reason", "effect", "injected")


@dataclass(frozen=True, order=True)
class Signature:
    """A property id, the ordered distinct tokens of its triggering events, and whether the environment caused it.

    Environment-caused violations (`Violation.environment`) get a signature of their own (`… [environment]`), so a
    group never mixes them with the same steps caused by the controller: each group's status, example and shrunk
    reproduction tell one story.
    """

    prop: str
    tokens: tuple[str, ...]
    environment: bool = False

    @property
    def key(self) -> str:
        """The signature as one line: `property: Token > Token > ...` (then ` [environment]` if so)."""
        mark = ENVIRONMENT_MARK if self.environment else ""
        return f"{self.prop}: {' > '.join(self.tokens) or '(no triggering events)'}{mark}"

    @property
    def short(self) -> str:
        """A stable 8-hex-digit id for folder names and tables."""
        return short_id(self.key)

    @classmethod
    def parse(cls, key: str) -> Signature:
        environment = key.endswith(ENVIRONMENT_MARK)
        if environment:
            key = key[:-len(ENVIRONMENT_MARK)]
        prop, _, rest = key.partition(": ")
        tokens = () if rest == "(no triggering events)" else tuple(rest.split(" > "))
        return cls(prop, tokens, environment)


def short_id(key: str) -> str:
    """The 8-hex-digit id of a signature key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


def token(event: Event) -> str:
    """`Type(field=value, ...)` with only the DETAIL_FIELDS the event has."""
    details = [f"{name}={getattr(event, name)}" for name in DETAIL_FIELDS if hasattr(event, name)]
    return f"{type(event).__name__}({', '.join(details)})" if details else type(event).__name__


_INCIDENTAL_WRITES = ("update", "update_status", "patch")


def decisive_token(event: Event) -> str | None:
    """The token of a decisive step, or None for a step that only accompanies one."""
    name = type(event).__name__
    if name == "ObjectStored" and getattr(event, "verb", "") in _INCIDENTAL_WRITES:
        return None
    if name == "EdaRuleFired" and getattr(event, "copy", 1) == 1:
        return None
    if name == "AapJobTransitioned" and getattr(event, "dest", "") != "canceled":
        return "AapJobTransitioned(ended)"
    return token(event)


def signature_of(violation: Violation, events: Sequence[Event]) -> Signature:
    """The signature of one violation, reading its triggering events by sequence number (= index in the log)."""
    chosen = [events[seq] for seq in violation.events if 0 <= seq < len(events)]
    decisive = [t for t in (decisive_token(e) for e in chosen) if t is not None]
    tokens = decisive or [token(e) for e in chosen]
    return Signature(violation.property, tuple(dict.fromkeys(tokens)), violation.environment)


@dataclass(frozen=True)
class Hit:
    """One violation of one run, reduced to what a campaign keeps: signature, status, when, who, why."""

    signature: str  # Signature.key
    property: str
    status: str  # unexpected | expected (a finding the scenario lists) | tolerated | environment (an EDA fault)
    t: float
    subject: str
    explanation: str


def hits_of(violations: Iterable[Violation], events: Sequence[Event], *, expected: Iterable[Violation] = (),
            tolerated: Iterable[Violation] = ()) -> tuple[Hit, ...]:
    """One Hit per distinct signature of a run (its earliest violation), sorted by signature."""
    exp, tol = set(expected), set(tolerated)
    first: dict[str, Hit] = {}
    for v in violations:
        key = signature_of(v, events).key
        status = ("expected" if v in exp else "tolerated" if v in tol
                  else "environment" if v.environment else "unexpected")
        if key not in first or v.t < first[key].t:
            first[key] = Hit(key, v.property, status, v.t, v.subject, v.explanation)
    return tuple(first[k] for k in sorted(first))

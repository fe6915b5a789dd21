"""Turn a violation back into the events behind it: for timelines, reports and failure messages."""

from __future__ import annotations

from collections.abc import Sequence

from models.events import Event
from sim.checks.base import Violation


def explain_events(violation: Violation, events: Sequence[Event]) -> list[Event]:
    """The violation's decisive events, in log order; `events` is the whole log (indexed by seq when it can be)."""
    wanted = sorted(set(violation.events))
    if not wanted:
        return []
    if all(0 <= s < len(events) and events[s].seq == s for s in wanted):
        return [events[s] for s in wanted]
    chosen = set(wanted)
    return sorted((e for e in events if e.seq in chosen), key=lambda e: e.seq)


def event_line(event: Event) -> str:
    """One event as a short line: time, actor, type and the scalar fields of its payload."""
    fields = ", ".join(f"{k}={v!r}" for k, v in event.payload().items()
                       if isinstance(v, str | int | float | bool) and k not in event.OBJECT_FIELDS)
    return f"  #{event.seq:<6} t={event.t:10.2f}  {event.actor:<18} {type(event).__name__}({fields})"


def format_violation(violation: Violation, events: Sequence[Event] = ()) -> str:
    """A violation as a paragraph followed by its decisive events (when the log is given)."""
    where = f" {violation.subject}" if violation.subject else ""
    lines = [f"[{violation.property}] t={violation.t:.2f}{where}", f"  {violation.explanation}"]
    lines.extend(event_line(e) for e in explain_events(violation, events))
    return "\n".join(lines)

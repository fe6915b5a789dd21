"""The terminal timeline: one line per meaningful happening, at three verbosities, with repeated polls folded.

Every renderer here is a pure function of the event log. `describe_event` is the one-line description
all of them use; it dispatches on the event's type through one table built from the per-actor
describers (`describe_kube`, `describe_outside`). Events of types nobody registered still show, in
their raw form, at verbosity 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from models.events import Event
from sim.checks.base import Violation
from sim.render.describe_kube import KUBE_DESCRIBERS, Describer
from sim.render.describe_outside import OUTSIDE_DESCRIBERS
from sim.render.summary import render_summary
from sim.render.text import (
    ACTOR_WIDTH,
    DEFAULT,
    QUIET,
    VERBOSE,
    Context,
    Described,
    fmt_seconds,
    fmt_time,
    timeline_line,
    wrap,
)

__all__ = ["DEFAULT", "QUIET", "VERBOSE", "Context", "describe", "describe_event", "render_summary",
           "render_timeline", "render_violation"]

assert not set(KUBE_DESCRIBERS) & set(OUTSIDE_DESCRIBERS), "an event type has two describers"
DESCRIBERS: dict[type[Event], Describer] = {**KUBE_DESCRIBERS, **OUTSIDE_DESCRIBERS}
MAX_FOLD_PERIOD = 6  # the longest block of lines (one poll: log, request, answer, ...) folded when it repeats
VIOLATION_WIDTH = 100


def _raw(event: Event, ctx: Context) -> Described:
    """Fallback for an event type without a describer: its name and scalar fields."""
    pairs = [f"{k}={v}" for k, v in event.payload().items() if isinstance(v, str | int | float | bool)]
    return Described(VERBOSE, f"{event.type_name} {', '.join(pairs)}".rstrip())


def _describer(cls: type[Event]) -> Describer:
    for base in cls.__mro__:  # a subclass of a described event is described like its base
        found = DESCRIBERS.get(base)
        if found is not None:
            return found
    return _raw


def describe(event: Event, context: Context) -> Described:
    """The description of `event` at any verbosity; `context` is advanced past the event."""
    return _describer(type(event))(event, context)


def describe_event(event: Event, verbosity: int = DEFAULT, context: Context | None = None) -> str | None:
    """One line saying what `event` means, or None if it is not shown at `verbosity` (0, 1 or 2).

    Without a `context` the event is described on its own (a status write lists the state it wrote but
    cannot say which finalizer it added); pass the same `Context` for every event of a log, in order, to
    get differences and request/answer pairs.
    """
    described = describe(event, context if context is not None else Context())
    return described.text if described.level <= verbosity else None


@dataclass(frozen=True, slots=True)
class _Row:
    t: float
    actor: str
    described: Described

    @property
    def key(self) -> tuple[str, str]:
        return (self.actor, self.described.text)


@dataclass(frozen=True, slots=True)
class _Fold:
    lines: int  # length of the repeated block
    times: int  # how many more times it repeated
    until: float  # time of the last folded line


def _repeats(keys: Sequence[tuple[str, str]], i: int, period: int) -> int:
    """How many times the block keys[i:i+period] repeats right after itself."""
    block = keys[i:i + period]
    count = 0
    while keys[i + (count + 1) * period:i + (count + 2) * period] == block:
        count += 1
    return count


def fold_repeats(rows: Sequence[_Row]) -> list[_Row | _Fold]:
    """Keep the first of consecutive identical blocks (1..MAX_FOLD_PERIOD lines) and count the rest."""
    keys = [r.key for r in rows]
    out: list[_Row | _Fold] = []
    i = 0
    while i < len(rows):
        best_period, best_times = 1, 0
        for period in range(1, MAX_FOLD_PERIOD + 1):
            if i + 2 * period > len(rows):
                break
            times = _repeats(keys, i, period)
            if times * period > best_times * best_period:
                best_period, best_times = period, times
        out.extend(rows[i:i + best_period])
        end = i + (best_times + 1) * best_period
        if best_times:
            out.append(_Fold(best_period, best_times, rows[end - 1].t))
        i = end
    return out


def _fold_line(fold: _Fold) -> str:
    what = "the line above" if fold.lines == 1 else f"the {fold.lines} lines above"
    times = "once more" if fold.times == 1 else f"{fold.times} more times"
    margin = " " * (len(fmt_time(0.0)) + 2 + ACTOR_WIDTH + 2)
    return f"{margin}… {what} repeated {times} (until {fmt_seconds(fold.until)})"


def render_timeline(events: Sequence[Event], *, verbosity: int = DEFAULT, color: bool = False) -> list[str]:
    """The compact timeline of a run: `time  actor  what happened`, one line per event shown at `verbosity`.

    0 shows user actions, job launches and job state changes, CR removal and manager (re)starts; 1 adds
    API writes, conflicts and faults, the operator's decisions, webhooks, cancels, playbook steps and VM
    changes; 2 shows everything. At 0 and 1 repeated blocks (polls) are folded into one line.
    """
    ctx = Context()
    rows = [_Row(e.t, e.actor, d) for e in events if (d := describe(e, ctx)).level <= verbosity]
    items: Sequence[_Row | _Fold] = fold_repeats(rows) if verbosity <= DEFAULT else rows
    return [timeline_line(item.t, item.actor, item.described, color=color) if isinstance(item, _Row)
            else _fold_line(item) for item in items]


def render_violation(violation: Violation, events: Sequence[Event], *, color: bool = False) -> list[str]:
    """A violation in the operator's words: property, time, subject, explanation, then its triggering events."""
    where = violation.subject or "world-wide"
    cause = " [environment: no controller could have prevented it]" if violation.environment else ""
    lines = [f"VIOLATION {violation.property} at {fmt_seconds(violation.t)}: {where}{cause}"]
    lines += wrap(violation.explanation, VIOLATION_WIDTH, "  ")
    wanted = sorted(set(violation.events))
    if not wanted:
        return [*lines, "  (no triggering events recorded)"]
    lines.append("  events that led to it:")
    found: dict[int, str] = {}
    ctx, last = Context(), wanted[-1]
    for e in events:
        if e.seq > last:
            break
        described = describe(e, ctx)  # every earlier event feeds the context, so diffs are right
        if e.seq in wanted:
            found[e.seq] = timeline_line(e.t, e.actor, described, color=color, seq=e.seq)
    lines += [f"    {found.get(seq, f'#{seq:<5} (not in this log)')}" for seq in wanted]
    return lines

"""Bounded exhaustive exploration: depth-first over the first D choice points of a scenario, every branch once.

Stateless model checking (Godefroid's VeriSoft, 1997): the run is deterministic given its choices, so a
path is a list of branch indices, and the next path is found by advancing the deepest choice point that
still has an untried option ("odometer" order) and re-running from the start. Each choice point is
abstracted to a few values:

- a bool: both ways (False, then True) — every fault, duplicate or loss happens or not;
- an int whose range has at most 4 values: every value (ties between up to 4 events, small picks);
  a larger range: its two ends;
- a float (every duration): its two ends — the shortest and the longest wait, which decide orderings
  between concurrent actors; values in between are not explored (this is the abstraction).

Choice points past depth D (and, with `streams`, those of streams not named — a name selects the stream
and its sub-streams, ``api`` selecting ``api/operator``) take their first value, the simplest one. A
*state* is the final projection snapshot without times, resource versions and event counts
(`state_key`), so two executions that end alike count once.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.explore.signature import hits_of
from sim.kernel.choice import ChoiceSource, Domain, Value
from sim.operator.registry import DEFAULT_CONTROLLER
from sim.runner import run_scenario
from sim.scenarios.schema import Scenario

__all__ = ["ExhaustiveChoiceSource", "Exploration", "explore", "options_for", "state_key"]

SMALL_INT_RANGE = 4
_NOISE_KEYS = ("resource_version", "resourceVersion", "timestamp", "creationTimestamp", "deletionTimestamp",
               "lastTransitionTime")


def options_for(domain: Domain) -> list[Value]:
    """The values a choice point branches over, simplest first."""
    if domain.kind == "bool":
        return [False, True]
    if domain.kind == "int":
        lo, hi = int(domain.lo), int(domain.hi)
        return list(range(lo, hi + 1)) if hi - lo + 1 <= SMALL_INT_RANGE else [lo, hi]
    return [float(domain.lo), float(domain.hi)]


class ExhaustiveChoiceSource(ChoiceSource):
    """Takes branch `prefix[k]` at the k-th counted choice point (0 past the prefix) and notes every branching."""

    def __init__(self, prefix: Sequence[int], depth: int, *, streams: Collection[str] | None = None) -> None:
        super().__init__()
        self.prefix, self.depth, self.streams = list(prefix), depth, streams
        self.taken: list[int] = []  # branch index taken at each counted choice point
        self.widths: list[int] = []  # how many branches each counted choice point had

    def _draw(self, stream: str, name: str, domain: Domain) -> Value:
        options = options_for(domain)
        counted = len(self.taken) < self.depth and (self.streams is None or _matches(stream, self.streams))
        if not counted:
            return options[0]
        k = len(self.taken)
        branch = self.prefix[k] if k < len(self.prefix) else 0
        assert branch < len(options), f"choice point {k} ({stream}/{name}) has {len(options)} options, not {branch + 1}"
        self.taken.append(branch)
        self.widths.append(len(options))
        return options[branch]

    def next_prefix(self) -> list[int] | None:
        """The path to run next in depth-first order, or None when this subtree was the last."""
        for k in range(len(self.taken) - 1, -1, -1):
            if self.taken[k] + 1 < self.widths[k]:
                return [*self.taken[:k], self.taken[k] + 1]
        return None


def _matches(stream: str, prefixes: Collection[str]) -> bool:
    """`aap` selects the stream aap and its sub-streams (aap/...), not api/playbook/9000."""
    return any(stream == p or stream.startswith(p + "/") for p in prefixes)


def _stripped(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _stripped(v, k) for k, v in sorted(value.items())
                if not (k.endswith("_t") or k in _NOISE_KEYS)}
    if isinstance(value, list | tuple):
        return [_stripped(v) for v in value]
    return value


def state_key(final_state: dict[str, Any]) -> str:
    """A hash of the final projections without times, resource versions and the event counts of `run`."""
    data = _stripped({k: v for k, v in final_state.items() if k != "run"})
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode("utf-8")).hexdigest()


@dataclass
class Exploration:
    """What a bounded exhaustive exploration covered."""

    scenario: str
    depth: int
    executions: int = 0
    complete: bool = False  # the whole tree up to the depth was explored (not cut by the budget)
    states: set[str] = field(default_factory=set)
    signatures: Counter[str] = field(default_factory=Counter)  # signature → executions that showed it
    unexpected: set[str] = field(default_factory=set)  # signatures some execution showed unexpectedly
    interrupted: bool = False  # Ctrl-C
    deepest: int = 0  # most choice points any execution branched on (< depth: the tree is shallower)

    def lines(self) -> list[str]:
        verdict = "explored the whole tree" if self.complete else (
            "interrupted (Ctrl-C)" if self.interrupted else "stopped by the budget") + ": the tree is not exhausted"
        out = [f"explore {self.scenario}: depth {self.depth}, {verdict}",
               f"executions: {self.executions}; distinct final states: {len(self.states)}; "
               f"branching choice points per execution: up to {self.deepest}",
               f"distinct violation signatures: {len(self.signatures)} ({len(self.unexpected)} unexpected)"]
        out += [f"  {n:>5}  {'' if sig in self.unexpected else '(expected) '}{sig}"
                for sig, n in sorted(self.signatures.items(), key=lambda kv: (-kv[1], kv[0]))]
        return out

    def to_json(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "depth": self.depth, "executions": self.executions,
                "complete": self.complete, "states": len(self.states), "deepest": self.deepest,
                "interrupted": self.interrupted, "signatures": dict(sorted(self.signatures.items())),
                "unexpected": sorted(self.unexpected)}


def explore(scenario: Scenario, *, depth: int, max_runs: int | None = None, controller: str = DEFAULT_CONTROLLER,
            streams: Collection[str] | None = None, stop: Callable[[], bool] = lambda: False) -> Exploration:
    """Run every path of the choice tree up to `depth` (or until `max_runs`/`stop`) and report what was covered."""
    found = Exploration(scenario.name, depth)
    prefix: list[int] | None = []
    try:
        while prefix is not None:
            if (max_runs is not None and found.executions >= max_runs) or stop():
                return found
            prefix = _one(found, scenario, prefix, depth, controller, streams)
    except KeyboardInterrupt:
        found.interrupted = True
        return found
    found.complete = True
    return found


def _one(found: Exploration, scenario: Scenario, prefix: list[int], depth: int, controller: str,
         streams: Collection[str] | None) -> list[int] | None:
    """Execute one path, note what it covered, and return the next path."""
    source = ExhaustiveChoiceSource(prefix, depth, streams=streams)
    result = run_scenario(scenario, seed=scenario.seed, controller=controller, choices=source)
    found.executions += 1
    found.deepest = max(found.deepest, len(source.taken))
    found.states.add(state_key(result.final_state))
    hits = hits_of(result.violations, result.events, expected=result.findings, tolerated=result.tolerated)
    found.signatures.update({h.signature for h in hits})
    found.unexpected.update(h.signature for h in hits if h.status == "unexpected")
    return source.next_prefix()

"""Same-instant ordering: a simpy environment that lets the choice source order events due at the same time.

simpy alone processes events due at the same simulated time first-in-first-out, so a race between two
things that happen "at once" is always decided the same way. `OrderedEnvironment` asks the choice source
instead, whenever two or more normal-priority events are due at the head of the queue at the same time:

- ``random``: a uniformly random pick among them (each pick is a logged choice);
- ``pct``: a PCT-style priority strategy (Burckhardt et al., ASPLOS 2010): every process gets a random
  priority when first seen, the highest-priority process goes first, and at ``depth - 1`` randomly
  chosen decision points the process that just went is demoted below all others — which finds bugs of
  depth d with a known probability bound.

Urgent events (process start, interrupts) keep simpy's order. With ``fifo`` this is plain simpy.
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import Any, Literal

import simpy
from simpy.events import NORMAL

from sim.kernel.choice import ChoiceSource

Strategy = Literal["fifo", "random", "pct"]
STRATEGIES: tuple[Strategy, ...] = ("fifo", "random", "pct")
_STREAM = "order"


class OrderedEnvironment(simpy.Environment):
    """A simpy Environment whose same-instant ties are decided by the choice source."""

    def __init__(self, choices: ChoiceSource, strategy: Strategy = "random", *, pct_depth: int = 3,
                 pct_horizon: int = 2000) -> None:
        super().__init__()
        assert strategy in STRATEGIES, f"unknown ordering strategy {strategy!r}"
        self.choices, self.strategy = choices, strategy
        self.decisions = 0  # how many ties were decided
        self._owners: dict[int, int] = {}  # id(process) → first-seen number (only used as a key)
        self._priority: dict[int, float] = {}  # first-seen number → priority (higher goes first)
        self._keep: list[Any] = []  # processes seen, kept alive so their ids are not reused
        self._change_points: list[int] = []
        if strategy == "pct":
            self._change_points = sorted(choices.integer(_STREAM, f"pct/change/{i}", 1, pct_horizon)
                                         for i in range(max(0, pct_depth - 1)))

    def step(self) -> None:
        q = self._queue
        if self.strategy != "fifo" and len(q) > 1 and q[0][1] == NORMAL:
            t0 = q[0][0]
            # In a heap the second-smallest entry is q[1] or q[2]: a tie exists iff one of them ties the head.
            if any(e[0] == t0 and e[1] == NORMAL for e in q[1:3]):
                self._decide(t0)
        super().step()

    def _decide(self, t0: float) -> None:
        q = self._queue
        tied = []
        while q and q[0][0] == t0 and q[0][1] == NORMAL:
            tied.append(heappop(q))
        if len(tied) > 1:
            index = self._pick(tied)
            chosen = tied.pop(index)
            heappush(q, (chosen[0], chosen[1], -1, chosen[3]))  # eid -1: processed next
        else:
            chosen = tied.pop()
            heappush(q, chosen)
        for entry in tied:
            heappush(q, entry)

    def _pick(self, tied: list[Any]) -> int:
        n = self.decisions
        self.decisions += 1
        if self.strategy == "random":
            return self.choices.integer(_STREAM, f"tie/{n}", 0, len(tied) - 1)
        owners = [self._owner(entry[3]) for entry in tied]
        best = max(range(len(tied)), key=lambda i: (self._priority[owners[i]], -i))
        if self._change_points and self.decisions == self._change_points[0]:
            self._change_points.pop(0)
            self._priority[owners[best]] = -float(self.decisions)  # demoted below every random priority
        return best

    def _owner(self, event: Any) -> int:
        """The process an event resumes (its first callback's owner), numbered by first sight."""
        target: Any = event
        for cb in event.callbacks or ():
            owner = getattr(cb, "__self__", None)
            if isinstance(owner, simpy.Process):
                target = owner
                break
        key = id(target)
        number = self._owners.get(key)
        if number is None:
            number = self._owners[key] = len(self._owners)
            self._keep.append(target)
            self._priority[number] = self.choices.uniform(_STREAM, f"pct/priority/{number}", 0.0, 1.0)
        return number

"""The one door for nondeterminism: every duration, outcome, fault and ordering is a named choice drawn here.

Each choice has a stream (the actor that draws it, e.g. ``aap``), a name (what is decided, e.g.
``job/9001/running_s``), a domain and a value; every non-degenerate draw is appended to ``tape``, so a
run's choices form its replay tape. Implementations:

- `SeededChoiceSource`: one ``random.Random`` per stream, derived from the seed by name, so adding a
  draw to one actor leaves every other actor's draws unchanged. Only ``Random.random()`` is used (the
  one method Python promises to keep stable across versions).
- `RecordedChoiceSource`: replays a tape; strict (divergence is an error) or lenient (falls back to a
  seeded source, listing the diverged streams — for re-running a tape against a different controller).
- `HypothesisChoiceSource`: draws from Hypothesis' ``st.data()`` so Hypothesis can shrink a run.
- The exhaustive enumerator (bounded model checking) lives with exploration and plugs in through
  `ChoiceSource._draw`.
"""

from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from models.frozen import builder
from sim.kernel.errors import SimError

T = TypeVar("T")
Value = float | int | bool
DomainKind = Literal["float", "int", "bool"]


@dataclass(frozen=True, slots=True)
class Domain:
    """What a choice may be: a float in [lo, hi], an int in [lo, hi], or a bool true with probability p (= lo)."""

    kind: DomainKind
    lo: float
    hi: float = 0.0

    def contains(self, value: Value) -> bool:
        if self.kind == "bool":
            return isinstance(value, bool)
        if self.kind == "int":
            return isinstance(value, int) and not isinstance(value, bool) and self.lo <= value <= self.hi
        return isinstance(value, int | float) and not isinstance(value, bool) and self.lo <= value <= self.hi


@dataclass(frozen=True, slots=True)
class Choice:
    """One logged decision of a run: stream, name, value."""

    stream: str
    name: str
    value: Value

    def to_list(self) -> list[Any]:
        return [self.stream, self.name, self.value]

    @classmethod
    def from_list(cls, item: Sequence[Any]) -> Choice:
        stream, name, value = item
        if not isinstance(stream, str) or not isinstance(name, str) or not isinstance(value, int | float | bool):
            raise ValueError(f"a choice is [stream, name, value] with a numeric or boolean value, got {item!r}")
        return new_choice(stream, name, value)  # a replayed tape has one per draw of the run


new_choice = builder(Choice)


@dataclass(frozen=True, slots=True)
class Dist:
    """A duration distribution: fixed `a`; uniform on [a, b]; or exponential with mean `a` capped at `b`."""

    kind: Literal["fixed", "uniform", "exponential"]
    a: float
    b: float = 0.0

    def __post_init__(self) -> None:
        if self.a < 0 or self.b < 0:
            raise SimError(f"a duration of {self.a}, {self.b} s", rule="durations are >= 0 seconds",
                           fix="use a non-negative number of seconds")
        if self.kind == "uniform" and self.b < self.a:
            raise SimError(f"uniform range [{self.a}, {self.b}] s", rule="the upper bound is >= the lower bound",
                           fix=f"write [{self.b}, {self.a}]")

    @classmethod
    def fixed(cls, seconds: float) -> Dist:
        return cls("fixed", seconds)

    @classmethod
    def uniform(cls, lo: float, hi: float) -> Dist:
        return cls("uniform", lo, hi)

    def describe(self) -> str:
        if self.kind == "fixed":
            return f"{self.a:g} s"
        if self.kind == "uniform":
            return f"U[{self.a:g}, {self.b:g}] s"
        return f"Exp(mean {self.a:g} s, max {self.b:g} s)"


class TapeDivergence(SimError):
    """A recorded tape does not match the draws the run asks for."""


class ChoiceSource(ABC):
    """The interface every implementation shares; subclasses implement `_draw` only."""

    def __init__(self, *, record: bool = True) -> None:
        self.tape: list[Choice] = []
        self._record = record

    # -- the public vocabulary -------------------------------------------------------------------
    def uniform(self, stream: str, name: str, lo: float, hi: float) -> float:
        if hi <= lo:
            return lo
        return float(self._logged(stream, name, Domain("float", lo, hi)))

    def integer(self, stream: str, name: str, lo: int, hi: int) -> int:
        """An int in [lo, hi], both ends included."""
        if hi <= lo:
            return lo
        return int(self._logged(stream, name, Domain("int", lo, hi)))

    def chance(self, stream: str, name: str, p: float) -> bool:
        """True with probability p; p <= 0 or p >= 1 decide without drawing."""
        if p <= 0.0:
            return False
        if p >= 1.0:
            return True
        return bool(self._logged(stream, name, Domain("bool", p)))

    def pick(self, stream: str, name: str, options: Sequence[T]) -> T:
        assert options, f"choice {stream}/{name} offered no options"
        return options[self.integer(stream, name, 0, len(options) - 1)]

    def weighted(self, stream: str, name: str, options: Sequence[T], weights: Sequence[float]) -> T:
        """One of `options` with probability proportional to its weight, decided by one uniform draw."""
        u = self.uniform(stream, name, 0.0, sum(weights))
        for option, weight in zip(options, weights, strict=True):
            if u < weight:
                return option
            u -= weight
        return [o for o, w in zip(options, weights, strict=True) if w > 0][-1]

    def permutation(self, stream: str, name: str, n: int) -> list[int]:
        """A permutation of range(n) as a sequence of picks (Fisher–Yates), each pick its own choice."""
        order = list(range(n))
        for i in range(n - 1):
            j = self.integer(stream, f"{name}/{i}", i, n - 1)
            order[i], order[j] = order[j], order[i]
        return order

    def duration(self, stream: str, name: str, dist: Dist) -> float:
        if dist.kind == "fixed":
            return dist.a
        if dist.kind == "uniform":
            return self.uniform(stream, name, dist.a, dist.b)
        u = self.uniform(stream, name, 0.0, 0.999999)
        value = -dist.a * math.log1p(-u)
        return min(value, dist.b) if dist.b > 0 else value

    # -- implementation hook ---------------------------------------------------------------------
    def _logged(self, stream: str, name: str, domain: Domain) -> Value:
        value = self._draw(stream, name, domain)
        if self._record:
            self.tape.append(new_choice(stream, name, value))
        return value

    @abstractmethod
    def _draw(self, stream: str, name: str, domain: Domain) -> Value:
        """Return a value in `domain` for the choice `stream`/`name`."""


def _from_unit(r: float, domain: Domain) -> Value:
    if domain.kind == "bool":
        return r < domain.lo
    if domain.kind == "int":
        lo, hi = int(domain.lo), int(domain.hi)
        return min(hi, lo + int(r * (hi - lo + 1)))
    return domain.lo + (domain.hi - domain.lo) * r


class SeededChoiceSource(ChoiceSource):
    """Seeded random: one `random.Random(f"{seed}/{stream}")` per stream."""

    def __init__(self, seed: int, *, record: bool = True) -> None:
        super().__init__(record=record)
        self.seed = seed
        self._streams: dict[str, random.Random] = {}

    def _rng(self, stream: str) -> random.Random:
        rng = self._streams.get(stream)
        if rng is None:
            rng = self._streams[stream] = random.Random(f"{self.seed}/{stream}")
        return rng

    def _draw(self, stream: str, name: str, domain: Domain) -> Value:
        return _from_unit(self._rng(stream).random(), domain)

    def uniform(self, stream: str, name: str, lo: float, hi: float) -> float:
        """`ChoiceSource.uniform` without building the Domain: the same draw, value and tape entry.

        Every duration of a run is a uniform draw; a subclass that overrides `_draw` gets the general path."""
        if hi <= lo:
            return lo
        if type(self)._draw is not SeededChoiceSource._draw:
            return super().uniform(stream, name, lo, hi)
        rng = self._streams.get(stream) or self._rng(stream)
        value = lo + (hi - lo) * rng.random()  # `_from_unit` of a float domain
        if self._record:
            self.tape.append(new_choice(stream, name, value))
        return float(value)


class RecordedChoiceSource(ChoiceSource):
    """Replays a tape, stream by stream, in order.

    Strict: any mismatch (a different name, a value outside the domain, a tape that runs out) raises
    TapeDivergence. Lenient: the mismatching draw and every later draw of that stream come from
    `fallback` instead, and `diverged` lists the streams that diverged.
    """

    def __init__(self, tape: Sequence[Choice], *, strict: bool = True, fallback: ChoiceSource | None = None,
                 record: bool = True) -> None:
        super().__init__(record=record)
        self._queues: dict[str, deque[Choice]] = {}
        for c in tape:
            self._queues.setdefault(c.stream, deque()).append(c)
        self.strict = strict
        self.fallback = fallback or SeededChoiceSource(0, record=False)
        self.diverged: list[str] = []

    def _draw(self, stream: str, name: str, domain: Domain) -> Value:
        if stream not in self.diverged:
            queue = self._queues.get(stream)
            nxt = queue[0] if queue else None
            if nxt is not None and nxt.name == name and domain.contains(nxt.value):
                assert queue is not None
                queue.popleft()
                return nxt.value
            if self.strict:
                found = f"the tape has {nxt.name}={nxt.value!r}" if nxt else "the tape has no more choices"
                raise TapeDivergence(
                    f"the run asks for choice {stream}/{name} in {domain}, but {found}",
                    rule="a strict replay re-executes exactly the recorded choices",
                    fix="re-run with the same controller and simulator version, or replay leniently",
                )
            self.diverged.append(stream)
        return self.fallback._draw(stream, name, domain)

    def remaining(self) -> int:
        return sum(len(q) for q in self._queues.values())


class HypothesisChoiceSource(ChoiceSource):
    """Draws every choice from Hypothesis' `st.data()`, so a failing run shrinks towards small values.

    Booleans shrink to False and numbers towards the lower bound: give faults the value True and
    durations their shortest value at the lower bound, and a shrunk run has the fewest faults.
    """

    def __init__(self, data: Any, *, record: bool = True) -> None:
        super().__init__(record=record)
        from hypothesis import strategies as st  # imported lazily: only test and fuzz runs need it

        self._data = data
        self._st = st

    def _draw(self, stream: str, name: str, domain: Domain) -> Value:
        st = self._st
        label = f"{stream}/{name}"
        if domain.kind == "bool":
            return bool(self._data.draw(st.booleans(), label=label))
        if domain.kind == "int":
            return int(self._data.draw(st.integers(int(domain.lo), int(domain.hi)), label=label))
        return float(self._data.draw(st.floats(domain.lo, domain.hi, allow_nan=False, allow_infinity=False),
                                     label=label))

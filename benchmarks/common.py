"""What every benchmark shares: repeated timing, engine-event counting, the bare simpy loop, figures and reports.

The engine's limit is a bare simpy program that performs the same number of engine events with no logic:
one process (or many) yielding timeouts. Every benchmark measures it in the same process run as the
simulator, so the ratio printed next to each figure compares like with like on a shared machine.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO, TypeVar

import simpy

T = TypeVar("T")


@dataclass(frozen=True)
class Samples:
    """Several measurements of one quantity: the median and the min–max spread are what is printed."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return float(statistics.median(self.values))

    @property
    def lo(self) -> float:
        return min(self.values)

    @property
    def hi(self) -> float:
        return max(self.values)

    def rate(self, count: float) -> Samples:
        """`count` per second for each measured duration (so the spread flips: the fastest run is `hi`)."""
        return Samples(tuple(count / v for v in self.values if v > 0) or (0.0,))


def timed(fn: Callable[[], T], repeats: int) -> tuple[Samples, T]:
    """Run `fn` `repeats` times; the wall seconds of each run and the last result."""
    assert repeats >= 1, "a measurement needs at least one run"
    durations: list[float] = []
    result: T | None = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        durations.append(time.perf_counter() - start)
    assert result is not None or repeats > 0
    return Samples(tuple(durations)), result  # type: ignore[return-value]


# -- engine events -------------------------------------------------------------------------------
@contextmanager
def counting_engine_events() -> Iterator[list[int]]:
    """Count every `simpy.Environment.step` while the block runs (the yielded list's only item).

    Used for a separate counting pass only: the wrapper costs time, so timed runs never use it. Runs are
    deterministic, so the counting pass performs exactly the engine events of a timed pass.
    """
    counter = [0]
    original = simpy.Environment.step

    def step(self: simpy.Environment) -> None:
        counter[0] += 1
        original(self)

    simpy.Environment.step = step  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        simpy.Environment.step = original  # type: ignore[method-assign]


def bare_simpy(n_events: int, processes: int = 1) -> tuple[float, int]:
    """A simpy program with no logic: `processes` processes yielding timeouts, about `n_events` engine events
    in all. Returns (wall seconds, engine events actually performed)."""
    env = simpy.Environment()
    per = max(1, n_events // max(1, processes) - 2)  # each process also has its start and its end event

    def proc() -> Generator[simpy.Event, Any, None]:
        timeout = env.timeout
        for _ in range(per):
            yield timeout(1.0)

    for _ in range(processes):
        env.process(proc())
    start = time.perf_counter()
    env.run()
    return time.perf_counter() - start, processes * (per + 2)


def bare_rate(n_events: int, processes: int = 1, repeats: int = 3) -> Samples:
    """Engine events per second of the bare loop (median of `repeats`)."""
    rates = []
    for _ in range(repeats):
        seconds, done = bare_simpy(n_events, processes)
        rates.append(done / seconds)
    return Samples(tuple(rates))


# -- memory --------------------------------------------------------------------------------------
def peak_rss_bytes() -> int:
    """This process's peak resident set size so far (Linux reports KiB)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def current_rss_bytes() -> int:
    """This process's resident set size now (from /proc; 0 where that is not available)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[1])
    except OSError:
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def run_child(module: str, args: dict[str, Any]) -> dict[str, Any]:
    """Run `python -m module --child JSON` in a fresh process (so its peak RSS is its own); its last stdout line
    is a JSON object, returned here."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # where `benchmarks` is importable
    proc = subprocess.run([sys.executable, "-m", module, "--child", json.dumps(args)], capture_output=True,
                          text=True, check=False, cwd=root)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child {module} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    result: dict[str, Any] = json.loads(lines[-1])
    return result


# -- figures -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """A figure the issue asks for: the text of the goal and whether the measured value meets it."""

    text: str
    met: bool

    def describe(self) -> str:
        return f"target {self.text}: {'met' if self.met else 'NOT met'}"


@dataclass(frozen=True)
class Figure:
    """One printed line: a name, a value with its unit, optionally a spread and a target."""

    name: str
    value: float
    unit: str
    spread: tuple[float, float] | None = None
    target: Target | None = None
    digits: int = 0

    def describe(self) -> str:
        text = f"{self.name}: {_num(self.value, self.digits)} {self.unit}".rstrip()
        if self.spread is not None:
            text += f" (min–max {_num(self.spread[0], self.digits)}–{_num(self.spread[1], self.digits)})"
        if self.target is not None:
            text += f"  [{self.target.describe()}]"
        return text

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "value": self.value, "unit": self.unit}
        if self.spread is not None:
            d["min"], d["max"] = self.spread
        if self.target is not None:
            d["target"], d["met"] = self.target.text, self.target.met
        return d


def _num(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"


def figure(name: str, samples: Samples, unit: str, *, target: Target | None = None, digits: int = 0) -> Figure:
    """A figure from several samples: the median with the min–max spread."""
    return Figure(name, samples.median, unit, (samples.lo, samples.hi), target, digits)


@dataclass
class Report:
    """What one benchmark prints: a title, its figures, and notes (how it was run, what was left out)."""

    name: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, fig: Figure) -> Figure:
        self.figures.append(fig)
        return fig

    def write(self, out: TextIO) -> None:
        out.write(f"== {self.name}: {self.title}\n")
        for fig in self.figures:
            out.write(f"  {fig.describe()}\n")
        for note in self.notes:
            out.write(f"  note: {note}\n")
        out.flush()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "figures": [f.to_dict() for f in self.figures],
                "notes": list(self.notes)}


@dataclass(frozen=True)
class Settings:
    """How hard every benchmark works: `quick` shrinks each to a few seconds (CI smoke), `repeats` runs per figure."""

    quick: bool = False
    repeats: int = 5

    @property
    def effective_repeats(self) -> int:
        return 1 if self.quick else self.repeats


def ratio_figure(name: str, sim_seconds: Samples, engine_events: int, bare: Samples, max_ratio: float | None,
                 what: str = "the bare engine") -> Figure:
    """Simulator wall time over the bare loop's time for the same number of engine events (lower is better)."""
    bare_seconds = engine_events / bare.median if bare.median > 0 else float("inf")
    ratios = Samples(tuple(s / bare_seconds for s in sim_seconds.values))
    target = None if max_ratio is None else Target(f"within {max_ratio:g}x of {what}",
                                                    ratios.median <= max_ratio)
    return figure(name, ratios, "x the bare engine", target=target, digits=1)


def mean(values: Sequence[float]) -> float:
    return float(statistics.fmean(values)) if values else 0.0

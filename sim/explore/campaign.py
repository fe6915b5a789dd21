"""Campaigns: many runs of a plan within a budget of runs or wall seconds, on one or more processes, then grouping
and shrinking of what was found.

Wall time is read here and only here (`wall_clock`): it bounds a campaign and is reported, but no run ever
sees it, so every run — and so every group with a ``--runs`` budget — is reproducible. Workers of a process
pool each run whole run indices; results are merged by index. ``--shard K/N`` keeps the indices ``i`` with
``i % N == K - 1``, so N machines with the same plan split one campaign without overlap. Ctrl-C stops the
search (and the shrinking) where it is; what was found so far is still grouped, printed and saved.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import multiprocessing
import signal
import time  # determinism: ok — campaign budget, never part of a run
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult
from typing import TextIO

from sim.checks.coverage import Coverage
from sim.explore.execute import RunSpec
from sim.explore.groups import Collector, Group
from sim.explore.hypo import hypothesis_search
from sim.explore.plan import CRASH, CampaignPlan, RunRecord, run_one
from sim.explore.shrink import ShrinkBudget, ShrinkResult, shrink
from sim.explore.signature import Hit
from sim.kernel.errors import SimError

__all__ = ["Budget", "CampaignResult", "Progress", "Shard", "run_campaign", "shard_indices", "wall_clock"]

DEFAULT_RUNS = 100
IN_FLIGHT_PER_WORKER = 4  # runs queued per worker process, so none waits for the parent
MIN_SHRINK_SHARE_S = 0.5  # below this a shrink is hardly more than its first reproduction
Clock = Callable[[], float]


def wall_clock() -> float:
    """Seconds on a monotonic wall clock: campaign budgets and rates only."""
    return time.monotonic()  # determinism: ok — campaign budget, never part of a run


@dataclass(frozen=True)
class Budget:
    """How long a campaign searches: a number of runs, or wall seconds (exactly one; default 100 runs)."""

    runs: int | None = None
    seconds: float | None = None

    def __post_init__(self) -> None:
        if self.runs is not None and self.seconds is not None:
            raise SimError("both --runs and --seconds", where="fuzz", rule="a campaign is bounded by runs or by time",
                           fix="drop one of them")
        if self.runs is not None and self.runs < 1:
            raise SimError(f"--runs {self.runs}", where="fuzz", rule="at least one run", fix="use --runs 100")
        if self.seconds is not None and not self.seconds > 0:
            raise SimError(f"--seconds {self.seconds}", where="fuzz", rule="a time budget is > 0 seconds",
                           fix="use --seconds 60")

    @property
    def max_runs(self) -> int | None:
        return self.runs if self.runs is not None or self.seconds is not None else DEFAULT_RUNS

    def describe(self) -> str:
        return f"{self.seconds:g} s" if self.seconds is not None else f"{self.max_runs} runs"


@dataclass(frozen=True)
class Shard:
    """Shard K of N: this process runs the indices i with i % N == K - 1."""

    k: int = 1
    n: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.k <= self.n:
            raise SimError(f"--shard {self.k}/{self.n}", where="--shard", rule="K/N with 1 <= K <= N",
                           fix="e.g. --shard 1/4 on the first of four machines")

    @classmethod
    def parse(cls, text: str) -> Shard:
        k, slash, n = text.partition("/")
        if not slash or not k.strip().isdigit() or not n.strip().isdigit():
            raise SimError(f"--shard {text!r}", where="--shard", rule="the shard is K/N, two whole numbers",
                           fix="e.g. --shard 2/4")
        return cls(int(k), int(n))

    def owns(self, index: int) -> bool:
        return index % self.n == self.k - 1


def shard_indices(shard: Shard, runs: int | None) -> Iterator[int]:
    """The run indices of the shard: of range(runs), or endless for a time budget."""
    indices: Iterator[int] = iter(range(runs)) if runs is not None else itertools.count()
    return (i for i in indices if shard.owns(i))


class Progress:
    """A one-line progress bar on a text stream (carriage return, no dependency), redrawn at most 10 times a second."""

    def __init__(self, stream: TextIO | None, budget: Budget, clock: Clock, total: int | None) -> None:
        self.stream, self.budget, self.clock, self.total = stream, budget, clock, total
        self.started = clock()
        self._drawn = -1.0
        self._open = False  # a line is drawn and not yet ended

    def update(self, runs: int, groups: int) -> None:
        now = self.clock()
        if self.stream is None or now - self._drawn < 0.1:
            return
        self._drawn = now
        elapsed = max(now - self.started, 1e-9)
        if self.budget.seconds is not None:
            frac, what = min(1.0, elapsed / self.budget.seconds), f"{elapsed:5.1f}/{self.budget.seconds:g} s"
        else:
            frac, what = min(1.0, runs / max(1, self.total or 1)), f"{runs}/{self.total}"
        bar = "#" * int(frac * 24) + "." * (24 - int(frac * 24))
        self.stream.write(f"\r[{bar}] {what}  {runs} runs  {runs / elapsed:6.1f} runs/s  {groups} groups ")
        self.stream.flush()
        self._open = True

    def note(self, text: str) -> None:
        if self.stream is not None:
            self.stream.write(f"\r{text[:110]:<110}")
            self.stream.flush()
            self._open = True

    def done(self) -> None:
        if self.stream is not None and self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False


@dataclass
class CampaignResult:
    """What a campaign ran and found."""

    plan: CampaignPlan
    budget: Budget
    shard: Shard
    runs: int
    events: int
    groups: list[Group]
    coverage: Coverage
    search_s: float  # wall seconds searching (the runs/s figure)
    shrink_s: float  # wall seconds shrinking
    interrupted: bool
    unmet_runs: int  # runs of a scenario whose final-state expectations were not met
    shrinks: dict[str, ShrinkResult] = field(default_factory=dict)  # signature → its minimal reproduction
    indices: list[int] = field(default_factory=list)  # the run indices made, sorted

    @property
    def runs_per_s(self) -> float:
        return self.runs / self.search_s if self.search_s > 0 else 0.0

    @property
    def unexpected(self) -> list[Group]:
        return [g for g in self.groups if g.status == "unexpected"]

    @property
    def environment(self) -> list[Group]:
        """Groups caused by an EDA delivery fault (duplicated or lost), not by the controller."""
        return [g for g in self.groups if g.status == "environment"]

    @property
    def exit_code(self) -> int:
        """0: nothing unexpected found (environment groups included); 1: a violation (or a simulator error)
        nobody expected."""
        return 1 if self.unexpected else 0


# -- the search ---------------------------------------------------------------------------------------
def run_campaign(plan: CampaignPlan, budget: Budget | None = None, *, workers: int = 1, shard: Shard | None = None,
                 progress: TextIO | None = None, shrink_budget: ShrinkBudget | None = None,
                 clock: Clock = wall_clock) -> CampaignResult:
    """Search, group, and (with a shrink budget) shrink each group's first failing run."""
    budget, shard = budget or Budget(), shard or Shard()
    _check(plan, workers, shard)
    bar = Progress(progress, budget, clock, _total(budget, shard))
    collector = Collector(clock, on_add=lambda c: bar.update(c.runs, len(c.found_at)))
    started = clock()
    deadline = (started + budget.seconds) if budget.seconds is not None else None

    def out_of_time() -> bool:
        return deadline is not None and clock() >= deadline

    interrupted = False
    try:
        _search(plan, budget, shard, workers, collector, out_of_time,
                0 if shrink_budget is None else shrink_budget.max_runs)
    except KeyboardInterrupt:
        interrupted = True
    bar.done()
    search_s = clock() - started
    result = CampaignResult(plan, budget, shard, collector.runs, collector.events(), collector.groups(),
                            collector.coverage, search_s, 0.0, interrupted, collector.unmet_runs(),
                            indices=sorted(collector.records))
    if shrink_budget is not None and not interrupted:
        t0 = clock()
        result.interrupted = _shrink_groups(result, plan, shrink_budget, workers, bar, clock)
        result.shrink_s = clock() - t0
    return result


def _check(plan: CampaignPlan, workers: int, shard: Shard) -> None:
    if workers < 1:
        raise SimError(f"--workers {workers}", where="fuzz", rule="at least one worker process", fix="use --workers 1")
    if plan.strategy == "hypothesis" and (workers > 1 or shard.n > 1):
        raise SimError("--strategy hypothesis with --workers or --shard", where="fuzz",
                       rule="a Hypothesis search is one sequential process (it decides each example from the last)",
                       fix="run several searches with different --seed values instead")


def _total(budget: Budget, shard: Shard) -> int | None:
    runs = budget.max_runs
    return None if runs is None else len(range(shard.k - 1, runs, shard.n))


def _search(plan: CampaignPlan, budget: Budget, shard: Shard, workers: int, collector: Collector,
            out_of_time: Callable[[], bool], hypothesis_shrink_runs: int) -> None:
    if plan.strategy == "hypothesis":
        hypothesis_search(plan, collector, max_runs=budget.max_runs, stop=out_of_time,
                          shrink_runs=hypothesis_shrink_runs)
        return
    indices = shard_indices(shard, budget.max_runs)
    if workers == 1:
        for index in indices:
            collector.add(run_one(plan, index))
            if out_of_time():
                break
        return
    with multiprocessing.Pool(workers, initializer=_init_worker, initargs=(plan,)) as pool:
        # A sliding window of runs in flight, taken back in index order: a worker that finishes a run finds
        # the next one queued (no barrier waiting for a batch's slowest run), and the results still reach the
        # collector in the order one worker would give them. Out of time: nothing new is sent, and the runs
        # already in flight are collected.
        window: collections.deque[AsyncResult[RunRecord]] = collections.deque(
            pool.apply_async(_work, (index,)) for index in itertools.islice(indices, workers * IN_FLIGHT_PER_WORKER))
        while window:
            collector.add(window.popleft().get())
            if not out_of_time():
                window.extend(pool.apply_async(_work, (index,)) for index in itertools.islice(indices, 1))


_PLAN: CampaignPlan | None = None


def _init_worker(plan: CampaignPlan) -> None:
    """Pool initializer: remember the plan; leave Ctrl-C to the parent, which stops the pool."""
    global _PLAN
    _PLAN = plan
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _work(index: int) -> RunRecord:
    assert _PLAN is not None, "the worker was started without a plan"
    return run_one(_PLAN, index)


# -- shrinking ----------------------------------------------------------------------------------------
def fair_share(budget: ShrinkBudget, groups: int, workers: int) -> ShrinkBudget:
    """Each group's budget when `groups` share the campaign's total shrink time on `workers` processes: the
    total divided among them (at least MIN_SHRINK_SHARE_S, at most the per-group budget), so no group is
    left as first found because the first few took it all."""
    if budget.total_seconds is None or groups == 0:
        return budget
    share = budget.total_seconds * max(1, workers) / groups
    return dataclasses.replace(budget, max_seconds=min(budget.max_seconds, max(share, MIN_SHRINK_SHARE_S)))


def _shrink_job(job: tuple[RunSpec, str, ShrinkBudget]) -> ShrinkResult:
    spec, signature, budget = job
    res = shrink(spec, signature, budget=budget, clock=wall_clock)
    return dataclasses.replace(res, result=None)  # the events stay here; the writer re-runs the minimum


def _shrink_groups(result: CampaignResult, plan: CampaignPlan, budget: ShrinkBudget, workers: int,
                   bar: Progress, clock: Clock) -> bool:
    """Shrink each group's first run, most frequent groups first, each within its fair share of the total
    shrink time (at most its own budget), until the total is spent.

    Returns True if Ctrl-C cut it short."""
    todo = sorted((g for g in result.groups if g.property != CRASH), key=lambda g: (-g.count, g.first_index))
    budget = fair_share(budget, len(todo), workers)
    jobs = [(g.spec or plan.spec_for(g.first_index), g.signature, budget) for g in todo]
    deadline = None if budget.total_seconds is None else clock() + budget.total_seconds
    try:
        if workers > 1 and len(jobs) > 1:
            with multiprocessing.Pool(workers, initializer=_init_worker, initargs=(plan,)) as pool:
                for i, (g, res) in enumerate(zip(todo, pool.imap(_shrink_job, jobs), strict=False)):
                    bar.note(f"shrunk {i + 1}/{len(jobs)} groups")
                    _keep(result, g, res)
                    if deadline is not None and clock() >= deadline:
                        break
        else:
            for i, (g, job) in enumerate(zip(todo, jobs, strict=True)):
                if deadline is not None and clock() >= deadline:
                    break
                bar.note(f"shrinking group {i + 1}/{len(jobs)}: {g.signature[:70]}")
                _keep(result, g, _shrink_job(job))
    except KeyboardInterrupt:
        bar.done()
        return True
    finally:
        for g in todo:
            if g.signature not in result.shrinks:
                g.notes.append("not shrunk: the campaign's shrinking time ran out (saved as first found)")
    bar.done()
    return False


def _keep(result: CampaignResult, group: Group, res: ShrinkResult) -> None:
    result.shrinks[group.signature] = res
    if not res.reproduced:
        group.notes.append("re-executing the first failing run did not show this signature again")
    if group.spec is None and res.original_digest and res.original_digest != group.digest:
        group.notes.append("re-executing the first failing run gave another event-log digest")
        _add_nondeterminism(result, group)


def _add_nondeterminism(result: CampaignResult, group: Group) -> None:
    """A re-execution that differs from its original is a `deterministic` violation of the simulator itself."""
    text = (f"Run {group.first_index} (seed {group.first_seed}, scenario {group.first_scenario}) gave another "
            "event log when executed again with the same seed and controller: the run is not deterministic.")
    hit = Hit(f"deterministic: re-execution of {group.property}", "deterministic", "unexpected", 0.0, "", text)
    result.groups.append(Group(hit.signature, hit.property, "unexpected", 1, group.first_index, group.first_seed,
                               group.first_scenario, 0.0, hit, group.digest))

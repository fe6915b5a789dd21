"""Grouping: the runs of a campaign merged, in run-index order, into one group per violation signature.

Records may arrive out of order (a process pool, a Hypothesis search); `Collector.groups()` sorts by run
index before grouping, so the groups, their counts and their first runs depend only on which runs were
made, never on the order their results came back in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sim.checks.coverage import Coverage
from sim.explore.execute import RunSpec
from sim.explore.plan import RunRecord
from sim.explore.signature import Hit, short_id

__all__ = ["Collector", "Group"]


@dataclass
class Group:
    """Every run that showed one signature: how many, the first of them, and (later) its shrunk reproduction."""

    signature: str
    property: str
    status: str  # unexpected if any run had it unexpectedly, else expected or tolerated
    count: int  # runs that showed it
    first_index: int
    first_seed: int
    first_scenario: str
    first_wall_s: float  # wall seconds into the campaign when it was first seen (never part of a run)
    example: Hit  # the violation as the first run reported it
    digest: str  # the first run's event-log digest (a re-execution must give the same)
    spec: RunSpec | None = None  # the first run, when the strategy cannot rebuild it from the index
    notes: list[str] = field(default_factory=list)
    short: str = ""  # the signature's 8-hex-digit id (derived)

    def __post_init__(self) -> None:
        self.short = short_id(self.signature)


class Collector:
    """Takes run records as they come; keeps coverage, crash and expectation counts, and the groups."""

    def __init__(self, clock: Callable[[], float] = lambda: 0.0,
                 on_add: Callable[[Collector], None] | None = None) -> None:
        self.clock, self.on_add = clock, on_add
        self.started = clock()
        self.records: dict[int, RunRecord] = {}
        self.found_at: dict[str, float] = {}  # signature → wall seconds when first seen
        self.specs: dict[int, RunSpec] = {}  # run index → spec, for runs a plan cannot rebuild
        self.representatives: dict[str, RunSpec] = {}  # signature → a better run to shrink (Hypothesis' minimum)
        self.coverage = Coverage(runs=0)

    def add(self, record: RunRecord, spec: RunSpec | None = None) -> None:
        """Keep a run's record (without its coverage, which is merged at once)."""
        self.coverage.merge(record.coverage)
        self.records[record.index] = RunRecord(record.index, record.seed, record.scenario, record.hits,
                                               record.events, record.digest, Coverage(), record.unmet,
                                               record.crash)
        now = self.clock() - self.started
        if spec is not None and any(h.signature not in self.found_at for h in record.hits):
            self.specs[record.index] = spec  # only first runs of a signature are ever shrunk
        for hit in record.hits:
            self.found_at.setdefault(hit.signature, now)
        if self.on_add is not None:
            self.on_add(self)

    def represent(self, signature: str, spec: RunSpec) -> None:
        """Use `spec` instead of the first run when shrinking this signature's group."""
        self.representatives[signature] = spec

    @property
    def runs(self) -> int:
        return len(self.records)

    @property
    def signatures(self) -> set[str]:
        return set(self.found_at)

    def groups(self) -> list[Group]:
        """One group per signature, ordered by the first run that showed it, then by signature."""
        groups: dict[str, Group] = {}
        for index in sorted(self.records):
            rec = self.records[index]
            for hit in rec.hits:
                g = groups.get(hit.signature)
                if g is None:
                    groups[hit.signature] = Group(hit.signature, hit.property, hit.status, 1, index, rec.seed,
                                                  rec.scenario, self.found_at.get(hit.signature, 0.0), hit,
                                                  rec.digest, self.representatives.get(hit.signature,
                                                                                       self.specs.get(index)))
                else:
                    g.count += 1
                    if hit.status == "unexpected":
                        g.status = "unexpected"
        return sorted(groups.values(), key=lambda g: (g.first_index, g.signature))

    def unmet_runs(self) -> int:
        return sum(1 for r in self.records.values() if r.unmet)

    def events(self) -> int:
        return sum(r.events for r in self.records.values())

"""The Hypothesis strategy: every choice of a run (and of its swarm scenario) drawn from `st.data()`, so Hypothesis
searches the space and shrinks a failing run towards False and lower bounds — fewest faults, shortest waits.

A search proceeds in rounds. In each, a ``@given(st.data())`` function runs the simulation per example; the
first example showing a signature not seen before fixes a *target*, and from then on an example fails
(raises) only if it shows that target, so Hypothesis' shrinker keeps the signature. When Hypothesis is
done it replays its minimal example, whose tape becomes the group's representative; the next round
(another Hypothesis seed) looks for the next new signature. Rounds run until the budget is spent.
Reproducible: no example database, and each round's seed derives from the campaign seed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.explore.execute import RunSpec, execute
from sim.explore.groups import Collector
from sim.explore.plan import CampaignPlan, crash_record, record_of
from sim.explore.sources import simplest
from sim.explore.swarm import generate
from sim.kernel.choice import ChoiceSource, Domain, HypothesisChoiceSource, SeededChoiceSource, Value
from sim.kernel.errors import SimError

__all__ = ["BoundedHypothesisSource", "hypothesis_search", "unwrap_hypothesis_control"]

ROUND_EXAMPLES = 200  # examples per round when the budget is wall time
SHRINK_RUNS = 100  # simulations Hypothesis may spend shrinking one round's target (then the best so far stands)
# Hypothesis holds at most 8 K "units" of choices per example (a float costs about 9, an int 2, a bool 1);
# past this many a run's draws come from a seed Hypothesis chose, so long runs never overrun.
DRAW_BUDGET = 3000
_COST = {"bool": 1, "int": 2, "float": 9}


class BoundedHypothesisSource(ChoiceSource):
    """Draws from Hypothesis until a budget of units is spent, then from a seeded source whose seed Hypothesis drew.

    The early choices of a run (faults, first latencies, tie orders) are Hypothesis' to search and shrink;
    the rest still vary, through the seed. Every draw is on the tape, so a lenient replay reproduces it.
    """

    def __init__(self, data: Any, *, budget: int = DRAW_BUDGET) -> None:
        super().__init__()
        self._data, self.budget, self.spent = data, budget, 0
        self._inner = HypothesisChoiceSource(data, record=False)
        self._rest: SeededChoiceSource | None = None
        self.stopped: BaseException | None = None  # Hypothesis ended the example (out of data) during a draw

    def _draw(self, stream: str, name: str, domain: Domain) -> Value:
        if self.stopped is not None:  # the simulation swallowed the stop: let it finish without data
            return simplest(domain)
        try:
            return self._hypothesis_draw(stream, name, domain)
        except BaseException as exc:
            if unwrap_hypothesis_control(exc) is not None:
                self.stopped = exc
            raise

    def _hypothesis_draw(self, stream: str, name: str, domain: Domain) -> Value:
        cost = _COST[domain.kind]
        if self.spent + cost <= self.budget:
            self.spent += cost
            return self._inner._draw(stream, name, domain)
        if self._rest is None:
            from hypothesis import strategies as st

            self._rest = SeededChoiceSource(int(self._data.draw(st.integers(0, 2**31 - 1), label="rest/seed")),
                                            record=False)
        return self._rest._draw(stream, name, domain)


def unwrap_hypothesis_control(exc: BaseException) -> BaseException | None:
    """The Hypothesis control exception (StopTest) behind `exc`, if any.

    simpy re-raises a process's exception as a new instance of its type built from its args (the original
    becomes its `__cause__`); Hypothesis needs its own instance back to end an example that ran out of data.
    """
    from hypothesis.errors import StopTest

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, StopTest) and not isinstance(getattr(seen, "testcounter", None), str):
            return seen
        seen = seen.__cause__
    return None


class _Found(Exception):
    """Raised inside the Hypothesis test when an example shows the round's target signature."""


@dataclass
class _Round:
    """The state of one round: its target signature and the latest example that showed it."""

    known: frozenset[str]  # signatures the campaign had seen when the round began
    target: str | None = None
    last: RunSpec | None = None  # the latest example that showed the target: Hypothesis' best so far
    shrink_runs: int = 0  # simulations run since the target was fixed


def hypothesis_search(plan: CampaignPlan, sink: Collector, *, max_runs: int | None, stop: Callable[[], bool],
                      shrink_runs: int = SHRINK_RUNS) -> None:
    """Run Hypothesis rounds over the plan, adding every example's record to `sink`, until the budget is spent.

    `max_runs` bounds the examples generated; each round's shrinking may run `shrink_runs` more simulations
    (0: Hypothesis does not shrink, each round ends at its first new signature).
    """
    from hypothesis.errors import Flaky

    round_no = 0
    while not stop() and (max_runs is None or sink.runs < max_runs):
        left = ROUND_EXAMPLES if max_runs is None else max_runs - sink.runs
        state = _Round(frozenset(sink.signatures))
        test = _round_test(plan, sink, state, max_runs, stop, examples=max(1, left), seed=plan.seed * 1009 + round_no,
                           shrink_runs=shrink_runs)
        round_no += 1
        try:
            test()
        except (_Found, Flaky) as exc:
            # Flaky after the shrink budget ran out: Hypothesis' final replay passed without running; the
            # best example is still the last one that failed (the shrinker only tries smaller ones).
            budget_spent = state.shrink_runs >= shrink_runs or stop()
            if isinstance(exc, Flaky) and not budget_spent:
                raise AssertionError(f"one Hypothesis example gave two outcomes: the simulator is not "
                                     f"deterministic ({exc})") from exc
            if state.target is not None and state.last is not None:
                sink.represent(state.target, state.last)


def _round_test(plan: CampaignPlan, sink: Collector, state: _Round, max_runs: int | None,
                stop: Callable[[], bool], *, examples: int, seed: int, shrink_runs: int) -> Callable[[], None]:
    """The Hypothesis test of one round: reproducible (its own seed, no database), quiet, shrinking on."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st

    @settings(max_examples=examples, database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet, report_multiple_bugs=False,
              phases=(Phase.generate, Phase.shrink) if shrink_runs else (Phase.generate,), print_blob=False)
    @hypothesis_seed(seed)
    @given(data=st.data())
    def example(data: Any) -> None:
        if state.target is None and (stop() or (max_runs is not None and sink.runs >= max_runs)):
            return  # the search budget is spent: every remaining example passes at once
        if state.target is not None and (stop() or state.shrink_runs >= shrink_runs):
            return  # the shrink budget is spent: no candidate is smaller any more
        if state.target is not None:
            state.shrink_runs += 1  # every simulation counts, also one Hypothesis stops for lack of data
        _example(plan, sink, state, data)

    test: Callable[[], None] = example
    return test


def _example(plan: CampaignPlan, sink: Collector, state: _Round, data: Any) -> None:
    """One Hypothesis example: draw the scenario (for a family) and every choice of the run."""
    index = sink.runs
    scenario = plan.scenario
    if scenario is None:
        scenario = generate(plan.seed + index, plan.family, choices=HypothesisChoiceSource(data, record=False))
    spec = RunSpec(scenario, plan.seed, plan.controller, plan.ordering, plan.pct_depth)
    source = BoundedHypothesisSource(data)
    try:
        result = execute(spec, choices=source)
    except SimError:
        raise
    except BaseException as exc:
        control = source.stopped or unwrap_hypothesis_control(exc)
        if control is not None:
            raise control from None  # an example that ran out of data: Hypothesis discards it
        if not isinstance(exc, Exception):
            raise
        sink.add(crash_record(index, spec, exc), spec)  # a simulator crash is a finding of its own
        return
    if source.stopped is not None:
        raise source.stopped from None
    taped = dataclasses.replace(spec, tape=tuple(result.choices))
    record = record_of(index, taped, result)
    sink.add(record, taped)
    signatures = {h.signature for h in record.hits}
    if state.target is None:
        new = sorted(signatures - state.known)
        if new:
            state.target = new[0]
    if state.target is not None and state.target in signatures:
        state.last = taped
        raise _Found(state.target)

"""Shrinking: reduce a failing run to a minimal reproduction that still shows the same violation signature.

Passes, each keeping a candidate only if the signature still appears, within a budget of runs and seconds:

1. fewest instances (an instance goes with its actions and the expectations that name it);
2. fewest actions (delta debugging, Zeller & Hildebrandt 2002, over the timeline);
3. fewest faults (each non-zero fault rate set to 0, the automatic purge switched off);
4. earliest heal and shortest horizon (safety properties only shorten the horizon; a liveness property
   keeps its healing window, or "not finished yet" would pass for the bug);
5. seed-reproducible: plain FIFO ordering and no tape, with the run's seed or a few after it, so the
   scenario file alone reproduces the violation with ``python -m sim scenario PATH --seed N``;
6. smallest choice sequence: the executed tape replayed through a lenient `RecordedChoiceSource` whose
   draws past the tape are at their simplest (False, the lower bound), truncated as far as possible, then
   blocks of its values set to their simplest too. The saved log carries the whole executed tape, so
   ``python -m sim replay --rerun`` re-executes the minimum exactly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sim.backends.config import FAULT_RATES
from sim.checks.base import kind_of
from sim.explore.execute import RunSpec, execute, fallback_for
from sim.explore.scenario_toml import reparse
from sim.explore.signature import Hit, hits_of
from sim.explore.sources import simplest
from sim.kernel.choice import Choice, Domain, RecordedChoiceSource, Value
from sim.kernel.errors import SimError
from sim.runner import RunResult
from sim.scenarios.schema import Expectation, Scenario

__all__ = ["ShrinkBudget", "ShrinkResult", "ddmin", "shrink"]

T = TypeVar("T")
Clock = Callable[[], float]
SEED_TRIES = 8  # seeds tried after the run's own when the violation needed a tape or an ordering


@dataclass(frozen=True)
class ShrinkBudget:
    """How much shrinking one group may cost."""

    max_runs: int = 200  # executions, the first reproduction included
    max_seconds: float = 30.0  # wall time, measured by the campaign's clock
    total_seconds: float | None = None  # a campaign stops shrinking further groups after this (None: no cap)


@dataclass
class ShrinkResult:
    """The minimal reproduction found, how it was reached, and whether the scenario file alone reproduces it."""

    signature: str
    original: RunSpec
    spec: RunSpec  # the smallest reproduction (it may carry a tape)
    seed_spec: RunSpec | None  # the smallest reproduction without tape or ordering (scenario + seed), if found
    result: RunResult | None  # the run of `spec` (None if the original did not reproduce, or dropped to ship)
    hit: Hit | None = None  # the violation as the final run shows it
    original_digest: str = ""
    runs: int = 0
    steps: list[str] = field(default_factory=list)
    exhausted: bool = False  # the budget ran out before every pass finished
    reproduced: bool = False  # the original run showed the signature again


class _Tracing(RecordedChoiceSource):
    """A lenient replay that also notes the domain of every draw (aligned with `tape`)."""

    def __init__(self, spec: RunSpec) -> None:
        super().__init__(spec.tape or (), strict=False, fallback=fallback_for(spec))
        self.domains: list[Domain] = []

    def _draw(self, stream: str, name: str, domain: Domain) -> Value:
        self.domains.append(domain)
        return super()._draw(stream, name, domain)


class _Shrinker:
    """Runs candidates against the budget and says whether each still shows the signature."""

    def __init__(self, signature: str, budget: ShrinkBudget, clock: Clock) -> None:
        self.signature, self.budget, self.clock = signature, budget, clock
        self.started = clock()
        self.runs = 0
        self.steps: list[str] = []
        self.last: RunResult | None = None
        self.domains: list[Domain] = []

    def out(self) -> bool:
        return self.runs >= self.budget.max_runs or self.clock() - self.started >= self.budget.max_seconds

    def check(self, spec: RunSpec, *, force: bool = False) -> bool:
        """Run `spec` (unless the budget is spent and not `force`); True, remembering the run, if it fails."""
        if self.out() and not force:
            return False
        self.runs += 1
        source = _Tracing(spec) if spec.tape is not None else None
        result = execute(spec, choices=source)
        keys = {h.signature for h in hits_of(result.violations, result.events)}
        if self.signature not in keys:
            return False
        self.last = result
        if source is not None:
            self.domains = source.domains
        return True

    def accept(self, spec: RunSpec | None, step: str) -> RunSpec | None:
        """`spec` if it still fails (noting the step), else None."""
        if spec is not None and self.check(spec):
            self.steps.append(step)
            return spec
        return None


def shrink(spec: RunSpec, signature: str, *, budget: ShrinkBudget | None = None,
           clock: Clock | None = None) -> ShrinkResult:
    """Reduce `spec` to a minimal run that still shows `signature` (a `Signature.key`)."""
    s = _Shrinker(signature, budget or ShrinkBudget(), clock or (lambda: 0.0))
    if not s.check(spec):
        return ShrinkResult(signature, spec, spec, None, None, runs=s.runs)
    digest = s.last.digest if s.last is not None else ""
    current = spec
    for _ in range(3):
        before = current.scenario.source
        current = _drop_instances(s, current)
        current = _drop_actions(s, current)
        current = _zero_faults(s, current)
        if current.scenario.source == before or s.out():
            break
    current = _shorten(s, current)
    seed_spec = _seed_reproducible(s, current)
    final = _simplify_tape(s, seed_spec or current)
    if not s.check(final, force=True):  # the run that the saved log and stub will show
        final = seed_spec or current
        s.check(final, force=True)
    hit = _hit(s.last, signature) if s.last is not None else None
    return ShrinkResult(signature, spec, final, seed_spec, s.last, hit, digest, s.runs, s.steps, s.out(), True)


def _hit(result: RunResult, signature: str) -> Hit | None:
    return next((h for h in hits_of(result.violations, result.events) if h.signature == signature), None)


# -- scenario edits ----------------------------------------------------------------------------------
def _rebuilt(scenario: Scenario, **changes: Any) -> Scenario | None:
    """The scenario with `changes`, validated as a file; None if the edit makes it invalid."""
    try:
        return reparse(dataclasses.replace(scenario, **changes))
    except SimError:
        return None


def _respec(spec: RunSpec, scenario: Scenario | None) -> RunSpec | None:
    return None if scenario is None else spec.with_scenario(scenario)


def _drop_instances(s: _Shrinker, spec: RunSpec) -> RunSpec:
    for name in [i.name for i in reversed(spec.scenario.instances)]:
        if len(spec.scenario.instances) <= 1 or s.out():
            break
        sc = spec.scenario
        candidate = _rebuilt(sc, instances=tuple(i for i in sc.instances if i.name != name),
                             actions=tuple(a for a in sc.actions if a.instance != name),
                             expect={k: _forget(e, name) for k, e in sc.expect.items()})
        spec = s.accept(_respec(spec, candidate), f"removed instance {name}") or spec
    return spec


def _forget(e: Expectation, name: str) -> Expectation:
    """The expectation without the facts about instance `name`."""
    def drop(d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if k != name}

    return dataclasses.replace(e, final=drop(e.final), provision_jobs=drop(e.provision_jobs),
                               deprovision_jobs=drop(e.deprovision_jobs), recorded_jobs=drop(e.recorded_jobs))


def ddmin(items: Sequence[T], test: Callable[[Sequence[T]], bool]) -> list[T]:
    """Delta debugging: a 1-minimal subsequence of `items` for which `test` holds (test(items) assumed true)."""
    current = list(items)
    if current and test([]):
        return []
    n = 2
    while len(current) >= 2:
        size = -(-len(current) // n)
        for start in range(0, len(current), size):
            complement = current[:start] + current[start + size:]
            if test(complement):
                current, n = complement, max(n - 1, 2)
                break
        else:
            if n >= len(current):
                break
            n = min(len(current), n * 2)
    return current


def _drop_actions(s: _Shrinker, spec: RunSpec) -> RunSpec:
    best = spec
    total = len(spec.scenario.actions)

    def test(actions: Sequence[Any]) -> bool:
        nonlocal best
        candidate = _respec(spec, _rebuilt(spec.scenario, actions=tuple(actions)))
        if candidate is not None and s.check(candidate):
            best = candidate
            return True
        return False

    if total:
        kept = ddmin(spec.scenario.actions, test)
        if len(kept) < total:
            s.steps.append(f"removed {total - len(kept)} of {total} actions")
    return best


def _fault_fields(scenario: Scenario) -> list[tuple[str, str]]:
    """(part, field) of every fault rate that is not zero."""
    w = scenario.world
    api = [("api", f.name) for f in dataclasses.fields(w.api) if f.name.endswith("_rate")]
    backends = [("backends", name) for name in FAULT_RATES]
    return [(part, name) for part, name in (*api, *backends) if getattr(getattr(w, part), name)]


def _zero_faults(s: _Shrinker, spec: RunSpec) -> RunSpec:
    for part, name in _fault_fields(spec.scenario):
        if s.out():
            break
        w = spec.scenario.world
        record = dataclasses.replace(getattr(w, part), **{name: 0.0})
        candidate = _rebuilt(spec.scenario, world=dataclasses.replace(w, **{part: record}))
        spec = s.accept(_respec(spec, candidate), f"set {part}.{name} to 0") or spec
    b = spec.scenario.world.backends
    if b.aap_purge_age_s is not None and not s.out():
        world = dataclasses.replace(spec.scenario.world, backends=dataclasses.replace(b, aap_purge_age_s=None))
        spec = s.accept(_respec(spec, _rebuilt(spec.scenario, world=world)), "switched the automatic purge off") \
            or spec
    return spec


def _is_liveness(signature: str) -> bool:
    return kind_of(signature.partition(": ")[0]) == "liveness"


def _shorten(s: _Shrinker, spec: RunSpec) -> RunSpec:
    """Heal as early as the timeline allows, then the shortest horizon that still shows the violation."""
    sc = spec.scenario
    window = sc.horizon_s - sc.heal_at_s
    earliest = max([0.0, *(a.ends_at_s for a in sc.actions), *(i.create_at_s for i in sc.instances)])
    if sc.heal_at_s > earliest:
        liveness = _is_liveness(s.signature)
        horizon = earliest + window if liveness else sc.horizon_s
        healed = _respec(spec, _rebuilt(sc, heal_at_s=earliest, horizon_s=horizon))
        spec = s.accept(healed, f"healed at {earliest:g} s") or spec
    if _is_liveness(s.signature):
        return spec
    lo, hi = int(spec.scenario.heal_at_s) + 1, int(spec.scenario.horizon_s)
    best = spec
    while lo < hi and not s.out():
        mid = (lo + hi) // 2
        shorter = _respec(spec, _rebuilt(spec.scenario, horizon_s=float(mid)))
        if shorter is not None and s.check(shorter):
            best, hi = shorter, mid
        else:
            lo = mid + 1
    if best is not spec:
        s.steps.append(f"horizon {spec.scenario.horizon_s:g} s → {best.scenario.horizon_s:g} s")
    return best


def _seed_reproducible(s: _Shrinker, spec: RunSpec) -> RunSpec | None:
    """The spec without tape and ordering, with its seed or one of the next few, if that still fails."""
    if spec.tape is None and spec.ordering == "fifo":
        return spec
    for seed in range(spec.seed, spec.seed + SEED_TRIES):
        plain = dataclasses.replace(spec, tape=None, ordering="fifo", seed=seed)
        if s.accept(plain, f"reproduced by seed {seed} alone (FIFO ordering, no tape)") is not None:
            return plain
        if s.out():
            break
    return None


# -- the choice sequence -----------------------------------------------------------------------------
def _simplify_tape(s: _Shrinker, spec: RunSpec) -> RunSpec:
    """Truncate the executed tape, then set blocks of its values to their simplest; keep what still fails."""
    if s.out() or not s.check(spec):  # (re-run: the tape to start from is this spec's own)
        return spec
    assert s.last is not None
    taped = dataclasses.replace(spec, tape=tuple(s.last.choices), tape_fallback="simplest")
    if not s.check(taped):
        return spec  # not even the exact tape reproduces (should not happen): keep the seed form
    tape, domains = list(taped.tape or ()), list(s.domains)
    full = len(tape)
    lo, hi = 0, full
    while lo < hi and not s.out():
        mid = (lo + hi) // 2
        if s.check(dataclasses.replace(taped, tape=tuple(tape[:mid]))):
            hi = mid
        else:
            lo = mid + 1
    tape, domains = tape[:hi], domains[:hi]
    simplified = _simplify_values(s, taped, tape, domains)
    kept = sum(1 for c, d in zip(simplified, domains, strict=False) if c.value != simplest(d))
    s.steps.append(f"choice tape: {len(simplified)} of {full} choices given ({kept} not at their simplest), "
                   "the rest at their simplest")
    return dataclasses.replace(taped, tape=tuple(simplified))


def _simplify_values(s: _Shrinker, spec: RunSpec, tape: list[Choice], domains: list[Domain]) -> list[Choice]:
    targets = [i for i, (c, d) in enumerate(zip(tape, domains, strict=False)) if c.value != simplest(d)]
    size = max(1, len(targets) // 2)
    while targets and not s.out():
        progressed = False
        for start in range(0, len(targets), size):
            block = set(targets[start:start + size])
            candidate = [Choice(c.stream, c.name, simplest(domains[i])) if i in block else c
                         for i, c in enumerate(tape)]
            if s.check(dataclasses.replace(spec, tape=tuple(candidate))):
                tape, progressed = candidate, True
                targets = [i for i in targets if i not in block]
                break
            if s.out():
                break
        if not progressed:
            if size == 1:
                break
            size = max(1, size // 2)
    return tape
